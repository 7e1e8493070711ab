"""explain_prediction: integrated gradients and occlusion, checked against the estimator's
own predictions, the tutorial's formulas and finite differences; the HTML and the plot."""

import re
import subprocess
import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from models import TUTORIAL_MODEL, numeric_grad, random_params
from sklearn_rnn import (
    Explanation, RNNSentimentClassifier, _explain, _packing, _rnn, explain_prediction,
)
from sklearn_rnn._cells import CELLS
from sklearn_rnn.datasets import load_seed_sentiment

X_TRAIN, X_TEST, Y_TRAIN, Y_TEST = load_seed_sentiment()
# seen words, a negation, unseen words, a repeated word, one word, and no word at all
DOCS = ["this is not good", "i am very happy", "i was not sad earlier", "this is terrible",
        "zzqx blorf", "good good bad", "sad", ""]
SMALL = dict(hidden_size=4, max_iter=30, learning_rate_init=0.05, random_state=0)
INPUTS = {
    "words": dict(embedding_size=None, subword_ngrams=None, min_df=1),
    "embedded": dict(embedding_size=5, subword_ngrams=None, min_df=1),
    "subwords": dict(embedding_size=5, subword_ngrams=(3, 5)),
    "hashed": dict(embedding_size=5, hash_buckets=64, subword_ngrams=(3, 5)),
}
_FITTED = {}


def _fit(X=X_TRAIN, y=Y_TRAIN, **params):
    """A small model fitted on the tutorial's sentences (each setting fitted once)."""
    key = (id(X), id(y), tuple(sorted(params.items())))
    if key not in _FITTED:
        _FITTED[key] = RNNSentimentClassifier(**{**SMALL, **params}).fit(X, y)
    return _FITTED[key]


def _gap(explanation):
    """How far the scores are from adding up to the log-probability's change."""
    total = explanation.log_proba - explanation.baseline_log_proba
    return abs(explanation.scores.sum() - total), abs(total)


def _complete(explanation, rtol=0.02):
    """Whether the scores add up to the change within ``rtol`` of it, or (where they
    cancel out to a much smaller change) within 0.1% of their absolute sum."""
    gap, total = _gap(explanation)
    return gap <= max(rtol * total, 0.001 * np.abs(explanation.scores).sum()) + 1e-6


