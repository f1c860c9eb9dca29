"""Checkers for part 6 of the lecture: inverted dropout (L33) and a batch-norm forward (L34)."""

from __future__ import annotations

import numpy as np

from ..layers import BatchNorm1d
from ._check import AnswerError, as_array, call, checker, expect_close, unpack

__all__ = ["check_dropout", "check_batchnorm_forward"]


def _dropout_once(fn, A: np.ndarray, keep_prob: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    out = unpack(call(fn, A.copy(), keep_prob, np.random.default_rng(seed)), ("A_out", "D"))
    return as_array(out[0], "A_out", A.shape), as_array(out[1], "D", A.shape)


@checker("dropout")
def check_dropout(fn) -> int:
    """Check ``dropout(A, keep_prob, rng) -> (A_out, D)``: inverted dropout in training (L33).

    D is the 0/1 mask, each unit kept with probability keep_prob, drawn from the
    ``np.random.Generator`` ``rng``; A_out = A * D / keep_prob, so that E[A_out] = A, as
    :class:`abcdl.layers.Dropout` computes it.  Checks: shapes; D holds only 0 and 1; the
    survivors are scaled by 1/keep_prob; the kept fraction is keep_prob (on 100,000 units);
    the same seed gives the same mask and another seed another; keep_prob = 1 changes nothing.
    """
    A = np.random.default_rng(33).uniform(0.5, 1.5, (200, 500))
    keep_prob = 0.8
    A_out, D = _dropout_once(fn, A, keep_prob, seed=0)
    if not np.all((D == 0) | (D == 1)):
        raise AnswerError("value", "D는 0과 1로만 된 마스크여야 합니다 (D = rng.random(A.shape) < keep_prob)",
                    "D must be a mask of 0s and 1s (D = rng.random(A.shape) < keep_prob)")
    expect_close(A_out, A * D / keep_prob, "A_out", f"A of shape {A.shape}, keep_prob = {keep_prob}",
                 reference="A * D / keep_prob (abcdl.layers.Dropout)", hints=(
                     (A * D, "역 드롭아웃: 남은 값을 keep_prob로 나누세요 (A * D / keep_prob)",
                      "inverted dropout: divide the survivors by keep_prob (A * D / keep_prob)"),))
    kept = float(D.mean())
    if abs(kept - keep_prob) > 0.01:
        hint = (("keep_prob는 남길 확률입니다: D = rng.random(...) < keep_prob",
                 "keep_prob is the probability to keep: D = rng.random(...) < keep_prob")
                if abs(kept - (1 - keep_prob)) < 0.01 else ("", ""))
        ko, en = f"D: 남은 비율이 {kept:.4f}입니다", f"D: the kept fraction is {kept:.4f}"
        raise AnswerError("value", f"{ko} (keep_prob = {keep_prob}). {hint[0]}".rstrip(". "),
                          f"{en} (keep_prob = {keep_prob}). {hint[1]}".rstrip(". "))
    if not np.array_equal(_dropout_once(fn, A, keep_prob, seed=0)[1], D) or \
            np.array_equal(_dropout_once(fn, A, keep_prob, seed=1)[1], D):
        raise AnswerError("random", "마스크는 인자로 받은 rng에서 뽑아야 합니다 "
                          "(rng.random, np.random.rand가 아님)",
                          "draw the mask from the rng argument (rng.random, not np.random.rand)")
    A_out, _ = _dropout_once(fn, A[:4, :6], 1.0, seed=0)
    expect_close(A_out, A[:4, :6], "A_out", "keep_prob = 1", reference="A (nothing dropped)")
    return 5


def _batchnorm_reference(Z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """abcdl's BatchNorm1d in training mode (batch statistics), float64."""
    bn = BatchNorm1d(Z.shape[1], eps=eps, dtype=np.float64)
    bn.gamma.data[...] = gamma
    bn.beta.data[...] = beta
    return bn.forward(Z)                    # Z~ = gamma (Z - mu)/sqrt(sigma^2 + eps) + beta


@checker("batchnorm_forward")
def check_batchnorm_forward(fn) -> int:
    """Check ``batchnorm_forward(Z, gamma, beta, eps) -> Z_tilde`` over a mini-batch (L34).

    Z is (m, n); per feature (column), mu and sigma^2 are the batch mean and the biased
    variance (1/m); Z_norm = (Z - mu)/sqrt(sigma^2 + eps); Z~ = gamma Z_norm + beta.
    Checks against :class:`abcdl.layers.BatchNorm1d` in training mode on a random batch,
    and on a batch with a constant column (where eps keeps the division finite).
    """
    rng = np.random.default_rng(34)
    Z = rng.normal(3.0, 2.0, (8, 5))
    gamma, beta = rng.uniform(0.5, 2.0, 5), rng.standard_normal(5)
    Z_const = Z.copy()
    Z_const[:, 0] = 4.0
    for Zc, eps, where in ((Z, 1e-5, "random Z of shape (8, 5), eps = 1e-5"),
                          (Z_const, 1e-5, "Z with a constant column 0, eps = 1e-5"),
                          (Z, 0.5, "random Z of shape (8, 5), eps = 0.5")):
        got = as_array(call(fn, Zc.copy(), gamma.copy(), beta.copy(), eps), "Z_tilde", Zc.shape)
        mu, var = Zc.mean(axis=0), Zc.var(axis=0, ddof=1)
        mu_row, var_row = Zc.mean(axis=1, keepdims=True), Zc.var(axis=1, keepdims=True)
        expect_close(got, _batchnorm_reference(Zc, gamma, beta, eps), "Z_tilde", where,
                     reference="abcdl.layers.BatchNorm1d", hints=(
                         (gamma * (Zc - mu) / np.sqrt(var + eps) + beta,
                          "분산은 1/m로 나눕니다 (np.var의 기본값, ddof=0)",
                          "the variance divides by m (np.var's default)"),
                         (gamma * (Zc - mu_row) / np.sqrt(var_row + eps) + beta,
                          "특성(열)마다 배치 축 axis=0으로 평균을 냅니다",
                          "average over the batch, axis=0, per feature"),
                         (gamma * (Zc - Zc.mean(axis=0)) / np.sqrt(Zc.var(axis=0)) + beta,
                          "eps를 잊었습니다: sqrt(σ² + eps)",
                          "eps is missing: sqrt(sigma^2 + eps)"),
                         ((Zc - Zc.mean(axis=0)) / np.sqrt(Zc.var(axis=0) + eps),
                          "γ와 β를 잊었습니다: Z~ = γ Z_norm + β",
                          "gamma and beta are missing: Z~ = gamma Z_norm + beta")))
    return 3
