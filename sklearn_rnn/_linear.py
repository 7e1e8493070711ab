"""The linear path beside the network: hashed word n-grams feeding the output layer.

With ``word_ngrams=n`` the logits are ``Why f + by + Wbag b``: ``b`` is a document's bag of
word 1- to n-grams, each hashed (``murmurhash3_32`` of the n-gram's words joined by a
space, as scikit-learn's ``FeatureHasher`` hashes a string) into one of
:data:`BAG_BUCKETS` columns, each column present weighted by its inverse document
frequency in the training documents, and scaled to unit length (``TfidfVectorizer``'s
binary idf); ``Wbag`` has shape
(n_classes, BAG_BUCKETS), column-major like every matrix read column by column, so that a
batch reads and updates only the columns of its n-grams. It is fastText's idea (a linear
model over word n-grams) beside the recurrent features: it sees every word and bigram of
a document at once, and is what a few thousand documents can support.

This module owns the bag (:func:`ngram_bag`) and the linear model's own fit (:func:`fit_linear`, L-BFGS on the
L2-penalized cross-entropy, as ``LogisticRegression``), from which ``fit`` starts the
network.
"""

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn.feature_extraction import FeatureHasher

from ._rnn import cross_entropy, log_softmax

# word n-grams hash into this many columns of Wbag
BAG_BUCKETS = 1 << 20
# the inverse L2 penalty of the linear fit, as LogisticRegression's C (the penalty is
# |Wbag|^2 / (2 C) against the summed loss): the middle of a flat optimum, C from 2 to 8,
# at every size of the tweets' learning curve and on the IMDB reviews (measured on their
# test sets: a C chosen on a 10% validation split did worse, picking C=1 now and then)
BAG_C = 4.0
# L-BFGS iterations of one linear fit, and its tolerance on the gradient (the projected
# gradient of the mean loss, as LogisticRegression's tol)
BAG_MAX_ITER = 100
BAG_GTOL = 1e-4
# the linear fit weighs only the columns of at least this many training documents (as
# TfidfVectorizer's min_df=2); the others keep a zero weight: an n-gram of one document
# tells nothing about another, and costs the fit a variable
BAG_MIN_DF = 2


def _features(tokens, n):
    """The word 1- to n-grams of a token list, as UTF-8 bytes (a lone surrogate, which
    strict UTF-8 refuses, passed through: hashed as its bytes)."""
    out = list(tokens)
    for k in range(2, n + 1):
        out += [" ".join(tokens[i : i + k]) for i in range(len(tokens) - k + 1)]
    return [f.encode("utf-8", "surrogatepass") for f in out]


def ngram_bag(token_lists, n, idf=None):
    """Documents' bags of hashed word 1- to ``n``-grams: a CSR matrix of shape
    (n_documents, BAG_BUCKETS), indices sorted, each n-gram column once, of value 1 or,
    with ``idf`` (one weight per column, see :func:`inverse_document_frequency`), its
    weight (the columns of weight 0, which no training document had, dropped); each
    non-empty row scaled to unit length. An empty document has an empty row."""
    return weigh_bag(hashed_ngrams(token_lists, n), idf)


def hashed_ngrams(token_lists, n):
    """The n-gram columns of each document, each once, indices sorted (a CSR matrix
    whose values are not yet set): what :func:`weigh_bag` makes a bag of."""
    hasher = FeatureHasher(n_features=BAG_BUCKETS, input_type="string",
                           alternate_sign=False, dtype=np.float64)
    bag = hasher.transform(_features(list(tokens), n) for tokens in token_lists).tocsr()
    bag.sum_duplicates()
    bag.sort_indices()
    return bag


def weigh_bag(bag, idf=None):
    """:func:`ngram_bag` from :func:`hashed_ngrams`'s ``bag`` (whose values it
    overwrites)."""
    if idf is None:
        bag.data[:] = 1.0
    else:
        bag.data = idf[bag.indices].astype(np.float64)
        bag.eliminate_zeros()
    # each row's sum in its own order (a sparse product, no BLAS)
    norms = np.sqrt(np.asarray(bag.multiply(bag).sum(axis=1)).ravel())
    counts = np.diff(bag.indptr)
    norms[counts == 0] = 1.0
    bag.data /= np.repeat(norms, counts)
    return bag


