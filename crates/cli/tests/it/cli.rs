//! Commands, exit codes and messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_actscope"))
}

/// A test's scratch directory, removed when the test ends (kept when it fails, to look at).
pub struct TmpDir(PathBuf);

impl std::ops::Deref for TmpDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TmpDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TmpDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

pub fn tmp(name: &str) -> TmpDir {
    let d = std::env::temp_dir().join(format!("actscope-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    TmpDir(d)
}

pub fn run(args: &[&str], cwd: &Path) -> Output {
    bin().args(args).current_dir(cwd).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn train_writes_a_complete_run_directory() {
    let d = tmp("train");
    let o = run(
        &[
            "train",
            "--data",
            "synthetic:clusters",
            "--hidden",
            "16,16",
            "--epochs",
            "2",
            "--momentum",
            "0.9",
            "--json",
            "--out",
            "r",
        ],
        &d,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["status"], "ok");
    let dir = d.join("r").join(s["name"].as_str().unwrap());
    for f in ["config.json", "records.jsonl", "summary.json"] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    assert!(s["test"]["accuracy"].as_f64().unwrap() > 0.9, "ten well-separated clusters: {}", s["test"]["accuracy"]);
    assert!(
        !std::fs::read_dir(d.join("r")).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().starts_with(".tmp"))
    );
}

#[test]
fn usage_errors_exit_2_with_a_clear_message() {
    let d = tmp("usage");
    std::fs::write(d.join("neg.toml"), "seed = 1\nlr = -1.0\n").unwrap();
    let cases: [(&[&str], &str); 13] = [
        (
            &["train", "--activation", "sigmod"],
            "invalid value 'sigmod' for '--activation <ACTIVATION>': unknown activation \"sigmod\"; expected one of: sigmoid, tanh",
        ),
        (&["train", "--placement", "middle"], "[possible values: none, before, after]"),
        (&["train", "--optimizer", "rmsprop"], "invalid value 'rmsprop' for '--optimizer <OPTIMIZER>'"),
        (&["train", "--hidden", "10,0"], "invalid hidden[1]: a hidden layer needs width ≥ 1"),
        (&["train", "--lr=-1"], "invalid lr: must be finite and > 0"),
        (&["train", "--set", "colour=3"], "--set colour=3: unknown setting `colour`"),
        (&["train", "--data", "synthetic:clusters", "--batch-size", "100000"], "larger than the training set"),
        (&["sweep", "missing.toml", "--shard", "3/2"], "invalid --shard"),
        // The user trial's: a file's bad value named with its line, flags and settings PyTorch would take but
        // the settings' ranges exclude, a repeated --hidden (it was appended).
        (&["train", "--config", "neg.toml"], "neg.toml:2: lr = -1.0: invalid lr: must be finite and > 0"),
        (&["train", "--set", "momentum=1.5"], "--set momentum=1.5: invalid momentum: must lie in [0, 1), got 1.5"),
        (&["train", "--momentum", "1"], "invalid momentum: must lie in [0, 1), got 1"),
        (&["train", "--steps", "3", "--epochs", "0"], "invalid epochs: must be ≥ 1"),
        (
            &["train", "--hidden", "8", "--hidden", "4"],
            "the argument '--hidden <HIDDEN>' cannot be used multiple times",
        ),
    ];
    for (args, needle) in cases {
        let o = run(args, &d);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
    let o = run(&["frobnicate"], &d);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn runtime_errors_exit_1_naming_the_file() {
    let d = tmp("runtime");
    std::fs::create_dir_all(d.join("idx")).unwrap();
    std::fs::write(d.join("idx/train-images-idx3-ubyte"), b"\x00\x00\x08\x03").unwrap();
    for f in ["train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] {
        std::fs::write(d.join("idx").join(f), b"").unwrap();
    }
    let o = run(&["data", "info", "--data", "idx"], &d);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("train-images-idx3-ubyte: truncated header"), "{}", stderr(&o));
    std::fs::write(d.join("t.csv"), "a,label\n1,0\nx,1\n").unwrap();
    let o = run(&["data", "info", "--data", "t.csv"], &d);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("line 3, column 1 (a)"), "{}", stderr(&o));
    let o = run(&["sweep", "missing.toml"], &d);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("reading missing.toml: not found"), "{}", stderr(&o));
    let o = run(&["summarize", "nowhere"], &d);
    assert_eq!(o.status.code(), Some(1));
}

/// Label numbers without a training example (numbered from 1, as EMNIST Letters) are named with what they mean.
#[test]
fn data_info_names_classes_without_examples() {
    let d = tmp("empty-class");
    let rows: String = (0..100).map(|i| format!("{},{}\n", i % 7, 1 + i % 2)).collect();
    std::fs::write(d.join("t.csv"), format!("a,label\n{rows}")).unwrap();
    let o = run(&["data", "info", "--data", "t.csv"], &d);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(
            "classes       3 (2 with training examples; none for 0: outputs never a target; uniform chance 1/2)"
        ),
        "{out}"
    );
}

