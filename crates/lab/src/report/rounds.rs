//! E1 in rounds of seeds, for the claims tested group-sequentially (C2, C4).

use std::collections::HashSet;
use std::time::Instant;

use actscope_core::{Activation, Placement};
use actscope_metrics::sequential::{Decision, Design, Spending};

use super::aggregate::Experiment;
use super::options::ReportOptions;
use super::profile::SeedPlan;
use super::sweeps::{activation_order, resolved_sweep, write_resolved};
use super::{claims, experiments, verdict};
use crate::config::RunConfig;
use crate::fsio;
use crate::summarize::of_this_build;
use crate::sweep::{DataCache, Shard, SweepObserver, SweepOptions, execute_sweep};
use crate::{Error, Result};

/// One round of E1's seeds, for the report's methods: how many seeds, runs and CPU-seconds of training, and how many of
/// the sequential claims' comparisons were still open after it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RoundLog {
    /// Seeds judged on by the configurations that ran in the round (0 for the first, which chose the
    /// learning rates on seeds of its own; configurations whose comparisons were all decided stopped earlier).
    pub seeds: usize,
    /// Runs the round executed (or found finished), its learning-rate extensions included.
    pub runs: usize,
    /// Of those, runs that extended a configuration's learning-rate grid (bracketing, first round only).
    pub extension_runs: usize,
    /// Seconds of training the round's runs recorded in their summaries (each run on one thread), however
    /// long ago they ran.
    pub cpu_seconds: f64,
    /// Comparisons of C2 and C4 still open after the round (to get more seeds); 0 after the first round,
    /// which judges nothing.
    pub open: usize,
    /// Comparisons of C2 and C4 decided by the end of the round.
    pub decided: usize,
    /// Comparisons of C2 and C4 left undecided at the cap of seeds (0 before the last round).
    pub undecided: usize,
}

