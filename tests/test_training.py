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


@pytest.mark.parametrize("n_samples, expected", [(512, False), (513, True)])
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
    # without a linear path, which fit fits alone first and partial_fit trains with the
    # network
    X_train, _, y_train, _ = load_seed_sentiment()
    a = RNNSentimentClassifier(random_state=0, word_ngrams=None).partial_fit(X_train,
                                                                             y_train)
    b = RNNSentimentClassifier(random_state=0, max_iter=1, word_ngrams=None).fit(X_train,
                                                                                 y_train)
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


# --------------------------------------------------- the loop's pieces, one by one
from sklearn.utils import check_random_state  # noqa: E402

from models import random_params  # noqa: E402
from sklearn_rnn import _data, _optim, _rnn, _text, _training  # noqa: E402


def _setup(**overrides):
    """The estimator's defaults as a training setup, the tutorial's architecture."""
    params = RNNSentimentClassifier().get_params()
    params.update(overrides)
    arch = _rnn.Arch("tanh", False, ("last",))
    return _training.Setup(arch, *(params[name] for name in _training.Setup._fields[1:]))


def _numeric_task(n=30, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4, 2))
    y = (X[:, :, 0].sum(axis=1) > 0).astype(np.intp)
    return _data.Sequences(X), y, np.ones(n)


def _history():
    return _training.History([], 0)


@pytest.mark.parametrize("n_samples, expected", [(1, 1), (512, 512), (513, 64), (5000, 64)])
def test_auto_batch_size_is_one_full_batch_up_to_512_samples(n_samples, expected):
    assert _setup().batch_size_for(n_samples) == expected
    assert _setup(batch_size=10).batch_size_for(n_samples) == min(10, n_samples)


def test_auto_learning_rate_early_stopping_and_patience():
    setup = _setup()
    assert setup.learning_rate_for(512) == 0.01 and setup.learning_rate_for(513) == 0.004
    assert _setup(batch_size=10).learning_rate_for(10) == 0.01
    assert _setup(batch_size=10).learning_rate_for(11) == 0.004
    assert _setup(learning_rate_init=0.3).learning_rate_for(5) == 0.3
    assert not setup.early_stopping_for(512) and setup.early_stopping_for(513)
    assert _setup(early_stopping=True).early_stopping_for(3)
    assert not _setup(early_stopping=False).early_stopping_for(10**6)
    assert setup.patience_for(True) == 2 and setup.patience_for(False) == 20
    assert _setup(n_iter_no_change=7).patience_for(True) == 7


def test_early_stopping_monitor_counts_epochs_without_improvement_beyond_tol():
    monitor = _training.EarlyStopping(patience=2, tol=0.1)
    assert monitor.update(1.0) and monitor.stalled == 0
    assert monitor.update(0.95) and monitor.stalled == 1  # better, but by less than tol
    assert not monitor.should_stop
    assert not monitor.update(0.96) and monitor.stalled == 2 and monitor.should_stop
    monitor.restart()
    assert monitor.stalled == 0 and not monitor.should_stop
    assert monitor.update(0.8) and monitor.stalled == 0 and monitor.best == 0.8
    assert not monitor.update(0.8) and monitor.stalled == 1  # equal is no improvement


def test_validation_split_is_stratified_disjoint_and_sorted():
    y = np.array([0] * 30 + [1] * 10)
    train, val = _training.validation_split(y, 0.25, check_random_state(0))
    assert len(val) == 10 and len(train) == 30
    assert np.array_equal(np.sort(np.concatenate([train, val])), np.arange(40))
    assert np.array_equal(train, np.sort(train)) and np.array_equal(val, np.sort(val))
    assert np.bincount(y[val]).tolist() == [7, 3] or np.bincount(y[val]).tolist() == [8, 2]


def test_validation_split_falls_back_to_a_plain_split_then_to_none():
    y = np.array([0, 0, 0, 0, 0, 0, 1, 2, 2, 2])  # class 1 has one sample: no stratifying
    rng = check_random_state(0)
    with pytest.warns(UserWarning, match="unstratified"):
        train, val = _training.validation_split(y, 0.3, rng)
    assert len(val) == 3 and len(np.unique(y[train])) >= 2
    rng, before = check_random_state(1), check_random_state(1).random_sample()
    with pytest.warns(UserWarning, match="training without validation"):
        assert _training.validation_split(np.array([0, 1]), 0.5, rng) is None
    assert rng.random_sample() == before  # nothing was drawn


