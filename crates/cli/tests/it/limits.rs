//! No bad input aborts or hangs the binary: huge networks and grids are usage errors (exit 2) with the
//! estimate or count and the limit, and sweep errors name the user's file, section and key.

use std::io::{BufRead, BufReader};
use std::process::{Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::cli::{bin, run, tmp};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_usage(o: &Output, expected: &[&str]) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    for x in expected {
        assert!(e.contains(x), "expected {x:?} in: {e}");
    }
    assert!(!e.contains("memory allocation") && !e.contains("panicked"), "{e}");
}

/// Sizes that today abort the process (rc 134, "memory allocation of … bytes failed") are refused before
/// anything is allocated or written, with the estimate and the limit.
#[test]
fn huge_networks_exit_2_before_allocating() {
    let d = tmp("huge-nets");
    let o = bin()
        .args(["train", "--data", "synthetic:clusters", "--hidden", "200000,200000", "--out", "r"])
        .env("ACTSCOPE_MAX_MEMORY", "16G")
        .current_dir(&d)
        .output()
        .unwrap();
    // 64·200000 + 200000² weights = 40,012,800,000 scalars: 149 GiB of parameters alone.
    assert_usage(
        &o,
        &[
            "the run needs about",
            "parameters 160060800040 bytes (149.1 GiB)",
            "more than the limit of 17179869184 bytes (16.0 GiB) (from ACTSCOPE_MAX_MEMORY)",
        ],
    );
    assert!(!d.join("r").exists(), "no run directory, not even a .tmp-* one");
    for (flags, expected) in [
        (&["--hidden", "3000000000"][..], "invalid hidden: width 3000000000 (layer 1) exceeds the limit of 10000000"),
        (&["--set", "depth=100000000"][..], "invalid depth: 100000000 hidden layers exceed the limit of 100000"),
        (&["--set", "depth=2", "--set", "width=100000000"][..], "invalid width: 100000000 units exceed the limit"),
    ] {
        let mut args = vec!["train", "--data", "synthetic:clusters", "--out", "r"];
        args.extend_from_slice(flags);
        assert_usage(&run(&args, &d), &[expected]);
    }
    assert!(!d.join("r").exists());
    std::fs::write(
        d.join("s.toml"),
        "[base]\ndata = \"synthetic:clusters\"\nepochs = 1\n[axes]\nhidden = [[100000000000]]\n",
    )
    .unwrap();
    let o = run(&["sweep", "s.toml", "--out", "runs", "--quiet"], &d);
    assert_usage(&o, &["s.toml:5: [axes] hidden = [100000000000]: invalid hidden: width 100000000000 (layer 1)"]);
    assert!(!d.join("runs").exists());
    // A bad limit is a usage error naming the variable.
    let o = bin()
        .args(["train", "--data", "synthetic:clusters", "--hidden", "4", "--out", "r"])
        .env("ACTSCOPE_MAX_MEMORY", "lots")
        .current_dir(&d)
        .output()
        .unwrap();
    assert_usage(&o, &["ACTSCOPE_MAX_MEMORY=\"lots\" is not a memory size"]);
}

/// A sweep whose runs together exceed the memory limit is refused before any run starts.
#[test]
fn a_sweep_that_does_not_fit_is_refused_before_any_run() {
    let d = tmp("sweep-fit");
    std::fs::write(
        d.join("s.toml"),
        "[base]\ndata = \"synthetic:clusters\"\nepochs = 1\nprobe_size = 50\n[axes]\nhidden = [[8], [2000, 2000]]\n",
    )
    .unwrap();
    let o = bin()
        .args(["sweep", "s.toml", "--out", "runs", "--quiet", "--jobs", "1"])
        .env("ACTSCOPE_MAX_MEMORY", "8M")
        .current_dir(&d)
        .output()
        .unwrap();
    assert_usage(&o, &["run relu-none-d2-", "the run needs about", "(from ACTSCOPE_MAX_MEMORY)"]);
    let finished = std::fs::read_dir(d.join("runs")).map_or(0, |r| r.count());
    assert_eq!(finished, 0, "the small run did not start either");
}

