"""Text to token-id sequences: scikit-learn's analyzer, a sorted vocabulary, ids and lengths.

Documents are tokenized by :class:`~sklearn.feature_extraction.text.CountVectorizer`'s
analyzer (same ``lowercase``, ``token_pattern`` and ``tokenizer`` options), keeping word
order. The vocabulary maps each kept token to a column of ``Wxh``; every other token maps
to the one extra column ``len(vocabulary)``, the unknown-word column.
"""

from collections import Counter
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


def build_vocabulary(token_lists, min_df=1, max_features=None):
    """Map tokens to columns ``0..n-1`` in sorted order.

    Parameters
    ----------
    token_lists : list of list of str
    min_df : int or float, default=1
        Keep tokens found in at least this many documents (an int) or this fraction of
        the documents (a float), as ``CountVectorizer``.
    max_features : int or None, default=None
        Then keep only this many tokens, the most frequent in the whole corpus (ties
        broken alphabetically).

    Returns
    -------
    vocabulary : dict of str to int
    """
    doc_freq = Counter()
    for tokens in token_lists:
        doc_freq.update(set(tokens))
    if not isinstance(min_df, Integral):
        min_df = min_df * len(token_lists)
    kept = [tok for tok, df in doc_freq.items() if df >= min_df]
    if max_features is not None and len(kept) > max_features:
        term_freq = Counter(tok for tokens in token_lists for tok in tokens)
        kept.sort(key=lambda tok: (-term_freq[tok], tok))
        kept = kept[:max_features]
    return {tok: i for i, tok in enumerate(sorted(kept))}


def encode(token_lists, vocabulary, max_len=None):
    """Token ids for every document; unknown tokens get id ``len(vocabulary)``.

    ``max_len`` keeps each document's last ``max_len`` tokens.
    """
    if max_len is not None:
        token_lists = [tokens[len(tokens) - max_len :] if len(tokens) > max_len else tokens
                       for tokens in token_lists]
    lengths = np.fromiter(map(len, token_lists), dtype=np.intp, count=len(token_lists))
    tokens = chain.from_iterable(token_lists)
    ids = np.fromiter(map(vocabulary.get, tokens, repeat(len(vocabulary))),
                      dtype=np.intp, count=int(lengths.sum()))
    starts = np.zeros(len(lengths), dtype=np.intp)
    np.cumsum(lengths[:-1], out=starts[1:])
    return TokenIds(ids, starts, lengths)
