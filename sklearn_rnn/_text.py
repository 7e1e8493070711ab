"""Text to token-id sequences: scikit-learn's analyzer, a sorted vocabulary or feature
hashing, ids and lengths.

Documents are tokenized by :class:`~sklearn.feature_extraction.text.CountVectorizer`'s
analyzer (same ``lowercase``, ``token_pattern`` and ``tokenizer`` options), keeping word
order. The vocabulary maps each kept token to a column of ``Wxh``; every other token maps
to the one extra column ``len(vocabulary)``, the unknown-word column. Feature hashing
(:func:`hash_encode`) needs no vocabulary: token ``w`` is column
``murmurhash3_32(w, positive=True) % n_buckets``, as in ``HashingVectorizer``.
"""

from itertools import chain, repeat
from numbers import Integral
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils import murmurhash3_32


def offsets(lengths):
    """Where each of runs of these lengths, laid one after the other, starts, and where
    the last ends: shape (len(lengths) + 1,)."""
    bounds = np.zeros(len(lengths) + 1, dtype=np.intp)
    np.cumsum(lengths, out=bounds[1:])
    return bounds


class TokenIds(NamedTuple):
    """A corpus as token ids: document ``i`` is ``ids[starts[i]:starts[i] + lengths[i]]``."""

    ids: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray

    @classmethod
    def from_lengths(cls, ids, lengths):
        """Documents of these lengths laid one after the other in ``ids``."""
        return cls(ids, offsets(lengths)[:-1], lengths)

    def __len__(self):
        return len(self.lengths)

    def subset(self, index):
        """The documents at ``index`` (the ids array is shared, not copied)."""
        return TokenIds(self.ids, self.starts[index], self.lengths[index])


def build_analyzer(lowercase=True, token_pattern=r"(?u)\b\w+\b", tokenizer=None):
    """The callable turning a document into its list of tokens.

    It chains ``CountVectorizer``'s own preprocessor and tokenizer: the word analyzer
    without its n-gram and stop-word stages, which word unigrams do not use.
    """
    vectorizer = CountVectorizer(lowercase=lowercase, token_pattern=token_pattern,
                                 tokenizer=tokenizer)
    preprocess = vectorizer.build_preprocessor()
    tokenize = vectorizer.build_tokenizer()

    def analyze(doc):
        return tokenize(preprocess(doc))

    return analyze


def fit_encode(token_lists, min_df=1, max_features=None, max_len=None, oov=False):
    """Build the vocabulary of a training corpus and encode it.

    Parameters
    ----------
    token_lists : list of list of str
    min_df : int or float, default=1
        Keep tokens found in at least this many documents (an int) or this fraction of
        the documents (a float), as ``CountVectorizer``.
    max_features : int or None, default=None
        Then keep only this many tokens, the most frequent in the whole corpus (ties
        broken alphabetically).
    max_len : int or None, default=None
        Keep each document's last ``max_len`` tokens (before counting).
    oov : bool, default=False
        Give every token left out of the vocabulary an id of its own, ``n + 1 + j``
        for ``oov_tokens[j]``, instead of the unknown-word id ``n``.

    Returns
    -------
    vocabulary : dict of str to int
        Kept tokens to ``0..n-1`` in sorted order.
    encoded : TokenIds
        The corpus, with the other tokens at id ``n`` (or their own, with ``oov``).
    oov_tokens : list of str
        Only with ``oov``: the tokens left out, in sorted order.
    """
    token_lists = _truncate(token_lists, max_len)
    # one pass of dict look-ups gives every token a provisional id; the counting and
    # the final, sorted ids are then array operations
    seen = {}
    ids = np.array([seen.setdefault(tok, len(seen)) for tok in chain.from_iterable(token_lists)],
                   dtype=np.intp)
    lengths = np.fromiter(map(len, token_lists), dtype=np.intp, count=len(token_lists))
    n_seen = len(seen)
    if not isinstance(min_df, Integral):
        min_df = min_df * len(token_lists)
    tokens = list(seen)
    if min_df <= 1:  # every token occurs in a document: no need to count
        kept = list(range(n_seen))
    else:
        doc_of_token = np.repeat(np.arange(len(token_lists), dtype=np.int64), lengths)
        # distinct (document, token) pairs, by sorting: np.unique is many times slower
        pairs = np.sort(doc_of_token * n_seen + ids)
        distinct = pairs[np.append(True, pairs[1:] != pairs[:-1])] if len(pairs) else pairs
        doc_freq = np.bincount(distinct % n_seen, minlength=n_seen)
        kept = np.flatnonzero(doc_freq >= min_df).tolist()
    if max_features is not None and len(kept) > max_features:
        term_freq = np.bincount(ids, minlength=n_seen)
        kept.sort(key=lambda i: (-term_freq[i], tokens[i]))
        kept = kept[:max_features]
    kept.sort(key=tokens.__getitem__)
    new_ids = np.full(n_seen + 1, len(kept), dtype=np.intp)
    new_ids[kept] = np.arange(len(kept))
    vocabulary = {tokens[i]: new for new, i in enumerate(kept)}
    encoded = TokenIds.from_lengths(new_ids[ids], lengths)
    if not oov:
        return vocabulary, encoded
    left_out = np.ones(n_seen, dtype=bool)
    left_out[kept] = False
    others = sorted(np.flatnonzero(left_out).tolist(), key=tokens.__getitem__)
    new_ids[others] = len(kept) + 1 + np.arange(len(others))
    return (vocabulary, TokenIds(new_ids[ids], encoded.starts, encoded.lengths),
            [tokens[i] for i in others])


