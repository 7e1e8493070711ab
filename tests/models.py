"""Estimator settings and engine parameters the tests share."""

import numpy as np

from sklearn_rnn import _rnn
from sklearn_rnn._cells import CELLS

# the tutorial's model: a tanh cell read forwards, its last state classified, a Wxh
# column looked up per token, no subwords, plain cross-entropy, the weights as trained;
# every word of the training documents in the vocabulary
TUTORIAL_MODEL = dict(cell="tanh", bidirectional=False, pooling="last", embedding_size=None,
                      subword_ngrams=None,
                      word_ngrams=None, label_smoothing=0.0, ema_decay=None, min_df=1)


def random_params(rng, arch, n_inputs, hidden=3, n_classes=3, embedding=None):
    """Parameters of ``arch`` named by :func:`_rnn.param_names`; the looked-up matrices
    (``Wemb``, or ``Wxh`` reading token ids directly) column-major."""
    gates = CELLS[arch.cell].gates
    width = embedding if embedding else n_inputs
    params = {}
    for name in _rnn.param_names(arch, embedding is not None):
        base = name.replace("_reverse", "")
        if base == "Wemb":
            value = np.asfortranarray(rng.normal(size=(embedding, n_inputs)))
        elif base == "Wxh":
            value = rng.normal(scale=0.7, size=(gates * hidden, width))
            if embedding is None:
                value = np.asfortranarray(value)
        elif base == "Whh":
            value = rng.normal(scale=0.5, size=(gates * hidden, hidden))
        elif base in ("bh", "bhh"):
            value = rng.normal(scale=0.5, size=gates * hidden)
        elif base == "Why":
            value = rng.normal(size=(n_classes, arch.n_features(hidden)))
        else:
            assert base == "by", name
            value = rng.normal(size=n_classes)
        params[name] = value
    return params


def numeric_derivative(param, index, loss_fn, eps=1e-6):
    """Central finite difference of ``loss_fn()`` in ``param[index]`` (changed in place
    and put back)."""
    old = param[index]
    param[index] = old + eps
    plus = loss_fn()
    param[index] = old - eps
    minus = loss_fn()
    param[index] = old
    return (plus - minus) / (2 * eps)


def numeric_grad(params, loss_fn, eps=1e-6):
    """Central finite differences of ``loss_fn()`` in each entry of each array of
    ``params`` (changed in place and put back), keyed as ``params``."""
    grads = {}
    for name, value in params.items():
        num = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            num[i] = numeric_derivative(value, i, loss_fn, eps)
        grads[name] = num
    return grads
