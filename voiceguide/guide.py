"""The loaded guide: content, intents and the understander, built once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .classifier import REJECT, load_classifier
from .content import Content, article_sentences, load_content
from .data import shipped_dir
from .errors import DataError, DataErrors
from .intents import IntentSet, load_intents
from .understand import Understander


@dataclass(frozen=True)
class Guide:
    """Everything needed to understand and answer, loaded and checked."""

    content: Content
    intents: IntentSet
    understander: Understander


def load_guide_content(content_dir: Path | None = None) -> Content:
    """Only the content, for what needs no understanding (export): loads in a fraction of the time."""
    content_dir = content_dir or shipped_dir("content")
    if not content_dir.is_dir():
        raise DataErrors([DataError(str(content_dir), None, "no such folder")])
    return load_content(content_dir)


CLASSIFIER = "classifier.npz"
"""The trained classifier's file in the intents folder (scripts/train_classifier.py makes it)."""


def load_guide(content_dir: Path | None = None, intents_dir: Path | None = None,
               classifier: bool = True) -> Guide:
    """Load the shipped data, or the given folders. DataErrors lists every problem.

    The intents folder's trained classifier is used when there is one and
    ``classifier`` is true; without it the concept matcher decides alone.
    """
    content_dir = content_dir or shipped_dir("content")
    intents_dir = intents_dir or shipped_dir("intents")
    for folder in (content_dir, intents_dir):
        if not folder.is_dir():
            raise DataErrors([DataError(str(folder), None, "no such folder")])
    problems: list[DataError] = []
    content = None
    try:
        content = load_content(content_dir)
    except DataErrors as exc:
        problems.extend(exc.errors)
    topic_ids = [t.id for t in content.topics] if content else []
    unit_ids = [u.id for u in content.units] if content else []
    intents = None
    try:
        intents = load_intents(intents_dir, topic_ids, unit_ids)
    except DataErrors as exc:
        problems.extend(exc.errors)
    if content is not None and intents is not None:
        problems.extend(DataError(str(intents_dir), None, f"article sentence {n} is reachable by no template: "
                                  "no fact or topic intent leads with a unit that cites it")
                        for n in unreachable_sentences(content, intents))
    model = None
    if classifier and intents is not None and (intents_dir / CLASSIFIER).is_file():
        try:
            model = load_classifier(intents_dir / CLASSIFIER)
        except DataError as exc:
            problems.append(exc)
        else:
            names = {i.name for i in intents.intents} | {REJECT}
            if stale := sorted(set(model.classes) - names):
                problems.append(DataError(str(intents_dir / CLASSIFIER), None,
                                          f"trained for intents that are gone ({', '.join(stale[:3])}): "
                                          "run scripts/train_classifier.py"))
    if problems or content is None or intents is None:
        raise DataErrors(problems)
    return Guide(content, intents, Understander(intents, classifier=model))


def unreachable_sentences(content: Content, intents: IntentSet) -> list[int]:
    """Article sentences that no template reaches: no fact intent's unit and no
    topic intent's leading unit cites them."""
    units = {u.id: u for u in content.units}
    leads = {t.id: t.lead for t in content.topics}
    reached: set[int] = set()
    for intent in intents.intents:
        unit_id = intent.unit or leads.get(intent.topic or "")
        if intent.sentences and unit_id in units:
            reached.update(units[unit_id].sentences)
    total = len(article_sentences(content.source.article))
    return [n for n in range(1, total + 1) if n not in reached]
