//! Group-sequential testing across rounds of seeds: α-spending boundaries, the graphical Holm procedure
//! for the comparisons of one claim, and the seeds a comparison would need.
//!
//! Seeds are run in rounds. After each round every comparison still open is re-tested; a comparison that
//! is decided stops consuming runs, the others get another round, up to a cap `n_max` seeds per arm.
//! Looking repeatedly at accumulating data inflates the error rate of a fixed-level test; the boundaries
//! below keep it at the design's α however many looks are taken.
//!
//! ```text
//! per comparison   H_claimed : a − b ≤ m   (rejected → Supports),   H_opposite : a − b ≥ m   (→ Contradicts)
//! levels           α/2 per direction, so P(Supports or Contradicts | a − b = m) ≤ α/2 + α/2 = α
//! information      t_k = n_k / n_max,  n_k = seeds per arm (pairs) at look k
//! spending         O'Brien–Fleming type  α(t) = 2 − 2Φ(z_{1−α/2} / √t)        (Lan & DeMets 1983)
//!                  Pocock type           α(t) = α · ln(1 + (e − 1)·t)
//! boundaries       c_1 = Φ⁻¹(1 − α(t_1)),  and c_k solves P_0(Z_1 < c_1, …, Z_{k−1} < c_{k−1}, Z_k ≥ c_k)
//!                  = α(t_k) − α(t_{k−1}) under the canonical joint distribution Z ~ N(0, Σ),
//!                  Σ_ij = √(t_i/t_j) (i ≤ j), by numerical integration (Armitage, McPherson & Rowe 1969;
//!                  Jennison & Turnbull 2000, ch. 19: Simpson's rule on a 6r − 1 point grid, r = 16)
//! small samples    z_k = Φ⁻¹(1 − p_k), p_k the one-sided t-test p-value at look k ("significance level
//!                  approach", Jennison & Turnbull §3.8, §11): reject at look k iff p_k ≤ 1 − Φ(c_k)
//! multiplicity     per direction, the graphical group-sequential Holm procedure (Maurer & Bretz 2013):
//!                  with I the hypotheses not yet rejected, each H_i ∈ I is tested at level α/2 · 1/|I|;
//!                  H_i is rejected at look k if p_{i,l} ≤ 1 − Φ(c_{i,l}(α/2·1/|I|)) for some l ≤ k;
//!                  a rejection removes H_i from I, which raises the others' level (α passed equally),
//!                  their boundaries are recomputed at that level and the test repeated at the same look
//! power (fixed n)  smallest n with F_ν(|δ|·√n / √V − t_{1−α₁,ν}) ≥ 1 − β,
//!                  paired V = s_d², ν = n − 1;  Welch V = s_a² + s_b², ν = V²(n − 1)/(s_a⁴ + s_b⁴)
//! ```
//!
//! **The t to z conversion is an approximation.** The z-boundaries assume normal statistics with known
//! variance; with per-seed t statistics each look's p-value is exact on its own, but the joint
//! distribution of the looks is only close to the canonical one. The simulation tests
//! (`tests/it/sequential.rs`) measure the resulting error rates; `docs/statistics.md` lists them: with a
//! first look at 5 seeds the rate of wrong calls is 0.052–0.054 instead of 0.050. [`LookLevels::Bonferroni`]
//! (nominal level at each look = the α spent there) is exact for any joint distribution and conservative.
//!
//! **Why α/2 per direction.** Both one-sided hypotheses are true when the difference is exactly at the
//! threshold, so testing each at α/2 bounds the chance of a wrong call in either direction by α. (The
//! fixed-sample verdict rules test each direction at α, which bounds it by 2α.)
//!
//! **What the Holm step does, exactly.** Within one claim and one direction the hypotheses start with
//! equal weights 1/m. The closed test of an intersection H_J rejects when some j ∈ J crosses its own
//! group-sequential boundary at level α/2·1/|J| at some look; this is a valid level-α/2 test (Bonferroni
//! over j, each boundary spends at most its level over all looks). The shortcut above gives exactly the
//! rejections of that closed test, because boundaries fall as the level rises. A comparison decided in one
//! direction stops; its hypothesis in the other direction is never rejected afterwards and keeps its
//! weight (it is not passed on), which only makes the procedure more conservative.
//!
//! Boundaries are memoised per thread (keyed by level, spending function, cap and the seeds at each
//! look), so re-deciding a claim after every round costs little.
//!
//! ```
//! use actscope_metrics::sequential::{Decision, Design, Look, Spending, decide};
//!
//! let design = Design::new(0.05, Spending::OBrienFleming, 20);
//! // One comparison, looked at after 5 and 10 seeds; very clear by the second look.
//! let history = [Look::new(5, 0.02, 0.98), Look::new(10, 1e-5, 1.0 - 1e-5)];
//! let out = decide(&design, &[&history[..]]).unwrap();
//! assert_eq!(out[0].decision, Decision::Supports { at_n: 10 });
//! // The same p-value at the first look is not enough: the first boundary is strict.
//! let out = decide(&design, &[&history[..1]]).unwrap();
//! assert_eq!(out[0].decision, Decision::Continue);
//! ```

