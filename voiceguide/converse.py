"""The spoken conversation: frames in, answers out, one turn at a time.

A :class:`Session` listens all the time, also while the guide speaks. Any
understood utterance acts at once: a control ("stop", "pause", "slower")
on the answer playing, a question by cutting it off and answering. While
the guide speaks only "stop" and "pause" cut in (see BARGE_IN), acted on as
soon as the engine's keyword spotter, or its streaming command pass with a
second opinion, hears them (cuts_in_at_once): anything else is taken for the
guide's own voice leaking into the microphone. Each turn can be logged as one
JSON event: transcript, intent, answer, interrupted, latency_ms,
trailing_silence_ms.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TextIO

from .audio import AudioError, read_wav
from .dialogue import Action, Conversation, Reply
from .hearing import FRAME_BYTES, FRAME_MS, Listener, Utterance, frames_of
from .playback import FramePlayer, Playback, StreamPlayer, earcon
from .recognize import SAMPLE_RATE, Transcript
from .speak import Sentence, Speech
from .understand import Understander, Understanding, understand_heard

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Turn:
    """One utterance and what the guide did with it. Every utterance makes one, ignored ones too."""

    transcript: str
    """The engine's words; for an utterance decided on the command pass alone (Utterance.early), what
    that pass heard."""
    intent: str | None
    answer: str
    """What the guide said in reply; empty when it said nothing."""
    interrupted: bool
    """An answer was playing and this utterance cut it off (or paused it)."""
    latency_ms: float | None
    """End-of-utterance decision to the first sample of the answer leaving for the speaker."""
    trailing_silence_ms: int
    decision: str
    """What was done: one of DECISIONS."""


DECISIONS = {
    "answered": "understood or not, it got a reply",
    "barge_in": "said over the guide, and one of BARGE_IN: acted on at once",
    "asked_again": "began while the guide spoke and went on after it: the guide asked for it again",
    "ignored_echo": "heard only while the guide spoke, and not a barge-in: taken for its own voice",
    "ignored_noise": "no words and nothing understood",
}
"""Every decision a Session can take on an utterance, and when it takes it."""


ECHO_TAIL_S = 0.25
"""After the guide stops, its voice still reaches the microphone this long (output buffering,
the room): speech that began by then is treated as said over the guide, unless it goes on
after this (see Session.spoke_on)."""

RAN_ON_S = 0.5
"""Speech that began over the guide must go on this much longer than its echo can before the guide
asks for it again: through a PulseAudio loopback (tests/test_live.py) the echo of the last word
outlasted the echo tail by a little, and without this margin the station answered its own echo."""

KEEP_ALIVE_FRAMES = 1000 // FRAME_MS
"""How often (in frames: once a second) a running conversation checks that its speaker is there."""

BARGE_IN = frozenset({"control.stop", "control.pause"})
"""What cuts in while the guide speaks. Stricter than when it is quiet: its own voice leaks into
the microphone, and its answers are full of guide words and even commands ("Speaking faster.");
measured with bench/conversation.py, any command let the echo cut in on one answer in five."""


def cuts_in(understanding: Understanding) -> bool:
    """This utterance may interrupt the guide while it speaks."""
    return understanding.understood and understanding.intent is not None and understanding.intent.name in BARGE_IN


def cuts_in_at_once(understander: Understander, utterance: Utterance) -> bool:
    """Act on a stop or pause said over the guide now, without waiting for the engine's words
    (Whisper's take hundreds of milliseconds; seconds on a busy machine): the keyword spotter heard it
    said as a command while the utterance went on (reason "spotted": the listener's rule,
    EndpointConfig.spot_*); or the utterance ended, the engine's streaming command pass heard "stop" or
    "pause" (one of the listener's command phrases, exactly), and a second opinion agrees. The command
    pass can hear nothing but commands, so alone it makes one of any short utterance ("how do you take
    a blood culture" as "stop", "yeah, go on" as "hang on"); without a second opinion the words decide
    (Session.turn; the pass's reading still stands in for a short utterance they leave not understood,
    see understand_heard)."""
    heard = utterance.transcript
    if not cuts_in(understand_heard(understander, "", heard.command)):
        return False
    return utterance.reason == "spotted" or second_opinion(understander, heard)


def second_opinion(understander: Understander, heard: Transcript) -> bool:
    """Something besides the command pass heard a stop or pause in the utterance: the keyword spotter
    heard the same one (a stop, or a pause, as the pass did), said as a command or not; or the engine's words,
    or one of their next-best readings, when they are in ("stop" heard as "stah", next best "stop").
    Chosen with bench/speech_in.py --false-stops --facts and bench/stop_rules.py (dev, every fourth
    other phrasing, clean and in pink noise): the spotter hearing any stop or pause let "tell us a bit
    more about that" through as "hang on a moment" (the pass) and "enough" (the spotter). Asking the
    same opinion before the pass's reading may stand in for words not understood took no fewer other
    phrasings and lost a lone "pause" Whisper heard as "fight". The words alone, without the spotter,
    took 4 other phrasings of 916 in pink noise instead of 6 ("play the bit about the muscle damage",
    "wait" to both passes) but decided 17 and 1 of the 90 stops at once, clean and in noise, instead
    of 28 and 5: see README."""
    spotter = bool(heard.spotted) and _barge_in(understander, heard.spotted) == _barge_in(understander, heard.command)
    return spotter or any(cuts_in(understander.understand(reading))
                          for reading in (heard.text, *heard.alternatives) if reading)


def _barge_in(understander: Understander, phrase: str) -> str | None:
    """The stop or pause intent ``phrase`` is, as one of the listener's commands exactly; else None."""
    got = understand_heard(understander, "", phrase)
    return got.intent.name if cuts_in(got) and got.intent is not None else None


class Session:
    """Joins listening, the conversation and speaking."""

    def __init__(self, conversation: Conversation, listener: Listener, speech: Speech, player: StreamPlayer,
                 events: TextIO | None = None, show: Callable[[str], None] | None = None) -> None:
        self.conversation = conversation
        self.listener = listener
        self.speech = speech
        self.player = player
        self.events = events
        self.show = show
        """Called with each answer's text as it is spoken (the command line prints it)."""
        self.turns: list[Turn] = []
        self.push_to_talk = False
        """Listen only after the talk key (see press_to_talk), for one utterance at a time."""
        self.echo_tail_s = ECHO_TAIL_S
        """How long after the guide stops speech is still taken for its echo (see over_the_guide)."""
        self._playing: Playback | None = None
        self._talk_cue: Playback | None = None
        self._talk_open = False
        self._frames = 0
        self.ended = False

    def say(self, text: str, cue: str | None = None) -> Playback:
        """Speak ``text`` now, cutting off whatever plays; after an earcon ``cue`` if given
        (see playback.earcon)."""
        settings = self.conversation.state.settings
        sentences = self.speech.sentences(text, settings.rate, settings.volume)
        if cue is not None:
            sentences = itertools.chain([Sentence("", earcon(cue, self.player.rate).scaled(settings.volume))],
                                        sentences)
        self._playing = self.player.start(sentences)
        return self._playing

    @property
    def playing(self) -> Playback | None:
        """The answer playing or paused now, or the last one played."""
        return self._playing

    def adopt(self, playback: Playback | None) -> None:
        """Take over a playback another session started (a goodbye that should finish)."""
        self._playing = playback

    @property
    def speaking(self) -> bool:
        """The guide's voice is sounding now (a paused answer is silent)."""
        return self._playing is not None and not self._playing.over and not self._playing.paused

    def press_to_talk(self) -> None:
        """The talk key was pressed: cut the answer off, sound the listening earcon, then
        take the next utterance (after the earcon, so that it is not heard as speech)."""
        self._talk_cue = self.say("", cue="listening")

    def _listening(self) -> bool:
        """Frames go to the listener now (always, unless push-to-talk waits for the key)."""
        if not self.push_to_talk or self._talk_open:
            return True
        cue = self._talk_cue
        if cue is not None and cue.over:  # heard to its end: not taken for speech
            self._talk_cue, self._talk_open = None, True
        return self._talk_open

    def hear(self, frame: bytes) -> Utterance | None:
        """One 10 ms frame from the microphone: the utterance that just ended, if any.
        Once a second the speaker is checked and reopened if lost. A failing decoder is
        logged, never raised: one bad utterance never ends a conversation."""
        self._frames += 1
        if self._frames % KEEP_ALIVE_FRAMES == 0:
            self.player.keep_alive()
        if not self._listening():
            return None
        try:
            # While the guide speaks only a stop or pause can cut in: the engine may spot one as it
            # is said, and decode no more than it takes to tell one.
            utterance = self.listener.feed(frame, early=self.early, commands_only=self.speaking)
        except Exception:
            log.exception("could not decode an utterance; carrying on")
            return None
        if utterance is not None:
            self._talk_open = False
        return utterance

    def early(self, utterance: Utterance) -> bool:
        """Decide ``utterance`` without waiting for the engine's words (Listener.feed): a stop or a
        pause said over the guide, the only utterances that cut in then (see cuts_in_at_once)."""
        return self.over_the_guide(utterance) and cuts_in_at_once(self.conversation.guide.understander, utterance)

    def run(self, frames: Iterable[bytes]) -> None:
        """Listen to ``frames`` until they end or the listener says goodbye."""
        for frame in frames:
            if self.ended:
                break
            utterance = self.hear(frame)
            if utterance is not None:
                self.safe_turn(utterance)
        self.finish()

    def finish(self) -> None:
        """Let the guide's last words play to their end."""
        if self._playing is not None:
            self.player.finish(self._playing)

    def safe_turn(self, utterance: Utterance) -> Turn | None:
        """turn(), but a failure is logged and the conversation carries on."""
        try:
            return self.turn(utterance)
        except Exception:
            log.exception("could not handle an utterance; carrying on")
            return None

    def turn(self, utterance: Utterance) -> Turn:
        """Decide what to do with one utterance (see DECISIONS), do it, and log it."""
        heard = utterance.transcript
        understanding = understand_heard(self.conversation.guide.understander, heard.text, heard.command,
                                         heard.alternatives, heard.confidence, heard.noisy)
        over = self.over_the_guide(utterance)
        quick = self.began_after_guide(utterance)
        reply: Reply | None = None
        if over and cuts_in(understanding):
            decision = "barge_in"
        elif over and not self.spoke_on(utterance, 0.0 if quick else RAN_ON_S):
            decision = "ignored_echo"
        elif over and not (quick and (understanding.understood or understanding.out_of_scope)):
            decision = "asked_again"
            reply = self._ask_again(understanding)
        elif not heard.text and not understanding.understood:
            decision = "ignored_noise"
        else:
            decision = "answered"
        if decision in ("barge_in", "answered"):
            reply = self.conversation.respond(heard.text, understanding, noisy=heard.noisy)
        latency = None
        if reply is not None:
            playback = self._act(reply)
            if self.show is not None:
                self.show(reply.text)
            if playback is not None:
                self.player.await_first_sample(playback)
                if playback.timing.first_sample is not None:
                    latency = (playback.timing.first_sample - utterance.ended_at) * 1000
        said = heard.command if utterance.early else heard.text
        turn = Turn(said, reply.intent if reply else None, reply.text if reply else "",
                    decision == "barge_in", latency, self.listener.config.trailing_silence_ms, decision)
        if decision.startswith("ignored"):
            log.debug("%s: %r", decision, heard.text)
        self.turns.append(turn)
        if self.events is not None:
            self.events.write(json.dumps(turn.__dict__, ensure_ascii=False) + "\n")
            self.events.flush()
        return turn

    def _ask_again(self, understanding: Understanding) -> Reply:
        return Reply(understanding, self.conversation.guide.content.replies.say("say_again"))

    def over_the_guide(self, utterance: Utterance) -> bool:
        """The utterance began while the guide was speaking, or so soon after that it may be
        the echo of its last words: the stricter barge-in rule applies to it. (With push-to-talk
        the key decides: the guide is silent once the talk tone has played.)"""
        if self.speaking or self.push_to_talk:
            return self.speaking
        finished = self._finished()
        return finished is not None and utterance.started_at < finished + self.echo_tail_s

    def spoke_on(self, utterance: Utterance, beyond_s: float = 0.0) -> bool:
        """Speech went on ``beyond_s`` past the guide's voice and its echo dying away: a person,
        not the echo."""
        finished = self._finished()
        return finished is not None and utterance.voiced_until > finished + self.echo_tail_s + beyond_s

    def began_after_guide(self, utterance: Utterance) -> bool:
        """The utterance began after the guide's last sample (a quick reply, not talk over it)."""
        finished = self._finished()
        # The start is reckoned back in whole frames from when speech was noticed: allow one.
        return finished is not None and utterance.started_at >= finished - FRAME_MS / 1000

    def _finished(self) -> float | None:
        return self._playing.timing.finished if self._playing is not None else None

    def _act(self, reply: Reply) -> Playback | None:
        playing = self._playing
        if reply.action is Action.STOP:
            if playing is not None:
                playing.stop()
            return None
        if reply.action is Action.PAUSE and playing is not None and not playing.done:
            playing.pause()
            return None
        if reply.action is Action.RESUME and playing is not None and playing.paused:
            playing.resume()
            return None
        if reply.action is Action.GOODBYE:
            self.ended = True
        return self.say(reply.text, cue=None if reply.understanding.understood else "not_understood")


class _Speaks(Protocol):
    @property
    def speaking(self) -> bool: ...


MAX_SCRIPTED_SILENCE_S = 3600.0
"""The longest "silence:S" a script may ask for: an hour covers any idle timeout worth testing."""


@dataclass(frozen=True)
class Scripted:
    """One entry of a script of recordings: something said, or a stretch of quiet."""

    pcm: bytes
    """16 kHz mono 16-bit samples; empty for quiet."""
    over: bool = False
    """Said over the guide's answer ("+FILE"), not after it."""
    quiet_s: float = 0.0
    """Seconds of nobody speaking ("silence:S")."""


def load_script(entries: Iterable[str]) -> list[Scripted]:
    """Every entry of ``--from-wavs`` read and checked before anything is done with them, so that a bad
    one ends the command before a file is written: a WAV file (read_wav's errors), "+FILE", or
    "silence:S" with S seconds from 0 to MAX_SCRIPTED_SILENCE_S."""
    script = []
    for name in entries:
        if name.startswith("silence:"):
            text = name.split(":", 1)[1]
            try:
                seconds = float(text)
            except ValueError:
                seconds = math.nan
            if not 0 <= seconds <= MAX_SCRIPTED_SILENCE_S:  # NaN fails too
                raise AudioError(f"{name}: give the seconds of quiet as a number from 0 to "
                                 f"{MAX_SCRIPTED_SILENCE_S:g}, e.g. silence:5")
            script.append(Scripted(b"", quiet_s=seconds))
            continue
        over = name.startswith("+")
        if not name.removeprefix("+"):
            raise AudioError(f"'{name}': name a file, e.g. question.wav, or +question.wav to say it over the answer")
        script.append(Scripted(read_wav(Path(name[1:] if over else name), SAMPLE_RATE).to_bytes(), over=over))
    return script


def scripted_frames(script: list[Scripted], session: _Speaks, gap_s: float = 1.0, realtime: bool = True,
                    timeline: FramePlayer | None = None) -> Iterator[bytes]:
    """Recordings as a microphone (load_script): each after the guide has stopped speaking (one said
    ``over`` it instead, after the answer has begun), then ``gap_s`` of silence. In real time; or, given
    the ``timeline`` the guide plays to, in audio time: each frame advances that speaker one block, as
    fast as the machine allows."""
    silence = bytes(FRAME_BYTES)
    clock = time.perf_counter()

    def paced(frame: bytes) -> bytes:
        nonlocal clock
        if timeline is not None:
            timeline.tick()
        elif realtime:
            clock += FRAME_MS / 1000
            time.sleep(max(0.0, clock - time.perf_counter()))
        return frame

    for entry in script:
        if not entry.pcm:
            for _ in range(int(entry.quiet_s * 1000 / FRAME_MS)):
                yield paced(silence)
            continue
        while not entry.over and session.speaking:
            yield paced(silence)
        if entry.over:
            for _ in range(int(0.8 * 1000 / FRAME_MS)):  # let the answer get going first
                yield paced(silence)
        for frame in frames_of(entry.pcm):
            yield paced(frame)
        for _ in range(int(gap_s * 1000 / FRAME_MS)):
            yield paced(silence)
    while session.speaking:
        yield paced(silence)


@dataclass(frozen=True)
class StationConfig:
    """How an unattended clinic station behaves."""

    wake_phrase: str = "hello guide"
    """Said to start a conversation."""
    idle_s: float = 30.0
    """Silence after which the station says goodbye and forgets the conversation."""
    log_transcripts: bool = False
    """Store what people said in the log (off: only intent names and timings)."""


class Station:
    """A clinic station: waits for the wake phrase, converses, forgets after silence.

    Each visitor starts from the station's own voice settings; nothing of a
    conversation outlives it but the log line of each turn (intent and timing,
    and the words only if switched on). No audio is stored.
    """

    def __init__(self, make_session: Callable[[], Session], config: StationConfig,
                 log_to: TextIO | None = None) -> None:
        self.make_session = make_session
        self.config = config
        self.log_to = log_to
        self._log_failed = False
        self.session = make_session()
        self.active = False
        self.conversations = 0
        self._idle_frames = 0

    @property
    def speaking(self) -> bool:
        return self.session.speaking

    def finish(self) -> None:
        """Let the guide's last words play to their end."""
        self.session.finish()

    def run(self, frames: Iterable[bytes]) -> None:
        """Serve until the frames end (a scripted microphone) or the process is stopped."""
        for frame in frames:
            self.feed(frame)

    def feed(self, frame: bytes) -> None:
        """One 10 ms frame from the microphone."""
        utterance = self.session.hear(frame)
        if utterance is not None:
            self._idle_frames = 0
            try:
                self._heard(utterance)
            except Exception:  # one bad utterance never ends the station
                log.exception("could not handle an utterance; carrying on")
        elif not self.session.speaking:
            self._idle_frames += 1
        if self.active and self._idle_frames * FRAME_MS >= self.config.idle_s * 1000:
            self._end_conversation()

    def _heard(self, utterance: Utterance) -> None:
        if not self.active:
            log.debug("waiting; heard %s", utterance.transcript)
            if not self.session.over_the_guide(utterance) and self._is_wake(utterance):
                self._start_conversation()
            return
        turn = self.session.turn(utterance)
        if not turn.decision.startswith("ignored"):
            self._log(turn)
        if self.session.ended:
            self._reset()

    def _is_wake(self, utterance: Utterance) -> bool:
        """A short utterance with all but one of the wake words in some reading of it: the
        recogniser often gets one word of "hello guide" wrong ("oh guide")."""
        wake = self.config.wake_phrase.lower().split()
        heard = utterance.transcript
        for text in (heard.text, heard.command, *heard.alternatives):
            words = text.split()
            if 0 < len(words) <= len(wake) + 2 and sum(w in words for w in wake) >= max(1, len(wake) - 1):
                return True
        return False

    def _start_conversation(self) -> None:
        self.active = True
        self.conversations += 1
        content = self.session.conversation.guide.content
        self.session.say(f"{content.replies.say('greeting')} {content.disclaimer.text}", cue="listening")
        self._write({"event": "start"})

    def _end_conversation(self) -> None:
        self.session.say(self.session.conversation.guide.content.replies.say("goodbye"))
        self._write({"event": "idle_goodbye"})
        self._reset()

    def _reset(self) -> None:
        """Back to waiting, with a fresh conversation (and the station's own settings)."""
        previous = self.session
        self.session = self.make_session()
        self.session.adopt(previous.playing)  # let a goodbye finish playing
        self.active = False
        self._idle_frames = 0

    def _log(self, turn: Turn) -> None:
        record: dict[str, object] = {"event": "turn", "intent": turn.intent, "latency_ms": turn.latency_ms,
                                     "interrupted": turn.interrupted, "decision": turn.decision}
        if self.config.log_transcripts:
            record["transcript"] = turn.transcript
        self._write(record)

    def _write(self, record: dict[str, object]) -> None:
        if self.log_to is None:
            return
        try:
            self.log_to.write(json.dumps({"time": round(time.time(), 3), **record}) + "\n")
            self.log_to.flush()
        except OSError as exc:
            # An unattended station keeps answering on a full disk; the log is what is lost, said once.
            if not self._log_failed:
                log.warning("the station log cannot be written (%s): the station goes on without it",
                            exc.strerror or exc)
            self._log_failed = True


def summarise(lines: Iterable[str]) -> dict[str, object]:
    """What people asked, from a station log: conversations, turns, intents by count, latency."""
    starts = turns = 0
    intents: dict[str, int] = {}
    latencies: list[float] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):  # RecursionError: brackets nested past Python's depth
            raise ValueError(f"line {number} is not JSON") from None
        if not isinstance(record, dict):
            raise ValueError(f"line {number} is no record")
        if record.get("event") == "start":
            starts += 1
        elif record.get("event") == "turn":
            turns += 1
            name = record.get("intent") or "not understood"
            latency = record.get("latency_ms")
            number_ok = isinstance(latency, int | float) and not isinstance(latency, bool) and math.isfinite(latency)
            # Printed as it is: a terminal's escapes or a lone surrogate are no intent's name.
            if not isinstance(name, str) or not name.isprintable() or not (latency is None or number_ok):
                raise ValueError(f"line {number}: a turn's intent or latency_ms is of the wrong kind")
            intents[name] = intents.get(name, 0) + 1
            if latency is not None:
                latencies.append(float(latency))
    latencies.sort()
    return {"conversations": starts, "turns": turns,
            "intents": dict(sorted(intents.items(), key=lambda kv: (-kv[1], kv[0]))),
            "median_latency_ms": latencies[len(latencies) // 2] if latencies else None}
