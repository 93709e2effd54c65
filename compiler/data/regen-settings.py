#!/usr/bin/env python3
"""Regenerates compiler/data/settings-2.3.tsv and settings-2.4.tsv: one row per setting of each Dovecot version.

    python3 compiler/data/regen-settings.py            # rewrites the two tables
    python3 compiler/data/regen-settings.py --check    # exit 1 when they differ from what doveconf says (a test)

Facts come from each version's own doveconf: 2.3.19.1 (Debian 12's dovecot-core, installed) and 2.4.1 (Debian 13's,
run by tools/dovecot24 without installing it).

- 2.3: `doveconf -a` of an empty config gives every global setting with its default; a config with one service and
  one listener of each kind gives the service and listener settings with theirs. Settings 2.3 knows but `doveconf -a`
  hides (HIDDEN_23, from its sources) are added.
- 2.4: `doveconf -d` of Debian 13's stock config gives every top-level setting (the flat 2.4 names, boollists and
  named filters included) with its default, except a few it prints only when a config sets them (`base_dir`,
  `state_dir`, ...): each 2.3 name 2.4's table lacks is set in a config of its own, and the ones 2.4's `doveconf -n`
  does not call unknown are added with 2.3's default; `service_*`, `unix_listener_*`, `fifo_listener_*` and `inet_listener_*`
  are also the settings of those blocks (2.4's short names inside a block). RENAMED_24 says which 2.3 setting a 2.4
  setting replaces.
- type: inferred from the default (`yes`/`no`, a time, a size, an octal mode, a number), from the other version's
  default when one is empty or `0`, else text; then each global setting is set to `x` in a config of its own, and
  the type the error names (number, size, interval, boolean, port, string list) wins; a setting that takes `x`,
  or refuses it as no value of its enum, is text. A 2.4 list that refuses `x"` ("'\"' in the middle of a string") is
  read as a boollist: `boollist` (a word list: the `-boollist` flag).
- doc: the comment above the setting in 2.3's stock `conf.d/` (the first sentence), where there is one.

Columns: scope, name, type, default, replaces (2.4: the 2.3 name; `<` when 2.3's value was `<file`), doc.
svcc's own settings, and what a tailored binary does with each Dovecot setting, are in svcc-settings.tsv (by hand).
"""
import concurrent.futures
import glob
import os
import re
import subprocess
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "..", "tools", "dovecot24")

# Settings Dovecot 2.3 accepts that `doveconf -a` does not print (its sources' hidden settings, Pigeonhole's
# managesieve settings).
HIDDEN_23 = """imap_urlauth_stream_user imap_urlauth_submit_user mail_cache_max_size mail_cache_min_mail_count
mail_cache_purge_continued_percentage mail_cache_purge_delete_percentage mail_cache_purge_header_continue_count
mail_cache_purge_min_size mail_cache_record_max_size mail_cache_unaccessed_field_drop mail_index_log2_max_age
mail_index_log_rotate_max_size mail_index_log_rotate_min_age mail_index_log_rotate_min_size
mail_index_rewrite_max_log_bytes mail_index_rewrite_min_log_bytes managesieve_client_workarounds
managesieve_implementation_string managesieve_logout_format managesieve_max_compile_errors
managesieve_max_line_length managesieve_notify_capability managesieve_sieve_capability
submission_backend_capabilities doveadm_proxy_port""".split()

# Settings Dovecot 2.4 accepts that `doveconf -d` does not print: each identifier in the strings of its doveconf,
# config, libdovecot and libdovecot-storage binaries, set empty in a config of its own, that doveconf does not call
# unknown (and is no named filter). Each is typed by the error its empty value gets.
HIDDEN_24 = """dns_client_socket_path doveadm_proxy_port http_client_auto_redirect http_client_auto_retry
http_client_dns_ttl http_client_user_agent http_server_default_host imap_compress_on_proxy mail_alt_check
mail_cache_max_headers_count mail_cache_max_size mail_cache_min_mail_count mail_cache_path mail_cache_purge_min_size
mail_cache_record_max_size mail_ext_attachment_hash mail_index_log2_max_age mail_index_log_rotate_max_size
mail_index_log_rotate_min_age mail_index_log_rotate_min_size mailbox_list_drop_noselect mailbox_list_utf8
mailbox_list_validate_fs_names mailbox_root_directory_name mailbox_subscriptions_filename
mail_cache_purge_delete_percentage http_client_connect_backoff_time http_client_connect_backoff_max_time""".split()

