"""The loaded guide: content, intents and the understander, built once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .content import Content, load_content
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


def load_guide(content_dir: Path | None = None, intents_dir: Path | None = None) -> Guide:
    """Load the shipped data, or the given folders. DataErrors lists every problem."""
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
    try:
        intents = load_intents(intents_dir, topic_ids)
    except DataErrors as exc:
        problems.extend(exc.errors)
    if problems or content is None:
        raise DataErrors(problems)
    return Guide(content, intents, Understander(intents))
