"""Life tables: reading, the piecewise-constant force of mortality, extrapolation, errors."""

import numpy as np
import pandas as pd
import pytest

from hecon.errors import InputError
from hecon.model.lifetable import CLOSING_HAZARD, LifeTable

INPUTS = "hecon_models/inputs/ifn_gamma/"


@pytest.fixture(scope="module")
def insee():
    return LifeTable.load(INPUTS + "france_life_table.csv")


def test_insee_life_expectancy_at_birth_matches_source(insee):
    # france_life_table.SOURCE.md: e0 recomputed from the table with a Gompertz closure,
    # men 79.27, women 85.20 (mid-year deaths; the source's a0 = 0.1 moves e0 by < 0.002)
    assert insee.life_expectancy(0, 0) == pytest.approx(79.27, abs=0.01)
    assert insee.life_expectancy(0, 1) == pytest.approx(85.20, abs=0.01)


def test_force_of_mortality_reproduces_qx(insee):
    frame = pd.read_csv(INPUTS + "france_life_table.csv")
    male = frame[(frame.sex == "male") & (frame.age < 100)]
    q = 1 - np.exp(-(insee.cumulative_hazard(male.age + 1.0, 0) - insee.cumulative_hazard(male.age, 0)))
    np.testing.assert_allclose(q, male.qx, atol=1e-12)


def test_cumulative_hazard_is_linear_within_a_year(insee):
    whole = insee.cumulative_hazard(np.array([62.0, 63.0]), 1)
    assert insee.cumulative_hazard(62.25, 1) == pytest.approx(whole[0] + 0.25 * (whole[1] - whole[0]))


def test_open_interval_is_replaced_by_the_tail(insee):
    assert insee.closing_age == 110
    assert insee.hazard[0, 110] == CLOSING_HAZARD
    assert insee.hazard[1, 99] < insee.hazard[1, 100] < 1.0  # 100+ extrapolated, not q = 1


def test_short_table_is_extended_by_a_gompertz_tail():
    table = LifeTable.load(INPUTS + "france_life_table_eurostat2023.csv")
    assert table.closing_age == 110
    tail = table.hazard[1, 95:105]
    assert np.all(np.diff(np.log(tail)) > 0.05)  # mortality keeps rising ~8–10 % a year
    assert np.all(tail < 1.0)


def test_missing_column_is_named(tmp_path):
    path = tmp_path / "lt.csv"
    path.write_text("age,sex\n0,male\n")
    with pytest.raises(InputError, match="qx"):
        LifeTable.load(path)


def test_probability_above_one_names_row(tmp_path):
    path = tmp_path / "lt.csv"
    rows = ["age,sex,qx"] + [f"{a},{s},0.01" for s in ("male", "female") for a in range(3)]
    rows[2] = "1,male,1.5"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(InputError, match="row 3"):
        LifeTable.load(path)
