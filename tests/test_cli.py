"""``python -m sklearn_rnn fit`` and ``predict`` on small CSV files, run as a user would."""

import csv
import gzip
import re
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from sklearn_rnn._cli import SKOPS_TRUSTED_TYPES, main, parse_settings
from sklearn_rnn.datasets import load_seed_sentiment

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--set", "hidden_size=8", "--set", "max_iter=5"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _run(*args, prelude=None):
    """Run ``python -m sklearn_rnn ARGS`` from the repository root; with ``prelude``,
    run that code first and then the command line's ``main`` in the same process."""
    args = [str(a) for a in args]
    if prelude is None:
        command = [sys.executable, "-m", "sklearn_rnn", *args]
    else:
        code = (f"import sys\n{prelude}\nfrom sklearn_rnn._cli import main\n"
                f"raise SystemExit(main({args!r}))")
        command = [sys.executable, "-c", code]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=120)
    # decoded by hand: text=True would turn the "\r\n" inside a quoted field into "\n"
    result.stdout, result.stderr = result.stdout.decode(), result.stderr.decode()
    return result


def _main(args, capsys):
    """The same command line in this process (no interpreter start-up): what
    ``python -m sklearn_rnn`` would return and print."""
    try:
        status = main([str(a) for a in args])
    except SystemExit as exc:  # argparse: --help and usage errors
        status = exc.code
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, status, out, err)


def _write_csv(path, rows, header=("id", "text", "label")):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _read_output(text):
    rows = list(csv.reader(text.splitlines(keepends=True)))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The tutorial's 78 sentences with an id column; some texts need CSV quoting."""
    X_train, X_test, y_train, y_test = load_seed_sentiment()
    texts = list(X_train) + list(X_test)
    labels = ["positive" if y else "negative" for y in [*y_train, *y_test]]
    texts[0] = 'good, "really" good'
    texts[1] = "bad\nvery bad"
    texts[60] = 'i am good, said "she"\r\nand left'
    rows = [[f"r{i}", t, y] for i, (t, y) in enumerate(zip(texts, labels))]
    path = _write_csv(tmp_path_factory.mktemp("data") / "reviews.csv", rows)
    return path, rows


@pytest.fixture(scope="module")
def fitted(corpus, tmp_path_factory):
    """A model trained by ``fit`` and saved with joblib, and the fit's output."""
    path, rows = corpus
    model = tmp_path_factory.mktemp("model") / "model.joblib"
    result = _run("fit", path, "--text", "text", "--label", "label", *TINY, "--output", model)
    assert result.returncode == 0, result.stderr
    return model, result


def test_fit_reports_on_the_held_out_rows(corpus, fitted):
    path, rows = corpus
    model, result = fitted
    out, err = result.stdout, result.stderr
    assert "Traceback" not in err
    # progress per epoch on stderr, the report on stdout
    assert len(re.findall(r"^Epoch \d+: loss", err, re.M)) == 5
    assert "Epoch 1:" not in out
    assert "maximum iterations (5) reached" in err
    assert "held out: 8 rows" in out
    assert re.search(r"^\s+negative\s+\d\.\d{4}\s+\d\.\d{4}\s+\d\.\d{4}\s+4$", out, re.M)
    assert re.search(r"^\s+positive\s+\d\.\d{4}\s+\d\.\d{4}\s+\d\.\d{4}\s+4$", out, re.M)
    epochs = re.findall(r"^\s+(\d+)\s+(\d\.\d{4})(  kept)?$", out, re.M)
    assert [int(e[0]) for e in epochs] == [1, 2, 3, 4, 5]
    assert [e[2] for e in epochs] == ["", "", "", "", "  kept"]

    # the reported figures are the saved model's on the same stratified split
    clf = joblib.load(model)
    assert clf.verbose == 0 and clf.get_params()["hidden_size"] == 8
    texts, labels = [r[1] for r in rows], np.array([r[2] for r in rows], dtype=object)
    _, X_val, _, y_val = train_test_split(texts, labels, test_size=0.1, stratify=labels,
                                          random_state=0)
    assert f"held-out accuracy {clf.score(X_val, y_val):.4f}" in out
    for (_, loss, _), expected in zip(epochs, clf.loss_curve_):
        assert float(loss) == pytest.approx(expected, abs=1e-4)


def test_predict_writes_the_rows_and_their_predictions(corpus, fitted, tmp_path):
    _, rows = corpus
    model, _ = fitted
    gzipped = _write_csv(tmp_path / "new.csv.gz", rows)
    result = _run("predict", model, gzipped, "--text", "text")
    assert result.returncode == 0, result.stderr
    header, out_rows = _read_output(result.stdout)
    assert header == ["id", "text", "label", "predicted"]
    assert [r[:3] for r in out_rows] == rows  # quoted commas, quotes and newlines intact
    expected = joblib.load(model).predict([r[1] for r in rows])
    assert [r[3] for r in out_rows] == list(expected)


