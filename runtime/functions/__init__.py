"""The Mendix expression function library as plain Python functions.

Every function is called as `fn(ctx, *args)` with an `EvalContext` and runtime values (see
`nanoflow.runtime.values`); failures raise `MendixError` naming the function. `FUNCTIONS` holds
the functions of `nanoflow.functions.FUNCTIONS` and the String versions of `find`, `contains`
and `length`; `LIST_FUNCTIONS` the list functions of LANGUAGE.md 8.2 (attribute arguments as
member names, expression arguments as callables), each the `lists` function that its entry in
`nanoflow.list_functions` names. `token_value` gives the `[%...%]` tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nanoflow.list_functions import LIST_FUNCTIONS as LIST_FUNCTION_ENTRIES
from nanoflow.runtime.functions import (
    convert,
    dates,
    deprecated,
    lists,
    math,
    objects,
    strings,
)
from nanoflow.runtime.functions.context import EvalContext, Rounding
from nanoflow.runtime.functions.convert import to_string
from nanoflow.runtime.functions.tokens import token_names, token_value

FUNCTIONS: dict[str, Callable[..., Any]] = {
    **math.REGISTRY,
    **strings.REGISTRY,
    **objects.REGISTRY,
    **dates.REGISTRY,
    **convert.REGISTRY,
    **deprecated.REGISTRY,
}
LIST_FUNCTIONS: dict[str, Callable[..., Any]] = {
    name: getattr(lists, entry.implementation) for name, entry in LIST_FUNCTION_ENTRIES.items()
}

__all__ = [
    "FUNCTIONS",
    "LIST_FUNCTIONS",
    "EvalContext",
    "Rounding",
    "to_string",
    "token_names",
    "token_value",
]
