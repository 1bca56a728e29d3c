"""Speech out, synthesis: real espeak-ng (through pyttsx3) and the real Piper voice."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from voiceguide.audio import Audio
from voiceguide.speak import (
    EspeakSynthesizer,
    PiperSynthesizer,
    Speech,
    SynthesisError,
    Synthesizer,
    split_sentences,
)

TEXT = "Care after the operation is crucial. Patients are usually advised to join a rehabilitation programme."


@pytest.fixture(scope="module")
def espeak() -> Speech:
    return Speech(EspeakSynthesizer())


def test_sentences_are_split_and_kept_in_order() -> None:
    assert split_sentences("One here. Two there?  Three!\nFour") == ["One here.", "Two there?", "Three!", "Four"]
    assert split_sentences("   ") == []


def test_espeak_gives_pcm_of_plausible_length(espeak: Speech) -> None:
    sentences = list(espeak.sentences(TEXT))
    assert [s.text for s in sentences] == split_sentences(TEXT)
    for sentence in sentences:
        audio = sentence.audio
        assert audio.rate == 22050 and audio.samples.dtype == np.int16
        assert 1.0 < audio.duration < 8.0
        assert np.abs(audio.samples).max() > 1000


def test_numbers_read_out_at_length_are_plausible(espeak: Speech) -> None:
    # Home Assistant sends the Wyoming service any text, numbers included.
    for number in ("64389854", "77777777", "12:45 on 31 December 2026."):
        assert espeak.sentence_audio(number).duration > 1.0


def test_rate_changes_duration(espeak: Speech) -> None:
    normal = espeak.sentence_audio(TEXT, 1.0).duration
    slow = espeak.sentence_audio(TEXT, 0.7).duration
    fast = espeak.sentence_audio(TEXT, 1.3).duration
    assert fast < normal < slow
    assert 1.2 < slow / normal < 1.7


def test_volume_scales_samples(espeak: Speech) -> None:
    loud = next(espeak.sentences("Hello there.", volume=1.0)).audio
    quiet = next(espeak.sentences("Hello there.", volume=0.5)).audio
    assert np.abs(quiet.samples).max() == pytest.approx(np.abs(loud.samples).max() * 0.5, abs=2)


def test_a_repeat_comes_from_the_cache(espeak: Speech) -> None:
    first = espeak.sentence_audio("Say it once more please.", 1.0)
    hits = espeak.hits
    again = espeak.sentence_audio("Say it once more please.", 1.0)
    assert again is first and espeak.hits == hits + 1
    other_rate = espeak.sentence_audio("Say it once more please.", 0.8)
    assert other_rate is not first and espeak.hits == hits + 1


def test_render_times_each_sentence_without_overlap(espeak: Speech) -> None:
    audio, cues = espeak.render(TEXT)
    assert [c[2] for c in cues] == split_sentences(TEXT)
    assert cues[0][0] == 0.0 and cues[-1][1] == pytest.approx(audio.duration, abs=0.001)
    for (_, end, _), (start, _, _) in itertools.pairwise(cues):
        assert end < start


def test_unknown_voice_is_a_clear_error() -> None:
    with pytest.raises(SynthesisError, match="no voice called 'xx-nowhere'"):
        EspeakSynthesizer("xx-nowhere")


class FlakyOnce(Synthesizer):
    """Real espeak-ng that returns nothing the first time (as the issue saw pyttsx3 do)."""

    def __init__(self, failures: int) -> None:
        self.inner = EspeakSynthesizer()
        self.engine, self.version, self.voice = "flaky", "1", "en-us"
        self.sample_rate = self.inner.sample_rate
        self.failures = failures
        self.calls = 0

    def synthesize(self, text: str, rate: float) -> Audio:
        self.calls += 1
        if self.calls <= self.failures:
            return Audio(np.zeros(0, dtype=np.int16), self.sample_rate)
        return self.inner.synthesize(text, rate)


def test_an_empty_result_is_retried_once() -> None:
    synth = FlakyOnce(failures=1)
    audio = Speech(synth).sentence_audio("This works the second time.")
    assert synth.calls == 2 and audio.duration > 0.5


def test_two_empty_results_raise_a_clear_error() -> None:
    with pytest.raises(SynthesisError, match=re.escape("could not speak 'Never works.': no audio")):
        Speech(FlakyOnce(failures=2)).sentence_audio("Never works.")


def test_the_natural_voice_speaks_through_the_same_interface() -> None:
    speech = Speech(PiperSynthesizer())
    audio, cues = speech.render(TEXT)
    assert audio.rate == 22050 and len(cues) == 2
    assert 3.0 < audio.duration < 15.0
    assert speech.synthesizer.voice.startswith("en_US-joe")
