"""Vosk models: where the guide looks for one, and installing one (Whisper's: whisper_models.py).

Where, in order: an explicit path (``--model``), ``VOICEGUIDE_VOSK_MODEL``,
the user config (``vosk_model``), then the user data folder (platformdirs).
Installing downloads the official small US English model (or takes a zip
file), checks the archive and the model's layout, and unpacks atomically: a
failed install leaves nothing behind.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import VoiceGuideError
from .files import empty_folder, folder_for, special

log = logging.getLogger(__name__)

MODEL_NAME = "vosk-model-small-en-us-0.15"
MODEL_URL = f"https://alphacephei.com/vosk/models/{MODEL_NAME}.zip"
"""The official small US English model (Apache-2.0)."""
REQUIRED = ("am/final.mdl", "conf/model.conf")
"""Files every Vosk model folder has."""

Progress = Callable[[int, int | None], None]
"""Called with (bytes so far, total bytes or None)."""


class ModelError(VoiceGuideError):
    """No usable model, or an install that failed. The message says where and what to do."""


@dataclass(frozen=True)
class Search:
    """One place the guide looked for a Vosk model."""

    source: str
    path: Path


def data_dir() -> Path:
    """The user data folder where installed models live."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("voiceguide")) / "models"


def candidates(explicit: Path | None, configured: str | None) -> list[Search]:
    """Every place to look, in order."""
    places = []
    if explicit is not None:
        places.append(Search("--model", explicit))
    if env := os.environ.get("VOICEGUIDE_VOSK_MODEL"):
        places.append(Search("VOICEGUIDE_VOSK_MODEL", Path(env)))
    if configured:
        places.append(Search("config vosk_model", Path(configured)))
    places.append(Search("user data folder", data_dir() / MODEL_NAME))
    return places


def layout_problem(folder: Path) -> str:
    """Why ``folder`` is not a Vosk model, or "" if it is one."""
    try:
        if not folder.is_dir():
            return "no such folder"
    except OSError as exc:  # a name too long, say
        return f"cannot be read ({exc.strerror or exc})"
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        return f"not a Vosk model (missing {', '.join(missing)})"
    return ""


def find_model(explicit: Path | None = None, configured: str | None = None) -> Path | None:
    """The first usable model, or None. An explicit --model that is broken is an error."""
    for place in candidates(explicit, configured):
        problem = layout_problem(place.path)
        if not problem:
            return place.path
        if place.source == "--model" or (_there(place.path) and place.source != "user data folder"):
            raise ModelError(f"{place.path} ({place.source}): {problem}; "
                             f"install one with: voiceguide model install vosk")
    return None


def _there(path: Path) -> bool:
    """Something is at ``path``, or the system could not tell (a name too long): either way, said."""
    try:
        return path.exists()
    except OSError:
        return True


def where_looked(explicit: Path | None, configured: str | None) -> str:
    """A one-line account of the places searched."""
    return "; ".join(f"{p.source} {p.path}" for p in candidates(explicit, configured))


def install(target_root: Path | None = None, url: str = MODEL_URL, zip_file: Path | None = None,
            progress: Progress | None = None) -> Path:
    """Download (or take) a model zip, check it, and unpack it atomically. The model folder."""
    with (folder_for(target_root or data_dir()) as root,
          tempfile.TemporaryDirectory(prefix=".install-", dir=root) as work):
        archive = Path(zip_file) if zip_file else download(url, Path(work) / "model.zip", progress,
                                                                   offline_hint="vosk --from FILE.zip")
        name = _check_archive(archive)
        target = root / name
        refuse_foreign(target, layout_problem, "Vosk")
        unpack = Path(work) / "unpacked"
        try:
            with zipfile.ZipFile(archive) as zf:
                needed = sum(member.file_size for member in zf.infolist())
                free = shutil.disk_usage(root).free
                if needed > free:
                    raise ModelError(f"{archive}: needs {needed // 2**20} MB unpacked, "
                                     f"{free // 2**20} MB free in {root}")
                zf.extractall(unpack)
        except OSError as exc:  # a member's name too long, a file where a folder is named, a full disk
            raise ModelError(f"{archive}: cannot unpack ({exc.strerror or exc})") from None
        problem = layout_problem(unpack / name)
        if problem:
            raise ModelError(f"{archive}: {problem}")
        _check_loads(unpack / name, archive)
        swap_in(unpack / name, target, Path(work))
    return target


