"""Understanding typed text: exact templates first, then tolerant matching."""

from __future__ import annotations

import pytest

from voiceguide.guide import Guide
from voiceguide.normalize import words


def intent_of(guide: Guide, text: str) -> str | None:
    got = guide.understander.understand(text)
    return got.intent.name if got.understood and got.intent else None


SHARES = 4
"""The template self-test's parts: one item of some 36 s (90,000 sentences) ran alone at the slow tier's
tail; in parts the two workers share it."""


@pytest.mark.slow  # about 9 s each (noisy, shared machine): every fourth of some 90,000 template sentences
@pytest.mark.parametrize("share", range(SHARES), ids=lambda n: f"share{n + 1}of{SHARES}")
def test_every_template_sentence_matches_its_own_intent(guide: Guide, share: int) -> None:
    every = [(intent, sentence) for intent in guide.intents.intents for sentence in intent.sentences]
    wrong = []
    for intent, sentence in every[share::SHARES]:
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
    ("um so like what are the symptoms then", "fact.symptoms"),
    # plurals and contractions
    ("what's the risk of infections after the operations", "fact.lower_infection_risk"),
    ("I can't hear you", "control.louder"),
    # synonyms and lay words
    ("is keyhole back surgery better than the normal op", "fact.open_surgery"),
    ("what does the physio involve afterwards", "fact.rehabilitation"),
    ("do they put metalwork in", "fact.stabilise"),
    # a misheard or misspelt word
    ("what is osteomylitis", "fact.infection_kinds"),
    ("what is debridment", "fact.debridement"),
])
def test_near_misses_and_paraphrases(guide: Guide, text: str, expected: str) -> None:
    assert leads_with(guide, intent_of(guide, text)) == leads_with(guide, expected)


def leads_with(guide: Guide, name: str | None) -> str | None:
    """What the reply leads with: a fact intent's unit, a topic intent's lead unit, else the intent itself
    (a fact asked for and the topic that opens with that same fact give the same answer's first words)."""
    if name is None:
        return None
    intent = guide.intents.get(name)
    if intent.unit is not None:
        return f"unit {intent.unit}"
    if intent.topic is not None:
        return f"unit {guide.content.topic(intent.topic).lead}"
    return name


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
    # Subjects first met in the dev writers' questions.
    ("can I have a pint after the operation", "food, drink or smoking"),
    ("when are the visiting hours on the ward", "the hospital's own services"),
    ("can I move my appointment to next week", "appointments or contacting anyone"),
    # Other operations, everyday requests and visitors, from the later dev writers.
    ("do they do keyhole for knees", "other conditions"),
    ("can I still have my hernia operation", "other conditions"),
    ("read my messages", "everyday requests"),
    ("can my husband stay with me on the ward", "the hospital's own services"),
    ("how do I book the follow up appointment", "appointments or contacting anyone"),
    # Subjects first met in round five's dev writers, phrased here anew.
    ("could my family take the hospital to court and sue", "legal matters or complaints"),
    ("would a chiropractor sort my back out instead", "other treatments, such as acupuncture or massage"),
    ("how do they diagnose discitis", "how the infection is diagnosed"),
    # Round six, phrased here anew: a public insurer, a disease named in full, a false friend for a factory.
    ("is the operation covered by medicare", "insurance"),
    ("can tuberculosis get into the spine", "other conditions"),
    ("he works in a fabric, when can he go back", "work or time off"),
    # Round fifteen, phrased here anew: vaping, a team's result.
    ("is vaping bad for the healing", "food, drink or smoking"),
    ("did city win at the weekend", "everyday requests"),
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
    assert intent_of(guide, text) == "fact.symptoms"


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


@pytest.mark.parametrize(("text", "expected"), [
    # A question aimed at one fact gets that fact's intent, not its topic's.
    ("what happens if a spinal infection is never treated", "fact.untreated"),
    ("will they need to put screws in my back", "fact.stabilise"),
    ("who keeps an eye on me once I am home", "fact.monitoring"),
    ("why does catching it early matter", "fact.early_diagnosis"),
    ("could I still end up needing open surgery", "fact.open_still_needed"),
    # A request for a whole subject still gets the topic.
    ("tell me about the benefits", "topic.benefits"),
])
def test_questions_aimed_at_one_fact(guide: Guide, text: str, expected: str) -> None:
    assert intent_of(guide, text) == expected


def test_the_trained_classifier_is_loaded_and_helps(guide: Guide, guide_without_classifier: Guide) -> None:
    assert guide.understander.classifier is not None
    # A lay phrasing the concept overlap alone cannot place. The matcher alone: the same data without
    # the classifier's file, built once a run (conftest.py).
    assert guide_without_classifier.intents == guide.intents
    text = "will i still be under the doctors after"
    alone = guide_without_classifier.understander.understand(text)
    blended = guide.understander.understand(text)
    assert blended.understood and blended.intent is not None and blended.intent.name == "fact.monitoring"
    assert alone.intent is not None and alone.intent.name != "fact.monitoring"


@pytest.mark.parametrize(("text", "expected"), [
    # Lay words and question forms the later dev writers used (language.yaml, facts.yaml).
    ("will I end up with pins and plates in my spine", "fact.stabilise"),
    ("do they scrape the bad stuff out", "fact.debridement"),
    ("and the second big advantage, what is that", "fact.lower_infection_risk"),
    ("so when do they go with open surgery instead", "fact.open_still_needed"),
    ("is it down to me to look after my back", "fact.proactive"),
    ("kindly increase the volume", "control.louder"),
    # Meaning hidden in small words, lay idioms and question forms of the writers u11 to u14
    # (language.yaml, facts.yaml), phrased here anew.
    ("how do the surgeons get in there with keyhole", "fact.faster_healing"),
    ("with open surgery does the pain drag on", "fact.open_tissue"),
    ("could I be back on the school run sooner", "fact.normal_activities"),
    ("do I have to take the aftercare seriously", "fact.aftercare"),
    ("what is all the fuss about keyhole surgery", "fact.miss_defined"),
    ("is keyhole always enough", "fact.open_still_needed"),
    ("if I get it seen to early will I dodge the operation", "fact.avoid_surgery"),
    ("no need to shout", "control.quieter"),
    # Round five (u18, u19): lay words, sarcastic and polite forms, phrased here anew.
    ("why does rehab take forever after the old style operation", "fact.open_tissue"),
    ("on the whole, what is the takeaway", "fact.summary"),
    ("can they make my spine firm again", "fact.stabilise"),
    ("will they have to look me over once I am home", "fact.monitoring"),
    ("would you mind keeping your voice down", "control.quieter"),
    # Round six (u21, u22): second-language forms and a smart-speaker user's habits, phrased here anew.
    ("speak more slow for me please", "control.slower"),  # a comparative built with 'more'
    ("put it more loud", "control.louder"),
    ("which themes do you have", "control.list_topics"),  # false friends: tema, en resumen, columna
    ("in resume, what does the article say", "fact.summary"),
    ("does the intervention disturb the column less", "fact.faster_healing"),
    ("hey guide, play the bit about the benefits", "topic.benefits"),  # a wake word and a device command
    ("carry on from last time", "control.continue_last"),
    ("wait, someone is at the door", "control.pause"),  # a reason to pause is a pause
    ("why can't they always do keyhole", "fact.open_still_needed"),
])
def test_lay_words_and_question_forms_of_later_writers(guide: Guide, text: str, expected: str) -> None:
    assert intent_of(guide, text) == expected


def test_the_classifier_sees_letter_groups_of_the_words_that_carry_meaning(guide: Guide) -> None:
    from voiceguide.normalize import words
    features = guide.understander.features(words("is the spine wobbly"))
    assert {"g:<wob", "g:obbl", "g:bly>", "g:<spi"} <= set(features)
    assert not any(f.startswith("g:") and "the" in f for f in features)  # small words have none


