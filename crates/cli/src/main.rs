//! The `actscope` command line: the entry point that parses arguments and hands off to the library.

use std::path::PathBuf;
use std::process::ExitCode;

use actscope::config::RunConfig;
use actscope::data::load;
use actscope::error::{UsageError, exit_code};
use actscope::summarize::{csv, load_runs, mixed_code_warning, summarize, table};
use actscope::sweep::{DataCache, Shard, SweepFile, SweepOptions, execute_sweep};
use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

/// Measure what activations and batch normalisation do inside real networks.
///
/// actscope trains MLPs under every combination of activation and BatchNorm placement, instruments them
/// (saturation, dead units, gradient flow, activation distributions), repeats over seeds and reports.
#[derive(Parser)]
#[command(name = "actscope", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
        /// Budget: smoke, default or full.
        #[arg(long, default_value = "default")]
        profile: String,
    },
}

#[derive(Args)]
struct PlotArgs {
    /// Directory of run directories (e.g. a sweep's --out).
    runs_dir: PathBuf,
    /// Where to write the figures.
    #[arg(long, default_value = "figures")]
    out: PathBuf,
    /// Formats, comma-separated: png, svg.
    #[arg(long, value_delimiter = ',', default_value = "png,svg")]
    format: Vec<String>,
}

#[derive(Args)]
struct ReportArgs {
    /// smoke (seconds), default (minutes on 2 cores, embedded data) or full (paper scale, full Fashion-MNIST).
    #[arg(long, default_value = "default")]
    profile: String,
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
    #[arg(long)]
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
    /// Data: default, embedded, synthetic:clusters|teacher|spirals|gaussian, an IDX directory, or file.csv[#label].
    #[arg(long)]
    data: Option<String>,
    /// Hidden widths, comma-separated, e.g. 100,100,100.
    #[arg(long, value_delimiter = ',')]
    hidden: Option<Vec<usize>>,
    /// Activation: sigmoid, tanh, relu, leaky_relu(α), elu(α), gelu, silu, softplus, softsign, identity.
    #[arg(long)]
    activation: Option<String>,
    /// BatchNorm placement: none, before (Linear → BN → φ) or after (Linear → φ → BN).
    #[arg(long)]
    placement: Option<String>,
    /// Weight init: pytorch, glorot_standard, xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal, lecun_normal, small_gaussian(σ).
    #[arg(long)]
    init: Option<String>,
    /// Optimizer: sgd, adam or adamw.
    #[arg(long)]
    optimizer: Option<String>,
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
    /// No progress output.
    #[arg(long)]
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
    let mut table = match &a.config {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            text.parse::<toml::Table>().map_err(|e| UsageError::new(format!("{}: {e}", p.display())))?
        }
        None => toml::Table::new(),
    };
    let mut put = |k: &str, v: toml::Value| {
        table.insert(k.to_string(), v);
    };
    if let Some(v) = a.data {
        put("data", v.into());
    }
    if let Some(v) = a.hidden {
        put("hidden", toml::Value::Array(v.into_iter().map(|w| toml::Value::Integer(w as i64)).collect()));
    }
    for (k, v) in
        [("activation", a.activation), ("placement", a.placement), ("init", a.init), ("optimizer", a.optimizer)]
    {
        if let Some(v) = v {
            put(k, v.into());
        }
    }
    for (k, v) in [("lr", a.lr), ("momentum", a.momentum)] {
        if let Some(v) = v {
            put(k, v.into());
        }
    }
    for (k, v) in [("batch_size", a.batch_size), ("epochs", a.epochs), ("steps", a.steps)] {
        if let Some(v) = v {
            put(k, toml::Value::Integer(v as i64));
        }
    }
    if let Some(v) = a.seed {
        put("seed", toml::Value::Integer(v as i64));
    }
    for kv in &a.set {
        let (k, v) = kv.split_once('=').ok_or_else(|| UsageError::new(format!("--set {kv:?}: expected KEY=VALUE")))?;
        let value: toml::Value = format!("v = {v}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(v.to_string()));
        put(k.trim(), value);
    }
    if !table.contains_key("hidden") && !table.contains_key("depth") {
        table.insert("hidden".into(), toml::Value::Array(vec![100.into(), 100.into(), 100.into()]));
    }
    let text = toml::to_string(&table).map_err(|e| UsageError::new(e.to_string()))?;
    let cfg = RunConfig::from_toml(&text, "settings")?;
    let data = load(&cfg.data, cfg.val_fraction, cfg.standardize)?;
    eprintln!("data: {}", data.description);
    let s = actscope::run::execute(&cfg, &data, &a.out)?;
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
    let file = SweepFile::read(&a.file)?;
    let runs = file.expand()?;
    if a.dry_run {
        for r in runs.iter().filter(|r| shard.owns(&r.id())) {
            let note = match actscope::run::state(&a.out, &r.dir_name()) {
                actscope::run::RunState::Missing => "",
                actscope::run::RunState::Finished => "  (finished)",
                actscope::run::RunState::Stale(_) => "  (finished by other code: will be redone)",
            };
            println!("{}{note}", r.dir_name());
        }
        return Ok(());
    }
    let jobs = a.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs == 0 {
        return Err(UsageError::new("--jobs must be ≥ 1").into());
    }
    let opts = SweepOptions { jobs, shard, quiet: a.quiet };
    let r = execute_sweep(&runs, &a.out, &opts, &DataCache::default())?;
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
    let formats = a
        .format
        .iter()
        .map(|f| {
            actscope_plots::Format::parse(f)
                .ok_or_else(|| UsageError::new(format!("unknown format {f:?}; expected png or svg")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let exp = actscope::report::aggregate::Experiment::load("runs", "", &a.runs_dir, 0.0)?;
    if exp.runs.is_empty() {
        return Err(UsageError::new(format!("{} holds no finished runs", a.runs_dir.display())).into());
    }
    if let Some(w) = mixed_code_warning(exp.runs.iter().map(|r| &r.summary)) {
        eprintln!("{w}");
    }
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let figs = actscope::report::figures::build(&exp, &exp, &exp, &exp, &[]);
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
    let profile = actscope::report::Profile::parse(&a.profile)?;
    let jobs = a.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let opts = actscope::report::ReportOptions { profile, data: a.data, out: a.out, jobs, quiet: a.quiet };
    let index = actscope::report::run(&opts)?;
    println!("{}", index.display());
    Ok(())
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Plot(a) => plot(a),
        Command::Report(a) => report(a),
        Command::Theory { json, profile } => {
            let p = actscope::report::Profile::parse(&profile)?;
            let checks = actscope::report::theory::run_checks(actscope::report::theory_budget(p), 0);
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

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit_code(&e))
        }
    }
}
