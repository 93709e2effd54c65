//! svcc's compiler: the Dovecot config language, the checked service model,
//! the catalogue of checks, diagnostics, and code generation for
//! `svcc::main!`.
//!
//! The pipeline follows the data: text → [`syntax`] (pest grammar, includes,
//! section tree with byte spans) → [`model`] (typed services over Dovecot's
//! built-in defaults, with provenance) → [`check`] (every finding at once) →
//! [`report`] (human, short, json) or [`codegen`] (tokens for the macro).
//!
//! This crate does no socket or process I/O and knows nothing of
//! `proc_macro`: the macro crate and the `svcc` binary are thin shells.
#![deny(missing_docs)]

pub mod check;
pub mod codegen;
pub mod ide;
pub mod migrate;
pub mod model;
pub mod report;
pub mod suppress;
pub mod syntax;
pub mod unit;

pub use check::{HostLimits, Options};
pub use model::catalogue::Dovecot;
pub use report::{Diagnostic, Severity};

/// A config read, modelled and checked.
#[derive(Debug)]
pub struct Checked {
    /// The syntax tree and every file read.
    pub doc: syntax::Document,
    /// The service model.
    pub model: model::Model,
    /// Every finding, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }

    /// How many findings have this severity.
    pub fn count(&self, s: Severity) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == s).count()
    }
}

/// Reads the config at `path` (`-`: stdin) with its includes and checks it.
pub fn check_path(path: &str, opts: &Options) -> Result<Checked, syntax::LoadError> {
    let (doc, diags) = syntax::load_path(path)?;
    Ok(finish(doc, diags, opts))
}

/// Checks the config at `path` as an editor has it: a file whose path is a
/// key of `overlay` is read from there (an unsaved buffer) instead of disk.
/// A top file that cannot be read is checked as empty.
pub fn check_with_overlay(path: &str, overlay: &syntax::Overlay, opts: &Options) -> Checked {
    let canon = std::fs::canonicalize(path).unwrap_or_else(|_| path.into());
    let (doc, diags) = match overlay.get(&canon) {
        Some(text) => syntax::load_overlay(path, text, overlay),
        // A regular file of the size limit, read without blocking (an
        // editor may name a FIFO or a device).
        None => {
            let bytes = syntax::read_regular(std::path::Path::new(path)).unwrap_or_default();
            syntax::load_overlay_bytes(path, bytes, overlay)
        }
    };
    finish(doc, diags, opts)
}

/// Checks a config given as text (includes relative to `name`'s directory).
pub fn check_str(name: &str, text: &str, opts: &Options) -> Checked {
    let (doc, diags) = syntax::load_str(name, text);
    finish(doc, diags, opts)
}

fn finish(doc: syntax::Document, mut diags: Vec<Diagnostic>, opts: &Options) -> Checked {
    let (mut model, more) = model::build_for(&doc, opts.dovecot);
    if opts.host.managesieve == Some(false) {
        model.without_managesieve();
    }
    diags.extend(more);
    diags.extend(check::language::check(&doc, model.version));
    diags.extend(check::run(&model, opts));
    if opts.for_build {
        let names: Vec<&str> = opts.handlers.iter().map(|(n, _)| n.as_str()).collect();
        diags.extend(codegen::diagnostics(&doc, &model, &names));
    }
    report::sort(&mut diags);
    if !opts.no_suppressions {
        diags = suppress::apply(&doc.sources, diags);
    }
    Checked {
        doc,
        model,
        diagnostics: diags,
    }
}
