"""Training controls: early stopping, adaptive step, class weights, partial_fit,
fixed vocabularies, progress output."""

import re
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import recall_score

from models import TUTORIAL_MODEL
from sklearn_rnn import RNNSentimentClassifier
from sklearn_rnn.datasets import load_seed_sentiment


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _noise(n=80, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 6, 2)), rng.integers(0, 2, size=n)


def test_early_stopping_restores_the_best_epochs_weights():
    X, y = _noise()
    params = dict(early_stopping=True, validation_fraction=0.25, random_state=0,
                  learning_rate_init=0.05, hidden_size=16)
    a = RNNSentimentClassifier(n_iter_no_change=5, max_iter=100, **params).fit(X, y)
    curve = a.validation_loss_curve_
    best = int(np.argmin(curve)) + 1
    assert a.n_iter_ == len(curve) == len(a.validation_scores_) == len(a.loss_curve_)
    assert a.n_iter_ > best  # it went on past the best epoch, then stopped
    assert a.n_iter_ < 100
    assert a.best_validation_score_ == a.validation_scores_[best - 1]
    # the same run stopped by max_iter at the best epoch ends with the same weights
    b = RNNSentimentClassifier(n_iter_no_change=1000, max_iter=best, **params).fit(X, y)
    assert b.validation_loss_curve_ == curve[:best]
    for k in a.weights_:
        np.testing.assert_array_equal(a.weights_[k], b.weights_[k])
    assert not np.array_equal(a.loss_curve_[-1], b.loss_curve_[-1])


def test_early_stopping_monitors_validation_and_reports_it(capsys):
    X_train, _, y_train, _ = load_seed_sentiment()
    clf = RNNSentimentClassifier(early_stopping=True, validation_fraction=0.2, verbose=1,
                                 random_state=0, max_iter=30).fit(X_train, y_train)
    out = capsys.readouterr().out
    lines = re.findall(r"^Epoch \d+: loss [\d.]+, validation loss ([\d.]+), validation "
                       r"accuracy ([\d.]+), [\d.]+ s, [\d,]+ tokens/s$", out, re.M)
    assert len(lines) == clf.n_iter_
    np.testing.assert_allclose([float(v) for v, _ in lines], clf.validation_loss_curve_,
                               atol=1e-6)
    assert all(0 <= s <= 1 for s in clf.validation_scores_)


@pytest.mark.parametrize("n_samples, expected", [(10_000, False), (10_001, True)])
def test_early_stopping_auto_turns_on_for_large_training_sets(n_samples, expected):
    X = np.arange(n_samples, dtype=float)[:, None] * np.array([[1.0, -1.0]]) / n_samples
    y = (np.arange(n_samples) % 2).astype(int)
    clf = RNNSentimentClassifier(max_iter=1, random_state=0).fit(X, y)
    assert (clf.validation_loss_curve_ is not None) is expected
    clf = RNNSentimentClassifier(max_iter=1, early_stopping=False, random_state=0).fit(X, y)
    assert clf.validation_loss_curve_ is None


@pytest.mark.parametrize("n_samples, batch_size, expected",
                         [(80, "auto", 0.01), (600, "auto", 0.004), (600, 1000, 0.01),
                          (80, 10, 0.004)])
def test_auto_learning_rate_follows_the_batching(n_samples, batch_size, expected):
    X, y = _noise(n_samples)
    params = dict(max_iter=2, batch_size=batch_size, random_state=0)
    auto = RNNSentimentClassifier(**params).fit(X, y)
    explicit = RNNSentimentClassifier(learning_rate_init=expected, **params).fit(X, y)
    for k in auto.weights_:
        np.testing.assert_array_equal(auto.weights_[k], explicit.weights_[k])


def test_without_early_stopping_validation_attributes_are_none():
    X, y = _noise()
    clf = RNNSentimentClassifier(max_iter=3, random_state=0).fit(X, y)
    assert clf.validation_scores_ is None and clf.validation_loss_curve_ is None
    assert clf.best_validation_score_ is None
    assert clf.best_loss_ == min(clf.loss_curve_)


