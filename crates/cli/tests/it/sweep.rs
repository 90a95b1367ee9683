//! Sweeps: determinism across --jobs, divergence, resume after SIGKILL, sharding, run-name sanitising.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use actscope_lab::config::sanitize;
use actscope_lab::sweep::{Shard, SweepFile};

use crate::cli::{bin, run, tmp};

const SWEEP: &str = r#"
name = "test"
[base]
data = "synthetic:clusters"
hidden = [24, 24]
epochs = 1
probe_size = 200
[axes]
activation = ["tanh", "relu"]
placement = ["none", "after"]
lr = [0.05, 10000.0]
seed = [0, 1]
"#;

/// Every finished run's reproducible outputs (`actscope_lab::store::reproducible_outputs`), keyed by run name.
pub fn snapshot(dir: &Path) -> BTreeMap<String, (String, String)> {
    actscope_lab::store::reproducible_outputs(dir).unwrap()
}

#[test]
fn jobs_do_not_change_results_and_divergence_is_recorded() {
    let d = tmp("jobs");
    std::fs::write(d.join("s.toml"), SWEEP).unwrap();
    for (out, jobs) in [("j1", "1"), ("j2", "2")] {
        let o = run(&["sweep", "s.toml", "--out", out, "--jobs", jobs, "--quiet"], &d);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (a, b) = (snapshot(&d.join("j1")), snapshot(&d.join("j2")));
    assert_eq!(a.len(), 16);
    assert!(a == b, "records and summaries must be bit-identical across --jobs");
    let diverged: Vec<_> = a.iter().filter(|(_, (_, s))| s.contains("\"status\":\"diverged\"")).collect();
    // At lr = 10⁴ unbounded ReLU activations overflow to ∞/NaN; tanh is bounded, so its loss may stay a
    // (huge) number. Every ReLU run at that rate diverges, and nothing at lr = 0.05 does.
    for (name, (_, s)) in &a {
        let is_diverged = s.contains("\"status\":\"diverged\"");
        if name.starts_with("relu") && name.contains("lr10000") {
            assert!(is_diverged, "{name} must diverge");
        }
        if is_diverged {
            assert!(name.contains("lr10000"), "{name} diverged at a sane rate");
            assert!(!s.contains("\"diverged_step\":null"), "{name} records its step");
        }
    }
    assert!(diverged.len() >= 4, "diverged runs are recorded, not dropped");
    let o = run(&["summarize", "j1", "--json"], &d);
    let groups: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(groups.as_array().unwrap().len(), 4);
    for g in groups.as_array().unwrap() {
        assert_eq!(g["selected_lr"], 0.05, "the diverging rate is never selected");
        assert_eq!(g["n"], 2);
    }
    let csv = run(&["summarize", "j1", "--csv"], &d);
    assert_eq!(String::from_utf8_lossy(&csv.stdout).lines().count(), 5);
}

#[test]
fn killed_sweep_resumes_to_the_same_results() {
    let d = tmp("kill");
    std::fs::write(d.join("s.toml"), SWEEP.replace("epochs = 1", "epochs = 3")).unwrap();
    let o = run(&["sweep", "s.toml", "--out", "full", "--jobs", "2", "--quiet"], &d);
    assert!(o.status.success());
    for delay in [150, 400] {
        let out = format!("killed{delay}");
        let mut child =
            bin().args(["sweep", "s.toml", "--out", &out, "--jobs", "2", "--quiet"]).current_dir(&d).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let o = run(&["sweep", "s.toml", "--out", &out, "--jobs", "2", "--quiet"], &d);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let leftovers: Vec<_> = std::fs::read_dir(d.join(&out))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "no partial run is left behind");
        assert!(snapshot(&d.join("full")) == snapshot(&d.join(&out)), "resumed sweep differs (kill after {delay} ms)");
    }
}

