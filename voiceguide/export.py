"""Audio export: the guide as files for a phone, a CD or a talking-book player.

One audio file per topic (its title, short answer and detail), a disclaimer
track first, one file of the whole guide; per audio file a WebVTT caption
file timed from the synthesis; an M3U8 playlist, a plain-text transcript, a
JSON manifest and an accessible index.html.

An export is one transaction. The new set is built whole in a staging folder
beside the export folder: a file whose text and settings are unchanged since
the last export (the manifest's key says so and its checksum agrees) is a
hard link to the one already there, so it is not rewritten; the rest are
made new, the manifest last. Then the two folders swap names in one step,
Linux's renameat2(RENAME_EXCHANGE), and the old set, now under the staging
name, is deleted. A kill at any moment leaves the folder holding the
previous complete export or the new complete one, without any recovery run,
and a reader (the page, a player) sees one or the other, never a mix. When
nothing changed nothing is swapped, so a re-run rewrites nothing.

Why swap folders: the file names are fixed (the playlist, the page and the
players refer to them), so renaming files in one by one, in whatever order,
leaves some tracks new while the manifest, playlist and page describe the
old set (or the reverse) when killed part way. Swapping one directory entry
is the one step that changes them all at once. RENAME_EXCHANGE swaps two
names that both exist, so unlike renaming the old folder aside and the new
one in there is no moment without the folder.

Fallbacks, each taken only when the step before it is impossible:

- No RENAME_EXCHANGE (a kernel or filesystem without it, or not Linux): the
  old folder is renamed aside, then the new one in. A kill between the two
  renames leaves no folder but the previous export aside, complete; the next
  export puts it back before anything else.
- The folder cannot be renamed (its parent is not writable, it is a mount
  point, the rename is refused) or, with --force, holds folders of its own,
  which cannot be hard-linked: the new files are built in a staging folder
  inside it and replace the old ones one by one, obsolete ones removed, the
  manifest last. A kill part way can leave a mix here, so the result carries
  a note saying that the export was not made in one step, and why.

A staging folder is locked (flock) while its export runs; the next export
removes any that no process holds, which are the leftovers of a killed one.
Files get the mode the umask gives (see files.py); the folder keeps its own.

For tests, ``VOICEGUIDE_EXPORT_PAUSE=STEP:FILE`` makes an export create FILE
when it reaches STEP (rendering, built, swapped, moved-aside, replacing) and
wait there a minute, so that a test can kill it at exactly that moment.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import html
import json
import os
import re
import secrets
import shutil
import stat
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from . import __version__
from .audio import Audio, AudioError, write_wav
from .content import Content
from .errors import VoiceGuideError
from .files import missing_folders, remove_empty, sync_folder, umask_mode
from .speak import Speech

MANIFEST = "manifest.json"
TEXTS = ("playlist.m3u8", "transcript.txt", "index.html", MANIFEST)
"""The files beside the audio, in the order they are made: the manifest last."""
FORMATS = ("wav", "ogg")
STAGING_PREFIX = ".voiceguide-export-"
PAUSE_ENV = "VOICEGUIDE_EXPORT_PAUSE"

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_NO_EXCHANGE = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP}
"""What renameat2 answers where the kernel or filesystem cannot exchange."""

Progress = Callable[[int, int, str], None]
"""Called with (files done, files in all, the title being made)."""


class ExportError(VoiceGuideError):
    """The export cannot be made. The message names the folder, file or topic."""


@dataclass(frozen=True)
class Track:
    """One audio file of the export and what it says."""

    number: int
    title: str
    stem: str
    """File name without extension: safe ASCII, numbered in reading order."""
    text: str


@dataclass(frozen=True)
class ExportSettings:
    """What shapes the audio; a change means the files are made again."""

    voice: str
    engine: str
    rate: float
    volume: float
    format: str


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    written: list[str]
    unchanged: list[str]
    note: str = ""
    """Set when the new files could not be put in place in one step: why not."""


def safe_name(number: int, title: str) -> str:
    """``03-how-it-differs-from-open-surgery``: ASCII, lower case, numbered."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].rstrip("-")
    return f"{number:02d}-{slug or 'track'}"


