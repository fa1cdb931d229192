"""A loopback SMTP server that keeps what it receives: enough SMTP for Django's client.

Plain SMTP, or implicit TLS when given an SSL context (what port 465 speaks). Runs in a
thread; ``messages`` holds (sender, recipients, data) per accepted message.
"""

from __future__ import annotations

import socketserver
import ssl
import sys
import threading
from dataclasses import dataclass, field
from types import TracebackType


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: str


@dataclass
class SmtpSink:
    tls: ssl.SSLContext | None = None
    messages: list[Received] = field(default_factory=list)
    errors: list[BaseException | None] = field(default_factory=list)
    port: int = 0

    def __enter__(self) -> SmtpSink:
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def setup(self) -> None:
                if sink.tls is not None:
                    self.request = sink.tls.wrap_socket(self.request, server_side=True)
                super().setup()

            def reply(self, line: str) -> None:
                self.wfile.write((line + "\r\n").encode())
                self.wfile.flush()

            def handle(self) -> None:
                self.reply("220 sink ESMTP")
                sender, recipients = "", []
                while raw := self.rfile.readline():
                    line = raw.decode().rstrip("\r\n")
                    verb = line.split(" ", 1)[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250 sink")
                    elif verb == "MAIL":
                        sender, recipients = line.split(":", 1)[1].strip(" <>"), []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        recipients.append(line.split(":", 1)[1].strip(" <>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 go on")
                        lines = []
                        while (data := self.rfile.readline().decode()) not in (".\r\n", ""):
                            lines.append(data)
                        sink.messages.append(Received(sender, recipients, "".join(lines)))
                        self.reply("250 queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:  # RSET, NOOP
                        self.reply("250 OK")

        class Server(socketserver.ThreadingTCPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                # A client that refuses the certificate breaks the handshake here: expected
                # in the TLS tests, and printed from this thread it would land in the output
                # a test is reading (CliRunner captures stderr process-wide).
                sink.errors.append(sys.exc_info()[1])

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
