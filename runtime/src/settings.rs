//! Handler settings: a service's `settings { }` section, deserialized
//! through serde into the type a handler declares
//! ([`WithSettings::Settings`]).
//!
//! The compiler parsed the section; generated code holds its entries as
//! plain data ([`SettingsSpec`]: keys, value texts, nested sections, and
//! where each was written). This module turns the texts into typed values
//! the way Dovecot reads values: `yes`/`no` booleans, numbers, sizes
//! (`64k`, `1M`), space-separated lists, an empty value as `None`. Every
//! error names the config's `FILE:LINE:COL`, and a key the type does not
//! have is an error, not ignored (unless the type itself says otherwise,
//! e.g. `#[serde(flatten)]` into a map).

use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use std::fmt;

/// A handler configured from its service's `settings { }` section: the
/// master deserializes [`Self::Settings`] before it forks (a wrong type,
/// a missing value or an unknown key stops the start-up, and `--check`,
/// with the config's location), and each worker builds its handler with
/// [`WithSettings::new`] instead of `Default`.
///
/// ```
/// use serde::Deserialize;
/// use svcc_runtime::handler::{Conn, EventHandler};
/// use svcc_runtime::settings::WithSettings;
///
/// #[derive(Deserialize)]
/// struct GreetSettings {
///     greeting: String,
///     #[serde(default)]
///     shout: bool,
/// }
///
/// struct Greet {
///     line: String,
/// }
///
/// impl WithSettings for Greet {
///     type Settings = GreetSettings;
///     const FIELDS: Option<&'static [&'static str]> = Some(&["greeting", "shout"]);
///     fn new(s: &GreetSettings) -> Self {
///         let text = if s.shout { s.greeting.to_uppercase() } else { s.greeting.clone() };
///         Greet { line: format!("{text}\r\n") }
///     }
/// }
///
/// impl EventHandler for Greet {
///     type State = ();
///     fn open(&mut self, conn: &mut Conn<'_>) {
///         let _ = conn.write(self.line.as_bytes());
///         conn.close();
///     }
///     fn readable(&mut self, _: &mut (), conn: &mut Conn<'_>) {
///         conn.close();
///     }
/// }
/// ```
///
/// with, in the config:
///
/// ```text
/// service greet {
///   executable = greet
///   settings {
///     greeting = hello there
///     shout = yes
///   }
///   inet_listener greet {
///     port = 7000
///   }
/// }
/// ```
///
/// A handler implements either `Default` (no settings; a `settings`
/// section for it is an error) or `WithSettings`, not both.
pub trait WithSettings: Sized + 'static {
    /// The settings, read from the service's `settings { }` section.
    type Settings: DeserializeOwned;
    /// The keys [`Self::Settings`] takes, when the handler lists them:
    /// `svcc::main!` then refuses an unknown key at compile time, at the
    /// key in the config. `None`: checked when the binary starts.
    const FIELDS: Option<&'static [&'static str]> = None;
    /// Builds the worker's handler (once per worker process).
    fn new(settings: &Self::Settings) -> Self;
}

/// A value in a `settings { }` section.
#[derive(Debug, Clone, Copy)]
pub enum SettingValue {
    /// `key = value` (unquoted, as Dovecot reads it).
    Text(&'static str),
    /// `key { ... }`: a nested section (a struct or map).
    Section(&'static [SettingEntry]),
}

/// One `key = value` or `key { ... }` of a `settings` section.
#[derive(Debug, Clone, Copy)]
pub struct SettingEntry {
    /// The key.
    pub key: &'static str,
    /// Its value.
    pub value: SettingValue,
    /// Where the key is written: `FILE:LINE:COL`.
    pub at: &'static str,
}

/// A service's `settings { }` section, as generated code bakes it.
#[derive(Debug, Clone, Copy)]
pub struct SettingsSpec {
    /// The entries, in config order.
    pub entries: &'static [SettingEntry],
    /// Where the section (or, without one, the service) is written:
    /// `FILE:LINE:COL`; a missing value is reported there.
    pub at: &'static str,
    /// Whether the config has a `settings` section at all.
    pub present: bool,
}

impl SettingsSpec {
    /// No `settings` section.
    pub const NONE: SettingsSpec = SettingsSpec {
        entries: &[],
        at: "",
        present: false,
    };
}

/// Why a `settings` section does not fit a handler's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    message: String,
    located: bool,
}

impl SettingsError {
    fn at(mut self, at: &str, key: Option<&str>) -> Self {
        if !self.located && !at.is_empty() {
            self.message = match key {
                Some(k) => format!("{at}: setting `{k}`: {}", self.message),
                None => format!("{at}: {}", self.message),
            };
            self.located = true;
        }
        self
    }
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SettingsError {}

impl de::Error for SettingsError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        SettingsError {
            message: msg.to_string(),
            located: false,
        }
    }
}

