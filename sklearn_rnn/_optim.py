"""The SGD and Adam updates, with element-wise gradient clipping.

Optimizers are plain classes that update a dict of parameter arrays in place, and own
their learning-rate schedule (:meth:`_BaseOptimizer.trigger_stopping`), as
scikit-learn's ``_stochastic_optimizers``. A gradient is either a dense array shaped like
its parameter or, for the text embedding ``Wxh``, a :class:`~sklearn_rnn._rnn.ColumnGrad`
holding only the columns a batch used. Sparse gradients update only those columns: for
plain SGD that is exactly the dense update; with momentum or Adam the moments of columns
a batch did not use are left as they are until the column is used again (the "lazy"
update of PyTorch's ``SparseAdam``).

The dense parameters are small and many, so an optimizer moves them into one flat buffer
(the dict then holds views of it) and updates them with a handful of array operations
instead of a handful per parameter.
"""

import numpy as np


def memory_order(array):
    """``'F'`` for a column-major matrix (a looked-up one: its columns are contiguous
    rows of its transpose), else ``'C'``: the order copies of a parameter keep."""
    return "F" if array.ndim == 2 and array.flags.f_contiguous else "C"


def copy_param(array, dtype=None):
    """A writable copy of a parameter in ``dtype`` (by default its own), in its order."""
    return np.array(array, dtype=dtype, order=memory_order(array))


def make_writable(state):
    """Replace the read-only arrays among ``state``'s attributes (and in its dicts of
    arrays) by writable copies: the state of a model loaded with
    ``joblib.load(..., mmap_mode="r")`` maps its file read-only, and is only copied once
    training goes on from it."""
    def writable(value):
        if isinstance(value, np.ndarray) and not value.flags.writeable:
            return copy_param(value)
        if isinstance(value, dict):
            return {k: writable(v) for k, v in value.items()}
        return value

    for name, value in vars(state).items():
        setattr(state, name, writable(value))


def _zeros_like(param):
    # np.zeros (unlike zeros_like) gets lazily zeroed pages from the OS: free until used
    return np.zeros(param.shape, param.dtype, order=memory_order(param))


class _BaseOptimizer:
    """Holds the dense parameters in one flat buffer and dispatches the updates.

    Parameters
    ----------
    params : dict of ndarray
        Updated in place; the dense entries are replaced by views of one buffer.
    learning_rate_init : float
    sparse : tuple of str
        Names of the parameters whose gradients come as :class:`ColumnGrad`. They must
        be 2-D and column-major (their transposes hold the columns as rows).
    clip_value : float or None
        Clip every gradient element to ``[-clip_value, clip_value]`` before the update.
    schedule : {'constant', 'adaptive'}, default='constant'
        What :meth:`trigger_stopping` does when the monitored loss stalls.
    scale : dict of str to float, default=None
        Sparse parameters whose step size is the learning rate times this factor.
    """

    # learning_rate='adaptive': the step size is divided by this when the loss stalls...
    ADAPTIVE_FACTOR = 5.0
    # ...until it would fall below this
    ADAPTIVE_MIN = 1e-6
    # optimizers saved before the schedule was theirs have none of their own
    schedule = "constant"
    # nor a step size of their own for some parameters
    scale = None

    def __init__(self, params, learning_rate_init, sparse=(), clip_value=None,
                 schedule="constant", scale=None):
        self.learning_rate = learning_rate_init
        self.schedule = schedule
        self.scale = dict(scale or {})
        self.clip_value = clip_value
        self.sparse = tuple(sparse)
        self.dense = tuple(k for k in params if k not in self.sparse)
        dtype = np.result_type(*(params[k] for k in self.dense))
        self.flat = np.empty(sum(params[k].size for k in self.dense), dtype=dtype)
        self.bind(params)
        self._init_state(params)

    def bind(self, params):
        """Copy the dense parameters into the flat buffer and make ``params`` hold views
        of it (again, after the arrays were replaced, for instance by unpickling)."""
        offset = 0
        for k in self.dense:
            size = params[k].size
            view = self.flat[offset : offset + size].reshape(params[k].shape)
            if not np.shares_memory(view, params[k]):
                view[...] = params[k]
                params[k] = view
            offset += size

    def update(self, params, grads):
        """Apply one step from ``grads``, parallel to ``params``.

        Returns False, and changes nothing (weights and optimizer state), if a gradient
        is not finite or the step would make a weight overflow.
        """
        dense = np.concatenate([grads[k].ravel() for k in self.dense])
        # a sum is finite only if every term is (and clipping would hide an inf)
        total = float(dense.sum()) + sum(float(grads[k].values.sum()) for k in self.sparse)
        if not np.isfinite(total):
            return False
        if self.clip_value is not None:
            np.clip(dense, -self.clip_value, self.clip_value, out=dense)
        # the dense buffers are small: keep a copy to restore; the columns of the sparse
        # ones are computed aside and written only once the whole step is known finite
        saved = [self.flat.copy(), *(state.copy() for state in self._dense_state())]
        self._begin_step()
        self._step(self.flat, dense, None)
        staged = []
        for name in self.sparse:
            grad = grads[name]
            values = grad.values
            if self.clip_value is not None:
                values = np.clip(values, -self.clip_value, self.clip_value)
            staged.append((name, grad.columns, *self._step(params[name].T, values, grad.columns,
                                                        name)))
        total = float(self.flat.sum()) + sum(float(new.sum()) for _, _, new, _ in staged)
        if not np.isfinite(total):  # diverging: leave everything as it was
            for array, copy in zip([self.flat, *self._dense_state()], saved):
                array[...] = copy
            self._end_step_undone()
            return False
        for name, rows, new, state in staged:
            params[name].T[rows] = new
            if state is not None:
                self._sparse_state()[name][rows] = state
        return True

    def _scale(self, name):
        """The factor of parameter ``name``'s step size (1 for the dense ones)."""
        return (self.scale or {}).get(name, 1.0)

    def trigger_stopping(self, message, verbose):
        """The monitored loss stalled (``message`` says how): whether training stops.

        With the ``'adaptive'`` schedule the step size is divided by 5 and training goes
        on, until it would fall below 1e-6, as scikit-learn's SGD optimizer does (here
        for both solvers); with ``'constant'`` training stops.
        """
        smaller = self.learning_rate / self.ADAPTIVE_FACTOR
        if self.schedule == "adaptive" and smaller >= self.ADAPTIVE_MIN:
            self.learning_rate = smaller
            if verbose:
                print(f"{message} epochs. Learning rate set to {self.learning_rate:g}.")
            return False
        if verbose:
            print(f"{message} consecutive epochs. Stopping.")
        return True

    def _begin_step(self):
        pass

    def _end_step_undone(self):
        pass


