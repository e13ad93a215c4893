"""Where each part of a case came from: file, and line:col per dotted path.

A merged case (a model plus a case file) keeps, per path, the file its value
came from, so an error in an inherited criterion points into the model file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from negotiate.errors import Location

Path = tuple[str, ...]


@dataclass
class SourceMap:
    """Positions of keys and values, keyed by path tuples."""

    file: str | None = None
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    origin: dict[Path, str] = field(default_factory=dict)  # path -> file, where not `file`

    def locate(self, path: Path | list) -> Location:
        path = tuple(str(p) for p in path)
        for cut in range(len(path), -1, -1):
            prefix = path[:cut]
            if prefix in self.positions:
                line, col = self.positions[prefix]
                return Location(self.origin.get(prefix, self.file), line, col)
            if prefix in self.origin:
                return Location(self.origin[prefix])
        return Location(self.file)

    def copy_subtree(self, node, src: "SourceMap", src_path: Path, dst_path: Path) -> None:
        """Record the positions of `node` (found at src_path in src) at dst_path."""
        pos = src.positions.get(src_path)
        if pos is not None:
            self.positions[dst_path] = pos
        file = src.origin.get(src_path, src.file)
        if file != self.file:
            self.origin[dst_path] = file
        if isinstance(node, dict):
            for k, v in node.items():
                self.copy_subtree(v, src, src_path + (str(k),), dst_path + (str(k),))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                self.copy_subtree(v, src, src_path + (str(i),), dst_path + (str(i),))


def dotted(path: Path | list) -> str:
    return ".".join(str(p) for p in path)
