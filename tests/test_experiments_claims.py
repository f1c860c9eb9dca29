"""The slides' claims shown, not only computed: L12 (Bayes -> sigmoid), L23 (steepest descent and the
optimizers' step counts), L36 (iterations per epoch); the experiments bayes-sigmoid and steepest-descent."""

from __future__ import annotations

import io
import logging
import math
import warnings

import numpy as np
import pytest
from PIL import Image

from _helpers import LogCollector, assert_finite
from abcdl import experiments
from abcdl.experiments import bayes_sigmoid as bs
from abcdl.experiments import steepest_descent as sd
from abcdl.experiments._base import PNG_SIGNATURE, ParamError
from abcdl.functions import sigmoid

SMALL = {
    "bayes-sigmoid": {"grid": 31, "n_samples": 200},
    "steepest-descent": {"n_directions": 72},
}


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("name", list(SMALL))
def test_experiments_claims_run_small_and_render(name, lang):
    assert name in experiments.names()
    handler = LogCollector()
    logging.getLogger("matplotlib").addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = experiments.run(name, lang=lang, **SMALL[name])
            png = res.render_png()
    finally:
        logging.getLogger("matplotlib").removeHandler(handler)
    assert png.startswith(PNG_SIGNATURE) and len(png) < 200_000
    w, h = Image.open(io.BytesIO(png)).size
    assert w > 300 and h > 200 and res.lang == lang
    missing = [m for m in handler.messages if "glyph" in m.lower()]
    missing += [str(c.message) for c in caught if "glyph" in str(c.message).lower()]
    assert not missing, missing
    assert_finite(res.numbers)


@pytest.mark.parametrize(("name", "bad"), [
    ("bayes-sigmoid", {"priors": (0.0,)}), ("bayes-sigmoid", {"cov": (1.0, 2.0, 2.0, 1.0)}),
    ("bayes-sigmoid", {"p1": 1.0}), ("steepest-descent", {"points": (0.0, 0.0)}),
    ("steepest-descent", {"points": (1.0,)}), ("steepest-descent", {"n_directions": 2}),
])
def test_experiments_claims_bad_params_raise_param_error(name, bad):
    with pytest.raises(ParamError, match=next(iter(bad))):
        experiments.run(name, **bad)


# ----------------------------------------------------------------------------- L12 Bayes -> sigmoid

