"""The one writer and the figure registry: a figure drawn from a folder's CSVs and manifest is
the figure drawn from memory (hecon.results.write, hecon.results.figures)."""

import json

import numpy as np
import pandas as pd
import plotly.io as pio

from hecon.analysis.decision import decision_analysis, wtp_grid
from hecon.results.figures import FIGURES, figures_of
from hecon.results.folder import is_results_folder
from hecon.results.write import table_file, write


def decision_result():
    rng = np.random.default_rng(1)
    costs = rng.normal([1000.0, 1500.0], 100.0, size=(200, 2))
    effects = rng.normal([5.0, 5.02], 0.05, size=(200, 2))
    grid, report = wtp_grid([50_000.0], 100_000.0, 5_000.0)
    analysis = decision_analysis(costs, effects, ("old", "new"), grid, report)
    return analysis.result(currency="€", effect_unit="QALY", comparator="old")


def test_written_tables_and_manifest_redraw_the_same_figures(tmp_path):
    result = decision_result()
    out = write(tmp_path / "out", "psa-file", result, command="test")
    assert is_results_folder(out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["results"]["decision"]["report_wtp"] == [50_000.0]
    read_back = {stem: pd.read_csv(out / table_file(stem)) for stem in FIGURES if (out / table_file(stem)).exists()}
    from_memory = figures_of(result.tables(), result.meta)
    from_folder = figures_of(read_back, manifest["results"]["decision"])
    assert set(from_memory) == set(from_folder) == {"ce_plane", "ceac", "evpi", "expected_loss"}
    for stem, figure in from_memory.items():
        assert (out / f"{stem}.html").exists()
        assert pio.to_json(figure) == pio.to_json(from_folder[stem]), stem


def test_text_in_tables_is_escaped_for_plotly():
    table = pd.DataFrame({"wtp": [0.0, 0.0], "strategy": ["<a href='x'>old</a>", "new"],
                          "probability": [0.4, 0.6], "on_frontier": [False, True]})
    figure = figures_of({"ceac": table}, {})["ceac"]
    assert "&lt;a href=&#x27;x&#x27;&gt;old&lt;/a&gt;" in {trace.name for trace in figure.data}


def test_labels_in_the_meta_name_the_strategies_escaped():
    result = decision_result()
    meta = {**result.meta, "labels": {"old": "Usual care", "new": "New <drug>"}}
    figure = figures_of(result.tables(), meta)["ceac"]
    assert {"Usual care", "New &lt;drug&gt;"} <= {trace.name for trace in figure.data}
