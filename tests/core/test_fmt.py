from __future__ import annotations

import pytest

from core.fmt import count, plural


@pytest.mark.parametrize(("n", "word", "want"), [
    (0, "file", "0 files"), (1, "file", "1 file"), (2, "file", "2 files"),
    (1, "copy", "1 copy"), (3, "copy", "3 copies"), (1, "job", "1 job"), (21, "job", "21 jobs"),
])
def test_count(n: int, word: str, want: str) -> None:
    assert count(n, word) == want


def test_plural_verb_and_explicit_form() -> None:
    assert plural(1, "is") == "is" and plural(2, "is") == "are"
    assert plural(2, "child", "children") == "children"
