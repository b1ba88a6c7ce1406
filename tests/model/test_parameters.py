"""The parameter table: loading, validation errors, batches, sampling, overrides, prices."""

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hecon.errors import InputError
from hecon.model.files import IDENTIFIER
from hecon.model.parameters import COLUMNS, ParameterSets, ParameterTable, without_asides
from hecon.model.prices import PriceIndex

ROWS = [
    {"name": "p_event", "value": "0.3", "distribution": "beta", "alpha": "30", "beta": "70", "source": "trial"},
    {"name": "p_fit", "value": "0.4", "distribution": "beta", "se": "0.05", "source": "cohort"},
    {"name": "cost_day", "value": "1000", "distribution": "gamma", "se": "100", "price_year": "2009", "source": "study"},
    {"name": "hr", "value": "0.7", "distribution": "lognormal", "ci_low": "0.5", "ci_high": "0.98", "source": "RCT"},
    {"name": "age", "value": "60", "distribution": "normal", "se": "2", "low": "55", "high": "65", "source": "registry"},
    {"name": "window", "value": "20", "distribution": "uniform", "lower": "10", "upper": "30", "source": "assumption: x"},
    {"name": "doses", "value": "4", "distribution": "pert", "lower": "3", "upper": "5", "source": "assumption: y"},
    {"name": "fixed_one", "value": "5", "distribution": "fixed", "source": "label"},
    {"name": "stay", "value": "0.75", "distribution": "dirichlet", "alpha": "75", "group": "exits", "source": "trial"},
    {"name": "leave", "value": "0.25", "distribution": "dirichlet", "alpha": "25", "group": "exits", "source": "trial"},
]


def write_table(path, rows, columns=COLUMNS):
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows([{c: r.get(c, "") for c in columns} for r in rows])
    return path


@pytest.fixture
def table(tmp_path):
    return ParameterTable.load(write_table(tmp_path / "params.csv", ROWS))


def test_loads_every_distribution(table):
    assert table.names == [r["name"] for r in ROWS]
    assert table.uncertain == [n for n in table.names if n != "fixed_one"]
    assert table.dirichlet_groups == {"exits": ["stay", "leave"]}
    assert table["p_fit"].distribution.mean() == pytest.approx(0.4)
    assert table["doses"].distribution.mean() == pytest.approx((3 + 4 * 4 + 5) / 6)
    low, high = table["hr"].low, table["hr"].high  # default: the 95 % interval
    assert (low, high) == pytest.approx((0.5, 0.98), rel=1e-9)


def test_base_case_and_batches(table):
    base = table.base_case(3)
    assert base.n == 3 and np.all(base["cost_day"] == 1000)
    chunks = list(base.chunks(2))
    assert [c.n for c in chunks] == [2, 1]
    assert ParameterSets.concat(chunks)["age"].tolist() == base["age"].tolist()
    with pytest.raises(ValueError):
        base["age"][0] = 1  # read-only inputs


def test_sampling_is_reproducible_and_prefix_stable(table):
    a, b = table.sample(500, seed=7), table.sample(500, seed=7)
    assert all(np.array_equal(a[n], b[n]) for n in table.names)
    first = table.sample(100, seed=7)
    assert all(np.array_equal(first[n], a[n][:100]) for n in table.names)
    np.testing.assert_allclose(a["stay"] + a["leave"], 1.0)
    assert np.all(a["fixed_one"] == 5)


def test_sample_moments(table):
    draws = table.sample(40_000, seed=3)
    assert draws["p_fit"].mean() == pytest.approx(0.4, abs=0.002)
    assert draws["p_fit"].std() == pytest.approx(0.05, abs=0.002)
    assert draws["cost_day"].std() == pytest.approx(100, rel=0.03)
    assert np.median(draws["hr"]) == pytest.approx(0.7, rel=0.01)
    assert draws["stay"].mean() == pytest.approx(0.75, abs=0.003)


def test_from_unit_maps_medians(table):
    sets = table.from_unit(np.full((1, len(table.uncertain)), 0.5))
    assert sets["hr"][0] == pytest.approx(0.7)
    assert sets["age"][0] == pytest.approx(60)
    assert sets["stay"][0] + sets["leave"][0] == pytest.approx(1.0)


def test_override_rescales_dirichlet_siblings(table):
    sets = table.override(table.base_case(2), {"stay": [0.5, 0.9], "hr": 1.0})
    np.testing.assert_allclose(sets["leave"], [0.5, 0.1])
    assert np.all(sets["hr"] == 1.0)
    with pytest.raises(InputError, match="did you mean hr"):
        table.override(table.base_case(), {"hr_": 1.0})


