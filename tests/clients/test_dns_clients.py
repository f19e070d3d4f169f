"""The compiled `dns` example (sanitizer build) against real resolvers: dig (Debian's
bind9-dnsutils) and dnspython, for the zone examples/dns.wyki serves and its error replies
(the cases of tests/transcripts/dns/*.tr, asked by a real client).
"""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from tests.clients.conftest import Start, require_module, require_tool
from tests.runtime.conftest import WAIT, Service

ZONE_SOA = "ns1.example.test. hostmaster.example.test. 2026010101 3600 600 86400 300"


@pytest.fixture
def dns_svc(start: Start) -> Service:
    return start("dns")


# ---- dig -------------------------------------------------------------------------------------


def dig(svc: Service, *query: str) -> str:
    argv = [require_tool("dig", "bind9-dnsutils"), "@127.0.0.1", "-p", str(svc.port)]
    argv += [*query, "+tries=1", "+time=2"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=WAIT, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_dig_short_answers(dns_svc: Service) -> None:
    answers = {
        ("example.test",): "192.0.2.1",
        ("www.example.test", "A"): "192.0.2.2",
        ("NS1.Example.TEST", "A"): "192.0.2.53",  # names match ignoring case
        ("example.test", "AAAA"): "2001:db8::1",
        ("example.test", "TXT"): '"v=nanowyki"',
        ("example.test", "NS"): "ns1.example.test.",
        ("example.test", "SOA"): ZONE_SOA,
    }
    for query, answer in answers.items():
        assert dig(dns_svc, *query, "+short") == answer + "\n", query


def test_dig_full_reply_flags_and_sections(dns_svc: Service) -> None:
    out = dig(dns_svc, "example.test", "ANY", "+notcp", "+norecurse")
    assert "status: NOERROR" in out
    assert "flags: qr aa; QUERY: 1, ANSWER: 5, AUTHORITY: 0, ADDITIONAL: 0" in out
    out = dig(dns_svc, "example.test", "NS")
    assert "flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1" in out
    assert "ns1.example.test.\t300\tIN\tA\t192.0.2.53" in out


def test_dig_negative_answers(dns_svc: Service) -> None:
    nxdomain = dig(dns_svc, "nope.example.test", "A")
    assert "status: NXDOMAIN" in nxdomain
    assert f"example.test.\t\t300\tIN\tSOA\t{ZONE_SOA}" in nxdomain
    nodata = dig(dns_svc, "www.example.test", "AAAA")
    assert "status: NOERROR" in nodata and "ANSWER: 0, AUTHORITY: 1" in nodata
    refused = dig(dns_svc, "example.com", "A")
    assert "status: REFUSED" in refused and "flags: qr rd;" in refused
    chaos = dig(dns_svc, "example.test", "TXT", "-c", "CH")
    assert "status: REFUSED" in chaos


# ---- dnspython -------------------------------------------------------------------------------


def ask(svc: Service, query: Any) -> Any:
    dns_query = require_module("dns.query", "dnspython")
    return dns_query.udp(query, "127.0.0.1", port=svc.port, timeout=WAIT)


def dnspython() -> tuple[Any, Any, Any, Any]:
    """dns.message, dns.rcode, dns.rdatatype, dns.flags."""
    return tuple(
        require_module(f"dns.{m}", "dnspython") for m in ("message", "rcode", "rdatatype", "flags")
    )


def test_dnspython_records(dns_svc: Service) -> None:
    message, rcode, rdatatype, flags = dnspython()
    expected = {
        ("example.test", "A"): {"192.0.2.1"},
        ("www.example.test", "A"): {"192.0.2.2"},
        ("example.test", "AAAA"): {"2001:db8::1"},
        ("example.test", "TXT"): {'"v=nanowyki"'},
        ("example.test", "NS"): {"ns1.example.test."},
    }
    for (name, rtype), values in expected.items():
        r = ask(dns_svc, message.make_query(name, rtype))
        assert r.rcode() == rcode.NOERROR
        assert r.flags & flags.AA
        (rrset,) = r.answer
        assert rrset.ttl == 300
        assert {rd.to_text() for rd in rrset} == values, (name, rtype)
    r = ask(dns_svc, message.make_query("example.test", "ANY"))
    assert {rrset.rdtype for rrset in r.answer} == {
        rdatatype.A,
        rdatatype.NS,
        rdatatype.SOA,
        rdatatype.TXT,
        rdatatype.AAAA,
    }


def test_dnspython_negative_answers(dns_svc: Service) -> None:
    message, rcode, rdatatype, flags = dnspython()
    r = ask(dns_svc, message.make_query("a.b.example.test", "A"))
    assert r.rcode() == rcode.NXDOMAIN
    (soa,) = r.authority
    assert soa.rdtype == rdatatype.SOA and soa[0].to_text() == ZONE_SOA
    r = ask(dns_svc, message.make_query("ns1.example.test", "TXT"))
    assert (r.rcode(), r.answer, len(r.authority)) == (rcode.NOERROR, [], 1)
    r = ask(dns_svc, message.make_query("example.org", "A"))
    assert r.rcode() == rcode.REFUSED and not r.flags & flags.AA


def test_dnspython_formerr_and_notimp(dns_svc: Service) -> None:
    message, rcode, _, _ = dnspython()
    two = message.make_query("example.test", "A")
    two.question.append(message.make_query("www.example.test", "A").question[0])
    r = ask(dns_svc, two)  # QDCOUNT 2
    assert r.rcode() == rcode.FORMERR and r.question == [] and r.answer == []
    opcode = require_module("dns.opcode", "dnspython")
    notify = message.make_query("example.test", "SOA")
    notify.set_opcode(opcode.NOTIFY)
    r = ask(dns_svc, notify)
    assert (r.rcode(), r.opcode()) == (rcode.NOTIMP, opcode.NOTIFY)
    # The server still answers after both.
    assert ask(dns_svc, message.make_query("example.test", "A")).rcode() == rcode.NOERROR
