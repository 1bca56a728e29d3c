"""Text benchmark: how well typed questions that are not in the templates are understood.

Usage: python bench/text_intents.py [--set dev|test|all] [--failures]

Reports, per phrasing set: in-scope accuracy (the right intent, accepted),
out-of-scope rejection (nothing from the guide's content accepted), and the
same figures for exact template matching alone (the hassil way) as a peer.

These sets name topics. Since answers became fact-level, a question labelled
with a topic is also right when it gets a fact intent whose answer unit cites
a sentence of that topic's passages (the reply then leads with a fact of the
topic asked about).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import yaml

from voiceguide.content import article_sentences
from voiceguide.guide import Guide, load_guide
from voiceguide.understand import Understanding

HERE = Path(__file__).resolve().parent
SETS = {"dev": HERE / "phrasings_dev.yaml", "test": HERE / "phrasings_test.yaml"}


def load_phrasings(path: Path) -> list[tuple[str, str | None]]:
    """[text, expected intent or None] pairs from a phrasing file."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(str(text), expected) for text, expected in doc["phrasings"]]


def topic_sentences(guide: Guide) -> dict[str, set[int]]:
    """Topic intent name -> the article sentences its passages quote."""
    numbered = article_sentences(guide.content.source.article)
    return {f"topic.{t.id}": {n for n, s in enumerate(numbered, 1) for p in t.passages if p in s or s in p}
            for t in guide.content.topics}


def is_right(guide: Guide, got: Understanding, expected: str, topics: dict[str, set[int]]) -> bool:
    """The expected intent, or for a topic a fact intent whose unit cites one of its sentences."""
    if not got.understood or got.intent is None:
        return False
    if got.intent.name == expected:
        return True
    unit = got.intent.unit
    return unit is not None and bool(set(guide.content.unit(unit).sentences) & topics.get(expected, set()))


def run(name: str, guide: Guide, phrasings: list[tuple[str, str | None]], show_failures: bool) -> dict[str, float]:
    in_scope = [(t, e) for t, e in phrasings if e is not None]
    out_scope = [t for t, e in phrasings if e is None]
    right = exact_right = rejected = exact_rejected = 0
    times = []
    topics = topic_sentences(guide)
    for text, expected in in_scope:
        start = time.perf_counter()
        got = guide.understander.understand(text)
        times.append(time.perf_counter() - start)
        ok = is_right(guide, got, expected, topics)
        right += ok
        exact_right += ok and got.exact
        if show_failures and not ok:
            print(f"  MISS {text!r}: want {expected}, got {got.intent.name if got.intent else None} "
                  f"{got.confidence:.2f} {'accepted' if got.understood else 'rejected'}")
    for text in out_scope:
        start = time.perf_counter()
        got = guide.understander.understand(text)
        times.append(time.perf_counter() - start)
        rejected += not got.understood
        exact_rejected += not (got.understood and got.exact)
        if show_failures and got.understood:
            print(f"  ACCEPTED {text!r} as {got.intent.name if got.intent else None} {got.confidence:.2f}")
    result = {
        "in_scope": len(in_scope), "out_of_scope": len(out_scope),
        "accuracy": right / len(in_scope), "rejection": rejected / len(out_scope),
        "exact_accuracy": exact_right / len(in_scope), "exact_rejection": exact_rejected / len(out_scope),
        "median_ms": statistics.median(times) * 1000,
        "p95_ms": sorted(times)[int(0.95 * (len(times) - 1))] * 1000,
    }
    print(f"{name}: {len(in_scope)} in scope, {len(out_scope)} out of scope | "
          f"answered correctly {result['accuracy']:.1%}, out-of-scope rejected {result['rejection']:.1%} | "
          f"exact templates alone: {result['exact_accuracy']:.1%} and {result['exact_rejection']:.1%} | "
          f"per question median {result['median_ms']:.2f} ms, p95 {result['p95_ms']:.2f} ms")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["dev", "test", "all"], default="test")
    parser.add_argument("--failures", action="store_true", help="list every miss")
    args = parser.parse_args()
    names = ["dev", "test"] if args.set == "all" else [args.set]
    start = time.perf_counter()
    guide = load_guide(from_cache=False)  # the build itself; bench/startup.py times the cached start
    print(f"guide built in {time.perf_counter() - start:.2f} s")
    for name in names:
        run(name, guide, load_phrasings(SETS[name]), args.failures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
