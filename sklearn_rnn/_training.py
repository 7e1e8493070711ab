"""The training loop: from encoded, deduplicated samples to trained weights.

The estimator validates and encodes the data (:mod:`sklearn_rnn._encoding`), merges its
duplicate samples (:mod:`sklearn_rnn._data`) and hands the rest to :func:`train`, which
owns everything from there to the weights: the memory check before anything is
allocated, the weights' initialisation (or where training goes on from), the optimizer
(made, or resumed with its state), the validation split, the epochs and their batches,
early stopping, the moving average of the weights and divergence. The network's forward
and backward passes are :mod:`sklearn_rnn._rnn`'s, the updates and the learning-rate
schedule :mod:`sklearn_rnn._optim`'s.

The loop is cut into named steps, as skorch's ``NeuralNet``: :func:`fit_loop` runs the
epochs, :func:`run_epoch` the batches of one, :func:`train_step` one batch (loss,
gradients, update) and :func:`validation_step` the held-out loss; :class:`EarlyStopping`
is the small monitor deciding when to stop. The 'auto' choices of the estimator's
parameters (batch size, step size, early stopping, patience) are made here too.
"""

import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple, Optional

import numpy as np
import scipy.sparse as sp
from joblib import effective_n_jobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from . import _linear, _rnn
from ._data import epoch_batches, predict_chunks
from ._optim import SOLVERS, WeightAverage, copy_param, make_writable

# a fit whose batches' activations would exceed this is refused (see check_memory)
MEMORY_LIMIT = 4 << 30
# batch_size='auto': one full batch up to this many (distinct) samples, else AUTO_BATCH
FULL_BATCH_MAX = 512
AUTO_BATCH = 64
# learning_rate_init='auto': full-batch and minibatch step sizes
AUTO_LR_FULL_BATCH = 0.01
AUTO_LR_MINI_BATCH = 0.004
# early_stopping='auto' holds out a validation split above this many distinct samples
# (whenever training runs in minibatches)
AUTO_EARLY_STOPPING = FULL_BATCH_MAX
# n_iter_no_change='auto': patience without and with early stopping
AUTO_PATIENCE = 20
AUTO_PATIENCE_EARLY = 2
# the linear path (Wbag), trained with the network: its step size is the learning rate
# times this, and its own L2 penalty on the columns a batch uses is this
BAG_LR_SCALE = 10.0
BAG_ALPHA = 1e-3
# fit keeps the network beside the linear path only if the validation loss of the two
# is lower than the linear path's alone by more than this many standard errors of the
# paired per-sample differences
CLEARLY_BETTER = 1.0


class Setup(NamedTuple):
    """What training reads of the estimator's parameters (same names and meanings), and
    the architecture."""

    arch: _rnn.Arch
    hidden_size: int
    embedding_size: Optional[int]
    dtype: str
    dropout: float
    label_smoothing: float
    ema_decay: Optional[float]
    solver: str
    learning_rate_init: object
    learning_rate: str
    momentum: float
    nesterovs_momentum: bool
    beta_1: float
    beta_2: float
    epsilon: float
    batch_size: object
    max_iter: int
    tol: float
    n_iter_no_change: object
    early_stopping: object
    validation_fraction: float
    alpha: float
    clip_value: Optional[float]
    shuffle: bool
    verbose: int
    word_ngrams: Optional[int]
    train_window: Optional[int]

    @classmethod
    def of(cls, estimator, arch):
        return cls(arch, *(getattr(estimator, name) for name in cls._fields[1:]))

    def batch_size_for(self, n_samples):
        """``batch_size``, or with 'auto' one full batch up to 512 samples, else 64."""
        if self.batch_size == "auto":
            return n_samples if n_samples <= FULL_BATCH_MAX else AUTO_BATCH
        return min(self.batch_size, n_samples)

    def learning_rate_for(self, n_samples):
        """``learning_rate_init``, or with 'auto' 0.01 for one full batch, else 0.004."""
        if self.learning_rate_init != "auto":
            return self.learning_rate_init
        one_batch = self.batch_size_for(n_samples) >= n_samples
        return AUTO_LR_FULL_BATCH if one_batch else AUTO_LR_MINI_BATCH

    def early_stopping_for(self, n_samples):
        """``early_stopping``, or with 'auto' whether there are over 512 samples (whether
        training runs in minibatches)."""
        if self.early_stopping == "auto":
            return n_samples > AUTO_EARLY_STOPPING
        return self.early_stopping

    def window_for(self, seqs):
        """``train_window`` for text, None (sequences read whole) for numeric input."""
        return self.train_window if seqs.text else None

    def patience_for(self, early):
        """``n_iter_no_change``, or with 'auto' 2 epochs with early stopping, else 20."""
        if self.n_iter_no_change == "auto":
            return AUTO_PATIENCE_EARLY if early else AUTO_PATIENCE
        return self.n_iter_no_change


