"""Explaining a prediction: how much each token pushed the log-probability of a class.

Two methods, both computed on the network itself (no sampling, no surrogate model):

integrated gradients
    The inputs of a document are scaled together from zero (the baseline) to their
    values, ``x(a) = a x`` for ``a`` in [0, 1], and each token's score is its input
    times the mean gradient of ``log p_target`` along that path,
    ``score_t = x_t . mean_a d log p_target(a x) / d x_t`` (Sundararajan et al., 2017).
    The scores add up to ``log p_target(x) - log p_target(0)`` (completeness), up to the
    error of the quadrature: the trapezoid rule on ``n_steps`` intervals, whose error
    falls as ``1 / n_steps**2`` where the path is smooth, then halved intervals where
    a document's scores still miss completeness (see :func:`_integrated_gradients`).
    Every point of every document of a group is one row of one packed batch: one
    forward and one backward pass per group, in the estimator's floating-point type.

occlusion
    Token ``i`` scores ``log p_target(tokens) - log p_target(tokens without token i)``,
    the ``n`` shorter token lists predicted in one batch by the estimator's own
    ``predict_proba``.

The path works in the space of the input projections: with ``c_t = Wxh x_t`` (per
direction; ``Wxh``'s column of the token without an embedding, ``Wxh`` times the
looked-up embedding vector with one, ``Wxh`` times the step for numeric input), the
cell reads ``a c_t + bh``, and ``x_t . dF/dx_t = c_t . dF/d(a c_t)`` summed over the
directions. Shape letters are those of :mod:`sklearn_rnn._rnn`.
"""

import functools
import html
import math
import warnings
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

# the engine's names, in one place: the packing helpers may move to a module of their own
from ._cells import CELLS
from ._classifier import RNNSentimentClassifier
from ._packing import pack_ragged, reverse_index, steps_and_rows
from ._rnn import (
    log_softmax,
    lookup_columns,
    output_backward,
    output_forward,
    pool_backward,
    pool_forward,
    sequence_backward,
    sequence_forward,
)
from ._linear import ngram_bag
from ._text import _truncate
from ._text import offsets as _offsets
from ._threads import blas_limits

METHODS = ("integrated_gradients", "occlusion")
# the floating-point type of the path's forward and backward passes: None for the
# estimator's own (float32 by default: its rounding, about 1e-6 of a log-probability,
# is far below the quadrature's error, and NumPy's float32 tanh is several times faster)
_PATH_DTYPE = None
_METHOD_NAMES = {"integrated_gradients": "integrated gradients", "occlusion": "occlusion"}
# integrated gradients: intervals of the path are halved where a document's scores
# miss completeness by more than this share of the change of log-probability, or of
# the scores' absolute sum where they cancel out to a much smaller change (plus an
# absolute tolerance)...
_COMPLETENESS_RTOL = 0.005
_SCALE_RTOL = 0.001
_COMPLETENESS_ATOL = 1e-7
# ...which, for a path in float32, is this instead (above float32's rounding)
_COMPLETENESS_ATOL_FLOAT32 = 1e-5
# ...for at most this many rounds, and up to this many times n_steps intervals
_REFINEMENTS = 10
_MAX_INTERVALS = 16
# a group of path rows keeps about this many floats of activations (forward and backward)
_PATH_FLOATS = 1 << 23
# ...at about this many floats per packed step, in units of hidden_size per direction
_PATH_FLOATS_PER_STEP = 32
# colours of positive and negative scores (ColorBrewer's RdBu ends), as RGB
_POSITIVE_RGB = (33, 102, 172)
_NEGATIVE_RGB = (178, 24, 43)


