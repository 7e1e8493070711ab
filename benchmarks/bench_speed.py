"""Training and prediction speed of RNNSentimentClassifier, side by side with the same
model in PyTorch.

Usage::

    python benchmarks/bench_speed.py DATA_PATH [--torch] [--cell tanh|gru|lstm]
        [--bidirectional] [--pooling last|max+mean] [--embedding-size E] [--epochs 2]
        [--lr 5e-3] [--hidden 64] [--batch 32] [--rounds 3] [--threads 2] [--limit N]
        [--blas-products]

``DATA_PATH`` is the tweets corpus (``tweets_sentiment.csv.gz``, columns ``text`` and
``sentiment``), split with
``train_test_split(texts, labels, test_size=0.2, random_state=0, stratify=labels)``.

The model, on both sides: the tokens of scikit-learn's default ``CountVectorizer``
analyzer, ``Embedding(V, E)`` (``E = --embedding-size``, or H), the cell (``nn.RNN``,
``nn.GRU`` or ``nn.LSTM`` with ``--hidden`` units; ``--bidirectional`` reads both ways),
the last state or the maximum and mean of the states over time (``--pooling``), a linear
layer; Adam with PyTorch's defaults, ``--batch`` documents per batch sorted into buckets
of similar lengths, ``--epochs`` epochs, gradients clipped at 1 (dense Adam), float32.
Without ``--embedding-size`` ours has no separate embedding: each token looks up a
column of the cell's input matrix (for the tanh cell the same function class with fewer
parameters; the output says when the models differ). PyTorch's side is the shared
baseline script's model, with dense Adam and with SparseAdam for the embedding.

What is timed, in rounds that alternate the systems (ours, torch-dense, torch-sparse),
so that a noisy machine affects them alike; each system's best round counts:

- training: the loop alone. Ours: the sum of the estimator's ``epoch_times_``; PyTorch:
  its loop over the prepared batches. Tokens per second count the training tokens
  (``max(1, len(tokens))`` per document) times the epochs.
- prediction: the network on the test split, best of three, from the same tokens on both
  sides (tokenizing is not timed). Ours: ``predict`` on the token lists (checking and
  encoding them, then the network), with ``n_jobs`` = ``--threads`` (PyTorch's thread
  count); PyTorch: looking the tokens up, padding and the forward pass in batches of
  1024, as the baseline does.

``--blas-products`` also times our prediction with every fixed-point product
(:mod:`sklearn_rnn._exact`) replaced by one BLAS product in the weights' dtype, with the
same fitted model: what the same answer on every machine costs. That is a measurement,
not an option of sklearn_rnn: such float32 products depend on the batch and on the CPU.

Training runs on one thread on our side (BLAS is pinned to one thread for networks this
small) and on ``--threads`` on PyTorch's.

This is a benchmark, not a test: numbers depend on the machine and its load, and nothing
is asserted. PyTorch (``pip install torch==2.13.0``) is not a dependency of sklearn_rnn.
"""

import argparse
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.model_selection import train_test_split

import sklearn_rnn._rnn
from sklearn_rnn import RNNSentimentClassifier
from sklearn_rnn._cells import CELLS
from sklearn_rnn.datasets import load_text_csv

PREDICT_BATCH = 1024  # PyTorch prediction batch, as in the baseline
PREDICT_REPEATS = 3
TORCH_CELLS = {"tanh": "RNN", "gru": "GRU", "lstm": "LSTM"}


def load_split(path, limit=None):
    """The benchmark's split; ``limit`` keeps the first ``limit`` documents of each part
    (a quick check of the script, not a measurement)."""
    texts, labels = load_text_csv(path)
    split = train_test_split(texts, labels, test_size=0.2, random_state=0, stratify=labels)
    return split if limit is None else [part[:limit] for part in split]


def count_tokens(token_lists):
    """Tokens of a corpus as both sides count them: empty documents count as 1."""
    return sum(max(1, len(tokens)) for tokens in token_lists)


