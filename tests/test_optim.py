"""Optimizers: sparse (embedding) updates against dense ones, clipping, flat buffers."""

import numpy as np
import pytest

from sklearn_rnn._optim import AdamOptimizer, SGDOptimizer, WeightAverage
from sklearn_rnn._rnn import ColumnGrad


def _params(seed=0, hidden=3, n_inputs=6):
    rng = np.random.default_rng(seed)
    return rng, {"Wxh": np.asfortranarray(rng.normal(size=(hidden, n_inputs))),
                 "Whh": rng.normal(size=(hidden, hidden)),
                 "bh": rng.normal(size=hidden)}


def _copy(params):
    return {k: np.array(v, order="K") for k, v in params.items()}


MAKERS = [
    lambda p, **kw: SGDOptimizer(p, 0.1, **kw),
    lambda p, **kw: SGDOptimizer(p, 0.1, momentum=0.9, **kw),
    lambda p, **kw: SGDOptimizer(p, 0.1, momentum=0.9, nesterov=True, **kw),
    lambda p, **kw: AdamOptimizer(p, 0.01, **kw),
]


def _grads(rng):
    return rng.normal(size=(3, 6)), rng.normal(size=(3, 3)), rng.normal(size=3)


@pytest.mark.parametrize("make", MAKERS)
def test_sparse_update_equals_dense_when_every_column_is_used(make):
    rng, sparse = _params()
    dense = _copy(sparse)
    opt_sparse, opt_dense = make(sparse, sparse=("Wxh",)), make(dense)
    for _ in range(5):
        gx, gh, gb = _grads(rng)
        opt_sparse.update(sparse, {"Wxh": ColumnGrad(np.arange(6), gx.T.copy()),
                                   "Whh": gh.copy(), "bh": gb.copy()})
        opt_dense.update(dense, {"Wxh": gx, "Whh": gh, "bh": gb})
    for k in sparse:
        np.testing.assert_allclose(sparse[k], dense[k], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("make", MAKERS)
def test_flat_buffer_update_equals_per_parameter_reference(make):
    # the reference: the textbook update written per parameter
    rng, params = _params(5)
    ref = _copy(params)
    opt = make(params)
    lr = opt.learning_rate
    state = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in ref.items()}
    for t in range(1, 4):
        gx, gh, gb = _grads(rng)
        grads = {"Wxh": gx, "Whh": gh, "bh": gb}
        opt.update(params, {k: g.copy() for k, g in grads.items()})
        for k, g in grads.items():
            a, b = state[k]
            if isinstance(opt, AdamOptimizer):
                a[...] = 0.9 * a + 0.1 * g
                b[...] = 0.999 * b + 0.001 * g * g
                ref[k] -= lr * np.sqrt(1 - 0.999**t) / (1 - 0.9**t) * a / (np.sqrt(b) + 1e-8)
            elif opt.momentum:
                a[...] = 0.9 * a - lr * g
                ref[k] += 0.9 * a - lr * g if opt.nesterov else a
            else:
                ref[k] -= lr * g
    for k in ref:
        np.testing.assert_allclose(params[k], ref[k], rtol=1e-12, atol=1e-15)


def test_sparse_sgd_equals_dense_sgd_with_unused_columns():
    rng, sparse = _params(1)
    dense = _copy(sparse)
    opt_sparse = SGDOptimizer(sparse, 0.05, sparse=("Wxh",))
    opt_dense = SGDOptimizer(dense, 0.05)
    for _ in range(4):
        rows = np.sort(rng.choice(6, size=2, replace=False))
        values = rng.normal(size=(2, 3))
        _, gh, gb = _grads(rng)
        opt_sparse.update(sparse, {"Wxh": ColumnGrad(rows, values), "Whh": gh, "bh": gb})
        opt_dense.update(dense, {"Wxh": ColumnGrad(rows, values).to_dense(6), "Whh": gh, "bh": gb})
    for k in sparse:
        np.testing.assert_allclose(sparse[k], dense[k], rtol=1e-12)


