"""Fuzzing the served endpoints with hypothesis: whatever a client sends, the answer is never
a 5xx, and every error answer is an `ErrorBody`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nanoflow.compiler import App
from nanoflow.protocol import ErrorBody, LoginAnswer, SessionAnswer
from nanoflow.protocol.sync import MicroflowResult
from nanoflow.server.app import create_app
from nanoflow.server.database import ServerDatabase
from nanoflow.server.urls import resolve
from nanoflow.server.users import Users


@dataclass
class Fuzzed:
    runner: asyncio.Runner
    client: httpx.AsyncClient
    token: str

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.runner.run(self.client.request(method, path, **kwargs))


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, sales_app: App) -> Iterator[Fuzzed]:
    directory: Path = tmp_path_factory.mktemp("fuzz")
    runner = asyncio.Runner()
    db = runner.run(ServerDatabase.open(sales_app, resolve(str(directory / "s.sqlite"), directory)))
    runner.run(Users(db).add("fuzz", "pw", ["Sales.User"]))
    transport = httpx.ASGITransport(create_app(sales_app, db, max_body_bytes=4096))
    client = httpx.AsyncClient(transport=transport, base_url="http://nanoflow.test")
    login = runner.run(client.post("/api/v1/login", json={"user": "fuzz", "password": "pw"}))
    try:
        yield Fuzzed(runner, client, login.json()["token"])
    finally:
        runner.run(client.aclose())
        runner.run(db.close())
        runner.close()


def check(
    answer: httpx.Response,
    model: type[LoginAnswer] | type[SessionAnswer] | type[MicroflowResult],
) -> None:
    assert answer.status_code < 500, answer.text
    if answer.status_code == 200:
        model.model_validate_json(answer.content)
    else:
        assert 400 <= answer.status_code < 500
        ErrorBody.model_validate_json(answer.content)


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)
names = st.one_of(st.sampled_from(["fuzz", "FUZZ", "", " fuzz", "nobody"]), st.text(max_size=30))
login_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"user": st.one_of(names, json_values), "password": st.one_of(st.just("pw"), json_values)},
        optional={
            "device_id": st.one_of(st.uuids().map(str), st.text(max_size=40), json_values),
            "admin": json_values,
        },
    ),
)
content_types = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "text/plain", "application/x+json",
     "multipart/form-data", ""]
)


@given(body=login_bodies, content_type=content_types)
def test_login_with_any_json(fuzzed: Fuzzed, body: Any, content_type: str) -> None:
    raw = json.dumps(body).encode()  # floats may give NaN/Infinity: not JSON, must be a 4xx
    headers = {"Content-Type": content_type} if content_type else {}
    check(fuzzed.send("POST", "/api/v1/login", content=raw, headers=headers), LoginAnswer)


@given(raw=st.binary(max_size=5000))
def test_login_with_any_bytes(fuzzed: Fuzzed, raw: bytes) -> None:
    answer = fuzzed.send("POST", "/api/v1/login", content=raw,
                         headers={"Content-Type": "application/json"})
    check(answer, LoginAnswer)


printable = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=120)


@given(
    header=st.one_of(
        printable,
        printable.map(lambda t: "Bearer " + t),
        st.sampled_from(["Bearer {token}", "bearer  {token} ", "Bearer{token}", "{token}"]),
        st.tuples(st.integers(0, 300), printable).map(lambda p: ("cut", *p)),
    )
)
def test_session_with_any_authorization(fuzzed: Fuzzed, header: Any) -> None:
    if isinstance(header, tuple):
        _, at, text = header
        token = fuzzed.token
        value = "Bearer " + token[: at % (len(token) + 1)] + text
    else:
        value = header.replace("{token}", fuzzed.token)
    answer = fuzzed.send("GET", "/api/v1/session", headers={"Authorization": value})
    check(answer, SessionAnswer)
    if answer.status_code == 200:  # only the genuine token, however spaced
        scheme, _, token = value.strip().partition(" ")
        assert scheme.lower() == "bearer" and token.strip() == fuzzed.token
    else:
        assert answer.status_code == 401


@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    path=st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="?#%"),
                 max_size=40),
)
def test_any_path_and_method(fuzzed: Fuzzed, method: str, path: str) -> None:
    answer = fuzzed.send(method, "/api/" + path)
    assert answer.status_code < 500
    if answer.status_code >= 400:
        ErrorBody.model_validate_json(answer.content)


microflow_names = st.one_of(
    st.sampled_from(["Sales.CountOpenOrders", "Sales.SUB_Order_MarkShipped", "Sales.BCo_Order",
                     "Sales.ACT_Order_Place", "CountOpenOrders", "Sales.Nope"]),
    st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="/?#%"),
            min_size=1, max_size=30),
)
microflow_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"arguments": st.one_of(
            json_values,
            st.dictionaries(st.sampled_from(["limit", "number", "x", ""]), json_values,
                            max_size=3),
        )},
    ),
)


@given(name=microflow_names, body=microflow_bodies)
def test_microflow_calls_with_any_name_and_arguments(fuzzed: Fuzzed, name: str, body: Any) -> None:
    answer = fuzzed.send(
        "POST", f"/api/v1/microflows/{name}", content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {fuzzed.token}"},
    )
    check(answer, MicroflowResult)
