"""Safety first, in the listener's words: red flags, emergency requests, questions the article cannot
answer safely, the disclaimer at every home session. Through `voiceguide ask --json` (the command
line's main, with the shipped guide loaded once for the run) and the conversation."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from voiceguide import cli
from voiceguide.config import load_config
from voiceguide.data import shipped_dir
from voiceguide.dialogue import Conversation, home_opening, urgent_message
from voiceguide.errors import DataError, DataErrors
from voiceguide.guide import Guide
from voiceguide.intents import load_intents
from voiceguide.normalize import words
from voiceguide.redflags import RedFlagDetector
from voiceguide.speak import Sentence, split_sentences

from .conftest import REPO
from .speech import spoken_wav

Ask = Callable[[str], dict[str, object]]


@pytest.fixture
def ask(guide: Guide, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Ask:
    """`voiceguide ask --json TEXT` through the command line's main, as one parsed object."""
    monkeypatch.setattr("voiceguide.app.load_guide", lambda *_: guide)  # the shipped guide, loaded once

    def run(text: str) -> dict[str, object]:
        assert cli.main(["ask", "--json", text]) == 0
        got: dict[str, object] = json.loads(capsys.readouterr().out)
        return got

    return run


# The misses and review findings, then each situation of the public guidance in lay words.
REPORTS = [
    "I can't pass urine and my back is really sore",
    "the wound is hot and oozing since the operation and I've got a temperature",
    "I have pain in both legs",
    "I can't feel my legs",
    "my waterworks have stopped, I haven't been able to go since last night",
    "I've wet myself and I didn't even feel it happen",
    "I pooed myself and didn't feel it",
    "it's gone numb down below, round my bottom",
    "I can't feel the paper when I wipe",
    "my left foot is dragging and I keep tripping",
    "my legs just gave way and I'm on the floor",
    "I've got a high temperature and my back is killing me",
    "I'm shivering and sweating and my back hurts where they operated",
    "there's pus coming out of my scar and I feel awful",
    "my husband is confused and burning up",
    "she's breathing really fast and her skin has gone blotchy",
    "the pain is the worst I've ever had and nothing helps",
    "I'm in agony",
]
GENERAL = [
    "will I have weak legs after the operation",
    "is fever a symptom?",
    "what are the signs of a spinal infection",
    "can a spinal infection cause weakness in the legs",
    "is it normal for your legs to feel a bit weak after surgery, generally speaking",
    "how would I know if the wound was getting infected",
    "if my legs felt weak before the operation, would it help",
    "I had a wobble on my legs last year, could that be my spine",
    "does everybody get a temperature after an operation",
]


# Round two: how other people put the same signs (slang, a second language, a night call), each
# caught by a general mechanism rather than by its own phrase. Written here from the public guidance.
REPORTS_ROUND_TWO = [
    # word classes: slang and second-language words for a sign
    "I crapped myself and never felt it coming",
    "my mother is confuse and she is very hot",
    "when I wipe it feels weird down there",
    "my husband is talking funny and he is burning up",
    "his skin is pale and blotchy",
    "the pain in my back is more and more and the tablets do nothing",
    "she's really bad, she's really really bad",
    "my legs just crumpled under me",
    # a sign whose parts must be close: "not" right before passing urine
    "he don't pee all day, nothing since breakfast",
    "I need to go but nothing happens",
    # overlapping phrases both count: "do not know" and "not know where she is"
    "she don't know where she is and she's shivering",
    # a clause told after a question; a question word after "I don't know"
    "should I be worried, my legs have gone numb",
    "what should I do, I've wet myself and didn't feel it",
    "I don't know what is happening, my legs are numb",
    # a comparison with the past is about now
    "he's burning up and his back is worse than before the operation",
    # seen to, then a new sign: the new one counts
    "the nurse said it was fine this morning but now the wound is pouring pus",
    "the nurse checked it and said it was fine but now it's hot and oozing and I've got a fever",
    # a long rambling report of pain: this sign has a wider window
    "my back pain went from bad to the worst it has ever been in an hour and honestly nothing helps",
]
GENERAL_ROUND_TWO = [
    # a denied symptom is no part of a sign, and the denial carries over "or"
    "no fever, and the wound is not red or swollen, when can I drive",
    "he doesn't have a temperature, is that good",
    "is it possible to have a spinal infection without fever",
    "is it normal for the wound to itch, it's not red or anything",
    # a sign seen to or gone
    "my wound was a bit red yesterday but the nurse checked it and said it's fine",
    "the wound was weeping a little last week but it's dried up now",
    # a clause asked about, or supposed
    "how do I know the wound is infected",
    "if my legs go numb, what should I do",
    "after the operation is normal the legs feel a little weak, or no",
    "how long before the numbness in my foot goes away",
    # long past, or in general
    "I've had back pain for a year and nothing helps, would surgery help",
    "my temperature was high last month, is the infection back",
    # a phrase that is not what it seems drops what it overlaps
    "my husband is very bad with pain, will it hurt much",
    "can knowing about this surgery help us to take a proper decision for my mother",
    "back pain... hot... means what",
]

# Round three: the mechanisms found from the writers r7 to r9 and the new understanding writers,
# phrased here anew.
REPORTS_ROUND_THREE = [
    "her legs went from under her in the corridor",  # from under anyone
    "he is shuffling and dragging his feet since this morning",
    "my feet feel like they are not mine",
    "she's soaked the sheets and never felt it coming",
    "the painkillers are doing nothing and it's getting worse",
    "he keeps mumbling nonsense",
    "my dad doesn't know where he is",
    "my brother, he has gone numb in both legs",  # a pronoun after a noun is the verb's subject
    "I think I'm on the way out",
    "I can't get the water out, I've been trying all evening",
    "honestly, I'm not right",
    "my bottom, or whatever the proper word is for that area, has gone completely dead",
    "I can't tell any more if I need the toilet",
    "he wet the bed last night, he's never done that before the operation",  # new, set against the past
]
GENERAL_ROUND_THREE = [
    "osteomyelitis, how does that fit in",  # no seizure
    "will I be fit enough to garden after",
    "how is all this supposed to help her decide about her treatment",  # no plea
    "will reading this actually help me pick",
    "my legs were a bit weak after the operation last year but they are back to normal now, is that usual",
    "they told me to watch the wound for redness, how red is too red",
    "will I need painkillers after the operation",
]

# Round four: the mechanisms found from the writers r10, r11 and u15 to u17, phrased here anew,
# with our own shy and plain phrasings written blind before the held-out writers were read.
REPORTS_ROUND_FOUR = [
    "she's had an accident at the other end and never felt it",  # a bowel euphemism
    "my mum's legs just went as she stood up",  # legs that simply went
    "her knees gave way under her on the stairs",
    "my dad is really confused tonight",  # someone else confused: a sign on its own
    "he didn't know who I was for a minute",
    "she's crying out in pain and I've never seen her like this",
    "he's hot to the touch and his back is bad",  # fever, however it is felt
    "there's fluid seeping from the stitches and I'm shivering",
    "I feel numb where I sit",
    "I keep trying to wee but nothing comes out",
    "I think I'm going to pass out",
    "the plumbing's stopped working since this morning",  # shy words for the bladder and below
    "I've lost all feeling in my privates",
    "I've been leaking from the front without knowing",
    "I peed a bit without meaning to",
    "his temperature is up and his back hurts the same as before they found it",  # a comparison is now
]
GENERAL_ROUND_FOUR = [
    "my husband is anxious about the wound getting infected, will keyhole help",  # a worry is no report
    "she had a fever and back pain before they diagnosed it, is that how it usually starts",
    "my back has ached for weeks, could that be a sign",
    "the catheter came out this morning, when can I go home",
    "if the infection is really bad will they cut me open the old way",
    "will my legs be weak after the operation",
    "could my legs stop working after the op",
]


# Round five: the mechanisms found from the writer r12 (a neighbour checking in), phrased here anew;
# r13 was held out.
REPORTS_ROUND_FIVE = [
    "her knee has just given way on the stairs",  # the participle
    "he's been sat on the loo for ages and can't go",  # sat on the toilet, and unable
    "she says she needs to but nothing will come",  # the need without its verb
    "there's a damp patch on the settee and she didn't even notice",  # where they sat, not even knowing
    "he's howling with his back and nothing is touching it",  # crying out with the part that hurts
    "I could hear her through the wall, I've never heard her like this",
    "his tablets aren't touching the pain, he's in agony",
    # and from a blind batch in the words of someone who lives with pain (r13 still unread)
    "been on strong painkillers for ages and they've stopped touching it since yesterday",
    "the new pain is nothing like my old one, it's like being stabbed and I've got a temperature",
    "I've had back pain for years but this is not my usual, I've wet myself",
]
GENERAL_ROUND_FIVE = [
    "my neighbour was reading that numb legs can be a sign, what does the article say",  # someone's reading
    "his legs were weak after he was poorly but they're coming along nicely now, will physio help",
    "will he need to take tablets for the pain afterwards",
    "can he sit in a chair after the operation",
    "I've had chronic back pain for years, would keyhole surgery help",
    "I'm on strong painkillers long term, will they affect the operation",
    "my neighbour had this operation last year and had a fever afterwards, is that common",
]