#[test]
fn data_info_reports_the_embedded_subset() {
    let o = run(&["data", "info", "--data", "embedded", "--json"], &tmp("info"));
    assert!(o.status.success());
    assert!(!stderr(&o).contains("note:"), "nothing shadowed: {}", stderr(&o));
    // A directory named `embedded` here is not what `--data embedded` reads: a note says so and how to name it.
    let d = tmp("shadowed");
    std::fs::create_dir_all(d.join("embedded")).unwrap();
    let shadowed = run(&["data", "info", "--data", "embedded"], &d);
    assert!(shadowed.status.success());
    assert!(
        stderr(&shadowed).contains(
            "note: data \"embedded\" is the built-in Fashion-MNIST subset; the directory ./embedded here is not read \
             (write --data ./embedded to use it)"
        ),
        "{}",
        stderr(&shadowed)
    );
    assert!(stderr(&run(&["-q", "data", "info", "--data", "embedded"], &d)).is_empty(), "-q hides notes");
    // A sweep says it too, in the file's words (it had said nothing).
    std::fs::write(d.join("s.toml"), "[base]\ndata = \"embedded\"\nhidden = [4]\nsteps = 1\n[axes]\nseed = [0]\n")
        .unwrap();
    let sweep = run(&["sweep", "s.toml", "--out", "r", "--dry-run"], &d);
    assert!(sweep.status.success(), "{}", stderr(&sweep));
    assert!(
        stderr(&sweep).contains("the directory ./embedded here is not read (write data = \"./embedded\" to use it)"),
        "{}",
        stderr(&sweep)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["counts"]["train"], 9000);
    assert_eq!(v["counts"]["test"], 8000);
    assert_eq!(v["input_shape"], serde_json::json!([28, 28]));
    assert_eq!(v["class_histogram"].as_array().unwrap().len(), 10);
    assert_eq!(v["checksum"].as_str().unwrap().len(), 64);
    // The split a run with another val_fraction trains on (it had always been the default 10%).
    let o = run(&["data", "info", "--data", "embedded", "--json", "--val-fraction", "0.5"], &tmp("info"));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((v["counts"]["train"].as_u64(), v["counts"]["val"].as_u64()), (Some(5000), Some(5000)));
    assert_eq!(v["class_histogram"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap()).sum::<u64>(), 5000);
    // Out of range: refused before the data is read (a missing file would be named first otherwise).
    for bad in ["1", "-0.1", "NaN"] {
        let o = run(&["data", "info", "--data", "missing.csv", "--val-fraction", bad], &tmp("info"));
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(&format!("invalid val_fraction: must lie in (0, 1), got {bad}")), "{}", stderr(&o));
    }
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["train", "--help"],
        &["sweep", "--help"],
        &["summarize", "--help"],
        &["data", "info", "--help"],
    ] {
        let o = bin().args(args).output().unwrap();
        assert!(o.status.success() && !o.stdout.is_empty(), "{args:?}");
    }
    let o = bin().args(["train", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("Examples per step [default: 60]"), "defaults are stated");
}

