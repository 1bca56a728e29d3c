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


def test_the_station_wakes_converses_and_forgets(tmp_path: Path, guide: Guide) -> None:
    from voiceguide.converse import Session, Station, StationConfig, scripted_frames
    from voiceguide.dialogue import Conversation, VoiceSettings
    from voiceguide.hearing import Listener
    from voiceguide.playback import TimelinePlayer
    from voiceguide.recognize import PocketSphinxRecognizer
    from voiceguide.speak import EspeakSynthesizer, Speech
    from voiceguide.understand import command_phrases

    wake, louder, question = (spoken_wav(tmp_path, q) for q in ("hello guide", "louder", "how long is recovery"))
    recognizer = PocketSphinxRecognizer(guide.intents.language.pronunciations,
                                        [*command_phrases(guide.intents), "hello guide"])
    listener = Listener(recognizer)
    speech = Speech(EspeakSynthesizer())
    log = tmp_path / "station.jsonl"
    with TimelinePlayer(speech.synthesizer.sample_rate) as player, log.open("w") as log_to:
        player.begin()
        station = Station(lambda: Session(Conversation(guide), listener, speech, player),
                          StationConfig(idle_s=3.0), log_to)
        files = [str(question), str(wake), str(louder), "silence:4", str(question)]
        station.run(scripted_frames(files, station))
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["event"] for r in records] == ["start", "turn", "idle_goodbye"]
    assert "transcript" not in records[1] and "latency_ms" in records[1]
    # Whatever the visitor changed is forgotten: the next one starts from the station's settings.
    assert station.session.conversation.state.settings == VoiceSettings() and not station.active
    assert station.session.conversation.state.current is None
    assert station.conversations == 1


def test_stats_summarise_a_station_log(tmp_path: Path) -> None:
    log = tmp_path / "station.jsonl"
    log.write_text("\n".join(json.dumps(r) for r in (
        {"event": "start"}, {"event": "turn", "intent": "topic.recovery", "latency_ms": 60},
        {"event": "turn", "intent": None, "latency_ms": 50}, {"event": "idle_goodbye"},
        {"event": "start"}, {"event": "turn", "intent": "topic.recovery", "latency_ms": 70})) + "\n")
    done = subprocess.run([sys.executable, "-m", "voiceguide", "stats", "--log", str(log)], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60)
    assert done.returncode == 0
    assert done.stdout.splitlines() == ["2 conversations, 3 turns", "    2  topic.recovery", "    1  not understood"]
