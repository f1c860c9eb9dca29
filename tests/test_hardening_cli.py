"""Issue 21, the command line: the trained model is never lost, runs never share a folder, a Ctrl-C
after the last epoch still saves, values out of range are one line, and no traceback for bad input.

Read-only and full disks are real where the tests can mount a tmpfs (root with ``mount``); elsewhere
a read-only folder is ``chmod 0555`` (non-root) and a full disk is simulated by making the write
raise ENOSPC (at ``os.fsync`` of the temp file), which is what a full disk does to ``atomic_write``.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import pytest

import abcdl
import abcdl.cli as cli_mod
import abcdl.cli._run_folder as run_folder_mod
import abcdl.cli.train as train_mod
from abcdl.cli import main
from abcdl.cli._run_folder import LOCK_FILE, claim

pytestmark = pytest.mark.usefixtures("offline")   # no test here may reach the network (conftest.py)

RUN_FILES = {"model.safetensors", "metrics.json", "curves.png", "confusion.png", "mistakes.png"}
QUICK = ["--dataset", "digits", "--epochs", "1", "--hidden", "16", "--dropout", "0", "--verbose", "0"]


def cli_error(err: str, command: str) -> str:
    """The message of a CLI error on stderr, its lines joined: ``abcdl COMMAND: error: ...`` then lines
    indented by two spaces (what to do), each at most 200 characters, and no traceback."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and lines[0].startswith(f"abcdl {command}: error: "), err
    assert all(line.startswith("  ") for line in lines[1:]), err
    assert "Traceback" not in err and max(map(len, lines)) <= 200, err
    return " ".join(line.strip() for line in lines)


# ----------------------------------------------------------------------------- disks

