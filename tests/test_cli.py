"""The command line, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from voiceguide.cli import main
from voiceguide.guide import Guide

from .cli import voiceguide
from .conftest import REPO


def run(*args: str, stdin: str | None = None, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The command, in this process (tests/cli.py); a separate run for each call, config file and all."""
    return voiceguide(*args, stdin=stdin, **({"VOICEGUIDE_CONFIG": str(config)} if config else {}))


def spawn(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m voiceguide ARGS``, a process of its own, as a user starts it."""
    return subprocess.run([sys.executable, "-m", "voiceguide", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)


def ask_json(capsys: pytest.CaptureFixture[str], question: str) -> dict[str, object]:
    assert main(["ask", "--json", question]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    result = json.loads(out)
    assert isinstance(result, dict)
    return result


def test_ask_json_answers_every_topic(capsys: pytest.CaptureFixture[str], guide: Guide) -> None:
    for topic in guide.content.topics:
        intent = next(i for i in guide.intents.intents if i.topic == topic.id)
        question = " ".join(intent.sentences[0])
        result = ask_json(capsys, question)
        assert set(result) == {"transcript", "intent", "unit", "confidence", "understood", "answer"}
        assert result["transcript"] == question and result["intent"] == intent.name
        assert result["understood"] is True and result["confidence"] == 1.0
        assert str(result["answer"]).startswith(topic.short) and result["unit"] == topic.lead


def test_ask_json_names_the_answer_unit(capsys: pytest.CaptureFixture[str], guide: Guide) -> None:
    result = ask_json(capsys, "what is debridement")
    assert result["intent"] == "fact.debridement" and result["unit"] == "debridement"
    assert str(result["answer"]).startswith(guide.content.unit("debridement").text)


def test_ask_json_out_of_scope(capsys: pytest.CaptureFixture[str]) -> None:
    result = ask_json(capsys, "what's the weather tomorrow")
    assert result["intent"] is None and result["understood"] is False and result["unit"] is None
    assert "does not cover" in str(result["answer"])


def test_ask_prints_the_spoken_answer() -> None:
    done = spawn("ask", "how", "long", "is", "recovery")
    assert done.returncode == 0 and done.stderr == ""
    assert "rehabilitation" in done.stdout and "no exact figure" in done.stdout


def test_chat_keeps_context_through_a_pipe(guide: Guide) -> None:
    done = run("chat", stdin="what are the symptoms\nmore\nnext\nwhere am i\ngoodbye\nnever read\n")
    lines = done.stdout.splitlines()
    symptoms = guide.content.topic("symptoms")
    assert done.returncode == 0
    assert lines[0] == " ".join([guide.content.unit("symptoms").text,
                                 guide.content.replies.say("offer_more", title=symptoms.title.lower())])
    assert lines[1] == symptoms.detail
    assert lines[2].startswith(f"Topic {symptoms.number + 1},")
    assert lines[3].startswith(f"You are on topic {symptoms.number + 1} of")
    assert lines[4] == guide.content.replies.say("goodbye") and len(lines) == 5


def test_continue_where_i_left_off_after_a_restart(tmp_path: Path, guide: Guide) -> None:
    config = tmp_path / "config.yaml"
    first = run("chat", stdin="how long is recovery\nslower please\ngoodbye\n", config=config)
    assert first.returncode == 0, first.stderr
    recovery = guide.content.topic("recovery")
    again = run("chat", "--json", stdin="continue where I left off\n", config=config)
    (reply,) = [json.loads(line) for line in again.stdout.splitlines()]
    assert reply["intent"] == "control.continue_last"
    assert reply["answer"] == f"Topic {recovery.number}, {recovery.title}. {recovery.short}"
    assert "last_topic: recovery" in config.read_text() and "rate_step: 3" in config.read_text()
    fresh = run("chat", "--json", stdin="continue where I left off\n", config=tmp_path / "new.yaml")
    assert json.loads(fresh.stdout)["answer"].startswith(guide.content.replies.say("nothing_to_continue"))


def test_chat_json_gives_one_object_per_line() -> None:
    done = run("chat", "--json", stdin="repeat\nwhat is discitis\n")
    objects = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["intent"] for o in objects] == ["control.repeat", "fact.infection_kinds"]


def test_check_passes_on_the_shipped_data() -> None:
    done = run("check")
    assert done.returncode == 0 and done.stdout.startswith("ok: ")


def test_check_finds_words_the_recogniser_lacks(data_copy: tuple[Path, Path]) -> None:
    content, intents = data_copy
    language = intents / "language.yaml"
    language.write_text(language.read_text().replace("    discitis: D IH S K AY T IH S\n", ""))
    done = run("check", "--content", str(content), "--intents", str(intents))
    assert done.returncode == 2
    assert done.stderr.strip() == "intents: 'discitis' is not in PocketSphinx's dictionary: add it under " \
        "language: pronunciations"


def test_check_fails_clearly_on_broken_data(data_copy: tuple[Path, Path]) -> None:
    content, intents = data_copy
    path = intents / "controls.yaml"
    path.write_text(path.read_text().replace("  control.more:", "  control.more:\n    topic: [", 1))
    done = run("check", "--content", str(content), "--intents", str(intents))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"{path}:") and "invalid YAML" in done.stderr
    assert "Traceback" not in done.stderr


def test_ask_with_broken_data_says_one_line_and_points_to_check(data_copy: tuple[Path, Path]) -> None:
    content, intents = data_copy
    (content / "topics.yaml").write_text("topics: [\n")
    (intents / "topics.yaml").write_text("intents: {topic.x: {sentences: [x]}}\n")
    done = run("ask", "--content", str(content), "--intents", str(intents), "hello")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    first, *rest = done.stderr.splitlines()
    assert first.startswith(str(content / "topics.yaml"))
    assert rest == [] or rest[0].endswith("run voiceguide check)")


@pytest.mark.parametrize("args", [["ask"], ["ask", "--nope", "x"], ["frobnicate"], ["ask", " "],
                                  ["check", "--content", "/nonexistent/folder"]])
def test_bad_usage_is_one_line_and_exit_2(args: list[str]) -> None:
    done = run(*args)
    assert done.returncode == 2, done
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("args", [["ask", "--nope", "x"], ["ask", " "]])
def test_bad_usage_ends_the_process_with_exit_2(args: list[str]) -> None:
    """A bad flag (argparse's exit) and a mistake the command finds, through ``python -m voiceguide``."""
    done = spawn(*args)
    assert done.returncode == 2, done
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_bad_values_are_one_line_before_any_work(tmp_path: Path) -> None:
    """Each mistake is said in one line, exit 2, before the guide loads or a file is touched."""
    folder_not_file = tmp_path / "a-file"
    folder_not_file.write_text("x")
    events = tmp_path / "events.jsonl"
    events.write_text("kept\n")
    pipe = tmp_path / "pipe"  # as /dev/null would be: renamed over, it would be a plain file
    os.mkfifo(pipe)
    loop = tmp_path / "loop"
    loop.symlink_to("loop")
    cases = {
        ("ask", "--to-wav", str(tmp_path), "hi"): f"{tmp_path}: is a folder; name a file to write",
        ("ask", "--to-wav", str(pipe), "hi"): f"{pipe}: is not a plain file (a device or a pipe); name a file to write",
        ("ask", "--to-wav", str(tmp_path / "no" / "x.wav"), "hi"):
            f"{tmp_path / 'no' / 'x.wav'}: folder does not exist",
        ("listen", "--from-wavs", "silence:abc", "--events", str(events)):
            "silence:abc: give the seconds of quiet as a number from 0 to 3600, e.g. silence:5",
        ("listen", "--from-wavs", "silence:nan"):
            "silence:nan: give the seconds of quiet as a number from 0 to 3600, e.g. silence:5",
        ("listen", "--from-wavs", str(tmp_path / "none.wav"), "--events", str(events)):
            f"{tmp_path / 'none.wav'}: no such file",
        ("model", "install", "vosk", "--dir", str(folder_not_file)): f"{folder_not_file}: is not a folder",
        ("model", "install", "vosk", "--dir", str(tmp_path / "new" / "deep"), "--from", str(tmp_path / "none.zip")):
            f"{tmp_path / 'none.zip'}: no such file",
        ("ask", "--to-wav", str(loop), "hi"): f"{loop}: is a loop of links",
        ("ask", "--to-wav", str(tmp_path / ("a" * 300)), "hi"):
            f"{tmp_path / ('a' * 300)}: cannot write there (File name too long)",
        ("listen", "--from-wavs", "+"):
            "'+': name a file, e.g. question.wav, or +question.wav to say it over the answer",
        ("stats", "--log", str(tmp_path)): f"{tmp_path}: cannot read the station log (Is a directory)",
    }
    for args, said in cases.items():
        done = run(*args)
        assert (done.returncode, done.stderr) == (2, f"voiceguide {args[0]}: {said}\n"), args
    assert events.read_text() == "kept\n" and pipe.is_fifo() and not (tmp_path / "new").exists()
    for args in (["listen", "--timeout", "-5"], ["station", "--idle", "nan"], ["station", "--wake-phrase", "  "],
                 ["listen", "--trailing-silence", "-5"], ["export", "--topics", ",", "--out", str(tmp_path / "x")],
                 ["ask", "--to-wav", f"{tmp_path / 'x'}/", "hi"]):
        done = run(*args)
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, args
        assert f"argument {args[1]}" in done.stderr, done.stderr
    assert not (tmp_path / "x").exists()


def test_a_station_log_of_the_wrong_shape_is_one_line(tmp_path: Path) -> None:
    # A pipe is read to its end ("--log <(zcat old.gz)"); a device would be read for ever.
    piped = subprocess.run(f"{sys.executable} -m voiceguide stats --log <(printf '{{\"event\": \"start\"}}\\n')",
                           shell=True, executable="/bin/bash", capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60)
    assert piped.returncode == 0 and piped.stdout.startswith("1 conversations, 0 turns"), piped
    done = run("stats", "--log", "/dev/zero")
    assert done.returncode == 2 and done.stderr == "voiceguide stats: /dev/zero: not a station log (it is a device)\n"
    log = tmp_path / "station.jsonl"
    for bad in ("[1, 2]", '{"event": "turn", "intent": ["x"]}', '{"event": "turn", "latency_ms": [1]}',
                '{"event": "turn", "latency_ms": true}', "not json", "[" * 100_000,
                '{"event": "turn", "intent": "\\ud800"}', '{"event": "turn", "intent": "\\u001b[2J"}'):
        log.write_text('{"event": "start"}\n' + bad + "\n")
        done = run("stats", "--log", str(log))
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done
        assert done.stderr.startswith(f"voiceguide stats: {log}: not a station log (line 2"), done.stderr


def test_words_after_audio_are_said_to_be_no_files_before_any_work(tmp_path: Path) -> None:
    done = run("ask", "--audio", str(tmp_path / "question.wav"), "what", "is", "discitis?")
    assert done.returncode == 2 and done.stdout == ""
    long_word = run("ask", "--audio", str(tmp_path / "question.wav"), "x" * 300)
    assert long_word.returncode == 2 and long_word.stderr.startswith("voiceguide ask: no such file: xxx")
    assert done.stderr == ("voiceguide ask: no such file: what, is, discitis? "
                           "(a typed question is asked without --audio)\n")


def test_a_settings_file_that_is_no_file_is_one_line(tmp_path: Path) -> None:
    """A device would be read without end; a name too long is the system's refusal, not a traceback."""
    too_long = tmp_path / ("x" * 300) / "config.yaml"
    for config, problem in ((Path("/dev/full"), "not a regular file"),
                            (too_long, "cannot read file: File name too long")):
        done = run("ask", "what is discitis", config=config)
        assert done.returncode == 2 and done.stderr == f"voiceguide ask: {config}: {problem}\n", done.stderr
    kept_nowhere = run("chat", stdin="slower please\n", config=Path(os.devnull))
    assert kept_nowhere.returncode == 0 and "Speaking more slowly." in kept_nowhere.stdout
    assert kept_nowhere.stderr == "", kept_nowhere.stderr  # /dev/null: no settings kept, and no warning


def test_settings_of_odd_shapes_are_one_line_naming_the_line(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    for text, problem in (("? [1, 2]\n: 3\n", "1: a key must be a plain value"),
                          ("? !!set {a, b}\n: 1\n", "1: a key must be a plain value"),
                          ("voice: en-us\n{[1]: 2}: x\n", "2: a key must be a plain value"),
                          ("engine: [whisper]\n", "1: 'engine' must be one of"),
                          ("whisper_size: {tiny: 1}\n", "1: 'whisper_size' must be one of"),
                          ('voice: en\nx: "a\x07b"\n', "2: invalid YAML: character #x0007 is not allowed"),
                          ('rate_step: 2\nvoice: ""\n', "2: 'voice' must name a voice")):
        config.write_text(text)
        done = run("ask", "what is discitis", config=config)
        assert done.returncode == 2 and done.stderr.startswith(f"voiceguide ask: {config}:{problem}"), done.stderr
        assert done.stderr.count("\n") == 1


def test_a_model_path_too_long_is_one_line(tmp_path: Path) -> None:
    too_long = tmp_path / ("x" * 300)
    done = spawn("ask", "--audio", str(tmp_path / "q.wav"), "--engine", "whisper", "--model", str(too_long))
    assert done.returncode == 2
    assert done.stderr == f"voiceguide ask: {too_long} (--model): cannot be read (File name too long)\n"


@pytest.mark.slow  # the station hears its wake phrase and a question (about 6 s)
def test_a_station_on_a_full_disk_goes_on_and_ends_cleanly(tmp_path: Path) -> None:
    from .speech import spoken_wav

    wake, question = spoken_wav(tmp_path, "hello guide"), spoken_wav(tmp_path, "what are the symptoms")
    out = tmp_path / "station.wav"
    done = spawn("station", "--log", "/dev/full", "--from-wavs", str(wake), "silence:1", str(question), "silence:3",
                 "--idle", "2", "--to-wav", str(out), "--engine", "pocketsphinx")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "station log cannot be written" in line]
    assert len(warnings) == 1 and "No space left on device" in warnings[0]
    assert out.stat().st_size > 16000 * 2 * 3  # the answers were spoken


def test_settings_that_cannot_be_saved_are_said_once_and_the_chat_goes_on(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    done = run("chat", stdin="louder\nslower please\nwhat is discitis\n", config=blocker / "config.yaml")
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [f"voiceguide chat: {blocker / 'config.yaml'}: cannot save the settings "
                                        "(a file stands where its folder should be); going on without keeping them"]
    assert "Speaking more slowly." in done.stdout and "osteomyelitis and discitis" in done.stdout
    assert blocker.read_text() == "x"


def test_a_link_named_for_the_answer_is_written_through(tmp_path: Path) -> None:
    """--to-wav on a link writes the file it names, and the link stays a link."""
    target, link = tmp_path / "answer.wav", tmp_path / "latest.wav"
    link.symlink_to(target.name)
    assert run("ask", "--to-wav", str(link), "what is discitis").returncode == 0
    assert link.is_symlink() and target.stat().st_size > 10_000


def test_help_on_every_command() -> None:
    for command in ([], ["ask"], ["chat"], ["check"], ["topics"]):
        done = run(*command, "--help")
        assert done.returncode == 0 and "usage: voiceguide" in done.stdout


def test_topics_lists_reading_order(guide: Guide) -> None:
    lines = run("topics").stdout.splitlines()
    assert lines == [f"{t.number}. {t.title} ({t.id})" for t in guide.content.topics]