def test_predict_proba_columns(corpus, fitted):
    path, rows = corpus
    model, _ = fitted
    result = _run("predict", model, path, "--text", "text", "--proba")
    assert result.returncode == 0, result.stderr
    header, out_rows = _read_output(result.stdout)
    assert header == ["id", "text", "label", "predicted", "proba_negative", "proba_positive"]
    proba = np.array([[float(p) for p in r[4:]] for r in out_rows])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    clf = joblib.load(model)
    np.testing.assert_allclose(proba, clf.predict_proba([r[1] for r in rows]), atol=1e-12)
    assert [r[3] for r in out_rows] == list(clf.classes_[proba.argmax(axis=1)])


def test_skops_round_trip_trusts_exactly_the_listed_types(corpus, tmp_path, capsys):
    sio = pytest.importorskip("skops.io")
    path, rows = corpus
    model = tmp_path / "model.skops"
    fit = _main(["fit", path, "--text", "text", "--label", "label", *TINY, "--output", model],
                capsys)
    assert fit.returncode == 0, fit.stderr
    # fails if the list misses a type the model holds (or names one it does not)
    assert sorted(sio.get_untrusted_types(file=model)) == sorted(SKOPS_TRUSTED_TYPES)
    result = _run("predict", model, path, "--text", "text")
    assert result.returncode == 0, result.stderr
    _, out_rows = _read_output(result.stdout)
    clf = sio.load(model, trusted=SKOPS_TRUSTED_TYPES)
    assert [r[3] for r in out_rows] == list(clf.predict([r[1] for r in rows]))


def test_plot_saves_a_png(corpus, tmp_path):
    pytest.importorskip("matplotlib")
    path, _ = corpus
    png = tmp_path / "curves.png"
    result = _run("fit", path, "--text", "text", "--label", "label", *TINY,
                  "--set", "early_stopping=True", "--set", "validation_fraction=0.25",
                  "--output", tmp_path / "m.joblib", "--plot", png)
    assert result.returncode == 0, result.stderr
    assert "validation loss" in result.stdout and f"saved to {png}" in result.stdout
    assert png.read_bytes().startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("command", ["fit", "predict"])
def test_help(command, capsys):
    result = _main([command, "--help"], capsys)
    assert result.returncode == 0
    assert result.stdout.startswith(f"usage: python -m sklearn_rnn {command} [-h] --text")
    assert f"example:\n  python -m sklearn_rnn {command} " in result.stdout
    assert result.stderr == ""


def test_parse_settings():
    params = {"hidden_size": 64, "cell": "gru", "subword_ngrams": (3, 5),
              "early_stopping": "auto", "class_weight": None, "token_pattern": "x"}
    settings = ["hidden_size=32", "cell=lstm", "subword_ngrams=(2, 4)",
                "early_stopping=True", "class_weight={'positive': 2}", r"token_pattern=\w+"]
    assert parse_settings(settings, params) == {
        "hidden_size": 32, "cell": "lstm", "subword_ngrams": (2, 4), "early_stopping": True,
        "class_weight": {"positive": 2}, "token_pattern": r"\w+"}
    assert parse_settings(["cell='tanh'", "class_weight=None"], params) == {
        "cell": "tanh", "class_weight": None}


