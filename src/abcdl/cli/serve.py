"""``abcdl serve [MODEL]``: draw a digit in the browser and watch the network's probabilities (L35).

    abcdl serve                                  # the newest run under ./runs, on http://127.0.0.1:8000/
    abcdl serve runs/mnist-mlp-20250101-120000 --port 8080 --open

The page (one HTML file inside abcdl, no network needed): a canvas to draw on (or upload an
image), the probabilities y_k = exp(z_k) / sum_i exp(z_i) as bars that follow the pen, as on
the slide of L35 ("5: 0.8"), and the 28x28 image the network sees, made as by ``abcdl predict``.

The API (JSON)::

    GET  /              the page
    GET  /api/model     dataset, class names, input shape, architecture, test accuracy
    GET  /healthz       {"status": "ok"}
    POST /api/predict   an image (image/png, image/jpeg), or JSON: a 28x28 array of pixels
                        (or 784, or {"pixels": ...}), white on black in [0, 1] or 0..255, as MNIST
        -> {"prediction": k, "label": "...", "probabilities": [...], "input28": [[...]], "notes": [...]}

Bad input gets a JSON 4xx ``{"error": "one line"}``: over 2 MB or 16 megapixels (413), no
Content-Length (411), not a PNG/JPEG image or not JSON, wrong shapes, NaN (400), another content
type (415), a body that stops arriving (408).  The model is loaded once; forward passes hold a
lock.  Nothing from a request is ever used as a file name.
"""

from __future__ import annotations

import argparse
import errno
import functools
import io
import ipaddress
import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from . import CLIError
from ._common import MODEL_FILE, HelpFormatter, metrics_beside, model_path_arg, squash
from ._datasets import DATASETS
from ._images import ImageModel, ImageTooLargeError, check_pixels, prepare, read_image

MAX_BODY = 2 * 2**20              # bytes in a request body (413 above)
MAX_PIXELS = 4096 * 4096          # pixels in an uploaded image (413 above), checked before decoding
DRAIN_LIMIT = 8 * MAX_BODY        # a refused body up to this size is read and dropped, so the client sees 413
DECODING = 4                      # images decoded at once (bounds the memory under many requests)
IMAGE_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/jpg": "JPEG"}
PAGE = Path(__file__).resolve().parent.parent / "_resources" / "serve" / "index.html"
FONT_ROUTE = "/font/abcdl-hangul.ttf"  # the web copy of the Hangul font shipped with abcdl (see web_font)
WEB_FONT_NAME = "abcdl Hangul Web"
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; base-uri 'none'; "
       "form-action 'none'; frame-ancestors 'none'")


def register(sub) -> None:
    p = sub.add_parser(
        "serve",
        formatter_class=HelpFormatter,
        help="a page to draw a digit on and watch the network's probabilities, with a JSON API (L35)",
        description="Serve a page where you draw a digit (or upload an image) and watch the trained "
                    "network's class probabilities change as you draw, with the 28x28 image it sees, "
                    "and a JSON API: POST /api/predict, GET /api/model, GET /healthz.",
        epilog="Examples: abcdl serve | abcdl serve runs/mnist-mlp-20250101-120000 --port 8080 --open",
    )
    p.add_argument("model", metavar="MODEL", nargs="?", default=None,
                   help="a .safetensors model file, or a run folder holding model.safetensors "
                        "(default: the newest run folder under ./runs)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on; 0.0.0.0 opens the page to other machines")
    p.add_argument("--port", type=_port, default=8000, help="port to listen on (0: any free port)")
    p.add_argument("--open", action="store_true", help="open the page in the web browser")
    p.set_defaults(func=run)


def _port(text: str) -> int:
    """An argparse ``type``: a TCP port, 0..65535 (0: any free one)."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0..65535, got {text!r}")
    return int(text)


# ----------------------------------------------------------------------------- the model behind the API

class ApiError(Exception):
    """A request the API refuses: an HTTP status and a one-line message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _architecture(model) -> str:
    """E.g. "Linear(784, 64) > ReLU() > Linear(64, 10)": the layers of a Sequential, in order."""
    try:
        return " > ".join(repr(layer) for layer in model)
    except TypeError:
        return type(model).__name__