#[test]
fn shards_partition_the_sweep() {
    let runs = SweepFile::parse(SWEEP, "s").unwrap().expand().unwrap();
    assert_eq!(runs.len(), 16);
    let shards: Vec<Shard> = (0..3).map(|i| Shard::new(i, 3).unwrap()).collect();
    for r in &runs {
        assert_eq!(shards.iter().filter(|s| s.owns(&r.id())).count(), 1);
    }
    let slurm = |id: &'static str| {
        move |k: &str| match k {
            "SLURM_ARRAY_TASK_ID" => Some(id.to_string()),
            "SLURM_ARRAY_TASK_COUNT" => Some("4".to_string()),
            "SLURM_ARRAY_TASK_MIN" => Some("1".to_string()),
            _ => None,
        }
    };
    assert_eq!(Shard::from_slurm(slurm("4")).unwrap(), Some(Shard::new(3, 4).unwrap()));
    // An id below the array's first index had been taken as shard 0, running shard 0's runs twice.
    let e = Shard::from_slurm(slurm("0")).unwrap_err().to_string();
    assert!(e.contains("SLURM_ARRAY_TASK_ID=0 is below SLURM_ARRAY_TASK_MIN=1"), "{e}");
    // Shards are built checked: a shard of 0 had made `owns` divide by zero.
    assert!(Shard::new(0, 0).is_err() && Shard::new(4, 4).is_err());
    assert_eq!((Shard::new(3, 4).unwrap().index(), Shard::new(3, 4).unwrap().count()), (3, 4));
    assert_eq!(Shard::from_slurm(|_| None).unwrap(), None);
    let d = tmp("shard");
    std::fs::write(d.join("s.toml"), SWEEP).unwrap();
    for i in 0..3 {
        let o =
            run(&["sweep", "s.toml", "--out", "shared", "--jobs", "1", "--quiet", "--shard", &format!("{i}/3")], &d);
        assert!(o.status.success());
    }
    let o = run(&["sweep", "s.toml", "--out", "shared", "--dry-run"], &d);
    let listing = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        listing.lines().filter(|l| l.ends_with("(finished)")).count(),
        16,
        "three shards together ran everything"
    );
}

