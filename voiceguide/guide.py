"""The loaded guide: content, intents and the understander, built once.

Building the understanding expands every template, which takes seconds, so
what is built is kept in the user cache (:mod:`cache`) and reused while the
data and the code are unchanged. The content is always read and checked.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from . import cache
from .content import Content, load_content
from .data import data_folder
from .errors import DataErrors
from .intents import IntentSet, load_intents
from .understand import Understander

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Guide:
    """Everything needed to understand and answer, loaded and checked."""

    content: Content
    intents: IntentSet
    understander: Understander


def load_guide(content_dir: Path | None = None, intents_dir: Path | None = None, *,
               from_cache: bool = True) -> Guide:
    """Load the shipped data, or the given folders. DataErrors lists every problem.

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
    key = _key(content_dir, intents_dir)
    compiled = cache.load(key) if key is not None and from_cache else None
    if compiled is None:
        compiled = _build(content, intents_dir)
        if key is not None and _key(content_dir, intents_dir) == key:
            # Only when nothing changed while building, so that the key says what was built.
            cache.store(key, compiled)
    return Guide(content, compiled.intents, compiled.understander)


def _key(content_dir: Path, intents_dir: Path) -> str | None:
    try:
        return cache.cache_key(content_dir, intents_dir)
    except OSError as exc:
        log.debug("no understanding cache: the data cannot be read whole (%s)", exc)
        return None


def _build(content: Content, intents_dir: Path) -> cache.Compiled:
    """Expand the intents and check them against the content's topics; DataErrors lists every problem."""
    start = time.perf_counter()
    intents = load_intents(intents_dir, [t.id for t in content.topics])
    compiled = cache.Compiled(intents, Understander(intents))
    log.debug("understanding built in %.2f s", time.perf_counter() - start)
    return compiled
