svcc::main!(config = "unknown_executable.conf");
