"""What the understanding stage makes of speech already heard: bench/speech_in.py's clips again, no decoding.

Usage: python bench/speech_replay.py CLIPS [--changes] [--let-through]

CLIPS is the file bench/speech_in.py --clips wrote (dev set only): for each clip, what the engine
heard (its words, confidence, command pass and next-best readings). Each is understood and answered
again with the guide as it is now, and scored as the benchmark scores it, so a change to the
understanding stage is measured on the same transcripts in seconds instead of decoding every clip
again. The recorded verdicts are the "before": --changes lists every clip whose verdict changed.
Whisper's readings are first cleaned as the engine now cleans them (whisper_engine.readings_once, and
its prompt said back left out, PromptEcho), so that a change there is measured too; the clips hold no
levels, so for PromptEcho the noisy conditions (pink noise, babble, the room) stand for a loud
background, and clean speech and the tempo changes for a quiet room. So they do for the stricter reject
rule over noise (understand.HEARD_UNSURE_NOISY) in clips written before the listener marked each
utterance heard over a loud background (Transcript.noisy); newer clips carry the listener's mark.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from speech_in import Item, rejected, score  # noqa: E402 (bench/: this script's own folder)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", type=Path)
    parser.add_argument("--changes", action="store_true", help="list every clip whose verdict changed")
    parser.add_argument("--let-through", action="store_true",
                        help="list every out-of-scope clip the guide now answers with the article's content")
    args = parser.parse_args()
    from voiceguide.app import listening_vocabulary
    from voiceguide.dialogue import Conversation
    from voiceguide.guide import load_guide
    from voiceguide.recognize import Transcript
    from voiceguide.understand import understand_heard
    from voiceguide.whisper_engine import PromptEcho, readings_once

    guide = load_guide()
    echo = PromptEcho.of(listening_vocabulary(guide).prompt)
    units = {u.id: u for u in guide.content.units}
    tally: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for line in args.clips.read_text(encoding="utf-8").splitlines():
        clip = json.loads(line)
        item = Item(**{**clip["item"], "sentences": tuple(clip["item"]["sentences"])})
        loud = clip["condition"].startswith(("pink", "babble", "room"))
        # Clips from before the listener marked noise stand for it by their condition.
        heard = Transcript(**{"noisy": loud, **clip["heard"], "alternatives": tuple(clip["heard"]["alternatives"])})
        if clip["engine"].startswith("whisper"):  # its readings as the engine now gives them
            once = readings_once((heard.text, heard.confidence, heard.alternatives))
            text, confidence, alternatives = echo.dropped(once, loud=loud)
            heard = dataclasses.replace(heard, text=text, confidence=confidence, alternatives=alternatives)
        understanding = understand_heard(guide.understander, heard.text, heard.command, heard.alternatives,
                                         heard.confidence, heard.noisy)
        reply = Conversation(guide, ask_back=False).respond(heard.text, understanding, noisy=heard.noisy)
        right, refused = score(item, reply, units), rejected(reply)
        t = tally[clip["condition"]]
        if right is not None:
            t["scored"] += 1
            t["right"] += right
            t["before"] += bool(clip["right"])
            t["typed"] += bool(clip["typed_right"])
        if item.kind == "out_of_scope":
            t["out_of_scope"] += 1
            t["rejected"] += refused
            t["rejected_before"] += clip["rejected"]
        if args.let_through and item.kind == "out_of_scope" and not refused:
            print(f"  let through [{clip['condition']} {clip['voice']}] {item.text!r} heard {heard.text!r} "
                  f"({heard.confidence:.2f}) -> {reply.intent}", file=sys.stderr)
        if args.changes and (right != clip["right"] or (item.kind == "out_of_scope" and refused != clip["rejected"])):
            was = "right" if clip["right"] else "rejected" if clip["rejected"] else "wrong"
            now = "right" if right else "rejected" if refused else "wrong"
            print(f"  {was} -> {now} [{clip['condition']} {clip['voice']}] ({item.kind}) {item.text!r} heard "
                  f"{heard.text!r} ({heard.confidence:.2f}) -> {reply.intent}", file=sys.stderr)
    print("| condition | answered before | now | typed | out of scope rejected before | now |")
    print("|---|---|---|---|---|---|")
    for condition, t in tally.items():
        scored, oos = max(1, t["scored"]), t["out_of_scope"]
        print(f"| {condition} | {t['before'] / scored:.1%} | {t['right'] / scored:.1%} | {t['typed'] / scored:.1%} | "
              f"{t['rejected_before']}/{oos} | {t['rejected']}/{oos} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
