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
    assert!(d.join("a/diagnosis.md").is_file() && d.join("a/figures/saturation.svg").is_file());
    for run_dir in ["bn-before-s1", "bn-after-s2"] {
        for f in ["capture.json", "config.json", "records.jsonl", "summary.json"] {
            assert!(d.join("a/runs").join(run_dir).join(f).is_file(), "{run_dir}/{f}");
        }
    }
    let o = run(&["summarize", "a/runs"], &d);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("capture:bn-before"), "{}", text(&o.stdout));
    let o = run(&["plot", "a/runs", "--out", "figs", "--format", "svg"], &d);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(d.join("figs/saturation.svg").is_file() && d.join("figs/gradient_norms.svg").is_file());
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
