"""Speed and memory of RNNSentimentClassifier, side by side with the same model in PyTorch.

Usage::

    python benchmarks/bench_speed.py DATA_PATH
    python benchmarks/bench_speed.py DATA_PATH --torch --repeats 2
    python benchmarks/bench_speed.py DATA_PATH --torch --cell gru --embedding-size 64
    python benchmarks/bench_speed.py DATA_PATH [--torch] [--cell tanh|gru|lstm]
        [--bidirectional] [--pooling last] [--embedding-size E] [--epochs 2] [--lr 5e-3]
        [--hidden 64] [--batch 32] [--repeats 1] [--predict-repeats 3] [--dtype float32]
        [--threads 2] [--no-memory] [--limit N]

``DATA_PATH`` is the tweets corpus (``tweets_sentiment.csv.gz``, columns ``text`` and
``sentiment``); every system uses the split
``train_test_split(texts, labels, test_size=0.2, random_state=0, stratify=labels)``.

The model: ``--cell`` (``tanh``, PyTorch's ``nn.RNN``; ``gru``; ``lstm``) with
``--hidden`` units reading the tokens, then a linear layer on the last state. PyTorch's
side is the baseline script's (``torch_rnn_baseline.py``): ``Embedding(V, E)`` ->
cell(E, H) -> ``Linear``, with ``E = --embedding-size`` or ``H`` when it is not given.
Ours, by default (``--embedding-size`` not given, ``embedding_size=None``), has no
separate embedding: each token looks up a column of the cell's input matrix (V x G·H for
G gates), the product of PyTorch's embedding and input matrix in one. For the tanh cell
that is the same function class with fewer parameters; for GRU and LSTM it is a
different parameterization. ``--embedding-size E`` gives ours an embedding matrix in
front of the cell: then both systems train the very same model. ``--bidirectional``,
which the baseline script does not have, makes both sides read both ways (PyTorch's
side runs ``bidirectional=True`` over packed sequences and concatenates the two final
states, as our ``'last'`` pooling does). ``--pooling`` is ours alone: PyTorch's side
always uses the last state, so with any other pooling the side-by-side compares
different models, which the output says. Every other setting of ours that could differ from
PyTorch's is set explicitly (Adam with PyTorch's betas and epsilon, constant step size,
no weight decay, no early stopping, no dropout, no label smoothing, no moving average of
the weights, gradients clipped at 1 as the dense baseline), so changes of the
estimator's defaults cannot change what is compared.

What is measured:

1. The tutorial's tiny data set: ``RNNSentimentClassifier(random_state=0)`` with default
   parameters, best fit time of a few repeats and test accuracy.
2. The tweets: training tokens/s (tokens of the training split counted with
   scikit-learn's default ``CountVectorizer`` analyzer, ``sum(max(1, len(tokens)))``,
   times the number of epochs, divided by the fit seconds), prediction tokens/s on the
   test split (each system's prediction timed best of ``--predict-repeats``, 3, as the
   baseline script does), fit seconds, test accuracy and peak memory while fitting. Each
   system is reported twice. "Loop only": PyTorch timed as its baseline script does (the
   training loop; padding and forward pass for prediction), and our estimator's epochs
   as it reports them with ``verbose=1`` (batching included), and its ``predict`` less
   the time the same analyzer takes to tokenize the test documents. "Incl. prep":
   everything from raw text, tokenization, vocabulary and padding or encoding included.
3. With ``--torch`` (if PyTorch imports): the PyTorch model with dense Adam and with
   SparseAdam, alternating with our estimator (ours, torch-dense, torch-sparse, repeated
   ``--repeats`` times), and the ratios ours/torch of the best throughput of each
   system.
4. Memory (skipped with ``--no-memory``): ``tracemalloc`` peak while fitting (it sees
   NumPy's allocations but not PyTorch's tensor allocator), the peak growth of the
   resident set while fitting in a fresh process (sampled; Linux only), ``ru_maxrss`` at
   the end, and the ``tracemalloc`` peak of ``predict`` on the test split and on the
   test split repeated 4 times.

``--limit N`` keeps only the first N training and N test documents of the split, for a
quick check that the script runs; the figures it prints are not the benchmark's.

This is a benchmark, not a test: numbers depend on the machine and its load, and nothing
is asserted. PyTorch (``pip install torch``) is not a dependency of sklearn_rnn.
"""

