"""An engine's plan options, declared once as a typed schema.

From an engine's `Schema` come its default options, the check of a plan's options dict, the
`plan add` flags (core.cli.plan_cmd) and the plan editor's labels and choices. Two engines may
declare the same flag (`--compression`, `--keep-daily`): the command line takes it once and
each engine reads it with its own grammar; a flag of an engine is refused for any other.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from core.engines.compression import Grammar
from core.errors import ConfigError
from core.retention import RULES


def dest(flag: str) -> str:
    """The argparse dest of an engine option's flag."""
    return "opt_" + flag.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Option:
    """A key of a plan's options: `name` in the dict, `label` in the editor, `flags` on the
    command line (the first in messages and help). An engine's defaults are stored in its new
    plans (without one the key is stored only when given); a plan-wide option's default is
    never stored: it is what applies while the plan does not set the option (`plan show`, the
    editor's placeholder)."""

    name: str
    label: str
    help: str = ""
    flags: tuple[str, ...] = ()
    default: Any = None
    required: str = ""  # the message when the option is missing; "" = optional
    empty_removes: bool = False  # an empty value ('', [], False) removes the option

    def is_empty(self, value: Any) -> bool:
        return self.empty_removes and (value is None or value is False
                                       or value in ("", [], [""]))

    def text(self, value: Any) -> str:
        """A stored value as the editor shows it (and check() reads it back)."""
        return str(value)

    def help_for(self, flag: str) -> str | None:
        """The help of one of the flags (None: hidden, an older spelling)."""
        return self.help if flag == self.flags[0] else None

    def check(self, value: Any) -> Any:
        """The value as stored (canonical spelling); ConfigError when it cannot be used."""
        return value

    def argument(self) -> dict[str, Any]:
        """How argparse reads each of the flags (besides dest and help)."""
        return {"metavar": self.metavar()}

    def metavar(self) -> str | None:
        return None

    def given(self, a: argparse.Namespace) -> list[str]:
        """The flags of this option set on the command line."""
        return [f for f in self.flags
                if (v := getattr(a, dest(f), None)) is not None and v is not False and v != []]

    def from_args(self, a: argparse.Namespace) -> Any:
        """The value the command line gives (None when not given)."""
        for flag in self.given(a):
            return getattr(a, dest(flag))
        return None


