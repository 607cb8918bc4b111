"""Passwords and bearer tokens.

Passwords: scrypt (hashlib), stored as `scrypt$<n>$<r>$<p>$<salt>$<hash>` (base64).

Tokens: `<payload>.<signature>`, both base64url. The payload is JSON with the user id (`u`),
device id (`d`), the user's token generation (`g`) and the expiry in epoch seconds (`e`); the
signature is HMAC-SHA256 over the payload text with the key kept in the server database, so every
process and every restart agree. Verifying checks the signature (in constant time) and the expiry
here; the caller then checks that the user still exists, is active and has that generation: a new
password or removing the user bumps or drops the generation and so revokes every token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_BYTES = 32
SALT_BYTES = 16
TOKEN_LIFETIME = timedelta(days=7)
MAX_TOKEN_CHARS = 2048


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        dklen=SCRYPT_BYTES,
        maxmem=256 * n * r + 1024 * 1024,
    )


def hash_password(password: str) -> str:
    """A new scrypt hash of a password, with a random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when the password matches the stored hash (compared in constant time)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = _scrypt(password, _unb64(salt), int(n), int(r), int(p))
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(actual, expected)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))


def burn_password_check(password: str) -> None:
    """Spend the time of a real check, so an unknown user answers as slowly as a wrong
    password."""
    verify_password(password, _dummy_hash())


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    device_id: str
    generation: int
    expires_at: datetime


class TokenError(Exception):
    """A token that cannot be used; `expired` tells an expired one from a forged one."""

    def __init__(self, message: str, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def issue_token(
    key: bytes,
    user_id: str,
    device_id: str,
    generation: int,
    now: datetime | None = None,
    lifetime: timedelta = TOKEN_LIFETIME,
) -> tuple[str, datetime]:
    """A signed token and its expiry (whole seconds)."""
    now = now or datetime.now(UTC)
    expires = (now + lifetime).replace(microsecond=0)
    payload = json.dumps(
        {"u": user_id, "d": device_id, "g": generation, "e": int(expires.timestamp())},
        separators=(",", ":"),
    )
    body = _b64(payload.encode("utf-8"))
    signature = _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())
    return f"{body}.{signature}", expires


def verify_token(key: bytes, token: str, now: datetime | None = None) -> TokenClaims:
    """The claims of a genuine, unexpired token; `TokenError` otherwise."""
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise TokenError("the token is malformed")
    body, signature = token.split(".")
    expected = _b64(hmac.new(key, body.encode("ascii", "replace"), hashlib.sha256).digest())
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii", "replace")):
        raise TokenError("the token's signature is not valid")
    try:
        data = json.loads(_unb64(body))
        claims = TokenClaims(
            str(data["u"]),
            str(data["d"]),
            int(data["g"]),
            datetime.fromtimestamp(int(data["e"]), UTC),
        )
    except (ValueError, KeyError, TypeError, binascii.Error, OverflowError):
        raise TokenError("the token is malformed") from None
    if claims.expires_at <= (now or datetime.now(UTC)):
        raise TokenError("the token has expired; log in again", expired=True)
    return claims
