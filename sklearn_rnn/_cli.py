"""The command line: the tutorial's demo, ``fit`` / ``predict`` on CSV files, ``explain``.

``python -m sklearn_rnn`` trains on the tutorial's sentences and reports;
``python -m sklearn_rnn fit`` trains on a CSV file and saves the model;
``python -m sklearn_rnn predict`` writes a CSV file's rows with their predictions;
``python -m sklearn_rnn explain`` scores each token of a few texts (see ``_explain.py``).
Problems with the input (paths, columns, parameters, labels) are reported on one line
of standard error, with exit status 2.
"""

import argparse
import ast
import contextlib
import csv
import difflib
import gzip
import html
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from . import RNNSentimentClassifier, __version__, explain_prediction
from ._explain import METHODS
from .datasets import load_seed_sentiment

PROG = "python -m sklearn_rnn"

# The types outside skops' defaults that a fitted RNNSentimentClassifier holds, as
# skops.io.get_untrusted_types names them: what `predict` trusts when it loads a .skops
# file. They are the package's own.
SKOPS_TRUSTED_TYPES = [
    "sklearn_rnn._classifier.RNNSentimentClassifier",
    "sklearn_rnn._rnn.Arch",
]

# model file extension -> library that writes and reads it
MODEL_FORMATS = {".skops": "skops", ".joblib": "joblib", ".pkl": "joblib"}

DEMO_EXAMPLES = [
    "i am very happy",
    "this is not good",
    "i was not sad earlier",
    "this is terrible",  # "terrible" never occurs in training: an unseen word
    "",
]

