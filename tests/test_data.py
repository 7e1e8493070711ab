"""Tests of ``sklearn_rnn._data``: what counts as text, packing a corpus, batching."""

import re

import numpy as np
import pytest

from sklearn_rnn import _data
from sklearn_rnn._data import (
    Sequences,
    TextInput,
    distinct_samples,
    epoch_batches,
    predict_chunks,
    text_input,
)
from sklearn_rnn._text import TokenIds


def _analyzer():
    return str.split


def _token_ids(docs):
    """A TokenIds corpus of lists of ints."""
    lengths = np.array([len(d) for d in docs], dtype=np.intp)
    starts = np.zeros(len(docs), dtype=np.intp)
    np.cumsum(lengths[:-1], out=starts[1:])
    ids = np.array([i for d in docs for i in d], dtype=np.intp)
    return TokenIds(ids, starts, lengths)


def _unpack_text(batch):
    """The id sequences of a packed text batch, in the order given to the packer."""
    rows = [[] for _ in batch.order]
    for t, size in enumerate(batch.batch_sizes):
        for r in range(size):
            rows[r].append(int(batch.ids[batch.offsets[t] + r]))
    out = [None] * len(rows)
    for r, position in enumerate(batch.order):
        out[position] = rows[r]
    return out


# ------------------------------------------------------------------ text_input
def test_documents_are_tokenized_on_demand_by_the_analyzer():
    calls = []

    def factory():
        calls.append(1)
        return str.split

    text = text_input(["a b", "c", ""], factory)
    assert isinstance(text, TextInput)
    assert len(calls) == 1
    assert len(text) == 3
    assert text.tokens() == [["a", "b"], ["c"], []]
    assert text.tokens(1) == [["c"], []]
    assert text.tokens(0, 1) == [["a", "b"]]


def test_token_lists_are_taken_as_they_are_without_an_analyzer():
    def factory():
        raise AssertionError("token lists need no analyzer")

    text = text_input([["a", "b"], [], ("c",)], factory)
    assert text.analyzer is None
    assert len(text) == 3
    assert text.tokens() == [["a", "b"], [], ["c"]]
    assert text.tokens(1, 2) == [[]]


def test_token_lists_skip_missing_tokens_and_stringify_the_others():
    text = text_input([["a", None, 3, float("nan"), 1.5], ["b"]], _analyzer)
    assert text.tokens() == [["a", "3", "1.5"], ["b"]]


def test_a_single_string_is_rejected():
    for X in ("a document", b"a document"):
        message = "Iterable over raw text documents expected, string object received."
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            text_input(X, _analyzer)


def test_a_mapping_is_rejected_naming_its_type():
    message = ("X is a dict; pass documents (a list or 1-D array of str) or numeric "
               "sequences (a 2-D or 3-D array).")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        text_input({"a": 1}, _analyzer)


def test_a_tuple_and_an_array_of_documents_are_text():
    for X in (("x y", "z"), np.array(["x y", "z"]), np.array(["x y", "z"], dtype=object)):
        text = text_input(X, _analyzer)
        assert text.tokens() == [["x", "y"], ["z"]]


def test_one_document_is_a_corpus_of_one():
    assert text_input(["only one"], _analyzer).tokens() == [["only", "one"]]
    assert text_input([["only", "one"]], _analyzer).tokens() == [["only", "one"]]


def test_a_generator_of_documents_is_text():
    text = text_input((doc for doc in ["x y", "z"]), _analyzer)
    assert text.tokens() == [["x", "y"], ["z"]]


def test_an_empty_list_is_an_empty_corpus_of_token_lists():
    text = text_input([], _analyzer)
    assert isinstance(text, TextInput)
    assert len(text) == 0
    assert text.tokens() == []


@pytest.mark.parametrize("X", [
    np.zeros((2, 3, 1)),
    np.zeros((2, 3)),
    [[1.0, 2.0], [3.0, 4.0]],
    [[1, 2], [3]],
    np.array(["1", "2.5"], dtype=object).reshape(1, 2),
    42,
])
def test_numeric_input_is_left_to_validate_data(X):
    assert text_input(X, _analyzer) is None


