"""Optimizers (L20-L27): PyTorch trajectory parity, the lecture's variants, state, dtype, validation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import abcdl
from abcdl.layers import Linear, Tanh
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.models import Sequential
from abcdl.optim import SGD, AdaGrad, Adam, AdamW, Momentum, Nesterov, Optimizer, RMSProp

STEPS = 25

# (id, abcdl class, abcdl kwargs, torch class, torch kwargs, (small lr, large lr))
TORCH_CASES = [
    ("sgd", SGD, {}, torch.optim.SGD, {}, (0.01, 0.3)),
    ("sgd_momentum", SGD, {"momentum": 0.9}, torch.optim.SGD, {"momentum": 0.9}, (0.01, 0.3)),
    ("sgd_dampening", SGD, {"momentum": 0.8, "dampening": 0.3},
     torch.optim.SGD, {"momentum": 0.8, "dampening": 0.3}, (0.01, 0.3)),
    ("sgd_nesterov", SGD, {"momentum": 0.9, "nesterov": True},
     torch.optim.SGD, {"momentum": 0.9, "nesterov": True}, (0.01, 0.3)),
    ("sgd_weight_decay", SGD, {"momentum": 0.5, "weight_decay": 0.1},
     torch.optim.SGD, {"momentum": 0.5, "weight_decay": 0.1}, (0.01, 0.3)),
    ("momentum", Momentum, {"momentum": 0.9}, torch.optim.SGD, {"momentum": 0.9}, (0.01, 0.3)),
    ("nesterov", Nesterov, {"momentum": 0.9},
     torch.optim.SGD, {"momentum": 0.9, "nesterov": True}, (0.01, 0.3)),
    ("adagrad", AdaGrad, {}, torch.optim.Adagrad, {}, (0.01, 0.5)),
    ("adagrad_options", AdaGrad, {"weight_decay": 0.1, "lr_decay": 0.05, "initial_accumulator_value": 0.2},
     torch.optim.Adagrad, {"weight_decay": 0.1, "lr_decay": 0.05, "initial_accumulator_value": 0.2},
     (0.01, 0.5)),
    ("rmsprop", RMSProp, {"alpha": 0.9}, torch.optim.RMSprop, {"alpha": 0.9}, (1e-3, 0.05)),
    ("rmsprop_momentum", RMSProp, {"momentum": 0.9}, torch.optim.RMSprop, {"momentum": 0.9}, (1e-3, 0.05)),
    ("rmsprop_centered", RMSProp, {"centered": True, "momentum": 0.5, "weight_decay": 0.1},
     torch.optim.RMSprop, {"centered": True, "momentum": 0.5, "weight_decay": 0.1}, (1e-3, 0.05)),
    ("adam", Adam, {}, torch.optim.Adam, {}, (1e-3, 0.1)),
    ("adam_options", Adam, {"betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1},
     torch.optim.Adam, {"betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}, (1e-3, 0.1)),
    ("adamw", AdamW, {"weight_decay": 0.1}, torch.optim.AdamW, {"weight_decay": 0.1}, (1e-3, 0.1)),
]
TORCH_PARAMS = [
    pytest.param(cls, kw, tcls, tkw, lr, id=f"{name}-lr{lr}")
    for name, cls, kw, tcls, tkw, lrs in TORCH_CASES for lr in lrs
]


# -- the two problems -------------------------------------------------------------------------
class Quadratic:
    """f = sum_i (1/2 x_i^T A_i x_i + b_i^T x_i) over two parameters (a matrix and a vector)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.shapes = [(3, 4), (5,)]
        self.A, self.b, self.x0 = [], [], []
        for shape in self.shapes:
            n = int(np.prod(shape))
            Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
            self.A.append(Q @ np.diag(rng.uniform(0.1, 3.0, n)) @ Q.T)     # SPD, eigenvalues in [0.1, 3]
            self.b.append(rng.standard_normal(n))
            self.x0.append(rng.standard_normal(shape))

    def x0_like(self) -> list[np.ndarray]:
        return self.x0

    def grad(self, i: int, x: np.ndarray) -> np.ndarray:
        return (self.A[i] @ x.reshape(-1) + self.b[i]).reshape(x.shape)   # A x + b

    def abcdl_run(self, make_opt, steps: int) -> list[list[np.ndarray]]:
        ps = [abcdl.Parameter(x.copy()) for x in self.x0]
        opt = make_opt(ps)
        traj = []
        for _ in range(steps):
            opt.zero_grad()
            for i, p in enumerate(ps):
                p.grad[...] = self.grad(i, p.data)
            opt.step()
            traj.append([p.data.copy() for p in ps])
        return traj

    def torch_run(self, make_opt, steps: int) -> list[list[np.ndarray]]:
        ps = [torch.tensor(x.copy(), dtype=torch.float64, requires_grad=True) for x in self.x0]
        opt = make_opt(ps)
        traj = []
        for _ in range(steps):
            for i, p in enumerate(ps):
                p.grad = torch.from_numpy(self.grad(i, p.detach().numpy()))
            opt.step()
            traj.append([p.detach().numpy().copy() for p in ps])
        return traj


