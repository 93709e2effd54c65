svcc::main!(config = "include_no_match.conf");
