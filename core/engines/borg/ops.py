"""Borg operations on a repository, one borg command each (the engine object: engine.py)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.engines.api import ArchiveEntry, ArchiveStats, CreateResult
from core.engines.borg import commands as cmd
from core.engines.borg.process import BorgCall, BorgEnv, BorgResult, event_path, run_borg
from core.engines.borg.repo import RepoSettings
from core.engines.borg.tree import ArchiveTree
from core.errors import EngineError
from core.progress import CancelToken, Progress, ProgressCallback, no_progress


def borg_time(text: str | None) -> datetime | None:
    """borg's JSON times (local time, or with an offset in 1.4) as naive UTC."""
    if not text:
        return None
    t = datetime.fromisoformat(text)
    if t.tzinfo is None:
        t = t.astimezone()  # naive means the local time of the machine running borg
    return t.astimezone(UTC).replace(tzinfo=None)


REPORT_EVERY = 0.25  # seconds between progress reports (each one is a Qt signal in the GUI)


def progress_events(progress: ProgressCallback, phase: str,
                    every: float = REPORT_EVERY) -> Callable[[dict[str, Any]], None]:
    """Turns borg's progress lines into Progress reports, at most one per `every` seconds."""
    next_at = {"archive_progress": 0.0, "progress_percent": 0.0, "progress_message": 0.0}

    def on_event(ev: dict[str, Any]) -> None:
        typ = str(ev.get("type"))
        due = next_at.get(typ)
        if due is None:
            return
        now = time.monotonic()
        if now < due:
            return
        next_at[typ] = now + every
        if typ == "archive_progress" and not ev.get("finished"):
            progress(Progress(phase, bytes_done=int(ev.get("original_size") or 0),
                              files_done=int(ev.get("nfiles") or 0), current=event_path(ev)))
        elif typ == "progress_percent" and not ev.get("finished"):
            total = ev.get("total")
            progress(Progress(phase, bytes_done=int(ev.get("current") or 0),
                              bytes_total=int(total) if total else None,
                              message=str(ev.get("message") or "")))
        elif typ == "progress_message" and ev.get("message"):
            progress(Progress(phase, message=str(ev["message"])))

    return on_event


def archive_stats(a: dict[str, Any]) -> ArchiveStats:
    """An archive of borg's `--json` output."""
    st = a.get("stats") or {}
    return ArchiveStats(str(a["id"]), str(a["name"]), borg_time(a.get("start")),
                        borg_time(a.get("end")), int(st.get("original_size") or 0),
                        int(st.get("compressed_size") or 0),
                        int(st.get("deduplicated_size") or 0), int(st.get("nfiles") or 0),
                        str(a.get("hostname") or ""), str(a.get("username") or ""))


@dataclass
class OpResult:
    log: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    data: Any = None


def _res(r: BorgResult, data: Any = None) -> OpResult:
    return OpResult(r.log_lines(), r.warnings, data)


def init_repo(s: RepoSettings, env: BorgEnv, cancel: CancelToken | None = None) -> OpResult:
    return _res(run_borg(cmd.init(s.location, s.encryption, binary=s.binary), env, s.location,
                         cancel=cancel))


def repo_info(s: RepoSettings, env: BorgEnv, cancel: CancelToken | None = None) -> OpResult:
    r = run_borg(cmd.info(s.location, binary=s.binary), env, s.location, cancel=cancel)
    return _res(r, r.json())


def create(s: RepoSettings, env: BorgEnv, archive: str, sources: Sequence[str],
           excludes: Sequence[str] = (), progress: ProgressCallback = no_progress,
           cancel: CancelToken | None = None) -> CreateResult:
    with Creating(s, env, archive, sources, excludes, progress, cancel) as c:
        return c.result()


class Creating:
    """A `borg create` started (core.engines.api.Creating): `result()` waits for it; leaving
    the `with` block without it ends borg."""

    def __init__(self, s: RepoSettings, env: BorgEnv, archive: str, sources: Sequence[str],
                 excludes: Sequence[str], progress: ProgressCallback,
                 cancel: CancelToken | None) -> None:
        argv = cmd.create(s.location, archive, sources, compression=s.compression,
                          excludes=excludes, binary=s.binary,
                          progress=progress is not no_progress, list_items=True)
        self.listed: list[tuple[str, str]] = []
        on_progress = progress_events(progress, "create")
        listed = self.listed

        def on_event(ev: dict[str, Any]) -> None:
            if ev.get("type") == "file_status":
                listed.append((str(ev.get("status")), str(ev.get("path"))))
            else:
                on_progress(ev)

        self.call = BorgCall(argv, env, s.location, on_event=on_event, cancel=cancel)

    def __enter__(self) -> Creating:
        return self

    def __exit__(self, *exc: object) -> None:
        self.call.__exit__(*exc)

    def result(self) -> CreateResult:
        r = self.call.result()
        return CreateResult(archive_stats(r.json()["archive"]), r.log_lines(), r.warnings,
                            self.listed)



_PRUNE_VERBS = ("Would prune", "Pruning archive", "Keeping archive")
_PRUNE_LINE = re.compile(r"^(Would prune|Pruning archive|Keeping archive)(?: \([^)]*\))?:"
                         r"\s*(.*?)\s+\S+ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[([0-9a-f]+)\]\s*$")


