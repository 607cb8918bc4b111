"""The embedding API (LANGUAGE.md section 10) and the built-in NanoflowCommons actions."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

import nanoflow

APP = """module Field
entity Report extends System.FileDocument { Title: String }
entity Visit { Place: String  Done: Boolean }
offline { Report: all Visit: all }

nanoflow Plan($place: String) returns Visit {
  $visit = create Visit (Place = $place)
  commit $visit
  return $visit
}
nanoflow Buzz() returns Boolean {
  $ok = call action Device.Vibrate(ms = 30)
  return $ok
}
nanoflow Broken() returns Decimal {
  declare $zero: Integer = 0
  return 1 : $zero
}
nanoflow Commons($visit: Visit) returns String {
  $guid = call action NanoflowCommons.GetGuid(entityObject = $visit)
  $back = call action NanoflowCommons.GetObjectByGuid(
    entityName = 'Field.Visit', objectGuid = $guid)
  $same = cast $back to Visit
  $b64 = call action NanoflowCommons.Base64Encode(stringToEncode = 'hé')
  $plain = call action NanoflowCommons.Base64Decode(stringToDecode = $b64)
  $platform = call action NanoflowCommons.GetPlatform()
  $online = call action NanoflowCommons.IsConnectedToServer()
  call action NanoflowCommons.Wait(delay = 1)
  $hours = call action NanoflowCommons.TimeBetween(
    startDate = dateTimeUTC(2024, 1, 1), endDate = dateTimeUTC(2024, 1, 2),
    unit = NanoflowCommons.TimeUnit.Hours)
  $km = call action NanoflowCommons.GetStraightLineDistance(
    startLatitude = 52.37, startLongitude = 4.89, endLatitude = 51.92, endLongitude = 4.48,
    unit = NanoflowCommons.Enum_DistanceUnit.KILOMETER)
  return $same/Place + '|' + $b64 + '|' + $plain + '|' + getKey($platform) + '|' +
    toString($online) + '|' + toString($hours) + '|' + toString(round($km, 0))
}
nanoflow Store($report: Report, $path: String) {
  call action NanoflowCommons.StoreFileFromPath(file = $report, path = $path)
  commit $report
}
nanoflow Save($report: Report, $path: String) {
  call action NanoflowCommons.SaveFileToPath(file = $report, path = $path)
}
"""


@pytest.fixture
def app(tmp_path: Path) -> nanoflow.App:
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "field.nf").write_text(APP)
    device = "module Device\naction Vibrate($ms: Integer) returns Boolean\n"
    (folder / "device.nf").write_text(device)
    return nanoflow.load(folder)


def test_load_raises_compile_error_with_diagnostics(tmp_path: Path) -> None:
    path = tmp_path / "bad.nf"
    path.write_text("module M\nnanoflow F() { log info $x }\n")
    with pytest.raises(nanoflow.CompileError) as info:
        nanoflow.load(path)
    assert [d.code for d in info.value.diagnostics] == ["NF201"]


async def test_call_retrieve_and_objects(app: nanoflow.App, tmp_path: Path) -> None:
    async with nanoflow.Runtime(app, store=tmp_path / "device.sqlite") as rt:
        visit = await rt.call("Field.Plan", place="Dock 4")
        assert isinstance(visit, nanoflow.MxObject)
        assert (visit.entity, visit["Place"], visit.is_empty) == ("Field.Visit", "Dock 4", False)
        found = await rt.retrieve("Field.Visit", xpath="[Place = 'dock 4']")
        assert found == [visit]
        assert await rt.retrieve("Field.Visit", xpath="[Done]") == []
        assert await rt.retrieve("Field.Visit") == [visit]
        with pytest.raises(nanoflow.CompileError) as refused:
            await rt.retrieve("Field.Visit", xpath="[Nope = 1]")
        [problem] = refused.value.diagnostics
        span = problem.span
        assert (span.file, span.line, span.column, span.end_column) == ("<xpath>", 1, 2, 6)
        with pytest.raises(nanoflow.CompileError) as broken:
            await rt.retrieve("Field.Visit", xpath="[Place = ]")
        [problem] = broken.value.diagnostics
        assert (problem.span.line, problem.span.column) == (1, 10)


async def test_retrieve_compiles_only_the_xpath(
    app: nanoflow.App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A text XPath never parses the app's files again."""
    import nanoflow.compiler as compiler

    def no_parsing(source: object) -> None:
        raise AssertionError(f"parsed {source} again")

    monkeypatch.setattr(compiler, "parse_source", no_parsing)
    async with nanoflow.Runtime(app, store=tmp_path / "device.sqlite") as rt:
        assert await rt.retrieve("Field.Visit", xpath="[Place = 'x'][Done = false]") == []