def test_letter_groups_place_a_word_no_example_used(guide: Guide) -> None:
    from voiceguide.normalize import words
    understander = guide.understander
    classifier = understander.classifier
    assert classifier is not None
    features = understander.features(words("will he get rehabilitative care"))
    assert "w:rehabilitative" not in classifier.features  # no template or writer used the word
    probs = classifier.probabilities(features)
    without = classifier.probabilities([f for f in features if not f.startswith("g:")])
    assert max(probs, key=probs.__getitem__) == "fact.rehabilitation"
    assert max(without, key=without.__getitem__) != "fact.rehabilitation"


def test_the_understander_pickles_and_answers_the_same(guide: Guide) -> None:
    import pickle
    questions = ["what are the symptoms", "will I need physio afterwards", "osteomylitis", "play some jazz"]
    for text in questions:  # fill the caches first: they must pickle too
        guide.understander.understand(text)
    copy = pickle.loads(pickle.dumps(guide.understander))
    for text in questions:
        a, b = guide.understander.understand(text), copy.understand(text)
        assert (a.intent and a.intent.name, a.confidence, a.understood) == (b.intent and b.intent.name,
                                                                          b.confidence, b.understood)


def test_a_misheard_command_is_not_taken_for_an_out_of_scope_question(guide: Guide) -> None:
    """PocketSphinx heard the Piper voice's "pause please" as "boss police" ("boss": work, not covered)."""
    from voiceguide.understand import understand_heard

    heard = understand_heard(guide.understander, "boss police", "pause please", ("boss please",))
    assert heard.intent is not None and heard.intent.name == "control.pause"
    # An out-of-scope question stays one, whatever the next-best readings say.
    cost = understand_heard(guide.understander, "how much will the keyhole op cost me", "",
                            ("how much will the keyhole op",))
    assert cost.out_of_scope


def test_an_unsure_command_gives_way_to_a_stop_said_exactly(guide: Guide) -> None:
    """Whisper, unsure, heard espeak-ng's "stop" at pink 10 dB as "next up", "stop" its second reading:
    the stop is taken, for stopping by mistake costs a word and moving on loses the place."""
    from voiceguide.understand import understand_heard

    def heard(text: str, alternatives: tuple[str, ...], confidence: float) -> str | None:
        got = understand_heard(guide.understander, text, "", alternatives, confidence)
        return got.intent.name if got.intent is not None else None

    assert heard("next up", ("stop",), 0.33) == "control.stop"
    assert heard("next up", ("pause",), 0.33) == "control.pause"
    assert heard("next up", ("stop",), 0.8) == "control.next"  # Whisper sure of it
    # one word, however sure: espeak-ng's British "stop" heard as "top" (0.88) had started the guide over;
    # but only a halt spelt much like the word heard ("skip" heard as "skipped" stays a skip)
    assert heard("top", ("stop", "stop top top top"), 0.88) == "control.stop"
    assert heard("Top.", ("Stop.",), 0.88) == "control.stop"
    assert heard("top", ("stop please",), 0.88) == "control.stop"
    assert heard("skipped", ("stop",), 0.9) == "control.next"
    assert heard("continued", ("pause",), 0.9) == "control.resume"
    assert heard("next", ("stop",), 0.33) == "control.next"  # a template's exact words
    assert heard("next up", ("stop the thing",), 0.33) == "control.next"  # no stop said exactly
    assert heard("the wound is leaking pus", ("stop",), 0.33) == "safety.urgent"  # a red flag stays


@pytest.mark.parametrize(("wrapped", "plain"), [
    ("if you don't mind my asking, what causes these infections", "what causes these infections"),
    ("would you tell me, do you think they will put screws in", "will they put screws in"),
    ("who decides if keyhole is right for me, would you advise me, pet", "who decides if keyhole is right for me"),
])
def test_a_courtesy_wrapper_is_dropped_whole(guide: Guide, wrapped: str, plain: str) -> None:
    """A synonym phrase folded onto a stop word (language.yaml's 'please') leaves no concept,
    so the polite question meets the same templates as the plain one."""
    understander = guide.understander
    assert understander._mapper.concepts(words(wrapped)) == understander._mapper.concepts(words(plain))
    assert intent_of(guide, wrapped) == intent_of(guide, plain)


def test_a_word_broken_off_and_said_again_is_dropped(guide: Guide) -> None:
    """A typed stutter ("help me d- decide") leaves no stray fragment to split a phrase: the
    fragment goes, and 'help me decide' stays no plea for help."""
    assert words("can you help me d- decide about the op- operation") == words(
        "can you help me decide about the operation")
    assert words("a follow-up visit") == ["a", "follow", "up", "visit"]  # a hyphenated word is untouched
    stutter = intent_of(guide, "will reading this help me d- decide")
    assert stutter == intent_of(guide, "will reading this help me decide") and stutter != "safety.help"


def test_scots_negatives_and_a_dropped_g_read_as_the_standard_words(guide: Guide) -> None:
    """A transcriber types Scots as it is said ("I cannae feel", "he disnae"): each negative reads as
    its standard form, so every rule that knows "can not" knows it; a dropped g ("breathin'") is put
    back, but a word that ends in "in" is left alone."""
    assert words("I cannae feel my legs and he disnae ken, we're gonnae phone") == words(
        "I can not feel my legs and he does not ken, we are going to phone")
    assert words("it wisnae sore, he hadnae eaten") == words("it was not sore, he had not eaten")
    assert words("he's breathin' funny, somethin' is wrong") == words("he is breathing funny, something is wrong")
    assert words("the skin, the pain, begin") == ["the", "skin", "the", "pain", "begin"]
    assert intent_of(guide, "I cannae pee") == intent_of(guide, "I can't pee") == "safety.urgent"


@pytest.mark.parametrize(("form", "listed"), [
    ("it mattered", "it matter"),  # a past tense no list had
    ("throbbed", "throbbing"),
    ("recuperates", "recuperate"),
])
def test_a_verb_form_no_list_has_means_what_its_listed_form_means(guide: Guide, form: str, listed: str) -> None:
    mapper = guide.understander._mapper
    assert mapper.concepts(words(form)) == mapper.concepts(words(listed)) != []
    # and the question reads as well as with the listed form
    mattered = guide.understander.understand("it mattered that they caught it early, didn't it")
    assert mattered.intent is not None and mattered.intent.name == "fact.early_diagnosis"
    assert mattered.confidence >= 0.8


@pytest.mark.parametrize(("word", "not_meaning"), [
    ("missed", "minimally_invasive"),  # uninflected in language.yaml: 'missed' is no MISS
    ("fast", "diet"),  # the templates use 'fast' for speed: 'fasting' does not take it
    ("cup", "other_treatment"),  # 'cupping' is a noun of its own, not a form of 'cup'
])
def test_a_verb_form_never_takes_over_a_word_with_a_meaning_of_its_own(
        guide: Guide, word: str, not_meaning: str) -> None:
    assert not_meaning not in guide.understander._mapper.concepts([word])


def test_a_clause_that_asks_stands_for_a_question_with_an_aside_attached(guide: Guide) -> None:
    # The aside's words weigh against the whole; the clause that asks is read alone.
    asked = "what is discitis, my granddaughter googled it and the pictures were horrible and gave me nightmares"
    assert intent_of(guide, asked) == "fact.infection_kinds"
    safe = "is it totally safe, no risk at all, because a friend told me a horror story and I can't sleep"
    assert intent_of(guide, safe) == "info.is_it_safe"
    # A clause that tells may hold the subject the guide does not cover: it never stands for the whole.
    assert intent_of(guide, "where can I get my glasses mended, it keeps slipping off") is None


