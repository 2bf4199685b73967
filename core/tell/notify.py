"""Notifications through Apprise (one URL scheme per service: ntfy, Gotify, Matrix, Slack,
e-mail, ...), each event sent once (core.tell.dedup).

`announce(cat, plan, event, title, body, key)` is the door for anyone with news about a plan
(the watchdog's late, missing, hung): it sends to the plan's `--notify` targets if the plan
wants `event`, once per `key` across processes and polls."""

from __future__ import annotations

import logging
from pathlib import Path

from core.catalogue.db import Catalogue
from core.catalogue.models import Plan
from core.catalogue.plans import find_plan
from core.config import AppPaths
from core.secrets import SecretStore, db_secret_key
from core.tell import dedup
from core.tell.stored import NOTIFY_KEY, events_of, notify_urls

log = logging.getLogger(__name__)

TIMEOUT_S = 10


def claims_dir(paths: AppPaths) -> Path:
    return paths.state_dir / "alerts"  # beside core.alerts' claims: one place to look


def send(urls: list[str], title: str, body: str) -> list[str]:
    """Send one message to each Apprise URL; the schemes of those that failed."""
    import apprise  # a quarter of a second: only when something is sent

    failed = []
    for url in urls:
        a = apprise.Apprise()
        scheme = url.split("://", 1)[0]
        if not a.add(url):
            log.warning("notification target %s:// is not a valid Apprise URL", scheme)
            failed.append(scheme)
            continue
        if not a.notify(title=title, body=body):
            log.warning("notification to a %s:// target was not sent", scheme)
            failed.append(scheme)
    return failed


def targets(plan: Plan, store: SecretStore) -> list[str]:
    if not plan.options.get(NOTIFY_KEY):
        return []
    return notify_urls(store.get(db_secret_key(plan.id, NOTIFY_KEY)))


def announce(cat: Catalogue, plan: Plan | str, event: str, title: str, body: str, key: str, *,
             paths: AppPaths | None = None) -> bool:
    """Tell `plan`'s notification targets about `event` (failure, partial, anomaly, late,
    missing, hung, success), once per `key` whichever process asks first; True if sent."""
    found = find_plan(cat, plan) if isinstance(plan, str) else plan
    if found is None or event not in events_of(found.options):
        return False
    paths = paths or AppPaths.resolve()
    urls = targets(found, SecretStore(paths))
    if not urls:
        return False
    folder = claims_dir(paths)
    if not dedup.claim(folder, f"tell-{found.id}-{key}"):
        return False
    dedup.forget_old(folder)
    send(urls, title, body)
    return True
