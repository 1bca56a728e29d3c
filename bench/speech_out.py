"""Speech-out benchmark: time to first sample, stop to silence, whole-guide synthesis, intelligibility.

Usage: python bench/speech_out.py [--device pulse] [--runs N]

Needs the virtual speaker (PulseAudio null sink "speaker", as the tests start
it) or another output device. Every figure is measured in this one run.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from voiceguide.audio import concat, silence
from voiceguide.devices import DevicePlayer
from voiceguide.guide import load_guide
from voiceguide.speak import EspeakSynthesizer, PiperSynthesizer, Speech, Synthesizer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.sound import ensure_pulse


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def first_sample_ms(synth: Synthesizer, texts: list[str], device: str) -> list[float]:
    """Answer text handed over -> first sample delivered to the device, with an empty cache."""
    out = []
    player = DevicePlayer(synth.sample_rate, device)
    for text in texts:
        speech = Speech(synth)  # a fresh cache: the first sentence is synthesised in the measured time
        time.sleep(0.2)
        start = time.perf_counter()
        playback = player.start(speech.sentences(text))
        while playback.timing.first_sample is None and not playback.done:
            time.sleep(0.0005)
        out.append((playback.timing.first_sample - start) * 1000 if playback.timing.first_sample else float("nan"))
        playback.stop()
        playback.wait(2)
    player.close()
    return out


def stop_ms(synth: Synthesizer, texts: list[str], device: str) -> tuple[list[float], float]:
    """"stop" -> the device callback sends silence; plus the stream's reported output latency."""
    speech = Speech(synth)
    out = []
    rng = random.Random(7)
    player = DevicePlayer(synth.sample_rate, device)
    for text in texts:
        playback = player.start(speech.sentences(text))
        time.sleep(rng.uniform(0.3, 1.2))
        playback.stop()
        playback.wait(2)
        timing = playback.timing
        if timing.silenced and timing.stop_requested:
            out.append((timing.silenced - timing.stop_requested) * 1000)
    player.close()
    import sounddevice as sd

    with sd.OutputStream(samplerate=synth.sample_rate, channels=1, dtype="int16", device=device,
                         latency="low", blocksize=round(synth.sample_rate * 0.01)) as stream:
        latency = float(stream.latency) * 1000
    return out, latency


def whole_guide_seconds(synth: Synthesizer, text: str) -> float:
    start = time.perf_counter()
    Speech(synth).render(text)
    return time.perf_counter() - start


def espeak_cli_seconds(text: str, voice: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run(["espeak-ng", "-v", voice, "-w", os.path.join(tmp, "all.wav"), text], check=True)
        return time.perf_counter() - start


def word_recall(reference: str, heard: str) -> tuple[int, int]:
    """Reference words matched in order by the transcript (longest common subsequence)."""
    ref = [w.strip(".,?!").lower() for w in reference.split()]
    hyp = heard.lower().split()
    prev = [0] * (len(hyp) + 1)
    for r in ref:
        cur = [0]
        for j, h in enumerate(hyp):
            cur.append(prev[j] + 1 if r == h else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1], len(ref)


def intelligibility(synth: Synthesizer, texts: list[str]) -> tuple[float, float]:
    """Share of words PocketSphinx's general model hears back from the synthetic answers:
    of all words, and of the words its dictionary has (it cannot hear "discitis")."""
    from pocketsphinx import Decoder

    decoder = Decoder(samprate=16000)
    speech = Speech(synth)
    kept = total = known_kept = known_total = 0
    for text in texts:
        audio, _ = speech.render(text)
        pad = silence(0.5, 16000)  # a listener hears the quiet before and after, as a recogniser should
        decoder.start_utt()
        decoder.process_raw(concat([pad, audio, pad], 16000).to_bytes(), full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
        heard = hyp.hypstr if hyp else ""
        k, n = word_recall(text, heard)
        kept, total = kept + k, total + n
        known = " ".join(w for w in text.split() if decoder.lookup_word(w.strip(".,?!").lower()))
        k, n = word_recall(known, heard)
        known_kept, known_total = known_kept + k, known_total + n
    return kept / total, known_kept / known_total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="pulse")
    parser.add_argument("--runs", type=int, default=2, help="passes over the answers for the latency figures")
    args = parser.parse_args()
    if args.device == "pulse":
        ensure_pulse()
    guide = load_guide()
    topics = guide.content.topics
    answers = [t.short for t in topics] + [t.detail for t in topics]
    whole = " ".join(f"{t.title}. {t.short} {t.detail}" for t in topics)
    espeak, piper = EspeakSynthesizer(), PiperSynthesizer()
    print(f"device {args.device}; {len(answers)} answers x {args.runs} runs")
    for name, synth in (("espeak-ng", espeak), ("piper", piper)):
        first = first_sample_ms(synth, answers * args.runs, args.device)
        stops, latency = stop_ms(synth, [t.detail for t in topics] * args.runs, args.device)
        print(f"{name}: text -> first sample median {statistics.median(first):.1f} ms, p95 {p95(first):.1f} ms | "
              f"stop -> silence (callback) median {statistics.median(stops):.1f} ms, p95 {p95(stops):.1f} ms; "
              f"device output latency {latency:.1f} ms")
    cli = espeak_cli_seconds(whole, "en-us")
    ours = whole_guide_seconds(espeak, whole)
    natural = whole_guide_seconds(piper, whole)
    print(f"whole guide ({len(whole.split())} words): espeak-ng command line {cli:.3f} s | "
          f"VoiceGuide espeak-ng {ours:.3f} s ({ours / cli:.2f}x) | Piper {natural:.2f} s ({natural / cli:.1f}x)")
    sample = [t.short for t in topics]
    for name, synth in (("Piper", piper), ("espeak-ng", espeak)):
        every, known = intelligibility(synth, sample)
        print(f"intelligibility, {name}: PocketSphinx's general model keeps {every:.1%} of all words, "
              f"{known:.1%} of the words in its dictionary")
    return 0


if __name__ == "__main__":
    sys.exit(main())