# Round six: a dementia carer's observed signs (from r14; r15 was held out), phrased here anew.
REPORTS_ROUND_SIX = [
    "dad's legs have gone this afternoon, he was fine with his stick this morning",  # an observer's words
    "he folds when I stand him up and can't take his weight",
    "I touched the inside of his leg and he didn't react at all",  # no response to touch
    "his pad's been bone dry since breakfast",  # no urine passed, seen by a carer
    "grandad's pooed himself twice and he's not aware of it",
    "he cries out when I roll him and he never complains",  # crying out whenever moved
    "something's seriously wrong with mum tonight",
    "he's dragging his left leg and he wasn't doing that before the op",  # a change against before
]
GENERAL_ROUND_SIX = [
    "dad has always had the odd accident and wet himself, how do I tell the difference if it's his spine",
    "my father is confused about it, he doesn't know if he should have the operation",  # a choice, no sign
    "I have fear that the cut gets infected after, is keyhole better for that",  # a fear, in a second language
    "his bowels have gone back to normal since he came home, will he need physio",
]
# Round seven: general mechanisms for reach (from r16 and r17's misses, read after their held-out figures),
# each phrased here anew; every one of these was missed or alarmed before the round.
REPORTS_ROUND_SEVEN = [
    "he hasn't pissed since this morning and his belly is tight",  # a verb form no list had ('piss': pissed)
    "I really can't pass any water and my back is sore",  # small words inside a phrase ('pass water')
    "there's pus and I've been shivering since tea time",  # pus comes from a wound, named or not
    "I keep leaking water without meaning to",  # water let out unmeant is urine
    "his legs aren't doing what he tells them since he got up",  # a leg, a denial, what it will not do
    "my feet don't obey me this morning",
    "her speech is going funny since this morning",
    "why can't I move my legs",  # a subject inverted inside its phrase ('can not move'), asked as it happens
    "why don't my legs work",
    "I think my legs are paralysed",
    "nothing's come out since lunch even though I'm dying for a wee",  # the need told through its strength
    "sorry to be a bother, but his waterworks seem to have packed in since breakfast",  # a machine that stopped
    "what does it mean if he's wet the bed twice since lunch",  # a supposition of what has already happened
]
GENERAL_ROUND_SEVEN = [
    "what are the signs I should call someone about",  # a request asked about
    "I need help understanding the recovery",  # help for a purpose is no plea
    "numbness in the legs is a sign of nerve trouble, isn't it",  # a sign as the subject of a statement
    "will my legs do what I tell them after the operation",
    "my mum just needs some help with the shopping after the op",
    "my back brace is fitting badly and rubbing",  # a form of a sign alone ('fit') is never inflected
    "why won't my legs be weak after keyhole surgery",  # 'will not' after a question word may suppose
    "why can't I go back to work yet, my legs feel fine",
    "why can't they do it through a small cut",
    "the nurse said a little leaking from the wound is normal, is that right",  # reassurance told of the sign
    "what if I have a fever tonight",  # a supposition of what has not happened
    "what should I do if I've wet myself in the night after the operation",
]
# Round eight: general mechanisms from r18's miss and false alarms (r19 held out), each phrased here anew;
# every one of these was missed or alarmed before the round.
REPORTS_ROUND_EIGHT = [
    # two symptoms, each in a sentence of its own, further apart than the shared window
    "I keep waking up not knowing where I am. The sheets, the pillow, everything. I'm dripping with sweat.",
    # and from a blind batch written here (r19 still unread): not knowing the day, longer than 'not know what'
    "he's sweating buckets and he doesn't know what day it is",
]
GENERAL_ROUND_EIGHT = [
    "what kind of things would make you call an ambulance after this op",  # what would bring one to call, asked
    "what sort of symptoms should make me ring the GP",
    # a second question joined by 'or'
    "would that be something to worry about, or is a bit of a temperature normal after an op",
    "will I get a fever after the op, or is a bit of a temperature normal after surgery",  # a sign across both
    "what sort of pain is too much after the op",  # what sort of sign, asked
]
# Round nine: general mechanisms from r20's and r22's misses and false alarms (r21 held out), each phrased
# here anew. Every report was missed before the round, and the first three general questions and the last
# alarmed; the rest guard the new mechanisms against reaching too far.
REPORTS_ROUND_NINE = [
    # the words of those who work in care
    "I haven't been able to void since breakfast",
    "I'm pyrexial tonight and my back is throbbing",
    "there's paraesthesia in both my feet since I got up",
    "I'm fairly sure that's a foot drop, it started today",
    "the wound has dehisced a little at one end",
    # spoken forms of small words: 'meself', 'me' for 'my' before an owned noun
    "pooed meself in the armchair",
    "since dinner I can't feel me bits at all",
    # a symptom that holds its own denial is not denied by the one before it ('nothing. can't go.')
    "on the loo half an hour. nothing. can't go.",
    "no, nothing's coming out and I'm bursting for a wee",
    # 'never mind' ends what came before like 'anyway'
    "where do I park for the clinic. never mind. legs have gone.",
    # said tersely
    "lost it again. bladder. all over the landing.",
    # confusion someone else sees in the speaker
    "my son reckons I'm confused today",
    "my wife said I seemed confused at tea",
    # and from a blind batch written here in the same two registers (r21 still unread)
    "waterworks. nothing since lunch.",
    "stood up. legs went. down on the rug.",
    "the skin round my bottom feels altered today",
    "I'm tachycardic and shivery",
    "practically no urine output all day",
]
GENERAL_ROUND_NINE = [
    # a now cue right after a sign passing looks ahead
    "my toes tingled before surgery, will that settle down now",
    "I had a numb foot before the operation, is it likely to wear off now",
    # a denial after passing urine denies something else ('no trouble'), not the passing
    "I'm weeing fine, no trouble at all, when can I have a bath",
    # 'me' for 'my' only before an owned noun
    "can you tell me a bit about the numbness some people get after surgery",
    # confusion about something is no sign, whoever sees it
    "my daughter says I'm confused about which hospital it is",
    "is urinary retention one of the warning signs",
    # small words inside a cue that says a sign was seen to, as inside a phrase
    "the scar was a little red on Monday but the GP said it is all just healing, can I swim",
]

REPORTS_REVIEW = [
    # a sign's second part after a break is told, not asked: only "or" opens a question between parts
    "she had a fever in the night then was confused this morning",
    "I've had a temperature since Sunday but was muddled when I woke",
    # sepsis named as what is happening
    "I reckon he has sepsis, I really do",
    "the cut on my back has gone septic",
    # strength lost all at once
    "he's lost all the strength in his right leg since lunch",
]
GENERAL_REVIEW = [
    # the day of the operation is no confusion
    "I don't know what day my operation is yet",
    "I do not know what year they started doing keyhole spine surgery",
    # sepsis asked about
    "what is sepsis exactly",
    "is sepsis a risk with this kind of operation",
]

# Round ten (dev r24, r25; r23 held out): our own phrasings of each mechanism, not a writer's.
REPORTS_ROUND_TEN = [
    # an aside between a sign's parts asks nothing about it
    "there's a prickling, pins and needles you might call it, right round my bottom since lunch",
    "numbness, I suppose you would call it, right where I sit",
    # a sign asked about, then owned
    "can your legs suddenly go weak after the op? that's exactly what I've got",
    "is it normal to have numbness round your bottom? that is what I have got since this morning",
    # a now of its own still counts beside an all-clear
    "I had a fever last month, it went away, but now my back is agony and I'm boiling",
    # understated dying; 'whether' said like 'if'; legs that feel peculiar
    "I think I'm about to pass away",
    "honestly it feels as if I am going to die",
    "I can't tell any more whether I need a wee or not",
    "my feet feel peculiar tonight",
    # what a sign is, asked of one's own sign
    "my back is agony and I'm burning up, this is a sign of infection?",
    "I can't feel my legs, is this one of the warning signs",
]

GENERAL_ROUND_TEN = [
    # a now cue inside an all-clear says it is over
    "I had a fever last month but it's better now and my back is fine, is that worth mentioning",
    "my legs went a bit strange after the op years ago but they're right as rain now, will this operation be the same",
    "I had a fever ages ago after a tooth out, does that matter for surgery",
    # a sign owned only in a supposition
    "is numbness down below a bad sign? what if I have got that",
    # a sign-of cue without its article, the danger signs, the list asked for again
    "numbness in the legs, this is symptom of nerve damage or not?",
    "numb legs and a fever, are those red flags?",
    "back pain with a fever, is that on the list of danger signs?",
    "can you tell me the signs again, leg numbness and what else?",
    "I am reading about weakness in both legs after a spinal operation",
    "fever and back pain together, what it means? just for knowing.",
    # a supposition before a request; 'call' as naming
    "if I start shivering in the night, I should ring the doctor, right?",
    "my brother had what the doctors would call a slipped disc, is that similar",
    "is it common for your legs to feel odd after spinal surgery",
]

