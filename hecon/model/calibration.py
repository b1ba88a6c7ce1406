"""Vectorised calibration: solve model hazards from observed targets, set by set.

Every parameter set of a batch has its own targets, hence its own unknowns; the solver runs
Newton's method on all sets at once, with a finite-difference Jacobian evaluated in one
batched call (the k + 1 perturbed copies of the batch are stacked), and damped steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Solution:
    """Result of :func:`solve`: unknowns ``x`` [n, k], residuals [n, k], a convergence mask."""

    x: np.ndarray
    residual: np.ndarray
    converged: np.ndarray
    iterations: int


def solve(
    residual: Callable[[np.ndarray, np.ndarray], np.ndarray],
    x0: np.ndarray,
    *,
    tol: np.ndarray | float = 1e-10,
    max_iter: int = 50,
    step: float = 1e-7,
) -> Solution:
    """Solve ``residual(x) = 0`` for every row of ``x`` by damped Newton iterations.

    ``residual(x, rows)`` maps unknowns [m, k] to residuals [m, k] row by row; ``rows`` [m]
    says which set of the batch each row belongs to (rows are independent parameter sets). The Jacobian is the forward difference
    J[:, :, j] = (r(x + ε e_j) − r(x)) / ε, computed with one call on the stacked batch.
    A step is halved (up to 30 times) until the residual norm decreases; a row for which no
    step decreases it has stalled (no root near) and leaves the iterations. A row converges
    when every |r_i| ≤ tol_i; rows that do not are reported, never clipped.
    """
    x = np.array(x0, dtype=float)
    n, k = x.shape
    tol = np.broadcast_to(np.asarray(tol, dtype=float), (k,))
    r = residual(x, np.arange(n))
    eye = np.eye(k) * step
    iterations = 0
    stalled = np.zeros(n, dtype=bool)
    while iterations < max_iter:
        done = np.all(np.abs(r) <= tol, axis=1) | stalled
        if done.all():
            break
        iterations += 1
        active = np.flatnonzero(~done)
        xa, ra = x[active], r[active]
        stacked = (xa[None, :, :] + eye[:, None, :]).reshape(k * len(active), k)
        jac = (residual(stacked, np.tile(active, k)).reshape(k, len(active), k) - ra[None]) / step  # [j, set, i]
        jac = jac.transpose(1, 2, 0)  # [set, i, j]
        ok = np.isfinite(jac).all(axis=(1, 2)) & (np.abs(np.linalg.det(jac)) > 0)
        delta = np.zeros_like(xa)
        delta[ok] = -np.linalg.solve(jac[ok], ra[ok][..., None])[..., 0]
        x[active], r[active], improved = _damped(residual, active, xa, ra, delta)
        stalled[active[~improved]] = True
    converged = np.all(np.abs(r) <= tol, axis=1) & np.isfinite(r).all(axis=1)
    return Solution(x, r, converged, iterations)


def _damped(residual, rows, x, r, delta, halvings: int = 30):
    """Take the largest step x + 2⁻ʲ·delta that lowers the residual norm (per row); also
    return which rows found such a step."""
    norm = np.linalg.norm(r, axis=1)
    scale = np.ones(len(x))
    pending = np.ones(len(x), dtype=bool)
    new_x, new_r = x.copy(), r.copy()
    for _ in range(halvings):
        idx = np.flatnonzero(pending)
        if idx.size == 0:
            break
        trial_x = x[idx] + scale[idx, None] * delta[idx]
        trial_r = residual(trial_x, rows[idx])
        better = np.isfinite(trial_r).all(axis=1) & (np.linalg.norm(trial_r, axis=1) < norm[idx])
        accept = idx[better]
        new_x[accept], new_r[accept] = trial_x[better], trial_r[better]
        pending[accept] = False
        scale[idx[~better]] /= 2
    return new_x, new_r, ~pending
