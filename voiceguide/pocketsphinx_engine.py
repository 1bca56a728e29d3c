"""PocketSphinx: the zero-download engine, and the streaming command pass other engines borrow.

PocketSphinx 5 ships its US English acoustic model, dictionary and
language model in the wheel. It decodes while audio arrives, so a result
is ready the moment the end of an utterance is decided: that is why it
keeps the jobs that must be instant (see :class:`CommandPass`) even when
another engine transcribes the questions.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .recognize import (
    SAMPLE_RATE,
    ModelChoice,
    Recognizer,
    RecognizerError,
    Spot,
    Transcript,
    Vocabulary,
    installed,
    words_of,
)

COMMAND_PASS_MAX_S = 2.5
"""Only utterances this short get the command pass: commands are short."""


def new_decoder(pronunciations: Iterable[tuple[str, str]] = (), general: bool = True, **options: Any) -> Any:
    """A PocketSphinx decoder with the bundled model, knowing ``pronunciations`` besides its dictionary
    (``options``: more of PocketSphinx's settings). Without ``general`` it has no language model, for a
    decoder that only ever searches a grammar (the command pass).

    PocketSphinx loads its general language model otherwise, for nothing there: about 64 MB a decoder
    (the service holds one command pass a worker). On 240 dev clips, clean and at pink 10 dB, the command
    pass heard the same with and without it (a one-off script); over a review's 958 clips of its phrases
    it heard 65 differently with one decoder kept across them, 12 more exactly (README, Speech in).
    The keyword spotter keeps it: without
    it, it spotted the same phrases on those clips but for one spot's end 10 ms apart, yet "when can I
    stop taking the antibiotics" said over the guide was taken for a stop (tests/test_spotting.py)."""
    try:
        from pocketsphinx import Decoder
    except ImportError:
        raise RecognizerError("PocketSphinx is not installed: run scripts/setup") from None
    if not general:
        options["lm"] = None
    decoder = Decoder(samprate=SAMPLE_RATE, loglevel="FATAL", **options)
    new = [(w, p) for w, p in pronunciations if not decoder.lookup_word(w)]
    for index, (word, phones) in enumerate(new):
        # Rebuilding the search after each word took seconds; once, after the last, is enough.
        decoder.add_word(word, phones, index == len(new) - 1)
    return decoder


def end_utterance(decoder: Any) -> str:
    decoder.end_utt()
    hyp = decoder.hyp()
    return words_of(hyp.hypstr if hyp is not None else "")


class CommandPass:
    """A PocketSphinx decoder restricted to a few phrases (a JSGF grammar), streaming.

    General recognisers mishear single command words ("repeat" comes out as
    "pete"); a pass that can hear nothing but the commands gets them, and
    its reading is offered as ``Transcript.command`` for the understanding
    stage to weigh. It costs little, and its result is ready at once.
    """

    def __init__(self, phrases: Iterable[str], pronunciations: Iterable[tuple[str, str]] = (),
                 max_s: float = COMMAND_PASS_MAX_S) -> None:
        self._decoder = new_decoder(pronunciations, general=False)
        known = sorted({p for p in phrases if p and all(self._decoder.lookup_word(w) for w in p.split())})
        if not known:
            raise RecognizerError("the command pass has no phrase its dictionary knows")
        grammar = "#JSGF V1.0;\ngrammar commands;\npublic <command> = " + " | ".join(known) + " ;\n"
        self._decoder.add_jsgf_string("commands", grammar)
        self._decoder.activate_search("commands")
        self._max_samples = int(max_s * SAMPLE_RATE)
        self._samples = 0
        self._open = False

    def start(self) -> None:
        if self._open:  # an utterance left without an end (its listener gave up on it): ended now
            self._open = False
            with contextlib.suppress(RuntimeError):  # already ended: nothing is left to end
                end_utterance(self._decoder)
        self._decoder.start_utt()
        self._open = True
        self._samples = 0

    def accept(self, pcm: bytes) -> None:
        if self._samples <= self._max_samples:
            self._decoder.process_raw(pcm, False, False)
        self._samples += len(pcm) // 2

    def finish(self) -> str:
        """The phrase heard, or "" when the utterance was too long to be a command."""
        self._open = False
        heard = end_utterance(self._decoder)
        return heard if self._samples <= self._max_samples else ""


SPOT_THRESHOLD = 1e-3
"""PocketSphinx's keyword-spotting threshold for a phrase (lower: more is spotted, more in error).
Chosen on the dev writers' clips (Piper and two espeak-ng voices, clean, through the endpointer;
the 56 stops and pauses and every 16th other phrasing, acting on any phrase that began within 0.5 s of
the utterance's first sample): at 0.1, 1e-3, 1e-6 and 1e-10, 17, 20, 22 and 26 of the 56 stops and
pauses spotted, and 4, 6, 7 and 13 of 145 other phrasings in error. Whether a phrase spotted is acted
on is the listener's rule (hearing.EndpointConfig.spot_*, chosen with bench/spotting.py)."""
SPOT_WITHIN_S = 1.5
"""Only a phrase that begins this soon after the utterance's first sample is reported, and past it
(and the time the longest phrase takes) nothing more is decoded: a bound on the work over a long
utterance (the guide's echo), wide enough for the listener's own window (EndpointConfig.spot_within_s,
counted from where the speech began, which is up to the pre-roll and the reach back into it)."""
SPOT_DELAY_FRAMES = 1
"""Frames PocketSphinx waits after a phrase's end for a better score before it reports it. Its default,
10, put 150 ms between the end of the phrase and the report (bench/speech_in.py --stops-only, dev:
a median of 160 ms from the end of a spotted stop to the decision); with 1, 60 ms on the test phrases
(tests/test_spotting.py's), the same phrases spotted."""
SPOT_FRAME_S = 0.01
"""PocketSphinx's frame: 10 ms."""


class KeywordSpotter:
    """PocketSphinx's keyword-spotting search over a few phrases, streaming.

    Unlike the command pass it needs no end of utterance: a phrase is reported the moment
    its last sound has been heard, wherever it comes in a longer utterance, so a stop said over
    the guide is acted on before the person has finished speaking ("hang on, pause a sec, dad's
    calling me"). Only a phrase that begins within ``within_s`` of the utterance counts; after
    that window (and the time the longest phrase takes) nothing more is decoded. Whether one was said
    as a command is for the listener to judge (hearing.EndpointConfig.spot_*).
    """

    def __init__(self, phrases: Iterable[str], pronunciations: Iterable[tuple[str, str]] = (),
                 threshold: float = SPOT_THRESHOLD, within_s: float = SPOT_WITHIN_S,
                 delay_frames: int = SPOT_DELAY_FRAMES) -> None:
        self._decoder = new_decoder(pronunciations, kws_delay=delay_frames)
        known = sorted({p for p in phrases if p and all(self._decoder.lookup_word(w) for w in p.split())})
        if not known:
            raise RecognizerError("the keyword spotter has no phrase its dictionary knows")
        self.phrases = tuple(known)
        # PocketSphinx reads a list of phrases with their thresholds only from a file.
        handle, path = tempfile.mkstemp(suffix=".kws", prefix="voiceguide-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.writelines(f"{phrase} /{threshold:g}/\n" for phrase in known)
            self._decoder.add_kws("spot", path)
        finally:
            os.unlink(path)
        self._decoder.activate_search("spot")
        self._within = within_s
        # The longest phrase at a slow pace: past the window and this, nothing can begin in time.
        self._max_samples = int((within_s + 0.6 * max(len(p.split()) for p in known) + 0.5) * SAMPLE_RATE)
        self._samples = 0
        self._open = False
        self._spots: list[Spot] = []

    def start(self) -> None:
        self.stop()
        self._decoder.start_utt()
        self._open = True
        self._samples = 0
        self._spots = []

    def accept(self, pcm: bytes) -> Spot | None:
        """Decode more of the utterance; the latest phrase spotted so far, if any."""
        if self._open and self._samples <= self._max_samples:
            self._decoder.process_raw(pcm, False, False)
            self._samples += len(pcm) // 2
            hyp = self._decoder.hyp()
            if hyp is not None and hyp.hypstr:
                known = {(s.phrase, s.start_s, s.end_s) for s in self._spots}
                for seg in self._decoder.seg():
                    start, end = seg.start_frame * SPOT_FRAME_S, (seg.end_frame + 1) * SPOT_FRAME_S
                    spot = Spot(words_of(seg.word), start, end, self._samples / SAMPLE_RATE)
                    if start <= self._within and (spot.phrase, start, end) not in known:
                        self._spots.append(spot)
        return self.spot

    @property
    def spot(self) -> Spot | None:
        """The latest phrase spotted in this utterance (see spots)."""
        return self._spots[-1] if self._spots else None

    @property
    def spots(self) -> tuple[Spot, ...]:
        """Every phrase spotted in this utterance, in the order they were heard. PocketSphinx reports a
        phrase again as its end stretches ("quiet" of "quieter" ends later and later)."""
        return tuple(self._spots)

    def stop(self) -> None:
        """End the utterance, if one is open."""
        if self._open:
            self._decoder.end_utt()
            self._open = False


class PocketSphinxRecognizer(Recognizer):
    """PocketSphinx's general language model, its n-best readings, and the command pass.

    The guide's vocabulary reaches it as pronunciations for the words its
    dictionary lacks, and as the command pass's phrases.
    """

    engine = "pocketsphinx"
    N_BEST = 5
    """Readings of each utterance offered to the understanding stage."""

    def __init__(self, vocabulary: Vocabulary | None = None, model: Path | None = None) -> None:
        vocabulary = vocabulary or Vocabulary()
        self._decoder = new_decoder(vocabulary.pronunciations)
        self._commands = CommandPass(vocabulary.commands, vocabulary.pronunciations) if vocabulary.commands else None

    @classmethod
    def locate(cls, choice: ModelChoice) -> Path | None:
        installed("pocketsphinx", "PocketSphinx")
        return None

    @classmethod
    def describe(cls, model: Path | None) -> str:
        return "PocketSphinx"

    def knows(self, word: str) -> bool:
        """The dictionary has this word."""
        return bool(self._decoder.lookup_word(word))

    def start(self) -> None:
        self._decoder.start_utt()
        if self._commands is not None:
            self._commands.start()

    def accept(self, pcm: bytes) -> None:
        self._decoder.process_raw(pcm, False, False)
        if self._commands is not None:
            self._commands.accept(pcm)

    def finish(self) -> Transcript:
        text = end_utterance(self._decoder)
        command = self._commands.finish() if self._commands is not None else ""
        return Transcript(text, 1.0, command=command, alternatives=self._n_best(text))

    def drop(self) -> None:
        # Its words are not wanted (the listener passed the utterance over as others' talk): it is still
        # ended, or the decoder refuses the next start().
        self._decoder.end_utt()
        if self._commands is not None:
            self._commands.finish()

    def _n_best(self, best: str) -> tuple[str, ...]:
        out: list[str] = []
        try:
            for entry in self._decoder.nbest():
                if entry is None:  # the lattice search can yield an empty entry for a long utterance
                    continue
                reading = words_of(entry.hypstr or "")
                if reading and reading != best and reading not in out:
                    out.append(reading)
                if len(out) >= self.N_BEST - 1:
                    break
        except RuntimeError:  # no lattice for this utterance (silence)
            pass
        return tuple(out)


def unknown_to_pocketsphinx(words: set[str], pronunciations: Mapping[str, str]) -> list[str]:
    """Words PocketSphinx's bundled dictionary lacks and the guide gives no pronunciation for."""
    recognizer = PocketSphinxRecognizer(Vocabulary(pronunciations=tuple(pronunciations.items())))
    return sorted(w for w in words if not recognizer.knows(w))
