"""Word forms: the other forms of the verbs in a word list, so that lists need name one.

A lexicon written by hand lists the forms its writers used ("heal", "healed") and
misses the rest ("heals", "healing"); people use them all. LemmInflect (MIT; its
tables, from the NIH SPECIALIST lexicon, ship inside the wheel) gives every form of
an English verb, regular or not ("give": gives, giving, gave, given). It is used
only while the understanding is built, never per question, so a typed question
costs nothing more: the forms become more keys of the same phrase tables.

Only verbs are inflected: nouns' plurals are folded already (normalize.singular),
and an adjective's comparative can be another word ("numb", "number").
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from itertools import product
from typing import TypeVar

Meaning = TypeVar("Meaning")

FUNCTION_WORDS = frozenset({
    "a", "an", "the", "this", "that", "these", "those", "some", "any", "no", "not", "nor", "and", "or", "but",
    "if", "so", "as", "at", "by", "for", "from", "in", "into", "of", "off", "on", "onto", "out", "over", "to",
    "up", "down", "with", "without", "about", "than", "then", "there", "here", "i", "me", "my", "mine", "you",
    "your", "he", "him", "his", "she", "her", "it", "its", "we", "us", "our", "they", "them", "their", "who",
    "what", "when", "where", "which", "why", "how", "be", "am", "is", "are", "was", "were", "been", "being",
    "have", "has", "had", "do", "does", "did", "done", "can", "could", "will", "would", "shall", "should",
    "may", "might", "must", "get", "got", "go", "going", "gone", "went", "let", "ought",
})
"""Words never inflected: the auxiliaries and small words that the rules read as
structure ("can not", "will i"); their forms are other words ("can", "cans")."""

MAX_VARIANTS = 48
"""A phrase with many verbs yields at most this many variants; past it, one verb
at a time is varied, so a long phrase cannot multiply the tables."""


@functools.lru_cache(maxsize=1 << 14)
def verb_forms(word: str) -> frozenset[str]:
    """Every form of the verb ``word`` is a form of, itself included ("pissed": piss,
    pisses, pissing); just the word when it is no verb. A word that is a verb's base
    form is inflected as itself ("wound": wounded, not "wind"); a form that is also a
    noun of its own is left alone ("cupping" is a therapy, "cup" is not)."""
    from lemminflect import getAllInflections, getAllLemmas

    if word in FUNCTION_WORDS or not word.isalpha():
        return frozenset((word,))
    lemmas = getAllLemmas(word, upos="VERB").get("VERB", ())
    if word in lemmas:
        lemmas = (word,)
    elif word in getAllLemmas(word, upos="NOUN").get("NOUN", ()):
        return frozenset((word,))  # a noun in its own right ("cupping", "fasting"), not the verb's form
    forms = {word}
    for lemma in lemmas:
        for found in getAllInflections(lemma, upos="VERB").values():
            forms.update(f for f in found if f.isalpha())
    return frozenset(forms)


def phrase_variants(phrase: tuple[str, ...], fixed: Iterable[str] = ()) -> Iterator[tuple[str, ...]]:
    """The phrase with its verbs in their other forms ("gave way": give way, gives way,
    giving way, given way), the phrase itself left out. Words in ``fixed`` keep
    their form."""
    keep = frozenset(fixed)
    options = [(w,) if w in keep else tuple(sorted(verb_forms(w))) for w in phrase]
    total = 1
    for forms in options:
        total *= len(forms)
    if total <= MAX_VARIANTS:
        for variant in product(*options):
            if variant != phrase:
                yield variant
        return
    for pos, forms in enumerate(options):
        for form in forms:
            if form != phrase[pos]:
                yield (*phrase[:pos], form, *phrase[pos + 1 :])


def with_variants(table: dict[tuple[str, ...], Meaning], fixed: Iterable[str] = (),
                  taken: Iterable[str] = (), fold: Callable[[str], str] = str) -> dict[tuple[str, ...], Meaning]:
    """``table`` (phrase -> meaning) with every phrase's verb forms added. A phrase
    written by hand always keeps its own meaning; a form that two meanings would claim
    is left out, as ambiguous; so is a variant that brings in a word of ``taken``,
    words already used with a meaning of their own ("fasting" is diet, but "fast" is
    speed). ``fold`` is how the table's user folds words (plurals onto singulars), so
    that a variant is checked and keyed as it will be looked up."""
    keep = frozenset(fixed)
    used = frozenset(taken)
    claimed: dict[tuple[str, ...], set[Meaning]] = {}
    for phrase, meaning in table.items():
        for variant in sorted({tuple(fold(w) for w in v) for v in phrase_variants(phrase, keep)}):
            if variant not in table and not any(w in used and w not in phrase for w in variant):
                claimed.setdefault(variant, set()).add(meaning)
    out = dict(table)
    out.update((variant, next(iter(meanings))) for variant, meanings in claimed.items() if len(meanings) == 1)
    return out
