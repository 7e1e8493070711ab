"""hash_buckets: feature hashing of tokens instead of a vocabulary."""

import os
import pickle
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import murmurhash3_32

from models import numeric_derivative, random_params
from sklearn_rnn import RNNSentimentClassifier, _classifier, _rnn
from sklearn_rnn.__main__ import main
from sklearn_rnn._text import char_ngrams, hash_encode
from sklearn_rnn.datasets import load_seed_sentiment

ROOT = Path(__file__).resolve().parents[1]
N_NGRAM_BUCKETS = 65536
CELLS = ["tanh", "gru", "lstm"]


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(scope="module")
def seed_data():
    return load_seed_sentiment()


def _clf(**overrides):
    params = dict(cell="tanh", bidirectional=False, pooling="last", embedding_size=None,
                  subword_ngrams=None,
                  word_ngrams=None, ema_decay=None, hidden_size=6, batch_size=16,
                  max_iter=2, learning_rate_init=0.02, early_stopping=False,
                  random_state=0, dtype="float64", hash_buckets=64)
    params.update(overrides)
    return RNNSentimentClassifier(**params)


def _bucket(token, n):
    return murmurhash3_32(token, positive=True) % n


def _columns(word, n, ngram_range=None):
    """The columns ``word`` reads the mean of, computed by hand: its hashed bucket,
    then (with subwords) one n-gram bucket per n-gram, after the ``n`` word columns."""
    columns = [_bucket(word, n)]
    if ngram_range is not None:
        columns += [n + _bucket(g, N_NGRAM_BUCKETS) for g in char_ngrams(word, ngram_range)]
    return columns


def _tanh_last_proba(weights, inputs):
    h = np.zeros(weights["Whh"].shape[1])
    for x in inputs:
        h = np.tanh(x + weights["Whh"] @ h + weights["bh"])
    z = weights["Why"] @ h + weights["by"]
    return np.exp(z - z.max()) / np.exp(z - z.max()).sum()


def _looked_up(clf):
    return "Wemb" if "Wemb" in clf.weights_ else "Wxh"


# ------------------------------------------------------------------- the columns
def test_hash_encode_is_murmurhash_modulo_n():
    docs = [["good", "movie", "good"], [], ["naïve", "café", "movie", "x"]]
    for n in (1, 7, 2**10, 2**18):
        encoded = hash_encode(docs, n)
        expected = [_bucket(tok, n) for doc in docs for tok in doc]
        assert encoded.ids.tolist() == expected
        assert encoded.lengths.tolist() == [3, 0, 4]
        assert encoded.starts.tolist() == [0, 3, 3]
    encoded, tokens, columns = hash_encode(docs, 7, distinct=True)
    assert tokens == ["good", "movie", "naïve", "café", "x"]
    assert encoded.ids.tolist() == [0, 1, 0, 2, 3, 1, 4]
    assert columns.tolist() == [_bucket(tok, 7) for tok in tokens]
    assert hash_encode(docs, 7, max_len=2).ids.tolist() == [_bucket(t, 7) for t in
                                                            ["movie", "good", "movie", "x"]]


@pytest.mark.parametrize("embedding_size", [None, 3])
@pytest.mark.parametrize("subword_ngrams", [None, (2, 4)])
def test_each_token_reads_its_hashed_columns(subword_ngrams, embedding_size, seed_data):
    # the tutorial's model, its prediction recomputed from the columns found by hand
    X_train, _, y_train, _ = seed_data
    n = 16  # fewer buckets than words: some words share a column
    clf = _clf(hash_buckets=n, subword_ngrams=subword_ngrams, embedding_size=embedding_size,
               max_iter=3).fit(X_train, y_train)
    assert not hasattr(clf, "vocabulary_")
    n_columns = n + (N_NGRAM_BUCKETS if subword_ngrams else 0)
    assert clf.weights_[_looked_up(clf)].shape[1] == n_columns
    w = clf.weights_
    docs = ["happy", "i am happyyy", "qwxz not good", "", "sad sad happy terrible"]
    for doc, p in zip(docs, clf.predict_proba(docs)):
        inputs = []
        for word in doc.split():
            columns = _columns(word, n, subword_ngrams)
            if embedding_size is None:
                inputs.append(w["Wxh"][:, columns].mean(axis=1))
            else:
                inputs.append(w["Wxh"] @ w["Wemb"][:, columns].mean(axis=1))
        np.testing.assert_allclose(p, _tanh_last_proba(w, inputs), rtol=1e-10, err_msg=doc)


