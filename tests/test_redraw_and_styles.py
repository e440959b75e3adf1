"""Training images in other pens and styles: skeleton re-drawing, widening, style digits, mixing."""
import numpy as np
import pytest
import torch
from scipy import ndimage

from mnist_mlp.augment import make_variants, pick_variants, restyle
from mnist_mlp.config import TrainConfig
from mnist_mlp.preprocess import stroke_width
from mnist_mlp.redraw import narrow_to_square, redraw_with_pen, thin
from mnist_mlp.styles import (CROSSED_ZEROS, LOOPED_TWOS, MORE_NINES, STYLES, closed_four, crossed_zero,
                              flagged_one, flat_loop_nine, looped_two, low_bar_four,
                              more_fours, more_nines, more_ones, round_crossed_seven,
                              open_four, open_or_hooked_nine, s_tailed_nine, style_images, style_table)


def zhang_suen_textbook(mask: np.ndarray) -> np.ndarray:
    """Zhang & Suen (1984) written out condition by condition, for one image."""
    b = mask.astype(np.uint8)
    changed = True
    while changed:
        changed = False
        for step in (0, 1):
            p = np.pad(b, 1)
            n = [p[:-2, 1:-1], p[:-2, 2:], p[1:-1, 2:], p[2:, 2:], p[2:, 1:-1], p[2:, :-2], p[1:-1, :-2], p[:-2, :-2]]
            count = sum(n)
            cycle = n + [n[0]]
            steps = sum(((cycle[i] == 0) & (cycle[i + 1] == 1)).astype(np.uint8) for i in range(8))
            p2, p4, p6, p8 = n[0], n[2], n[4], n[6]
            side = ((p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)) if step == 0 else ((p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0))
            remove = (b == 1) & (count >= 2) & (count <= 6) & (steps == 1) & side
            if remove.any():
                b[remove] = 0
                changed = True
    return b.astype(bool)


def test_thinning_by_lookup_table_is_zhang_suen(mnist_test):
    images = torch.nn.functional.interpolate(mnist_test.images[:40, None].float() / 255, scale_factor=2,
                                             mode="bilinear").squeeze(1) > 0.45
    blobs = torch.from_numpy(ndimage.binary_dilation(np.random.default_rng(0).random((10, 40, 40)) > 0.93,
                                                     iterations=2))
    for batch in (images, blobs):
        thinned = thin(batch, rounds=100).numpy()
        for mask, skeleton in zip(batch.numpy(), thinned):
            assert np.array_equal(skeleton, zhang_suen_textbook(mask))


def test_thinning_a_bar_leaves_its_middle_line():
    bar = torch.zeros(1, 40, 40, dtype=torch.bool)
    bar[0, 5:35, 16:23] = True  # 7 px wide, 30 tall
    skeleton = thin(bar)[0]
    assert skeleton[10:30].sum(1).eq(1).all()  # one pixel wide along its length ...
    assert set(torch.nonzero(skeleton[10:30])[:, 1].tolist()) <= {18, 19}  # ... in the middle
    assert skeleton.sum() >= 20


def test_thinning_a_ring_keeps_it_closed():
    yy, xx = np.mgrid[:48, :48]
    distance = np.hypot(yy - 24, xx - 24)
    ring = torch.from_numpy((distance > 10) & (distance < 16))[None]
    skeleton = thin(ring)[0].numpy()
    assert ndimage.label(skeleton, structure=np.ones((3, 3)))[1] == 1  # one stroke ...
    assert ndimage.label(~skeleton)[1] == 2  # ... still enclosing its hole
    assert skeleton.sum() < 0.3 * ring.sum()


def test_redrawn_digits_have_one_pen_width_and_still_read_right(mnist_test, predictor):
    images = mnist_test.images[:300].float() / 255
    redrawn = redraw_with_pen(images, torch.ones(300), torch.Generator().manual_seed(0))
    assert redrawn.shape == (300, 28, 28) and 0 <= redrawn.min() and redrawn.max() <= 1
    read = predictor.probabilities(redrawn.numpy()).argmax(1) == mnist_test.labels[:300].numpy()
    assert read.mean() >= 0.95
    widths = [stroke_width(np.asarray(image) > 0.5) for image in redrawn[:100]]
    original = [stroke_width(np.asarray(image) > 0.5) for image in images[:100]]
    assert np.std(widths) < np.std(original)  # a pen of one width per digit, not a scanned stroke
    assert not torch.equal(redrawn, redraw_with_pen(images, torch.ones(300), torch.Generator().manual_seed(1)))


