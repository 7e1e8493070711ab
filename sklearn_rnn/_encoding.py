"""A fitted estimator's text encoding: token lists to :class:`~sklearn_rnn._data.Sequences`
of token ids, with the subword table that says how each id reads the looked-up matrix.

:class:`TextEncoding` is the state a fit learns from the training documents, in one
place: the vocabulary (or the number of hashed columns), and with subwords the n-gram
rows of the vocabulary's words. The estimator keeps it under the attribute names models
have always been saved with (:data:`ATTRIBUTES`), so that saved models load unchanged;
:meth:`TextEncoding.of` reads them and :meth:`TextEncoding.store` writes them. The rules
of the encoding themselves (the analyzer, the vocabulary's order, hashing, n-grams) are
:mod:`sklearn_rnn._text`'s.
"""

from collections.abc import Mapping
from typing import NamedTuple, Optional

import numpy as np
import scipy.sparse as sp

from ._data import Sequences
from ._text import encode, fit_encode, hash_encode, ngram_table, subword_table

# subword_ngrams: character n-grams hash into this many columns
SUBWORD_BUCKETS = 1 << 16
# the estimator's attributes holding a TextEncoding, as models are saved
ATTRIBUTES = {"vocabulary": "vocabulary_", "subword_rows": "_subword_rows",
              "subword_args": "_subword_args", "hash_buckets": "_hash_buckets"}


