"""Audio as the guide handles it: mono 16-bit PCM with its sample rate.

Reading goes through libsndfile (``soundfile``): WAV of every kind, FLAC, Ogg
Vorbis and Opus, MP3, mixed to mono and resampled with soxr. Writing is WAV,
atomic (written aside, then renamed).
"""

from __future__ import annotations

import os
import re
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .errors import VoiceGuideError
from .files import replacing, special

SAMPLE_RATES = (1000, 384_000)
"""The sample rates read, in files and streams: resampling a file said to be at 1 Hz up to 16 kHz
would need gigabytes."""

Samples = npt.NDArray[np.int16]


class AudioError(VoiceGuideError):
    """An audio file or stream the guide cannot use. The message names it."""

    def __init__(self, problem: str, path: Path | str | None = None) -> None:
        self.problem = problem
        """What is wrong, in a few words, without the file's name."""
        self.path = path
        """The file, when the error is about one."""
        super().__init__(f"{path}: {problem}" if path is not None else problem)


@dataclass(frozen=True)
class Audio:
    """Mono 16-bit PCM."""

    samples: Samples
    """The samples, int16, one channel."""
    rate: int
    """Samples per second."""

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.rate

    def to_bytes(self) -> bytes:
        """Little-endian 16-bit PCM, as WAV files and sound cards take it."""
        return self.samples.astype("<i2", copy=False).tobytes()

    def resampled(self, rate: int) -> Audio:
        """The same sound at another sample rate."""
        if rate == self.rate:
            return self
        if not len(self.samples):
            return Audio(self.samples, rate)
        import soxr  # imported here: only resampling needs it

        out = soxr.resample(self.samples, self.rate, rate, quality="HQ")
        return Audio(np.asarray(out, dtype=np.int16), rate)

    def scaled(self, gain: float) -> Audio:
        """Louder or quieter, clipped to the 16-bit range."""
        if gain == 1.0:
            return self
        out = np.clip(self.samples.astype(np.float32) * gain, -32768, 32767)
        return Audio(out.astype(np.int16), self.rate)


LOUD_BACKGROUND_DB = 20.0
"""Speech whose loud frames stand less than this above its quiet ones (the 90th percentile of its
10 ms frame levels over the 20th) was heard over a loud background. Measured over the dev writers'
clips (bench/speech_in.py --set dev): babble at 5 dB 7 to 14 dB (median 10), pink noise at 10 dB 7
to 18 (median 14), the reverberant room 8 to 21 (median 19), clean speech 28 and up."""


def over_loud_background(levels_db: npt.ArrayLike) -> bool:
    """Speech whose 10 ms frame levels (dB) these are was heard over a loud background (noise, other
    voices, a room's echo): see LOUD_BACKGROUND_DB."""
    levels = np.asarray(levels_db, dtype=np.float64)
    return len(levels) > 0 and float(np.percentile(levels, 90) - np.percentile(levels, 20)) < LOUD_BACKGROUND_DB


def silence(seconds: float, rate: int) -> Audio:
    """Digital silence of the given length."""
    return Audio(np.zeros(round(seconds * rate), dtype=np.int16), rate)


def concat(parts: list[Audio], rate: int) -> Audio:
    """Parts joined end to end, each resampled to ``rate`` first."""
    arrays = [p.resampled(rate).samples for p in parts]
    return Audio(np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int16), rate)


def from_pcm_bytes(data: bytes, rate: int) -> Audio:
    """Audio from raw little-endian 16-bit mono PCM."""
    usable = len(data) - len(data) % 2
    return Audio(np.frombuffer(data[:usable], dtype="<i2").astype(np.int16), rate)


# libsndfile reads what there is of a cut file and says so only in its log (``extra_info``):
# a WAV's declared data length, or an Ogg stream whose last page is not marked as the last.
_WAV_DATA_LENGTH = re.compile(r"^data\s*:\s*(\d+) \(should be (\d+)\)", re.MULTILINE)
_OGG_CUT = re.compile(r"end-of-stream", re.IGNORECASE)
# A WAV length this large was written before the real one was known (espeak-ng --stdout, a recorder
# that streams): the file is whole, its header just never got the length.
_STREAMING_LENGTH = 0x7FFF0000


