"""Dialogue logic in milliseconds: barge-in, the echo rule, quick replies, push-to-talk, the station's
wake and idle reset, and the microphone timeout. Real understanding, conversation, synthesis and
playback; the room, the speaker and the recogniser are the fakes at the edge (see fakes.py)."""

from __future__ import annotations

import errno
import io
import json
import logging

import pytest

from voiceguide.app import App
from voiceguide.config import Config
from voiceguide.converse import DECISIONS, Session, Station, StationConfig, Turn
from voiceguide.hearing import FRAME_BYTES, EndpointConfig, Listener, first_utterance
from voiceguide.recognize import Transcript

from .fakes import FrameClock, FramePlayer, Quiet, Room, Say, ScriptedRecognizer


@pytest.fixture(scope="module")
def app() -> App:
    return App(Config())


def converse(app: App, script: list[Say | Quiet], echo_gain: float = 0.0, echo_text: str = "",
             push_to_talk: bool = False) -> tuple[Session, list[dict[str, object]]]:
    """Run a home session over ``script``; the session and its events file, parsed."""
    clock = FrameClock()
    room = Room(echo_gain)
    listener = Listener(ScriptedRecognizer(room, echo_text), EndpointConfig(), clock=clock)
    player = FramePlayer(app.speech.synthesizer.sample_rate, clock)
    events = io.StringIO()
    session = app.session(app.conversation(home=False), listener, player, events)
    session.push_to_talk = push_to_talk
    session.run(room.frames(script, player))
    return session, [json.loads(line) for line in events.getvalue().splitlines()]


def spoken(turns: list[Turn]) -> list[Turn]:
    return [t for t in turns if not t.decision.startswith("ignored")]


def test_every_decision_is_logged_and_known(app: App) -> None:
    session, events = converse(app, [Say("what are the symptoms"), Say("tell me more")])
    assert [e["intent"] for e in events] == ["fact.symptoms", "control.more"]
    assert all(e["decision"] in DECISIONS for e in events)
    assert [t.decision for t in session.turns] == ["answered", "answered"]


@pytest.mark.parametrize("gap_ms", [0, 50, 100, 200])
def test_a_quick_reply_without_echo_is_answered(app: App, gap_ms: int) -> None:
    _, events = converse(app, [Say("what are the symptoms"), Say("tell me more", after_guide_ms=gap_ms)])
    symptoms = app.guide.content.topic("symptoms")
    assert [(e["intent"], e["decision"]) for e in events] == [("fact.symptoms", "answered"),
                                                              ("control.more", "answered")]
    assert events[1]["answer"] == symptoms.detail


@pytest.mark.parametrize("gap_ms", [0, 50, 100, 200])
def test_a_quick_reply_with_echo_is_never_dropped(app: App, gap_ms: int) -> None:
    """The guide's voice at -6 dB in the microphone: the reply is answered, or the guide asks for it
    again; it never goes unanswered."""
    # A reply of a second ("tell me more about that"): over the echo, speech must run on well past it.
    _, events = converse(app, [Say("what are the symptoms"), Say("tell me more", after_guide_ms=gap_ms, seconds=1.0)],
                         echo_gain=0.5, echo_text="speaking faster")
    replies = [e for e in events if not str(e["decision"]).startswith("ignored")]
    assert replies[0]["intent"] == "fact.symptoms"
    last = replies[-1]
    assert last["decision"] in ("answered", "asked_again")
    if last["decision"] == "answered":
        assert last["intent"] == "control.more"
    else:
        assert last["answer"] == app.guide.content.replies.say("say_again")
    assert all(e["decision"] in ("answered", "asked_again", "ignored_echo") for e in events)


def test_the_guides_own_echo_never_cuts_in(app: App) -> None:
    """Echo heard as a command ("speaking faster") while the guide speaks is ignored, and logged."""
    session, events = converse(app, [Say("what are the symptoms"), Quiet(0.5)], echo_gain=0.5,
                               echo_text="speaking faster")
    assert events[0]["intent"] == "fact.symptoms"
    echoes = events[1:]
    assert echoes and all(e["decision"] == "ignored_echo" and e["answer"] == "" for e in echoes)
    assert session.conversation.state.settings.rate_step == Config().rate_step


