"""Files written whole: a new one with the mode the umask gives, one written again with its own.

A file is made beside its target and renamed over it, so a reader or a
killed writer never leaves a partial file. The temporary file is created
with open(2) and mode 0666 like any new file, so the umask decides who may
read it (normally 0644). ``tempfile.mkstemp`` would make it 0600 whatever
the umask, and a web server or another user could not read the result.
A file written again keeps its permission bits (a settings file made private
stays private); an export's files are the exception, set to the umask's mode.
A name the user gave is checked first (output_target), and folders made for
a failed job are taken away again (folder_for).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import OutputError

NEW_FILE_MODE = 0o666
"""What open(2) asks for; the umask takes bits away."""


def current_umask() -> int:
    """The process's umask, read without changing it (Linux), else by setting and restoring it."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no other way to read it; set back at once
    os.umask(mask)
    return mask


def umask_mode() -> int:
    """The permission bits a new file gets under the current umask."""
    return NEW_FILE_MODE & ~current_umask()


def output_target(path: Path) -> Path:
    """Where a file the user named is written: the file itself, or the file a link to it names (the link
    stays). Refused, with the reason: a folder, or anything that is not a plain file (a device such as
    /dev/null, a pipe: renaming over it would replace it), or a folder that does not exist."""
    path = Path(path)
    try:
        try:
            os.stat(path)
        except FileNotFoundError:
            pass  # a new file, or a link to one
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # pathlib raises for a loop only before Python 3.13
                raise OutputError("is a loop of links", path) from None
            raise
        target = path.resolve(strict=False) if path.is_symlink() else path
        if path.name in ("", ".", "..") or target.is_dir():
            raise OutputError("is a folder; name a file to write", path)
        if target.exists() and not target.is_file():
            raise OutputError("is not a plain file (a device or a pipe); name a file to write", path)
        if not target.parent.is_dir():
            raise OutputError("folder does not exist", path)
        if not os.access(target.parent, os.W_OK | os.X_OK):
            raise OutputError("folder is not writable", path)
    except OSError as exc:  # a name too long, a folder not ours to read
        raise OutputError(f"cannot write there ({exc.strerror or exc})", path) from None
    except RuntimeError:  # pathlib's word for a loop of links
        raise OutputError("is a loop of links", path) from None
    return target


def _create_beside(path: Path) -> tuple[int, Path]:
    """A new empty file in the target's folder, opened for writing, and its name."""
    while True:
        tmp = path.with_name(f".{path.name[:200]}.{secrets.token_hex(4)}.part")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, NEW_FILE_MODE), tmp
        except FileExistsError:
            continue


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[BinaryIO]:
    """A binary file to write; it replaces ``path`` (output_target) when the block ends without error,
    and is removed otherwise. It keeps the permissions of the file it replaces (a settings file made
    private stays private: it names the last topic heard); a new one gets what the umask gives."""
    path = output_target(path)
    fd, tmp = _create_beside(path)
    try:
        with contextlib.suppress(FileNotFoundError):
            # The permission bits only: a set-user-id bit carried onto a file this program wrote would let
            # anyone run it as its new owner.
            os.fchmod(fd, os.stat(path).st_mode & 0o777)
        with os.fdopen(fd, "wb") as out:
            yield out
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def special(path: Path) -> str:
    """What ``path`` is when it is no file to read whole ("a pipe", "a device", "a socket"); "" for a
    regular file, a folder or nothing there (their readers say those). A pipe waits for a writer and a
    device may never end, so a file the person named is read only when it is a regular one."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return ""
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return ""


def empty_folder(path: Path) -> bool:
    """``path`` is a folder (not a link to one) with nothing in it: taking its place loses nothing."""
    return path.is_dir() and not path.is_symlink() and not any(path.iterdir())


def nearest_existing(path: Path) -> Path:
    """``path`` or its nearest parent that is there (a broken link is there, and is no folder)."""
    found = Path(path)
    while not os.path.lexists(found) and found != found.parent:
        found = found.parent
    return found


@contextlib.contextmanager
def folder_for(path: Path) -> Iterator[Path]:
    """``path`` made with its missing parents, for a block that fills it; if the block fails, the folders
    made here are removed again while empty, so that a failed command leaves no trace on disk."""
    made = missing_folders(path)
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        remove_empty(made)  # the parents may have been made before the last name failed
        raise OutputError(f"cannot make the folder ({exc.strerror or exc})", path) from None
    try:
        yield Path(path)
    except BaseException:
        remove_empty(made)
        raise


def missing_folders(path: Path) -> list[Path]:
    """``path`` and its parents that are not there yet, the deepest first: what making it would make."""
    there = nearest_existing(path)
    return [folder for folder in (Path(path), *Path(path).parents) if folder.is_relative_to(there)
            and folder != there]


def remove_empty(folders: list[Path]) -> None:
    """Remove each folder, the deepest first, while it is empty: never one that holds anything."""
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()


def sync_folder(path: Path) -> None:
    """Put a folder's entries (new names, renames) on disk."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
