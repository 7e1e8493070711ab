"""Tweets sentiment with early stopping and balanced class weights.

Trains ``RNNSentimentClassifier`` on a CSV corpus of labelled tweets (columns ``text``
and ``sentiment``; gzipped or not), split 80/20 with
``train_test_split(texts, labels, test_size=0.2, random_state=0, stratify=labels)``.
A stratified tenth of the training split is set aside to monitor the validation loss;
training stops when it has not improved for 2 epochs and keeps the best epoch's
weights. ``class_weight='balanced'`` gives the rare class (positive, 18% of the tweets) as
much weight in the loss as the others. Prints one line per epoch, the classification
report on the test split, and saves the training and validation loss curves as a PNG
when matplotlib is installed (``pip install "sklearn-rnn[examples]"``).

    python examples/tweets_early_stopping.py PATH/tweets_sentiment.csv.gz [--png curves.png]
"""

import argparse
import time

from sklearn.metrics import classification_report
from sklearn.model_selection import train_test_split

from sklearn_rnn import RNNSentimentClassifier
from sklearn_rnn.datasets import load_text_csv


def make_classifier(verbose=1):
    return RNNSentimentClassifier(
        early_stopping=True,
        validation_fraction=0.1,
        class_weight="balanced",
        max_iter=30,
        random_state=0,
        verbose=verbose,
    )


def save_curves(clf, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install matplotlib)")
        return None
    epochs = range(1, clf.n_iter_ + 1)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(epochs, clf.loss_curve_, marker="o", label="training loss (epoch mean)")
    ax.plot(epochs, clf.validation_loss_curve_, marker="o", label="validation loss")
    best = min(range(clf.n_iter_), key=clf.validation_loss_curve_.__getitem__) + 1
    ax.axvline(best, color="grey", linestyle=":", label=f"kept: epoch {best}")
    ax.set_xticks(list(epochs))
    ax.set_xlabel("epoch")
    ax.set_ylabel("class-weighted cross-entropy")
    ax.set_title("RNNSentimentClassifier on tweets")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="CSV (or .csv.gz) with columns text and sentiment")
    parser.add_argument("--png", default="tweets_loss_curves.png",
                        help="where to save the loss curves (default: %(default)s)")
    args = parser.parse_args(argv)

    texts, labels = load_text_csv(args.data)
    X_train, X_test, y_train, y_test = train_test_split(
        texts, labels, test_size=0.2, random_state=0, stratify=labels
    )
    clf = make_classifier()
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    best = clf.validation_loss_curve_.index(min(clf.validation_loss_curve_)) + 1
    print(f"\n{len(X_train)} training tweets, {clf.n_iter_} epochs in {seconds:.1f} s; kept "
          f"epoch {best} (validation accuracy {clf.best_validation_score_:.4f})")
    print(f"\ntest split ({len(X_test)} tweets):")
    print(classification_report(y_test, clf.predict(X_test), digits=4))
    saved = save_curves(clf, args.png)
    if saved:
        print(f"loss curves saved to {saved}")
    return clf


if __name__ == "__main__":
    main()
