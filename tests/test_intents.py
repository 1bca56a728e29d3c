"""Loading intents from YAML: typed fields, and every data mistake reported as file:line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from voiceguide.errors import DataError, DataErrors
from voiceguide.intents import load_intents
from voiceguide.yamlfile import load_yaml


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def errors_of(folder: Path, topics: tuple[str, ...] = ("recovery",)) -> list[str]:
    with pytest.raises(DataErrors) as caught:
        load_intents(folder, topics)
    return [str(e) for e in caught.value.errors]


GOOD = """\
words:
  op: [surgery, operation]
intents:
  topic.recovery:
    topic: recovery
    sentences:
      - how long is recovery [after {op}]
  control.repeat:
    sentences: [repeat, say that again]
  out_of_scope.costs:
    subject: costs
    sentences: [how much does it cost]
language:
  synonyms:
    recovery: [recuperation, getting better]
  stopwords: [the, a]
  figure_cues: [how (long | many)]
"""


def test_intents_load_into_typed_fields(tmp_path: Path) -> None:
    write(tmp_path, "all.yaml", GOOD)
    loaded = load_intents(tmp_path, ["recovery"])
    recovery = loaded.get("topic.recovery")
    assert recovery.kind == "topic" and recovery.topic == "recovery" and recovery.subject is None
    assert set(recovery.sentences) == {
        ("how", "long", "is", "recovery"),
        ("how", "long", "is", "recovery", "after", "surgery"),
        ("how", "long", "is", "recovery", "after", "operation"),
    }
    assert loaded.get("out_of_scope.costs").subject == "costs"
    assert loaded.get("control.repeat").sentences == (("repeat",), ("say", "that", "again"))
    language = loaded.language
    assert language.synonyms[("getting", "better")] == "recovery"
    assert language.stopwords == {"the", "a"}
    assert language.figure_cues == (("how", "long"), ("how", "many"))


def test_intents_can_span_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "words:\n  op: [surgery]\n")
    write(tmp_path, "b.yaml", "intents:\n  topic.recovery:\n    topic: recovery\n    sentences: [\"after {op}\"]\n")
    assert load_intents(tmp_path, ["recovery"]).get("topic.recovery").sentences == (("after", "surgery"),)


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "intents:\n  control.stop:\n    sentences: [stop\n")
    (error,) = errors_of(tmp_path, topics=())
    assert error.startswith(f"{path}:") and "invalid YAML" in error


def test_a_sentence_in_two_intents_is_reported_where_it_repeats(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    path = write(tmp_path, "b.yaml", "intents:\n  control.again:\n    sentences:\n      - say that again\n")
    errors = errors_of(tmp_path)
    assert f"{path}:4: 'say that again' expands into two intents: 'control.repeat' and 'control.again'" \
        in errors


def test_duplicate_intent_across_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    second = write(tmp_path, "b.yaml", "intents:\n  control.repeat:\n    sentences: [again]\n")
    assert f"{second}:2: duplicate intent 'control.repeat'" in errors_of(tmp_path)


def test_duplicate_key_in_one_file(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "intents:\n  control.stop:\n    sentences: [stop]\n"
                 "  control.stop:\n    sentences: [halt]\n")
    assert errors_of(tmp_path, topics=()) == [f"{path}:4: duplicate key 'control.stop'"]


def test_a_key_written_over_a_merged_one_is_no_duplicate(tmp_path: Path) -> None:
    # YAML's merge: the mapping's own key overrides the one merged in ("<<: *common", then "sentences")
    path = write(tmp_path, "a.yaml", "common: &common\n  sentences: [stop]\nintents:\n  control.stop:\n"
                 "    <<: *common\n    sentences: [stop, halt]\n")
    assert list(load_yaml(path)["intents"]["control.stop"]["sentences"]) == ["stop", "halt"]
    twice = write(tmp_path, "b.yaml", "x:\n  <<: {a: 1}\n  b: 1\n  b: 2\n")
    with pytest.raises(DataError, match=r":4: duplicate key 'b'"):
        load_yaml(twice)
    # a merged mapping that merges in turn, then named again by its alias (a review's case)
    nested = write(tmp_path, "c.yaml", "top:\n  <<: &mid\n    <<: {x: 1}\n    x: 2\nother: *mid\n")
    assert load_yaml(nested)["other"] == {"x": 2}


@pytest.mark.parametrize(("body", "message"), [
    ("intents:\n  topic.x:\n    topic: nowhere\n    sentences: [x]\n", "names unknown topic 'nowhere'"),
    ("intents:\n  control.x:\n    sentences: [\"what is {nothing}\"]\n", "unknown word list '{nothing}'"),
    ("intents:\n  control.x:\n    sentences: []\n", "'sentences' must be a non-empty list"),
    ("intents:\n  control.x:\n    sentences: [what (is]\n", "missing ')'"),
    ("intents:\n  stop:\n    sentences: [stop]\n", "must start with one of"),
    ("intents:\n  out_of_scope.x:\n    sentences: [weather]\n", "needs a 'subject'"),
    ("intents:\n  control.x:\n    sentence: [x]\n", "unknown field 'sentence'"),
    ("extras: 1\n", "unknown section 'extras'"),
    ("- just a list\n", "expected a mapping"),
])
def test_data_mistakes_are_reported_with_file_and_line(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path, "x.yaml", body)
    write(tmp_path, "ok.yaml", "intents:\n  topic.recovery:\n    topic: recovery\n    sentences: [recovery]\n")
    errors = errors_of(tmp_path)
    assert any(e.startswith(f"{path}:") and message in e for e in errors), errors


def test_a_topic_without_an_intent_cannot_be_reached(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    assert any("topic 'symptoms' has no intent" in e for e in errors_of(tmp_path, ("recovery", "symptoms")))


def test_no_intent_files_is_an_error(tmp_path: Path) -> None:
    assert any("no intent files" in e for e in errors_of(tmp_path))


def test_yaml_tags_are_not_constructed(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "intents: !!python/object/apply:os.system ['true']\n")
    assert any("invalid YAML" in e for e in errors_of(tmp_path))


def test_check_fails_on_an_article_sentence_that_nothing_reaches(data_copy: tuple[Path, Path]) -> None:
    from voiceguide.guide import load_guide
    content, intents = data_copy
    path = intents / "facts.yaml"
    text = path.read_text()
    start = text.index("  fact.informed_decisions:")
    path.write_text(text[:start] + text[text.index("  fact.infection_kinds:"):])
    with pytest.raises(DataErrors) as caught:
        load_guide(content, intents)
    assert f"{intents}: article sentence 2 is reachable by no template: " \
        "no fact or topic intent leads with a unit that cites it" in [str(e) for e in caught.value.errors]


def test_a_fact_intent_names_a_known_unit(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "intents:\n  fact.x:\n    unit: nowhere\n    sentences: [x]\n")
    with pytest.raises(DataErrors) as caught:
        load_intents(tmp_path, [], ["rehabilitation"])
    assert f"{path}:3: intent 'fact.x' names unknown unit 'nowhere'" in [str(e) for e in caught.value.errors]


def test_fillers_tags_and_interjections_load(tmp_path: Path) -> None:
    write(tmp_path, "all.yaml", GOOD + "  fillers: [kinda, even]\n  tags: [\"yes\", right]\n"
          "  interjections: [wait, hang on]\n")
    language = load_intents(tmp_path, ["recovery"]).language
    assert language.fillers == {"kinda", "even"} and language.tags == {"yes", "right"}
    assert language.interjections == (("hang", "on"), ("wait",))  # the longest first


@pytest.mark.parametrize(("key", "value", "message"), [
    ("fillers", "[kind of]", "'fillers' must list single words"),
    ("tags", "[isn't it]", "'tags' must list single words"),
    ("fillers", "[]", "'fillers' must be a non-empty list"),
    ("interjections", "[wait, 3.5, hang on]", "expected non-empty text"),
])
def test_bad_fillers_tags_and_interjections_name_file_and_line(
        tmp_path: Path, key: str, value: str, message: str) -> None:
    path = write(tmp_path, "all.yaml", GOOD + f"  {key}: {value}\n")
    line = GOOD.count("\n") + 1
    found = errors_of(tmp_path)
    assert any(e.startswith(f"{path}:{line}:") and message in e for e in found), found


def test_dialect_forms_and_negations_load_and_bad_ones_are_named(tmp_path: Path) -> None:
    write(tmp_path, "all.yaml", GOOD + """\
  spoken: {whit: what, haffi: have to, wi fi: wifi, bout: about}
  negations: ["(can | will) [i] no", "no so"]
  unnegated: [problem]
  homographs: [bout]
  determiners: [a, the]
