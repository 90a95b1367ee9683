//! The `actscope` command line: the entry point that parses arguments and hands off to the library.

mod analyze;
mod export;
mod progress;
mod settings;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use actscope_core::{Activation, Init, Placement};
use actscope_data::load;
use actscope_lab::columns::{Row, default_columns, known_columns, parse_columns};
use actscope_lab::config::{check_setting, line_of};
use actscope_lab::report::Profile;
use actscope_lab::report::figures::Cells;
use actscope_lab::summarize::{group_metrics, load_runs, no_runs_error, summarize};
use actscope_lab::sweep::{DataCache, MAX_RUNS_ENV, Shard, SweepFile, SweepOptions, execute_sweep, max_runs};
/// "s" where a count is not 1 (shared with the lab's pages).
pub(crate) use actscope_lab::words::plural;
use actscope_lab::{Error, OptimizerKind, RunConfig};
use anyhow::Result;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::progress::{Progress, TrainProgress, Verbosity};

/// `print!` to standard output, returning a failed write (a full disk, a closed descriptor: `> /dev/full`)
/// as an error — exit 1 with a message — where `print!` panics. Defined before the modules that use it.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        write!(stdout, $($arg)*)
            .and_then(|()| stdout.flush())
            .map_err(|e| anyhow::anyhow!("writing to standard output: {e}"))
    }};
}

/// [`out!`] with a newline, as `println!`.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::out!("{}\n", format_args!($($arg)*))
    };
}

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

impl FormatArg {
    /// The plots crate's format.
    fn format(self) -> actscope_plots::Format {
        match self {
            FormatArg::Png => actscope_plots::Format::Png,
            FormatArg::Svg => actscope_plots::Format::Svg,
        }
    }
}

fn parse_activation(s: &str) -> Result<Activation, String> {
    s.parse().map_err(|e: actscope_core::Error| e.to_string())
}

fn parse_init(s: &str) -> Result<Init, String> {
    s.parse().map_err(|e: actscope_core::Error| e.to_string())
}

