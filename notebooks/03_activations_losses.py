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
# # 3. 활성화 함수, 확률, 손실 함수 (L10–L14)
#
# 신경망의 각 노드는 입력의 가중합 $z$에 활성화 함수 $a = g(z)$를 적용합니다. 이 노트북에서는 활성화 함수와
# 그 도함수, ReLU로 아무 곡선이나 근사하기, 베이즈 정리에서 나오는 로지스틱 시그모이드, 그리고 최대 가능도법에서
# 나오는 손실함수 (교차 엔트로피)를 봅니다.
#
# *English: each node applies an activation $a = g(z)$ to the weighted sum $z$ of its inputs. This notebook
# covers the activations and their derivatives, approximating any curve with ReLUs, the logistic sigmoid
# from Bayes' theorem, and the loss (cross-entropy) that maximum likelihood gives.*

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image

import abcdl
from abcdl import experiments
from abcdl import functions as F
from abcdl.exercises import (
    check_sigmoid,
    check_sigmoid_grad,
    check_softmax_cross_entropy,
    check_softmax_cross_entropy_grad,
)
from abcdl.fonts import find_hangul_font

abcdl.seed(0)                                      # 재현 가능한 난수 / repeatable randomness
plt.rcParams["font.family"] = find_hangul_font()
plt.rcParams["axes.unicode_minus"] = False

# %% [markdown]
# ## 3.1 활성화 함수와 도함수 (L10)
#
# $$\sigma(z) = \frac{1}{1 + e^{-z}}, \quad \sigma'(z) = \sigma(z)\,(1 - \sigma(z)), \qquad
#   \tanh'(z) = 1 - \tanh^2 z, \qquad \mathrm{ReLU}(z) = \max(0, z)$$
#
# 분류 문제의 출력층에는 시그모이드나 소프트맥스 (softmax)를, 은닉층 (Hidden Layer)에는 주로 ReLU를 씁니다.
#
# *English: the sigmoid or softmax serve the output layer of a classifier; ReLU mostly the hidden layers.*

# %%
z = np.linspace(-5, 5, 201)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
for name, f, df in (("sigmoid", F.sigmoid, F.sigmoid_grad), ("tanh", F.tanh, F.tanh_grad),
                    ("ReLU", F.relu, F.relu_grad)):
    ax1.plot(z, f(z), label=name)
    ax2.plot(z, df(z), label=name)
ax1.set_title("활성화 함수 g(z)")
ax2.set_title("도함수 g'(z)")
for ax in (ax1, ax2):
    ax.legend()
    ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# ### 연습 문제 1: 시그모이드 / Exercise 1: the sigmoid
#
# `sigmoid(z)`를 완성하세요 ($z$는 모양이 아무거나인 배열). 검사기는 $z = 1000$처럼 큰 값에서도 답이 유한한지 봅니다.
# 답: `notebooks/solutions/03_activations_losses.py`.
#
# *English: complete `sigmoid(z)` ($z$ an array of any shape). The checker also looks at large $|z|$ such as
# 1000, where the answer must stay finite. Solution: `notebooks/solutions/03_activations_losses.py`.*

# %%
def sigmoid(z):
    # 여기에 코드를 쓰세요 / your code here
    raise NotImplementedError


check_sigmoid(sigmoid)

# %% [markdown]
# ### 연습 문제 2: 시그모이드의 도함수 / Exercise 2: its derivative
#
# `sigmoid_grad(z)` $= \sigma(z)(1 - \sigma(z))$. 검사기는 중심 차분 (수치 미분, L19)과 비교합니다.
#
# *English: `sigmoid_grad(z)`; the checker compares it with central differences (L19).*

# %%
def sigmoid_grad(z):
    # 여기에 코드를 쓰세요 / your code here
    raise NotImplementedError


check_sigmoid_grad(sigmoid_grad)

# %% [markdown]
# ## 3.2 ReLU로 함수 근사하기 (L11)
#
# 활성화 함수를 통해 다양한 함수를 근사시킬 수 있습니다. 강의의 곡선은 ReLU 여섯 개의 합입니다:
# $Z(x) = -n_1 - n_2 - n_3 + n_4 + n_5 + n_6$, $n_1 = \mathrm{ReLU}(-5x - 7.7)$, ...
#
# *English: activations let a network approximate many functions; the slide's curve is a sum of six ReLUs.*

