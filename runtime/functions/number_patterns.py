"""Java `DecimalFormat` patterns (the basics), for `formatDecimal` and the pattern form of
`parseDecimal`.

Supported: prefix and suffix text (quoted with `'`, `''` is a quote), `#` and `0` digits, grouping
`,` (the last group's size counts, as in Java), the decimal point `.`, `%` (value times 100), `‰`
(times 1000), `¤` (the locale's currency symbol; `¤¤` its ISO code), `-` (the minus sign) and a
negative subpattern after `;`. Rounding is half-even, Java's default; a negative value that rounds
to zero keeps its sign (`-0`), as in Java. Scientific notation (`E`) is not supported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Final

from nanoflow.runtime.functions._common import DIVISION, EXACT
from nanoflow.runtime.functions.locales import NumberSymbols

_DIGIT_CHARS: Final = frozenset("#0,.")
_SPECIAL: Final = {"%": "percent", "\u2030": "permille", "-": "minus"}


class NumberPatternError(ValueError):
    """The DecimalFormat pattern is malformed or uses an unsupported feature."""


@dataclass(frozen=True, slots=True)
class AffixPart:
    """Literal `text`, or a symbol kind: percent, permille, currency, code, minus."""

    kind: str
    text: str = ""


Affix = tuple[AffixPart, ...]


@dataclass(frozen=True, slots=True)
class NumberPattern:
    """A compiled DecimalFormat pattern."""

    prefix: Affix
    suffix: Affix
    negative_prefix: Affix | None
    negative_suffix: Affix | None
    min_int: int
    min_frac: int
    max_frac: int
    grouping: int
    always_decimal: bool
    multiplier: int


@lru_cache(maxsize=256)
def compile_number_pattern(pattern: str) -> NumberPattern:
    """Compile a DecimalFormat pattern (raises NumberPatternError)."""
    prefix, i = _affix(pattern, 0, stop_at_digits=True)
    start = i
    while i < len(pattern) and pattern[i] in _DIGIT_CHARS:
        i += 1
    if i < len(pattern) and pattern[i] == "E":
        raise NumberPatternError(f"scientific notation ('E') is not supported: {pattern!r}")
    number = pattern[start:i]
    suffix, i = _affix(pattern, i, stop_at_digits=False)
    negative_prefix = negative_suffix = None
    if i < len(pattern):  # at ';'
        negative_prefix, j = _affix(pattern, i + 1, stop_at_digits=True)
        while j < len(pattern) and pattern[j] in _DIGIT_CHARS:
            j += 1
        negative_suffix, j = _affix(pattern, j, stop_at_digits=False)
        if j < len(pattern):
            raise NumberPatternError(f"more than one ';' in {pattern!r}")
    kinds = {part.kind for part in prefix + suffix}
    if {"percent", "permille"} <= kinds:
        raise NumberPatternError(f"both '%' and '\u2030' in {pattern!r}")
    multiplier = 100 if "percent" in kinds else 1000 if "permille" in kinds else 1
    return _number_part(
        pattern, number, prefix, suffix, negative_prefix, negative_suffix, multiplier
    )


def _affix(pattern: str, i: int, stop_at_digits: bool) -> tuple[Affix, int]:
    parts: list[AffixPart] = []
    while i < len(pattern):
        ch = pattern[i]
        if ch == "'":
            if pattern.startswith("''", i):
                parts.append(AffixPart("text", "'"))
                i += 2
                continue
            end = pattern.find("'", i + 1)
            while end >= 0 and pattern.startswith("''", end):
                end = pattern.find("'", end + 2)
            if end < 0:
                raise NumberPatternError(f"unterminated quote in {pattern!r}")
            parts.append(AffixPart("text", pattern[i + 1 : end].replace("''", "'")))
            i = end + 1
        elif ch in _DIGIT_CHARS:
            if stop_at_digits:
                break
            raise NumberPatternError(f"unexpected {ch!r} after the number part of {pattern!r}")
        elif ch == ";":
            break
        elif ch == "\u00a4":
            double = pattern.startswith("\u00a4\u00a4", i)
            parts.append(AffixPart("code" if double else "currency"))
            i += 2 if double else 1
        elif ch in _SPECIAL:
            parts.append(AffixPart(_SPECIAL[ch]))
            i += 1
        else:
            parts.append(AffixPart("text", ch))
            i += 1
    return tuple(parts), i


def _number_part(
    pattern: str,
    number: str,
    prefix: Affix,
    suffix: Affix,
    negative_prefix: Affix | None,
    negative_suffix: Affix | None,
    multiplier: int,
) -> NumberPattern:
    if number.count(".") > 1:
        raise NumberPatternError(f"more than one '.' in {pattern!r}")
    whole, dot, fraction = number.partition(".")
    if not any(c in "#0" for c in number):
        raise NumberPatternError(f"no digits ('#' or '0') in {pattern!r}")
    digits = whole.replace(",", "")
    if "#" in digits.lstrip("#"):
        raise NumberPatternError(f"'#' after '0' in the integer part of {pattern!r}")
    if "," in fraction or "0" in fraction.lstrip("0"):
        raise NumberPatternError(f"malformed fraction part in {pattern!r}")
    grouping = len(whole) - whole.rindex(",") - 1 if "," in whole else 0
    return NumberPattern(
        prefix=prefix,
        suffix=suffix,
        negative_prefix=negative_prefix,
        negative_suffix=negative_suffix,
        min_int=digits.count("0"),
        min_frac=len(fraction) - len(fraction.lstrip("0")),
        max_frac=len(fraction),
        grouping=grouping,
        always_decimal=bool(dot) and not fraction,
        multiplier=multiplier,
    )


def _expand(affix: Affix, symbols: NumberSymbols) -> str:
    names = {
        "percent": symbols.percent,
        "permille": symbols.permille,
        "currency": symbols.currency,
        "code": symbols.currency_code,
        "minus": symbols.minus,
    }
    return "".join(part.text if part.kind == "text" else names[part.kind] for part in affix)


def format_number(value: Decimal, pattern: NumberPattern, symbols: NumberSymbols) -> str:
    """`value` written with a compiled pattern and a locale's symbols."""
    scaled = EXACT.multiply(value, Decimal(pattern.multiplier))
    negative = scaled < 0
    quantum = Decimal((0, (1,), -pattern.max_frac))
    rounded = scaled.copy_abs().quantize(quantum, ROUND_HALF_EVEN, EXACT)
    whole, _, fraction = format(rounded, "f").partition(".")
    fraction = fraction[: pattern.max_frac]
    while len(fraction) > pattern.min_frac and fraction.endswith("0"):
        fraction = fraction[:-1]
    fraction = fraction.ljust(pattern.min_frac, "0")
    whole = whole.lstrip("0").rjust(pattern.min_int, "0")
    if pattern.grouping and len(whole) > pattern.grouping:
        size = pattern.grouping
        head = len(whole) % size or size
        groups = [whole[:head]] + [whole[k : k + size] for k in range(head, len(whole), size)]
        whole = symbols.group.join(groups)
    if not whole and not fraction:
        whole = "0"
    body = whole + (symbols.decimal + fraction if fraction or pattern.always_decimal else "")
    if not negative:
        return _expand(pattern.prefix, symbols) + body + _expand(pattern.suffix, symbols)
    if pattern.negative_prefix is not None and pattern.negative_suffix is not None:
        prefix, suffix = pattern.negative_prefix, pattern.negative_suffix
        return _expand(prefix, symbols) + body + _expand(suffix, symbols)
    return (
        symbols.minus + _expand(pattern.prefix, symbols) + body + _expand(pattern.suffix, symbols)
    )


