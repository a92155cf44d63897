"""Mistakes known by their effect (autograder/runtime/effects.py): the generic predicates
on toy arrays, the wording, and the convnet's shipped effects on wrong values made from
the reference by hand, never on right ones."""

import numpy as np
import pytest

from autograder.runtime import config, effects
from autograder.runtime.effects import Effect
from autograder.runtime.packages import load_module_file
from autograder.runtime.scoring import CaseOutcome, diagnoses, matched_hints, score_group
from autograder.runtime.testkit import Evidence, Replay
from tests.conftest import ASSIGNMENT


def seen(actual, expected, function="f", args=(), part=(), rtol=1e-7, atol=1e-9):
    return Evidence(Replay(function, args, part=part), actual, rtol, atol, expected)


def test_a_constant_factor():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    assert effects.factor(seen(x / 4, x)) == pytest.approx(0.25)
    assert effects.scaled(seen(x / 4, x), 0.25) and not effects.scaled(seen(x / 4, x), 0.5)
    assert not effects.scaled(seen(x, x))  # right: no effect
    assert not effects.scaled(seen(x + 1, x))


def test_an_offset_along_an_axis():
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 4))
    shifted = x + np.array([1.0, -2.0, 0.5])[None, :, None, None]
    assert effects.offset_per(seen(shifted, x), axis=1)
    assert not effects.offset_per(seen(shifted, x), axis=0)
    assert not effects.offset_per(seen(x, x), axis=1)


def test_values_moved_and_differences_confined():
    x = np.arange(24.0).reshape(2, 3, 4)
    assert effects.rearranged(seen(x.transpose(0, 2, 1).reshape(x.shape), x))
    assert not effects.rearranged(seen(x + 1, x))
    y = x.copy()
    y[0, 0, 0] = 99
    mask = np.zeros(x.shape, dtype=bool)
    mask[0, 0, :2] = True
    assert effects.only_where(seen(y, x), mask)
    assert not effects.only_where(seen(y, x), ~mask)
    assert not effects.only_where(seen(y, x), np.ones(x.shape, dtype=bool))  # a mask everywhere says nothing


def test_totals_zeros_and_types():
    x = np.array([[1.0, 0.0], [0.0, 2.0]])
    assert effects.same_totals(seen(x[::-1].copy(), x), (0, 1))
    assert effects.all_zero(seen(np.zeros(2), np.ones(2))) and not effects.all_zero(seen(np.zeros(2), np.zeros(2)))
    assert effects.right_value_wrong_type(seen(5.0, 5)) and not effects.right_value_wrong_type(seen(5, 5))
    assert not effects.right_value_wrong_type(seen(4.0, 5))
    assert not effects.scaled(seen(np.ones(3), np.ones(2)))  # shapes differ: no effect applies


def test_hints_by_function_and_wildcard_and_a_predicate_that_raises():
    catalogue = [
        Effect("half", "it is halved", "Do not divide.", {"f": lambda e: effects.scaled(e, 0.5)}),
        Effect("typed", "a float", "Use //.", {effects.ANY: effects.right_value_wrong_type}),
        Effect("boom", "never", "never", {"f": lambda e: 1 / 0}),
    ]
    x = np.ones(3)
    assert [h.id for h in effects.hints(catalogue, seen(x / 2, x))] == ["half"]
    assert [h.id for h in effects.hints(catalogue, seen(3.0, 3, function="g"))] == ["typed"]
    assert all(h.effect for h in effects.hints(catalogue, seen(x / 2, x)))


def _group(gid, visibility="visible"):
    return config.TestGroup(id=gid, name=gid, points=1, part="1", number="1.1", visibility=visibility,
                            public=visibility == "visible")


