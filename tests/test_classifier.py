"""RNNSentimentClassifier: fitted state, labels, reproducibility, the training step."""

import re
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from models import TUTORIAL_MODEL
from sklearn_rnn import RNNSentimentClassifier
from sklearn_rnn.datasets import load_seed_sentiment


def Tutorial(**params):
    """The tutorial's model in float64, the other parameters at their defaults or as
    given."""
    return RNNSentimentClassifier(**{**TUTORIAL_MODEL, "dtype": "float64", **params})


DOCS = ["good movie", "bad movie", "very good", "very bad", "not bad", "not good",
        "good good", "bad bad", "", "i liked it a lot"]
LABELS = ["pos", "neg", "pos", "neg", "pos", "neg", "pos", "neg", "neg", "pos"]


@pytest.fixture(scope="module")
def seed_data():
    return load_seed_sentiment()


@pytest.fixture(scope="module")
def fitted(seed_data):
    X_train, _, y_train, _ = seed_data
    return Tutorial(random_state=1).fit(X_train, y_train)


@pytest.fixture(scope="module", params=["tutorial", "defaults"])
def either(request, fitted, seed_data):
    """The tutorial's model and the default one, fitted on the tutorial's data."""
    if request.param == "tutorial":
        return fitted
    X_train, _, y_train, _ = seed_data
    return RNNSentimentClassifier(random_state=1).fit(X_train, y_train)


def test_fitted_attributes(fitted):
    H, V = 64, len(fitted.vocabulary_) + 1
    shapes = {k: v.shape for k, v in fitted.weights_.items()}
    assert shapes == {"Wxh": (H, V), "Whh": (H, H), "Why": (2, H), "bh": (H,), "by": (2,)}
    assert sorted(fitted.vocabulary_.values()) == list(range(V - 1))
    assert list(fitted.vocabulary_) == sorted(fitted.vocabulary_)
    assert len(fitted.vocabulary_) == 18  # the tutorial's 18 words
    assert fitted.n_iter_ == len(fitted.loss_curve_)
    assert fitted.loss_ == fitted.loss_curve_[-1]
    np.testing.assert_array_equal(fitted.classes_, [False, True])
    assert not hasattr(fitted, "n_features_in_")
    # every word of the training set is in the vocabulary: the unknown column is unused
    np.testing.assert_array_equal(fitted.weights_["Wxh"][:, -1], 0.0)


def test_weights_reproduce_predict_proba_with_the_tutorials_formula(fitted, tutorial_proba):
    docs = ["i am not at all happy", "this is good", "", "i am xyzzy good"]
    proba = fitted.predict_proba(docs)
    unknown = len(fitted.vocabulary_)
    for doc, p in zip(docs, proba):
        ids = [fitted.vocabulary_.get(w, unknown) for w in doc.split()]
        np.testing.assert_allclose(p, tutorial_proba(fitted.weights_, ids), rtol=1e-10)


