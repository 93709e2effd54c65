//! The `svcc` command line: formats, exit codes, stdin.

use assert_cmd::Command;

fn svcc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_svcc"));
    // Fixture paths (and the paths printed) are relative to the compiler crate.
    c.env("NO_COLOR", "1")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/compiler"));
    c
}

#[test]
fn clean_config_exits_0_with_a_summary() {
    let out = svcc()
        .args(["check", "-", "--somaxconn", "4096", "--nofile", "65536"])
        .write_stdin("protocols = imap\nservice echo {\n  executable = echo\n}\n")
        .assert()
        .code(0);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("<stdin>: no problems found"), "{err}");
}

#[test]
fn errors_exit_1_warnings_exit_0_unless_denied() {
    svcc()
        .args(["check", "tests/data/checks/syntax.conf"])
        .assert()
        .code(1);
    svcc()
        .args(["check", "tests/data/checks/client-limit-capped.conf"])
        .assert()
        .code(0);
    svcc()
        .args(["check", "-D", "tests/data/checks/client-limit-capped.conf"])
        .assert()
        .code(1);
}

#[test]
fn unreadable_file_and_bad_usage_exit_2() {
    svcc()
        .args(["check", "tests/data/no-such.conf"])
        .assert()
        .code(2);
    svcc().args(["check"]).assert().code(2);
    svcc()
        .args(["check", "--format", "xml", "tests/data/checks/syntax.conf"])
        .assert()
        .code(2);
    svcc().args(["explain", "no-such-code"]).assert().code(2);
}

#[test]
fn short_format_is_file_line_col() {
    let out = svcc()
        .args([
            "check",
            "--format",
            "short",
            "tests/data/checks/syntax.conf",
        ])
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let first = text.lines().next().unwrap();
    assert_eq!(
        first,
        "tests/data/checks/syntax.conf:2:1: error[svcc::syntax]: expected `key = value`, a section header or `}`"
    );
    for line in text.lines() {
        let parts: Vec<&str> = line.splitn(4, ':').collect();
        assert_eq!(parts[0], "tests/data/checks/syntax.conf");
        assert!(
            parts[1].parse::<usize>().is_ok() && parts[2].parse::<usize>().is_ok(),
            "{line}"
        );
    }
}

#[test]
fn json_lines_carry_every_field() {
    let out = svcc()
        .args([
            "check",
            "--format",
            "json",
            "tests/data/checks/blocking-client-limit.conf",
        ])
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.lines().count() >= 2);
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for k in [
            "severity",
            "code",
            "message",
            "help",
            "file",
            "line",
            "column",
            "end_line",
            "end_column",
            "labels",
            "rendered",
        ] {
            assert!(v.get(k).is_some(), "missing {k} in {line}");
        }
        assert!(
            !v["rendered"].as_str().unwrap().contains('\x1b'),
            "rendered has colour"
        );
    }
    let v: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(v["code"], "svcc::blocking-client-limit");
    assert_eq!(v["line"], 3);
    assert_eq!(v["column"], 3);
    assert_eq!(v["end_column"], 20);
}

#[test]
fn json_names_the_dovecot_version_and_dovecot_forces_it() {
    let tmp = tempfile::tempdir().unwrap();
    let conf = tmp.path().join("d.conf");
    std::fs::write(
        &conf,
        "dovecot_config_version = 2.4.0\nprotocols = imap\nservice imap {\n  client_limit = 5\n}\n",
    )
    .unwrap();
    let conf = conf.to_str().unwrap();
    let run = |extra: &[&str]| {
        let out = svcc()
            .args(["check", "--format", "json"])
            .args(extra)
            .arg(conf)
            .assert()
            .code(1);
        let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .collect::<Vec<_>>()
    };
    let own = run(&[]);
    assert!(own.iter().all(|v| v["dovecot"] == "2.4"), "{own:?}");
    assert!(own
        .iter()
        .any(|v| v["code"] == "svcc::blocking-client-limit"));
    let forced = run(&["--dovecot", "2.3"]);
    assert!(forced.iter().all(|v| v["dovecot"] == "2.3"), "{forced:?}");
    assert!(forced.iter().any(|v| v["code"] == "svcc::config-version"));
    // `svcc config` spells the settings as the version does.
    std::fs::write(
        conf,
        "dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\nprotocols = imap\nservice imap {\n  restart_request_count = 3\n}\n",
    )
    .unwrap();
    let out = svcc().args(["config", conf]).assert().code(0);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("(Dovecot 2.4)"), "{text}");
    assert!(text.contains("restart_request_count = "), "{text}");
    assert!(!text.contains("service_count = "), "{text}");
    let out = svcc()
        .args(["config", "--dovecot", "2.3", conf])
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("service_count = "), "{text}");
    svcc()
        .args(["check", "--dovecot", "2.5", conf])
        .assert()
        .code(2);
}

