"""The state-transition diagram of a Markov model: states as boxes, allowed transitions as arrows.

Layout rule. Each box is sized to its label (wrapped at :data:`WRAP` characters). The declared
positions (or, without them, a circle) are scaled by the smallest factor ``s`` (pixels per
position unit) at which every two boxes lie at least :data:`GAP` pixels apart along the line
joining their centres, and every arrow passes at least :data:`CLEARANCE` pixels from the
boxes it does not join:

    s = max(max over pairs i, j of (R_ij + GAP) / d_ij,
            max over arrows i → j and boxes k beside them of (E_k + CLEARANCE) / δ_k),
    R_ij = min((w_i + w_j) / 2 / |u_x|, (h_i + h_j) / 2 / |u_y|),
    E_k = w_k / 2 · |n_x| + h_k / 2 · |n_y|,

where ``d_ij`` is the distance between the two positions, ``u`` its direction and ``R_ij``
the distance from the centre to the edge of the two boxes' Minkowski sum along ``u``; ``δ_k``
is the distance from box k's position to the arrow's line, for a box whose position projects
between the arrow's ends, ``n`` the line's normal and ``E_k`` the half-width of box k across
the line. So no two boxes overlap, every arrow, drawn from box edge to box edge, is at least
``GAP`` long, and no arrow crosses a box or its label — except where the positions put a
state on the line between two others it lies between (δ_k = 0), which no scale can mend. The
figure is drawn at one pixel per axis unit in both directions, so the geometry holds on screen.
"""

from __future__ import annotations

import html
import itertools
import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from hecon.errors import InputError
from hecon.results.plots.style import Labels, themed

FONT_SIZE = 13
#: a generous average character width of the sans-serif font, and the line height, in font sizes
CHARACTER_WIDTH, LINE_HEIGHT = 0.62, 1.3
#: label wrap width (characters), padding inside a box, room between boxes, in pixels
WRAP, PADDING, GAP = 12, 8, 44
#: room between an arrow and a box it passes, in pixels
CLEARANCE = 12
#: how far the two arrows of a pair of states with transitions both ways are drawn apart (px)
PARALLEL = 5
MARGIN = {"l": 20, "r": 20, "t": 60, "b": 20}
TRANSIENT, ABSORBING, OUTLINE = "#dbe8f5", "#fbe3d6", "#4C78A8"


def box_size(lines: Sequence[str]) -> tuple[float, float]:
    """Width and height (px) of a box holding ``lines`` of text."""
    width = CHARACTER_WIDTH * FONT_SIZE * max(len(line) for line in lines) + 2 * PADDING
    return width, LINE_HEIGHT * FONT_SIZE * len(lines) + 2 * PADDING


def _reach(half_width: float, half_height: float, direction: np.ndarray) -> float:
    """Distance from a box's centre to its edge along the unit vector ``direction``."""
    with np.errstate(divide="ignore"):
        return float(min(half_width / abs(direction[0]), half_height / abs(direction[1])))


def scale(positions: np.ndarray, sizes: np.ndarray, edges: Sequence[tuple[int, int]] = (),
          gap: float = GAP) -> float:
    """The smallest pixels per position unit at which every two boxes are ``gap`` apart
    along the line joining their centres, and every arrow of ``edges`` (indices) passes
    :data:`CLEARANCE` pixels from the other boxes (the rule of this module's docstring)."""
    needed = 1.0
    for i, j in itertools.combinations(range(len(positions)), 2):
        offset = positions[j] - positions[i]
        distance = float(np.hypot(*offset))
        half_width, half_height = (sizes[i] + sizes[j]) / 2
        reach = _reach(half_width, half_height, offset / distance)
        needed = max(needed, (reach + gap) / distance)
    for i, j in edges:
        length = float(np.hypot(*(positions[j] - positions[i])))
        along = (positions[j] - positions[i]) / length
        normal = np.array([-along[1], along[0]])
        for k in set(range(len(positions))) - {i, j}:
            offset = positions[k] - positions[i]
            across = abs(float(offset @ normal))
            if 0 < offset @ along < length and across > 0:
                extent = float(sizes[k] @ np.abs(normal)) / 2
                needed = max(needed, (extent + CLEARANCE + PARALLEL) / across)
    return needed


def _circle(states: Sequence[str]) -> dict[str, tuple[float, float]]:
    angles = 2 * np.pi * np.arange(len(states)) / len(states)
    return {state: (np.cos(a), np.sin(a)) for state, a in zip(states, angles, strict=True)}


