"""Who may write, what a response may load, how big a request may be, which host it may name.

- Writing (review decisions) needs the operator's API key, sent as the
  ``X-API-Key`` header or proven once through the login form, which sets a
  signed session cookie. Keys are compared in constant time and never logged.
  A session lasts at most ``SESSION_SECONDS`` and ends at logout: the server
  forgets it, so a copied cookie stops working too.
- Wrong keys are throttled per client address: after ``login_attempts``
  failures (login form or ``X-API-Key``) the address gets 429 for
  ``login_lockout_s`` seconds.
- Only the configured ``Host`` names are answered (400 otherwise): a web page
  on another site cannot reach a loopback server through DNS rebinding.
- Every response carries a Content-Security-Policy that allows only this
  origin (no CDN, no inline script), and the usual hardening headers.
- Bodies over the configured size are refused with 413 before they are read.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from http.cookies import SimpleCookie

from fastapi import HTTPException, Request, Security
from fastapi.security import APIKeyHeader
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "diversion_session"

CSP = (
    "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data: blob:; "
    # plotly.js and Cytoscape.js set element styles at run time; scripts stay self-only.
    "style-src 'self' 'unsafe-inline'; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    # same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on form posts.
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


#: Longest a login session lasts (the cookie's max-age as well).
SESSION_SECONDS = 8 * 3600


class Sessions:
    """Sessions that ended before their time (logout): their cookies are refused from then on."""

    def __init__(self) -> None:  # noqa: D107
        self._ended: dict[str, float] = {}
        self._lock = threading.Lock()

    def end(self, token: str | None) -> None:
        """Forget the session of ``token`` (logout)."""
        if not token:
            return
        now = time.time()
        with self._lock:
            self._ended = {k: t for k, t in self._ended.items() if t > now}  # expired ones need no entry
            self._ended[token.partition(".")[0]] = now + SESSION_SECONDS

    def ended(self, token: str) -> bool:
        """Whether ``token``'s session was ended by a logout."""
        with self._lock:
            return token.partition(".")[0] in self._ended


class Throttle:
    """Failed key attempts per client address; too many lock the address out for a while."""

    def __init__(self, attempts: int, lockout_s: float) -> None:  # noqa: D107
        self.attempts = max(1, attempts)
        self.lockout_s = lockout_s
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """Seconds ``client`` must wait before trying a key again (0 = it may try now)."""
        now = time.time()
        with self._lock:
            recent = [t for t in self._failures.get(client, []) if t > now - self.lockout_s]
            self._failures[client] = recent
            if len(recent) < self.attempts:
                return 0
            return max(1, int(recent[-self.attempts] + self.lockout_s - now) + 1)

    def failed(self, client: str) -> None:
        """Count one wrong key from ``client``."""
        with self._lock:
            self._failures.setdefault(client, []).append(time.time())
            if len(self._failures) > 10_000:  # a flood of addresses must not grow memory without bound
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, client: str) -> None:
        """Forget ``client``'s failures after a right key."""
        with self._lock:
            self._failures.pop(client, None)


def client_address(scope: Scope) -> str:
    """The peer address of a request (proxy headers are not trusted)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def keys_equal(given: str | None, expected: str) -> bool:
    """Constant-time comparison; an unset operator key never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def session_token(api_key: str) -> str:
    """A cookie value proving the holder knew ``api_key``: issue time and nonce, + HMAC of both."""
    nonce = f"{int(time.time())}-{secrets.token_urlsafe(16)}"
    sig = hmac.new(api_key.encode("utf-8"), nonce.encode("ascii"), hashlib.sha256).hexdigest()
    return f"{nonce}.{sig}"


