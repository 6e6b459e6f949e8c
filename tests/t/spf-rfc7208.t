#!/usr/bin/python3
# spf-rfc7208.t - the RFC 7208 test suite (openspf.org, release 2014.04, as
# shipped by Debian's python3-spf) through our SPF layer, lib/spf.c.
#
# Each scenario of the suite is a YAML document with `zonedata` (the DNS
# world) and `tests`.  For each scenario this script writes the zonedata
# as a root zone, starts unbound on it (tests/lib/dns-server with
# DNS_SERVER_NOZONES=1, so the scenario is all there is), and runs the
# scenario's tests through one build/tools/spfcheck process.
#
# The suite's own driver, testspf.py (python3-spf), defines what its
# data mean; this script follows it:
#   - the check is spf.query(i=host, s=mailfrom, h=helo): the MAIL FROM
#     identity, or postmaster@helo when mailfrom is empty (our
#     SPF_SCOPE_MFROM does the same); the receiver (%{r}) is "unknown";
#   - `result` is one result or a list of acceptable ones (testspf.py's
#     `res not in t.result` also matches substrings of a single result,
#     so it would take "fail" for "softfail"; we compare whole words);
#   - `explanation`, when given, must equal ours; "DEFAULT" is the
#     receiver's default explanation (testspf.py sets it to "DEFAULT",
#     spf(3) has its own text, matched by DEFAULT_EXP below);
#   - zone data (getrdata/DNSLookup): TXT and SPF strings are UTF-8
#     encoded, several strings are one record; a name with SPF records
#     and no TXT ones also gets the SPF records as TXT ("TXT: NONE" stops
#     that); the SPF records are served as type SPF as well; a TIMEOUT
#     entry makes every type not listed before it time out.  unbound
#     drops the queries of such a name (local-zone deny); see
#     timeout_config() for how close that comes, and check_timeouts() for
#     the check that it was close enough.
#
# Tests that fail because of libspf2 itself are listed, with the reason,
# in tests/spf-rfc7208-known-failures.txt: they come out as TAP TODO.
#
# Environment: PD_BUILD (the build directory), PD_TOP (the source tree).
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

SUITE = "/usr/share/doc/python3-spf/rfc7208-tests.yml.gz"
TOP = os.path.abspath(os.environ.get("PD_TOP", "."))
BUILD = os.path.abspath(os.environ.get("PD_BUILD", os.path.join(TOP, "build")))
SPFCHECK = os.path.join(BUILD, "tools", "spfcheck")
DNS_SERVER = os.path.join(TOP, "tests", "lib", "dns-server")
KNOWN = os.path.join(TOP, "tests", "spf-rfc7208-known-failures.txt")
RECEIVER = "unknown"  # pyspf's %{r} when no receiver is given
DEFAULT_EXP = re.compile(r"^\S+ is not one of \S+'s designated mail servers$")
# unbound answers these itself (localhost, private and documentation
# reverse zones, RFC 6761 names...); the scenario must be all there is.
UNBOUND_DEFAULT_ZONES = (
    ["localhost", "127.in-addr.arpa", "1." + "0." * 31 + "ip6.arpa", "home.arpa",
     "onion", "test", "invalid", "10.in-addr.arpa", "168.192.in-addr.arpa",
     "0.in-addr.arpa", "254.169.in-addr.arpa", "2.0.192.in-addr.arpa",
     "100.51.198.in-addr.arpa", "113.0.203.in-addr.arpa",
     "255.255.255.255.in-addr.arpa", "0." * 32 + "ip6.arpa", "d.f.ip6.arpa",
     "8.e.f.ip6.arpa", "9.e.f.ip6.arpa", "a.e.f.ip6.arpa", "b.e.f.ip6.arpa",
     "8.b.d.0.1.0.0.2.ip6.arpa"]
    + ["%d.172.in-addr.arpa" % i for i in range(16, 32)]
    + ["%d.100.in-addr.arpa" % i for i in range(64, 128)])
ZONE_HEAD = """$ORIGIN .
$TTL 300
.\tIN SOA\tns.root. hostmaster.root. 1 3600 600 86400 60
.\tIN NS\tns.root.
ns.root.\tIN A\t127.0.0.1
"""


# --- The zone data, as testspf.py reads it ---------------------------------

def getrdata(rrs, name):
    """testspf.py's getrdata(): (type, value, name) tuples, or 'TIMEOUT'."""
    txt = []
    gen = True
    for m in rrs:
        if not isinstance(m, dict):
            yield m
            continue
        for t, v in m.items():
            if t in ("TXT", "SPF") and isinstance(v, str):
                v = (v,)
            if t == "TXT":
                gen = False
            elif t == "SPF" and gen:
                txt.append(("TXT", v, name))
            if v != ("NONE",):
                yield (t, v, name)
    if gen:
        yield from txt


# --- Zone file text ----------------------------------------------------------

