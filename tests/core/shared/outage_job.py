"""A job in a process of its own for the outage tests: started on the catalogue given, it writes
STARTED_FILE, waits for GO_FILE (at most five minutes), then ends successfully.

    python -m tests.core.shared.outage_job URL STARTED_FILE GO_FILE
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from core.catalogue import open_catalogue
from core.jobs.lifecycle import job


def main(url: str, started: Path, go: Path) -> int:
    cat = open_catalogue(url)
    with job(cat, kind="backup", engine="archive", plan_name="p", lock_key="plan:77") as j:
        j.log("working")
        started.write_text(str(j.id))
        for _ in range(3000):  # bounded: five minutes
            if go.exists():
                break
            threading.Event().wait(0.1)
        j.end.bytes, j.end.details = 1234, {"note": "done while the catalogue was away"}
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])))
