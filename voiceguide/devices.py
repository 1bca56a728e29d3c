"""Sound devices: opening, watching and reopening microphones and speakers.

Everything that touches sounddevice (PortAudio) lives here. A device that is
missing, fails or goes quiet is tried again with :class:`Backoff` (1 s
doubling to 30 s) by the long-running commands (``listen``, ``station``);
one-shot commands (``ask --mic``) get a clear error instead.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import VoiceGuideError
from .hearing import FRAME_BYTES, FRAME_MS, CaptureClock
from .playback import BLOCK_SECONDS, StreamPlayer
from .recognize import SAMPLE_RATE

log = logging.getLogger(__name__)

RETRY_FIRST_S = 1.0
"""A lost sound device is tried again after this long, then twice as long each time..."""
RETRY_MAX_S = 30.0
"""...up to this."""
STALL_S = 1.0
"""An output stream that has not asked for samples this long is taken for stalled and reopened."""
MIC_STALL_S = 2.0
"""A microphone that sends nothing for this long is taken for lost and reopened."""
MAX_INPUT_DELAY_S = 1.0
"""A device that reports its audio older than this (PulseAudio here: 0.3 to 0.7 s) reports nonsense."""


class NoAudioDevice(VoiceGuideError):
    """There is no usable sound device. The message says which and why."""


@dataclass
class Backoff:
    """How long to wait before trying a lost device again: doubling, capped, reset on success."""

    first_s: float = RETRY_FIRST_S
    max_s: float = RETRY_MAX_S
    delay: float = RETRY_FIRST_S
    """The wait before the next try."""
    failing: bool = False
    """The last try failed (so a success is news worth logging)."""

    def failed(self) -> float:
        """A try failed: the wait before the next one (and the one after doubles)."""
        wait, self.failing = self.delay, True
        self.delay = min(self.delay * 2, self.max_s)
        return wait

    def succeeded(self) -> bool:
        """A try worked: back to the first delay; True if it had been failing."""
        was, self.failing, self.delay = self.failing, False, self.first_s
        return was


def device_id(value: str | None) -> str | int | None:
    """A device as the user gave it: an index ("3") or a name."""
    return int(value) if value is not None and value.isdigit() else value


def sounddevice_module() -> Any:
    try:
        import sounddevice
    except OSError as exc:  # PortAudio itself is missing
        raise NoAudioDevice(f"sound is unavailable: {exc}; run scripts/setup") from None
    return sounddevice


def list_devices() -> list[tuple[int, str, int, int]]:
    """(index, name, input channels, output channels) of every sound device."""
    sd = sounddevice_module()
    try:
        found = sd.query_devices()
    except Exception as exc:
        raise NoAudioDevice(f"cannot list sound devices: {exc}") from None
    return [(i, str(d["name"]), int(d["max_input_channels"]), int(d["max_output_channels"]))
            for i, d in enumerate(found)]


class RecordingTimes:
    """When each frame from a microphone was recorded, on time.perf_counter()'s scale.

    A sound server hands recorded audio over late and in bursts (through PulseAudio here, 0.3 to
    0.7 s late), so the time a frame arrives says little about when it was said; the device's own
    clock (PortAudio's ADC time) says it. A device whose ADC time is missing or implausible is timed
    on arrival, for the whole stream and with one log line, so that the times never jump between the
    two; they never go backwards.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._use_device_clock: bool | None = None
        self._last = 0.0

    def recorded(self, now: float, device_now: float, device_recorded: float) -> float:
        """The end of the frame whose first sample the device recorded at ``device_recorded``,
        as PortAudio's callback saw it at ``device_now``, ``now`` on perf_counter's scale."""
        behind = device_now - device_recorded
        if self._use_device_clock is None:
            self._use_device_clock = 0.0 <= behind < MAX_INPUT_DELAY_S
            if not self._use_device_clock:
                log.info("%s gives no usable recording times (%.3f s behind): timing frames on arrival",
                         self.name, behind)
        # Never after it arrived (a device clock a little ahead would put speech in the future).
        stamp = min(now, now - behind + FRAME_MS / 1000) if self._use_device_clock else now
        self._last = max(self._last, stamp)
        return self._last


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
        self._queue: queue.Queue[tuple[float, bytes]] = queue.Queue()
        self._stream: Any = None

    def __enter__(self) -> Microphone:
        stamps = RecordingTimes(self.name)

        def callback(indata: Any, _frames: int, when: Any, _status: object) -> None:
            stamp = stamps.recorded(time.perf_counter(), when.currentTime, when.inputBufferAdcTime)
            self._queue.put((stamp, bytes(indata)))

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

    def frames(self, stall_s: float | None = None, clock: CaptureClock | None = None) -> Iterator[bytes]:
        """Frames as they are recorded; ends after ``stall_s`` seconds without any. ``clock``
        is set to each frame's recording time before the frame is handed on."""
        while True:
            try:
                recorded_at, frame = self._queue.get(timeout=stall_s)
            except queue.Empty:
                return
            if clock is not None:
                clock.now = recorded_at
            yield frame


def microphone_frames(device: str | int | None = None, stall_s: float = MIC_STALL_S,
                      sleep: Callable[[float], None] = time.sleep,
                      clock: CaptureClock | None = None) -> Iterator[bytes]:
    """Frames from the microphone for ever. A microphone that is missing, fails, or sends
    nothing for ``stall_s`` is reopened with back-off; each failure is logged, none ends the stream.
    ``clock`` follows each frame's recording time (see CaptureClock)."""
    backoff = Backoff()
    while True:
        try:
            with Microphone(device) as mic:
                for frame in mic.frames(stall_s, clock):
                    if backoff.succeeded():
                        log.warning("the microphone is back: %s", mic.name)
                    yield frame
                log.warning("the microphone stopped sending sound; reopening it in %.0f s", backoff.delay)
        except NoAudioDevice as exc:
            log.warning("%s; trying again in %.0f s", exc, backoff.delay)
        sleep(backoff.failed())


class DevicePlayer(StreamPlayer):
    """Plays through sounddevice (PortAudio), on one output stream kept open.

    On PulseAudio through ALSA's "pulse" device, set PULSE_LATENCY_MSEC (the
    command line sets 30 unless it is set already): with the server's default
    buffering, underrun recovery stalls the callback for up to two seconds,
    and a stop would wait that long to be heard.
    """

    def __init__(self, rate: int, device: str | int | None = None) -> None:
        super().__init__(rate)
        self.device = device
        self._sd = sounddevice_module()
        try:
            info = self._sd.query_devices(device, "output")
        except (ValueError, self._sd.PortAudioError) as exc:
            where = f" {device!r}" if device is not None else ""
            raise NoAudioDevice(f"no audio output device{where}: {exc}") from None
        self.name = str(info["name"]) if isinstance(info, dict) else str(device)
        self._stream: Any = None
        self._retry_at = 0.0
        self._backoff = Backoff()
        self._last_callback = 0.0
        self.underruns = 0
        """Times the device asked for samples the stream had not been given in time."""

    def keep_alive(self) -> None:
        """A lost output stream (the sound server went away, the device was unplugged) is
        reopened, trying again with back-off while it fails; logged."""
        if self._stream is not None and self._stream.active:
            if time.monotonic() - self._last_callback < STALL_S:
                return
            # PortAudio's ALSA stream can stop calling back after underruns without going inactive.
            log.warning("the sound output stalled; reopening it")
            with self._lock:
                self._close()
        if time.monotonic() < self._retry_at:
            return
        try:
            self.begin()
        except NoAudioDevice as exc:
            if not self._backoff.failing:
                log.warning("the sound output was lost: %s", exc)
            wait = self._backoff.failed()
            log.info("trying the sound output again in %.0f s", wait)
            self._retry_at = time.monotonic() + wait
            return
        if self._backoff.succeeded():
            log.warning("the sound output is back: %s", self.name)
        self._retry_at = 0.0

    def _open(self) -> None:
        if self._stream is not None and self._stream.active:
            return
        self._close()  # a stream that stopped on an error is not reused
        sd = self._sd

        def callback(outdata: np.ndarray, frames: int, _time: object, status: Any) -> None:
            self._last_callback = time.monotonic()
            if status.output_underflow:
                self.underruns += 1
            outdata[:, 0] = self._block(frames)

        try:
            self._stream = sd.OutputStream(
                samplerate=self.rate, channels=1, dtype="int16", device=self.device, latency="low",
                blocksize=round(self.rate * BLOCK_SECONDS), callback=callback)
            self._last_callback = time.monotonic()
            self._stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            self._stream = None
            raise NoAudioDevice(f"cannot play on {self.name}: {exc}") from None

    def _close(self) -> None:
        if self._stream is not None:
            try:
                self._stream.close()
            except self._sd.PortAudioError as exc:
                log.debug("closing a failed output stream: %s", exc)
            self._stream = None


def wait_for_speaker(rate: int, device: str | int | None,
                     sleep: Callable[[float], None] = time.sleep) -> DevicePlayer:
    """The speaker; a missing one is waited for with back-off (logged), never a crash."""
    backoff = Backoff()
    while True:
        try:
            return DevicePlayer(rate, device)
        except NoAudioDevice as exc:
            log.warning("%s; trying again in %.0f s", exc, backoff.delay)
        sleep(backoff.failed())
