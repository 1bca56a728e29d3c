"""Intents: what a listener can mean, with the template sentences that say it.

Loaded once from every ``*.yaml`` file in ``intents/``. A file may hold:

``words``      shared word lists, ``{name}`` in templates;
``intents``    intent name -> ``sentences`` (templates) plus, by kind,
               ``topic`` (topic.*), ``unit`` (fact.*) or ``subject``
               (out_of_scope.*);
``language``   tolerant-matching data: ``synonyms`` (canonical word ->
               phrases meaning it), ``stopwords`` and ``figure_cues``
               (templates of questions that ask for a number); and
               ``pronunciations`` (word -> phones, CMU ARPAbet without stress)
               for words a recogniser's dictionary lacks;
``red_flags``  the red-flag detector's own word classes and rules
               (see redflags.py); in one file only.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import templates
from .errors import DataError, DataErrors, TemplateError
from .normalize import words
from .redflags import RedFlagRules, parse_red_flags
from .yamlfile import LocatedDict, LocatedList, line_of, load_yaml

KINDS = ("topic", "fact", "control", "info", "safety", "out_of_scope")
"""Intent names start with their kind, e.g. ``topic.recovery``."""
ANSWERS = ("topic", "fact")
"""Kinds answered with the article's content."""


@dataclass(frozen=True)
class Intent:
    """One thing a listener can mean."""

    name: str
    """Kind and name, e.g. ``control.repeat``."""
    kind: str
    """One of KINDS."""
    sentences: tuple[tuple[str, ...], ...]
    """Every sentence the templates expand into, as normalised words."""
    topic: str | None = None
    """For topic intents: the content topic answered."""
    subject: str | None = None
    """For out-of-scope intents: what the guide says it does not cover."""
    unit: str | None = None
    """For fact intents: the answer unit answered."""


@dataclass(frozen=True)
class Language:
    """Word knowledge for tolerant matching."""

    synonyms: dict[tuple[str, ...], str] = field(default_factory=dict)
    """Phrase (as words) -> the canonical word it means."""
    stopwords: frozenset[str] = frozenset()
    """Words that carry no meaning for matching."""
    figure_cues: tuple[tuple[str, ...], ...] = ()
    """Word sequences that ask for a number ("how long", "how many")."""
    pronunciations: dict[str, str] = field(default_factory=dict)
    """Word -> ARPAbet phones, for words PocketSphinx's dictionary lacks."""
    uninflected: frozenset[str] = frozenset()
    """Words whose verb forms mean something else ("miss" the abbreviation, "missed"):
    the synonyms' other verb forms (morphology.py) leave them as written."""
    fillers: frozenset[str] = frozenset()
    """Words that carry nothing and may stand anywhere, even inside a phrase ("how does this
    thing even work", "this kinda surgery"): left out before templates and phrases are matched."""
    tags: frozenset[str] = frozenset()
    """Words that, last in a longer question, ask the listener to agree ("he must look after his
    back himself, yes?"): a tag, not an answer; when the whole reads as a command, the question is
    read without it."""
    interjections: tuple[tuple[str, ...], ...] = ()
    """Words that, first in an utterance, only ask for attention ("wait, run that back", "hold on,
    what did you just say"): when the words after them, read alone, are understood and surer than
    the whole, they are the request. Longest first."""
    hesitations: frozenset[str] = frozenset()
    """Sounds that end a clause where speech has no commas ("tell me about spinal infections in
    general um i know next to nothing"): a recogniser writes no punctuation, so these are all its
    words have for the commas that let a typed question's clauses be read alone."""
    spoken: dict[str, str] = field(default_factory=dict)
    """Dialect form (one word) -> its standard words ("whit": "what", "cyaan": "can not"): a
    question is read in the standard words before it is matched; templates are left as written."""
    negations: tuple[tuple[str, ...], ...] = ()
    """Word sequences in which "no" says "not", as Scots has it ("can I no just get up", "I might no
    need it", "no so loud"): the "no" of each, said within one stretch of words (never across
    punctuation: "is it? no" is an answer), is read as "not" in every utterance."""
    unnegated: frozenset[str] = frozenset()
    """Words that "no" stands before as an answer or as "none", never as "not" ("I will no problem",
    "nae bother"): a negation right before one is left as said."""
    homographs: frozenset[str] = frozenset()
    """Dialect forms in ``spoken`` that are also words of standard English ("bout", "ma", "mi"): after
    one of ``determiners`` they are the English word ("a bout of flu", "my ma", "an MI")."""
    determiners: frozenset[str] = frozenset()
    """Words after which a form of ``homographs`` is the English word ("a", "the", "my")."""


