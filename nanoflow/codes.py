"""The stable diagnostic codes: one registry, listed in docs/diagnostics.md.

Every place that reports a diagnostic names its code as a member of `Code`
(`Code.UNKNOWN_VARIABLE`), so a mistyped code is an error for mypy, not a wrong number in the
output. A member is a `str` whose value is the code (`"NF201"`); `summary` is its one-line meaning,
the same text as the table of docs/diagnostics.md. Numbers and summaries never change.
"""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """A diagnostic code: `Code.UNKNOWN_VARIABLE == "NF201"`, with its `summary`."""

    summary: str

    def __new__(cls, code: str, summary: str) -> Code:
        member = str.__new__(cls, code)
        member._value_ = code
        member.summary = summary
        return member

    # syntax and files
    UNEXPECTED_TOKEN = "NF001", "unexpected token"
    UNEXPECTED_CHARACTER = "NF002", "unexpected character (or an unterminated string or comment)"
    UNEXPECTED_END = "NF003", "unexpected end of file"
    INVALID_LITERAL = "NF004", "invalid literal value in a statement"
    INTEGER_OUT_OF_RANGE = "NF005", "integer literal out of range"
    BAD_FILES = (
        "NF006",
        "a file's module does not match its other declarations, or no `.nf` files found",
    )
    RESERVED_NAME = "NF007", "a declared name is a grammar word or a type name"
    NESTED_TOO_DEEPLY = "NF008", "expression nested too deeply (at most 40 levels)"
    # names
    UNKNOWN_ENTITY = "NF101", "unknown entity"
    UNKNOWN_MEMBER = "NF102", "unknown member (attribute or association) of an entity"
    UNKNOWN_ASSOCIATION = "NF103", "unknown association"
    UNKNOWN_TYPE = "NF104", "unknown enumeration or type"
    UNKNOWN_ENUMERATION_VALUE = "NF105", "unknown enumeration value"
    UNKNOWN_FLOW = "NF106", "unknown flow"
    UNKNOWN_ROLE = "NF107", "unknown role"
    UNKNOWN_PAGE = "NF108", "unknown page"
    UNKNOWN_ACTION = "NF109", "unknown action"
    UNKNOWN_FUNCTION = "NF110", "unknown function"
    UNKNOWN_ARGUMENT = "NF111", "unknown argument name"
    MISSING_ARGUMENT = "NF112", "missing argument"
    UNKNOWN_TOKEN = "NF113", "unknown token"
    DUPLICATE_DECLARATION = "NF120", "duplicate declaration"
    DUPLICATE_MEMBER = "NF121", "duplicate member"
    DUPLICATE_ENUMERATION_VALUE = "NF122", "duplicate enumeration value"
    DUPLICATE_PARAMETER = "NF123", "duplicate parameter or argument"
    OFFLINE_ENTITY_TWICE = "NF124", "entity listed twice in the offline profile"
    INHERITANCE_CYCLE = "NF125", "inheritance cycle"
    # variables
    UNKNOWN_VARIABLE = "NF201", "unknown variable"
    VARIABLE_DECLARED_TWICE = "NF202", "variable declared twice"
    NOT_DECLARED_ON_EVERY_PATH = "NF203", "variable not declared on every path to this use"
    VARIABLE_TYPE_UNKNOWN = "NF204", "cannot tell the type of a declared variable"
    VARIABLE_CANNOT_CHANGE = "NF205", "assignment to a variable that cannot change"
    # types
    OPERAND_TYPE = "NF301", "operator applied to operands of the wrong type"
    ARGUMENT_TYPE = "NF302", "function argument of the wrong type"
    ARGUMENT_COUNT = "NF303", "wrong number of function arguments"
    VALUE_TYPE = "NF304", "value of the wrong type"
    CONDITION_NOT_BOOLEAN = "NF305", "condition is not a Boolean"
    NOT_AN_OBJECT = "NF306", "not an object"
    NOT_A_LIST = "NF307", "not a list"
    RETURN_TYPE = "NF308", "return value does not fit the flow"
    MISSING_RETURN = "NF309", "flow can end without returning a value"
    SWITCH_MISSES_VALUES = "NF310", "switch misses enumeration values and has no `else`"
    CASE_VALUE_TYPE = "NF311", "case value does not fit the switch"
    NOT_A_SPECIALIZATION = (
        "NF312",
        "cast or type case to an entity that is not a specialization",
    )
    XPATH_TYPE = "NF313", "XPath constraint of the wrong type"
    DEFAULT_VALUE_TYPE = "NF314", "default value does not fit the attribute"
    MEMBER_CANNOT_BE_SET = "NF315", "member cannot be set"
    NO_CALL_RESULT = "NF316", "call result used from a flow that returns nothing"
    # flow structure
    OUTSIDE_LOOP = "NF401", "`break` or `continue` outside a loop"
    HANDLER_ON_LOOP = "NF402", "error handler on a loop"
    RAISE_WITHOUT_MESSAGE = "NF403", "`raise` without a message outside an error handler"
    DUPLICATE_CASE = "NF404", "duplicate case"
    # where activities may run
    CLIENT_ACTIVITY_IN_MICROFLOW = "NF501", "client activity in a microflow"
    SYNC_ACTIVITY_IN_MICROFLOW = "NF502", "synchronization activity in a microflow"
    SYNC_TO_DEVICE_IN_NANOFLOW = "NF503", "`synchronize to device` in a nanoflow"
    NOT_OFFLINE = "NF504", "entity not in the offline profile"
    MICROFLOW_CALL_NOT_PRIMITIVE = (
        "NF505",
        "microflow called from a nanoflow with a non-primitive parameter or result",
    )
    NANOFLOW_FROM_MICROFLOW = "NF506", "nanoflow called from a microflow"
    NEVER_ASSOCIATED = "NF507", "`never` entity associated with an entity that is not `never`"
    NEVER_FILE_DOCUMENT = "NF508", "`never` entity specializes System.FileDocument"
    BAD_EVENT_HANDLER = "NF509", "event handler is not a microflow taking that entity"
    ACTION_FROM_MICROFLOW = "NF510", "action called from a microflow"
    ENTITY_ACCESS_ON_NANOFLOW = "NF511", "`with entity access` on a nanoflow"
    # security
    ACCESS_RULE_VARIABLE = "NF601", "access rule XPath uses a variable"
    ACCESS_RULE_TWICE = "NF602", "access rule for an entity twice for one role"
    # warnings: the app still compiles and runs
    DEPRECATED_FUNCTION = "NF701", "deprecated Mendix 7 function (Float or Currency)"


CODES: dict[str, str] = {code.value: code.summary for code in Code}
"""Each code's summary, by code (`CODES["NF201"] == "unknown variable"`)."""