#[test]
fn plot_draws_the_figures_a_runs_directory_supports() {
    let d = tmp("plot");
    std::fs::write(
        d.join("s.toml"),
        "[base]\ndata = \"synthetic:clusters\"\nhidden = [16, 16]\nepochs = 1\nprobe_size = 100\n[axes]\nactivation = [\"sigmoid\", \"relu\"]\nplacement = [\"none\", \"before\"]\nseed = [0, 1]\n",
    )
    .unwrap();
    assert!(run(&["sweep", "s.toml", "--out", "runs", "--quiet"], &d).status.success());
    let o = run(&["plot", "runs", "--out", "figs", "--format", "png,svg"], &d);
    assert!(o.status.success(), "{}", stderr(&o));
    for stem in ["learning_curves", "accuracy_heatmap", "saturation", "dead_units", "histogram_over_time"] {
        for ext in ["png", "svg", "csv"] {
            assert!(d.join("figs").join(format!("{stem}.{ext}")).is_file(), "{stem}.{ext}");
        }
    }
    assert!(!d.join("figs/time_per_step.png").exists(), "no timing data, so no timing figure");
    // The captions, which the images alone lose (seeds behind an interval, the run a figure shows, scales).
    let index = std::fs::read_to_string(d.join("figs/figures.md")).unwrap();
    assert!(index.starts_with("# Figures\n\nDrawn by `actscope plot` from 8 runs in runs.\n"), "{index}");
    assert!(
        index.contains("](saturation.png)\n\n") && index.contains("([SVG](saturation.svg), [CSV](saturation.csv))")
    );
    assert!(index.contains("square-root"), "the saturation axis's scale is in its caption: {index}");
    // For scripts: each figure with the files written for it, and nothing else on stdout.
    let o = run(&["plot", "runs", "--out", "figs", "--format", "svg", "--json"], &d);
    assert!(o.status.success(), "{}", stderr(&o));
    let figures: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout is one JSON document");
    let figures = figures.as_array().expect("an array");
    let saturation = figures.iter().find(|f| f["figure"] == "saturation").expect("the saturation figure");
    let files: Vec<&str> = saturation["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert_eq!(files, ["figs/saturation.svg", "figs/saturation.csv"]);
    assert!(figures.iter().all(|f| f["files"].as_array().is_some_and(|x| x.len() == 2)), "{figures:?}");
    let o = run(&["plot", "runs", "--format", "pdf"], &d);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["plot", "s.toml"], &d);
    assert_eq!(o.status.code(), Some(1), "not a directory of runs: {}", stderr(&o));
    let o = run(&["plot", "runs", "--out", "s.toml/figs"], &d);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("creating s.toml/figs: Not a directory"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("os error"), "{}", stderr(&o));
    // Figures inside a run directory are refused, as exports are there (they would be lost when the run is
    // redone); so is a folder without plot's mark that holds files named like figures (a user's, which plot
    // had overwritten or deleted, saying an earlier plot left them).
    let run_dir = std::fs::read_dir(d.join("runs")).unwrap().map(|e| e.unwrap().path()).find(|p| p.is_dir()).unwrap();
    let inside = run_dir.join("figs");
    let o = run(&["plot", "runs", "--out", inside.to_str().unwrap()], &d);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("which `actscope plot` reads"), "{}", stderr(&o));
    assert!(!inside.exists());
    std::fs::create_dir_all(d.join("mine")).unwrap();
    std::fs::write(d.join("mine/sigmoid_after_bn.svg"), "mine").unwrap();
    let o = run(&["plot", "runs", "--out", "mine"], &d);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("mine holds sigmoid_after_bn.svg, named like actscope's figures"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(d.join("mine/sigmoid_after_bn.svg")).unwrap(), "mine");
}

/// A `--data` the report cannot find is named as the flag (it was blamed on a line of a bundled experiment
/// file, `e1_main:5: [base] data = …`), before anything is written.
#[test]
fn a_report_on_data_that_is_not_there_names_the_flag() {
    let d = tmp("report-no-data");
    let o = run(&["report", "--profile", "smoke", "--data", "nonexist.csv", "--out", "rep", "-q"], &d);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--data: nonexist.csv: not found"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("e1_main"), "{}", stderr(&o));
    assert!(!d.join("rep").exists(), "nothing was written");
}

#[test]
fn report_json_lists_the_verdicts_it_wrote() {
    let d = tmp("report-json");
    let o = run(&["report", "--profile", "smoke", "--out", "rep", "--jobs", "2", "--quiet", "--json"], &d);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout is one JSON document");
    assert_eq!(v["index"], "rep/index.html");
    assert_eq!(v["markdown"], "rep/report.md");
    assert!(d.join("rep/index.html").is_file() && d.join("rep/report.md").is_file());
    let claims = v["claims"].as_array().expect("an array of claims");
    let ids: Vec<&str> = claims.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9"]);
    // The verdicts are those of the report's own claims.json, claim by claim.
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("rep/claims.json")).unwrap()).unwrap();
    for (c, w) in claims.iter().zip(written.as_array().unwrap()) {
        assert_eq!((&c["id"], &c["claim"], &c["verdict"]), (&w["id"], &w["text"], &w["verdict"]));
        assert!(c["verdict"].is_string() && c["claim"].as_str().is_some_and(|t| !t.is_empty()), "{c}");
    }
}