class Explanation:
    """How much each token of one document pushed the log-probability of one class.

    Returned by :func:`explain_prediction`, one per document.

    Attributes
    ----------
    tokens : list of str
        The tokens as the model read them: after the analyzer, ``max_len`` and
        everything else. For numeric input, one per time step (``'t3=0.25'``).
    scores : ndarray of shape (len(tokens),)
        Each token's score, in units of the log-probability of ``target`` (float64).
        Positive: the token raised the probability of ``target``.
    target : object
        The class label explained, an element of the estimator's ``classes_``.
    log_proba : float
        Log of the probability of ``target`` that ``predict_proba`` gives the document.
    baseline_log_proba : float
        Integrated gradients: log-probability of ``target`` for the baseline, the same
        document with every input vector zero; the scores add up to
        ``log_proba - baseline_log_proba``. Occlusion: that of the empty document.
    method : {'integrated_gradients', 'occlusion'}
        How the scores were computed.
    n_steps : int or None
        Integrated gradients: the number of points the path was integrated on
        (``n_steps``, or 3, 9 or 27 times as many where completeness asked for it; 0
        for a document without tokens). None for occlusion.
    """

    def __init__(self, tokens, scores, target, log_proba, baseline_log_proba, method,
                 n_steps=None):
        self.tokens = list(tokens)
        self.scores = np.asarray(scores, dtype=np.float64)
        self.target = target
        self.log_proba = float(log_proba)
        self.baseline_log_proba = float(baseline_log_proba)
        self.method = method
        self.n_steps = n_steps

    def __repr__(self):
        shown = ", ".join(f"{tok!r}: {s:+.3g}" for tok, s in zip(self.tokens[:6], self.scores))
        more = ", ..." if len(self.tokens) > 6 else ""
        return (f"Explanation(method={self.method!r}, target={self.target!r}, "
                f"log_proba={self.log_proba:.4g}, scores={{{shown}{more}}})")

    def to_html(self):
        """The document as an HTML fragment, each token shaded by its score.

        Blue tokens raised the probability of ``target``, red ones lowered it, the
        stronger the colour the larger the score (relative to the document's largest);
        hovering over a token shows its score. The fragment holds its styles inline
        and every token and label is HTML-escaped.

        Returns
        -------
        fragment : str
        """
        largest = float(np.max(np.abs(self.scores))) if len(self.scores) else 0.0
        spans = []
        for tok, score in zip(self.tokens, self.scores):
            alpha = 0.75 * abs(score) / largest if largest > 0 else 0.0
            rgb = _POSITIVE_RGB if score >= 0 else _NEGATIVE_RGB
            spans.append(
                f'<span style="background-color:rgba({rgb[0]},{rgb[1]},{rgb[2]},'
                f'{alpha:.3f});padding:1px 3px;border-radius:3px" '
                f'title="{score:+.4f}">{html.escape(tok, quote=True)}</span>')
        body = " ".join(spans) if spans else "<i>(no tokens)</i>"
        label = html.escape(str(self.target), quote=True)
        caption = (f"{_METHOD_NAMES[self.method]}, class <b>{label}</b>: "
                   f"P = {math.exp(self.log_proba):.3f}, log P = {self.log_proba:+.3f}; "
                   f"baseline log P = {self.baseline_log_proba:+.3f}; "
                   f"scores sum to {self.scores.sum():+.3f}")
        return ('<div class="sklearn-rnn-explanation" style="font-family:sans-serif;'
                'line-height:2;margin:0.5em 0">'
                f'<div style="font-size:smaller;color:#555">{caption}</div>'
                f"<div>{body}</div></div>")

    def _repr_html_(self):
        return self.to_html()

    def plot(self, ax=None):
        """Draw the scores as horizontal bars, the first token at the top.

        Needs matplotlib, imported only here.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a new figure sized to the number of tokens.

        Returns
        -------
        ax : matplotlib Axes
        """
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(6, 0.9 + 0.3 * max(len(self.tokens), 1)))
        rows = np.arange(len(self.tokens))
        colours = ["#%02x%02x%02x" % (_POSITIVE_RGB if s >= 0 else _NEGATIVE_RGB)
                   for s in self.scores]
        ax.barh(rows, self.scores, color=colours)
        ax.set_yticks(rows)
        ax.set_yticklabels(self.tokens)
        ax.set_ylim(len(self.tokens) - 0.5, -0.5)  # reading order, top to bottom
        ax.axvline(0.0, color="grey", linewidth=0.8)
        ax.set_xlabel(f"contribution to log P({self.target})")
        ax.set_title(f"{_METHOD_NAMES[self.method]}: P({self.target}) = "
                     f"{math.exp(self.log_proba):.3f}")
        return ax


