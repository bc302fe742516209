"""Every outbound GET (article pages, feeds): the address policy of egress.py, and limits on what
comes back.

An address someone typed in, and every address it redirects to, is read and checked before
anything connects to it (egress.exchange does both, for posts and fetches alike). What comes back
is bounded: in time (to connect, for each read, and for the whole fetch, redirects included, so a
server dripping a byte at a time cannot hold a worker), in size (the body after decompression,
counted as it streams in, so a small gzip bomb never fills the memory) and in kind (only the
media types the caller can read, judged from the headers before the body is read).
"""

from __future__ import annotations

import http.client
import ssl
import time
import zlib
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from workbench.net.egress import (
    Allowance,
    BadAddress,
    Resolver,
    SendFailed,
    Target,
    Timeouts,
    UnsafeURL,
    exchange,
    printable,
    read_url,
    resolve,
)

if TYPE_CHECKING:
    from workbench.config import Settings

PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
# Feeds are often served with the wrong type, so pages' types are taken too (the parser decides).
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
        "text/html",
        "text/plain",
    }
)

USER_AGENT = "ClaimWorkbench/0.1 (+newsroom fact-checking)"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
NOT_MODIFIED = 304
CHUNK = 64 * 1024
MB = 1024 * 1024

# What a refused media type is, in an editor's words.
_KINDS = {
    "application/pdf": "a PDF document",
    "application/json": "JSON data",
    "application/zip": "a zip archive",
    "application/octet-stream": "a file to download",
    "application/msword": "a Word document",
}
_FAMILIES = {"image": "an image", "video": "a video", "audio": "a sound recording"}


@dataclass(frozen=True)
class FetchLimits:
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 15.0  # for each read
    total_timeout_s: float = 30.0  # the whole fetch, redirects included
    max_bytes: int = 5 * MB  # of the body after decompression
    max_redirects: int = 5

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchLimits:
        return cls(
            connect_timeout_s=settings.fetch_connect_timeout_s,
            read_timeout_s=settings.fetch_read_timeout_s,
            total_timeout_s=settings.fetch_total_timeout_s,
            max_bytes=settings.fetch_max_bytes,
        )


@dataclass(frozen=True)
class Fetched:
    url: str  # where the body came from, after redirects, normalised as egress.read_url does
    status: int  # 200..299, or 304 (not modified, with an empty body)
    body: bytes  # decompressed
    media_type: str  # lower case, without parameters; "" when the server sent none
    charset: str | None  # from the Content-Type header
    etag: str | None
    last_modified: str | None


