"""The scikit-learn estimator: parameters, input dispatch, training loop, prediction.

The mathematics lives in :mod:`sklearn_rnn._rnn`, the updates in
:mod:`sklearn_rnn._optim` and the tokenization in :mod:`sklearn_rnn._text`.
"""

import time
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    assert_all_finite,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)
from threadpoolctl import threadpool_limits

from . import _rnn
from ._optim import SOLVERS
from ._text import TokenIds, build_analyzer, encode, fit_encode

# 'auto' batch size: one full batch up to this many (distinct) samples, else _AUTO_BATCH
_FULL_BATCH_MAX = 512
_AUTO_BATCH = 128
# with text input, batches are drawn from groups of this many batches sorted by length
_BUCKET_BATCHES = 50
# prediction works through chunks of at most this many documents and tokens
_PREDICT_ROWS = 1024
_PREDICT_TOKENS = 1 << 16
# below this hidden size BLAS runs on one thread: more threads only add overhead
_SINGLE_THREAD_HIDDEN = 512


class RNNSentimentClassifier(ClassifierMixin, BaseEstimator):
    """Many-to-one tanh recurrent neural network classifier for text and sequences.

    The model reads a sequence one step at a time,
    ``h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)`` from ``h_0 = 0``, and classifies the
    final state, ``y = Why h_T + by``, with a softmax. It is trained by
    backpropagation through time on the sample-weighted mean cross-entropy.

    ``X`` may be

    - text: a list, tuple, 1-D array or pandas Series of ``str`` documents
      (or a one-column 2-D array or DataFrame of them). Documents are tokenized with
      scikit-learn's ``CountVectorizer`` analyzer, in order; token ``w`` enters as the
      one-hot vector of column ``vocabulary_[w]`` of ``Wxh``, looked up by index.
      Tokens outside the vocabulary share one extra, unknown-word column;
    - pre-tokenised text: a 2-D array of strings (or objects) with several columns,
      each cell one token; ``None`` and NaN cells are skipped;
    - numeric sequences: a 2-D array of shape ``(n_samples, n_timesteps)`` (one value
      per step) or a 3-D array of shape ``(n_samples, n_timesteps, n_features)``.

    Parameters
    ----------
    hidden_size : int, default=64
        Number of hidden units ``H``.

    solver : {'adam', 'sgd'}, default='adam'
        The optimizer.

    learning_rate_init : float, default=0.01
        Step size.

    momentum : float, default=0.9
        Momentum of ``solver='sgd'``, between 0 and 1.

    nesterovs_momentum : bool, default=True
        Whether ``solver='sgd'`` uses Nesterov's momentum (when ``momentum > 0``).

    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of Adam's first and second moment estimates, in [0, 1).

    epsilon : float, default=1e-8
        Adam's numerical stability term.

    batch_size : int or 'auto', default='auto'
        Samples per minibatch. ``'auto'`` trains on all samples in one batch when there
        are at most 512 distinct ones, and in batches of 128 otherwise.

    max_iter : int, default=200
        Maximum number of epochs (passes over the data).

    tol : float, default=1e-4
        Training stops when the epoch's training loss has not improved by at least
        ``tol`` for ``n_iter_no_change`` consecutive epochs.

    n_iter_no_change : int, default=20
        See ``tol``.

    alpha : float, default=0.0
        L2 penalty: ``alpha / 2`` times the squared norm of ``Whh``, ``Why`` and ``Wxh``
        is added to each batch's loss. For text input only the columns of ``Wxh`` that
        occur in the batch count, so updates stay as sparse as the batch.

    clip_value : float or None, default=1.0
        Clip every gradient element to ``[-clip_value, clip_value]`` before each update,
        as the tutorial does. ``None`` turns clipping off.

    shuffle : bool, default=True
        Whether to shuffle the samples every epoch (mini-batch training only).

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation and shuffling. An int makes fits bit-identical.

    verbose : int, default=0
        Print one line per epoch when positive.

    warm_start : bool, default=False
        Continue from the fitted weights, vocabulary and classes on the next ``fit``.

    lowercase : bool, default=True
        Lowercase text before tokenizing.

    token_pattern : str or None, default=r"(?u)\\b\\w+\\b"
        Regular expression of a token, as in ``CountVectorizer``; the default keeps
        one-letter words such as "i" and "a". Ignored when ``tokenizer`` is given.

    tokenizer : callable or None, default=None
        Function splitting a (lowercased) document into tokens.

    max_features : int or None, default=None
        Keep only the most frequent tokens in the vocabulary; the rest share the
        unknown-word column.

    min_df : int or float, default=1
        Keep tokens found in at least this many documents (int) or this fraction of
        documents (float); the rest share the unknown-word column.

    max_len : int or None, default=None
        Keep only the last ``max_len`` tokens of each document.

    dtype : {'float64', 'float32'}, default='float64'
        Floating point type of the weights and of the computations. ``'float32'`` is
        faster and gives slightly different numbers.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, as given in ``y``.

    vocabulary_ : dict
        Token to column of ``Wxh`` (text input only). Column ``len(vocabulary_)`` is
        the unknown-word column; it stays zero when training saw no unknown word.

    weights_ : dict of ndarray
        ``Wxh`` of shape (hidden_size, n_inputs), ``Whh`` of shape
        (hidden_size, hidden_size), ``Why`` of shape (n_classes, hidden_size), ``bh``
        of shape (hidden_size,) and ``by`` of shape (n_classes,), where ``n_inputs`` is
        ``len(vocabulary_) + 1`` for text and the number of features per step otherwise.

    n_iter_ : int
        Number of epochs run.

    loss_ : float
        Training loss of the last epoch.

    loss_curve_ : list of float
        Training loss of each epoch.

    n_features_in_ : int
        Number of time steps of numeric input (not set for text).

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of a numeric DataFrame given to ``fit``.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : Feed-forward network with the same training
        parameters.

    Examples
    --------
    >>> from sklearn_rnn import RNNSentimentClassifier
    >>> from sklearn_rnn.datasets import load_seed_sentiment
    >>> X_train, X_test, y_train, y_test = load_seed_sentiment()
    >>> clf = RNNSentimentClassifier(random_state=1).fit(X_train, y_train)
    >>> clf.predict(["i am very happy", "this is not good"])
    array([ True, False])
    >>> float(clf.score(X_test, y_test))
    1.0
    """

    _parameter_constraints = {
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "solver": [StrOptions(set(SOLVERS))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "clip_value": [Interval(Real, 0, None, closed="neither"), None],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "lowercase": ["boolean"],
        "token_pattern": [str, None],
        "tokenizer": [callable, None],
        "max_features": [Interval(Integral, 1, None, closed="left"), None],
        "min_df": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="both"),
        ],
        "max_len": [Interval(Integral, 1, None, closed="left"), None],
        "dtype": [StrOptions({"float64", "float32"})],
    }

    def __init__(
        self,
        *,
        hidden_size=64,
        solver="adam",
        learning_rate_init=0.01,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        batch_size="auto",
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=20,
        alpha=0.0,
        clip_value=1.0,
        shuffle=True,
        random_state=None,
        verbose=0,
        warm_start=False,
        lowercase=True,
        token_pattern=r"(?u)\b\w+\b",
        tokenizer=None,
        max_features=None,
        min_df=1,
        max_len=None,
        dtype="float64",
    ):
        self.hidden_size = hidden_size
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.alpha = alpha
        self.clip_value = clip_value
        self.shuffle = shuffle
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.tokenizer = tokenizer
        self.max_features = max_features
        self.min_df = min_df
        self.max_len = max_len
        self.dtype = dtype

    # ------------------------------------------------------------------ input
    def _analyzer(self):
        return build_analyzer(self.lowercase, self.token_pattern, self.tokenizer)

    def _tokenize(self, X):
        """Token lists if ``X`` is text (documents or pre-tokenised rows), else None."""
        if isinstance(X, (str, bytes)):
            raise ValueError(
                "Iterable over raw text documents expected, string object received."
            )
        if sp.issparse(X) or not hasattr(X, "__len__"):
            return None
        if hasattr(X, "iloc") and getattr(X, "ndim", 2) == 2:  # DataFrame
            if all(dt.kind in "biuf" for dt in X.dtypes):
                return None
            X = X.to_numpy(dtype=object)
        if isinstance(X, np.ndarray) and X.dtype.kind not in "OUS":
            return None
        ndim = getattr(X, "ndim", None)
        if ndim is None or ndim == 1:
            docs = X if ndim is None else list(X)
            if len(docs) == 0:
                return []
            if not any(isinstance(doc, str) for doc in docs):
                return None  # numeric, or nested lists: validate_data decides
            return _documents_to_tokens(docs, self._analyzer())
        if ndim == 2:
            try:
                np.asarray(X, dtype=np.float64)
                return None  # numbers stored as objects or strings
            except (TypeError, ValueError):
                pass
            X = np.asarray(X, dtype=object)
            if X.shape[1] == 1:  # one column of documents
                return _documents_to_tokens(X[:, 0], self._analyzer())
            return [[str(tok) for tok in row if not _is_missing(tok)] for row in X]
        return None

    def _validate_input(self, X, reset):
        """Return ``("text", TokenIds)`` or ``("numeric", ndarray of shape (N, T, D))``.

        With ``reset`` (in ``fit``) text is returned as token lists, to build the
        vocabulary from.
        """
        tokens = self._tokenize(X)
        fitted_text = not reset and hasattr(self, "vocabulary_")
        if tokens is not None:
            if len(tokens) == 0:
                raise ValueError("Found 0 documents (samples) in X; at least 1 is required.")
            if not reset and not fitted_text:
                raise ValueError(
                    f"This {type(self).__name__} was fitted on numeric sequences, but "
                    "X is text; pass sequences shaped like those seen in fit."
                )
            if reset:
                for attr in ("n_features_in_", "feature_names_in_"):
                    if hasattr(self, attr):
                        delattr(self, attr)
                return "text", tokens
            return "text", encode(tokens, self.vocabulary_, self.max_len)
        if fitted_text:
            raise ValueError(
                f"This {type(self).__name__} was fitted on text, but X is numeric; pass "
                "documents (a list or 1-D array of str)."
            )
        X = validate_data(
            self,
            X,
            reset=reset,
            allow_nd=True,
            dtype=[np.float64, np.float32],
            ensure_min_samples=1,
        )
        if X.ndim == 2:
            X = X[:, :, np.newaxis]
        elif X.ndim != 3:
            raise ValueError(
                f"Expected 2-D (n_samples, n_timesteps) or 3-D (n_samples, n_timesteps, "
                f"n_features) numeric input, got an array of shape {X.shape}."
            )
        if not reset and X.shape[2] != self.weights_["Wxh"].shape[1]:
            raise ValueError(
                f"X has {X.shape[2]} features per time step, but {type(self).__name__} "
                f"is expecting {self.weights_['Wxh'].shape[1]} features per time step."
            )
        return "numeric", X

    def _validate_targets(self, y, sample_weight, n_samples):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        y = column_or_1d(y, warn=True)
        assert_all_finite(y, input_name="y")
        check_consistent_length(np.empty((n_samples, 0)), y)
        check_classification_targets(y)
        sample_weight = _check_sample_weight(
            sample_weight,
            np.empty((n_samples, 0)),
            dtype=np.float64,
            ensure_non_negative=True,
        )
        return y, sample_weight

    # --------------------------------------------------------------- training
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on sequences ``X`` with labels ``y``.

        Parameters
        ----------
        X : list of str, or array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_features)
            Documents, pre-tokenised rows, or numeric sequences (see the class
            docstring).
        y : array-like of shape (n_samples,)
            Class labels (bool, int or str), at least two classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the loss.

        Returns
        -------
        self : RNNSentimentClassifier
            The fitted estimator.
        """
        kind, data = self._validate_input(X, reset=True)
        y, sample_weight = self._validate_targets(y, sample_weight, len(data))
        warm = self.warm_start and hasattr(self, "weights_")
        if warm:
            self._check_warm_start(kind, y)
        else:
            self.classes_ = np.unique(y)
        y_index = np.searchsorted(self.classes_, y)
        present = np.unique(y_index[sample_weight > 0])
        if len(present) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes with positive "
                f"sample_weight; got {len(present)} class: {self.classes_[present]!r}."
            )
        if kind == "text":
            if warm:
                data = encode(data, self.vocabulary_, self.max_len)
            else:
                self.vocabulary_, data = fit_encode(data, self.min_df, self.max_features,
                                                    self.max_len)
        elif hasattr(self, "vocabulary_"):
            del self.vocabulary_
        data, y_index, sample_weight = _canonical(data, y_index, sample_weight)

        rng = check_random_state(self.random_state)
        dtype = np.dtype(self.dtype)
        if warm:
            params = {k: _as_param(v, dtype) for k, v in self.weights_.items()}
        else:
            n_inputs = len(self.vocabulary_) + 1 if kind == "text" else data.shape[2]
            params = _init_params(n_inputs, len(self.classes_), self.hidden_size, rng, dtype)
            if kind == "text":
                params["Wxh"][:, -1] = 0.0  # the unknown-word column starts at zero
        if kind == "numeric":
            data = data.astype(dtype, copy=False)
        # a diverging run overflows: the non-finite loss is reported by a clear error
        with _blas_limits(self.hidden_size), np.errstate(over="ignore", invalid="ignore"):
            self._train(data, y_index, sample_weight, params, rng)
        return self

    def _check_warm_start(self, kind, y):
        fitted_kind = "text" if hasattr(self, "vocabulary_") else "numeric"
        if kind != fitted_kind:
            raise ValueError(
                f"warm_start=True: the estimator was fitted on {fitted_kind} input and "
                f"cannot continue on {kind} input."
            )
        if self.weights_["Whh"].shape[0] != self.hidden_size:
            raise ValueError(
                f"warm_start=True: hidden_size changed from {self.weights_['Whh'].shape[0]} "
                f"to {self.hidden_size}; fit with warm_start=False to start over."
            )
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if len(unknown):
            raise ValueError(
                f"warm_start=True: y has labels {unknown!r} not in classes_ "
                f"{self.classes_!r}."
            )

    def _train(self, data, y, sample_weight, params, rng):
        """The epoch loop: batches, loss and gradients, clipping, updates, stopping."""
        n_samples = len(data)
        text = isinstance(data, TokenIds)
        batch_size = self.batch_size
        if batch_size == "auto":
            batch_size = n_samples if n_samples <= _FULL_BATCH_MAX else _AUTO_BATCH
        batch_size = min(batch_size, n_samples)
        common = dict(sparse=("Wxh",) if text else (), clip_value=self.clip_value)
        if self.solver == "adam":
            optimizer = SOLVERS["adam"](params, self.learning_rate_init, self.beta_1,
                                        self.beta_2, self.epsilon, **common)
        else:
            optimizer = SOLVERS["sgd"](params, self.learning_rate_init, self.momentum,
                                       self.nesterovs_momentum, **common)
        lengths = data.lengths if text else np.full(n_samples, data.shape[1])
        n_tokens = int(lengths.sum())
        total_weight = float(sample_weight.sum())
        full_batch = batch_size == n_samples
        if full_batch:  # the same batch every epoch: pack it once
            fixed = [self._packed(data, y, sample_weight, np.arange(n_samples))]
        self.loss_curve_ = []
        best_loss, no_improvement = np.inf, 0
        for epoch in range(self.max_iter):
            start = time.perf_counter()
            if full_batch:
                batches = fixed
            else:
                batches = (
                    self._packed(data, y, sample_weight, index)
                    for index in _epoch_batches(lengths, batch_size, text, self.shuffle, rng)
                )
            epoch_loss = 0.0
            for batch, y_batch, w_batch in batches:
                loss, grads = _rnn.loss_and_grads(params, batch, y_batch, w_batch, self.alpha)
                if not _all_finite(loss, grads):
                    self.weights_ = params  # still finite: the update is not applied
                    raise ValueError(
                        f"The training loss or its gradient became {loss} in epoch "
                        f"{epoch + 1}: training diverged. The learning rate is probably too "
                        "high; lower learning_rate_init (or set clip_value). The weights "
                        "are left as they were before that batch."
                    )
                optimizer.update(params, grads)
                epoch_loss += loss * float(w_batch.sum())
            epoch_loss /= total_weight
            self.loss_curve_.append(epoch_loss)
            if self.verbose:
                seconds = time.perf_counter() - start
                print(
                    f"Iteration {epoch + 1}, loss = {epoch_loss:.8f}, "
                    f"{seconds:.3f} s, {n_tokens / max(seconds, 1e-12):.0f} tokens/s"
                )
            no_improvement = no_improvement + 1 if epoch_loss > best_loss - self.tol else 0
            best_loss = min(best_loss, epoch_loss)
            if no_improvement >= self.n_iter_no_change:
                if self.verbose:
                    print(
                        f"Training loss did not improve more than tol={self.tol} for "
                        f"{self.n_iter_no_change} consecutive epochs. Stopping."
                    )
                break
        else:
            warnings.warn(
                f"Stochastic optimizer: maximum iterations ({self.max_iter}) reached and "
                "the optimization hasn't converged yet.",
                ConvergenceWarning,
            )
        self.weights_ = params
        self.n_iter_ = epoch + 1
        self.loss_ = self.loss_curve_[-1]

    @staticmethod
    def _packed(data, y, sample_weight, index):
        if isinstance(data, TokenIds):
            batch = _rnn.pack_ragged(data.ids, data.starts[index], data.lengths[index])
        else:
            batch = _rnn.pack_dense(data[index])
        rows = index[batch.order]
        return batch, y[rows], sample_weight[rows]

    # ------------------------------------------------------------- prediction
    def predict_proba(self, X):
        """Probability of each class for each sample.

        Parameters
        ----------
        X : list of str, or array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_features)
            Input of the same kind as in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``; rows sum to 1.
        """
        check_is_fitted(self)
        _, data = self._validate_input(X, reset=False)
        params = self.weights_
        dtype = params["Whh"].dtype
        proba = np.empty((len(data), len(self.classes_)), dtype=np.float64)
        with _blas_limits(params["Whh"].shape[0]):
            if isinstance(data, TokenIds):
                for index in _predict_chunks(data.lengths):
                    batch = _rnn.pack_ragged(data.ids, data.starts[index], data.lengths[index])
                    proba[index[batch.order]] = _rnn.predict_proba(params, batch)
            else:
                for lo in range(0, len(data), _PREDICT_ROWS):
                    chunk = data[lo : lo + _PREDICT_ROWS].astype(dtype, copy=False)
                    proba[lo : lo + len(chunk)] = _rnn.predict_proba(
                        params, _rnn.pack_dense(chunk)
                    )
        return proba

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`.

        Parameters
        ----------
        X : list of str, or array-like
            Input of the same kind as in ``fit``.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        return np.log(self.predict_proba(X))

    def predict(self, X):
        """Most probable class of each sample.

        Parameters
        ----------
        X : list of str, or array-like
            Input of the same kind as in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.three_d_array = True
        tags.input_tags.string = True
        return tags