def test_a_hesitation_ends_a_clause_where_speech_has_no_commas(guide: Guide) -> None:
    from voiceguide.understand import understand_heard

    # A recogniser writes no commas: the aside after "um" must not sink the question before it,
    # which an unsure recogniser's reading needs the matcher to be sure of.
    said = "what is discitis um my granddaughter googled it and the pictures gave me nightmares"
    heard = understand_heard(guide.understander, said, "", (), 0.3)
    assert heard.understood and heard.intent is not None and heard.intent.name == "fact.infection_kinds"
    assert not understand_heard(guide.understander, said.replace(" um ", " "), "", (), 0.3).understood


@pytest.mark.parametrize(("text", "expected"), [
    # round seven's lay words, phrased here anew
    ("what nerve trouble should I look out for", "fact.symptoms"),  # 'neurological deficits'
    ("the old operation isn't completely gone then, they still do it", "fact.open_still_needed"),
])
def test_lay_words_of_round_seven(guide: Guide, text: str, expected: str) -> None:
    assert intent_of(guide, text) == expected


@pytest.mark.parametrize("text", ["can I wear my dentures during the operation",
                                  "could my husband stay overnight with me on the ward",
                                  "could I have the antibiotics through a drip at home"])
def test_ones_own_things_and_overnight_visits_are_out_of_scope(guide: Guide, text: str) -> None:
    got = guide.understander.understand(text)
    assert got.out_of_scope and not got.understood, (got.intent, got.confidence)


def test_a_command_about_the_voice_counts_beside_a_subject_not_covered(guide: Guide) -> None:
    assert intent_of(guide, "sorry, my hearing aid was whistling, say that again") == "control.repeat"
    # but never one that goes on with the guide's content
    got = guide.understander.understand("tell me more about the hearing aids")
    assert got.out_of_scope and not got.understood


def test_staying_in_overnight_oneself_is_the_hospital_stay(guide: Guide) -> None:
    # A visitor staying over is the hospital's own service; the patient's own nights are the guide's.
    assert intent_of(guide, "how many nights will I be in hospital after keyhole") == "fact.shorter_stay"


def test_what_a_command_is_about_is_the_question(guide: Guide) -> None:
    # "what was that" is the repeat command; what it is about, understood alone, is the question.
    assert intent_of(guide, "sorry, what was that about nerve trouble, I drifted off") == "fact.symptoms"
    assert intent_of(guide, "tell me more about that") == "control.more"
    assert intent_of(guide, "what was that") == "control.repeat"


def test_a_had_before_a_past_participle_is_read_as_had() -> None:
    # "I'd been" is "I had been": "would been" is no English, and the red flags read the tense.
    assert words("I'd been") == ["i", "had", "been"]
    assert words("she'd gone numb") == ["she", "had", "gone", "numb"]
    assert words("I'd like to know") == ["i", "would", "like", "to", "know"]
    assert words("I'd go") == ["i", "would", "go"]


def test_a_two_word_phrase_holds_with_words_between_its_words(guide: Guide) -> None:
    mapper = guide.understander._mapper
    assert "untreated" in mapper.concepts(words("what if they had just left the infection alone"))
    assert intent_of(guide, "what if they'd just left the infection alone") == "fact.untreated"
    # never with more than two words between
    assert "untreated" not in mapper.concepts(words("I left my glasses on the bus alone"))


def heard_as(guide: Guide, text: str, alternatives: tuple[str, ...] = (), confidence: float = 1.0,
             noisy: bool = False) -> str | None:
    from voiceguide.understand import understand_heard

    got = understand_heard(guide.understander, text, "", alternatives, confidence, noisy)
    return got.intent.name if got.understood and got.intent else None


def test_a_next_best_reading_understood_with_more_confidence_stands_in(guide: Guide) -> None:
    """Whisper heard espeak's "small cut... less germs?" as "small cut less zoom" (dev writer u9)."""
    assert heard_as(guide, "small cut less zoom") == "fact.faster_healing"
    assert heard_as(guide, "small cut less zoom", ("small cut less germs",)) == "fact.lower_infection_risk"
    # The words of a template are never given up for another reading.
    assert heard_as(guide, "what is discitis", ("what is this set is",)) == "fact.infection_kinds"


def test_a_red_flag_in_a_next_best_reading_gets_the_urgent_message(guide: Guide) -> None:
    assert heard_as(guide, "my back pain is worse and i have a fever") == "safety.urgent"
    assert heard_as(guide, "my back pain is worse and i have a fiver",
                    ("my back pain is worse and i have a fever",)) == "safety.urgent"


def test_garbled_speech_is_not_answered_when_the_engine_and_the_matcher_are_both_unsure(guide: Guide) -> None:
    """An out-of-scope question (dev writer, antibiotics) as Whisper heard espeak say it: a wrong answer
    unless the engine's low confidence counts."""
    garbled = "how long is roman foreign to my arctic therapy for murder in roostin amelitis"
    assert heard_as(guide, garbled, confidence=0.9) == "fact.rehabilitation"
    assert heard_as(guide, garbled, confidence=0.3) is None
    # Understood well enough, it is answered however unsure the engine was.
    assert heard_as(guide, "small cut less germs", confidence=0.3) == "fact.lower_infection_risk"


def test_an_unsure_reading_is_not_answered_when_the_next_one_is_out_of_scope(guide: Guide) -> None:
    """An out-of-scope question (dev writer u34) as Whisper heard it in pink noise: its best reading
    names an infection of the discs, its next reading is the question itself (understand.READINGS_DISAGREE)."""
    heard, other = "tell me about sleep discs", ("tell me about slipped discs",)
    assert heard_as(guide, heard, other, confidence=0.61) is None
    assert heard_as(guide, heard, other, confidence=0.85) == "topic.spinal_infections"  # sure enough
    assert heard_as(guide, heard, (), confidence=0.61) == "topic.spinal_infections"  # nothing against it
    # A next reading of the same question stands with it, and a command is never turned down.
    assert heard_as(guide, "what are the symptoms", ("what are the signs", "tell me about slipped discs"),
                    confidence=0.5) == "fact.symptoms"
    assert heard_as(guide, "stop", ("tell me about slipped discs",), confidence=0.5) == "control.stop"


def test_over_noise_an_answer_needs_a_surer_reading(guide: Guide) -> None:
    """An out-of-scope question (dev writer, booking an appointment) as Whisper heard it over babble at
    5 dB, fairly unsure: answered in a quiet room, and not over a loud background, where such answers
    were wrong as often as right (understand.HEARD_UNSURE_NOISY)."""
    heard = "we've been appointed with a fine specialist for next week"
    assert heard_as(guide, heard, confidence=0.5) == "fact.specialist"
    assert heard_as(guide, heard, confidence=0.5, noisy=True) is None
    assert heard_as(guide, heard, confidence=0.6, noisy=True) == "fact.specialist"
    # Understood well enough, it is answered over noise too.
    assert heard_as(guide, "small cut less germs", confidence=0.3, noisy=True) == "fact.lower_infection_risk"


@pytest.mark.parametrize("text", ["i cant feel my legs and i wet myself", "why longer hold up",
                                  # a command the understanding stage is unsure of (0.57)
                                  "sorry, my hearing aid was whistling, say that again"])
@pytest.mark.parametrize("noisy", [False, True])
def test_a_red_flag_or_a_command_is_never_turned_down_as_garbled(guide: Guide, text: str, noisy: bool) -> None:
    assert heard_as(guide, text, confidence=0.05, noisy=noisy) == heard_as(guide, text) is not None


