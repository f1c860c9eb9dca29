"""k-means clustering: Lloyd's iterations with k-means++ seeding (L1, clustering without labels).

The lecture's third kind of task (L1): group data that carries no labels by
its features alone.  k-means looks for K centres mu_1..mu_K minimising the
inertia

    J = sum_i min_k ||x_i - mu_k||^2

by alternating two steps (Lloyd's algorithm), each of which cannot raise J:

    assign:  c_i = argmin_k ||x_i - mu_k||^2
    update:  mu_k = mean of the x_i with c_i = k

It stops when no assignment changes or the centres move by less than ``tol``
(relative to the data's mean variance, as scikit-learn).  The result depends on
the start, so ``n_init`` starts are run and the one with the lowest J is kept.
k-means++ seeding (Arthur & Vassilvitskii, 2007) draws each new centre with
probability proportional to D(x)^2, the squared distance to the nearest centre
chosen so far, trying 2 + log K candidates each time and keeping the best
(scikit-learn's "greedy" variant).
"""

from __future__ import annotations

import numpy as np

from .._types import Array, Rng
from ._base import BaseEstimator
from ._estimator import (
    check_array,
    check_fitted,
    check_float,
    check_int,
    check_n_features,
    resolve_random_state,
)

__all__ = ["KMeans", "kmeans_plusplus"]


def _sq_distances(X: np.ndarray, C: np.ndarray, x_sq: np.ndarray | None = None) -> np.ndarray:
    """||x_i - c_k||^2 = ||x_i||^2 - 2 x_i . c_k + ||c_k||^2 for all pairs; shape (n, K), clipped at 0."""
    if x_sq is None:
        x_sq = np.einsum("ij,ij->i", X, X)
    c_sq = np.einsum("ij,ij->i", C, C)
    D = x_sq[:, None] - 2.0 * (X @ C.T) + c_sq[None, :]
    return np.maximum(D, 0, out=D)


def kmeans_plusplus(X, n_clusters: int, random_state: int | Rng | None = None,
                    n_local_trials: int | None = None) -> tuple[Array, np.ndarray]:
    """Greedy k-means++ seeds: returns (centres (K, d), their row indices in X (K,)).

    The first centre is a uniformly random point; each next one is the best (lowest
    resulting potential sum_i D(x_i)^2) of ``n_local_trials`` (default 2 + int(log K))
    candidates drawn with probability D(x)^2 / sum D^2.
    """
    X = check_array(X, "kmeans_plusplus")
    rng = resolve_random_state(random_state)
    n = X.shape[0]
    K = check_int(n_clusters, "kmeans_plusplus", "n_clusters")
    if K > n:
        raise ValueError(f"kmeans_plusplus: n_clusters={K} is larger than n_samples={n}")
    trials = 2 + int(np.log(K)) if n_local_trials is None else check_int(n_local_trials, "kmeans_plusplus",
                                                                         "n_local_trials")
    x_sq = np.einsum("ij,ij->i", X, X)
    idx = np.empty(K, dtype=np.int64)
    idx[0] = rng.integers(n)
    closest = _sq_distances(X, X[idx[:1]], x_sq)[:, 0]        # D(x)^2 to the nearest chosen centre
    potential = float(closest.sum())
    for c in range(1, K):
        if potential <= 0:                                    # every point is already a centre
            cand = rng.integers(n, size=trials)
        else:
            draws = rng.random(trials) * potential            # P(x) = D(x)^2 / sum D^2
            cand = np.searchsorted(np.cumsum(closest), draws)
            cand = np.minimum(cand, n - 1)
        d_cand = np.minimum(closest[None, :], _sq_distances(X, X[cand], x_sq).T)   # (trials, n)
        pots = d_cand.sum(axis=1)
        best = int(np.argmin(pots))                           # the candidate that lowers sum D^2 most
        idx[c] = cand[best]
        closest = d_cand[best]
        potential = float(pots[best])
    return X[idx].copy(), idx