# (scope, 2.3 name, 2.4 name, 2.3 reads `<file` where 2.4 takes the path): the renames of the settings svcc models
# (Dovecot's "Upgrading 2.3 to 2.4" and 2.4's settings sources).
RENAMED_24 = [
    ("service", "service_count", "restart_request_count", False),
    ("service", "idle_kill", "idle_kill_interval", False),
    ("inet_listener", "address", "listen", False),
    ("global", "default_idle_kill", "default_idle_kill_interval", False),
    ("global", "ssl_cert", "ssl_server_cert_file", True),
    ("global", "ssl_key", "ssl_server_key_file", True),
    ("global", "ssl_ca", "ssl_server_ca_file", True),
    ("global", "ssl_dh", "ssl_server_dh_file", True),
    ("global", "ssl_alt_cert", "ssl_server_alt_cert_file", True),
    ("global", "ssl_alt_key", "ssl_server_alt_key_file", True),
    ("global", "ssl_key_password", "ssl_server_key_password", False),
    ("global", "ssl_verify_client_cert", "ssl_server_request_client_cert", False),
    ("global", "ssl_cert_username_field", "ssl_server_cert_username_field", False),
]

BLOCKS = ["service", "unix_listener", "fifo_listener", "inet_listener"]

# Settings whose words Dovecot's settings checks read from a table of their own (not an enum the parser checks):
# (version, name) -> (words, exact case). A word ending in `=` or `:` starts the word (`content-type=text/html`,
# `throttle:50:16000:500`). From Dovecot's sources (imap-settings.c, pop3-settings.c, lmtp-settings.c,
# submission-settings.c, doveadm-settings.c, imapc-settings.c, pop3c-settings.c, the ssl settings,
# mail-storage-settings.c); main() checks each word against that version's doveconf.
WORKAROUNDS = {
    "imap_client_workarounds": "delay-newmail tb-extra-mailbox-sep tb-lsub-flags",
    "pop3_client_workarounds": "outlook-no-nuls oe-ns-eoh",
    "lmtp_client_workarounds": "whitespace-before-path mailbox-for-path",
    "submission_client_workarounds": "whitespace-before-path mailbox-for-path implicit-auth-external exotic-backend",
    "pop3c_features": "no-pipelining",
}
ATTACHMENT_OPTIONS = "add-flags add-flags-on-save no-flags-on-fetch exclude-inlined content-type="
# (version, scope, name) -> (words, flags): `exact` (case counts), `spaces` (only spaces separate words, not commas).
WORDS = {("2.3", "global", n): (w, "") for n, w in WORKAROUNDS.items()}
WORDS |= {("2.4", "global", n): (w, "") for n, w in WORKAROUNDS.items()}
WORDS |= {
    ("2.3", "global", "dsync_features"): ("empty-header-workaround", ""),
    ("2.4", "global", "dsync_features"): ("empty-header-workaround no-header-hashes", ""),
    ("2.3", "global", "imapc_features"): (
        "rfc822.size guid-forced fetch-headers gmail-migration search zimbra-workarounds no-examine proxyauth "
        "fetch-msn-workarounds fetch-fix-broken-mails modseq delay-login fetch-bodystructure send-id "
        "fetch-empty-is-expunged no-msn-updates acl throttle:", ""),
    ("2.4", "global", "imapc_features"): (
        "no-fetch-size guid-forced no-fetch-headers gmail-migration no-search zimbra-workarounds no-examine proxyauth "
        "fetch-msn-workarounds fetch-fix-broken-mails no-modseq no-delay-login no-fetch-bodystructure send-id "
        "fetch-empty-is-expunged no-msn-updates no-acl no-metadata no-qresync throttle:", ""),
    ("2.3", "global", "ssl_options"): ("compression no_compression no_ticket", ""),
    ("2.4", "global", "ssl_options"): ("compression no_ticket", ""),
    # 2.3 splits on spaces only; 2.4 reads a boollist.
    ("2.3", "global", "mail_attachment_detection_options"): (ATTACHMENT_OPTIONS, "-exact-spaces"),
    ("2.4", "global", "mail_attachment_detection_options"): (ATTACHMENT_OPTIONS, "-exact"),
    # 2.4's mail_log plugin reads its fields and events from tables of its own (mail-log-plugin.c; `append` is
    # `save`).
    ("2.4", "global", "mail_log_fields"): ("uid box msgid size vsize flags from subject", "-exact"),
    ("2.4", "global", "mail_log_events"): (
        "delete undelete expunge save copy mailbox_create mailbox_delete mailbox_rename flag_change append", "-exact"),
    # 2.3's mailbox settings check (2.4 only warns of another word).
    ("2.3", "mailbox", "special_use"): ("\\All \\Archive \\Drafts \\Flagged \\Important \\Junk \\Sent \\Trash",
                                        "-spaces"),
}
# One word, compared exactly, from a table the settings check reads (lib-master/syslog-util.c): an enum.
SYSLOG_FACILITIES = "mail auth authpriv cron daemon ftp kern lpr news syslog uucp user " + " ".join(
    f"local{i}" for i in range(8))