class CommandError(Exception):
    """A problem with a command's input, reported on one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors take one line, as the command's own do."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def main(argv=None):
    """Run the command line.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments after ``python -m sklearn_rnn``; None reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 2 when the input is at fault (the reason is on standard error).
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return demo(args.random_state, args.hash_buckets)
    try:
        return args.run(args)
    except CommandError as exc:
        print(f"{PROG} {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG} {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `... predict ... | head`: the reader left
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _build_parser():
    parser = _Parser(
        prog=PROG,
        description=(
            "Without a command: train the RNN sentiment classifier on the tutorial's "
            "data and report. With 'fit' or 'predict': train on, or predict, the "
            "documents of a CSV file. With 'explain': which words pushed a model's "
            "predictions of a few texts."
        ),
        epilog=f"'{PROG} COMMAND --help' describes each command.",
    )
    parser.add_argument("--random-state", type=int, default=1, metavar="N",
                        help="seed of the tutorial demo (default: %(default)s)")
    parser.add_argument("--hash-buckets", type=int, default=None, metavar="N",
                        help="the tutorial demo hashes words into N columns instead of "
                             "learning a vocabulary")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND",
                                     title="commands")

    fit = commands.add_parser(
        "fit", prog=f"{PROG} fit",
        help="train on a CSV file, report on a held-out part, save the model",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Train an RNNSentimentClassifier on the documents of a CSV file (or .csv.gz)\n"
            "with a header row. A stratified part of the rows is held out: the report on\n"
            "standard output gives its accuracy, the per-class precision and recall, and\n"
            "the loss per epoch (and the validation loss, when early stopping ran).\n"
            "Progress per epoch goes to standard error. The model saved is the one\n"
            "reported on."
        ),
        epilog=(
            "example:\n"
            f"  {PROG} fit reviews.csv --text text --label sentiment \\\n"
            "      --set hidden_size=32 --set cell=lstm --output model.skops --plot curves.png"
        ),
    )
    fit.add_argument("data", metavar="DATA.csv", help="CSV file (or .csv.gz) with a header row")
    fit.add_argument("--text", required=True, metavar="COLUMN",
                     help="name of the column holding the documents")
    fit.add_argument("--label", required=True, metavar="COLUMN",
                     help="name of the column holding the labels (at least 2 classes)")
    fit.add_argument("--set", action="append", default=[], metavar="PARAM=VALUE",
                     help="an estimator parameter, repeatable: the value is read as a "
                          "Python literal (hidden_size=32, early_stopping=True, "
                          "'subword_ngrams=(3,5)' quoted for the shell) or else taken "
                          "as a string (cell=lstm)")
    fit.add_argument("--output", required=True, metavar="MODEL",
                     help="where to save the model: .skops (secure loading, needs "
                          "'pip install skops'), .joblib or .pkl")
    fit.add_argument("--plot", metavar="PNG",
                     help="save the learning curves as a PNG (needs matplotlib)")
    fit.add_argument("--validation-fraction", type=float, default=0.1, metavar="F",
                     help="stratified share of the rows held out for the report, in "
                          "[0, 1); 0 trains on all rows (default: %(default)s)")
    fit.add_argument("--random-state", type=int, default=0, metavar="N", dest="seed",
                     help="seeds the held-out split and the estimator, unless "
                          "--set random_state=... is given (default: %(default)s)")
    fit.set_defaults(run=fit_command)

    predict = commands.add_parser(
        "predict", prog=f"{PROG} predict",
        help="write a CSV file's rows with their predicted labels",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Load a model saved by 'fit' and write the rows of a CSV file (or .csv.gz)\n"
            "to standard output as CSV: all their columns, in the same order, then a\n"
            "'predicted' column. A .skops model is loaded trusting only the types an\n"
            "RNNSentimentClassifier holds; load .joblib and .pkl files only from sources\n"
            "you trust, as unpickling can run code."
        ),
        epilog=(
            "example:\n"
            f"  {PROG} predict model.skops new_reviews.csv --text text --proba > out.csv"
        ),
    )
    predict.add_argument("model", metavar="MODEL", help="a .skops, .joblib or .pkl model")
    predict.add_argument("data", metavar="DATA.csv",
                         help="CSV file (or .csv.gz) with a header row")
    predict.add_argument("--text", required=True, metavar="COLUMN",
                         help="name of the column holding the documents")
    predict.add_argument("--proba", action="store_true",
                         help="also write one proba_<class> column per class")
    predict.set_defaults(run=predict_command)

    explain = commands.add_parser(
        "explain", prog=f"{PROG} explain",
        help="score each word of a few texts by how much it pushed the prediction",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Load a model saved by 'fit' and explain its prediction of each TEXT: the\n"
            "predicted label and its probability, then every token as the model read it\n"
            "with its score, in units of the log-probability of the explained class\n"
            "(positive: the token raised it). Integrated gradients (the default) gives\n"
            "scores that add up to the log-probability less that of the baseline (the\n"
            "same text with every input vector zero); occlusion scores a token by the\n"
            "log-probability lost when it is left out."
        ),
        epilog=(
            "example:\n"
            f"  {PROG} explain model.skops 'not bad at all' 'the delay was awful' "
            "--html why.html"
        ),
    )
    explain.add_argument("model", metavar="MODEL", help="a .skops, .joblib or .pkl model")
    explain.add_argument("texts", nargs="+", metavar="TEXT", help="a document to explain")
    explain.add_argument("--method", choices=METHODS, default=METHODS[0], metavar="M",
                         help=f"how the scores are computed: {' or '.join(METHODS)} "
                              "(default: %(default)s)")
    explain.add_argument("--target", metavar="LABEL",
                         help="explain the probability of this class (default: each "
                              "text's predicted class)")
    explain.add_argument("--html", metavar="PATH",
                         help="also write one standalone HTML page showing every text "
                              "with its tokens shaded by their scores")
    explain.set_defaults(run=explain_command)
    return parser


def demo(random_state=1, hash_buckets=None):
    """Train on the tutorial's sentences and print a report."""
    X_train, X_test, y_train, y_test = load_seed_sentiment()
    clf = RNNSentimentClassifier(random_state=random_state, hash_buckets=hash_buckets)
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    seconds = time.perf_counter() - start

    if hash_buckets is None:
        known = clf.vocabulary_
        words = f"vocabulary of {len(known)} words"
    else:  # no vocabulary: every training word has a hashed column
        known = {w for doc in X_train for w in doc.split()}
        words = f"{len(known)} words hashed into {hash_buckets} columns"
    print(f"sklearn_rnn {__version__}: {clf}")
    print(f"trained on {len(X_train)} sentences in {seconds:.3f} s ({clf.n_iter_} epochs, "
          f"final loss {clf.loss_:.4f}, {words})")
    print(f"train accuracy {clf.score(X_train, y_train):.3f}")
    print(f"test accuracy  {clf.score(X_test, y_test):.3f} ({len(X_test)} sentences)")
    print("predictions:")
    for text, label, proba in zip(DEMO_EXAMPLES, clf.predict(DEMO_EXAMPLES),
                                  clf.predict_proba(DEMO_EXAMPLES)):
        unseen = [w for w in text.split() if w not in known]
        note = f"  (unseen: {', '.join(unseen)})" if unseen else ""
        shown = repr(text) if text else "'' (empty)"
        print(f"  {shown:<26} -> {'positive' if label else 'negative'} "
              f"(p={proba.max():.3f}){note}")
    return 0