import argparse
import contextlib
import gc
import io
import multiprocessing
import re
import resource
import sys
import threading
import time
import tracemalloc
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.model_selection import train_test_split

from sklearn_rnn import RNNSentimentClassifier
from sklearn_rnn.datasets import load_seed_sentiment, load_text_csv

MB = 1 << 20
PREDICT_BATCH = 1024  # PyTorch prediction batch, as in the baseline
SAME_TOKENS = CountVectorizer().token_pattern


# ----------------------------------------------------------------------------- helpers
def count_tokens(token_lists):
    """Tokens of a corpus as both sides count them: empty documents count as 1."""
    return sum(max(1, len(tokens)) for tokens in token_lists)


def _rss_bytes():
    """Current resident set size, or None where /proc is not available."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()
    except OSError:
        return None


class RSSPeak:
    """Context manager sampling the resident set size in a thread; ``.growth`` is the
    peak minus the size on entry. Meaningful in a fresh process only: there, no memory
    freed by earlier runs is waiting to be reused."""

    def __init__(self, interval=0.002):
        self.interval = interval
        self.growth = None

    def __enter__(self):
        self._start = _rss_bytes()
        self._peak = self._start
        self._stop = threading.Event()
        if self._start is not None:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(self.interval):
            self._peak = max(self._peak, _rss_bytes())

    def __exit__(self, *exc):
        self._stop.set()
        if self._start is not None:
            self._thread.join()
            self._peak = max(self._peak, _rss_bytes())
            self.growth = self._peak - self._start


def traced_peak(func, *args):
    """Run ``func(*args)`` under tracemalloc; return (result, peak bytes allocated)."""
    gc.collect()
    tracemalloc.start()
    try:
        result = func(*args)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak


def rss_growth(func, *args):
    """Run ``func(*args)`` while sampling the RSS; return its growth in bytes or None."""
    gc.collect()
    with RSSPeak() as rss:
        func(*args)
    return rss.growth


def max_rss_bytes():
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024  # bytes on macOS, KiB on Linux


def load_split(path, limit=None):
    """The benchmark's split; ``limit`` keeps the first ``limit`` documents of each part
    (a quick check of the script, not a measurement)."""
    texts, labels = load_text_csv(path)
    split = train_test_split(texts, labels, test_size=0.2, random_state=0, stratify=labels)
    if limit is not None:
        split = [part[:limit] for part in split]
    return split


# ------------------------------------------------------------------- sklearn_rnn side
def bench_tutorial(repeats=5):
    X_train, X_test, y_train, y_test = load_seed_sentiment()
    times = []
    for _ in range(repeats):
        clf = RNNSentimentClassifier(random_state=0)
        start = time.perf_counter()
        clf.fit(X_train, y_train)
        times.append(time.perf_counter() - start)
    print(
        f"tutorial data ({len(X_train)} train / {len(X_test)} test sentences), "
        f"RNNSentimentClassifier(random_state=0), {clf.n_iter_} epochs: "
        f"fit {min(times) * 1e3:.1f} ms (best of {repeats}), "
        f"test accuracy {clf.score(X_test, y_test):.3f}"
    )


def make_ours(args):
    """Our estimator, every parameter that could make it differ from PyTorch's side set
    explicitly (so that a change of a default cannot change what is compared)."""
    return RNNSentimentClassifier(
        hidden_size=args.hidden,
        cell=args.cell,
        bidirectional=args.bidirectional,
        pooling=args.pooling,  # 'last' unless asked otherwise, as PyTorch's side
        embedding_size=args.embedding_size,
        subword_ngrams=None,  # PyTorch's side looks up whole words only
        dropout=0.0,
        label_smoothing=0.0,
        ema_decay=None,
        batch_size=args.batch,
        solver="adam",
        learning_rate_init=args.lr,
        learning_rate="constant",
        beta_1=0.9,  # torch.optim.Adam's defaults
        beta_2=0.999,
        epsilon=1e-8,
        alpha=0.0,  # no weight decay
        max_iter=args.epochs,
        # exactly max_iter epochs: no validation split, and no stop on a training loss
        # that stalls (patience beyond the number of epochs)
        early_stopping=False,
        n_iter_no_change=args.epochs + 1,
        tol=0.0,
        clip_value=1.0,
        class_weight=None,
        shuffle=True,
        warm_start=False,
        random_state=0,
        dtype=args.dtype,
        # the baseline's analyzer (CountVectorizer's default: lowercase, words of 2+
        # characters, the whole vocabulary): both systems train on the same tokens
        vocabulary=None,
        lowercase=True,
        token_pattern=SAME_TOKENS,
        tokenizer=None,
        max_features=None,
        min_df=1,
        max_len=None,
    )


def run_ours(data, args):
    """Fit on raw training text and predict raw test text.

    As for PyTorch, ``fit_s`` is the training loop alone: the sum of the epoch times the
    estimator itself reports with ``verbose=1``; ``prep_s`` is the rest of ``fit``
    (tokenization, vocabulary, encoding). ``predict_s`` is the best of
    ``args.predict_repeats`` calls of ``predict`` less the time the same analyzer takes to
    tokenize the test split (timed separately, best of as many, as ``tokenize_s``).
    """
    X_train, X_test, y_train, y_test = data
    clf = make_ours(args).set_params(verbose=1)
    log = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(log):
        clf.fit(X_train, y_train)
    total_fit_s = time.perf_counter() - start
    loop_s = sum(float(s) for s in re.findall(r"^Epoch \d+: .*, ([\d.]+) s, ", log.getvalue(),
                                              re.M))
    analyzer = CountVectorizer(token_pattern=SAME_TOKENS).build_analyzer()
    tokenize_s = predict_s = float("inf")
    for _ in range(args.predict_repeats):
        start = time.perf_counter()
        for doc in X_test:
            analyzer(doc)
        tokenize_s = min(tokenize_s, time.perf_counter() - start)
        start = time.perf_counter()
        pred = clf.predict(X_test)
        predict_s = min(predict_s, time.perf_counter() - start)
    result = {
        "fit_s": loop_s,
        "prep_s": total_fit_s - loop_s,
        "predict_s": predict_s - tokenize_s,
        "tokenize_s": tokenize_s,
        "accuracy": float(np.mean(pred == y_test)),
    }
    return result, clf


def traced_fit_ours(data, args):
    X_train, _, y_train, _ = data
    return traced_peak(lambda: make_ours(args).fit(X_train, y_train))[1]


def prediction_memory(clf, X_test, times=4):
    """tracemalloc peak of ``predict`` minus the size of its output, for the test split
    and for the test split repeated ``times`` times."""
    rows = []
    for n in (1, times):
        X = list(X_test) * n  # built before tracing starts
        pred, peak = traced_peak(clf.predict, X)
        rows.append((n, len(X), peak, pred.nbytes))
    return rows


# ----------------------------------------------------------------------- PyTorch side
# The model, training loop and prediction of torch_rnn_baseline.py; bidirectional and an
# embedding size other than H are this file's additions (the baseline has neither).
TORCH_CELLS = {"tanh": "RNN", "gru": "GRU", "lstm": "LSTM"}
def torch_fit(torch, X_train, y_train, args, sparse):
    """Tokenize, build the vocabulary, pad length-sorted batches, train.

    Returns the state needed to predict and the seconds of preparation and of the
    training loop (the time the baseline reports).
    """
    start = time.perf_counter()
    analyzer = CountVectorizer().build_analyzer()
    ttr = [analyzer(t) for t in X_train]
    vocab = {w: i + 2 for i, w in enumerate(sorted({w for ts in ttr for w in ts}))}  # 0 pad, 1 unknown
    classes = sorted(set(y_train))
    cidx = {c: i for i, c in enumerate(classes)}

    def pad(toks):
        L = max(1, max(len(t) for t in toks))
        ids = np.zeros((len(toks), L), np.int64)
        lens = np.ones(len(toks), np.int64)
        for i, t in enumerate(toks):
            row = [vocab.get(w, 1) for w in t]
            ids[i, : len(row)] = row
            lens[i] = max(1, len(row))
        return torch.from_numpy(ids), torch.from_numpy(lens)

    Rnn = getattr(torch.nn, TORCH_CELLS[args.cell])
    emb_size = args.embedding_size or args.hidden
    directions = 2 if args.bidirectional else 1

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(len(vocab) + 2, emb_size, padding_idx=0, sparse=sparse)
            self.rnn = Rnn(emb_size, args.hidden, batch_first=True,
                           bidirectional=args.bidirectional)
            self.out = torch.nn.Linear(directions * args.hidden, len(classes))

        def forward(self, x, lens):
            if not args.bidirectional:  # the baseline: padded, last real state gathered
                o, _ = self.rnn(self.emb(x))
                return self.out(o[torch.arange(len(lens)), lens - 1])
            # the backward direction must start at each sequence's last real token, not
            # at the padding: pack; h_n holds both directions' final states
            packed = torch.nn.utils.rnn.pack_padded_sequence(
                self.emb(x), lens, batch_first=True, enforce_sorted=False)
            _, h = self.rnn(packed)
            if isinstance(h, tuple):  # LSTM: (h_n, c_n)
                h = h[0]
            return self.out(torch.cat([h[0], h[1]], dim=1))

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    m = Model()
    if sparse:
        opts = [torch.optim.SparseAdam(list(m.emb.parameters()), lr=args.lr),
                torch.optim.Adam([p for n, p in m.named_parameters() if not n.startswith("emb")],
                                 lr=args.lr)]
    else:
        opts = [torch.optim.Adam(m.parameters(), lr=args.lr)]

    ytr_a = np.array([cidx[c] for c in y_train])
    order = np.argsort([len(t) for t in ttr], kind="stable")
    batches = [order[i : i + args.batch] for i in range(0, len(order), args.batch)]
    prepared = [(pad([ttr[j] for j in b]), torch.from_numpy(ytr_a[b])) for b in batches]
    prep_s = time.perf_counter() - start

    start = time.perf_counter()
    for _ in range(args.epochs):
        m.train()
        for k in rng.permutation(len(prepared)):
            (x, lens), yb = prepared[k]
            for o in opts:
                o.zero_grad()
            loss = torch.nn.functional.cross_entropy(m(x, lens), yb)
            loss.backward()
            if not sparse:
                torch.nn.utils.clip_grad_value_(m.parameters(), 1.0)
            for o in opts:
                o.step()
    fit_s = time.perf_counter() - start
    state = {"model": m, "pad": pad, "analyzer": analyzer, "classes": classes}
    return state, prep_s, fit_s


def torch_predict(torch, state, X_test, repeats=3):
    """Tokenize (timed apart), then pad and run batches of 1024 sorted by length; the
    latter timed best of ``repeats``, as the baseline does."""
    start = time.perf_counter()
    tte = [state["analyzer"](t) for t in X_test]
    tokenize_s = time.perf_counter() - start
    m, pad = state["model"], state["pad"]
    m.eval()
    order_te = np.argsort([len(t) for t in tte], kind="stable")
    pred = np.empty(len(tte), np.int64)
    predict_s = float("inf")
    with torch.no_grad():
        for _ in range(repeats):
            start = time.perf_counter()
            for i in range(0, len(order_te), PREDICT_BATCH):
                b = order_te[i : i + PREDICT_BATCH]
                x, lens = pad([tte[j] for j in b])
                pred[b] = m(x, lens).argmax(1).numpy()
            predict_s = min(predict_s, time.perf_counter() - start)
    return np.asarray(state["classes"], dtype=object)[pred], tokenize_s, predict_s


def run_torch(torch, data, args, sparse):
    X_train, X_test, y_train, y_test = data
    state, prep_s, fit_s = torch_fit(torch, X_train, y_train, args, sparse)
    pred, tokenize_s, predict_s = torch_predict(torch, state, X_test, args.predict_repeats)
    return {
        "fit_s": fit_s,
        "prep_s": prep_s,
        "predict_s": predict_s,
        "tokenize_s": tokenize_s,
        "accuracy": float(np.mean(pred == y_test)),
    }


def traced_fit_torch(torch, data, args, sparse):
    X_train, _, y_train, _ = data
    return traced_peak(torch_fit, torch, X_train, y_train, args, sparse)[1]


# ------------------------------------------------------------- memory in a fresh process
def _fit_rss_child(system, arg_dict):
    """Run in a fresh interpreter: load the data, then fit one system under RSSPeak."""
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    args = argparse.Namespace(**arg_dict)
    X_train, _, y_train, _ = load_split(args.data, args.limit)
    if system == "ours":
        return rss_growth(lambda: make_ours(args).fit(X_train, y_train))
    import torch

    torch.set_num_threads(args.threads)
    return rss_growth(torch_fit, torch, X_train, y_train, args, system == "torch-sparse")


def fit_rss_growth(system, args):
    """Peak RSS growth while fitting ``system`` in a fresh process (None without /proc)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_fit_rss_child, (system, vars(args)))