class TextEncoding(NamedTuple):
    """What a fit learned to encode text.

    vocabulary : dict of str to int or None
        Token to column; column ``len(vocabulary)`` is the unknown word's. None with
        hashing.
    subword_rows : tuple (data, indices, indptr, shape) or None
        With subwords and a vocabulary, the rows of the subword table of the vocabulary's
        words, as plain arrays (a saved model then holds no SciPy type; a CSR matrix, as
        earlier versions saved it, is read too).
    subword_args : tuple ((min_n, max_n), n_buckets) or None
        The n-gram range and number of n-gram buckets, with subwords.
    hash_buckets : int or None
        The number of hashed word columns, with hashing.
    max_len : int or None
        Keep each document's last ``max_len`` tokens.
    """

    vocabulary: Optional[dict] = None
    subword_rows: Optional[tuple] = None
    subword_args: Optional[tuple] = None
    hash_buckets: Optional[int] = None
    max_len: Optional[int] = None

    @classmethod
    def of(cls, estimator):
        """The encoding a fitted estimator holds (its ``max_len`` as set now)."""
        return cls(*(getattr(estimator, ATTRIBUTES[field], None) for field in ATTRIBUTES),
                   max_len=estimator.max_len)

    @classmethod
    def forget(cls, estimator):
        """Remove an earlier fit's encoding from ``estimator``."""
        for attribute in ATTRIBUTES.values():
            if hasattr(estimator, attribute):
                delattr(estimator, attribute)

    def store(self, estimator):
        """Set the estimator's attributes; those of an absent part are not set."""
        self.forget(estimator)
        for field, attribute in ATTRIBUTES.items():
            value = getattr(self, field)
            if value is not None:
                setattr(estimator, attribute, value)

    @classmethod
    def fit(cls, token_lists, *, vocabulary=None, min_df=1, max_features=None, max_len=None,
            subword_ngrams=None, hash_buckets=None, dtype=np.float32):
        """Learn the encoding of a training corpus and encode it.

        ``vocabulary`` is a user's fixed vocabulary (see :func:`check_vocabulary`), else
        it is learned with ``min_df`` and ``max_features``; ``hash_buckets`` hashes
        instead. ``dtype`` is the subword table's (the weights').

        Returns
        -------
        encoding : TextEncoding
        sequences : Sequences
        """
        subword_args = None
        if subword_ngrams is not None:
            subword_args = (tuple(subword_ngrams), SUBWORD_BUCKETS)
        if hash_buckets is not None:
            encoding = cls(subword_args=subword_args, hash_buckets=hash_buckets,
                           max_len=max_len)
            return encoding, encoding.encode(token_lists, dtype)
        encoded = oov_tokens = None
        if vocabulary is not None:
            vocabulary = check_vocabulary(vocabulary)
        elif subword_args is None:
            vocabulary, encoded = fit_encode(token_lists, min_df, max_features, max_len)
        else:
            vocabulary, encoded, oov_tokens = fit_encode(token_lists, min_df, max_features,
                                                         max_len, oov=True)
        rows = None
        if subword_args is not None:
            in_order = sorted(vocabulary, key=vocabulary.__getitem__)
            table = subword_table(len(in_order), [], in_order, *subword_args)
            table = table[: len(in_order)].astype(dtype)
            rows = (table.data, table.indices, table.indptr, table.shape)
        encoding = cls(vocabulary, rows, subword_args, None, max_len)
        if encoded is None:  # a fixed vocabulary
            return encoding, encoding.encode(token_lists, dtype)
        table = encoding._vocabulary_table(oov_tokens) if oov_tokens is not None else None
        return encoding, Sequences(encoded, table)

    @property
    def n_columns(self):
        """Columns of the looked-up matrix: the words (and the unknown word's column, with a
        vocabulary), then the n-gram buckets with subwords."""
        words = self.hash_buckets if self.vocabulary is None else len(self.vocabulary) + 1
        return words + (self.subword_args[1] if self.subword_args is not None else 0)

    @property
    def unknown_column(self):
        """The unknown word's column (None with hashing, where every word has one)."""
        return None if self.vocabulary is None else len(self.vocabulary)

    def encode(self, token_lists, dtype):
        """Documents as :class:`Sequences` of token ids and, with subwords, the table of
        how each id reads the looked-up matrix (in ``dtype``)."""
        if self.hash_buckets is not None:
            if self.subword_args is None:
                return Sequences(hash_encode(token_lists, self.hash_buckets, self.max_len))
            # ids of the call's distinct tokens, each read from its hashed column and its
            # n-gram buckets (which follow the hash_buckets columns)
            encoded, tokens, columns = hash_encode(token_lists, self.hash_buckets,
                                                   self.max_len, distinct=True)
            ngram_range, n_buckets = self.subword_args
            table = ngram_table(columns, tokens, ngram_range, self.hash_buckets, n_buckets)
            return Sequences(encoded, table.astype(dtype))
        if self.subword_rows is None:
            return Sequences(encode(token_lists, self.vocabulary, self.max_len))
        encoded, oov_tokens = encode(token_lists, self.vocabulary, self.max_len, oov=True)
        return Sequences(encoded, self._vocabulary_table(oov_tokens))

    def _vocabulary_table(self, oov_tokens):
        """The vocabulary's subword rows, then the unknown word's and those of
        ``oov_tokens`` (ids ``len(vocabulary) + 1 + j``)."""
        rows = self.subword_rows
        if not sp.issparse(rows):
            data, indices, indptr, shape = rows
            rows = sp.csr_matrix((data, indices, indptr), shape=shape)
        extra = subword_table(len(self.vocabulary), oov_tokens, [], *self.subword_args)
        return sp.vstack([rows, extra.astype(rows.dtype)], format="csr")


def check_vocabulary(vocabulary):
    """A user's fixed vocabulary (token to column, or tokens in column order) as a dict of
    token to column ``0..n-1``."""
    if isinstance(vocabulary, Mapping):
        vocabulary = dict(vocabulary)
        columns = sorted(vocabulary.values())
        if columns != list(range(len(vocabulary))):
            raise ValueError(
                "vocabulary must map its tokens to the columns 0..n-1, each once; got "
                f"columns {columns[:10]}{'...' if len(columns) > 10 else ''}."
            )
    else:
        tokens = list(vocabulary)
        vocabulary = {tok: i for i, tok in enumerate(tokens)}
        if len(vocabulary) != len(tokens):
            raise ValueError("vocabulary holds a token more than once.")
    if not vocabulary:
        raise ValueError("vocabulary is empty.")
    if not all(isinstance(tok, str) for tok in vocabulary):
        raise ValueError("vocabulary tokens must be str.")
    return vocabulary