# The second review of rounds nine and ten: reports its cues silenced, and questions they alarmed.
REPORTS_SECOND_REVIEW = [
    # a denied passing word is no look ahead, and "since" always says now
    "the numbness I had before the op won't go now, and I can't feel my bottom",
    "before the op I had pins and needles and they won't settle now, I've wet myself",
    "the tingling I had before surgery won't go away now and I can't feel my backside",
    "can't go since lunch, bladder bursting, is this a red flag",
    "I've not been since breakfast, bladder's bursting",
    # said tersely or by a carer: a tag question points back at a sign told
    "got the symptoms again, legs numb, can't wee",
    "got the signs again, bum's numb, can't pee",
    "she's showing the danger signs, numb down below, can't pee",
    "he's got all the danger signs, can't feel his legs, can't wee",
    "he has all the red flags, numb legs, can't pee, fever",
    "can't pee, can't feel bum. danger sign?",
    "can't wee, can't feel my bits. red flag?",
    "tell me the signs again, numb down below and can't pee",
    "back agony, fever 39, this is sign of infection?",
    "fever and oozing wound in my husband, this is sign of infection?",
    "mum's boiling hot and her wound is oozing, this is sign of infection?",
    "Dad's legs went from under him, warning sign?",
    "legs numb and weak, red flag?",
    "the carer says nan is pyrexial and not herself, is this a red flag",
    # owned after being asked about, whatever general words came with it
    "is it common to have numbness round your bottom? because that is what I have got",
    "is it normal for your bottom to go numb? because that is what he has got",
    "is numbness round your bottom a red flag? that's what I've got",
    "are numb legs one of the danger signs? that is what I have",
    "is not being able to wee a warning sign? which is what he has",
    # an all-clear of something else, or of the past, clears no sign told now
    "he's confused and hot, he was fine yesterday, right as rain",
    "he was fine this morning but now he's confused and burning up",
    "wife's wound is weeping and she's burning up, the rash she had last year is right as rain now",
    "my wife's legs have gone weak and she can't pee, the cough she had last week is right as rain now",
    "my legs have gone numb and I can't wee. I had a bad back years ago but that's gone now",
    # a clause told after a sign-word question is told, not its object
    "is this a warning sign, my legs have gone numb",
]
GENERAL_SECOND_REVIEW = [
    # who says, knows or thinks it is not who has it
    "she says numbness down there is a sign of something bad",
    "he says a fever with back pain is a sign of infection, is that true",
    "I know leg numbness is a warning sign, what are the others",
    "I reckon numb legs are a warning sign, what else should I look for",
    "I think fever and back pain together are a red flag, is that right",
    # owning only where its clause ends
    "can your legs go numb after surgery? that's what I have been told",
    "can legs go numb after an op? that's what I was told",
    "is it bad if you can't pee after an op? I have got that booklet",
    "so if my legs go numb I ring 999, I've got that now",
    # a leg that feels funny or different is not one that feels peculiar
    "my knee feels funny when I bend it, is that normal",
    "my hip feels funny when I turn over, is that normal",
    "my legs feel different since the op, much stronger",
    "my feet look different, swollen maybe, is that normal after the op",
    "my leg wound looks different today",
    # an all-clear of a sign told long ago
    "my legs went numb years ago but that's gone now, can it come back",
    # pain that spikes is no fever
    "my back pain keeps spiking when I bend",
    "the pain keeps spiking in my hip",
]

# Round eleven: Scots as typed (dropped endings, 'tae', 'oot', 'no' for 'not', 'wee' both small and the
# bladder's), legs that simply went, a death or one's own risk told of sepsis, a comparison with the past.
REPORTS_ROUND_ELEVEN = [
    # an ending dropped without its apostrophe, and Scots small words
    "he's been tryin tae go aw mornin but nothin'll come oot",
    "he's draggin his left foot and keeps catchin it on the step",
    "he cannae pish and his bahookie's gone numb",
    "he's been greetin wi the pain aw nicht",
    # 'no' for 'not' between a verb and a verb form; before a noun it stays 'no'
    "he's no been for a pee since last night",
    "he's no makin any sense and he's runnin a temperature",
    "I've no control over my bladder",
    "mum's bowels, there was no warning at all",  # after 'there' it is a noun's 'no'
    # 'wee' is the bladder's where nothing it describes follows
    "she hasnae had a wee since breakfast",
    "he's got a wee cut on his heel and he's burnin hot and shiverin",
    "he's had a wee accident in the bed",  # never small before the bladder's own words
    # legs that simply went, where the clause closes
    "his legs went and he's on the floor",
    "the right leg's gone, I can't do a thing with it",
    "my legs just went",
    "stood up. legs went. down on the rug.",
    "my legs went numb in the shower",
    "my legs went from under me",
    "my legs went to jelly on the stairs",
    "my legs went a bit wobbly and I had to sit down",
    "I was in bed, legs went",  # a place word with no determiner is no leg as a place
    "I sat down, my legs went",
    # sepsis now, of someone living, whatever death was told before
    "my husband has sepsis",
    "I think he's got sepsis",
    "she's septic",
    "my husband has sepsis, could I get it too",  # someone's now, whatever one asks of one's own risk
    "my mum has sepsis, does it run in the family",
    "my brother died of sepsis last year and now my husband's septic",
    # a repeat or a recent start is not long past
    "he's wet himself, it's happened once before",
    "it started not long ago, I can't feel my legs",
    # the past compared with, after a subject and its verb
    "I've a temperature of thirty nine and my back hurts worse than it did before the operation",
    # a correction asks nothing
    "it's not his colour, I mean his lips are blue",
    # what one sits on, a foot that will not press, a leg like someone else's
    "since this morning I can't feel the chair under me",
    "my right foot won't press the brake",
    "my leg feels like it belongs to another person",
    # trying to go and nothing coming, told at length
    "he's tried and tried to go, the poor man, on and off all day, but nothing comes out",
    # soiling oneself is a loss of control whoever it is; a wound gaping; numb as after the dentist
    "she's messed herself again",
    "he's pooed himself twice today",
    "there's a gap in his wound since this morning",
    "my bum feels like I've had an injection at the dentist",
    # legs gone strange, as a lay speaker says it
    "my legs went all funny",
    "his legs have gone weird",
    "her legs have gone funny, she can't explain it",
]
GENERAL_ROUND_ELEVEN = [
    "will my legs go funny after the operation",
    "is it normal for your legs to feel funny after the op",
    "my legs feel funny when I stretch them in bed, is that the healing",
    # 'wee' is small before what it describes
    "my scar's a wee bit numb, is that normal after keyhole surgery",
    "he's had a wee bit of a temperature, is that the anaesthetic",
    # a leg that went something is described, not gone; a leg that is where something went
    "my leg went a bit red after a hot bath, is that okay",
    "the ache in my leg's gone now, can I drive",
    "the ache in my right leg's gone now, can I drive",
    "my leg's gone back to normal, can I start running again",
    "my leg's gone up like a balloon, is that the op",
    # sepsis that someone died of, had long ago, or that one asks one's own risk of
    "my friend died of sepsis, could this operation cause it",
    "my nan died from sepsis after her hip op, what are the chances with this one",
    "I had sepsis as a child, am I more likely to get it after this op",
    # when one should ring, or whether it would be an emergency, asked
    "which symptoms mean I should phone the doctor",
    "if I ever couldn't go for a wee, would it be an emergency",
]

# A third fresh-eyes review, of round eleven: its new cues silenced reports caught before, and its new words
# alarmed on questions. The review's sentences, then ours in the same vein; each failed before the fix.
# A supposition's cue reaches a request only as its complement, and not when it points back at what was told
# (requests, so they are heard by the emergency requests' test).
REQUESTS_THIRD_REVIEW = [
    "would it be possible to send an ambulance",
    "could that be a stroke? get me an ambulance",
    "could that be the infection? I need a doctor now",
    "she's really not herself, does that mean we should call an ambulance",
    "would it be possible to get an ambulance out to us",
]
REPORTS_THIRD_REVIEW = [
    # the long past makes only the signs of its own clause past
    "I can't feel my bum or my legs, I had a spinal op a decade ago",
    "I can't feel my bum or my legs, I had a spinal op a long time ago.",
    "I'm shaking and burning up and my back is agony, same as the sepsis I had as a child",
    "my wound is oozing pus and hot, I had the same thing as a teenager",
    "my legs are numb, i had polio as a child",
    "he's talking nonsense and burning up, calling for his mum like when he was little",
    "I took paracetamol a long time ago but I'm still burning up and my back's killing me",
    "had the op years ago, legs numb, can't pee",
    "I can't pee and my bum is numb, I had a bad back years ago",
    "my back is agony and I'm burning up, I had a kidney infection as a kid",
    "my legs have gone numb, I used to get sciatica",
    "had my op a month ago, can't feel my legs, can't pee",
    "I've been burning up with back pain, used to get it years ago but not like this",
    # legs that went, whatever follows but a word that says how the leg is instead
    "my legs went a minute ago",
    "my legs went a second ago and I'm on the kitchen floor",
    "his legs have gone a bit this morning",
    "he stood up and his legs went a bit and he fell",
    "my legs went very suddenly and I'm on the floor",
    "my legs went really suddenly",
    "mum's legs have gone to nothing",
    "my legs went to pieces",
    "my legs have gone off",
    "my legs went a while ago and I'm still on the floor",
    "my legs have gone a bit since lunch",
    # legs gone strange, however it is padded
    "my legs went a bit funny",
    "my legs have gone all funny and I'm scared",
    "my legs went kind of funny",
    "his legs went kind of weird and he dropped",
    # a death happening now, or survived
    "I think he's just died of a heart attack",
    "I think she's died from a seizure",
    "I nearly died of sepsis last time and I've got it again now",
    "she nearly died of blood poisoning and she's got it again",
    "I think my dad has just died of a heart attack",
    "he nearly died of sepsis last year and he's got the same shivers now",
    "I think she has just died of sepsis",
    "I think he's just died from blood poisoning",
    # Scots 'wee': the bladder's when what 'a wee bit' describes is, or when it ends a phrase ('had a wee')
    "I've had a wee bit of an accident",
    "I had a wee bit of a leak",
    "she hasn't had a wee, confused and hot",
    "there's been a wee bit of an accident",
    "he hasn't had a wee, confused and sweating",
    # a closing quote is no dropped g
    "I can't feel my 'groin'",
    "she says her 'groin' has gone numb",
    "his 'groin' feels dead",
    # Scots 'no' after 'have' and before a participle, a noun subject; 'himsel', 'pished', 'tae' for a toe
    "I've no been able tae wee",
    "he's no had a pee all day",
    "my dad's no making sense",
    "he's wet himsel",
    "he's pished himsel",
    "my big tae's gone numb",
    "my mum's no been tae the toilet since yesterday",
    "he's no had a drink or a wee all day",
]
GENERAL_THIRD_REVIEW = [
    # a gap is the wound's only close to the wound, never its covering's
    "is it normal for there to be a gap in the wound",
    "the scar has a wee gap but it's dry and healing",
    "my wound is healing well but there's a gap in the tape",
    "there's a small gap in the dressing, is that ok",
    "there's a gap between the plasters, does that matter",
    "is it normal for there to be a small gap in the scar",
    "there's a wee gap in the dressing, is that alright",
    # numb like a dentist's injection, not a visit to the dentist
    "I was at the dentist this morning, my leg's fine",
    "I was at the dentist and then had to rush to the toilet",
    # legs that went or have gone strange, not feet that go funny, a joint, or what a leg got
    "my feet go funny in the cold",
    "my leg got a weird rash",
    "my leg got a strange bruise on it",
    "my ankle went weird when I twisted it last week",
    "my knee is going funny on the stairs, is that normal",
    "my knee went funny when I knelt on it",
    # what is on a leg has gone, a leg gone down or better
    "my leg's gone down now",
    "the swelling on my leg's gone",
    "the bruise on his leg's gone",
    "my leg's gone much better",
    "the rash on my leg's gone",
    "my leg's gone down a lot since yesterday",
    # an aside uses up none of the words read back for a question
    "what are the chances, I mean, of my legs going numb",
    "the numbness, I mean in the legs, does that mean something bad",
    "what are the chances, so to speak, of my legs going numb after surgery",
    "the numbness, I suppose you'd call it, in the legs, does that mean something bad",
    # advice is no weak leg; what one sits on that feels different is the seat's
    "I would not push my legs too hard after the op",
    "I would not push the leg exercises too hard",
    "the seat under me feels different since they changed the cushion",
    "the chair under me feels different since the new cushion",
]