def fit_memory(system, torch, data, args):
    if system == "ours":
        traced = traced_fit_ours(data, args)
    else:
        traced = traced_fit_torch(torch, data, args, sparse=system == "torch-sparse")
    return {"traced_peak": traced, "rss_growth": fit_rss_growth(system, args)}


# ------------------------------------------------------------------------- reporting
def summarize(runs, n_train, n_test, epochs, with_prep):
    """Best (max) throughput over the repeats of one system."""
    fit = [r["fit_s"] + (r.get("prep_s", 0.0) if with_prep else 0.0) for r in runs]
    predict = [r["predict_s"] + (r.get("tokenize_s", 0.0) if with_prep else 0.0) for r in runs]
    accuracies = sorted({round(r["accuracy"], 4) for r in runs})
    return {
        "train_tps": max(n_train * epochs / s for s in fit),
        "predict_tps": max(n_test / s for s in predict),
        "fit_s": min(fit),
        "accuracy": "/".join(f"{a:.4f}" for a in accuracies),
    }


def _mb(n):
    return "n/a" if n is None else f"{n / MB:.1f}"


def print_table(rows):
    header = (f"{'system':<42} {'train tok/s':>11} {'predict tok/s':>13} {'fit s':>7} "
              f"{'accuracy':>9} {'fit tracemalloc MB':>18} {'fit RSS+ MB':>11}")
    print(header)
    print("-" * len(header))
    for name, s, mem in rows:
        print(f"{name:<42} {s['train_tps']:>11,.0f} {s['predict_tps']:>13,.0f} {s['fit_s']:>7.2f} "
              f"{s['accuracy']:>9} {_mb(mem['traced_peak']):>18} {_mb(mem['rss_growth']):>11}")