def test_lazy_adam_leaves_unused_columns_alone():
    rng, params = _params(2)
    before = params["Wxh"].copy()
    opt = AdamOptimizer(params, 0.01, sparse=("Wxh",))
    zero = {"Whh": np.zeros((3, 3)), "bh": np.zeros(3)}
    opt.update(params, {"Wxh": ColumnGrad(np.array([1, 4]), rng.normal(size=(2, 3))), **zero})
    opt.update(params, {"Wxh": ColumnGrad(np.array([4]), rng.normal(size=(1, 3))), **zero})
    changed = np.flatnonzero(np.any(params["Wxh"] != before, axis=0))
    np.testing.assert_array_equal(changed, [1, 4])


def test_adam_first_step_moves_by_learning_rate():
    _, params = _params(3)
    before = params["bh"].copy()
    opt = AdamOptimizer(params, 0.01)
    opt.update(params, {"Wxh": np.zeros((3, 6)), "Whh": np.zeros((3, 3)),
                        "bh": np.array([2.0, -3.0, 0.5])})
    np.testing.assert_allclose(before - params["bh"], [0.01, -0.01, 0.01], rtol=1e-6)


@pytest.mark.parametrize("sparse", [(), ("Wxh",)])
def test_clipping_is_element_wise(sparse):
    _, params = _params(4)
    before = _copy(params)
    opt = SGDOptimizer(params, 1.0, sparse=sparse, clip_value=0.5)
    gx = np.array([[3.0, -0.2, 0, 0, 0, 0]] * 3)
    grads = {"Wxh": ColumnGrad(np.arange(6), gx.T.copy()) if sparse else gx,
             "Whh": np.full((3, 3), -7.0), "bh": np.array([0.1, 0.6, -0.6])}
    opt.update(params, grads)
    np.testing.assert_allclose(before["Wxh"] - params["Wxh"],
                               np.array([[0.5, -0.2, 0, 0, 0, 0]] * 3))
    np.testing.assert_allclose(before["Whh"] - params["Whh"], np.full((3, 3), -0.5))
    np.testing.assert_allclose(before["bh"] - params["bh"], [0.1, 0.5, -0.5])


@pytest.mark.parametrize("bad", [np.inf, np.nan])
@pytest.mark.parametrize("where", ["Whh", "Wxh"])
def test_non_finite_gradient_is_refused_and_changes_nothing(bad, where):
    _, params = _params(6)
    before = _copy(params)
    opt = AdamOptimizer(params, 0.01, sparse=("Wxh",), clip_value=1.0)
    grads = {"Wxh": ColumnGrad(np.array([2]), np.ones((1, 3))), "Whh": np.ones((3, 3)),
             "bh": np.ones(3)}
    target = grads["Wxh"].values if where == "Wxh" else grads["Whh"]
    target[0, 1] = bad
    assert opt.update(params, grads) is False
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])
    assert opt.t == 0


@pytest.mark.parametrize("read_every_step", [True, False])
@pytest.mark.parametrize("make", MAKERS)
def test_weight_average_of_a_sparse_parameter_equals_the_dense_average(make, read_every_step):
    rng, params = _params(7)
    decay = 0.8
    opt = make(params, sparse=("Wxh",))
    average = WeightAverage(params, decay, sparse=("Wxh",))
    ref = {k: np.zeros_like(v) for k, v in params.items()}
    # column 5 is never used, column 0 only at the first step
    used = [[0, 2], [1], [2, 4], [1], [3], [1, 2, 4], [3], [3, 4]]
    for t, rows in enumerate(used, start=1):
        rows = np.array(rows)
        _, gh, gb = _grads(rng)
        grads = {"Wxh": ColumnGrad(rows, rng.normal(size=(len(rows), 3))), "Whh": gh, "bh": gb}
        before = params["Wxh"].copy()
        average.prepare(params, grads)
        assert opt.update(params, grads)
        average.update(params, grads)
        unused = np.setdiff1d(np.arange(6), rows)
        np.testing.assert_array_equal(params["Wxh"][:, unused], before[:, unused])
        assert not np.any(params["Wxh"][:, rows] == before[:, rows])
        for k in ref:
            ref[k] = decay * ref[k] + (1.0 - decay) * params[k]
        if read_every_step or t == len(used):
            got = average.averaged(params)
            assert sorted(got) == sorted(params)
            for k in ref:
                np.testing.assert_allclose(got[k], ref[k] / (1.0 - decay**t), rtol=1e-12,
                                           atol=1e-14, err_msg=f"{k} after step {t}")
            assert got["Wxh"].flags.f_contiguous  # still column-major, as sparse needs
            if t == 1:  # the weights themselves after one step
                for k in ref:
                    np.testing.assert_allclose(got[k], params[k], rtol=1e-12)