def encode(token_lists, vocabulary, max_len=None, oov=False):
    """Token ids for every document; unknown tokens get id ``len(vocabulary)``.

    ``max_len`` keeps each document's last ``max_len`` tokens. With ``oov``, each
    distinct unknown token gets an id of its own instead, ``len(vocabulary) + 1 + j``
    for ``oov_tokens[j]`` (in order of first occurrence), and ``(encoded, oov_tokens)``
    is returned.
    """
    token_lists = _truncate(token_lists, max_len)
    lengths = np.fromiter(map(len, token_lists), dtype=np.intp, count=len(token_lists))
    tokens = chain.from_iterable(token_lists)
    n_tokens = int(lengths.sum())
    if not oov:
        ids = np.fromiter(map(vocabulary.get, tokens, repeat(len(vocabulary))),
                          dtype=np.intp, count=n_tokens)
        return TokenIds.from_lengths(ids, lengths)
    unknown = {}
    first = len(vocabulary) + 1

    def token_id(tok):
        found = vocabulary.get(tok)
        return found if found is not None else unknown.setdefault(tok, first + len(unknown))

    ids = np.fromiter(map(token_id, tokens), dtype=np.intp, count=n_tokens)
    return TokenIds.from_lengths(ids, lengths), list(unknown)


def _murmur(text):
    """``murmurhash3_32(text, positive=True)``, also for a str holding a lone surrogate:
    hashed as its UTF-8 bytes, as murmurhash3_32 hashes a str, with "surrogatepass" (a
    str may hold one, UTF-8 may not)."""
    return murmurhash3_32(text.encode("utf-8", "surrogatepass"), positive=True)


def hash_columns(tokens, n_buckets):
    """Column ``murmurhash3_32(token, positive=True) % n_buckets`` of each token.

    scikit-learn's murmurhash with seed 0, as ``HashingVectorizer``: unlike Python's own
    ``hash`` of a ``str``, the same in every process whatever ``PYTHONHASHSEED``.

    Parameters
    ----------
    tokens : sequence of str
    n_buckets : int

    Returns
    -------
    columns : ndarray of shape (len(tokens),)
    """
    hashes = np.fromiter((_murmur(tok) for tok in tokens),
                         dtype=np.int64, count=len(tokens))
    return (hashes % n_buckets).astype(np.intp)


