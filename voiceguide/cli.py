"""The ``voiceguide`` command line. The only place that prints or exits."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO, cast

from . import __version__
from .errors import DataErrors, OutputError, VoiceGuideError
from .files import nearest_existing, output_target, special
from .models import MODEL_NAME, MODEL_URL
from .recognize import ENGINES
from .whisper_models import DEFAULT_SIZE, SIZES

# Each command imports what it needs when it runs: the understanding, sound and
# speech modules (sounddevice, pocketsphinx, pyttsx3) would cost more than a
# typed question takes to answer (bench/startup.py).
if TYPE_CHECKING:
    from .app import App, Home
    from .audio import AudioError
    from .converse import Session
    from .devices import Microphone
    from .dialogue import Reply
    from .guide import Guide
    from .hearing import CaptureClock
    from .playback import FramePlayer, Playback, StreamPlayer
    from .recognize import Recognizer, Transcript

EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag on one line, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="voiceguide", description="An offline spoken guide to minimally invasive "
                     "spine surgery for spinal infections. General information, not medical advice.")
    parser.add_argument("--version", action="version", version=f"voiceguide {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the guide does")
    data = _Parser(add_help=False)
    data.add_argument("--content", type=Path, metavar="DIR", help="content folder (default: the shipped one)")
    data.add_argument("--intents", type=Path, metavar="DIR", help="intents folder (default: the shipped one)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ask = sub.add_parser("ask", parents=[data], help="answer one typed question",
                         description="Answer one question and print the answer.")
    ask.add_argument("question", nargs="*", help="the question, e.g. how long is recovery")
    ask.add_argument("--json", action="store_true", help="print one JSON object instead of the answer")
    heard = ask.add_mutually_exclusive_group()
    heard.add_argument("--audio", type=Path, nargs="+", metavar="FILE",
                       help="spoken questions: audio files (WAV, FLAC, Ogg, MP3; any rate), or - for raw "
                       "16 kHz 16-bit mono PCM on stdin; one answer per file")
    heard.add_argument("--mic", action="store_true", help="listen for one spoken question on the microphone")
    _listening_options(ask)
    speech = ask.add_mutually_exclusive_group()
    speech.add_argument("--speak", action="store_true", help="also speak the answer aloud")
    speech.add_argument("--to-wav", type=_file_path, metavar="FILE", help="write the spoken answer to a WAV file")
    _voice_options(ask)
    ask.set_defaults(run=_ask)

    chat = sub.add_parser("chat", parents=[data], help="a typed conversation",
                          description="A typed conversation: one line in, the answer out. "
                          "Say more, repeat, next or previous; goodbye or end of input ends it.")
    chat.add_argument("--json", action="store_true", help="print one JSON object per line")
    chat.add_argument("--speak", action="store_true", help="also speak each answer; typing cuts it off")
    _voice_options(chat)
    chat.set_defaults(run=_chat)

    model = sub.add_parser("model", help="manage speech models",
                           description="Install a speech model into the user data folder: Whisper "
                           f"(faster-whisper's conversion, {DEFAULT_SIZE} by default) or Vosk ({MODEL_NAME}).")
    model_sub = model.add_subparsers(dest="model_command", required=True, parser_class=_Parser)
    install = model_sub.add_parser("install", help="download and install a model",
                                   description="Download a model (or take a folder or zip file), check it, and "
                                   "move it into place. Installing a Vosk model chooses the Vosk engine.")
    install.add_argument("engine", nargs="?", choices=["vosk", "whisper"], default="vosk",
                         help="whose model (default: vosk)")
    install.add_argument("--size", choices=SIZES, help=f"Whisper model size (default: {DEFAULT_SIZE})")
    install.add_argument("--from", dest="from_zip", type=Path, metavar="DIR|ZIP",
                         help="install from this zip file (Vosk), or folder or zip file (Whisper), not the internet")
    install.add_argument("--url", help=argparse.SUPPRESS)
    install.add_argument("--dir", type=Path, help="install under this folder (default: the user data folder)")
    install.set_defaults(run=_model_install)

    listen = sub.add_parser("listen", parents=[data], help="spoken questions and answers at home",
                            description="Greet, then listen and answer until goodbye. Say stop, repeat, more, "
                            "next, previous, pause, resume, slower, faster, louder, quieter, help.")
    _scripted_options(listen)
    listen.add_argument("--push-to-talk", action="store_true",
                        help="listen only after Enter is pressed (Enter also cuts an answer off; Ctrl-D ends)")
    listen.add_argument("--events", type=Path, metavar="FILE", help="write one JSON line per turn")
    _listening_options(listen)
    _voice_options(listen)
    listen.set_defaults(run=_listen)

    station = sub.add_parser("station", parents=[data], help="an unattended clinic station",
                             description="Wait for the wake phrase, converse, and after a silence say goodbye and "
                             "forget the conversation. Logs intent names and timings only. Runs until stopped.")
    station.add_argument("--wake-phrase", type=_phrase, default="hello guide",
                         help="starts a conversation (default: hello guide)")
    station.add_argument("--idle", type=_within(1, 86400), default=30.0, metavar="S",
                         help="silence that ends a conversation (default 30)")
    station.add_argument("--log", type=Path, metavar="FILE", help="station log (default: in the user data folder)")
    station.add_argument("--log-transcripts", action="store_true", help="also log what people said")
    _scripted_options(station)
    _listening_options(station)
    _voice_options(station)
    station.set_defaults(run=_station)

    srv = sub.add_parser("serve", parents=[data], help="the guide as a Wyoming service (Home Assistant, satellites)",
                         description="Offer speech recognition (asr), the guide's voices (tts) and its answers "
                         "(handle) over the Wyoming protocol, for Home Assistant's Assist and voice satellites. "
                         "Runs until stopped. Stores no audio or words unless --log-transcripts.")
    # The default is serve.DEFAULT_URI; named here too so that --help needs no import of the service.
    srv.add_argument("--uri", help="tcp://HOST:PORT or unix:///PATH (default tcp://127.0.0.1:10900)")
    srv.add_argument("--workers", type=int, default=2, metavar="N",
                     help="threads for recognition and synthesis, and recognisers kept loaded (default 2)")
    srv.add_argument("--idle-timeout", type=float, default=60.0, metavar="S",
                     help="close a connection that sends nothing for this long (default 60)")
    srv.add_argument("--conversation-idle", type=float, default=300.0, metavar="S",
                     help="forget a conversation not spoken to for this long (default 300)")
    srv.add_argument("--log-transcripts", action="store_true", help="log what was heard, asked and answered")
    _engine_options(srv)
    srv.add_argument("--trailing-silence", type=_within(100, 5000, whole=True), default=500, metavar="MS",
                     help="silence that ends a spoken question within a stream (default 500)")
    srv.add_argument("--voice", help="the default voice: espeak-ng voice name, or piper (default: config)")
    srv.set_defaults(run=_serve)

    stats = sub.add_parser("stats", help="what people asked at a station",
                           description="Summarise a station log: conversations, turns, intents asked.")
    stats.add_argument("--log", type=Path, metavar="FILE", help="station log (default: in the user data folder)")
    stats.set_defaults(run=_stats)

    exp = sub.add_parser("export", parents=[data], help="write the guide as audio files",
                         description="Write one audio file per topic, a disclaimer track and the whole guide, "
                         "with captions (WebVTT), a playlist (M3U8), a transcript, a manifest and index.html.")
    exp.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write into")
    exp.add_argument("--format", choices=["wav", "ogg"], default="wav", help="wav (default) or ogg (Vorbis)")
    exp.add_argument("--voice", help="espeak-ng voice name, or piper for the natural voice (default: config)")
    exp.add_argument("--rate", type=_within(0.5, 2),
                     help="speaking rate as a factor of normal, 0.5 to 2 (default: config)")
    exp.add_argument("--topics", type=_topic_ids,
                     metavar="ID,ID", help="only these topics (see voiceguide topics)")
    exp.add_argument("--force", action="store_true", help="write into a folder that holds other files")
    exp.set_defaults(run=_export)

    devices = sub.add_parser("devices", help="list sound devices",
                             description="List the sound devices, with the index and name to pass as a device.")
    devices.set_defaults(run=_devices)

    check = sub.add_parser("check", parents=[data], help="validate content and intents",
                           description="Validate the content and intent files; print file:line: message "
                           "for each problem and exit with status 2 if there is any.")
    check.set_defaults(run=_check)

    topics = sub.add_parser("topics", parents=[data], help="list the topics",
                            description="List the guide's topics in reading order.")
    topics.set_defaults(run=_topics)
    return parser


def _scripted_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--echo-cancel", action="store_true",
                        help="remove the guide's own voice from the microphone with the sound server's echo "
                        "canceller (PulseAudio module-echo-cancel, loaded for this run)")
    parser.add_argument("--from-wavs", nargs="+", metavar="WAV",
                        help="use these files as the microphone (a name starting with + is said over the answer; "
                        "silence:S is S seconds of quiet); with --to-wav in audio time, as fast as the machine "
                        "allows, else in real time")
    parser.add_argument("--to-wav", type=_file_path, metavar="FILE", help="write what the guide says to this file")
    parser.add_argument("--realtime", action="store_true",
                        help="with --from-wavs and --to-wav: feed the files in real time, as a microphone would")


def _engine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=["auto", *ENGINES],
                        help="speech recogniser (default: config, else auto: the best ranked engine installed, "
                        "Whisper, then Vosk, then PocketSphinx)")
    parser.add_argument("--model", type=Path, metavar="DIR", help="model folder for the engine (Whisper or Vosk)")


def _listening_options(parser: argparse.ArgumentParser) -> None:
    _engine_options(parser)
    parser.add_argument("--input-device", metavar="DEVICE", help="microphone, name or index")
    parser.add_argument("--trailing-silence", type=_within(100, 5000, whole=True), default=500, metavar="MS",
                        help="silence that ends a spoken question (default 500)")
    parser.add_argument("--timeout", type=_within(1, 3600), default=15.0, metavar="S",
                        help="with --mic: give up after this long without a question (default 15)")


def _listen(args: argparse.Namespace) -> int:
    with _echo_cancelling(args):
        return _listen_at_home(args)


def _listen_at_home(args: argparse.Namespace) -> int:
    from .app import Home
    from .audio import write_wav
    from .converse import load_script, scripted_frames
    from .devices import microphone_frames
    from .hearing import CaptureClock
    from .playback import FramePlayer, TimelinePlayer

    script = load_script(args.from_wavs) if args.from_wavs else None  # a bad entry ends it before any file is touched
    app = _app(args)
    microphone = None if script is not None else _microphone(app)
    rate = app.speech.synthesizer.sample_rate
    timeline = _audio_time(args, rate)
    capture = CaptureClock()
    listener = app.listener(_recognizer(app, isolated=True), _listening_clock(args, timeline, capture))
    player: StreamPlayer = timeline or (TimelinePlayer(rate) if args.to_wav
                                        else (_speaker(app) or TimelinePlayer(rate)))
    conversation = app.conversation()
    events = _open_for_writing(args.events) if args.events else None
    home = Home(app.config, _unsaved(args.command))
    session = app.session(conversation, listener, player, events)

    def show(text: str) -> None:
        print(text, flush=True)
        home.remember(conversation)

    session.show = show
    session.push_to_talk = args.push_to_talk
    try:
        with player:
            player.begin()
            _open_listening(session, home)
            if args.push_to_talk:
                _read_talk_key(session)
            if microphone is not None:
                session.run(microphone_frames(microphone.device, clock=capture))
            else:
                session.run(scripted_frames(script or [], session, timeline=timeline))
    finally:
        if events is not None:
            events.close()
        home.remember(conversation)
    if args.to_wav and isinstance(player, TimelinePlayer | FramePlayer):
        write_wav(args.to_wav, player.audio)
    return 0


def _audio_time(args: argparse.Namespace, rate: int) -> FramePlayer | None:
    """Recordings in and a file out: the conversation runs in audio time, each recorded frame
    advancing the speaker, so nothing depends on how busy the machine is. None: real time."""
    from .playback import FramePlayer

    # A talk key is pressed in real time: with it the files are fed in real time too.
    audio_time = args.from_wavs and args.to_wav and not args.realtime and not getattr(args, "push_to_talk", False)
    return FramePlayer(rate) if audio_time else None


def _listening_clock(args: argparse.Namespace, timeline: FramePlayer | None,
                     capture: CaptureClock) -> Callable[[], float] | None:
    """What times speech: audio time, a microphone's recording times, or (files fed in real
    time) the default, time.perf_counter."""
    if timeline is not None:
        return timeline.clock
    return None if args.from_wavs else capture


def _open_listening(session: Session, home: Home) -> None:
    """Greet, say how to ask, and the disclaimer: in full the first time, then the short one."""
    from .dialogue import home_opening

    config = home.config
    opening = home_opening(session.conversation.guide.content, config.disclaimer_played, config.short_disclaimer,
                           session.push_to_talk)
    home.remember(disclaimer_played=True)
    print(opening, flush=True)
    session.say(opening)


def _read_talk_key(session: Session) -> None:
    """Each line typed (Enter) opens the microphone for one question; end of input ends the session."""
    def read() -> None:
        for _line in sys.stdin:
            session.press_to_talk()
        session.ended = True

    threading.Thread(target=read, daemon=True).start()


def _open_for_writing(path: Path, mode: str = "w") -> TextIO:
    """A file the user named, or one clear error saying why it cannot be written."""
    try:
        return cast(TextIO, path.open(mode, encoding="utf-8"))
    except OSError as exc:
        raise VoiceGuideError(f"{path}: cannot write ({exc.strerror})") from None


def _station_log(path: Path | None) -> Path:
    from platformdirs import user_data_dir

    return path or Path(user_data_dir("voiceguide")) / "station-log.jsonl"


@contextlib.contextmanager
def _echo_cancelling(args: argparse.Namespace) -> Iterator[None]:
    """With --echo-cancel (and real devices), record and play through the sound server's canceller."""
    from .soundserver import EchoCanceller

    if not args.echo_cancel or args.from_wavs:
        yield
        return
    with EchoCanceller():
        yield