REPORTS_ROUND_TWELVE = [
    # speech gone slurry, or like drink taken by someone who has had none
    "his speech has gone all slurry and he's sat there staring",
    "she sounds like she's had a drink and she never touches the stuff",
    "he's talking like he's been drinking but he's not had a drop",
    # numbness told of intimate parts
    "it's gone numb, you know, intimately, since this morning",
    "I can't feel a thing intimately any more",
    # a wound looked at, and what was seen told after how
    "my husband's dressing, I took it off to have a look with the big mirror, it's weeping",
    # words that will not come, of someone else
    "he keeps trying to tell me something but he can't get his words out",
]
# Still caught: the new cues reach no further than their own clause, supposition or words.
REPORTS_ROUND_TWELVE_KEPT = [
    "I can't feel my legs. The headache came and then went away.",
    "I can't wee. The kids were off school and then got better",
    "my legs went numb and then got better but now I can't wee",
    "temperature of 37 and my back is agony",
    "his temperature was 37 this morning and now he's shivering and sweating buckets",
    "I don't want to ring the nurse but I've wet myself and can't feel it",
    # a polite "if" supposes no sign, so the emergency asked after it is not general
    "if it's not too much trouble, is this an emergency? my husband can't get his words out",
]
REQUESTS_ROUND_TWELVE = [
    "he's gone all floppy and won't answer me, is this an emergency?",
    "I don't want to call an ambulance for nothing",
    "if you ask me this is an emergency, please",
]
GENERAL_ROUND_TWELVE = [
    # whether it is an emergency, asked of a supposition
    "if someone can't feel their legs after back surgery is it an emergency, just asking for the future",
    # a call one does not want to make
    "I don't like to ring the GP for every little ache, how much pain is normal",
    "I didn't want to phone the nurse, is some swelling normal",
    # help to do a thing
    "my husband can't help me wash my hair with the dressing on, is that ok to do myself",
    "the district nurse will help me check the scar, what should it look like",
    # a past spell that ended, its subject unsaid
    "her feet were tingly for two days after the surgery and then went away, was that normal",
    "the wound leaked a bit for a few days and then settled, should I be worried",
]
# A fourth fresh-eyes review: a word with a doctor asked for urgently is a request.
REQUESTS_FOURTH_REVIEW = [
    "I need to speak to a doctor urgently",
    "can I speak to a doctor right now please",
    "I need to talk to a nurse straight away",
]
# A fourth fresh-eyes review, of the third review's fixes: they silenced reports and raised false alarms. The
# review's sentences, then ours in the same vein; each failed before the fix.
REPORTS_FOURTH_REVIEW = [
    # a state after legs that went counts only at the end or before what goes on saying how the leg is:
    # punctuation is gone, so anything else may be a new sentence
    "mum's legs have gone, down on the floor",
    "his legs have gone, better come quick",
    "his legs have gone, up all night with him",
    "dad's legs have gone, down in the hallway",
    "my legs have gone, better sit down",
    "his legs went stiff and he fell",
    # legs going strange now
    "my legs are going funny",
    "my legs keep going funny",
    "mum's legs are going all weird",
    "my feet are going funny",
    "his legs are going all strange",
    # numb likened to the dentist's, however the likening is said
    "my bottom feels like when you've been to the dentist",
    "down below feels like you get at the dentist",
    "my privates feel as if I'd been to the dentist",
    "my bum feels as though I've been to the dentist",
    "my legs feel as if I have had the dentist",
    # the long past makes past only the symptoms of its own clause, told in a past tense, that nothing
    # later says go on ("and I still can't"); a clause with a present verb, or none, is now
    "I had my op last month and my legs are numb",
    "I had the op years ago, my legs are numb",
    "had surgery last month, can't feel my legs",
    "he had surgery last month, his legs have gone",
    "last year I had surgery, my legs have gone numb",
    "before the op I could walk, my legs have gone",
    "I've had numb feet for years and my bum's gone numb",
    "I was in hospital for weeks with the infection and my wound is leaking pus",
    "I've had back pain for weeks and I've got a temperature",
    "back pain for weeks and a fever",
    "my back has hurt for a few weeks, I've got a fever",
    "I've had a bad back for years and I'm running a temperature",
    "my legs used to go numb but I can't feel them at all",
    "my legs were weak before the op and they're worse",
    "I couldn't feel my legs before the operation and I still can't",
    "had my op a month ago, my legs are weak",
    "I've had a bad back for weeks and I'm shivering",
    "my legs went numb before the op and they still are",
    "sciatica for months and a temperature",
    # not being able is 'can not'; what a leg loses makes it no mere place; legs gone stiff or into spasm
    # before a fall; Scots 'ma' as 'my' before a noun
    "I haven't been able to feel my legs",
    "I haven't been able to move my legs",
    "I have been unable to feel my legs",
    "I'm not able to stand",
    "he's not been able to feel his bum",
    "she's not able to feel her feet",
    "I'm not able to move my legs",
    "the strength in my legs has gone",
    "the power in his legs has gone",
    "the sensation in my feet has gone",
    "the feeling in my legs has gone",
    "the use of his legs has gone",
    "legs went stiff, he fell",
    "his legs went into a spasm, he's on the floor",
    "ma man's no makin sense",
    "I cannae feel ma tae",
    "ma da's no makin sense",
    "my legs have both gone",
]
GENERAL_FOURTH_REVIEW = [
    # legs that have gone only right after the leg word: what was in or on the leg has gone
    "my leg pain has gone",
    "my foot pain has gone",
    "the pain down my leg has gone",
    "my leg pain has gone completely since the surgery, is that normal",
    "his leg numbness has gone now",
    "my leg has gone much stronger",
    "my leg has gone on the mend",
    "my leg cast has gone",
    "his leg ulcer has gone",
    "the ache down my leg has gone",
    "my leg swelling has gone",
    "my leg has gone much stronger since the op",
    # a death told, or guessed at, is no one's now
    "my friend has died of sepsis, could this operation cause it",
    "I think my grandad died of sepsis, is it hereditary",
    "my aunt probably died of sepsis, should I worry about the op",
    "maybe she died of sepsis, I was never told",
    "my brother could have died of sepsis, the doctors said",
    "my uncle has died from sepsis after a back op, how likely is that",
    "my nan has died of sepsis, does it run in families",
    "my cousin may have died of sepsis, nobody knows",
    # a request supposed after it, or named as what it would be classed as
    "would it be worth calling an ambulance if my legs go numb",
    "would it be sensible to ring 999 if I get a fever",
    "would it be wise to call an ambulance if the wound opens",
    "if I couldn't wee would that be classed as an emergency",
    "would that be something I should ring 999 about",
    "would it be best to ring 999 if his wound opens up",
    "would that be classed as an emergency if I couldn't pee",
    # 'like' compares with the long past only, never before a general cue
    "signs like for example numb legs",
    "what are the symptoms like for example fever and back pain",
    "it's like they say, fever and back pain together",
    "symptoms like for instance a fever and a bad back",
    # the edges of a covering are no wound
    "the tape is coming apart at the edges",
    "the tape's coming apart at the edges, should I replace it",
]
# A fifth fresh-eyes review, of round twelve and the fourth review's fixes: each failed before its fix.
REPORTS_FIFTH_REVIEW = [
    # no temperature is below a fever's: "37.8" reaches the rules as "37 8"
    "She's got a temperature of 37.8 and back pain",
    "My temp is 37.6 and my back is really sore",
    "temperature of thirty seven point eight, back pain",
    "Temperature 37 and a half and back pain",
    # "have got" is now; a past cue after a likeness or the operation dates that, not the sign
    "I've got numbness down below like when I had the epidural years ago",
    "My legs have gone numb like when I had the spinal years ago",
    "She's gone blue like when she had sepsis last year",
    "My legs have gone numb, the same as when I had the op years ago",
    "I've got a fever and back pain after the op last month",
    "He's got a fever and back pain after his op a month ago",
    "My legs have gone numb after the op last month",
    "I've wet myself after my op a month ago",
    "I've got a hot oozing wound from the op last month",
    # a bare 'slurry' is speech, however said ('he's slurry'), and 'quickly' asks for help quickly
    "he's slurry and sleepy",
    "her words are slurry",
]
# a supposition after a request that points back, or tells a state, is none: the request stands
REQUESTS_FIFTH_REVIEW = [
    "Could that be sepsis? Call an ambulance in case it is.",
    "Would that be a stroke? Call 999 if so",
    "Could that be cauda equina? I need an ambulance if that's what it is",
    "Would it be alright to get an ambulance if she's gone blue?",
    "Would it be OK to call an ambulance if he's confused and hot",
    "I need to speak to a doctor quickly",
    "I need to speak to a doctor as quickly as possible",
]
GENERAL_FIFTH_REVIEW = [
    # a supposition that looks ahead or is anyone's stays one, "is" or "has" in it or not
    "would it be worth ringing the doctor if I have a temperature next week",
    "would it be right to call the doctor if I have a fever after the op",
    "would it be worth calling 999 if a patient has numb legs",
    "would it be worth calling an ambulance if it happens again",
    # a temperature of 36, whatever follows, is below a fever's
    "my temperature was 36.5 this morning and my back is sore",
    # a supposition that is one still asks
    "would it be worth calling an ambulance if my legs go numb",
    "would it be wise to call an ambulance if the wound opens",
]


