//! `svcc lsp`: the Language Server Protocol over stdio (lsp-server, the
//! synchronous main loop rust-analyzer and ruff use).
//!
//! The server keeps every open buffer and re-checks on open, change and
//! save. A config is checked from its *root*: the open file (or the
//! `dovecot.conf` beside or above it) that includes it, so a `conf.d/`
//! file sees the variables and defaults its root sets, and a change in an
//! included file re-checks the files that include it. Unsaved buffers
//! replace the files on disk for every check. Everything the server knows
//! about the language comes from `svcc_compiler::ide`; here are only
//! positions (UTF-16, as LSP requires), URIs and the protocol.

use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types as lsp;
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use svcc_compiler::syntax::{FileId, SourceFile, Span};
use svcc_compiler::{ide, Checked, HostLimits, Options, Severity};

mod transport;

/// Runs the server on stdin/stdout until the client says `exit` (status 0
/// after `shutdown`, 1 without) or closes stdin.
pub fn run() -> ExitCode {
    let (conn, writer) = transport::stdio();
    let code = match serve(conn) {
        Ok(End::Clean) => ExitCode::SUCCESS,
        Ok(End::Unclean) => ExitCode::from(1),
        Err(e) => {
            eprintln!("svcc lsp: {e}");
            ExitCode::from(1)
        }
    };
    // `serve` dropped the connection: the writer ends once it has written
    // everything. The reader may be blocked on stdin; the process ends it.
    let _ = writer.join();
    code
}

/// How a session ended.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    /// `exit` (or EOF) after `shutdown`.
    Clean,
    /// `exit` or EOF without `shutdown`.
    Unclean,
}

/// Where the session is, for what the protocol allows.
#[derive(PartialEq, Eq)]
enum State {
    /// Before `initialize`: requests are answered `ServerNotInitialized`.
    New,
    Running,
    /// After `shutdown`: requests are answered `InvalidRequest`.
    ShutDown,
}

fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
            lsp::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lsp::TextDocumentSyncKind::FULL),
                save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec!["=".into(), " ".into()]),
            ..Default::default()
        }),
        definition_provider: Some(lsp::OneOf::Left(true)),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        workspace_symbol_provider: Some(lsp::OneOf::Left(true)),
        inlay_hint_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Simple(true)),
        ..Default::default()
    }
}

