"""The embedding API with bad numbers: NaN and infinities are refused at `rt.call` and
`rt.create`, Decimals keep to Mendix's range, and the store refuses to encode what is not a
number. `repr(app)` is a short summary."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import nanoflow
from nanoflow.runtime.session import Session as DeviceRuntime
from nanoflow.runtime.store import codec
from nanoflow.runtime.values import MendixError

APP = """module Shop
entity Order { Total: Decimal }
offline { Order: all }

nanoflow Half($total: Decimal) returns Decimal {
  return $total : 2
}
nanoflow Keep($order: Order) returns Order {
  commit $order
  return $order
}
"""

NOT_NUMBERS = ["NaN", "-NaN", "sNaN", "Infinity", "-Infinity"]


@pytest.fixture
def app(tmp_path: Path) -> nanoflow.App:
    path = tmp_path / "shop.nf"
    path.write_text(APP)
    return nanoflow.load(path)


@pytest.mark.parametrize("text", NOT_NUMBERS)
async def test_call_refuses_nan_and_infinities(app: nanoflow.App, text: str) -> None:
    async with nanoflow.Runtime(app) as rt:
        with pytest.raises(ValueError, match="is not a number"):
            await rt.call("Half", total=Decimal(text))


@pytest.mark.parametrize("value", [Decimal("1e20"), Decimal("-1e25"), 10**20])
async def test_call_refuses_decimals_beyond_mendix_range(
    app: nanoflow.App, value: Decimal | int
) -> None:
    async with nanoflow.Runtime(app) as rt:
        with pytest.raises(ValueError, match="out of range"):
            await rt.call("Half", total=value)


async def test_call_takes_the_ends_of_the_range(app: nanoflow.App) -> None:
    async with nanoflow.Runtime(app) as rt:
        top = Decimal("99999999999999999999.99999999")
        half = Decimal("49999999999999999999.999999995")
        assert await rt.call("Half", total=top) == half
        assert await rt.call("Half", total=top.copy_negate()) == half.copy_negate()


@pytest.mark.parametrize("text", NOT_NUMBERS)
async def test_create_refuses_nan_and_infinities(app: nanoflow.App, text: str) -> None:
    async with nanoflow.Runtime(app) as rt:
        with pytest.raises(ValueError, match="is not a number"):
            rt.create("Shop.Order", {"Total": Decimal(text)})


@pytest.mark.parametrize("text", NOT_NUMBERS)
async def test_the_store_refuses_to_encode_nan(
    app: nanoflow.App, tmp_path: Path, text: str
) -> None:
    # the device runtime's own `create` does not check (generated code passes typed values);
    # the store is the last entrance
    async with DeviceRuntime(app, store=tmp_path / "device.sqlite") as rt:
        order = rt.create("Shop.Order", {})
        order["Total"] = Decimal(text)
        with pytest.raises(MendixError, match="is not a number"):
            await rt.commit(order, "$order")
    with pytest.raises(MendixError, match="is not a number that can be stored"):
        codec.encode_decimal(Decimal(text))
    with pytest.raises(Exception):  # noqa: B017 - the strict encoder raises anything
        codec.encode_decimal_strict(Decimal(text))


def test_repr_of_an_app_is_short(app: nanoflow.App) -> None:
    assert repr(app) == "<App Shop: 1 file, 1 entity, 2 flows>"
    sales = nanoflow.load(Path(__file__).parents[2] / "samples" / "sales")
    assert str(sales).startswith("<App Sales: 6 files, ")
    assert len(repr(sales)) < 80
