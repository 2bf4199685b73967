from collections.abc import Callable

def diff(
    db: str | bytes | object, versions_sql: str, path_sql: str, paths_sql: str, most_sql: str,
    a: int, b: int, as_json: bool, between: tuple[bytes, bytes],
    write: Callable[[bytes], object],
    odd: Callable[[int, bytes, int | None, int | None, int | None, int | None], bytes],
    common: bytes | None, /
) -> tuple[int, int, int, int, int, int, list[tuple[bytes, int, int, int, int]] | None]: ...
