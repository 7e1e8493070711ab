"""Out-of-core training: stream a CSV corpus through ``partial_fit`` with hashed words.

Reads a CSV of labelled texts (columns ``text`` and ``sentiment``; gzipped or not) with
the standard library's ``csv`` module, a chunk of rows at a time, never the whole file.
Every fifth row (by row number) is held out for evaluation. The words are hashed
(``hash_buckets``), so there is no vocabulary to build first and the words of every chunk
train their own columns.

A file sorted by label (as the tweets corpus is) would feed one class at a time to the
model. The rows are therefore read from several places of the file at once: the file is
split into ``--streams`` consecutive ranges, each read by its own reader, and the readers
take turns, so that every chunk mixes the whole file; each pass starts the readers
elsewhere in their ranges, and the rows then go through a shuffle buffer (as
``tf.data``'s), so that neighbouring rows of the file, which tend to be alike, do not
train together and the chunks differ from pass to pass. Memory stays bounded: a few open
readers, the buffer's rows and one chunk, however long the file.

Each pass prints the held-out accuracy (predicted chunk by chunk, again streaming) and
the process's peak resident memory so far (``ru_maxrss``); with ``--tracemalloc`` also
the peak of the memory allocated during the pass (which makes the pass two to three
times slower: every Python allocation is then traced). ``--compare`` then loads the same
training rows into memory (for this comparison only) and ``fit``s the same estimator for
as many epochs as there were passes.

    python examples/stream_csv.py PATH/tweets_sentiment.csv.gz --chunksize 2000 \\
        --passes 3 --compare
"""

import argparse
import csv
import gzip
import resource
import sys
import time
import tracemalloc
import warnings
from itertools import chain, islice

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_rnn import RNNSentimentClassifier

HOLDOUT_EVERY = 5  # rows 4, 9, 14, ... are held out


def open_csv(path):
    if str(path).endswith(".gz"):
        return gzip.open(path, "rt", newline="", encoding="utf-8")
    return open(path, newline="", encoding="utf-8")


def read_rows(path, start=0, stop=None):
    """``(row number, text, label)`` of the data rows ``start:stop``, one at a time."""
    with open_csv(path) as f:
        reader = csv.DictReader(f)
        numbered = enumerate((row["text"], row["sentiment"]) for row in reader)
        for number, (text, label) in islice(numbered, start, stop):
            yield number, text, label


def held_out(number):
    return number % HOLDOUT_EVERY == HOLDOUT_EVERY - 1


def scan(path):
    """Number of rows and the sorted labels, in one streaming pass."""
    n_rows, labels = 0, set()
    for _, _, label in read_rows(path):
        n_rows += 1
        labels.add(label)
    return n_rows, sorted(labels)


