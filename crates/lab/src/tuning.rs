//! Fair tuning: each configuration compared at a bracketed optimum of its learning rate, and how hard it is
//! to tune.
//!
//! ```text
//! grid ratio     r = (lr_max / lr_min)^(1/(k−1)) over the k distinct rates of the sweep's grid
//! bracketing     a selected rate at the grid's lower (upper) edge adds lr_min / r (lr_max · r), rounded to
//!                two significant digits, at most MAX_EXTENSIONS times per side; the optimum is bracketed
//!                when the selected rate has a tried rate on each side
//! robustness     width = log10(lr_hi) − log10(lr_lo), the contiguous run of tried rates around the selected
//!                one whose validation accuracy is within WITHIN of the best (decades; a lower bound when the
//!                run reaches an edge of the tried rates)
//! ```
//!
//! Selection stays on validation accuracy (see [`crate::summarize`]); extension runs are ordinary runs
//! (resumable, fingerprinted) and count in the compute a report states.

use serde::Serialize;

use crate::config::RunConfig;
use crate::summarize::GroupSummary;

/// How many times a grid may be extended on each side.
pub const MAX_EXTENSIONS: usize = 2;

/// "Within 1 pp of the best": the validation-accuracy tolerance of the robustness width.
pub const WITHIN: f64 = 0.01;

/// Where a configuration's selected learning rate lies among the rates it was tried at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bracket {
    /// A tried rate on each side: the optimum is bracketed.
    Interior,
    /// The smallest rate tried: the optimum may lie lower.
    LowEdge,
    /// The largest rate tried: the optimum may lie higher.
    HighEdge,
    /// Only one rate was tried.
    Single,
}

/// The bracket of `selected` among the tried `lrs`.
pub fn bracket(lrs: &[f64], selected: f64) -> Bracket {
    let lo = lrs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = lrs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if lrs.len() < 2 {
        Bracket::Single
    } else if selected <= lo {
        Bracket::LowEdge
    } else if selected >= hi {
        Bracket::HighEdge
    } else {
        Bracket::Interior
    }
}

/// The grid's own ratio between neighbouring rates (geometric mean), or None with fewer than two rates.
pub fn grid_ratio(lrs: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = lrs.iter().copied().filter(|l| *l > 0.0 && l.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    (v.len() >= 2).then(|| (v[v.len() - 1] / v[0]).powf(1.0 / (v.len() - 1) as f64))
}

/// `x` rounded to two significant digits (so extended rates read like 0.0032, not 0.0032187…).
pub fn two_digits(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return x;
    }
    let shift = 1 - x.log10().floor() as i32;
    if (0..=22).contains(&shift) {
        // 10^shift is exact: the quotient of two whole numbers, correctly rounded (rates from 1e-21 to 99).
        let scale = 10f64.powi(shift);
        return (x * scale).round() / scale;
    }
    if (-22..0).contains(&shift) {
        // 10^-shift is exact: a whole number of it (rates from 100 to ~1e23), halves away from 0 as above.
        let unit = 10f64.powi(-shift);
        return (x / unit).round() * unit;
    }
    // Beyond, a power of ten is itself rounded (1e-90 came out 9.999999999999998e-91): the decimal text
    // rounded to two digits, read back as the nearest f64.
    format!("{x:.1e}").parse().expect("a formatted float parses")
}

/// The width in decades of the contiguous run of rates around the best whose score is within [`WITHIN`]
/// of it; `scores` are (rate, score) pairs. NaN with no finite score.
pub fn width_decades(scores: &[(f64, f64)]) -> f64 {
    let mut s: Vec<(f64, f64)> = scores.iter().copied().filter(|p| p.1.is_finite() && p.0 > 0.0).collect();
    s.sort_by(|a, b| a.0.total_cmp(&b.0));
    // The best as the selection finds it: the smallest rate within crate::summarize::TIE of the top score.
    let Some(top) = s.iter().map(|p| p.1).max_by(f64::total_cmp) else {
        return f64::NAN;
    };
    let b = s.iter().position(|p| p.1 >= top - crate::summarize::TIE).expect("the top score is in s");
    let ok = |i: usize| s[i].1 >= s[b].1 - WITHIN;
    let (mut lo, mut hi) = (b, b);
    while lo > 0 && ok(lo - 1) {
        lo -= 1;
    }
    while hi + 1 < s.len() && ok(hi + 1) {
        hi += 1;
    }
    s[hi].0.log10() - s[lo].0.log10()
}

