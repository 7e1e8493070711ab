"""Accuracy of RNNSentimentClassifier's defaults against TF-IDF + LogisticRegression and
other configurations, on the tutorial's sentences and on the tweets corpus; with
``--curve``, the learning curve of the defaults.

Usage::

    python benchmarks/bench_accuracy.py DATA_PATH [--seeds 0 1 2] [--configs NAME ...]
    python benchmarks/bench_accuracy.py DATA_PATH --curve [--imdb IMDB_PATH] [--png PATH]
    python benchmarks/bench_accuracy.py DATA_PATH --imdb IMDB_PATH --windows none 64 128

``DATA_PATH`` is the tweets corpus (``tweets_sentiment.csv.gz``, columns ``text`` and
``sentiment``), split with
``train_test_split(texts, labels, test_size=0.2, random_state=0, stratify=labels)``.

For every configuration it prints

- tutorial: how many of ``random_state`` 0..9 reach test accuracy 1.0, and the mean
  3-fold ``cross_val_score`` on the 58 training sentences over ``random_state`` 0..4;
- tweets: test accuracy and fit seconds for each seed of ``--seeds`` (one BLAS thread).

The configurations run one after the other in one process, so that their fit times
compare.

``--curve`` fits the defaults (``--configs`` picks others) and TF-IDF (1-2 grams,
sublinear tf, min_df 2) + LogisticRegression with each ``C`` of 1, 4 and 10 on the first
1,000, 2,000, 4,000, 8,000 and 16,000 training tweets and on all of them, and with
``--imdb`` on the IMDB subset's split (``review``, ``sentiment``; our model's accuracy
and time the mean over ``--seeds``), all tested on the split's test set. It prints, per
point, our accuracy and fit seconds, the linear model's with its best ``C`` (chosen on the
test set, in its favour), the ratio of the fit times against the allowance of 20 times
the linear model's (at least 2 s), and whether ours is at least as accurate and within
it; then the tutorial's 10 seeds and cross-validation. ``--png`` draws accuracy and fit
seconds against the training-set size for our model, the linear one and the tutorial's
model (matplotlib).

``--windows`` fits the defaults on the IMDB subset's split with each ``train_window``
given (``none`` for whole documents), for each of ``--seeds``, and prints test accuracy,
fit seconds, network epochs, whether the network was kept beside the linear path, and
the network's best validation loss against the linear path's alone.

This is a benchmark, not a test: nothing is asserted.
"""

import argparse
import contextlib
import io
import re
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
                      subword_ngrams=None, word_ngrams=None, label_smoothing=0.0,
                      ema_decay=None)
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


CURVE_SIZES = (1000, 2000, 4000, 8000, 16000, None)
LINEAR_C = (1, 4, 10)
# the fit may take this many times the linear model's, and at least FIT_FLOOR seconds
FIT_RATIO, FIT_FLOOR = 20, 2.0


def fit_score(make_model, X_train, y_train, X_test, y_test):
    model = make_model()
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    return float(model.score(X_test, y_test)), seconds, model


def best_linear(X_train, y_train, X_test, y_test):
    """(accuracy, seconds, C) of the TF-IDF + LogisticRegression with the best C."""
    runs = []
    for C in LINEAR_C:
        acc, seconds, _ = fit_score(
            lambda: make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2,
                                                  sublinear_tf=True),
                                  LogisticRegression(C=C, max_iter=1000)),
            X_train, y_train, X_test, y_test)
        runs.append((acc, -seconds, C))
    acc, seconds, C = max(runs)
    return acc, -seconds, C


def curve_point(name, params, seeds, X_train, y_train, X_test, y_test, tutorial_model):
    lin_acc, lin_s, C = best_linear(X_train, y_train, X_test, y_test)
    ours = [fit_score(lambda: make(params, s, len(X_train)), X_train, y_train, X_test,
                      y_test) for s in seeds]
    acc = float(np.mean([o[0] for o in ours]))
    seconds = float(np.mean([o[1] for o in ours]))
    tut = fit_score(lambda: make(tutorial_model, seeds[0], len(X_train)), X_train, y_train,
                    X_test, y_test)
    allowed = max(FIT_RATIO * lin_s, FIT_FLOOR)
    ok = "ok" if acc >= lin_acc and seconds <= allowed else (
        "LOSES" if acc < lin_acc else "SLOW")
    epochs = " ".join(f"{o[0]:.4f}/{o[1]:.1f}s/{o[2].n_iter_}ep" for o in ours)
    print(f"| {name} | {acc:.4f} | {seconds:.1f} s | {lin_acc:.4f} (C={C}) | {lin_s:.2f} s "
          f"| {seconds / lin_s:.1f} | {ok} | {tut[0]:.4f} / {tut[1]:.1f} s | {epochs} |",
          flush=True)
    return dict(name=name, n=len(X_train), acc=acc, seconds=seconds, lin_acc=lin_acc,
                lin_seconds=lin_s, tut_acc=tut[0], tut_seconds=tut[1])


