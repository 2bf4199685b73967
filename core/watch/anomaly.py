"""Anomaly checks on every backup, against the plan's last 20 successful backups: its size or
file count below half or above three times the median, a run much faster than usual, a mass
change (changed + deleted files over a share of the previous file count). A finding is a
warning on the job (details["warnings"], kind "anomaly", with the figures); its status stays.

Whole-tree figures are compared with backups of the same type: an incremental backup's size and
files are its changes, so only the mass-change check applies to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from core.catalogue.enums import JobKind, JobStatus
from core.catalogue.watch import BackupFigures, backup_figures, baseline
from core.fmt import human_bytes, human_duration
from core.timeutil import utcnow
from core.watch.options import MASS_CHANGE
from core.watch.warnings import ANOMALY

EARLIER = 4  # successful backups before the checks start (the fifth is the first checked)
LOW, HIGH = 0.5, 3.0  # below half, above three times the median
FASTER = 0.2  # a run taking less than a fifth of the median
MIN_USUAL_DURATION_MS = 60_000  # shorter runs vary too much with caches to tell
INCREMENTAL = "incremental"
DASH = "\u2013"  # en dash, as in "usual 3.1-3.4 GiB"
CHECKED = (JobStatus.SUCCESS, JobStatus.PARTIAL)


@dataclass(frozen=True, slots=True)
class Band:
    """The usual range of a figure: outside [low, high] is an anomaly."""

    median: float
    low: float
    high: float


# statistics.median and quantiles(n=4, method="inclusive"), the same figures: importing
# statistics (fractions, decimal) costs each backup run about 7 ms.
def median(values: Sequence[float]) -> float:
    data = sorted(values)
    if not data:
        raise ValueError("no values")
    mid = len(data) // 2
    return data[mid] if len(data) % 2 else (data[mid - 1] + data[mid]) / 2


def quartiles(values: Sequence[float]) -> list[float]:
    data = sorted(values)
    if len(data) < 2:
        raise ValueError("fewer than two values")
    out = []
    for i in (1, 2, 3):
        j, delta = divmod(i * (len(data) - 1), 4)
        out.append((data[j] * (4 - delta) + data[j + 1] * delta) / 4)
    return out


def band(usual: Iterable[float | None]) -> Band | None:
    """The anomaly band of the usual values (a plan's earlier successful backups, at most
    BASELINE of them); None with fewer than EARLIER or a median of 0 (nothing to compare).
    The one rule of the checks here and of the History trend chart's band."""
    known = [v for v in usual if v is not None]
    if len(known) < EARLIER:
        return None
    m = float(median(known))
    return Band(m, m * LOW, m * HIGH) if m > 0 else None


def _files(n: float) -> str:
    return f"{int(n):,} files"


def _range(values: list[int], fmt: Callable[[float], str]) -> str:
    """The middle half of the usual values ("3.1 to 3.4 GiB" with a dash), or the one."""
    lo, hi = (values[0], values[0]) if len(values) < 2 else (
        quartiles(values)[0], quartiles(values)[2])
    a, b = fmt(lo), fmt(hi)
    if a == b:
        return a
    unit_a, unit_b = a.rsplit(" ", 1), b.rsplit(" ", 1)
    if len(unit_a) == 2 and len(unit_b) == 2 and unit_a[1] == unit_b[1]:
        return f"{unit_a[0]}{DASH}{b}"
    return f"{a}{DASH}{b}"


def _warning(check: str, text: str, value: float, usual: list[int]) -> dict[str, Any]:
    return {"kind": ANOMALY, "check": check, "text": text, "value": value,
            "median": median(usual), "baseline": len(usual)}


def _size_check(check: str, word: str, value: int | None, usual: list[int],
                fmt: Callable[[float], str]) -> list[dict[str, Any]]:
    b = band(usual)
    if value is None or b is None:
        return []
    if value < b.low:
        how = "dropped to"
    elif value > b.high:
        how = "jumped to"
    else:
        return []
    return [_warning(check, f"{word} {how} {fmt(value)}, usual {_range(usual, fmt)}",
                     value, usual)]


def _ms(n: float) -> str:
    return human_duration(int(n))


def compare(current: BackupFigures, duration_ms: int | None, earlier: list[BackupFigures],
            changes: dict[str, Any] | None, mass_change: float = MASS_CHANGE
            ) -> list[dict[str, Any]]:
    """The anomaly warnings of a backup with `current` figures against `earlier` (its plan's
    latest successful backups, newest first)."""
    if len(earlier) < EARLIER:
        return []
    out: list[dict[str, Any]] = []
    if current.type != INCREMENTAL:
        same = [b for b in earlier if b.type == current.type]
        out += _size_check("size", "size", current.bytes,
                           [b.bytes for b in same if b.bytes is not None],
                           lambda n: human_bytes(int(n)))
        out += _size_check("files", "files", current.files,
                           [b.files for b in same if b.files is not None], _files)
        usual = [b.duration_ms for b in same if b.duration_ms is not None]
        if duration_ms is not None and len(usual) >= EARLIER:
            middle = median(usual)
            if middle >= MIN_USUAL_DURATION_MS and duration_ms < middle * FASTER:
                out.append(_warning("duration", f"much faster than usual: {_ms(duration_ms)},"
                                    f" usual {_range(usual, _ms)}", duration_ms, usual))
    previous = next((b.files for b in earlier if b.files and b.type != INCREMENTAL), None)
    if changes:  # the files the backup before had: what stayed, changed or went since
        before = sum(int(changes.get(k) or 0) for k in ("unchanged", "changed", "deleted"))
        previous = before if changes.get("unchanged") is not None and before else previous
    if changes and previous:
        moved = int(changes.get("changed") or 0) + int(changes.get("deleted") or 0)
        if moved > previous * mass_change:
            out.append({"kind": ANOMALY, "check": "mass_change",
                        "text": f"mass change: {moved:,} of {previous:,} files changed or "
                                f"deleted ({moved * 100 // previous}%, over "
                                f"{int(mass_change * 100)}%)",
                        "value": moved, "previous_files": previous, "share": mass_change})
    return out


def check_job(job: Any) -> None:
    """The lifecycle finisher (core.jobs.lifecycle.add_finisher): a finished backup's anomaly
    warnings into its details, and a line in its log."""
    end = job.end
    if job.kind != JobKind.BACKUP.value or job.plan_id is None or end.status not in CHECKED:
        return
    current, started, options = backup_figures(job.cat, job.id, end.details.get("backup_id"))
    if current is None:
        return
    current = BackupFigures(current.job_id, end.details.get("type") or current.type,
                            current.bytes if current.bytes is not None else end.bytes,
                            current.files if current.files is not None else end.files, None)
    duration = int((utcnow() - started).total_seconds() * 1000) if started else None
    share = options.get("mass_change")
    found = compare(current, duration, baseline(job.cat, job.plan_id, job.id),
                    end.details.get("changes"),
                    int(share) / 100 if share else MASS_CHANGE)
    if found:
        end.details["warnings"] = [*(end.details.get("warnings") or []), *found]
        job.log([f"Anomaly: {w['text']}." for w in found])
