"""Opening a device store: the one-runtime file lock, the model fingerprint, migrations."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from store_backends import Harness

from nanoflow.compiler import App, compile_sources
from nanoflow.runtime.store import DeviceStore, IncompatibleStore, StoreInUse
from nanoflow.runtime.store.fingerprint import describe, diff, fingerprint
from nanoflow.runtime.values import EnumValue, MxObject
from nanoflow.source import SourceFile

V1 = """
module Shop

enumeration Status { Open 'Open' Closed 'Closed' }

entity Order {
  Number: Long
  Note: String(100)
  Status: Status
}

entity Tag { Name: String }

association Order_Tags from Order to many Tag

role User

access Order for User { read * }

offline {
  Order: all
  Tag: all
}

nanoflow F() { }
"""


def compile_app(text: str) -> App:
    result = compile_sources([SourceFile("shop.nf", text)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    return result.app


def edit(text: str, *replacements: tuple[str, str]) -> str:
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text


# ---- the file lock -----------------------------------------------------------------------------


async def test_a_second_opener_in_the_same_process_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "device.db"
    app = compile_app(V1)
    first = await DeviceStore.open(path, app)
    with pytest.raises(StoreInUse, match=f"store {path} is in use by process {os.getpid()}$"):
        await DeviceStore.open(path, app)
    await first.close()
    second = await DeviceStore.open(path, app)
    await second.close()
    await second.close()  # closing twice is harmless


HOLDER = """
import asyncio, sys
from nanoflow.compiler import load
from nanoflow.runtime.store import DeviceStore