#[test]
fn bad_sweep_files_are_usage_errors() {
    let e = SweepFile::parse("[axes]\nactivation = [\"sigmoid\", \"swishy\"]\n[base]\nhidden=[4]", "s.toml")
        .unwrap()
        .expand()
        .unwrap_err();
    let m = e.to_string();
    assert!(e.is_usage(), "{m}");
    assert!(m.contains("s.toml:2: [axes] activation = \"swishy\": unknown activation \"swishy\""), "{m}");
    let e = SweepFile::parse("[axis]\n", "s.toml").unwrap_err();
    let m = e.to_string();
    assert!(e.is_usage() && m.contains("s.toml") && m.contains("unknown field `axis`"), "{m}");
    let e = SweepFile::parse("[base]\nhidden=[4]\nlr = 0\n", "s.toml").unwrap().expand().unwrap_err();
    assert!(e.is_usage() && e.to_string().contains("invalid lr"), "{e}");
    // Mistakes the grid used to hide (a user trial): a value twice in an axis made one run, a key in both
    // sections let the axis win, and a profile's key was blamed on [base].
    let err = |text: &str| SweepFile::parse(text, "s.toml").unwrap().expand().unwrap_err().to_string();
    let m = err("[base]\nhidden=[4]\n[axes]\nseed = [0, 1, 0]\n");
    assert!(m.contains("s.toml:4: [axes] seed lists 0 twice (value 3 of 3); expected each value once"), "{m}");
    // Spelled apart, one setting: compared as parsed (they made one run, silently).
    let m = err("[base]\nhidden=[4]\n[axes]\nactivation = [\"relu\", \"tanh\", \"ReLU\"]\n");
    assert!(m.contains("s.toml:4: [axes] activation lists \"relu\" and \"ReLU\", the same setting (values 1 and 3 of 3); expected each value once"), "{m}");
    let m = err("[base]\nhidden=[4]\n[axes]\nactivation = [\"leaky_relu(0.1)\", \"leaky_relu(0.10)\"]\n");
    assert!(m.contains("lists \"leaky_relu(0.1)\" and \"leaky_relu(0.10)\", the same setting"), "{m}");
    // One directory spelled two ways is one run (a user trial's sweep listed 2 runs for 4, without a word).
    let m = err("[base]\nhidden=[4]\n[axes]\ndata = [\"idx\", \"./idx/\"]\n");
    assert!(m.contains("data lists \"idx\" and \"./idx/\", the same setting"), "{m}");
    // Values that differ only where the base makes them matter are not repeats.
    assert_eq!(
        SweepFile::parse("[base]\nhidden=[4]\nplacement = \"before\"\n[axes]\nbn_eps = [1e-5, 1e-3]\n", "s.toml")
            .unwrap()
            .expand()
            .unwrap()
            .len(),
        2
    );
    // Both shapes of the network: every run took depth × width and dropped hidden, without a word.
    for (text, want) in [
        ("[base]\nhidden=[8]\n[axes]\ndepth = [1, 2]\n", "s.toml:2: [base] hidden and s.toml:4: [axes] depth: hidden"),
        (
            "[base]\ndepth=2\n[axes]\nhidden = [[8], [9]]\n",
            "s.toml:4: [axes] hidden and s.toml:2: [base] depth: hidden",
        ),
        ("[base]\nhidden=[8]\ndepth=2\n", "s.toml:2: [base] hidden and s.toml:3: [base] depth: hidden"),
    ] {
        let m = err(text);
        assert!(m.contains(want) && m.contains("give hidden = [widths…], or depth = N with width = W"), "{m}");
    }
    let m = err("[base]\nhidden=[4]\nseed = 5\n[axes]\nseed = [0, 1]\n");
    assert!(
        m.contains("s.toml:5: [axes] seed is also set in [base] (seed = 5, s.toml:3); the axis would override"),
        "{m}"
    );
    let profiled = "[base]\nhidden=[4]\n[axes]\nseed = [0]\n[profile.smoke.base]\nlrr = 0.1\n";
    let e = SweepFile::parse(profiled, "s.toml").unwrap().with_profile("smoke").unwrap().expand().unwrap_err();
    // A misspelt profile is refused by the library too: it returned the whole sweep, unpatched.
    let typo = SweepFile::parse(profiled, "s.toml").unwrap().with_profile("smok").unwrap_err().to_string();
    assert!(typo.contains("s.toml: no profile \"smok\"; the file has: smoke"), "{typo}");
    assert_eq!(
        SweepFile::parse(profiled, "s.toml").unwrap().with_profile_if_defined("full").expand().unwrap().len(),
        1
    );
    assert!(e.to_string().contains("s.toml:6: [profile.smoke.base] lrr = 0.1: unknown setting `lrr`"), "{e}");
    // A profile's setting replaces the file's, in [base] or as an axis.
    let patched = "[base]\nhidden=[4]\nlr = 0.1\n[axes]\nseed = [0, 1]\n[profile.one.base]\nseed = 3\n[profile.one.axes]\nlr = [0.01, 0.1]\n";
    let runs = SweepFile::parse(patched, "s.toml").unwrap().with_profile("one").unwrap().expand().unwrap();
    let got: Vec<(u64, f64)> = runs.iter().map(|r| (r.seed, r.lr)).collect();
    assert_eq!(got, [(3, 0.01), (3, 0.1)]);
    // Nesterov's message names the setting that is wrong (it named `dampening`, which is not a setting).
    let m = err("[base]\nhidden=[4]\n[axes]\nmomentum = [0.0, 0.9]\nnesterov = [true]\n");
    assert!(m.contains("Nesterov momentum requires momentum > 0, got momentum = 0") && !m.contains("dampening"), "{m}");
    // One value where an axis lists them says so (toml's "expected a sequence" did not say what an axis is).
    let e = SweepFile::parse("[base]\nhidden=[4]\n[axes]\nlr = 0.1\n", "s.toml").unwrap_err().to_string();
    assert!(e.contains("s.toml") && e.contains("[axes] lr = 0.1: an axis is a list of values, e.g. lr = [0.1]"), "{e}");
    // A Slurm array task without the array's size cannot tell its share: it had run the whole sweep.
    let get = |k: &str| (k == "SLURM_ARRAY_TASK_ID").then(|| "1".to_string());
    let e = Shard::from_slurm(get).unwrap_err().to_string();
    assert!(e.contains("SLURM_ARRAY_TASK_ID=\"1\" is set but SLURM_ARRAY_TASK_COUNT is not"), "{e}");
}

