"""Decoding in a child process: the same transcript as in process, and clear errors."""

from __future__ import annotations

import functools
import time
from pathlib import Path

import pytest

from voiceguide.app import App
from voiceguide.config import Config
from voiceguide.isolate import ProcessRecognizer
from voiceguide.recognize import ModelChoice, RecognizerError, Vocabulary, open_recognizer

from .speech import spoken


@pytest.mark.slow  # about 6 s each: every engine loads twice
@pytest.mark.parametrize(("engine", "name"), [("pocketsphinx", "PocketSphinx"), ("whisper", "Whisper")])
def test_a_child_process_hears_what_the_engine_hears_in_process(engine: str, name: str) -> None:
    app = App(Config(engine=engine))
    pcm = spoken("what are the symptoms").resampled(16000).to_bytes()
    here, _ = app.recognizer()
    there, which = app.recognizer(isolated=True)
    assert isinstance(there, ProcessRecognizer) and name in which
    try:
        assert there.recognize(pcm) == here.recognize(pcm)
        assert there.recognize(pcm).text  # and again: the child keeps serving
        # PocketSphinx streams its words too: no reading comes sooner (and no round trip asks for one).
        assert (there.command() is None) == (here.command() is None) == (engine == "pocketsphinx")
    finally:
        there.close()


def test_an_engine_that_cannot_open_is_one_clear_error(tmp_path: Path) -> None:
    missing = functools.partial(open_recognizer, "vosk", ModelChoice(model=tmp_path / "no-model"), Vocabulary())
    with pytest.raises(RecognizerError, match="no-model"):
        ProcessRecognizer(missing)


def test_the_early_decode_and_the_command_pass_reach_the_child_too() -> None:
    """The listener's silence() reaches the engine in the child: what it decoded when the
    silence began stands, though more audio came after (see test_whisper). So does command():
    the command pass's reading comes back at once, and ready(): the words, once that decode is done;
    and after drop() the child serves on."""
    recognizer, _ = App(Config(engine="whisper")).recognizer(isolated=True)
    stop = spoken("stop").resampled(16000).to_bytes()
    try:
        recognizer.start()
        recognizer.accept(stop)
        recognizer.silence(True)
        recognizer.accept(spoken("what are the symptoms").resampled(16000).to_bytes())
        assert recognizer.finish().text == "stop"
        recognizer.start()
        recognizer.accept(stop)
        recognizer.silence(True)
        assert recognizer.command() == "stop"
        deadline = time.monotonic() + 30  # a generous bound on the early decode, not a timing
        while (ready := recognizer.ready()) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert ready is not None and ready.text == "stop"  # the words, when in
        recognizer.drop()
        assert recognizer.recognize(stop).text == "stop"
    finally:
        recognizer.close()


def test_a_dead_child_is_an_error_not_a_hang() -> None:
    recognizer, _ = App(Config(engine="pocketsphinx")).recognizer(isolated=True)
    assert isinstance(recognizer, ProcessRecognizer)
    recognizer._process.kill()
    recognizer._process.join()
    with pytest.raises(RecognizerError, match="ended"):
        recognizer.start()
        recognizer.finish()