#[test]
fn included_file_is_named_as_resolved_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("conf.d")).unwrap();
    std::fs::write(dir.join("top.conf"), "!include conf.d/*.conf\n").unwrap();
    std::fs::write(
        dir.join("conf.d/10-master.conf"),
        "service imap {\n  client_limit = 4\n}\n",
    )
    .unwrap();
    let top = dir.join("top.conf");
    let out = svcc()
        .args(["check", "--format", "short", top.to_str().unwrap()])
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let want = format!(
        "{}:2:3: error[svcc::blocking-client-limit]",
        dir.join("conf.d/10-master.conf").display()
    );
    assert!(text.starts_with(&want), "{text}");
}

#[test]
fn explain_and_config() {
    let out = svcc()
        .args(["explain", "blocking-client-limit"])
        .assert()
        .code(0);
    assert!(String::from_utf8_lossy(&out.get_output().stdout).contains("client_limit = 1"));
    let out = svcc()
        .args(["config", "tests/data/checks/client-limit-capped.conf"])
        .assert()
        .code(0);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("service imap-login {"), "{text}");
    assert!(text.contains("client-limit-capped.conf:4"), "{text}");
    assert!(text.contains("# default"), "{text}");
}

#[test]
fn help_teaches() {
    let out = svcc().args(["check", "--help"]).assert().code(0);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for flag in ["--format", "--somaxconn", "--nofile", "--deny-warnings"] {
        assert!(text.contains(flag), "{flag} missing from help");
    }
}

