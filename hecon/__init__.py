"""hecon: vectorised decision-analytic health-economic evaluation.

Every analysis is a batch of parameter sets pushed through one vectorised model,
``evaluate(params, options) -> Outcomes``; see ``docs/`` and the README.
"""

__version__ = "0.1.0"
