"""The estimator's architectures and regularizers: cells, directions, poolings, the
embedding, dropout, the weight average, subword n-grams and the 'auto' patience.

Parameter defaults are about to change: every test sets the parameters it relies on.
"""

import pickle
import re
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import murmurhash3_32

from sklearn_rnn import RNNSentimentClassifier
from sklearn_rnn.datasets import load_seed_sentiment

GATES = {"tanh": 1, "gru": 3, "lstm": 4}
N_BUCKETS = 65536
CELLS = ["tanh", "gru", "lstm"]
POOLINGS = ["last", "mean", "max", "max+mean", "last+max", "last+mean", "last+max+mean"]
TUTORIAL_WORDS = 18


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(scope="module")
def seed_data():
    return load_seed_sentiment()


def _params(**overrides):
    """Every parameter these tests rely on, set explicitly, then ``overrides``."""
    params = dict(
        cell="tanh", bidirectional=False, pooling="last", embedding_size=None, dropout=0.0,
        label_smoothing=0.0, ema_decay=None, subword_ngrams=None,
        word_ngrams=None, hidden_size=8,
        solver="adam", learning_rate_init=0.01, learning_rate="constant", beta_1=0.9,
        beta_2=0.999, epsilon=1e-8, momentum=0.9, nesterovs_momentum=True, batch_size=16,
        max_iter=3, tol=1e-4, n_iter_no_change=50, early_stopping=False,
        validation_fraction=0.1, alpha=0.0, clip_value=1.0, class_weight=None,
        shuffle=True, random_state=0, verbose=0, warm_start=False, vocabulary=None,
        lowercase=True, token_pattern=r"(?u)\b\w+\b", tokenizer=None, max_features=None,
        min_df=1, max_len=None, dtype="float64",
    )
    params.update(overrides)
    return params


def _clf(**overrides):
    return RNNSentimentClassifier(**_params(**overrides))


