"""Outgoing HTTP to addresses people typed in, checked against server-side request forgery (SSRF).

Webhooks post through it, and pages and feeds are fetched through it (`fetch.py`): one policy,
and one function (`exchange`) that checks an address and opens the connection, for both. An
address could point the server at itself, the office network or a cloud metadata service, so:

- only http and https, no user name or password, no backslashes, spaces or control characters;
- the host is normalised the way a browser reads it (UTS 46 / IDNA, so `ⓛⓞⓒⓐⓛⓗⓞⓢⓣ` is
  `localhost`; the WHATWG IPv4 parser, so `127.1`, `0x7f.1`, `2130706433` and `0177.0.0.1` are
  all 127.0.0.1) and the path is percent-encoded, so what is stored is plain ASCII that every HTTP
  client sends the same way;
- every address the host resolves to must be public. The ranges are named here, from IANA's
  special-purpose registries, rather than read from `ipaddress`'s `is_private`/`is_global`: the
  interpreter this project runs on (3.11.7) predates the CVE-2024-4032 fix and gets some of them
  wrong. IPv6 forms that carry an IPv4 address (IPv4-mapped, IPv4-compatible, SIIT, NAT64, 6to4,
  Teredo) are judged by the IPv4 address they carry, since on a network with a translator they
  reach it;
- an admin may allow hosts or networks that are not public with `WORKBENCH_EGRESS_ALLOW` (or its
  older name `WORKBENCH_WEBHOOK_ALLOW`).

The host is resolved when the address is registered and again on every send, and the connection
goes to the very address that was checked, so a DNS answer that changes in between (DNS
rebinding) cannot slip past. A post never follows a redirect: a 3xx is a failed attempt. The
fetcher follows them hop by hop, and each hop is read and checked as above before anything
connects to it.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import SplitResult, quote, urlsplit

import idna

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[IPAddress]]

URL_MAX = 2000
HOST_MAX = 253
RESPONSE_MAX = 64 * 1024  # what we read of a receiver's answer (we only need its status)
ALLOW_SETTING = "WORKBENCH_EGRESS_ALLOW"


class UnsafeURL(ValueError):
    """The URL may not be called; the message says why and what to do."""


class BadAddress(UnsafeURL):
    """The URL itself cannot be read or sent (malformed, or a host no name can be made of).

    Unlike a refused address, which an admin's allow-list or a DNS change may turn around, this
    never gets better by trying again."""


class SendFailed(Exception):
    """No HTTP answer: refused, timed out, TLS error, unresolvable name. The message says which."""


# --- The address policy ---------------------------------------------------------------------------


def _nets(*pairs: tuple[str, str]) -> tuple[tuple[IPNetwork, str], ...]:
    return tuple((ipaddress.ip_network(net), why) for net, why in pairs)


# Cloud metadata services: the crown jewels of SSRF, named first so the reason says so.
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean...
        "169.254.170.2",  # AWS ECS task metadata
        "168.63.129.16",  # Azure WireServer (a public-looking address)
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
        "fd00:ec2::254",  # AWS over IPv6
    )
)

# IANA IPv4 Special-Purpose Address Registry (RFC 6890 and updates), first match wins.
IPV4_RANGES = _nets(
    ("0.0.0.0/32", "an unspecified address"),
    ("0.0.0.0/8", "a 'this network' address (0.0.0.0/8)"),
    ("10.0.0.0/8", "a private address (10.0.0.0/8)"),
    ("100.64.0.0/10", "a shared carrier-grade NAT address (100.64.0.0/10)"),
    ("127.0.0.0/8", "a loopback address (127.0.0.0/8)"),
    ("169.254.0.0/16", "a link-local address (169.254.0.0/16)"),
    ("172.16.0.0/12", "a private address (172.16.0.0/12)"),
    ("192.0.0.0/24", "an IETF protocol assignment (192.0.0.0/24)"),
    ("192.0.2.0/24", "a documentation address (192.0.2.0/24)"),
    ("192.88.99.0/24", "a deprecated 6to4 relay address (192.88.99.0/24)"),
    ("192.168.0.0/16", "a private address (192.168.0.0/16)"),
    ("198.18.0.0/15", "a benchmarking address (198.18.0.0/15)"),
    ("198.51.100.0/24", "a documentation address (198.51.100.0/24)"),
    ("203.0.113.0/24", "a documentation address (203.0.113.0/24)"),
    ("224.0.0.0/4", "a multicast address (224.0.0.0/4)"),
    ("255.255.255.255/32", "the broadcast address"),
    ("240.0.0.0/4", "a reserved address (240.0.0.0/4)"),
)

# IANA IPv6 Special-Purpose Address Registry; the forms that carry IPv4 are unwrapped before these.
IPV6_RANGES = _nets(
    ("::/128", "an unspecified address"),
    ("::1/128", "a loopback address"),
    ("100::/64", "a discard-only address (100::/64)"),
    ("2001:db8::/32", "a documentation address (2001:db8::/32)"),
    ("3fff::/20", "a documentation address (3fff::/20)"),
    ("2001:2::/48", "a benchmarking address (2001:2::/48)"),
    ("2001:10::/28", "an ORCHID address (2001:10::/28)"),
    ("2001:20::/28", "an ORCHIDv2 address (2001:20::/28)"),
    ("2001::/23", "an IETF protocol assignment (2001::/23)"),
    ("5f00::/16", "an SRv6 segment identifier (5f00::/16)"),
    ("fc00::/7", "a unique-local (private) address (fc00::/7)"),
    ("fe80::/10", "a link-local address (fe80::/10)"),
    ("fec0::/10", "a deprecated site-local address (fec0::/10)"),
    ("ff00::/8", "a multicast address (ff00::/8)"),
)
GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")

MAPPED = ipaddress.ip_network("::ffff:0:0/96")
SIIT = ipaddress.ip_network("::ffff:0:0:0/96")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
TEREDO = ipaddress.ip_network("2001::/32")
COMPATIBLE = ipaddress.ip_network("::/96")


def _low32(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)


def embedded_ipv4(
    address: ipaddress.IPv6Address,
) -> tuple[str, list[tuple[str, ipaddress.IPv4Address]]] | None:
    """The IPv4 addresses an IPv6 transition form carries, with the form's name; None for a plain
    IPv6 address. Teredo carries two: its server, and its client (stored inverted, RFC 4380)."""
    if address in MAPPED:
        return "an IPv4-mapped address", [("for", _low32(address))]
    if address in SIIT:
        return "an SIIT (IPv4-translated) address", [("for", _low32(address))]
    if address in NAT64:
        return "a NAT64 address", [("for", _low32(address))]
    if address in NAT64_LOCAL:
        return "a local-use NAT64 address (64:ff9b:1::/48)", [("for", _low32(address))]
    if address in SIX_TO_FOUR:
        return "a 6to4 address", [("for", ipaddress.IPv4Address((int(address) >> 80) & 0xFFFFFFFF))]
    if address in TEREDO:
        server = ipaddress.IPv4Address((int(address) >> 64) & 0xFFFFFFFF)
        client = ipaddress.IPv4Address(~int(address) & 0xFFFFFFFF)
        return "a Teredo address", [("for", client), ("whose server is", server)]
    if address in COMPATIBLE:
        return "an IPv4-compatible address", [("for", _low32(address))]
    return None


def _why_ipv4(address: ipaddress.IPv4Address) -> str | None:
    if address in METADATA:
        return "a cloud metadata address"
    for network, why in IPV4_RANGES:
        if address in network:
            return why
    return None


def why_forbidden(address: IPAddress) -> str | None:
    """Why an address may not be called, or None when it is a public one."""
    if isinstance(address, ipaddress.IPv4Address):
        return _why_ipv4(address)
    plain = ipaddress.IPv6Address(int(address))
    if address.scope_id:
        # A zone names one of this machine's network interfaces: never an address on the internet.
        inner = why_forbidden(plain)
        also = f"; {plain} is {inner}" if inner else ""
        return f"an address with a zone (%{address.scope_id}), local to this machine{also}"
    if plain in METADATA:
        return "a cloud metadata address"
    if plain in (ipaddress.IPv6Address(0), ipaddress.IPv6Address(1)):
        return "an unspecified address" if int(plain) == 0 else "a loopback address"
    carried = embedded_ipv4(plain)
    if carried is not None:
        form, inner = carried
        for relation, ipv4 in inner:
            why = _why_ipv4(ipv4)
            if why is not None:
                return f"{form} {relation} {ipv4}, {why}"
        if plain in NAT64_LOCAL:
            return f"{form}, translated inside the operator's own network"
        return None
    for network, why in IPV6_RANGES:
        if plain in network:
            return why
    if plain not in GLOBAL_UNICAST:
        return "a reserved address (outside the global unicast range 2000::/3)"
    return None


def carried_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an address stands for (itself, or what an IPv6 form carries)."""
    if isinstance(address, ipaddress.IPv4Address):
        return [address]
    carried = embedded_ipv4(ipaddress.IPv6Address(int(address)))
    return [ipv4 for _, ipv4 in carried[1]] if carried else []