def test_fillers_are_left_out_even_inside_a_phrase_or_a_template(guide: Guide) -> None:
    """language.yaml's fillers ('even', 'kinda', 'rn') carry nothing: a phrase or a template with one
    inside still holds."""
    mapper = guide.understander._mapper
    assert mapper.concepts(words("how does this gadget even work")) == mapper.concepts(
        words("how does this gadget work")) == ["help"]
    assert intent_of(guide, "how does this gadget even work") == "control.help"
    exact = guide.understander.understand("which section am i on rn")
    assert exact.exact and exact.intent is not None and exact.intent.name == "control.where_am_i"
    # a word that is no filler still breaks the phrase
    assert "help" not in mapper.concepts(words("how does this gadget possibly work"))


def test_a_tag_that_asks_to_agree_is_no_answer_to_the_guide(guide: Guide) -> None:
    """A last 'yes?' asks the listener to agree with the question before it (language.yaml's tags)."""
    whole = guide.understander._judge("", words("she has to look after her own back yes"), False)
    assert whole.intent is not None and whole.intent.name == "control.yes"  # what the tag alone would give
    assert intent_of(guide, "she has to look after her own back, yes?") == "fact.proactive"
    assert intent_of(guide, "yes please") == "control.yes"
    assert intent_of(guide, "say that again, yeah") == "control.repeat"  # a command with a tag stays the command


@pytest.mark.parametrize(("text", "expected"), [
    ("hold on, what did you just say", "control.repeat"),
    ("hang on, go back", "control.previous"),
    ("wait, is keyhole surgery safe", "info.is_it_safe"),
    ("hang on, how can they see anything with such tiny cuts", "fact.tools_purpose"),  # what follows is a template
    ("hang on a sec", "control.pause"),  # what follows may be the pause itself
    ("wait", "control.pause"),
])
def test_an_interjection_first_only_asks_for_attention(guide: Guide, text: str, expected: str) -> None:
    """language.yaml's interjections: 'wait' first, then a request, is the request."""
    assert intent_of(guide, text) == expected


def test_ones_own_fear_said_first_is_a_lead_in(guide: Guide) -> None:
    mapper = guide.understander._mapper
    for lead in ("i am worried", "i am scared that", "i am kinda stressed about", "i worry"):
        assert mapper.concepts(words(f"{lead} keyhole will hurt more afterwards")) == mapper.concepts(
            words("keyhole will hurt more afterwards")), lead
    # asking whether to worry still asks about worrying
    assert "worry" in mapper.concepts(words("should i be scared of a temperature"))


@pytest.mark.parametrize(("text", "expected"), [
    # round eight's question forms and lay words (from u26 and u27, u28 held out), phrased here anew
    ("how can the surgeons see anything through a tiny opening", "fact.tools_purpose"),  # seeing: the tools
    ("tell me how the actual operation is done", "fact.techniques"),  # the operation itself
    ("the incisions are smaller with keyhole", "fact.miss_method"),  # smaller cuts, to be agreed with
    ("I'm really nervous, does the small cut version get me back on my feet faster", "fact.miss_defined"),
    ("when can I get back to uni with keyhole", "fact.normal_activities"),  # study and sport are activities
    ("will physio help with the stiffness", "fact.rehabilitation"),  # stiffness is mobility lost
    ("should I just leave it all up to the surgeons", "fact.proactive"),  # leaving it to someone
    ("rewind that please", "control.repeat"),
    ("will I be stiff forever", "fact.rehabilitation"),  # 'forever' asks how long, and names no subject
    ("will the keyhole op hurt a lot afterwards", "fact.faster_healing"),  # pain after, asked plainly
    ("when can I get back to the gym", "fact.normal_activities"),
    ("ok cya later", "control.goodbye"),
])
def test_lay_words_and_question_forms_of_round_eight(guide: Guide, text: str, expected: str) -> None:
    assert intent_of(guide, text) == expected


@pytest.mark.parametrize(("text", "subject"), [
    ("is there someone who speaks Urdu at the hospital", "out_of_scope.language"),  # interpreters
    ("how do you say discitis in Spanish", "out_of_scope.language"),
    ("what's blood poisoning, is it related", "out_of_scope.other_conditions"),  # sepsis and its kin
    ("where is the chemist in the hospital", "out_of_scope.hospital"),  # the hospital's facilities
])
def test_round_eight_subjects_not_covered(guide: Guide, text: str, subject: str) -> None:
    got = guide.understander.understand(text)
    assert got.out_of_scope and not got.understood and got.intent is not None and got.intent.name == subject


@pytest.mark.parametrize(("text", "subject"), [
    # round ten's out-of-scope misses, read after its held-out figure; phrased here anew
    ("could my grandson pick it up from me, is it contagious", "out_of_scope.contagion"),
    ("is a spine infection catching", "out_of_scope.contagion"),
    ("what is the best position to sleep in after the op", "out_of_scope.sleep"),
    ("can he sleep on his front after the op", "out_of_scope.sleep"),
    ("I'm claustrophobic, will that be a problem", "out_of_scope.scans"),
    ("who won the match last night", "out_of_scope.assistant"),
    ("am I going to lose my benefits while I am off", "out_of_scope.costs"),
    ("where is her follow up appointment", "out_of_scope.appointments"),
    ("she keeps getting water infections, is that the same thing", "out_of_scope.other_conditions"),
    ("could they do keyhole on my knee as well", "out_of_scope.other_conditions"),
])
def test_round_ten_subjects_not_covered(guide: Guide, text: str, subject: str) -> None:
    got = guide.understander.understand(text)
    assert got.out_of_scope and not got.understood and got.intent is not None and got.intent.name == subject, \
        (got.intent and got.intent.name)


@pytest.mark.parametrize(("text", "expected"), [
    # a round-ten review's phrasings: a lay phrase also matches with its small words left out, and the
    # first cut's phrases took these out of scope ("how do I sleep with" was "sleep")
    ("I can't get to sleep with the back pain, is that a symptom", "fact.symptoms"),
    ("she's lying in bed with a temperature, what should I do", "fact.symptoms"),
    ("can you catch it early", "fact.early_diagnosis"),
    ("give it to me in plain english", "topic.summary"),
    ("could it spread to other bones", "fact.infection_kinds"),
    ("do surgeons need an mri to see where to operate", "fact.miss_method"),
    ("is the tube like a little tunnel", "fact.tools_purpose"),
    ("will I be able to play football again after", "fact.normal_activities"),
    ("I'm a bus driver, when can I go back to normal activities", "fact.normal_activities"),
    ("he's diabetic, what are the signs of a spinal infection", "fact.symptoms"),
    ("she had a urine infection, could that have caused it", "fact.infection_causes"),
    # a second review's: a two-word phrase also matches with words between ("kick off"), and a
    # concept's name is a word too ("sleeping", "welfare")
    ("he's not sleeping well with the back pain, is that a symptom", "fact.symptoms"),
    ("do they use an mri, like, during the op", "fact.miss_method"),
    ("is the specialist the best doctor to ask", "fact.specialist"),
    ("what kicked the infection off, was it bacteria", "fact.infection_causes"),
    ("my daughter pip has a spinal infection, what are the symptoms", "fact.symptoms"),
    ("will the surgery improve her welfare and quality of life", "fact.outlook"),
    ("she fell on her knees, could that have caused the infection", "fact.infection_causes"),
    ("is it infectious discitis she's got", "fact.infection_kinds"),
])
def test_round_ten_phrases_stay_where_they_are_said(guide: Guide, text: str, expected: str) -> None:
    assert intent_of(guide, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # round ten's fact misses, read after its held-out figure; phrased here anew
    ("would the physio help her move better", "fact.rehabilitation"),  # helping her move is no plea
    ("give me the gist of it", "topic.summary"),
    ("what's the best thing about keyhole surgery", "topic.benefits"),
    ("is there anything I can do meself", "fact.proactive"),  # "meself": myself
    ("please help her, she can't walk", "safety.help"),  # a plea stays one
])
def test_round_ten_lay_words(guide: Guide, text: str, expected: str) -> None:
    assert intent_of(guide, text) == expected


