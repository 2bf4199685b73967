"""`plan edit --no-shared-dest PATH`: a destination declared shared is no longer; a remote one
cannot be unshared, and a refused edit changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cli.main import main


def _shared(capsys: pytest.CaptureFixture[str]) -> dict[str, bool]:
    capsys.readouterr()
    assert main(["plan", "show", "docs", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    return {d["location"]: d["shared"] for d in data["destinations"]}


def test_a_shared_destination_is_unshared(home: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    src, nas, usb = tmp_path / "src", tmp_path / "nas", tmp_path / "usb"
    src.mkdir()
    remote = "s3://bucket/backups"
    assert main(["plan", "add", "docs", "--engine", "archive", "--source", str(src),
                 "--dest", str(usb), "--dest", remote, "--shared-dest", str(nas)]) == 0
    assert _shared(capsys) == {str(usb): False, remote: True, str(nas): True}
    assert main(["plan", "edit", "docs", "--no-shared-dest", str(nas)]) == 0
    assert _shared(capsys) == {str(usb): False, remote: True, str(nas): False}
    assert main(["plan", "edit", "docs", "--shared-dest", str(usb)]) == 0
    assert _shared(capsys) == {str(usb): True, remote: True, str(nas): False}
    # Refused, each in one line, and nothing of the edit is saved (not even --exclude).
    for bad, says in ((["--no-shared-dest", remote], "is remote: every host reaches it"),
                      (["--no-shared-dest", str(tmp_path / "other")], "has no destination"),
                      (["--shared-dest", str(nas), "--no-shared-dest", str(nas)],
                       "cannot be both shared and not")):
        capsys.readouterr()
        assert main(["plan", "edit", "docs", "--exclude", "*.tmp", *bad]) == 2
        err = capsys.readouterr().err
        assert says in err and err.count("\n") == 1
        assert _shared(capsys) == {str(usb): True, remote: True, str(nas): False}
        assert main(["plan", "show", "docs", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["excludes"] == []