def test_check_memory_refuses_naming_the_document(monkeypatch):
    setup = _setup(hidden_size=8)
    per_token = _rnn.training_bytes_per_token(setup.arch, 8, 3, 4)
    assert per_token == 4 * (8 * 6 + 3) + 128
    lengths, rows = np.array([5, 100, 7]), np.array([2, 5, 9])
    monkeypatch.setattr(_training, "MEMORY_LIMIT", 112 * per_token)
    _training.check_memory(lengths, rows, setup, 2, True, 3, 4)  # 107 tokens: fits
    _training.check_memory(lengths, rows, setup, 3, True, 3, 4)  # 112 tokens: just fits
    monkeypatch.setattr(_training, "MEMORY_LIMIT", 111 * per_token)
    with pytest.raises(ValueError, match=r"X\[5\] has 100 tokens.*max_len=37 tokens"):
        _training.check_memory(lengths, rows, setup, 3, True, 3, 4)
    with pytest.raises(ValueError, match=r"X\[5\] has 100 time steps.*at most 37 time") as e:
        _training.check_memory(lengths, rows, setup, 3, False, 3, 4)
    assert f"about {per_token:,} bytes each" in str(e.value)
    assert "in the 3 longest sequences" in str(e.value)


def test_check_memory_counts_the_tokens_a_window_reads(monkeypatch):
    setup = _setup(hidden_size=8)
    per_token = _rnn.training_bytes_per_token(setup.arch, 8, 3, 4)
    lengths, rows = np.array([5, 100, 7]), np.array([2, 5, 9])
    # a window of 50 reads 50 + 7 tokens of the two longest
    monkeypatch.setattr(_training, "MEMORY_LIMIT", 57 * per_token)
    _training.check_memory(lengths, rows, setup, 2, True, 3, 4, window=50)
    with pytest.raises(ValueError, match=r"X\[5\] has 100 tokens: .* 107 tokens in the 2"):
        _training.check_memory(lengths, rows, setup, 2, True, 3, 4)
    monkeypatch.setattr(_training, "MEMORY_LIMIT", 56 * per_token)
    with pytest.raises(ValueError, match=r"X\[5\] has 100 tokens, read through "
                                         r"train_window=50: .* 57 tokens in the 2 longest.*"
                                         r"Set train_window=28 "):
        _training.check_memory(lengths, rows, setup, 2, True, 3, 4, window=50)
    # a window longer than every document changes nothing
    with pytest.raises(ValueError, match=r"X\[5\] has 100 tokens: .* 107 tokens"):
        _training.check_memory(lengths, rows, setup, 2, True, 3, 4, window=100)


def test_make_optimizer_follows_the_setup():
    rng = np.random.default_rng(0)
    params = random_params(rng, _rnn.TUTORIAL, 5)
    adam = _training.make_optimizer(params, _setup(beta_1=0.5, clip_value=2.0,
                                                   learning_rate="adaptive"), 600, ["Wxh"])
    assert isinstance(adam, _optim.AdamOptimizer)
    assert (adam.learning_rate, adam.beta_1, adam.clip_value, adam.schedule, adam.sparse) == (
        0.004, 0.5, 2.0, "adaptive", ("Wxh",))
    sgd = _training.make_optimizer(params, _setup(solver="sgd", momentum=0.3,
                                                  nesterovs_momentum=False), 10)
    assert isinstance(sgd, _optim.SGDOptimizer)
    assert (sgd.learning_rate, sgd.momentum, sgd.nesterov, sgd.sparse) == (0.01, 0.3, False, ())


def test_fit_loop_runs_max_iter_epochs_and_warns_when_not_converged():
    seqs, y, w = _numeric_task()
    setup = _setup(max_iter=3, tol=0.0, n_iter_no_change=10, verbose=1)
    params = _rnn.init_params(setup.arch, 2, 2, 4, None, check_random_state(0), np.float64)
    optimizer = _training.make_optimizer(params, setup, len(seqs))
    history = _history()
    with pytest.warns(ConvergenceWarning, match=r"maximum iterations \(3\)"):
        weights = _training.fit_loop(seqs, y, w, params, optimizer, None,
                                     check_random_state(0), setup, history)
    assert history.n_iter == len(history.loss_curve) == 3 and weights is params
    assert history.validation_loss_curve is None


