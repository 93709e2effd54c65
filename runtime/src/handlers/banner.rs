use serde::Deserialize;

use crate::handler::{Conn, EventHandler};
use crate::settings::WithSettings;

/// `banner`: writes one greeting line, `* OK svcc ready\r\n` unless the
/// service's `settings { greeting = ... }` says otherwise, then closes
/// (like a mail server's login greeting): at once when the client has
/// sent nothing ([`Conn::close_complete`]), else with a lingering close.
#[derive(Debug)]
pub struct Banner {
    line: Vec<u8>,
}

/// [`Banner`]'s settings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BannerSettings {
    /// The greeting line, without its CRLF (default `* OK svcc ready`).
    #[serde(default = "BannerSettings::default_greeting")]
    pub greeting: String,
}

impl BannerSettings {
    fn default_greeting() -> String {
        "* OK svcc ready".into()
    }
}

impl Banner {
    /// The default greeting.
    pub const GREETING: &'static [u8] = b"* OK svcc ready\r\n";
}

impl WithSettings for Banner {
    type Settings = BannerSettings;
    const FIELDS: Option<&'static [&'static str]> = Some(svcc_facts::BANNER_SETTINGS);

    fn new(s: &BannerSettings) -> Self {
        // Made in every worker: no formatting code to fault in.
        Banner {
            line: [s.greeting.as_bytes(), b"\r\n"].concat(),
        }
    }
}

impl EventHandler for Banner {
    type State = ();

    fn open(&mut self, conn: &mut Conn<'_>) {
        // The queue is empty in `open`: a reply under the write limit is
        // taken whole.
        let _ = conn.write(&self.line);
        // The exchange is over: a client that sent nothing is closed at
        // once; one that did still gets the lingering close.
        conn.close_complete();
    }

    fn readable(&mut self, _state: &mut (), conn: &mut Conn<'_>) {
        conn.close();
    }
}