/// `--dry-run` runs the memory check the sweep runs, marks the runs it refuses and fails as the sweep would
/// (it had listed them and exited 0), and ends with the counts.
#[test]
fn a_dry_run_checks_memory_and_counts_the_runs() {
    let d = tmp("dry-memory");
    std::fs::write(
        d.join("s.toml"),
        "[base]\ndata = \"synthetic:clusters\"\nprobe_size = 50\nsteps = 5\n[axes]\nhidden = [[8], [200000, 200000]]\n",
    )
    .unwrap();
    let o = run(&["sweep", "s.toml", "--out", "r", "--dry-run"], &d);
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert_eq!(out.matches("(too large for this machine: will be refused)").count(), 1, "{out}");
    assert!(err.contains("sweep: 2 runs in shard 0/1: 0 finished, 0 to redo, 2 to train"), "{err}");
    assert!(err.contains("error: run relu-none-d2-") && err.contains("more than the limit of"), "{err}");
}

/// A run that cannot train on its data — a batch larger than the training set, a training set of one class —
/// is refused by the dry run and by the sweep before any run trains (the dry run had passed it and the sweep
/// failed after training the others; one class had trained a phantom second output to accuracy 1.0).
#[test]
fn runs_that_cannot_train_on_their_data_are_refused_before_any_run() {
    let d = tmp("fit");
    let file = "[base]\ndata = \"synthetic:spirals\"\nsteps = 5\nprobe_size = 20\nhidden = [4]\n[axes]\nbatch_size = [60, 5000]\n";
    std::fs::write(d.join("b.toml"), file).unwrap();
    let o = run(&["sweep", "b.toml", "--out", "b", "--dry-run"], &d);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains("(will be refused: invalid batch_size: 5000 is larger than the training set (3600 examples))"),
        "{out}"
    );
    let o = run(&["sweep", "b.toml", "--out", "b", "--jobs", "1"], &d);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("invalid batch_size: 5000"));
    assert_eq!(std::fs::read_dir(d.join("b")).map_or(0, |r| r.count()), 0, "no run trained");

    let mut csv = String::from("a,b,label\n");
    for i in 0..100 {
        csv += &format!("{i},{},0\n", i * 7 % 13);
    }
    std::fs::write(d.join("one.csv"), csv).unwrap();
    for data in ["one.csv", "synthetic:gaussian"] {
        let o = run(&["train", "--data", data, "--batch-size", "8", "--steps", "5", "--out", "t"], &d);
        assert_eq!(o.status.code(), Some(2), "{data}");
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(err.contains(&format!("data {data}: every training example is of one class")), "{err}");
        assert!(run(&["data", "info", "--data", data], &d).status.success(), "data info still reads {data}");
    }
}

#[test]
fn run_names_are_safe_paths() {
    assert_eq!(sanitize("leaky_relu(0.01)-before/../x"), "leaky_relu_0.01_-before_.._x");
    assert_eq!(sanitize("../etc"), "_._etc");
    assert_eq!(sanitize(""), "_");
    let cfg: actscope_lab::RunConfig = toml::from_str("hidden = [3]\nactivation = \"leaky_relu(0.2)\"").unwrap();
    let name = cfg.dir_name();
    assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)), "{name}");
}

