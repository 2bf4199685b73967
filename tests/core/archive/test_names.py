"""Property test: any file names, including non-UTF-8 bytes, survive backup and restore."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.engines.api import RunRequest
from core.engines.archive import ArchiveEngine
from core.engines.archive import manifest as mf
from core.engines.archive.restore import restore_tree
from core.progress import CancelToken, no_progress
from tests.core.archive.conftest import snapshot

name_bytes = st.binary(min_size=1, max_size=120).filter(
    lambda b: b"/" not in b and b"\0" not in b and b not in (b".", b".."))
names = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\0"),
            min_size=1, max_size=60).filter(lambda s: s not in (".", "..")
                                            and len(s.encode()) < 250),
    name_bytes.map(os.fsdecode),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(names, min_size=1, max_size=6, unique=True), st.binary(max_size=3000))
def test_any_names_round_trip(file_names: list[str], payload: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        src = base / "src"
        (src / "sub dir").mkdir(parents=True)
        for i, n in enumerate(file_names):
            parent = src if i % 2 else src / "sub dir"
            (parent / n).write_bytes(payload + bytes([i]))
        work = base / "w"
        work.mkdir()
        req = RunRequest(1, "p", [str(src)], [], {"compression": "zstd:1"}, [], "full", "b1",
                         work)
        ArchiveEngine().run(req, no_progress, CancelToken())
        m = mf.load(work / mf.MANIFEST_NAME)
        out = base / "out"
        restore_tree(m["entries"], lambda _: work / "files.tar.zst", out,
                     progress=no_progress, cancel=CancelToken())
        assert snapshot(out / "src") == snapshot(src)
