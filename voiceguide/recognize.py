"""Speech in, recognition: audio frames in, a transcript with a confidence out.

Two engines behind one small interface. :class:`PocketSphinxRecognizer` is the
zero-download default (its US English model ships in the wheel);
:class:`VoskRecognizer` is the main engine once a Vosk model is installed
(see :mod:`models`). Both decode while audio arrives, so that little work is
left when the end of the utterance is detected.
"""

from __future__ import annotations

import json
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import VoiceGuideError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
"""Every recogniser takes 16 kHz mono 16-bit PCM."""


class RecognizerError(VoiceGuideError):
    """A recogniser or its model cannot be used. The message says why."""


@dataclass(frozen=True)
class Transcript:
    """What an engine heard in one utterance."""

    text: str
    """The words, lower case; unknown words left out."""
    confidence: float
    """The engine's own confidence, 0 to 1 (1 when the engine gives none)."""
    unknown: int = 0
    """Words the engine marked as unknown (Vosk's unknown-word symbol)."""
    command: str = ""
    """What a second pass restricted to the listener's commands heard, if one ran."""
    alternatives: tuple[str, ...] = ()
    """The engine's next-best readings of the same audio, best first."""


class Recognizer(ABC):
    """One engine decoding one utterance at a time."""

    engine: str
    """Engine name, reported once by the command line."""

    @abstractmethod
    def start(self) -> None:
        """Begin a new utterance."""

    @abstractmethod
    def accept(self, pcm: bytes) -> None:
        """Decode more 16 kHz mono 16-bit PCM of the current utterance."""

    @abstractmethod
    def finish(self) -> Transcript:
        """End the utterance and return what was heard."""

    def recognize(self, pcm: bytes) -> Transcript:
        """A whole utterance at once."""
        self.start()
        self.accept(pcm)
        return self.finish()


class PocketSphinxRecognizer(Recognizer):
    """PocketSphinx 5 with its bundled US English acoustic model, dictionary and language model.

    The general language model hears free questions well but single command
    words badly ("repeat" comes out as "pete"). With ``commands``, a second
    decoder restricted to those phrases (a JSGF grammar) runs on the same
    audio; its result is offered as ``Transcript.command`` for the
    understanding stage to weigh.
    """

    engine = "pocketsphinx"
    COMMAND_PASS_MAX_S = 2.5
    """Only utterances this short get the command pass: commands are short."""
    N_BEST = 5
    """Readings of each utterance offered to the understanding stage."""

    def __init__(self, pronunciations: Mapping[str, str] | None = None,
                 commands: Sequence[str] | None = None) -> None:
        self._decoder = self._new_decoder(pronunciations)
        self._commands = None
        if commands:
            self._commands = self._new_decoder(pronunciations)
            known = sorted({c for c in commands if all(self._commands.lookup_word(w) for w in c.split())})
            grammar = "#JSGF V1.0;\ngrammar commands;\npublic <command> = " + " | ".join(known) + " ;\n"
            self._commands.add_jsgf_string("commands", grammar)
            self._commands.activate_search("commands")
        self._samples = 0

    @staticmethod
    def _new_decoder(pronunciations: Mapping[str, str] | None) -> Any:
        try:
            from pocketsphinx import Decoder
        except ImportError:
            raise RecognizerError("PocketSphinx is not installed: run scripts/setup") from None
        decoder = Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")
        new = [(w, p) for w, p in (pronunciations or {}).items() if not decoder.lookup_word(w)]
        for index, (word, phones) in enumerate(new):
            # Rebuilding the search after each word took seconds; once, after the last, is enough.
            decoder.add_word(word, phones, index == len(new) - 1)
        return decoder

    def knows(self, word: str) -> bool:
        """The dictionary has this word."""
        return bool(self._decoder.lookup_word(word))

    def start(self) -> None:
        self._decoder.start_utt()
        if self._commands is not None:
            self._commands.start_utt()
        self._samples = 0

    def accept(self, pcm: bytes) -> None:
        self._decoder.process_raw(pcm, False, False)
        self._samples += len(pcm) // 2
        if self._commands is not None and self._samples <= self.COMMAND_PASS_MAX_S * SAMPLE_RATE:
            self._commands.process_raw(pcm, False, False)

    def finish(self) -> Transcript:
        text = _end(self._decoder)
        alternatives = self._n_best(text)
        command = ""
        if self._commands is not None:
            command = _end(self._commands)
            if self._samples > self.COMMAND_PASS_MAX_S * SAMPLE_RATE:
                command = ""
        return Transcript(text, 1.0, command=command, alternatives=alternatives)

    def _n_best(self, best: str) -> tuple[str, ...]:
        out: list[str] = []
        try:
            for entry in self._decoder.nbest():
                if entry is None:  # the lattice search can yield an empty entry for a long utterance
                    continue
                reading = _words(entry.hypstr or "")
                if reading and reading != best and reading not in out:
                    out.append(reading)
                if len(out) >= self.N_BEST - 1:
                    break
        except RuntimeError:  # no lattice for this utterance (silence)
            pass
        return tuple(out)