# --- Reading a URL as a browser would ------------------------------------------------------------

_LABEL = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")
_NUMERIC = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*")
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# RFC 3986 pchar, plus "/" between segments; "%" is kept where it already starts an escape.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The WHATWG URL standard's IPv4 parser: a host whose last label is a number is an address,
    written in decimal, octal (leading 0) or hex (0x), in one to four parts (`127.1`), with an
    optional trailing dot. None when the host is a name; BadAddress when it is a broken number."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if not parts or not _NUMERIC.fullmatch(parts[-1]):
        return None
    numbers = []
    for part in parts:
        if part[:2].lower() == "0x":
            digits, base = part[2:] or "0", 16
        elif len(part) > 1 and part.startswith("0"):
            digits, base = part[1:], 8
        else:
            digits, base = part, 10
        try:
            numbers.append(int(digits, base) if part else None)
        except ValueError:
            numbers.append(None)
    if len(parts) > 4 or None in numbers or any(n > 255 for n in numbers[:-1]):  # type: ignore[operator]
        raise BadAddress(f"{host} ends in a number but is not a valid IPv4 address.")
    value = numbers[-1]
    assert value is not None
    if value >= 256 ** (5 - len(numbers)):
        raise BadAddress(f"{host} ends in a number but is not a valid IPv4 address.")
    for index, number in enumerate(numbers[:-1]):
        value += number * 256 ** (3 - index)  # type: ignore[operator]
    return ipaddress.IPv4Address(value)


