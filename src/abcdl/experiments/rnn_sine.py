"""An RNN learns to predict a noisy sine wave one step ahead (L40; the autograd book's RNN example).

"Deep Learning from Scratch 3" (steps 59-60) trains a small RNN on a noisy sine wave,
x_t = sin(2 pi t / P) + noise, to predict the next value x_{t+1} from the values so far,
and then lets it predict a clean cosine wave: the network has learned the wave's
dynamics, not the numbers it saw.  Here the same task with abcdl's :class:`RNN`
(tanh, hand-written BPTT) and a :class:`Linear` read-out at every step:

    x (m, T, 1) -> RNN -> h_t (m, T, H) -> Linear -> y_t (m, T, 1),   J = mean (y_t - x_{t+1})^2

trained with :func:`abcdl.train.fit` on windows of T steps cut from the noisy wave.  The
test wave is a noise-free cosine; the figure draws the predictions against the truth,
and the numbers compare the RNN's test error with the naive guess y_t = x_t (repeat the
last value).

Run::

    abcdl demo rnn-sine [--hidden 16] [--epochs 40] [--noise 0.05]
    python -m abcdl.experiments.rnn_sine
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_count, check_real, check_seed, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "rnn-sine"
SPEC = ("L40",)
DESCRIPTION = "an RNN trained on a noisy sine wave predicts the next value of a clean cosine wave"

_TEXT = {
    "en": {"t": "time step $t$", "x": "value", "truth": "truth: $\\cos(2\\pi t / P)$",
           "pred": "RNN prediction of $x_{{t+1}}$", "train": "training data (noisy sine)",
           "title": "one step ahead, H = {H}: test MSE {mse:.2g} (repeating the last value: {naive:.2g})",
           "loss": "training loss (MSE)", "epoch": "epoch"},
    "ko": {"t": "시간 단계 $t$", "x": "값", "truth": "정답: $\\cos(2\\pi t / P)$",
           "pred": "RNN의 $x_{{t+1}}$ 예측", "train": "학습 데이터 (잡음 섞인 사인파)",
           "title": "한 단계 앞 예측, H = {H}: 시험 MSE {mse:.2g} (직전 값 반복: {naive:.2g})",
           "loss": "학습 손실 (MSE)", "epoch": "에포크"},
}


def windows(wave: np.ndarray, T: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs x_{s..s+T-1} and targets x_{s+1..s+T} for every start s, as (m, T, 1) arrays."""
    idx = np.arange(len(wave) - T)[:, None] + np.arange(T)       # (m, T): start s, step j
    return wave[idx][..., None], wave[idx + 1][..., None]


