"""First-run decisions, without Qt: is the catalogue empty, and what to suggest as a first plan."""

from __future__ import annotations

import getpass
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from core import engines
from core.catalogue.db import Catalogue
from core.catalogue.history import plan_names
from core.config import AppPaths
from core.errors import ConfigError
from core.overlap import check_overlap
from core.plan_setup import set_up_repository
from core.plans import add_plan
from core.secrets import SecretStore
from gui.panes.settings.plan_form import secret_place

MARKER = "welcome-done"
MIN_PASSPHRASE = 8
REPOSITORY = "backupdesk.borg"  # the repository's folder inside the destination
# The first plan's engine: the first of these that can run here. The one place outside
# core/engines/ that names engines: a product choice (deduplicated and encrypted where borg is
# installed, else plain files).
FIRST_PLAN_ENGINES = ("borg", "archive")


@dataclass(frozen=True)
class Suggestion:
    name: str
    sources: list[str]
    destination: str
    engine: str  # the suggested one
    runnable: tuple[str, ...]  # the engines that can run here, the suggested one first
    schedule_time: str  # HH:MM, daily
    secret_place: str = "kept by Backup Desk"  # where a passphrase goes (plan_form.secret_place)


VENV_EXCLUDES = (".venv", "venv", ".virtualenvs")  # virtual environments: rebuilt, not restored


def offered_engines() -> list[str]:
    """Every engine, in the order the welcome offers them."""
    return sorted(engines.engines(), key=lambda n: (*FIRST_PLAN_ENGINES, n).index(n))


def runnable_engines() -> tuple[str, ...]:
    """The engines whose program is installed here, in the welcome's order."""
    specs = engines.engines()
    return tuple(n for n in offered_engines()
                 if (program := specs[n].program) is None or shutil.which(program) is not None)


def needs_passphrase(engine: str) -> str:
    """The option that takes the engine's passphrase ('' when it takes none)."""
    return next((o.name for o in engines.get(engine).options.secrets()), "")


def passphrase_problem(passphrase: str, again: str) -> str | None:
    """Why the borg passphrase typed twice cannot be used, or None."""
    if len(passphrase) < MIN_PASSPHRASE:
        return f"The passphrase needs at least {MIN_PASSPHRASE} characters."
    if passphrase != again:
        return "The two passphrases differ: type the same one twice."
    return None


def removable_media(user: str) -> list[Path]:
    out: list[Path] = []
    for base in (Path("/media") / user, Path("/run/media") / user):
        try:
            out.extend(sorted(p for p in base.iterdir() if p.is_dir()))
        except OSError:
            continue
    return out


def documents_dir(home: Path) -> Path:
    """The user's documents folder: XDG_DOCUMENTS_DIR from user-dirs.dirs (localised names),
    else ~/Documents."""
    try:
        for line in (home / ".config" / "user-dirs.dirs").read_text().splitlines():
            if line.startswith("XDG_DOCUMENTS_DIR="):
                value = line.split("=", 1)[1].strip().strip('"')
                path = Path(value.replace("$HOME", str(home)))
                if path != home:
                    return path
    except OSError:
        pass
    return home / "Documents"


def suggest(home: Path, runnable: tuple[str, ...], media: list[Path]) -> Suggestion:
    """Documents into ~/Backups (or removable media); with no Documents folder no source at
    all: the home folder into a folder inside it would back up its own backups."""
    docs = documents_dir(home)
    dest_root = media[0] if media else home
    return Suggestion(
        name=docs.name if docs.is_dir() else "My files",
        sources=[str(docs)] if docs.is_dir() else [],
        destination=str(dest_root / "Backups"),
        engine=runnable[0],
        runnable=runnable,
        schedule_time="12:30",
    )


def first_run_suggestion(cat: object, paths: AppPaths) -> Suggestion | None:
    """A suggestion when the catalogue has no plan and the welcome was not dismissed; else None.
    Runs on a worker thread (disk and catalogue access)."""
    assert isinstance(cat, Catalogue)

    if (paths.config_dir / MARKER).exists() or plan_names(cat):
        return None
    s = suggest(Path.home(), runnable_engines(), removable_media(getpass.getuser()))
    return replace(s, secret_place=secret_place(paths))


def default_excludes(sources: list[str], paths: AppPaths, engine: str) -> list[str]:
    """Backup Desk's own state folders inside a source, and virtual environments, as exclude
    globs the engine understands (EngineSpec.exclude_glob)."""
    glob = engines.get(engine).exclude_glob
    out: list[str] = []
    for d in (paths.data_dir, paths.config_dir, paths.log_dir, paths.state_dir):
        for s in sources:
            src = Path(s).expanduser().absolute()
            if d.is_relative_to(src) and d != src:
                out.append(glob(str(src), d.relative_to(src).as_posix()))
    out += [glob(None, v) for v in VENV_EXCLUDES]
    return list(dict.fromkeys(out))


def mark_done(paths: AppPaths) -> None:
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    (paths.config_dir / MARKER).write_text("The first-run welcome was shown.\n")


def create_first_plan(cat: object, paths: AppPaths, name: str, engine: str,
                      sources: list[str], destination: str, schedule: str,
                      passphrase: str = "") -> str:
    """Create the destination folder and the plan; return the plan's name. Worker thread.

    An engine that keeps a repository (borg) gets DESTINATION/backupdesk.borg (the default
    encryption), its passphrase in the secret store and the repository created as the plan
    editor does it; if that fails the plan goes again and the error is raised."""
    assert isinstance(cat, Catalogue)
    secret = needs_passphrase(engine)
    if secret and (problem := passphrase_problem(passphrase, passphrase)):
        raise ConfigError(problem)
    if not sources:
        raise ConfigError("Add at least one folder to back up.")
    dest = Path(destination).expanduser()
    check_overlap(sources, [str(dest)])  # before the folder is made
    excludes = default_excludes(sources, paths, engine)
    dest.mkdir(parents=True, exist_ok=True)
    if engines.keeps_repository(engine):
        store = SecretStore(paths)
        options = {"repository": str(dest / REPOSITORY)}
        if secret:  # core.plans moves it to the secret store
            options[secret] = passphrase
        plan = add_plan(cat, name, engine, sources=sources, destinations=[],
                        excludes=excludes, schedule=schedule, options=options, secrets=store)
        set_up_repository(cat, paths, plan, create=True, trigger="manual", secrets=store)
    else:
        plan = add_plan(cat, name, engine, sources=sources, destinations=[str(dest)],
                        excludes=excludes, schedule=schedule)
    mark_done(paths)
    return plan.name
