"""The spoken conversation at home, end to end: real recognition, real synthesis, scripted microphone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from voiceguide.audio import read_wav
from voiceguide.dialogue import urgent_message
from voiceguide.guide import Guide

from .cli import voiceguide
from .conftest import REPO
from .sound import sounding_seconds
from .speech import spoken_wav


@pytest.mark.slow  # about 18 s: a whole spoken conversation
def test_a_spoken_conversation_with_more_and_stop_mid_answer(tmp_path: Path, guide: Guide) -> None:
    wavs = [spoken_wav(tmp_path, q) for q in ("what are the symptoms", "more detail", "stop", "next topic")]
    out, events = tmp_path / "guide.wav", tmp_path / "events.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "voiceguide", "listen", "--from-wavs", str(wavs[0]), str(wavs[1]), f"+{wavs[2]}",
         str(wavs[3]), "--to-wav", str(out), "--events", str(events)],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300)
    assert done.returncode == 0, done.stderr
    turns = replied_turns(events)
    symptoms = guide.content.topic("symptoms")
    assert [t["intent"] for t in turns] == ["fact.symptoms", "control.more", "control.stop", "control.next"]
    assert turns[0]["answer"].startswith(guide.content.unit("symptoms").text)
    assert turns[1]["answer"] == symptoms.detail
    assert [t["interrupted"] for t in turns] == [False, False, True, False]
    assert turns[3]["answer"].startswith(f"Topic {symptoms.number + 1},")
    assert all(t["trailing_silence_ms"] == 500 for t in turns)
    answered = [t for t in turns if t["intent"] != "control.stop"]
    # In audio time decoding takes no audio time: no latency is reported (bench/conversation.py measures it).
    assert all(t["latency_ms"] is None for t in answered)
    # The greeting and the disclaimer open the first conversation; the timeline holds everything said.
    assert done.stdout.startswith(guide.content.replies.say("greeting"))
    assert guide.content.disclaimer.text in done.stdout.splitlines()[0]
    timeline = read_wav(out)
    assert sounding_seconds(timeline) > 10 and timeline.duration > 20


def listen(tmp_path: Path, said: list[str], config: Path, *extra: str,
           stdin: str | None = None) -> tuple[subprocess.CompletedProcess[str], list[dict[str, object]]]:
    """Run ``voiceguide listen`` on spoken phrases (rendered now; "+" says one over the answer)."""
    files = [f"+{spoken_wav(tmp_path, s[1:])}" if s.startswith("+") else str(spoken_wav(tmp_path, s))
             for s in said]
    events = tmp_path / "events.jsonl"
    command = [sys.executable, "-m", "voiceguide", "listen", "--from-wavs", *files, "--events", str(events),
               "--to-wav", str(tmp_path / "guide.wav"), *extra]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO), "VOICEGUIDE_CONFIG": str(config)}) as run:
        assert run.stdin is not None
        if stdin:  # typed while the conversation runs; the input stays open (its end would end listening)
            run.stdin.write(stdin)
            run.stdin.flush()
        out, err = run.stdout.read() if run.stdout else "", run.stderr.read() if run.stderr else ""
        run.wait(timeout=600)
    done = subprocess.CompletedProcess(command, run.returncode, out, err)
    assert done.returncode == 0, done.stderr
    return done, replied_turns(events)


def replied_turns(events: Path) -> list[dict[str, object]]:
    """The turns of an events file the guide replied to (every utterance is logged, echo included)."""
    turns = [json.loads(line) for line in events.read_text().splitlines()]
    return [t for t in turns if not str(t["decision"]).startswith("ignored")]


@pytest.mark.slow
def test_every_control_by_voice_and_continue_after_a_restart(tmp_path: Path, guide: Guide) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("rate_step: 6\n")  # a brisk voice keeps the test short
    _, turns = listen(tmp_path, [
        "start over", "go to the next topic", "go back to the previous topic", "what are the symptoms",
        "tell me more", "please repeat that", "+stop please", "what can I say", "+pause please", "resume please",
        "speak slower please", "speak faster please", "speak louder please", "speak more quietly",
        "list the topics", "+stop please", "where am I", "goodbye for now"], config)
    assert [t["intent"] for t in turns] == [
        "control.start_over", "control.next", "control.previous", "fact.symptoms", "control.more",
        "control.repeat", "control.stop", "control.help", "control.pause", "control.resume", "control.slower",
        "control.faster", "control.louder", "control.quieter", "control.list_topics", "control.stop",
        "control.where_am_i", "control.goodbye"]
    topics, symptoms, say = guide.content.topics, guide.content.topic("symptoms"), guide.content.replies.say
    answers = [t["answer"] for t in turns]
    assert answers[0] == f"{say('start_over')} Topic 1, {topics[0].title}. {topics[0].short}"
    assert answers[1].startswith(f"Topic 2, {topics[1].title}.") and answers[2].startswith("Topic 1,")
    assert answers[4] == answers[5] == symptoms.detail
    assert answers[10:14] == [say("slower"), say("faster"), say("louder"), say("quieter")]
    assert answers[16] == f"You are on topic {symptoms.number} of {len(topics)}, {symptoms.title}."
    assert [t["interrupted"] for t in turns if t["interrupted"]] == [True] * 3
    assert [t["intent"] for t in turns if t["interrupted"]] == ["control.stop", "control.pause", "control.stop"]
    # A restart: the place and the settings were kept; a red flag gets the urgent message.
    again, turns = listen(tmp_path, ["continue where I left off", "I have a high fever and my legs are weak",
                                     "goodbye for now"], config)
    assert [t["intent"] for t in turns] == ["control.continue_last", "safety.urgent", "control.goodbye"]
    assert turns[0]["answer"] == f"Topic {symptoms.number}, {symptoms.title}. {symptoms.short}"
    assert turns[1]["answer"] == urgent_message(guide.content)
    assert guide.content.disclaimer.text not in again.stdout  # only on first use


@pytest.mark.realtime
@pytest.mark.slow
def test_recordings_fed_in_real_time_are_timed_as_they_are_fed(tmp_path: Path) -> None:
    """--realtime paces the files as a microphone would: the echo rule then runs on the wall clock."""
    config = tmp_path / "config.yaml"
    config.write_text("rate_step: 6\ndisclaimer_played: true\n")  # a brisk voice and a short opening
    _, turns = listen(tmp_path, ["where am I", "go to the next topic", "goodbye for now"], config, "--realtime")
    assert [(t["intent"], t["decision"]) for t in turns] == [
        ("control.where_am_i", "answered"), ("control.next", "answered"), ("control.goodbye", "answered")]
    assert all(isinstance(t["latency_ms"], float) and t["latency_ms"] > 0 for t in turns)


@pytest.mark.realtime
@pytest.mark.slow
def test_push_to_talk_hears_one_question_per_key_press(tmp_path: Path, guide: Guide) -> None:
    done, turns = listen(tmp_path, ["how long is recovery", "what are the symptoms"], tmp_path / "config.yaml",
                         "--push-to-talk", "--realtime", stdin="\n")
    assert [t["intent"] for t in turns] == ["topic.recovery"]  # no key before the second question
    assert guide.content.replies.say("push_to_talk") in done.stdout.splitlines()[0]


def test_listen_without_a_microphone_points_to_chat() -> None:
    done = subprocess.run([sys.executable, "-m", "voiceguide", "listen", "--input-device", "no-such-microphone"],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "no microphone 'no-such-microphone'" in line and "voiceguide chat" in line


def test_echo_cancel_without_a_sound_server_tool_is_one_clear_line(tmp_path: Path) -> None:
    done = voiceguide("station", "--echo-cancel", PATH=str(tmp_path))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line == "voiceguide station: echo cancelling needs PulseAudio's pactl, which is not installed"


def test_the_station_wakes_converses_and_forgets(tmp_path: Path, guide: Guide) -> None:
    from voiceguide.app import listening_vocabulary
    from voiceguide.converse import Session, Station, StationConfig, load_script, scripted_frames
    from voiceguide.dialogue import Conversation, VoiceSettings
    from voiceguide.hearing import Listener
    from voiceguide.playback import FramePlayer
    from voiceguide.pocketsphinx_engine import PocketSphinxRecognizer
    from voiceguide.speak import EspeakSynthesizer, Speech

    wake, louder, question = (spoken_wav(tmp_path, q) for q in ("hello guide", "louder", "how long is recovery"))
    recognizer = PocketSphinxRecognizer(listening_vocabulary(guide, "hello guide"))
    speech = Speech(EspeakSynthesizer())
    log = tmp_path / "station.jsonl"
    with FramePlayer(speech.synthesizer.sample_rate) as player, log.open("w") as log_to:  # audio time
        listener = Listener(recognizer, clock=player.clock)
        station = Station(lambda: Session(Conversation(guide), listener, speech, player),
                          StationConfig(idle_s=3.0), log_to)
        files = [str(question), str(wake), str(louder), "silence:4", str(question)]
        station.run(scripted_frames(load_script(files), station, timeline=player))
        station.finish()
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
    done = voiceguide("stats", "--log", str(log))
    assert done.returncode == 0
    assert done.stdout.splitlines() == ["2 conversations, 3 turns", "    2  topic.recovery", "    1  not understood"]
