"""The wheel: MNIST, the Hangul font and the serve page are inside it, and an install of it works offline.

Builds the wheel from this checkout (``pip wheel``, no network: the build backend
comes from the test environment), installs it into a temporary folder, and loads
MNIST and the font from that install in a fresh interpreter with ``ABCDL_DATA``
unset, an empty user cache and every network connection refused.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = [
    "abcdl/_resources/mnist/train-images-idx3-ubyte.gz",
    "abcdl/_resources/mnist/train-labels-idx1-ubyte.gz",
    "abcdl/_resources/mnist/t10k-images-idx3-ubyte.gz",
    "abcdl/_resources/mnist/t10k-labels-idx1-ubyte.gz",
    "abcdl/_resources/mnist/README.md",
    "abcdl/_resources/fonts/NanumGothic.ttf",
    "abcdl/_resources/fonts/OFL.txt",
    "abcdl/_resources/fonts/README.md",
    "abcdl/_resources/digits/digits.csv.gz",
    "abcdl/_resources/digits/README.md",
    "abcdl/_resources/text/tinyshakespeare.txt",
    "abcdl/_resources/text/README.md",
]

# Run inside the installed copy: no network, no ABCDL_DATA, and report where things came from.
PROBE = r"""
import socket, sys
def refuse(*args, **kwargs):
    raise OSError("network blocked by the test")
socket.socket.connect = refuse
socket.create_connection = refuse
sys.path.insert(0, sys.argv[1])
sys.modules["sklearn"] = None                     # the 8x8 digits need no scikit-learn
import abcdl
from abcdl.data import find_dataset, load_digits, load_mnist
from abcdl import fonts
assert abcdl.__file__.startswith(sys.argv[1]), abcdl.__file__
src = find_dataset("mnist")
(x, t), (xt, tt) = load_mnist(normalize=False)
print(src.origin, src.folder)
print(x.shape, xt.shape, round(float(x.mean()), 3))
print(fonts.find_hangul_font(), fonts.SHIPPED_FONT)
print(load_digits()[0][0].shape)
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                        "--no-index", "-q", "-w", str(out), str(ROOT)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    wheels = list(out.glob("abcdl-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_package_wheel_holds_mnist_and_the_font(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [n for n in SHIPPED if n not in names]
    assert not missing, f"not in {wheel.name}: {missing}"
    sizes = {i.filename: i.file_size for i in zipfile.ZipFile(wheel).infolist()}
    assert sizes["abcdl/_resources/mnist/train-images-idx3-ubyte.gz"] > 9_000_000


def test_package_installed_wheel_loads_mnist_offline(wheel, tmp_path):
    target = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                        "--target", str(target), str(wheel)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    env = {k: v for k, v in os.environ.items() if k != "ABCDL_DATA"}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), ABCDL_MNIST_MIRRORS="http://127.0.0.1:9/")
    r = subprocess.run([sys.executable, "-c", PROBE, str(target)], capture_output=True, text=True,
                       timeout=300, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    origin, shapes, font, digits = r.stdout.splitlines()
    assert digits == "(1437, 64)"
    assert origin == f"package {target / 'abcdl' / '_resources' / 'mnist'}"
    assert shapes == "(60000, 784) (10000, 784) 33.318"              # mean training pixel (of 255)
    assert font == f"NanumGothic {target / 'abcdl' / '_resources' / 'fonts' / 'NanumGothic.ttf'}"
    assert not (tmp_path / "cache" / "abcdl").exists()              # nothing downloaded or cached
