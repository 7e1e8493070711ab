"""Packed batches: layout, many batches at once, the reversed index."""

import numpy as np
import pytest

from sklearn_rnn import _packing


def _text_batch(rng, lengths, vocab):
    lengths = np.asarray(lengths)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.intp)
    flat = rng.integers(0, vocab, size=lengths.sum()).astype(np.intp)
    return flat, starts, lengths


def test_pack_layout():
    flat = np.arange(10, dtype=np.intp) * 10
    starts = np.array([0, 2, 2, 7])
    lengths = np.array([2, 0, 5, 3])
    batch = _packing.pack_ragged(flat, starts, lengths)
    np.testing.assert_array_equal(batch.order, [2, 3, 0, 1])
    np.testing.assert_array_equal(batch.lengths, [5, 3, 2, 0])
    assert batch.batch_sizes == (3, 3, 2, 1, 1)
    # step 0: docs 2, 3, 0; step 1: the same; step 2: docs 2, 3; then doc 2 alone
    np.testing.assert_array_equal(
        batch.ids, [20, 70, 0, 30, 80, 10, 40, 90, 50, 60]
    )
    np.testing.assert_array_equal(batch.last, [9, 7, 5, 10])
    np.testing.assert_array_equal(batch.prev, [0, 1, 2, 3, 4, 6, 8])


@pytest.mark.parametrize("max_table", [1 << 22, 1])
def test_packing_many_batches_at_once_equals_one_at_a_time(max_table):
    rng = np.random.default_rng(7)
    lengths = rng.integers(0, 9, size=60)
    lengths[[3, 17]] = 0
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.intp)
    flat = rng.integers(0, 50, size=lengths.sum()).astype(np.intp)
    index = rng.permutation(60)
    lengths[index[7]] = 0  # batch 7:8 holds only an empty sequence
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.intp)
    flat = rng.integers(0, 50, size=lengths.sum()).astype(np.intp)
    bounds = [0, 7, 8, 30, 31, 60]
    many = _packing.pack_ragged_groups(flat, starts[index], lengths[index], bounds, max_table)
    assert len(many) == len(bounds) - 1
    for batch, a, b in zip(many, bounds[:-1], bounds[1:]):
        one = _packing.pack_ragged(flat, starts[index[a:b]], lengths[index[a:b]])
        for field in _packing.PackedBatch._fields:
            got, want = getattr(batch, field), getattr(one, field)
            if want is None:
                assert got is None
            else:
                np.testing.assert_array_equal(got, want, err_msg=field)


def test_reverse_index_by_hand():
    flat = np.arange(10, dtype=np.intp) * 10
    batch = _packing.pack_ragged(flat, np.array([0, 2, 2, 7]), np.array([2, 0, 5, 3]))
    # packed rows: doc 2 (length 5) at 0, 3, 6, 8, 9; doc 3 (3) at 1, 4, 7; doc 0 (2)
    # at 2, 5; doc 1 is empty
    rev = _packing.reverse_index(batch)
    np.testing.assert_array_equal(rev, [9, 7, 5, 8, 4, 2, 6, 1, 3, 0])
    # read through it, the packed ids are those of the reversed documents
    reversed_docs = [flat[2:7][::-1], flat[7:10][::-1], flat[0:2][::-1], flat[2:2]]
    expected = _packing.pack_ragged(np.concatenate(reversed_docs),
                                np.array([0, 5, 8, 10]), np.array([5, 3, 2, 0]))
    np.testing.assert_array_equal(batch.ids[rev], expected.ids)


@pytest.mark.parametrize("lengths", [[3, 0, 5, 1, 5, 2], [4], [0, 0, 2], [1, 1, 1], [7, 3, 3, 6]])
def test_reverse_index_is_an_involution_mapping_step_t_to_L_minus_1_minus_t(lengths):
    rng = np.random.default_rng(17)
    batch = _packing.pack_ragged(*_text_batch(rng, lengths, 5))
    rev = _packing.reverse_index(batch)
    n_packed = batch.offsets[-1]
    np.testing.assert_array_equal(np.sort(rev), np.arange(n_packed))
    np.testing.assert_array_equal(rev[rev], np.arange(n_packed))
    for t, (start, size) in enumerate(zip(batch.offsets, batch.batch_sizes)):
        for row in range(size):
            back = batch.lengths[row] - 1 - t
            assert rev[start + row] == batch.offsets[back] + row


def test_packing_keeps_the_order_of_equal_lengths():
    # 20 sequences of 2 tokens and 20 of 1: longest first, each run in its given order
    lengths = np.array([1, 2] * 20)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.intp)
    flat = np.arange(lengths.sum(), dtype=np.intp)
    expected = list(range(1, 40, 2)) + list(range(0, 40, 2))
    one = _packing.pack_ragged(flat, starts, lengths)
    np.testing.assert_array_equal(one.order, expected)
    (grouped,) = _packing.pack_ragged_groups(flat, starts, lengths, [0, 40])
    np.testing.assert_array_equal(grouped.order, expected)
    dense = _packing.pack_dense(np.zeros((20, 3, 2)))
    np.testing.assert_array_equal(dense.order, np.arange(20))
    assert dense.batch_sizes == (20, 20, 20)
    np.testing.assert_array_equal(dense.last, np.arange(40, 60))
