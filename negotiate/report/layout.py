"""Tables that fit the terminal without cutting a number.

A `FitTable` is measured when it is printed, against the width the console
really has: if every column fits, it is one table; otherwise its value
columns are split into blocks that each fit, the key columns repeated at the
left of every block (the way a printed statistical table continues on the
next page); if even one value column does not fit beside the keys, each row
becomes a block of `header: value` lines. A cell is never truncated or
ellipsised: a number is shown whole or on its own line.

`short_ids` shortens dotted case ids to the shortest unambiguous tail, for
headers, with a legend that gives each short name's full path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.table import Table
from rich.text import Text

PAD = 1  # the compact style's padding: one space right of every cell


@dataclass
class Column:
    header: str
    cells: list = field(default_factory=list)  # str or rich Text, one per row
    justify: str = "right"
    style: str | None = None

    def width(self) -> int:
        """Its content, the padding and the one-space column divider of the compact style."""
        return max([len(self.header)] + [_len(c) for c in self.cells]) + PAD + 1


def _len(cell) -> int:
    return cell.cell_len if isinstance(cell, Text) else len(str(cell))


class FitTable:
    """A table of key columns and value columns, laid out to fit when printed."""

    def __init__(self, title: str | None, keys: list[Column], values: list[Column],
                 caption: str | None = None):
        self.title, self.keys, self.values, self.caption = title, keys, values, caption

    @property
    def n_rows(self) -> int:
        cols = self.keys + self.values
        return len(cols[0].cells) if cols else 0

    def blocks(self, width: int) -> list[list[Column]] | None:
        """The value columns in blocks that fit beside the keys; None: no block fits."""
        room = width + 1 - sum(k.width() for k in self.keys)  # the last column has no divider
        out: list[list[Column]] = []
        used = 0
        for col in self.values:
            w = col.width()
            if w > room:
                return None
            if out and used + w <= room:
                out[-1].append(col)
                used += w
            else:
                out.append([col])
                used = w
        return out or [[]]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        blocks = self.blocks(width)
        if blocks is None:
            yield from self._records()
            return
        for n, block in enumerate(blocks):
            title = self.title
            if len(blocks) > 1:
                title = f"{self.title or ''} (columns {n + 1} of {len(blocks)}" + (
                    ", continued below)" if n < len(blocks) - 1 else ")")
            if title:
                yield Text(title.strip(), style="italic")
            yield self._table(self.keys + block, self.caption if n == len(blocks) - 1 else None)
            if n < len(blocks) - 1:
                yield Text("")

    def _table(self, cols: list[Column], caption) -> Table:
        t = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, PAD, 0, 0), collapse_padding=True)
        for c in cols:
            t.add_column(c.header, justify=c.justify, style=c.style, no_wrap=True, overflow="fold",
                         min_width=c.width() - PAD - 1)
        for i in range(self.n_rows):
            t.add_row(*(c.cells[i] for c in cols))
        if caption:
            return Group(t, Text(caption, style="dim"))
        return t

    def _records(self) -> RenderResult:
        """One block of `header: value` lines per row: for widths where no table fits."""
        if self.title:
            yield Text(self.title, style="italic")
        for i in range(self.n_rows):
            head = Text("  ".join(str(k.cells[i]) for k in self.keys) or f"row {i + 1}", style="bold")
            yield head
            for c in self.values:
                line = Text(f"  {c.header}: ")
                cell = c.cells[i]
                line.append(cell if isinstance(cell, Text) else Text(str(cell)))
                yield line
        if self.caption:
            yield Text(self.caption, style="dim")


def short_ids(ids: list[str]) -> dict[str, str]:
    """Each dotted id -> its shortest tail that no other id shares (`parameters.target` -> `target`)."""
    out = {}
    parts = {i: i.split(".") for i in ids}
    for i, p in parts.items():
        for k in range(1, len(p) + 1):
            tail = ".".join(p[-k:])
            if not any(j != i and (j == tail or j.endswith("." + tail)) for j in ids):
                out[i] = tail
                break
        else:
            out[i] = i
    return out


def legend(short: dict[str, str]) -> str | None:
    """`target = parameters.target; ...` for the ids that were shortened."""
    pairs = [f"{s} = {full}" for full, s in short.items() if s != full]
    return "; ".join(pairs) if pairs else None
