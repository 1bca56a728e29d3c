"""Audio export: files that decode, captions that fit, a page that plays in a real browser."""

from __future__ import annotations

import hashlib
import http.server
import itertools
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from voiceguide.audio import read_wav
from voiceguide.guide import Guide

from .cli import voiceguide
from .conftest import REPO


def cli_env() -> dict[str, str]:
    """Read at each start: the fixtures point the settings file at the test's own."""
    return {**os.environ, "PYTHONPATH": str(REPO)}


VOICES = ("en-us", "en")
"""Two espeak-ng voices: every file of an export with one differs from the other's."""
TEXTS = {"manifest.json", "playlist.m3u8", "transcript.txt", "index.html"}


def run_cli(*args: str, umask: int | None = None) -> subprocess.CompletedProcess[str]:
    """The command in this process (tests/cli.py); with ``umask``, in a process of its own started with it."""
    if umask is None:
        return voiceguide(*args)
    return subprocess.run([sys.executable, "-m", "voiceguide", *args], capture_output=True, text=True,
                          env=cli_env(), timeout=600, umask=umask)


def start_export(out: Path, voice: str, *args: str, pause: tuple[str, Path] | None = None,
                 patch: str = "") -> subprocess.Popen[str]:
    """``voiceguide export`` running; with ``pause``, it stops at that step and makes that file;
    ``patch`` is a script to run instead of the command line's module (see NO_EXCHANGE)."""
    env = {**cli_env(), "VOICEGUIDE_EXPORT_PAUSE": f"{pause[0]}:{pause[1]}"} if pause else cli_env()
    head = ["-c", patch] if patch else ["-m", "voiceguide"]
    return subprocess.Popen([sys.executable, *head, "export", "--out", str(out), "--voice", voice, *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_pause(marker: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, f"the export ended before the pause: {proc.communicate()}"
        assert time.monotonic() < deadline, "the export never reached the pause"
        time.sleep(0.01)
    marker.unlink()


def kill(proc: subprocess.Popen[str]) -> None:
    proc.kill()
    proc.communicate(timeout=60)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_complete_export(out: Path) -> dict[str, Any]:
    """The folder holds one whole export and nothing else: every file the manifest lists, with its
    checksum; the playlist and the page list exactly its audio files. Its manifest."""
    manifest: dict[str, Any] = json.loads((out / "manifest.json").read_text())
    entries = manifest["files"]
    audio = [e["file"] for e in entries]
    assert sorted(os.listdir(out)) == sorted(TEXTS | set(audio) | {e["captions"] for e in entries})
    for entry in entries:
        assert sha256(out / entry["file"]) == entry["sha256"], entry["file"]
        assert sha256(out / entry["captions"]) == entry["captions_sha256"], entry["captions"]
    playlist = [line for line in (out / "playlist.m3u8").read_text().splitlines() if not line.startswith("#")]
    page = (out / "index.html").read_text()
    assert playlist == audio
    assert re.findall(r'<audio [^>]*src="([^"]+)"', page) == audio
    assert re.findall(r'<track [^>]*src="([^"]+)"', page) == [e["captions"] for e in entries]
    return manifest


def voice_of(out: Path) -> str:
    return str(json.loads((out / "manifest.json").read_text())["settings"]["voice"])


def other_voice(out: Path) -> str:
    return VOICES[1 - VOICES.index(voice_of(out))]


def leftovers(folder: Path) -> list[str]:
    return [n for n in os.listdir(folder) if n.startswith(".voiceguide-export-")]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "guide"
    done = run_cli("export", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def vtt_cues(path: Path) -> list[tuple[float, float, str]]:
    """A small WebVTT parser: (start, end, text) per cue; fails on anything malformed."""
    blocks = path.read_text(encoding="utf-8").strip().split("\n\n")
    assert blocks[0] == "WEBVTT"
    cues = []
    for block in blocks[1:]:
        ident, timing, *text = block.split("\n")
        match = re.fullmatch(r"(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})", timing)
        assert ident.isdigit() and match and text, block
        h1, m1, s1, f1, h2, m2, s2, f2 = map(int, match.groups())
        cues.append((h1 * 3600 + m1 * 60 + s1 + f1 / 1000, h2 * 3600 + m2 * 60 + s2 + f2 / 1000, " ".join(text)))
    return cues


def test_files_in_reading_order_with_the_disclaimer_first(exported: Path, guide: Guide) -> None:
    manifest = json.loads((exported / "manifest.json").read_text())
    names = [e["file"] for e in manifest["files"]]
    assert names[0] == "00-disclaimer.wav" and names[-1] == "whole-guide.wav"
    assert len(names) == len(guide.content.topics) + 2
    assert all(re.fullmatch(r"[a-z0-9-]+\.wav", n) for n in names)
    transcript = (exported / "transcript.txt").read_text()
    assert transcript.index(guide.content.disclaimer.text) < transcript.index(guide.content.topics[0].short)


def test_manifest_durations_and_checksums_match_the_audio(exported: Path) -> None:
    import hashlib

    for entry in json.loads((exported / "manifest.json").read_text())["files"]:
        path = exported / entry["file"]
        assert read_wav(path).duration == pytest.approx(entry["duration"], abs=0.002)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        # A standard decoder reads it too.
        soxi = subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True, check=True)
        assert float(soxi.stdout) == pytest.approx(entry["duration"], abs=0.01)


def test_captions_cover_each_file_without_gaps_or_overlaps(exported: Path) -> None:
    for entry in json.loads((exported / "manifest.json").read_text())["files"]:
        cues = vtt_cues(exported / entry["captions"])
        assert cues[0][0] == 0.0 and cues[-1][1] == pytest.approx(entry["duration"], abs=0.002)
        for (_, end, _), (start, _, _) in itertools.pairwise(cues):
            assert end == start


def test_every_playlist_entry_exists(exported: Path) -> None:
    lines = (exported / "playlist.m3u8").read_text().splitlines()
    assert lines[0] == "#EXTM3U"
    files = [line for line in lines if not line.startswith("#")]
    titles = [line.split(",", 1)[1] for line in lines if line.startswith("#EXTINF:")]
    assert len(files) == len(titles) and titles[0] == "Disclaimer"
    assert all((exported / f).is_file() for f in files)


def test_a_second_run_rewrites_nothing(exported: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in exported.iterdir()}
    done = run_cli("export", "--out", str(exported))
    assert done.returncode == 0 and re.search(r": 0 files written, \d+ unchanged$", done.stdout.strip())
    assert {p.name: p.stat().st_mtime_ns for p in exported.iterdir()} == before


def test_a_foreign_folder_is_refused_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "holiday.jpg").write_bytes(b"x")
    done = run_cli("export", "--out", str(tmp_path), "--topics", "summary")
    assert done.returncode == 2 and "not a VoiceGuide export" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and sorted(os.listdir(tmp_path)) == ["holiday.jpg"]
    forced = run_cli("export", "--out", str(tmp_path), "--topics", "summary", "--force")
    assert forced.returncode == 0 and (tmp_path / "12-summary.wav").is_file() and (tmp_path / "holiday.jpg").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--topics", "no_such_topic"], "unknown topic 'no_such_topic'"),
    (["--rate", "9"], "outside 0.5 to 2"),
])
def test_bad_options_are_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = run_cli("export", "--out", str(tmp_path / "out"), *args)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_an_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        done = run_cli("export", "--out", str(locked / "guide"))
        if os.geteuid() == 0:  # root writes anywhere: use a path under a file instead
            (tmp_path / "file").write_text("x")
            done = run_cli("export", "--out", str(tmp_path / "file" / "guide"))
        assert done.returncode == 2 and "cannot create the folder" in done.stderr
    finally:
        locked.chmod(0o700)