# 2.3's other sections with settings of their own, each with the smallest config around one of its settings that
# doveconf takes: (scope, text before the setting, text after it). 2.4 has none: its named filters hold top-level
# settings (`namespace_type`).
# Settings Dovecot reads as an event filter (`log_debug = category=auth`), whose syntax its checks refuse: typed
# `filter` where doveconf takes `event=x` and refuses `(` (2.4's top-level `metric_filter` is checked only inside a
# `metric`, so it stays text).
EVENT_FILTERS = {("global", "log_debug"), ("global", "log_core_filter"), ("global", "process_shutdown_filter"),
                 ("metric", "filter"), ("global", "metric_filter")}

SECTIONS_23 = [
    ("namespace", "namespace x {\n", "}\n"),
    ("mailbox", "namespace x {\n mailbox y {\n", " }\n}\n"),
    ("passdb", "passdb {\n driver = pam\n", "}\n"),
    ("userdb", "userdb {\n driver = passwd\n", "}\n"),
    ("metric", "metric m {\n filter = event=x\n", "}\n"),
    ("event_exporter", "event_exporter e {\n format = none\n transport = log\n", "}\n"),
]


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def top_level(text, until_service=False):
    """(name, default, is_section) of depth-0 settings, in order, and the blocks' settings by scope; 2.4's
    `doveconf -d` prints its built-in services and then named filters, whose names are not settings (until_service)."""
    glob_, blocks, depth, path, services = [], {b: {} for b in BLOCKS}, 0, [], False
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        s = line.strip()
        if s == "}":
            depth -= 1
            path.pop()
            continue
        if s.endswith("{"):
            head = s[:-1].split()
            services = services or (until_service and depth == 0 and head[0] == "service")
            if depth == 0 and len(head) == 1 and not services:
                glob_.append((head[0], "", True))
            depth += 1
            path.append(" ".join(head))
            continue
        m = re.match(r"^([A-Za-z0-9_]+) = ?(.*)$", s)
        if not m:
            continue
        if depth == 0 and not services:
            glob_.append((m.group(1), m.group(2), False))
        elif path and path[0] == "service x" and path[-1].split()[0] in blocks:
            blocks[path[-1].split()[0]][m.group(1)] = m.group(2)
    return glob_, blocks


def section_settings(text):
    """The settings of 2.3's sections in `doveconf -a` (SECTIONS_23's config) by scope, with their defaults."""
    out = {scope: {} for scope, _, _ in SECTIONS_23}
    path = []
    for line in text.splitlines():
        s = line.strip()
        if line.startswith("#") or not s:
            continue
        if s.endswith("{"):
            path.append(s.split()[0])
        elif s == "}":
            path.pop()
        elif path and path[-1] in out and (m := re.match(r"^([A-Za-z0-9_]+) = ?(.*)$", s)):
            # (A mailbox is one only inside a namespace.)
            if path[-1] != "mailbox" or path[:1] == ["namespace"]:
                out[path[-1]][m.group(1)] = m.group(2)
    return out


TIME = re.compile(r"^\d+ ?(ms|msecs?|s|secs?|m|mins?|h|hours?|d|days?|w|weeks?)$")
SIZE = re.compile(r"^\d+ ?[BkKMGT]$")