class Start(NamedTuple):
    """Where training starts: a new model of ``n_inputs`` input columns (or features)
    and ``n_classes`` classes (``unknown_column`` starting at zero), or the ``weights``
    of a fitted one, with the ``optimizer`` and ``average`` of ``partial_fit``."""

    n_inputs: int = 0
    n_classes: int = 0
    unknown_column: Optional[int] = None
    weights: Optional[dict] = None
    optimizer: object = None
    average: object = None


class History:
    """The curves of the estimator (``loss_curve_``, ``n_iter_``, ...), extended in place
    epoch after epoch, so that they hold what was done even if training fails."""

    def __init__(self, loss_curve, n_iter, validation_loss_curve=None,
                 validation_scores=None, best_validation_score=None, epoch_times=None):
        self.loss_curve, self.n_iter = loss_curve, n_iter
        self.epoch_times = [] if epoch_times is None else epoch_times
        self.validation_loss_curve = validation_loss_curve
        self.validation_scores = validation_scores
        self.best_validation_score = best_validation_score


class Result(NamedTuple):
    """What training leaves: the ``weights`` to predict with (the weight average's, or
    the best epoch's), the ``raw`` weights as trained, the optimizer and the average."""

    weights: dict
    raw: dict
    optimizer: object
    average: object


class Diverged(ValueError):
    """Training diverged; ``weights`` are those of before the failing batch (and
    :func:`train` adds the ``optimizer`` and ``average``, in their state of then)."""

    def __init__(self, message, weights):
        super().__init__(message)
        self.weights = weights
        self.optimizer = self.average = None


class EarlyStopping:
    """Counts the epochs since the monitored loss last improved by more than ``tol``."""

    def __init__(self, patience, tol):
        self.patience, self.tol = patience, tol
        self.best, self.stalled = np.inf, 0

    def update(self, loss):
        """Account for an epoch's loss; whether it is the best so far."""
        self.stalled = self.stalled + 1 if loss > self.best - self.tol else 0
        improved = loss < self.best
        if improved:
            self.best = loss
        return improved

    @property
    def should_stop(self):
        return self.stalled >= self.patience

    def restart(self):
        """Count again from now (after the step size was lowered)."""
        self.stalled = 0


def train(seqs, y, sample_weight, rng, setup, start, history, *, lengths, rows,
          partial=False):
    """Train from ``start`` on samples ``seqs`` (distinct, sorted, at least one) with
    labels ``y`` (class indices) and weights; one epoch for ``partial_fit``.

    ``lengths`` and ``rows`` (the lengths of the samples of positive weight, and where
    they are in ``X``) name a document too long to train on. Raises :class:`Diverged`
    if an update overflows.

    Returns
    -------
    result : Result
    """
    dtype = np.dtype(setup.dtype) if start.weights is None else start.weights["Whh"].dtype
    n_inputs = (setup.embedding_size or 0) if seqs.text else seqs.data.shape[2]
    check_memory(lengths, rows, setup, setup.batch_size_for(len(seqs)), seqs.text, n_inputs,
                 dtype.itemsize, setup.window_for(seqs))
    if start.weights is None:
        params = _rnn.init_params(setup.arch, start.n_inputs, start.n_classes,
                                  setup.hidden_size,
                                  setup.embedding_size if seqs.text else None, rng, dtype,
                                  unknown_column=start.unknown_column)
        if seqs.bag is not None:
            params["Wbag"] = np.zeros((start.n_classes, _linear.BAG_BUCKETS), dtype=dtype,
                                      order="F")
    else:
        params = {k: copy_param(v, dtype) for k, v in start.weights.items()}
    # a new fit starts from the linear path fitted alone (see fit_loop)
    staged = "Wbag" in params and not partial and start.weights is None
    optimizer, average = start.optimizer, start.average
    if optimizer is not None:  # partial_fit goes on with its optimizer's state
        for state in (optimizer, average):
            if state is not None:
                make_writable(state)
        optimizer.bind(params)
    else:
        sparse = _rnn.looked_up_names(params) if seqs.text else []
        if "Wbag" in params:
            sparse = [*sparse, "Wbag"]
        optimizer = make_optimizer(params, setup, len(seqs), sparse)
        average = None
        if setup.ema_decay is not None:
            average = WeightAverage(params, setup.ema_decay, optimizer.sparse)
    try:
        weights = fit_loop(seqs, y, sample_weight, params, optimizer, average, rng, setup,
                           history, partial, staged)
    except Diverged as exc:  # the optimizer too is as it was before the failing batch
        exc.optimizer, exc.average = optimizer, average
        raise
    return Result(weights, params, optimizer, average)


