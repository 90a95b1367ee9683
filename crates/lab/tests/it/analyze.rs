//! `analyze` on captures of real actscope-trained networks gives exactly the records their training runs
//! wrote, and its output reads as training runs do (`plot`'s figures, `summarize`).

use std::fs;
use std::path::{Path, PathBuf};

use actscope_lab::RunConfig;
use actscope_lab::analyze::native::CaptureProbe;
use actscope_lab::analyze::{analyze, diagnose::Finding};
use actscope_lab::run::execute_watched;
use actscope_metrics::records::{Record, read_jsonl};

fn temp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("actscope-analyze-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn records(path: &Path) -> Vec<Record> {
    read_jsonl(std::io::BufReader::new(fs::File::open(path).unwrap())).unwrap()
}

/// Header and checkpoints as JSON lines (NaN-safe equality; the training run's evaluations left out).
fn comparable(recs: &[Record]) -> Vec<String> {
    recs.iter()
        .filter(|r| matches!(r, Record::Header(_) | Record::Checkpoint(_)))
        .map(|r| serde_json::to_string(r).unwrap())
        .collect()
}

/// Trains `cfg` with a capture at every step, then returns the training run's records and the captures.
fn train_with_captures(cfg: &RunConfig, dir: &Path, model: &str, with_a: bool) -> (Vec<Record>, Vec<PathBuf>) {
    let data = actscope_data::load(&cfg.data, cfg.val_fraction, false).unwrap();
    let caps = dir.join("captures");
    fs::create_dir_all(&caps).unwrap();
    let mut probe = CaptureProbe::new(&caps, model, cfg.seed, 1, with_a);
    let summary = execute_watched(cfg, &data, &dir.join("runs"), &mut probe).unwrap();
    let files = probe.finish().unwrap();
    (records(&dir.join("runs").join(&summary.name).join("records.jsonl")), files)
}

fn config(act: &str, placement: &str, seed: u64) -> RunConfig {
    RunConfig::from_toml(
        &format!(
            "data = \"synthetic:clusters\"\nhidden = [24, 16]\nactivation = \"{act}\"\nplacement = \"{placement}\"\nsteps = 5\nbatch_size = 32\nprobe_size = 60\ncheckpoints_per_epoch = 100000\ncheckpoint_sample = \"probe_set\"\nseed = {seed}\nlr = 0.05"
        ),
        "test",
    )
    .unwrap()
}

#[test]
fn captures_of_a_trained_network_give_exactly_its_training_records() {
    // Every placement; bounded and ReLU-family activations; with a given and with a computed by analyze.
    for (act, placement, with_a) in [("sigmoid", "before", true), ("relu", "after", false), ("tanh", "none", false)] {
        let d = temp(&format!("exact-{act}-{placement}"));
        let (trained, files) = train_with_captures(&config(act, placement, 3), &d, "net", with_a);
        assert_eq!(files.len(), 6, "steps 0..=5");
        let out = d.join("analysis");
        let a = analyze(&files, &out, &[]).unwrap();
        assert_eq!(a.runs.len(), 1);
        let analysed = records(&a.runs[0].join("records.jsonl"));
        let (t, x) = (comparable(&trained), comparable(&analysed));
        assert_eq!(t.len(), 7, "header + 6 checkpoints");
        for (i, (t, x)) in t.iter().zip(&x).enumerate() {
            assert_eq!(t, x, "{act}, BN {placement}: record {i} differs");
        }
        assert_eq!(t.len(), x.len());
        fs::remove_dir_all(&d).unwrap();
    }
}

/// A second analysis into the same `out` removes the figures the first wrote and it did not, and nothing
/// else: a user's own files beside the figures stay (they had been deleted, being PNG, SVG or CSV).
#[test]
fn a_new_analysis_removes_only_figures_an_analysis_writes() {
    let d = temp("figures-kept");
    let (_, files) = train_with_captures(&config("sigmoid", "before", 1), &d, "net", false);
    let out = d.join("analysis");
    analyze(&files, &out, &[actscope_plots::Format::Svg]).unwrap();
    let figs = out.join("figures");
    assert!(figs.join("saturation.svg").is_file());
    let mine = ["loss_curve.png", "results.csv", "paper_fig1.svg", "saturation-v2.png"];
    for f in mine {
        fs::write(figs.join(f), "mine").unwrap();
    }
    // No figures this time: the earlier SVGs go, the user's files stay.
    analyze(&files, &out, &[]).unwrap();
    assert!(!figs.join("saturation.svg").exists(), "an earlier analysis's figure is removed");
    for f in mine {
        assert_eq!(fs::read_to_string(figs.join(f)).unwrap(), "mine", "{f} is the user's");
    }
    fs::remove_dir_all(&d).unwrap();
}

