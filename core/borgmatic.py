"""borgmatic's repositories as external borg plans.

Reads borgmatic configuration files (the old `location:`/`storage:` sections and the flat
layout of 1.8 and later) and offers each repository as a borg plan with no schedule here, an
existing repository, no prune and no compact: borgmatic's cron job keeps writing it and each
refresh records its archives. A passphrase in the file goes to the secret store; a passphrase
command is kept as a command to run when the repository is opened, never its output.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.catalogue.db import Catalogue
from core.catalogue.enums import JobTrigger
from core.config import AppPaths
from core.errors import BackupDeskError, ConfigError
from core.plan_setup import set_up_repository
from core.plans import add_plan, list_plans
from core.secrets import SecretStore


def default_files() -> list[Path]:
    """Where borgmatic looks by default: /etc/borgmatic/config.yaml, /etc/borgmatic.d/*.yaml,
    and the same under the user's configuration folder."""
    user = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    out: list[Path] = []
    for base in (Path("/etc"), user):
        out.append(base / "borgmatic" / "config.yaml")
        folder = base / "borgmatic.d"
        if folder.is_dir():
            out.extend(sorted(folder.glob("*.yaml")))
    return [p for p in out if p.is_file()]


@dataclass(frozen=True)
class Repository:
    location: str  # as Backup Desk spells it (absolute path or ssh://USER@HOST:PORT/PATH)
    label: str | None


@dataclass(frozen=True)
class Config:
    file: Path
    repositories: tuple[Repository, ...]
    sources: tuple[str, ...]
    excludes: tuple[str, ...]
    passphrase: str | None = field(repr=False)  # never in a repr, log or traceback
    passcommand: str | None
    ssh_command: str | None
    borg_binary: str | None


def _location(raw: str) -> str:
    """borgmatic's repository path in Backup Desk's spelling: scp-style `user@host:path`
    becomes an ssh URL (a relative path stays relative to the login folder, as borg reads
    `/./`); `~` is expanded for local paths."""
    raw = raw.strip()
    scp = re.match(r"^([^/:]+@)?([^/:]+):(.*)$", raw)
    if "://" not in raw and scp:
        user, host, path = scp.group(1) or "", scp.group(2), scp.group(3)
        if not path.startswith("/"):
            path = "/./" + path.removeprefix("./") if not path.startswith("~") else "/" + path
        return f"ssh://{user}{host}{path}"
    if raw.startswith("ssh://"):
        return raw
    return os.path.expanduser(raw)


def _section(doc: dict[str, Any], key: str, old: str) -> Any:
    """A setting from the flat layout (1.8+) or its old section."""
    if key in doc:
        return doc[key]
    sec = doc.get(old)
    return sec.get(key) if isinstance(sec, dict) else None


def read_config(path: Path) -> Config:
    """One borgmatic configuration file; ConfigError (one line) for one that cannot be used."""
    import yaml  # only `borgmatic import` reads YAML

    try:
        doc = yaml.safe_load(path.read_text())
    except OSError as e:
        raise ConfigError(f"Cannot read the borgmatic configuration {path}: "
                          f"{e.strerror or e}.") from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{path} is not valid YAML{where}.") from e
    if not isinstance(doc, dict):
        raise ConfigError(f"{path} is not a borgmatic configuration (no settings in it).")
    repos: list[Repository] = []
    for item in _section(doc, "repositories", "location") or []:
        if isinstance(item, str):
            repos.append(Repository(_location(item), None))
        elif isinstance(item, dict) and item.get("path"):
            label = item.get("label")
            repos.append(Repository(_location(str(item["path"])),
                                    str(label) if label else None))
    if not repos:
        raise ConfigError(f"{path} names no repositories.")

    def text(key: str, old: str) -> str | None:
        v = _section(doc, key, old)
        return str(v) if v not in (None, "") else None

    def texts(key: str, old: str) -> tuple[str, ...]:
        v = _section(doc, key, old) or []
        return tuple(str(x) for x in v) if isinstance(v, list) else ()

    return Config(path, tuple(repos), texts("source_directories", "location"),
                  texts("exclude_patterns", "location"),
                  text("encryption_passphrase", "storage"),
                  text("encryption_passcommand", "storage"),
                  text("ssh_command", "storage"), text("local_path", "location"))


def plan_name(cfg: Config, repo: Repository) -> str:
    """`borgmatic-LABEL`, else `borgmatic-` and the repository folder's name."""
    base = repo.label or repo.location.rstrip("/").rsplit("/", 1)[-1] or "repository"
    return "borgmatic-" + re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-")


def plan_options(cfg: Config, repo: Repository) -> dict[str, Any]:
    opts: dict[str, Any] = {"repository": repo.location, "prune": False, "compact": False,
                            "borgmatic_config": str(cfg.file)}
    if cfg.ssh_command:
        opts["rsh"] = cfg.ssh_command
    if cfg.borg_binary:
        opts["borg_binary"] = cfg.borg_binary
    if cfg.passcommand:
        opts["borgmatic_passcommand"] = cfg.passcommand
    if cfg.passphrase is not None:
        opts["passphrase"] = cfg.passphrase  # core.plans moves it to the secret store
    return opts


@dataclass(frozen=True)
class Outcome:
    plan: str
    repository: str
    file: str
    action: str  # "added", "would add", "exists", "failed"
    message: str = ""

    def to_json(self) -> dict[str, str]:
        return {"plan": self.plan, "repository": self.repository, "config": self.file,
                "action": self.action, "message": self.message}


def import_configs(cat: Catalogue, paths: AppPaths, files: list[Path], *,
                   dry_run: bool = False, secrets: SecretStore | None = None,
                   trigger: str = JobTrigger.CLI.value) -> list[Outcome]:
    """Each repository of each file as a plan, checked and its archives recorded (a job); a
    repository already a plan (by location) is left alone. One that fails (unreadable file, bad
    location, wrong passphrase) is reported and leaves no plan; the others go on."""
    known = {str(p.options.get("repository")): p.name for p in list_plans(cat)
             if p.engine == "borg"}
    out: list[Outcome] = []
    for f in files:
        try:
            cfg = read_config(f)
        except ConfigError as e:
            out.append(Outcome("", "", str(f), "failed", str(e)))
            continue
        for repo in cfg.repositories:
            name = plan_name(cfg, repo)
            try:
                out.append(_import_one(cat, paths, cfg, repo, name, known, dry_run, secrets,
                                       trigger))
            except BackupDeskError as e:
                out.append(Outcome(name, repo.location, str(f), "failed", str(e)))
    return out


def _import_one(cat: Catalogue, paths: AppPaths, cfg: Config, repo: Repository, name: str,
                known: dict[str, str], dry_run: bool, secrets: SecretStore | None,
                trigger: str) -> Outcome:
    from core.engines.borg.repo import normalise_location

    loc = normalise_location(repo.location)
    if loc in known:
        return Outcome(known[loc], loc, str(cfg.file), "exists")
    if not cfg.sources:
        raise ConfigError(f"{cfg.file} names no source_directories for {loc}.")
    if dry_run:
        return Outcome(name, loc, str(cfg.file), "would add")
    store = secrets or SecretStore(paths)
    plan = add_plan(cat, name, "borg", sources=list(cfg.sources), destinations=[],
                    excludes=list(cfg.excludes), options=plan_options(cfg, repo), secrets=store)
    set_up_repository(cat, paths, plan, create=False, trigger=trigger, secrets=store)
    known[loc] = name
    return Outcome(name, loc, str(cfg.file), "added")
