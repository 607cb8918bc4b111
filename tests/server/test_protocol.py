"""Wire conventions of the protocol models (SYNC.md 1a)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

import nanoflow.protocol
from nanoflow.protocol import LoginRequest, WireDecimal, WireModel, format_datetime
from nanoflow.protocol.sync import (
    DownloadPage,
    MicroflowCall,
    ObjectChange,
    UploadAnswer,
    UploadRequest,
)

ID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"


class Money(WireModel):
    amount: WireDecimal


def test_every_protocol_model_rejects_unknown_fields() -> None:
    models = []
    for info in pkgutil.walk_packages(nanoflow.protocol.__path__, "nanoflow.protocol."):
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseModel) and value.__module__ == module.__name__:
                models.append(value)
    assert len(models) > 15
    for model in models:
        assert issubclass(model, WireModel), model
        assert model.model_config.get("extra") == "forbid", model


@pytest.mark.parametrize("text", ["0", "12.50", "-3.14159265", "99999999999999999999.99999999"])
def test_decimals_travel_as_plain_strings(text: str) -> None:
    money = Money.model_validate_json(f'{{"amount": "{text}"}}')
    assert money.amount == Decimal(text)
    assert money.model_dump_json() == f'{{"amount":"{text}"}}'


@pytest.mark.parametrize(
    "raw",
    [
        "12.5",
        '"1e5"',
        '"NaN"',
        '"Infinity"',
        '"123456789012345678901"',
        '"0.123456789"',
        '" 1"',
        '"01"',
        "null",
    ],
)
def test_other_decimal_forms_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError):
        Money.model_validate_json(f'{{"amount": {raw}}}')


def test_date_times_are_utc_with_milliseconds() -> None:
    assert (
        format_datetime(datetime(2024, 5, 1, 8, 30, 0, 123456, tzinfo=UTC))
        == "2024-05-01T08:30:00.123Z"
    )
    assert format_datetime(datetime(2024, 5, 1)) == "2024-05-01T00:00:00.000Z"
    page = {
        "user_id": ID,
        "user_name": "a",
        "roles": [],
        "time_zone": None,
        "server_id": ID,
        "device_id": ID,
        "expires_at": "2024-05-01T08:30:00.000Z",
    }
    from nanoflow.protocol import SessionAnswer

    answer = SessionAnswer.model_validate(page)
    assert answer.expires_at == datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
    assert answer.model_dump(mode="json")["expires_at"] == "2024-05-01T08:30:00.000Z"
    for bad in (
        "2024-05-01T08:30:00Z",
        "2024-05-01T08:30:00.000+02:00",
        "2024-02-30T08:30:00.000Z",
        "2024-05-01 08:30:00.000Z",
    ):
        with pytest.raises(ValidationError):
            SessionAnswer.model_validate({**page, "expires_at": bad})


@pytest.mark.parametrize("bad", [ID.upper(), ID.replace("-", ""), "{" + ID + "}", "", "x"])
def test_ids_are_canonical_uuids(bad: str) -> None:
    LoginRequest(user="a", password="b", device_id=ID)
    with pytest.raises(ValidationError):
        LoginRequest(user="a", password="b", device_id=bad)


def test_json_types_are_strict() -> None:
    with pytest.raises(ValidationError):
        LoginRequest.model_validate_json('{"user": 1, "password": "b"}')
    with pytest.raises(ValidationError):
        UploadRequest.model_validate_json(
            f'{{"device_id": "{ID}", "sequence": "1", "objects": []}}'
        )


def test_sync_drafts_round_trip() -> None:
    upload = UploadRequest.model_validate(
        {
            "device_id": ID,
            "sequence": 7,
            "objects": [
                {
                    "id": ID,
                    "entity": "Sales.Order",
                    "kind": "changed",
                    "attributes": {
                        "Total": "12.50",
                        "PlacedAt": "2024-05-01T08:30:00.000Z",
                        "Status": "Placed",
                        "Number": 2**62,
                    },
                    "references": {"Sales.Order_Customer": None},
                    "reference_sets": {"Sales.Order_Tags": {"added": [ID], "removed": []}},
                },
                {"id": ID, "entity": "Sales.Order", "kind": "deleted"},
            ],
        }
    )
    assert UploadRequest.model_validate_json(upload.model_dump_json()) == upload
    with pytest.raises(ValidationError):
        ObjectChange.model_validate({"id": ID, "entity": "Sales.Order", "kind": "moved"})
    with pytest.raises(ValidationError):
        ObjectChange.model_validate({"id": ID, "entity": "Order", "kind": "new"})
    answer = UploadAnswer(device_id=ID, sequence=7, outcomes=[])
    assert answer.model_dump(mode="json") == {"device_id": ID, "sequence": 7, "outcomes": []}
    page = DownloadPage(
        entity="Sales.Order", columns=["Sales.Order.Total"], rows=[], cursor="c", more=False
    )
    assert page.removed == [] and not page.complete
    assert MicroflowCall.model_validate({"arguments": {"note": "x", "n": 1}}).arguments["n"] == 1
