//! Everyday use: the list of settings, progress lines, -q/-v, summary columns, manual pages and the
//! example sweep file.

use std::path::Path;
use std::process::Output;

use crate::cli::{bin, run, tmp};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The repository root (the example sweep file and the user guide live there).
fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// `config --list` shows exactly the settings `--set` takes, with `RunConfig::default()`'s defaults, and
/// `train --help` shows each flag's default and ends with every setting.
#[test]
fn every_setting_is_listed_with_its_default_and_the_parser_takes_exactly_those() {
    let d = tmp("settings");
    let o = run(&["config", "--list", "--json"], &d);
    assert!(o.status.success(), "{}", stderr(&o));
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    let defaults = match serde_json::to_value(actscope_lab::RunConfig::default()).unwrap() {
        serde_json::Value::Object(m) => m,
        _ => unreachable!(),
    };
    let names: Vec<&str> = listed.iter().map(|s| s["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, defaults.keys().map(String::as_str).collect::<Vec<_>>(), "the list is the fields");
    for s in &listed {
        let name = s["name"].as_str().unwrap();
        assert_eq!(&s["default"], &defaults[name], "{name}");
        assert!(!s["type"].as_str().unwrap().is_empty() && !s["meaning"].as_str().unwrap().is_empty(), "{name}");
    }
    // `--set` takes every listed key with its listed default (`--lr=-1`, or for lr itself `--batch-size=0`,
    // since a flag and `--set` of one setting are refused, then stops the run before any data is read, with
    // an error about that flag or the network, not about the setting); and refuses anything else.
    let text = stdout(&run(&["config", "--list"], &d));
    for s in &listed {
        let name = s["name"].as_str().unwrap();
        let row = text.lines().find(|l| l.split_whitespace().next() == Some(name)).unwrap();
        if s["default"].is_null() {
            assert!(row.contains(" unset "), "{row}");
            continue;
        }
        let shown = match &s["default"] {
            serde_json::Value::String(v) => format!("\"{v}\""),
            v => v.to_string(),
        };
        let stop = if name == "lr" { "--batch-size=0" } else { "--lr=-1" };
        let o = run(&["train", "--set", &format!("{name}={shown}"), stop], &d);
        assert_eq!(o.status.code(), Some(2));
        assert!(!stderr(&o).contains("--set"), "{name}: {}", stderr(&o));
    }
    let o = run(&["train", "--set", "colour=3"], &d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--set colour=3: unknown setting `colour`"), "{}", stderr(&o));
    let o = run(&["config", "lr", "tau"], &d);
    assert_eq!(stdout(&o).lines().count(), 4, "header, two settings, note: {}", stdout(&o));
    let o = run(&["config", "lrr"], &d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown setting `lrr`; did you mean `lr`?"), "{}", stderr(&o));
    let help = stdout(&bin().args(["train", "--help"]).output().unwrap());
    for needle in [
        "Examples per step [default: 60]",
        "[default: relu]",
        "[default: none]",
        "[default: 100,100,100]",
        "[default: default]",
    ] {
        assert!(help.contains(needle), "{needle}");
    }
    let short = stdout(&bin().args(["train", "-h"]).output().unwrap());
    assert!(short.contains("[default: none] [possible values: none, before, after]"), "{short}");
    for name in &names {
        assert!(help.contains(&format!("  {name} = ")), "train --help lists {name}");
    }
}

/// A config file's mistakes name the file, the line and the key.
#[test]
fn config_file_errors_name_the_file_line_and_key() {
    let d = tmp("config-file");
    std::fs::write(d.join("run.toml"), "# my run\nhidden = [8]\n\nweight_decay = \"lots\"\n").unwrap();
    let o = run(&["train", "--config", "run.toml"], &d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("run.toml:4: weight_decay = \"lots\": invalid type"), "{}", stderr(&o));
    std::fs::write(d.join("run.toml"), "hidden = [8]\nbatchsize = 10\n").unwrap();
    let o = run(&["train", "--config", "run.toml"], &d);
    assert!(
        stderr(&o).contains("run.toml:2: unknown setting `batchsize`; did you mean `batch_size`?"),
        "{}",
        stderr(&o)
    );
}

/// Without a terminal, `train` prints a line per validation evaluation (step of total, epoch, losses,
/// accuracy, elapsed, time left); `-q` (before or after the command) none; `-v` the resolved settings too.
#[test]
fn train_progress_lines_quiet_and_verbose() {
    let d = tmp("progress");
    let args = ["train", "--data", "synthetic:spirals", "--hidden", "4", "--epochs", "2", "--out"];
    let o = run(&[&args[..], &["a"]].concat(), &d);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<String> = stderr(&o).lines().filter(|l| l.starts_with("step ")).map(String::from).collect();
    // Two evaluations per epoch besides the start: steps 0, 30, 60, 90, 120 of 120.
    let steps: Vec<&str> = lines.iter().map(|l| l.split_whitespace().nth(1).unwrap()).collect();
    assert_eq!(steps, ["0/120", "30/120", "60/120", "90/120", "120/120"], "{}", stderr(&o));
    for l in &lines {
        for part in ["epoch ", "train loss ", "val loss ", "val acc ", "s, ETA "] {
            assert!(l.contains(part), "{part:?} in {l}");
        }
    }
    assert!(lines[4].contains("epoch  2.00") && lines[4].ends_with("ETA 0s"), "{}", lines[4]);
    for quiet in [&["-q"][..], &["--quiet"]] {
        let o = run(&[quiet, &args[..], &["b", "--force"]].concat(), &d);
        assert!(o.status.success() && stderr(&o).is_empty(), "{}", stderr(&o));
        assert!(stdout(&o).contains("accuracy train"), "results still show: {}", stdout(&o));
    }
    let o = run(&[&args[..], &["c", "-v"]].concat(), &d);
    assert!(stderr(&o).contains("settings: {\"activation\":\"relu\""), "{}", stderr(&o));
    let o = run(&[&args[..], &["c", "-v", "-q"]].concat(), &d);
    assert_eq!(o.status.code(), Some(2), "-q and -v together: {}", stderr(&o));
    // Every command takes them.
    for cmd in [&["sweep", "--help"][..], &["summarize", "--help"], &["data", "info", "--help"], &["theory", "--help"]]
    {
        let help = stdout(&bin().args(cmd).output().unwrap());
        assert!(help.contains("-q, --quiet") && help.contains("-v, --verbose"), "{cmd:?}");
    }
}

/// `summarize` shows the settings that vary and the activation metrics (checked against the records),
/// and `--columns` chooses columns for the table, CSV and JSON alike.
#[test]
fn summarize_columns() {
    let d = tmp("columns");
    let file = "[base]\ndata = \"synthetic:spirals\"\nhidden = [8, 8]\nsteps = 20\nprobe_size = 50\n[axes]\nactivation = [\"relu\", \"tanh\"]\nbias_init = [0.0, -1.0]\n";
    std::fs::write(d.join("s.toml"), file).unwrap();
    let o = run(&["sweep", "s.toml", "--out", "r", "-q"], &d);
    assert!(o.status.success() && stderr(&o).is_empty(), "{}", stderr(&o));
    let table = stdout(&run(&["summarize", "r"], &d));
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header[0], "bias_init");
    assert!(header.ends_with(&["dead_frac", "saturation", "erank_last"]), "{table}");

    let cols = "activation,bias_init,test_acc,dead_frac,saturation,erank_last";
    let json: Vec<serde_json::Value> =
        serde_json::from_slice(&run(&["summarize", "r", "--columns", cols, "--json"], &d).stdout).unwrap();
    assert_eq!(json.len(), 4);
    for g in &json {
        let keys: Vec<&String> = g.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 6, "{g}");
        let relu = g["activation"] == "relu";
        // Dead units are a ReLU-family measure, saturation a bounded-activation one.
        assert_eq!(g["dead_frac"]["n"], if relu { 1 } else { 0 }, "{g}");
        assert_eq!(g["saturation"]["n"], if relu { 0 } else { 1 }, "{g}");
        assert_eq!(g["erank_last"]["n"], 1, "{g}");
    }
    // The numbers are the final checkpoint's, read here straight from one run's records.
    let relu = json.iter().find(|g| g["activation"] == "relu" && g["bias_init"] == -1.0).unwrap();
    let full: Vec<serde_json::Value> = serde_json::from_slice(&run(&["summarize", "r", "--json"], &d).stdout).unwrap();
    let group = full.iter().find(|g| g["config"]["activation"] == "relu" && g["config"]["bias_init"] == -1.0).unwrap();
    let records = std::fs::read_to_string(d.join(group["runs"][0].as_str().unwrap()).join("records.jsonl")).unwrap();
    let last: serde_json::Value = records
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .rfind(|r| r["kind"] == "checkpoint")
        .unwrap();
    let layers = last["layers"].as_array().unwrap();
    let dead: f64 = layers.iter().map(|l| l["dead"]["dead_units"].as_f64().unwrap()).sum();
    let units: f64 = layers.iter().map(|l| l["units"].as_f64().unwrap()).sum();
    assert!((relu["dead_frac"]["mean"].as_f64().unwrap() - dead / units).abs() < 1e-12, "{relu}");
    assert_eq!(relu["erank_last"]["mean"], layers.last().unwrap()["effective_rank"]);
    assert_eq!(group["metrics"]["dead_fraction"]["mean"], relu["dead_frac"]["mean"]);

    let csv = stdout(&run(&["summarize", "r", "--columns", "activation,test_acc,dead_frac", "--csv"], &d));
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "activation,test_acc_mean,test_acc_ci_low,test_acc_ci_high,dead_frac_mean,dead_frac_ci_low,dead_frac_ci_high"
    );
    assert_eq!(lines.clone().count(), 4);
    assert!(lines.all(|l| l.split(',').count() == 7), "{csv}");
    let t = stdout(&run(&["summarize", "r", "--columns", "activation, diverged"], &d));
    assert_eq!(t.lines().next().unwrap().split_whitespace().collect::<Vec<_>>(), ["activation", "diverged"]);

    let o = run(&["summarize", "r", "--columns", "activation,tst_acc"], &d);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("unknown column `tst_acc`; did you mean `test_acc`?"), "{err}");
    assert!(err.contains("known columns: depth, lr, lr_bracket") && err.contains("bias_init"), "{err}");
    let list = stdout(&run(&["summarize", "--list-columns"], &d));
    assert!(list.lines().any(|l| l.starts_with("dead_frac ")), "{list}");
}

