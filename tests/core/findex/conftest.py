"""Real borg's isolation and source tree for the borg tests here."""

from tests.core.borg.conftest import _isolated_borg, source_tree

__all__ = ["_isolated_borg", "source_tree"]
