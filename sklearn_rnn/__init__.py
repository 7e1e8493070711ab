"""A from-scratch NumPy recurrent neural network as a scikit-learn classifier."""

from ._classifier import RNNSentimentClassifier

__version__ = "0.1.0"

__all__ = ["RNNSentimentClassifier", "__version__"]
