"""Start-up benchmark: how long commands take, as a user runs them, with a cold and a warm cache.

Usage: python bench/startup.py [--runs N] [--no-spoken]

Each figure is the wall time of a whole ``python -m voiceguide …`` process
(interpreter start, imports, loading, answering, exit), the median of N runs;
and its CPU time (user and system), which a busy machine inflates less.
Cold: an empty cache folder every run, so the understanding is built; warm:
a cache folder that already holds it. Either way Python's compiled bytecode is
kept between runs, as it is by default (in a temporary folder here, and even
when PYTHONDONTWRITEBYTECODE is set around the benchmark). The runs of each kind are interleaved,
so that a busy moment on the machine falls on all of them alike. The settings
and cache folders are temporary: the user's own are never touched.

Spoken: ``ask --audio`` on a question spoken by espeak-ng, with the engine the
guide picks by itself in a fresh data folder (Whisper tiny.en, the packaged model), warm cache; with
its peak memory (the process's maximum resident set), and, in this process,
how long the engine takes to load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

COMMANDS: list[tuple[str, list[str], float | None]] = [
    ("python alone (python -c pass)", ["-c", "pass"], None),
    ("voiceguide --help", ["-m", "voiceguide", "--help"], None),
    ("voiceguide topics", ["-m", "voiceguide", "topics"], 0.3),
    ("voiceguide ask how long is recovery", ["-m", "voiceguide", "ask", "how long is recovery"], 0.5),
]
"""Label, arguments to python, target in seconds with a warm cache (None: no target)."""


SPOKEN_QUESTION = "what are the symptoms of a spinal infection"
SPOKEN_TARGETS = {"engine load": 2.0, "peak memory MB": 600.0}
"""Issue targets for speech in: the engine loaded within 2 s, at most 600 MB with Whisper loaded."""


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user and system) of one process."""
    wall, cpu, _peak = measured(args, env)
    return wall, cpu


