svcc::main!(config = "blocking_service.conf");
