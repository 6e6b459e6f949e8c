"""postfixlab - a private Postfix world on loopback, wired to postdmarc.

Used by tests/t/e2e.t and scripts/demo.  As root, Lab(...).start() builds:

  a Postfix instance  its own config_directory, queue_directory and
                      data_directory, listening on 127.0.0.1:<free port>,
                      logging to <work>/maillog (postlogd), trusting
                      XCLIENT from 127.0.0.1, delivering only locally:
                      virtual domain example.org through dovecot-lda
                      (Maildirs under <work>/mail/<user>/, the shipped
                      etc/junk.sieve as the sieve_before script), every
                      other destination the error transport; Postfix
                      itself never asks DNS anything.
  postdmarc wiring    exactly the lines of etc/postfix-main.cf and
                      etc/postfix-master.cf: check_policy_service at
                      RCPT and END-OF-MESSAGE, content_filter on the smtp
                      service, the pipe(8) transport running
                      postdmarc-pipefilter as the postdmarc user; only the
                      policy port, the program path and "-c <conf>" are
                      the lab's own.
  postdmarc-policyd   on a free port, started as root, switching to the
                      postdmarc user ([general] user).
  postdmarc-filterd   the filter server, on <work>/run/filterd.sock,
                      started as root, switching to the postdmarc user:
                      the pipe transport's postdmarc-pipefilter hands it
                      each message.
  a smtp-sink         on demand (sink()), for postdmarc-reporter.

The mailboxes, like the filter's store and spool, belong to the postdmarc
user: the lab makes no other account.

Two things outlive a lab, and start() says so (through say()) when it
makes them:

  - the system user "postdmarc" (the default [general] user), created
    when missing;
  - the lab's config directory, listed in alternate_config_directories
    of the default /etc/postfix/main.cf (created when missing): the
    filter runs "sendmail -C <dir>" as the postdmarc user, and Postfix's
    set-gid programs trust a non-default configuration directory only
    when it is listed there (mail_conf_checkdir(): an exact string
    match).  So that one line serves every run, the config directory is
    the same for every run of a build directory: <build>/lab/postfix
    (queue, data, mailboxes and logs are fresh under <work>); a lock
    (<build>/lab/lock) makes runs of one build directory take turns.

free_port(), wait_for(), wait_port() and write_conf() are pdtest's
(wait_for() is here for e2e.t and scripts/demo as pl.wait_for()).

Nothing here reaches the network beyond 127.0.0.1.
"""

import email
import email.policy
import email.utils
import fcntl
import json
import os
import pwd
import re
import shutil
import signal
import smtplib
import socket
import subprocess

from pdtest import free_port, wait_for, wait_port, write_conf  # noqa: F401 (wait_for: pl.wait_for)

DEFAULT_MAIN_CF = "/etc/postfix/main.cf"
PIPE_USER = "postdmarc"
HOSTNAME = "mx.example.org"         # [general] hostname: our authserv-id
DOMAIN = "example.org"              # the virtual mailbox domain
MAILBOXES = ("bob", "alice", "carol", "load", "postmaster")
SAMPLE_FILTER = "/usr/local/sbin/postdmarc-pipefilter"
SAMPLE_POLICY = "inet:127.0.0.1:10040"
DOVECOT_LDA = "/usr/lib/dovecot/dovecot-lda"


