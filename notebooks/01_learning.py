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
# # 1. 학습이란 무엇인가 (L1–L4)
#
# 기계학습 (Machine Learning)은 데이터와 결과를 바탕으로 규칙을 끌어냅니다. 이 노트북은 강의의 첫 부분을
# 따라갑니다: 문제의 종류 (분류·회귀·군집), 차원의 저주, Hoeffding 부등식, 그리고 특성과 PCA.
# 모든 셀은 위에서 아래로 실행되며, 그림에는 강의의 한국어 용어가 붙습니다.
#
# *English: machine learning draws the rules out of data and results. This notebook follows the first
# part of the lecture: the kinds of task (classification, regression, clustering), the curse of
# dimensionality, Hoeffding's inequality, and features and PCA. Every cell runs top to bottom, and the
# figures carry the lecture's Korean terms.*

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image

import abcdl
from abcdl import experiments, models
from abcdl.fonts import find_hangul_font

abcdl.seed(0)                                      # 재현 가능한 난수 / repeatable randomness
plt.rcParams["font.family"] = find_hangul_font()   # NanumGothic, shipped with abcdl
plt.rcParams["axes.unicode_minus"] = False

# %% [markdown]
# ## 1.1 문제의 종류 (L1)
#
# - **분류 문제 (Classification)**: label이 이산적 (discrete)
# - **회귀 문제 (Regression)**: label이 연속적
# - **군집 문제 (Clustering)**: label 없이, 특성만 보고 같은 특성의 데이터끼리 묶음
#
# abcdl은 세 가지를 모두 합니다. 아래는 label 없는 점들을 k-평균 (`abcdl.models.KMeans`)으로 묶은 결과와,
# 같은 점에 직선을 맞추는 회귀 (`LinearRegression`)입니다.
#
# *English: classification has discrete labels, regression continuous ones, clustering none: the
# computer groups the data by their features alone. abcdl does all three; below, k-means groups
# unlabelled points, and a line is fitted by regression.*

# %%
rng = np.random.default_rng(0)
centres = np.array([[0.0, 0.0], [3.0, 3.0], [0.0, 4.0]])
X = np.concatenate([c + rng.normal(0, 0.6, (60, 2)) for c in centres])
km = models.KMeans(n_clusters=3, random_state=0).fit(X)

x = rng.uniform(0, 1, 40)
y = 2.0 * x + 1.0 + rng.normal(0, 0.1, 40)
reg = models.LinearRegression(lr=0.5, n_iter=2000).fit(x[:, None], y)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6))
ax1.scatter(X[:, 0], X[:, 1], c=km.labels_, cmap="viridis", s=12)
ax1.scatter(*km.cluster_centers_.T, marker="x", c="red", s=80)
ax1.set_title("군집 문제 (Clustering): k-means")
ax2.scatter(x, y, s=12)
grid = np.linspace(0, 1, 2)
ax2.plot(grid, reg.predict(grid[:, None]), c="red")
ax2.set_title(f"회귀 문제 (Regression): y = {reg.coef_[0]:.2f} x + {reg.intercept_:.2f}")
plt.show()

# %% [markdown]
# ## 1.2 차원의 저주 (L2)
#
# 변의 길이가 1인 $n$차원 단위 큐빅에서 점 사이 거리 $d$를 유지하는 격자에는 약 $(1/d)^n$개의 점이 필요합니다.
# 또 무작위 점들 사이의 거리는 $n$이 커질수록 평균 $\sqrt{n/6}$ 근처로 몰립니다: 모든 점이 거의 같은 거리에 있게 됩니다.
#
# *English: keeping a spacing $d$ in the $n$-dimensional unit cube needs about $(1/d)^n$ points, and the
# distances between random points concentrate around $\sqrt{n/6}$ as $n$ grows: all points end up about
# equally far apart.*

# %%
res = experiments.run("curse-of-dimensionality", lang="ko", n_points=300)
print(res.summary())
Image(res.render_png())

# %% [markdown]
# ## 1.3 Hoeffding 부등식 (L3)
#
# $$P\big[\,|E_\text{training} - E_\text{test}| > \epsilon\,\big] \le N_\text{hypothesis}\, e^{-2\epsilon^2 N_\text{training}}$$
#
# 훈련 데이터가 많을수록 훈련 오차와 시험 오차의 차이가 커질 확률은 지수적으로 줄어듭니다. 가설의 수
# $N_\text{hypothesis}$가 클수록 (복잡한 모델일수록) 경계는 느슨해집니다.
#
# *English: the more training data, the less likely the training and test errors differ by more than
# $\epsilon$, exponentially; the more hypotheses (the richer the model), the looser the bound.*

# %%
from abcdl.experiments.hoeffding import hoeffding_bound

for n in (100, 500, 1000, 2000):
    print(f"N_training = {n:5d}:  bound = {hoeffding_bound(0.05, n, n_hyp=10):.4f}")
res = experiments.run("hoeffding", lang="ko", repeats=1000)
Image(res.render_png())

# %% [markdown]
# ## 1.4 특성과 차원 축소: PCA (L4)
#
# 강의의 예: 세 특성 $p_1, p_2, p_3$ 대신 "가장 중요한 특성" $p = \sqrt{p_1^2 + p_2^2 + p_3^2}$ 하나를 쓰면
# 두 클래스가 쉽게 나뉩니다. 불필요한 차원을 컴퓨터가 줄이는 방법이 주성분 분석 (PCA)입니다:
# MNIST의 784차원을 2차원으로 투영합니다 (`abcdl.models.PCA`, SVD).
#
# *English: the slide's example: instead of three features, the single "most important feature"
# $p = \sqrt{p_1^2 + p_2^2 + p_3^2}$ separates the two classes. PCA lets the computer drop the
# unneeded dimensions: MNIST's 784 dimensions projected to 2 (via the SVD).*

# %%
res = experiments.run("pca-mnist", lang="ko", n_samples=2000, n_per_class=200)
print(res.summary())
Image(res.render_png())

# %% [markdown]
# ### 직접 해 보기 / Try it
#
# `abcdl.models.PCA(n_components=2).fit(X)`의 `explained_variance_ratio_`는 두 성분이 분산의 몇 %를 설명하는지
# 알려 줍니다. MNIST 1,000장으로 확인해 보세요.
#
# *English: `explained_variance_ratio_` tells how much of the variance the two components explain;
# check it on 1,000 MNIST images.*

# %%
from abcdl.data import load_mnist

(x_train, t_train), _ = load_mnist(normalize=True, flatten=True)
pca = models.PCA(n_components=2).fit(x_train[:1000])
print("explained variance ratio:", np.round(pca.explained_variance_ratio_, 4))
