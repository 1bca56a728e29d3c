"""Virtual sound devices for tests: a PulseAudio server with two null sinks.

``mic`` stands for the microphone (tests play into it; the guide records its
monitor) and ``speaker`` for the loudspeaker (the guide plays to it; tests
record its monitor). A server that does not start is a test failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from voiceguide.audio import Audio, from_pcm_bytes

RATE = 16000


def _pactl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=10)


def _pin_server() -> None:
    """One server for every test run: its socket and cookie in a fixed place, not under the
    per-run config folders the tests use (there a run would not find the last run's server)."""
    runtime = Path(tempfile.gettempdir()) / f"voiceguide-tests-pulse-{os.getuid()}"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("PULSE_RUNTIME_PATH", str(runtime))
    os.environ.setdefault("PULSE_COOKIE", str(runtime / "cookie"))


def ensure_pulse() -> bool:
    """Start the server if needed and make sure both sinks exist; raise if impossible.
    True if this call started it."""
    for tool in ("pulseaudio", "pactl", "parec", "paplay"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not installed: run scripts/setup")
    _pin_server()
    started = _pactl("info").returncode != 0
    if started:
        subprocess.run(["pulseaudio", "-D", "-n", "--exit-idle-time=-1",
                        "--load=module-native-protocol-unix"], capture_output=True, timeout=20)
        for _ in range(50):
            if _pactl("info").returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("the PulseAudio server did not start")
    sinks = _pactl("list", "short", "sinks").stdout
    for name in ("mic", "speaker"):
        if f"\t{name}\t" not in sinks:
            _pactl("load-module", "module-null-sink", f"sink_name={name}")
        _pactl("set-sink-volume", name, "100%")
        _pactl("set-source-volume", f"{name}.monitor", "100%")
    os.environ.pop("PULSE_LATENCY_MSEC", None)  # it would unmatch the server's buffer and ALSA's (devices.DevicePlayer)
    os.environ["PULSE_SINK"] = "speaker"
    os.environ["PULSE_SOURCE"] = "mic.monitor"
    return started


def stop_pulse() -> None:
    _pin_server()
    subprocess.run(["pulseaudio", "-k"], capture_output=True, timeout=10)


class Recorder:
    """Records a sink's monitor in the background, time-stamping what arrives."""

    def __init__(self, source: str = "speaker.monitor", rate: int = RATE) -> None:
        self.rate = rate
        self.chunks: list[tuple[float, bytes]] = []
        self._proc = subprocess.Popen(
            ["parec", f"--device={source}", "--format=s16le", f"--rate={rate}", "--channels=1",
             "--latency-msec=10"], stdout=subprocess.PIPE)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        # A null sink's monitor streams silence once parec is connected; on a loaded machine
        # connecting takes seconds, and a test must not play before the recording has begun.
        deadline = time.perf_counter() + 20
        while not self.chunks and self._proc.poll() is None and time.perf_counter() < deadline:
            time.sleep(0.01)
        if not self.chunks:
            self._proc.kill()
            raise RuntimeError(f"parec recorded nothing from {source}")

    def _read(self) -> None:
        assert self._proc.stdout is not None
        while chunk := self._proc.stdout.read1(3200):  # type: ignore[attr-defined]
            self.chunks.append((time.perf_counter(), chunk))

    def last_sound(self, since: float, threshold: int = 300) -> float | None:
        """When the last chunk louder than ``threshold`` arrived after ``since``, if any."""
        for at, chunk in reversed(self.chunks):
            if at < since:
                return None
            if len(chunk) >= 2 and int(np.abs(np.frombuffer(chunk[: len(chunk) // 2 * 2], "<i2")).max()) > threshold:
                return at
        return None

    def wait_for_answer(self, timeout: float = 90.0, quiet_s: float = 1.0) -> bool:
        """Wait until the guide has said something and then been quiet for ``quiet_s``."""
        since = time.perf_counter()
        while time.perf_counter() - since < timeout:
            time.sleep(0.1)
            last = self.last_sound(since)
            if last is not None and time.perf_counter() - last >= quiet_s:
                return True
        return False

    def wait_for_quiet(self, quiet_s: float = 1.0, timeout: float = 90.0) -> bool:
        """Wait until the guide has been quiet for ``quiet_s``."""
        since = time.perf_counter()
        while time.perf_counter() - since < timeout:
            time.sleep(0.1)
            now = time.perf_counter()
            if now - since >= quiet_s and self.last_sound(now - quiet_s) is None:
                return True
        return False

    def wait_for_sound(self, timeout: float = 30.0) -> bool:
        """Wait until the guide starts saying something."""
        since = time.perf_counter()
        while time.perf_counter() - since < timeout:
            time.sleep(0.05)
            if self.last_sound(since) is not None:
                return True
        return False

    def stop(self) -> Audio:
        self._proc.terminate()
        self._proc.wait(timeout=5)
        self._thread.join(timeout=5)
        return from_pcm_bytes(b"".join(c for _, c in self.chunks), self.rate)


def sounding_seconds(audio: Audio, threshold: int = 300) -> float:
    """How many seconds of ``audio`` are louder than a whisper (10 ms windows)."""
    window = audio.rate // 100
    usable = len(audio.samples) - len(audio.samples) % window
    peaks = np.abs(audio.samples[:usable].astype(np.int32)).reshape(-1, window).max(axis=1)
    return float(np.count_nonzero(peaks > threshold)) / 100


def play_into_mic(path: Path) -> subprocess.Popen[bytes]:
    """Play a WAV file into the virtual microphone; returns the running paplay."""
    return subprocess.Popen(["paplay", "--device=mic", str(path)])


class Echo:
    """The loudspeaker heard by the microphone: a PulseAudio loopback from the speaker's monitor
    into the mic sink, ``level_db`` below what the guide plays, with a room-like delay."""

    def __init__(self, level_db: float = -12.0, latency_ms: int = 60) -> None:
        loaded = _pactl("load-module", "module-loopback", "source=speaker.monitor", "sink=mic",
                        f"latency_msec={latency_ms}")
        if loaded.returncode != 0:
            raise RuntimeError(f"cannot load the echo loopback: {loaded.stderr.strip()}")
        self.module = loaded.stdout.strip()
        stream = _sink_input_of(self.module)
        # PulseAudio volumes are cubic: a percentage p is 60*log10(p/100) dB.
        percent = round(100 * 10 ** (level_db / 60))
        _pactl("set-sink-input-volume", stream, f"{percent}%")

    def close(self) -> None:
        _pactl("unload-module", self.module)


def _sink_input_of(module: str) -> str:
    stream = ""
    for line in _pactl("list", "sink-inputs").stdout.splitlines():
        line = line.strip()
        if line.startswith("Sink Input #"):
            stream = line.removeprefix("Sink Input #")
        elif line == f"Owner Module: {module}":
            return stream
    raise RuntimeError(f"no stream for module {module}")


def restart_pulse() -> None:
    """Stop the sound server and start it again, as when it crashes or the machine's audio is reset."""
    stop_pulse()
    for _ in range(50):
        if _pactl("info").returncode != 0:
            break
        time.sleep(0.1)
    time.sleep(1.0)  # long enough for the guide to notice
    ensure_pulse()


if __name__ == "__main__":
    # scripts/test: one server for two pytest runs at once, started before both and stopped after both.
    import sys

    if sys.argv[1:] == ["start"]:
        ensure_pulse()
    elif sys.argv[1:] == ["stop"]:
        stop_pulse()
    else:
        sys.exit("usage: python -m tests.sound start|stop")
