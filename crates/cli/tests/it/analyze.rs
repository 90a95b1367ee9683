//! `actscope analyze` on captures of trained networks; `summarize` and `plot` on its output; bad captures.

use std::fs;
use std::path::PathBuf;

use actscope_lab::RunConfig;
use actscope_lab::analyze::native::CaptureProbe;

use crate::cli::{run, tmp};

/// Captures of a sigmoid net with BN `placement`, seed `seed`, at steps 0, 2, 4.
fn captures(dir: &std::path::Path, placement: &str, seed: u64) -> Vec<PathBuf> {
    let cfg = RunConfig::from_toml(
        &format!(
            "data = \"synthetic:clusters\"\nhidden = [16, 16]\nactivation = \"sigmoid\"\nplacement = \"{placement}\"\nsteps = 4\nbatch_size = 32\nprobe_size = 50\nseed = {seed}"
        ),
        "test",
    )
    .unwrap();
    let data = actscope_data::load(&cfg.data, cfg.val_fraction, false).unwrap();
    let caps = dir.join("captures");
    fs::create_dir_all(&caps).unwrap();
    let mut probe = CaptureProbe::new(&caps, &format!("bn-{placement}"), seed, 2, false);
    actscope_lab::run::execute_watched(&cfg, &data, &dir.join("trained"), &mut probe).unwrap();
    probe.finish().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn analyze_writes_runs_figures_and_diagnosis_that_summarize_and_plot_read() {
    let d = tmp("analyze");
    let mut args: Vec<String> = vec!["analyze".into()];
    for seed in [1, 2] {
        for p in ["before", "after"] {
            args.extend(captures(&d, p, seed).iter().map(|f| f.display().to_string()));
        }
    }
    args.extend(["--out", "a", "--format", "svg"].map(String::from));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&argv, &d);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).trim(), "a/diagnosis.html");
    assert!(text(&o.stderr).contains("12 captures → 4 runs"), "{}", text(&o.stderr));
    // The findings are said on the terminal too, per model, as the page lists them.
    for model in ["bn-before", "bn-after"] {
        let said = text(&o.stderr).lines().any(|l| {
            l.strip_prefix(&format!("{model}: ")).is_some_and(|f| {
                f.starts_with("layer ") || f.starts_with("no layer breaks a rule at the last checkpoint")
            })
        });
        assert!(said, "{model}: {}", text(&o.stderr));
    }
    let one = captures(&d.join("one"), "none", 3);
    let o = run(&["analyze", &one[0].display().to_string(), "--out", "b"], &d);
    assert!(text(&o.stderr).contains("1 capture → 1 run, "), "{}", text(&o.stderr));
    // What no capture holds, given with `--note`: on the terminal and the page among the model's notes.
    let first = one[0].display().to_string();
    let o = run(&["analyze", &first, "--out", "c", "--note", "bn-none", "3", "the network diverged at step 9."], &d);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("bn-none: note: seed 3: the network diverged at step 9\n"), "{}", text(&o.stderr));
    let md = fs::read_to_string(d.join("c/diagnosis.md")).unwrap();
    assert!(md.contains("Note: seed 3: the network diverged at step 9."), "{md}");
    for (seed, note, says) in [
        ("x", "diverged", "SEED must be a whole number"),
        ("-1", "diverged", "SEED must be a whole number"),
        ("3", " . ", "the note is empty"),
        ("4", "diverged", "a note on model \"bn-none\", seed 4, which no capture has"),
    ] {
        let o = run(&["analyze", &first, "--out", "refused", "--note", "bn-none", seed, note], &d);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
        assert!(text(&o.stderr).contains(says), "{}", text(&o.stderr));
        assert!(!d.join("refused").exists(), "refused before anything is written");
    }
    assert!(d.join("a/diagnosis.md").is_file() && d.join("a/figures/saturation.svg").is_file());
    for run_dir in ["bn-before-s1", "bn-after-s2"] {
        for f in ["capture.json", "config.json", "records.jsonl", "summary.json"] {
            assert!(d.join("a/runs").join(run_dir).join(f).is_file(), "{run_dir}/{f}");
        }
    }
    let o = run(&["summarize", "a/runs"], &d);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("capture:bn-before"), "{}", text(&o.stdout));
    // Directories named for their model, not their settings, are analyze's own: no warning (it had said they
    // were renamed by hand). The table knows no optimizer or learning rate (it had given sgd and 0.1).
    assert!(text(&o.stderr).is_empty(), "{}", text(&o.stderr));
    let o = run(&["export", "table", "a/runs", "--out", "t.csv", "--level", "run"], &d);
    assert!(o.status.success() && !text(&o.stderr).contains("warning"), "{}", text(&o.stderr));
    let csv = fs::read_to_string(d.join("t.csv")).unwrap();
    assert!(csv.starts_with("run,activation,placement,depth,hidden,optimizer,lr,seed,"), "{csv}");
    assert!(csv.lines().nth(1).unwrap().starts_with("bn-after-s1,sigmoid,after,2,\"16,16\",,,1,"), "{csv}");
    let o = run(&["plot", "a/runs", "--out", "figs", "--format", "svg"], &d);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(d.join("figs/saturation.svg").is_file() && d.join("figs/gradient_norms.svg").is_file());
    // `plot` into the analysis's figures, or `analyze` into a folder `plot` drew, is refused and changes
    // nothing: each had removed the other's figures it did not draw and overwritten the rest.
    let listing = |dir: &str| -> Vec<(String, std::time::SystemTime)> {
        let mut v: Vec<_> = fs::read_dir(d.join(dir))
            .unwrap()
            .flatten()
            .map(|e| (e.file_name().to_string_lossy().into_owned(), e.metadata().unwrap().modified().unwrap()))
            .collect();
        v.sort();
        v
    };
    let before = listing("a/figures");
    let o = run(&["plot", "a/runs", "--out", "a/figures"], &d);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("a/figures holds figures `actscope analyze` drew"), "{}", text(&o.stderr));
    assert_eq!(listing("a/figures"), before);
    let o = run(&["analyze", &first, "--out", "c"], &d);
    assert!(o.status.success(), "{}", text(&o.stderr));
    fs::remove_dir_all(d.join("c/figures")).unwrap();
    fs::rename(d.join("figs"), d.join("c/figures")).unwrap();
    let before = listing("c/figures");
    let o = run(&["analyze", &first, "--out", "c"], &d);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("holds figures `actscope plot` drew"), "{}", text(&o.stderr));
    assert_eq!(listing("c/figures"), before);
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn bad_captures_fail_with_the_file_and_the_problem() {
    let d = tmp("analyze-bad");
    let good = captures(&d, "none", 0);
    let bytes = fs::read(&good[0]).unwrap();
    fs::write(d.join("cut.safetensors"), &bytes[..bytes.len() - 10]).unwrap();
    let o = run(&["analyze", "cut.safetensors", "--out", "a"], &d);
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert!(e.contains("cut.safetensors: not a valid safetensors file"), "{e}");
    let o = run(&["analyze", "missing.safetensors"], &d);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("missing.safetensors: not found"), "{}", text(&o.stderr));
    // The same capture twice: two captures of one run at one step.
    let g = good[0].display().to_string();
    fs::copy(&good[0], d.join("copy.safetensors")).unwrap();
    let o = run(&["analyze", &g, "copy.safetensors"], &d);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("are both step 0 of model \"bn-none\", seed 0"), "{}", text(&o.stderr));
    let o = run(&["analyze"], &d);
    assert_eq!(o.status.code(), Some(2));
    fs::remove_dir_all(&d).unwrap();
}

