"""Where the endpointer's utterances begin: is the first sound of each question given to the recogniser?

Usage: python bench/onset.py [--voice piper] [--every 8] [--reach-back 0,300,500]

Each dev phrasing (bench/writers, the dev sets only; rendered and cached by bench/speech_in.py) is fed
to the endpointer with its trained detector (Silero, as the app listens for Whisper) after 0.5 s of
silence and then 0 to 15 frames more: 16 frames of 10 ms are five of Silero's 32 ms chunks, so these
are every way its chunks can fall on the speech. The figure is how many (phrasing, alignment) runs gave
the recogniser audio that began after the phrasing's first sound (the first frame above -60 dBFS), by
more than one frame, and by how much at most, for each EndpointConfig.reach_back_ms. No recogniser is
run: the question is only what audio it would be given.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from speech_in import cache_path, load_items, render_texts  # noqa: E402

from voiceguide.hearing import FRAME_BYTES, FRAME_MS, EndpointConfig, Listener, frames_of, level_dbfs  # noqa: E402
from voiceguide.recognize import Recognizer, Transcript  # noqa: E402

FIRST_SOUND_DBFS = -60.0
"""A frame this loud is part of the phrasing (the renderings begin in digital silence)."""


class Given(Recognizer):
    """Keeps the audio the endpointer gives it (a recogniser at the edge)."""

    engine = "given"

    def __init__(self) -> None:
        self.frames = 0

    def start(self) -> None:
        self.frames = 0

    def accept(self, pcm: bytes) -> None:
        self.frames += len(pcm) // FRAME_BYTES

    def finish(self) -> Transcript:
        return Transcript("", 0.0)


def cut_frames(pcm: bytes, alignment: int, reach_back_ms: int) -> int | None:
    """Frames of the phrasing's sound not given to the recogniser (negative: that much quiet given
    before it); None if no utterance began."""
    frames = list(frames_of(pcm))
    first = next((i for i, f in enumerate(frames) if level_dbfs(f) > FIRST_SOUND_DBFS), None)
    if first is None:
        return None
    given = Given()
    listener = Listener(given, EndpointConfig(voice_detector="silero", reach_back_ms=reach_back_ms))
    lead = 50 + alignment
    for i, frame in enumerate([bytes(FRAME_BYTES)] * lead + frames):
        listener.feed(frame)
        if listener.in_speech:
            return i + 1 - given.frames - (lead + first)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voice", default="piper")
    parser.add_argument("--every", type=int, default=8)
    parser.add_argument("--reach-back", default="0,300,500", help="EndpointConfig.reach_back_ms values to compare")
    args = parser.parse_args()
    texts = [item.text for item in load_items("dev")[:: args.every]]
    render_texts([(t, args.voice) for t in texts])
    clips = [cache_path(t, args.voice).read_bytes()[44:] for t in texts]  # 16 kHz mono WAVs
    print(f"dev set: {len(clips)} phrasings (every {args.every}), voice {args.voice}, 16 alignments each")
    for reach in (int(r) for r in args.reach_back.split(",")):
        cuts = [c for pcm in clips for a in range(16) if (c := cut_frames(pcm, a, reach)) is not None]
        late = [c for c in cuts if c > 1]
        print(f"reach back {reach} ms: {len(late)} of {len(cuts)} runs ({100 * len(late) / len(cuts):.1f}%) began "
              f"after the first sound; at most {max([0, *cuts]) * FRAME_MS} ms of it cut off")
    return 0


if __name__ == "__main__":
    sys.exit(main())
