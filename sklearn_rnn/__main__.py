"""``python -m sklearn_rnn``: train on the tutorial's sentences and report."""

import argparse
import time

from . import RNNSentimentClassifier, __version__
from .datasets import load_seed_sentiment

EXAMPLES = [
    "i am very happy",
    "this is not good",
    "i was not sad earlier",
    "this is terrible",  # "terrible" never occurs in training: an unseen word
    "",
]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_rnn",
        description="Train the RNN sentiment classifier on the tutorial's data and report.",
    )
    parser.add_argument("--random-state", type=int, default=1)
    parser.add_argument("--hash-buckets", type=int, default=None,
                        help="hash words into this many columns instead of a vocabulary")
    args = parser.parse_args(argv)

    X_train, X_test, y_train, y_test = load_seed_sentiment()
    clf = RNNSentimentClassifier(random_state=args.random_state,
                                 hash_buckets=args.hash_buckets)
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    seconds = time.perf_counter() - start

    if args.hash_buckets is None:
        known = clf.vocabulary_
        words = f"vocabulary of {len(known)} words"
    else:  # no vocabulary: every training word has a hashed column
        known = {w for doc in X_train for w in doc.split()}
        words = f"{len(known)} words hashed into {args.hash_buckets} columns"
    print(f"sklearn_rnn {__version__}: {clf}")
    print(f"trained on {len(X_train)} sentences in {seconds:.3f} s ({clf.n_iter_} epochs, "
          f"final loss {clf.loss_:.4f}, {words})")
    print(f"train accuracy {clf.score(X_train, y_train):.3f}")
    print(f"test accuracy  {clf.score(X_test, y_test):.3f} ({len(X_test)} sentences)")
    print("predictions:")
    for text, label, proba in zip(EXAMPLES, clf.predict(EXAMPLES), clf.predict_proba(EXAMPLES)):
        unseen = [w for w in text.split() if w not in known]
        note = f"  (unseen: {', '.join(unseen)})" if unseen else ""
        shown = repr(text) if text else "'' (empty)"
        print(f"  {shown:<26} -> {'positive' if label else 'negative'} "
              f"(p={proba.max():.3f}){note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
