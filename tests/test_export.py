"""Audio export: files that decode, captions that fit, a page that plays in a real browser."""

from __future__ import annotations

import http.server
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from voiceguide.audio import read_wav
from voiceguide.guide import Guide

from .conftest import REPO


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voiceguide", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=600)


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


def test_an_export_killed_part_way_leaves_no_partial_file(tmp_path: Path) -> None:
    out = tmp_path / "guide"
    proc = subprocess.Popen([sys.executable, "-m", "voiceguide", "export", "--out", str(out), "--voice", "piper"],
                            env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(out.glob("*.wav")):
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert not list(tmp_path.glob(".voiceguide-export-*")) and not list(out.glob(".*"))
    for wav in out.glob("*.wav"):
        read_wav(wav)  # every file there is whole
    assert not (out / "manifest.json").exists()


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