/// Serves one client over `conn` (stdio, or memory in tests) until `exit`
/// or the end of its messages.
pub fn serve(conn: Connection) -> Result<End, Box<dyn std::error::Error + Send + Sync>> {
    use lsp_server::ErrorCode;
    let mut state = State::New;
    // `SVCC_LSP_TIMING=1`: each notification's server time on stderr
    // (bench/lsp.py reads it).
    let timing = std::env::var_os("SVCC_LSP_TIMING").is_some_and(|v| v == "1");
    let mut s = Server::default();
    let err = |id, code: ErrorCode, msg: &str| {
        Message::Response(Response::new_err(id, code as i32, msg.to_string()))
    };
    for msg in &conn.receiver {
        match msg {
            Message::Request(req) => {
                let is_init = req.method == lsp::request::Initialize::METHOD;
                let reply = match state {
                    State::New if is_init => {
                        state = State::Running;
                        s.docs = code_docs();
                        let result = json!({
                            "capabilities": capabilities(),
                            "serverInfo": {"name": "svcc", "version": env!("CARGO_PKG_VERSION")},
                        });
                        Message::Response(Response::new_ok(req.id, result))
                    }
                    State::New => err(
                        req.id,
                        ErrorCode::ServerNotInitialized,
                        "svcc lsp: `initialize` comes first",
                    ),
                    State::Running if is_init => err(
                        req.id,
                        ErrorCode::InvalidRequest,
                        "svcc lsp: already initialized",
                    ),
                    State::Running if req.method == lsp::request::Shutdown::METHOD => {
                        state = State::ShutDown;
                        Message::Response(Response::new_ok(req.id, Value::Null))
                    }
                    State::Running => {
                        // A bug in one answer costs that answer, not the session.
                        let id = req.id.clone();
                        let answer = std::panic::AssertUnwindSafe(|| s.request(req));
                        match std::panic::catch_unwind(answer) {
                            Ok(resp) => Message::Response(resp),
                            Err(_) => err(
                                id,
                                ErrorCode::InternalError,
                                "svcc lsp: internal error (a bug in svcc; see its stderr)",
                            ),
                        }
                    }
                    State::ShutDown => err(
                        req.id,
                        ErrorCode::InvalidRequest,
                        "svcc lsp: the server is shut down; only `exit` is left",
                    ),
                };
                conn.sender.send(reply)?;
            }
            Message::Notification(n) => {
                if n.method == lsp::notification::Exit::METHOD {
                    return Ok(end(&state));
                }
                // Before `initialize` and after `shutdown` notifications are
                // dropped; unknown ones (`$/…` too) always are.
                if state == State::Running {
                    let started = std::time::Instant::now();
                    let method = timing.then(|| n.method.clone());
                    let handle = std::panic::AssertUnwindSafe(|| {
                        if s.notification(n) {
                            s.publish()
                        } else {
                            Vec::new()
                        }
                    });
                    // A panic has been printed to stderr; the next change
                    // re-checks from the buffers.
                    let notes = std::panic::catch_unwind(handle).unwrap_or_default();
                    if let Some(method) = method {
                        // Server time: the re-check and building what to
                        // publish, before any of it is written.
                        eprintln!(
                            "svcc lsp: {method} handled in {:.3} ms",
                            started.elapsed().as_secs_f64() * 1e3
                        );
                    }
                    for note in notes {
                        conn.sender.send(Message::Notification(note))?;
                    }
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(end(&state))
}

fn end(state: &State) -> End {
    if *state == State::ShutDown {
        End::Clean
    } else {
        End::Unclean
    }
}

/// code → its documentation page (`crate::docs`, the same links as SARIF's
/// `helpUri`).
fn code_docs() -> HashMap<&'static str, lsp::Uri> {
    use svcc_compiler::check::codes;
    let base = match crate::docs::help_base(None) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("svcc lsp: {e}; diagnostics carry no documentation links");
            return HashMap::new();
        }
    };
    codes::ALL
        .iter()
        .filter_map(|c| {
            let uri = lsp::Uri::from_str(&codes::help_uri(&base, c.code)).ok()?;
            Some((c.code, uri))
        })
        .collect()
}

#[derive(Default)]
struct Server {
    /// Where each code's documentation page is.
    docs: HashMap<&'static str, lsp::Uri>,
    /// Open buffers by path (canonical: [`path_of`]).
    open: BTreeMap<PathBuf, String>,
    /// The URI the editor opened each of them as: what it is told about.
    uris: BTreeMap<PathBuf, lsp::Uri>,
    /// The latest check of each root.
    roots: BTreeMap<PathBuf, Checked>,
    /// Files we published diagnostics for (to clear them when they go).
    published: Vec<PathBuf>,
}

/// The file a `file:` URI names (`file:///p` or `file://localhost/p`; a
/// query or fragment is no part of it), named as the checker names files:
/// its canonical path (links and `..` resolved; for a file not saved yet,
/// its directory's), so an editor's buffers and the checks meet whatever
/// path the editor used.
fn path_of(uri: &lsp::Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    if !rest.starts_with('/') {
        return None;
    }
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&rest[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    use std::os::unix::ffi::OsStringExt;
    let path = PathBuf::from(std::ffi::OsString::from_vec(out));
    if let Ok(c) = std::fs::canonicalize(&path) {
        return Some(c);
    }
    match (path.parent().map(std::fs::canonicalize), path.file_name()) {
        (Some(Ok(dir)), Some(name)) => Some(dir.join(name)),
        _ => Some(path),
    }
}

fn uri_of(path: &Path) -> lsp::Uri {
    lsp::Uri::from_str(&crate::docs::file_uri(path))
        .unwrap_or_else(|_| lsp::Uri::from_str("file:///").expect("a valid URI"))
}

/// Byte offset of a UTF-16 position in `text`.
fn offset(text: &str, pos: lsp::Position) -> usize {
    let mut line_start = 0;
    for _ in 0..pos.line {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let mut units = 0;
    for (i, c) in text[line_start..line_end].char_indices() {
        if units >= pos.character as usize {
            return line_start + i;
        }
        units += c.len_utf16();
    }
    line_end
}

fn file_path(f: &SourceFile) -> Option<PathBuf> {
    f.path
        .clone()
        .or_else(|| std::fs::canonicalize(&f.name).ok())
        // A buffer not saved yet: the path its URI names.
        .or_else(|| Some(PathBuf::from(&f.name)).filter(|p| p.is_absolute()))
}

impl Server {
    /// The text of a file as the editor has it, for counting columns: the
    /// open buffer, when the checker's copy has its byte length (the
    /// checker keeps a byte-order mark or what follows a NUL as blanks,
    /// byte for byte), else the checker's copy.
    fn editor_text<'a>(&'a self, f: &'a SourceFile) -> &'a str {
        file_path(f)
            .and_then(|p| self.open.get(&p))
            .filter(|t| t.len() == f.text.len())
            .map_or(&f.text, |t| t.as_str())
    }

    /// UTF-16 position of a byte offset in a file (its lines as the checker
    /// counts them, its columns in the editor's text).
    fn position(&self, f: &SourceFile, offset: u32) -> lsp::Position {
        let text = self.editor_text(f);
        let lc = f.line_col(offset);
        let start = f.line_range(lc.line).start;
        let end = (offset as usize).clamp(start, text.len());
        let end = (start..=end)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(start);
        let start = (0..=start)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        let character = text[start..end].encode_utf16().count() as u32;
        lsp::Position::new(lc.line as u32 - 1, character)
    }

    fn range(&self, checked: &Checked, span: Span) -> lsp::Range {
        let f = checked.doc.sources.get(span.file);
        lsp::Range::new(self.position(f, span.start), self.position(f, span.end))
    }

    /// The URI to tell the editor for a file: the one it opened the file
    /// as, else the file's own.
    fn uri_for(&self, path: &Path) -> lsp::Uri {
        self.uris.get(path).cloned().unwrap_or_else(|| uri_of(path))
    }

    fn host() -> HostLimits {
        HostLimits {
            somaxconn: svcc_facts::read_somaxconn(),
            nofile: None,
            managesieve: svcc_facts::managesieve_installed(),
            users: Some(crate::host_user_exists),
        }
    }

    fn check(&self, root: &Path) -> Checked {
        let opts = Options {
            host: Self::host(),
            ..Options::default()
        };
        let name = root.to_string_lossy();
        let overlay: HashMap<PathBuf, String> = self
            .open
            .iter()
            .map(|(p, t)| (p.clone(), t.clone()))
            .collect();
        svcc_compiler::check_with_overlay(&name, &overlay, &opts)
    }

    /// Re-checks every root.
    fn recheck(&mut self) {
        // Candidates: every open file, and the dovecot.conf beside or above it.
        let mut candidates: Vec<PathBuf> = self.open.keys().cloned().collect();
        for p in self.open.keys() {
            for dir in p.ancestors().skip(1).take(2) {
                let c = dir.join("dovecot.conf");
                if c.is_file() && !candidates.contains(&c) {
                    candidates.push(c);
                }
            }
        }
        let checks: Vec<(PathBuf, Checked)> = candidates
            .into_iter()
            .map(|c| (c.clone(), self.check(&c)))
            .collect();
        let includes = |c: &Checked, p: &Path| {
            c.doc
                .sources
                .files()
                .skip(1)
                .any(|(_, f)| file_path(f).as_deref() == Some(p))
        };
        let keep: Vec<bool> = checks
            .iter()
            .enumerate()
            .map(|(i, (path, checked))| {
                // Included by another candidate: that one is the root (of
                // two that include each other, the first).
                let included = checks.iter().enumerate().any(|(j, (other, c))| {
                    other != path && includes(c, path) && !(j > i && includes(checked, other))
                });
                // A candidate that is not open matters only if it includes
                // an open file.
                let useful =
                    self.open.contains_key(path) || self.open.keys().any(|o| includes(checked, o));
                !included && useful
            })
            .collect();
        self.roots = checks
            .into_iter()
            .zip(keep)
            .filter_map(|(c, k)| k.then_some(c))
            .collect();
    }

    /// The root check that holds `path`, and the file's id there.
    fn find(&self, path: &Path) -> Option<(&Checked, FileId)> {
        self.roots.values().find_map(|c| {
            c.doc
                .sources
                .files()
                .find(|(_, f)| file_path(f).as_deref() == Some(path))
                .map(|(id, _)| (c, id))
        })
    }

    fn publish(&mut self) -> Vec<Notification> {
        let mut by_file: BTreeMap<PathBuf, Vec<lsp::Diagnostic>> = BTreeMap::new();
        for checked in self.roots.values() {
            let map = &checked.doc.sources;
            for (_, f) in map.files() {
                if let Some(p) = file_path(f) {
                    by_file.entry(p).or_default();
                }
            }
            for d in &checked.diagnostics {
                let (path, rng) = match d.primary() {
                    Some(span) => (file_path(map.get(span.file)), self.range(checked, span)),
                    None => (
                        map.files().next().and_then(|(_, f)| file_path(f)),
                        lsp::Range::default(),
                    ),
                };
                let Some(path) = path else { continue };
                let mut message = d.full_message();
                if let Some(h) = &d.help {
                    message.push_str("\nhelp: ");
                    message.push_str(h);
                }
                let related: Vec<lsp::DiagnosticRelatedInformation> = d
                    .labels
                    .iter()
                    .filter_map(|l| {
                        let p = file_path(map.get(l.span.file))?;
                        Some(lsp::DiagnosticRelatedInformation {
                            location: lsp::Location::new(
                                self.uri_for(&p),
                                self.range(checked, l.span),
                            ),
                            message: l.message.clone(),
                        })
                    })
                    .collect();
                by_file.entry(path).or_default().push(lsp::Diagnostic {
                    range: rng,
                    severity: Some(match d.severity {
                        Severity::Error => lsp::DiagnosticSeverity::ERROR,
                        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
                        Severity::Advice => lsp::DiagnosticSeverity::HINT,
                    }),
                    code: Some(lsp::NumberOrString::String(d.code.to_string())),
                    code_description: self
                        .docs
                        .get(d.code)
                        .map(|href| lsp::CodeDescription { href: href.clone() }),
                    source: Some("svcc".into()),
                    message,
                    related_information: (!related.is_empty()).then_some(related),
                    ..Default::default()
                });
            }
        }
        let mut out = Vec::new();
        for gone in self.published.iter().filter(|p| !by_file.contains_key(*p)) {
            by_file_clear(&mut out, self.uri_for(gone));
        }
        self.published = by_file.keys().cloned().collect();
        for (path, mut diagnostics) in by_file {
            // A file two open roots include is in both checks: once each.
            let mut seen = std::collections::HashSet::new();
            diagnostics.retain(|d| seen.insert(serde_json::to_string(d).unwrap_or_default()));
            let params = lsp::PublishDiagnosticsParams {
                uri: self.uri_for(&path),
                diagnostics,
                version: None,
            };
            out.push(Notification::new(
                lsp::notification::PublishDiagnostics::METHOD.into(),
                params,
            ));
        }
        out
    }

    /// Handles a notification; true when diagnostics are to be published.
    fn notification(&mut self, n: Notification) -> bool {
        use lsp::notification as N;
        match n.method.as_str() {
            N::DidOpenTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp::DidOpenTextDocumentParams>(n.params)
                else {
                    return false;
                };
                let Some(path) = path_of(&p.text_document.uri) else {
                    return false;
                };
                self.uris.insert(path.clone(), p.text_document.uri);
                self.open.insert(path, p.text_document.text);
            }
            N::DidChangeTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp::DidChangeTextDocumentParams>(n.params)
                else {
                    return false;
                };
                let Some(path) = path_of(&p.text_document.uri) else {
                    return false;
                };
                if let Some(c) = p.content_changes.into_iter().last() {
                    self.open.insert(path, c.text);
                }
            }
            N::DidSaveTextDocument::METHOD => {}
            N::DidCloseTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp::DidCloseTextDocumentParams>(n.params)
                else {
                    return false;
                };
                if let Some(path) = path_of(&p.text_document.uri) {
                    self.open.remove(&path);
                    self.uris.remove(&path);
                }
            }
            _ => return false,
        }
        self.recheck();
        true
    }

    fn request(&mut self, req: Request) -> Response {
        use lsp::request as R;
        let id = req.id.clone();
        let result = match req.method.as_str() {
            R::HoverRequest::METHOD => self
                .hover(req)
                .map(|v| serde_json::to_value(v).unwrap_or_default()),
            R::Completion::METHOD => self
                .completion(req)
                .map(|v| serde_json::to_value(v).unwrap_or_default()),
            R::GotoDefinition::METHOD => self
                .definition(req)
                .map(|v| serde_json::to_value(v).unwrap_or_default()),
            R::DocumentSymbolRequest::METHOD => self
                .document_symbols(req)
                .map(|v| serde_json::to_value(v).unwrap_or_default()),
            R::WorkspaceSymbolRequest::METHOD => self
                .workspace_symbols(req)
                .map(|v| serde_json::to_value(v).unwrap_or_default()),
            R::InlayHintRequest::METHOD => self
                .inlay_hints(req)
                .map(|v| serde_json::to_value(v).unwrap_or_default()),
            R::CodeActionRequest::METHOD => self
                .code_actions(req)
                .map(|v| serde_json::to_value(v).unwrap_or_default()),
            _ => {
                return Response::new_err(
                    id,
                    lsp_server::ErrorCode::MethodNotFound as i32,
                    format!("svcc lsp: {} is not supported", req.method),
                )
            }
        };
        match result {
            Ok(v) => Response::new_ok(id, v),
            Err(e) => Response::new_err(id, lsp_server::ErrorCode::InvalidParams as i32, e),
        }
    }

    fn at(&self, doc: &lsp::TextDocumentPositionParams) -> Option<(&Checked, FileId, u32)> {
        let path = path_of(&doc.text_document.uri)?;
        let (c, id) = self.find(&path)?;
        let off = offset(self.editor_text(c.doc.sources.get(id)), doc.position) as u32;
        Some((c, id, off))
    }

    fn hover(&self, req: Request) -> Result<Option<lsp::Hover>, String> {
        let p: lsp::HoverParams = params(req)?;
        let Some((c, id, off)) = self.at(&p.text_document_position_params) else {
            return Ok(None);
        };
        Ok(
            ide::hover(c, id, off, Self::host()).map(|(span, text)| lsp::Hover {
                contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                    kind: lsp::MarkupKind::Markdown,
                    value: text,
                }),
                range: Some(self.range(c, span)),
            }),
        )
    }

    fn completion(&self, req: Request) -> Result<Option<lsp::CompletionResponse>, String> {
        let p: lsp::CompletionParams = params(req)?;
        let pos = &p.text_document_position;
        let Some(path) = path_of(&pos.text_document.uri) else {
            return Ok(None);
        };
        // Only what the editor has open: a URI it never opened may name
        // anything (a FIFO, a device).
        let Some(text) = self.open.get(&path).cloned() else {
            return Ok(None);
        };
        let off = offset(&text, pos.position);
        let items = ide::completions(&text, off, &[])
            .into_iter()
            .map(|c| lsp::CompletionItem {
                label: c.label,
                detail: Some(c.detail),
                kind: Some(if c.is_setting {
                    lsp::CompletionItemKind::PROPERTY
                } else {
                    lsp::CompletionItemKind::VALUE
                }),
                ..Default::default()
            })
            .collect();
        Ok(Some(lsp::CompletionResponse::Array(items)))
    }

    fn definition(&self, req: Request) -> Result<Option<lsp::GotoDefinitionResponse>, String> {
        let p: lsp::GotoDefinitionParams = params(req)?;
        let Some((c, id, off)) = self.at(&p.text_document_position_params) else {
            return Ok(None);
        };
        let locs: Vec<lsp::Location> = ide::definition(c, id, off)
            .into_iter()
            .filter_map(|s| {
                let f = c.doc.sources.get(s.file);
                let p = file_path(f)?;
                Some(lsp::Location::new(self.uri_for(&p), self.range(c, s)))
            })
            .collect();
        Ok((!locs.is_empty()).then_some(lsp::GotoDefinitionResponse::Array(locs)))
    }

    fn document_symbols(
        &self,
        req: Request,
    ) -> Result<Option<lsp::DocumentSymbolResponse>, String> {
        let p: lsp::DocumentSymbolParams = params(req)?;
        let Some(path) = path_of(&p.text_document.uri) else {
            return Ok(None);
        };
        let Some((c, id)) = self.find(&path) else {
            return Ok(None);
        };
        #[allow(deprecated)] // `deprecated` is a required field of the struct
        fn conv(
            this: &Server,
            c: &Checked,
            s: &ide::Symbol,
            id: FileId,
        ) -> Option<lsp::DocumentSymbol> {
            (s.header.file == id).then(|| lsp::DocumentSymbol {
                name: s.name.clone(),
                detail: None,
                kind: if s.children.is_empty() && !s.name.starts_with("service") {
                    lsp::SymbolKind::FIELD
                } else {
                    lsp::SymbolKind::MODULE
                },
                tags: None,
                deprecated: None,
                range: this.range(c, s.extent),
                selection_range: this.range(c, s.header),
                children: Some(
                    s.children
                        .iter()
                        .filter_map(|k| conv(this, c, k, id))
                        .collect(),
                ),
            })
        }
        let syms = ide::symbols(c)
            .iter()
            .filter_map(|s| conv(self, c, s, id))
            .collect();
        Ok(Some(lsp::DocumentSymbolResponse::Nested(syms)))
    }

    fn workspace_symbols(
        &self,
        req: Request,
    ) -> Result<Option<lsp::WorkspaceSymbolResponse>, String> {
        let p: lsp::WorkspaceSymbolParams = params(req)?;
        let mut out = Vec::new();
        for c in self.roots.values() {
            let mut stack: Vec<&ide::Symbol> = Vec::new();
            let all = ide::symbols(c);
            stack.extend(all.iter());
            while let Some(s) = stack.pop() {
                stack.extend(s.children.iter());
                if !s.name.contains(&p.query) {
                    continue;
                }
                let Some(path) = file_path(c.doc.sources.get(s.header.file)) else {
                    continue;
                };
                #[allow(deprecated)] // `deprecated` is a required field
                out.push(lsp::SymbolInformation {
                    name: s.name.clone(),
                    kind: lsp::SymbolKind::MODULE,
                    tags: None,
                    deprecated: None,
                    location: lsp::Location::new(self.uri_for(&path), self.range(c, s.header)),
                    container_name: None,
                });
            }
        }
        Ok(Some(lsp::WorkspaceSymbolResponse::Flat(out)))
    }

    fn inlay_hints(&self, req: Request) -> Result<Option<Vec<lsp::InlayHint>>, String> {
        let p: lsp::InlayHintParams = params(req)?;
        let Some(path) = path_of(&p.text_document.uri) else {
            return Ok(None);
        };
        let Some((c, id)) = self.find(&path) else {
            return Ok(None);
        };
        let f = c.doc.sources.get(id);
        Ok(Some(
            ide::inlay_hints(c, id)
                .into_iter()
                .map(|(off, label)| lsp::InlayHint {
                    position: self.position(f, off),
                    label: lsp::InlayHintLabel::String(label),
                    kind: None,
                    text_edits: None,
                    tooltip: None,
                    padding_left: Some(true),
                    padding_right: None,
                    data: None,
                })
                .collect(),
        ))
    }

    fn code_actions(&self, req: Request) -> Result<Option<lsp::CodeActionResponse>, String> {
        let p: lsp::CodeActionParams = params(req)?;
        let Some(path) = path_of(&p.text_document.uri) else {
            return Ok(None);
        };
        let Some((c, id)) = self.find(&path) else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for d in &c.diagnostics {
            let Some(span) = d.primary().filter(|s| s.file == id) else {
                continue;
            };
            let r = self.range(c, span);
            if r.end < p.range.start || p.range.end < r.start {
                continue;
            }
            for fix in ide::fixes(c, d) {
                // lsp-types' own map type; its Uri is a plain string inside.
                #[allow(clippy::mutable_key_type)]
                let mut changes: HashMap<lsp::Uri, Vec<lsp::TextEdit>> = HashMap::new();
                for (s, text) in &fix.edits {
                    let Some(fp) = file_path(c.doc.sources.get(s.file)) else {
                        continue;
                    };
                    changes
                        .entry(self.uri_for(&fp))
                        .or_default()
                        .push(lsp::TextEdit::new(self.range(c, *s), text.clone()));
                }
                out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                    title: fix.title,
                    kind: Some(lsp::CodeActionKind::QUICKFIX),
                    edit: Some(lsp::WorkspaceEdit::new(changes)),
                    ..Default::default()
                }));
            }
        }
        Ok(Some(out))
    }
}

