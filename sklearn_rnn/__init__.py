"""A from-scratch NumPy recurrent neural network as a scikit-learn classifier."""

from ._classifier import RNNSentimentClassifier
from ._explain import Explanation, explain_prediction

__version__ = "0.1.0"

__all__ = ["Explanation", "RNNSentimentClassifier", "__version__", "explain_prediction"]