# Asked what to make of a sign told after "that" (a review of speech in noise found these with no urgent message)
REPORTS_WHAT_TO_MAKE_OF = [
    "is it normal that my legs have gone numb",
    "is it normal that my bum is numb",
    "is it ok that he is confused and burning up",
    "is it normal that my legs feel weak after the op",
    # the verb outside the sign's words, and no verb at all (a second review)
    "is it normal that my husband is talking nonsense",
    "is it normal that my mum is slurring her words",
    "is it normal that my legs numb since this morning",
    "is it normal my legs have gone numb",
    "is it a problem that my bum is numb",
    "is it normal that there is numbness in my legs",
    # a third review: the wound, both legs
    "is it normal that the wound is leaking pus",
    "is it normal that both legs have gone numb",
    # family named as a carer names them
    "is it normal that granny is talking nonsense",
    "is it normal that mother is confused",
    # asked whether to worry, and an infinitive about oneself (the last session's review probes)
    "should i worry that my legs have gone numb",
    "should i be worried that he is confused",
    "should i be concerned that my wound is leaking",
    "is it normal to have numbness in my legs now",
    "is it normal to have pus coming out of my wound",
    "is it normal for my legs to go numb",
    # a review: a time ahead in another clause, a now word, and words that are no time ahead
    "is it normal to have numbness in my legs now it started after the op",
    "is it normal to have numbness in my legs ever since the op",
    "is it normal for my legs to go numb again",
    "is it normal for my legs to be numb, someone said it happens",
    "is it normal to wet myself since yesterday",
    # a time ahead in a clause of its own, with no word of now; and a perfect infinitive
    "is it normal to have numbness in my legs it began after the op",
    "is it normal to have numbness in my legs and it got worse after the op",
    "is it normal for my legs to have gone numb after the op",
    # someone else to be confused, a worry about someone's sign, "the" without "that" (the last session's misses)
    "is it normal for my wife to be confused",
    "is it normal for him to be so confused",
    "is it normal for my husband to be this drowsy",
    "should i worry about my legs going numb",
    "should i be worried about my dad being confused",
    "is it normal the wound is leaking pus",
    # a review: more of family, a worry about a sign now, the perfect after a time ahead
    "is it normal for my son to be this drowsy",
    "i am really worried about my wound leaking pus",
    "is it normal that i am worried about my legs going numb since this morning",
    "should i worry about my legs having gone numb after the op",
    "is it normal the legs have gone numb after the op",
    # a second review: a worry of now in other words, a past time clause, the progressive after a time
    "i am beginning to worry about my dad being so confused",
    "do i need to worry about my dad being this confused",
    "ok so im worried about my legs going numb",
    "why im calling is im worried about my dad being confused",
    "im worried about my wound leaking pus after i had a shower",
    "is it normal for my wife to be confused after she has had the anaesthetic",
    "is it normal that the wound is leaking pus after the op",
    "is it normal the wound is leaking pus after the op",
    "should we worry about grandma being confused",
    "is it normal for my mum to get so confused",
    "is it normal for grandad to keep getting confused",
    "is it normal for my wife to seem so confused",
    # a final review: a reassurance in another clause, a sign there now before a harm feared
    "the nurse said it would be ok but im worried about my dad being so confused",
    "im worried about my wound oozing pus and getting infected",
]
GENERAL_WHAT_TO_MAKE_OF = [
    # a clause after "that" that is asked about, or no clause at all
    "how do i know that my wound is infected",
    "is it normal for my legs to feel weak after the op",
    "is it normal that people get a fever after an operation, in general",
    # a clause about no one in particular (a second review)
    "is it normal that legs are weak after this kind of surgery",
    "is it normal that someone is confused after an operation",
    "is it normal that a wound feels warm",
    "is it normal that there is some numbness after the op",
    # an infinitive about no one in particular, or looking ahead
    "is it normal to lose control of your bowels after this surgery",
    "is it normal to get a fever after surgery",
    "is it normal to lose control of my bowels after the op",
    "should i worry that legs can go numb after surgery",
    "should i worry about fever",
    # a review: times ahead in other words, and a worry supposed
    "is it normal for my legs to feel a bit weak after spine surgery",
    "is it normal for my legs to go numb when i have the surgery",
    "is it normal to lose control of my bladder in recovery",
    "is it normal for my legs to go numb when im discharged",
    "i would be worried that my legs go numb",
    "is it ok to have a fever and my back hurts when i get home tomorrow",
    # the same shapes about no one in particular, looking ahead, or a worry asked about
    "is it normal for patients to be confused after surgery",
    "is it normal for him to be confused afterwards",
    "should i worry about my legs going numb after the operation",
    "is it normal that i worry about my legs going numb",
    # a review: a worry asked about, a habit, supposed or ahead; the operation in general
    "is it normal that i am so worried about my legs going numb",
    "is it silly to worry about my legs going numb",
    "i always worry about my legs going numb",
    "why should i worry about my legs going numb",
    "should i worry about my legs going numb if the nerve gets damaged",
    "should i worry about my legs going numb when i go home",
    "should i worry about my legs going numb later",
    "is it normal for my wife to be confused when she wakes up from the anaesthetic",
    "i told him to be careful because i get confused",
    "is it normal for my son to get confused about the medicines",
    # a second review: anyone's, a risk, a supposition in the present, a generic present after a time
    "should patients worry about their wound leaking pus",
    "is it silly that i worry about my legs going numb",
    "why am i so worried about my legs going numb",
    "is it normal the wound leaks a little after surgery",
    # a final review: another verb in the progressive, in a clause of its own after "while" or "as"
    "is it normal for my legs to feel numb while the nerves are healing after surgery",
    "is it normal for my legs to feel weak as things are settling after the op",
]


@pytest.mark.parametrize("text", REPORTS_WHAT_TO_MAKE_OF + REPORTS + REPORTS_ROUND_TWO + REPORTS_ROUND_THREE
                         + REPORTS_ROUND_FOUR
                         + REPORTS_ROUND_FIVE + REPORTS_ROUND_SIX + REPORTS_ROUND_SEVEN + REPORTS_ROUND_EIGHT
                         + REPORTS_ROUND_NINE + REPORTS_ROUND_TEN + REPORTS_REVIEW
                         + REPORTS_SECOND_REVIEW + REPORTS_ROUND_ELEVEN + REPORTS_THIRD_REVIEW
                         + REPORTS_ROUND_TWELVE + REPORTS_ROUND_TWELVE_KEPT + REPORTS_FOURTH_REVIEW
                         + REPORTS_FIFTH_REVIEW)
def test_red_flags_in_lay_words_get_the_urgent_message_first(guide: Guide, text: str) -> None:
    reply = Conversation(guide, ask_back=False).respond(text)
    assert reply.intent == "safety.urgent" and reply.text == urgent_message(guide.content), text


