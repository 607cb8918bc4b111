"""The host: what client activities do is up to the app that embeds the runtime."""

from __future__ import annotations

import sys
from typing import Any

from nanoflow.runtime.values import MxObject


class Host:
    """Receives client activities. Every method has a default that writes a plain line to
    stderr; embedding apps override what they show (the CLI prints with rich)."""

    def _write(self, text: str) -> None:
        print(text, file=sys.stderr)

    async def show_message(self, kind: str, text: str, blocking: bool) -> None:
        self._write(f"[{kind}] {text}")

    async def show_page(self, page: str, arguments: dict[str, Any]) -> None:
        shown = ", ".join(f"{k}={v!r}" for k, v in arguments.items())
        self._write(f"[page] {page}({shown})")

    async def close_page(self, count: int) -> None:
        self._write(f"[page] close {count}")

    async def validation_feedback(self, obj: MxObject, member: str, text: str) -> None:
        self._write(f"[validation] {obj.entity}.{member}: {text}")

    async def log(self, level: str, node: str | None, text: str) -> None:
        self._write(f"[log {level}{' ' + node if node else ''}] {text}")

    async def sync_progress(self, progress: Any) -> None:
        """Where a running synchronization is (a `Progress`: phase, entity, done/total,
        bytes); the default shows nothing. The CLI draws a progress bar on a terminal."""