def parse_number(text: str, pattern: NumberPattern, symbols: NumberSymbols) -> Decimal | None:
    """The number `text` shows under the pattern (all of it must match), or None."""
    positive = (_expand(pattern.prefix, symbols), _expand(pattern.suffix, symbols))
    if pattern.negative_prefix is not None and pattern.negative_suffix is not None:
        negative = (
            _expand(pattern.negative_prefix, symbols),
            _expand(pattern.negative_suffix, symbols),
        )
    else:
        negative = (symbols.minus + positive[0], positive[1])
    whole_re = rf"[0-9](?:[0-9]|{re.escape(symbols.group)})*" if pattern.grouping else "[0-9]+"
    body_re = re.compile(rf"({whole_re})?(?:{re.escape(symbols.decimal)}([0-9]*))?")
    for sign, (prefix, suffix) in ((-1, negative), (1, positive)):
        if not (text.startswith(prefix) and text.endswith(suffix)):
            continue
        if len(prefix) + len(suffix) > len(text):
            continue
        body = text[len(prefix) : len(text) - len(suffix)]
        match = body_re.fullmatch(body)
        if not match or not (match.group(1) or match.group(2)):
            continue
        whole = (match.group(1) or "0").replace(symbols.group, "")
        fraction = match.group(2) or ""
        value = Decimal(whole + ("." + fraction if fraction else ""))
        if pattern.multiplier != 1:
            value = DIVISION.divide(value, Decimal(pattern.multiplier))
        return value.copy_negate() if sign < 0 else value
    return None