/// `man` writes roff pages for the command and every subcommand, and they render.
#[test]
fn manual_pages() {
    let d = tmp("man");
    let o = run(&["man"], &d);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.contains(".TH actscope 1"), "{page}");
    let commands = ["train", "sweep", "summarize", "data", "plot", "report", "theory", "config", "man", "completions"];
    for c in commands {
        assert!(page.contains(&format!("actscope\\-{c}(1)")), "actscope.1 names {c}");
    }
    let o = run(&["man", "--out", "pages", "-q"], &d);
    assert!(o.status.success() && stderr(&o).is_empty(), "{}", stderr(&o));
    for c in
        commands.iter().map(|c| format!("actscope-{c}.1")).chain(["actscope.1".into(), "actscope-data-info.1".into()])
    {
        let text = std::fs::read_to_string(d.join("pages").join(&c)).unwrap_or_else(|e| panic!("{c}: {e}"));
        assert!(text.starts_with(".ie") && text.contains(".SH NAME"), "{c}");
    }
    let train = std::fs::read_to_string(d.join("pages/actscope-train.1")).unwrap();
    assert!(train.contains("probe_size = 1000"), "the train page lists every setting");
    // Rendered by the system's roff where there is one (groff's nroff on Debian and Ubuntu).
    if let Ok(out) =
        std::process::Command::new("nroff").args(["-man", "-Tutf8"]).arg(d.join("pages/actscope-train.1")).output()
    {
        let text = String::from_utf8_lossy(&out.stdout).replace('\u{8}', "");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(text.contains("SYNOPSIS") || text.contains("SSYYNNOOPPSSIISS"), "{text}");
    }
}

