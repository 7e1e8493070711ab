"""The network's mathematics: pure NumPy forward and backward passes of a many-to-one
recurrent classifier, its loss, its parameters' initialisation and what it costs in
memory to train.

The model chains, for each direction (a second one, with weights suffixed ``_reverse``,
reads every sequence backwards when bidirectional):

    inputs     x_t: column ``id`` of ``Wxh`` for a token (the tutorial's one-hot
               product, looked up), or ``Wemb[:, id]`` then ``Wxh`` with an embedding,
               or the numeric step
    cell       h_t = cell(Wxh x_t + bh, h_{t-1})   (tanh, GRU or LSTM: ``_cells.py``)
    pooling    f = [last state | mean over t | max over t]   (any of them, in order)
    output     y = Why [f_forward, f_backward] + by,   p = softmax(y)

and the loss is the sample-weighted mean cross-entropy (with optional label smoothing).
With the tanh cell, one direction and ``'last'`` pooling this is the tutorial's model::

    h_t = tanh(Wxh x_t + Whh h_{t-1} + bh),   h_0 = 0
    y   = Why h_T + by,   p = softmax(y),   loss = cross-entropy(p, target)

Shape letters used throughout: N batch, T time steps, D input features, V input columns
(vocabulary plus the unknown-word column), E embedding size, H hidden units, G gates of
the cell, F features, C classes, P packed steps (the sum of the lengths of a batch's
sequences).

Batches are *packed* (:mod:`sklearn_rnn._packing`, like PyTorch's ``PackedSequence``):
step ``t`` holds the rows still running, so padding costs nothing. The backward direction
reads its inputs through :func:`~sklearn_rnn._packing.reverse_index`, in the same layout.
A looked-up column's gradient is a scatter-add into the columns that occurred.

Every layer is a pair of pure functions, ``*_forward(...) -> (out, cache)`` and
``*_backward(dout, cache) -> grads``; nothing is stored on any object. Prediction
(:func:`predict_proba`) streams instead, in memory bounded whatever the lengths, with
products whose rows do not depend on the batch (:mod:`sklearn_rnn._exact`).
"""

import bisect
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from ._cells import CELLS
from ._exact import ExactProduct
from ._packing import reverse_index, steps_and_rows

# csr_array (SciPy >= 1.8) builds a little faster; csr_matrix gives the same product
_CSR = getattr(sp, "csr_array", sp.csr_matrix)


class ColumnGrad(NamedTuple):
    """Gradient of a matrix looked up by token id (``Wemb``, or ``Wxh`` without an
    embedding), non-zero only in the columns a batch used.

    columns : ndarray of shape (K,)
        The columns of the matrix (token ids), sorted and unique.
    values : ndarray of shape (K, H)
        The gradient of those columns, one per row (rows of the matrix's transpose).
    """

    columns: np.ndarray
    values: np.ndarray

    def to_dense(self, n_inputs):
        """The same gradient as a dense ``(H, n_inputs)`` array."""
        dense = np.zeros((self.values.shape[1], n_inputs), dtype=self.values.dtype)
        dense[:, self.columns] = self.values.T
        return dense


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


class Arch(NamedTuple):
    """Which layers the model chains.

    cell : {'tanh', 'gru', 'lstm'}
    bidirectional : bool
        A second cell (weights suffixed ``_reverse``) reads each sequence backwards.
    pooling : tuple of {'last', 'mean', 'max'}
        How the states of a sequence become features, in this order, concatenated.
    """

    cell: str = "tanh"
    bidirectional: bool = False
    pooling: tuple = ("last",)

    @property
    def directions(self):
        return ("", "_reverse") if self.bidirectional else ("",)

    def n_features(self, hidden_size):
        """Width of the output layer's input: H per pooling per direction."""
        return hidden_size * len(self.pooling) * len(self.directions)


TUTORIAL = Arch()


def param_names(arch, embedding=False):
    """Names of the parameters of a model, in a fixed order."""
    names = ["Wemb"] if embedding else []
    for sfx in arch.directions:
        names += [f"Wxh{sfx}", f"Whh{sfx}", f"bh{sfx}"]
        if CELLS[arch.cell].recurrent_bias:
            names.append(f"bhh{sfx}")
    return names + ["Why", "by"]


PARAM_NAMES = tuple(param_names(TUTORIAL))

# what max pooling keeps per token in training, in units of H floats (its padded copy and
# arg max over time), on top of the cell's (``Cell.train_floats_per_step``)
_MAX_POOLING_TRAIN_FLOATS = 40


