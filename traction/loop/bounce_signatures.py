"""How each mail provider proves a post to the bounce URL is its own (docs/loop.md, "Bounces
from your mail provider"), checked the way the provider documents it:

- **Amazon SNS** signs every message with the key of a certificate it serves at
  ``SigningCertURL``: the string to sign is the message's fields in a fixed order, each
  ``"Name\\nvalue\\n"``; ``SignatureVersion`` 1 is RSA with SHA-1, 2 RSA with SHA-256. The
  certificate URL must be https on ``sns.<region>.amazonaws.com`` (refused before any fetch);
  certificates are cached. Always checked (there is no key to set).
- **Mailgun** signs ``timestamp + token`` with the webhook signing key (HMAC-SHA256, hex);
  a timestamp more than 5 minutes from now is stale; the token is returned so the caller can
  refuse it a second time (replay).
- **SendGrid** (Signed Event Webhook) signs ``timestamp + raw body`` with ECDSA P-256 and
  SHA-256; the verification key is the base64 public key SendGrid shows.
- **Postmark** has no signature: it sends HTTP basic auth when the webhook URL carries a
  user name and password.

Each check raises ``Refused`` naming what is wrong; nothing here writes.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import re
import threading
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from django.conf import settings

MAILGUN_MAX_AGE = dt.timedelta(minutes=5)
SENDGRID_SIGNATURE = "X-Twilio-Email-Event-Webhook-Signature"
SENDGRID_TIMESTAMP = "X-Twilio-Email-Event-Webhook-Timestamp"
SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
SNS_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ),
    "UnsubscribeConfirmation": (
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ),
}  # fmt: skip
SNS_OPTIONAL = {"Subject"}
CERT_MAX_BYTES = 64 * 1024
CERT_CACHE_SIZE = 32


class Refused(Exception):
    """The post does not prove it comes from the provider; the message says why."""

    def __init__(self, reason: str, *, challenge: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.challenge = challenge  # ask for HTTP basic auth (401) rather than refuse (403)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        data = None
    if not isinstance(data, dict):
        raise Refused("The body is not the provider's signed JSON object.")
    return data


# --- Mailgun --------------------------------------------------------------------------------


def mailgun(signing_key: str, body: bytes, now: dt.datetime) -> str:
    """Check a Mailgun webhook's ``signature``; return its token (refuse it when seen again)."""
    block = _json_object(body).get("signature")
    if not isinstance(block, dict) or not all(
        isinstance(block.get(k), str) and block.get(k) for k in ("timestamp", "token", "signature")
    ):
        raise Refused(
            "Mailgun signature missing: the body has no “signature” with timestamp, token and "
            "signature."
        )
    timestamp, token, given = (str(block[k]) for k in ("timestamp", "token", "signature"))
    expected = hmac.new(
        signing_key.encode(), (timestamp + token).encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, given.lower()):
        raise Refused(
            "Mailgun signature does not match the webhook signing key set for this workspace."
        )
    try:
        sent = dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise Refused("Mailgun signature timestamp is not a Unix time.") from None
    if abs(now - sent) > MAILGUN_MAX_AGE:
        raise Refused(
            f"Mailgun signature is stale: signed at {sent:%Y-%m-%d %H:%M:%S} UTC, more than 5 "
            "minutes from now (a replay, or a clock that is wrong)."
        )
    if len(token) > 200:
        raise Refused("Mailgun signature token is too long.")
    return token


# --- SendGrid -------------------------------------------------------------------------------


def sendgrid_key(text: str) -> ec.EllipticCurvePublicKey:
    """SendGrid's verification key as pasted (base64 of the DER public key, or PEM); raises
    ValueError saying what is wrong."""
    text = text.strip()
    if not text:
        raise ValueError("Paste the verification key SendGrid shows.")
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = serialization.load_der_public_key(base64.b64decode("".join(text.split())))
    except (ValueError, binascii.Error, TypeError):
        raise ValueError(
            "This is not a public key: paste the verification key SendGrid shows under "
            "Signed Event Webhook (a line of base64 starting “MFkw”)."
        ) from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("SendGrid's verification key is an elliptic-curve P-256 key; this is not.")
    return key


