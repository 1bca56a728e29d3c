"""Test speech, rendered at test time: the Piper voice (closest to a person here) and espeak-ng.

Piper's random variation is off, so a phrase sounds the same in every run and a test that passes
once passes again. espeak-ng's library carries state from one synthesis to the next (the same phrase
comes out a little different after every phrase said before it in the process, so it differed as
the tests ran in another order): each phrase of its test speech is the first a fresh process says.
A phrase is rendered once for the whole run: the workers keep what they render in the run's folder
(``SPEECH_CACHE``, set by conftest.py) and read it back."""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from voiceguide.audio import Audio, concat, read_wav, silence, write_wav
from voiceguide.speak import PiperSynthesizer, Speech, first_said

SPEECH_CACHE = "VOICEGUIDE_TEST_SPEECH"
"""The environment variable naming the run's folder of rendered phrases."""


@functools.cache
def _piper() -> Speech:
    return Speech(PiperSynthesizer(variation=False))


def spoken(text: str, voice: str = "piper", pad: float = 0.4) -> Audio:
    """``text`` spoken, with a little silence either side as a person leaves."""
    audio = _rendered(text, voice)
    quiet = silence(pad, audio.rate)
    return concat([quiet, audio, quiet], audio.rate)


def spoken_wav(folder: Path, text: str, voice: str = "piper") -> Path:
    path = folder / (text.replace(" ", "_")[:40] + f".{voice}.wav")
    write_wav(path, spoken(text, voice))
    return path


def _rendered(text: str, voice: str) -> Audio:
    folder = os.environ.get(SPEECH_CACHE)
    path = Path(folder) / f"{voice}-{hashlib.sha256(text.encode()).hexdigest()[:32]}.wav" if folder else None
    if path is not None and path.is_file():
        return read_wav(path)
    audio = _piper().render(text)[0] if voice == "piper" else first_said(text)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_wav(path, audio)  # whole or not at all: another worker may be reading
    return audio