def _station(args: argparse.Namespace) -> int:
    with _echo_cancelling(args):
        return _serve_station(args)


def _serve_station(args: argparse.Namespace) -> int:
    from .audio import write_wav
    from .converse import Station, StationConfig, load_script, scripted_frames
    from .devices import microphone_frames
    from .hearing import CaptureClock
    from .playback import FramePlayer, TimelinePlayer

    script = load_script(args.from_wavs) if args.from_wavs else None  # a bad entry ends it before the log is opened
    app = _app(args)
    timeline = _audio_time(args, app.speech.synthesizer.sample_rate)
    capture = CaptureClock()
    listener = app.listener(_recognizer(app, args.wake_phrase.lower(), isolated=True),
                            _listening_clock(args, timeline, capture))
    player: StreamPlayer = timeline or (TimelinePlayer(app.speech.synthesizer.sample_rate) if args.to_wav
                                        else app.speaker(wait=True))
    log_path = _station_log(args.log)
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VoiceGuideError(f"{log_path.parent}: cannot create the folder ({exc.strerror})") from None

    def make_session() -> Session:
        return app.session(app.conversation(home=False), listener, player)

    log_to = _open_for_writing(log_path, "a")
    try:
        with player:
            player.begin()
            station = Station(make_session, StationConfig(args.wake_phrase, args.idle, args.log_transcripts), log_to)
            frames = scripted_frames(script, station, timeline=timeline) if script is not None \
                else microphone_frames(app.input_device, clock=capture)
            station.run(frames)
            station.finish()
    finally:
        # The station flushes every record, and says once when one cannot be written: what is left in the
        # buffer at the end is that record, whose write already failed.
        with contextlib.suppress(OSError):
            log_to.close()
    if args.to_wav and isinstance(player, TimelinePlayer | FramePlayer):
        write_wav(args.to_wav, player.audio)
    return 0