#[test]
fn sarif_is_one_document_with_rules_and_located_results() {
    let cache = tempfile::tempdir().unwrap();
    let out = svcc()
        .env("SVCC_CACHE_DIR", cache.path())
        .env_remove("SVCC_HELP_URI_BASE")
        .args([
            "check",
            "--format",
            "sarif",
            "tests/data/checks/syntax.conf",
        ])
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let v: serde_json::Value = serde_json::from_str(&text).expect("one JSON document");
    assert_eq!(v["version"], "2.1.0");
    // Valid against the SARIF 2.1.0 schema (test data from npm's
    // @microsoft/jest-sarif, MIT). Its `run.language` pattern has a stray
    // `]` that a strict meta-schema check refuses; svcc never sets it.
    let schema_text = include_str!("../data/sarif-2.1.0-rtm.5.json").replace(
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#,
        r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#,
    );
    let schema: serde_json::Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&v)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "svcc");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "svcc::syntax"
        && r["fullDescription"]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty())));
    // Every rule links its documentation with an absolute URI: by default
    // the code's page in svcc's cache, which exists and explains it.
    for r in rules {
        let uri = r["helpUri"].as_str().expect("a helpUri");
        let path = uri.strip_prefix("file://").expect("a file:// URI");
        let page = std::fs::read_to_string(path).expect("the page exists");
        assert!(
            page.starts_with(&format!("# {}", r["id"].as_str().unwrap())),
            "{uri}"
        );
        assert!(
            std::path::Path::new(path).starts_with(cache.path().canonicalize().unwrap()),
            "{uri}"
        );
    }
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        // What GitHub code scanning requires of each result.
        let id = r["ruleId"].as_str().unwrap();
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], id);
        assert!(r["message"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(
            loc["artifactLocation"]["uri"],
            "tests/data/checks/syntax.conf"
        );
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn sarif_help_uris_can_point_at_docs_checks_md() {
    let base = "https://example.org/svcc/blob/main/docs/checks.md";
    let sarif = |mut cmd: Command, flags: &[&str]| -> serde_json::Value {
        let out = cmd
            .args(["check", "--format", "sarif"])
            .args(flags)
            .arg("tests/data/checks/syntax.conf")
            .assert()
            .code(1);
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    };
    let by_flag = sarif(svcc(), &["--help-uri-base", base]);
    let mut env = svcc();
    env.env("SVCC_HELP_URI_BASE", base);
    let by_env = sarif(env, &[]);
    for v in [by_flag, by_env] {
        let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
        let syntax = rules.iter().find(|r| r["id"] == "svcc::syntax").unwrap();
        assert_eq!(syntax["helpUri"], format!("{base}#svccsyntax"));
        assert!(rules.iter().all(|r| r["helpUri"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{base}#svcc"))));
    }
    // A base that is no absolute URI is a usage error.
    svcc()
        .args([
            "check",
            "--format",
            "sarif",
            "--help-uri-base",
            "docs/checks.md",
        ])
        .arg("tests/data/checks/syntax.conf")
        .assert()
        .code(2);
}

#[test]
fn github_format_is_escaped_workflow_commands() {
    let out = svcc()
        .args([
            "check",
            "--format",
            "github",
            "tests/data/checks/syntax.conf",
        ])
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("::error file=tests/data/checks/syntax.conf,line=2,col=1,endLine=2,")
            && first.contains(",title=svcc%3A%3Asyntax::"),
        "{first}"
    );
    // One command per line: newlines in messages are escaped.
    assert!(text.lines().all(|l| l.starts_with("::")), "{text}");
}

#[test]
fn suppressions_silence_and_no_suppressions_shows_all() {
    let conf = "service imap {\n  client_limit = 4 # svcc: disable=blocking-client-limit\n}\n";
    svcc()
        .args(["check", "--format", "short", "-"])
        .write_stdin(conf)
        .assert()
        .code(0);
    let out = svcc()
        .args(["check", "--format", "short", "--no-suppressions", "-"])
        .write_stdin(conf)
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("error[svcc::blocking-client-limit]"),
        "{text}"
    );
}

#[test]
fn unit_files_pass_systemd_analyze_verify() {
    let dir = tempfile::tempdir().unwrap();
    svcc()
        .args([
            "unit",
            "../examples/echo/echo.conf",
            "--exec",
            "/bin/true",
            "-o",
        ])
        .arg(dir.path())
        .assert()
        .code(0);
    let service = std::fs::read_to_string(dir.path().join("echo.service")).unwrap();
    assert!(
        service.contains("Sockets=echo-echo.socket echo-echo.sock.socket")
            && service.contains("NotifyAccess=all"),
        "{service}"
    );
    let socket = std::fs::read_to_string(dir.path().join("echo-echo.socket")).unwrap();
    assert!(
        socket.contains("ListenStream=127.0.0.1:7007")
            && socket.contains("FileDescriptorName=echo")
            && socket.contains("Backlog=400"),
        "{socket}"
    );
    if std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "systemd-analyze is missing: .ci/run installs systemd"
        );
        return;
    }
    let out = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(dir.path().join("echo.service"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    // systemd before 253 does not know Type=notify-reload; nothing else
    // may be wrong.
    let problems: Vec<&str> = err
        .lines()
        .filter(|l| !l.contains("notify-reload") && !l.trim().is_empty())
        .collect();
    assert!(out.status.success() && problems.is_empty(), "{err}");
}

#[test]
fn printed_findings_are_capped_per_file_with_a_count() {
    let mut conf = String::from("service x {\n");
    for i in 0..500 {
        conf.push_str(&format!("  bad{i} = 1\n"));
    }
    conf.push_str("}\n");
    let out = svcc()
        .args(["check", "--format", "short", "-"])
        .write_stdin(conf)
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 201, "{text}");
    assert!(lines[200].contains("300 more"), "{}", lines[200]);
}

/// `svcc check` asks this host's user database (getpwnam) for the users
/// Dovecot looks up: `root` is on every host, the other name on none.
#[test]
fn default_users_are_looked_up_on_this_host() {
    let check = |user: &str| {
        let out = svcc()
            .args(["check", "--format", "short", "-"])
            .write_stdin(format!("ssl = no\ndefault_internal_user = {user}\n"))
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = check("root");
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = check("svcc-no-such-user-x");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("svcc::unknown-user"), "{out}");
    // A name no user database could hold is not looked up (some NSS
    // modules abort on one of megabytes), and still refused.
    let (code, out) = check(&"a".repeat(4 << 20));
    assert_eq!(code, Some(1), "{}", &out[..out.len().min(300)]);
}