use std::cell::RefCell;
use std::collections::HashMap;
use std::f64::consts::{E, SQRT_2};
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};
use statrs::function::erf::{erfc, erfc_inv};

use crate::stats::{TTest, paired, welch};

/// Errors of the sequential procedures: a design or a history that cannot be tested.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SequentialError {
    /// α must lie in (0, 1).
    #[error("alpha must lie in (0, 1), got {0}")]
    Alpha(f64),
    /// The cap must be at least 2 seeds per arm (a t-test needs 2).
    #[error("n_max must be at least 2 seeds per arm, got {0}")]
    Cap(usize),
    /// Seeds at successive looks must increase strictly, starting at 1 or more.
    #[error("comparison {comparison}: look {look} has n = {n}, expected more than {previous}")]
    NotIncreasing {
        /// Index of the comparison in the input.
        comparison: usize,
        /// The look's round: its index in the comparison's history (for `decide_in_rounds`, `None`s counted).
        look: usize,
        /// Seeds at this look.
        n: usize,
        /// Seeds at the previous look (0 for the first).
        previous: usize,
    },
    /// A look has more seeds than the design's cap.
    #[error("comparison {comparison}: look {look} has n = {n}, beyond the cap n_max = {n_max}")]
    PastCap {
        /// Index of the comparison in the input.
        comparison: usize,
        /// The look's round: its index in the comparison's history (for `decide_in_rounds`, `None`s counted).
        look: usize,
        /// Seeds at this look.
        n: usize,
        /// The design's cap.
        n_max: usize,
    },
    /// A p-value outside [0, 1] (NaN is allowed and never rejects).
    #[error("comparison {comparison}: look {look} has p-value {p}, expected a value in [0, 1] or NaN")]
    PValue {
        /// Index of the comparison in the input.
        comparison: usize,
        /// The look's round: its index in the comparison's history (for `decide_in_rounds`, `None`s counted).
        look: usize,
        /// The offending value.
        p: f64,
    },
}

/// Result type of this module.
pub type Result<T> = std::result::Result<T, SequentialError>;

/// An α-spending function (Lan & DeMets 1983): how much of a level α may be spent by information
/// fraction t ∈ [0, 1]. Both are increasing in t and in α, 0 at t = 0 and α at t = 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Spending {
    /// O'Brien–Fleming type, `α(t) = 2 − 2Φ(z_{1−α/2}/√t)`: spends almost nothing early, so the last
    /// boundary is close to the fixed-sample one.
    #[default]
    OBrienFleming,
    /// Pocock type, `α(t) = α·ln(1 + (e − 1)t)`: spends evenly, stops earlier on large effects.
    Pocock,
}

impl Spending {
    /// The level spent by information fraction `t` (clamped to [0, 1]) out of `alpha`.
    pub fn spent(self, alpha: f64, t: f64) -> f64 {
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
        if t == 0.0 {
            return 0.0;
        }
        match self {
            Spending::OBrienFleming => 2.0 * normal_sf(normal_isf(alpha / 2.0) / t.sqrt()),
            Spending::Pocock => alpha * (1.0 + (E - 1.0) * t).ln(),
        }
    }
}

/// The parameters of a group-sequential comparison design.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Design {
    /// Error rate, both directions together: per comparison, and family-wise per claim (e.g. 0.05).
    pub alpha: f64,
    /// The α-spending function, used in each direction at its level.
    pub spending: Spending,
    /// The cap: seeds per arm (pairs, for paired comparisons) at which a comparison stops undecided.
    pub n_max: usize,
    /// Power targeted by [`Design::seeds_to_decide`] (e.g. 0.8).
    pub power: f64,
    /// How each look's nominal level is derived from the spending function.
    pub looks: LookLevels,
}

/// How the nominal level of each look is derived from the α spent there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LookLevels {
    /// Boundaries of the canonical joint normal distribution (numerical integration), applied to the t-test
    /// p-values (significance level approach). Close to exact for normal statistics; with t statistics on
    /// few seeds the error rate runs slightly above the level (0.0519 against 0.05 with first looks at 5
    /// seeds, measured in `docs/statistics.md` §5.2), so it is not the default.
    Correlated,
    /// Nominal level at look k = α(t_k) − α(t_{k−1}), the α spent there (Bonferroni over looks). Valid for
    /// any joint distribution of the looks, so exact for t-tests, Welch included; conservative. The
    /// default.
    #[default]
    Bonferroni,
}

impl Default for Design {
    /// α = 0.05, O'Brien–Fleming-type spending, a cap of 20 seeds, 80% power.
    fn default() -> Self {
        Design { alpha: 0.05, spending: Spending::OBrienFleming, n_max: 20, power: 0.8, looks: LookLevels::Bonferroni }
    }
}

