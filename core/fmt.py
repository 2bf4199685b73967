"""Human-readable sizes, durations and times, shared by CLI and GUI."""

from __future__ import annotations

from datetime import datetime

from core.timeutil import to_aware


def human_bytes(n: int | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(size) < 1024 or unit == "PiB":
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def signed_bytes(n: int) -> str:
    """A change in size: +1.5 MiB, -12 B, +0 B."""
    return ("-" if n < 0 else "+") + human_bytes(abs(n))


def human_duration(ms: int | None) -> str:
    if ms is None:
        return ""
    if ms < 1000:
        return f"{ms} ms"
    s = ms / 1000
    if s < 60:
        return f"{s:.1f} s"
    m, sec = divmod(int(s), 60)
    if m < 60:
        return f"{m} min {sec:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"


def local_time(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    aware = to_aware(dt)
    return aware.astimezone().strftime(fmt) if aware else ""


def relative_time(dt: datetime | None, now: datetime) -> str:
    """'3 min ago', 'in 2 h'; both arguments aware or both naive UTC."""
    if dt is None:
        return "never"
    delta = (now - dt).total_seconds()
    future = delta < 0
    delta = abs(delta)
    for limit, div, unit in ((60, 1, "s"), (3600, 60, "min"), (86400, 3600, "h"),
                             (float("inf"), 86400, "d")):
        if delta < limit:
            v = int(delta // div)
            return f"in {v} {unit}" if future else f"{v} {unit} ago"
    raise AssertionError("unreachable")


_IRREGULAR = {"copy": "copies", "is": "are", "was": "were", "has": "have", "entry": "entries",
              "directory": "directories", "this": "these"}


def plural(n: int, word: str, many: str | None = None) -> str:
    """The word for a count: plural(1, "file") -> "file", plural(3, "copy") -> "copies"."""
    if n == 1:
        return word
    return many or _IRREGULAR.get(word) or word + "s"


def count(n: int, word: str, many: str | None = None) -> str:
    """A count with its word: count(1, "job") -> "1 job", count(0, "copy") -> "0 copies"."""
    return f"{n} {plural(n, word, many)}"
