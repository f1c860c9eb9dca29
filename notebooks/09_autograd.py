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
# # 9. 자동 미분: 손으로, 그리고 기계로 (L39)
#
# 지금까지는 모든 역전파를 손으로 유도했습니다 (L15–L17). 밑바닥부터 시작하는 딥러닝 3과 PyTorch는 다음 걸음을 갑니다:
# 순전파만 쓰면 컴퓨터가 한 일을 계산 그래프†로 기록하고, 그 기록에 연쇄 법칙을 적용합니다 (define-by-run).
# `abcdl.autograd`의 기울기는 손으로 쓴 층의 기울기와 마지막 자리까지 같습니다. 더 자세한 글: `docs/autograd.md`.
#
# *English: so far every backward pass was derived by hand. "Deep Learning from Scratch 3" and PyTorch take
# the next step: write the forward pass only, let the computer record it as a computational graph, and apply
# the chain rule to the record. `abcdl.autograd`'s gradients agree with the hand-written layers to the last
# digits. More in `docs/autograd.md`.*

# %%
import copy

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image

import abcdl
from abcdl import autograd as ag
from abcdl import experiments
from abcdl.fonts import find_hangul_font
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.models import mlp

abcdl.seed(0)                                      # 재현 가능한 난수 / repeatable randomness
plt.rcParams["font.family"] = find_hangul_font()
plt.rcParams["axes.unicode_minus"] = False

# %% [markdown]
# ## 9.1 로지스틱 유닛 하나 (L15)
#
# 손으로: $dz = y - t$, $dw_i = x_i (y - t)$, $db = y - t$. 기계로: 순전파와 손실
# $\mathcal L = -[t \log y + (1-t)\log(1-y)]$만 쓰고 `backward()`를 부릅니다.
#
# *English: by hand, three lines; by machine, the forward pass and the loss, then `backward()`.*

# %%
x = np.array([0.5, -1.2, 2.0])
w = np.array([0.3, 0.8, -0.5])
b, t = 0.1, 1.0

y = 1 / (1 + np.exp(-(w @ x + b)))
print("손으로 / by hand:   dw =", x * (y - t), " db =", y - t)

wt = ag.tensor(w, requires_grad=True)
bt = ag.tensor(np.array(b), requires_grad=True)
yt = ag.sigmoid(wt @ x + bt)
L = -(t * ag.log(yt) + (1 - t) * ag.log(1 - yt))
L.backward()
print("기계로 / by machine: dw =", wt.grad.numpy(), " db =", bt.grad.item())

# %% [markdown]
# ## 9.2 계산 그래프†
#
# 순전파가 기록한 그래프: 연산마다 입력을 기억하고, `backward()`는 손실에서 잎 (leaf)까지 거꾸로 지역 도함수를 곱합니다.
# 아래는 2층 신경망의 그래프입니다 (초록: 매개변수, 빨강: 손실).
#
# *English: the graph the forward pass recorded; `backward()` walks it from the loss to the leaves,
# multiplying local derivatives. Below, a two-layer network's graph (green: parameters, red: the loss).*

# %%
res = experiments.run("autograd-graph", lang="ko")
print(res.summary())
Image(res.render_png())

# %% [markdown]
# ## 9.3 신경망 전체: 손으로 vs 기계로 (L16)
#
# `ag.nn.from_layer(model)`은 같은 매개변수로 신경망을 연산들로 다시 만듭니다. 두 기울기를 비교합니다.
#
# *English: `ag.nn.from_layer(model)` rebuilds the network from operations with the same parameters;
# compare the two gradients.*

# %%
rng = np.random.default_rng(2)
model = mlp(784, (100, 100), 10, dtype=np.float64, rng=rng)
twin = copy.deepcopy(model)
X, t = rng.random((32, 784)), rng.integers(0, 10, 32)
loss_fn = SoftmaxCrossEntropyLoss()

J = loss_fn.forward(model.forward(X), t)                       # 손으로 / by hand
model.backward(loss_fn.backward())
Jt = ag.nn.from_loss(loss_fn)(ag.nn.from_layer(twin)(X), t)    # 기계로 / by machine
Jt.backward()
print("J:", J, Jt.item())
print("max relative gradient difference:",
      max(np.abs(p.grad - q.grad).max() / np.abs(p.grad).max()
          for p, q in zip(model.parameters(), twin.parameters(), strict=True)))

# %% [markdown]
# ## 9.4 도함수의 도함수: 뉴턴 방법
#
# 기계의 backward도 같은 연산으로 되어 있으므로 `create_graph=True`로 다시 미분할 수 있습니다.
# $f(x) = x^4 - 2x^2$에서 $f'(2) = 24$, $f''(2) = 44$, 뉴턴 방법의 첫 걸음 $x - f'/f'' = 1.4545\ldots$
#
# *English: with `create_graph=True` the backward pass is recorded too and can be differentiated again:
# Newton's method.*

# %%
x = ag.tensor(np.array(2.0), requires_grad=True)
y = x ** 4 - 2 * x ** 2
(g,) = ag.grad(y, [x], create_graph=True)
(h,) = ag.grad(g, [x])
print(g.item(), h.item(), 2 - g.item() / h.item())
res = experiments.run("autograd-newton", lang="ko")
Image(res.render_png())
