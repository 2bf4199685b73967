"""A daemon's body made safe once, where it is parsed.

- Text that cannot be encoded (bytes that are not UTF-8, lone UTF-16 surrogates from `\\ud800`
  escapes) becomes U+FFFD in every string, keys included, so nothing downstream meets it. Two
  device ids that only differed there stay two devices (the second gets a `#2` suffix).
- Nesting is limited per device: a device deeper than MAX_DEPTH levels is replaced by a small
  entry that the merge marks invalid (`INVALID_KEY`), and its neighbours stay as they were. Anything
  else nested that deep is cut. Deeper than Python's own json parser goes (about 1,000 levels),
  the too-deep parts are cut from the text first.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64
INVALID_KEY = "\x00invalid"  # set on a device replaced here; the merge reports it
CUT = "(nested too deep, cut)"
_LONE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)
# Levels above a device: {"devices": {"ID": {...}}}.
_ABOVE_DEVICE = 2


def decode(data: bytes) -> str:
    return data.decode(json.detect_encoding(data), "replace").lstrip("\ufeff")


def parse(data: bytes, devices_under: str | None) -> Any:
    """Parse and clean a daemon's body (see `clean_body`); ValueError if it is not JSON."""
    text = decode(data)
    try:
        value = json.loads(text)
    except RecursionError:
        value = json.loads(_cut_deep(text, MAX_DEPTH + _ABOVE_DEVICE + 1))
    return clean_body(value, devices_under, bool(_SURROGATE_ESCAPE.search(text)))


def _cut_deep(text: str, limit: int) -> str:
    """The text with every array or object that opens deeper than `limit` replaced by a string."""
    out: list[str] = []
    depth = 0
    start = 0  # where the text still to copy begins
    skip_from = -1  # while cutting: where the cut container opened
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok[0] == '"':
            continue
        if tok in "[{":
            depth += 1
            if depth == limit + 1 and skip_from < 0:
                skip_from = m.start()
        else:
            depth -= 1
            if depth == limit and skip_from >= 0:
                out.append(text[start:skip_from])
                out.append(json.dumps(CUT))
                start, skip_from = m.end(), -1
    out.append(text[start:])
    return "".join(out)


def clean_body(value: Any, devices_under: str | None, fix_text: bool) -> Any:
    """`value` with text fixed (if `fix_text`) and depth limited. Devices are the values of
    `value[devices_under]`, or of `value` itself when `devices_under` is None."""
    if not isinstance(value, dict):
        return _clean(value, 0, fix_text)[0]
    if devices_under is None:
        return _clean_devices(value, fix_text)
    out: dict[str, Any] = {}
    for k, v in value.items():
        key = _text(k) if fix_text else k
        if k == devices_under and isinstance(v, dict):
            out[key] = _clean_devices(v, fix_text)
        else:
            out[key] = _clean(v, 1, fix_text)[0]
    return out


def _clean_devices(devices: dict[str, Any], fix_text: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for device_id, entry in devices.items():
        key = _text(device_id) if fix_text else device_id
        n = 1
        while key in out:
            n += 1
            key = f"{_text(device_id)}#{n}"
        cleaned, deep = _clean(entry, 0, fix_text)
        if deep:
            name = entry.get("name") if isinstance(entry, dict) else None
            cleaned = {INVALID_KEY: f"nested more than {MAX_DEPTH} levels deep"}
            if isinstance(name, str):
                cleaned["name"] = _text(name)
        out[key] = cleaned
    return out


def _text(s: str) -> str:
    return _LONE.sub("\ufffd", s)


def _deep(value: Any, depth: int) -> bool:
    if isinstance(value, str):
        return value == CUT
    if not isinstance(value, dict | list):
        return False
    if depth >= MAX_DEPTH:
        return True
    items = value.values() if isinstance(value, dict) else value
    return any(_deep(v, depth + 1) for v in items if isinstance(v, dict | list | str))


def _clean(value: Any, depth: int, fix_text: bool) -> tuple[Any, bool]:
    """(the cleaned value, whether something in it was nested deeper than MAX_DEPTH)."""
    if not fix_text and not _deep(value, depth):
        return value, False
    return _rebuild(value, depth, fix_text)


def _rebuild(value: Any, depth: int, fix_text: bool) -> tuple[Any, bool]:
    if isinstance(value, str):
        return (_text(value) if fix_text else value), value == CUT
    if not isinstance(value, dict | list):
        return value, False
    if depth >= MAX_DEPTH:
        return CUT, True
    deep = False
    if isinstance(value, list):
        items = []
        for v in value:
            c, d = _rebuild(v, depth + 1, fix_text)
            items.append(c)
            deep = deep or d
        return items, deep
    out: dict[str, Any] = {}
    for k, v in value.items():
        c, d = _rebuild(v, depth + 1, fix_text)
        out[_text(k) if fix_text else k] = c
        deep = deep or d
    return out, deep
