"""abcdl.experiments: the core experiments, L2-L4, L11, L14, L19, L28, L30.

They run with SMALL parameters; the framework is tested in test_experiments_framework.py.
"""

from __future__ import annotations

import io
import json
import logging
import math
import warnings

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from _helpers import LogCollector, assert_finite
from abcdl import experiments
from abcdl.experiments._base import PNG_SIGNATURE, ParamError, Result

# Small, fast parameters for each experiment tested here.
SMALL = {
    "curse-of-dimensionality": {"dims": (2, 50), "grid_dims": (1, 2, 10), "n_points": 60},
    "hoeffding": {"n_train": (20, 100), "repeats": 300},
    "pca-mnist": {"data": "digits", "n_samples": 300, "n_per_class": 100},
    "relu-approximation": {"steps": 300, "hidden": 10, "n_points": 60},
    "mle": {"grid_points": 1001},
    "numerical-diff": {"n_steps": 25},
    "weight-init": {"n_layers": 3, "n_units": 100, "n_examples": 200},
    "polynomial-overfit": {},
    "autograd-functions": {"steps": 200, "grid": 7},
    "autograd-newton": {"gd_steps": 50},
    "autograd-tanh": {"order": 3, "n_points": 41},
    "autograd-graph": {},
    "autograd-mnist": {"n_train": 300, "n_test": 100, "epochs": 1, "hidden": (16,)},
}


# ----------------------------------------------------------------------------- registered

def test_experiments_registry_lists_these_experiments():
    names = experiments.names()
    assert set(SMALL) <= set(names)
    infos = experiments.list_experiments()
    assert [i.name for i in infos] == names



# ----------------------------------------------------------------------------- every experiment renders



@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("name", list(SMALL))
def test_experiments_run_small_and_render(name, lang):
    handler = LogCollector()
    logging.getLogger("matplotlib").addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = experiments.run(name, lang=lang, **SMALL[name])
            png = res.render_png()
    finally:
        logging.getLogger("matplotlib").removeHandler(handler)
    assert isinstance(res, Result) and res.name == name and res.lang == lang
    assert isinstance(res.figure, Figure)
    assert png.startswith(PNG_SIGNATURE)
    w, h = Image.open(io.BytesIO(png)).size
    assert w > 300 and h > 200
    assert len(png) < 200_000
    missing = [m for m in handler.messages if "glyph" in m.lower()]
    missing += [str(w.message) for w in caught if "glyph" in str(w.message).lower()]
    assert not missing, missing
    d = json.loads(res.to_json())
    assert d["params"]["lang"] == lang
    assert res.summary().startswith(f"{name} (")
    assert_finite(res.numbers)




# ----------------------------------------------------------------------------- L2 curse of dimensionality

def test_curse_of_dimensionality_numbers():
    from abcdl.experiments.curse_of_dimensionality import grid_points_log10, pairwise_distances

    assert grid_points_log10(0.1, 10) == pytest.approx(10.0)    # (1/0.1)^10 = 1e10
    assert grid_points_log10(0.5, 3) == pytest.approx(math.log10(8))
    x = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])
    np.testing.assert_allclose(pairwise_distances(x), [5.0, 1.0, math.sqrt(18)])

    res = experiments.run("curse-of-dimensionality", **SMALL["curse-of-dimensionality"])
    grid = res.numbers["grid"]
    assert len(grid) == 3 * 3
    d = res.numbers["distances"]
    assert list(d) == ["2", "50"]
    assert res.numbers["n_pairs"] == 60 * 59 // 2
    # concentration: the relative spread shrinks with n; the mean approaches sqrt(n/6)
    assert d["50"]["std_over_mean"] < d["2"]["std_over_mean"] / 2
    assert d["50"]["max_minus_min_over_min"] < d["2"]["max_minus_min_over_min"]
    assert d["50"]["mean"] == pytest.approx(math.sqrt(50 / 6), rel=0.05)
    assert d["50"]["std"] == pytest.approx(math.sqrt(7 / 120), rel=0.25)


# ----------------------------------------------------------------------------- L3 Hoeffding

