"""Speech-in benchmark under hard conditions: every engine, every condition, the writers' phrasings.

Usage: python bench/speech_in.py [--set test|dev] [--engines pocketsphinx,whisper,whisper-base]
                                 [--conditions clean,pink10,...] [--voices piper,en-us+f3,en-gb-x-rp]
                                 [--every N | --stops-only] [--rotate] [--latency-every N] [--json FILE]
                                 [--failures] [--false-stops] [--clips FILE] [--writers u32,u33]

Phrasings: the understanding writers' questions (bench/writers/, sets.yaml says which are the
locked test sets and which are dev). Only dev sets may be tuned on, and --failures and --clips
(what was heard in each clip, for bench/speech_replay.py) are refused on a test set. --writers takes
only some writers' phrasings (a new round, measured held out before anything is tuned on it); the
babble talkers still come from the whole set.

Voices: Piper joe and espeak-ng in two variants (en-us+f3; en-gb-x-rp, British English). Conditions:

- clean;
- pink noise at 10 and 5 dB SNR;
- babble at 5 dB: six other phrasings spoken at once by the other voices (four more espeak-ng ones);
- a reverberant room (sox reverb) plus pink noise at 15 dB;
- tempo +15% and -15% (sox tempo, pitch kept).

Every SNR is true: speech power over the speech's active frames (10 ms frames within 30 dB of
its loudest) against the noise's power over the same frames. Noise runs for the whole clip,
one second before the speech and one after, as in a real room.

Each engine runs in a child process of its own (so its memory is its own), through the real
endpointer, the engine's command pass, understanding and the dialogue. Scoring: the same
function scores the typed and the spoken reply (score()); "agreement" is the share of phrasings
whose spoken reply is the reply to the same question typed. --every N takes every Nth phrasing,
and every stop and pause; --rotate speaks each in one voice, the voices taking turns. Latency:
for every 4th phrasing (--latency-every) and every stop and pause, the clip is fed in real
time, and the figure is the end-of-utterance decision to the first answer sample
synthesised (questions), or to the decision (stop and pause: the player stops at its next 10 ms
block, bench/speech_out.py). A stop or pause is heard as said while the guide speaks
(Listener.feed's commands_only, as Session.hear): decided on the engine's keyword spotter while
it is said, or on its streaming command pass with a second opinion when the utterance ends
(converse.cuts_in_at_once, as Session.early), else on the engine's words. A spotted stop's latency
is counted from when the person stopped (the end of the spotted phrase, or of the words run on it before the quiet that
confirmed it; see EndpointConfig.spot_*), the others' from the end-of-utterance decision.
--false-stops also hears every other phrasing of the run as if said over the guide, unpaced, and
counts those that would have stopped or paused it: by the spotter, the command pass, or the
engine's words; and hears the stops and pauses the same way. --facts keeps what each path heard in
each of those clips, for bench/stop_rules.py. Noise alone (pink, white, brown, hum, a cough, knocks)
must get no words at all.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
from understanding import Question, _control, verdict  # noqa: E402 (bench/: this script's own folder)

CACHE = HERE / ".cache" / "speech-in-2"
"""Rendered clips, 16 kHz. A new folder: the espeak-ng clips in ``speech-in`` depended on what the
process had rendered before them (render_texts); nothing reads that folder now."""
WRITERS = HERE / "writers"
RATE = 16000
LEAD_S = 1.0
TAIL_S = 1.0
VOICES = ("piper", "en-us+f3", "en-gb-x-rp")
BABBLE_VOICES = ("piper", "en-us+f3", "en-gb-x-rp", "en-us+m3", "en-gb-scotland+f4")
"""Babble talkers for a phrasing: the voices of these that are not its own, in turn."""
BABBLE_TALKERS = 6
"""Six other phrasings at once: babble. (Three, tried first on the dev set, is rather a few
conversations one can follow: Whisper transcribed them, 14.7% answered, dev, tiny.en.)"""
EFFECTS = {"tempo+15": ["tempo", "1.15"], "tempo-15": ["tempo", "0.85"], "room": ["reverb", "60", "50", "100"]}
CONDITIONS = ("clean", "pink10", "pink5", "babble5", "room15", "tempo+15", "tempo-15")
ENGINES = {
    "pocketsphinx": ("pocketsphinx", None),
    "whisper": ("whisper", "tiny.en"),
    "whisper-base": ("whisper", "base"),
}
"""Benchmark name -> (engine, Whisper size)."""


@dataclass(frozen=True)
class Item:
    """One writer's phrasing."""

    writer: str
    text: str
    kind: str
    sentences: tuple[int, ...] = ()
    control: str = ""


