"""The conversation: understanding in, the reply to speak out.

A :class:`Conversation` keeps the listener's place (current topic, last
answer, a pending "did you mean") and their voice settings, and turns each
utterance into a :class:`Reply`. It knows nothing about audio: an
:class:`Action` tells the speech layer what to do besides speaking.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from .content import Content, Topic
from .guide import Guide
from .understand import Understanding

log = logging.getLogger(__name__)

RATES = (0.6, 0.7, 0.8, 0.9, 1.0, 1.15, 1.3, 1.5)
"""Speaking rates, as a factor of the voice's normal rate, from slowest."""
VOLUMES = (0.2, 0.35, 0.5, 0.65, 0.8, 1.0)
"""Volumes, as a factor of full scale, from quietest."""

CANNOT_ANSWER = {"info.risks": "risks", "info.is_it_safe": "is_it_safe", "info.success": "success"}
"""Questions the article cannot answer safely, and the reply (replies.yaml) that says so."""


def urgent_message(content: Content) -> str:
    """The urgent-care message as spoken: its label first, so that the listener knows it is
    VoiceGuide's safety advice and not the article."""
    return content.urgent.spoken


def red_flag_reply(content: Content, intent: str) -> str:
    """The reply to a red flag: the urgent message always first. A request for a call or for
    help is also told that the guide cannot call; "help me" also how to hear what to ask,
    since "help" alone lists it."""
    parts = [urgent_message(content)]
    if intent in ("safety.emergency", "safety.help"):
        parts.append(content.cannot_call)
    if intent == "safety.help":
        parts.append(content.replies.say("ask_hint"))
    return " ".join(parts)


def home_opening(content: Content, disclaimer_played: bool, short_disclaimer: bool, push_to_talk: bool) -> str:
    """What a session at home (listen, or chat --speak) says first: the greeting; the full
    disclaimer on first use, then the short one at the start of every later session (unless
    ``short_disclaimer`` is off, for a single-user machine); and how to talk with push-to-talk."""
    replies = content.replies
    opening = [replies.say("greeting")]
    if not disclaimer_played:
        opening.append(content.disclaimer.text)
    elif short_disclaimer:
        opening.append(content.short_disclaimer.text)
    if push_to_talk:
        opening.append(replies.say("push_to_talk"))
    return " ".join(opening)


class Action(enum.Enum):
    """What the speech layer should do besides speaking the reply."""

    NONE = "none"
    STOP = "stop"
    PAUSE = "pause"
    RESUME = "resume"
    GOODBYE = "goodbye"


@dataclass(frozen=True)
class VoiceSettings:
    """The listener's voice settings, as steps into RATES and VOLUMES."""

    rate_step: int = RATES.index(1.0)
    volume_step: int = VOLUMES.index(0.8)

    @property
    def rate(self) -> float:
        """Speaking rate as a factor of normal."""
        return RATES[self.rate_step]

    @property
    def volume(self) -> float:
        """Volume as a factor of full scale."""
        return VOLUMES[self.volume_step]


@dataclass(frozen=True)
class Reply:
    """What the guide answers to one utterance."""

    understanding: Understanding
    """How the utterance was understood."""
    text: str
    """The full text to speak."""
    action: Action = Action.NONE
    """What to do besides speaking."""
    topic: str | None = None
    """The current topic after this reply, if any."""
    unit: str | None = None
    """The answer unit the reply leads with, when it speaks the article's content."""

    @property
    def intent(self) -> str | None:
        """The intent acted on; None when not understood."""
        u = self.understanding
        return u.intent.name if u.understood and u.intent else None


@dataclass
class State:
    """Where the listener is. Everything a conversation remembers."""

    current: int | None = None
    """Index of the current topic in reading order."""
    last_answer: str = ""
    """The last answer given, for "repeat"."""
    detail_given: bool = False
    """The current topic's detail has been read."""
    pending: tuple[str, str] | None = None
    """What "did you mean" offered, awaiting yes or no: ("topic" or "unit", its id)."""
    misunderstood: int = 0
    """Utterances not understood in a row."""
    left_off: str | None = None
    """The topic id an earlier run ended on, for "continue where I left off" (kept at home)."""
    settings: VoiceSettings = field(default_factory=VoiceSettings)