/// Deserializes a `settings` section into `T`.
pub fn from_settings<T: DeserializeOwned>(spec: &SettingsSpec) -> Result<T, SettingsError> {
    T::deserialize(SectionDe {
        entries: spec.entries,
        at: spec.at,
    })
    .map_err(|e| e.at(spec.at, None))
}

/// A section: a struct, a map, or (empty) `()`.
struct SectionDe {
    entries: &'static [SettingEntry],
    at: &'static str,
}

impl<'de> de::Deserializer<'de> for SectionDe {
    type Error = SettingsError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SettingsError> {
        self.deserialize_map(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SettingsError> {
        v.visit_map(Entries {
            entries: self.entries,
            next: 0,
        })
        .map_err(|e| e.at(self.at, None))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, SettingsError> {
        if let Some(e) = self.entries.iter().find(|e| !fields.contains(&e.key)) {
            let known = if fields.is_empty() {
                "it takes none".to_string()
            } else {
                format!("the settings are: {}", fields.join(", "))
            };
            return Err(SettingsError {
                message: format!("{}: unknown setting `{}` ({known})", e.at, e.key),
                located: true,
            });
        }
        if let Some((a, b)) = self.entries.iter().enumerate().find_map(|(i, a)| {
            self.entries[..i]
                .iter()
                .find(|b| b.key == a.key)
                .map(|b| (a, b))
        }) {
            return Err(SettingsError {
                message: format!(
                    "{}: setting `{}` is set twice (first at {})",
                    a.at, a.key, b.at
                ),
                located: true,
            });
        }
        self.deserialize_map(v)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SettingsError> {
        match self.entries.first() {
            None => v.visit_unit(),
            Some(e) => Err(SettingsError {
                message: format!(
                    "{}: unknown setting `{}` (this handler takes no settings)",
                    e.at, e.key
                ),
                located: true,
            }),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, SettingsError> {
        self.deserialize_unit(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SettingsError> {
        v.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, SettingsError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SettingsError> {
        v.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf seq tuple tuple_struct enum identifier
    }
}

struct Entries {
    entries: &'static [SettingEntry],
    next: usize,
}

impl<'de> de::MapAccess<'de> for Entries {
    type Error = SettingsError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, SettingsError> {
        let Some(e) = self.entries.get(self.next) else {
            return Ok(None);
        };
        seed.deserialize(e.key.into_deserializer())
            .map(Some)
            .map_err(|err: SettingsError| err.at(e.at, Some(e.key)))
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, SettingsError> {
        let e = self.entries[self.next];
        self.next += 1;
        match e.value {
            SettingValue::Text(t) => seed.deserialize(ValueDe(t)),
            SettingValue::Section(entries) => seed.deserialize(SectionDe { entries, at: e.at }),
        }
        .map_err(|err| err.at(e.at, Some(e.key)))
    }
}

/// A `key = value`'s text.
struct ValueDe(&'static str);

impl ValueDe {
    fn expected(&self, what: &str) -> SettingsError {
        de::Error::custom(format!("expected {what}, found `{}`", self.0))
    }

    fn number<T: std::str::FromStr>(&self, what: &str) -> Result<T, SettingsError> {
        let t = self.0.trim();
        if let Ok(n) = t.parse() {
            return Ok(n);
        }
        // Dovecot's sizes: a number with a unit (`64k`, `1 M`, `2G`).
        let digits = t.trim_end_matches(|c: char| c.is_ascii_alphabetic()).trim();
        let unit = t[digits.len()..].trim().to_ascii_lowercase();
        let mult: u64 = match unit.trim_end_matches('b') {
            "k" => 1 << 10,
            "m" => 1 << 20,
            "g" => 1 << 30,
            "t" => 1 << 40,
            _ => return Err(self.expected(what)),
        };
        digits
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(mult))
            .and_then(|n| n.to_string().parse().ok())
            .ok_or_else(|| self.expected(what))
    }
}

macro_rules! numbers {
    ($($method:ident $visit:ident $ty:ty, $what:expr;)*) => {$(
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SettingsError> {
            v.$visit(self.number::<$ty>($what)?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ValueDe {
    type Error = SettingsError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SettingsError> {
        v.visit_borrowed_str(self.0)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SettingsError> {
        match self.0.trim() {
            "yes" | "true" => v.visit_bool(true),
            "no" | "false" => v.visit_bool(false),
            _ => Err(self.expected("yes or no")),
        }
    }

    numbers! {
        deserialize_i8 visit_i8 i8, "a number";
        deserialize_i16 visit_i16 i16, "a number";
        deserialize_i32 visit_i32 i32, "a number";
        deserialize_i64 visit_i64 i64, "a number";
        deserialize_u8 visit_u8 u8, "a number from 0 to 255";
        deserialize_u16 visit_u16 u16, "a number from 0 to 65535";
        deserialize_u32 visit_u32 u32, "a number from 0 to 4294967295";
        deserialize_u64 visit_u64 u64, "a number (or a size: 64k, 1M)";
    }

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SettingsError> {
        v.visit_f32(
            self.0
                .trim()
                .parse()
                .map_err(|_| self.expected("a number"))?,
        )
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SettingsError> {
        v.visit_f64(
            self.0
                .trim()
                .parse()
                .map_err(|_| self.expected("a number"))?,
        )
    }

    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SettingsError> {
        let mut cs = self.0.chars();
        match (cs.next(), cs.next()) {
            (Some(c), None) => v.visit_char(c),
            _ => Err(self.expected("one character")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SettingsError> {
        if self.0.is_empty() {
            v.visit_none()
        } else {
            v.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SettingsError> {
        if self.0.is_empty() {
            v.visit_unit()
        } else {
            Err(self.expected("no value"))
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SettingsError> {
        // Dovecot's lists: words separated by blanks (or commas).
        let words: Vec<&'static str> = self
            .0
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty())
            .collect();
        v.visit_seq(de::value::SeqDeserializer::new(
            words.into_iter().map(ValueDe),
        ))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, SettingsError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, SettingsError> {
        v.visit_enum(self.0.trim().into_deserializer())
    }

    fn deserialize_map<V: Visitor<'de>>(self, _v: V) -> Result<V::Value, SettingsError> {
        Err(self.expected("a section (`key { ... }`)"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        _v: V,
    ) -> Result<V::Value, SettingsError> {
        Err(self.expected("a section (`key { ... }`)"))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SettingsError> {
        v.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i128 u128 str string bytes byte_buf tuple tuple_struct unit_struct identifier
    }
}

impl<'de> IntoDeserializer<'de, SettingsError> for ValueDe {
    type Deserializer = ValueDe;
    fn into_deserializer(self) -> ValueDe {
        self
    }
}

/// How a handler is built: `Default` (no settings) or [`WithSettings`].
pub(crate) trait Construct<H> {
    /// Checks the section against the handler's type without building it
    /// (the master, before any fork; `--check`).
    fn check(spec: &SettingsSpec) -> Result<(), SettingsError>;
    /// Builds the handler (a worker).
    fn make(spec: &SettingsSpec) -> Result<H, SettingsError>;
}

/// `Default`: the handler takes no settings.
pub(crate) enum Plain {}
/// [`WithSettings`].
pub(crate) enum Configured {}

impl<H: Default> Construct<H> for Plain {
    fn check(spec: &SettingsSpec) -> Result<(), SettingsError> {
        match spec.entries.first() {
            Some(e) => Err(SettingsError {
                message: format!(
                    "{}: unknown setting `{}` (this handler takes no settings: it \
                     implements Default, not WithSettings)",
                    e.at, e.key
                ),
                located: true,
            }),
            None => Ok(()),
        }
    }

    fn make(spec: &SettingsSpec) -> Result<H, SettingsError> {
        <Plain as Construct<H>>::check(spec)?;
        Ok(H::default())
    }
}

impl<H: WithSettings> Construct<H> for Configured {
    fn check(spec: &SettingsSpec) -> Result<(), SettingsError> {
        from_settings::<H::Settings>(spec).map(drop)
    }

    fn make(spec: &SettingsSpec) -> Result<H, SettingsError> {
        from_settings::<H::Settings>(spec).map(|s| H::new(&s))
    }
}

/// `svcc::main!`'s compile-time check of a `settings` section's keys
/// against [`WithSettings::FIELDS`]: panics (a compile error in a
/// `const`) with the first unknown key's message.
#[doc(hidden)]
pub const fn check_keys(fields: Option<&'static [&'static str]>, keys: &[&str], messages: &[&str]) {
    let Some(fields) = fields else { return };
    let mut i = 0;
    while i < keys.len() {
        let mut j = 0;
        let mut found = false;
        while j < fields.len() {
            if const_eq(keys[i], fields[j]) {
                found = true;
            }
            j += 1;
        }
        if !found {
            panic!("{}", messages[i]);
        }
        i += 1;
    }
}

const fn const_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Inner {
        depth: u32,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct S {
        greeting: String,
        #[serde(default)]
        loud: bool,
        limit: u64,
        words: Vec<String>,
        maybe: Option<u16>,
        inner: Inner,
    }

    const INNER: &[SettingEntry] = &[SettingEntry {
        key: "depth",
        value: SettingValue::Text("3"),
        at: "a.conf:7:5",
    }];

    fn spec(entries: &'static [SettingEntry]) -> SettingsSpec {
        SettingsSpec {
            entries,
            at: "a.conf:2:3",
            present: true,
        }
    }

    #[test]
    fn values_are_read_as_dovecot_reads_them() {
        const E: &[SettingEntry] = &[
            SettingEntry {
                key: "greeting",
                value: SettingValue::Text("hello there"),
                at: "a.conf:3:5",
            },
            SettingEntry {
                key: "loud",
                value: SettingValue::Text("yes"),
                at: "a.conf:4:5",
            },
            SettingEntry {
                key: "limit",
                value: SettingValue::Text("64k"),
                at: "a.conf:5:5",
            },
            SettingEntry {
                key: "words",
                value: SettingValue::Text("a b,c"),
                at: "a.conf:6:5",
            },
            SettingEntry {
                key: "maybe",
                value: SettingValue::Text(""),
                at: "a.conf:6:9",
            },
            SettingEntry {
                key: "inner",
                value: SettingValue::Section(INNER),
                at: "a.conf:7:1",
            },
        ];
        let s: S = from_settings(&spec(E)).unwrap();
        assert_eq!(
            s,
            S {
                greeting: "hello there".into(),
                loud: true,
                limit: 65536,
                words: vec!["a".into(), "b".into(), "c".into()],
                maybe: None,
                inner: Inner { depth: 3 },
            }
        );
    }

    #[test]
    fn errors_name_the_place() {
        const BAD: &[SettingEntry] = &[SettingEntry {
            key: "depth",
            value: SettingValue::Text("deep"),
            at: "a.conf:9:3",
        }];
        let e = from_settings::<Inner>(&spec(BAD)).unwrap_err().to_string();
        assert_eq!(
            e,
            "a.conf:9:3: setting `depth`: expected a number from 0 to 4294967295, found `deep`"
        );
        const UNKNOWN: &[SettingEntry] = &[SettingEntry {
            key: "width",
            value: SettingValue::Text("1"),
            at: "a.conf:4:3",
        }];
        let e = from_settings::<Inner>(&spec(UNKNOWN))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "a.conf:4:3: unknown setting `width` (the settings are: depth)"
        );
        let e = from_settings::<Inner>(&spec(&[])).unwrap_err().to_string();
        assert_eq!(e, "a.conf:2:3: missing field `depth`");
        let e = from_settings::<()>(&spec(UNKNOWN)).unwrap_err().to_string();
        assert!(e.starts_with("a.conf:4:3: unknown setting `width`"), "{e}");
    }
}