def address_text(address: IPAddress) -> str:
    """An address as stored and shown. An IPv4-mapped IPv6 address is written with its IPv4 part
    dotted (`::ffff:8.8.8.8`, RFC 5952 section 5), as Python 3.13 prints it and 3.11 does not, so a
    stored address does not change with the interpreter."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped and not address.scope_id:
        return f"::ffff:{address.ipv4_mapped}"
    return str(address)


def normalise_host(raw: str) -> str:
    """A host name as ASCII, lower case, without a trailing dot: UTS 46 mapping and IDNA for
    names outside ASCII (fullwidth digits and look-alike letters become what they look like)."""
    host = raw
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True, transitional=False).decode("ascii")
        except (idna.IDNAError, UnicodeError) as exc:
            raise BadAddress(
                f"The host name {raw!r} is not a valid international name ({exc})."
            ) from None
    host = host.lower()
    if host.endswith(".") and len(host) > 1:
        host = host[:-1]
    return host


@dataclass(frozen=True)
class Target:
    """A URL read and normalised: what is stored, what is shown, and what is sent."""

    scheme: str
    host: str  # ASCII: a name (IDNA) or an address's canonical text, without brackets
    address: IPAddress | None  # when the host is an address rather than a name
    port: int
    explicit_port: bool
    request_path: str  # path and query, percent-encoded ASCII, as sent on the request line

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.explicit_port else ""
        return f"{self.scheme}://{host}{port}{self.request_path}"


def _split(url: str) -> SplitResult:
    if len(url) > URL_MAX:
        raise BadAddress(f"The address is longer than {URL_MAX:,} characters.")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise BadAddress("An address cannot contain spaces or control characters.")
    if "\\" in url:
        raise BadAddress(
            "An address cannot contain a backslash: programs disagree on what it means."
        )
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise BadAddress(f"The address cannot be read ({exc}).") from None
    if parts.scheme not in ("http", "https"):
        raise BadAddress("An address must start with https:// (or http://).")
    return parts


def _host(parts: SplitResult) -> tuple[str, IPAddress | None]:
    hostport = parts.netloc.rpartition("@")[2]
    if hostport.startswith("["):
        literal = hostport[1:].partition("]")[0]
        text, zone_mark, zone = literal.partition("%")
        try:
            address = ipaddress.IPv6Address(text)
        except ValueError:
            raise BadAddress(f"[{literal}] is not an IPv6 address.") from None
        if zone_mark:
            # Kept so the policy can name it: a zone only means something on this machine.
            scoped = ipaddress.IPv6Address(f"{address}%{zone.removeprefix('25') or '?'}")
            return str(scoped), scoped
        return address_text(address), address
    raw = parts.hostname or ""
    if "%" in raw:
        raise BadAddress(f"The host {raw!r} is percent-encoded; write it plainly.")
    host = normalise_host(raw)
    if not host:
        raise BadAddress("The address has no host name.")
    ipv4 = parse_ipv4(host)
    if ipv4 is not None:
        return str(ipv4), ipv4
    if len(host) > HOST_MAX or not all(_LABEL.fullmatch(label) for label in host.split(".")):
        raise BadAddress(
            f"{raw!r} is not a valid host name (letters, digits and hyphens, dot-separated)."
        )
    for label in host.split("."):
        if label.startswith("xn--"):
            try:
                idna.decode(label)
            except (idna.IDNAError, UnicodeError):
                raise BadAddress(f"{label!r} in {raw!r} is not a valid IDNA label.") from None
    return host, None


def read_url(url: str) -> Target:
    """The URL's parts, normalised; BadAddress when it cannot be read or would be refused
    whatever it resolves to (a user name in it, a broken port)."""
    parts = _split(url.strip())
    host, address = _host(parts)
    if parts.username is not None or parts.password is not None:
        raise BadAddress(
            f"Put no user name or password in the address (what comes before '@' is one; the "
            f"host here is {host})."
        )
    try:
        port = parts.port
    except ValueError:
        raise BadAddress("The port in the address is not a number from 1 to 65535.") from None
    if port == 0:
        raise BadAddress("The port in the address is not a number from 1 to 65535.")
    default = 443 if parts.scheme == "https" else 80
    path = quote(_STRAY_PERCENT.sub("%25", parts.path or "/"), safe=_PATH_SAFE)
    if parts.query:
        path += "?" + quote(_STRAY_PERCENT.sub("%25", parts.query), safe=_QUERY_SAFE)
    return Target(
        scheme=parts.scheme,
        host=host,
        address=address,
        port=port or default,
        explicit_port=port is not None and port != default,
        request_path=path,
    )


def printable(text: str) -> str:
    """Text with control and format characters written as escapes, so an address printed to a
    terminal or a log shows what it holds and cannot move the cursor or hide a character."""
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


# --- Allowing, resolving and judging -------------------------------------------------------------


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
                try:
                    hosts.add(normalise_host(entry))
                except BadAddress:
                    hosts.add(entry.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows(self, address: IPAddress) -> bool:
        """The address, or the IPv4 address it carries, is in an allowed network."""
        candidates: list[IPAddress] = [address, *carried_ipv4(address)]
        if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
            candidates.append(ipaddress.IPv6Address(int(address)))
        return any(a in network for a in candidates for network in self.networks)


def is_local_name(host: str) -> bool:
    """`localhost` and its subdomains always mean this machine (RFC 6761), whatever DNS says."""
    return host == "localhost" or host.endswith(".localhost")


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host resolves to (a literal address resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise SendFailed(f"The host name {host!r} could not be resolved ({exc}).") from None
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]))
        if address not in found:
            found.append(address)
    return found


def refusal(host: str, address: IPAddress, why: str) -> str:
    """The sentence an admin reads: which address, why it is refused, and what would allow it."""
    shown = f"{address} is" if host == address_text(address) else f"{host} resolves to {address},"
    return (
        f"{shown} {why}: the server may only call public addresses. If this address is meant "
        f"to be inside your network, an administrator can allow it with {ALLOW_SETTING}."
    )


def check_target(target: Target, allow: Allowance, resolver: Resolver = resolve) -> list[IPAddress]:
    """The addresses to connect to, every one of them public or allowed; UnsafeURL otherwise
    (one bad address is enough, since we cannot know which one a later connection would get).
    SendFailed when a name cannot be resolved."""
    if target.host in allow.hosts:
        return [target.address] if target.address else resolver(target.host, target.port)
    if target.address is not None:
        addresses = [target.address]
    elif is_local_name(target.host):
        raise UnsafeURL(
            f"{target.host} is a name for this machine (a loopback address): the server may only "
            f"call public addresses. An administrator can allow it with {ALLOW_SETTING}."
        )
    else:
        addresses = resolver(target.host, target.port)
    for address in addresses:
        why = why_forbidden(address)
        if why is not None and not allow.allows(address):
            raise UnsafeURL(refusal(target.host, address, why))
    return addresses


@dataclass(frozen=True)
class Judgement:
    """What the policy says of one URL: allowed or refused, why, and at which addresses."""

    url: str
    allowed: bool
    reason: str
    addresses: tuple[IPAddress, ...] = ()


def judge(url: str, allow: Allowance, resolver: Resolver = resolve) -> Judgement:
    """The policy's answer for a URL, as the `egress check` command prints it."""
    try:
        target = read_url(url)
        addresses = check_target(target, allow, resolver)
    except (UnsafeURL, SendFailed) as exc:
        return Judgement(url, False, str(exc))
    if target.host in allow.hosts:
        how = f"{target.host} is allowed by name in {ALLOW_SETTING}"
    else:
        how = "; ".join(
            f"{a} is public" if why_forbidden(a) is None else f"{a} is allowed in {ALLOW_SETTING}"
            for a in addresses
        )
    read_as = f"read as {target.url}; " if target.url != url.strip() else ""
    return Judgement(target.url, True, read_as + how, tuple(addresses))


