"""The engine: forward/backward against finite differences, padding, prediction."""

import re
import warnings

import numpy as np
import pytest

from models import numeric_grad, random_params
from sklearn_rnn import _packing, _rnn


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


def _dense(grad, n_inputs):
    return grad.to_dense(n_inputs) if isinstance(grad, _rnn.ColumnGrad) else grad


@pytest.mark.parametrize("alpha", [0.0, 0.3])
@pytest.mark.parametrize(
    "lengths", [[3, 0, 5, 1, 5, 2], [4], [0, 0, 2], [1, 1, 1, 1], [7, 3, 3, 6]]
)
def test_text_gradients_match_finite_differences(lengths, alpha):
    rng = np.random.default_rng(len(lengths))
    vocab = 7
    params = _params(rng, vocab)
    batch = _packing.pack_ragged(*_text_batch(rng, lengths, vocab))
    y = rng.integers(0, 3, size=len(lengths))
    w = rng.uniform(0.5, 2.0, size=len(lengths))

    def loss():
        return _rnn.loss_and_grads(params, batch, y, w, alpha)[0]

    _, grads = _rnn.loss_and_grads(params, batch, y, w, alpha)
    expected = numeric_grad(params, loss)
    for name in _rnn.PARAM_NAMES:
        np.testing.assert_allclose(
            _dense(grads[name], vocab), expected[name], rtol=1e-6, atol=1e-8, err_msg=name
        )


@pytest.mark.parametrize("alpha", [0.0, 0.1])
@pytest.mark.parametrize("shape", [(4, 5, 3), (6, 2, 1), (3, 1, 2)])
def test_numeric_gradients_match_finite_differences(shape, alpha):
    rng = np.random.default_rng(sum(shape))
    params = _params(rng, shape[2])
    batch = _packing.pack_dense(rng.normal(size=shape))
    y = rng.integers(0, 3, size=shape[0])
    w = rng.uniform(0.5, 2.0, size=shape[0])

    def loss():
        return _rnn.loss_and_grads(params, batch, y, w, alpha)[0]

    _, grads = _rnn.loss_and_grads(params, batch, y, w, alpha)
    expected = numeric_grad(params, loss)
    for name in _rnn.PARAM_NAMES:
        np.testing.assert_allclose(grads[name], expected[name], rtol=1e-6, atol=1e-8,
                                   err_msg=name)


def test_packed_forward_equals_the_tutorial_loop(tutorial_proba):
    rng = np.random.default_rng(0)
    params = _params(rng, 9)
    flat, starts, lengths = _text_batch(rng, [4, 0, 6, 1, 3], 9)
    batch = _packing.pack_ragged(flat, starts, lengths)
    proba = _rnn.predict_proba(params, batch)
    for row, doc in enumerate(batch.order):
        ids = flat[starts[doc] : starts[doc] + lengths[doc]]
        np.testing.assert_allclose(proba[row], tutorial_proba(params, ids), rtol=1e-12)


def test_padding_never_changes_a_result():
    rng = np.random.default_rng(1)
    params = _params(rng, 11, hidden=8)
    lengths = [2, 17, 0, 5, 30, 1, 9]
    flat, starts, lengths = _text_batch(rng, lengths, 11)
    batch = _packing.pack_ragged(flat, starts, lengths)
    together = np.empty((len(lengths), 3))
    together[batch.order] = _rnn.predict_proba(params, batch)
    for i in range(len(lengths)):
        alone = _rnn.predict_proba(params, _packing.pack_ragged(flat, starts[i : i + 1],
                                                           lengths[i : i + 1]))
        np.testing.assert_allclose(together[i], alone[0], rtol=0, atol=1e-12)


def test_empty_sequences_predict_from_the_initial_state():
    rng = np.random.default_rng(2)
    params = _params(rng, 4)
    batch = _packing.pack_ragged(np.zeros(0, dtype=np.intp), np.zeros(2, np.intp),
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
    batch = _packing.pack_ragged(*_text_batch(rng, [3, 2], 6))
    first = _rnn.predict_proba(params, batch)
    second = _rnn.predict_proba(params, batch)
    np.testing.assert_array_equal(first, second)
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])


