"""Borg command lines as pure functions: every one speaks borg's frontend contract
(`--log-json`, `--json`/`--json-lines`, `--progress`). Secrets never appear here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

BORG = "borg"
COMMON = ("--log-json",)
KEEP_UNITS = ("last", "hourly", "daily", "weekly", "monthly", "yearly")
# Wait this long for borg's own repository lock before answering "repository busy".
LOCK_WAIT = 1
# What `create --list` writes a line for: all but unchanged files (U), folders, links, devices
# and fifos (writing a line per path costs borg about a tenth of an unchanged create).
LIST_FILTER = "AMhxCE?"


def _base(cmd: str, binary: str = BORG, lock_wait: int | None = LOCK_WAIT) -> list[str]:
    argv = [binary, cmd, *COMMON]
    if lock_wait is not None:
        argv += ["--lock-wait", str(lock_wait)]
    return argv


def archive_ref(repo: str, archive: str) -> str:
    return f"{repo}::{archive}"


def init(repo: str, encryption: str, *, binary: str = BORG) -> list[str]:
    return [*_base("init", binary, None), "--encryption", encryption, repo]


def create(repo: str, archive: str, sources: Sequence[str], *, compression: str = "lz4",
           excludes: Sequence[str] = (), binary: str = BORG, progress: bool = True,
           list_items: bool = False) -> list[str]:
    argv = _base("create", binary)
    if progress:
        argv.append("--progress")
    if list_items:  # the file index's feed
        argv += ["--list", "--filter", LIST_FILTER]
    argv += ["--json", "--compression", compression]
    for pattern in excludes:
        argv += ["--exclude", pattern]
    return [*argv, archive_ref(repo, archive), *sources]


def prune(repo: str, keep: Mapping[str, int], *, glob: str | None = None,
          binary: str = BORG, dry_run: bool = False) -> list[str]:
    argv = [*_base("prune", binary), "--list"]
    if dry_run:
        argv.append("--dry-run")
    if glob:
        argv += ["--glob-archives", glob]
    for unit in KEEP_UNITS:
        n = keep.get(unit)
        if n:
            argv += [f"--keep-{unit}", str(int(n))]
    return [*argv, repo]


def compact(repo: str, *, binary: str = BORG) -> list[str]:
    return [*_base("compact", binary), "--progress", repo]


def check(repo: str, *, verify_data: bool = False, archive: str | None = None,
          binary: str = BORG) -> list[str]:
    argv = [*_base("check", binary), "--progress"]
    if verify_data:
        argv.append("--verify-data")
    return [*argv, archive_ref(repo, archive) if archive else repo]


def list_archives(repo: str, *, binary: str = BORG) -> list[str]:
    return [*_base("list", binary), "--json", repo]


def list_contents(repo: str, archive: str, *, binary: str = BORG) -> list[str]:
    return [*_base("list", binary), "--json-lines", archive_ref(repo, archive)]


def info(repo: str, archive: str | None = None, *, binary: str = BORG) -> list[str]:
    return [*_base("info", binary), "--json", archive_ref(repo, archive) if archive else repo]


def extract(repo: str, archive: str, paths: Sequence[str] = (), *, binary: str = BORG,
            progress: bool = True) -> list[str]:
    argv = _base("extract", binary)
    if progress:
        argv.append("--progress")
    return [*argv, archive_ref(repo, archive), *(p.lstrip("/") for p in paths)]


def delete(repo: str, archive: str, *more: str, binary: str = BORG) -> list[str]:
    return [*_base("delete", binary), archive_ref(repo, archive), *more]


def rename(repo: str, archive: str, new_name: str, *, binary: str = BORG) -> list[str]:
    return [*_base("rename", binary), archive_ref(repo, archive), new_name]


def break_lock(repo: str, *, binary: str = BORG) -> list[str]:
    return [binary, "break-lock", *COMMON, repo]


def version(binary: str = BORG) -> list[str]:
    return [binary, "--version"]
