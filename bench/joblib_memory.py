# The joblib 1.2 anchor for bench/memory.mjs: the same measurements in its own process.
# Usage: /usr/bin/python3 bench/joblib_memory.py <small-hit|big-hit|miss> <location> [--repeat K]
import json, sys, time
import numpy as np
from joblib import Memory

which, location = sys.argv[1:3]
repeat = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--repeat" else 1
memory = Memory(location, verbose=0)
runs = []

def batch(n, fn):
    t = time.perf_counter()
    for i in range(n):
        fn(i)
    runs.append({"seconds": (time.perf_counter() - t) / n})

if which == "small-hit":
    @memory.cache
    def f(x, y=2):
        return {"x": x, "y": y, "label": f"point {x}"}
    f(1)
    batch(200, lambda i: f(1))
    for _ in range(1, repeat):
        batch(5000, lambda i: f(1))
elif which == "big-hit":
    data = np.sin(np.arange(10 * 1024 * 1024 // 8, dtype=np.float64))
    @memory.cache
    def column(a, i):
        return float(a[i])
    column(data, 3)
    for r in range(repeat):
        batch(5 if r == 0 else 20, lambda i: column(data, 3))
elif which == "miss":
    @memory.cache
    def g(x):
        return {"x": x, "label": f"point {x}"}
    counter = iter(range(10**9))
    for r in range(repeat):
        batch(20 if r == 0 else 100, lambda i: g(next(counter)))
print(json.dumps({"runs": runs}))
