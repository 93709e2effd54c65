//! `svcc`: check a Dovecot-style config, explain a check, show the effective
//! service settings, or build a tailored server binary.

mod build;
mod docs;
mod lsp;

use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use svcc_compiler::check::codes;
use svcc_compiler::report::{self, HumanOptions};
use svcc_compiler::{Checked, Dovecot, HostLimits, Options, Severity};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "svcc",
    version,
    about = "Check a Dovecot-style service config and compile it into a tailored pre-fork server",
    long_about = "svcc reads a Dovecot 2.3 configuration (dovecot.conf and everything it includes), \
models every service with Dovecot's defaults resolved, and reports every problem at once: syntax \
errors, bad values, unknown settings, blocking services with client_limit > 1, listen queues the \
kernel silently caps (net.core.somaxconn), file-descriptor limits below client_limit, and \
Dovecot's own checks.",
    after_help = "Examples:\n  svcc check /etc/dovecot/dovecot.conf\n  svcc check --format short dovecot.conf     # FILE:LINE:COL lines for editors\n  svcc check --somaxconn 128 -D dovecot.conf  # check for another host; warnings fail\n  svcc explain blocking-client-limit\n  svcc config dovecot.conf                    # effective service settings and where each comes from\n  svcc build examples/echo/echo.conf -o echo  # a tailored server binary"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a config and report every problem (exit 0: no errors, 1: errors, 2: usage or unreadable file).
    Check(CheckArgs),
    /// Explain a diagnostic code (`svcc explain blocking-client-limit`), or list them all.
    Explain {
        /// The code, with or without `svcc::`; omit to list every code.
        code: Option<String>,
    },
    /// Check a config, then compile it into a tailored server binary (cargo, release mode).
    Build {
        /// The config file.
        config: String,
        /// Where to write the executable (default: the config's file stem).
        #[arg(short, long, value_name = "OUT")]
        out: Option<std::path::PathBuf>,
        /// Build in debug mode.
        #[arg(long)]
        debug: bool,
    },
    /// Print systemd units (a .service and a .socket per listener) for the binary built from a config.
    Unit {
        /// The config file.
        config: String,
        /// The binary's name (default: the config's file stem, as `svcc build` names it).
        #[arg(long)]
        name: Option<String>,
        /// Where the binary is installed (default: /usr/local/bin/NAME).
        #[arg(long, value_name = "PATH")]
        exec: Option<String>,
        /// Write the unit files into DIR instead of printing them.
        #[arg(short, long, value_name = "DIR")]
        out: Option<std::path::PathBuf>,
    },
    /// Serve the Language Server Protocol on stdin/stdout (diagnostics as you type, hover, completion, ...).
    Lsp,
    /// Rewrite a Dovecot 2.3 config tree (every included file) as 2.4: renamed settings converted,
    /// comments and layout kept; what needs hand work is kept as a `# svcc migrate:` comment and
    /// listed on stderr (exit 0: nothing does, 1: something does, 2: unreadable).
    Migrate {
        /// The top config file.
        config: String,
        /// Write the converted tree here (same relative paths); without it, print a diff.
        #[arg(short, long, value_name = "DIR")]
        out: Option<std::path::PathBuf>,
        /// Print a unified diff instead of writing.
        #[arg(long)]
        diff: bool,
    },
    /// Print the effective service settings, each annotated with where it came from.
    Config {
        /// The config file (`-` for stdin).
        file: String,
        /// Read the config as this Dovecot version (default: 2.4 when it
        /// sets `dovecot_config_version`, else 2.3).
        #[arg(long, value_name = "VERSION", value_parser = parse_dovecot)]
        dovecot: Option<Dovecot>,
    },
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The config file (`-` for stdin).
    file: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Check against this net.core.somaxconn instead of /proc/sys/net/core/somaxconn.
    #[arg(long, value_name = "N")]
    somaxconn: Option<u32>,
    /// Check against this RLIMIT_NOFILE instead of this process's soft limit.
    #[arg(long, value_name = "N")]
    nofile: Option<u64>,
    /// Warnings also fail the check (exit 1).
    #[arg(short = 'D', long)]
    deny_warnings: bool,
    /// Ignore `# svcc: disable=CODE` comments: show every finding.
    #[arg(long)]
    no_suppressions: bool,
    /// With --format sarif: each rule's helpUri is URL#<code's heading>
    /// (URL: svcc's docs/checks.md), or URL<code>.md when URL ends in `/`.
    /// Default: $SVCC_HELP_URI_BASE, else per-code pages svcc writes into
    /// its cache dir (file:// URIs).
    #[arg(long, value_name = "URL")]
    help_uri_base: Option<String>,
    /// Check as this Dovecot version (default: 2.4 when the config sets
    /// `dovecot_config_version`, else 2.3).
    #[arg(long, value_name = "VERSION", value_parser = parse_dovecot)]
    dovecot: Option<Dovecot>,
    /// Also what only `svcc build` cares about (executables that name no
    /// handler).
    #[arg(skip)]
    for_build: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// miette's graphical report on stderr.
    Human,
    /// FILE:LINE:COL: SEVERITY[CODE]: MESSAGE, one per line, on stdout.
    Short,
    /// One JSON object per diagnostic (NDJSON) on stdout.
    Json,
    /// One SARIF 2.1.0 document on stdout (code scanning).
    Sarif,
    /// GitHub Actions workflow commands on stdout (annotations).
    Github,
}

