"""Template parsing and expansion."""

from __future__ import annotations

import re

import pytest

from voiceguide.errors import TemplateError
from voiceguide.templates import MAX_EXPANSIONS, expand, parse, refs


def sentences(template: str, **lists: list[str]) -> set[str]:
    parsed = {name: tuple(parse(v) for v in values) for name, values in lists.items()}
    return {" ".join(s) for s in expand(parse(template), parsed)}


def test_alternatives_and_optional_words() -> None:
    assert sentences("(what | which) are the [main] symptoms") == {
        "what are the symptoms", "what are the main symptoms",
        "which are the symptoms", "which are the main symptoms",
    }


def test_word_lists_expand_and_nest() -> None:
    got = sentences("is {op} safe", op=["[keyhole] {s}"], s=["surgery", "operation"])
    assert got == {"is surgery safe", "is keyhole surgery safe", "is operation safe",
                   "is keyhole operation safe"}


def test_words_are_lower_cased_and_refs_listed() -> None:
    tree = parse("What is {miss} (Today | [now])")
    assert refs(tree) == {"miss"}
    assert sentences("What IS it") == {"what is it"}


@pytest.mark.parametrize(("template", "message"), [
    ("what (is", "missing ')'"),
    ("what ] is", "unmatched ']'"),
    ("what is {miss", "{name}"),
    ("what is ()", "empty choice"),
    ("50% off", "not a word"),
    ("", "empty template"),
])
def test_bad_templates_say_what_is_wrong(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=re.escape(message)):
        parse(template)


def test_unknown_and_self_referring_lists_are_errors() -> None:
    with pytest.raises(TemplateError, match="unknown word list"):
        sentences("what is {nothing}")
    with pytest.raises(TemplateError, match="refers to itself"):
        sentences("a {x}", x=["b {x}"])


def test_runaway_expansion_is_refused() -> None:
    template = " ".join(["(a | b | c | d | e)"] * 8)  # 5**8 sentences
    assert MAX_EXPANSIONS < 5**8
    with pytest.raises(TemplateError, match="more than"):
        sentences(template)
