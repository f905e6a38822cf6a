"""Who may write, what a response may load, how big a request may be.

- Writing (review decisions) needs the operator's API key, sent as the
  ``X-API-Key`` header or proven once through the login form, which sets a
  signed session cookie. Keys are compared in constant time and never logged.
- Every response carries a Content-Security-Policy that allows only this
  origin (no CDN, no inline script), and the usual hardening headers.
- Bodies over the configured size are refused with 413 before they are read.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

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


def keys_equal(given: str | None, expected: str) -> bool:
    """Constant-time comparison; an unset operator key never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def session_token(api_key: str) -> str:
    """A cookie value proving the holder knew ``api_key``: nonce + HMAC of the nonce."""
    nonce = secrets.token_urlsafe(16)
    sig = hmac.new(api_key.encode("utf-8"), nonce.encode("ascii"), hashlib.sha256).hexdigest()
    return f"{nonce}.{sig}"


def session_valid(token: str | None, api_key: str) -> bool:
    """Whether a session cookie was issued under ``api_key``."""
    if not token or not api_key or "." not in token:
        return False
    nonce, _, sig = token.partition(".")
    expected = hmac.new(api_key.encode("utf-8"), nonce.encode("utf-8", "replace"), hashlib.sha256).hexdigest()
    return hmac.compare_digest(sig.encode("utf-8", "replace"), expected.encode("ascii"))


def can_write(request: Request) -> bool:
    """Whether this request carries the operator's key (header) or a valid session cookie."""
    api_key: str = request.app.state.api_key
    if not api_key:
        return False
    return keys_equal(request.headers.get("x-api-key"), api_key) or session_valid(
        request.cookies.get(SESSION_COOKIE), api_key
    )


#: Declared so the OpenAPI page offers an "Authorize" box for the key.
API_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="The operator's key (writing only).")


async def require_writer(request: Request, _key: str | None = Security(API_KEY_HEADER)) -> None:
    """FastAPI dependency: 403 on a read-only server, 401 unless the request carries the key or a session."""
    if not request.app.state.api_key:
        raise HTTPException(403, "this server is read-only: the operator has not configured an API key")
    if not can_write(request):
        raise HTTPException(401, "writing needs the API key: send the X-API-Key header or log in at /login")


class SecurityMiddleware:
    """Pure ASGI middleware: body size limit (413) and security headers on every response."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
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
    body = f'{{"detail":"request body larger than {limit} bytes"}}'.encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