def _serve(args: argparse.Namespace) -> int:
    import asyncio

    from .serve import DEFAULT_URI, ServeConfig, check_socket_path, parse_uri, serve

    config = ServeConfig(uri=DEFAULT_URI if args.uri is None else args.uri, workers=args.workers,
                         idle_timeout_s=args.idle_timeout, conversation_idle_s=args.conversation_idle,
                         log_transcripts=args.log_transcripts)
    scheme, where, _port = parse_uri(config.uri)
    if scheme == "unix":
        check_socket_path(where)  # said before the guide loads
    # Bad clients (warnings) and, with --log-transcripts, the words (info) go to the service's log.
    logging.getLogger("voiceguide.serve").setLevel(logging.DEBUG if args.verbose else logging.INFO)
    asyncio.run(serve(_app(args), config, lambda text: print(f"voiceguide serve: {text}", file=sys.stderr,
                                                              flush=True)))
    return 0


def _stats(args: argparse.Namespace) -> int:
    from .converse import summarise

    path = _station_log(args.log)
    kind = special(path)
    if kind not in ("", "a pipe"):  # a pipe ends when its writer does: "--log <(zcat old.gz)"
        raise VoiceGuideError(f"{path}: not a station log (it is {kind})")
    try:
        summary = summarise(path.read_text(encoding="utf-8").splitlines())
    except FileNotFoundError:
        raise VoiceGuideError(f"{path}: no station log yet") from None
    except OSError as exc:
        raise VoiceGuideError(f"{path}: cannot read the station log ({exc.strerror})") from None
    except ValueError as exc:
        raise VoiceGuideError(f"{path}: not a station log ({exc})") from None
    print(f"{summary['conversations']} conversations, {summary['turns']} turns")
    for name, count in summary["intents"].items():  # type: ignore[attr-defined]
        print(f"{count:5d}  {name}")
    return 0