def model_info(im: ImageModel) -> dict:
    """What ``GET /api/model`` returns: the dataset, class names, input, architecture, test accuracy.

    The architecture and the test accuracy come from the ``metrics.json`` written beside the
    model by ``abcdl train``; without one, the layers are listed and the accuracy is null.
    """
    metrics = metrics_beside(im.path) or {}
    config = metrics.get("config") if isinstance(metrics.get("config"), dict) else {}
    test = metrics.get("test") if isinstance(metrics.get("test"), dict) else {}
    acc, n = test.get("accuracy"), test.get("n")
    ok = isinstance(acc, (int, float)) and 0 <= acc <= 1
    return {
        "file": im.path.name, "run": im.path.parent.name, "dataset": im.dataset,
        "title": DATASETS[im.dataset].title, "class_names": im.class_names,
        "input_shape": list(im.shape), "flat": im.flat, "center": im.center,
        "architecture": str(config.get("description") or _architecture(im.model)),
        "parameters": int(sum(p.data.size for p in im.model.parameters())),
        "test_accuracy": float(acc) if ok else None,
        "test_images": n if ok and isinstance(n, int) else None,
        "max_body_bytes": MAX_BODY, "max_pixels": MAX_PIXELS,
    }


class Predictor:
    """One loaded model answering the API; safe to call from many threads at once."""

    def __init__(self, im: ImageModel) -> None:
        self.im = im
        self.info = model_info(im)
        self._forward = threading.Lock()                   # predict() switches modes: one pass at a time
        self._decoding = threading.BoundedSemaphore(DECODING)

    def image(self, data: bytes, fmt: str) -> dict:
        """The answer for a PNG or JPEG file's bytes, preprocessed as ``abcdl predict`` does."""
        with self._decoding:
            try:
                img, notes = read_image(io.BytesIO(data), "the image", MAX_PIXELS, (fmt,))
            except ImageTooLargeError as exc:
                raise ApiError(413, str(exc)) from exc
            except CLIError as exc:
                raise ApiError(400, f"{exc}; send a PNG or JPEG file") from exc
            x, done = prepare(img, self.im.hw, "auto", self.im.center)
        return self._answer(x, notes + done)

    def pixels(self, data: bytes) -> dict:
        """The answer for JSON pixels: an (H, W) or (H*W,) array, or ``{"pixels": array}``."""
        try:
            obj = json.loads(data)
        except (ValueError, RecursionError) as exc:       # UnicodeDecodeError is a ValueError
            raise ApiError(400, f"the body is not valid JSON ({squash(exc)[:120]})") from None
        if isinstance(obj, dict):
            if "pixels" not in obj:
                raise ApiError(400, 'expected a pixel array, or an object {"pixels": [[...], ...]}')
            obj = obj["pixels"]
        try:
            arr = np.asarray(obj)
            scale_max = 16.0 if self.im.dataset == "digits" else 255.0     # as abcdl predict reads .npy
            images, notes = check_pixels(arr, "pixels", self.im.hw, scale_max)
        except (ValueError, TypeError, OverflowError, RecursionError):
            raise ApiError(400, "pixels: not a rectangular array of numbers") from None
        except CLIError as exc:
            raise ApiError(400, str(exc)) from exc
        if len(images) != 1:
            raise ApiError(400, f"pixels: {len(images)} images; send one at a time")
        return self._answer(images[0], notes)

    def _answer(self, x: np.ndarray, notes: list[str]) -> dict:
        """The prediction k = argmax_k y_k, its label, every y_k, and the image the network saw."""
        with self._forward:
            p = self.im.probabilities(x[None])[0]          # y_k = exp(z_k) / sum_i exp(z_i)
        k = int(np.argmax(p))
        return {"prediction": k, "label": self.im.class_names[k], "probabilities": [float(v) for v in p],
                "input28": np.round(x.astype(np.float64), 4).tolist(), "notes": notes}


# ----------------------------------------------------------------------------- HTTP