def test_fit_loop_stops_after_patience_epochs_without_improvement(capsys):
    seqs, y, w = _numeric_task()
    setup = _setup(max_iter=50, tol=100.0, n_iter_no_change=3, verbose=1)
    params = _rnn.init_params(setup.arch, 2, 2, 4, None, check_random_state(0), np.float64)
    optimizer = _training.make_optimizer(params, setup, len(seqs))
    history = _history()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        _training.fit_loop(seqs, y, w, params, optimizer, None, check_random_state(0), setup,
                           history)
    assert history.n_iter == 4  # the first epoch, then 3 without improvement beyond tol
    out = capsys.readouterr().out
    assert out.count("Epoch ") == 4
    assert ("Training loss did not improve more than tol=100.0 for 3 consecutive epochs. "
            "Stopping.") in out


def test_fit_loop_with_partial_runs_one_epoch_and_never_stops_early():
    seqs, y, w = _numeric_task()
    setup = _setup(early_stopping=True, max_iter=5)
    params = _rnn.init_params(setup.arch, 2, 2, 4, None, check_random_state(0), np.float64)
    optimizer = _training.make_optimizer(params, setup, len(seqs))
    history = _history()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _training.fit_loop(seqs, y, w, params, optimizer, None, check_random_state(0), setup,
                           history, partial=True)
    assert history.n_iter == 1 and history.validation_loss_curve is None


def test_fit_loop_keeps_the_epoch_of_the_lowest_validation_loss():
    seqs, y, w = _numeric_task(60)
    setup = _setup(early_stopping=True, max_iter=8, n_iter_no_change=8, tol=0.0,
                   learning_rate_init=0.2, validation_fraction=0.3)
    params = _rnn.init_params(setup.arch, 2, 2, 4, None, check_random_state(0), np.float64)
    optimizer = _training.make_optimizer(params, setup, len(seqs))
    snapshots = []
    step = _training.run_epoch

    def spying(*args, **kwargs):
        loss = step(*args, **kwargs)
        snapshots.append({k: v.copy() for k, v in params.items()})
        return loss

    history = _history()
    import unittest.mock

    with unittest.mock.patch.object(_training, "run_epoch", spying):
        weights = _training.fit_loop(seqs, y, w, params, optimizer, None,
                                     check_random_state(0), setup, history)
    curve = history.validation_loss_curve
    assert len(curve) == len(history.validation_scores) == len(snapshots) == 8
    best = int(np.argmin(curve))
    assert best < 7  # the test needs a best epoch before the last
    for k in weights:
        np.testing.assert_array_equal(weights[k], snapshots[best][k])
    assert history.best_validation_score == history.validation_scores[best]


def test_fit_loop_returns_the_weight_average_and_adapts_the_step():
    seqs, y, w = _numeric_task()
    setup = _setup(max_iter=6, tol=100.0, n_iter_no_change=1, learning_rate="adaptive",
                   learning_rate_init=0.05)
    params = _rnn.init_params(setup.arch, 2, 2, 4, None, check_random_state(0), np.float64)
    optimizer = _training.make_optimizer(params, setup, len(seqs))
    average = _optim.WeightAverage(params, 0.9)
    weights = _training.fit_loop(seqs, y, w, params, optimizer, average,
                                 check_random_state(0), setup, _history())
    for k, v in average.averaged(params).items():
        np.testing.assert_array_equal(weights[k], v)
    # one epoch, then the step divided by 5 after each of the five others
    assert optimizer.learning_rate == pytest.approx(0.05 / 5**5)


def test_run_epoch_is_the_weighted_mean_of_its_batches_losses():
    seqs, y, w = _numeric_task(12)
    w = np.linspace(0.5, 2.0, 12)
    setup = _setup(solver="sgd", momentum=0.0)
    params = _rnn.init_params(setup.arch, 2, 2, 4, None, check_random_state(0), np.float64)
    optimizer = _optim.SGDOptimizer(params, 0.0)  # the weights stay as they are
    indices = [np.arange(0, 5), np.arange(5, 12)]
    batches = list(_training.labelled_batches(seqs, y, w, indices))
    loss = _training.run_epoch(batches, 2, params, optimizer, None, check_random_state(0),
                               setup, float(w.sum()), None, 1)
    expected = sum(_rnn.loss_and_grads(params, b, yb, wb, arch=setup.arch)[0] * wb.sum()
                   for b, yb, wb, _ in batches) / w.sum()
    assert loss == pytest.approx(expected, rel=1e-12)
    for (batch, yb, wb, bag), index in zip(batches, indices):  # labels in packed order
        np.testing.assert_array_equal(yb, y[index][batch.order])
        np.testing.assert_array_equal(wb, w[index][batch.order])
        assert bag is None  # no linear path for numeric input