def _words(text: str) -> str:
    # Fillers such as <sil> or [NOISE] are not words.
    return " ".join(w for w in text.split() if not re.match(r"^[<\[].*[>\]]$", w)).lower()


def _end(decoder: Any) -> str:
    decoder.end_utt()
    hyp = decoder.hyp()
    return _words(hyp.hypstr if hyp is not None else "")


class VoskRecognizer(Recognizer):
    """Vosk with a model folder, following Vosk's documented API.

    With ``phrases`` the recogniser is restricted to those phrases (plus the
    model's unknown-word symbol); without, it uses the model's full graph.
    """

    engine = "vosk"

    def __init__(self, model_dir: Path, phrases: Sequence[str] | None = None) -> None:
        try:
            import vosk
        except ImportError:
            raise RecognizerError("Vosk is not installed: pip install vosk") from None
        vosk.SetLogLevel(-1)
        self.model_dir = Path(model_dir)
        self.unknown_symbol = unknown_symbol(self.model_dir)
        try:
            self._model = vosk.Model(str(self.model_dir))
        except Exception as exc:  # Vosk raises a bare Exception for a broken model
            raise RecognizerError(f"{self.model_dir}: the Vosk model does not load ({exc})") from None
        grammar = None
        if phrases is not None:
            grammar = json.dumps([*phrases, self.unknown_symbol], ensure_ascii=False)
        self._vosk = vosk
        self._grammar = grammar
        self._recognizer = self._new()

    def _new(self) -> object:
        args = (self._model, float(SAMPLE_RATE)) + ((self._grammar,) if self._grammar else ())
        recognizer = self._vosk.KaldiRecognizer(*args)
        recognizer.SetWords(True)
        return recognizer

    def start(self) -> None:
        self._recognizer = self._new()
        self._parts: list[dict[str, object]] = []

    def accept(self, pcm: bytes) -> None:
        if self._recognizer.AcceptWaveform(pcm):  # type: ignore[attr-defined]
            self._parts.append(json.loads(self._recognizer.Result()))  # type: ignore[attr-defined]

    def finish(self) -> Transcript:
        self._parts.append(json.loads(self._recognizer.FinalResult()))  # type: ignore[attr-defined]
        words = [w for part in self._parts for w in part.get("result", [])]  # type: ignore[attr-defined]
        known = [w for w in words if w["word"] != self.unknown_symbol]
        confidence = sum(float(w["conf"]) for w in words) / len(words) if words else 0.0
        text = " ".join(str(w["word"]) for w in known).lower()
        return Transcript(text, confidence, len(words) - len(known))


def unknown_symbol(model_dir: Path) -> str:
    """The model's own unknown-word symbol: "[unk]" in the English models, "<UNK>" in others."""
    words_txt = model_dir / "graph" / "words.txt"
    candidates = ("[unk]", "<unk>", "<UNK>")
    if words_txt.is_file():
        text = words_txt.read_text(encoding="utf-8", errors="replace")
        for symbol in candidates:
            if re.search(rf"^{re.escape(symbol)}\s", text, re.MULTILINE):
                return symbol
    for fst in ("Gr.fst", "HCLG.fst"):
        path = model_dir / "graph" / fst
        if path.is_file():
            data = path.read_bytes()
            for symbol in candidates:
                if symbol.encode() in data:
                    return symbol
    return "[unk]"


def open_recognizer(engine: str, model: Path | None, configured_model: str | None,
                    pronunciations: Mapping[str, str], commands: Sequence[str] = ()) -> tuple[Recognizer, str]:
    """The recogniser to use and a sentence saying which and why.

    ``auto`` takes Vosk when a model is found, else PocketSphinx.
    """
    from .models import ModelError, find_model, where_looked

    if engine not in ("auto", "vosk", "pocketsphinx"):
        raise RecognizerError(f"unknown engine '{engine}': use auto, vosk or pocketsphinx")
    found = find_model(model, configured_model) if engine != "pocketsphinx" else None
    if engine == "vosk" and found is None:
        raise ModelError(f"no Vosk model found (looked in: {where_looked(model, configured_model)}); "
                         f"install one with: voiceguide model install")
    if found is not None:
        return VoskRecognizer(found), f"speech recognition: Vosk, model {found}"
    reason = " (no Vosk model installed)" if engine == "auto" else ""
    return (PocketSphinxRecognizer(pronunciations, commands),
            f"speech recognition: PocketSphinx{reason}")


def unknown_to_pocketsphinx(words: set[str], pronunciations: Mapping[str, str]) -> list[str]:
    """Words PocketSphinx's bundled dictionary lacks and the guide gives no pronunciation for."""
    recognizer = PocketSphinxRecognizer(pronunciations)
    return sorted(w for w in words if not recognizer.knows(w))