def zone_name(name):
    """A domain name in zone file syntax: absolute, odd bytes escaped."""
    if name in ("", "."):
        return "."
    out = []
    for b in name.rstrip(".").encode("utf-8"):
        c = chr(b)
        if c.isascii() and (c.isalnum() or c in "-_."):
            out.append(c)
        else:
            out.append("\\%03d" % b)
    return "".join(out) + "."


def zone_strings(strings, rtype):
    """TXT/SPF rdata: each string UTF-8 encoded, cut at 255 bytes."""
    parts = []
    for s in strings:
        data = s.encode("utf-8")
        chunks = [data[i:i + 255] for i in range(0, len(data), 255)] or [b""]
        for chunk in chunks:
            text = "".join(
                "\\" + chr(b) if chr(b) in '"\\'
                else chr(b) if 32 <= b < 127
                else "\\%03d" % b for b in chunk)
            parts.append('"%s"' % text)
    if not parts:
        # No strings at all (illegal, but the suite has it): RFC 3597 form.
        return "TYPE%d \\# 0" % (16 if rtype == "TXT" else 99)
    return "%s %s" % (rtype, " ".join(parts))


def zone_record(rtype, value):
    """The type and rdata of one record in zone file syntax."""
    if rtype in ("TXT", "SPF"):
        return zone_strings(value, rtype)
    if rtype in ("A", "AAAA"):
        return "%s %s" % (rtype, value)
    if rtype == "MX":
        return "MX %d %s" % (int(value[0]), zone_name(value[1]))
    if rtype in ("PTR", "CNAME"):
        return "%s %s" % (rtype, zone_name(value))
    raise ValueError("record type %s not handled" % rtype)


def timeout_config(name, types_before):
    """unbound lines emulating a TIMEOUT entry at name.

    testspf.py answers the types listed before TIMEOUT and times out on
    all others.  unbound cannot drop queries by type, so: when only SPF
    (type 99, never asked by an RFC 7208 checker) or nothing comes
    before TIMEOUT, the whole name is dropped; otherwise the name is
    served normally and other types get NODATA.  check_timeouts() flags
    any query where that differs from testspf.py."""
    if types_before - {"SPF"}:
        return []
    return ['local-zone: "%s" deny' % zone_name(name)]


def build_zone(zonedata):
    """Zone text, unbound config lines, and the TIMEOUT map of a scenario."""
    lines = [ZONE_HEAD]
    # Records in zone file order, as testspf.py hands them out (an
    # answer's order decides which 10 MX or PTR names get looked at).
    extra = ["rrset-roundrobin: no"]
    extra += ['local-zone: "%s." nodefault' % z for z in UNBOUND_DEFAULT_ZONES]
    timeouts = {}  # name -> (types answered, whole name dropped?)
    for name, rrs in zonedata.items():
        recs = list(getrdata(rrs, name))
        if "TIMEOUT" in recs:
            before = recs[:recs.index("TIMEOUT")]
            recs = before  # testspf.py never reaches what follows
            types = {r[0] for r in before}
            cfg = timeout_config(name, types)
            extra += cfg
            timeouts[name.lower().rstrip(".")] = (types, bool(cfg))
        for rtype, value, _ in recs:
            lines.append("%s\tIN %s\n" % (zone_name(name), zone_record(rtype, value)))
    # A dropped name would drop the names below it too: those the
    # scenario has are served as usual.
    dropped = [n for n, (_, whole) in timeouts.items() if whole]
    for name in zonedata:
        low = name.lower().rstrip(".")
        if low not in timeouts and any(low.endswith("." + d) for d in dropped):
            extra.append('local-zone: "%s" transparent' % zone_name(name))
    return "".join(lines), extra, timeouts


def check_timeouts(logfile, timeouts, names):
    """Queries where the TIMEOUT emulation differs from testspf.py.

    names are the scenario's names (lower case): those below a dropped
    name are served as usual, any other name below one is dropped too
    where testspf.py would say NXDOMAIN."""
    bad = []
    try:
        with open(logfile, errors="replace") as fp:
            log = fp.read()
    except OSError:
        return ["no query log %s" % logfile]
    for m in re.finditer(r"info: \S+ (\S+)\. (\S+) IN", log):
        qname, qtype = m.group(1).lower(), m.group(2)
        for name, (types, whole) in timeouts.items():
            if qname == name:
                # Dropped whole: wrong for the types testspf.py answers.
                # Served: wrong for the types it times out on.
                if (qtype in types) == whole:
                    bad.append("%s/%s" % (qname, qtype))
            elif whole and qname.endswith("." + name) and qname not in names:
                bad.append("%s/%s (dropped as below %s)" % (qname, qtype, name))
    return sorted(set(bad))


# --- Running a scenario ------------------------------------------------------

def start_dns(workdir, zone_text, extra):
    """unbound on the scenario (unbound-checkconf vets the zone file)."""
    zonefile = os.path.join(workdir, "root.zone")
    with open(zonefile, "w", encoding="ascii") as fp:
        fp.write(zone_text)
    env = dict(os.environ)
    env["DNS_SERVER_NOZONES"] = "1"
    env["DNS_SERVER_EXTRA"] = "\n".join(["log-queries: yes"] + extra)
    out = subprocess.run([DNS_SERVER, "start", workdir, zonefile], env=env,
                         stdout=subprocess.PIPE, check=True, text=True)
    return "127.0.0.1:" + out.stdout.strip()