def init_params(arch, n_inputs, n_classes, hidden_size, embedding_size, rng, dtype,
                unknown_column=None):
    """Weights as PyTorch initializes its recurrent layers, Uniform(-1/sqrt(H),
    1/sqrt(H)), an embedding ``Wemb`` drawn from N(0, 0.1^2), and zero biases.

    A matrix whose columns are looked up by token id (``Wemb``, or ``Wxh`` without an
    embedding) is drawn as its transpose and stored column-major, so that its columns
    are contiguous rows of its transpose. The tutorial's model (tanh, one direction, no
    embedding) draws ``Wxh``, ``Whh`` and ``Why`` in that order, as it always has.
    ``unknown_column``, if given, starts at zero in the looked-up matrices (the
    unknown word's column of a vocabulary, which training may never see).
    """
    bound = 1.0 / np.sqrt(hidden_size)
    gates = CELLS[arch.cell].gates
    params = {}
    if embedding_size is not None:
        params["Wemb"] = rng.normal(0.0, 0.1, (n_inputs, embedding_size)).astype(dtype).T
        n_inputs = embedding_size
    for sfx in arch.directions:
        params["Wxh" + sfx] = rng.uniform(
            -bound, bound, (n_inputs, gates * hidden_size)).astype(dtype).T
        params["Whh" + sfx] = rng.uniform(
            -bound, bound, (gates * hidden_size, hidden_size)).astype(dtype)
    params["Why"] = rng.uniform(-bound, bound, (n_classes, arch.n_features(hidden_size))
                                ).astype(dtype)
    for sfx in arch.directions:
        params["bh" + sfx] = np.zeros(gates * hidden_size, dtype=dtype)
        if CELLS[arch.cell].recurrent_bias:
            params["bhh" + sfx] = np.zeros(gates * hidden_size, dtype=dtype)
    params["by"] = np.zeros(n_classes, dtype=dtype)
    if unknown_column is not None:
        for name in looked_up_names(params):
            params[name][:, unknown_column] = 0.0
    return params


def looked_up_names(params):
    """The parameters whose columns text input looks up by token id: ``Wemb`` with an
    embedding, else the input matrices ``Wxh`` of every direction (the one-hot product
    ``Wxh x_t`` is column ``id`` of ``Wxh``)."""
    if "Wemb" in params:
        return ["Wemb"]
    return [name for name in params if name.startswith("Wxh")]


def training_bytes_per_token(arch, hidden_size, n_inputs, itemsize):
    """About how many bytes training keeps per token of a batch (an upper bound, measured
    per cell and pooling): the activations backpropagation through time holds, and the
    ``n_inputs`` input features each direction reads per token."""
    n_dirs = len(arch.directions)
    per_step = CELLS[arch.cell].train_floats_per_step * n_dirs + (
        _MAX_POOLING_TRAIN_FLOATS if "max" in arch.pooling else 0)
    return itemsize * (hidden_size * per_step + n_dirs * n_inputs) + 128


# ------------------------------------------------------------------ the recurrence
def sequence_forward(cell, projected, Whh, bhh, batch):
    """Run a cell over a packed batch.

    Parameters
    ----------
    cell : Cell
    projected : ndarray of shape (P, G H)
        Input projections ``Wxh x_t + bh``; overwritten (it becomes part of the cache).
    Whh : ndarray of shape (G H, H)
    bhh : ndarray of shape (G H,) or None
    batch : PackedBatch

    Returns
    -------
    hs : ndarray of shape (P + 1, H)
        Every step's state, and a zero row last (the state of an empty sequence).
    buf : dict
        The cache for :func:`sequence_backward`.
    """
    n_packed, hidden = projected.shape[0], Whh.shape[1]
    buf = {"x": projected, "h": np.empty((n_packed + 1, hidden), dtype=projected.dtype)}
    for name in cell.buffers:
        buf[name] = np.empty((n_packed, hidden), projected.dtype)
    buf["h"][n_packed] = 0.0
    # a copy in C order: BLAS multiplies a few rows by it about twice as fast as by the
    # transposed view (measured with OpenBLAS, hidden 64, 32 rows)
    WhhT, offsets, sizes = np.ascontiguousarray(Whh.T), batch.offsets, batch.batch_sizes

    def recur(h):
        return np.dot(h, WhhT)

    for t in range(len(sizes)):
        cell.forward_step(buf, offsets[t], offsets[t] + sizes[t],
                          offsets[t - 1] if t else None, recur, bhh)
    return buf["h"], buf


