import argparse
import importlib

import pytest

from core.cli.main import COMMAND_MODULES, COMMANDS, build_parser, command_module


def _registered(module: str) -> set[str]:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers()
    importlib.import_module(module).register(sub)
    return set(sub.choices)


def test_command_map_matches_what_modules_register():
    actual = {cmd: mod for mod in COMMAND_MODULES for cmd in _registered(mod)}
    assert actual == COMMANDS


@pytest.mark.parametrize(("argv", "module"), [
    ([], ""),
    (["--home", "/x"], ""),
    (["--home=/x", "-v", "gui", "--exit-after-start"], ""),
    (["--catalogue", "sqlite://", "history", "--json"], "core.cli.history_cmd"),
    (["run", "p"], "core.cli.run_cmd"),
    (["--help"], None),
    (["--version"], ""),
    (["--home", "/x", "--version", "run"], ""),
    (["nosuch"], None),
])
def test_one_command_loads_one_module(argv, module):
    assert command_module(argv) == module


def test_full_parser_lists_every_command():
    p = build_parser()
    sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    assert set(COMMANDS) | {"gui"} <= set(sub.choices)
