"""PSA draws for R users: the wide matrices that dampack and BCEA read.

``hecon export PSA --to dampack|bcea --out DIR`` takes a PSA — the results folder of
``hecon psa`` or ``hecon run`` (its ``psa.csv.gz``), or a PSA file in any layout ``hecon cea``
reads (:mod:`hecon.analysis.psafile`) — and writes the same draws, in the same order, to:

========  ===============================================  =====================================
format    files                                            read in R by
========  ===============================================  =====================================
dampack   ``cost.csv``, ``effectiveness.csv``: a row per   ``make_psa_obj(cost, effectiveness,
          draw, a column per strategy; ``parameters.csv``  parameters, strategies, currency)``
bcea      ``e.csv``, ``c.csv``: n_sim × n_int, a column    ``bcea(e, c, ref, interventions,
          per intervention; ``parameters.csv``             Kmax)``, ``evppi(he, param_idx, input)``
both      ``psa_long.csv``: ``draw, strategy, cost,        ``hecon cea psa_long.csv``
          effect`` and the parameters, a row per draw
          and strategy (draws numbered 1, 2, … as the
          rows of the matrices)
========  ===============================================  =====================================

What is exported:

- **strategies** in the model's order (a results folder) or the file's; the **reference** is
  the model's comparator, or the file's first strategy, unless ``reference`` names another; the
  manifest records it with its 1-based position (BCEA's ``ref``).
- **cost**: ``total_cost`` (or the ``cost`` column chosen). **effect**: the model's main effect
  (the first of its ``EFFECTS``: discounted QALYs for the shipped models), or the declared
  effect named by ``effect``, as "more is better" — an effect where less is better (infection
  episodes) is exported as its negative (episodes avoided), as hecon's own ICERs use it.
- **parameters**: the uncertain ones — those that vary between the draws (a parameter fixed in
  the PSA carries no uncertainty: its EVPPI is 0 and a regression on a constant column fails);
  for a results folder, only the model's parameters (not an outcome that happens to be equal
  in every strategy of a draw). No parameter varying: no ``parameters.csv``.
- Draws the model could not evaluate (their outcomes empty in ``psa.csv.gz``) are excluded and
  counted in the manifest.

``psa_long.csv`` is in the long layout because strategy names are then values, never parsed
out of column names (a wide ``<strategy>_c`` would be misread for a strategy named
``inc_dose``, whose first word reads as "incremental").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hecon.analysis import memory
from hecon.analysis.psafile import COST_COLUMNS, DRAW_COLUMNS, EFFECT_COLUMNS, read_psa
from hecon.analysis.result import Result
from hecon.errors import InputError
from hecon.model import Effect, Model
from hecon.model.files import shown
from hecon.results.report import read_manifest
from hecon.results.write import write

#: format → (stem of the cost matrix, stem of the effect matrix), as the R package names them
FORMATS = {"dampack": ("cost", "effectiveness"), "bcea": ("c", "e")}
PSA_FILE = "psa.csv.gz"
#: names no parameter may take in ``psa_long.csv``: hecon's reader would take such a column
#: for the strategy, draw, cost or effect
RESERVED = frozenset(("strategy", *DRAW_COLUMNS, *COST_COLUMNS, *EFFECT_COLUMNS))
TOTAL_COST = "total_cost"
FILE_MODEL = "psa-file"


@dataclass(frozen=True)
class ExportedPSA:
    """The draws to export.

    Attributes
    ----------
    strategies:
        In the order of the matrices' columns.
    costs, effects:
        Arrays ``[draws, strategies]``; effects "more is better".
    parameters:
        The uncertain parameters' draws, one row per draw.
    reference:
        The reference strategy (BCEA's ``ref``).
    cost_name, effect_name:
        The cost and effect measures as named in the source (``-<outcome>`` for an effect
        exported as its negative).
    excluded:
        Draws left out because the model could not evaluate them.
    source:
        The folder or file given; ``model`` the model named by its manifest (or ``psa-file``).
    """

    strategies: tuple[str, ...]
    costs: np.ndarray
    effects: np.ndarray
    parameters: pd.DataFrame
    reference: str
    cost_name: str
    effect_name: str
    excluded: int
    source: Path
    model: str = FILE_MODEL

    @property
    def ref(self) -> int:
        """The reference's 1-based position among the strategies (BCEA's ``ref``)."""
        return self.strategies.index(self.reference) + 1

    def meta(self, to: str) -> dict:
        """What the manifest records about the export."""
        return {"format": to, "strategies": list(self.strategies), "reference": self.reference,
                "ref": self.ref, "cost": self.cost_name, "effect": self.effect_name,
                "draws": int(self.costs.shape[0]), "excluded_draws": self.excluded,
                "parameters": list(self.parameters.columns)}


def check_format(to: str) -> str:
    """``to`` if it is a format hecon exports (:data:`FORMATS`), else an InputError."""
    if to not in FORMATS:
        raise InputError(f"unknown export format {shown(to)}",
                         fix=f"choose --to {' or --to '.join(FORMATS)}")
    return to


def read_draws(source: str | Path, *, effect: str | None = None, cost: str | None = None,
               reference: str | None = None,
               memory_gb: float = memory.DEFAULT_BUDGET_GB) -> ExportedPSA:
    """The draws of a results folder of ``hecon psa``/``hecon run`` or of a PSA file (see the
    module documentation for what is exported)."""
    source = Path(source)
    if source.is_dir():
        return _from_results_folder(source, effect, cost, reference, memory_gb)
    psa = read_psa(source, effect=effect, cost=cost, memory_gb=memory_gb)
    return ExportedPSA(psa.strategies, psa.costs, psa.effects, _uncertain(psa.parameters),
                       _reference(reference, psa.strategies, psa.strategies[0]), psa.cost_name,
                       psa.effect_name, 0, source)


def _from_results_folder(folder: Path, effect: str | None, cost: str | None,
                         reference: str | None, memory_gb: float) -> ExportedPSA:
    path = folder / PSA_FILE
    if not path.is_file():
        raise InputError(f"the folder holds no {PSA_FILE} (PSA draws)", file=folder,
                         fix="give a folder written by `hecon psa` or `hecon run`, or a PSA file")
    model = _model_of(folder)
    main = _effect(model, effect, folder)
    psa = read_psa(path, effect=main.outcome, cost=cost or TOTAL_COST, memory_gb=memory_gb,
                   drop_unevaluated=True)
    order = _model_order(psa.strategies, model.strategies, path)
    sign = 1.0 if main.higher_is_better else -1.0
    known = set(model.load_parameters().names)
    parameters = psa.parameters[[name for name in psa.parameters.columns if name in known]]
    return ExportedPSA(model.strategies, psa.costs[:, order], sign * psa.effects[:, order],
                       _uncertain(parameters), _reference(reference, model.strategies, model.comparator),
                       psa.cost_name, main.outcome if main.higher_is_better else f"-{main.outcome}",
                       psa.excluded, folder, model.source)


def _model_of(folder: Path) -> Model:
    """The model named by the folder's manifest: its strategies, comparator, effects and
    parameters say what the draws are."""
    name = read_manifest(folder)["model"]
    try:
        return Model(name)
    except InputError as error:
        raise InputError(f"the model of this results folder cannot be loaded: {error.message}",
                         file=folder / "manifest.json",
                         fix=f"install the model {shown(name)}, or export the PSA file itself "
                             f"({PSA_FILE})") from None


def _effect(model: Model, chosen: str | None, folder: Path) -> Effect:
    """The model's main effect, or its declared effect whose outcome is ``chosen``."""
    if chosen is None:
        return model.effects[0]
    for effect in model.effects:
        if effect.outcome.lower() == chosen.lower():
            return effect
    raise InputError(f"the model {model.name} declares no effect {shown(chosen)}", file=folder,
                     fix=f"choose --effect among: {', '.join(e.outcome for e in model.effects)}")


