"""A small HTTP proxy on 127.0.0.1 in front of the test CKAN that counts requests and injects faults.

Faults, chosen per request by a rule:

* ``"500"`` or ``"413"``: answer that status without forwarding (the portal never saw the request);
* ``"500-after"``: forward, then answer 500 instead of the real answer (the write happened, the
  client does not know it);
* ``"hang-after"``: forward, then hold the answer longer than the client waits (a timeout whose
  write happened);
* ``None``: forward untouched.
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Rule = Callable[[str, str, int], str | None]  # (method, path, index of this request) → fault
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


@dataclass
class Seen:
    method: str
    path: str
    fault: str | None


@dataclass
class FaultProxy:
    target: str
    rule: Rule | None = None
    hang: float = 3.0
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def writes(self) -> list[Seen]:
        return [s for s in self.seen if s.method == "POST"]

    def reset(self, rule: Rule | None = None) -> None:
        with self.lock:
            self.seen.clear()
            self.rule = rule

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # keep pytest's output clean
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                with proxy.lock:
                    index = len(proxy.seen)
                    fault = proxy.rule(self.command, self.path, index) if proxy.rule else None
                    proxy.seen.append(Seen(self.command, self.path, fault))
                if fault in ("500", "413"):
                    self._answer(int(fault), [("Content-Type", "text/plain")], b"injected failure")
                    return
                status, headers, payload = self._forward(body)
                if fault == "500-after":
                    self._answer(500, [("Content-Type", "text/plain")], b"injected failure after the write")
                elif fault == "hang-after":
                    time.sleep(proxy.hang)
                    self.close_connection = True
                else:
                    self._answer(status, headers, payload)

            def _forward(self, body: bytes | None) -> tuple[int, list[tuple[str, str]], bytes]:
                target = urllib.parse.urlsplit(proxy.target)
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP | {"host"}}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
                out = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP | {"content-length"}]
                conn.close()
                return resp.status, out, payload

            def _answer(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
                try:
                    self.send_response(status)
                    for k, v in headers:
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
