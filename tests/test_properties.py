"""Properties that hold for any input: hostile text, labels of every type, numeric shapes
and values, batch and order independence, and independence from the hash seed."""

import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_rnn import RNNSentimentClassifier

ROOT = Path(__file__).resolve().parents[1]

# the same examples on every run (no example database), a few seconds per test
PROPERTY = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.large_base_example],
)
FEW = settings(PROPERTY, max_examples=10)

# a tiny model of the default architecture (bidirectional GRU, max+mean pooling, an
# embedding with subword n-grams), and the tutorial's (tanh, forwards, last state)
TINY = dict(hidden_size=4, embedding_size=4, max_iter=2, random_state=0)
TUTORIAL = dict(cell="tanh", bidirectional=False, pooling="last", embedding_size=None,
                subword_ngrams=None, word_ngrams=None, ema_decay=None)

CORPUS = ["i am very happy", "this is not good", "good good movie", "bad and sad",
          "not bad at all", "i am not happy", "what a great day", "this is terrible"]
LABELS = [1, 0, 1, 0, 1, 0, 1, 0]

HOSTILE = [
    "", " ", "\t\n\r\x0b\x0c ", "\u00a0\u2028\u2029\u3000",
    "\u200b", "\u200c\u200d", "\ufeff", "a\u200bb\u200dc",
    "\x00", "\x00good\x00", "\x01\x02\x1b[31mred\x1b[0m\x7f", "\ud7ff\ue000\uffff",
    "😀", "👍🏽 👍🏿", "👨\u200d👩\u200d👧\u200d👦", "🇫🇷🇩🇪", "😀" * 2000,
    "e\u0301", "\u0301\u0302\u0303", "Z\u0334\u0327\u031b\u0353a\u0338l\u0337g\u0336o\u0335",
    "שלום עולם", "مرحبا بالعالم", "\u202egood\u202c \u2066bad\u2069", "\u200f\u200e",
    "a" * 10_000, "\u00e9" * 10_000, "good " + "x" * 10_000 + " bad",
    "İSTANBUL ß ﬁ Ω ǅ", "日本語のテキスト 中文", "𝔤𝔬𝔬𝔡 𝟙𝟚𝟛",
]
# every Unicode category but surrogates (a str may hold one; UTF-8 may not)
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
PIECE = st.one_of(st.sampled_from(HOSTILE), ANY_TEXT,
                  st.sampled_from(" ".join(CORPUS).split()))
DOCUMENT = st.one_of(
    st.sampled_from(HOSTILE),
    ANY_TEXT,
    st.lists(PIECE, max_size=5).flatmap(
        lambda pieces: st.sampled_from(["", " ", "\u200d"]).map(lambda sep: sep.join(pieces))),
)
DOCUMENTS = st.lists(DOCUMENT, min_size=1, max_size=8)


def _model(tutorial, **params):
    """A tiny estimator of the default architecture, or of the tutorial's."""
    return RNNSentimentClassifier(**{**TINY, **(TUTORIAL if tutorial else {}), **params})


@cache
def _text_model(tutorial, dtype="float32"):
    return _model(tutorial, dtype=dtype).fit(CORPUS, LABELS)


def _check_predictions(clf, X):
    """``predict_proba`` is finite, shaped right, rows sum to 1; ``predict`` its argmax."""
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), len(clf.classes_))
    assert np.isfinite(proba).all()
    assert (proba >= 0).all()
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    predicted = clf.predict(X)
    assert np.isin(predicted, clf.classes_).all()
    assert_array_equal(predicted, clf.classes_[proba.argmax(axis=1)])
    return proba


# ---------------------------------------------------------------- hostile text
@pytest.mark.parametrize("tutorial", [False, True], ids=["default", "tutorial"])
@PROPERTY
@given(docs=DOCUMENTS)
def test_any_documents_are_predicted(tutorial, docs):
    _check_predictions(_text_model(tutorial), docs)


@PROPERTY
@given(tokens=st.lists(st.lists(st.text(max_size=12) | st.sampled_from(HOSTILE) | st.text(
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3),
    max_size=6), min_size=1, max_size=6).filter(lambda rows: any(rows)))