# ------------------------------------------------------------------ completeness
@pytest.mark.parametrize("inputs", list(INPUTS))
@pytest.mark.parametrize("pooling", ["last", "mean", "max", "max+mean", "last+max+mean"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", list(CELLS))
def test_integrated_gradients_add_up_to_the_change_of_log_probability(cell, bidirectional,
                                                                        pooling, inputs):
    clf = _fit(cell=cell, bidirectional=bidirectional, pooling=pooling, **INPUTS[inputs])
    explanations = explain_prediction(clf, DOCS)
    for doc, explanation in zip(DOCS, explanations):
        assert _complete(explanation), (doc, _gap(explanation))
        assert len(explanation.scores) == len(explanation.tokens)
    # the model moved away from its baseline on most documents: the test is not empty
    assert sum(_gap(e)[1] > 0.01 for e in explanations) >= 3


@pytest.mark.parametrize("pooling", ["last", "mean", "last+mean"])
@pytest.mark.parametrize("cell", list(CELLS))
def test_the_trapezoid_rule_error_falls_as_the_square_of_the_steps(cell, pooling,
                                                                    monkeypatch):
    # without max pooling the path is smooth: 16 times the steps, 256 times less error
    # (the network alone: a linear path would make the path nearly straight)
    monkeypatch.setattr(_explain, "_REFINEMENTS", 0)
    clf = _fit(cell=cell, pooling=pooling, dtype="float64", word_ngrams=None,
               **INPUTS["subwords"])
    coarse = explain_prediction(clf, DOCS[:4], n_steps=4)
    fine = explain_prediction(clf, DOCS[:4], n_steps=64)
    for c, f in zip(coarse, fine):
        assert _gap(c)[0] > 1e-5
        assert _gap(f)[0] < _gap(c)[0] / 100


def test_kinks_of_max_pooling_are_integrated_on_more_points(monkeypatch):
    # where a unit's maximum moves to another time step the path has a kink, and the
    # trapezoid rule's error falls only as 1 / n_steps: the intervals holding the error
    # are halved
    # the network alone: the linear path's share of the scores is smooth along the path
    clf = _fit(cell="tanh", bidirectional=False, pooling="max", word_ngrams=None,
               **INPUTS["words"])
    refined = explain_prediction(clf, DOCS)
    monkeypatch.setattr(_explain, "_REFINEMENTS", 0)
    plain = explain_prediction(clf, DOCS)
    assert [e.n_steps for e in plain] == [64] * (len(DOCS) - 1) + [0]
    missed = [i for i, e in enumerate(plain) if not _complete(e, rtol=0.005)]
    assert missed and max(_gap(plain[i])[0] / _gap(plain[i])[1] for i in missed) > 0.02
    for i, (p, r) in enumerate(zip(plain, refined)):
        if i in missed:
            assert 64 < r.n_steps <= 16 * 64
            assert _gap(r)[0] < _gap(p)[0]
        else:
            assert r.n_steps == p.n_steps
            np.testing.assert_array_equal(r.scores, p.scores)
        assert _complete(r)


def test_halving_every_interval_is_the_rule_on_twice_the_steps(monkeypatch):
    clf = _fit(cell="gru", pooling="max", dtype="float64", **INPUTS["subwords"])
    monkeypatch.setattr(_explain, "_COMPLETENESS_RTOL", 0.0)
    monkeypatch.setattr(_explain, "_SCALE_RTOL", 0.0)
    monkeypatch.setattr(_explain, "_COMPLETENESS_ATOL", 0.0)
    monkeypatch.setattr(_explain, "_REFINEMENTS", 1)
    refined = explain_prediction(clf, DOCS[:3], n_steps=32)
    monkeypatch.setattr(_explain, "_REFINEMENTS", 0)
    direct = explain_prediction(clf, DOCS[:3], n_steps=64)
    for r, d in zip(refined, direct):
        assert r.n_steps == d.n_steps == 64
        np.testing.assert_allclose(r.scores, d.scores, rtol=1e-10, atol=1e-13)
        assert r.baseline_log_proba == d.baseline_log_proba


def test_float32_and_float64_models_are_both_complete():
    for dtype in ("float32", "float64"):
        clf = _fit(dtype=dtype)
        for explanation in explain_prediction(clf, DOCS, n_steps=256):
            assert _complete(explanation, rtol=0.01)


# ------------------------------------------------------------- independent references
def _trapezoid(n_steps):
    """Points and weights of the trapezoid rule on [0, 1]."""
    weights = np.full(n_steps + 1, 1.0 / n_steps)
    weights[[0, -1]] /= 2
    return np.linspace(0.0, 1.0, n_steps + 1), weights


def _scaled_tutorial_log_proba(weights, ids, scales, k):
    """log p_k of the tutorial's network reading ``scales[t]`` times token t's one-hot
    column vector."""
    Wxh, Whh, Why = weights["Wxh"], weights["Whh"], weights["Why"]
    h = np.zeros((Whh.shape[0], 1))
    for i, a in zip(ids, scales):
        x = np.zeros((Wxh.shape[1], 1))
        x[i] = a
        h = np.tanh(Wxh @ x + Whh @ h + weights["bh"][:, None])
    y = (Why @ h + weights["by"][:, None])[:, 0]
    return y[k] - y.max() - np.log(np.exp(y - y.max()).sum())


def test_integrated_gradients_follow_the_tutorials_formulas(monkeypatch):
    monkeypatch.setattr(_explain, "_REFINEMENTS", 0)
    clf = RNNSentimentClassifier(**TUTORIAL_MODEL, hidden_size=6, max_iter=100,
                                 dtype="float64", random_state=0).fit(X_TRAIN, Y_TRAIN)
    n_steps, eps = 8, 1e-6
    for doc in ["i was not sad earlier", "this is very good not bad", "zzqx happy"]:
        [explanation] = explain_prediction(clf, [doc], n_steps=n_steps)
        ids = [clf.vocabulary_.get(w, len(clf.vocabulary_)) for w in doc.split()]
        k = list(clf.classes_).index(explanation.target)
        expected = np.zeros(len(ids))
        for a, w in zip(*_trapezoid(n_steps)):
            for t in range(len(ids)):
                up, down = np.full(len(ids), a), np.full(len(ids), a)
                up[t] += eps
                down[t] -= eps
                expected[t] += w * (_scaled_tutorial_log_proba(clf.weights_, ids, up, k)
                                    - _scaled_tutorial_log_proba(clf.weights_, ids, down, k)
                                    ) / (2 * eps)
        np.testing.assert_allclose(explanation.scores, expected, rtol=1e-6, atol=1e-8)
        baseline = _scaled_tutorial_log_proba(clf.weights_, ids, np.zeros(len(ids)), k)
        assert explanation.baseline_log_proba == pytest.approx(baseline, abs=1e-12)


@pytest.mark.parametrize("ndim", [2, 3])
def test_numeric_integrated_gradients_follow_finite_differences_of_predict_proba(
        ndim, monkeypatch):
    monkeypatch.setattr(_explain, "_REFINEMENTS", 0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5, 2))
    y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    if ndim == 2:
        X = X[:, :, 0]
    clf = RNNSentimentClassifier(hidden_size=4, max_iter=40, dtype="float64",
                                 random_state=0).fit(X, y)
    n_steps, eps = 4, 1e-5
    explanations = explain_prediction(clf, X[:3], n_steps=n_steps)
    for x, explanation in zip(X[:3], explanations):
        k = list(clf.classes_).index(explanation.target)
        shape = (-1,) + (1,) * (ndim - 2)

        def log_p(scales):
            return np.log(clf.predict_proba((x * scales.reshape(shape))[None]))[0, k]

        expected = np.zeros(len(x))
        for a, w in zip(*_trapezoid(n_steps)):
            for t in range(len(x)):
                up, down = np.full(len(x), a), np.full(len(x), a)
                up[t] += eps
                down[t] -= eps
                expected[t] += w * (log_p(up) - log_p(down)) / (2 * eps)
        np.testing.assert_allclose(explanation.scores, expected, rtol=1e-5, atol=1e-8)
        assert explanation.baseline_log_proba == pytest.approx(log_p(np.zeros(len(x))),
                                                               abs=1e-12)
        assert len(explanation.tokens) == 5 and explanation.tokens[0].startswith("t0=")


@pytest.mark.parametrize("pooling", [("last",), ("mean",), ("max",), ("last", "max", "mean")])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", list(CELLS))
def test_path_gradients_match_central_differences(cell, bidirectional, pooling):
    rng = np.random.default_rng(7)
    arch = _rnn.Arch(cell, bidirectional, pooling)
    params = random_params(rng, arch, n_inputs=3, hidden=3, n_classes=3)
    lengths = np.array([4, 1, 3, 0, 2])
    batch = _packing.pack_ragged(np.arange(lengths.sum(), dtype=np.intp),
                             np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    width = CELLS[cell].gates * 3
    projections = [rng.normal(size=(lengths.sum(), width)) for _ in arch.directions]
    target = rng.integers(0, 3, size=len(lengths))
    weights = rng.uniform(0.5, 2.0, size=len(lengths))

    def objective():
        return float(np.dot(weights, _explain.path_forward(params, arch, batch, projections,
                                                           target)[0]))

    _, cache = _explain.path_forward(params, arch, batch, projections, target)
    grads = _explain.path_backward(weights, cache)
    numeric = numeric_grad(dict(enumerate(projections)), objective)
    for i, grad in enumerate(grads):
        expected = numeric[i]
        np.testing.assert_allclose(grad, expected, rtol=1e-6, atol=1e-8)
        assert np.abs(expected).max() > 1e-3


def test_path_forward_gives_the_models_probabilities():
    # all-ones scales: the projections of the document itself
    clf = _fit(cell="lstm", pooling="last+max+mean", dtype="float64", **INPUTS["words"])
    docs = ["this is not good", "i am very happy", "good"]
    seqs = clf._encode([d.split() for d in docs])
    batch = seqs.pack(np.arange(3))
    projections = [clf.weights_["Wxh" + sfx][:, batch.ids].T for sfx in clf._arch.directions]
    target = np.zeros(3, dtype=np.intp)
    # the linear path's logits come as the offset
    offset = _rnn.bag_logits(clf.weights_["Wbag"], seqs.bag_of(np.arange(3), batch))
    log_p, _ = _explain.path_forward(clf.weights_, clf._arch, batch, projections, target,
                                     offset)
    expected = np.log(clf.predict_proba(docs))[batch.order, 0]
    np.testing.assert_allclose(log_p, expected, rtol=1e-12)


# ------------------------------------------------------------------------- occlusion
@pytest.mark.parametrize("inputs", ["words", "subwords", "hashed"])
def test_occlusion_is_the_log_probability_lost_without_each_token(inputs):
    clf = _fit(cell="gru", **INPUTS[inputs])
    explanations = explain_prediction(clf, DOCS, method="occlusion")
    analyzer = clf._analyzer()
    for doc, explanation in zip(DOCS, explanations):
        tokens = analyzer(doc)
        assert explanation.tokens == tokens
        k = list(clf.classes_).index(explanation.target)
        for i, score in enumerate(explanation.scores):
            without = tokens[:i] + tokens[i + 1 :]
            lost = explanation.log_proba - np.log(clf.predict_proba([" ".join(without)]))[0, k]
            assert score == pytest.approx(lost, rel=1e-5, abs=1e-6)
        assert explanation.baseline_log_proba == pytest.approx(
            np.log(clf.predict_proba([""]))[0, k], abs=1e-6)
        assert explanation.method == "occlusion"
    assert any(np.abs(e.scores).max() > 0.05 for e in explanations if e.tokens)


def test_numeric_occlusion_sets_each_step_to_zero():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 4))
    clf = RNNSentimentClassifier(hidden_size=4, max_iter=20,
                                 random_state=0).fit(X, (X.sum(axis=1) > 0).astype(int))
    [explanation] = explain_prediction(clf, X[:1], method="occlusion", target=1)
    for t in range(4):
        zeroed = X[:1].copy()
        zeroed[0, t] = 0.0
        expected = explanation.log_proba - np.log(clf.predict_proba(zeroed))[0, 1]
        assert explanation.scores[t] == pytest.approx(expected, rel=1e-5, abs=1e-6)
    assert explanation.baseline_log_proba == pytest.approx(
        np.log(clf.predict_proba(np.zeros((1, 4))))[0, 1], abs=1e-6)


