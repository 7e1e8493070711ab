"""Pure NumPy forward and backward passes of the many-to-one tanh RNN.

The model is the tutorial's::

    h_t = tanh(Wxh x_t + Whh h_{t-1} + bh),   h_0 = 0
    y   = Why h_T + by,   p = softmax(y),   loss = cross-entropy(p, target)

Shape letters used throughout: N batch, T time steps, D input features, V input columns
(vocabulary plus the unknown-word column), H hidden units, C classes, P packed steps (the
sum of the lengths of a batch's sequences).

Batches are *packed*, like PyTorch's ``PackedSequence``: the rows are sorted by decreasing
length and the time steps are laid one after the other, step ``t`` holding the first
``batch_sizes[t]`` rows (those longer than ``t``). A row that has ended is simply not
touched again, so padding costs nothing and never changes a result, and a row's final
state is wherever its last step was written. A text token enters as column ``id`` of
``Wxh`` (the product of ``Wxh`` with a one-hot vector), looked up by id; its gradient is a
scatter-add into the columns that occurred.

Every layer is a pair of pure functions, ``*_forward(...) -> (out, cache)`` and
``*_backward(dout, cache) -> grads``; nothing is stored on any object.
"""

import bisect
from typing import NamedTuple, Optional

import numpy as np
import scipy.sparse as sp

PARAM_NAMES = ("Wxh", "Whh", "Why", "bh", "by")

# csr_array (SciPy >= 1.8) builds a little faster; csr_matrix gives the same product
_CSR = getattr(sp, "csr_array", sp.csr_matrix)


class PackedBatch(NamedTuple):
    """Sequences of one batch, packed by time step.

    order : ndarray of shape (N,)
        Position, in the list of sequences given to the packer, of each packed row
        (rows are sorted by decreasing length).
    lengths : ndarray of shape (N,)
        Length of each packed row, non-increasing.
    batch_sizes : tuple of int, length T
        Number of rows still running at each step.
    offsets : tuple of int, length T + 1
        Where each step starts in the packed arrays (``P`` last).
    ids : ndarray of shape (P,) or None
        Token ids (columns of ``Wxh``) of text input, step after step.
    X : ndarray of shape (P, D) or None
        Numeric input, step after step.
    last : ndarray of shape (N,)
        Index of each row's last step in the packed states; ``P`` (a zero row) for an
        empty sequence.
    prev : ndarray of shape (P - batch_sizes[0],)
        Index of the previous step's state for every packed step after the first.
    """

    order: np.ndarray
    lengths: np.ndarray
    batch_sizes: tuple
    offsets: tuple
    ids: Optional[np.ndarray]
    X: Optional[np.ndarray]
    last: np.ndarray
    prev: np.ndarray


class RowGrad(NamedTuple):
    """Gradient of ``Wxh`` for text input, non-zero only in the columns a batch used.

    rows : ndarray of shape (K,)
        The columns of ``Wxh`` (token ids), sorted and unique.
    values : ndarray of shape (K, H)
        The gradient of those columns, one per row.
    """

    rows: np.ndarray
    values: np.ndarray

    def to_dense(self, n_inputs):
        """The same gradient as a dense ``(H, n_inputs)`` array."""
        dense = np.zeros((self.values.shape[1], n_inputs), dtype=self.values.dtype)
        dense[:, self.rows] = self.values.T
        return dense


def _pack_layout(lengths):
    """Order, batch sizes, last and previous indices for sequences of these lengths."""
    lengths = np.asarray(lengths, dtype=np.intp)
    order = np.argsort(-lengths, kind="stable")
    sorted_lengths = lengths[order]
    n_rows = len(sorted_lengths)
    n_steps = int(sorted_lengths[0]) if n_rows else 0
    # rows longer than t, for every t: all rows less those of length <= t
    batch_sizes = n_rows - np.cumsum(np.bincount(sorted_lengths, minlength=n_steps + 1))[:-1]
    offsets = np.zeros(n_steps + 1, dtype=np.intp)
    np.cumsum(batch_sizes, out=offsets[1:])
    n_packed = int(offsets[-1])
    last = np.full(n_rows, n_packed, dtype=np.intp)
    running = sorted_lengths > 0
    last[running] = offsets[sorted_lengths[running] - 1] + np.flatnonzero(running)
    # the state before packed step p (p in step t >= 1) sits batch_sizes[t - 1] rows earlier
    prev = np.arange(batch_sizes[0] if n_steps else 0, n_packed, dtype=np.intp)
    if n_steps > 1:
        prev -= np.repeat(batch_sizes[:-1], batch_sizes[1:])
    return order, sorted_lengths, batch_sizes, offsets, last, prev


