"""The tweets example runs end to end on a small corpus written on the fly."""

import csv
import importlib.util
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