def infer(name, default):
    d = default.strip()
    if d in ("yes", "no"):
        return "bool"
    if d == "infinite" or TIME.match(d):
        return "time"
    if SIZE.match(d):
        return "size"
    if re.match(r"^0[0-7]{3}$", d) and name.endswith("mode"):
        return "mode"
    if name == "port" and d.isdigit():
        return "port"
    if d.isdigit() or d == "unlimited":
        return "size" if name.endswith(("_size", "vsz_limit")) else "uint"
    return ""


def first_sentence(text):
    for m in re.finditer(r"[.!?](\s|$)", text):
        words = text[: m.start() + 1].split()
        if words and words[-1].lower().lstrip("(") in ("e.g.", "i.e.", "ie.", "max.", "eg.", "etc.", "vs."):
            continue
        return text[: m.start() + 1].strip()
    return text.strip()


def docs_23():
    """setting name → first sentence of the comment above it in 2.3's stock conf.d, by scope."""
    out = {}
    files = ["/usr/share/dovecot/dovecot.conf"] + sorted(glob.glob("/usr/share/dovecot/conf.d/*"))
    for f in files:
        try:
            lines = open(f, encoding="utf-8", errors="replace").read().splitlines()
        except OSError:
            continue
        block, path = [], []
        for line in lines:
            s = line.strip()
            m = re.match(r"^#?\s*([a-z0-9_]+)\s*=", s)
            if not s:
                block = []
                continue
            if m:
                # Only top-level comments: in a block they speak of that service.
                if block and not path:
                    text = " ".join(block)
                    text = re.sub(r"<[^>]*>", "", text)
                    sentence = first_sentence(text)
                    # "Workarounds for various client bugs: a: ... b: ..." keeps its lead.
                    if len(sentence) > 120 and ": " in sentence:
                        sentence = sentence.split(": ")[0] + "."
                    if len(sentence) > 200:
                        sentence = sentence[:197].rstrip() + "..."
                    out.setdefault(("global", m.group(1)), sentence)
                block = []
                continue
            if s.startswith("#"):
                block.append(s.lstrip("#").strip())
                continue
            block = []
            if s.endswith("{"):
                path.append(s[:-1].split()[0])
            elif s == "}" and path:
                path.pop()
    return out


def cell(s):
    return s.replace("\t", " ").replace("\n", " ")


def write(path, header, rows, check):
    """Writes a table, or (check) says whether the file already holds it."""
    text = header + "# scope\tname\ttype\tdefault\treplaces\tdoc\n"
    text += "".join("\t".join(cell(c) for c in r) + "\n" for r in rows)
    if check:
        with open(path, encoding="utf-8") as f:
            old = f.read()
        if old != text:
            old_rows, new_rows = set(old.splitlines()), set(text.splitlines())
            for line in sorted(old_rows - new_rows)[:20]:
                print(f"{os.path.basename(path)}: - {line}")
            for line in sorted(new_rows - old_rows)[:20]:
                print(f"{os.path.basename(path)}: + {line}")
            return False
        return True
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return True


