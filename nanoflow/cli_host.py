"""The CLI's host: client activities printed with rich on stderr."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from nanoflow.runtime.host import Host
from nanoflow.runtime.values import MxObject

STYLES = {"info": "cyan", "warning": "yellow", "error": "bold red"}
LOG_STYLES = {
    "trace": "dim",
    "debug": "dim",
    "info": "blue",
    "warning": "yellow",
    "error": "red",
    "critical": "bold red",
}


class ConsoleHost(Host):
    """Shows messages, pages and log lines on the terminal (stderr)."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True, highlight=False, soft_wrap=True)

    async def show_message(self, kind: str, text: str, blocking: bool) -> None:
        line = Text(f"{kind}{' (blocking)' if blocking else ''}: ", style=STYLES.get(kind, ""))
        line.append(text)
        self.console.print(line)

    async def show_page(self, page: str, arguments: dict[str, Any]) -> None:
        shown = ", ".join(f"{k} = {_short(v)}" for k, v in arguments.items())
        self.console.print(Text(f"page: {page}({shown})", style="magenta"))

    async def close_page(self, count: int) -> None:
        self.console.print(Text(f"page: close {count}", style="magenta"))

    async def validation_feedback(self, obj: MxObject, member: str, text: str) -> None:
        line = Text(f"validation: {obj.entity}.{member}: ", style="yellow")
        line.append(text)
        self.console.print(line)

    async def log(self, level: str, node: str | None, text: str) -> None:
        line = Text(f"{level.upper():8} {node or 'Nanoflow'}: ", style=LOG_STYLES.get(level, ""))
        line.append(text)
        self.console.print(line)


def _short(value: Any) -> str:
    if isinstance(value, MxObject):
        return f"{value.entity}({value.id})"
    return repr(value)
