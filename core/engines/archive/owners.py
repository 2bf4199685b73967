"""User and group names of ids, as GNU tar stores them, and back to ids on restore."""

from __future__ import annotations

import grp
import pwd


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


def ids_for(entry: dict[str, object], numeric: bool) -> tuple[int, int] | None:
    """The uid and gid to restore an entry with: by name where this system knows it (unless
    `numeric`), else the stored number; None for a manifest that has no owners."""
    if "uid" not in entry:
        return None
    uid, gid = int(str(entry["uid"])), int(str(entry["gid"]))
    if not numeric:
        user, group = str(entry.get("user") or ""), str(entry.get("group") or "")
        if user:
            try:
                uid = pwd.getpwnam(user).pw_uid
            except KeyError:
                pass
        if group:
            try:
                gid = grp.getgrnam(group).gr_gid
            except KeyError:
                pass
    return uid, gid
