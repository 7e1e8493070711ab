"""The recurrent cells: one forward step and one backward step each, over packed blocks.

Every cell reads its input already projected, ``x_t = Wxh x_t + bh`` (shape (n, G H),
``G`` gates), and the previous state, and writes the new state. Equations and gate
orders are PyTorch's (``nn.RNN``, ``nn.GRU``, ``nn.LSTM``), so weights transfer:

tanh (G = 1), the tutorial's cell::

    h_t = tanh(x_t + Whh h_{t-1})

gru (G = 3, gates r, z, n; ``bhh`` is PyTorch's ``bias_hh_l0``)::

    r = sigmoid(x_r + Whh_r h + bhh_r)        z = sigmoid(x_z + Whh_z h + bhh_z)
    n = tanh(x_n + r * (Whh_n h + bhh_n))     h_t = (1 - z) * n + z * h_{t-1}

lstm (G = 4, gates i, f, g, o; ``bh`` is PyTorch's ``bias_ih_l0 + bias_hh_l0``)::

    i, f, o = sigmoid(...),  g = tanh(...)    (each: x + Whh h_{t-1})
    c_t = f * c_{t-1} + i * g                 h_t = o * tanh(c_t)

The steps work in buffers indexed by packed position (see :mod:`sklearn_rnn._rnn`):
step ``t`` holds rows ``a:b`` and the previous step's first ``b - a`` rows start at
``p`` (``None`` at the first step, where the state is zero). A forward step gets the
recurrent product as a function, ``recur(h) = h Whh^T`` (BLAS in training, a product that
does not depend on the batch in prediction: :mod:`sklearn_rnn._exact`). A forward step leaves in
the buffers what its backward step needs; nothing is stored anywhere else.
"""

from typing import Callable, NamedTuple

import numpy as np


