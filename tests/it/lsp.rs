//! `svcc lsp` as an editor drives it: a real `svcc lsp` process on pipes,
//! the initialize handshake, documents opened and changed, diagnostics
//! published for the file and its include tree, hover, completion,
//! definition, symbols, inlay hints, code actions, shutdown.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct Lsp {
    child: Child,
    /// `None` once closed.
    stdin: Option<ChildStdin>,
    rx: mpsc::Receiver<Value>,
    next: i64,
}

impl Lsp {
    fn start() -> Lsp {
        Self::start_in(&std::env::temp_dir())
    }

    /// With the cache (code documentation pages) under `dir`.
    fn start_in(dir: &Path) -> Lsp {
        let mut lsp = Self::spawn(dir);
        let init = lsp.request(
            "initialize",
            json!({"capabilities": {}, "processId": null, "rootUri": null}),
        );
        assert!(init["capabilities"]["hoverProvider"].as_bool().unwrap());
        lsp.notify("initialized", json!({}));
        lsp
    }

    /// A server process before `initialize`.
    fn spawn(dir: &Path) -> Lsp {
        let mut child = Command::new(env!("CARGO_BIN_EXE_svcc"))
            .arg("lsp")
            .env("SVCC_CACHE_DIR", dir.join("cache"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start svcc lsp");
        let stdin = child.stdin.take().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || loop {
            let mut len = 0;
            loop {
                let mut line = String::new();
                if out.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim();
                if line.is_empty() {
                    break;
                }
                if let Some(v) = line.strip_prefix("Content-Length: ") {
                    len = v.parse().unwrap();
                }
            }
            let mut body = vec![0; len];
            if out.read_exact(&mut body).is_err() {
                return;
            }
            if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                return;
            }
        });
        Lsp {
            child,
            stdin: Some(stdin),
            rx,
            next: 1,
        }
    }

