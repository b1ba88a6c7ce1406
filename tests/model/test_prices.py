"""Price indices: the shipped French CPI, factors, and clear refusals."""

import pytest

from hecon.errors import InputError
from hecon.model.prices import PriceIndex

CPI = "hecon_models/inputs/ifn_gamma/france_cpi.csv"


def test_all_items_2009_to_2024():
    index = PriceIndex.load(CPI)
    assert index.factor(2009, 2024) == pytest.approx(119.82 / 93.29)
    assert index.factor(2009, 2024) == pytest.approx(1.284, abs=5e-4)
    assert index.factor(2015, 2015) == 1.0
    assert index.factor(2024, 2009) * index.factor(2009, 2024) == pytest.approx(1.0)


def test_health_series_is_another_series():
    health = PriceIndex.load(CPI, series="health_coicop06")
    assert health.series == "health_coicop06"
    assert health.factor(2009, 2015) == pytest.approx(100.00 / 104.79)


def test_missing_year_and_unknown_series_name_the_file():
    index = PriceIndex.load(CPI)
    with pytest.raises(InputError, match="2009–2024") as caught:
        index.factor(2030, 2024)
    assert caught.value.file == CPI and "2030" in str(caught.value)
    with pytest.raises(InputError, match="all_items") as caught:
        PriceIndex.load(CPI, series="energy")
    assert caught.value.column == "series"


@pytest.mark.parametrize("body, row, column", [
    ("2019,100\n2020,x\n", 3, "index"),
    ("2019,100\n2020,-1\n", 3, "index"),
    ("2019,100\n20x0,101\n", 3, "year"),
    ("2019,100\n2019,101\n", 3, "year"),
])
def test_malformed_index_rows(tmp_path, body, row, column):
    path = tmp_path / "cpi.csv"
    path.write_text("year,index\n" + body)
    with pytest.raises(InputError) as caught:
        PriceIndex.load(path)
    assert (caught.value.file, caught.value.row, caught.value.column) == (str(path), row, column)


def test_missing_column_and_missing_file(tmp_path):
    path = tmp_path / "cpi.csv"
    path.write_text("year,value\n2019,100\n")
    with pytest.raises(InputError, match="index"):
        PriceIndex.load(path)
    with pytest.raises(InputError):
        PriceIndex.load(tmp_path / "absent.csv")
