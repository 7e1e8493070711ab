"""Matrix products of float32 weights that come out the same whatever computes them.

A BLAS matrix product sums its terms in an order of its own, and the order depends on the
CPU's kernel (OpenBLAS picks one per processor), on the shape of the call (how many rows
are multiplied at once) and on the number of threads: the float32 probabilities of a
document would depend on the other documents in its batch, on the threads running and on
the machine. Prediction therefore computes every product of a float32 model in fixed
point: each operand is rounded to integers on a grid of powers of two, so that every
product of two of them and every partial sum of a row's products is an integer below
``2**53``, exact in float64 *in any order*, with or without fused multiply-adds. The
float64 BLAS product of the integers is then exact, and so the same on every kernel and
for any batch; scaled back by powers of two (exact: the weights' powers are stored with
them, so the product comes out scaled) and rounded once to float32, the result depends on
its own row alone.

Rounding is the only error: a weight keeps :data:`W_BITS` bits below the largest
magnitude of its output row (its column of ``W.T``), an input keeps :data:`X_BITS` bits
below the largest magnitude of its row (or below 1 for ``bounded`` input, such as a
recurrent state, which never leaves [-1, 1]). Each chunk of :data:`CHUNK` input columns is
one exact product; the chunks are added in order.

float64 weights use the plain BLAS product: its rounding differences (about 1e-16,
relative) are far below any tolerance that matters, and fixed point would cost float64
its precision.
"""

import numpy as np

# bits kept of each input and weight: 2**X_BITS * 2**W_BITS * CHUNK <= 2**53
X_BITS = 24
W_BITS = 23
CHUNK = 64


def _exponents(matrix):
    """Per row, the exponent ``e`` with ``max |row| < 2**e`` (0 for a zero row)."""
    if matrix.shape[1] == 0:
        return np.zeros(matrix.shape[0], dtype=np.intc)
    return np.frexp(np.abs(matrix).max(axis=1).astype(np.float64))[1]


class ExactProduct:
    """``x @ W.T`` for a fixed ``W``, the same for every row whatever the batch.

    Parameters
    ----------
    W : ndarray of shape (N, K)
        float32 weights are multiplied in fixed point (see the module docstring); float64
        weights by BLAS.
    bounded : bool, default=False
        Whether every input lies in [-1, 1] (recurrent states and their pooling): its
        grid is then fixed, which spares a pass over each input to find its rows'
        magnitudes.
    """

    def __init__(self, W, bounded=False):
        self.dtype = W.dtype
        self.bounded = bounded
        if W.dtype != np.float32:
            self.WT = W.T
            return
        W = W.astype(np.float64)
        exponents = _exponents(W)
        grid = np.ldexp(W, (W_BITS - exponents)[:, None])
        np.rint(grid, out=grid)
        # the integers times their row's power of two, 2**(e - W_BITS - X_BITS): every
        # product and partial sum is that power times an integer below 2**53, as exact
        # as the integers' own, and the result needs no scaling back
        grid = np.ldexp(grid, (exponents - W_BITS - X_BITS)[:, None])
        self.chunks = [np.asfortranarray(grid[:, k : k + CHUNK].T)
                       for k in range(0, max(W.shape[1], 1), CHUNK)]

    def __call__(self, x, dtype=None):
        """``x @ W.T``, shape (n, N), in ``dtype`` (by default the weights').

        Parameters
        ----------
        x : ndarray of shape (n, K)
        dtype : dtype or None
            float64 keeps the exact fixed-point result of a float32 ``W`` unrounded.
        """
        dtype = self.dtype if dtype is None else np.dtype(dtype)
        if self.dtype != np.float32:
            return np.dot(x, self.WT).astype(dtype, copy=False)
        if self.bounded:
            fixed = np.multiply(x, 2.0**X_BITS, dtype=np.float64)
        else:
            rows = _exponents(x)
            fixed = np.ldexp(x.astype(np.float64), (X_BITS - rows)[:, None])
        np.rint(fixed, out=fixed)
        total = None
        for k, chunk in enumerate(self.chunks):
            part = np.dot(fixed[:, k * CHUNK : (k + 1) * CHUNK], chunk)
            total = part if total is None else np.add(total, part, out=total)
        if not self.bounded:
            total *= np.ldexp(1.0, rows)[:, None]
        return total.astype(dtype, copy=False)