def test_warm_start_can_turn_early_stopping_on():
    X, y = _noise()
    clf = RNNSentimentClassifier(max_iter=3, random_state=0).fit(X, y)
    clf.set_params(warm_start=True, early_stopping=True, max_iter=4).fit(X, y)
    assert clf.n_iter_ == len(clf.loss_curve_) == 7
    assert len(clf.validation_loss_curve_) == len(clf.validation_scores_) == 4


def test_early_stopping_with_too_few_samples_says_so():
    with pytest.warns(UserWarning, match="validation_fraction"):
        RNNSentimentClassifier(early_stopping=True).fit(["a", "b", "c"], [0, 1, 1])


def _assert_same_weights(a, b):
    assert a.weights_.keys() == b.weights_.keys()
    for k in a.weights_:
        np.testing.assert_array_equal(a.weights_[k], b.weights_[k], err_msg=k)


def test_early_stopping_draws_an_unstratified_split_when_it_cannot_stratify():
    # 3 classes, and 10% of 20 samples is 2 validation samples: too few to stratify
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 4, 2)), np.arange(20) % 3
    params = dict(early_stopping=True, max_iter=5, hidden_size=8, random_state=0)
    with pytest.warns(UserWarning, match=r"stratified validation_fraction=0\.1 of 20 "
                                         r"distinct samples is impossible \(The test_size"
                                         r".*unstratified"):
        clf = RNNSentimentClassifier(**params).fit(X, y)
    assert len(clf.validation_loss_curve_) == clf.n_iter_ == 5
    assert clf.best_validation_score_ in clf.validation_scores_
    # the split depends on the distinct samples alone: weights are repetitions
    weights = np.arange(20) % 3 + 1
    with pytest.warns(UserWarning, match="unstratified"):
        weighted = RNNSentimentClassifier(**params).fit(X, y, sample_weight=weights)
    with pytest.warns(UserWarning, match="unstratified"):
        repeated = RNNSentimentClassifier(**params).fit(np.repeat(X, weights, axis=0),
                                                        np.repeat(y, weights))
    _assert_same_weights(weighted, repeated)
    assert weighted.validation_loss_curve_ == repeated.validation_loss_curve_
    np.testing.assert_array_equal(weighted.predict_proba(X), repeated.predict_proba(X))


@pytest.mark.parametrize("X, y", [(["good", "bad"], [1, 0]),
                                  (["good", "bad", "bad", "good"], [1, 0, 0, 1])])
def test_early_stopping_without_a_possible_split_trains_as_without_it(X, y):
    # 2 distinct samples: one held out leaves a single class to train on
    params = dict(max_iter=20, hidden_size=8, random_state=0, dropout=0.2)
    with pytest.warns(UserWarning, match=r"of 2 distinct samples leaves no validation "
                                         r"sample or fewer than 2 classes to train on; "
                                         r"training without validation"):
        clf = RNNSentimentClassifier(early_stopping=True, **params).fit(X, y)
    plain = RNNSentimentClassifier(early_stopping=False, **params).fit(X, y)
    assert clf.validation_loss_curve_ is clf.validation_scores_ is None
    assert clf.best_validation_score_ is None
    assert clf.loss_curve_ == plain.loss_curve_
    _assert_same_weights(clf, plain)


def test_adaptive_learning_rate_divides_by_five_instead_of_stopping(capsys):
    X, y = _noise(seed=1)
    params = dict(n_iter_no_change=3, tol=0.5, max_iter=50, random_state=0, verbose=1)
    constant = RNNSentimentClassifier(**params).fit(X, y)
    adaptive = RNNSentimentClassifier(learning_rate="adaptive", **params).fit(X, y)
    out = capsys.readouterr().out
    assert "Learning rate set to 0.002." in out
    assert "Learning rate set to 0.0004." in out
    assert adaptive.n_iter_ > constant.n_iter_
    assert constant.n_iter_ == 4  # tol=0.5 is never met: it stalls from the start