async def main():
    store = await DeviceStore.open(sys.argv[1], load(sys.argv[2]))
    print("ready", flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""


async def test_the_lock_names_the_other_process_and_dies_with_it(tmp_path: Path) -> None:
    source = tmp_path / "shop.nf"
    source.write_text(V1)
    path = tmp_path / "device.db"
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(source)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        with pytest.raises(StoreInUse, match=f"in use by process {child.pid}"):
            await DeviceStore.open(path, compile_app(V1))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    store = await DeviceStore.open(path, compile_app(V1))
    await store.close()


# ---- the fingerprint ---------------------------------------------------------------------------


def test_fingerprint_ignores_flows_layout_and_comments() -> None:
    base = fingerprint(describe(compile_app(V1).names))
    other_flow = edit(V1, ("nanoflow F() { }", "nanoflow G($x: Integer) { log info 'x' }"))
    spaced = edit(V1, ("entity Tag { Name: String }", "// tags\nentity Tag {\n  Name: String\n}"))
    assert fingerprint(describe(compile_app(other_flow).names)) == base
    assert fingerprint(describe(compile_app(spaced).names)) == base
    changed = edit(V1, ("{ read * }", "{ read *, write * }"))
    assert fingerprint(describe(compile_app(changed).names)) != base


@pytest.mark.parametrize(
    ("replacements", "difference"),
    [
        ((("  Note: String(100)\n", ""),), "attribute Shop.Order.Note was removed"),
        ((("Number: Long", "Count: Long"),), "attribute Shop.Order.Number was removed"),
        (
            (("Number: Long", "Number: Integer"),),
            "attribute Shop.Order.Number changed type from Long to Integer",
        ),
        (
            (("Note: String(100)", "Note: String(50)"),),
            "attribute Shop.Order.Note was shortened from 100 to 50",
        ),
        ((("Closed 'Closed' ", ""),), "enumeration value Shop.Status.Closed was removed"),
        (
            (
                ("entity Tag { Name: String }", ""),
                ("association Order_Tags from Order to many Tag", ""),
                ("  Tag: all\n", ""),
            ),
            "entity Shop.Tag was removed",
        ),
        (
            (("to many Tag", "to Tag"),),
            "association Shop.Order_Tags changed from Shop.Order → many Shop.Tag to "
            "Shop.Order → Shop.Tag",
        ),
        ((("  Tag: all\n", ""),), "entity Shop.Tag was removed from the offline profile"),
    ],
)
def test_incompatible_differences(
    replacements: tuple[tuple[str, str], ...], difference: str
) -> None:
    old = describe(compile_app(V1).names)
    new = describe(compile_app(edit(V1, *replacements)).names)
    assert difference in diff(old, new).incompatible


V2 = edit(
    V1,
    ("Open 'Open' Closed 'Closed'", "Open 'Open' Closed 'Closed' Void 'Void'"),
    (
        "  Status: Status\n}",
        "  Status: Status\n  Priority: Integer = 3\n  Flag: Boolean = true\n"
        "  Amount: Decimal = 1.5\n  Label: String = 'new'\n  Kind: Status = Closed\n"
        "  Note2: String\n  index (Note)\n}",
    ),
    ("Note: String(100)", "Note: String(200)"),
    (
        "entity Tag {",
        "entity SpecialOrder extends Order { Reason: String }\n"
        "entity Customer { Name: String }\nentity Tag {",
    ),
    (
        "association Order_Tags",
        "association Order_Customer from Order to Customer\n"
        "association Customer_Tags from Customer to many Tag\nassociation Order_Tags",
    ),
    ("{ read * }", "{ read *, write * }"),
    ("  Tag: all\n", "  Tag: nothing preserve\n  Customer: all\n  SpecialOrder: all\n"),
)


async def test_compatible_changes_migrate_in_place(tmp_path: Path) -> None:
    path = tmp_path / "device.db"
    v1 = compile_app(V1)
    store = await DeviceStore.open(path, v1)
    order = MxObject("Shop.Order", "o1", {"Number": 7, "Note": "keep", "Shop.Order_Tags": ()})
    await Harness(store, v1, path).commit([order])
    await store.close()

    v2 = compile_app(V2)
    assert not diff(describe(compile_app(V1).names), describe(v2.names)).incompatible
    store = await DeviceStore.open(path, v2)
    device = Harness(store, v2, path)
    try:
        row = await device.get("Shop.Order", "o1")
        assert row is not None
        assert (row["Number"], row["Note"], row["Priority"], row["Flag"]) == (7, "keep", 3, True)
        assert (row["Amount"], row["Label"], row["Note2"]) == (Decimal("1.5"), "new", None)
        assert row["Kind"] == EnumValue.of("Shop.Status", "Closed")
        assert row["Shop.Order_Customer"] is None
        customer = MxObject("Shop.Customer", "c1", {"Name": "Ann", "Shop.Customer_Tags": ()})
        void = EnumValue.of("Shop.Status", "Void")
        special = MxObject(
            "Shop.SpecialOrder", "s1", {"Reason": "r", "Shop.Order_Customer": "c1", "Status": void}
        )
        await device.commit([customer, special])
        assert (await device.get(None, "s1") or {})["Reason"] == "r"
        assert await store.get_meta("fingerprint") == fingerprint(describe(v2.names))
        assert (await store.get_meta("model"))["entities"]["Shop.Customer"]
        assert device.sql("SELECT name FROM sqlite_master WHERE name = 'ix:Shop.Order:Note'")
        pending = {p["$id"]: p["state"] for p in await store.pending_changes()}
        assert pending == {"o1": "new", "c1": "new", "s1": "new"}
    finally:
        await store.close()
    store = await DeviceStore.open(path, v2)  # the migrated store opens as it is
    await store.close()


async def test_incompatible_model_is_refused_and_nothing_is_lost(tmp_path: Path) -> None:
    path = tmp_path / "device.db"
    v1 = compile_app(V1)
    store = await DeviceStore.open(path, v1)
    await Harness(store, v1, path).commit(
        [MxObject("Shop.Order", "o1", {"Number": 1, "Note": "mine"})]
    )
    await store.close()

    v3 = compile_app(edit(V1, ("  Note: String(100)\n", "")))
    with pytest.raises(IncompatibleStore) as refused:
        await DeviceStore.open(path, v3)
    message = str(refused.value)
    assert "attribute Shop.Order.Note was removed" in message
    assert "would lose 1 pending change(s): Shop.Order o1 (new)" in message
    assert refused.value.pending == [{"entity": "Shop.Order", "id": "o1", "state": "new"}]
    assert refused.value.differences == ["attribute Shop.Order.Note was removed"]

    store = await DeviceStore.open(path, v1)  # lock released, data intact
    try:
        row = await Harness(store, v1, path).get(None, "o1")
        assert row is not None and row["Note"] == "mine"
    finally:
        await store.close()


async def test_a_format_1_store_gains_the_write_ticks(tmp_path: Path) -> None:
    """Stores written before write ticks existed migrate in place, keeping their data."""
    import contextlib
    import json
    import sqlite3

    path = tmp_path / "device.db"
    v1 = compile_app(V1)
    store = await DeviceStore.open(path, v1)
    await Harness(store, v1, path).commit([MxObject("Shop.Order", "o1", {"Number": 1})])
    await store.close()
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute('ALTER TABLE "o:Shop.Order" DROP COLUMN _tick')
        db.execute("ALTER TABLE nf_deleted DROP COLUMN tick")
        db.execute("UPDATE nf_meta SET value = ? WHERE key = 'format'", (json.dumps(1),))
        db.commit()
    store = await DeviceStore.open(path, v1)
    device = Harness(store, v1, path)
    try:
        assert (await device.get("Shop.Order", "o1") or {})["Number"] == 1
        await device.commit([MxObject("Shop.Order", "o2", {"Number": 2})])
        ticks = dict(device.sql('SELECT id, _tick FROM "o:Shop.Order"'))
        assert ticks["o1"] == 0 and ticks["o2"] >= 1
        assert device.sql("SELECT tick FROM nf_deleted") == []
    finally:
        await store.close()
