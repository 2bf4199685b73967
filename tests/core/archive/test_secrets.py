"""Secrets: the OS keyring when there is one, else a 0600 file; plan passwords moved there."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from core.config import AppPaths
from core.secrets import SecretStore, db_secret_key


class MemoryKeyring:
    priority = 10

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, key: str, value: str) -> None:
        self.data[(service, key)] = value

    def get_password(self, service: str, key: str) -> str | None:
        return self.data.get((service, key))

    def delete_password(self, service: str, key: str) -> None:
        self.data.pop((service, key), None)


def test_file_fallback_is_private(home: Path) -> None:
    store = SecretStore(AppPaths.resolve(str(home)), use_keyring=False)
    assert store.uses_fallback
    store.set("k", "pw1")
    store.set("k2", "pw2")
    assert store.get("k") == "pw1" and store.get("missing") is None
    assert stat.S_IMODE(store.file.stat().st_mode) == 0o600
    store.delete("k")
    assert json.loads(store.file.read_text()) == {"k2": "pw2"}
    note = store.fallback_notice()
    assert note and str(store.file) in note
    assert store.fallback_notice() is None  # said once


def test_keyring_backend_is_used(home: Path) -> None:
    kr = MemoryKeyring()
    store = SecretStore(AppPaths.resolve(str(home)), backend=kr)
    store.set("k", "pw")
    assert kr.data == {("backupdesk", "k"): "pw"}
    assert store.get("k") == "pw" and not store.uses_fallback
    assert not store.file.exists() and store.fallback_notice() is None


def test_plan_add_moves_password_out_of_the_plan(catalogue: Any, home: Path,
                                                 tmp_path: Path) -> None:
    from core.plans import add_plan

    kr = MemoryKeyring()
    store = SecretStore(AppPaths.resolve(str(home)), backend=kr)
    plan = add_plan(catalogue, "db", "archive", sources=[], destinations=[str(tmp_path / "d")],
                    options={"databases": ["postgresql://ann:p%40ss@db.example:5433/sales",
                                           "sqlite:///var/x.db"]}, secrets=store)
    assert plan.options["databases"] == ["postgresql://ann@db.example:5433/sales",
                                         "sqlite:///var/x.db"]
    key = db_secret_key(plan.id, "postgresql://ann@db.example:5433/sales")
    assert kr.data == {("backupdesk", key): "p@ss"}


def test_cli_plan_add_keeps_no_password_in_the_catalogue(home: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    from core.cli.main import main

    assert main(["plan", "add", "m", "--engine", "archive", "--dest", str(tmp_path / "d"),
                 "--database", "mysql://bob:hunter2@127.0.0.1:3306/shop", "--json"]) == 0
    out = capsys.readouterr().out
    assert "hunter2" not in out
    assert json.loads(out)["options"]["databases"] == ["mysql://bob@127.0.0.1:3306/shop"]
    catalogue_bytes = b"".join(p.read_bytes() for p in (home / "data").iterdir())
    assert b"hunter2" not in catalogue_bytes


def test_removing_a_plan_forgets_its_passwords(catalogue: Any, home: Path,
                                               tmp_path: Path) -> None:
    from core.plans import add_plan, remove_plan

    kr = MemoryKeyring()
    store = SecretStore(AppPaths.resolve(str(home)), backend=kr)
    add_plan(catalogue, "db", "archive", sources=[], destinations=[str(tmp_path / "d")],
             options={"databases": ["mysql://u:pw@h:3306/x"]}, secrets=store)
    assert kr.data
    remove_plan(catalogue, "db", secrets=store)
    assert kr.data == {}


def test_cli_says_once_where_passwords_are_kept(home: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from core.cli.main import main

    # Port 1: nothing listens there, so the refusal is certain (a "free" port may be taken
    # by another test run on the machine meanwhile).
    main(["plan", "add", "m", "--engine", "archive", "--dest", str(tmp_path / "d"),
          "--database", "mysql://bob:pw@127.0.0.1:1/shop"])
    assert "No OS keyring is available" in capsys.readouterr().err  # said when it is stored
    assert main(["run", "m"]) == 1
    later = capsys.readouterr().err
    assert "Cannot reach" in later and "No OS keyring" not in later


def test_a_run_that_reads_no_secret_never_loads_keyring(home: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    """keyring's back-end discovery costs a third of a second: a plan with no database and no
    passphrase must not pay it (the test lets the process look for a real keyring)."""
    import os
    import subprocess
    import sys

    from core.cli.main import main

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a")
    assert main(["plan", "add", "p", "--engine", "archive", "--source", str(src),
                 "--dest", str(tmp_path / "d")]) == 0
    code = ("import sys\nfrom core.cli.main import main\nrc = main(['run', 'p'])\n"
            "print(rc, 'keyring' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "BACKUPDESK_SECRETS_FILE_ONLY"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout.split()
    assert out[-2:] == ["0", "False"]


class CountingKeyring(MemoryKeyring):
    """In memory (no Secret Service runs here): counts how often it is asked."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def get_password(self, service: str, key: str) -> str | None:
        self.asked += 1
        return super().get_password(service, key)


def test_a_secret_kept_in_the_file_is_read_without_a_keyring_and_leaves_it_when_one_comes(
        home: Path) -> None:
    paths = AppPaths.resolve(str(home))
    SecretStore(paths, use_keyring=False).set("plan-1:borg-passphrase", "old")
    kr = CountingKeyring()
    store = SecretStore(paths, backend=kr)
    assert store.get("plan-1:borg-passphrase") == "old" and kr.asked == 0
    store.set("plan-1:borg-passphrase", "new")  # a keyring now: the file forgets it
    assert json.loads(store.file.read_text()) == {}
    assert store.get("plan-1:borg-passphrase") == "new" and kr.asked == 1
    store.delete("plan-1:borg-passphrase")
    assert store.get("plan-1:borg-passphrase") is None


def test_a_run_reading_a_secret_from_the_file_never_loads_keyring(home: Path,
                                                                   tmp_path: Path) -> None:
    """The passphrase of a borg plan on a machine without a keyring: no back-end discovery
    (the process may look for a real keyring; it must not need to)."""
    import os
    import subprocess
    import sys

    paths = AppPaths.resolve(str(home))
    SecretStore(paths, use_keyring=False).set("plan-3:borg-passphrase", "s3cret")
    code = ("import sys\nfrom core.config import AppPaths\nfrom core.secrets import SecretStore\n"
            f"v = SecretStore(AppPaths.resolve({str(home)!r})).get('plan-3:borg-passphrase')\n"
            "print(v, 'keyring' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "BACKUPDESK_SECRETS_FILE_ONLY"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout.split()
    assert out == ["s3cret", "False"]