class SGDOptimizer(_BaseOptimizer):
    """Stochastic gradient descent with optional (Nesterov's) momentum.

    Parameters
    ----------
    params, learning_rate_init, sparse, clip_value, schedule, scale
        As :class:`_BaseOptimizer`.
    momentum : float, default=0.0
    nesterov : bool, default=False
    """

    def __init__(self, params, learning_rate_init, momentum=0.0, nesterov=False, *,
                 sparse=(), clip_value=None, schedule="constant", scale=None):
        self.momentum = momentum
        self.nesterov = nesterov
        super().__init__(params, learning_rate_init, sparse, clip_value, schedule, scale)

    def _init_state(self, params):
        if self.momentum:
            self.velocity = np.zeros_like(self.flat)
            self.sparse_velocity = {k: _zeros_like(params[k]).T for k in self.sparse}

    def _dense_state(self):
        return [self.velocity] if self.momentum else []

    def _sparse_state(self):
        return self.sparse_velocity

    def _step(self, target, grad, rows, name=None):
        """Update ``target`` in place (``rows`` None), or return the new values of its
        ``rows`` and of their state, to be written by :meth:`update`."""
        lr, mu = self.learning_rate * self._scale(name), self.momentum
        if not mu:
            if rows is None:
                target -= lr * grad
                return None
            return target[rows] - lr * grad, None
        vel = self.velocity if rows is None else self.sparse_velocity[name][rows]
        vel *= mu
        vel -= lr * grad
        step = mu * vel - lr * grad if self.nesterov else vel
        if rows is None:
            target += step
            return None
        return target[rows] + step, vel


