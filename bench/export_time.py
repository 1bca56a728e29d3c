"""Export benchmark: the whole guide exported, against espeak-ng's own command line.

Usage: python bench/export_time.py

Measures, in one run: espeak-ng speaking the whole guide's text in one call
to a WAV file; VoiceGuide's export of the whole guide with the default voice
(synthesis, every file, captions, playlist, manifest, page); the same with
the natural voice (Piper), reported with no target.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from voiceguide.content import Content
from voiceguide.export import ExportSettings, export, plan
from voiceguide.guide import load_guide
from voiceguide.speak import EspeakSynthesizer, PiperSynthesizer, Speech, Synthesizer


def timed_export(content: Content, synth: Synthesizer, folder: Path) -> float:
    speech = Speech(synth)
    settings = ExportSettings(voice=synth.voice, engine=synth.version, rate=1.0, volume=1.0, format="wav")
    start = time.perf_counter()
    export(content, speech, folder, settings)
    return time.perf_counter() - start


def main() -> int:
    guide = load_guide()
    _tracks, whole = plan(guide.content)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(root / "all.wav"), whole.text], check=True)
        cli = time.perf_counter() - start
        ours = timed_export(guide.content, EspeakSynthesizer(), root / "espeak")
        natural = timed_export(guide.content, PiperSynthesizer(), root / "piper")
    print(f"whole guide, {len(whole.text.split())} words: espeak-ng command line {cli:.3f} s | "
          f"export, espeak-ng {ours:.3f} s ({ours / cli:.2f} times) | export, Piper {natural:.2f} s "
          f"({natural / cli:.1f} times)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