# ------------------------------------------------------- what is explained, and inputs
@pytest.mark.parametrize("method", _explain.METHODS)
def test_log_proba_is_predict_probas_and_target_the_prediction(method):
    clf = _fit(**INPUTS["subwords"])
    for doc, explanation in zip(DOCS, explain_prediction(clf, DOCS, method=method)):
        proba = clf.predict_proba([doc])
        k = int(np.argmax(proba))
        assert explanation.target == clf.classes_[k]
        assert explanation.log_proba == np.log(proba)[0, k]


def test_a_given_target_is_explained_for_every_document():
    clf = _fit(**INPUTS["subwords"])
    for label in clf.classes_:
        k = list(clf.classes_).index(label)
        explanations = explain_prediction(clf, DOCS, target=label)
        assert [e.target for e in explanations] == [label] * len(DOCS)
        for doc, explanation in zip(DOCS, explanations):
            assert explanation.log_proba == np.log(clf.predict_proba([doc]))[0, k]
    # in two classes, the scores of one are nearly the other's negated only where the
    # probability is near 1/2; in general they differ
    false, true = (explain_prediction(clf, DOCS[:1], target=c)[0] for c in clf.classes_)
    assert not np.allclose(false.scores, -true.scores)


def test_string_labels_and_token_lists():
    y = np.where(Y_TRAIN, "pos <b>", "neg & co")
    clf = _fit(X_TRAIN, y, **INPUTS["subwords"])
    token_lists = [["this", "is", "not", "good"], [], ["zzqx"], ["good", None, "good"]]
    explanations = explain_prediction(clf, token_lists, target="pos <b>")
    assert [e.tokens for e in explanations] == [token_lists[0], [], ["zzqx"], ["good", "good"]]
    for tokens, explanation in zip(token_lists, explanations):
        assert _complete(explanation)
        if tokens:
            assert explanation.log_proba == np.log(clf.predict_proba([tokens]))[0, 1]
    assert explanations[1].log_proba == pytest.approx(
        np.log(clf.predict_proba([""]))[0, 1], abs=1e-12)
    html = explanations[0].to_html()
    assert "pos &lt;b&gt;" in html and "pos <b>" not in html


