"""What ``X`` is, and the batches made from it.

- :func:`text_input` decides whether ``X`` is text (documents, or pre-tokenised token
  lists or rows; ``str``, or ``bytes`` read as UTF-8); anything else is numeric and goes
  to ``validate_data``.
- :class:`Sequences` holds a corpus as token ids or a numeric array and packs any subset
  of it into a :class:`~sklearn_rnn._packing.PackedBatch`.
- :func:`distinct_samples` makes a training set independent of sample order;
  :func:`epoch_batches` and :func:`predict_chunks` cut it into batches.
"""

from collections.abc import Iterator, Mapping

import numpy as np
import scipy.sparse as sp

from . import _packing
from ._text import TokenIds, offsets

# text batches are drawn from groups of this many batches sorted by length
BUCKET_BATCHES = 50
# prediction tokenizes this many documents at a time...
PREDICT_DOCUMENTS = 8192
# ...and runs the network on chunks of at most this many rows and tokens
PREDICT_ROWS = 1024
PREDICT_TOKENS = 1 << 16


class TextInput:
    """Documents (tokenized on demand, a slice at a time) or pre-tokenised rows."""

    def __init__(self, documents=None, token_lists=None, analyzer=None):
        self.documents, self.token_lists, self.analyzer = documents, token_lists, analyzer

    def __len__(self):
        return len(self.documents if self.token_lists is None else self.token_lists)

    def subset(self, index):
        """The documents at positions ``index``."""
        if self.token_lists is not None:
            return TextInput(token_lists=[self.token_lists[i] for i in index])
        return TextInput(documents=[self.documents[i] for i in index], analyzer=self.analyzer)

    def tokens(self, start=0, stop=None):
        """Token lists of the documents ``start:stop``."""
        if self.token_lists is not None:
            return self.token_lists[start:stop]
        return list(map(self.analyzer, self.documents[start:stop]))


def text_input(X, analyzer_factory, fitted_on_text=False):
    """A :class:`TextInput` if ``X`` is text, else None (numeric, for ``validate_data``).

    Documents and tokens may be ``str`` or ``bytes``; bytes are read as UTF-8, as
    ``CountVectorizer`` reads them by default.

    Parameters
    ----------
    X : object
        What the user passed.
    analyzer_factory : callable
        Returns the analyzer (document -> tokens); called only for documents.
    fitted_on_text : bool, default=False
        Whether ``X`` goes to an estimator fitted on text: token lists that are all
        empty (``[[]]``) are then empty documents, not numeric input.
    """
    if isinstance(X, (str, bytes)):
        raise ValueError("Iterable over raw text documents expected, string object received.")
    if sp.issparse(X):
        return None  # validate_data says sparse input is not supported
    if isinstance(X, Mapping):
        raise ValueError(
            f"X is a {type(X).__name__}; pass documents (a list or 1-D array of str) or "
            "numeric sequences (a 2-D or 3-D array)."
        )
    if isinstance(X, Iterator):  # a generator of documents, say
        X = list(X)
    if not hasattr(X, "__len__"):
        return None
    if hasattr(X, "iloc") and getattr(X, "ndim", 2) == 2:  # DataFrame
        if all(dt.kind in "biuf" for dt in X.dtypes):
            return None
        X = X.to_numpy(dtype=object)
    if isinstance(X, np.ndarray) and X.dtype.kind not in "OUS":
        return None
    ndim = getattr(X, "ndim", None)
    if ndim is None or ndim == 1:
        docs = X if isinstance(X, (list, tuple)) else list(X)
        if len(docs) == 0:
            return TextInput(token_lists=[])
        if all(isinstance(doc, (list, tuple)) for doc in docs) and (
            any(isinstance(tok, (str, bytes)) for doc in docs for tok in doc)
            or (fitted_on_text and not any(docs))
        ):  # lists of tokens, of any lengths
            return TextInput(token_lists=[_str_tokens(doc, i) for i, doc in enumerate(docs)])
        if not any(isinstance(doc, (str, bytes)) for doc in docs):
            return None  # numeric: validate_data decides
        return TextInput(documents=_check_documents(docs), analyzer=analyzer_factory())
    if ndim == 2:
        try:
            np.asarray(X, dtype=np.float64)
            return None  # numbers stored as objects or strings
        except (TypeError, ValueError):
            pass
        X = np.asarray(X, dtype=object)
        if X.shape[1] == 1:  # one column of documents
            return TextInput(documents=_check_documents(list(X[:, 0])),
                             analyzer=analyzer_factory())
        return TextInput(token_lists=[[_as_str(tok, i) for tok in row if not _is_missing(tok)]
                                      for i, row in enumerate(X)])
    return None