_COLUMNS_SCRIPT = """
import warnings
import numpy as np
from sklearn_rnn import RNNSentimentClassifier
from sklearn_rnn._text import hash_encode
docs = ["good movie", "bad movie", "not good at all", "terrible zebra", "naïve café"]
print(hash_encode([d.split() for d in docs], 2**18).ids.tolist())
warnings.simplefilter("ignore")
clf = RNNSentimentClassifier(hash_buckets=2**10, subword_ngrams=(3, 5), hidden_size=4,
                             embedding_size=3, max_iter=2, random_state=0, dtype="float64")
clf.fit(docs, [1, 0, 0, 0, 1])
print(clf._encode([["qwxz", "good"]]).table.indices.tolist())
print(repr(clf.predict_proba(["unseen qwxz", "good"]).round(12).tolist()))
"""


def test_columns_are_the_same_in_every_process():
    # Python's own str hash changes with PYTHONHASHSEED; the columns must not
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-c", _COLUMNS_SCRIPT], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    ids = eval(outputs[0].splitlines()[0])
    words = "good movie bad movie not good at all terrible zebra naïve café".split()
    assert ids == [_bucket(w, 2**18) for w in words]
    table_columns = eval(outputs[0].splitlines()[1])
    assert sorted(table_columns) == sorted(_columns("qwxz", 2**10, (3, 5))
                                           + _columns("good", 2**10, (3, 5)))


# ------------------------------------------------------- words seen in later calls
@pytest.mark.parametrize("hashed", [True, False])
def test_a_word_first_seen_in_a_later_call_trains_a_column_of_its_own(hashed, seed_data):
    X_train, _, y_train, _ = seed_data
    n = 1024
    clf = _clf(hash_buckets=n if hashed else None, learning_rate_init=0.05)
    if not hashed:
        clf.set_params(min_df=1)
    clf.partial_fit(X_train, y_train)
    training_words = {w for doc in X_train for w in doc.split()}
    assert not {"terrible", "qwxz"} & training_words
    own = _bucket("terrible", n)
    assert own not in {_bucket(w, n) for w in training_words | {"qwxz"}}

    # the loss of a document of the new word has a gradient in that word's column
    seqs = clf._encode([["terrible"]])
    batch = seqs.pack(np.arange(1))
    _, grads = _rnn.loss_and_grads(clf.weights_, batch, np.array([0]), np.ones(1),
                                   arch=clf._arch, table=seqs.table)
    column = own if hashed else len(clf.vocabulary_)  # else the unknown-word column
    assert grads["Wxh"].columns.tolist() == [column]
    assert np.all(grads["Wxh"].values != 0)

    docs = ["terrible", "qwxz"]
    before = clf.predict_proba(docs)
    columns_before = clf.weights_["Wxh"].copy()
    for _ in range(5):
        clf.partial_fit(["terrible"], [False])
    after = clf.predict_proba(docs)
    changed = np.flatnonzero(np.any(clf.weights_["Wxh"] != columns_before, axis=0))
    assert changed.tolist() == [column]
    assert after[0, 0] > before[0, 0] + 0.01  # "terrible" now reads as negative
    if hashed:
        # "terrible"'s own column learned it: the gap to another unseen word grew
        assert after[0, 0] - after[1, 0] > before[0, 0] - before[1, 0] + 0.02
    else:
        # both unknown words read the one unknown-word column, before and after
        np.testing.assert_array_equal(before[0], before[1])
        np.testing.assert_array_equal(after[0], after[1])


@pytest.mark.parametrize("subword_ngrams", [None, (3, 5)])
@pytest.mark.parametrize("embedding_size", [None, 4])
def test_partial_fit_leaves_the_columns_a_batch_does_not_use_bit_identical(
        embedding_size, subword_ngrams, seed_data):
    X_train, _, y_train, _ = seed_data
    n = 256
    clf = _clf(hash_buckets=n, embedding_size=embedding_size, subword_ngrams=subword_ngrams,
               cell="gru", bidirectional=True, pooling="max+mean", alpha=1e-3, dropout=0.2)
    clf.partial_fit(X_train, y_train)
    names = ["Wemb"] if embedding_size else ["Wxh", "Wxh_reverse"]
    assert clf._optimizer.sparse == tuple(names)  # the row-gradient path
    before = {name: clf.weights_[name].copy() for name in names}
    batch = ["terrible movie", "not a good movie"]
    clf.partial_fit(batch, [False, False])
    used = sorted({c for doc in batch for w in doc.split()
                   for c in _columns(w, n, subword_ngrams)})
    unused = np.setdiff1d(np.arange(before[names[0]].shape[1]), used)
    for name in names:
        after = clf.weights_[name]
        np.testing.assert_array_equal(after[:, unused], before[name][:, unused],
                                      err_msg=name)
        assert np.all(np.any(after[:, used] != before[name][:, used], axis=0)), name