/// The number of worker threads: `jobs`, or every core; never more runs in parallel than there are
/// cores × 4 (more threads than that only wait on each other).
fn jobs(jobs: Option<usize>, verbosity: Verbosity) -> Result<usize> {
    let cores = actscope_lab::sweep::default_jobs();
    match jobs {
        Some(0) => Err(Error::usage("--jobs must be ≥ 1").into()),
        Some(j) if j > cores * 4 => {
            if verbosity != Verbosity::Quiet {
                eprintln!("note: --jobs {j} capped at {} (4 × the {cores} cores)", cores * 4);
            }
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
    /// No progress and no notes on stderr; results, warnings and errors still show.
    #[arg(long, short, global = true, conflicts_with = "verbose", display_order = 1000)]
    quiet: bool,
    /// More on stderr: the resolved settings of a run, and a line per evaluation (train) or finished run
    /// (sweep, report) even under a progress bar.
    #[arg(long, short, global = true, display_order = 1000)]
    verbose: bool,
}

impl Cli {
    fn verbosity(&self) -> Verbosity {
        match (self.quiet, self.verbose) {
            (true, _) => Verbosity::Quiet,
            (false, true) => Verbosity::Verbose,
            (false, false) => Verbosity::Normal,
        }
    }
}

/// The command line's definition, with `train`'s help completed from the list of settings.
fn command() -> clap::Command {
    Cli::command().mut_subcommand("train", settings::with_settings_help)
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
    ///
    /// Shows a progress bar on a terminal, and a line per validation evaluation otherwise.
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
    /// Diagnose any network from its captures (docs/capture.md): metrics, run directories, figures, diagnosis.
    Analyze(analyze::AnalyzeArgs),
    /// Export runs: a flat CSV table for pandas/polars, or TensorBoard event files.
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// Run the bundled experiments, rule on every claim and write the HTML and Markdown report.
    Report(ReportArgs),
    /// List every run setting with its type, default and meaning.
    Config(ConfigArgs),
    /// Write the manual pages (roff): actscope.1 on stdout, or one page per command into --out.
    Man {
        /// Directory for actscope.1 and one actscope-COMMAND.1 per command (e.g. ~/.local/share/man/man1).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Check theory at initialisation (gradient growth with BN, born-dead ReLU nets, moments of φ(z)); exits
    /// 1 when a check fails, so it can gate CI.
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
    /// Draw only the runs whose setting KEY has VALUE (TOML value syntax, as --set), e.g. --where
    /// momentum=0.9 --where 'hidden=[64, 64]'; repeatable. Needed where runs of one activation and
    /// placement differ in another setting: their figures show one configuration each.
    #[arg(long = "where", value_name = "KEY=VALUE")]
    filter: Vec<String>,
    /// JSON output on stdout: an array of {figure, files}, the files written for each figure, instead of a
    /// path per line.
    #[arg(long)]
    json: bool,
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
    /// JSON output on stdout: {index, markdown, claims: [{id, claim, verdict}]}, the verdicts as OUT/claims.json
    /// holds them, instead of the index's path.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ConfigArgs {
    /// Every setting (the default when no KEY is named).
    #[arg(long)]
    list: bool,
    /// Only these settings.
    #[arg(value_name = "KEY", conflicts_with = "list")]
    keys: Vec<String>,
    /// JSON output: an array of {name, type, meaning, default}.
    #[arg(long)]
    json: bool,
}

// The help of the flags that set a run setting (data … seed) comes from the list of settings
// (`settings::with_settings_help`), with its default.
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
    #[arg(long)]
    data: Option<String>,
    /// Hidden widths, input side first (comma-separated, given once).
    #[arg(long, value_delimiter = ',', action = clap::ArgAction::Set)]
    hidden: Option<Vec<usize>>,
    #[arg(long, value_parser = parse_activation)]
    activation: Option<Activation>,
    #[arg(long, value_enum)]
    placement: Option<PlacementArg>,
    #[arg(long, value_parser = parse_init)]
    init: Option<Init>,
    #[arg(long, value_enum)]
    optimizer: Option<OptimizerArg>,
    #[arg(long)]
    lr: Option<f64>,
    #[arg(long)]
    momentum: Option<f64>,
    #[arg(long)]
    batch_size: Option<usize>,
    #[arg(long)]
    epochs: Option<usize>,
    #[arg(long)]
    steps: Option<usize>,
    #[arg(long)]
    seed: Option<u64>,
    /// Any other setting as KEY=VALUE (TOML value syntax), e.g. --set probe_size=500 --set bias_init=-1.0;
    /// `actscope config --list` lists them. Not for a setting a flag also gives.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct SweepArgs {
    /// The sweep file (TOML with a base table of settings and an axes table).
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
    /// With --dry-run: one JSON object per line instead of text, {"run", "state" (finished, to_redo,
    /// to_train or not_a_run), "refused" (the sweep would refuse it), "notes"}; lockstep groups are left out.
    #[arg(long, requires = "dry_run")]
    json: bool,
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
}

#[derive(Args)]
struct SummarizeArgs {
    /// Directory of run directories (required, unless --list-columns).
    #[arg(required_unless_present = "list_columns")]
    dir: Option<PathBuf>,
    /// CSV output (a statistic takes three columns: NAME_mean, NAME_ci_low, NAME_ci_high).
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    /// JSON output: every group's full summary, or with --columns one object per configuration with those.
    #[arg(long)]
    json: bool,
    /// The columns to show, comma-separated: any setting but seed (a row's runs differ in it: seeds lists
    /// them) or derived column (see --list-columns) [default:
    /// the settings that vary, activation, placement, depth, optimizer, lr, lr_bracket, lr_width_dec, n,
    /// diverged, test_acc, val_acc, train_acc, dead_frac, saturation, erank_last].
    #[arg(long, value_name = "A,B,…")]
    columns: Option<String>,
    /// List every column with what it shows, and exit.
    #[arg(long)]
    list_columns: bool,
}

#[derive(Subcommand)]
enum DataCommand {
    /// Counts, shape, classes, class histogram, pixel statistics and checksum of a data set.
    Info {
        /// default, embedded, synthetic:NAME, an IDX directory, or file.csv[#label].
        #[arg(long, default_value = "default")]
        data: String,
        /// Share of the training file held out for validation, as a run's `val_fraction` (the counts, the
        /// classes held and the statistics are of what is left to train on).
        #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
        val_fraction: f64,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

/// The settings of a `--config` file, each key checked on its own so that an error names the file, the
/// line and the key.
fn config_file(path: &std::path::Path) -> Result<toml::Table> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("reading", path, e))?;
    let table = text.parse::<toml::Table>().map_err(|e| Error::usage(format!("{}: {e}", path.display())))?;
    for (k, v) in &table {
        check_setting(k, v).map_err(|e| {
            let line = line_of(&text, &[k]).map_or(String::new(), |l| format!(":{l}"));
            Error::usage(format!("{}{line}: {e}", path.display()))
        })?;
    }
    Ok(table)
}

/// An invalid combination of settings blamed on the key whose removal mends it, named with where it came
/// from (`file:line: key = value: …` or `--set key=value: …`); the error as it was when no single key is
/// to blame.
fn blame(e: Error, table: &toml::Table, origin: &std::collections::BTreeMap<String, String>) -> Error {
    let mended = |k: &String| {
        let mut t = table.clone();
        t.remove(k);
        RunConfig::from_table_unvalidated(t).and_then(|c| c.validate()).is_ok()
    };
    match table.iter().find(|(k, _)| origin.contains_key(*k) && mended(k)) {
        Some((k, _)) if origin[k].starts_with("--set") => Error::usage(format!("{}: {e}", origin[k])),
        Some((k, v)) => Error::usage(format!("{}: {k} = {v}: {e}", origin[k])),
        None => e,
    }
}

fn train(a: TrainArgs, verbosity: Verbosity) -> Result<()> {
    // Settings come from the config file, then `--set KEY=VALUE` (TOML values), then the typed flags.
    let (mut table, source) = match &a.config {
        Some(p) => (config_file(p)?, p.display().to_string()),
        None => (toml::Table::new(), "--set".to_string()),
    };
    // Where `depth` was set, for the error when `--hidden` is given too.
    let mut depth_from = a.config.as_ref().map(|p| p.display().to_string());
    // Where each key of `table` came from, for an error in the settings as a whole: `--set KEY=VALUE`, or
    // the file's path and line.
    let mut origin: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    if let Some(p) = &a.config {
        let text = std::fs::read_to_string(p).unwrap_or_default();
        for k in table.keys() {
            let line = line_of(&text, &[k]).map_or(String::new(), |l| format!(":{l}"));
            origin.insert(k.clone(), format!("{}{line}", p.display()));
        }
    }
    for kv in &a.set {
        let (k, value) = setting_arg("--set", kv)?;
        let k = k.as_str();
        if k == "depth" {
            depth_from = Some(format!("--set {kv}"));
        }
        origin.insert(k.to_string(), format!("--set {kv}"));
        table.insert(k.to_string(), value);
    }
    if !table.contains_key("hidden") && !table.contains_key("depth") {
        let widths = settings::TRAIN_HIDDEN.iter().map(|&w| toml::Value::from(w as i64)).collect();
        table.insert("hidden".into(), toml::Value::Array(widths));
    }
    if let (Some(h), Some(d)) = (origin.get("hidden"), origin.get("depth")) {
        let what = |o: &str, k: &str| if o.starts_with("--set") { o.to_string() } else { format!("{o}: {k}") };
        return Err(Error::usage(format!(
            "{} and {}: {}",
            what(h, "hidden"),
            what(d, "depth"),
            actscope_lab::config::HIDDEN_AND_DEPTH
        ))
        .into());
    }
    let mut cfg = RunConfig::from_table(table.clone(), &source).map_err(|e| blame(e, &table, &origin))?;
    // `--hidden` and a depth both give the hidden layers; which one wins would be a guess (the flags
    // override the file, but depth would drop hidden): refuse both, as the settings are refused together.
    if let (Some(h), Some(depth)) = (&a.hidden, cfg.depth) {
        let widths: Vec<String> = h.iter().map(|w| w.to_string()).collect();
        return Err(Error::usage(format!(
            "--hidden {} and depth = {depth} (from {}) both give the hidden layers; give one: --hidden, or \
             depth (with width) in --set or --config",
            widths.join(","),
            depth_from.as_deref().unwrap_or("--set")
        ))
        .into());
    }
    // A flag and `--set` for the same setting on one command line: which was meant is a guess (the flag
    // used to win without a word), so both are refused. A flag does override the config file.
    let flags = [
        ("data", a.data.is_some()),
        ("hidden", a.hidden.is_some()),
        ("activation", a.activation.is_some()),
        ("placement", a.placement.is_some()),
        ("init", a.init.is_some()),
        ("optimizer", a.optimizer.is_some()),
        ("lr", a.lr.is_some()),
        ("momentum", a.momentum.is_some()),
        ("batch_size", a.batch_size.is_some()),
        ("epochs", a.epochs.is_some()),
        ("steps", a.steps.is_some()),
        ("seed", a.seed.is_some()),
    ];
    if let Some((k, set)) = flags
        .iter()
        .filter(|(_, given)| *given)
        .find_map(|(k, _)| origin.get(*k).filter(|o| o.starts_with("--set")).map(|o| (k, o)))
    {
        return Err(Error::usage(format!(
            "--{} and {set} both set {k}; give one (a flag overrides the config file, not --set)",
            k.replace('_', "-")
        ))
        .into());
    }
    if let Some(v) = a.data {
        cfg.data = v;
    }
    if let Some(h) = a.hidden {
        cfg.hidden = h;
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
    if verbosity != Verbosity::Quiet {
        eprintln!("data: {}", data.description);
        if let Some(note) = actscope_data::spec::shadowed(&cfg.data) {
            eprintln!("{note}");
        }
        if let Some(note) = cfg.probe_note(data.val.len()) {
            eprintln!("{note}");
        }
    }
    if verbosity == Verbosity::Verbose {
        eprintln!("settings: {}", cfg.canonical_json());
    }
    let name = cfg.dir_name();
    // A run a process that died had set aside to replace goes back before its state is read.
    actscope_lab::store::recover(&a.out)?;
    let state = actscope_lab::store::state(&a.out, &name, &data.checksum);
    let s = if state == actscope_lab::store::RunState::Finished && !a.force {
        if verbosity != Verbosity::Quiet {
            eprintln!(
                "reused: {} was finished earlier by this code on this data (--force trains it again)",
                a.out.join(&name).display()
            );
        }
        actscope_lab::store::read_summary(&a.out.join(&name))?
    } else {
        if let actscope_lab::store::RunState::Stale(why) = &state
            && verbosity != Verbosity::Quiet
        {
            eprintln!("redoing: {} was {why}", a.out.join(&name).display());
        }
        let total = cfg.train_config(data.train.len()).total_steps(data.train.len());
        let mut progress = TrainProgress::new(verbosity, total);
        // The finished directory (if any) is replaced only once the new run is complete.
        actscope_lab::run::execute_replacing(&cfg, &data, &a.out, &mut progress)?
    };
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&s)?)?;
    } else {
        let acc =
            |p: &Option<actscope_core::EvalPoint>| p.as_ref().map_or("-".into(), |p| format!("{:.4}", p.accuracy));
        outln!(
            "{}: {} after {} steps ({:.1}s); accuracy train {} val {} test {}",
            a.out.join(&s.name).display(),
            s.status,
            s.steps,
            s.wall_seconds,
            acc(&s.train),
            acc(&s.val),
            acc(&s.test)
        )?;
    }
    Ok(())
}

