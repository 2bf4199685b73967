"""Compression specs of the engines, one grammar each: parsed, checked, written and offered
here only (`plan add`, the plan editor, the archive writer and reader all use these).

A spec is ALGO or ALGO<sep>LEVEL. Either engine's separator is read (``zstd:3`` and ``zstd,3``
are the same choice) and the engine's own is written, so a spec written for one engine maps
onto the other when the algorithm exists in both, and is refused when it does not."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import ConfigError


@dataclass(frozen=True)
class Codec:
    """A compression algorithm and the levels it takes."""
    name: str
    levels: tuple[int, int] | None = None  # lowest and highest level; None: no level
    default_level: int | None = None
    suffix: str = ""  # of the archive engine's files, after ".tar"


@dataclass(frozen=True)
class Compression:
    """A parsed compression setting."""
    algo: str
    level: int | None = None  # None: the codec's default level
    prefix: str = ""  # borg's "auto," or "obfuscate,N,", kept as written


@dataclass(frozen=True)
class Grammar:
    """An engine's compression setting's syntax and default."""
    engine: str  # for messages
    codecs: tuple[Codec, ...]
    sep: str
    default: str
    prefixes: tuple[str, ...] = ()  # modifiers written before the spec (borg's auto, obfuscate)

    def codec(self, name: str) -> Codec | None:
        return next((c for c in self.codecs if c.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.codecs)

    def hint(self) -> str:
        parts = [c.name if c.levels is None else f"{c.name}[{self.sep}LEVEL]" for c in self.codecs]
        return ", ".join(parts[:-1]) + f" or {parts[-1]}"

    def parse(self, text: str) -> Compression:
        """`text` as a Compression; ConfigError naming the choices when it is none of them."""
        spec = str(text).strip()
        prefix, rest = self._prefix(spec)
        algo, sep, level = rest.replace(",", ":", 1).partition(":")
        codec = self.codec(algo)
        if codec is None:
            raise ConfigError(f"Unknown compression {spec!r} for {self.engine} plans: use "
                              f"{self.hint()}.")
        if not sep:
            return Compression(algo, None, prefix)
        lo, hi = codec.levels or (1, 0)
        if not level.isdigit() or not lo <= int(level) <= hi:
            where = f"{lo} to {hi}" if codec.levels else "none"
            raise ConfigError(f"Invalid compression level in {spec!r}: {algo} takes {where}.")
        return Compression(algo, int(level), prefix)

    def _prefix(self, spec: str) -> tuple[str, str]:
        for p in self.prefixes:
            head, _, rest = spec.partition(",")
            if head != p:
                continue
            if p == "obfuscate":  # obfuscate,N,SPEC
                n, _, rest = rest.partition(",")
                if not n.isdigit():
                    raise ConfigError(f"Invalid compression {spec!r}: obfuscate,N,SPEC.")
                return f"{p},{n},", rest
            return f"{p},", rest
        return "", spec

    def text(self, c: Compression) -> str:
        body = c.algo if c.level is None else f"{c.algo}{self.sep}{c.level}"
        return c.prefix + body

    def normalise(self, text: str) -> str:
        """The spec in this engine's spelling (ConfigError when invalid)."""
        return self.text(self.parse(text))

    def level(self, text: str) -> tuple[str, int | None]:
        """The algorithm and the level to use (the codec's default when none is written)."""
        c = self.parse(text)
        codec = self.codec(c.algo)
        return c.algo, c.level if c.level is not None else (codec.default_level if codec else None)

    def choices(self) -> tuple[str, ...]:
        """Every spec the plan editor offers: each algorithm alone and at each level."""
        out: list[str] = []
        for c in self.codecs:
            out.append(c.name)
            if c.levels:
                out += [f"{c.name}{self.sep}{n}" for n in range(c.levels[0], c.levels[1] + 1)]
        return tuple(out)

    def of_file(self, name: str) -> str:
        """The algorithm of an archive file, by its suffix."""
        found = [c for c in self.codecs if c.suffix and name.endswith(c.suffix)]
        return found[0].name if found else "none"


ARCHIVE = Grammar("archive", (Codec("zstd", (1, 22), 3, ".zst"), Codec("gzip", (1, 9), 6, ".gz"),
                              Codec("none")), ":", "zstd:3")
BORG = Grammar("borg", (Codec("lz4"), Codec("zstd", (1, 22), 3), Codec("zlib", (0, 9), 6),
                        Codec("lzma", (0, 9), 6), Codec("none")), ",", "lz4",
               prefixes=("auto", "obfuscate"))
