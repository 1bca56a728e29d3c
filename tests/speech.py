"""Test speech, rendered at test time: the Piper voice (closest to a person here) and espeak-ng.

Piper's random variation is off, so a phrase sounds the same in every run and a test that passes
once passes again."""

from __future__ import annotations

import functools
from pathlib import Path

from voiceguide.audio import Audio, concat, silence, write_wav
from voiceguide.speak import EspeakSynthesizer, PiperSynthesizer, Speech


@functools.cache
def _piper() -> Speech:
    return Speech(PiperSynthesizer(variation=False))


@functools.cache
def _espeak() -> Speech:
    return Speech(EspeakSynthesizer())


def spoken(text: str, voice: str = "piper", pad: float = 0.4) -> Audio:
    """``text`` spoken, with a little silence either side as a person leaves."""
    speech = _piper() if voice == "piper" else _espeak()
    audio, _ = speech.render(text)
    quiet = silence(pad, audio.rate)
    return concat([quiet, audio, quiet], audio.rate)


def spoken_wav(folder: Path, text: str, voice: str = "piper") -> Path:
    path = folder / (text.replace(" ", "_")[:40] + f".{voice}.wav")
    write_wav(path, spoken(text, voice))
    return path