def make_optimizer(params, setup, n_samples, sparse=()):
    """A new optimizer of ``setup.solver`` for ``params``; ``sparse`` names the
    parameters updated column by column."""
    lr = setup.learning_rate_for(n_samples)
    common = dict(sparse=tuple(sparse), clip_value=setup.clip_value,
                  schedule=setup.learning_rate,
                  scale={"Wbag": BAG_LR_SCALE} if "Wbag" in sparse else None)
    if setup.solver == "adam":
        return SOLVERS["adam"](params, lr, setup.beta_1, setup.beta_2, setup.epsilon,
                               **common)
    return SOLVERS["sgd"](params, lr, setup.momentum, setup.nesterovs_momentum, **common)


def check_memory(lengths, rows, setup, batch_size, text, n_inputs, itemsize, window=None):
    """Refuse, before allocating, a fit whose batches cannot fit in memory.

    Backpropagation through time keeps every time step's activations of a batch, so a
    batch costs about :func:`~sklearn_rnn._rnn.training_bytes_per_token` per token; the
    batches of one epoch hold at most the ``batch_size`` longest sequences together.
    Prediction is not limited: it streams. ``lengths`` are those of the samples
    ``X[rows]``; each direction reads ``n_inputs`` input features per token, and
    training at most ``window`` tokens of each document (``train_window``).
    """
    read = lengths if window is None else np.minimum(lengths, window)
    longest = np.sort(read)[::-1][:batch_size]
    n_tokens = int(longest.sum())
    per_token = _rnn.training_bytes_per_token(setup.arch, setup.hidden_size, n_inputs,
                                              itemsize)
    if n_tokens * per_token <= MEMORY_LIMIT:
        return
    top = int(np.argmax(lengths))
    what = "tokens" if text else "time steps"
    through = "" if lengths[top] == read[top] else f", read through train_window={window:,}"
    fits = max(1, MEMORY_LIMIT // (per_token * batch_size))
    advice = (f"Set train_window={fits:,} (training reads a window of that many tokens "
              "of each document per epoch; prediction reads them whole), keep the last "
              f"max_len={fits:,} tokens of each document, or lower batch_size" if text else
              f"Use sequences of at most {fits:,} time steps (or lower batch_size)")
    raise ValueError(
        f"X[{rows[top]}] has {int(lengths[top]):,} {what}{through}: training on it would need "
        f"about {n_tokens * per_token / 2**30:.1f} GiB, over the limit of "
        f"{MEMORY_LIMIT / 2**30:g} GiB (backpropagation through time keeps "
        f"every step's activations of a batch: {n_tokens:,} {what} in the "
        f"{len(longest)} longest sequences, about {per_token:,} bytes each for this "
        f"network). {advice}."
    )


# ------------------------------------------------------------------------- the loop
def fit_loop(seqs, y, sample_weight, params, optimizer, average, rng, setup, history,
             partial=False, staged=False):
    """The epochs: validation split, epochs, monitoring, stopping, the weights kept.

    ``params`` are trained in place. Returns the weights to predict with: the best
    epoch's with early stopping, else the weight average's, else ``params``.

    ``staged`` (a new fit with a linear path) and early stopping: first the linear path
    alone is fitted (:func:`fit_linear_start`), and the network's output ``Why`` set to
    zero, so that training starts from the linear model, and goes on with both; the
    linear model counts as epoch 0, and is kept, refitted on all the samples, unless the
    model of the best epoch is clearly better on the validation split
    (:func:`clearly_better`). Without a validation split there is nothing to compare
    with, and both train together from the start (the linear path from zero), as
    ``partial_fit`` trains them: on the tutorial's sentences, starting from the linear
    model fitted alone left the network too little to learn (3-fold cross-validation
    0.94 against 0.99).
    """
    early = not partial and setup.early_stopping_for(len(seqs))
    split = validation_split(y, setup.validation_fraction, rng) if early else None
    early = split is not None
    if early:
        if history.validation_loss_curve is None:  # a new fit, or warm after none
            history.validation_loss_curve, history.validation_scores = [], []
        train_rows, val_rows = split
        validation = (seqs.subset(val_rows), y[val_rows], sample_weight[val_rows])
        seqs, y, sample_weight = (seqs.subset(train_rows), y[train_rows],
                                  sample_weight[train_rows])
    monitor = EarlyStopping(setup.patience_for(early), setup.tol)
    best_params = linear_params = linear = None
    if staged and early:
        linear = fit_linear_start(params, seqs, y, sample_weight, setup.verbose)
        # the linear model is epoch 0
        linear_params = {k: v.copy() for k, v in params.items()}
        val_loss, history.best_validation_score = validation_step(params, setup.arch,
                                                                  *validation)
        monitor.update(val_loss)
        if setup.verbose:
            print(f"Epoch 0 (the linear path alone): validation loss {val_loss:.6f}, "
                  f"validation accuracy {history.best_validation_score:.4f}", flush=True)
        best_params = linear_params
    batch_size = setup.batch_size_for(len(seqs))
    # documents longer than the window are read through a new random window every epoch
    window = setup.window_for(seqs)
    lengths = seqs.lengths
    if window is not None and len(lengths) and lengths.max() > window:
        lengths = np.minimum(lengths, window)
    else:
        window = None
    n_read = int(lengths.sum()) if seqs.text else seqs.n_tokens
    full_batch = None
    if batch_size == len(seqs) and window is None:  # the same every epoch: pack it once
        full_batch = list(labelled_batches(seqs, y, sample_weight, [np.arange(len(seqs))]))
    converged = False
    for _ in range(1 if partial else setup.max_iter):
        start = time.perf_counter()
        if full_batch is None:
            indices = epoch_batches(lengths, batch_size, seqs.text, setup.shuffle, rng)
            batches = labelled_batches(seqs, y, sample_weight, indices, window, rng)
        else:
            batches = full_batch
        n_batches = -(-len(seqs) // batch_size)
        loss = run_epoch(batches, n_batches, params, optimizer, average, rng, setup,
                         float(sample_weight.sum()), seqs.table, history.n_iter + 1)
        history.loss_curve.append(loss)
        history.n_iter += 1
        line = f"Epoch {history.n_iter}: loss {loss:.6f}"
        monitored = loss
        if early:
            current = averaged(params, average)
            val_loss, val_score = validation_step(current, setup.arch, *validation)
            history.validation_loss_curve.append(val_loss)
            history.validation_scores.append(val_score)
            line += f", validation loss {val_loss:.6f}, validation accuracy {val_score:.4f}"
            monitored = val_loss
        seconds = time.perf_counter() - start
        history.epoch_times.append(seconds)
        if setup.verbose:
            print(f"{line}, {seconds:.2f} s, "
                  f"{n_read / max(seconds, 1e-9):,.0f} tokens/s", flush=True)
        if partial:
            continue
        if monitor.update(monitored) and early:
            best_params = {k: v.copy() for k, v in current.items()}
            history.best_validation_score = val_score
        if monitor.should_stop:
            what = "Validation" if early else "Training"
            message = (f"{what} loss did not improve more than tol={setup.tol} for "
                       f"{monitor.patience}")
            if not optimizer.trigger_stopping(message, setup.verbose):
                monitor.restart()
                continue
            converged = True
            break
    if not partial and not converged:
        warnings.warn(
            f"Stochastic optimizer: maximum iterations ({setup.max_iter}) reached and "
            "the optimization hasn't converged yet.",
            ConvergenceWarning,
        )
    if linear_params is not None:
        if best_params is linear_params or not clearly_better(best_params, linear_params,
                                                              setup, validation):
            every = [_stack(a, b) for a, b in zip(
                (seqs.bag, y, sample_weight),
                (validation[0].bag, validation[1], validation[2]))]
            return refit_linear(linear_params, linear, *every, setup.verbose)
    if best_params is not None:
        return best_params
    return averaged(params, average)


def _stack(a, b):
    return sp.vstack([a, b], format="csr") if sp.issparse(a) else np.concatenate([a, b])


def averaged(params, average):
    """The weights to predict with now: the weight average's (of the parameters it
    averages; the others as they are) or ``params``."""
    if average is None:
        return params
    return {**params, **average.averaged(params)}


def fit_linear_start(params, seqs, y, sample_weight, verbose):
    """Fit the linear path alone, write it in ``params`` (``Wbag`` and ``by``) and zero
    the network's output ``Why``. Returns the :class:`~sklearn_rnn._linear.LinearFit`."""
    tic = time.perf_counter()
    fit = _linear.fit_linear(seqs.bag, y, sample_weight, len(params["by"]))
    fit.write(params)
    params["Why"][...] = 0.0
    if verbose:
        print(f"Linear path: C={fit.C:g}, {time.perf_counter() - tic:.2f} s", flush=True)
    return fit


def refit_linear(params, linear, bag, y, sample_weight, verbose):
    """The linear model alone (``params`` with ``Why`` zero) refitted on every training
    sample (the validation split's too), from ``linear``."""
    fit = _linear.fit_linear(bag, y, sample_weight, len(params["by"]), linear.C, linear)
    fit.write(params)
    if verbose:
        print(f"Kept the linear path alone (C={fit.C:g}), refitted on all "
              f"{len(y):,} samples", flush=True)
    return params


def clearly_better(params, linear_params, setup, validation):
    """Whether ``params`` have a lower validation loss than ``linear_params`` by more than
    :data:`CLEARLY_BETTER` standard errors of the per-sample differences."""
    seqs, y, w = validation
    with np.errstate(divide="ignore"):
        losses = [-np.log(predict_proba(p, setup.arch, seqs)[np.arange(len(y)), y])
                  for p in (params, linear_params)]
    diff = losses[0] - losses[1]
    share = w / w.sum()
    mean = float(np.dot(share, diff))
    se = float(np.sqrt(np.dot(share, (diff - mean) ** 2) / max(len(y) - 1, 1)))
    return mean < -CLEARLY_BETTER * se


def run_epoch(batches, n_batches, params, optimizer, average, rng, setup, total_weight,
              table, epoch):
    """One pass over ``batches`` (``(packed batch, labels, weights, bags)`` each): returns the
    epoch's sample-weighted mean loss."""
    total = seen = 0.0
    report = setup.verbose >= 2 and n_batches >= 20
    for i, (batch, y, w, bag) in enumerate(batches):
        loss = train_step(batch, y, w, params, optimizer, average, rng, setup, table,
                          (epoch, i + 1), bag)
        weight = float(w.sum())
        total += loss * weight
        seen += weight
        if report and (i + 1) % (n_batches // 10) == 0:
            print(f"  epoch {epoch}: {i + 1}/{n_batches} batches, "
                  f"loss so far {total / seen:.6f}", flush=True)
    return total / total_weight


def train_step(batch, y, w, params, optimizer, average, rng, setup, table, where, bag=None):
    """Loss and gradients of one batch, then the update (and the weight average's).
    Raises :class:`Diverged`, the update not applied, if either overflows; ``where``
    (epoch, batch) says where. ``bag`` feeds the linear path, trained if the optimizer
    updates ``Wbag``."""
    masks = None
    if setup.dropout:
        masks = _rnn.dropout_masks(rng, batch, params, setup.arch, setup.dropout)
    loss, grads = _rnn.loss_and_grads(params, batch, y, w, setup.alpha, arch=setup.arch,
                                      masks=masks, label_smoothing=setup.label_smoothing,
                                      table=table, bag=bag, bag_alpha=BAG_ALPHA,
                                      train_bag="Wbag" in optimizer.sparse)
    if average is not None:
        average.prepare(params, grads)
    if not (np.isfinite(loss) and optimizer.update(params, grads)):
        what = ("The training loss" if not np.isfinite(loss)
                else "The gradient, or the weights it would give,")
        raise Diverged(
            f"{what} overflowed in epoch {where[0]} (batch {where[1]}, loss {loss:.6g}): "
            "training diverged. The "
            "learning rate is probably too high; lower learning_rate_init (or set "
            "clip_value). The weights are left as they were before that batch.",
            params,
        )
    if average is not None:
        average.update(params, grads)
    return loss


def validation_step(params, arch, seqs, y, sample_weight):
    """Sample-weighted mean cross-entropy and accuracy of held-out samples."""
    proba = predict_proba(params, arch, seqs)
    with np.errstate(divide="ignore"):
        loss = _rnn.cross_entropy(np.log(proba), y, sample_weight)
    return loss, float(np.dot(sample_weight / sample_weight.sum(), proba.argmax(axis=1) == y))


def predict_proba(params, arch, seqs, n_jobs=None):
    """Class probabilities of every sequence, chunk after chunk (memory stays bounded),
    in the order of ``seqs``; ``n_jobs`` threads predict chunks at once (a row's
    probabilities depend on that row alone, so they are the same whatever the number).
    """
    proba = np.empty((len(seqs), params["by"].shape[0]), dtype=np.float64)
    # each distinct token's input projection, once for every chunk
    projections = _rnn.project_tokens(params, arch, seqs.data.ids, seqs.table) if (
        seqs.text) else None

    def chunk(index):
        # NumPy's error state is per thread: the caller's does not reach a worker
        with np.errstate(over="ignore", invalid="ignore"):
            batch = seqs.pack(index)
            return index[batch.order], _rnn.predict_proba(
                params, batch, arch, seqs.table, seqs.bag_of(index, batch), projections)

    chunks = list(predict_chunks(seqs.lengths))
    threads = min(effective_n_jobs(n_jobs), len(chunks))
    if threads <= 1:
        for rows, values in map(chunk, chunks):
            proba[rows] = values
        return proba
    # threads, whatever joblib backend is active: NumPy and BLAS release the GIL, and
    # the weights are shared, not copied
    with ThreadPoolExecutor(threads) as pool:
        for rows, values in pool.map(chunk, chunks):
            proba[rows] = values
    return proba


def labelled_batches(seqs, y, sample_weight, indices, window=None, rng=None):
    """(packed batch, labels, weights, bags) for each index array, labels in packed
    order (bags None without a linear path); ``window`` and ``rng`` as
    :meth:`~sklearn_rnn._data.Sequences.pack_all`'s (the bags hold whole documents)."""
    for index, batch in zip(indices, seqs.pack_all(indices, window, rng)):
        order = index[batch.order]
        yield batch, y[order], sample_weight[order], seqs.bag_of(index, batch)


def validation_split(y, fraction, rng):
    """(train, validation) index arrays of the distinct training samples, or None.

    Stratified where scikit-learn can stratify (every class has 2 samples, and each
    part room for one of every class); else a plain random split drawn from the same
    ``rng``; None, training without validation, when that leaves no validation sample
    or fewer than 2 classes to train on (``rng`` is then left as it was). Each fallback
    warns, saying why.
    """
    index = np.arange(len(y))
    state = rng.get_state()
    unstratified = None
    try:
        split = train_test_split(index, test_size=fraction, stratify=y, random_state=rng)
    except ValueError as exc:  # raised before anything is drawn from rng
        unstratified = str(exc)
        try:
            split = train_test_split(index, test_size=fraction, random_state=rng)
        except ValueError:  # an empty part
            split = None
    if split is None or len(np.unique(y[split[0]])) < 2:
        warnings.warn(
            f"early_stopping: a validation_fraction={fraction} of {len(y)} distinct "
            "samples leaves no validation sample or fewer than 2 classes to train on; "
            "training without validation, monitoring the training loss as "
            "early_stopping=False does.",
            UserWarning,
        )
        rng.set_state(state)  # nothing drawn: the fit goes on as with early_stopping=False
        return None
    if unstratified is not None:
        warnings.warn(
            f"early_stopping: a stratified validation_fraction={fraction} of {len(y)} "
            f"distinct samples is impossible ({unstratified}); the validation set is "
            "drawn at random, unstratified, instead.",
            UserWarning,
        )
    train_rows, val_rows = split
    return np.sort(train_rows), np.sort(val_rows)
