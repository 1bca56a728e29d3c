"""The guide's content: article topics, safety texts and the guide's own replies.

Loaded once from ``content/`` into frozen dataclasses. Article facts
(:class:`Topic`) are kept apart from the guide's own words
(:class:`SafetyText`, :class:`Replies`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import DataError, DataErrors
from .pronounce import Lexicon, load_lexicon
from .yamlfile import LocatedDict, LocatedList, line_of, load_yaml

REPLY_KEYS = (
    "greeting", "push_to_talk", "not_understood", "not_understood_noisy", "not_understood_again", "out_of_scope",
    "no_exact_figure", "clarify", "clarify_noisy", "clarify_declined", "source", "help", "topics_intro",
    "where_am_i", "where_am_i_none", "topic_intro", "nothing_to_repeat", "no_more_detail",
    "no_topic_for_detail", "at_last_topic", "at_first_topic", "nothing_to_continue", "paused",
    "resumed", "stopped", "slower", "faster", "louder", "quieter", "slowest", "fastest", "loudest",
    "quietest", "start_over", "yes_without_question", "no_without_question", "goodbye", "say_again",
    "offer_more", "ask_hint", "risks", "is_it_safe", "success",
)
"""Every reply the guide speaks in its own voice; replies.yaml must give each."""

# Spoken article facts carry no figures: the article has none, so any number
# or unit of time in a topic would be invented.
_FIGURE_WORDS = re.compile(
    r"\d|%|\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
    r"hundred|percent|minutes?|hours?|days?|nights?|weeks?|months?|years?)\b",
    re.IGNORECASE,
)
SHORT_DISCLAIMER_WORDS = 12
"""The short disclaimer opens every later session at home, so it must be quick to hear."""
_SYMBOLS = re.compile(r"[()\[\]{}<>/\\&%#*=+_|~^@$]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def article_sentences(article: str) -> tuple[str, ...]:
    """The article's sentences in order; sentence n is item n - 1.

    The first line is the title and is not counted. This numbering is the one
    answer units cite and the independent writers tagged their questions with
    (bench/writers/article-sentences.txt).
    """
    body = article.split("\n", 1)[1] if "\n" in article else ""
    return tuple(s for s in _SENTENCE_END.split(" ".join(body.split())) if s)


@dataclass(frozen=True)
class Topic:
    """One topic of the article, in reading order."""

    id: str
    """Stable name, used by intents (``topic: recovery``)."""
    title: str
    """Spoken when the listener moves to this topic."""
    short: str
    """The first answer: one to three sentences."""
    detail: str
    """The longer answer, given on "more detail"."""
    passages: tuple[str, ...]
    """The article sentences this topic rests on, quoted exactly."""
    number: int
    """Place in reading order, from 1."""
    lead: str
    """The answer unit the short answer leads with (its id)."""


@dataclass(frozen=True)
class Unit:
    """One statement of the article, as the guide says it: the answer to a question aimed at it."""

    id: str
    """Stable name, used by intents (``unit: rehabilitation``)."""
    topic: str
    """The topic it belongs to: where "more" goes after it."""
    text: str
    """What is spoken, written for the ear."""
    sentences: tuple[int, ...]
    """The article sentences it cites, numbered as by :func:`article_sentences`."""
    passages: tuple[str, ...]
    """The words of those sentences it rests on, quoted exactly."""


@dataclass(frozen=True)
class Source:
    """Where the content comes from."""

    title: str
    """The article's title, as spoken."""
    article: str
    """The article's full text (the source of record)."""
    checked: dt.date
    """When the content was last checked against the article."""


@dataclass(frozen=True)
class SafetyText:
    """A text of VoiceGuide's own, never presented as an article fact."""

    label: str
    """Says whose words these are, e.g. "Disclaimer, from VoiceGuide"."""
    text: str
    """What is spoken."""

    @property
    def spoken(self) -> str:
        """The label, as a sentence, then the text: for texts whose author must be heard."""
        label = self.label if self.label.endswith((".", "!", "?")) else f"{self.label}."
        return f"{label} {self.text}"


