"""The one Result shape (hecon.analysis.result)."""

import pandas as pd

from hecon.analysis.result import Result


def test_tables_meta_and_the_jupyter_view():
    icers = pd.DataFrame({"strategy": ["a", "<b>"], "icer": [float("nan"), 1234.5]})
    result = Result("decision", {"icers": icers, "nmb": pd.DataFrame({"x": [1]})},
                    {"effect_unit": "QALY", "seed": 3}, key="icers")
    tables = result.tables()
    tables.pop("nmb")
    assert set(result.tables()) == {"icers", "nmb"}          # a copy: the Result keeps its tables
    assert result.summary == "decision (effect_unit: QALY)"  # the seed is not context
    view = result._repr_html_()
    assert "&lt;b&gt;" in view and "1234.5" in view and "<b>decision" in view