def hash_encode(token_lists, n_buckets, max_len=None, distinct=False):
    """Token ids by feature hashing: token ``w`` is column
    ``murmurhash3_32(w, positive=True) % n_buckets`` (:func:`hash_columns`).

    Each distinct token of the call is hashed once (a dict local to the call gives every
    token the index of its first occurrence; the hashes are then looked up by index).

    Parameters
    ----------
    token_lists : list of list of str
    n_buckets : int
    max_len : int or None, default=None
        Keep each document's last ``max_len`` tokens.
    distinct : bool, default=False
        Return the index of each token among the call's distinct tokens as its id,
        with those tokens and their columns, instead of the columns themselves.

    Returns
    -------
    encoded : TokenIds
        Ids are columns, or with ``distinct``, indices into ``tokens``.
    tokens : list of str
        Only with ``distinct``: the distinct tokens, in order of first occurrence.
    columns : ndarray of shape (len(tokens),)
        Only with ``distinct``: the column of each of ``tokens``.
    """
    token_lists = _truncate(token_lists, max_len)
    seen = {}  # token: index of its first occurrence among the call's distinct tokens
    ids = np.array([seen.setdefault(tok, len(seen))
                    for tok in chain.from_iterable(token_lists)], dtype=np.intp)
    lengths = np.fromiter(map(len, token_lists), dtype=np.intp, count=len(token_lists))
    tokens = list(seen)
    columns = hash_columns(tokens, n_buckets)
    if distinct:
        return TokenIds.from_lengths(ids, lengths), tokens, columns
    return TokenIds.from_lengths(columns[ids], lengths)


def char_ngrams(token, ngram_range):
    """The character n-grams of ``<token>`` with n in ``ngram_range``, as fastText."""
    word = f"<{token}>"
    lo, hi = ngram_range
    return [word[i : i + n] for n in range(lo, hi + 1) for i in range(len(word) - n + 1)]


def subword_table(vocabulary_size, oov_tokens, vocabulary_tokens, ngram_range, n_buckets):
    """How every token id is read: the mean of its own column and of the columns its
    character n-grams hash to.

    The columns are the ``vocabulary_size`` words, then the unknown-word column, then
    ``n_buckets`` n-gram buckets (``murmurhash3_32(ngram, positive=True) % n_buckets``,
    scikit-learn's hash: the same in every process). Ids ``0..vocabulary_size - 1`` are
    the words of ``vocabulary_tokens`` (in column order); id ``vocabulary_size`` is the
    unknown word without n-grams, and id ``vocabulary_size + 1 + j`` is
    ``oov_tokens[j]``, read from the unknown-word column and its own n-grams.

    Returns
    -------
    table : scipy.sparse.csr_matrix of shape (n_ids, vocabulary_size + 1 + n_buckets)
        Rows sum to 1.
    """
    n_known = len(vocabulary_tokens)
    columns = np.concatenate([np.arange(n_known, dtype=np.intp),
                              np.full(1 + len(oov_tokens), vocabulary_size, dtype=np.intp)])
    tokens = chain(vocabulary_tokens, [None], oov_tokens)
    return ngram_table(columns, tokens, ngram_range, vocabulary_size + 1, n_buckets)


def ngram_table(columns, tokens, ngram_range, first_bucket, n_buckets):
    """Row ``i`` reads the mean of column ``columns[i]`` and of the columns the character
    n-grams of ``tokens[i]`` hash to, ``first_bucket + murmurhash3_32(ngram,
    positive=True) % n_buckets`` (a ``None`` token: its own column alone).

    Returns
    -------
    table : scipy.sparse.csr_matrix of shape (len(columns), first_bucket + n_buckets)
        Rows sum to 1; an n-gram twice in a token (or two in one bucket) counts twice.
    """
    indptr, indices = [0], []
    for column, tok in zip(np.asarray(columns).tolist(), tokens):
        indices.append(column)
        if tok is not None:
            indices += [first_bucket + _murmur(g) % n_buckets
                        for g in char_ngrams(tok, ngram_range)]
        indptr.append(len(indices))
    indptr = np.asarray(indptr, dtype=np.intp)
    weights = np.repeat(1.0 / np.diff(indptr), np.diff(indptr))
    table = sp.csr_matrix((weights, np.asarray(indices, dtype=np.intp), indptr),
                          shape=(len(indptr) - 1, first_bucket + n_buckets))
    table.sum_duplicates()  # an n-gram twice in a word (or two in a bucket) adds up
    return table


def _truncate(token_lists, max_len):
    if max_len is None:
        return token_lists
    return [tokens[len(tokens) - max_len :] if len(tokens) > max_len else tokens
            for tokens in token_lists]
