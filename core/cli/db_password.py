"""`--database-password-stdin`: database passwords from standard input, or a prompt on a
terminal, so that they never stand on a command line (`ps` shows those to every local user)."""

from __future__ import annotations

import argparse
import getpass
import sys

from core.engines.dumps.urls import parse, with_password
from core.errors import UsageError

FLAG = "--database-password-stdin"


def add_flag(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(FLAG, dest="database_password_stdin", action="store_true",
                        help=f"read the password of {what} from standard input, one line each "
                             "(a prompt on a terminal) instead of the URL")


def fill_in(urls: list[str]) -> list[str]:
    """The URLs with the passwords read for those of a server that have none, in order."""
    needing = [i for i, u in enumerate(urls)
               if parse(u).kind != "sqlite" and parse(u).password is None]
    if not needing:
        raise UsageError(f"{FLAG} needs a postgresql:// or mysql:// database URL "
                         "without a password.")
    out = list(urls)
    for i in needing:
        out[i] = with_password(urls[i], read_password(parse(urls[i]).label))
    return out


def read_password(label: str) -> str:
    if sys.stdin.isatty():
        try:
            password = getpass.getpass(f"Password for the {label}: ")
        except EOFError:
            password = ""
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise UsageError(f"No password for the {label} on standard input ({FLAG}).")
    return password
