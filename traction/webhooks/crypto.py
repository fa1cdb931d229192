"""Signing secrets: made here, stored encrypted (Fernet), and the signature a receiver checks.

The encryption key is derived (HKDF-SHA256) from ``TRACTION_WEBHOOK_KEY`` when it is set,
else from ``SECRET_KEY``; secrets encrypted under a key in ``SECRET_KEY_FALLBACKS`` (or
``TRACTION_WEBHOOK_KEY_FALLBACKS``) still decrypt, so keys can be rotated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

SECRET_PREFIX = "whsec_"  # noqa: S105 -- a prefix, not a secret
SIGNATURE_HEADER = "Traction-Signature"


class SecretUnreadable(Exception):
    """The stored secret does not decrypt with the configured keys (the key changed)."""


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _fernet_key(material: str) -> bytes:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"traction webhook secrets"
    ).derive(material.encode())
    return base64.urlsafe_b64encode(derived)


def _keys() -> list[str]:
    dedicated = getattr(settings, "TRACTION_WEBHOOK_KEY", "") or ""
    if dedicated:
        return [dedicated, *getattr(settings, "TRACTION_WEBHOOK_KEY_FALLBACKS", [])]
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(k)) for k in _keys() if k])


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "The endpoint's signing secret cannot be decrypted: the encryption key changed. "
            "Rotate the secret and give the new one to the receiver."
        ) from None


def hint(secret: str) -> str:
    return secret[-4:]


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256, in hex, of ``"{timestamp}." + body`` with the endpoint's secret."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"
