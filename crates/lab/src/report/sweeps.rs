//! Running the report's sweep experiments (E1–E4) as their profile and `--data` resolve them, and writing
//! each resolved sweep beside the report.

use std::collections::HashSet;
use std::time::Instant;

use super::aggregate::Experiment;
use super::experiments::ExperimentDef;
use super::options::ReportOptions;
use crate::config::RunConfig;
use crate::fsio;
use crate::summarize::of_this_build;
use crate::sweep::{DataCache, Shard, SweepFile, SweepObserver, SweepOptions, execute_sweep};
use crate::{Error, Result};

/// A sweep experiment as its profile, and the report's `--data`, make it.
pub(super) fn resolved_sweep(def: &ExperimentDef, opts: &ReportOptions) -> Result<(&'static str, SweepFile)> {
    let (stem, text) = def.sweep().ok_or_else(|| Error::usage(format!("{} is not a sweep", def.id)))?;
    let file = SweepFile::parse(text, stem)?;
    let mut sweep = file.with_profile_if_defined(opts.profile.name());
    if let Some(d) = &opts.data {
        sweep.set_base("data", toml::Value::String(d.clone()));
    }
    Ok((stem, sweep))
}

/// Writes the resolved sweep beside the report, so the report names exactly what ran (`header`: comment
/// lines put first, e.g. where runs beyond the sweep's grid are listed).
pub(super) fn write_resolved(
    opts: &ReportOptions,
    stem: &str,
    name: &str,
    sweep: &SweepFile,
    header: Option<&str>,
) -> Result<()> {
    let resolved = toml::to_string(&toml::Table::from_iter([
        ("name".to_string(), toml::Value::String(name.to_string())),
        ("base".to_string(), toml::Value::Table(sweep.base.clone())),
        (
            "axes".to_string(),
            toml::Value::Table(sweep.axes.iter().map(|(k, v)| (k.clone(), toml::Value::Array(v.clone()))).collect()),
        ),
    ]))
    .map_err(|e| Error::usage(format!("{stem}: the resolved sweep cannot be written as TOML: {e}")))?;
    let comment: String = header.map(|h| h.lines().map(|l| format!("# {l}\n")).collect()).unwrap_or_default();
    fsio::write(&opts.out.join("experiments").join(format!("{stem}.toml")), comment + &resolved)
}

/// The activations of `runs`, each once, in order.
pub(super) fn activation_order(runs: &[RunConfig]) -> Vec<actscope_core::Activation> {
    let mut order = Vec::new();
    for r in runs {
        if !order.contains(&r.activation) {
            order.push(r.activation);
        }
    }
    order
}

pub(super) fn run_experiment(
    def: &ExperimentDef,
    opts: &ReportOptions,
    cache: &DataCache,
    observer: &dyn SweepObserver,
) -> Result<Experiment> {
    let (stem, sweep) = resolved_sweep(def, opts)?;
    let runs: Vec<RunConfig> = sweep.expand()?;
    let dir = opts.out.join("runs").join(stem);
    let name = sweep.name.clone().unwrap_or_else(|| stem.to_string());
    observer.message(&format!("{name}: {} runs → {}", runs.len(), dir.display()));
    let start = Instant::now();
    execute_sweep(&runs, &dir, &SweepOptions::new(opts.jobs, Shard::ALL)?, cache, observer)?;
    let wall = start.elapsed().as_secs_f64();
    write_resolved(opts, stem, &name, &sweep, None)?;
    let ids: HashSet<String> = runs.iter().map(|r| r.id()).collect();
    Ok(Experiment::load_only(&name, sweep.description.as_deref().unwrap_or(""), &dir, wall, of_this_build(&ids))?
        .with_activation_order(&activation_order(&runs)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summarize::LoadedRun;

    /// A run's settings copied under another directory name (as other code's run names leave them) are not
    /// read into the experiment a second time, nor is a run of other code.
    #[test]
    fn only_runs_of_this_build_under_their_own_names_are_read() {
        let cfg = RunConfig::from_toml("hidden = [4]\nsteps = 3\nprobe_size = 50", "test").unwrap();
        let data = actscope_data::load("synthetic:spirals", 0.1, false).unwrap();
        let out = std::env::temp_dir().join(format!("actscope-this-build-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        crate::run::execute(&cfg, &data, &out).unwrap();
        let own = out.join(cfg.dir_name());
        let copy = out.join("relu-none-d1-sgd-lr0.1-s0-0123456789ab");
        std::fs::create_dir_all(&copy).unwrap();
        for f in ["config.json", "summary.json", "records.jsonl"] {
            std::fs::copy(own.join(f), copy.join(f)).unwrap();
        }
        let ids: HashSet<String> = [cfg.id()].into();
        let all = crate::summarize::load_runs(&out).unwrap();
        assert_eq!(all.len(), 2);
        let kept: Vec<&LoadedRun> = all.iter().filter(|r| of_this_build(&ids)(r)).collect();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].dir, own);
        let dup = crate::summarize::duplicate_warning(&all).expect("a warning for summaries");
        assert!(dup.contains("1 run directory repeats the settings of another"), "{dup}");
        let renamed = crate::summarize::renamed_warning(&all).expect("the copy is not named for its settings");
        assert!(renamed.contains("1 run directory is not named for the settings in its config.json"), "{renamed}");
        assert!(renamed.contains(&copy.display().to_string()), "{renamed}");
        // Other code's run under its own name is not read either.
        let mut other = all.into_iter().find(|r| r.dir == own).unwrap();
        other.summary.code = "0123456789abcdef".into();
        assert!(!of_this_build(&ids)(&other));
        std::fs::remove_dir_all(&out).unwrap();
    }
}
