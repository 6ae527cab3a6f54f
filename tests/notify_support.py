"""What the notification tests share: a real SMTP server (aiosmtpd on 127.0.0.1) whose mails
the tests read, a webhook receiver, a server that accepts connections and never answers (a
stalled SMTP server or webhook), and an app with mail configured whose worker the tests run
by hand."""

from __future__ import annotations

import email
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from starlette.testclient import TestClient

from backend.app import create_app
from backend.notify.worker import Worker
from backend.settings import Settings, StoreURL
from backend.store.base import Store
from tests.conftest import ORIGIN, Clock, make_settings
from tests.servers import free_port

MAIL_FROM = "Blog comments <comments@blog.test>"


@dataclass
class Mailbox:
    """Every message the SMTP server accepted, parsed, with its envelope recipients and the
    bytes as they arrived (`raw`: what a mailbox provider reads, before any decoding)."""

    url: str = ""
    messages: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    refuse: list[str] = field(default_factory=list)  # SMTP replies to give DATA first
    arrived: threading.Event = field(default_factory=threading.Event)  # set on each message

    def clear(self) -> None:
        self.messages.clear()
        self.raw.clear()
        self.recipients.clear()
        self.refuse.clear()

    def raw_to(self, address: str) -> list[bytes]:
        return [r for r, rcpt in zip(self.raw, self.recipients, strict=True) if address in rcpt]

    def to(self, address: str) -> list[EmailMessage]:
        return [
            m for m, rcpt in zip(self.messages, self.recipients, strict=True) if address in rcpt
        ]

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse.pop(0)
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.raw.append(bytes(envelope.original_content or envelope.content))
        self.recipients.append(list(envelope.rcpt_tos))
        self.arrived.set()
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.url = f"smtp://127.0.0.1:{port}?tls=none"
    try:
        yield box
    finally:
        controller.stop()


@dataclass
class Stalled:
    """A server that accepts connections and never says a word."""

    port: int = 0
    accepted: int = 0
    connected: threading.Event = field(default_factory=threading.Event)


@contextmanager
def stalled_server() -> Iterator[Stalled]:
    state = Stalled()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    state.port = listener.getsockname()[1]
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)
            state.accepted += 1
            state.connected.set()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()


@dataclass
class Hook:
    """A webhook receiver: records every request; answers from `statuses` (then 200)."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    delay_s: float = 0.0


@contextmanager
def webhook_server() -> Iterator[Hook]:
    state = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            state.raw.append(body)
            state.received.append(json.loads(body))
            state.headers.append({k.lower(): v for k, v in self.headers.items()})
            if state.delay_s:
                time.sleep(state.delay_s)
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def mail_settings(url: StoreURL, sites: dict[str, Any], mail: str | None, **env: str) -> Settings:
    if url.scheme == "sqlite":
        store_url = f"sqlite:///{url.path}"
    else:
        query = f"region={url.region}" + (f"&endpoint={url.endpoint}" if url.endpoint else "")
        store_url = f"dynamodb://{url.table}?{query}"
    if mail is not None:
        env = {"PARLEY_MAIL": mail, "PARLEY_MAIL_FROM": MAIL_FROM, **env}
    return make_settings(store_url, sites, **env)


@contextmanager
def mail_client(
    store_and_url: tuple[Store, StoreURL],
    clock: Clock,
    sites: dict[str, Any],
    mail: str | None,
    **env: str,
) -> Iterator[TestClient]:
    store, url = store_and_url
    app = create_app(mail_settings(url, sites, mail, **env), store, clock=clock)
    with TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN}) as client:
        yield client


def worker_of(client: TestClient) -> Worker:
    worker: Worker = client.app.state.parley.worker  # type: ignore[attr-defined]
    return worker


def drain(client: TestClient) -> int:
    """Run the worker by hand: deliver everything due now."""
    return worker_of(client).drain()


def link_path(url: str) -> str:
    assert url.startswith("http://api.test/"), url
    return url.removeprefix("http://api.test")


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    content: str = part.get_content()  # type: ignore[attr-defined]
    return content


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    content: str = part.get_content()  # type: ignore[attr-defined]
    return content
