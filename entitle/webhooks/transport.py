"""Sending a webhook over HTTP, without letting a URL turn the server against its own network.

A target must be http(s) and reach only public addresses: every address its host name resolves
to is checked when the endpoint is registered and again when each connection is made (the
connection goes to the address that was checked, so a name that changes its answer between the
check and the connection gains nothing). Private, loopback, link-local and reserved addresses
are refused unless `ENTITLE["WEBHOOK_ALLOW_PRIVATE"]` is set (development and tests), which also
allows plain http. Redirects are not followed.
"""

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore
from django.conf import settings

from entitle.webhooks.errors import TargetRefused

# Of a response, the log keeps this much (receivers sometimes explain a refusal).
EXCERPT = 200
READ_AT_MOST = 4096


@dataclass(frozen=True)
class Outcome:
    status: int | None
    excerpt: str
    error: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _private_allowed() -> bool:
    return bool(settings.ENTITLE.get("WEBHOOK_ALLOW_PRIVATE"))


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def check_url(url: str) -> str:
    """The URL, cleaned, or TargetRefused with the reason."""
    url = (url or "").strip()
    parts = urlsplit(url)
    schemes = ("https", "http") if _private_allowed() else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise TargetRefused("Enter a full https:// URL.", field="url")
    if parts.username or parts.password:
        raise TargetRefused("Put no user name or password in the URL.", field="url")
    if len(url) > 500:
        raise TargetRefused("The URL is too long (500 characters at most).", field="url")
    if _private_allowed():
        return url
    try:
        addresses = _resolve(parts.hostname, parts.port or 443)
    except (OSError, UnicodeError):
        # Not resolvable now (perhaps not yet published): every connection is checked anyway.
        return url
    if not all(_public(address) for address in addresses):
        raise TargetRefused(
            "This URL reaches a private or local network address; webhooks go to public "
            "addresses only.",
            field="url",
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
    started = time.monotonic()
    status, excerpt, error = None, "", ""
    limits = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
    try:
        with (
            httpcore.ConnectionPool(network_backend=GuardedBackend()) as pool,
            pool.stream(
                "POST",
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
            excerpt = received[:EXCERPT].decode("utf-8", "replace")
    except httpcore.TimeoutException:
        error = f"No answer within {timeout:g} s."
    except (httpcore.ConnectError, httpcore.NetworkError) as exc:
        error = f"Could not connect: {exc}"[:EXCERPT]
    except (httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
        error = f"Not a valid HTTP answer: {exc}"[:EXCERPT]
    duration = int((time.monotonic() - started) * 1000)
    return Outcome(status=status, excerpt=excerpt, error=error, duration_ms=duration)
