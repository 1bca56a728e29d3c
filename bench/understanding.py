"""Understanding benchmark: the independent writers' questions, scored on the reply.

Usage: python bench/understanding.py [--set dev|test|all] [--failures [--of u29,u31]] [--no-classifier]
                                    [--save FILE] [--changes FILE]

Ten writers, each briefed with the article and a persona only (writers/BRIEF-understanding.md),
wrote questions tagged with the article sentences that answer them. writers/sets.yaml says which
writers are locked test sets and which are dev sets; --failures lists misses for dev writers only,
never for a test writer.

Scoring, per writer, each question asked afresh (a new conversation, no asking back, as ``ask``):
- fact: correct when the reply's first answer unit cites one of the writer's sentences, so a long
  reply earns nothing;
- control: correct when the reply acts on the control's intent;
- out_of_scope: rejected when the reply carries no article content (no answer unit);
- cannot_answer: a third class, in neither rate: correct when the reply says plainly that the
  article does not say.
Every reply is also checked for a figure or a unit of time (the article gives none).

--save writes what every dev phrasing got (one JSON line each); --changes, after an edit to the
lexicon or the rules, lists every dev phrasing whose reply is no longer the same, gained or lost: a
new lay phrase reaches further than it reads (small words dropped, two-word phrases gapped), and
this shows what else it caught before a review has to. Test writers are never saved or listed.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from voiceguide.content import Unit
from voiceguide.dialogue import Conversation, Reply
from voiceguide.errors import OutputError
from voiceguide.files import replacing
from voiceguide.guide import Guide, load_guide

HERE = Path(__file__).resolve().parent
WRITERS = HERE / "writers"
CONTROLS = {"source": "info.source", "disclaimer": "info.disclaimer"}
"""Writers' control names that are info intents here; the rest are control.NAME."""
SAYS_NOT_IN_ARTICLE = re.compile(r"\bthe article (does not|doesn't|gives no|has no|says nothing)\b", re.IGNORECASE)
FIGURE = re.compile(r"\d|\b(two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|hundred|percent|"
                    r"minutes?|hours?|days?|nights?|weeks?|months?|years?)\b", re.IGNORECASE)


@dataclass
class Question:
    """One writer's question, as written."""

    text: str
    kind: str
    sentences: tuple[int, ...] = ()
    control: str = ""


