"""Turning what people type or say into comparable words.

Two levels: :func:`words` gives the plain word sequence used for exact
matching (lower case, contractions expanded, punctuation gone), and
:func:`stem` folds the common English endings for tolerant matching.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable, Mapping

_CONTRACTIONS = {
    "can't": "can not", "cannot": "can not", "cant": "can not", "won't": "will not",
    "wont": "will not", "shan't": "shall not", "let's": "let us", "lets": "let us",
    "i'm": "i am", "im": "i am", "ive": "i have", "whats": "what is", "thats": "that is",
    "theres": "there is", "hows": "how is", "wheres": "where is", "whos": "who is",
    "dont": "do not", "doesnt": "does not", "didnt": "did not", "isnt": "is not",
    "arent": "are not", "wasnt": "was not", "couldnt": "could not", "wouldnt": "would not",
    "shouldnt": "should not", "havent": "have not", "hasnt": "has not", "youre": "you are",
    "gonna": "going to", "wanna": "want to", "gotta": "got to", "y'all": "you",
    # Scots negatives, as a transcriber types them ("I cannae feel my legs", "he disnae know"). Kept here,
    # not with the other dialect forms (language.yaml's `spoken`), because the red-flag detector reads
    # the words as this module gives them and must hear "I cannae feel my legs" as "can not".
    "cannae": "can not", "canna": "can not", "dinnae": "do not", "dinna": "do not", "disnae": "does not",
    "doesnae": "does not", "didnae": "did not", "isnae": "is not", "wasnae": "was not", "wisnae": "was not",
    "hadnae": "had not", "wernae": "were not", "wurnae": "were not",
    "wouldnae": "would not", "widnae": "would not", "couldnae": "could not", "cudnae": "could not",
    "shouldnae": "should not", "willnae": "will not", "winnae": "will not", "havenae": "have not",
    "havnae": "have not", "hivnae": "have not", "huvnae": "have not", "hasnae": "has not",
    "arenae": "are not", "werenae": "were not", "mustnae": "must not", "gonnae": "going to",
    # and Caribbean English's ("I cyaan feel my legs")
    "cyaan": "can not", "kyaan": "can not",
}
_SUFFIXES = (("n't", " not"), ("'re", " are"), ("'ll", " will"), ("'ve", " have"),
             ("'m", " am"), ("'d", " would"))
# Past participles that no "would" can stand before, so that "'d" before them is "had".
_PARTICIPLES = frozenset({"been", "gone", "done", "seen", "lost", "felt", "passed", "taken", "given", "fallen",
                          "noticed", "had", "got", "eaten", "forgotten", "slept", "woken", "started", "stopped",
                          "tried", "peed", "weed"})
_IS_WORDS = {"it", "that", "what", "there", "here", "where", "who", "how", "he", "she", "this"}
_NON_WORD = re.compile(r"[^a-z0-9' ]+")
# A word broken off and then said in full, as a typed stutter writes it ("help me d- decide",
# "the op- operation"): the fragment says nothing, and left in it splits a phrase.
_BROKEN_OFF = re.compile(r"\b([a-z]+)-\s+(?=\1)")


def words(text: str, spoken: Mapping[str, str] | None = None) -> list[str]:
    """Lower-case words with contractions expanded and punctuation removed; ``spoken`` maps a
    dialect form (one word, or two said as one: "wi fi") to its standard words ("whit": "what"),
    read before a contraction is expanded, so that "whit's" is "what is"."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    tokens = [(raw, "-" in chunk) for chunk in _BROKEN_OFF.sub("", text).split()
              for raw in _NON_WORD.sub(" ", chunk.replace("-", " ")).split()]
    out: list[str] = []
    index = 0
    while index < len(tokens):
        raw, hyphenated = tokens[index]
        bare = raw.strip("'")
        pair = f"{bare} {tokens[index + 1][0].strip(chr(39))}" if index + 1 < len(tokens) else ""
        respelt = _respelt(bare, spoken) if spoken and not hyphenated else bare  # part of "wi-fi" is no word
        if spoken and pair in spoken:  # two words said as one ("wi fi" is no "with for")
            raw = spoken[pair]
            index += 1
        elif respelt != bare:
            raw = respelt
        elif raw.endswith("in'") and not raw.startswith("'") and len(raw) > 4:
            raw = raw[:-1] + "g"  # a dropped g, as typed ("somethin'"), but never a quoted word ("'begin'")
        out.extend(w for part in raw.split() for w in _expand(part.strip("'")))
        if raw.endswith("'d") and index + 1 < len(tokens) and tokens[index + 1][0] in _PARTICIPLES:
            out[-1] = "had"  # "I'd been" is "I had been": "would been" is no English
        index += 1
    return [w for w in out if w]


def unclipped(word: str, known: Collection[str], endings: Iterable[tuple[str, str]] = (("in", "ing"),),
              kept: Collection[str] = (), longer_than: int = 0) -> str:
    """``word`` with an ending dropped in speech put back ("knowin": knowing), when only its full form
    is ``known``: a known word stays as it is ("pin"), as does one of ``kept`` ("thin"), and a word
    of ``longer_than`` letters or fewer (a stem that short is rarely a word clipped)."""
    if word in known or word in kept or len(word) <= longer_than:
        return word
    for clipped, full in endings:
        if word.endswith(clipped) and len(word) > len(clipped) + 1:
            restored = word[: -len(clipped)] + full
            if restored in known:
                return restored
    return word


_ENDINGS = frozenset({"s", "re", "ll", "ve", "m", "d", "t"})
"""What may follow an apostrophe in a contraction ("ye're", "whit's"), and so be kept after a dialect
form; "o'clock" is no "of" and an ending."""


def _respelt(word: str, spoken: Mapping[str, str]) -> str:
    """``word`` in its standard spelling, a contraction's ending after an apostrophe kept
    ("ye're": "you're")."""
    if word in spoken:
        return spoken[word]
    head, mark, tail = word.partition("'")
    if mark and head in spoken and tail in _ENDINGS:
        return f"{spoken[head]}'{tail}"
    return word


# Memoised: building the understanding normalises about 50,000 template sentences made of a few
# thousand distinct words; this halves the build (cache.py rebuilds it when the data changes).
@functools.lru_cache(maxsize=1 << 16)
def _expand(word: str) -> tuple[str, ...]:
    if word in _CONTRACTIONS:
        return tuple(_CONTRACTIONS[word].split())
    for suffix, full in _SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix):
            head = word[: -len(suffix)]
            if suffix == "n't":
                head = {"wo": "will", "ca": "can", "sha": "shall"}.get(head, head)
            return (head, *full.split())
    if word.endswith("'s"):
        head = word[:-2]
        return (head, "is") if head in _IS_WORDS else (head,)
    return (word.replace("'", ""),)


@functools.lru_cache(maxsize=1 << 16)
def singular(word: str) -> str:
    """Folds an English plural onto its singular ("infections" -> "infection")."""
    if len(word) <= 3:
        return word
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ches", "ch"), ("shes", "sh"), ("xes", "x")):
        if word.endswith(suffix):
            return word[: -len(suffix)] + repl
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ous")):
        return word[:-1]
    return word


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A light stemmer: folds plurals and -ing/-ed/-ly so that near forms meet."""
    word = singular(word)
    if len(word) <= 3:
        return word
    for suffix in ("ingly", "ing", "edly", "ed", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            base = word[: -len(suffix)]
            if len(base) > 2 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]
            return base
    return word