def plan(content: Content, topic_ids: Sequence[str] | None = None) -> tuple[list[Track], Track]:
    """The tracks in reading order (disclaimer first), and the whole-guide file."""
    known = {t.id for t in content.topics}
    for topic_id in topic_ids or ():
        if topic_id not in known:
            raise ExportError(f"unknown topic '{topic_id}' (see voiceguide topics)")
    chosen = [t for t in content.topics if not topic_ids or t.id in topic_ids]
    tracks = [Track(0, "Disclaimer", safe_name(0, "disclaimer"), content.disclaimer.text)]
    for topic in chosen:
        intro = content.replies.say("topic_intro", number=str(topic.number), title=topic.title)
        tracks.append(Track(topic.number, topic.title, safe_name(topic.number, topic.title),
                            f"{intro} {topic.short} {topic.detail}"))
    whole = Track(len(content.topics) + 1, "The whole guide", "whole-guide", " ".join(t.text for t in tracks))
    return tracks, whole


def export(content: Content, speech: Speech, folder: Path, settings: ExportSettings,
           topic_ids: Sequence[str] | None = None, force: bool = False,
           progress: Progress | None = None) -> ExportResult:
    """Write the export into ``folder``; see the module docstring."""
    if settings.format not in FORMATS:
        raise ExportError(f"unknown format '{settings.format}': use {' or '.join(FORMATS)}")
    tracks, whole = plan(content, topic_ids)
    target, made = _ready_folder(Path(folder))
    try:
        adopted = {name for name in _remove_leftovers(target) if os.path.lexists(target / name)}
        previous, foreign = _previous_export(target, adopted, force)
        with _Staging(target, _cannot_swap(target, foreign)) as staging:
            built = _build(content, speech, target, staging.path, settings, [*tracks, whole], previous, progress)
            if not built.written and not adopted - set(built.names):
                return ExportResult(folder, [], built.unchanged)
            note = _commit(target, staging, built, _listed(previous) | adopted, foreign)
    except OSError as exc:
        _remove_made(made, target)  # a failed first export leaves no empty folder behind
        raise ExportError(f"{folder}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        _remove_made(made, target)  # SIGTERM and errors of the export's own too
        raise
    return ExportResult(folder, built.written, built.unchanged, note)


def _ready_folder(folder: Path) -> tuple[Path, list[Path]]:
    """The real folder (a symlink's target, so that the link stays), created if missing
    or put back if a killed export left it aside; and the folders made for it, the deepest first."""
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder}: is a file, not a folder")
    try:
        target = folder.resolve()
    except RuntimeError:  # Python 3.11's word for a loop of links
        raise ExportError(f"{folder}: a loop of links") from None
    except OSError as exc:
        raise ExportError(f"{folder}: cannot use this folder ({exc.strerror or exc})") from None
    if not target.exists():
        _put_back(target)
    made = missing_folders(target)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_made(made, target)  # the parents may have been made before the last name failed
        raise ExportError(f"{folder}: cannot create the folder ({exc.strerror})") from None
    if not os.access(target, os.W_OK):
        raise ExportError(f"{folder}: the folder is not writable")
    return target, made


def _remove_made(made: list[Path], target: Path) -> None:
    """Remove the folders a failed export made while they are empty, unless another export is building
    beside ``target``: it found the folder there and will swap its files into it."""
    with contextlib.suppress(OSError):
        if any(_is_beside(name, target) for name in os.listdir(target.parent)):
            return
    remove_empty(made)


def _beside_name(target: Path, token: str) -> str:
    return f"{STAGING_PREFIX}{token}-{target.name[:200]}"


def _is_beside(name: str, target: Path) -> bool:
    """A staging folder, or an old export set aside, of ``target``'s exports."""
    token_end = len(STAGING_PREFIX) + 8
    rest = name[token_end:].removesuffix(".previous")
    return name.startswith(STAGING_PREFIX) and rest == f"-{target.name[:200]}"


def _put_back(target: Path) -> None:
    """A kill between the fallback's two renames left the previous export aside: restore it."""
    try:
        aside = [target.parent / n for n in os.listdir(target.parent)
                 if n.endswith(".previous") and _is_beside(n, target)]
    except OSError:
        return
    if aside:
        latest = max(aside, key=lambda p: p.stat().st_mtime)
        try:
            os.rename(latest, target)
        except OSError as exc:
            raise ExportError(f"{target}: cannot put back the previous export from {latest} ({exc.strerror})") from None


