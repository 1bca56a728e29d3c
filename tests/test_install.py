"""`pip install .` gives a working voiceguide outside the source tree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO


@pytest.mark.slow  # about 9 s quiet, over a minute on a loaded machine: a package built and run
def test_installed_package_carries_its_data(tmp_path: Path) -> None:
    source = tmp_path / "src"
    # Copy only what git would ship, so no build leftovers leak in.
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "*.egg-info", "__pycache__", ".*_cache", "bench", "tests"))
    # The package alone, built with this environment's setuptools, into a folder of its own: the
    # dependencies come from this environment, so the test needs no package index and stays fast.
    target = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(source)], check=True, capture_output=True, timeout=600)
    shutil.rmtree(source)  # the installed copy must not need the checkout
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}

    def voiceguide(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "voiceguide", *args], capture_output=True, text=True,
                              cwd=elsewhere, env=env, timeout=120)

    where = subprocess.run([sys.executable, "-c", "import voiceguide; print(voiceguide.__file__)"],
                           capture_output=True, text=True, cwd=elsewhere, env=env, check=True)
    assert Path(where.stdout.strip()).is_relative_to(target), "the checkout's copy was imported"
    # check first: it builds the installed data's understanding afresh and keeps it, so ask reads it (a
    # second full build, ask's, took seconds of CPU).
    check = voiceguide("check")
    assert check.returncode == 0 and check.stdout.startswith("ok: "), check.stderr
    done = voiceguide("ask", "--json", "what are the symptoms")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["intent"] == "fact.symptoms"
