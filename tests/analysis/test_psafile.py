"""Reading PSA files from elsewhere (hecon.analysis.psafile)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hecon.analysis.psafile import read_psa
from hecon.errors import InputError

DATA = Path("/work/shared/data/published-psa")

LONG = """draw,strategy,cost,qaly,infections_avoided,p_cure
1,A,100,1.0,0,0.5
1,B,150,1.2,3,0.5
2,A,110,0.9,0,0.6
2,B,170,1.1,2,0.6
3,A,90,1.1,0,0.4
3,B,140,1.3,4,0.4
"""


def write(tmp_path: Path, text: str, name: str = "psa.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path, **options) -> InputError:
    with pytest.raises(InputError) as caught:
        read_psa(path, **options)
    assert caught.value.file == str(path)
    return caught.value


# --------------------------------------------------------------------------- shared files


def test_dampack_example_file():
    psa = read_psa(DATA / "dampack_example_psa.csv")
    raw = pd.read_csv(DATA / "dampack_example_psa.csv")
    assert psa.format == "wide" and psa.strategies == ("Chemo", "Radio", "Surg")
    assert psa.costs.shape == psa.effects.shape == (10_000, 3)
    np.testing.assert_array_equal(psa.costs[:, 2], raw["Surg_Cost"])
    np.testing.assert_array_equal(psa.effects[:, 0], raw["Chemo_Eff"])
    assert list(psa.parameters.columns) == ["pFailChemo", "pFailRadio", "pFailSurg", "pDieSurg",
                                            "muDieCancer", "cChemo", "cRadio", "cSurg"]
    assert (psa.cost_name, psa.effect_name, psa.ignored) == ("Cost", "Eff", ())


def test_voi_chemotherapy_file_ignores_net_benefits():
    psa = read_psa(DATA / "voi_chemo.csv")
    assert psa.strategies == ("SoC", "Novel")
    assert psa.ignored == ("nb_SoC", "nb_Novel")
    assert list(psa.parameters.columns) == ["p_side_effects_t1", "p_side_effects_t2",
                                            "logor_side_effects"]
    raw = pd.read_csv(DATA / "voi_chemo.csv")
    np.testing.assert_allclose(20_000 * psa.effects - psa.costs, raw[["nb_SoC", "nb_Novel"]],
                               rtol=1e-12)


def test_briggs_file_ignores_increments_and_icer():
    psa = read_psa(DATA / "briggs_ex47_psa_runs.csv")
    assert psa.strategies == ("Mono", "Comb") and psa.n_draws == 1000
    assert psa.ignored == ("Diff LYG", "Diff incCost", "ICER")
    assert psa.parameters.empty
    assert psa.effect_name == "LYs"
    assert psa.costs[0].tolist() == [30445.46, 35656.09]
    assert read_psa(DATA / "briggs_ex47_psa_runs.csv", effect="LYs", cost="Cost").strategies == (
        "Mono", "Comb")


# --------------------------------------------------------------------------- long layout


def test_long_layout_with_a_chosen_effect(tmp_path):
    path = write(tmp_path, LONG)
    psa = read_psa(path)  # qaly is the default effect; the other outcome is set aside
    assert psa.format == "long" and psa.strategies == ("A", "B")
    np.testing.assert_array_equal(psa.costs, [[100, 150], [110, 170], [90, 140]])
    np.testing.assert_array_equal(psa.effects[:, 1], [1.2, 1.1, 1.3])
    assert (psa.effect_name, psa.ignored) == ("qaly", ("infections_avoided",))
    assert list(psa.parameters.columns) == ["p_cure"]
    other = read_psa(path, effect="infections_avoided")
    np.testing.assert_array_equal(other.effects, [[0, 3], [0, 2], [0, 4]])
    assert other.ignored == ("qaly",)
    assert other.parameters["p_cure"].tolist() == [0.5, 0.6, 0.4]
    assert "no effect column 'utility'" in error_of(path, effect="utility").message


def test_long_layout_default_effect_and_any_row_order(tmp_path):
    text = "Strategy,Iteration,Cost,Effect\nB,2,5,2\nA,1,1,1\nB,1,4,3\nA,2,2,1\n"
    psa = read_psa(write(tmp_path, text))
    assert psa.strategies == ("B", "A")
    np.testing.assert_array_equal(psa.costs, [[5, 2], [4, 1]])  # draws in order of appearance
    assert psa.parameters.shape == (2, 0)


def test_an_outcome_beside_its_discounted_value_reads_the_discounted_one(tmp_path):
    """hecon's own psa.csv.gz holds qalys and qalys_disc: the discounted value is the effect."""
    text = "strategy,draw,total_cost,qalys,qalys_disc\nA,1,1,10,8\nB,1,2,12,9\n" \
           "A,2,1,10,7\nB,2,3,11,9\n"
    psa = read_psa(write(tmp_path, text))
    assert psa.effect_name == "qalys_disc"
    np.testing.assert_array_equal(psa.effects, [[8, 9], [7, 9]])


