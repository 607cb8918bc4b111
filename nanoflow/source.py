"""Source files and spans: where every IR node and diagnostic points."""

from __future__ import annotations

from bisect import bisect_right
from pathlib import Path
from typing import NamedTuple


class Span(NamedTuple):
    """A region of a source file; lines and columns are 1-based, the end column is exclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def to(self, other: Span) -> Span:
        """The span from the start of this one to the end of `other`."""
        return Span(self.file, self.line, self.column, other.end_line, other.end_column)


NO_SPAN = Span("<builtin>", 1, 1, 1, 1)


class SourceFile:
    """The text of one `.nf` file, with fast access to its lines."""

    __slots__ = ("_line_starts", "path", "text")

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        starts = [0]
        find = text.find
        pos = find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        self._line_starts = starts

    @classmethod
    def read(cls, path: Path, display: str | None = None) -> SourceFile:
        """Read a file as UTF-8 (a BOM is dropped, CRLF becomes LF)."""
        text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
        return cls(display or str(path), text)

    def line(self, number: int) -> str:
        """The text of a 1-based line, without its newline ('' past the end)."""
        if number < 1 or number > len(self._line_starts):
            return ""
        start = self._line_starts[number - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end == -1 else self.text[start:end]

    @property
    def line_count(self) -> int:
        return len(self._line_starts)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        index = bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index] + 1