@pytest.mark.parametrize("text", GENERAL + GENERAL_ROUND_TWO + GENERAL_ROUND_THREE + GENERAL_ROUND_FOUR
                         + GENERAL_ROUND_FIVE + GENERAL_ROUND_SIX + GENERAL_ROUND_SEVEN + GENERAL_ROUND_EIGHT
                         + GENERAL_ROUND_NINE + GENERAL_ROUND_TEN + GENERAL_REVIEW
                         + GENERAL_SECOND_REVIEW + GENERAL_ROUND_ELEVEN + GENERAL_THIRD_REVIEW
                         + GENERAL_ROUND_TWELVE + GENERAL_FOURTH_REVIEW + GENERAL_FIFTH_REVIEW
                         + GENERAL_WHAT_TO_MAKE_OF)
def test_general_questions_about_symptoms_are_no_alarm(guide: Guide, text: str) -> None:
    reply = Conversation(guide, ask_back=False).respond(text)
    assert guide.content.urgent.text not in reply.text, text


def test_a_report_and_a_general_question_through_ask_json(ask: Ask, guide: Guide) -> None:
    got = ask("Both my legs have got pins and needles and they're ever so weak")
    assert got["intent"] == "safety.urgent" and str(got["answer"]).startswith(urgent_message(guide.content))
    general = ask("will I have weak legs after the operation")
    assert general["intent"] != "safety.urgent" and guide.content.urgent.text not in str(general["answer"])


@pytest.mark.parametrize("text", ["call 999", "call an ambulance", "please call 911 for me", "ring one one two",
                                  "call the emergency number for me",
                                  "I need a doctor right now", "can you phone an ambulance", "get me a doctor",
                                  "can you get someone here", *REQUESTS_THIRD_REVIEW,
                                  *REQUESTS_ROUND_TWELVE, *REQUESTS_FOURTH_REVIEW, *REQUESTS_FIFTH_REVIEW])
def test_every_emergency_request_hears_the_urgent_message_then_that_the_guide_cannot_call(
        ask: Ask, guide: Guide, text: str) -> None:
    got = ask(text)
    content = guide.content
    assert got["intent"] == "safety.emergency"
    assert got["answer"] == f"{urgent_message(content)} {content.cannot_call}"
    assert "cannot make calls" in content.cannot_call and "emergency number" in content.cannot_call
    assert len([s for s in content.cannot_call.split(". ") if s]) == 1  # one short sentence


@pytest.mark.parametrize("text", ["help me", "help me, I'm in agony", "please help", "somebody help me",
                                  "I'm scared, please get me some help",
                                  "I just need help"])  # small words inside a plea (round seven)
def test_help_me_is_a_plea_that_then_says_how_to_hear_what_to_ask(ask: Ask, guide: Guide, text: str) -> None:
    got = ask(text)
    content = guide.content
    assert got["intent"] == "safety.help"
    hint = "To hear what you can ask, say: what can I ask."
    assert got["answer"] == f"{urgent_message(content)} {content.cannot_call} {hint}"


@pytest.mark.parametrize("text", [
    # a review of round ten: "help him move" once stood among the phrases that are no plea
    "help him move, he can't", "please help her move her legs, she can't", "someone help him move",
    "I can't get him up, help him move", "she fell at rehab, help her", "he's at physio, help him now"])
def test_a_plea_to_help_someone_move_is_a_plea(guide: Guide, text: str) -> None:
    got = guide.understander.understand(text)
    assert got.intent is not None and got.intent.kind == "safety", (text, got.intent)


@pytest.mark.parametrize("text", [
    # round eleven: pain past bearing, however said, and what a review found the first cut lost
    # ("terrible with my back" is pain now in many mouths; "can't stand much more" is standing too)
    "I can't take much more pain", "he can't take any more, the pain in his back",
    "she can't bear much more of this pain", "I'm terrible with my back tonight",
    "I'm a terrible one for pain and now my legs are numb",
    "she can't stand much more than a minute, then her legs go",
    "the wound came open, is cutting him open again the answer",  # a wound come open stays a sign
    # a review of round twelve: open surgery said plainly is the surgery, and where it was done a wound
    "he's got a fever since cutting him open", "she's had a temperature ever since they opened her up",
    "where they cut me open is oozing green stuff", "her cut open and weeping", "the cut's open",
    "the small cut has opened and is weeping",
    # red flags' thirteenth round: no urine, said as a second language says it, or urine as the subject;
    # and what a review found the first cut lost ("passed any urine")
    "she is not having urine since this morning", "he has not made any urine today",
    "she has not had urine since yesterday, nothing is coming", "I haven't passed any urine since breakfast",
    "he is not doing urine since afternoon", "no urine since six this morning", "urine is not coming since morning",
    "the catheter bag is empty, no urine all day", "mi nuh pee since yesterday", "no urine from last night",
    "he is not getting urine since night",
    # a fourth review: a urine test or infection named next to a sign never hid it
    "I can't pass urine, infection maybe?", "I've lost control of my urine. Test came back clear",
    "I have a fever and a urine infection", "not a drop of urine, sample pot is empty",
    # and a carer's hedge it found missed before and after
    "I don't think he's passed any urine today", "I don't think she has had a wee since breakfast",
    # red flags' fourteenth round: water not passed, asked about with "if", has happened ("all day")
    "is it bad if she hasn't peed all day", "what does it mean if I have not had a wee all day",
    "is it ok if he hasn't passed water today",
    # a review of round fourteen: pain past bearing said plainly had been no sign
    "I'm in so much pain", "she's in such pain, what do I do", "I'm in so much of pain",
    # and what it found missed before: what someone can no longer do is what they can not do
    "he can no longer walk", "she can no longer control her bladder", "he no longer knows where he is",
    "I no longer have any feeling in my legs", "he no longer makes sense when he talks", "she no longer responds to me",
    # and what a third review found the first cut of "no longer" lost
    "I no longer know if I need a wee", "he no longer knows what day it is", "my pee no longer comes out",
    "I no longer feel the urge to go", "it's no longer an ache, it's unbearable",
    # and "so much pain" had, not only been in
    "I have so much pain", "she is having so much pain", "I have so much of pain in my back"])
def test_pain_past_bearing_and_no_urine_however_said_are_urgent(guide: Guide, text: str) -> None:
    got = guide.understander.understand(text)
    assert got.intent is not None and got.intent.name == "safety.urgent", (text, got.intent)


@pytest.mark.parametrize("text", [
    # red flags' fifteenth round: the talker's "like", and not knowing whether one has been
    "she is like really confused", "my husband is like really confused", "he is like completely confused",
    "I went to the lav and had no idea whether I'd been or not", "not sure whether I had been or not on the loo",
    # and control no longer had
    "I am no longer in control of my bladder"])
def test_confusion_with_like_and_not_knowing_one_has_been_are_urgent(guide: Guide, text: str) -> None:
    got = guide.understander.understand(text)
    assert got.intent is not None and got.intent.name == "safety.urgent", (text, got.intent)


@pytest.mark.parametrize("text", [
    # a sign told in a question about getting help stays a report, and a plea after an operation named is one
    "should I get help for the numbness in my legs", "what should I get help for, I can't feel my legs",
    "what should I get help for, he's confused and hot", "he's just had surgery help us please",
    "my dad had an operation help us"])
def test_a_sign_told_while_asking_about_help_is_urgent(guide: Guide, text: str) -> None:
    got = guide.understander.understand(text)
    assert got.intent is not None and got.intent.kind == "safety", (text, got.intent)


@pytest.mark.parametrize("text", ["the app is acting weird since my operation", "the app no longer recognises me",
                                  "I'm not sure if I'd been told about the toilet thing after surgery",
                                  "she is like so confused about which operation to pick",
                                  "dad is okay but he was confused for a day after the anaesthetic last time",
                                  # a state left behind
                                  "she's no longer in so much pain", "I'm no longer in agony"])
def test_odd_things_and_states_left_behind_are_no_alarm(guide: Guide, text: str) -> None:
    """Red flags' fifteenth round and its reviews: a thing behaving oddly is no one confused, and a state no
    longer had is gone."""
    got = guide.understander.understand(text)
    assert got.intent is None or got.intent.kind != "safety", (text, got.intent)


@pytest.mark.parametrize("text", ["is it ok if I have not wet myself today",
                                  "is it good if she has not lost control of her bladder today",
                                  "is it ok if she has never had severe pain since the op",
                                  "is it normal if I haven't been to the toilet for a poo since the op",
                                  "is it normal if I have not had a fever since the op",
                                  "what if I haven't had a poo for two days",
                                  # a sign no longer there is gone
                                  "she no longer has a fever",
                                  "I no longer have back pain since the op"])
def test_a_sign_not_had_asked_about_with_if_is_good_news(guide: Guide, text: str) -> None:
    """A review of red flags' fourteenth round: only water not passed is a sign for not having happened."""
    got = guide.understander.understand(text)
    assert got.intent is None or got.intent.kind != "safety", (text, got.intent)


@pytest.mark.parametrize("text", [
    "I can't take any more of the tablets, they make me sick",
    "I can't take any more painkillers, will keyhole mean less pain after",
    "I can't take any more time off work with this bad back",
    # round twelve: open surgery said plainly is no wound come open
    "won't cutting her open make the infection worse", "will I get a fever after they cut me open",
    # a review of the first cut of no urine: urine naming an infection, a test or a catheter is no report
    "the doctor said she is not having urine infection, so why the fever", "I don't have urine infection",
    "she isn't having urine tests, only bloods", "I didn't have urine catheter after my op, is that normal",
    # and a second review's: no urine infection, a test not gone for, another bag, a bag just emptied
    "the nurse said she has no urine infection", "I'm not going for urine test today",
    "the drain bag is not filling, is that fine", "the catheter bag is empty now, I just emptied it"])