def sendgrid(public_key: str, headers: Mapping[str, str], body: bytes) -> None:
    signature = headers.get(SENDGRID_SIGNATURE, "")
    timestamp = headers.get(SENDGRID_TIMESTAMP, "")
    if not signature or not timestamp:
        raise Refused(
            f"SendGrid signature missing: the {SENDGRID_SIGNATURE} and {SENDGRID_TIMESTAMP} "
            "headers are required (turn on Signed Event Webhook)."
        )
    try:
        key = sendgrid_key(public_key)
        raw = base64.b64decode(signature, validate=True)
    except ValueError:  # binascii.Error is a ValueError
        raise Refused("SendGrid signature is not base64.") from None
    try:
        key.verify(raw, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise Refused(
            "SendGrid signature does not match the verification key set for this workspace."
        ) from None


# --- Postmark -------------------------------------------------------------------------------


def basic_auth(header: str) -> tuple[str, str] | None:
    """The user name and password of an ``Authorization: Basic`` header (None: none)."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


# --- Amazon SNS -----------------------------------------------------------------------------


def sns_string_to_sign(data: Mapping[str, Any]) -> bytes:
    kind = data.get("Type")
    fields = SNS_FIELDS.get(kind) if isinstance(kind, str) else None
    if fields is None:
        raise Refused(
            "Amazon SNS signature missing: this is not a signed SNS message (raw message "
            "delivery is not signed; turn it off on the subscription)."
        )
    lines = []
    for name in fields:
        if name not in data:
            if name in SNS_OPTIONAL:
                continue
            raise Refused(f"Amazon SNS message has no {name}, so its signature cannot be checked.")
        lines.append(f"{name}\n{data[name]}\n")
    return "".join(lines).encode()


def sns_cert_url_allowed(url: str) -> bool:
    """https on sns.<region>.amazonaws.com, or an origin the settings allow (tests only)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and SNS_HOST.match(parts.hostname or "") and not parts.username:
        return parts.port in (None, 443)
    origin = f"{parts.scheme}://{parts.netloc}"
    return origin in getattr(settings, "TRACTION_SNS_CERT_TEST_ORIGINS", ())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect elsewhere is an error, never followed


_opener = urllib.request.build_opener(_NoRedirect)
_certs: OrderedDict[str, x509.Certificate] = OrderedDict()
_certs_lock = threading.Lock()


def forget_certificates() -> None:
    with _certs_lock:
        _certs.clear()


def sns_certificate(url: str) -> x509.Certificate:
    """The signing certificate at ``url`` (checked first), fetched once and cached."""
    if not sns_cert_url_allowed(url):
        raise Refused(
            "Amazon SNS SigningCertURL must be an https URL of sns.<region>.amazonaws.com; "
            "this one was not fetched."
        )
    with _certs_lock:
        if url in _certs:
            _certs.move_to_end(url)
            return _certs[url]
    timeout = getattr(settings, "TRACTION_SNS_CERT_TIMEOUT", 5)
    try:
        with _opener.open(url, timeout=timeout) as answer:
            pem = answer.read(CERT_MAX_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise Refused(f"Amazon SNS signing certificate could not be fetched ({exc}).") from None
    if len(pem) > CERT_MAX_BYTES:
        raise Refused("Amazon SNS signing certificate is too large.")
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise Refused("Amazon SNS SigningCertURL does not serve a PEM certificate.") from None
    with _certs_lock:
        _certs[url] = cert
        while len(_certs) > CERT_CACHE_SIZE:
            _certs.popitem(last=False)
    return cert


def sns(body: bytes, now: dt.datetime) -> dict[str, Any]:
    """Check an SNS message's signature against its certificate; return the message."""
    data = _json_object(body)
    message = sns_string_to_sign(data)
    signature, url = data.get("Signature"), data.get("SigningCertURL")
    if not isinstance(signature, str) or not signature or not isinstance(url, str) or not url:
        raise Refused("Amazon SNS signature missing: no Signature or SigningCertURL.")
    version = str(data.get("SignatureVersion") or "")
    digest = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(version)  # noqa: S303 -- SNS v1
    if digest is None:
        raise Refused("Amazon SNS SignatureVersion must be 1 or 2.")
    try:
        raw = base64.b64decode(signature, validate=True)
    except ValueError:
        raise Refused("Amazon SNS Signature is not base64.") from None
    cert = sns_certificate(url)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise Refused("Amazon SNS signing certificate is not valid now (expired?).")
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise Refused("Amazon SNS signing certificate does not hold an RSA key.")
    try:
        key.verify(raw, message, padding.PKCS1v15(), digest)
    except InvalidSignature:
        raise Refused(
            "Amazon SNS signature does not match the message and its signing certificate."
        ) from None
    sns_fresh(data, now)
    return data


SNS_MAX_AGE = dt.timedelta(hours=1)  # an older signed message is a replay
SNS_SKEW = dt.timedelta(minutes=5)  # a clock ahead of ours by at most this much


def sns_fresh(data: Mapping[str, Any], now: dt.datetime) -> None:
    """Refuse a signed SNS message whose (signed) Timestamp is older than ``SNS_MAX_AGE`` or
    later than ``SNS_SKEW`` ahead of ``now``: a captured message cannot be replayed later."""
    stamp = data.get("Timestamp")
    try:
        at = dt.datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        raise Refused("Amazon SNS message has no valid Timestamp.") from None
    if at.tzinfo is None:
        raise Refused("Amazon SNS message Timestamp has no time zone.")
    if at < now - SNS_MAX_AGE:
        raise Refused(
            f"Amazon SNS message is older than an hour (Timestamp {stamp}): a replay is refused."
        )
    if at > now + SNS_SKEW:
        raise Refused(f"Amazon SNS message Timestamp {stamp} is in the future.")
