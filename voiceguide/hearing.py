"""Speech in, listening: audio frames to utterances, decoded as they are spoken.

:class:`Endpointer` decides where an utterance starts and ends from the
signal level (above an adaptive noise floor) and trailing silence.
:class:`Listener` joins it to a recogniser: frames of an utterance go to the
engine as they arrive, so only the last few are left to decode when the end
is decided. Sources of frames: a WAV file, raw PCM, or the microphone.
"""

from __future__ import annotations

import logging
import math
import queue
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from .audio import read_wav
from .playback import RETRY_FIRST_S, RETRY_MAX_S, NoAudioDevice, sounddevice_module
from .recognize import SAMPLE_RATE, Recognizer, Transcript

log = logging.getLogger(__name__)

FRAME_MS = 10
FRAME_BYTES = SAMPLE_RATE * FRAME_MS // 1000 * 2


@dataclass(frozen=True)
class EndpointConfig:
    """How an utterance is found in the signal."""

    trailing_silence_ms: int = 500
    """Silence that ends an utterance."""
    max_utterance_s: float = 12.0
    """An utterance is cut here even if the person goes on."""
    min_speech_ms: int = 120
    """Shorter bursts (a cough, a click) are not speech."""
    pre_roll_ms: int = 300
    """Audio kept from before the start was noticed, so the first word is whole."""
    above_floor_db: float = 9.0
    """How far above the noise floor a frame must be to count as speech."""
    min_level_dbfs: float = -50.0
    """Frames quieter than this are never speech."""


@dataclass(frozen=True)
class Utterance:
    """One utterance, heard and decoded."""

    transcript: Transcript
    duration: float
    """Seconds of audio in the utterance."""
    started_at: float
    """When the speech began (time.perf_counter(), reckoned back from when it was noticed)."""
    ended_at: float
    """When the end was decided (time.perf_counter())."""
    decoded_at: float
    """When the transcript was ready (time.perf_counter())."""
    reason: str
    """"silence", "max_length" or "end_of_input"."""


def level_dbfs(frame: bytes) -> float:
    """RMS level of 16-bit PCM in dB below full scale."""
    samples = np.frombuffer(frame, dtype="<i2").astype(np.float64)
    rms = math.sqrt(float(np.mean(samples * samples))) if len(samples) else 0.0
    return 20 * math.log10(max(rms, 1.0) / 32768)