def have_ipv6():
    """Can this machine use IPv6 on loopback."""
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def read(path):
    """The text of a file; "" when it cannot be read."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def run(argv, check=True, **kw):
    """Run a command; its CompletedProcess (text).  check: raise on failure."""
    p = subprocess.run(argv, capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise LabError("%s exited %d: %s" % (" ".join(argv), p.returncode,
                                             (p.stderr or p.stdout).strip()))
    return p


class LabError(Exception):
    pass


# --- what the samples say --------------------------------------------------

def read_main_sample(path, policy):
    """etc/postfix-main.cf as [(name, value)], the policy endpoint replaced."""
    params, cur = [], None
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                cur = None
                continue
            if line[0] in " \t" and cur is not None:
                params[-1] = (cur, (params[-1][1] + " " + line.strip()).strip())
                continue
            name, value = line.split("=", 1)
            cur = name.strip()
            params.append((cur, value.strip()))
    return [(n, v.replace(SAMPLE_POLICY, policy)) for n, v in params]


def read_master_sample(path):
    """etc/postfix-master.cf as a list of entries, each a list of lines."""
    entries = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            if line[0] in " \t":
                entries[-1].append(line.rstrip("\n"))
            else:
                entries.append([line.rstrip("\n")])
    return entries


# --- the machine-wide bits -------------------------------------------------

def ensure_user(say):
    """The postdmarc system user: created when missing (and said so)."""
    try:
        return pwd.getpwnam(PIPE_USER)
    except KeyError:
        pass
    run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
         PIPE_USER])
    say("created the system user %s (useradd --system --no-create-home "
        "--shell /usr/sbin/nologin %s): the default [general] user, and the "
        "pipe(8) user of the filter" % (PIPE_USER, PIPE_USER))
    return pwd.getpwnam(PIPE_USER)


def ensure_alternate_config_dir(confdir, say):
    """confdir listed in alternate_config_directories of the default main.cf.

    Postfix's set-gid programs (sendmail -C as a user other than root,
    postdrop) refuse a non-default configuration directory that is not
    listed there.  The edit is made under a lock on main.cf, so that
    concurrent labs of other build directories do not lose each
    other's entry."""
    if not os.path.exists(DEFAULT_MAIN_CF):
        os.makedirs(os.path.dirname(DEFAULT_MAIN_CF), exist_ok=True)
        with open(DEFAULT_MAIN_CF, "a"):
            pass
        say("created %s (Postfix was not configured yet) for the line below" %
            DEFAULT_MAIN_CF)
    with open(DEFAULT_MAIN_CF) as lockf:
        fcntl.flock(lockf, fcntl.LOCK_EX)
        cur = run(["postconf", "-c", os.path.dirname(DEFAULT_MAIN_CF), "-h",
                   "alternate_config_directories"]).stdout.strip()
        dirs = [d for d in re.split(r"[\s,]+", cur) if d]
        if confdir in dirs:
            return False
        new = ", ".join(dirs + [confdir])
        run(["postconf", "-c", os.path.dirname(DEFAULT_MAIN_CF), "-e",
             "alternate_config_directories = " + new])
    say("added %s to alternate_config_directories in %s (sendmail -C, run by "
        "the filter as %s, needs it); it stays for the next run" %
        (confdir, DEFAULT_MAIN_CF, PIPE_USER))
    return True


# --- the lab -----------------------------------------------------------------

