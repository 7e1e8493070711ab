"""Tokenization, vocabulary, token ids and subword n-grams."""

import os
import subprocess
import sys
from contextlib import redirect_stdout
from io import StringIO

import numpy as np
from sklearn.utils import murmurhash3_32

from sklearn_rnn import RNNSentimentClassifier
from sklearn_rnn._text import build_analyzer, char_ngrams, encode, fit_encode, subword_table


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


def test_fit_encode_oov_gives_left_out_tokens_their_own_ids_in_sorted_order():
    # first occurrences of the left-out tokens: m, c, e; sorted: c, e, m
    docs = [["b", "zz", "a", "q"], ["a", "m", "b"], ["c", "q", "zz"], ["e"]]
    vocabulary, encoded, oov_tokens = fit_encode(docs, min_df=2, oov=True)
    assert vocabulary == {"a": 0, "b": 1, "q": 2, "zz": 3}
    assert oov_tokens == ["c", "e", "m"]
    np.testing.assert_array_equal(encoded.ids, [1, 3, 0, 2, 0, 7, 1, 5, 2, 3, 6])
    np.testing.assert_array_equal(encoded.starts, [0, 4, 7, 10])
    np.testing.assert_array_equal(encoded.lengths, [4, 3, 3, 1])
    # without oov, the same vocabulary, and every left-out token at the unknown id n
    plain_vocabulary, plain = fit_encode(docs, min_df=2)
    assert plain_vocabulary == vocabulary
    np.testing.assert_array_equal(plain.ids, [1, 3, 0, 2, 0, 4, 1, 4, 2, 3, 4])
    np.testing.assert_array_equal(plain.lengths, encoded.lengths)


def test_fit_encode_oov_with_max_features_max_len_and_nothing_left_out():
    docs = [["a", "a", "a", "b", "c"], ["d", "c", "b"]]
    vocabulary, encoded, oov_tokens = fit_encode(docs, max_features=2, oov=True)
    assert vocabulary == {"a": 0, "b": 1}
    assert oov_tokens == ["c", "d"]
    np.testing.assert_array_equal(encoded.ids, [0, 0, 0, 1, 3, 4, 3, 1])
    # max_len cuts first: "a" and "d" are then never seen
    vocabulary, encoded, oov_tokens = fit_encode(docs, max_len=2, min_df=2, oov=True)
    assert vocabulary == {"b": 0, "c": 1}
    assert oov_tokens == []
    np.testing.assert_array_equal(encoded.ids, [0, 1, 1, 0])
    vocabulary, encoded, oov_tokens = fit_encode(docs, oov=True)
    assert oov_tokens == []
    np.testing.assert_array_equal(encoded.ids, fit_encode(docs)[1].ids)


def test_encode_oov_gives_distinct_unknown_tokens_ids_in_first_occurrence_order():
    vocab = {"a": 0, "b": 1}
    encoded, oov_tokens = encode([["q", "a", "p"], ["q", "r", "a"], [], ["b"]], vocab,
                                 oov=True)
    assert oov_tokens == ["q", "p", "r"]
    np.testing.assert_array_equal(encoded.ids, [3, 0, 4, 3, 5, 0, 1])
    np.testing.assert_array_equal(encoded.starts, [0, 3, 6, 6])
    np.testing.assert_array_equal(encoded.lengths, [3, 3, 0, 1])
    # max_len keeps the last tokens first: "q" is then never seen
    encoded, oov_tokens = encode([["q", "a", "p"], ["q", "r", "a"]], vocab, max_len=2,
                                 oov=True)
    assert oov_tokens == ["p", "r"]
    np.testing.assert_array_equal(encoded.ids, [0, 3, 4, 0])
    # nothing unknown: the same ids as without oov
    encoded, oov_tokens = encode([["b", "a"]], vocab, oov=True)
    assert oov_tokens == []
    np.testing.assert_array_equal(encoded.ids, encode([["b", "a"]], vocab).ids)


