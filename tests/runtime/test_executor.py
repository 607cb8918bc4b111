"""The executor: every statement, error handling, calls, client activities, identity map."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from nanoflow.compiler import App, compile_sources
from nanoflow.runtime.errors import FlowError
from nanoflow.runtime.host import Host
from nanoflow.runtime.session import Session as Runtime
from nanoflow.runtime.values import EnumValue, MxObject
from nanoflow.source import SourceFile

DOMAIN = """module Shop
enumeration Status { Open 'Open' Paid 'Paid' Sent 'Sent to customer' }
entity Customer { Name: String(50) required  Vip: Boolean }
entity Order {
  Number: Integer
  Total: Decimal
  State: Status = Open
  Note: String
  index (Number)
}
entity Line { Qty: Integer = 1  Price: Decimal = 2.5 }
entity Doc extends System.FileDocument { Title: String }
entity Photo extends Doc { Width: Integer }
entity Tag { Label: String }
association Order_Customer from Order to Customer
association Line_Order from Line to Order
association Order_Tags from Order to many Tag
offline { Customer: all Order: all Line: all Doc: all Photo: all Tag: all }
action Beep($times: Integer) returns String
"""


class RecordingHost(Host):
    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    async def show_message(self, kind: str, text: str, blocking: bool) -> None:
        self.events.append(("message", kind, text, blocking))

    async def show_page(self, page: str, arguments: dict[str, Any]) -> None:
        self.events.append(("page", page, arguments))

    async def close_page(self, count: int) -> None:
        self.events.append(("close", count))

    async def validation_feedback(self, obj: MxObject, member: str, text: str) -> None:
        self.events.append(("feedback", obj.entity, member, text))

    async def log(self, level: str, node: str | None, text: str) -> None:
        self.events.append(("log", level, node, text))


def build(flows: str) -> App:
    result = compile_sources([SourceFile("shop.nf", DOMAIN + flows)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    return result.app


@pytest.fixture
def host() -> RecordingHost:
    return RecordingHost()


async def runtime_for(app: App, tmp_path: Path, host: Host) -> Runtime:
    return await Runtime(app, store=tmp_path / "device.sqlite", host=host).open()


@pytest.fixture
async def shop(tmp_path: Path, host: RecordingHost) -> AsyncIterator[Any]:
    runtimes: list[Runtime] = []

    async def make(flows: str) -> Runtime:
        rt = await runtime_for(build(flows), tmp_path, host)
        runtimes.append(rt)
        return rt

    yield make
    for rt in runtimes:
        await rt.close()


async def test_variables_arithmetic_and_return(shop: Any) -> None:
    rt = await shop(
        """nanoflow F($n: Integer) returns Decimal {
  declare $sum: Decimal = 0
  declare $i = 0
  while $i < $n {
    set $i = $i + 1
    if $i mod 2 = 0 { continue }
    set $sum = $sum + $i : 2
  }
  return $sum
}"""
    )
    assert await rt.call("Shop.F", n=5) == Decimal("4.5")


async def test_long_overflow_is_an_error(shop: Any) -> None:
    rt = await shop(
        """nanoflow F($n: Long) returns Long {
  return $n * 2
}"""
    )
    assert await rt.call("F", n=4) == 8
    with pytest.raises(FlowError, match="does not fit in a Long"):
        await rt.call("F", n=2**62)


async def test_create_commit_retrieve_with_xpath_sort_and_limit(shop: Any) -> None:
    rt = await shop(
        """nanoflow Make($n: Integer) {
  declare $i = 0
  while $i < $n {
    set $i = $i + 1
    $o = create Order (Number = $i, Total = $i * 1.5, Note = 'n' + toString($i))
    commit $o
  }
}
nanoflow Find() returns List of Order {
  $l = retrieve Order where [Number > 2 and Total < 100] sort by Number desc limit 2 offset 1
  return $l
}
nanoflow FirstOne() returns Order {
  $o = retrieve first Order where [Note = 'N3']
  return $o
}"""
    )
    await rt.call("Make", n=6)
    found = await rt.call("Find")
    assert [o["Number"] for o in found] == [5, 4]
    first = await rt.call("FirstOne")
    assert first["Number"] == 3
    assert first is (await rt.call("Find"))[1] or first["Number"] == 3


async def test_retrieve_sees_uncommitted_changes_of_held_objects(shop: Any) -> None:
    rt = await shop(
        """nanoflow F() returns String {
  $o = create Order (Number = 1, Note = 'committed')
  commit $o
  change $o (Note = 'in memory')
  $again = retrieve first Order where [Note = 'committed']
  return $again/Note
}"""
    )
    assert await rt.call("F") == "in memory"


async def test_identity_map_one_object_per_id(shop: Any) -> None:
    rt = await shop(
        """nanoflow Make() returns Order {
  $o = create Order (Number = 7)
  commit $o
  return $o
}
nanoflow Get() returns Order {
  $o = retrieve first Order where [Number = 7]
  return $o
}"""
    )
    made = await rt.call("Make")
    assert await rt.call("Get") is made


async def test_rollback_and_delete(shop: Any) -> None:
    rt = await shop(
        """nanoflow F() returns String {
  $o = create Order (Number = 1, Note = 'a')
  commit $o
  change $o (Note = 'b')
  rollback $o
  return $o/Note
}
nanoflow D() returns Integer {
  $o = create Order (Number = 2)
  commit $o
  delete $o
  $all = retrieve Order where [Number = 2]
  return count($all)
}"""
    )
    assert await rt.call("F") == "a"
    assert await rt.call("D") == 0


async def test_commit_validation_names_entity_and_attribute(shop: Any) -> None:
    rt = await shop(
        """nanoflow F() {
  $c = create Customer (Vip = true)
  commit $c
}"""
    )
    with pytest.raises(FlowError) as info:
        await rt.call("F")
    assert "Shop.Customer" in info.value.message and "Name" in info.value.message
    assert info.value.line == DOMAIN.count("\n") + 3
    assert info.value.activity == "commit"


async def test_associations_in_expressions_and_retrieves(shop: Any) -> None:
    rt = await shop(
        """nanoflow F() returns String {
  $c = create Customer (Name = 'Ann')
  commit $c
  $o = create Order (Number = 1, Order_Customer = $c)
  commit $o
  $l1 = create Line (Qty = 2, Line_Order = $o)
  $l2 = create Line (Qty = 3, Line_Order = $o)
  commit $l1
  commit $l2
  $lines = retrieve $o/Line_Order
  $back = retrieve $l1/Line_Order
  $orders = retrieve $c/Order_Customer
  return $o/Order_Customer/Name + ' ' + toString(sum($lines, Qty)) + ' ' +
    toString($back/Number) + ' ' + toString(count($orders))
}"""
    )
    assert await rt.call("F") == "Ann 5 1 1"


async def test_reference_sets(shop: Any) -> None:
    rt = await shop(
        """nanoflow F() returns Integer {
  $a = create Tag (Label = 'a')
  $b = create Tag (Label = 'b')
  commit $a
  commit $b
  $tags = create list of Tag
  add $a to $tags
  add $b to $tags
  $o = create Order (Number = 1, Order_Tags = $tags)
  commit $o
  $found = retrieve Order where [Order_Tags/Tag/Label = 'b']
  return count($o/Order_Tags) + count($found)
}"""
    )
    assert await rt.call("F") == 3


async def test_lists_are_sets_in_nanoflows_and_copies_in_sub_nanoflows(shop: Any) -> None:
    rt = await shop(
        """nanoflow F() returns Integer {
  $a = create Tag (Label = 'a')
  $l = create list of Tag
  add $a to $l
  add $a to $l
  call nanoflow Grow(tags = $l)
  remove $a from $l
  remove $a from $l
  return count($l) * 10 + 1
}
nanoflow Grow($tags: List of Tag) {
  $b = create Tag (Label = 'b')
  add $b to $tags
}"""
    )
    assert await rt.call("F") == 1


async def test_switches_and_type_switch(shop: Any) -> None:
    rt = await shop(
        """nanoflow S($o: Order) returns String {
  switch $o/State {
    case Open { return 'open' }
    case Paid, Sent { return getCaption($o/State) }
    case empty { return 'none' }
  }
}
nanoflow T($d: System.FileDocument) returns String {
  switch type $d {
    case Doc { return 'doc' }
    case Photo { return 'photo' }
    case empty { return 'empty' }
    else { return 'file' }
  }
}"""
    )
    order = rt.create("Shop.Order", {"State": EnumValue.of("Shop.Status", "Sent")})
    assert await rt.call("S", o=order) == "Sent to customer"
    order["State"] = None
    assert await rt.call("S", o=order) == "none"
    assert await rt.call("T", d=rt.create("Shop.Photo", {})) == "photo"
    assert await rt.call("T", d=rt.create("Shop.Doc", {})) == "doc"
    assert await rt.call("T", d=rt.create("System.Image", {})) == "file"
    assert await rt.call("T", d=None) == "empty"


async def test_for_loop_current_index_break_and_continue(shop: Any, host: RecordingHost) -> None:
    rt = await shop(
        """nanoflow F($tags: List of Tag) returns Integer {
  declare $seen: Integer = 0
  for $t in $tags {
    if $t/Label = 'skip' { continue }
    if $t/Label = 'stop' { break }
    log info toString($currentIndex) + ':' + $t/Label
    set $seen = $seen + 1
  }
  return $seen
}"""
    )
    tags = [rt.create("Shop.Tag", {"Label": x}) for x in ("a", "skip", "b", "stop", "c")]
    assert await rt.call("F", tags=tags) == 2
    assert [e[3] for e in host.events] == ["0:a", "2:b"]


async def test_client_activities_reach_the_host(shop: Any, host: RecordingHost) -> None:
    rt = await shop(
        """page Edit($order: Order)
