"""Results folders (hecon.results.folder): never replace what hecon did not write; atomic under kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hecon.cli import app
from hecon.errors import InputError
from hecon.results import folder as io
from tests.fuzz.conftest import snapshot

runner = CliRunner()
PUBLISHED = Path(__file__).resolve().parents[3] / "shared" / "data" / "published-psa"


def base(out: object, *extra: str):
    return runner.invoke(app, ["base", "example_sick", "--out", str(out), "--quiet", *extra])


def refused_base(out: object, *watch: Path, contains: str) -> None:
    """`hecon base --out out` refused with one line and exit 2, every watched file unchanged."""
    before = snapshot(*watch)
    result = base(out)
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1 and contains in result.stderr, result.stderr
    assert snapshot(*watch) == before


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A folder of the user's files (sources, data, a hidden .git) as the working folder."""
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / "src").mkdir()
    (root / "src" / "model.py").write_text("print('mine')\n")
    (root / "data.csv").write_text("a,b\n1,2\n")
    monkeypatch.chdir(root)
    return root


def test_an_empty_out_is_refused_and_the_working_folder_is_untouched(project):
    refused_base("", project, contains="empty or the working folder")


def test_the_working_folder_and_every_folder_above_it_are_refused(project):
    refused_base(".", project, contains="working folder")
    refused_base(project, project, contains="working folder")
    refused_base(project.parent, project, contains="working folder")
    refused_base("/", project, contains="working folder")


def test_the_home_folder_is_refused(project):
    refused_base(Path.home(), project, contains="home folder")


def test_a_folder_of_unrelated_files_is_refused_byte_identical(project, tmp_path):
    other = tmp_path / "notes"
    other.mkdir()
    (other / "thesis.tex").write_text("\\chapter{One}\n")
    (other / ".hidden").write_bytes(os.urandom(64))
    refused_base(other, other, project, contains="not a hecon results folder")


def test_a_results_folder_with_a_file_the_user_added_is_refused(project, tmp_path):
    out = tmp_path / "results"
    assert base(out).exit_code == 0
    (out / "my_notes.txt").write_text("keep me\n")
    refused_base(out, out, contains="files hecon did not write")


def test_a_results_folder_holding_an_input_of_the_run_is_refused(tmp_path):
    """The PSA file read by `hecon cea` sits in an earlier results folder named as --out."""
    earlier = tmp_path / "earlier"
    with io.results_folder(earlier) as folder:
        (folder / "psa.csv").write_bytes((PUBLISHED / "dampack_example_psa.csv").read_bytes())
        io.write_manifest(folder, io.manifest(model="psa-file", command="cea"))
    before = snapshot(earlier)
    for command in ("cea", "voi"):
        result = runner.invoke(app, [command, str(earlier / "psa.csv"), "--out", str(earlier)])
        assert result.exit_code == 2 and "holds an input" in result.stderr, result.output
        assert snapshot(earlier) == before
    with pytest.raises(InputError, match="holds an input"):
        io.check_out(tmp_path, [earlier / "psa.csv"])


def test_a_file_a_symlink_and_unwritable_places_are_refused(project, tmp_path):
    refused_base(project / "data.csv", project, contains="not a folder")
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "anywhere", target_is_directory=True)
    refused_base(link, project, contains="symbolic link")
    for place in ("/proc/hecon", "/sys/hecon", str(project / "data.csv" / "below")):
        refused_base(place, project, contains="cannot write there")


