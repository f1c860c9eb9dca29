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
# # 8. 합성곱 신경망, CNN (L38)
#
# 강의는 CNN을 참고 문헌 (밑바닥부터 시작하는 딥러닝 1의 7장, Coursera 4번째 과정)에 맡깁니다. 합성곱 층은 작은 필터를
# 이미지 위로 밀며 가중합을 내고, 풀링 층은 영역마다 최댓값 (또는 평균)을 고릅니다. abcdl은 im2col로 합성곱을 행렬 곱
# 하나로 바꿉니다.
#
# *English: the lecture leaves CNNs to its references (Deep Learning from Scratch 1, ch. 7; Coursera course 4).
# A convolution slides small filters over the image, pooling keeps each window's maximum (or mean); abcdl
# turns the convolution into one matrix product with im2col.*

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image

import abcdl
from abcdl import experiments
from abcdl.data import load_mnist
from abcdl.fonts import find_hangul_font
from abcdl.im2col import conv_output_size, im2col
from abcdl.layers import Conv2d, MaxPool2d
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.models import convnet
from abcdl.optim import Adam
from abcdl.train import evaluate, fit

abcdl.seed(0)                                      # 재현 가능한 난수 / repeatable randomness
plt.rcParams["font.family"] = find_hangul_font()
plt.rcParams["axes.unicode_minus"] = False

# %% [markdown]
# ## 8.1 출력 크기, 패딩과 스트라이드
#
# 입력 $H \times W$, 필터 $F_H \times F_W$, 패딩 $P$, 스트라이드 $S$이면
#
# $$O_H = \frac{H + 2P - F_H}{S} + 1, \qquad O_W = \frac{W + 2P - F_W}{S} + 1$$
#
# *English: the output size for padding $P$ and stride $S$.*

# %%
for H, F, P, S in ((28, 5, 0, 1), (28, 5, 2, 1), (28, 3, 1, 2)):
    print(f"H = {H}, F = {F}, P = {P}, S = {S}  ->  O = {conv_output_size(H, F, S, P)}")

# %% [markdown]
# ## 8.2 im2col
#
# 이미지 $(m, C, H, W)$의 각 필터 위치를 한 열로 펼치면 (`col`: $(C\,F_H F_W,\ m\,O_H O_W)$), 합성곱은 필터 행렬
# $W_\text{2d}$: $(F, C\,F_H F_W)$와의 곱 하나 $Z = W_\text{2d}\, \text{col}$가 됩니다.
#
# *English: unrolling each filter position of an $(m, C, H, W)$ image into one column turns the convolution
# into one matrix product with the flattened filters.*

# %%
x = np.arange(2 * 1 * 4 * 4, dtype=np.float64).reshape(2, 1, 4, 4)
col = im2col(x, kernel_size=3)
print("im2col:", x.shape, "->", col.shape)

conv = Conv2d(1, 2, kernel_size=3, dtype=np.float64)
out = conv.forward(x)                                             # (m, F, O_H, O_W)
Z = conv.W.data.reshape(2, -1) @ col + conv.b.data[:, None]       # Z = W_2d col + b: (F, m O_H O_W)
print("Conv2d:", out.shape, "  W_2d @ col == Conv2d:", np.allclose(Z.reshape(2, 2, 2, 2).transpose(1, 0, 2, 3), out))
print("MaxPool2d(2):\n", MaxPool2d(2).forward(x)[0, 0])

# %% [markdown]
# ## 8.3 MNIST의 합성곱 신경망
#
# conv (30개 5×5 필터) - ReLU - 2×2 max pool - affine 100 - ReLU - affine 10 - softmax. 빨리 돌리려고 훈련 이미지
# 3,000장으로 1에폭만 학습합니다 (`abcdl train --model convnet`은 전체 데이터).
#
# *English: the simple ConvNet of the book, trained here on 3,000 images for one epoch to stay fast
# (`abcdl train --model convnet` uses all of MNIST).*

# %%
(x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, flatten=False)   # (m, 1, 28, 28)
model = convnet()
loss_fn = SoftmaxCrossEntropyLoss()
history = fit(model, loss_fn, Adam(model.parameters(), lr=1e-3), (x_train[:3000], t_train[:3000]),
              epochs=1, batch_size=100, verbose=0)
print("train accuracy", np.round(history.history["accuracy"], 4))
print("test loss, accuracy (2,000 images):", evaluate(model, loss_fn, (x_test[:2000], t_test[:2000])))

# %% [markdown]
# ## 8.4 필터가 배우는 것
#
# 첫 층의 5×5 필터: 학습 전에는 잡음, 학습 후에는 가장자리와 얼룩을 찾는 모양이 됩니다.
#
# *English: the first layer's 5×5 filters: noise before training, edge and blob detectors after.*

# %%
res = experiments.run("conv", lang="ko", epochs=1, n_train=2000, n_test=500)
print(res.summary())
Image(res.render_png())
