"""Optimizers: sparse (embedding) updates against dense ones, clipping."""

import numpy as np
import pytest

from sklearn_rnn._optim import AdamOptimizer, SGDOptimizer, clip_gradients
from sklearn_rnn._rnn import RowGrad


def _setup(seed=0, hidden=3, n_inputs=6):
    rng = np.random.default_rng(seed)
    params = {"Wxh": np.asfortranarray(rng.normal(size=(hidden, n_inputs))),
              "bh": rng.normal(size=hidden)}
    return rng, params


def _copy(params):
    return {k: np.array(v, order="K") for k, v in params.items()}


@pytest.mark.parametrize(
    "make",
    [
        lambda p: SGDOptimizer(p, 0.1),
        lambda p: SGDOptimizer(p, 0.1, momentum=0.9),
        lambda p: SGDOptimizer(p, 0.1, momentum=0.9, nesterov=True),
        lambda p: AdamOptimizer(p, 0.01),
    ],
)
def test_sparse_update_equals_dense_when_every_column_is_used(make):
    rng, sparse = _setup()
    dense = _copy(sparse)
    opt_sparse, opt_dense = make(sparse), make(dense)
    for _ in range(5):
        g = rng.normal(size=(3, 6))
        gb = rng.normal(size=3)
        opt_sparse.update(sparse, {"Wxh": RowGrad(np.arange(6), g.T.copy()), "bh": gb.copy()})
        opt_dense.update(dense, {"Wxh": g, "bh": gb})
    for k in sparse:
        np.testing.assert_allclose(sparse[k], dense[k], rtol=1e-12, atol=1e-15)


def test_sparse_sgd_equals_dense_sgd_with_unused_columns():
    rng, sparse = _setup(1)
    dense = _copy(sparse)
    for _ in range(4):
        rows = np.sort(rng.choice(6, size=2, replace=False))
        values = rng.normal(size=(2, 3))
        SGDOptimizer(sparse, 0.05).update(sparse, {"Wxh": RowGrad(rows, values)})
        SGDOptimizer(dense, 0.05).update(dense, {"Wxh": RowGrad(rows, values).to_dense(6)})
    np.testing.assert_allclose(sparse["Wxh"], dense["Wxh"], rtol=1e-12)


def test_lazy_adam_leaves_unused_columns_alone():
    rng, params = _setup(2)
    before = params["Wxh"].copy()
    opt = AdamOptimizer(params, 0.01)
    opt.update(params, {"Wxh": RowGrad(np.array([1, 4]), rng.normal(size=(2, 3)))})
    opt.update(params, {"Wxh": RowGrad(np.array([4]), rng.normal(size=(1, 3)))})
    changed = np.flatnonzero(np.any(params["Wxh"] != before, axis=0))
    np.testing.assert_array_equal(changed, [1, 4])


def test_adam_first_step_moves_by_learning_rate():
    _, params = _setup(3)
    before = params["bh"].copy()
    AdamOptimizer(params, 0.01).update(params, {"bh": np.array([2.0, -3.0, 0.5])})
    np.testing.assert_allclose(before - params["bh"], [0.01, -0.01, 0.01], rtol=1e-6)


def test_clip_gradients_in_place():
    grads = {"a": np.array([-3.0, 0.5, 2.0]), "b": RowGrad(np.array([0]), np.array([[5.0, -0.2]]))}
    clip_gradients(grads, 1.0)
    np.testing.assert_array_equal(grads["a"], [-1.0, 0.5, 1.0])
    np.testing.assert_array_equal(grads["b"].values, [[1.0, -0.2]])
    grads = {"a": np.array([-3.0])}
    clip_gradients(grads, None)
    np.testing.assert_array_equal(grads["a"], [-3.0])
