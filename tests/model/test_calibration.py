"""The vectorised Newton solver on problems with known roots."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hecon.model.calibration import solve


def test_solves_independent_nonlinear_systems():
    roots = np.array([[0.3, 1.2], [-0.5, 2.0], [1.0, 0.1]])
    targets = np.stack([np.exp(roots[:, 0]) + roots[:, 1], roots[:, 0] * roots[:, 1]], -1)

    def residual(x, rows):
        # exp(x0) + x1 = t0 ; x0 * x1 = t1  (row-specific targets)
        t = targets[rows]
        return np.stack([np.exp(x[:, 0]) + x[:, 1] - t[:, 0], x[:, 0] * x[:, 1] - t[:, 1]], -1)

    solution = solve(residual, roots + 0.2, tol=1e-12)
    assert solution.converged.all()
    np.testing.assert_allclose(solution.x, roots, atol=1e-8)


def test_reports_rows_without_solution():
    def residual(x, rows):  # x² = −1 has no real root
        return x**2 + 1.0

    solution = solve(residual, np.ones((2, 1)), max_iter=20)
    assert not solution.converged.any()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.01, 0.9), min_size=1, max_size=20))
def test_competing_risk_inverse(probabilities):
    """Recover hazards from exit probabilities of a two-exit state, set by set."""
    p = np.array(probabilities)

    def residual(x, rows):
        h = np.exp(x)
        return np.stack([(1 - np.exp(-h.sum(1))) * h[:, 0] / h.sum(1) - p[rows] / 2,
                         (1 - np.exp(-h.sum(1))) * h[:, 1] / h.sum(1) - p[rows] / 2], -1)

    solution = solve(residual, np.zeros((len(p), 2)), tol=1e-12)
    assert solution.converged.all()
    np.testing.assert_allclose(np.exp(solution.x).sum(1), -np.log(1 - p), rtol=1e-8)
