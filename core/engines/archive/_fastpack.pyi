from typing import Any

BLOCK: int

def pack(
    items: list[Any], start: int, out: bytearray, small: int, /
) -> tuple[int, list[tuple[int, str | None, int] | None]]: ...
