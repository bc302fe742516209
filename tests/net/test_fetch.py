"""The guarded fetcher (workbench/net/fetch.py) against a real web server on loopback (the
`origin` fixture): redirects checked hop by hop, conditional requests, error statuses, slow and
silent servers, oversized and compressed bodies, refused types, and the webhooks' table of
refused addresses, which must be refused here the same way, with nothing connected to.
"""

from __future__ import annotations

import gzip
import ipaddress
import shutil
import socket
import ssl
import subprocess
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import test_egress
from origin import Origin, Reply
from test_egress import PUBLIC_ONLY, REFUSED, Listener

from workbench.config import Settings
from workbench.net import egress
from workbench.net.egress import Allowance, BadAddress, UnsafeURL
from workbench.net.fetch import (
    FEED_TYPES,
    PAGE_TYPES,
    USER_AGENT,
    Fetched,
    FetchFailed,
    FetchLimits,
    fetch,
)

LOOPBACK = Allowance.parse(["127.0.0.0/8"])
HTML = {"Content-Type": "text/html; charset=utf-8"}
QUICK = FetchLimits(connect_timeout_s=2, read_timeout_s=2, total_timeout_s=10)
MB = 1024 * 1024

# The webhooks' fixture: a port open on every local address, to see whether anything connects.
listener = test_egress.listener


def get(url: str, limits: FetchLimits = QUICK, **options: object) -> Fetched:
    return fetch(url, allow=LOOPBACK, accept=PAGE_TYPES, limits=limits, **options)  # type: ignore[arg-type]


def test_a_page_comes_back_with_its_type_charset_and_address(origin: Origin) -> None:
    origin.route(
        "/story",
        "<h1>Brücke</h1>".encode("latin-1"),
        headers={"Content-Type": "Text/HTML; charset=ISO-8859-1", "ETag": '"v1"'},
    )
    page = get(f"http://127.1:{origin.port}/story")  # read as 127.0.0.1, as a browser would
    assert page == Fetched(
        url=origin.url("/story"),
        status=200,
        body="<h1>Brücke</h1>".encode("latin-1"),
        media_type="text/html",
        charset="iso-8859-1",
        etag='"v1"',
        last_modified=None,
    )
    sent = origin.requests[-1]
    assert sent.method == "GET"
    assert sent.headers["User-Agent"] == USER_AGENT
    assert sent.headers["Accept"] == "application/xhtml+xml, text/html, text/plain"
    assert sent.headers["Accept-Encoding"] == "gzip, deflate"
    assert sent.headers["Host"] == f"127.0.0.1:{origin.port}"


def test_limits_come_from_the_settings() -> None:
    settings = Settings(
        fetch_connect_timeout_s=1,
        fetch_read_timeout_s=2,
        fetch_total_timeout_s=3,
        fetch_max_bytes=4,
    )
    assert FetchLimits.from_settings(settings) == FetchLimits(1, 2, 3, 4, 5)


# --- Redirects ------------------------------------------------------------------------------------


def test_a_chain_of_redirects_is_followed_to_its_end(origin: Origin) -> None:
    origin.route("/a", status=301, headers={"Location": "/b"})
    origin.route("/b", status=302, headers={"Location": "c?from=b"})  # relative to /b
    origin.route("/c", status=307, headers={"Location": origin.url("/final")})
    origin.route("/final", "done", headers=HTML)
    page = get(origin.url("/a"))
    assert (page.url, page.body) == (origin.url("/final"), b"done")
    assert [r.path for r in origin.requests] == ["/a", "/b", "/c?from=b", "/final"]


def _chain(origin: Origin, length: int) -> None:
    for step in range(length):
        origin.route(f"/r{step}", status=308, headers={"Location": f"/r{step + 1}"})
    origin.route(f"/r{length}", "the end", headers=HTML)


