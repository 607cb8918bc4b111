"""Signatures of the Mendix expression functions (the library itself lives in the runtime).

Parameter kinds: `S` String, `I` Integer/Long, `N` any number, `D` Decimal, `B` Boolean,
`T` DateTime, `E` enumeration value, `P` any primitive or enumeration, `O` object.
A trailing `?` marks an optional parameter, `*` a repeated one (at least once).
The list functions (section 8.2 of LANGUAGE.md) take attribute names and expressions with
`$currentObject`: their entries are in `nanoflow.list_functions` (`LIST_FUNCTIONS`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nanoflow import types as t
from nanoflow.list_functions import LIST_FUNCTIONS, ListFunction

ResultRule = t.Type | Callable[[list[t.Type]], t.Type]


@dataclass(frozen=True, slots=True)
class Signature:
    params: tuple[str, ...]
    result: ResultRule

    @property
    def min_args(self) -> int:
        return sum(1 for p in self.params if not p.endswith("?"))

    @property
    def variadic(self) -> bool:
        return bool(self.params) and self.params[-1].endswith("*")


def _widest(args: list[t.Type]) -> t.Type:
    known = [a for a in args if isinstance(a, t.Prim)]
    if any(a.name == "DateTime" for a in known):
        return t.DATETIME
    if any(a.name == "Decimal" for a in known):
        return t.DECIMAL
    if any(a.name == "Long" for a in known):
        return t.LONG
    return t.INTEGER if known else t.ERROR


def _round(args: list[t.Type]) -> t.Type:
    return t.LONG if len(args) == 1 else t.DECIMAL


def _same(args: list[t.Type]) -> t.Type:
    return args[0] if args and isinstance(args[0], t.Prim) else t.ERROR


S, I_, N, D_, B_, T_ = t.STRING, t.LONG, t.DECIMAL, t.DECIMAL, t.BOOLEAN, t.DATETIME

FUNCTIONS: dict[str, Signature] = {
    # math
    "max": Signature(("N|T", "N|T*"), _widest),
    "min": Signature(("N|T", "N|T*"), _widest),
    "round": Signature(("N", "I?"), _round),
    "random": Signature((), t.DECIMAL),
    "floor": Signature(("N",), t.LONG),
    "ceil": Signature(("N",), t.LONG),
    "pow": Signature(("N", "N"), t.DECIMAL),
    "abs": Signature(("N",), _same),
    "sqrt": Signature(("N",), t.DECIMAL),
    # strings
    "toUpperCase": Signature(("S",), S),
    "toLowerCase": Signature(("S",), S),
    "substring": Signature(("S", "I", "I?"), S),
    "findLast": Signature(("S", "S", "I?"), t.INTEGER),
    "startsWith": Signature(("S", "S"), B_),
    "endsWith": Signature(("S", "S"), B_),
    "trim": Signature(("S",), S),
    "isMatch": Signature(("S", "S"), B_),
    "replaceAll": Signature(("S", "S", "S"), S),
    "replaceFirst": Signature(("S", "S", "S"), S),
    "urlEncode": Signature(("S",), S),
    "urlDecode": Signature(("S",), S),
    # special checks
    "isNew": Signature(("O",), B_),
    "isSynced": Signature(("O",), B_),
    "isSyncing": Signature((), B_),
    # date creation
    "dateTime": Signature(("I", "I?", "I?", "I?", "I?", "I?"), T_),
    "dateTimeUTC": Signature(("I", "I?", "I?", "I?", "I?", "I?"), T_),
    # conversion, parse, format
    "toString": Signature(("P",), S),
    "parseInteger": Signature(("S", "I?"), t.LONG),
    "parseDecimal": Signature(("S", "N?"), t.DECIMAL),
    "formatDecimal": Signature(("N", "S?", "S?"), S),
    "parseDateTime": Signature(("S", "S", "T?"), T_),
    "parseDateTimeUTC": Signature(("S", "S", "T?"), T_),
    "formatDateTime": Signature(("T", "S?"), S),
    "formatDateTimeUTC": Signature(("T", "S?"), S),
    "formatTime": Signature(("T",), S),
    "formatTimeUTC": Signature(("T",), S),
    "formatDate": Signature(("T",), S),
    "formatDateUTC": Signature(("T",), S),
    "dateTimeToEpoch": Signature(("T",), t.LONG),
    "epochToDateTime": Signature(("I",), T_),
    # enumerations
    "getCaption": Signature(("E",), S),
    "getKey": Signature(("E",), S),
}

for _unit in ("Day", "Week", "Month", "Year"):
    FUNCTIONS[f"beginOf{_unit}"] = Signature(("T",), T_)
    FUNCTIONS[f"endOf{_unit}"] = Signature(("T",), T_)
for _unit in ("Milliseconds", "Seconds", "Minutes", "Hours", "Days", "Weeks"):
    FUNCTIONS[f"{_unit[0].lower()}{_unit[1:]}Between"] = Signature(("T", "T"), t.DECIMAL)
FUNCTIONS["calendarMonthsBetween"] = Signature(("T", "T"), t.LONG)
FUNCTIONS["calendarYearsBetween"] = Signature(("T", "T"), t.LONG)
for _unit in ("Milliseconds", "Seconds", "Minutes", "Hours"):
    FUNCTIONS[f"add{_unit}"] = Signature(("T", "I"), T_)
    FUNCTIONS[f"subtract{_unit}"] = Signature(("T", "I"), T_)
for _unit in ("Days", "Weeks", "Months", "Quarters", "Years"):
    for _suffix in ("", "UTC"):
        FUNCTIONS[f"add{_unit}{_suffix}"] = Signature(("T", "I"), T_)
        FUNCTIONS[f"subtract{_unit}{_suffix}"] = Signature(("T", "I"), T_)
FUNCTIONS["trimToSeconds"] = Signature(("T",), T_)
FUNCTIONS["trimToMinutes"] = Signature(("T",), T_)
for _unit in ("Hours", "Days", "Months", "Years"):
    FUNCTIONS[f"trimTo{_unit}"] = Signature(("T",), T_)
    FUNCTIONS[f"trimTo{_unit}UTC"] = Signature(("T",), T_)

# Mendix 7's Float and Currency functions, deprecated since Decimal replaced those types: they
# are accepted as Decimal functions, with a warning (NF701) naming the replacement.
DEPRECATED: dict[str, str] = {
    "toFloat": "the value itself: numbers are Decimals since Mendix 8",
    "parseFloat": "`parseDecimal`",
    "formatFloat": "`formatDecimal`",
    "floatsEqual": "`abs(a - b) < pow(10, -precision)`",
    "currenciesEqual": "`abs(a - b) < pow(10, -precision)`",
}
FUNCTIONS["toFloat"] = Signature(("N",), t.DECIMAL)
FUNCTIONS["parseFloat"] = FUNCTIONS["parseDecimal"]
FUNCTIONS["formatFloat"] = FUNCTIONS["formatDecimal"]
FUNCTIONS["floatsEqual"] = Signature(("N", "N", "I"), B_)
FUNCTIONS["currenciesEqual"] = FUNCTIONS["floatsEqual"]

# String functions that share a name with a list function (told apart by the first argument).
STRING_OVERLOADS: dict[str, Signature] = {
    "find": Signature(("S", "S", "I?"), t.INTEGER),
    "contains": Signature(("S", "S"), B_),
    "length": Signature(("S",), t.INTEGER),
}


def list_function_of(name: str, first: t.Type | None) -> ListFunction | None:
    """The list function a call of `name` means, given its first argument's type (None when
    there is none). `find`, `contains` and `length` are String functions too: they are the list
    function only when the first argument is a list."""
    found = LIST_FUNCTIONS.get(name)
    if found is None or (name in STRING_OVERLOADS and not isinstance(first, t.ListType)):
        return None
    return found


KIND_WORDS = {
    "S": "a String",
    "I": "an Integer or Long",
    "N": "a number",
    "D": "a Decimal",
    "B": "a Boolean",
    "T": "a DateTime",
    "E": "an enumeration value",
    "P": "a primitive value",
    "O": "an object",
}


def kind_accepts(kind: str, arg: t.Type) -> bool:
    """Whether an argument of type `arg` fits a parameter kind like `S` or `N|T`."""
    if t.is_lenient(arg):
        return True
    for k in kind.rstrip("?*").split("|"):
        if k == "S" and t.is_string(arg):
            return True
        if k == "I" and t.is_integral(arg):
            return True
        if k in ("N", "D") and t.is_numeric(arg):
            return True
        if k == "B" and arg == t.BOOLEAN:
            return True
        if k == "T" and arg == t.DATETIME:
            return True
        if k == "E" and isinstance(arg, t.EnumType):
            return True
        if k == "P" and t.is_primitive(arg):
            return True
        if k == "O" and isinstance(arg, t.ObjectType):
            return True
    return False


def kind_words(kind: str) -> str:
    return " or ".join(KIND_WORDS[k] for k in kind.rstrip("?*").split("|"))


def all_function_names() -> list[str]:
    """The functions a did-you-mean may suggest (not the deprecated ones)."""
    return sorted(
        (set(FUNCTIONS) - set(DEPRECATED)) | set(STRING_OVERLOADS) | set(LIST_FUNCTIONS)
    )