def test_taking_no_more_medicine_or_no_urine_infection_is_no_report(guide: Guide, text: str) -> None:
    got = guide.understander.understand(text)
    assert got.intent is None or got.intent.kind != "safety", (text, got.intent)


@pytest.mark.parametrize("text", ["help", "what can I ask", "can you help me decide about the operation",
                                  "how does keyhole surgery help me", "will anyone ring to see how I am after I leave",
                                  "will the physio help him move about again"])
def test_help_alone_and_help_with_something_are_not_a_plea(ask: Ask, text: str) -> None:
    assert not str(ask(text)["intent"]).startswith("safety.")


def test_the_urgent_message_is_spoken_with_its_label(guide: Guide) -> None:
    urgent = guide.content.urgent
    spoken = urgent_message(guide.content)
    assert spoken == f"{urgent.label} {urgent.text}"
    assert "VoiceGuide" in urgent.label and "not from the article" in urgent.label


@pytest.mark.parametrize(("text", "reply"), [
    ("what are the risks", "risks"), ("what are the risks of this surgery for my dad", "risks"),
    ("what side effects could he get afterwards", "risks"), ("are there any complications", "risks"),
    ("what are the side effects", "risks"),
    ("is the operation safe", "is_it_safe"), ("is minimally invasive spine surgery safe", "is_it_safe"),
    ("is it safe for someone his age", "is_it_safe"),
    ("what are the chances it works", "success"), ("what's the success rate", "success"),
    # round one's open list: the risks of the operation for the condition, never the benefit
    ("what are the risks of MISS for spinal infection", "risks"),
    ("what are the risks of keyhole surgery for a spinal infection", "risks"),
    ("is it safe, honestly? I'm a nervous wreck", "is_it_safe"), ("honestly, is it safe", "is_it_safe"),
    # round four: a plea for a plain answer, the implants, a worse outcome, the infection coming back
    ("be straight with me, what are the complications", "risks"), ("is it safe, tell me straight", "is_it_safe"),
    ("could the screws work loose one day", "risks"), ("what side effects might she have from the metalwork", "risks"),
    ("could the operation make things worse", "risks"), ("could my legs stop working after the op", "risks"),
    ("might the infection come back afterwards", "success"), ("what are the odds it clears the infection", "success"),
    ("is it guaranteed to work", "success"),
])
def test_risk_and_safety_questions_get_the_honest_reply(ask: Ask, guide: Guide, text: str, reply: str) -> None:
    got = ask(text)
    answer = str(got["answer"])
    assert got["understood"] and answer == guide.content.replies.say(reply)
    assert answer.startswith("The article does not") and "care team" in answer
    # Never a benefit offered as if it answered a question about risk.
    assert not any(t.short in answer for t in guide.content.topics) and "lower chance" not in answer


@pytest.mark.parametrize("text", ["is the operation safe", "is it safe", "is keyhole surgery safe for older people"])
def test_safe_is_never_the_travel_subject(ask: Ask, text: str) -> None:
    assert ask(text)["intent"] == "info.is_it_safe"


def test_red_flags_do_not_depend_on_the_general_matcher(guide: Guide) -> None:
    """The detector alone, on its own rules, catches every example sentence of every safety intent."""
    detector = RedFlagDetector(guide.intents.red_flags)
    safety = [i for i in guide.intents.intents if i.kind == "safety"]
    assert {i.name for i in safety} == {"safety.urgent", "safety.emergency", "safety.help"}
    wrong = [(" ".join(s), i.name) for i in safety for s in i.sentences if detector.detect(list(s)) != i.name]
    assert wrong == []
    assert detector.detect(words("will I have weak legs after the operation")) is None


BROKEN_RULES = [
    ("  window: 12", "  window: lots", "'window' must be a whole number from 1 to 30"),
    ("{classes: [bladder, self], window: 2}", "{classes: [bladder, self], window: 0}",
     "'window' must be a whole number from 1 to 30"),
    ("{classes: [bladder, self], window: 2}", "{classes: [bladder, selfie], window: 2}", "unknown class 'selfie'"),
    ("{classes: [bladder, self], window: 2}", "{classes: [bladder, self], windows: 2}", "unknown sign field 'windows'"),
    ("  negatable: [numb,", "  negatable: [numbb,", "unknown class 'numbb'"),
    ("  overriding: [not_a_sign]", "  overriding: [not_a_sing]", "unknown class 'not_a_sing'"),
    ("  joins: [or, nor]", "  joins: []", "'joins' must be a non-empty list"),
    ("      - [numb, leg]\n", "      - [numb, legz]\n", "unknown class 'legz'"),
    ("  breaks: [but,", "  breaks: [but only,", "'breaks' must list single words"),
    ("  lookback: 6", "  lookback: 6\n  loookback: 7", "unknown red_flags field 'loookback'"),
    ("  inflected: [leg,", "  inflected: [legg,", "unknown class 'legg'"),
    ("  inserts: [just,", "  inserts: [just a,", "'inserts' must list single words"),
    ("  done: [wet,", "  done: [wet through,", "'done' must list single words"),
    ("  able: [can, could, do, does, did]", "  able: []", "'able' must be a non-empty list"),
    ("  articles: [a,", "  articles: [a bit of,", "'articles' must list single words"),
    ("  alternatives: [or]", "  alternatives: or", "'alternatives' must be a non-empty list"),
    ("window: 3, ordered: true}", "window: 3, ordered: yes please}", "'ordered' must be true or false"),
    ("  spoken: {meself: myself,", "  spoken: {meself: my self,", "'spoken' must map single words to single words"),
    ("  possessive: {me: my, ma: my}", "  possessive: [me, ma]", "'possessive' must map single words to single words"),
    ("  owned: [leg,", "  owned: [both legs,", "'owned' must list single words"),
    ("  passing: [go away,", "  passing: [{go: away},", "expected non-empty text"),
    ("  personal: [my,", "  personal: [my own,", "'personal' must list single words"),
    ("  asides: [i suppose you would call it,", "  asides: [[i suppose],", "expected non-empty text"),
    ("  owning: [that is what i have got,", "  owning: that is what i have got\n  xowning: [",
     "'owning' must be a non-empty list"),
    ("  clipped: {in: ing}", "  clipped: {in: i ng}", "'clipped' must map single words to single words"),
    ("  auxiliary: [is,", "  auxiliary: [is not,", "'auxiliary' must list single words"),
    ("  terse: [gave_way, gone]", "  terse: [gave_way, went]", "unknown class 'went'"),
    ("  mourned: [sepsis,", "  mourned: [septic,", "unknown class 'septic'"),
]


