"""Error classification, locations, progress and the contents tree, replaying lines recorded
from the real borg 1.2.4 binary."""

from __future__ import annotations

import base64
import json

import pytest

from core.engines.borg import errors as e
from core.engines.borg.ops import borg_time, progress_events
from core.engines.borg.repo import archive_name, lock_key, normalise_location
from core.engines.borg.tree import ArchiveTree
from core.errors import ConfigError, LockedError
from core.progress import Progress

# Recorded from borg 1.2.4 (--log-json).
WRONG = ('{"type": "log_message", "time": 1795515435.29, "message": "passphrase supplied in '
         'BORG_PASSPHRASE, by BORG_PASSCOMMAND or via BORG_PASSPHRASE_FD is incorrect.", '
         '"levelname": "ERROR", "name": "borg.archiver", "msgid": "PassphraseWrong"}')
MISSING = ('{"type": "log_message", "time": 1795515435.49, "message": "Repository /tmp/nonexist '
           'does not exist.", "levelname": "ERROR", "name": "borg.archiver", '
           '"msgid": "Repository.DoesNotExist"}')
PROGRESS = ('{"original_size": 12345, "compressed_size": 100, "deduplicated_size": 50, '
            '"nfiles": 7, "path": "src/docs/a.txt", "time": 1795515434.37, '
            '"type": "archive_progress", "finished": false}')
LIST = [
    b'{"type": "d", "mode": "drwxr-xr-x", "user": "root", "group": "root", "uid": 0, "gid": 0, '
    b'"path": "src", "healthy": true, "source": "", "linktarget": "", "flags": 0, "size": 0, '
    b'"mtime": "2026-11-24T10:17:13.937229"}',
    b'{"type": "d", "mode": "drwxr-xr-x", "user": "root", "group": "root", "uid": 0, "gid": 0, '
    b'"path": "src/sub", "healthy": true, "source": "", "linktarget": "", "flags": 0, '
    b'"size": 0, "mtime": "2026-11-24T10:17:13.937229"}',
    b'{"type": "-", "mode": "-rw-r--r--", "user": "root", "group": "root", "uid": 0, "gid": 0, '
    b'"path": "src/sub/b.txt", "healthy": true, "source": "", "linktarget": "", "flags": 0, '
    b'"size": 3, "mtime": "2026-11-24T10:17:13.937229"}',
    b'{"type": "-", "mode": "-rw-r--r--", "user": "root", "group": "root", "uid": 0, "gid": 0, '
    b'"path": "src/a.txt", "healthy": true, "source": "", "linktarget": "", "flags": 0, '
    b'"size": 3, "mtime": "2026-11-24T10:17:13.937229"}',
]


def _classify(line: str, **kw: object) -> e.BorgError:
    ev = json.loads(line)
    return e.classify(ev["msgid"], ev["message"], "/r", **kw)  # type: ignore[arg-type]


def test_classify_recorded_errors() -> None:
    err = _classify(WRONG)
    assert isinstance(err, e.PassphraseError) and "wrong" in str(err)
    assert "no passphrase" in str(_classify(WRONG, had_passphrase=False))
    assert isinstance(_classify(MISSING), e.RepositoryMissingError)
    busy = e.classify("LockTimeout", "Failed to create/acquire the lock", "/r")
    assert isinstance(busy, e.RepositoryBusyError) and isinstance(busy, LockedError)
    assert "busy" in str(busy)
    assert isinstance(e.classify("ConnectionClosedWithHint", "Connection closed by remote "
                                 "host", "ssh://h/r"), e.ConnectionFailedError)
    full = e.classify(None, "OSError: [Errno 28] No space left on device", "/r")
    assert isinstance(full, e.DiskFullError)
    other = e.classify(None, "", "/r", rc=2)
    assert "exit code 2" in str(other)


def test_progress_lines_become_reports() -> None:
    seen: list[Progress] = []
    on = progress_events(seen.append, "create", every=0)
    on(json.loads(PROGRESS))
    on({"type": "progress_percent", "operation": 2, "msgid": "extract", "current": 5,
        "total": 10, "message": "50%", "finished": False})
    on({"type": "archive_progress", "path_b64": base64.b64encode(b"caf\xe9").decode(),
        "original_size": 1, "nfiles": 1})
    assert seen[0] == Progress("create", bytes_done=12345, files_done=7,
                               current="src/docs/a.txt")
    assert seen[1].fraction == 0.5
    assert seen[2].current == "caf\udce9"


def test_locations() -> None:
    assert normalise_location("ssh://me@host/srv/repo/") == "ssh://me@host:22/srv/repo"
    assert lock_key("ssh://me@host:2222/srv/repo") == "repo:ssh://me@host:2222/srv/repo"
    assert normalise_location("/a/b/../b/") in ("/a/b/../b", "/a/b")
    with pytest.raises(ConfigError):
        normalise_location("me@host:repo")
    with pytest.raises(ConfigError):
        normalise_location("ftp://host/x")
    from datetime import datetime

    assert archive_name("My plan/1", 7, datetime(2026, 1, 2, 3, 4, 5, 67000)) == \
        "My-plan-1~bd7~2026-01-02T03.04.05.067"
    assert borg_time("2026-11-24T10:17:14.000000+00:00") == datetime(2026, 11, 24, 10, 17, 14)


def test_tree_from_recorded_listing() -> None:
    t = ArchiveTree()
    for line in LIST:
        t.add_line(line)
    assert t.entries == 4 and t.bytes == 6
    src = t.find("src")
    assert src is not None
    assert [t.names[c] for c in t.child_ids(src)] == ["sub", "a.txt"]
    b = t.find("src/sub/b.txt")
    assert b is not None and t.path(b) == "src/sub/b.txt" and not t.is_dir(b)
    assert t.subtree_size(src) == (2, 6)


def test_tree_implicit_parents_and_undecodable_names() -> None:
    t = ArchiveTree()
    raw = b"x/caf\xe9"
    t.add_line(json.dumps({"type": "-", "path_b64": base64.b64encode(raw).decode(),
                           "size": 1}).encode())
    t.add("x", "d", 0, 5.0)  # listed after its child: details filled in, no duplicate
    x = t.find("x")
    assert x is not None and len(t.child_ids(0)) == 1 and t.mtime[x] == 5.0
    (child,) = t.child_ids(x)
    assert t.path(child).encode("utf-8", "surrogateescape") == raw


def test_prune_list_is_read_in_any_locale_or_refused() -> None:
    from core.engines.borg.ops import parse_prune_list
    from core.errors import EngineError

    ids = ["a" * 64, "b" * 64]
    pruned, kept = parse_prune_list([
        f"Would prune:     vm~bd1~x y                 ven., 2026-12-04 05:23:08 [{ids[0]}]",
        f"Keeping archive (rule: daily #1):     vm~bd1~z  Fri, 2026-12-04 05:24:08 [{ids[1]}]",
        "unrelated line"])
    assert [(a.name, a.id) for a in pruned] == [("vm~bd1~x y", ids[0])]
    assert [(a.name, a.id) for a in kept] == [("vm~bd1~z", ids[1])]
    with pytest.raises(EngineError, match="Cannot read borg's prune list"):
        parse_prune_list(["Would prune:     something borg changed"])
