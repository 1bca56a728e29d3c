"""Safe YAML loading that remembers where each value came from.

Mappings and sequences come back as :class:`Located` subclasses of ``dict``
and ``list`` that carry the line of each key or item, so that errors can be
reported as ``file:line: message``.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml

from .errors import DataError


class LocatedDict(dict[Any, Any]):
    """A mapping with the 1-based line of itself and of each key."""

    line: int
    key_lines: dict[Any, int]


class LocatedList(list[Any]):
    """A sequence with the 1-based line of itself and of each item."""

    line: int
    item_lines: list[int]


try:
    # libyaml's parser: the content is read on every start, and this parses it about thirty
    # times quicker than the pure-Python one (bench/startup.py).
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # a PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


MERGE_TAG = "tag:yaml.org,2002:merge"


class _Loader(_SafeLoader):
    """SafeLoader that records lines; it constructs nothing unsafe."""

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        # PyYAML rewrites a merged-in mapping in place, its own "<<" gone: its own keys are noted on
        # the first visit, so that a mapping built again later (an alias) still knows them.
        if not hasattr(node, "own_keys"):
            node.own_keys = {id(key) for key, _ in node.value if key.tag != MERGE_TAG}  # type: ignore[attr-defined]
        super().flatten_mapping(node)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LocatedDict:
    # A merge ("<<: *defaults") puts the merged pairs first; a key written in the mapping itself then
    # overrides one merged in. Only a key written twice in one mapping is a mistake. (Which of several
    # merged mappings wins a key is PyYAML's to say.)
    loader.flatten_mapping(node)
    own: set[int] = getattr(node, "own_keys", set())
    result = LocatedDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    written: set[Any] = set()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:  # "? [1, 2]": YAML allows it, no data file here uses it
            line = key_node.start_mark.line + 1
            raise DataError(str(node.start_mark.name), line, "a key must be a plain value") from None
        if key in written:
            raise DataError(
                str(node.start_mark.name), key_node.start_mark.line + 1, f"duplicate key {key!r}"
            )
        if id(key_node) in own:
            written.add(key)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    result = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


MAX_BYTES = 16 * 1024 * 1024
"""The largest YAML file read: the guide's own are well under a megabyte."""


def load_yaml(path: Path, display: str | None = None) -> Any:
    """Load one YAML file safely; any problem is a DataError naming file and line."""
    name = display or str(path)
    try:
        info = path.stat()
        # A device or a pipe ("/dev/full") would be read without end.
        if not stat.S_ISREG(info.st_mode):
            raise DataError(name, None, "not a regular file")
        if info.st_size > MAX_BYTES:
            raise DataError(name, None, f"too large for a data file ({info.st_size} bytes)")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(name, None, f"cannot read file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise DataError(name, None, "file is not UTF-8 text") from None
    try:
        return yaml.load(text, Loader=_make_loader(name))
    except DataError as exc:
        raise DataError(name, exc.line, exc.message) from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise DataError(name, line, f"invalid YAML: {exc.problem}") from None
    except yaml.reader.ReaderError as exc:  # a control character: its position, not a mark
        character = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise DataError(name, text.count("\n", 0, exc.position) + 1,
                        f"invalid YAML: character #x{ord(character):04x} is not allowed ({exc.reason})") from None
    except yaml.YAMLError as exc:
        raise DataError(name, None, f"invalid YAML: {' '.join(str(exc).split())}") from None


def _make_loader(name: str) -> type[_Loader]:
    """A loader class whose marks carry the display name of the file."""

    class Named(_Loader):
        def __init__(self, stream: Any) -> None:
            super().__init__(stream)
            self.name = name

    return Named


def line_of(container: Any, key: Any) -> int | None:
    """The line of a key in a LocatedDict or an index in a LocatedList, if known."""
    if isinstance(container, LocatedDict):
        return container.key_lines.get(key, container.line)
    if isinstance(container, LocatedList) and isinstance(key, int):
        if 0 <= key < len(container.item_lines):
            return container.item_lines[key]
        return container.line
    return None
