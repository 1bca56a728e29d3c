"""Virtual sound devices for tests: a PulseAudio server with two null sinks.

``mic`` stands for the microphone (tests play into it; the guide records its
monitor) and ``speaker`` for the loudspeaker (the guide plays to it; tests
record its monitor). A server that does not start is a test failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import numpy as np

from voiceguide.audio import Audio, from_pcm_bytes

RATE = 16000


def _pactl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=10)


def ensure_pulse() -> None:
    """Start the server if needed and make sure both sinks exist; raise if impossible."""
    for tool in ("pulseaudio", "pactl", "parec", "paplay"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not installed: run scripts/setup")
    if _pactl("info").returncode != 0:
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
    os.environ.setdefault("PULSE_LATENCY_MSEC", "30")  # as the command line sets it
    os.environ["PULSE_SINK"] = "speaker"
    os.environ["PULSE_SOURCE"] = "mic.monitor"


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

    def _read(self) -> None:
        assert self._proc.stdout is not None
        while chunk := self._proc.stdout.read1(3200):  # type: ignore[attr-defined]
            self.chunks.append((time.perf_counter(), chunk))

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