/// `--dry-run` checks `--jobs` runs (or lockstep groups) at once as the sweep does: two runs of ~150 MiB each
/// fit a 200 MiB limit one at a time, not two at once (the dry run had listed them and exited 0).
#[test]
fn a_dry_run_checks_jobs_runs_at_once() {
    let d = tmp("dry-jobs");
    std::fs::write(
        d.join("s.toml"),
        "[base]\ndata = \"synthetic:clusters\"\nepochs = 1\nprobe_size = 50\nhidden = [2000, 2000]\n[axes]\nseed = [0, 1]\n",
    )
    .unwrap();
    let dry = |extra: &[&str]| {
        let mut args = vec!["sweep", "s.toml", "--out", "runs", "--dry-run"];
        args.extend_from_slice(extra);
        bin().args(&args).env("ACTSCOPE_MAX_MEMORY", "200M").current_dir(&d).output().unwrap()
    };
    let o = dry(&["--jobs", "1"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_usage(&dry(&["--jobs", "2"]), &["2 runs at once (--jobs 2) need about", "(from ACTSCOPE_MAX_MEMORY)"]);
    assert_usage(&dry(&["--jobs", "2", "--lockstep"]), &["2 lockstep groups at once (--jobs 2) need about"]);
    let mut sweep = bin();
    sweep.args(["sweep", "s.toml", "--out", "runs", "--jobs", "2"]).env("ACTSCOPE_MAX_MEMORY", "200M");
    assert_usage(&sweep.current_dir(&d).output().unwrap(), &["2 runs at once (--jobs 2) need about"]);
}

/// 8⁸ = 16,777,216 combinations: today `--dry-run` builds them all and aborts near 4 GB. The count is
/// refused above the cap, and under a raised cap the listing streams: its first line comes at once.
#[test]
fn huge_grids_are_refused_and_dry_runs_stream() {
    let d = tmp("huge-grid");
    let mut text = String::from("[base]\ndata = \"synthetic:clusters\"\nhidden = [4]\n[axes]\n");
    for key in ["seed", "probe_size", "batch_size", "epochs", "checkpoints_per_epoch", "evals_per_epoch"] {
        text.push_str(&format!("{key} = [{}]\n", (2..10).map(|i| i.to_string()).collect::<Vec<_>>().join(", ")));
    }
    text.push_str("lr = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08]\n");
    text.push_str("tau = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]\n");
    std::fs::write(d.join("big.toml"), text).unwrap();
    let o = run(&["sweep", "big.toml", "--dry-run"], &d);
    assert_usage(
        &o,
        &["big.toml: the axes have 16777216 combinations, more than the limit of 1000000 runs", "--max-runs"],
    );
    let o = bin().args(["sweep", "big.toml", "--dry-run"]).env("ACTSCOPE_MAX_RUNS", "10").current_dir(&d).output();
    assert_usage(&o.unwrap(), &["more than the limit of 10 runs"]);
    assert_usage(&run(&["sweep", "big.toml", "--dry-run", "--max-runs", "0"], &d), &["--max-runs must be ≥ 1"]);

    let mut child = bin()
        .args(["sweep", "big.toml", "--dry-run", "--max-runs", "100000000"])
        .current_dir(&d)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let lines: Vec<String> = BufReader::new(stdout).lines().take(3).map_while(Result::ok).collect();
        let _ = tx.send(lines);
    });
    // Generous: the streamed listing prints its first lines in milliseconds; building 16.7 M runs first
    // takes minutes (or aborts).
    let lines = rx.recv_timeout(Duration::from_secs(60));
    let _ = child.kill();
    let _ = child.wait();
    let lines = lines.expect("the listing must stream, not build every run first");
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines.iter().all(|l| l.starts_with("relu-none-d1-sgd-lr0.01-s2-")), "{lines:?}");
}

/// Errors in [base] and [axes] name the user's file, the line, the section and the key (in a profile's
/// section when the profile set it); never an empty "(run with )".
#[test]
fn sweep_errors_name_the_users_file_and_key() {
    let d = tmp("sweep-msgs");
    for (text, expected) in [
        ("[base]\nhidden = [4]\nlr = 0\n", "error: my-sweep.toml:3: [base] lr = 0: invalid lr: "),
        (
            "[base]\nhidden = [4]\nlr = 0\n[axes]\nseed = [0, 1]\n",
            "error: my-sweep.toml:3: [base] lr = 0: invalid lr: ",
        ),
        (
            "[base]\nhidden = [4]\n[axes]\nactivation = [\"relu\", \"swishy\"]\n",
            "error: my-sweep.toml:4: [axes] activation = \"swishy\": unknown activation \"swishy\"",
        ),
        (
            "# my grid\n[base]\nhidden = [4]\nlrr = 0.1\n",
            "error: my-sweep.toml:4: [base] lrr = 0.1: unknown setting `lrr`; did you mean `lr`?",
        ),
        (
            "[base]\nhidden = [4]\n[axes]\nseed = [0, 1]\nplacment = [\"none\"]\n",
            "error: my-sweep.toml:5: [axes] placment = \"none\": unknown setting `placment`; did you mean `placement`?",
        ),
        (
            "[base]\nhidden = [4]\n[axes]\nseed = [0]\n[profile.smoke.axes]\nseed = [-1]\n",
            "error: my-sweep.toml:6: [profile.smoke.axes] seed = -1: ",
        ),
    ] {
        std::fs::write(d.join("my-sweep.toml"), text).unwrap();
        let profile: &[&str] = if text.contains("[profile.smoke") { &["--profile", "smoke"] } else { &[] };
        let o = run(&[&["sweep", "my-sweep.toml", "--dry-run"][..], profile].concat(), &d);
        assert_usage(&o, &[expected]);
        assert!(!stderr(&o).contains("(run with"), "{}", stderr(&o));
    }
}
