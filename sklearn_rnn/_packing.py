"""Packed batches: sequences of different lengths laid out by time step, as PyTorch's
``PackedSequence`` (``torch.nn.utils.rnn``).

The rows of a batch are sorted by decreasing length and their time steps laid one after
the other: step ``t`` holds the first ``batch_sizes[t]`` rows, those longer than ``t``.
A row that has ended is simply not touched again, so padding costs nothing and never
changes a result. The network (:mod:`sklearn_rnn._rnn`) runs over this layout; the
backward direction reads its inputs through :func:`reverse_index`, in the same layout.

Shape letters: N rows, T steps (the longest length), D numeric features, P packed steps
(the sum of the lengths).
"""

from typing import NamedTuple, Optional

import numpy as np


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


def reverse_index(batch):
    """Packed position of each token of the reversed sequences.

    Entry ``p`` (row ``r`` of step ``t``) is the position of the same row's step
    ``L_r - 1 - t``; reading the inputs through it packs every sequence backwards in the
    same layout (the permutation is its own inverse).
    """
    steps, rows = steps_and_rows(batch)
    offsets = np.asarray(batch.offsets, dtype=np.intp)
    return offsets[batch.lengths[rows] - 1 - steps] + rows


def steps_and_rows(batch):
    sizes = np.asarray(batch.batch_sizes, dtype=np.intp)
    steps = np.repeat(np.arange(len(sizes), dtype=np.intp), sizes)
    rows = np.arange(int(batch.offsets[-1]), dtype=np.intp) - np.asarray(
        batch.offsets[:-1], dtype=np.intp)[steps]
    return steps, rows
