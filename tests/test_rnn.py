"""The engine: packing, forward/backward against finite differences, padding."""

import numpy as np
import pytest

from sklearn_rnn import _rnn


def _params(rng, n_inputs, hidden=5, n_classes=3):
    return {
        "Wxh": np.asfortranarray(rng.normal(size=(hidden, n_inputs))),
        "Whh": rng.normal(scale=0.5, size=(hidden, hidden)),
        "Why": rng.normal(size=(n_classes, hidden)),
        "bh": rng.normal(size=hidden),
        "by": rng.normal(size=n_classes),
    }


def _text_batch(rng, lengths, vocab):
    lengths = np.asarray(lengths)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.intp)
    flat = rng.integers(0, vocab, size=lengths.sum()).astype(np.intp)
    return flat, starts, lengths


def _numeric_grad(params, loss_fn, eps=1e-6):
    grads = {}
    for name, value in params.items():
        num = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            old = value[i]
            value[i] = old + eps
            plus = loss_fn()
            value[i] = old - eps
            minus = loss_fn()
            value[i] = old
            num[i] = (plus - minus) / (2 * eps)
        grads[name] = num
    return grads


def _dense(grad, n_inputs):
    return grad.to_dense(n_inputs) if isinstance(grad, _rnn.RowGrad) else grad


@pytest.mark.parametrize("alpha", [0.0, 0.3])
@pytest.mark.parametrize(
    "lengths", [[3, 0, 5, 1, 5, 2], [4], [0, 0, 2], [1, 1, 1, 1], [7, 3, 3, 6]]
)
def test_text_gradients_match_finite_differences(lengths, alpha):
    rng = np.random.default_rng(len(lengths))
    vocab = 7
    params = _params(rng, vocab)
    batch = _rnn.pack_ragged(*_text_batch(rng, lengths, vocab))
    y = rng.integers(0, 3, size=len(lengths))
    w = rng.uniform(0.5, 2.0, size=len(lengths))

    def loss():
        return _rnn.loss_and_grads(params, batch, y, w, alpha)[0]

    _, grads = _rnn.loss_and_grads(params, batch, y, w, alpha)
    expected = _numeric_grad(params, loss)
    for name in _rnn.PARAM_NAMES:
        np.testing.assert_allclose(
            _dense(grads[name], vocab), expected[name], rtol=1e-6, atol=1e-8, err_msg=name
        )


@pytest.mark.parametrize("alpha", [0.0, 0.1])
@pytest.mark.parametrize("shape", [(4, 5, 3), (6, 2, 1), (3, 1, 2)])
def test_numeric_gradients_match_finite_differences(shape, alpha):
    rng = np.random.default_rng(sum(shape))
    params = _params(rng, shape[2])
    batch = _rnn.pack_dense(rng.normal(size=shape))
    y = rng.integers(0, 3, size=shape[0])
    w = rng.uniform(0.5, 2.0, size=shape[0])

    def loss():
        return _rnn.loss_and_grads(params, batch, y, w, alpha)[0]

    _, grads = _rnn.loss_and_grads(params, batch, y, w, alpha)
    expected = _numeric_grad(params, loss)
    for name in _rnn.PARAM_NAMES:
        np.testing.assert_allclose(grads[name], expected[name], rtol=1e-6, atol=1e-8,
                                   err_msg=name)


def test_packed_forward_equals_the_tutorial_loop(tutorial_proba):
    rng = np.random.default_rng(0)
    params = _params(rng, 9)
    flat, starts, lengths = _text_batch(rng, [4, 0, 6, 1, 3], 9)
    batch = _rnn.pack_ragged(flat, starts, lengths)
    proba = _rnn.predict_proba(params, batch)
    for row, doc in enumerate(batch.order):
        ids = flat[starts[doc] : starts[doc] + lengths[doc]]
        np.testing.assert_allclose(proba[row], tutorial_proba(params, ids), rtol=1e-12)


