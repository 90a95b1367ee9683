//! JSON has no NaN or infinity, and serde_json writes any non-finite float as `null`: an overflowed gradient
//! norm would read back as "undefined", and an `Option<f64>` holding one as "absent". These `with` modules
//! keep the three apart: a finite value is a JSON number, +∞ and −∞ are the strings `"inf"` and `"-inf"`,
//! NaN is `null` in a plain float and the string `"nan"` in an optional one (where `null` means none).
//!
//! Reading accepts all of these, and also `null` in a plain float (NaN), so files written before
//! infinities were kept still read.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Norms {
//!     #[serde(with = "actscope_core::serde_nan::float")]
//!     grad: f64,
//!     #[serde(with = "actscope_core::serde_nan::opt_float")]
//!     ratio: Option<f64>,
//! }
//!
//! let n = Norms { grad: f64::INFINITY, ratio: Some(f64::NAN) };
//! let text = serde_json::to_string(&n).unwrap();
//! assert_eq!(text, r#"{"grad":"inf","ratio":"nan"}"#);
//! let back: Norms = serde_json::from_str(&text).unwrap();
//! assert_eq!(back.grad, f64::INFINITY);
//! assert!(back.ratio.is_some_and(f64::is_nan));
//! ```

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The JSON form of a float, written straight to the serializer: a number; `"inf"` or `"-inf"`; NaN as
/// `null`, or as `"nan"` where `nan_as_text` (an optional float, whose `null` means none).
struct Json {
    v: f64,
    nan_as_text: bool,
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.v;
        if v.is_finite() {
            s.serialize_f64(v)
        } else if v.is_nan() {
            if self.nan_as_text { s.serialize_str("nan") } else { s.serialize_none() }
        } else {
            s.serialize_str(if v > 0.0 { "inf" } else { "-inf" })
        }
    }
}

/// One float as JSON holds it, read without buffering (an untagged enum buffered every value): `None` for
/// `null`.
struct Cell(Option<f64>);

struct CellVisitor;

impl<'de> Visitor<'de> for CellVisitor {
    type Value = Cell;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, null, \"inf\", \"-inf\" or \"nan\"")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Cell, E> {
        Ok(Cell(Some(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Cell, E> {
        Ok(Cell(Some(v as f64)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Cell, E> {
        Ok(Cell(Some(v as f64)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Cell, E> {
        match v {
            "inf" => Ok(Cell(Some(f64::INFINITY))),
            "-inf" => Ok(Cell(Some(f64::NEG_INFINITY))),
            "nan" => Ok(Cell(Some(f64::NAN))),
            other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<Cell, E> {
        Ok(Cell(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Cell, E> {
        Ok(Cell(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Cell, D::Error> {
        d.deserialize_any(CellVisitor)
    }
}

impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Cell, D::Error> {
        d.deserialize_any(CellVisitor)
    }
}

impl Cell {
    /// A plain float: `null` is NaN.
    fn float(self) -> f64 {
        self.0.unwrap_or(f64::NAN)
    }
}

/// An `f64`: NaN is written as `null`, ±∞ as `"inf"` / `"-inf"`.
pub mod float {
    use super::*;

    /// Writes `v`.
    ///
    /// # Errors
    /// Those of the serializer.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        Json { v: *v, nan_as_text: false }.serialize(s)
    }

    /// Reads a number, `null` (NaN) or one of the strings.
    ///
    /// # Errors
    /// Any other value.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Cell::deserialize(d)?.float())
    }
}

/// A `Vec<f64>` whose entries are written as in [`float`].
pub mod floats {
    use super::*;

    /// Writes `v`.
    ///
    /// # Errors
    /// Those of the serializer.
    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|&v| Json { v, nan_as_text: false }))
    }

    /// Reads an array whose entries are numbers, `null`s (NaN) or the strings.
    ///
    /// # Errors
    /// A value that is not such an array.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Ok(Vec::<Cell>::deserialize(d)?.into_iter().map(Cell::float).collect())
    }
}

/// An `Option<f64>`: `None` is written as `null`, NaN as `"nan"`, ±∞ as `"inf"` / `"-inf"`.
pub mod opt_float {
    use super::*;

    /// Writes `v`.
    ///
    /// # Errors
    /// Those of the serializer.
    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        v.map(|v| Json { v, nan_as_text: true }).serialize(s)
    }

    /// Reads `null` (none), a number or one of the strings.
    ///
    /// # Errors
    /// Any other value.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(Cell::deserialize(d)?.0)
    }
}

/// An optional `[f64; 3]` whose entries are written as in [`float`].
pub mod opt_arr3 {
    use super::*;

    /// Writes `v`.
    ///
    /// # Errors
    /// Those of the serializer.
    pub fn serialize<S: Serializer>(v: &Option<[f64; 3]>, s: S) -> Result<S::Ok, S::Error> {
        v.map(|a| a.map(|v| Json { v, nan_as_text: false })).serialize(s)
    }

    /// Reads `null` (none) or an array of three numbers, `null`s (NaN) or the strings.
    ///
    /// # Errors
    /// A value that is not such an array.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<[f64; 3]>, D::Error> {
        Ok(Option::<[Cell; 3]>::deserialize(d)?.map(|a| a.map(Cell::float)))
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, Debug)]
    struct All {
        #[serde(with = "super::float")]
        x: f64,
        #[serde(with = "super::floats")]
        v: Vec<f64>,
        #[serde(with = "super::opt_float")]
        o: Option<f64>,
        #[serde(with = "super::opt_arr3")]
        a: Option<[f64; 3]>,
    }

    fn same(a: f64, b: f64) -> bool {
        a == b || (a.is_nan() && b.is_nan())
    }

    #[test]
    fn every_kind_of_float_round_trips_distinct() {
        let vals = [1.5, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, f64::MAX, f64::MIN_POSITIVE];
        for &x in &vals {
            for o in [None, Some(x)] {
                let all = All { x, v: vals.to_vec(), o, a: Some([x, f64::NAN, f64::INFINITY]) };
                let text = serde_json::to_string(&all).unwrap();
                let back: All = serde_json::from_str(&text).unwrap();
                assert!(same(back.x, x), "{text}");
                assert!(back.v.iter().zip(&vals).all(|(&a, &b)| same(a, b)), "{text}");
                assert_eq!(back.o.is_some(), o.is_some(), "{text}");
                assert!(back.o.zip(o).is_none_or(|(a, b)| same(a, b)), "{text}");
                let a = back.a.unwrap();
                assert!(same(a[0], x) && a[1].is_nan() && a[2] == f64::INFINITY, "{text}");
            }
        }
    }

    #[test]
    fn older_files_with_null_for_any_non_finite_value_still_read() {
        let back: All = serde_json::from_str(r#"{"x":null,"v":[1,null],"o":null,"a":[null,2,null]}"#).unwrap();
        assert!(back.x.is_nan() && back.v[1].is_nan() && back.o.is_none());
        assert!(back.a.unwrap()[0].is_nan());
    }

    #[test]
    fn other_text_is_refused_with_what_was_expected() {
        let e = serde_json::from_str::<All>(r#"{"x":"Infinity","v":[],"o":null,"a":null}"#).unwrap_err();
        assert!(e.to_string().contains("\"inf\"") && e.to_string().contains("Infinity"), "{e}");
        let e = serde_json::from_str::<All>(r#"{"x":true,"v":[],"o":null,"a":null}"#).unwrap_err();
        assert!(e.to_string().contains("expected a number, null, \"inf\""), "{e}");
    }
}
