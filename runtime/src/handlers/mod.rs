//! The built-in handlers a config can name with `executable = NAME`:
//! [`Echo`], [`Discard`], [`Banner`] and [`Http`]. All are
//! [`crate::handler::EventHandler`]s.

mod banner;
mod discard;
mod echo;
mod http;

pub use banner::Banner;
pub use discard::Discard;
pub use echo::Echo;
pub use http::Http;
