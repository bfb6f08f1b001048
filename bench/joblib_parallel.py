# The joblib 1.2 anchor for bench/parallel.mjs: the same measurements in a fresh process (loky backend).
# Usage: /usr/bin/python3 bench/joblib_parallel.py <cold|warm|tiny|tiny1m|batch1|batch1-all|cpu|large>
import json, statistics, sys, time
from joblib import Parallel, delayed

which = sys.argv[1]
N_TINY, N_BATCH1 = 100_000, 10_000

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

def out(**kw):
    print(json.dumps(kw))

if which == "cold":
    t = time.perf_counter()
    Parallel(n_jobs=2)(delayed(tiny)(i) for i in range(2))
    out(seconds=time.perf_counter() - t)
elif which == "warm":
    with Parallel(n_jobs=2) as parallel:
        parallel(delayed(tiny)(i) for i in range(4))
        times = []
        for _ in range(50):
            t = time.perf_counter()
            parallel(delayed(tiny)(i) for i in range(2))
            times.append(time.perf_counter() - t)
    out(seconds=statistics.median(times))
elif which in ("tiny", "tiny1m", "batch1", "batch1-all"):
    n = N_TINY if which == "tiny" else 10 * N_TINY if which == "tiny1m" else N_BATCH1
    Parallel(n_jobs=2)(delayed(tiny)(i) for i in range(4))
    t = time.perf_counter()
    pre = "all" if which == "batch1-all" else "2 * n_jobs"
    results = Parallel(n_jobs=2, batch_size="auto" if which.startswith("tiny") else 1, pre_dispatch=pre)(delayed(tiny)(i) for i in range(n))
    seconds = time.perf_counter() - t
    assert results[-1] == n
    out(seconds=seconds, rate=n / seconds)
elif which == "large":
    # 100 tasks over one 80 MB float64 array: memmapped once (max_nbytes='1M', the default).
    import numpy as np
    values = (np.arange(10_000_000) % 7).astype(np.float64)
    Parallel(n_jobs=2)(delayed(tiny)(i) for i in range(4))
    t = time.perf_counter()
    means = Parallel(n_jobs=2)(delayed(slice_mean)(values, i, 100) for i in range(100))
    seconds = time.perf_counter() - t
    assert abs(means[-1] - 3) < 0.01
    out(seconds=seconds)
elif which == "cpu":
    Parallel(n_jobs=2)(delayed(tiny)(i) for i in range(4))
    t = time.perf_counter()
    Parallel(n_jobs=1)(delayed(burn)(0.25) for _ in range(16))
    sequential = time.perf_counter() - t
    t = time.perf_counter()
    Parallel(n_jobs=2)(delayed(burn)(0.25) for _ in range(16))
    parallel = time.perf_counter() - t
    out(seconds=parallel, sequential=sequential, speedup=sequential / parallel)
