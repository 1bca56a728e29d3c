"""Red flags: a person reporting emergency signs now, or asking for urgent help.

This detector stands apart from the general matcher on purpose. It has its
own word classes and rules over the normalised words (``red_flags`` in
``intents/safety.yaml``), so the urgent message comes first whatever the
general matcher scores, and either can change without the other.

Phrases are found wherever they occur, each giving its word classes, and a
phrase inside a longer one does not count ("pins and needles" is *numb*, not
*leg*); phrases that only overlap both count ("she don't know where she is":
"do not know" and "not know where she is"), except that a phrase which is not
what it seems drops every phrase it overlaps ("help me decide" is no request,
"very bad with pain" no distress). Then two kinds of rule:

- a *request* for urgent help ("call an ambulance", "help me"): counts unless
  asked about in general ("when should I call an ambulance", "would that be an
  emergency", and "is that an emergency" after a supposition: "if someone can
  not pee, is that an emergency"), never when the question points back at what
  was told ("she's not herself, does that mean we should call an ambulance");
- a *sign*, classes close together ("my legs have gone numb": *leg*, *numb*):
  counts when it is reported, not asked about. It must not follow a
  question's opening word ("is numbness in the legs a sign"), have a
  question word between its parts ("my wound might get infected"), or be
  framed by the words before it ("will I have weak legs", "if my legs felt
  weak", "is it normal for your legs"); the utterance must not be about
  symptoms in general ("in general"), nor the sign's own clause be told in a
  past tense of the distant past ("my legs went numb years ago", but not "I
  can't feel my legs, I had the op years ago" nor "back pain for weeks and a
  fever"), unless it also says something is happening now
  ("since last night"), or compares the present with that past ("worse than
  before the operation").
  Words that ask what a sign is ("this is sign of infection?") count only
  for a sign that is no one's own ("my back is agony, is this a sign of
  infection?" reports). An aside ("I suppose you'd call it") asks nothing,
  and a sign asked about and then owned ("that's what I've got") is told.

Reading back for a frame stops where a clause is told in its own right: at a
subject ("I", "he") or a subject and its verb ("my legs have", "the pain is")
that no question word comes right before, so "should I be worried, my legs
have gone numb" and "what should I do, I've wet myself" report. A question
word after "I don't know" is no question ("I don't know what is happening").

A symptom that is denied ("no fever", "it's not red or anything", "he
doesn't have a temperature") is no part of a sign, and a sign told before
words that say it was seen to or has gone ("but the nurse said it's fine")
counts only if a symptom follows them; a spell that ended, its subject unsaid
("her legs felt weak for a few days and then got better"), clears only the sign
whose clause it continues. Each sign may have its own window:
the parts of "he don't pee" belong together only when close, but a rambling
report of pain may say it is unbearable a dozen words later.

Every rule, word list and class is data, chosen on the public guidance the
urgent message follows and on the dev writers' phrasings; bench/redflags.py
measures it per writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise, product
from typing import Any

from .errors import DataError
from .morphology import phrase_variants
from .normalize import singular, unclipped, words
from .yamlfile import LocatedDict, LocatedList, line_of

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Sign:
    """One red-flag sign: word classes that occur close together."""

    classes: tuple[str, ...]
    """The classes, each found once (a class named twice needs two different phrases:
    "boiling hot and shaking")."""
    window: int
    """How many words apart the first and the last part may be."""
    ordered: bool = False
    """The classes occur in the order listed: a denial before passing urine ("he has not peed"),
    not after it ("peeing fine, no problems there")."""
    adjacent: bool = False
    """Each class right after the one before, in the order listed, only ``inserts`` between ("my legs have
    gone", not "my leg pain has gone")."""


@dataclass(frozen=True)
class RedFlagRules:
    """The red-flag word knowledge, as loaded from an intents file."""

    classes: dict[Phrase, frozenset[str]] = field(default_factory=dict)
    """Phrase (singular words) -> the word classes it belongs to ("pins and needles" -> numb)."""
    requests: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = ()
    """(intent, class lists) in order of precedence: any list found is a request for urgent help."""
    report_intent: str = "safety.urgent"
    """The intent of a sign reported now."""
    signs: tuple[Sign, ...] = ()
    """The signs that, reported, are a red flag."""
    window: int = 8
    """How many words apart the classes of one sign may be, unless the sign says otherwise."""
    lookback: int = 6
    """How many words before a sign are read for a question or a supposition."""
    request_asking: tuple[Phrase, ...] = ()
    """Words that, before a request, ask about it in general ("when should i call"), or suppose it ("if
    I get a fever, then I should call the doctor"); not right after a word that points back at what was
    told ("does that mean we should call an ambulance" asks about now)."""
    request_naming: tuple[Phrase, ...] = ()
    """Words that ask about a request only as their complement, right after them (articles and ``naming``
    aside): "would that be an emergency" asks, "would it be possible to send an ambulance" and "could that
    be a stroke? get me an ambulance" do not; nor one that a ``supposing`` word follows ("would it be worth
    calling an ambulance if my legs go numb")."""
    naming: tuple[Phrase, ...] = ()
    """Words between a ``request_naming`` cue and its complement that keep it a question ("would that be
    classed as an emergency")."""
    supposing: tuple[Phrase, ...] = ()
    """Words that, after a request with a ``request_naming`` cue anywhere before it, suppose it ("would it
    be sensible to ring 999 if I get a fever"); not before "you" ("if you can")."""
    request_supposed: tuple[Phrase, ...] = ()
    """Words that ask about a request as their complement (articles aside) only after a supposition of
    ``supposition`` ("if someone can not pee, is that an emergency"); after what was told they point back at
    it ("he has gone floppy, is this an emergency" pleads)."""
    supposition: frozenset[str] = frozenset()
    """Words that suppose what is asked about after them ("if", "suppose"), for ``request_supposed``."""
    later: tuple[Phrase, ...] = ()
    """Words that, in a clause after a ``supposing`` word, keep it a supposition whatever ``stating`` word
    it has: it looks ahead or is anyone's ("if I have a fever after the op", "if a patient has numb legs")."""
    stating: frozenset[str] = frozenset()
    """Words that, within three words after a ``supposing`` word, tell a state that is so ("if she's gone
    blue", "if he's confused"): no supposition, and the request before it stands."""
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
    past: tuple[Phrase, ...] = ()
    """Words that put the signs of their clause in the long past ("my legs went numb years ago", "I
    had sepsis as a child"), not a sign told in a clause of its own ("I can't feel my legs, I had the
    op a decade ago"); like ``general``, outweighed by ``now``, and not when compared with."""
    closing: frozenset[str] = frozenset()
    """Last words of a ``past`` cue that end its clause ("had the op years ago, legs numb, can't pee"),
    unless the cue opens it ("years ago my legs went numb")."""
    past_tense: frozenset[str] = frozenset()
    """Verbs of a past tense ("had", "went"; words in "-ed" count unlisted): a ``past`` cue makes past only
    the signs of a clause told so."""
    present_tense: frozenset[str] = frozenset()
    """Verbs of the present ("is", "can"): in a clause, unless after "to", a modal or a past verb ("used to
    have", "could not feel"), they keep its signs now whatever ``past`` cue it has."""
    questions: frozenset[str] = frozenset()
    """Verbs that, before a subject or a word that points back, open a question and so a clause ("is that
    normal", "am I at risk")."""
    persisting: frozenset[str] = frozenset()
    """Words that, in a clause told after a past one, say its sign goes on now ("and I still can't")."""
    continuing: frozenset[str] = frozenset()
    """Words that, right after a ``closing`` cue, go on with its clause ("years ago after my gallbladder")."""
    now: tuple[Phrase, ...] = ()
    """Words that say something is happening now ("since", "this morning"); they outweigh ``general``."""
    comparing: frozenset[str] = frozenset()
    """Words that, right before a ``general`` cue or before a subject and its verb before it, compare
    the present with it ("worse than before the operation", "worse than it did before the op"): that
    cue does not count."""
    resembling: frozenset[str] = frozenset()
    """Words that compare like ``comparing`` before a ``past`` cue only ("like when he was little"), never
    before a ``general`` one ("signs like for example numb legs")."""
    negators: tuple[Phrase, ...] = ()
    """Words that deny the symptom after them ("no fever", "not red", "without a temperature")."""
    negatable: frozenset[str] = frozenset()
    """The classes a negator can deny: symptoms, not the body parts they happen in."""
    fillers: frozenset[str] = frozenset()
    """Words that may stand between a negator and what it denies ("has not got a fever")."""
    joins: frozenset[str] = frozenset()
    """Words that carry a denial on to the next symptom ("not red or swollen")."""
    mourning: tuple[Phrase, ...] = ()
    """Words that tell of a death ("my friend died of sepsis"): one of ``mourned`` right after them
    (``fillers`` aside) is no one's now, as if denied; not after one of ``surviving``."""
    mourned: frozenset[str] = frozenset()
    """The classes that ``mourning`` words take: what people die of (sepsis, a heart attack), so that
    only those can be no one's now, never how much it hurts."""
    surviving: frozenset[str] = frozenset()
    """Words that, within three words before ``mourning`` words, say the death is happening now or did
    not happen ("I think he's just died of a heart attack", "I nearly died of sepsis and I've got it
    again"): what follows is a sign like any other."""
    fearing: frozenset[str] = frozenset()
    """Words that, within three words before one of ``perfect`` right before ``mourning`` words, say a
    death is feared now ("I think she's died from a seizure"), not told ("my friend has died of sepsis")."""
    perfect: frozenset[str] = frozenset()
    """Verbs of the perfect ("has", "is" as "she's" is read) that ``fearing`` needs right before a death."""
    determiners: frozenset[str] = frozenset()
    """Words that open the subject of a clause told in its own right ("my", "the")."""
    finite: frozenset[str] = frozenset()
    """Verbs that, after such a subject, make it a clause ("is", "have", "went")."""
    complements: frozenset[str] = frozenset()
    """Words that take such a clause as their object, so that it is asked about with them
    ("how do I know the wound is infected")."""
    evaluating: frozenset[str] = frozenset()
    """Words that, right before a clause (or "that" and a clause), ask what to make of it, not whether
    it is so ("is it normal that my legs have gone numb": they have): the sign in it is reported when
    the clause is about someone or something in particular (RedFlagDetector._evaluated)."""
    worrying: frozenset[str] = frozenset()
    """The words of ``evaluating`` that say someone worries: after one, "about" and someone's sign
    tells it ("should I worry about my legs going numb"), unless the worry itself is asked about
    (RedFlagDetector._worry_asked) or the sign looks ahead."""
    ahead: tuple[Phrase, ...] = ()
    """Times that look ahead of now ("after the op", "when I get home"): in an infinitive after one of
    ``evaluating``, with no ``now`` word, they ask what to expect ("is it normal for my legs to feel weak
    after the op"), not what to make of a sign that is there."""
    overriding: frozenset[str] = frozenset()
    """Classes whose phrases also drop every phrase they overlap ("my husband is very bad with
    pain": "bad with" drops "very bad")."""
    settled: tuple[Phrase, ...] = ()
    """Words that say a sign told before them has been seen to or has gone ("the nurse said
    it's fine", "it's gone now"); ``inserts`` may stand inside them as inside a phrase."""
    ended: tuple[Phrase, ...] = ()
    """Words that end a spell told in the same clause, its subject left unsaid ("her legs felt weak
    for a few days and then got better"): they clear only a sign they continue, with no subject, break
    or symptom between ("I can't feel my legs. The headache came and then went away" reports)."""
    inflected: frozenset[str] = frozenset()
    """Classes whose phrases count in every verb form ("buckle": buckles, buckled, buckling);
    only classes that are one part of a sign of two, so that no new form alone is a sign."""
    inserts: frozenset[str] = frozenset()
    """Small words that may stand inside a phrase of two words or more without breaking it
    ("I just need help", "I have not passed any water")."""
    max_inserts: int = 2
    """How many of them one phrase may take."""
    knowing: tuple[Phrase, ...] = ()
    """Words after which a question word opens a statement, not a question ("I don't know what
    is happening", "not sure what is going on")."""
    done: frozenset[str] = frozenset()
    """Past participles that, after a subject and "have", say something has happened ("if I have
    wet the bed twice tonight"); words ending in "ed" count without being listed."""
    unpassed: frozenset[str] = frozenset()
    """Passing water, the one thing whose not having been done is the sign: after "if", a subject,
    "have" and "not" or "never", one of these as the participle or in the three words after it ("is it
    bad if she hasn't peed all day", "if I have not had a wee since breakfast") tells what has not
    happened; anything else not done is good news ("is it ok if I have not wet myself today")."""
    able: frozenset[str] = frozenset()
    """Words that, after a question word and before "not", ask about what is happening ("why can
    not I feel anything": a report), where "will not" and "would not" may suppose ("why will not
    my legs be weak")."""
    articles: frozenset[str] = frozenset()
    """Words that may stand between a question's opening word and the sign it asks about ("are the
    legs weak")."""
    alternatives: frozenset[str] = frozenset()
    """Words that join a second question to the first: an opening word right after one opens a
    question, as after a break ("would that be a worry, or is a bit of a temperature normal")."""
    spoken: tuple[tuple[str, str], ...] = ()
    """(spoken, standard): spoken or dialect forms of small words, read as the standard word before
    anything else ("meself": myself)."""
    read_as: tuple[tuple[Phrase, Phrase], ...] = ()
    """(phrase, meant): phrases read as the words they mean before anything else ("not able to": can not,
    "I haven't been able to feel my legs")."""
    spoken_nouns: tuple[tuple[str, str], ...] = ()
    """(spoken, noun): dialect forms that are a noun right after a determiner or one word after it ("my
    big tae": toe), and the ``spoken`` word elsewhere ("tryin tae go")."""
    possessive: tuple[tuple[str, str], ...] = ()
    """(word, "my"): words that many say for "my", read so only right before one of ``owned`` ("me legs", "me
    bits"), never elsewhere ("help me", "tell me a bit")."""
    owned: frozenset[str] = frozenset()
    """Nouns, the body's and what one wears or lies on, before which a ``possessive`` says "my"."""
    clipped: tuple[tuple[str, str], ...] = ()
    """(clipped, full): word endings dropped in speech and in typing it ("draggin", "nothin"): a word
    the rules do not know is read with the full ending when that makes a word they know."""
    whole: frozenset[str] = frozenset()
    """Words that only look clipped ("thin", "puffin"): never read with an ending put back."""
    negative: tuple[tuple[str, str], ...] = ()
    """(word, "not"): a dialect's word for "not" that is "no" in the standard ("he is no been to the
    toilet"), read so only after a subject (a pronoun, a word of ``personal`` or a noun after a
    determiner) and one of ``auxiliary``, or after such a noun whose "'s" was dropped ("my dad's no
    making sense"), and right before a verb form ("been", a word in "-ing", a past participle of
    ``done`` or in "-ed"), never before a noun ("there was no warning", "he is no fever")."""
    auxiliary: frozenset[str] = frozenset()
    """The verbs after which, with a subject before them, a ``negative`` word may say "not" ("is")."""
    small: tuple[tuple[str, str], ...] = ()
    """(word, "little"): a dialect's word for "small" that is also a word of the rules ("wee"), read
    as small only after a determiner and before what it describes: one of ``described`` ("a wee
    bit") or a word that is a phrase of the classes and no verb in "-ing" ("a wee cut", but "the
    wee coming out")."""
    terse: frozenset[str] = frozenset()
    """Classes whose phrases say all in few words ("my legs went"): they count unless what follows says
    how the leg is instead ("my leg went a bit red", "my leg's gone back to normal": a phrase of one of
    ``descriptions`` or one of ``states``, only ``describing`` words between), or the leg is only where
    something is ("the pain in my leg has gone": one of ``places`` and a determiner before it). Anything
    else after them leaves them a sign ("my legs went a minute ago", "went very suddenly")."""
    describing: frozenset[str] = frozenset()
    """Words that may stand between a ``terse`` phrase and what says how the leg is ("a", "bit", "very")."""
    descriptions: frozenset[str] = frozenset()
    """Classes whose one-word phrases, after a ``terse`` phrase, say how the leg looks or feels ("red",
    "purple")."""
    states: tuple[Phrase, ...] = ()
    """Words that, after a ``terse`` phrase, say how the leg is rather than that it went ("back", "up",
    "better"); one of two words whose first is a verb counts only after a phrase that ends with it ("gone
    down": the swelling, while "legs went. down on the rug." is a fall). Only at the end or before one of
    ``state_ends`` or a ``now`` cue that ends the utterance ("gone down a lot", "gone down now"): anything
    else may be a new sentence ("legs have gone, down on the floor", "legs have gone, better come quick")."""
    state_ends: tuple[Phrase, ...] = ()
    """Words after which a state still says how the leg is ("gone down a lot", "gone back to normal")."""
    places: frozenset[str] = frozenset()
    """Words that, with a determiner, before a ``terse`` phrase make its leg a place ("in my leg"), unless
    one of ``faculties`` comes right before them ("the feeling in my legs has gone" is a sign)."""
    passages: frozenset[str] = frozenset()
    """Words that make a leg a place like ``places`` only right after a symptom ("the pain down my leg has
    gone"), never after a verb ("I sat down, my legs went")."""
    faculties: frozenset[str] = frozenset()
    """What a leg can lose ("strength", "feeling"): before one of ``places``, the leg is no mere place."""
    described: frozenset[str] = frozenset()
    """Words a ``small`` word describes that open no phrase of the classes ("bit", "while")."""
    undescribed: frozenset[str] = frozenset()
    """Classes before whose words a ``small`` word is never small ("a wee accident" is the bladder's)."""
    passing: tuple[Phrase, ...] = ()
    """Words that say a sign will pass or mend ("go away", "get better"): a ``now`` cue right after
    them looks ahead ("is that likely to go away now"), and says nothing is happening now."""
    asides: tuple[Phrase, ...] = ()
    """Words told aside, about the words rather than the sign ("pins and needles, I suppose you would
    call it, round my seat"): never read as asking about a sign they stand inside or before."""
    owning: tuple[Phrase, ...] = ()
    """Words after a sign asked about that say the speaker has it ("is it usual to have no feeling
    down there? Because that is what I have got"): the sign is told."""
    classifying: tuple[Phrase, ...] = ()
    """Words that ask what a sign is or name the list of signs ("is a sign of", "one of the danger
    signs"): like ``general``, unless the sign is someone's own (``personal``) or something is
    happening now, so that "fever and back pain, this is sign of infection?" asks, while "my back
    is agony, is this a sign of infection?" reports."""
    personal: frozenset[str] = frozenset()
    """Words that, within ``personal_reach`` words before or after a part of a sign (``inserts``
    aside), make it someone's own ("my legs", "I am burning up", "a wound in my husband")."""
    personal_reach: int = 2
    """How many words from a part of a sign a ``personal`` word may stand."""
    saying: frozenset[str] = frozenset()
    """Words of saying, knowing or thinking: reading back for a ``personal`` word stops at one, since
    who says or knows it is not who has it ("she says numbness down there is a sign")."""
    foreseeing: frozenset[str] = frozenset()
    """Words that look ahead to a sign passing ("will", "likely", "when"): only within three words
    before ``passing`` words, and not denied ("won't go now" is happening now)."""
    having: frozenset[str] = frozenset()
    """Words that, before a ``classifying`` cue, say someone has the signs ("he has all the red
    flags", "she is showing the danger signs"): that cue asks nothing."""
    grouping: frozenset[str] = frozenset()
    """Words that, just before a ``classifying`` cue after signs, gather them into a list asked about
    ("numb legs and a fever, are those red flags?")."""
    pointing: frozenset[str] = frozenset()
    """Words that, right before a ``classifying`` cue after a sign, point back at what was just
    told ("back agony, fever 39, this is sign of infection?"): that cue does not make it general."""

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
        self._classes = _with_forms(rules.classes, rules.inflected)
        self._longest = max((len(p) for p in self._classes), default=1)
        self._general_cues = _by_first_word(rules.general)
        self._past_cues = _by_first_word(rules.past)
        self._long_ago = _by_first_word(rules.general + rules.past)
        self._settled_cues = _by_first_word(rules.settled)
        self._ended_cues = _by_first_word(rules.ended)
        self._now_cues = _by_first_word(rules.now)
        self._aside_cues = _by_first_word(rules.asides)
        self._owning_cues = _by_first_word(rules.owning)
        self._classifying_cues = _by_first_word(rules.classifying)
        self._later_cues = _by_first_word(rules.later)
        self._ahead_cues = _by_first_word(rules.ahead)
        self._spoken = dict(rules.spoken)
        self._nouns = dict(rules.spoken_nouns)
        self._possessive = dict(rules.possessive)
        self._negative = dict(rules.negative)
        self._small = dict(rules.small)
        # Every word the rules know, so that a clipped ending is put back only to make one of them.
        cues = (rules.general, rules.now, rules.settled, rules.asking, rules.asides, rules.owning,
                rules.classifying, rules.passing, rules.negators, rules.knowing, rules.request_asking)
        self._vocabulary = {w for phrase in (*self._classes, *(c for group in cues for c in group)) for w in phrase}

    def detect(self, said: list[str]) -> str | None:
        """The red-flag intent for these normalised words (normalize.words), or None."""
        seq = self._read(said)
        hits = self._hits(seq)
        for intent, sets in self.rules.requests:
            for classes in sets:
                if any(not self._request_asked(seq, combo, hits)
                       for combo in self._found(hits, classes, self.rules.window)):
                    return intent
        hits = self._affirmed(seq, hits)
        settled_spans = self._settled_spans(seq, hits)
        now = self._now(seq, settled_spans)
        # A sign asked about and then owned ("is that usual? Because that is what I have got") is told,
        # someone's own and happening now, whatever general words it was asked with.
        owned_from = max((pos for pos, _ in self._owning(seq)), default=-1)
        general = self._general(seq) and not now
        if general and owned_from < 0:
            return None
        settled = max((pos for pos, _ in settled_spans), default=-1)
        ended = self._ended(seq, hits)
        cues = [] if now else self._classifying(seq)
        past = [] if now else [(pos, end) for pos, end in _occurrences(seq, self._past_cues)
                               if not self._compared(seq, pos, self.rules.comparing | self.rules.resembling)]
        for sign in self.rules.signs:
            for combo in self._found(hits, sign.classes, sign.window, sign.ordered, seq if sign.adjacent else None):
                end = max(h.end for h in combo)
                if end <= settled or any(end <= pos for pos in ended if self._continues(seq, hits, end, pos)):
                    continue
                if owned_from >= end:
                    return self.rules.report_intent
                if general or (self._classified(seq, combo, cues) and not self._personal(seq, combo)):
                    continue
                if any(self._in_past(seq, combo, cue) for cue in past):
                    continue
                if self._reported(seq, combo):
                    return self.rules.report_intent
        return None

    def _classifying(self, seq: list[str]) -> list[tuple[int, int]]:
        """(start, end) of every ``classifying`` cue that asks, not one that says someone has the
        signs ("he has all the red flags", "she is showing the danger signs")."""
        rules = self.rules
        out = []
        for pos, end in _occurrences(seq, self._classifying_cues):
            before = pos - 1
            while before >= 0 and (seq[before] in rules.articles or seq[before] == "all"):
                before -= 1
            if before < 0 or seq[before] not in rules.having:
                out.append((pos, end))
        return out

    def _classified(self, seq: list[str], combo: tuple[_Hit, ...], cues: list[tuple[int, int]]) -> bool:
        """A cue asks what this sign is. One after the sign does only when the sign is its subject
        ("leg numbness is a warning sign") or named with an article, not as a tag pointing back at
        what was told ("legs numb and weak, red flag?", "back agony, fever 39, this is sign of
        infection?")."""
        rules = self.rules
        end = max(h.end for h in combo)
        # A sign named with an article ("numbness in the legs, this is symptom of ...?", "back pain
        # with a fever, is that on the list?") is spoken of, not told: the tag asks about it.
        named = any(h.start > 0 and seq[h.start - 1] in rules.articles for h in combo)
        for pos, _ in cues:
            if pos < end or named:
                return True
            verb = pos
            while verb > 0 and seq[verb - 1] in rules.articles:
                verb -= 1  # "fever and back pain together are a red flag": the sign is its subject
            if seq[verb] in rules.openers or (verb > 0 and seq[verb - 1] in rules.openers):
                opener = verb if seq[verb] in rules.openers else verb - 1
                if opener == 0 or seq[opener - 1] not in rules.pointing:
                    return True
            if rules.grouping.intersection(seq[max(0, pos - 2) : pos]):
                return True  # "numb legs and a fever, are those red flags?": the list asked about
        return False

    def _personal(self, seq: list[str], combo: tuple[_Hit, ...]) -> bool:
        """A part of the sign is someone's own: a ``personal`` word stands within ``personal_reach``
        words before or after it, ``inserts`` aside, with no word of ``saying`` between ("my legs",
        "I am burning up", "I had a little temperature")."""
        rules = self.rules
        for hit in combo:
            if seq[hit.start : hit.start + 2] in (["can", "not"], ["could", "not"]) and (
                    hit.start == 0 or seq[hit.start - 1] not in rules.saying):
                return True  # "can not pee" without a subject is said of oneself
            for way in (range(hit.start - 1, -1, -1), range(hit.end, len(seq))):
                seen = 0
                for pos in way:
                    if seq[pos] in rules.inserts:
                        continue
                    if seq[pos] in rules.saying:
                        break
                    # after the part, a subject starts a clause of its own ("back pain, why they are bad")
                    if seq[pos] in rules.personal and not (pos > hit.start and seq[pos] in rules.subjects):
                        return True
                    seen += 1
                    if seen == rules.personal_reach:
                        break
        return False

    def _owning(self, seq: list[str]) -> list[tuple[int, int]]:
        """Where the speaker says they have a sign just asked about ("that is what I have got"); not
        when that is asked or supposed in turn ("if I have got that")."""
        rules = self.rules
        starts_now = {pos for pos, _ in _occurrences(seq, self._now_cues)}
        return [(pos, end) for pos, end in self._padded(seq, self._owning_cues)
                if (pos == 0 or seq[pos - 1] not in rules.inverting)
                # the cue ends its clause: "that is what I have been told" owns nothing
                and (end == len(seq) or seq[end] in rules.breaks or end in starts_now)]

    def _read(self, said: list[str]) -> list[str]:
        """The words folded to their singular, with spoken forms read as standard ones ("meself":
        myself) and a possessive as "my" right before an owned noun ("me bits": my bits)."""
        rules = self.rules
        folded = self._read_as([singular(w) for w in said])
        seq = [self._unclipped(self._nouns[w] if w in self._nouns and self._noun_at(folded, pos)
                               else self._spoken.get(w, w))
               for pos, w in enumerate(folded)]
        out: list[str] = []
        for pos, word in enumerate(seq):
            after = seq[pos + 1] if pos + 1 < len(seq) else ""
            before = out[-1] if out else ""
            if word in self._possessive and after in rules.owned:
                word = self._possessive[word]
            elif word in self._negative and self._has_subject(out) and (
                    after == "been" or after.endswith("ing") or after in rules.done
                    or (after.endswith("ed") and len(after) > 4)):
                word = self._negative[word]  # "he is no making sense", not "there was no warning"
            elif (word in self._small and (before in rules.determiners or before in rules.articles)
                  and self._describes(out, word, seq[pos + 1 :])):
                word = self._small[word]  # "a wee bit numb", "a wee cut"; not "cannae wee", "the wee coming out"
            out.append(word)
        return out

    def _read_as(self, seq: list[str]) -> list[str]:
        """The words with each phrase of ``read_as`` put as the words it means ("not able to": can not)."""
        out: list[str] = []
        pos = 0
        while pos < len(seq):
            for phrase, meant in self.rules.read_as:
                if tuple(seq[pos : pos + len(phrase)]) == phrase:
                    out.extend(meant)
                    pos += len(phrase)
                    break
            else:
                out.append(seq[pos])
                pos += 1
        return out

    def _noun_at(self, folded: list[str], pos: int) -> bool:
        """The word at ``pos`` stands where a noun does: right after a determiner or a word that says
        "my" ("ma tae"), or one word after one with a verb or nothing after it ("my big tae's gone numb",
        not "the doctor tae come")."""
        rules = self.rules
        owners = rules.determiners | self._possessive.keys()
        after = folded[pos + 1] if pos + 1 < len(folded) else ""
        return (pos > 0 and folded[pos - 1] in owners) or (
            pos > 1 and folded[pos - 2] in owners
            and (not after or after in rules.finite or after in rules.done or after in rules.auxiliary))

    def _has_subject(self, out: list[str]) -> bool:
        """The words read so far end with a subject and a verb of ``auxiliary`` ("he is", "my dad is"),
        or with a noun subject whose "'s" was dropped ("my dad", "mum")."""
        rules = self.rules

        def subject(at: int) -> bool:
            return at >= 0 and (out[at] in rules.subjects or (out[at] in rules.personal
                                                              and out[at] not in rules.determiners)
                                or (at > 0 and (out[at - 1] in rules.determiners
                                                or out[at - 1] in self._possessive)))  # "ma man's no"
        if out and out[-1] in rules.auxiliary:
            return subject(len(out) - 2)
        return bool(out) and out[-1] not in rules.subjects and subject(len(out) - 1)

    def _describes(self, out: list[str], word: str, rest: list[str]) -> bool:
        """A ``small`` word after a determiner describes what follows: one of ``described`` that is
        no part of the bladder's own ("a wee bit of a temperature", not "a wee bit of an accident"),
        or a word that is a phrase of the classes, no verb form, and not the bladder's ("a wee cut";
        not "a wee leak", "the wee coming out", nor "had a wee, confused", a phrase with the word
        before)."""
        rules = self.rules
        if not rest:
            return False
        after = rest[0]
        if after in rules.described:
            head = 1
            while head < len(rest) and (rest[head] == "of" or rest[head] in rules.articles):
                head += 1  # "a wee bit of an accident": the accident is the bladder's
            return head == len(rest) or not self._classes.get((rest[head],), frozenset()) & rules.undescribed
        if (after,) not in self._classes or after.endswith("ing") or (after.endswith("ed") and len(after) > 4):
            return False
        if any((*out[-n:], word) in self._classes for n in (2, 3) if len(out) >= n):
            return False  # "had a wee", "go for a wee"
        return not self._classes[(after,)] & rules.undescribed

    def _unclipped(self, word: str) -> str:
        """The word with an ending dropped in speech put back ("draggin": dragging), when the rules
        know it only so; a word they know as it is stays ("pin")."""
        return unclipped(word, self._vocabulary, self.rules.clipped, self.rules.whole)

    def _now(self, seq: list[str], settled: Sequence[tuple[int, int]] = ()) -> bool:
        """Something is said to happen now; a cue right after words of passing looks ahead ("will
        that go away now"), and one inside a ``settled`` cue says it is over ("it is gone now"):
        neither counts."""
        return any(not self._looks_ahead(seq, pos, end)
                   and not any(s <= pos and end <= e for s, e in settled)
                   for pos, end in _occurrences(seq, self._now_cues))

    def _looks_ahead(self, seq: list[str], pos: int, end: int) -> bool:
        """The now cue at ``pos`` follows words of passing that are looked ahead to ("is that likely
        to go away now"), not denied ("they won't settle now"). "since" always says now."""
        rules = self.rules
        if seq[pos:end] == ["since"]:
            return False
        for phrase in rules.passing:
            start = pos - len(phrase)
            if start < 0 or tuple(seq[start:pos]) != phrase:
                continue
            before = seq[max(0, start - 3) : start]
            if "not" not in before and "never" not in before and rules.foreseeing.intersection(before):
                return True
        return False

    def _settled_spans(self, seq: list[str], hits: list[_Hit]) -> list[tuple[int, int]]:
        """(start, end) of every ``settled`` cue ("the nurse said it's fine") that no symptom
        follows ("but now it's worse"): a sign told before it has been seen to or has gone. A
        cue that overlaps a symptom ("the feeling is gone now") does not count; one that overlaps
        a phrase that is no symptom ("back to normal now") does."""
        rules = self.rules
        symptoms = [h for h in hits if h.cls in rules.negatable]
        return [(pos, end) for pos, end in self._padded(seq, self._settled_cues)
                if not any(h.start < end and pos < h.end for h in symptoms)
                and not any(h.start >= end for h in symptoms)
                and not self._own_subject(seq, hits, pos) and not self._past_clause(seq, hits, pos)]

    def _ended(self, seq: list[str], hits: list[_Hit]) -> list[int]:
        """Where each ``ended`` cue starts that no symptom follows ("and then got better", not "... and
        then got better, but now he can not stand")."""
        symptoms = [h for h in hits if h.cls in self.rules.negatable]
        return [pos for pos, end in self._padded(seq, self._ended_cues)
                if not any(h.start >= end for h in symptoms)]

    def _continues(self, seq: list[str], hits: list[_Hit], end: int, cue: int) -> bool:
        """The ``ended`` cue at ``cue`` continues the clause of a sign ending at ``end``: no subject, break
        or symptom of its own between them, nor a verb of a clause of its own ("I can not wee. The kids were
        off school and then got better")."""
        rules = self.rules
        return not any(seq[k] in rules.subjects or seq[k] in rules.breaks or seq[k] in rules.finite
                       for k in range(end, cue)) \
            and not any(end <= h.start < cue for h in hits if h.cls in rules.negatable)

    def _past_clause(self, seq: list[str], hits: list[_Hit], cue: int) -> bool:
        """A clause of its own about the past stands between the signs told and the all-clear at
        ``cue`` ("my legs have gone numb and I can't wee. I had a bad back years ago but that's gone
        now"): the all-clear is of that past, not of the signs."""
        rules = self.rules
        for start, _ in _occurrences(seq, self._long_ago):
            if start >= cue:
                continue
            told = [h.end for h in hits if h.end <= start]
            # a subject of its own, told ("I had a bad back", not "when I was in hospital"), with
            # something of its own between it and the cue
            if told and any(seq[pos] in rules.subjects and not self._inverted(seq, pos)
                            and any(pos < h.start < start for h in hits)
                            for pos in range(min(told), start)) \
                    and not any(h.start >= start for h in hits if h.cls in rules.negatable):
                return True
        return False

    def _in_past(self, seq: list[str], combo: tuple[_Hit, ...], cue: tuple[int, int]) -> bool:
        """Every symptom of the sign (every part when it has none) is told in the clause of the ``past`` cue
        at ``cue``, and that clause is told in a past tense ("my legs went numb years ago", "I had pins and
        needles for weeks"), with no later clause that says it goes on now ("... and I still can't", "...
        and they're worse"); a symptom asked in a question of its own ("..., is fever one of the symptoms")
        tells nothing. A symptom in a clause of its own ("I had the op years ago, my legs are numb"), or in
        one with a present verb ("had surgery last month, can't feel my legs") or none ("back pain for
        weeks and a fever") is not past: when in doubt, the sign counts."""
        pos, cue_end = cue
        if self._dates_other(seq, combo, pos):
            return False
        starts, asked = self._clause_starts(seq)
        if pos == 0 or pos in starts or seq[pos - 1] in self.rules.breaks:
            starts.discard(cue_end)  # "last year I had surgery", "years ago my legs went numb": its own clause
        ends = []
        # The symptoms decide, not where they are ("I had a temperature last month, my back feels fine").
        symptoms = [h for h in combo if h.cls in self.rules.negatable] or list(combo)
        for hit in symptoms:
            lo = max((b for b in starts if b <= hit.start), default=0)
            hi = min((b for b in starts if b >= hit.end), default=len(seq))
            if lo in asked and not (lo <= pos and cue_end <= hi):
                continue  # asked in a question of its own ("..., is fever one of the symptoms")
            if not (lo <= pos and cue_end <= hi) or not self._past_tense(seq, lo, hi):
                return False
            ends.append(hi)
        # every symptom asked in a question of its own, with the past told: nothing told now
        return not ends or not self._persists(seq, max(ends))

    def _dates_other(self, seq: list[str], combo: tuple[_Hit, ...], pos: int) -> bool:
        """The ``past`` cue at ``pos`` dates something other than the sign told before it: a likeness ("my
        legs have gone numb like when I had the spinal years ago", "the same as when ...") or the operation
        ("a fever and back pain after the op last month")."""
        rules = self.rules
        end = max(h.end for h in combo)
        if end <= pos and any(seq[k] in rules.resembling or seq[k : k + 2] == ["same", "as"] for k in range(end, pos)):
            return True
        before = [w for w in seq[max(0, pos - 3) : pos] if w not in rules.determiners and w not in rules.articles]
        return bool(before) and "surgery" in self._classes.get((before[-1],), frozenset())

    def _clause_starts(self, seq: list[str]) -> tuple[set[int], set[int]]:
        """Where a clause starts, punctuation being gone: at a break; at a subject no question word comes
        before ("it" and "that" point back, so "it was years ago" goes on the clause before); at a
        determiner whose noun has a verb ("my legs are", "my bum's gone"); at a question ("is that normal",
        "am I at risk"); and after a ``past`` cue that closes its clause ("had the op years ago, legs numb"). Also
        the starts that open a question."""
        rules = self.rules
        starts: set[int] = set()
        asked: set[int] = set()  # the starts that open a question
        in_cue = {k for pos, end in _occurrences(seq, self._past_cues) for k in range(pos, end)}

        def question(k: int) -> bool:
            after = seq[k + 1] if k + 1 < len(seq) else ""
            if seq[k] in rules.questions and k > 1 and seq[k - 1] in rules.pointing and self._past_verb(seq[k - 2]):
                return True  # "that's how they found it. Is fever one of the symptoms": "it" is an object
            return seq[k] in rules.questions and (after in rules.subjects or after in rules.pointing) \
                and not (k > 0 and seq[k - 1] in rules.subjects)
        for k, word in enumerate(seq):
            if word in rules.breaks or (
                    word in rules.subjects and word not in rules.pointing and not self._inverted(seq, k)):
                starts.add(k)
            elif word in rules.pointing and k + 1 < len(seq) and seq[k + 1] in rules.present_tense \
                    and not self._inverted(seq, k) and not (k > 0 and self._past_verb(seq[k - 1])):
                starts.add(k)  # "that's why they found it", "it will go away": about the sign, not of it
            elif question(k):
                starts.add(k)
                asked.add(k)
            elif word in rules.questions and word in rules.present_tense and k > 0 \
                    and seq[k - 1] not in rules.subjects and seq[k - 1] not in rules.pointing \
                    and k + 1 < len(seq) and (seq[k + 1] in rules.articles or seq[k + 1] in rules.determiners):
                starts.add(k)  # "my temperature was high last month, is the infection back": maybe told
            elif word in rules.determiners and k not in in_cue:  # not "before the op is that normal"
                for verb in range(k + 1, min(k + 5, len(seq))):
                    if seq[verb] in rules.subjects or seq[verb] in rules.pointing or seq[verb] in rules.breaks \
                            or question(verb):
                        break
                    # a participle after the noun is a verb whose "'s" was dropped ("my bum's gone numb")
                    if (seq[verb] in rules.finite or seq[verb] in rules.done) and verb > k + 1:
                        starts.add(k)
                        break
        for _, end in _occurrences(seq, self._past_cues):
            if seq[end - 1] in rules.closing and end < len(seq) and seq[end] not in rules.continuing:
                starts.add(end)  # not "years ago after my gallbladder, it went hot and red"
        return starts, asked

    def _past_tense(self, seq: list[str], lo: int, hi: int) -> bool:
        """The clause from ``lo`` to ``hi`` has a verb in a past tense or the perfect ("had", "went",
        "have had") and none in the present ("is", "can", "have", not after "to" or a modal: "used to
        have", "could not feel")."""
        rules = self.rules
        past = present = False
        for k in range(lo, hi):
            word = seq[k]
            after = seq[k + 1] if k + 1 < hi else ""
            if after == "not" and k + 2 < hi:
                after = seq[k + 2]
            if (word in rules.perfect and after == "got") or (word == "got" and k > lo and seq[k - 1] in rules.perfect):
                present = True  # "I have got a fever" is now, not the perfect
                continue
            perfect = word in rules.perfect and (after in rules.done or after == "been"
                                                  or (after.endswith("ed") and len(after) > 4))
            if perfect or self._past_verb(word):
                past = True
            elif word in rules.present_tense:
                before = k - 1
                while before >= lo and (seq[before] == "not" or seq[before] in rules.inserts):
                    before -= 1
                if before < lo or (seq[before] != "to" and seq[before] not in rules.past_tense
                                   and seq[before] not in rules.questions):
                    present = True
        return past and not present

    def _past_verb(self, word: str) -> bool:
        """A verb of a past tense, or a participle told as one ("my back's been killing me": the "'s" is
        dropped)."""
        rules = self.rules
        return word in rules.past_tense or word in rules.done or (word.endswith("ed") and len(word) > 4)

    def _persists(self, seq: list[str], start: int) -> bool:
        """After ``start``, a clause told now says the sign goes on: a subject, then only verbs of the
        present, "not" or ``inserts`` before one of ``persisting`` ("and I still can't", "and they're
        worse")."""
        rules = self.rules
        for k in range(start, len(seq)):
            if seq[k] not in rules.subjects or self._inverted(seq, k):
                continue
            for word in seq[k + 1 : k + 4]:
                if word in rules.persisting:
                    return True
                if not (word in rules.present_tense or word == "not" or word in rules.inserts):
                    break
        return False

    def _own_subject(self, seq: list[str], hits: list[_Hit], cue: int) -> bool:
        """The all-clear at ``cue`` has a subject of its own that is no part of a sign ("the rash
        she had last year is right as rain now"): it clears that, not a sign told before it."""
        rules = self.rules
        in_hit = {pos for h in hits for pos in range(h.start, h.end)}
        # A body part or wound as subject ("the wound is fine now") is the sign's own.
        in_part = {pos for h in hits if h.cls not in rules.negatable for pos in range(h.start, h.end)}
        for det in range(cue - 2, max(cue - 2 - rules.lookback, -1), -1):
            if seq[det] in rules.breaks:
                return False
            if not (seq[det] in rules.determiners or seq[det] in rules.articles) or det + 2 >= cue \
                    or det + 1 in in_part or seq[det + 1] in rules.subjects:
                continue
            # "the rash she had": a subject of its own, not "the infection, it is gone now"; "the cough
            # is better now", unless a symptom
            copula = ("is", "are", "was", "were")
            if (seq[det + 2] in rules.subjects and det + 3 < cue and seq[det + 3] not in copula) \
                    or (seq[det + 2] in copula and det + 1 not in in_hit):
                return True
        return False

    def _padded(self, seq: list[str], cues: dict[str, tuple[Phrase, ...]]) -> list[tuple[int, int]]:
        """(start, end) of every occurrence of the cues, also with ``inserts`` inside one of two
        words or more, as in a phrase ("the nurse said it was just healing")."""
        found = _occurrences(seq, cues)
        kept_at = [pos for pos, word in enumerate(seq) if word not in self.rules.inserts]
        if len(kept_at) < len(seq):
            for start, end in _occurrences([seq[p] for p in kept_at], cues):
                first, last = kept_at[start], kept_at[end - 1] + 1
                if end - start > 1 and last - first - (end - start) <= self.rules.max_inserts:
                    found.append((first, last))
        return found

    def _general(self, seq: list[str]) -> bool:
        """The utterance is about symptoms in general or long past; a cue compared with the
        present ("worse than before the operation") does not count."""
        return any(not self._compared(seq, pos) for pos, _ in _occurrences(seq, self._general_cues))

    def _compared(self, seq: list[str], pos: int, comparing: frozenset[str] | None = None) -> bool:
        """The cue at ``pos`` is what the present is compared with: a comparing word (``comparing``
        unless others are given) right before it ("worse than before the op"), or before a subject and
        its verb ("worse than it did before the op")."""
        rules = self.rules
        words = rules.comparing if comparing is None else comparing
        return (pos > 0 and seq[pos - 1] in words) or (
            pos > 2 and seq[pos - 3] in words and seq[pos - 2] in rules.subjects)

    def _affirmed(self, seq: list[str], hits: list[_Hit]) -> list[_Hit]:
        """The hits that are not denied. A symptom is denied by a negator before it, with only
        fillers between ("has not got a fever"), or by a join after a denied symptom ("not red or
        swollen"); a body part never is ("can not feel my legs" still has legs), nor a symptom
        that holds a denial of its own ("nothing. can not go": two denials are two statements)."""
        rules = self.rules
        own = {n[0] for n in rules.negators if len(n) == 1}
        denied_ends: set[int] = set()
        kept: list[_Hit] = []
        for hit in hits:
            if (hit.cls in rules.negatable and own.isdisjoint(seq[hit.start : hit.end])
                    and self._denied(seq, hit.start, denied_ends)) or (
                    hit.cls in rules.mourned and self._mourned(seq, hit.start)):
                denied_ends.add(hit.end)
                continue
            kept.append(hit)
        return kept

    def _mourned(self, seq: list[str], start: int) -> bool:
        """The hit at ``start`` is what someone died of ("my friend died of sepsis"), not what someone
        "nearly died of" or "has just died of"."""
        rules = self.rules
        for pos in range(start, 0, -1):
            for cue in rules.mourning:
                if cue == tuple(seq[pos - len(cue) : pos]):
                    first = pos - len(cue)
                    if first > 0 and seq[first - 1] in rules.perfect \
                            and rules.fearing.intersection(seq[max(0, first - 4) : first - 1]):
                        return False  # "I think she's died from a seizure": feared now
                    return not rules.surviving.intersection(seq[max(0, first - 3) : first])
            if seq[pos - 1] not in rules.fillers:
                return False
        return False

    def _denied(self, seq: list[str], start: int, denied_ends: set[int],
                negators: tuple[Phrase, ...] | None = None) -> bool:
        """Reading back from ``start`` over fillers, a negator (or one of ``negators``) comes first,
        or a join and then a symptom already denied."""
        rules = self.rules
        joined = False
        for pos in range(start, 0, -1):
            if any(n == tuple(seq[pos - len(n) : pos]) for n in (rules.negators if negators is None else negators)):
                return True
            if joined and pos in denied_ends:
                return True
            word = seq[pos - 1]
            if word in rules.joins:
                joined = True
            elif word not in rules.fillers:
                return False
        return False

    def _hits(self, seq: list[str]) -> list[_Hit]:
        """Every known phrase, each with its classes, in order; a phrase inside a longer one
        is left out, and so is one that overlaps a phrase of an overriding class. A phrase
        of two words or more also counts with ``inserts`` between its words ("I just need
        help", "not passed any water")."""
        spans = self._spans(seq, range(len(seq)))
        rules = self.rules
        if rules.inserts:
            # A subject after a negated question word ("why can not I move my legs") stands inside
            # the phrase it inverts ("can not move") like an insert.
            kept_at = [pos for pos, word in enumerate(seq) if word not in rules.inserts
                       and not (word in rules.subjects and pos > 1 and seq[pos - 1] == "not"
                                and seq[pos - 2] in rules.inverting)]
            if len(kept_at) < len(seq):
                for (start, end), classes in self._spans([seq[p] for p in kept_at], kept_at).items():
                    if end - start <= rules.max_inserts + sum(1 for p in kept_at if start <= p < end):
                        spans.setdefault((start, end), classes)
        if rules.terse:
            spans = {span: classes for span, classes in spans.items()
                     if not classes & rules.terse or self._closes(seq, *span)}
        kept = [(start, end) for start, end in spans
                if not any(s <= start and end <= e and e - s > end - start for s, e in spans)]
        overriding = [(start, end) for start, end in kept if spans[(start, end)] & rules.overriding]
        kept = [(start, end) for start, end in kept if (start, end) in overriding
                or not any(s < end and start < e for s, e in overriding)]
        return [_Hit(cls, start, end) for start, end in sorted(kept) for cls in sorted(spans[(start, end)])]

    def _closes(self, seq: list[str], start: int, end: int) -> bool:
        """The terse phrase from ``start`` to ``end`` says all ("my legs went.", "his legs just went as
        he stood up", "legs have gone this afternoon"), not more of the leg after it ("my leg went a
        bit red"), and its leg is no place of something else ("the pain in my leg has gone")."""
        rules = self.rules
        if self._place(seq, start):
            return False
        pos = end
        while pos < len(seq) and pos - end < 3 and seq[pos] in rules.describing:
            pos += 1  # "went a bit red", "gone much better"
        if pos == len(seq):
            return True
        word = seq[pos]
        for state in rules.states:
            if tuple(seq[pos : pos + len(state)]) == state:
                after = pos + len(state)
            elif len(state) == 2 and (seq[end - 1], word) == state:
                after = pos + 1  # "gone down", after a phrase that ends with "gone"
            else:
                continue
            if after == len(seq) or any(tuple(seq[after : after + len(e)]) == e for e in rules.state_ends) \
                    or any(at == after and cue_end == len(seq) for at, cue_end in _occurrences(seq, self._now_cues)):
                return False
        return not self._classes.get((word,), frozenset()) & rules.descriptions

    def _place(self, seq: list[str], start: int) -> bool:
        """The leg of the terse phrase at ``start`` is where something is: one of ``places`` and a
        determiner before it, a word that describes it between ("the ache in my right leg", "the
        swelling on my leg has gone"), not "I was in bed, legs went". A phrase that starts with its verb
        ("have gone") is read from the leg before it, as one that starts with its leg ("leg went")."""
        rules = self.rules
        named = rules.determiners | rules.articles
        pos = start - 2 if seq[start] in rules.finite else start - 1
        if pos >= 0 and seq[pos] not in named:
            pos -= 1  # "my right leg"
        if pos < 0 or seq[pos] not in named:
            return False
        while pos >= 0 and seq[pos] in named:
            pos -= 1
        if pos < 0:
            return False
        before = seq[pos - 1] if pos > 0 else ""
        if seq[pos] in rules.places:
            return before not in rules.faculties  # "the feeling in my legs has gone" is a sign
        # "the pain down my leg has gone", not "I sat down, my legs went"
        return seq[pos] in rules.passages and bool(self._classes.get((before,), frozenset()) & rules.negatable)

    def _spans(self, seq: list[str], at: Sequence[int]) -> dict[tuple[int, int], frozenset[str]]:
        """(start, end) -> classes of every known phrase in ``seq``, whose words stand at
        positions ``at`` of the utterance; only phrases of two words or more when some
        words were left out between them."""
        whole = len(at) == 0 or at[-1] - at[0] + 1 == len(at)
        out: dict[tuple[int, int], frozenset[str]] = {}
        for start in range(len(seq)):
            for end in range(start + (1 if whole else 2), min(start + self._longest, len(seq)) + 1):
                classes = self._classes.get(tuple(seq[start:end]))
                if classes is not None:
                    out[(at[start], at[end - 1] + 1)] = classes
        return out

    def _found(self, hits: list[_Hit], classes: tuple[str, ...], window: int, ordered: bool = False,
               adjacent: list[str] | None = None) -> list[tuple[_Hit, ...]]:
        """Every way the classes occur together within the window, one hit each; in the order
        listed when ``ordered``; each right after the one before, only ``inserts`` between, when
        ``adjacent`` (the utterance's words) is given."""
        by_class = [[h for h in hits if h.cls == c] for c in classes]
        if not all(by_class):
            return []
        inserts = self.rules.inserts
        return [combo for combo in product(*by_class)
                if max(h.end for h in combo) - min(h.start for h in combo) <= window
                and len({(h.cls, h.start) for h in combo}) == len(combo)
                and not (ordered and any(a.start > b.start for a, b in pairwise(combo)))
                and not (adjacent is not None and any(
                    a.end > b.start or any(w not in inserts for w in adjacent[a.end : b.start])
                    for a, b in pairwise(combo)))]

    def _request_asked(self, seq: list[str], combo: tuple[_Hit, ...], hits: list[_Hit]) -> bool:
        """A request is asked about in general ("when should I call an ambulance"): a cue of
        ``request_asking`` before it, not pointing back at what was told ("she's not
        herself, does that mean we should call an ambulance"), or one of ``request_naming`` right
        before it ("would that be an emergency"), or one of ``request_supposed`` right before it after a
        supposition of a whole sign ("if someone can not pee, is that an emergency"; not "if it is
        not too much trouble, is this an emergency")."""
        rules = self.rules
        start, end = min(h.start for h in combo), max(h.end for h in combo)
        supposed = any(seq[pos : pos + len(s)] == list(s) and self._supposes(seq, pos + len(s))
                       for pos in range(end, len(seq)) for s in rules.supposing)
        for pos in range(start):
            if not (pos > 0 and seq[pos - 1] in rules.pointing) and self._cue_at(seq, pos, end, rules.request_asking):
                return True
            for cue_end in self._cue_ends(seq, pos, end, rules.request_naming):
                if supposed:
                    return True  # "would it be worth calling an ambulance if my legs go numb"
                while cue_end < start and seq[cue_end] in rules.articles:
                    cue_end += 1
                for name in rules.naming:  # "would that be classed as an emergency"
                    if tuple(seq[cue_end : cue_end + len(name)]) == name:
                        cue_end += len(name)
                        break
                while cue_end < start and seq[cue_end] in rules.articles:
                    cue_end += 1
                if cue_end == start:
                    return True
            supposed_at = max((k for k in range(pos) if seq[k] in rules.supposition), default=-1)
            if supposed_at >= 0 and self._supposes_sign(hits, supposed_at, pos):
                for cue_end in self._cue_ends(seq, pos, end, rules.request_supposed):
                    while cue_end < start and seq[cue_end] in rules.articles:
                        cue_end += 1
                    if cue_end == start:
                        return True
        return False

    def _supposes(self, seq: list[str], after: int) -> bool:
        """The words from ``after`` suppose something ("if my legs go numb", "if it happens again"), not
        "you" ("if you can"), nor what was just said ("if so", "in case it is") or a state told with "is"
        or "has" ("if she's gone blue", "if he's confused and hot"): that is happening, and the request
        with it stands; unless the clause looks ahead or is anyone's ("if I have a fever after the op",
        "if a patient has numb legs": ``later``)."""
        rules = self.rules
        if after >= len(seq) or seq[after] in ("you", "so"):
            return False
        if seq[after] in rules.pointing and (after + 1 == len(seq) or seq[after + 1] in rules.stating):
            return False
        clause = seq[after : after + 10]
        return not rules.stating.intersection(clause[:3]) or bool(_occurrences(clause, self._later_cues))

    def _supposes_sign(self, hits: list[_Hit], start: int, end: int) -> bool:
        """A whole sign stands between the supposition at ``start`` and ``end`` ("if someone can not pee"),
        not a part only ("if it is not too much trouble")."""
        inside = [h for h in hits if start < h.start and h.end <= end]
        return any(self._found(inside, sign.classes, sign.window, sign.ordered) for sign in self.rules.signs)

    def _reported(self, seq: list[str], combo: tuple[_Hit, ...]) -> bool:
        """The sign is told, not asked about or supposed: it does not follow a question word
        ("is numbness in the legs a sign"), has no asking word and opens no question between its
        parts ("my wound might get infected", "a fever after the op, or is a temperature normal"),
        and some part of it is not framed by the words before it."""
        rules = self.rules
        # An aside ("I suppose you would call it", "I mean") asks nothing about the sign around it, and
        # is read over as if unsaid, so the words before it are as near as without it ("what are the
        # chances, I mean, of my legs going numb").
        in_combo = {pos for h in combo for pos in range(h.start, h.end)}
        aside = {pos for s, e in self._padded(seq, self._aside_cues) for pos in range(s, e)} - in_combo
        if aside:
            kept = [pos for pos in range(len(seq)) if pos not in aside]
            at = {pos: index for index, pos in enumerate(kept)}
            seq = [seq[pos] for pos in kept]
            combo = tuple(_Hit(h.cls, at[h.start], at[h.end - 1] + 1) for h in combo)
        start, end = min(h.start for h in combo), max(h.end for h in combo)
        if self._question_opens(seq, start):
            return False
        covered = {pos for h in combo for pos in range(h.start, h.end)}
        for pos in range(start + 1, end):
            if pos in covered:
                continue
            if self._cue_at(seq, pos, end, rules.asking, covered):
                return False
            if seq[pos] in rules.openers and seq[pos - 1] in rules.alternatives:
                # "a fever after the op, or is a bit of a temperature normal": the rest is asked. Only
                # after "or": after a break the opener is a told sign's verb ("a fever, then was confused").
                return False
        first = max(0, start - rules.lookback)
        return any(not self._framed(seq, h.start, first, covered) for h in combo)

    def _question_opens(self, seq: list[str], start: int) -> bool:
        """The sign follows a question's opening word ("is fever a sign", "are the legs weak"),
        not a statement's ("my husband is confused")."""
        rules = self.rules
        pos = start - 1
        while pos >= 0 and seq[pos] in rules.articles:
            pos -= 1
        return pos >= 0 and seq[pos] in rules.openers and self._opens_clause(seq, pos)

    def _opens_clause(self, seq: list[str], pos: int) -> bool:
        """The word at ``pos`` starts the utterance, or follows a break ("but") or a word that joins
        a second question ("or is it normal")."""
        return pos == 0 or seq[pos - 1] in self.rules.breaks or seq[pos - 1] in self.rules.alternatives

    def _framed(self, seq: list[str], start: int, first: int, covered: set[int]) -> bool:
        """The words before ``start`` (back to ``first``) ask about what follows, or suppose it.
        Reading back stops at a new clause, at a subject ("i", "he") that no question word
        comes before ("it has come open", but "will i have"), or at a clause told in its own
        right ("should I be worried, my legs have gone numb", but "if my legs felt weak")."""
        rules = self.rules
        for pos in range(start - 1, first - 1, -1):
            if pos in covered:
                continue
            word = seq[pos]
            if word in rules.breaks:
                return False
            if self._evaluated(seq, pos, max(covered)):
                return False  # "is it normal that my legs have gone numb": told, and asked what to make of it
            if word == "if" and self._done_now(seq, pos + 1):
                return False  # "what does it mean if I have wet the bed twice tonight": it has happened
            if self._cue_at(seq, pos, start, rules.asking, covered):
                return True
            told = self._told_clause(seq, pos)
            if told is not None:
                return not told
            if word in rules.openers and self._opens_clause(seq, pos):
                return True
            if word in rules.subjects and not self._inverted(seq, pos):
                return False
        return False

    def _evaluated(self, seq: list[str], pos: int, last: int | None = None) -> bool:
        """At ``pos``: one of ``evaluating``, or "that" after one, and a clause after it about someone
        or something in particular: its first word one of ``personal`` ("is it normal my legs have gone
        numb", "is it normal that he's confused"), after "that" also one of ``determiners`` or "both"
        ("that the wound is leaking pus", "that both legs have gone numb"), "there" or "to" and one of
        ``personal`` up to the sign's ``last`` word (None: the utterance's) ("that there is numbness in
        my legs", "to feel numb in my legs"), "for" or "about" and one of ``personal`` ("for my legs
        to go numb", "should I worry about my legs going numb"), or, right after "it", "the" ("is it
        normal the wound is leaking pus"), unless the clause looks ahead (one of ``ahead`` in it, and
        no ``now`` word in the utterance: "for my legs to feel weak after the op", but "to have
        numbness in my legs now, it started after the op"): told, and asked what to make of it. Not
        a clause about no one in particular ("that legs are weak after this kind of surgery", "that
        someone is confused after an operation", "that a wound feels warm", "that there is numbness
        after the op", "to lose control of your bowels"), nor one supposed ("I would be worried that
        ..."), nor a worry that is itself asked about ("is it normal that I worry about ..."), nor
        "the" without "it" and "that": a second-language question leaves out both ("after the
        operation is normal the legs feel a little weak, or no", a dev writer's general question)."""
        rules = self.rules
        that = seq[pos] == "that" and pos > 0 and seq[pos - 1] in rules.evaluating
        if not (that or seq[pos] in rules.evaluating) or pos + 1 >= len(seq):
            return False
        word = pos - 1 if that else pos
        if any(seq[k] == "would" and seq[k - 1] in rules.subjects for k in range(max(1, word - 3), word)):
            return False  # "I would be worried that my legs go numb": supposed
        first, rest = seq[pos + 1], seq[pos + 2 : None if last is None else last + 1]
        someone = any(word in rules.personal for word in rest)
        if first == "to":
            return someone and not self._looks_ahead_to(seq, pos + 1)
        if first in ("for", "about"):
            if first == "about" and (seq[word] not in rules.worrying or (
                    self._worry_asked(seq, word) and not self._now(seq))):
                return False
            # "their" after a worry is mostly anyone's ("should patients worry about their wound ...")
            return bool(rest) and rest[0] in rules.personal and not (first == "about" and rest[0] == "their") and (
                not self._looks_ahead_to(seq, pos + 1, supposing=first == "about"))
        if not that and word > 0 and seq[word - 1] == "it" and first in rules.determiners:
            # "is it normal the wound is leaking pus", "that" left out: told unless it looks ahead ("is it
            # normal the wound leaks a bit after the op"); with "that", as before, told whatever the time
            return first in rules.personal or not self._looks_ahead_to(seq, pos + 1)
        return first in rules.personal or (that and (first in rules.determiners or first == "both")) or (
            first == "there" and someone)

    def _worry_asked(self, seq: list[str], word: int) -> bool:
        """The worry at ``word`` is itself asked about or a habit, not what the sign makes someone feel:
        after "it" and one of ``evaluating`` ("is it normal that I am so worried about ...", "is it
        silly to worry about ..."), after "to" but for a need or a start ("is it daft to worry", but
        "I'm beginning to worry", "do I need to worry"), in a question why ("why should I worry", not
        "why I'm calling is I'm worried"), supposed ("would I need to worry"), or with "always" just
        before it. A ``now`` word outweighs them all ("... since this morning")."""
        rules = self.rules
        # Only the worry's own clause: "the nurse said it would be ok but I'm worried about ..." is a worry.
        # "so" right before the worry is no break ("is it normal that I am so worried").
        start = max((k + 1 for k in range(word) if seq[k] in rules.breaks and not (seq[k] == "so" and k == word - 1)),
                    default=0)
        evaluated = any(seq[k] in rules.evaluating and seq[k - 1] in ("it", "be") for k in range(max(1, start), word))
        to = word > start and seq[word - 1] == "to" and (word < start + 2 or seq[word - 2] not in STARTING)
        why = any(seq[k] == "why" and (seq[k + 1] in rules.inverting or seq[k + 1] == "am")
                  for k in range(max(start, word - 4), word - 1))
        would = any(seq[k] == "would" and seq[k + 1] in rules.subjects for k in range(max(start, word - 4), word - 1))
        return evaluated or to or why or would or not HABITUAL.isdisjoint(seq[max(start, word - 2) : word])

    def _looks_ahead_to(self, seq: list[str], pos: int, supposing: bool = False) -> bool:
        """The clause from ``pos`` (an infinitive, a clause after "the", or what a worry is about)
        asks what to expect: one of ``ahead`` in its own clause, or, ``supposing`` (a worry), a
        supposition in it ("... if the nerve gets damaged", "... when I go home", "... later"). The
        clause ends at a break or at a new subject ("... in my legs, it began after the op": no
        longer the infinitive's; but "... a fever and my back hurts when I get home" goes on). Not
        with a ``now`` word in the utterance, nor with the sign in the perfect or the progressive ("for
        my legs to have gone numb after the op", "about my legs having gone numb", "the wound is leaking
        pus after the op", but not "the wound leaks a bit after the op"): that tells what has happened; a
        supposition's time clause in the past ("... after I fell", not "... if the nerve gets
        damaged") tells when it began."""
        rules = self.rules
        clause = [seq[pos]]
        for before, word in pairwise(seq[pos:]):
            if word in rules.breaks or (word in rules.subjects and before not in WHEN):
                break
            clause.append(word)
        # The sign's own verb is before any time clause ("after she has had ...", "while the nerves are healing").
        when = next((k for k, word in enumerate(clause) if word in WHEN or word in ("while", "as")), len(clause))
        if any((have in ("have", "has", "having") and (done in rules.done or done.endswith("ed")))
               or (have in ("is", "are") and done.endswith("ing"))
               for have, done in pairwise(clause[:when])):
            return False
        # A time clause in the past tells when it began ("... after I fell"), not what is supposed.
        supposed = supposing and ("later" in clause or any(
            word in WHEN and not (k + 2 < len(clause) and clause[k + 1] in rules.subjects
                                  and self._past_verb(clause[k + 2]))
            for k, word in enumerate(clause)))
        return (supposed or bool(_occurrences(clause, self._ahead_cues))) and not self._now(seq)

    def _inverted(self, seq: list[str], subject: int) -> bool:
        """The subject at ``subject`` follows a question word ("will i have"), not a verb that
        has a subject of its own ("what should i do, i have wet myself")."""
        rules = self.rules
        return (subject > 0 and seq[subject - 1] in rules.inverting
                and not (subject > 1 and seq[subject - 2] in rules.subjects))

    def _told_clause(self, seq: list[str], verb: int) -> bool | None:
        """Whether the clause whose verb is at ``verb`` is told (True) or asked or supposed (False),
        or None when there is no such clause. A clause is a determiner, up to three words and a
        finite verb ("my legs have", "the pain is"); it is asked or supposed when a question word,
        an asking cue or a word that takes it as its object ("how do I know the wound is ...")
        comes right before it."""
        rules = self.rules
        if seq[verb] not in rules.finite and not (seq[verb] in rules.inverting and _negated(seq, verb + 1)):
            return None
        if verb > 0 and seq[verb - 1] == "to":  # "for the legs to feel": no finite verb
            return None
        for det in range(verb - 1, max(verb - 5, -1), -1):
            if seq[det] in rules.subjects:  # "my brother he is": the pronoun is the verb's subject
                return None
            if seq[det] in rules.breaks or seq[det] in rules.alternatives:  # "after the op, or is": no subject
                return None
            if seq[det] not in rules.determiners:
                continue
            if det == 0:
                return True
            if self._evaluated(seq, det - 1):
                return True  # "is it normal that my husband is talking nonsense"
            before = seq[det - 1]
            if before in rules.inverting or before in rules.openers or before in rules.complements:
                return False
            return not any(cue == tuple(seq[det - len(cue) : det]) for cue in rules.asking)
        return None

    def _done_now(self, seq: list[str], pos: int) -> bool:
        """At ``pos``: a subject, "have" or "has" (or "is", as "he's" is read) and a past
        participle ("I have wet the bed"), or water not passed (``unpassed``: "she has not peed all day"),
        in an utterance that says it is happening now ("tonight", "all day"): a supposition of what has
        already happened, which reports it."""
        rules = self.rules
        if not (pos + 2 < len(seq) and seq[pos] in rules.subjects and seq[pos + 1] in ("have", "has", "is")):
            return False
        done = pos + 2
        if seq[done] in ("not", "never"):
            done += 1
            if done >= len(seq) or rules.unpassed.isdisjoint(seq[done : done + 4]):
                return False
        return (seq[done] in rules.done or seq[done].endswith("ed")) and self._now(seq)

    def _cue_at(self, seq: list[str], pos: int, limit: int, cues: tuple[Phrase, ...],
                covered: set[int] | None = None) -> bool:
        """One of ``cues`` starts at ``pos`` and ends by ``limit``. A question word after a
        subject ("i can feel"), before "not" ("can not", "would not") or after a word of knowing
        ("I don't know what is happening") does not count: those report."""
        return bool(self._cue_ends(seq, pos, limit, cues, covered))

    def _cue_ends(self, seq: list[str], pos: int, limit: int, cues: tuple[Phrase, ...],
                  covered: set[int] | None = None) -> list[int]:
        """Where each of ``cues`` that counts at ``pos`` (see ``_cue_at``) ends."""
        rules = self.rules
        out = []
        for cue in cues:
            end = pos + len(cue)
            if end > limit or tuple(seq[pos:end]) != cue or _negated(seq, end):
                continue
            if end < len(seq) and seq[end] in rules.able and _negated(seq, end + 1):
                continue  # "why can not I feel anything": asked about as it happens, a report
            if pos > 0 and cue[0] in rules.inverting and seq[pos - 1] in rules.subjects:
                continue
            if any(k == tuple(seq[pos - len(k) : pos]) for k in rules.knowing):
                continue
            if covered is None or not covered.intersection(range(pos, end)):
                out.append(end)
        return out


def _negated(seq: list[str], pos: int) -> bool:
    """A modal cue followed by "not" ("can not", "would not") reports rather than asks."""
    return pos < len(seq) and seq[pos] == "not"


def _with_forms(classes: dict[Phrase, frozenset[str]], inflected: frozenset[str]) -> dict[Phrase, frozenset[str]]:
    """The phrase table with every verb form of a phrase of an ``inflected`` class in that
    class too ("pissed" is passing urine like "piss", "buckles" weak like "buckle"). Only
    classes that need a partner are inflected, so a new form alone never raises the alarm."""
    out = dict(classes)
    for phrase, names in classes.items():
        names &= inflected
        if not names:
            continue
        for variant in {tuple(singular(w) for w in v) for v in phrase_variants(phrase)}:
            out[variant] = out.get(variant, frozenset()) | names
    return out


def _by_first_word(cues: tuple[Phrase, ...]) -> dict[str, tuple[Phrase, ...]]:
    out: dict[str, list[Phrase]] = {}
    for cue in cues:
        out.setdefault(cue[0], []).append(cue)
    return {word: tuple(found) for word, found in out.items()}


HABITUAL = frozenset({"always", "alway", "often", "constantly"})
"""Words that make a worry a habit ("I always worry about ..."), as read (a plural s is taken off)."""

STARTING = frozenset({"need", "have", "got", "beginning", "starting", "begin", "start", "going", "gonna"})
"""Words before "to worry" that make it a worry of now ("I'm beginning to worry", "do I need to worry")."""

WHEN = frozenset({"when", "once", "until", "before", "after", "if"})
"""Words after which a subject goes on the clause as a time ("for my legs to go numb when I have the
surgery"), not a new clause."""


def _occurrences(seq: list[str], cues: dict[str, tuple[Phrase, ...]]) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of the cues (indexed by their first word) in ``seq``."""
    return [(pos, pos + len(cue)) for pos, word in enumerate(seq) for cue in cues.get(word, ())
            if tuple(seq[pos : pos + len(cue)]) == cue]


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

    def class_list(item: Any, line: int | None) -> tuple[str, ...] | None:
        names = [item] if isinstance(item, str) else item
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            problems.append(DataError(path, line, "expected a list of class names"))
            return None
        unknown = [n for n in names if n not in known]
        if unknown:
            problems.append(DataError(path, line, f"unknown class '{unknown[0]}'"))
            return None
        return tuple(names)

    def class_sets(owner: Any, key: Any) -> tuple[tuple[str, ...], ...]:
        items = owner.get(key)
        if not isinstance(items, LocatedList) or not items:
            problems.append(DataError(path, line_of(owner, key), f"'{key}' must be a list of class lists"))
            return ()
        found = (class_list(item, line_of(items, index)) for index, item in enumerate(items))
        return tuple(names for names in found if names is not None)

    def whole_number(owner: Any, key: str, default: int) -> int:
        value = owner.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 30:
            problems.append(DataError(path, line_of(owner, key), f"'{key}' must be a whole number from 1 to 30"))
            return default
        return value

    window = whole_number(doc, "window", 8)

    def sign_list(owner: Any) -> tuple[Sign, ...]:
        """Each sign a class list (the shared window), or {classes: [...], window: N, ordered: true}."""
        items = owner.get("signs")
        if not isinstance(items, LocatedList) or not items:
            problems.append(DataError(path, line_of(owner, "signs"), "'signs' must be a list of class lists"))
            return ()
        out = []
        for index, item in enumerate(items):
            if isinstance(item, LocatedDict):
                extra = [k for k in item if k not in ("classes", "window", "ordered", "adjacent")]
                if extra:
                    problems.append(DataError(path, line_of(item, extra[0]), f"unknown sign field '{extra[0]}'"))
                    continue
                names = class_list(item.get("classes"), line_of(item, "classes"))
                ordered, adjacent = item.get("ordered", False), item.get("adjacent", False)
                flag = next((k for k, v in (("ordered", ordered), ("adjacent", adjacent)) if not isinstance(v, bool)),
                            None)
                if flag is not None:
                    problems.append(DataError(path, line_of(item, flag), f"'{flag}' must be true or false"))
                    continue
                if names is not None:
                    out.append(Sign(names, whole_number(item, "window", window), ordered, adjacent))
            elif (names := class_list(item, line_of(items, index))) is not None:
                out.append(Sign(names, window))
        return tuple(out)

    requests: list[tuple[str, tuple[tuple[str, ...], ...]]] = []
    raw_requests = doc.get("requests")
    if isinstance(raw_requests, LocatedDict):
        requests = [(str(intent), class_sets(raw_requests, intent)) for intent in raw_requests]
    elif raw_requests is not None:
        problems.append(DataError(path, line_of(doc, "requests"), "'requests' must map intents to class lists"))
    reports = doc.get("reports")
    report_intent: str = "safety.urgent"
    signs: tuple[Sign, ...] = ()
    if isinstance(reports, LocatedDict) and isinstance(reports.get("intent"), str):
        report_intent, signs = reports["intent"], sign_list(reports)
    else:
        problems.append(DataError(path, line_of(doc, "reports"), "'reports' needs an 'intent' and 'signs'"))
    lookback = whole_number(doc, "lookback", 6)

    def phrases(key: str) -> tuple[Phrase, ...]:
        return tuple(p for p in (_phrase(t) for t in _texts(path, doc, key, problems)) if p)

    def single(key: str) -> frozenset[str]:
        found = phrases(key)
        if any(len(p) != 1 for p in found):
            problems.append(DataError(path, line_of(doc, key), f"'{key}' must list single words"))
        return frozenset(p[0] for p in found if len(p) == 1)

    def words_for(key: str) -> tuple[tuple[str, str], ...]:
        """A mapping of single words to single words; optional."""
        raw = doc.get(key)
        if raw is None:
            return ()
        pairs = [(_phrase(str(k)), _phrase(str(v))) for k, v in raw.items()] if isinstance(raw, LocatedDict) else []
        if not pairs or any(len(k) != 1 or len(v) != 1 for k, v in pairs):
            problems.append(DataError(path, line_of(doc, key), f"'{key}' must map single words to single words"))
            return ()
        return tuple((k[0], v[0]) for k, v in pairs)

    def phrases_for(key: str) -> tuple[tuple[Phrase, Phrase], ...]:
        """A mapping of phrases to phrases; optional."""
        raw = doc.get(key)
        if raw is None:
            return ()
        pairs = [(_phrase(str(k)), _phrase(str(v))) for k, v in raw.items()] if isinstance(raw, LocatedDict) else []
        if not pairs or any(not k or not v for k, v in pairs):
            problems.append(DataError(path, line_of(doc, key), f"'{key}' must map phrases to phrases"))
            return ()
        return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))

    negatable = frozenset(_texts(path, doc, "negatable", problems))  # class names, kept as written
    overriding = frozenset(_texts(path, doc, "overriding", problems))
    inflected = frozenset(_texts(path, doc, "inflected", problems)) if "inflected" in doc else frozenset()
    optional = {key: frozenset(_texts(path, doc, key, problems)) if key in doc else frozenset()
                for key in ("terse", "descriptions", "mourned", "undescribed")}  # class names, kept as written
    for key, names in (("negatable", negatable), ("overriding", overriding), ("inflected", inflected),
                       *optional.items()):
        for name in sorted(names - known):
            problems.append(DataError(path, line_of(doc, key), f"unknown class '{name}'"))
    return RedFlagRules(
        classes={p: frozenset(c) for p, c in classes.items()}, requests=tuple(requests),
        report_intent=report_intent, signs=signs, window=window, lookback=lookback,
        request_asking=phrases("request_asking"),
        request_naming=phrases("request_naming") if "request_naming" in doc else (), asking=phrases("asking"),
        request_supposed=phrases("request_supposed") if "request_supposed" in doc else (),
        supposition=single("supposition") if "supposition" in doc else frozenset(),
        stating=single("stating") if "stating" in doc else frozenset(),
        later=phrases("later") if "later" in doc else (),
        naming=phrases("naming") if "naming" in doc else (),
        supposing=phrases("supposing") if "supposing" in doc else (),
        subjects=single("subjects"),
        openers=single("openers"), inverting=single("inverting"), breaks=single("breaks"),
        general=phrases("general"), past=phrases("past") if "past" in doc else (),
        closing=single("closing") if "closing" in doc else frozenset(), now=phrases("now"),
        past_tense=single("past_tense") if "past_tense" in doc else frozenset(),
        present_tense=single("present_tense") if "present_tense" in doc else frozenset(),
        questions=single("questions") if "questions" in doc else frozenset(),
        persisting=single("persisting") if "persisting" in doc else frozenset(),
        continuing=single("continuing") if "continuing" in doc else frozenset(),
        comparing=single("comparing"),
        resembling=single("resembling") if "resembling" in doc else frozenset(),
        negators=phrases("negators"), negatable=negatable & known, fillers=single("fillers"), joins=single("joins"),
        mourning=phrases("mourning") if "mourning" in doc else (),
        mourned=optional["mourned"] & known,
        surviving=single("surviving") if "surviving" in doc else frozenset(),
        fearing=single("fearing") if "fearing" in doc else frozenset(),
        perfect=single("perfect") if "perfect" in doc else frozenset(),
        knowing=phrases("knowing"), determiners=single("determiners"), finite=single("finite"),
        complements=single("complements"), settled=phrases("settled"),
        evaluating=single("evaluating") if "evaluating" in doc else frozenset(),
        worrying=single("worrying") if "worrying" in doc else frozenset(),
        ahead=phrases("ahead") if "ahead" in doc else (),
        ended=phrases("ended") if "ended" in doc else (), overriding=overriding & known,
        inserts=single("inserts") if "inserts" in doc else frozenset(), inflected=inflected & known,
        done=single("done"), unpassed=single("unpassed"), able=single("able"), articles=single("articles"),
        alternatives=single("alternatives"),
        spoken=words_for("spoken"), spoken_nouns=words_for("spoken_nouns"), read_as=phrases_for("read_as"),
        whole=single("whole") if "whole" in doc else frozenset(), possessive=words_for("possessive"),
        owned=single("owned"),
        clipped=words_for("clipped"), negative=words_for("negative"),
        auxiliary=single("auxiliary") if "auxiliary" in doc else frozenset(), small=words_for("small"),
        described=single("described") if "described" in doc else frozenset(),
        undescribed=optional["undescribed"] & known,
        terse=optional["terse"] & known,
        describing=single("describing") if "describing" in doc else frozenset(),
        descriptions=optional["descriptions"] & known,
        states=phrases("states") if "states" in doc else (),
        state_ends=phrases("state_ends") if "state_ends" in doc else (),
        places=single("places") if "places" in doc else frozenset(),
        passages=single("passages") if "passages" in doc else frozenset(),
        faculties=single("faculties") if "faculties" in doc else frozenset(),
        passing=phrases("passing"), asides=phrases("asides"), owning=phrases("owning"),
        classifying=phrases("classifying"),
        personal=single("personal"), personal_reach=whole_number(doc, "personal_reach", 2),
        saying=single("saying"), foreseeing=single("foreseeing"), having=single("having"), pointing=single("pointing"),
        grouping=single("grouping"))


_KEYS = ("classes", "requests", "reports", "window", "lookback", "request_asking", "request_naming", "naming",
         "request_supposed", "supposition", "stating", "later",
         "supposing", "resembling", "read_as", "fearing", "perfect", "state_ends", "passages", "faculties",
         "past_tense", "present_tense", "questions", "persisting", "continuing", "asking",
         "subjects", "openers", "inverting", "breaks", "general", "past", "closing", "now", "comparing", "negators",
         "negatable", "fillers", "joins", "mourning", "surviving", "mourned", "knowing", "determiners", "finite",
         "complements", "evaluating", "worrying", "ahead", "settled", "ended", "overriding", "inserts", "inflected",
         "done", "unpassed", "able", "articles", "alternatives",
         "spoken", "spoken_nouns", "whole", "possessive", "owned", "clipped", "negative", "auxiliary", "small",
         "described", "undescribed", "terse", "describing", "descriptions", "states", "places", "passing", "asides",
         "owning", "classifying", "personal", "personal_reach", "saying", "foreseeing", "having", "pointing",
         "grouping")


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
