"""Non-parametric bootstrap of arm means, stratified by arm (Efron & Tibshirani 1993, ch. 6;
for cost-effectiveness, Briggs, Wonderling & Mooney 1997).

Each replicate resamples, with replacement, as many patients in each arm as the arm holds and
takes the arm's mean of every per-patient value. Resampling indices are drawn as index
matrices [replicates, patients], a block of replicates at a time, so there is no loop over
patients; the loop over blocks only bounds memory.

Reproducibility: arm s draws from its own generator, the s-th child of
``SeedSequence(seed)``, whose uniform stream is consumed replicate after replicate. The
replicates are therefore identical whatever the block size, and arm s's replicates do not
depend on the other arms.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from hecon.errors import InputError

#: Values gathered per block (replicates × patients × columns), about 64 MB of floats.
BLOCK_VALUES = 8_000_000


def stratified_means(values: ArrayLike, strata: ArrayLike, n_replicates: int, seed: int,
                     n_strata: int | None = None, block_size: int | None = None) -> np.ndarray:
    """Bootstrap replicates of the per-stratum means of each column.

    Parameters
    ----------
    values:
        Per-patient values [patients, columns] (costs, outcomes).
    strata:
        Each patient's stratum (arm) as an integer 0 … S − 1.
    n_replicates:
        Number of bootstrap replicates B.
    seed:
        Seed of the resampling (integer ≥ 0).
    n_strata:
        S (default: the largest stratum code + 1); every stratum needs a patient.
    block_size:
        Replicates resampled at once (default: as many as fit in :data:`BLOCK_VALUES`); it
        changes memory use, never the result.

    Returns
    -------
    np.ndarray
        Means [B, S, columns]: replicate b's mean of each column in each stratum.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    strata = np.asarray(strata, dtype=int)
    if n_replicates < 1:
        raise InputError("the number of bootstrap replicates must be ≥ 1", fix="give e.g. --bootstrap 5000")
    if seed < 0:
        raise InputError("the seed must be an integer ≥ 0")
    n_strata = int(strata.max()) + 1 if n_strata is None else n_strata
    generators = [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(n_strata)]
    means = np.empty((n_replicates, n_strata, values.shape[1]))
    for s, rng in enumerate(generators):
        members = values[strata == s]
        size = len(members)
        if size == 0:
            raise InputError(f"stratum {s} has no patient to resample")
        block = block_size or max(1, BLOCK_VALUES // (size * values.shape[1]))
        for start in range(0, n_replicates, block):
            stop = min(start + block, n_replicates)
            index = (rng.random((stop - start, size)) * size).astype(np.intp)
            means[start:stop, s] = members[index].mean(axis=1)
    return means
