"""The L39 experiments' numbers: the book's gradients, Newton and GD, tanh's derivatives, the graph, MNIST.

Rendering (en and ko, glyphs, PNG size) is covered with the other experiments in
``tests/test_experiments_core.py`` (its SMALL table).
"""

from __future__ import annotations

import numpy as np
import pytest

from abcdl import experiments
from abcdl.experiments import autograd_functions, autograd_newton, autograd_tanh


def test_autograd_experiments_book_gradients_at_one_one():
    nb = autograd_functions.compute(steps=1000, grid=5)["numbers"]
    g = nb["gradients"]
    assert g["sphere"] == [2.0, 2.0]
    assert np.allclose(g["matyas"], [0.04, 0.04], rtol=1e-12)
    assert g["goldstein_price"] == [-5376.0, 8064.0]                     # "Deep Learning from Scratch 3"
    assert max(nb["max_rel_error"].values()) < 1e-8
    assert nb["rosenbrock_grad_check"] < 1e-10
    assert 0.05 < nb["distance_to_minimum"] < 1.2                        # 1,000 steps: still in the valley


def test_autograd_experiments_rosenbrock_descent_reaches_the_minimum_with_more_steps():
    near = autograd_functions.compute(steps=10000, grid=5)["numbers"]["distance_to_minimum"]
    assert near < 0.02


def test_autograd_experiments_newton_beats_gradient_descent():
    nb = autograd_newton.compute()["numbers"]
    assert nb["newton_steps_to_tol"] <= 7 and nb["gd_steps_to_tol"] > 100
    assert nb["derivative_error"] < 1e-12
    assert nb["newton_first"][:3] == pytest.approx([2.0, 1.454545454545, 1.151046789], rel=1e-9)
    assert autograd_newton.derivatives(2.0) == (24.0, 44.0)             # 4x^3 - 4x, 12x^2 - 4 at 2


def test_autograd_experiments_tanh_derivatives_match_closed_forms():
    nb = autograd_tanh.compute(order=5, n_points=51)["numbers"]
    assert nb["max_error"] < 1e-13
    assert nb["values_at_0"][:4] == pytest.approx([0.0, 1.0, 0.0, -2.0], abs=1e-2)   # tanh'''(0) = -2
    assert nb["ops_per_order"] == sorted(nb["ops_per_order"]) and len(nb["ops_per_order"]) == 6


def test_autograd_experiments_graph_agrees_with_the_hand_written_layers():
    nb = experiments.get("autograd-graph").compute()["numbers"]
    assert nb["max_rel_error"] < 1e-12
    assert {"MatMul", "Add", "ReLU", "Transpose", "SoftmaxCrossEntropy"} == set(nb["ops"])
    assert nb["n_ops"] == 8


def test_autograd_experiments_mnist_runs_end_with_the_same_weights():
    mnist = experiments.get("autograd-mnist")
    nb = mnist.compute(n_train=1000, n_test=500, epochs=2, hidden=(32,))["numbers"]
    assert max(nb["max_weight_gap"]) <= 1e-6 < min(nb["max_weight_change"])
    assert nb["test_accuracy"]["hand"] == nb["test_accuracy"]["autograd"] > 0.3
    assert nb["loss_gap"] < 1e-10


def test_autograd_experiments_listed_with_l39():
    infos = {i.name: i for i in experiments.list_experiments()}
    for name in ("functions", "newton", "tanh", "graph", "mnist"):
        assert infos[f"autograd-{name}"].spec == ("L39",)
    assert "autograd" in infos["autograd-mnist"].description
