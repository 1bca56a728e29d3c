"""A waiting room: questions asked while other people talk all the time, through the real endpointer.

Usage: python bench/waiting_room.py [--every N] [--snrs 5,10] [--paused-every N]
                                    [--endpoint KEY=VALUE ...] [--no-decode] [--json FILE]

bench/speech_in.py's babble stops a second after the question, so the endpointer's trailing silence
always comes. In a waiting room it never does: the trained detector takes the other talkers for
speech. Each scene here is babble that never stops (six other phrasings spoken over and over by
other voices, as bench/speech_in.py makes it): 6 to 10 s of it, the question, 4 to 8 s more, the
question mixed at a true SNR over its active frames (speech_in.mix). Some questions are said in two
parts with 0.5 to 1.0 s of silence between them (each half synthesised alone, the silence under the
babble). Before each scene the listener hears 12.5 s of the same babble: a listener that has just
begun knows nothing of the room, and its first utterance in babble runs to max_utterance_s whatever
the rule (that warm-up is not counted).

Frames go through the real Listener (Silero, as the app builds it for Whisper) and the real Whisper
tiny.en engine with the guide's vocabulary; every utterance is understood and answered as
bench/speech_in.py's hear() does (a fresh Conversation), in audio time (no pacing).

Phrasings: the dev writers' fact questions only (bench/writers/sets.yaml), the ones
bench/speech_in.py --set dev --every 32 --rotate speaks, in the same voices (so its synthesis cache
serves them); --every N takes every Nth of those. Reported per SNR and paused or not: how long after
the question's last word the utterance holding it ended (median, p95), how many ran to max length,
how many questions were split across utterances or cut (some of the question outside the utterance
that holds most of it; a split is a cut too), how many were understood right (speech_in.score, on
the reply to the utterance that holds most of the question), and the babble alone: utterances that
hold none of the question, decoded (with words, answered from the article) or passed over.
--no-decode: where utterances end, without Whisper (a recogniser that hears nothing: a quick grid over
the endpointer's settings; nothing understood or answered).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import speech_in  # noqa: E402 (bench/: this script's own folder)
from speech_in import RATE, VOICES, Item, babble_talkers, cache_path, load16, mix, score  # noqa: E402

HALVES = HERE / ".cache" / "waiting-room-2"  # a new folder: "waiting-room" held clips rendered in one process
WARM_S = 12.5
"""Babble the listener hears before each scene, not counted (see the module's docstring)."""
FRAME = RATE // 100


@dataclass
class Tally:
    """Figures of one SNR, paused or not."""

    scenes: int = 0
    end_after: list[float] = field(default_factory=list)
    """Seconds from the question's last word to the end of the utterance holding it."""
    max_length: int = 0
    split: int = 0
    cut: int = 0
    missed: int = 0
    """Questions with no decoded utterance at all (passed over as the others' talk)."""
    right: int = 0
    babble_seconds: float = 0.0
    """Seconds of babble alone heard (the scene before and after the question, warm-up left out)."""
    babble_decoded: list[float] = field(default_factory=list)
    """Durations of utterances of the babble alone that were decoded."""
    babble_words: int = 0
    babble_answered: int = 0
    babble_passed: list[float] = field(default_factory=list)
    """Durations of utterances of the babble alone passed over, not decoded."""


def halves_path(text: str, voice: str) -> Path:
    return HALVES / voice / f"{hashlib.sha1(text.encode()).hexdigest()[:16]}.wav"


def halves(text: str) -> tuple[str, str]:
    """A question said in two parts: its words split in the middle."""
    words = text.split()
    middle = max(1, len(words) // 2)
    return " ".join(words[:middle]), " ".join(words[middle:])


def render_halves(texts: list[tuple[str, str]]) -> None:
    """(text, voice) pairs rendered to 16 kHz WAVs in this benchmark's own cache, unless there
    (each espeak-ng clip by a fresh process; speech_in.render_texts says why)."""
    speech_in.render_texts(texts, halves_path)


def words_only(speech: np.ndarray) -> np.ndarray:
    """``speech`` without the quiet the synthesiser leaves around the words (frames within 30 dB of
    its loudest, as speech_in.active_frames takes them)."""
    active = np.flatnonzero(speech_in.active_frames(speech))
    return speech[active[0] * FRAME : (active[-1] + 1) * FRAME]


def babble(items: list[Item], index: int, voice: str, total: int, rng: np.random.Generator) -> np.ndarray:
    """The six other talkers of speech_in's babble, each talking on for ``total`` samples."""
    out = np.zeros(total)
    for text, talker in babble_talkers(items, index, voice):
        other = load16(cache_path(text, talker))
        other = other / max(1.0, np.sqrt(np.mean(other**2)))
        start = int(rng.integers(0, RATE // 2))
        while start < total:
            part = other[: total - start]
            out[start : start + len(part)] += part
            start += len(part) + int(rng.integers(RATE // 10, RATE // 3))
    return out


def scene(items: list[Item], index: int, voice: str, snr: float, paused: bool) -> tuple[np.ndarray, int, int]:
    """The scene's samples (int16, the warm-up first), and where the question's words begin and end."""
    text = items[index].text
    rng = np.random.default_rng(int(hashlib.sha1(f"{text}|{voice}|{snr}|{paused}".encode()).hexdigest()[:8], 16))
    if paused:
        first, then = (words_only(load16(halves_path(h, voice))) for h in halves(text))
        speech = np.concatenate([first, np.zeros(int(rng.uniform(0.5, 1.0) * RATE)), then])
    else:
        speech = words_only(load16(cache_path(text, voice)))
    lead = int((WARM_S + rng.uniform(6.0, 10.0)) * RATE)
    total = lead + len(speech) + int(rng.uniform(4.0, 8.0) * RATE)
    placed = np.concatenate([np.zeros(lead - int(speech_in.LEAD_S * RATE)), speech])  # mix places it LEAD_S in
    clip = mix(placed, babble(items, index, voice, total, rng), snr)
    peak = np.abs(clip).max()
    if peak > 32000:  # unclipped, as a microphone's gain control would keep it (as speech_in does)
        clip *= 32000 / peak
    return clip.astype(np.int16), lead, lead + len(speech)


@dataclass
class Heard:
    start: float
    end: float
    reason: str
    text: str
    reply: object


def listen(run: dict, clip: np.ndarray) -> tuple[list[Heard], list[tuple[float, float]]]:  # type: ignore[type-arg]
    """Every utterance in the scene as the guide hears and answers it (times in seconds of audio), and
    the utterances the listener passed over (start, end)."""
    from voiceguide.dialogue import Conversation
    from voiceguide.hearing import FRAME_MS, Listener, frames_of
    from voiceguide.understand import understand_heard

    now = [0.0]
    listener = Listener(run["recognizer"], run["endpoint"], clock=lambda: now[0])
    heard: list[Heard] = []
    passed: list[tuple[float, float]] = []

    def answer(utterance) -> None:  # type: ignore[no-untyped-def]
        t = utterance.transcript
        if not run["decode"]:
            heard.append(Heard(utterance.ended_at - utterance.duration, utterance.ended_at, utterance.reason, "",
                               None))
            return
        got = understand_heard(run["guide"].understander, t.text, t.command, t.alternatives, t.confidence, t.noisy)
        reply = Conversation(run["guide"], ask_back=False).respond(t.text, got, noisy=t.noisy)
        heard.append(Heard(utterance.ended_at - utterance.duration, utterance.ended_at, utterance.reason,
                           t.text, reply))

    for n, frame in enumerate(frames_of(clip.tobytes())):
        now[0] = (n + 1) * FRAME_MS / 1000
        count = listener.passed_over
        utterance = listener.feed(frame)
        if listener.passed_over > count:
            passed.append((now[0] - listener.passed_over_s, now[0]))
        if utterance is not None:
            answer(utterance)
    last = listener.flush()
    if last is not None:
        answer(last)
    return heard, passed


def tally_scene(t: Tally, run: dict, item: Item, heard: list[Heard], passed: list[tuple[float, float]],  # type: ignore[type-arg]
                began: float, ended: float, total: float) -> dict:  # type: ignore[type-arg]
    """Add one scene's figures to ``t``; what happened in it, for --json."""
    def overlap(a: float, b: float) -> float:
        return max(0.0, min(b, ended) - max(a, began))

    holding = [h for h in heard if overlap(h.start, h.end) > 0]
    t.scenes += 1
    t.babble_seconds += total - WARM_S - (ended - began)
    fact: dict[str, object] = {"text": item.text}
    if not holding:
        t.missed += 1
        t.cut += 1
    else:
        main = max(holding, key=lambda h: overlap(h.start, h.end))
        last = max(holding, key=lambda h: h.end)
        t.end_after.append(last.end - ended)
        t.max_length += any(h.reason == "max_length" for h in holding)
        t.split += len(holding) > 1
        t.cut += main.start > began or main.end < ended
        verdict = main.reply is not None and bool(score(item, main.reply, run["units"]))
        t.right += verdict
        fact.update(heard=[h.text for h in holding], reasons=[h.reason for h in holding],
                    end_after=last.end - ended, right=verdict)
    margin = 0.2  # an utterance that ends or begins this near the question is not the babble's alone
    for h in heard:
        if h.start >= WARM_S and not overlap(h.start - margin, h.end + margin):
            t.babble_decoded.append(h.end - h.start)
            t.babble_words += bool(h.text.strip())
            t.babble_answered += h.reply is not None and h.reply.unit is not None  # type: ignore[attr-defined]
    for start, end in passed:
        if start >= WARM_S and not overlap(start - margin, end + margin):
            t.babble_passed.append(end - start)
    return fact


def p95(values: list[float]) -> float:
    return speech_in.p95(values)


def row(name: str, t: Tally) -> str:
    med = float(np.median(t.end_after)) if t.end_after else float("nan")
    decoded = t.babble_decoded
    minutes = t.babble_seconds / 60
    return (f"| {name} | {t.scenes} | {med:.1f} s / {p95(t.end_after):.1f} s | {t.max_length} | {t.split} | "
            f"{t.cut} ({t.missed} missed) | {t.right} ({t.right / max(1, t.scenes):.0%}) | {minutes:.1f} | "
            f"{len(decoded)} ({len(decoded) / max(minutes, 1e-9):.1f}/min), "
            f"{float(np.median(decoded)) if decoded else float('nan'):.1f} s | {t.babble_words} | "
            f"{t.babble_answered} | {len(t.babble_passed)}, "
            f"{float(np.median(t.babble_passed)) if t.babble_passed else float('nan'):.1f} s |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=2, help="every Nth of the dev fact questions speech_in speaks")
    parser.add_argument("--snrs", default="5,10")
    parser.add_argument("--paused-every", type=int, default=2,
                        help="also say every Nth of the questions with a pause in the middle; 0: none")
    parser.add_argument("--endpoint", action="append", default=[], metavar="KEY=VALUE",
                        help="an EndpointConfig field (others_talk_end_ms=0: without the waiting-room rule)")
    parser.add_argument("--no-decode", action="store_true",
                        help="where utterances end only: no Whisper, nothing understood (a quick grid)")
    parser.add_argument("--json", type=Path, help="also write every scene's figures to this file")
    args = parser.parse_args()

    from voiceguide.app import listening_vocabulary
    from voiceguide.guide import load_guide
    from voiceguide.hearing import EndpointConfig
    from voiceguide.recognize import ModelChoice, Recognizer, Transcript, engine_class
    from voiceguide.whisper_engine import WhisperOptions

    class Deaf(Recognizer):
        """Hears nothing (--no-decode): only where the endpointer ends utterances is measured."""

        engine = "none"

        def start(self) -> None:
            pass

        def accept(self, pcm: bytes) -> None:
            pass

        def finish(self) -> Transcript:
            return Transcript("", 0.0)

    items = speech_in.load_items("dev")  # all of them: the babble talkers are taken from the whole set
    spoken = speech_in.spoken_pairs(items, speech_in.chosen_items(items, 32), list(VOICES), rotate=True)
    facts = [(v, i) for v, i in spoken if items[i].kind == "fact"][:: args.every]
    paused = facts[:: args.paused_every] if args.paused_every else []
    speech_in.render(items, facts, ["babble5"])
    render_halves(sorted({(h, v) for v, i in paused for h in halves(items[i].text)}))

    guide = load_guide()
    if args.no_decode:
        recognizer: Recognizer = Deaf()
    else:
        cls = engine_class("whisper")
        recognizer = cls(listening_vocabulary(guide), cls.locate(ModelChoice(whisper_size="tiny.en")),  # type: ignore[call-arg]
                         WhisperOptions())
    fields = {f.name: f.type for f in dataclasses.fields(EndpointConfig)}
    chosen: dict[str, object] = {}
    for pair in args.endpoint:
        key, value = pair.split("=", 1)
        if key not in fields:
            parser.error(f"--endpoint: EndpointConfig has no field {key!r}")
        chosen[key] = float(value) if "float" in str(fields[key]) else int(value)
    # As App.listener builds it for Whisper: the trained detector, the default trailing silence.
    endpoint = EndpointConfig(voice_detector="silero", **chosen)  # type: ignore[arg-type]
    run = {"guide": guide, "recognizer": recognizer, "endpoint": endpoint, "decode": not args.no_decode,
           "units": {u.id: u for u in guide.content.units}}
    print(f"dev writers{' (no decoding)' if args.no_decode else ''}: {len(facts)} fact questions "
          f"(every {args.every} of speech_in's every 32, rotated), "
          f"{len(paused)} of them also with a pause; SNRs {args.snrs} dB; endpoint {chosen or 'as the app'}",
          file=sys.stderr)
    tallies: dict[str, Tally] = {}
    scenes = []
    started = time.perf_counter()
    for snr in (float(s) for s in args.snrs.split(",")):
        for kind, pairs in (("", facts), ("paused", paused)):
            name = f"{snr:g} dB{', paused' if kind else ''}"
            t = tallies.setdefault(name, Tally())
            for voice, index in pairs:
                clip, began, ended = scene(items, index, voice, snr, bool(kind))
                heard, passed = listen(run, clip)
                fact = tally_scene(t, run, items[index], heard, passed, began / RATE, ended / RATE, len(clip) / RATE)
                scenes.append({"condition": name, "voice": voice, **fact})
            print(f"  {name}: {t.scenes} scenes, {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    recognizer.close()
    print("| dev, babble never stopping | scenes | end after the question: median / p95 | ran to max length | "
          "split | cut | understood right | babble alone, minutes | its utterances decoded (a minute), median "
          "length | with words | answered | passed over, median length |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, t in tallies.items():
        print(row(name, t))
    if args.json:
        args.json.write_text(json.dumps({"endpoint": chosen, "scenes": scenes}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
