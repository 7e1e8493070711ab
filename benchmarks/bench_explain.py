"""Explanations against LIME: faithfulness by deletion, and time per document.

Usage::

    python benchmarks/bench_explain.py DATA_PATH [--n-docs 60] [--lime-samples 5000]
                                                 [--model PATH] [--no-lime]

``DATA_PATH`` is the tweets corpus (``tweets_sentiment.csv.gz``, columns ``text`` and
``sentiment``), split with
``train_test_split(texts, labels, test_size=0.2, random_state=0, stratify=labels)``.
``RNNSentimentClassifier(random_state=0)`` (the defaults) is fitted on the first 8,000
training tweets (``--model PATH`` loads it from PATH with joblib if that file exists,
and otherwise saves it there after fitting).

For the first ``--n-docs`` test tweets of 4 tokens or more, each method ranks the tokens
by how much they pushed the predicted class:

- ``explain_prediction`` with integrated gradients (the default) and with occlusion;
- the same integrated gradients with the path computed in float64 instead of the
  model's float32 (a private switch), to show what rounding changes and costs;
- LIME's ``LimeTextExplainer`` with ``bow=False`` (a feature per token position) and
  ``--lime-samples`` perturbed copies per tweet, in two variants: its own masking (a
  removed word is replaced by ``UNKWORDZ``, which the model reads as an unknown word)
  and removal (``mask_string=''``, the perturbation the deletion test then applies);
- a random order.

The deletion test removes each tweet's top-1 and top-3 tokens and measures the drop in
the predicted class's probability (mean over the tweets): the more faithful the ranking,
the larger the drop. Each method is timed per tweet (one call per tweet; the methods
take turns on each tweet, so that a busy machine slows them alike). Then the
completeness error of integrated gradients, ``|sum(scores) - (log_proba -
baseline_log_proba)| / |log_proba - baseline_log_proba|``, is measured against
``n_steps``, for the trapezoid rule alone (a private switch turns the adaptive halving
of intervals off) and as ``explain_prediction`` runs by default.

LIME is not a dependency: install it in a separate environment with
``pip install lime`` (``--no-lime`` skips it). This is a benchmark, not a test: nothing
is asserted.
"""

import argparse
import os
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sklearn_rnn import RNNSentimentClassifier, _explain, explain_prediction
from sklearn_rnn.datasets import load_text_csv

N_TRAIN = 8000
STEPS = (8, 16, 32, 64, 128, 256)


def fitted_model(X_train, y_train, path):
    import joblib

    if path and os.path.exists(path):
        print(f"model loaded from {path}")
        return joblib.load(path)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = RNNSentimentClassifier(random_state=0).fit(X_train, y_train)
    print(f"fitted the defaults on {len(X_train)} tweets in "
          f"{time.perf_counter() - start:.0f} s ({clf.n_iter_} epochs)")
    if path:
        joblib.dump(clf, path)
    return clf


def pick_documents(clf, X_test, n_docs, min_tokens=4):
    """The first ``n_docs`` test tweets with at least ``min_tokens`` tokens whose
    tokens are LIME's words (lowercased), so that both rank the same positions."""
    analyzer = clf._analyzer()
    docs = []
    for text in X_test:
        tokens = analyzer(text)
        if len(tokens) >= min_tokens and tokens == [w.lower() for w in lime_words(text)]:
            docs.append(text)
            if len(docs) == n_docs:
                break
    return docs


def lime_words(text):
    """The non-separator pieces of ``re.split`` on ``\\W+``, as LIME's IndexedString."""
    import re

    pieces = [p for p in re.compile(r"(\W+)|$").split(text) if p]
    return [p for p in pieces if not re.match(r"\W+", p)]


def ours(method, path_dtype=None):
    """``explain_prediction``; ``path_dtype`` runs integrated gradients' path in another
    floating-point type than the model's, through a private switch."""

    def explain(clf, doc):
        default = _explain._PATH_DTYPE
        _explain._PATH_DTYPE = path_dtype or default
        try:
            [explanation] = explain_prediction(clf, [doc], method=method)
        finally:
            _explain._PATH_DTYPE = default
        return explanation.scores

    return explain


def lime(n_samples, mask_string):
    from lime.lime_text import LimeTextExplainer

    explainer = LimeTextExplainer(bow=False, split_expression=r"\W+",
                                  mask_string=mask_string, random_state=0)

    def explain(clf, doc):
        k = int(clf.predict_proba([doc]).argmax())
        n_words = len(lime_words(doc))
        exp = explainer.explain_instance(doc, clf.predict_proba, labels=(k,),
                                         num_features=n_words, num_samples=n_samples)
        weights = np.zeros(n_words)
        for feature, weight in exp.local_exp[k]:
            weights[feature] = weight
        return weights

    return explain