def _numeric(ndim, n=36, n_steps=5, n_features=2, seed=0):
    """Numeric sequences with three classes (by the sum of the first feature)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_steps, n_features))
    y = np.digitize(X[:, :, 0].sum(axis=1), [-1.0, 1.0])
    assert set(y) == {0, 1, 2}
    return (X[:, :, 0] if ndim == 2 else X), y


def _data(inputs, seed_data):
    """(X, y, n_inputs, n_classes, extra parameters) of one kind of input."""
    if inputs in ("text", "embedded"):
        X_train, _, y_train, _ = seed_data
        extra = {"embedding_size": 5} if inputs == "embedded" else {}
        return X_train, y_train, TUTORIAL_WORDS + 1, 2, extra
    X, y = _numeric(2 if inputs == "numeric2d" else 3)
    return X, y, 1 if X.ndim == 2 else X.shape[2], 3, {}


def _expected_shapes(cell, bidirectional, pooling, hidden, n_classes, n_inputs,
                     embedding_size=None):
    """The documented names and shapes of ``weights_``."""
    GH = GATES[cell] * hidden
    directions = ["", "_reverse"] if bidirectional else [""]
    shapes = {}
    if embedding_size is not None:
        shapes["Wemb"] = (embedding_size, n_inputs)
        n_inputs = embedding_size
    for sfx in directions:
        shapes["Wxh" + sfx] = (GH, n_inputs)
        shapes["Whh" + sfx] = (GH, hidden)
        shapes["bh" + sfx] = (GH,)
        if cell == "gru":
            shapes["bhh" + sfx] = (GH,)
    n_poolings = len(pooling.split("+"))
    shapes["Why"] = (n_classes, hidden * n_poolings * len(directions))
    shapes["by"] = (n_classes,)
    return shapes


def _shapes(clf):
    return {name: value.shape for name, value in clf.weights_.items()}


def _assert_same_weights(a, b):
    assert a.weights_.keys() == b.weights_.keys()
    for name in a.weights_:
        np.testing.assert_array_equal(a.weights_[name], b.weights_[name], err_msg=name)


def _same_weights(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


# ------------------------------------------------------------ architectures and shapes
@pytest.mark.parametrize("inputs", ["text", "embedded", "numeric2d", "numeric3d"])
@pytest.mark.parametrize("pooling", ["last", "mean", "max+mean", "last+max+mean"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", CELLS)
def test_every_architecture_fits_with_the_documented_weights(cell, bidirectional, pooling,
                                                              inputs, seed_data):
    X, y, n_inputs, n_classes, extra = _data(inputs, seed_data)
    hidden = 8
    clf = _clf(cell=cell, bidirectional=bidirectional, pooling=pooling, hidden_size=hidden,
               max_iter=2, **extra).fit(X, y)
    expected = _expected_shapes(cell, bidirectional, pooling, hidden, n_classes, n_inputs,
                                extra.get("embedding_size"))
    assert _shapes(clf) == expected
    if inputs in ("text", "embedded"):
        assert len(clf.vocabulary_) == TUTORIAL_WORDS
    else:
        assert clf.n_features_in_ == 5
    assert all(np.all(np.isfinite(v)) for v in clf.weights_.values())
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), n_classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


@pytest.mark.parametrize("regularized", [False, True])
@pytest.mark.parametrize("inputs", ["text", "embedded", "numeric3d"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", CELLS)
def test_random_state_makes_every_architecture_bit_identical(cell, bidirectional, inputs,
                                                              regularized, seed_data):
    # minibatches (shuffled), dropout masks and the moving average all draw from or
    # depend on the fit's random_state
    X, y, _, _, extra = _data(inputs, seed_data)
    if regularized:
        extra.update(dropout=0.3, ema_decay=0.9)
    params = dict(cell=cell, bidirectional=bidirectional, pooling="last+max+mean",
                  batch_size=7, max_iter=3, **extra)
    a = _clf(random_state=5, **params).fit(X, y)
    b = _clf(random_state=5, **params).fit(X, y)
    _assert_same_weights(a, b)
    assert a.loss_curve_ == b.loss_curve_
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = _clf(random_state=6, **params).fit(X, y)
    for name in a.weights_:
        assert not np.array_equal(a.weights_[name], c.weights_[name]), name


@pytest.mark.parametrize("pooling", POOLINGS)
def test_every_pooling_widens_the_output_layer(pooling, seed_data):
    X_train, _, y_train, _ = seed_data
    clf = _clf(pooling=pooling, bidirectional=True, hidden_size=6, max_iter=2)
    clf.fit(X_train + [""], np.append(y_train, True))  # an empty document trains too
    assert clf.weights_["Why"].shape == (2, 6 * len(pooling.split("+")) * 2)
    proba = clf.predict_proba(X_train + ["", "qwxz"])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    # an empty document has no state to pool: every pooled feature is zero
    by = clf.weights_["by"]
    np.testing.assert_allclose(proba[-2], np.exp(by) / np.exp(by).sum(), rtol=1e-12)


def test_poolings_give_different_models(seed_data):
    X_train, X_test, y_train, _ = seed_data
    probas = [_clf(pooling=p, max_iter=5).fit(X_train, y_train).predict_proba(X_test)
              for p in ["last", "mean", "max"]]
    for i in range(3):
        for j in range(i):
            assert not np.allclose(probas[i], probas[j])


@pytest.mark.parametrize("name, value", [
    ("cell", "rnn"), ("pooling", "min"), ("pooling", "mean+last"), ("bidirectional", "yes"),
    ("embedding_size", 0), ("dropout", 1.0), ("dropout", -0.1), ("label_smoothing", 1.0),
    ("ema_decay", 0.0), ("ema_decay", 1.0), ("n_iter_no_change", "never"),
    ("subword_ngrams", [3, 5]),
])
def test_invalid_architecture_parameters_raise_at_fit(name, value, seed_data):
    X_train, _, y_train, _ = seed_data
    clf = _clf(**{name: value})
    with pytest.raises(ValueError, match=name):
        clf.fit(X_train, y_train)
    assert not hasattr(clf, "weights_")


def test_numeric_input_ignores_embedding_size():
    X, y = _numeric(3)
    plain = _clf(cell="gru", embedding_size=None, max_iter=3).fit(X, y)
    embedded = _clf(cell="gru", embedding_size=4, max_iter=3).fit(X, y)
    assert "Wemb" not in embedded.weights_
    _assert_same_weights(plain, embedded)


@pytest.mark.parametrize("regularized", [False, True])
@pytest.mark.parametrize("embedding_size", [None, 5])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", CELLS)
def test_unknown_word_column_stays_zero_without_unknown_words(cell, bidirectional,
                                                              embedding_size, regularized,
                                                              seed_data):
    X_train, _, y_train, _ = seed_data
    extra = dict(dropout=0.3, ema_decay=0.8, alpha=1e-3, label_smoothing=0.1) \
        if regularized else {}
    clf = _clf(cell=cell, bidirectional=bidirectional, embedding_size=embedding_size,
               min_df=1, subword_ngrams=None, max_iter=4, batch_size=8, **extra)
    clf.fit(X_train, y_train)
    unknown = len(clf.vocabulary_)
    if embedding_size is None:
        looked_up = ["Wxh", "Wxh_reverse"] if bidirectional else ["Wxh"]
    else:
        looked_up = ["Wemb"]
    for name in looked_up:
        matrix = clf.weights_[name]
        assert matrix.shape[1] == unknown + 1
        np.testing.assert_array_equal(matrix[:, unknown], 0.0, err_msg=name)
        assert np.all(np.any(matrix[:, :unknown] != 0, axis=0)), name
    # every unknown word reads that same column
    np.testing.assert_array_equal(clf.predict_proba(["qwxz"]), clf.predict_proba(["zzyq"]))


@pytest.mark.parametrize("embedding_size", [None, 5])
def test_unknown_word_column_stays_zero_with_subword_ngrams(embedding_size, seed_data):
    # the n-gram buckets follow the unknown-word column: that column starts at zero,
    # and the last bucket is drawn like the others
    X_train, _, y_train, _ = seed_data
    clf = _clf(embedding_size=embedding_size, subword_ngrams=(3, 5), min_df=1, max_iter=2)
    clf.fit(X_train, y_train)
    matrix = clf.weights_["Wemb" if embedding_size else "Wxh"]
    assert matrix.shape[1] == TUTORIAL_WORDS + 1 + N_BUCKETS
    np.testing.assert_array_equal(matrix[:, TUTORIAL_WORDS], 0.0)
    assert np.any(matrix[:, -1] != 0)


# ---------------------------------------------------------------------- dropout
@pytest.mark.parametrize("inputs", ["text", "embedded", "numeric3d"])
def test_dropout_trains_differently_and_predicts_deterministically(inputs, seed_data):
    X, y, _, _, extra = _data(inputs, seed_data)
    params = dict(cell="gru", pooling="max+mean", bidirectional=True, max_iter=3,
                  batch_size=8, random_state=2, **extra)
    plain = _clf(dropout=0.0, **params).fit(X, y)
    dropped = _clf(dropout=0.5, **params).fit(X, y)
    assert _shapes(plain) == _shapes(dropped)
    for name in plain.weights_:
        assert not np.array_equal(plain.weights_[name], dropped.weights_[name]), name
    first = dropped.predict_proba(X)
    np.testing.assert_array_equal(dropped.predict_proba(X), first)
    np.testing.assert_array_equal(dropped.predict(X), dropped.predict(X))
    # no dropout (and no rescaling) at prediction: the model is the plain network of its
    # weights, so a copy of those weights in an estimator without dropout predicts alike
    plain.weights_ = {k: v.copy() for k, v in dropped.weights_.items()}
    np.testing.assert_array_equal(plain.predict_proba(X), first)


def test_dropout_masks_come_from_the_fits_random_state(seed_data):
    # warm_start from the same weights with one full batch: only the dropout masks
    # draw from random_state, so two random states continue differently
    X_train, _, y_train, _ = seed_data
    params = dict(cell="lstm", embedding_size=5, batch_size=58, max_iter=2)
    start = _clf(dropout=0.0, random_state=0, **params).fit(X_train, y_train)
    runs = []
    for random_state in (1, 1, 2):
        clf = pickle.loads(pickle.dumps(start))
        clf.set_params(warm_start=True, dropout=0.5, random_state=random_state)
        runs.append(clf.fit(X_train, y_train).weights_)
    assert _same_weights(runs[0], runs[1])
    assert not _same_weights(runs[0], runs[2])
    clf = pickle.loads(pickle.dumps(start)).set_params(warm_start=True, random_state=1)
    no_dropout = clf.fit(X_train, y_train).weights_
    clf = pickle.loads(pickle.dumps(start)).set_params(warm_start=True, random_state=2)
    assert _same_weights(no_dropout, clf.fit(X_train, y_train).weights_)


# ------------------------------------------------------------- label smoothing
def test_label_smoothing_keeps_the_probabilities_away_from_one(seed_data):
    X_train, _, y_train, _ = seed_data
    params = dict(hidden_size=16, batch_size=58, learning_rate_init=0.05, max_iter=150)
    sharp = _clf(label_smoothing=0.0, **params).fit(X_train, y_train)
    smooth = _clf(label_smoothing=0.4, **params).fit(X_train, y_train)
    # the smoothed target of two classes is 0.8 / 0.2: its loss is lowest there
    assert sharp.predict_proba(X_train).max(axis=1).min() > 0.95
    top = smooth.predict_proba(X_train).max(axis=1)
    np.testing.assert_allclose(top, 0.8, atol=0.05)
    assert smooth.score(X_train, y_train) == 1.0


# ----------------------------------------------------------- the weight average
@pytest.mark.parametrize("embedding_size", [None, 5])
def test_ema_weights_differ_from_the_raw_weights(embedding_size, seed_data):
    X_train, _, y_train, _ = seed_data
    params = dict(cell="lstm", embedding_size=embedding_size, max_iter=4, batch_size=8)
    raw = _clf(ema_decay=None, **params).fit(X_train, y_train)
    averaged = _clf(ema_decay=0.9, **params).fit(X_train, y_train)
    for name in raw.weights_:
        assert not np.array_equal(raw.weights_[name], averaged.weights_[name]), name
    # the average does not change the training itself
    assert raw.loss_curve_ == averaged.loss_curve_


@pytest.mark.parametrize("embedding_size", [None, 5])
def test_ema_is_the_bias_corrected_average_of_every_steps_weights(embedding_size,
                                                                  seed_data):
    # one full batch and plain SGD: epoch t's raw weights are those of a fit with
    # max_iter=t, and the average after T steps is
    # sum_t (1 - d) d^(T - t) w_t / (1 - d^T)
    X_train, _, y_train, _ = seed_data
    d, n_steps = 0.7, 4
    params = dict(cell="gru", bidirectional=True, pooling="last+mean",
                  embedding_size=embedding_size, solver="sgd", momentum=0.0,
                  learning_rate_init=0.5, batch_size=58)
    raw = [_clf(max_iter=t, **params).fit(X_train, y_train).weights_
           for t in range(1, n_steps + 1)]
    averaged = _clf(max_iter=n_steps, ema_decay=d, **params).fit(X_train, y_train)
    for name, value in averaged.weights_.items():
        expected = sum((1 - d) * d ** (n_steps - t) * raw[t - 1][name]
                       for t in range(1, n_steps + 1)) / (1 - d**n_steps)
        np.testing.assert_allclose(value, expected, rtol=1e-10, atol=1e-12, err_msg=name)
        assert not np.allclose(value, raw[-1][name]), name
    # after one step the bias-corrected average is the weights themselves
    one = _clf(max_iter=1, ema_decay=d, **params).fit(X_train, y_train)
    for name in raw[0]:
        np.testing.assert_allclose(one.weights_[name], raw[0][name], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("embedding_size, subword_ngrams", [(None, None), (5, None),
                                                            (None, (2, 3))])
def test_ema_counts_the_steps_that_left_a_column_unchanged(embedding_size, subword_ngrams,
                                                          seed_data):
    # one document per step (one partial_fit call each): a step changes only the
    # columns of the looked-up matrix its words use, and the average must still count
    # it for the others, w_t = w_{t-1}
    X_train, _, y_train, _ = seed_data
    d = 0.6
    params = dict(cell="gru", embedding_size=embedding_size, subword_ngrams=subword_ngrams,
                  hidden_size=4, batch_size=1, learning_rate_init=0.05)
    docs = [0, 1, 4, 12, 2, 30, 5]  # good, bad, not good, i am happy, ...
    raw_model, averaged = _clf(ema_decay=None, **params), _clf(ema_decay=d, **params)
    raw = []
    for i in docs:
        raw_model.partial_fit([X_train[i]], [y_train[i]], classes=[False, True])
        averaged.partial_fit([X_train[i]], [y_train[i]], classes=[False, True])
        raw.append({k: v.copy() for k, v in raw_model.weights_.items()})
    assert raw_model.loss_curve_ == averaged.loss_curve_
    n_steps = len(docs)
    for name, value in averaged.weights_.items():
        expected = sum((1 - d) * d ** (n_steps - t) * raw[t - 1][name]
                       for t in range(1, n_steps + 1)) / (1 - d**n_steps)
        np.testing.assert_allclose(value, expected, rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("embedding_size, subword_ngrams", [(None, None), (5, None),
                                                            (None, (2, 3))])
def test_ema_within_one_call_equals_ema_across_one_step_calls(embedding_size,
                                                              subword_ngrams, seed_data):
    # several steps in one call leave columns unused for a while, and the average has
    # to catch them up before they change; one step per call catches up every column
    # after each call. One-word documents of a fixed vocabulary, batch_size=1 and no
    # shuffling: the steps of the one call go through the words in id order
    X_train, _, y_train, _ = seed_data
    vocabulary = sorted({w for doc in X_train for w in doc.split()})
    words = ["bad", "good", "happy", "i", "not", "sad", "very", "bad", "good"]
    labels = [False, True, True, False, False, False, True, False, True]
    params = dict(cell="gru", embedding_size=embedding_size, subword_ngrams=subword_ngrams,
                  vocabulary=vocabulary, hidden_size=4, batch_size=1, shuffle=False,
                  learning_rate_init=0.05)
    for ema_decay in (None, 0.6):
        one = _clf(ema_decay=ema_decay, **params).partial_fit(words[:7], labels[:7])
        one.partial_fit(words[7:], labels[7:])
        steps = _clf(ema_decay=ema_decay, **params)
        for word, label in zip(words, labels):
            steps.partial_fit([word], [label], classes=[False, True])
        for name in one.weights_:
            np.testing.assert_allclose(one.weights_[name], steps.weights_[name],
                                       rtol=1e-9, atol=1e-12, err_msg=f"{ema_decay} {name}")


@pytest.mark.parametrize("embedding_size", [None, 5])
@pytest.mark.parametrize("cell", CELLS)
def test_partial_fit_with_ema_continues_from_the_raw_weights(cell, embedding_size,
                                                             seed_data):
    # one full batch: k partial_fit calls take the same k steps as a fit with max_iter=k;
    # each call reports the average, and goes on from the raw weights
    X_train, _, y_train, _ = seed_data
    params = dict(cell=cell, bidirectional=True, pooling="last+mean",
                  embedding_size=embedding_size, ema_decay=0.8, batch_size=100,
                  learning_rate_init=0.02)
    streamed = _clf(**params)
    for _ in range(4):
        streamed.partial_fit(X_train, y_train)
    fitted = _clf(max_iter=4, **params).fit(X_train, y_train)
    assert streamed.n_iter_ == fitted.n_iter_ == 4
    _assert_same_weights(streamed, fitted)
    no_ema = _clf(max_iter=4, **{**params, "ema_decay": None}).fit(X_train, y_train)
    assert not _same_weights(streamed.weights_, no_ema.weights_)


@pytest.mark.parametrize("subword_ngrams", [None, (2, 4)])
@pytest.mark.parametrize("embedding_size", [None, 5])
def test_partial_fit_with_ema_continues_bit_identically_across_pickling(
        embedding_size, subword_ngrams, seed_data):
    X_train, _, y_train, _ = seed_data
    params = dict(cell="gru", bidirectional=True, pooling="max+mean",
                  embedding_size=embedding_size, subword_ngrams=subword_ngrams,
                  ema_decay=0.9, dropout=0.2, batch_size=7, random_state=3)
    chunks = [slice(0, 30), slice(30, 58)]
    a = _clf(**params)
    uninterrupted = _clf(**params)
    for part in chunks:
        a.partial_fit(X_train[part], y_train[part], classes=[False, True])
        uninterrupted.partial_fit(X_train[part], y_train[part], classes=[False, True])
    b = pickle.loads(pickle.dumps(a))
    for _ in range(2):
        for part in chunks:
            b.partial_fit(X_train[part], y_train[part])
            uninterrupted.partial_fit(X_train[part], y_train[part])
    _assert_same_weights(b, uninterrupted)
    assert b.loss_curve_ == uninterrupted.loss_curve_
    assert b.n_iter_ == 6
    np.testing.assert_array_equal(b.predict_proba(X_train),
                                  uninterrupted.predict_proba(X_train))


# ------------------------------------------------- continuing a fitted architecture
CHANGES = [
    ("cell", "tanh", "gru"),
    ("cell", "gru", "lstm"),
    ("bidirectional", False, True),
    ("bidirectional", True, False),
    ("pooling", "last", "max"),
    ("pooling", "max+mean", "last+max+mean"),
    ("embedding_size", None, 4),
    ("embedding_size", 4, None),
    ("embedding_size", 4, 6),
]


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
@pytest.mark.parametrize("name, before, after", CHANGES)
def test_continuing_refuses_a_changed_architecture(name, before, after, how, seed_data):
    X_train, _, y_train, _ = seed_data
    clf = _clf(max_iter=2, warm_start=(how == "warm_start"), **{name: before})
    if how == "warm_start":
        clf.fit(X_train, y_train)
    else:
        clf.partial_fit(X_train, y_train)
    weights = {k: v.copy() for k, v in clf.weights_.items()}
    clf.set_params(**{name: after})
    with pytest.raises(ValueError, match=re.escape(name)):
        if how == "warm_start":
            clf.fit(X_train, y_train)
        else:
            clf.partial_fit(X_train, y_train)
    assert _same_weights(clf.weights_, weights)  # nothing was trained
    clf.set_params(**{name: before})  # the original architecture still continues
    if how == "warm_start":
        clf.fit(X_train, y_train)
    else:
        clf.partial_fit(X_train, y_train)
    assert clf.n_iter_ == (4 if how == "warm_start" else 2)


@pytest.mark.parametrize("name, value", [("cell", "lstm"), ("bidirectional", True),
                                         ("pooling", "mean")])
def test_continuing_on_numeric_input_refuses_a_changed_architecture(name, value):
    X, y = _numeric(3)
    clf = _clf(max_iter=2, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match=re.escape(name)):
        clf.set_params(**{name: value}).fit(X, y)
    clf = _clf().partial_fit(X, y)
    with pytest.raises(ValueError, match=re.escape(name)):
        clf.set_params(**{name: value}).partial_fit(X, y)


@pytest.mark.parametrize("cell", CELLS)
def test_warm_start_continues_an_unchanged_architecture(cell, seed_data):
    X_train, _, y_train, _ = seed_data
    params = dict(cell=cell, bidirectional=True, pooling="last+max", embedding_size=5,
                  max_iter=3, warm_start=True)
    clf = _clf(**params).fit(X_train, y_train)
    first = {k: v.copy() for k, v in clf.weights_.items()}
    clf.fit(X_train, y_train)
    assert clf.n_iter_ == len(clf.loss_curve_) == 6
    assert _shapes(clf) == {k: v.shape for k, v in first.items()}
    assert not _same_weights(clf.weights_, first)


# --------------------------------------------------------------- subword n-grams
def _ngrams(word, lo, hi):
    w = f"<{word}>"
    return [w[i : i + n] for n in range(lo, hi + 1) for i in range(len(w) - n + 1)]


def _subword_columns(word, vocabulary, ngram_range):
    """The columns word ``word`` reads the mean of: its own (or the unknown word's), then
    one per character n-gram of ``<word>``, by scikit-learn's murmurhash."""
    n = len(vocabulary)
    return [vocabulary.get(word, n)] + [n + 1 + murmurhash3_32(g, positive=True) % N_BUCKETS
                                        for g in _ngrams(word, *ngram_range)]


def _tanh_last_proba(weights, inputs):
    """softmax(Why h_T + by) of h_t = tanh(x_t + Whh h_{t-1} + bh), for inputs x_t."""
    h = np.zeros(weights["Whh"].shape[1])
    for x in inputs:
        h = np.tanh(x + weights["Whh"] @ h + weights["bh"])
    z = weights["Why"] @ h + weights["by"]
    return np.exp(z - z.max()) / np.exp(z - z.max()).sum()


@pytest.mark.parametrize("embedding_size", [None, 5])
def test_subword_weights_and_each_token_reads_the_mean_of_its_columns(embedding_size,
                                                                      seed_data):
    X_train, _, y_train, _ = seed_data
    ngram_range = (2, 4)
    clf = _clf(subword_ngrams=ngram_range, embedding_size=embedding_size, max_iter=5,
               hidden_size=6).fit(X_train, y_train)
    n_columns = TUTORIAL_WORDS + 1 + N_BUCKETS
    assert _shapes(clf) == _expected_shapes("tanh", False, "last", 6, 2, n_columns,
                                            embedding_size)
    w = clf.weights_
    docs = ["happy", "i am happyyy", "qwxz not good", "", "sad sad happy"]
    for doc, p in zip(docs, clf.predict_proba(docs)):
        inputs = []
        for word in doc.split():
            columns = _subword_columns(word, clf.vocabulary_, ngram_range)
            if embedding_size is None:
                inputs.append(w["Wxh"][:, columns].mean(axis=1))
            else:
                inputs.append(w["Wxh"] @ w["Wemb"][:, columns].mean(axis=1))
        np.testing.assert_allclose(p, _tanh_last_proba(w, inputs), rtol=1e-10, err_msg=doc)


@pytest.mark.parametrize("cell, bidirectional, embedding_size",
                         [("tanh", False, None), ("gru", True, None), ("lstm", False, 5)])
def test_unseen_words_share_subwords_only_with_subword_ngrams(cell, bidirectional,
                                                              embedding_size, seed_data):
    X_train, _, y_train, _ = seed_data
    params = dict(cell=cell, bidirectional=bidirectional, embedding_size=embedding_size,
                  pooling="last+mean", max_iter=10, batch_size=8, learning_rate_init=0.02)
    docs = ["happyyy", "qwxz"]  # neither in the vocabulary
    with_subwords = _clf(subword_ngrams=(3, 5), **params).fit(X_train, y_train)
    assert not set(d for d in docs) & set(with_subwords.vocabulary_)
    proba = with_subwords.predict_proba(docs)
    assert np.abs(proba[0] - proba[1]).max() > 1e-6
    without = _clf(subword_ngrams=None, **params).fit(X_train, y_train)
    proba = without.predict_proba(docs)
    np.testing.assert_array_equal(proba[0], proba[1])
    assert without.weights_[("Wemb" if embedding_size else "Wxh")].shape[1] == \
        TUTORIAL_WORDS + 1


def test_a_misspelt_word_predicts_like_the_word(seed_data):
    # "happyyy" shares most of its n-grams with "happy"; "saddd" with "sad"
    X_train, _, y_train, _ = seed_data
    clf = _clf(subword_ngrams=(3, 5), hidden_size=16, max_iter=60, batch_size=8,
               learning_rate_init=0.02, random_state=0).fit(X_train, y_train)
    assert clf.score(X_train, y_train) == 1.0
    np.testing.assert_array_equal(clf.predict(["i am happyyy", "i am saddd"]),
                                  [True, False])


def test_subword_model_predicts_identically_after_pickling(seed_data):
    X_train, X_test, y_train, _ = seed_data
    clf = _clf(subword_ngrams=(2, 5), cell="gru", embedding_size=4, max_iter=4)
    clf.fit(X_train, y_train)
    X = X_test + ["happyyy", "qwxz unseen words", ""]
    expected = clf.predict_proba(X)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), expected)
    np.testing.assert_array_equal(clf.predict_proba(X), expected)