def test_stop_and_pause_cut_in_but_a_question_over_the_answer_does_not(app: App) -> None:
    session, events = converse(app, [
        Say("what are the symptoms"), Say("stop", over_ms=800, seconds=0.3),
        Say("tell me more"), Say("what is recovery like", over_ms=800), Quiet(1.0),
        Say("pause", over_ms=300, seconds=0.3), Say("resume", seconds=0.4)])
    decisions = [(e["intent"], e["decision"]) for e in events]
    assert decisions[:3] == [("fact.symptoms", "answered"), ("control.stop", "barge_in"),
                             ("control.more", "answered")]
    assert (None, "ignored_echo") in decisions[3:]
    assert ("control.pause", "barge_in") in decisions and decisions[-1] == ("control.resume", "answered")
    stopped = [p for p in [session.playing] if p is not None]
    assert stopped and stopped[0].done


def test_push_to_talk_hears_only_after_the_key(app: App) -> None:
    clock = FrameClock()
    room = Room()
    listener = Listener(ScriptedRecognizer(room), EndpointConfig(), clock=clock)
    player = FramePlayer(app.speech.synthesizer.sample_rate, clock)
    session = app.session(app.conversation(home=False), listener, player)
    session.push_to_talk = True
    frames = room.frames([Say("what are the symptoms"), Quiet(0.5)], player)
    for _ in range(150):  # the question, before any key press: not heard
        session.hear(next(frames))
    assert session.turns == []
    session.press_to_talk()
    session.run(room.frames([Quiet(0.3), Say("what are the symptoms")], player))
    assert [(t.intent, t.decision) for t in session.turns] == [("fact.symptoms", "answered")]


def test_the_station_wakes_answers_and_forgets_after_idle(app: App) -> None:
    clock = FrameClock()
    room = Room()
    recognizer = ScriptedRecognizer(room)
    listener = Listener(recognizer, EndpointConfig(), clock=clock)
    player = FramePlayer(app.speech.synthesizer.sample_rate, clock)
    log = io.StringIO()

    def make_session() -> Session:
        return app.session(app.conversation(home=False), listener, player)

    station = Station(make_session, StationConfig(idle_s=2.0), log)
    station.run(room.frames([Say("what are the symptoms"), Say("hello guide"), Say("speak slower please"),
                             Say("what are the symptoms"), Say("tell me more", after_guide_ms=2500)], player))
    records = [json.loads(line) for line in log.getvalue().splitlines()]
    assert [r["event"] for r in records] == ["start", "turn", "turn", "idle_goodbye"]
    assert [r["intent"] for r in records if r["event"] == "turn"] == ["control.slower", "fact.symptoms"]
    assert "transcript" not in records[1]  # intent names and timings only, by default
    assert not station.active and station.conversations == 1
    # The next visitor starts afresh: the slower voice was forgotten, and "more" was not answered.
    assert station.session.conversation.state.settings == Config().voice_settings
    assert station.session.turns == []


