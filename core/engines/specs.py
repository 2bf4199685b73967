"""Plan options of the built-in engines (what `plan add` takes for each)."""

from __future__ import annotations

import argparse
from typing import Any

from core.engines import Capability, EngineSpec, Storage, register
from core.errors import ConfigError


def _archive_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("archive engine")
    g.add_argument("--compression", help="zstd[:LEVEL] (default zstd:3), gzip[:LEVEL] or none")
    g.add_argument("--database", action="append", metavar="URL",
                   help="sqlite:///PATH, postgresql://USER@HOST:PORT/DB or mysql://...; repeatable")
    g.add_argument("--full-every", type=int, metavar="N", help="a full backup every N runs (7)")
    g.add_argument("--no-verify", action="store_true", default=None,
                   help="do not verify after each backup")
    g.add_argument("--include", choices=("files", "databases", "both"),
                   help="back up the sources, the databases or both (default both)")


def _archive_from_args(a: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if a.compression is not None:
        opts["compression"] = a.compression
    if a.database:
        opts["databases"] = list(a.database)
    if a.full_every is not None:
        opts["full_every"] = a.full_every
    if a.no_verify:
        opts["verify_after"] = False
    if getattr(a, "include", None):
        opts["include"] = a.include
    keep = {u: getattr(a, f"keep_{u}", None) for u in KEEP_UNITS}
    if any(n is not None for n in keep.values()):
        opts["keep"] = {u: n for u, n in keep.items() if n is not None}
    return opts


def _archive_validate(opts: dict[str, Any]) -> None:
    comp = str(opts.get("compression", "zstd:3"))
    algo, _, level = comp.partition(":")
    if algo not in ("zstd", "gzip", "none"):
        raise ConfigError(f"Unknown compression {comp!r}: use zstd[:LEVEL], gzip[:LEVEL] or none.")
    if level:
        limits = {"zstd": (1, 22), "gzip": (1, 9)}.get(algo)
        if limits is None or not level.isdigit() or not limits[0] <= int(level) <= limits[1]:
            raise ConfigError(f"Invalid compression level in {comp!r}.")
    n = opts.get("full_every", 7)
    if not isinstance(n, int) or n < 1:
        raise ConfigError("--full-every must be a whole number of at least 1.")
    if opts.get("include", "both") not in ("files", "databases", "both"):
        raise ConfigError("Include must be files, databases or both.")
    for unit, n in (opts.get("keep") or {}).items():
        if unit not in KEEP_UNITS or not isinstance(n, int) or n < 0:
            raise ConfigError(f"Invalid keep rule {unit}={n!r}.")
    from core.engines.dumps.urls import parse

    for url in opts.get("databases") or []:
        parse(str(url))


ARCHIVE = register(
    EngineSpec(
        name="archive",
        title="Archive (tar + zstd/gzip, database dumps)",
        add_plan_options=_archive_options,
        options_from_args=_archive_from_args,
        validate_options=_archive_validate,
        default_options={"compression": "zstd:3", "full_every": 7, "verify_after": True},
        capabilities=frozenset({Capability.RUN, Capability.VERIFY, Capability.RESTORE,
                                Capability.DELETE, Capability.PRUNE, Capability.COPY_OUT,
                                Capability.RESTORE_TEST, Capability.DATABASES}),
        storage=Storage.ARTIFACTS,
    )
)


def _borg_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("borg engine")
    g.add_argument("--repo", help="repository: PATH or ssh://USER@HOST:PORT/PATH")
    g.add_argument("--encryption", help="none, repokey, repokey-blake2, authenticated, ... "
                                        "(default repokey)")
    g.add_argument("--borg-compression", dest="borg_compression",
                   help="borg compression spec, e.g. lz4, zstd,6 or none (default lz4)")
    for unit in KEEP_UNITS:
        g.add_argument(f"--keep-{unit}", type=int, metavar="N")
    g.add_argument("--no-prune", dest="no_prune", action="store_true", default=None,
                   help="do not prune after each backup")
    g.add_argument("--no-compact", dest="no_compact", action="store_true", default=None,
                   help="do not compact after pruning")
    g.add_argument("--rsh", help="ssh command for remote repositories (BORG_RSH)")
    g.add_argument("--passphrase-stdin", dest="passphrase_stdin", action="store_true",
                   default=None, help="read the repository passphrase from stdin "
                                      "(else BACKUPDESK_PASSPHRASE); kept in the OS keyring")
    setup = g.add_mutually_exclusive_group()
    setup.add_argument("--init", dest="borg_setup", action="store_const", const="init",
                       help="create a new repository (borg init)")
    setup.add_argument("--existing", dest="borg_setup", action="store_const",
                       const="existing", help="use an existing repository (the default)")


KEEP_UNITS = ("last", "hourly", "daily", "weekly", "monthly", "yearly")
ENCRYPTIONS = ("none", "authenticated", "authenticated-blake2", "repokey", "repokey-blake2",
               "keyfile", "keyfile-blake2")


def _read_passphrase(a: argparse.Namespace) -> str | None:
    import os
    import sys

    if getattr(a, "passphrase_stdin", None):
        return sys.stdin.readline().rstrip("\r\n")
    return os.environ.get("BACKUPDESK_PASSPHRASE")


def _borg_from_args(a: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if a.repo is not None:
        opts["repository"] = a.repo
    if a.encryption is not None:
        opts["encryption"] = a.encryption
    if a.borg_compression is not None:
        opts["compression"] = a.borg_compression
    keep = {u: getattr(a, f"keep_{u}") for u in KEEP_UNITS if getattr(a, f"keep_{u}") is not None}
    if keep:
        opts["keep"] = keep
    if getattr(a, "no_prune", None):
        opts["prune"] = False
    if getattr(a, "no_compact", None):
        opts["compact"] = False
    if getattr(a, "rsh", None):
        opts["rsh"] = a.rsh
    passphrase = _read_passphrase(a)
    if passphrase is not None:
        opts["passphrase"] = passphrase  # core.plans moves it to the secret store
    return opts


def _borg_validate(opts: dict[str, Any]) -> None:
    if not opts.get("repository"):
        raise ConfigError("A borg plan needs a repository (--repo).")
    from core.engines.borg.repo import normalise_location

    normalise_location(str(opts["repository"]))
    if opts.get("encryption", "repokey") not in ENCRYPTIONS:
        raise ConfigError(f"Unknown encryption {opts.get('encryption')!r}: use one of "
                          f"{', '.join(ENCRYPTIONS)}.")
    comp = str(opts.get("compression", "lz4"))
    algo, _, level = comp.partition(",")
    if algo not in ("none", "lz4", "zstd", "zlib", "lzma", "auto", "obfuscate") or (
            level and not level.replace(",", "").isdigit()):
        raise ConfigError(f"Unknown borg compression {comp!r}: e.g. lz4, zstd,6 or none.")
    for unit, n in (opts.get("keep") or {}).items():
        if unit not in KEEP_UNITS or not isinstance(n, int) or n < 0:
            raise ConfigError(f"Invalid keep rule {unit}={n!r}.")


def _borg_engine() -> Any:
    from core.engines.borg.engine import ENGINE

    return ENGINE


BORG = register(
    EngineSpec(
        name="borg",
        title="Borg (deduplicated repository)",
        add_plan_options=_borg_options,
        options_from_args=_borg_from_args,
        validate_options=_borg_validate,
        default_options={"encryption": "repokey", "compression": "lz4", "prune": True,
                         "compact": True},
        capabilities=frozenset({Capability.RUN, Capability.VERIFY, Capability.RESTORE,
                                Capability.BROWSE, Capability.DELETE, Capability.PRUNE,
                                Capability.COMPACT, Capability.REFRESH}),
        storage=Storage.REPOSITORY,
        repository_engine=_borg_engine,
    )
)
