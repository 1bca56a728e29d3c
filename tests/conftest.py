"""Shared fixtures: the shipped guide, loaded once, and helpers for data fixtures."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from pathlib import Path

import pytest

from voiceguide.data import shipped_dir
from voiceguide.dialogue import Conversation
from voiceguide.guide import Guide, load_guide

from .speech import SPEECH_CACHE

REPO = Path(__file__).resolve().parent.parent


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on the sound server share one PulseAudio server and its sinks: with several workers
    (pytest-xdist, --dist loadgroup) they all run on one, one after another. They stream in real
    time, so they belong to the slow tier. They are marked ``realtime`` too: scripts/test runs them
    one at a time while the fast tier and the other slow tests run beside them at a lower priority
    (beside CPU-heavy tests at the same priority, their streams stalled and their timings flaked)."""
    for item in items:
        if "pulse" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("pulse"))
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.realtime)


class _GroupIds:
    """--dist loadgroup keeps a group's tests on one worker by adding ``@group`` to their ids, but
    pytest-xdist 3.8 writes that into ``Node._nodeid``, which pytest 9 no longer reads: every group
    was silently spread over the workers, and each loaded the module's heavy fixture again. This
    does it the way pytest 9 keeps the id, until pytest-xdist does."""

    @pytest.hookimpl(trylast=True)  # after pytest-xdist's own hook, and after the marks above
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if not getattr(config.option, "loadgroup", False):  # set in the workers, with --dist loadgroup
            return
        from _pytest.nodeid import NodeId

        for item in items:
            names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                            for m in item.iter_markers("xdist_group")})
            if names and "@" not in item.nodeid and isinstance(getattr(item, "_id", None), NodeId):
                item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(names)}")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_GroupIds(), "voiceguide-group-ids")


@pytest.fixture(scope="session")
def guide(user_folders: Path) -> Guide:
    """The shipped guide. The run's workers share one cache folder: the first to get here builds the
    compiled understanding (seconds of CPU) while the others wait, then read it, as does every
    ``python -m voiceguide`` the tests start."""
    with (user_folders / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        return load_guide()


@pytest.fixture(scope="session")
def guide_without_classifier(user_folders: Path, tmp_path_factory: pytest.TempPathFactory) -> Guide:
    """The shipped guide from a copy of its data without the trained classifier's file: the concept matcher
    decides alone. Built once a run, as ``guide`` is (a full build: seconds of CPU), and kept in the run's
    cache, where every worker's copy of the same data finds it."""
    from voiceguide.guide import CLASSIFIER

    folder = tmp_path_factory.mktemp("without_classifier")
    content, intents = folder / "content", folder / "intents"
    shutil.copytree(shipped_dir("content"), content)
    shutil.copytree(shipped_dir("intents"), intents)
    (intents / CLASSIFIER).unlink()
    with (user_folders / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return load_guide(content, intents)


@pytest.fixture
def conversation(guide: Guide) -> Conversation:
    return Conversation(guide)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist starts its workers
def pytest_sessionstart(session: pytest.Session) -> None:
    """The run's first process starts the sound server, before any worker exists: a worker that
    opened PortAudio before the server was up would never see the 'pulse' device, and a worker
    that stopped the server would cut off the others. The first process stops it at the end."""
    if hasattr(session.config, "workerinput") or not _may_run_sound_server_tests(session.config):
        return
    from .sound import ensure_pulse

    with contextlib.suppress(RuntimeError):  # no sound server here: the tests that need one fail, with the reason
        session.config.stash[_PULSE_STARTED] = ensure_pulse()


def _may_run_sound_server_tests(config: pytest.Config) -> bool:
    """False when the mark expression leaves out every test on the sound server (they are all marked slow
    and realtime): the fast tier then neither starts the server nor stops one another run is using."""
    from _pytest.mark.expression import Expression

    markexpr = config.getoption("markexpr", "")
    return not markexpr or bool(Expression.compile(markexpr).evaluate(lambda mark, **_: mark in ("slow", "realtime")))


def pytest_sessionfinish(session: pytest.Session) -> None:
    if session.config.stash.get(_PULSE_STARTED, False):
        from .sound import stop_pulse

        stop_pulse()


_PULSE_STARTED = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def pulse() -> None:
    """A running PulseAudio server with the virtual mic and speaker (see sound.py)."""
    from .sound import ensure_pulse

    ensure_pulse()


@pytest.fixture(scope="session", autouse=True)
def user_folders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole run, module fixtures included, keeps away from the user's own settings, data and cache.
    The cache (the compiled understanding, voiceguide.cache) is one for the run, beside the workers'
    own folders (pytest-xdist gives each worker a folder under the run's). Returns the run's folder."""
    home = tmp_path_factory.mktemp("home")
    base = tmp_path_factory.getbasetemp()
    run = base.parent if "PYTEST_XDIST_WORKER" in os.environ else base  # a worker's is popen-gwN in the run's
    os.environ["VOICEGUIDE_CONFIG"] = str(home / "config.yaml")
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    os.environ["XDG_DATA_HOME"] = str(home / "data")
    os.environ["XDG_CACHE_HOME"] = str(run / "cache")
    os.environ[SPEECH_CACHE] = str(run / "speech")  # test speech, rendered once for the run (speech.py)
    os.environ.pop("VOICEGUIDE_VOSK_MODEL", None)
    return run


@pytest.fixture(autouse=True)
def user_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own settings file, never the user's."""
    path = tmp_path_factory.mktemp("config") / "config.yaml"
    monkeypatch.setenv("VOICEGUIDE_CONFIG", str(path))
    return path


@pytest.fixture
def data_copy(tmp_path: Path) -> tuple[Path, Path]:
    """Writable copies of the shipped content and intents folders."""
    content = tmp_path / "content"
    intents = tmp_path / "intents"
    shutil.copytree(shipped_dir("content"), content)
    shutil.copytree(shipped_dir("intents"), intents)
    return content, intents
