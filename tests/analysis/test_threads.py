"""Independent tasks side by side, each in one BLAS thread (hecon.analysis.threads)."""

import os
import threading

import numpy as np
from threadpoolctl import threadpool_info

from hecon.analysis.threads import cores, single_threaded_map


def blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_results_come_in_the_order_of_the_items_whatever_the_workers():
    for workers in (1, 2, 5, None):
        assert single_threaded_map(lambda k: k * k, range(7), workers) == [k * k for k in range(7)]
    assert single_threaded_map(len, [], 3) == []


def test_each_task_runs_with_one_blas_thread_and_the_limit_is_lifted_after():
    before = blas_threads()
    seen = single_threaded_map(lambda _: blas_threads(), range(3), 2)
    assert seen == [{1}, {1}, {1}]
    assert blas_threads() == before


def test_tasks_run_side_by_side_on_python_threads():
    names = single_threaded_map(lambda _: threading.current_thread().name, range(4), 2)
    assert threading.current_thread().name not in names  # not in the caller's thread


def test_a_matrix_product_is_the_same_in_any_task():
    a = np.random.default_rng(2).normal(size=(300, 200))
    alone = single_threaded_map(lambda _: a.T @ a, range(1), 1)[0]
    side_by_side = single_threaded_map(lambda _: a.T @ a, range(4), 2)
    assert all(np.array_equal(alone, product) for product in side_by_side)


def test_cores_are_at_most_the_machine_s():
    assert 1 <= cores() <= os.cpu_count()