class SmallNet:
    """Sequential(Linear(4, 6), Tanh, Linear(6, 3)) + softmax cross-entropy on fixed data, float64."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.X = rng.standard_normal((16, 4))
        self.t = rng.integers(0, 3, 16)
        self.rng_seed = int(rng.integers(1 << 30))

    def build(self) -> Sequential:
        r = np.random.default_rng(self.rng_seed)
        return Sequential(Linear(4, 6, init="xavier", rng=r, dtype=np.float64), Tanh(),
                          Linear(6, 3, init="xavier", rng=r, dtype=np.float64))

    def x0_like(self) -> list[np.ndarray]:
        return [p.data for p in self.build().parameters()]

    def abcdl_run(self, make_opt, steps: int) -> list[list[np.ndarray]]:
        model, loss_fn = self.build(), SoftmaxCrossEntropyLoss()
        opt = make_opt(model.parameters())
        traj = []
        for _ in range(steps):
            opt.zero_grad()
            loss_fn.forward(model.forward(self.X), self.t)
            model.backward(loss_fn.backward())
            opt.step()
            traj.append([p.data.copy() for p in model.parameters()])
        return traj

    def torch_run(self, make_opt, steps: int) -> list[list[np.ndarray]]:
        ours = self.build()
        net = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3)).double()
        with torch.no_grad():
            for i, j in ((0, 0), (2, 2)):                # weights copied untransposed: W is (out, in)
                net[j].weight.copy_(torch.from_numpy(ours[i].W.data))
                net[j].bias.copy_(torch.from_numpy(ours[i].b.data))
        opt = make_opt(list(net.parameters()))
        X, t = torch.from_numpy(self.X), torch.from_numpy(self.t)
        traj = []
        for _ in range(steps):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(X), t).backward()
            opt.step()
            traj.append([p.detach().numpy().copy() for p in net.parameters()])
        return traj


@pytest.mark.parametrize("problem", [Quadratic, SmallNet])
@pytest.mark.parametrize(("cls", "kw", "tcls", "tkw", "lr"), TORCH_PARAMS)
def test_optim_matches_torch_trajectory(problem, cls, kw, tcls, tkw, lr):
    prob = problem(np.random.default_rng(7))
    ours = prob.abcdl_run(lambda ps: cls(ps, lr=lr, **kw), STEPS)
    theirs = prob.torch_run(lambda ps: tcls(ps, lr=lr, **tkw), STEPS)
    moved = max(np.abs(a - b).max() for a, b in zip(ours[-1], prob.x0_like(), strict=True))
    assert moved > 1e-3, "the problem barely moved: the comparison would prove nothing"
    for step, (a_params, t_params) in enumerate(zip(ours, theirs, strict=True), 1):
        for k, (a, b) in enumerate(zip(a_params, t_params, strict=True)):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13,
                                       err_msg=f"{cls.__name__} {kw} lr={lr}: parameter {k}, step {step}")


# -- the lecture's forms that PyTorch does not have, against a line-by-line NumPy reference ------------
def _reference(kind: str, lr: float, g_of, x0: np.ndarray, steps: int) -> list[np.ndarray]:
    """The slide formulas written out with plain NumPy, one variable per symbol."""
    x, traj = x0.copy(), []
    G, M, V = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    eps, gamma, b1, b2 = 1e-8, 0.9, 0.9, 0.999
    for n in range(1, steps + 1):
        g = g_of(x)
        if kind == "adagrad_lecture25":          # G <- G + g⊙g,  X <- X - alpha/sqrt(G + eps) ⊙ g
            G = G + g * g
            x = x - lr / np.sqrt(G + eps) * g
        elif kind == "rmsprop_lecture":          # G <- gamma G + (1-gamma) g⊙g; X <- X - alpha/sqrt(G+eps) g
            G = gamma * G + (1 - gamma) * g * g
            x = x - lr / np.sqrt(G + eps) * g
        elif kind == "adam_no_correction":       # M, V as they are: X <- X - alpha M / (sqrt(V) + eps)
            M = b1 * M + (1 - b1) * g
            V = b2 * V + (1 - b2) * g * g
            x = x - lr * M / (np.sqrt(V) + eps)
        elif kind == "adam_lecture_slide":       # X <- X - alpha M^ / sqrt(V^ + eps)
            M = b1 * M + (1 - b1) * g
            V = b2 * V + (1 - b2) * g * g
            M_hat, V_hat = M / (1 - b1 ** n), V / (1 - b2 ** n)
            x = x - lr * M_hat / np.sqrt(V_hat + eps)
        traj.append(x.copy())
    return traj


@pytest.mark.parametrize(("kind", "make"), [
    ("adagrad_lecture25", lambda ps, lr: AdaGrad(ps, lr=lr, eps=1e-8, eps_inside_sqrt=True)),
    ("rmsprop_lecture", lambda ps, lr: RMSProp(ps, lr=lr, alpha=0.9, eps=1e-8, eps_inside_sqrt=True)),
    ("adam_no_correction", lambda ps, lr: Adam(ps, lr=lr, bias_correction=False)),
    ("adam_lecture_slide", lambda ps, lr: Adam(ps, lr=lr, eps_inside_sqrt=True)),
])
@pytest.mark.parametrize("lr", [0.01, 0.3])
def test_optim_lecture_variants_match_slide_formulas(kind, make, lr):
    # f(x, y) = x^2/20 + y^2 (L23) from (-7, 2), where eps matters: the gradient shrinks towards 0.
    def grad_f(X):
        return np.array([X[0] / 10, 2 * X[1]])   # (f_x, f_y) = (x/10, 2y)

    x0 = np.array([-7.0, 2.0])
    expected = _reference(kind, lr, grad_f, x0, 30)
    p = abcdl.Parameter(x0)
    opt = make([p], lr)
    for n in range(30):
        p.grad[:] = grad_f(p.data)
        opt.step()
        np.testing.assert_allclose(p.data, expected[n], rtol=1e-12, atol=1e-15,
                                   err_msg=f"{kind} step {n + 1}")


def test_optim_adam_first_step_worked_example():
    # g = (0.5, -2).  t = 1: M = 0.1 g, V = 0.001 g⊙g, M^ = g, V^ = g⊙g,
    # so the step is alpha g / (|g| + eps) = alpha sign(g) (up to eps): (-0.1, +0.1) for alpha = 0.1.
    g = np.array([0.5, -2.0])
    p = abcdl.Parameter(np.zeros(2))
    opt = Adam([p], lr=0.1)
    p.grad[:] = g
    opt.step()
    np.testing.assert_allclose(p.data, -0.1 * g / (np.abs(g) + 1e-8), rtol=1e-15)
    np.testing.assert_allclose(opt.state[p]["m"], 0.1 * g, rtol=1e-15)
    np.testing.assert_allclose(opt.state[p]["v"], 0.001 * g * g, rtol=1e-15)
    # Without the correction the first step is alpha (0.1 g) / sqrt(0.001 g⊙g) = sqrt(10) alpha sign(g),
    # the "too large first step" of the lecture's with/without plot.
    q = abcdl.Parameter(np.zeros(2))
    opt = Adam([q], lr=0.1, bias_correction=False)
    q.grad[:] = g
    opt.step()
    np.testing.assert_allclose(q.data, -0.1 * (0.1 * g) / (np.sqrt(0.001) * np.abs(g) + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(q.data, -0.1 * np.sqrt(10) * np.sign(g), rtol=1e-5)


# -- resuming ----------------------------------------------------------------------------------
ALL_OPTIMIZERS = [
    pytest.param(SGD, {"lr": 0.1}, id="sgd"),
    pytest.param(SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.01},
                 id="sgd_momentum"),
    pytest.param(SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}, id="sgd_nesterov"),
    pytest.param(Momentum, {"lr": 0.1, "momentum": 0.9}, id="momentum"),
    pytest.param(Nesterov, {"lr": 0.1, "momentum": 0.9}, id="nesterov"),
    pytest.param(AdaGrad, {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01}, id="adagrad"),
    pytest.param(RMSProp, {"lr": 0.01, "momentum": 0.9, "centered": True}, id="rmsprop"),
    pytest.param(RMSProp, {"lr": 0.01, "eps_inside_sqrt": True}, id="rmsprop_lecture"),
    pytest.param(Adam, {"lr": 0.01, "weight_decay": 0.01}, id="adam"),
    pytest.param(Adam, {"lr": 0.01, "bias_correction": False}, id="adam_no_correction"),
    pytest.param(AdamW, {"lr": 0.01}, id="adamw"),
]


def _batches(n: int, dtype=np.float64) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(3)
    return [(rng.standard_normal((8, 4)).astype(dtype), rng.integers(0, 3, 8)) for _ in range(n)]


def _net(seed: int, dtype=np.float64) -> Sequential:
    r = np.random.default_rng(seed)
    return Sequential(Linear(4, 6, rng=r, dtype=dtype), Tanh(), Linear(6, 3, rng=r, dtype=dtype))


def _train(model, opt, batches) -> list[list[np.ndarray]]:
    loss_fn, traj = SoftmaxCrossEntropyLoss(), []
    for X, t in batches:
        opt.zero_grad()
        loss_fn.forward(model.forward(X), t)
        model.backward(loss_fn.backward())
        opt.step()
        traj.append([p.data.copy() for p in model.parameters()])
    return traj


@pytest.mark.parametrize(("cls", "kw"), ALL_OPTIMIZERS)
def test_optim_state_dict_resumes_bit_for_bit(cls, kw):
    batches = _batches(20)
    model = _net(0)
    opt = cls(model.parameters(), **kw)
    _train(model, opt, batches[:10])
    saved_opt, saved_model = opt.state_dict(), model.state_dict()
    assert saved_opt["t"] == 10 and saved_opt["type"] == cls.__name__
    straight = _train(model, opt, batches[10:])            # also checks that the saved arrays are copies

    model2 = _net(1)                                       # a rebuilt model: other Parameter objects
    model2.load_state_dict(saved_model)
    opt2 = cls(model2.parameters(), lr=123.0)              # lr and hyper-parameters come from the state
    opt2.load_state_dict(saved_opt)
    assert opt2.lr == kw["lr"] and opt2.t == 10
    resumed = _train(model2, opt2, batches[10:])
    for step, (a, b) in enumerate(zip(straight, resumed, strict=True), 11):
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            np.testing.assert_array_equal(x, y, err_msg=f"step {step}, parameter {k}")


def test_optim_load_state_dict_rejects_mismatches():
    model = _net(0)
    opt = Adam(model.parameters(), lr=0.01)
    _train(model, opt, _batches(2))
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="from a Adam"):
        SGD(model.parameters(), lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="shape"):
        Adam(_net(0).parameters()[::-1], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="only 2"):
        Adam(model.parameters()[:2], lr=0.1).load_state_dict(sd)
    bad = {**sd, "hyper": {**sd["hyper"], "eps": -1.0}}
    fresh = Adam(model.parameters(), lr=0.5)
    with pytest.raises(ValueError, match="eps"):
        fresh.load_state_dict(bad)
    assert fresh.lr == 0.5 and fresh.t == 0 and not fresh.state     # nothing changed
    partial = {**sd, "state": {0: sd["state"][0]}}
    with pytest.raises(ValueError, match="1 of 4"):
        fresh.load_state_dict(partial)


# -- dtype, in-place updates, bare parameters ------------------------------------------------------------
@pytest.mark.parametrize(("cls", "kw"), ALL_OPTIMIZERS)
def test_optim_float32_stays_float32_in_place(cls, kw):
    batches32 = _batches(5, np.float32)
    model32, model64 = _net(0, np.float32), _net(0, np.float64)
    model64.load_state_dict(model32.state_dict())
    opt32 = cls(model32.parameters(), **{k: np.float64(v) if k == "lr" else v for k, v in kw.items()})
    assert type(opt32.lr) is float                          # a NumPy float64 lr would upcast float32 work
    traj32 = _train(model32, opt32, batches32[:1])
    # every update is in place: the parameters keep their array objects from step to step
    arrays = [p.data for p in model32.parameters()]
    traj32 += _train(model32, opt32, batches32[1:])
    batches64 = [(X.astype(np.float64), t) for X, t in batches32]
    traj64 = _train(model64, cls(model64.parameters(), **kw), batches64)
    for p, arr in zip(model32.parameters(), arrays, strict=True):
        assert p.data is arr and p.data.dtype == np.float32 and p.grad.dtype == np.float32
        for name, s in opt32.state[p].items():
            assert s.dtype == np.float32, f"state {name!r} is {s.dtype}"
    for a, b in zip(traj32[-1], traj64[-1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_optim_drives_a_bare_parameter():
    # L23: gradient descent on f(x, y) = x^2/20 + y^2 converges to (0, 0).
    p = abcdl.Parameter(np.array([-7.0, 2.0]))
    opt = SGD(p, lr=0.9)                                   # one Parameter is accepted as is
    for _ in range(300):
        p.grad[:] = [p.data[0] / 10, 2 * p.data[1]]
        opt.step()
    np.testing.assert_allclose(p.data, 0.0, atol=1e-10)


def test_optim_zero_grad_and_lr_attribute():
    model = _net(0)
    opt = SGD(model.parameters(), lr=0.1)
    for p in model.parameters():
        p.grad += 1.0
    opt.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())
    p = abcdl.Parameter(np.array([1.0]))
    opt = SGD([p], lr=0.1)
    opt.lr = 0.5                                           # the next step uses the new lr
    p.grad[:] = 2.0
    opt.step()
    assert p.data[0] == 1.0 - 0.5 * 2.0
    with pytest.raises(ValueError, match="lr"):
        opt.lr = -1.0
    assert "lr=0.5" in repr(opt)


# -- validation ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("cls", "kw", "match"), [
    (SGD, {"lr": -0.1}, "lr"),
    (SGD, {"lr": float("nan")}, "lr"),
    (SGD, {"lr": 0.1, "momentum": -0.5}, "momentum"),
    (SGD, {"lr": 0.1, "momentum": 1.0}, "momentum"),
    (SGD, {"lr": 0.1, "weight_decay": -1e-4}, "weight_decay"),
    (SGD, {"lr": 0.1, "dampening": 1.5}, "dampening"),
    (SGD, {"lr": 0.1, "nesterov": True}, "nesterov"),
    (SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}, "nesterov"),
    (Momentum, {"lr": 0.1, "momentum": 1.2}, "momentum"),
    (Nesterov, {"lr": 0.1, "momentum": 0.0}, "momentum"),
    (AdaGrad, {"lr": -1.0}, "lr"),
    (AdaGrad, {"eps": -1e-10}, "eps"),
    (AdaGrad, {"lr_decay": -0.1}, "lr_decay"),
    (AdaGrad, {"weight_decay": -0.1}, "weight_decay"),
    (RMSProp, {"alpha": 1.0}, "alpha"),
    (RMSProp, {"eps": -1.0}, "eps"),
    (RMSProp, {"momentum": -0.1}, "momentum"),
    (RMSProp, {"centered": "yes"}, "centered"),
    (Adam, {"betas": (1.0, 0.999)}, r"betas\[0\]"),
    (Adam, {"betas": (0.9, -0.1)}, r"betas\[1\]"),
    (Adam, {"betas": (0.9,)}, "betas"),
    (Adam, {"eps": -1e-8}, "eps"),
    (Adam, {"weight_decay": -1.0}, "weight_decay"),
    (AdamW, {"weight_decay": float("inf")}, "weight_decay"),
])
def test_optim_rejects_bad_hyperparameters(cls, kw, match):
    with pytest.raises(ValueError, match=match):
        cls([abcdl.Parameter(np.zeros(3))], **kw)


def test_optim_rejects_bad_params():
    p = abcdl.Parameter(np.zeros(3))
    with pytest.raises(ValueError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="not a Parameter"):
        SGD([np.zeros(3)], lr=0.1)
    with pytest.raises(TypeError, match=r"model.parameters\(\)"):
        SGD(_net(0), lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        SGD([p, p], lr=0.1)
    assert isinstance(SGD([p], lr=0.1), Optimizer)