def test_with_changes_revalidates(table):
    changed = table.with_changes(values={"hr": 2.06}, distributions={"hr": {"ci_low": 0.92, "ci_high": 4.57}})
    assert changed["hr"].value == 2.06 and changed["hr"].distribution.ppf(0.5) == pytest.approx(2.06)
    with pytest.raises(InputError, match="does not contain"):
        table.with_changes(values={"hr": 2.06})  # the old CI no longer contains it


def test_price_year_conversion():
    index = PriceIndex.load("hecon_models/inputs/ifn_gamma/france_cpi.csv")
    assert index.factor(2009, 2024) == pytest.approx(119.82 / 93.29)
    table = ParameterTable.load("hecon_models/inputs/ifn_gamma/parameters.csv").in_price_year(2024, index)
    assert table["cost_icu_day"].value == pytest.approx(1425 * 119.82 / 93.29)
    assert table["cost_icu_day"].distribution.mean() == pytest.approx(1425 * 119.82 / 93.29)
    assert table["cost_icu_day"].price_year == 2024
    with pytest.raises(InputError, match="years available"):
        index.factor(1990, 2024)


def test_shipped_tables_load():
    for model in ("ifn_gamma", "example_sick"):
        table = ParameterTable.load(f"hecon_models/inputs/{model}/parameters.csv")
        assert all(p.source for p in table.parameters.values())
        assert all(IDENTIFIER.fullmatch(name) for name in [*table.names, *table.groups])


def test_default_ranges_are_each_distributions_95_percent_interval(table):
    for name in table.names:
        if not {"low", "high"} & set(next(r for r in ROWS if r["name"] == name)):
            expected = table.distribution_of(name).ppf([0.025, 0.975])
            assert (table[name].low, table[name].high) == pytest.approx(tuple(expected), rel=1e-12)


def test_loading_keeps_the_cells_as_written(table):
    frame = table.to_frame()
    assert frame.loc[frame.name == "cost_day", "se"].item() == 100.0
    assert frame.loc[frame.name == "p_event", "se"].isna().item()
    assert list(frame.name) == [r["name"] for r in ROWS]


# ---------------------------------------------------------------- malformed tables

