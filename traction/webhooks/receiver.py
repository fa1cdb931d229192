"""What a receiver does, as shown on the guide page and in docs/webhooks.md (a test runs this
very code against real deliveries)."""

VERIFY_SNIPPET = '''\
import hashlib
import hmac
import time


def verify(secret: str, signature_header: str, body: bytes, tolerance: int = 300) -> bool:
    """True if the Traction-Signature header signs this raw body with the secret."""
    parts = dict(item.split("=", 1) for item in signature_header.split(","))
    timestamp, received = parts.get("t", ""), parts.get("v1", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    signed = timestamp.encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, received)
'''
