"""The tutorial's data reproduced, and the CSV loader."""

import gzip

import numpy as np
import pytest

from sklearn.model_selection import cross_val_score

from models import TUTORIAL_MODEL
from sklearn_rnn import RNNSentimentClassifier
from sklearn_rnn.datasets import load_seed_sentiment, load_text_csv


def test_seed_data_is_the_tutorials():
    X_train, X_test, y_train, y_test = load_seed_sentiment()
    assert (len(X_train), len(X_test)) == (58, 20)
    assert y_train.dtype == bool and y_test.dtype == bool
    assert (y_train.sum(), y_test.sum()) == (26, 10)
    assert X_train[0] == "good" and y_train[0]
    assert X_test[-1] == "i was not happy and not good earlier" and not y_test[-1]
    words = {w for doc in X_train for w in doc.split()}
    assert len(words) == 18


def test_default_estimator_solves_the_tutorial_for_most_seeds():
    X_train, X_test, y_train, y_test = load_seed_sentiment()
    perfect = [RNNSentimentClassifier(random_state=seed).fit(X_train, y_train)
               .score(X_test, y_test) == 1.0 for seed in range(10)]
    assert sum(perfect) >= 9, perfect


def test_default_estimator_generalizes_within_the_tutorials_training_set():
    # the tanh cell's last state scores about 0.58 here
    X_train, _, y_train, _ = load_seed_sentiment()
    scores = [cross_val_score(RNNSentimentClassifier(random_state=seed), X_train, y_train,
                              cv=3).mean() for seed in range(5)]
    assert np.mean(scores) >= 0.9, scores


def test_the_tutorials_own_configuration_learns():
    X_train, X_test, y_train, y_test = load_seed_sentiment()
    clf = RNNSentimentClassifier(**TUTORIAL_MODEL, dtype="float64", solver="sgd",
                                 momentum=0.0, learning_rate_init=0.02, batch_size=1,
                                 clip_value=1.0, hidden_size=64, max_iter=1000,
                                 random_state=0).fit(X_train, y_train)
    assert clf.score(X_train, y_train) == 1.0
    assert clf.score(X_test, y_test) == 1.0
    assert clf.loss_ < 0.05


@pytest.mark.parametrize("compress", [False, True])
def test_load_text_csv(tmp_path, compress):
    content = 'text,sentiment,confidence\n"good, really",positive,1\nbad,negative,0.5\n'
    path = tmp_path / ("d.csv.gz" if compress else "d.csv")
    if compress:
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(content)
    else:
        path.write_text(content, encoding="utf-8")
    texts, labels = load_text_csv(path)
    assert texts == ["good, really", "bad"]
    np.testing.assert_array_equal(labels, ["positive", "negative"])
    with pytest.raises(ValueError, match="no column"):
        load_text_csv(path, label_column="label")