def test_only_narrow_digits_are_widened_and_never_past_a_square():
    one = torch.zeros(2, 28, 28)
    one[0, 4:24, 12:16] = 1  # a 1: 4 wide, 20 tall
    one[1, 10:18, 4:24] = 1  # a dash: wider than tall
    stretch = narrow_to_square(one.repeat(50, 1, 1), torch.Generator().manual_seed(0))
    assert ((stretch[0::2] >= 1) & (stretch[0::2] <= 5)).all() and stretch[0::2].std() > 0.5
    assert (stretch[1::2] == 1).all()


def test_style_digits_are_in_mnist_normal_form():
    labels = np.repeat(sorted(STYLES), 25)
    images = style_images(np.concatenate([labels, [0, 2, 3]]), seed=5).astype(np.float32) / 255
    assert not images[-3:].any()  # labels without a style here get nothing
    for image in images[:-3]:
        rows, cols = np.flatnonzero(image.max(1) > 0.1), np.flatnonzero(image.max(0) > 0.1)
        assert 18 <= max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 22  # longer side ~20 px
        centre = ndimage.center_of_mass(image)
        assert abs(centre[0] - 14) < 0.6 and abs(centre[1] - 14) < 0.6
        assert image.max() == 1
    assert np.array_equal(style_images(labels, seed=5), style_images(labels, seed=5))
    assert not np.array_equal(style_images(labels, seed=5), style_images(labels, seed=6))


def test_some_flagged_ones_have_the_flag_as_a_stroke_meeting_the_stem_below_its_top():
    r = np.random.default_rng(0)
    ones = [flagged_one(r) for _ in range(400)]
    crossing = [strokes for strokes in ones if len(strokes[0]) == 2]  # the stem alone, top to bottom
    assert 0.3 < len(crossing) / len(ones) < 0.5
    for (top, bottom), flag, *foot in crossing:
        joint = flag[-1]
        along = (joint[1] - top[1]) / (bottom[1] - top[1])
        assert 0.08 <= along <= 0.35  # below the top, in the stem's upper third
        assert abs(top[0] + along * (bottom[0] - top[0]) - joint[0]) < 1e-9  # on the stem
        assert flag[0][0] < joint[0] and flag[0][1] > joint[1]  # the flag falls down-left
        assert top[0] >= bottom[0] - 0.1  # they lean forward (or stand nearly upright)


def test_some_open_fours_turn_their_bar_down_into_the_stem_in_one_stroke():
    r = np.random.default_rng(0)
    fours = [open_four(r) for _ in range(400)]
    one_stroke = [strokes for strokes in fours if strokes[0][-1][1] == 1.0]  # the first stroke reaches the bottom
    assert 0.15 < len(one_stroke) / len(fours) < 0.35
    for first, *tick in one_stroke:
        turn = first[-2]
        assert 0.4 <= turn[1] <= 0.7  # a stem below the bar, not a hook
        assert turn[0] > first[-3][0]  # the bar runs right, to the stem
        assert all(t[-1] == turn and t[0][1] < turn[1] for t in tick)  # a tick only above the turn


def test_nines_come_closed_open_below_and_open_at_the_top():
    r = np.random.default_rng(0)
    nines = [open_or_hooked_nine(r) for _ in range(400)]
    open_top = [strokes for strokes in nines if len(strokes) == 2]
    assert 0.1 < len(open_top) / len(nines) < 0.3
    for loop, stem in open_top:  # a `u` from its upper left, and a stem from above into its right end
        loop_top, loop_bottom = min(y for _, y in loop), max(y for _, y in loop)
        assert stem[0][1] < stem[-1][1] and loop_top < stem[-1][1] < loop_bottom
        assert loop[0][0] < stem[-1][0] and loop[0][1] < loop_bottom
    heights = [max(y for s in strokes for _, y in s) - min(y for s in strokes for _, y in s) for strokes in nines]
    assert min(heights) > 0.6  # a tail below the loop, always


