"""Audio files in: every WAV variant, FLAC, Ogg and MP3 through libsndfile, and a batch that
survives a bad file. The questions are spoken by the Piper voice, rendered once for the module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from voiceguide.audio import Audio, AudioError, read_wav, write_wav
from voiceguide.dialogue import Conversation
from voiceguide.guide import Guide

from .cli import voiceguide
from .conftest import REPO
from .speech import spoken

# On one worker (pytest-xdist --dist loadgroup): the module's files rendered once, not once a worker.
pytestmark = pytest.mark.xdist_group("audio_in")

# A question for each format, so that the batch also shows the answers keep the files' order.
FORMATS = {
    # name: (file suffix, soundfile format, subtype, channels, question, intent)
    "float32": ("wav", "WAV", "FLOAT", 1, "what are the symptoms", "fact.symptoms"),
    "wavex-stereo-24": ("wav", "WAVEX", "PCM_24", 2, "how is the operation performed", "fact.techniques"),
    "int24": ("wav", "WAV", "PCM_24", 1, "will I need physiotherapy", "fact.rehabilitation"),
    "flac": ("flac", "FLAC", "PCM_16", 1, "next topic please", "control.next"),
    "vorbis": ("ogg", "OGG", "VORBIS", 1, "could you repeat that please", "control.repeat"),
    "opus": ("opus", "OGG", "OPUS", 1, "start over", "control.start_over"),
    "mp3": ("mp3", "MP3", "MPEG_LAYER_III", 2, "what are the symptoms", "fact.symptoms"),
}
# Opus takes only these rates; the others are written at the voice's own.
OPUS_RATE = 48000


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voiceguide", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=180)


def write_as(path: Path, audio: Audio, fmt: str, subtype: str, channels: int = 1) -> Path:
    """``audio`` written by libsndfile in the given format, the same sound in every channel."""
    if subtype == "OPUS":
        audio = audio.resampled(OPUS_RATE)
    samples = audio.samples[:, None].repeat(channels, axis=1)
    # Integer samples go in as int16, which libsndfile widens exactly; float files hold -1 to 1, as
    # recorders write them (libsndfile would store int16 given as is, unscaled, in a float file).
    data = samples / 32768.0 if subtype in ("FLOAT", "DOUBLE", "VORBIS", "OPUS", "MPEG_LAYER_III") else samples
    soundfile.write(str(path), data, audio.rate, format=fmt, subtype=subtype)
    return path


@pytest.fixture(scope="module")
def questions() -> dict[str, Audio]:
    return {text: spoken(text) for text in {f[4] for f in FORMATS.values()}}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, questions: dict[str, Audio]) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("formats")
    readable = soundfile.available_formats()  # MP3 needs libsndfile 1.1 or later, built with it
    return {name: write_as(folder / f"{name}.{suffix}", questions[text], fmt, subtype, channels)
            for name, (suffix, fmt, subtype, channels, text, _intent) in FORMATS.items() if fmt in readable}


@pytest.mark.parametrize(("fmt", "subtype", "channels", "tolerance"), [
    ("WAV", "PCM_U8", 1, 256),  # 8 bits keep only the top byte of each sample
    ("WAV", "PCM_16", 2, 0),
    ("WAV", "PCM_24", 1, 0),
    ("WAV", "PCM_32", 3, 0),
    ("WAV", "FLOAT", 1, 0),
    ("WAV", "DOUBLE", 2, 0),
    ("WAVEX", "PCM_16", 1, 0),
    ("WAVEX", "PCM_24", 2, 0),
    ("WAVEX", "FLOAT", 6, 0),
    ("FLAC", "PCM_24", 2, 0),
])
def test_lossless_files_read_back_the_same_samples(tmp_path: Path, questions: dict[str, Audio], fmt: str,
                                                   subtype: str, channels: int, tolerance: int) -> None:
    audio = questions["what are the symptoms"]
    path = write_as(tmp_path / "q", audio, fmt, subtype, channels)
    back = read_wav(path)
    assert back.rate == audio.rate and len(back.samples) == len(audio.samples)
    assert np.abs(back.samples.astype(np.int32) - audio.samples).max() <= tolerance


def test_lossy_files_read_back_the_same_length_and_loudness(files: dict[str, Path],
                                                            questions: dict[str, Audio]) -> None:
    for name in ("vorbis", "opus", "mp3"):
        if name not in files:
            continue
        original = questions[FORMATS[name][4]]
        back = read_wav(files[name], original.rate)
        # The codecs pad a little at the start (MP3 most); the sound itself must be there at its loudness.
        assert back.duration == pytest.approx(original.duration, abs=0.08), name
        rms = [float(np.sqrt(np.mean(a.samples.astype(np.float64) ** 2))) for a in (original, back)]
        assert rms[1] == pytest.approx(rms[0], rel=0.1), name


def test_channels_are_mixed_and_float_past_full_scale_is_clipped(tmp_path: Path) -> None:
    left = np.array([0.5, -0.5, 0.25, 2.0, -3.0, np.nan])
    right = np.array([0.5, 0.5, 0.0, 2.0, -3.0, 0.0])
    path = tmp_path / "mix.wav"
    soundfile.write(str(path), np.stack([left, right], axis=1), 16000, format="WAV", subtype="FLOAT")
    assert read_wav(path).samples.tolist() == [16384, 0, 4096, 32767, -32768, 0]


def test_a_wav_whose_header_never_got_its_length_is_read_whole(tmp_path: Path) -> None:
    # espeak-ng --stdout writes its WAV before it knows the length, as recorders that stream do.
    done = subprocess.run(["espeak-ng", "--stdout", "what are the symptoms"], capture_output=True, check=True)
    path = tmp_path / "streamed.wav"
    path.write_bytes(done.stdout)
    assert int.from_bytes(done.stdout[40:44], "little") >= 0x7FFF0000  # the data length espeak-ng leaves
    assert read_wav(path).duration == pytest.approx((len(done.stdout) - 44) / 2 / 22050, abs=0.001)


def cut(path: Path, fraction: float = 0.5) -> Path:
    out = path.with_name(f"cut-{path.name}")
    data = path.read_bytes()
    out.write_bytes(data[: int(len(data) * fraction)])
    return out


def test_bad_files_are_one_line_naming_the_file_and_the_problem(tmp_path: Path, files: dict[str, Path],
                                                                 questions: dict[str, Audio]) -> None:
    plain = tmp_path / "plain.wav"
    write_wav(plain, questions["what are the symptoms"])
    text = tmp_path / "notes.wav"
    text.write_text("not audio at all")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    silent = tmp_path / "header-only.wav"
    soundfile.write(str(silent), np.zeros(0), 16000, format="WAV", subtype="FLOAT")
    pipe = tmp_path / "pipe.wav"
    os.mkfifo(pipe)  # would wait for a writer for ever
    one_hertz = tmp_path / "one-hertz.wav"
    soundfile.write(str(one_hertz), np.zeros(100), 1, format="WAV", subtype="PCM_16")  # resampled: gigabytes
    cases = [
        (tmp_path / "absent.wav", "no such file"),
        (pipe, "is a pipe, not an audio file"),
        (one_hertz, r"has an unsupported sample rate of 1 Hz \(use 1000 to 384000\)"),
        (tmp_path, "is a folder, not an audio file"),
        (text, r"not a readable audio file \(Format not recognised\)"),
        (empty, r"is empty \(0 bytes\)"),
        (silent, r"is empty \(no sound in it\)"),
        (cut(plain), r"is truncated \(\d+ of \d+ bytes of sound\)"),
        (cut(files["float32"]), r"is truncated \(\d+ of \d+ bytes of sound\)"),
        (cut(files["flac"]), r"is truncated or damaged \(flac decoder lost sync\)"),
        (cut(files["vorbis"]), r"is truncated \(its Ogg stream stops before its end\)"),
        (cut(files["opus"], 0.2), r"not a readable audio file \(Supported file format but file is malformed\)"),
    ]
    for path, problem in cases:
        with pytest.raises(AudioError, match=problem) as caught:
            read_wav(path)
        assert caught.value.path == path and str(caught.value) == f"{path}: {caught.value.problem}"
        assert "\n" not in str(caught.value)


@pytest.mark.slow  # about 8 s here: seven questions through the engine
def test_every_format_is_answered_with_its_intent(files: dict[str, Path]) -> None:
    done = run_cli("ask", "--audio", *map(str, files.values()), "--json", "--engine", "pocketsphinx")
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["intent"] for r in results] == [FORMATS[name][5] for name in files], results
    assert done.stderr.count("speech recognition: PocketSphinx") == 1


def test_a_bad_file_in_a_batch_gets_an_error_in_its_place(files: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio at all")
    batch = [str(files["int24"]), str(bad), str(files["flac"])]
    done = voiceguide("ask", "--audio", *batch, "--json", "--engine", "pocketsphinx")
    assert done.returncode == 2
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r.get("intent") for r in results] == ["fact.rehabilitation", None, "control.next"]
    assert results[1] == {"file": str(bad), "error": "not a readable audio file (Format not recognised)"}
    problems = [line for line in done.stderr.splitlines() if line.startswith("voiceguide ask:")]
    assert problems == [f"voiceguide ask: {bad}: not a readable audio file (Format not recognised)"]
    assert "Traceback" not in done.stderr and done.stderr.count("speech recognition: PocketSphinx") == 1


def test_without_json_the_bad_file_gets_a_line_in_its_place(files: dict[str, Path], tmp_path: Path,
                                                            guide: Guide) -> None:
    absent = tmp_path / "absent.flac"
    done = voiceguide("ask", "--audio", str(absent), str(files["float32"]), "--engine", "pocketsphinx")
    assert done.returncode == 2
    typed = Conversation(guide, ask_back=False).respond("what are the symptoms").text
    assert done.stdout.splitlines() == [f"Could not read {absent}: no such file.", typed]
    assert done.stderr.splitlines()[-1] == f"voiceguide ask: {absent}: no such file"