#[test]
fn unwritable_output_is_a_runtime_error() {
    let d = tmp("unwritable");
    let o = run(
        &["train", "--data", "synthetic:clusters", "--hidden", "4", "--steps", "2", "--out", "/proc/actscope-runs"],
        &d,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("/proc/actscope-runs"), "{}", stderr(&o));
    // An --out that is a file: it said "already exists".
    std::fs::write(d.join("afile"), "").unwrap();
    let o = run(&["train", "--data", "synthetic:clusters", "--hidden", "4", "--steps", "2", "--out", "afile"], &d);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("creating afile: exists and is not a directory"), "{}", stderr(&o));
    // A sweep names the flag, not its first run (it said "run relu-…: creating afile: …").
    std::fs::write(
        d.join("s.toml"),
        "[base]\ndata = \"synthetic:clusters\"\nhidden = [4]\nsteps = 2\n[axes]\nseed = [0, 1]\n",
    )
    .unwrap();
    for dry in [false, true] {
        let args = if dry {
            &["sweep", "s.toml", "--out", "afile", "--dry-run"][..]
        } else {
            &["sweep", "s.toml", "--out", "afile"]
        };
        let o = run(args, &d);
        assert_eq!(o.status.code(), Some(1), "dry run {dry}");
        assert!(stderr(&o).contains("error: using as --out afile: exists and is not a directory"), "{}", stderr(&o));
        assert!(!stderr(&o).contains("run relu"), "{}", stderr(&o));
        assert!(o.stdout.is_empty(), "the dry run listed its runs as to train: {}", String::from_utf8_lossy(&o.stdout));
    }
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let d = tmp("pipe");
    let seeds: Vec<String> = (0..5000).map(|s| s.to_string()).collect();
    let sweep = format!("[base]\nhidden = [4]\ndata = \"synthetic:spirals\"\n[axes]\nseed = [{}]\n", seeds.join(", "));
    std::fs::write(d.join("big.toml"), sweep).unwrap();
    let mut child = bin()
        .args(["sweep", "big.toml", "--dry-run"])
        .current_dir(&d)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    // The reader (and with it the pipe) is dropped here, as `| head -1` does.
    let o = child.wait_with_output().unwrap();
    assert!(!first.is_empty());
    assert_ne!(o.status.code(), Some(101), "panicked: {}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
}

/// Standard output that cannot be written (`> /dev/full`) is a runtime error with a message, exit 1, from
/// every command that prints to it; `println!` had panicked (exit 101).
#[test]
#[cfg(target_os = "linux")]
fn a_standard_output_that_cannot_be_written_is_an_error_not_a_panic() {
    let d = tmp("full");
    for args in [
        &["config", "--list"][..],
        &["config", "--list", "--json"],
        &["data", "info", "--data", "synthetic:spirals"],
        &["completions", "bash"],
        &["summarize", "--list-columns"],
    ] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let o = bin().args(args).current_dir(&d).stdout(full).output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("error: writing to standard output: No space left on device"),
            "{args:?}: {}",
            stderr(&o)
        );
        assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn the_largest_seed_and_an_absurd_job_count_are_taken_as_given() {
    let d = tmp("u64");
    let o = run(
        &["train", "--data", "synthetic:spirals", "--hidden", "4", "--steps", "2", "--seed", "18446744073709551615"],
        &d,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(d.join("one.toml"), "[base]\nhidden = [4]\nsteps = 2\ndata = \"synthetic:spirals\"\n").unwrap();
    let o = run(&["sweep", "one.toml", "--jobs", "18446744073709551615"], &d);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("capped at"), "{}", stderr(&o));
}