def sequence_backward(cell, dhs, Whh, buf, batch):
    """Backpropagation through time.

    Parameters
    ----------
    dhs : ndarray of shape (P, H)
        Gradient of the loss with respect to every step's state (from the pooling).

    Returns
    -------
    dx : ndarray of shape (P, G H)
        Gradient of the input projections.
    dWhh : ndarray of shape (G H, H)
    dbhh : ndarray of shape (G H,) or None
    """
    n_packed = dhs.shape[0]
    grad = {"dx": np.empty_like(buf["x"]),
            "dh": np.zeros((len(batch.order), Whh.shape[1]), dtype=dhs.dtype)}
    if cell.recurrent_bias:
        grad["dgh"] = np.empty_like(buf["x"])
    if "c" in buf:
        grad["dc"] = np.zeros_like(grad["dh"])
    offsets, sizes = batch.offsets, batch.batch_sizes
    for t in range(len(sizes) - 1, -1, -1):
        a, b = offsets[t], offsets[t] + sizes[t]
        grad["dh"][: b - a] += dhs[a:b]
        cell.backward_step(buf, grad, a, b, offsets[t - 1] if t else None, Whh)
    dgh = grad.get("dgh", grad["dx"])
    n_first = sizes[0] if sizes else 0
    dWhh = np.dot(dgh[n_first:n_packed].T, buf["h"][batch.prev])
    return grad["dx"], dWhh, dgh.sum(axis=0) if cell.recurrent_bias else None


# -------------------------------------------------------------------- pooling
def pool_forward(hs, batch, pooling):
    """Features of each row from its states: one block per entry of ``pooling``.

    ``'last'`` is the state after a row's last step (for a backward direction: after
    the first token, as PyTorch's ``h_n``); ``'mean'`` and ``'max'`` run over the row's
    steps. An empty sequence has zero features under every pooling.

    Parameters
    ----------
    hs : ndarray of shape (P + 1, H)
        States by packed position, and a zero row last.

    Returns
    -------
    features : ndarray of shape (N, H len(pooling))
    cache : tuple
    """
    n_packed, hidden = hs.shape[0] - 1, hs.shape[1]
    n_rows, n_steps = len(batch.order), len(batch.batch_sizes)
    steps, rows = steps_and_rows(batch)
    padded = total = None
    if "max" in pooling or "mean" in pooling:
        # the states as a (T, N, H) array, zero after a row's end: reductions over its
        # first axis are element-wise operations on whole (N, H) blocks
        padded = np.zeros((n_steps, n_rows, hidden), hs.dtype)
        padded.reshape(-1, hidden)[steps * n_rows + rows] = hs[:n_packed]
        if "mean" in pooling:
            total = padded.sum(axis=0)
    empty = batch.lengths == 0
    parts, picks = [], []
    for kind in pooling:
        if kind == "mean":
            scale = (1.0 / np.maximum(batch.lengths, 1)).astype(hs.dtype)
            parts.append(total * scale[:, None])
            picks.append((kind, scale[rows][:, None], rows))
        elif kind == "last":
            where = batch.last[:, None]
            parts.append(hs[where, np.arange(hidden)])
            picks.append((kind, where))
        else:  # max
            peak, where = _first_maximum(padded, batch, n_packed)
            peak[empty] = 0.0
            where[empty] = n_packed  # the zero row
            parts.append(peak)
            picks.append((kind, where))
    return np.concatenate(parts, axis=1), (picks, hs.shape)


def _first_maximum(padded, batch, n_packed):
    """Each row's maximum over its steps, and the packed position of the first step
    holding it, per feature: both of shape (N, H). ``padded`` (T, N, H), zero after a
    row's end, is overwritten.

    The first step is found as the largest of ``T - t`` over the steps ``t`` equal to
    the maximum: element-wise operations on (N, H) blocks, where ``argmax`` over the
    first axis runs a loop per feature, several times slower."""
    n_steps, n_rows, hidden = padded.shape
    if n_steps == 0:
        return np.zeros((n_rows, hidden), padded.dtype), np.zeros((n_rows, hidden), np.intp)
    padded[np.arange(n_steps)[:, None] >= batch.lengths[None, :]] = -np.inf
    peak = padded.max(axis=0)
    hit = np.equal(padded, peak, out=np.empty(padded.shape, bool))
    countdown = np.arange(n_steps, 0, -1, dtype=np.int32)[:, None, None]
    first = n_steps - np.multiply(hit, countdown, dtype=np.int32).max(axis=0)
    # nothing equals a nan maximum: its row's last step then, a position of the row
    np.minimum(first, np.maximum(batch.lengths - 1, 0)[:, None], out=first)
    where = np.asarray(batch.offsets, dtype=np.intp)[first] + np.arange(n_rows)[:, None]
    return peak, where


def pool_backward(dfeatures, cache):
    """Gradient of every step's state, shape (P, H), from that of the features."""
    picks, shape = cache
    hidden = shape[1]
    dhs = np.zeros(shape, dtype=dfeatures.dtype)
    for k, pick in enumerate(picks):
        d = dfeatures[:, k * hidden : (k + 1) * hidden]
        if pick[0] == "mean":  # every step of a row gets its share
            _, scale, rows = pick
            dhs[:-1] += d[rows] * scale
        else:
            # distinct positions, but for empty rows, which all hit the spare zero row
            dhs[pick[1], np.arange(hidden)] += d
    return dhs[:-1]