/// A finished run is reused only when this build's code computed it: one computed by other code (another
/// fingerprint, or none, as before fingerprints existed) is redone in place; a run directory that is not a
/// finished run is never overwritten.
#[test]
fn runs_from_other_code_are_redone_not_reused() {
    let d = tmp("stale");
    let one = "name = \"one\"\n[base]\ndata = \"synthetic:clusters\"\nhidden = [8]\nepochs = 1\nprobe_size = 50\n[axes]\nseed = [0, 1]\n";
    std::fs::write(d.join("s.toml"), one).unwrap();
    let o = run(&["sweep", "s.toml", "--out", "r", "--quiet"], &d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let fresh = snapshot(&d.join("r"));
    let names: Vec<&String> = fresh.keys().collect();
    let summary_of = |name: &str| d.join("r").join(name).join("summary.json");
    let text = std::fs::read_to_string(summary_of(names[0])).unwrap();
    assert!(text.contains(&format!("\"code\": \"{}\"", actscope_lab::run::CODE)), "{text}");
    // Make the first run look computed by other code, and drop the fingerprint of the second.
    std::fs::write(summary_of(names[0]), text.replace(actscope_lab::run::CODE, "0123456789abcdef")).unwrap();
    let second = std::fs::read_to_string(summary_of(names[1])).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&second).unwrap();
    v.as_object_mut().unwrap().remove("code");
    std::fs::write(summary_of(names[1]), v.to_string()).unwrap();
    let dry = run(&["sweep", "s.toml", "--out", "r", "--dry-run"], &d);
    let listed = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert_eq!(listed.matches("will be redone").count(), 2, "{listed}");
    assert!(listed.contains("(finished, computed by other code (0123456789abcdef): will be redone)"), "{listed}");
    assert!(listed.contains("(finished, computed by code from before fingerprints: will be redone)"), "{listed}");
    // Summaries and figures over such a directory say so.
    for cmd in [&["summarize", "r"][..], &["plot", "r", "--out", "figs", "--format", "svg"][..]] {
        let err = String::from_utf8_lossy(&run(cmd, &d).stderr).into_owned();
        assert!(err.contains("computed by code other than this build's"), "{cmd:?}: {err}");
        assert!(err.contains("0123456789abcdef (1)") && err.contains("none recorded (1)"), "{err}");
    }
    let o = run(&["sweep", "s.toml", "--out", "r"], &d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("2 redone: 2 computed by other code"));
    assert_eq!(snapshot(&d.join("r")), fresh, "redone runs are identical to the originals, fingerprint restored");
    // Reused when current: nothing is redone, and nothing to warn about.
    let o = run(&["sweep", "s.toml", "--out", "r"], &d);
    assert!(String::from_utf8_lossy(&o.stderr).contains("2 finished earlier, 0 done now"));
    assert!(!String::from_utf8_lossy(&run(&["summarize", "r"], &d).stderr).contains("warning"));
    // A finished run set aside by a process that died while replacing it is put back, not trained again,
    // and the dry run says so (it had listed it as to train).
    let aside = d.join("r").join(format!(".tmp-{}-{}-{}-stale", names[0], actscope_lab::store::host(), u32::MAX));
    std::fs::rename(d.join("r").join(names[0]), &aside).unwrap();
    let dry = run(&["sweep", "s.toml", "--out", "r", "--dry-run"], &d);
    let listed = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(listed.contains("(finished, set aside by an interrupted process: will be put back)"), "{listed}");
    assert!(String::from_utf8_lossy(&dry.stderr).contains("2 finished, 0 to redo, 0 to train"));
    let o = run(&["sweep", "s.toml", "--out", "r"], &d);
    assert!(String::from_utf8_lossy(&o.stderr).contains("2 finished earlier, 0 done now"));
    assert_eq!(snapshot(&d.join("r")), fresh);
    // A directory in a run's place that is not a finished run is an error, not overwritten; the dry run says
    // the sweep will refuse it, and the sweep refuses it before any run trains.
    std::fs::remove_file(summary_of(names[0])).unwrap();
    let dry = run(&["sweep", "s.toml", "--out", "r", "--dry-run"], &d);
    let listed = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(listed.contains("(exists but is not a finished run: the sweep will refuse it)"), "{listed}");
    // … and fails with the sweep's error (it exited 0, counting the run as to train).
    let said = String::from_utf8_lossy(&dry.stderr).into_owned();
    assert_eq!(dry.status.code(), Some(1), "{said}");
    assert!(
        said.contains(
            "1 finished, 0 to redo, 0 to train, 1 in the way of a directory that is not a finished run (refused)"
        ),
        "{said}"
    );
    assert!(said.contains("exists but is not a finished run; move it away and try again"), "{said}");
    let o = run(&["sweep", "s.toml", "--out", "r", "--quiet"], &d);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("is not a finished run"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A finished run is reused only on the data it was trained on: when the file its settings name changes
/// (same path, other contents), `sweep` and `train` redo it, and summaries of runs that mix the two data
/// warn (a user: the old data's runs were reused and averaged with the new data's, without a word).
#[test]
fn runs_on_data_that_changed_are_redone_and_mixed_data_is_named() {
    let d = tmp("data-changed");
    let csv = |shift: f64| {
        let mut t = String::from("a,b,label\n");
        for i in 0..200 {
            let (x, y) = ((i * 37 % 101) as f64 / 101.0, (i * 53 % 97) as f64 / 97.0);
            t += &format!("{},{y},{}\n", x + shift * (i % 2) as f64, i % 2);
        }
        t
    };
    std::fs::write(d.join("data.csv"), csv(0.0)).unwrap();
    let sweep = "[base]\ndata = \"data.csv#label\"\nhidden = [4]\nsteps = 20\nbatch_size = 10\nprobe_size = 16\n[axes]\nseed = [0, 1]\n";
    std::fs::write(d.join("s.toml"), sweep).unwrap();
    let ok = |args: &[&str]| {
        let o = run(args, &d);
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    ok(&["sweep", "s.toml", "--out", "r", "--quiet"]);
    let old = snapshot(&d.join("r"));
    // The same path, other contents; a third seed is added, as the user did.
    std::fs::write(d.join("data.csv"), csv(1.0)).unwrap();
    std::fs::write(d.join("s.toml"), sweep.replace("[0, 1]", "[0, 1, 2]")).unwrap();
    let (listed, _) = ok(&["sweep", "s.toml", "--out", "r", "--dry-run"]);
    assert_eq!(listed.matches("trained on other data").count(), 2, "{listed}");
    // Before the sweep redoes them, a summary names the mix.
    let (_, err) = ok(&["sweep", "s.toml", "--out", "mixed", "--quiet"]);
    assert!(err.is_empty(), "{err}");
    for name in old.keys() {
        let from = d.join("r").join(name);
        let to = d.join("mixed").join(format!("{name}-old"));
        std::fs::create_dir_all(&to).unwrap();
        for f in ["config.json", "summary.json", "records.jsonl"] {
            std::fs::copy(from.join(f), to.join(f)).unwrap();
        }
    }
    let (_, err) = ok(&["summarize", "mixed"]);
    assert!(err.contains("runs naming the same data were trained on different data"), "{err}");
    assert!(err.contains("(2 runs)") && err.contains("(3 runs)"), "{err}");
    let (_, err) = ok(&["sweep", "s.toml", "--out", "r"]);
    assert!(err.contains("0 finished earlier, 3 done now (0 diverged, 2 redone: 2 trained on other data)"), "{err}");
    let new = snapshot(&d.join("r"));
    assert_eq!(new, snapshot(&d.join("mixed")).into_iter().filter(|(n, _)| !n.ends_with("-old")).collect());
    assert!(old.iter().all(|(n, files)| new[n] != *files), "every run was trained again, on the new data");
    let (_, err) = ok(&["summarize", "r"]);
    assert!(!err.contains("warning"), "{err}");
    // `train` redoes it too, and says why.
    std::fs::write(d.join("data.csv"), csv(0.0)).unwrap();
    let (_, err) = ok(&[
        "train",
        "--data",
        "data.csv#label",
        "--hidden",
        "4",
        "--steps",
        "20",
        "--batch-size",
        "10",
        "--set",
        "probe_size=16",
        "--out",
        "r",
    ]);
    assert!(err.contains("was trained on other data (checksum"), "{err}");
}

/// `summarize`, `export` and `plot` check a run's `records.jsonl` against its summary's checksum (an edited
/// file changed the numbers without a word), and name directories that are not finished runs.
#[test]
fn readers_refuse_changed_records_and_name_unfinished_directories() {
    let d = tmp("changed-records");
    let one = "[base]\ndata = \"synthetic:clusters\"\nhidden = [8]\nsteps = 20\nprobe_size = 50\ncheckpoints_per_epoch = 2\n[axes]\nseed = [0, 1]\n";
    std::fs::write(d.join("s.toml"), one).unwrap();
    let o = run(&["sweep", "s.toml", "--out", "r", "--quiet"], &d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let names: Vec<String> = snapshot(&d.join("r")).into_keys().collect();
    let records = d.join("r").join(&names[0]).join("records.jsonl");
    let text = std::fs::read_to_string(&records).unwrap();
    let first_line = text.lines().next().unwrap();
    std::fs::write(&records, format!("{text}{first_line}\n")).unwrap();
    for cmd in [
        &["summarize", "r"][..],
        &["export", "table", "r", "--out", "t.csv"][..],
        &["plot", "r", "--out", "figs", "--format", "svg"][..],
    ] {
        let o = run(cmd, &d);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{cmd:?}: {err}");
        assert!(err.contains("records.jsonl") && err.contains("does not match the SHA-256"), "{cmd:?}: {err}");
    }
    std::fs::write(&records, &text).unwrap();
    std::fs::remove_file(d.join("r").join(&names[1]).join("summary.json")).unwrap();
    let o = run(&["summarize", "r"], &d);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "note: 1 directory in r is not a finished run (no summary.json) and is left out: {}",
            names[1]
        )),
        "{err}"
    );
}

#[test]
fn bracketing_extends_a_grid_whose_best_rate_is_at_an_edge() {
    let d = tmp("bracket");
    let file = "[base]\ndata = \"synthetic:clusters\"\nhidden = [8]\nsteps = 30\nprobe_size = 50\n[axes]\nlr = [0.0001, 0.0003]\nseed = [0, 1]\n";
    std::fs::write(d.join("s.toml"), file).unwrap();
    let o = run(&["sweep", "s.toml", "--out", "r", "--quiet", "--bracket"], &d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = run(&["summarize", "r", "--json"], &d);
    let groups: serde_json::Value = serde_json::from_slice(&s.stdout).unwrap();
    let lrs: Vec<f64> = groups[0]["lr_scores"].as_array().unwrap().iter().map(|p| p[0].as_f64().unwrap()).collect();
    // Tiny rates learn little in 30 steps: the best is the largest, so the grid grows upwards (ratio 3).
    assert_eq!(lrs, vec![0.0001, 0.0003, 0.0009, 0.0027], "{}", String::from_utf8_lossy(&o.stderr));
    assert!(groups[0]["lr_width_decades"].is_number() && groups[0]["bracket"].is_string());
    // One rate has no ratio to extend by: refused before anything runs (it had trained the grid, then
    // reported "0 runs beyond the grid").
    std::fs::write(d.join("one.toml"), file.replace("lr = [0.0001, 0.0003]", "lr = [0.0001]")).unwrap();
    let o = run(&["sweep", "one.toml", "--out", "r1", "--quiet", "--bracket"], &d);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("this sweep has one rate (lr = 0.0001): give lr at least two values"), "{err}");
    assert!(!d.join("r1").exists(), "nothing ran");
    // A dry run refuses both as the sweep does (it had listed the runs and exited 0).
    let o = run(&["sweep", "one.toml", "--out", "r1", "--bracket", "--dry-run"], &d);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("this sweep has one rate"));
    let o = run(&["sweep", "s.toml", "--out", "r", "--bracket", "--shard", "1/4", "--dry-run"], &d);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--bracket needs the whole sweep: leave out --shard"));
    assert!(o.stdout.is_empty(), "nothing listed");
}