/// One run of `sweep --dry-run`: printed as text ("NAME  (note)  (note)") or, with `--json`, as one JSON
/// object per line.
struct DryRunEntry {
    /// The run's directory name.
    run: String,
    /// `finished`, `to_redo`, `to_train` or `not_a_run` (a directory that is not a finished run).
    state: &'static str,
    /// Whether the sweep would refuse it (a directory in the way, data it does not fit, too little memory).
    refused: bool,
    /// What the text shows in parentheses.
    notes: Vec<String>,
}

impl DryRunEntry {
    fn text(&self) -> String {
        self.notes.iter().fold(self.run.clone(), |t, n| format!("{t}  ({n})"))
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({ "run": self.run, "state": self.state, "refused": self.refused, "notes": self.notes })
    }
}

fn sweep(a: SweepArgs, verbosity: Verbosity) -> Result<()> {
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
        file = file.with_profile(p)?;
    }
    let mut opts = SweepOptions::new(jobs(a.jobs, verbosity)?, shard)?;
    opts.lockstep |= a.lockstep;
    // Named as the flag, before any run: it had been blamed on the first run that tried to create it (and a
    // dry run listed every run as to train).
    if a.out.exists() && !a.out.is_dir() {
        let not_a_dir = std::io::Error::new(std::io::ErrorKind::NotADirectory, "exists and is not a directory");
        return Err(Error::io("using as --out", &a.out, not_a_dir).into());
    }
    // Refused before anything else, also by a dry run (which had listed the runs and exited 0).
    if a.bracket && opts.shard.count() != 1 {
        return Err(Error::usage("--bracket needs the whole sweep: leave out --shard").into());
    }
    if verbosity != Verbosity::Quiet {
        // A named spec beside a directory of that name (`embedded` and ./embedded): the named data is read.
        for note in file.data_specs().iter().filter_map(|s| actscope_data::spec::shadowed_in_file(s)) {
            eprintln!("{note}");
        }
    }
    if a.bracket && a.dry_run {
        // The dry run streams the grid: its rates are read in a pass of their own.
        let rates = file.runs(cap)?.map(|r| r.map(|r| r.lr)).collect::<actscope_lab::Result<Vec<f64>>>()?;
        bracket_has_a_ratio(&rates)?;
    }
    if a.dry_run {
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        // Distinct runs of the whole grid (every shard's), for the note on combinations that repeat a run.
        let mut distinct = 0u64;
        let cache = DataCache::default();
        let limit = actscope_lab::budget::MemoryLimit::current()?;
        // Runs listed per state (counted as they are written); the first refusal the sweep would meet.
        let mut counts: std::collections::BTreeMap<&'static str, usize> = std::collections::BTreeMap::new();
        // As the sweep refuses: every directory in the way first (exit 1), then a run too large (exit 2).
        let foreign = std::cell::RefCell::new(None);
        let too_large = std::cell::RefCell::new(None);
        // Runs an interrupted process set aside, found with one listing of the output directory.
        let set_aside = actscope_lab::store::SetAside::find(&a.out);
        // The runs to train with their memory needs, for the check of `--jobs` runs (or groups) at once.
        let to_train = std::cell::RefCell::new(Vec::<(u64, RunConfig)>::new());
        // The entry of a run this shard owns: its directory and whether it is finished; a run to train is
        // checked against the machine's memory as the sweep would check it.
        let line = |r: &RunConfig| -> Result<Option<DryRunEntry>> {
            if !shard.owns(&r.id()) {
                return Ok(None);
            }
            let mut entry = DryRunEntry { run: r.dir_name(), state: "to_train", refused: false, notes: Vec::new() };
            // The sweep's own refusal, so that the dry run exits with it.
            if let Err(e) = actscope_lab::store::not_a_foreign_directory(&a.out, &r.dir_name()) {
                entry.state = "not_a_run";
                entry.refused = true;
                entry.notes.push("exists but is not a finished run: the sweep will refuse it".into());
                foreign.borrow_mut().get_or_insert(e);
                return Ok(Some(entry));
            }
            // A finished run an interrupted process set aside is put back before states are read.
            let aside = match set_aside.get(&r.dir_name()) {
                Some(_) => ", set aside by an interrupted process: will be put back",
                None => "",
            };
            match actscope_lab::sweep::run_state(r, &a.out, &cache, &set_aside)? {
                actscope_lab::store::RunState::Finished => {
                    entry.state = "finished";
                    entry.notes.push(format!("finished{aside}"));
                    return Ok(Some(entry));
                }
                actscope_lab::store::RunState::Missing => {}
                actscope_lab::store::RunState::Stale(why) => {
                    entry.state = "to_redo";
                    entry.notes.push(format!("finished{aside}, {why}: will be redone"));
                }
            }
            let shape = cache.shape(r)?;
            if let Err(e) = actscope_lab::budget::check_fit(r, &shape) {
                entry.refused = true;
                entry.notes.push(format!("will be refused: {e}"));
                too_large.borrow_mut().get_or_insert_with(|| e.context(format!("run {}", r.dir_name())));
                return Ok(Some(entry));
            }
            match actscope_lab::budget::check_memory(r, &shape, &limit) {
                Err(e) => {
                    entry.refused = true;
                    entry.notes.push("too large for this machine: will be refused".into());
                    too_large.borrow_mut().get_or_insert_with(|| e.context(format!("run {}", r.dir_name())));
                }
                Ok(e) => {
                    let mut w = to_train.borrow_mut();
                    w.push((actscope_lab::sweep::sweep_need(r, &shape, &e, &opts), r.clone()));
                    // One by one, only the `jobs` largest can be at once: the others need not be kept.
                    if !opts.lockstep && w.len() > opts.jobs {
                        w.sort_by_key(|b| std::cmp::Reverse(b.0));
                        w.truncate(opts.jobs);
                    }
                }
            }
            Ok(Some(entry))
        };
        let mut write = |e: DryRunEntry| -> Result<()> {
            *counts.entry(e.state).or_default() += 1;
            if a.json {
                writeln!(stdout, "{}", e.json())?;
            } else {
                writeln!(stdout, "{}", e.text())?;
            }
            Ok(())
        };
        if opts.lockstep {
            // Grouping needs the whole grid in memory: expanded once, listed, then grouped.
            let runs = file.expand_at_most(cap)?;
            distinct = runs.len() as u64;
            for r in &runs {
                if let Some(e) = line(r)? {
                    write(e)?;
                }
            }
            if !a.json {
                for g in actscope_lab::sweep::describe_groups(&runs, &a.out, &opts, &cache)? {
                    writeln!(stdout, "{g}")?;
                }
            }
        } else {
            // Streamed: one run is built, listed and dropped at a time, however large the grid.
            for r in file.runs(cap)? {
                distinct += 1;
                if let Some(e) = line(&r?)? {
                    write(e)?;
                }
            }
        }
        stdout.flush()?;
        let n = |state: &str| counts.get(state).copied().unwrap_or(0);
        let (finished, redo, train, in_the_way) = (n("finished"), n("to_redo"), n("to_train"), n("not_a_run"));
        let listed = finished + redo + train + in_the_way;
        if verbosity != Verbosity::Quiet {
            let refused = if in_the_way > 0 {
                format!(", {in_the_way} in the way of a directory that is not a finished run (refused)")
            } else {
                String::new()
            };
            eprint!("{}", repeats_note(&file, distinct)?);
            eprintln!(
                "{}: {listed} runs in shard {}/{}: {finished} finished, {redo} to redo, {train} to train{refused}",
                file.name.as_deref().unwrap_or("sweep"),
                shard.index(),
                shard.count()
            );
        }
        if let Some(e) = foreign.into_inner().or(too_large.into_inner()) {
            return Err(e.into());
        }
        // Each run fits alone: do `--jobs` of them (or of their groups) fit at once, as the sweep checks?
        let (needs, cfgs): (Vec<u64>, Vec<RunConfig>) = to_train.into_inner().into_iter().unzip();
        actscope_lab::sweep::plan(&cfgs.iter().collect::<Vec<_>>(), &needs, &opts, &limit)?;
        return Ok(());
    }
    let runs = file.expand_at_most(cap)?;
    if a.bracket {
        bracket_has_a_ratio(&runs.iter().map(|r| r.lr).collect::<Vec<f64>>())?;
    }
    let (cache, progress) = (DataCache::default(), Progress::new(verbosity));
    if verbosity != Verbosity::Quiet {
        eprint!("{}", repeats_note(&file, runs.len() as u64)?);
    }
    let r = execute_sweep(&runs, &a.out, &opts, &cache, &progress)?;
    // The grid's line first, then what bracketing added beyond it (it used to come after bracketing's, as
    // if it counted its runs).
    if verbosity != Verbosity::Quiet {
        eprintln!(
            "{}: {} runs in shard {}/{}: {} finished earlier, {} done now ({} diverged, {} redone{}) → {}",
            file.name.as_deref().unwrap_or("sweep"),
            r.planned,
            shard.index(),
            shard.count(),
            r.skipped,
            r.done,
            r.diverged,
            r.redone.len(),
            redone_reasons(&r.redone, verbosity != Verbosity::Verbose),
            a.out.display()
        );
        if verbosity == Verbosity::Verbose {
            for (name, why) in &r.redone {
                eprintln!("redone: {name}: it was {why}");
            }
        }
    }
    if a.bracket {
        let n = actscope_lab::tuning::bracket_sweep(&runs, &a.out, &opts, &cache, &progress)?;
        if verbosity != Verbosity::Quiet {
            eprintln!(
                "bracketing: {n} runs beyond the grid, extending learning-rate grids whose best rate was at an edge"
            );
        }
    }
    Ok(())
}