def test_weight_average_after_no_step_is_the_weights():
    _, params = _params(8)
    average = WeightAverage(params, 0.9, sparse=("Wxh",))
    got = average.averaged(params)
    assert sorted(got) == sorted(params)
    for k in params:
        np.testing.assert_array_equal(got[k], params[k])
        assert not np.shares_memory(got[k], params[k])


def test_weight_average_of_dense_parameters():
    rng, params = _params(9)
    decay = 0.5
    opt = AdamOptimizer(params, 0.05)
    average = WeightAverage(params, decay)
    history = []
    for _ in range(3):
        gx, gh, gb = _grads(rng)
        grads = {"Wxh": gx, "Whh": gh, "bh": gb}
        average.prepare(params, grads)
        opt.update(params, grads)
        average.update(params, grads)
        history.append(_copy(params))
    # three steps of decay 1/2 from zero, divided by 1 - 1/8
    got = average.averaged(params)
    for k in params:
        w1, w2, w3 = (h[k] for h in history)
        expected = (0.5 * 0.5 * 0.5 * w1 + 0.5 * 0.5 * w2 + 0.5 * w3) / (1.0 - 0.5**3)
        np.testing.assert_allclose(got[k], expected, rtol=1e-12)


def _one_param_steps(opt_class, grads, **kwargs):
    """The values of a single parameter ``[1, -2]`` after each update with ``grads``."""
    params = {"b": np.array([1.0, -2.0])}
    opt = opt_class(params, 0.1, **kwargs)
    values = []
    for g in grads:
        assert opt.update(params, {"b": np.array(g)}) is True
        values.append(params["b"].copy())
    return values


SGD_GRADS = [[1.0, 2.0], [0.5, -1.0]]


def test_sgd_without_momentum_by_hand():
    # w -= 0.1 g, twice
    w1, w2 = _one_param_steps(SGDOptimizer, SGD_GRADS)
    np.testing.assert_allclose(w1, [0.9, -2.2], rtol=1e-14)
    np.testing.assert_allclose(w2, [0.85, -2.1], rtol=1e-14)


def test_sgd_momentum_by_hand_is_classical_by_default():
    # v = 0.5 v - 0.1 g; w += v
    w1, w2 = _one_param_steps(SGDOptimizer, SGD_GRADS, momentum=0.5)
    np.testing.assert_allclose(w1, [0.9, -2.2], rtol=1e-14)  # v = [-0.1, -0.2]
    np.testing.assert_allclose(w2, [0.8, -2.2], rtol=1e-14)  # v = [-0.1, 0.0]


def test_sgd_nesterov_momentum_by_hand():
    # v = 0.5 v - 0.1 g; w += 0.5 v - 0.1 g
    w1, w2 = _one_param_steps(SGDOptimizer, SGD_GRADS, momentum=0.5, nesterov=True)
    np.testing.assert_allclose(w1, [0.85, -2.3], rtol=1e-14)  # step [-0.15, -0.3]
    np.testing.assert_allclose(w2, [0.75, -2.2], rtol=1e-14)  # step [-0.1, 0.1]


def test_sgd_momentum_value_changes_the_update():
    steps = {mu: _one_param_steps(SGDOptimizer, SGD_GRADS, momentum=mu)[1]
             for mu in (0.5, 0.9)}
    # v2 = mu v1 - 0.1 g2 with v1 = -0.1 g1
    np.testing.assert_allclose(steps[0.9], [0.9 - 0.09 - 0.05, -2.2 - 0.18 + 0.1],
                               rtol=1e-14)