/// The example sweep file parses, lists its runs, and its smoke profile is small; the user guide shows it
/// verbatim.
#[test]
fn the_example_sweep_file() {
    let d = tmp("example");
    let example = root().join("examples/sweep.toml");
    let file = actscope_lab::sweep::SweepFile::read(&example).unwrap();
    assert_eq!(file.expand_at_most(1000).unwrap().len(), 81);
    let o = run(&["sweep", example.to_str().unwrap(), "--dry-run", "--out", "r"], &d);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 81);
    let o = run(&["sweep", example.to_str().unwrap(), "--dry-run", "--profile", "smoke", "--out", "r"], &d);
    assert_eq!(stdout(&o).lines().count(), 12, "{}", stdout(&o));
    let text = std::fs::read_to_string(&example).unwrap();
    let guide = std::fs::read_to_string(root().join("docs/user-guide.md")).unwrap();
    assert!(guide.contains(&format!("```toml\n{text}```")), "docs/user-guide.md shows examples/sweep.toml as it is");
}

/// `plot` draws one configuration per activation × placement: runs of one cell that differ in another
/// setting are refused, naming it, and `--where` chooses (a momentum axis had been dropped without a word,
/// and "from 4 runs" counted the runs not drawn). A depth axis alone is drawn, with a note.
#[test]
fn plot_refuses_runs_it_would_hide_and_where_chooses() {
    let d = tmp("plot-where");
    let file = "[base]\ndata = \"synthetic:clusters\"\nhidden = [8, 8]\nsteps = 20\nprobe_size = 50\n[axes]\nmomentum = [0.0, 0.9]\nseed = [0, 1]\n";
    std::fs::write(d.join("m.toml"), file).unwrap();
    assert!(run(&["sweep", "m.toml", "--out", "m", "--quiet"], &d).status.success());
    let o = run(&["plot", "m", "--out", "f", "--format", "svg"], &d);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("differ within one activation and placement in momentum (0.0, 0.9)"), "{}", stderr(&o));
    assert!(!d.join("f").exists(), "nothing drawn");
    let o = run(&["plot", "m", "--out", "f", "--format", "svg", "--where", "momentum=0.9"], &d);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("figures from 2 runs"), "{}", stderr(&o));
    let curves = std::fs::read_to_string(d.join("f/learning_curves.csv")).unwrap();
    assert!(!curves.is_empty());
    // Plotted again into the same folder: files of figures not drawn now (a figure these runs do not
    // support, a format not asked for) are removed; other files stay.
    std::fs::write(d.join("f/sigmoid_after_bn.png"), "from earlier sigmoid runs").unwrap();
    std::fs::write(d.join("f/notes.txt"), "mine").unwrap();
    let o = run(&["plot", "m", "--out", "f", "--format", "png", "--where", "momentum=0.9"], &d);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("note: removed"), "{}", stderr(&o));
    assert!(!d.join("f/sigmoid_after_bn.png").exists() && !d.join("f/learning_curves.svg").exists());
    assert!(d.join("f/histogram_over_time.png").is_file(), "drawn for the first activation present (relu)");
    assert!(d.join("f/learning_curves.png").is_file() && d.join("f/notes.txt").is_file());
    let o = run(&["plot", "m", "--out", "f", "--where", "momentum=0.5"], &d);
    assert!(stderr(&o).contains("none of the 4 runs in m has momentum=0.5"), "{}", stderr(&o));
    let o = run(&["plot", "m", "--out", "f", "--where", "moment=0.5"], &d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--where moment=0.5: unknown setting"), "{}", stderr(&o));
    // A value that is not finite matches no run: `inf` had become JSON's null, which is how an unset setting
    // reads, so `bias_init=inf` drew every run without a bias_init.
    for filter in ["bias_init=inf", "weight_decay=nan", "lr=-inf"] {
        let o = run(&["plot", "m", "--out", "fn", "--where", filter], &d);
        assert_eq!(o.status.code(), Some(2), "{filter}: {}", stderr(&o));
        assert!(stderr(&o).contains("is not a finite number, and no run's settings hold one"), "{}", stderr(&o));
        assert!(!d.join("fn").exists(), "{filter}: nothing drawn");
    }
    // --where data matches whichever spelling of a path trained the run (`./c.csv` had matched only
    // `./c.csv`, though `c.csv` names the same run).
    let rows: String = (0..100).map(|i| format!("{},{},{}\n", i % 7, i % 3, i % 2)).collect();
    std::fs::write(d.join("c.csv"), format!("a,b,label\n{rows}")).unwrap();
    let trained = run(&["train", "--data", "./c.csv", "--hidden", "4", "--steps", "5", "--out", "c", "--quiet"], &d);
    assert!(trained.status.success(), "{}", stderr(&trained));
    for spelling in ["data=c.csv", "data=./c.csv", "data=\"c.csv\""] {
        let o = run(&["plot", "c", "--out", "fc", "--format", "svg", "--where", spelling], &d);
        assert!(o.status.success(), "{spelling}: {}", stderr(&o));
    }

    let file =
        "[base]\ndata = \"synthetic:clusters\"\nwidth = 8\nsteps = 20\nprobe_size = 50\n[axes]\ndepth = [1, 3]\n";
    std::fs::write(d.join("d.toml"), file).unwrap();
    assert!(run(&["sweep", "d.toml", "--out", "d", "--quiet"], &d).status.success());
    let o = run(&["plot", "d", "--out", "g", "--format", "svg"], &d);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("note: the runs differ within one activation and placement in depth"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("one configuration per activation and placement (depth = 3;"), "{}", stderr(&o));
    // An initial-bias axis (E3's stress) is drawn by dead_units' panels, the other figures showing the init's
    // bias; a setting left unset is never suggested as a --where value (it has no TOML form).
    let file = "[base]\ndata = \"synthetic:clusters\"\nhidden = [8]\nsteps = 20\nprobe_size = 50\n[axes]\nbias_init = [0.0, -1.0]\n";
    std::fs::write(d.join("b.toml"), file).unwrap();
    assert!(run(&["sweep", "b.toml", "--out", "b", "--quiet"], &d).status.success());
    let o = run(&["plot", "b", "--out", "h", "--format", "svg"], &d);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("dead_units every initial bias") && stderr(&o).contains("(bias_init = 0.0;"),
        "{}",
        stderr(&o)
    );
    std::fs::write(d.join("b.toml"), file.replace("bias_init = [0.0, -1.0]", "momentum = [0.0, 0.5]")).unwrap();
    assert!(run(&["sweep", "b.toml", "--out", "b", "--quiet"], &d).status.success());
    let o = run(&["plot", "b", "--out", "h", "--format", "svg"], &d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("e.g. --where 'momentum=0.5'") && !stderr(&o).contains("unset'"), "{}", stderr(&o));
}

