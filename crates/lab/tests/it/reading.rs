//! Reading finished run directories (`summarize`, `plot`, `export`): every run is checked the same way
//! whatever is read from it (its records against their checksum, its summary against what a run writes), a
//! run that cannot be read is an error naming the file (never left out), and an export writes nothing when
//! one run fails and never writes into a run it reads.

use std::path::{Path, PathBuf};

use actscope_lab::export::table::{self, Level};
use actscope_lab::export::{source, tensorboard};
use actscope_lab::store::{RunState, read_summary, state};
use actscope_lab::summarize::{LoadedRun, load_runs};
use actscope_lab::{Error, RunConfig};

fn temp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("actscope-reading-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// `seeds` tiny runs on `synthetic:clusters` (with step scalars where `step_scalars`) trained into
/// `<root>/runs`, `<root>` a fresh temporary directory; returns `<root>`, that directory and the run
/// directories, sorted.
fn runs(tag: &str, seeds: u64, step_scalars: bool) -> (PathBuf, PathBuf, Vec<PathBuf>) {
    let root = temp(tag);
    let dir = root.join("runs");
    let data = actscope_data::load("synthetic:clusters", 0.1, false).unwrap();
    for seed in 0..seeds {
        let cfg = RunConfig::from_toml(
            &format!(
                "data = \"synthetic:clusters\"\nhidden = [4]\nsteps = 6\nprobe_size = 20\nseed = {seed}\n\
                 step_scalars = {step_scalars}"
            ),
            "reading",
        )
        .unwrap();
        actscope_lab::run::execute(&cfg, &data, &dir).unwrap();
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    found.sort();
    assert_eq!(found.len(), seeds as usize);
    (root, dir, found)
}

/// The names of the entries of `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn truncate(file: &Path, len: usize) {
    let bytes = std::fs::read(file).unwrap();
    assert!(bytes.len() > len);
    std::fs::write(file, &bytes[..len]).unwrap();
}

/// A change to a JSON document.
type Edit = fn(&mut serde_json::Value);

/// `summary.json` of `run` with `edit` applied to its JSON.
fn edit_summary(run: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = run.join("summary.json");
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

/// The error's message and whether it is a usage error.
#[track_caller]
fn message<T>(r: Result<T, Error>) -> (String, bool) {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => (e.to_string(), e.is_usage()),
    }
}

/// Bug 1: `summarize` checked a run's records only when a column needed them, and `export table --level
/// run` never did: a truncated `records.jsonl` was summarised and exported as if intact. Loading runs
/// checks every run's records, whatever is read from them afterwards.
#[test]
fn every_reader_refuses_records_that_do_not_match_their_checksum() {
    let (root, dir, runs) = runs("checksum", 2, false);
    let records = runs[1].join("records.jsonl");
    truncate(&records, 200);
    let (m, usage) = message(load_runs(&dir));
    assert!(!usage && m.contains(&records.display().to_string()) && m.contains("does not match the SHA-256"), "{m}");
    for paths in [vec![dir.clone()], vec![runs[1].clone()]] {
        let (m, usage) = message(source::resolve(&paths));
        assert!(!usage && m.contains(&records.display().to_string()) && m.contains("does not match"), "{m}");
    }
    // The intact run alone still reads.
    assert_eq!(source::resolve(std::slice::from_ref(&runs[0])).unwrap().len(), 1);
    std::fs::remove_dir_all(root).unwrap();
}

/// Bug 2: nothing checked the numbers of `summary.json` (a test accuracy of 7.5 was averaged and exported;
/// schema 99 was read as 1). What a run never writes is refused, naming the file and the field; what a
/// genuine run can write (NaN and infinite losses of a diverged run, NaN accuracy of an empty set) reads.
#[test]
fn summary_values_no_run_writes_are_refused_naming_the_file_and_field() {
    let (root, dir, runs) = runs("summary", 1, false);
    let run = &runs[0];
    let original = std::fs::read_to_string(run.join("summary.json")).unwrap();
    let path = run.join("summary.json").display().to_string();
    let cases: [(&str, Edit); 13] = [
        ("test.accuracy", |v| v["test"]["accuracy"] = 7.5.into()),
        ("val.accuracy", |v| v["val"]["accuracy"] = (-0.1).into()),
        ("train.loss", |v| v["train"]["loss"] = (-1.0).into()),
        ("test.loss", |v| v["test"]["loss"] = "-inf".into()),
        ("test.set", |v| v["test"]["set"] = "val".into()),
        ("schema", |v| v["schema"] = 99.into()),
        ("diverged_step", |v| v["diverged_step"] = 3.into()),
        ("diverged_step", |v| v["status"] = "diverged".into()),
        ("steps_to_target", |v| v["steps_to_target"] = serde_json::json!([null, null])),
        ("steps_to_target", |v| v["steps_to_target"] = serde_json::json!([1000, null, null, null])),
        ("wall_seconds", |v| v["wall_seconds"] = (-2.0).into()),
        ("records_sha256", |v| v["records_sha256"] = "not a checksum".into()),
        // This build writes a checksum: an empty one had turned off the check of an emptied records.jsonl.
        ("records_sha256", |v| v["records_sha256"] = "".into()),
    ];
    for (field, edit) in cases {
        std::fs::write(run.join("summary.json"), &original).unwrap();
        edit_summary(run, edit);
        let (m, usage) = message(read_summary(run));
        assert!(!usage && m.starts_with(&format!("{path}: ")) && m.contains(field), "{field}: {m}");
        let (m, _) = message(load_runs(&dir));
        assert!(m.contains(field), "{field}: {m}");
        let (m, _) = message(source::resolve(std::slice::from_ref(&dir)));
        assert!(m.contains(field), "{field}: {m}");
    }
    // A diverged run's non-finite losses, an empty set's NaN accuracy and loss, a legacy run's missing
    // checksum: all written by genuine runs, all read.
    std::fs::write(run.join("summary.json"), &original).unwrap();
    edit_summary(run, |v| {
        v["status"] = "diverged".into();
        v["diverged_step"] = 6.into();
        v["train"]["loss"] = serde_json::Value::Null;
        v["val"]["loss"] = "inf".into();
        v["test"]["loss"] = serde_json::Value::Null;
        v["test"]["accuracy"] = serde_json::Value::Null;
    });
    let s = read_summary(run).unwrap();
    assert!(s.train.unwrap().loss.is_nan() && s.val.unwrap().loss == f64::INFINITY);
    let legacy = |v: &mut serde_json::Value| {
        v["code"] = "".into();
        v["records_sha256"] = "".into();
    };
    let kept = std::fs::read_to_string(run.join("summary.json")).unwrap();
    edit_summary(run, legacy);
    assert!(read_summary(run).is_ok(), "a run from before checksums were kept");
    std::fs::write(run.join("summary.json"), kept).unwrap();
    assert!(s.test.unwrap().accuracy.is_nan());
    assert_eq!(load_runs(&dir).unwrap().len(), 1);
    std::fs::remove_dir_all(root).unwrap();
}

/// Runs that diverge write non-finite losses (NaN as null, infinities as "inf") into `summary.json`: its
/// checks accept them, and every export of such runs works.
#[test]
fn diverged_runs_are_read_and_exported() {
    let root = temp("diverged");
    let dir = root.join("runs");
    let data = actscope_data::load("synthetic:clusters", 0.1, false).unwrap();
    for lr in ["1e6", "1e12"] {
        let cfg = RunConfig::from_toml(
            &format!("data = \"synthetic:clusters\"\nhidden = [8, 8]\nsteps = 20\nprobe_size = 20\nevals_per_epoch = 180\nlr = {lr}"),
            "reading",
        )
        .unwrap();
        let s = actscope_lab::run::execute(&cfg, &data, &dir).unwrap();
        assert_eq!(s.status, actscope_lab::RunStatus::Diverged, "lr {lr}");
    }
    let loaded = source::resolve(std::slice::from_ref(&dir)).unwrap();
    assert_eq!(loaded.len(), 2);
    for level in [Level::Run, Level::Eval, Level::Layer] {
        table::export_csv(&loaded, level, &root.join(format!("{}.csv", level.name()))).unwrap();
    }
    tensorboard::export(&loaded, &root.join("tb")).unwrap();
    // Evaluated at every step, their last evaluation saw the loss that stopped them.
    assert!(loaded.iter().all(|r| r.summary.test.as_ref().is_some_and(|p| !p.loss.is_finite())));
    std::fs::remove_dir_all(root).unwrap();
}

/// Bug 3: a run whose `summary.json` could not be inspected (a permission error, which the tests cannot
/// provoke as root; here a `summary.json` that is a link through a regular file, "not a directory") was
/// taken for a directory without one, noted as unfinished and left out. It is an error naming the file;
/// a regular file among the runs is still no run and no error.
#[test]
fn a_run_whose_summary_cannot_be_inspected_is_an_error_not_left_out() {
    let (root, dir, runs) = runs("uninspectable", 2, false);
    std::fs::write(dir.join("notes.txt"), "not a run").unwrap();
    assert_eq!(load_runs(&dir).unwrap().len(), 2, "a file among the runs is not a run");
    let summary = runs[1].join("summary.json");
    std::fs::write(root.join("plain-file"), "x").unwrap();
    std::fs::rename(&summary, root.join("moved-summary.json")).unwrap();
    std::os::unix::fs::symlink(root.join("plain-file").join("summary.json"), &summary).unwrap();
    let (m, usage) = message(load_runs(&dir));
    assert!(!usage && m.contains(&summary.display().to_string()), "{m}");
    let (m, usage) = message(source::resolve(std::slice::from_ref(&dir)));
    assert!(!usage && m.contains(&summary.display().to_string()), "{m}");
    let (m, _) = message(source::resolve(std::slice::from_ref(&runs[1])));
    assert!(m.contains(&summary.display().to_string()), "{m}");
    // A sweep does not take it for a missing run (and train over it): it is damaged, and says why.
    let name = runs[1].file_name().unwrap().to_str().unwrap();
    match state(&dir, name, "any") {
        RunState::Stale(why) => assert!(why.to_string().contains("summary.json"), "{why}"),
        other => panic!("{other:?}"),
    }
    std::fs::remove_dir_all(root).unwrap();
}

/// A `config.json` edited to settings no run is trained with (lr = -1, no hidden layer) had been read as it
/// was, and `summarize` showed a configuration of depth 0 at rate -1 as a result. Loading a run this build
/// computed refuses it, naming the file and the setting, as `train` refuses the setting.
#[test]
fn settings_no_run_is_trained_with_are_refused_when_read() {
    let (root, dir, runs) = runs("edited-config", 2, false);
    let config = runs[1].join("config.json");
    let text = std::fs::read_to_string(&config).unwrap();
    for (key, bad, said) in
        [("lr", "-1.0", "invalid lr"), ("hidden", "[]", "invalid hidden"), ("tau", "0.0", "invalid tau")]
    {
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        value[key] = serde_json::from_str(bad).unwrap();
        std::fs::write(&config, value.to_string()).unwrap();
        let (m, usage) = message(load_runs(&dir));
        assert!(!usage && m.contains(&config.display().to_string()) && m.contains(said), "{key}: {m}");
        assert!(m.contains("this build computed the run, and trains no run with it"), "{m}");
    }
    // A run another version computed is read as it is (its rules may have differed; readers warn about the
    // mix): older code trained rates that round to 0 in f32, which this build refuses.
    let summary = runs[1].join("summary.json");
    let this = std::fs::read_to_string(&summary).unwrap();
    let mut other: serde_json::Value = serde_json::from_str(&this).unwrap();
    other["code"] = "an-older-build".into();
    std::fs::write(&summary, other.to_string()).unwrap();
    assert_eq!(load_runs(&dir).unwrap().len(), 2);
    std::fs::write(&summary, this).unwrap();
    std::fs::write(&config, text).unwrap();
    assert_eq!(load_runs(&dir).unwrap().len(), 2, "restored, it reads again");
    std::fs::remove_dir_all(root).unwrap();
}

/// Bug 4: `export tensorboard` with one failing run among others had already written the others: every
/// run is now written beside its place first, and put in place only when all were.
#[test]
fn tensorboard_writes_nothing_when_one_run_fails() {
    let (root, dir, run_dirs) = runs("tensorboard", 3, false);
    let loaded = load_runs(&dir).unwrap();
    // A run whose destination holds another file.
    let out = root.join("tb");
    let last = run_dirs[2].file_name().unwrap();
    std::fs::create_dir_all(out.join(last)).unwrap();
    std::fs::write(out.join(last).join("notes.txt"), "mine").unwrap();
    let (m, _) = message(tensorboard::export(&loaded, &out));
    assert!(m.contains("notes.txt"), "{m}");
    let left = names_in(&out);
    assert_eq!(left, vec![last.to_string_lossy().into_owned()], "nothing written for the other runs");
    // A run whose records changed after they were read: an earlier export is left as it was.
    let out = root.join("tb2");
    let first = tensorboard::export(&loaded, &out).unwrap();
    let before: Vec<Vec<u8>> = first.files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    truncate(&run_dirs[2].join("records.jsonl"), 100);
    let (m, _) = message(tensorboard::export(&loaded, &out));
    assert!(m.contains("records.jsonl"), "{m}");
    let after: Vec<Vec<u8>> = first.files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    assert_eq!(before, after);
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 3, "no temporary directory left");
    std::fs::remove_dir_all(root).unwrap();
}

