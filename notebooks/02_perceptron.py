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
# # 2. 퍼셉트론과 논리 게이트 (L5–L9)
#
# 1958년 로젠블라트의 퍼셉트론 (Perceptron)은 직선 (선형관계식) 하나로 클래스를 나누는 선형 판별 모델입니다.
# 이 노트북에서는 퍼셉트론의 식, 강의의 가중치로 만든 OR·AND·NAND 게이트, 퍼셉트론 학습 알고리즘 (PLA),
# 그리고 한 층으로는 풀 수 없는 XOR을 다층신경망으로 푸는 것을 봅니다.
#
# *English: Rosenblatt's perceptron (1958) separates classes with one straight line. This notebook
# covers its formula, the OR, AND and NAND gates with the lecture's weights, the perceptron learning
# algorithm (PLA), and XOR, which one layer cannot do and a multi-layer network can.*

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image

import abcdl
from abcdl import experiments, models
from abcdl.exercises import check_pla_update
from abcdl.fonts import find_hangul_font

abcdl.seed(0)                                      # 재현 가능한 난수 / repeatable randomness
plt.rcParams["font.family"] = find_hangul_font()
plt.rcParams["axes.unicode_minus"] = False

# %% [markdown]
# ## 2.1 퍼셉트론의 식 (L5)
#
# $$h(\vec x) = \operatorname{sign}\Big[\Big(\sum_{i=1}^{d} w_i x_i\Big) + b\Big]
#   = \operatorname{sign}\Big[\sum_{i=0}^{d} w_i x_i\Big], \qquad w_0 = b,\; x_0 = 1$$
#
# $\vec x$는 $d$개의 특성을 갖는 입력, $\vec w$는 가중치, $b$는 편향입니다. 편향을 $w_0$로, 상수 입력 $x_0 = 1$을
# 붙이면 식이 내적 하나가 됩니다.
#
# *English: $\vec x$ is the input with $d$ features, $\vec w$ the weights, $b$ the bias. Folding the bias
# in as $w_0$ with a constant input $x_0 = 1$ makes the formula a single dot product.*

# %% [markdown]
# ## 2.2 논리 게이트 (L6)
#
# 강의의 가중치: OR $(w_0, w_1, w_2) = (-2, 3, 3)$, AND $(-4, 3, 3)$, NAND $(4, -3, -3)$.
# 예를 들어 OR: $3 \cdot 0 + 3 \cdot 0 - 2 = -2 \Rightarrow \operatorname{sign} = -1$ (출력 0).
#
# *English: the lecture's weights for OR, AND and NAND; for OR at (0, 0), $-2$ gives sign $-1$ (output 0).*

# %%
for gate in (models.OR, models.AND, models.NAND):
    print(gate.truth_table(), "\n")
res = experiments.run("logic-gates", lang="ko")
Image(res.render_png())

# %% [markdown]
# ## 2.3 퍼셉트론 학습 알고리즘, PLA (L7)
#
# 잘못 분류된 점 $\vec x_k$ ($y_k\, \vec w \cdot \vec x_k < 0$)를 하나 무작위로 골라
#
# $$\vec w \leftarrow \vec w + y_k \vec x_k$$
#
# 로 고칩니다. 잘못 분류된 점이 없을 때까지 되풀이합니다. 강의의 예: $\vec w = (-12, 2, 3)$에서
# $\vec x = (1, 2, 2),\ y = +1$이면 $(-11, 4, 5)$가 됩니다.
#
# *English: pick a misclassified point at random and update $\vec w \leftarrow \vec w + y_k \vec x_k$;
# repeat until no point is misclassified. The slide's example: from $(-12, 2, 3)$ with
# $\vec x = (1, 2, 2)$, $y = +1$ the weights become $(-11, 4, 5)$.*

# %% [markdown]
# ### 연습 문제 1: PLA 한 걸음 / Exercise 1: one PLA step
#
# `pla_update(w, x, y)`를 완성하세요: 새 가중치 $\vec w + y \vec x$를 **새 배열로** 반환합니다 (입력 `w`는 바꾸지
# 않습니다). `x`는 $x_0 = 1$이 앞에 붙은 점, `y`는 $-1$ 또는 $+1$입니다. 답: `notebooks/solutions/02_perceptron.py`.
#
# *English: complete `pla_update(w, x, y)`: return the new weights $\vec w + y \vec x$ as a **new array**
# (leave `w` unchanged). `x` has $x_0 = 1$ in front, `y` is $-1$ or $+1$. Solution:
# `notebooks/solutions/02_perceptron.py`.*

# %%
def pla_update(w, x, y):
    # 여기에 코드를 쓰세요 (1줄) / your code here (1 line)
    raise NotImplementedError


check_pla_update(pla_update)

# %% [markdown]
# 라이브러리의 `abcdl.models.pla_update`로 강의의 세 걸음을 다시 봅니다:
#
# *English: the slide's three steps with the library's `abcdl.models.pla_update`:*

# %%
w = np.array([-12.0, 2.0, 3.0])
for x, y in (((1, 2, 2), +1), ((1, 4, 0), -1), ((1, 2, 2), +1)):
    w = models.pla_update(w, x, y)
    print(f"x = {x}, y = {y:+d}  ->  w = {w}")

# %% [markdown]
# ## 2.4 학습과 시험, 여유 (L8)
#
# 훈련 데이터로 학습한 결과를 시험 데이터로 확인합니다. 학습을 너무 tight하게 하면 시험에서 실패할 수 있습니다.
# 퍼셉트론이 찾는 직선은 여러 개일 수 있고, SVM은 그중 여유 (margin)가 가장 큰 직선을 고릅니다.
#
# *English: what was learned on training data is checked on test data. The PLA stops at any separating
# line; the SVM picks the one with the largest margin.*

# %%
res = experiments.run("perceptron", lang="ko")
print(res.summary())
Image(res.render_png())

# %% [markdown]
# ## 2.5 XOR과 다층신경망 (L9)
#
# XOR은 직선 하나로 나눌 수 없습니다 (Minsky & Papert). 그러나 XOR = AND(OR, NAND)로, 두 층을 쌓으면 됩니다.
# 강의의 표: 입력 00, 01, 10, 11에서 OR의 입력합 $-2, 1, 1, 4$, NAND $4, 1, 1, -2$, XOR $-1, 2, 2, -1$.
#
# *English: no single line separates XOR, but XOR = AND(OR, NAND): two layers do it. The slide's table
# of pre-activations is reproduced below.*

# %%
print(models.XOR.layer_table())
res = experiments.run("xor", lang="ko", epochs=1000)
Image(res.render_png())