def _str_tokens(doc, i):
    """The tokens of document ``i`` as ``str``, ``None`` and NaN skipped."""
    if set(map(type, doc)) <= {str}:  # the common case, checked without a Python loop
        return list(doc)
    return [_as_str(tok, i) for tok in doc if not _is_missing(tok)]


def _as_str(value, i):
    """A token of document ``i`` as ``str``: bytes read as UTF-8, anything else by
    ``str``."""
    if isinstance(value, bytes):
        return _decode(value, i)
    return str(value)


def _decode(value, i):
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"X[{i}] is not valid UTF-8: {exc}") from None


def _is_missing(value):
    return value is None or (isinstance(value, float) and value != value)


def _check_documents(docs):
    """``docs`` as ``str``, bytes read as UTF-8; else an error naming the first that is
    neither, or not valid UTF-8."""
    if all(isinstance(doc, str) for doc in docs):
        return docs
    checked = []
    for i, doc in enumerate(docs):
        if isinstance(doc, bytes):
            doc = _decode(doc, i)
        elif not isinstance(doc, str):
            what = "None" if doc is None else f"{type(doc).__name__} {repr(doc)[:40]}"
            raise ValueError(
                f"X[{i}] is {what}: every document must be a str (use '' for an empty "
                "document)."
            )
        checked.append(doc)
    return checked


class Sequences:
    """A corpus of token-id sequences (:class:`TokenIds`) or of equal-length numeric
    sequences (an array of shape (N, T, D)), packed into batches on demand.

    ``table`` is how the token ids read the looked-up matrix, with subwords (see
    :func:`sklearn_rnn._rnn.lookup_columns`), or None. ``bag`` holds, with a linear path,
    each sequence's bag of word n-grams (a CSR matrix, one row per sequence; see
    :func:`sklearn_rnn._linear.ngram_bag`), or None."""

    def __init__(self, data, table=None, bag=None):
        self.data = data
        self.table = table
        self.bag = bag
        self.text = isinstance(data, TokenIds)

    def __len__(self):
        return len(self.data)

    @property
    def lengths(self):
        if self.text:
            return self.data.lengths
        return np.full(len(self.data), self.data.shape[1], dtype=np.intp)

    @property
    def n_tokens(self):
        return int(self.data.lengths.sum()) if self.text else int(np.prod(self.data.shape[:2]))

    def subset(self, index):
        return Sequences(self.data.subset(index) if self.text else self.data[index],
                         self.table, None if self.bag is None else self.bag[index])

    def bag_of(self, index, batch):
        """The bags of the sequences at ``index`` packed as ``batch`` (packed order), or
        None without a linear path."""
        return None if self.bag is None else self.bag[index[batch.order]]

    def pack_all(self, batches, window=None, rng=None):
        """Pack every index array of ``batches`` (text: all in one vectorized pass).

        ``window``: a document longer than this many tokens is packed as a window of that
        many consecutive tokens, placed uniformly at random by ``rng`` (one draw per such
        document, none if there is none; numeric sequences are packed whole)."""
        if not self.text:
            return [self.pack(index) for index in batches]
        index = np.concatenate(batches)
        bounds = offsets([len(b) for b in batches])
        d = self.data
        starts, lengths = d.starts[index], d.lengths[index]
        if window is not None:
            starts, lengths = random_windows(starts, lengths, window, rng)
        return _packing.pack_ragged_groups(d.ids, starts, lengths, bounds)

    def pack(self, index):
        """The sequences at ``index`` as a packed batch (rows reordered: see
        ``batch.order``)."""
        if self.text:
            d = self.data
            return _packing.pack_ragged(d.ids, d.starts[index], d.lengths[index])
        return _packing.pack_dense(self.data[index])