CORRUPTIONS = {
    # corruption -> (row index in ROWS or None for header, column named in the error)
    "non_numeric": (lambda rows: rows[2].update(value="abc"), 2, "value"),
    "unknown_distribution": (lambda rows: rows[0].update(distribution="betta"), 0, "distribution"),
    "duplicate_name": (lambda rows: rows[3].update(name="p_event"), 3, "name"),
    "beta_mean_out_of_range": (lambda rows: rows[1].update(value="1.4"), 1, "value"),
    "negative_se": (lambda rows: rows[2].update(se="-5"), 2, "se"),
    "se_too_large_for_beta": (lambda rows: rows[1].update(se="0.6"), 1, "se"),
    "ci_without_point": (lambda rows: rows[3].update(ci_low="0.8"), 3, "value"),
    "low_above_value": (lambda rows: rows[4].update(low="61"), 4, "low"),
    "unused_argument": (lambda rows: rows[0].update(se="0.1"), 0, "se"),
    "empty_source": (lambda rows: rows[5].update(source=""), 5, "source"),
    "lower_above_upper": (lambda rows: rows[5].update(lower="40", value="35"), 5, "upper"),
    "dirichlet_value": (lambda rows: rows[8].update(value="0.7"), 8, "value"),
    "bad_status": (lambda rows: rows[0].update(status="maybe"), 0, "status"),
    "bad_year": (lambda rows: rows[2].update(price_year="20x9"), 2, "price_year"),
    "underscore_number": (lambda rows: rows[2].update(value="1_000"), 2, "value"),
    "arabic_indic_digits": (lambda rows: rows[4].update(value="٦٠"), 4, "value"),
    "infinity": (lambda rows: rows[7].update(value="Infinity"), 7, "value"),
    "digits_400": (lambda rows: rows[7].update(value="7" * 400), 7, "value"),
    "gamma_mean_1e300": (lambda rows: rows[2].update(value="1e300", se="1e299"), 2, "distribution"),
    "gamma_shape_overflows": (lambda rows: rows[2].update(value="1e300", se="1e-10"), 2, "se"),
    "lognormal_mean_overflows": (lambda rows: rows[3].update(value="1", ci_low="1e-300", ci_high="1e300"),
                                 3, "distribution"),
    "beta_se_underflows": (lambda rows: rows[1].update(se="1e-200"), 1, "se"),
    "uniform_too_wide": (lambda rows: rows[5].update(lower="-1e308", upper="1e308"), 5, "distribution"),
    "dirichlet_counts_overflow": (lambda rows: [r.update(alpha="1e308", value="0.5") for r in rows[8:]], 9, "alpha"),
    "probability_above_one": (lambda rows: rows[0].update(value="1.2"), 0, "value"),
    "formula_name": (lambda rows: rows[0].update(name="=HYPERLINK(\"x\")"), 0, "name"),
    "plus_name": (lambda rows: rows[0].update(name="+p_event"), 0, "name"),
    "at_name": (lambda rows: rows[0].update(name="@SUM"), 0, "name"),
    "tab_name": (lambda rows: rows[0].update(name="p\tevent\r"), 0, "name"),
    "digit_name": (lambda rows: rows[0].update(name="1p"), 0, "name"),
    "formula_group": (lambda rows: rows[2].update(group="-costs"), 2, "group"),
    "spaced_group": (lambda rows: [r.update(group="exit probabilities") for r in rows[8:]], 8, "group"),
}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_each_corruption_names_file_row_and_column(tmp_path, corruption):
    rows = [dict(r) for r in ROWS]
    corrupt, index, column = CORRUPTIONS[corruption]
    corrupt(rows)
    path = write_table(tmp_path / f"{corruption}.csv", rows)
    before = path.read_bytes()
    with pytest.raises(InputError) as caught:
        ParameterTable.load(path)
    error = caught.value
    assert error.file == str(path)
    assert error.row == index + 2, str(error)  # header is line 1
    assert error.column == column, str(error)
    assert path.read_bytes() == before  # inputs are never modified


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_arbitrary_text_is_an_input_error_or_a_table(tmp_path, text):
    path = tmp_path / "random.csv"
    path.write_text(text, encoding="utf-8")
    try:
        ParameterTable.load(path)
    except InputError as error:
        assert str(path) in str(error)


@pytest.mark.parametrize("header, message", [
    (COLUMNS[:-1], "missing column"), ((*COLUMNS, "extra"), "unknown column")])
def test_header_errors(tmp_path, header, message):
    path = write_table(tmp_path / "h.csv", ROWS, header)
    with pytest.raises(InputError, match=message) as caught:
        ParameterTable.load(path)
    assert caught.value.row == 1


def test_ragged_row_and_empty_file(tmp_path):
    path = write_table(tmp_path / "r.csv", ROWS)
    lines = path.read_text().splitlines()
    lines[3] += ",surplus"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="cells") as caught:
        ParameterTable.load(path)
    assert caught.value.row == 4
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match="empty"):
        ParameterTable.load(tmp_path / "empty.csv")
    with pytest.raises(InputError, match="not found"):
        ParameterTable.load(tmp_path / "missing.csv")


def test_csv_reader_is_not_fooled_by_quoted_commas(tmp_path):
    rows = [dict(r) for r in ROWS]
    rows[0]["description"] = "a, quoted, description"
    table = ParameterTable.load(write_table(tmp_path / "q.csv", rows))
    assert table["p_event"].description == "a, quoted, description"


NUMERIC_CELLS = [(i, c) for i, row in enumerate(ROWS) for c in ("value", "se", "ci_low", "ci_high",
                 "alpha", "beta", "lower", "upper", "low", "high") if row.get(c)]


