"""Errors a flow run ends in."""

from __future__ import annotations

from typing import Any


class FlowError(Exception):
    """A flow ended in an unhandled error: the message, the flow, and where it happened."""

    def __init__(
        self,
        message: str,
        flow: str,
        file: str = "",
        line: int = 0,
        column: int = 0,
        activity: str = "",
        cause: BaseException | None = None,
    ) -> None:
        where = f" ({file}:{line}:{column}, {activity})" if file else ""
        super().__init__(f"{message} [in {flow}{where}]")
        self.message = message
        self.flow = flow
        self.file = file
        self.line = line
        self.column = column
        self.activity = activity
        self.cause = cause

    def to_json(self) -> dict[str, Any]:
        """The `error` object of `nanoflow run --json`."""
        return {
            "message": self.message,
            "flow": self.flow,
            "file": self.file,
            "line": self.line,
            "column": self.column,
        }


class StoreError(Exception):
    """The offline store cannot be used (in use, incompatible model, ...)."""
