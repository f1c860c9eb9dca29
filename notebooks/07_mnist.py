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
# # 7. MNIST 처음부터 끝까지 (L35–L37)
#
# 손글씨 숫자 MNIST: $28 \times 28 = 784$개의 입력 특성, 10개의 클래스. 출력층의 소프트맥스가 클래스마다 확률을 주고,
# 교차 엔트로피를 미니배치로 줄입니다. 하이퍼파라미터 (조절하는 변수)는 검증 데이터로 고르고, 시험 데이터는 마지막에 한 번만 씁니다.
# MNIST는 abcdl 안에 들어 있어 인터넷이 필요 없습니다.
#
# *English: MNIST digits: 784 input features, 10 classes. The softmax output gives each class a probability,
# and the cross-entropy is minimised over mini-batches. Hyper-parameters are chosen on validation data; the
# test set is used once, at the end. MNIST ships inside abcdl: no internet needed.*

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image

import abcdl
from abcdl import experiments, report
from abcdl.data import load_mnist
from abcdl.fonts import find_hangul_font
from abcdl.functions import softmax
from abcdl.layers import Linear, ReLU
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.models import Sequential
from abcdl.optim import Adam
from abcdl.train import evaluate, fit

abcdl.seed(0)                                      # 재현 가능한 난수 / repeatable randomness
plt.rcParams["font.family"] = find_hangul_font()
plt.rcParams["axes.unicode_minus"] = False

(x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, flatten=True)
print(x_train.shape, t_train.shape, x_test.shape)   # (60000, 784) (60000,) (10000, 784)

# %% [markdown]
# ## 7.1 소프트맥스 출력과 교차 엔트로피 (L35)
#
# $$y_k = \frac{e^{z_k}}{\sum_{i=1}^{10} e^{z_i}}, \qquad \mathcal L = -\sum_{k} t_k \log y_k$$
#
# 신경망은 784-100-10 (ReLU, He 초기값)입니다. 데이터는 행이 예제인 $(m, 784)$ 배열입니다.
#
# *English: a 784-100-10 network (ReLU, He initialisation); data are $(m, 784)$ arrays, one example a row.*

# %%
model = Sequential(Linear(784, 100, init="he"), ReLU(), Linear(100, 10, init="he"))
loss_fn = SoftmaxCrossEntropyLoss()
print(abcdl.summary.summary(model, 784))

# %% [markdown]
# ## 7.2 미니배치와 에폭 (L36)
#
# 훈련 데이터 중 일부를 무작위로 꺼내어 그 미니배치에 대해 학습합니다 (확률적 경사하강법).
# 1에폭 = 훈련 데이터를 모두 소진하였을 때의 횟수: 54,000장을 100장씩이면 540회 반복이 1에폭입니다.
# 10%는 검증 데이터로 떼어 둡니다 (L37).
#
# *English: each step learns from a random mini-batch (stochastic gradient descent); one epoch is one pass
# over the training data: 54,000 images in batches of 100 is 540 steps. 10% is held out for validation (L37).*

# %%
history = fit(model, loss_fn, Adam(model.parameters(), lr=1e-3), (x_train, t_train),
              epochs=3, batch_size=100, validation_split=0.1, verbose=0)
for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
    print(f"{key:13s}", np.round(history.history[key], 4))
Image(report.render_png(report.curves_figure(history.history, title="학습 곡선 (learning curves)")))

# %% [markdown]
# ## 7.3 시험과 예측 (L35)
#
# 시험 데이터는 마지막에 한 번만 씁니다. 강의의 슬라이드처럼, 한 장의 숫자에 대해 10개 클래스의 확률을 봅니다.
#
# *English: the test set, once, at the end; then the ten class probabilities for one digit, as on the slide.*

# %%
test_loss, test_acc = evaluate(model, loss_fn, (x_test, t_test))
print(f"test loss {test_loss:.4f}, test accuracy {test_acc:.2%}")

model.eval()
probs = softmax(model.forward(x_test[:1]))[0]
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3))
ax1.imshow(x_test[0].reshape(28, 28), cmap="gray")
ax1.set_title(f"정답 (label) {t_test[0]}")
ax1.axis("off")
ax2.bar(range(10), probs)
ax2.set_xticks(range(10))
ax2.set_title("소프트맥스 확률")
plt.show()
for k in np.argsort(probs)[::-1][:3]:
    print(f"{k}: {probs[k]:.4f}")

# %% [markdown]
# 혼동 행렬 (confusion matrix): 행은 정답, 열은 예측입니다.
#
# *English: the confusion matrix: rows are the true class, columns the prediction.*

# %%
pred = np.argmax(model.forward(x_test), axis=1)
C = report.confusion_matrix(t_test, pred, 10)
Image(report.render_png(report.confusion_figure(C, title="혼동 행렬 (confusion matrix)")))

# %% [markdown]
# ## 7.4 하이퍼파라미터 탐색 (L37)
#
# 학습률, $\lambda$, keep_prob, 층의 크기를 무작위로 뽑아 검증 데이터의 정확도로 고릅니다. 시험 데이터는 고른 뒤에
# 한 번만 씁니다 (설정을 줄여 빨리 돌립니다).
#
# *English: random search over learning rate, $\lambda$, keep_prob and layer sizes, chosen on validation
# accuracy; the test set is used once, after the choice (small settings here).*

# %%
res = experiments.run("hyperparameter-search", lang="ko", trials=8, epochs=3, n_train=2000, n_test=2000)
print(res.summary())
Image(res.render_png())