def _remove_leftovers(target: Path) -> set[str]:
    """Remove the staging folders of killed exports (any that no running export holds). The files
    their manifests list are returned: a killed one-by-one export may have put some in place."""
    adopted: set[str] = set()
    places = ((target.parent, lambda n: _is_beside(n, target)), (target, lambda n: n.startswith(STAGING_PREFIX)))
    for place, ours in places:
        try:
            names = [n for n in os.listdir(place) if ours(n)]
        except OSError:
            continue
        for name in names:
            listed = _listed(_read_manifest(place / name / MANIFEST))
            if _remove_unless_locked(place / name):
                adopted |= listed
    return adopted


def _remove_unless_locked(path: Path) -> bool:
    if path.name.endswith(".part") and path.is_file() and not path.is_symlink():
        path.unlink(missing_ok=True)  # a copy that a killed one-by-one export had begun
        return True
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        if not _lock(fd):
            return False
        shutil.rmtree(path, ignore_errors=True)
        return True
    finally:
        os.close(fd)


def _lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read_manifest(path: Path) -> dict[str, Any]:
    """A previous export's manifest, or {} if there is none or it is not one of ours."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return {}
    if not isinstance(manifest, dict) or manifest.get("generator") != "voiceguide":
        return {}
    files = manifest.get("files")
    if not isinstance(files, list) or not all(
            isinstance(e, dict) and _plain(e.get("file")) and _plain(e.get("captions")) for e in files):
        return {}
    return manifest


def _plain(name: object) -> bool:
    """A file name inside the folder: nothing that could point elsewhere."""
    return isinstance(name, str) and name not in ("", ".", "..") and "/" not in name and "\x00" not in name


def _listed(manifest: dict[str, Any]) -> set[str]:
    return {name for entry in manifest.get("files", []) for name in (entry["file"], entry["captions"])}


def _previous_export(target: Path, adopted: set[str], force: bool) -> tuple[dict[str, Any], list[str]]:
    """The last export's manifest and the folder's other entries; refuses those unless forced."""
    manifest = _read_manifest(target / MANIFEST)
    ours = {*TEXTS, *_listed(manifest), *adopted} if manifest or adopted else set()
    foreign = sorted(n for n in os.listdir(target) if n not in ours and not n.startswith(STAGING_PREFIX))
    if foreign and not force:
        raise ExportError(f"{target}: holds files that are not a VoiceGuide export ({', '.join(foreign[:3])}"
                          f"{', …' if len(foreign) > 3 else ''}); use --force to write there anyway")
    return manifest, foreign


def _cannot_swap(target: Path, foreign: list[str]) -> str:
    """Why the folder cannot be swapped as a whole, or "" when it can."""
    if any((target / name).is_dir() and not (target / name).is_symlink() for name in foreign):
        return "it holds folders that are not part of the export"
    if os.path.ismount(target):
        return "it is a mount point"
    if not os.access(target.parent, os.W_OK):
        return "its parent folder is not writable"
    return ""


class _Staging:
    """Where the new export is built: a fresh folder, locked while this export runs.
    Beside the target when the two can be swapped, else inside it. Removed on leaving,
    with whatever it holds then (after a swap, the old export)."""

    def __init__(self, target: Path, cannot_swap: str) -> None:
        self.reason = cannot_swap
        if not cannot_swap:
            try:
                self.path, self._fd = self._create(target.parent, lambda token: _beside_name(target, token))
            except PermissionError:
                self.reason = "its parent folder is not writable"
            else:
                try:
                    _copy_folder_mode(target, self.path)
                except BaseException:
                    self.__exit__(None, None, None)
                    raise
                return
        self.path, self._fd = self._create(target, lambda token: f"{STAGING_PREFIX}{token}")

    @property
    def beside(self) -> bool:
        return not self.reason

    @staticmethod
    def _create(parent: Path, name: Callable[[str], str]) -> tuple[Path, int]:
        while True:
            path = parent / name(secrets.token_hex(4))
            try:
                path.mkdir(mode=0o700)
            except FileExistsError:
                continue
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            # Another export's clean-up may have taken it between mkdir and the lock: then make another.
            if _lock(fd) and os.path.exists(path) and os.stat(path).st_ino == os.fstat(fd).st_ino:
                return path, fd
            os.close(fd)

    def __enter__(self) -> _Staging:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            shutil.rmtree(self.path, ignore_errors=True)
        finally:
            os.close(self._fd)


def _copy_folder_mode(source: Path, dest: Path) -> None:
    """The new folder takes the old one's mode and, where allowed, its owner."""
    old = source.stat()
    os.chmod(dest, stat.S_IMODE(old.st_mode))
    new = dest.stat()
    if (new.st_uid, new.st_gid) != (old.st_uid, old.st_gid):
        with contextlib.suppress(PermissionError):  # only root may give a folder away
            os.chown(dest, old.st_uid, old.st_gid)


