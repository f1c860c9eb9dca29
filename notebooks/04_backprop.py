# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4. 손으로 하는 역전파 (L15–L19)
#
# 경사하강법에는 비용함수의 기울기가 필요합니다. 강의는 한 층 (로지스틱 회귀)에서 시작해 여러 층의 신경망까지
# 기울기를 손으로 유도합니다 (역전파 알고리즘). 유도한 식이 맞는지는 수치 미분으로 확인합니다.
#
# *English: gradient descent needs the gradient of the cost. The lecture derives it by hand, from one layer
# (logistic regression) to a multi-layer network (backpropagation), and checks the result with numerical
# differentiation.*

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image

import abcdl
from abcdl import experiments, models
from abcdl import functions as F
from abcdl.exercises import check_linear_backward
from abcdl.fonts import find_hangul_font
from abcdl.layers import Linear
from abcdl.numdiff import gradcheck

abcdl.seed(0)                                      # 재현 가능한 난수 / repeatable randomness
plt.rcParams["font.family"] = find_hangul_font()
plt.rcParams["axes.unicode_minus"] = False

# %% [markdown]
# ## 4.1 로지스틱 회귀: 단층신경망 (L15)
#
# $z = \vec w \cdot \vec x + b$, $y = \sigma(z)$, $\mathcal L = -\{t \log y + (1-t)\log(1-y)\}$에서 연쇄 법칙으로
#
# $$dz = \frac{\partial \mathcal L}{\partial z} = y - t, \qquad dw_i = x_i\,(y - t), \qquad db = y - t$$
#
# 를 얻습니다. $m$개 데이터의 비용함수는 평균이므로 기울기도 평균입니다.
#
# *English: the chain rule gives $dz = y - t$, $dw_i = x_i (y - t)$, $db = y - t$; the cost over $m$
# examples is a mean, so the gradients are means.*

# %%
rng = np.random.default_rng(15)
X = rng.normal(size=(8, 3))
t = (rng.random(8) < 0.5).astype(float)
w, b = rng.normal(size=3), 0.1


def cost(w):
    y = F.sigmoid(X @ w + b)
    return -np.mean(t * np.log(y) + (1 - t) * np.log(1 - y))


y = F.sigmoid(X @ w + b)
dw = X.T @ (y - t) / len(t)             # dw_i = (1/m) sum_k x_i (y - t)
print(gradcheck(cost, w.copy(), dw))    # 수치 미분과 비교 / against central differences

# %% [markdown]
# 같은 식으로 경사하강법을 돌리는 것이 `abcdl.models.LogisticRegression`입니다.
#
# *English: `abcdl.models.LogisticRegression` runs gradient descent with these formulas.*

# %%
X2 = np.concatenate([rng.normal(-1, 0.8, (50, 2)), rng.normal(1, 0.8, (50, 2))])
t2 = np.repeat([0, 1], 50)
clf = models.LogisticRegression(lr=0.5, n_iter=500).fit(X2, t2)
print(f"w = {clf.coef_}, b = {clf.intercept_:.3f}, accuracy = {clf.score(X2, t2):.2f}")

# %% [markdown]
# ## 4.2 여러 층의 신경망 (L16)
#
# 강의 (열이 데이터, Coursera 표기): $Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}$, $A^{[l]} = g(Z^{[l]})$,
#
# $$dW^{[l]} = \tfrac1m\, dZ^{[l]} A^{[l-1]T}, \qquad db^{[l]} = \tfrac1m \sum dZ^{[l]}, \qquad
#   dA^{[l-1]} = W^{[l]T} dZ^{[l]}$$
#
# abcdl은 데이터를 **행**으로 둡니다 (batch-first, $A_\text{code} = A_\text{lecture}^T$). 그래서 같은 식이
# $Z = A_\text{prev} W^T + b$, $dW = dZ^T A_\text{prev}$, $db = \sum_k dZ_k$, $dA_\text{prev} = dZ\, W$가 되고,
# $\frac1m$은 손실의 backward에 한 번 들어 있습니다 (`docs/notation.md`).
#
# *English: abcdl keeps examples as rows, so the lecture's formulas read transposed, and the $1/m$ lives
# once, in the loss's backward.*

# %% [markdown]
# ### 연습 문제 1: 선형 층의 역전파 / Exercise 1: a linear layer's backward
#
# `linear_backward(dZ, A_prev, W)`가 `(dA_prev, dW, db)`를 반환하게 하세요. `dZ`는 이미 $\frac1m$을 품고 있습니다.
# 검사기는 `abcdl.layers.Linear`와 수치 미분에 비교합니다. 답: `notebooks/solutions/04_backprop.py`.
#
# *English: return `(dA_prev, dW, db)`; `dZ` already carries the $1/m$. The checker compares with
# `abcdl.layers.Linear` and with numerical differentiation. Solution: `notebooks/solutions/04_backprop.py`.*

# %%
def linear_backward(dZ, A_prev, W):
    # 여기에 코드를 쓰세요 (3줄) / your code here (3 lines)
    raise NotImplementedError


check_linear_backward(linear_backward)

# %% [markdown]
# ## 4.3 은닉층에 활성화 함수가 필요한가? (L17)
#
# 활성화 함수 없이 두 층을 쌓으면 한 층과 같습니다: $W = W^{[2]} W^{[1]}$, $b = W^{[2]} b^{[1]} + b^{[2]}$.
#
# *English: two linear layers without an activation collapse into one.*

# %%
l1, l2 = Linear(4, 5, dtype=np.float64), Linear(5, 3, dtype=np.float64)
l1.b.data[...] = rng.normal(size=5)
x = rng.normal(size=(6, 4))
W = l2.W.data @ l1.W.data                      # W = W2 W1
b = l2.W.data @ l1.b.data + l2.b.data          # b = W2 b1 + b2
print("max |two layers - one layer| =", np.abs(l2.forward(l1.forward(x)) - (x @ W.T + b)).max())

# %% [markdown]
# ## 4.4 회귀 (L18)
#
# $y = ax + b$를 $\mathcal L = \frac1N \sum_i (y_i - (a x_i + b))^2$의 경사하강법으로 맞춥니다.
#
# *English: fit $y = ax + b$ by gradient descent on the mean squared error.*

# %%
x = rng.uniform(-1, 1, 50)
y = 3.0 * x - 0.5 + rng.normal(0, 0.2, 50)
reg = models.LinearRegression(lr=0.1, n_iter=1000).fit(x[:, None], y)
print(f"a = {reg.coef_[0]:.3f}, b = {reg.intercept_:.3f}  (true 3, -0.5)")

# %% [markdown]
# ## 4.5 수치 미분 (L19)
#
# 전방 차분 $\frac{f(x+h) - f(x)}{h}$, 후방 차분 $\frac{f(x) - f(x-h)}{h}$의 오차는 $O(h)$, 중심 차분
# $\frac{f(x+h) - f(x-h)}{2h}$의 오차는 $O(h^2)$입니다 ($h = 10^{-4}$, $f(x) = 4x^3 - 2x^2 - 7x + 1$).
# 너무 작은 $h$에서는 반올림 오차가 커집니다.
#
# *English: forward and backward differences err by $O(h)$, central ones by $O(h^2)$; for very small $h$
# rounding error takes over.*

# %%
res = experiments.run("numerical-diff", lang="ko")
print(res.summary())
Image(res.render_png())
