"""update_plan: same validation as add_plan, passwords to the secret store, destinations and
the backup schedule replaced, backups of kept destinations still deletable."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.backups import list_backups
from core.config import AppPaths
from core.errors import ConfigError
from core.jobs.delete import delete_backups
from core.jobs.run import run_plan
from core.plans import add_plan, get_plan, plan_json, update_plan
from core.secrets import SecretStore, db_secret_key


@pytest.fixture
def store(home: Path) -> SecretStore:
    return SecretStore(AppPaths.resolve(str(home)), use_keyring=False)


def _plan(catalogue, tmp_path: Path, store: SecretStore):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a\n")
    return add_plan(catalogue, "docs", "archive", sources=[str(src)],
                    destinations=[str(tmp_path / "d1")], schedule="daily",
                    options={"databases": ["postgresql://u:old@db.example:5432/sales"]},
                    secrets=store)


def test_update_replaces_every_setting(catalogue, tmp_path, store):
    plan = _plan(catalogue, tmp_path, store)
    updated = update_plan(
        catalogue, "docs", new_name="papers", sources=[str(tmp_path / "src"), "/etc/hosts"],
        destinations=[str(tmp_path / "d2"), str(tmp_path / "d3")], excludes=["*.tmp"],
        schedule="30 4 * * 1-5", enabled=False, secrets=store,
        options={"compression": "gzip:6", "full_every": 3, "verify_after": False,
                 "include": "files",
                 "databases": ["mysql://root:n3w@127.0.0.1:3306/shop", "sqlite:///tmp/x.db"]})
    data = plan_json(updated)
    assert data["id"] == plan.id and data["name"] == "papers" and not data["enabled"]
    assert data["sources"] == [str(tmp_path / "src"), "/etc/hosts"]
    assert [d["location"] for d in data["destinations"]] == [str(tmp_path / "d2"),
                                                              str(tmp_path / "d3")]
    assert data["excludes"] == ["*.tmp"]
    assert [s["expression"] for s in data["schedules"]] == ["30 4 * * 1-5"]
    assert data["options"] == {"compression": "gzip:6", "full_every": 3, "verify_after": False,
                               "include": "files",
                               "databases": ["mysql://root@127.0.0.1:3306/shop",
                                             "sqlite:///tmp/x.db"]}
    assert store.get(db_secret_key(plan.id, "mysql://root@127.0.0.1:3306/shop")) == "n3w"
    # the removed database's password is forgotten
    assert store.get(db_secret_key(plan.id, "postgresql://u@db.example:5432/sales")) is None


def test_unchanged_url_keeps_its_password_and_schedule_can_go(catalogue, tmp_path, store):
    plan = _plan(catalogue, tmp_path, store)
    update_plan(catalogue, "docs", sources=[str(tmp_path / "src")],
                destinations=[str(tmp_path / "d1")], schedule=None, secrets=store,
                options={"databases": ["postgresql://u@db.example:5432/sales"]})
    assert store.get(db_secret_key(plan.id, "postgresql://u@db.example:5432/sales")) == "old"
    assert get_plan(catalogue, "docs").schedules == []


@pytest.mark.parametrize("kwargs, message", [
    ({"options": {"compression": "lzma"}}, "Unknown compression"),
    ({"options": {"full_every": 0}}, "at least 1"),
    ({"destinations": []}, "at least one destination"),
    ({"sources": []}, "at least one source"),
    ({"schedule": "every tuesday"}, "Invalid schedule"),
    ({"options": {"databases": ["oracle://x/y"]}}, "Unsupported database URL"),
])
def test_invalid_update_changes_nothing(catalogue, tmp_path, store, kwargs, message):
    _plan(catalogue, tmp_path, store)
    before = plan_json(get_plan(catalogue, "docs"))
    args = {"sources": [str(tmp_path / "src")], "destinations": [str(tmp_path / "d1")],
            "secrets": store, **kwargs}
    with pytest.raises(ConfigError, match=message):
        update_plan(catalogue, "docs", **args)
    assert plan_json(get_plan(catalogue, "docs")) == before


def test_rename_onto_another_plan_is_refused(catalogue, tmp_path, store):
    _plan(catalogue, tmp_path, store)
    add_plan(catalogue, "other", "archive", sources=["/etc/hosts"], destinations=["/tmp/o"])
    with pytest.raises(ConfigError, match="exists already"):
        update_plan(catalogue, "docs", new_name="other", sources=[str(tmp_path / "src")],
                    destinations=[str(tmp_path / "d1")], secrets=store)


def test_kept_destination_keeps_its_backups_deletable(catalogue, home, tmp_path, store):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a\n")
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    add_plan(catalogue, "docs", "archive", sources=[str(src)], destinations=[str(d1)])
    assert run_plan(catalogue, AppPaths.resolve(str(home)), "docs").exit_code == 0
    update_plan(catalogue, "docs", sources=[str(src)], destinations=[str(d2), str(d1)],
                secrets=store)
    [b] = list_backups(catalogue)
    folder = Path(b.locations[0].path)
    assert folder.is_dir()
    report = delete_backups(catalogue, b.id, files=True)
    assert report.errors == [] and not folder.exists()


def test_borg_passphrase_goes_to_the_secret_store(catalogue, tmp_path, store):
    plan = add_plan(catalogue, "vault", "borg", sources=[str(tmp_path / "src")], destinations=[],
                    options={"repository": str(tmp_path / "repo")}, secrets=store)
    updated = update_plan(catalogue, "vault", sources=[str(tmp_path / "src")], destinations=[],
                          options={"repository": str(tmp_path / "repo"), "passphrase": "pw2",
                                   "keep": {"daily": 3}}, secrets=store)
    assert "passphrase" not in updated.options and updated.options["keep"] == {"daily": 3}
    assert store.get(db_secret_key(plan.id, "borg-passphrase")) == "pw2"