def _key(track: Track, settings: ExportSettings) -> str:
    return hashlib.sha256(json.dumps([track.text, asdict(settings), __version__]).encode()).hexdigest()


@dataclass
class _Built:
    """The new export in the staging folder."""

    names: list[str] = field(default_factory=list)
    """Every file of the new export, in the order they were made: the manifest last."""
    written: list[str] = field(default_factory=list)
    """Those made new; the others are links to the unchanged files in the folder."""
    unchanged: list[str] = field(default_factory=list)


def _build(content: Content, speech: Speech, target: Path, staging: Path, settings: ExportSettings,
           tracks: list[Track], previous: dict[str, Any], progress: Progress | None) -> _Built:
    old = {entry["file"]: entry for entry in previous.get("files", [])}
    mode = umask_mode()
    built = _Built()
    entries: list[dict[str, Any]] = []
    for index, track in enumerate(tracks):
        if progress:
            progress(index, len(tracks), track.title)
        name, captions = f"{track.stem}.{settings.format}", f"{track.stem}.vtt"
        key = _key(track, settings)
        entry = old.get(name)
        same = entry is not None and entry.get("key") == key and entry.get("captions") == captions
        if entry is not None and same and _reuse(target, staging, entry, mode):
            entries.append(entry)
            built.names += [name, captions]
            built.unchanged += [name, captions]
            continue
        audio, cues = speech.render(track.text, settings.rate, settings.volume)
        _save_audio(staging / name, audio, settings.format)
        (staging / captions).write_text(webvtt(cues, audio.duration), encoding="utf-8")
        entries.append({"file": name, "title": track.title, "number": track.number,
                        "duration": round(audio.duration, 3), "sha256": _sha256(staging / name),
                        "captions": captions, "captions_sha256": _sha256(staging / captions), "key": key})
        built.names += [name, captions]
        built.written += [name, captions]
        if len(built.written) == 2:
            _pause("rendering")
    if progress:
        progress(len(tracks), len(tracks), "done")
    texts = {
        "playlist.m3u8": playlist(entries),
        "transcript.txt": transcript(content, tracks),
        "index.html": index_html(content, entries),
        MANIFEST: json.dumps({"generator": "voiceguide", "version": __version__, "source": content.source.title,
                              "settings": asdict(settings), "files": entries}, indent=2, ensure_ascii=False) + "\n",
    }
    for name in TEXTS:
        data = texts[name].encode("utf-8")
        built.names.append(name)
        if _holds(target / name, data):
            _link_or_copy(target / name, staging / name)
            _set_mode(staging / name, mode)
            built.unchanged.append(name)
        else:
            (staging / name).write_bytes(data)
            built.written.append(name)
    return built


def _reuse(target: Path, staging: Path, entry: dict[str, Any], mode: int) -> bool:
    """Link an unchanged file and its captions into the staging folder, if they are as the manifest says.
    The checksum is taken of the link, so a file swapped meanwhile by another export is not reused."""
    try:
        for name in (entry["file"], entry["captions"]):
            _link_or_copy(target / name, staging / name)
    except FileNotFoundError:
        return False
    audio, captions = staging / entry["file"], staging / entry["captions"]
    # Manifests before captions_sha256 vouch for the audio only.
    intact = _sha256(audio) == entry.get("sha256") and entry.get("captions_sha256", _sha256(captions)) == \
        _sha256(captions)
    if not intact:
        for name in (entry["file"], entry["captions"]):
            (staging / name).unlink(missing_ok=True)
        return False
    for name in (entry["file"], entry["captions"]):
        _set_mode(staging / name, mode)
    return True


