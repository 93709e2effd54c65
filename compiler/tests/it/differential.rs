//! Differential tests against the real Dovecot: generated and mutated
//! configs run through svcc (this crate, in-process) and the matching
//! `doveconf -n -c FILE`; both must give the same verdict, and for accepted
//! configs the same raw service and listener settings.
//!
//! One mechanism for both Dovecot versions: [`Case::generate`] (one
//! generator, seeded), [`run_case`] (one runner: write the files, run
//! `doveconf`, run svcc) and [`compare`] (one comparer). A disagreement
//! where svcc refuses and Dovecot accepts is accepted only when every svcc
//! error is one of [`DELIBERATE`] (the strictness ../shared/DOVECOT.md §E
//! and CONTRACT.md document); anything else fails the test.
//!
//! - `differential_dovecot_23` (on in CI): `SVCC_DIFF_CASES` cases (default
//!   2000) from `SVCC_DIFF_SEED` (default 1) against the system's 2.3
//!   `doveconf`. `--nocapture` prints the figures.
//! - `differential_dovecot_24` (on in CI): the same against 2.4.1 through
//!   `tools/dovecot24`, with 2.4 syntax.
//! - `differential_fixtures`: every case a disagreement once produced,
//!   committed under `tests/data/differential/`, replayed against the
//!   version it is written for.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use svcc_compiler::model::catalogue::{self, Dovecot, Kind, Scope};
use svcc_compiler::model::{ListenerKind, Model, Service};
use svcc_compiler::{HostLimits, Options, Severity};

// ---------------------------------------------------------------- versions

/// The Dovecot version a run targets: its `doveconf`, its syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    V23,
    V24,
}

impl Version {
    fn doveconf(self) -> Command {
        match self {
            Version::V23 => Command::new("doveconf"),
            Version::V24 => {
                let mut c = Command::new("bash");
                c.arg(workspace().join("tools/dovecot24")).arg("doveconf");
                c
            }
        }
    }

    /// The lines every config of this version starts with.
    fn preamble(self) -> &'static str {
        match self {
            Version::V23 => "",
            Version::V24 => "dovecot_config_version = 2.4.1\ndovecot_storage_version = 2.4.1\n",
        }
    }

    /// A setting's name in this version (the generator speaks 2.3).
    fn key(self, k: &'static str) -> &'static str {
        match (self, k) {
            (Version::V24, "service_count") => "restart_request_count",
            (Version::V24, "idle_kill") => "idle_kill_interval",
            (Version::V24, "address") => "listen",
            _ => k,
        }
    }

    /// svcc's name for the version.
    fn dovecot(self) -> Dovecot {
        match self {
            Version::V23 => Dovecot::V23,
            Version::V24 => Dovecot::V24,
        }
    }

    /// The 2.3 name of a setting `doveconf` of this version printed.
    fn canonical(self, k: &str) -> String {
        match (self, k) {
            (Version::V24, "restart_request_count") => "service_count".into(),
            (Version::V24, "idle_kill_interval") => "idle_kill".into(),
            (Version::V24, "listen") => "address".into(),
            _ => k.into(),
        }
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

// ---------------------------------------------------------------- generator

/// splitmix64: small, seedable, good enough to pick fragments.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T: ?Sized>(&mut self, xs: &[&'a T]) -> &'a T {
        xs[self.below(xs.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    /// A value from a `valid…, BAD, invalid…` list: an invalid one 1 in 12.
    fn value<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        let cut = xs.iter().position(|x| *x == BAD).unwrap_or(xs.len());
        if cut < xs.len() && self.below(12) == 0 {
            xs[cut + 1 + self.below(xs.len() - cut - 1)]
        } else {
            xs[self.below(cut)]
        }
    }
}

/// An event filter for `log_debug` and its kin: conditions joined with
/// `AND`, `OR`, `NOT` and parentheses, now and then with something out of
/// place (2.3 lacks 2.4's `/` and `%`; only fields take `<` and `>`).
fn event_filter(r: &mut Rng, depth: u32) -> String {
    const KEYS: &[&str] = &[
        "event",
        "category",
        "user",
        "source_location",
        "\"event\"",
        "a",
        "\"x y\"",
        "and",
    ];
    const OPS: &[&str] = &["=", "=", "=", "<", ">", ">=", "<=", "> =", "=>"];
    const VALUES: &[&str] = &[
        "x",
        "and",
        "\"a b\"",
        "x/y",
        "a%b",
        "5",
        "é",
        "*",
        "x:1",
        "\"a\\\"b\"",
    ];
    const ODD: &[&str] = &["(", ")", "\"", "\\", ",", "not", "OR", "=", "é"];
    let s = match r.below(if depth > 3 { 1 } else { 4 }) {
        0 => {
            let gap = |r: &mut Rng| if r.chance(30) { " " } else { "" };
            let (k, g1, op, g2, v) = (r.pick(KEYS), gap(r), r.pick(OPS), gap(r), r.pick(VALUES));
            format!("{k}{g1}{op}{g2}{v}")
        }
        1 => format!("NOT {}", event_filter(r, depth + 1)),
        2 => format!("({})", event_filter(r, depth + 1)),
        _ => {
            let join = r.pick(&["AND", "or", "Or", "and"]);
            format!(
                "{} {join} {}",
                event_filter(r, depth + 1),
                event_filter(r, depth + 1)
            )
        }
    };
    if depth == 0 && r.chance(20) {
        let at = s
            .char_indices()
            .map(|(i, _)| i)
            .nth(r.below(s.chars().count()))
            .unwrap_or(0);
        return format!("{}{}{}", &s[..at], r.pick(ODD), &s[at..]);
    }
    s
}

// Each list: valid values, then `BAD`, then invalid ones (picked rarely).
const BAD: &str = "\u{0}";
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "5",
    "100",
    "1024",
    "010",
    "4294967295",
    "3 ",
    BAD,
    "4294967296",
    "-1",
    "",
    "5 }",
    "abc",
    "1k",
    "infinite",
    "unlimited",
];
const TIMES: &[&str] = &[
    "0",
    "60s",
    "1 mins",
    "2 hours",
    "1000 ms",
    "1 weeks",
    "3 d",
    "10 secs",
    "4294967295 secs",
    "90 Seconds",
    "1 m",
    BAD,
    "60",
    "5 ms",
    "1.5s",
    "x",
    "infinite",
    "unlimited",
];
const SIZES: &[&str] = &[
    "0",
    "256M",
    "1G",
    "512 K",
    "1KiB",
    "2048",
    "1 m",
    "100k",
    "1Mb",
    "18446744073709551615",
    BAD,
    "1P",
    "1.5M",
    "unlimited",
    "infinite",
];
const BOOLS: &[&str] = &["yes", "no", "y", "1", "YES", "No", BAD, "0", "true", "n"];
const USERS: &[&str] = &[
    "dovecot",
    "\"dovenull\"",
    "''",
    "root",
    "$default_internal_user",
    "'$ENV:USER'",
    "nobody",
];
const SERVICES: &[&str] = &[
    "imap",
    "pop3",
    "lmtp",
    "imap-login",
    "pop3-login",
    "auth",
    "anvil",
    "log",
    "config",
    "dict",
    "indexer-worker",
    "stats",
    "svc1",
    "quota-status",
    "foo",
    "\"svc2\"",
    "'imap'",
    "\"im\\ap\"",
    "\"im\\\"ap\"",
];
const UNIX_PATHS: &[&str] = &[
    "login/imap",
    "svc-a",
    "svc-b",
    "/tmp/svcc-diff-x",
    "auth-client",
];
const INET_NAMES: &[&str] = &["imap", "imaps", "pop3", "x", "y"];
const PROTOCOLS: &[&str] = &["imap", "pop3", "lmtp"];

/// One generated config: files relative to the case directory, the first
/// being the top file.
#[derive(Debug, Clone)]
pub struct Case {
    pub files: Vec<(String, Vec<u8>)>,
}

impl Case {
    /// The case `index` of the stream `seed`, in `version`'s syntax.
    pub fn generate(version: Version, seed: u64, index: u64) -> Case {
        let mut r = Rng(seed.wrapping_mul(0x1000_0000_01b3) ^ index.wrapping_mul(0x9e37_79b9));
        let mut g = Gen {
            v: version,
            r: &mut r,
            incs: Vec::new(),
        };
        let mut text = String::from(version.preamble());
        // Every case names its protocols (Debian's default is none).
        let mut protos: Vec<&str> = PROTOCOLS
            .iter()
            .copied()
            .filter(|_| g.r.chance(60))
            .collect();
        if g.r.chance(5) {
            protos.push("bogus");
        }
        text.push_str(&format!("protocols = {}\n", protos.join(" ")));
        let n = 1 + g.r.below(4);
        for _ in 0..n {
            let frag = g.fragment(0);
            text.push_str(&frag);
        }
        let mut bytes = g.mutate(text.into_bytes());
        if g.r.chance(3) {
            // An encoding problem: a Latin-1 byte in a comment or a value.
            if g.r.chance(50) {
                bytes.extend_from_slice(b"# caf\xe9\n");
            } else {
                bytes.extend_from_slice(b"service svc1 {\n  executable = caf\xe9\n}\n");
            }
        }
        let mut files = vec![("dovecot.conf".to_string(), bytes)];
        files.extend(g.incs.into_iter().map(|(n, t)| (n, t.into_bytes())));
        Case { files }
    }
}

struct Gen<'a> {
    v: Version,
    r: &'a mut Rng,
    incs: Vec<(String, String)>,
}