# ------------------------------------------------------------------- sklearn_rnn side
def make_ours(args):
    """Our estimator, every parameter that could make it differ from PyTorch's side set
    explicitly (so that a change of a default cannot change what is compared)."""
    return RNNSentimentClassifier(
        hidden_size=args.hidden, cell=args.cell, bidirectional=args.bidirectional,
        pooling=args.pooling, embedding_size=args.embedding_size,
        subword_ngrams=None,
        word_ngrams=None, dropout=0.0, label_smoothing=0.0, ema_decay=None,
        batch_size=args.batch, solver="adam", learning_rate_init=args.lr,
        learning_rate="constant", beta_1=0.9, beta_2=0.999, epsilon=1e-8, alpha=0.0,
        # exactly --epochs epochs: no validation split, no stop on a stalling loss
        max_iter=args.epochs, early_stopping=False, n_iter_no_change=args.epochs + 1,
        tol=0.0, clip_value=1.0, class_weight=None, shuffle=True, random_state=0,
        dtype="float32",
        # the baseline's tokens: CountVectorizer's default analyzer, every word kept
        lowercase=True, token_pattern=CountVectorizer().token_pattern, min_df=1,
        max_features=None, max_len=None,
        # every token of every document, as PyTorch reads them
        train_window=None,
        # prediction on as many threads as PyTorch's side (training is sequential)
        n_jobs=args.threads,
    )


class BlasProduct:
    """``x @ W.T`` as one BLAS product in the weights' dtype: prediction's products
    without the fixed point of :class:`sklearn_rnn._exact.ExactProduct` (its interface)."""

    def __init__(self, W, bounded=False):
        self.dtype, self.WT = W.dtype, np.ascontiguousarray(W.T)

    def __call__(self, x, dtype=None):
        out = np.dot(x.astype(self.dtype, copy=False), self.WT)
        return out.astype(self.dtype if dtype is None else dtype, copy=False)


def time_predict(clf, token_lists):
    """Best of ``PREDICT_REPEATS`` of ``predict`` on pre-tokenized documents; the
    predictions."""
    predict_s = float("inf")
    for _ in range(PREDICT_REPEATS):
        start = time.perf_counter()
        pred = clf.predict(token_lists)
        predict_s = min(predict_s, time.perf_counter() - start)
    return predict_s, pred


def run_ours(data, args):
    X_train, X_test, y_train, y_test = data
    clf = make_ours(args).fit(X_train, y_train)
    # the tokens PyTorch's side reads: tokenizing is timed on neither side
    analyzer = CountVectorizer().build_analyzer()
    X_test = [analyzer(doc) for doc in X_test]
    predict_s, pred = time_predict(clf, X_test)
    result = {"fit_s": sum(clf.epoch_times_), "predict_s": predict_s,
              "accuracy": float(np.mean(pred == y_test))}
    if args.blas_products:
        exact = sklearn_rnn._rnn.ExactProduct
        sklearn_rnn._rnn.ExactProduct = BlasProduct
        try:
            result["predict_blas_s"] = time_predict(clf, X_test)[0]
        finally:
            sklearn_rnn._rnn.ExactProduct = exact
    return result