def _link_or_copy(source: Path, dest: Path) -> None:
    try:
        os.link(source, dest)
    except FileNotFoundError:
        raise
    except OSError:  # a filesystem without hard links, or a file the user may not link
        shutil.copy2(source, dest)


def _set_mode(path: Path, mode: int) -> None:
    """Files made by an older VoiceGuide (0600) become readable as the umask says."""
    if stat.S_IMODE(path.stat().st_mode) != mode:
        os.chmod(path, mode)


def _holds(path: Path, data: bytes) -> bool:
    try:
        return path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _commit(target: Path, staging: _Staging, built: _Built, before: set[str], foreign: list[str]) -> str:
    """Put the new export in place: "" when done in one step, else a note saying why it was not.
    ``before`` names the files of the export being replaced."""
    for name in built.written:  # on disk before the swap, so that a power cut cannot undo it
        _sync_file(staging.path / name)
    reason = staging.reason
    if not reason:
        try:
            for name in foreign:  # --force: the folder's other files come along, as the same files
                os.link(target / name, staging.path / name, follow_symlinks=False)
        except OSError as exc:
            reason = f"its other files cannot be linked ({exc.strerror})"
    if not reason:
        sync_folder(staging.path)
        _pause("built")
        try:
            _swap(staging, target)
            return ""
        except OSError as exc:
            reason = f"the rename was refused ({exc.strerror})"
    _replace_one_by_one(target, staging.path, built, before)
    return f"{target}: files were replaced one by one, not in one step, because {reason}"


def _swap(staging: _Staging, target: Path) -> None:
    """Swap the staging folder and the target; afterwards the staging path holds the old export."""
    try:
        _exchange(staging.path, target)
    except OSError as exc:
        if exc.errno not in _NO_EXCHANGE:
            raise
        aside = staging.path.with_name(f"{staging.path.name}.previous")
        os.rename(target, aside)
        moved = False
        try:
            _pause("moved-aside")
            os.rename(staging.path, target)
            moved = True
        except BaseException:  # SIGTERM too: the folder is not left missing
            if not moved:
                os.rename(aside, target)
            raise
        staging.path = aside
    else:
        _pause("swapped")
    with contextlib.suppress(OSError):  # done already; a parent we may not read cannot be synced
        sync_folder(target.parent)


def _exchange(a: Path, b: Path) -> None:
    """Swap two existing paths in one step: renameat2(RENAME_EXCHANGE), through the C library."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError, TypeError):
        raise OSError(errno.ENOSYS, "renameat2 is not available") from None
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(b))


def _replace_one_by_one(target: Path, staging: Path, built: _Built, before: set[str]) -> None:
    """The fallback: the new files over the old ones, obsolete ones removed, the manifest last.
    Until the manifest is in, a killed run's staging folder lists what it was putting in place."""
    fresh = [name for name in built.names if name in built.written and name != MANIFEST]
    for index, name in enumerate(fresh):
        _place(staging / name, target / name)
        if index == 0:
            _pause("replacing")
    for name in before - set(built.names):
        (target / name).unlink(missing_ok=True)
    if MANIFEST in built.written:
        _place(staging / MANIFEST, target / MANIFEST)
    sync_folder(target)


def _place(source: Path, dest: Path) -> None:
    try:
        os.replace(source, dest)
    except OSError as exc:
        if exc.errno != errno.EXDEV:  # the folder is another mount of the same filesystem
            raise
        part = dest.with_name(f"{STAGING_PREFIX}{secrets.token_hex(4)}.part")
        try:
            shutil.copy2(source, part)
            os.replace(part, dest)
        finally:
            part.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _sync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pause(step: str) -> None:
    """The test hook described in the module docstring."""
    wanted, _, marker = os.environ.get(PAUSE_ENV, "").partition(":")
    if wanted == step and marker:
        Path(marker).touch()
        time.sleep(60)