/// Bracketing extends a grid by its own ratio; with one rate there is none (it had reported 0 runs added).
fn bracket_has_a_ratio(rates: &[f64]) -> Result<()> {
    if actscope_lab::tuning::grid_ratio(rates).is_none() {
        return Err(Error::usage(format!(
            "--bracket extends the learning-rate grid by its own ratio, and this sweep has one rate (lr = {}): give \
             lr at least two values",
            rates.first().map_or_else(|| "none".to_string(), f64::to_string)
        ))
        .into());
    }
    Ok(())
}

/// A line for stderr where the axes' combinations make fewer distinct runs than there are combinations
/// (an axis over a setting some runs ignore, such as `momentum` beside Adam, gives those runs once), else
/// nothing: the user sees why the count is not the product of the axes' lengths.
fn repeats_note(file: &SweepFile, distinct: u64) -> Result<String> {
    let combinations = file.count()?;
    if distinct >= combinations {
        return Ok(String::new());
    }
    Ok(format!(
        "{}: the axes' {combinations} combinations make {distinct} distinct runs, since a setting a run ignores \
         (such as momentum with Adam, or bn_eps without BatchNorm) makes no other run\n",
        file.name.as_deref().unwrap_or("sweep"),
    ))
}

/// Why runs were redone, counted by kind: ": 2 computed by other code, 1 trained on other data" (empty when
/// none were).
fn redone_reasons(redone: &[(String, actscope_lab::store::Stale)], hint: bool) -> String {
    use actscope_lab::store::Stale;
    let count = |f: fn(&Stale) -> bool| redone.iter().filter(|(_, s)| f(s)).count();
    let parts: Vec<String> = [
        (count(|s| matches!(s, Stale::OtherCode(_))), "computed by other code"),
        (count(|s| matches!(s, Stale::OtherData(_))), "trained on other data"),
        (count(|s| matches!(s, Stale::Damaged(_))), if hint { "damaged (-v names them)" } else { "damaged" }),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if parts.is_empty() { String::new() } else { format!(": {}", parts.join(", ")) }
}

/// Prints what reading runs found ([`actscope_lab::summarize::reading_warnings`]): warnings always, notes
/// (`note: …`) unless `quiet` — `-q` hides progress and notes, never warnings.
pub(crate) fn print_reading(messages: impl IntoIterator<Item = String>, quiet: bool) {
    for m in messages {
        if !quiet || !m.starts_with("note:") {
            eprintln!("{m}");
        }
    }
}

/// A `KEY=VALUE` argument of `flag` (`--set`, `--where`): the key and its TOML value (a bare word is a
/// string), checked as a setting on its own.
fn setting_arg(flag: &str, kv: &str) -> Result<(String, toml::Value)> {
    let (k, v) = kv.split_once('=').ok_or_else(|| Error::usage(format!("{flag} {kv:?}: expected KEY=VALUE")))?;
    // Read as a TOML line, a value with a line break would set the keys of its further lines too, or drop
    // them (`seed=3\nlr=0.5` trained at the default rate): one setting per flag.
    if v.contains(['\n', '\r']) {
        return Err(Error::usage(format!(
            "{flag} {kv:?}: the value holds a line break; give one KEY=VALUE per {flag}"
        ))
        .into());
    }
    let parsed = format!("v = {v}").parse::<toml::Table>().ok().and_then(|mut t| t.remove("v"));
    // A whole number past TOML's (i64) range would otherwise be read as text and refused as "a string".
    if parsed.is_none() && v.trim().parse::<u128>().is_ok() {
        return Err(Error::usage(format!(
            "{flag} {kv}: {} is larger than any whole-number setting takes (at most {})",
            v.trim(),
            i64::MAX
        ))
        .into());
    }
    let value = parsed.unwrap_or_else(|| toml::Value::String(v.to_string()));
    let k = k.trim();
    check_setting(k, &value).map_err(|e| Error::usage(format!("{flag} {kv}: {e}")))?;
    Ok((k.to_string(), value))
}

/// A `--where KEY=VALUE` filter: the setting's name and its value as a run's `config.json` writes it.
fn where_filter(kv: &str) -> Result<(String, serde_json::Value)> {
    let (k, value) = setting_arg("--where", kv)?;
    // A configuration writes no number that is not finite (JSON has none: serde_json would make it null,
    // which is how an unset setting reads, so `bias_init=inf` would pick the runs without a bias_init).
    if non_finite(&value) {
        return Err(Error::usage(format!(
            "--where {kv}: {value} is not a finite number, and no run's settings hold one (a run whose setting \
             is unset matches no value: leave the filter out to keep it)"
        ))
        .into());
    }
    let k = k.as_str();
    // The value as a configuration holds it (`0` for a float setting is 0.0, an activation's default
    // parameter is written out), read through a configuration that sets it alone.
    let mut table = toml::Table::new();
    table.insert(k.to_string(), value.clone());
    let written = RunConfig::from_table_unvalidated(table)
        .ok()
        .and_then(|c| serde_json::to_value(c).ok())
        .and_then(|c| c.get(k).cloned())
        .map_or_else(|| serde_json::to_value(&value), Ok)?;
    Ok((k.to_string(), canonical_data(k, written)))
}

/// Whether `v` is, or holds, a float that is not finite (`inf`, `nan`).
fn non_finite(v: &toml::Value) -> bool {
    match v {
        toml::Value::Float(f) => !f.is_finite(),
        toml::Value::Array(a) => a.iter().any(non_finite),
        toml::Value::Table(t) => t.values().any(non_finite),
        _ => false,
    }
}

/// A `data` value in the one spelling a run's id is of (`./idx/` is `idx`), so that a filter matches the run
/// whichever spelling trained it; other settings as they are.
fn canonical_data(key: &str, value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::String(s) if key == "data" => actscope_data::spec::canonical(&s).into(),
        other => other,
    }
}

