"""A 1,000,000-draw PSA and a Sobol' analysis (N = 8,192) of the flagship, in process (one
thread, then the default engine's thread per core) and on a Dask LocalCluster of worker
processes (one thread each): wall time, parallel efficiency T(one thread) / (k · T) on k
threads or workers, and peak memory (resident set) of the client and of each worker.

Each run is a fresh process, so that its peak memory is its own; the cluster's time is that of
a warm cluster (started, and the model loaded on every worker, before the clock starts); its
start is timed apart. Target: ≥ 80 % parallel efficiency on 2 workers for the 1M-draw PSA.
Run: python benchmarks/distributed.py [--draws 1000000] [--sobol-n 8192] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

# run as a script, this file's folder leads sys.path, where its name hides the package
# `distributed` from dask (and from the worker processes, which inherit sys.path)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

MODEL = "ifn_gamma"
CHUNK = 10_000


def peak_mb() -> float:
    """Peak resident set of this process, MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def analysis(case: str, size: int, engine) -> None:
    from hecon.analysis.gsa import global_sensitivity
    from hecon.analysis.psa import run_psa
    from hecon.analysis.sensitivity import Measure
    from hecon.model import Model

    model = Model(MODEL)
    if case == "psa":
        run_psa(model, size, 1, chunk_size=CHUNK, engine=engine)
    else:
        global_sensitivity(model, model.parameters, Measure(model), "sobol", size, seed=1, engine=engine)


def one_run(case: str, size: int, workers: int) -> dict:
    """One analysis in this process (``workers`` 0: on one thread; −k: on k threads) or on a
    fresh LocalCluster of ``workers``; its figures."""
    from hecon.analysis.batch import InProcess, engine

    if workers <= 0:
        start = time.perf_counter()
        analysis(case, size, InProcess(threads=max(1, -workers)))
        return {"seconds": time.perf_counter() - start, "client_mb": peak_mb()}
    started = time.perf_counter()
    with engine(workers=workers) as cluster:
        analysis(case, min(size, 2 * CHUNK) if case == "psa" else 2, cluster)  # warm: every worker loads the model
        ready = time.perf_counter()
        analysis(case, size, cluster)
        seconds = time.perf_counter() - ready
        worker_mb = cluster.client.run(peak_mb)
    return {"seconds": seconds, "start_seconds": ready - started, "client_mb": peak_mb(),
            "worker_mb": sorted(worker_mb.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1_000_000)
    parser.add_argument("--sobol-n", type=int, default=8_192)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--one", nargs=3, metavar=("CASE", "SIZE", "WORKERS"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.one:
        case, size, workers = arguments.one
        print(json.dumps(one_run(case, int(size), int(workers))))
        return
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'analysis':<26} {'where':<12} {'seconds':>8} {'efficiency':>10} {'client MB':>10} "
          f"{'workers MB':>14} {'cluster start s':>15}")
    for case, size, label in (("psa", arguments.draws, f"PSA {arguments.draws:,} draws"),
                              ("sobol", arguments.sobol_n, f"Sobol' N = {arguments.sobol_n:,}")):
        runs = {}
        for workers in (0, -arguments.workers, arguments.workers):
            done = subprocess.run([sys.executable, __file__, "--one", case, str(size), str(workers)],
                                  capture_output=True, text=True, check=True)
            runs[workers] = json.loads(done.stdout.strip().splitlines()[-1])
        alone, threads, shared = runs[0], runs[-arguments.workers], runs[arguments.workers]
        k = arguments.workers
        print(f"{label:<26} {'1 thread':<12} {alone['seconds']:>8.1f} {'':>10} {alone['client_mb']:>10.0f}")
        print(f"{'':<26} {f'{k} threads':<12} {threads['seconds']:>8.1f} "
              f"{alone['seconds'] / (k * threads['seconds']):>10.0%} {threads['client_mb']:>10.0f}")
        print(f"{'':<26} {f'{k} workers':<12} {shared['seconds']:>8.1f} "
              f"{alone['seconds'] / (k * shared['seconds']):>10.0%} "
              f"{shared['client_mb']:>10.0f} {' / '.join(f'{mb:.0f}' for mb in shared['worker_mb']):>14} "
              f"{shared['start_seconds']:>15.1f}")


if __name__ == "__main__":
    main()