impl Design {
    /// A design with 80% target power and [`LookLevels::Bonferroni`] looks, valid at α whatever the looks'
    /// correlation (set `looks` to [`LookLevels::Correlated`] for the nearly exact, slightly liberal ones).
    pub fn new(alpha: f64, spending: Spending, n_max: usize) -> Self {
        Design { alpha, spending, n_max, power: 0.8, looks: LookLevels::Bonferroni }
    }

    /// Checks α ∈ (0, 1) and `n_max ≥ 2`.
    pub fn validate(&self) -> Result<()> {
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(SequentialError::Alpha(self.alpha));
        }
        if self.n_max < 2 {
            return Err(SequentialError::Cap(self.n_max));
        }
        Ok(())
    }

    /// The level of each direction, α/2.
    pub fn alpha_per_direction(&self) -> f64 {
        self.alpha / 2.0
    }

    /// The boundaries at one-sided `level` for looks after `ns` seeds (strictly increasing, ≤ `n_max`).
    pub fn boundaries(&self, level: f64, ns: &[usize]) -> Result<Vec<Boundary>> {
        self.validate()?;
        if !(level > 0.0 && level < 1.0) {
            return Err(SequentialError::Alpha(level));
        }
        check_ns(ns.iter().copied().enumerate(), self.n_max, 0)?;
        let z = self.z_boundaries(level, ns);
        Ok(ns
            .iter()
            .zip(z.iter())
            .map(|(&n, &z)| {
                let t = n as f64 / self.n_max as f64;
                Boundary { n, t, spent: self.spending.spent(level, t), z, p: normal_sf(z) }
            })
            .collect())
    }

    /// Seeds per arm at which a fixed-sample test of this `effect` would decide it with probability
    /// [`Design::power`], at the smallest level Holm can give one of `comparisons` comparisons in a
    /// direction, α/(2·comparisons). `None` if the effect is zero or not finite.
    ///
    /// A planning figure: the sequential design's last boundary is a little stricter than the fixed one
    /// (O'Brien–Fleming type: z ≈ 2.03 instead of 1.96 at α/2 = 0.025 with five looks, a few % more seeds).
    pub fn seeds_to_decide(&self, effect: &Effect, comparisons: usize) -> Option<usize> {
        let level = self.alpha_per_direction() / comparisons.max(1) as f64;
        fixed_n(effect, level, self.power)
    }

    /// The smallest true difference from the threshold that a fixed-sample test with `n` seeds per arm,
    /// at the level of [`Design::seeds_to_decide`], detects with probability [`Design::power`], given the
    /// runs' `spread`: [`detectable`]. A property of the design and the spread, not of the observed
    /// difference, so it is the planning figure for a comparison left undecided.
    pub fn detectable(&self, spread: Spread, comparisons: usize, n: usize) -> Option<f64> {
        let level = self.alpha_per_direction() / comparisons.max(1) as f64;
        detectable(spread, level, self.power, n)
    }

    fn z_boundaries(&self, level: f64, ns: &[usize]) -> Rc<Vec<f64>> {
        let key = (level.to_bits(), self.spending, self.looks, self.n_max, ns.to_vec());
        if let Some(z) = MEMO.with(|m| m.borrow().get(&key).cloned()) {
            return z;
        }
        let t: Vec<f64> = ns.iter().map(|&n| n as f64 / self.n_max as f64).collect();
        let cumulative: Vec<f64> = t.iter().map(|&t| self.spending.spent(level, t)).collect();
        let z = Rc::new(match self.looks {
            LookLevels::Correlated => spending_boundaries(&t, &cumulative),
            LookLevels::Bonferroni => {
                let mut spent = 0.0;
                cumulative
                    .iter()
                    .map(|&a| {
                        let z = if a > spent { normal_isf(a - spent) } else { f64::INFINITY };
                        spent = spent.max(a);
                        z
                    })
                    .collect()
            }
        });
        MEMO.with(|m| {
            let mut m = m.borrow_mut();
            if m.len() >= MEMO_CAP {
                m.clear();
            }
            m.insert(key, Rc::clone(&z));
        });
        z
    }
}

type MemoKey = (u64, Spending, LookLevels, usize, Vec<usize>);
const MEMO_CAP: usize = 4096;

thread_local! {
    static MEMO: RefCell<HashMap<MemoKey, Rc<Vec<f64>>>> = RefCell::new(HashMap::new());
}

/// One look's boundary in one direction.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Boundary {
    /// Seeds per arm at the look.
    pub n: usize,
    /// Information fraction n / n_max.
    pub t: f64,
    /// Cumulative level spent by this look, α(t).
    pub spent: f64,
    /// Critical z value c_k (+∞ where nothing is spent).
    pub z: f64,
    /// Nominal one-sided p-value boundary 1 − Φ(c_k): the look rejects if p ≤ this.
    pub p: f64,
}