@pytest.mark.parametrize("method", _explain.METHODS)
def test_empty_and_unknown_documents(method):
    clf = _fit(**INPUTS["subwords"])
    empty, unknown, known = explain_prediction(clf, ["", "zzqx blorfle", "good"],
                                               method=method)
    assert empty.tokens == [] and empty.scores.shape == (0,)
    assert empty.scores.dtype == np.float64
    assert empty.baseline_log_proba == empty.log_proba
    assert "(no tokens)" in empty.to_html()
    # unknown words are explained like any other; with subwords each has its n-grams
    assert unknown.tokens == ["zzqx", "blorfle"]
    assert np.all(unknown.scores != 0) and unknown.scores[0] != unknown.scores[1]
    assert known.tokens == ["good"]
    if method == "integrated_gradients":  # a single token carries the whole change
        assert known.scores[0] == pytest.approx(known.log_proba - known.baseline_log_proba,
                                                rel=0.02)


def test_tokens_are_read_as_the_model_reads_them():
    clf = _fit(max_len=3, lowercase=True, **INPUTS["subwords"])
    [explanation] = explain_prediction(clf, ["I Was NOT Sad Earlier"])
    assert explanation.tokens == ["not", "sad", "earlier"]
    assert explanation.log_proba == np.log(clf.predict_proba(["not sad earlier"])).max()