# ----------------------------------------------------------------------- PyTorch side
def run_torch(torch, data, args, sparse):
    """The baseline script's model and loop (plus ``--embedding-size``)."""
    X_train, X_test, y_train, y_test = data
    analyzer = CountVectorizer().build_analyzer()
    ttr, tte = [analyzer(t) for t in X_train], [analyzer(t) for t in X_test]
    vocab = {w: i + 2 for i, w in enumerate(sorted({w for ts in ttr for w in ts}))}
    classes = sorted(set(y_train))

    def pad(toks):  # 0 pads, 1 is the unknown word
        ids = np.zeros((len(toks), max(1, max(len(t) for t in toks))), np.int64)
        lens = np.ones(len(toks), np.int64)
        for i, t in enumerate(toks):
            row = [vocab.get(w, 1) for w in t]
            ids[i, : len(row)] = row
            lens[i] = max(1, len(row))
        return torch.from_numpy(ids), torch.from_numpy(lens)

    Rnn = getattr(torch.nn, TORCH_CELLS[args.cell])
    emb_size = args.embedding_size or args.hidden
    pooled = 2 if args.pooling == "max+mean" else 1

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(len(vocab) + 2, emb_size, padding_idx=0,
                                          sparse=sparse)
            self.rnn = Rnn(emb_size, args.hidden, batch_first=True,
                           bidirectional=args.bidirectional)
            width = args.hidden * (2 if args.bidirectional else 1) * pooled
            self.out = torch.nn.Linear(width, len(classes))

        def forward(self, x, lens):
            if not args.bidirectional and args.pooling == "last":  # the last real state
                o, _ = self.rnn(self.emb(x))
                return self.out(o[torch.arange(len(lens)), lens - 1])
            packed = torch.nn.utils.rnn.pack_padded_sequence(
                self.emb(x), lens, batch_first=True, enforce_sorted=False)
            o, h = self.rnn(packed)
            if args.pooling == "last":
                h = h[0] if isinstance(h, tuple) else h
                return self.out(torch.cat(list(h), dim=1))
            o, _ = torch.nn.utils.rnn.pad_packed_sequence(o, batch_first=True)
            mask = (torch.arange(o.shape[1])[None, :] < lens[:, None]).unsqueeze(2)
            mx = o.masked_fill(~mask, float("-inf")).max(1).values
            mean = (o * mask).sum(1) / lens[:, None].to(o.dtype)
            return self.out(torch.cat([mx, mean], dim=1))

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    m = Model()
    if sparse:
        opts = [torch.optim.SparseAdam(list(m.emb.parameters()), lr=args.lr),
                torch.optim.Adam([p for n, p in m.named_parameters()
                                  if not n.startswith("emb")], lr=args.lr)]
    else:
        opts = [torch.optim.Adam(m.parameters(), lr=args.lr)]
    labels = np.array([classes.index(c) for c in y_train])
    order = np.argsort([len(t) for t in ttr], kind="stable")
    batches = [order[i : i + args.batch] for i in range(0, len(order), args.batch)]
    prepared = [(pad([ttr[j] for j in b]), torch.from_numpy(labels[b])) for b in batches]
    start = time.perf_counter()
    for _ in range(args.epochs):
        m.train()
        for k in rng.permutation(len(prepared)):
            (x, lens), yb = prepared[k]
            for o in opts:
                o.zero_grad()
            torch.nn.functional.cross_entropy(m(x, lens), yb).backward()
            if not sparse:
                torch.nn.utils.clip_grad_value_(m.parameters(), 1.0)
            for o in opts:
                o.step()
    fit_s = time.perf_counter() - start
    m.eval()
    order = np.argsort([len(t) for t in tte], kind="stable")
    pred = np.empty(len(tte), np.int64)
    predict_s = float("inf")
    with torch.no_grad():
        for _ in range(PREDICT_REPEATS):
            start = time.perf_counter()
            for i in range(0, len(order), PREDICT_BATCH):
                b = order[i : i + PREDICT_BATCH]
                pred[b] = m(*pad([tte[j] for j in b])).argmax(1).numpy()
            predict_s = min(predict_s, time.perf_counter() - start)
    accuracy = float(np.mean(np.asarray(classes, dtype=object)[pred] == np.asarray(y_test)))
    return {"fit_s": fit_s, "predict_s": predict_s, "accuracy": accuracy}


