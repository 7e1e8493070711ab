import os

# scikit-learn's array-API check runs (instead of skipping) only when this is set
# before SciPy is imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _one_blas_thread():
    # tiny matrices on several BLAS threads are several times slower
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _tutorial_proba(weights, ids):
    """Class probabilities by the tutorial's own formulas: one one-hot column vector per
    token, ``h = tanh(Wxh x + Whh h + bh)``, ``softmax(Why h + by)``."""
    Wxh, Whh, Why = weights["Wxh"], weights["Whh"], weights["Why"]
    h = np.zeros((Whh.shape[0], 1))
    for i in ids:
        x = np.zeros((Wxh.shape[1], 1))
        x[i] = 1
        h = np.tanh(Wxh @ x + Whh @ h + weights["bh"][:, None])
    y = (Why @ h + weights["by"][:, None])[:, 0]
    return np.exp(y - y.max()) / np.exp(y - y.max()).sum()


@pytest.fixture
def tutorial_proba():
    return _tutorial_proba