@dataclass
class Tally:
    """Figures of one engine in one condition (or one writer)."""

    scored: int = 0
    right: int = 0
    typed_right: int = 0
    out_of_scope: int = 0
    rejected: int = 0
    items: int = 0
    agree: int = 0
    latencies: list[float] = field(default_factory=list)
    stop_latencies: list[float] = field(default_factory=list)
    stop_early: list[float] = field(default_factory=list)
    """Of stop_latencies, those of the stops and pauses decided on the command pass or the spotter alone
    (no wait for the words)."""
    stop_spotted: list[float] = field(default_factory=list)
    """Of stop_early, those the keyword spotter decided while the stop was being said."""
    false_stops: list[str] = field(default_factory=list)
    """Other phrasings (--false-stops) that would have stopped or paused the guide, and how."""
    false_heard: int = 0
    """Other phrasings heard for --false-stops."""
    stops_taken: int = 0
    """Of the stops and pauses heard the same way (--false-stops), those that would have stopped or
    paused the guide."""
    stops_heard: int = 0
    waits: list[float] = field(default_factory=list)
    """Of each question's latency, the wait for the recogniser's transcript after the end was decided (ms)."""


def load_items(which: str) -> list[Item]:
    sets = yaml.safe_load((WRITERS / "sets.yaml").read_text(encoding="utf-8"))["understanding"]
    items = []
    for writer in sets[which]:
        doc = yaml.safe_load((WRITERS / f"{writer}.yaml").read_text(encoding="utf-8"))
        for q in doc["questions"]:
            items.append(Item(writer, str(q["text"]), q["kind"], tuple(q.get("sentences") or ()),
                              _control(q.get("control"))))
    return items


def stop_or_pause(item: Item) -> bool:
    """What must cut in at once while the guide speaks."""
    return item.kind == "control" and item.control in ("stop", "pause")


def chosen_items(items: list[Item], every: int, writers: str = "") -> list[int]:
    """Every Nth phrasing, and every stop and pause (too few otherwise for their latency figure); with
    ``writers`` (ids, "u32,u34"), only theirs: a new round's writers measured held out, on their own."""
    ids = {w.strip() for w in writers.split(",")} if writers else None
    mine = [i for i, item in enumerate(items) if ids is None or item.writer.split("-")[0] in ids]
    if ids is not None and (unknown := sorted(ids - {item.writer.split("-")[0] for item in items})):
        raise SystemExit(f"--writers: '{unknown[0]}' is no writer of this set (ids such as u32)")
    return sorted(set(mine[::every]) | {i for i in mine if stop_or_pause(items[i])})


def cache_path(text: str, voice: str, effect: str = "") -> Path:
    name = hashlib.sha1(text.encode()).hexdigest()[:16]
    return CACHE / (voice + (f"@{effect}" if effect else "")) / f"{name}.wav"


def babble_talkers(items: list[Item], index: int, voice: str) -> list[tuple[str, str]]:
    """BABBLE_TALKERS other phrasings, in voices other than ``voice``."""
    others = [v for v in BABBLE_VOICES if v != voice]
    return [(items[(index + 7 * (k + 1)) % len(items)].text, others[k % len(others)]) for k in range(BABBLE_TALKERS)]


def spoken_pairs(items: list[Item], chosen: list[int], voices: list[str], rotate: bool,
                 stops_only: bool = False) -> list[tuple[str, int]]:
    """(voice, phrasing) for every clip of a run: each chosen phrasing in every voice, or with
    ``rotate`` in one voice, the voices taking turns (every voice, a third of the cost); with
    ``stops_only`` the stops and pauses alone, each in the voice it has in the whole run."""
    if rotate:
        pairs = [(voices[n % len(voices)], i) for n, i in enumerate(chosen)]
    else:
        pairs = [(v, i) for v in voices for i in chosen]
    return [(v, i) for v, i in pairs if stop_or_pause(items[i])] if stops_only else pairs


def render(items: list[Item], pairs: list[tuple[str, int]], conditions: list[str]) -> None:
    """Every WAV the run needs that is not cached yet (16 kHz mono): the phrasings of ``pairs`` in
    their voices and, for babble, their talkers (taken from the whole set ``items``)."""
    wanted: set[tuple[str, str]] = set()
    for voice, index in pairs:
        wanted.add((items[index].text, voice))
        if "babble5" in conditions:
            wanted.update(babble_talkers(items, index, voice))
    render_texts(sorted(wanted))
    effects = {"tempo+15": "tempo+15", "tempo-15": "tempo-15", "room15": "room"}
    for condition, effect in effects.items():
        if condition not in conditions:
            continue
        for voice, index in pairs:
            text = items[index].text
            out = cache_path(text, voice, effect)
            if not out.exists():
                out.parent.mkdir(parents=True, exist_ok=True)
                subprocess.run(["sox", "-q", str(cache_path(text, voice)), str(out), *EFFECTS[effect],
                               "rate", str(RATE)], check=True)


