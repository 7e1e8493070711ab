"""Bad input gets a clear error that says what was wrong and where."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from sklearn_rnn import RNNSentimentClassifier

DOCS = ["good", "bad", "not good", "not bad"]
Y = [1, 0, 0, 1]


@pytest.fixture(scope="module")
def text_model():
    return RNNSentimentClassifier(random_state=0, max_iter=5).fit(DOCS, Y)


@pytest.fixture(scope="module")
def numeric_model():
    X = np.random.default_rng(0).normal(size=(8, 4))
    return RNNSentimentClassifier(random_state=0, max_iter=5).fit(X, [0, 1] * 4)


def test_bare_string():
    with pytest.raises(ValueError, match="Iterable over raw text documents expected, string "
                                         "object received"):
        RNNSentimentClassifier().fit("good movie", [1])


def test_bare_string_at_predict(text_model):
    with pytest.raises(ValueError, match="Iterable over raw text documents expected"):
        text_model.predict("good movie")


@pytest.mark.parametrize(
    "bad, where",
    [(None, r"X\[2\] is None"), (3.5, r"X\[2\] is float 3\.5"),
     (b"x\xff", r"X\[2\] is not valid UTF-8: 'utf-8' codec can't decode byte 0xff")],
)
def test_non_string_document_names_position_and_type(bad, where, text_model):
    X = ["good", "bad", bad, "not bad"]
    with pytest.raises(ValueError, match=where):
        RNNSentimentClassifier().fit(X, Y)
    with pytest.raises(ValueError, match=where):
        text_model.predict(X)


@pytest.mark.parametrize("X", [[], np.array([], dtype=object), np.empty((0, 3))])
def test_empty_corpus(X):
    with pytest.raises(ValueError, match="0 (documents|sample)"):
        RNNSentimentClassifier().fit(X, [])


def test_length_mismatch():
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        RNNSentimentClassifier().fit(DOCS, Y[:3])


@pytest.mark.parametrize("y, w", [([1, 1, 1, 1], None), ([1, 0, 1, 1], [1, 0, 1, 1])])
def test_single_class(y, w):
    with pytest.raises(ValueError, match="at least 2 classes"):
        RNNSentimentClassifier().fit(DOCS, y, sample_weight=w)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_numeric_input(value, numeric_model):
    X = np.zeros((4, 4))
    X[2, 1] = value
    with pytest.raises(ValueError, match="(NaN|infinity)"):
        RNNSentimentClassifier().fit(X, Y)
    with pytest.raises(ValueError, match="(NaN|infinity)"):
        numeric_model.predict(X)


def test_non_finite_targets():
    with pytest.raises(ValueError, match="NaN"):
        RNNSentimentClassifier().fit(DOCS, [1.0, np.nan, 0.0, 1.0])


def test_continuous_targets():
    with pytest.raises(ValueError, match="Unknown label type"):
        RNNSentimentClassifier().fit(DOCS, [0.5, 1.5, 0.25, 1.0])


def test_negative_sample_weight():
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        RNNSentimentClassifier().fit(DOCS, Y, sample_weight=[1, -1, 1, 1])


def test_text_then_numbers_and_numbers_then_text(text_model, numeric_model):
    with pytest.raises(ValueError, match="fitted on text"):
        text_model.predict(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="fitted on numeric sequences"):
        numeric_model.predict(["good", "bad"])


def test_wrong_number_of_steps_or_features(numeric_model):
    with pytest.raises(ValueError, match="X has 3 features, but RNNSentimentClassifier is "
                                         "expecting 4 features"):
        numeric_model.predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="2 features per time step"):
        numeric_model.predict(np.zeros((2, 4, 2)))


def test_one_dimensional_numeric_input(numeric_model):
    with pytest.raises(ValueError):
        RNNSentimentClassifier().fit(np.arange(4.0), Y)
    with pytest.raises(ValueError, match="Reshape your data"):
        numeric_model.predict(np.arange(4.0))


def test_four_dimensional_input():
    with pytest.raises(ValueError, match="3-D"):
        RNNSentimentClassifier().fit(np.zeros((4, 2, 2, 2)), Y)


def test_not_fitted():
    with pytest.raises(NotFittedError):
        RNNSentimentClassifier().predict(DOCS)
    with pytest.raises(NotFittedError):
        RNNSentimentClassifier().predict_proba(DOCS)


@pytest.mark.parametrize(
    "param, value",
    [("hidden_size", 0), ("solver", "lbfgs"), ("learning_rate_init", -1.0), ("batch_size", 0),
     ("clip_value", 0.0), ("max_iter", 0), ("momentum", 1.5), ("min_df", 1.5),
     ("max_len", 0), ("train_window", 0), ("dtype", "float16"), ("tokenizer", "split"),
     ("n_jobs", "two")],
)
def test_invalid_parameter_names_the_parameter(param, value):
    clf = RNNSentimentClassifier(**{param: value})  # __init__ only stores
    assert clf.get_params()[param] == value
    with pytest.raises(ValueError, match=f"'{param}' parameter"):
        clf.fit(DOCS, Y)


def test_sparse_input_is_rejected():
    sp = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="[Ss]parse"):
        RNNSentimentClassifier().fit(sp.csr_matrix(np.eye(4)), Y)


def test_missing_label_names_its_position():
    with pytest.raises(ValueError, match=r"y\[1\] is None"):
        RNNSentimentClassifier().fit(DOCS, ["a", None, "b", "a"])


@pytest.mark.parametrize("labels", [["a", 1, "a", 1], [1, "b", 2, "b"], [True, "a", "a", "a"],
                                    [1.5, "x", "x", "x"]])
def test_labels_mixing_str_and_numbers_are_refused(labels):
    # an object array keeps them apart (a list becomes an array of str); numpy cannot
    # sort them, which used to surface as a TypeError or "Unknown label type"
    with pytest.raises(ValueError, match=r"Mix of label input types \(string and number\) "
                                         r"in y: y\[\d\] is '\w', y\[\d\] is \w+ "):
        RNNSentimentClassifier().fit(DOCS, np.array(labels, dtype=object))


def test_a_dict_is_not_a_corpus():
    with pytest.raises(ValueError, match="X is a dict"):
        RNNSentimentClassifier().fit({"good": 1, "bad": 0}, [1, 0])


def test_a_generator_of_documents_is_a_corpus(text_model):
    np.testing.assert_array_equal(text_model.predict_proba(d for d in DOCS),
                                  text_model.predict_proba(DOCS))
    clf = RNNSentimentClassifier(random_state=0, max_iter=5).fit((d for d in DOCS), Y)
    np.testing.assert_array_equal(clf.predict_proba(DOCS), text_model.predict_proba(DOCS))


def test_lists_of_tokens_of_any_length(text_model):
    tokens = [["not", "good"], ["bad"], [], ("not", None, "bad")]
    np.testing.assert_allclose(text_model.predict_proba(tokens),
                               text_model.predict_proba(["not good", "bad", "", "not bad"]),
                               rtol=1e-12)
    clf = RNNSentimentClassifier(random_state=0, max_iter=5).fit(
        [d.split() for d in DOCS], Y)
    np.testing.assert_array_equal(clf.predict_proba(DOCS), text_model.predict_proba(DOCS))


UTF8_DOCS = ["good café", "bad", "not good", "not bad"]


@pytest.mark.parametrize("to_bytes", [
    lambda docs: [d.encode() for d in docs],
    lambda docs: np.array([d.encode() for d in docs]),  # dtype S
    lambda docs: np.array([d.encode() for d in docs], dtype=object),
    lambda docs: np.array([d.encode() for d in docs])[:, None],  # one column
    lambda docs: [d.encode() if i % 2 else d for i, d in enumerate(docs)],  # mixed
], ids=["list", "S", "object", "column", "mixed"])
def test_bytes_documents_are_read_as_utf8(to_bytes):
    params = dict(random_state=0, max_iter=5, min_df=1)
    text = RNNSentimentClassifier(**params).fit(UTF8_DOCS, Y)
    raw = RNNSentimentClassifier(**params).fit(to_bytes(UTF8_DOCS), Y)
    assert raw.vocabulary_ == text.vocabulary_
    assert "café" in raw.vocabulary_
    for name in text.weights_:
        np.testing.assert_array_equal(raw.weights_[name], text.weights_[name], err_msg=name)
    expected = text.predict_proba(UTF8_DOCS)
    np.testing.assert_array_equal(raw.predict_proba(to_bytes(UTF8_DOCS)), expected)
    np.testing.assert_array_equal(text.predict_proba(to_bytes(UTF8_DOCS)), expected)
    np.testing.assert_array_equal(text.predict(to_bytes(UTF8_DOCS)), text.predict(UTF8_DOCS))


def test_bytes_that_are_not_utf8_name_the_document(text_model):
    X = ["good", "bad", "not good", "caf\xe9".encode("latin-1")]
    message = r"^X\[3\] is not valid UTF-8: 'utf-8' codec can't decode byte 0xe9"
    with pytest.raises(ValueError, match=message):
        RNNSentimentClassifier().fit(X, Y)
    with pytest.raises(ValueError, match=message):
        text_model.predict(X)
    with pytest.raises(ValueError, match=message):
        text_model.predict_proba(np.array([d.encode() for d in X[:3]] + X[3:]))  # dtype S


@pytest.mark.parametrize("X", [[[]], [[], []], [(), []]])
def test_lists_of_no_tokens_are_empty_documents_for_a_text_model(text_model, X):
    empty = [""] * len(X)
    np.testing.assert_array_equal(text_model.predict_proba(X), text_model.predict_proba(empty))
    np.testing.assert_array_equal(text_model.predict(X), text_model.predict(empty))
    clf = RNNSentimentClassifier(random_state=0, max_iter=5).fit(DOCS, Y)
    clf.partial_fit(X, [1] * len(X))
    clf_empty = RNNSentimentClassifier(random_state=0, max_iter=5).fit(DOCS, Y)
    clf_empty.partial_fit(empty, [1] * len(X))
    assert clf.n_iter_ == clf_empty.n_iter_ == 6
    for name in clf.weights_:
        np.testing.assert_array_equal(clf.weights_[name], clf_empty.weights_[name],
                                      err_msg=name)


def test_lists_of_no_tokens_are_numeric_input_for_a_new_fit_or_a_numeric_model(
        numeric_model):
    with pytest.raises(ValueError, match="0 feature"):
        RNNSentimentClassifier().fit([[], []], [0, 1])
    with pytest.raises(ValueError, match="0 feature"):
        numeric_model.predict([[]])