def _skewed(seed, n_major=270, n_minor=30):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(0.0, 1.0, size=(n_major, 4)),
                        rng.normal(0.8, 1.0, size=(n_minor, 4))])
    return X, np.array([0] * n_major + [1] * n_minor)


def test_balanced_class_weight_raises_minority_recall():
    (X, y), (X_test, y_test) = _skewed(0), _skewed(1)
    plain = RNNSentimentClassifier(random_state=0, max_iter=20).fit(X, y)
    balanced = RNNSentimentClassifier(class_weight="balanced", random_state=0,
                                      max_iter=20).fit(X, y)
    r_plain = recall_score(y_test, plain.predict(X_test))
    r_balanced = recall_score(y_test, balanced.predict(X_test))
    assert r_balanced > r_plain + 0.3, (r_plain, r_balanced)


def test_class_weight_dict_multiplies_sample_weight():
    X, y = _noise(40)
    w = np.random.default_rng(3).integers(1, 4, size=40).astype(float)
    a = RNNSentimentClassifier(class_weight={1: 3.0}, random_state=0, max_iter=20)
    a.fit(X, y, sample_weight=w)
    b = RNNSentimentClassifier(random_state=0, max_iter=20)
    b.fit(X, y, sample_weight=w * np.where(y == 1, 3.0, 1.0))
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_partial_fit_over_chunks_learns_the_tutorial():
    X_train, X_test, y_train, y_test = load_seed_sentiment()
    vocabulary = sorted({w for doc in X_train for w in doc.split()})
    clf = RNNSentimentClassifier(vocabulary=vocabulary, random_state=0)
    chunks = [slice(0, 20), slice(20, 40), slice(40, 58)]
    for _ in range(100):
        for part in chunks:
            clf.partial_fit(X_train[part], y_train[part], classes=[False, True])
    assert clf.n_iter_ == 300 and len(clf.loss_curve_) == 300
    assert clf.score(X_train, y_train) == 1.0
    assert clf.score(X_test, y_test) >= 0.9
    assert clf.vocabulary_ == {w: i for i, w in enumerate(vocabulary)}


def test_partial_fit_fixes_vocabulary_and_classes_on_the_first_call():
    clf = RNNSentimentClassifier(**TUTORIAL_MODEL, random_state=0)
    clf.partial_fit(["good day", "bad day"], ["pos", "neg"], classes=["neg", "pos", "neu"])
    assert clf.vocabulary_ == {"bad": 0, "day": 1, "good": 2}
    np.testing.assert_array_equal(clf.classes_, ["neg", "neu", "pos"])
    unknown_before = clf.weights_["Wxh"][:, 3].copy()
    clf.partial_fit(["brand new words"], ["neu"])  # one class per call is fine
    assert clf.vocabulary_ == {"bad": 0, "day": 1, "good": 2}
    assert not np.array_equal(clf.weights_["Wxh"][:, 3], unknown_before)
    with pytest.raises(ValueError, match=r"not in classes_"):
        clf.partial_fit(["good"], ["great"])
    with pytest.raises(ValueError, match="is not the same as on the first call"):
        clf.partial_fit(["good"], ["pos"], classes=["neg", "pos"])
    with pytest.raises(ValueError, match="fitted on text"):
        clf.partial_fit(np.ones((2, 3)), ["pos", "neg"])


def test_partial_fit_keeps_optimizer_state_across_pickling():
    import pickle

    X_train, _, y_train, _ = load_seed_sentiment()
    a = RNNSentimentClassifier(random_state=0).partial_fit(X_train, y_train)
    b = pickle.loads(pickle.dumps(a))
    for _ in range(3):
        a.partial_fit(X_train, y_train)
        b.partial_fit(X_train, y_train)
    for k in a.weights_:
        np.testing.assert_array_equal(a.weights_[k], b.weights_[k])


def test_partial_fit_equals_one_epoch_of_fit_on_the_first_call():
    X_train, _, y_train, _ = load_seed_sentiment()
    a = RNNSentimentClassifier(random_state=0).partial_fit(X_train, y_train)
    b = RNNSentimentClassifier(random_state=0, max_iter=1).fit(X_train, y_train)
    for k in a.weights_:
        np.testing.assert_array_equal(a.weights_[k], b.weights_[k])


