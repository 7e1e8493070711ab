"""Saving and loading with skops: the round trip, and the README's list of trusted types."""

import ast
import copy
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import skops.io as sio
from numpy.testing import assert_array_equal

from sklearn_rnn import RNNSentimentClassifier
from sklearn_rnn.datasets import load_seed_sentiment

README = Path(__file__).resolve().parents[1] / "README.md"


def _documented_trusted():
    """``trusted`` and ``trusted_partial`` as the README's section on saving assigns them."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### Saving and loading a model", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, re.S)
    namespace = {}
    for node in ast.parse(block).body:
        if isinstance(node, ast.Assign) and node.targets[0].id in ("trusted",
                                                                   "trusted_partial"):
            exec(compile(ast.Module([node], type_ignores=[]), str(README), "exec"),
                 namespace)
    return namespace["trusted"], namespace["trusted_partial"]


TRUSTED, TRUSTED_PARTIAL = _documented_trusted()


def _text_data():
    X_train, X_test, y_train, _ = load_seed_sentiment()
    return X_train, y_train, X_test


def _numeric_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(16, 5, 2))
    y = np.array(["down", "up"])[(X[:, :, 0].sum(axis=1) > 0).astype(int)]
    return X, y, rng.normal(size=(7, 5, 2))


MODELS = {
    "text": (dict(subword_ngrams=(3, 5)), _text_data),  # the linear path and subwords
    "numeric": (dict(), _numeric_data),
    "text-sgd": (dict(solver="sgd"), _text_data),
}


def _fitted(name, partial=False):
    params, data = MODELS[name]
    X, y, X_new = data()
    clf = RNNSentimentClassifier(hidden_size=4, max_iter=3, random_state=0, **params)
    if partial:
        clf.partial_fit(X, y).partial_fit(X, y)
    else:
        clf.fit(X, y)
    return clf, X, y, X_new


def _assert_same_model(loaded, clf, X_new):
    assert type(loaded) is RNNSentimentClassifier
    assert loaded.get_params() == clf.get_params()
    assert_array_equal(loaded.classes_, clf.classes_)
    assert loaded.classes_.dtype == clf.classes_.dtype
    assert getattr(loaded, "vocabulary_", None) == getattr(clf, "vocabulary_", None)
    assert loaded.weights_.keys() == clf.weights_.keys()
    for name, value in clf.weights_.items():
        assert loaded.weights_[name].dtype == value.dtype, name
        assert_array_equal(loaded.weights_[name], value, err_msg=name)
    assert_array_equal(loaded.predict_proba(X_new), clf.predict_proba(X_new))
    assert_array_equal(loaded.predict(X_new), clf.predict(X_new))


@pytest.mark.parametrize("name", MODELS)
def test_skops_round_trip_in_memory(name):
    clf, X, y, X_new = _fitted(name)
    loaded = sio.loads(sio.dumps(clf), trusted=TRUSTED)
    _assert_same_model(loaded, clf, X_new)
    # the loaded model goes on training exactly as the original does
    loaded.partial_fit(X, y)
    clf.partial_fit(X, y)
    _assert_same_model(loaded, clf, X_new)


@pytest.mark.parametrize("name", MODELS)
def test_skops_round_trip_through_a_file(name, tmp_path):
    clf, _, _, X_new = _fitted(name)
    path = tmp_path / "model.skops"
    sio.dump(clf, path)
    _assert_same_model(sio.load(path, trusted=TRUSTED), clf, X_new)


@pytest.mark.parametrize("name", MODELS)
def test_partial_fit_model_round_trip_keeps_the_optimizer_state(name):
    clf, X, y, X_new = _fitted(name, partial=True)
    loaded = sio.loads(sio.dumps(clf), trusted=TRUSTED_PARTIAL)
    _assert_same_model(loaded, clf, X_new)
    loaded.partial_fit(X, y)
    clf.partial_fit(X, y)
    _assert_same_model(loaded, clf, X_new)


def test_documented_trusted_types_are_the_ones_a_fitted_model_holds():
    text = sio.get_untrusted_types(data=sio.dumps(_fitted("text")[0]))
    numeric = sio.get_untrusted_types(data=sio.dumps(_fitted("numeric")[0]))
    # text with subwords and numeric input hold the same types
    assert sorted(text) == sorted(TRUSTED)
    assert sorted(numeric) == sorted(TRUSTED)


SETTINGS = {
    "text": (dict(), _text_data),
    "text, subwords": (dict(subword_ngrams=(3, 5)), _text_data),
    "text, no linear path": (dict(word_ngrams=None), _text_data),
    "text, no subwords": (dict(subword_ngrams=None), _text_data),
    "text, subwords without embedding": (dict(embedding_size=None, subword_ngrams=(2, 4)),
                                         _text_data),
    "text, hash_buckets": (dict(hash_buckets=256), _text_data),
    "text, hash_buckets, subwords": (dict(hash_buckets=256, subword_ngrams=(3, 5)),
                                     _text_data),
    "text, hash_buckets, no subwords": (dict(hash_buckets=256, subword_ngrams=None),
                                        _text_data),
    "text, fixed vocabulary": (dict(vocabulary=["good", "bad", "happy", "sad", "not"]),
                               _text_data),
    "text, sgd": (dict(solver="sgd"), _text_data),
    "text, no ema": (dict(ema_decay=None), _text_data),
    "text, float64": (dict(dtype="float64"), _text_data),
    "numeric": (dict(), _numeric_data),
    "numeric, sgd": (dict(solver="sgd"), _numeric_data),
    "numeric, no ema": (dict(ema_decay=None), _numeric_data),
}


@pytest.mark.parametrize("partial", [False, True], ids=["fit", "partial_fit"])
@pytest.mark.parametrize("name", SETTINGS)
def test_a_saved_model_trusts_only_the_package(name, partial):
    params, data = SETTINGS[name]
    X, y, _ = data()
    clf = RNNSentimentClassifier(hidden_size=4, max_iter=2, random_state=0, **params)
    if partial:
        clf.partial_fit(X, y).partial_fit(X, y)
    else:
        clf.fit(X, y)
    untrusted = sio.get_untrusted_types(data=sio.dumps(clf))
    assert all(t.startswith("sklearn_rnn.") for t in untrusted), untrusted
    assert set(untrusted) <= set(TRUSTED_PARTIAL if partial else TRUSTED)


@pytest.mark.parametrize("load", ["pickle", "skops"])
def test_a_model_holding_the_subword_rows_as_a_csr_matrix_still_predicts(load):
    # the form models saved by earlier versions hold
    clf, X, y, X_new = _fitted("text")
    X_new = X_new + ["unseen wordz", "happyness", ""]
    data, indices, indptr, shape = clf._subword_rows
    old = copy.deepcopy(clf)
    old._subword_rows = sp.csr_matrix((data.copy(), indices.copy(), indptr.copy()),
                                      shape=shape)
    if load == "pickle":
        old = pickle.loads(pickle.dumps(old))
    else:
        saved = sio.dumps(old)
        assert "scipy.sparse._csr.csr_matrix" in sio.get_untrusted_types(data=saved)
        old = sio.loads(saved, trusted=TRUSTED + ["scipy.sparse._csr.csr_matrix"])
    assert sp.issparse(old._subword_rows)
    _assert_same_model(old, clf, X_new)
    # and goes on training as a model of this version does
    old.set_params(warm_start=True, max_iter=2).fit(X, y)
    clf.set_params(warm_start=True, max_iter=2).fit(X, y)
    _assert_same_model(old, clf, X_new)


def test_documented_trusted_types_of_a_partial_fit_model():
    found = set()
    for name in MODELS:
        found |= set(sio.get_untrusted_types(data=sio.dumps(_fitted(name, partial=True)[0])))
    assert sorted(found) == sorted(TRUSTED_PARTIAL)


def test_loading_without_the_documented_types_is_refused():
    data = sio.dumps(_fitted("text")[0])
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.loads(data)
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException, match="Arch"):
        sio.loads(data, trusted=[t for t in TRUSTED if not t.endswith("Arch")])


# ------------------------------------------------ models saved by an earlier version
FIXTURES = Path(__file__).with_name("fixtures")
SAVED = sorted(path for path in FIXTURES.iterdir() if path.suffix in (".pkl", ".skops"))


def _load(path):
    if path.suffix == ".pkl":
        with open(path, "rb") as f:
            return pickle.load(f)
    untrusted = sio.get_untrusted_types(file=path)
    assert all(name.startswith("sklearn_rnn.") for name in untrusted), untrusted
    return sio.load(path, trusted=untrusted)


def test_there_are_saved_models_of_every_kind():
    names = {path.name for path in SAVED}
    for name in ("partial_fit.pkl", "partial_fit.skops", "subwords.skops", "numeric.pkl",
                 "numeric.skops"):
        assert any(n.endswith("_" + name) for n in names), name


@pytest.mark.parametrize("path", SAVED, ids=lambda path: path.name)
def test_a_model_saved_by_an_earlier_version_predicts_identically(path):
    tag, name = path.stem.split("_", 1)
    make = __import__("fixtures.make_fixtures", fromlist=["DOCS"])
    model = _load(path)
    X = make.numeric_inputs() if name == "numeric" else make.DOCS
    with np.load(FIXTURES / f"{tag}_expected.npz") as expected:
        assert_array_equal(model.predict_proba(X), expected[name])


def test_a_model_saved_by_an_earlier_version_goes_on_training():
    # from its pickle and from its skops file alike, and from where it stood
    X_train, _, y_train, _ = load_seed_sentiment()
    continued = []
    for path in [p for p in SAVED if "partial_fit" in p.name]:
        model = _load(path)
        before = {k: v.copy() for k, v in model.weights_.items()}
        steps = model._optimizer.t
        model.partial_fit(X_train, y_train)
        assert model._optimizer.t == steps + 1
        assert all(not np.array_equal(before[k], model.weights_[k]) for k in ("Why", "Whh"))
        continued.append(model.weights_)
    assert len(continued) >= 2
    for weights in continued[1:]:
        for k in weights:
            assert_array_equal(weights[k], continued[0][k], err_msg=k)


def test_a_model_pickled_before_n_jobs_and_train_window_loads_as_it_was():
    X, _, y, _ = load_seed_sentiment()
    docs = list(X) + [" ".join(X[:20])]  # one document longer than a window of 16
    labels = list(y) + [y[0]]
    clf = RNNSentimentClassifier(hidden_size=8, max_iter=3, random_state=0,
                                 train_window=16).fit(docs, labels)
    state = clf.__getstate__()
    for name in ("n_jobs", "train_window"):
        del state[name]
    old = pickle.loads(pickle.dumps(clf))
    old.__dict__.clear()
    old.__setstate__(state)
    # the parameters' behaviour before they existed: one thread, whole documents
    assert old.n_jobs is None and old.train_window is None
    assert_array_equal(old.predict_proba(docs), clf.predict_proba(docs))
    old.partial_fit(docs, labels)  # and training goes on, reading whole documents
    assert old.get_params()["train_window"] is None