def render_texts(wanted: list[tuple[str, str]], where: Callable[[str, str], Path] = cache_path) -> None:
    """(text, voice) pairs rendered to 16 kHz WAVs at ``where(text, voice)``, unless there.

    libespeak-ng carries state from one synthesis to the next in a process: a phrase said after other
    phrases comes out with other samples, now and then tens of milliseconds longer or shorter (the
    first 60 clips of a dev run, 36 of them espeak-ng, rendered again in one process in the order first
    rendered: 14 differed). In one process, a clip depended on which clips a machine happened to be
    missing, and readings on two machines could not be compared. So each espeak-ng clip is the first
    thing a fresh process says (speak.first_said; 100 of 100 the same again, in another order).
    Piper, its variation off, gives the same samples whatever came before it (20 of 20 dev clips
    rendered again were the same)."""
    from concurrent.futures import ThreadPoolExecutor

    from voiceguide.audio import write_wav
    from voiceguide.speak import PiperSynthesizer, Speech, first_said

    missing = list(dict.fromkeys(p for p in wanted if not where(*p).exists()))
    piper = Speech(PiperSynthesizer(variation=False)) if any(v == "piper" for _, v in missing) else None

    def one(text: str, voice: str) -> None:
        out = where(text, voice)
        out.parent.mkdir(parents=True, exist_ok=True)
        audio = piper.render(text)[0] if piper is not None and voice == "piper" else first_said(text, voice)
        write_wav(out, audio.resampled(RATE))

    for count, (text, voice) in enumerate(p for p in missing if p[1] == "piper"):
        one(text, voice)
        if count % 200 == 199:
            print(f"  rendered {count + 1} Piper clips", file=sys.stderr)
    others = [p for p in missing if p[1] != "piper"]
    with ThreadPoolExecutor(2) as pool:
        for count, _ in enumerate(pool.map(lambda p: one(*p), others)):
            if count % 200 == 199:
                print(f"  rendered {count + 1} of {len(others)} espeak-ng clips", file=sys.stderr)


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    """Pink (1/f) noise of unit RMS."""
    spectrum = np.fft.rfft(rng.normal(0.0, 1.0, n))
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1.0))
    noise = np.fft.irfft(spectrum, n)
    return noise / np.sqrt(np.mean(noise**2))


def active_frames(speech: np.ndarray) -> np.ndarray:
    """A mask of the 10 ms frames of ``speech`` within 30 dB of its loudest frame."""
    frame = RATE // 100
    n = len(speech) // frame
    power = np.mean(speech[: n * frame].reshape(n, frame) ** 2, axis=1)
    return power >= power.max() * 10 ** (-30 / 10) if n else np.zeros(0, bool)


