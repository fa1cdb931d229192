"""What a receiver does, as shown on the guide page and in docs/webhooks.md (a test runs this
very code against real deliveries). The code is kept as text beside the templates: it is the
receiver's code, which reads its own clock, not Traction's."""

from pathlib import Path

VERIFY_SNIPPET = (Path(__file__).parent / "templates" / "webhooks" / "verify.py.txt").read_text()
