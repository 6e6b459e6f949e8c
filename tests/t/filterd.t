#!/usr/bin/python3
"""postdmarc-filterd's server and postdmarc-pipefilter, the front Postfix
runs: the same results through the server as in one process per message
(exit status, reinjected bytes, stderr, store record), every way the
front falls back to postdmarc-filterd --stdio without losing or doubling
a message (no server, a stale socket, refusals, a silent server), the
requests the server refuses, a message process that dies, reloading the
configuration, and stopping with messages in flight."""

import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from pdtest import *  # noqa: E402,F401,F403

import dkim  # noqa: E402     (Debian's python3-dkim)

FRONT = bin("postdmarc-pipefilter")
FILTERD = bin("postdmarc-filterd")
DKIMDIR = os.path.join(TOP, "tests", "data", "dkim")
SENDER = "u@spf-pass.example.com"        # SPF pass from 192.0.2.5
SLOWSENDER = "slow@spf-pass.example.com"  # slow-sendmail waits at the gate for it

dns = Dns()
work = workdir("filterd")
store = os.path.join(work, "store")
os.makedirs(store)
outdir = os.path.join(work, "sendmail")
os.makedirs(outdir)
tmpdir = os.path.join(work, "tmp")
os.makedirs(tmpdir)
gate = os.path.join(work, "gate")          # while it exists, slow-sendmail waits
SLOW = os.path.join(work, "slow-sendmail")
with open(SLOW, "w") as f:
    f.write("#!/bin/sh\n# mail from slow@...: waits while the gate exists (20 s at most)\n"
            "case \" $* \" in *\" %s \"*)\n"
            "  i=0; while [ -e %s ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done;;\n"
            "esac\nexec %s \"$@\"\n" % (SLOWSENDER, gate, SENDMAIL))
os.chmod(SLOW, 0o755)
SOCK = os.path.join(work, "filterd.sock")
ENV = dict(os.environ, FAKE_SENDMAIL_DIR=outdir, TMPDIR=tmpdir)

_n = [0]


def conf(server=SOCK, name=None, **over):
    """A configuration file; over: {section: {key: value}}."""
    _n[0] += 1
    c = base_conf(dns, store, pipefilter={"sendmail": SENDMAIL, "tmpdir": tmpdir,
                                          "server": server})
    for section, keys in over.items():
        c.setdefault(section, {}).update(keys)
    path = os.path.join(work, name or "c%d.conf" % _n[0])
    write_conf(path, c)
    return path


class Server(Daemon):
    """postdmarc-filterd serving a configuration, in the foreground."""

    def __init__(self, conf_path):
        Daemon.__init__(self, [FILTERD, "-c", conf_path], conf_path, env=ENV)
        if not wait_for(lambda: os.path.exists(SOCK) and "listening on" in self.logtext(),
                        10, 0.02, self.proc):
            bail("postdmarc-filterd did not start: " + self.logtext())

    def children(self):
        try:
            with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                return [int(x) for x in f.read().split()]
        except OSError:
            return []

    def wait_children(self, timeout=10):
        """The pids of its message processes, once it has some (or [])."""
        return wait_for(self.children, timeout, 0.02) or []


_qid = [0]


def argv_for(confpath, sender=SENDER, client="192.0.2.5", qid=None, prog=FRONT):
    if qid is None:
        _qid[0] += 1
        qid = "4F%06dA" % _qid[0]
    return [prog, "-c", confpath, "-f", sender, "--client-address=" + client,
            "--client-helo=mx.example.net", "--queue-id=" + qid, "--", "bob@example.org"]


def run(msg, argv, env=None, timeout=60):
    """(exit status, stderr, deliveries, seconds)"""
    sendmail_clear(outdir)
    t0 = time.time()
    p = subprocess.run(argv, input=msg, capture_output=True, env=env or ENV, timeout=timeout)
    return (p.returncode, p.stderr.decode("utf-8", "replace"), sendmail_runs(outdir),
            time.time() - t0)


def key(name):
    with open(os.path.join(DKIMDIR, name), "rb") as f:
        return f.read()


_mid = [0]