def test_adam_hyper_parameters_by_hand():
    # beta_1 = 0.5, beta_2 = 0.75, epsilon = 0.1, learning rate 0.1, gradient 2 then 1:
    # step 1: m = 1, v = 1, lr_t = 0.1 sqrt(1 - 0.75) / (1 - 0.5) = 0.1, step = 0.1 / 1.1
    # step 2: m = 0.5 + 0.5 = 1, v = 0.75 + 0.25 = 1,
    #         lr_t = 0.1 sqrt(1 - 0.75^2) / (1 - 0.5^2), step = lr_t / 1.1
    w1, w2 = _one_param_steps(AdamOptimizer, [[2.0, 2.0], [1.0, 1.0]], beta_1=0.5,
                              beta_2=0.75, epsilon=0.1)
    step1 = 0.1 / 1.1
    step2 = 0.1 * np.sqrt(1 - 0.75**2) / (1 - 0.5**2) / 1.1
    np.testing.assert_allclose(w1, [1.0 - step1, -2.0 - step1], rtol=1e-14)
    np.testing.assert_allclose(w2, [1.0 - step1 - step2, -2.0 - step1 - step2], rtol=1e-14)


@pytest.mark.parametrize("name, value", [("beta_1", 0.5), ("beta_2", 0.5), ("epsilon", 0.5)])
def test_each_adam_hyper_parameter_changes_the_update(name, value):
    grads = [[2.0, -1.0], [0.5, 3.0], [-1.0, 1.0]]
    default = _one_param_steps(AdamOptimizer, grads)
    changed = _one_param_steps(AdamOptimizer, grads, **{name: value})
    assert not np.allclose(default[-1], changed[-1], rtol=1e-6, atol=0)


@pytest.mark.parametrize("make", MAKERS)
def test_clip_value_applies_to_every_update(make):
    def run(grads, **kwargs):
        params = {"b": np.array([1.0, -2.0])}
        opt = make(params, **kwargs)
        for g in grads:
            opt.update(params, {"b": np.array(g)})
        return params["b"]

    grads = [[5.0, -0.2], [0.5, -3.0], [-4.0, 0.1]]
    clipped = [[1.0, -0.2], [0.5, -1.0], [-1.0, 0.1]]
    np.testing.assert_allclose(run(grads, clip_value=1.0), run(clipped), rtol=1e-14)
    assert not np.allclose(run(grads, clip_value=1.0), run(grads), rtol=1e-6, atol=0)


@pytest.mark.parametrize("make", MAKERS)
def test_float32_parameters_keep_float32_state_and_their_memory_layout(make):
    rng, params = _params(10)
    params = {k: v.astype(np.float32) for k, v in params.items()}  # astype keeps Wxh F
    opt = make(params, sparse=("Wxh",))
    average = WeightAverage(params, 0.9, sparse=("Wxh",))
    for _ in range(2):
        gx, gh, gb = _grads(rng)
        grads = {"Wxh": ColumnGrad(np.array([1, 3]), gx[:, [1, 3]].T.astype(np.float32)),
                 "Whh": gh.astype(np.float32), "bh": gb.astype(np.float32)}
        average.prepare(params, grads)
        assert opt.update(params, grads)
        average.update(params, grads)
    # the state of a float32 model takes float32 memory, laid out as its parameter
    state = [average.average["Wxh"], average.average["Whh"]]
    state += list(getattr(opt, "sparse_velocity", {}).values())
    state += list(getattr(opt, "sparse_moments", {}).values())
    assert all(s.dtype == np.float32 for s in state)
    assert average.average["Wxh"].flags.f_contiguous
    assert average.average["Whh"].flags.c_contiguous
    got = average.averaged(params)
    for k in params:
        assert params[k].dtype == got[k].dtype == np.float32
    assert got["Wxh"].flags.f_contiguous and not got["Wxh"].flags.c_contiguous
    assert got["Whh"].flags.c_contiguous and not got["Whh"].flags.f_contiguous


def test_clipping_of_a_sparse_gradient_bounds_both_signs():
    _, params = _params(11)
    before = _copy(params)
    opt = SGDOptimizer(params, 1.0, sparse=("Wxh",), clip_value=0.5)
    values = np.array([[-3.0, 0.2, 4.0], [0.1, -0.4, -0.7]])
    opt.update(params, {"Wxh": ColumnGrad(np.array([1, 4]), values),
                        "Whh": np.zeros((3, 3)), "bh": np.zeros(3)})
    np.testing.assert_allclose(before["Wxh"] - params["Wxh"],
                               ColumnGrad(np.array([1, 4]), np.clip(values, -0.5, 0.5)).to_dense(6))
    np.testing.assert_allclose((before["Wxh"] - params["Wxh"])[:, 1], [-0.5, 0.2, 0.5])


