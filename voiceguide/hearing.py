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

from .audio import AudioError, over_loud_background, read_wav
from .recognize import SAMPLE_RATE, Recognizer, Spot, Transcript
from .vad import speech_detector

log = logging.getLogger(__name__)

FRAME_MS = 10
FRAME_BYTES = SAMPLE_RATE * FRAME_MS // 1000 * 2
QUIET_BEFORE_MS = 100
"""Quiet this long before the sound marks where an utterance began (see EndpointConfig.reach_back_ms);
shorter quiet is a gap between words."""
ROOM_S = 3.0
"""How much of what was heard before an utterance tells whether the room was talking and how loud
(EndpointConfig.others_talk_end_ms)."""
ROOM_TALKING = 0.9
"""The room was talking before an utterance when the detector called this share of those frames
speech. Other voices all round: 0.98 to 1.0 in bench/waiting_room.py's babble. After an utterance
that ended on trailing silence it is at most (ROOM_S - 0.5) / ROOM_S, 0.83: so in a quiet room, in
steady noise or in a reverberant room an utterance after one that ended on silence never arms the
rule; after one that ran to max_utterance_s, see ROOM_STEADY_DB."""
ROOM_STEADY_DB = 2.0
"""One person talking on past max_utterance_s, in steady noise or a reverberant room, is speech to the
detector all through, just as the others' talk is: their own next words must not be taken for the
room's talk and passed over. So an utterance that began where the room was not talking (or that
followed such a one) and ran to the maximum is the person's; the next one counts the room as talking
only when its averaged level was also this steady (its median less than this above its 10th
percentile), as babble's is and one voice's is not. A person reading on for 20 s (a review's scene,
nine sentences without a break) stood 2.9 dB at pink 5 dB, 3.1 with reverberation, pink 10 dB and
faster speech, 4.1 to 6.2 otherwise; six talkers' babble in bench/waiting_room.py 0.7 to 4.7, median
2.1: where it began after quiet, the rule comes on at its first steadier stretch. A listener that
has heard less than 2 s cannot tell the room was quiet: a person who talks on past the maximum
within 2 s of it starting is not covered."""
LEVEL_FRAMES = 20
"""Frames (10 ms) over which the level is averaged for standing out above the others: one loud
syllable of theirs rarely holds it (six talkers, 200 ms: their level's 99th percentile 1.8 dB over
its median; a question at 5 dB SNR 3.7 dB over it at the median, at 10 dB 7.0)."""