def measured(args: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall time, CPU time (user and system) and peak memory (MB) of one process, by its own rusage."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _pid, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            errors.seek(0)
            raise subprocess.CalledProcessError(child.returncode, [sys.executable, *args], stderr=errors.read())
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def spoken(root: Path, env: dict[str, str], runs: int) -> None:
    """``ask --audio`` as a user runs it, and the engine's load in this process."""
    clip = root / "question.wav"
    subprocess.run(["espeak-ng", "-w", str(clip), SPOKEN_QUESTION], check=True)
    command = ["-m", "voiceguide", "ask", "--audio", str(clip)]
    measured(command, env)  # the engine's files into the page cache, as on a second run
    figures = [measured(command, env) for _ in range(runs)]
    wall = statistics.median(w for w, _, _ in figures)
    cpu = statistics.median(c for _, c, _ in figures)
    peak = max(p for _, _, p in figures)
    os.environ.update(env)
    from voiceguide.app import App, Choices
    from voiceguide.config import load_config

    app = App(load_config(), Choices())
    app.guide  # noqa: B018 - loaded first: the engine alone is timed
    loads, which = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        recognizer, _said = app.recognizer()
        loads.append(time.perf_counter() - start)
        which = recognizer.engine
        del recognizer
    # The first load also imports faster-whisper and CTranslate2, as a user's first question does.
    first, load = loads[0], statistics.median(loads)
    limit, memory = SPOKEN_TARGETS["engine load"], SPOKEN_TARGETS["peak memory MB"]
    print(f"spoken question, engine {which}; median of {runs} runs, load average {os.getloadavg()[0]:.1f}")
    print(f"| `voiceguide ask --audio` | wall {wall:.2f} s | CPU {cpu:.2f} s | "
          f"peak memory {peak:.0f} MB (≤ {memory:g} MB, {'met' if peak <= memory else 'NOT met'}) |")
    print(f"engine loaded in this process: first {first:.2f} s with its imports "
          f"(≤ {limit:g} s, {'met' if first <= limit else 'NOT met'}), then {load:.2f} s (median)")


def phases(cache_folder: Path, runs: int) -> None:
    """What a warm start spends in loading, in this process: medians of ``runs``, and one build."""
    import yaml

    from voiceguide import cache, yamlfile
    from voiceguide.content import load_content
    from voiceguide.data import shipped_dir
    from voiceguide.guide import load_guide

    content_dir, intents_dir = shipped_dir("content"), shipped_dir("intents")
    key = cache.cache_key(content_dir, intents_dir)
    texts = [(content_dir / name).read_text() for name in ("topics.yaml", "safety.yaml", "replies.yaml")]

    class PurePython(yaml.SafeLoader):
        """The loader the content was read with before: the same line-keeping constructors."""

    for tag in (yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG):
        PurePython.add_constructor(tag, yamlfile._Loader.yaml_constructors[tag])
    steps = {
        "content read and checked": lambda: load_content(content_dir),
        "  its YAML parsed by libyaml (as used)": lambda: [yaml.load(t, Loader=yamlfile._Loader) for t in texts],
        "  its YAML parsed by pure-Python PyYAML": lambda: [yaml.load(t, Loader=PurePython) for t in texts],
        "cache key (hash of data and code)": lambda: cache.cache_key(content_dir, intents_dir),
        "understanding read, checked and unpickled": lambda: cache.load(key, cache_folder),
    }
    for label, step in steps.items():
        took = []
        for _ in range(runs):
            start = time.perf_counter()
            step()
            took.append(time.perf_counter() - start)
        print(f"{label}: {statistics.median(took) * 1000:.0f} ms")
    size = cache.cache_file(key, cache_folder).stat().st_size
    start = time.perf_counter()
    load_guide(from_cache=False)
    print(f"cache file {size / 1e6:.1f} MB; understanding built (once, no cache): {time.perf_counter() - start:.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each command and cache state (default 7)")
    parser.add_argument("--no-spoken", dest="spoken", action="store_false", help="skip the spoken question")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        base = {**os.environ, "PYTHONPATH": str(REPO), "VOICEGUIDE_CONFIG": str(root / "config.yaml"),
                "XDG_CONFIG_HOME": str(root / "config"), "XDG_DATA_HOME": str(root / "data"),
                # Compiled bytecode kept, as Python does by default, but in the temporary folder.
                "PYTHONPYCACHEPREFIX": str(root / "bytecode")}
        base.pop("PYTHONDONTWRITEBYTECODE", None)
        warm_env = {**base, "XDG_CACHE_HOME": str(root / "warm")}
        for _label, command, _target in COMMANDS:  # fills the warm cache and the bytecode cache
            timed(command, warm_env)
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        load = os.getloadavg()[0]
        for run in range(args.runs):
            for index, (label, command, _target) in enumerate(COMMANDS):
                cold_env = {**base, "XDG_CACHE_HOME": str(root / f"cold-{run}-{index}")}
                times.setdefault((label, "cold"), []).append(timed(command, cold_env))
                times.setdefault((label, "warm"), []).append(timed(command, warm_env))
        print(f"median of {args.runs} runs, seconds; {os.cpu_count()} cores, load average {load:.1f} at the start "
              f"and {os.getloadavg()[0]:.1f} at the end")
        print("| command | cold cache, wall | warm cache, wall | warm cache, CPU | target (warm, wall) |")
        print("| --- | --- | --- | --- | --- |")
        for label, _command, target in COMMANDS:
            cold = statistics.median(w for w, _ in times[(label, "cold")])
            warm = statistics.median(w for w, _ in times[(label, "warm")])
            cpu = statistics.median(c for _, c in times[(label, "warm")])
            goal = f"≤ {target:g} s, {'met' if warm <= target else 'NOT met'}" if target else "—"
            print(f"| `{label}` | {cold:.2f} | {warm:.2f} | {cpu:.2f} | {goal} |")
        # In this process from here: its own cache writes go to the temporary folder too.
        os.environ["XDG_CACHE_HOME"] = warm_env["XDG_CACHE_HOME"]
        phases(root / "warm" / "voiceguide", args.runs)
        if args.spoken:
            spoken(root, warm_env, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