def _save_audio(path: Path, audio: Audio, fmt: str) -> None:
    if fmt == "wav":
        write_wav(path, audio)
        return
    import soundfile  # imported here: only Ogg export needs it

    try:
        soundfile.write(str(path), audio.samples, audio.rate, format="OGG", subtype="VORBIS")
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise AudioError(f"{path}: cannot encode Ogg Vorbis ({exc})") from None


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def webvtt(cues: list[tuple[float, float, str]], duration: float) -> str:
    """One cue per sentence, covering the file from start to end without gaps or overlaps."""
    lines = ["WEBVTT", ""]
    for index, (_start, _end, text) in enumerate(cues):
        begin = 0.0 if index == 0 else (cues[index - 1][1] + cues[index][0]) / 2
        finish = duration if index == len(cues) - 1 else (cues[index][1] + cues[index + 1][0]) / 2
        lines += [str(index + 1), f"{_timestamp(begin)} --> {_timestamp(finish)}", text, ""]
    return "\n".join(lines)


def playlist(entries: list[dict[str, Any]]) -> str:
    lines = ["#EXTM3U", "#PLAYLIST:VoiceGuide"]
    for entry in entries:
        lines += [f"#EXTINF:{round(entry['duration'])},{entry['title']}", entry["file"]]
    return "\n".join(lines) + "\n"


def transcript(content: Content, tracks: list[Track]) -> str:
    parts = [f"{content.source.title}", f"{content.disclaimer.label}: {tracks[0].text}", ""]
    for track in tracks[1:]:
        parts += [track.title, track.text, ""]
    return "\n".join(parts)


def index_html(content: Content, entries: list[dict[str, Any]]) -> str:
    """A page that plays each file with its captions, by keyboard and screen reader."""
    items = []
    for entry in entries:
        title = html.escape(entry["title"])
        items.append(
            f'<section aria-labelledby="h-{entry["number"]}">\n'
            f'<h2 id="h-{entry["number"]}">{title}</h2>\n'
            f'<audio controls preload="metadata" src="{html.escape(entry["file"])}" aria-label="{title}">\n'
            f'<track kind="captions" srclang="en" label="English" default src="{html.escape(entry["captions"])}">\n'
            f"</audio>\n</section>")
    source = html.escape(content.source.title)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>VoiceGuide: {source}</title>
<style>
body {{ font: 1.25rem/1.5 system-ui, sans-serif; max-width: 48rem; margin: auto; padding: 1rem; }}
audio {{ width: 100%; }}
:focus {{ outline: 3px solid #1a5fb4; outline-offset: 2px; }}
.skip {{ position: absolute; left: -999px; }} .skip:focus {{ left: 1rem; }}
</style>
</head>
<body>
<a class="skip" href="#tracks">Skip to the recordings</a>
<header><h1>{source}</h1>
<p>{html.escape(content.disclaimer.text)}</p></header>
<main id="tracks" tabindex="-1">
{chr(10).join(items)}
</main>
<script>
// With ?selftest the page reports, for tests, whether every recording and caption loaded.
// A default track can finish loading before this script runs (its load event then never comes again),
// so each element's state is read as well as waited for. Nothing is reloaded: preload="metadata" decides
// what loads, as for a listener, and a reload would only restart the fetch.
if (location.search.includes("selftest")) {{
  const audios = [...document.querySelectorAll("audio")];
  const results = audios.map(a => new Promise(done => {{
    const track = a.querySelector("track");
    const src = a.getAttribute("src");
    const check = () => {{
      if (a.error) done({{src, error: "audio"}});
      else if (track.readyState === HTMLTrackElement.ERROR) done({{src, error: "captions"}});
      else if (a.readyState >= HTMLMediaElement.HAVE_METADATA && track.readyState === HTMLTrackElement.LOADED)
        done({{src, duration: a.duration, cues: track.track.cues.length}});
    }};
    for (const event of ["loadedmetadata", "error"]) a.addEventListener(event, check);
    for (const event of ["load", "error"]) track.addEventListener(event, check);
    track.track.mode = "hidden";
    check();
  }}));
  Promise.all(results).then(r => {{
    const out = document.createElement("pre"); out.id = "selftest"; out.textContent = JSON.stringify(r);
    document.body.append(out);
  }});
}}
</script>
</body>
</html>
"""