def _mount(path: Path, options: str) -> bool:
    """Mount a tmpfs at ``path`` with ``options`` (e.g. "size=1m"); False where this machine cannot."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    return done.returncode == 0


@pytest.fixture
def disk(tmp_path, monkeypatch):
    """``disk(kind, free=0)``: a folder on a read-only disk ("readonly") or on a disk with about
    ``free`` bytes left ("full"); real tmpfs mounts where possible, else simulated (see the module doc)."""
    mounted: list[Path] = []

    def make(kind: str, free: int = 0, fail_on: tuple[str, ...] = (".safetensors",)) -> Path:
        path = tmp_path / f"disk{len(mounted)}"
        path.mkdir()
        if _mount(path, "ro,size=64k" if kind == "readonly" else "size=1m"):
            mounted.append(path)
            if kind == "full":
                filler = os.statvfs(path).f_bavail * os.statvfs(path).f_frsize - free
                (path / "filler").write_bytes(b"\0" * max(filler, 0))
                (path / "out").mkdir()
                return path / "out"
            return path
        return _simulate(kind, path, fail_on, monkeypatch)

    yield make
    for path in mounted:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _simulate(kind: str, path: Path, fail_on: tuple[str, ...], monkeypatch) -> Path:
    if kind == "readonly" and os.geteuid() != 0:
        path.chmod(0o555)
        return path
    real_open, real_fsync, real_mkstemp = os.open, os.fsync, tempfile.mkstemp
    code = errno.EROFS if kind == "readonly" else errno.ENOSPC
    temp_files: dict[int, str] = {}                 # fd -> the temp file atomic_write writes

    def fake_open(file, flags, *args, **kwargs):
        if kind == "readonly" and Path(file).parent == path and flags & (os.O_WRONLY | os.O_RDWR):
            raise OSError(code, os.strerror(code), str(file))
        return real_open(file, flags, *args, **kwargs)

    def fake_mkstemp(*args, **kwargs):
        fd, name = real_mkstemp(*args, **kwargs)
        temp_files[fd] = name
        return fd, name

    def fake_fsync(fd):                           # a full disk fails the write, at the latest at fsync
        name = temp_files.get(fd, "")
        if Path(name).parent.parent.name == "out" and any(s in Path(name).name for s in fail_on):
            raise OSError(code, os.strerror(code), name)
        return real_fsync(fd)

    monkeypatch.setattr(tempfile, "mkstemp", fake_mkstemp)
    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "fsync", fake_fsync)
    if kind == "full":
        (path / "out").mkdir()
        return path / "out"
    return path


# ------------------------------------------------------------------ item 3: the model is never lost

def test_hardening_cli_readonly_out_refused_before_training(disk, capsys, monkeypatch):
    """A read-only --out: one line before any training (was a traceback after training, nothing saved)."""
    trained = []
    monkeypatch.setattr(train_mod, "fit", lambda *a, **k: trained.append(1))
    out = disk("readonly")
    assert main(["train", *QUICK, "--out", str(out)]) == 2
    msg = cli_error(capsys.readouterr().err, "train")
    assert f"cannot write to the run folder {out}" in msg and "--out" in msg
    assert not trained


def test_hardening_cli_full_disk_during_save_keeps_the_model(disk, capsys, tmp_path):
    """Disk full while saving: the model and metrics.json go to the user cache, and the message says where."""
    out = disk("full", free=24 * 1024) / "run"
    assert main(["train", *QUICK, "--hidden", "256", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    msg = cli_error(err, "train")
    assert f"cannot save the model in {out}" in msg and "No space left on device" in msg
    rescued = tmp_path / "cache" / "abcdl" / "rescued" / "run"
    assert f"saved instead in {rescued}/" in msg
    model = abcdl.load(rescued / "model.safetensors")
    assert model[0].W.shape == (256, 64)
    assert json.loads((rescued / "metrics.json").read_text())["test"]["n"] == 360
    assert not out.exists()                       # the empty run folder is not left behind


def test_hardening_cli_full_disk_during_a_figure_is_a_warning(disk, capsys):
    """Disk full at the figures: model.safetensors and metrics.json are written first; exit 0, warnings."""
    out = disk("full", free=20 * 1024, fail_on=(".png",)) / "run"
    assert main(["train", *QUICK, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "warning: cannot write" in captured.err and "Traceback" not in captured.err
    assert {"model.safetensors", "metrics.json"} <= {p.name for p in out.iterdir()}
    assert LOCK_FILE not in {p.name for p in out.iterdir()}
    files = json.loads((out / "metrics.json").read_text())["files"]
    assert set(files) == {p.name for p in out.iterdir()}
    assert abcdl.load(out / "model.safetensors")[0].W.shape == (16, 64)


@pytest.mark.parametrize("failure", ["bad data", "diverged"])
def test_hardening_cli_failed_run_leaves_no_folder(failure, tmp_path, monkeypatch, capsys):
    """A run that ends without a model removes the run folder it created (was: empty folders left behind)."""
    monkeypatch.chdir(tmp_path)
    if failure == "bad data":
        args = ["--dataset", "mnist", "--data-root", str(tmp_path / "none"), "--no-download"]
    else:
        args = ["--dataset", "digits", "--optimizer", "sgd", "--lr", "10"]
    assert main(["train", *args, "--epochs", "2", "--verbose", "0"]) == 2
    msg = cli_error(capsys.readouterr().err, "train")
    assert list((tmp_path / "runs").iterdir()) == []
    if failure == "diverged":                    # the message names the option that caused it
        assert "training diverged" in msg and "--lr" in msg and "weight-decay" not in msg


# ------------------------------------------------------------------ item 4: Ctrl-C after the last epoch

def test_hardening_cli_ctrl_c_after_the_last_epoch_still_saves(tmp_path, monkeypatch, capsys):
    """SIGINT the moment fit returns (its guard gone): the run is still tested and saved, exit 130."""
    real_fit = train_mod.fit

    def fit_then_ctrl_c(*args, **kwargs):
        history = real_fit(*args, **kwargs)
        signal.raise_signal(signal.SIGINT)          # the Ctrl-C lands after the last epoch
        return history

    monkeypatch.setattr(train_mod, "fit", fit_then_ctrl_c)
    out = tmp_path / "run"
    assert main(["train", *QUICK, "--out", str(out)]) == 130
    assert {p.name for p in out.iterdir()} == RUN_FILES
    m = json.loads((out / "metrics.json").read_text())
    assert m["epochs_completed"] == 1 and m["test"]["n"] == 360
    assert "test accuracy" in capsys.readouterr().out


def test_hardening_cli_second_ctrl_c_aborts_and_removes_the_empty_folder(tmp_path, monkeypatch, capsys):
    real_fit = train_mod.fit

    def fit_then_two(*args, **kwargs):
        history = real_fit(*args, **kwargs)
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)          # the second one aborts at once
        return history

    monkeypatch.setattr(train_mod, "fit", fit_then_two)
    out = tmp_path / "run"
    assert main(["train", *QUICK, "--out", str(out)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert not out.exists()


# ----------------------------------------------------------------------------- item 5: concurrent runs

class _FrozenClock(datetime):
    @classmethod
    def now(cls, tz=None):
        return cls(2025, 1, 2, 3, 4, 5)


def test_hardening_cli_runs_in_the_same_second_get_their_own_folders(tmp_path, monkeypatch):
    """Five runs started in the same second: five folders (was: 5 of 5 tries shared one)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(run_folder_mod, "datetime", _FrozenClock)
    claims = [claim(None, False, "digits", "mlp") for _ in range(5)]
    assert [rf.path.name for rf in claims] == ["digits-mlp-20250102-030405", *(
        f"digits-mlp-20250102-030405-{k}" for k in range(2, 6))]
    for rf in claims:
        assert (rf.path / LOCK_FILE).is_file()
        rf.release()
        assert not (rf.path / LOCK_FILE).exists()