fn plot(a: PlotArgs, verbosity: Verbosity) -> Result<()> {
    let formats: Vec<actscope_plots::Format> = a.format.iter().map(|f| f.format()).collect();
    let filters = a.filter.iter().map(|kv| where_filter(kv)).collect::<Result<Vec<_>>>()?;
    let mut loaded = load_runs(&a.runs_dir)?;
    if loaded.is_empty() {
        return Err(no_runs_error(&a.runs_dir).into());
    }
    let all = loaded.len();
    loaded.retain(|r| {
        let c = serde_json::to_value(&r.config).unwrap_or_default();
        filters.iter().all(|(k, v)| c.get(k).map(|w| canonical_data(k, w.clone())).as_ref() == Some(v))
    });
    if loaded.is_empty() {
        return Err(Error::usage(format!(
            "none of the {all} runs in {} has {}",
            a.runs_dir.display(),
            a.filter.join(" and ")
        ))
        .into());
    }
    print_reading(actscope_lab::summarize::reading_warnings(Some(&a.runs_dir), &loaded), verbosity == Verbosity::Quiet);
    // Figures inside a run directory would be lost when the run is redone, and could pass for its files.
    actscope_lab::export::source::refuse_out_in_runs(&loaded, &a.out, "plot")?;
    let mut exp = actscope_lab::report::aggregate::Experiment::from_loaded("runs", "", loaded, 0.0)?;
    // Figures are per activation × placement: runs of one cell that differ in another setting would show one
    // configuration and hide the others (a momentum axis had been dropped without a word).
    let listed = |v: &[(String, Vec<String>)]| {
        v.iter().map(|(k, vals)| format!("{k} ({})", vals.join(", "))).collect::<Vec<_>>().join(", ")
    };
    match actscope_lab::report::figures::cells(&mut exp) {
        Cells::One => {}
        Cells::Hidden { within, example } => {
            let example = example.map_or_else(String::new, |(k, v)| format!(", e.g. --where '{k}={v}'"));
            return Err(Error::usage(format!(
                "the runs in {} differ within one activation and placement in {}: the figures show one \
                 configuration per activation and placement, so choose one with --where{example}",
                a.runs_dir.display(),
                listed(&within)
            ))
            .into());
        }
        Cells::Drawn { within, shown } if verbosity != Verbosity::Quiet => {
            let shown: Vec<String> = shown.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            eprintln!(
                "note: the runs differ within one activation and placement in {}: accuracy_vs_depth shows every \
                 depth and dead_units every initial bias, the other figures one configuration per activation and \
                 placement ({}; choose another with --where)",
                listed(&within),
                shown.join(", ")
            );
        }
        Cells::Drawn { .. } => {}
    }
    actscope_lab::figures_dir::claim(&a.out, "plot")?;
    let figs = actscope_lab::report::figures::for_runs(&exp);
    let mut n = 0;
    let mut written = Vec::new();
    let mut files = Vec::new();
    for (stem, fig) in &figs {
        let these = actscope_plots::render(fig, &a.out.join(stem), &formats)?;
        if a.json {
            let names: Vec<String> = these.iter().map(|p| p.display().to_string()).collect();
            written.push(serde_json::json!({ "figure": stem, "files": names }));
        } else {
            outln!("{}", a.out.join(stem).display())?;
        }
        files.extend(these);
        n += 1;
    }
    // The captions: how many seeds an interval rests on, which run a single-run figure shows, what an axis's
    // scale is. The images alone do not say.
    let index = a.out.join("figures.md");
    let source = format!("{} run{} in {}", exp.runs.len(), plural(exp.runs.len()), a.runs_dir.display());
    std::fs::write(&index, actscope_lab::report::write::figure_index(&source, &figs, &formats))
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", index.display()))?;
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&written)?)?;
    } else {
        outln!("{}", index.display())?;
    }
    // Files of these figures left in OUT by an earlier plot — a figure these runs do not support, or a format
    // not drawn now — would pass for figures of these runs (an earlier sigmoid histogram stayed beside tanh
    // figures): removed. Other files in OUT are left alone.
    let stale = actscope_lab::figures_dir::remove_earlier(&a.out, &files)?;
    if stale > 0 && verbosity != Verbosity::Quiet {
        eprintln!(
            "note: removed {stale} file{} an earlier plot left in {} for figures not drawn now",
            plural(stale),
            a.out.display()
        );
    }
    if verbosity != Verbosity::Quiet {
        let runs = exp.runs.len();
        eprintln!("{n} figure{} from {runs} run{} → {}", plural(n), plural(runs), a.out.display());
    }
    Ok(())
}

