"""Backups at a remote destination: the check before a run, the streaming upload into a
staging folder, the move into place (the manifest last, so that a half-moved backup never
looks complete), copies, and what interrupted runs left behind."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.destinations import DestinationCheck
from core.engines.api import Artifact
from core.errors import DestinationError
from core.remote.location import Remote
from core.remote.rclone import CHUNK, Rclone, RemoteError

MANIFEST = "manifest.json"
PROBE_PREFIX = ".bdprobe-"


def check_remote(remote: Remote, need_bytes: int = 0) -> DestinationCheck:
    """Reachable, credentials valid, writable (a small probe object written and deleted: the
    write says all three), and space where the remote reports it (S3 never does). Each
    rclone command costs a process start (0.1-0.3 s), so there are only these."""
    try:
        rc = Rclone(remote)
        probe = f"{PROBE_PREFIX}{uuid.uuid4().hex[:12]}"
        with rc.writing(probe) as up:
            up.write(b"Backup Desk write probe\n")
        rc.deletefile(probe)
        about = rc.about() if remote.kind != "s3" else None
    except DestinationError as e:
        return DestinationCheck(remote.location, False, str(e))
    free = about.get("free") if about else None
    if isinstance(free, int) and need_bytes and free < need_bytes:
        return DestinationCheck(remote.location, False, f"Destination {remote.location} has "
                                f"{free} bytes free; about {need_bytes} are needed.", free, True)
    return DestinationCheck(remote.location, True, "ok",
                            free if isinstance(free, int) else None, True)


@dataclass
class RemoteSink:
    """An ArtifactSink (core.destinations) uploading each artifact into `folder` as it is
    written; `md5` of each upload, for the remotes whose own hash is MD5 (S3). With `held`,
    the manifest is written there instead, to be uploaded last (`put`). `expect`: about the
    largest an artifact may be (the plan's last full backup), for S3's part size."""

    rc: Rclone
    folder: str
    held: Path | None = None
    md5: dict[str, str] = field(default_factory=dict)
    expect: int = 0

    @contextmanager
    def open(self, name: str) -> Iterator[Any]:
        if self.held is not None and name == MANIFEST:
            with open(self.held / name, "wb") as f:
                yield f
            return
        with self.rc.writing(f"{self.folder}/{name}", self.expect) as up:
            yield up
        self.md5[name] = up.md5.hexdigest()

    def put(self, local: Path) -> None:
        """An artifact the engine wrote to its work folder (a database dump)."""
        self.rc.upload(str(local), f"{self.folder}/{local.name}")
        self.md5[local.name] = md5_of(local)


def with_md5(artifacts: list[Artifact], md5: dict[str, str]) -> list[Artifact]:
    """The artifacts with the MD5 of their upload in their meta (verify compares it with S3's
    hash)."""
    return [Artifact(a.name, a.kind, a.size, a.sha256, {**a.meta, "md5": md5[a.name]})
            if a.name in md5 else a for a in artifacts]


def promote(rc: Rclone, staging: str, final: str, names: list[str]) -> None:
    """Move the artifacts from `staging` to `final` (a name no other run uses: it holds the
    job's id), the manifest last, in two rclone commands."""
    if any(n != MANIFEST for n in names):
        rc.run("move", rc.remote.at(staging), rc.remote.at(final), "--exclude", MANIFEST)
    if MANIFEST in names:
        rc.run("move", rc.remote.at(staging), rc.remote.at(final), "--include", MANIFEST)
    if rc.remote.kind != "s3":  # S3 has no folders to leave behind
        rc.run("rmdir", rc.remote.at(staging))


def check_sizes(rc: Rclone, folder: str, artifacts: list[Artifact]) -> None:
    """Every artifact is in `folder` with its size (and its MD5 or SHA-256 where the remote
    gives one)."""
    found = {e["Name"]: e for e in rc.lsjson(folder, files_only=True, hashes=True)}
    for a in artifacts:
        e = found.get(a.name)
        if e is None or e.get("Size") != a.size or hash_mismatch(e, a):
            raise DestinationError(f"The copy of {a.name} at {rc.remote.location} does not "
                                   "match the original.")


def hash_mismatch(entry: dict[str, object], a: Artifact) -> bool | None:
    """True/False when the listing has a hash to compare; None when it has none."""
    hashes = entry.get("Hashes")
    if not isinstance(hashes, dict):
        return None
    if hashes.get("sha256"):
        return bool(hashes["sha256"] != a.sha256)
    if hashes.get("md5") and a.meta.get("md5"):
        return bool(hashes["md5"] != a.meta["md5"])
    return None


def copy_in(rc: Rclone, source: str, source_env: dict[str, str], artifacts: list[Artifact],
            partial: str, final: str) -> dict[str, str]:
    """Copy a backup folder (a local path or another remote's rclone path) to this remote
    through `partial`, check it, and move it into place; on S3 (objects appear whole) straight
    under `final`, the manifest last. From a local folder, the MD5 of each artifact that has
    none (the remote's own hash on S3, checked here and by each verify): {name: md5}."""
    md5: dict[str, str] = {}
    if source_env:
        rc.env = {**rc.env, **source_env}
    else:
        md5 = {a.name: md5_of(Path(source) / a.name) for a in artifacts
               if not a.meta.get("md5")}
        artifacts = with_md5(artifacts, md5)
    direct = rc.remote.kind == "s3"
    into = final if direct else partial
    first = [a for a in artifacts if a.name != MANIFEST]
    last = [a for a in artifacts if a.name == MANIFEST]
    for group in (first, last) if direct else (artifacts,):
        for a in group:
            rc.run("copyto", f"{source}/{a.name}", rc.remote.at(f"{into}/{a.name}"),
                   transfer=True)
        check_sizes(rc, into, group)
    if not direct:
        promote(rc, partial, final, [a.name for a in artifacts])
    return md5


def md5_of(path: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb", buffering=0) as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


_JOB_SUFFIX = re.compile(r"-job(\d+)$")


def leftovers(rc: Rclone, plan_dir: str, plan_id: int, recorded: set[str],
              prefixes: tuple[str, str]) -> tuple[list[str], dict[str, int]]:
    """What failed or interrupted runs of the plan left at a remote (relative paths): its
    staging and partial folders and unrecorded backup folders without a manifest (never a
    backup: the manifest goes last), and unrecorded backup folders with the job that wrote
    each."""
    try:
        found = rc.lsjson(plan_dir, recursive=True, max_depth=2)
    except RemoteError as e:
        if e.missing:
            return [], {}
        raise
    complete = {str(e["Path"]).split("/")[0] for e in found
                if not e.get("IsDir") and str(e["Path"]).endswith(f"/{MANIFEST}")}
    mine = tuple(f"{p}p{plan_id}-" for p in prefixes)
    temp, unrecorded = [], {}
    for d in found:
        name = str(d["Path"])
        if not d.get("IsDir") or "/" in name:
            continue
        rel = f"{plan_dir}/{name}"
        if name.startswith(mine):
            temp.append(rel)
        elif rc.remote.shown(rel) not in recorded and (m := _JOB_SUFFIX.search(name)):
            if name in complete:
                unrecorded[rel] = int(m.group(1))
            else:
                temp.append(rel)
    return temp, unrecorded
