"""The compiled understanding is kept between runs, and rebuilt whenever it cannot be trusted."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import voiceguide
from voiceguide import cache, templates
from voiceguide.cli import main
from voiceguide.data import shipped_dir
from voiceguide.guide import Guide, load_guide

from .conftest import REPO

Expansions = Callable[[], int]


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder of this test's own; the voiceguide cache inside it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "voiceguide"


@pytest.fixture(scope="module")
def shipped_cache(guide: Guide, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the run's cache file for the shipped data, written when the run loaded the guide. A copy:
    the run's workers share that folder, and their builds of other data could prune it (cache.KEEP)."""
    path = cache.cache_file(cache.cache_key(shipped_dir("content"), shipped_dir("intents")))
    load_guide()  # from that file; or, if it was pruned, built and kept there again
    copy = tmp_path_factory.mktemp("shipped") / path.name
    shutil.copy2(path, copy)
    return copy


@pytest.fixture
def warm(cache_home: Path, shipped_cache: Path) -> Path:
    """This test's cache folder, holding the shipped data's compiled understanding (saves a build)."""
    cache_home.mkdir(parents=True)
    shutil.copy2(shipped_cache, cache_home)
    return cache_home


@pytest.fixture
def expansions(monkeypatch: pytest.MonkeyPatch) -> Expansions:
    """How many templates the real loader has expanded since the last call (the expensive step)."""
    count = 0
    real = templates.expand

    def counted(*args: object, **kwargs: object) -> list[tuple[str, ...]]:
        nonlocal count
        count += 1
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(templates, "expand", counted)

    def taken() -> int:
        nonlocal count
        seen, count = count, 0
        return seen

    return taken


def kept(folder: Path) -> list[Path]:
    return sorted(folder.glob("understanding-*.pickle"))


def test_second_load_comes_from_the_cache(data_copy: tuple[Path, Path], cache_home: Path,
                                          expansions: Expansions) -> None:
    content, intents = data_copy
    built = load_guide(content, intents)
    assert expansions() > 100 and len(kept(cache_home)) == 1
    loaded = load_guide(content, intents)
    assert expansions() == 0
    assert loaded.understander is not built.understander  # read back, not the same object
    for question in ("how long is recovery", "keyhole op for a spine infection", "who won the football"):
        a, b = built.understander.understand(question), loaded.understander.understand(question)
        assert (a.intent and a.intent.name, a.confidence) == (b.intent and b.intent.name, b.confidence)
    assert loaded.intents == built.intents


@pytest.mark.slow  # about 6 s: two full rebuilds
def test_a_changed_intents_file_is_rebuilt(data_copy: tuple[Path, Path], warm: Path,
                                           expansions: Expansions) -> None:
    content, intents = data_copy
    assert load_guide(content, intents).understander.understand("what about the zebra crossing").confidence < 1
    assert expansions() == 0  # the copy's data is the shipped data: the same key
    path = intents / "topics.yaml"
    path.write_text(path.read_text().replace("      - introduction\n",
                                             "      - introduction\n      - what about the zebra crossing\n", 1))
    changed = load_guide(content, intents)
    assert expansions() > 100
    got = changed.understander.understand("what about the zebra crossing")
    assert got.exact and got.intent is not None and got.intent.name == "topic.what_is_miss"
    assert len(kept(warm)) == 2
    assert load_guide(content, intents).understander.understand("what about the zebra crossing").exact
    assert expansions() == 0


def test_a_changed_content_file_is_rebuilt(data_copy: tuple[Path, Path], warm: Path,
                                           expansions: Expansions) -> None:
    content, intents = data_copy
    load_guide(content, intents)
    assert expansions() == 0
    with (content / "replies.yaml").open("a") as f:
        f.write("\n# edited\n")
    load_guide(content, intents)
    assert expansions() > 100


def test_another_version_is_rebuilt(warm: Path, expansions: Expansions, monkeypatch: pytest.MonkeyPatch) -> None:
    load_guide()
    assert expansions() == 0
    monkeypatch.setattr(voiceguide, "__version__", "0.0.0-other")
    load_guide()
    assert expansions() > 100 and len(kept(warm)) == 2


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _garbage(data: bytes) -> bytes:
    return b"\x80\x05not a pickle at all" * 10


def _word_changed(data: bytes) -> bytes:
    # Still a valid pickle, of a wrong word: only the checksum can tell.
    assert b"aftercare" in data
    return data.replace(b"aftercare", b"aftercore", 1)


def _other_key(data: bytes) -> bytes:
    magic, _key, payload = data.split(b"\n", 2)
    return b"\n".join([magic, b"0" * 64, payload])


@pytest.mark.slow  # about 4 s each: four full rebuilds
@pytest.mark.parametrize("damage", [_truncated, _garbage, _word_changed, _other_key])
def test_a_corrupt_cache_file_is_rebuilt(damage: Callable[[bytes], bytes], warm: Path,
                                         expansions: Expansions, caplog: pytest.LogCaptureFixture) -> None:
    [path] = kept(warm)
    whole = path.read_bytes()
    damaged = damage(whole)
    path.write_bytes(damaged)
    expansions()
    with caplog.at_level(logging.DEBUG, logger="voiceguide"):
        guide = load_guide()
    assert expansions() > 100
    assert "rebuilding" in caplog.text and "Traceback" not in caplog.text
    assert guide.understander.understand("how long is recovery").exact
    assert path.read_bytes() != damaged  # written afresh; whole, as the next load shows
    load_guide()
    assert expansions() == 0