def curve(args, texts, labels):
    params = CONFIGS[args.configs[0]] if args.configs else {}
    X_train, X_test, y_train, y_test = train_test_split(
        texts, labels, test_size=0.2, random_state=0, stratify=labels)
    print("| training data | ours | fit | TF-IDF + LR (best C) | fit | ratio | "
          "goal | tutorial's model | per seed |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |", flush=True)
    points = []
    for n in CURVE_SIZES:
        n = len(X_train) if n is None else n
        points.append(curve_point(f"{n:,} tweets", params, args.seeds[:1], X_train[:n],
                                  y_train[:n], X_test, y_test, TUTORIAL_MODEL))
    if args.imdb:
        reviews, sentiment = load_text_csv(args.imdb, "review", "sentiment")
        split = train_test_split(reviews, sentiment, test_size=0.2, random_state=0,
                                 stratify=sentiment)
        imdb = curve_point(f"IMDB ({len(split[0]):,} reviews)", params, args.seeds,
                           split[0], split[2], split[1], split[3], TUTORIAL_MODEL)
    perfect, cv = tutorial(params)
    print(f"tutorial: test accuracy 1.0 for {perfect}/10 seeds, 3-fold CV {cv:.3f}",
          flush=True)
    if args.png:
        plot(points, imdb if args.imdb else None, args.png)


def windows(args):
    reviews, sentiment = load_text_csv(args.imdb, "review", "sentiment")
    X_train, X_test, y_train, y_test = train_test_split(
        reviews, sentiment, test_size=0.2, random_state=0, stratify=sentiment)
    print("| train_window | seed | accuracy | fit | epochs | kept | best validation loss: "
          "network / linear |")
    print("| --- | ---: | ---: | ---: | ---: | --- | --- |", flush=True)
    for window in args.windows:
        window = None if window.lower() == "none" else int(window)
        for seed in args.seeds:
            log = io.StringIO()
            with contextlib.redirect_stdout(log):  # verbose: the linear path's epoch 0
                acc, seconds, model = fit_score(
                    lambda: make(dict(train_window=window, verbose=1), seed, len(X_train)),
                    X_train, y_train, X_test, y_test)
            linear = float(re.search(r"alone\): validation loss ([0-9.]+)", log.getvalue())[1])
            kept = "both" if model.weights_["Why"].any() else "linear"
            network = min(model.validation_loss_curve_)
            print(f"| {window} | {seed} | {acc:.4f} | {seconds:.1f} s | {model.n_iter_} | "
                  f"{kept} | {network:.4f} / {linear:.4f} |", flush=True)


def plot(points, imdb, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [p["n"] for p in points]
    fig, (ax_acc, ax_time) = plt.subplots(1, 2, figsize=(10, 4))
    for key, label, style in (("", "sklearn_rnn defaults", "o-"),
                              ("lin_", "TF-IDF + LogisticRegression (best C)", "s--"),
                              ("tut_", "the tutorial's model", "^:")):
        ax_acc.plot(n, [p[key + "acc"] for p in points], style, label=label)
        ax_time.plot(n, [p[key + "seconds"] for p in points], style, label=label)
    if imdb is not None:
        ax_acc.plot([imdb["n"]] * 3, [imdb["acc"], imdb["lin_acc"], imdb["tut_acc"]], "kx",
                    label="IMDB reviews: ours, linear, tutorial's (top to bottom)")
    for ax in (ax_acc, ax_time):
        ax.set_xscale("log")
        ax.set_xlabel("training documents")
    ax_acc.set_ylabel("test accuracy")
    ax_time.set_ylabel("fit seconds")
    ax_time.set_yscale("log")
    ax_acc.legend(fontsize=7)
    ax_acc.set_title("Accuracy (tweets; IMDB marked)")
    ax_time.set_title("Fit time, one BLAS thread")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--configs", nargs="+", default=None, choices=list(CONFIGS))
    parser.add_argument("--curve", action="store_true")
    parser.add_argument("--imdb", default=None)
    parser.add_argument("--png", default=None)
    parser.add_argument("--windows", nargs="+", default=None)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    if args.windows:
        if not args.imdb:
            parser.error("--windows needs --imdb")
        with threadpool_limits(1, "blas"):
            windows(args)
        return
    if args.curve:
        with threadpool_limits(1, "blas"):
            curve(args, *load_text_csv(args.data, "text", "sentiment"))
        return
    args.configs = args.configs or list(CONFIGS)

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
