"""pdtest - the harness of postdmarc's integration tests.

Every tests/t/*.t script is a /usr/bin/python3 program that prints TAP.
This module gives them:

  TAP output        ok(), is_(), like(), skip(), diag(), done()
  paths             TOP, BUILD, bin(name), tool(name)
  scratch space     workdir(): a fresh directory under $PD_BUILD/tmp,
                    world-traversable so programs that drop to an
                    unprivileged user can use it; removed at exit when
                    every test passed
  a DNS server      Dns(): unbound on a free loopback port serving
                    tests/zones/*.zone (tests/lib/dns-server)
  configuration     write_conf(path, {section: {key: value}})
  a policy server   Policyd(conf): postdmarc-policyd on a free port
  waiting           wait_for(cond), wait_port(port), Daemon.wait_log(re)
  the sendmail      tests/lib/fake-sendmail: SENDMAIL, sendmail_runs(dir),
                    sendmail_clear(dir)
  the store         read through tests/tools/storedump
  sanitizer reports a failing test for every ASan, LSan or UBSan report
                    in the stderr or log of a program the script ran
                    (sanitizer_check(); `make check SANITIZE=1`)

Nothing here reaches the network beyond 127.0.0.1.
"""

import atexit
import os
import re
import shutil
import socket
import signal
import subprocess
import sys
import tempfile
import time

