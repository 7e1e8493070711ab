"""Data sets: the tutorial's sentiment sentences, and a loader for CSV corpora."""

import csv
import gzip

import numpy as np


# The many-to-one RNN tutorial's data: (sentence, is_positive).
_SEED_TRAIN = (
    ("good", True),
    ("bad", False),
    ("happy", True),
    ("sad", False),
    ("not good", False),
    ("not bad", True),
    ("not happy", False),
    ("not sad", True),
    ("very good", True),
    ("very bad", False),
    ("very happy", True),
    ("very sad", False),
    ("i am happy", True),
    ("this is good", True),
    ("i am bad", False),
    ("this is bad", False),
    ("i am sad", False),
    ("this is sad", False),
    ("i am not happy", False),
    ("this is not good", False),
    ("i am not bad", True),
    ("this is not sad", True),
    ("i am very happy", True),
    ("this is very good", True),
    ("i am very bad", False),
    ("this is very sad", False),
    ("this is very happy", True),
    ("i am good not bad", True),
    ("this is good not bad", True),
    ("i am bad not good", False),
    ("i am good and happy", True),
    ("this is not good and not happy", False),
    ("i am not at all good", False),
    ("i am not at all bad", True),
    ("i am not at all happy", False),
    ("this is not at all sad", True),
    ("this is not at all happy", False),
    ("i am good right now", True),
    ("i am bad right now", False),
    ("this is bad right now", False),
    ("i am sad right now", False),
    ("i was good earlier", True),
    ("i was happy earlier", True),
    ("i was bad earlier", False),
    ("i was sad earlier", False),
    ("i am very bad right now", False),
    ("this is very good right now", True),
    ("this is very sad right now", False),
    ("this was bad earlier", False),
    ("this was very good earlier", True),
    ("this was very bad earlier", False),
    ("this was very happy earlier", True),
    ("this was very sad earlier", False),
    ("i was good and not bad earlier", True),
    ("i was not good and not happy earlier", False),
    ("i am not at all bad or sad right now", True),
    ("i am not at all good or happy right now", False),
    ("this was not happy and not good earlier", False),
)

_SEED_TEST = (
    ("this is happy", True),
    ("i am good", True),
    ("this is not happy", False),
    ("i am not good", False),
    ("this is not bad", True),
    ("i am not sad", True),
    ("i am very good", True),
    ("this is very bad", False),
    ("i am very sad", False),
    ("this is bad not good", False),
    ("this is good and happy", True),
    ("i am not good and not happy", False),
    ("i am not at all sad", True),
    ("this is not at all good", False),
    ("this is not at all bad", True),
    ("this is good right now", True),
    ("this is sad right now", False),
    ("this is very bad right now", False),
    ("this was good earlier", True),
    ("i was not happy and not good earlier", False),
)

def load_seed_sentiment():
    """The tutorial's sentiment data: 58 training and 20 test sentences.

    Returns
    -------
    X_train : list of str
    X_test : list of str
    y_train : ndarray of shape (58,), dtype bool
        True for a positive sentence.
    y_test : ndarray of shape (20,), dtype bool

    Examples
    --------
    >>> from sklearn_rnn.datasets import load_seed_sentiment
    >>> X_train, X_test, y_train, y_test = load_seed_sentiment()
    >>> X_train[4], bool(y_train[4])
    ('not good', False)
    """
    X_train = [text for text, _ in _SEED_TRAIN]
    X_test = [text for text, _ in _SEED_TEST]
    y_train = np.array([label for _, label in _SEED_TRAIN])
    y_test = np.array([label for _, label in _SEED_TEST])
    return X_train, X_test, y_train, y_test


def load_text_csv(path, text_column="text", label_column="sentiment"):
    """Read a (possibly gzipped) CSV file of labelled documents.

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` or ``.csv.gz`` file with a header row.
    text_column, label_column : str
        Names of the columns holding the documents and their labels.

    Returns
    -------
    texts : list of str
    labels : ndarray of shape (n_samples,), dtype object
    """
    path = str(path)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = {text_column, label_column} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(
                f"{path} has no column {sorted(missing)}; its columns are {reader.fieldnames}"
            )
        rows = [(row[text_column], row[label_column]) for row in reader]
    return [t for t, _ in rows], np.array([label for _, label in rows], dtype=object)
