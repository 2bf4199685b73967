"""Issue 18: borgmatic's repositories as external borg plans, with borgmatic itself running
real backups into real borg repositories (and borg directly, for the old layout)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.borgmatic import read_config

needs_borg = pytest.mark.skipif(shutil.which("borg") is None, reason="borg is not installed")
BORGMATIC = str(Path(sys.executable).parent / "borgmatic")
PASSPHRASE = "s3cret borgmatic pass"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BORG_BASE_DIR", str(tmp_path / "borg-base"))
    monkeypatch.setenv("BACKUPDESK_SECRETS_FILE_ONLY", "1")
    for var in ("BORG_PASSPHRASE", "BORG_PASSCOMMAND", "BACKUPDESK_PASSPHRASE"):
        monkeypatch.delenv(var, raising=False)


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=180)


def borgmatic(config: Path, *args: str) -> None:
    done = subprocess.run([BORGMATIC, "--config", str(config), *args], capture_output=True,
                          text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr


def external_backups(home: Path, plan: str) -> list[dict]:
    done = cli(home, "history", "--plan", plan, "--json")
    assert done.returncode == 0, done.stderr
    return [j for j in json.loads(done.stdout) if j["kind"] == "backup"
            and j["trigger"] == "external"]


@pytest.fixture
def src(tmp_path: Path) -> Path:
    s = tmp_path / "src"
    (s / "docs").mkdir(parents=True)
    (s / "docs" / "a.txt").write_text("alpha\n" * 100)
    return s


@needs_borg
def test_borgmatic_backups_show_in_history_after_import_and_refresh(home, tmp_path, src):
    repo = tmp_path / "repo"
    config = tmp_path / "config.yaml"
    config.write_text(f"""
source_directories:
  - {src}
repositories:
  - path: {repo}
    label: nas
encryption_passphrase: "{PASSPHRASE}"
keep_daily: 7
""")
    borgmatic(config, "repo-create", "--encryption", "repokey")
    borgmatic(config, "create")

    dry = cli(home, "borgmatic", "import", "--borgmatic-config", str(config), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "borgmatic-nas" in dry.stdout and "would add" in dry.stdout
    assert "borgmatic-nas" not in cli(home, "plan", "list").stdout

    done = cli(home, "borgmatic", "import", "--borgmatic-config", str(config), "--json")
    assert done.returncode == 0, done.stderr
    assert [o["action"] for o in json.loads(done.stdout)] == ["added"]
    plan = json.loads(cli(home, "plan", "show", "borgmatic-nas", "--json").stdout)
    assert plan["engine"] == "borg" and plan["schedules"] == []
    assert plan["options"]["repository"] == str(repo)
    assert plan["options"]["prune"] is False and plan["options"]["compact"] is False
    assert plan["options"]["borgmatic_config"] == str(config)
    assert "passphrase" not in plan["options"]
    # the passphrase is in the 0600 secrets file, nowhere in the catalogue
    secrets = home / "config" / "secrets.json"
    assert json.loads(secrets.read_text())[f"plan-{plan['id']}:borg-passphrase"] == PASSPHRASE
    assert secrets.stat().st_mode & 0o077 == 0
    for f in (home / "data").rglob("*"):  # the catalogue, the file index, ...
        assert not f.is_file() or PASSPHRASE.encode() not in f.read_bytes(), f
    # borgmatic's archive is in the History at once
    first = external_backups(home, "borgmatic-nas")
    assert len(first) == 1 and first[0]["status"] == "success" and first[0]["bytes"] > 0

    borgmatic(config, "create")  # the cron side goes on, unchanged
    refreshed = cli(home, "refresh", "borgmatic-nas")
    assert refreshed.returncode == 0, refreshed.stderr
    assert len(external_backups(home, "borgmatic-nas")) == 2

    again = cli(home, "borgmatic", "import", "--borgmatic-config", str(config), "--json")
    assert again.returncode == 0
    assert [o["action"] for o in json.loads(again.stdout)] == ["exists"]


@needs_borg
def test_old_layout_with_a_passphrase_command(home, tmp_path, src):
    """borgmatic before 1.8: `location:` and `storage:` sections; the passphrase comes from a
    command, which is kept as a command and run when the repository is opened."""
    repo = tmp_path / "old-repo"
    pw_file = tmp_path / "pw"
    pw_file.write_text(PASSPHRASE + "\n")
    env = {**os.environ, "BORG_PASSPHRASE": PASSPHRASE}
    subprocess.run(["borg", "init", "--encryption", "repokey", str(repo)], check=True, env=env,
                   capture_output=True, stdin=subprocess.DEVNULL)
    subprocess.run(["borg", "create", f"{repo}::host-2026-12-01T02:00:00", str(src)],
                   check=True, env=env, capture_output=True, stdin=subprocess.DEVNULL)
    config = tmp_path / "old.yaml"
    config.write_text(f"""