    fn send(&mut self, v: Value) {
        let body = v.to_string();
        let stdin = self.stdin.as_mut().expect("stdin is open");
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its result (notifications in between are
    /// dropped).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let msg = self
                .rx
                .recv_timeout(Duration::from_secs(10))
                .expect("a response within 10 s");
            if msg["id"] == json!(id) {
                assert!(msg.get("error").is_none(), "{msg}");
                return msg["result"].clone();
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let msg = self
                .rx
                .recv_timeout(Duration::from_secs(10))
                .expect("diagnostics within 10 s");
            if msg["method"] == "textDocument/publishDiagnostics" && msg["params"]["uri"] == uri {
                return msg["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

impl Drop for Lsp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn uri(p: &Path) -> String {
    format!("file://{}", p.display())
}

fn codes(diags: &[Value]) -> Vec<(u64, String)> {
    diags
        .iter()
        .map(|d| {
            (
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn diagnostics_follow_the_buffer_and_the_include_tree() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().canonicalize().unwrap();
    std::fs::create_dir(dir.join("conf.d")).unwrap();
    let root = dir.join("dovecot.conf");
    let part = dir.join("conf.d/10-master.conf");
    std::fs::write(&root, "default_process_limit = 5\n!include conf.d/*.conf\n").unwrap();
    std::fs::write(&part, "service store {\n  process_min_avail = 3\n}\n").unwrap();
    let mut lsp = Lsp::start_in(&dir);
    // Opening the included file checks it from its root: 3 ≤ 5, no error.
    let text = "service store {\n  process_min_avail = 3\n}\n";
    lsp.notify("textDocument/didOpen", json!({"textDocument": {"uri": uri(&part), "languageId": "dovecot", "version": 1, "text": text}}));
    assert_eq!(codes(&lsp.diagnostics(&uri(&part))), vec![]);
    // An unsaved edit: min_avail above the root's default_process_limit,
    // and a non-ASCII comment before the finding on its line.
    let text = "service store {\n  # é😀\n  process_min_avail = 9\n  client_limit = 2\n  blocking = yes\n}\n";
    lsp.notify("textDocument/didChange", json!({"textDocument": {"uri": uri(&part), "version": 2}, "contentChanges": [{"text": text}]}));
    let d = lsp.diagnostics(&uri(&part));
    let got = codes(&d);
    assert!(
        got.contains(&(2, "svcc::min-avail-over-limit".into())),
        "{got:?}"
    );
    assert!(
        got.contains(&(3, "svcc::blocking-client-limit".into())),
        "{got:?}"
    );
    // The root's label is related information in the other file.
    let min = d
        .iter()
        .find(|d| d["code"] == "svcc::min-avail-over-limit")
        .unwrap();
    let rel = min["relatedInformation"].as_array().unwrap();
    assert!(
        rel.iter().any(|r| r["location"]["uri"] == uri(&root)),
        "{min}"
    );

    // Hover on `client_limit` (line 3), completion in the service block.
    let h = lsp.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(&part)}, "position": {"line": 3, "character": 4}}),
    );
    let hv = h["contents"]["value"].as_str().unwrap();
    assert!(
        hv.contains("client_limit") && hv.contains("Effective in `service store`"),
        "{hv}"
    );
    let c = lsp.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri(&part)}, "position": {"line": 5, "character": 0}}),
    );
    assert!(
        c.as_array()
            .unwrap()
            .iter()
            .any(|i| i["label"] == "process_limit"),
        "{c}"
    );
    // Definition: the include in the root goes to the file; workspace symbols.
    let d = lsp.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri(&root)}, "position": {"line": 1, "character": 12}}),
    );
    assert_eq!(d[0]["uri"], uri(&part), "{d}");
    let w = lsp.request("workspace/symbol", json!({"query": "store"}));
    assert_eq!(w[0]["name"], "service store", "{w}");
    // Symbols, inlay hints, and the quick fix for the blocking service.
    let s = lsp.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri(&part)}}),
    );
    assert_eq!(s[0]["name"], "service store");
    let hints = lsp.request("textDocument/inlayHint", json!({"textDocument": {"uri": uri(&part)}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 9, "character": 0}}}));
    assert!(
        hints[0]["label"]
            .as_str()
            .unwrap()
            .contains("process_limit: 5"),
        "{hints}"
    );
    let actions = lsp.request("textDocument/codeAction", json!({"textDocument": {"uri": uri(&part)}, "range": {"start": {"line": 3, "character": 2}, "end": {"line": 3, "character": 2}}, "context": {"diagnostics": []}}));
    let fix = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"].as_str().unwrap().contains("client_limit = 1"))
        .expect("a client_limit fix");
    let edit = &fix["edit"]["changes"][uri(&part)][0];
    assert_eq!(edit["newText"], "1");
    assert_eq!(edit["range"]["start"], json!({"line": 3, "character": 17}));

    let r = lsp.request("shutdown", Value::Null);
    assert!(r.is_null());
    lsp.notify("exit", Value::Null);
    let status = (0..100)
        .find_map(|_| {
            std::thread::sleep(Duration::from_millis(50));
            lsp.child.try_wait().unwrap()
        })
        .expect("svcc lsp exits after `exit`");
    assert!(status.success());
}

#[test]
fn positions_are_utf16() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().canonicalize().unwrap();
    let f = dir.join("x.conf");
    // `😀` is two UTF-16 units, `é` one: the bad value starts at UTF-16
    // column 21 (0-based), byte 24, character 20.
    let text = "x = \"é😀\" \nservice s {\n  executable = echo\n  process_limit = 7x\n}\n";
    std::fs::write(&f, text).unwrap();
    let mut lsp = Lsp::start();
    lsp.notify("textDocument/didOpen", json!({"textDocument": {"uri": uri(&f), "languageId": "dovecot", "version": 1, "text": text}}));
    let d = lsp.diagnostics(&uri(&f));
    let bad = d
        .iter()
        .find(|d| d["code"] == "svcc::invalid-value")
        .expect("invalid-value");
    assert_eq!(bad["range"]["start"], json!({"line": 3, "character": 18}));
    let text2 = "service s {\n  executable = echo # é😀\n  process_limit = 7x\n}\n";
    lsp.notify("textDocument/didChange", json!({"textDocument": {"uri": uri(&f), "version": 2}, "contentChanges": [{"text": text2}]}));
    let _ = lsp.diagnostics(&uri(&f));
    // UTF-16 positions map back to the right bytes for requests too.
    let h = lsp.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(&f)}, "position": {"line": 1, "character": 4}}),
    );
    assert!(
        h["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("executable"),
        "{h}"
    );
}

