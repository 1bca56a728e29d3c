"""Red-flag benchmark: does the urgent message come first for reports, and only for them?

Usage: python bench/redflags.py [--set dev|test|all] [--failures [--of r26,r28]]

Per writer, labelled test (locked) or dev as bench/writers/sets.yaml says:
- red-flag writers (r*): the share of `report` phrasings whose reply starts with the urgent message
  (target 100% on the test set), and the share of `general` symptom questions that get it (false
  alarms, target at most 2%);
- understanding writers (u*): the share of in-scope (`kind: fact`) questions that get it (false
  alarms, target at most 2% on the test set).

Every reply is made as `voiceguide ask` makes it: a one-shot conversation. `--failures` lists the
misses of dev writers only: a locked test set is run to report a figure, never to tune on.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from voiceguide.dialogue import Conversation, urgent_message
from voiceguide.guide import Guide, load_guide

WRITERS = Path(__file__).resolve().parent / "writers"


def gets_urgent(guide: Guide, text: str) -> bool:
    """The reply to ``text`` starts with the urgent message."""
    reply = Conversation(guide, ask_back=False).respond(text)
    return reply.text.startswith(urgent_message(guide.content))


def share(hits: int, total: int) -> str:
    return f"{hits / total:6.1%} ({hits} of {total})" if total else "     - (none)"


def redflag_writer(guide: Guide, name: str, label: str, show: bool) -> tuple[int, int, int, int]:
    doc = yaml.safe_load((WRITERS / f"{name}.yaml").read_text(encoding="utf-8"))
    reports = [p["text"] for p in doc["phrasings"] if p["kind"] == "report"]
    general = [p["text"] for p in doc["phrasings"] if p["kind"] == "general"]
    caught = [t for t in reports if gets_urgent(guide, t)]
    alarms = [t for t in general if gets_urgent(guide, t)]
    print(f"{name:24} {label:4} reports with the urgent message first {share(len(caught), len(reports))} | "
          f"general questions that get it {share(len(alarms), len(general))}")
    if show:
        for text in reports:
            if text not in caught:
                print(f"    MISSED  {text}")
        for text in alarms:
            print(f"    ALARM   {text}")
    return len(caught), len(reports), len(alarms), len(general)


def understanding_writer(guide: Guide, name: str, label: str, show: bool) -> tuple[int, int]:
    doc = yaml.safe_load((WRITERS / f"{name}.yaml").read_text(encoding="utf-8"))
    facts = [q["text"] for q in doc["questions"] if q["kind"] == "fact"]
    alarms = [t for t in facts if gets_urgent(guide, t)]
    print(f"{name:24} {label:4} in-scope questions that get the urgent message {share(len(alarms), len(facts))}")
    if show:
        for text in alarms:
            print(f"    ALARM   {text}")
    return len(alarms), len(facts)


def _listed(name: str, ids: str) -> bool:
    """The writer is one of ``ids`` (comma-separated ids such as "u29"), or no ids were given."""
    return not ids or name.split("-")[0] in ids.split(",")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["dev", "test", "all"], default="all")
    parser.add_argument("--failures", action="store_true", help="list the misses of dev writers")
    parser.add_argument("--of", default="", metavar="IDS",
                        help="with --failures: only these dev writers' misses, by id (u29,u31), so a writer held out "
                             "this round stays unread")
    args = parser.parse_args()
    sets = yaml.safe_load((WRITERS / "sets.yaml").read_text(encoding="utf-8"))
    guide = load_guide()
    labels = ["test", "dev"] if args.set == "all" else [args.set]
    for kind, run in (("redflags", redflag_writer), ("understanding", understanding_writer)):
        for label in labels:
            totals = [0, 0, 0, 0]
            for name in sets[kind][label]:
                got = run(guide, name, label, args.failures and label == "dev" and _listed(name, args.of))
                totals = [a + b for a, b in zip(totals, (*got, 0, 0), strict=False)]
            if kind == "redflags":
                print(f"{'all ' + label:24} {label:4} reports {share(totals[0], totals[1])} | "
                      f"general {share(totals[2], totals[3])}")
            else:
                print(f"{'all ' + label:24} {label:4} in-scope questions {share(totals[0], totals[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