def _is_missing(value):
    return value is None or (isinstance(value, float) and value != value)


def _documents_to_tokens(docs, analyzer):
    tokens = []
    for i, doc in enumerate(docs):
        if not isinstance(doc, str):
            raise ValueError(
                f"X[{i}] is {'None' if doc is None else type(doc).__name__ + ' ' + repr(doc)[:40]}"
                ": every document must be a str (use '' for an empty document)."
            )
        tokens.append(analyzer(doc))
    return tokens


def _canonical(data, y, sample_weight):
    """Drop zero-weight samples, merge identical (x, y) pairs by summing their weights,
    and sort: the same weighted objective, independent of the order of the samples."""
    keep = sample_weight > 0
    if isinstance(data, TokenIds):
        # a document's key is the bytes of its ids: cheap to slice, hash and sort
        raw = data.ids.tobytes()
        size = data.ids.itemsize
        merged = {}
        for s, n, label, w in zip(
            data.starts[keep].tolist(), data.lengths[keep].tolist(),
            y[keep].tolist(), sample_weight[keep].tolist(),
        ):
            key = (raw[s * size : (s + n) * size], label)
            merged[key] = merged.get(key, 0.0) + w
        keys = sorted(merged)
        flat = np.frombuffer(b"".join(k[0] for k in keys), dtype=data.ids.dtype).copy()
        lengths = np.fromiter((len(k[0]) // size for k in keys), dtype=np.intp,
                              count=len(keys))
        starts = np.zeros(len(keys), dtype=np.intp)
        np.cumsum(lengths[:-1], out=starts[1:])
        return (
            TokenIds(flat, starts, lengths),
            np.fromiter((k[1] for k in keys), dtype=np.intp, count=len(keys)),
            np.fromiter((merged[k] for k in keys), dtype=np.float64, count=len(keys)),
        )
    X = data[keep]
    rows = np.column_stack([X.reshape(len(X), -1), y[keep]])
    unique, inverse = np.unique(rows, axis=0, return_inverse=True)
    weights = np.bincount(inverse.ravel(), weights=sample_weight[keep])
    return unique[:, :-1].reshape((-1,) + X.shape[1:]), unique[:, -1].astype(np.intp), weights


def _all_finite(loss, grads):
    # a sum is finite only if every term is: one cheap reduction per gradient
    total = loss
    for grad in grads.values():
        total += float((grad.values if isinstance(grad, _rnn.RowGrad) else grad).sum())
    return np.isfinite(total)


def _init_params(n_inputs, n_classes, hidden_size, rng, dtype):
    """Uniform(-1/sqrt(H), 1/sqrt(H)) weights and zero biases. ``Wxh`` is drawn as its
    transpose and stored column-major, so that its columns (the token embeddings) are
    contiguous rows of ``Wxh.T``."""
    bound = 1.0 / np.sqrt(hidden_size)
    return {
        "Wxh": rng.uniform(-bound, bound, (n_inputs, hidden_size)).astype(dtype).T,
        "Whh": rng.uniform(-bound, bound, (hidden_size, hidden_size)).astype(dtype),
        "Why": rng.uniform(-bound, bound, (n_classes, hidden_size)).astype(dtype),
        "bh": np.zeros(hidden_size, dtype=dtype),
        "by": np.zeros(n_classes, dtype=dtype),
    }


def _as_param(array, dtype):
    order = "F" if array.flags.f_contiguous and array.ndim == 2 else "C"
    return np.array(array, dtype=dtype, order=order)


def _epoch_batches(lengths, batch_size, text, shuffle, rng):
    """Index arrays of one epoch's batches. Text batches are drawn from groups of
    ``_BUCKET_BATCHES`` batches sorted by length, so a batch holds similar lengths."""
    n_samples = len(lengths)
    order = rng.permutation(n_samples) if shuffle else np.arange(n_samples)
    if text:
        group = batch_size * _BUCKET_BATCHES
        for lo in range(0, n_samples, group):
            part = order[lo : lo + group]
            order[lo : lo + group] = part[np.argsort(lengths[part], kind="stable")]
    batches = [order[lo : lo + batch_size] for lo in range(0, n_samples, batch_size)]
    if shuffle and text:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def _predict_chunks(lengths):
    """Index arrays of documents sorted by length, at most ``_PREDICT_ROWS`` documents
    and (unless one document is longer) ``_PREDICT_TOKENS`` tokens each."""
    order = np.argsort(lengths, kind="stable")
    ends = np.cumsum(lengths[order])
    lo = 0
    while lo < len(order):
        budget = (ends[lo - 1] if lo else 0) + _PREDICT_TOKENS
        hi = min(lo + _PREDICT_ROWS, max(lo + 1, int(np.searchsorted(ends, budget, "right"))))
        yield order[lo:hi]
        lo = hi


def _blas_limits(hidden_size):
    if hidden_size < _SINGLE_THREAD_HIDDEN:
        return threadpool_limits(limits=1, user_api="blas")
    return threadpool_limits(limits=None, user_api="blas")