@pytest.mark.parametrize("value", [(0, 3), (4, 2), (3,), ("a", "b"), (1, 2, 3), (2.0, 4)])
def test_invalid_subword_ngrams_raise_at_fit(value, seed_data):
    X_train, _, y_train, _ = seed_data
    clf = _clf(subword_ngrams=value)  # construction does not validate
    assert clf.subword_ngrams == value
    with pytest.raises(ValueError, match="subword_ngrams"):
        clf.fit(X_train, y_train)
    with pytest.raises(ValueError, match="subword_ngrams"):
        _clf(subword_ngrams=value).partial_fit(X_train, y_train)


@pytest.mark.parametrize("value", [(1, 1), (3, 3), (1, 6)])
def test_valid_subword_ngrams_fit(value, seed_data):
    X_train, _, y_train, _ = seed_data
    clf = _clf(subword_ngrams=value, max_iter=1).fit(X_train, y_train)
    assert clf.weights_["Wxh"].shape == (8, TUTORIAL_WORDS + 1 + N_BUCKETS)


@pytest.mark.parametrize("ndim", [2, 3])
def test_numeric_input_ignores_subword_ngrams(ndim):
    X, y = _numeric(ndim)
    plain = _clf(subword_ngrams=None, max_iter=3).fit(X, y)
    subwords = _clf(subword_ngrams=(3, 5), max_iter=3).fit(X, y)
    _assert_same_weights(plain, subwords)
    assert subwords.weights_["Wxh"].shape == (8, 1 if ndim == 2 else 2)
    np.testing.assert_array_equal(plain.predict_proba(X), subwords.predict_proba(X))


