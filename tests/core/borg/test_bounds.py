"""Every borg call that talks to a repository is bounded: a short call by a wall-clock limit,
create/extract/check by a watchdog on borg's silence. Each ends borg's process group.

A `borg serve` that completes the login and then hangs cannot be made here without
controlling the remote side, so BACKUPDESK_BORG points at a small script that stands in for
it: `--version` and the calls before the hang go to the real borg, the call that talks to the
hung repository starts a child (standing in for the ssh in borg's group) and sleeps. The last
test makes the same hang with a real sshd: a remote command that logs in and never answers."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.core.borg.conftest import PASSPHRASE, Sshd, needs_borg
from tests.core.borg.test_surroundings import _backupdesk, _processes
from tests.core.helpers import orm_session

pytestmark = [pytest.mark.borg, needs_borg]


def _hung_borg(tmp_path: Path, hangs_on: str, says: str = "") -> tuple[Path, Path]:
    """A borg that hangs on the `hangs_on` call after saying `says` on stderr; the pids it
    leaves behind (borg and its child) are written to the returned file."""
    pids = tmp_path / "hung-pids"
    script = tmp_path / "hung-borg"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" != "{hangs_on}" ]; then exec {shutil.which("borg")} "$@"; fi\n'
        f"printf '%s\\n' '{says}' >&2\n"
        "sleep 3600 & child=$!\n"
        f'echo "$$ $child" > {pids}\n'
        "wait\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, pids


def _alive(pids: Path) -> list[int]:
    found = []
    for pid in map(int, pids.read_text().split()):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            found.append(pid)
    return found


def _init(repo: Path) -> None:
    subprocess.run(["borg", "init", "--encryption", "repokey", str(repo)], check=True,
                   capture_output=True, stdin=subprocess.DEVNULL,
                   env={**os.environ, "BORG_PASSPHRASE": PASSPHRASE})


def test_a_short_call_to_a_hung_repository_fails_after_its_limit(home: Path, tmp_path: Path,
                                                                 source_tree: Path) -> None:
    repo = tmp_path / "repo"
    _init(repo)
    borg, pids = _hung_borg(tmp_path, "info")
    r = _backupdesk(home, "plan", "add", "far", "--engine", "borg", "--repo", str(repo),
                    "--source", str(source_tree), "--existing", BACKUPDESK_BORG=str(borg),
                    BACKUPDESK_PASSPHRASE=PASSPHRASE, BACKUPDESK_BORG_TIMEOUT="2")
    assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
    assert f"borg info on {repo} did not finish within 2 s" in r.stderr, r.stderr
    assert "BACKUPDESK_BORG_TIMEOUT" in r.stderr and "internal error" not in r.stderr
    assert _alive(pids) == []  # borg and what it started are ended
    r = _backupdesk(home, "plan", "list", "--json")
    assert r.returncode == 0 and "far" not in r.stdout


def test_a_backup_to_a_repository_that_goes_silent_is_stopped(home: Path, tmp_path: Path,
                                                               source_tree: Path,
                                                               catalogue: Any) -> None:
    from core.catalogue.schema import Job

    repo = tmp_path / "repo"
    r = _backupdesk(home, "plan", "add", "far", "--engine", "borg", "--repo", str(repo),
                    "--source", str(source_tree), "--init", BACKUPDESK_PASSPHRASE=PASSPHRASE)
    assert r.returncode == 0, r.stderr
    progress = json.dumps({"type": "progress_message", "message": "Initializing cache"})
    borg, pids = _hung_borg(tmp_path, "create", progress)
    r = _backupdesk(home, "run", "far", BACKUPDESK_BORG=str(borg),
                    BACKUPDESK_BORG_IDLE_TIMEOUT="2")
    assert r.returncode == 1, r.stderr
    assert f"borg create on {repo} said nothing for 2 s" in r.stderr, r.stderr
    assert _alive(pids) == []
    with orm_session(catalogue) as s:
        job = s.query(Job).order_by(Job.id.desc()).first()
    assert job is not None and job.status == "failed" and "said nothing" in (job.error or "")
    r = _backupdesk(home, "run", "far")  # the real borg: nothing was left locked
    assert r.returncode == 0, r.stderr


def test_a_borg_serve_that_hangs_after_the_login_is_given_up(home: Path, tmp_path: Path,
                                                            source_tree: Path,
                                                            sshd: Sshd) -> None:
    """Real ssh and sshd; the remote command (BORG_REMOTE_PATH) logs in and never answers, as
    a hung `borg serve` would: sshd keeps answering ssh's keep-alives, so only our bound
    ends the call."""
    repo = tmp_path / "repo"
    _init(repo)
    pids = tmp_path / "remote-pid"
    serve = tmp_path / "hung-serve"
    serve.write_text(f"#!/bin/sh\necho $$ > {pids}\nexec sleep 3600\n")
    serve.chmod(0o755)
    try:
        r = _backupdesk(home, "plan", "add", "far", "--engine", "borg", "--repo",
                        sshd.url(repo), "--rsh", sshd.rsh, "--source", str(source_tree),
                        "--existing", BACKUPDESK_PASSPHRASE=PASSPHRASE,
                        BORG_REMOTE_PATH=str(serve), BACKUPDESK_BORG_TIMEOUT="5")
        assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
        assert f"on {sshd.url(repo)} did not finish within 5 s" in r.stderr, r.stderr
        assert pids.is_file()  # the login worked: the remote side was reached
        assert _processes(f"-p {sshd.port}") == []  # no ssh left behind
    finally:
        if pids.is_file():
            subprocess.run(["kill", pids.read_text().strip()], check=False)