def _microphone(app: App) -> Microphone:
    from .devices import Microphone, NoAudioDevice

    try:
        return Microphone(app.input_device)
    except NoAudioDevice as exc:
        raise VoiceGuideError(f"{exc}; for typed questions use: voiceguide chat") from None


def _within(low: float, high: float, whole: bool = False) -> Callable[[str], float]:
    """An argparse type: a number from ``low`` to ``high`` (NaN and infinity are neither)."""

    def parse(value: str) -> float:
        try:
            number = int(value) if whole else float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{value}' is not a {'whole ' if whole else ''}number") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low:g} to {high:g}")
        return number

    return parse


def _phrase(value: str) -> str:
    """An argparse type: words to listen for, not blank."""
    if not value.strip():
        raise argparse.ArgumentTypeError("give the words to listen for")
    return value.strip()


def _topic_ids(value: str) -> list[str]:
    """An argparse type: topic ids separated by commas, at least one."""
    ids = [t.strip() for t in value.split(",") if t.strip()]
    if not ids:
        raise argparse.ArgumentTypeError("give at least one topic id, as voiceguide topics lists them")
    return ids


def _file_path(value: str) -> Path:
    """An argparse type: a file to write. Path() would drop a trailing slash, and "out/" become a file."""
    if value.endswith(("/", os.sep)) or Path(value).name in ("", ".", ".."):
        raise argparse.ArgumentTypeError(f"{value}: is a folder; name a file to write")
    return Path(value)


