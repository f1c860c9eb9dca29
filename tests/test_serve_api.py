"""`abcdl serve` (L35): its JSON API against a live server on a free loopback port, with http.client.

A rendered digit is predicted as `abcdl predict` predicts it; every kind of bad input gets a JSON
4xx and the next request is answered; 50 requests at once all succeed; Ctrl-C stops the command.
Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import http.client
import io
import json
import re
import signal
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from fontTools.ttLib import TTFont
from PIL import Image

import abcdl
from _helpers import one_cli_error
from abcdl.cli import main
from abcdl.cli._images import ImageModel
from abcdl.cli.serve import MAX_BODY, MAX_PIXELS, host_warning, make_server, model_info, newest_run
from abcdl.functions import softmax
from abcdl.train import predict

QUICK = ["--hidden", "64", "--dropout", "0", "--batch-size", "32", "--lr", "0.003", "--verbose", "0"]
TIMEOUT = 60            # seconds any one request may take before the test fails (never a hang)

pytestmark = pytest.mark.usefixtures("offline")   # no test here may reach the network (conftest.py)


@pytest.fixture(scope="module")
def confident(mnist_run, mnist_test) -> list[int]:
    """Test images the model gets right with probability > 0.95."""
    x, t = mnist_test
    P = softmax(predict(abcdl.load(mnist_run / "model.safetensors"), x[:300]))
    return [i for i in range(300) if P[i].argmax() == t[i] and P[i].max() > 0.95][:6]


@pytest.fixture(scope="module")
def server(mnist_run):
    """A live server for the run's model on 127.0.0.1, a free port; a request body must arrive in 2 s."""
    srv = make_server(ImageModel.load(mnist_run / "model.safetensors"), "127.0.0.1", 0, request_timeout=2.0)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()
    thread.join(TIMEOUT)


