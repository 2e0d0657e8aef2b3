"""A real HTTP receiver on a spare loopback port that records what webhooks send it."""

import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from servers import free_port


class Receiver:
    """Answers each POST with the next planned status (the last one repeats); "hang" waits
    longer than any sender's timeout before answering; "trickle" answers 200 and then sends
    its body a byte every 0.2 s for minutes, counting in `cut` the senders that hung up (and
    when, in `cut_at`). Each request is kept with its body, headers and arrival (`at`)."""

    def __init__(self, plan: list) -> None:
        self.plan = list(plan)
        self.received: list[dict] = []
        self.cut = 0
        self.cut_at: list[float] = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def next_answer(self):
        with self.lock:
            return self.plan.pop(0) if len(self.plan) > 1 else self.plan[0]

    def handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.received.append(
                        {"headers": dict(self.headers), "body": body, "at": time.monotonic()}
                    )
                answer = receiver.next_answer()
                if answer == "trickle":
                    self.trickle()
                    return
                if answer == "hang":
                    time.sleep(3)
                    answer = 200
                self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def trickle(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                try:
                    for _ in range(1000):
                        self.wfile.write(b".")
                        self.wfile.flush()
                        time.sleep(0.2)
                except OSError:
                    with receiver.lock:
                        receiver.cut += 1
                        receiver.cut_at.append(time.monotonic())

            def log_message(self, *args) -> None:
                pass

        return Handler


@contextmanager
def receiver(*plan):
    hook = Receiver(list(plan) or [200])
    server = ThreadingHTTPServer(("127.0.0.1", hook.port), hook.handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
