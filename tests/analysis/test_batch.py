"""Batches in chunks, in process and on a real Dask LocalCluster (worker processes, one thread
each, within CI's two cores): identical results whatever the engine, the number of workers,
the chunk size or a worker killed mid-run; no dask import without a cluster."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hecon.analysis import batch
from hecon.analysis.batch import DaskEngine, Draws, Overrides, Sets, engine, evaluate_batch
from hecon.analysis.gsa import global_sensitivity
from hecon.analysis.psa import run_psa
from hecon.analysis.scenarios import load_scenarios, run_scenarios
from hecon.analysis.sensitivity import Measure, one_way, threshold, two_way
from hecon.cli.pipeline import write_psa
from hecon.errors import InputError
from hecon.model import Model
from hecon.model.parameters import SAMPLING_BLOCK
from hecon.model.skeleton import write_skeleton
from tests.analysis.models import LinearModel

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    """Two worker processes of one thread each (a test may scale to three and back)."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster, distributed.Client(cluster) as connected:
        yield connected


@pytest.fixture(scope="module")
def cluster(client):
    return DaskEngine(client)


def workers(client, n: int) -> None:
    """Scale the cluster to exactly n workers."""
    client.cluster.scale(n)
    deadline = time.monotonic() + 120
    while len(client.nthreads()) != n:
        assert time.monotonic() < deadline, f"the cluster did not reach {n} workers"
        time.sleep(0.1)


def decompressed(folder: Path) -> bytes:
    return gzip.decompress((folder / "psa.csv.gz").read_bytes())


def test_the_psa_file_is_the_same_bytes_in_process_on_two_and_on_three_workers(sick, client, cluster, tmp_path):
    """Each run chunks the draws differently (writing a larger file only takes longer: the
    draws across a sampling block are compared in the next test)."""
    n = 1_500
    runs = {"in_process": (batch.IN_PROCESS, 1_500), "two_workers": (cluster, 400)}
    for name, (where, chunk) in runs.items():
        write_psa(sick, tmp_path / name, n=n, seed=11, chunk_size=chunk, evppi="none", engine=where)
    workers(client, 3)
    try:
        write_psa(sick, tmp_path / "three_workers", n=n, seed=11, chunk_size=299, evppi="none", engine=cluster)
        assert cluster.describe()["workers"] == 3
    finally:
        workers(client, 2)
    expected = decompressed(tmp_path / "in_process")
    assert len(pd.read_csv(tmp_path / "in_process" / "psa.csv.gz")) == 3 * n
    assert decompressed(tmp_path / "two_workers") == expected
    assert decompressed(tmp_path / "three_workers") == expected


@pytest.mark.parametrize("sampler", ["generator", "inversion"])
def test_every_outcome_and_draw_of_a_psa_across_sampling_blocks_is_identical_on_the_cluster(sick, cluster, sampler):
    """The workers sample their chunks (3,001 draws, so that chunks straddle the blocks)."""
    n = SAMPLING_BLOCK + 2_000
    here = run_psa(sick, n, 5, chunk_size=n, sampler=sampler)
    there = run_psa(sick, n, 5, chunk_size=3_001, sampler=sampler, engine=cluster)
    for name in here.outcomes.names:
        np.testing.assert_array_equal(here.outcomes[name], there.outcomes[name], err_msg=name)
    pd.testing.assert_frame_equal(here.frame(), there.frame(), check_exact=True)
    pd.testing.assert_frame_equal(here.invalid, there.invalid)


@pytest.mark.parametrize("method, n", [("sobol", 64), ("morris", 8)])
def test_global_sensitivity_is_identical_on_the_cluster(sick, cluster, method, n):
    measure = Measure(sick)
    here = global_sensitivity(sick, sick.parameters, measure, method, n, seed=3)
    seen: list[int] = []
    there = global_sensitivity(sick, sick.parameters, measure, method, n, seed=3, engine=cluster,
                               progress=seen.append)
    pd.testing.assert_frame_equal(here.table, there.table, check_exact=True)
    assert here.meta == there.meta and sum(seen) == there.meta["design_points"]


@pytest.mark.parametrize("analysis", [
    lambda m, t, e: one_way(m, t, measure=Measure(m, "icer"), engine=e),
    lambda m, t, e: two_way(m, t, "p_sick_die", "utility_sick", steps=6, engine=e),
    lambda m, t, e: threshold(m, t, "cost_drug_a", [20_000.0, 50_000.0], bounds=(0.0, 50_000.0), engine=e),
    lambda m, t, e: run_scenarios(m, load_scenarios(m.input_dir / "scenarios", m), psa_n=300, engine=e),
], ids=["one_way", "two_way", "threshold", "scenarios"])
def test_the_sensitivity_analyses_are_identical_on_the_cluster(sick, cluster, analysis):
    here, there = analysis(sick, sick.parameters, None), analysis(sick, sick.parameters, cluster)
    for stem, table in here.tables().items():
        pd.testing.assert_frame_equal(table, there.tables()[stem], check_exact=True)