fn report(a: ReportArgs, verbosity: Verbosity) -> Result<()> {
    let opts = actscope_lab::report::ReportOptions {
        profile: a.profile.into(),
        data: a.data,
        out: a.out,
        jobs: jobs(a.jobs, verbosity)?,
    };
    let index = actscope_lab::report::run(&opts, &Progress::new(verbosity))?;
    if !a.json {
        outln!("{}", index.display())?;
        return Ok(());
    }
    // The verdicts as the report wrote them beside its index (one source for the page and for scripts).
    let path = index.with_file_name("claims.json");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io("reading", &path, e))?;
    let claims: Vec<serde_json::Value> = serde_json::from_str(&text)?;
    let claims: Vec<serde_json::Value> = claims
        .iter()
        .map(|c| serde_json::json!({ "id": c["id"], "claim": c["text"], "verdict": c["verdict"] }))
        .collect();
    let summary = serde_json::json!({
        "index": index.display().to_string(),
        "markdown": index.with_file_name("report.md").display().to_string(),
        "claims": claims,
    });
    outln!("{}", serde_json::to_string_pretty(&summary)?)?;
    Ok(())
}

fn summarize_runs(a: SummarizeArgs, verbosity: Verbosity) -> Result<()> {
    if a.list_columns {
        for (name, meaning) in known_columns() {
            outln!("{name:<22}  {meaning}")?;
        }
        return Ok(());
    }
    let dir = a.dir.expect("clap requires DIR without --list-columns");
    let runs = load_runs(&dir)?;
    if runs.is_empty() {
        return Err(no_runs_error(&dir).into());
    }
    print_reading(actscope_lab::summarize::reading_warnings(Some(&dir), &runs), verbosity == Verbosity::Quiet);
    let groups = summarize(&runs);
    let columns = match &a.columns {
        Some(list) => parse_columns(list)?,
        None => default_columns(&groups),
    };
    // The activation metrics read every selected run's records: only when a column (or the full JSON) shows them.
    let full_json = a.json && a.columns.is_none();
    let metrics = if full_json || columns.iter().any(|c| c.needs_records()) {
        groups.iter().map(|g| group_metrics(g).map(Some)).collect::<actscope_lab::Result<Vec<_>>>()?
    } else {
        vec![None; groups.len()]
    };
    let rows: Vec<Row<'_>> = groups.iter().zip(&metrics).map(|(group, m)| Row { group, metrics: m.as_ref() }).collect();
    if full_json {
        let mut out = Vec::with_capacity(groups.len());
        for (g, m) in groups.iter().zip(&metrics) {
            let mut v = serde_json::to_value(g)?;
            v["metrics"] = serde_json::to_value(m)?;
            out.push(v);
        }
        outln!("{}", serde_json::to_string_pretty(&out)?)?;
    } else if a.json {
        outln!("{}", serde_json::to_string_pretty(&actscope_lab::columns::json(&rows, &columns))?)?;
    } else if a.csv {
        out!("{}", actscope_lab::columns::csv(&rows, &columns))?;
    } else {
        out!("{}", actscope_lab::columns::table(&rows, &columns))?;
    }
    Ok(())
}

