"""Speech in, recognition: audio frames in, a transcript with a confidence out.

Every engine implements :class:`Recognizer` in a module of its own and is
named once in :data:`ENGINES`; adding an engine is one module and one line
there. An engine is built from plain, picklable data (a :class:`Vocabulary`
and a model folder), so that it can be built in another process. The guide's
vocabulary reaches each engine in its own way: pronunciations for
PocketSphinx, phrase lists for Vosk, a prompt for Whisper.
"""

from __future__ import annotations

import importlib
import importlib.util
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import VoiceGuideError

SAMPLE_RATE = 16000
"""Every recogniser takes 16 kHz mono 16-bit PCM."""

ENGINES: dict[str, str] = {
    "whisper": "voiceguide.whisper_engine:WhisperRecognizer",
    "vosk": "voiceguide.vosk_engine:VoskRecognizer",
    "pocketsphinx": "voiceguide.pocketsphinx_engine:PocketSphinxRecognizer",
}
"""Every engine by name, in the order ``auto`` tries them: best first, as ranked by
bench/speech_in.py (Vosk is untested in English here: no English model could be had)."""


class RecognizerError(VoiceGuideError):
    """A recogniser or its model cannot be used. The message says why."""


class Unavailable(RecognizerError):
    """The engine is not installed here, or has no model: ``auto`` moves on to the next one."""


@dataclass(frozen=True)
class Transcript:
    """What an engine heard in one utterance."""

    text: str
    """The words, lower case, without punctuation; unknown words left out."""
    confidence: float
    """The engine's own confidence, 0 to 1 (1 when the engine gives none)."""
    unknown: int = 0
    """Words the engine marked as unknown (Vosk's unknown-word symbol)."""
    command: str = ""
    """What a second pass restricted to the listener's commands heard, if one ran."""
    alternatives: tuple[str, ...] = ()
    """The engine's next-best readings of the same audio, best first."""
    spotted: str = ""
    """The stop or pause phrase the engine's keyword spotter last heard in the utterance, said as a
    command or not ("" when it heard none, or did not listen: see Recognizer.spotted)."""
    noisy: bool = False
    """The utterance was heard over a loud background (noise, other voices, a room's echo), or a voice
    that stood little above its room, as the listener measured it (hearing.Listener): a reply that did
    not catch it asks the person to come closer."""


def joined(heard: Sequence[Transcript]) -> Transcript:
    """One transcript for a file or a stream of several utterances (``ask --audio``, Wyoming): their
    words in turn, the least confidence, and the command pass and next-best readings only when there
    was one utterance; heard over a loud background when any of them was."""
    text = " ".join(t.text for t in heard if t.text).strip()
    one = heard[0] if len(heard) == 1 else None
    return Transcript(text, min((t.confidence for t in heard), default=0.0),
                      command=one.command if one else "", alternatives=one.alternatives if one else (),
                      noisy=any(t.noisy for t in heard))


@dataclass(frozen=True)
class Spot:
    """A stop or pause phrase a keyword spotter heard in an utterance still going on."""

    phrase: str
    """The phrase, one of Vocabulary.stops."""
    start_s: float
    """Where it began, in seconds from the utterance's first sample."""
    end_s: float
    """Where it ended, likewise: when it was said."""
    heard_s: float
    """How much of the utterance had been heard when it was spotted."""


@dataclass(frozen=True)
class Vocabulary:
    """What the guide listens for, handed to every engine to use in its own way.

    Plain data only, so that an engine can be built in another process."""

    commands: tuple[str, ...] = ()
    """Short phrases for a command pass: the listener's commands, and the wake phrase."""
    words: tuple[str, ...] = ()
    """Every word the guide says or listens for."""
    pronunciations: tuple[tuple[str, str], ...] = ()
    """Words a dictionary may lack, with their phones (CMU ARPAbet)."""
    prompt: str = ""
    """A sentence naming the guide's subject and its rare words, for an engine that takes a prompt."""
    stops: tuple[str, ...] = ()
    """The phrases that cut in while the guide speaks (stop, pause, hold on, ...), for a keyword
    spotter that hears them anywhere in an utterance, before it ends."""