def test_each_batch_gives_its_sets_chunk_by_chunk(sick):
    table = sick.parameters
    whole = table.sample(25, 2)
    values = np.linspace(0.1, 0.2, 25)
    for recipe, expected in [(Draws(table, 25, 2), whole), (Sets(whole), whole),
                             (Overrides(table, {"p_sick_die": values}),
                              table.override(table.base_case(25), {"p_sick_die": values}))]:
        parts = [recipe.sets(start, stop) for start, stop in batch.chunk_bounds(recipe.n, 7)]
        assert [p.n for p in parts] == [7, 7, 7, 4]
        for name in table.names:
            np.testing.assert_array_equal(np.concatenate([p[name] for p in parts]), expected[name])


def test_a_summary_is_computed_where_the_chunk_is_and_joined_in_order(sick, cluster):
    draws, measure = Draws(sick.parameters, 50, 8), Measure(sick, "cost")
    outcomes = evaluate_batch(sick, sick.options(), draws)
    seen: list[int] = []
    summary = evaluate_batch(sick, sick.options(), draws, chunk_size=9, engine=cluster,
                             summary=measure.summary, progress=seen.append)
    np.testing.assert_array_equal(summary, measure.of(outcomes))
    assert sorted(seen) == [5, 9, 9, 9, 9, 9]


def test_the_model_travels_by_its_source_and_its_inputs_folder(sick, tmp_path, cluster):
    """A model file with its own inputs folder: the workers load it from its path."""
    path = write_skeleton("mine", tmp_path)[0]
    model = Model(path)
    here = run_psa(model, 40, 1, chunk_size=40)
    there = run_psa(model, 40, 1, chunk_size=15, engine=cluster)
    np.testing.assert_array_equal(here.outcomes.total_cost, there.outcomes.total_cost)
    assert batch.ModelSource.of(model) == batch.ModelSource(str(path.resolve()), str(model.input_dir),
                                                            str(model.table_file), path.stat().st_mtime_ns)
    assert batch.ModelSource.of(sick).modified == 0  # a registered model, found by its name


def test_a_model_a_worker_cannot_load_is_refused_before_anything_is_sent(table, cluster):
    with pytest.raises(InputError, match="LinearModel is not a model loaded by name or file"):
        run_psa(LinearModel(), 10, 1, table=table, engine=cluster)


def test_workers_and_scheduler_together_or_no_worker_are_refused():
    with pytest.raises(InputError, match="--workers and --scheduler are given together"), \
            engine(workers=2, scheduler="tcp://127.0.0.1:8786"):
        pass
    with pytest.raises(InputError, match="--workers 0: a cluster needs at least one worker"), engine(workers=0):
        pass


def test_a_scheduler_is_reached_by_its_address_or_its_scheduler_file(sick, client, tmp_path):
    expected = run_psa(sick, 200, 9, chunk_size=200).outcomes.total_cost
    file = tmp_path / "scheduler.json"  # what `dask scheduler --scheduler-file` writes, and a client reads
    file.write_text(json.dumps({"type": "Scheduler", "address": client.scheduler.address}))
    for scheduler in (client.scheduler.address, str(file)):
        with engine(scheduler=scheduler) as there:
            assert there.describe()["workers"] == 2
            got = run_psa(sick, 200, 9, chunk_size=60, engine=there).outcomes.total_cost
        np.testing.assert_array_equal(got, expected)


def test_an_unreachable_scheduler_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(batch, "CONNECT_SECONDS", 1)
    with pytest.raises(InputError, match=r"--scheduler tcp://127.0.0.1:9: cannot reach the Dask scheduler"), \
            engine(scheduler="tcp://127.0.0.1:9"):
        pass


