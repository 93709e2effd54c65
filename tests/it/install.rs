//! An installed `svcc` outlives its clone: `cargo install --path` into a
//! temporary root, delete the clone it was installed from, then `svcc build`
//! a config from another directory and run the result.

use std::path::{Path, PathBuf};
use std::process::Command;

fn out(o: &std::process::Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Copies the files git tracks (and the working tree's edits of them) from
/// this checkout into `to`: what a fresh clone holds.
fn clone_into(to: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ls = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root)
        .output()
        .expect("git ls-files");
    assert!(ls.status.success(), "git ls-files: {}", out(&ls));
    let mut n = 0;
    for rel in ls.stdout.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        let rel = Path::new(std::str::from_utf8(rel).expect("UTF-8 path"));
        let src = root.join(rel);
        if !src.is_file() {
            continue; // deleted in the working tree
        }
        let dst = to.join(rel);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(&src, &dst).unwrap();
        n += 1;
    }
    assert!(n > 50, "only {n} files copied: the test cannot tell");
}

#[test]
fn installed_svcc_builds_from_anywhere_after_the_clone_is_gone() {
    let tmp = tempfile::tempdir().unwrap();
    let clone = tmp.path().join("svcc-clone");
    clone_into(&clone);
    let root = tmp.path().join("root");
    // A target directory that survives the test, so later runs only
    // recompile svcc's own crates.
    let target: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/svcc-install-test");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let o = Command::new(&cargo)
        .args(["install", "--locked", "--quiet", "--path"])
        .arg(&clone)
        .arg("--root")
        .arg(&root)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("run cargo install");
    assert!(o.status.success(), "cargo install failed: {}", out(&o));
    let svcc = root.join("bin/svcc");
    assert!(svcc.is_file(), "cargo install wrote no bin/svcc");

    // The clone is gone; only the installed binary remains.
    std::fs::remove_dir_all(&clone).unwrap();

    let work = tmp.path().join("elsewhere");
    std::fs::create_dir(&work).unwrap();
    std::fs::write(
        work.join("hello.conf"),
        "service hello {\n  executable = banner\n  process_limit = 3\n}\n",
    )
    .unwrap();
    let o = Command::new(&svcc)
        .args(["build", "hello.conf"])
        .current_dir(&work)
        .env_remove("SVCC_SOURCE_DIR")
        .env(
            "SVCC_CACHE_DIR",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("target/svcc-test-cache"),
        )
        .env("NO_COLOR", "1")
        .output()
        .expect("run the installed svcc");
    assert!(
        o.status.success(),
        "installed svcc build failed: {}",
        out(&o)
    );
    // Default output: the config's file stem in the current directory.
    let bin = work.join("hello");
    let o = Command::new(&bin).arg("--print-config").output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success()
            && text.contains("service hello {")
            && text.contains("process_limit = 3"),
        "{}",
        out(&o)
    );
}
