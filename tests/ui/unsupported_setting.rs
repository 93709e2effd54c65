svcc::main!(config = "unsupported_setting.conf");
