"""What a public link exposes, bounded: every route Gradio serves is an entry, not only our endpoints.

* `GuardedSketchpad`: Gradio's Sketchpad with its `accept_blobs` route (reachable by anyone through
  `/gradio_api/component_server`) limited to a few layers and a few pending drawings, and every image
  it is given checked by its header before anything is decoded.
* `RequestLimits`: an ASGI middleware in front of all of Gradio: request bodies are capped by size
  (counted as they arrive, not trusted from Content-Length), and repeated wrong logins lock the
  login out for a while.
"""
from __future__ import annotations

import collections
import json
import threading
import time

import gradio as gr
from fastapi import HTTPException
from gradio.components.base import server
from gradio.data_classes import FileData

from .messages import for_visitors
from .preprocess import ImageProblem, check_image_header

MAX_LAYERS = 4  # our canvases have one layer; the browser sends layer 0 only
MAX_PENDING_DRAWINGS = 64  # accept_blobs uploads kept until their prediction runs (oldest dropped)
MAX_UPLOAD_BYTES = 11 * 1024 * 1024  # a 10 MB file plus its multipart envelope
MAX_OTHER_BYTES = 1024 * 1024  # JSON bodies (queue/join, call, login): file data goes by upload
LOGIN_FAILURES = 5  # wrong logins from one client before it is locked out ...
LOGIN_LOCKOUT_S = 60.0  # ... for this long (doubling while it keeps trying)
LOGIN_FAILURES_GLOBAL = 30  # and at most this many wrong logins per minute from everyone


class PendingDrawings(collections.OrderedDict):
    """Gradio's blob store (drawing id → its uploaded images), holding at most `limit` drawings:
    a drawing whose prediction never runs (a skipped event, or a visitor who only uploads) would
    otherwise stay in memory for good."""

    def __init__(self, limit: int = MAX_PENDING_DRAWINGS):
        super().__init__()
        self.limit = limit
        self._lock = threading.Lock()

    def __setitem__(self, key, value):
        with self._lock:
            super().__setitem__(key, value)
            self.move_to_end(key)
            while len(self) > self.limit:
                self.popitem(last=False)


class GuardedSketchpad(gr.Sketchpad):
    """gr.Sketchpad whose inputs are bounded before Gradio allocates or decodes anything.
    (No __init__ of its own: Gradio reads a component's props from its __init__'s signature.)"""

    blob_storage: PendingDrawings

    def get_block_name(self) -> str:
        return "imageeditor"  # the same front end as gr.Sketchpad

    def get_block_class(self) -> str:
        return "imageeditor"

    def __setattr__(self, name, value):
        if name == "blob_storage" and not isinstance(value, PendingDrawings):
            value = PendingDrawings()  # Gradio's __init__ sets a plain dict
        super().__setattr__(name, value)

    @server
    def accept_blobs(self, data):
        """The browser's upload of one image of a drawing: refuse layer indexes past MAX_LAYERS
        (Gradio would allocate a list that long), unknown kinds and images over the pixel limit."""
        kind = data.data.get("type")
        index = data.data.get("index")
        if kind not in ("layer", "background", "composite"):
            raise HTTPException(400, "unknown sketchpad part")
        if kind == "layer":
            try:
                index = int(index)
            except (TypeError, ValueError):
                raise HTTPException(400, "a layer needs an index") from None
            if not 0 <= index < MAX_LAYERS:
                raise HTTPException(400, f"at most {MAX_LAYERS} layers")
        if len(data.files) != 1:
            raise HTTPException(400, "one image per part")
        try:
            check_image_header(data.files[0][1])
        except ImageProblem as error:
            raise HTTPException(400, str(error)) from None
        return super().accept_blobs(data)

    def preprocess(self, payload):
        """Check a drawing sent to an event (files by path, or blobs by id) before Gradio decodes
        every part of it to an array."""
        if payload is not None:
            if payload.id is not None:
                cached = self.blob_storage.get(payload.id)
                parts = [] if cached is None else [cached.background, cached.composite, *cached.layers]
                layers = 0 if cached is None else len(cached.layers)
            else:
                parts = [payload.background, payload.composite, *payload.layers]
                layers = len(payload.layers)
            if layers > MAX_LAYERS:
                raise gr.Error(f"a drawing has at most {MAX_LAYERS} layers, not {layers}")
            try:
                for part in parts:
                    if isinstance(part, FileData):
                        check_image_header(part.path)
                    elif isinstance(part, (bytes, bytearray)):
                        check_image_header(part)
            except ImageProblem as error:
                self.blob_storage.pop(payload.id, None)
                raise gr.Error(f"Can't read that drawing: {for_visitors(error)}") from None
        return super().preprocess(payload)