#[test]
fn everyday_use_help_completions_reuse_and_profiles() {
    let d = tmp("everyday");
    let help = String::from_utf8_lossy(&bin().arg("--help").output().unwrap().stdout).into_owned();
    assert!(help.contains("Measure what activations and batch normalisation do"), "{help}");
    let o = bin().args(["completions", "bash"]).output().unwrap();
    assert!(o.status.success() && String::from_utf8_lossy(&o.stdout).contains("actscope"));
    // A finished run is reused, and says so; --force trains it again.
    let args = ["train", "--data", "synthetic:spirals", "--hidden", "4", "--steps", "3", "--json"];
    assert!(run(&args, &d).status.success());
    let again = run(&args, &d);
    assert!(again.status.success() && stderr(&again).contains("reused"), "{}", stderr(&again));
    let forced = run(&[&args[..], &["--force"]].concat(), &d);
    assert!(forced.status.success() && !stderr(&forced).contains("reused"), "{}", stderr(&forced));
    // --profile applies the file's [profile.NAME]; an unknown name lists the known ones.
    let file = "[base]\nhidden = [4]\nsteps = 2\ndata = \"synthetic:spirals\"\n[axes]\nseed = [0, 1, 2]\n[profile.smoke.axes]\nseed = [0]\n";
    std::fs::write(d.join("p.toml"), file).unwrap();
    let listed = |extra: &[&str]| {
        let o = run(&[&["sweep", "p.toml", "--dry-run"][..], extra].concat(), &d);
        (o.status.code(), String::from_utf8_lossy(&o.stdout).lines().count(), stderr(&o))
    };
    assert_eq!(listed(&[]).1, 3);
    assert_eq!(listed(&["--profile", "smoke"]).1, 1);
    let (code, _, err) = listed(&["--profile", "huge"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no profile \"huge\"; the file has: smoke"), "{err}");
}