// A client that breaks the protocol: raw bytes on the pipe, and the exact
// JSON-RPC error for each; the server keeps answering afterwards.

impl Lsp {
    fn raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    /// `body` with a correct header.
    fn framed(&mut self, body: &str) {
        self.raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    /// The next message from the server, whatever it is.
    fn next(&self) -> Value {
        self.rx
            .recv_timeout(Duration::from_secs(10))
            .expect("a message within 10 s")
    }

    /// Sends a request and returns the whole response: the next message
    /// must be it.
    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let msg = self.next();
        assert_eq!(msg["id"], json!(id), "{msg}");
        msg
    }

    /// A valid request that is answered: the session still works.
    fn still_answers(&mut self) {
        let r = self.call("workspace/symbol", json!({"query": "x"}));
        assert!(r["result"].is_array(), "{r}");
    }

    /// The exit status, waiting at most 10 s.
    fn exit_status(&mut self) -> std::process::ExitStatus {
        (0..200)
            .find_map(|_| {
                std::thread::sleep(Duration::from_millis(50));
                self.child.try_wait().unwrap()
            })
            .expect("svcc lsp exits within 10 s")
    }
}

/// `(id, code)` of an error response.
fn error(msg: &Value) -> (Value, i64) {
    assert!(msg.get("result").is_none(), "{msg}");
    (
        msg["id"].clone(),
        msg["error"]["code"].as_i64().expect("an error"),
    )
}

#[test]
fn a_body_that_is_not_json_is_a_parse_error() {
    let mut lsp = Lsp::start();
    for body in ["{\"jsonrpc\": \"2.0\", \"id\": 1,", "garbage", "\u{0}\u{1}"] {
        lsp.framed(body);
        assert_eq!(error(&lsp.next()), (Value::Null, -32700), "{body:?}");
        lsp.still_answers();
    }
    lsp.raw(b"Content-Length: 2\r\n\r\n\xff\xfe");
    assert_eq!(error(&lsp.next()), (Value::Null, -32700));
    lsp.still_answers();
}