def pack_ragged(flat_ids, starts, lengths):
    """Pack token-id sequences given as slices of one flat array.

    Parameters
    ----------
    flat_ids : ndarray of shape (n_tokens,)
        All token ids, sequence after sequence.
    starts, lengths : ndarray of shape (N,)
        Where each sequence of the batch starts in ``flat_ids``, and its length.

    Returns
    -------
    batch : PackedBatch
    """
    order, lengths_s, batch_sizes, offsets, last, prev = _pack_layout(lengths)
    steps = np.repeat(np.arange(len(batch_sizes), dtype=np.intp), batch_sizes)
    rows = np.arange(int(offsets[-1]), dtype=np.intp) - offsets[steps]
    ids = flat_ids[np.asarray(starts, dtype=np.intp)[order][rows] + steps]
    return PackedBatch(order, lengths_s, tuple(batch_sizes.tolist()), tuple(offsets.tolist()),
                       ids, None, last, prev)


def pack_ragged_groups(flat_ids, starts, lengths, bounds, max_table=1 << 22):
    """Pack many batches at once: batch ``g`` is the sequences ``bounds[g]:bounds[g+1]``.

    The same result as :func:`pack_ragged` on each batch, computed with a few array
    operations over all of them instead of a few per batch. Falls back to one batch at a
    time when the (batches x longest sequence) count table would exceed ``max_table``.

    Returns
    -------
    batches : list of PackedBatch
    """
    lengths = np.asarray(lengths, dtype=np.intp)
    starts = np.asarray(starts, dtype=np.intp)
    bounds = np.asarray(bounds, dtype=np.intp)
    n_groups = len(bounds) - 1
    longest = int(lengths.max()) if len(lengths) else 0
    if n_groups * (longest + 1) > max_table:
        return [pack_ragged(flat_ids, starts[a:b], lengths[a:b])
                for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist())]
    rows = np.diff(bounds)
    group = np.repeat(np.arange(n_groups), rows)
    order = np.lexsort((-lengths, group))  # by group, then by decreasing length (stable)
    L, S = lengths[order], starts[order]
    rank = np.arange(len(L)) - bounds[group]
    # running rows of every group at every step, and where each step starts in its group
    table = np.bincount(group * (longest + 1) + L, minlength=n_groups * (longest + 1))
    running = rows[:, None] - np.cumsum(table.reshape(n_groups, longest + 1), axis=1)[:, :-1]
    step_start = np.zeros((n_groups, longest + 1), dtype=np.intp)
    np.cumsum(running, axis=1, out=step_start[:, 1:])
    group_tokens = step_start[np.arange(n_groups), L[bounds[:-1]]] if len(L) else rows * 0
    group_start = np.zeros(n_groups + 1, dtype=np.intp)
    np.cumsum(group_tokens, out=group_start[1:])
    # every token: its sequence, step, group, and packed position
    seq = np.repeat(np.arange(len(L)), L)
    step = np.arange(len(seq)) - np.repeat(np.cumsum(L) - L, L)
    g = group[seq]
    pos = group_start[g] + step_start[g, step] + rank[seq]
    ids = np.empty(len(seq), dtype=flat_ids.dtype)
    ids[pos] = flat_ids[S[seq] + step]
    prev = np.empty(len(seq), dtype=np.intp)  # group-local index of the previous state
    prev[pos] = step_start[g, step] + rank[seq] - running[g, np.maximum(step - 1, 0)]
    last = np.where(L > 0, step_start[group, np.maximum(L - 1, 0)] + rank, group_tokens[group])
    batches = []
    for k, (a, b) in enumerate(zip(bounds[:-1].tolist(), bounds[1:].tolist())):
        n_steps = int(L[a]) if b > a else 0
        lo, hi = int(group_start[k]), int(group_start[k + 1])
        first = int(running[k, 0]) if n_steps else 0
        batches.append(PackedBatch(
            order[a:b] - a, L[a:b], tuple(running[k, :n_steps].tolist()),
            tuple(step_start[k, : n_steps + 1].tolist()), ids[lo:hi], None, last[a:b],
            prev[lo + first : hi],
        ))
    return batches


def pack_dense(X):
    """Pack numeric sequences of equal length.

    Parameters
    ----------
    X : ndarray of shape (N, T, D)

    Returns
    -------
    batch : PackedBatch
    """
    n_rows, n_steps, _ = X.shape
    order, lengths_s, batch_sizes, offsets, last, prev = _pack_layout(np.full(n_rows, n_steps))
    packed = np.ascontiguousarray(X.transpose(1, 0, 2)).reshape(n_rows * n_steps, -1)
    return PackedBatch(order, lengths_s, tuple(batch_sizes.tolist()), tuple(offsets.tolist()),
                       None, packed, last, prev)


