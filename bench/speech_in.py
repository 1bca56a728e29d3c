"""Speech-in benchmark: spoken questions that are not in the templates, through a real engine.

Usage: python bench/speech_in.py [--set test|dev] [--voices piper,piper-fast-high,piper-slow-low,espeak]
                                 [--limit N] [--nbest N] [--failures]

Renders each phrasing (Piper's joe voice, sox variations of it in tempo and
pitch, and espeak-ng) into bench/.cache, then streams it through the endpointer
and PocketSphinx (clean, and with pink noise at 10 dB SNR) and understands
the transcript. Reports per voice: intent accuracy, out-of-scope rejection,
end-of-utterance to intent latency with the trailing silence, decoding
real-time factor; and the engine's load time and this process's peak memory.
Rendering runs in a child process so that Piper's memory is not counted.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache" / "speech"
sys.path.insert(0, str(HERE))
VOICES = {
    "piper": [],
    "piper-fast-high": ["tempo", "1.15", "pitch", "150"],
    "piper-slow-low": ["tempo", "0.88", "pitch", "-150"],
    "espeak": None,
}


def cache_path(text: str, voice: str) -> Path:
    return CACHE / voice / (hashlib.sha1(text.encode()).hexdigest()[:16] + ".wav")


def render(texts: list[str], voices: list[str]) -> None:
    """Write every (text, voice) WAV that is not cached yet."""
    from voiceguide.audio import write_wav
    from voiceguide.speak import EspeakSynthesizer, PiperSynthesizer, Speech

    piper = Speech(PiperSynthesizer()) if any(v.startswith("piper") for v in voices) else None
    espeak = Speech(EspeakSynthesizer())
    for voice in voices:
        (CACHE / voice).mkdir(parents=True, exist_ok=True)
        for text in texts:
            out = cache_path(text, voice)
            if out.exists():
                continue
            speech = espeak if VOICES[voice] is None else piper
            assert speech is not None
            audio, _ = speech.render(text)
            effects = VOICES[voice]
            if effects:
                plain = out.with_suffix(".plain.wav")
                write_wav(plain, audio)
                subprocess.run(["sox", "-q", str(plain), str(out), *effects], check=True)
                plain.unlink()
            else:
                write_wav(out, audio)


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    """Pink (1/f) noise of unit RMS: the usual stand-in for room and street noise."""
    spectrum = np.fft.rfft(rng.normal(0.0, 1.0, n))
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1.0))
    noise = np.fft.irfft(spectrum, n)
    return noise / np.sqrt(np.mean(noise**2))


def with_noise(samples: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Pink noise mixed in at ``snr_db`` below the RMS level of the speech (its louder frames)."""
    speech = samples.astype(np.float64)
    voiced = speech[np.abs(speech) > 0.02 * np.abs(speech).max()] if len(speech) else speech
    rms = float(np.sqrt(np.mean(voiced**2))) if len(voiced) else 0.0
    noise = pink(len(speech), rng) * rms / (10 ** (snr_db / 20))
    return np.clip(speech + noise, -32768, 32767).astype(np.int16)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["dev", "test"], default="test")
    parser.add_argument("--voices", default=",".join(VOICES))
    parser.add_argument("--limit", type=int, default=0, help="only the first N phrasings")
    parser.add_argument("--trailing-silence", type=int, default=500)
    parser.add_argument("--failures", action="store_true")
    parser.add_argument("--n-best", type=int, default=5, help="readings per utterance offered to the matcher")
    parser.add_argument("--noisy-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--clean-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-command-pass", dest="command_pass", action="store_false",
                        help="the general language model alone, without the command grammar pass")
    parser.add_argument("--render-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    from text_intents import SETS, load_phrasings

    phrasings = load_phrasings(SETS[args.set])
    if args.limit:
        phrasings = phrasings[: args.limit]
    voices = args.voices.split(",")
    if args.render_only:
        render([t for t, _ in phrasings], voices)
        return 0
    subprocess.run([sys.executable, __file__, "--render-only", "--set", args.set, "--voices", args.voices,
                    "--limit", str(args.limit)], check=True)
    print(f"strategy: general language model, {args.n_best}-best readings, tolerant matcher"
          f"{', command grammar pass' if args.command_pass else ''}")
    return measure(phrasings, voices, args)


def measure(phrasings: list[tuple[str, str | None]], voices: list[str], args: argparse.Namespace) -> int:
    from voiceguide.audio import concat, read_wav, silence
    from voiceguide.guide import load_guide
    from voiceguide.hearing import EndpointConfig, Listener, frames_of
    from voiceguide.recognize import SAMPLE_RATE, PocketSphinxRecognizer
    from voiceguide.understand import command_phrases, understand_heard

    start = time.perf_counter()
    guide = load_guide()
    guide_load = time.perf_counter() - start
    start = time.perf_counter()
    PocketSphinxRecognizer.N_BEST = args.n_best
    recognizer = PocketSphinxRecognizer(guide.intents.language.pronunciations,
                                        command_phrases(guide.intents) if args.command_pass else None)
    engine_load = time.perf_counter() - start
    endpoint = EndpointConfig(trailing_silence_ms=args.trailing_silence)
    rng = np.random.default_rng(11)
    print(f"PocketSphinx loaded in {engine_load:.2f} s (the guide's intents in {guide_load:.2f} s); "
          f"trailing silence {args.trailing_silence} ms; {len(phrasings)} phrasings")
    for voice in voices:
        for noisy in [n for n in (False, True) if not (args.noisy_only and not n) and not (args.clean_only and n)]:
            right = rejected = in_scope = out_scope = 0
            latencies: list[float] = []
            decode = audio_seconds = 0.0
            for text, expected in phrasings:
                audio = read_wav(cache_path(text, voice), SAMPLE_RATE)
                padded = concat([silence(0.5, SAMPLE_RATE), audio, silence(1.0, SAMPLE_RATE)], SAMPLE_RATE)
                samples = with_noise(padded.samples, 10.0, rng) if noisy else padded.samples
                listener = Listener(recognizer, endpoint)
                t0 = time.process_time()
                heard = []
                for utterance in listener.utterances(frames_of(samples.astype("<i2").tobytes())):
                    t = utterance.transcript
                    got = understand_heard(guide.understander, t.text, t.command, t.alternatives)
                    latencies.append((time.perf_counter() - utterance.ended_at) * 1000)
                    heard.append(utterance.transcript)
                decode += time.process_time() - t0
                audio_seconds += len(samples) / SAMPLE_RATE
                transcript = " ".join(t.text for t in heard)
                one = heard[0] if len(heard) == 1 else None
                got = understand_heard(guide.understander, transcript, one.command if one else "",
                                       one.alternatives if one else ())
                if expected is None:
                    out_scope += 1
                    rejected += not got.understood
                    if args.failures and got.understood:
                        print(f"  ACCEPTED {text!r} heard {transcript!r} as {got.intent.name if got.intent else None}")
                else:
                    in_scope += 1
                    ok = got.understood and got.intent is not None and got.intent.name == expected
                    right += ok
                    if args.failures and not ok:
                        print(f"  MISS {text!r} heard {transcript!r} -> {got.intent.name if got.intent else None} "
                              f"{got.confidence:.2f}")
            lat = sorted(latencies) or [float("nan")]
            p95 = lat[max(0, round(0.95 * len(lat)) - 1)]
            print(f"{voice}{' +noise 10 dB' if noisy else ''}: answered correctly {right / max(1, in_scope):.1%} "
                  f"({right}/{in_scope}), out of scope rejected {rejected / max(1, out_scope):.1%} "
                  f"({rejected}/{out_scope}) | end of utterance -> intent median {statistics.median(lat):.0f} ms, "
                  f"p95 {p95:.0f} ms | real-time factor {decode / audio_seconds:.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
