"""Threads, read-only models, divergence and long documents."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info, threadpool_limits

from sklearn_rnn import RNNSentimentClassifier
from sklearn_rnn._threads import blas_limits as _blas_limits
from sklearn_rnn.datasets import load_seed_sentiment


@pytest.fixture(scope="module")
def seed_data():
    return load_seed_sentiment()


def blas_threads():
    return sorted(info["num_threads"] for info in threadpool_info()
                  if info["user_api"] == "blas")


def test_overlapping_limits_restore_the_setting_found_before_the_first():
    # A enters, B enters, A leaves, B leaves: with one threadpoolctl limit per call, A
    # restores 2 while B still runs, and B then restores the 1 it found: pinned for good
    with threadpool_limits(limits=2, user_api="blas"):
        first, second = _blas_limits(64), _blas_limits(64)
        first.__enter__()
        assert set(blas_threads()) == {1}
        second.__enter__()
        first.__exit__(None, None, None)
        second.__exit__(None, None, None)
        assert set(blas_threads()) == {2}
        with _blas_limits(64):  # and the next call still gets its one thread
            assert set(blas_threads()) == {1}
        assert set(blas_threads()) == {2}


def test_a_failing_call_restores_the_setting():
    with threadpool_limits(limits=2, user_api="blas"):
        with pytest.raises(ValueError, match="at least 2 classes"):
            RNNSentimentClassifier().fit(["a", "b"], [0, 0])
        assert set(blas_threads()) == {2}


def test_concurrent_predict_and_fit_match_sequential_and_leave_blas_as_found(seed_data):
    X_train, X_test, y_train, _ = seed_data
    clf = RNNSentimentClassifier(hidden_size=16, max_iter=5, random_state=0)
    clf.fit(X_train, y_train)
    expected = clf.predict_proba(X_test)

    def fit(seed):
        return RNNSentimentClassifier(hidden_size=8, max_iter=3, random_state=seed).fit(
            X_train, y_train).weights_

    sequential_fits = {seed: fit(seed) for seed in (0, 1)}
    start = threading.Barrier(8)

    def predict(_):
        start.wait()  # all threads call at once: their limits overlap
        return [clf.predict_proba(X_test) for _ in range(5)]

    # the session pins BLAS to one thread: a setting of 2 shows whether it is restored
    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        assert set(before) == {2}
        with ThreadPoolExecutor(8) as pool:
            probas = [p for ps in pool.map(predict, range(8)) for p in ps]
            fits = list(pool.map(fit, [0, 1] * 4))
        after = blas_threads()
    assert after == before
    for proba in probas:
        assert_array_equal(proba, expected)
    for seed, weights in zip([0, 1] * 4, fits):
        for name, value in sequential_fits[seed].items():
            assert_array_equal(weights[name], value)


def batches(kind):
    """Three batches of (X, y) of text or numeric input."""
    if kind == "text":
        X, _, y, _ = load_seed_sentiment()
        X, y = list(X), np.asarray(y)
    else:
        rng = np.random.default_rng(0)
        X = rng.normal(size=(60, 5, 3))
        y = np.where(X[:, :, 0].sum(axis=1) > 0, "up", "down")
    return [(X[i::3], y[i::3]) for i in range(3)]


def continuing(solver, **params):
    return RNNSentimentClassifier(solver=solver, hidden_size=8, momentum=0.9,
                                  random_state=0, **params)


def assert_same_weights(a, b):
    assert a.weights_.keys() == b.weights_.keys()
    for name in a.weights_:
        assert_array_equal(a.weights_[name], b.weights_[name], err_msg=name)


def freeze(clf):
    """Make every array of the fitted state read-only, as a read-only memory map is."""
    def walk(value):
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif hasattr(value, "__dict__") and not isinstance(value, type):
            for v in vars(value).values():
                walk(v)

    walk(vars(clf))
    return clf


@pytest.mark.parametrize("kind", ["text", "numeric"])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("load", ["pickle", "mmap", "read-only"])
def test_partial_fit_goes_on_from_a_loaded_model_as_if_never_saved(kind, solver, load,
                                                                   tmp_path):
    import pickle

    import joblib

    (X1, y1), (X2, y2), (X3, y3) = batches(kind)
    classes = np.unique(np.concatenate([y1, y2, y3]))
    straight = continuing(solver).partial_fit(X1, y1, classes=classes)
    straight.partial_fit(X2, y2).partial_fit(X3, y3)

    first = continuing(solver).partial_fit(X1, y1, classes=classes)
    path = tmp_path / "model.joblib"
    if load == "pickle":
        loaded = pickle.loads(pickle.dumps(first))
    elif load == "mmap":
        joblib.dump(first, path)
        saved = path.read_bytes()
        loaded = joblib.load(path, mmap_mode="r")
        assert not loaded.weights_["Whh"].flags.writeable  # really memory-mapped
    else:
        loaded = freeze(pickle.loads(pickle.dumps(first)))
    assert_array_equal(loaded.predict_proba(X3), first.predict_proba(X3))
    loaded.partial_fit(X2, y2).partial_fit(X3, y3)
    assert_same_weights(loaded, straight)
    assert_array_equal(loaded.predict_proba(X1), straight.predict_proba(X1))
    if load == "mmap":
        assert path.read_bytes() == saved  # the file was never written to


@pytest.mark.parametrize("kind", ["text", "numeric"])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_warm_start_fit_from_a_memory_mapped_model(kind, solver, tmp_path):
    import joblib

    (X1, y1), (X2, y2), _ = batches(kind)
    model = continuing(solver, max_iter=3, warm_start=True).fit(X1, y1)
    joblib.dump(model, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib", mmap_mode="r")
    loaded.fit(X2, y2)
    model.fit(X2, y2)
    assert_same_weights(loaded, model)


@pytest.mark.parametrize("params", [
    dict(solver="sgd", learning_rate_init=1e308, clip_value=None),  # float32
    dict(solver="sgd", learning_rate_init=1e308, clip_value=None, dtype="float64"),
    dict(solver="sgd", learning_rate_init=1e308, momentum=0.9, clip_value=None,
         dtype="float64", cell="tanh", bidirectional=False, pooling="last"),
    dict(solver="sgd", learning_rate_init=1e306, momentum=0.9, nesterovs_momentum=True,
         clip_value=None, dtype="float64", cell="lstm", batch_size=16),
    dict(solver="adam", learning_rate_init=1e38, clip_value=None, batch_size=8),
])
def test_divergence_leaves_the_weights_of_before_the_failing_batch(params, seed_data,
                                                                    monkeypatch):
    from sklearn_rnn import _rnn

    before = []  # the weights each batch started from
    loss_and_grads = _rnn.loss_and_grads

    def spy(weights, *args, **kwargs):
        before.append({k: v.copy() for k, v in weights.items()})
        return loss_and_grads(weights, *args, **kwargs)

    monkeypatch.setattr(_rnn, "loss_and_grads", spy)
    X_train, X_test, y_train, _ = seed_data
    clf = RNNSentimentClassifier(random_state=0, **params)
    with pytest.raises(ValueError, match="diverged.*lower learning_rate_init"):
        clf.fit(X_train, y_train)
    assert clf.weights_.keys() == before[-1].keys()
    for name, value in before[-1].items():
        assert_array_equal(clf.weights_[name], value, err_msg=name)
    # and prediction from those weights is finite, or refused in words
    try:
        proba = clf.predict_proba(X_test)
    except ValueError as exc:
        assert "not finite" in str(exc) and "learning_rate_init" in str(exc)
    else:
        assert np.isfinite(proba).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)


@pytest.fixture(scope="module")
def float64_model(seed_data):
    X_train, _, y_train, _ = seed_data
    return RNNSentimentClassifier(dtype="float64", max_iter=20, random_state=0).fit(
        X_train, y_train)


def test_logits_that_overflow_give_the_limit_of_the_probabilities(float64_model, seed_data):
    import copy

    X_test = seed_data[1]
    expected = float64_model.predict_proba(X_test)
    large = copy.deepcopy(float64_model)
    # exact powers of two: no overflow yet, the logits are scaled exactly (those of the
    # network's output layer and of the linear path)
    output = [name for name in ("Why", "by", "Wbag") if name in large.weights_]
    assert "Wbag" in output  # the default has a linear path
    for name in output:
        large.weights_[name] *= 2.0**3
    np.testing.assert_allclose(large.predict_proba(X_test), expected ** 8 / (
        expected ** 8).sum(axis=1, keepdims=True), rtol=1e-10)
    # scaled up to the largest exponent the logits overflow: the softmax tends to the
    # arg max
    huge = copy.deepcopy(float64_model)
    largest = max(np.abs(huge.weights_[name]).max() for name in output)
    exponent = 1024 - np.frexp(largest)[1]  # the largest weight becomes >= 2**1023
    for name in output:
        huge.weights_[name] = np.ldexp(huge.weights_[name], exponent)
    assert all(np.isfinite(v).all() for v in huge.weights_.values())
    proba = huge.predict_proba(X_test)
    assert_array_equal(proba, np.eye(2)[expected.argmax(axis=1)])
    assert_array_equal(huge.predict(X_test), float64_model.predict(X_test))


def test_states_that_overflow_are_refused_in_words():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 4, 3)), np.arange(20) % 2
    clf = RNNSentimentClassifier(dtype="float64", cell="tanh", bidirectional=False,
                                 pooling="last", max_iter=3, random_state=0).fit(X, y)
    clf.weights_["Wxh"][:] = 1.0  # finite weights, finite input: x Wxh = inf at step 1,
    clf.weights_["Whh"][:] = -1e308  # Whh h = -inf at step 2, and inf - inf = nan
    with pytest.raises(ValueError, match="states are not finite.*learning_rate_init"):
        clf.predict_proba(np.full((2, 4, 3), 1e308))


def test_a_document_too_long_to_train_on_is_refused_before_allocating():
    import tracemalloc

    docs = ["good film", "bad film"] * 5 + [" ".join(["good"] * 2_000_000)]
    labels = [1, 0] * 5 + [1]
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"X\[10\] has 2,000,000 tokens.*"
                                             r"max_len=[\d,]+ tokens"):
            RNNSentimentClassifier(random_state=0, train_window=None).fit(docs, labels)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the token strings and ids, not the network's activations (about 35 GB)
    assert peak < 600 * 2**20, peak


def test_the_default_window_trains_on_a_document_too_long_to_train_on_whole(monkeypatch):
    from sklearn_rnn import _rnn, _training

    monkeypatch.setattr(_training, "MEMORY_LIMIT", 8 * 2**20)
    docs = ["good film", "bad film"] * 5 + [" ".join(["good", "fine"] * 10_000)]
    labels = [1, 0] * 5 + [1]
    with pytest.raises(ValueError, match=r"X\[10\] has 20,000 tokens: .*Set train_window="):
        RNNSentimentClassifier(random_state=0, train_window=None).fit(docs, labels)
    steps = []
    loss_and_grads = _rnn.loss_and_grads
    monkeypatch.setattr(_rnn, "loss_and_grads", lambda params, batch, *a, **k: (
        steps.append(max(batch.lengths)), loss_and_grads(params, batch, *a, **k))[1])
    with pytest.warns(ConvergenceWarning):
        clf = RNNSentimentClassifier(random_state=0, max_iter=3).fit(docs, labels)
    assert steps == [128] * 3  # one full batch an epoch, the long document's window
    assert clf.n_iter_ == 3


@pytest.mark.parametrize("params", [
    dict(),
    dict(cell="tanh", bidirectional=False, pooling="last", embedding_size=None,
         dtype="float64"),
    dict(cell="lstm", hidden_size=16, pooling="max"),
])
def test_the_memory_limit_is_an_upper_bound_and_max_len_meets_it(params, monkeypatch):
    import tracemalloc

    from sklearn_rnn import _training

    rng = np.random.default_rng(0)
    words = [f"word{i}" for i in range(300)]
    short = [" ".join(rng.choice(words, 8)) for _ in range(10)]

    def peak_of_fit(n_tokens):
        docs = short + [" ".join(rng.choice(words, n_tokens))]
        tracemalloc.start()
        try:
            # no subwords nor linear path: their 65,536 rows and 2**20 columns would
            # dominate the peak of short documents
            RNNSentimentClassifier(max_iter=1, random_state=0, subword_ngrams=None,
                                   word_ngrams=None, train_window=None,
                                   **params).fit(docs, np.arange(len(docs)) % 2)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    with pytest.warns(ConvergenceWarning):
        measured = (peak_of_fit(16_000) - peak_of_fit(8000)) / 8000  # bytes per token
    clf = RNNSentimentClassifier(subword_ngrams=None, word_ngrams=None, train_window=None,
                                 **params)
    monkeypatch.setattr(_training, "MEMORY_LIMIT", 8 * 2**20)
    docs = short + [" ".join(rng.choice(words, 10_000))]
    with pytest.raises(ValueError, match=r"X\[10\] has 10,000 tokens") as refused:
        clf.fit(docs, np.arange(len(docs)) % 2)
    estimate = int(re.search(r"about ([\d,]+) bytes each", str(refused.value))[1]
                   .replace(",", ""))
    # an upper bound, and not a wild one
    assert measured <= estimate < 2.5 * measured, (measured, estimate)
    max_len = int(re.search(r"max_len=([\d,]+)", str(refused.value))[1].replace(",", ""))
    with pytest.warns(ConvergenceWarning):
        clf.set_params(max_len=max_len, max_iter=1).fit(docs, np.arange(len(docs)) % 2)


def test_numeric_input_beyond_the_dtype_is_refused_in_words():
    X = np.random.default_rng(0).normal(size=(10, 3, 2))
    X[4, 1, 0] = 1e300  # finite in float64, inf in float32
    y = np.arange(10) % 2
    with pytest.raises(ValueError, match="beyond the range of float32.*dtype='float64'"):
        RNNSentimentClassifier(max_iter=2).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        clf = RNNSentimentClassifier(dtype="float64", max_iter=2, random_state=0).fit(X, y)
    assert np.isfinite(clf.predict_proba(X)).all()
