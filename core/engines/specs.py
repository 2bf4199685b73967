"""The built-in engines: what each can do, where it keeps its backups, and its plan options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.engines import Capability, EngineSpec, Storage, register
from core.engines import compression as comp
from core.engines.dumps.urls import parse
from core.engines.schema import (
    Choice,
    CompressionOption,
    Keep,
    Location,
    Number,
    Schema,
    Secret,
    Switch,
    Text,
    TextList,
)


def _database_url(url: str) -> object:
    return parse(url)


def _repository(location: str) -> object:
    from core.engines.borg.repo import normalise_location  # borg modules: only for borg plans

    return normalise_location(location)


def _repository_state(location: str) -> str | None:
    from core.engines.borg.repo import is_remote  # borg modules: only for borg plans

    if is_remote(location):
        return None
    try:
        config = (Path(location).expanduser() / "config").read_text(errors="replace")
    except OSError:
        return "missing"
    return "repository" if "[repository]" in config else "missing"


KEEP = Keep("keep", "Keep", help="keep rules, as borg prune: the newest backup of each of "
                                 "the last N periods (the N latest for --keep-last)")

ARCHIVE_OPTIONS = Schema((
    Choice("include", "Back up", help="back up the sources, the databases or both "
           "(default both)", flags=("--include",),
           values={"both": "Files and databases", "files": "Files only",
                   "databases": "Databases only"}),
    TextList("databases", "Databases", flags=("--database",), parse=_database_url,
             metavar_text="URL", help="sqlite:///PATH, postgresql://USER@HOST:PORT/DB or "
                                      "mysql://...; repeatable"),
    CompressionOption("compression", "Compression", flags=("--compression",),
                      default=comp.ARCHIVE.default, grammar=comp.ARCHIVE,
                      help=f"archive: {comp.ARCHIVE.hint()} (default {comp.ARCHIVE.default}); "
                           f"borg: {comp.BORG.hint()} (default {comp.BORG.default})"),
    Number("full_every", "Full backup every", flags=("--full-every",), default=7, minimum=1,
           help="a full backup every N runs (7)"),
    Switch("verify_after", "Verify every copy after each backup", flags=("--no-verify",),
           default=True, help="do not verify after each backup"),
    KEEP,
), title="Archive engine")

ENCRYPTIONS = ("none", "authenticated", "authenticated-blake2", "repokey", "repokey-blake2",
               "keyfile", "keyfile-blake2")

BORG_OPTIONS = Schema((
    Location("repository", "Repository", flags=("--repo",), parse=_repository,
             state=_repository_state,
             required="A borg plan needs a repository (--repo).",
             help="repository: PATH or ssh://USER@HOST:PORT/PATH"),
    Text("encryption", "Encryption", flags=("--encryption",), default="repokey",
         choices=ENCRYPTIONS, help="how `borg init` encrypts a new repository (default "
                                    "repokey)"),
    # --borg-compression: the older spelling of --compression for borg plans.
    CompressionOption("compression", "Compression", flags=("--compression",
                                                           "--borg-compression"),
                      default=comp.BORG.default, grammar=comp.BORG,
                      help="borg compression, e.g. lz4, zstd,6 or none (default lz4)"),
    KEEP,
    Switch("prune", "Prune after each backup (apply the keep rules)", flags=("--no-prune",),
           default=True, help="do not prune after each backup"),
    Switch("compact", "Compact the repository after pruning", flags=("--no-compact",),
           default=True, help="do not compact after pruning"),
    Text("rsh", "ssh command", flags=("--rsh",),
         help="ssh command for remote repositories (BORG_RSH)"),
    Text("borg_binary", "borg program"),  # else BACKUPDESK_BORG, else borg on the PATH
    Secret("passphrase", "Passphrase", flags=("--passphrase-stdin",), key="borg-passphrase",
           env="BACKUPDESK_PASSPHRASE", help="read the repository passphrase from stdin "
                                             "(else BACKUPDESK_PASSPHRASE); kept in the OS "
                                             "keyring"),
), title="Borg engine")


def _archive_engine() -> Any:
    from core.engines.archive import ArchiveEngine  # with zstandard: only when one runs

    return ArchiveEngine()


def _archive_exclude(source: str | None, relative: str) -> str:
    return relative if source is None else f"{source.rsplit('/', 1)[-1]}/{relative}"


def _borg_exclude(source: str | None, relative: str) -> str:
    return f"*/{relative}" if source is None else f"{source.lstrip('/')}/{relative}"


ARCHIVE = register(
    EngineSpec(
        name="archive",
        title="Archive files (tar + zstd, readable anywhere)",
        options=ARCHIVE_OPTIONS,
        capabilities=frozenset({Capability.RUN, Capability.VERIFY, Capability.RESTORE,
                                Capability.DELETE, Capability.PRUNE, Capability.COPY_OUT,
                                Capability.RESTORE_TEST, Capability.DATABASES,
                                Capability.REMOTE_DESTINATIONS}),
        storage=Storage.ARTIFACTS,
        artifact_engine=_archive_engine,
        exclude_glob=_archive_exclude,
    )
)


def _borg_engine() -> Any:
    from core.engines.borg.engine import ENGINE

    return ENGINE


BORG = register(
    EngineSpec(
        name="borg",
        title="Borg repository (deduplicated, encrypted)",
        options=BORG_OPTIONS,
        capabilities=frozenset({Capability.RUN, Capability.VERIFY, Capability.RESTORE,
                                Capability.BROWSE, Capability.DELETE, Capability.PRUNE,
                                Capability.COMPACT, Capability.REFRESH}),
        storage=Storage.REPOSITORY,
        program="borg",
        repository_engine=_borg_engine,
        exclude_glob=_borg_exclude,
    )
)
