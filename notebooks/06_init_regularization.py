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
# # 6. 초기값과 정규화 (L28–L34)
#
# 깊은 신경망이 잘 학습되려면 세 가지가 필요합니다: 기울기 손실·폭발 문제를 피하는 가중치 초기값, 오버피팅
# (과적합)을 막는 가중치 감소와 드롭 아웃, 그리고 각 층의 활성화 값을 적절히 분포시키는 배치 정규화.
#
# *English: deep networks train well with initial weights that avoid vanishing and exploding gradients,
# weight decay and dropout against overfitting, and batch normalization to keep each layer's
# activations well spread.*

# %%
import matplotlib.pyplot as plt
from IPython.display import Image

import abcdl
from abcdl import experiments
from abcdl.exercises import check_batchnorm_forward, check_dropout
from abcdl.fonts import find_hangul_font

abcdl.seed(0)                                      # 재현 가능한 난수 / repeatable randomness
plt.rcParams["font.family"] = find_hangul_font()
plt.rcParams["axes.unicode_minus"] = False

# %% [markdown]
# ## 6.1 기울기 손실 문제와 초기값 (L28)
#
# 5층, 100개 노드의 신경망에 무작위 데이터를 넣고 각 층의 활성화 값 분포를 봅니다. 표준편차 1이면 시그모이드
# 출력이 0과 1로 몰리고 (기울기 손실), 0.01이면 한 값으로 몰려 노드를 늘린 효과가 없어집니다.
# Xavier 초기값 ($\sigma = 1/\sqrt n$)은 시그모이드·tanh에, He 초기값 ($\sigma = \sqrt{2/n}$)은 ReLU에 맞습니다.
#
# *English: activation histograms of a 5-layer, 100-unit network: std 1 saturates the sigmoid, 0.01
# collapses every unit to one value; Xavier suits sigmoid and tanh, He suits ReLU.*

# %%
res = experiments.run("weight-init", lang="ko", n_examples=500)
Image(res.render_png())

# %% [markdown]
# ## 6.2 기울기 폭발 문제 (L29)
#
# 층마다 기울기가 커지면 가중치가 NaN이 됩니다. 기울기의 크기 (norm)를 잘라 주면 (gradient clipping) 학습이 됩니다.
#
# *English: gradients that grow layer by layer blow the weights up to NaN; clipping the gradient norm tames it.*

# %%
res = experiments.run("exploding-gradients", lang="ko", steps=100, n_train=1000, n_test=1000)
print(res.summary())
Image(res.render_png())

# %% [markdown]
# ## 6.3 오버피팅과 가중치 감소 (L30, L31)
#
# 10개의 점에 $M = 9$차 다항식 $y = \sum_j w_j x^j$를 맞추면 모든 점을 지나지만 계수가 폭발합니다. L2 가중치 감소
#
# $$J = J_0 + \frac{\lambda}{2m} \sum_l \lVert W^{[l]} \rVert_F^2, \qquad
#   dW^{[l]} = \frac1m dZ^{[l]} A^{[l-1]T} + \frac{\lambda}{m} W^{[l]}$$
#
# 가 계수를 작게 유지합니다.
#
# *English: a degree-9 polynomial through 10 points explodes its coefficients; L2 weight decay keeps them small.*

# %%
res = experiments.run("polynomial-overfit", lang="ko")
print(res.summary())
Image(res.render_png())

# %% [markdown]
# ## 6.4 드롭 아웃 (L33)
#
# 훈련할 때 은닉층의 노드를 무작위로 삭제합니다. 역 드롭아웃 (inverted dropout)은 남은 값을 keep_prob로 나눠
# 기댓값을 유지하므로, 추론할 때는 아무것도 하지 않습니다:
#
# $$D \sim \mathrm{Bernoulli}(\text{keep\_prob}), \qquad A \leftarrow \frac{A \odot D}{\text{keep\_prob}}$$
#
# *English: training drops hidden units at random; inverted dropout divides the survivors by keep_prob so the
# expectation is unchanged and inference does nothing.*

# %% [markdown]
# ### 연습 문제 1: 역 드롭아웃 / Exercise 1: inverted dropout
#
# `dropout(A, keep_prob, rng)`가 `(A_out, D)`를 반환하게 하세요. 마스크 `D`는 인자로 받은 `rng`
# (`np.random.Generator`)에서 뽑습니다: `rng.random(A.shape) < keep_prob`. 답: `notebooks/solutions/06_init_regularization.py`.
#
# *English: return `(A_out, D)`, drawing the mask from the `rng` argument. Solution:
# `notebooks/solutions/06_init_regularization.py`.*

# %%
def dropout(A, keep_prob, rng):
    # 여기에 코드를 쓰세요 (2줄) / your code here (2 lines)
    raise NotImplementedError


check_dropout(dropout)

# %% [markdown]
# 작은 MNIST (300장)에서 깊은 신경망은 과적합합니다. L2, L1, 드롭 아웃이 훈련·시험 정확도의 차이를 줄입니다
# (설정을 줄여 빨리 돌립니다; `abcdl demo regularization`은 강의의 설정).
#
# *English: a deep network over-fits 300 MNIST images; L2, L1 and dropout narrow the train-test gap
# (small settings here; `abcdl demo regularization` runs the full ones).*

# %%
res = experiments.run("regularization", lang="ko", epochs=60, seeds=1, n_test=1000, hidden=(100, 100, 100))
print(res.summary())
Image(res.render_png())

# %% [markdown]
# ## 6.5 배치 정규화 (L34)
#
# $$\mu = \frac1m \sum_k z_k, \quad \sigma^2 = \frac1m \sum_k (z_k - \mu)^2, \quad
#   Z_\text{norm} = \frac{Z - \mu}{\sqrt{\sigma^2 + \epsilon}}, \quad \tilde Z = \gamma Z_\text{norm} + \beta$$
#
# $\gamma, \beta$는 $W, b$처럼 학습됩니다.
#
# *English: normalise over the mini-batch, then scale and shift by the learned $\gamma, \beta$.*

# %% [markdown]
# ### 연습 문제 2: 배치 정규화 순전파 / Exercise 2: batch-norm forward
#
# `batchnorm_forward(Z, gamma, beta, eps)`: `Z`는 $(m, n)$, 특성 (열)마다 배치 축으로 평균과 분산 ($\frac1m$)을 냅니다.
#
# *English: `Z` is $(m, n)$; mean and variance ($1/m$) per feature, over the batch axis.*

# %%
def batchnorm_forward(Z, gamma, beta, eps):
    # 여기에 코드를 쓰세요 / your code here
    raise NotImplementedError


check_batchnorm_forward(batchnorm_forward)

# %% [markdown]
# 배치 정규화를 쓰면 같은 신경망이 더 빨리 수렴합니다 (강의: 27초 대 9초).
#
# *English: with batch norm the same network converges faster (the lecture: 27 s vs 9 s).*

# %%
res = experiments.run("batch-norm", lang="ko", iterations=150, seeds=1, n_train=1000, n_test=500,
                      inits=("he",), scales=(1.0,))
print(res.summary())
Image(res.render_png())
