"""Train the intent classifier shipped in intents/classifier.npz.

Usage (from the repository root, with the dev venv that has scikit-learn):
    PYTHONPATH=$PWD .venv/bin/python scripts/train_classifier.py          # writes intents/classifier.npz
    PYTHONPATH=$PWD .venv/bin/python scripts/train_classifier.py --cv     # leave one dev writer out

Training data: a sample of every intent's expanded templates, the project's own dev phrasings
(bench/phrasings_dev.yaml) and the DEV writers' questions (bench/writers/sets.yaml). The locked
test writers are never read here. A writer's fact question is labelled with the fact intent the
concept matcher already gives it when that is right, else with every fact intent whose unit cites
the first sentence the writer tagged (sharing the weight). Out-of-scope questions are labelled with
the matcher's out-of-scope intent when it found one, else REJECT. cannot_answer questions are left
out: what the guide says to them is the safety work's.

--cv trains once per dev writer without that writer (the seven dev writers in turn) and scores it
with bench/understanding.py's rules over a grid of the blend share and the accept threshold, then
picks the setting by the rule in cross_validate: how those two were chosen. --kinds, --augment and
--c are there to compare features and training choices the same way (see the README).
"""

from __future__ import annotations

import argparse
import copy
import random
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np
import yaml
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

from voiceguide.classifier import REJECT, Classifier, from_matrix
from voiceguide.guide import CLASSIFIER, Guide, load_guide
from voiceguide.normalize import words

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from understanding import CONTROLS, Score, load_writer, score, writer_sets  # noqa: E402

PER_INTENT = 150
"""Template sentences sampled per intent: enough to cover its wording, few enough that
people's phrasings weigh in."""
PEOPLE_WEIGHT = 4.0
"""Weight of one person's phrasing against one template sentence."""
C = 4.0
"""Inverse regularisation strength. --cv with 12 gave the same figures within a question or two."""
AUGMENT = False
"""Add terse copies of the people's phrasings (see terse). Off: --cv gave the same facts (+0.1
point) and fewer out-of-scope questions rejected."""
KINDS = frozenset({"c", "b", "w", "f", "g4"})
"""Feature kinds trained on (see Understander.features): concepts, concept pairs, stems, first word,
letter groups of four. Letter groups added 2 points of facts in --cv over the seven dev writers
(84.7% to 86.8%, before any lexicon change)."""


def template_examples(guide: Guide, rng: random.Random) -> list[tuple[str, str, float]]:
    out = []
    for intent in guide.intents.intents:
        if intent.kind == "safety":
            continue
        sentences = list(intent.sentences)
        for sentence in rng.sample(sentences, min(PER_INTENT, len(sentences))):
            out.append((" ".join(sentence), intent.name, 1.0))
    return out


def writer_examples(guide: Guide, names: list[str]) -> list[tuple[str, str, float]]:
    units = {u.id: u for u in guide.content.units}
    by_sentence: dict[int, list[str]] = defaultdict(list)
    for intent in guide.intents.intents:
        if intent.unit:
            for n in units[intent.unit].sentences:
                by_sentence[n].append(intent.name)
    leads = {t.id: t.lead for t in guide.content.topics}
    fact_of = {i.unit: i.name for i in guide.intents.intents if i.unit}
    out = []
    for name in names:
        for q in load_writer(name)[1]:
            got = guide.understander.understand(q.text)
            intent = got.intent
            if q.kind == "fact":
                unit = intent and (intent.unit or leads.get(intent.topic or ""))
                if intent and unit and set(units[unit].sentences) & set(q.sentences):
                    # A question the writer aimed at a fact is labelled with the fact's intent even
                    # when the matcher found the topic it leads: whole-subject requests ("tell me
                    # about ...") reach topics through their templates.
                    out.append((q.text, fact_of.get(unit, intent.name), PEOPLE_WEIGHT))
                else:
                    labels = by_sentence[q.sentences[0]]
                    out += [(q.text, label, PEOPLE_WEIGHT / len(labels)) for label in labels]
            elif q.kind == "control":
                out.append((q.text, CONTROLS.get(q.control, f"control.{q.control}"), PEOPLE_WEIGHT))
            elif q.kind == "out_of_scope":
                label = intent.name if got.out_of_scope and intent else REJECT
                out.append((q.text, label, PEOPLE_WEIGHT))
    return out


