"""A stop or pause said over the guide is acted on at once from the streaming command pass only with a
second opinion (the keyword spotter's phrase, or the engine's words when they are in already);
otherwise the words decide. The real listener, session, dialogue and understanding; a scripted engine
at the edge."""

from __future__ import annotations

import pytest

from voiceguide.app import App
from voiceguide.config import Config
from voiceguide.converse import Session
from voiceguide.hearing import EndpointConfig, Listener
from voiceguide.recognize import Spot, Transcript

from .fakes import FrameClock, FramePlayer, Room, Say
from .test_spotting import Spotting


@pytest.fixture(scope="module")
def app() -> App:
    return App(Config())


class Misheard(Spotting):
    """A scripted engine whose command pass and keyword spotter mishear: ``commands`` maps what is said to
    what the pass makes of it, ``spots`` to the phrase the spotter hears in it (only over the guide, and
    late, past EndpointConfig.spot_within_s: never acted on alone, only a second opinion when the
    utterance ends). ``ready``: the words are decoded by the time the end is decided, as Whisper's early
    decode has them on a quiet machine."""

    engine = "misheard"

    def __init__(self, room: Room, commands: dict[str, str], spots: dict[str, str] | None = None,
                 ready: bool = False, words: dict[str, tuple[str, ...]] | None = None,
                 placed: tuple[float, float] = (0.9, 1.2)) -> None:
        super().__init__(room)
        self.commands = commands
        self.spots = spots or {}
        self.words = words or {}
        """What the words make of what is said: the best reading, then the next-best ones."""
        self.placed = placed
        """Where the spotter places its phrase: start and end, in seconds into the utterance."""
        self.words_ready = ready
        self._over = False

    def _said(self) -> str:
        return " ".join(self._heard)

    def _transcript(self) -> Transcript:
        said = self._said()
        spot = self.spotted()
        best, *rest = self.words.get(said, (said,))
        return Transcript(best, 1.0, command=self.commands.get(said, ""), alternatives=tuple(rest),
                          spotted=spot.phrase if spot else "")

    def command(self) -> str | None:
        self.calls.append("command")
        return self._transcript().command

    def spotted(self) -> Spot | None:
        phrase = self.spots.get(self._said()) if self._over else None
        return Spot(phrase, *self.placed, self.placed[1] + 0.1) if phrase else None

    def ready(self) -> Transcript | None:
        return self._transcript() if self.words_ready else None

    def finish(self) -> Transcript:
        self.calls.append("words")
        return self._transcript()


def over_the_guide(app: App, said: str, recognizer: Misheard, seconds: float = 0.5) -> tuple[Session, list[str]]:
    """A question answered, then ``said`` over the answer: the session and the engine's calls for it."""
    clock = FrameClock()
    player = FramePlayer(app.speech.synthesizer.sample_rate, clock)
    session = app.session(app.conversation(home=False), Listener(recognizer, EndpointConfig(), clock=clock), player)
    session.run(recognizer.room.frames([Say("what are the symptoms"), Say(said, over_ms=800, seconds=seconds)],
                                       player))
    last = len(recognizer.calls) - recognizer.calls[::-1].index("start")
    return session, recognizer.calls[last:]


def test_the_command_pass_alone_waits_for_the_words(app: App) -> None:
    # Said over the guide and heard by the pass as "stop": the words decide, and they are no stop.
    for said, command in [("how do you take a blood culture", "stop"), ("nah", "enough"),
                          ("yeah go on", "hang on")]:
        session, calls = over_the_guide(app, said, Misheard(Room(), {said: command}))
        assert calls == ["commands_only", "command", "words"], said
        assert session.turns[-1].decision != "barge_in", said
        assert session.turns[-1].transcript == said


def test_a_next_best_reading_of_words_in_already_is_a_second_opinion(app: App) -> None:
    # "stop" heard by Whisper as "stah": with "stop" among its next-best readings, acted on at once;
    # without, the words are waited for (and the pass's reading stands in for them).
    for readings, at_once in [(("stah", "star", "stop"), True), (("stah", "star"), False)]:
        recognizer = Misheard(Room(), {"stop": "stop"}, words={"stop": readings}, ready=True)
        session, calls = over_the_guide(app, "stop", recognizer, seconds=0.3)
        assert calls == ["commands_only", "command", "drop" if at_once else "words"], readings
        assert session.turns[-1].decision == "barge_in"


