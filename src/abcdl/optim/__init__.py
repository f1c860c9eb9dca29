"""Optimizers, learning-rate schedules and gradient clipping (L20-L27, L29).

One file per lecture slide: ``sgd`` (L20), ``momentum`` (L22, Nesterov L27),
``adagrad`` (L24), ``rmsprop`` (L25), ``adam`` (L26, AdamW L27), ``schedules``
(L27) and ``clip`` (L29).  Each optimizer is built from an iterable of
:class:`~abcdl.Parameter` and a learning rate, and offers ``step()``,
``zero_grad()``, ``state_dict()`` / ``load_state_dict()`` and a settable ``lr``::

    opt = Adam(model.parameters(), lr=1e-3)
    opt.zero_grad(); model.backward(loss_fn.backward()); opt.step()

    p = abcdl.Parameter(np.array([3.0]))          # a point on f(x), as in L20-L22
    opt = Momentum([p], lr=0.02, momentum=0.9)
    p.grad[:] = df(p.data); opt.step()
"""

from .adagrad import AdaGrad
from .adam import Adam, AdamW
from .base import Optimizer
from .clip import clip_grad_norm
from .momentum import Momentum, Nesterov
from .rmsprop import RMSProp
from .schedules import CosineAnnealingLR, ExponentialLR, LRScheduler, StepLR
from .sgd import SGD

__all__ = [
    "Optimizer", "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "AdamW",
    "LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "clip_grad_norm",
]
