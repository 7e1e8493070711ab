"""Gradient clipping and the SGD and Adam updates.

Optimizers are plain classes that update a dict of parameter arrays in place, as
scikit-learn's ``_stochastic_optimizers``. A gradient is either a dense array shaped like
its parameter or, for the text embedding ``Wxh``, a :class:`~sklearn_rnn._rnn.RowGrad`
holding only the columns a batch used. Sparse gradients update only those columns: for
plain SGD that is exactly the dense update; with momentum or Adam the moments of columns
a batch did not use are left as they are until the column is used again (the "lazy"
update of PyTorch's ``SparseAdam``).
"""

import numpy as np

from ._rnn import RowGrad


def clip_gradients(grads, clip_value):
    """Clip every gradient element-wise to ``[-clip_value, clip_value]``, in place."""
    if clip_value is None:
        return
    for grad in grads.values():
        values = grad.values if isinstance(grad, RowGrad) else grad
        np.clip(values, -clip_value, clip_value, out=values)


def _columns(param):
    # Wxh is stored column-major, so its transpose is a C-contiguous (V, H) array whose
    # rows are the columns of Wxh: the view the sparse updates index
    return param.T


class SGDOptimizer:
    """Stochastic gradient descent with optional (Nesterov's) momentum.

    Parameters
    ----------
    params : dict of ndarray
    learning_rate_init : float
    momentum : float
    nesterov : bool
    """

    def __init__(self, params, learning_rate_init, momentum=0.0, nesterov=False):
        self.learning_rate = learning_rate_init
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocities = {k: np.zeros_like(p) for k, p in params.items()} if momentum else None

    def update(self, params, grads):
        lr, mu = self.learning_rate, self.momentum
        for name, grad in grads.items():
            param = params[name]
            if isinstance(grad, RowGrad):
                target, rows, g = _columns(param), grad.rows, grad.values
            else:
                target, rows, g = param, None, grad
            if not mu:
                if rows is None:
                    target -= lr * g
                else:
                    target[rows] -= lr * g
                continue
            vel_all = self.velocities[name]
            vel_all = _columns(vel_all) if rows is not None else vel_all
            vel = vel_all[rows] if rows is not None else vel_all
            vel *= mu
            vel -= lr * g
            step = mu * vel - lr * g if self.nesterov else vel
            if rows is None:
                target += step
            else:
                vel_all[rows] = vel
                target[rows] += step


class AdamOptimizer:
    """Adam (Kingma and Ba), with the bias correction folded into the step size.

    Parameters
    ----------
    params : dict of ndarray
    learning_rate_init : float
    beta_1, beta_2, epsilon : float
    """

    def __init__(self, params, learning_rate_init, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.learning_rate = learning_rate_init
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.t = 0
        self.ms = {k: np.zeros_like(p) for k, p in params.items()}
        self.vs = {k: np.zeros_like(p) for k, p in params.items()}

    def update(self, params, grads):
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        lr = self.learning_rate * np.sqrt(1.0 - b2**self.t) / (1.0 - b1**self.t)
        for name, grad in grads.items():
            param, m_all, v_all = params[name], self.ms[name], self.vs[name]
            if isinstance(grad, RowGrad):
                rows, g = grad.rows, grad.values
                target, m_cols, v_cols = _columns(param), _columns(m_all), _columns(v_all)
                m, v = m_cols[rows], v_cols[rows]
            else:
                rows, g, target, m, v = None, grad, param, m_all, v_all
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * (g * g)
            step = np.sqrt(v)
            step += self.epsilon
            np.divide(m, step, out=step)
            step *= lr
            if rows is None:
                target -= step
            else:
                m_cols[rows] = m
                v_cols[rows] = v
                target[rows] -= step


SOLVERS = {"sgd": SGDOptimizer, "adam": AdamOptimizer}
