"""What every subcommand gets: resolved paths and a lazily opened catalogue."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core import startup
from core.config import AppConfig
from core.errors import BackupDeskError

if TYPE_CHECKING:
    from core.catalogue.db import Catalogue


@dataclass
class CliContext:
    """What a command's handler gets: the configuration and the catalogue, opened when used."""
    config: AppConfig
    _catalogue: Catalogue | None = field(default=None, init=False)

    @property
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            from core.catalogue.db import open_catalogue  # not for --version, --help
            from core.jobs import pending

            self.config.paths.ensure()
            self._catalogue = open_catalogue(self.config.catalogue_url)
            pending.record(self._catalogue, self.config.paths)  # outcomes kept in an outage
            startup.end()
        return self._catalogue

    def catalogue_error(self, e: BaseException) -> BackupDeskError | None:
        """The clear error for `e` if it comes from a damaged catalogue, else None."""
        return self._catalogue.damage_in(e) if self._catalogue is not None else None

    def close(self) -> None:
        if self._catalogue is not None:
            self._catalogue.dispose()
            self._catalogue = None


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def print_json(obj: Any) -> None:
    """Readable JSON; odd bytes in paths print as `find`/`diff` print them (\\udcNN)."""
    text = json.dumps(obj, indent=2, ensure_ascii=False)
    sys.stdout.write(_LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [len(h) for h in headers]
    for r in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, r, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line.rstrip())
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
