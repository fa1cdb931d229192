"""Real keys for the mail providers' signatures in tests, made fresh for each test: an RSA key
and a self-signed certificate served over HTTP on loopback, signing SNS messages as Amazon
SNS does; Mailgun's HMAC; SendGrid's ECDSA P-256. Nothing here is a mock of the checks: the
app fetches the certificate from the server and verifies what these sign."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from traction.loop import bounce_signatures


def self_signed(
    key: rsa.RSAPrivateKey, *, days: int = 365, start: dt.datetime | None = None
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.test.amazonaws.com")])
    begin = start or dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(begin)
        .not_valid_after(begin + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )


class CertServer:
    """A real HTTP server on 127.0.0.1 serving PEM certificates by path; counts requests."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                body = owner.files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/x-pem-file")
                self.end_headers()
                self.wfile.write(body or b"not found")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, path: str, cert: x509.Certificate) -> str:
        self.files[path] = cert.public_bytes(serialization.Encoding.PEM)
        return self.origin + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SnsSigner:
    """Signs SNS messages the way Amazon SNS does, with a certificate the server serves."""

    def __init__(self, server: CertServer) -> None:
        self.server = server
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.cert_url = server.serve("/SimpleNotificationService-test.pem", self_signed(self.key))

    def sign(
        self, message: dict[str, Any], *, version: str = "1", key: rsa.RSAPrivateKey | None = None
    ) -> dict[str, Any]:
        signed = {**message, "SignatureVersion": version, "SigningCertURL": self.cert_url}
        text = bounce_signatures.sns_string_to_sign(signed)
        digest = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303
        signature = (key or self.key).sign(text, padding.PKCS1v15(), digest)
        signed["Signature"] = base64.b64encode(signature).decode()
        return signed


def mailgun_key() -> str:
    return "key-" + secrets.token_hex(16)


def mailgun_sign(
    payload: dict[str, Any], key: str, *, timestamp: int, token: str | None = None
) -> dict[str, Any]:
    token = token or secrets.token_hex(25)
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        **payload,
        "signature": {"timestamp": str(timestamp), "token": token, "signature": signature},
    }


class SendGridKey:
    """A P-256 key pair like SendGrid's; ``public`` is what SendGrid shows (base64 DER)."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        der = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public = base64.b64encode(der).decode()

    def headers(self, body: bytes, timestamp: int) -> dict[str, str]:
        signature = self.private.sign(str(timestamp).encode() + body, ec.ECDSA(hashes.SHA256()))
        return {
            "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE": base64.b64encode(signature).decode(),
            "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP": str(timestamp),
        }