def test_ogg_vorbis_decodes(tmp_path: Path) -> None:
    done = run_cli("export", "--out", str(tmp_path), "--format", "ogg", "--topics", "summary")
    assert done.returncode == 0, done.stderr
    for entry in json.loads((tmp_path / "manifest.json").read_text())["files"]:
        assert entry["file"].endswith(".ogg")
        soxi = subprocess.run(["soxi", "-D", str(tmp_path / entry["file"])], capture_output=True, text=True,
                              check=True)
        assert float(soxi.stdout) == pytest.approx(entry["duration"], abs=0.05)


@pytest.mark.parametrize("there", ["new", "the person's", "another export's"])
def test_an_export_killed_part_way_leaves_no_partial_file(tmp_path: Path, there: str) -> None:
    from voiceguide.export import _beside_name

    out = tmp_path / "guide"
    if there == "the person's":
        out.mkdir()
    proc = start_export(out, "en-us", pause=("rendering", tmp_path / "paused"))
    wait_for_pause(tmp_path / "paused", proc)
    other = tmp_path / _beside_name(out, "0123abcd")  # another export found the folder and builds beside it
    if there == "another export's":
        other.mkdir()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert [p.name for p in tmp_path.glob(".voiceguide-export-*")] == ([other.name] if there == "another export's"
                                                                        else [])
    # The folder this export made goes with it; one the person made stays, and one another export will fill.
    assert (os.listdir(out) == []) if there != "new" else not out.exists()