def interleaved(path, n_rows, n_streams, shift=0.0):
    """Every row once: ``n_streams`` readers of consecutive ranges, taking turns.

    Each reader starts ``shift`` (a fraction) into its range and wraps around to the
    range's beginning, so that another ``shift`` gives every pass other chunks.
    """
    bounds = [n_rows * k // n_streams for k in range(n_streams + 1)]
    readers = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        middle = a + int(shift * (b - a))
        readers.append(chain(read_rows(path, middle, b), read_rows(path, a, middle)))
    while readers:
        for reader in list(readers):
            row = next(reader, None)
            if row is None:
                readers.remove(reader)
            else:
                yield row


def shuffled(rows, buffer_size, rng):
    """The rows in a random order, through a buffer of ``buffer_size`` rows: each row
    read replaces a row drawn at random from the buffer, which is emitted."""
    buffer = []
    for row in rows:
        if len(buffer) < buffer_size:
            buffer.append(row)
            continue
        i = rng.integers(buffer_size)
        buffer[i], row = row, buffer[i]
        yield row
    rng.shuffle(buffer)
    yield from buffer


def chunks(rows, chunksize):
    """Lists of at most ``chunksize`` training rows (held-out rows are skipped)."""
    texts, labels = [], []
    for number, text, label in rows:
        if held_out(number):
            continue
        texts.append(text)
        labels.append(label)
        if len(texts) == chunksize:
            yield texts, labels
            texts, labels = [], []
    if texts:
        yield texts, labels


def held_out_accuracy(clf, path, chunksize):
    """Accuracy on the held-out rows, predicted a chunk at a time."""
    correct = total = 0
    texts, labels = [], []
    for number, text, label in read_rows(path):
        if held_out(number):
            texts.append(text)
            labels.append(label)
        if len(texts) == chunksize:
            correct += int((clf.predict(texts) == labels).sum())
            total += len(texts)
            texts, labels = [], []
    if texts:
        correct += int((clf.predict(texts) == labels).sum())
        total += len(texts)
    return correct / total, total


def peak_rss_mb():
    # kilobytes on Linux, bytes on macOS
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def make_classifier(args):
    return RNNSentimentClassifier(
        hash_buckets=args.hash_buckets,
        hidden_size=args.hidden_size,
        embedding_size=args.embedding_size,
        batch_size=args.batch_size,
        learning_rate_init=args.learning_rate,
        random_state=0,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="CSV (or .csv.gz) with columns text and sentiment")
    parser.add_argument("--chunksize", type=int, required=True,
                        help="training rows per partial_fit call")
    parser.add_argument("--passes", type=int, default=3, help="passes over the file")
    parser.add_argument("--streams", type=int, default=64,
                        help="readers of consecutive parts of the file, taking turns")
    parser.add_argument("--shuffle-buffer", type=int, default=10_000,
                        help="rows held to shuffle the stream (0: none)")
    parser.add_argument("--hash-buckets", type=int, default=2**16)
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--embedding-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64,
                        help="minibatch size within each partial_fit call")
    parser.add_argument("--learning-rate", type=float, default=0.004)
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also report the peak of memory allocated during each pass")
    parser.add_argument("--compare", action="store_true",
                        help="then fit the same estimator on the training rows in memory")
    args = parser.parse_args(argv)

    n_rows, classes = scan(args.data)
    print(f"{n_rows} rows, classes {classes}; every {HOLDOUT_EVERY}th row held out; "
          f"chunks of {args.chunksize} training rows from {args.streams} streams through "
          f"a shuffle buffer of {args.shuffle_buffer} rows")
    clf = make_classifier(args)
    if args.tracemalloc:
        tracemalloc.start()
    for p in range(1, args.passes + 1):
        tracemalloc.reset_peak()  # (does nothing when not tracing)
        start = time.perf_counter()
        n_calls = 0
        rows = interleaved(args.data, n_rows, args.streams, shift=(p - 1) / args.passes)
        if args.shuffle_buffer:
            rows = shuffled(rows, args.shuffle_buffer, np.random.default_rng(p))
        for texts, labels in chunks(rows, args.chunksize):
            clf.partial_fit(texts, labels, classes=classes)
            n_calls += 1
        seconds = time.perf_counter() - start
        traced = ""
        if args.tracemalloc:
            traced = (f", peak allocated in the pass "
                      f"{tracemalloc.get_traced_memory()[1] / 2**20:.1f} MB (tracemalloc)")
        accuracy, n_held_out = held_out_accuracy(clf, args.data, args.chunksize)
        print(f"pass {p}: {n_calls} partial_fit calls in {seconds:.1f} s, held-out "
              f"accuracy {accuracy:.4f} ({n_held_out} rows), peak RSS "
              f"{peak_rss_mb():.1f} MB{traced}", flush=True)
    tracemalloc.stop()
    stream_accuracy = accuracy

    if args.compare:
        # the comparison only: every training row in memory, one fit of as many epochs
        texts, labels = [], []
        for _, text, label in filter(lambda row: not held_out(row[0]), read_rows(args.data)):
            texts.append(text)
            labels.append(label)
        fitted = make_classifier(args).set_params(max_iter=args.passes, early_stopping=False)
        start = time.perf_counter()
        with warnings.catch_warnings():  # max_iter is the number of passes, on purpose
            warnings.simplefilter("ignore", ConvergenceWarning)
            fitted.fit(texts, labels)
        seconds = time.perf_counter() - start
        accuracy, _ = held_out_accuracy(fitted, args.data, args.chunksize)
        print(f"in-memory fit: {len(texts)} rows, {fitted.n_iter_} epochs in {seconds:.1f} s, "
              f"held-out accuracy {accuracy:.4f} (stream - in memory: "
              f"{100 * (stream_accuracy - accuracy):+.2f} points), "
              f"peak RSS {peak_rss_mb():.1f} MB")
    return clf


if __name__ == "__main__":
    main()
