//! `actscope analyze`: arguments and printing; the work is `actscope_lab::analyze::analyze`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::FormatArg;

/// Arguments of `actscope analyze`.
#[derive(Args)]
pub struct AnalyzeArgs {
    /// Capture files (safetensors, docs/capture.md) or directories of them (their *.safetensors): any
    /// number of checkpoints, seeds and models.
    #[arg(required = true)]
    captures: Vec<PathBuf>,
    /// Where to write run directories (runs/), figures (figures/) and the diagnosis (diagnosis.html, .md).
    #[arg(long, default_value = "analysis")]
    out: PathBuf,
    /// Figure formats, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [FormatArg::Png, FormatArg::Svg])]
    format: Vec<FormatArg>,
    /// A note on one run that no capture holds (e.g. "the network diverged at step 812", after the last
    /// capture), given among its model's notes as "seed SEED: TEXT"; repeatable. A note on a model and seed
    /// that no capture has is refused before anything is written.
    #[arg(long = "note", num_args = 3, value_names = ["MODEL", "SEED", "TEXT"], allow_hyphen_values = true, action = clap::ArgAction::Append)]
    note: Vec<String>,
}

/// The `--note MODEL SEED TEXT` triples (clap hands them over flattened, three values per note); a bad
/// seed is a usage error (exit 2), as is an empty note (`analyze_noted` refuses it).
fn run_notes(flat: &[String]) -> Result<Vec<actscope_lab::analyze::RunNote>> {
    let usage = |m: String| anyhow::Error::new(actscope_lab::Error::usage(m));
    flat.chunks(3)
        .map(|n| {
            let [model, seed, note] = n else { return Err(usage("--note takes three values: MODEL SEED TEXT".into())) };
            let seed = seed.parse::<u64>().map_err(|_| {
                usage(format!("--note {model} {seed:?} …: SEED must be a whole number from 0 to 2^64 − 1"))
            })?;
            Ok(actscope_lab::analyze::RunNote { model: model.clone(), seed, note: note.clone() })
        })
        .collect()
}

/// Runs `actscope analyze`: prints the diagnosis page's path, and on stderr what was written.
pub fn analyze(a: AnalyzeArgs) -> Result<()> {
    let formats: Vec<actscope_plots::Format> = a.format.iter().map(|f| f.format()).collect();
    let notes = run_notes(&a.note)?;
    let r = actscope_lab::analyze::analyze_noted(&a.captures, &a.out, &formats, &notes)?;
    if !r.removed.is_empty() {
        eprintln!(
            "note: replaced the earlier analysis in {}: removed its runs {} (not among these captures)",
            a.out.display(),
            r.removed.join(", ")
        );
    }
    for name in &r.not_plotted {
        eprintln!(
            "note: {name}: its layers do not share one activation actscope knows and one BN placement, so figures, `plot` and `summarize` leave it out (its records.jsonl and the diagnosis have it)"
        );
    }
    for why in &r.diagnosis.not_compared {
        eprintln!("note: {why}");
    }
    let n = |count: usize, what: &str| format!("{count} {what}{}", crate::plural(count));
    eprintln!(
        "{} → {}, {}, diagnosis in {} and {}",
        n(r.captures, "capture"),
        n(r.runs.len(), "run"),
        n(r.figures.len(), "figure file"),
        r.html.display(),
        r.markdown.display()
    );
    // The findings themselves, as the page lists them (it says what each rule is), after the notes that
    // qualify them (rules judged at an earlier step, a gradient ratio not defined, ...).
    for m in &r.diagnosis.models {
        for note in m.notes() {
            eprintln!("{}: note: {note}", m.model);
        }
        let findings: Vec<String> = m
            .layers
            .iter()
            .flat_map(|l| l.findings.iter().map(move |f| format!("{}: {}", l.label(), f.words())))
            .collect();
        if findings.is_empty() {
            eprintln!("{}: no layer breaks a rule at the last checkpoint (step {})", m.model, m.last_step);
        }
        for f in findings {
            eprintln!("{}: {f}", m.model);
        }
    }
    crate::outln!("{}", r.html.display())?;
    Ok(())
}