def test_without_a_cluster_nothing_imports_dask():
    code = ("import sys; from hecon.model import Model; from hecon.analysis.psa import run_psa; "
            "from hecon.analysis.batch import engine\n"
            "with engine() as e: psa = run_psa(Model('example_sick'), 50, 1, chunk_size=20, engine=e)\n"
            "assert psa.outcomes.n_sets == 50\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


SLOW = '''

import time as _time

_evaluate = evaluate


def evaluate(params, options):
    """The model, a quarter of a second slower per chunk (a worker is busy when it is killed)."""
    _time.sleep(0.25)
    return _evaluate(params, options)
'''


def test_a_worker_killed_mid_run_leaves_the_results_unchanged(tmp_path, client, cluster):
    path = write_skeleton("slow", tmp_path)[0]
    path.write_text(path.read_text() + SLOW)
    model = Model(path)
    expected = run_psa(model, 2_000, 4, chunk_size=2_000)
    before = client.run(os.getpid)
    done, results = [0], {}
    two_chunks = threading.Event()

    def progress(k: int) -> None:
        done[0] += k
        if done[0] >= 200:
            two_chunks.set()

    def run() -> None:
        results["psa"] = run_psa(model, 2_000, 4, chunk_size=100, engine=cluster, progress=progress)

    thread = threading.Thread(target=run)
    thread.start()
    assert two_chunks.wait(120)
    victim = next(iter(before.values()))
    os.kill(victim, signal.SIGKILL)
    thread.join(300)
    assert not thread.is_alive() and done[0] == 2_000
    for name in expected.outcomes.names:
        np.testing.assert_array_equal(results["psa"].outcomes[name], expected.outcomes[name], err_msg=name)
    client.wait_for_workers(2, timeout=120)
    assert victim not in client.run(os.getpid).values()  # the nanny started a new worker


def test_a_psa_averaged_over_structures_is_identical_on_the_cluster(cluster):
    """Each structure's draws go to the cluster in chunks: the same outcomes as in process."""
    from hecon.analysis.structures import Structure, structural_psa

    model = Model("ifn_gamma")
    structures = [Structure("base", {}, 0.6), Structure("smr", {"post_icu_mortality": "smr"}, 0.4)]
    here, chosen = structural_psa(model, model.parameters, structures, 60, 5)
    there, elsewhere = structural_psa(model, model.parameters, structures, 60, 5, chunk_size=13, engine=cluster)
    assert np.array_equal(chosen, elsewhere)
    for name in here.outcomes.names:
        assert np.array_equal(here.outcomes[name], there.outcomes[name], equal_nan=True), name


class _Chunks:
    """A job whose chunks take a while, counting how many run, and wait to be placed, at once."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.lock, self.running, self.unplaced = threading.Lock(), 0, 0
        self.most_running = self.most_unplaced = 0
        self.started: list[int] = []
        self.placed: dict[int, np.ndarray] = {}
        self.fail_at = fail_at

    def chunk(self, start: int, stop: int) -> np.ndarray:
        with self.lock:
            self.started.append(start)
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        time.sleep(0.01)
        with self.lock:
            self.running -= 1
            self.unplaced += 1
            self.most_unplaced = max(self.most_unplaced, self.unplaced)
        if start == self.fail_at:
            raise ValueError(f"chunk at {start}")
        return np.arange(start, stop)

    def place(self, i: int, result) -> None:
        with self.lock:
            self.unplaced -= 1
        self.placed[i] = result


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_in_process_chunks_run_side_by_side_and_never_wait_more_than_the_threads(threads):
    job, bounds = _Chunks(), batch.chunk_bounds(100, 7)
    batch.InProcess().run(job, batch.Plan(bounds, threads), job.place)
    assert [job.placed[i].tolist() for i in range(len(bounds))] == [list(range(a, b)) for a, b in bounds]
    assert job.most_running <= threads and job.most_unplaced <= threads
    assert threads == 1 or job.most_running > 1


def test_a_failing_chunk_stops_the_in_process_run_and_starts_no_more():
    job, bounds = _Chunks(fail_at=14), batch.chunk_bounds(100, 7)
    with pytest.raises(ValueError, match="chunk at 14"):
        batch.InProcess().run(job, batch.Plan(bounds, 2), job.place)
    assert len(job.started) <= 5  # chunks 0, 7, 14 and at most the two started beside them


def test_in_process_splits_a_chunk_in_one_part_per_thread_only_when_parts_stay_large():
    """Parts side by side hold no more than one chunk of chunk_size; chunks too small to split
    run one after another (two of them at once would hold twice the memory budget's chunk)."""
    assert batch.InProcess(2).plan(10_000, 10_000) == batch.Plan([(0, 5_000), (5_000, 10_000)], 2)
    assert batch.InProcess(2).plan(50_000, 10_000).bounds[:2] == [(0, 5_000), (5_000, 10_000)]
    assert batch.InProcess(2).plan(1_500, 10_000) == batch.Plan([(0, 1_500)], 1)
    assert batch.InProcess(2).plan(6_000, 1_500) == batch.Plan(batch.chunk_bounds(6_000, 1_500), 1)
    assert batch.InProcess(1).plan(10_000, 10_000) == batch.Plan([(0, 10_000)], 1)