@st.composite
def corrupted_tables(draw):
    """A valid table with one cell, column or row corrupted at random, and where the error
    must point: (rows, columns, extra line text, expected row, expected column)."""
    rows, columns = [dict(r) for r in ROWS], list(COLUMNS)
    i = draw(st.integers(0, len(ROWS) - 1))
    kind = draw(st.sampled_from(["number", "empty_name", "duplicate", "distribution", "source",
                                 "drop_column", "extra_column", "ragged"]))
    if kind == "number":
        i, column = draw(st.sampled_from(NUMERIC_CELLS))
        rows[i][column] = draw(st.sampled_from(["abc", "1,5", "nan", "inf", "--2", "0x"]))
        return rows, columns, None, i + 2, column
    if kind == "empty_name":
        rows[i]["name"] = ""
        return rows, columns, None, i + 2, "name"
    if kind == "duplicate":
        i = draw(st.integers(1, len(ROWS) - 1))
        rows[i]["name"] = ROWS[draw(st.integers(0, i - 1))]["name"]
        return rows, columns, None, i + 2, "name"
    if kind == "distribution":
        rows[i]["distribution"] = draw(st.sampled_from(["weibull", "Betta", "log-normal", ""]))
        return rows, columns, None, i + 2, "distribution"
    if kind == "source":
        rows[i]["source"] = " "
        return rows, columns, None, i + 2, "source"
    if kind == "drop_column":
        column = draw(st.sampled_from(COLUMNS))
        columns.remove(column)
        return rows, columns, None, 1, column
    if kind == "extra_column":
        column = draw(st.from_regex(r"[a-z_]{1,10}", fullmatch=True).filter(lambda c: c not in COLUMNS))
        columns.insert(draw(st.integers(0, len(columns))), column)
        return rows, columns, None, 1, column
    return rows, columns, i, i + 2, None  # ragged: one cell too many on row i


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corrupted_tables())
def test_random_corruption_names_file_row_and_column(tmp_path, corrupted):
    rows, columns, ragged, row, column = corrupted
    path = write_table(tmp_path / "corrupt.csv", rows, columns)
    if ragged is not None:
        lines = path.read_text().splitlines()
        lines[ragged + 1] += ",surplus"
        path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as caught:
        ParameterTable.load(path)
    error = caught.value
    assert (error.file, error.row, error.column) == (str(path), row, column), str(error)
    assert str(path) in str(error) and f"row {row}" in str(error)


def test_hints_for_spreadsheet_habits(tmp_path):
    path = tmp_path / "semicolons.csv"
    path.write_text(";".join(COLUMNS) + "\n")
    with pytest.raises(InputError, match="semicolons"):
        ParameterTable.load(path)
    rows = [dict(r) for r in ROWS]
    rows[4]["value"] = "60,5"
    with pytest.raises(InputError, match="decimal separator"):
        ParameterTable.load(write_table(tmp_path / "comma.csv", rows))


def test_value_outside_the_default_range_is_refused(tmp_path):
    rows = [dict(r) for r in ROWS]
    rows[0]["value"] = "0.9"  # Beta(30, 70) has a 95 % interval of about [0.21, 0.39]
    with pytest.raises(InputError, match="default one-way range") as caught:
        ParameterTable.load(write_table(tmp_path / "range.csv", rows))
    assert (caught.value.row, caught.value.column) == (2, "value")


def test_seed_sequence_is_not_advanced_and_rows_added_at_the_end_keep_their_draws(tmp_path, table):
    sequence = np.random.SeedSequence(2024)
    first, second = table.sample(50, sequence), table.sample(50, sequence)
    assert all(np.array_equal(first[n], second[n]) for n in table.names)
    assert all(np.array_equal(first[n], table.sample(50, 2024)[n]) for n in table.names)
    longer = [*ROWS, {"name": "extra", "value": "2", "distribution": "gamma", "se": "1", "source": "x"}]
    extended = ParameterTable.load(write_table(tmp_path / "longer.csv", longer)).sample(50, 2024)
    assert all(np.array_equal(first[n], extended[n]) for n in table.names)


def test_sample_equals_from_unit_of_the_same_draws(table):
    u = np.random.default_rng(0).random((200, len(table.uncertain)))
    sets = table.from_unit(u)
    column = table.uncertain.index("cost_day")
    np.testing.assert_allclose(sets["cost_day"], table["cost_day"].distribution.ppf(u[:, column]))
    np.testing.assert_allclose(sets["stay"] + sets["leave"], 1.0)
    with pytest.raises(InputError, match="infinite"):
        table.from_unit(np.zeros((1, len(table.uncertain))))


def test_dirichlet_overrides_must_leave_room_for_the_siblings(table):
    with pytest.raises(InputError, match="at most one"):
        table.override(table.base_case(), {"stay": 1.2})
    with pytest.raises(InputError, match="sum to one"):
        table.override(table.base_case(), {"stay": 0.5, "leave": 0.4})
    both = table.override(table.base_case(), {"stay": 0.6, "leave": 0.4})
    assert (both["stay"][0], both["leave"][0]) == (0.6, 0.4)


