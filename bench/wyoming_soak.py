"""Wyoming soak: handle turns and transcriptions against one ``voiceguide serve``, over reused and fresh connections.

Usage: python bench/wyoming_soak.py [--turns 1000] [--transcriptions 200] [--clients 4]

- Handle: conversations of ten turns (a question, more, next, repeat, another question, where am I, a
  question out of scope, previous, more, goodbye); the questions are the dev writers' phrasings. Half
  the conversations keep one connection (the service keys them by the connection), half open a new
  connection for every turn and name the conversation, as Home Assistant does. Every reply is checked
  against the same conversation held in this process: its text, and handled or not.
- Transcription: twenty dev phrasings spoken by the Piper voice, sent in turn; half over connections
  that carry ten transcriptions each, half one a connection.
- Clients: the work is shuffled and shared by --clients clients at once.

Reports the service's peak resident memory after the first tenth of the work and at the end, errors
(error events, failed connections, replies that differ), and round-trip times.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
import wave
from collections.abc import Awaitable, Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from served import CACHE, Served, render, writer_phrasings, writer_sets  # noqa: E402
from wyoming.asr import Transcribe, Transcript  # noqa: E402
from wyoming.audio import AudioChunk, AudioStart, AudioStop  # noqa: E402
from wyoming.client import AsyncClient  # noqa: E402
from wyoming.event import Event  # noqa: E402

from voiceguide.app import App  # noqa: E402
from voiceguide.config import Config  # noqa: E402

TURNS = ["{0}", "more", "next", "repeat", "{1}", "where am I", "can I drive to the shops next week", "previous",
         "more", "goodbye"]


class Tally:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.handle_ms: list[float] = []
        self.asr_ms: list[float] = []
        self.heard: dict[Path, set[str]] = {}
        self.done = 0


async def read_until(client: AsyncClient, *types: str) -> Event:
    while (event := await client.read_event()) is not None:
        if event.type in (*types, "error"):
            return event
    raise ConnectionError("the service closed the connection")


async def conversation(uri: str, questions: tuple[str, str], reuse: bool, app: App, tally: Tally) -> None:
    mirror = app.conversation(home=False)
    name = None if reuse else uuid.uuid4().hex
    client = AsyncClient.from_uri(uri, connect_timeout=30, read_timeout=120) if reuse else None
    if client is not None:
        await client.connect()
    try:
        for turn in TURNS:
            text = turn.format(*questions)
            want = mirror.respond(text)
            started = time.perf_counter()
            one = client or AsyncClient.from_uri(uri, connect_timeout=30, read_timeout=120)
            if client is None:
                await one.connect()
            try:
                context = None if reuse else {"conversation_id": name}
                await one.write_event(Transcript(text, context=context).event())
                got = await read_until(one, "handled", "not-handled")
            finally:
                if client is None:
                    await one.disconnect()
            tally.handle_ms.append((time.perf_counter() - started) * 1000)
            kind = "handled" if want.intent else "not-handled"
            if got.type != kind or got.data.get("text") != want.text:
                tally.errors.append(f"turn {text!r}: got {got.type} {str(got.data.get('text'))[:60]!r}")
            # On a kept connection no name is sent: the service names the conversation after the connection.
            given = got.data.get("context", {}).get("conversation_id")
            if not given or (name is not None and given != name):
                tally.errors.append(f"turn {text!r}: conversation {given!r}, not {name!r}")
            name = name or given
    finally:
        if client is not None:
            await client.disconnect()


def pcm_of(path: Path) -> tuple[bytes, int]:
    with wave.open(str(path), "rb") as wav:
        return wav.readframes(wav.getnframes()), wav.getframerate()


async def transcriptions(uri: str, files: list[Path], reuse: bool, tally: Tally) -> None:
    async def one(client: AsyncClient, path: Path) -> None:
        pcm, rate = pcm_of(path)
        started = time.perf_counter()
        await client.write_event(Transcribe(language="en").event())
        await client.write_event(AudioStart(rate, 2, 1).event())
        for offset in range(0, len(pcm), 2048):
            await client.write_event(AudioChunk(rate, 2, 1, pcm[offset : offset + 2048]).event())
        await client.write_event(AudioStop().event())
        got = await read_until(client, "transcript")
        await read_until(client, "transcript-stop")
        tally.asr_ms.append((time.perf_counter() - started) * 1000)
        if got.type != "transcript" or not got.data.get("text"):
            tally.errors.append(f"transcription of {path.name}: got {got.type} {got.data}")
        else:
            tally.heard.setdefault(path, set()).add(str(got.data["text"]))

    if reuse:
        async with AsyncClient.from_uri(uri, connect_timeout=30, read_timeout=120) as client:
            for path in files:
                await one(client, path)
    else:
        for path in files:
            async with AsyncClient.from_uri(uri, connect_timeout=30, read_timeout=120) as client:
                await one(client, path)


async def soak(served: Served, jobs: list[Callable[[], Awaitable[None]]], weights: list[int], clients: int,
               tally: Tally) -> tuple[float, float]:
    queue = list(zip(jobs, weights, strict=True))
    total = sum(weights)
    tenth: list[float] = []

    async def client() -> None:
        while queue:
            job, weight = queue.pop()
            try:
                await job()
            except Exception as exc:  # a failed connection is an error of the soak, not the end of it
                tally.errors.append(f"{type(exc).__name__}: {exc}")
            tally.done += weight
            if not tenth and tally.done >= total / 10:
                tenth.append(served.memory_mb()[1])

    await asyncio.gather(*(client() for _ in range(clients)))
    return tenth[0], served.memory_mb()[1]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--transcriptions", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    dev = [p for w in writer_sets()["understanding"]["dev"] for p in writer_phrasings(w)]
    rng = random.Random(5)
    files = render(rng.sample(dev, 20), CACHE / "wyoming_soak")
    app = App(Config())
    app.guide  # noqa: B018 - loaded before the clock starts
    served = Served()
    tally = Tally()
    uri = served.uri
    jobs: list[Callable[[], Awaitable[None]]] = []
    weights: list[int] = []
    for index in range(args.turns // len(TURNS)):
        questions = (rng.choice(dev), rng.choice(dev))
        jobs.append(lambda q=questions, r=index % 2 == 0: conversation(uri, q, r, app, tally))
        weights.append(len(TURNS))
    for index in range(args.transcriptions // 10):
        batch = [files[(index * 10 + k) % len(files)] for k in range(10)]
        jobs.append(lambda b=batch, r=index % 2 == 0: transcriptions(uri, b, r, tally))
        weights.append(10)
    order = list(range(len(jobs)))
    rng.shuffle(order)
    try:
        started = time.perf_counter()
        first, last = asyncio.run(soak(served, [jobs[i] for i in order], [weights[i] for i in order], args.clients,
                                       tally))
        took = time.perf_counter() - started
    finally:
        code = served.stop()
    warnings = [line for line in served.log if "WARNING" in line or "ERROR" in line or "Traceback" in line]
    varied = sum(len(heard) > 1 for heard in tally.heard.values())
    print(f"{len(tally.handle_ms)} handle turns and {len(tally.asr_ms)} transcriptions by {args.clients} clients "
          f"in {took:.0f} s; service exit status {code}")
    print(f"peak memory of the service: {first:.0f} MB after the first tenth, {last:.0f} MB at the end "
          f"({(last - first) / first:+.1%})")
    print(f"errors: {len(tally.errors)}; service log warnings: {len(warnings)}")
    for error in tally.errors[:10]:
        print(f"  {error}")
    print(f"handle round trip: median {statistics.median(tally.handle_ms):.1f} ms, p95 {p95(tally.handle_ms):.1f} ms; "
          f"transcription round trip: median {statistics.median(tally.asr_ms):.0f} ms, p95 {p95(tally.asr_ms):.0f} ms")
    print(f"files heard differently on different passes: {varied} of {len(tally.heard)} (the recogniser adapts to "
          f"what it heard before)")
    return 1 if tally.errors or warnings or code else 0


if __name__ == "__main__":
    sys.exit(main())
