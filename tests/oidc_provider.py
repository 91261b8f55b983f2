"""A tiny OpenID Connect provider for tests: the company's identity provider stand-in.

Plain http on 127.0.0.1 (Authlib's client checks no transport; Streamlit's cookies carry no
Secure flag unless it serves TLS itself), one client, and an authorize endpoint that approves
whoever `provider.email` names at once, with no page to click. The id_token is signed RS256
with a key made per run and published at the jwks endpoint, as Google's and Microsoft's are.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLIENT_ID = "relasi-test-client"
CLIENT_SECRET = "relasi-test-client-secret"
KEY_ID = "test-key-1"


@dataclass
class Provider:
    """The running provider; set `email` (and `name`) to choose who signs in next."""

    issuer: str
    email: str = "manager@example.com"
    name: str = "Test User"
    email_verified: bool = True
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens_issued: int = 0

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "end_session_endpoint": f"{self.issuer}/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def jwks(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]}

    def claims(self, nonce: str | None) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": hashlib.sha256(self.email.encode()).hexdigest()[:20],
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 3600,
            "email": self.email,
            "email_verified": self.email_verified,
            "name": self.name,
        }
        return claims if nonce is None else {**claims, "nonce": nonce}

    def id_token(self, nonce: str | None) -> str:
        headers = {"kid": KEY_ID}
        return jwt.encode(self.claims(nonce), self.key, algorithm="RS256", headers=headers)


def _pkce_ok(grant: dict[str, Any], verifier: str | None) -> bool:
    challenge = grant.get("code_challenge")
    if challenge is None:
        return True
    if verifier is None:
        return False
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == challenge


def _client_ok(headers: Any, form: dict[str, str]) -> bool:
    basic = headers.get("Authorization", "")
    if basic.startswith("Basic "):
        pair = base64.b64decode(basic[6:]).decode()
        return pair == f"{CLIENT_ID}:{CLIENT_SECRET}"
    return form.get("client_id") == CLIENT_ID and form.get("client_secret") == CLIENT_SECRET


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _redirect(self, url: str) -> None:
            self.send_response(302)
            self.send_header("Location", url)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self._json(200, provider.discovery())
            elif url.path == "/jwks":
                self._json(200, provider.jwks())
            elif url.path == "/authorize":
                self._authorize(query)
            elif url.path == "/userinfo":
                self._json(200, provider.claims(None))
            elif url.path == "/logout":
                self._redirect(query.get("post_logout_redirect_uri", "/"))
            else:
                self._json(404, {"error": "not_found"})

        def _authorize(self, query: dict[str, str]) -> None:
            if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
                self._json(400, {"error": "invalid_request"})
                return
            code = secrets.token_urlsafe(16)
            provider.codes[code] = query  # nonce, redirect_uri, code_challenge
            answer = {"code": code, "state": query.get("state", "")}
            self._redirect(f"{query['redirect_uri']}?{urlencode(answer)}")

        def do_POST(self) -> None:
            if urlsplit(self.path).path != "/token":
                self._json(404, {"error": "not_found"})
                return
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            grant = provider.codes.pop(form.get("code", ""), None)
            if not _client_ok(self.headers, form):
                self._json(401, {"error": "invalid_client"})
            elif grant is None or grant.get("redirect_uri") != form.get("redirect_uri"):
                self._json(400, {"error": "invalid_grant"})
            elif not _pkce_ok(grant, form.get("code_verifier")):
                self._json(400, {"error": "invalid_grant", "error_description": "PKCE"})
            else:
                provider.tokens_issued += 1
                token = {
                    "access_token": secrets.token_urlsafe(24),
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "id_token": provider.id_token(grant.get("nonce")),
                }
                self._json(200, token)

    return Handler


@contextmanager
def running_provider() -> Iterator[Provider]:
    """The provider on a free port of 127.0.0.1, served from a thread until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    provider = Provider(issuer=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
