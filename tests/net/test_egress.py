"""The outbound address policy (workbench/egress.py), tried as an attacker would: more than a
hundred addresses written every way a browser, a resolver or an HTTP client might read them
(decimal, octal, hex, short forms, trailing dots, fullwidth and look-alike characters, IPv6 forms
that carry an IPv4 address, user-info tricks), each checked at registration, at send time
through the delivery worker, and by `flask --app app egress check`, while a listener on every
local address proves that nothing the policy refuses is ever connected to.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from conftest import committed
from flask import Flask
from sqlmodel import Session, select

from workbench.alerts import webhooks
from workbench.alerts.delivery import DeliveryConfig, deliver_once
from workbench.db import read_session
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import Alert, Claim, Delivery, DeliveryState, Webhook, WebhookFormat
from workbench.net import egress
from workbench.net.egress import Allowance, BadAddress, UnsafeURL
from workbench.review import verdicts as review

LOOPBACK = "a loopback address"
THIS_MACHINE = "a name for this machine"
METADATA = "a cloud metadata address"
PRIVATE = "a private address"
CREDENTIALS = "no user name or password"

# `{p}` marks where the port goes: nothing at registration, the listener's port at send time, so
# that a policy that let the address through would connect to the listener and be caught.
REFUSED: list[tuple[str, str]] = [
    # Loopback, written every way the WHATWG IPv4 parser (and glibc's inet_aton) reads it.
    ("http://127.0.0.1{p}/", LOOPBACK),
    ("http://127.1{p}/", LOOPBACK),
    ("http://127.0.1{p}/", LOOPBACK),
    ("http://2130706433{p}/", LOOPBACK),
    ("http://017700000001{p}/", LOOPBACK),
    ("http://0x7f000001{p}/", LOOPBACK),
    ("http://0x7f.0x0.0x0.0x1{p}/", LOOPBACK),
    ("http://0177.0.0.1{p}/", LOOPBACK),
    ("http://0177.0000.0000.0001{p}/", LOOPBACK),
    ("http://127.000.000.001{p}/", LOOPBACK),
    ("http://0X7F.1{p}/", LOOPBACK),
    ("http://0x00007f.1{p}/", LOOPBACK),
    ("http://0000177.1{p}/", LOOPBACK),
    ("http://0x7f.0.0.1{p}/", LOOPBACK),
    ("http://127.0.0.1.{p}/", LOOPBACK),
    ("http://127.1.{p}/", LOOPBACK),
    ("http://127.255.255.254{p}/", LOOPBACK),
    ("http://127.0.0.1{p}/?x=1#frag", LOOPBACK),
    ("http://127.0.0.1{p}#@example.com/", LOOPBACK),
    # ... and in characters that look like digits and dots (UTS 46 maps them to ASCII).
    ("http://１２７.０.０.１{p}/", LOOPBACK),
    ("http://127。0。0。1{p}/", LOOPBACK),
    ("http://①②⑦.⓪.⓪.①{p}/", LOOPBACK),
    # Names that mean this machine, however written.
    ("http://localhost{p}/", THIS_MACHINE),
    ("http://LOCALHOST{p}/", THIS_MACHINE),
    ("http://localhost.{p}/", THIS_MACHINE),
    ("http://hooks.localhost{p}/", THIS_MACHINE),
    ("http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ{p}/", THIS_MACHINE),
    ("http://ＬＯＣＡＬＨＯＳＴ{p}/", THIS_MACHINE),
    ("http://locａlhost{p}/", THIS_MACHINE),
    ("http://loca\u00adlhost{p}/", THIS_MACHINE),
    ("http://localhost。{p}/", THIS_MACHINE),
    # IPv6 loopback and unspecified; 0 and 0.0.0.0.
    ("http://[::1]{p}/", LOOPBACK),
    ("http://[0:0:0:0:0:0:0:1]{p}/", LOOPBACK),
    ("http://[0000::0001]{p}/", LOOPBACK),
    ("http://[::]{p}/", "an unspecified address"),
    ("http://0{p}/", "an unspecified address"),
    ("http://0.0.0.0{p}/", "an unspecified address"),
    ("http://0x0{p}/", "an unspecified address"),
    ("http://0.0.0.1{p}/", "'this network'"),
    # IPv6 forms that carry an IPv4 address, judged by the address they carry.
    ("http://[::ffff:127.0.0.1]{p}/", "IPv4-mapped address for 127.0.0.1, a loopback"),
    ("http://[::ffff:7f00:1]{p}/", "IPv4-mapped address for 127.0.0.1"),
    ("http://[0:0:0:0:0:ffff:127.0.0.1]{p}/", "IPv4-mapped address for 127.0.0.1"),
    ("http://[::ffff:10.0.0.1]{p}/", PRIVATE),
    ("http://[::ffff:169.254.169.254]{p}/", METADATA),
    ("http://[::ffff:a9fe:a9fe]{p}/", METADATA),
    ("http://[::127.0.0.1]{p}/", "IPv4-compatible address for 127.0.0.1"),
    ("http://[::7f00:1]{p}/", "IPv4-compatible address for 127.0.0.1"),
    ("http://[::10.0.0.1]{p}/", "IPv4-compatible address for 10.0.0.1, a private"),
    ("http://[::2]{p}/", "'this network'"),
    ("http://[::ffff:0:127.0.0.1]{p}/", "SIIT (IPv4-translated) address for 127.0.0.1"),
    ("http://[::ffff:0:10.0.0.1]{p}/", "SIIT (IPv4-translated) address for 10.0.0.1"),
    ("http://[64:ff9b::127.0.0.1]{p}/", "NAT64 address for 127.0.0.1"),
    ("http://[64:ff9b::7f00:1]{p}/", "NAT64 address for 127.0.0.1"),
    ("http://[64:ff9b::10.0.0.1]{p}/", "NAT64 address for 10.0.0.1, a private"),
    ("http://[64:ff9b::169.254.169.254]{p}/", METADATA),
    ("http://[64:ff9b:1::a00:1]{p}/", "local-use NAT64 address (64:ff9b:1::/48) for 10.0.0.1"),
    ("http://[64:ff9b:1::808:808]{p}/", "translated inside the operator's own network"),
    ("http://[2002:7f00:1::1]{p}/", "6to4 address for 127.0.0.1"),
    ("http://[2002:a00:1::1]{p}/", "6to4 address for 10.0.0.1"),
    ("http://[2002:a9fe:a9fe::1]{p}/", METADATA),
    ("http://[2002:c0a8:101::1]{p}/", "6to4 address for 192.168.1.1"),
    ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]{p}/", "Teredo address for 127.0.0.1"),
    ("http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]{p}/", "Teredo address for 10.0.0.1"),
    ("http://[2001:0:a00:1:8000:63bf:f7f7:f7f7]{p}/", "whose server is 10.0.0.1"),
    ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]{p}/", "for 192.0.2.45, a documentation"),
    # Link-local (with and without a zone), site-local, unique-local, multicast, reserved.
    ("http://[fe80::1]{p}/", "a link-local address (fe80::/10)"),
    ("http://[fe80::1%25lo]{p}/", "with a zone (%lo)"),
    ("http://[fe80::1%25eth0]{p}/", "with a zone (%eth0)"),
    ("http://[FE80::abcd:1]{p}/", "a link-local address"),
    ("http://[febf::1]{p}/", "a link-local address"),
    ("http://[fec0::1]{p}/", "site-local"),
    ("http://[feff::1]{p}/", "site-local"),
    ("http://[fc00::1]{p}/", "unique-local"),
    ("http://[fd12:3456:789a::1]{p}/", "unique-local"),
    ("http://[fd00:ec2::254]{p}/", METADATA),
    ("http://[ff02::1]{p}/", "multicast"),
    ("http://[ff05::2]{p}/", "multicast"),
    ("http://[100::1]{p}/", "discard-only"),
    ("http://[2001:db8::1]{p}/", "documentation"),
    ("http://[3fff::1]{p}/", "documentation"),
    ("http://[2001:2::1]{p}/", "benchmarking"),
    ("http://[2001:10::1]{p}/", "ORCHID"),
    ("http://[2001:1::1]{p}/", "IETF protocol assignment"),
    ("http://[5f00::1]{p}/", "SRv6"),
    ("http://[4000::1]{p}/", "reserved address (outside the global unicast range"),
    # IPv4 private and special-purpose ranges, some written in other bases.
    ("http://10.0.0.1{p}/", PRIVATE),
    ("http://10.1{p}/", PRIVATE),
    ("http://012.0.0.1{p}/", PRIVATE),
    ("http://167772161{p}/", PRIVATE),
    ("http://172.16.0.1{p}/", PRIVATE),
    ("http://172.31.255.255{p}/", PRIVATE),
    ("http://0xac100001{p}/", PRIVATE),
    ("http://192.168.0.1{p}/", PRIVATE),
    ("http://192.168.1{p}/", PRIVATE),
    ("http://0300.0250.0.1{p}/", PRIVATE),
    ("http://0xc0a80001{p}/", PRIVATE),
    ("http://3232235521{p}/", PRIVATE),
    ("http://169.254.169.254{p}/latest/meta-data/", METADATA),
    ("http://169.254.43518{p}/", METADATA),
    ("http://2852039166{p}/", METADATA),
    ("http://0xa9fea9fe{p}/", METADATA),
    ("http://0251.0376.0251.0376{p}/", METADATA),
    ("http://169.254.170.2{p}/", METADATA),
    ("http://168.63.129.16{p}/", METADATA),
    ("http://100.100.100.200{p}/", METADATA),
    ("http://169.254.1.1{p}/", "a link-local address (169.254.0.0/16)"),
    ("http://100.64.0.1{p}/", "carrier-grade NAT"),
    ("http://100.127.255.254{p}/", "carrier-grade NAT"),
    ("http://192.0.0.1{p}/", "IETF protocol assignment"),
    ("http://192.0.2.1{p}/", "documentation"),
    ("http://198.51.100.7{p}/", "documentation"),
    ("http://203.0.113.9{p}/", "documentation"),
    ("http://198.18.0.1{p}/", "benchmarking"),
    ("http://198.19.255.255{p}/", "benchmarking"),
    ("http://192.88.99.1{p}/", "6to4 relay"),
    ("http://224.0.0.1{p}/", "multicast"),
    ("http://239.255.255.250{p}/", "multicast"),
    ("http://240.0.0.1{p}/", "reserved"),
    ("http://255.255.255.255{p}/", "broadcast"),
    ("http://4294967295{p}/", "broadcast"),
    # User-info tricks: the host is what follows the last '@', and credentials are refused.
    ("http://example.com@127.0.0.1{p}/", CREDENTIALS),
    ("http://user:pass@8.8.8.8{p}/", CREDENTIALS),
    ("http://127.0.0.1:80@example.com{p}/", CREDENTIALS),
    ("http://@127.0.0.1{p}/", CREDENTIALS),
    ("http://127.0.0.1\\@example.com/", "backslash"),
    # Hosts no program reads the same way, or that are not addresses at all.
    ("http://127.0.0.1%2509/", "percent-encoded"),
    ("http://%31%32%37.0.0.1/", "percent-encoded"),
    ("http://127.0.0.1 /", "spaces or control characters"),
    ("http://127.0.0.1\t/", "spaces or control characters"),
    ("http://[::1/", "cannot be read"),
    ("http://[1.2.3.4]/", "cannot be read"),
    ("http://256.0.0.1/", "not a valid IPv4 address"),
    ("http://1.2.3.4.5/", "not a valid IPv4 address"),
    ("http://0x100000000/", "not a valid IPv4 address"),
    ("http://08.0.0.1/", "not a valid IPv4 address"),
    ("http://example.123/", "not a valid IPv4 address"),
    ("http://xn--zz.example/", "not a valid IDNA label"),
    ("http://bad!host.example/", "not a valid host name"),
    ("http://127.0.0.1:0/", "port"),
    ("http://127.0.0.1:65536/", "port"),
    ("http:///nohost", "no host name"),
    ("file:///etc/passwd", "must start with https://"),
    ("gopher://127.0.0.1:70/", "must start with https://"),
    ("dict://127.0.0.1:11211/", "must start with https://"),
    ("ftp://example.com/", "must start with https://"),
]

# Public addresses, written in other ways too, and the normalised URL that is stored.
ALLOWED: list[tuple[str, str]] = [
    ("http://8.8.8.8/", "http://8.8.8.8/"),
    ("http://134744072/", "http://8.8.8.8/"),
    ("http://0x8.0x8.0x8.0x8/", "http://8.8.8.8/"),
    ("http://010.010.010.010/", "http://8.8.8.8/"),
    ("http://8.8.8.8./hook", "http://8.8.8.8/hook"),
    ("https://1.1.1.1/hook?a=b", "https://1.1.1.1/hook?a=b"),
    ("https://1.1.1.1:443/#fragment", "https://1.1.1.1/"),
    ("http://１.１.１.１:8080/", "http://1.1.1.1:8080/"),
    ("http://[2606:4700:4700::1111]/", "http://[2606:4700:4700::1111]/"),
    ("http://[2001:4860:4860:0:0:0:0:8888]:8080/x", "http://[2001:4860:4860::8888]:8080/x"),
    ("http://[2600::1]/", "http://[2600::1]/"),
    ("http://[::ffff:808:808]/", "http://[::ffff:8.8.8.8]/"),
    ("http://[::ffff:8.8.8.8]/", "http://[::ffff:8.8.8.8]/"),
    ("http://[64:ff9b::8.8.8.8]/", "http://[64:ff9b::808:808]/"),
    ("http://[2002:808:808::1]/", "http://[2002:808:808::1]/"),
    (
        "http://[2001:0:4136:e378:8000:63bf:f7f7:f7f7]/",
        "http://[2001:0:4136:e378:8000:63bf:f7f7:f7f7]/",
    ),
    ("http://8.8.8.8/pfad/ä?q=ü", "http://8.8.8.8/pfad/%C3%A4?q=%C3%BC"),
    ("http://8.8.8.8/a%zz", "http://8.8.8.8/a%25zz"),
    ("http://100.63.255.255/", "http://100.63.255.255/"),
    ("http://100.128.0.0/", "http://100.128.0.0/"),
    ("http://172.32.0.1/", "http://172.32.0.1/"),
    ("http://192.169.0.1/", "http://192.169.0.1/"),
    ("http://11.0.0.1/", "http://11.0.0.1/"),
    ("http://198.20.0.1/", "http://198.20.0.1/"),
    ("http://223.255.255.254/", "http://223.255.255.254/"),
]

PUBLIC_ONLY = Allowance()


def _registration_form(template: str) -> str:
    return template.replace("{p}", "")


def test_the_table_is_big_enough() -> None:
    assert len(REFUSED) + len(ALLOWED) >= 100
    assert len({url for url, _ in REFUSED}) == len(REFUSED), "duplicate entries"


@pytest.mark.parametrize(("template", "reason"), REFUSED, ids=[t for t, _ in REFUSED])
def test_registration_refuses_the_address_and_says_why(
    session: Session, template: str, reason: str
) -> None:
    with pytest.raises(webhooks.WebhookError) as refused:
        webhooks.register(session, None, _registration_form(template), allow=PUBLIC_ONLY)  # type: ignore[arg-type]
    assert reason in str(refused.value)
    assert session.exec(select(Webhook)).all() == []


@pytest.mark.parametrize(("url", "stored"), ALLOWED, ids=[u for u, _ in ALLOWED])
def test_registration_accepts_public_addresses_and_stores_them_normalised(
    session: Session, url: str, stored: str
) -> None:
    made = webhooks.register(session, None, url, allow=PUBLIC_ONLY)  # type: ignore[arg-type]
    assert made.webhook.url == stored and made.warning is None
    assert made.webhook.url.isascii()


# --- Send time: a listener on every local address sees no connection ------------------------------


@dataclass
class Listener:
    port: int
    connections: list[tuple[str, int]] = field(default_factory=list)


@pytest.fixture
def listener() -> Iterator[Listener]:
    """Accepts (and drops) connections on one port of every local address, IPv4 and IPv6:
    whatever loopback, private or mapped form an address takes, a connection would land here."""
    if socket.has_dualstack_ipv6():
        server = socket.create_server(("", 0), family=socket.AF_INET6, dualstack_ipv6=True)
    else:
        server = socket.create_server(("0.0.0.0", 0))
    server.settimeout(0.05)
    state = Listener(server.getsockname()[1])
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, peer = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            state.connections.append(peer[:2])
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield state
    stop.set()
    thread.join(5)
    server.close()


def test_the_listener_sees_a_connection_the_policy_allows(listener: Listener) -> None:
    """The proof below is only as good as the listener: an allowed loopback send does reach it."""
    with pytest.raises(egress.SendFailed):  # it hangs up without answering
        egress.post(
            f"http://127.1:{listener.port}/",
            b"{}",
            {},
            timeout=2,
            allow=Allowance.parse(["127.0.0.0/8"]),
        )
    assert len(listener.connections) == 1


def _one_alert(engine: sa.Engine, editor: int) -> int:
    with committed(engine) as db:
        first = ingest_article(
            db, ArticleInput(body="The city spent $12 million on the new bridge last year.")
        )
        claim = db.exec(select(Claim).where(Claim.article_id == first.article.id)).one()
        review.take(db, claim.id, editor, claim.version)
        ingest_article(
            db, ArticleInput(body="Last year the city spent $12 million on the new bridge.")
        )
        return db.exec(select(Alert.id)).one()


def test_at_send_time_nothing_refused_is_connected_to(
    engine: sa.Engine, users: dict[str, int], listener: Listener
) -> None:
    """Addresses stored before today's checks (written straight into the table) are refused by
    the worker when it sends, each delivery says why, and the listener sees nothing."""
    port = f":{listener.port}"
    with committed(engine) as db:
        for template, _reason in REFUSED:
            db.add(Webhook(url=template.replace("{p}", port), secret=webhooks.new_secret()))
        db.commit()
    _one_alert(engine, users["editor"])

    config = DeliveryConfig(timeout_s=0.5, attempts=3, backoff_s=60, allow=PUBLIC_ONLY)
    report = deliver_once(engine, config)
    assert report.delivered == 0 and report.sent == len(REFUSED)

    with read_session(engine) as db:
        rows = db.execute(
            sa.select(Webhook.url, Delivery.state, Delivery.last_error)
            .join(Delivery, Delivery.webhook_id == Webhook.id)
            .order_by(Webhook.id)
        ).all()
    assert len(rows) == len(REFUSED)
    for (_template, reason), (url, state, error) in zip(REFUSED, rows, strict=True):
        assert reason in (error or ""), (url, error)
        assert state in (DeliveryState.PENDING, DeliveryState.DEAD), url
    assert listener.connections == []


def test_post_itself_refuses_before_connecting(listener: Listener) -> None:
    port = f":{listener.port}"
    for template, reason in REFUSED:
        with pytest.raises(UnsafeURL, match=None) as refused:
            egress.post(template.replace("{p}", port), b"{}", {}, timeout=0.5, allow=PUBLIC_ONLY)
        assert reason in str(refused.value), template
    assert listener.connections == []


def test_malformed_addresses_are_bad_for_good_and_refused_ones_may_change() -> None:
    with pytest.raises(BadAddress):
        egress.read_url("http://[::1/")
    # A refused address is not malformed: an admin's allow-list may let it through.
    target = egress.read_url("http://127.1/")
    with pytest.raises(UnsafeURL) as refused:
        egress.check_target(target, PUBLIC_ONLY)
    assert not isinstance(refused.value, BadAddress)
    assert egress.check_target(target, Allowance.parse(["127.0.0.0/8"])) == [
        ipaddress.ip_address("127.0.0.1")
    ]


# --- The policy against the interpreter's own flags ----------------------------------------------

# The forms we unwrap on purpose: CPython calls the whole of ::ffff:0:0/96 private, we judge the
# IPv4 address inside (::ffff:8.8.8.8 is 8.8.8.8).
UNWRAPPED = [egress.MAPPED, egress.SIIT, egress.NAT64, egress.SIX_TO_FOUR, egress.TEREDO]


def _interpreter_non_global() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    constants = [ipaddress._IPv4Constants, ipaddress._IPv6Constants]  # type: ignore[attr-defined]
    networks = []
    for table in constants:
        networks += list(table._private_networks)
        networks.append(table._multicast_network)
        networks += [table._linklocal_network] if hasattr(table, "_linklocal_network") else []
    return networks


def test_every_range_the_interpreter_calls_non_global_is_refused_by_name() -> None:
    """Our named table covers whatever this interpreter's ipaddress knows (CVE-2024-4032 made
    later versions refine it), apart from the IPv4-carrying forms we judge by what they carry."""
    checked = 0
    for network in _interpreter_non_global():
        if any(network.subnet_of(u) for u in UNWRAPPED if u.version == network.version):  # type: ignore[arg-type]
            continue
        for address in (network[0], network[-1], network[network.num_addresses // 2]):
            assert egress.why_forbidden(address) is not None, (network, address)
            checked += 1
    assert checked >= 40


def test_what_this_interpreter_gets_wrong_we_get_right() -> None:
    # CPython before 3.13 does not call ::ffff:127.0.0.1 loopback, and before 3.11.10 / 3.12.4
    # (CVE-2024-4032) calls 100.64.0.1 neither private nor global.
    mapped = ipaddress.ip_address("::ffff:127.0.0.1")
    assert egress.why_forbidden(mapped) is not None
    assert "carrier-grade NAT" in (egress.why_forbidden(ipaddress.ip_address("100.64.0.1")) or "")
    assert egress.why_forbidden(ipaddress.ip_address("8.8.8.8")) is None


# --- The command an admin asks "why is my webhook refused?" ---------------------------------------


def test_egress_check_prints_the_same_answer_for_every_address(app: Flask) -> None:
    urls = [_registration_form(t) for t, _ in REFUSED] + [u for u, _ in ALLOWED]
    result = app.test_cli_runner().invoke(args=["egress", "check", *urls])
    assert result.exit_code == 1  # something was refused
    lines = result.output.splitlines()
    assert len(lines) == len(urls)
    expected = [("refused", r) for _, r in REFUSED] + [("allowed", "is public") for _ in ALLOWED]
    for line, url, (verdict, reason) in zip(lines, urls, expected, strict=True):
        word, shown, why = line.split("\t", 2)
        assert (word, shown) == (verdict, egress.printable(url))
        assert reason in why, line


def test_egress_check_reads_the_allow_list_under_either_name(make_app) -> None:  # type: ignore[no-untyped-def]
    from workbench.config import Settings

    settings = Settings.from_env(
        {"WORKBENCH_EGRESS_ALLOW": "10.0.0.0/8", "WORKBENCH_WEBHOOK_ALLOW": "hooks.localhost"}
    )
    assert settings.egress_allow == ("10.0.0.0/8", "hooks.localhost")
    app = make_app(egress_allow=settings.egress_allow)
    result = app.test_cli_runner().invoke(
        args=["egress", "check", "http://10.1/", "http://[::ffff:10.0.0.1]/", "http://192.168.0.1/"]
    )
    lines = result.output.splitlines()
    assert lines[0].startswith("allowed\thttp://10.1/\tread as http://10.0.0.1/;")
    assert "allowed in WORKBENCH_EGRESS_ALLOW" in lines[0]
    assert lines[1].startswith("allowed\t")
    assert lines[2].startswith("refused\t") and PRIVATE in lines[2]
    assert result.exit_code == 1
    everything_allowed = app.test_cli_runner().invoke(args=["egress", "check", "http://10.0.0.9/"])
    assert everything_allowed.exit_code == 0


def test_an_admin_is_told_why_on_the_webhooks_page(
    client,
    auth,
    users: dict[str, int],  # type: ignore[no-untyped-def]
) -> None:
    from conftest import csrf_token

    auth.login("admin")
    page = client.post(
        "/alerts/webhooks",
        data={
            "url": "http://[64:ff9b::169.254.169.254]/",
            "format": WebhookFormat.STANDARD.value,
            "csrf_token": csrf_token(client, "/alerts/webhooks"),
        },
    )
    assert page.status_code == 400
    assert "NAT64 address for 169.254.169.254, a cloud metadata address" in page.get_data(
        as_text=True
    )