class Handler(BaseHTTPRequestHandler):
    """The page, ``/api/model``, ``/healthz`` and ``POST /api/predict``; nothing else, no files."""

    server_version = "abcdl-serve"

    def setup(self) -> None:
        self.timeout = self.server.request_timeout         # a request that stops arriving gets 408
        super().setup()

    def log_message(self, format, *args) -> None:         # quiet: no line per request
        pass

    def _send(self, status: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
        self.send_response(status)
        for key, value in {"Content-Type": ctype, "Content-Length": str(len(body)),
                           "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                           **(headers or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: dict, headers: dict | None = None) -> None:
        body = json.dumps(obj, ensure_ascii=False, allow_nan=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8", headers)

    def do_GET(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        if path in ("/", "/index.html"):
            self._send(200, self.server.page, "text/html; charset=utf-8", {"Content-Security-Policy": CSP})
        elif path == FONT_ROUTE and self.server.font:
            self._send(200, self.server.font, "font/ttf", {"Cache-Control": "max-age=86400"})
        elif path == "/api/model":
            self._json(200, self.server.predictor.info)
        elif path == "/healthz":
            self._json(200, {"status": "ok"})
        elif path == "/api/predict":
            self._json(405, {"error": "POST an image or JSON pixels to /api/predict"}, {"Allow": "POST"})
        else:
            self._json(404, {"error": f"no such page: {path[:80]}"})

    do_HEAD = do_GET  # noqa: N815

    def do_POST(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        if path != "/api/predict":
            self._discard_body()
            self._json(405 if path in ("/", "/api/model", "/healthz") else 404,
                       {"error": "POST goes to /api/predict"})
            return
        try:
            self._json(200, self._predict())
        except ApiError as exc:
            self.close_connection = True
            self._json(exc.status, {"error": str(exc)})
        except TimeoutError:
            self.close_connection = True
            self._json(408, {"error": f"the body did not arrive within {self.server.request_timeout:g} s"})
        except (ConnectionError, OSError):
            self.close_connection = True
        except Exception as exc:                          # a bug or MemoryError: answer, keep serving
            self.close_connection = True
            print(f"abcdl serve: error: {type(exc).__name__}: {squash(exc)[:200]}", file=sys.stderr)
            self._json(500, {"error": f"internal error ({type(exc).__name__})"})

    def _refuse(self) -> None:
        self._discard_body()
        self._json(405, {"error": f"{self.command} is not allowed"}, {"Allow": "GET, HEAD, POST"})

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse  # noqa: N815

    def _discard_body(self) -> None:
        """Read and drop a body that will not be used: a client still sending would miss the answer."""
        self.close_connection = True
        try:
            self._body()
        except (ApiError, OSError):
            pass

    def _predict(self) -> dict:
        ctype = self.headers.get_content_type()
        if ctype not in IMAGE_TYPES and ctype != "application/json":
            self._body()                                   # read it anyway: the client then reads the 415
            raise ApiError(415, f"content type {ctype[:60]}; send image/png, image/jpeg or application/json")
        body = self._body()
        if ctype == "application/json":
            return self.server.predictor.pixels(body)
        return self.server.predictor.image(body, IMAGE_TYPES[ctype])

    def _body(self) -> bytes:
        """The request body, at most MAX_BODY bytes; a longer one is dropped and refused with 413."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise ApiError(411, "send the body with a Content-Length (chunked bodies are not read)")
        length = self.headers.get("Content-Length")
        if length is None:
            raise ApiError(411, "a Content-Length header is required")
        if not length.strip().isdigit():
            raise ApiError(400, f"bad Content-Length {length[:40]!r}")
        n = int(length)
        if n > MAX_BODY:
            left = n if n <= DRAIN_LIMIT else 0
            while left > 0 and (chunk := self.rfile.read(min(left, 2**16))):
                left -= len(chunk)
            raise ApiError(413, f"a body of {n:,} bytes; at most {MAX_BODY:,} are accepted")
        data = self.rfile.read(n)
        if len(data) < n:
            raise ApiError(400, f"the body ended after {len(data):,} of {n:,} bytes")
        return data


@functools.cache
def web_font() -> bytes | None:
    """A copy of the shipped NanumGothic that browsers accept, or None when it is missing.

    Browsers' font sanitizer (OTS) refuses the file because of its empty TSI* tables (hinting
    sources of Microsoft's VTT, unused for drawing), so they are left out (fontTools comes with
    matplotlib).  Leaving tables out makes a Modified Version under the SIL Open Font License,
    which may not carry the Reserved Font Name (NanumGothic), so the copy is renamed
    :data:`WEB_FONT_NAME`; it stays under the OFL (``_resources/fonts/OFL.txt``).
    """
    from ..fonts import SHIPPED_FONT

    try:
        from fontTools.ttLib import TTFont, TTLibError
    except ImportError:
        return None
    try:
        font = TTFont(SHIPPED_FONT, lazy=True)
        for tag in [t for t in font.keys() if t.startswith("TSI")]:
            del font[tag]
        for record in font["name"].names:
            if record.nameID in (1, 3, 4, 6, 16, 17, 21, 22):         # family, unique, full, PostScript...
                postscript = record.nameID == 6
                record.string = WEB_FONT_NAME.replace(" ", "") if postscript else WEB_FONT_NAME
        out = io.BytesIO()
        font.save(out)
    except (OSError, TTLibError):
        return None
    return out.getvalue()


class Server(ThreadingHTTPServer):
    """A thread per request; the model, the page and the font are held in memory."""

    daemon_threads = True
    request_queue_size = 128                               # many clients at once wait, not get refused

    def __init__(self, address, predictor: Predictor, request_timeout: float = 10.0) -> None:
        self.predictor, self.request_timeout = predictor, request_timeout
        self.page = PAGE.read_bytes()                                  # read once: requests never read files
        self.font = web_font()
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, Handler)

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):   # a client gone is no error
            super().handle_error(request, client_address)


def make_server(im: ImageModel, host: str = "127.0.0.1", port: int = 0, request_timeout: float = 10.0
                ) -> Server:
    """A server for ``im`` bound to ``host:port`` (port 0: a free one), not yet serving.

    Raises
    ------
    CLIError
        The address cannot be bound (port in use, unknown host).
    """
    try:
        return Server((host, port), Predictor(im), request_timeout)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE or isinstance(exc, PermissionError):
            raise CLIError(f"cannot listen on {host}:{port}: {exc.strerror}\n"
                           f"choose another port: abcdl serve --port {port + 1 if port else 8001}") from exc
        raise CLIError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


# ----------------------------------------------------------------------------- the command

def newest_run(root: Path = Path("runs")) -> Path:
    """``runs/<newest>/model.safetensors``: the most recently written model of a run folder under ``root``.

    Raises
    ------
    CLIError
        There is none: says how to make one (``abcdl train``); nothing is trained here.
    """
    models = [p for p in Path(root).glob(f"*/{MODEL_FILE}") if p.is_file()]
    if not models:
        raise CLIError(f"no trained model under ./{root}/ (and no MODEL given)\n"
                       f"train one first: abcdl train   (a quick one: abcdl train --subset 2000 --epochs 3)\n"
                       f"then: abcdl serve, or abcdl serve RUN_FOLDER\n"
                       f"학습된 모델이 없습니다: 먼저 abcdl train 으로 학습하세요")
    return max(models, key=lambda p: p.stat().st_mtime)


def host_warning(host: str) -> str | None:
    """A warning when ``host`` is not a loopback address: others on the network can use the page."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        return None
    return (f"abcdl serve: warning: --host {host} lets other machines on the network use this page "
            f"and its API (no password); the default 127.0.0.1 keeps it on this machine")


def run(args) -> int:
    path = model_path_arg(args.model) if args.model else newest_run()
    im = ImageModel.load(path)
    server = make_server(im, args.host, args.port)
    warning = host_warning(args.host)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    host, port = server.server_address[:2]
    shown = "127.0.0.1" if host == "0.0.0.0" else f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    info = server.predictor.info
    acc = "" if info["test_accuracy"] is None else f", test accuracy {info['test_accuracy']:.2%}"
    print(f"abcdl serve: {path}", flush=True)
    print(f"  {info['title']}, {info['architecture']}, {info['parameters']:,} parameters{acc}", flush=True)
    print(f"serving on {url}   (Ctrl-C stops it)", flush=True)
    if args.open:
        import webbrowser

        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        print("abcdl serve: stopped", flush=True)
    finally:
        server.server_close()
    return 0