def test_a_folder_that_cannot_be_made_leaves_no_parents_behind(tmp_path: Path) -> None:
    done = run_cli("export", "--out", str(tmp_path / "a" / "b" / ("x" * 300)), "--topics", "summary")
    assert done.returncode == 2 and "cannot create the folder (File name too long)" in done.stderr
    assert os.listdir(tmp_path) == []


def test_a_loop_of_links_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "one").symlink_to("two")
    (tmp_path / "two").symlink_to("one")
    done = run_cli("export", "--out", str(tmp_path / "one" / "guide"), "--topics", "summary")
    assert done.returncode == 2 and done.stderr == f"voiceguide export: {tmp_path / 'one' / 'guide'}: a loop of links\n"


@pytest.mark.realtime
@pytest.mark.slow  # a whole browser: beside the CPU-heavy fast tier its virtual time ran out
def test_the_page_plays_every_topic_with_captions_in_chromium(exported: Path) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "chromium is not installed: run scripts/setup"
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(exported), **k)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/index.html?selftest"
        done = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--autoplay-policy=no-user-gesture-required", f"--user-data-dir={exported.parent / 'chrome'}",
             "--virtual-time-budget=20000", "--dump-dom", url],
            capture_output=True, text=True, timeout=120)
    finally:
        httpd.shutdown()
    match = re.search(r'<pre id="selftest">(.*?)</pre>', done.stdout, re.S)
    assert match, done.stderr[-2000:]
    results = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    manifest = json.loads((exported / "manifest.json").read_text())["files"]
    assert [r["src"] for r in results] == [e["file"] for e in manifest]
    for result, entry in zip(results, manifest, strict=True):
        assert "error" not in result, result
        assert result["duration"] == pytest.approx(entry["duration"], abs=0.05)
        assert result["cues"] == len(vtt_cues(exported / entry["captions"]))
    page = (exported / "index.html").read_text()
    assert '<html lang="en">' in page and page.count("<track kind=\"captions\"") == len(manifest)


@pytest.mark.parametrize("step", ["built", "swapped"])
def test_an_export_killed_at_a_commit_step_leaves_one_complete_export(tmp_path: Path, step: str) -> None:
    out = tmp_path / "guide"
    assert run_cli("export", "--out", str(out), "--voice", VOICES[0], "--topics", "summary").returncode == 0
    old = one_complete_export(out)
    proc = start_export(out, VOICES[1], "--topics", "summary", pause=(step, tmp_path / "paused"))
    wait_for_pause(tmp_path / "paused", proc)
    seen = one_complete_export(out)  # what a reader sees at that moment
    kill(proc)
    after = one_complete_export(out)
    assert after == seen
    assert after == old if step == "built" else after["settings"]["voice"] == VOICES[1]