def test_char_ngrams_of_the_bracketed_word():
    assert char_ngrams("ab", (3, 5)) == ["<ab", "ab>", "<ab>"]
    assert char_ngrams("ab", (1, 2)) == ["<", "a", "b", ">", "<a", "ab", "b>"]
    assert char_ngrams("abc", (5, 5)) == ["<abc>"]
    assert char_ngrams("a", (4, 6)) == []
    assert char_ngrams("aaa", (2, 2)) == ["<a", "aa", "aa", "a>"]


def _ngrams(word, lo, hi):
    w = "<" + word + ">"
    return [w[i : i + n] for n in range(lo, hi + 1) for i in range(len(w) - n + 1)]


def test_subword_table_reads_the_mean_of_the_own_and_the_hashed_columns():
    words, oov = ["ab", "happy", "sad"], ["zz", "happyyy"]
    n, n_buckets, ngram_range = len(words), 7, (2, 3)  # few buckets: n-grams collide
    table = subword_table(n, oov, words, ngram_range, n_buckets)
    assert table.shape == (n + 1 + len(oov), n + 1 + n_buckets)
    np.testing.assert_allclose(np.asarray(table.sum(axis=1)).ravel(), 1.0, rtol=1e-15)
    expected = np.zeros(table.shape)
    rows = [(0, "ab"), (1, "happy"), (2, "sad"), (n, None), (n, "zz"), (n, "happyyy")]
    for r, (own, word) in enumerate(rows):
        columns = [own]
        if word is not None:
            columns += [n + 1 + murmurhash3_32(g, positive=True) % n_buckets
                        for g in _ngrams(word, *ngram_range)]
        for c in columns:  # an n-gram twice (or two in one bucket) count twice
            expected[r, c] += 1.0 / len(columns)
    np.testing.assert_allclose(table.toarray(), expected, rtol=1e-14, atol=0)
    # the unknown word without n-grams is the unknown-word column alone
    np.testing.assert_array_equal(table.toarray()[n], np.eye(n + 1 + n_buckets)[n])
    # "happyyy" has "yy" twice: its bucket holds (at least) two shares of the row
    yy = n + 1 + murmurhash3_32("yy", positive=True) % n_buckets
    assert table[n + 2, yy] >= 2.0 / (1 + len(_ngrams("happyyy", 2, 3))) - 1e-15


def test_subword_table_with_the_estimators_buckets():
    table = subword_table(2, ["xyz"], ["ab", "cd"], (3, 5), 65536)
    assert table.shape == (4, 3 + 65536)
    ab = table[0]
    assert sorted(ab.indices.tolist()) == sorted(
        [0] + [3 + murmurhash3_32(g, positive=True) % 65536 for g in ["<ab", "ab>", "<ab>"]]
    )
    np.testing.assert_allclose(ab.data, 0.25)
    xyz = table[3]
    assert 2 in xyz.indices.tolist() and 0 not in xyz.indices.tolist()
    np.testing.assert_allclose(xyz.sum(), 1.0)


def test_subword_table_hashes_any_str_token():
    # a lone surrogate (from a custom tokenizer or token lists) cannot be encoded as
    # UTF-8; it once raised UnicodeEncodeError
    tokens = ["a\ud800", "\udfff", "é😀\u200d"]
    table = subword_table(0, tokens, [], (1, 2), 97)
    assert table.shape == (4, 98)
    np.testing.assert_allclose(np.asarray(table.sum(axis=1)).ravel(), 1.0, rtol=1e-15)
    emoji = table[3].indices.tolist()
    assert sorted(set(emoji)) == sorted(
        {0} | {1 + murmurhash3_32(g, positive=True) % 97 for g in _ngrams("é😀\u200d", 1, 2)}
    )