def sigmoid_(a):
    """``a = 1 / (1 + exp(-a))`` in place, as ``(1 + tanh(a / 2)) / 2``: the same
    function, several times faster than ``scipy.special.expit`` here, and never
    overflowing."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


class Cell(NamedTuple):
    """A cell: its gate count, the extra per-position buffers of width H its forward
    step fills, whether it has a separate recurrent bias ``bhh``, the bias added to the
    input projections, its two step functions, and what training keeps per token and
    direction, in units of H floats (measured with tracemalloc on one long document,
    rounded up: the activations backpropagation through time holds, and their
    gradients)."""

    gates: int
    buffers: tuple
    recurrent_bias: bool
    input_bias: Callable
    forward_step: Callable
    backward_step: Callable
    train_floats_per_step: int


def own_input_bias(bh, bhh):
    return bh


def gru_input_bias(bh, bhh):
    """``bh`` plus the r and z parts of ``bhh``, which only add to the same sums."""
    bias = bh.copy()
    bias[: 2 * (len(bh) // 3)] += bhh[: 2 * (len(bh) // 3)]
    return bias


# ---------------------------------------------------------------------------- tanh
def tanh_forward_step(buf, a, b, p, recur, bhh):
    x = buf["x"][a:b]
    if p is not None:
        x += recur(buf["h"][p : p + b - a])
    np.tanh(x, out=buf["h"][a:b])


def tanh_backward_step(buf, grad, a, b, p, Whh):
    n = b - a
    h = buf["h"][a:b]
    dx = grad["dx"][a:b]
    np.multiply(h, h, out=dx)
    np.subtract(1.0, dx, out=dx)
    dx *= grad["dh"][:n]
    if p is not None:
        np.dot(dx, Whh, out=grad["dh"][:n])


# ----------------------------------------------------------------------------- gru
def gru_forward_step(buf, a, b, p, recur, bhh):
    # bhh's r and z parts are additive: gru_input_bias put them in x already. The gates
    # go to buffers of their own: NumPy is several times slower on column slices
    n, H = b - a, buf["h"].shape[1]
    x = buf["x"][a:b]  # input projections [r, z, n], left as they are
    r, z, new = buf["r"][a:b], buf["z"][a:b], buf["n"][a:b]
    ghn = buf["ghn"][a:b]  # Whh_n h + bhh_n, which r scales
    if p is None:
        np.copyto(r, x[:, :H])
        np.copyto(z, x[:, H : 2 * H])
        ghn[...] = bhh[2 * H :]
    else:
        gh = recur(buf["h"][p : p + n])
        np.add(x[:, :H], gh[:, :H], out=r)
        np.add(x[:, H : 2 * H], gh[:, H : 2 * H], out=z)
        np.add(gh[:, 2 * H :], bhh[2 * H :], out=ghn)
    sigmoid_(r)
    sigmoid_(z)
    np.multiply(r, ghn, out=new)
    new += x[:, 2 * H :]
    np.tanh(new, out=new)
    h = buf["h"][a:b]
    if p is None:  # z * h_prev vanishes
        np.subtract(1.0, z, out=h)
        h *= new
    else:
        np.subtract(buf["h"][p : p + n], new, out=h)
        h *= z
        h += new


def gru_backward_step(buf, grad, a, b, p, Whh):
    n, H = b - a, Whh.shape[1]
    r, z, new, ghn = buf["r"][a:b], buf["z"][a:b], buf["n"][a:b], buf["ghn"][a:b]
    dh = grad["dh"][:n]
    dx, dgh = grad["dx"][a:b], grad["dgh"][a:b]
    h_prev = buf["h"][p : p + n] if p is not None else 0.0
    # dn through tanh, then into x_n and (times r) into the recurrent n term
    dn = np.subtract(1.0, z)
    dn *= dh
    dn *= 1.0 - new * new
    dx[:, 2 * H :] = dn
    np.multiply(dn, r, out=dgh[:, 2 * H :])
    dn *= ghn  # now dr, before the sigmoid
    dn *= r * (1.0 - r)
    dx[:, :H] = dn
    dz = np.subtract(h_prev, new)
    dz *= dh
    dz *= z * (1.0 - z)
    dx[:, H : 2 * H] = dz
    dgh[:, : 2 * H] = dx[:, : 2 * H]
    if p is not None:
        carry = dh * z
        np.dot(dgh, Whh, out=dh)
        dh += carry


# ---------------------------------------------------------------------------- lstm
def lstm_forward_step(buf, a, b, p, recur, bhh):
    n, H = b - a, buf["h"].shape[1]
    x = buf["x"][a:b]  # input projections [i, f, g, o], left as they are
    gates = [buf[name][a:b] for name in "ifgo"]
    if p is None:
        for k, gate in enumerate(gates):
            np.copyto(gate, x[:, k * H : (k + 1) * H])
    else:
        gh = recur(buf["h"][p : p + n])
        for k, gate in enumerate(gates):
            np.add(x[:, k * H : (k + 1) * H], gh[:, k * H : (k + 1) * H], out=gate)
    i, f, g, o = gates
    sigmoid_(i)
    sigmoid_(f)
    np.tanh(g, out=g)
    sigmoid_(o)
    c = buf["c"][a:b]
    np.multiply(i, g, out=c)
    if p is not None:
        c += f * buf["c"][p : p + n]
    tc = buf["tc"][a:b]
    np.tanh(c, out=tc)
    np.multiply(o, tc, out=buf["h"][a:b])


def lstm_backward_step(buf, grad, a, b, p, Whh):
    n, H = b - a, Whh.shape[1]
    i, f, g, o = (buf[name][a:b] for name in "ifgo")
    tc = buf["tc"][a:b]
    dh, dc = grad["dh"][:n], grad["dc"][:n]
    dx = grad["dx"][a:b]
    # dc_t gathers the carry from step t + 1 and the path through h_t
    dc += dh * o * (1.0 - tc * tc)
    dx[:, 3 * H :] = dh * tc * o * (1.0 - o)
    dx[:, :H] = dc * g * i * (1.0 - i)
    dx[:, 2 * H : 3 * H] = dc * i * (1.0 - g * g)
    if p is None:
        dx[:, H : 2 * H] = 0.0
        return
    dx[:, H : 2 * H] = dc * buf["c"][p : p + n] * f * (1.0 - f)
    dc *= f
    np.dot(dx, Whh, out=dh)


CELLS = {
    "tanh": Cell(1, (), False, own_input_bias, tanh_forward_step, tanh_backward_step, 6),
    "gru": Cell(3, ("r", "z", "n", "ghn"), True, gru_input_bias, gru_forward_step,
                gru_backward_step, 17),
    "lstm": Cell(4, ("i", "f", "g", "o", "c", "tc"), False, own_input_bias,
                 lstm_forward_step, lstm_backward_step, 19),
}
