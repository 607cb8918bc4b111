"""A loopback HTTP proxy for the fault tests: it forwards each request to a real server and can,
per rule, drop the connection before forwarding, forward the request and cut the answer (the
server applied it, the client never hears), delay, or answer itself with an error status or a
garbage body.

One request per connection (`Connection: close` both ways), which httpx handles as any server
that closes after answering. Rules match a method and a path prefix and act `times` times
(None: always); `Proxy.seen` records every request as `(method, path, action)`.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

ACTIONS = ("drop", "cut", "delay", "status", "garbage")


@dataclass
class Rule:
    """`action` for requests of `method` whose path starts with `path`: `drop` (closed before
    forwarding), `cut` (forwarded, answer not passed on), `delay` (`seconds`, then forwarded),
    `status` (answered with `status`, not forwarded), `garbage` (answered 200 with a body that is
    not JSON, not forwarded)."""

    method: str
    path: str
    action: str
    times: int | None = 1
    seconds: float = 0.0
    status: int = 503
    used: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (
            method == self.method
            and path.startswith(self.path)
            and (self.times is None or self.used < self.times)
        )


@dataclass
class Proxy:
    """Forwards 127.0.0.1:`port` to `upstream` (host, port), applying `rules` in order."""

    upstream: tuple[str, int]
    rules: list[Rule] = field(default_factory=list)
    seen: list[tuple[str, str, str]] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add(self, method: str, path: str, action: str, **options: float | int | None) -> Rule:
        """Add a rule (`times`, `seconds`, `status` as keywords)."""
        assert action in ACTIONS, action
        rule = Rule(method, path, action, **options)  # type: ignore[arg-type]
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        self.rules.clear()

    def count(self, method: str, path: str, action: str | None = None) -> int:
        """How many requests of `method` to a path starting with `path` came (with `action`)."""
        return sum(
            1 for m, p, a in self.seen
            if m == method and p.startswith(path) and (action is None or a == action)
        )  # fmt: skip

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Proxy:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve_one(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = [h for h in lines[1:] if h]
        length = 0
        for header in headers:
            name, _, value = header.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        body = await reader.readexactly(length) if length else b""
        path = target.split("?", 1)[0]
        rule = next((r for r in self.rules if r.matches(method, path)), None)
        action = "forward" if rule is None else rule.action
        if rule is not None:
            rule.used += 1
        self.seen.append((method, path, action))
        if action == "drop":
            return
        if action == "status":
            assert rule is not None
            self._answer(writer, rule.status, b'{"error": "injected by the proxy"}')
            await writer.drain()
            return
        if action == "garbage":
            self._answer(writer, 200, b"<html>this is not JSON</html>")
            await writer.drain()
            return
        if action == "delay":
            assert rule is not None
            await asyncio.sleep(rule.seconds)
        kept = [h for h in headers if h.partition(":")[0].strip().lower() != "connection"]
        request = "\r\n".join([lines[0], *kept, "Connection: close", "", ""]).encode("latin-1")
        answer = await self._forward(request + body)
        if action == "cut":
            return
        writer.write(_closing(answer))
        await writer.drain()

    async def _forward(self, request: bytes) -> bytes:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        try:
            up_writer.write(request)
            await up_writer.drain()
            return await up_reader.read()
        finally:
            up_writer.close()
            with contextlib.suppress(Exception):
                await up_writer.wait_closed()

    @staticmethod
    def _answer(writer: asyncio.StreamWriter, status: int, body: bytes) -> None:
        writer.write(
            f"HTTP/1.1 {status} Injected\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
            + body
        )


def _closing(answer: bytes) -> bytes:
    """The upstream answer with `Connection: close` (the proxy closes after it)."""
    head, sep, body = answer.partition(b"\r\n\r\n")
    if not sep:
        return answer
    lines = [
        line for line in head.split(b"\r\n")
        if line.partition(b":")[0].strip().lower() != b"connection"
    ]  # fmt: skip
    return b"\r\n".join([*lines, b"connection: close"]) + sep + body
