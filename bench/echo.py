"""False barge-ins through the sound server: the guide's own voice leaking into its microphone.

Usage: python bench/echo.py [--answers 50] [--echo-db -12] [--echo-cancel] [--in-process]

A PulseAudio server with two null sinks stands for the room: the guide plays to "speaker" and records
"mic"; a loopback from the speaker's monitor into the mic, ``--echo-db`` below what the guide plays and
60 ms late, is the loudspeaker heard by the microphone. The guide speaks ``--answers`` of its answers
(topics short and detail, help, topic list, safety texts) through real sounddevice streams while its
listener runs; nobody else speaks, so every utterance it would act on is a false barge-in. Each
utterance heard is judged two ways: by the rule used while the guide speaks (only "stop" or "pause" cut
in, converse.cuts_in) and by a lax rule (anything understood). With ``--echo-cancel`` the guide
records through PulseAudio's echo canceller (soundserver.EchoCanceller, WebRTC).

Every utterance is fed as the session feeds one that begins while the guide speaks (Listener.feed's
commands_only: the keyword spotter listens, Whisper decodes the first words). One the spotter or the
command pass alone heard as "stop" or "pause" is acted on at once, as the session does while the guide
speaks (converse.cuts_in_at_once), and counts as a false barge-in under both rules.

It also counts output underruns, each an audible gap in the guide's voice: the ALSA library's
"underrun occurred" lines on stderr, and the underflow flags PortAudio reports to the speaker's writer.
The listener decodes in a child process as listen and station do (isolate.ProcessRecognizer);
``--in-process`` decodes in this process instead, for comparison.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.sound import Echo, ensure_pulse  # noqa: E402
from voiceguide.app import App, Choices  # noqa: E402
from voiceguide.config import Config  # noqa: E402
from voiceguide.converse import cuts_in, cuts_in_at_once  # noqa: E402
from voiceguide.devices import DevicePlayer, microphone_frames  # noqa: E402
from voiceguide.hearing import CaptureClock, Utterance  # noqa: E402
from voiceguide.soundserver import EchoCanceller  # noqa: E402
from voiceguide.understand import understand_heard  # noqa: E402


class StderrCounter:
    """Counts lines the C libraries write to stderr that contain ``needle``, passing them on."""

    def __init__(self, needle: bytes) -> None:
        self.needle = needle
        self.count = 0
        self._saved = os.dup(2)
        read, write = os.pipe()
        os.dup2(write, 2)
        os.close(write)
        self._thread = threading.Thread(target=self._pump, args=(read,), daemon=True)
        self._thread.start()

    def _pump(self, read: int) -> None:
        with os.fdopen(read, "rb") as pipe:
            for line in pipe:
                self.count += self.needle in line
                os.write(self._saved, line)

    def close(self) -> None:
        os.dup2(self._saved, 2)


def answers(guide, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    content = guide.content
    texts = [t.short for t in content.topics] + [t.detail for t in content.topics]
    texts += [content.urgent.text, content.disclaimer.text, *content.replies.texts.values()]
    return [t for t in texts if "{" not in t][:count]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=50)
    parser.add_argument("--echo-db", type=float, default=-12.0)
    parser.add_argument("--echo-cancel", action="store_true")
    parser.add_argument("--in-process", action="store_true", help="decode in this process (as before)")
    parser.add_argument("--engine", default="pocketsphinx")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    ensure_pulse()
    app = App(Config(), Choices(engine=args.engine))
    guide, speech = app.guide, app.speech
    recognizer, which = app.recognizer(isolated=not args.in_process)
    print(which, "(in this process)" if args.in_process else "(in a child process)")
    underruns = StderrCounter(b"underrun occurred")
    echo = Echo(level_db=args.echo_db)
    canceller = EchoCanceller() if args.echo_cancel else None
    heard: list[tuple[str, bool, bool]] = []
    running = True

    def at_once(utterance: Utterance) -> bool:
        return cuts_in_at_once(guide.understander, utterance)

    def listen() -> None:
        capture = CaptureClock()  # as listen and station time speech
        listener = app.listener(recognizer, capture)
        for frame in microphone_frames("pulse", clock=capture):
            if not running:
                return
            # Every utterance is over the guide: fed as Session.hear feeds it while the guide speaks
            # (commands_only), decided as Session.early decides, on the keyword spotter or the command
            # pass alone when that heard "stop" or "pause", else on the engine's words.
            utterance = listener.feed(frame, early=at_once, commands_only=True)
            if utterance is not None and utterance.early:
                heard.append((utterance.transcript.command, True, True))
                print(f"  acted on without the words ({utterance.reason}): {utterance.transcript.command!r}")
            elif utterance is not None and utterance.transcript.text:
                t = utterance.transcript
                got = understand_heard(guide.understander, t.text, t.command, t.alternatives)
                heard.append((t.text, cuts_in(got), got.understood))
                if got.understood:
                    print(f"  acted on under the lax rule: {t.text!r} -> {got.intent and got.intent.name}")

    try:
        with DevicePlayer(speech.synthesizer.sample_rate, "pulse") as player:
            player.begin()
            threading.Thread(target=listen, daemon=True).start()
            time.sleep(1.0)
            texts = answers(guide, args.answers)
            for text in texts:
                playback = player.start(speech.sentences(text))
                while not playback.wait(0.5):
                    player.keep_alive()  # as a running conversation does once a second
                time.sleep(0.7)
            running = False
        flagged = player.underruns
    finally:
        underruns.close()
        if canceller is not None:
            canceller.close()
        echo.close()
    strict = sum(s for _, s, _ in heard)
    lax = sum(u for _, _, u in heard)
    print(f"echo at {args.echo_db:g} dB through a PulseAudio loopback, echo canceller "
          f"{'on (webrtc)' if canceller else 'off'}: {len(texts)} answers, {len(heard)} utterances heard; "
          f"false barge-ins: {strict} with the stop-or-pause rule, {lax} if anything understood cut in; "
          f"output underruns: {underruns.count} reported by ALSA, {flagged} flagged to the writer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
