"""Where Backup Desk keeps its state, and how one setting moves all of it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "backupdesk"
HOME_ENV = "BACKUPDESK_HOME"
CATALOGUE_ENV = "BACKUPDESK_CATALOGUE"


@dataclass(frozen=True)
class AppPaths:
    """State folders. With a home, everything lives under it; else platformdirs' user dirs."""

    data_dir: Path
    config_dir: Path
    log_dir: Path
    state_dir: Path
    home: Path | None = None  # the --home folder, if one was given

    @classmethod
    def resolve(cls, home: str | os.PathLike[str] | None = None) -> AppPaths:
        home = home if home is not None else os.environ.get(HOME_ENV) or None
        if home is not None:
            root = Path(home).expanduser().resolve()
            return cls(root / "data", root / "config", root / "logs", root / "state", root)
        return cls(
            Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_state_dir(APP_NAME, appauthor=False)),
        )

    def ensure(self) -> AppPaths:
        for d in (self.data_dir, self.config_dir, self.log_dir, self.state_dir):
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self

    @property
    def default_catalogue_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'catalogue.sqlite3'}"


@dataclass(frozen=True)
class AppConfig:
    """The app's folders and its catalogue's URL."""
    paths: AppPaths
    catalogue_url: str

    def child_env(self) -> dict[str, str]:
        """The environment for another backupdesk process on the same state (the catalogue URL
        goes there rather than on a command line: it may hold a password)."""
        env = {**os.environ, CATALOGUE_ENV: self.catalogue_url}
        if self.paths.home is not None:
            env[HOME_ENV] = str(self.paths.home)
        return env

    @classmethod
    def resolve(cls, home: str | None = None, catalogue: str | None = None) -> AppConfig:
        paths = AppPaths.resolve(home)
        url = catalogue or os.environ.get(CATALOGUE_ENV) or paths.default_catalogue_url
        return cls(paths, url)
