//! The `actscope` command line: the entry point that parses arguments and hands off to the library.

mod progress;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use actscope_core::{Activation, Init, Placement};
use actscope_data::load;
use actscope_lab::report::Profile;
use actscope_lab::summarize::{csv, load_runs, mixed_code_warning, summarize, table};
use actscope_lab::sweep::{DataCache, MAX_RUNS_ENV, Shard, SweepFile, SweepOptions, execute_sweep, max_runs};
use actscope_lab::{Error, OptimizerKind, RunConfig};
use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::progress::Progress;

/// BN placement, as the command line spells it.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum PlacementArg {
    /// No BatchNorm.
    None,
    /// Linear → BN → φ (the BN paper's choice).
    Before,
    /// Linear → φ → BN.
    After,
}

impl From<PlacementArg> for Placement {
    fn from(p: PlacementArg) -> Self {
        match p {
            PlacementArg::None => Placement::None,
            PlacementArg::Before => Placement::Before,
            PlacementArg::After => Placement::After,
        }
    }
}

/// Optimizer, as the command line spells it.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum OptimizerArg {
    /// SGD (with --momentum).
    Sgd,
    /// Adam.
    Adam,
    /// AdamW.
    Adamw,
}

impl From<OptimizerArg> for OptimizerKind {
    fn from(o: OptimizerArg) -> Self {
        match o {
            OptimizerArg::Sgd => OptimizerKind::Sgd,
            OptimizerArg::Adam => OptimizerKind::Adam,
            OptimizerArg::Adamw => OptimizerKind::AdamW,
        }
    }
}

/// Report budget.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum ProfileArg {
    /// Seconds: a handful of short runs.
    Smoke,
    /// Minutes on 2 cores.
    Default,
    /// Paper scale (hours).
    Full,
}

impl From<ProfileArg> for Profile {
    fn from(p: ProfileArg) -> Self {
        match p {
            ProfileArg::Smoke => Profile::Smoke,
            ProfileArg::Default => Profile::Default,
            ProfileArg::Full => Profile::Full,
        }
    }
}

/// Figure file formats.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    /// Bitmap.
    Png,
    /// Vector.
    Svg,
}

fn parse_activation(s: &str) -> Result<Activation, String> {
    s.parse().map_err(|e: actscope_core::Error| e.to_string())
}

fn parse_init(s: &str) -> Result<Init, String> {
    s.parse().map_err(|e: actscope_core::Error| e.to_string())
}

/// The number of worker threads: `jobs`, or every core; never more runs in parallel than there are
/// cores × 4 (more threads than that only wait on each other).
fn jobs(jobs: Option<usize>) -> Result<usize> {
    let cores = actscope_lab::sweep::default_jobs();
    match jobs {
        Some(0) => Err(Error::usage("--jobs must be ≥ 1").into()),
        Some(j) if j > cores * 4 => {
            eprintln!("note: --jobs {j} capped at {} (4 × the {cores} cores)", cores * 4);
            Ok(cores * 4)
        }
        Some(j) => Ok(j),
        None => Ok(cores),
    }
}

/// Measure what activations and batch normalisation do inside real networks.
///
/// actscope trains MLPs under every combination of activation and BatchNorm placement, instruments them
/// (saturation, dead units, gradient flow, activation distributions), repeats over seeds and reports.
#[derive(Parser)]
#[command(name = "actscope", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a shell completion script: `actscope completions bash > ~/.local/share/bash-completion/completions/actscope`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Train one configuration and write its run directory (config.json, records.jsonl, summary.json).
    Train(Box<TrainArgs>),
    /// Run every combination of a sweep file's axes, in parallel, skipping finished runs.
    Sweep(SweepArgs),
    /// Summarise a directory of runs over seeds: mean ± 95% CI per configuration.
    Summarize(SummarizeArgs),
    /// Inspect data sets.
    #[command(subcommand)]
    Data(DataCommand),
    /// Draw every figure a directory of runs supports (PNG, SVG and the CSV behind each).
    Plot(PlotArgs),
    /// Run the bundled experiments, rule on every claim and write the HTML and Markdown report.
    Report(ReportArgs),
    /// Check theory at initialisation (gradient growth with BN, born-dead ReLU nets, moments of φ(z)).
    Theory {
        /// JSON output.
        #[arg(long)]
        json: bool,
        /// Budget.
        #[arg(long, value_enum, default_value_t = ProfileArg::Default)]
        profile: ProfileArg,
    },
}

