//! The report: runs the bundled experiments (E1–E8), rules on every claim and writes `index.html`,
//! `report.md`, the figures (PNG, SVG, CSV) and machine-readable `claims.json` / `theory.json`.
//! `actscope report` calls [`run`] (and `cargo xtask report` runs `actscope report`).
//!
//! Where things are: [`profile`] (how much to run), [`experiments`] (E1–E8), [`aggregate`] (runs → numbers
//! per configuration), [`claims`] (C1–C9: which numbers, test and threshold), [`verdict`] (the rules),
//! [`theory`] (E7), [`cost`] (E8), [`figures`], [`narrative`] (the prose, from typed results),
//! [`manifest`] (git, machine, time), [`mod@write`] (HTML and Markdown) and [`links`] (checking a written report).

pub mod aggregate;
pub mod claims;
pub mod cost;
pub mod experiments;
pub mod figures;
pub mod glossary;
pub mod links;
pub mod manifest;
pub mod narrative;
mod options;
pub mod profile;
pub mod rounds;
mod sweeps;
pub mod theory;
pub mod verdict;
pub mod write;

use std::path::PathBuf;
use std::time::Instant;

use actscope_plots::Format;

use self::aggregate::Experiment;
pub use self::links::{linked_files, missing_links};
pub use self::options::ReportOptions;
pub use self::profile::Profile;
use crate::fsio::{self, create_dir_all, to_json};
use crate::sweep::{DataCache, SweepObserver};
use crate::{Error, Result};

/// The file that marks a directory as a report directory, which a later report may overwrite.
pub const MARKER: &str = ".actscope-report";

/// Makes sure `out` is a report directory: missing or empty (then marked as one), or marked already. A
/// non-empty directory without the marker is someone else's and is refused, never overwritten.
fn claim_output_dir(out: &std::path::Path) -> Result<()> {
    let marker = out.join(MARKER);
    if marker.is_file() {
        return Ok(());
    }
    if let Ok(mut entries) = std::fs::read_dir(out)
        && entries.next().is_some()
    {
        return Err(Error::usage(format!(
            "{} is not empty and is not a report directory (no {MARKER} file); choose another --out or empty it",
            out.display()
        )));
    }
    create_dir_all(out)?;
    fsio::write(&marker, "This directory holds an actscope report; `actscope report` may overwrite it.\n")
}

