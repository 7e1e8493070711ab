"""The estimator among scikit-learn's tools, on text (which the estimator checks never feed)."""

import pickle

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_rnn import RNNSentimentClassifier
from sklearn_rnn.datasets import load_seed_sentiment


@pytest.fixture(scope="module")
def data():
    X_train, X_test, y_train, y_test = load_seed_sentiment()
    return X_train, X_test, y_train, y_test


@pytest.fixture(scope="module")
def fitted(data):
    return RNNSentimentClassifier(random_state=1).fit(data[0], data[2])


def test_clone_is_unfitted_with_same_params(fitted):
    c = clone(fitted)
    assert c.get_params() == fitted.get_params()
    assert not hasattr(c, "weights_")


def test_pickle_round_trip(fitted, data):
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(data[1]), fitted.predict_proba(data[1]))


def test_joblib_mmap_round_trip(fitted, data, tmp_path):
    path = tmp_path / "model.joblib"
    joblib.dump(fitted, path)
    restored = joblib.load(path, mmap_mode="r")
    np.testing.assert_array_equal(restored.predict_proba(data[1]), fitted.predict_proba(data[1]))
    # read-only memory-mapped weights can still be trained further
    restored.set_params(warm_start=True, max_iter=2).fit(data[0], data[2])


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_partial_fit_goes_on_after_joblib_mmap_load(data, tmp_path, solver):
    # the optimizer's state and the weight average come back as read-only memory maps
    model = RNNSentimentClassifier(hidden_size=4, solver=solver, random_state=0)
    model.partial_fit(data[0], data[2])
    joblib.dump(model, tmp_path / "model.joblib")
    restored = joblib.load(tmp_path / "model.joblib", mmap_mode="r")
    model.partial_fit(data[0], data[2])
    restored.partial_fit(data[0], data[2])
    for name, value in model.weights_.items():
        np.testing.assert_array_equal(restored.weights_[name], value)


def test_cross_val_score(data):
    X = data[0] + data[1]
    y = np.concatenate([data[2], data[3]])
    scores = cross_val_score(RNNSentimentClassifier(random_state=0), X, y,
                             cv=StratifiedKFold(3, shuffle=True, random_state=0))
    assert scores.shape == (3,)
    assert scores.mean() > 0.7


def test_grid_search_in_parallel(data):
    grid = GridSearchCV(
        RNNSentimentClassifier(random_state=0, max_iter=60),
        {"hidden_size": [8, 32], "lowercase": [True, False]},
        cv=2,
        n_jobs=2,
    )
    grid.fit(data[0], data[2])
    assert len(grid.cv_results_["params"]) == 4
    assert grid.best_estimator_.hidden_size in (8, 32)
    assert grid.predict(data[1]).shape == (20,)


def test_pipeline_with_text_preprocessing(data):
    strip_exclamations = FunctionTransformer(lambda docs: [d.replace("!", " ") for d in docs])
    pipe = make_pipeline(strip_exclamations, RNNSentimentClassifier(random_state=1))
    pipe.fit(data[0], data[2])
    np.testing.assert_array_equal(pipe.predict(["i am happy!!"]), [True])
    assert pipe.score(data[1], data[3]) >= 0.9


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibrated_classifier(data, method):
    cal = CalibratedClassifierCV(RNNSentimentClassifier(random_state=0, max_iter=80),
                                 method=method, cv=2)
    cal.fit(data[0], data[2])
    proba = cal.predict_proba(data[1])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert cal.score(data[1], data[3]) > 0.6


def test_sample_weight_through_metadata_routing(data):
    X, y = data[0], data[2]
    w = np.where(y, 3.0, 1.0)
    with sklearn.config_context(enable_metadata_routing=True):
        clf = RNNSentimentClassifier(random_state=0, max_iter=40)
        clf.set_fit_request(sample_weight=True).set_score_request(sample_weight=True)
        pipe = make_pipeline(FunctionTransformer(), clf).fit(X, y, sample_weight=w)
        direct = RNNSentimentClassifier(random_state=0, max_iter=40).fit(X, y, sample_weight=w)
        unweighted = RNNSentimentClassifier(random_state=0, max_iter=40).fit(X, y)
        np.testing.assert_array_equal(pipe.predict_proba(X), direct.predict_proba(X))
        assert not np.array_equal(pipe.predict_proba(X), unweighted.predict_proba(X))
        scores = cross_val_score(clf, X, y, cv=2, params={"sample_weight": w})
        assert scores.shape == (2,)


def test_html_repr(fitted):
    assert "RNNSentimentClassifier" in fitted._repr_html_()
