"""The cells against their documented equations, written out one document at a time."""

import numpy as np
import pytest

from models import random_params
from sklearn_rnn import _packing, _rnn
from sklearn_rnn._cells import CELLS

CELL_NAMES = ["tanh", "gru", "lstm"]
POOLINGS = [("last",), ("mean",), ("max",), ("max", "mean"), ("last", "mean", "max")]
HIDDEN = 4


def _params(rng, arch, n_inputs, embedding=None, n_classes=3):
    return random_params(rng, arch, n_inputs, hidden=HIDDEN, n_classes=n_classes,
                         embedding=embedding)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _reference_states(cell, params, sfx, inputs):
    """Every state of one direction over one document, PyTorch's equations written out
    gate by gate (``inputs``: the document's input vectors, in reading order)."""
    W, U, b = params["Wxh" + sfx], params["Whh" + sfx], params["bh" + sfx]
    H = U.shape[1]
    h = np.zeros(H)
    c = np.zeros(H)
    states = []
    for x in inputs:
        if cell == "tanh":
            h = np.tanh(W @ x + b + U @ h)
        elif cell == "gru":
            bhh = params["bhh" + sfx]
            W_ir, W_iz, W_in = W[:H], W[H : 2 * H], W[2 * H :]
            W_hr, W_hz, W_hn = U[:H], U[H : 2 * H], U[2 * H :]
            b_ir, b_iz, b_in = b[:H], b[H : 2 * H], b[2 * H :]
            b_hr, b_hz, b_hn = bhh[:H], bhh[H : 2 * H], bhh[2 * H :]
            r = _sigmoid(W_ir @ x + b_ir + W_hr @ h + b_hr)
            z = _sigmoid(W_iz @ x + b_iz + W_hz @ h + b_hz)
            n = np.tanh(W_in @ x + b_in + r * (W_hn @ h + b_hn))
            h = (1.0 - z) * n + z * h
        else:
            pre = [W[k * H : (k + 1) * H] @ x + b[k * H : (k + 1) * H]
                   + U[k * H : (k + 1) * H] @ h for k in range(4)]
            i, f, g, o = _sigmoid(pre[0]), _sigmoid(pre[1]), np.tanh(pre[2]), _sigmoid(pre[3])
            c = f * c + i * g
            h = o * np.tanh(c)
        states.append(h)
    return states


def _reference_features(arch, params, inputs):
    """[forward pooled blocks, backward pooled blocks] of one document."""
    blocks = []
    for sfx in arch.directions:
        states = _reference_states(arch.cell, params, sfx, inputs[::-1] if sfx else inputs)
        for kind in arch.pooling:
            if not states:
                blocks.append(np.zeros(HIDDEN))
            elif kind == "last":  # backwards: the state after reading the first token
                blocks.append(states[-1])
            elif kind == "mean":
                total = np.zeros(HIDDEN)
                for h in states:
                    total = total + h
                blocks.append(total / len(states))
            else:
                peak = states[0]
                for h in states[1:]:
                    peak = np.maximum(peak, h)
                blocks.append(peak)
    return np.concatenate(blocks)


def _reference_proba(params, features):
    y = params["Why"] @ features + params["by"]
    e = np.exp(y - y.max())
    return e / e.sum()


def _documents(inputs, rng, params, vocab=7):
    """A packed batch and, per document, its input vectors as the model reads them."""
    if inputs == "numeric":
        X = rng.normal(size=(3, 5, 2))
        return _packing.pack_dense(X), [list(doc) for doc in X]
    lengths = np.array([3, 0, 5, 1, 5, 2])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.intp)
    flat = rng.integers(0, vocab, size=lengths.sum()).astype(np.intp)
    docs = []
    for s, n in zip(starts, lengths):
        ids = flat[s : s + n]
        if inputs == "embedded":
            docs.append([params["Wemb"][:, i] for i in ids])
        else:
            docs.append([np.eye(vocab)[i] for i in ids])  # one-hot columns
    return _packing.pack_ragged(flat, starts, lengths), docs