def message(frm="Alice <a@example.com>", body=b"Hello.\n", extra=b"", signed_by=None):
    _mid[0] += 1
    m = (b"From: " + frm.encode() + b"\nTo: bob@example.org\nSubject: t\n"
         b"Date: Thu, 01 Jan 2026 00:00:00 +0000\nMessage-ID: <f%d@example.com>\n" % _mid[0]
         + extra + b"\n" + body)
    if signed_by:
        sig = dkim.sign(m, b"rsa2048", signed_by.encode(), key("rsa2048.key"),
                        include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
        m = sig.replace(b"\r\n", b"\n") + m
    return m


def served(srv):
    return len(re.findall(r"message process \d+: exit", srv.logtext()))


# --- the same results through the server as in one process ------------------

base = conf(name="base.conf", general={"debug": "yes"})
rejecting = conf(name="rejecting.conf", general={"debug": "yes"},
                 pipefilter={"reject": "reject"})
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(SOCK)                              # a stale socket from a previous run
s.close()
srv = Server(base)
ok(srv.proc.poll() is None, "a stale socket from a previous run is replaced")
p = subprocess.run([FILTERD, "-c", rejecting], capture_output=True, text=True, env=ENV,
                   timeout=30)
ok(p.returncode == 71 and "another postdmarc-filterd serves it" in p.stderr
   and srv.proc.poll() is None,
   "a second server on the socket of a running one: exit 71, the first one untouched")
os.rename(SOCK, SOCK + ".moved")
srv2 = Server(rejecting)                  # the path free: the second one starts
ok(srv.stop() == 0 and os.path.exists(SOCK),
   "a server that stops leaves a socket that is not its own")
ok(srv2.stop() == 0 and not os.path.exists(SOCK), "and removes its own")
os.unlink(SOCK + ".moved")
srv = Server(base)

big = message(signed_by="example.com", body=b"A line of the body, 0123456789.\n" * 70000)
cases = [
    ("DMARC pass by DKIM", message(signed_by="example.com"), {}),
    ("DMARC fail, p=reject, discarded", message("x@reject.example.net"), {}),
    ("DMARC fail, p=quarantine, marked", message("x@quarantine.example.net"), {}),
    ("DMARC fail, p=none", message("x@none.example.net"), {}),
    ("unreadable From", message("<<<"), {}),
    ("a forged Authentication-Results removed",
     message(signed_by="example.com",
             extra=b"Authentication-Results: mx.example.org; dkim=pass header.d=evil.example\n"), {}),
    ("2 MB, spooled", big, {}),
    ("null sender", message(signed_by="example.com"), {"sender": ""}),
    ("local client: not evaluated", message(), {"client": "127.0.0.1"}),
]
for name, m, kw in cases:
    before = served(srv)
    rc, err, dl, _ = run(m, argv_for(base, **kw))
    rc1, err1, dl1, _ = run(m, [FILTERD, "--stdio"] + argv_for(base, **kw)[1:])
    same = rc == rc1 and dl == dl1
    ok(same, "%s: through the server as in one process (exit %d, %d delivered)"
       % (name, rc, len(dl)))
    if not same:
        diag("server: rc %d err %s\none process: rc %d err %s" % (rc, err, rc1, err1))
    wait_for(lambda: served(srv) >= before + 1, 5, 0.02)
    ok(served(srv) == before + 1, "%s: a process of the server's ran it" % name)

m = message("x@reject.example.net")
srv.stop()
srv = Server(rejecting)
rc, err, dl, _ = run(m, argv_for(rejecting))
rc1, err1, dl1, _ = run(m, [FILTERD, "--stdio"] + argv_for(rejecting)[1:])
reason = [ln for ln in err.splitlines() if ln.startswith("5.7.1")]
ok(rc == 69 and rc1 == 69 and not dl and len(reason) == 1
   and reason == [ln for ln in err1.splitlines() if ln.startswith("5.7.1")],
   "reject = reject: exit 69 and the same 5.7.1 reason on the front's stderr")
qid = "4FSTORE01"
run(message(signed_by="example.com"), argv_for(rejecting, qid=qid))
run(message(signed_by="example.com"), argv_for(rejecting, qid=qid))
ok(len([r for r in storedump(store, "msg") if r.get("qid") == qid]) == 1,
   "one store record for a queue id delivered twice through the server")
rc, err, dl, _ = run(b"", [FRONT, "-c", rejecting, "--", "bob@example.org"])
ok(rc == 64 and "no -f SENDER" in err, "no -f: exit 64 with the usage, as before")
srv.stop()

# --- falling back: nothing lost, nothing doubled ----------------------------

signed = message(signed_by="example.com")
rc, err, dl, _ = run(signed, argv_for(base))
ok(rc == 0 and len(dl) == 1, "no server running: the front evaluates it itself")
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(SOCK)
s.close()
rc, err, dl, _ = run(signed, argv_for(base))
ok(rc == 0 and len(dl) == 1, "a stale socket, nobody listening: evaluated by the front")
os.unlink(SOCK)
none = conf(server="")
rc, err, dl, _ = run(signed, argv_for(none))
ok(rc == 0 and len(dl) == 1, "server = (empty): evaluated by the front")

# A server that takes the connection and never answers.
silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
silent.bind(SOCK)
silent.listen(8)
rc, err, dl, secs = run(signed, argv_for(base))
ok(rc == 0 and len(dl) == 1 and secs >= 4.5,
   "a server that never says accepted: after 5 s the front evaluates it (%.1f s)" % secs)
silent.close()
os.unlink(SOCK)

# A server nobody can take: its backlog full.  connect() does not wait.
full = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
full.bind(SOCK)
full.listen(0)
pending = []
while len(pending) < 64:
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.setblocking(False)
    try:
        c.connect(SOCK)
    except BlockingIOError:
        c.close()
        break
    pending.append(c)
rc, err, dl, secs = run(signed, argv_for(base))
ok(rc == 0 and len(dl) == 1 and secs < 4,
   "a server whose backlog is full: the front evaluates it at once (%.1f s)" % secs)
for c in pending:
    c.close()
full.close()
os.unlink(SOCK)

# Someone else's listener at the path: it never gets the message.
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    os.setgid(65534)
    os.setuid(65534)
    fake = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    fake.bind(SOCK)
    fake.listen(8)
    os.write(w, b"up")
    fake.settimeout(15)
    got = b""
    try:
        c, _ = fake.accept()
        c.settimeout(5)
        c.recv(65536)
        c.sendall(b"accepted\n")
        got = c.recv(16)
    except OSError:
        pass
    os.write(w, b" go" if got.startswith(b"go") else b" nothing")
    os._exit(0)
os.close(w)
os.read(r, 2)
rc, err, dl, secs = run(signed, argv_for(base))
os.waitpid(pid, 0)
said = os.read(r, 64)
os.close(r)
ok(rc == 0 and len(dl) == 1 and said == b" nothing",
   "a listener of another user at the path: the front does not use it, and evaluates it")
os.unlink(SOCK)

srv = Server(base)
other = conf(server=SOCK)                 # the same socket, another file
rc, err, dl, _ = run(signed, argv_for(other))
ok(rc == 0 and len(dl) == 1 and "refused: another configuration file" in srv.logtext(),
   "a request naming another configuration file: refused, evaluated by the front")
srv.stop()

def held(srv, confpath):
    """A message from SLOWSENDER through srv, its sendmail held at the gate."""
    open(gate, "w").close()
    sendmail_clear(outdir)
    p = subprocess.Popen(argv_for(confpath, sender=SLOWSENDER), stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    p.stdin.write(message(signed_by="example.com"))
    p.stdin.close()
    srv.wait_children()
    return p


one = conf(name="one.conf", pipefilter={"sendmail": SLOW, "server_processes": "1"})
srv = Server(one)
first = held(srv, one)
p = subprocess.run(argv_for(one), input=message(signed_by="example.com"),
                   capture_output=True, env=ENV, timeout=60)
refused = "refused: busy" in srv.logtext()
os.unlink(gate)
first.wait(60)
time.sleep(0.2)
runs = len(sendmail_runs(outdir))
if not ok(refused and p.returncode == 0 and first.returncode == 0 and runs == 2,
          "server_processes reached: the second message is refused and evaluated by its "
          "front; both delivered once"):
    diag("refused %s rc %s first %s deliveries %d\n%s" % (refused, p.returncode, first.returncode,
                                                        runs, srv.logtext()))
srv.stop()

# Many at once: 40 fronts, server_processes = 4.  Each message delivered
# once, by the server's processes or, refused as busy, by its front.
manydir = os.path.join(work, "many")
os.makedirs(manydir)
MANYSINK = os.path.join(work, "many-sendmail")     # fake-sendmail numbers files: not at once
with open(MANYSINK, "w") as f:
    f.write("#!/bin/sh\nexec cat >\"$(mktemp %s/m.XXXXXX)\"\n" % manydir)
os.chmod(MANYSINK, 0o755)
many = conf(name="many.conf", general={"debug": "yes"},
            pipefilter={"server_processes": "4", "sendmail": MANYSINK})
srv = Server(many)
fronts = []
for i in range(40):
    f = subprocess.Popen(argv_for(many, client="127.0.0.1"), stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    f.stdin.write(message(body=b"message %d\n" % i))
    f.stdin.close()
    fronts.append(f)
rcs = [f.wait(60) for f in fronts]
bodies = []
for name in os.listdir(manydir):
    with open(os.path.join(manydir, name), "rb") as f:
        bodies.append(int(re.search(rb"message (\d+)", f.read()).group(1)))
bodies.sort()


def taken_busy():
    """(messages the server's processes ran, messages it refused as busy)"""
    log = srv.logtext()
    return len(re.findall(r"message process \d+: exit 0", log)), log.count("refused: busy")


wait_for(lambda: sum(taken_busy()) >= 40, 10, 0.05)   # its processes said exit 0: reaped soon
taken, busy = taken_busy()
ok(rcs == [0] * 40 and bodies == list(range(40)) and taken + busy == 40,
   "40 messages at once, at most 4 in the server: each delivered once (%d by the server, "
   "%d by their fronts)" % (taken, busy))
srv.stop()
ok(not srv.children(), "no message process left behind")

# org_domain = psl with a list file: the server loads it once, and its
# message processes use that copy (the file is gone when the message comes).
pslfile = os.path.join(work, "psl.dat")
shutil.copy("/usr/share/publicsuffix/public_suffix_list.dat", pslfile)
pslconf = conf(name="psl.conf", general={"debug": "yes"},
               pipefilter={"org_domain": "psl", "psl_file": pslfile})
srv = Server(pslconf)
os.unlink(pslfile)
rc, err, dl, _ = run(message(signed_by="example.com"), argv_for(pslconf))
ok(rc == 0 and len(dl) == 1 and srv.wait_log(r"message process \d+: exit 0", 5),
   "org_domain = psl: the list the server loaded serves its message processes (file gone)")
rc, err, dl, _ = run(message(signed_by="example.com"), [FILTERD, "--stdio"] + argv_for(pslconf)[1:])
ok(rc == 75 and not dl, "while a process started for the message needs the file: 75")
srv.stop()

# --- a message process that dies ---------------------------------------------

silent_dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
silent_dns.bind(("127.0.0.1", 0))
hang = conf(name="hang.conf", dns={"nameservers": "127.0.0.1:%d" % silent_dns.getsockname()[1],
                                   "timeout": "20s"})
srv = Server(hang)
sendmail_clear(outdir)
errfile = open(os.path.join(work, "hang.err"), "w+b")
p = subprocess.Popen(argv_for(hang), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                     stderr=errfile, env=ENV)
p.stdin.write(signed)
p.stdin.close()
kids = srv.wait_children()
time.sleep(0.3)                           # it has the message, and waits for DNS
for k in kids:
    os.kill(k, signal.SIGKILL)
try:
    p.wait(10)
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
errfile.seek(0)
err = errfile.read()
ok(len(kids) == 1 and p.returncode == 75 and b"4.3.0" in err and not sendmail_runs(outdir),
   "its process killed: the front exits 75 (Postfix keeps the message), nothing delivered")
# The front learns of the death when the connection closes, maybe before
# the server has reaped the process and said so.
ok(srv.wait_log(r"message process %d killed by signal 9" % (kids[0] if kids else 0), 5),
   "the server logs the death")
rc, err, dl, _ = run(message(), argv_for(hang, client="127.0.0.1"))
ok(rc == 0 and len(dl) == 1, "the server goes on with the next message")
srv.stop()

# The front killed (Postfix's time limit) while its message waits for DNS;
# with temperror = accept the message would then be delivered.
late = conf(name="late.conf", dns={"nameservers": "127.0.0.1:%d" % silent_dns.getsockname()[1],
                                   "timeout": "2s"}, pipefilter={"temperror": "accept"})
srv = Server(late)
sendmail_clear(outdir)
p = subprocess.Popen(argv_for(late), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, env=ENV)
p.stdin.write(signed)
p.stdin.close()
srv.wait_children()
time.sleep(0.3)
p.kill()
p.wait()
wait_for(lambda: not srv.children(), 20, 0.05)
ok(not sendmail_runs(outdir) and "postdmarc-pipefilter has gone" in srv.logtext(),
   "the front killed while its message waits: not reinjected (Postfix tries again)")
rc, err, dl, _ = run(signed, argv_for(late, client="127.0.0.1"))
ok(rc == 0 and len(dl) == 1, "a front that waits: delivered")
srv.stop()
silent_dns.close()

# --- requests that are refused ----------------------------------------------

srv = Server(base)


def raw(payload, head=None, uid=None, go=None):
    """Send a request by hand, and "go" with the descriptors go (a tuple)
    if it is accepted; the server's lines, up to the end."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            if uid is not None:
                os.setgid(uid)
                os.setuid(uid)
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(SOCK)
            try:
                c.sendall((head if head is not None else b"PDF1" + struct.pack(">I", len(payload)))
                          + payload)
            except OSError:
                pass        # refused before it was all read: the answer is there
            c.settimeout(10)
            data = b""
            while True:
                b = c.recv(1)
                if not b:
                    break
                data += b
                if data == b"accepted\n" and go is not None:
                    devnull = os.open(os.devnull, os.O_RDWR)
                    c.sendmsg([b"go\n"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                           struct.pack("%di" % len(go), *[devnull] * len(go)))]
                              if go else [])
            os.write(w, data)
        finally:
            os._exit(0)
    os.close(w)
    out = b""
    while True:
        b = os.read(r, 4096)
        if not b:
            break
        out += b
    os.close(r)
    os.waitpid(pid, 0)
    return out.decode("utf-8", "replace").strip()


good = b"\0".join(a.encode() for a in argv_for(base, client="127.0.0.1")) + b"\0"
for name, head, want in [
    ("bad magic", b"XXXX\0\0\0\5", "refused not a request"),
    ("a length over FILTERD_REQUEST_MAX", b"PDF1" + struct.pack(">I", 1024 * 1024 + 1),
     "refused not a request"),
]:
    ok(raw(good, head=head) == want, "a request with %s: %s" % (name, want))
ok(raw(b"postdmarc-pipefilter\0-c\0" + base.encode()) == "refused not a request",
   "a request that does not end in a NUL: refused")
t0 = time.time()
cut = raw(good, head=b"PDF1" + struct.pack(">I", len(good) + 10))    # 10 bytes never come
secs = time.time() - t0
ok(cut == "refused not a request" and 0.9 <= secs < 5,
   "a request not whole within FILTERD_REQUEST_MS (1 s): refused then (%.1f s)" % secs)
for args, name in ([["x", "-c", base, "-n"], "-n"],
                   [["x", "-c", base, "--stdio", "-f", "a", "--", "b"], "--stdio"],
                   [["x", "-c", base, "--bogus"], "an unknown option"]):
    ok(raw(b"\0".join(a.encode() for a in args) + b"\0") ==
       "refused not a message's command line", "a command line with %s: refused" % name)
ok(raw(b"\0".join([b"x"] * 20001) + b"\0") == "refused not a request",
   "more than FILTERD_ARGS_MAX arguments: refused")
os.chmod(SOCK, 0o666)
ok(raw(good, uid=65534) == "refused not our user", "another user (nobody): refused")
for go, name in (((), "no descriptors"), ((0, 1), "two descriptors"),
                 ((0, 1, 2, 3), "four descriptors")):
    ok(raw(good, go=go) == "accepted", "go with %s: the process leaves, nothing done" % name)
ok(raw(good) == "accepted" and "no go-ahead" in srv.logtext(),
   "no go within FILTERD_HELLO_MS: the process leaves, nothing done")
ok(raw(good, go=(0, 1, 2)) == "accepted\nexit 0", "a request by hand, done: exit 0")
rc, err, dl, _ = run(signed, argv_for(base))
ok(rc == 0 and len(dl) == 1 and srv.proc.poll() is None,
   "after all that, the server still serves")
srv.stop()

# --- reloading -----------------------------------------------------------------

live = conf(name="live.conf", general={"debug": "yes"})
srv = Server(live)
quar = message("x@quarantine.example.net")
rc, err, dl, _ = run(quar, argv_for(live))
ok(len(dl) == 1 and b"\nX-Spam: Yes\n" in b"\n" + dl[0][1], "quarantine: X-Spam: Yes")
c = base_conf(dns, store, general={"debug": "yes"},
              pipefilter={"sendmail": SENDMAIL, "tmpdir": tmpdir, "server": SOCK,
                          "spam_header": "X-Junk: reloaded"})
write_conf(live, c)
rc, err, dl, _ = run(quar, argv_for(live))
ok(len(dl) == 1 and b"\nX-Junk: reloaded\n" in b"\n" + dl[0][1]
   and "file changed: configuration" in srv.logtext(),
   "the file changed: the next message sees the new configuration")
with open(live, "a") as f:
    f.write("[pipefilter]\nbogus_key = 1\n")
rc, err, dl, _ = run(quar, argv_for(live))
ok(rc == 0 and len(dl) == 1 and b"\nX-Junk: reloaded\n" in b"\n" + dl[0][1]
   and "has errors" in srv.logtext(),
   "a file with errors: logged, the configuration before it kept")
c["pipefilter"]["spam_header"] = "X-Junk: sighup"
write_conf(live, c)
srv.proc.send_signal(signal.SIGHUP)
srv.wait_log("SIGHUP: configuration", 5)
rc, err, dl, _ = run(quar, argv_for(live))
ok(len(dl) == 1 and b"\nX-Junk: sighup\n" in b"\n" + dl[0][1], "SIGHUP: loaded again")
srv.stop()

# --- stopping with a message in flight ----------------------------------------

slow = conf(name="slow.conf", pipefilter={"sendmail": SLOW})
srv = Server(slow)
p = held(srv, slow)
srv.proc.send_signal(signal.SIGTERM)
wait_for(lambda: not os.path.exists(SOCK), 10, 0.02)
ok(not os.path.exists(SOCK) and srv.proc.poll() is None,
   "SIGTERM: the socket goes at once, the server waits for the message in flight")
os.unlink(gate)
p.wait(30)
ok(p.returncode == 0 and len(sendmail_runs(outdir)) == 1 and srv.stop() == 0,
   "then the message is delivered, and the server exits 0")

# What sendmail inherits: its stdin, stdout, stderr; not the store's
# files (LMDB leaves its data file open across exec), nor our sockets.
fdlist = os.path.join(work, "sendmail-fds")
FDS = os.path.join(work, "fds-sendmail")
with open(FDS, "w") as f:
    f.write("#!/bin/sh\nls -l /proc/$$/fd >%s\nexec %s \"$@\"\n" % (fdlist, SENDMAIL))
os.chmod(FDS, 0o755)
fdconf = conf(name="fds.conf", pipefilter={"sendmail": FDS})
for how, argv in (("one process", [FILTERD, "--stdio"] + argv_for(fdconf)[1:]),
                  ("the server", argv_for(fdconf))):
    srv = Server(fdconf) if how == "the server" else None
    rc, err, dl, _ = run(message(signed_by="example.com"), argv)
    with open(fdlist) as f:
        fds = [ln.split()[-3] + " " + ln.split()[-1] for ln in f.read().splitlines()[1:]]
    ok(rc == 0 and len(dl) == 1 and fds
       and not any(".mdb" in x or "socket:" in x for x in fds),
       "%s: sendmail inherits no store file and no socket (%s)" % (how, ", ".join(fds)))
    if srv:
        srv.stop()

# --- starting -------------------------------------------------------------------

p = subprocess.run([FILTERD, "-c", conf(server="")], capture_output=True, text=True, env=ENV,
                   timeout=30)
ok(p.returncode == 78 and "server is empty" in p.stderr, "server = (empty): exit 78")
p = subprocess.run([FILTERD, "-c", conf(server=os.path.join(work, "no", "such.sock"))],
                   capture_output=True, text=True, env=ENV, timeout=30)
ok(p.returncode == 71 and "such.sock" in p.stderr,
   "a socket in a directory that does not exist: exit 71, named")
p = subprocess.run([FILTERD, "-c", conf(), "-n"], capture_output=True, text=True, timeout=30)
ok(p.returncode == 0, "-n: the configuration checks")
p = subprocess.run([FILTERD, "-V"], capture_output=True, text=True, timeout=30)
ok(p.returncode == 0 and p.stdout.startswith("postdmarc-filterd "), "-V")
p = subprocess.run(["ldd", FRONT], capture_output=True, text=True)
libs = [ln.split()[0] for ln in p.stdout.splitlines() if "=>" in ln]
ok(libs == ["libc.so.6"] or "ASAN_OPTIONS" in os.environ,
   "postdmarc-pipefilter links libc alone (%s)" % ", ".join(libs))

done()