def test_sparse_input_is_left_to_validate_data():
    sp = pytest.importorskip("scipy.sparse")
    assert text_input(sp.csr_matrix(np.eye(2)), _analyzer) is None


def _document_error(what):
    return f"^{re.escape(what)}: every document must be a str \\(use '' for an empty document\\)\\.$"


def test_a_document_that_is_not_a_string_is_named_with_its_index():
    with pytest.raises(ValueError, match=_document_error("X[1] is None")):
        text_input(["a", None, "b"], _analyzer)
    with pytest.raises(ValueError, match=_document_error("X[2] is int 7")):
        text_input(["a", "b", 7], _analyzer)
    # a long value is cut to the first 40 characters of its repr
    with pytest.raises(ValueError, match=_document_error("X[1] is list " + repr(list(range(30)))[:40])):
        text_input(["a", list(range(30))], _analyzer)


@pytest.mark.parametrize("X", [
    [b"a b", "c d"],
    np.array([b"a b", b"c d"]),
    np.array([b"a b", "c d"], dtype=object),
    np.array([[b"a b"], [b"c d"]]),
])
def test_bytes_documents_are_read_as_utf8(X):
    text = text_input(X, _analyzer)
    assert text.token_lists is None  # documents, for the analyzer
    assert text.tokens() == [["a", "b"], ["c", "d"]]
    assert all(type(tok) is str for doc in text.tokens() for tok in doc)


def test_bytes_tokens_are_read_as_utf8():
    assert text_input([[b"caf\xc3\xa9", "au"], [b"lait"]], _analyzer).tokens() == [
        ["café", "au"], ["lait"]]
    rows = np.array([[b"caf\xc3\xa9", b"au", b"lait"]])
    assert text_input(rows, _analyzer).tokens() == [["café", "au", "lait"]]


def test_bytes_not_in_utf8_are_named_with_their_index():
    for X in (["a", b"b", b"\xe9t\xe9"], np.array([b"a", b"b", b"\xe9t\xe9"]),
              [["a"], [], [b"\xe9t\xe9"]]):
        with pytest.raises(ValueError, match=r"^X\[2\] is not valid UTF-8: 'utf-8' codec "
                                             r"can't decode byte 0xe9 in position 0"):
            text_input(X, _analyzer)


def test_lists_without_tokens_are_text_only_for_a_model_fitted_on_text():
    for X in ([[]], [[], ()]):
        assert text_input(X, _analyzer) is None
        text = text_input(X, _analyzer, fitted_on_text=True)
        assert text.analyzer is None
        assert text.tokens() == [[]] * len(X)
    # a token list holding no str is numbers still
    assert text_input([[1.0], [2.0]], _analyzer, fitted_on_text=True) is None


def test_one_column_of_documents_is_text():
    X = np.array([["good day"], ["bad"]], dtype=object)
    text = text_input(X, _analyzer)
    assert text.tokens() == [["good", "day"], ["bad"]]


def test_rows_of_tokens_are_token_lists_without_missing_values():
    X = np.array([["a", "b", None], ["c", float("nan"), "d"]], dtype=object)
    text = text_input(X, _analyzer)
    assert text.analyzer is None
    assert text.tokens() == [["a", "b"], ["c", "d"]]


def test_a_dataframe_of_numbers_is_numeric_and_one_of_text_is_text():
    pd = pytest.importorskip("pandas")
    assert text_input(pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]}), _analyzer) is None
    # numbers with a missing value (which NumPy cannot make float) are numbers still
    missing = pd.DataFrame({"a": pd.array([1, None], dtype="Int64"), "b": [0.5, 1.5]})
    assert text_input(missing, _analyzer) is None
    text = text_input(pd.DataFrame({"doc": ["a b", "c"]}), _analyzer)
    assert text.tokens() == [["a", "b"], ["c"]]
    # a text column among numbers: every row is a list of tokens
    text = text_input(pd.DataFrame({"w": ["good", "bad"], "n": [1, 2]}), _analyzer)
    assert text.analyzer is None
    assert text.tokens() == [["good", "1"], ["bad", "2"]]
    # a Series is a 1-D column of documents
    text = text_input(pd.Series(["a b", "c"]), _analyzer)
    assert text.tokens() == [["a", "b"], ["c"]]


