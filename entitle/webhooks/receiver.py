"""A small webhook receiver that verifies each delivery's signature the documented way — what a
partner's developer writes on their side. The demo runs one for its distributor's endpoint and
the tests script one (answering 500, stalling, then 200) to watch the retries.

    with Receiver(secret="whsec_…") as receiver:
        ...  # register receiver.url; each POST lands in receiver.received
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    # True or False once a secret is known; None if the receiver has none.
    verified: bool | None
    answered: int | None

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """Listens on 127.0.0.1 in a thread of its own. `answer(...)` scripts the next answers: an
    int is a status code, a float is seconds to stall before answering 200 (past the sender's
    timeout); after the script, every request gets 200."""

    def __init__(
        self,
        *,
        port: int = 0,
        secret: str | None = None,
        on_receive: Callable[[Received], None] | None = None,
    ) -> None:
        self.secret = secret
        self.on_receive = on_receive
        self.received: list[Received] = []
        self._script: deque[int | float] = deque()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                status = receiver._next_answer()
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver._record(Received(headers, body, receiver._verify(body, headers), status))
                if status is None:
                    return
                self.send_response(status)
                self.send_header("content-type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"not now")

            def log_message(self, format: str, *args) -> None:
                return  # quiet: the sender's delivery log tells the story

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hooks"

    def answer(self, *answers: int | float) -> None:
        with self._lock:
            self._script.extend(answers)

    def _next_answer(self) -> int | None:
        with self._lock:
            answer = self._script.popleft() if self._script else 200
        if isinstance(answer, float):
            time.sleep(answer)
            return None  # the sender has given up by now: close without an answer
        return answer

    def _record(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)
        if self.on_receive is not None:
            self.on_receive(received)

    def _verify(self, body: bytes, headers: dict[str, str]) -> bool | None:
        if not self.secret:
            return None
        try:
            Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            return False
        return True

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
