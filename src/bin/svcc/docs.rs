//! Where the documentation of svcc's codes is, for the links `--format
//! sarif` (`helpUri`) and `svcc lsp` (`codeDescription.href`) give: one
//! base, then `svcc_compiler::check::codes::help_uri` for each code.
//!
//! The base is `--help-uri-base URL` (check only), else `$SVCC_HELP_URI_BASE`,
//! else a directory of per-code Markdown pages written into svcc's cache
//! (what `svcc explain CODE` prints), as a `file://` URI: there is no
//! public docs site, and a page on this machine works without a network. A
//! repository that keeps svcc's `docs/checks.md` can point CI's SARIF at
//! it, e.g. `--help-uri-base https://github.com/ORG/svcc/blob/main/docs/checks.md`.

use std::path::Path;
use svcc_compiler::check::codes;

/// The environment variable that sets the base.
pub const ENV: &str = "SVCC_HELP_URI_BASE";

/// The base of every code's help URI; an error when the one given is not
/// an absolute URI.
pub fn help_base(flag: Option<&str>) -> Result<String, String> {
    let given = flag
        .map(str::to_string)
        .or_else(|| std::env::var(ENV).ok().filter(|v| !v.is_empty()));
    match given {
        Some(base) if is_absolute_uri(&base) => Ok(base),
        Some(base) => Err(format!(
            "the help URI base {base:?} is not an absolute URI (e.g. https://…/docs/checks.md)"
        )),
        None => Ok(pages()),
    }
}

/// RFC 3986's absolute URI, as far as a scheme goes: `scheme:` then more.
fn is_absolute_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !rest.is_empty()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Writes each code's page into the cache (when it is not there already)
/// and returns the directory's `file://` URI, ending in `/`.
fn pages() -> String {
    let dir = crate::build::cache_dir()
        .join("docs")
        .join(env!("CARGO_PKG_VERSION"));
    // Without a writable cache the links still name where the pages belong.
    if std::fs::create_dir_all(&dir).is_ok() {
        for c in codes::ALL {
            let path = dir.join(codes::page_name(c.code));
            let text = codes::page(c);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                let _ = std::fs::write(&path, text);
            }
        }
    }
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    let mut uri = file_uri(&dir);
    uri.push('/');
    uri
}

/// A path as a `file://` URI, percent-encoding what a URI cannot hold.
pub fn file_uri(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut s = String::from("file://");
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_absolute_uris_are_bases() {
        for ok in [
            "https://github.com/o/svcc/blob/main/docs/checks.md",
            "file:///usr/share/doc/svcc/",
            "urn:x",
        ] {
            assert!(super::is_absolute_uri(ok), "{ok}");
        }
        for bad in [
            "docs/checks.md",
            "/usr/share/doc",
            "1http://x",
            "http:",
            "",
            "a b:c",
        ] {
            assert!(!super::is_absolute_uri(bad), "{bad}");
        }
    }
}
