#[derive(Default)]
struct Store;

svcc::main!(config = "not_a_handler.conf", handlers = { "store" => Store });