@dataclass(frozen=True)
class IntentSet:
    """All intents and the language data, as loaded."""

    intents: tuple[Intent, ...]
    language: Language
    red_flags: RedFlagRules = field(default_factory=RedFlagRules)
    """The red-flag detector's rules, apart from the general matcher's data."""

    def get(self, name: str) -> Intent:
        """The intent called ``name``; KeyError if there is none."""
        for intent in self.intents:
            if intent.name == name:
                return intent
        raise KeyError(name)


@dataclass
class _Template:
    """A template sentence waiting to be expanded, with where it came from."""

    intent: str
    text: str
    path: str
    line: int | None


@dataclass
class _Collected:
    """Raw material gathered from all files before anything is built."""

    lists: dict[str, tuple[templates.Alt, ...]] = field(default_factory=dict)
    intents: dict[str, tuple[LocatedDict, str, int | None]] = field(default_factory=dict)
    sentences: list[_Template] = field(default_factory=list)
    synonyms: dict[tuple[str, ...], str] = field(default_factory=dict)
    stopwords: set[str] = field(default_factory=set)
    cues: list[_Template] = field(default_factory=list)
    pronunciations: dict[str, str] = field(default_factory=dict)
    uninflected: set[str] = field(default_factory=set)
    fillers: set[str] = field(default_factory=set)
    tags: set[str] = field(default_factory=set)
    hesitations: set[str] = field(default_factory=set)
    interjections: list[tuple[str, ...]] = field(default_factory=list)
    spoken: dict[str, str] = field(default_factory=dict)
    negations: list[_Template] = field(default_factory=list)
    unnegated: set[str] = field(default_factory=set)
    homographs: set[str] = field(default_factory=set)
    determiners: set[str] = field(default_factory=set)
    red_flags: RedFlagRules | None = None
    problems: list[DataError] = field(default_factory=list)
    said: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Each template word as a person's words are normalised (_expand), worked out once a build."""


def load_intents(folder: Path, topic_ids: Iterable[str], unit_ids: Iterable[str] = ()) -> IntentSet:
    """Load, expand and validate every intent file in ``folder``.

    Raises DataErrors listing every problem; nothing is half-loaded.
    """
    files = sorted(folder.glob("*.yaml"))
    got = _Collected()
    if not files:
        got.problems.append(DataError(str(folder), None, "no intent files (*.yaml) found"))
    for path in files:
        _collect_file(path, got)
    built = _build(got, set(topic_ids), set(unit_ids))
    if got.problems:
        raise DataErrors(got.problems)
    return built


def _collect_file(path: Path, got: _Collected) -> None:
    try:
        doc = load_yaml(path)
    except DataError as exc:
        got.problems.append(exc)
        return
    name = str(path)
    if not isinstance(doc, LocatedDict):
        got.problems.append(DataError(name, 1, "expected a mapping at the top level"))
        return
    for key in doc:
        if key not in ("words", "intents", "language", "red_flags"):
            got.problems.append(DataError(name, line_of(doc, key), f"unknown section '{key}'"))
    _collect_words(name, doc.get("words"), got)
    _collect_intents(name, doc.get("intents"), got)
    _collect_language(name, doc.get("language"), got)
    if "red_flags" in doc:
        if got.red_flags is not None:
            got.problems.append(DataError(name, line_of(doc, "red_flags"), "'red_flags' is given twice"))
        got.red_flags = parse_red_flags(name, doc["red_flags"], got.problems)


def _mapping(name: str, doc: Any, what: str, got: _Collected) -> LocatedDict | None:
    if doc is None:
        return None
    if not isinstance(doc, LocatedDict):
        got.problems.append(DataError(name, getattr(doc, "line", None), f"'{what}' must be a mapping"))
        return None
    return doc


def _text_list(name: str, doc: Any, key: Any, got: _Collected) -> list[tuple[str, int | None]]:
    """A list of non-empty strings with their lines; problems recorded."""
    items = doc.get(key)
    if not isinstance(items, LocatedList) or not items:
        got.problems.append(DataError(name, line_of(doc, key), f"'{key}' must be a non-empty list"))
        return []
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            got.problems.append(DataError(name, line_of(items, index), "expected non-empty text"))
        else:
            out.append((item, line_of(items, index)))
    return out


def _collect_words(name: str, doc: Any, got: _Collected) -> None:
    section = _mapping(name, doc, "words", got)
    for key in section or ():
        if key in got.lists:
            got.problems.append(DataError(name, line_of(section, key), f"duplicate word list '{key}'"))
            continue
        parsed = []
        for text, line in _text_list(name, section, key, got):
            try:
                parsed.append(templates.parse(text))
            except TemplateError as exc:
                got.problems.append(DataError(name, line, str(exc)))
        got.lists[key] = tuple(parsed)