fn by_file_clear(out: &mut Vec<Notification>, uri: lsp::Uri) {
    let params = lsp::PublishDiagnosticsParams {
        uri,
        diagnostics: Vec::new(),
        version: None,
    };
    out.push(Notification::new(
        lsp::notification::PublishDiagnostics::METHOD.into(),
        params,
    ));
}

fn params<T: serde::de::DeserializeOwned>(req: Request) -> Result<T, String> {
    serde_json::from_value(req.params).map_err(|e| format!("bad params: {e}"))
}

/// The protocol in memory: a client on the other end of
/// `Connection::memory()` drives a whole session, and each response is a
/// snapshot (paths written as `$DIR` and `$DOCS`).
#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    struct Client {
        conn: Connection,
        next: i32,
        dir: String,
        docs: String,
    }

    impl Client {
        fn request(&mut self, method: &str, params: Value) -> Value {
            self.next += 1;
            let id = lsp_server::RequestId::from(self.next);
            let req = Request::new(id.clone(), method.to_string(), params);
            self.conn.sender.send(req.into()).unwrap();
            loop {
                match self.recv() {
                    Message::Response(r) if r.id == id => match r.response_result {
                        Ok(v) => return self.redact(v),
                        Err(e) => panic!("{method}: {e:?}"),
                    },
                    _ => continue,
                }
            }
        }

        fn notify(&mut self, method: &str, params: Value) {
            let n = lsp_server::Notification::new(method.to_string(), params);
            self.conn.sender.send(n.into()).unwrap();
        }

        fn recv(&self) -> Message {
            self.conn
                .receiver
                .recv_timeout(Duration::from_secs(10))
                .expect("the server answers within 10 s")
        }

        /// The next diagnostics published for `uri`.
        fn diagnostics(&self, uri: &str) -> Value {
            loop {
                if let Message::Notification(n) = self.recv() {
                    if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri {
                        return self.redact(n.params);
                    }
                }
            }
        }

        fn redact(&self, v: Value) -> Value {
            let text = v
                .to_string()
                .replace(&self.docs, "$DOCS")
                .replace(&self.dir, "$DIR");
            serde_json::from_str(&text).unwrap()
        }
    }

    fn pretty(v: &Value) -> String {
        serde_json::to_string_pretty(v).unwrap()
    }

    /// A started session on `dir` (its `$DIR` in answers), and the
    /// server's thread.
    fn session(dir: &Path) -> (Client, std::thread::JoinHandle<Result<End, String>>) {
        let (server, conn) = Connection::memory();
        let thread = std::thread::spawn(move || serve(server).map_err(|e| e.to_string()));
        let mut c = Client {
            conn,
            next: 0,
            dir: dir.display().to_string(),
            docs: String::from("$DOCS"),
        };
        c.request(
            "initialize",
            json!({"capabilities": {}, "processId": null, "rootUri": null}),
        );
        c.notify("initialized", json!({}));
        (c, thread)
    }

    fn open(c: &mut Client, uri: &str, text: &str) {
        c.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "dovecot", "version": 1, "text": text}}),
        );
    }

    fn end(mut c: Client, thread: std::thread::JoinHandle<Result<End, String>>) {
        assert_eq!(c.request("shutdown", Value::Null), Value::Null);
        c.notify("exit", Value::Null);
        assert_eq!(thread.join().unwrap(), Ok(End::Clean));
    }

    /// A file opened through a symlinked directory: its buffer is what is
    /// checked (not the file on disk), under the URI the editor used, and
    /// requests on that URI are answered.
    #[test]
    fn a_file_opened_through_a_link_is_its_buffer() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().canonicalize().unwrap();
        std::fs::create_dir(dir.join("real")).unwrap();
        std::fs::write(dir.join("real/dovecot.conf"), "protocols = imap\n").unwrap();
        std::os::unix::fs::symlink(dir.join("real"), dir.join("link")).unwrap();
        let (mut c, thread) = session(&dir);
        let uri = format!("file://{}/link/../link/dovecot.conf", dir.display());
        open(&mut c, &uri, "protocols = imap\nbogus_setting = 1\n");
        let d = c.diagnostics(&uri);
        assert_eq!(d["diagnostics"][0]["code"], "svcc::unknown-setting", "{d}");
        let hover = c.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 2}}),
        );
        assert!(
            hover["contents"]["value"]
                .as_str()
                .is_some_and(|v| v.contains("protocols")),
            "{hover}"
        );
        end(c, thread);
    }

    /// Completion answers from open buffers only: a URI never opened (here
    /// a FIFO, which a read would block on) gets none, at once.
    #[test]
    fn completion_reads_no_file_the_editor_did_not_open() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().canonicalize().unwrap();
        let fifo = dir.join("fifo.conf");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let (mut c, thread) = session(&dir);
        let got = c.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri_of(&fifo).as_str()}, "position": {"line": 0, "character": 0}}),
        );
        assert_eq!(got, Value::Null);
        end(c, thread);
    }

    /// Two open files that include each other keep their diagnostics; a
    /// file two open roots include gets each of its diagnostics once.
    #[test]
    fn includes_between_open_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().canonicalize().unwrap();
        let (a, b) = (dir.join("a.conf"), dir.join("b.conf"));
        let a_text = "!include b.conf\nbogus_in_a = 1\n";
        let b_text = "!include a.conf\nbogus_in_b = 1\n";
        std::fs::write(&a, a_text).unwrap();
        std::fs::write(&b, b_text).unwrap();
        let (mut c, thread) = session(&dir);
        let (ua, ub) = (
            uri_of(&a).as_str().to_string(),
            uri_of(&b).as_str().to_string(),
        );
        open(&mut c, &ua, a_text);
        c.diagnostics(&ua);
        open(&mut c, &ub, b_text);
        let d = c.diagnostics(&ua);
        assert!(d.to_string().contains("bogus_in_a"), "{d}");
        end(c, thread);

        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().canonicalize().unwrap();
        let shared = dir.join("shared.conf");
        std::fs::write(&shared, "bogus_x = 1\n").unwrap();
        let (mut c, thread) = session(&dir);
        for n in ["one.conf", "two.conf"] {
            let p = dir.join(n);
            std::fs::write(&p, "!include shared.conf\n").unwrap();
            open(&mut c, uri_of(&p).as_str(), "!include shared.conf\n");
        }
        let us = uri_of(&shared).as_str().to_string();
        let mut d = c.diagnostics(&us);
        // (The last publication: after both roots are open.)
        while d["diagnostics"].as_array().map_or(0, Vec::len) < 1 {
            d = c.diagnostics(&us);
        }
        let n = d["diagnostics"].as_array().unwrap().len();
        let d2 = c.diagnostics(&us);
        assert_eq!(d2["diagnostics"].as_array().unwrap().len(), 1, "{n}: {d2}");
        end(c, thread);
    }

    /// Columns count the editor's text: a byte-order mark is one UTF-16
    /// unit, not the three blanks the checker keeps it as.
    #[test]
    fn columns_after_a_byte_order_mark() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().canonicalize().unwrap();
        let (mut c, thread) = session(&dir);
        let uri = uri_of(&dir.join("bom.conf")).as_str().to_string();
        open(&mut c, &uri, "\u{feff}bogus_e = 1\n");
        let d = c.diagnostics(&uri);
        let unknown = d["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == "svcc::unknown-setting")
            .cloned()
            .unwrap_or_default();
        assert_eq!(unknown["range"]["start"]["character"], 1, "{d}");
        assert_eq!(unknown["range"]["end"]["character"], 8, "{d}");
        end(c, thread);
    }

    #[test]
    fn a_buffer_not_on_disk_is_checked_too() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().canonicalize().unwrap();
        let path = dir.join("new/never-saved.conf");
        let (mut c, thread) = session(&dir);
        let uri = uri_of(&path).as_str().to_string();
        open(
            &mut c,
            &uri,
            "protocols = imap\nservice imap {\n  client_limit = 4\n}\n",
        );
        let d = c.diagnostics(&uri);
        assert_eq!(
            d["diagnostics"][0]["code"], "svcc::blocking-client-limit",
            "{d}"
        );
        end(c, thread);
    }

    #[test]
    fn a_session_in_memory() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().canonicalize().unwrap();
        std::fs::create_dir(dir.join("conf.d")).unwrap();
        std::fs::write(dir.join("conf.d/10-mail.conf"), "mail_home = /srv/%u\n").unwrap();
        let main = dir.join("dovecot.conf");
        let text = "protocols = imap\n!include conf.d/*.conf\nservice imap {\n  client_limit = 5\n  procss_limit = 10\n  \n}\nlogin_greeting = $protocols\n";
        std::fs::write(&main, text).unwrap();
        let (server, conn) = Connection::memory();
        let thread = std::thread::spawn(move || serve(server).map_err(|e| e.to_string()));
        let docs = uri_of(&crate::build::cache_dir().join("docs"));
        let mut c = Client {
            conn,
            next: 0,
            dir: dir.display().to_string(),
            docs: docs.as_str().to_string(),
        };
        let init = c.request(
            "initialize",
            json!({"capabilities": {}, "processId": null, "rootUri": null}),
        );
        insta::assert_snapshot!("initialize", pretty(&init));
        c.notify("initialized", json!({}));
        let uri = uri_of(&main).as_str().to_string();
        let open = json!({"textDocument": {"uri": uri, "languageId": "dovecot", "version": 1, "text": text}});
        c.notify("textDocument/didOpen", open);
        insta::assert_snapshot!("diagnostics on open", pretty(&c.diagnostics(&uri)));
        let at = |line: u32, character: u32| json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}});
        insta::assert_snapshot!(
            "hover on client_limit",
            pretty(&c.request("textDocument/hover", at(3, 4)))
        );
        insta::assert_snapshot!(
            "hover on a variable",
            pretty(&c.request("textDocument/hover", at(7, 19)))
        );
        let completion = c.request("textDocument/completion", at(5, 2));
        let labels: Vec<&str> = completion
            .as_array()
            .or_else(|| completion["items"].as_array())
            .expect("completion items")
            .iter()
            .filter_map(|i| i["label"].as_str())
            .collect();
        insta::assert_snapshot!("completion in a service", labels.join("\n"));
        insta::assert_snapshot!(
            "definition of an include",
            pretty(&c.request("textDocument/definition", at(1, 12)))
        );
        let range =
            json!({"start": {"line": 3, "character": 2}, "end": {"line": 3, "character": 18}});
        let actions = c.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": range, "context": {"diagnostics": []}}),
        );
        insta::assert_snapshot!("code actions on client_limit", pretty(&actions));
        // An edit that fixes the blocking service clears its diagnostic.
        let fixed = text.replace("client_limit = 5", "client_limit = 1");
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]}),
        );
        insta::assert_snapshot!("diagnostics after the fix", pretty(&c.diagnostics(&uri)));
        assert_eq!(c.request("shutdown", Value::Null), Value::Null);
        c.notify("exit", Value::Null);
        assert_eq!(thread.join().unwrap(), Ok(End::Clean));
    }
}
