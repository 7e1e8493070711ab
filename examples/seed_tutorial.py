"""The tutorial, reproduced with the estimator.

Trains the tutorial's configuration (its model: a tanh cell read forwards, the last state
classified, a column of ``Wxh`` per word, in float64; plain SGD at 0.02, one sentence per
update, gradients clipped to [-1, 1], 64 hidden units, 1000 epochs) and prints the
tutorial's table every 100 epochs: training loss and accuracy, test loss and accuracy.

    python examples/seed_tutorial.py
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss

from sklearn_rnn import RNNSentimentClassifier
from sklearn_rnn.datasets import load_seed_sentiment


def main(epochs=1000, every=100):
    X_train, X_test, y_train, y_test = load_seed_sentiment()
    # a RandomState instance keeps drawing new shuffles across the one-epoch warm fits
    clf = RNNSentimentClassifier(
        cell="tanh", bidirectional=False, pooling="last", embedding_size=None,
        subword_ngrams=None,
        word_ngrams=None, label_smoothing=0.0, ema_decay=None, min_df=1, dtype="float64",
        solver="sgd", momentum=0.0, learning_rate_init=0.02, batch_size=1, clip_value=1.0,
        hidden_size=64, max_iter=1, warm_start=True, random_state=np.random.RandomState(0),
    )
    warnings.simplefilter("ignore", ConvergenceWarning)
    for epoch in range(1, epochs + 1):
        clf.fit(X_train, y_train)
        if epoch % every == 0:
            print(f"--- Epoch {epoch}")
            for name, X, y in (("Train", X_train, y_train), ("Test", X_test, y_test)):
                loss = log_loss(y, clf.predict_proba(X), labels=clf.classes_)
                print(f"{name}:\tLoss {loss:.3f} | Accuracy: {clf.score(X, y):.3f}")


if __name__ == "__main__":
    main()
