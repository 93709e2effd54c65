//! `svcc::main!`: a thin shell. It parses its arguments with syn, asks
//! `svcc_compiler` to read, check and generate, and returns the tokens. No
//! checking logic lives here.
//!
//! ```ignore
//! svcc::main!(config = "svcc.conf");
//! svcc::main!(config = "svcc.conf", handlers = { "kv" => Kv });
//! ```
#![deny(missing_docs)]

extern crate proc_macro;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use std::path::PathBuf;
use svcc_compiler::codegen::{self, Handler};
use syn::parse::{Parse, ParseStream};
use syn::{braced, punctuated::Punctuated, Ident, LitStr, Token, Type};

struct Args {
    config: LitStr,
    handlers: Vec<(LitStr, Type)>,
}

struct HandlerArg {
    name: LitStr,
    ty: Type,
}

impl Parse for HandlerArg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name = input.parse()?;
        input.parse::<Token![=>]>()?;
        Ok(HandlerArg {
            name,
            ty: input.parse()?,
        })
    }
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut config = None;
        let mut handlers = Vec::new();
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            match key.to_string().as_str() {
                "config" => config = Some(input.parse::<LitStr>()?),
                "handlers" => {
                    let content;
                    braced!(content in input);
                    let list: Punctuated<HandlerArg, Token![,]> =
                        content.parse_terminated(HandlerArg::parse, Token![,])?;
                    handlers.extend(list.into_iter().map(|h| (h.name, h.ty)));
                }
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown argument `{other}`; expected `config = \"FILE\"` and optionally `handlers = {{ \"name\" => Type, ... }}`"),
                    ))
                }
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        let config = config.ok_or_else(|| {
            syn::Error::new(
                Span::call_site(),
                "missing `config = \"FILE\"` (a path relative to the crate's Cargo.toml)",
            )
        })?;
        Ok(Args { config, handlers })
    }
}

/// Reads a Dovecot-style config at compile time, checks it, and generates a
/// `main` that runs its services on svcc's runtime. Every config error is a
/// compile error carrying its code and `FILE:LINE:COL`.
#[proc_macro]
pub fn main(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let args = match syn::parse::<Args>(input) {
        Ok(a) => a,
        Err(e) => {
            // The error, and the `main` the macro would have made, so it
            // is the only error.
            let err = e.to_compile_error();
            return quote!(#err fn main() {}).into();
        }
    };
    expand(args).into()
}

/// Where the config is: relative to `CARGO_MANIFEST_DIR`, else (trybuild,
/// which builds from a copy of the manifest) relative to the invoking file.
fn resolve(rel: &str) -> (PathBuf, Option<PathBuf>) {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let mut bases: Vec<PathBuf> = manifest.into_iter().collect();
    // The invoking file's directory and its ancestors (a crate's `src/`
    // sits below its manifest; trybuild builds from elsewhere).
    if let Some(file) = proc_macro::Span::call_site().local_file() {
        let file = if file.is_absolute() {
            Some(file)
        } else {
            std::env::current_dir().ok().map(|d| d.join(file))
        };
        if let Some(file) = file {
            // Up to the crate root (the first directory with a Cargo.toml).
            for dir in file.ancestors().skip(1) {
                bases.push(dir.to_path_buf());
                if dir.join("Cargo.toml").exists() {
                    break;
                }
            }
        }
    }
    for b in &bases {
        let p = b.join(rel);
        if p.exists() {
            return (p, Some(b.clone()));
        }
    }
    let first = bases.first().cloned();
    (first.clone().unwrap_or_default().join(rel), first)
}

fn expand(args: Args) -> TokenStream {
    let rel = args.config.value();
    let (path, base) = resolve(&rel);
    let opts = svcc_compiler::Options {
        handlers: args
            .handlers
            .iter()
            .map(|(name, _)| (name.value(), false))
            .collect(),
        for_build: true,
        ..Default::default()
    };
    let mut checked = match svcc_compiler::check_path(&path.to_string_lossy(), &opts) {
        Ok(c) => c,
        Err(e) => {
            let base = base.map(|b| b.display().to_string()).unwrap_or_default();
            return codegen::load_failure(&rel, &e, &base);
        }
    };
    if let Some(base) = base {
        checked.doc.sources.relativize(&base);
    }
    let handlers: Vec<Handler> = args
        .handlers
        .iter()
        .map(|(name, ty)| Handler {
            name: name.value(),
            ty: quote!(#ty),
        })
        .collect();
    codegen::generate(&codegen::Input {
        checked: &checked,
        handlers: &handlers,
        krate: quote!(::svcc),
    })
}
