"""The CLI's host: client activities printed with rich on stderr (rich is imported when a flow
first shows something)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nanoflow.runtime.host import Host
from nanoflow.runtime.values import MxObject

if TYPE_CHECKING:
    from rich.console import Console

    from nanoflow.cli_progress import SyncProgressBar

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
        self._console = console
        self._progress: SyncProgressBar | None = None

    @property
    def console(self) -> Console:
        """The console on stderr, made when a flow first shows something (rich loads then)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False, soft_wrap=True)
        return self._console

    def _line(self, head: str, style: str, rest: str = "") -> None:
        from rich.text import Text

        line = Text(head, style=style)
        line.append(rest)
        self.console.print(line)

    async def show_message(self, kind: str, text: str, blocking: bool) -> None:
        head = f"{kind}{' (blocking)' if blocking else ''}: "
        self._line(head, STYLES.get(kind, ""), text)

    async def show_page(self, page: str, arguments: dict[str, Any]) -> None:
        shown = ", ".join(f"{k} = {_short(v)}" for k, v in arguments.items())
        self._line(f"page: {page}({shown})", "magenta")

    async def close_page(self, count: int) -> None:
        self._line(f"page: close {count}", "magenta")

    async def validation_feedback(self, obj: MxObject, member: str, text: str) -> None:
        self._line(f"validation: {obj.entity}.{member}: ", "yellow", text)

    async def sync_progress(self, progress: Any) -> None:
        if self._progress is None:
            from nanoflow.cli_progress import SyncProgressBar

            self._progress = SyncProgressBar(self.console)
        self._progress.update(progress)

    async def log(self, level: str, node: str | None, text: str) -> None:
        self._line(f"{level.upper():8} {node or 'Nanoflow'}: ", LOG_STYLES.get(level, ""), text)


def _short(value: Any) -> str:
    if isinstance(value, MxObject):
        return f"{value.entity}({value.id})"
    return repr(value)