def test_more_nines_adds_rho_like_nines_and_tails_bulging_right_of_a_small_loop():
    r = np.random.default_rng(0)
    nines = [more_nines(r) for _ in range(600)]
    one_stroke = [strokes[0] for strokes in nines if len(strokes) == 1]
    # a loop of 28 points, then a stem to the very bottom (other 9s' straight tails end above it)
    rho = [s for s in one_stroke if len(s) == 30 and s[-1][1] == 1.0]
    bulging = [s for s in one_stroke if len(s) == 42]  # a loop of 28 points, then a curved tail of 14
    assert 0.1 < len(rho) / len(nines) < 0.2 and 0.15 < len(bulging) / len(nines) < 0.25
    for stroke in rho:
        loop, (start, foot) = np.array(stroke[:28]), stroke[28:]
        centre = (loop[:, 0].max() + loop[:, 0].min()) / 2
        assert start[0] < centre and foot[1] == 1.0 and loop[:, 1].max() < 0.6  # a stem down from the left
    for stroke in bulging:
        loop, tail = np.array(stroke[:28]), np.array(stroke[28:])
        assert tail[:, 0].max() > tail[0, 0] + 0.02  # out right of where it leaves the loop,
        assert tail[-1, 0] < tail[:, 0].max() - 0.3 and tail[-1, 1] > 0.8  # and back left at the bottom
        assert loop[:, 0].max() - loop[:, 0].min() < 0.65  # from a small loop
    heights = [max(y for s in strokes for _, y in s) - min(y for s in strokes for _, y in s) for strokes in nines]
    assert min(heights) > 0.6


def test_more_nines_changes_only_the_nines():
    others = np.repeat([1, 4, 7, 0], 20)
    assert np.array_equal(style_images(others, seed=2, styles=MORE_NINES), style_images(others, seed=2))
    nines = np.repeat([9], 40)
    assert not np.array_equal(style_images(nines, seed=2, styles=MORE_NINES), style_images(nines, seed=2))


def test_printed_fours_close_a_triangle_and_cross_the_stem_low():
    r = np.random.default_rng(0)
    for _ in range(300):
        (top, corner, bar_end), (stem_top, foot) = closed_four(r)
        assert stem_top[0] == top[0] and top[1] <= stem_top[1] <= top[1] + 0.1  # the stem from the apex
        assert corner[0] < top[0] - 0.3 and 0.45 <= corner[1] <= 0.85  # down-left to the bar
        bar_y = bar_end[1]
        stem_x_at_bar = top[0] + (foot[0] - top[0]) * (bar_y - top[1]) / (foot[1] - top[1])
        assert bar_end[0] > stem_x_at_bar and foot[1] == 1.0  # the bar crosses the stem, which goes on down


def test_more_fours_add_printed_fours_and_bars_that_end_at_the_stem():
    r = np.random.default_rng(0)
    fours = [more_fours(r) for _ in range(800)]
    printed = [f for f in fours if len(f) == 2 and f[1][0][0] == f[0][0][0]]  # the stem from the triangle's apex
    assert 0.12 < len(printed) / len(fours) < 0.28
    def ending_at_stem(strokes: list) -> bool:  # the bar's end within -0.03..0.06 of the stem's x there
        (bar_x, bar_y), ((x0, y0), (x1, y1)) = strokes[0][-1], strokes[1]
        return -0.03 - 1e-9 <= bar_x - (x0 + (x1 - x0) * (bar_y - y0) / (y1 - y0)) <= 0.06 + 1e-9

    two_strokes = [f for f in fours if len(f) == 2 and f not in printed]
    plain = [f for f in (open_four(r) for _ in range(800)) if len(f) == 2]
    share, plain_share = (np.mean([ending_at_stem(f) for f in group]) for group in (two_strokes, plain))
    assert share > plain_share + 0.3  # 40 % moved to end at the stem; open_four's own bars mostly cross it


def test_more_ones_add_lambda_ones_whose_flat_flag_meets_the_stem_low():
    r = np.random.default_rng(0)
    ones = [more_ones(r) for _ in range(800)]
    low = [o for o in ones if len(o) == 2 and len(o[0]) == 3 and o[1][-1] == o[0][1]]  # a flag ending at the joint
    assert 0.1 < len(low) / len(ones) < 0.2
    for (top, joint, bottom), (flag_end, flag_joint) in low:
        assert flag_joint == joint and 0.35 <= joint[1] <= 0.65
        assert top[0] > bottom[0] - 0.1  # leaning forward
        drop = np.degrees(np.arctan2(flag_end[1] - joint[1], joint[0] - flag_end[0]))
        assert 20 <= drop <= 45.5 and flag_end[0] < joint[0]  # long and flat, down-left


