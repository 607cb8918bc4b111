"""What `nanoflow run` and `nanoflow eval` do (the CLI module only declares the options)."""

from __future__ import annotations

import asyncio
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nanoflow import types as t
from nanoflow.cli_host import ConsoleHost
from nanoflow.compiler import App, compile_sources, read_sources
from nanoflow.diagnostics import CompileError
from nanoflow.evaluate import EXPRESSION_FILE, prepare
from nanoflow.runtime.errors import FlowError, StoreError
from nanoflow.runtime.json_values import json_to_value, load_json, parse_param, to_json
from nanoflow.runtime.session import Session as Runtime
from nanoflow.runtime.values import MxObject
from nanoflow.source import SourceFile

if TYPE_CHECKING:
    from rich.console import Console

OK, FLOW_FAILED, USAGE = 0, 1, 2


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


def _usage(message: str) -> int:
    _stderr().print(Text(f"error: {message}", style="bold red"))
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
    flow: str,
    params: list[str],
    json_out: bool,
    store: Path | None,
    timezone: str | None,
    server: str | None,
    user: str,
    password: str | None,
    rounding: str = "half-away-from-zero",
) -> int:
    if server is not None:
        return _usage("--server needs the sync server, which this version does not have yet")
    if not path.exists():
        return _usage(f"no such file or directory: {path}")
    sources, problems = read_sources(path)
    if problems:
        render_all(problems, {}, _stderr())
        return USAGE
    result = compile_sources(sources)
    by_path = {s.path: s for s in sources}
    if result.app is None:
        render_all(result.diagnostics, by_path, _stderr())
        return USAGE
    app = result.app
    info = app.find_flow(flow)
    if info is None:
        candidates = [q for q in app.flows() if q.split(".", 1)[1] == flow]
        if candidates:
            return _usage(f"`{flow}` is ambiguous: {', '.join(sorted(candidates))}")
        return _usage(f"no nanoflow `{flow}` in {path}")
    if info.kind != "nanoflow":
        return _usage(f"`{info.qname}` is a microflow: microflows run on the sync server")
    try:
        zone = _zone(timezone)
    except ValueError as error:
        return _usage(str(error))
    values: dict[str, str] = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep:
            return _usage(f"--param takes NAME=VALUE, not `{item}`")
        if name not in info.parameters:
            known = ", ".join(info.parameters) or "none"
            return _usage(f"`{info.qname}` has no parameter `{name}` (parameters: {known})")
        values[name] = value
    settings = {"timezone": zone, "user": user, "rounding": rounding.replace("-", "_")}
    return asyncio.run(
        _run(app, info.qname, values, json_out, store or default_store(path), settings, by_path)
    )


async def _run(
    app: App,
    qname: str,
    values: dict[str, str],
    json_out: bool,
    store: Path,
    settings: dict[str, Any],
    sources: dict[str, SourceFile],
) -> int:
    info = app.names.callables[qname]
    try:
        runtime = Runtime(app, store=store, host=ConsoleHost(), **settings)
        await runtime.open()
    except StoreError as error:
        return _usage(str(error))
    try:
        arguments: dict[str, Any] = {}
        for name, text in values.items():
            try:
                arguments[name] = await parse_param(text, info.parameters[name], runtime)
            except ValueError as error:
                return _usage(f"--param {name}: {error}")
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
        if not sep or not name.isidentifier():
            return _usage(f"--var takes NAME=JSON, not `{item}`")
        try:
            parsed[name] = load_json(text)
        except json.JSONDecodeError as error:
            return _usage(f"--var {name}: not JSON: {error.msg}")
    try:
        zone = _zone(timezone)
        prepared = prepare(expression, parsed)
        _check_variables(prepared.app, prepared.flow, parsed)
    except ValueError as error:
        return _usage(str(error))
    except CompileError as error:
        source = SourceFile(EXPRESSION_FILE, expression)
        render_all(error.diagnostics, {EXPRESSION_FILE: source}, _stderr())
        return USAGE
    settings = {"timezone": zone, "rounding": rounding.replace("-", "_")}
    return asyncio.run(_eval(prepared.app, prepared.flow, parsed, settings, json_out))


async def _eval(
    app: App, flow: str, variables: dict[str, Any], settings: dict[str, Any], json_out: bool
) -> int:
    async with Runtime(app, host=ConsoleHost(), **settings) as runtime:
        info = app.names.callables[flow]
        arguments = {
            name: _variable(value, info.parameters[name], runtime)
            for name, value in variables.items()
        }
        try:
            value = await runtime.call(flow, **arguments)
        except FlowError as error:
            if json_out:
                sys.stdout.write(json.dumps({"error": {"message": error.message}}) + "\n")
            _stderr().print(Text(f"error: {error.message}", style="bold red"))
            return FLOW_FAILED
        _print_value(value, app, json_out, None)
    return OK


def _check_variables(app: App, flow: str, variables: dict[str, Any]) -> None:
    """Reject `--var` values the expression could not use (a usage error, not a crash)."""
    from nanoflow.runtime.json_values import parse_datetime

    def dates(value: Any, name: str) -> None:
        if isinstance(value, dict) and "$date" in value:
            parse_datetime(str(value["$date"]), ZoneInfo("UTC"))
        elif isinstance(value, dict):
            for key, member in value.items():
                dates(member, f"{name}.{key}")
        elif isinstance(value, list):
            for item in value:
                dates(item, name)

    for name, value in variables.items():
        try:
            dates(value, name)
        except ValueError as error:
            raise ValueError(f"--var {name}: {error}") from None
    del app, flow


def _variable(value: Any, type_: t.Type, runtime: Runtime) -> Any:
    if isinstance(type_, t.ObjectType):
        return _object(value, type_.entity, runtime)
    if isinstance(type_, t.ListType):
        return [_object(item, type_.entity, runtime) for item in value]
    if isinstance(value, float):
        value = Decimal(repr(value))
    return json_to_value(value, type_, runtime.names, runtime.ctx.timezone)


def _object(value: Any, entity: str, runtime: Runtime) -> MxObject:
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
        return _usage(f"no such file or directory: {path}")
    sources, problems = read_sources(path)
    if problems:
        render_all(problems, {}, _stderr())
        return USAGE
    result = compile_sources(sources)
    if result.app is None:
        render_all(result.diagnostics, {s.path: s for s in sources}, _stderr())
        return USAGE
    target = store or default_store(path)
    if not target.exists():
        return _usage(f"no store at {target} (run a flow first)")
    return asyncio.run(_show_store(result.app, target, json_out))


async def _show_store(app: App, path: Path, json_out: bool) -> int:
    from rich.console import Console
    from rich.table import Table

    from nanoflow.runtime.storage import Store
    from nanoflow.runtime.store import DeviceStore

    try:
        device: Store = await DeviceStore.open(path, app)
    except StoreError as error:
        return _usage(str(error))
    try:
        summary = await device.summary()
        pending = await device.pending_changes()
    finally:
        await device.close()
    if json_out:
        document = {
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
    Console(highlight=False).print(table)
    return OK
