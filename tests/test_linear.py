"""The linear path (``word_ngrams``): bags of hashed word n-grams, their gradient, the
linear fit, the staged fit, partial_fit and explanations."""

import re

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.utils import murmurhash3_32
from sklearn.utils._param_validation import InvalidParameterError

from models import numeric_grad, random_params
from sklearn_rnn import (
    RNNSentimentClassifier, _classifier, _linear, _packing, _rnn, _training,
    explain_prediction,
)
from sklearn_rnn._data import Sequences, distinct_samples
from sklearn_rnn._text import TokenIds
from sklearn_rnn.datasets import load_seed_sentiment

RAGGED = [3, 0, 5, 1, 5, 2]


@pytest.fixture(scope="module")
def seed_data():
    return load_seed_sentiment()


def _bucket(feature):
    return abs(murmurhash3_32(feature, seed=0)) % _linear.BAG_BUCKETS


# ---------------------------------------------------------------------------- the bag
def test_the_bag_holds_each_word_and_bigram_once_at_unit_length():
    bag = _linear.ngram_bag([["not", "good", "not", "good"], [], ["good"]], 2)
    assert bag.shape == (3, _linear.BAG_BUCKETS)
    first = {_bucket(f) for f in ["not", "good", "not good", "good not"]}
    assert set(bag[0].indices) == first
    np.testing.assert_allclose(bag[0].data, 1 / np.sqrt(len(first)))
    assert bag[1].nnz == 0
    assert list(bag[2].indices) == [_bucket("good")] and bag[2].data[0] == 1.0
    unigrams = _linear.ngram_bag([["not", "good", "not", "good"]], 1)
    assert set(unigrams.indices) == {_bucket("not"), _bucket("good")}
    trigrams = _linear.ngram_bag([["a", "b", "c"]], 3)
    assert set(trigrams.indices) == {_bucket(f) for f in ["a", "b", "c", "a b", "b c",
                                                          "a b c"]}


def test_bag_logits_are_the_dense_product_and_each_row_its_own():
    rng = np.random.default_rng(0)
    bag = _linear.ngram_bag([["a", "b"], ["c"], [], ["a", "b", "d", "e"]], 2)
    Wbag = np.asfortranarray(rng.normal(size=(3, _linear.BAG_BUCKETS)).astype(np.float32))
    expected = (bag @ Wbag.astype(np.float64).T)
    got = _rnn.bag_logits(Wbag, bag, np.float64)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    for i in range(4):  # alone, bit for bit the row of the batch
        np.testing.assert_array_equal(_rnn.bag_logits(Wbag, bag[i], np.float64), got[i : i + 1])
    assert _rnn.bag_logits(Wbag, bag).dtype == np.float32


def _text_case(seed, arch, embedding, n_buckets=12, n_classes=3):
    rng = np.random.default_rng(seed)
    vocab = 6
    lengths = np.array(RAGGED)
    ids = rng.integers(0, vocab, size=int(lengths.sum()))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    batch = _packing.pack_ragged(ids, starts, lengths)
    params = random_params(rng, arch, vocab, n_classes=n_classes, embedding=embedding)
    params["Wbag"] = np.asfortranarray(rng.normal(size=(n_classes, n_buckets)))
    dense = rng.uniform(0.2, 1.0, size=(len(lengths), n_buckets))
    dense[rng.uniform(size=dense.shape) < 0.5] = 0.0
    dense[1] = 0.0  # the empty document has an empty bag
    bag = sp.csr_matrix(dense)[batch.order]
    y = rng.integers(0, n_classes, size=len(lengths))[batch.order]
    w = rng.uniform(0.5, 2.0, size=len(lengths))
    return params, batch, bag, y, w