@dataclass(frozen=True)
class ModelChoice:
    """Where the person pointed the engines at a model. Plain data, like Vocabulary."""

    model: Path | None = None
    """A model folder given for this run (``--model``)."""
    vosk_model: str | None = None
    """The config's Vosk model folder."""
    whisper_size: str | None = None
    """The config's Whisper model size (None: the engine's default)."""


class Recognizer(ABC):
    """One engine decoding one utterance at a time.

    Constructed as ``Engine(vocabulary, model)``, both picklable."""

    engine: str
    """Engine name, as in ENGINES."""

    @classmethod
    def locate(cls, choice: ModelChoice) -> Path | None:
        """The model folder this engine would load, or None when it needs none.
        Raises Unavailable when it is not installed or finds no model, ModelError when a
        model the person named is broken."""
        return None

    @classmethod
    def describe(cls, model: Path | None) -> str:
        """The engine and its model, as said to the person."""
        return cls.engine if model is None else f"{cls.engine}, model {model}"

    @abstractmethod
    def start(self) -> None:
        """Begin a new utterance."""

    @abstractmethod
    def accept(self, pcm: bytes) -> None:
        """Decode more 16 kHz mono 16-bit PCM of the current utterance."""

    @abstractmethod
    def finish(self) -> Transcript:
        """End the utterance and return what was heard."""

    def command(self) -> str | None:
        """End the utterance for a streaming command pass and return what it heard, at once, while
        the engine's own words may still be decoding; None when the engine has no such pass, or its
        words are no slower than the pass's (an engine that streams). finish() or drop() follows."""
        return None

    def ready(self) -> Transcript | None:
        """After command(): the engine's words for the utterance just ended if they are decoded already
        (an early decode, begun in its trailing silence, done; see silence), None when they are still
        to come; the listener adds the command pass's reading and the spotter's phrase. finish() or
        drop() follows."""
        return None

    def commands_only(self) -> None:  # noqa: B027 (optional: an engine may decode less for it)
        """Only a stop or pause can matter in the utterance just started (it began while the guide
        spoke): an engine may spot one as it is said (spotted) and decode no more of the words than
        it takes to tell one."""

    def spotted(self) -> Spot | None:
        """The latest stop or pause phrase the engine's keyword spotter has heard in the utterance so
        far, before its end is decided; None when it has heard none, or the engine has no spotter. It
        may change as the utterance goes on (a later phrase; or none, when what was spotted turned out
        to begin a longer word). Whether it was said as a command is the listener's to judge
        (hearing.EndpointConfig.spot_*). The utterance goes on being fed; drop() or finish() ends it."""
        return None

    def drop(self) -> None:  # noqa: B027 (optional: only an engine with a command() has work to drop)
        """The utterance's words are not wanted: it was decided on command() alone, or passed over as
        others' talk (hearing.EndpointConfig.others_talk_end_ms). start() may follow."""

    def silence(self, started: bool) -> None:  # noqa: B027 (optional hook: most engines stream)
        """Trailing silence has started (True): the utterance may be over, and an engine that
        decodes at the end may begin now on what it has. Speech resumed (False): that work
        is stale. Engines that decode as audio arrives ignore this."""

    def close(self) -> None:  # noqa: B027 (optional: most engines hold nothing to release)
        """Release threads or handles the engine holds."""

    def recognize(self, pcm: bytes) -> Transcript:
        """A whole utterance at once."""
        self.start()
        self.accept(pcm)
        return self.finish()


def engine_class(name: str) -> type[Recognizer]:
    """The Recognizer class registered as ``name``."""
    if name not in ENGINES:
        raise RecognizerError(f"unknown engine '{name}': use {engine_names()}")
    module, cls = ENGINES[name].split(":")
    found: type[Recognizer] = getattr(importlib.import_module(module), cls)
    return found


