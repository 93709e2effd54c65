//! A real editor: Debian's Neovim, headless, opens a broken config with
//! `svcc lsp` attached; the diagnostics Neovim holds
//! (`vim.diagnostic.get()`) are the server's, on the right lines.

use std::process::Command;
use std::time::{Duration, Instant};

fn have_nvim() -> bool {
    if Command::new("nvim").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "nvim is missing: .ci/run installs Debian's neovim"
        );
        eprintln!("skipping: nvim is not installed (apt-get install neovim)");
        return false;
    }
    true
}

/// Runs headless nvim with `script`, waiting at most 60 s.
fn run_nvim(mut cmd: Command) {
    let mut child = cmd.spawn().expect("start nvim");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("nvim did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "nvim exited with {status}");
}

/// The README's Neovim recipe, verbatim, with `svcc` on PATH: opening a
/// `dovecot.conf` attaches the server and shows its diagnostics.
#[test]
fn the_readme_recipe_for_neovim_works() {
    if !have_nvim() {
        return;
    }
    let readme = include_str!("../../README.md");
    let recipe = readme
        .split("```lua\n")
        .nth(1)
        .and_then(|r| r.split("```").next())
        .expect("a lua block in README.md");
    assert!(recipe.contains("\"svcc\", \"lsp\""), "{recipe}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("recipe.lua"), recipe).unwrap();
    let conf = dir.path().join("dovecot.conf");
    std::fs::write(&conf, "service imap {\n  client_limit = 8\n}\n").unwrap();
    let out = dir.path().join("diagnostics.txt");
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_svcc"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("nvim");
    cmd.args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c"])
        .arg(format!(
            "luafile {}",
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/nvim-recipe.lua")
        ))
        .env("RECIPE", dir.path().join("recipe.lua"))
        .env("CONF", &conf)
        .env("OUT", &out)
        .env("PATH", path)
        .env("SVCC_CACHE_DIR", dir.path().join("cache"))
        .env("HOME", dir.path())
        .env("XDG_STATE_HOME", dir.path())
        .current_dir(dir.path());
    run_nvim(cmd);
    let got = std::fs::read_to_string(&out).expect("the script wrote the diagnostics");
    assert_eq!(got.trim(), "1:2:svcc::blocking-client-limit", "{got}");
}

#[test]
fn neovim_shows_svcc_diagnostics() {
    if !have_nvim() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("broken.conf");
    std::fs::write(
        &conf,
        "service imap {\n  client_limit = 8\n  process_limit = lots\n}\n",
    )
    .unwrap();
    let out = dir.path().join("diagnostics.txt");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/nvim-diagnostics.lua"
    );
    let mut cmd = Command::new("nvim");
    cmd.args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c"])
        .arg(format!("luafile {script}"))
        .env("CONF", &conf)
        .env("OUT", &out)
        .env("SVCC", env!("CARGO_BIN_EXE_svcc"))
        .env("HOME", dir.path())
        .env("XDG_STATE_HOME", dir.path())
        .current_dir(dir.path());
    run_nvim(cmd);
    let got = std::fs::read_to_string(&out).expect("the script wrote the diagnostics");
    let lines: Vec<&str> = got.lines().collect();
    assert!(
        lines.contains(&"1:2:svcc::blocking-client-limit")
            && lines.contains(&"2:18:svcc::invalid-value"),
        "{got}"
    );
}