def test_semicolons_decimal_commas_blank_lines_and_row_names(tmp_path):
    text = "draw;strategy;cost;effect\n1;A;1,5;0,25\n\n1;B;2;1\n2;A;1;0,5\n2;B;3;1,5e0\n"
    psa = read_psa(write(tmp_path, text))
    np.testing.assert_array_equal(psa.costs, [[1.5, 2], [1, 3]])
    np.testing.assert_array_equal(psa.effects, [[0.25, 1], [0.5, 1.5]])
    rnames = '"","c_A","e_A","c_B","e_B"\n"1",1,2,3,4\n"2",5,6,7,8\n'
    psa = read_psa(write(tmp_path, rnames, "r.csv"))
    assert psa.strategies == ("A", "B") and psa.parameters.empty


def test_spreadsheet(tmp_path):
    path = tmp_path / "psa.xlsx"
    pd.DataFrame({"cost_A": [1.0, 2.0], "effect_A": [0.5, 0.6], "cost_B": [3.0, 4.0],
                  "effect_B": [0.7, 0.9], "p": [0.1, 0.2]}).to_excel(path, index=False)
    psa = read_psa(path)
    assert psa.strategies == ("A", "B")
    np.testing.assert_array_equal(psa.effects, [[0.5, 0.7], [0.6, 0.9]])
    assert psa.parameters["p"].tolist() == [0.1, 0.2]


# --------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(("text", "row", "column", "message"), [
    ("draw,strategy,cost\n1,A,1\n1,B,2\n2,A,1\n2,B,2\n", 1, "effect", "no effect column"),
    ("draw,strategy,cost,effect\n1,A,1,1\n1,B,x,1\n2,A,1,1\n2,B,1,1\n", 3, "cost", "not a number"),
    ("draw,strategy,cost,effect\n1,A,1,1\n1,B,1,inf\n2,A,1,1\n2,B,1,1\n", 3, "effect", "'inf' is not a number"),
    ("draw,strategy,cost,effect\n1,A,1,1\n1,B,,1\n2,A,1,1\n2,B,1,1\n", 3, "cost", "empty"),
    ("draw,strategy,cost,effect\n1,A,1,1\n1,B,2,1\n", 2, None, "single draw"),
    ("draw,strategy,cost,effect\n1,A,1,1\n1,B,2,1\n2,A,1,1\n1,B,3,1\n", 5, "strategy", "appears twice"),
    ("draw,strategy,cost,effect\n1,A,1,1\n1,B,2,1\n2,A,1,1\n", 4, "strategy", "unequal numbers"),
    ("strategy,cost,effect\nA,1,1\nB,2,2\n", 1, "draw", "no draw column"),
    ("draw,strategy,cost,qaly,ly\n1,A,1,1,1\n1,B,1,1,1\n", 1, "qaly", "several effect columns"),
    ("c_A,e_A,c_B,e_B\n1,2,3,4\n5,6,7\n", 3, "e_B", "empty"),
    ("c_A,e_A,c_B,e_B\n1,2,3,4\n5,6,7,8,9\n", 3, None, "unreadable CSV"),
    ("c_A,e_A,c_A\n1,2,3\n", 1, "c_A", "appears twice"),
    ("a,b\n1,2\n3,4\n", 1, None, "no pair of cost and effect"),
    ("A_cost,A_qaly,A_ly\n1,2,3\n4,5,6\n", 1, "A_qaly", "several effect columns"),
    ("c_A,e_A\n", 2, None, "no data rows"),
    ("c_A,,e_A\n1,2,3\n4,5,6\n", 1, None, "column 2 has no name"),
])
def test_bad_files_name_the_row_and_column(tmp_path, text, row, column, message):
    error = error_of(write(tmp_path, text))
    assert message in error.message
    assert (error.row, error.column) == (row, column)
    assert error.fix