# ---------------------------------------------------------------------- inputs
def lookup_columns(matrix, ids, table=None, out=None):
    """Column ``ids[p]`` of ``matrix`` for every position ``p``, shape (P, rows)
    (written to ``out`` if given).

    With a subword ``table`` (see :func:`sklearn_rnn._text.subword_table`), id ``i``
    reads the mean of the columns of row ``i`` of the table instead: its own and its
    character n-grams'.
    """
    if table is None:
        return take_rows(matrix.T, ids, out)
    used, inverse = np.unique(ids, return_inverse=True)
    return take_rows(np.asarray(table[used] @ matrix.T), inverse.ravel(), out)


def take_rows(matrix, index, out=None):
    """``matrix[index]``, written to ``out`` (a new array if None). The ids are the
    encoder's own, always in range: ``mode='clip'`` spares the copy of ``out`` that
    ``np.take`` makes in its default mode (three times faster on prediction chunks)."""
    if out is None:
        out = np.empty((len(index),) + matrix.shape[1:], matrix.dtype)
    return np.take(matrix, index, axis=0, out=out, mode="clip")


def lookup_columns_backward(dvalues, ids, table=None):
    """The gradient of :func:`lookup_columns`' matrix, as a :class:`ColumnGrad` over the
    columns that were read."""
    if table is None:
        return ColumnGrad(*scatter_add_rows(ids, dvalues))
    used, inverse = np.unique(ids, return_inverse=True)
    _, dused = scatter_add_rows(inverse.ravel(), dvalues)  # one row per used id, in order
    rows = table[used]
    columns = np.unique(rows.indices)
    local = sp.csr_matrix((rows.data, np.searchsorted(columns, rows.indices), rows.indptr),
                          shape=(len(used), len(columns)))
    return ColumnGrad(columns, np.asarray(local.T @ dused))


def _lookup(params, ids=None, X=None, table=None):
    """What the cells read at every packed position: embedded tokens ``(P, E)``, numeric
    steps ``(P, D)``, or None for the direct look-up of ``Wxh`` columns by token id."""
    if X is not None:
        return X
    if "Wemb" in params:  # see looked_up_names
        return lookup_columns(params["Wemb"], ids, table)
    return None


def _project(cell, params, sfx, ids, inputs, token_mask=None, table=None):
    """Input projections ``Wxh x_t + bh`` of one direction, shape (P, G H)."""
    Wxh = params["Wxh" + sfx]
    if inputs is None:  # x_t one-hot: Wxh x_t is column ids[t] of Wxh
        projected = lookup_columns(Wxh, ids, table)
        if token_mask is not None:
            projected *= token_mask[:, None]
    else:
        projected = np.dot(inputs, Wxh.T)
    projected += cell.input_bias(params["bh" + sfx], params.get("bhh" + sfx))
    return projected


def dropout_masks(rng, batch, params, arch, rate):
    """Inverted-dropout masks for one training batch, drawn from ``rng``.

    ``'inputs'``: for text read directly from ``Wxh``, one value per token (a dropped
    token is a zero input); otherwise one per input feature and step. ``'features'``:
    one per pooled feature. Kept entries are ``1 / (1 - rate)``.
    """
    n_packed = len(batch.ids) if batch.ids is not None else len(batch.X)
    if batch.X is not None:
        shape = (n_packed, batch.X.shape[1])
    elif "Wemb" in params:
        shape = (n_packed, params["Wemb"].shape[0])
    else:
        shape = (n_packed,)
    dtype = params["Why"].dtype
    keep = 1.0 - rate

    def draw(size):
        return (rng.random_sample(size) < keep).astype(dtype) / dtype.type(keep)

    n_features = params["Why"].shape[1]
    return {"inputs": draw(shape), "features": draw((len(batch.order), n_features))}


# ---------------------------------------------------------------------- the model
def features_forward(params, batch, arch=TUTORIAL, masks=None, table=None):
    """The pooled features of every row of a packed batch, shape (N, F), and a cache.

    ``table``: how text ids read the looked-up matrix (:func:`lookup_columns`)."""
    ids, X = batch.ids, batch.X
    inputs = _lookup(params, ids, X, table)
    in_mask = None if masks is None else masks["inputs"]
    token_mask = in_mask if inputs is None else None
    if inputs is not None and in_mask is not None:
        inputs = inputs * in_mask
    cell = CELLS[arch.cell]
    parts, caches = [], []
    rev = reverse_index(batch) if arch.bidirectional else None
    for sfx in arch.directions:
        if sfx:
            d_ids = ids[rev] if ids is not None else None
            d_inputs = inputs[rev] if inputs is not None else None
            d_mask = token_mask[rev] if token_mask is not None else None
        else:
            d_ids, d_inputs, d_mask = ids, inputs, token_mask
        projected = _project(cell, params, sfx, d_ids, d_inputs, d_mask, table)
        hs, buf = sequence_forward(cell, projected, params["Whh" + sfx], params.get("bhh" + sfx),
                                   batch)
        pooled, pool_cache = pool_forward(hs, batch, arch.pooling)
        parts.append(pooled)
        caches.append((sfx, d_ids, d_inputs, d_mask, buf, pool_cache))
    feats = np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]
    if masks is not None:
        feats = feats * masks["features"]
    return feats, (params, batch, arch, masks, inputs, rev, caches, table)


