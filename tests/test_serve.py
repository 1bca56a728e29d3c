"""The Wyoming service, through a real ``voiceguide serve`` and the wyoming client library."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soxr
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncClient
from wyoming.event import Event
from wyoming.info import Describe, Info
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop, SynthesizeVoice

from voiceguide.app import App
from voiceguide.audio import Audio, PcmConverter, read_wav, write_wav
from voiceguide.config import Config
from voiceguide.guide import Guide
from voiceguide.recognize import Transcript as Heard
from voiceguide.serve import Expiring, ServeConfig, Service

from .conftest import REPO
from .speech import spoken
from .test_cli import run

# On one worker (pytest-xdist --dist loadgroup): one server for the module, not once a worker.
pytestmark = pytest.mark.xdist_group("serve")

SYMPTOMS = "what are the symptoms"
RED_FLAG = "I can't feel my legs and I've lost control of my bladder"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """``voiceguide serve`` on a free local port, its log collected line by line."""

    def __init__(self, *extra: str) -> None:
        self.port = free_port()
        self.uri = f"tcp://127.0.0.1:{self.port}"
        self.log: list[str] = []
        self._ready = threading.Event()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "voiceguide", "serve", "--uri", self.uri, *extra],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)})
        threading.Thread(target=self._collect, daemon=True).start()
        if not self._ready.wait(180):
            self.process.kill()
            raise AssertionError("the service did not start: " + "".join(self.log))

    def _collect(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)
            if "serving on" in line:
                self._ready.set()

    def lines_about(self, port: int) -> list[str]:
        """Log lines about the client whose own port is ``port`` (waiting a little for the first)."""
        waited = 0.0
        while not any(f"127.0.0.1:{port}:" in line for line in self.log) and waited < 10:
            time.sleep(0.1)
            waited += 0.1
        time.sleep(0.2)  # a second line would come at once
        return [line for line in self.log if f"127.0.0.1:{port}:" in line]

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(30)


@pytest.fixture(scope="module")
def server() -> Iterator[Served]:
    served = Served("--engine", "whisper")  # the default engine, named as a person would
    assert "speech recognition: Whisper" in "".join(served.log)
    yield served
    assert served.stop() == 0
    assert not [line for line in served.log if "Traceback" in line], "".join(served.log)


# --- a client, through the wyoming library -------------------------------------------------------


ANSWERS = ("handled", "not-handled")


async def _exchange(uri: str, events: list[Event], until: str | tuple[str, ...],
                    stop_on_error: bool = True) -> list[Event]:
    got: list[Event] = []
    ends = until if isinstance(until, tuple) else (until,)
    # The service may answer an early event with an error and close: the client's later writes,
    # and its goodbye on leaving, then meet a closed socket. What it sent is still read.
    with contextlib.suppress(ConnectionError):
        async with AsyncClient.from_uri(uri, connect_timeout=10, read_timeout=120) as client:
            for event in events:
                try:
                    await client.write_event(event)
                except ConnectionError:
                    break
            while (event := await client.read_event()) is not None:
                got.append(event)
                if event.type in ends or (stop_on_error and event.type == "error"):
                    break
    return got


def exchange(uri: str, *events: Event, until: str | tuple[str, ...], stop_on_error: bool = True) -> list[Event]:
    """Send ``events`` on a new connection; what comes back, up to an event of a type in ``until``
    (or an error)."""
    return asyncio.run(_exchange(uri, list(events), until, stop_on_error))


def handle(uri: str, text: str, conversation_id: str | None = None) -> Event:
    context = {"conversation_id": conversation_id} if conversation_id else None
    (reply,) = exchange(uri, Transcript(text, context=context).event(), until=ANSWERS)
    return reply


async def _handle_any(uri: str, text: str) -> Event:
    events = await _exchange(uri, [Transcript(text).event()], until=ANSWERS)
    return events[-1]


def audio_events(pcm: bytes, rate: int, width: int = 2, channels: int = 1, chunk: int = 1024) -> list[Event]:
    step = chunk * width * channels
    return [Transcribe(language="en").event(), AudioStart(rate, width, channels).event(),
            *(AudioChunk(rate, width, channels, pcm[i : i + step]).event() for i in range(0, len(pcm), step)),
            AudioStop().event()]


def transcribe(uri: str, pcm: bytes, rate: int, width: int = 2, channels: int = 1) -> list[Event]:
    return exchange(uri, *audio_events(pcm, rate, width, channels), until="transcript-stop")


def final_text(events: list[Event]) -> str:
    (final,) = [e for e in events if e.type == "transcript"]
    return str(final.data["text"])


def ask_json(*args: str) -> dict[str, object]:
    done = run("ask", "--json", *args)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[0])
    assert isinstance(result, dict)
    return result


@pytest.fixture(scope="module")
def question() -> Audio:
    """A spoken question, at the Piper voice's own rate (22050 Hz)."""
    return spoken(SYMPTOMS)


