"""The scikit-learn estimator: parameters, validation, the order of calls, prediction.

Following ``X`` through ``fit``: the estimator validates it and the labels (and drops
samples of weight zero), :mod:`sklearn_rnn._encoding` turns text into token ids (learning
the vocabulary), :mod:`sklearn_rnn._data` merges duplicate samples into a training set
independent of their order, and :mod:`sklearn_rnn._training` trains on it, in batches
packed by :mod:`sklearn_rnn._packing`, through the network of :mod:`sklearn_rnn._rnn`.
"""

import reprlib
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, RealNotInt, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    assert_all_finite,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from . import _rnn, _training
from ._cells import CELLS
from ._data import PREDICT_DOCUMENTS, Sequences, distinct_samples, text_input
from ._encoding import TextEncoding
from ._linear import hashed_ngrams, inverse_document_frequency, ngram_bag, weigh_bag
from ._optim import SOLVERS
from ._text import _truncate, build_analyzer
from ._threads import blas_limits

# the ways to pool states: each kind alone, or several side by side (in this order)
POOLINGS = ("last", "mean", "max", "max+mean", "last+max", "last+mean", "last+max+mean")


class RNNSentimentClassifier(ClassifierMixin, BaseEstimator):
    """Many-to-one recurrent neural network classifier for text and sequences.

    The model reads a sequence one step at a time with a recurrent cell, from
    ``h_0 = 0``: the tutorial's ``h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)``, or a GRU
    or LSTM (PyTorch's equations and weight layouts). With ``bidirectional`` a second
    cell reads the sequence backwards. The states of each direction are pooled (the
    last one, their mean and/or their maximum over time), and the pooled features are
    classified, ``y = Why f + by``, with a softmax. It is trained by backpropagation
    through time on the sample-weighted mean cross-entropy.

    The defaults (a bidirectional GRU with max and mean pooling over a 64-wide word
    embedding, a moving average of the weights, and beside the network a linear path
    over hashed word 1-2-grams, ``word_ngrams``) were chosen by measuring them on the
    tutorial's sentences, a learning curve of tweets and long reviews; see the README.
    ``cell='tanh', bidirectional=False, pooling='last', embedding_size=None,
    subword_ngrams=None, word_ngrams=None, label_smoothing=0.0, ema_decay=None`` is the
    tutorial's model.

    ``X`` may be

    - text: a list, tuple, 1-D array or pandas Series of ``str`` documents
      (or a one-column 2-D array or DataFrame of them). ``bytes`` documents (also an
      array of dtype ``S``) are read as UTF-8, as ``CountVectorizer`` reads them by
      default; bytes that are not valid UTF-8 raise a ``ValueError`` naming the
      document. Documents are tokenized with
      scikit-learn's ``CountVectorizer`` preprocessor and tokenizer, in order; token
      ``w`` enters as the one-hot vector of column ``vocabulary_[w]`` of ``Wxh``, looked
      up by index. Tokens outside the vocabulary share one extra, unknown-word column.
      With ``hash_buckets`` there is no vocabulary: ``w`` is column
      ``murmurhash3_32(w, positive=True) % hash_buckets``;
    - pre-tokenised text: a list of token lists (of any lengths), or a 2-D array of
      strings (or objects) with several columns, each cell one token; ``None`` and NaN
      tokens are skipped. To an estimator fitted on text, lists without any token
      (``[[], []]``) are empty documents;
    - numeric sequences: a 2-D array of shape ``(n_samples, n_timesteps)`` (one value
      per step) or a 3-D array of shape ``(n_samples, n_timesteps, n_features)``.

    Parameters
    ----------
    hidden_size : int, default=64
        Number of hidden units ``H`` (per direction).

    cell : {'tanh', 'gru', 'lstm'}, default='gru'
        The recurrent cell. Gate orders and weight layouts are PyTorch's (``nn.RNN``,
        ``nn.GRU``, ``nn.LSTM``): GRU weights ``Wxh`` (3H, n_inputs), ``Whh`` (3H, H),
        ``bh`` and ``bhh`` (3H,), gates r, z, n, are ``weight_ih_l0``,
        ``weight_hh_l0``, ``bias_ih_l0`` and ``bias_hh_l0``; LSTM weights ``Wxh``
        (4H, n_inputs), ``Whh`` (4H, H), gates i, f, g, o, and ``bh`` (4H,), which is
        ``bias_ih_l0 + bias_hh_l0``.

    bidirectional : bool, default=True
        Also read each sequence backwards with a second cell (weights suffixed
        ``_reverse``); its features follow the forward direction's.

    pooling : {'last', 'mean', 'max', 'max+mean', 'last+max', 'last+mean', \
            'last+max+mean'}, default='max+mean'
        How a direction's states become features: ``'last'`` is the state after the
        last step (for the backward direction, after the first token, as PyTorch's
        ``h_n``), ``'mean'`` and ``'max'`` are taken over time, element-wise; several
        are concatenated in this order. An empty document has zero features.

    embedding_size : int or None, default=64
        Text only. An int puts an embedding ``Wemb`` of shape (embedding_size,
        n_columns) in front of the cell, whose input weights are then (G H,
        embedding_size); None looks token columns up directly in ``Wxh``, as the
        tutorial does. Embedding updates are sparse either way.

    subword_ngrams : tuple (min_n, max_n) or None, default=None
        Text only. A token then reads the mean of its own column and of the columns its
        character n-grams of ``'<token>'`` (``min_n <= n <= max_n``) hash to, as
        fastText does: ``murmurhash3_32(ngram, positive=True) % 65536`` buckets follow
        the unknown-word column. Unseen and misspelled words get their n-grams' vectors
        instead of only the unknown word's.

    word_ngrams : int or None, default=2
        Text only. A linear path beside the network, as fastText's ``wordNgrams``: the
        word 1- to ``word_ngrams``-grams of a document (of the tokens the network reads:
        the last ``max_len`` with ``max_len``), each hashed with ``murmurhash3_32`` into
        one of 2**20 columns of ``Wbag``, form a bag ``b``: each column present weighted
        by its smooth inverse document frequency in the (first) training documents,
        scaled to unit length, as ``TfidfVectorizer(binary=True)``; columns no training
        document had are left out. With ``hash_buckets`` (no vocabulary, no pass over
        the corpus first) every column present weighs 1, and n-grams first seen by a
        later ``partial_fit`` call count as well. The logits become ``Why f + by + Wbag b``. ``fit`` first fits the linear path alone (multinomial
        logistic regression by L-BFGS, with the L2 penalty of ``C=4``; with early
        stopping only), then trains the network from ``Why = 0``
        together with it (sparse updates of the columns of ``Wbag`` a batch uses, at 10
        times the learning rate, with an L2 penalty of 1e-3 on them); with early
        stopping the linear model is kept alone, refitted on every sample, unless the
        best epoch lowers the validation loss by more than one standard error of the
        per-sample differences. ``partial_fit`` and ``warm_start`` train both together
        from where they are. None: the network alone.

    dropout : float, default=0.0
        Rate of inverted dropout on the cell's inputs (a whole token when it is looked
        up directly) and on the pooled features, during training only. Masks come from
        ``random_state``.

    label_smoothing : float, default=0.0
        Train towards ``1 - label_smoothing + label_smoothing / n_classes`` for the true
        class and ``label_smoothing / n_classes`` for the others, as PyTorch's
        ``cross_entropy``.

    ema_decay : float or None, default=0.995
        Keep an exponential moving average of the weights over the training steps
        (bias-corrected like Adam's moments) and use it for validation, the kept epoch
        and prediction. None uses the weights as trained.

    solver : {'adam', 'sgd'}, default='adam'
        The optimizer.

    learning_rate_init : float or 'auto', default='auto'
        Initial step size. ``'auto'``: 0.01 when training runs in one full batch (at most
        512 distinct samples with ``batch_size='auto'``), 0.004 with minibatches, where
        there are many more, noisier steps per epoch.

    learning_rate : {'constant', 'adaptive'}, default='constant'
        ``'adaptive'``: whenever the monitored loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, divide the step size by 5 and go on, instead of
        stopping; stop once it falls below 1e-6. Unlike ``MLPClassifier``, this applies
        to both solvers.

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
        are at most 512 distinct ones, and in batches of 64 otherwise.

    max_iter : int, default=200
        Maximum number of epochs (passes over the data) of one ``fit``.

    tol : float, default=1e-4
        Training stops when the monitored loss (the training loss, or the validation
        loss with ``early_stopping``) has not improved by at least ``tol`` for
        ``n_iter_no_change`` consecutive epochs.

    n_iter_no_change : int or 'auto', default='auto'
        See ``tol``. ``'auto'``: 2 with early stopping (a recurrent network on a large
        corpus peaks after one to three epochs, and every further epoch costs as much
        as the first), 20 without.

    early_stopping : 'auto' or bool, default='auto'
        Set aside a stratified ``validation_fraction`` of the distinct training samples
        (drawn from ``random_state``), monitor the loss on it, and keep the weights of
        the epoch with the lowest validation loss. Where the samples are too few to
        stratify (a class with one sample, or fewer validation or training samples than
        classes), the split is drawn at random, unstratified, with a warning; where even
        that leaves no validation sample or fewer than 2 classes to train on, training
        goes on without validation, exactly as with ``False``, with a warning. The split
        depends only on the distinct samples and ``random_state``, so integer sample
        weights and repeated samples give the same model. ``'auto'`` holds out a
        validation split when there are more than 10,000 distinct training samples (as
        ``HistGradientBoostingClassifier``): a recurrent network overfits a large corpus
        within a few epochs, while the training loss keeps falling. Ignored by
        ``partial_fit``.

    validation_fraction : float, default=0.1
        Share of the training data set aside with ``early_stopping``.

    alpha : float, default=0.0
        L2 penalty: ``alpha / 2`` times the squared norm of ``Whh``, ``Why`` and ``Wxh``
        is added to each batch's loss. For text input only the columns of ``Wxh`` that
        occur in the batch count, so updates stay as sparse as the batch.

    clip_value : float or None, default=1.0
        Clip every gradient element to ``[-clip_value, clip_value]`` before each update,
        as the tutorial does. ``None`` turns clipping off.

    class_weight : dict, 'balanced' or None, default=None
        Weight of each class in the loss, multiplied with ``sample_weight``.
        ``'balanced'`` uses ``n_samples / (n_classes * np.bincount(y))`` over the samples
        of positive ``sample_weight``, and is not available to ``partial_fit``.

    shuffle : bool, default=True
        Whether to shuffle the samples every epoch (mini-batch training only).

    n_jobs : int or None, default=None
        Threads predicting at once (``predict``, ``predict_proba`` and the methods
        built on them): chunks of documents, sorted by length, run in parallel. None
        means 1 unless in a :func:`joblib.parallel_backend` context; -1 means all
        processors. A document's probabilities are the same, bit for bit, whatever the
        number. Training is sequential and does not use it.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, the validation split and shuffling. An int makes
        fits bit-identical.

    verbose : int, default=0
        ``1`` prints one line per epoch; ``2`` also reports progress within epochs of
        20 batches or more.

    warm_start : bool, default=False
        Continue from the fitted weights, vocabulary and classes on the next ``fit``.

    vocabulary : Mapping or iterable of str, default=None
        A fixed vocabulary (token to column, or tokens in column order), as
        ``CountVectorizer`` accepts; ``min_df`` and ``max_features`` are then ignored.
        By default the vocabulary is learned from the training documents.

    hash_buckets : int or None, default=None
        Text only. Feature hashing instead of a vocabulary, as ``HashingVectorizer``:
        token ``w`` is column ``murmurhash3_32(w, positive=True) % hash_buckets`` of the
        looked-up matrix (``Wemb``, or ``Wxh`` without an embedding), the same in every
        process. There are then ``hash_buckets`` word columns (followed by the n-gram
        buckets with ``subword_ngrams``) and no unknown-word column: training needs no
        pass over the corpus to build a vocabulary, and words first seen by a later
        ``partial_fit`` call train a column of their own (shared with the words that
        hash to the same bucket). Cannot be combined with ``vocabulary``,
        ``max_features`` or a ``min_df`` other than the default. None uses a
        vocabulary.

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

    min_df : int or float, default=2
        Keep tokens found in at least this many documents (int) or this fraction of
        documents (float) in the vocabulary, counting only documents of positive
        ``sample_weight``; the rest share the unknown-word column
        (and, with ``subword_ngrams``, still read their own n-grams).

    max_len : int or None, default=None
        Keep only the last ``max_len`` tokens of each document.

    train_window : int or None, default=128
        Training reads a document longer than this through a window of
        ``train_window`` consecutive tokens, placed at random (from ``random_state``)
        anew every epoch, so that an epoch costs at most this many steps per document
        however long the documents are, and over the epochs every part of a long
        document is read. The linear path's bag of n-grams, validation and prediction
        read whole documents. None reads whole documents in training too (each batch
        then holds every step of its longest documents: see ``max_len``). Numeric
        sequences are always read whole. A corpus without a longer document trains
        exactly as with None.

    dtype : {'float32', 'float64'}, default='float32'
        Floating point type of the weights and of the computations, as PyTorch's
        default. ``'float64'`` is slower (a bidirectional GRU by about a third) and gives
        slightly different numbers; gradient checks use it. A float32 model predicts with
        fixed-point matrix products: a document's probabilities are the same, bit for
        bit, whatever the batch, threads or CPU (float64 ones agree to about 1e-16).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, as given in ``y``.

    vocabulary_ : dict
        Token to column of ``Wxh`` (text input only; absent when ``hash_buckets`` is
        set). Column ``len(vocabulary_)`` is the unknown-word column; it stays zero when
        training saw no unknown word.

    weights_ : dict of ndarray
        With ``G`` gates (tanh 1, GRU 3, LSTM 4) and ``H = hidden_size``: ``Wxh`` of
        shape (G H, n_inputs), ``Whh`` of shape (G H, H), ``bh`` of shape (G H,),
        ``bhh`` of shape (G H,) for a GRU, the same suffixed ``_reverse`` for the
        backward direction, ``Why`` of shape (n_classes, F) and ``by`` of shape
        (n_classes,), where F is H times the number of poolings times the number of
        directions. For text, ``Wemb`` of shape (embedding_size, n_columns) with an
        embedding, and then ``n_inputs`` is ``embedding_size``; otherwise
        ``n_inputs`` is ``n_columns`` for text and the number of features per step for
        numeric input. ``n_columns`` is ``len(vocabulary_) + 1`` (``hash_buckets``
        with hashing), plus 65,536 n-gram buckets with ``subword_ngrams``. With
        ``word_ngrams``, ``Wbag`` of shape (n_classes, 1,048,576), column-major: the
        linear path's weight of each hashed word n-gram column.

    n_iter_ : int
        Number of epochs run (accumulated over ``warm_start`` fits and ``partial_fit``
        calls).

    loss_ : float
        Training loss of the last epoch.

    loss_curve_ : list of float
        Training loss of each epoch.

    epoch_times_ : list of float
        Seconds each epoch took (its batches, and the validation with early stopping),
        as ``verbose=1`` reports them.

    best_loss_ : float
        Lowest training loss of any epoch.

    validation_scores_ : list of float or None
        Validation accuracy after each epoch (None without early stopping).

    validation_loss_curve_ : list of float or None
        Validation loss after each epoch (None without early stopping).

    best_validation_score_ : float or None
        Validation accuracy of the epoch whose weights were kept, the one with the
        lowest validation loss (None without early stopping).

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
        "cell": [StrOptions(set(CELLS))],
        "bidirectional": ["boolean"],
        "pooling": [StrOptions(set(POOLINGS))],
        "embedding_size": [Interval(Integral, 1, None, closed="left"), None],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
        "ema_decay": [Interval(Real, 0, 1, closed="neither"), None],
        "subword_ngrams": [tuple, None],
        "word_ngrams": [Interval(Integral, 1, None, closed="left"), None],
        "solver": [StrOptions(set(SOLVERS))],
        "learning_rate_init": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "learning_rate": [StrOptions({"constant", "adaptive"})],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "early_stopping": [StrOptions({"auto"}), "boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "clip_value": [Interval(Real, 0, None, closed="neither"), None],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "shuffle": ["boolean"],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "vocabulary": [Mapping, HasMethods("__iter__"), None],
        "hash_buckets": [Interval(Integral, 1, None, closed="left"), None],
        "lowercase": ["boolean"],
        "token_pattern": [str, None],
        "tokenizer": [callable, None],
        "max_features": [Interval(Integral, 1, None, closed="left"), None],
        "min_df": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="both"),
        ],
        "max_len": [Interval(Integral, 1, None, closed="left"), None],
        "train_window": [Interval(Integral, 1, None, closed="left"), None],
        "dtype": [StrOptions({"float64", "float32"})],
    }

    def __init__(
        self,
        *,
        hidden_size=64,
        cell="gru",
        bidirectional=True,
        pooling="max+mean",
        embedding_size=64,
        dropout=0.0,
        label_smoothing=0.0,
        ema_decay=0.995,
        subword_ngrams=None,
        word_ngrams=2,
        solver="adam",
        learning_rate_init="auto",
        learning_rate="constant",
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        batch_size="auto",
        max_iter=200,
        tol=1e-4,
        n_iter_no_change="auto",
        early_stopping="auto",
        validation_fraction=0.1,
        alpha=0.0,
        clip_value=1.0,
        class_weight=None,
        shuffle=True,
        n_jobs=None,
        random_state=None,
        verbose=0,
        warm_start=False,
        vocabulary=None,
        hash_buckets=None,
        lowercase=True,
        token_pattern=r"(?u)\b\w+\b",
        tokenizer=None,
        max_features=None,
        min_df=2,
        max_len=None,
        train_window=128,
        dtype="float32",
    ):
        self.hidden_size = hidden_size
        self.cell = cell
        self.bidirectional = bidirectional
        self.pooling = pooling
        self.embedding_size = embedding_size
        self.dropout = dropout
        self.label_smoothing = label_smoothing
        self.ema_decay = ema_decay
        self.subword_ngrams = subword_ngrams
        self.word_ngrams = word_ngrams
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.alpha = alpha
        self.clip_value = clip_value
        self.class_weight = class_weight
        self.shuffle = shuffle
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.vocabulary = vocabulary
        self.hash_buckets = hash_buckets
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.tokenizer = tokenizer
        self.max_features = max_features
        self.min_df = min_df
        self.max_len = max_len
        self.train_window = train_window
        self.dtype = dtype

    # ------------------------------------------------------------------ input
    def _analyzer(self):
        return build_analyzer(self.lowercase, self.token_pattern, self.tokenizer)

    def _validate_input(self, X, reset):
        """Return ``("text", TextInput)`` or ``("numeric", array of shape (N, T, D))``.

        ``reset`` (a new fit) accepts either kind and forgets what an earlier fit saw;
        otherwise ``X`` must be of the kind, and shape, the estimator was fitted on.
        """
        fitted_text = not reset and self._fitted_on_text()
        text = text_input(X, self._analyzer, fitted_on_text=fitted_text)
        if text is not None:
            if len(text) == 0:
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
            return "text", text
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

    def _fitted_on_text(self):
        return hasattr(self, "vocabulary_") or hasattr(self, "_hash_buckets")

    def _validate_targets(self, y, sample_weight, n_samples):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        y = column_or_1d(y, warn=True)
        if y.dtype == object:
            missing = [i for i, label in enumerate(y) if label is None]
            if missing:
                raise ValueError(f"y[{missing[0]}] is None: every sample needs a label.")
            is_str = np.fromiter((isinstance(label, str) for label in y), dtype=bool,
                                 count=len(y))
            if 0 < is_str.sum() < len(y):  # numpy cannot sort them: a TypeError, else
                i, j = np.argmax(is_str), np.argmin(is_str)
                raise ValueError(
                    f"Mix of label input types (string and number) in y: y[{i}] is "
                    f"{y[i]!r}, y[{j}] is {type(y[j]).__name__} {y[j]!r}."
                )
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

    def _sequences(self, kind, data, fitting):
        """Text or arrays to :class:`Sequences`; a new fit learns the text encoding (the
        vocabulary or hashed columns, and subword rows) and keeps it."""
        if fitting:
            TextEncoding.forget(self)
            for attr in ("_bag_ngrams", "_bag_idf"):
                if hasattr(self, attr):
                    delattr(self, attr)
        if kind == "numeric":
            return Sequences(data)
        tokens = data.tokens()
        if not fitting:
            return self._encode(tokens)
        hashed = None
        if self.word_ngrams is not None:
            self._bag_ngrams = self.word_ngrams
            # hashed once: the n-grams' weights learned from these documents, then the bags
            hashed = hashed_ngrams(_truncate(tokens, self.max_len), self.word_ngrams)
            if self.hash_buckets is None:
                self._bag_idf = inverse_document_frequency(hashed)
        encoding, seqs = TextEncoding.fit(
            tokens, vocabulary=self.vocabulary, min_df=self.min_df,
            max_features=self.max_features, max_len=self.max_len,
            subword_ngrams=self.subword_ngrams, hash_buckets=self.hash_buckets,
            dtype=np.dtype(self.dtype))
        encoding.store(self)
        if hashed is not None:
            seqs.bag = weigh_bag(hashed, getattr(self, "_bag_idf", None))
        return seqs

    def _encode(self, token_lists):
        """Documents as a fitted estimator encodes them, as :class:`Sequences`."""
        seqs = TextEncoding.of(self).encode(token_lists, self.weights_["Whh"].dtype)
        return self._with_bag(seqs, token_lists)

    def _with_bag(self, seqs, token_lists):
        """``seqs`` with their bags of word n-grams, with a linear path."""
        n = getattr(self, "_bag_ngrams", None)
        if n is not None:  # of the tokens the network reads
            seqs.bag = ngram_bag(_truncate(token_lists, self.max_len), n,
                                 getattr(self, "_bag_idf", None))
        return seqs

    def __setstate__(self, state):
        # models saved before the linear path existed have none
        state.setdefault("word_ngrams", None)
        state.setdefault("n_jobs", None)  # and before prediction ran in threads
        state.setdefault("train_window", None)  # and before training read windows
        super().__setstate__(state)

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
            Non-negative weight of each sample in the loss. A sample of weight zero is
            dropped: it counts neither for the vocabulary (``min_df``,
            ``max_features``) nor for ``class_weight='balanced'``.

        Returns
        -------
        self : RNNSentimentClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, partial=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One pass over a batch of data, continuing from the current state.

        The first call fixes the vocabulary (learned from this batch, or the
        ``vocabulary`` parameter) and the classes; later calls map new words to the
        unknown-word column and keep the optimizer's state. With ``hash_buckets`` there
        is no vocabulary to fix: the words of every call train their hashed columns.

        Parameters
        ----------
        X : list of str, or array-like
            Documents or sequences, of the same kind in every call.
        y : array-like of shape (n_samples,)
            Class labels, all in ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Every class of the whole data; needed on the first call unless this batch
            holds them all (they are then taken from ``y``).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the loss; a sample of weight zero
            is dropped, as in ``fit``.

        Returns
        -------
        self : RNNSentimentClassifier
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, partial=True, classes=classes)

    def _fit(self, X, y, sample_weight, partial, classes=None):
        if self.subword_ngrams is not None and not (
            len(self.subword_ngrams) == 2
            and all(isinstance(n, Integral) for n in self.subword_ngrams)
            and 1 <= self.subword_ngrams[0] <= self.subword_ngrams[1]
        ):
            raise ValueError(
                "subword_ngrams must be None or a (min_n, max_n) tuple of ints with "
                f"1 <= min_n <= max_n; got {self.subword_ngrams!r}."
            )
        self._check_hashing()
        fitted = hasattr(self, "weights_")
        continuing = fitted and (partial or self.warm_start)
        kind, data = self._validate_input(X, reset=not (partial and fitted))
        y, sample_weight = self._validate_targets(y, sample_weight, len(data))
        if continuing:
            self._check_continuation(kind, data, y, classes, partial)
            y_index = np.searchsorted(self.classes_, y)
        elif classes is None:
            self.classes_, y_index = np.unique(y, return_inverse=True)
        else:
            self.classes_ = np.unique(classes)
            _check_labels(y, self.classes_)
            y_index = np.searchsorted(self.classes_, y)
        # a sample of weight zero is dropped before anything is learned from the data:
        # it counts neither for the vocabulary nor for the class weights
        rows = np.flatnonzero(sample_weight > 0)
        if len(rows) < len(y):
            data = data.subset(rows) if kind == "text" else data[rows]
            y, y_index, sample_weight = y[rows], y_index[rows], sample_weight[rows]
        sample_weight = sample_weight * self._class_weights(y, y_index, partial)
        if not partial:
            present = np.flatnonzero(np.bincount(y_index[sample_weight > 0],
                                                 minlength=len(self.classes_)))
            if len(present) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes with "
                    f"positive sample_weight; got {len(present)} class: "
                    f"{self.classes_[present]!r}."
                )
        seqs = self._sequences(kind, data, fitting=not continuing)
        lengths = seqs.lengths  # those of X[rows], to name a document
        seqs, y_index, sample_weight = distinct_samples(seqs, y_index, sample_weight)
        if continuing:
            dtype = self.weights_["Whh"].dtype
            weights = getattr(self, "_raw_weights", None) if partial else None
            resumed = partial and hasattr(self, "_optimizer")
            start = _training.Start(
                weights=weights or self.weights_,
                optimizer=self._optimizer if resumed else None,
                average=self._average if resumed else None)
        else:
            dtype = np.dtype(self.dtype)
            self._arch = self._architecture()
            if seqs.text:
                encoding = TextEncoding.of(self)
                n_inputs, unknown = encoding.n_columns, encoding.unknown_column
            else:
                n_inputs, unknown = seqs.data.shape[2], None
            start = _training.Start(n_inputs, len(self.classes_), unknown)
            self.loss_curve_, self.n_iter_, self.epoch_times_ = [], 0, []
            self.validation_scores_ = self.validation_loss_curve_ = None
            self.best_validation_score_ = None
        if not seqs.text:
            with np.errstate(over="ignore"):
                seqs = Sequences(seqs.data.astype(dtype, copy=False))
            if not np.isfinite(seqs.data).all():
                raise ValueError(
                    f"X has values beyond the range of {dtype} (the estimator's dtype): "
                    "scale the input, or use dtype='float64'."
                )
        if len(seqs) == 0:  # partial_fit on samples that all weigh zero
            return self
        for attr in ("_optimizer", "_average", "_raw_weights"):
            if hasattr(self, attr):
                delattr(self, attr)
        # a model saved before epoch_times_ existed starts counting them now
        history = _training.History(self.loss_curve_, self.n_iter_,
                                     self.validation_loss_curve_, self.validation_scores_,
                                     self.best_validation_score_,
                                     getattr(self, "epoch_times_", []))
        setup = _training.Setup.of(self, self._arch)
        # a diverging run overflows: the non-finite loss is reported by a clear error
        try:
            with blas_limits(self.hidden_size), np.errstate(over="ignore", invalid="ignore"):
                result = _training.train(seqs, y_index, sample_weight,
                                         check_random_state(self.random_state), setup, start,
                                         history, lengths=lengths, rows=rows,
                                         partial=partial)
        except _training.Diverged as exc:
            self.weights_ = exc.weights
            if partial:  # partial_fit may go on from there
                self._optimizer, self._average = exc.optimizer, exc.average
            raise
        finally:
            self.loss_curve_, self.n_iter_ = history.loss_curve, history.n_iter
            self.validation_loss_curve_ = history.validation_loss_curve
            self.validation_scores_ = history.validation_scores
            self.best_validation_score_ = history.best_validation_score
            self.epoch_times_ = history.epoch_times
        self.weights_ = result.weights
        self.loss_ = self.loss_curve_[-1]
        self.best_loss_ = min(self.loss_curve_)
        if partial:
            self._optimizer, self._average = result.optimizer, result.average
            if result.average is not None:  # partial_fit goes on from the weights as trained
                self._raw_weights = result.raw
        return self

    def _check_hashing(self):
        """Refuse the vocabulary parameters together with ``hash_buckets``."""
        if self.hash_buckets is None:
            return
        default_min_df = type(self).__init__.__kwdefaults__["min_df"]
        for name, default in (("vocabulary", None), ("max_features", None),
                              ("min_df", default_min_df)):
            value = getattr(self, name)
            unchanged = value is None if default is None else value == default
            if unchanged:
                continue
            raise ValueError(
                f"hash_buckets={self.hash_buckets} hashes every token to a column without "
                f"a vocabulary, so {name}={reprlib.repr(value)} cannot apply: leave {name} "
                f"at its default ({default!r}) or set hash_buckets=None."
            )

    def _architecture(self):
        return _rnn.Arch(self.cell, bool(self.bidirectional), tuple(self.pooling.split("+")))

    def _check_continuation(self, kind, data, y, classes, partial):
        how = "partial_fit" if partial else "warm_start=True"
        fitted_kind = "text" if self._fitted_on_text() else "numeric"
        if kind != fitted_kind:
            raise ValueError(
                f"{how}: the estimator was fitted on {fitted_kind} input and cannot "
                f"continue on {kind} input."
            )
        if kind == "numeric" and data.shape[2] != self.weights_["Wxh"].shape[1]:
            raise ValueError(
                f"{how}: X has {data.shape[2]} features per time step, but the "
                f"estimator was fitted with {self.weights_['Wxh'].shape[1]}."
            )
        if self.weights_["Whh"].shape[1] != self.hidden_size:
            raise ValueError(
                f"{how}: hidden_size changed from {self.weights_['Whh'].shape[1]} to "
                f"{self.hidden_size}; fit with warm_start=False to start over."
            )
        embedding = self.weights_["Wemb"].shape[0] if "Wemb" in self.weights_ else None
        subwords = getattr(self, "_subword_args", (None,))[0]
        wanted = None if self.subword_ngrams is None else tuple(self.subword_ngrams)
        bag = getattr(self, "_bag_ngrams", None)
        if (self._architecture() != self._arch
                or (kind == "text" and (embedding != self.embedding_size
                                        or subwords != wanted
                                        or bag != self.word_ngrams))):
            raise ValueError(
                f"{how}: cell, bidirectional, pooling, embedding_size, subword_ngrams or "
                "word_ngrams changed since the estimator was fitted; fit with "
                "warm_start=False to start over."
            )
        fitted_buckets = getattr(self, "_hash_buckets", None)
        if kind == "text" and fitted_buckets != self.hash_buckets:
            raise ValueError(
                f"{how}: hash_buckets changed from {fitted_buckets} to {self.hash_buckets} "
                "since the estimator was fitted; fit with warm_start=False to start over."
            )
        if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"classes={np.unique(classes)!r} is not the same as on the first call, "
                f"{self.classes_!r}."
            )
        _check_labels(y, self.classes_)

    def _class_weights(self, y, y_index, partial):
        if self.class_weight is None:
            return 1.0
        if isinstance(self.class_weight, str):  # 'balanced'
            if partial:
                raise ValueError(
                    "class_weight='balanced' is not supported for partial_fit: the class "
                    "frequencies of the whole data are unknown. Pass a dict computed with "
                    "sklearn.utils.class_weight.compute_class_weight instead."
                )
            present = np.flatnonzero(np.bincount(y_index, minlength=len(self.classes_)))
            weights = np.ones(len(self.classes_))
            weights[present] = compute_class_weight(
                "balanced", classes=self.classes_[present], y=y
            )
        else:
            weights = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
        return weights[y_index]

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
        kind, data = self._validate_input(X, reset=False)
        # the weights of a diverged fit may overflow a cell's sums: handled (or refused)
        # by _rnn.predict_proba, so no warning
        with (blas_limits(self.weights_["Whh"].shape[1]),
              np.errstate(over="ignore", invalid="ignore")):
            if kind == "numeric":
                return _training.predict_proba(self.weights_, self._arch, Sequences(data),
                                               self.n_jobs)
            # tokenize a slice of documents at a time: memory stays bounded
            proba = np.empty((len(data), len(self.classes_)), dtype=np.float64)
            for start in range(0, len(data), PREDICT_DOCUMENTS):
                tokens = data.tokens(start, start + PREDICT_DOCUMENTS)
                seqs = self._encode(tokens)
                proba[start : start + len(tokens)] = _training.predict_proba(
                    self.weights_, self._arch, seqs, self.n_jobs)
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


def _check_labels(y, classes):
    unknown = np.setdiff1d(np.unique(y), classes)
    if len(unknown):
        raise ValueError(
            f"y has labels {unknown!r} that are not in classes_ {classes!r}; pass every "
            "class to the first partial_fit call (classes=...)."
        )