@dataclass(frozen=True)
class Replies:
    """The guide's own conversational phrases, by name (see REPLY_KEYS)."""

    texts: dict[str, str]

    def say(self, key: str, **values: str) -> str:
        """The reply ``key`` with its ``{placeholders}`` filled in."""
        return self.texts[key].format(**values)


@dataclass(frozen=True)
class Content:
    """Everything the guide can say."""

    topics: tuple[Topic, ...]
    units: tuple[Unit, ...]
    source: Source
    disclaimer: SafetyText
    urgent: SafetyText
    replies: Replies
    short_disclaimer: SafetyText
    """Opens every later session at home; at most SHORT_DISCLAIMER_WORDS words."""
    cannot_call: str
    """Follows the urgent message when someone asks the guide to call or to help."""
    pronunciations: Lexicon
    """Spoken forms of the words the synthesisers misread (``pronunciations.yaml``)."""

    def topic(self, topic_id: str) -> Topic:
        """The topic called ``topic_id``; KeyError if there is none."""
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        raise KeyError(topic_id)

    def unit(self, unit_id: str) -> Unit:
        """The answer unit called ``unit_id``; KeyError if there is none."""
        for unit in self.units:
            if unit.id == unit_id:
                return unit
        raise KeyError(unit_id)


def load_shipped_content(folder: Path | None = None) -> Content:
    """The content alone (the shipped folder, or ``folder``), for what needs no understanding
    (export, topics): a fraction of the time the whole guide takes."""
    from .data import data_folder

    return load_content(data_folder(folder, "content"))


def load_content(folder: Path) -> Content:
    """Load and validate ``topics.yaml``, ``facts.yaml``, ``safety.yaml``, ``replies.yaml`` and
    ``pronunciations.yaml``.

    Raises DataErrors listing every problem found; nothing is half-loaded.
    """
    problems: list[DataError] = []
    topics_doc = _load(folder / "topics.yaml", problems)
    safety_doc = _load(folder / "safety.yaml", problems)
    replies_doc = _load(folder / "replies.yaml", problems)
    source = _source(folder, topics_doc, problems) if topics_doc is not None else None
    article = source.article if source else ""
    topics = _topics(folder / "topics.yaml", topics_doc, article, problems)
    units = _units(folder / "facts.yaml", _load(folder / "facts.yaml", problems), article,
                   {t.id for t in topics}, problems)
    unit_ids = {u.id for u in units}
    items = topics_doc.get("topics") if isinstance(topics_doc, dict) else None
    for topic, item in zip(topics, items if isinstance(items, LocatedList) else [], strict=False):
        if topic.lead and topic.lead not in unit_ids:
            problems.append(DataError(str(folder / "topics.yaml"), line_of(item, "lead"),
                                      f"topic '{topic.id}' leads with unknown unit '{topic.lead}'"))
    disclaimer = _safety(folder / "safety.yaml", safety_doc, "disclaimer", problems)
    urgent = _safety(folder / "safety.yaml", safety_doc, "urgent", problems)
    short_disclaimer = _safety(folder / "safety.yaml", safety_doc, "short_disclaimer", problems)
    if short_disclaimer is not None and len(short_disclaimer.text.split()) > SHORT_DISCLAIMER_WORDS:
        problems.append(DataError(str(folder / "safety.yaml"), line_of(safety_doc.get("short_disclaimer"), "text"),
                                  f"the short disclaimer must be at most {SHORT_DISCLAIMER_WORDS} words"))
    cannot_call = _text(folder / "safety.yaml", safety_doc, "cannot_call", problems) if safety_doc else ""
    replies = _replies(folder / "replies.yaml", replies_doc, problems)
    lexicon = load_lexicon(folder / "pronunciations.yaml", problems)
    for name, doc in (("topics.yaml", topics_doc), ("safety.yaml", safety_doc), ("replies.yaml", replies_doc)):
        _check_capitals(folder / name, doc, lexicon, problems)
    if (problems or source is None or disclaimer is None or urgent is None or replies is None
            or short_disclaimer is None):
        raise DataErrors(problems)
    return Content(tuple(topics), tuple(units), source, disclaimer, urgent, replies, short_disclaimer, cannot_call,
                   lexicon)


