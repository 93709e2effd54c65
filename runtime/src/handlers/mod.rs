//! The built-in handlers a config can name with `executable = NAME`:
//! [`Echo`], [`Discard`], [`Banner`], [`Http`], [`Metrics`] and [`Peer`]. All are
//! [`crate::handler::EventHandler`]s.

mod banner;
mod discard;
mod echo;
mod http;
mod peer;

pub use banner::Banner;
pub use discard::Discard;
pub use echo::Echo;
pub use http::{Http, Metrics};
pub use peer::Peer;