def prune(s: RepoSettings, env: BorgEnv, glob: str | None, keep: dict[str, int] | None = None,
          *, dry_run: bool = False, cancel: CancelToken | None = None) -> OpResult:
    """Prune the archives matching `glob` by the keep rules; `data` is (pruned, kept): the
    ArchiveEntry (name, id) lists of those pruned (or, with dry_run, that would be) and kept."""
    rules = keep if keep is not None else s.keep
    if not rules:
        return OpResult(["No keep rules: nothing pruned."], [], ([], []))
    r = run_borg(cmd.prune(s.location, rules, glob=glob, binary=s.binary, dry_run=dry_run),
                 env, s.location, cancel=cancel)
    return _res(r, parse_prune_list(str(m.get("message", "")) for m in r.messages))


def parse_prune_list(lines: Iterable[str]) -> tuple[list[ArchiveEntry], list[ArchiveEntry]]:
    """(pruned, kept) from `borg prune --list` messages; a listed archive that cannot be read
    stops everything (a prune must never act on a list it did not understand)."""
    pruned: list[ArchiveEntry] = []
    kept: list[ArchiveEntry] = []
    for text in lines:
        hit = _PRUNE_LINE.match(text)
        if hit is None and text.startswith(_PRUNE_VERBS):
            raise EngineError(f"Cannot read borg's prune list ({text!r}); nothing pruned.")
        if hit:
            (kept if hit.group(1) == "Keeping archive" else pruned).append(
                ArchiveEntry(hit.group(3), hit.group(2), None))
    return pruned, kept


def delete_archives(s: RepoSettings, env: BorgEnv, names: Sequence[str],
                    cancel: CancelToken | None = None) -> OpResult:
    """Delete exactly these archives, in one borg transaction."""
    argv = cmd.delete(s.location, names[0], *names[1:], binary=s.binary)
    return _res(run_borg(argv, env, s.location, cancel=cancel))


def rename(s: RepoSettings, env: BorgEnv, old: str, new: str,
           cancel: CancelToken | None = None) -> OpResult:
    return _res(run_borg(cmd.rename(s.location, old, new, binary=s.binary), env, s.location,
                         cancel=cancel))


def compact(s: RepoSettings, env: BorgEnv, progress: ProgressCallback = no_progress,
            cancel: CancelToken | None = None) -> OpResult:
    return _res(run_borg(cmd.compact(s.location, binary=s.binary), env, s.location,
                         on_event=progress_events(progress, "compact"), cancel=cancel))


def check(s: RepoSettings, env: BorgEnv, *, verify_data: bool = False,
          progress: ProgressCallback = no_progress,
          cancel: CancelToken | None = None) -> OpResult:
    return _res(run_borg(cmd.check(s.location, verify_data=verify_data, binary=s.binary),
                         env, s.location, on_event=progress_events(progress, "check"),
                         cancel=cancel))


def list_archives(s: RepoSettings, env: BorgEnv,
                  cancel: CancelToken | None = None) -> list[ArchiveEntry]:
    r = run_borg(cmd.list_archives(s.location, binary=s.binary), env, s.location,
                 cancel=cancel)
    return [ArchiveEntry(str(a["id"]), str(a["name"]), borg_time(a.get("start") or a.get("time")))
            for a in r.json().get("archives", [])]


def archive_info(s: RepoSettings, env: BorgEnv, archive: str,
                 cancel: CancelToken | None = None) -> ArchiveStats:
    r = run_borg(cmd.info(s.location, archive, binary=s.binary), env, s.location, cancel=cancel)
    return archive_stats(r.json()["archives"][0])


def extract(s: RepoSettings, env: BorgEnv, archive: str, to: Path,
            paths: Sequence[str] = (), progress: ProgressCallback = no_progress,
            cancel: CancelToken | None = None) -> OpResult:
    to.mkdir(parents=True, exist_ok=True)
    argv = cmd.extract(s.location, archive, paths, binary=s.binary)
    return _res(run_borg(argv, env, s.location, on_event=progress_events(progress, "extract"),
                         cancel=cancel, cwd=str(to)))


def delete_archive(s: RepoSettings, env: BorgEnv, archive: str,
                   cancel: CancelToken | None = None) -> OpResult:
    return delete_archives(s, env, [archive], cancel)


def break_lock(s: RepoSettings, env: BorgEnv) -> OpResult:
    return _res(run_borg(cmd.break_lock(s.location, binary=s.binary), env, s.location))


def stream_contents(s: RepoSettings, env: BorgEnv, archive: str, tree: ArchiveTree,
                    cancel: CancelToken | None = None,
                    progress: ProgressCallback = no_progress,
                    every: float = REPORT_EVERY) -> ArchiveTree:
    """Fill `tree` from `borg list --json-lines` as the lines arrive; reports the count at
    the first line and then at most every `every` seconds."""
    add = tree.add_line
    next_at = [0.0]

    def on_line(line: bytes) -> None:
        add(line)
        if tree.entries & 255 == 1:  # look at the clock every 256 lines only
            now = time.monotonic()
            if now >= next_at[0]:
                next_at[0] = now + every
                progress(Progress("listing", bytes_done=tree.bytes, files_done=tree.entries))

    run_borg(cmd.list_contents(s.location, archive, binary=s.binary), env, s.location,
             on_line=on_line if progress is not no_progress else add, cancel=cancel)
    tree.finished = True
    progress(Progress("listed", bytes_done=tree.bytes, files_done=tree.entries))
    return tree
