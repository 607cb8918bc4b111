"""Plain coercion of the command line's values, without pydantic.

Typer 0.29 converts every parameter through a pydantic `TypeAdapter`, which costs an import of
pydantic (about 0.1 s) and an adapter build per parameter at every command, more than the rest
of `nanoflow check`. Our parameters are strings, paths, flags and choices (and lists of them):
`plain_coercion` gives those the conversions Typer's adapters apply (with Typer's own path and
choice checks and messages) and leaves any other parameter to Typer. With a Typer that has no
such hook it does nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, NoReturn, get_args, get_origin

try:
    from typer._coercion import RuntimeParam
    from typer._param_types import coerce_cli_choice, coerce_cli_path
except ImportError:  # pragma: no cover - a Typer without pydantic coercion needs nothing
    RuntimeParam = None  # type: ignore[assignment,misc]

Convert = Callable[[Any, Any, Any], Any]


def _text(value: Any, param: Any, ctx: Any) -> str:
    """What Typer's string adapter does: bytes decoded as the command line is, else `str`."""
    if isinstance(value, bytes):
        from typer._click._compat import _get_argv_encoding

        for encoding in (_get_argv_encoding(), sys.getfilesystemencoding()):
            try:
                return value.decode(encoding)
            except UnicodeError:
                pass
        return value.decode("utf-8", "replace")
    return str(value)


_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


def _refuse(message: str, param: Any, ctx: Any) -> NoReturn:
    """Typer's usage error for a value its adapter refused, worded as pydantic words it."""
    from typer._click.exceptions import BadParameter
    from typer._display import _escape_control_characters  # type: ignore[attr-defined]

    raise BadParameter(_escape_control_characters(message), ctx=ctx, param=param)


def _flag(value: Any, param: Any, ctx: Any) -> bool:
    """What Typer's bool adapter (pydantic's lax bool) accepts; flags arrive as bools."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        value = value.strip().lower() or "false"
    if value in (0, 1):
        return bool(value)
    if value in _TRUE or value in _FALSE:
        return value in _TRUE
    _refuse("Input should be a valid boolean, unable to interpret input", param, ctx)


def _leaf(annotation: Any, info: Any) -> Convert | None:
    """The conversion of one value of `annotation`, or None to leave it to Typer."""
    if info.parser is not None:
        return None
    if annotation is str:
        return _text
    if annotation is bool:
        return _flag
    if isinstance(annotation, type) and issubclass(annotation, Path):
        path_type = info.path_type or annotation

        def path(value: Any, param: Any, ctx: Any) -> Any:
            if not isinstance(value, path_type):
                value = path_type(_text(value, param, ctx))
            return coerce_cli_path(value, info, path_type=path_type, param=param, ctx=ctx)

        return path
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        choices = list(annotation)

        def choice(value: Any, param: Any, ctx: Any) -> Any:
            try:
                return coerce_cli_choice(
                    value, choices=choices, case_sensitive=info.case_sensitive, ctx=ctx
                )
            except ValueError as error:
                _refuse(f"Value error, {error}", param, ctx)

        return choice
    return None


def _converter(annotation: Any, info: Any) -> Convert | None:
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        leaf = _leaf(item, info)
        if leaf is None:
            return None

        def each(value: Any, param: Any, ctx: Any) -> list[Any]:
            values = value if isinstance(value, list | tuple) else [value]
            return [leaf(v, param, ctx) for v in values]

        return each
    return _leaf(annotation, info)


if RuntimeParam is not None:

    @dataclass(frozen=True)
    class PlainRuntimeParam(RuntimeParam):
        """Typer's coercion contract (None and multiple values) with a plain conversion."""

        convert: Convert

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            return self.convert(value, param, ctx)


def _commands(command: Any) -> Iterator[Any]:
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from _commands(sub)


def _plain(param: Any) -> None:
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or getattr(param, "_runtime_param", True) is not None:
        return
    if descriptor.file_annotation is not None:
        return
    convert = _converter(descriptor.annotation, descriptor.parameter_info)
    if convert is not None:
        param._runtime_param = PlainRuntimeParam(
            parameter_info=descriptor.parameter_info,
            annotation=descriptor.annotation,
            convert=convert,
        )


def _plain_help_option(command: Any) -> None:
    """The help option is made on first use, per command: convert it too when it is made."""
    made = command.get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = made(ctx)
        if option is not None:
            _plain(option)
        return option

    command.get_help_option = get_help_option


def plain_coercion(command: Any) -> Any:
    """Give `command`'s (and its subcommands') string, path, flag and choice parameters a
    plain conversion instead of a pydantic adapter; returns `command`."""
    if RuntimeParam is None:  # pragma: no cover
        return command
    for each in _commands(command):
        for param in each.params:
            _plain(param)
        _plain_help_option(each)
    return command