def explain_prediction(estimator, X, *, target="predicted", method="integrated_gradients",
                       n_steps=64):
    """Explain the predictions of a fitted classifier, token by token.

    Each token gets a score in units of the log-probability of the explained class:
    how much it pushed that probability up (positive) or down (negative).

    Parameters
    ----------
    estimator : RNNSentimentClassifier
        A fitted estimator.
    X : list of str, list of token lists, or array-like of shape (n_samples, \
            n_timesteps) or (n_samples, n_timesteps, n_features)
        Input of the same kind as in ``fit``: raw documents, pre-tokenised documents,
        or numeric sequences (then each time step is a token).
    target : 'predicted' or class label, default='predicted'
        The class whose log-probability is explained: each document's predicted class,
        or one of ``classes_`` for every document.
    method : {'integrated_gradients', 'occlusion'}, default='integrated_gradients'
        ``'integrated_gradients'``: each token's input times the mean gradient of the
        log-probability along the straight path from the baseline (every input vector
        of the document zero: the looked-up embedding vector with an embedding, the
        token's one-hot input, that is its ``Wxh`` column in each direction, without
        one, the step for numeric input; the biases stay) to the document. The scores
        add up to ``log_proba - baseline_log_proba`` up to the error of the
        quadrature (see Notes). ``'occlusion'``: each token's score is ``log_proba``
        minus the log-probability of the same token list without that token (for
        numeric input, whose length is fixed, with that step set to zero).
    n_steps : int, default=64
        Integrated gradients: intervals of the trapezoid rule along the path, before
        the intervals that need it are halved.

    Returns
    -------
    explanations : list of Explanation
        One per document, in order. An empty document has no tokens and no scores.

    Raises
    ------
    TypeError
        If ``estimator`` is not an :class:`RNNSentimentClassifier`.
    sklearn.exceptions.NotFittedError
        If it is not fitted.
    ValueError
        If ``target`` is not one of ``classes_``, ``method`` is unknown, or ``X`` is not
        of the kind the estimator was fitted on.

    Notes
    -----
    Integrated gradients runs, for a group of documents, one forward and one backward
    pass over a packed batch holding every document once per point of the path, in
    the estimator's dtype: float32 rounding (about 1e-6 of a log-probability) is far
    below the quadrature's error. Groups hold about ``2**23`` floats of activations; a
    document too long for one group is split over several by path points.

    The trapezoid rule's error falls as ``1 / n_steps**2`` where the path is smooth
    (pooling ``'last'`` or ``'mean'``). Max pooling puts kinks in it, where a unit's
    maximum moves from one time step to another, and across a kink the error falls only
    as ``1 / n_steps``. As every point gives the log-probability along with its
    gradient, each interval's share of the error in the scores' sum is known exactly:
    while a document's scores miss ``log_proba - baseline_log_proba`` by more than 0.5%
    of it (or 0.1% of the sum of their absolute values, where they cancel out to a
    much smaller change), the intervals holding more than their share of that are
    halved (at most 10 rounds, and 16 times ``n_steps`` intervals;
    ``Explanation.n_steps`` tells how many were used). On 60 tweets and the default
    model, the trapezoid rule alone misses completeness by a median of 0.59% with 64
    steps (3.0% with 16, 0.13% with 256; 4.8% at most with 64); with the halving, by a
    median of 0.22% and 1.1% at most, on 79 intervals on average (see the README).

    Examples
    --------
    >>> from sklearn_rnn import RNNSentimentClassifier, explain_prediction
    >>> from sklearn_rnn.datasets import load_seed_sentiment
    >>> X_train, X_test, y_train, y_test = load_seed_sentiment()
    >>> clf = RNNSentimentClassifier(random_state=1).fit(X_train, y_train)
    >>> [explanation] = explain_prediction(clf, ["this is not good"])
    >>> explanation.tokens, bool(explanation.target)
    (['this', 'is', 'not', 'good'], False)
    >>> total = explanation.log_proba - explanation.baseline_log_proba
    >>> bool(abs(explanation.scores.sum() - total) <= 0.02 * abs(total))
    True
    """
    if not isinstance(estimator, RNNSentimentClassifier):
        hint = (" (for a Pipeline, explain its last step on the transformed X)"
                if hasattr(estimator, "steps") else "")
        raise TypeError(
            f"explain_prediction explains an RNNSentimentClassifier; got "
            f"{type(estimator).__name__}{hint}."
        )
    check_is_fitted(estimator)
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}; "
                         f"got {method!r}.")
    if not isinstance(n_steps, Integral) or isinstance(n_steps, bool) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive int; got {n_steps!r}.")
    fixed_target = _target_index(estimator.classes_, target)

    docs = _read(estimator, X)
    log_proba = np.array([np.log(_predict_one(estimator, docs, i))
                          for i in range(len(docs.lengths))])
    targets = (np.argmax(log_proba, axis=1) if fixed_target is None
               else np.full(len(log_proba), fixed_target))
    rows = np.arange(len(targets))
    if method == "integrated_gradients":
        with blas_limits(estimator.weights_["Whh"].shape[1]):
            scores, baseline, points = _integrated_gradients(estimator, docs, targets,
                                                             int(n_steps))
        empty = docs.lengths == 0  # a document without tokens is its own baseline
        baseline[empty] = log_proba[rows, targets][empty]
        points = points.tolist()
    else:
        scores, baseline = _occlusion(estimator, docs, targets, log_proba[rows, targets])
        points = [None] * len(targets)
    return [
        Explanation(docs.tokens[i], scores[i], estimator.classes_[targets[i]],
                    log_proba[i, targets[i]], baseline[i], method, points[i])
        for i in range(len(targets))
    ]