def test_subword_ngrams_of_left_out_training_words_are_trained(seed_data):
    # with min_df=3, "or" (in two documents) is left out; with subwords it still reads
    # its own n-grams in training, so it predicts unlike a foreign word
    X_train, _, y_train, _ = seed_data
    clf = _clf(subword_ngrams=(3, 5), min_df=3, max_iter=5).fit(X_train, y_train)
    assert "or" not in clf.vocabulary_ and "and" in clf.vocabulary_
    proba = clf.predict_proba(["or", "qwxz"])
    assert np.abs(proba[0] - proba[1]).max() > 1e-6


# ------------------------------------------------------ n_iter_no_change='auto'
@pytest.mark.parametrize("cell, random_state", [("gru", 2), ("tanh", 0), ("lstm", 1)])
def test_auto_patience_with_early_stopping_is_two_epochs(cell, random_state, seed_data):
    X_train, _, y_train, _ = seed_data
    params = dict(cell=cell, early_stopping=True, validation_fraction=0.3, tol=0.0,
                  max_iter=300, hidden_size=16, batch_size=4, learning_rate_init=0.03,
                  random_state=random_state)
    clf = _clf(n_iter_no_change="auto", **params).fit(X_train, y_train)
    curve = clf.validation_loss_curve_
    assert clf.n_iter_ == len(curve) < 300
    best = int(np.argmin(curve)) + 1
    assert clf.n_iter_ == best + 2
    assert clf.best_validation_score_ == clf.validation_scores_[best - 1]
    explicit = _clf(n_iter_no_change=2, **params).fit(X_train, y_train)
    assert explicit.validation_loss_curve_ == curve
    _assert_same_weights(clf, explicit)


