"""The errors VoiceGuide raises on purpose.

Every error a user can cause is a :class:`VoiceGuideError`; the command line
prints its message on one line and exits with status 2.
"""

from __future__ import annotations


class VoiceGuideError(Exception):
    """Something the user can fix: bad data, a bad file, a bad option."""


class DataError(VoiceGuideError):
    """A content or intent file is wrong. The message names the file and line."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class DataErrors(VoiceGuideError):
    """Several data problems found in one pass (by ``voiceguide check``)."""

    def __init__(self, errors: list[DataError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class OutputError(VoiceGuideError):
    """A file the user asked for cannot be written where they named it (a folder, a device, no such folder).
    The message names it."""

    def __init__(self, problem: str, path: object) -> None:
        self.problem = problem
        """What is wrong, in a few words, without the file's name."""
        self.path = path
        """The file or folder named."""
        super().__init__(f"{path}: {problem}")


class TemplateError(VoiceGuideError):
    """A template sentence does not parse. Raised without a location;
    the loader re-raises it as a :class:`DataError` with file and line."""
