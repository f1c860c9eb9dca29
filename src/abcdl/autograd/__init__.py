"""Define-by-run automatic differentiation: the machine does the lecture's backprop (L39).

The lecture derives every backward pass by hand (L15-L17); "Deep Learning from
Scratch 3" (DeZero), micrograd and PyTorch let the computer do it.  This
package is that engine at the size of a lecture: a ``Tensor`` that remembers
the operations that made it, one small class per operation with its local
derivative written beside it, and a backward pass that applies the chain rule
in reverse topological order.  Its gradients agree with the hand-written
``abcdl.layers`` to the last digits.  ``abcdl.layers`` never imports this
package; of this package only :mod:`abcdl.autograd.nn` (the rebuilt layers)
imports ``abcdl.layers``.  Inside it, ``tensor.py`` is the data type alone and
``operators.py`` attaches its operators once the ops exist: no import cycle.

API overview
------------
Values and gradients (PyTorch's names)::

    from abcdl import autograd as ag
    x = ag.tensor(np.array([1.0, 2.0]), requires_grad=True)   # a leaf (float dtypes only)
    y = (x * x).sum()                                         # the graph is recorded as it runs
    y.backward()                                              # x.grad == 2x; accumulates (reset: None)
    (g,) = ag.grad(y2, [x], create_graph=True)                # returned, not accumulated; differentiable
    with ag.no_grad(): ...                                    # compute without recording

``Tensor``: ``.data`` (the ndarray), ``.grad`` (Tensor or None, leaves only),
``.requires_grad``, ``.creator`` (the op, PyTorch's ``grad_fn``), ``.shape``,
``.dtype``, ``.ndim``, ``.numpy()``, ``.item()``, ``.detach()``,
``.backward(gradient=None, retain_graph=False, create_graph=False)``; operators
``+ - * / ** @``, unary ``-``, indexing ``x[i]`` (basic and fancy), ``.T``,
``.sum/.mean/.max(axis, keepdims)``, ``.reshape``, ``.transpose``, ``.exp()``...
NumPy arrays and numbers mix in freely (a number takes the tensor's dtype, so
float32 stays float32).

Operations (functions; each a :class:`Function` subclass with ``forward`` in
NumPy and ``backward`` in Tensor operations):

* arithmetic with broadcasting: ``add sub mul div neg pow``; ``matmul``
* elementwise: ``exp log sqrt sin cos tanh sigmoid relu abs``
* reductions: ``sum mean max`` (over ``axis``, ``keepdims``)
* shapes: ``reshape transpose getitem broadcast_to sum_to concatenate``
* networks: ``linear(x, W, b)`` (W is (out, in), as ``layers.Linear``),
  ``softmax log_softmax softmax_cross_entropy(Z, t) mse(y, t)``,
  ``dropout(x, mask, p)``, ``batch_norm(x, gamma, beta, eps, axis)`` (composed),
  ``conv2d(x, W, b, stride, padding)``, ``max_pool2d(x, kernel_size, stride, padding)``,
  ``im2col``/``col2im`` (built on :mod:`abcdl.im2col`).

Adding an operation: subclass :class:`Function`, write ``forward(*arrays)``
with NumPy and ``backward(gy)`` returning one gradient per input (``None`` where
``self.inputs[i].requires_grad`` is false) with Tensor operations; call it as
``MyOp()(x, ...)``.  Set ``keeps_output = True`` to use ``self.output()``.

Parameters and optimizers: ``ag.param(p)`` (= ``Tensor.from_parameter(p)``)
makes a leaf that reads ``p.data`` at every use and adds its gradient into
``p.grad`` in place, so ``abcdl.optim`` trains an autograd model unchanged::

    W = ag.param(layer.W); b = ag.param(layer.b)
    opt = abcdl.optim.Adam([layer.W, layer.b], lr=1e-3)
    opt.zero_grad(); ag.softmax_cross_entropy(ag.linear(x, W, b), t).backward(); opt.step()

The engine's rules (PyTorch's): backward frees the graph when it is done unless
``retain_graph=True`` (or ``create_graph=True``); a second backward through a
freed graph raises ``RuntimeError``.  Leaves' ``.grad`` accumulate across
backward calls; results of operations keep no ``.grad`` (ask :func:`grad`).
A node used twice receives the sum of both gradients.  The topological order
is found without recursion, so graphs of any depth work.

The hand-written layers, rebuilt from these ops (float64 results agree with
``forward``/``backward`` to rounding; most are bit for bit).  :mod:`abcdl.autograd.nn`
writes each one out (``nn.linear_layer(layer, x)``, ..., ``nn.from_layer(model)``,
``nn.from_loss(loss_fn)``) and wraps a whole model as a Module whose forward and
backward run through the graph (``nn.Graph(model)``, trained by ``abcdl.train.fit``)::

    Linear           linear(x, param(l.W), param(l.b))
    ReLU/Tanh/...    relu(x), tanh(x), sigmoid(x); LeakyReLU: relu(x) - s * relu(-x)
    Dropout          dropout(x, keep_mask, p)            (draw the mask as the layer does)
    BatchNorm1d      batch_norm(x, gamma, beta, eps)     (running statistics: update from x.data)
    BatchNorm2d      batch_norm(x, gamma.reshape(C, 1, 1), beta.reshape(C, 1, 1), eps, axis=(0, 2, 3))
    Conv2d           conv2d(x, W, b, stride, padding)
    MaxPool2d        max_pool2d(x, kernel_size, stride, padding)
    AvgPool2d        im2col(x, k, s, p).reshape(C, kh*kw, -1).mean(axis=1), reshaped to (m, C, OH, OW)
    Flatten          x.reshape(x.shape[0], -1)
    SoftmaxCE / MSE  softmax_cross_entropy(Z, t), mse(y, t)
    SigmoidBCE       (relu(z) - z * t + log(1 + exp(-abs(z)))).mean()

Pictures: ``to_dot(loss)`` returns DOT text; ``draw_graph(loss, "graph.png")``
renders it with Graphviz when ``dot`` is installed, otherwise with matplotlib.
"""

from . import nn
from .engine import backward, grad, topological_order
from .function import Function
from .graph import draw_graph, to_dot
from .leaf import ParamTensor, param
from .mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .operators import setup_tensor
from .ops_arith import add, div, mul, neg, pow, sub
from .ops_conv import col2im, conv2d, im2col, max_pool2d
from .ops_linalg import linear, matmul
from .ops_math import abs, cos, exp, log, relu, sigmoid, sin, sqrt, tanh
from .ops_nn import batch_norm, dropout, log_softmax, mse, softmax, softmax_cross_entropy
from .ops_reduce import max, mean, sum
from .ops_shape import broadcast_to, concatenate, getitem, reshape, sum_to, transpose
from .tensor import Tensor, as_tensor, tensor

setup_tensor()          # Tensor's operators and backward, now that the ops and the engine exist

__all__ = [
    "nn", "Tensor", "ParamTensor", "Function", "tensor", "param", "as_tensor",
    "backward", "grad", "topological_order", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled", "to_dot", "draw_graph",
    "add", "sub", "mul", "div", "neg", "pow", "matmul",
    "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs",
    "sum", "mean", "max",
    "reshape", "transpose", "getitem", "broadcast_to", "sum_to", "concatenate",
    "linear", "softmax", "log_softmax", "softmax_cross_entropy", "mse", "dropout", "batch_norm",
    "im2col", "col2im", "conv2d", "max_pool2d",
]