def test_cursive_nines_are_a_loop_on_an_s_ending_left_along_the_bottom():
    r = np.random.default_rng(0)
    for _ in range(200):
        (stroke,) = s_tailed_nine(r)
        loop, tail = np.array(stroke[:28]), np.array(stroke[28:])
        assert loop[:, 1].max() < 0.45 and loop[:, 0].max() - loop[:, 0].min() < 0.65  # a small loop on top
        assert tail[:, 0].max() >= 0.7 and tail[:, 1].max() >= 0.8  # down to the right,
        assert tail[-1, 0] < tail[:, 0].max() - 0.4 and tail[-1, 1] >= 0.75  # then left along the bottom
        assert tail[-1, 0] < loop[:, 0].min() + 0.1  # ending below the loop's left side or beyond


def test_more_kinds_change_only_the_ones_fours_and_nines():
    plain, more = style_table(), style_table(more_kinds=True)
    assert plain == STYLES and more[7] is STYLES[7]
    assert all(more[d] is not STYLES[d] for d in (1, 4, 9))
    assert style_table(more_nines=True) == MORE_NINES
    sevens = np.repeat([7, 0], 20)
    assert np.array_equal(style_images(sevens, seed=2, styles=more), style_images(sevens, seed=2))
    for digit in (1, 4, 9):
        labels = np.repeat([digit], 60)
        assert not np.array_equal(style_images(labels, seed=2, styles=more), style_images(labels, seed=2))


def test_low_bar_fours_are_an_angle_on_a_bar_near_the_bottom_with_a_short_stem():
    r = np.random.default_rng(0)
    for _ in range(300):
        strokes = low_bar_four(r)
        left = np.array(strokes[0])
        assert left[0][0] >= 0.5 and left[0][1] <= 0.05  # from the top right
        assert ((left[:, 0] <= 0.15) & (left[:, 1] >= 0.75)).any()  # down to the lower left
        if len(strokes) == 1:  # the bar turning down into a tick at its end
            tick, bar_end = left[-1], left[-2]
            assert 0.08 - 1e-9 <= tick[1] - bar_end[1] <= 0.25 + 1e-9 and bar_end[0] >= 0.75
        else:
            (stem_top, foot), bar_end = strokes[1], left[-1]
            assert stem_top[1] < bar_end[1] + 0.04 < foot[1] + 0.1  # the stem crosses the bar's height
            assert foot[1] - bar_end[1] <= 0.35 and stem_top[0] < bar_end[0] + 0.05  # short, not past the bar's end


def test_round_sevens_turn_round_at_the_top_and_are_crossed_low_reaching_right():
    r = np.random.default_rng(0)
    for _ in range(300):
        stroke, (bar_start, bar_end) = round_crossed_seven(r)
        stroke = np.array(stroke)
        top = stroke[1:9]  # the curve at the top right: several points, not one corner
        assert len({tuple(p) for p in top.round(3)}) == 8 and top[:, 0].max() >= 0.75
        assert stroke[-1][1] == 1.0 and stroke[-1][0] <= 0.5  # down to the lower left
        assert 0.45 <= bar_start[1] <= 0.75
        at = stroke[1:][np.argmin(np.abs(stroke[1:, 1] - bar_start[1]))]
        assert bar_start[0] < at[0] < bar_end[0] and bar_end[0] - at[0] >= 0.25 - 1e-9  # across, mostly right


def test_flat_nines_have_a_wide_low_loop_and_a_tail_from_its_right():
    r = np.random.default_rng(0)
    for _ in range(300):
        (stroke,) = flat_loop_nine(r)
        points = np.array(stroke)
        top_part = points[points[:, 1] < 0.35]  # the loop (and the tail where it leaves it)
        width, height = np.ptp(top_part[:, 0]), np.ptp(top_part[:, 1])
        assert width >= 0.55 and height <= 0.34 and width >= 1.8 * height  # wide and flat
        assert points[-1, 1] >= 0.9 and points[:, 1].max() <= 1.06  # a tail to the bottom


