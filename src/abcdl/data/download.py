"""Downloading the dataset files: ordered public mirrors, SHA-256 checks, atomic writes.

Each file is fetched from the first mirror that delivers it intact.  "Intact"
means: the byte count matches the ``Content-Length`` header, the gzip stream
decompresses, the content is a well-formed IDX file, and the SHA-256 of the
*uncompressed* content matches :data:`abcdl.data.mnist.SHA256` (so a recompressed
copy is accepted).  The bytes go to a temporary file in the target folder,
which is flushed, ``fsync``-ed and then renamed over the final name with
``os.replace``; a failed or corrupt download leaves nothing behind.

Requests use urllib with TLS certificate verification on and an honest
``User-Agent: abcdl/<version>``.  Each read has a timeout (:data:`TIMEOUT`) and
each file an overall deadline (:data:`DEADLINE`): a mirror that drips a byte at a
time, in the headers or the body, is cut off when the deadline passes.  The
content is decompressed in a stream that stops as soon as it passes the file's
known size (a small ``.gz`` that inflates to gigabytes costs only that size).
The mirror lists can be replaced with the environment variables
``ABCDL_MNIST_MIRRORS`` and ``ABCDL_FASHION_MNIST_MIRRORS`` (comma-separated base
URLs), which is also how the tests drive this code against a local server.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import socket
import sys
import threading
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from .._io import atomic_write
from .._version import __version__
from .idx import DataError, decompress, parse_idx

__all__ = ["MIRRORS", "MIRROR_ENV", "TIMEOUT", "DEADLINE", "MAX_BYTES", "mirrors_for", "fetch_file",
           "sha256_hex"]

# Ordered: https first; the Zalando S3 website endpoint only speaks http, which is
# acceptable because every file is checked against a SHA-256 known in advance.
MIRRORS: dict[str, list[str]] = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ],
    "fashion-mnist": [
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ],
}
MIRROR_ENV = {"mnist": "ABCDL_MNIST_MIRRORS", "fashion-mnist": "ABCDL_FASHION_MNIST_MIRRORS"}
TIMEOUT = 30.0                 # seconds per connect / read
DEADLINE = 600.0               # seconds for one whole file (26 MB at 0.35 Mbit/s), however it trickles
MAX_BYTES = 200 * 2**20        # refuse anything larger (the biggest real file is 26 MB)
_CHUNK = 1 << 20


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _user_agent() -> str:
    return f"abcdl/{__version__} Python-urllib/{sys.version_info[0]}.{sys.version_info[1]}"


def mirrors_for(dataset: str) -> list[str]:
    """Base URLs to try for ``dataset``, in order: the environment override, else :data:`MIRRORS`."""
    env = os.environ.get(MIRROR_ENV[dataset], "").strip()
    if env:
        return [u.strip() for u in env.split(",") if u.strip()]
    return list(MIRRORS[dataset])


class _Deadline:
    """An overall deadline for one download: when it passes, every socket of the request is shut down.

    The per-read timeout alone lets a mirror that drips a byte every few seconds
    hold a download forever; shutting the socket down wakes any read that is
    waiting, in the headers or in the body, and the request then fails.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._fds: list[int] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock`` down at the deadline (a duplicate descriptor: TLS wrapping detaches the original)."""
        with self._lock:
            self._fds.append(os.dup(sock.fileno()))
            if self.expired:
                self._shut(self._fds[-1])

    @staticmethod
    def _shut(fd: int) -> None:
        with contextlib.suppress(OSError), socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for fd in self._fds:
                self._shut(fd)

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()
        with self._lock:
            for fd in self._fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._fds.clear()


def _watched(base: type, deadline: _Deadline) -> type:
    """``base`` (an http.client connection class) whose sockets ``deadline`` shuts down when it passes."""
    class Watched(base):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            create = self._create_connection

            def create_watched(*a, **k):
                sock = create(*a, **k)
                deadline.watch(sock)
                return sock
            self._create_connection = create_watched
    return Watched


def _opener(deadline: _Deadline) -> urllib.request.OpenerDirector:
    """urllib's opener (TLS verified by the default context) with connections watched by ``deadline``."""
    http_class = _watched(http.client.HTTPConnection, deadline)
    https_class = _watched(http.client.HTTPSConnection, deadline)

    class HTTP(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(http_class, req)

    class HTTPS(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(https_class, req, context=self._context)

    return urllib.request.build_opener(HTTP(), HTTPS())


def _get(url: str, timeout: float, deadline: float | None = None) -> bytes:
    """The body of ``url``; raises OSError/ValueError-family errors on any failure.

    ``timeout`` bounds the connection and each read; ``deadline`` (default :data:`DEADLINE`)
    bounds the whole request, however slowly the bytes come.
    """
    scheme = url.split(":", 1)[0].lower()
    if scheme not in ("https", "http", "file"):
        raise ValueError(f"unsupported URL scheme {scheme!r} (use https, http or file)")
    seconds = DEADLINE if deadline is None else deadline
    request = urllib.request.Request(url, headers={"User-Agent": _user_agent()})
    with _Deadline(seconds) as watch:
        try:
            return _read_body(_opener(watch), request, timeout, watch)
        except (OSError, ValueError, http.client.HTTPException):
            if watch.expired:                  # the shut-down socket surfaces as a cut connection
                raise TimeoutError(f"no complete file within the {seconds:g} s deadline") from None
            raise


def _read_body(opener: urllib.request.OpenerDirector, request, timeout: float, watch: _Deadline) -> bytes:
    with opener.open(request, timeout=timeout) as response:
        declared = response.headers.get("Content-Length")
        declared = int(declared) if declared and declared.isdigit() else None
        if declared is not None and declared > MAX_BYTES:
            raise ValueError(f"Content-Length {declared} exceeds the {MAX_BYTES}-byte limit")
        parts, total = [], 0
        while True:
            chunk = response.read1(_CHUNK) if hasattr(response, "read1") else response.read(_CHUNK)
            if watch.expired:
                raise TimeoutError("deadline")
            if not chunk:
                break
            total += len(chunk)
            if total > MAX_BYTES:
                raise ValueError(f"more than {MAX_BYTES} bytes received")
            parts.append(chunk)
    if declared is not None and total != declared:
        # http.client returns a short body without error when the peer closes early
        raise ValueError(f"connection closed after {total} of {declared} bytes")
    return b"".join(parts)


def fetch_file(filename: str, folder: str | os.PathLike, sha256: str, mirrors: Sequence[str],
               magic: int | None = None, timeout: float | None = None, max_bytes: int | None = None,
               deadline: float | None = None) -> tuple[Path | None, list[str]]:
    """Download ``filename`` into ``folder`` from the first mirror that serves it intact.

    Parameters
    ----------
    filename : str
        Name on the mirror and on disk, e.g. ``train-images-idx3-ubyte.gz``.
    folder : path
        Target folder (created if needed).
    sha256 : str
        Expected SHA-256 (hex) of the *uncompressed* content.
    mirrors : sequence of str
        Base URLs, tried in order; ``filename`` is appended.
    magic : int, optional
        IDX magic number the content must carry.
    timeout : float, optional
        Seconds for the connection and each read (default :data:`TIMEOUT`).
    max_bytes : int, optional
        The uncompressed size the content may reach (its known size); decompression
        stops as soon as it passes (default: :data:`abcdl.data.idx.MAX_BYTES`).
    deadline : float, optional
        Seconds for each attempt as a whole, however slowly the bytes come
        (default :data:`DEADLINE`).

    Returns
    -------
    (path or None, errors)
        The written file, or None when every mirror failed; ``errors`` holds one
        line per failed attempt ("url: reason").
    """
    folder = Path(folder)
    timeout = TIMEOUT if timeout is None else timeout
    errors: list[str] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return None, [f"{folder}: cannot create the folder ({exc.strerror or exc})"]
    for base in mirrors:
        url = base if base.endswith("/") else base + "/"
        url += filename
        try:
            raw = _get(url, timeout, deadline)
            content = decompress(raw, url, max_bytes)
            parse_idx(content, url, magic)
            digest = sha256_hex(content)
            if digest != sha256:
                raise DataError(f"SHA-256 of the uncompressed content is {digest}, expected {sha256}")
        except (OSError, ValueError, http.client.HTTPException) as exc:
            # URLError and timeouts are OSErrors, DataError is a ValueError
            reason = getattr(exc, "reason", None) or exc
            errors.append(f"{url}: {type(exc).__name__}: {reason}")
            continue
        target = folder / filename
        try:
            atomic_write(target, raw)
        except OSError as exc:
            return None, [*errors, f"{target}: cannot write ({exc.strerror or exc})"]
        return target, errors
    return None, errors


def checksum_table(sha: Mapping[str, str]) -> str:
    """``sha256  name`` lines, as ``sha256sum`` prints them."""
    return "\n".join(f"  {digest}  {name}" for name, digest in sha.items())