class Lab:
    """A private Postfix, postdmarc-policyd and their files; see the top."""

    def __init__(self, top, build, work, dns_addr, say=print, conf_extra=None,
                 main_extra=None):
        """top: the source tree; build: the build directory (bin/, and the
        lab's fixed config directory); work: a fresh directory for the
        queue, mailboxes, store and logs; dns_addr: host:port of the test
        DNS server; say: where notices about machine changes go;
        conf_extra: {section: {key: value}} over the lab's postdmarc.conf;
        main_extra: [(name, value)] appended to the instance's main.cf."""
        self.top, self.build, self.work = top, os.path.abspath(build), work
        self.dns_addr, self.say = dns_addr, say
        self.conf_extra = conf_extra or {}
        self.main_extra = main_extra or []
        self.labdir = os.path.join(self.build, "lab")
        self.confdir = os.path.join(self.labdir, "postfix")
        self.queuedir = os.path.join(work, "queue")
        self.datadir = os.path.join(work, "data")
        self.maildir = os.path.join(work, "mail")
        self.store = os.path.join(work, "store")
        self.tmpdir = os.path.join(work, "pdtmp")
        self.maillog_path = os.path.join(work, "maillog")
        self.pdlog_path = os.path.join(work, "postdmarc.log")
        self.conf = os.path.join(work, "postdmarc.conf")
        self.rundir = os.path.join(work, "run")
        self.filterd_sock = os.path.join(self.rundir, "filterd.sock")
        self.filterd = None
        self.smtp_port = None
        self.policy_port = None
        self.policyd = None
        self.sinks = []
        self.postfix_up = False
        self._lock = None
        self.ipv6 = have_ipv6()

    # -- start ------------------------------------------------------------

    def start(self):
        if os.geteuid() != 0:
            raise LabError("the lab needs root (Postfix, useradd)")
        for prog in ("postfix", "postconf", "postqueue", "smtp-source", "smtp-sink"):
            if shutil.which(prog, path="/usr/sbin:/usr/bin") is None:
                raise LabError("%s is missing (scripts/deps installs postfix)" % prog)
        if not os.path.exists(DOVECOT_LDA):
            raise LabError("%s is missing (scripts/deps installs dovecot-core, "
                           "dovecot-sieve)" % DOVECOT_LDA)
        self._take_lock()
        self.user = ensure_user(self.say)
        ensure_alternate_config_dir(self.confdir, self.say)
        self._dirs()
        self.report_port, self.report_dir = self.sink("reports")
        self._start_policyd()
        self._start_filterd()
        self._dovecot_conf()
        self._start_postfix()
        return self

    def _take_lock(self):
        os.makedirs(self.labdir, exist_ok=True)
        self._lock = open(os.path.join(self.labdir, "lock"), "a+")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.say("another lab of %s is running; waiting for it" % self.build)
            fcntl.flock(self._lock, fcntl.LOCK_EX)
        self._reap_stale()

    def _reap_stale(self):
        """What a previous run of this build directory left running."""
        if os.path.exists(os.path.join(self.confdir, "main.cf")):
            p = run(["postfix", "-c", self.confdir, "status"], check=False)
            if p.returncode == 0:
                self.say("stopping the Postfix a previous lab left running")
                run(["postfix", "-c", self.confdir, "abort"], check=False)
        for name, what in (("policyd", "policy server"), ("filterd", "filter server")):
            pidfile = os.path.join(self.labdir, name + ".pid")
            try:
                with open(pidfile) as f:
                    pid, conf = f.read().split("\n")[:2]
                with open("/proc/%d/cmdline" % int(pid), "rb") as f:
                    if conf.encode() in f.read().split(b"\0"):
                        self.say("stopping the %s a previous lab left running" % what)
                        os.kill(int(pid), signal.SIGKILL)
            except (OSError, ValueError):
                pass

    def _dirs(self):
        u = self.user
        pf = pwd.getpwnam("postfix")
        os.chmod(self.work, 0o755)
        for d in (self.queuedir, self.maildir):
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o755)
        os.makedirs(self.datadir, exist_ok=True)
        os.chown(self.datadir, pf.pw_uid, pf.pw_gid)
        os.chmod(self.datadir, 0o700)
        # Store and spool directory of the filter: the postdmarc user's.
        for d, mode in ((self.store, 0o770), (self.tmpdir, 0o700), (self.rundir, 0o750)):
            os.makedirs(d, exist_ok=True)
            os.chown(d, u.pw_uid, u.pw_gid)
            os.chmod(d, mode)
        for user in MAILBOXES:
            d = os.path.join(self.maildir, user)
            os.makedirs(d, exist_ok=True)
            os.chown(d, u.pw_uid, u.pw_gid)
        # One log for the three programs: the policy server opens it as
        # root, the filter as the postdmarc user.
        with open(self.pdlog_path, "a"):
            pass
        os.chown(self.pdlog_path, u.pw_uid, u.pw_gid)
        os.chmod(self.pdlog_path, 0o640)
        if os.path.isdir(self.confdir):
            shutil.rmtree(self.confdir)
        os.makedirs(self.confdir)
        os.chmod(self.confdir, 0o755)

    def _postdmarc_conf(self):
        conf = {
            "general": {"hostname": HOSTNAME, "store": self.store, "user": PIPE_USER,
                        "log": self.pdlog_path},
            "dns": {"nameservers": self.dns_addr, "timeout": "2s", "attempts": "1"},
            "policyd": {"listen": "inet:127.0.0.1:%d" % self.policy_port},
            "pipefilter": {"sendmail": "/usr/sbin/sendmail -C " + self.confdir,
                           "tmpdir": self.tmpdir, "server": self.filterd_sock},
            # Reports go to the lab's smtp-sink, which plays every rua= host.
            "reporter": {"org_name": HOSTNAME, "email": "dmarc-reports@" + DOMAIN,
                         "domain": DOMAIN, "smtp": "127.0.0.1",
                         "smtp_port": str(self.report_port), "helo": HOSTNAME},
        }
        for section, keys in self.conf_extra.items():
            conf.setdefault(section, {}).update(keys)
        write_conf(self.conf, conf)
        os.chmod(self.conf, 0o644)      # the filter reads it as the postdmarc user
        p = run([self.bin("postdmarc-policyd"), "-n", "-c", self.conf], check=False)
        if p.returncode != 0:
            raise LabError("configuration %s: %s" % (self.conf, p.stderr.strip()))

    def _start_policyd(self):
        """postdmarc-policyd on a free port (another one if that was taken)."""
        self.policyd_out = open(os.path.join(self.work, "policyd.out"), "w+")
        for attempt in range(3):
            self.policy_port = free_port()
            self._postdmarc_conf()
            self.policyd = subprocess.Popen([self.bin("postdmarc-policyd"), "-c", self.conf],
                                            stdout=self.policyd_out,
                                            stderr=subprocess.STDOUT)
            with open(os.path.join(self.labdir, "policyd.pid"), "w") as f:
                f.write("%d\n%s\n" % (self.policyd.pid, self.conf))
            if wait_port(self.policy_port, timeout=15, proc=self.policyd):
                return
            if self.policyd.poll() is None:
                self.policyd.kill()
            self.policyd.wait()
        raise LabError("postdmarc-policyd did not start: " + self._tail(
            self.policyd_out.name) + self._tail(self.pdlog_path))

    def _start_filterd(self):
        """postdmarc-filterd, the filter server: as root, it becomes postdmarc."""
        self.filterd_out = open(os.path.join(self.work, "filterd.out"), "w+")
        self.filterd = subprocess.Popen([self.bin("postdmarc-filterd"), "-c", self.conf],
                                        stdout=self.filterd_out, stderr=subprocess.STDOUT)
        with open(os.path.join(self.labdir, "filterd.pid"), "w") as f:
            f.write("%d\n%s\n" % (self.filterd.pid, self.conf))
        if not wait_for(lambda: os.path.exists(self.filterd_sock)
                        or self.filterd.poll() is not None, 15) \
                or self.filterd.poll() is not None:
            raise LabError("postdmarc-filterd did not start: " + self._tail(
                self.filterd_out.name) + self._tail(self.pdlog_path))

    def _dovecot_conf(self):
        """dovecot-lda as the delivery agent, etc/junk.sieve before all."""
        d = os.path.join(self.work, "dovecot")
        os.makedirs(os.path.join(d, "run"), exist_ok=True)
        sieve = os.path.join(d, "junk.sieve")
        shutil.copy(os.path.join(self.top, "etc", "junk.sieve"), sieve)
        self.dovecot_log = os.path.join(self.work, "dovecot.log")
        with open(self.dovecot_log, "a"):
            pass
        self.dovecot_conf = os.path.join(d, "dovecot.conf")
        with open(self.dovecot_conf, "w") as f:
            f.write("""# dovecot-lda of the postdmarc lab: no daemon, Maildirs under %(mail)s
base_dir = %(d)s/run
log_path = %(log)s
first_valid_uid = 1
mail_location = maildir:%(mail)s/%%n
ssl = no
protocols =
stats_writer_socket_path =
postmaster_address = postmaster@%(domain)s
hostname = %(host)s
protocol lda {
  mail_plugins = sieve
}
plugin {
  # etc/junk.sieve, installed as its comment says
  sieve_before = %(sieve)s
  sieve =
}
""" % {"d": d, "log": self.dovecot_log, "mail": self.maildir, "domain": DOMAIN,
                "host": HOSTNAME, "sieve": sieve})
        for root, dirs, files in os.walk(d):
            for name in dirs + files:
                os.chown(os.path.join(root, name), self.user.pw_uid, self.user.pw_gid)
        os.chown(d, self.user.pw_uid, self.user.pw_gid)
        os.chown(self.dovecot_log, self.user.pw_uid, self.user.pw_gid)

    def _postfix_conf(self):
        """main.cf and master.cf of the instance."""
        self.smtp_port = free_port()
        policy = "inet:127.0.0.1:%d" % self.policy_port
        boxes = ", ".join("%s@%s=%s/" % (u, DOMAIN, u) for u in MAILBOXES)
        main = [
            ("compatibility_level", "3.6"),
            ("config_directory", self.confdir),
            ("queue_directory", self.queuedir),
            ("data_directory", self.datadir),
            ("mail_owner", "postfix"),
            ("setgid_group", "postdrop"),
            ("maillog_file", self.maillog_path),
            ("maillog_file_prefixes", self.work),
            ("myhostname", HOSTNAME),
            ("mydomain", DOMAIN),
            ("myorigin", "$mydomain"),
            ("mydestination", ""),
            ("inet_interfaces", "127.0.0.1"),
            # IPv6 too when the machine has it: XCLIENT can then present
            # IPv6 clients (Postfix refuses addresses of a disabled family).
            ("inet_protocols", "all" if self.ipv6 else "ipv4"),
            # Nobody is trusted by address: mail from 127.0.0.1 (the load) is
            # checked like any other; XCLIENT sets the client of the others.
            ("mynetworks", ""),
            ("smtpd_authorized_xclient_hosts", "127.0.0.1"),
            ("smtpd_banner", "$myhostname ESMTP Postfix (postdmarc lab)"),
            ("biff", "no"),
            ("alias_maps", ""),
            ("alias_database", ""),
            ("local_recipient_maps", ""),
            ("virtual_mailbox_domains", DOMAIN),
            ("virtual_mailbox_maps", "inline:{ %s }" % boxes),
            ("virtual_transport", "dovecot"),
            ("dovecot_destination_recipient_limit", "1"),
            # No mail leaves the machine, and Postfix asks no DNS server.
            ("default_transport", "error:the postdmarc lab delivers nothing off-host"),
            ("relay_transport", "error:the postdmarc lab delivers nothing off-host"),
            ("smtp_dns_support_level", "disabled"),
            ("lmtp_dns_support_level", "disabled"),
            ("smtp_host_lookup", "native"),
            ("smtpd_peername_lookup", "no"),
            ("delay_warning_time", "0"),
            ("smtputf8_enable", "no"),
            # The test world waits for nobody.
            ("in_flow_delay", "0"),
            ("smtpd_error_sleep_time", "0"),
            ("smtpd_soft_error_limit", "1000"),
            ("smtpd_hard_error_limit", "1000"),
            ("smtpd_client_connection_rate_limit", "0"),
            ("queue_run_delay", "300s"),
            ("minimal_backoff_time", "300s"),
            ("maximal_backoff_time", "300s"),
        ]
        # Sanitizer builds (make check SANITIZE=1): the filter, run by pipe(8),
        # gets the sanitizer options of the test run like every other program.
        san = [v for v in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS") if v in os.environ]
        if san:
            dflt = run(["postconf", "-dh", "import_environment"]).stdout.strip()
            main.append(("import_environment", dflt + " " + " ".join(san)))
        # main_extra: replaces a setting of the same name, or is added.
        for name, value in self.main_extra:
            main = [(n, v) for n, v in main if n != name] + [(name, value)]
        sample_main = read_main_sample(
            os.path.join(self.top, "etc", "postfix-main.cf"), policy)
        with open(os.path.join(self.confdir, "main.cf"), "w") as f:
            f.write("# The postdmarc lab's own settings (tests/lib/postfixlab.py)\n")
            for n, v in main:
                f.write("%s = %s\n" % (n, v))
            f.write("\n# etc/postfix-main.cf, policy server on port %d\n" %
                    self.policy_port)
            for n, v in sample_main:
                f.write("%s = %s\n" % (n, v))
        with open(os.path.join(self.confdir, "master.cf"), "w") as f:
            f.write(self._master_cf())
        p = run(["postconf", "-c", self.confdir, "-n"], check=False)
        if "warning" in p.stderr or p.returncode != 0:
            raise LabError("postconf: " + p.stderr.strip())

    def _master_cf(self):
        """The instance's services, then the sample's two entries."""
        base = """# The postdmarc lab's services (tests/lib/postfixlab.py)
pickup    unix  n       -       n       1       1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
dovecot   unix  -       n       n       -       -       pipe
  flags=DRhu user=%(user)s argv=%(lda)s -c %(dconf)s -f ${sender} -a ${original_recipient}
    -o mail_location=maildir:%(mail)s/${user}
""" % {"user": PIPE_USER, "lda": DOVECOT_LDA, "dconf": self.dovecot_conf,
            "mail": self.maildir}
        out = [base, "\n# etc/postfix-master.cf\n"]
        for entry in read_master_sample(os.path.join(self.top, "etc", "postfix-master.cf")):
            first = entry[0].split()
            if first[:2] == ["smtp", "inet"]:
                # The SMTP service on the lab's loopback port.
                entry[0] = entry[0].replace("smtp", "127.0.0.1:%d" % self.smtp_port, 1)
            text = "\n".join(entry)
            text = text.replace(SAMPLE_FILTER, "%s -c %s" % (
                self.bin("postdmarc-pipefilter"), self.conf))
            out.append(text + "\n")
        return "".join(out)

    def _start_postfix(self):
        """postfix start, on a free port (another one if that was taken)."""
        for attempt in range(3):
            self._postfix_conf()
            p = run(["postfix", "-c", self.confdir, "start"], check=False)
            if p.returncode != 0:
                raise LabError("postfix -c %s start: %s" % (self.confdir, p.stderr.strip()))
            self.postfix_up = True
            if wait_port(self.smtp_port, timeout=20) and run(
                    ["postfix", "-c", self.confdir, "status"], check=False).returncode == 0:
                return
            run(["postfix", "-c", self.confdir, "abort"], check=False)
            self.postfix_up = False
        raise LabError("Postfix does not listen on 127.0.0.1:%d: %s" % (
            self.smtp_port, self._tail(self.maillog_path)))

    # -- helpers ------------------------------------------------------------

    def bin(self, name):
        return os.path.join(self.build, "bin", name)

    def _tail(self, path, n=20):
        return "".join(line + "\n" for line in read(path).splitlines()[-n:])

    def maillog(self):
        return read(self.maillog_path)

    def pdlog(self):
        return read(self.pdlog_path)

    def postqueue(self, *args):
        return run(["postqueue", "-c", self.confdir] + list(args), check=False).stdout

    def queue(self):
        """The queue as postqueue -j sees it: one dict per message."""
        return [json.loads(l) for l in self.postqueue("-j").splitlines() if l.strip()]

    def queue_empty(self):
        return "Mail queue is empty" in self.postqueue("-p")

    def flush(self):
        run(["postqueue", "-c", self.confdir, "-f"])

    def postsuper(self, *args):
        return run(["postsuper", "-c", self.confdir] + list(args), check=False)

    def sink(self, name="sink"):
        """smtp-sink on a free port, dumping each message into a directory."""
        d = os.path.join(self.work, name)
        os.makedirs(d, exist_ok=True)
        os.chown(d, self.user.pw_uid, self.user.pw_gid)
        for attempt in range(3):
            port = free_port()
            proc = subprocess.Popen(["smtp-sink", "-u", PIPE_USER, "-h", "sink.example.org",
                                     "-d", os.path.join(d, "%H%M%S."),
                                     "127.0.0.1:%d" % port, "20"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.sinks.append(proc)
            if wait_port(port, timeout=15, proc=proc) and proc.poll() is None:
                return port, d
        raise LabError("smtp-sink did not start")

    # -- mail -----------------------------------------------------------------

    def send(self, mail_from, rcpts, msg, addr=None, helo="client.example.net",
             name=None):
        """One SMTP transaction, as a sending server sees it.

        addr, helo, name: the client that Postfix is told it talks to
        (XCLIENT); without addr, 127.0.0.1 itself.  msg: bytes, CRLF line
        endings.  Returns a Sent: every reply, and the queue id."""
        return Sent(self.smtp_port, mail_from, rcpts, msg, addr, helo, name)

    def find(self, msgid):
        """Where a message was delivered: [(mailbox, folder, path)]."""
        hits = []
        needle = ("Message-ID: " + msgid).lower().encode()
        for user in sorted(os.listdir(self.maildir)):
            base = os.path.join(self.maildir, user)
            folders = [("INBOX", base)]
            if os.path.isdir(base):
                folders += [(d[1:], os.path.join(base, d)) for d in sorted(os.listdir(base))
                            if d.startswith(".") and os.path.isdir(os.path.join(base, d))]
            for folder, path in folders:
                for sub in ("new", "cur"):
                    p = os.path.join(path, sub)
                    if not os.path.isdir(p):
                        continue
                    for fn in os.listdir(p):
                        fp = os.path.join(p, fn)
                        with open(fp, "rb") as f:
                            if needle in f.read().lower():
                                hits.append((user, folder, fp))
        return hits

    def count(self, user, folder="INBOX"):
        base = os.path.join(self.maildir, user)
        if folder != "INBOX":
            base = os.path.join(base, "." + folder)
        return sum(len(os.listdir(os.path.join(base, s))) for s in ("new", "cur")
                   if os.path.isdir(os.path.join(base, s)))

    def filter_line(self, qid):
        """The filter's one log line for a queue id, or None."""
        for line in self.pdlog().splitlines():
            if "postdmarc-pipefilter[" in line and (": %s: from=" % qid) in line:
                return line
        return None

    def qlog(self, qid):
        """Postfix's log lines for a queue id."""
        return [l for l in self.maillog().splitlines() if (" %s: " % qid) in l]

    def reinjected_as(self, msgid):
        """Queue ids whose cleanup saw this Message-ID, in log order."""
        out = []
        for l in self.maillog().splitlines():
            m = re.search(r" ([0-9A-Za-z]{6,}): message-id=(\S+)", l)
            if m and m.group(2) == msgid and m.group(1) not in out:
                out.append(m.group(1))
        return out

    def settled(self, qid):
        """True once Postfix removed the queue file of qid."""
        return any(l.endswith("%s: removed" % qid) for l in self.qlog(qid))

    # -- stop -----------------------------------------------------------------

    def stop(self):
        """Stop everything the lab started; safe to call more than once."""
        errors = []
        if self.postfix_up:
            p = run(["postfix", "-c", self.confdir, "stop"], check=False)
            if p.returncode != 0:
                errors.append("postfix stop: " + p.stderr.strip())
            pidfile = os.path.join(self.queuedir, "pid", "master.pid")
            # master exits once its children did: wait for it, not just
            # for the signal.
            if not wait_for(lambda: not os.path.exists(pidfile)
                            or run(["postfix", "-c", self.confdir, "status"],
                                   check=False).returncode != 0, 20):
                run(["postfix", "-c", self.confdir, "abort"], check=False)
            self.postfix_up = False
        if self.policyd is not None and self.policyd.poll() is None:
            self.policyd.terminate()
            try:
                self.policyd.wait(10)
            except subprocess.TimeoutExpired:
                self.policyd.kill()
                self.policyd.wait()
        if self.filterd is not None and self.filterd.poll() is None:
            self.filterd.terminate()
            try:
                if self.filterd.wait(30) != 0:
                    errors.append("postdmarc-filterd exited %d" % self.filterd.returncode)
            except subprocess.TimeoutExpired:
                self.filterd.kill()
                self.filterd.wait()
                errors.append("postdmarc-filterd did not stop within 30 s")
        for name in ("policyd", "filterd"):
            try:
                os.unlink(os.path.join(self.labdir, name + ".pid"))
            except OSError:
                pass
        for proc in self.sinks:
            if proc.poll() is None:
                proc.terminate()
                proc.wait()
        self.sinks = []
        if self._lock:
            self._lock.close()
            self._lock = None
        return errors


class Sent:
    """One SMTP transaction and what the server answered at each step."""

    def __init__(self, port, mail_from, rcpts, msg, addr, helo, name):
        self.replies = []
        self.queue_id = None
        self.accepted = []
        self.final = None           # (code, text) of the last reply that counts
        s = smtplib.SMTP("127.0.0.1", port, local_hostname="lab-client", timeout=120)
        try:
            s.ehlo("lab-client")
            if addr:
                xc = "ADDR=%s HELO=%s NAME=%s" % (addr, helo, name or "[UNAVAILABLE]")
                code, text = s.docmd("XCLIENT", xc)
                self._log("XCLIENT " + xc, code, text)
                if code != 220:
                    return
            code, text = s.ehlo(helo)
            self._log("EHLO " + helo, code, text.split(b"\n")[0])
            code, text = s.docmd("MAIL FROM:<%s>" % mail_from)
            self._log("MAIL FROM:<%s>" % mail_from, code, text)
            if code != 250:
                return
            for r in rcpts:
                code, text = s.docmd("RCPT TO:<%s>" % r)
                self._log("RCPT TO:<%s>" % r, code, text)
                if code == 250:
                    self.accepted.append(r)
            if not self.accepted:
                return
            code, text = s.docmd("DATA")
            if code != 354:
                self._log("DATA", code, text)
                return
            q = re.sub(rb"(?m)^\.", b"..", msg)
            if not q.endswith(b"\r\n"):
                q += b"\r\n"
            s.send(q + b".\r\n")
            code, text = s.getreply()
            self._log("DATA (end)", code, text)
            m = re.search(r"queued as ([0-9A-Za-z]+)", self.final[1])
            if code == 250 and m:
                self.queue_id = m.group(1)
        finally:
            try:
                s.quit()
            except smtplib.SMTPException:
                s.close()

    def _log(self, cmd, code, text):
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        self.replies.append((cmd, code, text.replace("\n", " ")))
        self.final = (code, text.replace("\n", " "))

    def reply(self, cmd_prefix):
        """The (code, text) answering the first command starting so."""
        for cmd, code, text in self.replies:
            if cmd.startswith(cmd_prefix):
                return code, text
        return None, None


def dns_pause(dns_dir, on=True):
    """Make the test DNS server (tests/lib/dns-server in dns_dir) stop
    answering (SIGSTOP: queries time out), or answer again (SIGCONT)."""
    with open(os.path.join(dns_dir, "unbound.pid")) as f:
        os.kill(int(f.read().strip()), signal.SIGSTOP if on else signal.SIGCONT)


def parse_message(path):
    with open(path, "rb") as f:
        return email.message_from_binary_file(f, policy=email.policy.compat32)


def report_attachments(sink_dir):
    """(file, [(filename, bytes)]) per message the smtp-sink received."""
    out = []
    for fn in sorted(os.listdir(sink_dir)):
        path = os.path.join(sink_dir, fn)
        if os.path.isdir(path):
            for fn2 in sorted(os.listdir(path)):
                out.append(os.path.join(path, fn2))
        else:
            out.append(path)
    result = []
    for path in out:
        with open(path, "rb") as f:
            raw = f.read()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = []
        for part in msg.walk():
            fname = part.get_filename()
            if fname:
                parts.append((fname, part.get_payload(decode=True)))
        result.append((path, msg, parts))
    return result


# --- messages ----------------------------------------------------------------

_seq = [0]


def message(frm, subject, to="Bob <bob@example.org>", body=None, extra=b"", tag="lab"):
    """(Message-ID, message bytes with CRLF line endings)."""
    _seq[0] += 1
    msgid = "<%s-%d-%d@%s>" % (tag, os.getpid(), _seq[0], frm.rsplit("@", 1)[-1].rstrip(">"))
    head = ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: %s\r\n" % (
        frm, to, subject, email.utils.formatdate(), msgid)).encode() + extra
    body = body or b"Hello,\r\n\r\nthis message crossed the postdmarc lab.\r\n"
    return msgid, head + b"\r\n" + body


def dkim_sign(msg, domain, keyfile, selector="rsa2048"):
    """msg with a DKIM-Signature by python3-dkim (relaxed/relaxed) on top."""
    import dkim
    with open(keyfile, "rb") as f:
        key = f.read()
    sig = dkim.sign(msg, selector.encode(), domain.encode(), key,
                    canonicalize=(b"relaxed", b"relaxed"),
                    include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    return sig + msg