nanoflow F($o: Order) {
  show message warning 'Check ' + toString($o/Number) blocking
  show page Edit(order = $o)
  close page 2
  validation feedback $o/Total 'too low'
  log error node 'Shop' 'bad'
}"""
    )
    order = rt.create("Shop.Order", {"Number": 4})
    await rt.call("F", o=order)
    assert host.events == [
        ("message", "warning", "Check 4", True),
        ("page", "Shop.Edit", {"order": order}),
        ("close", 2),
        ("feedback", "Shop.Order", "Total", "too low"),
        ("log", "error", "Shop", "bad"),
    ]


async def test_error_handling_custom_continue_raise_and_rethrow(
    shop: Any, host: RecordingHost
) -> None:
    rt = await shop(
        """nanoflow Custom() returns String {
  $c = create Customer (Vip = true)
  commit $c on error {
    log warning $latestError
    return 'handled'
  }
  return 'not reached'
}
nanoflow Continue() returns Boolean {
  $c = create Customer (Vip = true)
  commit $c on error continue
  return true
}
nanoflow Rethrow() {
  $c = create Customer (Vip = true)
  commit $c on error {
    log info 'cleaning up'
    raise
  }
}
nanoflow Outer() returns String {
  call nanoflow Rethrow() on error {
    return 'caught: ' + $latestError
  }
  return 'no error'
}
nanoflow Output() returns Boolean {
  $n = call nanoflow Failing() on error { log info 'failed' }
  return $n = empty
}
nanoflow Failing() returns Integer {
  raise 'nope'
}"""
    )
    assert await rt.call("Custom") == "handled"
    assert await rt.call("Continue") is True
    result = await rt.call("Outer")
    assert result.startswith("caught: ") and "Name" in result
    assert await rt.call("Output") is True
    with pytest.raises(FlowError) as info:
        await rt.call("Rethrow")
    assert info.value.flow == "Shop.Rethrow"
    assert ("log", "info", None, "cleaning up") in host.events


async def test_error_in_sub_nanoflow_names_its_own_position(shop: Any) -> None:
    rt = await shop(
        """nanoflow Outer() {
  call nanoflow Inner(x = 0)
}
nanoflow Inner($x: Integer) {
  declare $y: Decimal = 1 : $x
}"""
    )
    with pytest.raises(FlowError) as info:
        await rt.call("Outer")
    assert info.value.message == "division by zero"
    assert info.value.flow == "Shop.Inner"
    assert info.value.line == DOMAIN.count("\n") + 5
    assert info.value.activity == "declare"


async def test_empty_operands_and_members_are_errors_naming_the_variable(shop: Any) -> None:
    rt = await shop(
        """nanoflow F($o: Order, $n: Integer) returns Integer {
  return $n + 1
}
nanoflow G($o: Order) returns Integer {
  return $o/Number
}"""
    )
    with pytest.raises(FlowError, match=r"\$n` is empty"):
        await rt.call("F", o=None, n=None)
    with pytest.raises(FlowError, match=r"\$o` is empty"):
        await rt.call("G", o=None)


async def test_actions_registered_and_missing(shop: Any) -> None:
    rt = await shop(
        """nanoflow F() returns String {
  $s = call action Beep(times = 3)
  $id = call action NanoflowCommons.GenerateUniqueID()
  return $s + ':' + toString(length($id) > 0)
}"""
    )
    with pytest.raises(FlowError, match=r"action `Shop\.Beep` is not registered"):
        await rt.call("F")

    async def beep(times: int) -> str:
        return "beep" * times

    rt.register_action("Shop.Beep", beep)
    assert await rt.call("F") == "beepbeepbeep:true"


async def test_storage_item_actions(shop: Any) -> None:
    rt = await shop(
        """nanoflow F() returns String {
  call action NanoflowCommons.SetStorageItemString(key = 'k', value = 'v1')
  $exists = call action NanoflowCommons.StorageItemExists(key = 'k')
  $v = call action NanoflowCommons.GetStorageItemString(key = 'k')
  call action NanoflowCommons.RemoveStorageItem(key = 'k')
  $gone = call action NanoflowCommons.StorageItemExists(key = 'k')
  return $v + toString($exists) + toString($gone)
}"""
    )
    assert await rt.call("F") == "v1truefalse"


async def test_concurrent_calls_share_one_store(shop: Any) -> None:
    rt = await shop(
        """nanoflow Make($n: Integer) {
  declare $i = 0
  while $i < 20 {
    set $i = $i + 1
    $o = create Order (Number = $n * 100 + $i)
    commit $o
  }
}
nanoflow Count() returns Integer {
  $all = retrieve Order
  return count($all)
}"""
    )
    await asyncio.gather(*(rt.call("Make", n=k) for k in range(8)))
    assert await rt.call("Count") == 160


async def test_decimal_members_round_to_eight_places_half_even(shop: Any) -> None:
    rt = await shop(
        """nanoflow F() returns Decimal {
  $o = create Order (Total = 1.123456785)
  return $o/Total
}
nanoflow G() returns Decimal {
  $o = create Order (Total = 2 : 3)
  return $o/Total
}"""
    )
    assert await rt.call("F") == Decimal("1.12345678")
    assert await rt.call("G") == Decimal("0.66666667")


async def test_handlers_on_decisions_cover_their_conditions_only(
    shop: Any, host: RecordingHost
) -> None:
    rt = await shop(
        """nanoflow F($o: Order) returns String {
  if $o/Number > 1 {
    return 'big'
  } else {
    return 'small'
  } on error {
    log warning $latestError
  }
  switch $o/State {
    case Open { return 'open' }
    else { return 'other' }
  } on error continue
  return 'no order'
}"""
    )
    assert await rt.call("F", o=None) == "no order"
    assert host.events and "is empty" in host.events[0][3]
    assert await rt.call("F", o=rt.create("Shop.Order", {"Number": 5})) == "big"


async def test_cast_and_while_index(shop: Any) -> None:
    rt = await shop(
        """nanoflow C($d: System.FileDocument) returns String {
  $p = cast $d to Photo
  return toString($p/Width)
}
nanoflow W() returns Integer {
  declare $last: Integer = -1
  declare $n: Integer = 0
  while $n < 3 {
    set $n = $n + 1
    set $last = $currentIndex
  }
  return $last
}"""
    )
    assert await rt.call("C", d=rt.create("Shop.Photo", {"Width": 3})) == "3"
    with pytest.raises(FlowError, match="cannot cast"):
        await rt.call("C", d=rt.create("Shop.Doc", {}))
    assert await rt.call("W") == 2


async def test_owner_and_tokens_in_xpath(tmp_path: Path) -> None:
    source = """module Own