@pytest.mark.parametrize("embedding", [None, 3])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", ["tanh", "gru", "lstm"])
def test_gradients_with_the_linear_path_match_finite_differences(cell, bidirectional,
                                                                 embedding):
    arch = _rnn.Arch(cell, bidirectional, ("max", "mean"))
    params, batch, bag, y, w = _text_case(5, arch, embedding)
    alpha, bag_alpha = 0.2, 0.3
    used = np.unique(bag.indices)

    def loss():
        feats, _ = _rnn.features_forward(params, batch, arch)
        logits = feats @ params["Why"].T + params["by"] + bag @ params["Wbag"].T
        value = _rnn.softmax_cross_entropy(logits, y, w)[0]
        for name, p in params.items():
            if name == "Wbag":
                value += 0.5 * bag_alpha * float(np.sum(p[:, used] ** 2))
            elif name.startswith("W"):
                if name == "Wemb" or ("Wemb" not in params and name.startswith("Wxh")):
                    p = p[:, np.unique(batch.ids)]
                value += 0.5 * alpha * float(np.sum(p * p))
        return value

    value, grads = _rnn.loss_and_grads(params, batch, y, w, alpha, arch=arch, bag=bag,
                                       bag_alpha=bag_alpha)
    np.testing.assert_allclose(value, loss(), rtol=1e-12)
    assert sorted(grads) == sorted(params)
    assert isinstance(grads["Wbag"], _rnn.ColumnGrad)
    np.testing.assert_array_equal(grads["Wbag"].columns, used)
    expected = numeric_grad(params, loss)
    for name, grad in grads.items():
        if isinstance(grad, _rnn.ColumnGrad):
            grad = grad.to_dense(params[name].shape[1])
        np.testing.assert_allclose(grad, expected[name], rtol=1e-6, atol=1e-8, err_msg=name)
    # a frozen linear path: the same other gradients, none for Wbag
    _, frozen = _rnn.loss_and_grads(params, batch, y, w, alpha, arch=arch, bag=bag,
                                    train_bag=False)
    assert "Wbag" not in frozen
    np.testing.assert_array_equal(frozen["Why"], grads["Why"])


# ------------------------------------------------------------------- the linear fit
def test_fit_linear_is_logistic_regression_on_the_columns_of_two_documents():
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(30)]
    docs = [list(rng.choice(words, size=rng.integers(1, 8))) for _ in range(120)]
    y = np.array([int(any(w in d for w in words[:5])) + int("w7" in d) for d in docs])
    bag = _linear.ngram_bag(docs, 2)
    w = np.ones(len(y))
    fit = _linear.fit_linear(bag, y, w, 3, C=4.0)
    columns, df = np.unique(bag.indices, return_counts=True)
    np.testing.assert_array_equal(fit.columns, columns[df >= 2])
    X = _linear.restrict_bag(bag, fit.columns)
    # the same objective: the penalty against the summed loss, the bias not penalized
    reference = LogisticRegression(C=4.0, tol=1e-10, max_iter=10_000).fit(X, y)
    proba = np.exp(fit.log_proba(bag))
    assert _linear.fit_linear(bag, y, w, 3).C == _linear.BAG_C
    # within L-BFGS's tolerance; a penalty off by a factor of 2 is far off
    np.testing.assert_allclose(proba, reference.predict_proba(X), atol=1e-3)
    other = LogisticRegression(C=8.0, tol=1e-10, max_iter=10_000).fit(X, y)
    assert np.abs(proba - other.predict_proba(X)).max() > 1e-2


def test_restrict_bag_keeps_only_the_given_columns():
    bag = sp.csr_matrix(np.array([[0, 1.0, 0, 2.0, 3.0], [4.0, 0, 0, 0, 0], [0] * 5]))
    got = _linear.restrict_bag(bag, np.array([1, 4]))
    np.testing.assert_array_equal(got.toarray(), [[1.0, 3.0], [0, 0], [0, 0]])
    assert _linear.restrict_bag(bag, np.array([], dtype=np.intp)).shape == (3, 0)


