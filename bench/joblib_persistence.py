# The joblib 1.2 anchor for bench/persistence.mjs: the same measurement in a fresh process.
# Usage: /usr/bin/python3 bench/joblib_persistence.py <dump|load|hash> <array|objects> <method> <file>
import json, os, resource, sys, time
import numpy as np
import joblib

op, dataset, method, path = sys.argv[1:5]
ARRAY_BYTES = int(float(os.environ.get("BENCH_ARRAY_MB", 200)) * 1024 * 1024)
OBJECTS = int(os.environ.get("BENCH_OBJECTS", 1_000_000))
rng = np.random.default_rng()

def make():
    if dataset == "array":
        # Built in place, like the Node side: a freed temporary would hand the page cache
        # 200 MB of warm pages and flatter the dump timing (measured: 0.07 s vs 0.45 s of writes).
        a = rng.standard_normal(ARRAY_BYTES // 8)
        return np.round(a, 2, out=a)
    return [{"id": i, "name": f"name-{i}", "score": round(float(s), 2)} for i, s in enumerate(rng.random(OBJECTS) * 100)]

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

compress = 0 if method == "none" else (method, 3) if method in ("zlib", "gzip") else method
if op == "dump":
    value = make()
    data_bytes = value.nbytes if dataset == "array" else 0
    base = rss()
    t0 = time.perf_counter()
    joblib.dump(value, path, compress=compress)
    seconds = time.perf_counter() - t0
elif op == "load":
    base = rss()
    t0 = time.perf_counter()
    value = joblib.load(path)
    seconds = time.perf_counter() - t0
    data_bytes = value.nbytes if dataset == "array" else 0
    base += data_bytes
else:
    value = make()
    data_bytes = value.nbytes
    joblib.hash(value)
    base = rss()
    t0 = time.perf_counter()
    for _ in range(3):
        joblib.hash(value)
    seconds = (time.perf_counter() - t0) / 3
print(json.dumps({"seconds": seconds, "overData": max(0, peak() - base), "dataBytes": data_bytes}))
