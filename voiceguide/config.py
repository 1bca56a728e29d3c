"""The user's settings, kept between runs in a small YAML file.

Where: ``VOICEGUIDE_CONFIG`` if set, else the user config folder
(platformdirs), ``config.yaml``. A missing file means the defaults; a broken
one is reported as ``file:line: message``.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

from .dialogue import RATES, VOLUMES, VoiceSettings
from .errors import DataError, OutputError
from .files import replacing
from .recognize import ENGINES, engine_names
from .whisper_models import SIZES
from .yamlfile import LocatedDict, line_of, load_yaml


@dataclass(frozen=True)
class Config:
    """Everything a user can set once and keep."""

    voice: str = "en-us"
    """An espeak-ng voice name, or "piper" for the natural voice."""
    rate_step: int = VoiceSettings().rate_step
    """Speaking rate, as a step of dialogue.RATES."""
    volume_step: int = VoiceSettings().volume_step
    """Volume, as a step of dialogue.VOLUMES."""
    output_device: str | None = None
    """Sound output device, by name or index; None for the system default."""
    input_device: str | None = None
    """Microphone, by name or index; None for the system default."""
    engine: str = "auto"
    """Speech recogniser: auto (the best ranked engine installed) or an engine's name (recognize.ENGINES)."""
    vosk_model: str | None = None
    """Folder of an installed Vosk model."""
    whisper_size: str | None = None
    """The Whisper model size to use (None: tiny.en); set by model install whisper --size."""
    disclaimer_played: bool = False
    """The disclaimer has been spoken once at home (it opens the first listen)."""
    short_disclaimer: bool = True
    """Later sessions at home open with the short disclaimer; false for a single-user machine."""
    last_topic: str | None = None
    """The topic the last conversation at home ended on, for "continue where I left off"."""

    @property
    def voice_settings(self) -> VoiceSettings:
        return VoiceSettings(self.rate_step, self.volume_step)

    def with_voice_settings(self, settings: VoiceSettings) -> Config:
        return replace(self, rate_step=settings.rate_step, volume_step=settings.volume_step)


def config_path() -> Path:
    """Where the user's settings live."""
    explicit = os.environ.get("VOICEGUIDE_CONFIG")
    if explicit:
        return Path(explicit)
    from platformdirs import user_config_dir

    return Path(user_config_dir("voiceguide")) / "config.yaml"


def load_config(path: Path | None = None) -> Config:
    """The settings in ``path`` (default: config_path()), checked; defaults if absent."""
    path = path or config_path()
    try:
        there = path.exists()
    except OSError as exc:  # a name too long, say
        raise DataError(str(path), None, f"cannot read file: {exc.strerror or exc}") from None
    if not there or str(path) == os.devnull:  # /dev/null: no settings kept
        return Config()
    doc = load_yaml(path)
    if doc is None:
        return Config()
    if not isinstance(doc, LocatedDict):
        raise DataError(str(path), 1, "expected a mapping of settings")
    known = {f.name: f for f in fields(Config)}
    values: dict[str, Any] = {}
    for key, value in doc.items():
        if key not in known:
            raise DataError(str(path), line_of(doc, key), f"unknown setting '{key}'")
        values[key] = _checked(path, doc, key, value)
    return Config(**values)


def _checked(path: Path, doc: LocatedDict, key: str, value: Any) -> Any:
    bounds = {"rate_step": len(RATES), "volume_step": len(VOLUMES)}
    if key in bounds:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < bounds[key]:
            raise DataError(str(path), line_of(doc, key), f"'{key}' must be a whole number from 0 to {bounds[key] - 1}")
        return value
    if key in ("disclaimer_played", "short_disclaimer"):
        if not isinstance(value, bool):
            raise DataError(str(path), line_of(doc, key), f"'{key}' must be true or false")
        return value
    if key == "engine" and (not isinstance(value, str) or (value != "auto" and value not in ENGINES)):
        raise DataError(str(path), line_of(doc, key), f"'engine' must be one of {engine_names()}")
    if key == "whisper_size" and value is not None and (not isinstance(value, str) or value not in SIZES):
        raise DataError(str(path), line_of(doc, key), f"'whisper_size' must be one of {', '.join(SIZES)}")
    if value is not None and not isinstance(value, str | int):
        raise DataError(str(path), line_of(doc, key), f"'{key}' must be text")
    if key == "voice" and (value is None or not str(value).strip()):  # said here, where it was written
        raise DataError(str(path), line_of(doc, key), "'voice' must name a voice (an espeak-ng voice, or piper)")
    return None if value is None else str(value)


def save_config(config: Config, path: Path | None = None) -> None:
    """Write the settings atomically: an interrupted save leaves the old file."""
    path = path or config_path()
    if str(path) == os.devnull:  # no settings kept, as load_config reads none
        return
    try:
        real = path.resolve() if path.is_symlink() else path  # a link's file is written, the link kept
        real.parent.mkdir(parents=True, exist_ok=True)
        with replacing(real) as out:
            out.write(yaml.safe_dump(asdict(config), sort_keys=False).encode("utf-8"))
    except FileExistsError:
        raise OutputError("cannot save the settings (a file stands where its folder should be)", path) from None
    except OutputError as exc:
        raise OutputError(f"cannot save the settings ({exc.problem})", path) from None
    except (OSError, RuntimeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "a loop of links"
        raise OutputError(f"cannot save the settings ({reason})", path) from None
