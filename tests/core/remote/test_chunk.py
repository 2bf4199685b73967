"""The part size of a streamed S3 upload: rclone's 5 MiB (the least memory) unless the object
may need more than S3's 10,000 parts of it; then larger, as the real S3 server takes it."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from core.remote.location import RemoteSettings, parse
from core.remote.place import RemoteSink
from core.remote.rclone import S3_MAX_PARTS, Rclone, s3_chunk
from tests.core.remote.conftest import ACCESS_KEY, S3, SECRET_KEY

GiB = 1 << 30


def test_small_and_unknown_sizes_keep_rclones_5_mib() -> None:
    assert s3_chunk(0) == ()
    assert s3_chunk(20 * GiB) == ()  # 2 x 20 GiB in 10,000 parts of 5 MiB: fits


def test_a_large_expected_size_gets_parts_that_hold_twice_it() -> None:
    for size in (40 * GiB, 200 * GiB, 3 << 40):
        flag, value = s3_chunk(size)
        assert flag == "--s3-chunk-size" and value.endswith("Mi")
        part = int(value.removesuffix("Mi")) << 20
        assert part * S3_MAX_PARTS >= 2 * size
        assert (part - (1 << 20)) * S3_MAX_PARTS < 2 * size  # the least MiB that does


def test_the_server_takes_the_larger_parts(s3: S3, tmp_path: Path) -> None:
    remote = parse("s3://bkt/x", RemoteSettings(s3.endpoint, ACCESS_KEY, SECRET_KEY))
    data = os.urandom(3 << 20)
    sink = RemoteSink(Rclone(remote), "b", expect=200 * GiB)  # 41 MiB parts
    with sink.open("files.tar.zst") as up:
        up.write(data)
    stored = (s3.root / "bkt" / "x" / "b" / "files.tar.zst").read_bytes()
    assert hashlib.sha256(stored).digest() == hashlib.sha256(data).digest()
    assert sink.md5["files.tar.zst"] == hashlib.md5(data).hexdigest()
