"""Which rule decides a stop or pause said over the guide: rules weighed on what every path heard.

Usage: python bench/stop_rules.py FACTS [FACTS ...] [--show]

FACTS: files written by ``bench/speech_in.py --false-stops --facts FILE`` (dev sets only): for every
clip heard as if said over the guide (the stops and pauses, and the other phrasings), what the
keyword spotter acted on while it was said, what was known when the utterance ended (the command
pass's reading, the spotter's last phrase, the engine's words if decoded already) and the engine's
(brief) words. Each rule is tried on the same facts, so their figures differ only by the rule:

- the command pass alone (the rule before): at once when the utterance ends, and for a short
  utterance the words leave not understood (understand_heard);
- the command pass only with a second opinion, in both: the spotter's phrase (any, or of the same
  intent), the words (when in, at once), their next-best readings, or some of these
  (converse.second_opinion); or with it at once, and alone for the words as before.

The spotter's own rule while the phrase is said (EndpointConfig.spot_*) is the same in every rule
here; bench/spotting.py weighs that one. "now" marks the rule the code applies (converse), and this
script checks that it takes what bench/speech_in.py took.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voiceguide.converse import cuts_in, second_opinion  # noqa: E402
from voiceguide.guide import load_guide  # noqa: E402
from voiceguide.hearing import Utterance  # noqa: E402
from voiceguide.recognize import Transcript  # noqa: E402
from voiceguide.understand import Understander, understand_heard  # noqa: E402


def utterance(fact: dict) -> Utterance:  # type: ignore[type-arg]
    fields = {k: tuple(v) if k == "alternatives" else v for k, v in fact.items() if k not in ("reason", "early")}
    return Utterance(Transcript(**fields), 0.0, 0.0, 0.0, 0.0, 0.0, fact["reason"], fact["early"])


def intent(understander: Understander, text: str) -> str | None:
    got = understand_heard(understander, "", text)
    return got.intent.name if got.understood and got.intent is not None else None


Opinion = Callable[[Transcript], bool]
"""A second opinion: does something besides the command pass hear a stop or pause in the utterance?"""


def opinions(u: Understander) -> dict[str, tuple[Opinion | None, Opinion | None]]:
    """Each rule: the second opinion the command pass needs at once, and the one it needs to count for
    the words (None: none needed)."""
    def stop(reading: str) -> bool:
        return bool(reading) and cuts_in(u.understand(reading))

    def readings(t: Transcript) -> bool:
        return any(stop(r) for r in (t.text, *t.alternatives))

    def now(t: Transcript) -> bool:
        return second_opinion(u, t)

    return {
        "none: the command pass alone (before)": (None, None),
        "the spotter": (lambda t: bool(t.spotted),) * 2,
        "the spotter, or the words": (lambda t: bool(t.spotted) or stop(t.text),) * 2,
        "the spotter, or the words or a next-best reading": (lambda t: bool(t.spotted) or readings(t),) * 2,
        "the spotter on the same intent, or the words or a next-best reading": (now, now),
        "the same at once; for the words the command pass alone, as before (now)": (now, None),
        "the words or a next-best reading": (readings, readings),
    }


def taken(facts: list[dict], rule: tuple[Opinion | None, Opinion | None],  # type: ignore[type-arg]
          understander: Understander) -> str | None:
    """What the guide would have acted on first by ``rule``, and by which path: the spotter while it was
    said; the command pass, with the first opinion, at once when the utterance ended (the opinion's words
    only if they were in by then); the words, the command pass counting only with the second."""
    at_once, for_words = rule
    for fact in facts:
        x = utterance(fact)
        t = x.transcript
        command = cuts_in(understand_heard(understander, "", t.command))
        if x.reason == "spotted":
            if command:
                return f"{t.command!r} (spotter)"
        elif x.early:
            if command and (at_once is None or at_once(t)):
                spotter = f", spotter {t.spotted!r}" if t.spotted else ""
                return f"{t.command!r} (command pass{spotter})"
        else:
            counts = for_words is None or for_words(t)
            if cuts_in(understand_heard(understander, t.text, t.command if counts else "", t.alternatives,
                                        t.confidence)):
                return f"{t.text!r} (words)"
    return None


def path(got: str) -> str:
    """The path named in what taken() says."""
    return got.rsplit("(", 1)[1].split(",")[0].rstrip(")")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("facts", type=Path, nargs="+")
    parser.add_argument("--show", action="store_true", help="list the other phrasings each rule takes")
    args = parser.parse_args()
    understander = load_guide().understander
    clips = [json.loads(line) for path in args.facts for line in path.read_text(encoding="utf-8").splitlines()]
    conditions = sorted({c["condition"] for c in clips})
    mismatched = 0
    for name, rule in opinions(understander).items():
        print(f"second opinion: {name}")
        for condition in conditions:
            stops = others = n_stops = n_others = 0
            wrong: list[str] = []
            by_path: dict[str, int] = defaultdict(int)
            stop_paths: dict[str, int] = defaultdict(int)
            for clip in (c for c in clips if c["condition"] == condition):
                got = taken(clip["heard"], rule, understander)
                if name.endswith("(now)"):
                    mismatched += (got is None) != (clip["taken"] is None)
                if clip["stop"]:
                    n_stops += 1
                    stops += got is not None
                    if got is not None:
                        stop_paths[path(got)] += 1
                else:
                    n_others += 1
                    if got is not None:
                        others += 1
                        by_path[path(got)] += 1
                        wrong.append(f"{clip['text']!r} [{clip['voice']}] as {got}")
            print(f"  {condition}: stops and pauses taken {stops} of {n_stops} {dict(stop_paths)}; "
                  f"other phrasings taken {others} of {n_others} {dict(by_path)}")
            if args.show:
                for line in wrong:
                    print(f"      {line}")
    if mismatched:
        print(f"the rule now took {mismatched} clips otherwise than bench/speech_in.py did", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
