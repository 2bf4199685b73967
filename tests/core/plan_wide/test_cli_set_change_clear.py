"""Every plan-wide option (core.plan_wide.SCHEMAS) through `plan add/edit` as a user types it:
set, change, clear ('' removes it); secrets go to the secret store, never the options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cli.main import main

# flag, first value, stored, second value, stored
CASES = [
    ("--before", "echo a", "echo a", "echo b", "echo b"),
    ("--after", "echo a", "echo a", "echo b", "echo b"),
    ("--on-failure", "echo a", "echo a", "echo b", "echo b"),
    ("--hook-timeout", "90s", 90, "10m", 600),
    ("--notify-on", "failure", "failure", "failure,success", "failure,success"),
    ("--expect", "daily", "daily", "weekly", "weekly"),
    ("--grace", "30m", "30m", "2h", "2h"),
    ("--mass-change", "40", 40, "60", 60),
    ("--s3-endpoint", "http://127.0.0.1:9000", "http://127.0.0.1:9000",
     "http://127.0.0.1:9001", "http://127.0.0.1:9001"),
    ("--ssh-command", "ssh -i k1", "ssh -i k1", "ssh -i k2", "ssh -i k2"),
    ("--bwlimit", "10M", "10M", "512K", "512K"),
]


def _show(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    assert main(["plan", "show", "docs", "--json"]) == 0
    return dict(json.loads(capsys.readouterr().out)["options"])


def _secrets(home: Path) -> dict[str, str]:
    f = home / "config" / "secrets.json"
    return json.loads(f.read_text()) if f.exists() else {}


@pytest.fixture
def plan(home: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    assert main(["plan", "add", "docs", "--engine", "archive", "--source", str(src),
                 "--dest", str(tmp_path / "d")]) == 0


@pytest.mark.parametrize(("flag", "one", "stored1", "two", "stored2"), CASES,
                         ids=[c[0] for c in CASES])
def test_set_change_clear(plan: None, capsys: pytest.CaptureFixture[str], flag: str, one: str,
                          stored1: object, two: str, stored2: object) -> None:
    key = flag.lstrip("-").replace("-", "_")
    assert main(["plan", "edit", "docs", flag, one]) == 0
    assert _show(capsys)[key] == stored1
    assert main(["plan", "edit", "docs", flag, two]) == 0
    assert _show(capsys)[key] == stored2
    assert main(["plan", "edit", "docs", flag, ""]) == 0
    assert key not in _show(capsys)


def test_an_invalid_value_is_one_line_and_changes_nothing(
        plan: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "edit", "docs", "--grace", "30m"]) == 0
    capsys.readouterr()
    assert main(["plan", "edit", "docs", "--grace", "soon"]) != 0
    err = capsys.readouterr().err.strip()
    assert "Invalid duration 'soon'" in err and "\n" not in err
    assert _show(capsys)["grace"] == "30m"


def test_secret_urls_set_change_clear(plan: None, home: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "edit", "docs", "--ping", "https://hc.example/uuid-1",
                 "--notify", "ntfy://tok-1@ntfy.example/t"]) == 0
    opts = _show(capsys)
    assert opts["ping"] == "(secret)" and opts["notify"] == ["ntfy://(secret)"]
    assert _secrets(home) == {"plan-1:ping": "https://hc.example/uuid-1",
                              "plan-1:notify": '["ntfy://tok-1@ntfy.example/t"]'}
    assert main(["plan", "edit", "docs", "--ping", "https://hc.example/uuid-2"]) == 0
    assert _secrets(home)["plan-1:ping"] == "https://hc.example/uuid-2"
    assert _secrets(home)["plan-1:notify"] == '["ntfy://tok-1@ntfy.example/t"]'
    assert main(["plan", "edit", "docs", "--ping", "", "--notify", ""]) == 0
    opts = _show(capsys)
    assert "ping" not in opts and "notify" not in opts and _secrets(home) == {}


def test_no_encrypt_keeps_the_key_and_says_so(plan: None, home: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "edit", "docs", "--encrypt"]) == 0
    rcpt = _show(capsys)["encrypt"]
    assert isinstance(rcpt, str) and rcpt.startswith("age1")
    assert main(["plan", "edit", "docs", "--no-encrypt"]) == 0
    out = capsys.readouterr().out
    assert "no longer encrypts its new backups" in out and "key export docs" in out
    assert "encrypt" not in _show(capsys)
    assert f"age-key:{rcpt}" in _secrets(home)
    # On again: a new key (the old one stays for the old backups).
    assert main(["plan", "edit", "docs", "--encrypt"]) == 0
    again = _show(capsys)["encrypt"]
    assert again != rcpt and {f"age-key:{rcpt}", f"age-key:{again}"} <= set(_secrets(home))
    assert main(["plan", "edit", "docs", "--encrypt", "--no-encrypt"]) == 2


def test_plan_show_names_the_defaults_that_apply(plan: None,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["plan", "show", "docs"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert {"grace: 1h (default)", "mass_change: 50 (default)",
            "hook_timeout: 10m (default)"} <= set(lines)
    assert main(["plan", "edit", "docs", "--grace", "30m", "--hook-timeout", "90s"]) == 0
    capsys.readouterr()
    assert main(["plan", "show", "docs"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "grace: 30m" in lines and "hook_timeout: 90" in lines
    assert not any(ln.startswith(("grace: 1h", "hook_timeout: 10m")) for ln in lines)