def main():
    tmp = tempfile.mkdtemp(prefix="svcc-regen-")
    empty, blocks = os.path.join(tmp, "empty.conf"), os.path.join(tmp, "blocks.conf")
    with open(empty, "w") as f:
        f.write("")
    with open(blocks, "w") as f:
        f.write("service x {\n  unix_listener u {\n  }\n  fifo_listener f {\n  }\n  inet_listener i {\n  }\n}\n")
    g23, _ = top_level(run(["doveconf", "-a", "-c", empty]))
    _, b23 = top_level(run(["doveconf", "-a", "-c", blocks]))
    root = run(["bash", TOOL, "root"]).strip()
    g24, _ = top_level(run(["bash", TOOL, "doveconf", "-d", "-c", root + "/usr/share/dovecot/dovecot.conf"]), True)

    # The first setting of every 2.4 config; doveconf reads it before the others and never prints it.
    if not any(n == "dovecot_config_version" for n, _, _ in g24):
        g24.append(("dovecot_config_version", "", False))
    # Settings 2.4 knows but `doveconf -d` does not print: the 2.3 names it still accepts.
    old_names = {old for _, old, _, _ in RENAMED_24}
    known24 = {n for n, _, _ in g24}
    probes = [(n, d) for n, d, sec in g23 if not sec and n not in known24 and n not in old_names]
    probes += [(n, "") for n in HIDDEN_24 if n not in known24 and n not in {p for p, _ in probes}]

    # The text around a setting of a 2.3 section's, or of a service or listener block.
    wrap = {scope: (before, after) for scope, before, after in SECTIONS_23}
    wrap |= {"service": ("service x {\n", "}\n")}
    wrap |= {b: (f"service x {{\n {b} l {{\n", " }\n}\n") for b in BLOCKS if b != "service"}

    def doveconf_one(name, value, v24, scope):
        """`doveconf -n` of a config that sets `NAME = VALUE` alone (in its block for a block's or a 2.3
        section's scope)."""
        fd, conf = tempfile.mkstemp(suffix=".conf", dir=tmp)
        before, after = wrap.get(scope, ("", ""))
        with os.fdopen(fd, "w") as f:
            head = "dovecot_config_version = 2.4.1\ndovecot_storage_version = 2.4.1\n" if v24 else ""
            f.write(f"{head}{before}{name} = {value}\n{after}")
        cmd = ["bash", TOOL, "doveconf"] if v24 else ["doveconf"]
        return subprocess.run(cmd + ["-n", "-c", conf], capture_output=True, text=True)

    def accepted(item, v24=True, scope="global"):
        """Whether the version knows the setting, and the type its error names for the value."""
        name, default = item
        r = doveconf_one(name, default, v24, scope)
        errors = {"Invalid boolean": "bool", "Invalid number": "uint", "Invalid size": "size",
                  "Invalid time interval": "time", "Invalid port number": "port",
                  "Setting is a string list": "strlist"}
        typed = next((t for e, t in errors.items() if e in r.stderr), None)
        # Refused while the line is read, as no value of an enum (`line 1: [NAME: ]Invalid value: x`).
        if typed is None and re.search(r"line \d+: (\S+: )?Invalid value: ", r.stderr):
            typed = "enum"
        # Taken as it is, or refused as no value of a list its check reads later: text. Refused for another reason:
        # unknown (None).
        if typed is None and (r.returncode == 0 or "Invalid value" in r.stderr):
            typed = "text"
        known = f"Unknown setting: {name}" not in r.stderr if scope == "global" else "Unknown setting" not in r.stderr
        return r.returncode == 0 or known, typed

    def takes(item, v24, scope="global"):
        """Whether doveconf takes `NAME = VALUE` alone."""
        return doveconf_one(item[0], item[1], v24, scope).returncode == 0

    probed = {}
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for (n, d), (ok, t) in zip(probes, pool.map(accepted, probes)):
            if ok:
                g24.append((n, d, False))
                if t:
                    probed[n] = t
    d24 = {n: d for n, d, _ in g24}
    b24 = {b: {} for b in BLOCKS}
    for n, d, sec in g24:
        for b in BLOCKS:
            if not sec and n.startswith(b + "_"):
                b24[b][n[len(b) + 1:]] = d
    # 2.4 lists an inet listener's address as the global `listen`, set in the listener's filter.
    b24["inet_listener"].setdefault("listen", d24.get("listen", ""))
    renamed = {(s, new): (old, f) for s, old, new, f in RENAMED_24}
    back = {(s, old): new for s, old, new, _ in RENAMED_24}
    docs = docs_23()

    def typ(scope, name, default, other):
        t = infer(name, default)
        if t in ("", "uint") and other is not None:
            t = infer(name, other) or t
        return t or "text"

    rows23 = []
    d23 = {n: d for n, d, _ in g23}
    # A hidden 2.3 setting has no default to type it by: its error for an empty value names the type.
    hidden23 = [n for n in HIDDEN_23 if n not in d23]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        typed23 = dict(zip(hidden23, (t for _, t in pool.map(lambda n: accepted((n, ""), False), hidden23))))
    for n, d, sec in sorted(g23) + [(n, "", False) for n in hidden23]:
        if sec:
            continue
        other = d24.get(back.get(("global", n), n))
        t = typed23.get(n) or typ("global", n, d, other)
        rows23.append(("global", n, t, d, "", docs.get(("global", n), "")))
    for b in BLOCKS:
        for n, d in sorted(b23[b].items()):
            other = b24[b].get(back.get((b, n), n))
            rows23.append((b, n, typ(b, n, d, other), d, "", docs.get((b, n), "")))
    # 2.3's sections: `doveconf -a` of a config with one of each prints their settings; the 2.4 settings of the
    # same filter (`namespace_alias_for`) that 2.3 takes in the section are the ones it hides.
    sections = os.path.join(tmp, "sections.conf")
    with open(sections, "w") as f:
        f.write("".join(before + after for _, before, after in SECTIONS_23))
    s23 = section_settings(run(["doveconf", "-a", "-c", sections]))
    # What the config set is no default (all of them are empty).
    for scope, before, _ in SECTIONS_23:
        for m in re.finditer(r"^ *([a-z_]+) = ", before, re.M):
            if m.group(1) in s23[scope]:
                s23[scope][m.group(1)] = ""
    for scope, _, _ in SECTIONS_23:
        hidden = sorted({n[len(scope) + 1:] for n in d24 if n.startswith(scope + "_")} - set(s23[scope]))
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            found = list(pool.map(lambda n: accepted((n, ""), False, scope), hidden))
        for n, (ok, _) in zip(hidden, found):
            if ok:
                s23[scope][n] = ""
        for n, d in sorted(s23[scope].items()):
            rows23.append((scope, n, typ(scope, n, d, d24.get(f"{scope}_{n}")), d, "", ""))
    rows23.sort(key=lambda r: (r[0] != "global", r[0], r[1]))

    rows24 = []
    for n, d, sec in sorted(set(g24)):
        old, f = renamed.get(("global", n), (None, False))
        rep = (old + (" <" if f else "")) if old else ""
        t = "section" if sec else probed.get(n) or typ("global", n, d, d23.get(old or n))
        rows24.append(("global", n, t, d, rep, docs.get(("global", old or n), "")))
    for b in BLOCKS:
        for n, d in sorted(b24[b].items()):
            old, f = renamed.get((b, n), (None, False))
            rep = (old + (" <" if f else "")) if old else ""
            rows24.append((b, n, typ(b, n, d, b23[b].get(old or n)), d, rep, docs.get((b, old or n), "")))

    # A default types a setting only so far: `0` may be a number, an interval or a size. Each global setting is set to
    # `x` in a config of its own; the error doveconf gives names its type (an accepted `x` is text).
    probed_scopes = ["global"] + [scope for scope, _, _ in SECTIONS_23]

    def probed_types(rows, v24):
        names = [(r[0], r[1]) for r in rows
                 if r[0] in probed_scopes and r[2] in ("uint", "size", "time", "bool", "text", "section")]
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            return dict(zip(names, pool.map(lambda sn: accepted((sn[1], "x"), v24, sn[0])[1], names)))

    # An enum's values: Dovecot keeps each enum's default as the colon-separated list of its values, the default
    # first (`optimized:never:always`), among the strings of its binaries. Every list that starts with the default
    # is a candidate; the values are the candidates' words the setting takes.
    def enum_values(rows, v24):
        prefix = root if v24 else ""
        files = [prefix + "/usr/bin/doveconf"] + glob.glob(prefix + "/usr/lib/dovecot/*.so*")
        files += [f for f in [prefix + "/usr/lib/dovecot/config"] if os.path.exists(f)]
        lists = set()
        for f in files:
            out = subprocess.run(["strings", "-n", "3", f], capture_output=True, text=True).stdout
            lists.update(w for w in out.split("\n") if re.fullmatch(r"[a-z0-9-]*(:[a-z0-9-]+)+", w))
        probes = []
        for r in rows:
            if r[2] == "enum":
                words = {w for lst in lists if lst.split(":")[0] == r[3] for w in lst.split(":")}
                probes += [(r[0], r[1], w) for w in sorted(words)]
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            taken = list(pool.map(lambda p: accepted((p[1], p[2]), v24, p[0])[1] != "enum", probes))
        values = {}
        for (scope, n, w), ok in zip(probes, taken):
            if ok:
                values.setdefault((scope, n), []).append(w)
        return values

    for rows, v24 in ((rows23, False), (rows24, True)):
        types = probed_types(rows, v24)
        for i, r in enumerate(rows):
            if (r[0], r[1]) in types:
                # `x` taken, or refused as no value of an enum: text (`auth_verbose_passwords = no|plain|sha1`);
                # refused for another reason: the inferred type stays. A section stays one unless it is a string
                # list, which `=` cannot set.
                t = types[(r[0], r[1])] or r[2]
                if r[2] == "section":
                    t = "strlist" if t == "strlist" else "section"
                rows[i] = (r[0], r[1], t) + r[3:]
        # A time that takes milliseconds (`1500 ms`; the others: "Milliseconds not supported for this setting") is
        # `msecs`.
        times = [(r[0], r[1]) for r in rows if r[2] == "time" and r[0] in probed_scopes]
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            msecs = {sn for sn, ok in zip(times, pool.map(lambda sn: takes((sn[1], "1500 ms"), v24, sn[0]), times))
                     if ok}
        for i, r in enumerate(rows):
            if (r[0], r[1]) in msecs:
                rows[i] = (r[0], r[1], "msecs") + r[3:]
        # An enum is written `enum:` and its values, the default first (`enum:optimized:never:always`); one whose
        # values the binaries do not hold stays text.
        values = enum_values(rows, v24)
        version = "2.4" if v24 else "2.3"
        # The word lists: every word doveconf takes (a prefix with a sample after it), `x` refused.
        for i, r in enumerate(rows):
            if r[0] == "global" and r[1] == "syslog_facility":
                words = SYSLOG_FACILITIES.split()
                probes = [(r[1], w) for w in words]
                kind = ":".join(["enum"] + words)
            elif (version, r[0], r[1]) in WORDS:
                words, flags = WORDS[(version, r[0], r[1])]
                samples = {"=": "text/plain", ":": "50:16000:500"}
                probes = [(r[1], w + samples.get(w[-1], "")) for w in words.split()]
                kind = f"words{flags}:{words}"
            else:
                continue
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                taken = list(pool.map(lambda p: takes(p, v24, r[0]), probes + [(r[1], "x")]))
            refused = [p[1] for p, t in zip(probes, taken) if not t]
            if refused or taken[-1]:
                sys.exit(f"Dovecot {version}'s {r[1]} refuses {refused} (or takes `x`): fix WORDS in regen-settings.py")
            rows[i] = (r[0], r[1], kind) + r[3:]
        candidates = [i for i, r in enumerate(rows) if (r[0], r[1]) in EVENT_FILTERS and r[2] == "text"]
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            said = list(pool.map(lambda i: (takes((rows[i][1], "event=x"), v24, rows[i][0]),
                                            takes((rows[i][1], "("), v24, rows[i][0])), candidates))
        for i, (good, bad) in zip(candidates, said):
            if good and not bad:
                rows[i] = rows[i][:2] + ("filter",) + rows[i][3:]
        # 2.4 reads a list (`protocols`, `mail_plugins`, most word lists) as a boollist: words separated by blanks
        # or commas, each quoted as need be (`"a b"`), which refuses a quote inside a word (`x"`: "'\"' in the
        # middle of a string"). Such a list is `boollist`, a word list's flags get `-boollist`.
        if v24:
            lists = [(r[0], r[1]) for r in rows if r[2] in ("text", "section") or r[2].startswith("words")]
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                said = list(pool.map(lambda sn: doveconf_one(sn[1], 'x"', v24, sn[0]).stderr, lists))
            boollists = {sn for sn, err in zip(lists, said) if "'\"' in the middle of a string" in err}
            for i, r in enumerate(rows):
                if (r[0], r[1]) not in boollists:
                    continue
                head, colon, words = r[2].partition(":")
                t = f"{head}-boollist:{words}" if colon else "boollist"
                rows[i] = (r[0], r[1], t) + r[3:]
        for i, r in enumerate(rows):
            if r[2] == "enum":
                vs = values.get((r[0], r[1]), [])
                ok = r[3] in vs
                vs = [r[3]] + sorted(v for v in vs if v != r[3])
                rows[i] = (r[0], r[1], ":".join(["enum"] + vs) if ok else "text") + r[3:]

    check = "--check" in sys.argv[1:]
    v23 = run(["doveconf", "-a", "-c", empty]).splitlines()[0].split()[1]
    shutil.rmtree(tmp)
    ok = write(os.path.join(HERE, "settings-2.3.tsv"),
               f"# Dovecot {v23}'s settings, one row each (regen-settings.py; do not edit by hand).\n", rows23, check)
    ok &= write(os.path.join(HERE, "settings-2.4.tsv"),
                "# Dovecot 2.4.1's settings, one row each (regen-settings.py; do not edit by hand).\n", rows24, check)
    if not ok:
        print("the tables differ from doveconf's: run python3 compiler/data/regen-settings.py")
        sys.exit(1)


if __name__ == "__main__":
    main()