/// An axis over a setting some runs ignore makes those runs once; the sweep and its dry run say how many
/// combinations made how many runs (the count had silently been less than the product of the axes).
#[test]
fn combinations_that_repeat_a_run_are_counted_aloud() {
    let d = tmp("repeats");
    let file = "[base]\ndata = \"synthetic:clusters\"\nhidden = [4]\nsteps = 2\nprobe_size = 20\n[axes]\noptimizer = [\"sgd\", \"adam\"]\nmomentum = [0.0, 0.9]\n";
    std::fs::write(d.join("s.toml"), file).unwrap();
    let note = "sweep: the axes' 4 combinations make 3 distinct runs, since a setting a run ignores";
    for args in [&["--dry-run"][..], &[]] {
        let o = run(&[&["sweep", "s.toml", "--out", "r"][..], args].concat(), &d);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{err}");
        assert!(err.contains(note), "{args:?}: {err}");
    }
    // A grid without repeats says nothing of it.
    std::fs::write(d.join("t.toml"), file.replace("[\"sgd\", \"adam\"]", "[\"sgd\"]")).unwrap();
    let o = run(&["sweep", "t.toml", "--out", "t", "--dry-run"], &d);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && !err.contains("combinations make"), "{err}");
}

#[test]
fn summaries_show_every_setting_that_varies() {
    let d = tmp("varies");
    let file = "[base]\ndata = \"synthetic:spirals\"\nhidden = [4]\nsteps = 3\nprobe_size = 20\n[axes]\nbias_init = [0.0, -1.0]\nseed = [0, 1]\n";
    std::fs::write(d.join("s.toml"), file).unwrap();
    assert!(run(&["sweep", "s.toml", "--out", "r", "--quiet"], &d).status.success());
    let table = String::from_utf8_lossy(&run(&["summarize", "r"], &d).stdout).into_owned();
    let header = table.lines().next().unwrap();
    assert!(header.starts_with("bias_init"), "{table}");
    assert!(
        table.lines().nth(1).unwrap().starts_with("-1") || table.lines().nth(2).unwrap().starts_with("-1"),
        "{table}"
    );
    let csv = String::from_utf8_lossy(&run(&["summarize", "r", "--csv"], &d).stdout).into_owned();
    assert!(csv.starts_with("bias_init,activation,"), "{csv}");
    assert_eq!(csv.lines().count(), 3);
    // The shape shows as depth; rows of one depth that differ in widths show `hidden` (they had looked the
    // same), and a depth axis alone adds no column.
    let shapes =
        "[base]\ndata = \"synthetic:spirals\"\nsteps = 3\nprobe_size = 20\n[axes]\nhidden = [[4, 4], [8, 8], [4]]\n";
    std::fs::write(d.join("h.toml"), shapes).unwrap();
    assert!(run(&["sweep", "h.toml", "--out", "h", "--quiet"], &d).status.success());
    let csv = String::from_utf8_lossy(&run(&["summarize", "h", "--csv"], &d).stdout).into_owned();
    assert!(csv.starts_with("hidden,activation,placement,depth,"), "{csv}");
    assert!(csv.contains("\"[4, 4]\"") && csv.contains("\"[8, 8]\""), "{csv}");
    let depths =
        "[base]\ndata = \"synthetic:spirals\"\nsteps = 3\nprobe_size = 20\nwidth = 4\n[axes]\ndepth = [1, 2]\n";
    std::fs::write(d.join("w.toml"), depths).unwrap();
    assert!(run(&["sweep", "w.toml", "--out", "w", "--quiet"], &d).status.success());
    let csv = String::from_utf8_lossy(&run(&["summarize", "w", "--csv"], &d).stdout).into_owned();
    assert!(csv.starts_with("activation,placement,depth,"), "{csv}");
}

