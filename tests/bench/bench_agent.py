"""Agent benchmark (run on demand): python -m tests.bench.bench_agent [--runs 3] [--base main]

Runs `backupdesk serve` as a user does (default options) and, alternating with it, a baseline:
the agent of git revision --base (its ThreadingHTTPServer), served from the same catalogue.
1. M idle connections (default 2,000) to the fresh server, connected at once and silent: how
   many connected within 20 s, the serving process's RSS and thread count before and after,
   and how many it has closed 15 s later.
2. N concurrent authorised clients on 127.0.0.1 (default 1,000), all started at once: how many
   got a whole 200 answer within 5 s, the slowest answer, and the server's CPU time for them
   (the clients run in this process and, on a small machine, take most of the wall time).
Figures are medians over the runs. The machine may be shared: compare with the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.bench.common import BENCH_DIR

TOKEN = "bench-token"
ROOT = Path(__file__).resolve().parents[2]
BASELINE = """
import sys
from core.cli.context import CliContext
from core.config import AppConfig
from old_agent import make_server
ctx = CliContext(AppConfig.resolve(sys.argv[1], None))
server = make_server(ctx.catalogue, sys.argv[2], "127.0.0.1", 0)
print(f"Serving on http://127.0.0.1:{server.server_port}/status", flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    pass
"""


def prepare(base: str) -> tuple[Path, Path, Path]:
    home = BENCH_DIR / "agent-home"
    token = BENCH_DIR / "agent-token"
    old = BENCH_DIR / "agent-baseline"
    old.mkdir(parents=True, exist_ok=True)
    token.write_text(TOKEN)
    token.chmod(0o600)
    src = subprocess.run(["git", "show", f"{base}:core/grid/agent.py"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    (old / "old_agent.py").write_text(src)
    if not (home / "seeded").exists():
        from core.cli.context import CliContext
        from core.config import AppConfig
        from core.plans import add_plan

        ctx = CliContext(AppConfig.resolve(str(home), None))
        src_dir = BENCH_DIR / "agent-src"
        src_dir.mkdir(exist_ok=True)
        for i in range(20):
            add_plan(ctx.catalogue, f"plan{i:02d}", "archive", sources=[str(src_dir)],
                     destinations=[str(BENCH_DIR / f"agent-out{i}")])
        (home / "seeded").write_text("ok")
    return home, token, old


def start(kind: str, home: Path, token: Path, old: Path) -> tuple[subprocess.Popen[str], int]:
    if kind == "new":
        exe = Path(sys.executable).with_name("backupdesk")
        argv = [str(exe), "--home", str(home), "serve", "--token-file", str(token), "--port", "0"]
        env = dict(os.environ)
    else:
        argv = [sys.executable, "-c", BASELINE, str(home), TOKEN]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(old), str(ROOT)]))
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    m = re.search(r"127\.0\.0\.1:(\d+)/status", line)
    if not m:
        proc.kill()
        err = proc.stderr.read() if proc.stderr else ""
        raise SystemExit(f"{kind}: did not start: {line!r} {err}")
    return proc, int(m.group(1))


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status(pid: int) -> tuple[int, int]:
    """(RSS in KiB, threads) of the process."""
    text = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.findall(r"VmRSS:\s+(\d+)", text)[0])
    threads = int(re.findall(r"Threads:\s+(\d+)", text)[0])
    return rss, threads


async def one_client(port: int, t0: float, limit_s: float) -> float | None:
    req = (f"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
           "Connection: close\r\n\r\n").encode()
    try:
        async with asyncio.timeout(limit_s):
            r, w = await asyncio.open_connection("127.0.0.1", port)
            w.write(req)
            await w.drain()
            data = await r.read()
            w.close()
    except (TimeoutError, OSError):
        return None
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")):
        return None
    try:
        json.loads(body)
    except ValueError:
        return None
    return time.monotonic() - t0


async def concurrent(port: int, n: int, limit_s: float = 5.0) -> tuple[int, float]:
    t0 = time.monotonic()
    times = await asyncio.gather(*(one_client(port, t0, limit_s) for _ in range(n)))
    ok = [t for t in times if t is not None]
    return len(ok), max(ok, default=float("nan"))


Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _open_idle(port: int, n: int, within_s: float) -> list[Conn]:
    async def one() -> Conn | None:
        try:
            async with asyncio.timeout(within_s):
                return await asyncio.open_connection("127.0.0.1", port)
        except (TimeoutError, OSError):
            return None

    return [c for c in await asyncio.gather(*(one() for _ in range(n))) if c is not None]


async def _idle(pid: int, port: int, n: int) -> dict[str, float]:
    before = proc_status(pid)
    conns = await _open_idle(port, n, 20.0)
    await asyncio.sleep(2.0)
    after = proc_status(pid)
    await asyncio.sleep(13.0)
    closed = sum(1 for r, _ in conns if r.at_eof())
    for _, w in conns:
        w.close()
    return {"connected": len(conns), "rss_mib": (after[0] - before[0]) / 1024,
            "rss_total_mib": after[0] / 1024, "threads_before": before[1],
            "threads_after": after[1], "closed_after_15s": closed}


def idle(pid: int, port: int, n: int) -> dict[str, float]:
    return asyncio.run(_idle(pid, port, n))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--clients", type=int, default=1000)
    p.add_argument("--idle", type=int, default=2000)
    p.add_argument("--base", default="main")
    a = p.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    home, token, old = prepare(a.base)
    results: dict[str, list[dict[str, Any]]] = {"new": [], "old": []}
    for run in range(a.runs):
        for kind in ("new", "old") if run % 2 == 0 else ("old", "new"):
            proc, port = start(kind, home, token, old)
            try:
                row: dict[str, Any] = idle(proc.pid, port, a.idle)
                cpu0 = cpu_s(proc.pid)
                ok, slowest = asyncio.run(concurrent(port, a.clients))
                row.update(answered_5s=ok, slowest_s=slowest, server_cpu_s=cpu_s(proc.pid) - cpu0)
            finally:
                err = stop(proc)
            row["tracebacks"] = err.count("Traceback")
            results[kind].append(row)
            print(kind, json.dumps(row), file=sys.stderr, flush=True)
    print(f"{a.clients} concurrent clients, {a.idle} idle connections, {a.runs} runs each "
          "(medians; machine shared with other work):")
    for kind, label in (("new", "backupdesk serve (uvicorn)"), ("old", f"baseline ({a.base})")):
        rows = results[kind]
        med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        print(f"  {label}: answered within 5 s {med['answered_5s']:.0f}/{a.clients}, slowest "
              f"{med['slowest_s']:.2f} s, server CPU {med['server_cpu_s']:.2f} s; "
              f"idle: {med['connected']:.0f} connected within 20 s, "
              f"+{med['rss_mib']:.1f} MiB RSS (total "
              f"{med['rss_total_mib']:.1f} MiB), threads {med['threads_before']:.0f} -> "
              f"{med['threads_after']:.0f}, closed by the server after 15 s "
              f"{med['closed_after_15s']:.0f}; tracebacks on stderr {med['tracebacks']:.0f}")


if __name__ == "__main__":
    main()
