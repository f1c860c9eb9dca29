"""k-means (L1) and PCA (L4) against scikit-learn and by hand."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import KMeans as SkKMeans
from sklearn.datasets import make_blobs
from sklearn.decomposition import PCA as SK_PCA
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

import abcdl
from abcdl.models import PCA, KMeans
from abcdl.models._estimator import NotFittedError
from abcdl.models.kmeans import kmeans_plusplus


def _blobs(seed: int = 0, n: int = 300, k: int = 4):
    X, _ = make_blobs(n, centers=k, cluster_std=0.6, random_state=seed)
    return X


def _sk_kmeans(X, k, seed):
    """scikit-learn's KMeans on one thread (its OpenMP pool crawls on a busy 2-core machine)."""
    with threadpool_limits(1):
        return SkKMeans(k, n_init=10, random_state=seed).fit(X)


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """True when a and b group the points identically (cluster names may differ)."""
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


# -- k-means -------------------------------------------------------------------------
@pytest.mark.parametrize("seed, k", [(0, 3), (1, 4), (2, 5)])
def test_kmeans_matches_sklearn(seed, k):
    X = _blobs(seed, k=k)
    ours = KMeans(k, random_state=seed).fit(X)
    sk = _sk_kmeans(X, k, seed)
    assert ours.inertia_ == pytest.approx(sk.inertia_, rel=1e-6)
    assert _same_partition(ours.labels_, sk.labels_)
    assert adjusted_rand_score(ours.labels_, sk.labels_) == 1.0
    # the same centres, up to order
    order = np.argsort(ours.cluster_centers_[:, 0])
    sk_order = np.argsort(sk.cluster_centers_[:, 0])
    np.testing.assert_allclose(ours.cluster_centers_[order], sk.cluster_centers_[sk_order], atol=1e-8)


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_kmeans_fitted_attributes_consistent(init):
    X = _blobs(3)
    km = KMeans(4, init=init, n_init=5, random_state=0).fit(X)
    D = ((X[:, None, :] - km.cluster_centers_[None]) ** 2).sum(-1)      # ||x_i - mu_k||^2
    np.testing.assert_array_equal(km.labels_, D.argmin(axis=1))
    assert km.inertia_ == pytest.approx(D.min(axis=1).sum())           # J = sum_i min_k ||x_i - mu_k||^2
    for k in range(4):                                                 # mu_k = mean of its points
        np.testing.assert_allclose(km.cluster_centers_[k], X[km.labels_ == k].mean(axis=0), atol=1e-10)
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    np.testing.assert_allclose(km.transform(X), np.sqrt(D), atol=1e-10)
    assert km.score(X) == pytest.approx(-km.inertia_)
    assert km.converged_ and 1 <= km.n_iter_ <= km.max_iter


def test_kmeans_lloyd_by_hand():
    # 1-D points 0, 1, 10, 11 from centres 0 and 1: assign {0} {1, 10, 11} -> centres 0, 22/3;
    # assign {0, 1} {10, 11} -> centres 0.5, 10.5; then nothing changes.  J = 4 * 0.25 = 1.
    X = np.array([[0.0], [1.0], [10.0], [11.0]])
    km = KMeans(2, init=np.array([[0.0], [1.0]])).fit(X)
    np.testing.assert_allclose(km.cluster_centers_, [[0.5], [10.5]])
    np.testing.assert_array_equal(km.labels_, [0, 0, 1, 1])
    assert km.inertia_ == pytest.approx(1.0)
    assert km.n_iter_ == 3


def test_kmeans_empty_cluster_is_refilled():
    X = np.array([[0.0], [1.0], [10.0], [11.0]])
    km = KMeans(3, init=np.array([[0.0], [1.0], [100.0]])).fit(X)   # the third centre gets no points
    assert np.all(np.isfinite(km.cluster_centers_))
    assert len(set(km.labels_.tolist())) == 3


def test_kmeans_plusplus_picks_distinct_spread_points():
    X = _blobs(4, k=4)
    centres, idx = kmeans_plusplus(X, 4, random_state=0)
    np.testing.assert_array_equal(centres, X[idx])
    assert len(set(idx.tolist())) == 4
    # on well-separated blobs the seeds fall in four different blobs
    labels = _sk_kmeans(X, 4, 0).labels_
    assert len(set(labels[idx].tolist())) == 4


def test_kmeans_random_state_repeatable():
    X = _blobs(5)
    a = KMeans(4, n_init=2, random_state=3).fit(X)
    b = KMeans(4, n_init=2, random_state=3).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    abcdl.seed(2)
    c = KMeans(4, n_init=2, init="random").fit(X)
    abcdl.seed(2)
    d = KMeans(4, n_init=2, init="random").fit(X)
    np.testing.assert_array_equal(c.cluster_centers_, d.cluster_centers_)