# Absolute: _our_program() knows a program of ours by this prefix, and the
# lab (postfixlab) makes its paths absolute.
TOP = os.path.abspath(os.environ.get("PD_TOP") or
                      os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(os.environ.get("PD_BUILD") or os.path.join(TOP, "build"))

_n = 0
_failed = 0
_todo_failed = 0
_cleanups = []
_finals = []        # run by done() before the plan: last checks that may fail


def bin(name):
    """Path of one of the three programs."""
    return os.path.join(BUILD, "bin", name)


def tool(name):
    """Path of a test tool built from tests/tools/."""
    return os.path.join(BUILD, "tools", name)


# --- TAP -----------------------------------------------------------------

def diag(msg):
    for line in str(msg).splitlines() or [""]:
        print("# " + line)
    sys.stdout.flush()


def ok(cond, name, todo=None):
    global _n, _failed, _todo_failed
    _n += 1
    name = name.replace("\n", " ").replace("#", "\\#")
    suffix = " # TODO " + todo if todo else ""
    print("%sok %d - %s%s" % ("" if cond else "not ", _n, name, suffix))
    sys.stdout.flush()
    if not cond:
        if todo:
            _todo_failed += 1
        else:
            _failed += 1
    return bool(cond)


def is_(got, want, name):
    if not ok(got == want, name):
        diag("got:  %r" % (got,))
        diag("want: %r" % (want,))
        return False
    return True


def like(got, pattern, name):
    if not ok(got is not None and re.search(pattern, got) is not None, name):
        diag("got:  %r" % (got,))
        diag("want: /%s/" % pattern)
        return False
    return True


def skip(name, why):
    global _n
    _n += 1
    print("ok %d - %s # SKIP %s" % (_n, name, why))


def done():
    while _finals:
        _finals.pop()()
    print("1..%d" % _n)
    sys.stdout.flush()
    _cleanup(_failed == 0)
    sys.exit(1 if _failed else 0)


def bail(why):
    print("Bail out! " + why)
    sys.stdout.flush()
    _cleanup(False)
    sys.exit(255)


def _cleanup(remove):
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn(remove)
        except Exception as e:     # cleanup must not hide the results
            diag("cleanup: %s" % e)


atexit.register(lambda: _cleanup(False))


# --- sanitizer reports -----------------------------------------------------
#
# Under `make check SANITIZE=1` every program is built with ASan+UBSan and
# the Makefile exports ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS, so a
# report goes to the program's stderr and changes its exit status.  Not
# every check looks at both, so the stderr of every program of ours is
# scanned here: captured by subprocess.run() at once, written to a file
# (a daemon's log, subprocess.Popen()) by done().  A report becomes a
# failing test of its own, with the report as diagnostics.  Without
# sanitizers nothing matches and no test is added.

_SANITIZER_RE = re.compile(
    r"ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)"
    r"|^\S+:\d+:\d+: runtime error: |^SUMMARY: \w+Sanitizer", re.M)


def sanitizer_check(text, what):
    """Fail (a test of its own) if text holds a sanitizer report."""
    if text is None:
        return True
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    m = _SANITIZER_RE.search(text)
    if m is None:
        return True
    ok(False, "no sanitizer report from %s" % what)
    lines = text[text.rfind("\n", 0, m.start()) + 1:].splitlines()
    diag("\n".join(lines[:120]))
    if len(lines) > 120:
        diag("... %d more lines" % (len(lines) - 120))
    return False


def _our_program(args):
    """'NAME ARG ARG' when args run a program of $PD_BUILD, else None."""
    argv = [str(a) for a in (args if isinstance(args, (list, tuple)) else [args])]
    ours = [i for i, a in enumerate(argv) if a.startswith(BUILD)]
    if not ours:
        return None
    i = ours[0]
    return " ".join([os.path.basename(argv[i])] + argv[i + 1:i + 3])


_subprocess_run = subprocess.run


def _checked_run(*args, **kwargs):
    """subprocess.run, then sanitizer_check() of a captured stderr."""
    out = _subprocess_run(*args, **kwargs)
    what = _our_program(out.args)
    if what:
        sanitizer_check(out.stderr, what)
    return out


class _CheckedPopen(subprocess.Popen):
    """subprocess.Popen; a program of ours whose stderr goes to a file (a
    daemon's log) has that file checked by done(), after a SIGTERM if it
    still runs, so that LeakSanitizer looks at its exit too."""

    def __init__(self, args, *a, **kw):
        super().__init__(args, *a, **kw)
        err = kw.get("stderr")
        if err == subprocess.STDOUT:
            err = kw.get("stdout")
        what = _our_program(args)
        path = getattr(err, "name", None)
        if what and isinstance(path, str) and os.path.isfile(path):
            _finals.append(lambda: self._final_check(path, what))

    def _final_check(self, path, what):
        if self.poll() is None:
            self.terminate()
            try:
                self.wait(60)
            except subprocess.TimeoutExpired:
                diag("%s did not exit on SIGTERM within 60s" % what)
                self.kill()
                self.wait()
        if os.path.isfile(path):
            with open(path, errors="replace") as f:
                sanitizer_check(f.read(), "%s (its log %s)" % (what, os.path.basename(path)))


# The test scripts call subprocess directly; route them through here.
subprocess.run = _checked_run
subprocess.Popen = _CheckedPopen


# --- scratch space ---------------------------------------------------------

def workdir(prefix="t"):
    """A fresh directory for one test script."""
    base = os.path.join(BUILD, "tmp")
    os.makedirs(base, exist_ok=True)
    os.chmod(base, 0o755)
    d = tempfile.mkdtemp(prefix=prefix + "-", dir=base)
    os.chmod(d, 0o777 | 0o1000)

    def rm(remove):
        if remove:
            shutil.rmtree(d, ignore_errors=True)
        else:
            diag("kept %s" % d)
    _cleanups.append(rm)
    return d


def free_port(udp=False):
    """A TCP (or UDP) port on 127.0.0.1 that nobody listens on right now."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(cond, timeout, step=0.1, proc=None):
    """Poll cond() until it returns something true: that; None at the
    timeout, or once proc (a Popen) has exited and cond() is still false."""
    end = time.time() + timeout
    while True:
        v = cond()
        if v or time.time() >= end or (proc is not None and proc.poll() is not None):
            return v or None
        time.sleep(step)


def wait_port(port, host="127.0.0.1", timeout=10.0, proc=None):
    """Wait until something accepts connections on host:port."""
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


# --- configuration ---------------------------------------------------------

def write_conf(path, sections):
    """Write an INI file; values may be lists (joined with commas)."""
    with open(path, "w") as f:
        for section, keys in sections.items():
            f.write("[%s]\n" % section)
            for k, v in keys.items():
                if isinstance(v, (list, tuple)):
                    v = ", ".join(v)
                f.write("%s = %s\n" % (k, v))
            f.write("\n")
    return path


def base_conf(dns, store, **extra):
    """The usual test configuration: our DNS, our store, logs to stderr, no
    filter server (postdmarc-pipefilter runs postdmarc-filterd --stdio)."""
    conf = {
        "general": {"hostname": "mx.example.org", "store": store, "user": "",
                    "log": "stderr"},
        "dns": {"nameservers": dns.addr, "timeout": "2s", "attempts": "1"},
        "pipefilter": {"server": ""},
    }
    for section, keys in extra.items():
        conf.setdefault(section, {}).update(keys)
    return conf


# --- DNS -----------------------------------------------------------------

class Dns:
    """unbound serving tests/zones/*.zone plus any extra zone files."""

    def __init__(self, *zonefiles, extra_conf=None):
        self.dir = workdir("dns")
        env = dict(os.environ)
        if extra_conf:
            env["DNS_SERVER_EXTRA"] = "\n".join(extra_conf)
        out = subprocess.run(
            [os.path.join(TOP, "tests", "lib", "dns-server"), "start", self.dir]
            + list(zonefiles), capture_output=True, text=True, env=env)
        if out.returncode != 0:
            bail("DNS server did not start: " + out.stderr)
        self.port = int(out.stdout.strip())
        self.addr = "127.0.0.1:%d" % self.port
        _cleanups.append(lambda remove: self.stop())

    def stop(self):
        subprocess.run([os.path.join(TOP, "tests", "lib", "dns-server"), "stop",
                        self.dir], capture_output=True)


# --- the policy server ---------------------------------------------------

class Daemon:
    """One of our daemons in the foreground, its output in CONF.log."""

    def __init__(self, argv, conf_path, env=None):
        self.log = open(conf_path + ".log", "w+")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        _cleanups.append(lambda remove: self.kill())

    def logtext(self):
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def wait_log(self, pattern, timeout=10):
        """True once pattern (a regex, multi-line) is in the log; False at the
        timeout or when the daemon exited without logging it."""
        return wait_for(lambda: re.search(pattern, self.logtext(), re.M), timeout, 0.02,
                        self.proc) is not None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=30):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=30):
        """SIGTERM; the exit status, or None if it did not exit in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Policyd(Daemon):
    """postdmarc-policyd in the foreground on a free port."""

    def __init__(self, conf_path, port, extra_args=()):
        Daemon.__init__(self, [bin("postdmarc-policyd"), "-c", conf_path] + list(extra_args),
                        conf_path)
        self.port = port
        if not wait_port(port, proc=self.proc):
            bail("policyd did not start: " + self.logtext())


def policy_request(**attrs):
    """One request in the policy protocol; attrs in order given."""
    req = {"request": "smtpd_access_policy", "protocol_state": "RCPT",
           "protocol_name": "ESMTP", "helo_name": "mx.example.net",
           "sender": "", "recipient": "user@example.org",
           "client_address": "192.0.2.5", "client_name": "unknown",
           "instance": "1.1", "sasl_username": ""}
    req.update(attrs)
    return "".join("%s=%s\n" % (k, v) for k, v in req.items()) + "\n"


class PolicyClient:
    """One connection to the policy server."""

    def __init__(self, port, timeout=15):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send_raw(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def read_answer(self):
        """The action of the next answer, or None when the server closed."""
        while b"\n\n" not in self.buf:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return None
            if not chunk:
                return None
            self.buf += chunk
        answer, self.buf = self.buf.split(b"\n\n", 1)
        text = answer.decode("utf-8", "replace")
        return text[len("action="):] if text.startswith("action=") else text

    def ask(self, **attrs):
        self.send_raw(policy_request(**attrs))
        return self.read_answer()

    def closed(self, timeout=5):
        """True when the server closes the connection without answering."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
            return data == b""
        except ConnectionResetError:
            return True
        except OSError:
            return False

    def close(self):
        self.sock.close()


# --- the fake sendmail ----------------------------------------------------

SENDMAIL = os.path.join(TOP, "tests", "lib", "fake-sendmail")


def sendmail_runs(outdir):
    """(argv, message bytes) of each fake-sendmail run that finished writing
    into outdir ($FAKE_SENDMAIL_DIR), in order."""
    out = []
    n = 1
    while os.path.exists(os.path.join(outdir, "%d.eml" % n)):
        with open(os.path.join(outdir, "%d.args" % n), "rb") as f:
            args = f.read().decode("utf-8", "surrogateescape").split("\n")[:-1]
        with open(os.path.join(outdir, "%d.eml" % n), "rb") as f:
            out.append((args, f.read()))
        n += 1
    return out


def sendmail_clear(outdir):
    """Forget the runs of fake-sendmail in outdir: the next one is 1 again."""
    for f in os.listdir(outdir):
        os.unlink(os.path.join(outdir, f))


# --- the store -----------------------------------------------------------

def storedump(store, what):
    """Records of the store as a list of dicts (tests/tools/storedump)."""
    out = subprocess.run([tool("storedump"), store, what], capture_output=True,
                         text=True)
    if out.returncode != 0:
        diag("storedump: " + out.stderr)
        return []
    rows = []
    for line in out.stdout.splitlines():
        row = {}
        for field in line.split("\t"):
            if "=" in field:
                k, v = field.split("=", 1)
                row[k] = v
        rows.append(row)
    return rows
