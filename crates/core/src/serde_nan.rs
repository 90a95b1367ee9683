//! JSON has no NaN: serde_json writes a non-finite float as `null`. These `deserialize_with` helpers read
//! `null` back as NaN, so records with undefined values (a diverged loss, an empty layer's mean) round-trip.

use serde::{Deserialize, Deserializer};

/// An `f64` that may be `null` (read as NaN).
///
/// # Errors
/// A value that is neither a number nor `null`.
pub fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// A `Vec<f64>` whose entries may be `null` (read as NaN).
///
/// # Errors
/// A value that is not an array of numbers or `null`s.
pub fn vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    Ok(Vec::<Option<f64>>::deserialize(d)?.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

/// An optional `[f64; 3]` whose entries may be `null` (read as NaN).
///
/// # Errors
/// A value that is not `null` or an array of three numbers or `null`s.
pub fn opt_arr3<'de, D: Deserializer<'de>>(d: D) -> Result<Option<[f64; 3]>, D::Error> {
    Ok(Option::<[Option<f64>; 3]>::deserialize(d)?.map(|a| a.map(|v| v.unwrap_or(f64::NAN))))
}