/// E1 in rounds of seeds (see [`super::profile::SeedPlan`]): the first round runs the profile's grid with seeds
/// 0 … round − 1, which choose each configuration's learning rate and nothing else; the second runs every
/// configuration at its selected rate on the next `round` seeds, the first seeds the report's numbers are
/// taken from (the summaries leave out the seeds that chose the rate once later seeds ran at it:
/// [`crate::summarize::JudgedOn`]). After it and each later round C2 and C4 are judged
/// group-sequentially, and the configurations of comparisons still open get the next round's seeds, until
/// every comparison is decided or the cap of seeds judged on is reached.
pub(super) fn run_e1_in_rounds(
    opts: &ReportOptions,
    cache: &DataCache,
    observer: &dyn SweepObserver,
) -> Result<(Experiment, claims::Rounds, Vec<RoundLog>)> {
    let plan = opts.profile.seeds();
    let design = Design::new(0.05, Spending::OBrienFleming, plan.cap);
    let (stem, mut sweep) = resolved_sweep(&experiments::E1, opts)?;
    let seeds = |range: std::ops::Range<usize>| range.map(|s| toml::Value::Integer(s as i64)).collect::<Vec<_>>();
    sweep.axes.insert("seed".into(), seeds(0..plan.round));
    let name = sweep.name.clone().unwrap_or_else(|| stem.to_string());
    let dir = opts.out.join("runs").join(stem);
    let description = sweep.description.clone().unwrap_or_default();
    let mut runs: Vec<RunConfig> = sweep.expand()?;
    // The first round is the sweep's whole grid; what ran beyond it (rate extensions, later rounds) is listed
    // beside the resolved sweep, so the files name exactly what ran.
    let (first_round, first_round_runs) = (sweep.clone(), runs.len());
    let mut beyond: Vec<(String, RunConfig)> = Vec::new();
    let order = activation_order(&runs);
    // The sweep's own learning-rate grid, which bracketing extends (tuning.rs).
    let mut grid: Vec<f64> = runs.iter().map(|r| r.lr).collect();
    grid.sort_by(f64::total_cmp);
    grid.dedup();
    let first_seeds: Vec<u64> = (0..plan.round as u64).collect();
    // Seeds below it chose the learning rates; every number is taken from it on.
    let first_seed = plan.round as u64;
    let mut bracketed = false;
    let sweep_opts = SweepOptions::new(opts.jobs, Shard::ALL)?;
    let mut ids: HashSet<String> = HashSet::new();
    let mut log = Vec::new();
    let mut extension_runs = 0usize;
    // Seeds each configuration is judged on once `runs` have run.
    let mut judged = 0usize;
    let start = Instant::now();
    let load = |ids: &HashSet<String>| -> Result<Experiment> {
        Ok(Experiment::load_only(&name, &description, &dir, start.elapsed().as_secs_f64(), of_this_build(ids))?
            .with_activation_order(&order))
    };
    loop {
        let seeds = if judged == 0 { plan.round } else { first_seed as usize + judged };
        observer.message(&format!("{name}: {} runs, seeds up to {seeds} → {}", runs.len(), dir.display()));
        execute_sweep(&runs, &dir, &sweep_opts, cache, observer)?;
        let mut round_ids: HashSet<String> = runs.iter().map(RunConfig::id).collect();
        ids.extend(round_ids.iter().cloned());
        let mut e1 = load(&ids)?;
        // After the first round, bracket every configuration's selected rate before any comparison is made:
        // extend the grid on the side of an edge optimum (first-round seeds), until interior or the limit.
        let mut said = HashSet::new();
        while !bracketed {
            let (more, notes) = crate::tuning::extensions_noted(&e1.groups, &grid, &first_seeds);
            crate::tuning::say_once(notes, &mut said, observer);
            if more.is_empty() {
                bracketed = true;
                break;
            }
            observer.message(&format!(
                "{name}: {} runs extend the learning-rate grid of configurations whose best rate is at an edge",
                more.len()
            ));
            execute_sweep(&more, &dir, &sweep_opts, cache, observer)?;
            ids.extend(more.iter().map(RunConfig::id));
            round_ids.extend(more.iter().map(RunConfig::id));
            beyond.extend(more.iter().map(|c| ("learning-rate extension".to_string(), c.clone())));
            extension_runs += more.len();
            e1 = load(&ids)?;
        }
        // One look per round with seeds judged on; the first round judges nothing (its seeds only chose the
        // rates, and they are all its runs).
        let looks = log.iter().map(|l: &RoundLog| l.seeds).chain([judged]).filter(|&n| n > 0).collect();
        let rounds = claims::Rounds { design, first_seed, looks };
        let judged_claims = match judged {
            0 => Vec::new(),
            _ => vec![claims::c2(&e1, Some(&rounds)), claims::c4(&e1, Some(&rounds))],
        };
        let comparisons = || judged_claims.iter().flat_map(|c| &c.comparisons);
        let open: Vec<&verdict::Comparison> = comparisons()
            .filter(|k| k.sequential.as_ref().is_some_and(|s| s.result.decision == Decision::Continue))
            .collect();
        let decided = comparisons().filter(|k| k.outcome != verdict::Outcome::Unclear).count();
        log.push(RoundLog {
            seeds: judged,
            runs: runs.len() + extension_runs,
            extension_runs: std::mem::take(&mut extension_runs),
            cpu_seconds: e1
                .runs
                .iter()
                .filter(|r| round_ids.contains(&r.summary.id))
                .map(|r| r.summary.wall_seconds)
                .sum(),
            open: open.len(),
            decided,
            undecided: comparisons()
                .filter(|k| k.sequential.as_ref().is_some_and(|s| s.result.decision == Decision::Undecided))
                .count(),
        });
        let Some(next) = next_judged(plan, judged, !open.is_empty()) else {
            let listed = format!("{stem}_beyond_grid.toml");
            let header = format!(
                "{name}, first round: this grid on seeds 0..{} ({} runs), which chose the learning rates.\nRuns beyond it ({}: learning-rate extensions, and the rounds of seeds from {first_seed} on that every test and every other number of E1 is taken from) are listed in {listed}.",
                plan.round,
                first_round_runs,
                beyond.len()
            );
            write_resolved(opts, stem, &name, &first_round, Some(&header))?;
            write_beyond_grid(opts, &listed, &beyond)?;
            return Ok((e1, rounds, log));
        };
        // The round after the first runs every configuration (E1's numbers all come from its seeds on); later
        // rounds, the configurations of comparisons still open.
        let needed: Vec<(Activation, Placement)> = open.iter().flat_map(|k| k.configs.iter().copied()).collect();
        let (from, to) = (first_seed + judged as u64, first_seed + next as u64);
        runs = e1
            .groups
            .iter()
            .filter(|g| judged == 0 || needed.contains(&(g.config.activation, g.config.placement)))
            .flat_map(|g| {
                (from..to).map(move |seed| {
                    let mut c = g.config.clone();
                    c.lr = g.selected_lr;
                    c.seed = seed;
                    c
                })
            })
            .collect();
        let round = log.len() + 1;
        beyond.extend(runs.iter().map(|c| (format!("round {round} (seeds {from}..{to})"), c.clone())));
        judged = next;
    }
}

