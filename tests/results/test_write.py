"""The one writer and the figure registry: a figure drawn from a folder's CSVs and manifest is
the figure drawn from memory (hecon.results.write, hecon.results.figures)."""

import json

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest

from hecon.analysis.decision import decision_analysis, wtp_grid
from hecon.analysis.result import Result
from hecon.results.figures import FIGURES, figures_of
from hecon.results.folder import is_results_folder
from hecon.results.plots.style import TEMPLATE
from hecon.results.write import results_writer, table_file, write


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


def _tables(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if ".csv" in p.name}


def test_a_writer_fed_one_result_at_a_time_writes_what_write_writes(tmp_path):
    first = decision_result()
    second = Result("extra", {"extra": pd.DataFrame({"a": [1, 2], "b": [0.5, 1 / 3]})}, {"seed": 4})
    whole = write(tmp_path / "whole", "psa-file", first, second, command="test", seed=4)
    with results_writer(tmp_path / "fed", "psa-file", command="test") as writer:
        writer.add(first)  # its tables are written while the second is computed
        writer.add(second)
        writer.close(seed=4)
    fed = tmp_path / "fed"
    assert _tables(fed) == _tables(whole) and len(_tables(fed)) == 7  # 6 tables of the decision, 1 more
    assert {p.name for p in fed.iterdir()} == {p.name for p in whole.iterdir()}
    manifests = [json.loads((folder / "manifest.json").read_text()) for folder in (whole, fed)]
    assert manifests[0]["results"] == manifests[1]["results"] and manifests[0]["seed"] == manifests[1]["seed"] == 4
    assert set(manifests[0]["files"]) == set(manifests[1]["files"])


def test_an_analysis_failing_after_a_result_was_added_leaves_out_as_it_was(tmp_path):
    out = write(tmp_path / "out", "psa-file", decision_result(), command="test")
    before = _tables(out)
    with pytest.raises(RuntimeError, match="the analysis failed"), \
            results_writer(out, "psa-file", command="test") as writer:
        writer.add(Result("extra", {"extra": pd.DataFrame({"a": [1, 2], "b": [3, 4]})}))
        raise RuntimeError("the analysis failed")
    assert _tables(out) == before and "extra.csv" not in before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left


def test_a_table_that_cannot_be_written_fails_the_folder(tmp_path):
    unwritable = Result("bad", {"no/such/folder": pd.DataFrame({"a": [1, 2], "b": [3, 4]})})
    with pytest.raises(OSError):
        write(tmp_path / "out", "psa-file", decision_result(), unwritable, command="test")
    assert list(tmp_path.iterdir()) == []


def test_writing_leaves_plotly_s_default_template_as_it_found_it(tmp_path):
    before = pio.templates.default
    write(tmp_path / "out", "psa-file", decision_result(), command="test")
    assert pio.templates.default == before


def test_the_writer_s_figures_wear_the_house_template_set_beside_and_then_undone(tmp_path):
    before = pio.templates.default
    with results_writer(tmp_path / "out", "psa-file", command="test") as writer:
        writer.add(decision_result())  # the tables' thread makes the house template the default
        figures = writer.figures(writer.results)
        assert pio.templates.default == TEMPLATE != before
        writer.close()
    assert pio.templates.default == before
    assert figures and all(figure.layout.template.layout.plot_bgcolor == "white" for figure in figures.values())
    assert pio.templates[before].layout.plot_bgcolor != "white"  # the check could fail