# ------------------------------------------------------------------ Sequences
def test_sequences_of_token_ids_pack_each_batch_as_its_sequences():
    docs = [[1, 2, 3], [], [4], [5, 6]]
    seqs = Sequences(_token_ids(docs))
    assert seqs.text
    assert len(seqs) == 4
    np.testing.assert_array_equal(seqs.lengths, [3, 0, 1, 2])
    assert seqs.n_tokens == 6
    batches = [np.array([0, 3]), np.array([1, 2]), np.array([2, 0, 1])]
    packed = seqs.pack_all(batches)
    assert len(packed) == len(batches)
    for index, batch in zip(batches, packed):
        assert _unpack_text(batch) == [docs[i] for i in index]
        one = seqs.pack(index)
        assert _unpack_text(one) == [docs[i] for i in index]
        np.testing.assert_array_equal(batch.ids, one.ids)
        assert batch.batch_sizes == one.batch_sizes


def test_random_windows_are_uniform_slices_of_the_longer_sequences_only():
    starts, lengths = np.array([0, 3, 10, 16]), np.array([3, 7, 6, 0])
    rng = np.random.RandomState(0)
    seen = set()
    for _ in range(200):
        s, n = _data.random_windows(starts, lengths, 5, rng)
        np.testing.assert_array_equal(n, [3, 5, 5, 0])
        assert s[0] == 0 and s[3] == 16  # the short and empty ones as they are
        assert 3 <= s[1] <= 3 + 7 - 5 and 10 <= s[2] <= 10 + 6 - 5
        seen.add((int(s[1]) - 3, int(s[2]) - 10))
    assert seen == {(a, b) for a in range(3) for b in range(2)}  # every placement drawn
    np.testing.assert_array_equal(starts, [0, 3, 10, 16])  # the inputs left as they are
    state = rng.get_state()[1].copy()
    s, n = _data.random_windows(starts, lengths, 7, rng)
    assert s is starts and n is lengths
    np.testing.assert_array_equal(rng.get_state()[1], state)  # nothing drawn


def test_pack_all_reads_a_window_of_the_longer_documents():
    docs = [[1, 2, 3, 4, 5, 6], [7, 8], [9, 10, 11, 12]]
    seqs = Sequences(_token_ids(docs))
    batches = [np.array([0, 1]), np.array([2, 0])]
    windows = set()
    for seed in range(30):
        packed = seqs.pack_all(batches, window=3, rng=np.random.RandomState(seed))
        rows = [row for batch in packed for row in _unpack_text(batch)]
        assert [len(r) for r in rows] == [3, 2, 3, 3]
        assert rows[1] == [7, 8]
        for doc, row in zip([0, 2, 0], [rows[0], rows[2], rows[3]]):
            text = docs[doc]
            assert any(text[k : k + 3] == row for k in range(len(text) - 2)), row
        windows.add(tuple(rows[0]))
    assert len(windows) == 4  # each of the 4 placements in the first document
    # without a window, whole documents
    assert _unpack_text(seqs.pack_all(batches)[0]) == [docs[0], docs[1]]


def test_sequences_subset_keeps_the_table():
    table = object()
    seqs = Sequences(_token_ids([[1], [2, 3], [4]]), table)
    sub = seqs.subset(np.array([2, 1]))
    assert sub.table is table
    assert len(sub) == 2
    np.testing.assert_array_equal(sub.lengths, [1, 2])
    assert _unpack_text(sub.pack(np.arange(2))) == [[4], [2, 3]]