#[test]
fn json_that_is_no_message_is_an_invalid_request() {
    let mut lsp = Lsp::start();
    for (body, id) in [
        (
            r#"[{"jsonrpc":"2.0","id":90,"method":"shutdown"}]"#,
            Value::Null,
        ),
        ("42", Value::Null),
        (r#"{"jsonrpc":"2.0","id":91}"#, json!(91)),
        (r#"{"jsonrpc":"2.0","id":"s","method":7}"#, json!("s")),
        (
            r#"{"jsonrpc":"2.0","id":92,"method":"workspace/symbol","params":"x"}"#,
            json!(92),
        ),
        (
            r#"{"jsonrpc":"2.0","id":{"a":1},"method":"workspace/symbol"}"#,
            Value::Null,
        ),
        (
            r#"{"jsonrpc":"1.0","id":93,"method":"workspace/symbol"}"#,
            json!(93),
        ),
    ] {
        lsp.framed(body);
        assert_eq!(error(&lsp.next()), (id, -32600), "{body}");
        lsp.still_answers();
    }
}

#[test]
fn broken_headers_are_answered_and_skipped() {
    let mut lsp = Lsp::start();
    let body = r#"{"jsonrpc":"2.0","id":99,"method":"shutdown"}"#;
    let long = format!("X-Filler: {}\r\n\r\n", "a".repeat(64 << 10));
    for head in [
        // No Content-Length: the body that follows is skipped unread.
        "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n".to_string(),
        "Content-Length: twelve\r\n\r\n".to_string(),
        "Content-Length: -5\r\n\r\n".to_string(),
        // Over the 64 MiB bound, and over what a u64 holds.
        "Content-Length: 1099511627776\r\n\r\n".to_string(),
        "Content-Length: 184467440737095516160\r\n\r\n".to_string(),
        // Headers far over any sane size.
        long,
    ] {
        lsp.raw(head.as_bytes());
        lsp.raw(body.as_bytes());
        assert_eq!(error(&lsp.next()), (Value::Null, -32700), "{head:.60}");
        // The skipped body was a `shutdown`: the server is still running.
        lsp.still_answers();
    }
}

#[test]
fn a_truncated_body_then_eof_ends_the_server() {
    let mut lsp = Lsp::start();
    lsp.raw(b"Content-Length: 500\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":7,");
    lsp.stdin = None;
    // EOF without `shutdown`: the client is gone, exit 1.
    assert_eq!(lsp.exit_status().code(), Some(1));
}

#[test]
fn the_protocol_lifecycle_is_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let mut lsp = Lsp::spawn(dir.path());
    // Before `initialize`: requests are refused, notifications dropped.
    lsp.notify("initialized", json!({}));
    let r = lsp.call("workspace/symbol", json!({"query": ""}));
    assert_eq!(error(&r), (r["id"].clone(), -32002));
    let r = lsp.call(
        "initialize",
        json!({"capabilities": {}, "processId": null, "rootUri": null}),
    );
    assert!(r["result"]["capabilities"].is_object(), "{r}");
    let r = lsp.call(
        "initialize",
        json!({"capabilities": {}, "processId": null, "rootUri": null}),
    );
    assert_eq!(error(&r).1, -32600, "{r}");
    // Unknown requests, `$/` ones too: MethodNotFound; unknown
    // notifications: nothing at all (the next message is the response).
    assert_eq!(error(&lsp.call("svcc/unknown", json!({}))).1, -32601);
    assert_eq!(error(&lsp.call("$/unknown", json!({}))).1, -32601);
    lsp.notify("$/setTrace", json!({"value": "off"}));
    lsp.notify("$/cancelRequest", json!({"id": 1}));
    lsp.notify("svcc/unknown", json!({}));
    lsp.still_answers();
    let r = lsp.call("shutdown", Value::Null);
    assert!(r["result"].is_null() && r.get("error").is_none(), "{r}");
    let r = lsp.call("workspace/symbol", json!({"query": ""}));
    assert_eq!(error(&r).1, -32600, "{r}");
    lsp.notify("exit", Value::Null);
    assert_eq!(lsp.exit_status().code(), Some(0));
}

#[test]
fn exit_without_shutdown_is_status_1() {
    let mut lsp = Lsp::start();
    lsp.notify("exit", Value::Null);
    assert_eq!(lsp.exit_status().code(), Some(1));
}

#[test]
fn code_links_are_the_sarif_help_uris() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().canonicalize().unwrap();
    let f = dir.join("x.conf");
    let text = "service imap {\n  client_limit = 4\n}\n";
    std::fs::write(&f, text).unwrap();
    let mut lsp = Lsp::start_in(&dir);
    lsp.notify("textDocument/didOpen", json!({"textDocument": {"uri": uri(&f), "languageId": "dovecot", "version": 1, "text": text}}));
    let d = lsp.diagnostics(&uri(&f));
    let href = d[0]["codeDescription"]["href"].as_str().expect("a link");
    let out = Command::new(env!("CARGO_BIN_EXE_svcc"))
        .args(["check", "--format", "sarif"])
        .arg(&f)
        .env("SVCC_CACHE_DIR", dir.join("cache"))
        .env_remove("SVCC_HELP_URI_BASE")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let rule = rules.iter().find(|r| r["id"] == d[0]["code"]).unwrap();
    assert_eq!(rule["helpUri"], href);
    let page = std::fs::read_to_string(href.strip_prefix("file://").unwrap()).unwrap();
    assert!(page.contains("svcc::blocking-client-limit"), "{page}");
}

/// An unsaved change in an included file re-checks the file that includes
/// it; saving re-checks too; closing the buffer falls back to the disk.
#[test]
fn a_change_in_an_included_file_rechecks_its_root() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().canonicalize().unwrap();
    std::fs::create_dir(dir.join("conf.d")).unwrap();
    let root = dir.join("dovecot.conf");
    let part = dir.join("conf.d/10-limits.conf");
    let root_text =
        "!include conf.d/*.conf\nservice store {\n  executable = echo\n  process_min_avail = 3\n}\n";
    std::fs::write(&root, root_text).unwrap();
    std::fs::write(&part, "default_process_limit = 5\n").unwrap();
    let mut lsp = Lsp::start_in(&dir);
    let open = |p: &Path, text: &str| json!({"textDocument": {"uri": uri(p), "languageId": "dovecot", "version": 1, "text": text}});
    lsp.notify("textDocument/didOpen", open(&root, root_text));
    assert_eq!(codes(&lsp.diagnostics(&uri(&root))), vec![]);
    lsp.notify(
        "textDocument/didOpen",
        open(&part, "default_process_limit = 5\n"),
    );
    assert_eq!(codes(&lsp.diagnostics(&uri(&root))), vec![]);
    // Unsaved: the included file lowers the limit under the root's min_avail.
    lsp.notify("textDocument/didChange", json!({"textDocument": {"uri": uri(&part), "version": 2}, "contentChanges": [{"text": "default_process_limit = 2\n"}]}));
    assert_eq!(
        codes(&lsp.diagnostics(&uri(&root))),
        vec![(3, "svcc::min-avail-over-limit".to_string())]
    );
    lsp.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": uri(&part)}}),
    );
    assert_eq!(
        codes(&lsp.diagnostics(&uri(&root))),
        vec![(3, "svcc::min-avail-over-limit".to_string())]
    );
    // Closed without saving: the disk (limit 5) counts again.
    lsp.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri(&part)}}),
    );
    assert_eq!(codes(&lsp.diagnostics(&uri(&root))), vec![]);
}

