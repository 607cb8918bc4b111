"""Named fault-injection points, for the fault tests (tests/faults/).

A point is a name in the code (`fault("server.upload.after_commit")`) where a test can make
the process die, raise or stall. Points are activated only by the environment variable
`NANOFLOW_FAULTS`, read once at import:

    NANOFLOW_FAULTS="server.upload.after_commit=kill;device.files.upload=raise*2"

Each entry is `point=action[@nth][*times]`:

- `kill`: the process SIGKILLs itself (no cleanup, nothing flushed: a power cut);
- `raise`: `FaultInjected` is raised at the point;
- `sleep:S`: the process stalls S seconds (a blocking sleep: a hung server or device);
- `@nth`: the first pass that acts (1-based; default 1): `@3` lets two passes go by;
- `*times`: how many passes act from then on (default: every one).

When the variable is unset, `ACTIVE` is False and call sites skip the call altogether
(`if faults.ACTIVE: faults.fault(...)`): a point costs one attribute test, and none is placed
inside a per-row loop. The points are listed in docs/sync.md (Fault injection).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass

VARIABLE = "NANOFLOW_FAULTS"
ACTIONS = ("kill", "raise", "sleep")


class FaultInjected(RuntimeError):
    """The failure a `raise` fault point injects."""


@dataclass(slots=True)
class FaultRule:
    """What one point does: `action` (with `seconds` for `sleep`) from its `nth` pass on,
    `times` times (None: always)."""

    action: str
    seconds: float = 0.0
    nth: int = 1
    times: int | None = None
    passes: int = 0


def parse(text: str) -> dict[str, FaultRule]:
    """The rules of a `NANOFLOW_FAULTS` value (ValueError naming the bad entry)."""
    rules: dict[str, FaultRule] = {}
    for entry in (e.strip() for e in text.replace(",", ";").split(";")):
        if not entry:
            continue
        point, sep, spec = entry.partition("=")
        if not sep or not point.strip():
            raise ValueError(f"{VARIABLE}: `{entry}` is not point=action")
        try:
            rules[point.strip()] = _rule(spec.strip())
        except ValueError as error:
            raise ValueError(f"{VARIABLE}: `{entry}`: {error}") from None
    return rules


def _rule(spec: str) -> FaultRule:
    times: int | None = None
    nth = 1
    if "*" in spec:
        spec, _, count = spec.partition("*")
        times = int(count)
    if "@" in spec:
        spec, _, first = spec.partition("@")
        nth = int(first)
    action, _, argument = spec.partition(":")
    if action not in ACTIONS:
        raise ValueError(f"unknown action `{action}` (one of {', '.join(ACTIONS)})")
    seconds = float(argument) if action == "sleep" else 0.0
    if nth < 1 or (times is not None and times < 1):
        raise ValueError("@nth and *times count from 1")
    return FaultRule(action, seconds, nth, times)


RULES: dict[str, FaultRule] = parse(os.environ.get(VARIABLE, ""))
ACTIVE: bool = bool(RULES)


def configure(text: str) -> None:
    """Replace the rules (for in-process tests; processes use the environment variable)."""
    global RULES, ACTIVE
    RULES = parse(text)
    ACTIVE = bool(RULES)


def fault(point: str) -> None:
    """Act at `point` if a rule names it (call only when `ACTIVE`)."""
    rule = RULES.get(point)
    if rule is None:
        return
    rule.passes += 1
    first = rule.nth
    if rule.passes < first or (rule.times is not None and rule.passes >= first + rule.times):
        return
    if rule.action == "kill":
        sys.stderr.write(f"fault point {point}: kill\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    elif rule.action == "raise":
        raise FaultInjected(f"fault injected at {point}")
    else:
        time.sleep(rule.seconds)
