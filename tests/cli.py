"""The command line run in the test's own process: ``cli.main(argv)`` with its output captured.

Starting ``python -m voiceguide`` costs about half a second of CPU before the command does anything
(the interpreter, the imports, the understanding read from the cache), and the fast tier ran it in
over a hundred tests. Where a test is about what a command does, not about the process around it,
it runs the command here; the tests of the process itself (exit status through ``python -m``, a
kill, the umask, what a fresh process imports) still start one."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
from unittest import mock

from voiceguide.cli import main


def voiceguide(*args: str, stdin: str | bytes | None = None,
               **env: str) -> subprocess.CompletedProcess[str]:
    """``voiceguide ARGS`` with ``stdin`` as its input and ``env`` added to the environment: the exit
    status and what it printed, as ``subprocess.run(..., text=True)`` gives them."""
    raw = stdin.encode() if isinstance(stdin, str) else stdin or b""
    given = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    sigterm = signal.getsignal(signal.SIGTERM)  # export sets its own
    old_stdin = sys.stdin
    sys.stdin = given
    try:
        with mock.patch.dict(os.environ, env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as end:  # argparse: --help, a bad flag
                code = end.code if isinstance(end.code, int) else 0 if end.code is None else 1
    finally:
        sys.stdin = old_stdin
        signal.signal(signal.SIGTERM, sigterm)
    return subprocess.CompletedProcess(["voiceguide", *args], code, out.getvalue(), err.getvalue())
