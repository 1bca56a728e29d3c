"""`pip install .` gives a working voiceguide outside the source tree."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path

from .conftest import REPO


def test_installed_package_carries_its_data(tmp_path: Path) -> None:
    source = tmp_path / "src"
    # Copy only what git would ship, so no build leftovers leak in.
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "*.egg-info", "__pycache__", ".*_cache", "bench", "tests"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(source)], check=True, capture_output=True,
                   timeout=600)
    shutil.rmtree(source)  # the installed copy must not need the checkout
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run([str(env_dir / "bin" / "voiceguide"), "ask", "--json", "what are the symptoms"],
                          capture_output=True, text=True, cwd=elsewhere, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["intent"] == "fact.symptoms"
    check = subprocess.run([str(env_dir / "bin" / "voiceguide"), "check"], capture_output=True, text=True,
                           cwd=elsewhere, timeout=120)
    assert check.returncode == 0 and check.stdout.startswith("ok: ")
    assert sys.prefix != str(env_dir)
