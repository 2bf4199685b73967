"""Encryption at rest with age (pyrage): streams for artifacts, and sealed manifests.

An encrypted artifact is a plain age file (`files.tar.zst.age`): `age -d -i KEY | zstd -d |
tar -x` reads it without Backup Desk. A sealed manifest is one line of JSON naming the key
(its age recipient, the public half) and a format version, then the age-encrypted manifest.
This module holds no secrets: identities are handed in by the caller (core.keys).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import pyrage

from core.destinations import atomic_file
from core.errors import ConfigError, EngineError

SUFFIX = ".age"
SEALED_FORMAT = "backupdesk-encrypted-manifest"
SEALED_VERSION = 1
_SEALED_START = b'{"format":"' + SEALED_FORMAT.encode() + b'"'
CHUNK = 1 << 20


class WrongKeyError(EngineError):
    """The key that opens a backup is missing or wrong."""

    kind = "key"


def recipient(text: str) -> pyrage.x25519.Recipient:
    try:
        return pyrage.x25519.Recipient.from_str(text.strip())
    except Exception as e:  # pyrage raises its own RecipientError, or ValueError
        raise ConfigError(f"{text!r} is not an age public key (age1...).") from e


def identity(text: str) -> pyrage.x25519.Identity:
    for line in text.splitlines():  # an age key file: comments, then the key line
        line = line.strip()
        if line.startswith("AGE-SECRET-KEY-"):
            try:
                return pyrage.x25519.Identity.from_str(line)
            except Exception as e:
                raise ConfigError("The age secret key is damaged.") from e
    raise ConfigError("No age secret key (AGE-SECRET-KEY-...) found.")


def new_identity() -> tuple[str, str]:
    """A new key: (secret key line, recipient)."""
    ident = pyrage.x25519.Identity.generate()
    return str(ident), str(ident.to_public())


class _Out:
    """What pyrage writes the ciphertext to."""

    def __init__(self, write: Callable[[Any], int]) -> None:
        self.write = write

    def flush(self) -> None:
        pass


class Encrypter:
    """A writer whose bytes reach `out` age-encrypted to `to`, streamed (pyrage on a thread,
    fed through a pipe); close() ends the age stream and raises what went wrong."""

    def __init__(self, out: Any, to: str) -> None:
        rcpt = recipient(to)
        r, w = os.pipe()
        self._reader = os.fdopen(r, "rb")
        self._writer: BinaryIO | None = os.fdopen(w, "wb")
        self._error: BaseException | None = None
        self._out = out
        # pyrage reports a failed write as its own error: the OSError (a full disk) is kept
        # here and raised as it was, so that the caller tells the destination's failure.
        self._write_error: OSError | None = None

        def run() -> None:
            try:
                pyrage.encrypt_io(self._reader, _Out(self._sink), [rcpt])  # type: ignore[arg-type,unused-ignore]
            except BaseException as e:
                self._error = e
            finally:
                self._reader.close()

        self._thread = threading.Thread(target=run, name="backupdesk-encrypt", daemon=True)
        self._thread.start()

    def write(self, data: Any) -> int:
        """Plaintext in (the caller's side)."""
        assert self._writer is not None
        try:
            self._writer.write(data)
        except BrokenPipeError:
            self._thread.join()
            self._raise()
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        if self._writer is not None:
            w, self._writer = self._writer, None
            try:
                w.close()
            except BrokenPipeError:
                pass
        self._thread.join()
        if self._error is not None:
            self._raise()

    def _raise(self) -> None:
        if self._write_error is not None:
            raise self._write_error
        raise EngineError(f"Encrypting failed: {self._error}.") from self._error

    def _sink(self, data: Any) -> int:
        try:
            return int(self._out.write(data))
        except OSError as e:
            self._write_error = e
            raise


class _Decrypted(io.RawIOBase):
    """The plaintext of an age stream read from a pipe that a pyrage thread fills; the
    decryption's error (a wrong key, damage) is raised at the end of the stream."""

    def __init__(self, src: Any, identities: Sequence[Any], where: str) -> None:
        r, w = os.pipe()
        self._fd = r
        self._writer = os.fdopen(w, "wb")
        self._error: BaseException | None = None
        self._where = where

        def run() -> None:
            try:
                pyrage.decrypt_io(src, self._writer, list(identities))
            except BaseException as e:
                self._error = e
            finally:
                try:
                    self._writer.close()
                except OSError:
                    pass

        self._thread = threading.Thread(target=run, name="backupdesk-decrypt", daemon=True)
        self._thread.start()

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = os.readv(self._fd, [b])
        if n == 0:
            self._thread.join()
            if self._error is not None:
                raise decrypt_error(self._error, self._where)
        return n

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)  # the thread's next write fails: it ends
            self._thread.join()
        super().close()


def decrypt_error(e: BaseException, where: str) -> EngineError:
    if "No matching keys" in str(e):
        return WrongKeyError(f"{where} is encrypted with another key than the one given.")
    return EngineError(f"{where} cannot be decrypted ({e}).")


@contextmanager
def decrypting(src: Any, identities: Sequence[Any], where: str) -> Iterator[BinaryIO]:
    reader = _Decrypted(src, identities, where)
    try:
        yield io.BufferedReader(reader, CHUNK)
    finally:
        reader.close()


@contextmanager
def encrypting(out: Any, to: str | None) -> Iterator[Any]:
    """A writer into `out`, age-encrypted to `to` (`out` itself when `to` is None); the age
    stream is ended when the block ends, and only then complete."""
    if to is None:
        yield out
        return
    enc = Encrypter(out, to)
    try:
        yield enc
    except BaseException:
        try:
            enc.close()
        except (EngineError, OSError):
            pass  # the block's error is the one to tell
        raise
    enc.close()


def encrypt_file(src: Path, out: Any, to: str, chunk: int = CHUNK) -> None:
    """The file `src` age-encrypted into the writer `out`."""
    with encrypting(out, to) as enc, open(src, "rb") as f:
        while data := f.read(chunk):
            enc.write(data)


def decrypt_file(src: Path, final: Path, identities: Sequence[Any], where: str) -> int:
    """`src` decrypted into `final` (atomically); the plaintext's size."""
    with open(src, "rb") as raw, decrypting(raw, identities, where) as plain, \
            atomic_file(final) as out:
        shutil.copyfileobj(plain, out, CHUNK)
        return out.tell()


def seal(manifest: bytes, to: str) -> bytes:
    """A manifest as stored for an encrypted plan: the plain header line, then age."""
    head = json.dumps({"format": SEALED_FORMAT, "version": SEALED_VERSION, "recipient": to},
                      separators=(",", ":")).encode()
    return head + b"\n" + bytes(pyrage.encrypt(manifest, [recipient(to)]))


def sealed_header(raw: bytes) -> dict[str, Any] | None:
    """The plain header of a sealed manifest, or None for a plain one."""
    if not raw.startswith(_SEALED_START):
        return None
    end = raw.find(b"\n")
    try:
        head = json.loads(raw[:end])
    except ValueError:
        return None
    if not isinstance(head, dict) or not isinstance(head.get("recipient"), str):
        return None
    return head


def unseal(raw: bytes, ident: Any, where: str) -> bytes:
    head = sealed_header(raw)
    if head is None:
        return raw
    if int(head.get("version", 0)) > SEALED_VERSION:
        raise EngineError(f"{where} was written by a newer Backup Desk.")
    try:
        return bytes(pyrage.decrypt(raw[raw.find(b"\n") + 1:], [ident]))
    except Exception as e:
        raise decrypt_error(e, where) from e
