"""The compiled understanding, kept between runs in the user cache folder.

Expanding the templates (tens of thousands of sentences) and indexing them
takes over a second; unpickling the result takes a small fraction of that
(bench/startup.py). What is kept is the built objects themselves (a pickle of
:class:`Compiled`), not a format of their fields, so the understander's
internals can change freely: the key covers the package's own code as well as
its data, so changed code never meets an old pickle.

The key is a hash of the content and intents folders (every file's name and
bytes), the package version and code, and the Python version. Each key has its
own file: the key and a checksum of the pickle, then the pickle, written to a
temporary file and renamed into place; the few most recently used are kept.
Nothing here ever fails a command: a missing, stale, unreadable or damaged
file is rebuilt, and a cache folder that cannot be written just means no cache
(said in the debug log). Unpickling runs code, so the file is read only from
the user's own cache folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import pickle
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .files import special
from .intents import IntentSet
from .understand import Understander

KEEP = 4
"""Cache files kept (a few data folders, e.g. a development copy, each keep theirs)."""

ABANDONED_S = 600.0
"""A half-written cache file this old was left by a killed process (a build takes seconds)."""

_MAGIC = b"voiceguide-understanding 1"
_PREFIX = "understanding-"
_SUFFIX = ".pickle"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Compiled:
    """What is built from ``intents/`` (checked against the content's topics)."""

    intents: IntentSet
    """The intents and language data, templates expanded."""
    understander: Understander
    """The matcher built over them."""


def cache_folder() -> Path:
    """The user cache folder (platformdirs; ``XDG_CACHE_HOME`` on Linux)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("voiceguide"))


def cache_key(content_dir: Path, intents_dir: Path) -> str:
    """A hash of everything the compiled understanding depends on."""
    from . import __version__

    digest = hashlib.sha256()
    digest.update(f"{__version__}\0{sys.implementation.name}\0{sys.version}\0".encode())
    # The verb forms come from LemmInflect's tables (morphology.py): another version may give others.
    digest.update(f"{_lemminflect_release()}\0".encode())
    # The package's own code: an edited Understander must not meet an old pickle
    # of itself, whatever the version number says.
    for label, folder, pattern in (("code", Path(__file__).parent, "**/*.py"),
                                   ("content", content_dir, "**/*"), ("intents", intents_dir, "**/*")):
        for path in sorted(p for p in folder.glob(pattern) if p.is_file() and "__pycache__" not in p.parts):
            digest.update(f"{label}/{path.relative_to(folder).as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _lemminflect_release() -> str:
    """LemmInflect's installed release, read from its folder's name without importing it
    (importing it costs a tenth of a second, importlib.metadata a twentieth)."""
    spec = importlib.util.find_spec("lemminflect")
    if spec is None or spec.origin is None:
        return "lemminflect missing"
    return " ".join(sorted(p.name for p in Path(spec.origin).parent.parent.glob("lemminflect-*.dist-info")))


def cache_file(key: str, folder: Path | None = None) -> Path:
    """Where the compiled understanding for ``key`` is kept."""
    return (folder or cache_folder()) / f"{_PREFIX}{key[:32]}{_SUFFIX}"


def load(key: str, folder: Path | None = None) -> Compiled | None:
    """The compiled understanding kept for ``key``, or None if there is none usable."""
    path = cache_file(key, folder)
    kind = special(path)
    if kind:  # a pipe would wait for ever: rebuilt, and the save puts a file in its place
        log.debug("understanding cache %s is %s: rebuilding", path, kind)
        return None
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        log.debug("no understanding cache at %s: building", path)
        return None
    except OSError as exc:
        log.debug("understanding cache %s cannot be read (%s): rebuilding", path, exc)
        return None
    magic, _, rest = data.partition(b"\n")
    stored_key, _, rest = rest.partition(b"\n")
    digest, _, payload = rest.partition(b"\n")
    if magic != _MAGIC or stored_key != key.encode():
        log.debug("understanding cache %s is from other data, code or version: rebuilding", path)
        return None
    # A damaged file can still unpickle, into wrong words; the checksum catches that.
    if hashlib.sha256(payload).hexdigest().encode() != digest:
        log.debug("understanding cache %s is damaged: rebuilding", path)
        return None
    try:
        compiled = pickle.loads(payload)
    except Exception as exc:  # unpickling can raise almost anything; a broken cache is only rebuilt
        log.debug("understanding cache %s is unreadable (%s: %s): rebuilding", path, type(exc).__name__, exc)
        return None
    if not (isinstance(compiled, Compiled) and isinstance(compiled.intents, IntentSet)
            and isinstance(compiled.understander, Understander)):
        log.debug("understanding cache %s holds something else: rebuilding", path)
        return None
    _touch(path)
    log.debug("understanding loaded from cache %s", path)
    return compiled


def store(key: str, compiled: Compiled, folder: Path | None = None) -> None:
    """Keep ``compiled`` for ``key``: written whole or not at all; failures only logged."""
    path = cache_file(key, folder)
    try:
        payload = pickle.dumps(compiled, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # an object that cannot be pickled is a bug to see, but never fails a command
        log.warning("the understanding cannot be cached (%s: %s); every start will build it",
                    type(exc).__name__, exc)
        return
    header = b"\n".join([_MAGIC, key.encode(), hashlib.sha256(payload).hexdigest().encode(), b""])
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=f".{path.name}.", delete=False) as stream:
            temporary = Path(stream.name)
            stream.write(header)
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
        temporary = None
        log.debug("understanding cached at %s", path)
    except OSError as exc:
        log.debug("understanding not cached at %s (%s)", path, exc)
        return
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
    _prune(path)


def _touch(path: Path) -> None:
    """Mark ``path`` as recently used, so pruning keeps it."""
    with contextlib.suppress(OSError):
        os.utime(path)


def _prune(current: Path) -> None:
    """Remove all but the KEEP most recently used cache files (``current`` among them),
    and what killed writers left behind."""
    folder = current.parent
    try:
        others = [p for p in folder.glob(f"{_PREFIX}*{_SUFFIX}") if p != current]
        others.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for old in others[KEEP - 1:]:
            old.unlink(missing_ok=True)
        for left in folder.glob(f".{_PREFIX}*"):
            if time.time() - left.stat().st_mtime > ABANDONED_S:
                left.unlink(missing_ok=True)
    except OSError as exc:
        log.debug("old understanding caches in %s not removed (%s)", folder, exc)