def test_with_the_spotter_agreeing_the_command_pass_acts_at_once(app: App) -> None:
    recognizer = Misheard(Room(), {"pause please": "pause please"}, spots={"pause please": "pause"})
    session, calls = over_the_guide(app, "pause please", recognizer)
    assert calls == ["commands_only", "command", "drop"]  # the words never waited for
    turn = session.turns[-1]
    assert (turn.transcript, turn.intent, turn.decision) == ("pause please", "control.pause", "barge_in")
    assert session.playing is not None and session.playing.paused


def test_the_spotter_agrees_only_when_it_heard_the_same_command(app: App) -> None:
    # In pink noise: the pass heard a pause ("hang on a moment"), the spotter a stop ("enough").
    said = "tell us a bit more about that"
    recognizer = Misheard(Room(), {said: "hang on a moment"}, spots={said: "enough"})
    session, calls = over_the_guide(app, said, recognizer, seconds=1.2)
    assert calls == ["commands_only", "command", "words"] and session.turns[-1].decision != "barge_in"


def test_the_words_when_in_already_are_a_second_opinion_both_ways(app: App) -> None:
    # A stop the early decode has the words of: acted on at once. A question the pass made a stop of,
    # with its words in: not acted on, at once or after.
    session, calls = over_the_guide(app, "stop", Misheard(Room(), {"stop": "stop"}, ready=True), seconds=0.3)
    assert calls == ["commands_only", "command", "drop"] and session.turns[-1].decision == "barge_in"
    said = "what is sciatica"
    session, calls = over_the_guide(app, said, Misheard(Room(), {said: "stop that"}, ready=True))
    assert calls == ["commands_only", "command", "words"] and session.turns[-1].decision != "barge_in"


def test_after_the_words_the_command_pass_still_stands_in_for_a_short_utterance_they_leave_unclear(
        app: App) -> None:
    # A lone "pause" in pink noise, heard by Whisper as "fight": no second opinion at once, but once
    # the words are in, the pass's reading stands in for them as it does when the guide is silent.
    session, calls = over_the_guide(app, "pause", Misheard(Room(), {"pause": "pause"}, words={"pause": ("fight",)}),
                                    seconds=0.3)
    assert calls == ["commands_only", "command", "words"]
    turn = session.turns[-1]
    assert (turn.intent, turn.decision) == ("control.pause", "barge_in")


# The utterance's audio begins 0.18 s before its speech (the pre-roll less the 120 ms that start it).


def test_a_phrase_the_spotter_hears_at_the_end_of_a_short_utterance_is_only_a_second_opinion(app: App) -> None:
    # "turn it up" heard as "... stop": after other words, and nothing said after it. The command pass
    # heard "from the top": no stop, at once or after.
    said = "turn it up"
    recognizer = Misheard(Room(), {said: "from the top"}, spots={said: "stop"}, placed=(0.42, 0.78))
    session, calls = over_the_guide(app, said, recognizer, seconds=0.6)
    assert calls == ["commands_only", "command", "words"] and session.turns[-1].decision != "barge_in"


def test_a_phrase_the_spotter_hears_after_other_words_is_acted_on_once_the_person_goes_on(app: App) -> None:
    # "stop stop, that is enough": the second "stop" ends a clause, and the person goes on.
    said = "stop stop that is enough"
    recognizer = Misheard(Room(), {}, spots={said: "stop"}, placed=(0.4, 0.78))
    session, calls = over_the_guide(app, said, recognizer, seconds=2.0)
    assert calls == ["commands_only", "command", "words"]  # not yet: no gap in the speech
    pausing = Misheard(Room(), {}, spots={said: "stop"}, placed=(0.4, 0.78))
    clock = FrameClock()
    player = FramePlayer(app.speech.synthesizer.sample_rate, clock)
    listener = Listener(pausing, EndpointConfig(), clock=clock)
    session = app.session(app.conversation(home=False), listener, player)
    session.run(pausing.room.frames([Say("what are the symptoms"),
                                     Say(said, over_ms=800, seconds=2.0, pause=(0.6, 0.3))], player))
    turn = session.turns[-1]
    assert (turn.transcript, turn.decision) == ("stop", "barge_in")
    assert pausing.calls[-2:] == ["commands_only", "drop"]