def test_documents_are_explained_alone_as_in_a_group(monkeypatch):
    clf = _fit(cell="lstm", **INPUTS["subwords"])
    together = explain_prediction(clf, DOCS, n_steps=16)
    alone = [explain_prediction(clf, [doc], n_steps=16)[0] for doc in DOCS]
    # and with groups so small that a document is split over several by path points
    monkeypatch.setattr(_explain, "_PATH_FLOATS", 1)
    split = explain_prediction(clf, DOCS, n_steps=16)
    # the path runs in the model's float32: BLAS rounds a product's rows a little
    # differently in other groups
    tol = dict(rtol=1e-5, atol=1e-7) if clf.dtype == "float32" else dict(rtol=1e-10,
                                                                          atol=1e-12)
    for a, b, c in zip(together, alone, split):
        np.testing.assert_allclose(a.scores, b.scores, **tol)
        np.testing.assert_allclose(a.scores, c.scores, **tol)
        assert a.baseline_log_proba == pytest.approx(c.baseline_log_proba, rel=tol["rtol"],
                                                     abs=tol["atol"])


def test_path_groups_cover_every_point_once_within_the_budget():
    lengths = np.array([3, 0, 10, 1, 40])
    groups = list(_explain._path_groups(lengths, {0: 9, 2: 9, 3: 9, 4: 9}, budget=20))
    covered = {}
    for group in groups:
        assert sum((hi - lo) * lengths[doc] for doc, lo, hi in group) <= 20 or (
            len(group) == 1 and group[0][2] - group[0][1] == 1)
        for doc, lo, hi in group:
            covered.setdefault(doc, []).extend(range(lo, hi))
    assert {doc: sorted(points) for doc, points in covered.items()} == {
        doc: list(range(9)) for doc in (0, 2, 3, 4)}