def _model_order(found: tuple[str, ...], declared: tuple[str, ...], path: Path) -> list[int]:
    """The column of each of the model's strategies in the file's arrays."""
    if sorted(found) != sorted(declared):
        raise InputError(f"the file's strategies ({', '.join(found)}) are not the model's "
                         f"({', '.join(declared)})", file=path,
                         fix="export the PSA file itself, or rerun the PSA with this model")
    return [found.index(strategy) for strategy in declared]


def _uncertain(parameters: pd.DataFrame) -> pd.DataFrame:
    """The parameters that vary between the draws."""
    return parameters.loc[:, parameters.nunique() > 1].reset_index(drop=True)


def _reference(chosen: str | None, strategies: tuple[str, ...], default: str) -> str:
    name = default if chosen is None else chosen
    if name not in strategies:
        raise InputError(f"unknown reference strategy {shown(name)}",
                         fix=f"choose --reference among: {', '.join(strategies)}")
    return name


def by_strategy(values: np.ndarray, strategies: tuple[str, ...]) -> pd.DataFrame:
    """A ``[draws, strategies]`` array as a table: one row per draw, one column per strategy."""
    return pd.DataFrame(values, columns=list(strategies))


def long_table(draws: ExportedPSA) -> pd.DataFrame:
    """``draw, strategy, cost, effect`` and the parameters, one row per draw and strategy,
    draws numbered from 1: the long layout of :mod:`hecon.analysis.psafile`."""
    clash = [name for name in draws.parameters.columns if name.lower() in RESERVED]
    if clash:
        raise InputError(f"a parameter is named {clash[0]!r}, which hecon would read as the "
                         "strategy, draw, cost or effect column of psa_long.csv",
                         file=draws.source, fix="rename the parameter")
    n_draws, n_strategies = draws.costs.shape
    rows = np.repeat(np.arange(n_draws), n_strategies)
    outcomes = pd.DataFrame({"draw": rows + 1,
                             "strategy": np.tile(np.asarray(draws.strategies, dtype=object), n_draws),
                             "cost": draws.costs.ravel(), "effect": draws.effects.ravel()})
    return pd.concat([outcomes, draws.parameters.iloc[rows].reset_index(drop=True)], axis=1)


