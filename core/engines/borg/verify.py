"""Verify of borg backups: `borg check` of each archive (the repository checks its chunks).

A repository that cannot be reached (moved away, busy, a wrong passphrase, a host that does
not answer) makes its archives "unverified" with the reason, and the others are still checked."""

from __future__ import annotations

from core.backups import BackupInfo
from core.catalogue.db import Catalogue
from core.catalogue.models import JobKind, LocationState
from core.config import AppPaths
from core.engines.borg import commands as cmd
from core.engines.borg.backups import _plan_of, _settings
from core.engines.borg.errors import ArchiveMissingError, BorgError
from core.engines.borg.jobs import JobEnd, RepoJob, run_job
from core.engines.borg.ops import progress_events
from core.engines.borg.process import run_borg
from core.errors import BackupDeskError, CancelledError
from core.progress import CancelToken, ProgressCallback, no_progress
from core.verify import ArtifactResult, LocationResult

SKIPPED = (LocationState.FAILED.value, LocationState.DELETED.value)


def check_archives(cat: Catalogue, items: list[BackupInfo], *,
                   progress: ProgressCallback = no_progress,
                   cancel: CancelToken | None = None,
                   paths: AppPaths | None = None) -> list[LocationResult]:
    """One check job per archive; results for core.verify.store."""
    out: list[LocationResult] = []
    unreached: dict[str, str] = {}  # repository -> why it could not be reached
    for b in items:
        locs = [loc for loc in b.locations if loc.state not in SKIPPED]
        if not locs:
            continue
        loc = locs[0]
        r = LocationResult(b.id, loc.id, loc.destination, loc.path)
        out.append(r)
        repo = str(b.details.get("repository") or loc.path)

        def body(job: RepoJob, end: JobEnd, name: str = b.name) -> None:
            job.log(f"Checking archive {name}.")
            loc = job.settings.location
            argv = cmd.check(loc, archive=name, binary=job.settings.binary)
            job.log(run_borg(argv, job.env, loc,
                             on_event=progress_events(job.report, "check"),
                             cancel=job.cancel).log_lines())

        try:
            if repo in unreached:
                raise _Unreached(unreached[repo])
            plan = _plan_of(cat, b)
            run_job(cat, plan, JobKind.CHECK.value, body, settings=_settings(plan, b),
                    progress=progress, cancel=cancel, details={"backup_id": b.id}, paths=paths)
            r.artifacts.append(ArtifactResult(b.name, LocationState.OK.value))
        except CancelledError:
            raise
        except ArchiveMissingError as e:  # the repository answered: the archive is gone
            r.artifacts.append(ArtifactResult(b.name, LocationState.MISSING.value, error=str(e)))
        except BackupDeskError as e:
            if type(e) is BorgError:  # borg checked and failed: a verdict on the data
                r.artifacts.append(ArtifactResult(b.name, LocationState.CORRUPT.value,
                                                  error=str(e)))
            else:  # missing, busy, passphrase, ssh, timeout, no borg: no verdict
                unreached[repo] = r.error = str(e)
                r.state = LocationState.UNVERIFIED.value
                continue
        r.state = r.artifacts[0].state
    return out


class _Unreached(BackupDeskError):
    """The repository already failed to answer for an earlier archive."""