def _collect_intents(name: str, doc: Any, got: _Collected) -> None:
    section = _mapping(name, doc, "intents", got)
    if section is None:
        return
    for key in section:
        line = line_of(section, key)
        body = section[key]
        if key in got.intents:
            got.problems.append(DataError(name, line, f"duplicate intent '{key}'"))
            continue
        if not isinstance(body, LocatedDict):
            got.problems.append(DataError(name, line, f"intent '{key}' must be a mapping"))
            continue
        got.intents[key] = (body, name, line)
        for text, text_line in _text_list(name, body, "sentences", got):
            got.sentences.append(_Template(key, text, name, text_line))


def _collect_language(name: str, doc: Any, got: _Collected) -> None:
    section = _mapping(name, doc, "language", got)
    if section is None:
        return
    synonyms = _mapping(name, section.get("synonyms"), "synonyms", got)
    for canonical in synonyms or ():
        for text, line in _text_list(name, synonyms, canonical, got):
            phrase = tuple(words(text))
            if phrase in got.synonyms and got.synonyms[phrase] != canonical:
                got.problems.append(DataError(name, line, f"'{text}' is a synonym of two words"))
            got.synonyms[phrase] = str(canonical)
    if "stopwords" in section:
        got.stopwords.update(w for text, _ in _text_list(name, section, "stopwords", got) for w in words(text))
    phones = _mapping(name, section.get("pronunciations"), "pronunciations", got)
    for word in phones or ():
        value = phones[word] if phones is not None else None
        if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{1,2}( [A-Z]{1,2})*", value.strip()):
            got.problems.append(DataError(name, line_of(phones, word),
                                          f"pronunciation of '{word}' must be ARPAbet phones without stress"))
            continue
        got.pronunciations[str(word).lower()] = value.strip()
    if "uninflected" in section:
        got.uninflected.update(w for text, _ in _text_list(name, section, "uninflected", got) for w in words(text))
    for key, found in (("fillers", got.fillers), ("tags", got.tags), ("hesitations", got.hesitations),
                       ("unnegated", got.unnegated), ("homographs", got.homographs),
                       ("determiners", got.determiners)):
        if key in section:
            for text, line in _text_list(name, section, key, got):
                said = words(text)
                if len(said) != 1:
                    got.problems.append(DataError(name, line, f"'{key}' must list single words"))
                found.update(said[:1])
    if "interjections" in section:
        got.interjections.extend(tuple(words(text)) for text, _ in _text_list(name, section, "interjections", got))
    spoken = _mapping(name, section.get("spoken"), "spoken", got)
    for form, value in (spoken or {}).items():
        said = words(str(form))
        if len(said) not in (1, 2) or not isinstance(value, str) or not words(value):
            got.problems.append(DataError(name, line_of(spoken, form), "'spoken' maps one word (or two said "
                                          f"as one) to its standard words: '{form}'"))
            continue
        got.spoken[" ".join(said)] = " ".join(words(value))
    if "negations" in section:
        got.negations.extend(_Template("", t, name, ln) for t, ln in _text_list(name, section, "negations", got))
    if "figure_cues" in section:
        got.cues.extend(_Template("", t, name, ln) for t, ln in _text_list(name, section, "figure_cues", got))


