"""Fakes at the edge, for dialogue logic in milliseconds: a room instead of the microphone, a speaker
advanced one block per microphone frame, a recogniser that reads from a script what the person said.

Everything between them is real: the endpointer, understanding, the conversation, synthesis and
playback. Time is counted in audio (10 ms a frame), so no test depends on the machine's speed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from voiceguide import playback
from voiceguide.hearing import FRAME_BYTES, FRAME_MS
from voiceguide.playback import FrameClock, Playback
from voiceguide.recognize import SAMPLE_RATE, Recognizer, Transcript
from voiceguide.speak import Sentence

FRAME_SAMPLES = FRAME_BYTES // 2


class FramePlayer(playback.FramePlayer):
    """The speaker: plays one block each time the room records one frame; counts answers."""

    def __init__(self, rate: int, clock: FrameClock) -> None:
        super().__init__(rate, clock)
        self.answers = 0
        """Answers started so far."""

    def start(self, sentences: Iterable[Sentence]) -> Playback:
        self.answers += 1
        return super().start(sentences)

    @property
    def sounding(self) -> bool:
        """The speaker is making the guide's voice now (a paused answer is silent)."""
        current = self._current
        return current is not None and not current.done and not current.paused


class ScriptedRecognizer(Recognizer):
    """Hears what the room says the person is saying; the guide's echo alone is heard as ``echo_text``."""

    engine = "scripted"

    def __init__(self, room: Room, echo_text: str = "") -> None:
        self.room = room
        self.echo_text = echo_text
        self._heard: list[str] = []

    def start(self) -> None:
        self._heard = []

    def accept(self, pcm: bytes) -> None:
        saying = self.room.saying
        if saying and saying not in self._heard:
            self._heard.append(saying)

    def finish(self) -> Transcript:
        text = " ".join(self._heard) if self._heard else self.echo_text
        return Transcript(text, 1.0, command=text if len(text.split()) <= 2 else "")


@dataclass(frozen=True)
class Say:
    """One thing the person says, and when."""

    text: str
    after_guide_ms: int | None = 0
    """Start this long after the guide's last sample (None: see ``over_ms``)."""
    over_ms: int | None = None
    """Instead, start this long after the guide began speaking, over it."""
    seconds: float = 0.6
    pause: tuple[float, float] | None = None
    """A quiet stretch within it, (from, seconds): "stop, ... I have had enough"."""


@dataclass(frozen=True)
class Quiet:
    """Nobody speaks for this long."""

    seconds: float


class Room:
    """The microphone: the person's voice when the script says so, plus the speaker's echo."""

    def __init__(self, echo_gain: float = 0.0) -> None:
        self.echo_gain = echo_gain
        self.saying = ""
        """What the person is saying in the frame just recorded ("" when they are quiet)."""
        self.player: FramePlayer | None = None

    def _frame(self, voice: np.ndarray | None) -> bytes:
        assert self.player is not None
        sound = np.zeros(FRAME_SAMPLES)
        speaker = self.player.tick().astype(np.float64)  # the speaker's tick is the clock's
        if self.echo_gain:
            positions = np.linspace(0, len(speaker) - 1, FRAME_SAMPLES)
            sound += self.echo_gain * np.interp(positions, np.arange(len(speaker)), speaker)
        if voice is not None:
            sound += voice
        return np.clip(sound, -32768, 32767).astype("<i2").tobytes()

    def _quiet(self, seconds: float) -> Iterator[bytes]:
        self.saying = ""
        for _ in range(round(seconds * 1000 / FRAME_MS)):
            yield self._frame(None)

    def _speak(self, say: Say) -> Iterator[bytes]:
        t = np.arange(round(say.seconds * SAMPLE_RATE)) / SAMPLE_RATE
        # A buzz with a syllable rhythm: loud enough for the endpointer, nothing like the guide's voice.
        voice = 6000 * np.sign(np.sin(2 * np.pi * 140 * t)) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))
        if say.pause is not None:
            voice[(t >= say.pause[0]) & (t < say.pause[0] + say.pause[1])] = 0
        for start in range(0, len(voice), FRAME_SAMPLES):
            self.saying = say.text
            yield self._frame(voice[start : start + FRAME_SAMPLES])
        self.saying = ""

    def frames(self, script: list[Say | Quiet], player: FramePlayer) -> Iterator[bytes]:
        """The microphone's frames for ``script``, then quiet until the guide has finished."""
        self.player = player
        answered = player.answers
        for step in script:
            if isinstance(step, Quiet):
                yield from self._quiet(step.seconds)
                continue
            if step.over_ms is not None:
                while not player.sounding:
                    yield self._frame(None)
                yield from self._quiet(step.over_ms / 1000)
            else:
                for _ in range(300):  # the reply to what was said before (if any) begins within 3 s
                    if player.answers > answered:
                        break
                    yield self._frame(None)
                while player.sounding:
                    yield self._frame(None)
                yield from self._quiet((step.after_guide_ms or 0) / 1000)
            answered = player.answers
            yield from self._speak(step)
        yield from self._quiet(1.0)
        while player.sounding:
            yield self._frame(None)
        yield from self._quiet(1.0)
