//! Text forms of parameterised names such as `leaky_relu(0.2)` or `small_gaussian(0.01)`.
//!
//! Activations, inits and other enums are written in configs as `name` or `name(number)`; this module
//! parses and prints that form so every enum accepts and produces the same syntax.

use crate::{Error, Result};

/// Splits `name` or `name(param)` into the lower-cased name and the optional number.
pub(crate) fn parse_call(what: &'static str, s: &str, expected: &str) -> Result<(String, Option<f64>)> {
    let s = s.trim();
    let unknown = || Error::UnknownName { what, given: s.to_string(), expected: expected.to_string() };
    match s.find('(') {
        None => {
            if s.is_empty() || s.contains(')') {
                return Err(unknown());
            }
            Ok((s.to_ascii_lowercase(), None))
        }
        Some(open) => {
            let inner = s[open + 1..].strip_suffix(')').ok_or_else(unknown)?;
            let value: f64 = inner.trim().parse().map_err(|_| Error::Config {
                field: what.to_string(),
                message: format!("{s:?}: the value in parentheses must be a number, got {inner:?}"),
            })?;
            if !value.is_finite() {
                return Err(Error::config(what, format!("{s:?}: the value in parentheses must be finite")));
            }
            Ok((s[..open].trim().to_ascii_lowercase(), Some(value)))
        }
    }
}

/// Implements `Serialize`/`Deserialize` through `Display`/`FromStr`, so configs hold the text form.
macro_rules! serde_via_str {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use serde_via_str;