def test_hoeffding_bound_formula():
    from abcdl.experiments.hoeffding import hoeffding_bound

    assert hoeffding_bound(0.1, 100) == pytest.approx(math.exp(-2.0))          # exp(-2 * 0.01 * 100)
    assert hoeffding_bound(0.1, 100, n_hyp=10) == pytest.approx(10 * math.exp(-2.0))
    assert hoeffding_bound(0.1, 100, two_sided=True) == pytest.approx(2 * math.exp(-2.0))
    np.testing.assert_allclose(hoeffding_bound(0.05, np.array([0, 200])), [1.0, math.exp(-1.0)])
    with pytest.raises(ValueError):
        hoeffding_bound(0.0, 10)


def test_hoeffding_test_error_matches_simulation():
    from abcdl.experiments.hoeffding import exact_test_error

    rng = np.random.default_rng(0)
    x = rng.random(400_000)
    y = (x > 0.5) ^ (rng.random(x.size) < 0.2)
    for theta in (0.5, 0.3, 0.85):
        assert np.mean((x > theta) != y) == pytest.approx(float(exact_test_error(theta, 0.2)), abs=3e-3)


def test_hoeffding_measured_gap_is_below_the_bound():
    res = experiments.run("hoeffding", **SMALL["hoeffding"])
    n = res.numbers
    assert n["n_train"] == [20, 100]
    for key in ("p_fixed", "p_learned"):
        assert all(0.0 <= p <= 1.0 for p in n[key])
    assert all(p <= b for p, b in zip(n["p_fixed"], n["bound_1"], strict=True))
    assert all(p <= b for p, b in zip(n["p_learned"], n["bound_n_hyp"], strict=True))
    assert n["holds"] is True
    assert n["mean_gap_fixed"][1] < n["mean_gap_fixed"][0]                     # the gap shrinks with N
    assert n["p_learned"][0] >= n["p_fixed"][0]                                # choosing costs something


# ----------------------------------------------------------------------------- L4 PCA and the radius feature

def test_pca_2d_matches_scikit_learn():
    from sklearn.decomposition import PCA

    from abcdl.experiments.pca_mnist import pca_2d

    x = np.random.default_rng(0).standard_normal((200, 6)) @ np.diag([5, 3, 1, 0.5, 0.2, 0.1])
    z, comps, ratio = pca_2d(x)
    sk = PCA(n_components=6).fit(x)
    np.testing.assert_allclose(ratio, sk.explained_variance_ratio_, rtol=1e-10)
    zs = sk.transform(x)[:, :2]
    np.testing.assert_allclose(np.abs(z), np.abs(zs), atol=1e-9)               # up to each component's sign
    np.testing.assert_allclose(np.abs(comps), np.abs(sk.components_[:2]), atol=1e-10)


def test_pca_best_threshold_accuracy_by_hand():
    from abcdl.experiments.pca_mnist import best_threshold_accuracy

    f = np.array([0.1, 0.4, 0.35, 0.8, 0.9])
    y = np.array([0, 0, 1, 1, 1])
    acc, cut = best_threshold_accuracy(f, y)      # 1[f > 0.375] errs only on 0.4
    assert acc == pytest.approx(4 / 5)
    acc, _ = best_threshold_accuracy(-f, y)       # the flipped rule 1[f <= c] is also tried
    assert acc == pytest.approx(4 / 5)
    acc, cut = best_threshold_accuracy(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0, 0, 1, 1]))
    assert acc == 1.0 and cut == 2.5


def test_pca_digits_and_feature_engineering():
    res = experiments.run("pca-mnist", **SMALL["pca-mnist"])
    n = res.numbers
    evr = np.array(n["explained_variance_ratio"])
    assert evr.shape == (10,) and np.all(np.diff(evr) <= 1e-12) and evr.sum() <= 1.0
    assert n["pc2_variance"] == pytest.approx(evr[:2].sum())
    assert n["n_samples"] == 300 and n["n_features"] == 64
    assert sorted(n["class_means_2d"]) == [str(d) for d in range(10)]
    f = n["feature"]
    assert f["accuracy_p"] > 0.95                                              # p separates the shells
    assert max(f["accuracy_p1"], f["accuracy_p2"], f["accuracy_p3"]) < 0.8    # no single coordinate does
    assert 1.0 < f["threshold_p"] < 2.0


@pytest.mark.slow
def test_pca_on_real_mnist(data_root):
    res = experiments.run("pca-mnist", n_samples=500, n_per_class=50, root=str(data_root))
    assert res.numbers["n_features"] == 784 and res.numbers["n_samples"] == 500
    assert 0.05 < res.numbers["explained_variance_ratio"][0] < 0.2