def features_backward(dfeats, cache):
    """Gradients of every encoder parameter (all but ``Why`` and ``by``)."""
    params, batch, arch, masks, inputs, rev, caches, table = cache
    if masks is not None:
        dfeats = dfeats * masks["features"]
    cell = CELLS[arch.cell]
    width = dfeats.shape[1] // len(caches)
    grads = {}
    dinputs = None
    for k, (sfx, d_ids, d_inputs, d_mask, buf, pool_cache) in enumerate(caches):
        dhs = pool_backward(dfeats[:, k * width : (k + 1) * width], pool_cache)
        Whh = params["Whh" + sfx]
        dx, grads["Whh" + sfx], dbhh = sequence_backward(cell, dhs, Whh, buf, batch)
        if dbhh is not None:
            grads["bhh" + sfx] = dbhh
        grads["bh" + sfx] = dx.sum(axis=0)
        if d_inputs is None:  # text looked up directly in Wxh
            if d_mask is not None:
                dx *= d_mask[:, None]
            grads["Wxh" + sfx] = lookup_columns_backward(dx, d_ids, table)
            continue
        grads["Wxh" + sfx] = np.dot(dx.T, d_inputs)
        if "Wemb" in params:
            d_in = np.dot(dx, params["Wxh" + sfx])
            if sfx:
                d_in = d_in[rev]
            dinputs = d_in if dinputs is None else dinputs + d_in
    if dinputs is not None:
        if masks is not None:
            dinputs *= masks["inputs"]
        grads["Wemb"] = lookup_columns_backward(dinputs, batch.ids, table)
    return grads


def output_forward(h, Why, by):
    """Logits ``y = Why h + by`` for a batch of features, shape (N, C)."""
    return np.dot(h, Why.T) + by, (h, Why)


def output_backward(dlogits, cache):
    """Gradients of the output layer and of the features feeding it."""
    h, Why = cache
    return np.dot(dlogits, Why), {"Why": np.dot(dlogits.T, h), "by": dlogits.sum(axis=0)}


def compact_bag(bag):
    """The bag's used columns and the bag over them only: (columns, CSR (N, K))."""
    columns, inverse = np.unique(bag.indices, return_inverse=True)
    compact = sp.csr_matrix((bag.data, inverse.ravel(), bag.indptr),
                            shape=(bag.shape[0], len(columns)))
    return columns, compact


def bag_logits(Wbag, bag, dtype=None):
    """``Wbag b`` of every row of ``bag``, shape (N, C), in ``dtype`` (by default
    ``Wbag``'s). Each row is a sequential sum over its own n-grams in a fixed order (a
    sparse product, no BLAS): it depends on that row alone, on any machine."""
    dtype = Wbag.dtype if dtype is None else np.dtype(dtype)
    columns, compact = compact_bag(bag)
    used = Wbag[:, columns].T.astype(dtype)  # (K, C)
    return np.asarray(compact.astype(dtype) @ used)


def bag_backward(dlogits, bag):
    """Gradient of ``Wbag`` from the logits' gradient ``dlogits`` (N, C), rows parallel to
    ``bag``: a :class:`ColumnGrad` over the batch's n-gram columns."""
    columns, compact = compact_bag(bag)
    values = np.asarray(compact.T.astype(dlogits.dtype) @ dlogits)  # (K, C)
    return ColumnGrad(columns, np.ascontiguousarray(values))


