#!/usr/bin/python3
"""postdmarc-policyd over the real test DNS server: every SPF result,
every option value, transactions, skip rules, IPv6, bad input, many
connections at once, signals, the store."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from pdtest import *  # noqa: E402,F401,F403

dns = Dns()
work = workdir("policyd")
store = os.path.join(work, "store")


def stdio(conf_extra, *requests):
    """Run policyd --stdio with a configuration, return its answers."""
    path = os.path.join(work, "stdio.conf")
    write_conf(path, base_conf(dns, store, **conf_extra))
    data = "".join(policy_request(**r) for r in requests)
    out = subprocess.run([bin("postdmarc-policyd"), "-c", path, "--stdio"],
                         input=data, capture_output=True, text=True, timeout=60)
    answers = [a[len("action="):] for a in out.stdout.split("\n\n") if a]
    return answers, out.stderr


def ask1(sender, ip="192.0.2.5", helo="mx.example.net", **conf_extra):
    answers, log = stdio(conf_extra, dict(sender=sender, client_address=ip,
                                          helo_name=helo))
    return answers[0] if answers else None


# A long sender: its Received-SPF header (naming it twice) is answered
# whole (the connection's remembered verdict is the field name alone).
longs = "u" * 300 + "@spf-pass.example.com"
answers, log = stdio({}, dict(sender=longs, client_address="192.0.2.5",
                              helo_name="mx.example.net", recipient="a@example.org"),
                     dict(sender=longs, client_address="192.0.2.5", helo_name="mx.example.net",
                          recipient="b@example.org"))
ok(len(answers) == 2 and answers[0].startswith("PREPEND Received-SPF: pass ")
   and 'envelope-from="' + "u" * 200 in answers[0] and len(answers[0]) > 512
   and answers[1] == "DUNNO",
   "a 321-byte sender: a Received-SPF header of over 512 bytes, then DUNNO")
like(log, r"action=PREPEND Received-SPF\n", "its log line names the field only")


# --- every SPF result with the default answers ---------------------------

cases = [
    ("u@spf-pass.example.com", "192.0.2.5",
     r"^PREPEND Received-SPF: pass \(mx\.example\.org: domain of "
     r"u@spf-pass\.example\.com .*\) client-ip=192\.0\.2\.5; "
     r"envelope-from=\"u@spf-pass\.example\.com\"; helo=mx\.example\.net; "
     r"receiver=mx\.example\.org; identity=mailfrom;$", "pass: Received-SPF"),
    ("u@spf-fail.example.com", "192.0.2.5",
     r"^550 5\.7\.23 SPF fail for MAIL FROM spf-fail\.example\.com: ", "fail: 550 5.7.23"),
    ("u@spf-softfail.example.com", "192.0.2.5", r"^PREPEND Received-SPF: softfail ",
     "softfail: header only"),
    ("u@spf-neutral.example.com", "192.0.2.5", r"^PREPEND Received-SPF: neutral ",
     "neutral: header only"),
    ("u@spf-none.example.com", "192.0.2.5", r"^PREPEND Received-SPF: none ",
     "none: header only"),
    ("u@spf-two.example.com", "192.0.2.5", r"^PREPEND Received-SPF: permerror ",
     "permerror: header only by default"),
    ("u@x.servfail.example.net", "192.0.2.5",
     r"^DEFER_IF_PERMIT 4\.7\.24 SPF temperror for x\.servfail\.example\.net",
     "temperror: DEFER_IF_PERMIT 4.7.24"),
    ("u@spf-exp.example.com", "192.0.2.5",
     r"^550 5\.7\.23 SPF fail for MAIL FROM spf-exp\.example\.com: Host 192\.0\.2\.5 "
     r"may not send for spf-exp\.example\.com$", "fail with the domain's explanation"),
    ("u@spf-pass.example.com", "2001:db8:1::25",
     r"^PREPEND Received-SPF: pass .*client-ip=\"2001:db8:1::25\";", "IPv6 client pass"),
    ("u@spf-pass.example.com", "2001:db8:9::25", r"^550 5\.7\.23 ", "IPv6 client fail"),
]
for sender, ip, pattern, name in cases:
    like(ask1(sender, ip), pattern, name)

like(ask1("", "192.0.2.10", helo="spf-helo.example.com"),
     r"^PREPEND Received-SPF: pass .*envelope-from=\"<>\"",
     "null sender checked as postmaster@HELO: pass")
like(ask1("", "192.0.2.11", helo="spf-helo.example.com"), r"^550 5\.7\.23 SPF fail for HELO",
     "null sender, HELO fails: rejected")
like(ask1("u@spf-pass.example.com", "192.0.2.11", helo="spf-helo.example.com"),
     r"^550 5\.7\.23 SPF fail for HELO spf-helo\.example\.com", "HELO fail rejects first")
like(ask1("u@spf-8bit.example.com"), r"^550 5\.7\.23 [ -~]*$",
     "a hostile explanation stays one printable line")

# --- every option value ----------------------------------------------------

opt = [
    ({"helo_reject": "off"}, "u@spf-pass.example.com", "192.0.2.11", "spf-helo.example.com",
     r"^PREPEND Received-SPF: pass", "helo_reject=off: a HELO fail is not rejected"),
    ({"helo_reject": "softfail"}, "u@spf-pass.example.com", "192.0.2.5",
     "spf-softfail.example.com", r"^550 5\.7\.23 SPF softfail for HELO",
     "helo_reject=softfail rejects a HELO softfail"),
    ({"helo_reject": "fail"}, "u@spf-pass.example.com", "192.0.2.5",
     "spf-softfail.example.com", r"^PREPEND", "helo_reject=fail lets a HELO softfail by"),
    ({"helo_reject": "not_pass"}, "u@spf-pass.example.com", "192.0.2.5",
     "spf-neutral.example.com", r"^550 5\.7\.23 SPF neutral for HELO",
     "helo_reject=not_pass rejects a HELO neutral"),
    ({"helo_reject": "not_pass"}, "u@spf-pass.example.com", "192.0.2.5",
     "mx.example.net", r"^550 5\.7\.23 SPF none for HELO",
     "helo_reject=not_pass rejects a HELO none"),
    ({"mail_from_reject": "softfail"}, "u@spf-softfail.example.com", "192.0.2.5",
     "mx.example.net", r"^550 5\.7\.23 SPF softfail", "mail_from_reject=softfail"),
    ({"mail_from_reject": "not_pass"}, "u@spf-neutral.example.com", "192.0.2.5",
     "mx.example.net", r"^550 5\.7\.23 SPF neutral", "mail_from_reject=not_pass: neutral"),
    ({"mail_from_reject": "not_pass"}, "u@spf-none.example.com", "192.0.2.5",
     "mx.example.net", r"^550 5\.7\.23 SPF none", "mail_from_reject=not_pass: none"),
    ({"mail_from_reject": "not_pass"}, "u@spf-pass.example.com", "192.0.2.5",
     "mx.example.net", r"^PREPEND", "mail_from_reject=not_pass: pass goes through"),
    ({"mail_from_reject": "off"}, "u@spf-fail.example.com", "192.0.2.5",
     "mx.example.net", r"^PREPEND Received-SPF: fail", "mail_from_reject=off"),
    ({"permerror_reject": "yes"}, "u@spf-two.example.com", "192.0.2.5", "mx.example.net",
     r"^550 5\.7\.24 SPF permerror for spf-two\.example\.com", "permerror_reject=yes"),
    ({"temperror_defer": "no"}, "u@x.servfail.example.net", "192.0.2.5", "mx.example.net",
     r"^PREPEND Received-SPF: temperror", "temperror_defer=no"),
    ({"header": "authentication-results"}, "u@spf-pass.example.com", "192.0.2.5",
     "mx.example.net",
     r"^PREPEND Authentication-Results: mx\.example\.org; spf=pass \(.*\) "
     r"smtp\.mailfrom=u@spf-pass\.example\.com smtp\.helo=mx\.example\.net$",
     "header=authentication-results, one line"),
    ({"header": "none"}, "u@spf-pass.example.com", "192.0.2.5", "mx.example.net",
     r"^DUNNO$", "header=none"),
    ({"whitelist": "192.0.2.0/24"}, "u@spf-fail.example.com", "192.0.2.5",
     "mx.example.net", r"^PREPEND Received-SPF: fail",
     "whitelisted client: checked, not rejected"),
    ({"whitelist": "192.0.2.0/24"}, "u@x.servfail.example.net", "192.0.2.5",
     "mx.example.net", r"^PREPEND Received-SPF: temperror",
     "whitelisted client: not deferred"),
]
for conf, sender, ip, helo, pattern, name in opt:
    like(ask1(sender, ip, helo=helo, policyd=conf), pattern, name)

# --- skip rules ------------------------------------------------------------

answers, log = stdio({}, dict(sender="u@spf-fail.example.com", client_address="127.0.0.1"))
is_(answers, ["DUNNO"], "loopback client skipped by default")
ok("spf_mailfrom" not in log, "and not looked up")
answers, log = stdio({"policyd": {"skip_addresses": "198.51.100.0/24, 2001:db8:9::/48"}},
                     dict(sender="u@spf-fail.example.com", client_address="2001:db8:9::1"),
                     dict(sender="u@spf-fail.example.com", client_address="198.51.100.7",
                          instance="2"),
                     dict(sender="u@spf-fail.example.com", client_address="127.0.0.1",
                          instance="3"))
is_(answers[:2], ["DUNNO", "DUNNO"], "skip_addresses: v6 and v4 networks")
like(answers[2], r"^550", "a custom list replaces the default (127.0.0.1 now checked)")
answers, log = stdio({}, dict(sender="u@spf-fail.example.com", sasl_username="bob"))
is_(answers, ["DUNNO"], "authenticated client skipped")
answers, log = stdio({"policyd": {"skip_authenticated": "no"}},
                     dict(sender="u@spf-fail.example.com", sasl_username="bob"))
like(answers[0], r"^550", "skip_authenticated=no: authenticated clients are checked")

# --- one verdict per transaction ---------------------------------------------

answers, log = stdio({},
                     dict(sender="u@spf-pass.example.com", instance="a1"),
                     dict(sender="u@spf-pass.example.com", instance="a1",
                          recipient="two@example.org"),
                     dict(sender="u@spf-pass.example.com", instance="a1",
                          recipient="three@example.org"),
                     dict(sender="u@spf-fail.example.com", instance="a2"),
                     dict(sender="u@spf-fail.example.com", instance="a2",
                          recipient="two@example.org"),
                     dict(sender="u@spf-pass.example.com", instance="a3"))
like(answers[0], r"^PREPEND Received-SPF: pass", "first recipient: the header")
is_(answers[1:3], ["DUNNO", "DUNNO"], "later recipients of the transaction: DUNNO")
like(answers[3], r"^550 ", "a failing transaction is rejected")
like(answers[4], r"^550 ", "and so is its second recipient")
like(answers[5], r"^PREPEND", "a new instance is judged afresh")
is_(log.count("spf_mailfrom="), 3, "three decisions logged for three transactions")

# --- END-OF-MESSAGE writes the verdict -----------------------------------

answers, log = stdio({},
                     dict(sender="u@spf-pass.example.com", instance="e1"),
                     dict(sender="u@spf-pass.example.com", instance="e1",
                          protocol_state="END-OF-MESSAGE", queue_id="4XyZ1AbCdE"),
                     dict(sender="u@spf-softfail.example.com", instance="e2",
                          protocol_state="END-OF-MESSAGE", queue_id="4XyZ1AbCdF",
                          client_address="2001:db8:1::9"))
is_(answers, ["PREPEND" == answers[0][:7] and answers[0], "DUNNO", "DUNNO"],
    "END-OF-MESSAGE answers DUNNO (PREPEND cannot run there)")
rows = {r["qid"]: r for r in storedump(store, "spf")}
r = rows.get("4XyZ1AbCdE", {})
ok(r.get("mfrom_result") == "pass" and r.get("helo_result") == "none"
   and r.get("client") == "192.0.2.5" and r.get("mail_from") == "u@spf-pass.example.com"
   and r.get("helo") == "mx.example.net" and r.get("domain") == "spf-pass.example.com",
   "verdict stored under the queue id: %r" % r)
r = rows.get("4XyZ1AbCdF", {})
ok(r.get("mfrom_result") == "softfail" and r.get("client") == "2001:db8:1::9",
   "END-OF-MESSAGE without an earlier request: judged and stored")
stats = storedump(store, "stat")
ok(any(s["domain"] == "spf-fail.example.com" and int(s["n7"]) >= 1 for s in stats),
   "rejections are counted for --stats")

# --- bad configuration -----------------------------------------------------

bad = os.path.join(work, "bad.conf")
with open(bad, "w") as f:
    f.write("[policyd]\nhelo_reject = sometimes\nbogus = 1\n")
out = subprocess.run([bin("postdmarc-policyd"), "-c", bad, "-n"], capture_output=True,
                     text=True)
is_(out.returncode, 78, "-n on a bad file exits 78")
like(out.stderr, r"bad\.conf:2: \[policyd\] helo_reject: \"sometimes\" is not one of",
     "and says FILE:LINE: what")
like(out.stderr, r"bad\.conf:3: unknown key \"bogus\"", "every problem, not just the first")
out = subprocess.run([bin("postdmarc-policyd"), "-V"], capture_output=True, text=True)
ok(out.returncode == 0 and out.stdout.startswith("postdmarc-policyd "), "-V")

# --- the daemon ------------------------------------------------------------

port = free_port()
sock_path = os.path.join(work, "policy.sock")
conf_path = os.path.join(work, "daemon.conf")
conf = base_conf(dns, store, policyd={
    "listen": ["inet:127.0.0.1:%d" % port, "unix:" + sock_path],
    "max_connections": "100"})
conf["dns"]["timeout"] = "3s"
write_conf(conf_path, conf)
pd = Policyd(conf_path, port)

c = PolicyClient(port)
like(c.ask(sender="u@spf-pass.example.com"), r"^PREPEND", "daemon answers over TCP")
like(c.ask(sender="u@spf-fail.example.com", instance="2"), r"^550",
     "many requests on one connection")
c.close()
u = socket.socket(socket.AF_UNIX)
u.connect(sock_path)
u.sendall(policy_request(sender="u@spf-pass.example.com").encode())
like(u.recv(4096).decode(), r"^action=PREPEND", "daemon answers on a unix socket")
u.close()

# Bad input closes that connection; the daemon goes on serving.
bad_inputs = [
    ("line without =", "request=smtpd_access_policy\nnonsense\n\n"),
    ("NUL byte", "request=smtpd_access_policy\nsender=a\x00b\n\n"),
    ("binary junk", "\x01\x02\x03\xff\xfe\n\n"),
    ("empty name", "request=smtpd_access_policy\n=x\n\n"),
    ("line over the limit", "request=smtpd_access_policy\nsender=" + "a" * 5000 + "\n\n"),
    ("too many attributes",
     "".join("x%d=1\n" % i for i in range(70)) + "\n"),
    ("request over the limit",
     "".join("x%d=%s\n" % (i, "b" * 1000) for i in range(20)) + "\n"),
    ("unknown request type", "request=something_else\nclient_address=192.0.2.5\n\n"),
]
for name, data in bad_inputs:
    c = PolicyClient(port)
    c.send_raw(data.encode("latin-1"))
    ok(c.closed(), "%s: connection closed without an answer" % name)
    c.close()
c = PolicyClient(port)
c.send_raw("request=smtpd_access_policy\nsender=x@spf-pass.example.com\n")
c.close()       # EOF in the middle of a request
time.sleep(0.2)
c = PolicyClient(port)
like(c.ask(sender="u@spf-pass.example.com"), r"^PREPEND", "still serving after bad input")
c.close()
like(pd.logtext(), r"bad request: line without \"=\"", "bad input is logged")
like(pd.logtext(), r"connection closed in the middle of a request", "EOF mid-request logged")

# A slow DNS answer for one client holds up nobody else.
slow = PolicyClient(port)
slow.send_raw(policy_request(sender="u@spf-silent.example.com", instance="slow"))
time.sleep(0.2)
t0 = time.time()
fast = PolicyClient(port)
fast_answer = fast.ask(sender="u@spf-pass.example.com", instance="fast")
fast_time = time.time() - t0
like(fast_answer, r"^PREPEND", "another client is answered while one waits on DNS")
ok(fast_time < 1.5, "without waiting for it (%.2fs)" % fast_time)
like(slow.read_answer(), r"^DEFER_IF_PERMIT 4\.7\.24",
     "the slow one gets temperror after the DNS timeout")
slow.close()
fast.close()

# 64 connections at once, 50 requests each.
results = {}


def worker(n):
    cl = PolicyClient(port)
    good = 0
    for i in range(50):
        if i % 2:
            a = cl.ask(sender="u@spf-pass.example.com", instance="c%d-%d" % (n, i))
            good += a is not None and a.startswith("PREPEND Received-SPF: pass")
        else:
            a = cl.ask(sender="u@spf-fail.example.com", instance="c%d-%d" % (n, i),
                       client_address="2001:db8:1::%x" % (n + 1))
            good += a is not None and a.startswith("550 5.7.23")
    cl.close()
    results[n] = good


threads = [threading.Thread(target=worker, args=(n,)) for n in range(64)]
for t in threads:
    t.start()
for t in threads:
    t.join(120)
is_(sum(results.values()), 64 * 50, "64 concurrent connections, 3200 right answers")

# SIGHUP: a new configuration for new transactions; a broken one is refused.
conf["policyd"]["mail_from_reject"] = "softfail"
write_conf(conf_path, conf)
pd.signal(signal.SIGHUP)
time.sleep(0.5)
c = PolicyClient(port)
like(c.ask(sender="u@spf-softfail.example.com", instance="h1"), r"^550 5\.7\.23 SPF softfail",
     "SIGHUP reloads the configuration")
with open(conf_path, "a") as f:
    f.write("[policyd]\nnonsense = 1\n")
pd.signal(signal.SIGHUP)
time.sleep(0.5)
like(c.ask(sender="u@spf-softfail.example.com", instance="h2"), r"^550 5\.7\.23 SPF softfail",
     "a broken file on SIGHUP keeps the running configuration")
like(pd.logtext(), r"keeping the running configuration", "and says so")
c.close()

# max_connections: one connection more than allowed is closed at once.
conf["policyd"]["max_connections"] = "2"
write_conf(conf_path, conf)
pd.signal(signal.SIGHUP)
time.sleep(0.5)
held = [PolicyClient(port) for _ in range(2)]
answers = [h.ask(sender="u@spf-pass.example.com", instance="m%d" % i)
           for i, h in enumerate(held)]
ok(all(a and a.startswith("PREPEND") for a in answers),
   "max_connections = 2: two connections served") or diag(repr(answers))
extra = PolicyClient(port)
ok(extra.closed(), "a third is closed without an answer")
extra.close()
like(pd.logtext(), r"2 connections already: refusing one more", "and that is logged")
held[0].close()
time.sleep(0.5)
again = PolicyClient(port)
like(again.ask(sender="u@spf-pass.example.com", instance="m3"), r"^PREPEND",
     "once one of them closes, a new one is served")
again.close()
held[1].close()
time.sleep(0.5)         # their threads end: the next test's connection is not a third

# SIGTERM: the request in flight is answered, then exit 0.
slow = PolicyClient(port)
slow.send_raw(policy_request(sender="u@spf-silent.example.com", instance="term"))
time.sleep(0.3)
pd.signal(signal.SIGTERM)
like(slow.read_answer(), r"^DEFER_IF_PERMIT", "SIGTERM: the request in flight is answered")
is_(pd.wait(30), 0, "then the daemon exits 0")
ok(not wait_port(port, timeout=0.5), "and no longer listens")

# idle_timeout: a connection that sends nothing is closed after it.
path = os.path.join(work, "idle.conf")
write_conf(path, base_conf(dns, store, policyd={"idle_timeout": "1s"}))
t0 = time.time()
p = subprocess.Popen([bin("postdmarc-policyd"), "-c", path, "--stdio"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
rc = p.wait(timeout=30)
idle = time.time() - t0
p.stdin.close()
p.stdout.close()
p.stderr.close()
ok(rc == 0 and 0.9 < idle < 10, "idle_timeout = 1s: an idle connection is closed after it "
   "(%.1fs)" % idle)

# A store that cannot be opened does not stop the service.
answers, log = stdio({"general": {"store": "/proc/postdmarc-cannot-exist"}},
                     dict(sender="u@spf-pass.example.com", protocol_state="END-OF-MESSAGE",
                          queue_id="QQQ"),
                     dict(sender="u@spf-fail.example.com", instance="x2"))
ok(len(answers) == 2 and answers[1].startswith("550"), "answers without a store")
like(log, r"store .*verdicts are not recorded", "and logs why")

done()