# --- describe ------------------------------------------------------------------------------------


def test_describe_offers_asr_tts_and_handle_in_english(server: Served, guide: Guide) -> None:
    (reply,) = exchange(server.uri, Describe().event(), until="info")
    info = Info.from_event(reply)
    (asr,), (tts,), (answers,) = info.asr, info.tts, info.handle
    assert asr.models[0].languages == ["en"] and asr.models[0].name == "whisper"  # auto: the best ranked installed
    assert asr.supports_transcript_streaming and tts.supports_synthesize_streaming
    assert [v.name for v in tts.voices] == ["en-us", "piper"] and all(v.languages == ["en"] for v in tts.voices)
    assert answers.models[0].languages == ["en"]
    assert guide.content.source.title in answers.attribution.name
    assert "not medical advice" in str(answers.description)


@pytest.mark.slow
def test_wyoming_bench_lists_asr_tts_and_handle(server: Served) -> None:
    bench = Path(sys.executable).parent / "wyoming-bench"
    done = subprocess.run([str(bench), "info", f"127.0.0.1:{server.port}"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "asr  voiceguide (transcript streaming)" in done.stdout
    assert "tts  voiceguide (synthesize streaming)" in done.stdout
    assert "other  handle" in done.stdout


# --- handle --------------------------------------------------------------------------------------


def test_handle_answers_as_chat_json_does_turn_by_turn(server: Served) -> None:
    turns = [SYMPTOMS, "more", "more", "next", "repeat", "where am I", "what's the weather tomorrow",
             "blorp fizzle wug", "go back", "what does it cost", "tell me about recovery", "goodbye"]
    chat = run("chat", "--json", stdin="\n".join(turns) + "\n")
    assert chat.returncode == 0, chat.stderr
    expected = [json.loads(line) for line in chat.stdout.splitlines()]
    assert len(expected) == len(turns)
    # Home Assistant opens a connection for every turn and names the conversation.
    replies = [handle(server.uri, text, "kitchen-1") for text in turns]
    for text, want, got in zip(turns, expected, replies, strict=True):
        assert got.data["text"] == want["answer"], text
        assert got.type == ("handled" if want["intent"] else "not-handled"), text
        assert got.data["context"] == {"conversation_id": "kitchen-1"}


def test_conversations_are_kept_apart_and_by_connection_when_unnamed(server: Served, guide: Guide) -> None:
    symptoms = guide.content.topic("symptoms")
    say = guide.content.replies.say
    handle(server.uri, SYMPTOMS, "room-a")
    assert handle(server.uri, "more", "room-b").data["text"] == say("no_topic_for_detail")
    assert handle(server.uri, "more", "room-a").data["text"] == symptoms.detail

    async def one_connection() -> list[Event]:
        async with AsyncClient.from_uri(server.uri, read_timeout=60) as client:
            replies = []
            for text in (SYMPTOMS, "more"):
                await client.write_event(Transcript(text).event())
                replies.append(await client.read_event())
            return [r for r in replies if r is not None]

    first, more = asyncio.run(one_connection())
    assert more.data["text"] == symptoms.detail
    named = first.data["context"]["conversation_id"]
    assert named and more.data["context"]["conversation_id"] == named
    # The id it was given carries the conversation to the next connection.
    assert handle(server.uri, "more", named).data["text"] == say("no_more_detail")


def test_red_flag_gets_the_urgent_message_exactly_as_ask(server: Served) -> None:
    reply = handle(server.uri, RED_FLAG, "red-flag")
    asked = ask_json(RED_FLAG)
    assert asked["intent"] == "safety.urgent"
    assert reply.type == "handled" and reply.data["text"] == asked["answer"]


def test_out_of_scope_is_not_handled_with_the_guides_reply(server: Served) -> None:
    reply = handle(server.uri, "can I drive to the shops next week")
    asked = ask_json("can I drive to the shops next week")
    assert reply.type == "not-handled" and reply.data["text"] == asked["answer"]
    assert "does not cover" in reply.data["text"]


# --- asr -----------------------------------------------------------------------------------------


@pytest.mark.slow  # about 8 s: the engine loads in a child too
def test_asr_hears_what_ask_audio_hears(server: Served, question: Audio, tmp_path: Path) -> None:
    wav = tmp_path / "question.wav"
    write_wav(wav, question)
    events = transcribe(server.uri, question.to_bytes(), question.rate)
    types = [e.type for e in events]
    assert types[0] == "transcript-start" and types[-2:] == ["transcript", "transcript-stop"]
    chunks = "".join(str(e.data["text"]) for e in events if e.type == "transcript-chunk")
    assert chunks == final_text(events)
    assert final_text(events) == ask_json("--audio", str(wav))["transcript"]
    assert handle(server.uri, final_text(events)).data["text"].startswith("Symptoms")


@pytest.mark.slow  # about 7 s: one transcription per format
@pytest.mark.parametrize(("rate", "width", "channels"), [(48000, 4, 2), (16000, 1, 1), (44100, 2, 2)])
def test_asr_converts_any_rate_width_and_channels(server: Served, question: Audio, guide: Guide,
                                                  rate: int, width: int, channels: int) -> None:
    samples = np.asarray(soxr.resample(question.samples, question.rate, rate), dtype=np.int16)
    if width == 1:
        data = ((samples.astype(np.int32) >> 8) + 128).astype(np.uint8)
    elif width == 4:
        data = samples.astype("<i4") << 16
    else:
        data = samples.astype("<i2")
    pcm = np.repeat(data, channels).tobytes()
    text = final_text(transcribe(server.uri, pcm, rate, width, channels))
    assert handle(server.uri, text).data["text"].startswith(guide.content.unit("symptoms").text)


def test_asr_sends_each_utterance_while_audio_still_arrives(server: Served, question: Audio) -> None:
    more = spoken("tell me more")
    pause = bytes(int(1.5 * question.rate) * 2)

    async def stream() -> tuple[list[Event], list[Event]]:
        async with AsyncClient.from_uri(server.uri, read_timeout=60) as client:
            for event in audio_events(question.to_bytes() + pause, question.rate)[:-1]:
                await client.write_event(event)
            early = []
            while (event := await client.read_event()) is not None:
                early.append(event)
                if event.type == "transcript-chunk":
                    break
            for event in audio_events(more.resampled(question.rate).to_bytes(), question.rate)[2:]:
                await client.write_event(event)
            late = []
            while (event := await client.read_event()) is not None:
                late.append(event)
                if event.type == "transcript-stop":
                    break
            return early, late

    early, late = asyncio.run(stream())
    assert [e.type for e in early] == ["transcript-start", "transcript-chunk"]
    assert [e.type for e in late] == ["transcript-chunk", "transcript", "transcript-stop"]
    assert early[-1].data["text"] + late[0].data["text"] == final_text(late)
    assert late[0].data["text"].startswith(" ")


# --- tts -----------------------------------------------------------------------------------------


def test_tts_speaks_in_the_guides_format(server: Served) -> None:
    text = "Recovery takes time. Your care team will guide you."
    events = exchange(server.uri, Synthesize(text).event(), until="audio-stop")
    start, *chunks, stop = events
    assert (start.type, stop.type) == ("audio-start", "audio-stop") and {e.type for e in chunks} == {"audio-chunk"}
    assert (start.data["rate"], start.data["width"], start.data["channels"]) == (22050, 2, 1)
    served = np.frombuffer(b"".join(e.payload or b"" for e in chunks), dtype="<i2")
    # Rendered in a fresh process and not compared sample by sample: libespeak-ng keeps
    # per-process state that other tests in a process can move. One text at one rate has one length.
    render = ("import sys; from voiceguide.dialogue import VoiceSettings; from voiceguide.speak import Speech, "
              "EspeakSynthesizer; s = VoiceSettings(); "
              "a, _ = Speech(EspeakSynthesizer('en-us')).render(sys.argv[1], s.rate, s.volume); print(len(a.samples))")
    expected = int(subprocess.run([sys.executable, "-c", render, text], capture_output=True, text=True,
                                  check=True, env={**os.environ, "PYTHONPATH": str(REPO)}).stdout)
    assert abs(len(served) - expected) <= expected // 50, "not the guide's speech rate"
    assert np.abs(served).max() > 1000, "the served speech is silent"
    assert all(len(e.payload or b"") <= 2048 for e in chunks)


def test_tts_natural_voice_by_name_and_an_unknown_voice(server: Served) -> None:
    events = exchange(server.uri, Synthesize("Hello.", voice=SynthesizeVoice(name="piper")).event(),
                      until="audio-stop")
    audio = Audio(np.frombuffer(b"".join(e.payload or b"" for e in events[1:-1]), dtype="<i2"),
                  int(events[0].data["rate"]))
    assert 0.3 < audio.duration < 3 and np.abs(audio.samples).max() > 1000
    (error,) = [e for e in exchange(server.uri, Synthesize("Hello.", voice=SynthesizeVoice(name="klingon")).event(),
                                    until="audio-stop") if e.type == "error"]
    assert "no voice called 'klingon'" in error.data["text"]


def test_tts_streaming_speaks_a_sentence_before_the_text_ends(server: Served) -> None:
    async def stream() -> tuple[list[Event], list[Event]]:
        async with AsyncClient.from_uri(server.uri, read_timeout=60) as client:
            await client.write_event(SynthesizeStart().event())
            await client.write_event(SynthesizeChunk("Recovery takes time. Your care").event())
            early = []
            while (event := await client.read_event()) is not None:
                early.append(event)
                if event.type == "audio-stop":
                    break
            await client.write_event(SynthesizeChunk(" team will guide you.").event())
            await client.write_event(Synthesize("Recovery takes time. Your care team will guide you.").event())
            await client.write_event(SynthesizeStop().event())
            late = []
            while (event := await client.read_event()) is not None:
                late.append(event)
                if event.type == "synthesize-stopped":
                    break
            return early, late

    early, late = asyncio.run(stream())
    assert early[0].type == "audio-start" and early[1].type == "audio-chunk"
    # One cycle per part, the backwards-compatible whole text ignored.
    assert [e.type for e in late if e.type != "audio-chunk"] == ["audio-start", "audio-stop", "synthesize-stopped"]


def test_tts_first_audio_long_before_a_long_text_is_spoken(server: Served, guide: Guide) -> None:
    text = " ".join(t.detail for t in guide.content.topics)

    async def timed() -> tuple[float, float]:
        async with AsyncClient.from_uri(server.uri, read_timeout=60) as client:
            sent = time.perf_counter()
            await client.write_event(Synthesize(text).event())
            first = 0.0
            while (event := await client.read_event()) is not None:
                if event.type == "audio-chunk" and not first:
                    first = time.perf_counter() - sent
                if event.type == "audio-stop":
                    return first, time.perf_counter() - sent
        raise AssertionError("no audio-stop")

    first, whole = asyncio.run(timed())
    assert 0 < first < whole / 4


@pytest.mark.slow
def test_wyoming_bench_tts_both_ways(server: Served) -> None:
    bench = Path(sys.executable).parent / "wyoming-bench"
    done = subprocess.run([str(bench), "tts", f"127.0.0.1:{server.port}", "--texts",
                           "Recovery takes time. Your care team will guide you.", "--rounds", "2", "--warmup", "0"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "[non_streaming] ok=2 fail=0" in done.stdout and "[streaming] ok=2 fail=0" in done.stdout


# --- bad clients ---------------------------------------------------------------------------------


def raw(server: Served, data: bytes) -> tuple[list[dict[str, object]], int]:
    """Send bytes on a plain socket; the event headers that come back before it closes, and our port."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        port = sock.getsockname()[1]
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    headers = []
    for line in received.split(b"\n"):
        with_json = line.strip()
        if with_json.startswith(b"{") and b'"type"' in with_json:
            headers.append(json.loads(with_json))
    return headers, port


def assert_still_serving(server: Served) -> None:
    (reply,) = exchange(server.uri, Describe().event(), until="info")
    assert reply.type == "info"


@pytest.mark.parametrize("garbage", [b"\x00\xff\xfe not an event \x01\n", b"[1, 2, 3]\n", b"[" * 30_000 + b"\n",
                                     bytes(range(256)) * 400, b'{"type": "audio-chunk", "data_length": -4}\n'])
def test_garbage_gets_an_error_and_a_closed_connection(server: Served, garbage: bytes) -> None:
    headers, port = raw(server, garbage)
    assert [h["type"] for h in headers] == ["error"]
    assert len(server.lines_about(port)) == 1
    assert_still_serving(server)


def test_oversize_payload_is_refused_before_it_is_read(server: Served) -> None:
    header = {"type": "audio-chunk", "data": {"rate": 16000, "width": 2, "channels": 1},
              "payload_length": 200_000_000}
    headers, port = raw(server, json.dumps(header).encode() + b"\n" + bytes(4096))
    assert len(headers) == 1 and headers[0]["type"] == "error"
    (line,) = server.lines_about(port)
    assert "payload of 200000000 bytes is over the limit" in line
    assert_still_serving(server)


def test_a_malformed_event_gets_an_error_and_the_connection_goes_on(server: Served) -> None:
    events = exchange(server.uri, Event("transcript", {"no_text": True}), Describe().event(), until="info")
    assert [e.type for e in events] == ["error"]
    events = exchange(server.uri, Event("audio-start", {"rate": 16000, "width": 3, "channels": 1}),
                      Describe().event(), until="info", stop_on_error=False)
    assert [e.type for e in events] == ["error", "info"] and "sample width" in events[0].data["text"]


def test_a_client_sending_malformed_events_gets_an_error_each_and_two_lines_in_the_log(server: Served) -> None:
    before = len(server.log)
    events = exchange(server.uri, *[Event("transcript", {"no_text": True})] * 50, Describe().event(), until="info",
                      stop_on_error=False)
    assert [e.type for e in events] == ["error"] * 50 + ["info"]
    deadline = time.monotonic() + 10
    while not any("events refused in all" in line for line in server.log[before:]) and time.monotonic() < deadline:
        time.sleep(0.05)
    # The server is shared: a line from an earlier test's client may land late, so only this
    # client's lines (its address is on the summary line) are counted.
    summary = [line for line in server.log[before:] if "events refused in all" in line]
    assert summary, server.log[before:]
    peer = summary[0].split(": ")[1]
    lines = [line for line in server.log[before:] if f": {peer}: " in line]
    assert len(lines) == 2 and "a malformed transcript event" in lines[0], lines
    assert "50 events refused in all" in lines[1]


@pytest.mark.slow  # about 9 s: the service loads, and the stream is let run to its limit
def test_a_stream_trickled_in_is_closed_and_frees_its_recogniser(question: Audio) -> None:
    """One worker: a client sending a little audio now and then would hold it from everyone."""
    from voiceguide.serve import Connection

    async def scene() -> tuple[Event | None, float, str]:
        service = Service(App(Config()), ServeConfig(workers=1, max_audio_s=2.5))
        server = await asyncio.start_server(lambda r, w: Connection(service, r, w).run(), "127.0.0.1", 0)
        uri = f"tcp://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        try:
            await service.open()
            started = time.monotonic()
            async with AsyncClient.from_uri(uri) as slow:
                await slow.write_event(AudioStart(16000, 2, 1).event())

                async def trickle() -> None:
                    with contextlib.suppress(ConnectionError):
                        while True:
                            await asyncio.sleep(0.2)
                            await slow.write_event(AudioChunk(16000, 2, 1, bytes(320)).event())

                sending = asyncio.create_task(trickle())
                event = await asyncio.wait_for(slow.read_event(), 10)
                while event is not None and event.type != "error":
                    event = await asyncio.wait_for(slow.read_event(), 10)
                waited = time.monotonic() - started
                sending.cancel()
            # The recogniser is free again: the next client is heard at once.
            events = await _exchange(uri, audio_events(question.to_bytes(), question.rate), until="transcript-stop")
            return event, waited, final_text(events)
        finally:
            server.close()
            service.close()

    error, waited, heard = asyncio.run(scene())
    assert error is not None and error.data["code"] == "too-slow", error
    assert 3.7 < waited < 8 and "symptoms" in heard


def test_a_language_other_than_english_is_refused(server: Served) -> None:
    # The refusal comes at once and the connection closes; audio sent after it could make the
    # client's kernel drop the refusal (a reset), so the test sends none.
    events = exchange(server.uri, Transcribe(language="de").event(), until="transcript-stop", stop_on_error=False)
    assert [e.type for e in events] == ["error"] and events[0].data["code"] == "unsupported-language"


def test_clients_that_leave_mid_audio_do_not_take_recognisers(server: Served, question: Audio) -> None:
    pcm = question.to_bytes()

    async def leave() -> int:
        async with AsyncClient.from_uri(server.uri) as client:
            for event in audio_events(pcm, question.rate)[:-1][: len(pcm) // 4096]:
                await client.write_event(event)
            return int(client._writer.get_extra_info("sockname")[1])  # type: ignore[union-attr]

    for _ in range(5):  # more than the pool's two recognisers
        port = asyncio.run(leave())
        (line,) = server.lines_about(port)
        assert "disconnected in the middle of a stream" in line
    events = transcribe(server.uri, pcm, question.rate)
    assert "symptoms" in final_text(events)


def test_audio_longer_than_the_limit_is_refused(server: Served) -> None:
    events = transcribe(server.uri, bytes(16000 * 2 * 61), 16000)
    assert events[-1].type == "error" and "over 60 seconds" in events[-1].data["text"]
    assert_still_serving(server)


@pytest.mark.slow
def test_sixteen_clients_at_once_are_all_answered(server: Served, guide: Guide) -> None:
    phrases = [SYMPTOMS, "how long is recovery", "what are the risks", "what is minimally invasive spine surgery"]
    spoken_phrases = [spoken(p) for p in phrases]

    async def client(index: int) -> tuple[str, str, int]:
        audio = spoken_phrases[index % len(phrases)]
        events = await _exchange(server.uri, audio_events(audio.to_bytes(), audio.rate), until="transcript-stop")
        heard = final_text(events)
        answer = await _handle_any(server.uri, heard)
        speech = await _exchange(server.uri, [Synthesize(str(answer.data["text"])).event()], until="audio-stop")
        return heard, str(answer.data["text"]), sum(len(e.payload or b"") for e in speech)

    async def all_at_once() -> list[tuple[str, str, int]]:
        return await asyncio.gather(*(client(i) for i in range(16)))

    results = asyncio.run(all_at_once())
    assert len(results) == 16 and all(answer and audio_bytes > 22050 * 2 for _, answer, audio_bytes in results)
    # Each phrase was heard and answered by four clients at once exactly as by one client alone: no stream
    # disturbed another's recogniser.
    for index, audio in enumerate(spoken_phrases):
        alone = final_text(transcribe(server.uri, audio.to_bytes(), audio.rate))
        assert {r[0] for r in results[index::4]} == {alone}
        assert {r[1] for r in results[index::4]} == {handle(server.uri, alone).data["text"]}


def test_nothing_said_is_logged_without_log_transcripts(server: Served) -> None:
    handle(server.uri, "tell me about recovery")
    assert not [line for line in server.log if re.search(r"symptoms|recovery", line, re.IGNORECASE)]


# --- timeouts, and words in the log when asked for ---------------------------------------------


@pytest.mark.realtime
@pytest.mark.slow
def test_idle_connections_close_and_idle_conversations_are_forgotten(guide: Guide) -> None:
    served = Served("--idle-timeout", "1", "--conversation-idle", "2", "--log-transcripts", "--workers", "1")
    try:
        with socket.create_connection(("127.0.0.1", served.port), timeout=30) as sock:
            port = sock.getsockname()[1]
            started = time.monotonic()
            assert sock.recv(100) == b""
            assert 0.9 < time.monotonic() - started < 10
        (line,) = served.lines_about(port)
        assert "nothing received for 1 s" in line
        handle(served.uri, SYMPTOMS, "forgetful")
        time.sleep(2.5)
        assert handle(served.uri, "more", "forgetful").data["text"] == guide.content.replies.say("no_topic_for_detail")
        assert [line for line in served.log if "asked 'what are the symptoms'" in line]
    finally:
        assert served.stop() == 0


def test_a_bad_address_or_a_busy_port_is_one_clear_line() -> None:
    done = run("serve", "--uri", "http://127.0.0.1:10900")
    assert done.returncode == 2
    assert done.stderr == "voiceguide serve: http://127.0.0.1:10900: use tcp://HOST:PORT or unix:///PATH\n"
    for uri in ("tcp://127.0.0.1:0", "tcp://127.0.0.1", "tcp://127.0.0.1:10900/asr", "tcp://me:pw@127.0.0.1:10900",
                "tcp://:pw@127.0.0.1:10900", "tcp://127.0.0.1:99999"):
        done = run("serve", "--uri", uri)
        assert done.returncode == 2 and done.stderr == (f"voiceguide serve: {uri}: a tcp address is tcp://HOST:PORT "
                                                        "with a port from 1 to 65535, e.g. tcp://127.0.0.1:10900\n")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run("serve", "--uri", f"tcp://127.0.0.1:{port}")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "cannot listen" in done.stderr


def test_a_unix_path_that_is_a_file_or_a_live_socket_is_left_alone(tmp_path: Path) -> None:
    """The server's start removes what is at its path: a file there is refused, and so is a socket
    another server answers on; a socket no one answers on (a killed server's) may be taken."""
    from voiceguide.serve import check_socket_path

    kept = tmp_path / "notes.txt"
    kept.write_text("mine")
    done = run("serve", "--uri", f"unix://{kept}")
    assert (done.returncode, done.stderr) == (
        2, f"voiceguide serve: {kept}: is not a socket; name a path that does not exist yet\n")
    assert kept.read_text() == "mine"
    live = tmp_path / "live.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(live))
        server.listen()
        done = run("serve", "--uri", f"unix://{live}")
        assert (done.returncode, done.stderr) == (2, f"voiceguide serve: {live}: another server is listening there\n")
    check_socket_path(str(live))  # closed: left behind, and no error
    check_socket_path(str(tmp_path / "new.sock"))
    # Two slashes: the server would bind the path without its first part ("/tmp/..." for "unix://x/tmp/...").
    done = run("serve", "--uri", f"unix://x{kept}")
    assert (done.returncode, done.stderr) == (
        2, f"voiceguide serve: unix://x{kept}: a unix address is unix:///FULL/PATH (three slashes) or unix:NAME\n")
    assert kept.read_text() == "mine"


def test_unix_socket(tmp_path: Path) -> None:
    path = tmp_path / "guide.sock"
    served = Served("--uri", f"unix://{path}", "--workers", "1")  # the later --uri wins over the TCP port
    try:
        (reply,) = exchange(f"unix://{path}", Describe().event(), until="info")
        assert Info.from_event(reply).handle
    finally:
        assert served.stop() == 0


# --- the parts, in process -----------------------------------------------------------------------


def test_streamed_conversion_matches_reading_a_whole_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    left = (np.sin(np.arange(44100) * 2 * np.pi * 440 / 44100) * 12000).astype(np.int16)
    right = rng.integers(-3000, 3000, 44100).astype(np.int16)
    stereo32 = (np.stack([left, right], axis=1).astype("<i4") << 16).tobytes()
    converter = PcmConverter(44100, 4, 2, 16000)
    pieces = [converter.convert(stereo32[i : i + 1001]) for i in range(0, len(stereo32), 1001)]
    streamed = np.frombuffer(b"".join(pieces) + converter.convert(b"", last=True), dtype="<i2")
    path = tmp_path / "stereo.wav"
    import wave

    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(4)
        wav.setframerate(44100)
        wav.writeframes(stereo32)
    whole = read_wav(path, 16000).samples
    assert len(streamed) == len(whole) == 16000
    # Files are read through libsndfile as floats and rounded; the stream is mixed in integers: a few
    # steps of 65,536 apart at most, far below anything a recogniser hears.
    assert np.abs(streamed.astype(np.int32) - whole.astype(np.int32)).max() <= 4


def test_expiring_forgets_the_idle_and_the_oldest() -> None:
    now = [0.0]
    kept: Expiring[str] = Expiring(10.0, 2, clock=lambda: now[0])
    kept.put("a", "first")
    now[0] = 5
    kept.put("b", "second")
    now[0] = 12
    assert kept.get("a") is None and kept.get("b") == "second"
    kept.put("c", "third")
    kept.put("d", "fourth")
    assert len(kept) == 2 and kept.get("b") is None and kept.get("d") == "fourth"


def test_handle_asks_to_come_closer_when_what_the_service_just_heard_was_over_noise() -> None:
    service = Service(App(Config()), ServeConfig())
    try:
        replies = service.app.guide.content.replies
        assert service.respond("purple elephants", "typed").text == replies.say("not_understood")
        service.heard.put("purple elephants", Heard("purple elephants", 0.9, noisy=True))
        assert service.respond("purple elephants", "spoken").text == replies.say("not_understood_noisy")
    finally:
        service.close()


def test_handle_weighs_the_other_readings_of_what_the_service_just_heard() -> None:
    # The general model hears "goodbye" as "the bike"; the command pass hears it right.
    service = Service(App(Config()), ServeConfig())
    try:
        assert service.respond("the bike", "typed").intent is None
        service.heard.put("the bike", Heard("the bike", 1.0, command="goodbye"))
        assert service.respond("the bike", "spoken").intent == "control.goodbye"
    finally:
        service.close()