fn list_settings(a: ConfigArgs) -> Result<()> {
    let mut all = actscope_lab::config::settings();
    if !a.keys.is_empty() {
        for k in &a.keys {
            if actscope_lab::config::find_key(k).is_none() {
                return Err(actscope_lab::config::unknown_key(k).into());
            }
        }
        all.retain(|s| a.keys.iter().any(|k| k == s.key.name));
    }
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&all)?)?;
    } else {
        out!("{}", settings::list_text(&all))?;
    }
    Ok(())
}

/// Exits non-zero (an error) when any theory check failed, so `actscope theory` can gate CI.
fn theory_verdict(checks: &[actscope_lab::report::theory::TheoryCheck]) -> Result<()> {
    let failed: Vec<&str> = checks.iter().filter(|c| !c.pass).map(|c| c.name.as_str()).collect();
    if failed.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("{} of {} theory checks failed: {}", failed.len(), checks.len(), failed.join("; "))
    }
}

fn man(out: Option<PathBuf>, verbosity: Verbosity) -> Result<()> {
    match out {
        None => {
            let mut stdout = std::io::stdout().lock();
            clap_mangen::Man::new(command()).render(&mut stdout)?;
            stdout.flush()?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir).map_err(|e| Error::io("creating", &dir, e))?;
            clap_mangen::generate_to(command(), &dir).map_err(|e| Error::io("writing manual pages to", &dir, e))?;
            if verbosity != Verbosity::Quiet {
                eprintln!("manual pages → {} (read with: man -l {}/actscope.1)", dir.display(), dir.display());
            }
        }
    }
    Ok(())
}