/// Two models that share fewer than two seeds are not compared, and the diagnosis says so (the comparison
/// section had been left out without a word).
#[test]
fn models_that_cannot_be_paired_are_said_not_compared() {
    let d = temp("not-compared");
    let mut files = Vec::new();
    for (model, placement, seed) in [("bn-before", "before", 0), ("bn-after", "after", 0), ("bn-after", "after", 1)] {
        let (_, f) =
            train_with_captures(&config("sigmoid", placement, seed), &d.join(format!("{model}-{seed}")), model, false);
        files.extend(f);
    }
    let out = d.join("analysis");
    let a = analyze(&files, &out, &[]).unwrap();
    assert!(a.diagnosis.comparisons.is_empty());
    let why = "bn-after vs bn-before: not compared, they share 1 seed (seeds of bn-after: 0, 1; of bn-before: 0) and a comparison paired by seed needs two";
    assert_eq!(a.diagnosis.not_compared, [why]);
    let md = fs::read_to_string(&a.markdown).unwrap();
    assert!(md.contains("## Comparisons between models") && md.contains(why), "{md}");

    // A file named twice (by itself and by its directory, or in two spellings) is read once: it had been
    // refused as two captures of one step.
    let mut twice = files.clone();
    let dir = files[0].parent().unwrap();
    twice.extend([files[0].clone(), dir.to_path_buf(), dir.join(".").join(files[0].file_name().unwrap())]);
    assert_eq!(analyze(&twice, &out, &[]).unwrap().captures, files.len());

    // What the capturing code knew and no capture holds (a divergence after the last) is said with the
    // model's notes; a note on a run no capture has is refused.
    let note = |model: &str, seed| actscope_lab::analyze::RunNote {
        model: model.into(),
        seed,
        note: "the network diverged at step 9".into(),
    };
    let a = actscope_lab::analyze::analyze_noted(&files, &out, &[], &[note("bn-after", 1)]).unwrap();
    let after = a.diagnosis.models.iter().find(|m| m.model == "bn-after").unwrap();
    assert_eq!(after.notes()[0], "seed 1: the network diverged at step 9");
    let md = fs::read_to_string(&a.markdown).unwrap();
    assert!(md.contains("Note: seed 1: the network diverged at step 9."), "{md}");
    let refused = d.join("refused");
    for (model, seed) in [("bn-after", 2), ("bn-none", 0)] {
        let e = actscope_lab::analyze::analyze_noted(&files, &refused, &[], &[note(model, seed)]).unwrap_err();
        assert!(!refused.exists(), "refused before anything is written");
        assert!(e.is_usage(), "{e}");
        assert!(
            e.to_string().contains(&format!("a note on model {model:?}, seed {seed}, which no capture has")),
            "{e}"
        );
    }
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn seeds_and_models_give_intervals_comparisons_and_runs_that_plot_and_summarize_read() {
    let d = temp("models");
    let mut files = Vec::new();
    for seed in [1, 2, 3] {
        for (model, placement) in [("bn-before", "before"), ("bn-after", "after")] {
            let (_, f) = train_with_captures(&config("sigmoid", placement, seed), &d.join(model), model, false);
            files.extend(f);
        }
    }
    let out = d.join("analysis");
    let a = analyze(&files, &out, &[actscope_plots::Format::Svg]).unwrap();
    assert_eq!(a.runs.len(), 6);
    assert!(a.not_plotted.is_empty());
    let m = &a.diagnosis.models;
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].seeds, [1, 2, 3]);
    let sat = m[0].layers[0].saturation.as_ref().expect("sigmoid layers have a saturation rate");
    assert_eq!(sat.n, 3);
    assert!(sat.ci_low <= sat.mean && sat.mean <= sat.ci_high);
    // Two models, three seeds in common: one paired comparison per quantity with a value (no dead units
    // for sigmoid, so saturation and the vanishing index).
    assert_eq!(a.diagnosis.comparisons.len(), 2);
    assert!(a.diagnosis.comparisons.iter().all(|c| c.comparison.seeds == [1, 2, 3]));
    // Figures as `plot` draws them, and the directory reads as training runs do.
    for stem in ["saturation", "gradient_norms", "histogram_over_time", "effective_rank", "bn_paper_percentiles"] {
        assert!(out.join("figures").join(format!("{stem}.svg")).is_file(), "{stem}");
    }
    let runs = actscope_lab::summarize::load_runs(&out.join("runs")).unwrap();
    let groups = actscope_lab::summarize::summarize(&runs);
    assert_eq!(groups.len(), 2);
    assert!(groups.iter().all(|g| g.n == 3));
    // Captures have no evaluations: `plot` draws no accuracy figure from them (no zeros for missing values).
    assert!(groups.iter().all(|g| g.lr_sensitivity.is_empty()), "learning-rate sensitivity from no accuracies");
    let exp = actscope_lab::report::aggregate::Experiment::load("analysis", "", &out.join("runs"), 0.0).unwrap();
    let figures = actscope_lab::report::figures::for_runs(&exp);
    // Sigmoid with BN before and after, none without: the BN paper's comparison draws its one side alone
    // (it had drawn an empty "without BN: no data" panel beside it).
    let (_, percentiles) = figures.iter().find(|(s, _)| *s == "bn_paper_percentiles").expect("drawn");
    assert_eq!(percentiles.panels.len(), 1);
    assert!(matches!(&percentiles.panels[0], actscope_plots::Panel::Lines(l) if l.title.starts_with("with BN")));
    assert!(percentiles.caption.contains("the runs hold no sigmoid run without BN"), "{}", percentiles.caption);
    let drawn: Vec<&str> = figures.into_iter().map(|(s, _)| s).collect();
    for stem in ["lr_sensitivity", "learning_curves", "steps_to_target", "accuracy_heatmap", "accuracy_vs_depth"] {
        assert!(!drawn.contains(&stem), "plot draws {stem} from runs without evaluations");
    }
    let html = fs::read_to_string(&a.html).unwrap();
    assert!(html.contains("Model bn-before") && html.contains("Comparisons between models"));
    assert!(fs::read_to_string(&a.markdown).unwrap().contains("| layer | units |"));
    // Analysing again replaces the run directories.
    analyze(&files[..6], &out, &[]).unwrap();
    fs::remove_dir_all(&d).unwrap();
}