class LoginThrottle:
    """Counts wrong logins per client; a client with LOGIN_FAILURES recent failures is locked out
    for LOGIN_LOCKOUT_S (doubling each time), and everyone is once LOGIN_FAILURES_GLOBAL failures
    happened within a minute (a client can change its address; the share tunnel hides them all)."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.failures: dict[str, list[float]] = {}
        self.locked_until: dict[str, float] = {}
        self.lockouts: dict[str, int] = {}
        self.recent: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def wait_seconds(self, client: str) -> float:
        """0 if `client` may try to log in now, else how long it must wait."""
        now = self.clock()
        with self._lock:
            while self.recent and self.recent[0] < now - 60:
                self.recent.popleft()
            wait = self.locked_until.get(client, 0) - now
            if len(self.recent) >= LOGIN_FAILURES_GLOBAL:
                wait = max(wait, self.recent[0] + 60 - now)
            return max(0.0, wait)

    def failed(self, client: str) -> None:
        now = self.clock()
        with self._lock:
            self.recent.append(now)
            times = [t for t in self.failures.get(client, []) if t > now - 300] + [now]
            if len(times) >= LOGIN_FAILURES:
                count = self.lockouts.get(client, 0)
                self.locked_until[client] = now + LOGIN_LOCKOUT_S * 2 ** min(count, 6)
                self.lockouts[client] = count + 1
                times = []
            self.failures[client] = times
            if len(self.failures) > 10_000:  # bounded bookkeeping
                self.failures.clear()

    def succeeded(self, client: str) -> None:
        with self._lock:
            self.failures.pop(client, None)
            self.lockouts.pop(client, None)


class RequestLimits:
    """ASGI middleware in front of the whole Gradio app (see the module docstring)."""

    def __init__(self, app, throttle: LoginThrottle | None = None):
        self.app = app
        self.throttle = throttle or LoginThrottle()

    @staticmethod
    def body_limit(path: str) -> int:
        if path.rstrip("/").endswith(("/upload", "/component_server")):
            return MAX_UPLOAD_BYTES
        return MAX_OTHER_BYTES

    @staticmethod
    def client_of(scope) -> str:
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":  # the share tunnel / a proxy: the original address
                return value.decode("latin-1").split(",")[0].strip()
        return (scope.get("client") or ("?",))[0]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        limit = self.body_limit(path)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await self._refuse(send, 413, f"request body over {limit // 1024} KB")
        is_login = path.rstrip("/").endswith("/login")
        client = self.client_of(scope)
        if is_login:
            wait = self.throttle.wait_seconds(client)
            if wait > 0:
                return await self._refuse(send, 429, f"too many wrong logins: try again in {wait:.0f} s")
        # Read the whole body first (at most `limit` bytes, however it is sent), so that an
        # oversized one gets a clear 413 and nothing behind us ever holds more.
        chunks, received = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            received += len(chunks[-1])
            if received > limit:
                return await self._refuse(send, 413, f"request body over {limit // 1024} KB")
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def watched_send(message):
            if is_login and message["type"] == "http.response.start":
                if message["status"] == 200:
                    self.throttle.succeeded(client)
                elif message["status"] in (400, 401):
                    self.throttle.failed(client)
            await send(message)

        await self.app(scope, replay, watched_send)

    @staticmethod
    async def _refuse(send, status: int, message: str) -> None:
        body = json.dumps({"detail": message, "error": message}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