def test_even_more_kinds_keep_more_kinds_and_change_the_fours_sevens_and_nines():
    more, even = style_table(more_kinds=True), style_table(more_kinds=True, even_more_kinds=True)
    assert style_table(even_more_kinds=True)[1] is more[1] is even[1]  # the same 1s
    for digit in (4, 7, 9):
        labels = np.repeat([digit], 80)
        assert not np.array_equal(style_images(labels, seed=2, styles=even), style_images(labels, seed=2, styles=more))
    ones = np.repeat([1, 0], 20)
    assert np.array_equal(style_images(ones, seed=2, styles=even), style_images(ones, seed=2, styles=more))


def crosses_itself(stroke: np.ndarray) -> bool:
    """Whether a polyline's segments cross one another (not counting neighbouring segments)."""
    a, b = stroke[:-1], stroke[1:]
    for i in range(len(a)):
        for j in range(i + 2, len(a)):
            d1, d2 = b[i] - a[i], b[j] - a[j]
            denominator = d1[0] * d2[1] - d1[1] * d2[0]
            if abs(denominator) < 1e-12:
                continue
            offset = a[j] - a[i]
            t = (offset[0] * d2[1] - offset[1] * d2[0]) / denominator
            u = (offset[0] * d1[1] - offset[1] * d1[0]) / denominator
            if 0 < t < 1 and 0 < u < 1:
                return True
    return False


def test_looped_twos_cross_themselves_in_a_loop_at_the_lower_left_then_run_along_the_base():
    r = np.random.default_rng(0)
    for _ in range(200):
        (stroke,) = looped_two(r)
        points = np.array(stroke)  # the arch's 18 points, the stroke down's 11 to the corner, the loop's 19, the base's end
        assert points[0, 1] < 0.45 and points[:18, 1].min() < 0.05  # an arch over the top
        loop = points[30:-1]
        assert loop[:, 0].mean() < 0.45 and loop[:, 1].min() > 0.45  # the loop: low and on the left
        assert crosses_itself(points[29:])  # round and back across its own stroke
        assert points[-1, 0] >= 0.8 and abs(points[-1, 1] - points[-2, 1]) <= 0.05 + 1e-9  # the base, to the right


def test_crossed_zeros_are_an_oval_with_a_slash_or_a_bar_through_its_middle():
    r = np.random.default_rng(0)
    kinds = set()
    for _ in range(200):
        oval, (start, end) = crossed_zero(r)
        oval = np.array(oval)
        assert np.ptp(oval[:, 1]) > 0.99 and np.ptp(oval[:, 0]) < 0.85  # tall, closed
        assert np.hypot(*(oval[0] - oval[-1])) < 0.35
        slope = (end[1] - start[1]) / (end[0] - start[0])
        kinds.add("slash" if slope < -0.5 else "bar")
        assert slope < -0.5 or abs(slope) < 0.1  # up to the right, or across
        assert start[0] < oval[:, 0].min() + 0.1 and end[0] > oval[:, 0].max() - 0.1  # from side to side
    assert kinds == {"slash", "bar"}


def test_looped_twos_restyle_a_share_of_the_twos_and_zeros_and_nothing_else():
    sharp = dict(more_nines=True, more_kinds=True, even_more_kinds=True)
    before, table = style_table(**sharp), style_table(**sharp, looped_twos=True)
    assert 2 not in before and 0 not in before and sorted(table) == [0, 1, 2, 4, 7, 9]
    others = np.repeat([1, 4, 7, 9, 3], 30)
    assert np.array_equal(style_images(others, seed=2, styles=table), style_images(others, seed=2, styles=before))
    for digit, share in ((2, LOOPED_TWOS), (0, CROSSED_ZEROS)):
        drawn = style_images(np.repeat([digit], 600), seed=2, styles=table).reshape(600, -1).max(1) > 0
        assert abs(drawn.mean() - share) < 0.06  # the rest keep their MNIST image


