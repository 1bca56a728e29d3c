"""What a change to the understanding or the red-flag rules moves among the reviewers' probe phrasings.

Usage: python bench/probes.py --save FILE        (before a change)
       python bench/probes.py --changes FILE     (after it)

bench/probes/*.txt hold phrasings fresh-eyes reviewers wrote to probe the rules (reports of emergencies,
questions worded near them, controls said many ways): one a line, unlabelled. --changes lists each
phrasing whose reply moved, the urgent message lost first, then the urgent message gained, then the
rest, for a person to judge: a lay phrase or a template reaches further than it reads, and the dev
writers (bench/understanding.py --changes) do not say everything it reaches.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from voiceguide.dialogue import Conversation  # noqa: E402 (the project's root, put on the path above)
from voiceguide.errors import OutputError  # noqa: E402
from voiceguide.files import replacing  # noqa: E402
from voiceguide.guide import load_guide  # noqa: E402

PROBES = HERE / "probes"


def phrasings() -> list[str]:
    """Every probe phrasing, once, in file order."""
    seen: dict[str, None] = {}
    for path in sorted(PROBES.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                seen.setdefault(line.strip(), None)
    return list(seen)


def replies() -> dict[str, str]:
    """What the guide does with each phrasing: its intent and answer unit."""
    guide = load_guide()
    got = {}
    for text in phrasings():
        reply = Conversation(guide, ask_back=False).respond(text, guide.understander.understand(text))
        got[text] = f"{reply.intent} {reply.unit}"
    return got


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--save", type=Path, metavar="FILE", help="write what every probe phrasing gets now")
    which.add_argument("--changes", type=Path, metavar="FILE", help="list what moved since a --save FILE")
    args = parser.parse_args()
    if args.changes:
        try:
            before = json.loads(args.changes.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            parser.error(f"{args.changes}: not a file written by --save ({error})")
        if not isinstance(before, dict):
            parser.error(f"{args.changes}: not a file written by --save")
    now = replies()
    if args.save:
        try:
            with replacing(args.save) as out:
                out.write(json.dumps(now, indent=0).encode("utf-8"))
        except (OutputError, OSError) as error:
            parser.error(str(error))
        print(f"{len(now)} probe phrasings saved")
        return 0
    moved = [(text, str(before[text]), got) for text, got in now.items() if text in before and before[text] != got]
    urgent = [m for m in moved if m[1].startswith("safety.") and not m[2].startswith("safety.")]
    alarms = [m for m in moved if m[2].startswith("safety.") and not m[1].startswith("safety.")]
    rest = [m for m in moved if m not in urgent and m not in alarms]
    for title, group in (("the urgent message lost", urgent), ("the urgent message gained", alarms),
                         ("another reply", rest)):
        print(f"{title}: {len(group)}")
        for text, old, new in group:
            print(f"  {text!r}: {old} -> {new}")
    print(f"{len(moved)} of {len(now)} probe phrasings moved; {sum(t not in before for t in now)} new since the save")
    return 0


if __name__ == "__main__":
    sys.exit(main())
