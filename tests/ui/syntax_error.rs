svcc::main!(config = "syntax_error.conf");