def test_five_redirects_are_followed_and_a_sixth_is_refused(origin: Origin) -> None:
    _chain(origin, 6)
    assert get(origin.url("/r1")).body == b"the end"  # five hops
    with pytest.raises(FetchFailed, match="redirected more than 5 times") as refused:
        get(origin.url("/r0"))
    assert refused.value.status is None
    assert origin.hits("/r6") == 1  # only from the five-hop fetch


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://127.0.0.2:{port}/secret", "127.0.0.2 is a loopback address (127.0.0.0/8)"),
        ("http://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
        ("http://[::ffff:127.0.0.2]:{port}/", "IPv4-mapped address for 127.0.0.2"),
        ("http://localhost:{port}/", "a name for this machine"),
    ],
)
def test_a_redirect_to_a_forbidden_address_is_refused_before_connecting(
    origin: Origin, listener: Listener, location: str, reason: str
) -> None:
    only_the_origin = Allowance.parse(["127.0.0.1/32"])
    hop = location.format(port=listener.port)
    origin.route("/jump", status=302, headers={"Location": hop})
    with pytest.raises(UnsafeURL) as refused:
        fetch(origin.url("/jump"), allow=only_the_origin, accept=PAGE_TYPES, limits=QUICK)
    assert reason in str(refused.value)
    assert str(refused.value).startswith("The address redirects to http://")
    assert not isinstance(refused.value, BadAddress)  # an allow-list could let it through
    assert listener.connections == []


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "ftp://example.com/", "data:text/html,hi", "gopher://127.0.0.1:70/"],
)
def test_a_redirect_out_of_the_web_is_refused(origin: Origin, location: str) -> None:
    origin.route("/jump", status=301, headers={"Location": location})
    with pytest.raises(BadAddress, match="which is not a web address") as refused:
        get(origin.url("/jump"))
    assert location in str(refused.value)


def test_a_redirect_that_says_nowhere_fails_with_its_status(origin: Origin) -> None:
    origin.route("/jump", status=302)
    with pytest.raises(FetchFailed, match="did not say where") as failed:
        get(origin.url("/jump"))
    assert failed.value.status == 302


# --- Statuses -------------------------------------------------------------------------------------


def test_a_conditional_request_gets_304_and_keeps_its_validators(origin: Origin) -> None:
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"

    def unchanged(request: BaseHTTPRequestHandler) -> Reply:
        if request.headers["If-None-Match"] == '"v1"':
            return Reply(status=304)
        return Reply("<p>first</p>", headers={**HTML, "ETag": '"v1"', "Last-Modified": stamp})

    origin.route("/feedish", handler=unchanged)
    first = get(origin.url("/feedish"))
    assert (first.status, first.etag, first.last_modified) == (200, '"v1"', stamp)

    again = get(origin.url("/feedish"), etag=first.etag, last_modified=first.last_modified)
    assert (again.status, again.body, again.etag, again.last_modified) == (304, b"", '"v1"', stamp)
    sent = origin.requests[-1].headers
    assert (sent["If-None-Match"], sent["If-Modified-Since"]) == ('"v1"', stamp)
    assert "If-None-Match" not in origin.requests[0].headers


@pytest.mark.parametrize("status", [404, 410, 500, 503])
def test_an_error_status_fails_with_that_status(origin: Origin, status: int) -> None:
    origin.route("/broken", "<p>oops</p>", status=status, headers=HTML)
    with pytest.raises(FetchFailed) as failed:
        get(origin.url("/broken"))
    assert failed.value.status == status
    assert str(failed.value) == f"The server answered {status}."


def test_a_route_answers_in_turn_then_repeats_its_last(origin: Origin) -> None:
    origin.route("/turns", answers=[Reply("one", status=503), Reply("two", headers=HTML)])
    with pytest.raises(FetchFailed):
        get(origin.url("/turns"))
    assert get(origin.url("/turns")).body == b"two"
    assert get(origin.url("/turns")).body == b"two"
    assert origin.hits("/turns") == 3
    origin.remove("/turns")
    with pytest.raises(FetchFailed, match="404"):
        get(origin.url("/turns"))


# --- Slow and silent servers ----------------------------------------------------------------------