def test_any_token_lists_are_predicted(tokens):
    # pre-tokenised documents may hold any str, lone surrogates included
    _check_predictions(_text_model(False), tokens)


@pytest.mark.parametrize("tutorial", [False, True], ids=["default", "tutorial"])
@PROPERTY
@given(data=st.data())
def test_fitting_on_hostile_corpora(tutorial, data):
    docs = data.draw(st.lists(DOCUMENT, min_size=2, max_size=8), label="docs")
    y = data.draw(st.lists(st.sampled_from(["neg", "pos", "neu"]), min_size=len(docs),
                           max_size=len(docs)), label="y")
    y[:2] = ["neg", "pos"]  # at least two classes
    clf = _model(tutorial, min_df=1).fit(docs, y)
    assert_array_equal(clf.classes_, np.unique(y))
    assert np.isfinite(clf.loss_)
    for name, value in clf.weights_.items():
        assert np.isfinite(value).all(), name
    _check_predictions(clf, docs)
    _check_predictions(clf, data.draw(DOCUMENTS, label="new docs"))


@pytest.mark.parametrize("tutorial", [False, True], ids=["default", "tutorial"])
@FEW
@given(docs=st.lists(st.sampled_from(["", " ", "\t\n", "\u200b", "\x00", "!?.", "😀 👍🏽",
                                      "\u0301", "\u200f"]), min_size=2, max_size=8))
def test_a_corpus_without_a_single_token_is_learned_as_class_priors(tutorial, docs):
    # nothing to read: the model fits, with an empty vocabulary, and scores every
    # document without a token alike (from the output bias alone)
    y = [i % 2 for i in range(len(docs))]
    clf = _model(tutorial).fit(docs, y)
    assert clf.vocabulary_ == {}
    proba = _check_predictions(clf, docs + ["", "\u200b\u200d"])
    assert_array_equal(proba, np.broadcast_to(proba[0], proba.shape))


def test_documents_that_are_not_str_are_named():
    clf = _text_model(False)
    for bad, what in [(None, "None"), (3, "int 3"), (b"\xffgood", "not valid UTF-8"),
                      (["good"], "list")]:
        with pytest.raises(ValueError, match=rf"X\[1\] is {what}"):
            clf.predict(["good", bad])


# ---------------------------------------------------------------------- labels
LABEL_KINDS = {
    "int": st.integers(-(2**62), 2**62),
    # numpy's str arrays drop trailing NULs: "a" and "a\x00" would be one label
    "str": st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
                   min_size=1, max_size=8),
    "bool": st.booleans(),
    "np.int8": st.integers(-128, 127).map(np.int8),
    "np.int64": st.integers(-(2**62), 2**62).map(np.int64),
    "np.uint16": st.integers(0, 2**16 - 1).map(np.uint16),
}
X_LABELS = np.random.RandomState(0).normal(size=(6, 2, 1))


def _draw_labels(data, kind):
    labels = data.draw(st.lists(LABEL_KINDS[kind], min_size=2, max_size=3, unique=True),
                       label="labels")
    y = data.draw(st.lists(st.sampled_from(labels), min_size=4, max_size=4), label="y")
    return labels[:2] + y


def _object_array(values):
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


@PROPERTY
@given(data=st.data(), kind=st.sampled_from(sorted(LABEL_KINDS)),
       container=st.sampled_from(["list", "array", "object array"]))
def test_labels_come_back_as_given(data, kind, container):
    if container == "object array":
        kind = "str"  # scikit-learn takes objects only as str labels (see below)
    given = _draw_labels(data, kind)
    y = {"list": given, "array": np.array(given), "object array": _object_array(given)}[
        container]
    clf = RNNSentimentClassifier(hidden_size=2, max_iter=1, random_state=0,
                                 **TUTORIAL).fit(X_LABELS, y)
    assert clf.classes_.tolist() == sorted(set(given))
    predicted = clf.predict(X_LABELS)
    assert predicted.dtype == np.asarray(y).dtype
    assert set(predicted.tolist()) <= set(np.asarray(y).tolist())
    for label in predicted:
        # the very values and types given (an object array keeps Python objects)
        assert type(label) in {type(v) for v in np.asarray(y)}