def stop_dns(workdir):
    subprocess.run([DNS_SERVER, "stop", workdir], check=False)


def run_checks(server, tests):
    """spfcheck over every test: name -> (result, explanation, reason)."""
    names = sorted(tests)
    lines = []
    for n in names:
        t = tests[n]
        fields = [str(t["host"]), str(t["helo"]), str(t["mailfrom"])]
        if any("\t" in f or "\n" in f for f in fields):
            raise ValueError("%s: a tab or newline in a field" % n)
        lines.append("\t".join(fields + ["mfrom"]) + "\n")
    out = subprocess.run([SPFCHECK, "-v", server, RECEIVER], input="".join(lines),
                         stdout=subprocess.PIPE, check=True, text=True,
                         errors="replace")
    answers = out.stdout.split("\n")[:len(names)]
    if len(answers) < len(names) or (names and answers[-1] == ""):
        raise RuntimeError("spfcheck answered %d of %d lines" % (len(answers), len(names)))
    got = {}
    for n, ans in zip(names, answers):
        parts = ans.split("\t") + ["", ""]
        got[n] = (parts[0], parts[1], parts[2])
    return got


def verdict(t, result, explanation):
    """Why a test fails, or None when it passes (testspf.py's rules)."""
    want = t["result"] if isinstance(t["result"], list) else [t["result"]]
    if result not in want:
        return "result %s, want %s" % (result, " or ".join(want))
    exp = t.get("explanation")
    if exp is not None:
        if exp == "DEFAULT" and not DEFAULT_EXP.match(explanation):
            return "explanation '%s', want the default one" % explanation
        if exp != "DEFAULT" and exp != explanation:
            return "explanation '%s', want '%s'" % (explanation, exp)
    return None


def run_scenario(scen):
    """Every test of a scenario: results, and TIMEOUT emulation problems."""
    zone_text, extra, timeouts = build_zone(scen["zonedata"])
    names = {k.lower().rstrip(".") for k in scen["zonedata"]}
    workdir = tempfile.mkdtemp(prefix="spf-rfc7208-", dir=os.path.join(BUILD, "tmp"))
    try:
        got = run_checks(start_dns(workdir, zone_text, extra), scen["tests"])
        stop_dns(workdir)  # unbound.log complete
        return got, check_timeouts(os.path.join(workdir, "unbound.log"), timeouts, names)
    finally:
        stop_dns(workdir)
        shutil.rmtree(workdir, ignore_errors=True)


# --- TAP ---------------------------------------------------------------------

def load_known():
    known = {}
    with open(KNOWN, encoding="utf-8") as fp:
        for line in fp:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, reason = line.partition(" ")
            known[name] = reason.strip()
    return known


def main():
    if not os.path.exists(SUITE):
        print("1..0 # SKIP %s not installed (python3-spf)" % SUITE)
        return 0
    if not os.access(SPFCHECK, os.X_OK):
        print("Bail out! %s not built" % SPFCHECK)
        return 1
    with gzip.open(SUITE, "rb") as fp:
        scenarios = list(yaml.safe_load_all(fp))
    known = load_known()
    os.makedirs(os.path.join(BUILD, "tmp"), exist_ok=True)
    n = passed = todo = 0
    seen = set()
    for scen in scenarios:
        label = scen.get("description", "scenario")
        try:
            got, problems = run_scenario(scen)
        except (OSError, ValueError, RuntimeError, subprocess.CalledProcessError) as e:
            print("# %s: cannot run: %s" % (label, e))
            got, problems = {}, []
        for q in problems:
            n += 1
            print("not ok %d - %s: TIMEOUT emulation differs from testspf.py at %s"
                  % (n, label, q))
        for name in sorted(scen["tests"]):
            seen.add(name)
            t = scen["tests"][name]
            result, explanation, reason = got.get(name, ("(not run)", "", ""))
            why = verdict(t, result, explanation)
            n += 1
            tap_name = "%s/%s" % (label, name)
            if why is None:
                passed += 1
                print("ok %d - %s" % (n, tap_name))
                if name in known:
                    print("# known failure now passes: %s" % name)
            elif name in known:
                todo += 1
                print("not ok %d - %s # TODO libspf2: %s" % (n, tap_name, known[name]))
                print("#   %s (%s)" % (why, reason))
            else:
                print("not ok %d - %s" % (n, tap_name))
                print("#   %s (%s)" % (why, reason))
                print("#   spec %s: %s" % (t.get("spec", "?"),
                                          " ".join(str(t.get("description", "")).split())))
    for name in sorted(set(known) - seen):
        n += 1
        print("not ok %d - known-failures entry %s names no test of the suite" % (n, name))
    total = sum(len(s["tests"]) for s in scenarios)
    print("# RFC 7208 suite: %d of %d tests pass (%d known libspf2 failures)"
          % (passed, total, todo))
    print("1..%d" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
