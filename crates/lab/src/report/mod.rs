//! The report: runs the bundled experiments (E1–E8), rules on every claim and writes `index.html`,
//! `report.md`, the figures (PNG, SVG, CSV) and machine-readable `claims.json` / `theory.json`.
//! `cargo xtask report` and `actscope report` both call [`run`].

pub mod aggregate;
pub mod claims;
pub mod cost;
pub mod figures;
pub mod theory;
pub mod verdict;
pub mod write;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use actscope_core::{Activation, Placement};
use actscope_plots::Format;
use anyhow::{Context, Result};

use self::aggregate::Experiment;
use self::claims::ClaimResult;
use self::verdict::Verdict;
use crate::config::RunConfig;
use crate::error::UsageError;
use crate::sweep::{DataCache, Shard, SweepFile, SweepOptions, execute_sweep};

/// The bundled experiment files (file stem, text).
pub const EXPERIMENTS: [(&str, &str); 4] = [
    ("e1_main", include_str!("../../experiments/e1_main.toml")),
    ("e2_depth", include_str!("../../experiments/e2_depth.toml")),
    ("e3_dead_relu", include_str!("../../experiments/e3_dead_relu.toml")),
    ("e4_saturation", include_str!("../../experiments/e4_saturation.toml")),
];

/// How much to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Seconds: a handful of short runs, for CI and for trying the pipeline.
    Smoke,
    /// Minutes on 2 cores: the embedded data, ≥ 5 seeds where seeds matter.
    Default,
    /// Paper scale: full Fashion-MNIST, 50,000 steps, ≥ 10 seeds, Adam too, depth to 50.
    Full,
}

impl Profile {
    /// Parses `smoke`, `default` or `full`.
    ///
    /// # Errors
    /// Any other name.
    pub fn parse(s: &str) -> Result<Profile, UsageError> {
        match s {
            "smoke" => Ok(Profile::Smoke),
            "default" => Ok(Profile::Default),
            "full" => Ok(Profile::Full),
            other => Err(UsageError::new(format!("unknown profile {other:?}; expected one of: smoke, default, full"))),
        }
    }

    /// The name.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Smoke => "smoke",
            Profile::Default => "default",
            Profile::Full => "full",
        }
    }

    fn theory(self) -> theory::TheoryBudget {
        match self {
            Profile::Smoke => theory::TheoryBudget { width: 128, depth: 8, nets: 2, trials: 300 },
            Profile::Default => theory::TheoryBudget { width: 512, depth: 16, nets: 4, trials: 4000 },
            Profile::Full => theory::TheoryBudget { width: 1024, depth: 24, nets: 8, trials: 20000 },
        }
    }

    fn cost(self) -> cost::CostBudget {
        match self {
            Profile::Smoke => cost::CostBudget { steps: 10, repeats: 3 },
            Profile::Default => cost::CostBudget { steps: 100, repeats: 10 },
            Profile::Full => cost::CostBudget { steps: 300, repeats: 10 },
        }
    }
}

/// The theory budget of a profile.
pub fn theory_budget(p: Profile) -> theory::TheoryBudget {
    p.theory()
}

/// Options of a report run.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// How much to run.
    pub profile: Profile,
    /// Data for every experiment (overrides the profile's choice).
    pub data: Option<String>,
    /// Output directory (runs go to `OUT/runs`, resumable).
    pub out: PathBuf,
    /// Parallel runs.
    pub jobs: usize,
    /// No progress output.
    pub quiet: bool,
}

fn say(opts: &ReportOptions, msg: &str) {
    if !opts.quiet {
        eprintln!("{msg}");
    }
}

