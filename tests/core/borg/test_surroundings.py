"""Borg's surroundings failing: a silent ssh port, a binary that is no borg, a home given with
--home, a repository lock we may not take, the app killed under a running borg."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.cli.main import main
from core.engines.borg.process import SSH_CONNECT_TIMEOUT
from tests.core.as_nobody import main_as_nobody
from tests.core.borg.conftest import PASSPHRASE, needs_borg
from tests.core.helpers import orm_session

# Bounds for a whole command on a silent host: the connect timeout, borg's start and exit.
SILENT_BOUND = SSH_CONNECT_TIMEOUT * 4

pytestmark = [pytest.mark.borg, needs_borg]


def _outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME and the XDG folders point at an empty folder that no command may write to."""
    out = tmp_path / "outside"
    for var, sub in (("HOME", ""), ("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".data"),
                     ("XDG_STATE_HOME", ".state"), ("XDG_CACHE_HOME", ".cache")):
        (out / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(out / sub))
    for var in ("BACKUPDESK_HOME", "BORG_BASE_DIR"):
        monkeypatch.delenv(var, raising=False)
    return out


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir())


def test_every_borg_command_keeps_to_its_home(tmp_path: Path, source_tree: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    outside = _outside(tmp_path, monkeypatch)
    home = tmp_path / "given-home"
    h = ["--home", str(home)]
    repo = tmp_path / "repo"

    def ok(*argv: str) -> str:
        capsys.readouterr()
        rc = main([*h, *argv])
        out, err = capsys.readouterr()
        assert rc == 0, (argv, err)
        return out

    monkeypatch.setenv("BACKUPDESK_PASSPHRASE", PASSPHRASE)
    ok("plan", "add", "b", "--engine", "borg", "--repo", str(repo), "--source",
       str(source_tree), "--keep-last", "5", "--init")
    monkeypatch.delenv("BACKUPDESK_PASSPHRASE")  # from here on, only the home's secrets
    ok("plan", "add", "a", "--engine", "archive", "--source", str(source_tree), "--dest",
       str(tmp_path / "dest"))
    first = json.loads(ok("run", "b", "--json"))["backup_id"]
    second = json.loads(ok("run", "b", "--json"))["backup_id"]
    ok("run", "a")
    ok("backups")
    ok("refresh", "b")
    ok("check", "b")
    ok("compact", "b")
    ok("repo-info", "b")
    ok("archives", "b")
    ok("prune", "b")
    ok("verify", str(first))
    report = json.loads(ok("verify", "--all", "--json"))
    assert report["ok"] and len(report["locations"]) >= 3
    ok("restore", str(first), "--to", str(tmp_path / "back"))
    ok("delete", str(second), "--yes")
    ok("break-lock", "b", "--yes")
    assert (tmp_path / "back").is_dir()
    assert _files(outside) == []
    assert (home / "state" / "borg-transactions.json").is_file()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that accepts connections and never says a word."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        deadline = time.monotonic() + 600  # stops by itself
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                held.append(srv.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                break

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield int(srv.getsockname()[1])
    finally:
        stop.set()
        t.join()
        for c in held:
            c.close()
        srv.close()


def _processes(needle: str) -> list[str]:
    """Command lines of live processes (not zombies) that mention `needle`."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (d / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in cmd and state != "Z":
            found.append(f"{d.name}: {cmd}")
    return found


def _backupdesk(home: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The real command, as a user runs it (bounded: a hang fails the test)."""
    return subprocess.run([sys.executable, "-m", "core", "--home", str(home), *argv],
                          capture_output=True, text=True, timeout=SILENT_BOUND,
                          env={**os.environ, **env}, cwd=Path(__file__).parents[3])


def _silent_rsh(port: int) -> str:
    return (f"ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes "
            f"-o LogLevel=ERROR -p {port}")


def test_silent_ssh_port_fails_plan_add_and_run(home: Path, catalogue: Any, tmp_path: Path,
                                               source_tree: Path, silent_port: int) -> None:
    from core.catalogue.schema import Job
    from core.plans import add_plan

    url = f"ssh://nobody@127.0.0.1:{silent_port}{tmp_path}/repo"
    r = _backupdesk(home, "plan", "add", "far", "--engine", "borg", "--repo", url, "--rsh",
                    _silent_rsh(silent_port), "--source", str(source_tree), "--init",
                    BACKUPDESK_PASSPHRASE=PASSPHRASE)
    assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
    assert "over ssh" in r.stderr and "internal error" not in r.stderr, r.stderr
    assert _processes(str(silent_port)) == []

    add_plan(catalogue, "far", "borg", sources=[str(source_tree)], destinations=[],
             options={"repository": url, "rsh": _silent_rsh(silent_port)})
    r = _backupdesk(home, "run", "far", BACKUPDESK_PASSPHRASE=PASSPHRASE)
    assert r.returncode == 1 and "over ssh" in r.stderr, r.stderr
    assert _processes(str(silent_port)) == []
    with orm_session(catalogue) as s:
        job = s.query(Job).order_by(Job.id.desc()).first()
    assert job is not None and job.status == "failed" and "ssh" in (job.error or "")


def test_ssh_gets_timeouts_unless_the_rsh_sets_them() -> None:
    from core.engines.borg.process import ssh_command

    cmd = ssh_command(None)
    assert "ConnectTimeout=" in cmd and "ServerAliveInterval=" in cmd
    assert "ServerAliveCountMax=" in cmd and cmd.startswith("ssh ")
    own = ssh_command("ssh -i key -o connecttimeout=3")
    assert own.lower().count("connecttimeout") == 1 and own.startswith("ssh -i key")


@pytest.mark.parametrize(("binary", "said"), [("/etc/passwd", "cannot be run"),
                                              ("/bin/false", "is not borg")])
def test_a_binary_that_is_no_borg_fails_clearly(home: Path, tmp_path: Path,
                                                source_tree: Path, binary: str, said: str,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BACKUPDESK_PASSPHRASE", PASSPHRASE)
    h = ["--home", str(home)]
    assert main([*h, "plan", "add", "b", "--engine", "borg", "--repo", str(tmp_path / "r"),
                 "--source", str(source_tree), "--init"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("BACKUPDESK_BORG", binary)
    for argv in (["run", "b"], ["check", "b"], ["archives", "b"],
                 ["plan", "add", "c", "--engine", "borg", "--repo", str(tmp_path / "r2"),
                  "--source", str(source_tree), "--init"]):
        assert main([*h, *argv]) == 1, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and said in err and "internal error" not in err, err
        assert binary in err, err


def test_borg_that_exits_1_without_a_word_is_a_failure(tmp_path: Path) -> None:
    """The exit code is judged even when borg (here /bin/false in its place) says nothing."""
    from core.engines.borg.errors import BorgError
    from core.engines.borg.process import BorgEnv, run_borg

    with pytest.raises(BorgError, match="exit code 1"):
        run_borg(["/bin/false", "list", "--json", "/r"], BorgEnv(), "/r")


def test_kill_9_of_a_run_ends_its_borg(home: Path, tmp_path: Path) -> None:
    src = tmp_path / "big"
    src.mkdir()
    for i in range(60):
        (src / f"f{i}").write_bytes(os.urandom(4 << 20))
    repo = tmp_path / "repo"
    r = _backupdesk(home, "plan", "add", "k", "--engine", "borg", "--repo", str(repo),
                    "--encryption", "none", "--borg-compression", "zstd,22",  # slow: minutes
                    "--source", str(src), "--init")
    assert r.returncode == 0, r.stderr
    app = subprocess.Popen([sys.executable, "-m", "core", "--home", str(home), "run", "k"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           cwd=Path(__file__).parents[3])
    try:
        for _ in range(600):  # until borg create runs (at most 60 s)
            if any(" create " in p for p in _processes(str(repo))):
                break
            time.sleep(0.1)
        else:
            app.kill()
            pytest.fail(f"borg create never started: {app.communicate()}")
        app.kill()
        app.wait()
        for _ in range(300):  # the watcher ends borg's group (SIGTERM, SIGKILL after 5 s)
            if not _processes(str(repo)):
                break
            time.sleep(0.1)
        assert _processes(str(repo)) == []
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    r = _backupdesk(home, "archives", "k", "--json")  # not "busy": borg released its lock
    assert r.returncode == 0, r.stderr
    assert not [p for p in repo.iterdir() if p.name.startswith("lock")]


def test_lock_permission_denied_is_not_busy(tmp_path: Path, source_tree: Path) -> None:
    """A repository of root's (made by its cron job), used by `nobody`."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run borg as another user")
    import pwd

    from core.catalogue import open_catalogue
    from core.config import AppConfig

    repo = tmp_path / "roots-repo"
    subprocess.run(["borg", "init", "--encryption", "none", str(repo)], check=True,
                   capture_output=True, stdin=subprocess.DEVNULL)
    subprocess.run(["chmod", "-R", "a+rX", str(repo), str(source_tree)], check=True)
    home = tmp_path / "nobodys-home"
    cfg = AppConfig.resolve(str(home))
    cfg.paths.ensure()
    open_catalogue(cfg.catalogue_url).dispose()  # made (migrated) here: nobody only uses it
    nobody = pwd.getpwnam("nobody")
    for p in [home, *home.rglob("*")]:
        os.chown(p, nobody.pw_uid, nobody.pw_gid)
    rc, err = main_as_nobody(["--home", str(home), "plan", "add", "x", "--engine", "borg",
                              "--repo", str(repo), "--source", str(source_tree), "--existing"],
                             tmp_path, {"HOME": str(home)})
    assert rc == 1, err
    assert err.count("\n") == 1 and "permission denied" in err, err
    assert "busy" not in err and "owner" in err, err