def session_valid(token: str | None, api_key: str, sessions: Sessions | None = None) -> bool:
    """Whether a session cookie was issued under ``api_key``, is younger than ``SESSION_SECONDS`` and not ended."""
    if not token or not api_key or "." not in token:
        return False
    nonce, _, sig = token.partition(".")
    expected = hmac.new(api_key.encode("utf-8"), nonce.encode("utf-8", "replace"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(sig.encode("utf-8", "replace"), expected.encode("ascii")):
        return False
    issued = nonce.split("-", 1)[0]
    if not issued.isdigit() or time.time() - int(issued) > SESSION_SECONDS:
        return False
    return not (sessions is not None and sessions.ended(token))


def can_write(request: Request) -> bool:
    """Whether this request carries the operator's key (header) or a valid session cookie."""
    api_key: str = request.app.state.api_key
    if not api_key:
        return False
    sessions: Sessions | None = getattr(request.app.state, "sessions", None)
    return keys_equal(request.headers.get("x-api-key"), api_key) or session_valid(
        request.cookies.get(SESSION_COOKIE), api_key, sessions
    )


#: Declared so the OpenAPI page offers an "Authorize" box for the key.
API_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="The operator's key (writing only).")


async def require_writer(request: Request, _key: str | None = Security(API_KEY_HEADER)) -> None:
    """FastAPI dependency: 403 on a read-only server, 401 unless the request carries the key or a session."""
    if not request.app.state.api_key:
        raise HTTPException(403, "this server is read-only: the operator has not configured an API key")
    throttle: Throttle = request.app.state.throttle
    client = client_address(request.scope)
    wait = throttle.retry_after(client)
    if wait:
        raise HTTPException(429, "too many wrong keys from this address; wait and retry",
                            headers={"retry-after": str(wait)})
    if not can_write(request):
        if request.headers.get("x-api-key"):
            throttle.failed(client)
        raise HTTPException(401, "writing needs the API key: send the X-API-Key header or log in at /login")


def allowed_host(host_header: str, allowed: frozenset[str]) -> bool:
    """Whether a ``Host`` header names one of ``allowed`` (port ignored; ``*`` allows any).

    >>> allowed_host("localhost:8000", frozenset({"localhost"})), allowed_host("[::1]:80", frozenset({"[::1]"}))
    (True, True)
    >>> allowed_host("evil.example", frozenset({"localhost"}))
    False
    """
    if "*" in allowed:
        return True
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host[: host.find("]") + 1]
    else:
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return host in allowed


class SecurityMiddleware:
    """Pure ASGI middleware: Host allow-list (400), body size limit (413), login throttle (429), logout,
    and security headers on every response."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        allowed_hosts: frozenset[str] = frozenset({"*"}),
        throttle: Throttle | None = None,
        sessions: Sessions | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.allowed_hosts = allowed_hosts
        self.throttle = throttle or Throttle(5, 300)
        self.sessions = sessions or Sessions()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if not allowed_host(headers.get(b"host", b"").decode("latin-1"), self.allowed_hosts):
            await _refuse(send, 400, "unknown Host header: this server answers only its configured host names "
                                     "(web.allowed_hosts)")
            return
        path, method = scope.get("path", ""), scope.get("method", "")
        client = client_address(scope)
        login = path == "/login" and method == "POST"
        if login:
            wait = self.throttle.retry_after(client)
            if wait:
                await _refuse(send, 429, f"too many wrong keys from this address; retry in {wait} s",
                              [(b"retry-after", str(wait).encode())])
                return
        if path == "/logout" and method == "POST":
            cookie: SimpleCookie = SimpleCookie()
            try:
                cookie.load(headers.get(b"cookie", b"").decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header ends no session
                cookie = SimpleCookie()
            if SESSION_COOKIE in cookie:
                self.sessions.end(cookie[SESSION_COOKIE].value)
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await _too_large(send, self.max_body_bytes)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if login:  # the login form answers 401 for a wrong key, 303 for a right one
                    if message["status"] == 401:
                        self.throttle.failed(client)
                    elif message["status"] < 400:
                        self.throttle.succeeded(client)
                extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLarge:
            if not started:
                await _too_large(send, self.max_body_bytes)


class _BodyTooLarge(HTTPException):
    """A chunked body grew past the limit while being read (FastAPI renders it as 413)."""

    def __init__(self) -> None:
        super().__init__(413, "request body too large")


async def _too_large(send: Send, limit: int) -> None:
    await _refuse(send, 413, f"request body larger than {limit} bytes")


async def _refuse(send: Send, status: int, detail: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    import json

    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()] + (extra or [])
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