def test_crossed_zeros_restyle_a_share_of_the_zeros_and_leave_the_twos():
    sharp = dict(more_nines=True, more_kinds=True, even_more_kinds=True)
    before, table = style_table(**sharp), style_table(**sharp, crossed_zeros=True)
    assert sorted(table) == [0, 1, 4, 7, 9]
    others = np.repeat([1, 4, 7, 9, 2, 3], 30)
    assert np.array_equal(style_images(others, seed=2, styles=table), style_images(others, seed=2, styles=before))
    drawn = style_images(np.repeat([0], 600), seed=2, styles=table).reshape(600, -1).max(1) > 0
    assert abs(drawn.mean() - CROSSED_ZEROS) < 0.06  # the rest keep their MNIST image


def test_variants_are_picked_at_the_asked_shares(mnist_train):
    images, labels = mnist_train.images[:400], mnist_train.labels[:400]
    variants = make_variants(images, labels, seed=0, redraw=True, styles=True)
    x = images.float() / 255
    generator = torch.Generator().manual_seed(0)
    assert torch.equal(pick_variants(x, variants, 0.0, 0.0, generator), x)
    styled = pick_variants(x, variants, 0.0, 1.0, generator)
    has_style = torch.isin(labels, torch.tensor(sorted(STYLES)))
    assert torch.equal(styled[has_style], variants[has_style, 2].float() / 255)
    assert torch.equal(styled[~has_style], x[~has_style])
    redrawn = pick_variants(x, variants, 1.0, 0.0, generator)
    plain = (redrawn == variants[:, 0].float() / 255).flatten(1).all(1)
    wide = (redrawn == variants[:, 1].float() / 255).flatten(1).all(1)
    assert (plain | wide).all() and 0.3 < wide.float().mean() < 0.7
    half = pick_variants(x, variants, 0.5, 0.0, generator)
    assert 0.35 < (half != x).flatten(1).any(1).float().mean() < 0.65


def test_restyle_draws_new_style_digits_and_leaves_the_rest(mnist_train):
    images, labels = mnist_train.images[:300], mnist_train.labels[:300]
    variants = make_variants(images, labels, seed=0, redraw=True, styles=True)
    before = variants.clone()
    restyle(variants, labels, seed=0, epoch=5)
    has_style = torch.isin(labels, torch.tensor(sorted(STYLES)))
    assert torch.equal(variants[:, :2], before[:, :2])  # the re-drawn pens stay
    assert not variants[~has_style, 2].any()  # other digits still have no style drawing
    assert (variants[has_style, 2] != before[has_style, 2]).flatten(1).any(1).all()
    assert variants[has_style, 2].flatten(1).amax(1).min() > 0
    again = before.clone()
    restyle(again, labels, seed=0, epoch=5)
    assert torch.equal(again, variants)  # the same epoch draws the same digits


@pytest.mark.parametrize("value", [-1, 1.5, True, 1001])
def test_restyle_every_must_be_a_whole_number_of_epochs(value):
    with pytest.raises(ValueError, match="restyle every must be a whole number"):
        TrainConfig(restyle_every=value).validate()


@pytest.mark.parametrize("field, value", [("redraw", 1.5), ("styles", -0.1), ("redraw", True)])
def test_shares_outside_zero_to_one_are_refused(field, value):
    with pytest.raises(ValueError, match=f"{field} must be a share from 0 to 1"):
        TrainConfig(**{field: value}).validate()


def test_outliers_are_non_digit_drawings_in_mnist_normal_form():
    """The drawings outlier exposure learns from: every kind in `SHAPES`, white on black, the longer
    side in the 20-px box and the centre of mass at MNIST's centre, like the style digits."""
    from mnist_mlp.outliers import SHAPES, outlier_images

    rng = np.random.default_rng(0)
    for shape in SHAPES:
        strokes = shape(rng)
        assert strokes and all(len(stroke) >= 2 for stroke in strokes), shape.__name__
    images = outlier_images(200, seed=1)
    assert images.shape == (200, 28, 28) and images.dtype == np.uint8
    assert (images.reshape(200, -1).max(1) == 255).all()
    for image in images[:50].astype(np.float64):
        rows, cols = np.flatnonzero(image.any(1)), np.flatnonzero(image.any(0))
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 23  # 20 px, plus the blur of a sub-pixel shift
        cy, cx = ndimage.center_of_mass(image)
        assert abs(cy - 14) < 0.5 and abs(cx - 14) < 0.5
    assert not np.array_equal(images, outlier_images(200, seed=2))