def _target_index(classes, target):
    """Index of ``target`` in ``classes``, or None for 'predicted'."""
    if isinstance(target, str) and target == "predicted":
        return None
    for k, label in enumerate(classes):
        try:
            if bool(label == target):
                return k
        except (TypeError, ValueError):
            continue
    raise ValueError(
        f"target={target!r} is not a class of this estimator: use 'predicted' or one of "
        f"classes_ = {list(classes)!r}."
    )


# ------------------------------------------------------------------ reading the input
class _Documents:
    """The documents of ``X`` as the estimator reads them.

    kind : {'documents', 'token_lists', 'numeric'}
    items : list of str, list of list of str, or ndarray of shape (N, T, D)
        What ``predict_proba`` is given for each document.
    tokens : list of list of str
        The tokens as read (numeric: a label per step).
    lengths : ndarray of shape (N,)
    original : object
        ``X`` as given (numeric: to predict a DataFrame's rows as a DataFrame).
    """

    def __init__(self, kind, items, tokens, lengths, original):
        self.kind, self.items, self.tokens = kind, items, tokens
        self.lengths, self.original = lengths, original


def _read(estimator, X):
    """``X`` through the estimator's own input dispatch and tokenization."""
    kind, data = estimator._validate_input(X, reset=False)
    if kind == "numeric":
        tokens = [[_step_label(t, step) for t, step in enumerate(row)] for row in data]
        lengths = np.full(len(data), data.shape[1], dtype=np.intp)
        return _Documents("numeric", data, tokens, lengths, X)
    tokens = _truncate(data.tokens(), estimator.max_len)
    lengths = np.fromiter(map(len, tokens), dtype=np.intp, count=len(tokens))
    if data.token_lists is None:
        return _Documents("documents", list(data.documents), tokens, lengths, X)
    return _Documents("token_lists", tokens, tokens, lengths, X)


def _step_label(t, step):
    values = ", ".join(f"{v:.3g}" for v in step)
    return f"t{t}={values}" if len(step) == 1 else f"t{t}=({values})"


def _predict_one(estimator, docs, i):
    """``predict_proba`` of document ``i`` alone, shape (C,)."""
    if docs.kind == "numeric":
        if hasattr(docs.original, "iloc"):  # a DataFrame: its own row keeps the names
            return estimator.predict_proba(docs.original.iloc[i : i + 1])[0]
        return estimator.predict_proba(docs.items[i : i + 1])[0]
    item = docs.items[i]
    if docs.kind == "token_lists" and not item:
        # a lone empty token list does not read as text; an empty row's probabilities
        # are the output bias's softmax whatever shares its batch
        return estimator.predict_proba([item, [""]])[0]
    return estimator.predict_proba([item])[0]


# -------------------------------------------------------------------------- occlusion
def _occlusion(estimator, docs, targets, log_proba):
    scores, baseline = [], np.empty(len(targets))
    for i, (tokens, k) in enumerate(zip(docs.tokens, targets.tolist())):
        n = len(tokens)
        if n == 0:  # nothing to take away: the document is its own baseline
            scores.append(np.zeros(0))
            baseline[i] = log_proba[i]
            continue
        if docs.kind == "numeric":
            # first every step zero, then variant j + 1 with step j zero
            X = np.repeat(docs.items[i : i + 1], n + 1, axis=0)
            X[0] = 0.0
            X[np.arange(1, n + 1), np.arange(n)] = 0.0
            with warnings.catch_warnings():  # a DataFrame's rows, passed as an array
                warnings.filterwarnings("ignore", "X does not have valid feature names")
                proba = estimator.predict_proba(X)
            empty, variants = proba[0], proba[1:]
        else:
            # the whole list first, so that the batch reads as text even when every
            # variant is empty, then the empty document, then the variants
            batch = [tokens, []] + [tokens[:j] + tokens[j + 1 :] for j in range(n)]
            proba = estimator.predict_proba(batch)
            empty, variants = proba[1], proba[2:]
        with np.errstate(divide="ignore"):
            baseline[i] = np.log(empty[k])
            scores.append(log_proba[i] - np.log(variants[:, k]))
    return scores, baseline