def fit_command(args):
    """``fit``: check every input, train, report, save the model (and the plot)."""
    model_format = _model_format(args.output)
    _check_writable(args.output, "--output")
    if model_format == "skops":
        _import_skops()
    pyplot = None
    if args.plot is not None:
        _check_writable(args.plot, "--plot")
        pyplot = _import_pyplot()
    fraction = args.validation_fraction
    if not 0 <= fraction < 1:
        raise CommandError(f"--validation-fraction must be in [0, 1); got {fraction:g}")
    clf = RNNSentimentClassifier(verbose=1, random_state=args.seed)
    settings = parse_settings(args.set, clf.get_params())
    clf.set_params(**settings)
    try:
        clf._validate_params()
    except ValueError as exc:
        raise CommandError(exc) from None

    header, rows = read_csv(args.data, required=(args.text, args.label),
                            nonempty=(args.label,))
    i_text, i_label = header.index(args.text), header.index(args.label)
    texts = [row[i_text] for row in rows]
    labels = np.array([row[i_label] for row in rows], dtype=object)
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) < 2:
        found = f"only {classes[0]!r}" if len(classes) else "no rows"
        raise CommandError(f"column {args.label!r} of {args.data} holds {found}: "
                           "at least 2 classes are needed")
    X_train, y_train, X_val, y_val = texts, labels, None, None
    if fraction > 0:
        from sklearn.model_selection import train_test_split

        try:
            X_train, X_val, y_train, y_val = train_test_split(
                texts, labels, test_size=fraction, stratify=labels, random_state=args.seed)
        except ValueError as exc:
            raise CommandError(
                f"cannot hold out a stratified {fraction:g} of {len(texts)} rows with "
                f"{len(classes)} classes (the rarest has {counts.min()} "
                f"row{'s' if counts.min() > 1 else ''}): {exc} "
                "Use --validation-fraction 0 to train on all rows."
            ) from None

    start = time.perf_counter()
    # the estimator's verbose lines are progress, not the report: send them to stderr
    with warnings.catch_warnings(record=True) as caught, \
            contextlib.redirect_stdout(sys.stderr):
        try:
            clf.fit(X_train, y_train)
        except (ValueError, TypeError) as exc:
            raise CommandError(exc) from None
    seconds = time.perf_counter() - start
    for warning in caught:
        print(f"{PROG} fit: warning: {_one_line(warning.message)}", file=sys.stderr)

    # the progress lines were for this run: the saved model is quiet unless asked otherwise
    clf.set_params(verbose=settings.get("verbose", 0))
    _save_model(clf, args.output, model_format)
    _report(clf, args, len(texts), seconds, X_val, y_val)
    print(f"model saved to {args.output}")
    if pyplot is not None:
        plot_curves(clf, args.plot, pyplot, title=f"RNNSentimentClassifier on "
                                                  f"{Path(args.data).name}")
        print(f"learning curves saved to {args.plot}")
    return 0


def predict_command(args):
    """``predict``: the rows of the CSV file with their predictions, as CSV on stdout."""
    clf = load_model(args.model)
    header, rows = read_csv(args.data, required=(args.text,))
    i_text = header.index(args.text)
    texts = [row[i_text] for row in rows]
    columns = ["predicted"]
    if args.proba:
        columns += [f"proba_{c}" for c in clf.classes_]
    predicted, proba = [], np.empty((0, len(clf.classes_)))
    if texts:
        try:
            predicted = clf.predict(texts)
            if args.proba:
                proba = clf.predict_proba(texts)
        except (ValueError, TypeError) as exc:
            raise CommandError(f"cannot predict with {args.model}: {exc}") from None
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header + columns)
    for i, row in enumerate(rows):
        extra = [predicted[i]]
        if args.proba:
            extra += [repr(float(p)) for p in proba[i]]
        writer.writerow(row + extra)
    return 0


