"""Where a destination string points: a local folder, or a remote that rclone reaches.

`sftp://USER@HOST[:PORT]/PATH` and `s3://BUCKET/PATH` are inline remotes: their rclone
configuration goes to the child through RCLONE_CONFIG_<NAME>_* variables (never argv), built
from the plan's remote settings. `NAME:PATH` is a remote of rclone's own configuration.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from core.errors import ConfigError

SFTP_NAME = "BDSFTP"
S3_NAME = "BDS3"

_SFTP = re.compile(r"^sftp://(?:(?P<user>[^@/:]+)@)?(?P<host>[^/:@\[\]]+|\[[0-9a-fA-F:]+\])"
                   r"(?::(?P<port>\d{1,5}))?(?P<path>/.*)?$")
_S3 = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(?:/(?P<path>.*))?$")
# rclone's remote names; two characters at least, so that `C:` stays a drive letter
_NAMED = re.compile(r"^(?P<name>[\w.][\w.\- ]*[\w.]):(?P<path>.*)$")


@dataclass(frozen=True)
class RemoteSettings:
    """A plan's remote settings (core.remote.settings reads them from the plan and the
    secret store)."""

    s3_endpoint: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    ssh_command: str = "ssh"
    bwlimit: str | None = None


@dataclass(frozen=True)
class Remote:
    """A destination rclone reaches: `location` as the user wrote it (no secret in it), `root`
    the rclone path of that location, `env` the inline remote's configuration."""

    location: str
    kind: str  # sftp, s3 or rclone
    root: str
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    bwlimit: str | None = None

    def at(self, rel: str = "") -> str:
        """The rclone path of `rel` (slash-separated, relative to the location)."""
        return join(self.root, rel)

    def shown(self, rel: str = "") -> str:
        """`rel` as the user sees it (and the catalogue records it)."""
        return join(self.location, rel)


def join(base: str, rel: str) -> str:
    rel = rel.strip("/")
    if not rel:
        return base
    return base + rel if base.endswith((":", "/")) else f"{base}/{rel}"


def is_remote(location: str) -> bool:
    """True for a destination that is not a local folder."""
    text = location.strip()
    if text.startswith(("sftp://", "s3://")):
        return True
    if text.startswith(("/", "~", ".")) or "://" in text:
        return False
    return _NAMED.match(text) is not None


def relative(location: str, path: str) -> str:
    """`path` (a recorded location path) relative to its destination `location`."""
    base = location.rstrip("/")
    if not (path == base or path.startswith(base + "/") or
            (base.endswith(":") and path.startswith(base))):
        raise ConfigError(f"{path} is not inside destination {location}.")
    rel = path[len(base):].strip("/")
    if not rel or any(part in ("", ".", "..") for part in rel.split("/")):
        raise ConfigError(f"{path} is not inside destination {location}.")
    return rel


def parse(location: str, settings: RemoteSettings | None = None) -> Remote:
    """The remote a destination string names; ConfigError for one that cannot be used."""
    s = settings or RemoteSettings()
    text = location.strip()
    if text.startswith("sftp://"):
        return _sftp(text, s)
    if text.startswith("s3://"):
        return _s3(text, s)
    m = _NAMED.match(text)
    if m is None or not is_remote(text):
        raise ConfigError(f"{location} is not a remote destination: use sftp://USER@HOST/PATH, "
                          "s3://BUCKET/PATH or REMOTE:PATH.")
    return Remote(text, "rclone", text, {}, s.bwlimit)


def _sftp(text: str, s: RemoteSettings) -> Remote:
    m = _SFTP.match(text)
    if m is None:
        raise ConfigError(f"{text} is not an SFTP location: use sftp://USER@HOST[:PORT]/PATH.")
    host, user, port = m.group("host").strip("[]"), m.group("user"), m.group("port")
    if port is not None and not 0 < int(port) < 65536:
        raise ConfigError(f"{text}: port {port} is out of range.")
    # The external ssh binary: the user's ssh config, keys, agent and known_hosts apply.
    ssh = [s.ssh_command, "-o", "BatchMode=yes"]
    if port:
        ssh += ["-p", port]
    ssh.append(f"{user}@{host}" if user else host)
    env = {"TYPE": "sftp", "SSH": " ".join(ssh), "SHELL_TYPE": "unix"}
    path = m.group("path") or "/"
    return Remote(text, "sftp", f"{SFTP_NAME}:{path}", _config(SFTP_NAME, env), s.bwlimit)


def _s3(text: str, s: RemoteSettings) -> Remote:
    m = _S3.match(text)
    if m is None:
        raise ConfigError(f"{text} is not an S3 location: use s3://BUCKET/PATH (a bucket name "
                          "of 3 to 63 lowercase letters, digits, dots and dashes).")
    env = {"TYPE": "s3", "NO_CHECK_BUCKET": "true"}
    if s.s3_endpoint:
        env |= {"PROVIDER": "Other", "ENDPOINT": s.s3_endpoint, "REGION": "us-east-1"}
    else:
        env["PROVIDER"] = "AWS"
    if s.s3_access_key_id and s.s3_secret_access_key:
        env |= {"ACCESS_KEY_ID": s.s3_access_key_id,
                "SECRET_ACCESS_KEY": s.s3_secret_access_key}
    else:
        env["ENV_AUTH"] = "true"  # AWS_* variables, the instance's role, ~/.aws
    root = f"{S3_NAME}:{m.group('bucket')}/{(m.group('path') or '').strip('/')}".rstrip("/")
    return Remote(text, "s3", root, _config(S3_NAME, env), s.bwlimit)


def _config(name: str, values: Mapping[str, str]) -> dict[str, str]:
    return {f"RCLONE_CONFIG_{name}_{k}": v for k, v in values.items()}