# ------------------------------------------------------------------ integrated gradients
def path_forward(params, arch, batch, projections, target, offset=None):
    """Log-probability of each row's target class, from given input projections.

    The cells read ``projections + bh`` (and a GRU's ``bhh``), then the model goes on
    as :func:`sklearn_rnn._rnn.features_forward` and the output layer do.

    Parameters
    ----------
    params : dict
        The model's weights (``Wxh`` and ``Wemb`` are not read).
    arch : Arch
    batch : PackedBatch
    projections : list of ndarray of shape (P, G H)
        ``Wxh x_t`` of every packed position, one array per direction, each in the
        forward layout (the backward direction reads its array reversed).
    target : ndarray of shape (N,)
        Class index of each packed row.
    offset : ndarray of shape (N, C) or None
        Added to each packed row's logits (the linear path's, scaled along the path).

    Returns
    -------
    log_p : ndarray of shape (N,)
        ``log softmax(y)[target]`` of each packed row.
    cache : tuple
    """
    cell = CELLS[arch.cell]
    rev = reverse_index(batch) if arch.bidirectional else None
    parts, caches = [], []
    for sfx, proj in zip(arch.directions, projections):
        projected = proj[rev] if sfx else proj.copy()
        projected += cell.input_bias(params["bh" + sfx], params.get("bhh" + sfx))
        hs, buf = sequence_forward(cell, projected, params["Whh" + sfx], params.get("bhh" + sfx),
                                   batch)
        pooled, pool_cache = pool_forward(hs, batch, arch.pooling)
        parts.append(pooled)
        caches.append((sfx, buf, pool_cache))
    feats = np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]
    logits, out_cache = output_forward(feats, params["Why"], params["by"])
    if offset is not None:
        logits += offset
    log_p = log_softmax(logits)
    rows = np.arange(len(target))
    return log_p[rows, target], (params, arch, batch, rev, caches, out_cache, log_p, target)


def path_backward(dlog_p, cache):
    """Gradient of ``sum(dlog_p * log_p)`` with respect to the projections.

    Parameters
    ----------
    dlog_p : ndarray of shape (N,)
        Weight of each packed row's log-probability.
    cache : tuple
        From :func:`path_forward`.

    Returns
    -------
    dprojections : list of ndarray of shape (P, G H)
        One per direction, in the forward layout, as the projections were given.
    """
    params, arch, batch, rev, caches, out_cache, log_p, target = cache
    dfeats, _ = output_backward(path_dlogits(dlog_p, cache), out_cache)
    cell = CELLS[arch.cell]
    width = dfeats.shape[1] // len(caches)
    grads = []
    for k, (sfx, buf, pool_cache) in enumerate(caches):
        dhs = pool_backward(dfeats[:, k * width : (k + 1) * width], pool_cache)
        dx, _, _ = sequence_backward(cell, dhs, params["Whh" + sfx], buf, batch)
        grads.append(dx[rev] if sfx else dx)
    return grads


def path_dlogits(dlog_p, cache):
    """Gradient of ``sum(dlog_p * log_p)`` with respect to the logits, shape (N, C)."""
    log_p, target = cache[6], cache[7]
    dlogits = -np.exp(log_p) * dlog_p[:, None]
    dlogits[np.arange(len(target)), target] += dlog_p
    return dlogits