class FullDisk(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_station_whose_log_cannot_be_written_goes_on_answering(app: App, caplog: pytest.LogCaptureFixture) -> None:
    clock = FrameClock()
    room = Room()
    listener = Listener(ScriptedRecognizer(room), EndpointConfig(), clock=clock)
    player = FramePlayer(app.speech.synthesizer.sample_rate, clock)
    station = Station(lambda: app.session(app.conversation(home=False), listener, player),
                      StationConfig(idle_s=2.0), FullDisk())
    with caplog.at_level(logging.WARNING, logger="voiceguide"):
        station.run(room.frames([Say("hello guide"), Say("what are the symptoms"), Say("how long is recovery")],
                                player))
    assert [t.intent for t in station.session.turns] == ["fact.symptoms", "topic.recovery"]
    assert [r.getMessage() for r in caplog.records] == [
        "the station log cannot be written (No space left on device): the station goes on without it"]


def test_a_quiet_microphone_times_out() -> None:
    room_clock = FrameClock()
    listener = Listener(ScriptedRecognizer(Room()), EndpointConfig(), clock=room_clock)
    silence = (bytes(FRAME_BYTES) for _ in range(100_000))
    assert first_utterance(listener, silence, timeout_s=2.0) is None
    assert next(silence) is not None  # it stopped after two seconds of audio, not at the end
    assert sum(1 for _ in silence) == 100_000 - 200 - 1


class CommandFirst(ScriptedRecognizer):
    """A scripted engine whose command pass streams and whose words come only with finish(), as
    Whisper's do: records which of the two each utterance was decided on."""

    engine = "command-first"

    def __init__(self, room: Room, echo_text: str = "") -> None:
        super().__init__(room, echo_text)
        self.calls: list[str] = []

    def start(self) -> None:
        super().start()
        self.calls.append("start")

    def command(self) -> str | None:
        self.calls.append("command")
        return super().finish().command

    def drop(self) -> None:
        self.calls.append("drop")

    def finish(self) -> Transcript:
        self.calls.append("words")
        return super().finish()


def converse_command_first(app: App, script: list[Say | Quiet], echo_gain: float = 0.0,
                           echo_text: str = "") -> tuple[Session, CommandFirst, list[list[str]]]:
    """A home session over ``script`` on CommandFirst; the calls for each utterance."""
    clock = FrameClock()
    room = Room(echo_gain)
    recognizer = CommandFirst(room, echo_text)
    player = FramePlayer(app.speech.synthesizer.sample_rate, clock)
    session = app.session(app.conversation(home=False), Listener(recognizer, EndpointConfig(), clock=clock), player)
    session.run(room.frames(script, player))
    calls, utterances = recognizer.calls, []
    for call in calls:
        if call == "start":
            utterances.append([])
        else:
            utterances[-1].append(call)
    return session, recognizer, utterances


def test_a_stop_over_the_guide_that_only_the_command_pass_hears_waits_for_the_words(app: App) -> None:
    session, _, calls = converse_command_first(app, [
        Say("what are the symptoms"), Say("stop", over_ms=800, seconds=0.3),
        Say("tell me more"), Say("pause please", over_ms=500, seconds=0.5), Say("resume", seconds=0.4)])
    assert [(t.transcript, t.intent, t.decision) for t in session.turns] == [
        ("what are the symptoms", "fact.symptoms", "answered"), ("stop", "control.stop", "barge_in"),
        ("tell me more", "control.more", "answered"), ("pause please", "control.pause", "barge_in"),
        ("resume", "control.resume", "answered")]
    # This engine has no keyword spotter and no words before finish(): the command pass has no second
    # opinion, so even a stop or a pause over the guide waits for the words (tests/test_second_opinion.py).
    assert calls == [["command", "words"]] * 5


def test_what_the_command_pass_hears_as_anything_else_over_the_guide_waits_for_the_words(app: App) -> None:
    # The guide's own echo, heard by the command pass as a command ("speaking faster"), and a question
    # said over the answer: neither is decided on the command pass, and neither cuts in.
    session, _, calls = converse_command_first(app, [Say("what are the symptoms"),
                                                     Say("what is recovery like", over_ms=800), Quiet(0.5)],
                                               echo_gain=0.5, echo_text="speaking faster")
    decisions = [t.decision for t in session.turns]
    assert decisions[0] == "answered" and "barge_in" not in decisions and "ignored_echo" in decisions
    assert calls and all(c == ["command", "words"] for c in calls)
    assert session.conversation.state.settings.rate_step == Config().rate_step


def test_a_stop_when_the_guide_is_silent_is_heard_in_full(app: App) -> None:
    # Only over the guide is anything decided early: said to a silent guide, every utterance gets the words.
    session, _, calls = converse_command_first(app, [Say("stop", seconds=0.3), Say("what are the symptoms")])
    assert [(t.intent, t.decision) for t in session.turns] == [("control.stop", "answered"),
                                                              ("fact.symptoms", "answered")]
    assert calls == [["command", "words"], ["command", "words"]]
