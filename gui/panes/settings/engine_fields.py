"""Plan editor fields bound to an engine's option schema: the compression (the algorithms and
levels its grammar offers, written back in that engine's spelling) and a plan's own options."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from core import engines
from core.engines.compression import Compression, Grammar
from core.engines.schema import Schema


def own_options(plan: dict[str, Any], schema: Schema) -> dict[str, Any]:
    """The options of a saved plan (plan_json) whose engine has `schema`; {} for another's."""
    engine = plan.get("engine")
    mine = engine is not None and engines.get(engine).options is schema
    return dict(plan.get("options") or {}) if mine else {}


class CompressionField(QWidget):
    def __init__(self, grammar: Grammar, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grammar = grammar
        self.prefix = ""  # a modifier the field does not offer (borg's "auto,"), kept
        self.algo = QComboBox()
        self.algo.addItems(list(grammar.names))
        self.level = QSpinBox()
        self.algo.currentTextChanged.connect(self._levels)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.algo)
        lay.addWidget(QLabel("level"))
        lay.addWidget(self.level)
        lay.addStretch(1)
        self.set_text(grammar.default)

    def _levels(self, algo: str) -> None:
        codec = self.grammar.codec(algo)
        lo, hi = codec.levels if codec and codec.levels else (0, 0)
        self.level.setRange(lo, hi)
        self.level.setValue(codec.default_level or 0 if codec else 0)
        self.level.setEnabled(codec is not None and codec.levels is not None)

    def set_text(self, text: str) -> None:
        c = self.grammar.parse(text)
        self.prefix = c.prefix
        self.algo.setCurrentText(c.algo)
        self._levels(c.algo)
        if c.level is not None:
            self.level.setValue(c.level)

    def text(self) -> str:
        algo = self.algo.currentText()
        codec = self.grammar.codec(algo)
        level = self.level.value() if codec is not None and codec.levels else None
        return self.grammar.text(Compression(algo, level, self.prefix))