def _error_cases(tmp_path, corpus, model):
    """(arguments, text the one-line error must hold) for each way the input can be wrong."""
    path, rows = corpus
    one_class = _write_csv(tmp_path / "one.csv", [[r[0], r[1], "positive"] for r in rows])
    ragged = _write_csv(tmp_path / "ragged.csv", rows[:3] + [rows[3] + ["extra"]])
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("id,text,label\n1,caf\xe9,positive\n".encode("latin-1"))
    not_gzip = tmp_path / "plain.csv.gz"
    not_gzip.write_text("id,text,label\n")
    lone_class = _write_csv(tmp_path / "lone.csv", rows + [["x", "so so", "neutral"]])
    header_only = _write_csv(tmp_path / "header.csv", [])
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    not_model = tmp_path / "fake.joblib"
    not_model.write_text("not a model")
    fit = ["fit", path, "--text", "text", "--label", "label", *TINY]
    out = ["--output", tmp_path / "m.joblib"]
    return [
        (["fit", tmp_path / "missing.csv", "--text", "t", "--label", "l", *out],
         "no such file"),
        (["fit", tmp_path, "--text", "t", "--label", "l", *out], "cannot read"),
        (["fit", latin1, "--text", "text", "--label", "label", *out], "UTF-8"),
        (["fit", not_gzip, "--text", "text", "--label", "label", *out], "cannot read"),
        (["fit", ragged, "--text", "text", "--label", "label", *out], "line 6: 4 fields"),
        (["fit", path, "--text", "review", "--label", "label", *out],
         "no column 'review'; its columns are: 'id', 'text', 'label'"),
        ([*fit, "--set", "hiden_size=3", *out], "did you mean 'hidden_size'"),
        ([*fit, "--set", "hidden_size", *out], "PARAM=VALUE"),
        ([*fit, "--set", "hidden_size=0", *out], "'hidden_size' parameter"),
        ([*fit, "--set", "cell=rnn", *out], "'cell' parameter"),
        (["fit", one_class, "--text", "text", "--label", "label", *out],
         "only 'positive': at least 2 classes"),
        (["fit", header_only, "--text", "text", "--label", "label", *out], "holds no rows"),
        (["fit", empty, "--text", "text", "--label", "label", *out], "a header row is needed"),
        (["fit", lone_class, "--text", "text", "--label", "label", *out],
         "cannot hold out a stratified 0.1 of 79 rows with 3 classes (the rarest has 1 row)"),
        ([*fit, "--output", tmp_path / "model.txt"], "use a .skops, .joblib or .pkl"),
        ([*fit, "--output", tmp_path / "no" / "m.joblib"], "no such directory"),
        ([*fit, "--validation-fraction", "1", *out], "--validation-fraction"),
        (["fit", path, "--text", "text", *out], "required: --label"),
        (["predict", tmp_path / "missing.joblib", path, "--text", "text"], "no such model"),
        (["predict", not_model, path, "--text", "text"], "cannot load"),
        (["predict", model, path, "--text", "body"], "no column 'body'"),
    ]


def _assert_one_line_error(result, command, expected):
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"python -m sklearn_rnn {command}: error: ")
    assert expected in lines[0]
    assert result.stdout == ""


def test_errors_take_one_line_and_exit_2(tmp_path, corpus, fitted, capsys):
    cases = _error_cases(tmp_path, corpus, fitted[0])
    for args, expected in cases:
        _assert_one_line_error(_main(args, capsys), args[0], expected)
    # and so they do from the shell (one case: each costs an interpreter start-up)
    args, expected = next(case for case in cases if "no column 'review'" in case[1])
    _assert_one_line_error(_run(*args), args[0], expected)


@pytest.mark.parametrize("module, option, expected", [
    ("matplotlib", ["--output", "{tmp}/m.joblib", "--plot", "{tmp}/c.png"],
     "pip install matplotlib"),
    ("skops", ["--output", "{tmp}/m.skops"], "pip install skops (or use a .joblib path)"),
])
def test_missing_optional_dependency_is_reported_before_training(corpus, tmp_path, module,
                                                                 option, expected):
    path, _ = corpus
    option = [o.format(tmp=tmp_path) for o in option]
    result = _run("fit", path, "--text", "text", "--label", "label", *TINY, *option,
                  prelude=f"sys.modules[{module!r}] = None  # as if it were not installed")
    _assert_one_line_error(result, "fit", expected)
    assert not list(tmp_path.iterdir())  # nothing trained, nothing saved


# ---------------------------------------------------------------------------- explain
EXPLAIN_TEXTS = ["this is not good", "i am <b>very</b> happy", ""]
HEADER = re.compile(r"^'(.*)': (negative|positive) \(p=(\d\.\d{3})\); ([a-z ]+) of "
                    r"log P\((negative|positive)\)$")
TOKEN = re.compile(r"^  (\S+) +([-+]\d+\.\d{4})$")


def _explained(out):
    """(text, label, p, method, target, [(token, score)]) for each text of ``out``."""
    blocks = []
    for line in out.splitlines():
        header, token = HEADER.match(line), TOKEN.match(line)
        if header:
            text, label, p, method, target = header.groups()
            blocks.append((text, label, float(p), method, target, []))
        elif token:
            blocks[-1][5].append((token.group(1), float(token.group(2))))
    return blocks


def _assert_explained(out, clf, texts, **kwargs):
    from sklearn_rnn import explain_prediction

    explanations = explain_prediction(clf, texts, **kwargs)
    blocks = _explained(out)
    assert len(blocks) == len(texts)
    proba = clf.predict_proba(texts)
    for (text, label, p, method, target, scores), explanation, row, expected in zip(
            blocks, explanations, proba, texts):
        assert text == expected
        assert label == clf.classes_[row.argmax()] and p == pytest.approx(row.max(),
                                                                          abs=5e-4)
        assert method == kwargs.get("method", "integrated_gradients").replace("_", " ")
        assert target == explanation.target
        assert [tok for tok, _ in scores] == explanation.tokens
        np.testing.assert_allclose([s for _, s in scores], explanation.scores, atol=5e-5)
    return explanations