def engine_names() -> str:
    """The choices, as said in an error or help text."""
    return ", ".join(["auto", *ENGINES])


def installed(package: str, name: str) -> None:
    """Unavailable unless the Python package ``package`` (engine ``name``) can be imported."""
    if importlib.util.find_spec(package) is None:
        raise Unavailable(f"{name} is not installed (run scripts/setup)")


@dataclass(frozen=True)
class EnginePlan:
    """An engine chosen and its model found, ready to open. Plain data: it can be sent to another
    process and opened there."""

    engine: str
    """The engine's name in ENGINES."""
    vocabulary: Vocabulary
    model: Path | None
    """The model folder (None for an engine that needs none)."""
    why: str
    """A sentence saying which engine and why, for the person."""

    def open(self) -> Recognizer:
        return engine_class(self.engine)(self.vocabulary, self.model)  # type: ignore[call-arg]

    def __call__(self) -> tuple[Recognizer, str]:
        """Opened, and the sentence saying which: the plan is a factory for isolate.ProcessRecognizer."""
        return self.open(), self.why


def choose_engine(engine: str, choice: ModelChoice, vocabulary: Vocabulary) -> EnginePlan:
    """The engine asked for, or with ``auto`` the first in ENGINES that is installed and has its model."""
    if engine != "auto":
        cls = engine_class(engine)
        model = cls.locate(choice)
        return EnginePlan(engine, vocabulary, model, f"speech recognition: {cls.describe(model)}")
    passed: list[str] = []
    for name in ENGINES:
        cls = engine_class(name)
        try:
            model = cls.locate(choice)
        except Unavailable as exc:
            passed.append(str(exc))
            continue
        why = "the best ranked engine installed" + (f"; {'; '.join(passed)}" if passed else "")
        return EnginePlan(name, vocabulary, model, f"speech recognition: {cls.describe(model)} ({why})")
    raise RecognizerError("no speech recogniser is installed: " + "; ".join(passed))


def open_recognizer(engine: str, choice: ModelChoice, vocabulary: Vocabulary) -> tuple[Recognizer, str]:
    """The recogniser to use, opened, and a sentence saying which and why."""
    plan = choose_engine(engine, choice, vocabulary)
    return plan.open(), plan.why


def words_of(text: str) -> str:
    """A transcript's words: lower case, fillers such as <sil> or [NOISE] and punctuation gone,
    apostrophes kept ("dad's")."""
    out: list[str] = []
    for word in text.split():
        if word[:1] in "<[" and word[-1:] in ">]":
            continue
        cleaned = "".join(c for c in word.lower() if c.isalnum() or c in "'-").strip("'-")
        out.extend(p for p in cleaned.split("-") if p)
    return " ".join(out)


LEAD_WORDS = frozenset({
    "okay", "ok", "oh", "uh", "um", "umm", "er", "erm", "ah", "hmm", "so", "right", "alright", "well", "hey",
    "no", "please", "sorry", "kindly", "just", "guide", "would", "could", "can", "will", "you", "that's", "that",
    "is"})
"""Words a person puts before a stop or pause ("okay guide, stop", "uh, that's enough", "would you
pause"): courtesy, hesitation, the guide's name. Not "now" or "do": "now do not wait" is the guide's
own safety text, heard back."""


def leads_with(text: str, phrases: tuple[str, ...]) -> bool:
    """``text`` (words_of) begins with one of ``phrases`` as whole words, after nothing but lead words
    and the phrases' own words ("wait wait hold on", "uh that's that's enough")."""
    said = text.split()
    own = {w for p in phrases for w in p.split()}
    for k in range(len(said)):
        if any(said[k : k + len(p.split())] == p.split() for p in phrases):
            return True
        if said[k] not in LEAD_WORDS and said[k] not in own:
            return False
    return False

