"""Template sentences: parse, then expand into plain word sequences.

Syntax, in the spirit of hassil and Rhasspy's sentences.ini::

    (what | which) are the [main | common] {symptoms}

``(a | b)`` is a choice, ``[a | b]`` an optional choice, ``{name}`` a shared
word list defined in the intents' ``words:`` section. Words are lower-cased.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import product

from .errors import TemplateError

MAX_EXPANSIONS = 20_000
"""Sentences one template may expand into; more is almost surely a mistake."""

_TOKEN = re.compile(r"\s*([()\[\]|{}]|[^\s()\[\]|{}]+)")
_WORD = re.compile(r"^[a-z][a-z']*$")


@dataclass(frozen=True)
class Word:
    """A literal word."""

    text: str


@dataclass(frozen=True)
class Ref:
    """A reference to a shared word list, ``{name}``."""

    name: str


@dataclass(frozen=True)
class Seq:
    """Items spoken one after another."""

    items: tuple[Word | Ref | Alt, ...]


@dataclass(frozen=True)
class Alt:
    """One of several sequences; an empty sequence makes it optional."""

    options: tuple[Seq, ...]


def parse(template: str) -> Alt:
    """Parse a template into its tree; TemplateError says what is wrong."""
    tokens = [m.group(1) for m in _TOKEN.finditer(template)]
    if not tokens:
        raise TemplateError("empty template")
    tree, end = _parse_alt(tokens, 0, closer=None)
    if end != len(tokens):
        raise TemplateError(f"unexpected '{tokens[end]}' in template '{template}'")
    return tree


def _parse_alt(tokens: list[str], pos: int, closer: str | None) -> tuple[Alt, int]:
    options: list[Seq] = []
    items: list[Word | Ref | Alt] = []
    while pos < len(tokens):
        tok = tokens[pos]
        if tok == closer:
            break
        if tok in (")", "]"):
            raise TemplateError(f"unmatched '{tok}'")
        pos += 1
        if tok == "|":
            options.append(Seq(tuple(items)))
            items = []
        elif tok in ("(", "["):
            inner, pos = _parse_alt(tokens, pos, ")" if tok == "(" else "]")
            if tok == "[":
                inner = Alt((*inner.options, Seq(())))
            items.append(inner)
            pos += 1
        elif tok == "{":
            if pos + 1 >= len(tokens) or tokens[pos + 1] != "}":
                raise TemplateError("a word list reference must look like {name}")
            items.append(Ref(tokens[pos]))
            pos += 2
        elif tok == "}":
            raise TemplateError("unmatched '}'")
        else:
            items.extend(_words(tok))
    else:
        if closer is not None:
            raise TemplateError(f"missing '{closer}'")
    options.append(Seq(tuple(items)))
    if closer is not None and all(not seq.items for seq in options):
        raise TemplateError("empty choice")
    return Alt(tuple(options)), pos


def _words(token: str) -> list[Word]:
    word = token.lower()
    if not _WORD.match(word):
        raise TemplateError(f"'{token}' is not a word: use letters and apostrophes only")
    return [Word(word)]


def expand(tree: Alt, lists: Mapping[str, tuple[Alt, ...]]) -> list[tuple[str, ...]]:
    """Every word sequence the template can produce, without duplicates."""
    seen: dict[tuple[str, ...], None] = {}
    for sentence in _expand_alt(tree, lists, ()):
        seen[sentence] = None
        if len(seen) > MAX_EXPANSIONS:
            raise TemplateError(f"expands into more than {MAX_EXPANSIONS} sentences")
    return list(seen)


def _expand_alt(
    alt: Alt, lists: Mapping[str, tuple[Alt, ...]], stack: tuple[str, ...]
) -> Iterator[tuple[str, ...]]:
    for seq in alt.options:
        parts = [list(_expand_item(item, lists, stack)) for item in seq.items]
        for combo in product(*parts):
            yield tuple(word for part in combo for word in part)


def _expand_item(
    item: Word | Ref | Alt, lists: Mapping[str, tuple[Alt, ...]], stack: tuple[str, ...]
) -> Iterator[tuple[str, ...]]:
    if isinstance(item, Word):
        yield (item.text,)
    elif isinstance(item, Alt):
        yield from _expand_alt(item, lists, stack)
    else:
        if item.name in stack:
            raise TemplateError(f"word list '{item.name}' refers to itself")
        if item.name not in lists:
            raise TemplateError(f"unknown word list '{{{item.name}}}'")
        for value in lists[item.name]:
            yield from _expand_alt(value, lists, (*stack, item.name))


def refs(tree: Alt) -> set[str]:
    """Names of the word lists a template uses."""
    found: set[str] = set()
    for seq in tree.options:
        for item in seq.items:
            if isinstance(item, Ref):
                found.add(item.name)
            elif isinstance(item, Alt):
                found |= refs(item)
    return found
