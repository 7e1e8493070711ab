"""A grid search on a Dask cluster, through joblib's Dask backend: the fits run on the
workers (separate processes) and give exactly what the same search gives in this process."""

import logging
import os

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

import sklearn_rnn
from sklearn_rnn import RNNSentimentClassifier
from sklearn_rnn.datasets import load_seed_sentiment

distributed = pytest.importorskip("distributed")

PARAM_GRID = {"hidden_size": [4, 8], "cell": ["tanh", "gru"]}
METRICS = ["accuracy", "neg_log_loss"]


@pytest.fixture(scope="module")
def client(request):
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR)
    request.addfinalizer(cluster.close)
    client = distributed.Client(cluster)
    request.addfinalizer(client.close)
    client.wait_for_workers(2)
    return client


@pytest.fixture(scope="module")
def data():
    X_train, _, y_train, _ = load_seed_sentiment()
    return X_train, y_train


def _estimator():
    # subword n-grams on: their hashing must not depend on the process (Dask starts its
    # workers with PYTHONHASHSEED=6640, whatever this process's is)
    return RNNSentimentClassifier(embedding_size=8, max_iter=3, random_state=0)


def _grid():
    def fitted_in(estimator, X, y):
        # the id of the process that fitted and scored this split
        return os.getpid()

    # a function defined inside another one travels by value (cloudpickle), so the
    # workers need not import this test module
    scoring = {metric: metric for metric in METRICS} | {"pid": fitted_in}
    return GridSearchCV(_estimator(), PARAM_GRID, scoring=scoring, refit="accuracy", cv=3)


def _split_scores(cv_results, metric):
    return np.array([cv_results[key] for key in sorted(cv_results)
                     if key.startswith("split") and key.endswith(f"_test_{metric}")])


def test_workers_import_this_sklearn_rnn(client):
    def where():
        import sklearn_rnn

        return sklearn_rnn.__file__

    assert set(client.run(where).values()) == {sklearn_rnn.__file__}


def test_grid_search_on_cluster_equals_local(client, data):
    X, y = data
    local = _grid().set_params(n_jobs=1).fit(X, y)
    with joblib.parallel_backend("dask"):
        remote = _grid().set_params(n_jobs=-1).fit(X, y)

    n_fits = 3 * len(remote.cv_results_["params"])
    local_pids = _split_scores(local.cv_results_, "pid").ravel()
    remote_pids = _split_scores(remote.cv_results_, "pid").ravel()
    assert local_pids.tolist() == [os.getpid()] * n_fits
    assert set(remote_pids) <= set(client.run(os.getpid).values())

    assert remote.best_params_ == local.best_params_
    assert remote.cv_results_["params"] == local.cv_results_["params"]
    for metric in METRICS:
        assert_array_equal(_split_scores(remote.cv_results_, metric),
                           _split_scores(local.cv_results_, metric))
        assert_array_equal(remote.cv_results_[f"mean_test_{metric}"],
                           local.cv_results_[f"mean_test_{metric}"])
    assert remote.best_estimator_.weights_.keys() == local.best_estimator_.weights_.keys()
    for name, weight in local.best_estimator_.weights_.items():
        assert_array_equal(remote.best_estimator_.weights_[name], weight)


def test_fit_on_a_worker_is_bit_identical(client, data):
    X, y = data
    estimator = _estimator()
    remote = client.submit(clone(estimator).fit, X, y, pure=False).result()
    local = clone(estimator).fit(X, y)
    for name, weight in local.weights_.items():
        assert_array_equal(remote.weights_[name], weight)
    X_new = ["i am very happy", "this is not good"]
    assert_array_equal(remote.predict_proba(X_new), local.predict_proba(X_new))
