"""The conversation: context, controls, asking back, safety first."""

from __future__ import annotations

import pytest

from voiceguide.dialogue import RATES, VOLUMES, Action, Conversation, urgent_message
from voiceguide.guide import Guide


def test_more_repeat_next_previous_keep_context(conversation: Conversation, guide: Guide) -> None:
    topics = guide.content.topics
    first = conversation.respond("how long is recovery")
    recovery = guide.content.topic("recovery")
    assert first.intent == "topic.recovery" and first.text.startswith(recovery.short)
    assert conversation.respond("more detail").text == recovery.detail
    assert conversation.respond("more").text == guide.content.replies.say("no_more_detail")
    assert conversation.respond("repeat that").text == recovery.detail
    following = topics[recovery.number]
    nxt = conversation.respond("next topic")
    assert nxt.topic == following.id
    assert nxt.text == f"Topic {following.number}, {following.title}. {following.short}"
    back = conversation.respond("go back")
    assert back.topic == "recovery" and back.text.startswith(f"Topic {recovery.number}, {recovery.title}.")
    where = conversation.respond("where am I").text
    assert where == f"You are on topic {recovery.number} of {len(topics)}, {recovery.title}."


def test_a_figure_question_gets_what_the_article_says_and_no_figure(conversation: Conversation,
                                                                   guide: Guide) -> None:
    reply = conversation.respond("how many nights will I have to stay in hospital")
    assert reply.unit == "shorter_stay" and reply.text.startswith(guide.content.unit("shorter_stay").text)
    assert "The article gives no exact figure for this." in reply.text
    assert not any(ch.isdigit() for ch in reply.text)


def test_a_fact_question_leads_with_the_fact_then_offers_the_rest(conversation: Conversation,
                                                                  guide: Guide) -> None:
    reply = conversation.respond("will I need physio afterwards")
    unit = guide.content.unit("rehabilitation")
    recovery = guide.content.topic("recovery")
    assert reply.intent == "fact.rehabilitation" and reply.unit == unit.id and reply.topic == "recovery"
    assert reply.text == f"{unit.text} {guide.content.replies.say('offer_more', title=recovery.title.lower())}"
    assert conversation.respond("say more").text == recovery.detail


def test_a_topic_request_leads_with_the_topics_first_unit(conversation: Conversation, guide: Guide) -> None:
    reply = conversation.respond("tell me about the benefits")
    benefits = guide.content.topic("benefits")
    assert reply.intent == "topic.benefits" and reply.text.startswith(benefits.short)
    assert reply.unit == benefits.lead


def test_every_unit_is_reached_by_its_own_templates(guide: Guide) -> None:
    reached = set()
    for intent in guide.intents.intents:
        if intent.unit:
            reply = Conversation(guide, ask_back=False).respond(" ".join(intent.sentences[0]))
            assert reply.unit == intent.unit, intent.name
            reached.add(reply.unit)
    assert reached == {u.id for u in guide.content.units}


def test_edges_of_the_topic_list(conversation: Conversation, guide: Guide) -> None:
    say = guide.content.replies.say
    assert conversation.respond("previous").text == say("at_first_topic")
    assert conversation.respond("more").text == say("no_topic_for_detail")
    assert conversation.respond("repeat").text == say("nothing_to_repeat")
    assert conversation.respond("where am i").text == say("where_am_i_none")
    last = guide.content.topics[-1]
    conversation.respond("give me a summary")
    assert conversation.state.current == last.number - 1
    assert conversation.respond("next").text == say("at_last_topic")
    over = conversation.respond("start over")
    assert over.topic == guide.content.topics[0].id and over.text.startswith(say("start_over"))


def test_voice_controls_step_within_bounds(conversation: Conversation, guide: Guide) -> None:
    start = conversation.state.settings
    assert conversation.respond("slower please").text == guide.content.replies.say("slower")
    assert conversation.state.settings.rate < start.rate
    for _ in range(len(RATES)):
        last = conversation.respond("slower")
    assert last.text == guide.content.replies.say("slowest") and conversation.state.settings.rate == RATES[0]
    for _ in range(len(VOLUMES)):
        last = conversation.respond("louder")
    assert last.text == guide.content.replies.say("loudest") and conversation.state.settings.volume == VOLUMES[-1]
    conversation.respond("quieter")
    assert conversation.state.settings.volume == VOLUMES[-2]