def test_numeric_sequences_have_the_length_of_their_steps():
    X = np.arange(2 * 3 * 2, dtype=np.float64).reshape(2, 3, 2)
    seqs = Sequences(X)
    assert not seqs.text
    assert len(seqs) == 2
    lengths = seqs.lengths
    np.testing.assert_array_equal(lengths, [3, 3])
    assert lengths.dtype == np.intp
    assert seqs.n_tokens == 6
    np.testing.assert_array_equal(seqs.subset(np.array([1])).data, X[1:])
    batches = seqs.pack_all([np.array([1]), np.array([0, 1])])
    assert len(batches) == 2
    np.testing.assert_array_equal(batches[0].X, X[1])
    np.testing.assert_array_equal(batches[1].X, X.transpose(1, 0, 2).reshape(6, 2))


# ----------------------------------------------------------- distinct samples
def test_distinct_samples_merges_duplicates_drops_zero_weights_and_sorts():
    docs = [[2, 1], [1], [2, 1], [3], [1], [2, 1]]
    y = np.array([0, 1, 0, 1, 1, 1])
    w = np.array([1.0, 2.0, 0.5, 0.0, 1.0, 3.0])
    seqs, y_c, w_c = distinct_samples(Sequences(_token_ids(docs), "table"), y, w)
    assert seqs.table == "table"
    assert _unpack_text(seqs.pack(np.arange(len(seqs)))) == [[1], [2, 1], [2, 1]]
    np.testing.assert_array_equal(y_c, [1, 0, 1])
    np.testing.assert_array_equal(w_c, [3.0, 1.5, 3.0])
    assert y_c.dtype == np.intp and w_c.dtype == np.float64
    for field in ("ids", "starts", "lengths"):
        assert getattr(seqs.data, field).dtype == np.intp, field


def test_distinct_samples_does_not_depend_on_the_order_of_the_samples():
    docs = [[2, 1], [], [1], [2, 1], [4, 4, 4]]
    y = np.array([0, 1, 1, 0, 1])
    w = np.array([1.0, 2.0, 0.5, 0.25, 1.0])
    a = distinct_samples(Sequences(_token_ids(docs)), y, w)
    perm = [3, 0, 4, 1, 2]
    b = distinct_samples(Sequences(_token_ids([docs[i] for i in perm])), y[perm], w[perm])
    for x, z in zip(a[0].data, b[0].data):
        np.testing.assert_array_equal(x, z)
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[2], b[2])
    assert _unpack_text(a[0].pack(np.arange(4))) == [[], [1], [2, 1], [4, 4, 4]]
    np.testing.assert_array_equal(a[2], [2.0, 0.5, 1.25, 1.0])


def test_distinct_samples_numeric_merges_identical_sequences():
    X = np.array([[[1.0], [2.0]], [[0.0], [1.0]], [[1.0], [2.0]], [[1.0], [2.0]]],
                 dtype=np.float32)
    y = np.array([1, 0, 1, 0])
    w = np.array([1.0, 1.0, 2.0, 0.0])
    seqs, y_c, w_c = distinct_samples(Sequences(X), y, w)
    assert seqs.data.dtype == np.float32
    np.testing.assert_array_equal(seqs.data, [[[0.0], [1.0]], [[1.0], [2.0]]])
    np.testing.assert_array_equal(y_c, [0, 1])
    assert y_c.dtype == np.intp
    np.testing.assert_array_equal(w_c, [1.0, 3.0])


# ------------------------------------------------------------------ batches
def test_epoch_batches_in_order_without_shuffle():
    rng = np.random.RandomState(0)
    lengths = np.array([5, 1, 3, 2, 4])
    batches = epoch_batches(lengths, 2, False, False, rng)
    assert [b.tolist() for b in batches] == [[0, 1], [2, 3], [4]]


def test_epoch_batches_bucket_by_length_within_a_group(monkeypatch):
    monkeypatch.setattr(_data, "BUCKET_BATCHES", 3)
    lengths = np.array([5, 1, 3, 2, 4, 0, 7, 0])
    batches = epoch_batches(lengths, 2, True, False, np.random.RandomState(0))
    # groups of 3 batches x 2 sequences, each sorted by length: the short sequence 7
    # stays in the second group
    assert [b.tolist() for b in batches] == [[5, 1], [3, 2], [4, 0], [7, 6]]


