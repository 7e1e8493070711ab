"""Tokenization, vocabulary and token ids."""

import numpy as np

from sklearn_rnn._text import build_analyzer, encode, fit_encode


def test_default_analyzer_keeps_one_letter_words_and_order():
    analyzer = build_analyzer()
    assert analyzer("I am a Happy cat, I") == ["i", "am", "a", "happy", "cat", "i"]


def test_analyzer_agrees_with_count_vectorizer():
    from sklearn.feature_extraction.text import CountVectorizer

    docs = ["Héllo, WORLD!! it's a test_case 42", "", "  tabs\tand\nnewlines  ", "ÀÉÎ õü"]
    ours_default = r"(?u)\b\w+\b"
    for options in ({"token_pattern": ours_default},
                    {"lowercase": False, "token_pattern": ours_default},
                    {"token_pattern": r"\S+"}, {"tokenizer": str.split}):
        ours = build_analyzer(**options)
        theirs = CountVectorizer(**options).build_analyzer()
        for doc in docs:
            assert ours(doc) == theirs(doc)


def test_analyzer_options():
    assert build_analyzer(lowercase=False)("I am") == ["I", "am"]
    assert build_analyzer(token_pattern=r"\b\w\w+\b")("i am a cat") == ["am", "cat"]
    assert build_analyzer(tokenizer=str.split)("Not-bad at all") == ["not-bad", "at", "all"]


def _vocabulary(docs, **kwargs):
    return fit_encode(docs, **kwargs)[0]


def test_vocabulary_is_sorted_and_deterministic():
    docs = [["b", "a", "c"], ["c", "d"]]
    assert _vocabulary(docs) == {"a": 0, "b": 1, "c": 2, "d": 3}
    assert _vocabulary(docs[::-1]) == _vocabulary(docs)


def test_min_df_counts_documents():
    docs = [["a", "a", "b"], ["b", "c"], ["b", "c"]]
    assert _vocabulary(docs, min_df=2) == {"b": 0, "c": 1}
    assert _vocabulary(docs, min_df=0.9) == {"b": 0}
    assert _vocabulary(docs, min_df=1.0) == {"b": 0}


def test_max_features_keeps_the_most_frequent_ties_alphabetical():
    docs = [["a", "a", "a", "b", "c"], ["d", "c", "b"]]
    assert _vocabulary(docs, max_features=2) == {"a": 0, "b": 1}
    assert _vocabulary(docs, max_features=3) == {"a": 0, "b": 1, "c": 2}


def test_fit_encode_agrees_with_count_vectorizer_and_encode():
    from sklearn.feature_extraction.text import CountVectorizer

    rng = np.random.default_rng(0)
    # word i occurs 41 - i times: no ties in frequency, so max_features has one answer
    # (CountVectorizer leaves the order of ties to NumPy's sort)
    tokens = [f"w{i}" for i in range(40) for _ in range(41 - i)]
    rng.shuffle(tokens)
    cuts = np.sort(rng.choice(len(tokens), size=59, replace=False))
    docs = [list(part) for part in np.split(np.array(tokens), cuts)]
    for options in ({}, {"min_df": 3}, {"min_df": 0.1}, {"max_features": 7}):
        vocabulary, encoded = fit_encode(docs, **options)
        cv = CountVectorizer(analyzer=lambda d: d, **options).fit(docs)
        assert vocabulary == cv.vocabulary_
        again = encode(docs, vocabulary)
        for field in ("ids", "starts", "lengths"):
            np.testing.assert_array_equal(getattr(encoded, field), getattr(again, field))


def test_max_len_applies_before_counting():
    vocabulary, encoded = fit_encode([["a", "b", "c"], ["c"]], max_len=1)
    assert vocabulary == {"c": 0}
    np.testing.assert_array_equal(encoded.ids, [0, 0])


def test_encode_unknown_and_empty_and_max_len():
    vocab = {"a": 0, "b": 1}
    enc = encode([["a", "zz", "b"], [], ["b"]], vocab)
    np.testing.assert_array_equal(enc.ids, [0, 2, 1, 1])
    np.testing.assert_array_equal(enc.starts, [0, 3, 3])
    np.testing.assert_array_equal(enc.lengths, [3, 0, 1])
    enc = encode([["a", "b", "a", "zz"], ["b"]], vocab, max_len=2)
    np.testing.assert_array_equal(enc.ids, [0, 2, 1])
    np.testing.assert_array_equal(enc.lengths, [2, 1])
    sub = enc.subset(np.array([1]))
    np.testing.assert_array_equal(sub.ids[sub.starts[0] : sub.starts[0] + sub.lengths[0]], [1])