/// Axes vary in the order the file writes them, later ones fastest, whatever their names. A profile's
/// axis that replaces one keeps its place, a new one comes last, and `[]` removes one. Run ids (and so
/// directory names) do not depend on the order.
#[test]
fn axes_vary_in_the_files_order_later_ones_fastest() {
    let text = "[base]\nhidden = [4]\nsteps = 2\ndata = \"synthetic:spirals\"\n[axes]\nseed = [0, 1]\nactivation = [\"tanh\", \"relu\"]\n\
                [profile.p.axes]\nplacement = [\"none\", \"before\"]\nseed = [2, 3]\n[profile.q.axes]\nseed = []\nlr = [0.1, 0.2]\n";
    let file = SweepFile::parse(text, "o.toml").unwrap();
    let order = |f: &SweepFile| {
        f.expand()
            .unwrap()
            .iter()
            .map(|r| format!("{}-{}-lr{}-s{}", r.activation, r.placement, r.lr, r.seed))
            .collect::<Vec<_>>()
    };
    assert_eq!(order(&file), ["tanh-none-lr0.1-s0", "relu-none-lr0.1-s0", "tanh-none-lr0.1-s1", "relu-none-lr0.1-s1"]);
    assert_eq!(
        order(&file.with_profile("p").unwrap()),
        [
            "tanh-none-lr0.1-s2",
            "tanh-before-lr0.1-s2",
            "relu-none-lr0.1-s2",
            "relu-before-lr0.1-s2",
            "tanh-none-lr0.1-s3",
            "tanh-before-lr0.1-s3",
            "relu-none-lr0.1-s3",
            "relu-before-lr0.1-s3",
        ]
    );
    assert_eq!(
        order(&file.with_profile("q").unwrap()),
        ["tanh-none-lr0.1-s0", "tanh-none-lr0.2-s0", "relu-none-lr0.1-s0", "relu-none-lr0.2-s0"]
    );
    let d = tmp("axis-order");
    std::fs::write(d.join("o.toml"), text).unwrap();
    let o = run(&["sweep", "o.toml", "--dry-run"], &d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).lines().collect::<Vec<_>>(),
        [
            "tanh-none-d1-sgd-lr0.1-s0-34a66649d739",
            "relu-none-d1-sgd-lr0.1-s0-de8d4f0c44a2",
            "tanh-none-d1-sgd-lr0.1-s1-08b1ba8d4679",
            "relu-none-d1-sgd-lr0.1-s1-cb6fc0d54d2d",
        ],
        "the ids are those of the configurations, whatever the order"
    );
}
