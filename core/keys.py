"""A plan's encryption key: the `--encrypt` option, its age identity in the secret store, and the
identity that opens a sealed manifest.

The plan's options keep only the public half (`encrypt`: the age recipient, which also names
the key in every sealed manifest); the secret key is stored as "age-key:RECIPIENT" through
core.secrets, so that a destination's backups find their key by their header alone.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import crypto
from core.config import AppPaths
from core.engines.schema import Option, Schema
from core.errors import ConfigError, UsageError
from core.secrets import SecretStore

OPTION = "encrypt"


def secret_key(recipient: str) -> str:
    return f"age-key:{recipient}"


@dataclass(frozen=True)
class Encrypt(Option):
    """`--encrypt`: True on the command line, the new key's recipient once stored."""

    def check(self, value: Any) -> Any:
        if value is True or value is False:
            return value
        if not isinstance(value, str):
            raise ConfigError(f"{self.label} must be an age public key, not {value!r}.")
        crypto.recipient(value)
        return value

    def argument(self) -> dict[str, Any]:
        return {"action": "store_true", "default": None}

    def help_for(self, flag: str) -> str | None:
        return OFF_HELP if flag == "--no-encrypt" else super().help_for(flag)

    def from_args(self, a: argparse.Namespace) -> Any:
        given = self.given(a)
        if len(given) > 1:
            raise UsageError("--encrypt and --no-encrypt: give one.")
        return (given[0] == "--encrypt") if given else None


OFF_HELP = ("new backups of this plan are not encrypted; its encrypted backups still need the "
            "key, which stays in the secret store")

ENCRYPTION = Schema((
    Encrypt(OPTION, "Encrypt backups", flags=("--encrypt", "--no-encrypt"), empty_removes=True,
            help="encrypt this plan's backups with a new age key (its recovery key is printed "
                 "once: store it)"),
), title="Encryption")


def recipient_of(options: dict[str, Any]) -> str | None:
    value = options.get(OPTION)
    return value if isinstance(value, str) and value else None


def store_for(store: SecretStore | None) -> SecretStore:
    return store or SecretStore(AppPaths.resolve())


def enable(options: dict[str, Any], stored: dict[str, Any] | None, engine_keeps_repo: bool,
           store: SecretStore) -> str | None:
    """Turn `encrypt: True` into a new key's recipient (the secret key goes to `store`); the
    recovery key to show once, or None when no new key was made. A plan that has a key keeps
    it."""
    if options.get(OPTION) is not True:
        return None
    if engine_keeps_repo:
        raise UsageError("--encrypt is for archive plans; a borg repository has its own "
                         "encryption (borg init --encryption).")
    kept = recipient_of(stored or {})
    if kept:
        options[OPTION] = kept
        return None
    secret, rcpt = crypto.new_identity()
    store.set(secret_key(rcpt), secret)
    options[OPTION] = rcpt
    return secret


def recovery_key(options: dict[str, Any], store: SecretStore | None = None) -> str:
    rcpt = recipient_of(options)
    if rcpt is None:
        raise UsageError("This plan's backups are not encrypted.")
    secret = store_for(store).get(secret_key(rcpt))
    if secret is None:
        raise crypto.WrongKeyError(f"The key {rcpt} is not in this home's secret store.")
    return secret


def learn_key_file(path: Path, store: SecretStore | None = None) -> str:
    """Store the secret key of an age key file (a recovery key); its recipient."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise UsageError(f"Cannot read the key file {path}: {e.strerror}.") from e
    ident = crypto.identity(text)
    rcpt = str(ident.to_public())
    store_for(store).set(secret_key(rcpt), str(ident))
    return rcpt


def identity_for(rcpt: str, where: str, store: SecretStore | None = None) -> Any:
    """The identity of `rcpt` from the secret store; WrongKeyError when it is not there."""
    secret = store_for(store).get(secret_key(rcpt))
    if secret is None:
        raise crypto.WrongKeyError(
            f"{where} is encrypted with the key {rcpt}, which this home does not hold "
            "(give its recovery key: backupdesk import DEST --key-file FILE).")
    return crypto.identity(secret)


def open_manifest(raw: bytes, where: str, store: SecretStore | None = None
                  ) -> tuple[bytes, Any]:
    """A stored manifest's JSON and the identity that opened it (None: not encrypted)."""
    head = crypto.sealed_header(raw)
    if head is None:
        return raw, None
    ident = identity_for(str(head["recipient"]), where, store)
    return crypto.unseal(raw, ident, where), ident


def turned_off(name: str) -> str:
    """What turning a plan's encryption off means (`plan edit --no-encrypt`, the editor)."""
    return (f"Plan {name!r} no longer encrypts its new backups. Its encrypted backups still need "
            f"the key: it stays in the secret store (`backupdesk key export {name}` prints it).")


def recovery_text(name: str) -> str:
    """What goes with a new recovery key (the CLI prints it around the key, the window's dialog
    shows it)."""
    return ("Store it now, away from this computer (print it, or keep it in a password "
            "manager).\nWithout it, these backups cannot be read if this computer is lost. "
            f"`backupdesk key export {name}` prints it again.")
