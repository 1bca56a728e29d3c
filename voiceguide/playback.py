"""Speech out, playback: sentences to a sound device, stoppable at any moment.

A :class:`Playback` is one answer being played. It pulls sentences from an
iterator in a background thread (so the next sentence is synthesised while
the current one plays) and hands out fixed-size blocks of samples. Stop cuts
off at the next block; pause cuts off too, and resume restarts the
interrupted sentence from its beginning. :class:`RecordingPlayer` keeps the
blocks, for tests and files; the real sound device (:class:`devices.DevicePlayer`)
queues them ahead of the speaker and drops its queue when the sound is cut off.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import cast

import numpy as np

from .audio import Audio, Samples
from .errors import VoiceGuideError
from .speak import Sentence

log = logging.getLogger(__name__)

BLOCK_SECONDS = 0.01
"""Playback block: stop takes effect within one block (a device drops what it has queued)."""
_END = object()
ANSWER_LIMIT_S = 600.0
"""No answer plays longer: the wait for one to finish gives up then (a device that never comes back)."""


@dataclass
class Timing:
    """When things happened during one playback, as time.perf_counter() values (the player's clock).
    Samples are timed by when they sound: a device that queues sound ahead says how far ahead."""

    started: float = 0.0
    first_sample: float | None = None
    stop_requested: float | None = None
    silenced: float | None = None
    finished: float | None = None


@dataclass
class _Taken:
    """A sentence taken for playing, and when its first and last samples sound."""

    item: object
    sounds_at: float
    ends_at: float


class Playback:
    """One answer being played: a source of sample blocks with controls."""

    def __init__(self, sentences: Iterable[Sentence], rate: int,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.rate = rate
        self._clock = clock
        self.timing = Timing(started=clock())
        self.played: list[str] = []
        """Sentences that started playing, in order."""
        self.interrupted = False
        """Stopped before the end."""
        self.cuts = 0
        """Times the sound was cut off (stop, pause): a player that queues sound ahead of the
        speaker drops its queue when this changes, so that a stop is heard at once."""
        self.heard_until = 0.0
        """When the last sample handed out so far sounds (see read's ``ahead_s``)."""
        self._queue: queue.Queue[object] = queue.Queue(maxsize=2)
        self._lock = threading.Lock()
        self._current: Samples | None = None
        self._offset = 0
        self._taken: list[_Taken] = []
        """The last two sentences taken, the latest last, with when each begins to sound."""
        self._put_back: list[object] = []
        """Items to take before the queue's, the next last: a sentence a pause went back past, or
        one a waiting reader fetched."""
        self._paused = False
        self._stopped = False
        self._exhausted = False
        self._done = threading.Event()
        self._producer = threading.Thread(target=self._produce, args=(iter(sentences),), daemon=True)
        self._producer.start()

    def _produce(self, sentences: Iterator[Sentence]) -> None:
        try:
            for sentence in sentences:
                if not self._put((sentence.text, sentence.audio.resampled(self.rate).samples)):
                    return
        except Exception:  # a failure in synthesis must not hang playback
            log.exception("could not prepare the answer for playback")
        self._put(_END)

    def _put(self, item: object) -> bool:
        """Queue an item unless the playback is stopped first; False if it was."""
        while not self._stopped:
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def read(self, frames: int, wait: bool = False, ahead_s: float = 0.0) -> Samples | None:
        """The next ``frames`` samples; None once finished or stopped.

        A device cannot wait, so by default a sentence that is not ready yet is
        padded with silence. With ``wait`` (recording to memory) the call waits
        for it instead, and the last block is cut to what was played.
        ``ahead_s``: how long before this block sounds the player has queued (the first
        sample and the natural end are timed by when they sound; a stop by now, since the
        player drops its queue on a stop).
        """
        out = np.zeros(frames, dtype=np.int16)
        filled = 0
        while True:
            with self._lock:
                if self._stopped or (self._exhausted and not filled):
                    self._finish(0.0 if self._stopped else ahead_s)
                    return None
                if self._paused:
                    return out
                now = self._clock() + ahead_s
                was = filled
                filled = self._fill(out, filled, now)
                if filled > was:
                    self.heard_until = now + filled / self.rate
                if filled and self.timing.first_sample is None:
                    self.timing.first_sample = now
                if filled == frames or not wait:
                    return out
                if self._exhausted:
                    return out[:filled]
            try:  # wait, outside the lock, for the next sentence; a stop from another thread ends it
                self._accept(self._queue.get(timeout=0.05))
            except queue.Empty:
                continue

    def _fill(self, out: Samples, filled: int, sounds_at: float = 0.0) -> int:
        """Copy ready samples into ``out`` from position ``filled``; the new fill level. ``out``
        begins to sound at ``sounds_at``."""
        while filled < len(out):
            if self._current is None:
                try:
                    item = self._put_back.pop() if self._put_back else self._queue.get_nowait()
                except queue.Empty:
                    break
                self._take(item, sounds_at + filled / self.rate)
                if self._current is None:
                    break
            take = min(len(out) - filled, len(self._current) - self._offset)
            out[filled : filled + take] = self._current[self._offset : self._offset + take]
            filled += take
            self._offset += take
            if self._offset >= len(self._current):
                self._current = None
        return filled

    def _accept(self, item: object) -> None:
        with self._lock:
            self._put_back.append(item)

    def _take(self, item: object, sounds_at: float) -> None:
        """Make a queued item the current sentence, or note the end."""
        if item is _END:
            self._exhausted = True
            return
        text, samples = cast(tuple[str, Samples], item)
        self.played.append(text)
        self._current, self._offset = samples, 0
        self._taken = [*self._taken[-1:], _Taken(item, sounds_at, sounds_at + len(samples) / self.rate)]

    @property
    def ready(self) -> bool:
        """Samples are waiting to be read now (a device need not pad with silence)."""
        return not self._paused and not self._stopped and (
            self._current is not None or bool(self._put_back) or not self._queue.empty())

    def _finish(self, ahead_s: float = 0.0) -> None:
        now = self._clock() + ahead_s
        if self._stopped and self.timing.silenced is None:
            self.timing.silenced = now
        if self.timing.finished is None:
            self.timing.finished = now
        self._done.set()

    def stop(self) -> None:
        """Cut the answer off now."""
        with self._lock:
            if self._done.is_set() or self._stopped:
                return
            self.timing.stop_requested = self._clock()
            self._stopped = True
            self.interrupted = True
            self.cuts += 1

    def detach(self) -> None:
        """The player will read no more of this playback: stop it and mark it done."""
        self.stop()
        with self._lock:
            self._finish()

    def pause(self) -> None:
        """Go silent now; resume() restarts the interrupted sentence: the one being heard, which
        need not be the one being read when the player queues sound ahead."""
        with self._lock:
            if not self._paused:
                self.cuts += 1
                self._rewind(self._clock())
            self._paused = True

    def _rewind(self, now: float) -> None:
        """Make the sentence heard at ``now`` the current one, from its start."""
        if self._taken and self._taken[-1].sounds_at > now and len(self._taken) == 2:
            unheard, heard = self._taken.pop(), self._taken[-1]
            self._put_back.append(unheard.item)
            self.played.pop()
            self._current = cast(tuple[str, Samples], heard.item)[1]
        elif self._taken and (self._current is not None or self._taken[-1].ends_at > now):
            self._current = cast(tuple[str, Samples], self._taken[-1].item)[1]
        self._offset = 0

    def resume(self) -> None:
        """Carry on from the start of the sentence that was interrupted."""
        with self._lock:
            self._paused = False

    @property
    def paused(self) -> bool:
        return self._paused

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the answer has finished or been stopped; False on timeout."""
        return self._done.wait(timeout)

    @property
    def done(self) -> bool:
        """Finished or stopped: no more samples will be read (the last may not have sounded yet)."""
        return self._done.is_set()

    @property
    def over(self) -> bool:
        """Done, and its last sample has sounded (a device may have queued it ahead)."""
        finished = self.timing.finished
        return self._done.is_set() and (finished is None or finished <= self._clock())


class Player(ABC):
    """Somewhere answers can be played."""

    rate: int

    @abstractmethod
    def start(self, sentences: Iterable[Sentence]) -> Playback:
        """Begin playing (cutting off whatever plays) and return at once."""

    def close(self) -> None:  # noqa: B027 - nothing to release by default
        """Release the device, if any."""

    def play(self, sentences: Iterable[Sentence]) -> Playback:
        """Play to the end (or until stopped from another thread)."""
        playback = self.start(sentences)
        playback.wait()
        return playback


class StreamPlayer(Player):
    """A player with a continuous output stream: answers are swapped into it.

    The stream keeps running between answers, sending silence, so an answer
    starts within one block; a new answer cuts off the one playing.
    """

    def __init__(self, rate: int, clock: Callable[[], float] = time.perf_counter) -> None:
        self.rate = rate
        self.clock = clock
        """Where playback times come from; the listener's clock must be the same."""
        self._current: Playback | None = None
        self._lock = threading.Lock()

    def start(self, sentences: Iterable[Sentence]) -> Playback:
        playback = Playback(sentences, self.rate, self.clock)
        with self._lock:
            previous, self._current = self._current, playback
            if previous is not None:
                previous.detach()
            try:
                self._open()
            except VoiceGuideError as exc:  # lost mid-run: this answer goes unheard, keep_alive retries
                log.warning("cannot play the answer: %s", exc)
                playback.detach()
        return playback

    def begin(self) -> None:
        """Start the output stream now (silence until an answer comes)."""
        with self._lock:
            self._open()

    def keep_alive(self) -> None:
        """Reopen the output if it was lost (called now and then by a long-running listener)."""

    @property
    def speaking(self) -> bool:
        """An answer is playing (or paused) now."""
        current = self._current
        return current is not None and not current.over

    def play(self, sentences: Iterable[Sentence]) -> Playback:
        playback = self.start(sentences)
        self.finish(playback, ANSWER_LIMIT_S)
        return playback

    def finish(self, playback: Playback, timeout_s: float = 60.0) -> None:
        """Let ``playback`` play to its end (the last words of a conversation); a paused one is left.
        Meanwhile a stalled or lost output is reopened once a second (keep_alive): on a busy machine
        a sound server's stream can stop calling back, and the answer would never end."""
        deadline = time.monotonic() + timeout_s
        checked = time.monotonic()
        while not playback.done and not playback.paused and time.monotonic() < deadline:
            playback.wait(0.05)
            if time.monotonic() - checked >= 1.0:
                self.keep_alive()
                checked = time.monotonic()
        self.await_last_sample(playback)

    def await_last_sample(self, playback: Playback) -> None:
        """If ``playback`` ended by itself, wait until its last sample, queued ahead, has sounded."""
        finished = playback.timing.finished
        if playback.done and not playback.interrupted and finished is not None:
            time.sleep(min(max(0.0, finished - self.clock()), 1.0))

    def await_first_sample(self, playback: Playback, timeout_s: float = 5.0) -> None:
        """Wait until ``playback``'s first sample has gone to the output (or it ended)."""
        deadline = time.monotonic() + timeout_s
        while playback.timing.first_sample is None and not playback.done and time.monotonic() < deadline:
            time.sleep(0.001)

    def _block(self, frames: int, ahead_s: float = 0.0) -> Samples:
        """The next block for the stream: the current answer, or silence. ``ahead_s``: how long
        the stream has queued before this block sounds."""
        playback = self._current
        block = playback.read(frames, ahead_s=ahead_s) if playback is not None else None
        return block if block is not None else np.zeros(frames, dtype=np.int16)

    @abstractmethod
    def _open(self) -> None:
        """Make sure the output stream runs."""

    def close(self) -> None:
        with self._lock:
            if self._current is not None:
                self._current.detach()
            self._close()

    @abstractmethod
    def _close(self) -> None:
        """Stop the output stream."""

    def __enter__(self) -> StreamPlayer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class TimelinePlayer(StreamPlayer):
    """A stand-in for the speaker that keeps everything it would have played, silence
    included, in real time: what the guide said, on the conversation's timeline.

    With ``realtime=False`` it takes blocks as fast as they come and keeps none: a sink for
    feeding a conversation faster than real time (the soak benchmark).
    """

    def __init__(self, rate: int, realtime: bool = True) -> None:
        super().__init__(rate)
        self.realtime = realtime
        self.blocks: list[Samples] = []
        self._running = threading.Event()
        self._thread: threading.Thread | None = None

    def _open(self) -> None:
        if self._thread is None:
            self._running.set()
            self._thread = threading.Thread(target=self._tick, daemon=True)
            self._thread.start()

    def _tick(self) -> None:
        frames = round(self.rate * BLOCK_SECONDS)
        next_due = time.perf_counter()
        while self._running.is_set():
            block = self._block(frames)
            if not self.realtime:
                time.sleep(0.0002)  # let other threads run
                continue
            self.blocks.append(block)
            next_due += BLOCK_SECONDS
            time.sleep(max(0.0, next_due - time.perf_counter()))

    def _close(self) -> None:
        self._running.clear()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    @property
    def audio(self) -> Audio:
        """The timeline so far."""
        return Audio(np.concatenate(self.blocks) if self.blocks else np.zeros(0, dtype=np.int16), self.rate)


class FrameClock:
    """Audio time for a conversation fed from recordings: the microphone advances it one frame at a
    time, so the conversation runs as fast as the machine allows and its timing rules (the echo
    tail, quick replies, latency) come out the same on any machine."""

    def __init__(self) -> None:
        self.now = 0.0
        """Seconds of audio so far."""

    def __call__(self) -> float:
        return self.now

    def tick(self) -> None:
        self.now += BLOCK_SECONDS


class FramePlayer(StreamPlayer):
    """The speaker of a conversation in audio time: one block for each microphone frame
    (``tick``), keeping the timeline. It waits for synthesis, as a real device cannot."""

    def __init__(self, rate: int, clock: FrameClock | None = None) -> None:
        self.frame_clock = clock or FrameClock()
        super().__init__(rate, self.frame_clock)
        self.blocks: list[Samples] = []

    def _open(self) -> None:
        pass

    def _close(self) -> None:
        pass

    def await_first_sample(self, playback: Playback, timeout_s: float = 5.0) -> None:
        pass  # the next frame plays it: nothing to wait for

    def finish(self, playback: Playback, timeout_s: float = 60.0) -> None:
        # No microphone advances the clock any more: the speaker runs on by itself.
        for _ in range(round(timeout_s / BLOCK_SECONDS)):
            if playback.done or playback.paused:
                return
            self.tick()

    def tick(self) -> Samples:
        """Advance the clock one frame; the block the speaker sounds in it."""
        self.frame_clock.tick()
        frames = round(self.rate * BLOCK_SECONDS)
        playback = self._current
        block = playback.read(frames, wait=True) if playback is not None else None
        if block is None or len(block) < frames:
            block = np.zeros(frames, dtype=np.int16) if block is None else np.pad(block, (0, frames - len(block)))
        self.blocks.append(block)
        return block

    @property
    def audio(self) -> Audio:
        """The timeline so far."""
        return Audio(np.concatenate(self.blocks) if self.blocks else np.zeros(0, dtype=np.int16), self.rate)


class RecordingPlayer(Player):
    """Keeps every block instead of playing it: a stand-in for the speaker.

    With ``realtime`` it takes as long as playing would, so that stop and pause
    from another thread land mid-answer as they would on a device.
    """

    def __init__(self, rate: int, realtime: bool = False) -> None:
        self.rate = rate
        self.realtime = realtime
        self.blocks: list[Samples] = []
        self.playbacks: list[Playback] = []

    def start(self, sentences: Iterable[Sentence]) -> Playback:
        playback = Playback(sentences, self.rate)
        self.playbacks.append(playback)
        threading.Thread(target=self._drain, args=(playback,), daemon=True).start()
        return playback

    def _drain(self, playback: Playback) -> None:
        frames = round(self.rate * BLOCK_SECONDS)
        next_due = time.perf_counter()
        while (block := playback.read(frames, wait=not self.realtime)) is not None:
            self.blocks.append(block)
            if self.realtime:
                next_due += BLOCK_SECONDS
                time.sleep(max(0.0, next_due - time.perf_counter()))

    @property
    def audio(self) -> Audio:
        """Everything played so far, as one Audio."""
        return Audio(np.concatenate(self.blocks) if self.blocks else np.zeros(0, dtype=np.int16), self.rate)


def earcon(kind: str, rate: int) -> Audio:
    """A short tone: "listening" (rising), "understood" (one high), "not_understood" (falling)."""
    notes = {"listening": (660, 880), "understood": (990,), "not_understood": (440, 330)}[kind]
    parts = []
    for freq in notes:
        t = np.arange(round(0.09 * rate)) / rate
        envelope = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)
        parts.append(0.3 * envelope * np.sin(2 * np.pi * freq * t))
    samples = (np.concatenate(parts) * 32767).astype(np.int16)
    return Audio(samples, rate)