async def test_registered_actions_and_flow_errors(app: nanoflow.App, tmp_path: Path) -> None:
    calls: list[int] = []

    async def vibrate(ms: int) -> bool:
        calls.append(ms)
        return True

    async with nanoflow.Runtime(app, store=tmp_path / "device.sqlite") as rt:
        with pytest.raises(nanoflow.FlowError, match="not registered"):
            await rt.call("Buzz")
        rt.register_action("Device.Vibrate", vibrate)
        assert await rt.call("Buzz") is True
        assert calls == [30]
        with pytest.raises(nanoflow.FlowError) as info:
            await rt.call("Broken")
        error = info.value
        assert (error.message, error.flow, error.line) == ("division by zero", "Field.Broken", 17)
        assert error.to_json()["column"] == 3


async def test_nanoflow_commons_actions(app: nanoflow.App, tmp_path: Path) -> None:
    async with nanoflow.Runtime(app, store=tmp_path / "device.sqlite") as rt:
        visit = await rt.call("Plan", place="Pier")
        result = await rt.call("Commons", visit=visit)
        encoded = base64.b64encode("hé".encode()).decode()
        assert result == f"Pier|{encoded}|hé|Native_mobile|false|24|57"


async def test_file_contents_through_api_and_actions(app: nanoflow.App, tmp_path: Path) -> None:
    source = tmp_path / "in.bin"
    source.write_bytes(b"\x00\x01photo")
    async with nanoflow.Runtime(app, store=tmp_path / "device.sqlite") as rt:
        report: Any = rt.create("Field.Report", {"Title": "t"})
        await rt.call("Store", report=report, path=str(source))
        assert await rt.read_file(report) == b"\x00\x01photo"
        assert (report["HasContents"], report["Size"]) == (True, 7)
        await rt.write_file(report, b"new")
        target = tmp_path / "out.bin"
        await rt.call("Save", report=report, path=str(target))
        assert target.read_bytes() == b"new"


async def test_host_receives_client_activities(tmp_path: Path) -> None:
    path = tmp_path / "h.nf"
    path.write_text("module H\nnanoflow F() { show message info 'hi' log debug 'x' }\n")
    seen: list[Any] = []

    class MyHost(nanoflow.Host):
        async def show_message(self, kind: str, text: str, blocking: bool) -> None:
            seen.append((kind, text, blocking))

        async def log(self, level: str, node: str | None, text: str) -> None:
            seen.append((level, node, text))

    async with nanoflow.Runtime(nanoflow.load(path), host=MyHost()) as rt:
        assert await rt.call("F") is None
    assert seen == [("info", "hi", False), ("debug", None, "x")]


async def test_api_checks_what_it_is_given(app: nanoflow.App, tmp_path: Path) -> None:
    async with nanoflow.Runtime(app, store=tmp_path / "device.sqlite") as rt:
        with pytest.raises(ValueError, match="no attribute or owned association `Bogus`"):
            rt.create("Field.Visit", {"Bogus": 1})
        with pytest.raises(TypeError, match="takes a Boolean"):
            rt.create("Field.Visit", {"Done": "yes"})
        with pytest.raises(TypeError, match="has no parameter nope"):
            await rt.call("Plan", nope=1)
        with pytest.raises(TypeError, match="takes a String"):
            await rt.call("Plan", place=5)
    async with nanoflow.Runtime(app) as storeless:
        with pytest.raises(ValueError, match="no offline store"):
            await storeless.retrieve("Field.Visit")


async def test_parameters_may_be_called_name_and_action_failures_are_handled(
    tmp_path: Path,
) -> None:
    path = tmp_path / "n.nf"
    path.write_text(
        """module N
entity Thing { Label: String }
offline { Thing: all }
action Camera() returns String
nanoflow Hello($name: String) returns String { return 'hi ' + $name }
nanoflow Shoot() returns String {
  $photo = call action Camera() on error { return 'handled: ' + $latestError }
  return $photo
}
nanoflow Union() returns Integer {
  $a = create Thing (Label = 'a')
  $l = create list of Thing
  add $a to $l
  return count(union($l, $a)) + count(subtract($l, $a))
}
"""
    )

    async def camera() -> str:
        raise OSError("camera not available")

    async with nanoflow.Runtime(nanoflow.load(path)) as rt:
        rt.register_action("N.Camera", camera)
        assert await rt.call("Hello", name="Ann") == "hi Ann"
        assert await rt.call("Shoot") == "handled: action `N.Camera` failed: camera not available"
        assert await rt.call("Union") == 1
