"""Downloading the dataset files: ordered public mirrors, SHA-256 checks, atomic writes.

Each file is fetched from the first mirror that delivers it intact.  "Intact"
means: the byte count matches the ``Content-Length`` header, the gzip stream
decompresses, the content is a well-formed IDX file, and the SHA-256 of the
*uncompressed* content matches :data:`abcdl.data.mnist.SHA256` (so a recompressed
copy is accepted).  The bytes go to a temporary file in the target folder,
which is flushed, ``fsync``-ed and then renamed over the final name with
``os.replace``; a failed or corrupt download leaves nothing behind.

Requests use urllib with TLS certificate verification on and an honest
``User-Agent: abcdl/<version>``.  The mirror lists can be replaced with the
environment variables ``ABCDL_MNIST_MIRRORS`` and ``ABCDL_FASHION_MNIST_MIRRORS``
(comma-separated base URLs), which is also how the tests drive this code
against a local server.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from .._io import atomic_write
from .._version import __version__
from .idx import DataError, decompress, parse_idx

__all__ = ["MIRRORS", "MIRROR_ENV", "TIMEOUT", "MAX_BYTES", "mirrors_for", "fetch_file", "sha256_hex"]

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


def _get(url: str, timeout: float) -> bytes:
    """The body of ``url``; raises OSError/ValueError-family errors on any failure."""
    scheme = url.split(":", 1)[0].lower()
    if scheme not in ("https", "http", "file"):
        raise ValueError(f"unsupported URL scheme {scheme!r} (use https, http or file)")
    request = urllib.request.Request(url, headers={"User-Agent": _user_agent()})
    # The default context verifies TLS certificates and host names.
    with urllib.request.urlopen(request, timeout=timeout) as response:
        declared = response.headers.get("Content-Length")
        declared = int(declared) if declared and declared.isdigit() else None
        if declared is not None and declared > MAX_BYTES:
            raise ValueError(f"Content-Length {declared} exceeds the {MAX_BYTES}-byte limit")
        parts, total = [], 0
        while True:
            chunk = response.read(_CHUNK)
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
               magic: int | None = None, timeout: float | None = None) -> tuple[Path | None, list[str]]:
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
            raw = _get(url, timeout)
            content = decompress(raw, url)
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