class KMeans(BaseEstimator):
    """k-means clustering with k-means++ seeding and vectorised Lloyd iterations (L1).

    Parameters
    ----------
    n_clusters : int, default 8
        K, the number of centres.
    init : {"k-means++", "random"} or array (K, d), default "k-means++"
        "random" takes K distinct data points uniformly; an array gives the
        starting centres (then ``n_init`` is 1).
    n_init : int, default 10
        Number of starts; the run with the lowest inertia is kept.
    max_iter : int, default 300
        Lloyd iterations per start.
    tol : float, default 1e-4
        Stop when sum_k ||mu_k(new) - mu_k(old)||^2 <= tol * mean feature variance.
    random_state : int, np.random.Generator or None
        Seeds the starts; None uses the library generator (``abcdl.seed``).

    Attributes
    ----------
    cluster_centers_ : ndarray (K, d)
    labels_ : ndarray (n,)            Index of each training point's centre.
    inertia_ : float                  J = sum_i ||x_i - mu_(c_i)||^2.
    n_iter_ : int                     Lloyd iterations of the best start.
    converged_ : bool                 Whether the best start converged before ``max_iter``.

    Formula
    -------
    c_i = argmin_k ||x_i - mu_k||^2,   mu_k = (1/|S_k|) sum_{i in S_k} x_i,   J = sum_i ||x_i - mu_(c_i)||^2
    """

    _estimator_type = "clusterer"

    def __init__(self, n_clusters: int = 8, init="k-means++", n_init: int = 10, max_iter: int = 300,
                 tol: float = 1e-4, random_state: int | Rng | None = None) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    # -- fitting ----------------------------------------------------------------
    def fit(self, X, y=None) -> KMeans:
        """Cluster the rows of X (n, d); ``y`` is ignored. Returns self."""
        X = check_array(X, self)
        K = check_int(self.n_clusters, self, "n_clusters")
        n_init = check_int(self.n_init, self, "n_init")
        max_iter = check_int(self.max_iter, self, "max_iter")
        tol = check_float(self.tol, self, "tol", strict=False)
        if K > X.shape[0]:
            raise ValueError(f"KMeans: n_clusters={K} is larger than n_samples={X.shape[0]}")
        given = None
        if isinstance(self.init, str):
            if self.init not in ("k-means++", "random"):
                raise ValueError(f"KMeans: init must be 'k-means++', 'random' or an array, got {self.init!r}")
        else:
            given = check_array(self.init, self, "init")
            if given.shape != (K, X.shape[1]):
                raise ValueError(f"KMeans: init array must have shape ({K}, {X.shape[1]}), got {given.shape}")
            n_init = 1
        rng = resolve_random_state(self.random_state)
        tol_abs = tol * float(np.mean(np.var(X, axis=0)))    # tol relative to the mean variance
        x_sq = np.einsum("ij,ij->i", X, X)

        best = None
        for _ in range(n_init):
            if given is not None:
                C0 = given.astype(X.dtype, copy=True)
            elif self.init == "k-means++":
                C0, _ = kmeans_plusplus(X, K, rng)
            else:
                C0 = X[rng.choice(X.shape[0], size=K, replace=False)].copy()
            run = self._lloyd(X, C0, x_sq, max_iter, tol_abs)
            if best is None or run[2] < best[2]:
                best = run
        C, labels, inertia, n_iter, converged = best
        self.cluster_centers_ = C
        self.labels_ = labels
        self.inertia_ = inertia
        self.n_iter_ = n_iter
        self.converged_ = converged
        self.n_features_in_ = X.shape[1]
        return self

    @staticmethod
    def _lloyd(X, C, x_sq, max_iter: int, tol_abs: float):
        n, K = X.shape[0], C.shape[0]
        labels = np.full(n, -1, dtype=np.int64)
        converged = False
        n_iter = 0
        for _ in range(max_iter):
            n_iter += 1
            D = _sq_distances(X, C, x_sq)
            new_labels = np.argmin(D, axis=1)                         # c_i = argmin_k ||x_i - mu_k||^2
            if np.array_equal(new_labels, labels):                    # no assignment changed
                converged = True
                break
            labels = new_labels
            onehot = (labels[:, None] == np.arange(K)).astype(X.dtype)  # (n, K) membership
            counts = np.bincount(labels, minlength=K)                   # |S_k|
            sums = onehot.T @ X                                         # sum_{i in S_k} x_i
            C_new = C.copy()
            filled = counts > 0
            C_new[filled] = sums[filled] / counts[filled, None]       # mu_k = mean of its points
            if not np.all(filled):                                    # empty cluster: move its centre
                far = np.argsort(D[np.arange(n), labels])[::-1]       # to the points worst served
                C_new[~filled] = X[far[: int((~filled).sum())]]
            shift = float(np.sum((C_new - C) ** 2))
            C = C_new
            if shift <= tol_abs:                                      # centres stopped moving
                converged = True
                break
        D = _sq_distances(X, C, x_sq)
        labels = np.argmin(D, axis=1)                                 # final assignment matches C
        inertia = float(D[np.arange(n), labels].sum())                # J = sum_i ||x_i - mu_(c_i)||^2
        return C, labels, inertia, n_iter, converged

    # -- using the fitted model -------------------------------------------------
    def _X(self, X) -> np.ndarray:
        check_fitted(self, "cluster_centers_")
        X = check_array(X, self)
        check_n_features(self, X, self.n_features_in_)
        return X

    def transform(self, X) -> Array:
        """Euclidean distance of each row to each centre, ||x_i - mu_k||; shape (n, K)."""
        X = self._X(X)
        return np.sqrt(_sq_distances(X, self.cluster_centers_.astype(X.dtype)))

    def predict(self, X) -> np.ndarray:
        """Index of the nearest centre for each row; shape (n,)."""
        X = self._X(X)
        return np.argmin(_sq_distances(X, self.cluster_centers_.astype(X.dtype)), axis=1)

    def fit_transform(self, X, y=None) -> Array:
        """``fit(X).transform(X)``: distances of the training points to the fitted centres; (n, K)."""
        return self.fit(X).transform(X)

    def fit_predict(self, X, y=None) -> np.ndarray:
        """``fit(X).labels_``."""
        return self.fit(X).labels_

    def score(self, X, y=None) -> float:
        """-J on X (scikit-learn's sign: higher is better)."""
        X = self._X(X)
        return -float(np.min(_sq_distances(X, self.cluster_centers_.astype(X.dtype)), axis=1).sum())
