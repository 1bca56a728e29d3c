"""Audio as the guide handles it: mono 16-bit PCM with its sample rate.

Reading accepts WAV files of any rate and channel count (mixed to mono and
resampled with soxr); writing is atomic (written aside, then renamed).
"""

from __future__ import annotations

import os
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .errors import VoiceGuideError

Samples = npt.NDArray[np.int16]


class AudioError(VoiceGuideError):
    """An audio file or stream the guide cannot use. The message names it."""


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


def read_wav(path: Path, rate: int | None = None) -> Audio:
    """Read a PCM WAV file, mixed to mono and resampled to ``rate`` if given."""
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, file_rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            frames = wav.getnframes()
            data = wav.readframes(frames)
    except FileNotFoundError:
        raise AudioError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AudioError(f"{path}: is a folder, not a WAV file") from None
    except (wave.Error, EOFError) as exc:
        raise AudioError(f"{path}: not a readable WAV file ({exc})") from None
    except OSError as exc:
        raise AudioError(f"{path}: cannot read ({exc.strerror})") from None
    if width not in (1, 2, 4):
        raise AudioError(f"{path}: unsupported sample width of {width * 8} bits")
    streaming = frames * channels * width >= 0x7FFF0000  # a header written before the length was known
    if len(data) < frames * channels * width and not streaming:
        raise AudioError(f"{path}: file is truncated ({len(data)} of {frames * channels * width} bytes)")
    if file_rate <= 0 or channels <= 0:
        raise AudioError(f"{path}: invalid header")
    audio = Audio(to_mono_int16(data, channels, width), file_rate)
    return audio.resampled(rate) if rate else audio


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
    RATES = (1000, 384000)

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
    """Write a mono 16-bit WAV atomically: no partial file is ever left at ``path``."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent or ".")
    except FileNotFoundError:
        raise AudioError(f"{path}: folder does not exist") from None
    except PermissionError:
        raise AudioError(f"{path}: folder is not writable") from None
    try:
        with os.fdopen(fd, "wb") as raw, wave.open(raw, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(audio.rate)
            wav.writeframes(audio.to_bytes())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise AudioError(f"{path}: cannot write ({exc.strerror})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