def request(port: int, method: str, path: str, body: bytes | None = None, ctype: str | None = None):
    """(status, headers, body) of one request to 127.0.0.1:port."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": ctype} if ctype else {})
        r = conn.getresponse()
        return r.status, r, r.read()
    finally:
        conn.close()


def api(port: int, method: str, path: str, body: bytes | None = None, ctype: str | None = None):
    """(status, JSON) of one request; every answer of the API is JSON."""
    status, r, data = request(port, method, path, body, ctype)
    assert r.getheader("Content-Type") == "application/json; charset=utf-8", (status, data[:200])
    return status, json.loads(data)


def png(pixels: np.ndarray, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, fmt)
    return buf.getvalue()


def rendered(x: np.ndarray, fmt: str = "PNG") -> bytes:
    """An MNIST image drawn black on white and enlarged to 280x280, as a person would draw it."""
    pixels = 255 - np.round(x.reshape(28, 28) * 255).astype(np.uint8)
    return png(np.asarray(Image.fromarray(pixels).resize((280, 280), Image.Resampling.LANCZOS)), fmt)


def assert_serving(port: int, x: np.ndarray) -> None:
    """The server answers the next request normally: health, then a prediction."""
    assert api(port, "GET", "/healthz") == (200, {"status": "ok"})
    status, r = api(port, "POST", "/api/predict", json.dumps(x.reshape(28, 28).tolist()).encode(),
                    "application/json")
    assert status == 200 and len(r["probabilities"]) == 10


# ----------------------------------------------------------------------------- what it serves

def test_serve_model_info_and_health(server, mnist_run):
    m = json.loads((mnist_run / "metrics.json").read_text())
    assert api(server, "GET", "/healthz") == (200, {"status": "ok"})
    status, info = api(server, "GET", "/api/model")
    assert status == 200
    assert info["dataset"] == "mnist" and info["title"] == "MNIST"
    assert info["class_names"] == [str(k) for k in range(10)]
    assert info["input_shape"] == [1, 28, 28] and info["flat"] and info["center"]
    assert info["test_accuracy"] == m["test"]["accuracy"] and info["test_images"] == 10000
    assert info["architecture"] == m["config"]["description"] == "mlp 784-64-10 (relu)"
    assert info["parameters"] == 784 * 64 + 64 + 64 * 10 + 10
    assert info["max_body_bytes"] == MAX_BODY and info["max_pixels"] == MAX_PIXELS


def test_serve_page_is_one_offline_file(server):
    status, r, page = request(server, "GET", "/")
    assert status == 200 and r.getheader("Content-Type") == "text/html; charset=utf-8"
    assert "default-src 'none'" in r.getheader("Content-Security-Policy")
    text = page.decode("utf-8")
    assert '<canvas id="pad"' in text and "/api/predict" in text and "한국어" in text
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)     # no CDN, nothing remote
    assert not re.search(r"""url\(\s*["']?(https?:)?//""", text)
    status, r, font = request(server, "GET", "/font/abcdl-hangul.ttf")  # the Hangul font shipped in abcdl
    assert status == 200 and font[:4] == b"\x00\x01\x00\x00" and len(font) > 1_000_000
    # a modified copy (hinting tables left out) may not carry the Reserved Font Name
    names = {str(rec) for rec in TTFont(io.BytesIO(font))["name"].names if rec.nameID in (1, 4, 6)}
    assert names and not any("Nanum" in n for n in names), names
    status, r, head = request(server, "HEAD", "/")
    assert status == 200 and head == b"" and int(r.getheader("Content-Length")) == len(page)


def test_serve_model_info_without_metrics(mnist_run, tmp_path):
    lone = tmp_path / "lone.safetensors"                                # no metrics.json beside it
    lone.write_bytes((mnist_run / "model.safetensors").read_bytes())
    info = model_info(ImageModel.load(lone))
    assert info["test_accuracy"] is None and info["dataset"] == "mnist"
    assert info["architecture"] == "Linear(784, 64) > ReLU() > Linear(64, 10)"


def test_serve_fashion_model_shows_its_class_names(fashion, tmp_path):
    out = tmp_path / "fashion"
    assert main(["train", "--dataset", "fashion-mnist", "--data-root", str(fashion.root), "--no-download",
                 "--subset", "1000", "--epochs", "1", "--out", str(out), *QUICK]) == 0
    srv = make_server(ImageModel.load(out / "model.safetensors"), "127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        port = srv.server_address[1]
        status, info = api(port, "GET", "/api/model")
        assert info["dataset"] == "fashion-mnist" and info["title"] == "Fashion-MNIST"
        assert info["class_names"][0] == "T-shirt/top" and info["class_names"][9] == "Ankle boot"
        assert info["center"] is False                                  # only digits are fitted in 20x20
        sneaker = np.zeros((28, 28), np.uint8)
        sneaker[14:22, 4:24] = 200
        status, r = api(port, "POST", "/api/predict", png(sneaker), "image/png")
        assert status == 200 and r["label"] == info["class_names"][r["prediction"]]
    finally:
        srv.shutdown()
        srv.server_close()


# ----------------------------------------------------------------------------- predictions

@pytest.mark.parametrize("fmt, ctype", [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_serve_predicts_a_rendered_digit_as_predict_does(server, mnist_run, mnist_test, confident, tmp_path,
                                                         capsys, fmt, ctype):
    x, t = mnist_test
    for i in confident:
        data = rendered(x[i], fmt)
        status, r = api(server, "POST", "/api/predict", data, ctype)
        assert status == 200
        assert r["prediction"] == t[i] and r["label"] == str(t[i])
        assert sum(r["probabilities"]) == pytest.approx(1, abs=1e-9)   # softmax: sum_k y_k = 1
        assert np.argmax(r["probabilities"]) == r["prediction"]
        seen = np.array(r["input28"])
        assert seen.shape == (28, 28) and seen.min() >= 0 and seen.max() <= 1
        assert any("inverted" in n for n in r["notes"]) and any("20x20" in n for n in r["notes"])
        path = tmp_path / f"digit{i}.{fmt.lower()}"                    # the same file, through abcdl predict
        path.write_bytes(data)
        assert main(["predict", str(mnist_run), str(path), "--json"]) == 0
        cli = json.loads(capsys.readouterr().out)["results"][0]
        assert np.allclose(r["probabilities"], cli["probabilities"], rtol=0, atol=1e-12)
        assert r["notes"] == cli["notes"]


@pytest.mark.parametrize("shape, scale, wrap", [((28, 28), 1, False), ((784,), 1, False),
                                                ((1, 28, 28), 1, True), ((28, 28), 255, True)])
def test_serve_json_pixels_match_the_library(server, mnist_run, mnist_test, shape, scale, wrap):
    x, t = mnist_test
    pixels = np.round(x[3] * 255) if scale == 255 else x[3]
    arr = pixels.reshape(shape).tolist()
    status, r = api(server, "POST", "/api/predict", json.dumps({"pixels": arr} if wrap else arr).encode(),
                    "application/json")
    assert status == 200
    expected = softmax(predict(abcdl.load(mnist_run / "model.safetensors"), x[3:4]).astype(np.float64))[0]
    assert np.allclose(r["probabilities"], expected, atol=1e-6)
    assert r["prediction"] == int(expected.argmax()) == t[3]
    assert np.allclose(r["input28"], x[3].reshape(28, 28), atol=1e-4)  # used as they are, not centred


def test_serve_fifty_concurrent_requests(server, mnist_test, confident):
    x, t = mnist_test
    jobs = []
    for n in range(50):
        i = confident[n % len(confident)]
        body, ctype = (rendered(x[i]), "image/png") if n % 2 else \
            (json.dumps(x[i].reshape(28, 28).tolist()).encode(), "application/json")
        jobs.append((i, body, ctype))
    with ThreadPoolExecutor(max_workers=50) as pool:
        futures = [pool.submit(api, server, "POST", "/api/predict", body, ctype) for _, body, ctype in jobs]
        answers = [f.result(timeout=4 * TIMEOUT) for f in futures]
    assert [status for status, _ in answers] == [200] * 50
    assert [r["prediction"] for _, r in answers] == [int(t[i]) for i, _, _ in jobs]
    single = {}                                                         # the same answers one at a time
    for (i, body, ctype), (_, r) in zip(jobs, answers, strict=True):
        key = (i, ctype)
        if key not in single:
            single[key] = api(server, "POST", "/api/predict", body, ctype)[1]["probabilities"]
        assert r["probabilities"] == single[key]


# ----------------------------------------------------------------------------- bad input

def _bad_png_bodies() -> dict[str, bytes]:
    cut = png(np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8))[:300]
    gif = io.BytesIO()
    Image.new("L", (28, 28)).save(gif, "GIF")
    huge = png(np.zeros((4000, 5000), np.uint8))                          # 20 megapixels, 20 kB of PNG
    return {"text": b"this is not an image", "cut": cut, "gif": gif.getvalue(), "huge": huge}


BAD = [   # (content type, body, status, words in the message)
    ("image/png", "text", 400, "not an image"),
    ("image/png", "cut", 400, "cannot read"),
    ("image/png", "gif", 400, "PNG or JPEG"),
    ("image/jpeg", "text", 400, "not an image"),
    ("image/png", "huge", 413, "5000x4000 pixels"),
    ("image/png", b"\x89PNG" + bytes(MAX_BODY), 413, "at most 2,097,152"),
    ("application/json", b"{not json", 400, "not valid JSON"),
    ("application/json", b"[0.5, \xc3\x28]", 400, "not valid JSON"),
    ("application/json", b"[" * 200_000, 400, "not valid JSON"),
    ("application/json", b'{"a": 1}', 400, "pixels"),
    ("application/json", json.dumps([[0.5] * 27] * 28).encode(), 400, "shape (28, 27)"),
    ("application/json", json.dumps([[0.5] * 28] * 27 + [[0.5] * 27]).encode(), 400, "rectangular"),
    ("application/json", json.dumps([[0] * 28] * 28).replace("0", "NaN", 1).encode(), 400, "NaN"),
    ("application/json", b"[" + b",".join([b"1e999"] * 784) + b"]", 400, "infinite"),
    ("application/json", json.dumps([[-1] * 28] * 28).encode(), 400, "negative"),
    ("application/json", json.dumps([[300] * 28] * 28).encode(), 400, "up to 300"),
    ("application/json", json.dumps([["a"] * 28] * 28).encode(), 400, "numeric"),
    ("application/json", json.dumps([[[0] * 28] * 28] * 2).encode(), 400, "2 images"),
    ("application/json", b"[]", 400, "shape (0,)"),
    ("text/plain", b"hello", 415, "image/png"),
    ("application/x-www-form-urlencoded", b"a=1", 415, "application/json"),
]


@pytest.mark.parametrize("ctype, body, status, words", BAD,
                         ids=[f"{c}-{b if isinstance(b, str) else len(b)}-{s}" for c, b, s, _ in BAD])
def test_serve_bad_input_is_a_json_4xx_and_the_next_request_works(server, mnist_test, ctype, body, status,
                                                                  words):
    data = _bad_png_bodies()[body] if isinstance(body, str) else body
    got, r = api(server, "POST", "/api/predict", data, ctype)
    assert got == status
    assert set(r) == {"error"} and words in r["error"], r
    assert "\n" not in r["error"] and len(r["error"]) < 200 and "object at 0x" not in r["error"]
    assert_serving(server, mnist_test[0][0])


def _raw(port: int, head: bytes, body: bytes = b"") -> tuple[int, dict]:
    """Send raw bytes, read the whole answer: (status, JSON body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        s.sendall(head + body)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head_part, _, payload = data.partition(b"\r\n\r\n")
    return int(head_part.split()[1]), json.loads(payload)


@pytest.mark.parametrize("headers, status, words", [
    (b"Content-Type: image/png\r\n", 411, "Content-Length"),
    (b"Content-Type: image/png\r\nContent-Length: abc\r\n", 400, "Content-Length"),
    (b"Content-Type: image/png\r\nContent-Length: -5\r\n", 400, "Content-Length"),
    (b"Content-Type: image/png\r\nTransfer-Encoding: chunked\r\n", 411, "chunked"),
    (b"Content-Type: image/png\r\nContent-Length: 10000000000\r\n", 413, "at most"),
    (b"Content-Type: image/png\r\nContent-Length: 100\r\n", 408, "did not arrive"),   # sends 10 and stops
])
def test_serve_bad_lengths_and_a_stalled_body(server, mnist_test, headers, status, words):
    got, r = _raw(server, b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + b"\r\n", b"x" * 10)
    assert got == status and words in r["error"]
    assert_serving(server, mnist_test[0][0])


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/../../etc/passwd", 404), ("GET", "/%2e%2e/%2e%2e/etc/passwd", 404),
    ("GET", "//etc/passwd", 404), ("GET", "/pyproject.toml", 404), ("GET", "/src/abcdl/cli/serve.py", 404),
    ("GET", "/index.html/..", 404), ("GET", "/api/predict", 405), ("POST", "/healthz", 405),
    ("POST", "/nothing", 404), ("PUT", "/api/predict", 405), ("DELETE", "/", 405),
])
def test_serve_no_path_reaches_the_file_system(server, mnist_test, method, path, status):
    got, r = api(server, method, path, b"{}" if method in ("POST", "PUT") else None, "application/json")
    assert got == status and "error" in r
    assert_serving(server, mnist_test[0][0])


# ----------------------------------------------------------------------------- the command

def test_serve_command_starts_answers_and_stops_on_ctrl_c(mnist_run):
    proc = subprocess.Popen([sys.executable, "-m", "abcdl", "serve", str(mnist_run), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
        acc = json.loads((mnist_run / "metrics.json").read_text())["test"]["accuracy"]
        assert lines[:2] == [f"abcdl serve: {mnist_run / 'model.safetensors'}\n",
                             f"  MNIST, mlp 784-64-10 (relu), 50,890 parameters, test accuracy {acc:.2%}\n"]
        port = int(re.fullmatch(r"serving on http://127\.0\.0\.1:(\d+)/ .*\n", lines[2]).group(1))
        assert api(port, "GET", "/healthz") == (200, {"status": "ok"})
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0 and "stopped" in out
    assert "Traceback" not in err and err == ""


def test_serve_without_model_says_how_to_train_one(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["serve"]) == 2
    first, *rest = capsys.readouterr().err.splitlines()                 # a few short lines, no traceback
    assert first == "abcdl serve: error: no trained model under ./runs/ (and no MODEL given)"
    assert rest[0].startswith("  train one first: abcdl train") and all(r.startswith("  ") for r in rest)
    assert len(rest) <= 3 and max(map(len, rest)) < 100
    assert not (tmp_path / "runs").exists()                             # nothing was trained


def test_serve_newest_run_is_the_default(mnist_run, tmp_path):
    import os

    for k, name in enumerate(["b-old", "a-new", "c-mid"]):
        folder = tmp_path / "runs" / name
        folder.mkdir(parents=True)
        (folder / "model.safetensors").write_bytes((mnist_run / "model.safetensors").read_bytes())
        os.utime(folder / "model.safetensors", (1e9 + [0, 2, 1][k] * 1000,) * 2)
    (tmp_path / "runs" / "empty").mkdir()
    assert newest_run(tmp_path / "runs") == tmp_path / "runs" / "a-new" / "model.safetensors"


def test_serve_port_in_use_and_bad_options(mnist_run, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", str(mnist_run), "--port", str(port)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"abcdl serve: error: cannot listen on 127.0.0.1:{port}: Address already in use",
        f"  choose another port: abcdl serve --port {port + 1}"]
    for args in (["--port", "70000"], ["--port", "x"], ["--hots", "1"]):
        with pytest.raises(SystemExit) as exc:
            main(["serve", str(mnist_run), *args])
        assert exc.value.code == 2
        assert args[0] in one_cli_error(capsys.readouterr().err, "serve")


def test_serve_warns_when_not_on_loopback():
    assert host_warning("127.0.0.1") is None and host_warning("localhost") is None
    assert host_warning("::1") is None
    for host in ("0.0.0.0", "192.168.1.10", "::"):
        assert "other machines" in host_warning(host) and host in host_warning(host)
