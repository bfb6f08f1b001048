# The joblib 1.2 anchor for bench/persistence.mjs: the same measurement in its own process.
# Usage: /usr/bin/python3 bench/joblib_persistence.py <dump|load|hash> <array|objects> <method> <file> [--repeat K]
import json, os, resource, sys, time
import numpy as np
import joblib

op, dataset, method, path = sys.argv[1:5]
repeat = int(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[5] == "--repeat" else 1
ARRAY_BYTES = int(float(os.environ.get("BENCH_ARRAY_MB", 200)) * 1024 * 1024)
OBJECTS = int(os.environ.get("BENCH_OBJECTS", 200_000))
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

def usage():
    return resource.getrusage(resource.RUSAGE_SELF)

compress = 0 if method == "none" else (method, 3) if method in ("zlib", "gzip") else method
value = None if op == "load" else make()
if op == "hash":
    joblib.hash(value)
runs, data_bytes = [], 0
for _ in range(repeat):
    base = rss()
    f0 = usage().ru_minflt
    t0 = time.perf_counter()
    if op == "dump":
        if os.path.exists(path):
            os.remove(path)
        joblib.dump(value, path, compress=compress)
        data_bytes = value.nbytes if dataset == "array" else 0
    elif op == "load":
        loaded = joblib.load(path)
        data_bytes = loaded.nbytes if dataset == "array" else 0
        base += data_bytes
        del loaded
    else:
        joblib.hash(value)
        data_bytes = value.nbytes
    seconds = time.perf_counter() - t0
    runs.append({"seconds": seconds, "faults": usage().ru_minflt - f0, "overData": max(0, usage().ru_maxrss * 1024 - base)})
print(json.dumps({"runs": runs, "dataBytes": data_bytes}))