def old_dev_examples(guide: Guide) -> list[tuple[str, str, float]]:
    """The project's own dev phrasings: controls and out of scope as labelled; a topic question
    when the matcher's fact intent lies in that topic."""
    doc = yaml.safe_load((ROOT / "bench" / "phrasings_dev.yaml").read_text(encoding="utf-8"))
    units = {u.id: u for u in guide.content.units}
    out = []
    for text, expected in doc["phrasings"]:
        got = guide.understander.understand(str(text))
        if expected is None:
            out.append((str(text), got.intent.name if got.out_of_scope and got.intent else REJECT, PEOPLE_WEIGHT))
        elif not expected.startswith("topic."):
            out.append((str(text), expected, PEOPLE_WEIGHT))
        elif got.intent and got.intent.unit and units[got.intent.unit].topic == expected.split(".", 1)[1]:
            out.append((str(text), got.intent.name, PEOPLE_WEIGHT))
        elif got.intent and got.intent.name == expected:
            out.append((str(text), expected, PEOPLE_WEIGHT))
    return out


def kind(feature: str) -> str:
    """A feature's kind, for --kinds: its prefix, letter groups by length (g3, g4, g5)."""
    prefix, _, rest = feature.partition(":")
    return f"g{len(rest)}" if prefix == "g" else prefix


def train(guide: Guide, examples: list[tuple[str, str, float]], kinds: frozenset[str] = KINDS,
          c: float = C) -> Classifier:
    understander = guide.understander
    rows = [[f for f in understander.features(understander.read(text)) if kind(f) in kinds] for text, _, _ in examples]
    vocabulary: dict[str, int] = {}
    for feats in rows:
        for f in feats:
            vocabulary.setdefault(f, len(vocabulary))
    indptr, indices = [0], []
    for feats in rows:
        cols = sorted({vocabulary[f] for f in feats})
        indices += cols
        indptr.append(len(indices))
    matrix = csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(rows), len(vocabulary)))
    labels = [label for _, label, _ in examples]
    weights = np.array([w for _, _, w in examples])
    model = LogisticRegression(C=c, max_iter=3000)
    model.fit(matrix, labels, sample_weight=weights)
    return from_matrix(vocabulary, tuple(str(c) for c in model.classes_), model.coef_.T, model.intercept_)


def terse(guide: Guide, examples: list[tuple[str, str, float]]) -> list[tuple[str, str, float]]:
    """Each person's phrasing again with its small words left out ("infection spine bad"), at half
    weight: some people speak in fragments, and the model should not lean on the small words alone."""
    stop = guide.intents.language.stopwords
    out = []
    for text, label, weight in examples:
        said = words(text)
        kept = [w for w in said if w not in stop]
        if kept and len(kept) < len(said):
            out.append((" ".join(kept), label, weight / 2))
    return out


def examples_for(guide: Guide, writers: list[str], augment: bool = AUGMENT) -> list[tuple[str, str, float]]:
    rng = random.Random(12)
    people = old_dev_examples(guide) + writer_examples(guide, writers)
    return template_examples(guide, rng) + people + (terse(guide, people) if augment else [])


