"""Data: the IDX reader, MNIST / Fashion-MNIST / 8x8 digits loaders, splitting and mini-batches.

>>> from abcdl.data import load_mnist, iterate_minibatches
>>> (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, flatten=True)
>>> for xb, tb in iterate_minibatches(x_train, t_train, batch_size=100, rng=0):
...     ...

See :mod:`abcdl.data.mnist` for where the files come from (``ABCDL_DATA``, the
copy of MNIST shipped with abcdl, the user cache, verified downloads) and
:mod:`abcdl.data.download` for the mirrors.
"""

from .digits import load_digits
from .errors import DataError, DataMissingError
from .idx import parse_idx, read_idx
from .mnist import (
    DataSource,
    cache_dir,
    clear_cache,
    dataset_files,
    find_dataset,
    load_fashion_mnist,
    load_mnist,
)
from .split import iterate_minibatches, train_val_split

__all__ = [
    "DataError", "DataMissingError", "DataSource", "find_dataset", "read_idx", "parse_idx", "load_mnist",
    "load_fashion_mnist", "load_digits", "dataset_files", "cache_dir", "clear_cache", "train_val_split",
    "iterate_minibatches",
]