@pytest.mark.parametrize("inputs", ["text", "embedded", "numeric"])
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", CELL_NAMES)
def test_forward_equals_the_documented_equations(cell, bidirectional, pooling, inputs):
    rng = np.random.default_rng(0)
    arch = _rnn.Arch(cell, bidirectional, pooling)
    n_inputs = 2 if inputs == "numeric" else 7
    params = _params(rng, arch, n_inputs, embedding=3 if inputs == "embedded" else None)
    batch, docs = _documents(inputs, rng, params)
    feats, _ = _rnn.features_forward(params, batch, arch)
    proba = _rnn.predict_proba(params, batch, arch)
    assert feats.shape == (len(docs), arch.n_features(HIDDEN))
    for row, doc in enumerate(batch.order):
        expected = _reference_features(arch, params, docs[doc])
        np.testing.assert_allclose(feats[row], expected, rtol=0, atol=1e-12)
        np.testing.assert_allclose(proba[row], _reference_proba(params, expected),
                                   rtol=0, atol=1e-12)


def test_the_directions_read_the_document_in_opposite_orders():
    # a palindrome reads the same both ways; its reverse gives swapped directions
    arch = _rnn.Arch("gru", True, ("last", "mean"))
    rng = np.random.default_rng(1)
    params = _params(rng, arch, 5)
    for name in ("Wxh", "Whh", "bh", "bhh"):
        params[name + "_reverse"] = params[name].copy()
    flat = np.array([1, 4, 2, 0] + [3, 1, 4, 1, 3] + [0, 2, 4, 1], dtype=np.intp)
    batch = _packing.pack_ragged(flat, np.array([0, 4, 9]), np.array([4, 5, 4]))
    feats = np.empty((3, arch.n_features(HIDDEN)))
    feats[batch.order] = _rnn.features_forward(params, batch, arch)[0]
    half = 2 * HIDDEN
    np.testing.assert_allclose(feats[1, :half], feats[1, half:], rtol=0, atol=1e-13)
    np.testing.assert_allclose(feats[0, :half], feats[2, half:], rtol=0, atol=1e-13)
    np.testing.assert_allclose(feats[0, half:], feats[2, :half], rtol=0, atol=1e-13)
    assert not np.allclose(feats[0, :half], feats[0, half:])


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_cells_have_the_documented_gates(cell):
    spec = CELLS[cell]
    assert spec.gates == {"tanh": 1, "gru": 3, "lstm": 4}[cell]
    assert spec.recurrent_bias == (cell == "gru")
    names = _rnn.param_names(_rnn.Arch(cell, True), embedding=True)
    bias = ["bhh"] if cell == "gru" else []
    assert names == (["Wemb"] + ["Wxh", "Whh", "bh"] + bias
                     + ["Wxh_reverse", "Whh_reverse", "bh_reverse"]
                     + [b + "_reverse" for b in bias] + ["Why", "by"])


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_weights_transfer_to_torch(cell):
    torch = pytest.importorskip("torch")
    arch = _rnn.Arch(cell, True, ("last", "mean", "max"))
    rng = np.random.default_rng(2)
    params = _params(rng, arch, 3)
    X = rng.normal(size=(4, 6, 3))
    ours = np.empty((4, arch.n_features(HIDDEN)))
    batch = _packing.pack_dense(X)
    ours[batch.order] = _rnn.features_forward(params, batch, arch)[0]
    streamed = np.empty_like(ours)
    streamed[batch.order] = _rnn.features_streaming(params, batch, arch)

    module = {"tanh": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
    net = module(3, HIDDEN, batch_first=True, bidirectional=True).double()
    with torch.no_grad():
        for sfx in ("", "_reverse"):
            getattr(net, "weight_ih_l0" + sfx).copy_(torch.from_numpy(params["Wxh" + sfx]))
            getattr(net, "weight_hh_l0" + sfx).copy_(torch.from_numpy(params["Whh" + sfx]))
            getattr(net, "bias_ih_l0" + sfx).copy_(torch.from_numpy(params["bh" + sfx]))
            bhh = params.get("bhh" + sfx, np.zeros_like(params["bh" + sfx]))
            getattr(net, "bias_hh_l0" + sfx).copy_(torch.from_numpy(bhh))
        out, _ = net(torch.from_numpy(X))
    out = out.numpy()
    fwd, bwd = out[:, :, :HIDDEN], out[:, :, HIDDEN:]
    expected = np.concatenate([fwd[:, -1], fwd.mean(axis=1), fwd.max(axis=1),
                               bwd[:, 0], bwd.mean(axis=1), bwd.max(axis=1)], axis=1)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(streamed, expected, rtol=1e-12, atol=1e-12)
