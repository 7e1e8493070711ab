"""Unit tests of the fixed-point products of float32 weights (``sklearn_rnn._exact``)."""

import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from sklearn_rnn import _exact
from sklearn_rnn._exact import ExactProduct


def _operands(rng, n, k, m, bounded):
    W = rng.normal(size=(m, k)).astype(np.float32)
    x = rng.uniform(-1, 1, size=(n, k)).astype(np.float32)
    if not bounded:  # rows of very different magnitudes
        x *= rng.lognormal(0, 4, size=(n, 1)).astype(np.float32)
    return W, x


@pytest.mark.parametrize("bounded", [False, True])
@pytest.mark.parametrize("shape", [(64, 192), (3, 7), (1, 5), (200, 3), (130, 40)])
def test_the_product_is_within_the_rounding_of_its_grids(shape, bounded):
    rng = np.random.default_rng(0)
    k, m = shape
    W, x = _operands(rng, 300, k, m, bounded)
    got = ExactProduct(W, bounded)(x, np.float64)
    exact = x.astype(np.float64) @ W.T.astype(np.float64)
    # each term is off by at most half a grid step of its weight and of its input
    row_scale = 1.0 if bounded else np.abs(x).max(axis=1, keepdims=True)
    w_step = np.ldexp(1.0, np.frexp(np.abs(W).max(axis=1))[1] - _exact.W_BITS)
    x_step = np.ldexp(np.float64(row_scale), -_exact.X_BITS) if bounded else np.ldexp(
        1.0, np.frexp(row_scale)[1] - _exact.X_BITS)
    bound = 0.5 * (np.abs(x).sum(axis=1, keepdims=True) * w_step
                   + x_step * np.abs(W).sum(axis=1))
    assert (np.abs(got - exact) <= bound * (1 + 1e-6)).all()
    # and as close as float32 BLAS itself, give or take
    f32 = np.abs(x @ W.T - exact).max()
    assert np.abs(got - exact).max() < 8 * f32 + 1e-30


@pytest.mark.parametrize("bounded", [False, True])
def test_a_row_does_not_depend_on_the_others_nor_on_blas_threads(bounded):
    rng = np.random.default_rng(1)
    W, x = _operands(rng, 700, 64, 192, bounded)
    product = ExactProduct(W, bounded)
    whole = product(x)
    assert whole.dtype == np.float32
    for n in (1, 2, 5, 8, 16, 17, 33, 64, 100, 256, 699):
        rows = rng.permutation(len(x))[:n]
        for threads in (1, 2):
            with threadpool_limits(threads, user_api="blas"):
                np.testing.assert_array_equal(product(x[rows]), whole[rows], err_msg=str(n))


def test_rows_from_several_threads_at_once():
    rng = np.random.default_rng(2)
    W, x = _operands(rng, 400, 64, 192, False)
    product = ExactProduct(W)
    whole = product(x)
    errors = []

    def work(k):
        for i in range(k, len(x), 8):
            if not np.array_equal(product(x[i : i + 1 + k]), whole[i : i + 1 + k]):
                errors.append(i)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_long_rows_are_summed_chunk_after_chunk():
    # 150 columns: three chunks, each exact; a column of the third chunk counts
    rng = np.random.default_rng(3)
    W, x = _operands(rng, 20, 150, 4, True)
    product = ExactProduct(W, True)
    assert len(product.chunks) == 3
    base = product(x, np.float64)
    x2 = x.copy()
    x2[:, 140] += 0.5
    delta = product(x2, np.float64) - base
    np.testing.assert_allclose(delta, 0.5 * np.broadcast_to(W[:, 140], delta.shape),
                               rtol=1e-5)


def test_zero_rows_and_columns_and_rows_that_are_not_finite():
    W = np.array([[0.0, 0.0], [1.5, -2.0]], dtype=np.float32)
    x = np.array([[0.0, 0.0], [np.nan, 1.0], [1.0, 2.0], [np.inf, 0.0]], dtype=np.float32)
    with np.errstate(invalid="ignore"):
        out = ExactProduct(W)(x, np.float64)
    np.testing.assert_array_equal(out[0], [0.0, 0.0])
    np.testing.assert_array_equal(out[2], [0.0, 1.5 - 4.0])
    assert np.isnan(out[1, 1]) and not np.isfinite(out[3, 1])
    assert ExactProduct(W)(x[:0]).shape == (0, 2)


def test_exactly_representable_operands_give_the_exact_product():
    # integers and halves are on both grids: nothing is rounded
    W = np.array([[3.0, -1.0, 0.5], [2.0, 0.0, -4.0]], dtype=np.float32)
    x = np.array([[0.5, -0.25, 1.0], [-1.0, 1.0, 0.0]], dtype=np.float32)
    for bounded in (False, True):
        np.testing.assert_array_equal(ExactProduct(W, bounded)(x, np.float64),
                                      x.astype(np.float64) @ W.T.astype(np.float64))
    big = np.array([[2.0**99, -(2.0**97), 3 * 2.0**80]], dtype=np.float32)
    np.testing.assert_array_equal(ExactProduct(W)(big, np.float64)[0],
                                  big[0].astype(np.float64) @ W.T.astype(np.float64))


def test_float64_weights_are_multiplied_by_blas():
    rng = np.random.default_rng(4)
    W, x = rng.normal(size=(5, 6)), rng.normal(size=(9, 6))
    product = ExactProduct(W)
    np.testing.assert_array_equal(product(x), np.dot(x, W.T))
    assert product(x).dtype == np.float64
    assert product(x, np.float32).dtype == np.float32
