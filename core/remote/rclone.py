"""The rclone driver: each operation one rclone command, its configuration in the child's
environment, each failure one sentence (`RemoteError`)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, cast

from core.errors import DestinationError
from core.fmt import human_bytes
from core.remote.binary import find_rclone
from core.remote.location import Remote

# Fail fast and quietly: rclone's own retries would hide a dead server for minutes.
COMMON = ("--log-level", "NOTICE", "--retries", "1", "--low-level-retries", "2",
          "--contimeout", "10s", "--timeout", "60s")
CHUNK = 1 << 20
# A streamed upload needs no read-ahead (our pipe is its buffer), and two S3 parts in flight
# instead of four: rcat's peak RSS 111 -> 82 MiB at the same speed against a local S3 (rclone
# itself, started, is about 64 MiB).
STREAM_UP = ("--buffer-size", "0")
S3_UP = ("--s3-upload-concurrency", "2")
S3_MAX_PARTS = 10_000
S3_MIN_CHUNK = 5 << 20  # rclone's default and S3's least part size


def s3_chunk(expect: int) -> tuple[str, ...]:
    """The chunk size of a streamed S3 upload of about `expect` bytes. A stream of unknown
    size is cut into parts of the chunk size, of which S3 takes at most 10,000: at rclone's
    5 MiB (the least memory) an object stops at 48.8 GiB. Room for twice what is expected."""
    need = -(-2 * expect // S3_MAX_PARTS)
    if need <= S3_MIN_CHUNK:
        return ()
    return ("--s3-chunk-size", f"{-(-need // (1 << 20))}Mi")


class RemoteError(DestinationError):
    """An rclone command failed; `missing` when what it named does not exist, `full` when
    the remote has no room."""

    def __init__(self, message: str, missing: bool = False, full: bool = False) -> None:
        super().__init__(message)
        self.missing = missing
        self.full = full


FULL = "the remote is full"
_REASONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("didn't find section in config file",), "rclone has no remote of that name"),
    (("invalidaccesskeyid", "signaturedoesnotmatch", "accessdenied", "statuscode: 403",
      "forbidden", "invalid credentials"), "the credentials were refused"),
    (("permission denied (publickey", "unable to authenticate", "host key verification failed"),
     "the ssh login was refused"),
    (("nosuchbucket",), "the bucket does not exist"),
    (("quotaexceeded", "no space left", "entitytoolarge", "insufficient storage",
      "disk quota", "storagefull", "statuscode: 507"), FULL),
    (("connection refused", "no such host", "i/o timeout", "connection reset",
      "couldn't connect", "connection closed", "network is unreachable", "eof"),
     "it cannot be reached"),
)
_MISSING = ("directory not found", "object not found", "not found", "no such file")
_API = re.compile(r"api error (\w+): ([^,\n]*)")  # the S3 server's own error code
_STAMP = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d (?:ERROR|NOTICE|CRITICAL)\s*:\s*")


def explain(location: str, stderr: str) -> RemoteError:
    """One sentence for what rclone said on stderr."""
    stderr = "\n".join(ln for ln in stderr.splitlines()
                       if "config file" not in ln.lower() or "not found" not in ln.lower())
    low = stderr.lower()
    for needles, reason in _REASONS:
        if any(n in low for n in needles):
            return RemoteError(f"Remote {location}: {reason}.", full=reason == FULL)
    if any(n in low for n in _MISSING):
        return RemoteError(f"Remote {location}: not found.", missing=True)
    api = _API.findall(stderr)
    if api:
        code, text = api[-1]
        said = code if text.strip() in ("", code) else f"{code}, {text.strip()[:120]}"
        return RemoteError(f"Remote {location}: the server refused the request ({said}).")
    said = [ln for ln in stderr.splitlines() if ln.strip() and " NOTICE" not in ln[:30]]
    lines = [_STAMP.sub("", ln).strip() for ln in said]  # a NOTICE is never the reason
    last = lines[-1][:200] if lines else "rclone stopped without saying why"
    return RemoteError(f"Remote {location}: {last}.")


class Rclone:
    """rclone commands on one remote; paths are relative to its location."""

    def __init__(self, remote: Remote) -> None:
        self.remote = remote
        self.exe = find_rclone()
        self.env = {**os.environ, **remote.env}

    def _argv(self, *args: str, transfer: bool = False) -> list[str]:
        extra = ["--bwlimit", self.remote.bwlimit] if transfer and self.remote.bwlimit else []
        return [self.exe, *args, *COMMON, *extra]

    def run(self, *args: str, transfer: bool = False, stdin: int | None = None) -> bytes:
        """stdout of a finished command; RemoteError when it failed."""
        try:
            p = subprocess.run(self._argv(*args, transfer=transfer), env=self.env,
                               stdin=subprocess.DEVNULL if stdin is None else stdin,
                               capture_output=True, check=False)
        except OSError as e:
            raise RemoteError(f"Cannot run rclone: {e.strerror}.") from e
        if p.returncode != 0:
            raise explain(self.remote.location, p.stderr.decode(errors="replace"))
        return p.stdout

    def lsjson(self, rel: str = "", *, recursive: bool = False, dirs_only: bool = False,
               files_only: bool = False, hashes: bool = False, max_depth: int = 0
               ) -> list[dict[str, Any]]:
        args = ["lsjson", self.remote.at(rel), "--no-mimetype"]
        args += ["--max-depth", str(max_depth)] if max_depth else []
        # --fast-list: one recursive listing on S3 instead of one request per folder
        args += ["-R", "--fast-list"] * recursive + ["--dirs-only"] * dirs_only
        args += ["--files-only"] * files_only
        # No modification times: on S3 each would cost a request per object.
        args += ["--hash"] * hashes + ["--no-modtime"]
        out = json.loads(self.run(*args) or b"[]")
        return out if isinstance(out, list) else []

    def upload(self, local: str, rel: str) -> None:
        self.run("copyto", local, self.remote.at(rel), transfer=True)

    def download(self, rel: str, local: str) -> None:
        self.run("copyto", self.remote.at(rel), local, transfer=True)

    def deletefile(self, rel: str) -> None:
        self.run("deletefile", self.remote.at(rel))

    def purge(self, rel: str) -> bool:
        """Delete a folder and all it holds; False if it was already gone."""
        try:
            self.run("purge", self.remote.at(rel))
        except RemoteError as e:
            if e.missing:
                return False
            raise
        return True

    def about(self) -> dict[str, Any] | None:
        """Space as the remote reports it; None when it reports none (S3, an SFTP server
        without `df`): the probe write has already said the remote works."""
        try:
            out = json.loads(self.run("about", self.remote.at(), "--json"))
        except (RemoteError, ValueError):
            return None
        return out if isinstance(out, dict) else None

    def hashsum(self, kind: str, rel: str) -> dict[str, str]:
        """{name: hash} of the files in folder `rel`; {} when the remote has no such hash."""
        try:
            out = self.run("hashsum", kind, self.remote.at(rel)).decode()
        except RemoteError as e:
            if "unsupported" in str(e) or "not supported" in str(e):
                return {}
            raise
        sums = {}
        for line in out.splitlines():
            digest, _, name = line.partition("  ")
            if name and digest and not digest.startswith("UNSUPPORTED"):
                sums[name] = digest
        return sums

    def sha256_of(self, rel: str, stop: threading.Event | None = None,
                  counter: list[int] | None = None) -> tuple[int, str]:
        """Download `rel` and hash it on the way (nothing is kept): size and SHA-256."""
        h = hashlib.sha256()
        size = 0
        with self.reading(rel) as f:
            while chunk := f.read(CHUNK):
                if stop is not None and stop.is_set():
                    raise RemoteError(f"Remote {self.remote.location}: stopped.")
                h.update(chunk)
                size += len(chunk)
                if counter is not None:
                    counter[0] += len(chunk)
        return size, h.hexdigest()

    @contextmanager
    def reading(self, rel: str) -> Iterator[io.BufferedReader]:
        """`rclone cat` of one object as a stream; its end raises RemoteError when rclone
        failed (a server gone mid-way shows as the reason, not as a short object)."""
        p = subprocess.Popen(self._argv("cat", self.remote.at(rel), transfer=True),
                             env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        assert p.stdout is not None and p.stderr is not None
        err = _Drain(p.stderr)
        try:
            yield io.BufferedReader(_Cat(p, err, self.remote.location), CHUNK)
        except BaseException:
            p.kill()
            raise
        finally:
            p.stdout.close()
            p.wait()
            err.join()
        if p.returncode != 0:
            raise explain(self.remote.location, err.text)

    @contextmanager
    def writing(self, rel: str, expect: int = 0) -> Iterator[Upload]:
        """`rclone rcat` into `rel` from what the block writes (about `expect` bytes); the
        object exists once the block ended and rclone said so, else the upload is stopped and
        RemoteError raised."""
        lean = (*STREAM_UP, *S3_UP, *s3_chunk(expect)) if self.remote.kind == "s3" \
            else STREAM_UP
        p = subprocess.Popen(self._argv("rcat", self.remote.at(rel), *lean, transfer=True),
                             env=self.env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        assert p.stdin is not None and p.stderr is not None
        err = _Drain(p.stderr)
        up = Upload(p.stdin, self.remote.location)
        try:
            yield up
            p.stdin.close()
        except BaseException as exc:
            if up.broken:  # rclone is stopping by itself: let it say why before it goes
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    pass
            p.kill()
            p.wait()
            err.join()
            if up.broken:
                raise self._full(explain(self.remote.location, err.text), up.tried) from exc
            raise
        p.wait()
        err.join()
        if p.returncode != 0 or up.broken:
            raise self._full(explain(self.remote.location, err.text), up.tried)

    def _full(self, e: RemoteError, given: int) -> RemoteError:
        """A failed upload the server gave no reason for (SFTP says only "Failure"): the
        remote is full when it has less space free than the upload was given."""
        if e.missing or e.full or self.remote.kind == "s3":
            return e
        free = (self.about() or {}).get("free")
        if isinstance(free, int) and free < given:
            return RemoteError(f"Remote {self.remote.location}: {FULL} ({human_bytes(free)} "
                               f"free; the upload had reached {human_bytes(given)}).", full=True)
        return e


class Upload:
    """The stream into an rcat: counts and MD5-hashes what goes through (the S3 check)."""

    def __init__(self, pipe: IO[bytes], location: str) -> None:
        self.pipe, self.location = pipe, location
        self.size = 0
        self.tried = 0  # what it was given, the write that failed included
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.broken = False

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self.tried += len(view)
        try:
            self.pipe.write(view)
        except BrokenPipeError as e:
            self.broken = True
            raise RemoteError(f"Remote {self.location}: the upload stopped.") from e
        self.md5.update(view)
        self.size += len(view)
        return len(view)

    def flush(self) -> None:
        self.pipe.flush()


class _Cat(io.RawIOBase):
    """rclone's stdout; at its end, rclone's failure (if any) as RemoteError."""

    def __init__(self, p: subprocess.Popen[bytes], err: _Drain, location: str) -> None:
        super().__init__()
        self.out = cast(io.BufferedReader, p.stdout)
        self.p, self.err, self.location = p, err, location

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = self.out.readinto(b)
        if not n and len(b):
            self.p.wait()
            self.err.join()
            if self.p.returncode != 0:
                raise explain(self.location, self.err.text)
        return n


class _Drain(threading.Thread):
    """Reads a child's stderr to the end, so that it never blocks on a full pipe."""

    def __init__(self, f: IO[bytes]) -> None:
        super().__init__(daemon=True, name="rclone-stderr")
        self.f = f
        self.text = ""
        self.start()

    def run(self) -> None:
        self.text = self.f.read().decode(errors="replace")
        self.f.close()