/// One look at a comparison: seeds per arm so far and the two one-sided p-values of the test of
/// "a − b > m" on all of them.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Look {
    /// Seeds per arm (pairs for a paired test; the smaller arm for Welch).
    pub n: usize,
    /// One-sided p-value for the claimed direction, a − b > m (NaN: untestable, never rejects).
    pub p_claimed: f64,
    /// One-sided p-value for the opposite direction, a − b < m.
    pub p_opposite: f64,
}

fn finite(x: &[f64]) -> Vec<f64> {
    x.iter().copied().filter(|v| v.is_finite()).collect()
}

impl Look {
    /// A look from its parts.
    pub fn new(n: usize, p_claimed: f64, p_opposite: f64) -> Self {
        Look { n, p_claimed, p_opposite }
    }

    /// A look from a t-test of (a − m) against b: `p_claimed = p_greater`, `p_opposite = p_less`.
    pub fn from_test(n: usize, t: &TTest) -> Self {
        Look { n, p_claimed: t.p_greater, p_opposite: t.p_less }
    }

    /// Welch's test of "a − b > threshold" on independent runs; non-finite values are dropped and
    /// `n` is the smaller arm. `None` if an arm has fewer than 2 values.
    pub fn welch(a: &[f64], b: &[f64], threshold: f64) -> Option<Self> {
        let a: Vec<f64> = finite(a).into_iter().map(|x| x - threshold).collect();
        let b = finite(b);
        welch(&a, &b).map(|t| Look::from_test(a.len().min(b.len()), &t))
    }

    /// Paired t-test of "a − b > threshold", `a[i]` and `b[i]` from the same seed; a pair with a
    /// non-finite value is dropped. `None` if the lengths differ or fewer than 2 pairs remain.
    pub fn paired(a: &[f64], b: &[f64], threshold: f64) -> Option<Self> {
        if a.len() != b.len() {
            return None;
        }
        let (x, y): (Vec<f64>, Vec<f64>) =
            a.iter().zip(b).filter(|(x, y)| x.is_finite() && y.is_finite()).map(|(x, y)| (x - threshold, *y)).unzip();
        paired(&x, &y).map(|t| Look::from_test(x.len(), &t))
    }

    /// One-sample t-test of "mean of a > threshold". `None` with fewer than 2 finite values.
    pub fn one_sample(a: &[f64], threshold: f64) -> Option<Self> {
        let x: Vec<f64> = finite(a).into_iter().map(|x| x - threshold).collect();
        paired(&x, &vec![0.0; x.len()]).map(|t| Look::from_test(x.len(), &t))
    }
}

/// Where a comparison stands after the latest look.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    /// The claimed direction crossed its boundary; decided after `at_n` seeds per arm.
    Supports {
        /// Seeds per arm at the look that decided it.
        at_n: usize,
    },
    /// The opposite direction crossed its boundary; decided after `at_n` seeds per arm.
    Contradicts {
        /// Seeds per arm at the look that decided it.
        at_n: usize,
    },
    /// Not decided and below the cap: run another round of seeds.
    Continue,
    /// Not decided and the cap reached: stop, undecided.
    Undecided,
}

impl Decision {
    /// Whether the comparison needs no more seeds.
    pub fn is_final(self) -> bool {
        !matches!(self, Decision::Continue)
    }
}

/// The sequential outcome of one comparison, with the levels and boundaries it was tested against.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sequential {
    /// The decision.
    pub decision: Decision,
    /// Seeds per arm at the look the decision refers to (the deciding look, else the latest; 0 if none).
    pub n: usize,
    /// One-sided level of the claimed direction when last tested: α/2 over the number of claimed
    /// hypotheses of the claim not yet rejected (Holm).
    pub level_claimed: f64,
    /// The same for the opposite direction.
    pub level_opposite: f64,
    /// Nominal p-value boundary of the claimed direction at that look and level (NaN if never tested).
    pub p_bound_claimed: f64,
    /// The same for the opposite direction.
    pub p_bound_opposite: f64,
}

/// Checks that the seeds of a comparison's looks, each given with its round, increase and stay within the
/// cap; an error names the look by its round.
fn check_ns(looks: impl IntoIterator<Item = (usize, usize)>, n_max: usize, comparison: usize) -> Result<()> {
    let mut previous = 0;
    for (look, n) in looks {
        if n <= previous {
            return Err(SequentialError::NotIncreasing { comparison, look, n, previous });
        }
        if n > n_max {
            return Err(SequentialError::PastCap { comparison, look, n, n_max });
        }
        previous = n;
    }
    Ok(())
}