def test_explain_prints_each_token_with_its_score(fitted, capsys):
    model, _ = fitted
    result = _main(["explain", model, *EXPLAIN_TEXTS], capsys)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and "\x1b[" not in result.stdout  # no colour in a pipe
    explanations = _assert_explained(result.stdout, joblib.load(model), EXPLAIN_TEXTS)
    assert explanations[1].tokens == ["i", "am", "b", "very", "b", "happy"]
    assert "  (no tokens)" in result.stdout
    sums = re.findall(r"^  log P ([-+]\d\.\d{4}), baseline ([-+]\d\.\d{4}), scores sum to "
                      r"([-+]\d\.\d{4})$", result.stdout, re.M)
    assert len(sums) == 3
    for (log_p, baseline, total), explanation in zip(sums, explanations):
        assert float(log_p) == pytest.approx(explanation.log_proba, abs=5e-5)
        assert float(total) == pytest.approx(float(log_p) - float(baseline), abs=0.02)


def test_explain_occlusion_of_a_given_class(fitted, capsys):
    model, _ = fitted
    args = ["--method", "occlusion", "--target", "positive"]
    result = _main(["explain", model, *EXPLAIN_TEXTS, *args], capsys)
    assert result.returncode == 0, result.stderr
    _assert_explained(result.stdout, joblib.load(model), EXPLAIN_TEXTS, method="occlusion",
                      target="positive")


def test_explain_colours_scores_on_a_terminal(fitted, capsys, monkeypatch):
    model, _ = fitted
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    result = _main(["explain", model, "this is not good"], capsys)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("\x1b[")]
    assert len(lines) == 4
    for line in lines:
        colour, score = re.fullmatch(r"\x1b\[(3[14])m  \S+ +([-+][\d.]+)\x1b\[0m", line).groups()
        assert colour == ("34" if float(score) >= 0 else "31")


def test_explain_writes_one_html_page(fitted, tmp_path, capsys):
    model, _ = fitted
    page = tmp_path / "why.html"
    result = _main(["explain", model, *EXPLAIN_TEXTS, "--html", page], capsys)
    assert result.returncode == 0, result.stderr
    assert f"explanations saved to {page}" in result.stdout
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html
    assert html.rstrip().endswith("</html>")
    assert "<h3>i am &lt;b&gt;very&lt;/b&gt; happy</h3>" in html and "<b>very" not in html
    from sklearn_rnn import explain_prediction

    for explanation in explain_prediction(joblib.load(model), EXPLAIN_TEXTS):
        assert explanation.to_html() in html


def test_explain_a_skops_model(corpus, tmp_path, capsys):
    sio = pytest.importorskip("skops.io")
    path, _ = corpus
    model = tmp_path / "model.skops"
    fit = _main(["fit", path, "--text", "text", "--label", "label", *TINY, "--output", model],
                capsys)
    assert fit.returncode == 0, fit.stderr
    result = _main(["explain", model, "this is not good", "very happy"], capsys)
    assert result.returncode == 0, result.stderr
    _assert_explained(result.stdout, sio.load(model, trusted=SKOPS_TRUSTED_TYPES),
                      ["this is not good", "very happy"])


def test_explain_errors_take_one_line_and_exit_2(fitted, tmp_path, capsys):
    from sklearn.linear_model import LogisticRegression

    from sklearn_rnn import RNNSentimentClassifier

    model, _ = fitted
    numeric = tmp_path / "numeric.joblib"
    joblib.dump(RNNSentimentClassifier(hidden_size=2, max_iter=2).fit(
        np.random.default_rng(0).normal(size=(10, 3)), [0, 1] * 5), numeric)
    other = tmp_path / "other.joblib"
    joblib.dump(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), other)
    not_model = tmp_path / "fake.joblib"
    not_model.write_text("not a model")
    cases = [
        ([tmp_path / "missing.joblib", "good"], "no such model file"),
        ([not_model, "good"], "cannot load"),
        ([model, "good", "--target", "maybe"],
         "--target 'maybe' is not a class of the model; its classes are: 'negative', "
         "'positive'"),
        ([model, "good", "--html", tmp_path / "no" / "why.html"], "no such directory"),
        ([model, "good", "--method", "lime"], "argument --method: invalid choice: 'lime'"),
        ([model], "the following arguments are required: TEXT"),
        ([numeric, "good"], "was fitted on numeric sequences, but X is text"),
        ([other, "good"], "explains an RNNSentimentClassifier; got LogisticRegression"),
    ]
    for args, expected in cases:
        _assert_one_line_error(_main(["explain", *args], capsys), "explain", expected)
    assert not (tmp_path / "no").exists()


def test_explain_help(capsys):
    result = _main(["explain", "--help"], capsys)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m sklearn_rnn explain [-h] [--method M] "
                                    "[--target LABEL]")
    assert "example:\n  python -m sklearn_rnn explain model.skops " in result.stdout
    assert "integrated_gradients" in result.stdout and "occlusion" in result.stdout
