"""Wyoming speech in: wyoming-bench stt against ``voiceguide serve``, and ``ask --audio`` on the same files.

Usage: python bench/wyoming_stt.py [--set test|dev] [--limit N] [--rounds N] [--no-tts]

For each writer of the understanding set (bench/writers/sets.yaml; test by default, which is only run
to report), every phrasing is spoken by the Piper voice (random variation off) into a wyoming-bench
corpus, bench/.cache/wyoming_stt/WRITER/NNN.wav beside NNN.txt. Then, against one ``voiceguide serve``
on a free local port:

- ``wyoming-bench stt --corpus DIR`` (both modes: one transcript, and transcript chunks): its word
  error rate (lower case, punctuation stripped, pooled over the writer's files) and its latency
  (request sent to the final transcript, median and p95);
- ``voiceguide ask --audio --json`` on the same files, scored by wyoming-bench's own scoring code; its
  time per file is the run's time less its start-up (measured on one file), divided by the files.

wyoming-bench adds 0.5 s of silence after each recording; ``ask --audio`` adds 1 s after a file. With
--tts (the default), wyoming-bench tts also speaks the guide's twelve short answers in both modes: time
to the first audio and in all.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from served import CACHE, REPO, Served, render, writer_phrasings, writer_sets  # noqa: E402
from wyoming_bench.stt.accuracy import word_accuracy  # noqa: E402

BENCH = Path(sys.executable).parent / "wyoming-bench"


def wyoming_bench(*args: str) -> str:
    done = subprocess.run([str(BENCH), *args], capture_output=True, text=True, timeout=7200)
    if done.returncode != 0:
        raise SystemExit(f"wyoming-bench {args[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def summary(report: str) -> dict[str, dict[str, str]]:
    """Per mode, wyoming-bench's summary block: ok, fail, each timing row (min mean median p95 max), WER."""
    modes: dict[str, dict[str, str]] = {}
    mode: dict[str, str] | None = None
    for line in report.split("Summary (lower is better)")[0].splitlines():
        if match := re.match(r"\[(\w+)\] ok=(\d+) fail=(\d+)", line):
            mode = modes[match[1]] = {"ok": match[2], "fail": match[3]}
        elif mode is not None and (match := re.match(r"\s+(TTFT|Total|RTF) \((?:ms|x)\)\s+(.*)", line)):
            mode[match[1]] = match[2]
        elif mode is not None and (match := re.search(r"WER=([\d.]+)%", line)):
            mode["WER"] = match[1]
    return modes


def cell(row: str, column: str) -> float:
    """One column (min, mean, median, p95, max) of a wyoming-bench timing row."""
    return float(row.split()[("min", "mean", "median", "p95", "max").index(column)])


def ask_audio(wavs: list[Path]) -> tuple[list[str], float]:
    """The transcripts ``ask --audio --json`` gives for the files, and its time per file in seconds."""
    command = [sys.executable, "-m", "voiceguide", "ask", "--json", "--audio"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    subprocess.run([*command, str(wavs[0])], capture_output=True, check=True, env=env)
    start_up = time.perf_counter() - started
    started = time.perf_counter()
    done = subprocess.run([*command, *map(str, wavs)], capture_output=True, text=True, check=True, env=env)
    per_file = (time.perf_counter() - started - start_up) / max(1, len(wavs) - 1)
    return [json.loads(line)["transcript"] for line in done.stdout.splitlines()], per_file


def pooled_wer(hypotheses: list[str], references: list[str]) -> float:
    scores = [word_accuracy(h, r) for h, r in zip(hypotheses, references, strict=True)]
    return sum(s["errors"] for s in scores) / sum(s["n_ref"] for s in scores)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["test", "dev"], default="test")
    parser.add_argument("--limit", type=int, default=0, help="only the first N phrasings of each writer")
    parser.add_argument("--rounds", type=int, default=1, help="wyoming-bench rounds per file (default 1)")
    parser.add_argument("--tts", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    writers = writer_sets()["understanding"][args.set]
    corpora = {}
    for writer in writers:
        texts = writer_phrasings(writer)[: args.limit or None]
        corpora[writer] = CACHE / "wyoming_stt" / writer
        print(f"{writer}: {len(render(texts, corpora[writer]))} phrasings rendered", flush=True)
    served = Served()
    try:
        print(served.log[-1].strip(), flush=True)
        for writer, corpus in corpora.items():
            report = wyoming_bench("stt", f"127.0.0.1:{served.port}", "--corpus", str(corpus), "--mode", "both",
                                   "--rounds", str(args.rounds), "--warmup", "1")
            (corpus.parent / f"{writer}.wyoming-bench.txt").write_text(report, encoding="utf-8")
            modes = summary(report)
            wavs = sorted(corpus.glob("*.wav"))
            references = [w.with_suffix(".txt").read_text(encoding="utf-8").strip() for w in wavs]
            heard, per_file = ask_audio(wavs)
            ask_wer = pooled_wer(heard, references)
            print(f"{writer} ({args.set}, {len(wavs)} files):", flush=True)
            for name, mode in modes.items():
                wer = float(mode["WER"]) / 100
                first = f", first chunk median {cell(mode['TTFT'], 'median'):.0f} ms" if "TTFT" in mode else ""
                print(f"  wyoming-bench stt {name}: ok {mode['ok']}, fail {mode['fail']}, WER {wer:.1%} "
                      f"({(wer - ask_wer) * 100:+.1f} points against ask --audio){first}, final transcript "
                      f"median {cell(mode['Total'], 'median'):.0f} ms, p95 {cell(mode['Total'], 'p95'):.0f} ms, "
                      f"real-time factor {cell(mode['RTF'], 'mean'):.2f}", flush=True)
            print(f"  ask --audio: WER {ask_wer:.1%}, {per_file * 1000:.0f} ms a file after start-up", flush=True)
        if args.tts:
            tts(served)
        warnings = [line for line in served.log if "WARNING" in line or "ERROR" in line]
        print(f"service log: {len(warnings)} warnings or errors")
        for line in warnings[:10]:
            print(f"  {line.strip()}")
    finally:
        served.stop()
    return 0


def tts(served: Served) -> None:
    """wyoming-bench tts on the twelve short answers: once cold (never spoken before by this service),
    then in both modes from the service's sentence cache (its nonce is a sentence of its own)."""
    from voiceguide.guide import load_guide

    answers = CACHE / "wyoming_stt" / "answers.txt"
    answers.write_text("\n".join(t.short for t in load_guide().content.topics) + "\n", encoding="utf-8")
    for label, extra in (("cold", ["--mode", "non_streaming", "--rounds", "1", "--warmup", "0"]),
                         ("cached", ["--rounds", "3", "--warmup", "1"])):
        report = wyoming_bench("tts", f"127.0.0.1:{served.port}", "--texts-file", str(answers), *extra)
        (answers.parent / f"tts-{label}.wyoming-bench.txt").write_text(report, encoding="utf-8")
        for name, mode in summary(report).items():
            print(f"wyoming-bench tts {name}, the twelve short answers, {label}: ok {mode['ok']}, "
                  f"fail {mode['fail']}, first audio median {cell(mode['TTFT'], 'median'):.0f} ms, "
                  f"p95 {cell(mode['TTFT'], 'p95'):.0f} ms; all audio median {cell(mode['Total'], 'median'):.0f} ms",
                  flush=True)

if __name__ == "__main__":
    sys.exit(main())
