"""What `nanoflow run` and `nanoflow eval` do (the CLI module only declares the options)."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Coroutine
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nanoflow import types as t
from nanoflow.cli_args import Usage, find_flow, param_texts
from nanoflow.cli_edge import interrupted, json_error
from nanoflow.cli_host import ConsoleHost
from nanoflow.compiler import App, compile_sources, read_sources
from nanoflow.diagnostics import CompileError, Diagnostic
from nanoflow.evaluate import EXPRESSION_FILE, prepare
from nanoflow.interrupt import run_at_once, run_interruptible
from nanoflow.runtime.errors import FlowError, StoreError
from nanoflow.runtime.json_values import json_to_value, parse_param, to_json
from nanoflow.runtime.number_text import (
    DECIMAL_RANGE,
    fits_decimal,
    in_decimal_range,
    load_json,
    shorten,
)
from nanoflow.runtime.session import Session
from nanoflow.runtime.values import MendixError, MxObject
from nanoflow.source import SourceFile

if TYPE_CHECKING:
    from rich.console import Console

    from nanoflow.api import Runtime

OK, FLOW_FAILED, USAGE = 0, 1, 2
STORE_WAIT = 5.0  # seconds `run` waits for a store another process has open
STORE_POLL = 0.1
PASSWORD_ENV = "NANOFLOW_PASSWORD"


def _stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def render_all(*args: Any) -> None:
    """`nanoflow.render.render_all`, imported when there is something to render (rich)."""
    from nanoflow.render import render_all

    render_all(*args)


def Text(*args: Any, **kwargs: Any) -> Any:
    """`rich.text.Text`, imported when a message is printed."""
    from rich.text import Text

    return Text(*args, **kwargs)


def _usage(message: str, json_out: bool = False) -> int:
    return _report(Usage(message), json_out)


def _report(error: Usage, json_out: bool) -> int:
    """A usage error on standard error (and as the JSON document under `--json`)."""
    if json_out:
        json_error(error.message, **error.extra)
    err = _stderr()
    err.print(Text(f"error: {error.message}", style="bold red"))
    for hint in error.hints:
        err.print(Text(f"help: {hint}"))
    return USAGE


def _diagnostics(
    diagnostics: list[Diagnostic], sources: dict[str, SourceFile], json_out: bool
) -> int:
    """Compile errors of a command that cannot go on: on standard error, and summed up as the
    JSON document under `--json`."""
    if json_out:
        count = sum(1 for d in diagnostics if d.is_error)
        json_error(
            f"the app has {count} problem{'s' if count != 1 else ''}",
            diagnostics=[str(d) for d in diagnostics],
        )
    render_all(diagnostics, sources, _stderr())
    return USAGE


def _zone(name: str | None) -> str | None:
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone `{name}`") from None
    return name


def _print_value(value: Any, app: App, json_out: bool, key: str | None) -> None:
    data = to_json(value, app.names)
    if json_out:
        document = {key: data} if key else data
        sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
    elif isinstance(data, str):
        sys.stdout.write(data + "\n")
    else:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _print_flow_error(error: FlowError, sources: dict[str, SourceFile], json_out: bool) -> None:
    if json_out:
        sys.stdout.write(json.dumps({"error": error.to_json()}, ensure_ascii=False) + "\n")
    err = _stderr()
    line = Text("error", style="bold red")
    line.append(f": {error.message}\n", style="bold")
    line.append(f"  in {error.activity or 'flow'} of {error.flow}")
    if error.file:
        line.append(f" at {error.file}:{error.line}:{error.column}")
        source = sources.get(error.file)
        if source is not None:
            line.append(f"\n  {error.line} | {source.line(error.line).strip()}")
    err.print(line)


def default_store(app_path: Path) -> Path:
    """`.nanoflow/device.sqlite` beside the app (inside it, for a directory)."""
    base = app_path if app_path.is_dir() else app_path.parent
    return base / ".nanoflow" / "device.sqlite"


def run_command(
    path: Path,
    flow: str | None,
    params: list[str],
    json_out: bool,
    store: Path | None,
    timezone: str | None,
    server: str | None,
    user: str,
    password: str | None,
    rounding: str = "half-away-from-zero",
) -> int:
    if server is not None and not _is_http_url(server):
        return _usage(
            "--server takes the URL of a `nanoflow serve`, like http://127.0.0.1:8080, "
            f"not `{shorten(server)}`",
            json_out,
        )
    if server is None and password is not None:
        return _usage(
            "--password goes with --server: without it, `run` uses the embedded server, which "
            "keeps its own password for the user",
            json_out,
        )
    if not user.strip():
        return _usage("--user cannot be empty", json_out)
    if not path.exists():
        return _usage(f"no such file or directory: {path}", json_out)
    sources, problems = read_sources(path)
    if problems:
        return _diagnostics(problems, {}, json_out)
    result = compile_sources(sources)
    by_path = {s.path: s for s in sources}
    if result.app is None:
        return _diagnostics(result.diagnostics, by_path, json_out)
    if result.diagnostics:  # warnings only: shown, and the flow runs
        render_all(result.diagnostics, by_path, _stderr())
    app = result.app
    try:
        info = find_flow(app, flow, path)
        zone = _zone(timezone)
        values = param_texts(info, params)
    except Usage as error:
        return _report(error, json_out)
    except ValueError as error:
        return _usage(str(error), json_out)
    if server is not None and password is None:
        password = _server_password(user, server)
    settings = {
        "timezone": zone,
        "user": user,
        "rounding": rounding.replace("-", "_"),
        "server": server,
        "password": password,
    }
    target = store or default_store(path)
    return _until_done(_run(app, info.qname, values, json_out, target, settings, by_path), json_out)


def _is_http_url(text: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _server_password(user: str, server: str) -> str | None:
    """The password for `--server`: `NANOFLOW_PASSWORD`, else a prompt on a terminal, else
    None (the store's cached session is used, if it has one)."""
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"password of {user} at {server}: ")
    return None


