"""Speech-out benchmark: time to first sample, stop to silence, whole-guide synthesis, intelligibility.

Usage: python bench/speech_out.py [--device pulse] [--runs N]

Needs the virtual speaker (PulseAudio null sink "speaker", as the tests start
it) or another output device. Every figure is measured in this one run. On the
virtual speaker, the silence after "stop" and "pause" is also timed where it is
heard: on a recording of the speaker's output (its monitor).
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

import numpy as np

from voiceguide.audio import concat, silence
from voiceguide.devices import DevicePlayer
from voiceguide.guide import load_guide
from voiceguide.speak import EspeakSynthesizer, PiperSynthesizer, Speech, Synthesizer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.sound import Recorder, ensure_pulse


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def first_sample_ms(synth: Synthesizer, texts: list[str], device: str) -> list[float]:
    """Answer text handed over -> first sample to the device (when it sounds), with an empty cache."""
    out = []
    player = DevicePlayer(synth.sample_rate, device)
    for text in texts:
        speech = Speech(synth)  # a fresh cache: the first sentence is synthesised in the measured time
        time.sleep(0.2)
        start = time.perf_counter()
        playback = player.start(speech.sentences(text))
        checked = start
        while playback.timing.first_sample is None and not playback.done:
            time.sleep(0.0005)
            if time.perf_counter() - checked >= 1.0:  # as a conversation does: a stalled output is reopened
                player.keep_alive()
                checked = time.perf_counter()
        out.append((playback.timing.first_sample - start) * 1000 if playback.timing.first_sample else float("nan"))
        playback.stop()
        playback.wait(2)
    player.close()
    return out


def cut_ms(synth: Synthesizer, texts: list[str], device: str, recorder: Recorder | None,
           how: str) -> tuple[list[float], list[float]]:
    """"stop" or "pause" -> silence: when the player stopped feeding the answer (it drops what it had
    queued), and when the speaker's output, recorded from its monitor, last sounded (see last_sound;
    an upper bound by the recorder's own latency, 10 ms; 0 when the answer was between words)."""
    speech = Speech(synth)
    fed, heard = [], []
    rng = random.Random(7)
    player = DevicePlayer(synth.sample_rate, device)
    for text in texts:
        playback = player.start(speech.sentences(text))
        time.sleep(rng.uniform(0.3, 1.2))
        cut_at = time.perf_counter()
        if how == "stop":
            playback.stop()
            playback.wait(2)
            timing = playback.timing
            if timing.silenced and timing.stop_requested:
                fed.append((timing.silenced - timing.stop_requested) * 1000)
        else:
            playback.pause()
        time.sleep(0.5)
        if recorder is not None:
            last = last_sound(recorder, cut_at)
            heard.append(max(0.0, (last - cut_at) * 1000) if last is not None else 0.0)
        playback.stop()
    player.close()
    return fed, heard


def last_sound(recorder: Recorder, cut_at: float, threshold: int = 300) -> float | None:
    """When the recorded speaker last sounded in the two seconds before ``cut_at`` and the half second
    after, on the recording's own timeline: a sample's time is its place in the recording plus the
    smallest delay any chunk around it arrived with (one that arrives late, on a busy machine, says
    nothing about when its samples sounded)."""
    placed, position = [], 0
    for arrived, chunk in list(recorder.chunks):
        position += len(chunk) // 2
        placed.append((arrived, position, chunk))
    near = [(arrived, end, chunk) for arrived, end, chunk in placed if cut_at - 3.0 <= arrived <= cut_at + 3.0]
    if not near:
        return None
    start = min(arrived - end / recorder.rate for arrived, end, _ in near)  # when sample 0 sounded
    samples = np.frombuffer(b"".join(chunk for _, _, chunk in near), "<i2")
    first = near[0][1] - len(near[0][2]) // 2
    window = recorder.rate // 100
    loud = [i for i in range(0, len(samples) - window + 1, window) if np.abs(samples[i : i + window]).max() > threshold]
    times = [start + (first + i + window) / recorder.rate for i in loud]
    times = [t for t in times if cut_at - 2.0 <= t <= cut_at + 0.5]
    return times[-1] if times else None
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
    recorder = None
    if args.device == "pulse":
        ensure_pulse()
        recorder = Recorder()  # the speaker's output, to time the silence after a stop or pause
    guide = load_guide()
    topics = guide.content.topics
    answers = [t.short for t in topics] + [t.detail for t in topics]
    whole = " ".join(f"{t.title}. {t.short} {t.detail}" for t in topics)
    espeak, piper = EspeakSynthesizer(), PiperSynthesizer()
    print(f"device {args.device}; {len(answers)} answers x {args.runs} runs")
    for name, synth in (("espeak-ng", espeak), ("piper", piper)):
        first = first_sample_ms(synth, answers * args.runs, args.device)
        details = [t.detail for t in topics] * args.runs
        stops, stops_heard = cut_ms(synth, details, args.device, recorder, "stop")
        _, pauses_heard = cut_ms(synth, details, args.device, recorder, "pause")
        print(f"{name}: text -> first sample median {statistics.median(first):.1f} ms, p95 {p95(first):.1f} ms | "
              f"stop -> the answer no longer fed median {statistics.median(stops):.1f} ms, p95 {p95(stops):.1f} ms")
        if recorder is not None:
            print(f"{name}: silence at the speaker (recorded): stop median {statistics.median(stops_heard):.1f} ms, "
                  f"p95 {p95(stops_heard):.1f} ms, max {max(stops_heard):.1f} ms | pause median "
                  f"{statistics.median(pauses_heard):.1f} ms, p95 {p95(pauses_heard):.1f} ms, "
                  f"max {max(pauses_heard):.1f} ms")
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
