"""Patient-level trial data → parameter estimates for a model, and within-trial analysis.

- :mod:`~hecon.trial.schema`: the data files, read and validated;
- :mod:`~hecon.trial.events`: patients' histories as time-to-event data;
- :mod:`~hecon.trial.survival`: Kaplan–Meier, Aalen–Johansen, parametric survival models;
- :mod:`~hecon.trial.estimate`: proportions, rates, hazard ratios → PSA distributions;
- :mod:`~hecon.trial.bootstrap`: stratified non-parametric bootstrap of arm means;
- :mod:`~hecon.trial.within`: within-trial cost-effectiveness from per-patient data.

What is specific to one model (simulating its trial, mapping estimates to its parameter
names, pricing resource use) lives in ``hecon_models/_<model>_trial.py``; see ``docs/trial.md``.
"""

from hecon.trial.bootstrap import stratified_means
from hecon.trial.estimate import Estimate, RateModel, cox_hazard_ratio, event_rates
from hecon.trial.schema import TrialData, load_trial, write_trial
from hecon.trial.survival import (
    CumulativeIncidence,
    KaplanMeier,
    ParametricFit,
    aalen_johansen,
    fit_parametric,
    fit_parametric_models,
    kaplan_meier,
    model_comparison,
)
from hecon.trial.within import WithinTrial, within_trial

__all__ = [
    "CumulativeIncidence", "Estimate", "KaplanMeier", "ParametricFit", "RateModel", "TrialData",
    "WithinTrial", "aalen_johansen", "cox_hazard_ratio", "event_rates", "fit_parametric",
    "fit_parametric_models", "kaplan_meier", "load_trial", "model_comparison", "stratified_means",
    "within_trial", "write_trial",
]