def mix(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``speech`` (placed after LEAD_S) and ``noise`` (as long as the clip) at a true SNR over the
    speech's active frames."""
    frame = RATE // 100
    lead = int(LEAD_S * RATE)
    clip = np.zeros(len(noise))
    clip[lead : lead + len(speech)] = speech
    mask = active_frames(speech)
    n = len(mask)
    speech_power = np.mean(speech[: n * frame].reshape(n, frame)[mask] ** 2)
    under = noise[lead : lead + n * frame].reshape(n, frame)[mask]
    noise_power = np.mean(under**2)
    gain = np.sqrt(speech_power / (noise_power * 10 ** (snr_db / 10)))
    return clip + gain * noise


def load16(path: Path) -> np.ndarray:
    from voiceguide.audio import read_wav

    return read_wav(path, RATE).samples.astype(np.float64)


def condition_clip(items: list[Item], index: int, voice: str, condition: str) -> tuple[np.ndarray, int]:
    """The clip for one phrasing in one condition (int16), and the sample where its speech ends."""
    item = items[index]
    seed = int(hashlib.sha1(f"{item.text}|{voice}|{condition}".encode()).hexdigest()[:8], 16)
    rng = np.random.default_rng(seed)
    effect = {"tempo+15": "tempo+15", "tempo-15": "tempo-15", "room15": "room"}.get(condition, "")
    speech = load16(cache_path(item.text, voice, effect))
    total = int(LEAD_S * RATE) + len(speech) + int(TAIL_S * RATE)
    end = int(LEAD_S * RATE) + len(speech)
    if condition in ("clean", "tempo+15", "tempo-15"):
        clip = np.zeros(total)
        clip[int(LEAD_S * RATE) : end] = speech
    elif condition.startswith("pink"):
        clip = mix(speech, pink(total, rng), float(condition[4:]))
    elif condition == "room15":
        clip = mix(speech, pink(total, rng), 15.0)
    elif condition == "babble5":
        babble = np.zeros(total)
        for text, talker in babble_talkers(items, index, voice):
            other = load16(cache_path(text, talker))
            other = other / max(1.0, np.sqrt(np.mean(other**2)))
            start = int(rng.integers(0, RATE // 2))
            while start < total:  # each talker keeps talking for the whole clip
                part = other[: total - start]
                babble[start : start + len(part)] += part
                start += len(part) + int(rng.integers(RATE // 10, RATE // 3))
        clip = mix(speech, babble, 5.0)
    else:
        raise ValueError(condition)
    peak = np.abs(clip).max()
    if peak > 32000:  # keep the mix unclipped, as a microphone's gain control would
        clip *= 32000 / peak
    return clip.astype(np.int16), end


def noise_clips(count: int = 20) -> list[tuple[str, np.ndarray]]:
    """Noise alone, as a room makes it: no one speaks in any of these."""
    rng = np.random.default_rng(5)
    clips = []
    length = 3 * RATE
    for k in range(count):
        kind = ("pink", "white", "brown", "hum", "cough", "knocks")[k % 6]
        if kind == "pink":
            x = pink(length, rng) * 3000
        elif kind == "white":
            x = rng.normal(0, 2000, length)
        elif kind == "brown":
            x = np.cumsum(rng.normal(0, 1, length))
            x = (x - np.convolve(x, np.ones(400) / 400, mode="same")) * 300
        elif kind == "hum":
            t = np.arange(length) / RATE
            x = 3000 * np.sin(2 * np.pi * 50 * t) + 1500 * np.sin(2 * np.pi * 150 * t) + rng.normal(0, 200, length)
        elif kind == "cough":  # two bursts of shaped noise, the way a cough sounds on a level meter
            x = rng.normal(0, 30, length)
            for start in (0.8, 1.25):
                n = int(0.25 * RATE)
                envelope = np.exp(-np.arange(n) / (0.06 * RATE)) * (1 - np.exp(-np.arange(n) / (0.005 * RATE)))
                burst = np.convolve(rng.normal(0, 1, n), np.hanning(24), mode="same") * envelope * 12000
                s = int(start * RATE)
                x[s : s + n] += burst
        else:
            x = rng.normal(0, 30, length)
            for start in (0.7, 1.0, 1.3, 1.6):
                s = int(start * RATE)
                n = int(0.03 * RATE)
                x[s : s + n] += rng.normal(0, 1, n) * np.exp(-np.arange(n) / (0.004 * RATE)) * 20000
        clips.append((kind, np.clip(x, -32000, 32000).astype(np.int16)))
    return clips


def score(item: Item, reply, units: dict) -> bool | None:  # type: ignore[no-untyped-def,type-arg]
    """Is ``reply`` right for ``item``? None for kinds not scored for accuracy (out of scope, cannot
    answer). bench/understanding.py's scorer, the same for typed and spoken: a fact question is right
    when the reply's first answer unit cites one of the writer's sentences, a control when the reply
    acts on that control."""
    if item.kind not in ("fact", "control"):
        return None
    ok, _ = verdict(units, Question(item.text, item.kind, item.sentences, item.control or ""), reply)
    return ok


def rejected(reply) -> bool:  # type: ignore[no-untyped-def]
    """The guide gave no article content: it said it does not cover that, or did not understand."""
    return reply.unit is None


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)] if ordered else float("nan")


@dataclass
class Run:
    """What one engine's run holds: the guide, the engine, and how it listens."""

    args: argparse.Namespace
    guide: object
    recognizer: object
    endpoint: object
    speech: object
    units: dict  # type: ignore[type-arg]


def hear(run: Run, item: Item, clip: np.ndarray, speech_end: int, paced: bool):  # type: ignore[no-untyped-def]
    """One clip through the endpointer and the engine, as the guide hears it: the reply, the words
    heard, when ``paced`` the latency ("question" or "stop", ms), and what the engine heard (the
    transcript as the understanding stage gets it, for --clips)."""
    from voiceguide.converse import cuts_in_at_once
    from voiceguide.dialogue import Conversation
    from voiceguide.hearing import Listener, frames_of
    from voiceguide.recognize import joined
    from voiceguide.understand import understand_heard

    guide = run.guide
    listener = Listener(run.recognizer, run.endpoint)  # type: ignore[arg-type]
    heard = []
    latency = None
    stop_like = stop_or_pause(item)

    def over_the_guide(utterance) -> bool:  # type: ignore[no-untyped-def]
        """A stop or pause is said while the guide speaks: decided as Session.early decides it."""
        return cuts_in_at_once(guide.understander, utterance)  # type: ignore[attr-defined]

    early = over_the_guide if stop_like else None
    due = time.perf_counter()
    for frame_no, frame in enumerate(front_end(run.args.front_end, frames_of(clip.tobytes()))):
        if paced:  # at the pace of a real microphone, so that early decoding has the time it would have
            due += 0.01
            time.sleep(max(0.0, due - time.perf_counter()))
        utterance = listener.feed(frame, early=early, commands_only=stop_like)
        if utterance is None:
            continue
        heard.append(utterance)
        if paced:  # what the guide would do now: understand, reply, synthesise the first sentence
            t = utterance.transcript
            got = understand_heard(guide.understander, t.text, t.command, t.alternatives,  # type: ignore[attr-defined]
                                   t.confidence, t.noisy)
            answer = Conversation(guide, ask_back=False).respond(t.text, got, noisy=t.noisy)  # type: ignore[arg-type]
            if not stop_like:
                next(iter(run.speech.sentences(answer.text)))  # type: ignore[attr-defined]
            latency = ("stop" if stop_like else "question", (time.perf_counter() - utterance.ended_at) * 1000,
                       (utterance.decoded_at - utterance.ended_at) * 1000, utterance.early,
                       utterance.reason == "spotted")
            if frame_no * 160 >= speech_end:
                break
    last = listener.flush()
    if last is not None:
        heard.append(last)
    # What the guide acted on: an utterance decided on the command pass alone stands for its reading.
    transcript = joined([dataclasses.replace(u.transcript, text=u.transcript.command) if u.early else u.transcript
                         for u in heard])
    understanding = understand_heard(guide.understander, transcript.text, transcript.command,  # type: ignore[attr-defined]
                                     transcript.alternatives, transcript.confidence, transcript.noisy)
    reply = Conversation(guide, ask_back=False).respond(transcript.text, understanding,  # type: ignore[arg-type]
                                                        noisy=transcript.noisy)
    return reply, transcript.text, latency, transcript


def taken_for_stop(run: Run, clip: np.ndarray) -> tuple[str | None, list[dict]]:  # type: ignore[type-arg]
    """Said over the guide, would this clip stop or pause it? Heard as Session.hear hears what is said
    while the guide speaks: the keyword spotter while it is said and the command pass with a second
    opinion when it ends (cuts_in_at_once), else the engine's (brief) words, understood as Session.turn
    understands them. What it was taken for and how, or None; and everything each
    path heard (for --facts: bench/stop_rules.py weighs other rules on it). Every path is heard out:
    what the guide would have acted on is the first that cuts in."""
    from voiceguide.converse import cuts_in, cuts_in_at_once
    from voiceguide.hearing import Listener, frames_of
    from voiceguide.understand import understand_heard

    understander = run.guide.understander  # type: ignore[attr-defined]
    asked: list = []  # type: ignore[type-arg]
    taken: list[str] = []

    def early(utterance) -> bool:  # type: ignore[no-untyped-def]
        asked.append(utterance)
        return False

    def decide(utterance) -> None:  # type: ignore[no-untyped-def]
        for u in asked:
            if not taken and cuts_in_at_once(understander, u):
                taken.append(f"{u.transcript.command!r} ({'spotted' if u.reason == 'spotted' else 'command pass'}"
                             f"{', words ' + repr(u.transcript.text) if u.transcript.text else ''})")
        t = utterance.transcript if utterance is not None else None
        if t is not None and not taken and cuts_in(understand_heard(understander, t.text, t.command, t.alternatives,
                                                                    t.confidence)):
            taken.append(f"{utterance.transcript.text!r} (words)")
        facts.extend(_fact(u) for u in [*asked, *([utterance] if utterance is not None else [])])
        asked.clear()

    facts: list[dict] = []  # type: ignore[type-arg]
    listener = Listener(run.recognizer, run.endpoint)  # type: ignore[arg-type]
    for frame in frames_of(clip.tobytes()):
        if (utterance := listener.feed(frame, early=early, commands_only=True)) is not None:
            decide(utterance)
    decide(listener.flush())
    return (taken[0] if taken else None), facts


def _fact(utterance) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return {"reason": utterance.reason, "early": utterance.early, **dataclasses.asdict(utterance.transcript)}


def run_engine(args: argparse.Namespace) -> int:
    """In the child process: one engine over every condition and voice; one JSON line out."""
    from voiceguide.app import listening_vocabulary
    from voiceguide.dialogue import Conversation
    from voiceguide.guide import load_guide
    from voiceguide.hearing import EndpointConfig, Listener, frames_of
    from voiceguide.recognize import ModelChoice, engine_class
    from voiceguide.speak import EspeakSynthesizer, Speech

    engine, size = ENGINES[args.engine_run]
    items = load_items(args.set)  # all of them: babble talkers are taken from the whole set
    chosen = chosen_items(items, args.every, args.writers)
    start = time.perf_counter()
    guide = load_guide()
    guide_load = time.perf_counter() - start
    vocabulary = listening_vocabulary(guide)
    if args.prompt is not None:  # a prompt to try on the dev set instead of the guide's own
        vocabulary = dataclasses.replace(vocabulary, prompt=args.prompt)
    cls = engine_class(engine)
    start = time.perf_counter()
    model = cls.locate(ModelChoice(whisper_size=size))
    if engine == "whisper":
        from voiceguide.whisper_engine import WhisperOptions

        options = WhisperOptions(**dict(_option(kv) for kv in args.option))
        recognizer = cls(vocabulary, model, options)  # type: ignore[call-arg]
    else:
        recognizer = cls(vocabulary, model)  # type: ignore[call-arg]
    engine_load = time.perf_counter() - start
    endpoint = EndpointConfig(trailing_silence_ms=args.trailing_silence, speculate_after_ms=args.speculate_after,
                              voice_detector=args.voice_detector)
    run = Run(args, guide, recognizer, endpoint, Speech(EspeakSynthesizer()), {u.id: u for u in guide.content.units})
    typed = {items[i].text: Conversation(guide, ask_back=False).respond(items[i].text) for i in chosen}
    pairs = spoken_pairs(items, chosen, args.voices.split(","), args.rotate, args.stops_only)
    results: dict[str, dict[str, object]] = {}
    clips = args.clips.open("a", encoding="utf-8") if args.clips else None
    facts = args.facts.open("a", encoding="utf-8") if args.facts else None
    for condition in args.conditions.split(","):
        tallies: dict[str, Tally] = {"all": Tally()}
        for voice, index in pairs:
            item = items[index]
            clip, speech_end = condition_clip(items, index, voice, condition)
            paced = args.latency_every > 0 and (index // args.every % args.latency_every == 0 or stop_or_pause(item))
            reply, text, latency, transcript = hear(run, item, clip, speech_end, paced)
            verdict = score(item, reply, run.units)
            typed_verdict = score(item, typed[item.text], run.units)
            for key in ("all", voice, item.writer):
                t = tallies.setdefault(key, Tally())
                t.items += 1
                t.agree += reply.text == typed[item.text].text
                if verdict is not None:
                    t.scored += 1
                    t.right += verdict
                    t.typed_right += bool(typed_verdict)
                if item.kind == "out_of_scope":
                    t.out_of_scope += 1
                    t.rejected += rejected(reply)
                if latency is not None:
                    (t.stop_latencies if latency[0] == "stop" else t.latencies).append(latency[1])
                    if latency[0] == "question":
                        t.waits.append(latency[2])
                    elif latency[3]:
                        t.stop_early.append(latency[1])
                        if latency[4]:
                            t.stop_spotted.append(latency[1])
            if clips is not None:
                clips.write(json.dumps({"engine": args.engine_run, "condition": condition, "voice": voice,
                                        "index": index, "item": dataclasses.asdict(item),
                                        "heard": dataclasses.asdict(transcript), "right": verdict,
                                        "typed_right": typed_verdict, "rejected": rejected(reply)}) + "\n")
            if args.failures and (verdict is False or (item.kind == "out_of_scope" and not rejected(reply))):
                print(f"  {'MISS' if verdict is False else 'ACCEPTED'} [{condition} {voice}] {item.text!r} "
                      f"heard {text!r} -> {reply.intent}", file=sys.stderr)
            if args.failures and latency is not None and latency[1] > 600:
                print(f"  SLOW {latency[1]:.0f} ms [{condition} {voice}] {item.text!r} heard {text!r}", file=sys.stderr)
        if args.false_stops:
            others = [(v, i) for v, i in spoken_pairs(items, chosen, args.voices.split(","), args.rotate)
                      if not stop_or_pause(items[i])]
            tally = tallies["all"]
            for voice, index in others:
                clip, _ = condition_clip(items, index, voice, condition)
                tally.false_heard += 1
                if tally.false_heard % 100 == 0:
                    print(f"  [{condition}] {tally.false_heard} of {len(others)} heard for false stops, "
                          f"{len(tally.false_stops)} taken", file=sys.stderr, flush=True)
                taken, heard_facts = taken_for_stop(run, clip)
                if taken is not None:
                    tally.false_stops.append(f"{items[index].text!r} [{voice}] heard as {taken}")
                    print(f"  FALSE STOP [{condition}] {tally.false_stops[-1]}", file=sys.stderr, flush=True)
                if facts is not None:
                    facts.write(json.dumps({"condition": condition, "voice": voice, "text": items[index].text,
                                            "stop": False, "taken": taken, "heard": heard_facts}) + "\n")
            # The stops and pauses themselves, heard the same way: what a rule keeps of them (--facts).
            for voice, index in spoken_pairs(items, chosen, args.voices.split(","), args.rotate, True):
                clip, _ = condition_clip(items, index, voice, condition)
                taken, heard_facts = taken_for_stop(run, clip)
                tally.stops_taken += taken is not None
                tally.stops_heard += 1
                if facts is not None:
                    facts.write(json.dumps({"condition": condition, "voice": voice, "text": items[index].text,
                                            "stop": True, "taken": taken, "heard": heard_facts}) + "\n")
        results[condition] = {key: _figures(t) for key, t in tallies.items()}
        print(f"  {args.engine_run} {condition}: {json.dumps(results[condition]['all'])}", file=sys.stderr)
    if clips is not None:
        clips.close()
    if facts is not None:
        facts.close()
    noise_heard = []
    if args.noise:
        for kind, clip in noise_clips():
            listener = Listener(recognizer, endpoint)
            words = " ".join(u.transcript.text for u in listener.utterances(frames_of(clip.tobytes()))).strip()
            if words:
                noise_heard.append(f"{kind}: {words}")
    recognizer.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"engine": args.engine_run, "model": str(model) if model else None,
                      "engine_load_s": engine_load, "guide_load_s": guide_load, "peak_mb": peak,
                      "noise_clips": len(noise_clips()) if args.noise else 0, "noise_heard": noise_heard,
                      "items": len(chosen), "results": results}))
    return 0


def front_end(kind: str, frames: Iterator[bytes]) -> Iterator[bytes]:
    """Frames through a noise-suppression front end, to measure whether one helps (dev set)."""
    if kind == "none":
        yield from frames
        return
    if kind == "rnnoise":
        yield from _rnnoise(frames)
        return
    from webrtc_noise_gain import AudioProcessor

    level = int(kind.removeprefix("webrtc") or 2)  # webrtc1 .. webrtc4: suppression strength
    processor = AudioProcessor(0, level)
    for frame in frames:
        yield processor.Process10ms(frame).audio


def _rnnoise(frames: Iterator[bytes]) -> Iterator[bytes]:
    """RNNoise (pyrnnoise's library, 48 kHz), resampled to and from the guide's 16 kHz as it streams."""
    import soxr
    from pyrnnoise import rnnoise

    state = rnnoise.create()
    up = soxr.ResampleStream(RATE, rnnoise.SAMPLE_RATE, 1, dtype="float32")
    down = soxr.ResampleStream(rnnoise.SAMPLE_RATE, RATE, 1, dtype="float32")
    held = np.zeros(0, dtype=np.float32)
    out = np.zeros(0, dtype=np.float32)
    try:
        for frame in frames:
            samples = np.frombuffer(frame, dtype=np.int16).astype(np.float32)
            held = np.concatenate([held, up.resample_chunk(samples)])
            while len(held) >= rnnoise.FRAME_SIZE:
                piece, held = held[:rnnoise.FRAME_SIZE], held[rnnoise.FRAME_SIZE:]
                buf = np.ascontiguousarray(piece, dtype=np.float32)
                clean = np.empty_like(buf)
                floats = rnnoise.ctypes.POINTER(rnnoise.ctypes.c_float)
                rnnoise.lib.rnnoise_process_frame(state, clean.ctypes.data_as(floats), buf.ctypes.data_as(floats))
                out = np.concatenate([out, down.resample_chunk(clean)])
            # The same 10 ms out as in, the resamplers' and RNNoise's delay made up with zeros at the start.
            if len(out) >= len(samples):
                piece, out = out[:len(samples)], out[len(samples):]
            else:
                piece = np.zeros(len(samples), dtype=np.float32)
            yield np.clip(piece, -32768, 32767).astype(np.int16).tobytes()
    finally:
        rnnoise.destroy(state)


def _option(pair: str) -> tuple[str, object]:
    key, value = pair.split("=", 1)
    for kind in (int, float):
        try:
            return key, kind(value)
        except ValueError:
            pass
    return key, {"true": True, "false": False}.get(value, value)


def _figures(t: Tally) -> dict[str, object]:
    return {
        "answered": t.right / max(1, t.scored), "typed": t.typed_right / max(1, t.scored),
        "scored": t.scored, "rejected": t.rejected, "out_of_scope": t.out_of_scope,
        "agreement": t.agree / max(1, t.items), "items": t.items,
        "latency_p95_ms": p95(t.latencies), "latency_median_ms": float(np.median(t.latencies)) if t.latencies
        else float("nan"), "latency_n": len(t.latencies),
        "stop_p95_ms": p95(t.stop_latencies), "stop_median_ms": float(np.median(t.stop_latencies))
        if t.stop_latencies else float("nan"), "stop_n": len(t.stop_latencies), "stop_early": len(t.stop_early),
        "stop_early_p95_ms": p95(t.stop_early), "stop_early_median_ms": float(np.median(t.stop_early))
        if t.stop_early else float("nan"), "stop_spotted": len(t.stop_spotted),
        "stop_spotted_p95_ms": p95(t.stop_spotted), "false_stops": len(t.false_stops), "false_heard": t.false_heard,
        "stops_taken": t.stops_taken, "stops_heard": t.stops_heard,
        "wait_p95_ms": p95(t.waits), "wait_median_ms": float(np.median(t.waits)) if t.waits else float("nan"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["dev", "test"], default="test")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    parser.add_argument("--voices", default=",".join(VOICES))
    parser.add_argument("--every", type=int, default=1, help="only every Nth phrasing (a quick dev run)")
    parser.add_argument("--writers", default="", metavar="IDS",
                        help="only these writers' phrasings, by id (u32,u33): a new round measured held out")
    parser.add_argument("--stops-only", action="store_true",
                        help="only the stops and pauses: their latency, over the guide (a quick run)")
    parser.add_argument("--rotate", action="store_true",
                        help="each phrasing in one voice, the voices taking turns (instead of every voice)")
    parser.add_argument("--latency-every", type=int, default=4,
                        help="feed every Nth phrasing (and every stop and pause) in real time; 0: none")
    parser.add_argument("--trailing-silence", type=int, default=500)
    parser.add_argument("--speculate-after", type=int, default=200)
    parser.add_argument("--voice-detector", default="silero", help="the endpointer's: silero (as the app) or level")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="a WhisperOptions field, for tuning on the dev set")
    parser.add_argument("--prompt", help="a Whisper prompt to try instead of the guide's (dev set)")
    parser.add_argument("--front-end", default="none",
                        help="none, rnnoise, or webrtc1..webrtc4 noise suppression (dev set)")
    parser.add_argument("--no-noise", dest="noise", action="store_false", help="skip the noise-only clips")
    parser.add_argument("--failures", action="store_true", help="list each miss (dev set only)")
    parser.add_argument("--false-stops", action="store_true",
                        help="also count the other phrasings that would stop or pause the guide")
    parser.add_argument("--facts", type=Path, help="with --false-stops: write what each path heard in each clip "
                        "said over the guide, one JSON line a clip, for bench/stop_rules.py (dev set only)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--clips", type=Path, help="write what the engine heard in each clip to this file, one "
                        "JSON line a clip, for bench/speech_replay.py (dev set only)")
    parser.add_argument("--engine-run", help=argparse.SUPPRESS)
    parser.add_argument("--render-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--render-texts", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render_texts:  # for bench/conversation.py: its phrasings, in the given voices
        doc = yaml.safe_load(args.render_texts.read_text(encoding="utf-8"))
        render_texts(sorted({(str(t), v) for t, _ in doc["phrasings"] for v in args.voices.split(",")}))
        return 0
    if args.failures and args.set == "test":
        parser.error("--failures lists misses: only on the dev set (the test set is locked)")
    if args.clips and args.set == "test":
        parser.error("--clips keeps what was heard in each clip: only on the dev set (the test set is locked)")
    if args.facts and args.set == "test":
        parser.error("--facts keeps what was heard in each clip: only on the dev set (the test set is locked)")
    if args.facts and not args.engine_run:
        args.facts.write_text("", encoding="utf-8")
    if args.clips and not args.engine_run:
        args.clips.write_text("", encoding="utf-8")  # each engine's run appends its clips
    if args.engine_run:
        return run_engine(args)
    every_item = load_items(args.set)
    chosen = chosen_items(every_item, args.every, args.writers)
    items = [every_item[i] for i in chosen]
    voices, conditions = args.voices.split(","), args.conditions.split(",")
    render(every_item, spoken_pairs(every_item, chosen, voices, args.rotate, args.stops_only and not args.false_stops),
           conditions)
    if args.render_only:
        return 0
    spoken = f"the {sum(map(stop_or_pause, items))} stops and pauses" if args.stops_only else f"{len(items)} phrasings"
    print(f"{args.set} set ({'locked test' if args.set == 'test' else 'dev'}): {spoken} "
          f"(every {args.every}), voices {', '.join(voices)}{' in turn' if args.rotate else ''}; "
          f"trailing silence {args.trailing_silence} ms, early decoding after {args.speculate_after} ms")
    report = []
    for name in args.engines.split(","):
        done = subprocess.run([sys.executable, __file__, *sys.argv[1:], "--engine-run", name],
                              capture_output=False, stdout=subprocess.PIPE, text=True)
        if done.returncode != 0:
            print(f"{name}: failed (exit {done.returncode})")
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        report.append(result)
        print_engine(result)
    if args.json:
        args.json.write_text(json.dumps({"set": args.set, "every": args.every, "voices": voices,
                                         "report": report}, indent=1), encoding="utf-8")
    return 0


def print_engine(result: dict) -> None:  # type: ignore[type-arg]
    print(f"\n{result['engine']}: engine load {result['engine_load_s']:.2f} s (guide {result['guide_load_s']:.2f} s), "
          f"peak memory {result['peak_mb']:.0f} MB; noise alone heard as words in "
          f"{len(result['noise_heard'])} of {result['noise_clips']} clips {result['noise_heard']}")
    print("| condition | answered (typed) | agreement | out of scope rejected | question p95 (median) "
          "[of it, waiting for the transcript] | stop/pause p95 (median); of them decided on the command "
          "pass alone: how many, p95 (median) |")
    print("|---|---|---|---|---|---|")
    for condition, figures in result["results"].items():
        f = figures["all"]
        writers = ", ".join(f"{k.split('-')[0]} {v['answered']:.0%}" for k, v in figures.items()
                            if re.match(r"^u\d", k))
        print(f"| {condition} | {f['answered']:.1%} ({f['typed']:.1%}) [{writers}] | {f['agreement']:.1%} | "
              f"{f['rejected']}/{f['out_of_scope']} ({f['rejected'] / max(1, f['out_of_scope']):.0%}) | "
              f"{f['latency_p95_ms']:.0f} ms ({f['latency_median_ms']:.0f}) [{f['wait_p95_ms']:.0f} "
              f"({f['wait_median_ms']:.0f})] n={f['latency_n']} | "
              f"{f['stop_p95_ms']:.0f} ms ({f['stop_median_ms']:.0f}) n={f['stop_n']}; on the command pass "
              f"or spotter alone {f['stop_early']}, {f['stop_early_p95_ms']:.0f} ms ({f['stop_early_median_ms']:.0f}); "
              f"spotted while said {f['stop_spotted']}, {f['stop_spotted_p95_ms']:.0f} ms |"
              + (f" false stops {f['false_stops']} of {f['false_heard']}; stops and pauses heard the same way "
                 f"taken {f.get('stops_taken')} of {f.get('stops_heard')} |" if f["false_heard"] else ""))


if __name__ == "__main__":
    sys.exit(main())
