# The joblib 1.2 anchor for bench/memory.mjs: the same measurements in a fresh process.
# Usage: /usr/bin/python3 bench/joblib_memory.py <small-hit|big-hit|miss> <location>
import json, sys, time
import numpy as np
from joblib import Memory

which, location = sys.argv[1:3]
memory = Memory(location, verbose=0)

def mean_of(n, fn):
    for i in range(min(n, 2000)):
        fn(i)
    t = time.perf_counter()
    for i in range(n):
        fn(i)
    return (time.perf_counter() - t) / n

if which == "small-hit":
    @memory.cache
    def f(x, y=2):
        return {"x": x, "y": y, "label": f"point {x}"}
    f(1)
    print(json.dumps({"seconds": mean_of(10_000, lambda i: f(1))}))
elif which == "big-hit":
    data = np.sin(np.arange(10 * 1024 * 1024 // 8, dtype=np.float64))
    @memory.cache
    def column(a, i):
        return float(a[i])
    column(data, 3)
    print(json.dumps({"seconds": mean_of(50, lambda i: column(data, 3))}))
elif which == "miss":
    @memory.cache
    def g(x):
        return {"x": x, "label": f"point {x}"}
    t = time.perf_counter()
    for i in range(300):
        g(i)
    print(json.dumps({"seconds": (time.perf_counter() - t) / 300}))
