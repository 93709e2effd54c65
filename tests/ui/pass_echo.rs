// Compiles the echo example's config; `main` here does not start the server
// (trybuild runs pass cases).
#[allow(dead_code)]
mod example {
    svcc::main!(config = "../../examples/echo/echo.conf");
}

fn main() {}
