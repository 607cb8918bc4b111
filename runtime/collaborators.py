"""What a session asks of the world beyond its store: microflow calls and synchronization.

They are injected: the device gets a sync client (HTTP, or in-process to the embedded server),
the server a direct call into its own sessions. A session without them raises clear errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from nanoflow.runtime.values import MendixError

if TYPE_CHECKING:
    from nanoflow.runtime.session import Session


class MicroflowCaller(Protocol):
    """Runs a microflow for a session (on the sync server)."""

    async def call_microflow(self, session: Session, name: str, arguments: dict[str, Any]) -> Any:
        """The microflow's result; `MendixError` if it fails or cannot be reached."""


class Synchronizer(Protocol):
    """The synchronization activities of a session."""

    async def synchronize(self, session: Session, mode: str, items: list[Any]) -> None:
        """`synchronize all` (`all`), `unsynchronized`, or `selected` objects (`items`)."""

    async def cancel(self, session: Session) -> None:
        """`cancel synchronization`."""

    async def clear_from_device(self, session: Session, entity: str) -> None:
        """`clear from device`."""

    async def to_device(self, session: Session, value: Any) -> None:
        """`synchronize to device` (in a microflow called by a device)."""


class NoServer:
    """The collaborators of a session without a sync server connection."""

    async def call_microflow(self, session: Session, name: str, arguments: dict[str, Any]) -> Any:
        raise MendixError(
            f"cannot call microflow `{name}`: microflows run on the sync server, and this "
            "runtime has no server connection"
        )

    async def synchronize(self, session: Session, mode: str, items: list[Any]) -> None:
        raise MendixError("cannot synchronize: this runtime has no sync server connection")

    async def cancel(self, session: Session) -> None:
        raise MendixError("no synchronization is running")

    async def clear_from_device(self, session: Session, entity: str) -> None:
        raise MendixError("cannot clear from device: this runtime has no sync server connection")

    async def to_device(self, session: Session, value: Any) -> None:
        raise MendixError("`synchronize to device` runs on the sync server only")