@dataclass(frozen=True)
class Text(Option):
    """A text option, from a list of choices if given."""
    choices: tuple[str, ...] = ()  # when set, only these

    def check(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise ConfigError(f"{self.label} must be text, not {value!r}.")
        if self.choices and value not in self.choices:
            raise ConfigError(f"Unknown {self.label.lower()} {value!r}: use one of "
                              f"{', '.join(self.choices)}.")
        return value

    def metavar(self) -> str | None:
        return self.name.upper()


@dataclass(frozen=True)
class Location(Text):
    """Text checked by a parser of the engine (a repository location)."""

    parse: Callable[[str], object] | None = None
    # "repository" / "missing" for a location that holds one or not, None when it cannot be
    # told without running the engine (a remote one).
    state: Callable[[str], str | None] | None = None

    def check(self, value: Any) -> Any:
        value = super().check(value)
        if self.parse is not None:
            self.parse(value)
        return value


@dataclass(frozen=True)
class CompressionOption(Option):
    """A compression option in its engine's syntax."""
    grammar: Grammar | None = None

    @property
    def choices(self) -> tuple[str, ...]:
        return self.g.choices()

    @property
    def g(self) -> Grammar:
        assert self.grammar is not None
        return self.grammar

    def check(self, value: Any) -> Any:
        return self.g.normalise(str(value))

    def metavar(self) -> str | None:
        return "SPEC"


@dataclass(frozen=True)
class Number(Option):
    """A whole-number option with a minimum."""
    minimum: int = 0

    def check(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or value < self.minimum:
            raise ConfigError(f"{self.flags[0] if self.flags else self.label} must be a whole "
                              f"number of at least {self.minimum}.")
        return value

    def argument(self) -> dict[str, Any]:
        return {"type": _int_or_empty if self.empty_removes else int, "metavar": "N"}


def _int_or_empty(text: str) -> int | str:
    return "" if text == "" else int(text)


@dataclass(frozen=True)
class Choice(Option):
    """One of a few values, each with the editor's wording."""

    values: dict[str, str] = field(default_factory=dict)  # value: the editor's text

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(self.values)

    def check(self, value: Any) -> Any:
        if value not in self.values:
            raise ConfigError(f"{self.label} must be {', '.join(self.values)}.")
        return value

    def argument(self) -> dict[str, Any]:
        return {"choices": self.choices}


@dataclass(frozen=True)
class Switch(Option):
    """On or off; its flag (`--no-verify`) turns it off."""

    def check(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise ConfigError(f"{self.label} must be true or false, not {value!r}.")
        return value

    def argument(self) -> dict[str, Any]:
        return {"action": "store_true", "default": None}

    def from_args(self, a: argparse.Namespace) -> Any:
        return False if self.given(a) else None


@dataclass(frozen=True)
class TextList(Option):
    """A repeatable flag; each item checked by `parse`."""

    parse: Callable[[str], object] | None = None
    metavar_text: str = "VALUE"

    def check(self, value: Any) -> Any:
        if not isinstance(value, list):
            raise ConfigError(f"{self.label} must be a list, not {value!r}.")
        for item in value:
            if self.parse is not None:
                self.parse(str(item))
        return value

    def argument(self) -> dict[str, Any]:
        return {"action": "append", "metavar": self.metavar_text}

    def from_args(self, a: argparse.Namespace) -> Any:
        for flag in self.given(a):
            return list(getattr(a, dest(flag)))
        return None


KEEP_UNITS = RULES


@dataclass(frozen=True)
class Keep(Option):
    """Keep rules (retention): {unit: how many}, only the rules in use; a flag per unit."""

    units: tuple[str, ...] = KEEP_UNITS

    def __post_init__(self) -> None:
        object.__setattr__(self, "flags", tuple(f"--keep-{u}" for u in self.units))

    def check(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise ConfigError(f"Invalid keep rules {value!r}.")
        for unit, n in value.items():
            if unit not in self.units or isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise ConfigError(f"Invalid keep rule {unit}={n!r}.")
        return value

    def argument(self) -> dict[str, Any]:
        return {"type": int, "metavar": "N"}

    def given(self, a: argparse.Namespace) -> list[str]:
        return [f for f in self.flags if getattr(a, dest(f), None) is not None]

    def from_args(self, a: argparse.Namespace) -> Any:
        keep = {u: getattr(a, dest(f)) for u, f in zip(self.units, self.flags, strict=True)
                if getattr(a, dest(f), None) is not None}
        return keep or None


@dataclass(frozen=True)
class Secret(Option):
    """A secret (a repository passphrase): read from stdin with its flag, else from the
    environment variable `env`; core.plans moves it to the secret store as
    "plan-ID:`key`", never into the options."""

    key: str = ""
    env: str = ""

    def check(self, value: Any) -> Any:
        return str(value)

    def argument(self) -> dict[str, Any]:
        return {"action": "store_true", "default": None}

    def from_args(self, a: argparse.Namespace) -> Any:
        if self.given(a):
            return sys.stdin.readline().rstrip("\r\n")
        return os.environ.get(self.env) if self.env else None


OptionT = TypeVar("OptionT", bound=Option)


@dataclass(frozen=True)
class Schema:
    """The options of one engine's plans, and the check of the whole."""

    options: tuple[Option, ...]
    title: str = ""  # of the CLI's option group and the editor's box
    # A plan-wide schema whose options act only through an engine capability (a
    # core.engines.Capability value): the editor shows them for those engines' plans alone.
    needs: str = ""

    def get(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)

    def option(self, name: str, cls: type[OptionT]) -> OptionT:
        """The option `name`, which must be a `cls` (the plan editor's typed access)."""
        o = self.get(name)
        if not isinstance(o, cls):
            raise KeyError(f"no {cls.__name__} option {name!r}")
        return o

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    def defaults(self) -> dict[str, Any]:
        return {o.name: o.default for o in self.options if o.default is not None}

    def secrets(self) -> tuple[Secret, ...]:
        return tuple(o for o in self.options if isinstance(o, Secret))

    def validate(self, opts: dict[str, Any], engine: str = "") -> dict[str, Any]:
        """`opts` in canonical spelling; ConfigError for a missing, unknown or invalid one."""
        out: dict[str, Any] = {}
        for key, value in opts.items():
            o = self.get(key)
            if o is None:
                raise ConfigError(f"{key!r} is not an option of {engine or 'these'} plans.")
            if not o.is_empty(value):
                out[key] = o.check(value)
        for o in self.options:
            if o.required and not out.get(o.name):
                raise ConfigError(o.required)
        return out

    @property
    def flags(self) -> frozenset[str]:
        return frozenset(f for o in self.options for f in o.flags)

    def from_args(self, a: argparse.Namespace) -> dict[str, Any]:
        """The options the command line gives (only those given)."""
        opts = {}
        for o in self.options:
            value = o.from_args(a)
            if value is not None:
                opts[o.name] = value
        return opts