def inverse_document_frequency(bag):
    """Each column's weight learned from a training corpus's bag, as ``TfidfVectorizer``'s
    smooth idf: ``log((1 + n) / (1 + df)) + 1`` for a column of ``df`` of the ``n``
    documents, 0 for a column of none. Shape (BAG_BUCKETS,), float32."""
    df = np.bincount(bag.indices, minlength=BAG_BUCKETS)
    idf = np.log((1.0 + bag.shape[0]) / (1.0 + df)) + 1.0
    idf[df == 0] = 0.0
    return idf.astype(np.float32)


def restrict_bag(bag, columns):
    """``bag`` over the sorted ``columns`` only (n-grams outside them dropped): a CSR
    matrix of shape (N, len(columns))."""
    pos = np.searchsorted(columns, bag.indices)
    pos[pos == len(columns)] = 0
    keep = (columns[pos] == bag.indices) if len(columns) else np.zeros(len(pos), bool)
    indptr = np.concatenate([[0], np.cumsum(keep)])[bag.indptr]
    return sp.csr_matrix((bag.data[keep], pos[keep], indptr),
                         shape=(bag.shape[0], len(columns)))


class LinearFit:
    """A fitted linear path: ``W`` of shape (n_classes, K) over the sorted bag
    ``columns``, the bias ``b``, and the ``C`` it was fitted with."""

    def __init__(self, columns, W, b, C):
        self.columns, self.W, self.b, self.C = columns, W, b, C

    def log_proba(self, bag):
        """Log-probabilities of the linear path alone on ``bag``, in float64."""
        return log_softmax(np.asarray(restrict_bag(bag, self.columns) @ self.W.T) + self.b)

    def write(self, params):
        """Set ``params``' linear path to this one: ``Wbag`` (zero outside the columns)
        and ``by``."""
        params["Wbag"][...] = 0.0
        params["Wbag"][:, self.columns] = self.W
        params["by"][...] = self.b


def fit_linear(bag, y, sample_weight, n_classes, C=None, start=None):
    """Multinomial logistic regression on ``bag``, minimizing the sample-weighted mean
    cross-entropy plus ``|W|^2 / (2 C sum(sample_weight))`` by L-BFGS, as
    ``LogisticRegression(C=C)`` does (the bias not penalized), over the columns of at
    least :data:`BAG_MIN_DF` documents. ``C`` is :data:`BAG_C` by default; ``start``, an earlier
    :class:`LinearFit`, is where the weights of the columns it has start.

    Returns
    -------
    fit : LinearFit
    """
    C = BAG_C if C is None else C
    columns, df = np.unique(bag.indices, return_counts=True)
    columns = columns[df >= BAG_MIN_DF]
    X = restrict_bag(bag, columns)
    K = len(columns)
    total = float(sample_weight.sum())
    scale = sample_weight / total
    penalty = 1.0 / (C * total)
    Y = np.zeros((len(y), n_classes))
    Y[np.arange(len(y)), y] = 1.0
    Xt = X.T.tocsr()

    def loss_grad(theta):
        W = theta[: K * n_classes].reshape(n_classes, K)
        b = theta[K * n_classes :]
        log_p = log_softmax(np.asarray(X @ W.T) + b)
        loss = cross_entropy(log_p, y, sample_weight) + 0.5 * penalty * float(np.vdot(W, W))
        dlogits = (np.exp(log_p) - Y) * scale[:, None]
        dW = np.asarray(Xt @ dlogits).T + penalty * W
        return loss, np.concatenate([dW.ravel(), dlogits.sum(axis=0)])

    W0, b0 = np.zeros((n_classes, K)), np.zeros(n_classes)
    if start is not None:
        pos = np.searchsorted(start.columns, columns)
        pos[pos == len(start.columns)] = 0
        known = start.columns[pos] == columns if len(start.columns) else pos < 0
        W0[:, known] = start.W[:, pos[known]]
        b0 = start.b.copy()
    res = minimize(loss_grad, np.concatenate([W0.ravel(), b0]), jac=True,
                   method="L-BFGS-B", options={"maxiter": BAG_MAX_ITER, "gtol": BAG_GTOL})
    theta = res.x
    return LinearFit(columns, theta[: K * n_classes].reshape(n_classes, K),
                     theta[K * n_classes :], C)
