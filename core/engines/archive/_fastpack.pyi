from typing import Any

BLOCK: int
SHA_NI: int  # 1: small files hashed with the SHA extensions, two at a time

def pack(
    items: list[Any], start: int, out: bytearray, small: int, in_json: bytes,
    users: dict[int, str], groups: dict[int, str], /
) -> tuple[int, list[bytes | None], list[tuple[int, int]], int, int]: ...
def folder(
    path: str, rel: str, item: type[Any], /
) -> tuple[list[Any], list[tuple[str, int]]] | None: ...