def _drip_body(request: BaseHTTPRequestHandler) -> None:
    request.send_response(200)
    request.send_header("Content-Type", "text/plain")
    request.send_header("Content-Length", "100")
    request.end_headers()
    for _ in range(100):
        request.wfile.write(b"x")
        request.wfile.flush()
        if request.server.origin.stopping.wait(0.2):  # type: ignore[attr-defined]
            return


def _drip_headers(request: BaseHTTPRequestHandler) -> None:
    request.wfile.write(b"HTTP/1.1 200 OK\r\n")
    for _ in range(100):
        request.wfile.write(b"X-Slow: 1\r\n")
        request.wfile.flush()
        if request.server.origin.stopping.wait(0.2):  # type: ignore[attr-defined]
            return


@pytest.mark.slow
@pytest.mark.parametrize("drip", [_drip_body, _drip_headers], ids=["body", "headers"])
def test_a_server_that_drips_fails_at_the_total_deadline(origin: Origin, drip: object) -> None:
    origin.route("/drip", handler=drip)  # type: ignore[arg-type]
    limits = FetchLimits(connect_timeout_s=2, read_timeout_s=5, total_timeout_s=1)
    started = time.monotonic()
    with pytest.raises(FetchFailed, match=r"^No complete answer within 1 s\.$"):
        get(origin.url("/drip"), limits=limits)
    assert 0.9 < time.monotonic() - started < 2


def test_a_server_that_says_nothing_fails_at_the_read_timeout(origin: Origin) -> None:
    origin.route("/silent", handler=lambda request: origin.stopping.wait(10) and None)
    limits = FetchLimits(connect_timeout_s=2, read_timeout_s=0.3, total_timeout_s=10)
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="did not answer in time"):
        get(origin.url("/silent"), limits=limits)
    assert 0.25 < time.monotonic() - started < 1.5


def this_machine(host: str, port: int) -> list[egress.IPAddress]:
    """A resolver for names no DNS knows here: every one is 127.0.0.1, which LOOPBACK allows."""
    return [ipaddress.ip_address("127.0.0.1")]


