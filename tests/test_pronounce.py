"""Pronunciation for the ear: the spoken forms in content/pronunciations.yaml give the phonemes they
record, in espeak-ng and in Piper's phonemizer; every voice is given them; the text keeps the word."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from voiceguide.audio import Audio
from voiceguide.content import load_content
from voiceguide.errors import DataErrors
from voiceguide.guide import Guide
from voiceguide.pronounce import Lexicon
from voiceguide.speak import EspeakSynthesizer, Speech

NEEDED = {"MISS", "discitis", "osteomyelitis", "debridement"}


def test_the_lexicon_has_the_words_the_synthesisers_misread(guide: Guide) -> None:
    lexicon = guide.content.pronunciations
    assert {e.word for e in lexicon.entries} >= NEEDED
    assert lexicon.apply("MISS treats discitis and osteomyelitis; Debridement too. I miss it.") == (
        "em eye ess ess treats diskitis and osteo-myelitis; de-breedment too. I miss it.")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs the espeak-ng program")
def test_espeak_ng_reads_each_spoken_form_as_recorded(guide: Guide) -> None:
    for entry in guide.content.pronunciations.entries:
        said = subprocess.run(["espeak-ng", "-q", "-x", "-v", "en-us", entry.say], capture_output=True,
                              text=True, check=True).stdout.strip()
        assert said == entry.espeak, entry.word
        # The word itself is misread, or the entry would not be needed.
        raw = subprocess.run(["espeak-ng", "-q", "-x", "-v", "en-us", entry.word], capture_output=True,
                             text=True, check=True).stdout.strip()
        assert raw != said, entry.word


def test_pipers_phonemizer_reads_each_spoken_form_as_recorded(guide: Guide) -> None:
    phonemize_espeak = pytest.importorskip("piper.phonemize_espeak")
    phonemizer = phonemize_espeak.EspeakPhonemizer()
    for entry in guide.content.pronunciations.entries:
        phonemes = "".join("".join(sentence) for sentence in phonemizer.phonemize("en-us", entry.say))
        assert phonemes == entry.piper, entry.word


class _Listening(EspeakSynthesizer):
    """The real espeak-ng voice, noting the text it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.given: list[str] = []

    def synthesize(self, text: str, rate: float) -> Audio:
        self.given.append(text)
        return super().synthesize(text, rate)


def test_speech_gives_the_voice_the_spoken_form_and_keeps_the_written_word(guide: Guide) -> None:
    synthesizer = _Listening()
    speech = Speech(synthesizer, lexicon=guide.content.pronunciations)
    (sentence,) = speech.sentences("It is called MISS for short.")
    assert sentence.text == "It is called MISS for short."  # printed and captioned as written
    assert synthesizer.given == ["It is called em eye ess ess for short."]
    # Four letters take longer to say than one word: the listener hears the letters.
    plain = Speech(EspeakSynthesizer(), lexicon=Lexicon()).sentence_audio("It is called MISS for short.")
    assert sentence.audio.duration > plain.duration + 0.4


def test_a_word_in_capitals_without_a_spoken_form_is_reported(data_copy: tuple[Path, Path]) -> None:
    content, _ = data_copy
    path = content / "topics.yaml"
    text = path.read_text()
    old = "Patients are usually advised to join a rehabilitation programme."
    assert old in text
    path.write_text(text.replace(old, "Patients are usually advised to join an NHS rehabilitation programme.", 1))
    with pytest.raises(DataErrors) as caught:
        load_content(content)
    line = text[: text.index(old)].count("\n") + 1
    found = [str(e) for e in caught.value.errors]
    assert any(e.startswith(f"{path}:") and "'NHS' is in capitals but has no spoken form" in e
               and int(e.split(":")[1]) in range(line - 3, line + 1) for e in found), found
