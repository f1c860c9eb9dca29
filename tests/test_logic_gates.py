"""Logic gates with the lecture's weights, the XOR table, and the XOR demonstration (L6, L9)."""

from __future__ import annotations

import numpy as np
import pytest

from abcdl.models import AND, NAND, OR, XOR, LogicGate
from abcdl.models.logic_gates import GATE_INPUTS, TwoLayerGateNetwork, xor_demo
from abcdl.models.sequential import Sequential

# Inputs in the lecture's order 00, 01, 10, 11.
TABLES = {
    # gate: (weights, pre-activations, outputs), worked out on the slides:
    # OR:   3*0+3*0-2 = -2, 3*0+3*1-2 = 1, 3*1+3*0-2 = 1, 3*1+3*1-2 = 4
    # AND:  3*0+3*0-4 = -4, -1, -1, 3*1+3*1-4 = 2
    # NAND: +4, +1, +1, -2 (the XOR table's "NOT AND" column)
    "OR": (OR, (-2, 3, 3), (-2, 1, 1, 4), (0, 1, 1, 1)),
    "AND": (AND, (-4, 3, 3), (-4, -1, -1, 2), (0, 0, 0, 1)),
    "NAND": (NAND, (4, -3, -3), (4, 1, 1, -2), (1, 1, 1, 0)),
}


@pytest.mark.parametrize("name", list(TABLES))
def test_logic_gates_truth_tables(name):
    gate, w, z, out = TABLES[name]
    np.testing.assert_array_equal(gate.w, w)
    table = gate.truth_table()
    np.testing.assert_array_equal(table.inputs, GATE_INPUTS)
    np.testing.assert_array_equal(table.z, z)
    np.testing.assert_array_equal(table.output, out)
    np.testing.assert_array_equal(gate.predict(GATE_INPUTS), out)
    assert table.name == name
    assert "x1 x2" in str(table)


def test_logic_gates_xor_layer_table():
    table = XOR.layer_table()
    cols = table.as_dict()
    np.testing.assert_array_equal(cols["NAND"], [4, 1, 1, -2])       # lecture: +4, +1, +1, -2
    np.testing.assert_array_equal(cols["XOR"], [-1, 2, 2, -1])       # lecture: -1, +2, +2, -1
    np.testing.assert_array_equal(cols["OR"], [-2, 1, 1, 4])         # the OR slide's own arithmetic
    np.testing.assert_array_equal(table.hidden_output, [[0, 1], [1, 1], [1, 1], [1, 0]])
    np.testing.assert_array_equal(table.output, [0, 1, 1, 0])
    np.testing.assert_array_equal(XOR.truth_table().z, [-1, 2, 2, -1])
    text = str(table)
    assert "0 (-2)" in text and "1 (+4)" in text and "0 (-1)" in text


def test_logic_gates_lecture_or_column_is_not_affine():
    # The XOR table prints OR pre-activations -2, +2, +2, +4.  No (w0, w1, w2) gives them:
    # any z = w0 + w1 x1 + w2 x2 has z(00) + z(11) = z(01) + z(10), and -2 + 4 != 2 + 2.
    A = np.hstack([np.ones((4, 1)), GATE_INPUTS])
    lecture = np.array([-2.0, 2.0, 2.0, 4.0])
    w, *_ = np.linalg.lstsq(A, lecture, rcond=None)
    assert np.max(np.abs(A @ w - lecture)) > 0.5
    # ... while the library's column is exactly affine with the OR slide's weights.
    np.testing.assert_allclose(A @ OR.w, OR.truth_table().z)


def test_logic_gates_call_and_composition():
    assert OR(0, 1) == 1 and AND(0, 1) == 0 and NAND(1, 1) == 0
    x1, x2 = GATE_INPUTS[:, 0], GATE_INPUTS[:, 1]
    np.testing.assert_array_equal(XOR(x1, x2), [0, 1, 1, 0])
    np.testing.assert_array_equal(XOR(x1, x2), AND(OR(x1, x2), NAND(x1, x2)))
    np.testing.assert_array_equal(XOR(x1, x2), x1 ^ x2)
    assert XOR(1, 1) == 0


def test_logic_gates_custom_network():
    # XNOR = OR(AND, NOR) with NOR = (1, -3, -3)
    nor = LogicGate((1, -3, -3), "NOR")
    xnor = TwoLayerGateNetwork((AND, nor), OR, "XNOR")
    np.testing.assert_array_equal(xnor.predict(GATE_INPUTS), [1, 0, 0, 1])


@pytest.mark.parametrize("bad, err", [
    ([[0, 2]], ValueError),
    ([[0.5, 1]], ValueError),
    ([[0, 1, 1]], ValueError),
    ([["a", "b"]], TypeError),
])
def test_logic_gates_reject_bad_inputs(bad, err):
    with pytest.raises(err):
        OR.predict(bad)


def test_logic_gates_reject_bad_weights():
    with pytest.raises(ValueError, match="three finite"):
        LogicGate((1, 2))
    with pytest.raises(ValueError, match="three finite"):
        LogicGate((1, np.nan, 2))


@pytest.mark.parametrize("seed", [0, 1])
def test_logic_gates_xor_demo_perceptron_fails_network_learns(seed):
    demo = xor_demo(max_updates=100, epochs=1500, random_state=seed)
    assert not demo.perceptron.converged_
    assert demo.perceptron.n_iter_ == 100
    assert demo.perceptron_accuracy <= 0.75             # no line gets all four right
    assert isinstance(demo.network, Sequential)
    np.testing.assert_array_equal(demo.network_predictions, [0, 1, 1, 0])
    assert demo.network_accuracy == 1.0
    assert demo.losses[-1] < 0.05 < demo.losses[0]