def test_an_effect_is_said_only_when_it_explains_most_failed_cases():
    hint = Effect("half", "dx is halved", "Do not divide.", {}).hint
    strong = score_group(_group("a"), [CaseOutcome(str(i), False, "wrong", replayed="f", hints=(hint,))
                                       for i in range(3)])
    assert diagnoses([strong])["a"][0].startswith("Most likely dx is halved: so it is on all 3 failed cases.")
    weak = score_group(_group("b"), [CaseOutcome("0", False, "wrong", replayed="f", hints=(hint,))]
                       + [CaseOutcome(str(i), False, "wrong", replayed="f") for i in range(1, 4)])
    assert "b" not in diagnoses([weak])  # one case of four: it may be a coincidence
    assert [h["id"] for h in matched_hints([strong])] == ["half"] and matched_hints([weak]) == []  # nor for staff
    alone = score_group(_group("c"), [CaseOutcome("0", False, "wrong", replayed="f", hints=(hint,))])
    assert diagnoses([alone])["c"][0].startswith("Possibly dx is halved: so it is on the one failed case")


# -- the convnet's effects, shipped with its public tests -----------------------------

EFFECTS = load_module_file(ASSIGNMENT.effects, "_test_effects_convnet").EFFECTS


def ids(evidence):
    return sorted(h.id for h in effects.hints(EFFECTS, evidence))


def test_overlapping_windows_overwritten_in_pooling(ref):
    x = np.random.default_rng(3).permutation(2 * 2 * 5 * 5).reshape(2, 2, 5, 5) * 0.1
    param = {"pool_height": 3, "pool_width": 3, "stride": 2}
    out, cache = ref.avg_pool_forward(x, param)
    dout = np.random.default_rng(2).normal(size=out.shape)
    right = ref.avg_pool_backward(dout, cache)
    overwritten = np.zeros_like(x)  # '=' instead of '+=': the last window wins
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            overwritten[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3] = dout[:, :, i, j, None, None] / 9
    replay = (dout, (x, param))
    assert ids(Evidence(Replay("avg_pool_backward", replay), overwritten, 1e-7, 1e-9, right)) == [
        "overlap-overwritten"]
    assert ids(Evidence(Replay("avg_pool_backward", replay), right / 4 * 9, 1e-7, 1e-9, right)) == ["avg-divisor"]
    assert ids(Evidence(Replay("avg_pool_backward", replay), right, 1e-7, 1e-9, right)) == []