#[derive(Args)]
struct PlotArgs {
    /// Directory of run directories (e.g. a sweep's --out).
    runs_dir: PathBuf,
    /// Where to write the figures.
    #[arg(long, default_value = "figures")]
    out: PathBuf,
    /// Formats, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [FormatArg::Png, FormatArg::Svg])]
    format: Vec<FormatArg>,
}

#[derive(Args)]
struct ReportArgs {
    /// How much to run: smoke (seconds), default (minutes on 2 cores) or full (paper scale, hours).
    #[arg(long, value_enum, default_value_t = ProfileArg::Default)]
    profile: ProfileArg,
    /// Data for every experiment (default: the profile's; see `data info`).
    #[arg(long)]
    data: Option<String>,
    /// Output directory; runs are kept in OUT/runs so an interrupted report resumes.
    #[arg(long, default_value = "report")]
    out: PathBuf,
    /// Parallel runs (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// No progress output.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args)]
struct TrainArgs {
    /// A TOML file with run settings (any key of the run configuration); flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Where to create the run directory.
    #[arg(long, default_value = "runs")]
    out: PathBuf,
    /// Train again even if this exact run is already finished in --out (it is reused otherwise).
    #[arg(long)]
    force: bool,
    /// No progress lines.
    #[arg(long, short)]
    quiet: bool,
    /// Data [default: default]: default, embedded, synthetic:clusters|teacher|spirals|gaussian, an IDX directory, or file.csv[#label].
    #[arg(long)]
    data: Option<String>,
    /// Hidden widths, comma-separated [default: 100,100,100].
    #[arg(long, value_delimiter = ',')]
    hidden: Option<Vec<usize>>,
    /// Activation [default: relu]: sigmoid, tanh, relu, leaky_relu(α), elu(α), gelu, silu, softplus, softsign, identity.
    #[arg(long, value_parser = parse_activation)]
    activation: Option<Activation>,
    /// BatchNorm placement [default: none]: before is Linear → BN → φ, after is Linear → φ → BN.
    #[arg(long, value_enum)]
    placement: Option<PlacementArg>,
    /// Weight init [default: pytorch]: pytorch, glorot_standard, xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal, lecun_normal, small_gaussian(σ).
    #[arg(long, value_parser = parse_init)]
    init: Option<Init>,
    /// Optimizer [default: sgd].
    #[arg(long, value_enum)]
    optimizer: Option<OptimizerArg>,
    /// Learning rate (default 0.1).
    #[arg(long)]
    lr: Option<f64>,
    /// SGD momentum (default 0).
    #[arg(long)]
    momentum: Option<f64>,
    /// Examples per step (default 60).
    #[arg(long)]
    batch_size: Option<usize>,
    /// Training length in epochs (default 1).
    #[arg(long)]
    epochs: Option<usize>,
    /// Training length in steps (overrides --epochs).
    #[arg(long)]
    steps: Option<usize>,
    /// Seed of initialisation and shuffling (default 0).
    #[arg(long)]
    seed: Option<u64>,
    /// Any other setting as key=value (TOML value syntax), e.g. --set probe_size=500 --set bias_init=-1.0.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct SweepArgs {
    /// The sweep file (TOML with [base] settings and [axes]).
    file: PathBuf,
    /// Apply the file's [profile.NAME] section (e.g. smoke, default, full in the bundled experiment files).
    #[arg(long)]
    profile: Option<String>,
    /// Directory that holds one sub-directory per run (shared by all shards).
    #[arg(long, default_value = "runs")]
    out: PathBuf,
    /// Parallel runs (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// List the runs (marking finished ones) without running anything.
    #[arg(long)]
    dry_run: bool,
    /// Run only shard i of n (0-based), e.g. 2/8; defaults to Slurm's SLURM_ARRAY_TASK_ID/COUNT when set.
    #[arg(long)]
    shard: Option<String>,
    /// Refuse a grid of more combinations than this [default: $ACTSCOPE_MAX_RUNS, else 1000000].
    #[arg(long, value_name = "N")]
    max_runs: Option<u64>,
    /// After the sweep, extend the learning-rate grid of every configuration whose best rate (on validation)
    /// is at an edge, by the grid's own ratio, at most twice per side, until the optimum is bracketed.
    #[arg(long)]
    bracket: bool,
    /// Train runs that share their batches in lockstep groups (same results; see docs/performance.md for
    /// when it pays); default from $ACTSCOPE_LOCKSTEP, else off.
    #[arg(long)]
    lockstep: bool,
    /// No progress output.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args)]
struct SummarizeArgs {
    /// Directory of run directories.
    dir: PathBuf,
    /// CSV output.
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    /// JSON output.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum DataCommand {
    /// Counts, shape, classes, class histogram, pixel statistics and checksum of a data set.
    Info {
        /// default, embedded, synthetic:NAME, an IDX directory, or file.csv[#label].
        #[arg(long, default_value = "default")]
        data: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

fn train(a: TrainArgs) -> Result<()> {
    // Settings come from the config file, then `--set KEY=VALUE` (TOML values), then the typed flags.
    let (mut table, source) = match &a.config {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            let table = text.parse::<toml::Table>().map_err(|e| Error::usage(format!("{}: {e}", p.display())))?;
            (table, p.display().to_string())
        }
        None => (toml::Table::new(), "--set".to_string()),
    };
    for kv in &a.set {
        let (k, v) = kv.split_once('=').ok_or_else(|| Error::usage(format!("--set {kv:?}: expected KEY=VALUE")))?;
        let value: toml::Value = format!("v = {v}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(v.to_string()));
        table.insert(k.trim().to_string(), value);
    }
    if !table.contains_key("hidden") && !table.contains_key("depth") {
        table.insert("hidden".into(), toml::Value::Array(vec![100.into(), 100.into(), 100.into()]));
    }
    let mut cfg = RunConfig::from_table(table, &source)?;
    if let Some(v) = a.data {
        cfg.data = v;
    }
    if let Some(h) = a.hidden {
        cfg.hidden = h;
        cfg.depth = None;
    }
    if let Some(v) = a.activation {
        cfg.activation = v;
    }
    if let Some(v) = a.placement {
        cfg.placement = v.into();
    }
    if let Some(v) = a.init {
        cfg.init = v;
    }
    if let Some(v) = a.optimizer {
        cfg.optimizer = v.into();
    }
    if let Some(v) = a.lr {
        cfg.lr = v;
    }
    if let Some(v) = a.momentum {
        cfg.momentum = v;
    }
    if let Some(v) = a.batch_size {
        cfg.batch_size = v;
    }
    if let Some(v) = a.epochs {
        cfg.epochs = v;
    }
    if a.steps.is_some() {
        cfg.steps = a.steps;
    }
    if let Some(v) = a.seed {
        cfg.seed = v;
    }
    cfg.validate()?;
    let data = load(&cfg.data, cfg.val_fraction, cfg.standardize)?;
    eprintln!("data: {}", data.description);
    let name = cfg.dir_name();
    let finished = actscope_lab::run::state(&a.out, &name) == actscope_lab::run::RunState::Finished;
    let s = if finished && !a.force {
        eprintln!(
            "reused: {} was finished earlier by this code (--force trains it again)",
            a.out.join(&name).display()
        );
        actscope_lab::run::read_summary(&a.out.join(&name))?
    } else {
        if finished {
            let dir = a.out.join(&name);
            std::fs::remove_dir_all(&dir).with_context(|| format!("removing {} to train it again", dir.display()))?;
        }
        let mut lines = progress::EvalLines::new(a.quiet);
        actscope_lab::run::execute_watched(&cfg, &data, &a.out, &mut lines)?
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        let acc =
            |p: &Option<actscope_core::EvalPoint>| p.as_ref().map_or("-".into(), |p| format!("{:.4}", p.accuracy));
        println!(
            "{}: {} after {} steps ({:.1}s); accuracy train {} val {} test {}",
            a.out.join(&s.name).display(),
            s.status,
            s.steps,
            s.wall_seconds,
            acc(&s.train),
            acc(&s.val),
            acc(&s.test)
        );
    }
    Ok(())
}

fn sweep(a: SweepArgs) -> Result<()> {
    let shard = match &a.shard {
        Some(s) => Shard::parse(s)?,
        None => Shard::from_slurm(|k| std::env::var(k).ok())?.unwrap_or(Shard::ALL),
    };
    let cap = match a.max_runs {
        Some(0) => return Err(Error::usage("--max-runs must be ≥ 1").into()),
        Some(n) => n,
        None => max_runs(std::env::var(MAX_RUNS_ENV).ok().as_deref())?,
    };
    let mut file = SweepFile::read(&a.file)?;
    if let Some(p) = &a.profile {
        if !file.profile.contains_key(p) {
            let names: Vec<&str> = file.profile.keys().map(String::as_str).collect();
            return Err(Error::usage(format!(
                "{}: no profile {p:?}; the file has: {}",
                a.file.display(),
                if names.is_empty() { "none".to_string() } else { names.join(", ") }
            ))
            .into());
        }
        file = file.with_profile(p);
    }
    let mut opts = SweepOptions::new(jobs(a.jobs)?, shard)?;
    opts.lockstep |= a.lockstep;
    if a.dry_run {
        // Streamed: one run is built, listed and dropped at a time, however large the grid.
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        for r in file.runs(cap)? {
            let r = r?;
            if !shard.owns(&r.id()) {
                continue;
            }
            let note = match actscope_lab::run::state(&a.out, &r.dir_name()) {
                actscope_lab::run::RunState::Missing => "",
                actscope_lab::run::RunState::Finished => "  (finished)",
                actscope_lab::run::RunState::Stale(_) => "  (finished by other code: will be redone)",
            };
            writeln!(stdout, "{}{note}", r.dir_name())?;
        }
        for line in actscope_lab::sweep::describe_groups(&file.expand_at_most(cap)?, &a.out, &opts) {
            writeln!(stdout, "{line}")?;
        }
        stdout.flush()?;
        return Ok(());
    }
    let runs = file.expand_at_most(cap)?;
    let (cache, progress) = (DataCache::default(), Progress::new(a.quiet));
    if a.bracket && opts.shard.count != 1 {
        return Err(Error::usage("--bracket needs the whole sweep: leave out --shard").into());
    }
    let r = execute_sweep(&runs, &a.out, &opts, &cache, &progress)?;
    if a.bracket {
        let n = actscope_lab::tuning::bracket_sweep(&runs, &a.out, &opts, &cache, &progress)?;
        eprintln!("bracketing: {n} runs extended learning-rate grids whose best rate was at an edge");
    }
    eprintln!(
        "{}: {} runs in shard {}/{}: {} finished earlier, {} done now ({} diverged, {} redone because other code \
         computed them) → {}",
        file.name.as_deref().unwrap_or("sweep"),
        r.planned,
        shard.index,
        shard.count,
        r.skipped,
        r.done,
        r.diverged,
        r.stale,
        a.out.display()
    );
    Ok(())
}

fn plot(a: PlotArgs) -> Result<()> {
    let formats: Vec<actscope_plots::Format> = a
        .format
        .iter()
        .map(|f| match f {
            FormatArg::Png => actscope_plots::Format::Png,
            FormatArg::Svg => actscope_plots::Format::Svg,
        })
        .collect();
    let exp = actscope_lab::report::aggregate::Experiment::load("runs", "", &a.runs_dir, 0.0)?;
    if exp.runs.is_empty() {
        return Err(Error::usage(format!("{} holds no finished runs", a.runs_dir.display())).into());
    }
    if let Some(w) = mixed_code_warning(exp.runs.iter().map(|r| &r.summary)) {
        eprintln!("{w}");
    }
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let figs = actscope_lab::report::figures::for_runs(&exp);
    let mut n = 0;
    for (stem, fig) in figs.iter().filter(|(_, f)| f.has_data()) {
        actscope_plots::render(fig, &a.out.join(stem), &formats)?;
        println!("{}", a.out.join(stem).display());
        n += 1;
    }
    eprintln!("{n} figures from {} runs → {}", exp.runs.len(), a.out.display());
    Ok(())
}

fn report(a: ReportArgs) -> Result<()> {
    let opts = actscope_lab::report::ReportOptions {
        profile: a.profile.into(),
        data: a.data,
        out: a.out,
        jobs: jobs(a.jobs)?,
    };
    let index = actscope_lab::report::run(&opts, &Progress::new(a.quiet))?;
    println!("{}", index.display());
    Ok(())
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "actscope", &mut std::io::stdout());
            Ok(())
        }
        Command::Plot(a) => plot(a),
        Command::Report(a) => report(a),
        Command::Theory { json, profile } => {
            let p: Profile = profile.into();
            let checks = actscope_lab::report::theory::run_checks(p.theory(), 0);
            if json {
                println!("{}", serde_json::to_string_pretty(&checks)?);
            } else {
                for c in &checks {
                    println!(
                        "{:<4} {:<60} measured {:>9.4}  predicted {:>9.4}  ±{:.4}",
                        if c.pass { "pass" } else { "FAIL" },
                        c.name,
                        c.measured,
                        c.predicted,
                        c.tolerance
                    );
                }
                let failed = checks.iter().filter(|c| !c.pass).count();
                println!("{} passed, {} failed", checks.len() - failed, failed);
            }
            let failed = checks.iter().filter(|c| !c.pass).count();
            if failed > 0 {
                anyhow::bail!("{failed} theory check(s) failed");
            }
            Ok(())
        }
        Command::Train(a) => train(*a),
        Command::Sweep(a) => sweep(a),
        Command::Summarize(a) => {
            let runs = load_runs(&a.dir)?;
            if let Some(w) = mixed_code_warning(runs.iter().map(|r| &r.summary)) {
                eprintln!("{w}");
            }
            let groups = summarize(&runs);
            if a.json {
                println!("{}", serde_json::to_string_pretty(&groups)?);
            } else if a.csv {
                print!("{}", csv(&groups));
            } else {
                print!("{}", table(&groups));
            }
            Ok(())
        }
        Command::Data(DataCommand::Info { data, json }) => {
            let d = load(&data, 0.1, false)?;
            let info = d.info();
            if json {
                println!("{}", serde_json::to_string_pretty(&info)?);
            } else {
                println!("name          {}", info.name);
                println!("source        {}", info.source);
                println!("checksum      sha256:{}", info.checksum);
                println!(
                    "counts        train {}  val {}  test {}",
                    info.counts["train"], info.counts["val"], info.counts["test"]
                );
                println!("input shape   {:?}", info.input_shape);
                println!("classes       {}", info.classes);
                println!("per class     {:?} (train)", info.class_histogram);
                println!("features      mean {:.4}  std {:.4} (train)", info.feature_mean, info.feature_std);
            }
            Ok(())
        }
    }
}

/// The exit code for an error chain: 2 if any cause is a usage error (a bad flag, key, value or spec),
/// else 1.
fn exit_code(e: &anyhow::Error) -> u8 {
    let usage = e.chain().any(|c| {
        c.downcast_ref::<Error>().is_some_and(Error::is_usage)
            || c.downcast_ref::<actscope_data::Error>().is_some_and(actscope_data::Error::is_usage)
    });
    if usage { 2 } else { 1 }
}

/// Restores the default action of SIGPIPE, which Rust's runtime ignores: with it ignored, printing to a
/// closed pipe (`actscope summarize runs | head`) fails and `println!` panics. With the default action
/// the process ends quietly when the reader goes away, as Unix tools do.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any other thread exists; `signal` with SIG_DFL installs
    // no handler code of ours.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit_code(&e))
        }
    }
}
