"""Where the shipped content and intents live.

In a source checkout they are the top-level ``content/`` and ``intents/``
folders; an installed package carries them as ``voiceguide._content`` and
``voiceguide._intents`` (see pyproject.toml).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .errors import DataError, DataErrors, VoiceGuideError


def shipped_dir(name: str) -> Path:
    """The folder of shipped data called ``name`` ("content" or "intents")."""
    in_tree = Path(__file__).resolve().parent.parent / name
    if (in_tree / ".voiceguide-data").is_file():
        return in_tree
    spec = importlib.util.find_spec(f"voiceguide._{name}")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    raise VoiceGuideError(f"the guide's {name} folder is missing from this installation")


def data_folder(given: Path | None, name: str) -> Path:
    """The data folder the user gave, or the shipped one; DataErrors if it is not a folder."""
    folder = given or shipped_dir(name)
    if not folder.is_dir():
        raise DataErrors([DataError(str(folder), None, "no such folder")])
    return folder
