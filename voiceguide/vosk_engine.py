"""Vosk: Kaldi models in a folder, following Vosk's documented API.

Three recognisers stream the same audio: the general pass on the model's
full graph (its n-best readings feed the understanding stage's rescue), a
command pass restricted to the listener's commands and the wake phrase, and
(when the model's graph can be rebuilt at run time, as the small models'
can) a vocabulary pass restricted to the guide's own words, offered as one
more reading. Phrase lists are how the guide's vocabulary reaches Vosk.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .recognize import (
    SAMPLE_RATE,
    ModelChoice,
    Recognizer,
    RecognizerError,
    Transcript,
    Unavailable,
    Vocabulary,
    installed,
    words_of,
)

COMMAND_PASS_MAX_S = 2.5
"""Only utterances this short get the command pass (as PocketSphinx's)."""


class VoskRecognizer(Recognizer):
    """Vosk with a model folder."""

    engine = "vosk"
    N_BEST = 5
    """Readings of each utterance offered to the understanding stage."""

    def __init__(self, vocabulary: Vocabulary | None = None, model: Path | None = None) -> None:
        if model is None:
            raise RecognizerError("Vosk needs a model folder")
        try:
            import vosk
        except ImportError:
            raise RecognizerError("Vosk is not installed: pip install vosk") from None
        vocabulary = vocabulary or Vocabulary()
        vosk.SetLogLevel(-1)
        self.model_dir = Path(model)
        self.unknown_symbol = unknown_symbol(self.model_dir)
        try:
            self._model = vosk.Model(str(self.model_dir))
        except Exception as exc:  # Vosk raises a bare Exception for a broken model
            raise RecognizerError(f"{self.model_dir}: the Vosk model does not load ({exc})") from None
        self._vosk = vosk
        dynamic = takes_phrase_lists(self.model_dir)
        self._command_grammar = self._grammar(vocabulary.commands) if vocabulary.commands and dynamic else None
        self._words_grammar = self._grammar(vocabulary.words) if vocabulary.words and dynamic else None
        self._general: Any = None
        self._commands: Any = None
        self._words: Any = None
        self._samples = 0

    @classmethod
    def locate(cls, choice: ModelChoice) -> Path | None:
        from .models import find_model, where_looked

        installed("vosk", "Vosk")
        found = find_model(choice.model, choice.vosk_model)
        if found is None:
            raise Unavailable(f"no Vosk model found (looked in: {where_looked(choice.model, choice.vosk_model)}); "
                              f"install one with: voiceguide model install vosk")
        return found

    @classmethod
    def describe(cls, model: Path | None) -> str:
        return f"Vosk, model {model}"

    def _grammar(self, phrases: Sequence[str]) -> str:
        return json.dumps([*dict.fromkeys(phrases), self.unknown_symbol], ensure_ascii=False)

    def _new(self, grammar: str | None, alternatives: int = 0) -> Any:
        args = (self._model, float(SAMPLE_RATE)) + ((grammar,) if grammar else ())
        recognizer = self._vosk.KaldiRecognizer(*args)
        recognizer.SetWords(True)
        if alternatives:
            recognizer.SetMaxAlternatives(alternatives)
        return recognizer

    def start(self) -> None:
        self._general = self._new(None, self.N_BEST)
        self._commands = self._new(self._command_grammar) if self._command_grammar else None
        self._words = self._new(self._words_grammar) if self._words_grammar else None
        self._parts: list[list[str]] = []
        self._samples = 0

    def accept(self, pcm: bytes) -> None:
        if self._general.AcceptWaveform(pcm):
            self._parts.append(self._readings(self._general.Result()))
        if self._commands is not None and self._samples <= COMMAND_PASS_MAX_S * SAMPLE_RATE:
            self._commands.AcceptWaveform(pcm)
        if self._words is not None:
            self._words.AcceptWaveform(pcm)
        self._samples += len(pcm) // 2

    def _readings(self, result: str) -> list[str]:
        """Every reading of one Vosk result, best first (the unknown-word symbol kept)."""
        doc = json.loads(result)
        found = doc.get("alternatives") or [doc]
        return [str(a.get("text", "")) for a in found]

    def _text(self, raw: str) -> tuple[str, int]:
        words = raw.split()
        known = [w for w in words if w != self.unknown_symbol]
        return words_of(" ".join(known)), len(words) - len(known)

    def finish(self) -> Transcript:
        self._parts.append(self._readings(self._general.FinalResult()))
        parts = [p for p in self._parts if any(p)]
        text, unknown = self._text(" ".join(p[0] for p in parts))
        alternatives: list[str] = []
        if len(parts) == 1:  # next-best readings of a one-part utterance; a long one keeps its best
            alternatives = [self._text(reading)[0] for reading in parts[0][1:]]
        command = ""
        if self._commands is not None:
            command = self._text(json.loads(self._commands.FinalResult()).get("text", ""))[0]
            if self._samples > COMMAND_PASS_MAX_S * SAMPLE_RATE:
                command = ""
        if self._words is not None:
            alternatives.append(self._text(json.loads(self._words.FinalResult()).get("text", ""))[0])
        kept = tuple(dict.fromkeys(a for a in alternatives if a and a != text))
        return Transcript(text, 1.0 if text else 0.0, unknown, command=command, alternatives=kept)


def takes_phrase_lists(model_dir: Path) -> bool:
    """The model's graph is built at run time (small models: HCLr and Gr), so phrase lists work;
    a big model's static HCLG graph ignores them."""
    return (model_dir / "graph" / "Gr.fst").is_file() or (model_dir / "graph" / "HCLr.fst").is_file()


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
