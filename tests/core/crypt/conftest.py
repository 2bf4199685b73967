"""Fixtures of the encryption tests: secrets in the home's 0600 file (no desktop keyring)."""

from __future__ import annotations

import pytest

from tests.core.archive.conftest import tree  # noqa: F401  (the odd tree of the archive tests)


@pytest.fixture(autouse=True)
def secrets_in_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKUPDESK_SECRETS_FILE_ONLY", "1")