fn main() -> ExitCode {
    // Exit quietly when a pager or `head` closes our output.
    // SAFETY: called first thing in main, before any thread exists.
    unsafe {
        let _ = nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigDfl,
        );
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check(args),
        Command::Explain { code } => explain(code.as_deref()),
        Command::Config { file, dovecot } => config(&file, dovecot),
        Command::Lsp => lsp::run(),
        Command::Migrate { config, out, diff } => migrate(&config, out.as_deref(), diff),
        Command::Unit {
            config,
            name,
            exec,
            out,
        } => unit(&config, name, exec, out),
        Command::Build { config, out, debug } => {
            let args = CheckArgs {
                file: config.clone(),
                format: Format::Human,
                somaxconn: None,
                nofile: None,
                deny_warnings: false,
                no_suppressions: false,
                help_uri_base: None,
                dovecot: None,
                for_build: true,
            };
            let code = check(args);
            if code != ExitCode::SUCCESS {
                return code;
            }
            build::build(&config, out.as_deref(), debug)
        }
    }
}

/// Whether this host's user database has `name` (as Dovecot's `getpwnam`).
pub(crate) fn host_user_exists(name: &str) -> bool {
    matches!(nix::unistd::User::from_name(name), Ok(Some(_)))
}

fn host_limits(args: &CheckArgs) -> HostLimits {
    let somaxconn = args.somaxconn.or_else(svcc_facts::read_somaxconn);
    let nofile = args.nofile.or_else(|| {
        nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
            .ok()
            .map(|(soft, _)| soft)
    });
    HostLimits {
        somaxconn,
        nofile,
        managesieve: svcc_facts::managesieve_installed(),
        users: Some(host_user_exists),
    }
}

fn load(file: &str, opts: &Options) -> Result<Checked, ExitCode> {
    svcc_compiler::check_path(file, opts).map_err(|e| {
        eprintln!("svcc: error: {e}");
        ExitCode::from(2)
    })
}