def test_an_empty_folder_may_be_used_and_a_results_folder_replaced(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert base(out).exit_code == 0
    first = json.loads((out / "manifest.json").read_text())
    assert first["tool"] == "hecon" and first["command"] == "base"
    assert set(first["files"]) == {"cost_consequence.csv", "icers.csv", "outcomes.csv"}
    assert set(first["versions"]) == {"numpy", "scipy", "pandas", "SALib", "plotly"}
    assert base(out).exit_code == 0
    assert io.is_results_folder(out)
    assert [p.name for p in tmp_path.iterdir()] == ["empty"]  # no staging folder left


def test_check_out_accepts_a_new_folder_and_creates_nothing(tmp_path):
    out = tmp_path / "a" / "b" / "c"
    assert io.check_out(out) == out.resolve()
    assert list(tmp_path.iterdir()) == []


def test_a_failed_run_leaves_the_old_results_and_no_staging(tmp_path):
    out = tmp_path / "results"
    assert base(out).exit_code == 0
    before = snapshot(out)
    with pytest.raises(ZeroDivisionError), io.results_folder(out) as folder:
        (folder / "half.csv").write_text("x\n")
        raise ZeroDivisionError
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["results"]


def test_abandoned_staging_folders_are_removed_only_when_hecon_s_and_dead(tmp_path):
    dead = tmp_path / ".results.abcd1234"
    (dead / "results").mkdir(parents=True)
    (dead / io.STAGING_MARKER).write_text("999999999 123\n")
    alive = tmp_path / ".results.efgh5678"
    alive.mkdir()
    (alive / io.STAGING_MARKER).write_text(f"{os.getpid()} {io._process_start(os.getpid())}\n")
    foreign = tmp_path / ".results.ijkl9012"  # the same name pattern, not hecon's
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine\n")
    notes = []
    with io.results_folder(tmp_path / "results", note=notes.append) as folder:
        io.write_manifest(folder, io.manifest(model="m", command="test"))
    assert not dead.exists() and alive.exists() and (foreign / "keep.txt").read_text() == "mine\n"
    assert len(notes) == 1 and ".results.abcd1234" in notes[0]


def test_a_manifest_must_be_written(tmp_path):
    with pytest.raises(RuntimeError, match="manifest"), io.results_folder(tmp_path / "r"):
        pass
    assert list(tmp_path.iterdir()) == []


def test_report_rebuilds_only_a_results_folder(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "manifest.json").write_text('{"model": "ifn_gamma"}')
    before = snapshot(folder)
    result = runner.invoke(app, ["report", str(folder)])
    assert result.exit_code == 2 and "not a hecon results folder" in result.stderr
    assert snapshot(folder) == before
    with pytest.raises(InputError), io.updated_results_folder(folder):
        pass


# ----------------------------------------------------------------------------- kill -9

def _complete(out: Path) -> bool:
    """The folder holds exactly the files its manifest lists, each with its recorded hash."""
    manifest = json.loads((out / "manifest.json").read_text())
    files = {p.name for p in out.iterdir()} - {"manifest.json"}
    return files == set(manifest["files"]) and all(
        io.sha256(out / name) == digest for name, digest in manifest["files"].items())


def test_kill_9_at_any_moment_leaves_old_or_new_results_never_a_mix(tmp_path):
    out = tmp_path / "results"
    command = [sys.executable, "-m", "hecon", "psa", "example_sick", "--n", "300", "--evppi",
               "none", "--quiet", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    subprocess.run(command + ["--seed", "1"], check=True, env=env, cwd=tmp_path)
    old = snapshot(out)
    start = time.perf_counter()
    subprocess.run(command + ["--seed", "2"], check=True, env=env, cwd=tmp_path)
    duration = time.perf_counter() - start
    seeds = set()
    for fraction in (0.2, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 1.0):
        process = subprocess.Popen(command + ["--seed", str(3)], env=env, cwd=tmp_path)
        time.sleep(duration * fraction)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert _complete(out)
        seeds.add(json.loads((out / "manifest.json").read_text())["seed"])
    assert seeds <= {2, 3}
    left = len(list(tmp_path.iterdir())) > 1  # a staging folder of the last killed run
    rerun = subprocess.run(command + ["--seed", "1"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert _complete(out) and json.loads((out / "manifest.json").read_text())["seed"] == 1
    assert set(snapshot(out)) == set(old)
    assert [p.name for p in tmp_path.iterdir()] == ["results"]  # staging folders cleaned
    assert ("removed" in rerun.stderr) == left
