"""The speech benchmark's clips: the same phrase in the same voice is the same audio on every machine."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from voiceguide.audio import read_wav

from .conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import speech_in  # bench/ is no package: imported from its folder

PHRASE = ("how is the normal surgery different from this one", "en-us+f3")
BEFORE = [("do the small cuts mean less upheaval for the rest of his body", "en-gb-x-rp"),
          ("can anyone have the keyhole surgery or not", "en-us+f3")]


def rendered(folder: Path, wanted: list[tuple[str, str]]) -> np.ndarray:
    speech_in.render_texts(wanted, lambda text, voice: folder / voice / f"{abs(hash(text))}.wav")
    path = folder / PHRASE[1] / f"{abs(hash(PHRASE[0]))}.wav"
    assert not list(folder.rglob("*.part.wav"))
    return read_wav(path).samples


@pytest.mark.parametrize("before", [BEFORE[:1], BEFORE[1:], BEFORE])
def test_an_espeak_clip_does_not_hang_on_what_was_rendered_before_it(tmp_path: Path,
                                                                     before: list[tuple[str, str]]) -> None:
    # libespeak-ng carries state between syntheses in one process: these phrases, said before it in
    # the same process, change its samples.
    alone = rendered(tmp_path / "alone", [PHRASE])
    after = rendered(tmp_path / "after", [*before, PHRASE])
    assert alone.size > 16000 and np.array_equal(alone, after)
