"""Compression CPU of the bundled libzstd vs the system's, run on demand:
`python tests/bench/bench_zstd.py [--mib 512]`.

Compresses the same data at level 3 in 8 MiB chunks with the `zstandard` module and with the
system's libzstd (through ctypes, the library the zstd CLI uses) and prints CPU seconds of each
and their ratio. This is how the `zstandard<0.24` pin was chosen: libzstd 1.5.7 (zstandard 0.24+)
took about 1.5x the CPU of 1.5.4-1.5.6 on the archive benchmark's data.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import zstandard

from tests.bench.common import content


def cpu(fn: Callable[[bytes], int], chunks: list[bytes], repeat: int) -> tuple[float, int]:
    best, size = float("inf"), 0
    for _ in range(repeat):
        t = time.process_time()
        size = sum(fn(c) for c in chunks)
        best = min(best, time.process_time() - t)
    return best, size


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=512)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    rng = random.Random(2)
    chunks = [b"".join(content(rng, 1 << 20) for _ in range(8)) for _ in range(a.mib // 8)]
    module = zstandard.ZstdCompressor(level=3)
    t_mod, n_mod = cpu(lambda c: len(module.compress(c)), chunks, a.repeat)
    print(f"zstandard {zstandard.__version__} (libzstd {zstandard.ZSTD_VERSION}): "
          f"{t_mod:.3f} s CPU, {n_mod} bytes")
    name = ctypes.util.find_library("zstd")
    if name is None:
        print("no system libzstd to compare with")
        return 0
    lib = ctypes.CDLL(name)
    lib.ZSTD_compress.restype = ctypes.c_size_t
    lib.ZSTD_compress.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p,
                                  ctypes.c_size_t, ctypes.c_int]
    dst = ctypes.create_string_buffer(9 << 20)
    t_sys, n_sys = cpu(lambda c: lib.ZSTD_compress(dst, len(dst), c, len(c), 3), chunks, a.repeat)
    v = lib.ZSTD_versionNumber()
    print(f"system libzstd {v // 10000}.{v // 100 % 100}.{v % 100}: {t_sys:.3f} s CPU, "
          f"{n_sys} bytes")
    print(f"ratio bundled / system: {t_mod / t_sys:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
