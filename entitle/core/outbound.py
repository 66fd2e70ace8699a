"""Calls the server makes to URLs its users give it (webhook endpoints, identity providers),
without letting a URL turn the server against its own network.

A target must be https and reach only public addresses: every address its host name resolves
to is checked when the URL is saved, and again when each connection is made (the connection goes
to the address that was checked, so a name that changes its answer in between gains nothing).
Private, loopback, link-local and reserved addresses are refused unless
`ENTITLE["ALLOW_PRIVATE_TARGETS"]` is set (development and tests), which also allows plain http.
Redirects are not followed.
"""

import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore
from django.conf import settings

from entitle.core.errors import DomainError

# Of an answer, a log keeps this much (receivers sometimes explain a refusal).
EXCERPT = 200
# Of an answer, this much is read at most (an identity provider's keys fit easily).
READ_AT_MOST = 256 * 1024


class TargetRefused(DomainError):
    """Not a URL the server will call: not https, or it reaches a private or local address."""

    status = 422
    code = "url_refused"


@dataclass(frozen=True)
class Outcome:
    status: int | None
    body: bytes
    error: str
    duration_ms: int

    @property
    def excerpt(self) -> str:
        return self.body[:EXCERPT].decode("utf-8", "replace")

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _private_allowed() -> bool:
    return bool(settings.ENTITLE.get("ALLOW_PRIVATE_TARGETS"))


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def check_url(url: str, *, field: str = "url") -> str:
    """The URL, cleaned, or TargetRefused with the reason (placed next to `field`)."""
    url = (url or "").strip()
    parts = urlsplit(url)
    schemes = ("https", "http") if _private_allowed() else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise TargetRefused("Enter a full https:// URL.", field=field)
    if parts.username or parts.password:
        raise TargetRefused("Put no user name or password in the URL.", field=field)
    if len(url) > 500:
        raise TargetRefused("The URL is too long (500 characters at most).", field=field)
    if _private_allowed():
        return url
    try:
        addresses = _resolve(parts.hostname, parts.port or 443)
    except (OSError, UnicodeError):
        # Not resolvable now (perhaps not yet published): every connection is checked anyway.
        return url
    if not all(_public(address) for address in addresses):
        raise TargetRefused(
            "This URL reaches a private or local network address; only public addresses can "
            "be used.",
            field=field,
        )
    return url


class GuardedBackend(httpcore.SyncBackend):
    """Resolves the host itself, refuses non-public addresses, and connects to an address it
    checked. TLS still verifies the certificate against the URL's host name."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            addresses = _resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}") from exc
        if not _private_allowed():
            addresses = [address for address in addresses if _public(address)]
            if not addresses:
                raise httpcore.ConnectError(f"{host} resolves to a private address: refused")
        error: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                error = exc
        raise error or httpcore.ConnectError(f"cannot connect to {host}")


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    """POST the body; the outcome, never an exception (a failure is an attempt's result)."""
    return request("POST", url, body=body, headers=headers, timeout=timeout)


class OutboundError(Exception):
    """A GET that did not produce what was asked for."""


def get_json(url: str, *, timeout: float) -> dict:
    """GET a JSON document (an identity provider's metadata or keys), or OutboundError."""
    outcome = request("GET", url, headers={"accept": "application/json"}, timeout=timeout)
    if not outcome.succeeded:
        raise OutboundError(outcome.error or f"{url} answered HTTP {outcome.status}.")
    try:
        document = json.loads(outcome.body)
    except ValueError as exc:
        raise OutboundError(f"{url} did not answer with JSON.") from exc
    if not isinstance(document, dict):
        raise OutboundError(f"{url} did not answer with a JSON object.")
    return document


def request(
    method: str, url: str, *, headers: dict[str, str], timeout: float, body: bytes = b""
) -> Outcome:
    """One request through the guarded connection; its outcome, never an exception."""
    started = time.monotonic()
    status, answer, error = None, b"", ""
    limits = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
    try:
        with (
            httpcore.ConnectionPool(network_backend=GuardedBackend()) as pool,
            pool.stream(
                method,
                url,
                headers=list(headers.items()),
                content=body,
                extensions={"timeout": limits},
            ) as response,
        ):
            status = response.status
            received = b""
            for chunk in response.iter_stream():
                received += chunk
                if len(received) >= READ_AT_MOST:
                    break
            answer = received
    except httpcore.TimeoutException:
        error = f"No answer within {timeout:g} s."
    except (httpcore.ConnectError, httpcore.NetworkError) as exc:
        error = f"Could not connect: {exc}"[:EXCERPT]
    except (httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
        error = f"Not a valid HTTP answer: {exc}"[:EXCERPT]
    duration = int((time.monotonic() - started) * 1000)
    return Outcome(status=status, body=answer, error=error, duration_ms=duration)
