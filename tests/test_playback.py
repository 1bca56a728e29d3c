"""Speech out, playback: sentence order, stop, pause, the real sound device, no device."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from voiceguide.devices import DevicePlayer, NoAudioDevice
from voiceguide.playback import RecordingPlayer, earcon
from voiceguide.speak import EspeakSynthesizer, Speech

from .conftest import REPO
from .sound import RATE, Recorder, sounding_seconds

TEXT = ("Care after the operation is crucial. Patients are usually advised to join a rehabilitation programme. "
        "This may include physical therapy to rebuild strength and improve mobility.")


@pytest.fixture(scope="module")
def speech() -> Speech:
    return Speech(EspeakSynthesizer())


def test_recorded_playback_is_every_sentence_in_order(speech: Speech) -> None:
    player = RecordingPlayer(speech.synthesizer.sample_rate)
    playback = player.play(speech.sentences(TEXT))
    expected = [s.audio for s in speech.sentences(TEXT)]
    assert playback.played == [s.text for s in speech.sentences(TEXT)]
    assert not playback.interrupted
    assert player.audio.duration == pytest.approx(sum(a.duration for a in expected), abs=0.001)


def test_stop_cuts_the_answer_off_mid_sentence(speech: Speech) -> None:
    player = RecordingPlayer(speech.synthesizer.sample_rate, realtime=True)
    playback = player.start(speech.sentences(TEXT))
    time.sleep(0.8)
    playback.stop()
    assert playback.wait(2.0)
    assert playback.interrupted and playback.played == [speech.sentences(TEXT).__next__().text]
    assert 0.5 < player.audio.duration < 1.6


def test_pause_resumes_at_the_start_of_the_sentence(speech: Speech) -> None:
    first = next(speech.sentences(TEXT)).audio
    player = RecordingPlayer(speech.synthesizer.sample_rate, realtime=True)
    playback = player.start(speech.sentences(TEXT))
    time.sleep(0.6)
    playback.pause()
    time.sleep(0.3)
    assert playback.paused
    playback.resume()
    playback.wait(30)
    audio = player.audio.samples
    # The first sentence plays in full after the pause: its samples end the paused stretch.
    n = len(first.samples)
    found = any((audio[i : i + n] == first.samples).all() for i in range(0, len(audio) - n, 220))
    assert found and not playback.interrupted


def test_earcons_are_short_distinct_tones() -> None:
    tones = {kind: earcon(kind, 16000) for kind in ("listening", "understood", "not_understood")}
    assert all(0.05 < t.duration < 0.3 for t in tones.values())
    assert len({t.samples.tobytes() for t in tones.values()}) == 3


@pytest.mark.usefixtures("pulse")
def test_a_new_answer_cuts_off_the_one_playing(speech: Speech) -> None:
    with DevicePlayer(speech.synthesizer.sample_rate, "pulse") as player:
        first = player.start(speech.sentences(TEXT))
        time.sleep(0.5)
        second = player.start(speech.sentences("Stopped."))
        assert second.wait(5.0)
    assert first.interrupted and first.done and not second.interrupted
    assert second.played == ["Stopped."]


def test_no_output_device_is_a_clear_error() -> None:
    with pytest.raises(NoAudioDevice, match="no audio output device 'no-such-card'"):
        DevicePlayer(22050, "no-such-card")


@pytest.mark.usefixtures("pulse")
def test_answer_plays_through_the_virtual_speaker(speech: Speech) -> None:
    recorder = Recorder()
    time.sleep(0.3)
    with DevicePlayer(speech.synthesizer.sample_rate, "pulse") as player:
        playback = player.play(speech.sentences(TEXT))
        time.sleep(0.5)
    heard = recorder.stop()
    spoken = sum(s.audio.duration for s in speech.sentences(TEXT))
    assert playback.played == [s.text for s in speech.sentences(TEXT)]
    assert heard.rate == RATE
    assert spoken * 0.6 < sounding_seconds(heard) <= spoken + 0.5


@pytest.mark.usefixtures("pulse")
def test_stop_silences_the_virtual_speaker(speech: Speech) -> None:
    recorder = Recorder()
    time.sleep(0.3)
    with DevicePlayer(speech.synthesizer.sample_rate, "pulse") as player:
        playback = player.start(speech.sentences(TEXT))
        time.sleep(1.5)
        playback.stop()
        assert playback.wait(2.0)
        time.sleep(1.0)
    heard = recorder.stop()
    assert playback.interrupted
    assert 1.0 < sounding_seconds(heard) < 1.5 + 0.2


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voiceguide", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO), **env}, timeout=120)


@pytest.mark.usefixtures("pulse")
def test_ask_json_stays_valid_while_speaking() -> None:
    recorder = Recorder()
    done = run_cli("ask", "--json", "--speak", "--output-device", "pulse", "what is discitis")
    heard = recorder.stop()
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["intent"] == "fact.infection_kinds"
    assert sounding_seconds(heard) > 2.0


def test_ask_without_a_device_says_so_once_and_prints_the_answer() -> None:
    done = run_cli("ask", "--speak", "--output-device", "no-such-card", "what is discitis")
    assert done.returncode == 0
    assert "They include osteomyelitis and discitis" in done.stdout
    assert done.stderr.count("no audio output device") == 1 and "printed instead" in done.stderr


def test_ask_to_wav_writes_the_spoken_answer(tmp_path: os.PathLike[str]) -> None:
    from pathlib import Path

    from voiceguide.audio import read_wav

    out = Path(tmp_path) / "answer.wav"
    done = run_cli("ask", "--to-wav", str(out), "what is discitis")
    assert done.returncode == 0 and out.exists()
    audio = read_wav(out)
    assert audio.rate == 22050 and 3.0 < audio.duration < 15.0
    bad = run_cli("ask", "--to-wav", str(Path(tmp_path) / "missing" / "a.wav"), "what is discitis")
    assert bad.returncode == 2 and "folder does not exist" in bad.stderr
    assert list(Path(tmp_path).iterdir()) == [out]
