"""The lecture's hyper-parameter search (L37) on a Dask cluster, through joblib's Dask backend.

A LocalCluster on the loopback interface (127.0.0.1, TCP, two worker processes,
no dashboard, nothing else on the network) runs the same RandomizedSearchCV as
the sequential one; with the same seeds it finds the same best parameters and the
same fold scores, and the fits ran on both workers.  docs/outgrow.md shows the
same code pointed at a real scheduler address.
"""

import logging

import joblib
import numpy as np
import pytest
from dask.distributed import Client, LocalCluster, get_task_stream
from scipy.stats import loguniform
from sklearn.datasets import load_digits
from sklearn.model_selection import RandomizedSearchCV

from abcdl.models import MLPClassifier

pytestmark = pytest.mark.filterwarnings("ignore::abcdl.models.ConvergenceWarning")   # 15 epochs on purpose


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", protocol="tcp",
                      dashboard_address=None, silence_logs=logging.ERROR, death_timeout=60) as local:
        with Client(local, timeout=60) as client:
            yield client


def _search():
    X, y = load_digits(return_X_y=True)
    space = {"alpha": loguniform(1e-5, 1e1), "hidden_layer_sizes": [(4,), (16,), (32,)],
             "learning_rate_init": [1e-3, 1e-2]}
    est = MLPClassifier(max_iter=15, random_state=0)        # same seed for every fit: results comparable
    return RandomizedSearchCV(est, space, n_iter=6, cv=2, random_state=0, n_jobs=2), X[:600] / 16, y[:600]


def test_dask_search_matches_sequential(cluster):
    seq, X, y = _search()
    seq.set_params(n_jobs=None).fit(X, y)
    dist, _, _ = _search()
    with get_task_stream(cluster) as tasks, joblib.parallel_backend("dask", wait_for_workers_timeout=60):
        dist.fit(X, y)
    assert dist.best_params_ == seq.best_params_
    np.testing.assert_allclose(dist.cv_results_["mean_test_score"], seq.cv_results_["mean_test_score"])
    assert dist.best_score_ > 0.8
    workers = {t["worker"] for t in tasks.data}
    assert len(workers) == 2 and all(w.startswith("tcp://127.0.0.1:") for w in workers)
