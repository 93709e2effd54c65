// Compiles the custom-handler example as a module; `main` here does not start it
// (trybuild runs pass cases).
#[allow(dead_code)]
#[path = "../../examples/custom-handler/src/main.rs"]
mod example;

fn main() {}
