// Compiles the mail-login example as a module; `main` here does not start it
// (trybuild runs pass cases).
#[allow(dead_code)]
#[path = "../../examples/mail-login/src/main.rs"]
mod example;

fn main() {}