def _rules_file_edited(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the shipped rules' folder (safety.yaml and the word lists its sentences use) with one
    edit to safety.yaml; the edited file's path."""
    intents = tmp_path / "intents"
    intents.mkdir()
    for name in ("safety.yaml", "words.yaml"):
        shutil.copy(shipped_dir("intents") / name, intents)
    path = intents / "safety.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


def _rules_edited(tmp_path: Path, old: str, new: str) -> RedFlagDetector:
    """The detector on the shipped rules with one edit, through the real loader."""
    return RedFlagDetector(load_intents(_rules_file_edited(tmp_path, old, new).parent, []).red_flags)  # the rules alone


@pytest.mark.parametrize(("old", "new", "text", "shipped"), [
    # a supposition of what has already happened reports it ('wet' is a listed past participle)
    ("  done: [wet, ", "  done: [", "what does it mean if I have wet the bed twice tonight", "safety.urgent"),
    # asked about as it happens ('can' before 'not')
    ("  able: [can, could,", "  able: [could,", "why can't I move my legs", "safety.urgent"),
    # a second question joined by 'or'
    ("  alternatives: [or]", "  alternatives: [nor]",
     "would that be something to worry about, or is a bit of a temperature normal after an op", None),
    # spoken forms, and 'me' for 'my' before an owned noun
    ("  spoken: {meself: myself,", "  spoken: {mesself: myself,", "weed meself on the bus", "safety.urgent"),
    ("  owned: [leg, foot,", "  owned: [foot,", "there's pain down both me legs", "safety.urgent"),
    # a now cue after a sign passing looks ahead
    ("  passing: [go away,", "  passing: [go off,", "I had a numb foot before the op, will it go away now", None),
    # a denial before passing urine, in that order
    ("window: 3, ordered: true}", "window: 3}", "peeing normally, no stinging, can I swim", None),
    # an aside asks nothing; a sign asked about then owned is told
    ("you might call it, ", "", "a tingling, you might call it, round my bum", "safety.urgent"),
    ("which is what he has, ", "", "can your legs go weak after an op? which is what he has", "safety.urgent"),
    # what a sign is, asked, unless the sign is someone's own
    ("                is sign of, are sign of,", "                are sign of,",
     "numbness in the legs, this is sign of nerve damage?", None),
    ("  personal: [my,", "  personal: [", "red flag, my legs have gone numb", "safety.urgent"),
    # who says it is not who has it; a tag points back at a sign told; someone has the signs
    ("  saying: [say,", "  saying: [", "she says numbness down there is a sign of something bad", None),
    ("  pointing: [this,", "  pointing: [", "back agony, fever 39, this is sign of infection?", "safety.urgent"),
    ("  having: [got, have, has,", "  having: [", "he has all the red flags, numb legs, fever", "safety.urgent"),
    # an ending dropped, put back to make a word of the rules; Scots 'no' for 'not' after a verb
    ("  clipped: {in: ing}", "  clipped: {an: ing}", "he's draggin his left foot, keeps catchin it", "safety.urgent"),
    ("  auxiliary: [is, am,", "  auxiliary: [am,", "he's no been for a pee since last night", "safety.urgent"),
    # 'wee' small before what it describes
    ("  small: {wee: little}", "  small: {weee: little}", "my scar's a wee bit numb, is that normal", None),
    ("  described: [bit,", "  described: [", "my scar's a wee bit numb, is that normal", None),
    ("  undescribed: [loss,", "  undescribed: [bowel,", "he's got a wee leak", "safety.urgent"),
    # a terse phrase counts only where nothing describes the leg, and not of a leg that is a place
    ("  terse: [gave_way, gone]", "  terse: [gone]", "my leg went a bit red after a hot bath", None),
    ("  describing: [a, an,", "  describing: [an,", "my leg went a bit red after a hot bath", None),
    ("  states: [back, up,", "  states: [back,", "my leg's gone up like a balloon, is that the op", None),
    ("  descriptions: [wound_bad,", "  descriptions: [", "my leg went red after a hot bath", None),
    ("  places: [in, of,", "  places: [of,", "the ache in my leg's gone now, can I drive", None),
    # a death told of; the past compared with after a subject and its verb; a correction
    ("  mourning: [died of,", "  mourning: [", "my friend died of sepsis, could this operation cause it", None),
    ("  mourned: [sepsis,", "  mourned: [", "my friend died of sepsis, could this operation cause it", None),
    ("  comparing: [than, as]", "  comparing: [as]",
     "I was burning up and shaking, worse than it was before the operation", "safety.urgent"),
    ("           i mean]", "           i meant]", "it's not his colour, I mean his lips are blue", "safety.urgent"),
    # the third review's: a request named right after a supposition's cue, the past of one clause, a cue that
    # closes its clause, a death survived, how a leg is after a terse phrase, a Scots noun after a determiner
    ("  request_naming: [would that be,", "  request_naming: [would that bee,", "would that be an emergency", None),
    ("         as a child, as a kid,", "         as a chyld, as a kid,",
     "my legs went numb as a child, could it come back", None),
    ("  closing: [ago]", "  closing: [agoo]", "had a fall years ago, legs numb", "safety.urgent"),
    ("  surviving: [nearly,", "  surviving: [", "I nearly died of sepsis last time and I've got it again now",
     "safety.urgent"),
    ("white, gone down]", "white]", "my leg's gone down now", None),
    ("  spoken_nouns: {tae: toe}", "  spoken_nouns: {tay: toe}", "my big tae's gone numb", "safety.urgent"),
    # the fourth review's: the tense of a past cue's clause, a sign that goes on, where a state ends, what a
    # leg loses, a symptom's passage, not being able, a death feared, a supposition after a request
    ("  present_tense: [is, are, am, can,", "  present_tense: [is, are, am,",
     "had a fall last month, can't feel my legs", "safety.urgent"),
    ("  persisting: [still,", "  persisting: [stilll,",
     "I couldn't feel my legs before the operation and I still can't", "safety.urgent"),
    ("  state_ends: [a lot,", "  state_ends: [a lott,", "my leg's gone down a lot", None),
    ("  faculties: [strength,", "  faculties: [strengthh,", "the strength in my legs has gone", "safety.urgent"),
    ("  passages: [down,", "  passages: [", "the pain down my leg has gone", None),
    ("  read_as: {not able to: can not,", "  read_as: {not able too: can not,", "I'm not able to stand",
     "safety.urgent"),
    ("  fearing: [think,", "  fearing: [thinkk,", "I think she's died from a seizure", "safety.urgent"),
    ("  supposing: [if,", "  supposing: [iff,", "would it be worth calling an ambulance if my legs go numb", None),
    ("  stating: [is,", "  stating: [iss,", "Would it be OK to call an ambulance if he's confused and hot",
     "safety.emergency"),
    ("  later: [after the op,", "  later: [after the opp,",
     "would it be right to call the doctor if I have a fever after the op", None),
])
def test_the_word_lists_of_the_rules_come_from_the_rules_file(
        tmp_path: Path, guide: Guide, old: str, new: str, text: str, shipped: str | None) -> None:
    assert RedFlagDetector(guide.intents.red_flags).detect(words(text)) == shipped
    assert _rules_edited(tmp_path, old, new).detect(words(text)) != shipped


@pytest.mark.parametrize(("old", "new", "message"), BROKEN_RULES)
def test_broken_red_flag_rules_are_reported_with_file_and_line(
        tmp_path: Path, guide: Guide, old: str, new: str, message: str) -> None:
    # The rules' file with the word lists its sentences use, through the real loader: the rules are
    # checked alone (redflags.parse_red_flags), and expanding every other intent would take seconds.
    path = _rules_file_edited(tmp_path, old, new)
    text = (shipped_dir("intents") / "safety.yaml").read_text()
    with pytest.raises(DataErrors) as caught:
        load_intents(path.parent, [t.id for t in guide.content.topics])
    line = text[: text.index(old)].count("\n") + 1
    found = [str(e) for e in caught.value.errors]
    assert any(e.startswith(f"{path}:") and message in e for e in found), found
    assert any(any(e.startswith(f"{path}:{n}:") for n in range(line - 1, line + 2)) for e in found), found


def test_the_opening_at_home_full_disclaimer_first_then_the_short_one(guide: Guide) -> None:
    content = guide.content
    greeting, full, short = content.replies.say("greeting"), content.disclaimer.text, content.short_disclaimer.text
    assert home_opening(content, False, True, False) == f"{greeting} {full}"
    assert home_opening(content, True, True, False) == f"{greeting} {short}"
    assert home_opening(content, True, False, False) == greeting  # short_disclaimer: false, a single user
    assert home_opening(content, False, False, False) == f"{greeting} {full}"  # the first use always hears it
    assert home_opening(content, True, True, True) == f"{greeting} {short} {content.replies.say('push_to_talk')}"
    assert len(short.split()) <= 12


def test_short_disclaimer_setting_is_checked(user_config: Path) -> None:
    user_config.write_text("short_disclaimer: false\n")
    assert load_config().short_disclaimer is False
    user_config.write_text("rate_step: 3\nshort_disclaimer: sometimes\n")
    with pytest.raises(DataError, match=r"config.yaml:2: 'short_disclaimer' must be true or false"):
        load_config()


class _Speaker:
    """The sound device (the edge of the test: no sound here), noting each sentence it is given."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def start(self, sentences: Iterable[Sentence]) -> _Speaker:
        self.said.extend(s.text for s in sentences)  # synthesised for real
        return self

    def stop(self) -> None:
        pass

    def wait(self, timeout: float | None = None) -> bool:
        return True

    def finish(self, playback: object, timeout_s: float = 60.0) -> None:
        pass

    def close(self) -> None:
        pass


def test_spoken_chat_opens_with_the_disclaimer_in_full_then_short(
        guide: Guide, user_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = guide.content
    monkeypatch.setattr("voiceguide.app.load_guide", lambda *_: guide)
    for disclaimer in (content.disclaimer.text, content.short_disclaimer.text):
        speaker = _Speaker()
        monkeypatch.setattr(cli, "_speaker", lambda *_, speaker=speaker: speaker)
        monkeypatch.setattr("sys.stdin", io.StringIO("goodbye\n"))
        assert cli.main(["chat", "--speak"]) == 0
        opening = f"{content.replies.say('greeting')} {disclaimer}"
        assert speaker.said == split_sentences(f"{opening} {content.replies.say('goodbye')}")
        assert load_config().disclaimer_played


@pytest.mark.slow  # about 17 s: a whole spoken session
def test_a_spoken_session_at_home_hears_the_short_disclaimer_and_safety_first(tmp_path: Path, guide: Guide) -> None:
    """`voiceguide listen` on a scripted microphone: real recognition (PocketSphinx) of speech rendered by the
    Piper voice, real synthesis; a later session at home, so the short disclaimer opens it."""
    config = tmp_path / "config.yaml"
    config.write_text("disclaimer_played: true\nrate_step: 7\n")  # a later session; a brisk voice keeps it short
    said = ["I can't feel my legs", "call an ambulance", "what are the risks of the operation", "goodbye for now"]
    events = tmp_path / "events.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "voiceguide", "listen", "--from-wavs", *(str(spoken_wav(tmp_path, s)) for s in said),
         "--events", str(events), "--to-wav", str(tmp_path / "guide.wav")],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(REPO), "VOICEGUIDE_CONFIG": str(config)})
    assert done.returncode == 0, done.stderr
    content = guide.content
    opening = done.stdout.splitlines()[0]
    assert opening == f"{content.replies.say('greeting')} {content.short_disclaimer.text}"
    turns = [json.loads(line) for line in events.read_text().splitlines()]
    assert [t["intent"] for t in turns] == ["safety.urgent", "safety.emergency", "info.risks", "control.goodbye"]
    assert turns[0]["answer"] == urgent_message(content)
    assert turns[1]["answer"] == f"{urgent_message(content)} {content.cannot_call}"
    assert turns[2]["answer"] == content.replies.say("risks")
