"""Qt adapters over core: the main window, its panes, and the worker bridge."""

import sys

# A `from` import makes PySide6 load its import-hook support, which the patch below adjusts.
from PySide6.QtWidgets import QWidget  # noqa: F401


def skip_feature_source_scan() -> None:
    """PySide6 checks every module imported after it for `from __feature__ import ...` by
    reading its source (inspect.getsource), which keeps the source of all of SQLAlchemy in
    linecache: about 20 MiB and a third more import time. We use no __feature__."""
    for name in ("shibokensupport.feature", "PySide6.support.feature", "__feature__"):
        feature = sys.modules.get(name)
        if feature is not None and callable(getattr(feature, "_mod_uses_pyside", None)):
            setattr(feature, "_mod_uses_pyside", lambda module: False)  # noqa: B010


skip_feature_source_scan()