@FEW
@given(data=st.data(), kind=st.sampled_from(sorted(set(LABEL_KINDS) - {"str"})))
def test_object_arrays_of_numbers_are_refused_as_scikit_learn_does(data, kind):
    # type_of_target calls an object array whose first label is not a str "unknown"
    y = _object_array(_draw_labels(data, kind))
    with pytest.raises(ValueError, match="Unknown label type: unknown"):
        RNNSentimentClassifier(max_iter=1).fit(X_LABELS, y)


@PROPERTY
@given(data=st.data())
def test_labels_mixing_str_and_numbers_are_refused(data):
    numbers = data.draw(st.lists(LABEL_KINDS["int"] | LABEL_KINDS["bool"]
                                 | LABEL_KINDS["np.int64"], min_size=1, max_size=3))
    strings = data.draw(st.lists(LABEL_KINDS["str"], min_size=1, max_size=3))
    y = data.draw(st.permutations(numbers + strings))
    X = np.zeros((len(y), 2))
    with pytest.raises(ValueError, match=r"Mix of label input types \(string and number\)"):
        RNNSentimentClassifier(max_iter=1).fit(X, _object_array(y))


# ------------------------------------------------------------- numeric input
FINITE = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@st.composite
def _sequences(draw, n_samples=None, n_steps=None, n_features=None):
    shape = (
        n_samples or draw(st.integers(2, 6), label="n_samples"),
        n_steps or draw(st.integers(1, 4), label="n_steps"),
        n_features or draw(st.integers(1, 3), label="n_features"),
    )
    return draw(hnp.arrays(np.float64, shape, elements=FINITE))


@PROPERTY
@given(X=_sequences(), data=st.data())
def test_numeric_sequences_of_any_shape(X, data):
    y = np.arange(len(X)) % 2
    clf = RNNSentimentClassifier(**TINY).fit(X, y)
    assert clf.n_features_in_ == X.shape[1]
    assert clf.weights_["Wxh"].shape[1] == X.shape[2]
    _check_predictions(clf, X)
    new = data.draw(_sequences(n_steps=X.shape[1], n_features=X.shape[2]), label="new")
    _check_predictions(clf, new)
    if X.shape[2] == 1:  # a 2-D array is one feature per step
        assert_array_equal(clf.predict_proba(new[:, :, 0]), clf.predict_proba(new))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
@FEW
@given(X=_sequences(), where=st.data())
def test_nan_and_inf_anywhere_are_refused_by_name(bad, X, where):
    y = np.arange(len(X)) % 2
    clf = RNNSentimentClassifier(**TINY).fit(X, y)
    index = tuple(where.draw(st.integers(0, n - 1)) for n in X.shape)
    X[index] = bad
    message = "NaN" if np.isnan(bad) else "infinity"
    with pytest.raises(ValueError, match=f"Input X contains {message}"):
        clf.predict_proba(X)
    with pytest.raises(ValueError, match=f"Input X contains {message}"):
        RNNSentimentClassifier(**TINY).fit(X, y)


@FEW
@given(lengths=st.lists(st.integers(1, 5), min_size=2, max_size=5, unique=True))
def test_ragged_numeric_sequences_are_refused(lengths):
    # numeric sequences share one length (pad them); only text may be ragged
    X = [np.ones((n, 2)) for n in lengths]
    with pytest.raises(ValueError, match="inhomogeneous"):
        RNNSentimentClassifier(**TINY).fit(X, np.arange(len(X)) % 2)


# ------------------------------------------------------------ batch independence
N_STEPS, N_FEATURES = 3, 2


@cache
def _numeric_model(tutorial):
    X = np.random.RandomState(1).normal(size=(10, N_STEPS, N_FEATURES))
    return _model(tutorial, dtype="float64").fit(X, np.arange(10) % 3)


def _assert_alone_as_in_a_batch(clf, target, others, position):
    batch = others[:position] + [target] + others[position:]
    if not isinstance(target, str):
        batch = np.stack(batch)
        target = target[np.newaxis]
    else:
        target = [target]
    alone = clf.predict_proba(target)[0]
    assert_allclose(clf.predict_proba(batch)[position], alone, rtol=0, atol=1e-12)


