use svcc::runtime::handler::{Conn, EventHandler};

#[derive(Default)]
struct Greet;

impl EventHandler for Greet {
    type State = ();
    fn open(&mut self, conn: &mut Conn<'_>) {
        conn.close();
    }
    fn readable(&mut self, _: &mut (), conn: &mut Conn<'_>) {
        conn.close();
    }
}

svcc::main!(config = "settings_for_plain_handler.conf", handlers = { "greet" => Greet });