def distinct_samples(seqs, y, sample_weight):
    """Drop zero-weight samples, merge identical (x, y) pairs by summing their weights,
    and sort: the same weighted objective, independent of the order of the samples."""
    keep = sample_weight > 0
    if seqs.text:
        data = seqs.data
        # a document's key is the bytes of its ids (and of its bag's n-gram columns, which
        # tell the words that share the unknown-word id apart): cheap to hash and sort
        raw = data.ids.tobytes()
        size = data.ids.itemsize
        if seqs.bag is None:
            bags = [b""] * len(data)
        else:
            bag = seqs.bag
            bags = [bag.indices[bag.indptr[i] : bag.indptr[i + 1]].tobytes()
                    for i in range(len(data))]
        merged, first = {}, {}
        for i, s, n, label, w in zip(
            np.flatnonzero(keep).tolist(), data.starts[keep].tolist(),
            data.lengths[keep].tolist(), y[keep].tolist(), sample_weight[keep].tolist(),
        ):
            key = (raw[s * size : (s + n) * size], bags[i], label)
            merged[key] = merged.get(key, 0.0) + w
            first.setdefault(key, i)
        keys = sorted(merged)
        flat = np.frombuffer(b"".join(k[0] for k in keys), dtype=data.ids.dtype).copy()
        lengths = np.fromiter((len(k[0]) // size for k in keys), dtype=np.intp,
                              count=len(keys))
        bag = None if seqs.bag is None else seqs.bag[[first[k] for k in keys]]
        return (
            Sequences(TokenIds.from_lengths(flat, lengths), seqs.table, bag),
            np.fromiter((k[2] for k in keys), dtype=np.intp, count=len(keys)),
            np.fromiter((merged[k] for k in keys), dtype=np.float64, count=len(keys)),
        )
    X = seqs.data[keep]
    rows = np.column_stack([X.reshape(len(X), -1), y[keep]])
    unique, inverse = np.unique(rows, axis=0, return_inverse=True)
    weights = np.bincount(inverse.ravel(), weights=sample_weight[keep])
    X = unique[:, :-1].reshape((-1,) + X.shape[1:]).astype(X.dtype, copy=False)
    return Sequences(X), unique[:, -1].astype(np.intp), weights


def epoch_batches(lengths, batch_size, bucket, shuffle, rng):
    """Index arrays of one epoch's batches.

    With ``bucket``, batches are drawn from groups of ``BUCKET_BATCHES`` batches sorted by
    length, so that a batch holds sequences of similar lengths.
    """
    n_samples = len(lengths)
    order = rng.permutation(n_samples) if shuffle else np.arange(n_samples)
    if bucket:
        group = batch_size * BUCKET_BATCHES
        for lo in range(0, n_samples, group):
            part = order[lo : lo + group]
            order[lo : lo + group] = part[np.argsort(lengths[part], kind="stable")]
    batches = [order[lo : lo + batch_size] for lo in range(0, n_samples, batch_size)]
    if shuffle and bucket:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def random_windows(starts, lengths, window, rng):
    """``(starts, lengths)`` of windows of ``window`` consecutive tokens, each placed
    uniformly at random in its sequence, for the sequences longer than that; the others
    as they are. Draws from ``rng`` only if some sequence is longer."""
    long = np.flatnonzero(lengths > window)
    if len(long) == 0:
        return starts, lengths
    starts, lengths = starts.copy(), lengths.copy()
    starts[long] += rng.randint(0, lengths[long] - window + 1)
    lengths[long] = window
    return starts, lengths


def predict_chunks(lengths):
    """Index arrays covering every sequence, sorted by length, at most ``PREDICT_ROWS``
    sequences and (unless one sequence is longer) ``PREDICT_TOKENS`` tokens each: memory
    stays bounded whatever the number of documents."""
    order = np.argsort(lengths, kind="stable")
    ends = np.cumsum(lengths[order])
    lo = 0
    while lo < len(order):
        budget = (ends[lo - 1] if lo else 0) + PREDICT_TOKENS
        hi = min(lo + PREDICT_ROWS, max(lo + 1, int(np.searchsorted(ends, budget, "right"))))
        yield order[lo:hi]
        lo = hi