def describe_models(args, with_torch):
    """Lines saying which model each system trains, and whether they are the same."""
    H, E = args.hidden, args.embedding_size
    torch_name = TORCH_CELLS[args.cell]
    bi = ", bidirectional" if args.bidirectional else ""
    gates = {"tanh": 1, "gru": 3, "lstm": 4}[args.cell]
    if E is None:
        ours_input = (f"embedding_size=None: no embedding, each token looks up a column of "
                      f"the cell's input matrix (V x {gates * H})")
    else:
        ours_input = f"embedding_size={E}: Embedding(V, {E}) -> {args.cell}({E}, {H})"
    lines = [f"model: cell={args.cell}{bi}, hidden={H}, pooling='{args.pooling}'",
             f"  ours:    {ours_input}, pooling '{args.pooling}'"]
    if with_torch:
        lines.append(f"  PyTorch: Embedding(V, {E or H}) -> nn.{torch_name}({E or H}, {H}{bi}) "
                     f"-> Linear on the last state"
                     + (" (packed sequences, both final states)" if args.bidirectional else ""))
        notes = []
        if E is None:
            notes.append(f"ours has no separate embedding (give --embedding-size {H} for "
                         f"the same model as PyTorch's)")
        if args.pooling != "last":
            notes.append(f"ours pools '{args.pooling}', PyTorch the last state")
        lines.append("  => " + ("different models: " + "; ".join(notes) if notes
                                else "the same model on both sides"))
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", help="path of tweets_sentiment.csv.gz (columns text, sentiment)")
    ap.add_argument("--torch", action="store_true", help="also run the PyTorch baseline")
    ap.add_argument("--cell", default="tanh", choices=list(TORCH_CELLS),
                    help="recurrent cell of both systems (tanh is PyTorch's nn.RNN, the "
                         "baseline's --cell rnn)")
    ap.add_argument("--bidirectional", action="store_true",
                    help="read both ways (both systems; the baseline script has no such "
                         "option: this file's PyTorch model packs the sequences)")
    ap.add_argument("--pooling", default="last",
                    help="pooling of ours ('last', 'mean', 'max', 'max+mean', ...: the "
                         "estimator's pooling parameter); PyTorch's side always uses the "
                         "last state, so anything but 'last' compares different models")
    ap.add_argument("--embedding-size", type=int, default=None, metavar="E",
                    help="embedding_size of ours (default None: tokens look up columns of "
                         "the cell's input matrix); give --hidden (64) to train the same "
                         "model as PyTorch's Embedding(V, H) -> cell(H, H). PyTorch's "
                         "embedding has E columns (H when not given)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--lr", type=float, default=5e-3)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--predict-repeats", type=int, default=3,
                    help="prediction is timed best of this many, on both sides")
    ap.add_argument("--dtype", default="float32", choices=["float64", "float32"],
                    help="dtype of our estimator (PyTorch runs float32)")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--no-memory", action="store_true",
                    help="skip the memory measurements (extra fits of every system)")
    ap.add_argument("--limit", type=int, default=None, metavar="N",
                    help="keep the first N training and N test documents (a quick check "
                         "that the script runs, not a measurement)")
    args = ap.parse_args(argv)
    if args.predict_repeats < 1 or args.repeats < 1:
        ap.error("--repeats and --predict-repeats must be at least 1")
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    torch = None
    if args.torch:
        try:
            import torch
        except ImportError as exc:
            print(f"--torch given but PyTorch cannot be imported ({exc}): skipping PyTorch.")
        else:
            torch.set_num_threads(args.threads)

    print(f"python {sys.version.split()[0]}, numpy {np.__version__}"
          + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else ""))
    bench_tutorial()

    data = load_split(args.data, args.limit)
    X_train, X_test = data[0], data[1]
    analyzer = CountVectorizer().build_analyzer()
    n_train = count_tokens(analyzer(t) for t in X_train)
    n_test = count_tokens(analyzer(t) for t in X_test)
    params = RNNSentimentClassifier().get_params()  # the default analyzer, for reference
    ours_analyzer = CountVectorizer(
        lowercase=params["lowercase"], token_pattern=params["token_pattern"]
    ).build_analyzer()
    n_train_ours = count_tokens(ours_analyzer(t) for t in X_train)
    print(
        f"\ntweets: {len(X_train)} train / {len(X_test)} test documents; {n_train} / {n_test} "
        f"tokens (CountVectorizer default analyzer, which both systems use here, and which "
        f"every tokens/s below counts; {n_train_ours} training tokens for our estimator's "
        f"default token_pattern)\n"
        f"hidden={args.hidden} batch={args.batch} lr={args.lr} epochs={args.epochs} "
        f"ours dtype={args.dtype} (PyTorch float32) repeats={args.repeats} "
        f"predict timed best of {args.predict_repeats}"
    )
    if args.limit is not None:
        print(f"--limit {args.limit}: a subset of the split, for a quick check only; these "
              f"are not the benchmark's figures")
    for line in describe_models(args, torch is not None):
        print(line)

    systems = ["ours"] + (["torch-dense", "torch-sparse"] if torch else [])
    runs = {name: [] for name in systems}
    clf = None
    for repeat in range(args.repeats):
        for name in systems:
            if name == "ours":
                result, clf = run_ours(data, args)
            else:
                result = run_torch(torch, data, args, sparse=name == "torch-sparse")
            runs[name].append(result)
            extra = f" (+{result['prep_s']:.2f} s prep, +{result['tokenize_s']:.2f} s test tokenize)"
            print(f"  repeat {repeat + 1} {name:<12} fit {result['fit_s']:.2f} s, predict "
                  f"{result['predict_s']:.3f} s{extra}, accuracy {result['accuracy']:.4f}")

    no_memory = {"traced_peak": None, "rss_growth": None}
    memory = {name: no_memory if args.no_memory else fit_memory(name, torch, data, args)
              for name in systems}

    best, rows = {}, []
    for name in systems:
        best[name] = summarize(runs[name], n_train, n_test, args.epochs, with_prep=False)
        best[name + "+prep"] = summarize(runs[name], n_train, n_test, args.epochs, with_prep=True)
        rows.append((f"{name} (loop only)", best[name], memory[name]))
        rows.append((f"{name} (incl. tokenize/vocab/pad)", best[name + "+prep"], memory[name]))
    print(f"\ncell {args.cell}, best of {args.repeats} repeat(s). Fit memory, from extra "
          "untimed fits: tracemalloc peak (blind to PyTorch's tensor allocator) and RSS+, the "
          "peak growth of the resident set in a fresh process"
          + (" (skipped: --no-memory)" if args.no_memory else ""))
    print_table(rows)

    if torch:
        bi = ", bidirectional" if args.bidirectional else ""
        print(f"\nratios ours / torch, cell {args.cell}{bi} (best throughput of each system; "
              f"> 1 means ours is faster)")
        if args.pooling != "last":
            print(f"  NOTE: ours pools '{args.pooling}', PyTorch the last state: different models")
        for name in systems[1:]:
            for suffix, label in (("", "loop only"), ("+prep", "incl. prep")):
                ours, theirs = best["ours" + suffix], best[name + suffix]
                print(f"  ours / {name:<12} ({label:<10}): train tokens/s "
                      f"{ours['train_tps'] / theirs['train_tps']:.2f}x, predict tokens/s "
                      f"{ours['predict_tps'] / theirs['predict_tps']:.2f}x")

    if not args.no_memory:
        print("\nprediction memory of our estimator (tracemalloc peak minus the output array):")
        for n, n_docs, peak, out in prediction_memory(clf, X_test):
            print(f"  test split x{n} ({n_docs} documents): peak {peak / MB:.2f} MB, output "
                  f"{out / MB:.2f} MB, peak - output {(peak - out) / MB:.2f} MB")
    print(f"\nru_maxrss of the process at the end: {max_rss_bytes() / MB:.0f} MB")


if __name__ == "__main__":
    main()