fn run_experiment(stem: &str, text: &str, opts: &ReportOptions, cache: &DataCache) -> Result<Experiment> {
    let file = SweepFile::parse(text, stem)?;
    let mut sweep = file.with_profile(opts.profile.name());
    if let Some(d) = &opts.data {
        sweep.set_base("data", toml::Value::String(d.clone()));
    }
    let runs: Vec<RunConfig> = sweep.expand()?;
    let dir = opts.out.join("runs").join(stem);
    let name = sweep.name.clone().unwrap_or_else(|| stem.to_string());
    say(opts, &format!("{name}: {} runs → {}", runs.len(), dir.display()));
    let start = Instant::now();
    execute_sweep(&runs, &dir, &SweepOptions { jobs: opts.jobs, shard: Shard::ALL, quiet: opts.quiet }, cache)?;
    let wall = start.elapsed().as_secs_f64();
    let resolved = toml::to_string(&toml::Table::from_iter([
        ("name".to_string(), toml::Value::String(name.clone())),
        ("base".to_string(), toml::Value::Table(sweep.base.clone())),
        (
            "axes".to_string(),
            toml::Value::Table(sweep.axes.iter().map(|(k, v)| (k.clone(), toml::Value::Array(v.clone()))).collect()),
        ),
    ]))
    .context("serialising the resolved sweep")?;
    let cfg_path = opts.out.join("experiments").join(format!("{stem}.toml"));
    std::fs::write(&cfg_path, resolved).with_context(|| format!("writing {}", cfg_path.display()))?;
    let ids: HashSet<String> = runs.iter().map(|r| r.id()).collect();
    Experiment::load_only(&name, sweep.description.as_deref().unwrap_or(""), &dir, wall, |c| ids.contains(&c.id()))
}

fn mean(x: &[f64]) -> f64 {
    let v: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 }
}

fn yes_no(v: Verdict) -> &'static str {
    match v {
        Verdict::Supported => "Yes.",
        Verdict::Refuted => "No.",
        Verdict::Mixed => "It depends on the setting.",
        Verdict::Inconclusive => "Not settled by this data.",
    }
}

fn answers(cl: &[ClaimResult], e1: &Experiment) -> Vec<(String, String)> {
    let find = |id: &str| cl.iter().find(|c| c.id == id).expect("all claims present");
    let (c2, c3, c4) = (find("C2"), find("C3"), find("C4"));
    let acc = |a: Activation, p: Placement| {
        mean(
            &e1.selected(move |c: &RunConfig| c.activation == a && c.placement == p)
                .iter()
                .map(|r| r.test_accuracy())
                .collect::<Vec<_>>(),
        )
    };
    let n_seeds = e1.groups.first().map_or(0, |g| g.n);
    let q1 = format!(
        "{} With BN before φ, mean test accuracy was sigmoid {:.3}, tanh {:.3}, ReLU {:.3}; with BN after φ, {:.3}, {:.3}, {:.3} (each at its own best learning rate, {n_seeds} seeds; \"as well as\" means within {} of ReLU). Verdict on C2: {}.",
        yes_no(c2.verdict),
        acc(Activation::Sigmoid, Placement::Before),
        acc(Activation::Tanh, Placement::Before),
        acc(Activation::Relu, Placement::Before),
        acc(Activation::Sigmoid, Placement::After),
        acc(Activation::Tanh, Placement::After),
        acc(Activation::Relu, Placement::After),
        claims::AS_WELL_AS_MARGIN,
        c2.verdict.word()
    );
    // Group C3's comparisons by stress setting: "lr 1, initial bias 0: 58% of units dead without BN, 31% with BN before, …".
    let mut settings: Vec<(String, f64, Vec<String>)> = Vec::new();
    for k in &c3.comparisons {
        let (setting, which) = k.setting.split_once(": ").unwrap_or((k.setting.as_str(), ""));
        let place = which.trim_start_matches("BN ").trim_end_matches(" vs none");
        let item = format!("{:.0}% with BN {place}", 100.0 * k.mean_b);
        match settings.iter_mut().find(|s| s.0 == setting) {
            Some(s) => s.2.push(item),
            None => settings.push((setting.to_string(), k.mean_a, vec![item])),
        }
    }
    let dead: Vec<String> = settings
        .iter()
        .map(|(s, none, with)| format!("{s}: {:.0}% of units dead without BN, {}", 100.0 * none, with.join(", ")))
        .collect();
    let q2 = format!(
        "{} Dead-unit fraction at the end of training under stress that kills ReLUs — {}. Verdict on C3: {}.",
        yes_no(c3.verdict),
        dead.join("; "),
        c3.verdict.word()
    );
    let by = |o: verdict::Outcome| -> Vec<String> {
        c4.comparisons
            .iter()
            .filter(|k| k.outcome == o)
            .map(|k| k.setting.split(':').next().unwrap_or("").to_string())
            .collect()
    };
    let (after, before, unclear) =
        (by(verdict::Outcome::Supports), by(verdict::Outcome::Contradicts), by(verdict::Outcome::Unclear));
    let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    let q3 = format!(
        "{} After was significantly better for: {}; before was significantly better for: {}; no significant difference for: {} (paired by seed, Holm-adjusted). Verdict on C4 (\"after works better\"): {}.",
        match c4.verdict {
            Verdict::Supported => "After.",
            Verdict::Refuted => "Before.",
            Verdict::Mixed => "It depends on the activation.",
            Verdict::Inconclusive => "No detectable difference at this sample size.",
        },
        list(&after),
        list(&before),
        list(&unclear),
        c4.verdict.word()
    );
    vec![
        ("With batch normalization, do sigmoid and tanh work as well as ReLU?".into(), q1),
        ("Does batch normalization fix dead ReLUs?".into(), q2),
        ("Should BN go before or after the activation?".into(), q3),
    ]
}