def _load(path: Path, problems: list[DataError]) -> Any:
    try:
        doc = load_yaml(path)
    except DataError as exc:
        problems.append(exc)
        return None
    if not isinstance(doc, LocatedDict):
        problems.append(DataError(str(path), 1, "expected a mapping at the top level"))
        return None
    return doc


def _text(path: Path, doc: Any, key: str, problems: list[DataError]) -> str:
    """A required non-empty string field; records a problem and returns "" if absent."""
    value = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(value, str) or not value.strip():
        problems.append(DataError(str(path), line_of(doc, key), f"'{key}' must be non-empty text"))
        return ""
    return " ".join(value.split())


def _source(folder: Path, doc: LocatedDict, problems: list[DataError]) -> Source | None:
    path = folder / "topics.yaml"
    src = doc.get("source")
    if not isinstance(src, LocatedDict):
        problems.append(DataError(str(path), doc.line, "missing 'source' mapping"))
        return None
    title = _text(path, src, "title", problems)
    checked = src.get("checked")
    if not isinstance(checked, dt.date):
        problems.append(DataError(str(path), line_of(src, "checked"), "'checked' must be a date"))
        return None
    article_name = src.get("file", "article.txt")
    try:
        article = (folder / str(article_name)).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        problems.append(
            DataError(str(path), line_of(src, "file"), f"cannot read article '{article_name}'")
        )
        return None
    return Source(title, article, checked)


def _topics(path: Path, doc: Any, article: str, problems: list[DataError]) -> list[Topic]:
    items = doc.get("topics") if isinstance(doc, dict) else None
    if not isinstance(items, LocatedList) or not items:
        if doc is not None:
            problems.append(DataError(str(path), doc.line, "'topics' must be a non-empty list"))
        return []
    topics: list[Topic] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        line = line_of(items, index)
        if not isinstance(item, LocatedDict):
            problems.append(DataError(str(path), line, "each topic must be a mapping"))
            continue
        topic = _topic(path, item, len(topics) + 1, article, problems)
        if topic.id in seen:
            problems.append(DataError(str(path), line, f"duplicate topic id '{topic.id}'"))
        seen.add(topic.id)
        topics.append(topic)
    return topics


def _topic(path: Path, item: LocatedDict, number: int, article: str, problems: list[DataError]) -> Topic:
    fields = {key: _text(path, item, key, problems) for key in ("id", "title", "short", "detail", "lead")}
    for key in ("title", "short", "detail"):
        _check_spoken(path, item, key, fields[key], problems)
    passages = item.get("passages")
    if not isinstance(passages, LocatedList) or not passages:
        problems.append(DataError(str(path), item.line, "'passages' must be a non-empty list"))
        passages = LocatedList()
    flat_article = " ".join(article.split())
    quoted: list[str] = []
    for index, passage in enumerate(passages):
        text = " ".join(str(passage).split())
        if text not in flat_article:
            problems.append(
                DataError(str(path), line_of(passages, index), "passage is not in the article")
            )
        quoted.append(text)
    short_sentences = len(re.findall(r"[.?!](\s|$)", fields["short"]))
    if fields["short"] and not 1 <= short_sentences <= 3:
        problems.append(
            DataError(str(path), line_of(item, "short"), "'short' must be one to three sentences")
        )
    return Topic(number=number, passages=tuple(quoted), **fields)


def _units(path: Path, doc: Any, article: str, topic_ids: set[str], problems: list[DataError]) -> list[Unit]:
    items = doc.get("units") if isinstance(doc, dict) else None
    if not isinstance(items, LocatedList) or not items:
        if doc is not None:
            problems.append(DataError(str(path), doc.line, "'units' must be a non-empty list"))
        return []
    numbered = article_sentences(article)
    units: list[Unit] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        if not isinstance(item, LocatedDict):
            problems.append(DataError(str(path), line_of(items, index), "each unit must be a mapping"))
            continue
        unit = _unit(path, item, numbered, topic_ids, problems)
        if unit.id in seen:
            problems.append(DataError(str(path), line_of(items, index), f"duplicate unit id '{unit.id}'"))
        seen.add(unit.id)
        units.append(unit)
    return units