def check_for_registration(
    url: str, allow: Allowance, resolver: Resolver = resolve
) -> tuple[str, str | None]:
    """The normalised URL to store, and a warning when the host cannot be resolved now (it is
    checked again on every send). UnsafeURL when the address is refused."""
    target = read_url(url)
    try:
        check_target(target, allow, resolver)
    except SendFailed:
        return target.url, (
            f"The host {target.host} could not be resolved just now; it is checked again on "
            "every send."
        )
    return target.url, None


# --- Sending -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    location: str | None


@dataclass(frozen=True)
class Timeouts:
    """How long one request may wait: to connect, for each read, and, when a deadline is set, in
    all, so that a server sending a byte now and then cannot hold the caller past it."""

    connect_s: float
    read_s: float
    deadline: float | None = None  # on time.monotonic()'s clock

    def within(self, wait: float) -> float:
        """`wait`, cut to what is left before the deadline; TimeoutError once it has passed."""
        if self.deadline is None:
            return wait
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the deadline has passed")
        return min(wait, left)


def _connect(addresses: list[str], port: int, timeout: float) -> socket.socket:
    """A connection to the first of the checked addresses that answers (a name may resolve to
    an IPv6 address the receiver does not listen on, then to an IPv4 one that it does)."""
    failure: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            failure = exc
    assert failure is not None  # check_target never returns an empty list
    raise failure