def _state(opt):
    """Every array and counter an optimizer keeps, copied (not its scratch values, whose
    names start with an underscore)."""
    state = {}
    for name, value in vars(opt).items():
        if name.startswith("_"):
            continue
        if isinstance(value, np.ndarray):
            state[name] = value.copy()
        elif isinstance(value, dict):
            state.update({f"{name}.{k}": v.copy() for k, v in value.items()})
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            state[name] = value
    return state


@pytest.mark.parametrize("make", [
    lambda p, **kw: SGDOptimizer(p, 1e308, **kw),
    lambda p, **kw: SGDOptimizer(p, 1e308, momentum=0.9, **kw),
    lambda p, **kw: SGDOptimizer(p, 1e308, momentum=0.9, nesterov=True, **kw),
    lambda p, **kw: AdamOptimizer(p, 1e308, **kw),
])
@pytest.mark.parametrize("where", ["Whh", "Wxh"])
def test_a_step_that_would_overflow_is_not_applied(make, where):
    # finite gradients, a step whose result is not: everything stays as it was
    _, params = _params(6)
    opt = make(params, sparse=("Wxh",))
    # one ordinary step first, so that the state is not all zeros
    lr, opt.learning_rate = opt.learning_rate, 0.01
    ok = {"Wxh": ColumnGrad(np.array([1, 4]), np.ones((2, 3))), "Whh": np.ones((3, 3)),
          "bh": np.ones(3)}
    for _ in range(2):  # Adam's step count is then 2
        assert opt.update(params, {k: (ColumnGrad(v.columns, v.values.copy()) if k == "Wxh"
                                       else v.copy()) for k, v in ok.items()}) is True
    opt.learning_rate = lr
    big_weight = (params["Wxh"], (1, 2)) if where == "Wxh" else (params["Whh"], (0, 1))
    big_weight[0][big_weight[1]] = 1e308  # Whh is a view of the optimizer's buffer
    before, state = _copy(params), _state(opt)
    grads = {"Wxh": ColumnGrad(np.array([2, 4]), np.full((2, 3), 1e-3)),
             "Whh": np.full((3, 3), 1e-3), "bh": np.full(3, 1e-3)}
    big = grads["Wxh"].values[0] if where == "Wxh" else grads["Whh"][0]
    big[1] = -1.0  # 1e308 - lr * (-1.0) (with Adam, its moments' ratio): inf
    with np.errstate(over="ignore", invalid="ignore"):
        assert opt.update(params, grads) is False
    for k in params:
        np.testing.assert_array_equal(params[k], before[k], err_msg=k)
    after = _state(opt)
    assert after.keys() == state.keys()
    for k in state:
        np.testing.assert_array_equal(after[k], state[k], err_msg=k)


@pytest.mark.parametrize("make", MAKERS)
def test_read_only_state_is_copied_before_it_is_written(make):
    from sklearn_rnn._optim import make_writable

    rng, params = _params(3)
    opt = make(params, sparse=("Wxh",))
    average = WeightAverage(params, 0.9, ("Wxh",))
    gx, gh, gb = _grads(rng)
    grads = {"Wxh": ColumnGrad(np.arange(6), gx.T.copy()), "Whh": gh, "bh": gb}
    expected_params = _copy(params)
    expected = make(expected_params, sparse=("Wxh",))
    for state in (opt, average):
        for value in vars(state).values():
            for array in (value.values() if isinstance(value, dict) else [value]):
                if isinstance(array, np.ndarray):
                    array.flags.writeable = False
    frozen = {k: v for k, v in vars(opt).items() if isinstance(v, np.ndarray)}
    for state in (opt, average):
        make_writable(state)
    for name, array in frozen.items():
        assert getattr(opt, name) is not array and getattr(opt, name).flags.writeable
        np.testing.assert_array_equal(getattr(opt, name), array)
        assert getattr(opt, name).flags.f_contiguous == array.flags.f_contiguous
    params = _copy(params)
    opt.bind(params)
    average.prepare(params, grads)
    opt.update(params, grads)
    average.update(params, grads)
    expected.update(expected_params, {k: (ColumnGrad(v.columns, v.values.copy()) if k == "Wxh"
                                          else v.copy()) for k, v in grads.items()})
    for k in params:
        np.testing.assert_array_equal(params[k], expected_params[k])
