"""Outgoing HTTP to addresses admins typed in: webhook URLs are checked against server-side
request forgery (SSRF).

A webhook URL could point the server at itself, the office network or a cloud metadata service.
So only http and https are allowed, and every address the host resolves to must be a public one:
no private, loopback, link-local, metadata (169.254.169.254, fd00:ec2::254), unspecified, shared
(100.64/10), reserved or multicast address, unless the admin allows it in `WORKBENCH_WEBHOOK_ALLOW`
(host names and CIDRs). The host is resolved when a message is sent, not only when the URL is
registered, and the connection goes to the very address that was checked, so a DNS answer that
changes in between (DNS rebinding) cannot slip past. Redirects are never followed: a 3xx is a
failed attempt.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
METADATA = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
URL_MAX = 2000
RESPONSE_MAX = 64 * 1024  # what we read of a receiver's answer (we only need its status)


class UnsafeURL(ValueError):
    """The URL may not be called; the message says why and what to do."""


class SendFailed(Exception):
    """No HTTP answer: refused, timed out, TLS error, unsafe address. The message says which."""


@dataclass(frozen=True)
class Allowance:
    """Hosts and networks an admin allowed although they are not public."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Allowance:
        hosts, networks = set(), []
        for entry in (e.strip() for e in entries):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


def why_forbidden(address: IPAddress) -> str | None:
    """Why an address is not public, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA:
        return "a cloud metadata address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "not a public address"
    return None


def check_url(url: str) -> SplitResult:
    """The URL's parts if its form is acceptable (scheme, host, no credentials)."""
    if len(url) > URL_MAX:
        raise UnsafeURL(f"The address is longer than {URL_MAX:,} characters.")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise UnsafeURL("A webhook address cannot contain spaces or control characters.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL("A webhook address must start with https:// (or http://).")
    if not parts.hostname:
        raise UnsafeURL("The webhook address has no host name.")
    if parts.username or parts.password:
        raise UnsafeURL("Put no user name or password in the address; the secret signs messages.")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise UnsafeURL(
            "The port in the webhook address is not a number from 1 to 65535."
        ) from None
    return parts


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host resolves to (a literal address resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise SendFailed(f"The host name {host!r} could not be resolved ({exc}).") from None
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in found:
            found.append(address)
    return found


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def check_addresses(host: str, addresses: list[IPAddress], allow: Allowance) -> None:
    """Refuse unless every address is public or allowed: one bad address is enough to refuse,
    since we cannot know which one a later connection would get."""
    if host.lower().rstrip(".") in allow.hosts:
        return
    for address in addresses:
        reason = why_forbidden(address)
        if reason is not None and not allow.allows(address):
            raise UnsafeURL(
                f"{host} resolves to {address}, {reason}: webhooks may only call public "
                "addresses. If this receiver is meant to be inside your network, an administrator "
                "can allow it with WORKBENCH_WEBHOOK_ALLOW."
            )


def check_for_registration(url: str, allow: Allowance) -> str | None:
    """Check a URL an admin is registering; returns a warning when the host cannot be resolved
    now (it is checked again on every send)."""
    parts = check_url(url)
    host = parts.hostname or ""
    try:
        addresses = resolve(host, _port(parts))
    except SendFailed:
        return f"The host {host} could not be resolved just now; it is checked again on every send."
    check_addresses(host, addresses, allow)
    return None


@dataclass(frozen=True)
class Answer:
    status: int
    location: str | None


def _connect(addresses: list[str], port: int, timeout: float) -> socket.socket:
    """A connection to the first of the checked addresses that answers (a name may resolve to
    an IPv6 address the receiver does not listen on, then to an IPv4 one that it does)."""
    failure: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            failure = exc
    assert failure is not None  # resolve() never returns an empty list
    raise failure


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked addresses, while Host says the name the receiver expects."""

    def __init__(self, host: str, addresses: list[str], port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses

    def connect(self) -> None:
        self.sock = _connect(self._addresses, self.port, self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, addresses: list[str], port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._addresses = addresses

    def connect(self) -> None:
        sock = _connect(self._addresses, self.port, self.timeout)
        # Certificate and SNI are checked against the host name, not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(
    url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow: Allowance
) -> Answer:
    """POST once, to a checked address, without following redirects.

    Raises UnsafeURL when the host resolves to a forbidden address, SendFailed when there is no
    answer (refused, timed out, TLS); an answer of any status is returned.
    """
    parts = check_url(url)
    host, port = parts.hostname or "", _port(parts)
    addresses = resolve(host, port)
    check_addresses(host, addresses, allow)
    kind = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    connection = kind(host, [str(a) for a in addresses], port, timeout)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(RESPONSE_MAX)
        return Answer(response.status, response.getheader("Location"))
    except TimeoutError:
        raise SendFailed(f"No answer within {timeout:g} s.") from None
    except (OSError, http.client.HTTPException) as exc:
        raise SendFailed(f"{type(exc).__name__}: {exc}"[:400]) from None
    finally:
        connection.close()