@pytest.mark.parametrize("max_tokens", [1, 3, 7, 1 << 16])
def test_final_state_for_prediction_equals_the_training_forward(max_tokens):
    rng = np.random.default_rng(8)
    params = _params(rng, 11, hidden=6)
    batch = _packing.pack_ragged(*_text_batch(rng, [5, 0, 9, 2, 9, 1], 11))
    h_train, _ = _rnn.features_forward(params, batch)
    h_pred = _rnn.features_streaming(params, batch, max_tokens=max_tokens)
    np.testing.assert_array_equal(h_pred, h_train)
    X = rng.normal(size=(4, 6, 3))
    params = _params(rng, 3, hidden=6)
    numeric = _packing.pack_dense(X)
    h_train, _ = _rnn.features_forward(params, numeric)
    h_pred = _rnn.features_streaming(params, numeric, max_tokens=max_tokens)
    np.testing.assert_array_equal(h_pred, h_train)


# ------------------------------------------------- every cell, direction and pooling
CELL_NAMES = ["tanh", "gru", "lstm"]
POOLINGS = [("last",), ("mean",), ("max",), ("max", "mean")]
RAGGED = [3, 0, 5, 1, 5, 2]


def _case(seed, arch, inputs, lengths=RAGGED, vocab=6, n_classes=3):
    """Parameters, batch, targets and weights for ``inputs`` in
    {'text', 'embedded', 'numeric'}."""
    rng = np.random.default_rng(seed)
    if inputs == "numeric":
        n_inputs, n_rows = 2, 4
        batch = _packing.pack_dense(rng.normal(size=(n_rows, 3, n_inputs)))
    else:
        n_inputs, n_rows = vocab, len(lengths)
        batch = _packing.pack_ragged(*_text_batch(rng, lengths, vocab))
    params = random_params(rng, arch, n_inputs, n_classes=n_classes,
                          embedding=3 if inputs == "embedded" else None)
    y = rng.integers(0, n_classes, size=n_rows)
    w = rng.uniform(0.5, 2.0, size=n_rows)
    return params, batch, y, w


def _loss_only(params, batch, y, w, alpha=0.0, *, arch, masks=None, label_smoothing=0.0):
    """The documented loss, from the forward pass alone: mean cross-entropy plus
    ``alpha / 2`` times the squared norm of the weight matrices, of a looked-up matrix
    only the columns of the tokens in the batch."""
    feats, _ = _rnn.features_forward(params, batch, arch, masks)
    logits = np.dot(feats, params["Why"].T) + params["by"]
    loss = _rnn.softmax_cross_entropy(logits, y, w, label_smoothing)[0]
    used = np.unique(batch.ids) if batch.ids is not None else None
    for name, value in params.items():
        if not name.startswith("W"):
            continue
        looked_up = name == "Wemb" or (
            name.startswith("Wxh") and used is not None and "Wemb" not in params)
        if looked_up:
            value = value[:, used]
        loss += 0.5 * alpha * float(np.sum(value * value))
    return loss


def _check_gradients(params, batch, y, w, alpha=0.0, **kwargs):
    def loss():
        return _loss_only(params, batch, y, w, alpha, **kwargs)

    value, grads = _rnn.loss_and_grads(params, batch, y, w, alpha, **kwargs)
    np.testing.assert_allclose(value, loss(), rtol=1e-12)
    assert sorted(grads) == sorted(params)
    expected = numeric_grad(params, loss)
    for name in params:
        got = _dense(grads[name], params[name].shape[1] if name.startswith("W") else 0)
        assert got.shape == params[name].shape, name
        np.testing.assert_allclose(got, expected[name], rtol=1e-6, atol=1e-8, err_msg=name)


@pytest.mark.parametrize("inputs", ["text", "embedded", "numeric"])
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", CELL_NAMES)
def test_every_architecture_gradients_match_finite_differences(cell, bidirectional, pooling,
                                                              inputs):
    arch = _rnn.Arch(cell, bidirectional, pooling)
    params, batch, y, w = _case(11, arch, inputs)
    assert list(params) == _rnn.param_names(arch, inputs == "embedded")
    _check_gradients(params, batch, y, w, arch=arch)


def _regularized(params, batch, arch, regularization):
    """alpha and the keyword arguments of loss_and_grads for 'dropout',
    'label_smoothing', 'alpha' or 'all' of them."""
    kwargs = {"arch": arch}
    alpha = 0.0
    if regularization in ("dropout", "all"):
        masks = _rnn.dropout_masks(np.random.RandomState(3), batch, params, arch, 0.3)
        for mask in masks.values():  # some dropped and some kept, or it tests nothing
            assert 0 < np.count_nonzero(mask) < mask.size
        kwargs["masks"] = masks
    if regularization in ("label_smoothing", "all"):
        kwargs["label_smoothing"] = 0.1
    if regularization in ("alpha", "all"):
        alpha = 0.2
    return alpha, kwargs