entity Note with owner { Text: String  At: DateTime }
offline { Note: all }
nanoflow Mine() returns Integer {
  $n = create Note (Text = 'x', At = [%CurrentDateTime%])
  commit $n
  $mine = retrieve Note where [System.owner = '[%CurrentUser%]' and At <= '[%CurrentDateTime%]']
  $old = retrieve Note where [At < [%BeginOfYesterday%]]
  return count($mine) * 10 + count($old)
}
"""
    result = compile_sources([SourceFile("own.nf", source)])
    assert result.app is not None, result.diagnostics
    async with Runtime(result.app, store=tmp_path / "d.sqlite") as rt:
        assert await rt.call("Mine") == 10


async def test_deleting_an_object_clears_references_to_it(shop: Any) -> None:
    rt = await shop(
        """nanoflow F() returns Boolean {
  $c = create Customer (Name = 'Ann')
  commit $c
  $o = create Order (Number = 1, Order_Customer = $c)
  commit $o
  delete $c
  return $o/Order_Customer = empty
}"""
    )
    assert await rt.call("F") is True


async def test_allowed_roles_are_checked_for_the_flow_a_user_starts(tmp_path: Path) -> None:
    source = """module Sec
role Clerk
role Boss
nanoflow Secret() returns String allow Boss { return call nanoflow Open() }
nanoflow Open() returns String { return 'ok' }
"""
    result = compile_sources([SourceFile("sec.nf", source)])
    assert result.app is None  # `return call` is not an expression
    source = source.replace("{ return call nanoflow Open() }", "{ return 'secret' }")
    app = compile_sources([SourceFile("sec.nf", source)]).app
    assert app is not None
    async with Runtime(app, roles=["Sec.Clerk"]) as clerk:
        with pytest.raises(FlowError, match=r"may not run `Sec\.Secret`"):
            await clerk.call("Secret")
        assert await clerk.call("Open") == "ok"
    async with Runtime(app) as local:
        assert await local.call("Secret") == "secret"


async def test_objects_from_a_retrieve_decode_on_first_use(shop: Any) -> None:
    rt = await shop(
        """nanoflow Make() {
  $l = create Line (Qty = 5, Price = 2.5)
  commit $l
}
nanoflow All() returns List of Line {
  $all = retrieve Line
  return $all
}"""
    )
    await rt.call("Make")
    rt.objects.clear()
    (line,) = await rt.call("All")
    assert line._row is not None  # not decoded yet
    assert line.committed == {**line.values} and line._row is None
    assert (line["Qty"], line["Price"]) == (5, Decimal("2.5"))
    assert line.changed_members == set()
    line["Qty"] = 6
    assert line.changed_members == {"Qty"}
    assert line.committed is not None and line.committed["Qty"] == 5
    await rt.rollback(line, "$l")
    assert line["Qty"] == 5


async def test_edge_shapes_of_generated_code(shop: Any, host: RecordingHost) -> None:
    rt = await shop(
        """nanoflow F($o: Order, $tags: List of Tag) returns Integer {
  switch $o/State {
    else { log info 'only else' }
  } on error continue
  if $o/Number > 0 { } on error { }
  switch $o/State { case Open { } case Paid, Sent, empty { } }
  declare $n: Integer = 0
  for $a in $tags {
    for $b in $tags {
      set $n = $n + $currentIndex
    }
    set $n = $n + 100 * $currentIndex
    commit $a on error {
      if $n > 1000 { break } else { continue }
    }
  }
  while $n < 0 { }
  return $n
}
nanoflow G() {
  $c = create Customer (Vip = true)
  commit $c on error {
    commit $c on error {
      log info 'inner ' + $latestError
      raise
    }
  }
}"""
    )
    tags = [rt.create("Shop.Tag", {"Label": x}) for x in "ab"]
    order = rt.create("Shop.Order", {"Number": 1})
    assert await rt.call("F", o=order, tags=tags) == (0 + 1) * 2 + 100
    assert ("log", "info", None, "only else") in host.events
    with pytest.raises(FlowError, match="Name"):
        await rt.call("G")


async def test_a_new_objects_changes_are_the_members_a_flow_set(shop: Any) -> None:
    rt = await shop(
        """nanoflow F() {
  $o = create Order (Number = 1)
  change $o (Note = 'x')
  commit $o
  change $o (Total = 2)
  commit $o
}"""
    )
    await rt.call("F")
    assert rt.store is not None
    (pending,) = await rt.store.pending_changes()
    assert (pending["state"], sorted(pending["changed"])) == ("new", ["Note", "Number", "Total"])


async def test_values_are_read_only_and_commit_snapshots_stay_apart(shop: Any) -> None:
    rt = await shop("nanoflow F() { }")
    order = rt.create("Shop.Order", {"Number": 1})
    with pytest.raises(TypeError):
        order.values["Number"] = 2  # type: ignore[index]
    commit = asyncio.ensure_future(rt.commit(order, "$o"))
    await asyncio.sleep(0)  # the commit has taken its snapshot and awaits the write
    order["Number"] = 3  # a change while the write is under way
    await commit
    assert order.committed is not None and order.committed["Number"] == 1
    assert order["Number"] == 3 and order.changed_members == {"Number"}
