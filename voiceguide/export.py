"""Audio export: the guide as files for a phone, a CD or a talking-book player.

One audio file per topic (its title, short answer and detail), a disclaimer
track first, one file of the whole guide; per audio file a WebVTT caption
file timed from the synthesis; an M3U8 playlist, a plain-text transcript, a
JSON manifest and an accessible index.html. Every file is written aside and
renamed into place. A file whose text and settings are unchanged since the
last export (the manifest says) is not rewritten.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .audio import Audio, AudioError, write_wav
from .errors import VoiceGuideError
from .guide import Guide
from .speak import Speech

MANIFEST = "manifest.json"
FORMATS = ("wav", "ogg")

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


def safe_name(number: int, title: str) -> str:
    """``03-how-it-differs-from-open-surgery``: ASCII, lower case, numbered."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].rstrip("-")
    return f"{number:02d}-{slug or 'track'}"


def plan(guide: Guide, topic_ids: Sequence[str] | None = None) -> tuple[list[Track], Track]:
    """The tracks in reading order (disclaimer first), and the whole-guide file."""
    content = guide.content
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


def export(guide: Guide, speech: Speech, folder: Path, settings: ExportSettings,
           topic_ids: Sequence[str] | None = None, force: bool = False,
           progress: Progress | None = None) -> ExportResult:
    """Write the export into ``folder``; see the module docstring."""
    if settings.format not in FORMATS:
        raise ExportError(f"unknown format '{settings.format}': use {' or '.join(FORMATS)}")
    tracks, whole = plan(guide, topic_ids)
    previous = _previous_manifest(folder, force)
    staging = _staging_dir(folder)
    try:
        return _write_all(guide, speech, folder, staging, settings, [*tracks, whole], previous, progress)
    except OSError as exc:
        raise ExportError(f"{folder}: cannot write ({exc.strerror or exc})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _previous_manifest(folder: Path, force: bool) -> dict[str, Any]:
    """The last export's manifest; refuses a folder holding anything else unless forced."""
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder}: is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"{folder}: cannot create the folder ({exc.strerror})") from None
    if not os.access(folder, os.W_OK):
        raise ExportError(f"{folder}: the folder is not writable")
    manifest: dict[str, Any] = {}
    path = folder / MANIFEST
    if path.is_file():
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            manifest = {}
    ours = {MANIFEST, "playlist.m3u8", "transcript.txt", "index.html"}
    ours |= {f for entry in manifest.get("files", []) for f in (entry.get("file"), entry.get("captions"))}
    foreign = sorted(p.name for p in folder.iterdir() if p.name not in ours)
    if manifest.get("generator") != "voiceguide":
        foreign = sorted(p.name for p in folder.iterdir())
    if foreign and not force:
        raise ExportError(f"{folder}: holds files that are not a VoiceGuide export ({', '.join(foreign[:3])}"
                          f"{', …' if len(foreign) > 3 else ''}); use --force to write there anyway")
    return manifest if manifest.get("generator") == "voiceguide" else {}


def _staging_dir(folder: Path) -> Path:
    """Where files are made before they are renamed in: beside the folder if possible."""
    for parent in (folder.resolve().parent, folder):
        try:
            return Path(tempfile.mkdtemp(prefix=".voiceguide-export-", dir=parent))
        except OSError:
            continue
    raise ExportError(f"{folder}: no writable place to prepare the files")


def _key(track: Track, settings: ExportSettings) -> str:
    return hashlib.sha256(json.dumps([track.text, asdict(settings), __version__]).encode()).hexdigest()


def _write_all(guide: Guide, speech: Speech, folder: Path, staging: Path, settings: ExportSettings,
               tracks: list[Track], previous: dict[str, Any], progress: Progress | None) -> ExportResult:
    old = {entry["file"]: entry for entry in previous.get("files", [])}
    entries: list[dict[str, Any]] = []
    written: list[str] = []
    unchanged: list[str] = []
    for index, track in enumerate(tracks):
        if progress:
            progress(index, len(tracks), track.title)
        name = f"{track.stem}.{settings.format}"
        key = _key(track, settings)
        entry = old.get(name)
        if entry and entry.get("key") == key and _intact(folder, name, entry):
            entries.append(entry)
            unchanged += [name, entry["captions"]]
            continue
        audio, cues = speech.render(track.text, settings.rate, settings.volume)
        _save_audio(staging / name, audio, settings.format)
        captions = f"{track.stem}.vtt"
        (staging / captions).write_text(webvtt(cues, audio.duration), encoding="utf-8")
        entries.append({"file": name, "title": track.title, "number": track.number,
                        "duration": round(audio.duration, 3), "sha256": _sha256(staging / name),
                        "captions": captions, "key": key})
        for made in (name, captions):
            os.replace(staging / made, folder / made)
            written.append(made)
    if progress:
        progress(len(tracks), len(tracks), "done")
    texts = {
        "playlist.m3u8": playlist(entries),
        "transcript.txt": transcript(guide, tracks),
        "index.html": index_html(guide, entries),
        MANIFEST: json.dumps({"generator": "voiceguide", "version": __version__, "source": guide.content.source.title,
                              "settings": asdict(settings), "files": entries}, indent=2, ensure_ascii=False) + "\n",
    }
    for name, text in texts.items():
        target = folder / name
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            unchanged.append(name)
            continue
        (staging / name).write_text(text, encoding="utf-8")
        os.replace(staging / name, target)
        written.append(name)
    return ExportResult(folder, written, unchanged)


def _intact(folder: Path, name: str, entry: dict[str, Any]) -> bool:
    """The file and its captions are there, and the file is as the manifest says."""
    path = folder / name
    return path.is_file() and (folder / entry["captions"]).is_file() and _sha256(path) == entry.get("sha256")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _save_audio(path: Path, audio: Audio, fmt: str) -> None:
    if fmt == "wav":
        write_wav(path, audio)
        return
    try:
        import soundfile
    except ImportError:
        raise ExportError("Ogg Vorbis export needs soundfile: pip install 'voiceguide[export]'") from None
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


def transcript(guide: Guide, tracks: list[Track]) -> str:
    parts = [f"{guide.content.source.title}", f"{guide.content.disclaimer.label}: {tracks[0].text}", ""]
    for track in tracks[1:]:
        parts += [track.title, track.text, ""]
    return "\n".join(parts)


def index_html(guide: Guide, entries: list[dict[str, Any]]) -> str:
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
    source = html.escape(guide.content.source.title)
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
<p>{html.escape(guide.content.disclaimer.text)}</p></header>
<main id="tracks" tabindex="-1">
{chr(10).join(items)}
</main>
<script>
// With ?selftest the page reports, for tests, whether every recording and caption loaded.
if (location.search.includes("selftest")) {{
  const audios = [...document.querySelectorAll("audio")];
  const results = audios.map(a => new Promise(done => {{
    const track = a.querySelector("track");
    let meta = false, cues = false;
    const finish = () => {{ if (meta && cues) done({{src: a.getAttribute("src"), duration: a.duration,
                                                     cues: track.track.cues.length}}); }};
    a.addEventListener("loadedmetadata", () => {{ meta = true; finish(); }});
    a.addEventListener("error", () => done({{src: a.getAttribute("src"), error: "audio"}}));
    track.addEventListener("load", () => {{ cues = true; finish(); }});
    track.addEventListener("error", () => done({{src: a.getAttribute("src"), error: "captions"}}));
    track.track.mode = "hidden";
    a.load();
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