def _until_done(
    work: Coroutine[Any, Any, int], json_out: bool, *, at_once: bool = False
) -> int:
    """Run a command's coroutine; a Ctrl-C stops it (after its cleanup) with exit 130.
    `at_once`: it starts without an event loop (`nanoflow.interrupt.run_at_once`)."""
    try:
        return (run_at_once if at_once else run_interruptible)(work)
    except KeyboardInterrupt:
        return interrupted(json_out)


async def _open(make: Callable[[], Runtime]) -> Runtime:
    """Open a runtime (made by `make`: a failed open closes its runtime), waiting up to
    `NANOFLOW_STORE_WAIT` seconds (default 5) while another process has the store."""
    from nanoflow.runtime.store.errors import StoreInUse

    deadline = time.monotonic() + _store_wait()
    said = False
    while True:
        try:
            return await make().open()
        except StoreInUse as error:
            if time.monotonic() >= deadline:
                raise
            if not said:
                _stderr().print(Text(f"waiting: {error}", style="yellow"))
                said = True
            import asyncio

            await asyncio.sleep(STORE_POLL)


def _store_wait() -> float:
    text = os.environ.get("NANOFLOW_STORE_WAIT", "")
    try:
        seconds = float(text) if text else STORE_WAIT
    except ValueError:
        return STORE_WAIT
    return seconds if 0 <= seconds < 3600 else STORE_WAIT


async def _run(
    app: App,
    qname: str,
    values: dict[str, str],
    json_out: bool,
    store: Path,
    settings: dict[str, Any],
    sources: dict[str, SourceFile],
) -> int:
    from nanoflow.api import Runtime
    from nanoflow.embedded import embedded_link
    from nanoflow.server.errors import ServerError

    info = app.names.callables[qname]
    host = ConsoleHost()

    def make() -> Runtime:
        link = embedded_link(app, store) if settings["server"] is None else None
        return Runtime(app, store=store, host=host, link=link, **settings)

    try:
        runtime = await _open(make)
    except (StoreError, ServerError) as error:
        return _usage(str(error), json_out)
    try:
        arguments: dict[str, Any] = {}
        for name, text in values.items():
            try:
                arguments[name] = await parse_param(text, info.parameters[name], runtime)
            except ValueError as error:
                return _usage(f"--param {name}: {error}", json_out)
        try:
            value = await runtime.call(qname, **arguments)
        except FlowError as error:
            _print_flow_error(error, sources, json_out)
            return FLOW_FAILED
        _print_value(value, app, json_out, "result")
        return OK
    finally:
        await runtime.close()


