"""Predictions under one BLAS kernel, run by ``tests/test_invariance.py`` in a process of
its own (``OPENBLAS_CORETYPE`` is read when OpenBLAS loads, so each kernel needs a new
process).

    python tests/kernel_probe.py MODELS.pkl DOCS.pkl OUT.npz

For every model of ``MODELS.pkl`` (a dict of fitted estimators) it saves its
probabilities for the documents of ``DOCS.pkl`` predicted in one batch, each alone, in a
shuffled order, in chunks of three, from eight threads at once, and by the estimator's
own threads (``n_jobs=3``, over prediction chunks of four documents); and it runs
scikit-learn's two invariance checks on the estimators of ``CHECKED``, fitted here,
under this kernel. It prints a JSON line: the kernel OpenBLAS reports and the checks'
failures.
"""

import json
import pickle
import sys
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import (
    check_methods_sample_order_invariance,
    check_methods_subset_invariance,
)
from threadpoolctl import threadpool_info

from sklearn_rnn import RNNSentimentClassifier, _data

# the default-constructed estimator and four others (cells, directions, poolings,
# hashing, float64)
CHECKED = [
    {},
    dict(cell="lstm", bidirectional=True, pooling="max", embedding_size=16, dropout=0.2),
    dict(cell="tanh", bidirectional=False, pooling="last", embedding_size=None,
         subword_ngrams=None, word_ngrams=None, ema_decay=None),
    dict(cell="gru", bidirectional=False, pooling="mean", dtype="float64"),
    dict(hash_buckets=2**10),
]
N_THREADS = 8


def _threads(model, docs):
    """Each document predicted by one of eight threads, all released at once."""
    start = threading.Barrier(N_THREADS)

    def work(k):
        start.wait()
        return [(i, model.predict_proba(docs[i : i + 1])[0])
                for i in range(k, len(docs), N_THREADS)]

    proba = np.empty((len(docs), len(model.classes_)))
    with ThreadPoolExecutor(N_THREADS) as pool:
        for rows in pool.map(work, range(N_THREADS)):
            for i, row in rows:
                proba[i] = row
    return proba


def _jobs(model, docs):
    """The documents predicted by the estimator's own three threads, four to a chunk."""
    rows, _data.PREDICT_ROWS = _data.PREDICT_ROWS, 4
    try:
        return model.set_params(n_jobs=3).predict_proba(docs)
    finally:
        _data.PREDICT_ROWS = rows
        model.set_params(n_jobs=None)


def predictions(model, docs, rng):
    """The model's probabilities for ``docs`` predicted in every way."""
    n = len(docs)
    shuffled = rng.permutation(n)
    out = {
        "batch": model.predict_proba(docs),
        "alone": np.vstack([model.predict_proba(docs[i : i + 1]) for i in range(n)]),
        "chunks": np.vstack([model.predict_proba(docs[i : i + 3]) for i in range(0, n, 3)]),
        "threads": _threads(model, docs),
        "jobs": _jobs(model, docs),
    }
    out["shuffled"] = np.empty_like(out["batch"])
    out["shuffled"][shuffled] = model.predict_proba(
        docs[shuffled] if isinstance(docs, np.ndarray) else [docs[i] for i in shuffled])
    return out


def main(models_path, docs_path, out_path):
    warnings.simplefilter("ignore", ConvergenceWarning)
    with open(models_path, "rb") as f:
        models = pickle.load(f)
    with open(docs_path, "rb") as f:
        inputs = pickle.load(f)
    rng = np.random.default_rng(0)
    saved = {}
    for name, model in models.items():
        docs = inputs["numeric" if name.startswith("numeric") else "text"]
        for how, proba in predictions(model, docs, rng).items():
            saved[f"{name}/{how}"] = proba
    np.savez(out_path, **saved)
    failures = []
    for params in CHECKED:
        estimator = RNNSentimentClassifier(**params)
        for check in (check_methods_sample_order_invariance, check_methods_subset_invariance):
            try:
                check(type(estimator).__name__, estimator)
            except AssertionError as exc:
                failures.append(f"{check.__name__} on {estimator!r}: {exc}")
    kernels = [lib.get("architecture") for lib in threadpool_info() if lib["user_api"] == "blas"]
    print(json.dumps({"kernels": kernels, "failures": failures}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
