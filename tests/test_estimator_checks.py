"""scikit-learn's estimator checks on the default-constructed estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_rnn import RNNSentimentClassifier


@parametrize_with_checks([RNNSentimentClassifier()])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