def rank_all(clf, docs, explainers):
    """Rankings and seconds of each explainer on each document; the explainers take
    turns on every document, so that a busy machine slows them alike."""
    rankings = {name: [] for name in explainers}
    seconds = {name: [] for name in explainers}
    for doc in docs:
        for name, explain in explainers.items():
            start = time.perf_counter()
            scores = explain(clf, doc)
            seconds[name].append(time.perf_counter() - start)
            rankings[name].append(np.argsort(-scores, kind="stable"))
    return rankings, seconds


def rank_random(docs, clf, seed=0):
    rng = np.random.default_rng(seed)
    analyzer = clf._analyzer()
    return [rng.permutation(len(analyzer(doc))) for doc in docs], None


def deletion_drops(clf, docs, rankings, k):
    """Drop of the predicted class's probability when the top ``k`` tokens go."""
    analyzer = clf._analyzer()
    tokens = [analyzer(doc) for doc in docs]
    full = clf.predict_proba(tokens)
    predicted = full.argmax(axis=1)
    shorter = []
    for toks, order in zip(tokens, rankings):
        gone = set(order[:k].tolist())
        shorter.append([t for i, t in enumerate(toks) if i not in gone])
    rows = np.arange(len(docs))
    return full[rows, predicted] - clf.predict_proba(shorter)[rows, predicted]


def completeness(clf, docs):
    """Completeness error of integrated gradients against ``n_steps``: the trapezoid
    rule alone (the adaptive halving turned off through a private switch), then as
    ``explain_prediction`` runs by default."""
    print("\nintegrated gradients: completeness error against n_steps "
          f"({len(docs)} tweets; |sum(scores) - (log_proba - baseline_log_proba)| "
          "relative to |log_proba - baseline_log_proba|)\n")
    print("| n_steps | rule | median | 90th percentile | largest | intervals (mean) "
          "| time per tweet (batched) |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    default = _explain._REFINEMENTS
    for n_steps in STEPS:
        for rule, refinements in (("trapezoid", 0), ("adaptive (default)", default)):
            _explain._REFINEMENTS = refinements
            start = time.perf_counter()
            explanations = explain_prediction(clf, docs, n_steps=n_steps)
            seconds = (time.perf_counter() - start) / len(docs)
            errors = np.array([
                abs(e.scores.sum() - (e.log_proba - e.baseline_log_proba))
                / abs(e.log_proba - e.baseline_log_proba) for e in explanations])
            intervals = np.mean([e.n_steps for e in explanations])
            print(f"| {n_steps} | {rule} | {100 * np.median(errors):.3f}% "
                  f"| {100 * np.percentile(errors, 90):.3f}% | {100 * errors.max():.3f}% "
                  f"| {intervals:.0f} | {seconds * 1000:.1f} ms |")
    _explain._REFINEMENTS = default


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="the tweets corpus (CSV or .csv.gz)")
    parser.add_argument("--n-docs", type=int, default=60)
    parser.add_argument("--lime-samples", type=int, default=5000)
    parser.add_argument("--model", help="joblib file to load the fitted model from, or "
                                        "to save it to")
    parser.add_argument("--no-lime", action="store_true", help="skip LIME")
    args = parser.parse_args(argv)

    texts, labels = load_text_csv(args.data)
    X_train, X_test, y_train, _ = train_test_split(
        texts, labels, test_size=0.2, random_state=0, stratify=labels)
    clf = fitted_model(X_train[:N_TRAIN], y_train[:N_TRAIN], args.model)
    docs = pick_documents(clf, X_test, args.n_docs)
    n_tokens = [len(clf._analyzer()(doc)) for doc in docs]
    print(f"{len(docs)} test tweets of 4 tokens or more ({np.mean(n_tokens):.1f} tokens "
          "on average)")

    explainers = {
        "integrated gradients (default)": ours("integrated_gradients"),
        "integrated gradients, float64 path": ours("integrated_gradients", np.float64),
        "occlusion": ours("occlusion"),
    }
    if not args.no_lime:
        explainers[f"LIME, {args.lime_samples} samples, UNKWORDZ mask"] = lime(
            args.lime_samples, None)
        explainers[f"LIME, {args.lime_samples} samples, words removed"] = lime(
            args.lime_samples, "")
    rankings, seconds = rank_all(clf, docs, explainers)
    methods = {name: (rankings[name], seconds[name]) for name in explainers}
    methods["random"] = rank_random(docs, clf)

    reference = np.mean(seconds["integrated gradients (default)"])
    print("\n| method | drop of P(predicted), top-1 deleted | top-3 deleted "
          "| seconds per tweet | vs integrated gradients |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, (rankings, seconds) in methods.items():
        top1 = deletion_drops(clf, docs, rankings, 1).mean()
        top3 = deletion_drops(clf, docs, rankings, 3).mean()
        if seconds is None:
            timing = ratio = ""
        else:
            mean = float(np.mean(seconds))
            timing, ratio = f"{mean * 1000:.1f} ms", f"{mean / reference:.1f}x"
        print(f"| {name} | {top1:.4f} | {top3:.4f} | {timing} | {ratio} |")
    completeness(clf, docs)


if __name__ == "__main__":
    main()
