# The joblib 1.2 anchor for bench/parallel.mjs: the same cases as bench/parallel-case.mjs (loky
# backend), measured `rounds` times in one fresh process: round 1 is the fresh-process figure,
# the later rounds the same work repeated in one process. Prints {"rounds": [{...}, ...]}.
# Usage: /usr/bin/python3 bench/joblib_parallel.py <cold|warm|warm-steady|warm-new|tiny|tiny1m|batch1|batch1-all|cpu|large|large-changed> [rounds]
import json, statistics, sys, time
from joblib import Parallel, delayed

which = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 1
N_TINY, N_BATCH1, WARM_CALLS, STEADY_AFTER = 100_000, 10_000, 200, 2000

def tiny(x):
    return x + 1

def burn(seconds):
    end = time.perf_counter() + seconds
    x = 0.0
    while time.perf_counter() < end:
        for i in range(1000):
            x += i ** 0.5
    return 1

def slice_mean(values, i, parts):
    size = len(values) // parts
    return float(values[i * size:(i + 1) * size].mean())

def timed(work):
    t = time.perf_counter()
    work()
    return time.perf_counter() - t

def workers_up():
    Parallel(n_jobs=2)(delayed(tiny)(i) for i in range(4))

def cold(_, index):
    if index > 0:
        # Workers start again in a warm process, as the Node case does after shutting its pool down.
        from joblib.externals.loky import get_reusable_executor
        get_reusable_executor().shutdown(wait=True)
    return {"seconds": timed(lambda: Parallel(n_jobs=2)(delayed(tiny)(i) for i in range(2)))}

def warm_setup():
    parallel = Parallel(n_jobs=2)
    parallel.__enter__()
    parallel(delayed(tiny)(i) for i in range(4))
    return parallel

def warm_steady_setup():
    parallel = warm_setup()
    for _ in range(STEADY_AFTER):
        parallel(delayed(tiny)(i) for i in range(2))
    return parallel

def warm(parallel, _):
    times = [timed(lambda: parallel(delayed(tiny)(i) for i in range(2))) for _ in range(WARM_CALLS)]
    return {"seconds": statistics.median(times)}

def warm_new(_, __):
    times = [timed(lambda: Parallel(n_jobs=2)(delayed(tiny)(i) for i in range(2))) for _ in range(WARM_CALLS)]
    return {"seconds": statistics.median(times)}

def tiny_case(n, **options):
    def run(_, __):
        results = []
        def work():
            results.extend(Parallel(n_jobs=2, **options)(delayed(tiny)(i) for i in range(n)))
        seconds = timed(work)
        assert results[-1] == n
        return {"seconds": seconds, "rate": n / seconds}
    return run

def cpu_setup():
    workers_up()
    return timed(lambda: Parallel(n_jobs=1)(delayed(burn)(0.25) for _ in range(16)))

def cpu(sequential, _):
    seconds = timed(lambda: Parallel(n_jobs=2)(delayed(burn)(0.25) for _ in range(16)))
    return {"seconds": seconds, "speedup": sequential / seconds}

def large_setup():
    # One 80 MB float64 array: memmapped (max_nbytes='1M', the default).
    import numpy as np
    values = (np.arange(10_000_000) % 7).astype(np.float64)
    workers_up()
    return values

def large_case(changed):
    def run(values, index):
        if changed:
            values[index] = index % 7 + 7e-9
        means = []
        seconds = timed(lambda: means.extend(Parallel(n_jobs=2)(delayed(slice_mean)(values, i, 100) for i in range(100))))
        assert abs(means[-1] - 3) < 0.01
        return {"seconds": seconds}
    return run

CASES = {
    "cold": (None, cold),
    "warm": (warm_setup, warm),
    "warm-steady": (warm_steady_setup, warm),
    "warm-new": (workers_up, warm_new),
    "tiny": (workers_up, tiny_case(N_TINY)),
    "tiny1m": (workers_up, tiny_case(10 * N_TINY)),
    "batch1": (workers_up, tiny_case(N_BATCH1, batch_size=1)),
    "batch1-all": (workers_up, tiny_case(N_BATCH1, batch_size=1, pre_dispatch="all")),
    "cpu": (cpu_setup, cpu),
    "large": (large_setup, large_case(False)),
    "large-changed": (large_setup, large_case(True)),
}

setup, run = CASES[which]
state = setup() if setup else None
print(json.dumps({"rounds": [run(state, index) for index in range(rounds)]}))
