"""Jobs of repository engines run real borg: its isolation and source tree fixtures."""

from tests.core.borg.conftest import _isolated_borg, source_tree

__all__ = ["_isolated_borg", "source_tree"]