def test_auto_patience_with_early_stopping_stops_a_long_run(seed_data):
    # a run that keeps improving for a while, then stops two epochs after its best
    X_train, _, y_train, _ = seed_data
    clf = _clf(cell="gru", n_iter_no_change="auto", early_stopping=True,
               validation_fraction=0.3, tol=0.0, max_iter=300, hidden_size=16, batch_size=4,
               learning_rate_init=0.03, random_state=2).fit(X_train, y_train)
    curve = clf.validation_loss_curve_
    assert 10 < clf.n_iter_ < 300
    assert clf.n_iter_ == int(np.argmin(curve)) + 1 + 2
    assert min(curve[-2:]) >= min(curve)


@pytest.mark.parametrize("early_stopping, expected", [(False, 21), (True, 3)])
def test_auto_patience_when_the_loss_never_improves_by_tol(early_stopping, expected,
                                                           seed_data):
    # tol is so large that no epoch after the first counts as an improvement: training
    # stops after exactly `patience` epochs more
    X_train, _, y_train, _ = seed_data
    clf = _clf(n_iter_no_change="auto", early_stopping=early_stopping,
               validation_fraction=0.3, tol=100.0, max_iter=60, learning_rate="constant",
               hidden_size=8, batch_size=58).fit(X_train, y_train)
    assert clf.n_iter_ == len(clf.loss_curve_) == expected


