"""User and group names of ids, as GNU tar stores them, and back to ids on restore."""

from __future__ import annotations

import functools
import grp
import pwd
from typing import Any


class Owners:
    """Names by id, looked up once each. _fastpack reads the same dicts (an id missing there is
    left to Python, which fills them)."""

    def __init__(self) -> None:
        self.users: dict[int, str] = {}
        self.groups: dict[int, str] = {}

    def user(self, uid: int) -> str:
        name = self.users.get(uid)
        if name is None:
            try:
                name = pwd.getpwuid(uid).pw_name
            except (KeyError, OverflowError):
                name = ""  # no such user here: the number alone, as GNU tar does
            self.users[uid] = name
        return name

    def group(self, gid: int) -> str:
        name = self.groups.get(gid)
        if name is None:
            try:
                name = grp.getgrgid(gid).gr_name
            except (KeyError, OverflowError):
                name = ""
            self.groups[gid] = name
        return name


class Names:
    """A manifest's owner names ("users" and "groups": id as a string -> name), as restore
    maps them to this system's ids."""

    def __init__(self, manifest: dict[str, Any] | None = None, numeric: bool = False) -> None:
        self.users: dict[str, str] = dict((manifest or {}).get("users") or {})
        self.groups: dict[str, str] = dict((manifest or {}).get("groups") or {})
        self.numeric = numeric

    def ids_for(self, entry: dict[str, Any]) -> tuple[int, int] | None:
        """The uid and gid to restore an entry with: by name where this system knows it
        (unless `numeric`), else the stored number; None for an entry without owners."""
        if "uid" not in entry:
            return None
        uid, gid = int(entry["uid"]), int(entry["gid"])
        if self.numeric:
            return uid, gid
        by_user, by_group = _uid(self.users.get(str(uid), "")), _gid(self.groups.get(str(gid), ""))
        return (uid if by_user is None else by_user, gid if by_group is None else by_group)


@functools.cache
def _uid(name: str) -> int | None:
    try:
        return pwd.getpwnam(name).pw_uid if name else None
    except KeyError:
        return None


@functools.cache
def _gid(name: str) -> int | None:
    try:
        return grp.getgrnam(name).gr_gid if name else None
    except KeyError:
        return None
