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
# # 5. 경사하강법과 최적화 방법 (L20–L27)
#
# 경사하강법은 기울기의 반대 방향으로 조금씩 움직여 극솟값을 찾습니다. 학습률이 너무 크면 발산하고, 너무 작으면
# 느립니다. 모멘텀, AdaGrad, RMSProp, Adam은 이 약점을 고칩니다.
#
# *English: gradient descent steps against the gradient towards a minimum. Too large a learning rate
# diverges, too small a one crawls; momentum, AdaGrad, RMSProp and Adam address this.*

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image

import abcdl
from abcdl import experiments
from abcdl.exercises import check_adam_step, check_momentum_step
from abcdl.fonts import find_hangul_font
from abcdl.optim import SGD, CosineAnnealingLR, ExponentialLR, StepLR

abcdl.seed(0)                                      # 재현 가능한 난수 / repeatable randomness
plt.rcParams["font.family"] = find_hangul_font()
plt.rcParams["axes.unicode_minus"] = False

# %% [markdown]
# ## 5.1 경사하강법과 학습률 (L20–L22)
#
# $$x_{n+1} = x_n - \alpha f'(x_n)$$
#
# $f(x) = x^2$, $x_0 = 2$에서 $\alpha = 1.5$는 발산하고 ($x_{20} = 2097152$), $\alpha = 0.4$는 수렴하며,
# $\alpha = 0.001$은 아주 느립니다. $f(x) = (x-2)^2 (x+3)^2 - 2(x-2)^2$에서는 극소값 2에 갇히기도 합니다.
# 모멘텀 $v \leftarrow \beta v - \alpha f'(x)$, $x \leftarrow x + v$ ($\beta = 0.9$)는 그 극소값을 빠져나가
# 최솟값 근처 $-3.35$로 갑니다.
#
# *English: on $x^2$ from 2, $\alpha = 1.5$ diverges, 0.4 converges and 0.001 crawls; on the lecture's quartic
# gradient descent stops in the local minimum at 2, and momentum escapes it towards $-3.35$.*

# %%
res = experiments.run("gd-1d", lang="ko")
print(res.summary())
Image(res.render_png())

# %% [markdown]
# ### 연습 문제 1: 모멘텀 한 걸음 / Exercise 1: one momentum step
#
# `momentum_step(x, v, g, lr, beta)`가 강의의 식으로 `(x_new, v_new)`를 반환하게 하세요:
# $v_\text{new} = \beta v - \alpha g$, $x_\text{new} = x + v_\text{new}$. 검사기는 강의의 숫자 (1.4, 0.31328, ...)와
# `abcdl.optim.Momentum`에 비교합니다. 답: `notebooks/solutions/05_optimizers.py`.
#
# *English: return `(x_new, v_new)` with the lecture's formulas; the checker compares with the lecture's
# numbers and with `abcdl.optim.Momentum`. Solution: `notebooks/solutions/05_optimizers.py`.*

# %%
def momentum_step(x, v, g, lr, beta):
    # 여기에 코드를 쓰세요 (2줄) / your code here (2 lines)
    raise NotImplementedError


check_momentum_step(momentum_step)

# %% [markdown]
# ## 5.2 두 변수 함수와 적응적 방법 (L23–L26)
#
# 방향 도함수 $D_{\vec u} f = \nabla f \cdot \vec u$는 $-\nabla f$ 방향에서 가장 작습니다. $f(x, y) = x^2/20 + y^2$ 위에서
#
# - AdaGrad: $G \leftarrow G + g \odot g$, $X \leftarrow X - \frac{\alpha}{\sqrt G + \epsilon} \odot g$
# - RMSProp: $G \leftarrow \gamma G + (1 - \gamma)\, g \odot g$, $X \leftarrow X - \frac{\alpha}{\sqrt{G + \epsilon}} \odot g$
# - Adam: $M \leftarrow \beta_1 M + (1-\beta_1) g$, $V \leftarrow \beta_2 V + (1-\beta_2)\, g \odot g$,
#   $\hat M = \frac{M}{1 - \beta_1^n}$, $\hat V = \frac{V}{1 - \beta_2^n}$, $X \leftarrow X - \alpha \frac{\hat M}{\sqrt{\hat V} + \epsilon}$
#
# 의 궤적을 강의의 학습률로 그립니다.
#
# *English: the directional derivative is least along $-\nabla f$. The trajectories of GD, momentum,
# AdaGrad, RMSProp and Adam on $x^2/20 + y^2$ at the lecture's learning rates.*

# %%
res = experiments.run("optimizers-2d", lang="ko", steps_small_lr=300)
print(res.summary())
Image(res.render_png())

# %% [markdown]
# ### 연습 문제 2: Adam 한 걸음 / Exercise 2: one Adam step
#
# `adam_step(x, M, V, g, t, lr, beta1, beta2, eps)`가 `(x_new, M_new, V_new)`를 반환하게 하세요. `t`는 이번 걸음을
# 포함한 걸음 수입니다 (첫 걸음에 1). 편향 보정이 왜 필요한지: $M_0 = 0$이라 처음 몇 걸음의 $M$은 0 쪽으로 치우치고,
# $(1-\beta_1)\sum_{i<t} \beta_1^{t-1-i} = 1 - \beta_1^t$로 나누면 그 치우침이 사라집니다.
#
# *English: return `(x_new, M_new, V_new)`; `t` counts the steps including this one. The bias correction
# undoes the pull of $M_0 = 0$ towards zero in the first steps.*

# %%
def adam_step(x, M, V, g, t, lr, beta1, beta2, eps):
    # 여기에 코드를 쓰세요 / your code here
    raise NotImplementedError


check_adam_step(adam_step)

# %% [markdown]
# ## 5.3 학습률 감소 (L27)
#
# 학습을 진행하면서 학습률을 점차 줄여가는 방법 (learning rate decay): 계단식 (step), 지수 (exponential), 코사인 (cosine).
#
# *English: learning-rate decay schedules: step, exponential and cosine.*

# %%
fig, ax = plt.subplots(figsize=(6, 3.4))
for label, make in (("StepLR", lambda o: StepLR(o, step_size=10, gamma=0.5)),
                    ("ExponentialLR", lambda o: ExponentialLR(o, gamma=0.95)),
                    ("CosineAnnealingLR", lambda o: CosineAnnealingLR(o, T_max=50))):
    opt = SGD([abcdl.Parameter(np.zeros(1))], lr=0.1)
    schedule, lrs = make(opt), []
    for _ in range(50):
        lrs.append(opt.lr)
        schedule.step()
    ax.plot(lrs, label=label)
ax.set_xlabel("에폭 (epoch)")
ax.set_ylabel("학습률")
ax.legend()
plt.show()