fn check(args: CheckArgs) -> ExitCode {
    let help_base = if matches!(args.format, Format::Sarif) {
        match docs::help_base(args.help_uri_base.as_deref()) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("svcc: error: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        String::new()
    };
    let opts = Options {
        host: host_limits(&args),
        for_build: args.for_build,
        no_suppressions: args.no_suppressions,
        dovecot: args.dovecot,
        ..Options::default()
    };
    let checked = match load(&args.file, &opts) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let map = &checked.doc.sources;
    let color = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    // At most MAX_PRINTED_PER_FILE findings per file, then one "N more"
    // line (SARIF, one document for machines, stays whole).
    let printed = if matches!(args.format, Format::Sarif) {
        Vec::new()
    } else {
        report::cap_per_file(&checked.diagnostics, report::MAX_PRINTED_PER_FILE)
    };
    for p in printed {
        let d = match p {
            report::Printed::Diagnostic(d) => d,
            report::Printed::More { file, count } => {
                let line = report::render_more(map, file, count, report::MAX_PRINTED_PER_FILE);
                match args.format {
                    // Not FILE:LINE:COL, so problem matchers skip it.
                    Format::Short => {
                        let _ = writeln!(out, "{line}");
                    }
                    Format::Github => {
                        let _ = writeln!(out, "::notice::{line}");
                    }
                    // stdout stays NDJSON.
                    _ => eprintln!("{line}"),
                }
                continue;
            }
        };
        match args.format {
            Format::Human => {
                let opts = HumanOptions {
                    color,
                    ..HumanOptions::default()
                };
                eprint!("{}", report::render_human(map, d, opts));
            }
            Format::Short => {
                let _ = writeln!(out, "{}", report::render_short(map, d));
            }
            Format::Json => {
                let rendered = report::render_human(map, d, HumanOptions::default());
                let _ = writeln!(
                    out,
                    "{}",
                    report::render_json(map, d, &rendered, checked.model.version.as_str())
                );
            }
            Format::Github => {
                let _ = writeln!(out, "{}", report::render_github(map, d));
            }
            Format::Sarif => {}
        }
    }
    if matches!(args.format, Format::Sarif) {
        let _ = writeln!(
            out,
            "{}",
            report::render_sarif(map, &checked.diagnostics, &help_base)
        );
    }
    let _ = out.flush();
    let (e, w, a) = (
        checked.count(Severity::Error),
        checked.count(Severity::Warning),
        checked.count(Severity::Advice),
    );
    let name = &map.get(svcc_compiler::syntax::FileId(0)).name;
    if matches!(args.format, Format::Human) {
        let files = map.files().count();
        let mut parts = Vec::new();
        for (n, what) in [(e, "error"), (w, "warning"), (a, "advice")] {
            if n > 0 {
                parts.push(format!(
                    "{n} {what}{}",
                    if n > 1 && what != "advice" { "s" } else { "" }
                ));
            }
        }
        let summary = if parts.is_empty() {
            "no problems found".to_string()
        } else {
            parts.join(", ")
        };
        // One write (stderr is unbuffered: `eprintln!` writes each piece).
        let line = format!(
            "svcc: {name}: {summary} ({} service{} in {files} file{})\n",
            checked.model.services.len(),
            if checked.model.services.len() == 1 {
                ""
            } else {
                "s"
            },
            if files == 1 { "" } else { "s" }
        );
        let _ = std::io::stderr().write_all(line.as_bytes());
    }
    // The process ends here: freeing a tree of millions of nodes one by one
    // would only cost time (a tenth of checking a 16 MiB config).
    std::mem::forget(checked);
    if e > 0 || (args.deny_warnings && w > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn explain(code: Option<&str>) -> ExitCode {
    match code {
        None => {
            for c in codes::ALL {
                println!("{:<34} {:<8} {}", c.code, c.severity.as_str(), c.summary);
            }
            ExitCode::SUCCESS
        }
        Some(code) => match codes::lookup(code) {
            Some(c) => {
                println!(
                    "{} ({})\n\n{}\n\n{}",
                    c.code,
                    c.severity.as_str(),
                    c.summary,
                    c.explanation
                );
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("svcc: error: unknown code `{code}`; `svcc explain` lists them all");
                ExitCode::from(2)
            }
        },
    }
}

/// `svcc migrate`: the compiler converts each file's text; this reads the
/// include tree and writes (or diffs) the results.
fn migrate(config: &str, out: Option<&std::path::Path>, diff: bool) -> ExitCode {
    let (doc, _) = match svcc_compiler::syntax::load_path(config) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("svcc: error: {e}");
            return ExitCode::from(2);
        }
    };
    let top = std::path::Path::new(config);
    let root = std::fs::canonicalize(top)
        .ok()
        .and_then(|p| p.parent().map(std::path::Path::to_path_buf))
        .unwrap_or_default();
    let mut hand_work = 0usize;
    let stdout = std::io::stdout();
    let mut so = std::io::BufWriter::new(stdout.lock());
    for (n, (_, file)) in doc.sources.files().enumerate() {
        let Some(path) = file.path.as_deref() else {
            continue;
        };
        let m = svcc_compiler::migrate::migrate(&file.text, n == 0);
        let rel = match path.strip_prefix(&root) {
            Ok(r) => r.to_path_buf(),
            Err(_) => {
                hand_work += 1;
                eprintln!(
                    "{}: svcc migrate: included from outside {}: install the converted copy in its place by hand",
                    file.name,
                    root.display()
                );
                path.strip_prefix("/").unwrap_or(path).to_path_buf()
            }
        };
        for note in &m.notes {
            hand_work += 1;
            eprintln!(
                "{}:{}: svcc migrate: {}",
                file.name, note.line, note.message
            );
        }
        match out {
            Some(dir) if !diff => {
                let dest = dir.join(&rel);
                let written = dest
                    .parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .and_then(|_| std::fs::write(&dest, &m.text));
                if let Err(e) = written {
                    eprintln!("svcc: error: {}: {e}", dest.display());
                    return ExitCode::from(2);
                }
            }
            _ => {
                if m.text != *file.text {
                    let name = rel.display().to_string();
                    // A deadline bounds the diff of a file that changed
                    // everywhere (Myers is O(N·D)); past it the hunks are
                    // coarser but still exact.
                    let d = similar::TextDiff::configure()
                        .timeout(std::time::Duration::from_secs(1))
                        .diff_lines(&*file.text, m.text.as_str());
                    let _ = write!(
                        so,
                        "{}",
                        d.unified_diff()
                            .header(&format!("a/{name}"), &format!("b/{name}"))
                    );
                }
            }
        }
    }
    let _ = so.flush();
    if hand_work > 0 {
        eprintln!("svcc migrate: {hand_work} line(s) need hand work (marked `# svcc migrate:`)");
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn parse_dovecot(s: &str) -> Result<Dovecot, String> {
    Dovecot::parse(s).ok_or_else(|| format!("`{s}` is not 2.3 or 2.4"))
}

fn config(file: &str, dovecot: Option<Dovecot>) -> ExitCode {
    let opts = Options {
        dovecot,
        ..Options::default()
    };
    let checked = match load(file, &opts) {
        Ok(c) => c,
        Err(code) => return code,
    };
    print!(
        "{}",
        svcc_compiler::model::print::render(&checked.model, &checked.doc.sources)
    );
    let errors = checked.count(Severity::Error);
    if errors > 0 {
        eprintln!("svcc: {file}: {errors} error(s); run `svcc check {file}` for details");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn unit(
    file: &str,
    name: Option<String>,
    exec: Option<String>,
    out: Option<std::path::PathBuf>,
) -> ExitCode {
    let checked = match load(file, &Options::default()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let errors = checked.count(Severity::Error);
    if errors > 0 {
        eprintln!("svcc: {file}: {errors} error(s); run `svcc check {file}` for details");
        return ExitCode::from(1);
    }
    let name = name.unwrap_or_else(|| {
        std::path::Path::new(file)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "svcc-app".into())
    });
    let exec = exec.unwrap_or_else(|| format!("/usr/local/bin/{name}"));
    let units = svcc_compiler::unit::units(&checked.model, &name, &exec);
    match out {
        None => {
            for (i, u) in units.iter().enumerate() {
                if i > 0 {
                    println!();
                }
                println!("### {}\n{}", u.file, u.text.trim_end());
            }
        }
        Some(dir) => {
            for u in &units {
                let path = dir.join(&u.file);
                if let Err(e) = std::fs::write(&path, &u.text) {
                    eprintln!("svcc: error: cannot write {}: {e}", path.display());
                    return ExitCode::from(2);
                }
                eprintln!("svcc: wrote {}", path.display());
            }
        }
    }
    ExitCode::SUCCESS
}