def _export(args: argparse.Namespace) -> int:
    from .export import ExportSettings, export

    app = _app(args)
    speech = app.speech
    settings = ExportSettings(voice=speech.synthesizer.voice, engine=speech.synthesizer.version,
                              rate=args.rate or app.config.voice_settings.rate, volume=1.0, format=args.format)
    tty = sys.stderr.isatty()

    def progress(done: int, total: int, title: str) -> None:
        if tty:
            bar = "#" * (30 * done // total)
            print(f"\r[{bar:<30}] {done}/{total} {title[:40]:<40}", end="", file=sys.stderr, flush=True)

    signal.signal(signal.SIGTERM, _interrupted)  # a killed export still cleans up what it prepared
    result = export(app.content, speech, args.out, settings, args.topics, args.force, progress)
    if tty:
        print(file=sys.stderr)
    if result.note:
        print(f"voiceguide export: note: {result.note}", file=sys.stderr)
    print(f"exported to {result.folder}: {len(result.written)} files written, {len(result.unchanged)} unchanged")
    return 0


def _interrupted(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _voice_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--voice", help="espeak-ng voice name, or piper for the natural voice (default: config)")
    parser.add_argument("--output-device", metavar="DEVICE", help="sound output device, name or index")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        if getattr(args, "to_wav", None) is not None:
            output_target(args.to_wav)  # said before the work, not after it
        return int(args.run(args))
    except DataErrors as exc:
        _print_data_errors(exc, full=args.command == "check")
        return EXIT_USER_ERROR
    except VoiceGuideError as exc:
        print(f"voiceguide {args.command}: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130


def _print_data_errors(exc: DataErrors, full: bool) -> None:
    shown = exc.errors if full else exc.errors[:1]
    for error in shown:
        print(error, file=sys.stderr)
    if len(exc.errors) > len(shown):
        print(f"({len(exc.errors) - 1} more problems: run voiceguide check)", file=sys.stderr)


def _app(args: argparse.Namespace) -> App:
    """The application for this command, from the config file and the command's options."""
    from .app import App, Choices
    from .config import load_config

    choices = Choices(
        content=args.content, intents=args.intents,
        engine=getattr(args, "engine", None), model=getattr(args, "model", None),
        voice=getattr(args, "voice", None), input_device=getattr(args, "input_device", None),
        output_device=getattr(args, "output_device", None),
        trailing_silence_ms=getattr(args, "trailing_silence", 500))
    return App(load_config(), choices)


def _as_json(reply: Reply) -> str:
    u = reply.understanding
    return json.dumps({
        "transcript": u.text, "intent": reply.intent, "unit": reply.unit, "confidence": u.confidence,
        "understood": u.understood, "answer": reply.text,
    }, ensure_ascii=False)


def _ask(args: argparse.Namespace) -> int:
    # "ask --audio q.wav what is discitis": the words were taken for files. Said before any work; a
    # missing file that looks like one (a name with an extension or a folder) is answered in its place.
    words = [str(p) for p in args.audio or () if str(p) != "-" and "/" not in str(p) and not p.suffix
             and not os.path.lexists(p)]
    if words:
        raise VoiceGuideError(f"no such file: {', '.join(words)} (a typed question is asked without --audio)")
    app = _app(args)
    if args.audio or args.mic:
        if args.question:
            raise VoiceGuideError("give either typed words or --audio/--mic, not both")
        return _ask_spoken(args, app)
    question = " ".join(args.question).strip()
    if not question:
        raise VoiceGuideError("the question is empty")
    reply = app.conversation(home=False, ask_back=False).respond(question)
    return _answer(args, app, reply)


def _ask_spoken(args: argparse.Namespace, app: App) -> int:
    from .audio import AudioError
    from .understand import understand_heard

    # No such microphone: said at once, as listen says it, not after the engine loads.
    microphone = _microphone(app) if args.mic else None
    recognizer = _recognizer(app)
    unreadable = 0
    for transcript in _heard(args, app, recognizer, microphone):
        if isinstance(transcript, AudioError):
            # In the bad file's place, so that the answers still line up with the files given.
            unreadable += 1
            print(f"voiceguide ask: {transcript}", file=sys.stderr)
            print(json.dumps({"file": str(transcript.path), "error": transcript.problem}, ensure_ascii=False)
                  if args.json else f"Could not read {transcript.path}: {transcript.problem}.", flush=True)
            continue
        understanding = understand_heard(app.guide.understander, transcript.text, transcript.command,
                                         transcript.alternatives, transcript.confidence, transcript.noisy)
        reply = app.conversation(home=False, ask_back=False).respond(transcript.text, understanding,
                                                                      noisy=transcript.noisy)
        _answer(args, app, reply)
    return EXIT_USER_ERROR if unreadable else 0


def _recognizer(app: App, *phrases: str, isolated: bool = False) -> Recognizer:
    """The engine asked for (said once on stderr), listening also for ``phrases`` besides the commands."""
    recognizer, which = app.recognizer(*phrases, isolated=isolated)
    print(f"voiceguide: {which}", file=sys.stderr)
    return recognizer


def _heard(args: argparse.Namespace, app: App, recognizer: Recognizer,
           microphone: Microphone | None) -> Iterator[Transcript | AudioError]:
    """The transcript of each spoken question: one per file, or one from the microphone. A file that
    cannot be read gives its error in its place, and the files after it are still heard."""
    from .audio import AudioError
    from .hearing import first_utterance, raw_frames, wav_frames
    from .recognize import joined

    if microphone is not None:
        with microphone as mic:
            # The microphone going silent for as long as the timeout also ends the wait.
            utterance = first_utterance(app.listener(recognizer), mic.frames(args.timeout), args.timeout)
        if utterance is None:
            raise VoiceGuideError(f"no question heard within {args.timeout:g} seconds")
        yield utterance.transcript
        return
    for path in args.audio:
        frames = raw_frames(sys.stdin.buffer) if str(path) == "-" else wav_frames(path)
        try:
            # wav_frames reads the whole file before its first frame: a bad file never reaches the engine.
            heard = [u.transcript for u in app.listener(recognizer).utterances(frames)]
        except AudioError as exc:
            yield exc
            continue
        yield joined(heard)


def _model_install(args: argparse.Namespace) -> int:
    from .config import config_path, load_config, save_config
    from .models import install
    from .whisper_models import HUB, install_whisper

    name = f"Whisper {args.size or DEFAULT_SIZE}" if args.engine == "whisper" else MODEL_NAME

    def progress(done: int, total: int | None) -> None:
        if sys.stderr.isatty():
            shown = f"{done * 100 // total:3d}%" if total else f"{done // 1_000_000} MB"
            print(f"\rdownloading {name}: {shown}", end="", file=sys.stderr, flush=True)

    if args.size and args.engine != "whisper":
        raise VoiceGuideError("--size is for Whisper models: voiceguide model install whisper --size NAME")
    config = load_config()
    if args.dir is not None:  # said before a download, not after it, and nothing made yet
        _check_folder(args.dir)
    if args.engine == "whisper":
        target = install_whisper(args.size or DEFAULT_SIZE, args.dir, hub=args.url or HUB, source=args.from_zip,
                                 progress=progress)
        changes = {"whisper_size": args.size} if args.size and args.size != config.whisper_size else {}
    else:
        target = install(args.dir, url=args.url or MODEL_URL, zip_file=args.from_zip, progress=progress)
        changes = {"engine": "vosk"}
        if args.dir is not None:  # not where the guide looks by itself
            changes["vosk_model"] = str(target.resolve())
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(f"installed {target}")
    if changes:
        save_config(replace(config, **changes))
        said = ", ".join(f"{key}: {value}" for key, value in changes.items())
        print(f"set {said} in {config_path()}")
    return 0


def _check_folder(folder: Path) -> None:
    """A folder the command may make or write into: VoiceGuideError saying why not."""
    existing = nearest_existing(folder)
    if not existing.is_dir():
        raise VoiceGuideError(f"{folder}: {'is' if existing == folder else f'{existing} is'} not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise VoiceGuideError(f"{folder}: {existing} is not writable")


def _answer(args: argparse.Namespace, app: App, reply: Reply) -> int:
    settings = app.config.voice_settings
    if args.to_wav:
        from .audio import write_wav

        audio, _cues = app.speech.render(reply.text, settings.rate, settings.volume)
        write_wav(args.to_wav, audio)
    print(_as_json(reply) if args.json else reply.text, flush=True)
    if args.speak:
        player = _speaker(app)
        if player is not None:
            with player:
                player.play(app.speech.sentences(reply.text, settings.rate, settings.volume))
    return 0


def _speaker(app: App) -> StreamPlayer | None:
    """The sound output, or None (said once on stderr) when there is none: text is printed instead."""
    from .devices import NoAudioDevice

    try:
        return app.speaker()
    except NoAudioDevice as exc:
        print(f"voiceguide: {exc}; the answers are printed instead", file=sys.stderr)
        return None


def _unsaved(command: str) -> Callable[[OutputError], None]:
    """Said once when the settings cannot be saved; the conversation goes on."""
    def say(exc: OutputError) -> None:
        print(f"voiceguide {command}: {exc}; going on without keeping them", file=sys.stderr, flush=True)
    return say


def _chat(args: argparse.Namespace) -> int:
    from .app import Home
    from .dialogue import Action, home_opening

    app = _app(args)
    conversation = app.conversation()
    home = Home(app.config, _unsaved(args.command))
    speech = app.speech if args.speak else None
    player = _speaker(app) if speech else None
    interactive = sys.stdin.isatty()
    out: TextIO = sys.stdout
    content = conversation.guide.content
    playing: Playback | None = None
    if speech is not None:  # a spoken session at home opens as listen does
        opening = home_opening(content, app.config.disclaimer_played, app.config.short_disclaimer, False)
        if interactive:
            print(opening, file=out)
        if player is not None:
            settings = app.config.voice_settings
            playing = player.start(speech.sentences(opening, settings.rate, settings.volume))
        if interactive or player is not None:
            home.remember(disclaimer_played=True)
    elif interactive:
        print(content.replies.say("greeting"), file=out)
        print(content.disclaimer.text, file=out)
    while True:
        if interactive:
            print("> ", end="", file=out, flush=True)
        line = sys.stdin.readline()
        if playing is not None:
            playing.stop()  # a new line cuts the answer off, as speaking over it would
        if not line:
            break
        if not line.strip():
            continue
        reply = conversation.respond(line.strip())
        print(_as_json(reply) if args.json else reply.text, file=out, flush=True)
        home.remember(conversation)
        settings = conversation.state.settings
        if player is not None and speech is not None and reply.action is not Action.STOP:
            playing = player.start(speech.sentences(reply.text, settings.rate, settings.volume))
        if reply.action is Action.GOODBYE:
            if playing is not None and player is not None:
                player.finish(playing)
            break
    if player is not None:
        player.close()
    return 0


def _devices(args: argparse.Namespace) -> int:
    from .devices import list_devices

    for index, name, inputs, outputs in list_devices():
        kinds = ", ".join(k for k, n in (("input", inputs), ("output", outputs)) if n)
        print(f"{index}: {name} ({kinds})")
    return 0


def _check(args: argparse.Namespace) -> int:
    from .guide import load_guide
    from .pocketsphinx_engine import unknown_to_pocketsphinx

    guide = load_guide(args.content, args.intents, from_cache=False)  # the verdict never rests on the cache
    vocabulary = guide_vocabulary(guide)
    missing = unknown_to_pocketsphinx(vocabulary, guide.intents.language.pronunciations)
    if missing:
        for word in missing:
            print(f"intents: '{word}' is not in PocketSphinx's dictionary: add it under "
                  f"language: pronunciations", file=sys.stderr)
        return EXIT_USER_ERROR
    sentences = sum(len(i.sentences) for i in guide.intents.intents)
    print(f"ok: {len(guide.content.topics)} topics, {len(guide.intents.intents)} intents, "
          f"{sentences} template sentences, all {len(vocabulary)} words known to PocketSphinx")
    return 0


def guide_vocabulary(guide: Guide) -> set[str]:
    """Every word the guide says or listens for."""
    from .normalize import words

    vocabulary = {w for i in guide.intents.intents for s in i.sentences for w in s}
    for topic in guide.content.topics:
        vocabulary.update(words(f"{topic.title} {topic.short} {topic.detail}"))
    return vocabulary


def _topics(args: argparse.Namespace) -> int:
    from .content import load_shipped_content

    for topic in load_shipped_content(args.content).topics:
        print(f"{topic.number}. {topic.title} ({topic.id})")
    return 0