def rnn_forward(Wxh, Whh, bh, batch):
    """Run the recurrence over a packed batch.

    Parameters
    ----------
    Wxh : ndarray of shape (H, V) or (H, D)
    Whh : ndarray of shape (H, H)
    bh : ndarray of shape (H,)
    batch : PackedBatch

    Returns
    -------
    h_last : ndarray of shape (N, H)
        Final state of every row (zeros for an empty sequence), in packed order.
    cache : tuple
        What :func:`rnn_backward` needs.
    """
    hidden = Whh.shape[0]
    n_packed = len(batch.ids) if batch.ids is not None else len(batch.X)
    hs = np.empty((n_packed + 1, hidden), dtype=Whh.dtype)
    if batch.ids is not None:
        # x_t is one-hot: Wxh @ x_t is a column of Wxh, i.e. a row of Wxh.T
        np.take(Wxh.T, batch.ids, axis=0, out=hs[:n_packed], mode="clip")
    else:
        np.dot(batch.X, Wxh.T, out=hs[:n_packed])
    hs[:n_packed] += bh
    hs[n_packed] = 0.0
    WhhT = Whh.T
    offsets = batch.offsets
    if len(offsets) > 1:  # the first step: h_0 = 0, so no recurrent term
        np.tanh(hs[: offsets[1]], out=hs[: offsets[1]])
    for t in range(1, len(offsets) - 1):
        start, n = offsets[t], batch.batch_sizes[t]
        block = hs[start : start + n]
        block += np.dot(hs[offsets[t - 1] : offsets[t - 1] + n], WhhT)
        np.tanh(block, out=block)
    return hs[batch.last], (Wxh, Whh, hs, batch)


def rnn_backward(dh_last, cache):
    """Backpropagation through time over a packed batch.

    Parameters
    ----------
    dh_last : ndarray of shape (N, H)
        Gradient of the loss with respect to each row's final state, in packed order.
    cache : tuple
        From :func:`rnn_forward`.

    Returns
    -------
    grads : dict
        ``Wxh`` (a :class:`RowGrad` for text input, an ``(H, D)`` array for numeric
        input), ``Whh`` of shape (H, H) and ``bh`` of shape (H,).
    """
    Wxh, Whh, hs, batch = cache
    n_packed = hs.shape[0] - 1
    states = hs[:n_packed]
    # da_t = dh_t * (1 - h_t ** 2), written in place for every packed step at once
    da = np.multiply(states, states)
    np.subtract(1.0, da, out=da)
    dh = np.array(dh_last, dtype=hs.dtype, order="C")
    offsets, batch_sizes = batch.offsets, batch.batch_sizes
    for t in range(len(batch_sizes) - 1, -1, -1):
        n = batch_sizes[t]
        block = da[offsets[t] : offsets[t + 1]]
        block *= dh[:n]
        if t:
            np.dot(block, Whh, out=dh[:n])
    n_first = batch.batch_sizes[0] if batch.batch_sizes else 0
    grads = {
        "Whh": np.dot(da[n_first:].T, hs[batch.prev]),
        "bh": da.sum(axis=0),
    }
    if batch.ids is not None:
        grads["Wxh"] = RowGrad(*scatter_add_rows(batch.ids, da))
    else:
        grads["Wxh"] = np.dot(da.T, batch.X)
    return grads