class _TimedReader(io.RawIOBase):
    """Reads a socket with the read timeout set afresh before every read, cut to the deadline:
    the status line, the headers and every piece of the body alike."""

    def __init__(self, sock: socket.socket, timeouts: Timeouts) -> None:
        super().__init__()
        self._sock = sock
        # The socket's own file keeps it open after the connection lets go of it (http.client
        # hands the socket to the response when the server closes after answering).
        self._file = sock.makefile("rb", buffering=0)
        self._timeouts = timeouts

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        self._sock.settimeout(self._timeouts.within(self._timeouts.read_s))
        return self._file.readinto(buffer)

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        self._file.close()
        super().close()


class _TimedSocket:
    """All that http.client.HTTPResponse asks of a socket: a file to read the answer from."""

    def __init__(self, sock: socket.socket, timeouts: Timeouts) -> None:
        self._sock = sock
        self._timeouts = timeouts

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(_TimedReader(self._sock, self._timeouts))


class _TimedResponse(http.client.HTTPResponse):
    def __init__(self, sock: socket.socket, *args: Any, timeouts: Timeouts, **kwargs: Any) -> None:
        super().__init__(_TimedSocket(sock, timeouts), *args, **kwargs)  # type: ignore[arg-type]


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked addresses, while Host says the name the receiver expects."""

    def __init__(self, host: str, addresses: list[str], port: int, timeouts: Timeouts) -> None:
        super().__init__(host, port, timeout=timeouts.connect_s)
        self._addresses = addresses
        self._timeouts = timeouts
        self.response_class = partial(_TimedResponse, timeouts=timeouts)  # type: ignore[assignment]

    def connect(self) -> None:
        wait = self._timeouts.within(self._timeouts.connect_s)
        self.sock = _connect(self._addresses, self.port, wait)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, addresses: list[str], port: int, timeouts: Timeouts) -> None:
        super().__init__(
            host, port, timeout=timeouts.connect_s, context=ssl.create_default_context()
        )
        self._addresses = addresses
        self._timeouts = timeouts
        self.response_class = partial(_TimedResponse, timeouts=timeouts)  # type: ignore[assignment]

    def connect(self) -> None:
        wait = self._timeouts.within(self._timeouts.connect_s)
        sock = _connect(self._addresses, self.port, wait)
        # Certificate and SNI are checked against the host name, not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


@contextmanager
def exchange(
    method: str,
    target: Target,
    *,
    allow: Allowance,
    headers: dict[str, str],
    timeouts: Timeouts,
    body: bytes | None = None,
    resolver: Resolver = resolve,
) -> Iterator[http.client.HTTPResponse]:
    """One request, to addresses checked right here: the only way out of this module, so nothing
    opens a connection the policy has not seen, and the connection goes to the very addresses
    that were checked. Yields the answer once its status and headers are in; the body is the
    caller's to read before the block ends, which closes the connection.

    Raises UnsafeURL when the address is refused, SendFailed when its name cannot be resolved;
    connecting, sending and reading raise what sockets and http.client raise (TimeoutError,
    OSError, http.client.HTTPException), for each caller to put in its own words."""
    addresses = check_target(target, allow, resolver)
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = kind(target.host, [str(a) for a in addresses], target.port, timeouts)
    try:
        connection.request(method, target.request_path, body=body, headers=headers)
        response = connection.getresponse()
        try:
            yield response
        finally:
            response.close()
    finally:
        connection.close()


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    allow: Allowance,
    resolver: Resolver = resolve,
) -> Answer:
    """POST once, to a checked address, without following redirects.

    Raises BadAddress when the URL cannot be sent at all, UnsafeURL when the host resolves to a
    forbidden address, SendFailed when there is no answer (unresolvable, refused, timed out, TLS);
    an answer of any status is returned.
    """
    target = read_url(url)
    timeouts = Timeouts(connect_s=timeout, read_s=timeout)
    try:
        with exchange(
            "POST",
            target,
            allow=allow,
            headers=headers,
            timeouts=timeouts,
            body=body,
            resolver=resolver,
        ) as response:
            response.read(RESPONSE_MAX)
            return Answer(response.status, response.getheader("Location"))
    except TimeoutError:
        raise SendFailed(f"No answer within {timeout:g} s.") from None
    except (OSError, http.client.HTTPException) as exc:
        raise SendFailed(f"{type(exc).__name__}: {exc}"[:400]) from None
