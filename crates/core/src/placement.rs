//! Where BatchNorm sits in a hidden block: the configuration-level choice, with its text form.
//!
//! ```text
//! none:    x → Linear(W, b) → z → φ → a
//! before:  x → Linear(W)    → BN → z → φ → a          (bias dropped, as in the BN paper §3.2)
//! after:   x → Linear(W, b) → z → φ → a → BN → y
//! ```
//!
//! A built network does not consult this enum: each of its hidden blocks carries a [`crate::Norm`] holding
//! exactly the BatchNorm its placement has. This is the name a configuration and a report use.

use std::fmt;
use std::str::FromStr;

use crate::spec::serde_via_str;
use crate::{Error, Result};

/// Where BatchNorm sits in each hidden block, if anywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Placement {
    /// No BatchNorm.
    None,
    /// Linear → BN → φ (the BN paper's choice; the Linear has no bias).
    Before,
    /// Linear → φ → BN.
    After,
}

/// All placements, in report order.
pub const PLACEMENTS: [Placement; 3] = [Placement::None, Placement::Before, Placement::After];

impl Placement {
    /// Trainable scalars per hidden unit besides the weights: the Linear bias (not with BN before) plus
    /// BN's γ and β (with BN placed).
    pub(crate) fn params_per_unit(self) -> usize {
        match self {
            Placement::None => 1,
            Placement::Before => 2,
            Placement::After => 3,
        }
    }
}

/// Padded to the formatter's width and alignment (`{:>10}`), as `str` is.
impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Placement::None => "none",
            Placement::Before => "before",
            Placement::After => "after",
        })
    }
}

impl FromStr for Placement {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "no" | "off" => Ok(Placement::None),
            "before" | "pre" => Ok(Placement::Before),
            "after" | "post" => Ok(Placement::After),
            _ => Err(Error::UnknownName {
                what: "placement",
                given: s.to_string(),
                expected: "none, before, after".into(),
            }),
        }
    }
}

serde_via_str!(Placement);
