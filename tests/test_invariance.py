"""The same probabilities on every BLAS kernel, for any batch, order, chunking and threads.

Each kernel runs in a process of its own (``tests/kernel_probe.py``), with
``OPENBLAS_CORETYPE`` set: models fitted here are predicted there in every way, and
scikit-learn's invariance checks are fitted and run there. A float32 model's
probabilities must be identical, bit for bit, however they were made and on every kernel
(its products are exact: ``sklearn_rnn._exact``); a float64 model's agree to 1e-12.
"""

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sklearn_rnn
from sklearn_rnn import RNNSentimentClassifier
from sklearn_rnn.datasets import load_seed_sentiment

PROBE = Path(__file__).with_name("kernel_probe.py")
KERNELS = ["Haswell", "SkylakeX", "Zen", "Sandybridge"]

# every cell, direction, pooling, embedding, subword and hashing setting, both dtypes
TEXT_MODELS = {
    "default": {},
    "default-float64": dict(dtype="float64"),
    "tutorial": dict(cell="tanh", bidirectional=False, pooling="last", embedding_size=None,
                     subword_ngrams=None, ema_decay=None, min_df=1),
    "lstm-max": dict(cell="lstm", pooling="max", embedding_size=16, subword_ngrams=None),
    "gru-mean-subwords-no-embedding": dict(bidirectional=False, pooling="mean",
                                           embedding_size=None),
    "tanh-all-poolings": dict(cell="tanh", pooling="last+max+mean", embedding_size=8,
                              subword_ngrams=(2, 4)),
    "hashed": dict(hash_buckets=2**10),
    "hashed-no-embedding": dict(hash_buckets=2**8, embedding_size=None, subword_ngrams=None,
                                cell="lstm", pooling="last+mean"),
}
NUMERIC_MODELS = {
    "numeric": {},
    "numeric-lstm-float64": dict(cell="lstm", pooling="last", dtype="float64"),
}


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """Models fitted in this process, the documents they predict, and their
    probabilities here."""
    X_train, X_test, y_train, _ = load_seed_sentiment()
    docs = list(X_test) + list(X_train[:12]) + [
        "", "zebra quantum flux", "not not not good", "<b>ok</b> 🙂 ok",
        " ".join(["good", "bad", "movie", "plot"] * 100),
    ]
    rng = np.random.default_rng(0)
    X_num = rng.normal(size=(40, 7, 2))
    y_num = X_num[:, :, 0].sum(axis=1) > 0
    models = {name: RNNSentimentClassifier(random_state=0, max_iter=8, **params)
              .fit(X_train, y_train) for name, params in TEXT_MODELS.items()}
    models.update({name: RNNSentimentClassifier(random_state=0, max_iter=8, **params)
                   .fit(X_num, y_num) for name, params in NUMERIC_MODELS.items()})
    inputs = {"text": docs, "numeric": rng.normal(size=(20, 7, 2))}
    folder = tmp_path_factory.mktemp("kernels")
    paths = folder / "models.pkl", folder / "docs.pkl"
    for path, obj in zip(paths, (models, inputs)):
        with open(path, "wb") as f:
            pickle.dump(obj, f)
    here = {name: model.predict_proba(inputs["numeric" if name in NUMERIC_MODELS else "text"])
            for name, model in models.items()}
    return paths, here, folder


def _runs(kernel):
    """Whether this CPU and OpenBLAS run ``kernel`` (a kernel a CPU lacks the instructions
    for dies of SIGILL)."""
    env = dict(os.environ, OPENBLAS_CORETYPE=kernel)
    code = "import numpy as np; a = np.ones((64, 64), np.float32); a @ a; (a @ a.T).sum()"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True)
    return done.returncode


@pytest.fixture(scope="module", params=KERNELS)
def probe(request, fitted):
    """What the kernel's process saved and printed."""
    kernel = request.param
    returncode = _runs(kernel)
    if returncode != 0:
        pytest.skip(f"OPENBLAS_CORETYPE={kernel} does not run on this CPU with this "
                    f"OpenBLAS (a test product exited with code {returncode})")
    (models, docs), here, folder = fitted
    out = folder / f"{kernel}.npz"
    # two BLAS threads, so that calls overlapping from several threads could split work;
    # the package tested here, wherever it is imported from
    path = os.pathsep.join([str(Path(sklearn_rnn.__file__).parents[1]),
                            os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, OPENBLAS_CORETYPE=kernel, OPENBLAS_NUM_THREADS="2",
               PYTHONPATH=path)
    done = subprocess.run([sys.executable, str(PROBE), str(models), str(docs), str(out)],
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    with np.load(out) as saved:
        return kernel, report, dict(saved), here


def _is_float64(name):
    return name.endswith("float64")


def test_float32_probabilities_are_identical_however_and_wherever_predicted(probe):
    kernel, _, saved, here = probe
    checked = 0
    for key, proba in saved.items():
        name, how = key.split("/")
        if _is_float64(name):
            continue
        # bit for bit: alone, in any batch, order, chunk, from threads (the caller's and
        # the estimator's own), and on any kernel
        np.testing.assert_array_equal(proba, here[name], err_msg=f"{kernel}: {key}")
        checked += 1
    assert checked == 6 * (len(TEXT_MODELS) + len(NUMERIC_MODELS) - 2)


def test_float64_probabilities_agree_however_and_wherever_predicted(probe):
    kernel, _, saved, here = probe
    keys = [key for key in saved if _is_float64(key.split("/")[0])]
    assert len(keys) == 12
    for key in keys:
        np.testing.assert_allclose(saved[key], here[key.split("/")[0]], rtol=1e-12,
                                   atol=1e-15, err_msg=f"{kernel}: {key}")


def test_invariance_checks_pass_on_every_kernel(probe):
    kernel, report, _, _ = probe
    assert report["kernels"], "no BLAS library found in the kernel's process"
    assert report["failures"] == [], f"{kernel} ({report['kernels']})"