#[test]
fn suppressions_apply_in_the_editor() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().canonicalize().unwrap();
    let f = dir.join("x.conf");
    let text = "service imap {\n  # svcc: disable=blocking-client-limit\n  client_limit = 4\n  process_limit = 3 # svcc: disable=invalid-value\n}\n";
    std::fs::write(&f, text).unwrap();
    let mut lsp = Lsp::start_in(&dir);
    lsp.notify("textDocument/didOpen", json!({"textDocument": {"uri": uri(&f), "languageId": "dovecot", "version": 1, "text": text}}));
    let d = lsp.diagnostics(&uri(&f));
    assert_eq!(codes(&d), vec![(3, "svcc::unused-suppression".to_string())]);
    assert_eq!(d[0]["severity"], 2, "a warning: {d:?}");
    // The suppression goes: the finding shows.
    let text = text.replace("  # svcc: disable=blocking-client-limit\n", "\n");
    lsp.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&f), "version": 2}, "contentChanges": [{"text": text}]}),
    );
    let got = codes(&lsp.diagnostics(&uri(&f)));
    assert!(
        got.contains(&(2, "svcc::blocking-client-limit".to_string())),
        "{got:?}"
    );
}

/// Every position of a config with multi-byte text, tabs, CRLF and broken
/// lines, and positions past the ends: every request is answered (never an
/// error, never a dead server).
#[test]
fn requests_anywhere_in_an_odd_file_are_answered() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().canonicalize().unwrap();
    let f = dir.join("odd.conf");
    let text = "x = \"é😀\"\r\n\tservice s {\r\n  executable = echo # ü\n  client_limit = $x😀\n  inet_listener {\n    port = 14é3\n}\n!include nope/*.conf\nservice\n";
    std::fs::write(&f, text).unwrap();
    let mut lsp = Lsp::start_in(&dir);
    lsp.notify("textDocument/didOpen", json!({"textDocument": {"uri": uri(&f), "languageId": "dovecot", "version": 1, "text": text}}));
    let _ = lsp.diagnostics(&uri(&f));
    let lines = text.split('\n').count() as u32 + 1;
    for line in 0..lines {
        let len = text
            .split('\n')
            .nth(line as usize)
            .map_or(0, |l| l.encode_utf16().count()) as u32;
        for character in 0..len + 2 {
            let at = json!({"textDocument": {"uri": uri(&f)}, "position": {"line": line, "character": character}});
            for method in [
                "textDocument/hover",
                "textDocument/completion",
                "textDocument/definition",
            ] {
                let r = lsp.call(method, at.clone());
                assert!(
                    r.get("error").is_none(),
                    "{method} at {line}:{character}: {r}"
                );
            }
        }
        let range =
            json!({"start": {"line": line, "character": 0}, "end": {"line": line, "character": 3}});
        let r = lsp.call(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri(&f)}, "range": range, "context": {"diagnostics": []}}),
        );
        assert!(r.get("error").is_none(), "codeAction on {line}: {r}");
    }
    for method in ["textDocument/documentSymbol", "textDocument/inlayHint"] {
        let r = lsp.call(
            method,
            json!({"textDocument": {"uri": uri(&f)}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 99, "character": 0}}}),
        );
        assert!(r.get("error").is_none(), "{method}: {r}");
    }
}
