"""User and group names of ids, as GNU tar stores them, and back to ids on restore."""

from __future__ import annotations

import grp
import pwd
from collections.abc import Callable
from typing import Any


class Owners:
    """Names by id, looked up once each. _fastpack reads the same dicts (an id missing there is
    left to Python, which fills them)."""

    def __init__(self) -> None:
        self.users: dict[int, str] = {}
        self.groups: dict[int, str] = {}

    def user(self, uid: int) -> str:
        return _name(self.users, uid, lambda i: pwd.getpwuid(i).pw_name)

    def group(self, gid: int) -> str:
        return _name(self.groups, gid, lambda i: grp.getgrgid(i).gr_name)


def _name(cache: dict[int, str], ident: int, lookup: Callable[[int], str]) -> str:
    name = cache.get(ident)
    if name is None:
        try:
            name = lookup(ident)
        except (KeyError, OverflowError):
            name = ""  # no such user or group here: the number alone, as GNU tar does
        cache[ident] = name
    return name


class Names:
    """A manifest's owner names ("users" and "groups": id as a string -> name), as restore
    maps them to this system's ids."""

    def __init__(self, manifest: dict[str, Any] | None = None, numeric: bool = False) -> None:
        self.users: dict[str, str] = dict((manifest or {}).get("users") or {})
        self.groups: dict[str, str] = dict((manifest or {}).get("groups") or {})
        self.numeric = numeric
        self._uids: dict[str, int | None] = {}  # this system's ids by name, looked up once
        self._gids: dict[str, int | None] = {}

    def ids_for(self, entry: dict[str, Any]) -> tuple[int, int] | None:
        """The uid and gid to restore an entry with: by name where this system knows it
        (unless `numeric`), else the stored number; None for an entry without owners."""
        if "uid" not in entry:
            return None
        return self.uid(int(entry["uid"])), self.gid(int(entry["gid"]))

    def uid(self, uid: int) -> int:
        """This system's uid for a stored one (of an owner or of an ACL's named user)."""
        if self.numeric:
            return uid
        found = _id(self._uids, self.users.get(str(uid), ""), lambda n: pwd.getpwnam(n).pw_uid)
        return uid if found is None else found

    def gid(self, gid: int) -> int:
        if self.numeric:
            return gid
        found = _id(self._gids, self.groups.get(str(gid), ""), lambda n: grp.getgrnam(n).gr_gid)
        return gid if found is None else found


def _id(cache: dict[str, int | None], name: str, lookup: Callable[[str], int]) -> int | None:
    """This system's id for a user or group name, None if it has no such name."""
    if not name:
        return None
    if name not in cache:
        try:
            cache[name] = lookup(name)
        except KeyError:
            cache[name] = None
    return cache[name]