@pytest.mark.parametrize("tutorial", [False, True], ids=["default", "tutorial"])
@PROPERTY
@given(target=DOCUMENT, others=st.lists(DOCUMENT, max_size=12), data=st.data())
def test_a_document_is_scored_alone_as_in_any_batch(tutorial, target, others, data):
    position = data.draw(st.integers(0, len(others)), label="position")
    _assert_alone_as_in_a_batch(_text_model(tutorial, "float64"), target, others, position)


@pytest.mark.parametrize("tutorial", [False, True], ids=["default", "tutorial"])
@PROPERTY
@given(target=_sequences(1, N_STEPS, N_FEATURES),
       others=st.lists(_sequences(1, N_STEPS, N_FEATURES), max_size=12), data=st.data())
def test_a_sequence_is_scored_alone_as_in_any_batch(tutorial, target, others, data):
    position = data.draw(st.integers(0, len(others)), label="position")
    _assert_alone_as_in_a_batch(_numeric_model(tutorial), target[0], [o[0] for o in others],
                                position)


# ------------------------------------------------------------ order independence
ORDER_CORPUS = CORPUS + ["good", "bad", "not good", "not bad", "i am very happy",
                         "so so", "great", "terrible day", "happy happy", "sad movie",
                         "this is not good", "a"]
ORDER_LABELS = LABELS + [1, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1]
ORDER_X = np.random.RandomState(2).normal(size=(20, 3, 2))
ORDER_X[10] = ORDER_X[3]  # a duplicate, as in the text corpus
ORDER_CASES = {
    "minibatches": (dict(batch_size=4, shuffle=True), ORDER_CORPUS),
    "full batch": (dict(), ORDER_CORPUS),
    "numeric": (dict(batch_size=4, shuffle=True), ORDER_X),
}


def _order_fit(case, order):
    params, X = ORDER_CASES[case]
    X = [X[i] for i in order] if isinstance(X, list) else X[order]
    y = np.asarray(ORDER_LABELS)[order]
    return _model(False, max_iter=3, dtype="float64", **params).fit(X, y)


@cache
def _order_reference(case):
    return _order_fit(case, np.arange(len(ORDER_LABELS)))


@pytest.mark.parametrize("case", ORDER_CASES)
@FEW
@given(order=st.permutations(range(len(ORDER_LABELS))))
def test_fit_does_not_depend_on_the_order_of_the_samples(case, order):
    reference = _order_reference(case)
    clf = _order_fit(case, np.array(order))
    assert clf.weights_.keys() == reference.weights_.keys()
    for name, value in reference.weights_.items():
        assert_allclose(clf.weights_[name], value, rtol=1e-12, atol=0, err_msg=name)
    X = ORDER_CASES[case][1]
    assert_array_equal(clf.predict(X), reference.predict(X))


# ------------------------------------------------------------------ hash seed
_FIT_AND_DIGEST = """
import hashlib
import numpy as np
from sklearn_rnn import RNNSentimentClassifier

rng = np.random.RandomState(0)
letters = list("abcdefghijklmnopqrstuvwxyz")
words = ["".join(rng.choice(letters, size=rng.randint(2, 9))) for _ in range(60)]
docs = [" ".join(rng.choice(words, size=rng.randint(1, 7))) for _ in range(40)]
y = rng.randint(0, 3, size=40)
clf = RNNSentimentClassifier(hidden_size=8, max_iter=3, batch_size=8, random_state=0)
clf.fit(docs, y)
digest = hashlib.sha256(repr(sorted(clf.vocabulary_.items())).encode())
for name in sorted(clf.weights_):
    digest.update(name.encode())
    digest.update(np.ascontiguousarray(clf.weights_[name]).tobytes())
import sklearn_rnn
print(sklearn_rnn.__file__, len(clf.vocabulary_), digest.hexdigest())
"""


def test_fit_is_bit_identical_whatever_the_hash_seed():
    digests = []
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "OMP_NUM_THREADS": "1",
               "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        done = subprocess.run([sys.executable, "-c", _FIT_AND_DIGEST], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        module, n_words, digest = done.stdout.split()
        assert Path(module).parent == ROOT / "sklearn_rnn"  # this checkout's package
        assert int(n_words) > 20  # many words, so that a set's order would show
        digests.append(digest)
    assert len(digests[0]) == 64
    assert digests[0] == digests[1]
