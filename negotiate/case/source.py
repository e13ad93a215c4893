"""Where each part of a case came from: file, and line:col per dotted path."""

from __future__ import annotations

from dataclasses import dataclass, field

from negotiate.errors import Location

Path = tuple[str, ...]


@dataclass
class SourceMap:
    """Positions of keys and values of one case file, keyed by path tuples."""

    file: str | None = None
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    # A path may come from another file (a model): its own map wins there.
    overrides: dict[Path, "SourceMap"] = field(default_factory=dict)

    def locate(self, path: Path | list) -> Location:
        path = tuple(str(p) for p in path)
        for cut in range(len(path), -1, -1):
            prefix = path[:cut]
            if prefix in self.overrides:
                return self.overrides[prefix].locate(path)
            if prefix in self.positions:
                line, col = self.positions[prefix]
                return Location(self.file, line, col)
        return Location(self.file)


def dotted(path: Path | list) -> str:
    return ".".join(str(p) for p in path)