/// The resolved experiment files the report wrote into `OUT/experiments`, as the manifest lists them (it
/// named four fixed files and left out E1's runs beyond its grid).
fn experiment_configs(out: &std::path::Path) -> String {
    let mut names: Vec<String> = std::fs::read_dir(out.join("experiments"))
        .map(|dir| {
            dir.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".toml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    format!("experiments/: {} (resolved for this profile)", names.join(", "))
}

/// Runs the whole pipeline and returns the path of `index.html`. Progress and messages go to `observer`.
///
/// # Errors
/// Invalid options (usage), failing runs or unwritable output (runtime), each naming what failed.
pub fn run(opts: &ReportOptions, observer: &dyn SweepObserver) -> Result<PathBuf> {
    let start = Instant::now();
    // `--data` is checked as the user gave it, so that a mistyped path names the flag, not the line of a
    // bundled experiment file it would be set into.
    if let Some(d) = &opts.data {
        actscope_data::check(d).map_err(|e| Error::usage(format!("--data: {e}")))?;
    }
    claim_output_dir(&opts.out)?;
    for d in ["runs", "experiments"] {
        create_dir_all(&opts.out.join(d))?;
    }
    crate::figures_dir::claim(&opts.out.join("figures"), "report")?;
    let cache = DataCache::default();
    let (e1, rounds, round_log) = rounds::run_e1_in_rounds(opts, &cache, observer)?;
    let mut exps = Vec::new();
    for def in &experiments::SWEEPS[1..] {
        exps.push(sweeps::run_experiment(def, opts, &cache, observer)?);
    }
    let [e2, e3, e4]: [Experiment; 3] =
        exps.try_into().map_err(|_| Error::usage("the registry lists four sweeps (E1–E4)"))?;
    let sequential = opts.profile.seeds().is_sequential();
    observer.message("E7: theory checks at initialisation");
    let t_theory = Instant::now();
    let theory = theory::run_checks(opts.profile.theory(), 0);
    let theory_secs = t_theory.elapsed().as_secs_f64();
    observer.message("E8: timing every activation and placement (single thread)");
    let t_cost = Instant::now();
    let cost = cost::measure(opts.profile.cost(), &e1.activations);
    let cost_secs = t_cost.elapsed().as_secs_f64();

    let claims = claims::all(&e1, &e2, &e3, &e4, &cost, sequential.then_some(&rounds));
    let figures = figures::report(&e1, &e2, &e3, &e4, &cost);
    for (stem, fig) in &figures {
        actscope_plots::render(fig, &opts.out.join("figures").join(stem), &[Format::Png, Format::Svg])?;
    }
    let data = e1.runs.first().map_or_else(|| "no runs".to_string(), |r| r.summary.data.clone());
    let checksum = e1.runs.first().map_or_else(String::new, |r| r.summary.data_checksum.clone());
    let n_runs: usize = [&e1, &e2, &e3, &e4].iter().map(|e| e.runs.len()).sum();
    let diverged: usize =
        [&e1, &e2, &e3, &e4].iter().map(|e| e.runs.iter().filter(|r| !r.summary.is_ok()).count()).sum();
    let methods = vec![
        format!("Data: {data} (SHA-256 {checksum}). A stratified validation set (10% of the training set, fixed seed) is carved out; learning rates are chosen on validation accuracy (mean over seeds, diverged runs scoring 0), never on test. C2's and C4's accuracies and the accuracy figures are on the test set; C6 (steps until a validation-accuracy target) with its steps-to-target figure and the convergence paragraph read validation accuracy on the seeds judged on, and the learning-rate sensitivity figure and the tuning paragraph the validation accuracy of the seeds that chose the rates."),
        format!("Networks: our own layers (Linear, BatchNorm1d with PyTorch's semantics, activations), checked against finite differences in f64 and against PyTorch reference values. E1: 784-100-100-100-10 (the BN paper's net), PyTorch's default init, SGD with momentum 0.9, batch 60, {} at each configuration's selected learning rate (seeds of their own, not those that chose the rate). E2: depth 2 to {} of width 100. E3: ReLU under a high learning rate and a negative initial bias. E5 (sigmoid with BN before, C7) and E6 (BN before vs after, C4) are views of E1's runs, not runs of their own. E4: Glorot & Bengio's standard init, 4 hidden layers of 256 (theirs: 5 of 1,000, in the full profile), plain SGD with batch 10 as theirs.", seed_range(&e1), e2.max_depth()),
        "BN placement: before = Linear (no bias) → BN → φ, as in the BN paper; after = Linear → φ → BN. Metrics are computed on a fixed probe set of validation examples, in train mode (batch statistics), at step 0, at a fixed number of checkpoints per epoch and at the end; see docs/metrics.md for every formula.".into(),
        actscope_metrics::probe::sampling_methods(&batch_sizes(&[&e1, &e2, &e3, &e4])),
        format!("Statistics: per-seed values; 95% Student-t intervals; the paired t-test over seeds for every two-configuration comparison (C1–C4, C9: runs of one seed see the same batches; C5 over rounds of timings), the one-sample t-test against a fixed threshold (C7, C8), and for C6, whose speed-ups are known only within bounds, one-sample t-tests of the pairs' lower bounds (for the claim) and upper bounds (against it); one-sided p-values in the claimed and the opposite direction, Holm–Bonferroni-adjusted within each claim; effect sizes are Cohen's d (or d_z). Thresholds were fixed in code before the runs: non-inferiority margin {} (C2), speed target {} validation accuracy (C6), 'lies in' = {}% (C7), 'saturating' = {}% and 'stopped learning' = gradient attenuation above {} orders of magnitude (C8).", claims::AS_WELL_AS_MARGIN, claims::SPEED_TARGET, 100.0 * claims::LIES_IN_SHARE, 100.0 * claims::SATURATING_RATE, claims::STOPPED_ATTENUATION),
        "Timing (E8): each activation × placement trains the BN paper's net on synthetic data for a fixed number of steps on one thread, after the sweeps and never concurrently with them; repeats run in interleaved rounds (every configuration once per round, after a warm-up round), so that a slow spell of the machine falls on all alike, and give the interval. The times are this implementation's, and so is C5's verdict: the matrix products dominate a step and every activation runs as a vectorised loop, GELU's (an erf through two exponentials and a polynomial per value) being the costliest; another library's kernels can rank the activations differently.".into(),
        narrative::sequential_methods(
            &round_log,
            &rounds,
            e1.groups.iter().any(|g| g.judged_on != crate::summarize::JudgedOn::OneRate),
            sequential,
            &claims,
        ),
        narrative::pairing(&claims),
        format!(
            "Training budgets of this profile: E1 {}, E2 {}, E3 {}, E4 {}. Every accuracy and verdict is at these budgets, which are short: a configuration still improving at the end (see the next paragraph) is judged on its speed as much as on what it can reach.",
            budget(&e1),
            budget(&e2),
            budget(&e3),
            budget(&e4)
        ),
        narrative::convergence(&e1),
        narrative::tuning(&e1),
        format!("{n_runs} runs in all, {diverged} of them diverged (recorded with their step and counted, never dropped). A run has diverged when its loss becomes non-finite, or when its loss on the training subset rises above {} times its value at step 0 and stays above that at every later evaluation; a diverged run scores 0 in learning-rate selection and is never ranked as trained.", crate::run::DIVERGENCE_FACTOR),
    ];
    let manifest = vec![
        ("actscope".to_string(), env!("CARGO_PKG_VERSION").to_string()),
        (
            "compiler and build".into(),
            format!(
                "{} ({} build)",
                env!("ACTSCOPE_RUSTC"),
                if cfg!(debug_assertions) { "debug" } else { "optimised" }
            ),
        ),
        ("numerical dependencies (Cargo.lock)".into(), env!("ACTSCOPE_DEPS").to_string()),
        ("git revision".into(), manifest::git_revision()),
        ("code fingerprint (every run was computed by this code)".into(), crate::run::CODE.to_string()),
        ("generated".into(), manifest::now_utc()),
        ("profile".into(), opts.profile.name().into()),
        ("data".into(), format!("{data}; sha256 {checksum}")),
        ("experiment configs".into(), experiment_configs(&opts.out)),
        ("machine".into(), manifest::machine()),
        ("parallel runs".into(), opts.jobs.to_string()),
        (
            "runs".into(),
            format!(
                "E1 {}, E2 {}, E3 {}, E4 {} ({diverged} diverged)",
                e1.runs.len(),
                e2.runs.len(),
                e3.runs.len(),
                e4.runs.len()
            ),
        ),
        (
            "wall time".into(),
            format!(
                "E1 {:.0} s, E2 {:.0} s, E3 {:.0} s, E4 {:.0} s, E7 {:.0} s, E8 {:.0} s; total {:.0} s (runs found finished are not re-run and cost 0 s here; training every run took {:.0} s of one core when it ran)",
                e1.wall_seconds,
                e2.wall_seconds,
                e3.wall_seconds,
                e4.wall_seconds,
                theory_secs,
                cost_secs,
                start.elapsed().as_secs_f64(),
                [&e1, &e2, &e3, &e4].iter().flat_map(|e| e.runs.iter()).map(|r| r.summary.wall_seconds).sum::<f64>()
            ),
        ),
    ];
    let scope = format!(
        "Data: {data}. E1, the main grid, trains the BN paper's 784-100-100-100-10 net for {} over {} per configuration; E2 {}, E3 {}, E4 {} (Methods). Every verdict holds for this data and these budgets, which are short: it says what these runs show, not what holds at paper scale, and configurations still learning at the end are judged on their speed as much as on what they can reach (Methods: convergence). The full profile (paper scale: the user guide's `cargo xtask report --profile full`) can change verdicts.",
        budget(&e1),
        seed_range(&e1),
        budget(&e2),
        budget(&e3),
        budget(&e4)
    );
    let content = write::Content {
        profile: opts.profile.name(),
        scope,
        answers: narrative::answers(&claims, &e1),
        claims: &claims.all(),
        figures: &figures,
        theory: &theory,
        literature: narrative::literature(&e1, &e4, &theory, &claims),
        methods,
        manifest,
    };
    let put = |name: &str, text: String| fsio::write(&opts.out.join(name), text);
    put("index.html", write::html(&content))?;
    put("report.md", write::markdown(&content))?;
    put("claims.json", to_json(&claims.all()))?;
    put("theory.json", to_json(&theory))?;
    put("timings.json", to_json(&cost))?;
    Ok(opts.out.join("index.html"))
}

/// An experiment's training length: the steps its runs that did not diverge trained (a range where they
/// differ), with the epochs where its runs are given in epochs; "no runs" without any.
fn budget(e: &aggregate::Experiment) -> String {
    let steps: Vec<usize> = e.runs.iter().filter(|r| r.summary.is_ok()).map(|r| r.summary.steps).collect();
    let (Some(lo), Some(hi)) = (steps.iter().min(), steps.iter().max()) else { return "no runs".into() };
    let steps = if lo == hi { format!("{lo} steps") } else { format!("{lo}–{hi} steps") };
    match e.runs.first().map(|r| &r.config) {
        Some(c) if c.steps.is_none() => format!("{steps} ({} epochs, batch {})", c.epochs, c.batch_size),
        Some(c) => format!("{steps} (batch {})", c.batch_size),
        None => steps,
    }
}

/// "20 seeds", or "5 to 20 seeds" where configurations ran different numbers of seeds.
fn seed_range(e: &Experiment) -> String {
    match e.seeds_per_configuration() {
        Some((lo, hi)) if lo < hi => format!("{lo} to {hi} seeds"),
        Some((n, _)) => format!("{n} seeds"),
        None => "no seeds".into(),
    }
}

/// Each experiment's training batch size(s), for the methods' sampling sentence (an experiment whose runs
/// differ lists each size).
fn batch_sizes<'a>(experiments: &[&'a Experiment]) -> Vec<(&'a str, usize)> {
    let mut out = Vec::new();
    for e in experiments {
        let sizes: std::collections::BTreeSet<usize> = e.runs.iter().map(|r| r.config.batch_size).collect();
        out.extend(sizes.into_iter().map(|b| (e.name.as_str(), b)));
    }
    out
}
