use svcc::runtime::handler::{Conn, EventHandler};
use svcc::runtime::settings::WithSettings;

struct Greet;

impl WithSettings for Greet {
    type Settings = ();
    const FIELDS: Option<&'static [&'static str]> = Some(&["greeting"]);
    fn new(_: &()) -> Self {
        Greet
    }
}

impl EventHandler for Greet {
    type State = ();
    fn open(&mut self, conn: &mut Conn<'_>) {
        conn.close();
    }
    fn readable(&mut self, _: &mut (), conn: &mut Conn<'_>) {
        conn.close();
    }
}

svcc::main!(config = "settings_unknown_key.conf", handlers = { "greet" => Greet });
