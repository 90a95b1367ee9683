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

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A float as JSON holds it: a number, `null` or one of the strings `"inf"`, `"-inf"`, `"nan"`.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Json {
    Number(f64),
    Text(String),
}

/// The JSON form of a float (`None`: `null`).
fn to_json(v: f64, nan_as_text: bool) -> Option<Json> {
    if v.is_finite() {
        Some(Json::Number(v))
    } else if v.is_nan() {
        nan_as_text.then(|| Json::Text("nan".into()))
    } else if v > 0.0 {
        Some(Json::Text("inf".into()))
    } else {
        Some(Json::Text("-inf".into()))
    }
}

fn from_json<E: serde::de::Error>(j: Json) -> Result<f64, E> {
    match j {
        Json::Number(v) => Ok(v),
        Json::Text(t) => match t.as_str() {
            "inf" => Ok(f64::INFINITY),
            "-inf" => Ok(f64::NEG_INFINITY),
            "nan" => Ok(f64::NAN),
            other => {
                Err(E::custom(format!("expected a number, null, \"inf\", \"-inf\" or \"nan\", found \"{other}\"")))
            }
        },
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
        to_json(*v, false).serialize(s)
    }

    /// Reads a number, `null` (NaN) or one of the strings.
    ///
    /// # Errors
    /// Any other value.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Option::<Json>::deserialize(d)?.map_or(Ok(f64::NAN), from_json)
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
        s.collect_seq(v.iter().map(|&x| to_json(x, false)))
    }

    /// Reads an array whose entries are numbers, `null`s (NaN) or the strings.
    ///
    /// # Errors
    /// A value that is not such an array.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Vec::<Option<Json>>::deserialize(d)?.into_iter().map(|j| j.map_or(Ok(f64::NAN), from_json)).collect()
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
        v.and_then(|x| to_json(x, true)).serialize(s)
    }

    /// Reads `null` (none), a number or one of the strings.
    ///
    /// # Errors
    /// Any other value.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Option::<Json>::deserialize(d)?.map(from_json).transpose()
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
        v.map(|a| a.map(|x| to_json(x, false))).serialize(s)
    }

    /// Reads `null` (none) or an array of three numbers, `null`s (NaN) or the strings.
    ///
    /// # Errors
    /// A value that is not such an array.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<[f64; 3]>, D::Error> {
        match Option::<[Option<Json>; 3]>::deserialize(d)? {
            None => Ok(None),
            Some([a, b, c]) => {
                let f = |j: Option<Json>| j.map_or(Ok(f64::NAN), from_json::<D::Error>);
                Ok(Some([f(a)?, f(b)?, f(c)?]))
            }
        }
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
    }
}
