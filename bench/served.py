"""For the Wyoming benchmarks: ``voiceguide serve`` on a free local port, its memory, and rendered speech."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CACHE = HERE / ".cache"
WRITERS = HERE / "writers"


class Served:
    """``voiceguide serve`` on 127.0.0.1 and a free port, until ``stop()``; its log kept line by line."""

    def __init__(self, *extra: str) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.uri = f"tcp://127.0.0.1:{self.port}"
        self.log: list[str] = []
        self._ready = threading.Event()
        self.process = subprocess.Popen([sys.executable, "-m", "voiceguide", "serve", "--uri", self.uri, *extra],
                                        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                                        env={**os.environ, "PYTHONPATH": str(REPO)})
        threading.Thread(target=self._collect, daemon=True).start()
        if not self._ready.wait(300):
            self.process.kill()
            raise SystemExit("voiceguide serve did not start:\n" + "".join(self.log))

    def _collect(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)
            if "serving on" in line:
                self._ready.set()

    def memory_mb(self) -> tuple[float, float]:
        """(resident now, resident at its peak) of the service, in MB."""
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines())
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(60)


def writer_phrasings(writer: str) -> list[str]:
    """What one independent writer wrote (bench/writers/NAME.yaml), in order."""
    doc = yaml.safe_load((WRITERS / f"{writer}.yaml").read_text(encoding="utf-8"))
    return [str(item["text"]) for item in doc.get("questions") or doc.get("phrasings")]


def writer_sets() -> dict[str, dict[str, list[str]]]:
    """sets.yaml: which writers are locked test sets and which are dev."""
    loaded: dict[str, dict[str, list[str]]] = yaml.safe_load((WRITERS / "sets.yaml").read_text(encoding="utf-8"))
    return loaded


def render(texts: list[str], folder: Path) -> list[Path]:
    """Each text spoken by the Piper voice, its random variation off (the same every run), as
    folder/NNN.wav beside folder/NNN.txt holding the text; made only when missing or changed."""
    from voiceguide.audio import write_wav
    from voiceguide.speak import PiperSynthesizer, Speech

    folder.mkdir(parents=True, exist_ok=True)
    speech: Speech | None = None
    out = []
    for index, text in enumerate(texts):
        wav, txt = folder / f"{index:03d}.wav", folder / f"{index:03d}.txt"
        stamp = folder / f".{index:03d}.sha1"
        digest = hashlib.sha1(text.encode()).hexdigest()
        if not (wav.exists() and stamp.exists() and stamp.read_text() == digest):
            speech = speech or Speech(PiperSynthesizer(variation=False))
            write_wav(wav, speech.render(text)[0])
            txt.write_text(text + "\n", encoding="utf-8")
            stamp.write_text(digest)
        out.append(wav)
    for extra in sorted(folder.glob("*.wav"))[len(texts):]:  # a shorter set than last time
        extra.unlink()
        extra.with_suffix(".txt").unlink(missing_ok=True)
    return out
