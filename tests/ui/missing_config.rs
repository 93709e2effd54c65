svcc::main!(config = "no-such-file.conf");