def test_epoch_batches_bucket_keeps_the_order_of_equal_lengths():
    lengths = np.arange(40) % 2
    batches = epoch_batches(lengths, 4, True, False, np.random.RandomState(0))
    expected = list(range(0, 40, 2)) + list(range(1, 40, 2))
    assert np.concatenate(batches).tolist() == expected


def test_epoch_batches_shuffle_covers_every_sample_once():
    lengths = np.arange(23) % 5
    for bucket in (False, True):
        batches = epoch_batches(lengths, 4, bucket, True, np.random.RandomState(3))
        assert sorted(np.concatenate(batches).tolist()) == list(range(23))
        assert [len(b) for b in batches].count(3) == 1
        assert np.concatenate(batches).tolist() != list(range(23))


def test_epoch_batches_shuffle_without_bucket_is_one_permutation_cut_in_order():
    lengths = np.arange(23) % 5
    batches = epoch_batches(lengths, 4, False, True, np.random.RandomState(3))
    assert [len(b) for b in batches] == [4, 4, 4, 4, 4, 3]
    np.testing.assert_array_equal(np.concatenate(batches),
                                  np.random.RandomState(3).permutation(23))


def test_epoch_batches_shuffle_with_bucket_shuffles_the_sorted_batches():
    lengths = np.arange(200) % 7
    batches = epoch_batches(lengths, 10, True, True, np.random.RandomState(0))
    # one group (under 50 batches): sorted by length, cut, then the batches shuffled
    for b in batches:
        assert np.all(np.diff(lengths[b]) >= 0)
    assert sorted(np.concatenate(batches).tolist()) == list(range(200))
    firsts = [lengths[b[0]] for b in batches]
    assert firsts != sorted(firsts)


def test_predict_chunks_cover_every_sequence_by_length(monkeypatch):
    monkeypatch.setattr(_data, "PREDICT_ROWS", 3)
    monkeypatch.setattr(_data, "PREDICT_TOKENS", 10)
    lengths = np.array([4, 1, 6, 0, 2, 3, 30, 1])
    chunks = [c.tolist() for c in predict_chunks(lengths)]
    # sorted by length (stable): 3, 1, 7, 4, 5, 0, 2, 6
    assert chunks == [[3, 1, 7], [4, 5, 0], [2], [6]]


def test_predict_chunks_hold_at_most_the_token_budget(monkeypatch):
    monkeypatch.setattr(_data, "PREDICT_ROWS", 100)
    monkeypatch.setattr(_data, "PREDICT_TOKENS", 5)
    lengths = np.array([2, 2, 2, 3, 9, 1])
    chunks = [c.tolist() for c in predict_chunks(lengths)]
    # sorted: 5 (1), 0 (2), 1 (2), 2 (2), 3 (3), 4 (9): 1 + 2 + 2 <= 5, 2 + 3 <= 5, 9 alone
    assert chunks == [[5, 0, 1], [2, 3], [4]]


def test_predict_chunks_fill_the_token_budget_exactly(monkeypatch):
    monkeypatch.setattr(_data, "PREDICT_ROWS", 100)
    monkeypatch.setattr(_data, "PREDICT_TOKENS", 5)
    chunks = [c.tolist() for c in predict_chunks(np.ones(7, dtype=np.intp))]
    assert chunks == [[0, 1, 2, 3, 4], [5, 6]]


def test_predict_chunks_keep_the_order_of_equal_lengths():
    lengths = np.arange(40) % 2
    chunks = list(predict_chunks(lengths))
    assert len(chunks) == 1
    assert chunks[0].tolist() == list(range(0, 40, 2)) + list(range(1, 40, 2))


def test_predict_chunks_of_no_sequences():
    assert list(predict_chunks(np.zeros(0, dtype=np.intp))) == []
