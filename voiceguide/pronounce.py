"""Pronunciation for the ear: spoken forms of the words the synthesisers misread.

Loaded from ``content/pronunciations.yaml``. :meth:`Lexicon.apply` turns text
into what a synthesiser is given, in the form that voice takes: a respelling
for Piper ("MISS" becomes "em eye ess ess"), espeak-ng's own phonemes for
espeak-ng. Only speech uses it, never the printed text or the captions. A
word in capitals in the content needs an entry, or it is read as a word
("MISS" as "miss").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import DataError
from .yamlfile import LocatedDict, line_of, load_yaml

_CAPITALS = re.compile(r"\b[A-Z]{2,}\b")


@dataclass(frozen=True)
class Pronunciation:
    """One word and how to say it."""

    word: str
    """As written in the content. In capitals it matches only in capitals ("MISS", not "miss");
    otherwise in any case ("Discitis", "discitis")."""
    say: str
    """The spoken form (a respelling) given in its place to Piper, and to any voice that takes no phonemes."""
    espeak: str
    """The phonemes espeak-ng is given in its place (its phoneme input, ``[[...]]``), in the ASCII
    phoneme names ``espeak-ng -q -x -v en-us`` prints, which print them back unchanged."""
    piper: str
    """The phonemes (IPA) Piper's phonemizer gives for ``say`` with the en-us voice."""

    @property
    def pattern(self) -> re.Pattern[str]:
        """Where the word occurs in a text, as a whole word."""
        flags = 0 if self.word.isupper() else re.IGNORECASE
        return re.compile(rf"\b{re.escape(self.word)}\b", flags)


@dataclass(frozen=True)
class Lexicon:
    """Every pronunciation, in the order given."""

    entries: tuple[Pronunciation, ...] = ()

    def apply(self, text: str, form: Callable[[Pronunciation], str] | None = None) -> str:
        """``text`` with each word replaced by its ``form`` (the respelling, ``say``, unless told)."""
        for entry in self.entries:
            text = entry.pattern.sub(_as_written(form(entry) if form else entry.say), text)
        return text

    def unspoken_capitals(self, text: str) -> list[str]:
        """Words in capitals in ``text`` that have no spoken form, so would be read as words."""
        known = {e.word for e in self.entries if e.word.isupper()}
        return sorted({w for w in _CAPITALS.findall(text) if w not in known})


def _as_written(spoken: str) -> Callable[[re.Match[str]], str]:
    """A replacement that is ``spoken`` as it stands (re.sub reads backslashes in a replacement string)."""
    return lambda _match: spoken


def load_lexicon(path: Path, problems: list[DataError]) -> Lexicon:
    """The pronunciations in ``path``; problems recorded as ``file:line``."""
    try:
        doc = load_yaml(path)
    except DataError as exc:
        problems.append(exc)
        return Lexicon()
    section = doc.get("pronunciations") if isinstance(doc, LocatedDict) else None
    if not isinstance(section, LocatedDict):
        problems.append(DataError(str(path), getattr(doc, "line", 1), "expected a 'pronunciations' mapping"))
        return Lexicon()
    entries = []
    for word in section:
        entry = _entry(str(path), section, word, problems)
        if entry is not None:
            entries.append(entry)
    return Lexicon(tuple(entries))


def _entry(path: str, section: LocatedDict, word: Any, problems: list[DataError]) -> Pronunciation | None:
    body = section[word]
    line = line_of(section, word)
    if not isinstance(word, str) or not re.fullmatch(r"[A-Za-z]+", word):
        problems.append(DataError(path, line, f"'{word}' must be one word of letters"))
        return None
    if not isinstance(body, LocatedDict):
        problems.append(DataError(path, line, f"'{word}' needs say, espeak and piper"))
        return None
    fields = {}
    for key in ("say", "espeak", "piper"):
        value = body.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(DataError(path, line_of(body, key) if key in body else line,
                                      f"'{word}' needs '{key}' as text"))
            return None
        fields[key] = value.strip()
    if re.search(r"[\[\]]", fields["espeak"]):
        # espeak-ng is given them inside [[ ]]: a bracket would end its phoneme input early
        problems.append(DataError(path, line_of(body, "espeak"), f"the espeak-ng phonemes of '{word}' have a bracket"))
        return None
    if _CAPITALS.search(fields["say"]):
        problems.append(DataError(path, line_of(body, "say"), f"the spoken form of '{word}' has a word in capitals"))
        return None
    return Pronunciation(word, **fields)
