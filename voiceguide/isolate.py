"""A recogniser in a child process, so that decoding never starves the speaker.

The speaker is fed by Python (devices.DevicePlayer's writer): it needs the
interpreter lock before its queue runs dry. A decoder working in the same
process holds that lock for long stretches (PocketSphinx's search, Whisper's
tokenizer), the speaker misses its deadline and the guide's voice stutters:
bench/echo.py, 20 answers with the guide's echo at -6 dB on a machine busy
with other work (load about 9), counted 3,889 ALSA underruns with the listener
decoding in process and 107 with the decoder in a child process (one run
each, when the speaker was a callback with 30 ms to spare).
:class:`ProcessRecognizer` keeps the Recognizer interface, so the listener
does not know the difference; frames go down a pipe without waiting.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
from collections.abc import Callable
from typing import Any, cast

from .recognize import Recognizer, RecognizerError, Spot, Transcript

log = logging.getLogger(__name__)

Factory = Callable[[], tuple[Recognizer, str]]
"""Opens the real recogniser and says which it is. Must pickle (a module-level function or a
functools.partial of one): it is sent to the child process."""

LOAD_TIMEOUT_S = 120.0
"""How long the child may take to load its engine (a large model on a slow disk)."""
CHILD_NICENESS = 5
"""How much lower the decoder runs than the process that plays the guide's voice."""
FINISH_TIMEOUT_S = 60.0
"""How long one utterance may take to decode before the child is taken for hung."""


def _serve(factory: Factory, conn: multiprocessing.connection.Connection) -> None:
    """The child: open the engine, then decode what the parent sends until it hangs up."""
    # Below the speaker's process in the scheduler's eyes too: on a busy machine a late
    # transcript is a pause, a late audio block is a stutter.
    os.nice(CHILD_NICENESS)
    try:
        recognizer, which = factory()
    except Exception as exc:  # the parent reports it in one line
        conn.send(("error", str(exc)))
        return
    # Whether the engine hears commands sooner than its words: when not, command() needs no round trip.
    sooner = type(recognizer).command is not Recognizer.command
    conn.send(("ready", (recognizer.engine, which, sooner)))
    utterance = 0
    reported: Spot | None = None
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            recognizer.close()
            return
        kind = message[0]
        try:
            if kind == "accept":
                recognizer.accept(message[1])
                # What the spotter heard goes up unasked, at once, whenever it changes (a later phrase,
                # or one found to begin a longer word): the parent reads it between frames.
                if (spot := recognizer.spotted()) != reported:
                    conn.send(("spotted", (utterance, spot)))
                    reported = spot
            elif kind == "silence":
                recognizer.silence(message[1])
            elif kind == "start":
                recognizer.start()
                utterance, reported = utterance + 1, None
            elif kind == "commands_only":
                recognizer.commands_only()
            elif kind == "finish":
                conn.send(("transcript", recognizer.finish()))
            elif kind == "drop":
                recognizer.drop()
            elif kind == "call":
                conn.send(("result", getattr(recognizer, message[1])(*message[2])))
        except Exception as exc:
            log.exception("the recogniser failed")
            if kind in ("finish", "call"):
                conn.send(("error", str(exc)))


class ProcessRecognizer(Recognizer):
    """Decodes with the recogniser ``factory`` opens, in a child process."""

    def __init__(self, factory: Factory) -> None:
        context = multiprocessing.get_context("spawn")  # no copy of this process's threads or streams
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(factory, child), daemon=True,
                                        name="voiceguide-recognizer")
        self._process.start()
        child.close()
        kind, value = self._receive(LOAD_TIMEOUT_S)
        if kind != "ready":
            self.close()
            raise RecognizerError(str(value))
        self.engine, self.which, self._sooner = value
        self._utterance = 0
        self._spot: Spot | None = None

    def _receive(self, timeout: float) -> tuple[str, Any]:
        while True:
            if not self._conn.poll(timeout):
                raise RecognizerError(f"the speech recogniser did not answer within {timeout:g} seconds")
            try:
                kind, value = self._conn.recv()
            except (EOFError, OSError):
                raise RecognizerError("the speech recogniser process ended") from None
            if kind != "spotted":
                return kind, value
            self._spotted(value)

    def _spotted(self, value: tuple[int, Spot | None]) -> None:
        utterance, spot = value
        if utterance == self._utterance:  # not one of an utterance already over
            self._spot = spot

    def _send(self, *message: object) -> None:
        try:
            self._conn.send(message)
        except (BrokenPipeError, OSError):
            raise RecognizerError("the speech recogniser process ended") from None

    def start(self) -> None:
        self._send("start")
        self._utterance += 1
        self._spot = None

    def commands_only(self) -> None:
        self._send("commands_only")

    def spotted(self) -> Spot | None:
        """What the child has reported spotted so far; never waits for it."""
        try:
            while self._conn.poll(0):
                kind, value = self._conn.recv()
                if kind == "spotted":
                    self._spotted(value)
                else:  # nothing else comes unasked
                    log.warning("the speech recogniser sent %r unasked", kind)
        except (EOFError, OSError):
            raise RecognizerError("the speech recogniser process ended") from None
        return self._spot

    def accept(self, pcm: bytes) -> None:
        self._send("accept", pcm)

    def silence(self, started: bool) -> None:
        self._send("silence", started)

    def finish(self) -> Transcript:
        self._send("finish")
        kind, value = self._receive(FINISH_TIMEOUT_S)
        if kind != "transcript":
            raise RecognizerError(f"the speech recogniser failed: {value}")
        transcript: Transcript = value
        return transcript

    def command(self) -> str | None:
        return cast("str | None", self.call("command")) if self._sooner else None

    def ready(self) -> Transcript | None:
        return cast("Transcript | None", self.call("ready")) if self._sooner else None

    def drop(self) -> None:
        self._send("drop")

    def call(self, method: str, *args: object) -> object:
        """Call another method of the real recogniser (an engine's own extra) and return its result."""
        self._send("call", method, args)
        kind, value = self._receive(FINISH_TIMEOUT_S)
        if kind != "result":
            raise RecognizerError(f"the speech recogniser failed: {value}")
        return value

    def close(self) -> None:
        """Stop the child process."""
        self._conn.close()
        self._process.join(timeout=2)
        if self._process.is_alive():
            self._process.terminate()