@pytest.mark.parametrize("inputs", ["text", "embedded", "numeric"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", CELL_NAMES)
def test_regularized_gradients_match_finite_differences(cell, bidirectional, inputs):
    # dropout under a fixed mask, label smoothing and alpha at once
    arch = _rnn.Arch(cell, bidirectional, ("max", "mean"))
    params, batch, y, w = _case(12, arch, inputs)
    alpha, kwargs = _regularized(params, batch, arch, "all")
    _check_gradients(params, batch, y, w, alpha, **kwargs)


@pytest.mark.parametrize("regularization", ["dropout", "label_smoothing", "alpha"])
@pytest.mark.parametrize("inputs", ["text", "embedded", "numeric"])
def test_each_regularization_gradients_match_finite_differences(inputs, regularization):
    arch = _rnn.Arch("lstm", True, ("last", "max"))
    params, batch, y, w = _case(13, arch, inputs)
    alpha, kwargs = _regularized(params, batch, arch, regularization)
    _check_gradients(params, batch, y, w, alpha, **kwargs)


def test_dropout_masks_shapes_and_values():
    arch = _rnn.Arch("gru", True, ("max", "mean"))
    for inputs, shape in [("text", (16,)), ("embedded", (16, 3)), ("numeric", (12, 2))]:
        params, batch, _, _ = _case(13, arch, inputs)
        masks = _rnn.dropout_masks(np.random.RandomState(0), batch, params, arch, 0.25)
        assert masks["inputs"].shape == shape
        assert masks["features"].shape == (len(batch.order), arch.n_features(3))
        for mask in masks.values():
            assert set(np.unique(mask)) <= {0.0, 1.0 / 0.75}


@pytest.mark.parametrize("max_tokens", [1, 3, 7, 1 << 16])
@pytest.mark.parametrize("inputs", ["text", "embedded", "numeric"])
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", CELL_NAMES)
def test_streaming_features_equal_the_training_forward(cell, bidirectional, pooling, inputs,
                                                       max_tokens):
    arch = _rnn.Arch(cell, bidirectional, pooling)
    params, batch, _, _ = _case(14, arch, inputs, lengths=[4, 0, 9, 2, 9, 1, 0, 5])
    if inputs == "numeric":
        batch = _packing.pack_dense(np.random.default_rng(15).normal(size=(5, 6, 2)))
    trained, _ = _rnn.features_forward(params, batch, arch)
    streamed = _rnn.features_streaming(params, batch, arch, max_tokens=max_tokens)
    assert streamed.shape == trained.shape == (len(batch.order), arch.n_features(3))
    hidden = 3
    for d in range(len(arch.directions)):
        for k, kind in enumerate(pooling):
            block = slice((d * len(pooling) + k) * hidden, (d * len(pooling) + k + 1) * hidden)
            if kind == "mean":
                np.testing.assert_allclose(streamed[:, block], trained[:, block],
                                           rtol=1e-12, atol=1e-12, err_msg=kind)
            else:
                np.testing.assert_array_equal(streamed[:, block], trained[:, block],
                                              err_msg=kind)


@pytest.mark.parametrize("inputs", ["text", "embedded", "numeric"])
@pytest.mark.parametrize("cell", CELL_NAMES)
def test_streaming_features_keep_the_weights_dtype(cell, inputs):
    # a float32 model streams in float32 (buffers, states, pooled sums and maxima)
    arch = _rnn.Arch(cell, True, ("last", "max", "mean"))
    params, batch, _, _ = _case(16, arch, inputs, lengths=[4, 0, 9, 2])
    if inputs == "numeric":
        batch = _packing.pack_dense(np.random.default_rng(17).normal(size=(4, 6, 2))
                                .astype(np.float32))
    single = {k: np.array(v, dtype=np.float32, order="K") for k, v in params.items()}
    streamed = _rnn.features_streaming(single, batch, arch, max_tokens=5)
    assert streamed.dtype == np.float32
    np.testing.assert_allclose(streamed, _rnn.features_forward(single, batch, arch)[0],
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("embedding", [False, True])
@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_padding_never_changes_a_result_bidirectional(cell, embedding):
    arch = _rnn.Arch(cell, True, ("max", "mean"))
    lengths = [2, 17, 0, 5, 30, 1, 9, 17]
    rng = np.random.default_rng(16)
    flat, starts, lengths = _text_batch(rng, lengths, 11)
    params = random_params(rng, arch, 11, hidden=4, embedding=3 if embedding else None)
    batch = _packing.pack_ragged(flat, starts, lengths)
    together = np.empty((len(lengths), 3))
    together[batch.order] = _rnn.predict_proba(params, batch, arch)
    feats = np.empty((len(lengths), arch.n_features(4)))
    feats[batch.order] = _rnn.features_forward(params, batch, arch)[0]
    for i in range(len(lengths)):
        one = _packing.pack_ragged(flat, starts[i : i + 1], lengths[i : i + 1])
        alone = _rnn.predict_proba(params, one, arch)
        np.testing.assert_allclose(together[i], alone[0], rtol=0, atol=1e-12)
        alone_feats = _rnn.features_forward(params, one, arch)[0]
        np.testing.assert_allclose(feats[i], alone_feats[0], rtol=0, atol=1e-12)
    # an empty document has zero features under every pooling, both directions
    np.testing.assert_array_equal(feats[2], 0.0)


def test_pooling_by_hand_with_ties_empty_rows_and_a_nan():
    # values of a few levels only: maxima tie often, and the first step holding one
    # takes its gradient (as PyTorch's max does on CPU)
    rng = np.random.default_rng(5)
    lengths = np.array([4, 0, 2, 5, 1, 0, 5])
    flat = rng.integers(0, 3, lengths.sum())
    batch = _packing.pack_ragged(flat, np.concatenate([[0], np.cumsum(lengths)[:-1]]),
                                 lengths)
    n_packed, hidden = len(flat), 3
    hs = np.vstack([rng.integers(-2, 3, size=(n_packed, hidden)) / 2.0, np.zeros((1, 3))])
    features, cache = _rnn.pool_forward(hs, batch, ("last", "max", "mean"))
    d = rng.normal(size=features.shape)
    dhs = _rnn.pool_backward(d, cache)
    expected_features, expected_dhs = np.zeros_like(features), np.zeros((n_packed, hidden))
    for r, length in enumerate(batch.lengths):  # packed rows
        if length == 0:
            continue
        positions = [batch.offsets[t] + r for t in range(length)]
        states = hs[positions]
        first = states.argmax(axis=0)  # NumPy's argmax: the first maximum
        expected_features[r] = np.concatenate(
            [states[-1], states.max(axis=0), states.mean(axis=0)])
        expected_dhs[positions[-1]] += d[r, :hidden]
        for j in range(hidden):
            expected_dhs[positions[first[j]], j] += d[r, hidden + j]
        expected_dhs[positions] += d[r, 2 * hidden :] / length
    np.testing.assert_allclose(features, expected_features, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dhs, expected_dhs, rtol=1e-12, atol=1e-15)
    # a nan state: its feature is nan (the loss then refuses the step), and the
    # gradient goes to a position of its own row, not out of the batch
    hs[batch.offsets[1] + 0, 2] = np.nan
    features, cache = _rnn.pool_forward(hs, batch, ("max",))
    assert np.isnan(features[0, 2]) and np.isfinite(np.delete(features, 0, axis=0)).all()
    dhs = _rnn.pool_backward(np.ones_like(features), cache)
    assert dhs[:, 2].sum() == np.count_nonzero(batch.lengths)
    assert dhs[[batch.offsets[t] for t in range(batch.lengths[0])], 2].sum() == 1


def test_softmax_cross_entropy_with_label_smoothing_by_hand():
    # p = [1/4, 1/2, 1/4] and [1/4, 1/4, 1/2]; targets 1 and 0; weights 1 and 3;
    # smoothing 0.3 over 3 classes: 0.8 for the class, 0.1 for the others
    logits = np.log(np.array([[1.0, 2.0, 1.0], [1.0, 1.0, 2.0]])) + [[0.5], [-2.0]]
    y = np.array([1, 0])
    w = np.array([1.0, 3.0])
    loss, dlogits = _rnn.softmax_cross_entropy(logits, y, w, label_smoothing=0.3)
    # -(0.1 ln 1/4 + 0.8 ln 1/2 + 0.1 ln 1/4) = 1.2 ln 2; -(0.8 ln 1/4 + ...) = 1.9 ln 2
    np.testing.assert_allclose(loss, (0.25 * 1.2 + 0.75 * 1.9) * np.log(2.0), rtol=1e-14)
    np.testing.assert_allclose(dlogits, [[0.25 * 0.15, 0.25 * -0.3, 0.25 * 0.15],
                                         [0.75 * -0.55, 0.75 * 0.15, 0.75 * 0.4]],
                               rtol=1e-13, atol=1e-15)


def test_softmax_cross_entropy_without_smoothing_is_plain_cross_entropy():
    rng = np.random.default_rng(18)
    logits = rng.normal(size=(7, 4)) * 3
    y = rng.integers(0, 4, size=7)
    w = rng.uniform(0.1, 2.0, size=7)
    loss, dlogits = _rnn.softmax_cross_entropy(logits, y, w, label_smoothing=0.0)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    scale = w / w.sum()
    np.testing.assert_allclose(loss, -np.dot(scale, np.log(p[np.arange(7), y])), rtol=1e-13)
    np.testing.assert_allclose(dlogits, scale[:, None] * (p - np.eye(4)[y]),
                               rtol=1e-12, atol=1e-15)
    assert _rnn.softmax_cross_entropy(logits, y, w)[0] == loss


def test_row_gradient_to_dense_keeps_the_dtype():
    grad = _rnn.ColumnGrad(np.array([0, 3]), np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    dense = grad.to_dense(5)
    assert dense.dtype == np.float32
    np.testing.assert_array_equal(dense, [[1, 0, 0, 3, 0], [2, 0, 0, 4, 0]])


def test_scatter_add_rows_of_no_rows():
    rows, summed = _rnn.scatter_add_rows(np.zeros(0, dtype=np.intp), np.zeros((0, 3)))
    assert rows.shape == (0,) and summed.shape == (0, 3)


def test_scatter_add_rows_by_hand():
    rows, summed = _rnn.scatter_add_rows(np.array([4, 1, 4, 4]),
                                         np.array([[1.0], [2.0], [10.0], [100.0]]))
    np.testing.assert_array_equal(rows, [1, 4])
    np.testing.assert_array_equal(summed, [[2.0], [111.0]])


def test_softmax_of_huge_logits_is_finite():
    logits = np.array([[1000.0, 1000.0, -1000.0], [-5000.0, 0.0, 0.0]])
    np.testing.assert_allclose(np.exp(_rnn.log_softmax(logits)),
                               [[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]], atol=1e-300)
    loss, dlogits = _rnn.softmax_cross_entropy(logits, np.array([0, 1]), np.ones(2))
    np.testing.assert_allclose(loss, np.log(2.0), rtol=1e-14)
    assert np.all(np.isfinite(dlogits))


def test_param_names_by_hand():
    assert _rnn.param_names(_rnn.TUTORIAL) == ["Wxh", "Whh", "bh", "Why", "by"]
    assert _rnn.PARAM_NAMES == ("Wxh", "Whh", "bh", "Why", "by")
    assert _rnn.param_names(_rnn.Arch("gru", True), embedding=True) == [
        "Wemb", "Wxh", "Whh", "bh", "bhh", "Wxh_reverse", "Whh_reverse", "bh_reverse",
        "bhh_reverse", "Why", "by"]
    arch = _rnn.Arch("lstm", True, ("last", "mean", "max"))
    assert arch.directions == ("", "_reverse")
    assert arch.n_features(4) == 24
    assert _rnn.Arch().n_features(4) == 4


@pytest.mark.parametrize("largest", [False, True])
def test_predict_proba_of_output_weights_scaled_by_a_power_of_two(largest):
    # logits times 2**shift: the softmax of the scaled logits, overflowing or not
    rng = np.random.default_rng(21)
    arch = _rnn.Arch("gru", True, ("max", "mean"))
    params = random_params(rng, arch, 3, n_classes=3)
    batch = _packing.pack_dense(rng.normal(size=(6, 4, 3)))
    features = _rnn.features_streaming(params, batch, arch)
    logits = features @ params["Why"].T + params["by"]
    # the largest shift that keeps the weights finite
    top = max(np.abs(params["Why"]).max(), np.abs(params["by"]).max())
    shift = 1024 - np.frexp(top)[1] if largest else 3
    params["Why"] = np.ldexp(params["Why"], shift)
    params["by"] = np.ldexp(params["by"], shift)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a handled overflow is not the user's concern
        proba = _rnn.predict_proba(params, batch, arch)
    if shift == 3:
        expected = np.exp(8 * (logits - logits.max(axis=1, keepdims=True)))
        np.testing.assert_allclose(proba, expected / expected.sum(axis=1, keepdims=True),
                                   rtol=1e-12)
    else:  # the scaled logits overflow: the limit is the arg max
        with np.errstate(over="ignore"):
            overflowing = np.isinf(np.ldexp(logits, shift)).any()
        assert np.isfinite(params["Why"]).all() and overflowing
        np.testing.assert_array_equal(proba, np.eye(3)[logits.argmax(axis=1)])


def test_predict_proba_refuses_states_that_are_not_finite():
    rng = np.random.default_rng(22)
    params = random_params(rng, _rnn.TUTORIAL, 3, n_classes=2)
    params["Wxh"][:] = 1.0
    params["Whh"][:] = -1e308  # step 1: x Wxh = inf; step 2: Whh h = -inf; inf - inf
    batch = _packing.pack_dense(np.full((2, 3, 3), 1e308))
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(
            ValueError, match=re.escape(
                "The network's states are not finite: its weights or its input are too "
                "large for their dtype (a diverged fit, or numeric input near the dtype's "
                "limit). Fit again with a lower learning_rate_init, or with clip_value "
                "set; scale numeric input.")):
        _rnn.predict_proba(params, batch)


def test_predict_proba_rescales_each_row_by_its_own_largest_logit():
    # saturated tanh states of +1, -1 and 0: the first row's logits overflow, the
    # last row's are all 0: the arg max for the first rows, uniform for the last
    params = {"Wxh": np.full((3, 1), 1e3), "Whh": np.zeros((3, 3)), "bh": np.zeros(3),
              "Why": np.ldexp(np.array([[1.0] * 3, [0.5] * 3, [0.0] * 3]), 1023),
              "by": np.zeros(3)}
    batch = _packing.pack_dense(np.array([[[1.0], [1.0]], [[-1.0], [-1.0]], [[0.0], [0.0]]]))
    proba = np.empty((3, 3))
    with np.errstate(over="ignore"):
        proba[batch.order] = _rnn.predict_proba(params, batch)
    np.testing.assert_array_equal(proba[:2], [[1, 0, 0], [0, 0, 1]])
    np.testing.assert_allclose(proba[2], np.full(3, 1 / 3), rtol=1e-15)



@pytest.mark.parametrize("scale", [0.0, 2.0])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_token_dropout_scales_the_looked_up_columns(bidirectional, scale):
    # text read from Wxh directly: a token's mask multiplies its column (not the bias)
    arch = _rnn.Arch("gru", bidirectional, ("mean", "max"))
    params, batch, _, _ = _case(18, arch, "text")
    n_feats = arch.n_features(3)
    masks = {"inputs": np.full(len(batch.ids), scale),
             "features": np.ones((len(batch.order), n_feats))}
    scaled = {k: v * scale if k.startswith("Wxh") else v for k, v in params.items()}
    np.testing.assert_allclose(_rnn.features_forward(params, batch, arch, masks)[0],
                               _rnn.features_forward(scaled, batch, arch)[0],
                               rtol=1e-12, atol=1e-12)


def _float32(params):
    return {k: np.array(v, dtype=np.float32, order="K") for k, v in params.items()}


@pytest.mark.parametrize("inputs", ["text", "embedded", "numeric"])
@pytest.mark.parametrize("cell", CELL_NAMES)
def test_float32_prediction_of_a_row_is_the_same_in_any_batch(cell, inputs):
    # every product of a float32 model's prediction is exact: a row's probabilities
    # do not depend, bit for bit, on the other rows of its batch
    arch = _rnn.Arch(cell, True, ("last", "max", "mean"))
    lengths = [4, 0, 9, 2, 9, 1, 7, 3, 12, 5, 6, 8, 2, 11, 1, 4, 9, 10]
    params, batch, _, _ = _case(23, arch, inputs, lengths=lengths)
    params = _float32(params)
    rng = np.random.default_rng(24)
    if inputs == "numeric":
        X = rng.normal(size=(len(lengths), 6, 2)).astype(np.float32)
        pack = lambda rows: _packing.pack_dense(X[rows])  # noqa: E731
    else:
        flat, starts, lens = _text_batch(rng, lengths, 6)
        pack = lambda rows: _packing.pack_ragged(flat, starts[rows], lens[rows])  # noqa: E731
    every = np.arange(len(lengths))
    batch = pack(every)
    whole = np.empty((len(lengths), 3))
    whole[batch.order] = _rnn.predict_proba(params, batch, arch)
    for rows in ([0], [3, 1], rng.permutation(len(lengths))[:7], every[::-1]):
        rows = np.asarray(rows)
        part = pack(rows)
        got = np.empty((len(rows), 3))
        got[part.order] = _rnn.predict_proba(params, part, arch)
        np.testing.assert_array_equal(got, whole[rows])


def test_projections_of_more_tokens_than_the_batch_has_give_the_same_features():
    # prediction projects every distinct token of the documents predicted once, for all
    # of their chunks: a batch reading them gets what it would compute itself
    arch = _rnn.Arch("lstm", True, ("last", "max"))
    params, batch, _, _ = _case(26, arch, "embedded", lengths=[7, 0, 3, 5], vocab=30)
    missing = np.setdiff1d(np.arange(30), batch.ids)
    assert len(missing) > 0
    for dtype in (np.float64, np.float32):
        p = {k: np.array(v, dtype=dtype, order="K") for k, v in params.items()}
        own = _rnn.features_streaming(p, batch, arch)
        shared = _rnn.project_tokens(p, arch, np.concatenate([missing, batch.ids]))
        assert sorted(shared.rows) == ["", "_reverse"]
        assert len(shared.rows[""]) == len(np.unique(batch.ids)) + len(missing)
        np.testing.assert_array_equal(
            _rnn.features_streaming(p, batch, arch, projections=shared), own)
        np.testing.assert_array_equal(shared.position[missing], np.searchsorted(
            np.union1d(missing, batch.ids), missing))
    # looked up in Wxh directly: there is no product to share
    direct, batch, _, _ = _case(26, arch, "text")
    assert _rnn.project_tokens(direct, arch, batch.ids) is None


def test_prediction_projects_the_tokens_once_for_all_its_chunks(monkeypatch):
    from sklearn_rnn import RNNSentimentClassifier, _data
    from sklearn_rnn.datasets import load_seed_sentiment

    X_train, X_test, y_train, _ = load_seed_sentiment()
    clf = RNNSentimentClassifier(random_state=0, max_iter=3).fit(X_train, y_train)
    expected = clf.predict_proba(X_test)
    calls = []
    project_tokens = _rnn.project_tokens
    monkeypatch.setattr(_rnn, "project_tokens",
                        lambda *args: calls.append(len(args[2])) or project_tokens(*args))
    monkeypatch.setattr(_data, "PREDICT_ROWS", 2)
    np.testing.assert_array_equal(clf.predict_proba(X_test), expected)
    assert calls == [sum(len(doc.split()) for doc in X_test)]  # once, every token
    monkeypatch.setattr(_rnn, "_PROJECTION_BUDGET", 0)  # too many: each chunk its own
    np.testing.assert_array_equal(clf.predict_proba(X_test), expected)


def test_distinct_tokens_projected_once_or_a_window_at_a_time_alike(monkeypatch):
    # a batch's distinct tokens are projected once, unless there are too many of them:
    # then a window's at a time, with the same result
    arch = _rnn.Arch("gru", True, ("max", "mean"))
    params, batch, _, _ = _case(25, arch, "embedded", lengths=[30, 0, 9, 17, 4])
    for dtype in (np.float64, np.float32):
        p = {k: np.array(v, dtype=dtype, order="K") for k, v in params.items()}
        once = _rnn.features_streaming(p, batch, arch, max_tokens=12)
        monkeypatch.setattr(_rnn, "_PROJECTION_BUDGET", 0)
        windows = _rnn.features_streaming(p, batch, arch, max_tokens=12)
        monkeypatch.undo()
        np.testing.assert_array_equal(windows, once)
        trained = _rnn.features_forward(p, batch, arch)[0]
        np.testing.assert_allclose(once, trained, rtol=1e-5 if dtype == np.float32 else 1e-12,
                                   atol=1e-6 if dtype == np.float32 else 1e-12)