@pytest.mark.parametrize(("text", "subject"), [
    # round eleven's out-of-scope misses, read after its held-out figure; phrased here anew
    ("does Islam allow a metal rod in the spine", "out_of_scope.faith"),
    ("is it haram to have a metal implant", "out_of_scope.faith"),
    ("will he need a commode when he comes home", "out_of_scope.equipment"),
    ("will he need a zimmer frame at home", "out_of_scope.equipment"),
    ("could I stay the night with him on the ward", "out_of_scope.hospital"),
    ("when is the next bus to the hospital", "out_of_scope.assistant"),
    ("when is the next fixture", "out_of_scope.assistant"),
    ("when are United playing next", "out_of_scope.assistant"),
    ("he hates tight spaces, how long is the scan", "out_of_scope.scans"),
])
def test_round_eleven_subjects_not_covered(guide: Guide, text: str, subject: str) -> None:
    got = guide.understander.understand(text)
    assert got.out_of_scope and not got.understood and got.intent is not None and got.intent.name == subject, \
        (got.intent and got.intent.name)


@pytest.mark.parametrize(("text", "expected"), [
    # round eleven's fact misses, phrased anew
    ("why would a surgeon pick the old type of surgery", "fact.open_still_needed"),
    ("what decides whether he needs open surgery", "fact.open_still_needed"),
    ("will he move around properly again", "fact.rehabilitation"),
    # what --changes and a review caught on the first cut: a place of worship is somewhere to get back
    # to; the patient's own night in hospital, the equipment's words used of rehab, the surgeon's room
    ("will I get back to church sooner with the small op", "fact.normal_activities"),
    ("will I need to stay overnight with keyhole surgery", "fact.shorter_stay"),
    ("the physio had him on a zimmer frame, will rehab get him off it", "fact.rehabilitation"),
    ("when can I climb stairs and lift things again", "fact.normal_activities"),
    # a sport named with "again" or "next season" is no repeat or next topic; a team's next game is no topic
    ("when can he play rugby again", "fact.normal_activities"),
    ("can she play netball next season", "fact.normal_activities"),
    # reviews': navigation said with "play" stays navigation; a part played again is a repeat
    ("can we play the next bit", "control.next"),
    ("play the recovery bit again", "control.repeat"),
    # round eleven's control and cannot-answer misses, phrased anew
    ("tell me about the incisions", "fact.faster_healing"),  # nor a scar template: scar is an incision
    ("should I go by what you say or my doctor", "info.disclaimer"),
    ("who has written this", "info.source"),
    ("a little bit slower please", "control.slower"),
    ("will I be able to play football again", "fact.normal_activities"),
])
def test_round_eleven_lay_words(guide: Guide, text: str, expected: str) -> None:
    assert intent_of(guide, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # round twelve's misses, read after its held-out figure; phrased here anew
    ("how come keyhole surgery heals quicker", "fact.faster_healing"),
    ("lower your voice please", "control.quieter"),
    ("hurry up please", "control.faster"),
    ("what all do you know about", "control.list_topics"),
    # (a goodbye "I'm going now" and risks of dying or not walking were tried and dropped: a review found
    # "I'm going now for my operation, what should I know" ended the guide, and a spinal infection's own
    # dangers taken for the operation's)
    ("can you die of a spinal infection", "topic.spinal_infections"),
    ("he already has an infection, won't cutting him open make it worse", "fact.infection_risk_matters"),
])
def test_round_twelve_words(guide: Guide, text: str, expected: str) -> None:
    assert intent_of(guide, text) == expected


@pytest.mark.parametrize(("text", "subject"), [
    # round thirteen's out-of-scope misses, read after its held-out figure; phrased here anew
    ("could my daughter get pregnant after the spine operation", "out_of_scope.pregnancy"),
    ("what is the difference between an MRI and a CT", "out_of_scope.scans"),
    ("how do they treat kidney infections", "out_of_scope.other_conditions"),
    ("read me a psalm please", "out_of_scope.faith"),
    ("can I get pregnant after the operation", "out_of_scope.pregnancy"),
    ("how would I get a second opinion", "out_of_scope.appointments"),
])
def test_round_thirteen_subjects_not_covered(guide: Guide, text: str, subject: str) -> None:
    got = guide.understander.understand(text)
    assert got.out_of_scope and not got.understood and got.intent is not None and got.intent.name == subject, \
        (got.intent and got.intent.name)


@pytest.mark.parametrize(("text", "expected"), [
    # round thirteen's misses, phrased anew
    ("can we go off what you say rather than asking the consultant", "info.disclaimer"),
    # what --changes, the probes and a review caught on the first cut: a recovery that is fast is no pace,
    # the scans that guide the surgeon stay the method, a condition named beside a question leaves it
    # the question, and asking for something is no request for help with the guide
    ("how fast is recovery", "topic.recovery"),
    ("is recovery fast", "fact.aftercare"),
    ("do they use an MRI during the op", "fact.miss_method"),
    ("what scans do they use to guide the surgeon", "fact.miss_method"),
    ("i had MRSA in my spine, what operation will they do", "topic.how_it_is_done"),
    ("i am old, what is this operation", "fact.miss_defined"),
    ("I am off now to see the surgeon, what should I ask", "fact.specialist"),
    ("slow", None),
])
def test_round_thirteen_words(guide: Guide, text: str, expected: str | None) -> None:
    assert intent_of(guide, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # round fourteen's misses, read after its held-out figure; phrased here anew
    ("will they keep him in long", "fact.shorter_stay"),
    ("is all this just off the internet", "info.source"),
    ("can you tell me about the recovery after keyhole surgery", "topic.recovery"),
    ("is an endoscope used for keyhole spine surgery", "fact.techniques"),
    ("make the volume lower please, the baby is asleep", "control.quieter"),
    ("khuda hafiz", "control.goodbye"),
    # what --changes, the probes and a review caught on the first cut: signing a form took "a sign" of
    # illness; phrases for quieter, claims, services and being kept in took questions with those words
    ("is not passing urine a red flag", "fact.symptoms"),
    ("does keyhole make it lower risk", "fact.lower_infection_risk"),
    ("what are the claimed benefits of keyhole surgery", "topic.benefits"),
    ("what techniques are used for open surgery", "fact.open_surgery"),
    ("nearest physio services", "fact.rehabilitation"),
    ("will I need to stay overnight with keyhole surgery", "fact.shorter_stay"),
])
def test_round_fourteen_words(guide: Guide, text: str, expected: str) -> None:
    assert intent_of(guide, text) == expected


@pytest.mark.parametrize(("text", "wrong"), [
    ("will they keep me in a brace", "fact.shorter_stay"), ("keep me in the loop", "fact.shorter_stay"),
    ("he is a bit slow today", "control.goodbye"),
    ("my voice is lower since the op, is that normal", "control.quieter"),
    # a second review's: "make it lower", a consent form and the next services as templates took these
    ("can they make the risk lower", "control.quieter"), ("does it make it lower", "control.quieter"),
    ("the consent form says keyhole, is that better than open", "out_of_scope.preparation"),
    ("where are the nearest physio services", "out_of_scope.assistant"),
])
def test_round_fourteen_words_stay_in_their_place(guide: Guide, text: str, wrong: str) -> None:
    assert intent_of(guide, text) != wrong


