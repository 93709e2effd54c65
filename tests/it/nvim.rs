//! A real editor: Debian's Neovim, headless, opens a broken config with
//! `svcc lsp` attached; the diagnostics Neovim holds
//! (`vim.diagnostic.get()`) are the server's, on the right lines.

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn neovim_shows_svcc_diagnostics() {
    if Command::new("nvim").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "nvim is missing: .ci/run installs Debian's neovim"
        );
        eprintln!("skipping: nvim is not installed (apt-get install neovim)");
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
    let mut child = Command::new("nvim")
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c"])
        .arg(format!("luafile {script}"))
        .env("CONF", &conf)
        .env("OUT", &out)
        .env("SVCC", env!("CARGO_BIN_EXE_svcc"))
        .env("HOME", dir.path())
        .env("XDG_STATE_HOME", dir.path())
        .current_dir(dir.path())
        .spawn()
        .expect("start nvim");
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
    let got = std::fs::read_to_string(&out).expect("the script wrote the diagnostics");
    let lines: Vec<&str> = got.lines().collect();
    assert!(
        lines.contains(&"1:2:svcc::blocking-client-limit")
            && lines.contains(&"2:18:svcc::invalid-value"),
        "{got}"
    );
}