def eval_command(
    expression: str,
    variables: list[str],
    timezone: str | None,
    json_out: bool,
    rounding: str = "half-away-from-zero",
) -> int:
    parsed: dict[str, Any] = {}
    for item in variables:
        name, sep, text = item.partition("=")
        if name.startswith("$") and name[1:].isidentifier():
            return _usage(
                f"--var names the variable without `$`: `{name[1:]}=...`, not `{name}=...`",
                json_out,
            )
        if not sep or not name.isidentifier():
            return _usage(f"--var takes NAME=JSON, not `{shorten(item)}`", json_out)
        if name in parsed:
            return _usage(f"--var {name} is given twice; give each variable once", json_out)
        try:
            parsed[name] = load_json(text)
        except json.JSONDecodeError as error:
            return _usage(f"--var {name}: not JSON: {error.msg}", json_out)
        except ValueError as error:
            return _usage(f"--var {name}: {error}", json_out)
    try:
        zone = _zone(timezone)
        _check_variables(parsed)
        prepared = prepare(expression, parsed)
    except ValueError as error:
        return _usage(str(error), json_out)
    except CompileError as error:
        source = SourceFile(EXPRESSION_FILE, expression)
        return _diagnostics(error.diagnostics, {EXPRESSION_FILE: source}, json_out)
    if prepared.warnings:
        source = SourceFile(EXPRESSION_FILE, expression)
        render_all(prepared.warnings, {EXPRESSION_FILE: source}, _stderr())
    settings = {"timezone": zone, "rounding": rounding.replace("-", "_")}
    work = _eval(prepared.app, prepared.flow, parsed, settings, json_out)
    return _until_done(work, json_out, at_once=True)  # an expression never waits: no asyncio


async def _eval(
    app: App, flow: str, variables: dict[str, Any], settings: dict[str, Any], json_out: bool
) -> int:
    async with Session(app, host=ConsoleHost(), **settings) as runtime:
        info = app.names.callables[flow]
        arguments: dict[str, Any] = {}
        for name, value in variables.items():
            try:
                arguments[name] = _variable(value, info.parameters[name], runtime)
            except (ValueError, MendixError) as error:
                message = error.message if isinstance(error, MendixError) else str(error)
                return _usage(f"--var {name}: {message}", json_out)
        try:
            value = await runtime.call(flow, **arguments)
        except FlowError as error:
            if json_out:
                sys.stdout.write(json.dumps({"error": {"message": error.message}}) + "\n")
            _stderr().print(Text(f"error: {error.message}", style="bold red"))
            return FLOW_FAILED
        _print_value(value, app, json_out, None)
    return OK


def _check_variables(variables: dict[str, Any]) -> None:
    """Reject `--var` values the expression could not use (a usage error, not a crash): bad
    dates, Decimals out of Mendix's range (and, for a variable itself, precision)."""
    from nanoflow.runtime.json_values import parse_datetime

    def values(value: Any, top: bool) -> None:
        if isinstance(value, dict) and "$date" in value:
            parse_datetime(str(value["$date"]), ZoneInfo("UTC"))
        elif isinstance(value, dict):
            for member in value.values():
                values(member, False)
        elif isinstance(value, list):
            for item in value:
                values(item, False)
        elif isinstance(value, Decimal) and not (fits_decimal if top else in_decimal_range)(value):
            raise ValueError(f"{shorten(str(value))} does not fit a Decimal ({DECIMAL_RANGE})")

    for name, value in variables.items():
        try:
            values(value, True)
        except ValueError as error:
            raise ValueError(f"--var {name}: {error}") from None


def _variable(value: Any, type_: t.Type, runtime: Session) -> Any:
    if isinstance(type_, t.ObjectType):
        return _object(value, type_.entity, runtime)
    if isinstance(type_, t.ListType):
        return [_object(item, type_.entity, runtime) for item in value]
    return json_to_value(value, type_, runtime.names, runtime.ctx.timezone)


def _object(value: Any, entity: str, runtime: Session) -> MxObject:
    info = runtime.names.entities[entity]
    members = {}
    for key, raw in value.items():
        attr = info.attributes[key]
        if isinstance(attr.type, t.ObjectType | t.ListType):
            continue
        members[key] = json_to_value(raw, attr.type, runtime.names, runtime.ctx.timezone)
    return runtime.create(entity, members)