# --------------------------------------------------------------------- the estimator
def _corpus(n=700, seed=0):
    """Documents whose label is whether they hold 'good' (a linear model's task)."""
    rng = np.random.default_rng(seed)
    filler = [f"f{i}" for i in range(50)]
    docs, y = [], []
    for i in range(n):
        words = list(rng.choice(filler, size=rng.integers(2, 7)))
        label = i % 2
        words.insert(int(rng.integers(0, len(words))), "good" if label else "bad")
        docs.append(" ".join(words))
        y.append(label)
    return docs, np.array(y)


SMALL = dict(hidden_size=4, embedding_size=4, subword_ngrams=None, max_iter=3,
             random_state=0)


def test_the_default_has_a_linear_path_with_the_documented_weights(seed_data):
    X, _, y, _ = seed_data
    clf = RNNSentimentClassifier(random_state=0).fit(X, y)
    assert clf.word_ngrams == 2
    Wbag = clf.weights_["Wbag"]
    assert Wbag.shape == (2, 2**20) and Wbag.flags.f_contiguous
    assert Wbag.dtype == np.float32
    bag = _linear.ngram_bag([t.split() for t in X], 2)
    assert np.count_nonzero(Wbag.any(axis=0)) <= len(np.unique(bag.indices))
    numeric = RNNSentimentClassifier(**SMALL).fit(np.random.default_rng(0).normal(
        size=(20, 4)), [0, 1] * 10)
    assert "Wbag" not in numeric.weights_


@pytest.mark.parametrize("max_len", [None, 2])
def test_fit_hashes_the_ngrams_once_into_the_documented_bags(seed_data, max_len, monkeypatch):
    from sklearn_rnn._data import text_input

    X = seed_data[0]
    clf = RNNSentimentClassifier(max_len=max_len)
    calls = []
    hashed_ngrams = _linear.hashed_ngrams
    monkeypatch.setattr(_classifier, "hashed_ngrams",
                        lambda *a: calls.append(a) or hashed_ngrams(*a))
    data = text_input(X, clf._analyzer)
    seqs = clf._sequences("text", data, fitting=True)
    assert len(calls) == 1
    tokens = [t if max_len is None else t[-max_len:] for t in data.tokens()]
    idf = _linear.inverse_document_frequency(_linear.ngram_bag(tokens, 2))
    np.testing.assert_array_equal(clf._bag_idf, idf)
    expected = _linear.ngram_bag(tokens, 2, idf)
    for part in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(seqs.bag, part), getattr(expected, part))


def test_the_linear_path_alone_is_kept_when_the_network_is_not_clearly_better(
        monkeypatch, capsys):
    X, y = _corpus()
    monkeypatch.setattr(_training, "CLEARLY_BETTER", np.inf)
    clf = RNNSentimentClassifier(verbose=1, **SMALL).fit(X, y)
    out = capsys.readouterr().out
    assert "Kept the linear path alone" in out
    assert not clf.weights_["Why"].any()
    # the linear model refitted on every sample, with its C
    C = float(re.search(r"Linear path: C=([0-9.]+)", out).group(1))
    assert C == _linear.BAG_C == 4.0
    bag = _linear.ngram_bag([d.split() for d in X], 2, clf._bag_idf)
    proba = clf.predict_proba(X)
    gaps = {other: np.abs(proba - np.exp(_linear.fit_linear(
        bag, y, np.ones(len(y)), 2, other).log_proba(bag))).mean()
        for other in (1.0, 4.0, 16.0)}
    # (within the tolerance of L-BFGS, started elsewhere)
    assert min(gaps, key=gaps.get) == C and gaps[C] < 0.01
    assert clf.score(X, y) == 1.0


def test_the_network_is_kept_when_clearly_better(monkeypatch, capsys):
    X, y = _corpus()
    # a linear start so penalized that the epochs after it improve on it
    monkeypatch.setattr(_linear, "BAG_C", 1e-3)
    monkeypatch.setattr(_training, "CLEARLY_BETTER", -np.inf)
    clf = RNNSentimentClassifier(verbose=1, **SMALL).fit(X, y)
    out = capsys.readouterr().out
    assert "Linear path: C=" in out and "Kept the linear path alone" not in out
    assert clf.weights_["Why"].any()