class FetchFailed(Exception):
    """The page or feed could not be had; the message says why in words for an editor."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status when the failure is one (404, 500...)


def fetch(
    url: str,
    *,
    allow: Allowance,
    accept: frozenset[str],
    limits: FetchLimits = FetchLimits(),  # noqa: B008 (frozen, so one shared default is safe)
    etag: str | None = None,
    last_modified: str | None = None,
    resolver: Resolver = resolve,
) -> Fetched:
    """GET a page or a feed, following redirects hop by hop, each one checked before it is
    connected to.

    Raises BadAddress or UnsafeURL when the address, or one it redirects to, is refused by the
    policy (the message names the hop), and FetchFailed when there is no usable answer: no
    connection, too slow, too big, an error status, a type the caller cannot read. With an
    `etag` or `last_modified` from an earlier fetch the request is conditional, and a 304 comes
    back as a Fetched with an empty body.
    """
    timeouts = Timeouts(
        connect_s=limits.connect_timeout_s,
        read_s=limits.read_timeout_s,
        deadline=time.monotonic() + limits.total_timeout_s,
    )
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": ", ".join(sorted(accept)),
        "Accept-Encoding": "gzip, deflate",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    target = read_url(url)
    redirects = 0
    while True:
        answer = _get(
            target,
            redirected=redirects > 0,
            allow=allow,
            headers=headers,
            timeouts=timeouts,
            limits=limits,
            accept=accept,
            resolver=resolver,
        )
        if isinstance(answer, Fetched) and answer.status == NOT_MODIFIED:
            # A 304 need not repeat the validators; the ones sent still hold.
            return replace(
                answer,
                etag=answer.etag or etag,
                last_modified=answer.last_modified or last_modified,
            )
        if isinstance(answer, Fetched):
            return answer
        if redirects == limits.max_redirects:
            raise FetchFailed(
                f"The address redirected more than {limits.max_redirects} times (last to "
                f"{printable(answer)}); it may be going round in circles."
            )
        redirects += 1
        target = _next_hop(target, answer)


def _next_hop(current: Target, location: str) -> Target:
    """Where a redirect points, read like any address typed in (it is checked on connecting)."""
    try:
        hop = urljoin(current.url, location.strip())
        scheme = urlsplit(hop).scheme
    except ValueError:
        raise BadAddress(
            f"The address redirects to {printable(location)}, which cannot be read."
        ) from None
    if scheme not in ("http", "https"):
        raise BadAddress(
            f"The address redirects to {printable(hop)}, which is not a web address: only "
            "http and https redirects are followed."
        )
    try:
        return read_url(hop)
    except BadAddress as exc:
        raise BadAddress(
            f"The address redirects to {printable(hop)}, which is refused: {exc}"
        ) from None


def _get(
    target: Target,
    *,
    redirected: bool,
    allow: Allowance,
    headers: dict[str, str],
    timeouts: Timeouts,
    limits: FetchLimits,
    accept: frozenset[str],
    resolver: Resolver,
) -> Fetched | str:
    """One request: the answer when it is final, or the Location a redirect points to."""
    try:
        with exchange(
            "GET", target, allow=allow, headers=headers, timeouts=timeouts, resolver=resolver
        ) as response:
            return _read_answer(response, target, accept, limits.max_bytes)
    except UnsafeURL as exc:
        if redirected:
            raise type(exc)(
                f"The address redirects to {target.url}, which is refused: {exc}"
            ) from None
        raise
    except SendFailed as exc:
        raise FetchFailed(str(exc)) from None
    except TimeoutError:
        assert timeouts.deadline is not None
        if time.monotonic() >= timeouts.deadline:
            raise FetchFailed(f"No complete answer within {limits.total_timeout_s:g} s.") from None
        raise FetchFailed(
            f"{target.host} did not answer in time (it may take {limits.connect_timeout_s:g} s "
            f"to connect, and {limits.read_timeout_s:g} s for each read)."
        ) from None
    except (OSError, http.client.HTTPException) as exc:
        raise FetchFailed(_connection_failure(target, exc)) from None


def _connection_failure(target: Target, exc: Exception) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"The certificate of {target.host} could not be verified ({exc.verify_message})."
    if isinstance(exc, ConnectionRefusedError):
        return f"Nothing answers at {target.host} on port {target.port} (connection refused)."
    if isinstance(exc, http.client.IncompleteRead):
        return "The connection closed before the whole page came."
    if isinstance(exc, http.client.HTTPException):
        return f"The server's answer is not valid HTTP ({type(exc).__name__}: {exc})"[:400]
    return f"The connection to {target.host} failed ({type(exc).__name__}: {exc})"[:400]


def _read_answer(
    response: http.client.HTTPResponse, target: Target, accept: frozenset[str], max_bytes: int
) -> Fetched | str:
    status = response.status
    if status in REDIRECTS:
        location = response.getheader("Location")
        if not location:
            raise FetchFailed(
                f"The server answered {status} (a redirect) but did not say where to.", status
            )
        return location
    media_type = (response.getheader("Content-Type") or "").partition(";")[0].strip().lower()
    found = Fetched(
        url=target.url,
        status=status,
        body=b"",
        media_type=media_type,
        charset=response.msg.get_content_charset() if media_type else None,
        etag=response.getheader("ETag"),
        last_modified=response.getheader("Last-Modified"),
    )
    if status == NOT_MODIFIED:
        return found
    if not 200 <= status < 300:
        raise FetchFailed(f"The server answered {status}.", status)
    if media_type and media_type not in accept:
        raise FetchFailed(_type_refusal(media_type, accept))
    return replace(found, body=_read_body(response, max_bytes))


def _type_refusal(media_type: str, accept: frozenset[str]) -> str:
    kind = _KINDS.get(media_type) or _FAMILIES.get(media_type.partition("/")[0], "a document")
    if accept == PAGE_TYPES:
        wanted = "a web page: only HTML, XHTML and plain-text pages can be read"
    elif accept == FEED_TYPES:
        wanted = "a feed: only RSS, Atom and RDF feeds (or XML, HTML and plain text) can be read"
    else:
        wanted = f"what can be read here ({', '.join(sorted(accept))})"
    return f"The address gives {kind} ({media_type}), not {wanted}."


def _size(count: int) -> str:
    return f"{count / MB:g} MB" if count >= MB else f"{count:,} bytes"


def _read_body(response: http.client.HTTPResponse, max_bytes: int) -> bytes:
    declared = (response.getheader("Content-Length") or "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchFailed(
            f"The page is larger than {_size(max_bytes)} (it says {_size(int(declared))}); "
            "the workbench reads no more than that."
        )
    body = _Body(response.getheader("Content-Encoding") or "identity", max_bytes)
    while piece := response.read1(CHUNK):
        body.add(piece)
    if response.length:  # http.client reads a body cut short without a word
        raise FetchFailed("The connection closed before the whole page came.")
    return body.finish()


class _Body:
    """A body collected as it streams in, decompressed on the way and refused as soon as it grows
    past the cap, so that no more than about `max_bytes` is ever held, however well the sender
    compressed it."""

    def __init__(self, encoding: str, max_bytes: int) -> None:
        self._encoding = encoding.strip().lower()
        if self._encoding not in ("identity", "gzip", "x-gzip", "deflate"):
            raise FetchFailed(
                f"The server compressed the page as {printable(encoding)!r}, which the workbench "
                "cannot read (only gzip and deflate)."
            )
        self._max = max_bytes
        self._data = bytearray()
        self._inflater: zlib._Decompress | None = None
        self._start = b""  # the first bytes of a deflate body, until they say which kind it is

    def add(self, data: bytes) -> None:
        if self._encoding == "identity":
            self._keep(data)
            return
        if self._inflater is None:
            self._start += data
            if len(self._start) < 2:
                return
            data, self._start = self._start, b""
            self._inflater = zlib.decompressobj(wbits=self._wbits(data))
        try:
            while data:
                # One byte over the cap is enough to know; zlib makes no more than that.
                self._keep(self._inflater.decompress(data, self._max - len(self._data) + 1))
                data = self._inflater.unconsumed_tail
        except zlib.error as exc:
            raise FetchFailed(
                f"The page's {self._encoding} compression is broken ({exc})."
            ) from None

    def finish(self) -> bytes:
        # Data after the end of the stream (a second gzip member, padding) is left unread.
        cut_short = self._start or (self._inflater is not None and not self._inflater.eof)
        if cut_short:
            raise FetchFailed(f"The page's {self._encoding} compression ends too soon.")
        return bytes(self._data)

    def _keep(self, data: bytes) -> None:
        self._data += data
        if len(self._data) > self._max:
            uncompressed = "" if self._encoding == "identity" else " once uncompressed"
            raise FetchFailed(
                f"The page is larger than {_size(self._max)}{uncompressed}; the workbench reads "
                "no more than that."
            )

    def _wbits(self, start: bytes) -> int:
        if self._encoding != "deflate":
            return 31  # gzip
        # "deflate" is meant to be zlib-wrapped (RFC 9110), but some servers send it raw.
        zlib_header = start[0] & 0x0F == 8 and (start[0] << 8 | start[1]) % 31 == 0
        return 15 if zlib_header else -15
