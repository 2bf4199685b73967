from typing import Any

BLOCK: int

def pack(
    items: list[Any], start: int, out: bytearray, small: int, in_json: bytes,
    users: dict[int, str], groups: dict[int, str],
    listing: list[tuple[bytes, int, int, int]] | None = None, /
) -> tuple[int, list[bytes | None], list[tuple[int, int]], int, int]: ...
def folder(
    path: str, rel: str, item: type[Any], /
) -> tuple[list[Any], list[tuple[str, int]]] | None: ...