def test_playback_controls_return_actions(conversation: Conversation) -> None:
    assert conversation.respond("pause").action is Action.PAUSE
    assert conversation.respond("carry on").action is Action.RESUME
    assert conversation.respond("stop").action is Action.STOP
    assert conversation.respond("goodbye").action is Action.GOODBYE


VAGUE = ["spine bits", "spinal bits", "scar tissue worries", "the wound itself", "hospital things",
         "infection pictures", "something about muscles and stuff"]
"""Vague phrases; as the lexicon grows, some come to be understood outright (round four took all but
the first two)."""


def unsure_phrase(guide: Guide) -> str:
    """A vague phrase that scores in the clarify band: near a topic, not near enough."""
    limits = guide.understander.thresholds
    for text in VAGUE:
        got = guide.understander.understand(text)
        if got.unsure and got.intent and (got.intent.topic or got.intent.unit) \
                and limits.clarify <= got.confidence < limits.accept:
            return text
    raise AssertionError("no vague phrase falls in the clarify band")


@pytest.mark.parametrize(("noisy", "reply"), [(False, "clarify"), (True, "clarify_noisy")])
def test_unsure_asks_back_and_yes_answers(guide: Guide, noisy: bool, reply: str) -> None:
    """Heard over noise, the question back says it was hard to hear."""
    conversation = Conversation(guide)
    text = unsure_phrase(guide)
    got = guide.understander.understand(text)
    assert got.intent is not None
    unit = guide.content.unit(got.intent.unit) if got.intent.unit else None
    topic = guide.content.topic(unit.topic if unit else str(got.intent.topic))
    asked = conversation.respond(text, noisy=noisy)
    assert asked.intent is None and asked.text == guide.content.replies.say(reply, title=topic.title.lower())
    yes = conversation.respond("yes")
    assert yes.text.startswith(unit.text if unit else topic.short)
    conversation.respond(text, noisy=noisy)
    assert conversation.respond("no").text == guide.content.replies.say("clarify_declined")


def test_one_shot_never_asks_back(guide: Guide) -> None:
    reply = Conversation(guide, ask_back=False).respond(unsure_phrase(guide))
    assert reply.text == guide.content.replies.say("not_understood")


def test_not_understood_twice_offers_the_topics(conversation: Conversation, guide: Guide) -> None:
    assert conversation.respond("purple elephants").text == guide.content.replies.say("not_understood")
    second = conversation.respond("banana telephone")
    assert second.text.startswith("Sorry, I still did not understand.")
    assert all(t.title in second.text for t in guide.content.topics)


def test_not_caught_over_noise_asks_the_person_to_come_closer(conversation: Conversation, guide: Guide) -> None:
    replies = guide.content.replies
    assert conversation.respond("purple elephants", noisy=True).text == replies.say("not_understood_noisy")
    assert "closer" in replies.say("not_understood_noisy")
    # The second miss lists the topics, noisy or not: a topic's name is short and easier to catch.
    assert conversation.respond("banana telephone", noisy=True).text.startswith("Sorry, I still did not understand.")
    # What was understood is answered as ever; out of scope is said as such.
    assert conversation.respond("what are the symptoms", noisy=True).text == \
        conversation.respond("what are the symptoms").text
    assert conversation.respond("how much does the operation cost", noisy=True).text == \
        replies.say("out_of_scope", subject="costs or payment")


def test_out_of_scope_gets_no_guide_content(conversation: Conversation, guide: Guide) -> None:
    reply = conversation.respond("how much does the operation cost")
    assert reply.intent is None and not reply.understanding.understood
    assert reply.text == guide.content.replies.say("out_of_scope", subject="costs or payment")
    assert not any(t.short in reply.text for t in guide.content.topics)


def test_red_flags_get_the_urgent_message_first(conversation: Conversation, guide: Guide) -> None:
    reply = conversation.respond("I can't feel my legs")
    assert reply.intent == "safety.urgent" and reply.text == urgent_message(guide.content)
    symptoms = conversation.respond("is fever a symptom?")
    assert symptoms.intent == "fact.symptoms" and guide.content.urgent.text not in symptoms.text


def test_source_and_disclaimer(conversation: Conversation, guide: Guide) -> None:
    text = conversation.respond("where does this information come from").text
    assert guide.content.source.title in text and "27 November 2026" in text
    assert conversation.respond("is this medical advice").text == guide.content.disclaimer.text


def test_list_topics_and_help(conversation: Conversation, guide: Guide) -> None:
    listed = conversation.respond("list the topics").text
    assert all(t.title in listed for t in guide.content.topics)
    assert conversation.respond("what can I ask").text == guide.content.replies.say("help")
