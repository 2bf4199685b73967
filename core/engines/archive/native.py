"""The archive engine's C part (`_fastpack`, built by setup.py), or None.

None where it was not built (no compiler or libssl-dev at install time) or when
BACKUPDESK_FASTPACK=0 asks for the pure-Python code, which writes the same archives, slower.
"""

from __future__ import annotations

import os
from types import ModuleType

fastpack: ModuleType | None
try:
    from core.engines.archive import _fastpack as fastpack
except ImportError:  # pragma: no cover - depends on the build
    fastpack = None
if os.environ.get("BACKUPDESK_FASTPACK") == "0":
    fastpack = None