/// What an export that died left behind (its temporary directories, which TensorBoard reads as runs) is
/// removed by the next export where its process is dead on this host; a live process's, or another host's,
/// is left alone. A leftover of this very pid (containers reuse pids) does not block the export.
#[test]
fn tensorboard_removes_what_a_dead_export_left() {
    let (root, dir, run_dirs) = runs("tb-leftovers", 2, false);
    let loaded = load_runs(&dir).unwrap();
    let out = root.join("tb");
    std::fs::create_dir_all(&out).unwrap();
    let host = actscope_lab::store::host();
    let name = run_dirs[0].file_name().unwrap().to_string_lossy().into_owned();
    let dead = [format!(".tmp-{name}-{host}-{}", u32::MAX), format!(".tmp-{name}-{host}-{}-stale", u32::MAX)];
    let kept = [format!(".tmp-{name}-{host}-1"), format!(".tmp-{name}-otherhost-{}", u32::MAX)];
    let own = format!(".tmp-{name}-{host}-{}-stale", std::process::id());
    for d in dead.iter().chain(&kept).chain([&own]) {
        std::fs::create_dir_all(out.join(d)).unwrap();
        std::fs::write(out.join(d).join("events.out.tfevents.1.x"), "").unwrap();
    }
    tensorboard::export(&loaded, &out).unwrap();
    let mut left = names_in(&out);
    left.retain(|n| n.starts_with('.'));
    let mut want = kept.to_vec();
    want.sort();
    assert_eq!(left, want, "dead and own leftovers removed, a live or another host's kept");
    // A finished run a crashed sweep set aside under such a name (recover puts it back) is no export's
    // leftover: it had been deleted when an export was pointed at the runs directory.
    let aside = out.join(format!(".tmp-{name}-{host}-{}-stale", u32::MAX));
    let status = std::process::Command::new("cp").arg("-r").arg(&run_dirs[0]).arg(&aside).status().unwrap();
    assert!(status.success());
    tensorboard::export(&loaded, &out).unwrap();
    assert!(aside.join("summary.json").is_file(), "a set-aside finished run is kept");
    std::fs::remove_dir_all(root).unwrap();
}

