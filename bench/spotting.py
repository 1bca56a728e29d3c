"""Choosing the keyword spotter's rule: which stops and pauses it would act on while they are said,
and which other phrasings it would take for one, on the dev writers' clips.

Usage: python bench/spotting.py [--every 8] [--conditions clean,pink10] [--thresholds 1e-3,1e-6]
                                [--json FILE] [--show]

Each clip goes through the endpointer as bench/speech_in.py feeds it (Silero deciding speech). The
audio the engine would get for the utterance goes to a KeywordSpotter with a wide window, and every
phrase it reports is kept with where it began and ended, beside the endpointer's own reading of
every frame (speech or not, by Silero and by level). Then each rule of a grid is tried on those:
the phrase must begin within W seconds of the speech's onset, and be followed, within T ms of its
end, by G ms that are not speech (or the utterance's end). Dev sets only: the rule is tuned here.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import speech_in as bench

from voiceguide.app import listening_vocabulary
from voiceguide.converse import BARGE_IN
from voiceguide.guide import load_guide
from voiceguide.hearing import FRAME_MS, EndpointConfig, Listener, frames_of
from voiceguide.pocketsphinx_engine import KeywordSpotter
from voiceguide.recognize import Recognizer, Transcript

PROBE_FRAMES = 250
"""Frames heard after an utterance's start was noticed: the rule looks no further (the window, the
longest phrase, the reach and the gap)."""


class Probe(Recognizer):
    """Keeps the audio of each utterance the endpointer hands on; decodes nothing."""

    engine = "probe"

    def __init__(self) -> None:
        self.utterances: list[bytearray] = []

    def start(self) -> None:
        self.utterances.append(bytearray())

    def accept(self, pcm: bytes) -> None:
        self.utterances[-1] += pcm

    def finish(self) -> Transcript:
        return Transcript("", 0.0)


class Recording(Listener):
    """A Listener that keeps, for every frame of an utterance, whether it was speech (Silero) and
    whether it sounded above the noise floor."""

    def __init__(self, recognizer: Recognizer, config: EndpointConfig) -> None:
        super().__init__(recognizer, config)
        self.frames: list[tuple[bool, bool]] = []
        self._last: tuple[bool, bool] = (False, False)
        inner = self.detector

        def detect(frame: bytes) -> bool:
            said = inner(frame) if inner is not None else False
            self._last = (said, self._last[1])
            return said

        self.detector = detect  # type: ignore[assignment]

    def _is_voiced(self, level: float) -> bool:
        sounding = super()._is_voiced(level)
        self._last = (self._last[0], sounding)
        return sounding


@dataclass
class Heard:
    text: str
    voice: str
    stop: bool
    onset_s: float
    """Where speech began in the utterance's audio (the first frame Silero called speech)."""
    spots: list[tuple[str, float, float]] = field(default_factory=list)
    """Every phrase the spotter reported, in order (again as its end stretches)."""
    speech: list[bool] = field(default_factory=list)
    sounding: list[bool] = field(default_factory=list)


def probe(items: list[bench.Item], index: int, voice: str, condition: str, thresholds: list[float],
          spotters: dict[float, KeywordSpotter]) -> dict[float, Heard]:
    clip, _ = bench.condition_clip(items, index, voice, condition)
    recognizer = Probe()
    listener = Recording(recognizer, EndpointConfig(voice_detector="silero"))
    flags: list[tuple[bool, bool]] = []
    begun = -1
    for frame in frames_of(clip.tobytes()):
        was = listener.in_speech
        listener.feed(frame)
        if listener.in_speech and not was and begun < 0:
            begun = len(flags)
        flags.append(listener._last)
        if begun >= 0 and (not listener.in_speech or len(flags) - begun > PROBE_FRAMES):
            break
    listener.flush()
    if not recognizer.utterances:
        return {}
    pcm = bytes(recognizer.utterances[0])
    n = len(pcm) // (FRAME_MS * 32)
    # The utterance's audio began ``lead`` frames before the one on which its start was noticed
    # (the pre-roll, reaching back to where the sound began).
    after = len(flags) - begun - 1
    lead = n - after
    kept = flags[begun + 1 - lead : begun + 1 - lead + n]
    speech = [s for s, _ in kept]
    sounding = [s for _, s in kept]
    onset = next((i for i, s in enumerate(speech) if s), 0) * FRAME_MS / 1000
    out = {}
    for threshold in thresholds:
        spotter = spotters[threshold]
        spotter.start()
        for frame in frames_of(pcm):
            spotter.accept(frame)
        spotter.stop()
        heard = Heard(items[index].text, voice, bench.stop_or_pause(items[index]), onset,
                      [(s.phrase, s.start_s, s.end_s) for s in spotter.spots], speech, sounding)
        out[threshold] = heard
    return out


