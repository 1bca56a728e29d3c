"""Decoding in a child process: the same transcript as in process, and clear errors."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from voiceguide.app import App
from voiceguide.config import Config
from voiceguide.isolate import ProcessRecognizer
from voiceguide.recognize import RecognizerError, open_recognizer

from .speech import spoken


def test_a_child_process_hears_what_the_engine_hears_in_process() -> None:
    app = App(Config())
    pcm = spoken("what are the symptoms").resampled(16000).to_bytes()
    here, _ = app.recognizer()
    there, which = app.recognizer(isolated=True)
    assert isinstance(there, ProcessRecognizer) and "PocketSphinx" in which
    try:
        assert there.recognize(pcm) == here.recognize(pcm)
        assert there.recognize(pcm).text  # and again: the child keeps serving
    finally:
        there.close()


def test_an_engine_that_cannot_open_is_one_clear_error(tmp_path: Path) -> None:
    missing = functools.partial(open_recognizer, "vosk", tmp_path / "no-model", None, {}, [])
    with pytest.raises(RecognizerError, match="no-model"):
        ProcessRecognizer(missing)


def test_a_dead_child_is_an_error_not_a_hang() -> None:
    recognizer, _ = App(Config()).recognizer(isolated=True)
    assert isinstance(recognizer, ProcessRecognizer)
    recognizer._process.kill()
    recognizer._process.join()
    with pytest.raises(RecognizerError, match="ended"):
        recognizer.start()
        recognizer.finish()