fn literature(
    e1: &Experiment,
    e4: &Experiment,
    th: &[theory::TheoryCheck],
    cl: &[ClaimResult],
) -> Vec<(String, String)> {
    let acc = |e: &Experiment, a: Activation, p: Placement, selected: bool| {
        let pred = move |c: &RunConfig| c.activation == a && c.placement == p;
        let runs = if selected { e.selected(pred) } else { e.matching(pred) };
        mean(&runs.iter().map(|r| r.test_accuracy()).collect::<Vec<_>>())
    };
    let t = |needle: &str| {
        th.iter().find(|c| c.name.contains(needle)).map_or("n/a".to_string(), |c| {
            format!(
                "measured {:.4} vs predicted {:.4} ({})",
                c.measured,
                c.predicted,
                if c.pass { "pass" } else { "fail" }
            )
        })
    };
    let c7 = cl.iter().find(|c| c.id == "C7").map_or(f64::NAN, |c| c.comparisons[0].mean_a);
    let s = Activation::Sigmoid;
    let (r, th_) = (Activation::Relu, Activation::Tanh);
    let (n, b, a) = (Placement::None, Placement::Before, Placement::After);
    vec![
        (
            "Ioffe & Szegedy 2015, §4.1 and Fig. 1a (MNIST, 3×100 sigmoid, BN before φ; a public re-run with SGD at lr 0.5): test accuracy 0.980 with BN vs 0.977 without.".into(),
            format!("Fashion-MNIST ({}), same net: sigmoid with BN before {:.3} vs without {:.3} (E1).", e1.runs.first().map_or("?", |r| r.summary.data.as_str()), acc(e1, s, b, true), acc(e1, s, n, true)),
        ),
        (
            "Ioffe & Szegedy 2015, Fig. 1b–c: the 15th/50th/85th percentiles of a last-layer sigmoid's input drift during training without BN and stay put with BN.".into(),
            "See the figure bn_paper_percentiles (same net, same unit choice: the first unit of the last hidden layer).".into(),
        ),
        (
            "Mishkin et al. 2017 (CaffeNet on ImageNet, single runs): BN before ReLU 0.474 vs after 0.499 top-1; with BN, sigmoid 0.475 vs ReLU 0.499.".into(),
            format!("ReLU: before {:.3} vs after {:.3}; with BN before, sigmoid {:.3} vs ReLU {:.3} (E1).", acc(e1, r, b, true), acc(e1, r, a, true), acc(e1, s, b, true), acc(e1, r, b, true)),
        ),
        (
            "Kim et al. 2023 (Tanh Works Better with Asymmetry): for tanh-like activations BN after φ is considerably better; for ReLU the order matters little.".into(),
            format!("tanh: after − before = {:+.3}; ReLU: after − before = {:+.3} (E1).", acc(e1, th_, a, true) - acc(e1, th_, b, true), acc(e1, r, a, true) - acc(e1, r, b, true)),
        ),
        (
            "Glorot & Bengio 2010, Fig. 2: with sigmoid and no normalisation, the last hidden layer is quickly pushed into saturation (towards 0) and only slowly desaturates.".into(),
            format!("{} {}", top_layer_saturation(e1), top_layer_activation(e4)),
        ),
        (
            "Glorot & Bengio 2010, Table 1 (MNIST, 5 hidden layers, standard init): test error sigmoid 2.21%, tanh 1.76%.".into(),
            format!("4 hidden layers, standard init, no BN: test accuracy sigmoid {:.3}, tanh {:.3} (E4).", acc(e4, s, n, false), acc(e4, th_, n, false)),
        ),
        (
            "Yang et al. 2019, Thm 8: with BN before φ, gradients explode at initialisation; for ReLU the squared gradient grows per layer by λ(B), falling to π/(π−1) ≈ 1.467 as B → ∞.".into(),
            format!("batch 256: {}.", t("BN before relu, batch 256")),
        ),
        ("Lu et al. 2020: deep narrow ReLU nets are born dead; derived exact probability 0.944 at width 2, depth 10.".into(), t("width 2, depth 10")),
        (
            "Standard normal facts: only 34.1% of N(0, 1) lies in [0, 1], so after BN at initialisation sigmoid(z) is not confined to [0.5, 0.73].".into(),
            format!("share of BN outputs in [0, 1] for sigmoid nets at initialisation: {:.3} (C7, E1).", c7),
        ),
        (
            "Ioffe & Szegedy 2015, Fig. 3 (Inception with BN-x5): sigmoid 69.8% vs ReLU 73.0% top-1.".into(),
            format!("see C2: with BN before, sigmoid {:.3} vs ReLU {:.3}.", acc(e1, s, b, true), acc(e1, r, b, true)),
        ),
    ]
}