def refuse_foreign(target: Path, layout: Callable[[Path], str], engine: str) -> None:
    """ModelError unless ``target`` may be replaced by a new model: nothing there, an empty folder, or an
    earlier model (``layout`` finds no problem). A folder of the person's that shares the name stays."""
    if os.path.lexists(target) and layout(target) and not empty_folder(target):
        raise ModelError(f"{target}: there already, and not a {engine} model; move it away or choose another --dir")


def swap_in(staged: Path, target: Path, work: Path) -> None:
    """Move a checked model into place; the one it replaces goes into ``work``, removed with it."""
    if os.path.lexists(target):
        os.replace(target, work / "old")
    os.replace(staged, target)


def _check_loads(folder: Path, archive: Path) -> None:
    """Vosk can load the model: installing one chooses Vosk, so a damaged one would stop every later
    session. Kaldi writes its complaints straight to the process's stderr; they are held back here, and
    the one line is ModelError's."""
    try:
        import vosk
    except ImportError:
        return  # the engine is not installed: the layout check is all there is
    vosk.SetLogLevel(-1)
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        try:
            vosk.Model(str(folder))
        except Exception as exc:  # the binding raises a bare Exception ("Failed to create a model")
            raise ModelError(f"{archive}: the model does not load (Vosk: {exc})") from None
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def download(url: str, dest: Path, progress: Progress | None, offline_hint: str = "--from FILE.zip") -> Path:
    """``url`` saved to ``dest``, complete (as long as the server said), with progress."""
    import urllib.error  # only here: it is slow to import, and most commands never download
    import urllib.request

    total: int | None = None
    done = 0
    try:
        with urllib.request.urlopen(url, timeout=30) as response, dest.open("wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            done = 0
            while chunk := response.read(1 << 16):
                out.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelError(f"cannot download {url}: {reason}; with the files at hand use "
                         f"voiceguide model install {offline_hint}") from None
    if total is not None and done != total:
        raise ModelError(f"download of {url} stopped early ({done} of {total} bytes)")
    return dest


def zip_members(archive: Path) -> list[str]:
    """The member names of a complete zip archive with no unsafe path; ModelError otherwise."""
    if not archive.is_file():
        kind = special(archive) or ("a folder" if archive.is_dir() else "")
        raise ModelError(f"{archive}: is {kind}, not a zip archive" if kind else f"{archive}: no such file")
    try:
        with zipfile.ZipFile(archive) as zf:
            bad = zf.testzip()
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ModelError(f"{archive}: not a complete zip archive ({exc})") from None
    if bad is not None:
        raise ModelError(f"{archive}: damaged member {bad}")
    unsafe = [n for n in names if n.startswith("/") or ".." in Path(n).parts]
    if unsafe:
        raise ModelError(f"{archive}: unsafe path {unsafe[0]}")
    return names


def _check_archive(archive: Path) -> str:
    """The model folder's name inside a good archive; ModelError otherwise."""
    names = zip_members(archive)
    tops = {n.split("/", 1)[0] for n in names if n.strip("/")}
    if len(tops) != 1:
        raise ModelError(f"{archive}: expected one model folder at the top, found {len(tops)}")
    name = tops.pop()
    if name in (".", ""):
        raise ModelError(f"{archive}: expected one model folder at the top, found the files themselves")
    missing = [r for r in REQUIRED if f"{name}/{r}" not in names]
    if missing:
        raise ModelError(f"{archive}: not a Vosk model (missing {', '.join(missing)})")
    return name