def test_padding_never_changes_a_result():
    rng = np.random.default_rng(1)
    params = _params(rng, 11, hidden=8)
    lengths = [2, 17, 0, 5, 30, 1, 9]
    flat, starts, lengths = _text_batch(rng, lengths, 11)
    batch = _rnn.pack_ragged(flat, starts, lengths)
    together = np.empty((len(lengths), 3))
    together[batch.order] = _rnn.predict_proba(params, batch)
    for i in range(len(lengths)):
        alone = _rnn.predict_proba(params, _rnn.pack_ragged(flat, starts[i : i + 1],
                                                           lengths[i : i + 1]))
        np.testing.assert_allclose(together[i], alone[0], rtol=0, atol=1e-12)


def test_pack_layout():
    flat = np.arange(10, dtype=np.intp) * 10
    starts = np.array([0, 2, 2, 7])
    lengths = np.array([2, 0, 5, 3])
    batch = _rnn.pack_ragged(flat, starts, lengths)
    np.testing.assert_array_equal(batch.order, [2, 3, 0, 1])
    np.testing.assert_array_equal(batch.lengths, [5, 3, 2, 0])
    assert batch.batch_sizes == (3, 3, 2, 1, 1)
    # step 0: docs 2, 3, 0; step 1: the same; step 2: docs 2, 3; then doc 2 alone
    np.testing.assert_array_equal(
        batch.ids, [20, 70, 0, 30, 80, 10, 40, 90, 50, 60]
    )
    np.testing.assert_array_equal(batch.last, [9, 7, 5, 10])
    np.testing.assert_array_equal(batch.prev, [0, 1, 2, 3, 4, 6, 8])


def test_empty_sequences_predict_from_the_initial_state():
    rng = np.random.default_rng(2)
    params = _params(rng, 4)
    batch = _rnn.pack_ragged(np.zeros(0, dtype=np.intp), np.zeros(2, np.intp),
                             np.zeros(2, np.intp))
    expected = np.exp(params["by"]) / np.exp(params["by"]).sum()
    np.testing.assert_allclose(_rnn.predict_proba(params, batch), [expected, expected])


def test_scatter_add_rows_matches_add_at():
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 20, size=200)
    values = rng.normal(size=(200, 4))
    rows, summed = _rnn.scatter_add_rows(ids, values)
    dense = np.zeros((20, 4))
    np.add.at(dense, ids, values)
    np.testing.assert_array_equal(rows, np.unique(ids))
    np.testing.assert_allclose(summed, dense[rows], rtol=1e-12)


def test_forward_stores_nothing_and_is_reentrant():
    rng = np.random.default_rng(4)
    params = _params(rng, 6)
    before = {k: v.copy() for k, v in params.items()}
    batch = _rnn.pack_ragged(*_text_batch(rng, [3, 2], 6))
    first = _rnn.predict_proba(params, batch)
    second = _rnn.predict_proba(params, batch)
    np.testing.assert_array_equal(first, second)
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])


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
    many = _rnn.pack_ragged_groups(flat, starts[index], lengths[index], bounds, max_table)
    assert len(many) == len(bounds) - 1
    for batch, a, b in zip(many, bounds[:-1], bounds[1:]):
        one = _rnn.pack_ragged(flat, starts[index[a:b]], lengths[index[a:b]])
        for field in _rnn.PackedBatch._fields:
            got, want = getattr(batch, field), getattr(one, field)
            if want is None:
                assert got is None
            else:
                np.testing.assert_array_equal(got, want, err_msg=field)


@pytest.mark.parametrize("max_tokens", [1, 3, 7, 1 << 16])
def test_final_state_for_prediction_equals_the_training_forward(max_tokens):
    rng = np.random.default_rng(8)
    params = _params(rng, 11, hidden=6)
    batch = _rnn.pack_ragged(*_text_batch(rng, [5, 0, 9, 2, 9, 1], 11))
    h_train, _ = _rnn.features_forward(params, batch)
    h_pred = _rnn.features_streaming(params, batch, max_tokens=max_tokens)
    np.testing.assert_array_equal(h_pred, h_train)
    X = rng.normal(size=(4, 6, 3))
    params = _params(rng, 3, hidden=6)
    numeric = _rnn.pack_dense(X)
    h_train, _ = _rnn.features_forward(params, numeric)
    h_pred = _rnn.features_streaming(params, numeric, max_tokens=max_tokens)
    np.testing.assert_array_equal(h_pred, h_train)