def test_probability_invariants(either, seed_data):
    X = seed_data[1] + ["", "totally unseen words here"]
    proba = either.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(either.predict(X), either.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(either.predict_log_proba(X), np.log(proba))


@pytest.mark.parametrize(
    "labels",
    [
        np.array(LABELS),
        np.array([s == "pos" for s in LABELS]),
        np.array([7 if s == "pos" else -3 for s in LABELS]),
        np.array([["a", "b", "c"][i % 3] for i in range(len(LABELS))], dtype=object),
    ],
)
def test_labels_come_back_as_given(labels):
    clf = Tutorial(random_state=0, max_iter=30).fit(DOCS, labels)
    np.testing.assert_array_equal(clf.classes_, np.unique(labels))
    pred = clf.predict(DOCS)
    assert pred.dtype == clf.classes_.dtype
    assert set(pred) <= set(labels)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("batch_size", ["auto", 3])
def test_random_state_makes_fits_bit_identical(batch_size, dtype):
    # with batch_size=3 the text batches are bucketed by length and packed together
    params = dict(random_state=3, batch_size=batch_size, max_iter=15, dtype=dtype)
    a = Tutorial(**params).fit(DOCS, LABELS)
    b = Tutorial(**params).fit(DOCS, LABELS)
    for k in a.weights_:
        np.testing.assert_array_equal(a.weights_[k], b.weights_[k])
    assert a.loss_curve_ == b.loss_curve_
    c = Tutorial(**{**params, "random_state": 4}).fit(DOCS, LABELS)
    assert not np.array_equal(a.weights_["Whh"], c.weights_["Whh"])


def test_sample_order_does_not_matter():
    order = np.random.default_rng(0).permutation(len(DOCS))
    a = Tutorial(random_state=0, max_iter=20).fit(DOCS, LABELS)
    b = Tutorial(random_state=0, max_iter=20).fit(
        [DOCS[i] for i in order], np.array(LABELS)[order]
    )
    np.testing.assert_array_equal(a.predict_proba(DOCS), b.predict_proba(DOCS))


def test_integer_weights_equal_repeated_documents():
    w = np.array([0, 1, 2, 3, 1, 2, 0, 4, 1, 1])
    a = Tutorial(random_state=0, max_iter=20).fit(DOCS, LABELS, sample_weight=w)
    b = Tutorial(random_state=0, max_iter=20).fit(
        np.repeat(DOCS, w), np.repeat(LABELS, w)
    )
    np.testing.assert_allclose(a.predict_proba(DOCS), b.predict_proba(DOCS), rtol=1e-12)


def _zero_weight_corpus(seed_data, tokenised):
    """The tutorial's training documents, a fifth of them weighing zero, and five more
    of weight zero whose words would pass ``min_df`` (and ``max_features``: "zebra"
    would be the most frequent word); with ``tokenised``, as token lists."""
    X_train, _, y_train, _ = seed_data
    X = list(X_train) + ["zebra quokka", "zebra quokka ran", "quokka zebra",
                         " ".join(["zebra"] * 30), "a quokka"]
    y = np.append(y_train, [True, False, True, False, True])
    w = np.where(np.arange(len(X)) % 5 == 0, 0.0, 1.0)
    w[len(X_train):] = 0.0
    if tokenised:
        X = [doc.split() for doc in X]
    return X, y, w


def _assert_same_fit(a, b, X):
    assert getattr(a, "vocabulary_", None) == getattr(b, "vocabulary_", None)
    assert a.weights_.keys() == b.weights_.keys()
    for name in a.weights_:
        np.testing.assert_array_equal(a.weights_[name], b.weights_[name], err_msg=name)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


@pytest.mark.parametrize("tokenised", [False, True])
@pytest.mark.parametrize("params", [dict(min_df=2), dict(min_df=0.05),
                                    dict(min_df=2, subword_ngrams=None, max_features=12),
                                    dict(hash_buckets=64, class_weight="balanced")])
def test_a_zero_weight_document_is_a_dropped_document(seed_data, tokenised, params):
    X, y, w = _zero_weight_corpus(seed_data, tokenised)
    kept = w > 0
    clf = RNNSentimentClassifier(hidden_size=8, max_iter=10, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = clone(clf).fit(X, y, sample_weight=w)
        dropped = clone(clf).fit([x for x, k in zip(X, kept) if k], y[kept])
    _assert_same_fit(weighted, dropped, X)


def test_a_zero_weight_document_is_not_refused_for_its_length(monkeypatch):
    from sklearn_rnn import _training

    monkeypatch.setattr(_training, "MEMORY_LIMIT", 8 * 2**20)
    long = " ".join(["good"] * 20_000)
    clf = Tutorial(random_state=0, max_iter=5, train_window=None)  # whole documents
    with pytest.raises(ValueError, match=r"X\[3\] has 20,000 tokens"):
        clone(clf).fit(DOCS[:3] + [long] + DOCS[3:], LABELS[:3] + ["pos"] + LABELS[3:])
    w = np.ones(len(DOCS) + 1)
    w[3] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = clone(clf).fit(DOCS[:3] + [long] + DOCS[3:],
                                  LABELS[:3] + ["pos"] + LABELS[3:], sample_weight=w)
        dropped = clone(clf).fit(DOCS, LABELS)
    _assert_same_fit(weighted, dropped, DOCS)


def _mean_loss(clf, X, y_index, w):
    proba = clf.predict_proba(X)
    return -np.sum(w * np.log(proba[np.arange(len(X)), y_index])) / w.sum()


@pytest.mark.parametrize("weighted", [False, True])
def test_one_full_batch_sgd_epoch_steps_by_minus_lr_times_the_gradient(weighted):
    # the gradient is taken by central finite differences of the mean loss computed
    # through predict_proba, independently of the engine's backward pass
    X = ["good movie", "bad movie", "not good", "a very good movie", "bad"]
    y = np.array([1, 0, 0, 1, 0])
    w = np.array([1.0, 2.0, 0.5, 1.0, 3.0]) if weighted else np.ones(5)
    lr = 0.1
    clf = Tutorial(hidden_size=4, solver="sgd", momentum=0.0, alpha=0.0,
                                 clip_value=None, learning_rate_init=lr, max_iter=1,
                                 random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y, sample_weight=w)
        before = {k: v.copy() for k, v in clf.weights_.items()}
        grads = {}
        for name, value in clf.weights_.items():
            grads[name] = np.zeros_like(value)
            for i in np.ndindex(value.shape):
                old = value[i]
                value[i] = old + 1e-6
                plus = _mean_loss(clf, X, y, w)
                value[i] = old - 1e-6
                minus = _mean_loss(clf, X, y, w)
                value[i] = old
                grads[name][i] = (plus - minus) / 2e-6
        clf.set_params(warm_start=True).fit(X, y, sample_weight=w)
    for name in before:
        np.testing.assert_allclose(clf.weights_[name] - before[name], -lr * grads[name],
                                   rtol=1e-5, atol=1e-10, err_msg=name)


def test_unknown_column_learns_from_words_left_out():
    docs = ["good rare1", "bad rare2", "good", "bad", "good rare3", "bad"]
    y = [1, 0, 1, 0, 1, 0]
    clf = Tutorial(min_df=2, random_state=0, max_iter=20).fit(docs, y)
    assert clf.vocabulary_ == {"bad": 0, "good": 1}
    assert np.any(clf.weights_["Wxh"][:, 2] != 0)
    clf = Tutorial(max_features=1, random_state=0, max_iter=20).fit(docs, y)
    assert len(clf.vocabulary_) == 1


def test_unseen_words_and_empty_documents_predict(fitted):
    proba = fitted.predict_proba(["", "zebra quantum", "i am zebra happy"])
    assert proba.shape == (3, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    w = fitted.weights_
    empty = np.exp(w["by"]) / np.exp(w["by"]).sum()
    np.testing.assert_allclose(proba[0], empty)
    # an unseen word keeps its time step: it is not the same as dropping it
    assert not np.allclose(proba[2], fitted.predict_proba(["i am happy"])[0])


def test_max_len_keeps_the_last_tokens():
    clf = Tutorial(max_len=2, random_state=0, max_iter=20).fit(DOCS, LABELS)
    np.testing.assert_allclose(clf.predict_proba(["it was a very good movie"]),
                               clf.predict_proba(["good movie"]), rtol=1e-12)


def test_enormous_document_predicts_in_bounded_memory(either):
    import tracemalloc

    doc = " ".join(["not good"] * 25_000 + ["happy"])  # 50,001 tokens
    tracemalloc.start()
    proba = either.predict_proba([doc, "happy"])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # the tokens themselves take about 15 MB; every step's hidden state would add
    # 50,001 x 64 float64 = 26 MB
    assert peak < 25e6, peak


def test_batch_composition_does_not_change_predictions(either, seed_data):
    X = seed_data[0] + seed_data[1]
    together = either.predict_proba(X)
    alone = np.vstack([either.predict_proba([doc]) for doc in X])
    # float32 products may round differently with the number of rows BLAS is given
    atol = 1e-12 if either.dtype == "float64" else 1e-6
    np.testing.assert_allclose(together, alone, rtol=0, atol=atol)


def test_predict_is_thread_safe(either, seed_data):
    from concurrent.futures import ThreadPoolExecutor

    X = seed_data[0] * 5
    expected = either.predict_proba(X)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(either.predict_proba, [X] * 8))
    for r in results:
        np.testing.assert_array_equal(r, expected)


def test_numeric_sequences_2d_and_3d():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6, 2))
    y = (X[:, :, 0].sum(axis=1) > X[:, :, 1].sum(axis=1)).astype(int)
    clf = Tutorial(random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.9
    assert clf.n_features_in_ == 6
    assert clf.weights_["Wxh"].shape == (64, 2)
    X2 = rng.normal(size=(100, 5))
    y2 = (X2[:, -1] > 0).astype(int)
    clf2 = Tutorial(random_state=0).fit(X2, y2)
    assert clf2.score(X2, y2) > 0.9
    assert clf2.weights_["Wxh"].shape == (64, 1)


def test_refitting_switches_input_kind_cleanly():
    rng = np.random.default_rng(0)
    clf = Tutorial(random_state=0, max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(rng.normal(size=(10, 3)), [0, 1] * 5)
        assert clf.n_features_in_ == 3 and not hasattr(clf, "vocabulary_")
        clf.fit(DOCS, LABELS)
        assert hasattr(clf, "vocabulary_") and not hasattr(clf, "n_features_in_")
        clf.fit(rng.normal(size=(10, 4)), [0, 1] * 5)
        assert clf.n_features_in_ == 4 and not hasattr(clf, "vocabulary_")


def test_text_containers_agree(either, seed_data):
    pd = pytest.importorskip("pandas")
    X = seed_data[1]
    expected = either.predict_proba(X)
    for container in (tuple(X), np.array(X), np.array(X, dtype=object), pd.Series(X),
                      pd.DataFrame({"text": X}), np.array(X, dtype=object)[:, None]):
        np.testing.assert_array_equal(either.predict_proba(container), expected)


def test_pre_tokenised_rows(either):
    rows = np.array([["i", "am", "happy"], ["this", "is", None], ["not", "good", np.nan]],
                    dtype=object)
    np.testing.assert_allclose(
        either.predict_proba(rows),
        either.predict_proba(["i am happy", "this is", "not good"]),
        rtol=1e-12,
    )


def test_warm_start_continues_and_guards():
    clf = Tutorial(random_state=0, max_iter=5, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(DOCS, LABELS)
        vocab, loss = dict(clf.vocabulary_), clf.loss_
        clf.fit(DOCS + ["brand new words"], LABELS + ["pos"])
        assert clf.vocabulary_ == vocab
        # continued (not restarted near ln 2), and the history goes on
        assert len(clf.loss_curve_) == clf.n_iter_ == 10
        assert clf.loss_curve_[5] < loss + 0.05
        with pytest.raises(ValueError, match="hidden_size"):
            clf.set_params(hidden_size=8).fit(DOCS, LABELS)
        clf.set_params(hidden_size=64)
        with pytest.raises(ValueError, match="numeric"):
            clf.fit(np.ones((4, 3)), [0, 1, 0, 1])
        with pytest.raises(ValueError, match="not in classes_"):
            clf.fit(DOCS, ["other"] + LABELS[1:])


def test_convergence_warning_and_verbose(capsys):
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        Tutorial(max_iter=2, random_state=0, verbose=1).fit(DOCS, LABELS)
    out = capsys.readouterr().out
    assert re.findall(r"^Epoch (\d+): loss \d\.\d+, \d+\.\d+ s, [\d,]+ tokens/s$", out,
                      re.M) == ["1", "2"]
    with pytest.warns(ConvergenceWarning):
        Tutorial(max_iter=2, random_state=0).fit(DOCS, LABELS)
    assert capsys.readouterr().out == ""


def test_divergence_raises_and_leaves_finite_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5)) * 1e3
    y = np.arange(40) % 2
    clf = Tutorial(solver="sgd", learning_rate_init=1e307, momentum=0.0,
                                 clip_value=None, random_state=0, max_iter=50)
    with pytest.raises(ValueError, match="learning_rate_init"):
        clf.fit(X, y)
    assert all(np.all(np.isfinite(v)) for v in clf.weights_.values())


def test_float32():
    clf = Tutorial(dtype="float32", random_state=1).fit(*load_seed_sentiment()[::2])
    assert all(v.dtype == np.float32 for v in clf.weights_.values())
    X_train, X_test, y_train, y_test = load_seed_sentiment()
    assert clf.score(X_test, y_test) >= 0.9
    assert clf.predict_proba(X_test).dtype == np.float64


def test_prediction_memory_does_not_grow_with_the_number_of_documents(either):
    import tracemalloc

    def peak_beyond_output(docs):
        tracemalloc.start()
        proba = either.predict_proba(docs)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak - proba.nbytes

    docs = ["i am not at all happy right now", "this is good", "very bad"] * 6000
    small, large = peak_beyond_output(docs), peak_beyond_output(docs * 4)
    assert large < 1.25 * small, (small, large)


def test_small_networks_run_blas_on_one_thread():
    from threadpoolctl import threadpool_info, threadpool_limits

    from sklearn_rnn._threads import blas_limits as _blas_limits

    def blas_threads():
        return {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}

    with threadpool_limits(limits=2, user_api="blas"):
        assert blas_threads() == {2}
        with _blas_limits(64):
            assert blas_threads() == {1}
        with _blas_limits(4096):
            assert blas_threads() == {2}
        assert blas_threads() == {2}


# --------------------------------------------------------------- prediction in threads
class _CountingPool:
    """``ThreadPoolExecutor`` that records how many threads each call asked for."""

    sizes = []

    def __init__(self, threads):
        from concurrent.futures import ThreadPoolExecutor

        self.sizes.append(threads)
        self.pool = ThreadPoolExecutor(threads)

    def __enter__(self):
        return self.pool.__enter__()

    def __exit__(self, *exc):
        return self.pool.__exit__(*exc)


@pytest.fixture
def small_chunks(monkeypatch):
    """Prediction chunks of 3 documents, so that the test corpora make several, and the
    thread counts prediction asked for."""
    from sklearn_rnn import _data, _training

    monkeypatch.setattr(_data, "PREDICT_ROWS", 3)
    monkeypatch.setattr(_CountingPool, "sizes", [])
    monkeypatch.setattr(_training, "ThreadPoolExecutor", _CountingPool)
    return _CountingPool.sizes


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_threads_predict_the_same_probabilities_bit_for_bit(seed_data, small_chunks, dtype):
    from joblib import parallel_backend

    X_train, X_test, y_train, y_test = seed_data
    clf = RNNSentimentClassifier(random_state=0, max_iter=5, dtype=dtype).fit(X_train, y_train)
    alone = clf.predict_proba(X_test)
    assert small_chunks == []  # n_jobs=None: no thread pool
    for n_jobs, threads in [(2, 2), (-1, 2), (5, 5), (1, None)]:
        clf.set_params(n_jobs=n_jobs)
        np.testing.assert_array_equal(clf.predict_proba(X_test), alone, err_msg=str(n_jobs))
        assert clf.score(X_test, y_test) == float(np.mean(
            clf.classes_[alone.argmax(axis=1)] == y_test))
        # -1: every processor (this machine's count; at least 2 assumed by the test)
        expected = [] if threads is None else [threads if n_jobs != -1 else
                                               min(_cpus(), -(-len(X_test) // 3))] * 2
        assert small_chunks == expected, n_jobs
        small_chunks.clear()
    # None follows an enclosing joblib context, as scikit-learn's n_jobs do; 1 does not
    with parallel_backend("threading", n_jobs=3):
        np.testing.assert_array_equal(clf.set_params(n_jobs=None).predict_proba(X_test), alone)
        assert small_chunks == [3]
        np.testing.assert_array_equal(clf.set_params(n_jobs=1).predict_proba(X_test), alone)
        assert small_chunks == [3]


def _cpus():
    from joblib import cpu_count

    return cpu_count()


def test_threads_never_outnumber_the_chunks(seed_data, small_chunks):
    X_train, X_test, y_train, _ = seed_data
    clf = RNNSentimentClassifier(random_state=0, max_iter=2, n_jobs=8).fit(X_train, y_train)
    expected = clf.set_params(n_jobs=None).predict_proba(X_test[:7])
    np.testing.assert_array_equal(clf.set_params(n_jobs=8).predict_proba(X_test[:7]), expected)
    assert small_chunks == [3]  # 7 documents, 3 to a chunk
    clf.predict_proba(X_test[:2])  # one chunk: no pool
    assert small_chunks == [3]


def test_threads_keep_overflow_quiet_and_errors_loud(seed_data, small_chunks):
    import copy

    X_train, X_test, y_train, _ = seed_data
    clf = RNNSentimentClassifier(dtype="float64", random_state=0, max_iter=5).fit(
        X_train, y_train)
    expected = clf.predict_proba(X_test)
    huge = copy.deepcopy(clf).set_params(n_jobs=2)
    output = ("Why", "by", "Wbag")  # finite weights whose logits overflow, in the workers
    largest = max(np.abs(huge.weights_[name]).max() for name in output)
    for name in output:
        huge.weights_[name] = np.ldexp(huge.weights_[name], 1024 - np.frexp(largest)[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the workers' NumPy error state is set too
        proba = huge.predict_proba(X_test)
    np.testing.assert_array_equal(proba, np.eye(2)[expected.argmax(axis=1)])
    assert small_chunks == [2]
    broken = copy.deepcopy(clf).set_params(n_jobs=2)
    broken.weights_["Whh"][:] = np.nan  # the states of every chunk are not finite
    with pytest.raises(ValueError, match="states are not finite"):
        broken.predict_proba(X_test)


# ------------------------------------------------------------------ train_window
LONG_DOCS = DOCS + ["it was good " * 4 + "and then it was good", "it was bad " * 5 + "bad",
                    "so very very very bad movie that was bad and not good at all"]
LONG_LABELS = LABELS + ["pos", "neg", "neg"]


class _Seen(list):
    ids = None


def _record_batches(monkeypatch):
    """Record every training batch's packed lengths (and ids, in ``seen.ids``)."""
    from sklearn_rnn import _rnn

    seen = _Seen()
    seen.ids = []
    loss_and_grads = _rnn.loss_and_grads

    def recording(params, batch, *args, **kwargs):
        seen.append(tuple(batch.lengths.tolist()))
        seen.ids.append(tuple(batch.ids.tolist()))
        return loss_and_grads(params, batch, *args, **kwargs)

    monkeypatch.setattr(_rnn, "loss_and_grads", recording)
    return seen


@pytest.mark.parametrize("batch_size", ["auto", 4])
def test_train_window_trains_on_a_new_random_window_of_each_long_document_every_epoch(
        monkeypatch, batch_size):
    clf = Tutorial(random_state=0, max_iter=6, batch_size=batch_size, train_window=5)
    seen = _record_batches(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        windowed = clone(clf).fit(LONG_DOCS, LONG_LABELS)
        assert seen and max(max(lengths) for lengths in seen) == 5
        if batch_size == "auto":  # one full batch, packed anew: other windows each epoch
            assert len(seen) == 6 and len(set(seen.ids)) > 1
        again = clone(clf).fit(LONG_DOCS, LONG_LABELS)
        whole = clone(clf).set_params(train_window=None).fit(LONG_DOCS, LONG_LABELS)
    _assert_same_fit(windowed, again, LONG_DOCS)  # the windows come from random_state
    assert not np.array_equal(windowed.weights_["Whh"], whole.weights_["Whh"])
    assert max(max(lengths) for lengths in seen[-4:]) == 17  # the longest, read whole
    # prediction reads every token: the windowed model's probabilities depend on the
    # first words of a long document, which the last 5 do not hold
    proba = windowed.predict_proba(["good good good good " + LONG_DOCS[-2],
                                    "bad bad bad bad " + LONG_DOCS[-2]])
    assert not np.array_equal(proba[0], proba[1])


def test_a_window_no_document_exceeds_changes_nothing(monkeypatch):
    clf = Tutorial(random_state=0, max_iter=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        whole = clone(clf).set_params(train_window=None).fit(LONG_DOCS, LONG_LABELS)
        # nothing drawn for windows: the same random stream, the same fit bit for bit
        _assert_same_fit(whole, clone(clf).set_params(train_window=17).fit(
            LONG_DOCS, LONG_LABELS), LONG_DOCS)
        X = np.random.default_rng(0).normal(size=(12, 9, 2))
        y = np.arange(12) % 2
        # numeric sequences are read whole
        _assert_same_fit(clone(clf).set_params(train_window=None).fit(X, y),
                         clone(clf).set_params(train_window=2).fit(X, y), X)


def test_partial_fit_reads_windows_too(monkeypatch):
    seen = _record_batches(monkeypatch)
    clf = Tutorial(random_state=0, train_window=3)
    for _ in range(3):
        clf.partial_fit(LONG_DOCS, LONG_LABELS, classes=["neg", "pos"])
    assert len(seen) == 3 and all(max(lengths) == 3 for lengths in seen)
