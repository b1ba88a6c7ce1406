"""`--workers N` / `--scheduler ADDRESS` (hecon.cli.inputs): on every command that evaluates a
batch, the same results as in process, the cluster in the manifest, one clear refusal."""

from __future__ import annotations

import gzip
import json

import pytest
from typer.testing import CliRunner

from hecon.analysis.threads import cores
from hecon.cli import app

COMMANDS = ("psa", "gsa", "dsa", "twoway", "threshold", "scenarios", "run", "evsi", "trial update")


def invoke(*arguments):
    return CliRunner().invoke(app, list(map(str, arguments)))


@pytest.mark.parametrize("command", COMMANDS)
def test_every_batch_command_takes_workers_or_a_scheduler(command):
    result = invoke(*command.split(), "--help")
    assert result.exit_code == 0
    assert "--workers" in result.output and "--scheduler" in result.output


def test_a_psa_on_two_workers_writes_the_same_draws_and_records_its_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    folders = {name: tmp_path / name for name in ("here", "there")}
    common = ("psa", "example_sick", "--n", 60, "--seed", 2, "--evppi", "none", "--quiet")
    assert invoke(*common, "--out", folders["here"]).exit_code == 0
    result = invoke(*common, "--chunk-size", 25, "--workers", 2, "--out", folders["there"])
    assert result.exit_code == 0, result.output
    here, there = ({**json.loads((f / "manifest.json").read_text())} for f in folders.values())
    assert here["cluster"] == {"engine": "in process", "threads": cores()}
    cluster = there["cluster"]
    assert (cluster["engine"], cluster["workers"], cluster["threads"]) == ("dask", 2, 2)
    assert cluster["dask"] and cluster["distributed"] == distributed.__version__
    assert gzip.decompress((folders["here"] / "psa.csv.gz").read_bytes()) == \
        gzip.decompress((folders["there"] / "psa.csv.gz").read_bytes())


def test_the_evsi_on_two_workers_equals_the_evsi_in_process(tmp_path):
    pytest.importorskip("distributed")
    folders = {name: tmp_path / name for name in ("here", "there")}
    common = ("evsi", "ifn_gamma", "--n", 200, "--n-per-arm", "50,163", "--quiet")
    assert invoke(*common, "--out", folders["here"]).exit_code == 0
    result = invoke(*common, "--workers", 2, "--out", folders["there"])
    assert result.exit_code == 0, result.output
    assert (folders["here"] / "evsi.csv").read_bytes() == (folders["there"] / "evsi.csv").read_bytes()
    assert json.loads((folders["there"] / "manifest.json").read_text())["cluster"]["workers"] == 2


def test_workers_and_a_scheduler_together_are_refused_in_one_line(tmp_path):
    result = invoke("dsa", "example_sick", "--workers", 2, "--scheduler", "tcp://127.0.0.1:8786",
                    "--out", tmp_path / "dsa")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: --workers and --scheduler are given together (fix: give --workers N for a cluster on this "
        "machine, or --scheduler ADDRESS for an existing one)"]
    assert not (tmp_path / "dsa").exists()


def test_no_worker_is_refused_before_any_work(tmp_path):
    result = invoke("gsa", "example_sick", "--workers", 0, "--out", tmp_path / "gsa")
    assert result.exit_code == 2
    assert result.output.startswith("error: Invalid value for '--workers': Input should be greater than or equal to 1")