/// A quantity only one of two models has (saturation: tanh's, dead units: ReLU's) gets no comparison row;
/// it got one reading "NaN | NaN | no significant difference" (the capture-format trial).
#[test]
fn models_are_compared_only_on_what_both_have() {
    let d = temp("both-have");
    let mut files = Vec::new();
    for seed in [1, 2] {
        for act in ["relu", "tanh"] {
            files.extend(train_with_captures(&config(act, "none", seed), &d.join(act), act, false).1);
        }
    }
    let a = analyze(&files, &d.join("analysis"), &[]).unwrap();
    let quantities: Vec<&str> = a.diagnosis.comparisons.iter().map(|c| c.quantity).collect();
    assert_eq!(quantities.len(), 1, "{quantities:?}");
    assert!(quantities[0].starts_with("vanishing index"), "{quantities:?}");
    fs::remove_dir_all(&d).unwrap();
}

/// A saturated layer whose units are stuck (saturated on one side for every example) says so: it was
/// measured and recorded, but the finding gave the saturation rate alone (a user trial).
#[test]
fn the_diagnosis_names_stuck_units() {
    use actscope_capture::{Capture, Hidden, LayerMeta, Meta, Output, write};
    use actscope_core::{Activation, Placement};
    use ndarray::Array2;
    let d = temp("stuck");
    let mut files = Vec::new();
    for step in [0, 100] {
        // Units 0..6 of 10 at z = 20 on every example (stuck), the others spread around 0.
        let z = Array2::from_shape_fn((8, 10), |(i, j)| if j < 6 { 20.0 } else { i as f32 / 4.0 - 1.0 });
        let g = |r, c| Array2::from_shape_fn((r, c), |(i, j)| 1.0 + i as f32 + j as f32);
        let layers = vec![
            LayerMeta::hidden("fc1", 10, Activation::Sigmoid.into(), Placement::None),
            LayerMeta::output("fc2", 2),
        ];
        let c = Capture {
            meta: Meta::new("sat", 0, step, layers),
            hidden: vec![Hidden::new(z, g(10, 3), g(10, 3))],
            output: Output::new(g(2, 10), g(2, 10)),
        };
        let f = d.join(format!("c{step}.safetensors"));
        write(&f, &c).unwrap();
        files.push(f);
    }
    let a = analyze(&files, &d.join("out"), &[]).unwrap();
    let words: Vec<String> = a.diagnosis.models[0].layers[0].findings.iter().map(|f| f.words()).collect();
    let said = "60% of (example, unit) pairs saturated since step 0, 60% of units stuck (saturated on one side for every example)";
    assert_eq!(words.first().map(String::as_str), Some(said), "{words:?}");
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn the_diagnosis_names_dead_layers_and_escapes_model_names() {
    use actscope_capture::{Capture, Hidden, LayerMeta, Meta, Output, write};
    use actscope_core::{Activation, Placement};
    use ndarray::Array2;
    let d = temp("dead");
    let model = "<b>m|1</b>";
    let mut files = Vec::new();
    for step in [0, 100, 200, 300] {
        // Layer 1: units 0..4 of 10 have z < 0 on every example from step 200 on (dead); layer 2 alive.
        let z1 = Array2::from_shape_fn(
            (8, 10),
            |(i, j)| if j < 4 && step >= 200 { -1.0 - i as f32 } else { i as f32 - 3.5 },
        );
        let z2 = Array2::from_shape_fn((8, 5), |(i, j)| (i + j) as f32 - 3.0);
        let g = |r, c, s: f32| Array2::from_shape_fn((r, c), |(i, j)| s * (1.0 + i as f32 + j as f32));
        let layers = vec![
            LayerMeta::hidden("fc1", 10, Activation::Relu.into(), Placement::None),
            LayerMeta::hidden("fc2", 5, Activation::Relu.into(), Placement::None),
            LayerMeta::output("fc3", 2),
        ];
        let c = Capture {
            meta: Meta::new(model, 0, step, layers),
            hidden: vec![Hidden::new(z1, g(10, 3, 1.0), g(10, 3, 1e-6)), Hidden::new(z2, g(5, 10, 1.0), g(5, 10, 1.0))],
            output: Output::new(g(2, 5, 1.0), g(2, 5, 1.0)),
        };
        let f = d.join(format!("c{step}.safetensors"));
        write(&f, &c).unwrap();
        files.push(f);
    }
    let a = analyze(&files, &d.join("out"), &[]).unwrap();
    let l1 = &a.diagnosis.models[0].layers[0];
    assert!(l1.findings.contains(&Finding::Dead { fraction: 0.4, since: 200 }), "{:?}", l1.findings);
    assert!(l1.findings.iter().any(|f| matches!(f, Finding::Vanishing { .. })), "{:?}", l1.findings);
    assert!(a.diagnosis.models[0].layers[1].findings.is_empty());
    let html = fs::read_to_string(&a.html).unwrap();
    assert!(html.contains("layer 1 (fc1): 40% of units dead since step 200"), "{html}");
    // A layer named by its position in a sequence says so ("layer 1 (0)" read as two numbers).
    let mut numbered = l1.clone();
    numbered.name = "0".into();
    assert_eq!((l1.label(), numbered.label()), ("layer 1 (fc1)".to_string(), "layer 1 (module 0)".to_string()));
    assert!(html.contains("&lt;b&gt;m|1&lt;/b&gt;") && !html.contains("<b>m|1"));
    let md = fs::read_to_string(&a.markdown).unwrap();
    assert!(md.contains("&lt;b>m\\|1&lt;/b>") && !md.contains("<b>"), "{md}");
    fs::remove_dir_all(&d).unwrap();
}

/// A seed whose gradients are all 0 has no gradient ratio (0/0): it is left out of the ratio and named in
/// a note, so the other seeds' finding stands (its NaN had made the mean NaN and dropped the finding). A
/// softplus layer whose units never get a slope gets the dead-unit measure (softplus had got none).
#[test]
fn a_seed_without_gradients_leaves_the_others_findings_and_softplus_units_can_die() {
    use actscope_capture::{Capture, Hidden, LayerMeta, Meta, Output, write};
    use actscope_core::{Activation, Placement};
    use ndarray::Array2;
    let d = temp("zero-grad");
    let mut files = Vec::new();
    for seed in [0, 1, 2] {
        for step in [0, 100] {
            let z1 = Array2::from_shape_fn((8, 10), |(i, j)| (i + j) as f32 - 6.0);
            let z2 = Array2::from_shape_fn((8, 5), |(i, j)| -30.0 - (i + j) as f32);
            let scale = if seed == 2 { 0.0 } else { 1.0 };
            let g = |r, c, s: f32| Array2::from_shape_fn((r, c), |(i, j)| scale * s * (1.0 + i as f32 + j as f32));
            let layers = vec![
                LayerMeta::hidden("fc1", 10, Activation::Relu.into(), Placement::None),
                LayerMeta::hidden("fc2", 5, Activation::Softplus.into(), Placement::None),
                LayerMeta::output("fc3", 2),
            ];
            let mut meta = Meta::new("m", seed, step, layers);
            // Seed 0's loss overflows at its last checkpoint.
            meta.loss = Some(if seed == 0 && step == 100 { f64::INFINITY } else { 0.5 + 0.2 * seed as f64 });
            let c = Capture {
                meta,
                hidden: vec![
                    Hidden::new(z1, g(10, 3, 1.0), g(10, 3, 1e-6)),
                    Hidden::new(z2, g(5, 10, 1.0), g(5, 10, 1.0)),
                ],
                output: Output::new(g(2, 5, 1.0), g(2, 5, 1.0)),
            };
            let f = d.join(format!("s{seed}-c{step}.safetensors"));
            write(&f, &c).unwrap();
            files.push(f);
        }
    }
    let a = analyze(&files, &d.join("out"), &[]).unwrap();
    let m = &a.diagnosis.models[0];
    let l1 = &m.layers[0];
    assert_eq!((l1.grad_ratio.n, l1.grad_ratio_undefined), (2, 1));
    assert!(l1.findings.iter().any(|f| matches!(f, Finding::Vanishing { .. })), "{:?}", l1.findings);
    let notes = m.notes();
    assert!(
        notes.iter().any(|n| n.starts_with("layer 1 (fc1): the gradient ratio is not defined in 1 of its 3 seeds")),
        "{notes:?}"
    );
    // The infinite loss is left out of the mean, and the note names the seed (it had been left out unsaid).
    assert!(m.loss.n == 2 && (m.loss.mean - 0.8).abs() < 1e-12, "seeds 1 and 2: 0.7 and 0.9, {:?}", m.loss);
    assert_eq!(m.loss_left_out, [(0, f64::INFINITY)]);
    assert!(
        notes.iter().any(|n| n.starts_with(
            "its probe-batch loss at the last checkpoint is infinite in 1 of its 3 \
             seeds (seed 0's is inf)"
        )),
        "{notes:?}"
    );
    let l2 = &m.layers[1];
    assert_eq!(l2.dead.as_ref().map(|d| d.mean), Some(1.0), "softplus units with z ≤ −30 are dead");
    assert!(l2.findings.iter().any(|f| matches!(f, Finding::Dead { .. })), "{:?}", l2.findings);
    // The zero-gradient seed alone: there are no other seeds to take the ratio over, and the note says so
    // (it read "… so its ratio and findings are over the other seeds").
    // Seed 0 alone: its infinite loss leaves no loss to show, and the note says so.
    let first: Vec<PathBuf> = files.iter().filter(|f| f.to_string_lossy().contains("/s0-")).cloned().collect();
    let a = analyze(&first, &d.join("first"), &[]).unwrap();
    let notes = a.diagnosis.models[0].notes();
    assert!(
        notes
            .iter()
            .any(|n| n.ends_with("infinite in 1 of its 1 seeds (seed 0's is inf), so the model has no loss to show")),
        "{notes:?}"
    );
    let alone: Vec<PathBuf> = files.iter().filter(|f| f.to_string_lossy().contains("/s2-")).cloned().collect();
    let a = analyze(&alone, &d.join("alone"), &[]).unwrap();
    let notes = a.diagnosis.models[0].notes();
    assert!(
        notes.iter().any(|n| n.starts_with("layer 1 (fc1): the gradient ratio is not defined in 1 of its 1 seeds")
            && n.ends_with("so the layer has no gradient ratio and no gradient finding")),
        "{notes:?}"
    );
    fs::remove_dir_all(&d).unwrap();
}

/// The cost of `analyze` on 11 captures of a 3×512 sigmoid MLP with BN before, 1,000 probe examples
/// (the size the issue names). A measurement, not a check: run with
/// `cargo test -p actscope-lab --test it analyze_cost -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement; prints times"]
fn analyze_cost() {
    let d = temp("cost");
    let cfg = RunConfig::from_toml(
        "data = \"embedded\"\nhidden = [512, 512, 512]\nactivation = \"sigmoid\"\nplacement = \"before\"\nsteps = 10\nbatch_size = 128\nprobe_size = 1000\ncheckpoints_per_epoch = 100000\nseed = 1",
        "cost",
    )
    .unwrap();
    let t = std::time::Instant::now();
    let (_, files) = train_with_captures(&cfg, &d, "mlp-3x512", true);
    println!("training 10 steps with 11 captures: {:.2} s", t.elapsed().as_secs_f64());
    let bytes: u64 = files.iter().map(|f| fs::metadata(f).unwrap().len()).sum();
    println!("{} captures, {:.1} MB each", files.len(), bytes as f64 / files.len() as f64 / 1e6);
    // CPU seconds of this process (all threads), less sensitive than wall time to a loaded machine.
    let cpu = || {
        let stat = fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let f: Vec<f64> =
            stat.rsplit(')').next().unwrap_or("").split_whitespace().map(|x| x.parse().unwrap_or(0.0)).collect();
        f.get(11).zip(f.get(12)).map_or(f64::NAN, |(u, s)| (u + s) / 100.0)
    };
    let mut rounds = Vec::new();
    for _ in 0..3 {
        for (out, formats) in [("a", vec![]), ("b", vec![actscope_plots::Format::Svg])] {
            let (t, c) = (std::time::Instant::now(), cpu());
            analyze(&files, &d.join(out), &formats).unwrap();
            rounds.push((out, t.elapsed().as_secs_f64(), cpu() - c));
        }
    }
    for out in ["a", "b"] {
        let mut w: Vec<f64> = rounds.iter().filter(|r| r.0 == out).map(|r| r.1).collect();
        let mut c: Vec<f64> = rounds.iter().filter(|r| r.0 == out).map(|r| r.2).collect();
        w.sort_by(f64::total_cmp);
        c.sort_by(f64::total_cmp);
        let what = if out == "a" { "no figures" } else { "SVG figures" };
        println!("analyze, {what}: median wall {:.2} s {w:?}, median CPU {:.2} s {c:?}", w[1], c[1]);
    }
    fs::remove_dir_all(&d).unwrap();
}

/// An activation actscope does not know, with φ′ supplied, is measured by the same rules: given a
/// sigmoid's φ′ and sup φ′ = 1/4, the saturation is the sigmoid's. Such a model has no `config.json`, so
/// figures, `plot` and `summarize` leave it out, and `analyze` says so.
#[test]
fn an_unknown_activation_is_measured_from_its_supplied_slope() {
    use actscope_capture::{ActivationSpec, Capture, Hidden, LayerMeta, Meta, Output, write};
    use actscope_core::{Activation, Placement};
    use ndarray::Array2;
    let d = temp("unknown");
    let z = Array2::from_shape_fn((30, 6), |(i, j)| (i as f64 - 15.0) * 0.4 + j as f64 - 2.5);
    let sig = Activation::Sigmoid;
    let g = |r, c| Array2::from_shape_fn((r, c), |(i, j)| 1.0 + (i * c + j) as f64);
    let c = Capture {
        meta: Meta::new(
            "custom",
            0,
            0,
            vec![
                LayerMeta::hidden("act", 6, ActivationSpec::Unknown { dphi_max: 0.25 }, Placement::None),
                LayerMeta::output("out", 3),
            ],
        ),
        hidden: vec![Hidden {
            a: Some(z.mapv(|v| sig.value(v))),
            dphi: Some(z.mapv(|v| sig.derivative(v))),
            ..Hidden::new(z.clone(), g(6, 4), g(6, 4))
        }],
        output: Output::new(g(3, 6), g(3, 6)),
    };
    let f = d.join("c.safetensors");
    write(&f, &c).unwrap();
    let a = analyze(&[f], &d.join("out"), &[actscope_plots::Format::Svg]).unwrap();
    assert_eq!(a.not_plotted, ["custom-s0"]);
    assert!(a.figures.is_empty());
    let run = &a.runs[0];
    assert!(run.join("records.jsonl").is_file() && !run.join("summary.json").exists());
    let Record::Checkpoint(cp) = &records(&run.join("records.jsonl"))[1] else { panic!("a checkpoint") };
    assert_eq!(cp.layers[0].saturation, Some(actscope_metrics::units::saturation(z.view(), sig, 0.1)));
    assert!(cp.layers[0].dead.is_some(), "unknown family: dead units are reported too");
    assert!(a.diagnosis.models[0].layers[0].saturation.is_some());
    fs::remove_dir_all(&d).unwrap();
}