fn run(cli: Cli) -> Result<()> {
    let verbosity = cli.verbosity();
    match cli.command {
        Command::Completions { shell } => {
            // Into a buffer first: `generate` panics where a write to standard output fails.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command(), "actscope", &mut script);
            out!("{}", String::from_utf8_lossy(&script))
        }
        Command::Config(a) => list_settings(a),
        Command::Man { out } => man(out, verbosity),
        Command::Plot(a) => plot(a, verbosity),
        Command::Analyze(a) => analyze::analyze(a),
        Command::Export(c) => export::run(c),
        Command::Report(a) => report(a, verbosity),
        Command::Theory { json, profile } => {
            let p: Profile = profile.into();
            let checks = actscope_lab::report::theory::run_checks(p.theory(), 0);
            if json {
                outln!("{}", serde_json::to_string_pretty(&checks)?)?;
            } else {
                for c in &checks {
                    outln!(
                        "{:<5} {:<60} measured {:>9.4}  predicted {:>9.4}  ±{:.4}",
                        if !c.pass {
                            "FAIL"
                        } else if c.tells_apart() {
                            "pass"
                        } else {
                            "pass*"
                        },
                        c.name,
                        c.measured,
                        c.predicted,
                        c.tolerance
                    )?;
                }
                let failed = checks.iter().filter(|c| !c.pass).count();
                outln!("{} passed, {} failed", checks.len() - failed, failed)?;
                let weak: Vec<_> =
                    checks.iter().filter(|c| c.pass && !c.tells_apart()).filter_map(|c| c.null.as_ref()).collect();
                if let Some(n) = weak.first() {
                    outln!(
                        "pass*: {} checks pass, but so would {} ({}): their tolerance reaches it, so they rule out large departures only",
                        weak.len(),
                        n.value,
                        n.meaning
                    )?;
                }
            }
            theory_verdict(&checks)
        }
        Command::Train(a) => train(*a, verbosity),
        Command::Sweep(a) => sweep(a, verbosity),
        Command::Summarize(a) => summarize_runs(a, verbosity),
        Command::Data(DataCommand::Info { data, val_fraction, json }) => {
            let d = load(&data, val_fraction, false)?;
            if let Some(note) = actscope_data::spec::shadowed(&data).filter(|_| verbosity != Verbosity::Quiet) {
                eprintln!("{note}");
            }
            let info = d.info();
            if json {
                outln!("{}", serde_json::to_string_pretty(&info)?)?;
            } else {
                outln!("name          {}", info.name)?;
                outln!("source        {}", info.source)?;
                outln!("checksum      sha256:{}", info.checksum)?;
                outln!(
                    "counts        train {}  val {}  test {}",
                    info.counts["train"],
                    info.counts["val"],
                    info.counts["test"]
                )?;
                outln!("input shape   {:?}", info.input_shape)?;
                // Label numbers without a training example (EMNIST Letters numbers its classes from 1) are
                // outputs trained never to be predicted, and chance is one over the classes held.
                let empty: Vec<String> = (0..info.class_histogram.len())
                    .filter(|&c| info.class_histogram[c] == 0)
                    .map(|c| c.to_string())
                    .collect();
                if empty.is_empty() {
                    outln!("classes       {}", info.classes)?;
                } else {
                    outln!(
                        "classes       {} ({} with training examples; none for {}: outputs never a target; uniform chance 1/{})",
                        info.classes,
                        info.classes - empty.len(),
                        empty.join(", "),
                        info.classes - empty.len()
                    )?;
                }
                outln!("per class     {:?} (train)", info.class_histogram)?;
                outln!("features      mean {:.4}  std {:.4} (train)", info.feature_mean, info.feature_std)?;
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
    let cli = Cli::from_arg_matches(&command().get_matches()).unwrap_or_else(|e| e.exit());
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit_code(&e))
        }
    }
}

#[cfg(test)]
mod tests {
    use actscope_lab::report::theory::{CheckKind, TheoryCheck};

    use super::*;

    fn check(name: &str, pass: bool) -> TheoryCheck {
        TheoryCheck {
            kind: CheckKind::GradientGrowth { activation: Activation::Relu, batch: 16 },
            name: name.into(),
            source: "test".into(),
            measured: 1.0,
            predicted: if pass { 1.0 } else { 2.0 },
            tolerance: 0.1,
            pass,
            method: "test".into(),
            null: None,
        }
    }

    /// A failed theory check is an error (exit 1), naming the check; all passing is success.
    #[test]
    fn a_failed_theory_check_fails_the_command() {
        assert!(theory_verdict(&[check("a", true), check("b", true)]).is_ok());
        let e = theory_verdict(&[check("a", true), check("growth at batch 16", false)]).unwrap_err();
        assert_eq!(e.to_string(), "1 of 2 theory checks failed: growth at batch 16");
        assert_eq!(exit_code(&e), 1);
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        command().debug_assert();
    }
}
