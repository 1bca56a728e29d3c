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

--cv trains once per dev writer without that writer and scores it with bench/understanding.py's
rules over a grid of the blend share and the accept threshold: how those two were chosen.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np
import yaml
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

from voiceguide.classifier import REJECT, Classifier
from voiceguide.guide import CLASSIFIER, Guide, load_guide
from voiceguide.normalize import words
from voiceguide.understand import Understander

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from understanding import CONTROLS, Score, load_writer, score, writer_sets  # noqa: E402

PER_INTENT = 150
"""Template sentences sampled per intent: enough to cover its wording, few enough that
people's phrasings weigh in."""
PEOPLE_WEIGHT = 4.0
"""Weight of one person's phrasing against one template sentence."""
C = 4.0
"""Inverse regularisation strength."""


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
    out = []
    for name in names:
        for q in load_writer(name)[1]:
            got = guide.understander.understand(q.text)
            intent = got.intent
            if q.kind == "fact":
                unit = intent and (intent.unit or leads.get(intent.topic or ""))
                if intent and unit and set(units[unit].sentences) & set(q.sentences):
                    out.append((q.text, intent.name, PEOPLE_WEIGHT))
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


def train(guide: Guide, examples: list[tuple[str, str, float]]) -> Classifier:
    understander = guide.understander
    rows = [understander.features(words(text)) for text, _, _ in examples]
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
    model = LogisticRegression(C=C, max_iter=3000)
    model.fit(matrix, labels, sample_weight=weights)
    return Classifier(vocabulary, tuple(str(c) for c in model.classes_),
                      model.coef_.T.astype(np.float32), model.intercept_.astype(np.float32))


def examples_for(guide: Guide, writers: list[str]) -> list[tuple[str, str, float]]:
    rng = random.Random(12)
    return template_examples(guide, rng) + old_dev_examples(guide) + writer_examples(guide, writers)


def cross_validate(guide: Guide, dev: list[str], failures: bool) -> None:
    chosen = guide.understander.thresholds
    blends = (chosen.blend,) if failures else (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
    accepts = (chosen.accept,) if failures else (0.3, 0.35, 0.4, 0.45, 0.5, 0.55)
    results: dict[tuple[float, float], Score] = defaultdict(Score)
    for held in dev:
        model = train(guide, examples_for(guide, [w for w in dev if w != held]))
        questions = load_writer(held)[1]
        for blend in blends:
            for accept in accepts:
                thresholds = replace(guide.understander.thresholds, blend=blend, accept=accept,
                                     clarify=min(accept, guide.understander.thresholds.clarify))
                trial = replace(guide, understander=Understander(guide.intents, thresholds, model))
                got = score(trial, questions, keep_misses=failures)
                results[blend, accept].add(got)
                for miss in got.misses:
                    print(f"  MISS {held}: {miss}")
    print("blend accept | facts | controls | out of scope rejected")
    for (blend, accept), got in sorted(results.items()):
        print(f"{blend:.1f} {accept:.2f} | {got.facts_right / got.facts:.1%} | "
              f"{got.controls_right / got.controls:.1%} | {got.rejected / got.out_of_scope:.1%}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true", help="leave one dev writer out, over a grid of settings")
    parser.add_argument("--failures", action="store_true", help="with --cv: the held-out misses at today's settings")
    parser.add_argument("--out", type=Path, default=ROOT / "intents" / CLASSIFIER)
    args = parser.parse_args()
    guide = load_guide(classifier=False)
    dev = writer_sets()["dev"]
    if args.cv:
        cross_validate(guide, dev, args.failures)
        return 0
    examples = examples_for(guide, dev)
    model = train(guide, examples)
    model.save(args.out)
    print(f"{args.out.name}: {len(examples)} examples, {len(model.features)} features, {len(model.classes)} classes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
