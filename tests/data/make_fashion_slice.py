"""Write tests/data/fashion-mnist/: the first images of Fashion-MNIST, for tests without ABCDL_DATA.

The slice holds the first N_TRAIN training and N_TEST test images with their labels,
as the same four IDX files (gzip-compressed) the full dataset has, and a SHA256SUMS
file of their uncompressed contents, which the tests' ``fashion_root`` fixture uses
in place of the full files' digests.  Fashion-MNIST is MIT-licensed (Zalando Research).

    ABCDL_DATA=../shared/data python tests/data/make_fashion_slice.py
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

from abcdl.data import load_fashion_mnist

N_TRAIN, N_TEST = 1000, 500
OUT = Path(__file__).parent / "fashion-mnist"


def idx_bytes(arr) -> bytes:
    """IDX: 0x0000, type 0x08 (uint8), the number of dimensions, each dimension big-endian, the data."""
    header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return header + arr.astype("u1").tobytes()


def main() -> None:
    (x, t), (xt, tt) = load_fashion_mnist(normalize=False, flatten=False, download=False)
    parts = {
        "train-images-idx3-ubyte": x[:N_TRAIN, 0], "train-labels-idx1-ubyte": t[:N_TRAIN],
        "t10k-images-idx3-ubyte": xt[:N_TEST, 0], "t10k-labels-idx1-ubyte": tt[:N_TEST],
    }
    OUT.mkdir(exist_ok=True)
    sums = []
    for stem, arr in parts.items():
        content = idx_bytes(arr)
        # mtime=0: the same bytes on every run
        (OUT / f"{stem}.gz").write_bytes(gzip.compress(content, compresslevel=9, mtime=0))
        sums.append(f"{hashlib.sha256(content).hexdigest()}  {stem}")
    (OUT / "SHA256SUMS").write_text("\n".join(sums) + "\n")


if __name__ == "__main__":
    main()