def _checked(states: Sequence[str], edges: Sequence[tuple[str, str]],
             positions: Mapping[str, tuple[float, float]]) -> np.ndarray:
    """The states' positions as an array; refuses an edge to an unknown state, a state
    without a position and two states at one position."""
    unknown = sorted({s for edge in edges for s in edge} - set(states))
    if unknown:
        raise InputError(f"EDGES names unknown state(s): {', '.join(unknown)}",
                         fix=f"an edge joins two of the STATES ({', '.join(states)})")
    missing = [s for s in states if s not in positions]
    if missing:
        raise InputError(f"POSITIONS gives no position to: {', '.join(missing)}",
                         fix="give every state an (x, y) position, or declare no POSITIONS")
    points = np.array([positions[s] for s in states], dtype=float)
    for i, j in itertools.combinations(range(len(states)), 2):
        if np.array_equal(points[i], points[j]):
            raise InputError(f"POSITIONS places {states[i]} and {states[j]} at the same point",
                             fix="give each state its own position")
    return points


def state_diagram(states: Sequence[str], edges: Sequence[tuple[str, str]],
                  positions: Mapping[str, tuple[float, float]] | None = None, *,
                  labels: Labels = None, title: str = "State-transition diagram") -> go.Figure:
    """The diagram of ``states`` and the transitions ``edges`` (source, target) at
    ``positions`` (x to the right, y up; default: a circle). ``labels`` maps state names to
    labels (default: the name with spaces). Absorbing states (no transition out) are shaded."""
    states = list(states)
    edges = [(a, b) for a, b in edges if a != b]
    points = _checked(states, edges, positions or _circle(states))
    lines = [textwrap.wrap(html.escape((labels or {}).get(s, s.replace("_", " "))), WRAP) or [s] for s in states]
    sizes = np.array([box_size(text) for text in lines])
    arrows = [(states.index(source), states.index(target)) for source, target in dict.fromkeys(edges)]
    centres = (points - points.min(axis=0)) * scale(points, sizes, arrows)
    figure = go.Figure()
    leaving = {source for source, _ in edges}
    for (x, y), (width, height), state in zip(centres, sizes, states, strict=True):
        figure.add_shape(type="rect", x0=x - width / 2, x1=x + width / 2, y0=y - height / 2, y1=y + height / 2,
                         line={"color": OUTLINE}, fillcolor=TRANSIENT if state in leaving else ABSORBING, layer="below")
    for i, j in arrows:
        _arrow(figure, centres, sizes, i, j, both=(states[j], states[i]) in edges)
    figure.add_scatter(x=centres[:, 0], y=centres[:, 1], mode="text", text=["<br>".join(t) for t in lines],
                       textfont={"size": FONT_SIZE}, hovertext=states, hoverinfo="text", showlegend=False)
    low = np.floor((centres - sizes / 2).min(axis=0)) - PADDING
    high = np.ceil((centres + sizes / 2).max(axis=0)) + PADDING
    axis = {"visible": False, "fixedrange": True}
    themed(figure, title=title, margin=MARGIN,
                         width=int(high[0] - low[0]) + MARGIN["l"] + MARGIN["r"],
                         height=int(high[1] - low[1]) + MARGIN["t"] + MARGIN["b"],
                         xaxis={**axis, "range": [low[0], high[0]]}, yaxis={**axis, "range": [low[1], high[1]]})
    return figure


def _arrow(figure: go.Figure, centres: np.ndarray, sizes: np.ndarray, i: int, j: int, both: bool) -> None:
    """An arrow from box ``i``'s edge to box ``j``'s edge; set aside by :data:`PARALLEL`
    pixels to its right when the transition also goes back."""
    direction = (centres[j] - centres[i]) / np.hypot(*(centres[j] - centres[i]))
    aside = PARALLEL * np.array([direction[1], -direction[0]]) if both else 0.0
    start = centres[i] + direction * _reach(*sizes[i] / 2, direction) + aside
    end = centres[j] - direction * _reach(*sizes[j] / 2, direction) + aside
    figure.add_annotation(x=end[0], y=end[1], ax=start[0], ay=start[1], xref="x", yref="y", axref="x", ayref="y",
                          showarrow=True, arrowhead=3, arrowsize=1.2, arrowwidth=1.3, arrowcolor="#888",
                          standoff=2, startstandoff=2, text="")