def _unit(path: Path, item: LocatedDict, numbered: tuple[str, ...], topic_ids: set[str],
          problems: list[DataError]) -> Unit:
    """One answer unit: spoken text checked like a topic's; every passage quoted
    from one of the sentences it cites, and every cited sentence quoted."""
    fields = {key: _text(path, item, key, problems) for key in ("id", "topic", "text")}
    _check_spoken(path, item, "text", fields["text"], problems)
    if fields["topic"] and fields["topic"] not in topic_ids:
        problems.append(DataError(str(path), line_of(item, "topic"), f"unknown topic '{fields['topic']}'"))
    cited = item.get("sentences")
    if (not isinstance(cited, LocatedList) or not cited
            or not all(isinstance(n, int) and 1 <= n <= len(numbered) for n in cited)):
        problems.append(DataError(str(path), line_of(item, "sentences") or item.line,
                                  f"'sentences' must list article sentence numbers, 1 to {len(numbered)}"))
        cited = LocatedList()
    passages = item.get("passages")
    if not isinstance(passages, LocatedList) or not passages:
        problems.append(DataError(str(path), line_of(item, "passages") or item.line,
                                  "the unit cites no passage: 'passages' must be a non-empty list"))
        passages = LocatedList()
    quoted: list[str] = []
    used: set[int] = set()
    for index, passage in enumerate(passages):
        text = " ".join(str(passage).split())
        found = [n for n in cited if text in numbered[n - 1]]
        if not found:
            problems.append(DataError(str(path), line_of(passages, index),
                                      "passage is not in the article sentences the unit cites"))
        used.update(found)
        quoted.append(text)
    for number in cited:
        if number not in used and passages:
            problems.append(DataError(str(path), line_of(item, "sentences"),
                                      f"sentence {number} is cited but no passage quotes it"))
    return Unit(fields["id"], fields["topic"], fields["text"], tuple(cited), tuple(quoted))


def _check_spoken(path: Path, item: LocatedDict, key: str, text: str, problems: list[DataError]) -> None:
    """Topic text is for the ear and states no figure the article lacks."""
    if match := _FIGURE_WORDS.search(text):
        problems.append(
            DataError(
                str(path), line_of(item, key), f"'{key}' states a figure the article does not: '{match.group()}'"
            )
        )
    if match := _SYMBOLS.search(text):
        problems.append(
            DataError(str(path), line_of(item, key), f"'{key}' has a symbol that cannot be spoken: '{match.group()}'")
        )


def _check_capitals(path: Path, doc: Any, lexicon: Lexicon, problems: list[DataError]) -> None:
    """Every word in capitals that the guide speaks has a spoken form, or it is read as a word
    ("MISS" as "miss"). Article passages are quoted, not spoken, so they are not checked."""
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        if key == "passages":
            continue
        if isinstance(value, str):
            for word in lexicon.unspoken_capitals(value):
                problems.append(DataError(str(path), line_of(doc, key), f"'{word}' is in capitals but has no "
                                          "spoken form: add it to pronunciations.yaml"))
        else:
            _check_capitals(path, value, lexicon, problems)


def _safety(path: Path, doc: Any, key: str, problems: list[DataError]) -> SafetyText | None:
    if doc is None:
        return None
    entry = doc.get(key)
    if not isinstance(entry, LocatedDict):
        problems.append(DataError(str(path), doc.line, f"missing '{key}' mapping"))
        return None
    label = _text(path, entry, "label", problems)
    if label and "voiceguide" not in label.lower():
        problems.append(
            DataError(str(path), line_of(entry, "label"), "a safety label must name VoiceGuide as its author")
        )
    return SafetyText(label, _text(path, entry, "text", problems))


def _replies(path: Path, doc: Any, problems: list[DataError]) -> Replies | None:
    if doc is None:
        return None
    texts: dict[str, str] = {}
    for key in REPLY_KEYS:
        texts[key] = _text(path, doc, key, problems)
    for key in doc:
        if key not in REPLY_KEYS:
            problems.append(DataError(str(path), line_of(doc, key), f"unknown reply '{key}'"))
    return Replies(texts)