def test_unreadable_and_empty_files(tmp_path):
    assert "not found" in error_of(tmp_path / "missing.csv").message
    assert "empty" in error_of(write(tmp_path, "  \n\n")).message
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x01")
    assert "UTF-8" in error_of(binary).message
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    assert "spreadsheet" in error_of(broken).message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=st.integers(0, 5), column=st.sampled_from(["cost", "qaly", "p_cure"]),
       value=st.sampled_from(["abc", "", "inf", "-inf", "nan", "1e999", "NA", "#DIV/0!"]))
def test_any_bad_cell_is_reported_where_it_is(tmp_path, row, column, value):
    frame = pd.read_csv(pd.io.common.StringIO(LONG), dtype=str)
    frame.loc[row, column] = value
    path = tmp_path / "corrupt.csv"
    frame.to_csv(path, index=False)
    error = error_of(path, effect="qaly")
    assert (error.row, error.column) == (row + 2, column)


# --------------------------------------------------------------------------- hostile files


@pytest.mark.parametrize(("text", "row", "column", "found"), [
    ("draw,strategy,cost,qaly\n1,A,100,1\n2,A,120,1.1\n3,A,90,0.9\n", 2, "strategy", "(A)"),
    ("A_cost,A_qaly,p\n100,1,0.5\n120,1.1,0.6\n", 1, "A_cost", "(A)"),
])
def test_a_decision_needs_two_strategies(tmp_path, text, row, column, found):
    error = error_of(write(tmp_path, text))
    assert f"the file holds one strategy {found}; a decision compares two or more" == error.message
    assert (error.row, error.column) == (row, column) and "strategy" in error.fix


@pytest.mark.parametrize("name", ["=cmd|' /C calc'!A0", "+A", "-A", "@SUM(1)", "A\tB", "A\rB",
                                  "Usual care", "Drug.A", "1st", "Stratégie"])
def test_strategy_names_must_be_identifiers(tmp_path, name):
    quoted = '"' + name.replace('"', '""') + '"'
    text = f"draw,strategy,cost,qaly\n1,B,1,1\n1,{quoted},2,1\n2,B,1,1\n2,{quoted},2,1\n"
    error = error_of(write(tmp_path, text))
    assert (error.row, error.column) == (3, "strategy")
    assert error.message.startswith("strategy ") and "is not an identifier" in error.message
    assert error.fix.startswith("rename it")


def test_cells_are_stripped_so_a_leading_tab_or_carriage_return_is_no_part_of_a_name(tmp_path):
    text = 'draw,strategy,cost,qaly\n1,"\tA",1,1\n1,"\rB",2,1\n2,"\tA",1,1\n2,"\rB",2,1\n'
    assert read_psa(write(tmp_path, text)).strategies == ("A", "B")


def test_a_name_with_spaces_is_refused_with_the_identifier_to_use(tmp_path):
    text = "Usual care_cost,Usual care_qaly,New_cost,New_qaly\n1,2,3,4\n5,6,7,8\n"
    error = error_of(write(tmp_path, text))
    assert (error.row, error.column) == (1, "Usual care_cost")
    assert error.fix.startswith("rename it 'Usual_care'")


def test_parameter_columns_must_be_identifiers(tmp_path):
    error = error_of(write(tmp_path, "c_A,e_A,c_B,e_B,=HYPERLINK(1)\n1,2,3,4,5\n5,6,7,8,9\n"))
    assert (error.row, error.column) == (1, "=HYPERLINK(1)")
    assert error.message.startswith("parameter '=HYPERLINK(1)' is not an identifier")


@pytest.mark.parametrize(("cell", "message"), [
    ("1_0", "'1_0' is not a number"),
    ("١٢", "'١٢' is not a number"),
    ("1" * 400, "is beyond the floating-point range"),
    ("1e308", "the value '1e308' is too large"),
    ("-2e100", "the value '-2e100' is too large"),
    ("0x10", "'0x10' is not a number"),
])
def test_numbers_are_plain_and_bounded(tmp_path, cell, message):
    error = error_of(write(tmp_path, f"c_A,e_A,c_B,e_B\n1,2,3,4\n{cell},6,7,8\n"))
    assert message in error.message and (error.row, error.column) == (3, "c_A")
    assert len(str(error)) < 300  # a 400-digit cell is cut in the message


