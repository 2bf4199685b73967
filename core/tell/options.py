"""The plan-wide "tell" options: hooks, a ping URL, notification targets.

Declared as a Schema (core.engines.schema) beside the engines' options and stored in
`plan.options`, except the ping and notification URLs: they are secrets (a check's UUID, a
token in an Apprise URL), kept in the secret store as "plan-ID:ping" and "plan-ID:notify"; the
options keep a placeholder that says one is set."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from core.engines.schema import Choice, Option, Schema, Text, TextList
from core.errors import ConfigError
from core.tell.stored import DEFAULT_EVENTS as DEFAULT_EVENTS
from core.tell.stored import EVENTS as EVENTS
from core.tell.stored import EXIT_CODE as EXIT_CODE
from core.tell.stored import HOOK_TIMEOUT as HOOK_TIMEOUT
from core.tell.stored import HOOK_TIMEOUT_S as HOOK_TIMEOUT_S
from core.tell.stored import NOTIFY_KEY as NOTIFY_KEY
from core.tell.stored import PING_KEY as PING_KEY
from core.tell.stored import notify_urls as notify_urls

HIDDEN = "(secret)"  # a stored ping URL; a notification target is "SCHEME://(secret)"
_DURATION = re.compile(r"^\s*(\d+)\s*([smh]?)\s*$")


def seconds(text: str | int) -> int:
    """A duration ("90", "90s", "10m", "2h") in seconds; ConfigError for anything else."""
    if isinstance(text, int) and not isinstance(text, bool):
        n, unit = text, "s"
    else:
        m = _DURATION.match(str(text))
        if m is None:
            raise ConfigError(f"Invalid duration {text!r}: use e.g. 90s, 10m or 2h.")
        n, unit = int(m.group(1)), m.group(2) or "s"
    value = n * {"s": 1, "m": 60, "h": 3600}[unit]
    if value < 1:
        raise ConfigError("A hook timeout must be at least one second.")
    return value



def check_ping_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"A ping URL must be an http or https URL, not {redact(url)!r}.")
    return url


def check_notify_url(url: str) -> str:
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
        raise ConfigError(f"A notification target must be an Apprise URL (SCHEME://...), "
                          f"not {redact(url)!r}.")
    return url


def redact(url: str) -> str:
    """What may be shown of a secret URL: its scheme."""
    return f"{url.split('://', 1)[0]}://{HIDDEN}" if "://" in url else HIDDEN


def check_events(text: str) -> str:
    items = [e.strip() for e in str(text).split(",") if e.strip()]
    unknown = [e for e in items if e not in EVENTS]
    if unknown or not items:
        raise ConfigError(f"Unknown notification event {', '.join(unknown) or repr(text)}: use "
                          f"one or more of {','.join(EVENTS)}.")
    return ",".join(items)


@dataclass(frozen=True)
class Command(Text):
    """A shell command option."""

    def metavar(self) -> str | None:
        return "CMD"


@dataclass(frozen=True)
class Duration(Option):
    """A duration option (`90s`, `10m`, `2h`)."""

    def check(self, value: Any) -> Any:
        return seconds(value)

    def text(self, value: Any) -> str:
        return f"{value}s" if isinstance(value, int) else str(value)

    def metavar(self) -> str | None:
        return "DURATION"


@dataclass(frozen=True)
class SecretUrl(Text):
    """A URL given on the command line; kept in the secret store, HIDDEN in the options."""

    def check(self, value: Any) -> Any:
        value = super().check(value)
        return value if value == HIDDEN else check_ping_url(value)

    def metavar(self) -> str | None:
        return "URL"


@dataclass(frozen=True)
class SecretUrls(TextList):
    """Notification URLs, kept secret."""

    def check(self, value: Any) -> Any:
        value = super().check(value)
        return [u if u.endswith(f"://{HIDDEN}") else check_notify_url(str(u)) for u in value]


@dataclass(frozen=True)
class Events(Text):
    """The events that send a notification."""

    def check(self, value: Any) -> Any:
        return check_events(value)

    def metavar(self) -> str | None:
        return "EVENTS"


class PingSignal(Choice):
    """A choice that '' removes (argparse's choices would refuse '')."""

    def argument(self) -> dict[str, Any]:
        return {"metavar": "|".join(self.choices)}


SCHEMA = Schema(title="hooks, pings and notifications (any plan)", options=(
    Command("before", "Before hook", empty_removes=True, flags=("--before",),
            help="command run (through the shell) before each backup job; a non-zero exit or "
                 "a timeout stops the job as failed ('' removes it)"),
    Command("after", "After hook", empty_removes=True, flags=("--after",),
            help="command run after each job of the plan ends, whatever its status"),
    Command("on_failure", "On-failure hook", empty_removes=True, flags=("--on-failure",),
            help="command run after a job of the plan failed or was interrupted"),
    Duration("hook_timeout", "Hook timeout", empty_removes=True, flags=("--hook-timeout",),
             default=HOOK_TIMEOUT,
             help=f"how long a hook may run (default {HOOK_TIMEOUT}), e.g. 90s, 10m, 1h"),
    SecretUrl("ping", "Ping URL", empty_removes=True, flags=("--ping",),
              help="healthchecks.io-style check URL: URL/start, URL, URL/fail with the "
                   "log's tail (kept in the secret store; '' removes it)"),
    PingSignal("ping_signal", "Ping end as", empty_removes=True, flags=("--ping-signal",),
           values={"fail": "URL or URL/fail", EXIT_CODE: "URL/<exit code>"}, default="fail",
           help="how a job's end is pinged: 'fail' (default) URL on success, URL/fail "
                "otherwise; 'exit-code' URL/0, URL/3 (partial) or URL/1, the exit status of "
                "`run`"),
    SecretUrls("notify", "Notify", empty_removes=True, flags=("--notify",),
               metavar_text="APPRISE_URL",
               help="Apprise URL to notify (repeatable, replaces the plan's; kept in the "
                    "secret store; '' removes them)"),
    Events("notify_on", "Notify on", empty_removes=True, flags=("--notify-on",),
           default=",".join(DEFAULT_EVENTS),
           help=f"events that notify, comma-separated (default {','.join(DEFAULT_EVENTS)}; "
                f"also: success)"),
))


def split_secrets(opts: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The options with new ping and notification URLs replaced by placeholders, and the
    secrets to store by key (the notification URLs as one JSON list)."""
    out, secrets = dict(opts), {}
    ping = out.get("ping")
    if ping and ping != HIDDEN:
        secrets[PING_KEY], out["ping"] = str(ping), HIDDEN
    urls = [str(u) for u in out.get("notify") or []]
    if urls and any(not u.endswith(f"://{HIDDEN}") for u in urls):
        secrets[NOTIFY_KEY] = json.dumps(urls)
        out["notify"] = [redact(u) for u in urls]
    return out, secrets


def with_stored(urls: list[str], stored: list[str]) -> list[str]:
    """Notification targets as the plan editor gives them back: each placeholder
    (SCHEME://(secret)) is the stored target it stands for, in order; ConfigError when none
    is left for it."""
    left, out = list(stored), []
    for url in urls:
        if url.endswith(f"://{HIDDEN}"):
            match = next((s for s in left if redact(s) == url), None)
            if match is None:
                raise ConfigError(f"No stored notification target {url}: type it again.")
            left.remove(match)
            url = match
        out.append(url)
    return out

