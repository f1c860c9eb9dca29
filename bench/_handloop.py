"""A tight hand-written NumPy loop for MLP-A: bench_mlp.py's ``--with-numpy`` reference.

Written out without the library (no layers, checks or metrics), as someone would
write it by hand for speed, so that bench_mlp.py can time what plain NumPy does on
the same machine in the same run.
"""

from __future__ import annotations

import numpy as np


class NumpyRunner:
    """MLP-A written out by hand in float32 NumPy: no layers, no checks, no metrics.

    Gradients are assigned (not accumulated), and Adam updates one flat vector of all
    parameters with the bias corrections folded into the step size.  MLP-A only (no
    dropout or batch norm).  It shows how close the library comes to plain NumPy's floor.
    """

    name = "numpy"

    def __init__(self, spec: tuple, variant: str, seed: int, data) -> None:
        hidden, p, bn = spec                                       # bench_mlp.VARIANTS[variant]
        if p or bn:
            raise SystemExit(f"the hand-written NumPy loop implements MLP-A only, not {variant}")
        rng = np.random.default_rng(seed)
        sizes = (784, *hidden, 10)
        shapes = [(o, i) for i, o in zip(sizes[:-1], sizes[1:], strict=True)] + [(o,) for o in sizes[1:]]
        total = sum(int(np.prod(sh)) for sh in shapes)
        # One flat vector each for the parameters, gradients, M, V and a scratch array, so that
        # Adam is 12 NumPy calls a step for the whole network; the layers use views into them.
        self.flat = {k: np.zeros(total, np.float32) for k in ("p", "g", "m", "v", "buf")}
        views, off = {k: [] for k in self.flat}, 0
        for sh in shapes:
            size = int(np.prod(sh))
            for k, arr in self.flat.items():
                views[k].append(arr[off:off + size].reshape(sh))
            off += size
        nl = len(sizes) - 1
        for w, (o, i) in zip(views["p"][:nl], shapes[:nl], strict=True):
            w[...] = rng.standard_normal((o, i)) * np.sqrt(2.0 / i)    # He; biases stay 0
        self.W, self.b = views["p"][:nl], views["p"][nl:]
        self.grads = views["g"]
        self.t = 0
        self.rng = rng
        self.x, self.y, self.xt, self.tt = data

    def _forward(self, xb):
        a, acts = xb, []
        for i, (w, b) in enumerate(zip(self.W, self.b, strict=True)):
            z = a @ w.T
            z += b
            if i < len(self.W) - 1:
                mask = (z > 0).astype(np.float32)
                acts.append((a, mask))
                a = z * mask
            else:
                acts.append((a, None))
                a = z
        return a, acts

    def epoch(self) -> None:
        n, nl = len(self.x), len(self.W)
        gw, gb = self.grads[:nl], self.grads[nl:]
        b1, b2, lr, eps = 0.9, 0.999, 1e-3, 1e-8
        perm = self.rng.permutation(n)
        for s in range(0, n, 100):
            idx = perm[s:s + 100]
            xb, tb = self.x.take(idx, axis=0), self.y.take(idx, axis=0)
            z, acts = self._forward(xb)
            z -= z.max(axis=1, keepdims=True)                  # softmax cross-entropy, backward only
            np.exp(z, out=z)
            z /= z.sum(axis=1, keepdims=True)
            z[np.arange(len(idx)), tb] -= 1
            d = z * np.float32(1.0 / len(idx))
            for i in range(nl - 1, -1, -1):
                a, _ = acts[i]
                np.matmul(d.T, a, out=gw[i])
                np.sum(d, axis=0, out=gb[i])
                if i:
                    d = d @ self.W[i]
                    d *= acts[i - 1][1]
            self.t += 1
            c2 = np.sqrt(1 - b2 ** self.t)
            step, e = lr * c2 / (1 - b1 ** self.t), eps * c2
            q, g, m, v, buf = (self.flat[k] for k in ("p", "g", "m", "v", "buf"))
            m -= g
            m *= b1
            m += g
            np.multiply(g, g, out=buf)
            v -= buf
            v *= b2
            v += buf
            np.sqrt(v, out=buf)
            buf += e
            np.divide(m, buf, out=buf)
            buf *= step
            q -= buf

    def predict(self):
        return np.concatenate([self._forward(self.xt[i:i + 1000])[0] for i in range(0, len(self.xt), 1000)])

    def test_accuracy(self) -> float:
        return float((self.predict().argmax(1) == self.tt).mean())