def test_the_largest_value_still_reads(tmp_path):
    psa = read_psa(write(tmp_path, "c_A,e_A,c_B,e_B\n1e100,2,3,4\n-1e100,6,7,8\n"))
    assert psa.costs[:, 0].tolist() == [1e100, -1e100]


def test_a_folder_is_not_a_psa_file(tmp_path):
    error = error_of(tmp_path)
    assert error.message == "a folder, not a PSA file"


def test_every_published_example_reads_with_identifier_names():
    for path in sorted(DATA.glob("*.csv")):
        psa = read_psa(path)
        assert len(psa.strategies) >= 2 and psa.n_draws >= 1000, path
        assert all(name.isidentifier() for name in (*psa.strategies, *psa.parameters.columns)), path


def test_a_file_too_large_for_the_memory_budget_is_refused_before_reading(tmp_path, monkeypatch):
    path = write(tmp_path, LONG)
    monkeypatch.setattr(pd, "read_csv", lambda *a, **k: pytest.fail("read"))
    error = error_of(path, memory_gb=16 * path.stat().st_size / 1024 ** 3 * 0.99)
    assert error.message.startswith("reading the file (0 MiB) needs about") and "--memory" in error.fix


# --------------------------------------------------------------------------- draws not evaluated


#: eight draws of two strategies (long layout), all evaluated
DRAWS = pd.DataFrame([{"draw": str(d), "strategy": s, "cost": str(100 + 10 * d + 50 * j),
                       "qaly": str(1 + d / 10 + j / 5), "p_cure": str(d / 10)}
                      for d in range(1, 9) for j, s in enumerate("AB")])


def wide(frame: pd.DataFrame) -> pd.DataFrame:
    """The long frame in the wide layout: a row per draw, <strategy>_cost and <strategy>_qaly."""
    table = frame.pivot(index=["draw", "p_cure"], columns="strategy", values=["cost", "qaly"])
    table.columns = [f"{strategy}_{what}" for what, strategy in table.columns]
    return table.reset_index()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(marks=st.lists(st.tuples(st.integers(0, len(DRAWS) - 1), st.sampled_from(["cost", "qaly"]),
                                st.sampled_from(["", "NA", "NaN", "nan", "n/a"])), min_size=1, max_size=4),
       layout=st.sampled_from([lambda frame: frame, wide]))
def test_leaving_out_unevaluated_draws_is_reading_the_file_without_them(tmp_path, marks, layout):
    """A draw with a missing cost or effect for any strategy is left out whole and counted: what
    is read is the file with those draws deleted. Without the option, a missing value is refused."""
    marked = DRAWS.copy()
    for row, column, mark in marks:
        marked.loc[row, column] = mark
    unevaluated = set(marked.loc[[row for row, _, _ in marks], "draw"])
    path, clean = tmp_path / "marked.csv", tmp_path / "clean.csv"
    layout(marked).to_csv(path, index=False)
    layout(DRAWS[~DRAWS["draw"].isin(unevaluated)]).to_csv(clean, index=False)
    psa, expected = read_psa(path, effect="qaly", drop_unevaluated=True), read_psa(clean, effect="qaly")
    assert psa.excluded == len(unevaluated) and psa.n_draws == 8 - len(unevaluated)
    np.testing.assert_array_equal(psa.costs, expected.costs)
    np.testing.assert_array_equal(psa.effects, expected.effects)
    pd.testing.assert_frame_equal(psa.parameters, expected.parameters)
    error = error_of(path, effect="qaly")
    assert error.message.startswith(("the value is empty", "the value is missing ("))
    assert error.fix.endswith("leave out the draws the model could not evaluate with --drop-unevaluated")


def test_a_file_whose_every_draw_is_unevaluated_is_refused(tmp_path):
    path = write(tmp_path, "c_A,e_A,c_B,e_B\n1,NA,3,4\n5,6,,8\n")
    error = error_of(path, drop_unevaluated=True)
    assert error.message == "none of the 2 draws has a cost and an effect: the model could evaluate none of them"


def test_a_missing_parameter_is_refused_even_when_leaving_out_unevaluated_draws(tmp_path):
    path = write(tmp_path, "c_A,e_A,c_B,e_B,p\n1,2,3,4,\n5,6,7,8,0.5\n9,10,11,12,0.1\n")
    error = error_of(path, drop_unevaluated=True)
    assert (error.message, error.row, error.column, error.fix) == ("the value is empty", 2, "p",
                                                                  "give a number in every cell")
