"""Exact borg command lines (pure functions)."""

from __future__ import annotations

from core.engines.borg import commands as cmd


def test_create_argv() -> None:
    assert cmd.create("/r", "p-2026", ["/src", "/etc"], compression="zstd,6",
                      excludes=["*.tmp"]) == [
        "borg", "create", "--log-json", "--lock-wait", "1", "--progress", "--json",
        "--compression", "zstd,6", "--exclude", "*.tmp", "/r::p-2026", "/src", "/etc"]


def test_create_without_progress() -> None:
    argv = cmd.create("/r", "a", ["/s"], progress=False)
    assert "--progress" not in argv and "--json" in argv


def test_prune_argv_only_the_plans_archives() -> None:
    assert cmd.prune("ssh://u@h:22/r", {"daily": 7, "last": 2, "weekly": 0},
                     glob="plan-*") == [
        "borg", "prune", "--log-json", "--lock-wait", "1", "--list",
        "--glob-archives", "plan-*", "--keep-last", "2", "--keep-daily", "7",
        "ssh://u@h:22/r"]
    assert "--dry-run" in cmd.prune("/r", {"last": 1}, dry_run=True)


def test_other_commands() -> None:
    assert cmd.init("/r", "repokey-blake2") == [
        "borg", "init", "--log-json", "--encryption", "repokey-blake2", "/r"]
    assert cmd.compact("/r") == ["borg", "compact", "--log-json", "--lock-wait", "1",
                                 "--progress", "/r"]
    assert cmd.check("/r", verify_data=True) == [
        "borg", "check", "--log-json", "--lock-wait", "1", "--progress", "--verify-data", "/r"]
    assert cmd.check("/r", archive="a")[-1] == "/r::a"
    assert cmd.list_archives("/r") == ["borg", "list", "--log-json", "--lock-wait", "1",
                                       "--json", "/r"]
    assert cmd.list_contents("/r", "a") == ["borg", "list", "--log-json", "--lock-wait", "1",
                                            "--json-lines", "/r::a"]
    assert cmd.info("/r", "a")[-2:] == ["--json", "/r::a"]
    assert cmd.extract("/r", "a", ["/tmp/x/docs", "tmp/y"]) == [
        "borg", "extract", "--log-json", "--lock-wait", "1", "--progress", "/r::a",
        "tmp/x/docs", "tmp/y"]
    assert cmd.delete("/r", "a") == ["borg", "delete", "--log-json", "--lock-wait", "1", "/r::a"]
    assert cmd.break_lock("/r", binary="/opt/borg") == ["/opt/borg", "break-lock",
                                                        "--log-json", "/r"]


def test_no_command_carries_a_secret() -> None:
    for argv in (cmd.init("/r", "repokey"), cmd.create("/r", "a", ["/s"])):
        assert not any("pass" in a.lower() for a in argv)