@pytest.mark.slow
def test_an_export_killed_at_twenty_moments_is_always_one_complete_export(tmp_path: Path) -> None:
    out, marker = tmp_path / "guide", tmp_path / "paused"
    began = time.monotonic()
    assert run_cli("export", "--out", str(out), "--voice", VOICES[0]).returncode == 0
    whole_run = time.monotonic() - began
    steps: list[str | float] = ["rendering", "built", "swapped"] * 2
    # The rest at moments spread over a whole run (timings on a shared machine are noisy: some land
    # before the export starts, some after it ends; the steps above are exact).
    delays: list[str | float] = [whole_run * 1.2 * i / 14 for i in range(1, 15)]
    moments = [m for pair in itertools.zip_longest(steps, delays) for m in pair if m is not None]
    assert len(moments) == 20
    for moment in moments:
        old, new = voice_of(out), other_voice(out)
        if isinstance(moment, str):
            proc = start_export(out, new, pause=(moment, marker))
            wait_for_pause(marker, proc)
        else:
            proc = start_export(out, new)
            time.sleep(moment)
        kill(proc)
        one_complete_export(out)
        if isinstance(moment, str):
            assert voice_of(out) == (new if moment == "swapped" else old), moment
    done = run_cli("export", "--out", str(out), "--voice", VOICES[0])
    assert done.returncode == 0, done.stderr
    one_complete_export(out)
    assert not leftovers(tmp_path) and not leftovers(out)


NO_EXCHANGE = """
import errno, sys
import voiceguide.export
from voiceguide.cli import main

def refused(a, b):
    raise OSError(errno.{code}, "refused in a test")

voiceguide.export._exchange = refused
sys.exit(main(sys.argv[1:]))
"""
"""The command line on a system whose renameat2 answers ``code`` (EINVAL: no RENAME_EXCHANGE there)."""


def test_without_rename_exchange_the_folder_is_swapped_by_two_renames(tmp_path: Path) -> None:
    out, marker = tmp_path / "guide", tmp_path / "paused"
    assert run_cli("export", "--out", str(out), "--voice", VOICES[0], "--topics", "summary").returncode == 0
    proc = start_export(out, VOICES[1], "--topics", "summary", patch=NO_EXCHANGE.format(code="EINVAL"))
    _stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0 and stderr == "", stderr
    assert one_complete_export(out)["settings"]["voice"] == VOICES[1] and not leftovers(tmp_path)
    # Killed between the two renames: no folder, the previous export aside; the next run puts it back.
    proc = start_export(out, VOICES[0], "--topics", "summary", patch=NO_EXCHANGE.format(code="EINVAL"),
                        pause=("moved-aside", marker))
    wait_for_pause(marker, proc)
    kill(proc)
    assert not out.exists()
    done = run_cli("export", "--out", str(out), "--voice", VOICES[1], "--topics", "summary")
    assert done.returncode == 0 and ": 0 files written" in done.stdout, done.stdout + done.stderr
    assert voice_of(out) == VOICES[1] and one_complete_export(out) and not leftovers(tmp_path)


def test_a_folder_that_cannot_be_swapped_is_updated_file_by_file_with_a_note(tmp_path: Path) -> None:
    out = tmp_path / "guide"
    assert run_cli("export", "--out", str(out), "--voice", VOICES[0], "--topics", "summary").returncode == 0
    proc = start_export(out, VOICES[1], "--topics", "summary", patch=NO_EXCHANGE.format(code="EPERM"))
    _stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0 and "not in one step, because the rename was refused" in stderr, stderr
    assert one_complete_export(out)["settings"]["voice"] == VOICES[1]
    assert not leftovers(tmp_path) and not leftovers(out)