def test_train_step_that_overflows_is_not_applied():
    seqs, y, w = _numeric_task(6)
    setup = _setup(solver="sgd", momentum=0.0, clip_value=None)
    params = _rnn.init_params(setup.arch, 2, 2, 4, None, check_random_state(0), np.float64)
    params["Why"][:] = 1e308
    before = {k: v.copy() for k, v in params.items()}
    optimizer = _optim.SGDOptimizer(params, 1e308)
    (batch, yb, wb, _), = _training.labelled_batches(seqs, y, w, [np.arange(6)])
    with pytest.raises(_training.Diverged, match=r"overflowed in epoch 4 \(batch 7, loss") as e, \
            np.errstate(over="ignore", invalid="ignore"):
        _training.train_step(batch, yb, wb, params, optimizer, None, check_random_state(0),
                             setup, None, (4, 7))
    assert re.fullmatch(
        re.escape("The gradient, or the weights it would give, overflowed in epoch 4 (batch "
                  "7, loss ") + r"[-+.\de]+" + re.escape(
            "): training diverged. The learning rate is probably too high; lower "
            "learning_rate_init (or set clip_value). The weights are left as they were "
            "before that batch."), str(e.value))
    for k in before:
        np.testing.assert_array_equal(e.value.weights[k], before[k])


def test_validation_step_and_chunked_prediction(monkeypatch):
    seqs, y, w = _numeric_task(9)
    w = np.arange(1.0, 10.0)
    params = _rnn.init_params(_rnn.TUTORIAL, 2, 2, 4, None, check_random_state(0),
                              np.float64)
    monkeypatch.setattr(_data, "PREDICT_ROWS", 2)  # five chunks
    proba = _training.predict_proba(params, _rnn.TUTORIAL, seqs)
    whole = _data.Sequences(seqs.data).pack(np.arange(9))
    expected = np.empty_like(proba)
    expected[whole.order] = _rnn.predict_proba(params, whole, _rnn.TUTORIAL)
    np.testing.assert_allclose(proba, expected, rtol=1e-12)
    loss, accuracy = _training.validation_step(params, _rnn.TUTORIAL, seqs, y, w)
    assert loss == pytest.approx(-np.dot(w / w.sum(), np.log(proba[np.arange(9), y])))
    assert accuracy == pytest.approx(np.dot(w / w.sum(), proba.argmax(axis=1) == y))


def test_train_starts_new_or_goes_on_from_weights_and_optimizer():
    seqs, y, w = _numeric_task()
    setup = _setup(max_iter=2, dtype="float32")
    new = _training.train(seqs, y, w, check_random_state(0), setup,
                          _training.Start(2, 2), _history(), lengths=seqs.lengths,
                          rows=np.arange(len(seqs)))
    assert new.weights["Whh"].dtype == np.float32 and new.average is not None
    assert new.optimizer.t > 0
    steps = new.optimizer.t
    frozen = {k: v.copy() for k, v in new.raw.items()}
    for v in frozen.values():
        v.flags.writeable = False
    on = _training.train(seqs, y, w, check_random_state(0), setup,
                         _training.Start(weights=frozen, optimizer=new.optimizer,
                                         average=new.average),
                         _history(), lengths=seqs.lengths, rows=np.arange(len(seqs)),
                         partial=True)
    assert on.optimizer is new.optimizer and on.optimizer.t == steps + 1
    assert all(v.flags.writeable for v in on.raw.values())
    assert any(not np.array_equal(on.raw[k], frozen[k]) for k in frozen)


def test_offsets_of_lengths():
    np.testing.assert_array_equal(_text.offsets([2, 0, 3]), [0, 2, 2, 5])
    ids = _text.TokenIds.from_lengths(np.arange(5), np.array([2, 0, 3]))
    np.testing.assert_array_equal(ids.starts, [0, 2, 2])


