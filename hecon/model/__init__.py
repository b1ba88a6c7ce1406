"""What a model is made of — parameters and their distributions, rates, the Markov engine,
decision trees, calibration, life tables, prices, outcomes, safe input files — and the model
contract with its loader (:mod:`hecon.model.contract`).

This layer imports nothing above it (``analysis``, ``results``, ``trial``, ``cli``).
"""

from hecon.model.contract import Effect, Model, available_models

__all__ = ["Effect", "Model", "available_models"]