/// Seeds judged on after the next round, given `judged` after this one (0: only the first round, which
/// chooses the learning rates, has run) and whether a comparison is still `open`; `None` when E1 is done.
/// The round after the first always runs (it gives every configuration its first seeds judged on); later
/// rounds run while a comparison is open and the cap allows more seeds.
fn next_judged(plan: SeedPlan, judged: usize, open: bool) -> Option<usize> {
    let next = (judged + plan.round).min(plan.cap);
    (next > judged && (judged == 0 || open)).then_some(next)
}

/// Writes `experiments/<listed>`: one `[[run]]` per run beyond the first round's grid, with why it ran and the
/// settings that tell it apart (activation, placement, learning rate, seed) and its id.
fn write_beyond_grid(opts: &ReportOptions, listed: &str, beyond: &[(String, RunConfig)]) -> Result<()> {
    let rows: Vec<toml::Value> = beyond
        .iter()
        .map(|(why, c)| {
            toml::Value::Table(toml::Table::from_iter([
                ("why".to_string(), toml::Value::String(why.clone())),
                ("activation".to_string(), toml::Value::String(c.activation.to_string())),
                ("placement".to_string(), toml::Value::String(c.placement.to_string())),
                ("lr".to_string(), toml::Value::Float(c.lr)),
                ("seed".to_string(), toml::Value::Integer(c.seed as i64)),
                ("id".to_string(), toml::Value::String(c.id())),
            ]))
        })
        .collect();
    let text = toml::to_string(&toml::Table::from_iter([("run".to_string(), toml::Value::Array(rows))]))
        .map_err(|e| Error::usage(format!("{listed}: the list of runs cannot be written as TOML: {e}")))?;
    fsio::write(&opts.out.join("experiments").join(listed), text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Profile;

    /// Every profile's rounds: the first round chooses, the second always runs, later ones while a comparison
    /// is open, never past the cap; a plan that could add no seed stops instead of looping.
    #[test]
    fn rounds_follow_the_plan() {
        let all = |plan: SeedPlan, open: bool| {
            let mut seen = vec![0];
            while let Some(n) = next_judged(plan, *seen.last().unwrap(), open) {
                seen.push(n);
            }
            seen
        };
        assert_eq!(all(Profile::Default.seeds(), true), [0, 5, 10, 15, 20]);
        assert_eq!(all(Profile::Default.seeds(), false), [0, 5]);
        assert_eq!(all(Profile::Full.seeds(), true), [0, 10, 20, 30]);
        assert_eq!(all(Profile::Smoke.seeds(), true), [0, 3]);
        assert!(!Profile::Smoke.seeds().is_sequential() && Profile::Default.seeds().is_sequential());
        assert_eq!(all(SeedPlan { round: 5, cap: 12 }, true), [0, 5, 10, 12]);
        assert_eq!(all(SeedPlan { round: 0, cap: 20 }, true), [0]);
        assert_eq!(all(SeedPlan { round: 5, cap: 0 }, true), [0]);
    }
}