def test_epoch_times_are_kept_per_epoch_like_the_loss_curve():
    X, y = _noise(40)
    clf = RNNSentimentClassifier(hidden_size=4, max_iter=3, random_state=0).fit(X, y)
    assert len(clf.epoch_times_) == len(clf.loss_curve_) == clf.n_iter_ == 3
    assert all(0 < t < 60 for t in clf.epoch_times_)
    clf.partial_fit(X, y)
    assert len(clf.epoch_times_) == 4


def test_a_loss_exactly_tol_below_the_best_is_an_improvement():
    monitor = _training.EarlyStopping(patience=1, tol=0.25)
    monitor.update(1.0)
    monitor.update(1.0)
    assert monitor.stalled == 1
    assert monitor.update(0.75) and monitor.stalled == 0  # by exactly tol: it counts


def test_train_reads_per_token_inputs_of_the_data_and_goes_on_in_the_weights_dtype(
        monkeypatch):
    seen, calls = [], []

    def spy(*args):
        calls.append(args)
        seen.append((args[4], args[5], args[6]))

    monkeypatch.setattr(_training, "check_memory", spy)
    seqs, y, w = _numeric_task()
    setup = _setup(max_iter=2, dtype="float32", embedding_size=64, batch_size=7)
    history = _history()
    rows, lengths = np.arange(len(seqs)) + 3, seqs.lengths
    new = _training.train(seqs, y, w, check_random_state(0), setup, _training.Start(2, 2),
                          history, lengths=lengths, rows=rows)
    assert history.n_iter == 2  # not partial: max_iter epochs
    assert calls[0][0] is lengths and calls[0][1] is rows
    assert calls[0][2] is setup and calls[0][3] == 7
    assert seen[-1] == (False, 2, 4)  # numeric: 2 features per step, float32
    weights64 = {k: v.astype(np.float64) for k, v in new.raw.items()}
    on = _training.train(seqs, y, w, check_random_state(0), setup,
                         _training.Start(weights=weights64), history,
                         lengths=seqs.lengths, rows=np.arange(len(seqs)), partial=True)
    assert on.raw["Whh"].dtype == np.float64 and seen[-1] == (False, 2, 8)
    text = _data.Sequences(_text.TokenIds.from_lengths(np.array([0, 1, 2, 1]),
                                                       np.array([3, 1])))
    for embedding, expected in ((5, 5), (None, 0)):
        _training.train(text, np.array([0, 1]), np.ones(2), check_random_state(0),
                        _setup(max_iter=1, embedding_size=embedding),
                        _training.Start(4, 2, 3), _history(), lengths=text.lengths,
                        rows=np.arange(2))
        assert seen[-1] == (True, expected, 4)


def test_memory_refusal_message_in_full(monkeypatch):
    setup = _setup(hidden_size=8)
    per_token = _rnn.training_bytes_per_token(setup.arch, 8, 3, 4)
    lengths, rows = np.array([5, 100, 7]), np.array([2, 5, 9])
    # the two longest (107 tokens) are over; the two shortest (12) would fit
    monkeypatch.setattr(_training, "MEMORY_LIMIT", 106 * per_token)
    with pytest.raises(ValueError) as refused:
        _training.check_memory(lengths, rows, setup, 2, True, 3, 4)
    gib = 107 * per_token / 2**30
    assert str(refused.value) == (
        f"X[5] has 100 tokens: training on it would need about {gib:.1f} GiB, over the "
        f"limit of {106 * per_token / 2**30:g} GiB (backpropagation through time keeps "
        f"every step's activations of a batch: 107 tokens in the 2 longest sequences, "
        f"about {per_token:,} bytes each for this network). Set train_window=53 (training "
        "reads a window of that many tokens of each document per epoch; prediction reads "
        "them whole), keep the last max_len=53 tokens of each document, or lower "
        "batch_size.")
    monkeypatch.setattr(_training, "MEMORY_LIMIT", 5 * per_token)  # under one token each
    with pytest.raises(ValueError, match=r"at most 1 time steps \(or lower batch_size\)\.$"):
        _training.check_memory(lengths, rows, setup, 8, False, 3, 4)


