"""A real HTTP receiver on a spare loopback port that records what webhooks send it."""

import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from servers import free_port


class Receiver:
    """Answers each POST with the next planned status (the last one repeats); "hang" waits
    longer than any sender's timeout before answering."""

    def __init__(self, plan: list) -> None:
        self.plan = list(plan)
        self.received: list[dict] = []
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
                    receiver.received.append({"headers": dict(self.headers), "body": body})
                answer = receiver.next_answer()
                if answer == "hang":
                    time.sleep(3)
                    answer = 200
                self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

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
