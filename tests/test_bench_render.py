"""The speech benchmark's clips: a phrase in a voice is the same audio whatever was rendered before it."""

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
    def where(text: str, voice: str) -> Path:
        return folder / voice / f"{len(text)}.wav"

    speech_in.render_texts(wanted, where)
    # Nothing else left in the folder: no clip half-written, none twice.
    assert sorted(folder.rglob("*")) == sorted({where(*p) for p in wanted} | {where(*p).parent for p in wanted})
    return read_wav(where(*PHRASE)).samples


@pytest.mark.parametrize("before", [BEFORE[:1], BEFORE[1:], BEFORE, [PHRASE]])
def test_an_espeak_clip_does_not_hang_on_what_was_rendered_before_it(tmp_path: Path,
                                                                     before: list[tuple[str, str]]) -> None:
    # libespeak-ng carries state between syntheses in one process: these phrases, said before it in
    # the same process, change its samples. The same phrase asked for twice is rendered once.
    alone = rendered(tmp_path / "alone", [PHRASE])
    after = rendered(tmp_path / "after", [*before, PHRASE])
    assert alone.size > 16000 and np.array_equal(alone, after)
