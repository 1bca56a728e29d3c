"""The application, assembled in one place: guide, recogniser, voice, speaker and conversation.

The command line, the benchmarks and the tests build what they run through
:class:`App`, so an engine, a voice or a device is chosen and opened the same
way everywhere. Nothing here prints: what the person should be told (which
engine, no speaker) comes back as text or is logged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .config import Config, save_config
from .content import Content, load_shipped_content
from .dialogue import Conversation, State
from .errors import OutputError
from .guide import Guide, load_guide
from .isolate import ProcessRecognizer
from .normalize import words
from .recognize import EnginePlan, ModelChoice, Recognizer, Vocabulary, choose_engine
from .understand import command_phrases, spotting_phrases

if TYPE_CHECKING:
    # Imported where used: they bring numpy and the sound libraries, which a typed question
    # never needs and which took longer to import than the rest of it (bench/startup.py).
    from .converse import Session
    from .devices import DevicePlayer
    from .hearing import Listener
    from .playback import StreamPlayer
    from .speak import Speech


@dataclass(frozen=True)
class Choices:
    """What the person chose for this run; None means the setting in the config file."""

    content: Path | None = None
    """Content folder (default: the shipped one)."""
    intents: Path | None = None
    """Intents folder (default: the shipped one)."""
    engine: str | None = None
    """Speech recogniser: auto or an engine's name (recognize.ENGINES)."""
    model: Path | None = None
    """A model folder for the engine (Vosk or Whisper)."""
    voice: str | None = None
    """An espeak-ng voice name, or "piper"."""
    input_device: str | None = None
    """Microphone, by name or index."""
    output_device: str | None = None
    """Speaker, by name or index."""
    trailing_silence_ms: int = 500
    """Silence that ends a spoken question."""


class App:
    """Builds each part on first use, once, from the config and the person's choices."""

    def __init__(self, config: Config, choices: Choices | None = None) -> None:
        self.config = config
        self.choices = choices or Choices()

    @functools.cached_property
    def content(self) -> Content:
        """The content alone, for what needs no understanding (export, topics)."""
        return load_shipped_content(self.choices.content)

    @functools.cached_property
    def guide(self) -> Guide:
        return load_guide(self.choices.content, self.choices.intents)

    @functools.cached_property
    def speech(self) -> Speech:
        from .speak import Speech, make_synthesizer

        return Speech(make_synthesizer(self.choices.voice or self.config.voice), lexicon=self.content.pronunciations)

    def engine_plan(self, *phrases: str) -> EnginePlan:
        """The engine asked for and its model, listening also for ``phrases`` besides the commands;
        plain data, so that it can be opened in another process."""
        choice = ModelChoice(self.choices.model, self.config.vosk_model, self.config.whisper_size)
        return choose_engine(self.choices.engine or self.config.engine, choice,
                             listening_vocabulary(self.guide, *phrases))

    def recognizer(self, *phrases: str, isolated: bool = False) -> tuple[Recognizer, str]:
        """The engine asked for, opened, listening also for ``phrases`` besides the commands, and a
        sentence saying which engine and why. ``isolated`` decodes in a child process, for
        whenever the guide speaks while it listens (see isolate.py)."""
        plan = self.engine_plan(*phrases)
        if not isolated:
            return plan()
        recognizer = ProcessRecognizer(plan)
        return recognizer, recognizer.which

    def listener(self, recognizer: Recognizer, clock: Callable[[], float] | None = None) -> Listener:
        """The endpointer on ``recognizer``, timing speech by ``clock``: a microphone's CaptureClock,
        or a FramePlayer's when the conversation runs in audio time."""
        from .hearing import EndpointConfig, Listener

        # The trained detector where it was measured to help (Whisper in noise, README: Speech in);
        # PocketSphinx's figures were measured with the level detector, and Silero's late onset
        # clipped its first word ("next topic please" heard as "stop it please").
        detector = "silero" if recognizer.engine == "whisper" else "level"
        config = EndpointConfig(trailing_silence_ms=self.choices.trailing_silence_ms, voice_detector=detector)
        return Listener(recognizer, config) if clock is None else Listener(recognizer, config, clock=clock)

    @property
    def input_device(self) -> str | int | None:
        from .devices import device_id

        return device_id(self.choices.input_device or self.config.input_device)

    @property
    def output_device(self) -> str | int | None:
        from .devices import device_id

        return device_id(self.choices.output_device or self.config.output_device)

    def speaker(self, wait: bool = False) -> DevicePlayer:
        """The sound output (NoAudioDevice when there is none), or with ``wait`` (an unattended
        station) waited for with back-off."""
        from .devices import DevicePlayer, wait_for_speaker

        rate = self.speech.synthesizer.sample_rate
        return wait_for_speaker(rate, self.output_device) if wait else DevicePlayer(rate, self.output_device)

    def conversation(self, home: bool = True, ask_back: bool = True) -> Conversation:
        """A fresh conversation with the configured voice settings; at home it also knows
        where the last one left off."""
        state = State(settings=self.config.voice_settings, left_off=self.config.last_topic if home else None)
        return Conversation(self.guide, ask_back=ask_back, state=state)

    def session(self, conversation: Conversation, listener: Listener, player: StreamPlayer,
                events: TextIO | None = None) -> Session:
        from .converse import Session

        return Session(conversation, listener, self.speech, player, events)