def test_kmeans_errors():
    X = _blobs()
    with pytest.raises(ValueError, match="larger than n_samples"):
        KMeans(5).fit(X[:3])
    with pytest.raises(ValueError, match="init"):
        KMeans(2, init="farthest").fit(X)
    with pytest.raises(ValueError, match="shape"):
        KMeans(2, init=np.zeros((3, 2))).fit(X)
    with pytest.raises(ValueError, match="NaN"):
        KMeans(2).fit(np.vstack([X, [[np.nan, 0.0]]]))
    with pytest.raises(ValueError, match="2-D"):
        KMeans(2).fit(X[:, 0])
    with pytest.raises(ValueError, match="n_clusters"):
        KMeans(0).fit(X)
    with pytest.raises(NotFittedError):
        KMeans(2).predict(X)
    with pytest.raises(ValueError, match="features"):
        KMeans(2, n_init=1, random_state=0).fit(X).predict(np.zeros((2, 3)))


# -- PCA -------------------------------------------------------------------------------
def _correlated(seed: int = 0, n: int = 60, d: int = 5):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)) @ rng.standard_normal((d, d)) + rng.standard_normal(d)


@pytest.mark.parametrize("n_components", [1, 2, 3, None])
def test_pca_matches_sklearn(n_components):
    X = _correlated()
    ours = PCA(n_components).fit(X)
    sk = SK_PCA(n_components, svd_solver="full").fit(X)
    # the sign convention is sklearn's svd_flip, so components agree exactly, not just up to sign
    np.testing.assert_allclose(ours.components_, sk.components_, atol=1e-10)
    np.testing.assert_allclose(ours.explained_variance_, sk.explained_variance_, rtol=1e-10)
    np.testing.assert_allclose(ours.explained_variance_ratio_, sk.explained_variance_ratio_, rtol=1e-10)
    np.testing.assert_allclose(ours.singular_values_, sk.singular_values_, rtol=1e-10)
    np.testing.assert_allclose(ours.mean_, sk.mean_, atol=1e-12)
    np.testing.assert_allclose(ours.transform(X), sk.transform(X), atol=1e-10)
    np.testing.assert_allclose(PCA(n_components).fit_transform(X), sk.transform(X), atol=1e-10)
    Z = ours.transform(X)
    np.testing.assert_allclose(ours.inverse_transform(Z), sk.inverse_transform(Z), atol=1e-10)


def test_pca_by_hand_on_a_line():
    # points on the line x2 = 2 x1: one direction (1, 2)/sqrt(5) carries all the variance
    t = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    X = np.stack([t, 2 * t], axis=1) + np.array([3.0, -1.0])
    pca = PCA(2).fit(X)
    np.testing.assert_allclose(pca.components_[0], np.array([1.0, 2.0]) / np.sqrt(5), atol=1e-12)
    np.testing.assert_allclose(pca.explained_variance_ratio_, [1.0, 0.0], atol=1e-12)
    # var along the line: |(t, 2t)|^2 = 5 t^2, so S^2/(n-1) = 5 * 10 / 4 = 12.5
    assert pca.explained_variance_[0] == pytest.approx(12.5)
    np.testing.assert_allclose(PCA(1).fit(X).transform(X)[:, 0], np.sqrt(5) * t, atol=1e-12)


def test_pca_properties_and_reconstruction():
    X = _correlated(1)
    pca = PCA().fit(X)
    np.testing.assert_allclose(pca.components_ @ pca.components_.T, np.eye(5), atol=1e-12)
    np.testing.assert_allclose(pca.explained_variance_ratio_.sum(), 1.0)
    assert np.all(np.diff(pca.explained_variance_) <= 0)
    np.testing.assert_allclose(pca.inverse_transform(pca.transform(X)), X, atol=1e-10)   # q = d: exact
    np.testing.assert_allclose(pca.explained_variance_, np.linalg.eigvalsh(np.cov(X.T))[::-1], rtol=1e-10)


def test_pca_variance_fraction_matches_sklearn():
    X = _correlated(2)
    for frac in (0.5, 0.9, 0.99):
        assert PCA(frac).fit(X).n_components_ == SK_PCA(frac, svd_solver="full").fit(X).n_components_


def test_pca_errors():
    X = _correlated()
    with pytest.raises(ValueError, match="between 1 and"):
        PCA(6).fit(X)
    with pytest.raises(ValueError, match="variance fraction"):
        PCA(1.5).fit(X)
    with pytest.raises(TypeError, match="n_components"):
        PCA("two").fit(X)
    with pytest.raises(ValueError, match="at least 2"):
        PCA().fit(X[:1])
    with pytest.raises(NotFittedError):
        PCA(2).transform(X)
    pca = PCA(2).fit(X)
    with pytest.raises(ValueError, match="features"):
        pca.transform(X[:, :3])
    with pytest.raises(ValueError, match="n_components_"):
        pca.inverse_transform(np.zeros((3, 3)))