class AdamOptimizer(_BaseOptimizer):
    """Adam (Kingma and Ba), with the bias correction folded into the step size.

    Parameters
    ----------
    params, learning_rate_init, sparse, clip_value, schedule, scale
        As :class:`_BaseOptimizer`.
    beta_1, beta_2, epsilon : float
    """

    def __init__(self, params, learning_rate_init, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 *, sparse=(), clip_value=None, schedule="constant", scale=None):
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.t = 0
        super().__init__(params, learning_rate_init, sparse, clip_value, schedule, scale)

    def _init_state(self, params):
        self.m, self.v = np.zeros_like(self.flat), np.zeros_like(self.flat)
        # both moments of a column side by side: one gather and one scatter per update
        self.sparse_moments = {
            k: np.zeros((params[k].shape[1], 2, params[k].shape[0]), params[k].dtype)
            for k in self.sparse
        }

    def _dense_state(self):
        return [self.m, self.v]

    def _sparse_state(self):
        return self.sparse_moments

    def _begin_step(self):
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        self._lr_t = self.learning_rate * np.sqrt(1.0 - b2**self.t) / (1.0 - b1**self.t)

    def _end_step_undone(self):
        self.t -= 1

    def _step(self, target, grad, rows, name=None):
        """As :meth:`SGDOptimizer._step`."""
        b1, b2 = self.beta_1, self.beta_2
        if rows is None:
            m, v = self.m, self.v
        else:
            moments = self.sparse_moments[name][rows]
            m, v = moments[:, 0], moments[:, 1]
        m *= b1
        m += (1.0 - b1) * grad
        v *= b2
        v += (1.0 - b2) * (grad * grad)
        step = np.sqrt(v)
        step += self.epsilon
        np.divide(m, step, out=step)
        step *= self._lr_t * self._scale(name)
        if rows is None:
            target -= step
            return None
        return target[rows] - step, moments


SOLVERS = {"sgd": SGDOptimizer, "adam": AdamOptimizer}


class WeightAverage:
    """Exponential moving average of the weights, updated after every step.

    ``average = decay * average + (1 - decay) * weights``, started at zero and divided by
    ``1 - decay ** t`` after ``t`` steps (the bias correction of Adam's moments), so that
    it is the weights themselves after one step and follows them closely early on, when
    few steps were taken (a full-batch fit takes one per epoch).

    Columns of a sparse parameter that a step did not update did not change, so their
    average is brought up to date only when they are next used, or when it is read:
    ``k`` steps of unchanged weights ``w`` move it to ``decay ** k * average +
    (1 - decay ** k) * w``, exactly what ``k`` dense updates give.

    Parameters
    ----------
    params : dict of ndarray
    decay : float in (0, 1)
    sparse : tuple of str
        As for the optimizers: updated through the columns a step used.
    """

    def __init__(self, params, decay, sparse=()):
        self.decay = decay
        self.t = 0
        self.sparse = tuple(sparse)
        self.average = {k: _zeros_like(v) for k, v in params.items()}
        # the step at which each column of a sparse parameter was last brought up to date
        self.synced = {k: np.zeros(params[k].shape[1], dtype=np.int64) for k in self.sparse}

    def prepare(self, params, grads):
        """Before a step: bring the columns it will change up to date (as of the step
        about to be taken), while ``params`` still hold the values they had since they
        were last synced. Nothing is written until :meth:`update`."""
        self._pending = {
            name: (grads[name].columns, self.decay * self._caught_up(name, params,
                                                                  grads[name].columns, self.t))
            for name in self.sparse
        }

    def update(self, params, grads):
        """After a step that changed ``params``, and :meth:`prepare` before it: account
        for it."""
        d = self.decay
        self.t += 1
        for name, avg in self.average.items():
            if name in self.sparse:
                rows, decayed = self._pending[name]
                decayed += (1.0 - d) * params[name].T[rows]
                avg.T[rows] = decayed
                self.synced[name][rows] = self.t
            else:
                avg *= d
                avg += (1.0 - d) * params[name]
        self._pending = None

    def _caught_up(self, name, params, rows, t):
        """The average of columns ``rows`` as of step ``t``, their weights unchanged since
        they were last synced."""
        factor = np.power(self.decay, t - self.synced[name][rows]).astype(
            params[name].dtype)[:, None]
        weights = params[name].T[rows]
        caught = self.average[name].T[rows]
        caught -= weights
        caught *= factor
        caught += weights
        return caught

    def averaged(self, params):
        """The bias-corrected average, as a new dict of arrays (``params`` itself if no
        step was taken)."""
        if self.t == 0:
            return {k: v.copy() for k, v in params.items()}
        for name in self.sparse:
            every = np.arange(params[name].shape[1])
            self.average[name].T[every] = self._caught_up(name, params, every, self.t)
            self.synced[name][every] = self.t
        correction = 1.0 - self.decay**self.t
        out = {}
        for name, avg in self.average.items():
            out[name] = copy_param(avg / correction, params[name].dtype)
        return out