def read_wav(path: Path, rate: int | None = None) -> Audio:
    """Read an audio file, mixed to mono and resampled to ``rate`` if given.

    Named for its first format, it reads whatever the installed libsndfile reads: WAV with 8 to 32-bit
    integer or 32 and 64-bit float samples, plain or extensible, any channel count; FLAC; Ogg Vorbis and
    Opus; MP3 (libsndfile 1.1 and later). A missing, empty, cut or non-audio file is an
    :class:`AudioError` naming the file and the problem.
    """
    import soundfile  # imported here, as soxr is: only the commands that read audio load libsndfile

    path = Path(path)
    kind = special(path)
    if kind:
        raise AudioError(f"is {kind}, not an audio file", path)
    opened = False
    try:
        with open(path, "rb") as raw:
            if os.fstat(raw.fileno()).st_size == 0:
                raise AudioError("is empty (0 bytes)", path)
            with soundfile.SoundFile(raw) as sound:
                opened = True
                # An MP3 without a Xing tag has no length: libsndfile's count is a guess from its first frame.
                declared = sound.frames if sound.format != "MP3" else 0
                file_rate = sound.samplerate
                data = sound.read(dtype="float32", always_2d=True)
                log = sound.extra_info
    except FileNotFoundError:
        raise AudioError("no such file", path) from None
    except IsADirectoryError:
        raise AudioError("is a folder, not an audio file", path) from None
    except soundfile.LibsndfileError as exc:
        reason = re.sub(r"^Error\s*:\s*", "", " ".join(exc.error_string.split())).rstrip(".")
        if opened:
            raise AudioError(f"is truncated or damaged ({reason})", path) from None
        raise AudioError(f"not a readable audio file ({reason})", path) from None
    except OSError as exc:
        raise AudioError(f"cannot read ({exc.strerror})", path) from None
    _check_whole(path, log, len(data), declared)
    if not len(data):
        raise AudioError("is empty (no sound in it)", path)
    # Float files may hold values past full scale, or even NaN: clipped, never wrapped round.
    mono = np.nan_to_num(data.mean(axis=1) * 32768.0)
    samples: Samples = np.clip(np.round(mono), -32768, 32767).astype(np.int16)
    if not SAMPLE_RATES[0] <= file_rate <= SAMPLE_RATES[1]:
        raise AudioError(f"has an unsupported sample rate of {file_rate} Hz (use {SAMPLE_RATES[0]} to "
                         f"{SAMPLE_RATES[1]})", path)
    audio = Audio(samples, file_rate)
    return audio.resampled(rate) if rate else audio


def _check_whole(path: Path, log: str, got: int, declared: int) -> None:
    """Raise :class:`AudioError` when the file was cut short, as far as libsndfile lets us tell."""
    wav = _WAV_DATA_LENGTH.search(log)
    if wav:
        said, there = int(wav[1]), int(wav[2])
        if there < said < _STREAMING_LENGTH:
            raise AudioError(f"is truncated ({there} of {said} bytes of sound)", path)
    if _OGG_CUT.search(log):
        raise AudioError("is truncated (its Ogg stream stops before its end)", path)
    if got < declared:
        raise AudioError(f"is truncated ({got} of {declared} samples)", path)


def to_mono_int16(data: bytes, channels: int, width: int) -> Samples:
    """Interleaved PCM of 1, 2 or 4 bytes a sample, mixed down to mono 16-bit."""
    if width == 1:
        wide = (np.frombuffer(data, dtype=np.uint8).astype(np.int32) - 128) << 8
    elif width == 2:
        wide = np.frombuffer(data, dtype="<i2").astype(np.int32)
    else:
        wide = np.frombuffer(data, dtype="<i4").astype(np.int64) >> 16
    usable = len(wide) - len(wide) % channels
    mono = wide[:usable].reshape(-1, channels).mean(axis=1)
    samples: Samples = np.clip(mono, -32768, 32767).astype(np.int16)
    return samples


class PcmConverter:
    """Streamed PCM of any rate, width and channel count to mono 16-bit at ``rate``, chunk by chunk.

    Mixed down and resampled as :func:`read_wav` does (mean of the channels, soxr at high
    quality), so a stream heard in pieces sounds the same to a recogniser as the file read whole.
    A chunk may end inside a sample frame; the rest is kept for the next one.
    """

    WIDTHS = (1, 2, 4)
    MAX_CHANNELS = 8
    RATES = SAMPLE_RATES

    def __init__(self, rate: int, width: int, channels: int, to_rate: int) -> None:
        if width not in self.WIDTHS:
            raise AudioError(f"unsupported sample width of {width} bytes (use 1, 2 or 4)")
        if not 1 <= channels <= self.MAX_CHANNELS:
            raise AudioError(f"unsupported channel count {channels} (use 1 to {self.MAX_CHANNELS})")
        if not self.RATES[0] <= rate <= self.RATES[1]:
            raise AudioError(f"unsupported sample rate {rate} Hz (use {self.RATES[0]} to {self.RATES[1]})")
        self.format = (rate, width, channels)
        self._frame = width * channels
        self._left = b""
        self._resampler = None
        if rate != to_rate:
            import soxr

            self._resampler = soxr.ResampleStream(rate, to_rate, 1, dtype="int16", quality="HQ")

    def convert(self, data: bytes, last: bool = False) -> bytes:
        """Mono 16-bit PCM at the target rate for ``data``; with ``last``, also what the resampler held back."""
        data = self._left + data
        usable = len(data) - len(data) % self._frame
        self._left = data[usable:]
        _rate, width, channels = self.format
        mono = to_mono_int16(data[:usable], channels, width)
        if self._resampler is not None:
            mono = np.asarray(self._resampler.resample_chunk(mono, last=last), dtype=np.int16)
        return mono.astype("<i2", copy=False).tobytes()


def write_wav(path: Path, audio: Audio) -> None:
    """Write a mono 16-bit WAV atomically (no partial file is ever left at ``path``),
    with the mode the umask gives."""
    path = Path(path)
    try:
        with replacing(path) as raw, wave.open(raw, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(audio.rate)
            wav.writeframes(audio.to_bytes())
    except FileNotFoundError:
        raise AudioError(f"{path}: folder does not exist") from None
    except PermissionError:
        raise AudioError(f"{path}: folder is not writable") from None
    except OSError as exc:
        raise AudioError(f"{path}: cannot write ({exc.strerror})") from None