@pytest.fixture
def certificate(tmp_path: Path) -> Path:
    """A self-signed certificate and its key, in one PEM file, for the name news.example."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    pem = tmp_path / "news.example.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"),
            *("-nodes", "-days", "1", "-subj", "/CN=news.example"),
            *("-addext", "subjectAltName=DNS:news.example"),
            *("-keyout", str(pem), "-out", str(tmp_path / "cert.pem")),
        ],
        check=True,
        capture_output=True,
    )
    pem.write_text(pem.read_text() + (tmp_path / "cert.pem").read_text())
    return pem


@pytest.fixture
def tls_origin(certificate: Path) -> Iterator[Origin]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate)
    server = Origin(tls=context)
    try:
        yield server
    finally:
        server.stop()


def test_https_reaches_the_checked_address_and_checks_the_name(
    tls_origin: Origin, certificate: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tls_origin.route("/page", "<p>secure</p>", headers=HTML)
    url = f"https://news.example:{tls_origin.port}/page"
    with pytest.raises(FetchFailed, match="The certificate of news.example could not be verified"):
        fetch(url, allow=LOOPBACK, accept=PAGE_TYPES, resolver=this_machine)

    trusting = ssl.create_default_context(cafile=str(certificate))
    monkeypatch.setattr(egress.ssl, "create_default_context", lambda: trusting)
    page = fetch(url, allow=LOOPBACK, accept=PAGE_TYPES, resolver=this_machine)
    assert (page.url, page.body) == (url, b"<p>secure</p>")
    assert tls_origin.requests[-1].headers["Host"] == f"news.example:{tls_origin.port}"
    # The certificate names news.example, not the address that was connected to.
    with pytest.raises(FetchFailed, match="could not be verified"):
        fetch(tls_origin.url("/page"), allow=LOOPBACK, accept=PAGE_TYPES)


def test_nothing_listening_fails_with_a_sentence() -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed_soon:
        port = closed_soon.getsockname()[1]
    with pytest.raises(FetchFailed, match=f"Nothing answers at 127.0.0.1 on port {port}"):
        get(f"http://127.0.0.1:{port}/")


# --- Sizes and encodings --------------------------------------------------------------------------

SMALL = FetchLimits(connect_timeout_s=2, read_timeout_s=2, total_timeout_s=10, max_bytes=1000)


def test_a_body_just_under_the_cap_is_read(origin: Origin) -> None:
    origin.route("/full", b"x" * 1000, headers=HTML)
    assert len(get(origin.url("/full"), limits=SMALL).body) == 1000


def test_a_declared_length_above_the_cap_is_refused_before_reading(origin: Origin) -> None:
    # The length lies: were the body read, the answer would be a short read, not this.
    origin.route("/huge", b"x", headers={**HTML, "Content-Length": str(10**10)})
    with pytest.raises(FetchFailed, match="larger than 1,000 bytes"):
        get(origin.url("/huge"), limits=SMALL)


def test_a_chunked_body_above_the_cap_is_refused_while_streaming(origin: Origin) -> None:
    origin.route("/stream", b"x" * 3 * MB, headers=HTML, chunked=True)
    limits = FetchLimits(connect_timeout_s=2, read_timeout_s=2, total_timeout_s=10, max_bytes=MB)
    with pytest.raises(FetchFailed, match=r"larger than 1 MB; "):
        get(origin.url("/stream"), limits=limits)


def test_a_chunked_body_under_the_cap_is_read_whole(origin: Origin) -> None:
    origin.route("/stream", b"y" * 200 * 1024, headers=HTML, chunked=True)
    assert get(origin.url("/stream")).body == b"y" * 200 * 1024


def test_a_body_cut_short_fails(origin: Origin) -> None:
    origin.route("/short", b"only this", headers={**HTML, "Content-Length": "500"})
    with pytest.raises(FetchFailed, match="closed before the whole page came"):
        get(origin.url("/short"))


def _zeros_gzipped(megabytes: int) -> bytes:
    packer = zlib.compressobj(9, wbits=31)
    block = bytes(MB)
    return b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush()


def test_a_gzip_bomb_is_refused_without_holding_it(origin: Origin) -> None:
    bomb = _zeros_gzipped(50)
    assert len(bomb) < 100 * 1024
    origin.route("/bomb", bomb, headers={**HTML, "Content-Encoding": "gzip"})
    limits = FetchLimits(connect_timeout_s=2, read_timeout_s=2, total_timeout_s=10, max_bytes=MB)
    tracemalloc.start()
    try:
        with pytest.raises(FetchFailed, match="larger than 1 MB once uncompressed"):
            get(origin.url("/bomb"), limits=limits)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MB, f"the fetch held {peak / MB:.1f} MB at its peak"


@pytest.mark.parametrize(
    ("encoding", "packed"),
    [
        ("gzip", gzip.compress(b"<p>squeezed</p>" * 1000)),
        ("deflate", zlib.compress(b"<p>squeezed</p>" * 1000)),  # zlib-wrapped, as specified
        ("deflate", zlib.compress(b"<p>squeezed</p>" * 1000, wbits=-15)),  # raw, as some send
    ],
    ids=["gzip", "deflate", "raw-deflate"],
)
def test_a_compressed_page_is_decoded(origin: Origin, encoding: str, packed: bytes) -> None:
    origin.route("/packed", packed, headers={**HTML, "Content-Encoding": encoding})
    page = get(origin.url("/packed"))
    assert page.body == b"<p>squeezed</p>" * 1000


def test_a_broken_or_unknown_compression_fails(origin: Origin) -> None:
    origin.route("/br", b"...", headers={**HTML, "Content-Encoding": "br"})
    with pytest.raises(FetchFailed, match="'br', which the workbench cannot read"):
        get(origin.url("/br"))
    origin.route("/bad", b"not gzip at all", headers={**HTML, "Content-Encoding": "gzip"})
    with pytest.raises(FetchFailed, match="gzip compression is broken"):
        get(origin.url("/bad"))
    origin.route("/cut", gzip.compress(b"x" * 5000)[:-20], headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchFailed, match="gzip compression ends too soon"):
        get(origin.url("/cut"))


# --- Types ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("media_type", "message"),
    [
        (
            "application/pdf",
            "The address gives a PDF document (application/pdf), not a web page: only HTML, "
            "XHTML and plain-text pages can be read.",
        ),
        (
            "image/png",
            "The address gives an image (image/png), not a web page: only HTML, XHTML and "
            "plain-text pages can be read.",
        ),
        ("application/x-shockwave-flash", "a document (application/x-shockwave-flash)"),
    ],
)
def test_what_is_not_a_page_is_refused_from_its_headers(
    origin: Origin, media_type: str, message: str
) -> None:
    # A length no body has: the type is judged before anything of the body is read.
    origin.route("/file", b"%PDF", headers={"Content-Type": media_type, "Content-Length": "9999"})
    with pytest.raises(FetchFailed) as refused:
        get(origin.url("/file"))
    assert message in str(refused.value)
    assert refused.value.status is None


def test_a_feed_may_come_as_xml_or_as_a_page_but_not_as_json(origin: Origin) -> None:
    for media_type in ("application/rss+xml", "text/xml", "text/html"):
        origin.route("/feed", b"<rss/>", headers={"Content-Type": media_type})
        fed = fetch(origin.url("/feed"), allow=LOOPBACK, accept=FEED_TYPES, limits=QUICK)
        assert fed.media_type == media_type
    origin.route("/feed", b"{}", headers={"Content-Type": "application/json"})
    with pytest.raises(FetchFailed, match=r"JSON data \(application/json\), not a feed"):
        fetch(origin.url("/feed"), allow=LOOPBACK, accept=FEED_TYPES, limits=QUICK)


def test_a_page_without_a_type_is_taken(origin: Origin) -> None:
    origin.route("/untyped", b"plain words")
    page = get(origin.url("/untyped"))
    assert (page.body, page.media_type, page.charset) == (b"plain words", "", None)


# --- The address policy, shared with the webhooks -------------------------------------------------


def test_every_address_the_webhooks_refuse_is_refused_here_without_connecting(
    listener: Listener,
) -> None:
    port = f":{listener.port}"
    for template, reason in REFUSED:
        with pytest.raises(UnsafeURL) as refused:
            fetch(template.replace("{p}", port), allow=PUBLIC_ONLY, accept=PAGE_TYPES, limits=QUICK)
        assert reason in str(refused.value), template
    assert listener.connections == []


def test_post_and_fetch_connect_to_the_address_that_was_checked(origin: Origin) -> None:
    """A name resolved once, by the check, to an allowed address: the connection goes there (no
    second lookup a rebinding DNS server could answer differently), with the name in Host."""
    answers = iter([[ipaddress.ip_address("127.0.0.1")]] * 2)
    asked: list[str] = []

    def rebinding(host: str, port: int) -> list[egress.IPAddress]:
        asked.append(host)
        return next(answers, [ipaddress.ip_address("169.254.169.254")])

    origin.route("/hook", status=204)
    origin.route("/page", "<p>hello</p>", headers=HTML)
    url = f"http://news.example:{origin.port}"
    sent = egress.post(f"{url}/hook", b"{}", {}, timeout=2, allow=LOOPBACK, resolver=rebinding)
    page = fetch(f"{url}/page", allow=LOOPBACK, accept=PAGE_TYPES, resolver=rebinding)
    assert (sent.status, page.body) == (204, b"<p>hello</p>")
    assert asked == ["news.example", "news.example"]
    assert [r.headers["Host"] for r in origin.requests] == [f"news.example:{origin.port}"] * 2
    # The next lookup answers the metadata address: both refuse it the same way.
    with pytest.raises(UnsafeURL, match="news.example resolves to 169.254.169.254") as posted:
        egress.post(f"{url}/hook", b"{}", {}, timeout=2, allow=LOOPBACK, resolver=rebinding)
    with pytest.raises(UnsafeURL) as fetched:
        fetch(f"{url}/page", allow=LOOPBACK, accept=PAGE_TYPES, resolver=rebinding)
    assert str(fetched.value) == str(posted.value)
    assert origin.hits("/hook") == origin.hits("/page") == 1
