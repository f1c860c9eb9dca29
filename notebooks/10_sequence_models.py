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
# # 10. 순환 신경망과 언어 모델 (L40)
#
# 강의의 참고 문헌 (밑바닥부터 시작하는 딥러닝 2, Coursera 5번째 과정)은 시계열 데이터를 다룹니다. 순환 신경망 (RNN)은
# 한 시각의 은닉 상태 $h_t$를 다음 시각으로 넘겨 문장을 한 단어씩 읽습니다. 여기서는 단어 임베딩, RNN과 LSTM의 식,
# 그리고 abcdl 안에 들어 있는 Tiny Shakespeare로 다음 단어를 맞히는 언어 모델을 학습합니다 (설정을 줄여 빨리 돌립니다).
#
# *English: the lecture's references (Deep Learning from Scratch 2, Coursera course 5) treat sequences. A recurrent
# network passes its hidden state $h_t$ from one step to the next and reads a sentence word by word. This notebook
# shows word embeddings, the RNN and LSTM formulas, and trains a language model that predicts the next word of
# Tiny Shakespeare, which ships inside abcdl (small settings, to stay fast).*

# %%
import matplotlib.pyplot as plt
import numpy as np

import abcdl
from abcdl import lm, text
from abcdl.fonts import find_hangul_font
from abcdl.layers import LSTM, RNN, Embedding
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.optim import SGD

abcdl.seed(0)                                      # 재현 가능한 난수 / repeatable randomness
plt.rcParams["font.family"] = find_hangul_font()
plt.rcParams["axes.unicode_minus"] = False

# %% [markdown]
# ## 10.1 말뭉치와 어휘 (corpus, vocabulary)
#
# 글을 토큰 (단어와 문장 부호)의 긴 줄로 읽고, 토큰마다 번호를 붙입니다. 드문 단어는 `<unk>` (번호 0)가 됩니다.
# 훈련·검증·시험 데이터는 위치로 나눕니다 (앞 90%, 다음 5%, 마지막 5%): 검증 글은 모델이 읽지 않은 글입니다 (L37).
#
# *English: the text is read as one long stream of tokens (words and punctuation), each given an id; rare words
# become `<unk>` (id 0). The split is by position (90/5/5), so the held-out text is text the model has not read.*

# %%
corpus = text.load_corpus("shakespeare", level="word", max_size=2000, n_tokens=30000)
vocab = corpus.vocab
print(len(vocab), "tokens in the vocabulary;", len(corpus.train), "training tokens")
print(corpus.train[:12])
print(vocab.decode(corpus.train[:12]))

# %% [markdown]
# ## 10.2 단어 임베딩 (Embedding)
#
# 단어 번호 $w$를 벡터 $E[w]$ ($E$: (어휘 수, 차원))로 바꿉니다. one-hot 벡터에 $E$를 곱하는 것과 같지만, 곱하지 않고
# 행을 꺼냅니다. 역전파에서는 꺼낸 행에만 기울기가 더해집니다.
#
# *English: an embedding maps the id $w$ to the row $E[w]$: the product of a one-hot vector with $E$, done by
# taking the row. Backward adds the gradient to the rows that were taken.*

# %%
emb = Embedding(len(vocab), 8, dtype=np.float64)
ids = np.array([[1, 5, 1]])                         # (m, T) = (1, 3)
x = emb.forward(ids)                                # (m, T, D) = (1, 3, 8)
one_hot = np.eye(len(vocab))[ids]                   # (1, 3, V)
print(x.shape, np.allclose(x, one_hot @ emb.W.data))

# %% [markdown]
# ## 10.3 RNN과 LSTM
#
# RNN: $h_t = \tanh(x_t W_x^T + h_{t-1} W_h^T + b)$. 같은 가중치를 모든 시각에 씁니다. 역전파는 시간을 거슬러
# 올라가며 (BPTT) $W_h$를 여러 번 곱하므로 기울기가 사라지거나 폭발하기 쉽습니다 (L28, L29). LSTM은 게이트로 이를 막습니다:
#
# $$f = \sigma(\cdot),\; i = \sigma(\cdot),\; o = \sigma(\cdot),\; g = \tanh(\cdot), \qquad
#   c_t = f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t)$$
#
# *English: an RNN applies the same weights at every step; backprop through time multiplies by $W_h$ again and
# again, so gradients vanish or explode (L28, L29). The LSTM's gates and memory cell $c_t$ prevent that.*

# %%
x = np.random.default_rng(0).normal(size=(2, 5, 8))   # (m, T, D): 2 sequences of 5 steps
for layer in (RNN(8, 16, dtype=np.float64), LSTM(8, 16, dtype=np.float64)):
    h = layer.forward(x)
    print(f"{type(layer).__name__}: {x.shape} -> {h.shape}")

# %% [markdown]
# ## 10.4 언어 모델: 다음 단어 맞히기
#
# Embedding → LSTM → Linear가 시각마다 다음 토큰의 소프트맥스 확률을 냅니다. 긴 글을 35토큰씩 끊어 읽되 은닉 상태는
# 이어 가고, 기울기는 창 (window) 안에서만 흐릅니다 (truncated BPTT). 기울기는 크기를 잘라 줍니다 (gradient clipping).
# 평가는 퍼플렉서티 (perplexity) $\exp(\text{평균 교차 엔트로피})$: 고르게 $k$개 중 하나를 찍는 모델의 퍼플렉서티는 $k$입니다.
#
# *English: Embedding → LSTM → Linear gives each step a softmax over the next token. The text is read in windows
# of 35 tokens, the hidden state carried over and the gradient stopped at the window's start (truncated BPTT),
# with the gradient norm clipped. The measure is the perplexity, exp of the mean cross-entropy.*

# %%
model = lm.language_model(len(vocab), embedding_dim=64, hidden_size=64, cell="lstm")
history = lm.fit_lm(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=20), corpus.train,
                    epochs=2, batch_size=20, time_size=35, max_norm=0.25, validation=corpus.val, verbose=0)
baseline = text.unigram_perplexity(corpus.train, corpus.val, len(vocab))
print("validation perplexity per epoch:", np.round(history.history["val_perplexity"], 1))
print(f"unigram baseline (word counts only): {baseline:.1f}")

fig, ax = plt.subplots(figsize=(5, 3.2))
epochs = np.arange(1, len(history.history["perplexity"]) + 1)
ax.plot(epochs, history.history["perplexity"], "o-", label="훈련 (train)")
ax.plot(epochs, history.history["val_perplexity"], "o-", label="검증 (validation)")
ax.axhline(baseline, color="gray", ls="--", label="unigram")
ax.set_xlabel("에폭 (epoch)")
ax.set_ylabel("퍼플렉서티 (perplexity)")
ax.legend()
plt.show()

# %% [markdown]
# 학습한 모델로 글을 이어 씁니다 (소프트맥스 확률에서 다음 토큰을 뽑습니다). 작은 모델을 잠깐 학습했을 뿐이라 문장은
# 엉성하지만, 단어와 문장 부호의 순서는 배우기 시작했습니다.
#
# *English: the trained model continues a prompt, drawing each next token from its softmax. A small model
# trained briefly writes rough sentences, but it has begun to learn the order of words and punctuation.*

# %%
print(vocab.decode(lm.generate(model, vocab.encode("the king"), 25, skip_ids=(0,), rng=0)))   # 0: <unk>