@pytest.mark.parametrize(("text", "subject"), [
    ("does the DVLA need to know about my operation", "out_of_scope.driving"),
    ("can I claim benefits while I recover", "out_of_scope.costs"),
    ("skip this song please", "out_of_scope.assistant"),
    ("can she do her wudu after the operation", "out_of_scope.faith"),
    # round sixteen's
    ("who first invented this kind of surgery", "out_of_scope.history"),
    ("is there patient transport to get him there", "out_of_scope.hospital"),
    ("does she need a hospital bed downstairs", "out_of_scope.equipment"),
    ("is ghee all right for him to eat", "out_of_scope.diet"),
    # round seventeen's
    ("how do they treat water infections", "out_of_scope.other_conditions"),
])
def test_subjects_not_covered_of_round_fourteen_on(guide: Guide, text: str, subject: str) -> None:
    got = guide.understander.understand(text)
    assert got.out_of_scope and not got.understood and got.intent is not None and got.intent.name == subject, \
        (got.intent and got.intent.name)


@pytest.mark.parametrize("text", ["it's going dead fast, the numbness", "my recovery is going dead fast"])
def test_a_body_going_fast_is_no_request_to_speak_slower(guide: Guide, text: str) -> None:
    """A review of round thirteen: "going dead fast" as a phrase for slower took the body's pace too."""
    assert intent_of(guide, text) != "control.slower"


@pytest.mark.parametrize(("text", "expected"), [
    ("I'm off now to the hospital, will it be keyhole", "fact.miss_defined"),
    ("im off now to the hospital will it be keyhole", "fact.miss_defined"),  # as a recogniser writes it
    ("bye bye now how long is recovery", "topic.recovery"),
])
def test_a_goodbye_with_a_question_after_it_is_the_question(guide: Guide, text: str, expected: str) -> None:
    """A goodbye taken wrongly ends the conversation, so a question of the guide's after one stands."""
    assert intent_of(guide, text) == expected


@pytest.mark.parametrize("text", ["right I'm off now, bye", "thanks that's me done, see you later",
                                  "I'm off to bed now, goodnight",
                                  # a review's: a command or a bidding after a goodbye leaves it a goodbye
                                  "bye love, when will you be on again", "ta ra, can't thank you enough",
                                  "cheerio, do take care of yourself", "I'm off now, can you remember where I was"])
def test_a_goodbye_alone_still_ends(guide: Guide, text: str) -> None:
    assert intent_of(guide, text) == "control.goodbye"


@pytest.mark.parametrize("text", ["my recovery is a bit slow, is that normal", "is the healing slow",
                                  "it's a little bit slow recovering"])
def test_a_slow_recovery_is_no_request_to_speak_slower(guide: Guide, text: str) -> None:
    """A review of round eleven: "a little bit slow please" as a template taught "slow" to the command."""
    assert intent_of(guide, text) != "control.slower"


def test_asking_whether_it_is_loud_is_no_scan(guide: Guide) -> None:
    got = guide.understander.understand("is it loud")
    assert not (got.intent is not None and got.intent.name == "out_of_scope.diagnosis")


@pytest.mark.parametrize(("text", "expected"), [
    ("what are the benefits of keyhole surgery", "topic.benefits"),  # the operation's benefits stay its own
    ("do they use a scanner to see where to go", "fact.miss_method"),  # imaging that guides the surgeon
    ("does catching it early make a difference", "fact.early_diagnosis"),  # catching it early is no contagion
    ("is there less chance of catching an infection with small cuts", "fact.lower_infection_risk"),
])
def test_round_ten_words_keep_their_other_senses(guide: Guide, text: str, expected: str) -> None:
    assert intent_of(guide, text) == expected


def test_a_language_named_alone_is_no_subject(guide: Guide) -> None:
    assert intent_of(guide, "it sounds like a German word, what does debridement mean") == "fact.debridement"


def test_lay_words_of_round_eights_held_out_writer_once_read(guide: Guide) -> None:
    # u28's misses, read after its held-out figure was taken: discomfort is pain, and an operation
    # on another joint is another operation; phrased here anew
    assert intent_of(guide, "would there be less discomfort with the keyhole one") == "fact.faster_healing"
    for other in ("could they do the keyhole thing on my hip too", "is the same done for a neck op"):
        got = guide.understander.understand(other)
        assert got.out_of_scope and not got.understood, (other, got.intent)


def test_dialect_forms_are_read_as_the_standard_words(guide: Guide) -> None:
    """language.yaml's spoken forms: a question in Scots or Caribbean English is read in the standard
    words, a contraction after one kept ("whit's": what is); templates and the red-flag detector's
    words are left as written."""
    understander = guide.understander
    spoken = guide.intents.language.spoken
    assert understander.read("whit's the point o learnin aboot it") == words("what's the point of learning about it")
    assert understander.read("wha dem use fi see inside?") == words("what them use for see inside")
    assert words("is there wi-fi", spoken) == ["is", "there", "wifi"]  # two words said as one
    mapper = understander._mapper  # "a wee" is small, but "a wee bit" is a little, no size
    assert "small" in mapper.concepts(understander.read("a wee cut"))
    assert mapper.concepts(understander.read("a wee bit sore")) == mapper.concepts(words("a bit sore"))
    assert intent_of(guide, "whit dae they dae wi the infected bit") == "fact.debridement"
    assert intent_of(guide, "mi haffi do physio after?") == "fact.rehabilitation"
    assert intent_of(guide, "how lang will the scar be") == intent_of(guide, "how long will the scar be")
    # a Caribbean negative, like a Scots one, is read by every rule, the red-flag detector's too
    assert intent_of(guide, "I cyaan feel my legs") == intent_of(guide, "I can't feel my legs") == "safety.urgent"


def test_a_dropped_g_is_put_back_only_on_a_word_known_with_it(guide: Guide) -> None:
    read = guide.understander.read
    assert read("knowin aboot it, gettin tae it") == ["knowing", "about", "it", "getting", "to", "it"]
    assert read("the cabin and the margin") == ["the", "cabin", "and", "the", "margin"]


@pytest.mark.parametrize(("text", "read_as"), [
    ("can I no jist get up", "can i not just get up"),  # Scots 'no' after a verb that takes 'not'
    ("when would they no dae it", "when would they not do it"),
    ("I might no need it", "i might not need it"),
    ("no so loud", "not so loud"),
    ("no, that isn't what I meant", "no that is not what i meant"),  # the answer stays an answer
    ("is there no other way", "is there no other way"),  # 'no' as 'none' stays
    ("there is no need for surgery", "there is no need for surgery"),
    ("is it no better", "is it not better"),  # but a question's 'is it no' is 'is it not'
    ("naw, no thanks", "no no thanks"),
])
def test_a_scots_no_that_says_not_is_read_as_not(guide: Guide, text: str, read_as: str) -> None:
    assert guide.understander.read(text) == read_as.split()


def test_a_word_said_again_after_a_hesitation_is_said_once(guide: Guide) -> None:
    assert guide.understander.read("how does this, uh, this thing work") == words("how does this thing work")
    assert intent_of(guide, "how does this, uh, this thing work") == "control.help"
    # a hesitation between different words still ends a clause
    assert guide.understander.read("it hurts um what should I do")[2] == "um"


def test_a_clause_that_points_back_asks_about_the_subject_told_before_it(guide: Guide) -> None:
    # "what is that part about", alone, is where the guide is; after a subject it asks about the subject
    assert intent_of(guide, "what is that part about") == "control.where_am_i"
    assert intent_of(guide, "it says something about nerve problems, what is that part about") == "fact.symptoms"


