"""Conversation benchmark: answer latency, false barge-ins from the guide's own voice, a station soak.

Usage: python bench/conversation.py [--turns N] [--soak N]

- Latency: spoken test phrasings (the Piper renders of bench/speech_in.py, made first if missing) go
  through the endpointer and PocketSphinx into a Session; the figure is the end-of-utterance decision
  to the first sample of the answer leaving for the speaker (the session's output stream).
- False barge-ins: every answer the guide can give (topics short and detail, help, topic list, safety
  texts), spoken by the default voice and fed back as echo at -12 dB into the listener while the guide
  speaks; a barge-in is any utterance the session would act on while speaking (converse.cuts_in).
- Soak: N station interactions (wake, question, idle goodbye) fed faster than real time, with the
  answers played into a sink that drains instantly; peak memory growth between the first tenth and the
  end, and errors.
"""

from __future__ import annotations

import argparse
import logging
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from speech_in import cache_path  # noqa: E402
from text_intents import SETS, load_phrasings  # noqa: E402

from voiceguide.app import listening_vocabulary  # noqa: E402
from voiceguide.audio import concat, read_wav, silence  # noqa: E402
from voiceguide.converse import ECHO_TAIL_S, Session, Station, StationConfig, cuts_in  # noqa: E402
from voiceguide.dialogue import Conversation  # noqa: E402
from voiceguide.guide import load_guide  # noqa: E402
from voiceguide.hearing import FRAME_BYTES, EndpointConfig, Listener, frames_of  # noqa: E402
from voiceguide.playback import TimelinePlayer  # noqa: E402
from voiceguide.pocketsphinx_engine import PocketSphinxRecognizer  # noqa: E402
from voiceguide.recognize import SAMPLE_RATE  # noqa: E402
from voiceguide.speak import EspeakSynthesizer, Speech  # noqa: E402
from voiceguide.understand import understand_heard  # noqa: E402


def DrainPlayer(rate: int) -> TimelinePlayer:
    """An output that takes blocks as fast as they come: for feeding faster than real time."""
    return TimelinePlayer(rate, realtime=False)


def pcm16k(path: Path) -> bytes:
    audio = read_wav(path, SAMPLE_RATE)
    return concat([silence(0.4, SAMPLE_RATE), audio, silence(0.8, SAMPLE_RATE)], SAMPLE_RATE).to_bytes()


def latency(guide, recognizer, speech, turns: int) -> list[float]:  # type: ignore[no-untyped-def]
    phrasings = [t for t, e in load_phrasings(SETS["test"]) if e is not None][:turns]
    subprocess.run([sys.executable, str(HERE / "speech_in.py"), "--render-texts", str(SETS["test"]),
                    "--voices", "piper"], check=True)
    out = []
    with DrainPlayer(speech.synthesizer.sample_rate) as player:
        player.begin()
        session = Session(Conversation(guide), Listener(recognizer), speech, player)
        for text in phrasings:
            for utterance in session.listener.utterances(frames_of(pcm16k(cache_path(text, "piper")))):
                turn = session.turn(utterance)
                if turn is not None and turn.latency_ms is not None:
                    out.append(turn.latency_ms)
            if session.playing is not None:
                session.playing.stop()
            # The next person speaks after the echo has died away (speech starts are reckoned in real time).
            time.sleep(ECHO_TAIL_S + 0.2)
    return out


def false_barge_ins(guide, recognizer, speech) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    content = guide.content
    answers = [t.short for t in content.topics] + [t.detail for t in content.topics]
    answers += [content.urgent.text, content.disclaimer.text, *content.replies.texts.values()]
    answers = [a for a in answers if "{" not in a][:50]
    listener = Listener(recognizer)
    acted = 0
    for text in answers:
        audio, _ = speech.render(text)
        echo = audio.resampled(SAMPLE_RATE).scaled(10 ** (-12 / 20))
        for utterance in listener.utterances(frames_of(concat([echo, silence(0.8, SAMPLE_RATE)],
                                                              SAMPLE_RATE).to_bytes())):
            t = utterance.transcript
            got = understand_heard(guide.understander, t.text, t.command, t.alternatives)
            if cuts_in(got):
                acted += 1
                print(f"  barge-in by echo: {t.text!r} -> {got.intent.name}")
    return acted, len(answers)


def soak(guide, recognizer, speech, interactions: int) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    errors = 0

    class Count(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            nonlocal errors
            errors += record.levelno >= logging.ERROR

    logging.getLogger("voiceguide").addHandler(Count())
    wake = pcm16k(cache_path("hello guide", "piper"))
    question = pcm16k(cache_path("how long is recovery", "piper"))
    quiet = bytes(FRAME_BYTES) * 150  # 1.5 s: past the idle limit below
    listener = Listener(recognizer)
    rss: list[float] = []
    with DrainPlayer(speech.synthesizer.sample_rate) as player:
        player.begin()
        def make_session() -> Session:
            session = Session(Conversation(guide), listener, speech, player)
            # Fed faster than real time, a question begins "sooner" after the guide than it could:
            # the soak measures memory and errors, not the echo rule.
            session.echo_tail_s = -0.5
            return session

        station = Station(make_session, StationConfig(idle_s=1.0))
        for index in range(interactions):
            for chunk in (wake, question, quiet):
                for frame in frames_of(chunk):
                    station.feed(frame)
                while station.speaking:
                    time.sleep(0.001)
            if index == interactions // 10 or index == interactions - 1:
                rss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return rss[0], rss[-1], errors + (interactions - station.conversations)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=60)
    parser.add_argument("--soak", type=int, default=1000)
    args = parser.parse_args()
    guide = load_guide()
    recognizer = PocketSphinxRecognizer(listening_vocabulary(guide, "hello guide"))
    speech = Speech(EspeakSynthesizer())
    from voiceguide.audio import write_wav
    from voiceguide.speak import PiperSynthesizer

    for text in ("hello guide", "how long is recovery"):
        path = cache_path(text, "piper")
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_wav(path, Speech(PiperSynthesizer()).render(text)[0])
    trailing = EndpointConfig().trailing_silence_ms
    lat = sorted(latency(guide, recognizer, speech, args.turns))
    print(f"end of utterance -> first answer sample: median {statistics.median(lat):.0f} ms, "
          f"p95 {lat[max(0, round(0.95 * len(lat)) - 1)]:.0f} ms over {len(lat)} turns "
          f"(trailing silence {trailing} ms)")
    acted, answers = false_barge_ins(guide, recognizer, speech)
    print(f"false barge-ins from the guide's own voice as echo at -12 dB: {acted} in {answers} answers")
    first, last, errors = soak(guide, recognizer, speech, args.soak)
    print(f"soak: {args.soak} station interactions, peak memory {first:.0f} MB after a tenth, {last:.0f} MB "
          f"at the end ({(last - first) / first:+.1%}), errors {errors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