/// One bracketing step: for every configuration whose selected rate is at an edge of the rates it was
/// tried at (and whose grid was extended fewer than [`MAX_EXTENSIONS`] times on that side beyond
/// `original`, the sweep's own grid), the runs at the next rate beyond that edge, for `seeds`.
pub fn extensions(groups: &[GroupSummary], original: &[f64], seeds: &[u64]) -> Vec<RunConfig> {
    extensions_noted(groups, original, seeds).0
}

/// [`extensions`], and a note for each configuration left at its edge because the next rate is not one a
/// run can train at (an extreme grid's ratio can carry it past `f32`'s range, or to 0 there): its
/// configuration stays marked at the edge ([`Bracket`]), and the note says why.
pub fn extensions_noted(groups: &[GroupSummary], original: &[f64], seeds: &[u64]) -> (Vec<RunConfig>, Vec<String>) {
    let Some(ratio) = grid_ratio(original) else { return (Vec::new(), Vec::new()) };
    let (omin, omax) = (
        original.iter().copied().fold(f64::INFINITY, f64::min),
        original.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let (mut out, mut notes) = (Vec::new(), Vec::new());
    for g in groups {
        let lrs: Vec<f64> = g.lr_scores.iter().map(|p| p.0).collect();
        let (below, above) = (lrs.iter().filter(|&&l| l < omin).count(), lrs.iter().filter(|&&l| l > omax).count());
        let lo = lrs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = lrs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let next = match bracket(&lrs, g.selected_lr) {
            Bracket::LowEdge if below < MAX_EXTENSIONS => Some(two_digits(lo / ratio)),
            Bracket::HighEdge if above < MAX_EXTENSIONS => Some(two_digits(hi * ratio)),
            _ => None,
        };
        let Some(lr) = next else { continue };
        let mut c = g.config.clone();
        c.lr = lr;
        if let Err(e) = c.validate() {
            // Named as its run directories are, but for the rate and seed, which vary within it.
            let name = c.dir_name();
            let name = name.split("-lr").next().unwrap_or(&name);
            notes.push(format!(
                "note: {name} stays at the edge of its learning-rate grid: the next rate beyond it would be {} ({e})",
                actscope_core::short_number(lr)
            ));
            continue;
        }
        for &seed in seeds {
            out.push(RunConfig { seed, ..c.clone() });
        }
    }
    (out, notes)
}

/// Passes each of [`extensions_noted`]'s notes to `observer` the first time it comes: a configuration that
/// stays at its edge is noted again in every later round of bracketing.
pub(crate) fn say_once(
    notes: Vec<String>,
    said: &mut std::collections::HashSet<String>,
    observer: &dyn crate::sweep::SweepObserver,
) {
    for n in notes {
        if said.insert(n.clone()) {
            observer.message(&n);
        }
    }
}

/// Brackets a finished sweep: while some configuration's selected rate is at an edge of the rates it was
/// tried at, runs the next rate beyond that edge (for the sweep's seeds; see [`extensions`]), up to
/// [`MAX_EXTENSIONS`] per side. Returns how many extension runs it executed (or found finished).
///
/// # Errors
/// A sharded sweep (bracketing needs every run of a configuration), or the errors of
/// [`execute_sweep`](crate::sweep::execute_sweep).
pub fn bracket_sweep(
    runs: &[RunConfig],
    out: &std::path::Path,
    opts: &crate::sweep::SweepOptions,
    cache: &crate::sweep::DataCache,
    observer: &dyn crate::sweep::SweepObserver,
) -> crate::Result<usize> {
    if opts.shard.count() != 1 {
        return Err(crate::Error::usage(
            "bracketing needs every run of a configuration: run it without --shard, on the whole sweep's directory",
        ));
    }
    let mut grid: Vec<f64> = runs.iter().map(|r| r.lr).collect();
    grid.sort_by(f64::total_cmp);
    grid.dedup();
    let mut seeds: Vec<u64> = runs.iter().map(|r| r.seed).collect();
    seeds.sort_unstable();
    seeds.dedup();
    let mut ids: std::collections::HashSet<String> = runs.iter().map(RunConfig::id).collect();
    let (mut added, mut said) = (0, std::collections::HashSet::new());
    loop {
        let mine: Vec<crate::summarize::LoadedRun> =
            crate::summarize::load_runs(out)?.into_iter().filter(crate::summarize::of_this_build(&ids)).collect();
        let (more, notes) = extensions_noted(&crate::summarize::summarize(&mine), &grid, &seeds);
        say_once(notes, &mut said, observer);
        if more.is_empty() {
            return Ok(added);
        }
        observer.message(&format!("bracketing: {} runs beyond an edge of the learning-rate grid", more.len()));
        crate::sweep::execute_sweep(&more, out, opts, cache, observer)?;
        ids.extend(more.iter().map(RunConfig::id));
        added += more.len();
    }
}
