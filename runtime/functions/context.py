"""The evaluation context every library function receives as its first argument."""

from __future__ import annotations

import random as _random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from nanoflow.runtime.values import EnumValue, MxObject

Rounding = Literal["half_away_from_zero", "half_even"]
UTC_ZONE = ZoneInfo("UTC")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _key_as_caption(value: EnumValue) -> str:
    return value.key


def _not_syncing() -> bool:
    return False


def _always_synced(obj: MxObject) -> bool:
    return True


def _new_flag(obj: MxObject) -> bool:
    return obj.new


class EvalContext:
    """What the functions need from the app, the user and the device.

    `timezone` is the user's zone; `rounding` the app's *Round numbers* setting; `now` returns an
    aware UTC datetime (tests inject a fixed clock); `week_start` is the first day of the week
    (0 = Sunday as in the docs' example, 1 = Monday, ... 6); `locale` names the number symbols used
    by `formatDecimal` without a locale argument (date names are always English); `random`
    returns a float in [0, 1).
    """

    __slots__ = (
        "current_user",
        "enum_caption",
        "is_new",
        "is_synced",
        "is_syncing",
        "locale",
        "now",
        "random",
        "rounding",
        "timezone",
        "week_start",
    )

    def __init__(
        self,
        *,
        timezone: ZoneInfo | str = UTC_ZONE,
        rounding: Rounding = "half_away_from_zero",
        now: Callable[[], datetime] = _utc_now,
        enum_caption: Callable[[EnumValue], str] = _key_as_caption,
        current_user: MxObject | None = None,
        is_syncing: Callable[[], bool] = _not_syncing,
        is_synced: Callable[[MxObject], bool] = _always_synced,
        is_new: Callable[[MxObject], bool] = _new_flag,
        week_start: int = 0,
        locale: str = "en_US",
        random: Callable[[], float] = _random.random,
    ) -> None:
        if rounding not in get_args(Rounding):
            raise ValueError(f"rounding must be one of {get_args(Rounding)}, not {rounding!r}")
        if not 0 <= week_start <= 6:
            raise ValueError(f"week_start must be 0 (Sunday) to 6 (Saturday), not {week_start}")
        self.timezone = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
        self.rounding: Rounding = rounding
        self.now = now
        self.enum_caption = enum_caption
        self.current_user = current_user
        self.is_syncing = is_syncing
        self.is_synced = is_synced
        self.is_new = is_new
        self.week_start = week_start
        self.locale = locale
        self.random = random

    @property
    def min_week_days(self) -> int:
        """Days of the new year that week 1 must hold: 1 for Sunday weeks (en_US), else 4 (ISO)."""
        return 1 if self.week_start == 0 else 4
