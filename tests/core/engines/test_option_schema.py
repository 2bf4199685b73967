"""Each engine's option schema: the compression grammar that the editor offers, checks and the
archive writer use is one, and every choice it offers works end to end."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import engines
from core.engines import compression as comp
from core.engines.archive.restore import open_tar_stream
from core.engines.archive.tarstream import HashingSink, archive_suffix, open_compressor
from core.engines.schema import CompressionOption
from core.errors import ConfigError

ARCHIVE = engines.get("archive")
BORG = engines.get("borg")


def offered(engine: str) -> tuple[str, ...]:
    return engines.get(engine).options.option("compression", CompressionOption).choices


@given(st.sampled_from(offered("archive")))
def test_every_archive_choice_round_trips_and_validates(spec: str) -> None:
    grammar = comp.ARCHIVE
    assert grammar.text(grammar.parse(spec)) == spec
    assert ARCHIVE.validate_options({**ARCHIVE.default_options, "compression": spec}
                                    )["compression"] == spec
    algo, level = grammar.level(spec)
    codec = grammar.codec(algo)
    assert codec is not None
    if codec.levels:
        assert level is not None and codec.levels[0] <= level <= codec.levels[1]
        assert level == (grammar.parse(spec).level or codec.default_level)


@given(st.sampled_from(offered("borg")))
def test_every_borg_choice_round_trips_and_validates(spec: str) -> None:
    assert comp.BORG.text(comp.BORG.parse(spec)) == spec
    opts = BORG.validate_options({**BORG.default_options, "repository": "/r",
                                  "compression": spec})
    assert opts["compression"] == spec


@settings(deadline=None)  # high zstd levels take a while; the machine is shared
@given(spec=st.sampled_from(offered("archive")))
def test_every_archive_choice_writes_a_readable_tar(spec: str, tmp_path_factory:
                                                   pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("tar") / f"files{archive_suffix(spec)}"
    with open(path, "wb") as f:
        sink = HashingSink(f)
        out = open_compressor(spec, sink)
        data = io.BytesIO()
        with tarfile.open(fileobj=data, mode="w") as tf:
            info = tarfile.TarInfo("a.txt")
            info.size = 6
            tf.addfile(info, io.BytesIO(b"alpha\n"))
        out.write(data.getvalue())
        out.close()
    with open_tar_stream(Path(path)) as tf:
        member = tf.next()
        assert member is not None and member.name == "a.txt"
        f2 = tf.extractfile(member)
        assert f2 is not None and f2.read() == b"alpha\n"


@pytest.mark.parametrize("spec, stored", [("zstd,5", "zstd:5"), ("gzip", "gzip"),
                                          (" none ", "none")])
def test_archive_reads_either_spelling(spec: str, stored: str) -> None:
    assert ARCHIVE.validate_options({"compression": spec})["compression"] == stored


@pytest.mark.parametrize("spec, stored", [("zstd:3", "zstd,3"), ("zstd", "zstd"),
                                          ("auto,zstd:6", "auto,zstd,6"),
                                          ("obfuscate,3,lz4", "obfuscate,3,lz4")])
def test_borg_reads_either_spelling(spec: str, stored: str) -> None:
    opts = BORG.validate_options({"repository": "/r", "compression": spec})
    assert opts["compression"] == stored


@pytest.mark.parametrize("engine, spec, message", [
    ("archive", "lz4", "Unknown compression 'lz4' for archive plans: use zstd[:LEVEL]"),
    ("archive", "zstd:23", "zstd takes 1 to 22"),
    ("archive", "gzip:x", "Invalid compression level"),
    ("borg", "gzip:6", "Unknown compression 'gzip:6' for borg plans: use lz4, zstd[,LEVEL]"),
    ("borg", "lz4,3", "lz4 takes none"),
])
def test_a_spec_of_no_engine_is_refused(engine: str, spec: str, message: str) -> None:
    extra = {"repository": "/r"} if engine == "borg" else {}
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        engines.get(engine).validate_options({**extra, "compression": spec})


def test_an_option_of_another_engine_is_refused() -> None:
    with pytest.raises(ConfigError, match="'repository' is not an option of archive plans"):
        ARCHIVE.validate_options({"repository": "/r"})
    with pytest.raises(ConfigError, match="'full_every' is not an option of borg plans"):
        BORG.validate_options({"repository": "/r", "full_every": 3})


def test_defaults_come_from_the_grammar() -> None:
    assert ARCHIVE.default_options["compression"] == comp.ARCHIVE.default == "zstd:3"
    assert BORG.default_options["compression"] == comp.BORG.default == "lz4"
    assert comp.ARCHIVE.of_file("files.tar.zst") == "zstd"
    assert comp.ARCHIVE.of_file("files.tar.gz") == "gzip"
    assert comp.ARCHIVE.of_file("files.tar") == "none"