# %%
res = experiments.run("relu-approximation", lang="ko", steps=1500)
print(res.summary())
Image(res.render_png())

# %% [markdown]
# ## 3.3 베이즈 정리와 로지스틱 시그모이드 (L12)
#
# $$P(C_1 \mid x) = \frac{P(x \mid C_1) P(C_1)}{P(x \mid C_1) P(C_1) + P(x \mid C_2) P(C_2)}
#   = \frac{1}{1 + e^{-a}} \equiv \sigma(a), \qquad a = \log\frac{P(x \mid C_1) P(C_1)}{P(x \mid C_2) P(C_2)}$$
#
# 클래스가 $K > 2$개이면 소프트맥스 $y_k = e^{z_k} / \sum_i e^{z_i}$가 됩니다.
#
# *English: Bayes' theorem gives the logistic sigmoid of the log-odds $a$; for $K > 2$ classes, softmax.*

# %%
res = experiments.run("bayes-sigmoid", lang="ko", grid=61, n_samples=500)
Image(res.render_png())

# %% [markdown]
# ## 3.4 손실함수와 최대 가능도법 (L13, L14)
#
# 제곱 오차 $\mathcal L = (y - t)^2$, 비용함수 $J = \frac1m \sum_i \mathcal L_i$. 상자에서 5번 꺼내 사과 2개, 오렌지 3개가
# 나왔다면 $P(w) = \binom52 w^2 (1-w)^3$을 최대로 하는 $w$는 $\frac{d \log P}{dw} = \frac2w - \frac3{1-w} = 0$에서
# $w = 2/5$입니다. 베르누이 가능도 $y^t (1-y)^{1-t}$의 음의 로그가 교차 엔트로피
# $\mathcal L = -\{t \log y + (1-t) \log(1-y)\}$이고, 소프트맥스 출력에서는 $\mathcal L = -\sum_i t_i \log y_i$입니다.
#
# *English: squared error and the cost $J$; the box of 2 apples and 3 oranges in 5 draws gives $w = 2/5$ by
# maximum likelihood; the negative log of the Bernoulli likelihood is the cross-entropy, and for softmax
# outputs the categorical cross-entropy.*

# %%
res = experiments.run("mle", lang="ko")
print(res.summary())
Image(res.render_png())

# %% [markdown]
# ### 연습 문제 3: 소프트맥스 교차 엔트로피 / Exercise 3: softmax cross-entropy
#
# `softmax_cross_entropy(Z, t)`: `Z`는 $(m, K)$ 로짓, `t`는 $(m,)$ 클래스 번호. 평균
# $J = -\frac1m \sum_k \log \mathrm{softmax}(z_k)_{t_k}$ (숫자 하나)를 반환하세요. 로짓이 1000이어도 유한해야 합니다:
# 행마다 최댓값을 빼면 $e^{z}$가 넘치지 않습니다 ($\log\sum e^{z} = c + \log \sum e^{z - c}$).
#
# *English: return the mean cross-entropy (one number) of the softmax of the $(m, K)$ logits `Z` against the
# class indices `t`. It must stay finite for logits of 1000: subtract each row's maximum first.*

# %%
def softmax_cross_entropy(Z, t):
    # 여기에 코드를 쓰세요 / your code here
    raise NotImplementedError


check_softmax_cross_entropy(softmax_cross_entropy)

# %% [markdown]
# ### 연습 문제 4: 그 기울기 / Exercise 4: its gradient
#
# 소프트맥스와 교차 엔트로피를 함께 미분하면 간단해집니다: $\dfrac{\partial J}{\partial Z} = \dfrac{1}{m}(Y - T)$,
# $Y = \mathrm{softmax}(Z)$, $T$는 one-hot. 검사기는 수치 미분과 비교합니다.
#
# *English: differentiated together, softmax and cross-entropy give $(Y - T)/m$; the checker compares
# with numerical differentiation.*

# %%
def softmax_cross_entropy_grad(Z, t):
    # 여기에 코드를 쓰세요 / your code here
    raise NotImplementedError


check_softmax_cross_entropy_grad(softmax_cross_entropy_grad)