def test_a_bias_on_the_wrong_axis_and_misplaced_values(ref):
    rng = np.random.default_rng(5)
    x, w, b = rng.normal(size=(2, 3, 5, 5)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    param = {"stride": 1, "pad": 0}
    out, _ = ref.conv_forward(x, w, b, param)
    replay = Replay("conv_forward", (x, w, b, param), part=0)
    no_bias = out - b[None, :, None, None]
    assert ids(Evidence(replay, no_bias, 1e-7, 1e-9, out)) == ["bias-offset"]
    nhwc = out.transpose(0, 2, 3, 1).reshape(out.shape)
    assert ids(Evidence(replay, nhwc, 1e-7, 1e-9, out)) == ["values-misplaced"]
    sums = out - b[None, :, None, None]  # the windows' sums misplaced, the bias added in place
    misplaced_sums = sums.transpose(0, 2, 3, 1).reshape(out.shape) + b[None, :, None, None]
    assert ids(Evidence(replay, misplaced_sums, 1e-7, 1e-9, out)) == ["values-misplaced"]


def test_whole_numbers(ref):
    assert ids(Evidence(Replay("conv_output_size", (7, 3, 2)), 3.0, 0, 0, 3)) == ["int-as-float"]
    assert ids(Evidence(Replay("fc_params", (3072, 10)), 30720, 0, 0, 30730)) == ["bias-default-off"]
    assert ids(Evidence(Replay("fc_params", (3072, 10), {"bias": True}), 30720, 0, 0, 30730)) == []
    assert ids(Evidence(Replay("pool_output_size", (7, 3, 2)), 3, 0, 0, 3)) == []
    assert ids(Evidence(Replay("pool_output_size", (9, 3, 2)), 4, 0, 0, 4)) == []
    assert ids(Evidence(Replay("pool_output_size", (9, 3, 1)), 9, 0, 0, 7)) == ["pool-size-ignores-window"]
    assert ids(Evidence(Replay("pool_output_size", (3, 4, 1)), 0)) == ["window-larger-than-input"]


def test_inputs_that_do_not_fit_together():
    x, w = np.ones((1, 3, 5, 5)), np.ones((2, 3, 3, 3))
    wrong_bias = Evidence(Replay("conv_forward", (x, w, np.ones(3), {"stride": 1, "pad": 0})), (np.ones(1), ()))
    assert ids(wrong_bias) == ["mismatch-accepted"]
    fitting = Evidence(Replay("conv_forward", (x, w, np.ones(2), {"stride": 2, "pad": 0})), (np.ones(1), ()))
    assert ids(fitting) == []  # a stride that does not tile: another mistake


def test_an_exact_effect_is_said_only_when_it_gives_every_failed_case():
    hint = Effect("one-over", "the size is one too many", "Add 1, not 2.", {}, exact=True).hint
    every = score_group(_group("a"), [CaseOutcome(str(i), False, "wrong", replayed="f", hints=(hint,))
                                      for i in range(3)])
    assert diagnoses([every])["a"][0].startswith("Most likely the size is one too many: so it is on all 3")
    # two of three: another formula gives the third, so neither is the cause (a scalar
    # equals many formulas' values by chance)
    most = score_group(_group("b"), [CaseOutcome(str(i), False, "wrong", replayed="f", hints=(hint,))
                                     for i in range(2)] + [CaseOutcome("2", False, "wrong", replayed="f")])
    assert "b" not in diagnoses([most]) and matched_hints([most]) == []
    # one case: a scalar formula matches one case by chance
    alone = score_group(_group("c"), [CaseOutcome("0", False, "wrong", replayed="f", hints=(hint,))])
    assert "c" not in diagnoses([alone])
    # every replayed case, but another case of the test raised: its value may be another mistake's
    raised = score_group(_group("d"), [CaseOutcome(str(i), False, "wrong", replayed="f", hints=(hint,))
                                       for i in range(2)] + [CaseOutcome("2", False, "error")])
    assert "d" not in diagnoses([raised])


def test_axes_in_another_order():
    x = np.random.default_rng(1).normal(size=(2, 3, 4, 1))
    assert effects.axes_permuted(seen(x.transpose(1, 0, 2, 3), x))
    assert not effects.axes_permuted(seen(x.transpose(1, 0, 2, 3) + 1, x))  # other values too
    assert not effects.axes_permuted(seen(x, x))  # the same shape: not this effect's to say
    assert not effects.axes_permuted(seen(x.reshape(3, 2, 4, 1), x))  # a reshape moves values, keeps no axis
    assert not effects.axes_permuted(seen(3.0, 3))


def test_formulas_on_scalars_and_messages():
    assert ids(Evidence(Replay("conv_params", (5, 3, 1)), 26, 0, 0, 76)) == ["conv-weights-without-depth"]
    assert ids(Evidence(Replay("conv_params", (5, 3, 1)), 27, 0, 0, 76)) == []  # another wrong count
    assert ids(Evidence(Replay("receptive_field", (3, 3)), 4, 0, 0, 5)) == [
        "receptive-field-ignores-pool", "receptive-field-one-under"]  # both: only exactness across cases decides
    assert ids(Evidence(Replay("receptive_field", (2, 5)), 10, 0, 0, 6)) == ["receptive-field-product"]
    assert ids(Evidence(Replay("conv_output_size", (7, 3)), 4, 0, 0, 5)) == ["size-one-short"]
    start = "layer 2 (pool): "
    said = Replay("network_summary", ([], (8, 8, 3)), part="message")
    assert ids(Evidence(said, "layer 3 (pool): window too big", expected=start)) == ["layer-counted-from-one"]
    assert ids(Evidence(said, "window too big", expected=start)) == ["message-without-layer"]
    assert ids(Evidence(said, "layer 2 (conv): window too big", expected=start)) == []


def test_a_max_pool_wrong_only_in_negative_windows(ref):
    x = np.random.default_rng(4).normal(size=(2, 2, 6, 6)) - 0.8
    param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    out, _ = ref.max_pool_forward(x, param)
    zero_started = np.maximum(out, 0.0)  # a running maximum started at 0
    assert (out < 0).any() and (out > 0).any()
    assert ids(Evidence(Replay("max_pool_forward", (x, param), part=0), zero_started, 1e-7, 1e-9, out)) == [
        "max-of-negative-windows"]


def test_values_lost_in_the_last_row_but_not_values_moved_there(ref):
    """A range that ends early loses the last row's values; the same values moved within
    that row (the right totals, as a max pool's gradient put in another place) are not it."""
    rng = np.random.default_rng(6)
    x, w, b = rng.normal(size=(2, 2, 5, 6)), rng.normal(size=(3, 2, 2, 2)), rng.normal(size=3)
    param = {"stride": 1, "pad": 0}
    out, cache = ref.conv_forward(x, w, b, param)
    dout = rng.normal(size=out.shape)
    dx = ref.conv_backward(dout, cache)[0]
    replay = Replay("conv_backward", (dout, cache), part=0)
    lost = dx.copy()
    lost[:, :, -1, :] = 0.0
    assert "last-row-or-column" in ids(Evidence(replay, lost, 1e-7, 1e-9, dx))
    moved = dx.copy()
    moved[:, :, -1, :] = dx[:, :, -1, ::-1]
    assert "last-row-or-column" not in ids(Evidence(replay, moved, 1e-7, 1e-9, dx))


@pytest.mark.parametrize("batch_in_loop", [True, False])
def test_shared_gradients_overwritten_instead_of_added(ref, batch_in_loop):
    """dw[...] = ... in loops over the positions (and the batch, or vectorised over it):
    only the last position's share is left, whatever order the loops nest in."""
    rng = np.random.default_rng(7)
    x, w, b = rng.normal(size=(2, 2, 5, 7)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    param = {"stride": 2, "pad": 1}
    out, cache = ref.conv_forward(x, w, b, param)
    dout = rng.normal(size=out.shape)
    _, dw, db = ref.conv_backward(dout, cache)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    overwritten = np.zeros_like(w)
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            window = xp[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3]
            if batch_in_loop:
                for n in range(x.shape[0]):
                    overwritten[:] = dout[n, :, i, j, None, None, None] * window[n][None]
            else:
                overwritten[:] = np.einsum("nf,nchw->fchw", dout[:, :, i, j], window)
    replay = Replay("conv_backward", (dout, cache), part=1)
    assert ids(Evidence(replay, overwritten, 1e-7, 1e-9, dw)) == ["grads-last-position"]
    assert ids(Evidence(replay, dw * 1.5, 1e-7, 1e-9, dw)) == []
    last_db = dout[-1, :, -1, -1] if batch_in_loop else dout[:, :, -1, -1].sum(axis=0)
    assert ids(Evidence(Replay("conv_backward", (dout, cache), part=2), last_db, 1e-7, 1e-9, db)) == [
        "grads-last-position"]


def test_a_max_pool_backward_started_at_zero_is_not_also_misplaced(ref):
    """A running maximum started at 0 keeps a negative window's first position: the right
    total at the wrong place, but only in the all-negative windows, which says why."""
    x = np.random.default_rng(8).normal(size=(2, 2, 6, 6)) - 0.8
    param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    out, cache = ref.max_pool_forward(x, param)
    dout = np.random.default_rng(9).normal(size=out.shape)
    right = ref.max_pool_backward(dout, cache)
    zero_started = np.zeros_like(x)
    for n, c, i, j in np.ndindex(out.shape):
        window = x[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
        k = 0 if window.max() < 0 else int(np.argmax(window))
        zero_started[n, c, 2 * i + k // 2, 2 * j + k % 2] += dout[n, c, i, j]
    assert (out < 0).any() and not np.allclose(zero_started, right)
    assert ids(Evidence(Replay("max_pool_backward", (dout, cache)), zero_started, 1e-7, 1e-9, right)) == [
        "max-of-negative-windows"]