location:
    source_directories:
        - {src}
    repositories:
        - {repo}
storage:
    encryption_passcommand: cat {pw_file}
retention:
    keep_daily: 7
""")
    done = cli(home, "borgmatic", "import", "--borgmatic-config", str(config))
    assert done.returncode == 0, done.stderr
    plan = json.loads(cli(home, "plan", "show", "borgmatic-old-repo", "--json").stdout)
    assert plan["options"]["borgmatic_passcommand"] == f"cat {pw_file}"
    secrets = home / "config" / "secrets.json"
    assert not secrets.exists() or PASSPHRASE not in secrets.read_text()
    assert len(external_backups(home, "borgmatic-old-repo")) == 1
    # the command runs each time: a changed passphrase file is read on the next refresh
    pw_file.write_text("wrong\n")
    failed = cli(home, "refresh", "borgmatic-old-repo")
    assert failed.returncode != 0 and "passphrase" in failed.stderr.lower()
    assert PASSPHRASE not in failed.stderr + failed.stdout


@needs_borg
def test_bad_configs_are_one_line_errors_and_leave_no_plan(home, tmp_path, src):
    repo = tmp_path / "repo"
    env = {**os.environ, "BORG_PASSPHRASE": PASSPHRASE}
    subprocess.run(["borg", "init", "--encryption", "repokey", str(repo)], check=True, env=env,
                   capture_output=True, stdin=subprocess.DEVNULL)
    broken = tmp_path / "broken.yaml"
    broken.write_text("repositories: [\n  - path: x\n")
    empty = tmp_path / "empty.yaml"
    empty.write_text("source_directories: [/srv]\n")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(f"source_directories: [{src}]\nrepositories:\n  - path: {repo}\n"
                     "encryption_passphrase: not-it\n")
    missing_repo = tmp_path / "missing.yaml"
    missing_repo.write_text(f"source_directories: [{src}]\nrepositories:\n"
                            f"  - path: {tmp_path / 'nowhere'}\n")
    for f, words in ((broken, "not valid YAML"), (empty, "names no repositories"),
                     (tmp_path / "absent.yaml", "Cannot read"),
                     (wrong, "passphrase"), (missing_repo, "")):
        done = cli(home, "borgmatic", "import", "--borgmatic-config", str(f))
        assert done.returncode == 1, (f, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("backupdesk: "), done.stderr
        assert words.lower() in lines[0].lower(), lines[0]
        assert "Traceback" not in done.stderr
    listed = cli(home, "plan", "list", "--json")
    assert json.loads(listed.stdout) == []
    secrets = home / "config" / "secrets.json"
    assert not secrets.exists() or "not-it" not in secrets.read_text()  # removed with its plan
    history = json.loads(cli(home, "history", "--json").stdout)
    assert all(j["status"] != "running" for j in history)


def test_repository_spellings(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("""
source_directories: [/srv]
repositories:
  - path: ssh://backup@nas.local:2222/./borg
    label: nas
  - path: user@host:relative/repo
  - path: host:/abs/repo
  - path: ~/local-repo
ssh_command: ssh -i /root/.ssh/key
local_path: /usr/local/bin/borg1
encryption_passphrase: "never-shown"
""")
    cfg = read_config(config)
    assert [r.location for r in cfg.repositories] == [
        "ssh://backup@nas.local:2222/./borg", "ssh://user@host/./relative/repo",
        "ssh://host/abs/repo", str(Path.home() / "local-repo")]
    assert cfg.ssh_command == "ssh -i /root/.ssh/key" and cfg.borg_binary == "/usr/local/bin/borg1"
    assert cfg.passphrase == "never-shown" and "never-shown" not in repr(cfg)