def test_partial_fit_trains_the_linear_path_sparsely(seed_data):
    X, _, y, _ = seed_data
    clf = RNNSentimentClassifier(**dict(SMALL, learning_rate_init=0.01, ema_decay=None))
    clf.partial_fit(X[:10], y[:10], classes=[False, True])
    Wbag = clf.weights_["Wbag"]
    used = np.unique(_linear.ngram_bag([d.split() for d in X[:10]], 2).indices)
    assert set(np.flatnonzero(Wbag.any(axis=0))) == set(used)
    # Adam's first step moves each column by its learning rate: 10 times the network's
    # (the averaged weights of one step are the weights)
    np.testing.assert_allclose(np.abs(Wbag[:, used]), 0.1, rtol=1e-3)
    before = Wbag.copy()
    clf.partial_fit(X[10:12], y[10:12])
    after = clf.weights_["Wbag"]
    second = np.unique(_linear.ngram_bag([d.split() for d in X[10:12]], 2).indices)
    changed = np.flatnonzero((after != before).any(axis=0))
    assert set(changed) <= set(second) and len(changed)


@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_continuing_refuses_a_changed_word_ngrams(how, seed_data):
    X, _, y, _ = seed_data
    clf = RNNSentimentClassifier(warm_start=how == "warm_start", **SMALL)
    getattr(clf, "partial_fit" if how == "partial_fit" else "fit")(X, y)
    clf.set_params(word_ngrams=None)
    with pytest.raises(ValueError, match="word_ngrams changed"):
        getattr(clf, "partial_fit" if how == "partial_fit" else "fit")(X, y)


def test_warm_start_trains_the_linear_path_with_the_network(seed_data):
    X, _, y, _ = seed_data
    clf = RNNSentimentClassifier(warm_start=True, **SMALL).fit(X, y)
    before = clf.weights_["Wbag"].copy()
    clf.fit(X, y)
    assert (clf.weights_["Wbag"] != before).any()


@pytest.mark.parametrize("value", [0, -1, 1.5, "2"])
def test_invalid_word_ngrams_is_refused(value, seed_data):
    X, _, y, _ = seed_data
    with pytest.raises(InvalidParameterError, match="word_ngrams"):
        RNNSentimentClassifier(word_ngrams=value).fit(X, y)


def test_documents_with_the_same_ids_but_other_words_are_not_merged():
    bag = _linear.ngram_bag([["a"], ["b"], ["a"]], 2)
    seqs = Sequences(TokenIds.from_lengths(np.array([7, 7, 7]), np.array([1, 1, 1])),
                     bag=bag)
    merged, y, w = distinct_samples(seqs, np.array([0, 0, 0]), np.ones(3))
    assert len(merged) == 2 and sorted(w) == [1.0, 2.0]
    assert merged.bag.shape == (2, _linear.BAG_BUCKETS)


def test_the_bag_reads_the_tokens_the_network_reads(seed_data):
    X, _, y, _ = seed_data
    clf = RNNSentimentClassifier(max_len=2, **SMALL).fit(X, y)
    seqs = clf._encode([["a", "b", "good", "day"]])
    expected = _linear.ngram_bag([["good", "day"]], 2, clf._bag_idf)
    assert expected.nnz
    np.testing.assert_array_equal(seqs.bag.indices, expected.indices)


