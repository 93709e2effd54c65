#[allow(dead_code)]
struct Upper;

svcc::main!(config = "unknown_executable.conf", handlers = { upper => Upper });