def token_linear(tokens, n, Wbag, idf, dtype):
    """Each token's share of the linear path's logits ``Wbag b``, shape (T, C): every
    word n-gram's column of ``Wbag`` times its bag value (of weights ``idf``, see
    :func:`~sklearn_rnn._linear.ngram_bag`) is split equally among the occurrences of
    the n-grams hashed to that column and, within one, among its words. The rows add up
    to ``Wbag b``."""
    feats, starts, sizes = [], [], []
    for k in range(1, n + 1):
        for i in range(len(tokens) - k + 1):
            feats.append(" ".join(tokens[i : i + k]))
            starts.append(i)
            sizes.append(k)
    out = np.zeros((len(tokens), Wbag.shape[0]), dtype=dtype)
    if not feats:
        return out
    buckets = ngram_bag([[f] for f in feats], 1).indices
    distinct, inverse, counts = np.unique(buckets, return_inverse=True, return_counts=True)
    weight = np.ones(len(distinct)) if idf is None else idf[distinct].astype(np.float64)
    norm = np.sqrt(np.sum(weight**2))
    value = weight / (norm if norm else 1.0)  # each column's value in the bag
    sizes, starts = np.array(sizes), np.array(starts)
    share = (value / counts)[inverse] / sizes  # per occurrence, per word of it
    occurrence = np.repeat(np.arange(len(feats)), sizes)
    word = starts[occurrence] + (np.arange(len(occurrence))
                                 - np.repeat(_offsets(sizes)[:-1], sizes))
    np.add.at(out, word, (np.asarray(Wbag[:, buckets[occurrence]], dtype=np.float64)
                          * share[occurrence]).T.astype(dtype))
    return out


def _integrated_gradients(estimator, docs, targets, n_steps):
    """Scores (a list of arrays), baseline log-probabilities and the number of path
    intervals of every document.

    The trapezoid rule on ``n_steps`` intervals of the path, then adaptive: every
    point gives ``log p`` as well as its gradient, so each interval's error in the sum
    of the scores is known exactly (the rule's estimate of the interval less the change
    of ``log p`` across it). While a document's scores miss the whole change by more
    than ``_COMPLETENESS_RTOL`` of it (or ``_SCALE_RTOL`` of the sum of the scores'
    absolute values, when they cancel out to a much smaller change), the intervals that
    hold more than their share of that error are halved, for at most ``_REFINEMENTS``
    rounds and
    ``_MAX_INTERVALS * n_steps`` intervals. Such error gathers where the path has a kink
    (with max pooling, where a unit's maximum moves to another time step), which the
    rule crosses at an error that falls only as ``1 / n_steps``.
    """
    weights = estimator.weights_
    arch = estimator._arch
    dtype = _path_dtype(weights)
    atol = _COMPLETENESS_ATOL if dtype == np.float64 else _COMPLETENESS_ATOL_FLOAT32
    params = {name: np.asarray(value, dtype=dtype) for name, value in weights.items()
              if not name.startswith(("Wxh", "Wemb"))}
    run = functools.partial(_path_points, params, arch, _contribution_reader(estimator, docs),
                            docs.lengths, targets, linear=_linear_reader(estimator, docs))
    todo = np.flatnonzero(docs.lengths > 0).tolist()
    alphas = {doc: np.linspace(0.0, 1.0, n_steps + 1) for doc in todo}
    log_p, grads = {}, {}
    for doc, g, f in run(alphas):
        grads[doc], log_p[doc] = g, f
    for _ in range(_REFINEMENTS):
        new = {}
        for doc in todo:
            a, f, g = alphas[doc], log_p[doc], grads[doc].sum(axis=1)
            errors = (g[:-1] + g[1:]) / 2 * np.diff(a) - np.diff(f)
            scale = np.abs(((grads[doc][:-1] + grads[doc][1:]) / 2 * np.diff(a)[:, None]
                            ).sum(axis=0)).sum()
            allowed = max(_COMPLETENESS_RTOL * abs(f[-1] - f[0]),
                          _SCALE_RTOL * scale) + atol
            if abs(errors.sum()) <= allowed or len(a) > _MAX_INTERVALS * n_steps:
                continue
            halve = np.flatnonzero(np.abs(errors) > allowed / len(errors))
            new[doc] = (a[halve] + a[halve + 1]) / 2
        if not new:
            break
        for doc, g, f in run(new):
            order = np.argsort(np.concatenate([alphas[doc], new[doc]]), kind="stable")
            alphas[doc] = np.concatenate([alphas[doc], new[doc]])[order]
            log_p[doc] = np.concatenate([log_p[doc], f])[order]
            grads[doc] = np.concatenate([grads[doc], g])[order]
    scores = [np.zeros(n) for n in docs.lengths.tolist()]
    baseline = np.full(len(targets), np.nan)
    intervals = np.zeros(len(targets), dtype=np.intp)
    for doc in todo:
        g, h = grads[doc], np.diff(alphas[doc])[:, None]
        scores[doc] = ((g[:-1] + g[1:]) / 2 * h).sum(axis=0)
        baseline[doc] = log_p[doc][0]
        intervals[doc] = len(h)
    return scores, baseline, intervals