def store_command(path: Path, store: Path | None, json_out: bool) -> int:
    """`nanoflow store`: objects per entity and pending changes of a device store."""
    if not path.exists():
        return _usage(f"no such file or directory: {path}", json_out)
    sources, problems = read_sources(path)
    if problems:
        return _diagnostics(problems, {}, json_out)
    result = compile_sources(sources)
    if result.app is None:
        return _diagnostics(result.diagnostics, {s.path: s for s in sources}, json_out)
    target = store or default_store(path)
    if not target.exists():
        return _usage(f"no store at {target} (run a flow first)", json_out)
    return _until_done(_show_store(result.app, target, json_out), json_out)


async def _show_store(app: App, path: Path, json_out: bool) -> int:
    from rich.console import Console
    from rich.table import Table

    from nanoflow.runtime.storage import Store
    from nanoflow.runtime.store import DeviceStore

    try:
        device: Store = await DeviceStore.open(path, app, read_only=True)
    except StoreError as error:
        return _usage(str(error), json_out)
    from nanoflow.runtime.sync.engine import stored_failures
    from nanoflow.runtime.sync.login import CachedSession

    try:
        summary = await device.summary()
        pending = await device.pending_changes()
        session = CachedSession.from_meta(await device.get_meta("session"))
        last_sync = await device.get_meta("last_sync")
        recorded = await stored_failures(device)  # type: ignore[arg-type]
    finally:
        await device.close()
    from nanoflow.cli_failures import list_failures

    listed = await list_failures(app, path, session, recorded)
    keys = ("id", "entity", "kind", "reason", "at")
    failures = [{k: f.get(k) for k in keys} for f in listed.failures]
    if listed.why_not_server is not None:
        note = (
            f"the sync server could not list the user's failures ({listed.why_not_server}): "
            "showing the refused changes this device's uploads reported"
        )
        if json_out:
            sys.stderr.write(f"note: {note}\n")
    bound = None
    if session is not None:
        bound = {
            "user": session.user_name,
            "user_id": session.user_id,
            "server": session.server,
            "server_id": session.server_id,
            "device_id": session.device_id,
        }
    if json_out:
        document = {
            "session": bound,
            "last_sync": last_sync,
            "failures": failures,
            "entities": summary,
            "pending": [
                {
                    "$id": p["$id"],
                    "$entity": p["$entity"],
                    "state": p["state"],
                    "changed": sorted(p["changed"]),
                }
                for p in pending
            ],
        }
        sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
        return OK
    table = Table(title=f"Device store {path}")
    for column in ("entity", "objects", "new", "changed", "pending deletes"):
        table.add_column(column, justify="left" if column == "entity" else "right")
    for entity, counts in sorted(summary.items()):
        table.add_row(entity, *(str(counts[k]) for k in ("objects", "new", "changed", "deleted")))
    out = Console(highlight=False)
    out.print(table)
    if bound is not None:
        out.print(
            f"user {bound['user']} on server {bound['server']} (id {bound['server_id']})",
            markup=False,
        )
    out.print(_last_sync_line(last_sync), markup=False)
    if listed.why_not_server is not None:
        out.print(f"note: {note}", markup=False)
    if failures:
        where = "listed by the server" if listed.source == "server" else "as this device recorded"
        out.print(
            f"{len(failures)} change(s) refused by the server (kept there as "
            f"System.SynchronizationFailure), {where}:",
            markup=False,
        )
        for failure in failures:
            out.print(
                f"  {failure.get('entity')} {failure.get('id')} ({failure.get('kind')}): "
                f"{failure.get('reason')}",
                markup=False,
            )
    return OK


def _last_sync_line(stamp: Any) -> str:
    """`last sync: <when> (<mode>, <seconds>), <counts>` or that there was none."""
    if not isinstance(stamp, dict):
        return "last sync: never"
    from datetime import UTC, datetime

    from nanoflow.cli_progress import size

    when = datetime.fromtimestamp(float(stamp.get("at", 0)), UTC).strftime("%Y-%m-%d %H:%M:%S")
    return (
        f"last sync: {when} UTC ({stamp.get('mode')}, {stamp.get('seconds')} s): "
        f"{stamp.get('uploaded', 0)} uploaded, {stamp.get('failed', 0)} refused, "
        f"{stamp.get('downloaded', 0)} downloaded, {stamp.get('removed', 0)} removed, "
        f"{size(int(stamp.get('bytes', 0)))}"
    )
