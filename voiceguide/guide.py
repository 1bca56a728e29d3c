"""The loaded guide: content, intents and the understander, built once.

Building the understanding expands every template, which takes seconds, so
what is built is kept in the user cache (:mod:`cache`) and reused while the
data and the code are unchanged. The content is always read and checked.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from . import cache
from .classifier import REJECT, load_classifier
from .content import Content, article_sentences, load_content
from .data import data_folder
from .errors import DataError, DataErrors
from .intents import IntentSet, load_intents
from .understand import Understander

log = logging.getLogger(__name__)

CLASSIFIER = "classifier.npz"
"""The trained classifier's file in the intents folder (scripts/train_classifier.py makes it)."""


@dataclass(frozen=True)
class Guide:
    """Everything needed to understand and answer, loaded and checked."""

    content: Content
    intents: IntentSet
    understander: Understander


def load_guide(content_dir: Path | None = None, intents_dir: Path | None = None, *,
               classifier: bool = True, from_cache: bool = True) -> Guide:
    """Load the shipped data, or the given folders. DataErrors lists every problem.

    The intents folder's trained classifier is used when there is one and
    ``classifier`` is true; without it the concept matcher decides alone.
    With ``from_cache`` false the understanding is built afresh and every intent
    check runs (``voiceguide check``); either way a fresh build is cached.
    """
    content_dir = data_folder(content_dir, "content")
    intents_dir = data_folder(intents_dir, "intents")
    try:
        content = load_content(content_dir)
    except DataErrors as exc:
        # The intents are still checked, so that check lists every problem at once.
        try:
            load_intents(intents_dir, [])
        except DataErrors as more:
            raise DataErrors([*exc.errors, *more.errors]) from None
        raise
    key = _key(content_dir, intents_dir, classifier)
    compiled = cache.load(key) if key is not None and from_cache else None
    if compiled is None:
        compiled = _build(content, intents_dir, classifier)
        if key is not None and _key(content_dir, intents_dir, classifier) == key:
            # Only when nothing changed while building, so that the key says what was built.
            cache.store(key, compiled)
    return Guide(content, compiled.intents, compiled.understander)


def _key(content_dir: Path, intents_dir: Path, classifier: bool) -> str | None:
    try:
        key = cache.cache_key(content_dir, intents_dir)
        # The concept matcher alone (benchmark comparisons) is another build: another key.
        return key if classifier else hashlib.sha256(f"{key}\0no classifier".encode()).hexdigest()
    except OSError as exc:
        log.debug("no understanding cache: the data cannot be read whole (%s)", exc)
        return None


def _build(content: Content, intents_dir: Path, classifier: bool) -> cache.Compiled:
    """Expand the intents and check them against the content's topics and units; DataErrors lists
    every problem."""
    start = time.perf_counter()
    intents = load_intents(intents_dir, [t.id for t in content.topics], [u.id for u in content.units])
    problems = [DataError(str(intents_dir), None, f"article sentence {n} is reachable by no template: "
                          "no fact or topic intent leads with a unit that cites it")
                for n in unreachable_sentences(content, intents)]
    model = None
    if classifier and (intents_dir / CLASSIFIER).is_file():
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
    if problems:
        raise DataErrors(problems)
    compiled = cache.Compiled(intents, Understander(intents, classifier=model))
    log.debug("understanding built in %.2f s", time.perf_counter() - start)
    return compiled


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
