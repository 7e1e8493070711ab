"""scikit-learn's estimator checks on the default-constructed estimator, on one
instance per value of each architecture option, and on the option values users
grid-search."""

import pytest
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_inplace_ensure_writeable,
    parametrize_with_checks,
)

from sklearn_rnn import RNNSentimentClassifier

# the checks feed numeric sequences only: text options (embedding_size, subword_ngrams)
# change nothing there, and are exercised by the text tests
VARIANTS = [
    RNNSentimentClassifier(),
    RNNSentimentClassifier(cell="lstm", bidirectional=True, pooling="max", embedding_size=16,
                           dropout=0.2),
    # the tutorial's model
    RNNSentimentClassifier(cell="tanh", bidirectional=False, pooling="last",
                           embedding_size=None, subword_ngrams=None, ema_decay=None,
                           label_smoothing=0.0, dropout=0.0),
    RNNSentimentClassifier(cell="gru", bidirectional=False, pooling="mean", ema_decay=None,
                           label_smoothing=0.2),
    RNNSentimentClassifier(cell="tanh", bidirectional=True, pooling="last+max+mean",
                           ema_decay=0.9, subword_ngrams=(2, 4)),
    RNNSentimentClassifier(hash_buckets=2**10),
    # option values users grid-search
    RNNSentimentClassifier(early_stopping=True),
    RNNSentimentClassifier(solver="sgd"),
    RNNSentimentClassifier(dtype="float64"),
    RNNSentimentClassifier(cell="lstm", dropout=0.3),
]


# the checks' data are too few to stratify a validation split: early_stopping says so
@pytest.mark.filterwarnings("ignore:early_stopping:UserWarning")
@parametrize_with_checks(VARIANTS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "check", [check_dataframe_column_names_consistency, check_inplace_ensure_writeable]
)
def test_checks_not_yielded_by_default(check):
    # real checks of scikit-learn's that parametrize_with_checks does not yield
    check(RNNSentimentClassifier.__name__, RNNSentimentClassifier())