def export_tables(draws: ExportedPSA, to: str) -> dict[str, pd.DataFrame]:
    """Table stem → table of the format ``to`` (see the module documentation)."""
    cost_stem, effect_stem = FORMATS[check_format(to)]
    tables = {cost_stem: by_strategy(draws.costs, draws.strategies),
              effect_stem: by_strategy(draws.effects, draws.strategies)}
    if not draws.parameters.empty:
        tables["parameters"] = draws.parameters
    tables["psa_long"] = long_table(draws)
    return tables


def write_export(out: str | Path, draws: ExportedPSA, to: str) -> list[str]:
    """Write the export into the results folder ``out`` (safely and atomically, with the
    manifest recording the source's SHA-256 and :meth:`ExportedPSA.meta`); return the names
    of the tables written."""
    _outside_source(Path(out), draws.source)
    tables = export_tables(draws, to)
    read = draws.source / PSA_FILE if draws.source.is_dir() else draws.source
    write(out, draws.model, Result("export", tables, draws.meta(to), next(iter(tables))),
          command="export", inputs={"psa": read}, also_inputs=[draws.source], options={"to": to})
    return [f"{stem}.csv" for stem in tables]


def _outside_source(out: Path, source: Path) -> None:
    """Refuse an output folder inside the results folder read: hecon would add files its
    manifest does not list, and could no longer replace or report that folder."""
    folder = source.resolve()
    if source.is_dir() and folder in out.expanduser().resolve().parents:
        raise InputError("the output folder lies inside the results folder read", file=out,
                         fix=f"choose an --out outside {folder}")


def describe(draws: ExportedPSA) -> str:
    """A console summary of the draws exported."""
    excluded = (f"; {draws.excluded} draws the model could not evaluate were excluded"
                if draws.excluded else "")
    names = ", ".join(draws.parameters.columns) or "none varies"
    return (f"{draws.costs.shape[0]} draws × {len(draws.strategies)} strategies "
            f"({', '.join(draws.strategies)}){excluded}\n"
            f"reference: {draws.reference} (BCEA ref = {draws.ref}); cost: {draws.cost_name}; "
            f"effect: {draws.effect_name}\n"
            f"uncertain parameters ({draws.parameters.shape[1]}): {names}")
