"""Text to token-id sequences: scikit-learn's analyzer, a sorted vocabulary, ids and lengths.

Documents are tokenized by :class:`~sklearn.feature_extraction.text.CountVectorizer`'s
analyzer (same ``lowercase``, ``token_pattern`` and ``tokenizer`` options), keeping word
order. The vocabulary maps each kept token to a column of ``Wxh``; every other token maps
to the one extra column ``len(vocabulary)``, the unknown-word column.
"""

from itertools import chain, repeat
from numbers import Integral
from typing import NamedTuple

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer


class TokenIds(NamedTuple):
    """A corpus as token ids: document ``i`` is ``ids[starts[i]:starts[i] + lengths[i]]``."""

    ids: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray

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


def fit_encode(token_lists, min_df=1, max_features=None, max_len=None):
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

    Returns
    -------
    vocabulary : dict of str to int
        Kept tokens to ``0..n-1`` in sorted order.
    encoded : TokenIds
        The corpus, with the other tokens at id ``n``.
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
    return vocabulary, TokenIds(new_ids[ids], _starts(lengths), lengths)


def encode(token_lists, vocabulary, max_len=None):
    """Token ids for every document; unknown tokens get id ``len(vocabulary)``.

    ``max_len`` keeps each document's last ``max_len`` tokens.
    """
    token_lists = _truncate(token_lists, max_len)
    lengths = np.fromiter(map(len, token_lists), dtype=np.intp, count=len(token_lists))
    tokens = chain.from_iterable(token_lists)
    ids = np.fromiter(map(vocabulary.get, tokens, repeat(len(vocabulary))),
                      dtype=np.intp, count=int(lengths.sum()))
    return TokenIds(ids, _starts(lengths), lengths)


def _truncate(token_lists, max_len):
    if max_len is None:
        return token_lists
    return [tokens[len(tokens) - max_len :] if len(tokens) > max_len else tokens
            for tokens in token_lists]


def _starts(lengths):
    starts = np.zeros(len(lengths), dtype=np.intp)
    np.cumsum(lengths[:-1], out=starts[1:])
    return starts