""")
    language = load_intents(tmp_path, ["recovery"]).language
    assert language.spoken == {"whit": "what", "haffi": "have to", "wi fi": "wifi", "bout": "about"}
    assert set(language.negations) == {("can", "i", "no"), ("will", "i", "no"), ("can", "no"), ("will", "no"),
                                       ("no", "so")}
    assert language.unnegated == {"problem"} and language.homographs == {"bout"}
    assert language.determiners == {"a", "the"}
    bad = tmp_path / "bad"
    path = write(bad, "x.yaml", "language:\n  spoken:\n    the noo then: now\n    aff: off\n"
                 "  negations: [can i not]\n  homographs: [ken]\n")
    write(bad, "ok.yaml", "intents:\n  topic.recovery:\n    topic: recovery\n    sentences: [recovery]\n")
    errors = errors_of(bad)
    # three words are no one word (two may be said as one: "wi fi"); unquoted 'off' is YAML's false
    assert f"{path}:3: 'spoken' maps one word (or two said as one) to its standard words: 'the noo then'" in errors
    assert f"{path}:4: 'spoken' maps one word (or two said as one) to its standard words: 'aff'" in errors
    assert f"{path}:5: a negation must hold 'no': 'can i not'" in errors
    assert "'homographs' names 'ken', which 'spoken' does not" in " ".join(errors)


def test_a_dialect_form_a_template_uses_is_named(tmp_path: Path) -> None:
    # questions are read in standard words, templates as written: "ken" could never be asked as "ken"
    write(tmp_path, "all.yaml", GOOD.replace("[repeat, say that again]", "[repeat, say that again, ken]")
          + "  spoken: {ken: know}\n")
    assert "'ken' is a dialect form in 'spoken', but a sentence of 'control.repeat' uses it: " \
           "a question could never say it so" in " ".join(errors_of(tmp_path))


def test_a_synonym_the_dialect_table_reads_as_other_words_is_named(tmp_path: Path) -> None:
    # "wi fi" is read "wifi", "aye" is read "yes": a synonym written so could never be said as written
    write(tmp_path, "all.yaml", GOOD.replace("  synonyms:\n", "  synonyms:\n    agree: [aye]\n")
          + "  spoken: {aye: \"yes\"}\n")
    assert "'aye', a synonym of 'agree', is read as other words by 'spoken': a question could never say it so" \
           in " ".join(errors_of(tmp_path))
