"""The spoken conversation: frames in, answers out, one turn at a time.

A :class:`Session` listens all the time, also while the guide speaks. Any
understood utterance acts at once: a control ("stop", "pause", "slower")
on the answer playing, a question by cutting it off and answering. While
the guide speaks, an utterance that is not understood is taken for the
guide's own voice leaking into the microphone (or other noise) and ignored,
so only meaningful speech barges in; and since the guide's voice is full of
guide words, only a command (not a question) cuts in while it speaks. Each turn can be logged as one JSON
event: transcript, intent, answer, interrupted, latency_ms,
trailing_silence_ms.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .audio import read_wav
from .dialogue import Action, Conversation, Reply
from .hearing import FRAME_BYTES, FRAME_MS, Listener, Utterance, frames_of
from .playback import Playback, StreamPlayer
from .recognize import SAMPLE_RATE
from .speak import Speech
from .understand import understand_heard

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Turn:
    """One utterance and what the guide did with it."""

    transcript: str
    intent: str | None
    answer: str
    interrupted: bool
    """An answer was playing and this utterance cut it off (or paused it)."""
    latency_ms: float | None
    """End-of-utterance decision to the first sample of the answer leaving for the speaker."""
    trailing_silence_ms: int


class Session:
    """Joins listening, the conversation and speaking."""

    def __init__(self, conversation: Conversation, listener: Listener, speech: Speech, player: StreamPlayer,
                 events: TextIO | None = None, show: Callable[[str], None] | None = None) -> None:
        self.conversation = conversation
        self.listener = listener
        self.speech = speech
        self.player = player
        self.events = events
        self.show = show
        """Called with each answer's text as it is spoken (the command line prints it)."""
        self.turns: list[Turn] = []
        self._playing: Playback | None = None
        self.ended = False

    def say(self, text: str) -> Playback:
        """Speak ``text`` now, cutting off whatever plays."""
        settings = self.conversation.state.settings
        self._playing = self.player.start(self.speech.sentences(text, settings.rate, settings.volume))
        return self._playing

    @property
    def speaking(self) -> bool:
        return self._playing is not None and not self._playing.done

    def run(self, frames: Iterable[bytes]) -> None:
        """Listen to ``frames`` until they end or the listener says goodbye."""
        for frame in frames:
            utterance = self.listener.feed(frame)
            if utterance is not None:
                self.turn(utterance)
            if self.ended:
                break
        if self._playing is not None:
            self._playing.wait(60)

    def turn(self, utterance: Utterance) -> Turn | None:
        """Act on one utterance; the Turn, or None if it was ignored as echo or noise."""
        heard = utterance.transcript
        understanding = understand_heard(self.conversation.guide.understander, heard.text, heard.command,
                                         heard.alternatives)
        speaking = self.speaking
        is_control = understanding.understood and understanding.intent is not None \
            and understanding.intent.kind == "control"
        if speaking and not is_control:
            # Stricter while speaking: the guide's own voice leaks into the microphone, and it is
            # full of guide words. Only a listener's command cuts in.
            log.debug("ignored while speaking: %r", heard.text)
            return None
        if not heard.text and not understanding.understood:
            return None
        reply = self.conversation.respond(heard.text, understanding)
        playback = self._act(reply)
        if self.show is not None:
            self.show(reply.text)
        latency = None
        if playback is not None:
            while playback.timing.first_sample is None and not playback.done:
                time.sleep(0.001)
            if playback.timing.first_sample is not None:
                latency = (playback.timing.first_sample - utterance.ended_at) * 1000
        turn = Turn(heard.text, reply.intent, reply.text, speaking, latency,
                    self.listener.config.trailing_silence_ms)
        self.turns.append(turn)
        if self.events is not None:
            self.events.write(json.dumps(turn.__dict__, ensure_ascii=False) + "\n")
            self.events.flush()
        return turn

    def _act(self, reply: Reply) -> Playback | None:
        playing = self._playing
        if reply.action is Action.STOP:
            if playing is not None:
                playing.stop()
            return None
        if reply.action is Action.PAUSE and playing is not None and not playing.done:
            playing.pause()
            return None
        if reply.action is Action.RESUME and playing is not None and playing.paused:
            playing.resume()
            return None
        if reply.action is Action.GOODBYE:
            self.ended = True
        return self.say(reply.text)


def scripted_frames(files: list[str], session: Session, gap_s: float = 1.0, realtime: bool = True) -> Iterator[bytes]:
    """WAV files as a microphone: each after the guide has stopped speaking (a name starting
    with "+" is said over the answer instead), then ``gap_s`` of silence; in real time."""
    silence = bytes(FRAME_BYTES)
    clock = time.perf_counter()

    def paced(frame: bytes) -> bytes:
        nonlocal clock
        if realtime:
            clock += FRAME_MS / 1000
            time.sleep(max(0.0, clock - time.perf_counter()))
        return frame

    for name in files:
        over = name.startswith("+")
        path = Path(name[1:] if over else name)
        audio = read_wav(path, SAMPLE_RATE)
        while not over and session.speaking:
            yield paced(silence)
        if over:
            for _ in range(int(0.8 * 1000 / FRAME_MS)):  # let the answer get going first
                yield paced(silence)
        for frame in frames_of(audio.to_bytes()):
            yield paced(frame)
        for _ in range(int(gap_s * 1000 / FRAME_MS)):
            yield paced(silence)
    while session.speaking:
        yield paced(silence)
