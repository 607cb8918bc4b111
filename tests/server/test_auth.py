"""Password hashes and signed tokens."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from nanoflow.server.auth import (
    TokenError,
    hash_password,
    issue_token,
    verify_password,
    verify_token,
)

KEY = bytes(range(32))
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_password_hash_verifies_only_its_password() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$16384$8$1$")
    assert "correct horse" not in stored
    assert verify_password("correct horse", stored)
    assert not verify_password("correct hors", stored)
    assert not verify_password("Correct horse", stored)
    assert hash_password("correct horse") != stored  # salted


@pytest.mark.parametrize("stored", ["", "plain", "md5$x$y$z$a$b", "scrypt$x$8$1$AA$AA"])
def test_unreadable_hashes_never_verify(stored: str) -> None:
    assert not verify_password("anything", stored)


def test_token_round_trip() -> None:
    token, expires = issue_token(KEY, "user-1", "device-1", 3, NOW)
    assert expires == NOW + timedelta(days=7)
    claims = verify_token(KEY, token, NOW + timedelta(days=1))
    assert (claims.user_id, claims.device_id, claims.generation) == ("user-1", "device-1", 3)
    assert claims.expires_at == expires


def test_expired_token_is_refused_as_expired() -> None:
    token, expires = issue_token(KEY, "u", "d", 1, NOW)
    with pytest.raises(TokenError) as refused:
        verify_token(KEY, token, expires)
    assert refused.value.expired


def _forge(token: str, **changes: object) -> str:
    body, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    data.update(changes)
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode() + "." + signature


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: _forge(t, u="someone-else"),
        lambda t: _forge(t, e=4102444800),
        lambda t: _forge(t, g=99),
        lambda t: t[:-2] + ("AA" if t[-2:] != "AA" else "BB"),
        lambda t: issue_token(b"another key" * 3, "u", "d", 1, NOW)[0],
        lambda t: t.replace(".", ""),
        lambda t: t + ".x",
        lambda t: "é." + t.split(".")[1],
        lambda t: "x" * 5000,
        lambda t: "",
    ],
)
def test_forged_or_malformed_tokens_are_refused(mutate: object) -> None:
    token, _ = issue_token(KEY, "u", "d", 1, NOW)
    assert callable(mutate)
    with pytest.raises(TokenError) as refused:
        verify_token(KEY, mutate(token), NOW)
    assert not refused.value.expired
