"""A plan's remote settings: a plan-wide options schema (bound into `plan add/edit` beside the
engines' schemas) and the S3 keys kept in the secret store."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from core.engines import Capability
from core.engines.schema import Schema, Secret, Text, dest
from core.errors import ConfigError
from core.remote.location import RemoteSettings
from core.secrets import SecretStore, db_secret_key

_ONE = r"(?:\d+(?:\.\d+)?[BKMGTP]?|off)"
_RATE = re.compile(rf"^{_ONE}(?::{_ONE})?$", re.IGNORECASE)


class Rate(Text):
    """rclone's --bwlimit value: a rate in KiB/s or with a suffix, upload:download."""

    def check(self, value: Any) -> Any:
        text = str(super().check(value)).strip()
        if not _RATE.match(text):
            raise ConfigError(f"Bandwidth limit {value!r} is not a rate: use e.g. 10M (MiB/s), "
                              "512K, or UP:DOWN such as 10M:off.")
        return text


ACCESS_KEY = Secret("s3_access_key_id", "S3 access key id",
                    help="read the S3 access key id from stdin (else AWS_ACCESS_KEY_ID)",
                    flags=("--s3-access-key-id-stdin",), key="s3-access-key-id",
                    env="AWS_ACCESS_KEY_ID")
SECRET_KEY = Secret("s3_secret_access_key", "S3 secret access key",
                    help="read the S3 secret access key from stdin (else AWS_SECRET_ACCESS_KEY)",
                    flags=("--s3-secret-key-stdin",), key="s3-secret-access-key",
                    env="AWS_SECRET_ACCESS_KEY")

SCHEMA = Schema((
    Text("s3_endpoint", "S3 endpoint", "the S3 server of s3:// destinations (default AWS)",
         empty_removes=True, flags=("--s3-endpoint",)),
    Text("ssh_command", "SSH command", "the ssh command of sftp:// destinations "
         "(e.g. 'ssh -i KEY')", empty_removes=True, flags=("--ssh-command",)),
    Rate("bwlimit", "Bandwidth limit", "limit uploads and downloads to remote destinations "
         "(rclone's --bwlimit, e.g. 10M)", empty_removes=True, flags=("--bwlimit",)),
    ACCESS_KEY,
    SECRET_KEY,
), title="remote destinations", needs=Capability.REMOTE_DESTINATIONS)


def add_flags(parser: Any) -> None:
    """These settings' flags on a command that reads a remote without a plan (import,
    catalogue backup)."""
    group = parser.add_argument_group(SCHEMA.title)
    for o in SCHEMA.options:
        for flag in o.flags:
            group.add_argument(flag, dest=dest(flag), **o.argument(), help=o.help)


def from_args(a: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The remote settings a command gives, and apart the S3 keys it took from AWS_*
    variables: those are a default, under a plan's own stored keys (a shell's variables for
    another account must not replace the keys a plan was made with)."""
    given = SCHEMA.from_args(a)
    env = {o.name: given.pop(o.name) for o in SCHEMA.secrets()
           if o.name in given and not o.given(a)}
    return given, env


def settings_for(plan_id: int | None, options: Mapping[str, Any],
                 secrets: SecretStore | None) -> RemoteSettings:
    """The remote settings of a plan, with its S3 keys from the secret store."""
    key_id = secret = None
    if secrets is not None and plan_id is not None:
        key_id = secrets.get(db_secret_key(plan_id, ACCESS_KEY.key))
        secret = secrets.get(db_secret_key(plan_id, SECRET_KEY.key))
    return given_settings({**options, ACCESS_KEY.name: key_id, SECRET_KEY.name: secret})



def given_settings(options: Mapping[str, Any]) -> RemoteSettings:
    """Remote settings given directly (the S3 keys among them), not read from a plan."""
    return RemoteSettings(
        s3_endpoint=options.get("s3_endpoint") or None,
        s3_access_key_id=options.get(ACCESS_KEY.name) or None,
        s3_secret_access_key=options.get(SECRET_KEY.name) or None,
        ssh_command=str(options.get("ssh_command") or "ssh"),
        bwlimit=options.get("bwlimit") or None)