def test_monetary_beta_cannot_change_price_year(tmp_path, table):
    index = PriceIndex.load("hecon_models/inputs/ifn_gamma/france_cpi.csv")
    converted = table.in_price_year(2024, index)
    factor = 119.82 / 93.29
    assert converted["cost_day"].value == pytest.approx(1000 * factor)
    assert converted["cost_day"].distribution.scipy.std() == pytest.approx(100 * factor)
    assert converted["cost_day"].low == pytest.approx(table["cost_day"].low * factor)
    assert converted["hr"] == table["hr"]  # not monetary
    rows = [dict(r) for r in ROWS]
    rows[0]["price_year"] = "2009"
    with pytest.raises(InputError, match="beta") as caught:
        ParameterTable.load(write_table(tmp_path / "money.csv", rows)).in_price_year(2024, index)
    assert (caught.value.row, caught.value.column) == (2, "distribution")


def test_worked_table_in_the_documentation_loads(tmp_path):
    text = Path("docs/parameters.md").read_text(encoding="utf-8")
    block = text.split("```csv\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "worked.csv"
    path.write_text(block, encoding="utf-8")
    table = ParameterTable.load(path)
    kinds = {p.distribution.kind if p.distribution else "dirichlet" for p in table.parameters.values()}
    assert kinds == {"beta", "gamma", "lognormal", "normal", "truncnormal", "uniform",
                     "triangular", "pert", "fixed", "dirichlet"}
    assert table.dirichlet_groups == {"sick_exits": ["sick_recover", "sick_die", "sick_stay"]}
    assert table.groups["costs"] == ["cost_icu_day", "cost_drug_course"]
    assert table["cost_drug_course"].distribution.mean() == pytest.approx(20)
    labels = table.labels
    assert labels["cost_icu_day"] == "ICU day cost"                      # the label cell
    assert labels["hr_infection"] == "Hazard ratio of infection"          # the description, aside left out
    assert labels["discount_rate"] == "Annual discount rate"


# ---------------------------------------------------------------- labels

def test_a_table_without_the_label_column_reads_descriptions_as_labels(table, tmp_path):
    assert table["hr"].label == "" and table.labels["hr"] == "hr"        # no description: the name
    rows = [{**r, "description": f"Row {r['name']} (note)"} for r in ROWS]
    described = ParameterTable.load(write_table(tmp_path / "d.csv", rows))
    assert described.labels["hr"] == "Row hr"
    assert "label" in described.to_frame() and (described.to_frame()["label"] == "").all()


def test_labels_from_the_label_column_and_colliding_descriptions(tmp_path):
    rows = [dict(r) for r in ROWS]
    rows[0].update(description="Probability of the event (trial A)")
    rows[1].update(description="Probability of the event (trial B)")
    rows[3].update(description="Hazard ratio (adjusted (Cox))", label="HR of infection")
    table = ParameterTable.load(write_table(tmp_path / "l.csv", rows, (*COLUMNS, "label")))
    labels = table.labels
    assert labels["hr"] == "HR of infection" and table["hr"].label == "HR of infection"
    assert (labels["p_event"], labels["p_fit"]) == ("Probability of the event (trial A)",
                                                    "Probability of the event (trial B)")
    assert len(set(labels.values())) == len(labels)
    assert table.with_changes(values={"age": 61})["hr"].label == "HR of infection"  # kept through changes


@pytest.mark.parametrize(("label", "message"), [("Mean age at admission", r"also the label of 'p_event' \(row 2\)"),
                                                ("two\nlines", "line break")])
def test_a_duplicate_or_broken_label_is_refused(tmp_path, label, message):
    rows = [dict(r) for r in ROWS]
    rows[0]["label"], rows[4]["label"] = "Mean age at admission", label
    path = write_table(tmp_path / "bad.csv", rows, (*COLUMNS, "label"))
    with pytest.raises(InputError, match=message) as caught:
        ParameterTable.load(path)
    assert (caught.value.row, caught.value.column) == (6, "label")


def test_a_misspelt_label_column_is_refused_with_the_right_name(tmp_path):
    with pytest.raises(InputError, match="did you mean label") as caught:
        ParameterTable.load(write_table(tmp_path / "x.csv", ROWS, (*COLUMNS, "lable")))
    assert caught.value.column == "lable"


@given(st.text(st.characters(blacklist_characters="()", blacklist_categories=["Cs"]), max_size=40),
       st.text(st.characters(blacklist_characters="()", blacklist_categories=["Cs"]), max_size=20))
def test_without_asides_keeps_the_text_outside_parentheses(text, aside):
    assert without_asides(text) == " ".join(text.split())
    assert without_asides(f"{text} ({aside} ({aside})) {text}") == " ".join(f"{text} {text}".split())