def test_validation_split_warnings_in_full():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a stratified split says nothing
        _training.validation_split(np.array([0, 1] * 10), 0.2, check_random_state(0))
    y = np.array([0, 0, 0, 0, 0, 0, 1, 2, 2, 2])
    with pytest.warns(UserWarning) as caught:
        train, val = _training.validation_split(y, 0.5, check_random_state(0))
    assert len(val) == 5 and len(train) == 5
    assert str(caught[0].message).startswith(
        "early_stopping: a stratified validation_fraction=0.5 of 10 distinct samples is "
        "impossible (")
    assert str(caught[0].message).endswith(
        "); the validation set is drawn at random, unstratified, instead.")
    with pytest.warns(UserWarning) as caught:  # one sample: no split at all
        assert _training.validation_split(np.array([0]), 0.5, check_random_state(0)) is None
    assert str(caught[0].message) == (
        "early_stopping: a validation_fraction=0.5 of 1 distinct samples leaves no "
        "validation sample or fewer than 2 classes to train on; training without "
        "validation, monitoring the training loss as early_stopping=False does.")


def test_train_that_diverges_gives_the_optimizer_as_it_was():
    seqs, y, w = _numeric_task(8)
    setup = _setup(solver="sgd", momentum=0.5, learning_rate_init=1e308, clip_value=None,
                   max_iter=3)
    start = _training.Start(2, 2)
    with pytest.raises(_training.Diverged) as diverged, \
            np.errstate(over="ignore", invalid="ignore"):
        _training.train(seqs, y, w, check_random_state(0), setup, start, _history(),
                        lengths=seqs.lengths, rows=np.arange(8))
    exc = diverged.value
    assert isinstance(exc.optimizer, _optim.SGDOptimizer) and exc.average is not None
    assert all(np.isfinite(v).all() for v in exc.weights.values())
    # mixed types go on in the type of Whh
    mixed = {k: v.astype(np.float32) for k, v in exc.weights.items()}
    mixed["Whh"] = mixed["Whh"].astype(np.float64)
    on = _training.train(seqs, y, w, check_random_state(0), _setup(max_iter=1),
                         _training.Start(weights=mixed), _history(),
                         lengths=seqs.lengths, rows=np.arange(8))
    assert {v.dtype for v in on.raw.values()} == {np.dtype(np.float64)}


def test_fit_loop_goes_on_with_the_curves_it_is_given(capsys):
    seqs, y, w = _numeric_task(60)
    setup = _setup(early_stopping=True, max_iter=30, n_iter_no_change=2, tol=100.0,
                   verbose=1)
    params = _rnn.init_params(setup.arch, 2, 2, 4, None, check_random_state(0), np.float64)
    optimizer = _training.make_optimizer(params, setup, len(seqs))
    history = _training.History([3.0], 1, [9.0], [0.1], 0.1, [0.5])
    _training.fit_loop(seqs, y, w, params, optimizer, None, check_random_state(0), setup,
                       history)
    n = history.n_iter
    assert history.loss_curve[0] == 3.0 and len(history.loss_curve) == n
    assert history.validation_loss_curve[0] == 9.0 and len(history.validation_loss_curve) == n
    assert history.validation_scores[0] == 0.1 and len(history.validation_scores) == n
    assert history.epoch_times[0] == 0.5 and len(history.epoch_times) == n
    assert all(0 < t < 60 for t in history.epoch_times[1:])
    out = capsys.readouterr().out
    line = re.search(r"Epoch 2: loss [\d.]+, validation loss [\d.]+, validation accuracy "
                     r"[\d.]+, ([\d.]+) s, ([\d,]+) tokens/s", out)
    assert line, out
    seconds, speed = float(line[1]), int(line[2].replace(",", ""))
    # 42 training samples of 4 steps, in well under a second: more tokens per second
    assert seconds < 1 and speed > 42 * 4
    assert ("Validation loss did not improve more than tol=100.0 for 2 consecutive epochs. "
            "Stopping.") in out and n == 1 + 3


def test_the_warning_when_max_iter_is_reached_in_full():
    seqs, y, w = _numeric_task()
    setup = _setup(max_iter=1)
    params = _rnn.init_params(setup.arch, 2, 2, 4, None, check_random_state(0), np.float64)
    optimizer = _training.make_optimizer(params, setup, len(seqs))
    with pytest.warns(ConvergenceWarning) as caught:
        _training.fit_loop(seqs, y, w, params, optimizer, None, check_random_state(0),
                           setup, _history())
    assert str(caught[0].message) == ("Stochastic optimizer: maximum iterations (1) reached "
                                      "and the optimization hasn't converged yet.")


