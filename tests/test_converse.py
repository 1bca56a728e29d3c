"""The spoken conversation at home, end to end: real recognition, real synthesis, scripted microphone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from voiceguide.audio import read_wav
from voiceguide.guide import Guide

from .conftest import REPO
from .sound import sounding_seconds
from .speech import spoken_wav


def test_a_spoken_conversation_with_more_and_stop_mid_answer(tmp_path: Path, guide: Guide) -> None:
    wavs = [spoken_wav(tmp_path, q) for q in ("what are the symptoms", "more detail", "stop", "next topic")]
    out, events = tmp_path / "guide.wav", tmp_path / "events.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "voiceguide", "listen", "--from-wavs", str(wavs[0]), str(wavs[1]), f"+{wavs[2]}",
         str(wavs[3]), "--to-wav", str(out), "--events", str(events)],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300)
    assert done.returncode == 0, done.stderr
    turns = [json.loads(line) for line in events.read_text().splitlines()]
    symptoms = guide.content.topic("symptoms")
    assert [t["intent"] for t in turns] == ["topic.symptoms", "control.more", "control.stop", "control.next"]
    assert turns[0]["answer"] == symptoms.short and turns[1]["answer"] == symptoms.detail
    assert [t["interrupted"] for t in turns] == [False, False, True, False]
    assert turns[3]["answer"].startswith(f"Topic {symptoms.number + 1},")
    assert all(t["trailing_silence_ms"] == 500 for t in turns)
    answered = [t for t in turns if t["intent"] != "control.stop"]
    assert all(t["latency_ms"] is not None and 0 < t["latency_ms"] < 2000 for t in answered)
    # The greeting and the disclaimer open the first conversation; the timeline holds everything said.
    assert done.stdout.startswith(guide.content.replies.say("greeting"))
    assert guide.content.disclaimer.text in done.stdout.splitlines()[0]
    timeline = read_wav(out)
    assert sounding_seconds(timeline) > 10 and timeline.duration > 20


def test_listen_without_a_microphone_points_to_chat() -> None:
    done = subprocess.run([sys.executable, "-m", "voiceguide", "listen", "--input-device", "no-such-microphone"],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "no microphone 'no-such-microphone'" in line and "voiceguide chat" in line
