"""Red flags: a person reporting emergency signs now, or asking for urgent help.

This detector stands apart from the general matcher on purpose. It has its
own word classes and rules over the normalised words (``red_flags`` in
``intents/safety.yaml``), so the urgent message comes first whatever the
general matcher scores, and either can change without the other.

Phrases are found longest first, each giving its word classes ("pins and
needles" is *numb*; "help me decide" is no request). Then two kinds of rule:

- a *request* for urgent help ("call an ambulance", "help me"): counts unless
  asked about in general ("when should I call an ambulance");
- a *sign*, classes close together ("my legs have gone numb": *leg*, *numb*):
  counts when it is reported, not asked about. It must not follow a
  question's opening word ("is numbness in the legs a sign"), have a
  question word between its parts ("my wound might get infected"), or be
  framed by the words before it ("will I have weak legs", "if my legs felt
  weak", "is it normal for your legs"); and the utterance must not be about
  symptoms in general or the distant past ("in general", "years ago")
  unless it also says something is happening now ("since last night").

Every rule, word list and class is data, chosen on the public guidance the
urgent message follows and on the dev writers' phrasings; bench/redflags.py
measures it per writer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product
from typing import Any

from .errors import DataError
from .normalize import singular, words
from .yamlfile import LocatedDict, LocatedList, line_of

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class RedFlagRules:
    """The red-flag word knowledge, as loaded from an intents file."""

    classes: dict[Phrase, frozenset[str]] = field(default_factory=dict)
    """Phrase (singular words) -> the word classes it belongs to ("pins and needles" -> numb)."""
    requests: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = ()
    """(intent, class lists) in order of precedence: any list found is a request for urgent help."""
    report_intent: str = "safety.urgent"
    """The intent of a sign reported now."""
    signs: tuple[tuple[str, ...], ...] = ()
    """Class lists that make a red-flag sign when they occur close together (a class named
    twice needs two different phrases: "boiling hot and shaking")."""
    window: int = 8
    """How many words apart the classes of one sign may be."""
    lookback: int = 6
    """How many words before a sign are read for a question or a supposition."""
    request_asking: tuple[Phrase, ...] = ()
    """Words that, before a request, ask about it in general ("when should i call")."""
    asking: tuple[Phrase, ...] = ()
    """Words that, just before a sign, ask about it or suppose it ("will i have", "if", "your")."""
    subjects: frozenset[str] = frozenset()
    """Pronouns that say who the sign is happening to ("i", "he"); reading back stops at one."""
    openers: frozenset[str] = frozenset()
    """Words that open a question about a sign right after them ("is fever a sign", "do legs go numb")."""
    inverting: frozenset[str] = frozenset()
    """Words that, right before a subject, make a question or a supposition of it ("will", "if")."""
    breaks: frozenset[str] = frozenset()
    """Words that start a new clause; reading back stops there ("but")."""
    general: tuple[Phrase, ...] = ()
    """Words that make the whole utterance general or long past ("in general", "years ago")."""
    now: tuple[Phrase, ...] = ()
    """Words that say something is happening now ("since", "this morning"); they outweigh ``general``."""

    @property
    def intents(self) -> tuple[str, ...]:
        """Every intent these rules can give."""
        return (*(name for name, _ in self.requests), self.report_intent) if self.signs else ()


@dataclass(frozen=True)
class _Hit:
    cls: str
    start: int
    end: int


class RedFlagDetector:
    """Finds red flags in the words of one utterance. Build once; cheap to call."""

    def __init__(self, rules: RedFlagRules) -> None:
        self.rules = rules
        self._longest = max((len(p) for p in rules.classes), default=1)

    def detect(self, said: list[str]) -> str | None:
        """The red-flag intent for these normalised words (normalize.words), or None."""
        seq = [singular(w) for w in said]
        hits = self._hits(seq)
        for intent, sets in self.rules.requests:
            for classes in sets:
                if any(not self._request_asked(seq, combo) for combo in self._found(hits, classes)):
                    return intent
        if _contains(seq, self.rules.general) and not _contains(seq, self.rules.now):
            return None
        for classes in self.rules.signs:
            if any(self._reported(seq, combo) for combo in self._found(hits, classes)):
                return self.rules.report_intent
        return None

    def _hits(self, seq: list[str]) -> list[_Hit]:
        """Longest known phrases, left to right, each with its classes."""
        out: list[_Hit] = []
        pos = 0
        while pos < len(seq):
            for size in range(min(self._longest, len(seq) - pos), 0, -1):
                classes = self.rules.classes.get(tuple(seq[pos : pos + size]))
                if classes is not None:
                    out.extend(_Hit(c, pos, pos + size) for c in classes)
                    pos += size
                    break
            else:
                pos += 1
        return out

    def _found(self, hits: list[_Hit], classes: tuple[str, ...]) -> list[tuple[_Hit, ...]]:
        """Every way the classes occur together within the window, one hit each."""
        by_class = [[h for h in hits if h.cls == c] for c in classes]
        if not all(by_class):
            return []
        return [combo for combo in product(*by_class)
                if max(h.end for h in combo) - min(h.start for h in combo) <= self.rules.window
                and len({(h.cls, h.start) for h in combo}) == len(combo)]

    def _request_asked(self, seq: list[str], combo: tuple[_Hit, ...]) -> bool:
        """A request is asked about in general ("when should I call an ambulance")."""
        start, end = min(h.start for h in combo), max(h.end for h in combo)
        return any(self._cue_at(seq, pos, end, self.rules.request_asking) for pos in range(start))

    def _reported(self, seq: list[str], combo: tuple[_Hit, ...]) -> bool:
        """The sign is told, not asked about or supposed: it does not follow a question word
        ("is numbness in the legs a sign"), has no asking word between its parts ("my wound might
        get infected"), and some part of it is not framed by the words before it."""
        rules = self.rules
        start, end = min(h.start for h in combo), max(h.end for h in combo)
        if self._question_opens(seq, start):
            return False
        covered = {pos for h in combo for pos in range(h.start, h.end)}
        for pos in range(start + 1, end):
            if pos not in covered and self._cue_at(seq, pos, end, rules.asking, covered):
                return False
        first = max(0, start - rules.lookback)
        return any(not self._framed(seq, h.start, first, covered) for h in combo)

    def _question_opens(self, seq: list[str], start: int) -> bool:
        """The sign follows a question's opening word ("is fever a sign", "are the legs weak"),
        not a statement's ("my husband is confused")."""
        pos = start - 1
        while pos >= 0 and seq[pos] in _ARTICLES:
            pos -= 1
        return pos >= 0 and seq[pos] in self.rules.openers and (pos == 0 or seq[pos - 1] in self.rules.breaks)

    def _framed(self, seq: list[str], start: int, first: int, covered: set[int]) -> bool:
        """The words before ``start`` (back to ``first``) ask about what follows, or suppose it.
        Reading back stops at a new clause, or at a subject ("i", "he") that no question word
        comes before ("it has come open", but "will i have")."""
        rules = self.rules
        for pos in range(start - 1, first - 1, -1):
            if pos in covered:
                continue
            word = seq[pos]
            if word in rules.breaks:
                return False
            if self._cue_at(seq, pos, start, rules.asking, covered):
                return True
            if word in rules.openers and (pos == 0 or seq[pos - 1] in rules.breaks):
                return True
            if word in rules.subjects and (pos == 0 or seq[pos - 1] not in rules.inverting):
                return False
        return False

    def _cue_at(self, seq: list[str], pos: int, limit: int, cues: tuple[Phrase, ...],
                covered: set[int] | None = None) -> bool:
        """One of ``cues`` starts at ``pos`` and ends by ``limit``. A question word after a
        subject ("i can feel") or before "not" ("can not", "would not") does not count: those
        report."""
        rules = self.rules
        for cue in cues:
            end = pos + len(cue)
            if end > limit or tuple(seq[pos:end]) != cue or _negated(seq, end):
                continue
            if cue[0] in rules.inverting and pos > 0 and seq[pos - 1] in rules.subjects:
                continue
            if covered is None or not covered.intersection(range(pos, end)):
                return True
        return False


_ARTICLES = frozenset({"a", "an", "the", "some", "any"})


def _negated(seq: list[str], pos: int) -> bool:
    """A modal cue followed by "not" ("can not", "would not") reports rather than asks."""
    return pos < len(seq) and seq[pos] == "not"


def _contains(seq: list[str], cues: tuple[Phrase, ...]) -> bool:
    joined = f" {' '.join(seq)} "
    return any(f" {' '.join(cue)} " in joined for cue in cues)


def _phrase(text: str) -> Phrase:
    return tuple(singular(w) for w in words(text))


def parse_red_flags(path: str, doc: Any, problems: list[DataError]) -> RedFlagRules | None:
    """The ``red_flags`` section of an intents file; problems recorded as ``file:line``."""
    if doc is None:
        return None
    if not isinstance(doc, LocatedDict):
        problems.append(DataError(path, getattr(doc, "line", None), "'red_flags' must be a mapping"))
        return None
    for key in doc:
        if key not in _KEYS:
            problems.append(DataError(path, line_of(doc, key), f"unknown red_flags field '{key}'"))
    classes: dict[Phrase, set[str]] = {}
    raw_classes = doc.get("classes")
    if not isinstance(raw_classes, LocatedDict) or not raw_classes:
        problems.append(DataError(path, line_of(doc, "classes"), "'classes' must be a mapping of word lists"))
        raw_classes = LocatedDict()
    for name in raw_classes:
        for text in _texts(path, raw_classes, name, problems):
            phrase = _phrase(text)
            if phrase:
                classes.setdefault(phrase, set()).add(str(name))
    known = {str(n) for n in raw_classes}

    def class_sets(owner: Any, key: Any) -> tuple[tuple[str, ...], ...]:
        items = owner.get(key)
        if not isinstance(items, LocatedList) or not items:
            problems.append(DataError(path, line_of(owner, key), f"'{key}' must be a list of class lists"))
            return ()
        out = []
        for index, item in enumerate(items):
            names = [item] if isinstance(item, str) else item
            if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
                problems.append(DataError(path, line_of(items, index), "expected a list of class names"))
                continue
            unknown = [n for n in names if n not in known]
            if unknown:
                problems.append(DataError(path, line_of(items, index), f"unknown class '{unknown[0]}'"))
                continue
            out.append(tuple(names))
        return tuple(out)

    requests: list[tuple[str, tuple[tuple[str, ...], ...]]] = []
    raw_requests = doc.get("requests")
    if isinstance(raw_requests, LocatedDict):
        requests = [(str(intent), class_sets(raw_requests, intent)) for intent in raw_requests]
    elif raw_requests is not None:
        problems.append(DataError(path, line_of(doc, "requests"), "'requests' must map intents to class lists"))
    reports = doc.get("reports")
    report_intent: str = "safety.urgent"
    signs: tuple[tuple[str, ...], ...] = ()
    if isinstance(reports, LocatedDict) and isinstance(reports.get("intent"), str):
        report_intent, signs = reports["intent"], class_sets(reports, "signs")
    else:
        problems.append(DataError(path, line_of(doc, "reports"), "'reports' needs an 'intent' and 'signs'"))
    numbers = {}
    for key, default in (("window", 8), ("lookback", 6)):
        value = doc.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 30:
            problems.append(DataError(path, line_of(doc, key), f"'{key}' must be a whole number from 1 to 30"))
            value = default
        numbers[key] = value

    def phrases(key: str) -> tuple[Phrase, ...]:
        return tuple(p for p in (_phrase(t) for t in _texts(path, doc, key, problems)) if p)

    def single(key: str) -> frozenset[str]:
        found = phrases(key)
        if any(len(p) != 1 for p in found):
            problems.append(DataError(path, line_of(doc, key), f"'{key}' must list single words"))
        return frozenset(p[0] for p in found if len(p) == 1)

    return RedFlagRules(
        classes={p: frozenset(c) for p, c in classes.items()}, requests=tuple(requests),
        report_intent=report_intent, signs=signs, window=numbers["window"], lookback=numbers["lookback"],
        request_asking=phrases("request_asking"), asking=phrases("asking"), subjects=single("subjects"),
        openers=single("openers"), inverting=single("inverting"), breaks=single("breaks"),
        general=phrases("general"), now=phrases("now"))


_KEYS = ("classes", "requests", "reports", "window", "lookback", "request_asking", "asking", "subjects", "openers",
         "inverting", "breaks", "general", "now")


def _texts(path: str, doc: Any, key: Any, problems: list[DataError]) -> list[str]:
    items = doc.get(key)
    if not isinstance(items, LocatedList) or not items:
        problems.append(DataError(path, line_of(doc, key), f"'{key}' must be a non-empty list"))
        return []
    out = []
    for index, item in enumerate(items):
        if isinstance(item, int | float) and not isinstance(item, bool):
            item = str(item)  # "999" written bare
        if not isinstance(item, str) or not item.strip():
            problems.append(DataError(path, line_of(items, index), "expected non-empty text"))
        else:
            out.append(item)
    return out