@pytest.mark.parametrize("n_batches, reported", [
    (20, list(range(2, 21, 2))),  # from 20 batches on, every tenth of them
    (25, list(range(2, 25, 2))),  # every 25 // 10 = 2 batches
    (30, list(range(3, 31, 3))),
    (19, []),
])
def test_run_epoch_reports_its_progress_with_verbose_two(capsys, n_batches, reported):
    seqs, y, _ = _numeric_task(n_batches)
    w = np.linspace(0.5, 2.0, n_batches)
    setup = _setup(solver="sgd", momentum=0.0, verbose=2)
    params = _rnn.init_params(setup.arch, 2, 2, 4, None, check_random_state(0), np.float64)
    optimizer = _optim.SGDOptimizer(params, 0.0)  # the weights stay as they are
    batches = list(_training.labelled_batches(
        seqs, y, w, [np.array([i]) for i in range(n_batches)]))
    _training.run_epoch(batches, n_batches, params, optimizer, None, check_random_state(0),
                        setup, float(w.sum()), None, 3)
    losses = np.array([_rnn.loss_and_grads(params, b, yb, wb, arch=setup.arch)[0]
                       for b, yb, wb, _ in batches])
    so_far = np.cumsum(losses * w) / np.cumsum(w)  # weighted mean of the batches so far
    expected = "".join(f"  epoch 3: {k}/{n_batches} batches, loss so far {so_far[k - 1]:.6f}\n"
                       for k in reported)
    assert capsys.readouterr().out == expected


def test_run_epoch_names_the_batch_that_diverged():
    seqs, y, w = _numeric_task(6)
    setup = _setup(solver="sgd", momentum=0.0, clip_value=None)
    params = _rnn.init_params(setup.arch, 2, 2, 4, None, check_random_state(0), np.float64)
    params["Why"][:] = 1e308
    optimizer = _optim.SGDOptimizer(params, 1e308)
    batches = list(_training.labelled_batches(seqs, y, w, [np.arange(3), np.arange(3, 6)]))
    with pytest.raises(_training.Diverged, match=r"overflowed in epoch 5 \(batch 1, loss"), \
            np.errstate(over="ignore", invalid="ignore"):
        _training.run_epoch(batches, 2, params, optimizer, None, check_random_state(0),
                            setup, float(w.sum()), None, 5)


def test_memory_refusal_gives_the_estimate_in_gib(monkeypatch):
    setup = _setup(hidden_size=64)
    per_token = _rnn.training_bytes_per_token(setup.arch, 64, 3, 4)
    lengths, rows = np.array([3_000_000, 5]), np.array([0, 1])
    monkeypatch.setattr(_training, "MEMORY_LIMIT", 2**30)
    with pytest.raises(ValueError) as refused:
        _training.check_memory(lengths, rows, setup, 1, True, 3, 4)
    estimate = 3_000_000 * per_token / 2**30
    assert estimate > 1.5  # so that a wrong unit shows in one decimal
    assert f"training on it would need about {estimate:.1f} GiB, over the limit of 1 GiB" \
        in str(refused.value)


def test_partial_fit_keeps_the_best_validation_score_of_the_fit_before():
    X, y = _noise(60)
    clf = RNNSentimentClassifier(hidden_size=8, early_stopping=True, max_iter=3,
                                 random_state=0).fit(X, y)
    score = clf.best_validation_score_
    assert score is not None
    clf.partial_fit(X, y)
    assert clf.best_validation_score_ == score


def test_train_goes_on_in_the_dtype_of_the_weights_it_is_given():
    seqs, y, w = _numeric_task(8)
    weights = _rnn.init_params(_setup().arch, 2, 2, 4, None, check_random_state(0),
                               np.float32)
    weights["Whh"] = np.asfortranarray(weights["Whh"])
    on = _training.train(seqs, y, w, check_random_state(0), _setup(max_iter=1, dtype="float64"),
                         _training.Start(weights=weights), _history(),
                         lengths=seqs.lengths, rows=np.arange(8))
    assert {v.dtype for v in on.raw.values()} == {np.dtype(np.float32)}