class Listener:
    """Turns a stream of frames into decoded utterances."""

    def __init__(self, recognizer: Recognizer, config: EndpointConfig | None = None) -> None:
        self.recognizer = recognizer
        self.config = config or EndpointConfig()
        self._floor: float | None = None
        self._pre_roll: deque[bytes] = deque(maxlen=max(1, self.config.pre_roll_ms // FRAME_MS))
        self._in_speech = False
        self._run = 0
        self._silence = 0
        self._frames = 0
        self._voiced = 0
        self._started_at = 0.0

    def feed(self, frame: bytes) -> Utterance | None:
        """Take one 10 ms frame; an Utterance when one has just ended."""
        level = level_dbfs(frame)
        voiced = self._is_voiced(level)
        if not self._in_speech:
            self._pre_roll.append(frame)
            self._run = self._run + 1 if voiced else 0
            if self._run * FRAME_MS >= self.config.min_speech_ms:
                self._begin()
            elif not voiced:
                self._track_floor(level)
            return None
        self.recognizer.accept(frame)
        self._frames += 1
        self._voiced += voiced
        self._silence = 0 if voiced else self._silence + 1
        if self._silence * FRAME_MS >= self.config.trailing_silence_ms:
            return self._end("silence")
        if self._frames * FRAME_MS >= self.config.max_utterance_s * 1000:
            return self._end("max_length")
        return None

    def flush(self) -> Utterance | None:
        """The input ended: close an utterance in progress, if any."""
        return self._end("end_of_input") if self._in_speech else None

    def _is_voiced(self, level: float) -> bool:
        floor = self._floor if self._floor is not None else level
        return level >= self.config.min_level_dbfs and level >= floor + self.config.above_floor_db

    def _track_floor(self, level: float) -> None:
        # The floor follows quiet frames quickly down and slowly up, so steady noise raises it.
        if self._floor is None or level < self._floor:
            self._floor = level
        else:
            self._floor += 0.02 * (level - self._floor)

    def _begin(self) -> None:
        self._in_speech = True
        self._started_at = time.perf_counter() - self._run * FRAME_MS / 1000
        self._frames = len(self._pre_roll)
        self._voiced = self._run
        self._silence = 0
        self.recognizer.start()
        for frame in self._pre_roll:
            self.recognizer.accept(frame)
        self._pre_roll.clear()

    def _end(self, reason: str) -> Utterance:
        ended = time.perf_counter()
        self._in_speech = False  # first: a failing decoder must not leave the listener mid-utterance
        self._run = 0
        transcript = self.recognizer.finish()
        return Utterance(transcript, self._frames * FRAME_MS / 1000, self._started_at, ended, time.perf_counter(),
                         reason)

    def utterances(self, frames: Iterable[bytes]) -> Iterator[Utterance]:
        """Every utterance in a stream of frames."""
        for frame in frames:
            utterance = self.feed(frame)
            if utterance is not None:
                yield utterance
        last = self.flush()
        if last is not None:
            yield last


def frames_of(pcm: bytes) -> Iterator[bytes]:
    """10 ms frames of 16 kHz PCM (the last one padded with silence)."""
    for start in range(0, len(pcm), FRAME_BYTES):
        frame = pcm[start : start + FRAME_BYTES]
        yield frame + bytes(FRAME_BYTES - len(frame))


def wav_frames(path: Path, trailing_silence_s: float = 1.0) -> Iterator[bytes]:
    """Frames of a WAV file of any rate and channel count, then some silence to end on."""
    audio = read_wav(path, SAMPLE_RATE)
    yield from frames_of(audio.to_bytes() + bytes(int(trailing_silence_s * SAMPLE_RATE) * 2))


def raw_frames(stream: BinaryIO) -> Iterator[bytes]:
    """Frames of raw 16 kHz mono 16-bit PCM read from a stream (stdin)."""
    while chunk := stream.read(FRAME_BYTES):
        yield chunk + bytes(FRAME_BYTES - len(chunk))


class Microphone:
    """Frames from a sound input device through sounddevice, 16 kHz mono."""

    def __init__(self, device: str | int | None = None) -> None:
        sd = sounddevice_module()
        try:
            info = sd.query_devices(device, "input")
        except (ValueError, sd.PortAudioError) as exc:
            where = f" {device!r}" if device is not None else ""
            raise NoAudioDevice(f"no microphone{where}: {exc}") from None
        self.name = str(info["name"])
        self.device = device
        self._sd = sd
        self._queue: queue.Queue[bytes] = queue.Queue()
        self._stream: Any = None

    def __enter__(self) -> Microphone:
        def callback(indata: Any, _frames: int, _time: object, _status: object) -> None:
            self._queue.put(bytes(indata))

        try:
            self._stream = self._sd.RawInputStream(samplerate=SAMPLE_RATE, channels=1, dtype="int16",
                                                   blocksize=FRAME_BYTES // 2, device=self.device,
                                                   callback=callback)
            self._stream.start()
        except (self._sd.PortAudioError, ValueError) as exc:
            raise NoAudioDevice(f"cannot record from {self.name}: {exc}") from None
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def frames(self, timeout: float | None = None) -> Iterator[bytes]:
        """Frames as they are recorded; ends after ``timeout`` seconds without any."""
        while True:
            try:
                yield self._queue.get(timeout=timeout)
            except queue.Empty:
                return


def microphone_frames(device: str | int | None = None, stall_s: float = 2.0) -> Iterator[bytes]:
    """Frames from the microphone for ever. A microphone that is missing, fails, or sends
    nothing for ``stall_s`` is reopened, trying again with back-off (1 s doubling to 30 s);
    each failure is logged, none ends the stream."""
    delay = RETRY_FIRST_S
    while True:
        try:
            with Microphone(device) as mic:
                for frame in mic.frames(timeout=stall_s):
                    if delay > RETRY_FIRST_S:
                        log.warning("the microphone is back: %s", mic.name)
                    delay = RETRY_FIRST_S
                    yield frame
                log.warning("the microphone stopped sending sound; reopening it in %.0f s", delay)
        except NoAudioDevice as exc:
            log.warning("%s; trying again in %.0f s", exc, delay)
        time.sleep(delay)
        delay = min(delay * 2, RETRY_MAX_S)