def test_the_bag_is_tfidf_vectorizer_s_binary_smooth_idf_of_the_training_documents():
    from sklearn.feature_extraction.text import TfidfVectorizer

    train = [["a", "b", "a"], ["b", "c"], ["c", "d", "e"], ["a"]]
    bag = _linear.ngram_bag(train, 2)
    idf = _linear.inverse_document_frequency(bag)
    assert idf.shape == (_linear.BAG_BUCKETS,) and idf.dtype == np.float32
    seen = np.unique(bag.indices)
    assert np.count_nonzero(idf) == len(seen)
    test = [["a", "b", "unseen"], ["d", "e"], ["never", "seen"], [], ["c", "unseen"]]
    got = _linear.ngram_bag(test, 2, idf)
    vectorizer = TfidfVectorizer(analyzer=lambda doc: [f.decode() for f in
                                                       _linear._features(doc, 2)],
                                 binary=True, smooth_idf=True).fit(train)
    expected = vectorizer.transform(test)
    for i in range(len(test)):  # the same values; an n-gram no training document had
        np.testing.assert_allclose(sorted(got[i].data), sorted(expected[i].data),
                                   rtol=1e-6)
    assert got[2].nnz == 0 and got[3].nnz == 0
    assert list(got[4].data) == [1.0]  # a single seen n-gram is of length 1 too


def test_later_partial_fit_calls_keep_the_n_gram_weights_of_the_first(seed_data):
    X, _, y, _ = seed_data
    clf = RNNSentimentClassifier(**SMALL).partial_fit(X[:20], y[:20], classes=[False, True])
    idf = clf._bag_idf.copy()
    clf.partial_fit(X[20:], y[20:])
    np.testing.assert_array_equal(clf._bag_idf, idf)
    first = _linear.ngram_bag([d.split() for d in X[:20]], 2)
    np.testing.assert_array_equal(idf, _linear.inverse_document_frequency(first))


def test_with_hash_buckets_every_n_gram_weighs_one_and_later_calls_train_their_own():
    X = ["good movie", "bad movie", "not good at all", "terrible film"]
    y = [1, 0, 0, 0]
    clf = RNNSentimentClassifier(hash_buckets=256, **dict(SMALL, ema_decay=None))
    clf.partial_fit(X, y, classes=[0, 1])
    assert not hasattr(clf, "_bag_idf")
    np.testing.assert_array_equal(clf._encode([["good", "movie"]]).bag.indices,
                                  _linear.ngram_bag([["good", "movie"]], 2).indices)
    new = _linear.ngram_bag([["zebra", "crossing"]], 2).indices
    assert not clf.weights_["Wbag"][:, new].any()
    clf.partial_fit(["zebra crossing"], [1])
    assert clf.weights_["Wbag"][:, new].all()
    [why] = explain_prediction(clf, ["zebra crossing good"])
    assert why.scores.sum() == pytest.approx(why.log_proba - why.baseline_log_proba,
                                             rel=0.01)


def test_a_fit_started_at_its_own_solution_stays_there():
    rng = np.random.default_rng(4)
    docs = [list(rng.choice([f"w{i}" for i in range(20)], size=5)) for _ in range(80)]
    y = np.array([int("w1" in d) for d in docs])
    bag = _linear.ngram_bag(docs, 2)
    fit = _linear.fit_linear(bag, y, np.ones(len(y)), 2)
    again = _linear.fit_linear(bag, y, np.ones(len(y)), 2, start=fit)
    np.testing.assert_array_equal(again.W, fit.W)
    np.testing.assert_array_equal(again.b, fit.b)


def test_restrict_bag_drops_columns_beyond_the_last_kept_one():
    bag = sp.csr_matrix(np.array([[1.0, 2.0, 0, 3.0]]))
    np.testing.assert_array_equal(_linear.restrict_bag(bag, np.array([1])).toarray(), [[2.0]])
    np.testing.assert_array_equal(_linear.restrict_bag(bag, np.array([0])).toarray(), [[1.0]])


def test_the_linear_path_kept_alone_weighs_only_the_n_grams_of_two_documents(monkeypatch):
    X, y = _corpus()
    monkeypatch.setattr(_training, "CLEARLY_BETTER", np.inf)
    clf = RNNSentimentClassifier(**SMALL).fit(X, y)
    bag = _linear.ngram_bag([d.split() for d in X], 2, clf._bag_idf)
    columns, df = np.unique(bag.indices, return_counts=True)
    weighted = np.flatnonzero(clf.weights_["Wbag"].any(axis=0))
    assert set(weighted) <= set(columns[df >= 2]) and len(weighted)
