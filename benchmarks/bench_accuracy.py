"""Accuracy of RNNSentimentClassifier's defaults against TF-IDF + LogisticRegression and
other configurations, on the tutorial's sentences and on the tweets corpus.

Usage::

    python benchmarks/bench_accuracy.py DATA_PATH [--seeds 0 1 2] [--configs NAME ...]

``DATA_PATH`` is the tweets corpus (``tweets_sentiment.csv.gz``, columns ``text`` and
``sentiment``), split with
``train_test_split(texts, labels, test_size=0.2, random_state=0, stratify=labels)``.

For every configuration it prints

- tutorial: how many of ``random_state`` 0..9 reach test accuracy 1.0, and the mean
  3-fold ``cross_val_score`` on the 58 training sentences over ``random_state`` 0..4;
- tweets: test accuracy and fit seconds for each seed of ``--seeds`` (one BLAS thread).

The configurations run one after the other in one process, so that their fit times
compare. This is a benchmark, not a test: nothing is asserted.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

from sklearn_rnn import RNNSentimentClassifier
from sklearn_rnn.datasets import load_seed_sentiment, load_text_csv

# the tutorial's model (tanh cell, last state, one-hot look-up) with the other defaults
TUTORIAL_MODEL = dict(cell="tanh", bidirectional=False, pooling="last", embedding_size=None,
                      subword_ngrams=None, label_smoothing=0.0, ema_decay=None)
CONFIGS = {
    "defaults": {},
    # the defaults before the gated cells: tanh, last state, float64, minibatches of 128
    # at 0.002, patience 20, every word in the vocabulary
    "previous defaults": dict(TUTORIAL_MODEL, dtype="float64", n_iter_no_change=20, min_df=1,
                              _previous_auto=True),
    "tutorial model": TUTORIAL_MODEL,
    "gru, last": dict(TUTORIAL_MODEL, cell="gru"),
    "gru, max+mean": dict(TUTORIAL_MODEL, cell="gru", pooling="max+mean"),
    "bigru, max+mean": dict(TUTORIAL_MODEL, cell="gru", bidirectional=True,
                            pooling="max+mean"),
    "bigru, max+mean, embedding 64": dict(TUTORIAL_MODEL, cell="gru", bidirectional=True,
                                          pooling="max+mean", embedding_size=64),
    "defaults without subwords": dict(subword_ngrams=None),
    "defaults, label smoothing 0.1": dict(label_smoothing=0.1),
    "defaults without ema": dict(ema_decay=None),
    "defaults, min_df=1": dict(min_df=1),
    "defaults, lstm": dict(cell="lstm"),
    "defaults, one direction": dict(bidirectional=False),
    "defaults, dropout 0.2": dict(dropout=0.2),
    "defaults, float64": dict(dtype="float64"),
}


def make(params, seed, n_samples):
    params = dict(params)
    if params.pop("_previous_auto", False) and n_samples > 512:
        params.update(batch_size=128, learning_rate_init=0.002)
    return RNNSentimentClassifier(random_state=seed, **params)


def tutorial(params):
    X_train, X_test, y_train, y_test = load_seed_sentiment()
    perfect = sum(
        make(params, s, len(X_train)).fit(X_train, y_train).score(X_test, y_test) == 1.0
        for s in range(10)
    )
    cv = [cross_val_score(make(params, s, len(X_train)), X_train, y_train, cv=3).mean()
          for s in range(5)]
    return perfect, float(np.mean(cv))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    texts, labels = load_text_csv(args.data, "text", "sentiment")
    X_train, X_test, y_train, y_test = train_test_split(
        texts, labels, test_size=0.2, random_state=0, stratify=labels)
    with threadpool_limits(1, "blas"):
        start = time.perf_counter()
        tfidf = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                              LogisticRegression(C=4, max_iter=1000))
        tfidf.fit(X_train, y_train)
        print(f"TF-IDF + LogisticRegression: tweets {tfidf.score(X_test, y_test):.4f} "
              f"({time.perf_counter() - start:.1f} s)", flush=True)
        for name in args.configs:
            params = CONFIGS[name]
            perfect, cv = tutorial(params)
            line = f"{name}: tutorial test 1.0 in {perfect}/10, 3-fold CV {cv:.3f}; tweets"
            for seed in args.seeds:
                clf = make(params, seed, len(X_train))
                start = time.perf_counter()
                clf.fit(X_train, y_train)
                seconds = time.perf_counter() - start
                line += (f" seed {seed}: {clf.score(X_test, y_test):.4f} in {seconds:.1f} s "
                         f"({clf.n_iter_} epochs);")
            print(line, flush=True)


if __name__ == "__main__":
    main()
