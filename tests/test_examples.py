"""The tweets examples run end to end on small corpora written on the fly."""

import csv
import gzip
import importlib.util
import re
import runpy
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _write_corpus(path, n=600, seed=0):
    rng = np.random.default_rng(seed)
    words = {"positive": ["love", "great", "thanks"], "negative": ["hate", "awful", "delay"],
             "neutral": ["flight", "today", "gate"]}
    filler = ["the", "my", "to", "at", "is"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "sentiment", "confidence"])
        for i in range(n):
            label = ["negative", "neutral", "positive"][i % 3 if i % 5 else 0]
            tokens = list(rng.choice(filler, size=4)) + list(rng.choice(words[label], size=2))
            rng.shuffle(tokens)
            writer.writerow([" ".join(tokens), label, "1.0"])


def test_tweets_early_stopping_example(tmp_path, capsys):
    data, png = tmp_path / "tweets.csv", tmp_path / "curves.png"
    _write_corpus(data)
    example = runpy.run_path(str(ROOT / "examples" / "tweets_early_stopping.py"))
    clf = example["main"]([str(data), "--png", str(png)])
    out = capsys.readouterr().out
    assert "validation loss" in out and "kept epoch" in out
    assert "precision" in out and "positive" in out
    assert clf.validation_loss_curve_ and clf.best_validation_score_ > 0.9
    if importlib.util.find_spec("matplotlib"):
        assert png.stat().st_size > 0
    else:
        assert "matplotlib is not installed" in out and not png.exists()


def _write_gzipped_corpus(path, n=300, seed=0):
    """Texts with quoted commas and newlines, sorted by label as the tweets file is."""
    rng = np.random.default_rng(seed)
    words = {"positive": ["love", "great", "thanks"], "negative": ["hate", "awful", "delay"],
             "neutral": ["flight", "today", "gate"]}
    filler = ["the", "my", "to", "at", "is"]
    rows = []
    for i in range(n):
        label = ["negative", "neutral", "positive"][i % 3]
        tokens = list(rng.choice(filler, size=3)) + list(rng.choice(words[label], size=2))
        rng.shuffle(tokens)
        text = " ".join(tokens)
        if i % 7 == 0:
            text = f'{tokens[0]}, "{tokens[1]}"\n{" ".join(tokens[2:])}'
        rows.append([text, label, "1.0"])
    rows.sort(key=lambda row: row[1])
    with gzip.open(path, "wt", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "sentiment", "confidence"])
        writer.writerows(rows)
    return rows


def test_stream_csv_reads_every_training_row_once(tmp_path):
    data = tmp_path / "tweets.csv.gz"
    rows = _write_gzipped_corpus(data, n=103)
    example = runpy.run_path(str(ROOT / "examples" / "stream_csv.py"))
    assert example["scan"](data) == (103, ["negative", "neutral", "positive"])
    for shift in (0.0, 0.5):
        streamed = example["interleaved"](data, 103, 4, shift)
        seen = [(text, label) for texts, labels in example["chunks"](streamed, 10)
                for text, label in zip(texts, labels)]
        expected = [(text, label) for i, (text, label, _) in enumerate(rows) if i % 5 != 4]
        assert sorted(seen) == sorted(expected)
        assert len(seen) == 103 - 20
        # every chunk mixes the file: the first already holds every label
        first = next(example["chunks"](example["interleaved"](data, 103, 4, shift), 10))
        assert set(first[1]) == {"negative", "neutral", "positive"}


def test_stream_csv_example(tmp_path, capsys):
    data = tmp_path / "tweets.csv.gz"
    _write_gzipped_corpus(data)
    example = runpy.run_path(str(ROOT / "examples" / "stream_csv.py"))
    clf = example["main"]([str(data), "--chunksize", "40", "--passes", "2", "--streams", "3",
                           "--hash-buckets", "256", "--hidden-size", "4",
                           "--embedding-size", "8", "--batch-size", "16",
                           "--learning-rate", "0.02", "--shuffle-buffer", "50",
                           "--tracemalloc", "--compare"])
    out = capsys.readouterr().out
    passes = re.findall(
        r"pass (\d): (\d+) partial_fit calls in [\d.]+ s, held-out accuracy (\d\.\d{4}) "
        r"\((\d+) rows\), peak RSS ([\d.]+) MB, peak allocated in the pass ([\d.]+) MB "
        r"\(tracemalloc\)", out)
    assert [p[0] for p in passes] == ["1", "2"]
    for _, calls, accuracy, n_held_out, rss, traced in passes:
        assert int(calls) == 6 and int(n_held_out) == 60  # 240 training rows, 40 a call
        assert 0.0 <= float(accuracy) <= 1.0
        assert float(traced) > 0 and float(rss) > 0
    assert float(passes[-1][2]) > 0.6  # three keyword classes: above chance
    fitted = re.search(r"in-memory fit: 240 rows, 2 epochs in [\d.]+ s, held-out accuracy "
                       r"(\d\.\d{4}) \(stream - in memory: [-+]\d+\.\d\d points\)", out)
    assert fitted and 0.0 <= float(fitted.group(1)) <= 1.0
    assert clf.n_iter_ == 12 and not hasattr(clf, "vocabulary_")


def test_stream_csv_shuffle_buffer_is_a_bounded_permutation():
    example = runpy.run_path(str(ROOT / "examples" / "stream_csv.py"))
    rng = np.random.default_rng(0)
    out = list(example["shuffled"](iter(range(100)), 10, rng))
    assert sorted(out) == list(range(100)) and out != list(range(100))
    # a row leaves at most buffer_size rows after it was read
    assert all(row <= position + 10 for position, row in enumerate(out))


def test_explain_prediction_example(tmp_path, capsys):
    png, page = tmp_path / "why.png", tmp_path / "why.html"
    example = runpy.run_path(str(ROOT / "examples" / "explain_prediction.py"))
    explained = example["main"](["--png", str(png), "--html", str(page)])
    out = capsys.readouterr().out
    assert "integrated gradients:" in out and "occlusion:" in out
    sentences = example["SENTENCES"]
    for method, explanations in explained.items():
        assert [e.tokens for e in explanations] == [s.split() for s in sentences]
        assert all(e.method == method for e in explanations)
    # the first sentence reads negative, and "not" pushed it there by both methods
    for explanations in explained.values():
        first = explanations[0]
        assert not first.target and first.tokens[int(first.scores.argmax())] == "not"
    lines = re.findall(r"^  negative i ([-+]\d+\.\d\d) .* sum ([-+]\d+\.\d{3})\)$", out, re.M)
    assert len(lines) == 4  # two negative sentences by each method
    html = page.read_text(encoding="utf-8")
    assert html.count('class="sklearn-rnn-explanation"') == 2 * len(sentences)
    if importlib.util.find_spec("matplotlib"):
        assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    else:
        assert "matplotlib is not installed" in out and not png.exists()