/// Decides the comparisons of one claim from their histories of looks (one slice per comparison, looks
/// in time order, look k of every comparison taken in round k). Where a comparison has no look in some
/// round (no new data for it), use [`decide_in_rounds`], which keeps the rounds aligned.
///
/// The procedure is replayed round by round, so the result only depends on the data each decision could
/// have seen: looks after a comparison's deciding look are ignored, and calling this after every round
/// with the histories so far gives the same decisions as one call at the end. A comparison with an empty
/// history is `Continue` (no data yet). NaN p-values never reject.
///
/// # Errors
/// An invalid design, looks whose seeds do not increase or pass the cap, or p-values outside [0, 1].
pub fn decide<H: AsRef<[Look]>>(design: &Design, histories: &[H]) -> Result<Vec<Sequential>> {
    let rounds: Vec<Vec<Option<Look>>> =
        histories.iter().map(|h| h.as_ref().iter().copied().map(Some).collect()).collect();
    decide_in_rounds(design, &rounds)
}

/// [`decide`] with the rounds spelled out: entry k of a comparison's history is its look in round k, or
/// `None` where that round gave it no look (no new seeds with a value on both sides, say). The Holm
/// procedure is replayed round by round, so a comparison's look counts from the round it was taken in,
/// not from its position among the comparison's looks; a decision's `at_n` is the seeds of the look in
/// force at the round it was made.
///
/// # Errors
/// As [`decide`]: an invalid design, looks whose seeds do not increase or pass the cap, or p-values
/// outside [0, 1].
pub fn decide_in_rounds<H: AsRef<[Option<Look>]>>(design: &Design, histories: &[H]) -> Result<Vec<Sequential>> {
    design.validate()?;
    // Per comparison: (round, look) of the looks it has, in round order.
    let hs: Vec<Vec<(usize, Look)>> = histories
        .iter()
        .map(|h| h.as_ref().iter().enumerate().filter_map(|(k, l)| l.map(|l| (k, l))).collect())
        .collect();
    for (i, h) in hs.iter().enumerate() {
        check_ns(h.iter().map(|l| (l.0, l.1.n)), design.n_max, i)?;
        for &(look, l) in h {
            for p in [l.p_claimed, l.p_opposite] {
                if !(p.is_nan() || (0.0..=1.0).contains(&p)) {
                    return Err(SequentialError::PValue { comparison: i, look, p });
                }
            }
        }
    }
    let m = hs.len();
    let ns: Vec<Vec<usize>> = hs.iter().map(|h| h.iter().map(|l| l.1.n).collect()).collect();
    let alpha_dir = design.alpha_per_direction();
    // rejected[dir][i]: hypothesis i of direction dir (0 claimed, 1 opposite) rejected.
    let mut rejected = [vec![false; m], vec![false; m]];
    let mut decided: Vec<Option<Decision>> = vec![None; m];
    let mut tested = vec![[(alpha_dir / m.max(1) as f64, f64::NAN); 2]; m];
    let rounds = histories.iter().map(|h| h.as_ref().len()).max().unwrap_or(0);
    for k in 0..rounds {
        loop {
            let mut changed = false;
            for dir in 0..2 {
                let open = rejected[dir].iter().filter(|r| !**r).count().max(1);
                let level = alpha_dir / open as f64;
                let mut newly = Vec::new();
                for i in 0..m {
                    // The looks taken by round k; none yet, nothing to test.
                    let seen = hs[i].iter().take_while(|l| l.0 <= k).count();
                    if decided[i].is_some() || seen == 0 {
                        continue;
                    }
                    let last = seen - 1;
                    let z = design.z_boundaries(level, &ns[i]);
                    let p = |l: usize| if dir == 0 { hs[i][l].1.p_claimed } else { hs[i][l].1.p_opposite };
                    tested[i][dir] = (level, normal_sf(z[last]));
                    // A look whose boundary spends nothing (z = ∞, a level of 0) rejects nothing, not p = 0.
                    if (0..=last).any(|l| normal_sf(z[l]) > 0.0 && p(l) <= normal_sf(z[l])) {
                        newly.push((i, ns[i][last]));
                    }
                }
                for (i, at_n) in newly {
                    rejected[dir][i] = true;
                    decided[i] =
                        Some(if dir == 0 { Decision::Supports { at_n } } else { Decision::Contradicts { at_n } });
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }
    Ok((0..m)
        .map(|i| {
            let last_n = ns[i].last().copied().unwrap_or(0);
            let decision =
                decided[i].unwrap_or(if last_n >= design.n_max { Decision::Undecided } else { Decision::Continue });
            let n = match decision {
                Decision::Supports { at_n } | Decision::Contradicts { at_n } => at_n,
                _ => last_n,
            };
            Sequential {
                decision,
                n,
                level_claimed: tested[i][0].0,
                level_opposite: tested[i][1].0,
                p_bound_claimed: tested[i][0].1,
                p_bound_opposite: tested[i][1].1,
            }
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------------------
// Numerical integration of the canonical joint distribution (Jennison & Turnbull 2000, §19.2).

/// Grid parameter r of Jennison & Turnbull's grid (6r − 1 points before Simpson's midpoints).
const GRID_R: usize = 16;

fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// 1 − Φ(x), accurate in the upper tail.
fn normal_sf(x: f64) -> f64 {
    0.5 * erfc(x / SQRT_2)
}

/// The x with 1 − Φ(x) = p (+∞ for p ≤ 0, −∞ for p ≥ 1).
fn normal_isf(p: f64) -> f64 {
    if p <= 0.0 {
        f64::INFINITY
    } else if p >= 1.0 {
        f64::NEG_INFINITY
    } else {
        SQRT_2 * erfc_inv(2.0 * p)
    }
}

/// Simpson nodes and weights on (−∞, upper] of the standardised scale (H0 mean 0): Jennison & Turnbull's
/// points, dense in the centre and spreading logarithmically into the tails, cut at `upper`.
fn simpson_grid(upper: f64) -> (Vec<f64>, Vec<f64>) {
    let r = GRID_R as f64;
    let base = (1..6 * GRID_R).map(|i| {
        let i = i as f64;
        if i < r {
            -3.0 - 4.0 * (r / i).ln()
        } else if i <= 5.0 * r {
            -3.0 + 3.0 * (i - r) / (2.0 * r)
        } else {
            3.0 + 4.0 * (r / (6.0 * r - i)).ln()
        }
    });
    let mut pts: Vec<f64> = base.filter(|&x| x < upper).collect();
    if upper.is_finite() && !pts.is_empty() {
        pts.push(upper);
    }
    if pts.len() < 2 {
        return (Vec::new(), Vec::new());
    }
    let mut z = Vec::with_capacity(2 * pts.len() - 1);
    let mut w = Vec::with_capacity(2 * pts.len() - 1);
    for (j, pair) in pts.windows(2).enumerate() {
        let (a, b) = (pair[0], pair[1]);
        let d = b - a;
        if j == 0 {
            z.push(a);
            w.push(d / 6.0);
        } else if let Some(last) = w.last_mut() {
            *last += d / 6.0;
        }
        z.push((a + b) / 2.0);
        w.push(4.0 * d / 6.0);
        z.push(b);
        w.push(d / 6.0);
    }
    (z, w)
}

/// The sub-density of Z_k on the continuation region after look k, on Simpson nodes.
struct Stage {
    t: f64,
    z: Vec<f64>,
    /// Simpson weight × density at each node.
    wh: Vec<f64>,
}

impl Stage {
    fn first(t: f64, c: f64) -> Stage {
        let (z, w) = simpson_grid(c);
        let wh = z.iter().zip(&w).map(|(&z, &w)| w * normal_pdf(z)).collect();
        Stage { t, z, wh }
    }

    /// P(continue to here, then Z_next ≥ c) at information fraction `t`.
    fn exit(&self, t: f64, c: f64) -> f64 {
        if c == f64::INFINITY {
            return 0.0;
        }
        let (s0, s1, sd) = (self.t.sqrt(), t.sqrt(), (t - self.t).sqrt());
        self.z.iter().zip(&self.wh).map(|(&z, &wh)| wh * normal_sf((c * s1 - z * s0) / sd)).sum()
    }

    /// The stage after a look at `t` with boundary `c`.
    fn next(&self, t: f64, c: f64) -> Stage {
        let (s0, s1, sd) = (self.t.sqrt(), t.sqrt(), (t - self.t).sqrt());
        let (z, w) = simpson_grid(c);
        let wh = z
            .iter()
            .zip(&w)
            .map(|(&y, &w)| {
                let f: f64 = self.z.iter().zip(&self.wh).map(|(&x, &wh)| wh * normal_pdf((y * s1 - x * s0) / sd)).sum();
                w * f * s1 / sd
            })
            .collect();
        Stage { t, z, wh }
    }
}

fn valid_fractions(t: &[f64]) -> bool {
    t.iter().all(|t| *t > 0.0 && t.is_finite()) && t.windows(2).all(|w| w[1] > w[0])
}

/// Under H0, the probability of crossing the upper boundary `z[k]` first at look k, for looks at
/// information fractions `t` (any positive, strictly increasing scale) with the canonical joint
/// distribution corr(Z_i, Z_j) = √(t_i/t_j). `None` if the lengths differ or `t` is not strictly
/// increasing and positive. A boundary of +∞ never crosses.
pub fn crossing_probabilities(t: &[f64], z: &[f64]) -> Option<Vec<f64>> {
    if t.len() != z.len() || !valid_fractions(t) || z.iter().any(|z| z.is_nan()) {
        return None;
    }
    let mut out = Vec::with_capacity(t.len());
    let mut stage: Option<Stage> = None;
    for (&tk, &ck) in t.iter().zip(z) {
        let (p, next) = match &stage {
            None => (normal_sf(ck), Stage::first(tk, ck)),
            Some(s) => (s.exit(tk, ck), s.next(tk, ck)),
        };
        out.push(p);
        stage = Some(next);
    }
    Some(out)
}

/// Upper boundaries c_1..c_K with P_0(first crossing at look k) = `cumulative[k] − cumulative[k−1]`
/// (`cumulative[−1]` = 0), for looks at information fractions `t` (strictly increasing, positive).
/// A look with nothing to spend gets +∞. Empty if the inputs are invalid (lengths differ, `t` not
/// increasing, cumulative not in [0, 1)).
pub fn spending_boundaries(t: &[f64], cumulative: &[f64]) -> Vec<f64> {
    if t.len() != cumulative.len() || !valid_fractions(t) || cumulative.iter().any(|a| !(0.0..1.0).contains(a)) {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(t.len());
    let mut stage: Option<Stage> = None;
    let mut spent = 0.0;
    for (&tk, &ak) in t.iter().zip(cumulative) {
        let target = ak - spent;
        let c = match &stage {
            None => normal_isf(target),
            Some(_) if target <= 0.0 => f64::INFINITY,
            Some(s) => solve_decreasing(|c| s.exit(tk, c), target),
        };
        spent = spent.max(ak);
        stage = Some(match &stage {
            None => Stage::first(tk, c),
            Some(s) => s.next(tk, c),
        });
        out.push(c);
    }
    out
}

/// The c with f(c) = target for f decreasing from ≈ P(continue) to 0, by bisection on [−12, 40].
fn solve_decreasing(f: impl Fn(f64) -> f64, target: f64) -> f64 {
    let (mut lo, mut hi) = (-12.0, 40.0);
    if f(hi) > target {
        return hi;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-10 {
            break;
        }
    }
    0.5 * (lo + hi)
}

// ---------------------------------------------------------------------------------------------------------
// Power and seeds.

/// How the runs of a comparison vary.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Spread {
    /// Paired by seed: the sd of the per-seed differences a_i − b_i.
    Paired {
        /// Sample sd of the differences.
        sd_diff: f64,
    },
    /// Independent runs: the sd of each arm.
    Welch {
        /// Sample sd of arm a.
        sd_a: f64,
        /// Sample sd of arm b.
        sd_b: f64,
    },
}

impl Spread {
    /// Variance of one seed's contribution to the difference, V (n seeds per arm give Var = V/n).
    fn v(self) -> f64 {
        match self {
            Spread::Paired { sd_diff } => sd_diff * sd_diff,
            Spread::Welch { sd_a, sd_b } => sd_a * sd_a + sd_b * sd_b,
        }
    }

    /// Degrees of freedom at n seeds per arm (Welch–Satterthwaite with equal n).
    fn df(self, n: f64) -> f64 {
        match self {
            Spread::Paired { .. } => n - 1.0,
            Spread::Welch { sd_a, sd_b } => {
                let (va, vb) = (sd_a * sd_a, sd_b * sd_b);
                if va + vb == 0.0 { 2.0 * (n - 1.0) } else { (va + vb).powi(2) * (n - 1.0) / (va * va + vb * vb) }
            }
        }
    }
}

/// The observed (or assumed) effect of a comparison: its distance from the threshold and its spread.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    /// δ = mean(a − b) − m; its sign says which direction the data lean.
    pub delta: f64,
    /// The spread of the runs.
    pub spread: Spread,
}

impl Effect {
    /// The effect of paired samples (non-finite pairs dropped). `None` with fewer than 2 pairs or
    /// different lengths.
    pub fn paired(a: &[f64], b: &[f64], threshold: f64) -> Option<Effect> {
        if a.len() != b.len() {
            return None;
        }
        let d: Vec<f64> = a.iter().zip(b).filter(|(x, y)| x.is_finite() && y.is_finite()).map(|(x, y)| x - y).collect();
        let s = crate::stats::describe(&d);
        (s.n >= 2).then_some(Effect { delta: s.mean - threshold, spread: Spread::Paired { sd_diff: s.sd } })
    }

    /// The effect of independent samples (non-finite values dropped). `None` if an arm has fewer than 2.
    pub fn welch(a: &[f64], b: &[f64], threshold: f64) -> Option<Effect> {
        let (sa, sb) = (crate::stats::describe(&finite(a)), crate::stats::describe(&finite(b)));
        (sa.n >= 2 && sb.n >= 2).then_some(Effect {
            delta: sa.mean - sb.mean - threshold,
            spread: Spread::Welch { sd_a: sa.sd, sd_b: sb.sd },
        })
    }
}

/// Degrees of freedom beyond which the t distribution is taken as the standard normal. At 10⁵ its 0.99
/// quantile is 2.32638 against the normal's 2.32635. (statrs's `StudentsT::inverse_cdf` does not return
/// for 10⁸ degrees of freedom, which [`fixed_n`]'s search reaches for an observed difference near zero.)
const NORMAL_DF: f64 = 1e5;

fn t_quantile(p: f64, df: f64) -> f64 {
    if df > NORMAL_DF {
        return normal_isf(1.0 - p);
    }
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |t| t.inverse_cdf(p))
}

fn t_cdf(x: f64, df: f64) -> f64 {
    if df > NORMAL_DF {
        return 1.0 - normal_sf(x);
    }
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |t| t.cdf(x))
}

/// Approximate power of a fixed-sample one-sided t-test at `alpha_one_sided` with `n` seeds per arm to
/// detect `effect` in the direction of its sign: F_ν(|δ|√n/√V − t_{1−α,ν}) (the shifted central t
/// approximation of the noncentral t). NaN for n < 2 or invalid inputs; 1 for a positive effect
/// without spread.
pub fn power_at(effect: &Effect, alpha_one_sided: f64, n: usize) -> f64 {
    let v = effect.spread.v();
    let valid = n >= 2 && effect.delta.is_finite() && v.is_finite() && alpha_one_sided > 0.0 && alpha_one_sided < 1.0;
    if !valid {
        return f64::NAN;
    }
    if v == 0.0 {
        return if effect.delta == 0.0 { alpha_one_sided } else { 1.0 };
    }
    let nf = n as f64;
    let df = effect.spread.df(nf);
    t_cdf(effect.delta.abs() * nf.sqrt() / v.sqrt() - t_quantile(1.0 - alpha_one_sided, df), df)
}

/// The minimum detectable effect: the smallest |δ| that a fixed-sample one-sided t-test at `alpha_one_sided`
/// with `n` seeds per arm detects with probability `power`, for runs of this `spread`. [`power_at`] solved
/// for δ: |δ| = (t_{1−α,ν} + t_{power,ν})·√(V/n), ν = ν(n) (exact under the same shifted central t
/// approximation, since ν does not depend on δ). `None` for n < 2, a spread of zero (the t-test is then
/// undefined) or not finite, or levels outside 0 < α < power < 1.
pub fn detectable(spread: Spread, alpha_one_sided: f64, power: f64, n: usize) -> Option<f64> {
    let v = spread.v();
    let valid = n >= 2 && v.is_finite() && v > 0.0 && alpha_one_sided > 0.0 && alpha_one_sided < power && power < 1.0;
    if !valid {
        return None;
    }
    let nf = n as f64;
    let df = spread.df(nf);
    let d = (t_quantile(1.0 - alpha_one_sided, df) + t_quantile(power, df)) * (v / nf).sqrt();
    d.is_finite().then_some(d)
}

/// Seeds per arm a fixed-sample one-sided t-test at `alpha_one_sided` needs to detect `effect` with
/// probability `power`: the smallest n ≥ 2 with [`power_at`] ≥ `power`, i.e. the solution of
/// n = (t_{1−α,ν(n)} + t_{power,ν(n)})²·V/δ² with the t quantiles at the n being solved for.
/// `None` for a zero or non-finite effect, invalid levels, or n beyond 10⁹.
pub fn fixed_n(effect: &Effect, alpha_one_sided: f64, power: f64) -> Option<usize> {
    if effect.delta == 0.0 || !(power > 0.0 && power < 1.0) || power_at(effect, alpha_one_sided, 2).is_nan() {
        return None;
    }
    const MAX_N: usize = 1_000_000_000;
    let enough = |n: usize| power_at(effect, alpha_one_sided, n) >= power;
    let (mut lo, mut hi) = (1usize, 2usize);
    // Doubling, with the last step clipped to the cap (doubling past 2²⁹ had given up at 536,870,912).
    while !enough(hi) {
        if hi == MAX_N {
            return None;
        }
        lo = hi;
        hi = (hi * 2).min(MAX_N);
    }
    // Invariant: enough(hi), and lo < 2 or !enough(lo).
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if enough(mid) { hi = mid } else { lo = mid }
    }
    Some(hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spending_functions_reach_alpha_at_the_cap() {
        for s in [Spending::OBrienFleming, Spending::Pocock] {
            assert!((s.spent(0.025, 1.0) - 0.025).abs() < 1e-10, "{}", s.spent(0.025, 1.0));
            assert_eq!(s.spent(0.025, 0.0), 0.0);
            assert!(s.spent(0.025, 0.5) < 0.025);
        }
    }

    #[test]
    fn the_grid_integrates_the_normal_density() {
        let (z, w) = simpson_grid(f64::INFINITY);
        let total: f64 = z.iter().zip(&w).map(|(z, w)| w * normal_pdf(*z)).sum();
        // Simpson's rule on Jennison & Turnbull's r = 16 grid: accurate to a few 1e-7 in total mass.
        assert!((total - 1.0).abs() < 1e-6, "{total}");
        let (z, w) = simpson_grid(1.0);
        let below: f64 = z.iter().zip(&w).map(|(z, w)| w * normal_pdf(*z)).sum();
        assert!((below - (1.0 - normal_sf(1.0))).abs() < 1e-6, "{below}");
    }
}