def _build(got: _Collected, topic_ids: set[str], unit_ids: set[str]) -> IntentSet:
    expanded: dict[str, list[tuple[str, ...]]] = {key: [] for key in got.intents}
    owner: dict[tuple[str, ...], str] = {}
    for tpl in got.sentences:
        for sentence in _expand(tpl, got):
            first = owner.setdefault(sentence, tpl.intent)
            if first != tpl.intent:
                got.problems.append(DataError(
                    tpl.path, tpl.line,
                    f"'{' '.join(sentence)}' expands into two intents: '{first}' and '{tpl.intent}'"))
            expanded[tpl.intent].append(sentence)
    intents = [_intent(key, got, expanded[key], topic_ids, unit_ids) for key in got.intents]
    covered = {i.topic for i in intents if i is not None}
    for topic in sorted(topic_ids - covered):
        got.problems.append(DataError("intents", None, f"topic '{topic}' has no intent: it cannot be reached"))
    cues = tuple(s for tpl in got.cues for s in _expand(tpl, got))
    # A question is read in standard words, templates as written: a dialect form a template uses could
    # never be said as the template has it. (The red-flag detector's templates read their own forms.)
    used = {w: i.name for i in intents if i is not None and i.kind != "safety" for s in i.sentences for w in s}
    for form in sorted(got.spoken.keys() & used.keys()):
        got.problems.append(DataError("intents", None, f"'{form}' is a dialect form in 'spoken', but a sentence "
                                      f"of '{used[form]}' uses it: a question could never say it so"))
    # ... and so could no synonym phrase that the dialect table reads as other words ("aye", "wi fi").
    for phrase, canonical in sorted(got.synonyms.items()):
        if words(" ".join(phrase), got.spoken) != list(phrase):
            got.problems.append(DataError("intents", None, f"'{' '.join(phrase)}', a synonym of '{canonical}', "
                                          "is read as other words by 'spoken': a question could never say it so"))
    for form in sorted(got.homographs - got.spoken.keys()):
        got.problems.append(DataError("intents", None, f"'homographs' names '{form}', which 'spoken' does not"))
    negations: set[tuple[str, ...]] = set()
    for tpl in got.negations:
        said = _expand(tpl, got)
        if any("no" not in s for s in said):
            got.problems.append(DataError(tpl.path, tpl.line, f"a negation must hold 'no': '{tpl.text}'"))
        negations.update(said)
    language = Language(dict(got.synonyms), frozenset(got.stopwords), cues, dict(got.pronunciations),
                        frozenset(got.uninflected), frozenset(got.fillers), frozenset(got.tags),
                        tuple(sorted(set(got.interjections), key=lambda p: (-len(p), p))),
                        frozenset(got.hesitations), dict(got.spoken), tuple(sorted(negations)),
                        frozenset(got.unnegated), frozenset(got.homographs), frozenset(got.determiners))
    red_flags = got.red_flags or RedFlagRules()
    names = {i.name for i in intents if i is not None}
    for name in red_flags.intents:
        if name not in names:
            got.problems.append(DataError("intents", None, f"red_flags names unknown intent '{name}'"))
    for name in sorted(n for n in names if n.startswith("safety.") and n not in red_flags.intents):
        got.problems.append(DataError("intents", None, f"no red_flags rule gives '{name}': it cannot be reached"))
    return IntentSet(tuple(i for i in intents if i is not None), language, red_flags)


def _expand(tpl: _Template, got: _Collected) -> list[tuple[str, ...]]:
    try:
        tree = templates.parse(tpl.text)
        raw = templates.expand(tree, got.lists)
    except TemplateError as exc:
        got.problems.append(DataError(tpl.path, tpl.line, str(exc)))
        return []
    # Normalise each sentence as a person's words are normalised ("what's"). A template's words are
    # letters and apostrophes (templates.parse), so each is normalised alone, as in its sentence: once
    # a word, not once for each of some 90,000 sentences (half the build's expansion). Interned:
    # the sentences share a few thousand words, and one object per word made the cached
    # understanding (cache.py) 2.5 MB instead of 4.0 MB and six times quicker to unpickle.
    said = got.said
    for sentence in raw:
        for word in sentence:
            if word not in said:
                said[word] = tuple(sys.intern(w) for w in words(word))
    return list(dict.fromkeys(tuple(w for word in sentence for w in said[word]) for sentence in raw))


def _intent(key: str, got: _Collected, sentences: list[tuple[str, ...]], topic_ids: set[str],
            unit_ids: set[str]) -> Intent | None:
    body, path, line = got.intents[key]
    kind = str(key).split(".", 1)[0]
    if kind not in KINDS or "." not in str(key):
        kinds = ", ".join(KINDS)
        got.problems.append(DataError(path, line, f"intent '{key}' must start with one of {kinds} and a dot"))
        return None
    for extra in body:
        if extra not in ("sentences", "topic", "subject", "unit"):
            got.problems.append(DataError(path, line_of(body, extra), f"unknown field '{extra}'"))
    topic = body.get("topic")
    if kind == "topic" and topic not in topic_ids:
        got.problems.append(DataError(path, line_of(body, "topic"), f"intent '{key}' names unknown topic '{topic}'"))
    unit = body.get("unit")
    if kind == "fact" and unit not in unit_ids:
        got.problems.append(DataError(path, line_of(body, "unit") or line,
                                      f"intent '{key}' names unknown unit '{unit}'"))
    subject = body.get("subject")
    if kind == "out_of_scope" and not (isinstance(subject, str) and subject.strip()):
        got.problems.append(DataError(path, line, f"intent '{key}' needs a 'subject'"))
    return Intent(str(key), kind, tuple(sentences), topic if kind == "topic" else None,
                  subject if kind == "out_of_scope" else None, unit if kind == "fact" else None)