impl Gen<'_> {
    fn fragment(&mut self, depth: u32) -> String {
        match self.r.below(if depth == 0 { 11 } else { 6 }) {
            0..=3 => self.service(),
            4 => self.global(),
            5 => self.filter(),
            6 | 7 => self.include(depth),
            8 if self.r.chance(40) => self.junk(),
            _ => self.service() + &self.service(),
        }
    }

    fn setting(&mut self, key: &'static str, values: &[&str]) -> String {
        let mut v = self.r.value(values).to_string();
        if self.r.chance(8) {
            v = self.quoting(&v);
        }
        let sep = if self.r.chance(10) { "=" } else { " = " };
        format!("{}{sep}{v}", self.v.key(key))
    }

    /// A value in one of the quoting shapes Dovecot reads its own way: a
    /// quote at both ends (whatever is between), an escape before the
    /// closing quote, a quote that never closes hiding a `#`, a quoted
    /// value continued onto the next line.
    fn quoting(&mut self, v: &str) -> String {
        let shape = self.r.pick(&[
            "\"V\"",
            "'V'",
            "\"V",
            "V\"",
            "\"V\\\"",
            "\"V\" x \"y\"",
            "\"V\"x\"",
            "\"V\" # c",
            "\"V # c",
            "V \"x # c",
            "V 'x#c",
            "\"V\\\\\"",
            "\"V\\q\"",
            "\"",
            "'V\"",
            "\"V\" \\\n  z",
            "\"V \\\n  w\"",
            "\"V\\\" \\ # c\n  \"",
        ]);
        shape.replace('V', v)
    }

    fn service_setting(&mut self) -> String {
        match self.r.below(16) {
            0 => self.setting("process_limit", NUMBERS),
            1 => self.setting("client_limit", NUMBERS),
            2 => self.setting("service_count", NUMBERS),
            3 => self.setting("process_min_avail", NUMBERS),
            4 => self.setting("idle_kill", TIMES),
            5 => self.setting("vsz_limit", SIZES),
            6 => self.setting("drop_priv_before_exec", BOOLS),
            7 => self.setting("user", USERS),
            8 => self.setting("group", USERS),
            9 => self.setting("chroot", &["", "login", ".", "\"\""]),
            10 => self.setting("type", &["", "login", "worker", "anvil", BAD, "bogus"]),
            11 => self.setting("protocol", &["imap", "pop3", "lmtp", "", BAD, "bogus"]),
            12 => self.setting(
                "executable",
                &[
                    "imap",
                    "/bin/true",
                    "foo",
                    "$ENV:HOME",
                    "\"imap -x\"",
                    BAD,
                    "$base_dir/x",
                ],
            ),
            13 if self.r.chance(30) => self.setting("proces_limit", &["5"]),
            13 => self.setting("process_limit", NUMBERS),
            14 => self.setting("extra_groups", &["dovecot", "$default_internal_group"]),
            _ => self.setting(
                "client_limit",
                &["$default_client_limit", BAD, "$process_limit"],
            ),
        }
    }

    fn listener(&mut self) -> String {
        let (kind, name) = match self.r.below(5) {
            0 | 1 => ("unix_listener", self.r.pick(UNIX_PATHS).to_string()),
            2 => ("fifo_listener", self.r.pick(&["f1", "svc-a"]).to_string()),
            3 => ("inet_listener", self.r.pick(INET_NAMES).to_string()),
            _ => ("unix_listener", "\"\"".to_string()),
        };
        let mut body = String::new();
        for _ in 0..self.r.below(3) {
            let s = if kind == "inet_listener" {
                match self.r.below(6) {
                    0 | 1 => self.setting(
                        "port",
                        &[
                            "0", "143", "10143", "10144", "65535", BAD, "65536", "-1", "abc",
                        ],
                    ),
                    2 => self.setting("address", &["127.0.0.1", "", "::1", "*", "127.0.0.1, ::1"]),
                    3 => self.setting("ssl", BOOLS),
                    4 => self.setting("reuse_port", BOOLS),
                    _ => self.setting("haproxy", BOOLS),
                }
            } else {
                match self.r.below(4) {
                    0 | 1 => self.setting(
                        "mode",
                        &[
                            "0600",
                            "0666",
                            "666",
                            "0",
                            "0777",
                            BAD,
                            "0999",
                            "0o600",
                            "01660",
                            "010600",
                            "040000000000",
                            "4294967296",
                        ],
                    ),
                    2 => self.setting("user", USERS),
                    _ => self.setting("group", USERS),
                }
            };
            body.push_str(&format!("    {s}\n"));
        }
        format!("  {kind} {name} {{\n{body}  }}\n")
    }

    fn service(&mut self) -> String {
        let name = self.r.pick(SERVICES);
        let mut body = String::new();
        for _ in 0..self.r.below(5) {
            if self.r.chance(3) {
                // A filter inside a service: never applied.
                let f = self
                    .r
                    .pick(&["protocol imap", "local 127.0.0.1", "remote ::1"]);
                let s = self.service_setting();
                body.push_str(&format!("  {f} {{\n    {s}\n  }}\n"));
            } else if self.r.chance(25) {
                body.push_str(&self.listener());
            } else {
                let s = self.service_setting();
                body.push_str(&format!("  {s}\n"));
            }
        }
        format!("service {name} {{\n{body}}}\n")
    }

    fn global(&mut self) -> String {
        let s = match self.r.below(10) {
            0 => self.setting("default_process_limit", NUMBERS),
            1 => self.setting("default_client_limit", NUMBERS),
            2 => self.setting("default_idle_kill", TIMES),
            3 => self.setting("default_vsz_limit", SIZES),
            4 => self.setting("listen", &["127.0.0.1", "", "*", "*, ::"]),
            5 => {
                self.setting("first_valid_uid", &["500", "10", "0"])
                    + "\n"
                    + &self.setting("last_valid_uid", &["0", "100", "1000"])
            }
            6 => self.setting("mail_debug", BOOLS),
            7 => self.table_setting(),
            8 => return self.section_setting(),
            9 => self.setting(
                "pop3_uidl_format",
                &[
                    "%08Xu%08Xv",
                    "%{uid | hex(8)}%{uidvalidity | hex(8)}",
                    "%v",
                    "%x",
                    "uid",
                    "%{md5}",
                    "%%",
                ],
            ),
            _ => self.setting("bogus_setting", &["1"]),
        };
        s + "\n"
    }

    /// A setting of the version's whole table, misspelt or with a value its
    /// type refuses. (A valid value of a random mail setting could trip
    /// Dovecot's checks of mail settings, which are not svcc's.)
    fn table_setting(&mut self) -> String {
        let rows: Vec<_> = catalogue::catalogue(self.v.dovecot())
            .scope(Scope::Global)
            .filter(|d| !d.name.starts_with("dovecot_") && d.name != "protocols")
            .map(|d| (d.name, d.kind))
            .collect();
        // The few event filters, often: their grammar is svcc's to get right.
        let filters: Vec<_> = rows
            .iter()
            .copied()
            .filter(|r| r.1 == Kind::EventFilter)
            .collect();
        if !filters.is_empty() && self.r.chance(25) {
            return self.wrong_setting(&filters);
        }
        self.wrong_setting(&rows)
    }

    /// One of `rows` (name, type), misspelt or with a value its type
    /// refuses.
    fn wrong_setting(&mut self, rows: &[(&'static str, Kind)]) -> String {
        let (name, kind) = rows[self.r.below(rows.len())];
        // An enum's value with a letter changed or in capitals (Dovecot
        // compares the whole word, case and all).
        let wrong_word = |r: &mut Rng| {
            let words: Vec<&str> = kind.values().filter(|w| !w.is_empty()).collect();
            let w = words[r.below(words.len())];
            if r.chance(50) {
                w.to_ascii_uppercase()
            } else {
                format!("{}x", &w[..w.len() - 1])
            }
        };
        let bad = match kind {
            Kind::Bool => Some("maybe".to_string()),
            Kind::Uint => Some("12x".to_string()),
            Kind::Size => Some("10Q".to_string()),
            Kind::Time => Some(
                if self.r.chance(30) {
                    "1500 ms"
                } else {
                    "5 fortnights"
                }
                .to_string(),
            ),
            Kind::Msecs => Some("5 fortnights".to_string()),
            // Any filter, well-formed or not: doveconf's parser decides.
            Kind::EventFilter => Some(event_filter(self.r, 0)),
            Kind::Enum(_) => Some(wrong_word(self.r)),
            Kind::Words { .. } => Some(format!(
                "{} {}",
                kind.values().next().unwrap_or_default(),
                wrong_word(self.r)
            )),
            _ => None,
        };
        match bad {
            Some(bad) if self.r.chance(50) => format!("{name} = {bad}"),
            _ => {
                let mut name = name.to_string();
                name.remove(self.r.below(name.len()));
                format!("{name} = 1")
            }
        }
    }

    /// A section with settings of its own (2.3's `namespace`, `passdb`,
    /// ...; 2.4's namespace and mailbox filters) holding one of them,
    /// misspelt or with a value its type refuses.
    fn section_setting(&mut self) -> String {
        let (scope, kind, open, close) = match self.r.below(6) {
            0 => (
                Scope::Mailbox,
                "mailbox",
                "namespace inbox {\n  mailbox Drafts {\n",
                "  }\n}\n",
            ),
            1 if self.v == Version::V23 => {
                (Scope::Passdb, "passdb", "passdb {\n  driver = pam\n", "}\n")
            }
            2 if self.v == Version::V23 => (
                Scope::Userdb,
                "userdb",
                "userdb {\n  driver = passwd\n",
                "}\n",
            ),
            3 if self.v == Version::V23 => (
                Scope::Metric,
                "metric",
                "metric m {\n  filter = event=x\n",
                "}\n",
            ),
            _ => (Scope::Namespace, "namespace", "namespace inbox {\n", "}\n"),
        };
        let cat = catalogue::catalogue(self.v.dovecot());
        let rows: Vec<_> = match self.v {
            Version::V23 => cat.scope(scope).map(|d| (d.name, d.kind)).collect(),
            // 2.4: the filter's settings by their short names.
            Version::V24 => cat
                .scope(Scope::Global)
                .filter(|d| {
                    d.name
                        .strip_prefix(kind)
                        .is_some_and(|r| r.starts_with('_'))
                })
                .map(|d| (&d.name[kind.len() + 1..], d.kind))
                .filter(|(n, _)| !n.is_empty())
                .collect(),
        };
        format!("{open}  {}\n{close}", self.wrong_setting(&rows))
    }

    fn filter(&mut self) -> String {
        // A service inside a filter: never applied (2.4 refuses it).
        let inner = if self.r.chance(8) {
            self.service()
        } else if self.r.chance(5) {
            // A filter holds any section: a misspelt one is refused there too.
            "protocl imap {\n  }".to_string()
        } else if self.r.chance(30) {
            self.table_setting()
        } else {
            self.setting("mail_debug", BOOLS)
        };
        match if self.r.chance(70) {
            self.r.below(3) * 2
        } else {
            self.r.below(9)
        } {
            0 => format!("protocol imap {{\n  {inner}\n}}\n"),
            1 => format!("local 127.0.0.1/33 {{\n  {inner}\n}}\n"),
            2 => format!("remote 10.0.0.0/8 {{\n  protocol imap {{\n    {inner}\n  }}\n}}\n"),
            3 => format!("protocol imap {{\n  local 127.0.0.1 {{\n    {inner}\n  }}\n}}\n"),
            4 => format!("local_name mail.example.com {{\n  {inner}\n}}\n"),
            5 => format!("protocol imap {{\n  protocol pop3 {{\n    {inner}\n  }}\n}}\n"),
            6 => format!("local 10.0.0.0/8 {{\n  local 10.1.2.3 {{\n    {inner}\n  }}\n}}\n"),
            7 => format!("local 10.0.0.0/16 {{\n  local 10.0.0.0/8 {{\n    {inner}\n  }}\n}}\n"),
            _ => format!("remote {{\n  {inner}\n}}\n"),
        }
    }

    fn include(&mut self, depth: u32) -> String {
        let name = format!("inc/{}.conf", (b'a' + self.incs.len() as u8) as char);
        let body = if depth < 1 {
            self.fragment(depth + 1)
        } else {
            self.service()
        };
        self.incs.push((name.clone(), body));
        let pat = match if self.r.chance(70) {
            0
        } else {
            self.r.below(6)
        } {
            0 => name,
            1 => "inc/*.conf".into(),
            2 => "inc/{a,b}.conf".into(),
            3 if self.r.chance(20) => String::new(),
            3 => "missing.conf".into(),
            4 => "inc/nothing-*.conf".into(),
            _ => name,
        };
        let kw = if self.r.chance(30) {
            "!include_try"
        } else {
            "!include"
        };
        format!("{kw} {pat}\n").replace(" \n", "\n")
    }

    fn junk(&mut self) -> String {
        let j: &str = self.r.pick(&[
            "# a comment\n",
            "\t \n",
            "service imap {process_limit=5}\n",
            "}\n",
            "service {\n}\n",
            "service imap\n{\n}\n",
            "key value\n",
            "service imap { # open\n  process_limit = 7 # seven\n}\n",
            "service imap {\n  process_limit = 7#x\n}\n",
            "service imap {\n  process_limit = \\\n  7\n}\n",
            "service imap {\n  user = \"a \\\" b\"\n}\n",
            "service \"\" {\n}\n",
            "service \"imap {\n}\n",
            "service imap {\n  process_limit = 5\\\n\n}\n",
            "mail_debug = yes \\\n# why\n",
            // A header, a `}` or a line Dovecot refuses, continued onto a
            // blank line: dropped as a setting is.
            "service imap {\\\n\n  process_limit = 2\n}\n",
            "service imap {\n  process_limit = 2\n}\\\n\nlisten = *\n",
            "service imap {\n  foo\\\n\n}\n",
            "service imap {\n  executable = a\\\n\\\n  b\n}\n",
            "protocols = imap,pop3\n",
            // 2.4 takes a vertical tab or form feed for a blank, 2.3 for text.
            "service\u{c}imap {\n  executable = imap\u{b}\n}\u{c}\n",
            "\u{b}listen =\u{b}*\n",
            "service imap {\n  executable = a\u{b}b\n}\n",
            // Quotes in headers and keys: a quoted name may touch its `{`,
            // a quote that never closes hides the comment, 2.4 unquotes a
            // key or a section type.
            "service \"a b\"{\n}\n",
            "service ' {#c\n}\n",
            "service imap {\n  \"process_limit\" = 3\n}\n",
            "\"service\" pop3 {\n}\n",
            "mail_plugins {\n  \"a b\" = no\n}\n",
            "foo {\n}\n",
            "# caf\u{e9} in UTF-8\n",
        ]);
        j.to_string()
    }

    /// Line-level mutations of a whole text.
    fn mutate(&mut self, bytes: Vec<u8>) -> Vec<u8> {
        let text = String::from_utf8(bytes).unwrap();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let start = usize::from(self.v == Version::V24) * 2 + 1; // keep the preamble and protocols
        let n = if self.r.chance(30) {
            1 + self.r.below(2)
        } else {
            0
        };
        for _ in 0..n {
            if lines.len() <= start {
                break;
            }
            let i = start + self.r.below(lines.len() - start);
            match self.r.below(6) {
                0 => lines[i] = format!("\t{}  ", lines[i]),
                1 => {
                    if lines[i].trim() == "}" {
                        lines.remove(i); // an unclosed brace
                    }
                }
                2 => lines.insert(i, "}".into()),
                3 => {
                    let dup = lines[i].clone();
                    lines.insert(i, dup);
                }
                4 => lines[i] = format!("{} # trailing", lines[i]),
                _ => lines.insert(i, String::new()),
            }
        }
        let mut out = lines.join("\n");
        out.push('\n');
        out.into_bytes()
    }
}

// ---------------------------------------------------------------- runner

/// What one side said about a case.
#[derive(Debug)]
pub struct Verdicts {
    pub dovecot_ok: bool,
    pub dovecot_out: String,
    pub dovecot_err: String,
    pub svcc_errors: Vec<(String, String)>,
    pub model: Model,
}

/// Writes the case under `dir` and runs both sides on it.
pub fn run_case(version: Version, case: &Case, dir: &Path) -> Verdicts {
    for (name, bytes) in &case.files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
    }
    run_dir(version, dir)
}

