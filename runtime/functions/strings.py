"""String functions, with nanoflow behaviour: an empty String reads as `''`.

Positions count Python characters (code points); Mendix counts UTF-16 units, which differs only
for characters outside the Basic Multilingual Plane. Regular expressions use Python's `re`, with
Java's `\\Q...\\E` literal quoting translated; replacements are literal text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from nanoflow.runtime.functions._common import MISSING, Missing, fail, integer, string_arg
from nanoflow.runtime.functions.context import EvalContext

# JavaScript's String.prototype.trim removes these (WhiteSpace and LineTerminator).
_JS_WHITESPACE = (
    " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_URL_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-*_")


def to_upper_case(ctx: EvalContext, s: Any) -> str:
    """The string in upper case."""
    return string_arg("toUpperCase", "the string", s).upper()


def to_lower_case(ctx: EvalContext, s: Any) -> str:
    """The string in lower case."""
    return string_arg("toLowerCase", "the string", s).lower()


def length(ctx: EvalContext, s: Any) -> int:
    """The number of characters; empty gives 0."""
    return len(string_arg("length", "the string", s))


def substring(ctx: EvalContext, s: Any, start: Any, count: Any = MISSING) -> str:
    """`count` characters from 0-based `start` (to the end without `count`)."""
    value = string_arg("substring", "the string", s)
    begin = integer("substring", "the start position", start)
    if begin < 0:
        fail("substring", f"start {begin} is negative")
    if begin > len(value):
        fail(
            "substring",
            f"start {begin} is past the end of {value!r} (length {len(value)})",
        )
    if isinstance(count, Missing):
        return value[begin:]
    n = integer("substring", "the length", count)
    if n < 0:
        fail("substring", f"length {n} is negative")
    if begin + n > len(value):
        fail(
            "substring",
            f"start {begin} plus length {n} is past the end of {value!r} (length {len(value)})",
        )
    return value[begin : begin + n]


def find(ctx: EvalContext, s: Any, sub: Any, start: Any = MISSING) -> int:
    """The first index of `sub` at or after `start` (default 0), or -1."""
    value = string_arg("find", "the string", s)
    part = string_arg("find", "the substring", sub)
    begin = 0 if isinstance(start, Missing) else integer("find", "the start position", start)
    begin = min(max(begin, 0), len(value))
    return value.find(part, begin)


def find_last(ctx: EvalContext, s: Any, sub: Any, last: Any = MISSING) -> int:
    """The last index of `sub` that is at most `last` (default: the end), or -1."""
    value = string_arg("findLast", "the string", s)
    part = string_arg("findLast", "the substring", sub)
    if isinstance(last, Missing):
        return value.rfind(part)
    limit = min(max(integer("findLast", "the last position", last), 0), len(value))
    return value.rfind(part, 0, limit + len(part))


def contains(ctx: EvalContext, s: Any, sub: Any) -> bool:
    """Whether `sub` occurs in `s` (case-sensitive; `''` always does)."""
    return string_arg("contains", "the substring", sub) in string_arg("contains", "the string", s)


def starts_with(ctx: EvalContext, s: Any, prefix: Any) -> bool:
    """Whether `s` starts with `prefix`."""
    value = string_arg("startsWith", "the string", s)
    return value.startswith(string_arg("startsWith", "the prefix", prefix))


def ends_with(ctx: EvalContext, s: Any, suffix: Any) -> bool:
    """Whether `s` ends with `suffix`."""
    value = string_arg("endsWith", "the string", s)
    return value.endswith(string_arg("endsWith", "the suffix", suffix))


def trim(ctx: EvalContext, s: Any) -> str:
    """The string without leading and trailing white space; empty gives `''`."""
    return string_arg("trim", "the string", s).strip(_JS_WHITESPACE)


def is_match(ctx: EvalContext, s: Any, regex: Any) -> bool:
    """Whether the regular expression matches the whole string."""
    pattern = _compile("isMatch", string_arg("isMatch", "the regular expression", regex))
    return pattern.fullmatch(string_arg("isMatch", "the string", s)) is not None


def replace_all(ctx: EvalContext, s: Any, regex: Any, replacement: Any) -> str:
    """Every match of the regular expression replaced by the literal `replacement`."""
    return _replace("replaceAll", s, regex, replacement, 0)


def replace_first(ctx: EvalContext, s: Any, regex: Any, replacement: Any) -> str:
    """The first match of the regular expression replaced by the literal `replacement`."""
    return _replace("replaceFirst", s, regex, replacement, 1)


def _replace(fn: str, s: Any, regex: Any, replacement: Any, count: int) -> str:
    pattern = _compile(fn, string_arg(fn, "the regular expression", regex))
    literal = string_arg(fn, "the replacement", replacement)
    return pattern.sub(lambda _: literal, string_arg(fn, "the string", s), count=count)


@lru_cache(maxsize=512)
def _compiled(source: str) -> re.Pattern[str] | str:
    try:
        return re.compile(_translate_quotes(source))
    except re.error as exc:
        return str(exc)


def _compile(fn: str, source: str) -> re.Pattern[str]:
    result = _compiled(source)
    if isinstance(result, str):
        fail(fn, f"invalid regular expression {source!r}: {result}")
    return result


def _translate_quotes(source: str) -> str:
    """Java's `\\Q...\\E` (literal text) as escaped Python regex text."""
    if "\\Q" not in source:
        return source
    out: list[str] = []
    i = 0
    while i < len(source):
        if source.startswith("\\Q", i):
            end = source.find("\\E", i + 2)
            stop = len(source) if end < 0 else end
            out.append(re.escape(source[i + 2 : stop]))
            i = stop + 2
        elif source[i] == "\\" and i + 1 < len(source):
            out.append(source[i : i + 2])
            i += 2
        else:
            out.append(source[i])
            i += 1
    return "".join(out)


def url_encode(ctx: EvalContext, s: Any) -> str:
    """Form encoding as Java's URLEncoder (UTF-8): space becomes `+`, and everything but
    `A-Z a-z 0-9 . - * _` becomes `%XX`."""
    data = string_arg("urlEncode", "the string", s).encode("utf-8", errors="replace")
    return "".join("+" if b == 0x20 else chr(b) if b in _URL_SAFE else f"%{b:02X}" for b in data)


def url_decode(ctx: EvalContext, s: Any) -> str:
    """The reverse of `urlEncode` (`+` is a space); a malformed `%` escape is an error."""
    value = string_arg("urlDecode", "the string", s)
    out = bytearray()
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "%":
            digits = value[i + 1 : i + 3]
            if len(digits) < 2 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                fail("urlDecode", f"malformed escape {value[i : i + 3]!r} at position {i}")
            out.append(int(digits, 16))
            i += 3
        else:
            out.extend(b" " if ch == "+" else ch.encode("utf-8", errors="replace"))
            i += 1
    return out.decode("utf-8", errors="replace")


REGISTRY: dict[str, Callable[..., Any]] = {
    "toUpperCase": to_upper_case,
    "toLowerCase": to_lower_case,
    "length": length,
    "substring": substring,
    "find": find,
    "findLast": find_last,
    "contains": contains,
    "startsWith": starts_with,
    "endsWith": ends_with,
    "trim": trim,
    "isMatch": is_match,
    "replaceAll": replace_all,
    "replaceFirst": replace_first,
    "urlEncode": url_encode,
    "urlDecode": url_decode,
}