def compute(*, n_points: int = 1000, period: float = 25.0, noise: float = 0.05, hidden: int = 16,
            time_size: int = 30, epochs: int = 40, batch_size: int = 32, lr: float = 0.01,
            seed: int = 0) -> dict:
    """Train an RNN on a noisy sine wave and predict a clean cosine wave one step ahead.

    Parameters
    ----------
    n_points : int
        Length of the training wave (and of the test wave).
    period : float
        P, steps per period.
    noise : float
        Std of the Gaussian noise added to the training wave (the autograd book: U(-0.05, 0.05)).
    hidden, time_size : int
        H and the window length T.
    epochs, batch_size, lr : training by :func:`abcdl.train.fit` with Adam.
    seed : int
        Noise, initial weights and batch order.

    Returns
    -------
    dict
        ``numbers``: ``test_mse`` (RNN vs the clean cosine), ``naive_mse`` (y_t = x_t),
        ``final_loss``; ``highlights``; ``t``, ``train_wave``, ``test_wave``, ``pred`` (1-D arrays),
        ``loss`` per epoch.
    """
    check_count(n_points, "n_points", 50, 100_000, "run time")
    check_real(period, "period", 2, 10_000)
    check_real(noise, "noise", 0, 10)
    check_count(hidden, "hidden", 1, 1000, "run time")
    check_count(time_size, "time_size", 1, n_points - 1, "windows must fit in the wave")
    check_count(epochs, "epochs", 1, 10_000, "run time")
    check_count(batch_size, "batch_size", 1, 100_000, "memory")
    check_real(lr, "lr", 1e-6, 1.0, "Adam's steps larger than 1 only diverge")
    check_seed(seed)
    from ..layers import RNN, Linear
    from ..losses import MSELoss
    from ..models import Sequential
    from ..optim import Adam
    from ..train import fit, predict

    rng = np.random.default_rng(seed)
    t = np.arange(n_points + 1, dtype=np.float64)
    train_wave = np.sin(2 * np.pi * t / period) + noise * rng.standard_normal(len(t))
    test_wave = np.cos(2 * np.pi * t / period)                    # what it never saw, without noise
    model = Sequential(RNN(1, hidden, rng=rng, dtype=np.float64),           # h_t = tanh(...)
                       Linear(hidden, 1, rng=rng, dtype=np.float64))          # y_t = h_t W^T + b
    hist = fit(model, MSELoss(), Adam(model.parameters(), lr=lr), windows(train_wave, time_size),
               epochs=epochs, batch_size=batch_size, verbose=0, rng=rng)
    x_test = test_wave[None, :-1, None]                            # the whole test wave as one sequence
    pred = predict(model, x_test)[0, :, 0]                         # y_t: the prediction of x_{t+1}
    test_mse = float(np.mean((pred - test_wave[1:]) ** 2))
    naive_mse = float(np.mean((test_wave[:-1] - test_wave[1:]) ** 2))
    numbers = {"test_mse": test_mse, "naive_mse": naive_mse, "final_loss": hist.history["loss"][-1],
               "hidden": hidden, "epochs": epochs, "noise": noise, "beats_naive": test_mse < naive_mse}
    highlights = [f"RNN H = {hidden}, {epochs} epochs on a noisy sine (noise std {noise:g})",
                  f"one step ahead on a clean cosine: test MSE {test_mse:.3g}, repeating the last value "
                  f"{naive_mse:.3g}"]
    return {"numbers": numbers, "highlights": highlights, "t": t[1:], "train_wave": train_wave[1:],
            "test_wave": test_wave[1:], "pred": pred, "loss": np.array(hist.history["loss"])}


def draw(data: dict, style: FigureStyle) -> Figure:
    """Predictions against the truth (the first periods), and the training loss."""
    t = style.labels(_TEXT)
    nb = data["numbers"]
    with style.context():
        fig = style.figure(figsize=(12, 4.2))
        ax, ax_loss = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2.2, 1]})
        n = min(len(data["t"]), 150)
        ax.plot(data["t"][:n], data["train_wave"][:n], color="0.7", lw=1, label=t["train"])
        ax.plot(data["t"][:n], data["test_wave"][:n], color="k", lw=1.5, label=t["truth"])
        ax.plot(data["t"][:n], data["pred"][:n], "o", color="C3", ms=2.5, label=t["pred"])
        ax.set_xlabel(t["t"])
        ax.set_ylabel(t["x"])
        ax.set_title(t["title"].format(H=nb["hidden"], mse=nb["test_mse"], naive=nb["naive_mse"]))
        ax.legend(loc="lower left", fontsize=7)
        ax_loss.plot(np.arange(1, len(data["loss"]) + 1), data["loss"], color="C0")
        ax_loss.set_yscale("log")
        ax_loss.set_xlabel(t["epoch"])
        ax_loss.set_ylabel(t["loss"])
    return fig


def run(*, lang: str = "en", n_points: int = 1000, period: float = 25.0, noise: float = 0.05,
        hidden: int = 16, time_size: int = 30, epochs: int = 40, batch_size: int = 32, lr: float = 0.01,
        seed: int = 0) -> Result:
    """An RNN trained on a noisy sine wave predicts a clean cosine wave one step ahead.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    """
    params = dict(locals())
    data = compute(n_points=n_points, period=period, noise=noise, hidden=hidden, time_size=time_size,
                   epochs=epochs, batch_size=batch_size, lr=lr, seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)


if __name__ == "__main__":
    raise SystemExit(main(NAME))