fn run_dir(version: Version, dir: &Path) -> Verdicts {
    let top = dir.join("dovecot.conf");
    // Dovecot's daemons read the config with variables expanded (`doveconf
    // -x`), whose verdict differs from `-n` where a variable is used: `-n`
    // refuses `process_limit = $default_process_limit`, `-x` refuses an
    // unknown `$name` that `-n` keeps as text.
    let has_var = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .chain(std::fs::read_dir(dir.join("inc")).into_iter().flatten())
        .any(|e| std::fs::read(e.unwrap().path()).is_ok_and(|b| b.contains(&b'$')));
    let mode = if has_var { "-x" } else { "-n" };
    let out = doveconf(version, &[mode, "-c", top.to_str().unwrap()]);
    let opts = Options {
        host: HostLimits {
            somaxconn: Some(1 << 20),
            nofile: Some(1 << 20),
            // As this host's doveconf sees it.
            managesieve: svcc_facts::managesieve_installed(),
            users: Some(passwd_has),
        },
        ..Options::default()
    };
    let checked = svcc_compiler::check_path(top.to_str().unwrap(), &opts).unwrap();
    let svcc_errors = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.code.to_string(), d.message.clone()))
        .collect();
    Verdicts {
        dovecot_ok: out.0,
        dovecot_out: out.1,
        dovecot_err: out.2,
        svcc_errors,
        model: checked.model,
    }
}