def test_pca_bad_dataset_is_a_param_error():
    with pytest.raises(ParamError, match="data"):
        experiments.run("pca-mnist", data="cifar")


# ----------------------------------------------------------------------------- L11 ReLU approximation

def test_relu_lecture_z_by_hand():
    from abcdl.experiments.relu_approximation import lecture_kinks, lecture_z

    # x = 0: n3 = ReLU(1) = 1, every other unit 0           -> Z = -1
    # x = 1: n3 = 2.2, n4 = 1.0, n5 = 0.9, n6 = ReLU(0) = 0  -> Z = -2.2 + 1 + 0.9 = -0.3
    # x = -1: n1 = ReLU(-2.7), n2 = ReLU(-0.1), n3 = ReLU(-0.2): all 0 -> Z = 0
    # x = -2: n1 = 2.3, n2 = 1.1                             -> Z = -3.4
    # x = 2: n3 = 3.4, n4 = 2.2, n5 = 2.9, n6 = 5            -> Z = -3.4 + 2.2 + 2.9 + 5 = 6.7
    np.testing.assert_allclose(lecture_z(np.array([0.0, 1.0, -1.0, -2.0, 2.0])), [-1, -0.3, 0, -3.4, 6.7],
                               atol=1e-12)
    np.testing.assert_allclose(lecture_kinks(), [-1.54, -1.3 / 1.2, -1 / 1.2, 0.2 / 1.2, 0.55, 1.0])
    res = experiments.run("relu-approximation", **SMALL["relu-approximation"])
    assert res.numbers["z_at"] == pytest.approx({"-2": -3.4, "-1": 0.0, "0": -1.0, "1": -0.3, "2": 6.7})


def test_relu_network_fit_improves():
    res = experiments.run("relu-approximation", steps=2000)
    n = res.numbers
    assert n["final_mse"] < 2e-3 < 0.1 < n["initial_mse"]
    assert len(n["loss_history"]) == 51
    assert n["loss_history"][-1] == pytest.approx(n["final_mse"])
    z = experiments.run("relu-approximation", target="z", steps=500, hidden=12)
    assert z.numbers["final_mse"] < z.numbers["initial_mse"] / 10


def test_relu_divergence_is_reported_as_lr():
    with pytest.raises(ParamError, match="lr"):
        experiments.run("relu-approximation", lr=5.0, steps=200)


# ----------------------------------------------------------------------------- L14 MLE

def test_mle_maximum_at_two_fifths():
    res = experiments.run("mle")
    n = res.numbers
    assert n["closed_form"] == 0.4
    assert n["argmax_grid"] == pytest.approx(0.4, abs=1e-4)
    assert n["argmax_log_grid"] == pytest.approx(0.4, abs=1e-4)
    assert n["max_likelihood"] == pytest.approx(10 * 0.4**2 * 0.6**3)        # C(5,2) w^2 (1-w)^3
    assert abs(n["dlogp_at_closed_form"]) < 1e-12                             # 2/w - 3/(1-w) = 5 - 5
    assert abs(n["dlogp_numerical"]) < 1e-6
    other = experiments.run("mle", n=10, k=3, grid_points=1001).numbers
    assert other["argmax_grid"] == pytest.approx(0.3, abs=1e-3)


@pytest.mark.parametrize("kw", [{"k": 0}, {"k": 5}, {"n": 1, "k": 1}, {"grid_points": 2}])
def test_mle_bad_parameters(kw):
    with pytest.raises(ParamError):
        experiments.run("mle", **kw)


# ----------------------------------------------------------------------------- L19 numerical differentiation

def test_numerical_diff_orders_and_lecture_step():
    res = experiments.run("numerical-diff")
    n = res.numbers
    assert n["exact"] == 1.0                                                  # f'(1) = 12 - 4 - 7
    assert n["slopes"]["forward"] == pytest.approx(1.0, abs=0.05)
    assert n["slopes"]["backward"] == pytest.approx(1.0, abs=0.05)
    assert n["slopes"]["central"] == pytest.approx(2.0, abs=0.05)
    e = n["errors_at_h_lecture"]
    # forward/backward: |f''(1)/2 h +- f'''/6 h^2| = 10h -+ ...;  central: f'''/6 h^2 = 4 h^2 exactly
    assert e["forward"] == pytest.approx(10 * 1e-4, rel=1e-3)
    assert e["backward"] == pytest.approx(10 * 1e-4, rel=1e-3)
    assert e["central"] == pytest.approx(4e-8, rel=1e-2)
    assert len(n["h"]) == 61 and len(n["errors"]["central"]) == 61
    assert n["best_error"]["central"] < n["best_error"]["forward"]