/// `-q` hides notes and progress, never warnings, in every command that reads runs: `export -q` had hidden
/// the warning about runs of other code, and `summarize -q` and `plot -q` printed notes.
#[test]
fn quiet_hides_notes_not_warnings() {
    let d = tmp("quiet");
    let file =
        "[base]\ndata = \"synthetic:clusters\"\nhidden = [4]\nsteps = 5\nprobe_size = 20\n[axes]\nseed = [0, 1]\n";
    std::fs::write(d.join("s.toml"), file).unwrap();
    assert!(run(&["sweep", "s.toml", "--out", "r", "--quiet"], &d).status.success());
    std::fs::create_dir_all(d.join("r/junk")).unwrap();
    for cmd in [&["summarize", "r", "-q"][..], &["plot", "r", "--out", "f", "--format", "svg", "-q"][..]] {
        let o = run(cmd, &d);
        assert!(o.status.success(), "{cmd:?}: {}", stderr(&o));
        assert!(stderr(&o).is_empty(), "{cmd:?}: {}", stderr(&o));
    }
    let o = run(&["summarize", "r"], &d);
    assert!(stderr(&o).contains("note: 1 directory in r is not a finished run"), "{}", stderr(&o));
    // A run of other code: a warning, shown under -q by summarize and export alike.
    let name = std::fs::read_dir(d.join("r"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join("summary.json").is_file())
        .unwrap();
    let summary = std::fs::read_to_string(name.join("summary.json")).unwrap();
    std::fs::write(name.join("summary.json"), summary.replace(actscope_lab::run::CODE, "0123456789abcdef")).unwrap();
    for cmd in [&["summarize", "r", "-q"][..], &["export", "table", "r", "--out", "t.csv", "-q"][..]] {
        let err = stderr(&run(cmd, &d));
        assert!(err.contains("warning: these runs were computed by code other than this build's"), "{cmd:?}: {err}");
        assert!(!err.contains("note:"), "{cmd:?}: {err}");
    }
    let o = run(&["sweep", "s.toml", "--out", "r2", "--jobs", "10000", "-q"], &d);
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

/// `wall_s` is rounded in the table only: CSV and JSON give the median in full (it read 0.0 for runs of
/// 0.004 s).
#[test]
fn rounded_columns_are_rounded_for_reading_only() {
    let d = tmp("wall");
    let file = "[base]\ndata = \"synthetic:clusters\"\nhidden = [4]\nsteps = 5\nprobe_size = 20\n";
    std::fs::write(d.join("s.toml"), file).unwrap();
    assert!(run(&["sweep", "s.toml", "--out", "r", "--quiet"], &d).status.success());
    let run_dir = std::fs::read_dir(d.join("r")).unwrap().flatten().next().unwrap().path();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("summary.json")).unwrap()).unwrap();
    let wall = summary["wall_seconds"].as_f64().unwrap();
    let csv = stdout(&run(&["summarize", "r", "--columns", "wall_s", "--csv"], &d));
    assert_eq!(csv.lines().nth(1).unwrap().parse::<f64>().unwrap(), wall, "{csv}");
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&run(&["summarize", "r", "--columns", "wall_s", "--json"], &d))).unwrap();
    assert_eq!(json[0]["wall_s"].as_f64().unwrap(), wall);
    let table = stdout(&run(&["summarize", "r", "--columns", "wall_s"], &d));
    assert_eq!(table.lines().nth(1).unwrap().trim().parse::<f64>().unwrap(), (wall * 10.0).round() / 10.0, "{table}");
}