/// Whether this host's `/etc/passwd` has a user (the test host's user
/// database, as its doveconf sees it).
fn passwd_has(name: &str) -> bool {
    std::fs::read_to_string("/etc/passwd")
        .is_ok_and(|t| t.lines().any(|l| l.split(':').next() == Some(name)))
}

/// Runs `doveconf ARGS` with a bounded time: (success, stdout, stderr).
fn doveconf(version: Version, args: &[&str]) -> (bool, String, String) {
    let mut child = version
        .doveconf()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("doveconf runs (install dovecot-core)");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let o = child.wait_with_output().unwrap();
    let noise = |l: &&str| !l.contains("Couldn't load plugin");
    let err = String::from_utf8_lossy(&o.stderr);
    let mut err: Vec<&str> = err.lines().filter(noise).collect();
    // (A signal, or the wrapper's 128 + signal: doveconf itself failed,
    // which is no verdict: 2.4.1 crashes on `mail_log_fields` in a
    // `protocol` filter.)
    use std::os::unix::process::ExitStatusExt;
    let crashed = o.status.signal().is_some() || o.status.code().is_some_and(|c| c > 128);
    if crashed {
        err.push(CRASHED);
    }
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        err.join("\n"),
    )
}

/// What [`doveconf`] adds to the errors of a run that crashed.
const CRASHED: &str = "doveconf crashed";

// ---------------------------------------------------------------- comparer

/// svcc refusing what Dovecot accepts, on purpose: (code, category, reason).
pub const DELIBERATE: &[(&str, &str, &str)] = &[
    (
        "svcc::blocking-client-limit",
        "blocking-client-limit",
        "DOVECOT.md §E, not checked by Dovecot: client_limit > 1 on a blocking service",
    ),
    (
        "svcc::unclosed-section",
        "unclosed-section",
        "CONTRACT.md: a section must close in its own file (Dovecot lets it end in another, DOVECOT.md §A)",
    ),
    (
        "svcc::ssl-no-cert",
        "ssl-no-cert",
        "doveconf -n does not look at certificates; the login process fails when it starts without one (issue 12's master start-up category)",
    ),
    (
        "svcc::encoding",
        "encoding",
        "CONTRACT.md: a file must be UTF-8 (Dovecot reads bytes)",
    ),
    (
        "svcc::listener-conflict",
        "listener-overlap",
        "DOVECOT.md §E: doveconf compares inet listeners as `PORT:ADDRESS` strings, so `*:143` and `127.0.0.1:143` (or `143:` and `143:*`) pass and the master fails at bind; svcc compares the addresses they bind",
    ),
];

/// A section inside a listener: Dovecot 2.4 takes it as a filter that
/// configures nothing a listener has; svcc refuses it.
pub const NESTED_LISTENER: (&str, &str, &str) = (
    "svcc::unknown-setting",
    "nested-listener",
    "a section inside a listener: 2.4 accepts it as a filter that sets nothing svcc can run; svcc refuses it (2.3 refuses it too)",
);

/// A service inside a filter, or a filter inside a service, with something
/// in it: never applied as written, so svcc refuses it where Dovecot
/// accepts it (2.3 ignores it; 2.4 reads `service { protocol x { k = v } }`
/// as `protocol = v`).
pub const FILTERED_SERVICE: (&str, &str, &str) = (
    "svcc::invalid-filter",
    "filtered-service",
    "a `service` block inside a filter or a filter inside a service, not empty: Dovecot never applies it as written (2.3 ignores it, 2.4 reads its settings as `protocol` values); svcc refuses it",
);

/// An `!include` of a directory (also a bare `!include`, which Dovecot
/// reads as the config's own directory): Dovecot includes nothing, svcc
/// refuses it.
pub const INCLUDE_DIRECTORY: (&str, &str, &str) = (
    "svcc::include-not-found",
    "include-directory",
    "an `!include` of a directory, or a bare `!include`: Dovecot silently includes nothing; svcc refuses it",
);

/// The settings svcc types and knows: those of service and listener blocks.
const SERVICE_KEYS: &[&str] = &[
    "process_limit",
    "client_limit",
    "service_count",
    "process_min_avail",
    "idle_kill",
    "vsz_limit",
    "drop_priv_before_exec",
    "user",
    "group",
    "chroot",
    "type",
    "protocol",
    "executable",
    "extra_groups",
    "privileged_group",
    "mode",
    "port",
    "address",
    "ssl",
    "reuse_port",
    "haproxy",
];

/// When Dovecot refused a global setting (one svcc does not check), the
/// category to count it under.
fn global_refusal(err: &str) -> Option<String> {
    let msg = err.lines().find(|l| l.contains("Fatal:"))?;
    if msg.contains("Conflict in setting") {
        return Some("conflicting global setting in filters".to_string());
    }
    // `Error in configuration file F line N: Invalid …`: the key on line N.
    let rest = msg.split("Error in configuration file ").nth(1)?;
    let (file, rest) = rest.split_once(" line ")?;
    let (n, what) = rest.split_once(": ")?;
    let line = std::fs::read(file).ok()?;
    let line = String::from_utf8_lossy(&line)
        .lines()
        .nth(n.parse::<usize>().ok()? - 1)?
        .to_string();
    let key = line.split('=').next()?.trim();
    // 2.4 names the setting first: `mail_debug: Invalid boolean value: …`.
    let what = what.strip_prefix(&format!("{key}: ")).unwrap_or(what);
    // svcc reads every value as its row types it (enums included); a text
    // row's value is checked by Dovecot's settings checks, which are not
    // svcc's (`auth_verbose_passwords: Invalid value`).
    let text = [Dovecot::V23, Dovecot::V24].iter().any(|&v| {
        catalogue::catalogue(v)
            .get(Scope::Global, key)
            .is_some_and(|d| d.kind == Kind::Text)
    });
    (!SERVICE_KEYS.contains(&key) && text && what.starts_with("Invalid"))
        .then(|| "invalid value of a text global setting".to_string())
}

/// The deliberate category of one svcc error Dovecot does not give, if any.
fn deliberate(model: &Model, code: &str, msg: &str) -> Option<&'static str> {
    let disabled = model.services.iter().any(|s| {
        !s.enabled(&model.globals)
            && !s.protocol.value.is_empty()
            && msg.contains(&format!("service `{}`", s.name))
    });
    if disabled {
        return Some(DISABLED.1);
    }
    if code == NESTED_LISTENER.0 && msg.contains("in a listener") {
        return Some(NESTED_LISTENER.1);
    }
    if code == FILTERED_SERVICE.0 && msg.contains("never applies") {
        return Some(FILTERED_SERVICE.1);
    }
    if code == INCLUDE_DIRECTORY.0
        && (msg.contains("names no file") || msg.contains("which is a directory"))
    {
        return Some(INCLUDE_DIRECTORY.1);
    }
    DELIBERATE.iter().find(|d| d.0 == code).map(|d| d.1)
}

/// svcc checks a service whose protocol is not in `protocols` too (with a
/// note that it is disabled); Dovecot checks only enabled services.
pub const DISABLED: (&str, &str, &str) = (
    "",
    "disabled-service",
    "DOVECOT.md §E: only enabled services are checked; svcc checks a disabled one too, noting it breaks the day it is enabled",
);

