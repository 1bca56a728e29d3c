"""The shipped content: from the article only, written for the ear, safety texts apart."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from voiceguide.content import article_sentences, load_content
from voiceguide.data import shipped_dir
from voiceguide.errors import DataErrors
from voiceguide.guide import Guide

from .conftest import REPO

REQUIRED_TOPICS = {
    "what_is_miss", "spinal_infections", "compared_to_open", "less_muscle_damage",
    "lower_infection_risk", "shorter_hospital_stay", "how_it_is_done", "recovery",
    "candidates", "symptoms", "summary",
}


def sentences_of(article: str) -> list[str]:
    flat = " ".join(article.split())
    return [s for s in re.split(r"(?<=[.!?])\s+", flat) if s][1:]  # the first line is the title


def test_the_article_copy_is_the_shared_source() -> None:
    shared = REPO.parent / "shared" / "source" / "article.txt"
    assert (shipped_dir("content") / "article.txt").read_text() == shared.read_text()


def test_the_sentence_numbering_is_the_one_the_writers_cited(guide: Guide) -> None:
    listed = (REPO / "bench" / "writers" / "article-sentences.txt").read_text(encoding="utf-8")
    numbered = dict(re.findall(r"^(\d+)\. (.+)$", listed, flags=re.MULTILINE))
    ours = article_sentences(guide.content.source.article)
    assert {str(n): s for n, s in enumerate(ours, 1)} == numbered and len(ours) == 25


def test_every_article_sentence_has_an_answer_unit_that_quotes_it(guide: Guide) -> None:
    numbered = article_sentences(guide.content.source.article)
    cited = {n for u in guide.content.units for n in u.sentences}
    assert cited == set(range(1, len(numbered) + 1))
    for unit in guide.content.units:
        assert unit.passages and all(any(p in numbered[n - 1] for n in unit.sentences) for p in unit.passages)
        assert unit.topic in {t.id for t in guide.content.topics}
        assert not re.search(r"[()\[\]{}/&%#*=+<>|]|\d", unit.text), unit.id
        assert not re.search(r"\b(weeks?|days?|months?|hours?|percent)\b", unit.text), unit.id
        for sentence in re.split(r"(?<=[.?!])\s+", unit.text):
            assert len(sentence.split()) <= 25, (unit.id, sentence)


def test_every_required_topic_is_there_in_reading_order(guide: Guide) -> None:
    ids = [t.id for t in guide.content.topics]
    assert set(ids) >= REQUIRED_TOPICS
    assert [t.number for t in guide.content.topics] == list(range(1, len(ids) + 1))
    assert ids[0] == "what_is_miss" and ids[-1] == "summary"


def test_every_article_sentence_is_behind_some_topic(guide: Guide) -> None:
    cited = " ".join(p for t in guide.content.topics for p in t.passages)
    missing = [s for s in sentences_of(guide.content.source.article) if s not in cited]
    assert missing == []


def test_topics_are_written_for_the_ear_without_figures(guide: Guide) -> None:
    for topic in guide.content.topics:
        for text in (topic.title, topic.short, topic.detail):
            assert not re.search(r"[()\[\]{}/&%#*=+<>|]", text), (topic.id, text)
            assert not re.search(r"\d", text), (topic.id, text)
            assert not re.search(r"\b(weeks?|days?|months?|hours?|percent)\b", text), (topic.id, text)
        # Short sentences: nothing a listener must hold in mind for long.
        for sentence in re.split(r"(?<=[.?!])\s+", topic.detail):
            assert len(sentence.split()) <= 25, (topic.id, sentence)
        assert 1 <= len(re.findall(r"[.?!](\s|$)", topic.short)) <= 3


def test_miss_is_spelled_out_before_the_abbreviation(guide: Guide) -> None:
    spoken = " ".join(f"{t.short} {t.detail}" for t in guide.content.topics)
    first_abbreviation = spoken.find("MISS")
    assert spoken.lower().find("minimally invasive spine surgery") < first_abbreviation


def test_safety_texts_are_labelled_as_the_guides_own(guide: Guide) -> None:
    urgent = guide.content.urgent
    assert "VoiceGuide" in urgent.label and "VoiceGuide" in guide.content.disclaimer.label
    assert "not from the article" in urgent.label and urgent.spoken.startswith(urgent.label)
    assert "not medical advice" in guide.content.disclaimer.text
    assert "not medical advice" in guide.content.short_disclaimer.text
    assert len(guide.content.short_disclaimer.text.split()) <= 12
    article_words = set(guide.content.source.article.lower().split())
    assert "emergency" not in article_words  # the urgent text is not presented as article fact


URGENT_SIGNS = [  # public guidance: the NHS on cauda equina syndrome and on sepsis after surgery
    ("difficulty passing urine", "bladder or bowels"), ("numbness around your bottom or genitals",),
    ("weakness or numbness in your legs",), ("high temperature with back pain",),
    ("wound that is hot, red or leaking", "fever"),
]


def test_the_urgent_message_gives_one_sign_a_sentence_then_what_to_do(guide: Guide) -> None:
    sentences = [s.lower() for s in re.split(r"(?<=[.?!])\s+", guide.content.urgent.text)]
    for parts in URGENT_SIGNS:
        holding = [s for s in sentences if all(p in s for p in parts)]
        assert len(holding) == 1, parts
        others = [p for other in URGENT_SIGNS if other != parts for p in other[:1]]
        assert not any(p in holding[0] for p in others), holding[0]  # one sign a sentence
    action = next(i for i, s in enumerate(sentences) if "emergency number" in s)
    assert "emergency department" in sentences[action] and "now" in sentences[action]
    assert action > max(i for i, s in enumerate(sentences) for parts in URGENT_SIGNS if parts[0] in s)
    assert all(len(s.split()) <= 14 for s in sentences)  # short, for the ear


def test_source_names_the_article_and_the_date(guide: Guide) -> None:
    source = guide.content.source
    assert source.title.startswith("Minimally Invasive Spine Surgery for Spinal Infections")
    assert source.checked.year >= 2026


BROKEN = [
    ("topics.yaml", "        spinal infections, offering patients a less traumatic option with quicker recovery times.",
     "        spinal infections, offering patients a painless option.", "passage is not in the article"),
    ("topics.yaml", "Patients are usually advised to join a rehabilitation programme.",
     "Patients rest for six weeks.", "states a figure the article does not: 'six'"),
    ("topics.yaml", "Shorter hospital stays are common with", "Shorter hospital stays (usually) are common with",
     "symbol that cannot be spoken"),
    ("topics.yaml", "  - id: summary", "  - id: recovery", "duplicate topic id 'recovery'"),
    ("safety.yaml", "  label: Disclaimer, from VoiceGuide", "  label: Disclaimer", "must name VoiceGuide"),
    ("safety.yaml", "    General information from one article, not medical advice.",
     "    General information from one article, not medical advice, so please ask your care team.",
     "the short disclaimer must be at most 12 words"),
    ("replies.yaml", "goodbye: \"Goodbye. Take care.\"", "goodbye: \"\"", "'goodbye' must be non-empty text"),
    ("replies.yaml", "goodbye: \"Goodbye. Take care.\"", "goodbye: \"Bye\"\nfarewell: \"Bye\"",
     "unknown reply 'farewell'"),
    ("topics.yaml", "  checked: 2026-11-27", "  checked: last tuesday", "'checked' must be a date"),
    ("topics.yaml", "    lead: aftercare", "    lead: nowhere", "leads with unknown unit 'nowhere'"),
    ("facts.yaml", "      - Post-operative care is crucial after undergoing minimally invasive spine surgery.",
     "      - Post-operative care is optional.", "passage is not in the article sentences the unit cites"),
    ("facts.yaml", "    sentences: [16]\n", "    sentences: [16, 17]\n",
     "sentence 17 is cited but no passage quotes it"),
    ("facts.yaml", "    sentences: [16]\n", "    sentences: [26]\n",
     "'sentences' must list article sentence numbers"),
    ("facts.yaml", "      Care after the operation is crucial, even after",
     "      Care for six weeks is crucial, even after", "states a figure the article does not: 'six'"),
    ("facts.yaml",
     "    passages:\n      - Post-operative care is crucial after undergoing minimally invasive spine surgery.\n",
     "    passages: []\n", "the unit cites no passage"),
]


@pytest.mark.parametrize(("name", "old", "new", "message"), BROKEN)
def test_broken_content_is_reported_with_file_and_line(
    data_copy: tuple[Path, Path], name: str, old: str, new: str, message: str
) -> None:
    content, _ = data_copy
    path = content / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(DataErrors) as caught:
        load_content(content)
    line = text[: text.index(old)].count("\n") + 1
    found = [str(e) for e in caught.value.errors]
    assert any(e.startswith(f"{path}:") and message in e for e in found), found
    # The line of the key or list item that holds the changed text.
    assert any(any(e.startswith(f"{path}:{n}:") for n in range(line - 3, line + 2)) for e in found), found
