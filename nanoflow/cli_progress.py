"""The CLI's view of a running synchronization (SYNC.md 8): a rich progress bar on stderr when
it is a terminal, nothing at all on a pipe or a file."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

PHASES = {
    "start": "Synchronizing",
    "upload": "Uploading changes",
    "files": "Uploading files",
    "download": "Downloading",
    "refresh": "Refreshing objects",
}


class SyncProgressBar:
    """Follows the progress events of synchronizations (`Host.sync_progress`)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    @property
    def shown(self) -> bool:
        """Whether anything is drawn: only on a terminal."""
        return self.console.is_terminal

    def update(self, progress: Any) -> None:
        if not self.shown:
            return
        phase = progress.phase
        if phase in ("done", "failed"):
            self._finish(progress)
            return
        if self._bar is None:
            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("objects, {task.fields[size]}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(PHASES["start"], total=None, size=size(0))
        assert self._task is not None
        label = PHASES.get(phase, phase)
        if progress.entity:
            label = f"{label} {progress.entity}"
        self._bar.update(
            self._task,
            description=label,
            completed=progress.done,
            total=progress.total,
            size=size(int(progress.bytes)),
        )

    def _finish(self, progress: Any) -> None:
        bar, self._bar, self._task = self._bar, None, None
        if bar is not None:
            bar.stop()
        if progress.phase == "done":
            self.console.print(
                f"synchronized: {progress.done} object(s) downloaded, "
                f"{size(int(progress.bytes))}",
                style="dim",
                highlight=False,
            )


def size(count: int) -> str:
    """A byte count for people: `512 bytes`, `12.3 kB`, `4.0 MB`."""
    if count < 1000:
        return f"{count} bytes"
    if count < 1_000_000:
        return f"{count / 1000:.1f} kB"
    return f"{count / 1_000_000:.1f} MB"