/// Bug 5: a directory that does not exist was a usage error (exit 2) for `export` but a runtime error
/// (exit 1) for `summarize` and `plot`; a missing file or directory is a runtime error.
#[test]
fn a_missing_runs_directory_is_a_runtime_error_for_every_reader() {
    let nowhere = temp("nowhere");
    let (m, usage) = message(source::resolve(std::slice::from_ref(&nowhere)));
    assert!(!usage && m.contains(&nowhere.display().to_string()) && m.contains("not found"), "{m}");
    let (m, usage) = message(load_runs(&nowhere));
    assert!(!usage && m.contains(&nowhere.display().to_string()), "{m}");
}

/// Bug 6: a run that failed to read while the table was written was reported as "writing t.csv: …".
#[test]
fn an_export_table_read_error_is_not_reported_as_writing() {
    let (root, dir, runs) = runs("read-error", 2, false);
    let loaded = source::resolve(std::slice::from_ref(&dir)).unwrap();
    let records = runs[1].join("records.jsonl");
    truncate(&records, 150);
    let out = root.join("t.csv");
    let (m, usage) = message(table::export_csv(&loaded, Level::Layer, &out));
    assert!(!usage && !m.contains("writing") && m.starts_with(&records.display().to_string()), "{m}");
    assert!(!out.exists());
    std::fs::remove_dir_all(root).unwrap();
}