# ------------------------------------------------------------------------- reporting
def describe(args, with_torch):
    """Which model each side trains, and whether they are the same."""
    H, E = args.hidden, args.embedding_size
    gates = CELLS[args.cell].gates
    bi = ", bidirectional" if args.bidirectional else ""
    ours = (f"Embedding(V, {E}) -> {args.cell}({E}, {H})" if E is not None else
            f"no embedding: each token looks up a column of the cell's input matrix "
            f"(V x {gates * H}) -> {args.cell}")
    lines = [f"model: cell={args.cell}{bi}, hidden={H}, pooling '{args.pooling}'",
             f"  ours:    {ours}"]
    if with_torch:
        lines.append(f"  PyTorch: Embedding(V, {E or H}) -> nn.{TORCH_CELLS[args.cell]}"
                     f"({E or H}, {H}{bi})")
        lines.append("  => " + ("the same model on both sides" if E is not None else
                                f"different parameterizations (give --embedding-size {H} "
                                "for the same model)"))
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", help="path of tweets_sentiment.csv.gz (columns text, sentiment)")
    ap.add_argument("--torch", action="store_true", help="also run the PyTorch baseline")
    ap.add_argument("--cell", default="tanh", choices=list(TORCH_CELLS))
    ap.add_argument("--bidirectional", action="store_true")
    ap.add_argument("--pooling", default="last", choices=["last", "max+mean"])
    ap.add_argument("--embedding-size", type=int, default=None, metavar="E")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--lr", type=float, default=5e-3)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds of all systems")
    ap.add_argument("--threads", type=int, default=2,
                    help="torch.set_num_threads, and our n_jobs in prediction")
    ap.add_argument("--limit", type=int, default=None, metavar="N",
                    help="the first N training and test documents: a quick check only")
    ap.add_argument("--blas-products", action="store_true",
                    help="also time our prediction with plain BLAS products in place of "
                         "the fixed-point ones (a measurement, not an option)")
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    torch = None
    if args.torch:
        try:
            import torch
        except ImportError as exc:
            print(f"--torch given but PyTorch cannot be imported ({exc}): skipping it.")
        else:
            torch.set_num_threads(args.threads)
    data = load_split(args.data, args.limit)
    analyzer = CountVectorizer().build_analyzer()
    n_train = count_tokens(analyzer(t) for t in data[0]) * args.epochs
    n_test = count_tokens(analyzer(t) for t in data[1])
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}"
          + (f", torch {torch.__version__} ({args.threads} threads)" if torch else ""))
    print(f"tweets: {len(data[0])} train / {len(data[1])} test documents, {n_train} training "
          f"tokens ({args.epochs} epochs), {n_test} test tokens; batch {args.batch}, lr "
          f"{args.lr}" + (f"; --limit {args.limit}: a quick check, not a measurement"
                          if args.limit else ""))
    for line in describe(args, torch is not None):
        print(line)
    systems = {"ours": lambda: run_ours(data, args)}
    if torch is not None:
        systems["torch-dense"] = lambda: run_torch(torch, data, args, sparse=False)
        systems["torch-sparse"] = lambda: run_torch(torch, data, args, sparse=True)
    best = {}
    for round_ in range(args.rounds):
        for name, run in systems.items():
            r = run()
            print(f"  round {round_ + 1} {name:<12} fit {r['fit_s']:.2f} s, predict "
                  f"{r['predict_s']:.3f} s, accuracy {r['accuracy']:.4f}", flush=True)
            b = best.setdefault(name, {"train": 0.0, "predict": 0.0, "accuracy": set()})
            b["train"] = max(b["train"], n_train / r["fit_s"])
            b["predict"] = max(b["predict"], n_test / r["predict_s"])
            b["accuracy"].add(round(r["accuracy"], 4))
            if "predict_blas_s" in r:
                b["predict_blas"] = max(b.get("predict_blas", 0.0), n_test / r["predict_blas_s"])
    print(f"\n{'system':<14} {'train tokens/s':>15} {'predict tokens/s':>17}  accuracy")
    for name, b in best.items():
        accuracy = "/".join(f"{a:.4f}" for a in sorted(b["accuracy"]))
        print(f"{name:<14} {b['train']:>15,.0f} {b['predict']:>17,.0f}  {accuracy}")
    for name in list(best)[1:]:
        print(f"ours / {name}: train {best['ours']['train'] / best[name]['train']:.2f}x, "
              f"predict {best['ours']['predict'] / best[name]['predict']:.2f}x")
    if args.blas_products:
        blas = best["ours"]["predict_blas"]
        print(f"ours with BLAS products in prediction (not an option: float32 results would "
              f"depend on the batch and the CPU): predict {blas:,.0f} tokens/s, "
              f"{blas / best['ours']['predict']:.2f}x the fixed point's"
              + "".join(f", {blas / best[name]['predict']:.2f}x {name}"
                        for name in list(best)[1:]))


if __name__ == "__main__":
    main()