def log_softmax(logits):
    """Row-wise log of the softmax, computed stably."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return shifted


def cross_entropy(log_p, y, sample_weight, label_smoothing=0.0):
    """Sample-weighted mean cross-entropy of log-probabilities ``log_p`` (N, C) and class
    indices ``y``; with ``label_smoothing`` against the smoothed targets of
    :func:`softmax_cross_entropy`."""
    scale = sample_weight / sample_weight.sum()
    if label_smoothing:
        per_sample = (_targets(y, log_p, label_smoothing) * log_p).sum(axis=1)
    else:
        per_sample = log_p[np.arange(len(y)), y]
    return -float(np.dot(scale, per_sample))


def _targets(y, log_p, label_smoothing):
    target = np.zeros_like(log_p)
    target[np.arange(len(y)), y] = 1.0 - label_smoothing
    target += label_smoothing / log_p.shape[1]
    return target


def softmax_cross_entropy(logits, y, sample_weight, label_smoothing=0.0):
    """Sample-weighted mean cross-entropy of softmax(logits) and its gradient.

    With ``label_smoothing`` ``e``, the target of a sample of class ``k`` is
    ``1 - e + e / C`` for ``k`` and ``e / C`` for every other class, as in PyTorch's
    ``cross_entropy``.

    Parameters
    ----------
    logits : ndarray of shape (N, C)
    y : ndarray of shape (N,)
        Class indices.
    sample_weight : ndarray of shape (N,)
        Non-negative, with a positive sum.
    label_smoothing : float in [0, 1)

    Returns
    -------
    loss : float
    dlogits : ndarray of shape (N, C)
    """
    log_p = log_softmax(logits)
    loss = cross_entropy(log_p, y, sample_weight, label_smoothing)
    dlogits = np.exp(log_p)
    dlogits -= _targets(y, log_p, label_smoothing)
    dlogits *= (sample_weight / sample_weight.sum())[:, None]
    return loss, dlogits


def loss_and_grads(params, batch, y, sample_weight, alpha=0.0, *, arch=TUTORIAL,
                   masks=None, label_smoothing=0.0, table=None, bag=None, bag_alpha=0.0,
                   train_bag=True):
    """Loss of one packed batch and its gradient with respect to every parameter.

    The loss is the sample-weighted mean cross-entropy plus ``alpha / 2`` times the
    squared norm of every weight matrix (not the biases), where for a matrix whose
    columns are looked up by token id only the columns that occur in the batch count
    (so that the gradient stays as sparse as the batch).

    Parameters
    ----------
    params : dict
        As :func:`param_names` lists them, in the formula's orientation.
    batch : PackedBatch
    y, sample_weight : ndarray of shape (N,)
        Class indices and weights, in packed order (``batch.order``).
    alpha : float
    arch : Arch
    masks : dict or None
        Dropout masks from :func:`dropout_masks`; None applies none.
    label_smoothing : float
    table : scipy.sparse matrix or None
        Subword table of text ids (:func:`lookup_columns`).
    bag : scipy.sparse CSR matrix or None
        With a linear path (``params["Wbag"]``), the batch's bags of word n-grams, rows
        in packed order: ``Wbag b`` is added to the logits.
    bag_alpha : float
        The linear path's own L2 penalty, ``bag_alpha / 2`` times the squared norm of the
        columns of ``Wbag`` the batch uses (``alpha`` does not apply to it).
    train_bag : bool
        Whether to return the gradient of ``Wbag`` (else it is a constant of the batch).

    Returns
    -------
    loss : float
    grads : dict
        Parallel to ``params`` (without ``Wbag`` unless ``train_bag``); a
        :class:`ColumnGrad` for a looked-up matrix and for ``Wbag``.
    """
    feats, enc_cache = features_forward(params, batch, arch, masks, table)
    logits, out_cache = output_forward(feats, params["Why"], params["by"])
    linear = bag is not None and "Wbag" in params
    if linear:
        logits += bag_logits(params["Wbag"], bag)
    loss, dlogits = softmax_cross_entropy(logits, y, sample_weight, label_smoothing)
    dfeats, grads = output_backward(dlogits, out_cache)
    grads.update(features_backward(dfeats, enc_cache))
    if linear and train_bag:
        grad = grads["Wbag"] = bag_backward(dlogits, bag)
        if bag_alpha:
            used = params["Wbag"].T[grad.columns]
            loss += 0.5 * bag_alpha * float(np.vdot(used, used))
            grad.values[...] += bag_alpha * used
    if alpha:
        for name, grad in grads.items():
            if not name.startswith("W") or name == "Wbag":
                continue
            if isinstance(grad, ColumnGrad):
                used = params[name].T[grad.columns]
                loss += 0.5 * alpha * float(np.vdot(used, used))
                grad.values[...] += alpha * used
            else:
                loss += 0.5 * alpha * float(np.vdot(params[name], params[name]))
                grad += alpha * params[name]
    return loss, grads


# ----------------------------------------------------------------- prediction
# the input projections of the distinct tokens predicted are computed once, unless they
# would hold more than this many numbers (then once per window of steps)
_PROJECTION_BUDGET = 1 << 23


class Projections(NamedTuple):
    """The input projections ``Wxh Wemb[:, i] + bh`` of distinct token ids.

    position : ndarray of shape (largest id + 1,)
        Token id ``i``'s row (-1 for the ids not projected).
    rows : dict
        For each direction's suffix, an array of shape (K, G H): one row per distinct
        id, in increasing order of ids.
    """

    position: np.ndarray
    rows: dict


def project_tokens(params, arch, ids, table=None):
    """The :class:`Projections` of the distinct ``ids`` (in any order, repeated), so
    that each is computed once for all the documents predicted; None where the model
    looks ``Wxh`` up directly, or where they would hold more than
    ``_PROJECTION_BUDGET`` numbers. A row depends on its token alone (an exact product
    for a float32 model): the same whatever the other tokens."""
    if "Wemb" not in params:
        return None
    used = np.unique(ids)
    directions = arch.directions
    if len(used) * params["Whh"].shape[0] * len(directions) > _PROJECTION_BUDGET:
        return None
    embedded = lookup_columns(params["Wemb"], used, table)
    cell = CELLS[arch.cell]
    rows = {}
    for sfx in directions:
        rows[sfx] = ExactProduct(params["Wxh" + sfx])(embedded)
        rows[sfx] += cell.input_bias(params["bh" + sfx], params.get("bhh" + sfx))
    position = np.full(int(used[-1]) + 1 if len(used) else 0, -1, dtype=np.intp)
    position[used] = np.arange(len(used))
    return Projections(position, rows)


def features_streaming(params, batch, arch=TUTORIAL, max_tokens=1 << 13, table=None,
                       projections=None):
    """The features of :func:`features_forward` without dropout, for prediction, in
    memory bounded whatever the lengths: one state per row is kept (and running
    pooling sums and maxima), and inputs are projected ``max_tokens / G`` packed steps
    at a time (G gates), so a document of a million tokens costs no more than a short
    one.

    Every number of a row depends on that row alone, bit for bit, whatever the other
    rows of the batch, the threads or the CPU's BLAS kernel: every product of a float32
    model is an :class:`~sklearn_rnn._exact.ExactProduct` (float64 models use BLAS, whose
    differences are about 1e-16). The input projection of each distinct token is
    computed once and shared by its occurrences: ``projections``
    (:func:`project_tokens`) of every token of the batch, or those of the batch's
    distinct tokens are computed here.

    Returns
    -------
    features : ndarray of shape (N, F)
        In packed order; zeros for an empty sequence.
    """
    cell = CELLS[arch.cell]
    rev = reverse_index(batch) if arch.bidirectional else None
    if projections is None and batch.ids is not None:
        projections = project_tokens(params, arch, batch.ids, table)
    parts = []
    for sfx in arch.directions:
        project = _projector(cell, params, sfx, batch, rev if sfx else None, projections,
                             table)
        parts.append(_stream_direction(cell, params, sfx, batch, project, arch.pooling,
                                       max_tokens))
    return np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]


def _projector(cell, params, sfx, batch, rev, projections, table):
    """``project(lo, hi, out)``: writes to ``out`` the input projections ``Wxh x_t + bh``
    of packed positions ``lo:hi`` of one direction (read through ``rev`` for the
    backward one)."""
    bias = cell.input_bias(params["bh" + sfx], params.get("bhh" + sfx))
    Wxh = params["Wxh" + sfx]
    if batch.X is None and "Wemb" not in params:  # x_t one-hot: a column of Wxh, looked up
        ids = batch.ids if rev is None else batch.ids[rev]

        def project(lo, hi, out):
            lookup_columns(Wxh, ids[lo:hi], table, out=out)
            out += bias

        return project
    if batch.X is None and projections is not None:
        ids = batch.ids if rev is None else batch.ids[rev]
        index, projected = projections.position[ids], projections.rows[sfx]
        return lambda lo, hi, out: take_rows(projected, index[lo:hi], out)
    # a product only where there is one to compute (its fixed-point form of a looked-up
    # Wxh, one column per word, would cost more than the whole prediction)
    product = ExactProduct(Wxh)
    if batch.X is not None:
        X = batch.X if rev is None else batch.X[rev]

        def project(lo, hi, out):
            out[...] = product(X[lo:hi])
            out += bias

        return project
    ids = batch.ids if rev is None else batch.ids[rev]

    def project(lo, hi, out):  # too many distinct tokens: those of a window at a time
        used, inverse = np.unique(ids[lo:hi], return_inverse=True)
        projected = product(lookup_columns(params["Wemb"], used, table))
        projected += bias
        take_rows(projected, inverse.ravel(), out)

    return project


def _stream_direction(cell, params, sfx, batch, project, pooling, max_tokens):
    Whh, bhh = params["Whh" + sfx], params.get("bhh" + sfx)
    recur = ExactProduct(Whh, bounded=True)  # states never leave [-1, 1]
    hidden, dtype = Whh.shape[1], Whh.dtype
    n_rows = len(batch.order)
    offsets, sizes = batch.offsets, batch.batch_sizes
    last = np.zeros((n_rows, hidden), dtype) if "last" in pooling else None
    total = np.zeros((n_rows, hidden), dtype) if "mean" in pooling else None
    peak = np.full((n_rows, hidden), -np.inf, dtype) if "max" in pooling else None
    carried = {}  # the previous step's block of every per-position buffer cells read
    t, n_steps = 0, len(sizes)
    window_tokens = max(1, max_tokens // cell.gates)  # a window's buffers: G + 3 states
    while t < n_steps:
        # steps t..stop-1 hold at most max_tokens packed inputs (at least one step)
        stop = max(t + 1, bisect.bisect_right(offsets, offsets[t] + window_tokens) - 1)
        lo, hi = offsets[t], offsets[stop]
        n0 = sizes[t] if t else 0  # rows of the previous step carried in front
        projected = np.empty((n0 + hi - lo, Whh.shape[0]), dtype)
        project(lo, hi, projected[n0:])
        buf = {"x": projected, "h": np.empty((n0 + hi - lo, hidden), dtype)}
        for name in cell.buffers:
            buf[name] = np.empty((len(projected), hidden), dtype)
        for name, block in carried.items():
            buf[name][:n0] = block[:n0]
        for step in range(t, stop):
            a = n0 + offsets[step] - lo
            b = a + sizes[step]
            p = None if step == 0 else (0 if step == t else n0 + offsets[step - 1] - lo)
            cell.forward_step(buf, a, b, p, recur, bhh)
            h = buf["h"][a:b]
            if last is not None:  # rows whose last step this is
                ending = sizes[step + 1] if step + 1 < n_steps else 0
                last[ending : b - a] = h[ending:]
            if total is not None:
                total[: b - a] += h
            if peak is not None:
                np.maximum(peak[: b - a], h, out=peak[: b - a])
        carried = {name: buf[name][a:b].copy() for name in ("h", "c") if name in buf}
        t = stop
    parts = {"last": last, "max": peak}
    if peak is not None:
        peak[batch.lengths == 0] = 0.0
    if total is not None:
        parts["mean"] = total / np.maximum(batch.lengths, 1)[:, None].astype(dtype)
    return np.concatenate([parts[kind] for kind in pooling], axis=1)


def predict_proba(params, batch, arch=TUTORIAL, table=None, bag=None, projections=None):
    """Class probabilities, shape (N, C), for a packed batch, in packed order.

    A row's probabilities depend on that row alone (see :func:`features_streaming`);
    for a float32 model the logits are the exact float64 sums of the fixed-point
    products. Finite weights give finite probabilities, however large: logits that
    overflow are recomputed scaled. Raises ValueError if the features themselves
    overflowed. ``bag`` (rows in packed order) feeds the linear path ``params["Wbag"]``;
    ``projections`` as :func:`features_streaming`'s.
    """
    features = features_streaming(params, batch, arch, table=table, projections=projections)
    if not np.isfinite(features).all():
        raise ValueError(
            "The network's states are not finite: its weights or its input are too "
            "large for their dtype (a diverged fit, or numeric input near the dtype's "
            "limit). Fit again with a lower learning_rate_init, or with clip_value set; "
            "scale numeric input."
        )
    # in float64 whatever the weights' type, so that every row sums to 1 to 1e-15
    logits = ExactProduct(params["Why"], bounded=True)(features, np.float64)
    linear = None
    if bag is not None and "Wbag" in params:
        linear = bag_logits(params["Wbag"], bag, np.float64)
    with np.errstate(over="ignore"):  # an overflow is handled below, not warned of
        logits += params["by"]
        if linear is not None:
            logits += linear
    if not np.isfinite(logits).all():
        # the states are bounded, the output weights are not: divided by a power of two
        # (exactly) the logits are finite, and their differences from each row's
        # largest, scaled back, are finite or -inf (a probability of 0). Only float64
        # weights get here: float32 ones give float64 logits far from overflowing
        Why, by = params["Why"].astype(np.float64), params["by"].astype(np.float64)
        Wbag = params["Wbag"].astype(np.float64) if linear is not None else np.zeros(1)
        exponent = np.frexp(max(np.abs(Why).max(), np.abs(by).max(), np.abs(Wbag).max()))[1]
        small = (np.dot(features.astype(np.float64), np.ldexp(Why, -exponent).T)
                 + np.ldexp(by, -exponent))
        if linear is not None:  # the bag's values are at most 1: its sums are finite
            small += bag_logits(np.ldexp(Wbag, -exponent), bag)
        with np.errstate(over="ignore"):  # -inf: a probability of 0
            logits = np.ldexp(small - small.max(axis=1, keepdims=True), exponent)
    return np.exp(log_softmax(logits))