def test_forced_into_a_folder_with_folders_of_its_own_and_killed_part_way(tmp_path: Path) -> None:
    site, marker = tmp_path / "site", tmp_path / "paused"
    (site / "photos").mkdir(parents=True)
    (site / "photos" / "a.jpg").write_bytes(b"photo")
    (site / "notes.txt").write_text("mine")
    own = {"photos", "notes.txt"}
    done = run_cli("export", "--out", str(site), "--voice", VOICES[0], "--topics", "summary", "--force")
    assert done.returncode == 0 and "holds folders that are not part of the export" in done.stderr, done.stderr
    # Killed after the first new file is in (the disclaimer is unchanged, so that is a new topic's file):
    # a mix is possible here, as the note said; the next run still takes the folder as its export and
    # removes what the killed run had put in.
    proc = start_export(site, VOICES[0], "--topics", "recovery,summary", "--force", pause=("replacing", marker))
    wait_for_pause(marker, proc)
    kill(proc)
    assert (site / "09-recovery-and-after-care.wav").exists()
    done = run_cli("export", "--out", str(site), "--voice", VOICES[0], "--topics", "summary", "--force")
    assert done.returncode == 0, done.stderr
    export_only = tmp_path / "export-only"
    shutil.copytree(site, export_only, ignore=lambda folder, names: own & set(names))
    assert voice_of(site) == VOICES[0] and one_complete_export(export_only)
    assert (site / "photos" / "a.jpg").read_bytes() == b"photo" and (site / "notes.txt").read_text() == "mine"
    assert not leftovers(tmp_path) and not leftovers(site)


def test_a_smaller_export_leaves_only_its_own_files(tmp_path: Path) -> None:
    out = tmp_path / "guide"
    for topics in ("recovery,summary", "summary", "recovery,summary"):
        done = run_cli("export", "--out", str(out), "--voice", VOICES[0], "--topics", topics)
        assert done.returncode == 0, done.stderr
        names = [e["file"] for e in one_complete_export(out)["files"]]
        assert len(names) == len(topics.split(",")) + 2


def test_an_export_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real, link = tmp_path / "real", tmp_path / "link"
    real.mkdir()
    link.symlink_to(real)
    for voice in VOICES:
        assert run_cli("export", "--out", str(link), "--voice", voice, "--topics", "summary").returncode == 0
    assert link.is_symlink() and voice_of(real) == VOICES[1] and one_complete_export(real)
    assert not leftovers(tmp_path)


WRITE_WAV_AND_CONFIG = """
import sys
from pathlib import Path
from voiceguide.audio import silence, write_wav
from voiceguide.config import Config, save_config

write_wav(Path(sys.argv[1]), silence(0.1, 16000))
save_config(Config(), Path(sys.argv[2]))
"""


@pytest.mark.parametrize("mask", [0o022, 0o077])
def test_files_are_readable_as_the_umask_says(tmp_path: Path, mask: int) -> None:
    out = tmp_path / "guide"
    done = run_cli("export", "--out", str(out), "--topics", "summary", umask=mask)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~mask
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()}
    assert len(modes) == 10 and set(modes.values()) == {0o666 & ~mask}, modes
    subprocess.run([sys.executable, "-c", WRITE_WAV_AND_CONFIG, str(tmp_path / "a.wav"), str(tmp_path / "c.yaml")],
                   env=cli_env(), umask=mask, check=True)
    for name in ("a.wav", "c.yaml"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~mask, name
        (tmp_path / name).chmod(0o600)  # made private: written again, it stays so
    subprocess.run([sys.executable, "-c", WRITE_WAV_AND_CONFIG, str(tmp_path / "a.wav"), str(tmp_path / "c.yaml")],
                   env=cli_env(), umask=mask, check=True)
    for name in ("a.wav", "c.yaml"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
        (tmp_path / name).chmod(0o4755)  # a set-user-id bit is never carried over
    subprocess.run([sys.executable, "-c", WRITE_WAV_AND_CONFIG, str(tmp_path / "a.wav"), str(tmp_path / "c.yaml")],
                   env=cli_env(), umask=mask, check=True)
    for name in ("a.wav", "c.yaml"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o755, name


def test_files_an_older_version_left_private_become_readable_without_being_rewritten(tmp_path: Path) -> None:
    out = tmp_path / "guide"
    assert run_cli("export", "--out", str(out), "--topics", "summary", umask=0o022).returncode == 0
    for path in out.iterdir():
        path.chmod(0o600)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    done = run_cli("export", "--out", str(out), "--topics", "summary", umask=0o022)
    assert done.returncode == 0 and ": 0 files written" in done.stdout
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o644}