def acts(heard: Heard, within: float, gap_ms: int, reach_ms: int, flags: str,
         began: float | None = None) -> tuple[str, float] | None:
    """The first spot the rule acts on: (phrase, ms from the phrase's end to the decision), or None.
    ``began``: a phrase that begins later than this after the onset is acted on only once speech
    resumes after its quiet (EndpointConfig.spot_began_s); one that ends the utterance is not."""
    frames = heard.speech if flags == "speech" else heard.sounding
    gap, reach = gap_ms // FRAME_MS, reach_ms // FRAME_MS
    for phrase, start, end in heard.spots:
        if start - heard.onset_s > within:
            continue
        after_words = began is not None and start - heard.onset_s > began
        last = round(end * 1000 / FRAME_MS)
        quiet = 0
        for k in range(last, min(len(frames), last + reach + gap)):
            quiet = 0 if frames[k] else quiet + 1
            if quiet >= gap:
                if not after_words:
                    return phrase, (k + 1 - last) * FRAME_MS
                resumed = next((j for j in range(k + 1, len(frames)) if frames[j]), None)
                if resumed is not None:
                    return phrase, (resumed + 1 - last) * FRAME_MS
                break
            if k - last >= reach and quiet == 0:
                break
        else:
            if len(frames) - last <= reach + gap and not after_words:  # the utterance ended first
                return phrase, (len(frames) - last) * FRAME_MS
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--every", type=int, default=8)
    parser.add_argument("--conditions", default="clean,pink10")
    parser.add_argument("--voices", default=",".join(bench.VOICES))
    parser.add_argument("--thresholds", default="1e-3")
    parser.add_argument("--phrases", choices=["shortest", "all"], default="shortest",
                        help="each stop and pause sentence's shortest form (the spotter's), or every sentence")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--limit", type=int, help="only the first N clips (a quick check)")
    parser.add_argument("--load", type=Path, help="read the spots from an earlier --json instead")
    parser.add_argument("--show", action="store_true", help="list what each rule takes, with its timing")
    args = parser.parse_args()
    thresholds = [float(t) for t in args.thresholds.split(",")]
    if args.load:
        runs = json.loads(args.load.read_text())
    else:
        guide = load_guide()
        vocabulary = listening_vocabulary(guide)
        phrases = vocabulary.stops if args.phrases == "shortest" else sorted(
            {" ".join(s) for i in guide.intents.intents if i.name in BARGE_IN for s in i.sentences})
        spotters = {t: KeywordSpotter(phrases, vocabulary.pronunciations, threshold=t, within_s=3.0)
                    for t in thresholds}
        items = bench.load_items("dev")
        chosen = bench.chosen_items(items, args.every)
        pairs = bench.spoken_pairs(items, chosen, args.voices.split(","), True)[: args.limit]
        bench.render(items, pairs, args.conditions.split(","))
        runs = {}
        for condition in args.conditions.split(","):
            for threshold in thresholds:
                runs[f"{condition} {threshold:g}"] = []
            for voice, index in pairs:
                for threshold, heard in probe(items, index, voice, condition, thresholds, spotters).items():
                    runs[f"{condition} {threshold:g}"].append(heard.__dict__)
            print(f"  {condition}: {len(pairs)} clips", file=sys.stderr)
            if args.json:
                args.json.write_text(json.dumps(runs))
    for name, heards in runs.items():
        clips = [Heard(**h) for h in heards]
        stops = [h for h in clips if h.stop]
        others = [h for h in clips if not h.stop]
        print(f"{name}: {len(stops)} stops and pauses, {len(others)} other phrasings; "
              f"any spot: {sum(bool(h.spots) for h in stops)} stops, {sum(bool(h.spots) for h in others)} others")
        grid = [(f, w, g, r) for f in ("speech", "sounding") for w in (0.3, 0.5, 0.8, 1.2)
                for g in (60, 80, 100, 150) for r in (0, 50, 100, 300)]
        grid.append(("sounding", 99.0, 0, 99999))  # any spot at all, for comparison
        rules = [(*g, None) for g in grid] + [("speech", 0.5, 60, 50, b) for b in (0.05, 0.1, 0.2)]
        for flags, within, gap, reach, began in rules:
            took = [(h, acts(h, within, gap, reach, flags, began)) for h in stops]
            got = sorted(t[1] for _, t in took if t is not None)
            wrong = [(h, t) for h in others if (t := acts(h, within, gap, reach, flags, began)) is not None]
            p95 = got[max(0, round(0.95 * len(got)) - 1)] if got else float("nan")
            after = f", after words only once speech resumes (began {began} s)" if began is not None else ""
            print(f"  {flags:8} within {within} s, gap {gap} ms, reach {reach} ms{after}: "
                  f"{len(got)} stops (after {p95:.0f} ms at p95), {len(wrong)} others")
            if args.show and wrong:
                for h, t in wrong:
                    print(f"      WRONG {h.text!r} [{h.voice}] as {t[0]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
