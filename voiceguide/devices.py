"""Sound devices: opening, watching and reopening microphones and speakers.

Everything that touches sounddevice (PortAudio) lives here. A device that is
missing, fails or goes quiet is tried again with :class:`Backoff` (1 s
doubling to 30 s) by the long-running commands (``listen``, ``station``);
one-shot commands (``ask --mic``) get a clear error instead.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import VoiceGuideError
from .hearing import FRAME_BYTES, FRAME_MS, CaptureClock
from .playback import BLOCK_SECONDS, Playback, StreamPlayer
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
OUTPUT_LATENCY_S = 0.5
"""Sound queued ahead of the speaker (DevicePlayer; through ALSA PortAudio makes it 0.65 s): a writer
late by less than that is never heard. Chosen by bench/echo.py --answers 50 --echo-db -6 on two cores
shared with other work, where the writer was late by up to 0.6 s: 0.1 s queued gave 122 underruns,
0.5 s none (README, Listening). A cut drops the queue, so it costs no stop or answer latency."""
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

    A writer thread keeps ``latency_s`` of sound queued ahead of the speaker in
    PortAudio's blocking stream, so the device drains its buffer without Python
    and the writer may be late by nearly that much before the voice stutters (a
    callback stream needs Python's interpreter lock every block, and on a busy
    machine it missed its deadline). What is queued is dropped (PortAudio's
    abort, which flushes the sound server's buffer) when the sound is cut off
    (a stop, a pause, a new answer over one still sounding) and when only
    silence is queued ahead of samples that have just become ready (an answer
    or a resumed one starts at once, not behind the silence). Samples are timed
    by when they sound.

    On PulseAudio through ALSA's "pulse" device, leave PULSE_LATENCY_MSEC
    unset: ALSA's plugin then asks the server for a buffer the size of ALSA's
    own. The variable overrides the server's side alone, the two no longer
    match, and the stream underruns (or starts a queue late after a drop).
    """

    def __init__(self, rate: int, device: str | int | None = None, latency_s: float = OUTPUT_LATENCY_S) -> None:
        super().__init__(rate)
        self.device = device
        self.latency_s = latency_s
        """Sound kept queued ahead of the speaker."""
        self._sd = sounddevice_module()
        try:
            info = self._sd.query_devices(device, "output")
        except (ValueError, self._sd.PortAudioError) as exc:
            where = f" {device!r}" if device is not None else ""
            raise NoAudioDevice(f"no audio output device{where}: {exc}") from None
        self.name = str(info["name"]) if isinstance(info, dict) else str(device)
        self._writer: _Writer | None = None
        self._retry_at = 0.0
        self._backoff = Backoff()
        self.underruns = 0
        """Times the device ran out of queued samples (each an audible gap)."""

    def keep_alive(self) -> None:
        """A lost output stream (the sound server went away, the device was unplugged) is
        reopened, trying again with back-off while it fails; logged."""
        writer = self._writer
        if writer is not None and writer.running:
            if time.monotonic() - writer.progress < STALL_S:
                return
            # A stream can stop taking samples (the sound server stalls) without reporting an error.
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
        if self._writer is not None and self._writer.running:
            return
        self._close()  # a stream that stopped on an error is not reused
        sd = self._sd
        try:
            stream = sd.OutputStream(samplerate=self.rate, channels=1, dtype="int16", device=self.device,
                                     latency=self.latency_s, blocksize=round(self.rate * BLOCK_SECONDS))
            stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            raise NoAudioDevice(f"cannot play on {self.name}: {exc}") from None
        self._writer = _Writer(self, stream)

    def _close(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            current = self._current
            if current is not None and writer.running:
                self.await_last_sample(current)
            writer.stop()


class _Writer:
    """The thread that feeds one output stream: every call on the stream is made from it."""

    def __init__(self, player: DevicePlayer, stream: Any) -> None:
        self.player = player
        self.stream = stream
        self.progress = time.monotonic()
        """When the stream last took samples (or was started)."""
        self._running = threading.Event()
        self._running.set()
        self._failed = False
        self._thread = threading.Thread(target=self._run, name="sound output", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._running.is_set() and not self._failed

    def stop(self) -> None:
        """Stop feeding and close the stream (the thread closes it; a stuck one is left behind)."""
        self._running.clear()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=STALL_S)

    def _run(self) -> None:
        player, stream = self.player, self.stream
        frames = round(player.rate * BLOCK_SECONDS)
        silence = np.zeros(frames, dtype=np.int16)
        capacity = int(stream.write_available)  # the whole queue: nothing is written yet
        heard: tuple[Playback | None, int] = (None, 0)
        sounding_until = 0.0  # when the last sample of an answer queued so far sounds
        padded = False  # silence is queued after it: nothing was ready to play
        try:
            while self._running.is_set():
                playback = player._current
                now = player.clock()
                if (playback, playback.cuts if playback is not None else 0) != heard:
                    cut = playback is heard[0] or sounding_until > now
                    heard = (playback, playback.cuts if playback is not None else 0)
                    if cut:  # a stop or a pause, or a new answer over one still sounding
                        self._drop()
                        sounding_until, padded = 0.0, False
                waiting = playback is not None and padded and playback.ready
                if waiting and sounding_until <= now:
                    # Only silence is queued: drop it, and the answer sounds at once.
                    self._drop()
                    waiting = padded = False
                free = int(stream.write_available)
                if free < frames:
                    time.sleep(BLOCK_SECONDS)
                    continue
                ahead_s = (capacity - free) / player.rate
                if waiting:  # the words before the silence are still to sound: keep the silence going
                    block = silence
                else:
                    block = player._block(frames, ahead_s=ahead_s)
                    if playback is not None:
                        sounding_until = max(sounding_until, playback.heard_until)
                padded = sounding_until < now + ahead_s + (frames - 1) / player.rate
                if stream.write(block):
                    player.underruns += 1
                self.progress = time.monotonic()
        except player._sd.PortAudioError as exc:
            log.warning("the sound output failed: %s", exc)
            self._failed = True
        except Exception:  # never a silent dead speaker: keep_alive reopens a failed one
            log.exception("the sound output failed")
            self._failed = True
        finally:
            try:
                stream.close()
            except player._sd.PortAudioError as exc:
                log.debug("closing a failed output stream: %s", exc)

    def _drop(self) -> None:
        """Drop everything queued (PortAudio's abort flushes the sound server's buffer too)."""
        self.stream.abort()
        self.stream.start()
        self.progress = time.monotonic()


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