def listening_vocabulary(guide: Guide, *phrases: str) -> Vocabulary:
    """What the guide listens for, for any engine: its commands and ``phrases`` (a wake phrase),
    every word it says or listens for, the pronunciations it gives, and a domain prompt."""
    from .converse import BARGE_IN

    content = guide.content
    said = {w for i in guide.intents.intents for s in i.sentences for w in s}
    for topic in content.topics:
        said.update(words(f"{topic.title} {topic.short} {topic.detail}"))
    return Vocabulary(
        commands=tuple(dict.fromkeys([*command_phrases(guide.intents), *(p.lower() for p in phrases)])),
        words=tuple(sorted(said)),
        pronunciations=tuple(sorted(guide.intents.language.pronunciations.items())),
        prompt=domain_prompt(guide),
        stops=tuple(spotting_phrases(guide.intents, BARGE_IN)))


def domain_prompt(guide: Guide) -> str:
    """The article's title and its rare words, spelled as it spells them ("osteomyelitis",
    "discitis", "debridement"): the words of the article that a general dictionary lacks (the
    ones the guide gives pronunciations for), in the article's order."""
    content = guide.content
    rare = set(guide.intents.language.pronunciations)
    said = list(dict.fromkeys(w for w in words(content.source.article) if w in rare))
    return f"{content.source.title}. {', '.join(said).capitalize()}." if said else f"{content.source.title}."


class Home:
    """The settings kept between runs at home, saved whenever they change.

    A save that fails does not end the conversation: ``unsaved`` is told why, once, and the session
    goes on with its settings kept in memory (a person who says "slower" should not lose the guide
    because a folder is read-only)."""

    def __init__(self, config: Config, unsaved: Callable[[OutputError], None] | None = None) -> None:
        self.config = config
        self._unsaved = unsaved
        self._failed = False

    def remember(self, conversation: Conversation | None = None, disclaimer_played: bool = False) -> None:
        """Save the voice settings and place in ``conversation``, and that the disclaimer was played."""
        config = replace(self.config, disclaimer_played=self.config.disclaimer_played or disclaimer_played)
        if conversation is not None:
            state = conversation.state
            topic = state.left_off if state.current is None else conversation.topics[state.current].id
            config = replace(config.with_voice_settings(state.settings), last_topic=topic)
        if config != self.config:
            self.config = config
            try:
                save_config(config)
            except OutputError as exc:
                if self._unsaved is None:
                    raise
                if not self._failed:
                    self._unsaved(exc)
                self._failed = True