def _talking(heard: list[tuple[float, bool, bool]]) -> bool:
    """The detector called ROOM_TALKING or more of these frames speech."""
    return sum(voiced for _, voiced, _ in heard) >= ROOM_TALKING * len(heard)


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
    others_talk_end_ms: int = 1200
    """With a trained detector, in a room where others talk all the time (the detector called speech in
    ROOM_TALKING of the ROOM_S before the utterance began), the utterance also ends after this long in
    which the level (averaged over LEVEL_FRAMES) stood no more than others_talk_rise_db above the room's
    level before it began; and it is passed over, not decoded, when nothing in it ever did (the others'
    talk alone). The detector takes the others' voices for speech, so without this the utterance never
    ends on silence: it ran to max_utterance_s, the person waited 12 s for an answer, and a question
    could be cut in two there. Longer than trailing_silence_ms, so a pause inside a question is kept.
    0: off. Chosen with bench/waiting_room.py --every 4 --no-decode (dev writers: 21 fact questions in
    babble that never stops, at 5 and 10 dB, 11 of them also said with 0.5 to 1.0 s of silence in the
    middle; one run): at 1.0 s one of the 22 paused questions was split in two, and so was a test's
    question with a second's pause (tests/test_whisper.py; at 1.2 s it was split too once, in a run of
    the whole test module: a second of silence is the rule's edge, and the test now leaves 0.8 s); at
    1.2 s none of the benchmark's, and the question ended 1.2
    to 1.3 s after its last word (median; p95 1.4 s). See README, Speech in a waiting room."""
    others_talk_rise_db: float = 3.5
    """How far above the room's level before the utterance (the median of the averaged level over the
    ROOM_S before it began, frozen for the utterance) the near voice stands out. With the same run, at
    1.2 s: 3.5 dB left 0.8 to 1.6 utterances a minute of the babble alone to decode, 4 dB 0.4 to 0.8 but
    split one of three test questions with a second's pause, and at 3 dB a test question's utterance,
    begun on the others' talk a second before it, ran to the maximum. At 1.0 s (an earlier revision),
    2.5 dB left 3.3 to 5.4 a minute and split two questions, 3 dB 2.1 to 3.2."""
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
    """"silence", "max_length", "end_of_input", "others" (nothing stood out above the others' talk for
    EndpointConfig.others_talk_end_ms), or "spotted": decided while it went on, on a stop or pause the
    engine's keyword spotter heard (ended_at is then when that phrase was said)."""
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
        self._powers: deque[float] = deque(maxlen=LEVEL_FRAMES)
        self._room: deque[tuple[float, bool, bool]] = deque(maxlen=round(ROOM_S * 1000) // FRAME_MS)
        """Every recent frame's averaged level (dB), whether the detector called it speech, and whether
        it stood out above the others' talk, in an utterance or not, but none heard while the guide
        spoke: what the room was doing before the next utterance (EndpointConfig.others_talk_*)."""
        self._others: float | None = None
        """The room's level before the utterance going on, when others were talking then: the
        utterance also ends when nothing stands out above it. None: the rule is off for it."""
        self._level_since = 0
        """Frames since the averaged level last stood out above the others (or the utterance began)."""
        self._stood_out = 0
        """Frames of the utterance in which it did."""
        self._levels: list[float] = []
        """The level (dBFS) of every frame of the utterance going on: was it heard over a loud background."""
        self._tail: deque[tuple[bytes, bool]] = deque(maxlen=max(1, self.config.pre_roll_ms // FRAME_MS))
        """The utterance's latest frames: the pre-roll of the next one when it ends on the others' talk."""
        self._over_guide = False
        """The utterance going on began while the guide spoke (Listener.feed's commands_only)."""
        self._guide_spoke = False
        """The last frame was heard while the guide spoke."""
        self.passed_over = 0
        """Utterances passed over as the others' talk alone, not decoded."""
        self.passed_over_s = 0.0
        """The length (s) of the last of them."""
        self._talked_on = False
        """The last utterance was the person's talking on past max_utterance_s (see ROOM_STEADY_DB)."""
        self._person = False
        """The utterance going on began where the room was known not to be talking, or followed one
        talked on."""

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
        if self._guide_spoke and not commands_only:
            self._powers.clear()  # the guide's echo is not the room's level
        self._guide_spoke = commands_only
        averaged = self._averaged(level)
        # While the guide speaks the detector hears its echo too, not only the room: left out, so after
        # an answer the room is as it was before it.
        if not commands_only:
            self._room.append((averaged, voiced, False))
            if self._in_speech and self._over_guide:
                self._over_guide = False  # the guide has stopped: looked at once
                if not self._decided and self._rule_on() and self._room_level(0) is not None:
                    # ... while an utterance begun over it goes on, in a room where others talk: that
                    # was their talk (or the guide's echo), which would run on to max_utterance_s and
                    # hold the person's next question in a pass for commands only. Passed over; what
                    # follows begins afresh, under the rule (its last frames are the pre-roll).
                    tail = list(self._tail)
                    self._pass_over()
                    self._pre_roll.extend(tail)
        if not self._in_speech:
            self._pre_roll.append((frame, sounding))
            self._run = self._run + 1 if voiced else 0
            if self._run * FRAME_MS >= self.config.min_speech_ms:
                self._begin(commands_only)
            elif not voiced:
                self._track_floor(level)
            return None
        self._tail.append((frame, sounding))
        self._levels.append(level)
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
        if self._others is not None:
            if averaged >= self._others + self.config.others_talk_rise_db:
                self._level_since = 0
                self._stood_out += 1
                if not commands_only:
                    self._room[-1] = (averaged, voiced, True)
            else:
                self._level_since += 1
            if self._level_since * FRAME_MS >= self.config.others_talk_end_ms:
                return self._end_on_others(early)
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
        """The input ended: close an utterance in progress, if any (passed over when it is the others'
        talk alone, as when it ends on it: see EndpointConfig.others_talk_end_ms)."""
        if not self._in_speech:
            return None
        if self._others_alone():
            self._pass_over()
            return None
        return self._end("end_of_input")

    @property
    def decided(self) -> bool:
        """The utterance going on was decided on a spotted stop or pause; its rest is not decoded."""
        return self._decided

    def _is_voiced(self, level: float) -> bool:
        floor = self._floor if self._floor is not None else level
        return level >= self.config.min_level_dbfs and level >= floor + self.config.above_floor_db

    def _averaged(self, level: float) -> float:
        """The level over the last LEVEL_FRAMES frames (dB): power averaged, so one loud syllable of the
        others' talk counts for little."""
        self._powers.append(10 ** (level / 10))
        return 10 * math.log10(sum(self._powers) / len(self._powers))

    def _room_level(self, before: int) -> float | None:
        """The room's level before the last ``before`` frames, if others were talking all through it
        (see ROOM_TALKING): the median of the averaged level, leaving out what stood out above them
        (the person's words of an utterance just ended, or the level would rise to theirs and the rest
        of a question cut in two would not stand out). None when they were not talking, or when too
        little was heard yet to tell (a listener just begun)."""
        heard = self._heard_before(before)
        if heard is None or not _talking(heard):
            return None
        levels = [averaged for averaged, _, _ in heard]
        if self._talked_on and float(np.median(levels) - np.percentile(levels, 10)) >= ROOM_STEADY_DB:
            return None
        theirs = [averaged for averaged, _, above in heard if not above]
        return float(np.median(theirs)) if len(theirs) >= len(heard) // 3 else None

    def _rule_on(self) -> bool:
        """The others' talk rule applies: a trained detector, and others_talk_end_ms set."""
        return self.detector is not None and self.config.others_talk_end_ms > 0

    def _room_quiet(self, before: int) -> bool:
        """Enough was heard before the last ``before`` frames to tell, and the room was not talking."""
        heard = self._heard_before(before)
        return heard is not None and not _talking(heard)

    def _heard_before(self, before: int) -> list[tuple[float, bool, bool]] | None:
        """The room as heard before the last ``before`` frames; None when too little was heard yet to
        tell what it was doing (a listener just begun)."""
        heard = list(self._room)[: max(0, len(self._room) - before)]
        return heard if len(heard) >= (self._room.maxlen or 0) * 2 // 3 else None

    def _end_on_others(self, early: Callable[[Utterance], bool] | None) -> Utterance | None:
        """End the utterance: nothing stood out above the others' talk for others_talk_end_ms. When
        nothing ever did, it was their talk alone: passed over, not decoded (the guide does not answer
        the room). Its last frames are the next utterance's pre-roll: the person may have begun there."""
        tail = list(self._tail)
        if self._others_alone():
            self._pass_over()
            utterance = None
        else:
            utterance = self._end("others", early)
        self._pre_roll.extend(tail)
        return utterance

    def _others_alone(self) -> bool:
        """Nothing in the utterance going on stood out above the others' talk (for as long as a
        burst must last to be speech): it was theirs alone."""
        return self._others is not None and not self._decided and \
            self._stood_out * FRAME_MS < self.config.min_speech_ms

    def _pass_over(self) -> None:
        self._in_speech = False
        self._run = 0
        self._talked_on = False
        self.passed_over += 1
        self.passed_over_s = self._frames * FRAME_MS / 1000
        self.recognizer.drop()

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
        # Over the guide's own voice the room's level is its echo: not the others' talk.
        self._others = self._room_level(self._run) if self._rule_on() and not commands_only else None
        self._person = self._talked_on or self._room_quiet(self._run)
        self._level_since = self._stood_out = 0
        self._over_guide = commands_only
        self._tail.clear()
        self._levels = [level_dbfs(frame) for frame, _ in kept[first:]]
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
        self._talked_on = reason == "max_length" and self._others is None and self._person
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
            known = replace(known, command=command, spotted=spot.phrase if spot is not None else "",
                            noisy=self._noisy())
            heard = Utterance(known, duration, self._started_at, ended, self._voiced_at, self.clock(), reason,
                              early=True)
            if early(heard):
                self.recognizer.drop()
                return heard
        transcript = replace(self.recognizer.finish(), noisy=self._noisy())
        return Utterance(transcript, duration, self._started_at, ended, self._voiced_at, self.clock(), reason)

    def _noisy(self) -> bool:
        """The utterance going on was heard over a loud background (audio.LOUD_BACKGROUND_DB): the
        same rule on the same audio as Whisper's (whisper_engine.near_stretch). Digital silence
        counts as the quietest background there is: leaving it out took the gaps between a speech
        synthesiser's words with it, and clean speech was called noisy."""
        return over_loud_background(self._levels)

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
    """Frames of raw 16 kHz mono 16-bit PCM read from a stream (stdin); AudioError if it holds none."""
    empty = True
    while chunk := stream.read(FRAME_BYTES):
        empty = False
        yield chunk + bytes(FRAME_BYTES - len(chunk))
    if empty:
        raise AudioError("no audio on standard input (raw 16 kHz 16-bit mono PCM)", "-")