# ------------------------------------------------------------------- refusals
@pytest.mark.parametrize("name, value", [("vocabulary", ["good", "bad"]),
                                         ("vocabulary", {"good": 0}),
                                         ("max_features", 10), ("min_df", 1),
                                         ("min_df", 0.5)])
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_vocabulary_parameters_are_refused_with_hash_buckets(name, value, method,
                                                             seed_data):
    X_train, _, y_train, _ = seed_data
    clf = _clf(**{name: value})
    with pytest.raises(ValueError, match=rf"hash_buckets=64 .*{name}="):
        getattr(clf, method)(X_train, y_train)
    assert not hasattr(clf, "weights_")
    clf.set_params(hash_buckets=None)  # the same parameter without hashing fits
    getattr(clf, method)(X_train, y_train)


@pytest.mark.parametrize("value", [0, -3, 2.5, "1024"])
def test_invalid_hash_buckets_raise_at_fit(value, seed_data):
    X_train, _, y_train, _ = seed_data
    clf = _clf(hash_buckets=value)
    assert clf.hash_buckets is value  # stored as given
    with pytest.raises(ValueError, match="hash_buckets"):
        clf.fit(X_train, y_train)


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
@pytest.mark.parametrize("before, after", [(64, 128), (64, None), (None, 64)])
def test_continuing_refuses_a_changed_hash_buckets(before, after, how, seed_data):
    X_train, _, y_train, _ = seed_data
    clf = _clf(hash_buckets=before, warm_start=(how == "warm_start"))
    method = clf.fit if how == "warm_start" else clf.partial_fit
    method(X_train, y_train)
    weights = {k: v.copy() for k, v in clf.weights_.items()}
    clf.set_params(hash_buckets=after)
    with pytest.raises(ValueError, match=re.escape(f"hash_buckets changed from {before} "
                                                   f"to {after}")):
        method(X_train, y_train)
    assert all(np.array_equal(clf.weights_[k], weights[k]) for k in weights)
    clf.set_params(hash_buckets=before)  # the original setting still continues
    method(X_train, y_train)
    assert clf.n_iter_ == (4 if how == "warm_start" else 2)
    assert hasattr(clf, "vocabulary_") == (before is None)


def test_a_hashed_fit_on_numeric_input_then_text(seed_data):
    X_train, _, y_train, _ = seed_data
    rng = np.random.default_rng(0)
    clf = _clf().fit(rng.normal(size=(20, 4, 2)), np.arange(20) % 2)
    assert not hasattr(clf, "_hash_buckets") and clf.n_features_in_ == 4
    with pytest.raises(ValueError, match="fitted on numeric sequences"):
        clf.predict(X_train)
    clf.fit(X_train, y_train)
    assert not hasattr(clf, "n_features_in_") and not hasattr(clf, "vocabulary_")
    with pytest.raises(ValueError, match="fitted on text"):
        clf.predict(rng.normal(size=(3, 4, 2)))


