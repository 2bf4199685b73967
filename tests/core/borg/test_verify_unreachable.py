"""`verify --all` with borg repositories that cannot be reached (moved away, locked by another
borg, wrong passphrase): everything else is verified, the report is whole, those copies are
"not verified" (their stored state untouched) and the exit code is 1."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from core.cli.main import main
from tests.core.borg.conftest import PASSPHRASE, borg_env, needs_borg

pytestmark = [pytest.mark.borg, needs_borg]


def test_verify_all_reports_what_it_could_not_reach(home: Path, tmp_path: Path,
                                                    source_tree: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from core.config import AppPaths
    from core.engines.borg.repo import passphrase_key
    from core.secrets import SecretStore

    def cli(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        rc = main(["--home", str(home), *argv])
        out, err = capsys.readouterr()
        return rc, out, err

    def ok(*argv: str) -> str:
        rc, out, err = cli(*argv)
        assert rc == 0, (argv, err)
        return out

    ok("plan", "add", "files", "--engine", "archive", "--source", str(source_tree), "--dest",
       str(tmp_path / "dest"))
    ok("run", "files")
    repos = {name: tmp_path / f"repo-{name}" for name in ("good", "moved", "locked", "wrongpw")}
    plan_ids = {}
    monkeypatch.setenv("BACKUPDESK_PASSPHRASE", PASSPHRASE)
    for name, repo in repos.items():
        plan = json.loads(ok("plan", "add", name, "--engine", "borg", "--repo", str(repo),
                             "--source", str(source_tree), "--init", "--json"))
        plan_ids[name] = plan["id"]
        ok("run", name)
    monkeypatch.delenv("BACKUPDESK_PASSPHRASE")
    before = {b["plan"]: b for b in json.loads(ok("backups", "--json"))}

    repos["moved"].rename(tmp_path / "somewhere-else")
    SecretStore(AppPaths.resolve(str(home))).set(passphrase_key(plan_ids["wrongpw"]), "wrong")
    holder = subprocess.Popen(["borg", "with-lock", str(repos["locked"]), "sleep", "120"],
                              env=borg_env(), stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):  # borg took its lock
            if any(p.name.startswith("lock") for p in repos["locked"].iterdir()):
                break
            time.sleep(0.05)
        rc, out, err = cli("verify", "--all")
        assert rc == 1, err
        lines = {ln.split(" at ")[0]: ln for ln in out.splitlines()}
        by_plan = {name: lines[f"backup {before[name]['id']}"] for name in before}
        assert ": ok" in by_plan["files"] and ": ok" in by_plan["good"], out
        assert "not verified" in by_plan["moved"] and "no borg repository" in by_plan["moved"]
        assert "not verified" in by_plan["locked"] and "busy" in by_plan["locked"], out
        assert "not verified" in by_plan["wrongpw"] and "passphrase" in by_plan["wrongpw"]
        assert err.count("\n") == 1 and "3 copies could not be verified" in err, err
        assert "internal error" not in err

        rc, out, _ = cli("verify", "--all", "--json")
        report = json.loads(out)
        assert rc == 1 and report["ok"] is False
        states = {loc["backup_id"]: loc for loc in report["locations"]}
        for name in ("moved", "locked", "wrongpw"):
            loc = states[before[name]["id"]]
            assert loc["state"] == "unverified" and loc["error"], loc
        for name in ("files", "good"):
            assert states[before[name]["id"]]["state"] == "ok"
    finally:
        holder.kill()
        holder.wait()
    after = {b["plan"]: b for b in json.loads(ok("backups", "--json"))}
    for name in ("moved", "locked", "wrongpw"):  # a copy not reached is not known damaged
        assert [loc["state"] for loc in after[name]["locations"]] == \
            [loc["state"] for loc in before[name]["locations"]], after[name]
