"""`hecon export` end to end (hecon.cli.export_commands): the files R reads, the way back into
`hecon cea`, and clean refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hecon.results.export import FORMATS
from hecon.results.folder import write_csv
from tests.fuzz.conftest import refused
from tests.results.test_export import hecon

ICER_COLUMNS = ["strategy", "cost", "effect", "incremental_cost", "incremental_effect", "icer", "status"]


@pytest.fixture(scope="module")
def psa_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("psa") / "psa"
    hecon("psa", "example_sick", "--n", 80, "--evppi", "none", "--seed", 2, "--out", out, "--quiet")
    return out


@pytest.fixture(scope="module")
def exported(psa_folder, tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """Format → (export folder, console output)."""
    root = tmp_path_factory.mktemp("export")
    return {to: (root / to, hecon("export", psa_folder, "--to", to, "--out", root / to).output)
            for to in FORMATS}


def icers_of(psa_file: Path, out: Path) -> pd.DataFrame:
    hecon("cea", psa_file, "--out", out, "--quiet")
    return pd.read_csv(out / "icers.csv")[ICER_COLUMNS]


@pytest.mark.parametrize("to, files", [
    ("dampack", {"cost.csv", "effectiveness.csv", "parameters.csv"}),
    ("bcea", {"e.csv", "c.csv", "parameters.csv"}),
])
def test_export_writes_what_the_package_reads(exported, to, files):
    out, output = exported[to]
    assert {p.name for p in out.iterdir()} == files | {"psa_long.csv", "manifest.json"}
    assert "80 draws × 3 strategies (standard_care, drug_a, drug_b)" in output
    assert "reference: standard_care (BCEA ref = 1)" in output
    assert "effect: qalys_disc" in output and "uncertain parameters (14)" in output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["results"]["export"]["ref"] == 1


def test_hecon_cea_reads_the_export_back_to_the_same_icers(psa_folder, exported, tmp_path):
    """The ICER table of `hecon psa`, of `hecon cea` on its psa.csv.gz, on psa_long.csv and on
    dampack's and BCEA's matrices joined in the wide layout (dampack's <Strategy>_Cost /
    <Strategy>_Eff) is one table."""
    expected = pd.read_csv(psa_folder / "icers.csv")[ICER_COLUMNS]
    pd.testing.assert_frame_equal(icers_of(psa_folder / "psa.csv.gz", tmp_path / "original"), expected)
    dampack, bcea = exported["dampack"][0], exported["bcea"][0]
    pd.testing.assert_frame_equal(icers_of(dampack / "psa_long.csv", tmp_path / "long"), expected)
    for cost_file, effect_file in ((dampack / "cost.csv", dampack / "effectiveness.csv"),
                                   (bcea / "c.csv", bcea / "e.csv")):
        cost, effect = pd.read_csv(cost_file), pd.read_csv(effect_file)
        wide = pd.concat([cost.add_suffix("_Cost"), effect.add_suffix("_Eff")], axis=1)
        path = write_csv(wide, tmp_path / f"{cost_file.parent.name}_wide.csv")
        pd.testing.assert_frame_equal(icers_of(path, tmp_path / cost_file.parent.name), expected)


def test_a_run_folder_is_exported_with_the_icers_of_its_psa(tmp_path):
    run = tmp_path / "run"
    hecon("run", "example_sick", "--quick", "--out", run, "--quiet")
    hecon("export", run, "--to", "bcea", "--out", tmp_path / "bcea", "--quiet")
    assert pd.read_csv(tmp_path / "bcea" / "e.csv").shape == (200, 3)
    pd.testing.assert_frame_equal(icers_of(tmp_path / "bcea" / "psa_long.csv", tmp_path / "cea"),
                                  pd.read_csv(run / "icers_psa.csv")[ICER_COLUMNS])


def test_an_existing_results_folder_is_replaced(psa_folder, tmp_path):
    out = tmp_path / "r"
    hecon("export", psa_folder, "--to", "dampack", "--out", out, "--quiet")
    hecon("export", psa_folder, "--to", "bcea", "--out", out, "--quiet")
    assert {p.name for p in out.iterdir()} == {"e.csv", "c.csv", "parameters.csv", "psa_long.csv",
                                               "manifest.json"}


def test_a_folder_without_psa_draws_is_refused(workdir, exported):
    cea_like = exported["bcea"][0]  # a hecon results folder, but not of a PSA
    refused(["export", cea_like, "--to", "bcea", "--out", "r"], watch=[cea_like],
            contains="holds no psa.csv.gz")


def test_an_unknown_format_is_refused(workdir, psa_folder):
    refused(["export", psa_folder, "--to", "heemod", "--out", "r"], watch=[psa_folder],
            contains="unknown export format 'heemod'")


def test_a_missing_format_is_refused(workdir, psa_folder):
    refused(["export", psa_folder, "--out", "r"], watch=[psa_folder], contains="--to")


def test_an_existing_folder_that_is_not_hecon_results_is_refused(workdir, psa_folder):
    mine = workdir / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    refused(["export", psa_folder, "--to", "bcea", "--out", mine], watch=[psa_folder, mine],
            contains="not a hecon results folder")


def test_an_output_inside_the_results_folder_read_is_refused(workdir, psa_folder):
    refused(["export", psa_folder, "--to", "bcea", "--out", psa_folder / "r"], watch=[psa_folder],
            contains="inside the results folder read")


def test_the_results_folder_read_as_output_is_refused(workdir, psa_folder):
    refused(["export", psa_folder, "--to", "bcea", "--out", psa_folder], watch=[psa_folder],
            contains="holds an input of this run")


def test_an_unknown_reference_or_effect_is_refused(workdir, psa_folder):
    refused(["export", psa_folder, "--to", "bcea", "--out", "r", "--reference", "drug_c"],
            watch=[psa_folder], contains="unknown reference strategy 'drug_c'")
    refused(["export", psa_folder, "--to", "bcea", "--out", "r", "--effect", "qalys"],
            watch=[psa_folder], contains="declares no effect 'qalys'")


def test_a_missing_or_damaged_source_is_refused(workdir, psa_folder):
    refused(["export", workdir / "nowhere", "--to", "bcea", "--out", "r"], contains="file not found")
    damaged = workdir / "damaged"
    damaged.mkdir()
    (damaged / "psa.csv.gz").write_bytes(b"\x1f\x8b not gzip")
    (damaged / "manifest.json").write_text(json.dumps({"tool": "hecon", "command": "psa",
                                                       "model": "example_sick"}))
    refused(["export", damaged, "--to", "dampack", "--out", "r"], watch=[damaged],
            contains="damaged gzip")


@given(st.text(max_size=12).filter(lambda to: to not in FORMATS))
def test_any_other_format_is_refused(workdir, psa_folder, to):
    refused(["export", psa_folder, "--to", to, "--out", "r"], watch=[psa_folder])