# ------------------------------------------------------------ gradient checks
@pytest.mark.parametrize("cell, bidirectional, pooling, embedding_size, subword_ngrams", [
    ("tanh", False, "last", None, None),
    ("gru", True, "max+mean", 3, (2, 3)),
    ("lstm", False, "last+mean", None, (3, 4)),
    ("lstm", True, "max", 3, None),
])
def test_hashed_gradients_match_finite_differences(cell, bidirectional, pooling,
                                                   embedding_size, subword_ngrams):
    # through the estimator's own encoding and loss: a ragged batch with an empty
    # document and more words than buckets (so that words share columns)
    docs = ["the cat sat on the mat", "", "a dog", "dogs and cats and the rest", "mat"]
    n = 6
    clf = _clf(hash_buckets=n, cell=cell, bidirectional=bidirectional, pooling=pooling,
               embedding_size=embedding_size, subword_ngrams=subword_ngrams, max_iter=1)
    clf.fit(docs, [0, 1, 2, 0, 1])
    seqs = clf._encode([doc.split() for doc in docs])
    batch = seqs.pack(np.arange(len(docs)))
    assert 0 in batch.lengths
    rng = np.random.default_rng(4)
    n_inputs = clf.weights_[_looked_up(clf)].shape[1]
    params = random_params(rng, clf._arch, n_inputs, hidden=3, n_classes=3,
                           embedding=embedding_size)
    y, w = rng.integers(0, 3, size=len(docs)), rng.uniform(0.5, 2.0, size=len(docs))

    def loss():
        return _rnn.loss_and_grads(params, batch, y, w, arch=clf._arch,
                                   table=seqs.table)[0]

    _, grads = _rnn.loss_and_grads(params, batch, y, w, arch=clf._arch, table=seqs.table)
    assert sorted(grads) == sorted(params)
    for name, grad in grads.items():
        value = params[name]
        if isinstance(grad, _rnn.ColumnGrad):
            expected = sorted({c for doc in docs for word in doc.split()
                               for c in _columns(word, n, subword_ngrams)})
            assert grad.columns.tolist() == expected, name
            unused = [c for c in range(n_inputs) if c not in expected][:3]
            for column in unused:  # no gradient outside the batch's columns
                for i in range(value.shape[0]):
                    assert numeric_derivative(value, (i, column), loss) == 0.0
            got, indices = grad.values.T, [(i, c) for i in range(value.shape[0])
                                           for c in grad.columns]
            numeric = np.array([numeric_derivative(value, ix, loss) for ix in indices])
            numeric = numeric.reshape(value.shape[0], len(grad.columns))
        else:
            got = grad
            numeric = np.array([numeric_derivative(value, ix, loss)
                                for ix in np.ndindex(value.shape)]).reshape(value.shape)
        np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8, err_msg=name)


# ------------------------------------------------------- every cell and option
@pytest.mark.parametrize("subword_ngrams", [None, (3, 5)])
@pytest.mark.parametrize("embedding_size", [None, 4])
@pytest.mark.parametrize("cell", CELLS)
def test_every_cell_fits_and_predicts_with_hash_buckets(cell, embedding_size,
                                                        subword_ngrams, seed_data):
    X_train, X_test, y_train, _ = seed_data
    n = 128
    clf = RNNSentimentClassifier(hash_buckets=n, cell=cell, embedding_size=embedding_size,
                                 subword_ngrams=subword_ngrams, hidden_size=4, max_iter=3,
                                 random_state=0)  # float32, bidirectional, max+mean
    clf.fit(X_train, y_train)
    n_columns = n + (N_NGRAM_BUCKETS if subword_ngrams else 0)
    lookup = clf.weights_[_looked_up(clf)]
    assert lookup.shape[1] == n_columns and lookup.dtype == np.float32
    assert not hasattr(clf, "vocabulary_")
    X = X_test + ["", "unseen qwxz words"]
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), proba)
    clf.partial_fit(["qwxz is terrible"], [False])
    assert clf.n_iter_ == 4


@pytest.mark.parametrize("subword_ngrams", [None, (3, 5)])
def test_prediction_in_slices_equals_prediction_at_once(subword_ngrams, seed_data,
                                                        monkeypatch):
    # documents are encoded a slice at a time (with subwords, each slice its own table
    # of distinct tokens): the slicing must not change a probability
    X_train, X_test, y_train, _ = seed_data
    clf = _clf(subword_ngrams=subword_ngrams, embedding_size=3, cell="gru",
               bidirectional=True, max_iter=3).fit(X_train, y_train)
    X = X_test + X_train + ["qwxz happyyy", ""]
    expected = clf.predict_proba(X)
    monkeypatch.setattr(_classifier, "PREDICT_DOCUMENTS", 3)
    # (other slices are other batches for BLAS: equal to rounding)
    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-12, atol=0)


def test_hashed_fit_is_reproducible_and_learns_the_tutorial(seed_data):
    X_train, X_test, y_train, y_test = seed_data
    a = RNNSentimentClassifier(hash_buckets=2**10, random_state=1).fit(X_train, y_train)
    b = RNNSentimentClassifier(hash_buckets=2**10, random_state=1).fit(X_train, y_train)
    for name in a.weights_:
        np.testing.assert_array_equal(a.weights_[name], b.weights_[name], err_msg=name)
    assert a.score(X_train, y_train) == 1.0
    assert a.score(X_test, y_test) >= 0.9


def test_main_job_with_hash_buckets(capsys):
    assert main(["--hash-buckets", "256"]) == 0
    out = capsys.readouterr().out
    assert "18 words hashed into 256 columns" in out
    assert re.search(r"test accuracy  \d\.\d{3}", out)
    assert "unseen: terrible" in out