/// A per-layer quantity of the last hidden layer over training, averaged over `runs` (seeds).
fn last_layer_curve(
    runs: &[&aggregate::Run],
    f: impl Fn(&actscope_metrics::records::LayerRecord) -> Option<f64>,
) -> actscope_plots::figures::MeanCurve {
    aggregate::mean_curve("", 0, runs, |r| aggregate::layer_series(r, r.config.widths().len().saturating_sub(1), &f))
}

/// The mean (over seeds) saturation of the last hidden layer of E1's sigmoid nets without BN: its peak and
/// its final value, for the comparison with Glorot & Bengio's Fig. 2.
fn top_layer_saturation(e1: &Experiment) -> String {
    let runs = e1.selected(|c: &RunConfig| c.activation == Activation::Sigmoid && c.placement == Placement::None);
    let curve = last_layer_curve(&runs, |l| l.saturation.map(|s| s.rate));
    let Some((i, peak)) = curve.mean.iter().copied().enumerate().max_by(|a, b| a.1.total_cmp(&b.1)) else {
        return "no sigmoid runs without BN".into();
    };
    let low = last_layer_curve(&runs, |l| Some(l.z.percentiles[2])).mean.last().copied().unwrap_or(f64::NAN);
    let side = if low < 0.0 {
        "on the low (output 0) side"
    } else if low > 0.0 {
        "on the high (output 1) side"
    } else {
        "at the centre"
    };
    format!(
        "E1, sigmoid without BN: the last hidden layer's saturation rate peaks at {:.0}% at step {} and ends at {:.0}% (step {}); its median input at the end (mean over seeds) is {low:.2}, {side}. See the saturation and BN-paper figures.",
        100.0 * peak,
        curve.x[i],
        100.0 * curve.mean.last().copied().unwrap_or(f64::NAN),
        curve.x.last().copied().unwrap_or(f64::NAN)
    )
}

/// The mean (over seeds) activation of the last hidden layer of E4's sigmoid nets without BN — the quantity
/// Glorot & Bengio plot in Fig. 2 — at the first and last checkpoints, and its saturation rate at the end.
fn top_layer_activation(e4: &Experiment) -> String {
    let runs = e4.matching(|c: &RunConfig| c.activation == Activation::Sigmoid && c.placement == Placement::None);
    let mean = last_layer_curve(&runs, |l| Some(l.a.mean));
    let rate = last_layer_curve(&runs, |l| l.saturation.map(|s| s.rate));
    let (Some(first), Some(end), Some(step)) = (mean.mean.first(), mean.mean.last(), mean.x.last()) else {
        return "E4 has no sigmoid runs without BN.".into();
    };
    let batch = runs.first().map_or(0, |r| r.config.batch_size);
    // A move of 0.05 or more counts as a trend; the words follow the numbers.
    let trend = if end - first <= -0.05 {
        "pushed towards 0, as in their figure"
    } else if end - first >= 0.05 {
        "rising, unlike their figure"
    } else {
        "not (yet) pushed towards 0, unlike their figure"
    };
    format!(
        "E4 (their init, batch {batch}), sigmoid without BN: the last hidden layer's mean activation goes from {first:.2} to {end:.2} by step {step}, {trend}; its saturation rate by this report's definition (φ′ < 0.1·max φ′: activation below 0.026 or above 0.974) is {:.0}% at the end.",
        100.0 * rate.mean.last().copied().unwrap_or(f64::NAN)
    )
}

