#!/usr/bin/env python3
"""Read a joblib-ts dump from Python with msgpack, lz4.frame and numpy (FORMAT.md).

    python3 examples/read_in_python.py model.lz4            # prints the value
    python3 examples/read_in_python.py model.lz4 --summary  # prints a JSON summary

Typed arrays become numpy arrays that are views into the one buffer read (for uncompressed
files). Nothing in the file is executed. On Debian: apt-get install python3-msgpack
python3-lz4 python3-numpy.
"""
import datetime
import gzip
import json
import struct
import sys
import zlib

import lz4.frame
import msgpack
import numpy as np

FILE_MAGIC = b"\x89JBTS\r\n\x1a"
HEADER = struct.Struct("<8sHHIQQQQQ8x")  # magic, version, flags, header bytes, structure length,
#                                          data offset, data length, structure and data checksums

# Extension type codes (FORMAT.md, "Extension types").
EXT_BINARY, EXT_MAP, EXT_SET, EXT_DATE, EXT_BIGINT, EXT_REGEXP, EXT_ERROR = 1, 2, 3, 4, 5, 6, 7
EXT_UNDEFINED, EXT_REF, EXT_REGISTERED, EXT_SPARSE_ARRAY, EXT_NULL_PROTO_OBJECT = 8, 9, 10, 11, 12

# Binary kinds: numpy dtypes (little-endian); the last four are raw bytes.
DTYPES = {1: "<i1", 2: "<u1", 3: "<u1", 4: "<i2", 5: "<u2", 6: "<i4", 7: "<u4", 8: "<f4", 9: "<f8",
          10: "<i8", 11: "<u8", 12: "<u1", 13: "<u1", 14: "<u1", 15: "<u1"}


class Ref:
    """A shared or cyclic reference: the pre-order number of an object met earlier."""

    def __init__(self, index):
        self.index = index

    def __repr__(self):
        return f"Ref({self.index})"


class Undefined:
    def __repr__(self):
        return "undefined"


UNDEFINED = Undefined()


def decompress(raw):
    if raw.startswith(FILE_MAGIC):
        return raw
    if raw.startswith(b"\x04\x22\x4d\x18"):
        return lz4.frame.decompress(raw)
    if raw.startswith(b"\x1f\x8b"):
        return gzip.decompress(raw)
    if raw.startswith(b"\x78"):
        return zlib.decompress(raw)
    raise ValueError("not a joblib-ts file (unknown magic number)")


def read(path):
    with open(path, "rb") as f:
        content = decompress(f.read())
    magic, version, _flags, header_bytes, structure_length, data_offset, data_length, _, _ = \
        HEADER.unpack_from(content)
    if magic != FILE_MAGIC or version != 1:
        raise ValueError(f"unsupported file (magic {magic!r}, version {version})")
    if data_offset + data_length != len(content):
        raise ValueError("truncated file")
    structure = memoryview(content)[header_bytes:header_bytes + structure_length]
    data = memoryview(content)[data_offset:data_offset + data_length]

    def unpack(payload):
        return msgpack.unpackb(payload, ext_hook=ext_hook, raw=False, strict_map_key=False)

    def ext_hook(code, payload):
        if code == EXT_BINARY:
            kind, storage = payload[0], payload[1]
            if storage == 0:
                raw = payload[2:]
            else:
                offset, length = struct.unpack_from("<QQ", payload, 2)
                raw = data[offset:offset + length]
            return np.frombuffer(raw, dtype=DTYPES[kind])
        if code == EXT_MAP:
            flat = unpack(payload)
            pairs = list(zip(flat[0::2], flat[1::2]))
            try:
                return dict(pairs)
            except TypeError:  # unhashable keys (objects, arrays): keep the pairs
                return pairs
        if code == EXT_SET:
            return unpack(payload)
        if code == EXT_DATE:
            (millis,) = struct.unpack("<d", payload)
            if millis != millis:
                return None  # an invalid Date
            return datetime.datetime.fromtimestamp(millis / 1000, tz=datetime.timezone.utc)
        if code == EXT_BIGINT:
            return int(payload.decode("ascii"), 16)
        if code == EXT_REGEXP:
            source, flags = unpack(payload)
            return {"regexp": source, "flags": flags}
        if code == EXT_ERROR:
            return {"error": unpack(payload)}
        if code == EXT_UNDEFINED:
            return UNDEFINED
        if code == EXT_REF:
            return Ref(unpack(payload))
        if code == EXT_REGISTERED:
            name, state = unpack(payload)
            return {"type": name, "state": state}
        if code == EXT_SPARSE_ARRAY:
            flat = unpack(payload)
            out = [None] * flat[0]
            for index, value in zip(flat[1::2], flat[2::2]):
                out[index] = value
            return out
        if code == EXT_NULL_PROTO_OBJECT:
            return unpack(payload)
        return msgpack.ExtType(code, payload)

    return unpack(structure)


def summary(value):
    """A JSON-able description: arrays by dtype, length and sum; sets sorted."""
    if isinstance(value, np.ndarray):
        return {"dtype": value.dtype.str, "length": int(value.size), "sum": float(value.sum())}
    if isinstance(value, dict):
        return {str(k): summary(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [summary(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, Ref):
        return {"ref": value.index}
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    return value


if __name__ == "__main__":
    result = read(sys.argv[1])
    if "--summary" in sys.argv:
        print(json.dumps(summary(result), sort_keys=True))
    else:
        print(result)