def scatter_add_rows(ids, values):
    """Sum the rows of ``values`` that share an id.

    Returns the sorted unique ids and, for each, the sum of its rows. The sum is the
    product of a sparse 0/1 matrix, one row per unique id, with ``values``: one
    compiled pass, where ``np.add.at`` or ``np.add.reduceat`` over rows are several
    times slower.
    """
    if len(ids) == 0:
        return ids[:0], values[:0]
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    first = np.empty(len(sorted_ids), dtype=bool)
    first[0] = True
    np.not_equal(sorted_ids[1:], sorted_ids[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    indptr = np.append(starts, len(ids))
    ones = np.ones(len(ids), dtype=values.dtype)
    selector = _CSR((ones, order, indptr), shape=(len(starts), len(ids)))
    return sorted_ids[starts], selector @ values


def output_forward(h, Why, by):
    """Logits ``y = Why h + by`` for a batch of states, shape (N, C)."""
    return np.dot(h, Why.T) + by, (h, Why)


def output_backward(dlogits, cache):
    """Gradients of the output layer and of the states feeding it."""
    h, Why = cache
    return np.dot(dlogits, Why), {"Why": np.dot(dlogits.T, h), "by": dlogits.sum(axis=0)}


def log_softmax(logits):
    """Row-wise log of the softmax, computed stably."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return shifted


def softmax_cross_entropy(logits, y, sample_weight):
    """Sample-weighted mean cross-entropy of softmax(logits) and its gradient.

    Parameters
    ----------
    logits : ndarray of shape (N, C)
    y : ndarray of shape (N,)
        Class indices.
    sample_weight : ndarray of shape (N,)
        Non-negative, with a positive sum.

    Returns
    -------
    loss : float
    dlogits : ndarray of shape (N, C)
    """
    log_p = log_softmax(logits)
    rows = np.arange(len(y))
    scale = sample_weight / sample_weight.sum()
    loss = -float(np.dot(scale, log_p[rows, y]))
    dlogits = np.exp(log_p)
    dlogits[rows, y] -= 1.0
    dlogits *= scale[:, None]
    return loss, dlogits


def rnn_final_state(Wxh, Whh, bh, batch, max_tokens=1 << 13):
    """Final states only, for prediction: memory bounded whatever the lengths.

    The same arithmetic as :func:`rnn_forward` (so the same numbers), but it keeps one
    state per row instead of every step's, and looks up the inputs of at most
    ``max_tokens`` packed steps at a time: a document of a million tokens costs no more
    memory than a short one.

    Returns
    -------
    h_last : ndarray of shape (N, H)
        In packed order; zeros for an empty sequence.
    """
    h = np.zeros((len(batch.order), Whh.shape[0]), dtype=Whh.dtype)
    offsets, batch_sizes = batch.offsets, batch.batch_sizes
    WhhT = Whh.T
    t, n_steps = 0, len(batch_sizes)
    while t < n_steps:
        # steps t..stop-1 hold at most max_tokens packed inputs (at least one step)
        stop = max(t + 1, bisect.bisect_right(offsets, offsets[t] + max_tokens) - 1)
        lo, hi = offsets[t], offsets[stop]
        if batch.ids is not None:
            inputs = np.take(Wxh.T, batch.ids[lo:hi], axis=0)
        else:
            inputs = np.dot(batch.X[lo:hi], Wxh.T)
        inputs += bh
        for step in range(t, stop):
            n = batch_sizes[step]
            x = inputs[offsets[step] - lo : offsets[step] - lo + n]
            if step:
                x += np.dot(h[:n], WhhT)
            np.tanh(x, out=h[:n])
        t, inputs = stop, None  # free this window before the next is looked up
    return h


def predict_proba(params, batch):
    """Class probabilities, shape (N, C), for a packed batch, in packed order."""
    h_last = rnn_final_state(params["Wxh"], params["Whh"], params["bh"], batch)
    logits, _ = output_forward(h_last, params["Why"], params["by"])
    return np.exp(log_softmax(logits))


def loss_and_grads(params, batch, y, sample_weight, alpha=0.0):
    """Loss of one packed batch and its gradient with respect to every parameter.

    The loss is the sample-weighted mean cross-entropy plus
    ``alpha / 2`` times the squared norm of ``Whh``, ``Why`` and of ``Wxh``, where for
    text input only the columns of ``Wxh`` that occur in the batch count (so that the
    gradient stays as sparse as the batch).

    Parameters
    ----------
    params : dict
        ``Wxh``, ``Whh``, ``Why``, ``bh``, ``by`` in the tutorial's orientation.
    batch : PackedBatch
    y, sample_weight : ndarray of shape (N,)
        Class indices and weights, in packed order (``batch.order``).
    alpha : float

    Returns
    -------
    loss : float
    grads : dict
        Parallel to ``params``; ``Wxh`` is a :class:`RowGrad` for text input.
    """
    h_last, rnn_cache = rnn_forward(params["Wxh"], params["Whh"], params["bh"], batch)
    logits, out_cache = output_forward(h_last, params["Why"], params["by"])
    loss, dlogits = softmax_cross_entropy(logits, y, sample_weight)
    dh_last, grads = output_backward(dlogits, out_cache)
    grads.update(rnn_backward(dh_last, rnn_cache))
    if alpha:
        for name in ("Whh", "Why"):
            loss += 0.5 * alpha * float(np.vdot(params[name], params[name]))
            grads[name] += alpha * params[name]
        Wxh, dWxh = params["Wxh"], grads["Wxh"]
        if isinstance(dWxh, RowGrad):
            used = Wxh.T[dWxh.rows]
            loss += 0.5 * alpha * float(np.vdot(used, used))
            dWxh.values[...] += alpha * used
        else:
            loss += 0.5 * alpha * float(np.vdot(Wxh, Wxh))
            dWxh += alpha * Wxh
    return loss, grads