# ------------------------------------------------------------------------------ errors
def test_errors():
    with pytest.raises(TypeError, match="explains an RNNSentimentClassifier; got "
                                        "LogisticRegression"):
        explain_prediction(LogisticRegression(), DOCS)
    pipe = make_pipeline(FunctionTransformer(), RNNSentimentClassifier())
    with pytest.raises(TypeError, match="got Pipeline .for a Pipeline, explain its last"):
        explain_prediction(pipe, DOCS)
    with pytest.raises(NotFittedError):
        explain_prediction(RNNSentimentClassifier(), DOCS)
    clf = _fit(**INPUTS["words"])
    with pytest.raises(ValueError, match=re.escape(
            "target='maybe' is not a class of this estimator: use 'predicted' or one of "
            "classes_ = [np.False_, np.True_].")):
        explain_prediction(clf, DOCS, target="maybe")
    with pytest.raises(ValueError, match="method must be one of 'integrated_gradients', "
                                         "'occlusion'; got 'lime'"):
        explain_prediction(clf, DOCS, method="lime")
    for n_steps in (0, 2.5, True):
        with pytest.raises(ValueError, match="n_steps must be a positive int"):
            explain_prediction(clf, DOCS, n_steps=n_steps)
    with pytest.raises(ValueError, match="fitted on text, but X is numeric"):
        explain_prediction(clf, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="string object received"):
        explain_prediction(clf, "this is good")
    assert explain_prediction(clf, iter(["good"]))[0].tokens == ["good"]  # any iterable


# ----------------------------------------------------------------------- HTML and plot
def test_html_escapes_every_token_and_shades_by_sign():
    clf = _fit(**INPUTS["subwords"])
    tokens = ["<script>", "alert('x')", "&amp;", '"good"', "bad"]
    [explanation] = explain_prediction(clf, [tokens])
    fragment = explanation.to_html()
    assert "<script>" not in fragment and "alert('x')" not in fragment
    for escaped in ("&lt;script&gt;", "alert(&#x27;x&#x27;)", "&amp;amp;", "&quot;good&quot;"):
        assert escaped in fragment
    spans = re.findall(r'<span style="background-color:rgba\((\d+),\d+,\d+,([\d.]+)\);'
                       r'[^"]*" title="([-+][\d.]+)">', fragment)
    assert len(spans) == len(tokens)
    for (red, alpha, title), score in zip(spans, explanation.scores):
        assert float(title) == pytest.approx(score, abs=1e-4)
        assert red == ("33" if score >= 0 else "178")
    largest = int(np.argmax(np.abs(explanation.scores)))
    assert float(spans[largest][1]) == 0.75
    assert explanation._repr_html_() == fragment


def test_plot_draws_a_bar_per_token_in_reading_order():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clf = _fit(**INPUTS["subwords"])
    [explanation] = explain_prediction(clf, ["i was not sad earlier"])
    ax = explanation.plot()
    try:
        bars = ax.patches
        assert [b.get_width() for b in bars] == pytest.approx(list(explanation.scores))
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert labels == explanation.tokens
        # the first token at the top
        top, bottom = ax.get_ylim()
        assert top > bottom and bars[0].get_y() < bars[-1].get_y()
        assert "log P(" in ax.get_xlabel()
        fig, given = plt.subplots()
        assert explanation.plot(ax=given) is given
    finally:
        plt.close("all")


def test_importing_the_package_does_not_import_matplotlib():
    code = "import sys, sklearn_rnn; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def test_repr():
    clf = _fit(**INPUTS["words"])
    [explanation] = explain_prediction(clf, ["this is not good"])
    assert isinstance(explanation, Explanation)
    assert repr(explanation).startswith("Explanation(method='integrated_gradients', target=")
    assert "'not': " in repr(explanation)
