"""Real borg repositories, and a real sshd on 127.0.0.1 for remote ones."""

from __future__ import annotations

import getpass
import os
import pwd
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PASSPHRASE = "correct horse battery staple"

needs_borg = pytest.mark.skipif(shutil.which("borg") is None, reason="borg is not installed")


@pytest.fixture(autouse=True)
def _isolated_borg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """borg's cache, config and security dirs per test; no keyring; no inherited passphrase."""
    base = tmp_path / "borg-base"
    monkeypatch.setenv("BORG_BASE_DIR", str(base))
    monkeypatch.setenv("BACKUPDESK_SECRETS_FILE_ONLY", "1")
    for var in ("BORG_PASSPHRASE", "BORG_PASSCOMMAND", "BORG_RSH", "BACKUPDESK_PASSPHRASE"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def source_tree(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "docs" / "deep").mkdir(parents=True)
    (src / "docs" / "a.txt").write_text("alpha\n")
    (src / "docs" / "deep" / "b.txt").write_text("bravo\n" * 100)
    (src / "top.bin").write_bytes(os.urandom(4096))
    (src / "skip.tmp").write_text("excluded\n")
    return src


def borg_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "BORG_PASSPHRASE": PASSPHRASE, **extra}


def outside_create(repo: str, archive: str, src: Path, **env: str) -> None:
    """An archive made outside Backup Desk, as a cron script would."""
    subprocess.run(["borg", "create", f"{repo}::{archive}", str(src)], check=True,
                   env=borg_env(**env), stdin=subprocess.DEVNULL, capture_output=True)


@dataclass
class Sshd:
    port: int
    user: str
    key: Path
    rsh: str

    def url(self, path: Path) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}{path}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[Sshd]:
    """A real sshd on 127.0.0.1 with a throwaway host key and user key."""
    exe = "/usr/sbin/sshd"
    if not os.path.exists(exe) or shutil.which("ssh-keygen") is None:
        pytest.skip("openssh-server is not installed")
    if pwd.getpwuid(os.getuid()).pw_shell.endswith(("nologin", "false")):
        pytest.skip("this user has no login shell, so it cannot log in over ssh")
    d = tmp_path / "sshd"
    d.mkdir()
    for name in ("host_key", "user_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / name)],
                       check=True)
    (d / "authorized_keys").write_text((d / "user_key.pub").read_text())
    os.chmod(d / "authorized_keys", 0o600)
    port = _free_port()
    cfg = d / "sshd_config"
    cfg.write_text("\n".join([
        "ListenAddress 127.0.0.1", f"Port {port}", f"HostKey {d / 'host_key'}",
        f"AuthorizedKeysFile {d / 'authorized_keys'}", "StrictModes no", "UsePAM no",
        "PasswordAuthentication no", "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes", "PermitRootLogin prohibit-password",
        f"PidFile {d / 'sshd.pid'}", "LogLevel INFO",
        "Subsystem sftp internal-sftp", "",  # SFTP destinations (tests/core/remote)
    ]))
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", exist_ok=True)
    proc = subprocess.Popen([exe, "-D", "-e", "-f", str(cfg)], stdin=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:  # ready once it says so; exits (EOF) on a bad config
        seen.append(line)
        if "Server listening" in line:
            break
    else:
        proc.wait()
        pytest.fail("sshd did not start: " + "".join(seen))
    key = d / "user_key"
    rsh = (f"ssh -i {key} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
           f"-o BatchMode=yes -o LogLevel=ERROR -p {port}")
    try:
        yield Sshd(port, getpass.getuser(), key, rsh)
    finally:
        proc.terminate()
        proc.wait()
        proc.stderr.close()
