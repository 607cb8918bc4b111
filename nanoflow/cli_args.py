"""Reading `nanoflow run`'s FLOW and `--param` arguments: which flow, which parameters, and what
to say when they are wrong (did-you-mean, the list of flows, the parameters with their types)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nanoflow import types as t
from nanoflow.compiler import App
from nanoflow.names import CallableInfo, suggest

SHOWN_FLOWS = 30


class Usage(Exception):
    """A usage error: the message, `help:` lines, and extra members for the JSON error."""

    def __init__(self, message: str, *hints: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hints = [h for h in hints if h]
        self.extra = extra


def signature(info: CallableInfo) -> str:
    """`Shop.Share($total: Decimal, $parts: Integer) returns Decimal`."""
    params = ", ".join(f"${name}: {kind}" for name, kind in info.parameters.items())
    returns = info.returns
    result = f" returns {returns}" if returns is not None and returns != t.NOTHING else ""
    return f"{info.qname}({params}){result}"


def nanoflows(app: App) -> list[CallableInfo]:
    """The app's own nanoflows (not those of the built-in modules), by name."""
    return sorted(
        (info for info in app.flows().values() if info.kind == "nanoflow" and _own(app, info)),
        key=lambda info: info.qname,
    )


def _own(app: App, info: CallableInfo) -> bool:
    return info.module in app.modules


def _listing(app: App) -> list[str]:
    found = [signature(info) for info in nanoflows(app)]
    if len(found) > SHOWN_FLOWS:
        found = [*found[:SHOWN_FLOWS], f"... and {len(found) - SHOWN_FLOWS} more"]
    return found


def find_flow(app: App, flow: str | None, path: Path) -> CallableInfo:
    """The nanoflow FLOW names; `Usage` listing the nanoflows when FLOW is missing or unknown."""
    if flow is None:
        listing = _listing(app)
        if not listing:
            raise Usage(f"{path} has no nanoflows to run")
        raise Usage(
            f"name the nanoflow to run: nanoflow run {path} FLOW",
            "the nanoflows of the app:\n  " + "\n  ".join(listing),
            flows=[info.qname for info in nanoflows(app)],
        )
    info = app.find_flow(flow)
    if info is None:
        candidates = [q for q in app.flows() if q.split(".", 1)[1] == flow]
        if candidates:
            raise Usage(f"`{flow}` is ambiguous: {', '.join(sorted(candidates))}")
        names = [i.qname for i in nanoflows(app)]
        short = [q.split(".", 1)[1] for q in names]
        hint = suggest(flow, [*names, *short] if "." in flow else [*short, *names])
        shown = "" if hint or not names else "the nanoflows of the app:\n  " + "\n  ".join(
            _listing(app)
        )
        raise Usage(f"no nanoflow `{flow}` in {path}", hint, shown)
    if info.kind != "nanoflow":
        raise Usage(f"`{info.qname}` is a microflow: microflows run on the sync server")
    return info


def param_texts(info: CallableInfo, params: list[str]) -> dict[str, str]:
    """`--param NAME=VALUE` arguments by parameter name: each known, given once, none missing
    (`NAME=` gives `empty` explicitly)."""
    values: dict[str, str] = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep:
            raise Usage(f"--param takes NAME=VALUE, not `{item}`")
        if name.startswith("$") and name[1:] in info.parameters:
            raise Usage(
                f"--param names the parameter without `$`: `{name[1:]}=...`, not `{name}=...`"
            )
        if name not in info.parameters:
            known = ", ".join(info.parameters) or "none"
            raise Usage(
                f"`{info.qname}` has no parameter `{name}` (parameters: {known})",
                suggest(name, info.parameters),
            )
        if name in values:
            raise Usage(f"--param {name} is given twice; give each parameter once")
        values[name] = value
    missing = [name for name in info.parameters if name not in values]
    if missing:
        each = ", ".join(f"`{name}`" for name in missing)
        raise Usage(
            f"`{info.qname}` needs --param for {each}",
            f"its parameters: {signature(info)}",
            "give each as --param NAME=VALUE; `NAME=` gives an empty value",
            missing=missing,
        )
    return values