def test_numerical_diff_bad_fit_range():
    with pytest.raises(ParamError, match="fit_range"):
        experiments.run("numerical-diff", fit_range=(1.0, 2.0))


# ----------------------------------------------------------------------------- L28 weight initialisation

def test_weight_init_activation_statistics():
    res = experiments.run("weight-init", **SMALL["weight-init"])
    c = res.numbers["configs"]
    assert list(c) == ["1.0:sigmoid", "0.01:sigmoid", "xavier:sigmoid", "xavier:tanh", "he:relu"]
    for r in c.values():
        assert len(r["std"]) == len(r["grad_w_std"]) == 3
    assert min(c["1.0:sigmoid"]["saturated"]) > 0.3                           # piles up at 0 and 1
    assert max(c["0.01:sigmoid"]["std"][1:]) < 0.05                           # collapses onto 0.5
    assert c["0.01:sigmoid"]["mean"][-1] == pytest.approx(0.5, abs=0.01)
    assert min(c["xavier:tanh"]["std"]) > 0.2
    assert all(0.35 < z < 0.65 for z in c["he:relu"]["zero"])                 # ReLU zeroes about half
    # dW[1] vs dW[3]: each layer back multiplies by ~ 0.01 sqrt(100) sigma'(0) = 0.025
    assert c["0.01:sigmoid"]["grad_w_std"][0] < 1e-2 * c["0.01:sigmoid"]["grad_w_std"][-1]
    assert c["he:relu"]["grad_w_std"][0] > 0.2 * c["he:relu"]["grad_w_std"][-1]


def test_weight_init_config_parsing():
    from abcdl.experiments.weight_init import parse_config

    assert parse_config("0.01:tanh") == (0.01, "tanh")
    assert parse_config("he:relu") == ("he", "relu")
    for bad in ("he", "he:softplus", ":relu"):
        with pytest.raises(ValueError):
            parse_config(bad)
    with pytest.raises(ParamError, match="configs"):
        experiments.run("weight-init", configs=("magic:relu",), n_examples=10)


# ----------------------------------------------------------------------------- L30 polynomial over-fitting

def test_polynomial_fit_matches_numpy_and_ridge_normal_equations():
    from abcdl.experiments.polynomial_overfit import fit_polynomial

    rng = np.random.default_rng(1)
    x = np.linspace(0, 1, 10)
    t = np.sin(2 * np.pi * x) + 0.3 * rng.standard_normal(10)
    np.testing.assert_allclose(fit_polynomial(x, t, 3), np.polyfit(x, t, 3)[::-1], rtol=1e-8)
    lam = math.exp(-5)
    phi = np.vander(x, 10, increasing=True)
    w_ridge = np.linalg.solve(phi.T @ phi + lam * np.eye(10), phi.T @ t)  # (Phi^T Phi + lambda I) w = Phi^T t
    np.testing.assert_allclose(fit_polynomial(x, t, 9, lam), w_ridge, rtol=1e-6)


def test_polynomial_overfit_coefficients_explode_and_l2_tames_them():
    res = experiments.run("polynomial-overfit")
    n = res.numbers
    assert [len(n["coefficients"][str(m)]) for m in (0, 1, 3, 6, 9)] == [1, 2, 4, 7, 10]
    assert n["max_abs_w"]["9"] > 1000 * n["max_abs_w"]["3"]
    assert n["train_rms"]["9"] < 1e-6                                          # M = 9 interpolates 10 points
    assert n["test_rms"]["9"] > 1.5 * n["test_rms"]["3"]
    assert n["l2_max_abs_w"]["9"] < 1e-3 * n["max_abs_w"]["9"]
    assert n["l2_test_rms"]["9"] < n["test_rms"]["9"]
    # the default seed draws points on the slide's scale (w_5 = 640042.26 for M = 9)
    assert 3e5 < abs(n["coefficients"]["9"][5]) < 1.3e6
    assert len(n["rms_curve"]["M"]) == len(n["rms_curve"]["test"]) == 10
