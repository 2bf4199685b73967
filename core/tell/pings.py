"""healthchecks.io-style pings: POST URL/start, URL (success) or URL/fail, with the job log's
tail as the body. Bounded in time and retries; a ping that fails is logged, never raised."""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)

BODY_KEEP = 10 * 1024  # bytes of the log's end sent with a finish ping
TIMEOUT_S = 10.0
TRIES = 3
RETRY_WAIT_S = 1.0


def endpoint(url: str, signal: str) -> str:
    """URL with `/start` or `/fail` ("" for success)."""
    return f"{url.rstrip('/')}/{signal}" if signal else url


def tail(text: str, keep: int = BODY_KEEP) -> bytes:
    data = text.encode("utf-8", "replace")
    return data[-keep:]


def ping(url: str, body: bytes = b"", *, timeout: float = TIMEOUT_S, tries: int = TRIES,
         wait: float = RETRY_WAIT_S) -> str | None:
    """POST `body` to `url`; None when it was taken, else why not (after `tries` attempts;
    a 4xx answer is not retried)."""
    import urllib.error  # http.client and the e-mail parser: only when a plan pings
    import urllib.request

    why = ""
    for attempt in range(tries):
        if attempt:
            time.sleep(wait)
        req = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "text/plain; charset=utf-8",
                                              "User-Agent": "backupdesk"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                r.read(1024)
            return None
        except urllib.error.HTTPError as e:
            why = f"HTTP {e.code}"
            if 400 <= e.code < 500:
                break
        except (urllib.error.URLError, OSError) as e:
            why = str(getattr(e, "reason", e))
    return f"{why} (after {attempt + 1} attempt{'s' if attempt else ''})"