/// A settings table: service name → (setting → value, listener → settings).
type Settings = BTreeMap<String, String>;
#[derive(Debug, Default, Clone)]
struct Svc {
    set: Settings,
    listeners: BTreeMap<(String, String), Settings>,
}

/// The service and listener blocks of `doveconf` output.
fn parse_doveconf(version: Version, out: &str) -> BTreeMap<String, Svc> {
    let mut map: BTreeMap<String, Svc> = BTreeMap::new();
    let mut stack: Vec<(String, String)> = Vec::new();
    for line in out.lines() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        if l == "}" {
            stack.pop();
        } else if let Some(h) = l.strip_suffix('{') {
            let h = h.trim();
            let (kind, name) = h.split_once(' ').unwrap_or((h, ""));
            // (2.4 quotes a name with odd characters: `service "\'imap\'" {`.)
            let name = name.trim();
            let name = match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
                Some(inner) => unescape_printed(inner),
                None => name.to_string(),
            };
            stack.push((kind.to_string(), name));
        } else if let Some((k, v)) = l.split_once('=') {
            let k = version.canonical(k.trim());
            let mut v = printed_value(v.trim());
            // 2.4 prints a list's words each quoted as need be (`::1 "x#y"`).
            if version == Version::V24 && k == "address" {
                if let Ok(words) = svcc_compiler::model::value::boollist(&v) {
                    v = words.join(" ");
                }
            }
            match stack.as_slice() {
                // Globals, under the name "" (no service has it).
                [] => {
                    map.entry(String::new()).or_default().set.insert(k, v);
                }
                [(s, n)] if s == "service" => {
                    map.entry(n.clone()).or_default().set.insert(k, v);
                }
                [(s, n), (lk, ln)] if s == "service" && lk.ends_with("_listener") => {
                    map.entry(n.clone())
                        .or_default()
                        .listeners
                        .entry((lk.clone(), ln.clone()))
                        .or_default()
                        .insert(k, v);
                }
                _ => {}
            }
        } else if let [(s, n)] = stack.as_slice() {
            // 2.4 prints a listener's settings flat, never a bare word: ignore.
            let _ = (s, n);
        }
    }
    map
}

/// A value as `doveconf` prints it → the value: doveconf quotes (and
/// escapes `"`, `'`, `\\`) a value that holds a `#` or starts or ends with
/// a blank, and prints any other value as it is (`"a"` printed is the three
/// characters).
fn printed_value(v: &str) -> String {
    let Some(inner) = v.strip_prefix('"').and_then(|r| r.strip_suffix('"')) else {
        return v.to_string();
    };
    let out = unescape_printed(inner);
    let blank = |c: Option<char>| c.is_some_and(char::is_whitespace);
    let needs_quotes =
        out.contains('#') || blank(out.chars().next()) || blank(out.chars().next_back());
    if needs_quotes {
        out
    } else {
        v.to_string()
    }
}

/// The text between the quotes doveconf prints: `\x` is `x`.
fn unescape_printed(inner: &str) -> String {
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        out.extend(if c == '\\' { chars.next() } else { Some(c) });
    }
    out
}

/// Defaults per service from `doveconf -x` (every setting, variables expanded) on a probe config (a service
/// the built-ins lack stands for any new one).
struct Defaults {
    services: BTreeMap<String, Svc>,
}

const PROBE: &str = "svcc-diff-probe";

impl Defaults {
    fn load(version: Version, dir: &Path) -> Defaults {
        let text = format!(
            "{}protocols = imap pop3 lmtp\nservice {PROBE} {{\n  unix_listener p {{\n  }}\n  fifo_listener f {{\n  }}\n  inet_listener i {{\n  }}\n}}\n",
            version.preamble()
        );
        let p = dir.join("probe.conf");
        std::fs::write(&p, text).unwrap();
        // 2.3's `-x` prints every setting; 2.4's prints only what the config
        // sets, and `-d` the defaults (built-in services included).
        let all = match version {
            Version::V23 => "-x",
            Version::V24 => "-d",
        };
        let (ok, out, err) = doveconf(version, &[all, "-c", p.to_str().unwrap()]);
        assert!(ok, "doveconf {all} on the probe failed: {err}");
        Defaults {
            services: parse_doveconf(version, &out),
        }
    }

    /// A service's defaults; a setting the probe did not show is not compared.
    fn service(&self, name: &str) -> Svc {
        match self.services.get(name) {
            Some(s) => s.clone(),
            None => Svc {
                set: self
                    .services
                    .get(PROBE)
                    .map(|g| g.set.clone())
                    .unwrap_or_default(),
                listeners: BTreeMap::new(),
            },
        }
    }

    fn listener(&self, kind: &str) -> Settings {
        let name = match kind {
            "unix_listener" => "p",
            "fifo_listener" => "f",
            _ => "i",
        };
        self.services
            .get(PROBE)
            .and_then(|g| g.listeners.get(&(kind.to_string(), name.to_string())))
            .cloned()
            .unwrap_or_default()
    }
}