@pytest.mark.parametrize(("text", "expected"), [
    # round nine's lay words and question forms (from u29 and u31, u30 held out), phrased here anew
    ("why do I need to know all that", "fact.informed_decisions"),  # why one should know at all
    ("how come I have to know about this", "fact.informed_decisions"),
    ("could the infection be why his back is so painful", "fact.untreated"),  # the cause of one's pain
    ("will the traditional op mean more physio", "fact.open_tissue"),  # what open surgery means for rehab
    ("what else is great about keyhole", "fact.lower_infection_risk"),  # the other advantage
    ("would they harm anything else on the way to the spine", "fact.tools_purpose"),
    ("couldn't I just go home after the op", "fact.aftercare"),  # just going on as before
    ("do I have to go back to see the doctors afterwards", "fact.monitoring"),  # going back to be seen
    ("if it's caught early, might I not need to be cut open", "fact.avoid_surgery"),
    ("is keyhole worth it or not", "fact.summary"),  # the verdict, not the list of benefits
    ("yeah, more about that", "control.more"),
    ("you can start talking again", "control.resume"),  # talking again is no start over
    ("tell me how the old operation is different from keyhole", "fact.open_surgery"),  # the old operation
    ("are the exercises tailored to me", "fact.rehabilitation"),  # the therapy is tailored
    ("does everybody get the same physio", "fact.rehabilitation"),
    ("di exercise dem, wha dem for?", "fact.rehabilitation"),  # Caribbean English: the plural "dem"
    ("how come they dinnae just dae the open yin", "fact.open_surgery"),
    ("wha mi fi do fi help miself?", "fact.proactive"),  # 'miself' is myself
    ("can I gan yem sooner", "fact.shorter_stay"),  # Northern English: go home
    ("will they cut me open or is it a small hole job", "fact.open_surgery"),  # a 'job' that is no work
    ("will I be aff ma feet for long efter", "topic.recovery"),  # off one's feet: laid up
    # and from a blind batch in plain English, written here
    ("will I be alright after", "fact.aftercare"),  # all right afterwards, not what comes next
    ("my gran's having it done, will she be in long", "fact.shorter_stay"),  # in hospital
    ("what's so bad about the open surgery", "fact.open_surgery"),
    ("can my mum have this done or is she too old", "fact.specialist"),  # having it done; too old
    ("is this the future then", "fact.outlook"),
    ("tell me everything about the recovery", "fact.aftercare"),  # about the recovery, not everything
    ("will I still be able to skate after", "fact.normal_activities"),  # an activity asked about by name
    ("what do they put in to hold it", "fact.stabilise"),  # what holds the spine, not "hold it"
    ("hold it", "control.pause"),
    ("will I be able to look after my garden again", "fact.normal_activities"),  # the garden, not monitoring
    ("what kind of infections does this treat", "fact.infection_kinds"),
    ("is it like a big deal if they catch it late", "fact.early_diagnosis"),  # late, said for early
    ("yo what are the perks of the keyhole one", "topic.benefits"),
    ("is it possible to have keyhole surgery for discitis", "fact.specialist"),  # 'is it possible to' asks 'can'
    ("when is keyhole not possible", "fact.open_still_needed"),  # while 'not possible' stays
])
def test_lay_words_and_question_forms_of_round_nine(guide: Guide, text: str, expected: str) -> None:
    assert intent_of(guide, text) == expected


@pytest.mark.parametrize(("text", "subject"), [
    ("can I have a wee dram after the op", "out_of_scope.diet"),  # whisky and its kin
    ("will ma insurance pay fi dis?", "out_of_scope.insurance"),  # a subject said in dialect
    ("whit aboot ma sick pay", "out_of_scope.costs"),
    ("will I still be able to drive after", "out_of_scope.driving"),  # an activity the guide does not cover
])
def test_round_nine_subjects_not_covered(guide: Guide, text: str, subject: str) -> None:
    got = guide.understander.understand(text)
    assert got.out_of_scope and not got.understood and got.intent is not None and got.intent.name == subject


def test_a_clause_read_alone_may_be_a_template_exactly(guide: Guide) -> None:
    # the clause that asks is one of the templates, word for word: it counts as sure as a template
    got = guide.understander.understand("will it be very painful afterwards, I don't cope well with pain")
    assert got.intent is not None and got.intent.name == "fact.faster_healing" and got.confidence == 1.0


@pytest.mark.parametrize(("text", "expected"), [
    ("turn it doon", "control.quieter"),
    ("haud on a minute", "control.pause"),
    ("naw", "control.no"),
    ("whit was that", "control.repeat"),
    ("tell mi more bout dat", "control.more"),
    ("slow doon", "control.slower"),
    ("whit topics dae ye cover", "control.list_topics"),
])
def test_commands_said_in_dialect_are_the_commands(guide: Guide, text: str, expected: str) -> None:
    got = guide.understander.understand(text)
    assert got.intent is not None and got.intent.name == expected and got.exact  # word for word, once read


def reading(guide: Guide, text: str) -> str | None:
    """The intent a question gets, out of scope too; None when it is not understood."""
    got = guide.understander.understand(text)
    return got.intent.name if got.intent is not None and (got.understood or got.out_of_scope) else None


@pytest.mark.parametrize(("text", "expected", "never"), [
    # a bare "no" is the answer, not "not": only after a subject and a verb that takes "not", within
    # one stretch of words, and never before a word it says "none" of
    ("no, too much detail", "control.no", None),
    ("no, too much", "control.no", None),
    ("no too much", "control.no", None),
    ("I will no problem", "control.no", None),
    ("ok will do no worries", "control.no", None),
    ("will do, no worries", "control.no", None),
    ("I can, no problem", "control.no", None),
    ("no, so that is it then", "control.no", None),
    ("is it? no", "control.no", None),
    ("no, so what is keyhole surgery", "fact.miss_defined", None),
    ("no so loud", "control.quieter", None),  # while a Scots "no" before how the voice is stays "not"
    # "what can I do" after one's case asks about the case; alone it asks how to use the guide
    ("to avoid needing surgery in the first place, what can I do", "fact.avoid_surgery", None),
    ("the scan showed discitis, what can I do", None, "control.help"),
    ("they found an infection in my spine, what can I do", None, "control.help"),
    ("my husband had the operation last week and is still sore, what can I do", None, "control.help"),
    ("what can I do", "control.help", None),
    # a command that moves about the guide is the request, whatever subject was told before it
    ("I already know all about discitis, can you go back", "control.previous", None),
    ("I know about discitis already, can you skip it", "control.next", None),
    ("I am not worried about discitis, can you go back to the part on recovery", "control.previous", None),
    ("I have read about osteomyelitis, can you skip it", "control.next", None),
    ("go back to the bit about my back", "control.previous", None),
    ("yes, tell me about recovery", "fact.aftercare", None),  # an answer beside a subject asks about it
    # while one that asks what was said points back to the subject, with or without a comma
    ("it says something about nerve problems what is that part about", "fact.symptoms", None),
    ("it says something about nerve problems, what is that part about", "fact.symptoms", None),
    # "the future" of something else is no outlook of the operation's
    ("will it affect future pregnancies", None, "fact.outlook"),
    ("will I be able to have children in the future", None, "fact.outlook"),
    ("will I be able to work in future", None, "fact.outlook"),
    ("will it affect my pension in the future", None, "fact.outlook"),
    ("will it affect my future career", None, "fact.outlook"),
    ("in the future will I need more surgery", None, "fact.outlook"),
    ("is this the future then", "fact.outlook", None),
    ("what does the future hold", "fact.outlook", None),
    # "wee" alone is passing water; after a determiner, small
    ("can the infection affect my wee", None, "fact.lower_infection_risk"),
    ("will I be able to wee normally after", None, "fact.faster_healing"),
    ("does it hurt to wee after the surgery", None, "fact.faster_healing"),
    ("how does a wee cut make ye heal faster", "fact.faster_healing", None),
    # two words said as one, and things one brings along: the hospital's
    ("is there wi fi on the ward", "out_of_scope.hospital", None),
    ("can I bring a pal", "out_of_scope.hospital", None),
    ("can I bring a friend", "out_of_scope.hospital", None),
    ("where can I get it done", "out_of_scope.hospital", None),
    # "everything about it" is all of it, not nothing
    ("tell me everything about it", "topic.summary", None),
    ("I want to know everything about it", "topic.summary", None),
    ("tell me everything about the recovery", "fact.aftercare", None),
    # talking again is the guide's only when it is asked to
    ("when can I talk again with the surgeon", None, "control.resume"),
    ("my dad had a stroke, will he talk again", "out_of_scope.other_conditions", None),
    ("keep talking", "control.resume", None),
    ("you can start talking again", "control.resume", None),
    # an answer first, then a command word for word: the command ("yes, go on" stays the yes)
    ("aye stop", "control.stop", None),
    ("aye go back", "control.previous", None),
    ("aye say that again", "control.repeat", None),
    ("nae bother go on", "control.resume", None),
    ("yes stop", "control.stop", None),
    ("yes go back", "control.previous", None),
    ("yes repeat that", "control.repeat", None),
    ("yeah, slow down", "control.slower", None),
    ("no problem, carry on", "control.resume", None),
    ("aye, go on then", "control.yes", None),
    ("yes go on", "control.yes", None),
    ("aye", "control.yes", None),
    # getting ready for the operation is a subject the article does not cover, and no diet
    ("what do I need to do before having it done", "out_of_scope.preparation", None),
    ("how should I prepare for the operation", "out_of_scope.preparation", None),
    # wrong before round nine: being in hospital, what holds the spine, being all right after, going back
    ("how long will I be in for", "fact.shorter_stay", None),
    ("what holds it in place", "fact.stabilise", None),
    ("do they put anything in to hold it", "fact.stabilise", None),
    ("hold it", "control.pause", None),
    ("will I be right after", "fact.aftercare", None),
    ("take me back", "control.previous", None),
    ("stop talking", "control.stop", None),
])
def test_second_review_of_round_nine(guide: Guide, text: str, expected: str | None, never: str | None) -> None:
    got = reading(guide, text)
    if expected is not None:
        assert got == expected
    if never is not None:
        assert got != never