/// `sweep --dry-run --json` gives one object per run a script can read (the text was the only form): its
/// directory, state, whether the sweep would refuse it, and the notes the text shows.
#[test]
fn a_dry_run_lists_its_runs_as_json_lines() {
    let d = tmp("dry-run-json");
    let file = "[base]\nhidden = [4]\nsteps = 2\ndata = \"synthetic:spirals\"\n[axes]\nseed = [0, 1]\n";
    std::fs::write(d.join("j.toml"), file).unwrap();
    assert!(run(&["sweep", "j.toml", "--out", "r", "--jobs", "1"], &d).status.success());
    std::fs::write(d.join("j.toml"), file.replace("[0, 1]", "[0, 1, 2]")).unwrap();
    let text = run(&["sweep", "j.toml", "--out", "r", "--dry-run"], &d);
    let json = run(&["sweep", "j.toml", "--out", "r", "--dry-run", "--json"], &d);
    assert!(json.status.success(), "{}", stderr(&json));
    let rows: Vec<serde_json::Value> =
        String::from_utf8_lossy(&json.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let states: Vec<&str> = rows.iter().map(|r| r["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["finished", "finished", "to_train"]);
    assert!(rows.iter().all(|r| r["refused"] == false));
    assert_eq!(rows[0]["notes"], serde_json::json!(["finished"]));
    // The text lists the same runs, each note in parentheses.
    let lines: Vec<String> = String::from_utf8_lossy(&text.stdout).lines().map(String::from).collect();
    let names: Vec<String> = rows.iter().map(|r| r["run"].as_str().unwrap().to_string()).collect();
    assert_eq!(lines[0], format!("{}  (finished)", names[0]));
    assert_eq!(lines[2], names[2]);
    // --json belongs to the dry run.
    assert_eq!(run(&["sweep", "j.toml", "--out", "r", "--json"], &d).status.code(), Some(2));
}

#[test]
fn a_lockstep_dry_run_shows_its_groups_and_a_plain_one_does_not() {
    let d = tmp("lockstep-dry-run");
    let file = "[base]\nhidden = [4]\nsteps = 2\ndata = \"synthetic:spirals\"\n[axes]\nlr = [0.1, 0.2]\nactivation = [\"relu\", \"tanh\"]\nseed = [0, 1]\n";
    std::fs::write(d.join("l.toml"), file).unwrap();
    let dry = |extra: &[&str]| {
        let o = run(&[&["sweep", "l.toml", "--dry-run", "--jobs", "1"][..], extra].concat(), &d);
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let plain = dry(&[]);
    assert_eq!(plain.lines().count(), 8, "{plain}");
    assert!(!plain.contains("lockstep"), "{plain}");
    let grouped = dry(&["--lockstep"]);
    let lines: Vec<&str> = grouped.lines().collect();
    assert_eq!(lines.len(), 8 + 3, "{grouped}");
    assert!(lines[8].starts_with("lockstep: 8 runs to train in 2 group(s) over 1 worker(s)"), "{grouped}");
    for (g, seed) in [(1, 0), (2, 1)] {
        let line = lines[8 + g];
        assert!(line.starts_with(&format!("group {g} (4 runs; ")) && line.contains(&format!("seed {seed},")), "{line}");
    }
}

/// `summarize`, `plot` and `export` refuse a directory without finished runs alike (exit 2); `summarize`
/// and `plot` given a run directory itself say so and name the directory that holds it (`export` takes a
/// run directory as that one run).
#[test]
fn a_directory_without_runs_or_a_run_directory_is_refused_alike() {
    let d = tmp("no-runs");
    std::fs::create_dir_all(d.join("empty")).unwrap();
    let o = run(&["train", "--data", "synthetic:spirals", "--hidden", "4", "--steps", "3", "--json", "--out", "r"], &d);
    assert!(o.status.success(), "{}", stderr(&o));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let one = format!("r/{}", s["name"].as_str().unwrap());
    let commands: [&[&str]; 3] = [&["summarize"], &["plot", "--out", "figs"], &["export", "table", "--out", "t.csv"]];
    for cmd in commands {
        let o = run(&[cmd, &["empty"]].concat(), &d);
        assert_eq!(o.status.code(), Some(2), "{cmd:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("empty: holds no finished run (a run directory holds summary.json"),
            "{cmd:?}: {}",
            stderr(&o)
        );
        assert!(o.stdout.is_empty(), "{cmd:?}: {}", String::from_utf8_lossy(&o.stdout));
    }
    for cmd in &commands[..2] {
        let o = run(&[cmd, &[one.as_str()][..]].concat(), &d);
        assert_eq!(o.status.code(), Some(2), "{cmd:?}: {}", stderr(&o));
        let want = format!("{one}: is itself a finished run directory; pass the directory that holds it: r");
        assert!(stderr(&o).contains(&want), "{cmd:?}: {}", stderr(&o));
    }
    assert!(run(&["export", "table", &one, "--out", "t.csv", "-q"], &d).status.success());
    // A row summarises several seeds: `seed` (one run's setting) is refused in favour of `seeds`.
    let o = run(&["summarize", "r", "--columns", "activation,seed,test_acc"], &d);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("column `seed`") && stderr(&o).contains("use `seeds`"), "{}", stderr(&o));
}

/// `--hidden` and a depth from `--set` or `--config` both give the network's shape: a usage error naming
/// both, never one silently dropped; `--help` says so.
#[test]
fn hidden_together_with_a_depth_is_a_usage_error_naming_both() {
    let d = tmp("hidden-depth");
    std::fs::write(d.join("c.toml"), "depth = 2\nwidth = 4\n").unwrap();
    let base = ["train", "--data", "synthetic:spirals", "--steps", "2", "--hidden", "5,5,5"];
    for (extra, from) in [(&["--set", "depth=2"][..], "--set depth=2"), (&["--config", "c.toml"], "c.toml")] {
        let o = run(&[&base[..], extra].concat(), &d);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        let want = format!("--hidden 5,5,5 and depth = 2 (from {from}) both give the hidden layers");
        assert!(stderr(&o).contains(&want), "{extra:?}: {}", stderr(&o));
    }
    assert!(!d.join("runs").exists(), "nothing was trained");
    let help = String::from_utf8_lossy(&bin().args(["train", "--help"]).output().unwrap().stdout).into_owned();
    assert!(help.contains("not together with depth from --config or --set"), "{help}");
}

/// `hidden` and `depth` from the config file and `--set` in any mix are refused, naming where each came from
/// (the run had taken depth × width and dropped `hidden` without a word).
#[test]
fn hidden_and_depth_from_the_settings_are_a_usage_error_naming_both() {
    let d = tmp("hidden-depth-settings");
    std::fs::write(d.join("both.toml"), "hidden = [8]\ndepth = 2\n").unwrap();
    std::fs::write(d.join("hidden.toml"), "hidden = [8]\n").unwrap();
    let base = ["train", "--data", "synthetic:spirals", "--steps", "2"];
    let cases: [(&[&str], &str); 3] = [
        (&["--config", "both.toml"], "both.toml:1: hidden and both.toml:2: depth: hidden and depth both give"),
        (&["--config", "hidden.toml", "--set", "depth=2"], "hidden.toml:1: hidden and --set depth=2: hidden and"),
        (&["--set", "hidden=[3]", "--set", "depth=2"], "--set hidden=[3] and --set depth=2: hidden and depth"),
    ];
    for (extra, want) in cases {
        let o = run(&[&base[..], extra].concat(), &d);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{extra:?}: {}", stderr(&o));
    }
    assert!(!d.join("runs").exists(), "nothing was trained");
}

/// A flag and `--set` for the same setting are refused (the flag had won without a word), a `--set` value
/// with a line break is refused (its second line had been read as another setting, or dropped), and a
/// whole number past TOML's range is called too large (it had been refused as "a string").
#[test]
fn a_setting_given_twice_on_the_command_line_or_two_in_one_set_is_a_usage_error() {
    let d = tmp("set-twice");
    let base = ["train", "--data", "synthetic:spirals", "--hidden", "4"];
    let cases: [(&[&str], &str); 4] = [
        (&["--steps", "2", "--set", "steps=7"], "--steps and --set steps=7 both set steps; give one"),
        (&["--steps", "2", "--batch-size", "8", "--set", "batch_size=16"], "--batch-size and --set batch_size=16"),
        (&["--steps", "2", "--set", "seed=3\nlr=0.5"], "the value holds a line break; give one KEY=VALUE per --set"),
        (
            &["--steps", "2", "--set", "seed=18446744073709551615"],
            "--set seed=18446744073709551615: 18446744073709551615 is larger than any whole-number setting takes",
        ),
    ];
    for (extra, want) in cases {
        let o = run(&[&base[..], extra].concat(), &d);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{extra:?}: {}", stderr(&o));
    }
    assert!(!d.join("runs").exists(), "nothing was trained");
    // A flag still overrides the config file.
    std::fs::write(d.join("c.toml"), "steps = 7\n").unwrap();
    let o = run(&[&base[..], &["--config", "c.toml", "--steps", "2", "-q"]].concat(), &d);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("ok after 2 steps"), "{out}");
}

/// A missing `--config` file is reported as a missing sweep file is: the OS's words once, no "(os error N)".
#[test]
fn a_missing_config_file_is_named_without_the_os_error_number() {
    let d = tmp("no-config");
    let o = run(&["train", "--config", "none.toml"], &d);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("reading none.toml: not found"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("os error"), "{}", stderr(&o));
}

/// An output directory that cannot be created is named with the OS's words once, no "(os error N)".
#[test]
fn an_output_directory_that_cannot_be_created_is_named_without_the_os_error_number() {
    let d = tmp("no-out");
    std::fs::write(d.join("file"), "").unwrap();
    let o = run(&["man", "--out", "file/pages"], &d);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("creating file/pages: Not a directory"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("os error"), "{}", stderr(&o));
}

/// A probe set asked larger than the validation set is all of validation; `train` and `sweep` say so (once
/// per data and probe size in a sweep), where they used to say nothing.
#[test]
fn a_probe_size_beyond_the_validation_set_is_noted() {
    let d = tmp("probe-note");
    let args = ["train", "--data", "synthetic:clusters", "--hidden", "4", "--steps", "2", "--set", "probe_size=100000"];
    let o = run(&args, &d);
    assert!(o.status.success(), "{}", stderr(&o));
    let note = "note: probe_size = 100000 is more than the ";
    assert_eq!(stderr(&o).matches(note).count(), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("validation examples of synthetic:clusters; the probe set is all "), "{}", stderr(&o));
    let o =
        run(&["train", "--data", "synthetic:clusters", "--hidden", "4", "--steps", "2", "--set", "probe_size=50"], &d);
    assert!(o.status.success() && !stderr(&o).contains("note: probe_size"), "{}", stderr(&o));
    std::fs::write(
        d.join("s.toml"),
        "[base]\ndata = \"synthetic:clusters\"\nhidden = [4]\nsteps = 2\nprobe_size = 100000\n[axes]\nseed = [0, 1, 2]\n",
    )
    .unwrap();
    let o = run(&["sweep", "s.toml", "--out", "swept"], &d);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o).matches(note).count(), 1, "once for the three runs: {}", stderr(&o));
    let o = run(&["sweep", "s.toml", "--out", "quiet", "-q"], &d);
    assert!(o.status.success() && !stderr(&o).contains("note:"), "{}", stderr(&o));
}