@pytest.mark.slow  # a full rebuild
def test_a_pipe_in_place_of_the_cache_file_is_rebuilt_not_waited_on(warm: Path, expansions: Expansions) -> None:
    [path] = kept(warm)
    path.unlink()
    os.mkfifo(path)
    expansions()
    assert load_guide().understander.understand("how long is recovery").exact
    assert expansions() > 100 and path.is_file()  # a file again, in its place


def test_a_cache_folder_that_cannot_be_written_means_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               expansions: Expansions,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    # A file where the cache folder should be: unwritable even for root, unlike a chmod.
    blocked = tmp_path / "cache"
    blocked.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    with caplog.at_level(logging.DEBUG, logger="voiceguide"):
        guide = load_guide()
    assert expansions() > 100
    assert guide.understander.understand("how long is recovery").exact
    assert "not cached" in caplog.text
    assert not any(r.levelno >= logging.WARNING for r in caplog.records)
    assert blocked.read_text() == "not a folder"


def test_only_the_most_recent_caches_are_kept(cache_home: Path, guide: Guide) -> None:
    compiled = cache.Compiled(guide.intents, guide.understander)
    keys = [f"{n:x}" * 64 for n in range(cache.KEEP + 2)]
    for key in keys:
        cache.store(key, compiled)
    assert kept(cache_home) == sorted(cache.cache_file(key) for key in keys[-cache.KEEP:])
    assert not list(cache_home.glob(".*"))  # no half-written files left
    assert cache.load(keys[-1]) is not None and cache.load(keys[0]) is None


def test_check_never_rests_on_the_cache(data_copy: tuple[Path, Path], cache_home: Path, guide: Guide,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    content, intents = data_copy
    path = intents / "topics.yaml"
    path.write_text(path.read_text().replace("topic: what_is_miss", "topic: no_such_topic", 1))
    # A cache entry that claims the broken data is fine, as a stale pickle of older code would.
    cache.store(cache.cache_key(content, intents), cache.Compiled(guide.intents, guide.understander))
    assert load_guide(content, intents).understander is not None  # the poisoned entry is used by other commands
    assert main(["check", "--content", str(content), "--intents", str(intents)]) == 2
    assert "names unknown topic 'no_such_topic'" in capsys.readouterr().err


def test_topics_loads_no_understanding(cache_home: Path, expansions: Expansions,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["topics"]) == 0
    assert capsys.readouterr().out.startswith("1. ")
    assert expansions() == 0 and not cache_home.exists()


def _run(*args: str, cache_home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_CACHE_HOME": str(cache_home)}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=120)


def test_the_command_answers_from_the_cache(warm: Path) -> None:
    done = _run("-m", "voiceguide", "-v", "ask", "how long is recovery", cache_home=warm.parent)
    assert done.returncode == 0 and "rehabilitation" in done.stdout
    assert "understanding loaded from cache" in done.stderr and "understanding built" not in done.stderr


HEAVY = ("numpy", "soxr", "sounddevice", "pocketsphinx", "vosk", "pyttsx3", "soundfile", "faster_whisper",
         "ctranslate2")
SOUNDLESS = [["topics"], ["ask", "how long is recovery"], ["ask", "--json", "what is miss"], ["devices", "--help"],
             ["stats", "--help"]]


@pytest.fixture(scope="module")
def soundless_runs(guide: Guide, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    """Each command without sound run in turn in one fresh process (one start, not one a command, each
    about half a second), with its exit status and the heavy libraries imported so far after each. So far:
    a library the first commands imported would be in every later one's list too, so an empty list
    after each says that none of them imported one. guide: the run's cache is warm, as a user's is after
    the first question."""
    results = tmp_path_factory.mktemp("soundless") / "results.jsonl"
    script = "\n".join([
        "import json, sys",
        "from voiceguide.cli import main",
        "for argv in json.loads(sys.argv[1]):",
        "    try:",
        "        code = main(argv)",
        "    except SystemExit as end:",  # --help
        "        code = end.code",
        f"    heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)",
        "    with open(sys.argv[2], 'a') as out:",
        "        print(json.dumps({'argv': ' '.join(argv), 'code': code, 'heavy': heavy}), file=out)"])
    done = _run("-c", script, json.dumps(SOUNDLESS), str(results), cache_home=Path(os.environ["XDG_CACHE_HOME"]))
    runs = {run["argv"]: {**run, "stderr": done.stderr} for run in map(json.loads, results.read_text().splitlines())}
    assert list(runs) == [" ".join(argv) for argv in SOUNDLESS], done.stderr
    return runs


@pytest.mark.xdist_group("soundless")  # one worker, one process for all
@pytest.mark.parametrize("argv", SOUNDLESS)
def test_commands_without_sound_import_no_sound_libraries(argv: list[str],
                                                          soundless_runs: dict[str, dict[str, object]]) -> None:
    run = soundless_runs[" ".join(argv)]
    assert run["code"] == 0, run["stderr"]
    assert run["heavy"] == []