@pytest.mark.parametrize(("text", "expected"), [
    # templates whose words were meant optional ("[be]", not "(be)")
    ("is that why my back has been so sore", "fact.untreated"),
    ("is the infection what is causing my back so sore", "fact.untreated"),
    ("are the exercises made for me", "fact.rehabilitation"),
    ("what is bad about open surgery", "fact.open_surgery"),
    ("would I be able to go to the gym after", "fact.normal_activities"),
    ("is there less chance of catching another infection", "fact.lower_infection_risk"),
])
def test_second_review_of_round_nine_templates_with_optional_words(guide: Guide, text: str, expected: str) -> None:
    got = guide.understander.understand(text)
    assert got.exact and got.intent is not None and got.intent.name == expected


@pytest.mark.parametrize(("text", "read_as"), [
    # a dialect form that is also an English word is the English word after a determiner
    ("I had a bout of discitis last year", "i had a bout of discitis last year"),
    ("tell mi bout dat", "tell me about that"),
    ("my ma has it", "my ma has it"),
    ("does ma back need it", "does my back need it"),
    ("he had an mi", "he had an mi"),
    ("wean off the antibiotics", "wean off the antibiotics"),
    # a contraction's ending is kept after a dialect form; "o'clock" is none
    ("8 o'clock", "8 oclock"),
    ("whit's that", "what is that"),
    ("is there wi fi", "is there wifi"),
    # a dropped g is put back only where the word with it is known as written
    ("within a week", "within a week"),
    ("Justin said so", "justin said so"),
    ("knowin aboot it", "knowing about it"),
    ("what is daein' it", "what is doing it"),
    ("he said 'begin'", "he said begin"),
    # a Scots "no" after a subject and a verb, in either order, within one stretch of words
    ("I will no problem", "i will no problem"),
    ("ye might no need surgery", "you might not need surgery"),
    ("he'll no manage the stairs", "he will not manage the stairs"),
    ("is it? no", "is it no"),
    ("no, so what is keyhole surgery", "no so what is keyhole surgery"),
])
def test_second_review_of_round_nine_reading(guide: Guide, text: str, read_as: str) -> None:
    assert guide.understander.read(text) == read_as.split()


def test_a_wee_thing_is_small_and_a_wee_alone_passing_water(guide: Guide) -> None:
    understander = guide.understander
    concepts = understander._mapper.concepts
    assert "small" in concepts(understander.read("the wee keyhole op"))
    assert "bladder" in concepts(understander.read("does it hurt to wee"))
    assert "bladder" not in concepts(understander.read("the cut's that wee"))


def test_a_dropped_ending_is_put_back_only_to_make_a_known_word() -> None:
    from voiceguide.normalize import unclipped
    known = {"knowing", "pin", "ping", "thing", "doing"}
    assert unclipped("knowin", known) == "knowing"
    assert unclipped("pin", known) == "pin"  # a word known as it is stays
    assert unclipped("cabin", known) == "cabin"  # "cabing" is no word
    assert unclipped("thin", known, kept={"thin"}) == "thin"
    assert unclipped("doin", known) == "doing"
    assert unclipped("doin", known, longer_than=4) == "doin"
    assert unclipped("draggin", {"dragging"}, endings=(("in", "ing"),)) == "dragging"


@pytest.mark.parametrize(("text", "expected"), [
    # round sixteen's misses, read after its held-out figure; phrased here anew: having it done said with
    # "this" is the operation, not being done with the guide
    ("can my mum get this done at her age", "fact.specialist"),
    ("we are done thanks", "control.goodbye"),
    ("that's me done", "control.goodbye"),
    ("can I go back a step", "control.previous"),
    ("off you go", "control.resume"),
    ("who wrote the article", "info.source"),
    # round seventeen's misses, read after its held-out figure; phrased here anew: "what is X when it's at
    # home" asks what X is, and the bit of the guide we are on is where we are
    ("what is keyhole surgery when it's at home", "fact.miss_defined"),
    ("when will he be at home again", "fact.shorter_stay"),
    ("which section is it that we are on", "control.where_am_i"),
])
def test_words_of_round_sixteen_on(guide: Guide, text: str, expected: str) -> None:
    assert intent_of(guide, text) == expected


@pytest.mark.parametrize(("text", "wrong"), [
    # a review of round sixteen's first cut: a patient's history, a step back to think, a bladder backed up,
    # and a named bug in the spine took these
    ("I have a history of back pain, is keyhole ok for me", "out_of_scope.history"),
    ("what instruments did they invent for this", "out_of_scope.history"),
    ("the surgeon said to take a step back and think about it", "control.previous"),
    ("my bladder is backed up", "control.previous"),
    ("is MRSA a spinal infection", "out_of_scope.other_conditions"),
    ("the bed downstairs is ready, when can he come home", "out_of_scope.equipment"),
    # round seventeen's first cut named water infections and leave from work as concepts: their weight took
    # these (the first was rejected as a subject not covered, the second answered nothing)
    ("what's a neck infection, is that the same", "fact.specialist"),
    ("I can't take much more time off, will the pain go quicker with keyhole", "fact.miss_defined"),
    # a review of the second cut: "what bits are there" as a command, a fag (a chore, or tired), a back brace
    # and laser surgery as subjects not covered took these; all taken back
    ("what bits of me will they cut", "control.list_topics"),
    ("it's a right fag getting to physio, is it really necessary", "out_of_scope.diet"),
    ("my mum has a back brace, can she still have keyhole surgery", "out_of_scope.equipment"),
    ("does the surgeon use a laser during the surgery", "out_of_scope.other_treatments"),
])
def test_words_of_round_sixteen_on_stay_in_their_place(guide: Guide, text: str, wrong: str) -> None:
    got = guide.understander.understand(text)
    assert not (got.intent is not None and got.intent.name == wrong), got.confidence