def test_auto_patience_is_twenty_without_early_stopping_on_a_tiny_problem():
    X = ["good", "bad", "very good", "very bad"]
    y = [1, 0, 1, 0]
    clf = _clf(n_iter_no_change="auto", early_stopping=False, tol=10.0, max_iter=100,
               batch_size=4).fit(X, y)
    assert clf.n_iter_ == 21
    explicit = _clf(n_iter_no_change=20, early_stopping=False, tol=10.0, max_iter=100,
                    batch_size=4).fit(X, y)
    _assert_same_weights(clf, explicit)


# --------------------------------------------------------- the tutorial's model
def test_the_tutorials_configuration_learns_the_tutorial(seed_data):
    # the tutorial trains 1000 epochs (about 8 s here); this configuration reaches
    # accuracy 1.0 on both sets after 100, so 200 leave a margin and keep the test fast
    X_train, X_test, y_train, y_test = seed_data
    clf = RNNSentimentClassifier(
        cell="tanh", pooling="last", bidirectional=False, embedding_size=None,
        subword_ngrams=None, word_ngrams=None, ema_decay=None, label_smoothing=0.0, dropout=0.0,
        solver="sgd", momentum=0.0, learning_rate_init=0.02, batch_size=1, clip_value=1.0,
        hidden_size=64, max_iter=200, random_state=0, alpha=0.0, shuffle=True,
        early_stopping=False, n_iter_no_change=200, tol=0.0, learning_rate="constant",
        min_df=1, max_features=None, max_len=None, dtype="float64",
    )
    clf.fit(X_train, y_train)
    assert clf.n_iter_ == 200
    assert _shapes(clf) == {"Wxh": (64, TUTORIAL_WORDS + 1), "Whh": (64, 64), "bh": (64,),
                            "Why": (2, 64), "by": (2,)}
    assert clf.score(X_train, y_train) == 1.0
    assert clf.score(X_test, y_test) == 1.0
