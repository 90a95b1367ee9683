//! Weight initialisation schemes for [`Linear`](crate::Linear).
//!
//! With `n_in` = fan-in and `n_out` = fan-out:
//!
//! ```text
//! pytorch          W ~ U[−1/√n_in, 1/√n_in]        b ~ U[−1/√n_in, 1/√n_in]   (kaiming_uniform(a=√5))
//! glorot_standard  W ~ U[−1/√n_in, 1/√n_in]        b = 0                      (Glorot & Bengio 2010, eq. 1)
//! xavier_uniform   W ~ U[−√(6/(n_in+n_out)), +…]   b = 0
//! xavier_normal    W ~ N(0, 2/(n_in+n_out))        b = 0
//! kaiming_uniform  W ~ U[−√(6/n_in), +√(6/n_in)]   b = 0                      (He et al. 2015, ReLU gain)
//! kaiming_normal   W ~ N(0, 2/n_in)                b = 0
//! lecun_normal     W ~ N(0, 1/n_in)                b = 0
//! small_gaussian(σ) W ~ N(0, σ²)                   b = 0                      (the BN paper's MNIST net)
//! ```

use std::fmt;
use std::str::FromStr;

use crate::rng::{SeededRng, standard_normal, uniform};
use crate::spec::{parse_call, serde_via_str};
use crate::{Error, Result};

/// A weight initialisation scheme (see the module docs for the formulas).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// PyTorch's `nn.Linear` default: weights and biases U[−1/√n_in, 1/√n_in].
    PytorchDefault,
    /// Glorot & Bengio's "standard" init: U[−1/√n_in, 1/√n_in], zero biases.
    GlorotStandard,
    /// Xavier/Glorot uniform (normalised init), gain 1.
    XavierUniform,
    /// Xavier/Glorot normal, gain 1.
    XavierNormal,
    /// He/Kaiming uniform for ReLU (fan-in mode, gain √2).
    KaimingUniform,
    /// He/Kaiming normal for ReLU (fan-in mode, gain √2).
    KaimingNormal,
    /// LeCun normal: N(0, 1/n_in).
    LecunNormal,
    /// N(0, σ²) with the given σ.
    SmallGaussian(f64),
}

const NAMES: &str = "pytorch, glorot_standard, xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal, lecun_normal, small_gaussian(σ)";

enum Dist {
    Uniform(f64),
    Normal(f64),
}

impl Init {
    fn weight_dist(self, n_in: usize, n_out: usize) -> Dist {
        let (fi, fo) = (n_in as f64, n_out as f64);
        match self {
            Init::PytorchDefault | Init::GlorotStandard => Dist::Uniform(1.0 / fi.sqrt()),
            Init::XavierUniform => Dist::Uniform((6.0 / (fi + fo)).sqrt()),
            Init::XavierNormal => Dist::Normal((2.0 / (fi + fo)).sqrt()),
            Init::KaimingUniform => Dist::Uniform((6.0 / fi).sqrt()),
            Init::KaimingNormal => Dist::Normal((2.0 / fi).sqrt()),
            Init::LecunNormal => Dist::Normal((1.0 / fi).sqrt()),
            Init::SmallGaussian(s) => Dist::Normal(s),
        }
    }

    /// Draws one weight for a layer with the given fan-in and fan-out.
    pub fn sample_weight(self, rng: &mut SeededRng, n_in: usize, n_out: usize) -> f64 {
        match self.weight_dist(n_in, n_out) {
            Dist::Uniform(b) => uniform(rng, -b, b),
            Dist::Normal(s) => s * standard_normal(rng),
        }
    }

    /// Draws one bias; zero for every scheme but [`Init::PytorchDefault`].
    pub fn sample_bias(self, rng: &mut SeededRng, n_in: usize) -> f64 {
        match self {
            Init::PytorchDefault => {
                let b = 1.0 / (n_in as f64).sqrt();
                uniform(rng, -b, b)
            }
            _ => 0.0,
        }
    }

    /// Checks the scheme's parameter (σ must be positive and finite).
    pub fn validate(self) -> Result<()> {
        match self {
            Init::SmallGaussian(s) if !(s > 0.0 && s.is_finite()) => {
                Err(Error::config("init", format!("small_gaussian needs σ > 0, got {s}")))
            }
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Init {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Init::PytorchDefault => f.write_str("pytorch"),
            Init::GlorotStandard => f.write_str("glorot_standard"),
            Init::XavierUniform => f.write_str("xavier_uniform"),
            Init::XavierNormal => f.write_str("xavier_normal"),
            Init::KaimingUniform => f.write_str("kaiming_uniform"),
            Init::KaimingNormal => f.write_str("kaiming_normal"),
            Init::LecunNormal => f.write_str("lecun_normal"),
            Init::SmallGaussian(s) => write!(f, "small_gaussian({s})"),
        }
    }
}

impl FromStr for Init {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let (name, p) = parse_call("init", s, NAMES)?;
        let init = match (name.as_str(), p) {
            ("pytorch" | "pytorch_default", None) => Init::PytorchDefault,
            ("glorot_standard", None) => Init::GlorotStandard,
            ("xavier_uniform" | "glorot_uniform", None) => Init::XavierUniform,
            ("xavier_normal" | "glorot_normal", None) => Init::XavierNormal,
            ("kaiming_uniform" | "he_uniform", None) => Init::KaimingUniform,
            ("kaiming_normal" | "he_normal", None) => Init::KaimingNormal,
            ("lecun_normal", None) => Init::LecunNormal,
            ("small_gaussian", Some(s)) => Init::SmallGaussian(s),
            _ => {
                return Err(Error::UnknownName { what: "init", given: s.to_string(), expected: NAMES.to_string() });
            }
        };
        init.validate()?;
        Ok(init)
    }
}

serde_via_str!(Init);