@pytest.mark.parametrize("seed", range(5))
def test_bayes_sigmoid_posterior_equals_sigma_of_linear_a(seed):
    rng = np.random.default_rng(seed)
    d = 3
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    A = rng.standard_normal((d, d))
    Sigma = A @ A.T + d * np.eye(d)                              # symmetric positive definite
    p1 = float(rng.uniform(0.05, 0.95))
    X = rng.standard_normal((200, d)) * 2
    r = bs.gaussian_classes_posterior(X, mu1, mu2, Sigma, p1)
    # Bayes' rule by hand: P(C1|x) = P(x|C1)P(C1) / (P(x|C1)P(C1) + P(x|C2)P(C2))
    def dens(mu):
        D = X - mu
        q = np.sum(D @ np.linalg.inv(Sigma) * D, axis=1)
        return np.exp(-q / 2) / np.sqrt((2 * np.pi) ** d * np.linalg.det(Sigma))
    by_hand = dens(mu1) * p1 / (dens(mu1) * p1 + dens(mu2) * (1 - p1))
    np.testing.assert_allclose(r["bayes"], by_hand, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(r["sigmoid"], r["bayes"], rtol=0, atol=1e-12)     # = sigma(w.x + b)
    a = bs.log_odds(X, mu1, mu2, Sigma, p1)                     # ln(P(x|C1)P(C1) / P(x|C2)P(C2))
    np.testing.assert_allclose(a, X @ r["w"] + r["b"], rtol=1e-10, atol=1e-10)   # linear in x
    np.testing.assert_allclose(sigmoid(a), r["bayes"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(sigmoid(-a), 1 - r["bayes"], rtol=0, atol=1e-12)   # sigma(-a) = P(C2|x)


def test_bayes_sigmoid_unequal_covariances_make_a_quadratic():
    X = np.random.default_rng(0).uniform(-3, 3, (400, 2))
    S1, S2 = np.eye(2), np.diag([0.5, 2.0])
    a_shared = bs.log_odds(X, [1, 1], [-1, 0], S1, 0.3)
    a_unequal = bs.log_odds(X, [1, 1], [-1, 0], S1, 0.3, Sigma2=S2)
    assert bs.linear_fit_residual(X, a_shared) < 1e-12
    assert bs.linear_fit_residual(X, a_unequal) > 1.0


def test_bayes_sigmoid_experiment_numbers():
    nb = experiments.run("bayes-sigmoid", **SMALL["bayes-sigmoid"]).numbers
    assert nb["max_abs_diff"] < 1e-13
    for p, v in nb["one_d"].items():                            # N(1,1) vs N(-1,1): a = 2x + ln(p/(1-p))
        assert v["w"] == pytest.approx(2.0) and v["b"] == pytest.approx(math.log(float(p) / (1 - float(p))))
    t = nb["two_d"]
    assert t["linear_residual"] < 1e-12 and t["linear_residual_unequal"] > 1 and t["symmetry"] < 1e-15


@pytest.mark.parametrize("seed", range(3))
def test_bayes_sigmoid_logistic_regression_learns_the_bayes_weights(seed):
    nb = bs.compute(grid=11, n_samples=4000, seed=seed)["numbers"]
    w_fit, w_bayes = np.array(nb["fit"]["w"]), np.array(nb["two_d"]["w"])
    # 4,000 samples: the fitted weights lie within about 15% of the Bayes weights (seeds 0-2: 3-11%)
    assert np.linalg.norm(w_fit - w_bayes) / np.linalg.norm(w_bayes) < 0.15
    assert abs(nb["fit"]["b"] - nb["two_d"]["b"]) < 0.15


# ----------------------------------------------------------------------------- L23 steepest descent

@pytest.mark.parametrize("seed", range(5))
def test_steepest_descent_directional_derivative_is_least_along_minus_grad(seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-8, 8, 2)
    g = np.array([X[0] / 10, 2 * X[1]])                          # grad of x^2/20 + y^2
    theta, U = sd.unit_directions(3600)
    D = sd.directional_derivative(g, U)
    np.testing.assert_allclose(D, np.linalg.norm(g) * np.cos(theta - math.atan2(g[1], g[0])), atol=1e-12)
    u_star = sd.steepest_direction(g)
    assert sd.directional_derivative(g, u_star) == pytest.approx(-np.linalg.norm(g), rel=1e-14)
    assert D.min() >= -np.linalg.norm(g) - 1e-12                 # no unit direction descends faster
    np.testing.assert_allclose(U[np.argmin(D)], u_star, atol=2 * math.pi / 3600)
    f = lambda x, y: x**2 / 20 + y**2                            # noqa: E731
    np.testing.assert_allclose(sd.numerical_directional_derivative(f, X, U), D, atol=1e-8)


def test_steepest_descent_rejects_non_unit_directions():
    with pytest.raises(ValueError, match="unit"):
        sd.directional_derivative([1.0, 2.0], [1.0, 1.0])


def test_steepest_descent_experiment_numbers():
    nb = experiments.run("steepest-descent").numbers
    for r in nb["points"]:
        assert r["D_steepest"] == pytest.approx(-r["grad_norm"], rel=1e-14)
        assert r["angle_error_deg"] <= 0.5                        # the 1-degree grid's nearest direction
        assert -r["grad_norm"] <= r["D_min"] < -r["grad_norm"] * (1 - 1e-3)
        assert r["max_numeric_diff"] < 1e-8
    assert nb["points"][0]["grad"] == [-0.7, 4.0]


def _slide_loop(method: str, lr: float, steps: int, tol: float = 1e-2):
    """The first n with ||X_n|| < tol, by the slides' formulas in plain NumPy (L24-L26), or None."""
    X, G, M, V = np.array([-7.0, 2.0]), np.zeros(2), np.zeros(2), np.zeros(2)
    for n in range(1, steps + 1):
        g = np.array([X[0] / 10, 2 * X[1]])
        if method == "adagrad":
            G = G + g * g                                        # G <- G + g.g
            X = X - lr / (np.sqrt(G) + 1e-8) * g                 # X <- X - alpha/(sqrt(G) + eps) g
        elif method == "rmsprop":
            G = 0.9 * G + 0.1 * g * g                            # G <- gamma G + (1 - gamma) g.g
            X = X - lr / np.sqrt(G + 1e-8) * g                   # X <- X - alpha/sqrt(G + eps) g
        else:
            M = 0.9 * M + 0.1 * g
            V = 0.999 * V + 0.001 * g * g
            Mh, Vh = M / (1 - 0.9**n), V / (1 - 0.999**n)
            X = X - lr * Mh / np.sqrt(Vh + 1e-8)                 # the lecture's Adam slide
        if np.hypot(*X) < tol:
            return n
    return None


@pytest.fixture(scope="module")
def opt2d():
    return experiments.get("optimizers-2d").compute(max_steps=10000)["numbers"]["runs"]


@pytest.mark.parametrize(("key", "method", "lr"), [
    ("adagrad lr=0.1", "adagrad", 0.1), ("adagrad lr=0.95", "adagrad", 0.95),
    ("adagrad lr=1.5", "adagrad", 1.5), ("rmsprop lr=0.01", "rmsprop", 0.01),
    ("rmsprop lr=0.3", "rmsprop", 0.3), ("adam lr=0.3", "adam", 0.3),
])
def test_optimizers_2d_steps_to_tolerance_match_the_slides_formulas(opt2d, key, method, lr):
    expected = _slide_loop(method, lr, 10000)
    assert expected is not None
    assert opt2d[key]["steps_to_tol"] == expected


def test_optimizers_2d_adagrad_at_small_lr_never_arrives_rmsprop_does(opt2d):
    assert opt2d["adagrad lr=0.01"]["steps_to_tol"] is None and _slide_loop("adagrad", 0.01, 10000) is None
    assert opt2d["rmsprop lr=0.01"]["steps_to_tol"] < 1000
    # at 1.5 gradient descent diverges while AdaGrad arrives
    assert opt2d["gd lr=1.5"]["diverged_at"] is not None and opt2d["adagrad lr=1.5"]["steps_to_tol"] < 100


# ----------------------------------------------------------------------------- L36 iterations per epoch

def test_fit_100000_examples_at_batch_100_is_1000_iterations_per_epoch():
    from abcdl.callbacks import Callback
    from abcdl.layers import Linear
    from abcdl.losses import MSELoss
    from abcdl.models import Sequential
    from abcdl.optim import SGD
    from abcdl.train import fit

    class Count(Callback):
        def __init__(self):
            self.per_epoch, self.n = [], 0

        def on_batch_end(self, batch, logs=None):
            self.n += 1

        def on_epoch_end(self, epoch, logs=None):
            self.per_epoch.append(self.n)
            self.n = 0

    rng = np.random.default_rng(0)
    x = rng.standard_normal((100_000, 1)).astype(np.float32)
    model = Sequential(Linear(1, 1, rng=rng))
    count = Count()
    fit(model, MSELoss(), SGD(model.parameters(), lr=0.01), (x, 2 * x), epochs=2, batch_size=100,
        callbacks=[count], verbose=0, rng=rng)
    assert count.per_epoch == [1000, 1000]                       # 100,000 / 100 = 1,000 per epoch