fn git_revision() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(
            || "unknown (not a git checkout)".into(),
            |o| String::from_utf8_lossy(&o.stdout).trim().to_string(),
        )
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|k| k.parse::<f64>().ok()))
        .map_or_else(|| "unknown memory".into(), |kb| format!("{:.1} GiB", kb / 1048576.0));
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores, {mem}, {} {}", std::env::consts::OS, std::env::consts::ARCH)
}

/// Seconds since the epoch as `YYYY-MM-DD HH:MM:SS UTC` (civil calendar from days, Howard Hinnant's method).
pub fn utc(secs: u64) -> String {
    let (days, rem) = ((secs / 86400) as i64, secs % 86400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Runs the whole pipeline and returns the path of `index.html`.
///
/// # Errors
/// Invalid options (usage), failing runs or unwritable output (runtime), each naming what failed.
pub fn run(opts: &ReportOptions) -> Result<PathBuf> {
    let start = Instant::now();
    for d in ["runs", "figures", "experiments"] {
        let p = opts.out.join(d);
        std::fs::create_dir_all(&p).with_context(|| format!("creating {}", p.display()))?;
    }
    let cache = DataCache::default();
    let mut exps = Vec::new();
    for (stem, text) in EXPERIMENTS {
        exps.push(run_experiment(stem, text, opts, &cache)?);
    }
    let [e1, e2, e3, e4]: [Experiment; 4] = exps.try_into().map_err(|_| anyhow::anyhow!("four experiments"))?;
    say(opts, "E7: theory checks at initialisation");
    let t_theory = Instant::now();
    let theory = theory::run_checks(opts.profile.theory(), 0);
    let theory_secs = t_theory.elapsed().as_secs_f64();
    say(opts, "E8: timing every activation and placement (single thread)");
    let t_cost = Instant::now();
    let cost = cost::measure(opts.profile.cost());
    let cost_secs = t_cost.elapsed().as_secs_f64();

    let claims = vec![
        claims::c1(&e2),
        claims::c2(&e1),
        claims::c3(&e3),
        claims::c4(&e1),
        claims::c5(&cost),
        claims::c6(&e1),
        claims::c7(&e1),
        claims::c8(&e1, &e4),
        claims::c9(&e1),
    ];
    let figures = figures::build(&e1, &e2, &e3, &e4, &cost);
    for (stem, fig) in &figures {
        actscope_plots::render(fig, &opts.out.join("figures").join(stem), &[Format::Png, Format::Svg])?;
    }
    let data = e1.runs.first().map_or_else(|| "no runs".to_string(), |r| r.summary.data.clone());
    let checksum = e1.runs.first().map_or_else(String::new, |r| r.summary.data_checksum.clone());
    let n_runs: usize = [&e1, &e2, &e3, &e4].iter().map(|e| e.runs.len()).sum();
    let diverged: usize =
        [&e1, &e2, &e3, &e4].iter().map(|e| e.runs.iter().filter(|r| r.summary.status != "ok").count()).sum();
    let seeds = |e: &Experiment| e.runs.iter().map(|r| r.config.seed).collect::<std::collections::BTreeSet<_>>().len();
    let methods = vec![
        format!("Data: {data} (SHA-256 {checksum}). A stratified validation set (10% of the training set, fixed seed) is carved out; learning rates are chosen on validation accuracy (mean over seeds, diverged runs scoring 0), never on test; all accuracies reported are on the test set."),
        format!("Networks: our own layers (Linear, BatchNorm1d with PyTorch's semantics, activations), checked against finite differences in f64 and against PyTorch reference values. E1: 784-100-100-100-10 (the BN paper's net), PyTorch's default init, SGD with momentum 0.9, batch 60, {} seeds. E2: depth 2 to {} of width 100. E3: ReLU under a high learning rate and a negative initial bias. E4: Glorot & Bengio's standard init, 4 hidden layers of 256 (theirs: 5 of 1,000, in the full profile), plain SGD with batch 10 as theirs.", seeds(&e1), e2.runs.iter().map(|r| r.config.widths().len()).max().unwrap_or(0)),
        "BN placement: before = Linear (no bias) → BN → φ, as in the BN paper; after = Linear → φ → BN. Metrics are computed on a fixed probe set of validation examples, in train mode (batch statistics), at step 0, at a fixed number of checkpoints per epoch and at the end; see docs/metrics.md for every formula.".into(),
        "Statistics: per-seed values; 95% Student-t intervals; Welch's t-test for independent configurations, the paired t-test where runs are paired by seed (C4, C6), the one-sample t-test against a fixed threshold (C6, C7, C8); one-sided p-values in the claimed and the opposite direction, Holm–Bonferroni-adjusted within each claim; effect sizes are Cohen's d (or d_z). Thresholds were fixed in code before the runs: non-inferiority margin 0.01 (C2), speed target 0.8 validation accuracy (C6), 'lies in' = 95% (C7), 'saturating' = 10% (C8).".into(),
        "Timing (E8): each activation × placement trains the BN paper's net on synthetic data for a fixed number of steps on one thread, after the sweeps and never concurrently with them; repeats run in interleaved rounds (every configuration once per round, after a warm-up round), so that a slow spell of the machine falls on all alike, and give the interval. The times are this implementation's, and so is C5's verdict: the matrix products dominate a step and every activation runs as a vectorised loop, GELU's (an erf through two exponentials and a polynomial per value) being the costliest; another library's kernels can rank the activations differently.".into(),
        format!("{n_runs} runs in all, {diverged} of them diverged (recorded with their step and counted, never dropped)."),
    ];
    let manifest = vec![
        ("actscope".to_string(), env!("CARGO_PKG_VERSION").to_string()),
        ("git revision".into(), git_revision()),
        ("code fingerprint (every run was computed by this code)".into(), crate::run::CODE.to_string()),
        ("generated".into(), utc(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()))),
        ("profile".into(), opts.profile.name().into()),
        ("data".into(), format!("{data}; sha256 {checksum}")),
        ("experiment configs".into(), "experiments/e1_main.toml, e2_depth.toml, e3_dead_relu.toml, e4_saturation.toml (resolved for this profile)".into()),
        ("machine".into(), machine()),
        ("parallel runs".into(), opts.jobs.to_string()),
        ("runs".into(), format!("E1 {}, E2 {}, E3 {}, E4 {} ({diverged} diverged)", e1.runs.len(), e2.runs.len(), e3.runs.len(), e4.runs.len())),
        (
            "wall time".into(),
            format!(
                "E1 {:.0} s, E2 {:.0} s, E3 {:.0} s, E4 {:.0} s, E7 {:.0} s, E8 {:.0} s; total {:.0} s (runs found finished are not re-run and cost 0 s)",
                e1.wall_seconds, e2.wall_seconds, e3.wall_seconds, e4.wall_seconds, theory_secs, cost_secs, start.elapsed().as_secs_f64()
            ),
        ),
    ];
    let content = write::Content {
        profile: opts.profile.name(),
        answers: answers(&claims, &e1),
        claims: &claims,
        figures: &figures,
        theory: &theory,
        literature: literature(&e1, &e4, &theory, &claims),
        methods,
        manifest,
    };
    let put = |name: &str, text: String| -> Result<()> {
        let p = opts.out.join(name);
        std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))
    };
    put("index.html", write::html(&content))?;
    put("report.md", write::markdown(&content))?;
    put("claims.json", serde_json::to_string_pretty(&claims)?)?;
    put("theory.json", serde_json::to_string_pretty(&theory)?)?;
    put("timings.json", serde_json::to_string_pretty(&cost)?)?;
    Ok(opts.out.join("index.html"))
}

/// Every file `index.html` links to (relative paths), for checking that none is missing.
pub fn linked_files(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let end = rest.find('"').unwrap_or(rest.len());
            let link = &rest[..end];
            if !link.starts_with('#') && !link.contains("://") {
                out.push(link.to_string());
            }
        }
    }
    out
}

/// Whether `dir` holds a report whose links all resolve.
pub fn missing_links(dir: &Path) -> Result<Vec<String>> {
    let html = std::fs::read_to_string(dir.join("index.html"))
        .with_context(|| format!("reading {}", dir.join("index.html").display()))?;
    Ok(linked_files(&html).into_iter().filter(|l| !dir.join(l).is_file()).collect())
}
