use svcc::runtime::handler::{BlockingHandler, Stream};

#[derive(Default)]
struct Store;

impl BlockingHandler for Store {
    fn serve(&mut self, _: &mut Stream) -> std::io::Result<()> {
        Ok(())
    }
}

svcc::main!(config = "blocking_handler.conf", handlers = { "store" => Store });