def explain_command(args):
    """``explain``: each text's prediction and the score of each of its tokens."""
    if args.html is not None:
        _check_writable(args.html, "--html")
    clf = load_model(args.model)
    target = "predicted" if args.target is None else _class_label(clf, args.target)
    try:
        explanations = explain_prediction(clf, args.texts, target=target,
                                          method=args.method)
        # each text alone, as the explanations' log-probabilities are
        proba = [clf.predict_proba([text])[0] for text in args.texts]
    except (ValueError, TypeError) as exc:
        raise CommandError(f"cannot explain with {args.model}: {exc}") from None
    colour = sys.stdout.isatty()
    for text, explanation, p in zip(args.texts, explanations, proba):
        k = int(np.argmax(p))
        print(f"{text!r}: {clf.classes_[k]} (p={p[k]:.3f}); {args.method.replace('_', ' ')} "
              f"of log P({explanation.target})")
        width = max(map(len, explanation.tokens), default=0)
        for token, score in zip(explanation.tokens, explanation.scores):
            line = f"  {token:<{width}}  {score:+.4f}"
            if colour:
                line = f"\x1b[{34 if score >= 0 else 31}m{line}\x1b[0m"
            print(line)
        if not explanation.tokens:
            print("  (no tokens)")
        print(f"  log P {explanation.log_proba:+.4f}, baseline "
              f"{explanation.baseline_log_proba:+.4f}, "
              f"scores sum to {explanation.scores.sum():+.4f}")
    if args.html is not None:
        sections = "\n".join(f"<h3>{html.escape(text)}</h3>\n{explanation.to_html()}"
                             for text, explanation in zip(args.texts, explanations))
        page = ('<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
                f"<title>{html.escape(Path(args.model).name)}: explanations</title></head>"
                f"\n<body>\n{sections}\n</body>\n</html>\n")
        try:
            Path(args.html).write_text(page, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {args.html}: {exc}") from None
        print(f"explanations saved to {args.html}")
    return 0


def _class_label(clf, text):
    """The class of ``clf`` written ``text`` on the command line."""
    for label in clf.classes_:
        if str(label) == text:
            return label
    raise CommandError(f"--target {text!r} is not a class of the model; its classes are: "
                       f"{', '.join(repr(str(c)) for c in clf.classes_)}")


def parse_settings(settings, params):
    """Parameters from ``PARAM=VALUE`` strings, values read as Python literals.

    Parameters
    ----------
    settings : list of str
        The ``--set`` arguments.
    params : dict
        The estimator's parameters (``get_params()``): the names allowed.

    Returns
    -------
    parsed : dict
        Parameter name to value: ``ast.literal_eval`` of the text after ``=`` where
        it is a literal (``32``, ``(3, 5)``, ``True``, ``None``, ``'lstm'``), else
        the text itself (``lstm``).
    """
    parsed = {}
    for setting in settings:
        name, sep, text = setting.partition("=")
        name = name.strip()
        if not sep or not name:
            raise CommandError(f"--set takes PARAM=VALUE, e.g. hidden_size=32; got {setting!r}")
        if name not in params:
            close = difflib.get_close_matches(name, params, n=1)
            hint = (f"did you mean {close[0]!r}?" if close
                    else f"the parameters are: {', '.join(sorted(params))}")
            raise CommandError(f"unknown parameter {name!r} in --set {setting}; {hint}")
        try:
            value = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            value = text
        parsed[name] = value
    return parsed


def read_csv(path, required=(), nonempty=()):
    """The header and rows of a CSV file (gzipped when its name ends in ``.gz``).

    Parameters
    ----------
    path : str
        The file; read as UTF-8 (a byte-order mark is skipped).
    required : tuple of str
        Columns that must be in the header.
    nonempty : tuple of str
        Columns that must not be empty on any row.

    Returns
    -------
    header : list of str
    rows : list of list of str
        The rows with as many fields as the header; blank lines are skipped.
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    rows = []
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise CommandError(f"{path} is empty: a header row is needed")
            missing = [c for c in required if c not in header]
            if missing:
                raise CommandError(
                    f"{path} has no column {missing[0]!r}; its columns are: "
                    f"{', '.join(repr(c) for c in header)}"
                )
            check = [(c, header.index(c)) for c in nonempty]
            for row in reader:
                if not row:
                    continue
                if len(row) != len(header):
                    raise CommandError(
                        f"{path}, line {reader.line_num}: {len(row)} fields where the "
                        f"header has {len(header)}"
                    )
                for name, i in check:
                    if not row[i]:
                        raise CommandError(f"{path}, line {reader.line_num}: empty {name!r}")
                rows.append(row)
    except FileNotFoundError:
        raise CommandError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError, csv.Error, EOFError) as exc:
        raise CommandError(f"cannot read {path} as a UTF-8 CSV file: {exc}") from None
    return header, rows


def load_model(path):
    """The estimator saved in ``path`` (.skops loaded trusting only SKOPS_TRUSTED_TYPES)."""
    model_format = _model_format(path)
    if not Path(path).is_file():
        raise CommandError(f"no such model file: {path}")
    try:
        if model_format == "skops":
            model = _import_skops().load(path, trusted=SKOPS_TRUSTED_TYPES)
        else:
            import joblib

            model = joblib.load(path)
    except CommandError:
        raise
    except Exception as exc:  # whatever a damaged or foreign file raises
        raise CommandError(f"cannot load {path}: {type(exc).__name__}: {exc}") from None
    if not hasattr(model, "predict_proba") or not hasattr(model, "classes_"):
        raise CommandError(f"{path} does not hold a fitted classifier")
    return model


def plot_curves(clf, path, pyplot, title):
    """Save the training (and validation) loss per epoch, the kept epoch marked, as PNG."""
    epochs = range(1, clf.n_iter_ + 1)
    fig, ax = pyplot.subplots(figsize=(6, 4))
    ax.plot(epochs, clf.loss_curve_, marker="o", label="training loss (epoch mean)")
    if clf.validation_loss_curve_:
        ax.plot(epochs, clf.validation_loss_curve_, marker="o", label="validation loss")
    kept = _kept_epoch(clf)
    ax.axvline(kept, color="grey", linestyle=":", label=f"kept: epoch {kept}")
    if clf.n_iter_ <= 30:
        ax.set_xticks(list(epochs))
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100, format="png")
    pyplot.close(fig)


def _report(clf, args, n_rows, seconds, X_val, y_val):
    from sklearn.metrics import accuracy_score, classification_report

    n_train = n_rows - (0 if X_val is None else len(X_val))
    print(f"sklearn_rnn {__version__}: {clf}")
    print(f"trained on {n_train} of the {n_rows} rows of {args.data} in {seconds:.1f} s: "
          f"{clf.n_iter_} epochs, final training loss {clf.loss_:.4f}")
    early = bool(clf.validation_loss_curve_)
    if early:
        print(f"early stopping on a validation split of the training rows: kept epoch "
              f"{_kept_epoch(clf)} (validation accuracy {clf.best_validation_score_:.4f})")
    print()
    header = "epoch  training loss"
    if early:
        header += "  validation loss  validation accuracy"
    print(header)
    kept = _kept_epoch(clf)
    for i in range(clf.n_iter_):
        line = f"{i + 1:5d}  {clf.loss_curve_[i]:13.4f}"
        if early:
            line += (f"  {clf.validation_loss_curve_[i]:15.4f}"
                     f"  {clf.validation_scores_[i]:19.4f}")
        print(line + ("  kept" if i + 1 == kept else ""))
    print()
    if X_val is None:
        print("no rows held out (--validation-fraction 0): no held-out report")
        return
    predicted = clf.predict(X_val)
    print(f"held out: {len(X_val)} rows (stratified {args.validation_fraction:g})")
    print(f"held-out accuracy {accuracy_score(y_val, predicted):.4f}")
    print(classification_report(y_val, predicted, digits=4, zero_division=0))


def _kept_epoch(clf):
    """The epoch whose weights the estimator kept: the lowest validation loss with early
    stopping (the first, as the estimator keeps it), else the last."""
    if clf.validation_loss_curve_:
        return int(np.argmin(clf.validation_loss_curve_)) + 1
    return clf.n_iter_


def _save_model(clf, path, model_format):
    try:
        if model_format == "skops":
            _import_skops().dump(clf, path)
        else:
            import joblib

            joblib.dump(clf, path)
    except OSError as exc:
        raise CommandError(f"cannot save the model to {path}: {exc}") from None


def _model_format(path):
    suffix = Path(path).suffix.lower()
    if suffix not in MODEL_FORMATS:
        raise CommandError(
            f"cannot tell the model format of {path}: use a .skops, .joblib or .pkl path"
        )
    return MODEL_FORMATS[suffix]


def _check_writable(path, option):
    parent = Path(path).parent
    if not parent.is_dir():
        raise CommandError(f"{option} {path}: no such directory {parent}")
    if Path(path).is_dir() or not os.access(parent, os.W_OK):
        raise CommandError(f"{option} {path}: cannot write there")


def _import_skops():
    try:
        import skops.io
    except ImportError:
        raise CommandError(
            "saving or loading .skops models needs skops: pip install skops "
            "(or use a .joblib path)"
        ) from None
    return skops.io


def _import_pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as pyplot
    except ImportError:
        raise CommandError("--plot needs matplotlib: pip install matplotlib") from None
    return pyplot


def _one_line(message):
    return " ".join(str(message).split())
