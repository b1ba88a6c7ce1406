"""The state-transition diagram (hecon.results.plots.diagram): boxes sized to their labels,
never overlapping, arrows from box edge to box edge, drawn at one pixel per axis unit."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hecon.errors import InputError
from hecon.model import Model
from hecon.results.plots.diagram import CHARACTER_WIDTH, FONT_SIZE, GAP, MARGIN, state_diagram


def boxes(figure) -> list[tuple[float, float, float, float]]:
    return [(s.x0, s.y0, s.x1, s.y1) for s in figure.layout.shapes]


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def on_edge(point, box, tolerance: float = 1e-6) -> bool:
    """True when ``point`` lies on the boundary of ``box``."""
    (x, y), (x0, y0, x1, y1) = point, box
    inside = x0 - tolerance <= x <= x1 + tolerance and y0 - tolerance <= y <= y1 + tolerance
    return inside and min(abs(x - x0), abs(x - x1), abs(y - y0), abs(y - y1)) <= tolerance


def crosses(start, end, box) -> bool:
    """True when the segment from ``start`` to ``end`` enters ``box`` (Liang–Barsky clipping)."""
    (x0, y0), (x1, y1) = start, end
    low, high = 0.0, 1.0
    for step, distance in ((-(x1 - x0), x0 - box[0]), (x1 - x0, box[2] - x0),
                           (-(y1 - y0), y0 - box[1]), (y1 - y0, box[3] - y0)):
        if step == 0:
            if distance < 0:
                return False
            continue
        t = distance / step
        low, high = (max(low, t), high) if step < 0 else (low, min(high, t))
    return low < high


def gap_to(point, box) -> float:
    """Distance from ``point`` to ``box`` (0 inside)."""
    return float(np.hypot(max(box[0] - point[0], 0, point[0] - box[2]), max(box[1] - point[1], 0, point[1] - box[3])))


def arrows_cross_other_boxes(figure, states) -> list[str]:
    """The arrows that cross a box other than the two they join."""
    drawn = boxes(figure)
    crossing = []
    for arrow in figure.layout.annotations:
        start, end = (arrow.ax, arrow.ay), (arrow.x, arrow.y)
        ends = {min(range(len(drawn)), key=lambda i: gap_to(point, drawn[i])) for point in (start, end)}
        crossing += [f"{start} → {end} crosses {states[k]}" for k, box in enumerate(drawn)
                     if k not in ends and crosses(start, end, box)]
    return crossing


def on_a_line_between(points) -> bool:
    """True when a position lies on the segment between two others (no scale can clear it)."""
    points = np.asarray(points, dtype=float)
    for i, j, k in itertools.permutations(range(len(points)), 3):
        offset, along = points[k] - points[i], points[j] - points[i]
        if along[0] * offset[1] == along[1] * offset[0] and 0 < offset @ along < along @ along:
            return True
    return False


@pytest.mark.parametrize("declared", [True, False], ids=["declared positions", "automatic layout"])
def test_the_shipped_diagrams_have_no_overlapping_boxes_and_no_arrow_through_a_box(declared):
    for name in ("ifn_gamma", "example_sick"):
        model = Model(name)
        edges = model.edges or list(itertools.pairwise(model.states))  # example_sick declares no EDGES
        figure = state_diagram(model.states, edges, model.positions if declared else None)
        drawn = boxes(figure)
        assert len(drawn) == len(model.states), name
        assert not any(overlap(a, b) for a, b in itertools.combinations(drawn, 2)), name
        assert arrows_cross_other_boxes(figure, model.states) == [], name


def test_the_flagship_diagram_has_a_box_per_state_and_no_overlap():
    model = Model("ifn_gamma")
    figure = state_diagram(model.states, model.edges, model.positions)
    drawn = boxes(figure)
    assert len(drawn) == len(model.states)
    assert not any(overlap(a, b) for a, b in itertools.combinations(drawn, 2))
    text = figure.data[0]
    assert list(text.hovertext) == list(model.states)
    assert text.text[0] == "icu never<br>infected"  # wrapped label, not the code name
    for line_box, label in zip(drawn, text.text, strict=True):   # each label fits its box
        longest = max(len(line) for line in label.split("<br>"))
        assert line_box[2] - line_box[0] >= CHARACTER_WIDTH * FONT_SIZE * longest
    colours = dict(zip(model.states, (s.fillcolor for s in figure.layout.shapes), strict=True))
    assert colours["dead_icu"] == colours["dead_home"] != colours["ward"]  # absorbing states shaded


def test_one_pixel_per_axis_unit():
    figure = state_diagram(["a", "b"], [("a", "b")], {"a": (0, 0), "b": (1, 2)})
    layout = figure.layout
    assert layout.width == pytest.approx(np.ptp(layout.xaxis.range) + MARGIN["l"] + MARGIN["r"])
    assert layout.height == pytest.approx(np.ptp(layout.yaxis.range) + MARGIN["t"] + MARGIN["b"])


def test_arrows_join_box_edges_and_pairs_both_ways_are_set_apart():
    states = ["well", "sick", "dead"]
    edges = [("well", "sick"), ("sick", "well"), ("sick", "dead"), ("sick", "sick")]
    figure = state_diagram(states, edges, {"well": (0, 0), "sick": (1, 0), "dead": (1, -1)},
                           labels={"sick": "Sick (on treatment)"})
    drawn = dict(zip(states, boxes(figure), strict=True))
    arrows = figure.layout.annotations
    assert len(arrows) == 3  # the self-transition is not drawn
    there, back, down = arrows
    assert on_edge((down.ax, down.ay), drawn["sick"]) and on_edge((down.x, down.y), drawn["dead"])
    assert abs(there.y - back.y) == pytest.approx(10)  # 5 px to the right of each direction
    assert figure.data[0].text[1] == "Sick (on<br>treatment)"


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 8).flatmap(lambda n: st.tuples(
    st.lists(st.tuples(st.integers(-4, 4), st.integers(-4, 4)), min_size=n, max_size=n, unique=True),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=12),
    st.lists(st.text(st.sampled_from("abc xyz_"), min_size=1, max_size=30), min_size=n, max_size=n))))
def test_no_two_boxes_overlap_and_every_arrow_is_visible(layout):
    points, pairs, names = layout
    states = [f"s{i}" for i in range(len(points))]
    positions = dict(zip(states, np.asarray(points) * 0.37, strict=True))
    edges = [(states[i], states[j]) for i, j in pairs]
    figure = state_diagram(states, edges, positions, labels=dict(zip(states, names, strict=True)))
    drawn = boxes(figure)
    assert not any(overlap(a, b) for a, b in itertools.combinations(drawn, 2))
    for arrow in figure.layout.annotations:
        assert np.hypot(arrow.x - arrow.ax, arrow.y - arrow.ay) >= GAP - 1e-6
    if not on_a_line_between(points):
        assert arrows_cross_other_boxes(figure, states) == []
    circle = state_diagram(states, edges, None, labels=dict(zip(states, names, strict=True)))
    assert not any(overlap(a, b) for a, b in itertools.combinations(boxes(circle), 2))
    assert arrows_cross_other_boxes(circle, states) == []


@pytest.mark.parametrize(("edges", "positions", "message"), [
    ([("a", "z")], None, "unknown state"),
    ([("a", "b")], {"a": (0, 0)}, "no position to: b"),
    ([("a", "b")], {"a": (0, 0), "b": (0.0, 0)}, "a and b at the same point"),
])
def test_a_declaration_the_diagram_cannot_draw_is_refused(edges, positions, message):
    with pytest.raises(InputError, match=message):
        state_diagram(["a", "b"], edges, positions)