def cross_validate(guide: Guide, dev: list[str], kinds: frozenset[str], failures: bool, quick: bool,
                   augment: bool, c: float) -> None:
    chosen = guide.understander.thresholds
    blends: tuple[float, ...] = (0.2, 0.3, 0.4, 0.5) if quick else (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
    accepts: tuple[float, ...] = (0.35, 0.4, 0.45, 0.5) if quick else (0.3, 0.35, 0.4, 0.45, 0.5, 0.55)
    if failures:
        blends, accepts = (chosen.blend,), (chosen.accept,)
    results: dict[tuple[float, float], Score] = defaultdict(Score)
    per_writer: dict[tuple[float, float], dict[str, Score]] = defaultdict(dict)
    for held in dev:
        model = train(guide, examples_for(guide, [w for w in dev if w != held], augment), kinds, c)
        questions = load_writer(held)[1]
        for blend in blends:
            for accept in accepts:
                thresholds = replace(guide.understander.thresholds, blend=blend, accept=accept,
                                     clarify=min(accept, guide.understander.thresholds.clarify))
                # A copy of the built understander, not a new one: indexing the templates is the slow part.
                understander = copy.copy(guide.understander)
                understander.thresholds, understander.classifier = thresholds, model
                trial = replace(guide, understander=understander)
                got = score(trial, questions, keep_misses=failures)
                results[blend, accept].add(got)
                per_writer[blend, accept][held] = got
                for miss in got.misses:
                    print(f"  MISS {held}: {miss}")
        print(f"  {held} done", file=sys.stderr, flush=True)
    print(f"kinds {','.join(sorted(kinds))}, terse copies {augment}, C {c}")
    print("blend accept | facts | controls | out of scope rejected")
    for (blend, accept), got in sorted(results.items()):
        print(f"{blend:.1f} {accept:.2f} | {got.facts_right / got.facts:.1%} | "
              f"{got.controls_right / got.controls:.1%} | {got.rejected / got.out_of_scope:.1%}")
    # The rule: the most questions answered (facts and controls) with at least 95% of out of scope
    # rejected, and an accept threshold of at least 0.4: below it the conversation's asking-back band
    # (from the clarify threshold, 0.3) all but goes, and at 0.35 two of the project's own dev
    # out-of-scope phrasings were accepted (bench/text_intents.py --set dev: "what time does the
    # pharmacy open" at 0.38, "whats good for a sore throat" at 0.36), where that set's target is
    # all of them. The higher accept threshold on a tie.
    allowed = [k for k, got in results.items() if got.rejected / got.out_of_scope >= 0.95 and k[1] >= 0.4]
    best = max(allowed, key=lambda k: (results[k].answered, k[1]))
    print(f"chosen: blend {best[0]:.1f}, accept {best[1]:.2f}")
    print("| writer | facts | controls | out of scope rejected |")
    for held, got in per_writer[best].items():
        print(f"| {held} | {got.facts_right / got.facts:.1%} ({got.facts_right}/{got.facts}) | "
              f"{got.controls_right / got.controls:.1%} | {got.rejected / got.out_of_scope:.1%} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true", help="leave one dev writer out, over a grid of settings")
    parser.add_argument("--failures", action="store_true", help="with --cv: the held-out misses at today's settings")
    parser.add_argument("--quick", action="store_true", help="with --cv: a smaller grid")
    parser.add_argument("--kinds", default=",".join(sorted(KINDS)), help="feature kinds to train on (c,b,w,f,g3,g4,g5)")
    parser.add_argument("--augment", action=argparse.BooleanOptionalAction, default=AUGMENT,
                        help="add terse copies of the people's phrasings")
    parser.add_argument("--c", type=float, default=C, help="inverse regularisation strength")
    parser.add_argument("--out", type=Path, default=ROOT / "intents" / CLASSIFIER)
    parser.add_argument("--hold-out", action="append", default=[], metavar="WRITER",
                        help="leave this dev writer out of training (repeatable), to score it unseen afterwards")
    args = parser.parse_args()
    guide = load_guide(classifier=False)
    dev = writer_sets()["dev"]
    unknown = [w for w in args.hold_out if w not in dev]
    if unknown:
        print(f"--hold-out: '{unknown[0]}' is not a dev writer (bench/writers/sets.yaml)", file=sys.stderr)
        return 2
    dev = [w for w in dev if w not in args.hold_out]
    if args.cv:
        cross_validate(guide, dev, frozenset(args.kinds.split(",")), args.failures, args.quick,
                       args.augment, args.c)
        return 0
    examples = examples_for(guide, dev, args.augment)
    model = train(guide, examples, frozenset(args.kinds.split(",")), args.c)
    model.save(args.out)
    print(f"{args.out.name}: {len(examples)} examples, {len(model.features)} features, {len(model.classes)} classes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