@dataclass
class Score:
    """One writer's figures."""

    facts: int = 0
    facts_right: int = 0
    controls: int = 0
    controls_right: int = 0
    out_of_scope: int = 0
    rejected: int = 0
    cannot: int = 0
    cannot_right: int = 0
    figures: int = 0
    times: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    replies: list[dict[str, object]] = field(default_factory=list)
    """What each question got, for --save and --changes."""

    @property
    def answered(self) -> int:
        return self.facts_right + self.controls_right

    @property
    def in_scope(self) -> int:
        return self.facts + self.controls

    def add(self, other: Score) -> None:
        for name in ("facts", "facts_right", "controls", "controls_right", "out_of_scope", "rejected",
                     "cannot", "cannot_right", "figures"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.times += other.times


def load_writer(name: str) -> tuple[str, list[Question]]:
    """The persona and questions of one writer's file."""
    doc = yaml.safe_load((WRITERS / f"{name}.yaml").read_text(encoding="utf-8"))
    questions = [Question(str(q["text"]), str(q["kind"]), tuple(q.get("sentences") or ()),
                          _control(q.get("control"))) for q in doc["questions"]]
    return str(doc["persona"]), questions


def _control(value: object) -> str:
    """A control's name; an unquoted yes or no reads as a YAML boolean."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value or "")


def writer_sets() -> dict[str, list[str]]:
    """{"test": [...], "dev": [...]} for the understanding writers."""
    doc = yaml.safe_load((WRITERS / "sets.yaml").read_text(encoding="utf-8"))
    return {"test": list(doc["understanding"]["test"]), "dev": list(doc["understanding"]["dev"])}


def verdict(units: dict[str, Unit], q: Question, reply: Reply) -> tuple[bool, str]:
    """Is ``reply`` right for ``q``, and what it did, in a few words. The one scorer, for typed
    questions here and spoken ones in bench/speech_in.py."""
    cited = set(units[reply.unit].sentences) if reply.unit else set()
    if q.kind == "fact":
        return bool(cited & set(q.sentences)), f"want sentence {list(q.sentences)}, got {reply.intent} " \
                                                f"unit {reply.unit} {sorted(cited)}"
    if q.kind == "control":
        want = CONTROLS.get(q.control, f"control.{q.control}")
        return reply.intent == want, f"want {want}, got {reply.intent}"
    if q.kind == "out_of_scope":
        return reply.unit is None, f"answered with {reply.intent} unit {reply.unit}"
    return bool(SAYS_NOT_IN_ARTICLE.search(reply.text)), f"reply {reply.intent}: {reply.text[:70]!r}"


def score(guide: Guide, questions: list[Question], keep_misses: bool) -> Score:
    """Ask every question afresh and score the replies."""
    units = {u.id: u for u in guide.content.units}
    got = Score()
    for q in questions:
        start = time.perf_counter()
        understanding = guide.understander.understand(q.text)
        got.times.append(time.perf_counter() - start)
        reply = Conversation(guide, ask_back=False).respond(q.text, understanding)
        # Controls and info speak the guide's own numbers ("topic 1 of 12", the date checked).
        if reply.intent and reply.intent.split(".")[0] in ("control", "info"):
            pass
        elif FIGURE.search(reply.text):
            got.figures += 1
        ok, label = verdict(units, q, reply)
        got.replies.append({"text": q.text, "kind": q.kind, "intent": reply.intent, "unit": reply.unit, "ok": ok,
                            "classifier": guide.understander.classifier is not None})
        if q.kind == "fact":
            got.facts += 1
            got.facts_right += ok
        elif q.kind == "control":
            got.controls += 1
            got.controls_right += ok
        elif q.kind == "out_of_scope":
            got.out_of_scope += 1
            got.rejected += ok
        else:
            got.cannot += 1
            got.cannot_right += ok
        if not ok and keep_misses:
            got.misses.append(f"{q.kind:13} {q.text!r}: {label} ({understanding.confidence:.2f})")
    return got


def pct(right: int, total: int) -> str:
    return f"{right / total:.1%} ({right}/{total})" if total else "-"


def _listed(name: str, ids: str) -> bool:
    """The writer is one of ``ids`` (comma-separated ids such as "u29"), or no ids were given."""
    return not ids or name.split("-")[0] in ids.split(",")


def _print_changes(before: dict[tuple[str, str], dict[str, object]], now: list[dict[str, object]]) -> None:
    """Each dev phrasing whose reply changed: + now right, - now wrong, ~ another reply, right or wrong
    as before."""
    counts = {"+": 0, "-": 0, "~": 0}
    unseen = 0
    for reply in now:
        old = before.get((str(reply["writer"]), str(reply["text"])))
        if old is None:
            unseen += 1
            continue
        if old.get("classifier") != reply["classifier"]:
            raise SystemExit("--changes: the saved replies were made with the classifier "
                             f"{'on' if old.get('classifier') else 'off'}; run this the same way")
        if (old["intent"], old["unit"]) == (reply["intent"], reply["unit"]):
            continue
        mark = "+" if reply["ok"] and not old["ok"] else "-" if old["ok"] and not reply["ok"] else "~"
        counts[mark] += 1
        print(f"  {mark} {reply['writer']} {reply['kind']:13} {reply['text']!r}: "
              f"{old['intent']} {old['unit']} -> {reply['intent']} {reply['unit']}")
    print(f"changed: {counts['+']} now right, {counts['-']} now wrong, {counts['~']} another reply, right or wrong as "
          f"before; {unseen} phrasings not in the saved file (new writers), {len(before) - len(now) + unseen} saved "
          "ones no longer asked")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["dev", "test", "all"], default="all")
    parser.add_argument("--failures", action="store_true", help="list the misses of dev writers")
    parser.add_argument("--of", default="", metavar="IDS",
                        help="with --failures: only these dev writers' misses, by id (u29,u31), so a writer held out "
                             "this round stays unread")
    parser.add_argument("--no-classifier", action="store_true", help="the concept matcher alone, as a peer")
    parser.add_argument("--save", type=Path, metavar="FILE",
                        help="write what every dev phrasing got, one JSON line each")
    parser.add_argument("--changes", type=Path, metavar="FILE",
                        help="list the dev phrasings whose reply differs from a --save FILE made before a change")
    args = parser.parse_args()
    if (args.save or args.changes) and args.set == "test":
        parser.error("--save and --changes are for the dev writers only: the test writers' replies are never listed")
    before: dict[tuple[str, str], dict[str, object]] = {}
    if args.changes:
        try:
            lines = args.changes.read_text(encoding="utf-8").splitlines()
            before = {(str(r["writer"]), str(r["text"])): r for r in map(json.loads, lines)}
        except (OSError, ValueError, KeyError, TypeError) as error:
            parser.error(f"{args.changes}: not a file written by --save ({error})")
    start = time.perf_counter()
    guide = load_guide(classifier=not args.no_classifier)
    print(f"guide loaded in {time.perf_counter() - start:.2f} s")
    sets = writer_sets()
    labels = ["dev", "test"] if args.set == "all" else [args.set]
    print("| writer | set | facts answered | controls | in scope | out of scope rejected | cannot answer said so "
          "| figures spoken |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    totals: dict[str, Score] = {}
    saved: list[dict[str, object]] = []
    for label in labels:
        total = totals.setdefault(label, Score())
        for name in sets[label]:
            _, questions = load_writer(name)
            got = score(guide, questions, keep_misses=args.failures and label == "dev" and _listed(name, args.of))
            total.add(got)
            print(f"| {name} | {label} | {pct(got.facts_right, got.facts)} | "
                  f"{pct(got.controls_right, got.controls)} | {pct(got.answered, got.in_scope)} | "
                  f"{pct(got.rejected, got.out_of_scope)} | {pct(got.cannot_right, got.cannot)} | {got.figures} |")
            for miss in got.misses:
                print(f"    MISS {miss}")
            if label == "dev":
                for reply in got.replies:
                    reply["writer"] = name
                    saved.append(reply)
    for label, total in totals.items():
        print(f"| all {label} writers | {label} | {pct(total.facts_right, total.facts)} | "
              f"{pct(total.controls_right, total.controls)} | {pct(total.answered, total.in_scope)} | "
              f"{pct(total.rejected, total.out_of_scope)} | {pct(total.cannot_right, total.cannot)} | "
              f"{total.figures} |")
    if args.save:
        try:
            with replacing(args.save) as out:
                out.write("".join(json.dumps(r) + "\n" for r in saved).encode("utf-8"))
        except (OutputError, OSError) as error:
            parser.error(str(error))
    if args.changes:
        _print_changes(before, saved)
    times = sorted(t for total in totals.values() for t in total.times)
    print(f"typed question, understanding in process: median {statistics.median(times) * 1000:.2f} ms, "
          f"p95 {times[int(0.95 * (len(times) - 1))] * 1000:.2f} ms ({len(times)} questions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