@pytest.mark.parametrize("seconds, shown", [(0.25, "0.25 s, 480 tokens/s"),
                                            (0.0, "0.00 s, 120,000,000,000 tokens/s")])
def test_fit_loop_verbose_line_gives_the_epochs_time_and_speed(monkeypatch, capsys, seconds,
                                                               shown):
    seqs, y, w = _numeric_task(30)  # 30 sequences of 4 steps: 120 tokens
    clock = iter([10.0, 10.0 + seconds])
    monkeypatch.setattr(_training.time, "perf_counter", lambda: next(clock))
    setup = _setup(max_iter=1, verbose=1, early_stopping=False)
    params = _rnn.init_params(setup.arch, 2, 2, 4, None, check_random_state(0), np.float64)
    history = _history()
    with pytest.warns(ConvergenceWarning):
        _training.fit_loop(seqs, y, w, params, _training.make_optimizer(params, setup, 30),
                           None, check_random_state(0), setup, history)
    assert capsys.readouterr().out == (
        f"Epoch 1: loss {history.loss_curve[0]:.6f}, {shown}\n")
    assert history.epoch_times == [seconds]


def test_fit_loop_verbose_speed_counts_the_tokens_the_windows_read(monkeypatch, capsys):
    # documents of 3, 10 and 20 tokens through a window of 5: 3 + 5 + 5 tokens an epoch
    seqs = _data.Sequences(_text.TokenIds.from_lengths(np.arange(33) % 4,
                                                       np.array([3, 10, 20])))
    y, w = np.array([0, 1, 0]), np.ones(3)
    clock = iter([10.0, 10.5])
    monkeypatch.setattr(_training.time, "perf_counter", lambda: next(clock))
    setup = _setup(max_iter=1, verbose=1, early_stopping=False, train_window=5)
    params = _rnn.init_params(setup.arch, 4, 2, 4, None, check_random_state(0), np.float64)
    with pytest.warns(ConvergenceWarning):
        optimizer = _training.make_optimizer(params, setup, 3, _rnn.looked_up_names(params))
        _training.fit_loop(seqs, y, w, params, optimizer,
                           None, check_random_state(0), setup, _history())
    assert capsys.readouterr().out.endswith(", 0.50 s, 26 tokens/s\n")


def test_train_step_penalizes_the_weights_by_alpha():
    seqs, y, w = _numeric_task(6)
    setup = _setup(solver="sgd", momentum=0.0, alpha=0.5)
    params = _rnn.init_params(setup.arch, 2, 2, 4, None, check_random_state(0), np.float64)
    (batch, yb, wb, _), = _training.labelled_batches(seqs, y, w, [np.arange(6)])
    optimizer = _optim.SGDOptimizer(params, 0.0)
    loss = _training.train_step(batch, yb, wb, params, optimizer, None, check_random_state(0),
                                setup, None, (1, 1))
    plain = _rnn.loss_and_grads(params, batch, yb, wb, 0.0, arch=setup.arch)[0]
    assert loss == pytest.approx(_rnn.loss_and_grads(params, batch, yb, wb, 0.5,
                                                     arch=setup.arch)[0], rel=1e-12)
    assert loss > plain + 1e-3


def test_train_step_says_when_the_loss_itself_overflowed():
    seqs, y, w = _numeric_task(6)
    setup = _setup(solver="sgd", momentum=0.0, clip_value=None)
    params = _rnn.init_params(setup.arch, 2, 2, 4, None, check_random_state(0), np.float64)
    params["by"][:] = [np.inf, 0.0]
    (batch, yb, wb, _), = _training.labelled_batches(seqs, y, w, [np.arange(6)])
    with pytest.raises(_training.Diverged, match=r"^The training loss overflowed in epoch 2 "), \
            np.errstate(over="ignore", invalid="ignore"):
        _training.train_step(batch, yb, wb, params, _optim.SGDOptimizer(params, 0.01), None,
                             check_random_state(0), setup, None, (2, 1))


def test_validation_step_takes_a_zero_probability_as_an_infinite_loss(monkeypatch):
    monkeypatch.setattr(_training, "predict_proba",
                        lambda params, arch, seqs: np.array([[1.0, 0.0], [0.5, 0.5]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # log(0) is expected here, not warned of
        loss, score = _training.validation_step(None, None, None, np.array([1, 0]),
                                                np.ones(2))
    assert loss == np.inf and score == 0.5