/// Seeds that end at different steps are judged at the last step they share, and the page says so (it used
/// to say only "N checkpoints up to step s"); a directory of captures is read as its `*.safetensors`; an
/// analysis into the same `--out` replaces the earlier one's runs (they used to stay and join the figures
/// and `summarize`), and a directory it did not write is refused; `summarize` shows a capture run's unknown
/// training settings as "-" (it showed actscope's defaults, `sgd` and lr 0.1) and its measured metrics
/// (it showed "-").
#[test]
fn analyze_says_where_seeds_end_apart_and_replaces_an_earlier_analysis() {
    let d = tmp("analyze-apart");
    let one = captures(&d, "before", 1);
    let two = captures(&d, "before", 2);
    fs::remove_file(two.last().unwrap()).unwrap();
    let o = run(&["analyze", "captures", "--out", "a", "--format", "svg"], &d);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("5 captures → 2 runs"), "{}", text(&o.stderr));
    let md = fs::read_to_string(d.join("a/diagnosis.md")).unwrap();
    let note = "its seeds end at different steps (seed 1 at 4, seed 2 at 2): the rules are judged at step 2, the last step every seed has";
    assert!(md.contains(note), "{md}");

    let o = run(&["summarize", "a/runs", "--columns", "activation,optimizer,lr,n,saturation"], &d);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    // One row per seed: their runs have different lengths, a setting of their configurations.
    let rows: Vec<&str> = out.lines().filter(|l| l.trim_start().starts_with("sigmoid")).collect();
    assert_eq!(rows.len(), 2, "{out}");
    for row in rows {
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(&cells[..4], ["sigmoid", "-", "-", "1"], "optimizer and lr unknown: {out}");
        assert!(cells[4].parse::<f64>().is_ok(), "the saturation the records hold: {out}");
    }
    // In CSV every row has the header's fields, an unknown statistic included (mean and interval ends).
    let o = run(&["summarize", "a/runs", "--csv"], &d);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let csv = text(&o.stdout);
    let widths: Vec<usize> = csv.lines().map(|l| l.split(',').count()).collect();
    assert!(widths.len() == 3 && widths.iter().all(|w| *w == widths[0]), "{csv}");

    let mut args = vec!["analyze".to_string()];
    args.extend(one.iter().map(|f| f.display().to_string()));
    args.extend(["--out", "a", "--format", "svg"].map(String::from));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&argv, &d);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("removed its runs bn-before-s2"), "{}", text(&o.stderr));
    assert!(!d.join("a/runs/bn-before-s2").exists() && d.join("a/runs/bn-before-s1").is_dir());
    assert!(!fs::read_to_string(d.join("a/diagnosis.md")).unwrap().contains("different steps"));

    // The earlier analysis's figures in another format go too.
    let o = run(&["analyze", "captures", "--out", "a", "--format", "png"], &d);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let ext = |x: &str| {
        fs::read_dir(d.join("a/figures"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|e| e == x))
            .count()
    };
    assert!(ext("svg") == 0 && ext("png") > 0, "svg {} png {}", ext("svg"), ext("png"));
    // A directory analyze did not write is refused before anything is removed.
    assert!(run(&["analyze", "captures", "--out", "a", "--format", "svg"], &d).status.success());
    fs::create_dir_all(d.join("a/runs/mine")).unwrap();
    let o = run(&argv, &d);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("a/runs/mine: a directory `actscope analyze` did not write"),
        "{}",
        text(&o.stderr)
    );
    assert!(d.join("a/runs/bn-before-s2").is_dir(), "nothing removed by a refused analysis");
    // Seeds that share no step cannot be judged together.
    let (last_of_one, last_of_two) = (one[2].display().to_string(), two[1].display().to_string());
    let o = run(&["analyze", &last_of_one, &last_of_two, "--out", "b"], &d);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let says = "model \"bn-before\": its seeds share no checkpoint step (seed 1: steps 4; seed 2: steps 2)";
    assert!(text(&o.stderr).contains(says), "{}", text(&o.stderr));
    fs::create_dir_all(d.join("empty")).unwrap();
    let o = run(&["analyze", "empty"], &d);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("empty: a directory without .safetensors captures"), "{}", text(&o.stderr));
}