/// The value as one comparable string: times in ms, sizes in bytes, modes
/// in octal, booleans yes/no.
fn normalize(key: &str, v: &str) -> String {
    let v = v.trim();
    let num_unit = |v: &str| {
        let d: String = v.chars().take_while(|c| c.is_ascii_digit()).collect();
        let u = v[d.len()..].trim().to_ascii_lowercase();
        (d.parse::<u128>().unwrap_or(0), u)
    };
    match key {
        // 2.4's `infinite` (svcc's u32::MAX seconds): never.
        "idle_kill" if matches!(v, "infinite" | "unlimited") => "infinite".to_string(),
        "idle_kill" => {
            let (n, u) = num_unit(v);
            let m = match u.as_str() {
                "" => 1000,
                u if u.starts_with("ms") || u.starts_with("milli") => 1,
                u if u.starts_with('s') => 1000,
                u if u.starts_with('m') => 60_000,
                u if u.starts_with('h') => 3_600_000,
                u if u.starts_with('d') => 86_400_000,
                u if u.starts_with('w') => 604_800_000,
                _ => 0,
            };
            if n * m >= u32::MAX as u128 * 1000 {
                "infinite".to_string()
            } else {
                (n * m).to_string()
            }
        }
        "vsz_limit" => {
            let (n, u) = num_unit(v);
            let shift = match u.chars().next() {
                Some('k') => 10,
                Some('m') => 20,
                Some('g') => 30,
                Some('t') => 40,
                _ => 0,
            };
            (n << shift).to_string()
        }
        // Octal with a leading 0, decimal without (2.3 prints octal; 2.4's
        // `-n` prints the value as written).
        "mode" if v.starts_with('0') => {
            format!("{:o}", u64::from_str_radix(v, 8).unwrap_or(u64::MAX))
        }
        "mode" => format!("{:o}", v.parse::<u64>().unwrap_or(u64::MAX)),
        // A list: 2.4 prints `a, b` as `a b`.
        "address" => v
            .split([',', ' '])
            .filter(|a| !a.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
        "drop_priv_before_exec" | "ssl" | "reuse_port" | "haproxy" => {
            yn(matches!(v.to_ascii_lowercase().as_str(), "yes" | "y" | "1"))
        }
        // 2.4's no limit, either word.
        "service_count" if matches!(v, "infinite" | "unlimited") => "0".to_string(),
        "process_limit" | "client_limit" | "process_min_avail"
            if matches!(v, "infinite" | "unlimited") =>
        {
            u32::MAX.to_string()
        }
        "process_limit" | "client_limit" | "service_count" | "process_min_avail" | "port" => {
            v.parse::<u64>().map_or(v.to_string(), |n| n.to_string())
        }
        _ => v.to_string(),
    }
}

fn yn(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// svcc's model of one service, as `doveconf` names and prints it.
fn svcc_service(s: &Service) -> Svc {
    let mut set = Settings::new();
    let mut put = |k: &str, v: String| {
        set.insert(k.to_string(), normalize(k, &v));
    };
    put("process_limit", s.process_limit.value.to_string());
    put("client_limit", s.client_limit.value.to_string());
    put("service_count", s.service_count.value.to_string());
    put("process_min_avail", s.process_min_avail.value.to_string());
    put("idle_kill", format!("{} ms", s.idle_kill.value));
    put(
        "vsz_limit",
        s.vsz_limit.value.unwrap_or(u64::MAX).to_string(),
    );
    put("drop_priv_before_exec", yn(s.drop_priv_before_exec.value));
    put("user", s.user.value.clone());
    put("group", s.group.value.clone());
    put("chroot", s.chroot.value.clone());
    put("type", s.kind.value.clone());
    put("protocol", s.protocol.value.clone());
    put("executable", s.executable.value.clone());
    let mut listeners = BTreeMap::new();
    for l in &s.listeners {
        let mut m = Settings::new();
        let mut put = |k: &str, v: String| {
            m.insert(k.to_string(), normalize(k, &v));
        };
        if l.kind == ListenerKind::Inet {
            put("address", l.address.value.clone());
            put("port", l.port.value.to_string());
            put("ssl", yn(l.ssl.value));
            put("reuse_port", yn(l.reuse_port.value));
            put("haproxy", yn(l.haproxy.value));
        } else {
            put("mode", format!("0{:o}", l.mode.value));
            put("user", l.user.value.clone());
            put("group", l.group.value.clone());
        }
        listeners.insert((l.kind.keyword().to_string(), l.name.clone()), m);
    }
    Svc { set, listeners }
}

/// Dovecot's view of one service: its defaults overlaid with what
/// `doveconf -n` printed.
fn dovecot_service(version: Version, d: &Defaults, name: &str, printed: Option<&Svc>) -> Svc {
    let mut s = d.service(name);
    if let Some(p) = printed {
        s.set.extend(p.set.clone());
        for (key, set) in &p.listeners {
            let mut base = s
                .listeners
                .get(key)
                .cloned()
                .unwrap_or_else(|| d.listener(&key.0));
            base.extend(set.clone());
            s.listeners.insert(key.clone(), base);
        }
    }
    // 2.4's per-process admin sockets (`srv.NAME/%{pid}`, used by doveadm
    // only): svcc's 2.4 table leaves them out (compiler/data/regen-2.4.sh).
    s.listeners
        .retain(|(_, n), _| !(n.starts_with("srv.") && n.ends_with("/%{pid}")));
    // Built-in defaults name globals (`user = $default_internal_user`),
    // which the master expands with the global's value: a user exactly
    // `$default_internal_user` or `$default_login_user`, a listener's group
    // exactly `$default_internal_group` (master-settings.c; nothing else,
    // whatever `doveconf -x` prints).
    let globals = d
        .services
        .get("")
        .map(|g| g.set.clone())
        .unwrap_or_default();
    let expand = |k: &str, listener: bool, v: &mut String| {
        let prefix = match version {
            Version::V23 => "$",
            Version::V24 => "$SET:",
        };
        let names: &[&str] = match k {
            "user" => &["default_internal_user", "default_login_user"],
            "group" if listener => &["default_internal_group"],
            _ => &[],
        };
        let name = v.strip_prefix(prefix).filter(|n| names.contains(n));
        if let Some(g) = name.and_then(|n| globals.get(n)) {
            *v = g.clone();
        }
    };
    for set in s.listeners.values_mut() {
        for (k, v) in set.iter_mut() {
            expand(k, true, v);
            *v = normalize(k, v);
        }
    }
    for (k, v) in s.set.iter_mut() {
        expand(k, false, v);
        *v = normalize(k, v);
    }
    s
}

/// How one case came out.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Same verdict and, if accepted, the same settings.
    Agreed { accepted: bool },
    /// svcc refuses on purpose what Dovecot accepts.
    Deliberate(&'static str),
    /// svcc accepts a global (non-service) setting Dovecot refuses, for a
    /// reason that is Dovecot's to check (an enum's value, which the rows
    /// type as text; a conflict between filters); counted, not failed.
    OutOfScope(String),
    /// A real disagreement, described.
    Disagreed(String),
}

/// Compares the two sides of one case.
fn compare(version: Version, d: &Defaults, v: &Verdicts) -> Outcome {
    let svcc_ok = v.svcc_errors.is_empty();
    match (v.dovecot_ok, svcc_ok) {
        (false, false) => {
            if std::env::var_os("SVCC_DIFF_REFUSALS").is_some() {
                println!("refused: {}", kind_of(&v.dovecot_err));
            }
            return Outcome::Agreed { accepted: false };
        }
        (false, true) => {
            if let Some(key) = global_refusal(&v.dovecot_err) {
                return Outcome::OutOfScope(key);
            }
            if v.dovecot_err.ends_with(CRASHED) {
                return Outcome::OutOfScope(CRASHED.to_string());
            }
            return Outcome::Disagreed(format!(
                "svcc accepts, doveconf refuses: {}",
                v.dovecot_err
            ));
        }
        (true, false) => {
            let cats: Option<BTreeSet<&'static str>> = v
                .svcc_errors
                .iter()
                .map(|(code, msg)| deliberate(&v.model, code, msg))
                .collect();
            return match cats.and_then(|c| c.into_iter().next()) {
                Some(cat) => Outcome::Deliberate(cat),
                None => Outcome::Disagreed(format!(
                    "doveconf accepts, svcc refuses: {:?}",
                    v.svcc_errors
                )),
            };
        }
        (true, true) => {}
    }
    let printed = parse_doveconf(version, &v.dovecot_out);
    let mut names: BTreeSet<String> = printed.keys().filter(|k| !k.is_empty()).cloned().collect();
    names.extend(v.model.services.iter().map(|s| s.name.clone()));
    let mut diffs = Vec::new();
    for name in names {
        let Some(ours) = v.model.all_services().find(|s| s.name == name) else {
            diffs.push(format!("service {name}: svcc has no such service"));
            continue;
        };
        let ours = svcc_service(ours);
        let theirs = dovecot_service(version, d, &name, printed.get(&name));
        for (k, want) in &theirs.set {
            if let Some(got) = ours.set.get(k).filter(|g| !g.contains("$ENV:")) {
                if got != want {
                    diffs.push(format!(
                        "service {name} {{ {k} }}: doveconf {want:?}, svcc {got:?}"
                    ));
                }
            }
        }
        // `doveconf -n` leaves out a listener whose settings are all
        // defaults: svcc may have more, each with the defaults of its kind.
        let missing: Vec<_> = theirs
            .listeners
            .keys()
            .filter(|k| !ours.listeners.contains_key(*k))
            .collect();
        if !missing.is_empty() {
            diffs.push(format!("service {name}: svcc lacks listeners {missing:?}"));
            continue;
        }
        let mut theirs = theirs;
        for key in ours.listeners.keys() {
            if !theirs.listeners.contains_key(key) {
                let set = d
                    .listener(&key.0)
                    .into_iter()
                    .map(|(k, v)| {
                        let n = normalize(&k, &v);
                        (k, n)
                    })
                    .collect();
                theirs.listeners.insert(key.clone(), set);
            }
        }
        for (key, set) in &theirs.listeners {
            for (k, want) in set {
                if let Some(got) = ours.listeners[key].get(k).filter(|g| !g.contains("$ENV:")) {
                    if got != want {
                        diffs.push(format!(
                            "service {name} {{ {} {} {{ {k} }} }}: doveconf {want:?}, svcc {got:?}",
                            key.0, key.1
                        ));
                    }
                }
            }
        }
    }
    if diffs.is_empty() {
        Outcome::Agreed { accepted: true }
    } else {
        Outcome::Disagreed(diffs.join("; "))
    }
}

// ---------------------------------------------------------------- master

/// Starts the real 2.3 master (`dovecot -F`) on a case `doveconf` accepted,
/// in a private base_dir, state_dir and log, every inet listener moved to a
/// free loopback port and a static passdb and userdb (so auth starts);
/// connects once to each port, then stops it by pid. Returns
/// what happened: `started`, `started, then: ERROR` or `failed: ERROR`.
fn master_run(dir: &Path, model: &Model) -> String {
    let d = dir.display();
    let mut conf = format!(
        "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/master.log\n!include dovecot.conf\nlisten = 127.0.0.1\npassdb {{\n  driver = static\n  args = nopassword=y\n}}\nuserdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home=/nonexistent\n}}\n"
    );
    let mut ports = Vec::new();
    for svc in model.services.iter().chain(&model.implicit) {
        for l in svc
            .listeners
            .iter()
            .filter(|l| l.kind == ListenerKind::Inet && l.enabled())
        {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            ports.push(port);
            conf.push_str(&format!(
                "service {} {{\n  inet_listener {} {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n}}\n",
                svc.name, l.name
            ));
        }
    }
    std::fs::create_dir_all(dir.join("state")).unwrap();
    std::fs::write(dir.join("master.conf"), conf).unwrap();
    let mut child = Command::new("dovecot")
        .arg("-F")
        .arg("-c")
        .arg(dir.join("master.conf"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dovecot runs (install dovecot-core)");
    let log = || {
        let text = std::fs::read_to_string(dir.join("master.log")).unwrap_or_default();
        text.lines()
            .filter(|l| l.contains("Fatal:") || l.contains("Error:"))
            .map(|l| l.split_once(": ").map_or(l, |x| x.1).to_string())
            .next()
    };
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            let err = child
                .wait_with_output()
                .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                .unwrap_or_default();
            let why = log()
                .or_else(|| err.lines().next().map(String::from))
                .unwrap_or_default();
            return format!("failed ({status}): {why}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    for port in ports {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        if let Ok(mut c) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
            let _ = c.set_read_timeout(Some(Duration::from_millis(500)));
            let _ = std::io::Read::read(&mut c, &mut [0u8; 256]);
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    // Stop exactly the master we started (it stops its children).
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    match log() {
        Some(e) => format!("started, then: {e}"),
        None => "started".to_string(),
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

// ---------------------------------------------------------------- driver

fn have(version: Version) -> bool {
    let ok = match version {
        Version::V23 => Command::new("doveconf")
            .arg("-h")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok(),
        Version::V24 => workspace().join("tools/dovecot24").exists(),
    };
    if !ok && version == Version::V23 {
        assert!(
            std::env::var_os("CI").is_none(),
            "doveconf missing: install dovecot-core"
        );
        eprintln!("skipping: doveconf missing (install dovecot-core)");
    }
    ok
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `cases` generated cases on every core and reports.
fn differential(version: Version, default_cases: u64) {
    if !have(version) {
        return;
    }
    let cases = env_u64("SVCC_DIFF_CASES", default_cases);
    let seed = env_u64("SVCC_DIFF_SEED", 1);
    // `SVCC_DIFF_PRINT=N`: print case N's files (to reproduce one by hand).
    if let Some(i) = std::env::var("SVCC_DIFF_PRINT")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        for (name, bytes) in Case::generate(version, seed, i).files {
            println!("--- case {i}: {name}\n{}", String::from_utf8_lossy(&bytes));
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let defaults = Defaults::load(version, tmp.path());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let started = Instant::now();
    let next = std::sync::atomic::AtomicU64::new(0);
    let results: Vec<(u64, Outcome)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= cases {
                            break out;
                        }
                        let dir = tmp.path().join(format!("case-{i}"));
                        let case = Case::generate(version, seed, i);
                        let v = run_case(version, &case, &dir);
                        out.push((i, compare(version, &defaults, &v)));
                        let _ = std::fs::remove_dir_all(&dir);
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let elapsed = started.elapsed();
    let mut by: BTreeMap<String, u64> = BTreeMap::new();
    let mut bad = Vec::new();
    for (i, o) in &results {
        let cat = match o {
            Outcome::Agreed { accepted: true } => "agreed: both accept, same settings".to_string(),
            Outcome::Agreed { accepted: false } => "agreed: both refuse".to_string(),
            Outcome::Deliberate(c) => format!("deliberate: {c}"),
            Outcome::OutOfScope(c) => format!("not owned by svcc (global settings): {c}"),
            Outcome::Disagreed(_) => "disagreed".to_string(),
        };
        *by.entry(cat).or_default() += 1;
        if let Outcome::Disagreed(why) = o {
            bad.push((*i, why.clone()));
        }
    }
    let agreed = results
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Agreed { .. }))
        .count();
    println!(
        "differential {version:?}: {cases} cases (seed {seed}), {agreed} agreed, {} deliberate, {} disagreed, {:.1} s on {threads} threads",
        results.iter().filter(|(_, o)| matches!(o, Outcome::Deliberate(_))).count(),
        bad.len(),
        elapsed.as_secs_f64()
    );
    for (cat, n) in &by {
        println!("  {n:>6}  {cat}");
    }
    bad.sort();
    let filter = std::env::var("SVCC_DIFF_SHOW").unwrap_or_default();
    let shown: Vec<String> = bad
        .iter()
        .filter(|(_, why)| why.contains(&filter))
        .take(3)
        .map(|(i, why)| {
            let case = Case::generate(version, seed, *i);
            let files: String = case
                .files
                .iter()
                .map(|(n, b)| format!("--- {n}\n{}", String::from_utf8_lossy(b)))
                .collect();
            format!("case {i}: {why}\n{files}")
        })
        .collect();
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    for (_, why) in &bad {
        *kinds.entry(kind_of(why)).or_default() += 1;
    }
    for (k, n) in &kinds {
        println!("  {n:>6}  disagreed: {k}");
    }
    assert!(
        bad.is_empty(),
        "{} disagreements, first:\n{}",
        bad.len(),
        shown.join("\n")
    );
    // The real master on a sample of what doveconf accepts: every case svcc
    // refuses on purpose (up to 4), and two both accept.
    if version == Version::V23 && is_root() {
        let mut sample: Vec<u64> = results
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Deliberate(_)))
            .map(|(i, _)| *i)
            .take(4)
            .collect();
        sample.extend(
            results
                .iter()
                .filter(|(_, o)| *o == Outcome::Agreed { accepted: true })
                .map(|(i, _)| *i)
                .take(2),
        );
        sample.sort();
        for i in sample {
            let dir = tmp.path().join(format!("master-{i}"));
            let case = Case::generate(version, seed, i);
            let v = run_case(version, &case, &dir);
            let outcome = results
                .iter()
                .find(|(j, _)| *j == i)
                .map(|(_, o)| o.clone())
                .unwrap();
            println!(
                "  master, case {i} ({outcome:?}): {}",
                master_run(&dir, &v.model)
            );
        }
    }
}

/// A disagreement without paths, line numbers and values, to count by kind.
fn kind_of(why: &str) -> String {
    let mut s = why.to_string();
    if let Some(i) = s.find(": Fatal: ") {
        s = s[i + 9..].to_string();
        if let Some(j) = s.find(": ") {
            s = s[j + 2..].to_string();
        }
    }
    s.chars().take(70).collect()
}

#[test]
fn differential_dovecot_23() {
    differential(Version::V23, 2000);
}

#[test]
fn differential_dovecot_24() {
    differential(Version::V24, 2000);
}

/// Every case a disagreement once produced (`tests/data/differential/NAME/
/// dovecot.conf` plus its includes) agrees now, against the Dovecot version
/// the config is written for (2.4 when it sets `dovecot_config_version`).
#[test]
fn differential_fixtures() {
    let tmp = tempfile::tempdir().unwrap();
    let mut n = 0;
    for e in std::fs::read_dir("tests/data/differential").unwrap() {
        let dir = e.unwrap().path();
        let text = std::fs::read_to_string(dir.join("dovecot.conf")).unwrap();
        let version = if text.starts_with("dovecot_config_version") {
            Version::V24
        } else {
            Version::V23
        };
        if !have(version) {
            continue;
        }
        let defaults = Defaults::load(version, tmp.path());
        let v = run_dir(version, &dir);
        let o = compare(version, &defaults, &v);
        assert!(
            !matches!(o, Outcome::Disagreed(_)),
            "{}: {o:?}",
            dir.display()
        );
        n += 1;
    }
    assert!(n > 0);
}

/// The comparer sees a settings difference (so an agreement means something).
#[test]
fn comparer_catches_a_settings_difference() {
    if !have(Version::V23) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let defaults = Defaults::load(Version::V23, tmp.path());
    let case = Case {
        files: vec![(
            "dovecot.conf".into(),
            b"protocols = imap\nservice imap {\n  process_limit = 7\n  unix_listener svc-a {\n    mode = 0660\n  }\n}\n".to_vec(),
        )],
    };
    let mut v = run_case(Version::V23, &case, tmp.path());
    assert_eq!(
        compare(Version::V23, &defaults, &v),
        Outcome::Agreed { accepted: true }
    );
    let imap = v
        .model
        .services
        .iter_mut()
        .find(|s| s.name == "imap")
        .unwrap();
    imap.process_limit.value = 8;
    assert!(matches!(
        compare(Version::V23, &defaults, &v),
        Outcome::Disagreed(_)
    ));
    let imap = v
        .model
        .services
        .iter_mut()
        .find(|s| s.name == "imap")
        .unwrap();
    imap.process_limit.value = 7;
    imap.listeners
        .iter_mut()
        .find(|l| l.name == "svc-a")
        .unwrap()
        .mode
        .value = 0o600;
    assert!(matches!(
        compare(Version::V23, &defaults, &v),
        Outcome::Disagreed(_)
    ));
}

/// Each section kind svcc's catalogue lists for the top level is one that
/// version's `doveconf` takes (it may refuse an empty one for another
/// reason, never as unknown), 2.4's "needs a name" kinds are refused
/// without one, and a kind neither lists is refused as unknown by both.
#[test]
fn top_level_sections_are_what_each_doveconf_says() {
    let tmp = tempfile::tempdir().unwrap();
    for version in [Version::V23, Version::V24] {
        if !have(version) {
            continue;
        }
        let v = version.dovecot();
        let refusal = |kind: &str, named: bool| -> (bool, String) {
            let p = tmp.path().join("s.conf");
            let name = if named { " x" } else { "" };
            std::fs::write(&p, format!("{}{kind}{name} {{\n}}\n", version.preamble())).unwrap();
            let (_, _, err) = doveconf(version, &["-n", "-c", p.to_str().unwrap()]);
            let unknown = err.contains(&format!("Unknown setting: {kind} {{"))
                || err.contains(&format!("Unknown section name: {kind}"));
            (unknown, err)
        };
        for kind in catalogue::listed_sections(v) {
            let (bare, e1) = refusal(kind, false);
            let (named, e2) = refusal(kind, true);
            assert!(
                !(bare && named),
                "{v}: doveconf does not take `{kind} {{`: {e1}{e2}"
            );
            match catalogue::top_level_section(v, kind) {
                Some(catalogue::SectionName::Required) => {
                    assert!(
                        e1.contains("is missing section name"),
                        "{v}: `{kind} {{`: {e1}"
                    )
                }
                Some(catalogue::SectionName::Forbidden) => assert!(
                    e2.contains("must not have a section name"),
                    "{v}: `{kind} x {{`: {e2}"
                ),
                _ => {}
            }
        }
        let (unknown, err) = refusal("svccnosuch", false);
        assert!(unknown, "{v}: {err}");
        let text = format!("{}svccnosuch {{\n}}\n", version.preamble());
        let checked = svcc_compiler::check_str("t.conf", &text, &Default::default());
        assert!(
            checked
                .diagnostics
                .iter()
                .any(|d| d.code == "svcc::unknown-setting"),
            "{v}: {:?}",
            checked.diagnostics
        );
    }
}

/// `protocols = sieve` needs Pigeonhole's managesieve: svcc told whether
/// this host has it gives this host's doveconf's verdict, and without the
/// plugin names the package.
#[test]
fn sieve_needs_managesieve_as_this_hosts_doveconf_says() {
    let first = "protocols = imap sieve\n";
    let text = first;
    let check = |managesieve| {
        let opts = svcc_compiler::Options {
            host: HostLimits {
                managesieve,
                ..HostLimits::default()
            },
            ..svcc_compiler::Options::default()
        };
        svcc_compiler::check_str("t.conf", text, &opts)
    };
    let missing = check(Some(false));
    let d = missing
        .diagnostics
        .iter()
        .find(|d| d.code == "svcc::unknown-protocol")
        .expect("sieve is unknown without managesieve");
    assert!(d
        .help
        .as_deref()
        .unwrap_or("")
        .contains("dovecot-managesieved"));
    assert!(!check(Some(true)).has_errors() && !check(None).has_errors());
    // A `service managesieve-login { }` block is no managesieve either, and
    // its settings are unknown without it.
    let text =
        "protocols = imap sieve\nservice managesieve-login {\n}\nmanagesieve_logout_format = x\n";
    let opts = |managesieve| svcc_compiler::Options {
        host: HostLimits {
            managesieve,
            ..HostLimits::default()
        },
        ..svcc_compiler::Options::default()
    };
    let codes: Vec<&str> = svcc_compiler::check_str("t.conf", text, &opts(Some(false)))
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect();
    assert!(
        codes.contains(&"svcc::unknown-protocol") && codes.contains(&"svcc::unknown-setting"),
        "{codes:?}"
    );
    assert!(!svcc_compiler::check_str("t.conf", text, &opts(None)).has_errors());
    if have(Version::V23) {
        let tmp = tempfile::tempdir().unwrap();
        for text in [first, text] {
            let p = tmp.path().join("s.conf");
            std::fs::write(&p, text).unwrap();
            let (ok, _, err) = doveconf(Version::V23, &["-n", "-c", p.to_str().unwrap()]);
            let here = svcc_compiler::check_str(
                "t.conf",
                text,
                &opts(svcc_facts::managesieve_installed()),
            );
            assert_eq!(!here.has_errors(), ok, "{text}: {err}");
        }
    }
}

/// The settings a `remote` filter may not set are the auth process's, as
/// each `doveconf` says ("Auth settings not supported inside local/remote
/// blocks"), and svcc refuses exactly those there.
#[test]
fn auth_settings_inside_remote_are_what_each_doveconf_refuses() {
    let tmp = tempfile::tempdir().unwrap();
    for version in [Version::V23, Version::V24] {
        if !have(version) {
            continue;
        }
        let v = version.dovecot();
        let sample = |kind: Kind, default: &str| -> String {
            match kind {
                Kind::Bool => "yes".into(),
                Kind::Uint => "5".into(),
                Kind::Size => "1M".into(),
                Kind::Time | Kind::Msecs => "5 secs".into(),
                Kind::Enum(_) => kind.values().next().unwrap_or_default().into(),
                Kind::Words { .. } => String::new(),
                _ => default.into(),
            }
        };
        let rows: Vec<_> = catalogue::catalogue(v)
            .scope(Scope::Global)
            .filter(|d| {
                (d.name.starts_with("auth_") || catalogue::auth_setting(v, d.name))
                    && !matches!(d.kind, Kind::Section | Kind::StrList)
            })
            .chain(
                ["mail_debug", "ssl_cert", "listen"]
                    .iter()
                    .filter_map(|n| catalogue::catalogue(v).get(Scope::Global, n)),
            )
            .collect();
        for d in rows {
            let text = format!(
                "{}ssl = no\nremote 10.0.0.1 {{\n  {} = {}\n}}\n",
                version.preamble(),
                d.name,
                sample(d.kind, d.default)
            );
            let p = tmp.path().join("a.conf");
            std::fs::write(&p, &text).unwrap();
            let (_, _, err) = doveconf(version, &["-n", "-c", p.to_str().unwrap()]);
            let refused = err.contains("Auth settings not supported inside local/remote blocks");
            let checked = svcc_compiler::check_str("t.conf", &text, &Default::default());
            let ours = checked
                .diagnostics
                .iter()
                .any(|x| x.message.contains("inside a `local` or `remote` filter"));
            assert_eq!(
                ours, refused,
                "{v}: `{}` inside remote: doveconf {err}",
                d.name
            );
        }
    }
}

/// Generated event filters, each alone as `log_debug` in a config: svcc
/// refuses exactly the ones each doveconf refuses (`SVCC_DIFF_FILTERS`
/// sets how many; `SVCC_DIFF_SEED` the seed).
#[test]
fn event_filters_are_what_each_doveconf_says() {
    let n = env_u64("SVCC_DIFF_FILTERS", 160) as usize;
    let mut r = Rng(env_u64("SVCC_DIFF_SEED", 1));
    let filters: Vec<String> = (0..n).map(|_| event_filter(&mut r, 0)).collect();
    let tmp = tempfile::tempdir().unwrap();
    let mut refused = 0;
    for version in [Version::V23, Version::V24] {
        if !have(version) {
            continue;
        }
        let verdicts = |part: &[String], tag: usize| -> Vec<String> {
            let mut out = Vec::new();
            for (i, f) in part.iter().enumerate() {
                let text = format!("{}log_debug = {f}\n", version.preamble());
                let path = tmp.path().join(format!("{version:?}-{tag}-{i}.conf"));
                std::fs::write(&path, &text).unwrap();
                let (dovecot_ok, _, err) = doveconf(version, &["-n", "-c", path.to_str().unwrap()]);
                if err.contains(CRASHED) {
                    continue;
                }
                let checked = svcc_compiler::check_str("t.conf", &text, &Options::default());
                let svcc_ok = !checked
                    .diagnostics
                    .iter()
                    .any(|d| d.severity == Severity::Error);
                if dovecot_ok != svcc_ok {
                    out.push(format!(
                        "{version:?} {f:?}: doveconf {dovecot_ok}, svcc {svcc_ok}: {err}"
                    ));
                }
                if !dovecot_ok {
                    out.push(String::new());
                }
            }
            out
        };
        let half = filters.len() / 2;
        let said: Vec<String> = std::thread::scope(|s| {
            let a = s.spawn(|| verdicts(&filters[..half], 0));
            let b = verdicts(&filters[half..], 1);
            a.join().unwrap().into_iter().chain(b).collect()
        });
        refused += said.iter().filter(|s| s.is_empty()).count();
        let disagreed: Vec<&String> = said.iter().filter(|s| !s.is_empty()).collect();
        assert!(disagreed.is_empty(), "{disagreed:#?}");
    }
    // Both kinds were drawn (when a doveconf ran).
    assert!(
        refused == 0 || (refused > 10 && refused < 2 * n - 10),
        "{refused} refused"
    );
}
