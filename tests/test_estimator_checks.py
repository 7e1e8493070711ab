"""scikit-learn's estimator checks on the default-constructed estimator."""

import pytest
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_inplace_ensure_writeable,
    parametrize_with_checks,
)

from sklearn_rnn import RNNSentimentClassifier


@parametrize_with_checks([RNNSentimentClassifier()])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "check", [check_dataframe_column_names_consistency, check_inplace_ensure_writeable]
)
def test_checks_not_yielded_by_default(check):
    # real checks of scikit-learn's that parametrize_with_checks does not yield
    check(RNNSentimentClassifier.__name__, RNNSentimentClassifier())