def test_estimator_takes_tokens_with_lone_surrogates():
    clf = RNNSentimentClassifier(hidden_size=4, max_iter=2, min_df=1, random_state=0)
    clf.fit([["a\ud800", "b"], ["c"], ["\udfffz", "b"]], [0, 1, 0])
    proba = clf.predict_proba([["\ud800"], ["a\ud800", "q\udc00"]])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)


_SUBWORD_CHECKSUM = """
import hashlib
from sklearn_rnn._text import fit_encode, subword_table
docs = [["good", "movie"], ["bad", "movie"], ["not", "good"], ["happyyy", "zebra"]]
vocabulary, encoded, oov = fit_encode(docs, min_df=2, oov=True)
words = sorted(vocabulary, key=vocabulary.get)
table = subword_table(len(words), oov + ["qwxz"], words, (2, 5), 65536)
digest = hashlib.sha256()
for array in (encoded.ids, table.indptr, table.indices, table.data):
    digest.update(array.tobytes())
digest.update(repr((vocabulary, oov)).encode())
print(digest.hexdigest())
"""


def test_subword_table_is_the_same_in_every_process():
    # Python's own str hash changes with PYTHONHASHSEED; the buckets must not
    namespace = {}
    with redirect_stdout(StringIO()) as out:
        exec(_SUBWORD_CHECKSUM, namespace)
    here = out.getvalue().strip()
    assert len(here) == 64
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", _SUBWORD_CHECKSUM], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == here, seed


def test_token_ids_are_intp_with_and_without_oov():
    docs = [["a", "b"], [], ["c", "a"]]
    vocabulary, encoded = fit_encode(docs, min_df=2)
    outputs = [encoded, fit_encode(docs, min_df=2, oov=True)[1], encode(docs, vocabulary),
               encode(docs, vocabulary, oov=True)[0]]
    for enc in outputs:
        for field in ("ids", "starts", "lengths"):
            assert getattr(enc, field).dtype == np.intp, field
    np.testing.assert_array_equal(outputs[3].ids, [0, 2, 3, 0])


def test_fit_encode_of_empty_documents():
    for min_df in (1, 2, 0.5):
        vocabulary, encoded = fit_encode([[], []], min_df=min_df)
        assert vocabulary == {}
        assert encoded.ids.shape == (0,)
        np.testing.assert_array_equal(encoded.lengths, [0, 0])
        np.testing.assert_array_equal(encoded.starts, [0, 0])


def test_min_df_and_max_features_boundaries():
    docs = [["a", "b", "b"], ["a", "c"], ["a", "b"]]  # document frequency a 3, b 2, c 1
    assert _vocabulary(docs, min_df=3) == {"a": 0}
    assert _vocabulary(docs, min_df=4) == {}
    assert _vocabulary(docs, min_df=2 / 3) == {"a": 0, "b": 1}  # 2 documents of 3
    # term frequency b 3, a 3, c 1: as many features as tokens keeps them all
    assert _vocabulary(docs, max_features=3) == {"a": 0, "b": 1, "c": 2}
    assert _vocabulary(docs, max_features=1) == {"a": 0}
    assert _vocabulary(docs, max_features=0) == {}


def test_max_len_boundaries():
    docs = [["a", "b", "c"], ["d"], []]
    assert encode(docs, {"a": 0, "b": 1, "c": 2, "d": 3}, max_len=3).ids.tolist() == [0, 1, 2, 3]
    assert encode(docs, {"a": 0, "b": 1, "c": 2, "d": 3}, max_len=2).ids.tolist() == [1, 2, 3]
    assert fit_encode(docs, max_len=1)[0] == {"c": 0, "d": 1}


def test_subword_table_holds_each_column_once_per_row():
    table = subword_table(1, [], ["aaaa"], (2, 2), 3)  # "aa" three times, few buckets
    assert table.has_canonical_format
    for r in range(table.shape[0]):
        row = table.indices[table.indptr[r] : table.indptr[r + 1]]
        assert len(np.unique(row)) == len(row)