class Conversation:
    """Turns utterances into replies, keeping context between them."""

    def __init__(self, guide: Guide, ask_back: bool = True, state: State | None = None) -> None:
        self.guide = guide
        self.ask_back = ask_back
        self.state = state or State()
        self._say = guide.content.replies.say
        self._lead: str | None = None
        self._controls: dict[str, Callable[[], tuple[str, Action]]] = {
            "control.repeat": self._repeat, "control.more": self._more,
            "control.next": lambda: self._step(+1), "control.previous": lambda: self._step(-1),
            "control.pause": lambda: (self._say("paused"), Action.PAUSE),
            "control.resume": lambda: (self._say("resumed"), Action.RESUME),
            "control.stop": lambda: (self._say("stopped"), Action.STOP),
            "control.slower": lambda: self._adjust("rate_step", -1, "slower", "slowest", len(RATES)),
            "control.faster": lambda: self._adjust("rate_step", +1, "faster", "fastest", len(RATES)),
            "control.louder": lambda: self._adjust("volume_step", +1, "louder", "loudest", len(VOLUMES)),
            "control.quieter": lambda: self._adjust("volume_step", -1, "quieter", "quietest", len(VOLUMES)),
            "control.help": lambda: (self._say("help"), Action.NONE),
            "control.list_topics": self._list_topics, "control.where_am_i": self._where_am_i,
            "control.continue_last": self._continue_last, "control.start_over": self._start_over,
            "control.yes": lambda: (self._say("yes_without_question"), Action.NONE),
            "control.no": lambda: (self._say("no_without_question"), Action.NONE),
            "control.goodbye": lambda: (self._say("goodbye"), Action.GOODBYE),
        }

    @property
    def topics(self) -> tuple[Topic, ...]:
        return self.guide.content.topics

    def respond(self, text: str, understanding: Understanding | None = None, noisy: bool = False) -> Reply:
        """The reply to one utterance (understood here unless already understood). ``noisy``: it was
        spoken, and heard over a loud background (Transcript.noisy)."""
        understanding = understanding or self.guide.understander.understand(text)
        log.debug("understood %r as %s (%.2f)", text, understanding.intent.name if understanding.intent else None,
                  understanding.confidence)
        self._lead = None
        pending, self.state.pending = self.state.pending, None
        if pending and understanding.understood and understanding.intent:
            if understanding.intent.name == "control.yes":
                kind, name = pending
                answer = self._answer_unit(name, False) if kind == "unit" else self._answer_topic(name, False)
                return self._reply(understanding, answer)
            if understanding.intent.name == "control.no":
                return self._reply(understanding, self._say("clarify_declined"))
        if not understanding.understood:
            return self._not_understood(understanding, noisy)
        self.state.misunderstood = 0
        return self._understood(understanding)

    def _reply(self, understanding: Understanding, text: str, action: Action = Action.NONE) -> Reply:
        current = self.state.current
        topic = self.topics[current].id if current is not None else None
        return Reply(understanding, text, action, topic, self._lead)

    def _understood(self, u: Understanding) -> Reply:
        assert u.intent is not None
        intent = u.intent
        if intent.unit is not None:
            return self._reply(u, self._answer_unit(intent.unit, u.asks_figure))
        if intent.topic is not None:
            return self._reply(u, self._answer_topic(intent.topic, u.asks_figure))
        if intent.name in self._controls:
            text, action = self._controls[intent.name]()
            return self._reply(u, text, action)
        text = self._info(intent.name)
        self.state.last_answer = text
        return self._reply(u, text)

    def _info(self, name: str) -> str:
        content = self.guide.content
        if name.startswith("safety."):
            return red_flag_reply(content, name)
        if name in CANNOT_ANSWER:
            return self._say(CANNOT_ANSWER[name])
        if name == "info.disclaimer":
            return content.disclaimer.text
        checked = content.source.checked
        return self._say("source", title=content.source.title, checked=f"{checked.day} {checked:%B %Y}")

    def _not_understood(self, u: Understanding, noisy: bool = False) -> Reply:
        if u.out_of_scope:
            assert u.intent is not None and u.intent.subject is not None
            return self._reply(u, self._say("out_of_scope", subject=u.intent.subject))
        if self.ask_back and u.unsure and u.confidence >= self.guide.understander.thresholds.clarify:
            assert u.intent is not None
            content = self.guide.content
            topic_id = u.intent.topic or (content.unit(u.intent.unit).topic if u.intent.unit else None)
            if topic_id is not None:
                self.state.pending = ("unit", u.intent.unit) if u.intent.unit else ("topic", topic_id)
                title = content.topic(topic_id).title
                return self._reply(u, self._say("clarify_noisy" if noisy else "clarify", title=title.lower()))
        self.state.misunderstood += 1
        if self.ask_back and self.state.misunderstood >= 2:
            return self._reply(u, self._say("not_understood_again", topics=self._titles()))
        # Over noise or other voices, or a voice far off, the person can help most by coming closer.
        return self._reply(u, self._say("not_understood_noisy" if noisy else "not_understood"))

    def _answer_topic(self, topic_id: str, asks_figure: bool, announce: bool = False) -> str:
        topic = self.guide.content.topic(topic_id)
        self.state.current = topic.number - 1
        self.state.detail_given = False
        parts = [self._say("topic_intro", number=str(topic.number), title=topic.title)] if announce else []
        parts.append(topic.short)
        if asks_figure:
            parts.append(self._say("no_exact_figure"))
        text = " ".join(parts)
        self.state.last_answer = text
        self._lead = topic.lead
        return text

    def _answer_unit(self, unit_id: str, asks_figure: bool) -> str:
        """The fact asked first; then the offer of the rest of its topic, which "more" gives."""
        unit = self.guide.content.unit(unit_id)
        topic = self.guide.content.topic(unit.topic)
        self.state.current = topic.number - 1
        self.state.detail_given = False
        parts = [unit.text]
        if asks_figure:
            parts.append(self._say("no_exact_figure"))
        parts.append(self._say("offer_more", title=topic.title.lower()))
        text = " ".join(parts)
        self.state.last_answer = text
        self._lead = unit.id
        return text

    def _repeat(self) -> tuple[str, Action]:
        return (self.state.last_answer or self._say("nothing_to_repeat")), Action.NONE

    def _more(self) -> tuple[str, Action]:
        if self.state.current is None:
            return self._say("no_topic_for_detail"), Action.NONE
        if self.state.detail_given:
            return self._say("no_more_detail"), Action.NONE
        self.state.detail_given = True
        self.state.last_answer = self.topics[self.state.current].detail
        return self.state.last_answer, Action.NONE

    def _step(self, delta: int) -> tuple[str, Action]:
        current = self.state.current
        target = 0 if current is None and delta > 0 else (current or 0) + delta
        if (current is None and delta < 0) or target < 0:
            return self._say("at_first_topic"), Action.NONE
        if target >= len(self.topics):
            return self._say("at_last_topic"), Action.NONE
        return self._answer_topic(self.topics[target].id, False, announce=True), Action.NONE

    def _adjust(self, name: str, delta: int, said: str, at_limit: str, steps: int) -> tuple[str, Action]:
        value = getattr(self.state.settings, name) + delta
        if not 0 <= value < steps:
            return self._say(at_limit), Action.NONE
        self.state.settings = replace(self.state.settings, **{name: value})
        return self._say(said), Action.NONE

    def _titles(self) -> str:
        return ". ".join(t.title for t in self.topics)

    def _list_topics(self) -> tuple[str, Action]:
        return self._say("topics_intro", total=str(len(self.topics)), topics=self._titles()), Action.NONE

    def _where_am_i(self) -> tuple[str, Action]:
        if self.state.current is None:
            return self._say("where_am_i_none"), Action.NONE
        topic = self.topics[self.state.current]
        return self._say("where_am_i", number=str(topic.number), total=str(len(self.topics)),
                         title=topic.title), Action.NONE

    def _continue_last(self) -> tuple[str, Action]:
        left_off = self.state.left_off
        if self.state.current is None and left_off is not None and any(t.id == left_off for t in self.topics):
            return self._answer_topic(left_off, False, announce=True), Action.NONE
        if self.state.current is None:
            first = self._answer_topic(self.topics[0].id, False, announce=True)
            return f"{self._say('nothing_to_continue')} {first}", Action.NONE
        return self._answer_topic(self.topics[self.state.current].id, False, announce=True), Action.NONE

    def _start_over(self) -> tuple[str, Action]:
        first = self._answer_topic(self.topics[0].id, False, announce=True)
        return f"{self._say('start_over')} {first}", Action.NONE