/// Bug 7: a step table of runs that recorded no step scalars was written with no rows and no word.
#[test]
fn a_step_table_of_runs_without_step_scalars_is_refused() {
    let (root, dir, _) = runs("no-steps", 1, false);
    let loaded = load_runs(&dir).unwrap();
    let out = root.join("steps.csv");
    let (m, usage) = message(table::export_csv(&loaded, Level::Step, &out));
    assert!(usage && m.contains("step_scalars"), "{m}");
    assert!(!out.exists());
    // With step scalars, there are rows.
    let (with_root, with, _) = runs("with-steps", 1, true);
    let loaded = load_runs(&with).unwrap();
    assert!(table::export_csv(&loaded, Level::Step, &out).unwrap() > 0);
    std::fs::remove_dir_all(root).unwrap();
    std::fs::remove_dir_all(with_root).unwrap();
}

/// Bug 8: `export table RUNS --out RUNS/<run>/records.jsonl` replaced the run's own records with the table.
#[test]
fn an_export_into_a_run_directory_it_reads_is_refused() {
    let (root, dir, runs) = runs("into-run", 2, false);
    let loaded: Vec<LoadedRun> = load_runs(&dir).unwrap();
    let records = runs[0].join("records.jsonl");
    let before = std::fs::read(&records).unwrap();
    for out in [records.clone(), runs[1].join("sub").join("t.csv"), dir.join(".").join(runs[0].file_name().unwrap())] {
        let (m, usage) = message(table::export_csv(&loaded, Level::Run, &out));
        assert!(usage && m.contains("run director"), "{}: {m}", out.display());
    }
    assert_eq!(std::fs::read(&records).unwrap(), before);
    assert!(!runs[1].join("sub").exists());
    let (m, usage) = message(tensorboard::export(&loaded, &runs[0].join("tb")));
    assert!(usage && m.contains("run director"), "{m}");
    assert!(!runs[0].join("tb").exists());
    // Beside the runs is fine.
    assert_eq!(table::export_csv(&loaded, Level::Run, &dir.join("t.csv")).unwrap(), 2);
    std::fs::remove_dir_all(root).unwrap();
}
