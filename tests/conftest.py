"""Shared fixtures: the shipped guide, loaded once, and helpers for data fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from voiceguide.data import shipped_dir
from voiceguide.dialogue import Conversation
from voiceguide.guide import Guide, load_guide

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def guide() -> Guide:
    return load_guide()


@pytest.fixture
def conversation(guide: Guide) -> Conversation:
    return Conversation(guide)


@pytest.fixture
def data_copy(tmp_path: Path) -> tuple[Path, Path]:
    """Writable copies of the shipped content and intents folders."""
    content = tmp_path / "content"
    intents = tmp_path / "intents"
    shutil.copytree(shipped_dir("content"), content)
    shutil.copytree(shipped_dir("intents"), intents)
    return content, intents
