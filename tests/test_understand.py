"""Understanding typed text: exact templates first, then tolerant matching."""

from __future__ import annotations

import pytest

from voiceguide.guide import Guide


def intent_of(guide: Guide, text: str) -> str | None:
    got = guide.understander.understand(text)
    return got.intent.name if got.understood and got.intent else None


def test_every_template_sentence_matches_its_own_intent(guide: Guide) -> None:
    wrong = []
    for intent in guide.intents.intents:
        for sentence in intent.sentences:
            got = guide.understander.understand(" ".join(sentence))
            if got.intent is not intent or got.confidence != 1.0:
                wrong.append((" ".join(sentence), intent.name, got.intent and got.intent.name))
    assert wrong == []


def test_every_topic_is_reachable(guide: Guide) -> None:
    reachable = {i.topic for i in guide.intents.intents if i.topic}
    assert reachable == {t.id for t in guide.content.topics}


@pytest.mark.parametrize(("text", "expected"), [
    # word order, filler words, punctuation and case
    ("Recovery, how long is it?", "topic.recovery"),
    ("um so like what are the symptoms then", "topic.symptoms"),
    # plurals and contractions
    ("what's the risk of infections after the operations", "topic.lower_infection_risk"),
    ("I can't hear you", "control.louder"),
    # synonyms and lay words
    ("is keyhole back surgery better than the normal op", "topic.compared_to_open"),
    ("what does the physio involve afterwards", "topic.recovery"),
    ("do they put metalwork in", "topic.how_it_is_done"),
    # a misheard or misspelt word
    ("what is osteomylitis", "topic.spinal_infections"),
    ("what is debridment", "topic.how_it_is_done"),
])
def test_near_misses_and_paraphrases(guide: Guide, text: str, expected: str) -> None:
    assert intent_of(guide, text) == expected


@pytest.mark.parametrize("text", [
    "what's the weather going to be",
    "play some jazz",
    "which painkillers should I take after the operation",
    "how much will the operation cost",
    "will I be put to sleep",
    "when can I drive after surgery",
    "is it good for arthritis",
    "the cat sat on the mat",
    "",
    "???",
])
def test_out_of_scope_is_never_answered_with_guide_content(guide: Guide, text: str) -> None:
    got = guide.understander.understand(text)
    assert not got.understood
    assert got.intent is None or got.intent.kind not in ("topic", "info")  or got.confidence < 0.6


@pytest.mark.parametrize(("text", "subject"), [
    ("which antibiotics will they give me", "medicines"),
    # The rest of the question is about a topic; the subject still is not.
    ("how much does rehab cost", "costs or payment"),
    ("will the painkillers slow my recovery", "medicines"),
    ("is the operation the same for sciatica", "other conditions"),
])
def test_near_topic_subjects_are_recognised_as_out_of_scope(guide: Guide, text: str, subject: str) -> None:
    got = guide.understander.understand(text)
    assert got.out_of_scope and got.intent is not None and got.intent.subject == subject


@pytest.mark.parametrize("text", [
    "my legs have gone numb",
    "I can't control my bladder",
    "I have a high fever and severe back pain",
    "I've suddenly lost the feeling in my legs",
])
def test_red_flags_reported_now_are_urgent(guide: Guide, text: str) -> None:
    assert intent_of(guide, text) == "safety.urgent"


@pytest.mark.parametrize("text", ["is fever a symptom?", "what are the warning signs of a spinal infection"])
def test_general_symptom_questions_get_the_symptoms_topic(guide: Guide, text: str) -> None:
    assert intent_of(guide, text) == "topic.symptoms"


@pytest.mark.parametrize(("text", "asks"), [
    ("how many weeks until I can work", True),
    ("how long is the hospital stay", True),
    ("when can I go home", True),
    ("what is recovery like", False),
])
def test_questions_asking_for_a_figure_are_flagged(guide: Guide, text: str, asks: bool) -> None:
    assert guide.understander.understand(text).asks_figure is asks


def test_confidence_orders_exact_over_tolerant_over_nonsense(guide: Guide) -> None:
    understand = guide.understander.understand
    exact = understand("what are the symptoms").confidence
    tolerant = understand("symptoms of the spine thing, what are they").confidence
    nonsense = understand("purple elephants dancing").confidence
    assert exact == 1.0 > tolerant > nonsense
