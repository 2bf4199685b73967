"""`backupdesk key export`: an encrypted plan's recovery key."""

from __future__ import annotations

import argparse
from typing import Any

from core import keys, plans
from core.cli.context import CliContext
from core.secrets import SecretStore


def register(sub: Any) -> None:
    k = sub.add_parser("key", help="an encrypted plan's key")
    ksub = k.add_subparsers(dest="key_command", metavar="ACTION", required=True,
                            parser_class=type(k))
    ex = ksub.add_parser("export", help="print a plan's recovery key (an age secret key) to "
                         "stdout, to store away from this computer")
    ex.add_argument("plan")
    ex.set_defaults(func=_export)


def _export(ctx: CliContext, a: argparse.Namespace) -> int:
    plan = plans.get_plan(ctx.catalogue, a.plan)
    secret = keys.recovery_key(plan.options, SecretStore(ctx.config.paths))
    print(f"# Backup Desk plan {plan.name}, public key: {keys.recipient_of(plan.options)}")
    print(secret)
    return 0