def test_hardening_cli_same_out_is_locked(tmp_path, capsys):
    """Two runs with the same --out: the second stops before training (was: both wrote, both said so)."""
    out = tmp_path / "run"
    first = claim(str(out), False, "digits", "mlp")
    assert main(["train", *QUICK, "--out", str(out)]) == 2
    msg = cli_error(capsys.readouterr().err, "train")
    assert f"another abcdl train is writing to {out}" in msg
    first.release()
    assert main(["train", *QUICK, "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == RUN_FILES


def test_hardening_cli_two_concurrent_processes(tmp_path):
    """Two `abcdl train` processes started together in one folder: two run folders, each names its own."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "abcdl", "train", *QUICK]
    procs = [subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    wrote = [next(line for line in o.splitlines() if line.startswith("wrote ")) for o, _ in outs]
    folders = [line.split()[1].rstrip(":").rstrip("/") for line in wrote]
    assert folders[0] != folders[1]
    for folder in folders:
        assert {p.name for p in (tmp_path / folder).iterdir()} == RUN_FILES
    assert len(list((tmp_path / "runs").iterdir())) == 2


# ----------------------------------------------------------------------------- items 10, 13: option values

@pytest.mark.parametrize(("args", "expect"), [
    (["--lr", "1e308"], "--lr"),
    (["--lr", "1e308", "--schedule", "cosine"], "--lr"),
    (["--lr", "nan"], "--lr"),
    (["--weight-decay", "1e307"], "--weight-decay"),
    (["--optimizer", "adamw", "--weight-decay", "1e307"], "--weight-decay"),
    (["--optimizer", "adamw", "--weight-decay", "999", "--lr", "0.01"], "--weight-decay"),
    (["--seed", "-1"], "--seed"),
    (["--epochs", "1000000000"], "--epochs"),
    (["--batch-size", "1000000000"], "--batch-size"),
    (["--hidden", "100000000"], "--hidden"),
    (["--hidden", "20000,20000"], "--hidden"),
    (["--model", "convnet", "--hidden", "99999"], "--hidden"),
])
def test_hardening_cli_train_values_out_of_range(args, expect, tmp_path, capsys):
    """One line naming the option, before any data is read (was: tracebacks, runaway runs, and
    `--seed -1` reported as a --val-split problem, AdamW's decay blamed on the learning rate)."""
    assert _exit_status(["train", "--dataset", "digits", "--out", str(tmp_path / "run"), *args]) == 2
    msg = cli_error(capsys.readouterr().err, "train")
    assert expect in msg and "val-split" not in msg and "learning rate lr=" not in msg
    assert not (tmp_path / "run").exists()


def test_hardening_cli_selfcheck_negative_seed(capsys):
    assert _exit_status(["selfcheck", "--seed=-1"]) == 2
    assert "seed" in cli_error(capsys.readouterr().err, "selfcheck")


def _exit_status(argv: list[str]) -> int:
    """``main(argv)``'s exit status, whether it returns it or argparse exits with it."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


# ----------------------------------------------------------------------------- no traceback

@pytest.mark.parametrize(("error", "expect"), [
    (MemoryError(), "not enough memory"),
    (RecursionError("maximum recursion depth exceeded"), "nested too deeply"),
    (OSError(errno.ENOSPC, "No space left on device", "/x/model.safetensors"),
     "No space left on device: /x/model.safetensors"),
    (OSError(errno.EROFS, "Read-only file system", "/x"), "Read-only file system: /x"),
    (abcdl.checkpoint.CheckpointError("not an abcdl checkpoint"), "not an abcdl checkpoint"),
    (abcdl.data.DataError("damaged IDX file"), "damaged IDX file"),
])
def test_hardening_cli_environment_errors_are_short(error, expect, monkeypatch, capsys):
    """Library errors and a failed environment are a short message, exit status 2."""
    def fail(args):
        raise error

    _replace_command(monkeypatch, "train", fail)
    assert main(["train"]) == 2
    assert expect in cli_error(capsys.readouterr().err, "train")


def test_hardening_cli_a_real_bug_shows_its_traceback(monkeypatch, capsys):
    _replace_command(monkeypatch, "train", lambda args: {}["no such key"])
    assert main(["train"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "KeyError" in err and "please report it" in err


def _replace_command(monkeypatch, name: str, func) -> None:
    """Make ``abcdl NAME`` call ``func(args)``."""
    real_build = cli_mod.build_parser

    def build():
        parser = real_build()
        sub = next(a for a in parser._actions if a.dest == "command")
        sub.choices[name].set_defaults(func=func)
        return parser

    monkeypatch.setattr(cli_mod, "build_parser", build)


def test_hardening_cli_lock_is_released_when_the_process_dies(tmp_path):
    """A run killed with -9 leaves its lock file, but not the lock: the next run with --force proceeds."""
    out = tmp_path / "run"
    code = ("import sys, time; sys.path.insert(0, 'src');"
            "from abcdl.cli._run_folder import claim;"
            f"rf = claim({str(out)!r}, False, 'digits', 'mlp'); print('held', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(abcdl.cli.CLIError, match="another abcdl train"):
            claim(str(out), True, "digits", "mlp")
    finally:
        proc.kill()
        proc.wait()
    time.sleep(0.1)
    rf = claim(str(out), True, "digits", "mlp")
    assert rf.path == out
    rf.release()
    assert run_folder_mod.LOCK_FILE == LOCK_FILE


# ----------------------------------------------------------------------------- items 8, 11, 13: predict

@pytest.fixture(scope="module")
def digits_model(tmp_path_factory) -> Path:
    """A small model of the 8x8 digits, saved with its info, and one whose outputs overflow."""
    import numpy as np

    from abcdl.models import mlp

    folder = tmp_path_factory.mktemp("models")
    info = {"dataset": "digits", "class_names": [str(i) for i in range(10)], "input_shape": [1, 8, 8]}
    model = mlp(64, (16,), 10, rng=np.random.default_rng(0))
    model.save(folder / "ok.safetensors", info=info)
    model[0].W.data[:] = 3e38                        # finite weights whose outputs are not
    model.save(folder / "huge.safetensors", info=info)
    return folder


def _blank_images(folder: Path) -> list[Path]:
    from PIL import Image

    images = {"black.png": Image.new("L", (50, 50), 0), "white.png": Image.new("L", (50, 50), 255),
              "one.png": Image.new("L", (1, 1), 128), "clear.png": Image.new("RGBA", (40, 40), (0, 0, 0, 0))}
    for name, im in images.items():
        im.save(folder / name)
    return [folder / name for name in images]


@pytest.mark.parametrize("dataset", ["digits", "mnist"])
def test_hardening_cli_predict_blank_inputs_warn(dataset, digits_model, tmp_path, capsys):
    """Blank inputs get a warning, in the text and in --json; a blank 1x1 is not 'fitted in 20x20'."""
    files = [str(p) for p in _blank_images(tmp_path)]
    model = digits_model / "ok.safetensors"
    if dataset == "mnist":                              # a 784-input model: the MNIST preprocessing path
        import numpy as np

        from abcdl.models import mlp
        model = tmp_path / "mnist.safetensors"
        mlp(784, (8,), 10, rng=np.random.default_rng(0)).save(model, info={
            "dataset": "mnist", "class_names": [str(i) for i in range(10)], "input_shape": [1, 28, 28]})
    assert main(["predict", str(model), *files, "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert all(r["warnings"] and "blank image" in r["warnings"][0] for r in results)
    assert not any("ink fitted" in note for r in results for note in r["notes"])
    assert main(["predict", str(model), files[2]]) == 0
    assert "warning: blank image" in capsys.readouterr().out


def test_hardening_cli_predict_drawn_digit_has_no_warning(digits_model, tmp_path, capsys):
    from PIL import Image, ImageDraw

    im = Image.new("L", (40, 40), 0)
    ImageDraw.Draw(im).line([(20, 5), (20, 35)], fill=255, width=4)
    im.save(tmp_path / "one.png")
    assert main(["predict", str(digits_model / "ok.safetensors"), str(tmp_path / "one.png"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["warnings"] == []


def test_hardening_cli_predict_complex_npy_refused(digits_model, tmp_path, capsys):
    import numpy as np

    np.save(tmp_path / "c.npy", np.full((8, 8), 0.5 + 0.5j))
    assert main(["predict", str(digits_model / "ok.safetensors"), str(tmp_path / "c.npy")]) == 2
    assert "complex values" in cli_error(capsys.readouterr().err, "predict")


def test_hardening_cli_predict_png_named_npy(digits_model, tmp_path, capsys):
    png = _blank_images(tmp_path)[0]
    shutil.copy(png, tmp_path / "digit.npy")
    assert main(["predict", str(digits_model / "ok.safetensors"), str(tmp_path / "digit.npy")]) == 2
    msg = cli_error(capsys.readouterr().err, "predict")
    assert "it is a PNG image" in msg and "pickle" not in msg


@pytest.mark.parametrize("command", [["predict", "--json"], ["predict"], ["evaluate"],
                                     ["evaluate", "--json"]])
def test_hardening_cli_nonfinite_outputs_are_an_error(command, digits_model, tmp_path, capsys):
    """A model whose outputs overflow: one line, exit 2 (was: tracebacks, and NaN in --json)."""
    from PIL import Image

    Image.new("L", (8, 8), 200).save(tmp_path / "grey.png")          # ink everywhere: x > 0
    files = [str(tmp_path / "grey.png"), "--invert", "no"] if command[0] == "predict" else []
    argv = [command[0], str(digits_model / "huge.safetensors"), *files, *command[1:]]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "outputs are not finite" in cli_error(captured.err, command[0])
    assert captured.out == ""
