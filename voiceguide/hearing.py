"""Speech in, listening: audio frames to utterances, decoded as they are spoken.

:class:`Endpointer` decides where an utterance starts and ends from the
signal level (above an adaptive noise floor) and trailing silence.
:class:`Listener` joins it to a recogniser: frames of an utterance go to the
engine as they arrive, so only the last few are left to decode when the end
is decided. Sources of frames: a WAV file, raw PCM, or the microphone.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .audio import read_wav
from .recognize import SAMPLE_RATE, Recognizer, Spot, Transcript
from .vad import speech_detector

log = logging.getLogger(__name__)

FRAME_MS = 10
FRAME_BYTES = SAMPLE_RATE * FRAME_MS // 1000 * 2
QUIET_BEFORE_MS = 100
"""Quiet this long before the sound marks where an utterance began (see EndpointConfig.reach_back_ms);
shorter quiet is a gap between words."""


@dataclass(frozen=True)
class EndpointConfig:
    """How an utterance is found in the signal."""

    trailing_silence_ms: int = 500
    """Silence that ends an utterance."""
    max_utterance_s: float = 12.0
    """An utterance is cut here even if the person goes on."""
    min_speech_ms: int = 120
    """Shorter bursts (a cough, a click) are not speech."""
    pre_roll_ms: int = 300
    """Audio kept from before the start was noticed, so the first word is whole."""
    reach_back_ms: int = 500
    """With a trained detector, how much further back than pre_roll_ms the utterance may begin: to
    where the sound before it began (above the noise floor, after QUIET_BEFORE_MS of quiet), when that
    is within reach. Silero can notice speech late, and how late depends on how its 32 ms chunks fall
    on the speech: it took the s of "speak" for no speech and began 0.2 to 0.3 s after the sound, so a
    0.3 s pre-roll cut the word ("speak slower please" heard as "beaks forre please"), and now and
    then it missed a whole first word. Measured with bench/onset.py (dev writers, every 16th phrasing,
    Piper's voice, each at all 16 alignments; one run): the audio given to the recogniser began after
    the first sound in 34 of 2384 runs with the pre-roll alone (up to 0.16 s cut off), and in none
    reaching back 0.5 s (0.3 s still cut some, on an earlier ad hoc run of every 8th)."""
    above_floor_db: float = 9.0
    """How far above the noise floor a frame must be to count as speech."""
    min_level_dbfs: float = -50.0
    """Frames quieter than this are never speech."""
    voice_detector: str = "level"
    """What decides that a frame is speech: "level" (above the noise floor) or "silero" (a trained
    detector, above min_level_dbfs; see vad.py; the level alone when it is not installed)."""
    speculate_after_ms: int = 200
    """Silence after which the recogniser may start decoding early (Recognizer.silence); shorter
    gaps between words do not count. Chosen with bench/speech_in.py on the dev writers."""
    spot_within_s: float = 0.5
    """A stop or pause the engine's keyword spotter hears (Recognizer.spotted) is acted on only when it
    begins this soon after the speech does: where a person puts a command, while a question that
    merely holds the word has it later ("do I need to stop my blood thinners")."""
    spot_gap_ms: int = 60
    """... and only once this much that is not speech (by the endpointer's own reading: Silero's, with
    a trained detector) follows it: a command is said on its own or ends a clause, while a word the
    spotter mistook ("what causes" for "pause", "quieter" for "quiet") runs on."""
    spot_reach_ms: int = 50
    """... beginning no later than this after the phrase's end as the spotter placed it.
    The three chosen with bench/spotting.py (dev writers, every 8th phrasing and every stop and pause,
    each in one of three voices in turn: 82 stops and pauses, 419 other phrasings; clean; one run):
    the spotter (SPOT_THRESHOLD) heard a phrase in 45 stops and in 30 other phrasings; this rule acts
    on 15 stops and none of the others, at most 110 ms after the phrase's end at p95. Judged by the
    level instead (above the noise floor), gaps show sooner: 18 to 21 stops, but 2 of the others
    ("speed it up, I haven't got all day" taken for "stop"); a longer reach (100 ms) 20 stops and 2
    others; a window of 1.2 s, 3 others."""
    spot_began_s: float = 0.1
    """A phrase that begins later than this after the speech (after other words: "that's enough",
    "stop stop") is acted on alone only once the person goes on after its quiet: it ended a clause.
    One that ends a short utterance instead ("turn it up" heard as "... stop") is left to the end of
    the utterance, where it is only a second opinion for the command pass (converse.second_opinion).
    With bench/spotting.py (as above): phrases that begin the utterance are placed 0.15 s before to
    0.04 s after Silero's onset, those after a word 0.21 s or more after it; this keeps 14 of the 15
    stops (the last, "hang on pause", is left to the end), the slowest decided 190 ms after the
    phrase's end instead of 110. Over the dev writers' other phrasings (every fourth, bench/speech_in.py
    --false-stops, clean and in pink noise) the spotter alone took "turn it up" (clean) without this
    rule and not with it; "where are we up to" in pink noise ("enough" in its middle, then "to") it
    takes either way."""


@dataclass(frozen=True)
class Utterance:
    """One utterance, heard and decoded."""

    transcript: Transcript
    duration: float
    """Seconds of audio in the utterance."""
    started_at: float
    """When the speech began, reckoned back from when it was noticed. Every time here is on the
    listener's clock: time.perf_counter() when frames are heard as they come, the frame's recording
    time from a microphone (CaptureClock), or audio time (playback.FrameClock)."""
    ended_at: float
    """The time of the frame on which the end was decided."""
    voiced_until: float
    """The time of the last frame loud enough to be speech."""
    decoded_at: float
    """When the transcript was ready (on a CaptureClock or FrameClock, the same as ended_at: the
    clock moves with the frames, not while decoding)."""
    reason: str
    """"silence", "max_length", "end_of_input", or "spotted": decided while it went on, on a stop or
    pause the engine's keyword spotter heard (ended_at is then when that phrase was said)."""
    early: bool = False
    """Decided on the engine's streaming command pass or keyword spotter, without waiting for its words:
    the transcript holds that pass's reading, the spotter's phrase, and the words only if they were
    decoded already (see Listener.feed)."""


def level_dbfs(frame: bytes) -> float:
    """RMS level of 16-bit PCM in dB below full scale."""
    samples = np.frombuffer(frame, dtype="<i2").astype(np.float64)
    rms = math.sqrt(float(np.mean(samples * samples))) if len(samples) else 0.0
    return 20 * math.log10(max(rms, 1.0) / 32768)


class CaptureClock:
    """When the frame being heard was recorded (time.perf_counter, read in the microphone's
    callback). A listener that falls behind its microphone, on a busy machine, still times
    speech by when it was said: the echo rule compares that with when the guide's voice left
    for the speaker, not with when the frame was decoded."""

    def __init__(self) -> None:
        self.now = time.perf_counter()
        """The recording time of the latest frame handed on."""

    def __call__(self) -> float:
        return self.now


class Listener:
    """Turns a stream of frames into decoded utterances."""

    def __init__(self, recognizer: Recognizer, config: EndpointConfig | None = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.recognizer = recognizer
        self.config = config or EndpointConfig()
        self.clock = clock
        """Where the times of an Utterance come from (a test may count frames instead)."""
        self.detector = speech_detector(self.config.voice_detector)
        self._floor: float | None = None
        self._pre_roll: deque[tuple[bytes, bool]] = deque(
            maxlen=max(1, (self.config.pre_roll_ms + self.config.reach_back_ms) // FRAME_MS))
        """Recent frames before an utterance, each with whether it was above the noise floor."""
        self._in_speech = False
        self._run = 0
        self._silence = 0
        self._frames = 0
        self._voiced = 0
        self._started_at = 0.0
        self._voiced_at = 0.0
        self._decided = False
        """The utterance going on was decided on a spotted stop: the rest of it is not decoded."""
        self._quiet: list[bool] = []
        """For each frame heard since the utterance's start was noticed: not speech."""
        self._noticed = 0
        """Frames of the utterance before its start was noticed (its pre-roll)."""
        self._onset = 0
        """The frame of the utterance where its speech began (the run that started it)."""
        self._refused: Spot | None = None
        """The spotted phrase last found not to be a command (see _spot)."""

    @property
    def in_speech(self) -> bool:
        """An utterance has begun and not yet ended."""
        return self._in_speech

    def feed(self, frame: bytes, early: Callable[[Utterance], bool] | None = None,
             commands_only: bool = False) -> Utterance | None:
        """Take one 10 ms frame; an Utterance when one has just ended.

        When one ends and the engine has a streaming command pass whose words come sooner than its
        own (Recognizer.command), ``early`` is asked about the utterance as that pass heard it, with
        the spotter's last phrase and the engine's words if they are in already (Utterance.early,
        Recognizer.ready); if it says True, that is the utterance, and the engine's own decode is
        dropped, not waited for. ``commands_only``: the guide is speaking, so an utterance that
        begins now can only cut in as a stop or pause (Recognizer.commands_only); when the engine's
        keyword spotter hears one while it goes on, ``early`` is asked at once (reason "spotted"),
        and if it says True the rest of that utterance is heard to its end but not decoded."""
        level = level_dbfs(frame)
        sounding = self._is_voiced(level)
        voiced = sounding
        if self.detector is not None:  # fed every frame: it keeps state
            voiced = self.detector(frame) and level >= self.config.min_level_dbfs
        if not self._in_speech:
            self._pre_roll.append((frame, sounding))
            self._run = self._run + 1 if voiced else 0
            if self._run * FRAME_MS >= self.config.min_speech_ms:
                self._begin(commands_only)
            elif not voiced:
                self._track_floor(level)
            return None
        if not self._decided:
            self.recognizer.accept(frame)
        self._frames += 1
        self._voiced += voiced
        self._quiet.append(not voiced)
        if voiced:
            self._voiced_at = self.clock()
            if self._silence * FRAME_MS >= self.config.speculate_after_ms and not self._decided:
                self.recognizer.silence(False)  # speech resumed: an early decode is stale
        self._silence = 0 if voiced else self._silence + 1
        if self._silence * FRAME_MS == self.config.speculate_after_ms and not self._decided:
            self.recognizer.silence(True)
        if self._silence * FRAME_MS >= self.config.trailing_silence_ms:
            return self._end("silence", early)
        if self._frames * FRAME_MS >= self.config.max_utterance_s * 1000:
            return self._end("max_length", early)
        if early is not None and not self._decided:
            return self._spot(early)
        return None

    def _spot(self, early: Callable[[Utterance], bool]) -> Utterance | None:
        """Act on what the engine's keyword spotter heard, once the rule of EndpointConfig.spot_*
        holds: it began soon after the speech, and quiet followed it."""
        spot = self.recognizer.spotted()
        if spot is None or spot == self._refused:
            return None
        frame_ms = FRAME_MS / 1000
        if spot.start_s - self._onset * frame_ms > self.config.spot_within_s:
            self._refused = spot
            return None
        end = max(0, round(spot.end_s / frame_ms) - self._noticed)
        gap, reach = self.config.spot_gap_ms // FRAME_MS, self.config.spot_reach_ms // FRAME_MS
        quiet = k = 0
        for k in range(end, len(self._quiet)):
            quiet = quiet + 1 if self._quiet[k] else 0
            if quiet >= gap:
                break
            if k - end >= reach and quiet == 0:  # no quiet began in reach: it runs on
                self._refused = spot
                return None
        else:
            return None  # not yet known
        if spot.start_s - self._onset * frame_ms > self.config.spot_began_s and all(self._quiet[k + 1 :]):
            return None  # after other words: only once the person goes on (see spot_began_s)
        now = self.clock()
        # When the person stopped: the end of the phrase, or of the words run on it before the quiet.
        said = now - (len(self._quiet) - (k + 1 - gap)) * frame_ms
        heard = Utterance(Transcript("", 0.0, command=spot.phrase, spotted=spot.phrase), spot.end_s,
                          self._started_at, said, self._voiced_at, now, "spotted", early=True)
        if not early(heard):
            self._refused = spot
            return None
        self.recognizer.drop()
        self._decided = True
        return heard

    def flush(self) -> Utterance | None:
        """The input ended: close an utterance in progress, if any."""
        return self._end("end_of_input") if self._in_speech else None

    @property
    def decided(self) -> bool:
        """The utterance going on was decided on a spotted stop or pause; its rest is not decoded."""
        return self._decided

    def _is_voiced(self, level: float) -> bool:
        floor = self._floor if self._floor is not None else level
        return level >= self.config.min_level_dbfs and level >= floor + self.config.above_floor_db

    def _track_floor(self, level: float) -> None:
        # The floor follows quiet frames quickly down and slowly up, so steady noise raises it.
        if self._floor is None or level < self._floor:
            self._floor = level
        else:
            self._floor += 0.02 * (level - self._floor)

    def _begin(self, commands_only: bool = False) -> None:
        self._in_speech = True
        self._decided = False
        self._refused = None
        self._quiet = []
        self._voiced_at = self.clock()
        self._started_at = self._voiced_at - self._run * FRAME_MS / 1000
        kept = list(self._pre_roll)
        first = max(0, len(kept) - self.config.pre_roll_ms // FRAME_MS)
        if self.detector is not None:  # it may have noticed late: begin where the sound began
            first = self._sound_began(kept, first)
        self._frames = self._noticed = len(kept) - first
        self._onset = max(0, self._noticed - self._run)
        self._voiced = self._run
        self._silence = 0
        self.recognizer.start()
        if commands_only:
            self.recognizer.commands_only()
        for frame, _ in kept[first:]:
            self.recognizer.accept(frame)
        self._pre_roll.clear()

    def _sound_began(self, kept: list[tuple[bytes, bool]], first: int) -> int:
        """Where in ``kept`` the sound that runs into ``kept[first]`` began: back across gaps shorter
        than QUIET_BEFORE_MS (between words), to a quiet stretch at least that long. ``first`` when
        there is none within reach (the guide's echo or steady noise running into the speech)."""
        gap = QUIET_BEFORE_MS // FRAME_MS
        start, quiet = first, 0
        for i in range(first - 1, -1, -1):
            if kept[i][1]:
                start, quiet = i, 0
            else:
                quiet += 1
                if quiet >= gap:
                    return start
        return start if len(kept) < (self._pre_roll.maxlen or 0) else first

    def _end(self, reason: str, early: Callable[[Utterance], bool] | None = None) -> Utterance | None:
        ended = self.clock()
        self._in_speech = False  # first: a failing decoder must not leave the listener mid-utterance
        self._run = 0
        duration = self._frames * FRAME_MS / 1000
        if self._decided:  # already decided on a spotted stop, and dropped: nothing more to say
            self._decided = False
            log.debug("the rest of an utterance decided on a spotted stop: %.1f s", duration)
            return None
        if early is not None and (command := self.recognizer.command()) is not None:
            # What is known at once: the command pass's reading, the spotter's phrase, and the engine's
            # words if an early decode has them already.
            spot = self.recognizer.spotted()
            known = self.recognizer.ready() or Transcript("", 0.0)
            known = replace(known, command=command, spotted=spot.phrase if spot is not None else "")
            heard = Utterance(known, duration, self._started_at, ended, self._voiced_at, self.clock(), reason,
                              early=True)
            if early(heard):
                self.recognizer.drop()
                return heard
        transcript = self.recognizer.finish()
        return Utterance(transcript, duration, self._started_at, ended, self._voiced_at, self.clock(), reason)

    def utterances(self, frames: Iterable[bytes]) -> Iterator[Utterance]:
        """Every utterance in a stream of frames."""
        for frame in frames:
            utterance = self.feed(frame)
            if utterance is not None:
                yield utterance
        last = self.flush()
        if last is not None:
            yield last


def first_utterance(listener: Listener, frames: Iterable[bytes], timeout_s: float) -> Utterance | None:
    """The first utterance in ``frames``, or None if no speech began within ``timeout_s`` seconds
    of audio (or the frames ended first). Counted in audio, so a quiet room times out."""
    waited = 0
    for frame in frames:
        utterance = listener.feed(frame)
        if utterance is not None:
            return utterance
        waited += FRAME_MS
        if not listener.in_speech and waited >= timeout_s * 1000:
            return None
    return listener.flush()


def frames_of(pcm: bytes) -> Iterator[bytes]:
    """10 ms frames of 16 kHz PCM (the last one padded with silence)."""
    for start in range(0, len(pcm), FRAME_BYTES):
        frame = pcm[start : start + FRAME_BYTES]
        yield frame + bytes(FRAME_BYTES - len(frame))


def wav_frames(path: Path, trailing_silence_s: float = 1.0) -> Iterator[bytes]:
    """Frames of a WAV file of any rate and channel count, then some silence to end on."""
    audio = read_wav(path, SAMPLE_RATE)
    yield from frames_of(audio.to_bytes() + bytes(int(trailing_silence_s * SAMPLE_RATE) * 2))


def raw_frames(stream: BinaryIO) -> Iterator[bytes]:
    """Frames of raw 16 kHz mono 16-bit PCM read from a stream (stdin)."""
    while chunk := stream.read(FRAME_BYTES):
        yield chunk + bytes(FRAME_BYTES - len(chunk))