def test_balanced_is_refused_by_partial_fit():
    with pytest.raises(ValueError, match="not supported for partial_fit"):
        RNNSentimentClassifier(class_weight="balanced").partial_fit(["a", "b"], [0, 1])


def test_fit_after_partial_fit_starts_over_unless_warm():
    X_train, _, y_train, _ = load_seed_sentiment()
    clf = RNNSentimentClassifier(random_state=0, max_iter=5).partial_fit(X_train, y_train)
    clf.fit(X_train, y_train)
    assert clf.n_iter_ == 5 and not hasattr(clf, "_optimizer")


def test_fixed_vocabulary():
    docs = ["good movie", "bad movie", "good", "bad"]
    clf = RNNSentimentClassifier(**{**TUTORIAL_MODEL, "min_df": 3}, max_iter=5, random_state=0,
                                 vocabulary={"bad": 1, "good": 0}).fit(docs, [1, 0, 1, 0])
    assert clf.vocabulary_ == {"bad": 1, "good": 0}
    assert clf.weights_["Wxh"].shape[1] == 3
    assert np.any(clf.weights_["Wxh"][:, 2] != 0)  # "movie" trained the unknown column
    with pytest.raises(ValueError, match="columns 0..n-1"):
        RNNSentimentClassifier(vocabulary={"a": 0, "b": 2}).fit(docs, [1, 0, 1, 0])
    with pytest.raises(ValueError, match="more than once"):
        RNNSentimentClassifier(vocabulary=["a", "a"]).fit(docs, [1, 0, 1, 0])


def test_verbose_two_reports_progress_within_epochs(capsys):
    X, y = _noise(400)
    RNNSentimentClassifier(batch_size=10, max_iter=1, verbose=2, random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert len(re.findall(r"^  epoch 1: \d+/40 batches, loss so far [\d.]+$", out, re.M)) == 10
    RNNSentimentClassifier(batch_size=10, max_iter=1, random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("solver, param, value, attribute", [
    ("adam", "beta_1", 0.5, "beta_1"),
    ("adam", "beta_2", 0.9, "beta_2"),
    ("adam", "epsilon", 0.1, "epsilon"),
    ("adam", "learning_rate_init", 0.05, "learning_rate"),
    ("sgd", "momentum", 0.5, "momentum"),
    ("sgd", "nesterovs_momentum", False, "nesterov"),
    ("sgd", "learning_rate_init", 0.05, "learning_rate"),
    ("sgd", "clip_value", 0.01, "clip_value"),
])
def test_each_optimizer_parameter_reaches_the_optimizer(solver, param, value, attribute):
    X, y = _noise()
    common = dict(solver=solver, momentum=0.9, hidden_size=8, batch_size=16, max_iter=3,
                  random_state=0)
    default = RNNSentimentClassifier(**common).fit(X, y)
    changed = RNNSentimentClassifier(**{**common, param: value}).fit(X, y)
    assert any(not np.array_equal(default.weights_[k], changed.weights_[k])
               for k in default.weights_)
    stream = RNNSentimentClassifier(**{**common, param: value}).partial_fit(X, y)
    assert getattr(stream._optimizer, attribute) == value


def test_shuffle_decides_the_order_of_the_minibatches():
    X, y = _noise()
    common = dict(hidden_size=8, batch_size=8, max_iter=2, random_state=0, ema_decay=None)
    kept = RNNSentimentClassifier(shuffle=False, **common).fit(X, y)
    shuffled = RNNSentimentClassifier(shuffle=True, **common).fit(X, y)
    assert any(not np.array_equal(kept.weights_[k], shuffled.weights_[k])
               for k in kept.weights_)
    # unshuffled, the random state only draws the initial weights
    again = RNNSentimentClassifier(shuffle=False, **common).fit(X, y)
    for k in kept.weights_:
        np.testing.assert_array_equal(again.weights_[k], kept.weights_[k])