def _path_points(params, arch, contributions, lengths, targets, alphas, linear=None):
    """Each token's ``c_t . d log p / d(a c_t)``, and ``log p``, at every point ``a`` of
    ``alphas[doc]`` for each document of ``alphas``, in groups of documents x points.

    ``linear`` (with a linear path) gives each token's share ``l_t`` of the linear logits
    (:func:`token_linear`): along the path they are ``a sum(l_t)``, and each token's
    gradient gets ``l_t . d log p / d logits`` as well.

    Yields ``(doc, grads, log_p)`` once a document's points are all done: ``grads`` of
    shape (points, tokens), ``log_p`` of shape (points,).
    """
    hidden = params["Whh"].shape[1]
    budget = max(1, _PATH_FLOATS // (_PATH_FLOATS_PER_STEP * hidden * len(arch.directions)))
    grads = {doc: np.empty((len(a), lengths[doc])) for doc, a in alphas.items()}
    log_ps = {doc: np.empty(len(a)) for doc, a in alphas.items()}
    pending = {doc: len(a) for doc, a in alphas.items()}
    n_points = {doc: len(a) for doc, a in alphas.items()}
    for group in _path_groups(lengths, n_points, budget):
        doc_ids = sorted({doc for doc, _, _ in group})
        C, offsets = contributions(doc_ids)  # per direction (tokens of the group, G H)
        where = dict(zip(doc_ids, offsets[:-1].tolist()))
        row_doc = np.concatenate([np.full(hi - lo, doc) for doc, lo, hi in group])
        row_alpha = np.concatenate([alphas[doc][lo:hi] for doc, lo, hi in group])
        row_lengths = lengths[row_doc]
        batch = pack_ragged(np.arange(int(offsets[-1]), dtype=np.intp),
                            np.array([where[d] for d in row_doc.tolist()], dtype=np.intp),
                            row_lengths)
        target = targets[row_doc[batch.order]]
        # row r's token t at r's start plus t: every row reads each of its tokens once
        row_start = _offsets(row_lengths)
        flat = np.empty(int(row_start[-1]))
        offset = shares = None
        if linear is not None:
            shares = linear(doc_ids)  # (tokens of the group, C), as C's offsets
            totals = np.add.reduceat(shares, offsets[:-1], axis=0) if len(shares) else shares
            doc_index = {d: k for k, d in enumerate(doc_ids)}
            packed_doc = np.array([doc_index[d] for d in row_doc[batch.order].tolist()])
            offset = totals[packed_doc] * row_alpha[batch.order][:, None].astype(shares.dtype)
        if len(doc_ids) == 1:
            # rows of one length: packed position t n + r is packed row r's token t, so
            # the inputs are a broadcast product and need no gathering
            n, length = len(row_doc), int(row_lengths[0])
            alpha = row_alpha[batch.order][None, :, None].astype(C[0].dtype)
            log_p, cache = path_forward(params, arch, batch, [
                (c[:, None, :] * alpha).reshape(length * n, -1) for c in C], target, offset)
            dproj = path_backward(np.ones(n, log_p.dtype), cache)
            per_row = sum(np.einsum("lng,lg->nl", d.reshape(length, n, -1), c)
                          for c, d in zip(C, dproj))
            flat.reshape(n, length)[batch.order] = per_row
        else:
            steps, position_row = steps_and_rows(batch)
            row = batch.order[position_row]  # the row of every packed position
            inputs = [c[batch.ids] for c in C]
            scale = row_alpha[row][:, None].astype(C[0].dtype)
            log_p, cache = path_forward(params, arch, batch, [x * scale for x in inputs],
                                        target, offset)
            dproj = path_backward(np.ones(len(row_doc), log_p.dtype), cache)
            flat[row_start[row] + steps] = sum(np.einsum("pg,pg->p", x, d)
                                               for x, d in zip(inputs, dproj))
        if shares is not None:
            dlogits = path_dlogits(np.ones(len(row_doc), log_p.dtype), cache)
            steps, position_row = steps_and_rows(batch)
            row = batch.order[position_row]
            token = offsets[packed_doc[position_row]] + steps
            flat[row_start[row] + steps] += np.einsum("pc,pc->p", shares[token],
                                                      dlogits[position_row])
        row_log_p = np.empty(len(row_doc))
        row_log_p[batch.order] = log_p
        first = 0
        for doc, lo, hi in group:
            rows = slice(first, first + hi - lo)
            grads[doc][lo:hi] = flat[row_start[first] : row_start[first + hi - lo]].reshape(
                hi - lo, lengths[doc])
            log_ps[doc][lo:hi] = row_log_p[rows]
            first += hi - lo
            pending[doc] -= hi - lo
            if pending[doc] == 0:
                yield doc, grads.pop(doc), log_ps.pop(doc)


def _path_groups(lengths, n_points, budget):
    """Groups of ``(document, first point, stop point)`` units with at most ``budget``
    packed steps each (or one unit of one point, for a document longer than that).

    ``n_points`` maps each document to its number of points, in the order to follow."""
    group, size = [], 0
    for doc, n in n_points.items():
        length = int(lengths[doc])
        per_unit = max(1, min(n, budget // length))
        for lo in range(0, n, per_unit):
            hi = min(n, lo + per_unit)
            cost = (hi - lo) * length
            if group and size + cost > budget:
                yield group
                group, size = [], 0
            group.append((doc, lo, hi))
            size += cost
    if group:
        yield group


def _contribution_reader(estimator, docs):
    """A function from document indices to their input projections ``Wxh x_t``.

    It returns, for the documents given, one array per direction of shape (their
    tokens, G H), in the path's type, the documents one after the other, and the offsets
    where each starts (and the total last). Only the columns of the looked-up matrix
    that the documents use are cast.
    """
    weights = estimator.weights_
    directions = estimator._arch.directions
    dtype = _path_dtype(weights)
    if docs.kind == "numeric":
        Wxh = [np.asarray(weights["Wxh" + sfx], dtype=dtype) for sfx in directions]

        def numeric(doc_ids):
            steps = np.asarray(docs.items[doc_ids], dtype=dtype)
            steps = steps.reshape(-1, steps.shape[2])
            return [np.dot(steps, W.T) for W in Wxh], _offsets(docs.lengths[doc_ids])

        return numeric

    token_lists = [docs.tokens[i] for i in range(len(docs.tokens))]
    embedded = "Wemb" in weights
    Wxh = ([np.asarray(weights["Wxh" + sfx], dtype=dtype) for sfx in directions]
           if embedded else None)

    def text(doc_ids):
        seqs = estimator._encode([token_lists[i] for i in doc_ids])
        ids, table = seqs.data.ids, seqs.table
        offsets = _offsets(seqs.data.lengths)
        if embedded:
            vectors = _lookup_path(weights["Wemb"], ids, table, dtype)
            return [np.dot(vectors, W.T) for W in Wxh], offsets
        return ([_lookup_path(weights["Wxh" + sfx], ids, table, dtype) for sfx in directions],
                offsets)

    return text


def _linear_reader(estimator, docs):
    """With a linear path, a function from document indices to their tokens' shares of
    the linear logits (:func:`token_linear`), the documents one after the other; else
    None."""
    weights = estimator.weights_
    n = getattr(estimator, "_bag_ngrams", None)
    if "Wbag" not in weights or n is None or docs.kind == "numeric":
        return None
    dtype = _path_dtype(weights)

    def read(doc_ids):
        idf = getattr(estimator, "_bag_idf", None)
        parts = [token_linear(docs.tokens[i], n, weights["Wbag"], idf, dtype)
                 for i in doc_ids]
        return (np.concatenate(parts) if parts
                else np.zeros((0, weights["Wbag"].shape[0]), dtype))

    return read


def _path_dtype(weights):
    return weights["Whh"].dtype if _PATH_DTYPE is None else np.dtype(_PATH_DTYPE)


def _lookup_path(matrix, ids, table, dtype):
    """:func:`lookup_columns` in ``dtype``, casting only the columns ``ids`` read."""
    used, local = np.unique(ids, return_inverse=True)
    local = local.ravel()
    if table is None:
        return lookup_columns(np.asarray(matrix[:, used], dtype=dtype), local)
    rows = table[used]
    columns = np.unique(rows.indices)
    sub = sp.csr_matrix(
        (rows.data.astype(dtype), np.searchsorted(columns, rows.indices), rows.indptr),
        shape=(len(used), len(columns)))
    return lookup_columns(np.asarray(matrix[:, columns], dtype=dtype), local, sub)
