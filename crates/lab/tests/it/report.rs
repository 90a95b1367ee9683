//! The report: verdict rules on synthetic aggregates, escaping, and a whole smoke-profile report.

use actscope_core::{Activation, EvalPoint, Placement};
use actscope_lab::config::RunConfig;
use actscope_lab::report::aggregate::{Experiment, Run};
use actscope_lab::report::verdict::{Comparison, Outcome, TestKind, Verdict, judge};
use actscope_lab::report::{Profile, ReportOptions, claims, missing_links, narrative, write};
use actscope_lab::run::RunSummary;

fn welch(a: &[f64], b: &[f64]) -> Comparison {
    Comparison::new("s", "a > b", a.to_vec(), b.to_vec(), 0.0, TestKind::Welch)
}

#[test]
fn verdict_rules() {
    let hi = [0.90, 0.91, 0.92, 0.905, 0.915];
    let lo = [0.80, 0.81, 0.82, 0.805, 0.815];
    let same = [0.85, 0.86, 0.84, 0.855, 0.845];
    assert_eq!(judge(&mut [welch(&hi, &lo), welch(&hi, &lo)]), Verdict::Supported);
    assert_eq!(judge(&mut [welch(&lo, &hi), welch(&lo, &hi)]), Verdict::Refuted);
    assert_eq!(
        judge(&mut [welch(&same, &same), welch(&same, &[0.85, 0.84, 0.86, 0.845, 0.855])]),
        Verdict::Inconclusive
    );
    let mut mixed = [welch(&hi, &lo), welch(&lo, &hi)];
    assert_eq!(judge(&mut mixed), Verdict::DependsOnSetting);
    assert_eq!((mixed[0].outcome, mixed[1].outcome), (Outcome::Supports, Outcome::Contradicts));
    let mut partial = [welch(&hi, &lo), welch(&same, &same)];
    assert_eq!(judge(&mut partial), Verdict::PartlyUndecided, "one setting supports, one is unclear");
    // Holm: three settings each at raw p ≈ 0.02 are not all significant after adjustment.
    let a = [1.0, 1.3, 0.9, 1.2, 1.1];
    let b = [0.9, 1.0, 0.7, 1.1, 0.8];
    let raw = welch(&a, &b).p_claimed;
    let mut three = [welch(&a, &b), welch(&a, &b), welch(&a, &b)];
    judge(&mut three);
    assert!((three[0].p_claimed_adj - (3.0 * raw).min(1.0)).abs() < 1e-12);
    // Non-inferiority: 0.5 points worse with a 1-point margin is "as well as"; 3 points worse is not.
    let relu = [0.900, 0.902, 0.898, 0.901, 0.899];
    let close: Vec<f64> = relu.iter().map(|x| x - 0.005).collect();
    let far: Vec<f64> = relu.iter().map(|x| x - 0.03).collect();
    let ni = |a: &[f64]| Comparison::new("s", "a > b − 0.01", a.to_vec(), relu.to_vec(), -0.01, TestKind::Welch);
    assert_eq!(judge(&mut [ni(&close)]), Verdict::Supported);
    assert_eq!(judge(&mut [ni(&far)]), Verdict::Refuted);
    // One-sample against a threshold.
    let one = |a: &[f64]| Comparison::new("s", "a > 0.95", a.to_vec(), vec![], 0.95, TestKind::OneSample);
    assert_eq!(judge(&mut [one(&[0.34, 0.33, 0.35])]), Verdict::Refuted);
    assert_eq!(judge(&mut [one(&[0.99, 0.98, 0.995])]), Verdict::Supported);
}

fn fake_run(act: Activation, p: Placement, seed: u64, test_acc: f64) -> Run {
    fake_run_at(act, p, seed, 0.1, test_acc)
}

/// A finished run at learning rate `lr` whose training-subset, validation and test accuracies are `acc`.
fn fake_run_at(act: Activation, p: Placement, seed: u64, lr: f64, test_acc: f64) -> Run {
    fake_run_of(&[10], act, p, seed, lr, test_acc)
}

/// [`fake_run_at`] of a net with hidden layers of the widths `hidden`.
fn fake_run_of(hidden: &[usize], act: Activation, p: Placement, seed: u64, lr: f64, test_acc: f64) -> Run {
    let config: RunConfig = toml::from_str(&format!(
        "hidden = {hidden:?}\nactivation = \"{act}\"\nplacement = \"{p}\"\nseed = {seed}\nlr = {lr:?}"
    ))
    .unwrap();
    let point = |set: &str, acc: f64| EvalPoint { step: 100, epoch: 1.0, set: set.into(), loss: 0.5, accuracy: acc };
    let summary = RunSummary {
        schema: 1,
        id: config.id(),
        name: config.dir_name(),
        status: actscope_lab::RunStatus::Ok,
        diverged_step: None,
        steps: 100,
        train: Some(point("train", test_acc)),
        val: Some(point("val", test_acc)),
        test: Some(point("test", test_acc)),
        steps_to_target: vec![None; 4],
        wall_seconds: 1.0,
        data: "synthetic".into(),
        data_checksum: "0".into(),
        code: actscope_lab::run::CODE.into(),
        records_sha256: String::new(),
        classes: 10,
        trained_classes: 10,
    };
    Run { config, summary, records: vec![] }
}

fn experiment(acc: impl Fn(Activation, Placement) -> f64) -> Experiment {
    experiment_with(acc, |_, _| String::new())
}

/// [`experiment`] with the `records.jsonl` text each activation × placement's runs hold.
fn experiment_with(
    acc: impl Fn(Activation, Placement) -> f64,
    records: impl Fn(Activation, Placement) -> String,
) -> Experiment {
    experiment_of(acc, records, |_| true)
}

/// [`experiment_with`] holding only the runs `keep` accepts.
fn experiment_of(
    acc: impl Fn(Activation, Placement) -> f64,
    records: impl Fn(Activation, Placement) -> String,
    keep: impl Fn(&RunConfig) -> bool,
) -> Experiment {
    experiment_per_run(acc, |r| records(r.config.activation, r.config.placement), keep)
}

/// [`experiment_of`] with the `records.jsonl` text of each run (seeds may differ).
fn experiment_per_run(
    acc: impl Fn(Activation, Placement) -> f64,
    records: impl Fn(&Run) -> String,
    keep: impl Fn(&RunConfig) -> bool,
) -> Experiment {
    let mut runs = Vec::new();
    for (i, act) in [Activation::Sigmoid, Activation::Tanh, Activation::Relu].into_iter().enumerate() {
        for (j, p) in [Placement::None, Placement::Before, Placement::After].into_iter().enumerate() {
            // Seeds spread each configuration's accuracy about its mean, a little differently in each
            // configuration, so that differences between two of them, paired by seed, have a spread too
            // (differences without one take the sign test: five seeds cannot decide at Holm's levels).
            let spread = 0.002 * (1.0 + 0.1 * (3 * i + j) as f64);
            for seed in 0..5 {
                runs.push(fake_run(act, p, seed, acc(act, p) + spread * (seed as f64 - 2.0)));
            }
        }
    }
    runs.retain(|r| keep(&r.config));
    load_fake(&runs, records)
}

/// `records.jsonl` lines of evaluations on `set` at `(step, accuracy)`, with 100 steps to an epoch.
fn eval_records(set: &str, points: &[(usize, f64)]) -> String {
    points
        .iter()
        .map(|&(step, accuracy)| {
            let p = EvalPoint { step, epoch: step as f64 / 100.0, set: set.into(), loss: 0.5, accuracy };
            serde_json::to_string(&actscope_metrics::records::Record::Eval(p)).unwrap() + "\n"
        })
        .collect()
}

/// `runs` written as run directories (`records(run)` the text of its `records.jsonl`) and loaded back as
/// experiment E1: summaries over seeds, as the report computes them from run directories.
fn load_fake(runs: &[Run], records: impl Fn(&Run) -> String) -> Experiment {
    // Tests run in parallel: every call gets its own directory.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("actscope-fake-{}-{call}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for r in runs {
        use sha2::Digest;
        let d = dir.join(&r.summary.name);
        std::fs::create_dir_all(&d).unwrap();
        let text = records(r);
        let mut summary = r.summary.clone();
        summary.records_sha256 = sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        std::fs::write(d.join("config.json"), serde_json::to_string(&r.config).unwrap()).unwrap();
        std::fs::write(d.join("summary.json"), serde_json::to_string(&summary).unwrap()).unwrap();
        std::fs::write(d.join("records.jsonl"), text).unwrap();
    }
    let e = Experiment::load("E1", "fake", &dir, 0.0).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    e
}

#[test]
fn c2_is_refuted_when_relu_clearly_wins_and_supported_when_it_does_not() {
    let relu_wins = experiment(|a, _| if a == Activation::Relu { 0.90 } else { 0.80 });
    assert_eq!(claims::c2(&relu_wins, None).verdict, Verdict::Refuted);
    let equal = experiment(|_, _| 0.88);
    assert_eq!(
        claims::c2(&equal, None).verdict,
        Verdict::Supported,
        "equal accuracy is 'as well as' within the margin"
    );
    let sigmoid_only_after =
        experiment(|a, p| if a != Activation::Relu && p == Placement::Before { 0.80 } else { 0.90 });
    assert_eq!(claims::c2(&sigmoid_only_after, None).verdict, Verdict::DependsOnSetting);
    let after_better = experiment(|_, p| if p == Placement::After { 0.9 } else { 0.85 });
    assert_eq!(claims::c4(&after_better, None).verdict, Verdict::Supported);
    let c4 = claims::c4(&after_better, None);
    let judged: Vec<Activation> = c4.comparisons.iter().filter_map(|k| k.subject.activation).collect();
    assert_eq!(judged.len(), 3, "one comparison per activation the experiment holds: {judged:?}");
}

#[test]
fn html_escapes_everything_from_data() {
    let claims: Vec<&claims::ClaimResult> = vec![];
    let content = write::Content {
        profile: "<smoke>",
        scope: String::new(),
        answers: vec![("Q & A?".into(), "<script>alert(1)</script>".into())],
        claims: &claims,
        figures: &[],
        theory: &[],
        literature: vec![("\"quoted\"".into(), "it's".into())],
        methods: vec!["a < b".into()],
        manifest: vec![("data".into(), "/tmp/<evil>&dir".into())],
    };
    let html = write::html(&content);
    assert!(!html.contains("<script>") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        html.contains("/tmp/&lt;evil&gt;&amp;dir")
            && html.contains("Q &amp; A?")
            && html.contains("&quot;quoted&quot;")
    );
    assert!(!html.contains("<script"), "no JavaScript at all");
    let md = write::markdown(&content);
    assert!(!md.contains("<script>") && !md.contains("<evil>"), "Markdown passes raw HTML through: {md}");
    assert!(md.contains("&lt;script>alert(1)&lt;/script>") && md.contains("/tmp/&lt;evil>&dir"), "{md}");
}

#[test]
fn smoke_report_is_complete_and_every_link_resolves() {
    let out = std::env::temp_dir().join(format!("actscope-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let opts = ReportOptions { profile: Profile::Smoke, data: None, out: out.clone(), jobs: 2 };
    let index = actscope_lab::report::run(&opts, &()).unwrap();
    let html = std::fs::read_to_string(&index).unwrap();
    assert_eq!(missing_links(&out).unwrap(), Vec::<String>::new());
    for id in ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "section {id}");
    }
    assert!(html.contains("Short answer") && html.contains("Theory checks") && html.contains("Manifest"));
    assert!(html.matches("<img ").count() >= 11 && !html.contains("alt=\"\""), "every figure, each with alt text");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("## Verdicts") && md.contains("](figures/"));
    // The verdict table links each claim's figures (design.md: claim, source, evidence, verdict, figure);
    // the manifest names the compiler and the numerical crates' versions.
    let c2 = md.lines().find(|l| l.starts_with("| C2 ")).expect("the verdict row");
    assert!(c2.contains("| [accuracy_heatmap](figures/accuracy_heatmap.png), "), "{c2}");
    assert!(md.contains("| compiler and build | rustc "), "manifest: compiler");
    assert!(md.contains("| numerical dependencies (Cargo.lock) | ndarray "), "manifest: dependencies");
    // The manifest lists every experiment file the report wrote (it named four fixed ones).
    let configs = md.lines().find(|l| l.starts_with("| experiment configs | ")).expect("manifest: configs");
    for f in std::fs::read_dir(out.join("experiments")).unwrap().flatten() {
        let name = f.file_name().to_string_lossy().into_owned();
        assert!(configs.contains(&name), "{name}: {configs}");
    }
    // The budgets every accuracy is at, from the runs themselves (they were not stated).
    let budgets = md.lines().find(|l| l.starts_with("Training budgets of this profile: E1 ")).expect("budgets");
    assert!(budgets.contains(" steps (") && budgets.contains("E4 "), "{budgets}");
    // The BN-paper figure is one run per panel, not a mean over seeds, and says which (it did not): the
    // first seed counted; the smoke profile tries one learning rate, so no seed chose one and every seed
    // counts (with several rates, the first seed after those that chose them: the_seeds_that_chose_…).
    assert!(
        md.contains("one run per panel (seed 0, each at its configuration's selected learning rate: "),
        "BN-paper caption"
    );
    let seeds = md.lines().find(|l| l.starts_with("Seeds: E1 tries one learning rate in this profile"));
    assert!(
        seeds.is_some_and(|l| l.contains("(0–2) choose nothing") && l.contains("runs 6 such seeds per configuration")),
        "{seeds:?}"
    );
    // The scope comes first, and a reading guide with a glossary precedes the claims (a teacher found the
    // budgets only in Methods, and φ, d_z, Holm and erank used without a definition).
    let scope = md.lines().find(|l| l.starts_with("**Scope.** ")).expect("a scope line");
    assert!(
        scope.contains("E1, the main grid, trains the BN paper's 784-100-100-100-10 net for ")
            && scope.contains("The full profile"),
        "{scope}"
    );
    let (reading, c1) = (md.find("## How to read this report").expect("a reading guide"), md.find("## C1 ").unwrap());
    assert!(
        reading < c1 && md[reading..c1].contains("| **φ** | the activation function"),
        "glossary before the claims"
    );
    assert!(html.contains("<b>Scope. </b>") && html.contains("id=\"reading\""));
    // Captions say what is pooled, which learning rate a point is at, and what lines and bands are; C1 says
    // its criterion is relative (a teacher could not tell from the figures or the method).
    for says in [
        "pooled over every hidden layer of the ",
        // The smoke profile's E2 tries one rate, so nothing was chosen (it had said "chosen").
        "each point at its learning rate, for its activation, placement and depth (tried: ",
        "lines: mean over runs, bands and whiskers 95% intervals",
        "a remedy raises it. The index is relative",
        // and that 0 is not where gradients are equal per entry (its matrices differ in size).
        "gradients of equal size per entry give ½·log10 of the ratio of their entry counts (above 0 wherever",
        // A reader's review of the figures: what the pictures did not say.
        "lies higher by √(inputs/width) without any explosion",
        "the curves can run higher than the last checkpoint's points without any change in the network",
        "dots on one step are drawn as rings around each other",
        "rounds of timings per configuration; the whiskers are each bar's own interval",
        "seeds per point",
        "one run per placement, its first and last hidden layer, not a mean over seeds (sigmoid, BN none: seed ",
        "a mean over a layer's units does not show how far single units' γ and β moved",
        "training every run took ",
    ] {
        assert!(md.contains(says), "{says}");
    }
    // The saturation figure's "E4:" and "E1:" panels are explained (they were not).
    let sat = md.lines().find(|l| l.contains("panels headed E4:")).unwrap_or("none");
    assert!(
        sat.contains(
            "panels headed E4: are E4's nets (Glorot & Bengio's setting: glorot_standard initialisation, batch 10,"
        ),
        "{sat}"
    );
    let claims: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("claims.json")).unwrap()).unwrap();
    assert_eq!(claims.as_array().unwrap().len(), 9);
    // The resolved E1 sweep is its first round; what ran beyond its grid is listed beside it; together they
    // are every E1 run directory.
    let resolved = std::fs::read_to_string(out.join("experiments/e1_main.toml")).unwrap();
    assert!(resolved.starts_with("# ") && resolved.contains("e1_main_beyond_grid.toml"), "{resolved}");
    let grid = actscope_lab::sweep::SweepFile::parse(&resolved, "e1_main").unwrap().expand().unwrap();
    let beyond: toml::Table =
        toml::from_str(&std::fs::read_to_string(out.join("experiments/e1_main_beyond_grid.toml")).unwrap()).unwrap();
    let beyond = beyond.get("run").and_then(|r| r.as_array()).map_or(0, Vec::len);
    let dirs =
        std::fs::read_dir(out.join("runs/e1_main")).unwrap().filter(|e| e.as_ref().unwrap().path().is_dir()).count();
    assert_eq!(grid.len() + beyond, dirs, "grid {} + beyond {beyond} runs vs {dirs} run directories", grid.len());
    for c in claims.as_array().unwrap() {
        assert!(
            ["Supported", "Refuted", "DependsOnSetting", "PartlyUndecided", "Inconclusive"]
                .contains(&c["verdict"].as_str().unwrap())
        );
    }
    // A second run resumes: nothing is re-trained and the verdicts do not change (C5 rests on wall-clock
    // timings, which are re-measured, so it is left out of the comparison).
    let again = actscope_lab::report::run(&opts, &()).unwrap();
    let claims2: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("claims.json")).unwrap()).unwrap();
    let verdicts = |c: &serde_json::Value| {
        c.as_array().unwrap().iter().filter(|x| x["id"] != "C5").map(|x| x["verdict"].clone()).collect::<Vec<_>>()
    };
    assert_eq!(verdicts(&claims), verdicts(&claims2));
    assert_eq!(again, index);
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn every_profile_of_every_bundled_experiment_is_valid() {
    use actscope_lab::sweep::SweepFile;
    for (stem, text) in actscope_lab::report::experiments::SWEEPS.iter().filter_map(|e| e.sweep()) {
        let file = SweepFile::parse(text, stem).unwrap();
        let mut counts = Vec::new();
        for profile in ["smoke", "default", "full"] {
            let runs =
                file.with_profile_if_defined(profile).expand().unwrap_or_else(|e| panic!("{stem}, {profile}: {e}"));
            assert!(!runs.is_empty(), "{stem}, {profile}");
            counts.push(runs.len());
        }
        assert!(counts[0] < counts[1] && counts[1] <= counts[2], "{stem}: smoke < default ≤ full runs, got {counts:?}");
    }
    let full = SweepFile::parse(actscope_lab::report::experiments::E1.sweep().unwrap().1, "e1")
        .unwrap()
        .with_profile("full")
        .unwrap()
        .expand()
        .unwrap();
    assert!(
        full.iter().all(|r| r.steps == Some(50_000) && r.data == "default"),
        "E1 full is paper scale on the full data"
    );
    assert!(full.iter().any(|r| r.optimizer == actscope_lab::OptimizerKind::Adam), "E1 full adds Adam");
    assert!(full.iter().map(|r| r.seed).collect::<std::collections::BTreeSet<_>>().len() >= 10);
}

#[test]
fn a_loss_that_blows_up_for_good_is_divergence_and_one_that_recovers_is_not() {
    use actscope_lab::run::blown_up;
    let p = |step, loss| EvalPoint { step, epoch: 0.0, set: "train".into(), loss, accuracy: 0.1 };
    assert_eq!(blown_up(&[p(0, 2.3), p(10, 30.0), p(20, 5e5)]), Some(10));
    assert_eq!(blown_up(&[p(0, 2.3), p(10, 30.0), p(20, 1.0)]), None, "recovered");
    assert_eq!(blown_up(&[p(0, 2.3), p(10, 1.0), p(20, 0.5)]), None);
    assert_eq!(blown_up(&[]), None);
}

#[test]
fn a_run_at_an_absurd_learning_rate_is_recorded_as_diverged() {
    let out = std::env::temp_dir().join(format!("actscope-blowup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let data = actscope_data::load("synthetic:clusters", 0.1, false).unwrap();
    for act in ["tanh", "sigmoid"] {
        let cfg =
            RunConfig::from_toml(&format!("hidden = [16]\nactivation = \"{act}\"\nlr = 1e6\nsteps = 60"), "t").unwrap();
        let s = actscope_lab::run::execute(&cfg, &data, &out).unwrap();
        assert!(!s.is_ok() && s.diverged_step.is_some(), "{act}: {:?} at {:?}", s.status, s.train);
    }
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn a_report_never_overwrites_a_directory_that_is_not_a_report() {
    let out = std::env::temp_dir().join(format!("actscope-foreign-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("index.html"), "my own page").unwrap();
    let opts = ReportOptions { profile: Profile::Smoke, data: None, out: out.clone(), jobs: 1 };
    let e = actscope_lab::report::run(&opts, &()).unwrap_err();
    assert!(e.is_usage() && e.to_string().contains("not a report directory"), "{e}");
    assert_eq!(std::fs::read_to_string(out.join("index.html")).unwrap(), "my own page");
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn runs_that_failed_to_learn_are_flagged_and_c8_sets_them_aside() {
    let chance = experiment(|a, _| if a == Activation::Sigmoid { 0.10 } else { 0.88 });
    let c8 = claims::c8(&chance, &chance, &chance);
    assert!(c8.comparisons.is_empty(), "{:?}", c8.comparisons);
    assert!(
        c8.set_aside.iter().filter(|s| s.contains("ended at chance level (failed to learn)")).count() == 9,
        "every sigmoid setting of E1, E2 and E4 is set aside: {:?}",
        c8.set_aside
    );
    // They have their values: the report used to list them under "Not enough data (fewer than two values)".
    assert!(c8.skipped.is_empty(), "{:?}", c8.skipped);
    let c2 = claims::c2(&chance, None);
    assert!(c2.comparisons.iter().all(|k| k.subject.activation != Some(Activation::Sigmoid) || k.failed_to_learn == 5));
    assert!(write::evidence(&c2).contains("5 of its runs failed to learn"));
    // The verdict table names what the verdict does not cover (a teacher read C8's "refuted" as covering the
    // plain sigmoid nets it had set aside).
    let ev = write::evidence(&c8);
    assert_eq!(ev.matches("set aside, not tested: ").count(), 9, "{ev}");
}

/// One checkpoint record of `run`: two hidden layers, the second saturated at 60% and receiving `grad` of
/// the output layer's weight gradient (norm 1), each a little more for each seed (so that seeds differ:
/// values without spread cannot decide a claim).
fn saturated_checkpoint(run: &Run, grad: f64) -> String {
    let more = 1.0 + 0.01 * run.config.seed as f64;
    let cp = checkpoint(100, |i| if i == 0 { (0.05, 0.9) } else { (0.6 * more, grad * more) }, None);
    serde_json::to_string(&actscope_metrics::records::Record::Checkpoint(cp)).unwrap() + "\n"
}

/// `cp` as a line of `records.jsonl`.
fn checkpoint_line(cp: actscope_metrics::records::Checkpoint) -> String {
    serde_json::to_string(&actscope_metrics::records::Record::Checkpoint(cp)).unwrap() + "\n"
}

/// An E3 of ReLU runs (the stress experiment C3 reads), from `runs` as given.
fn relu_e3(runs: Vec<Run>) -> Experiment {
    Experiment {
        name: "E3".into(),
        description: "fake".into(),
        runs,
        activations: vec![Activation::Relu],
        groups: vec![],
        wall_seconds: 0.0,
    }
}

/// A probe-set checkpoint at `step` of two hidden layers of 10 units: `layer(i)` gives layer i's saturation
/// rate and weight-gradient norm; each layer's dead fraction is `dead` (no dead-unit record where `None`).
fn checkpoint(
    step: usize,
    layer: impl Fn(usize) -> (f64, f64),
    dead: Option<f64>,
) -> actscope_metrics::records::Checkpoint {
    use actscope_metrics::distribution::{Bins, Histogram, Summary};
    use actscope_metrics::records::{Checkpoint, LayerRecord};
    use actscope_metrics::units::{Dead, Saturation};
    let record = |i: usize| {
        let (rate, g) = layer(i);
        LayerRecord {
            layer: i,
            units: 10,
            z: Summary { mean: 0.0, std: 1.0, percentiles: vec![0.0; 5] },
            a: Summary { mean: 0.5, std: 0.1, percentiles: vec![0.5; 5] },
            z_hist: Histogram::of([0.0], Bins::Z),
            a_hist: Histogram::of([0.5], Bins { lo: 0.0, hi: 1.0, bins: 50 }),
            saturation: Some(Saturation { rate, stuck: 0.0 }),
            dead: dead.map(|f| Dead { dead_units: (10.0 * f) as usize, dead_fraction: f, inactive_rate: f }),
            near_linear: 0.5,
            grad_w_norm: g,
            grad_b_norm: None,
            grad_z_ms: 0.0,
            weight_norm: 1.0,
            update_ratio: None,
            bn: None,
            effective_rank: None,
            tracked_unit: None,
        }
    };
    Checkpoint {
        step,
        epoch: step as f64 / 100.0,
        loss: 0.5,
        probe_samples: Some(100),
        measured_on: actscope_metrics::records::MeasuredOn::ProbeSet,
        output_grad_w_norm: 1.0,
        vanishing_index: 0.0,
        growth_factor: None,
        layers: vec![record(0), record(1)],
    }
}

#[test]
fn c8_judges_stopped_learning_by_the_gradient_that_reaches_the_saturated_layer() {
    // Saturated at 60% but the layer still gets half the output layer's gradient (0.3 orders of magnitude
    // lost, per seed a little different): saturating, yet not stopped learning.
    let learning = experiment_per_run(
        |_, _| 0.85,
        |r| saturated_checkpoint(r, 0.5 + 0.01 * r.config.placement as u8 as f64),
        |_| true,
    );
    let c8 = claims::c8(&learning, &learning, &learning);
    assert_eq!(c8.comparisons.len(), 18, "two rows for each of E1's, E2's and E4's three sigmoid settings");
    for k in &c8.comparisons {
        let stopped = k.setting.ends_with("stopped learning");
        assert!(stopped || k.setting.ends_with("saturating"), "{}", k.setting);
        assert_eq!(k.outcome, if stopped { Outcome::Contradicts } else { Outcome::Supports }, "{}", k.setting);
    }
    // The claim is the conjunction "saturating, so stopped learning": a setting whose neurons saturate but
    // still learn contradicts it. Judged row by row, this used to read "depends on setting".
    assert_eq!(c8.by_setting.len(), 9, "{:?}", c8.by_setting);
    assert!(c8.by_setting.iter().all(|(_, o)| *o == Outcome::Contradicts), "{:?}", c8.by_setting);
    assert_eq!(c8.verdict, Verdict::Refuted);
    assert!(c8.method.contains("orders of magnitude below the output layer's"), "{}", c8.method);
    assert!(c8.method.contains("supports it only where both rows do"), "{}", c8.method);
    let by = "By setting (both parts together): E4 (Glorot & Bengio's setting): sigmoid, BN none: contradicts; ";
    assert!(markdown_of(&c8).contains(by), "{}", markdown_of(&c8));
    // The gradient 4 orders of magnitude down: saturated and stopped.
    let stopped = experiment_per_run(|_, _| 0.85, |r| saturated_checkpoint(r, 1e-4), |_| true);
    assert_eq!(claims::c8(&stopped, &stopped, &stopped).verdict, Verdict::Supported);
    // No gradient reached the saturated layer in any run: the "stopped learning" rows have no values and are
    // skipped, and a setting's lone "saturating" row supports only half of the conjunction, so every setting
    // stays open. (Such settings had been dropped, and the row-by-row verdict read "supported".)
    let no_grad = experiment_per_run(|_, _| 0.85, |r| saturated_checkpoint(r, 0.0), |_| true);
    let c8 = claims::c8(&no_grad, &no_grad, &no_grad);
    assert_eq!(c8.by_setting.len(), 9, "{:?}", c8.by_setting);
    assert!(c8.by_setting.iter().all(|(_, o)| *o == Outcome::Unclear), "{:?}", c8.by_setting);
    assert_ne!(c8.verdict, Verdict::Supported);
    // No gradient at all reached the saturated layer in two runs: left out of the row, and named.
    let zero = experiment_per_run(
        |_, _| 0.85,
        |r| saturated_checkpoint(r, if r.config.seed < 2 { 0.0 } else { 1e-4 }),
        |_| true,
    );
    let c8 = claims::c8(&zero, &zero, &zero);
    let row = c8.comparisons.iter().find(|k| k.setting.contains("stopped learning")).unwrap();
    let note = "(2 of 5 runs left out: no gradient at all reached the most saturated layer or the output layer)";
    assert!(row.setting.ends_with(note), "{}", row.setting);
    assert_eq!(row.a.iter().filter(|v| v.is_finite()).count(), 3);
}

#[test]
fn c8_reads_e2_at_its_deepest_nets() {
    // E2's sigmoid nets at two depths: the shallow ones ended at chance level, the deepest saturated and
    // stopped learning. C8 reads the deepest only (where saturation should be worst), so E2 supports it in
    // every placement and nothing of E2 is set aside.
    let mut runs = Vec::new();
    for p in [Placement::None, Placement::Before, Placement::After] {
        for seed in 0..5 {
            runs.push(fake_run_of(&[10, 10], Activation::Sigmoid, p, seed, 0.1, 0.10));
            runs.push(fake_run_of(&[10, 10, 10, 10], Activation::Sigmoid, p, seed, 0.1, 0.85 + 0.002 * seed as f64));
        }
    }
    let e2 =
        load_fake(&runs, |r| if r.config.widths().len() == 4 { saturated_checkpoint(r, 1e-4) } else { String::new() });
    let none = Experiment {
        name: "E1".into(),
        description: "fake".into(),
        runs: vec![],
        activations: vec![],
        groups: vec![],
        wall_seconds: 0.0,
    };
    let c8 = claims::c8(&none, &e2, &none);
    let e2_settings: Vec<_> = c8.by_setting.iter().filter(|(s, _)| s.starts_with("E2 ")).collect();
    assert_eq!(e2_settings.len(), 3, "{:?}", c8.by_setting);
    for (s, o) in e2_settings {
        assert!(s.starts_with("E2 (the deepest nets, 4 hidden layers): sigmoid, BN "), "{s}");
        assert_eq!(*o, Outcome::Supports, "{s}");
    }
    assert!(c8.set_aside.iter().all(|s| !s.starts_with("E2 ")), "{:?}", c8.set_aside);
    assert!(c8.method.contains("the deepest nets of the depth experiment"), "{}", c8.method);
}

#[test]
fn c3_rows_name_the_value_without_bn_first_and_c6_says_what_it_does_with_unreached_targets() {
    let e = experiment(|_, _| 0.85);
    let c3 = claims::c3(&e);
    let rows: Vec<&String> = c3.comparisons.iter().map(|k| &k.setting).chain(&c3.skipped).collect();
    assert!(!rows.is_empty() && rows.iter().all(|s| s.contains("no BN vs BN")), "{rows:?}");
    for k in &c3.comparisons {
        assert_eq!(k.claim, "dead(no BN) > dead(BN)", "a is the run without BN");
    }
    let c6 = claims::c6(&e);
    assert!(!c6.method.contains("budget + 1") && c6.method.contains("each pair's ratio within bounds"));
}

/// C6 reads each run's steps to the target off its evaluation grid, so it knows each pair's ratio only
/// within bounds, and a run that never reached the target bounds it on one side only. The claim is tested
/// on the lower bounds, its opposite on the upper bounds. It used to test the grid's point values and leave
/// out the pairs with a run that never reached the target: the pairs with the largest speed-ups.
#[test]
fn c6_tests_the_speed_up_on_its_bounds_and_says_what_the_budget_can_resolve() {
    use actscope_metrics::records::Record;
    // Validation accuracy at E1's grid (4 evaluations per 150-step epoch) 0, 38, 75, …, 263, 300: 0.5 until
    // `at` (in steps), 0.85 from there.
    let run = |act: Activation, p: Placement, seed: u64, at: Option<usize>| {
        let mut r = fake_run(act, p, seed, 0.85);
        let grid = [0, 38, 75, 113, 150, 188, 225, 263, 300].into_iter();
        r.records = grid
            .map(|step| {
                let acc = if at.is_some_and(|a| step >= a) { 0.85 } else { 0.5 };
                Record::Eval(EvalPoint {
                    step,
                    epoch: step as f64 / 150.0,
                    set: "val".into(),
                    loss: 1.0,
                    accuracy: acc,
                })
            })
            .collect();
        r
    };
    let mut runs = Vec::new();
    for seed in 0..5u64 {
        // tanh: with BN at 75 (so in (38, 75]), without at 188, 225 or 263: a ratio within (2, 7].
        let without = [188, 225, 263][seed as usize % 3];
        runs.push(run(Activation::Tanh, Placement::Before, seed, Some(75)));
        runs.push(run(Activation::Tanh, Placement::None, seed, Some(without)));
        // relu: the same, but seed 4 without BN never reaches the target: its ratio exceeds 300/75 and has
        // no upper bound, so the claim cannot be refuted for relu.
        runs.push(run(Activation::Relu, Placement::Before, seed, Some(75)));
        runs.push(run(Activation::Relu, Placement::None, seed, (seed < 4).then_some(without)));
    }
    let e = load_fake(&runs, |r| r.records.iter().map(|x| serde_json::to_string(x).unwrap() + "\n").collect());

    let c6 = claims::c6(&e);
    let row = |act: &str| c6.comparisons.iter().find(|k| k.setting.starts_with(act)).unwrap();
    let (tanh, relu) = (row("tanh"), row("relu"));
    assert_eq!(tanh.test, TestKind::Bounds);
    let lows: Vec<f64> = tanh.a.iter().map(|v| (10f64.powf(*v) * 75.0).round()).collect();
    let highs: Vec<f64> = tanh.b.iter().map(|v| (10f64.powf(*v) * 38.0).round()).collect();
    assert_eq!(lows, [150.0, 188.0, 225.0, 150.0, 188.0], "lower bounds: the evaluation before without BN over 75");
    assert_eq!(highs, [188.0, 225.0, 263.0, 188.0, 225.0], "upper bounds: the reaching evaluation over 38");
    assert_eq!(tanh.outcome, Outcome::Contradicts, "every upper bound is at most 7: {:?}", tanh.b);
    assert_eq!(relu.b.iter().filter(|v| v.is_infinite()).count(), 1);
    assert_eq!(relu.open_bounds, (0, 1), "claims.json writes ∞ as null: the count says which bounds are open");
    assert_eq!(relu.p_opposite, 1.0, "an infinite upper bound cannot be refuted");
    assert_eq!(relu.outcome, Outcome::Unclear);
    assert!(relu.setting.contains("(1 of 5 seed pairs with no upper bound"), "{}", relu.setting);
    assert!(c6.method.contains("the largest ratio the evaluation grid can resolve is 7.9"), "{}", c6.method);
    // The verdict itself says so (a teacher read "partly undecided" as a verdict the budget could still reach).
    let reach = "cannot be supported at this budget, only refuted: the evaluation grid resolves speed-ups up to ×7.9";
    assert_eq!(c6.reach.as_deref(), Some(reach));
    let md = markdown_of(&c6);
    assert!(md.contains(&format!("open; {reach})")), "the verdict table: {md}");
    assert!(md.contains(&format!("Verdict: **partly undecided** ({reach}). Method:")), "{md}");
    assert!(write::evidence(&c6).contains("to ∞ vs 1"), "{}", write::evidence(&c6));
    // The log10 bounds are also given as ratios (a teacher read "0.3908 to 0.7733 vs 1" as accuracies).
    let ev = write::evidence(&c6);
    assert!(ev.contains("to ∞ vs 1 (log10 of the speed-up; as ratios, geometric means ×"), "{ev}");
    assert!(ev.contains(" to ×∞ vs ×10)"), "{ev}");

    // C6's figure draws what it reads: validation accuracy (these runs have no test curve), with the target.
    assert_eq!(c6.figures, ["steps_to_target"]);
    let figs = actscope_lab::report::figures::for_runs(&e);
    let fig = &figs.iter().find(|(s, _)| *s == "steps_to_target").expect("drawn from validation evaluations").1;
    assert!(!figs.iter().any(|(s, _)| *s == "learning_curves"), "no test evaluations, no test learning curves");
    let actscope_plots::Panel::Lines(before) = &fig.panels[1] else { panic!("a line panel") };
    assert_eq!(before.title, "BN before");
    let tanh_curve: Vec<(f64, f64)> = before.series[0].points.clone();
    assert_eq!(tanh_curve[1], (38.0, 0.5), "{tanh_curve:?}");
    assert_eq!(tanh_curve[2], (75.0, 0.85), "every seed reaches 0.85 at 75 with BN before");
    let target = before.series.iter().find(|s| s.label == "target 0.8").unwrap();
    assert!(target.dashed, "{target:?}");
    assert_eq!(target.points, [(0.0, 0.8), (300.0, 0.8)], "across the panel's steps");
    // A dot on the target line at each curve's median step reaching it: 75 with BN before (every seed).
    let dot = |panel: &actscope_plots::LinePanel, act: &str| {
        panel.series.iter().find(|s| s.label == format!("median step reaching it, {act}")).map(|s| s.points.clone())
    };
    assert_eq!(dot(before, "tanh"), Some(vec![(75.0, 0.8)]));
    assert_eq!(dot(before, "relu"), Some(vec![(75.0, 0.8)]));
    let actscope_plots::Panel::Lines(none) = &fig.panels[0] else { panic!("a line panel") };
    // Without BN: tanh at 188, 225, 263, 188, 225 (median 225); relu's seed 4 never reaches it (median 225).
    assert_eq!(dot(none, "tanh"), Some(vec![(225.0, 0.8)]));
    assert_eq!(dot(none, "relu"), Some(vec![(225.0, 0.8)]));
    assert!(fig.caption.contains("no dot where half or more never did"), "{}", fig.caption);
}

/// Values the report computes are escaped too: a p-value below 10⁻⁴ prints as "< 0.0001", which the
/// string-built page wrote raw into the HTML before the template engine took over.
#[test]
fn html_escapes_computed_values() {
    let after_better = experiment(|_, p| if p == Placement::After { 0.9 } else { 0.85 });
    let mut c4 = claims::c4(&after_better, None);
    c4.figures = vec!["learning_curves"];
    c4.skipped = vec!["a<b".into()];
    let cl = vec![&c4];
    let figs: Vec<(&'static str, actscope_plots::Figure)> =
        actscope_plots::gallery::sample_figures(7).into_iter().map(|s| (s.stem, s.figure)).collect();
    let content = write::Content {
        profile: "smoke",
        scope: String::new(),
        answers: vec![],
        claims: &cl,
        figures: &figs,
        theory: &[],
        literature: vec![],
        methods: vec![],
        manifest: vec![],
    };
    let html = write::html(&content);
    assert!(html.contains("<td class=\"num\">&lt; 0.0001</td>") && !html.contains("< 0.0001"), "{html}");
    assert!(html.contains("for: a&lt;b."));
    assert_eq!(html.matches("<figure ").count(), figs.len(), "each figure once: with its claim or under More figures");
    assert_eq!(html.matches("id=\"fig-learning_curves\"").count(), 1);
}

/// A figure two claims read is drawn under the first and linked from the second (the second claim's
/// section had no figure at all); "More figures" appears only when some figure is left for it (it was an
/// empty heading); the Markdown gives each figure's caption in text (it was only the image's alt text) and
/// the theory table the HTML's columns (the teacher's reading of the report).
#[test]
fn shared_figures_are_linked_and_the_markdown_keeps_captions() {
    let e = experiment(|_, p| if p == Placement::After { 0.9 } else { 0.85 });
    let (mut c2, mut c4) = (claims::c2(&e, None), claims::c4(&e, None));
    c2.figures = vec!["accuracy_heatmap"];
    c4.figures = vec!["accuracy_heatmap"];
    let cl = vec![&c2, &c4];
    let figs: Vec<(&'static str, actscope_plots::Figure)> = actscope_plots::gallery::sample_figures(7)
        .into_iter()
        .filter(|s| s.stem == "accuracy_heatmap")
        .map(|s| (s.stem, s.figure))
        .collect();
    let theory = actscope_lab::report::theory::TheoryCheck {
        kind: actscope_lab::report::theory::CheckKind::BornDead { width: 4, depth: 2 },
        name: "born dead".into(),
        source: "a paper".into(),
        measured: 0.5,
        predicted: 0.5,
        tolerance: 0.1,
        pass: true,
        method: "counted".into(),
        null: None,
    };
    let content = write::Content {
        profile: "smoke",
        scope: String::new(),
        answers: vec![],
        claims: &cl,
        figures: &figs,
        theory: std::slice::from_ref(&theory),
        literature: vec![],
        methods: vec![],
        manifest: vec![],
    };
    let html = write::html(&content);
    assert_eq!(html.matches("<figure ").count(), 1);
    let c4_section = &html[html.find("id=\"C4\"").unwrap()..];
    assert!(c4_section.contains("Figure: <a href=\"#fig-accuracy_heatmap\">"), "{c4_section}");
    assert!(!html.contains("More figures"));
    let md = write::markdown(&content);
    let fig = &figs[0].1;
    assert!(md.contains(&format!("*{}* — {}.", fig.title, fig.caption)), "{md}");
    assert!(md.contains("| check | prediction from | measured | predicted | tolerance | result | how |"));
    assert!(md.contains("| born dead | a paper | 0.5000 | 0.5000 | ±0.1000 | pass | counted |"), "{md}");
}

/// A claim set for the short answers' C2 sentence: `c2`, C4 of `e`, and copies of `c2` for the claims the
/// sentence does not read.
fn c2_and_c4(c2: claims::ClaimResult, e: &Experiment) -> claims::ClaimSet {
    claims::ClaimSet {
        c1: c2.clone(),
        c3: c2.clone(),
        c4: claims::c4(e, None),
        c5: c2.clone(),
        c6: c2.clone(),
        c7: c2.clone(),
        c8: c2.clone(),
        c9: c2.clone(),
        c2,
    }
}

/// The short answer states how many seeds each accuracy it gives is over. With seeds in rounds a
/// configuration whose comparisons were decided early stops at fewer seeds than the others; the answer
/// used to say the first configuration's count ("20 seeds") for all six.
#[test]
fn the_short_answer_gives_each_accuracys_seed_count() {
    let acc = |a, p| if a == Activation::Relu && p == Placement::After { 0.86 } else { 0.85 };
    let q1 = |e: &Experiment| narrative::answers(&c2_and_c4(claims::c2(e, None), e), e).remove(0).1;

    let e = experiment(acc);
    assert!(q1(&e).contains("(each at its own best learning rate, over 5 seeds each;"), "{}", q1(&e));
    assert_eq!(e.seeds_per_configuration(), Some((5, 5)));
    // Each activation at its better placement, as a description (a teacher asked for best against best).
    assert!(
        q1(&e).contains("Each at its better placement: sigmoid 0.850 (BN before), tanh 0.850 (BN before), ReLU 0.860 (BN after) (a description, not a test"),
        "{}",
        q1(&e)
    );

    // ReLU with BN after keeps seeds 0–2 only (0.8528, 0.8564, 0.860; mean 0.856).
    let e = experiment_of(
        acc,
        |_, _| String::new(),
        |c| !(c.activation == Activation::Relu && c.placement == Placement::After && c.seed > 2),
    );
    assert_eq!(e.seeds_per_configuration(), Some((3, 5)), "the methods say \"3 to 5 seeds\"");
    let text = q1(&e);
    assert!(text.contains("over 5, 5, 5 and 5, 5, 3 seeds;"), "{text}");
    // C2's BN-after comparisons have 3 pairs: its table's means are over those, not over 5 seeds.
    let fewer = "The C2 section's means are over the seeds both configurations of a comparison have, fewer for BN after: sigmoid vs relu (3), BN after: tanh vs relu (3).";
    assert!(text.contains(fewer), "{text}");
    assert!(text.contains("with BN after φ, 0.850, 0.850, 0.856 ("), "{text}");
}

/// A run that stopped at a non-finite loss has no end of training: its last checkpoint is from step 0, an
/// earlier training batch or the probe set just before the loss that stopped it. The claims valued "at the end of training" used to take it as the end; they
/// now leave it out and say so in the row, and the figures' "after training" panels leave it out too. A run
/// whose finite loss blew up for good trained to the end and keeps its value.
#[test]
fn a_run_that_stopped_at_a_non_finite_loss_has_no_end_of_training() {
    use actscope_metrics::records::Record;
    // (placement, seed) → (status, diverged step, steps done, checkpoints as (step, dead fraction)).
    let run = |p: Placement, seed: u64| {
        let mut r = fake_run(Activation::Relu, p, seed, 0.8);
        let (status, diverged, steps, cps): (_, _, usize, Vec<(usize, f64)>) = match (p, seed) {
            // Stopped at step 22, with the probe set measured just before that step's loss (as with
            // checkpoint_sample = "probe_set"): that checkpoint is not the end of training either.
            (Placement::None, 0) => (actscope_lab::RunStatus::Diverged, Some(22), 22, vec![(0, 0.02), (22, 0.5)]),
            // Stopped at step 0 (a NaN in the first forward pass): its step-0 checkpoint is not the end. (A
            // budget in epochs.)
            (Placement::None, 1) => (actscope_lab::RunStatus::Diverged, Some(0), 0, vec![(0, 0.0)]),
            // Blew up at its last evaluation but trained to the end: it keeps its end-of-training value.
            (Placement::None, 2) => (actscope_lab::RunStatus::Diverged, Some(100), 100, vec![(0, 0.0), (100, 0.9)]),
            (Placement::None, _) => (actscope_lab::RunStatus::Ok, None, 100, vec![(0, 0.0), (50, 0.5), (100, 0.9)]),
            _ => (actscope_lab::RunStatus::Ok, None, 100, vec![(0, 0.0), (100, 0.1 + 0.01 * seed as f64)]),
        };
        r.summary.status = status;
        r.summary.diverged_step = diverged;
        r.summary.steps = steps;
        // A budget of 100 steps, but seed 1's of one epoch of 100 steps (its last evaluation, at step 0, is at
        // epoch 0).
        if seed == 1 {
            r.config.epochs = 1;
            r.summary.val.as_mut().unwrap().epoch = steps as f64 / 100.0;
        } else {
            r.config.steps = Some(100);
        }
        r.records = cps
            .into_iter()
            .map(|(step, dead)| Record::Checkpoint(checkpoint(step, |_| (0.0, 1.0), Some(dead))))
            .collect();
        r
    };
    let runs: Vec<Run> =
        [Placement::None, Placement::Before].into_iter().flat_map(|p| (0..5).map(move |s| run(p, s))).collect();
    let early: Vec<(Placement, u64)> =
        runs.iter().filter(|r| r.stopped_early()).map(|r| (r.config.placement, r.config.seed)).collect();
    assert_eq!(early, [(Placement::None, 0), (Placement::None, 1)]);
    assert_eq!(runs[0].end(), None);
    assert_eq!(runs[0].last().map(|c| c.step), Some(22), "its last checkpoint is still there");
    assert_eq!(runs[2].end().map(|c| c.step), Some(100));

    let e3 = relu_e3(runs);
    // C3 leaves out every diverged run, also the one that blew up but trained to the end (seed 2): a
    // diverged network's dead fraction is no evidence about BN (a statistician found a row "supporting" the
    // claim on BN-after runs whose losses had reached 1e9).
    let c3 = claims::c3(&e3);
    let row = &c3.comparisons[0];
    assert_eq!(row.a, [0.9, 0.9], "without BN: the 2 runs that did not diverge");
    assert_eq!(row.b.len(), 2, "paired by seed: BN's runs of the same 2 seeds");
    assert_eq!(row.test, TestKind::Paired);
    assert_eq!(row.largest_difference(), Some(1.0), "dead fractions are shares: their power statement knows it");
    let note = "(3 of 10 runs left out: diverged; 2 of 5 seeds paired, with a value on both sides)";
    assert!(row.setting.ends_with(note), "{}", row.setting);
    assert!(c3.method.contains("a run that diverged (a non-finite loss, or a loss that stayed above"), "{}", c3.method);
    // Claims read at the end of training otherwise leave out only the runs with no end of training.
    let end: Vec<Option<usize>> = e3.runs.iter().take(5).map(|r| r.end().map(|c| c.step)).collect();
    assert_eq!(end, [None, None, Some(100), Some(100), Some(100)]);
}

/// C2 and C4 keep failed runs: one that stopped at a non-finite loss scores chance level, one whose loss
/// blew up but stayed finite its final test accuracy. They had been left out with their partners, which
/// compares the arms on the runs that succeeded and favours the arm that fails more often (a statistician's
/// review).
#[test]
fn c2_and_c4_score_failed_runs_rather_than_leave_them_out() {
    let mut runs = Vec::new();
    for act in [Activation::Sigmoid, Activation::Tanh, Activation::Relu] {
        for p in [Placement::None, Placement::Before, Placement::After] {
            for seed in 0..5 {
                let mut r = fake_run(act, p, seed, 0.85 + 0.002 * seed as f64);
                r.config.steps = Some(100);
                if (act, p) == (Activation::Sigmoid, Placement::Before) && seed < 2 {
                    r.summary.status = actscope_lab::RunStatus::Diverged;
                    // Seed 0 stopped at step 22 (its last test accuracy, 0.6, is from before: not its own);
                    // seed 1 blew up for good and trained to the end, where it scored 0.3.
                    let (step, acc) = if seed == 0 { (22, 0.6) } else { (100, 0.3) };
                    r.summary.diverged_step = Some(step);
                    r.summary.steps = step;
                    r.summary.test.as_mut().unwrap().accuracy = acc;
                }
                runs.push(r);
            }
        }
    }
    let e1 = load_fake(&runs, |_| String::new());
    let c2 = claims::c2(&e1, None);
    let row = c2.comparisons.iter().find(|k| k.setting.starts_with("BN before: sigmoid vs relu")).unwrap();
    assert_eq!(row.a.len(), 5, "every seed is paired: {:?}", row.a);
    assert_eq!((row.a[0], row.a[1]), (0.1, 0.3), "chance level (10 classes), then the final accuracy");
    let note = "(1 of 10 runs scored at chance level: stopped at a non-finite loss before the end of training)";
    assert!(row.setting.ends_with(note), "{}", row.setting);
    assert!(c2.method.contains("a run that stopped at a non-finite loss scores chance level"), "{}", c2.method);
    let c4 = claims::c4(&e1, None);
    let row = c4.comparisons.iter().find(|k| k.setting.starts_with("sigmoid: after vs before")).unwrap();
    assert_eq!((row.b.len(), row.b[0], row.b[1]), (5, 0.1, 0.3));
}

/// At the design's cap, a comparison whose last look lost a pair (a run without a value) is undecided, as
/// one with every pair: no more seeds come. It stayed "open" while the rounds stopped, so the methods counted
/// it neither undecided nor open.
#[test]
fn a_comparison_short_of_a_pair_at_the_cap_is_undecided() {
    use actscope_metrics::sequential::{Decision, Design, Spending};
    // Sigmoid and tanh with BN before exactly at the margin below ReLU: both comparisons stay open.
    let e1 = experiment_of(
        |a, p| if a != Activation::Relu && p == Placement::Before { 0.87 } else { 0.88 },
        |_, _| String::new(),
        |c| !(c.activation == Activation::Sigmoid && c.placement == Placement::Before && c.seed == 4),
    );
    let rounds =
        claims::Rounds { design: Design::new(0.05, Spending::OBrienFleming, 5), first_seed: 0, looks: vec![5] };
    let c2 = claims::c2(&e1, Some(&rounds));
    let decision = |setting: &str| {
        let k = c2.comparisons.iter().find(|k| k.setting.starts_with(setting)).unwrap();
        (k.sequential.as_ref().unwrap().result.decision, k.seeds.len())
    };
    assert_eq!(decision("BN before: sigmoid vs relu"), (Decision::Undecided, 4));
    assert_eq!(decision("BN before: tanh vs relu"), (Decision::Undecided, 5));
}

/// A claim whose settings disagree significantly depends on the setting (design.md's *mixed*), also where
/// another setting is undecided (it read "partly undecided"); its short answer counts its settings each way
/// and names those that came out against the claim. It used to say "In some settings; others are not
/// settled by this data" even where a setting was decided against it.
#[test]
fn a_mixed_short_answer_names_the_settings_decided_against_the_claim() {
    let e = sigmoid_worse_and_tanh_at_the_margin();
    let c2 = claims::c2(&e, None);
    let outcomes: Vec<(String, Outcome)> = c2.comparisons.iter().map(|k| (k.setting.clone(), k.outcome)).collect();
    assert_eq!(c2.verdict, Verdict::DependsOnSetting, "{outcomes:?}");
    let q1 = narrative::answers(&c2_and_c4(c2, &e), &e).remove(0).1;
    let expected = "It depends on the setting: yes in 2 of 4 settings, no in 1 (BN before: sigmoid vs relu), not \
                    settled by this data in 1.";
    assert!(q1.starts_with(expected), "{q1}");
}

/// Sigmoid with BN before is clearly worse than ReLU; tanh with BN before scatters around C2's margin, its
/// differences from it averaging exactly zero.
fn sigmoid_worse_and_tanh_at_the_margin() -> Experiment {
    let mut e = experiment(|a, p| if p == Placement::Before && a == Activation::Sigmoid { 0.80 } else { 0.85 });
    let jitter = [0.012, -0.011, 0.004, -0.006, 0.001];
    for r in &mut e.runs {
        if r.config.activation == Activation::Tanh && r.config.placement == Placement::Before {
            let t = r.summary.test.as_mut().unwrap();
            t.accuracy = 0.84 + jitter[r.config.seed as usize];
        }
    }
    e
}

/// An undecided comparison says what its test could resolve: the smallest true difference from the
/// threshold that its seeds detect with 80% power given their spread, and what half of that would take. It
/// used to plan seeds from the observed difference, which is noise for a comparison left undecided: a
/// difference near zero gave "~535,514 more seeds", and one of exactly zero (as here) no figure at all.
#[test]
fn an_undecided_comparison_gives_the_difference_its_seeds_could_detect() {
    use actscope_metrics::sequential::{Effect, Spread, detectable, power_at};
    let c2 = claims::c2(&sigmoid_worse_and_tanh_at_the_margin(), None);
    let open: Vec<_> = c2.comparisons.iter().filter(|k| k.outcome == Outcome::Unclear).collect();
    assert_eq!(open.len(), 1, "tanh with BN before");
    let k = open[0];
    let p = k.power.as_ref().expect("an undecided comparison has a power statement");
    let d: Vec<f64> = k.a.iter().zip(&k.b).map(|(a, b)| a - b - k.threshold).collect();
    let spread = Spread::Paired { sd_diff: actscope_metrics::stats::describe(&d).sd };
    assert!(p.observed.abs() < 1e-12, "{}", p.observed);
    // Without rounds each direction is tested at 0.05, Holm's smallest level 0.05/m.
    let level = 0.05 / c2.comparisons.len() as f64;
    let want = detectable(spread, level, 0.8, 5).unwrap();
    assert_eq!(p.seeds, 5);
    assert!((p.detectable.unwrap() - want).abs() < 1e-12, "{:?} vs {want}", p.detectable);
    let half = p.seeds_for_half.unwrap();
    let power = |n| power_at(&Effect { delta: want / 2.0, spread }, level, n);
    assert!(power(half) >= 0.8 && power(half - 1) < 0.8, "{half}");
    assert_eq!(p.more_seeds, Some(half - 5));
    let lines = write::undecided(&c2);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let says = format!(
        "after 5 seeds. For a fixed-sample test at Holm's smallest level, with the spread of these seeds: 5 seeds detect a true difference of ±{want:.4} or more from the threshold with about 80% power; \
         ±{:.4} would take ~{half} seeds per configuration (~{} more, ~",
        want / 2.0,
        half - 5
    );
    assert!(lines[0].contains(&says), "{}\nwants {says}", lines[0]);
    assert!(!lines[0].contains("sequential"), "no sequential test ran: {}", lines[0]);
}

/// Fixed-sample Holm leaves a comparison without a p-value out of its family (here tanh, with one pair: its
/// BN-before runs of seeds 1–4 are missing), so the power statement's level is 0.05 over the comparisons
/// that have one; it divided by every comparison, the untestable one included.
#[test]
fn the_power_statement_counts_the_comparisons_holm_adjusted() {
    let mut e = experiment(|a, p| if a == Activation::Relu && p == Placement::After { 0.9 } else { 0.85 });
    let jitter = [0.012, -0.011, 0.004, -0.006, 0.001];
    for r in &mut e.runs {
        if r.config.activation == Activation::Sigmoid && r.config.placement == Placement::After {
            r.summary.test.as_mut().unwrap().accuracy += jitter[r.config.seed as usize];
        }
    }
    let mut runs: Vec<Run> = e.runs.clone();
    runs.retain(|r| {
        !(r.config.activation == Activation::Tanh && r.config.placement == Placement::Before && r.config.seed > 0)
    });
    let c4 = claims::c4(&load_fake(&runs, |_| String::new()), None);
    let p_of = |act: &str| c4.comparisons.iter().find(|k| k.setting.starts_with(act)).unwrap();
    assert!(
        c4.comparisons.iter().filter(|k| k.setting.starts_with("tanh")).all(|k| k.p_claimed.is_nan()),
        "one pair: no p-value"
    );
    assert_eq!(p_of("relu").outcome, Outcome::Supports);
    let k = p_of("sigmoid");
    assert_eq!(k.outcome, Outcome::Unclear);
    let d: Vec<f64> = k.a.iter().zip(&k.b).map(|(a, b)| a - b - k.threshold).collect();
    let spread = actscope_metrics::sequential::Spread::Paired { sd_diff: actscope_metrics::stats::describe(&d).sd };
    let want = actscope_metrics::sequential::detectable(spread, 0.05 / 2.0, 0.8, 5).unwrap();
    let got = k.power.as_ref().unwrap().detectable.unwrap();
    assert!((got - want).abs() < 1e-12, "{got} vs {want}: Holm's family is sigmoid and relu");
}

/// The Markdown report's comparison tables have the HTML's columns, the test and the effect size included
/// (they used to stop at the means and p-values), and both give the number of values each test used and
/// state the level.
#[test]
fn markdown_tables_give_the_sample_size_the_test_and_the_effect_size() {
    let c2 = claims::c2(&sigmoid_worse_and_tanh_at_the_margin(), None);
    let md = markdown_of(&c2);
    assert!(
        md.contains("| claimed | n | a: mean [95% CI] | b: mean [95% CI] | test | effect size | adj. p (claimed) |")
    );
    assert!(md.contains("Each direction is tested at α = 0.05"), "the level is stated: {md}");
    for k in &c2.comparisons {
        // This data's paired differences have no spread, so its effect sizes are infinite.
        let effect = if k.effect.is_infinite() {
            format!("{}∞ (no spread)", if k.effect < 0.0 { "-" } else { "" })
        } else {
            format!("{:.2}", k.effect)
        };
        let cells = format!(
            " | 5 | {} | {} | {:?} | {effect} | ",
            write::ci_within(&k.a, k.range),
            write::ci_within(&k.b, k.range),
            k.test
        );
        let row = md.lines().find(|l| l.starts_with(&format!("| {} |", k.setting))).expect("a row per comparison");
        assert!(row.contains(&cells), "{row} lacks {cells}");
    }
}

/// The methods say why the two tuning widths (on the mean curve, and per seed) can rank configurations
/// differently, and how often they do. Here sigmoid's seeds scatter by 2 pp at each rate: its mean curve is
/// flat over two decades, but each seed's band around its own best holds that rate alone. ReLU's seeds
/// agree, and both of its widths are one decade.
#[test]
fn the_methods_say_why_the_two_tuning_widths_disagree() {
    let lrs = [0.01, 0.1, 1.0];
    let sigmoid = [[0.870, 0.920, 0.900], [0.910, 0.880, 0.870], [0.905, 0.900, 0.915]];
    let mut runs = Vec::new();
    for seed in 0..3 {
        for (i, &lr) in lrs.iter().enumerate() {
            let relu = [0.85, 0.90, 0.895][i] + 0.001 * seed as f64;
            runs.push(fake_run_at(Activation::Sigmoid, Placement::Before, seed, lr, sigmoid[seed as usize][i]));
            runs.push(fake_run_at(Activation::Relu, Placement::Before, seed, lr, relu));
        }
    }
    let e = load_fake(&runs, |_| String::new());
    let text = narrative::tuning(&e);
    for says in [
        "The two widths order 1 of the 1 pairs of configurations oppositely (e.g. sigmoid/before is wider than relu/before on the mean curve, 2.00 against 1.00 decades, but narrower per seed, 0.00 against 1.00).",
        "the seed-to-seed sd of validation accuracy at the selected rate runs from 0.10 pp (relu/before) to 2.00 pp (sigmoid/before), against a band of 1 pp.",
    ] {
        assert!(text.contains(says), "{text}\nwants: {says}");
    }
    // Seeds that agree: the two widths are the same, and no pair is ordered oppositely.
    let agree: Vec<Run> = runs.into_iter().filter(|r| r.config.activation == Activation::Relu).collect();
    let text = narrative::tuning(&load_fake(&agree, |_| String::new()));
    assert!(!text.contains("The two widths order"), "one configuration has no pairs: {text}");
}

/// The Markdown report of one claim's section alone.
fn markdown_of(claim: &claims::ClaimResult) -> String {
    let claims = vec![claim];
    write::markdown(&write::Content {
        profile: "fake",
        scope: String::new(),
        answers: vec![],
        claims: &claims,
        figures: &[],
        theory: &[],
        literature: vec![],
        methods: vec![],
        manifest: vec![],
    })
}

/// A comparison decided in rounds at a look before its last values says so in the n column: the table's
/// means are over all its pairs, the decision over the first ones.
#[test]
fn the_n_column_says_where_a_comparison_was_decided_earlier() {
    use actscope_lab::report::verdict::SequentialOutcome;
    use actscope_metrics::sequential::{Decision, Sequential};
    let mut c2 = claims::c2(&sigmoid_worse_and_tanh_at_the_margin(), None);
    let k = &mut c2.comparisons[0];
    let result = Sequential {
        decision: Decision::Supports { at_n: 3 },
        n: 3,
        level_claimed: 0.0125,
        level_opposite: 0.0125,
        p_bound_claimed: 0.001,
        p_bound_opposite: 0.001,
    };
    k.sequential = Some(SequentialOutcome { looks: vec![Some(3), Some(5)], result });
    let setting = k.setting.clone();
    let md = markdown_of(&c2);
    let row = md.lines().find(|l| l.starts_with(&format!("| {setting} |"))).unwrap();
    assert!(row.contains(" | 5 (decided at 3) | "), "{row}");
    let other = md.lines().find(|l| l.starts_with(&format!("| {} |", c2.comparisons[1].setting))).unwrap();
    assert!(other.contains(" | 5 | "), "{other}");
}

/// `actscope plot` draws the effective rank of every configuration present and γ/β of every activation
/// with BN before φ; it drew only the report's chosen few (relu and sigmoid), leaving tanh out without a
/// note.
#[test]
fn plot_draws_every_configuration_in_the_rank_and_bn_parameter_figures() {
    use actscope_metrics::records::{BnParams, Record};
    let e = experiment_with(
        |_, _| 0.85,
        |_, p| {
            let mut cp = checkpoint(100, |_| (0.1, 1.0), None);
            for l in &mut cp.layers {
                l.effective_rank = Some(5.0);
                l.bn = (p != Placement::None).then_some(BnParams {
                    gamma_mean: 1.0,
                    gamma_std: 0.0,
                    beta_mean: 0.0,
                    beta_std: 0.0,
                });
            }
            serde_json::to_string(&Record::Checkpoint(cp)).unwrap() + "\n"
        },
    );
    let figs = actscope_lab::report::figures::for_runs(&e);
    let fig = |stem: &str| &figs.iter().find(|(s, _)| *s == stem).unwrap_or_else(|| panic!("{stem} drawn")).1;
    let titles: Vec<String> = fig("effective_rank")
        .panels
        .iter()
        .map(|p| match p {
            actscope_plots::Panel::Lines(l) => l.title.clone(),
            _ => panic!("line panels"),
        })
        .collect();
    assert_eq!(titles.len(), 9, "3 activations × 3 placements: {titles:?}");
    assert!(titles.contains(&"tanh, BN none".to_string()), "{titles:?}");
    // One row of panels (γ, β) per activation with BN before, layers in the sequential ramp (coloured by
    // activation and layer on one panel, a sigmoid layer had taken ReLU's colour).
    let titles: Vec<&str> = fig("bn_params").panels.iter().map(|p| p.title()).collect();
    assert_eq!(
        titles,
        [
            "γ (scale), sigmoid",
            "β (shift), sigmoid",
            "γ (scale), tanh",
            "β (shift), tanh",
            "γ (scale), relu",
            "β (shift), relu"
        ],
        "every activation with BN before"
    );
    let actscope_plots::Panel::Lines(gamma) = &fig("bn_params").panels[0] else { panic!("a line panel") };
    assert!(gamma.series.iter().all(|s| s.label.starts_with("layer ") && s.color >= actscope_plots::palette::SEQUENCE));
}

/// A share's 95% band is clipped to [0, 1] (a dead fraction's reached 1.33 in the report).
#[test]
fn bands_of_shares_stay_within_zero_and_one() {
    use actscope_metrics::records::Record;
    let runs: Vec<Run> = experiment(|_, _| 0.85).runs.clone();
    let e = load_fake(&runs, |r| {
        let f = if r.config.seed % 2 == 0 { 0.0 } else { 1.0 };
        serde_json::to_string(&Record::Checkpoint(checkpoint(100, |_| (f, 1.0), Some(f)))).unwrap() + "\n"
    });
    let figs = actscope_lab::report::figures::for_runs(&e);
    for stem in ["dead_units", "saturation"] {
        let fig = &figs.iter().find(|(s, _)| *s == stem).unwrap_or_else(|| panic!("{stem}")).1;
        let bands: Vec<(f64, f64, f64)> = fig
            .panels
            .iter()
            .flat_map(|p| match p {
                actscope_plots::Panel::Lines(l) => l.series.iter().flat_map(|s| s.band.clone()).collect::<Vec<_>>(),
                _ => Vec::new(),
            })
            .collect();
        assert!(!bands.is_empty(), "{stem}");
        assert!(bands.iter().all(|b| (0.0..=1.0).contains(&b.1) && (0.0..=1.0).contains(&b.2)), "{stem}: {bands:?}");
        assert!(bands.iter().any(|b| b.1 == 0.0 && b.2 == 1.0), "{stem}: the t-interval reaches past both ends");
    }
}

/// `plot` and `analyze` on runs without sigmoid draw the histogram over time of the first activation present
/// (a user's ReLU model got none), with the share of values beyond the axis in each panel's title.
#[test]
fn runs_without_sigmoid_get_a_histogram_over_time() {
    use actscope_metrics::distribution::{Bins, Histogram};
    use actscope_metrics::records::Record;
    let runs: Vec<Run> =
        experiment(|_, _| 0.85).runs.into_iter().filter(|r| r.config.activation != Activation::Sigmoid).collect();
    let e = load_fake(&runs, |_| {
        let mut cp = checkpoint(100, |_| (0.1, 1.0), None);
        for l in &mut cp.layers {
            // Three of four values above the axis' 8.
            l.z_hist = Histogram::of([0.5, 9.0, 10.0, 11.0], Bins::Z);
        }
        serde_json::to_string(&Record::Checkpoint(cp)).unwrap() + "\n"
    });
    let figs = actscope_lab::report::figures::for_runs(&e);
    let fig = &figs.iter().find(|(s, _)| *s == "histogram_over_time").expect("drawn without sigmoid runs").1;
    let titles: Vec<&str> = fig.panels.iter().map(|p| p.title()).collect();
    assert!(!titles.is_empty() && titles.len() <= 4, "{titles:?}");
    assert!(titles[0].starts_with("tanh, BN none, layer 1"), "the first activation, first placement: {titles:?}");
    assert!(titles.iter().all(|t| t.ends_with(" · off the axis: ≤75% above")), "{titles:?}");
}

/// An undecided comparison whose unadjusted 95% interval lies on one side of 0 says why it is not
/// significant (a teacher: students read "the interval excludes 0, so it is significant").
#[test]
fn an_undecided_interval_on_one_side_of_zero_says_it_is_unadjusted() {
    let mut e = experiment(|_, _| 0.85);
    let (sigmoid, others) = ([0.008, 0.020, 0.030, 0.002, 0.012], [0.003, -0.002, 0.001, -0.004, 0.002]);
    for r in &mut e.runs {
        if r.config.placement == Placement::After {
            let d = if r.config.activation == Activation::Sigmoid { sigmoid } else { others };
            r.summary.test.as_mut().unwrap().accuracy += d[r.config.seed as usize];
        }
    }
    let runs: Vec<Run> = e.runs.clone();
    let c4 = claims::c4(&load_fake(&runs, |_| String::new()), None);
    let k = c4.comparisons.iter().find(|k| k.setting.starts_with("sigmoid")).unwrap();
    assert_eq!(k.outcome, Outcome::Unclear, "Holm over three comparisons: {}", k.p_claimed_adj);
    let p = k.power.as_ref().unwrap();
    assert!(p.ci_low > 0.0, "the unadjusted interval excludes 0: [{}, {}]", p.ci_low, p.ci_high);
    let lines = write::undecided(&c4);
    let line = lines.iter().find(|l| l.contains("sigmoid")).unwrap();
    assert!(
        line.contains(
            "This interval is not adjusted for the claim's other comparisons (Holm): it lies on one side of 0"
        ),
        "{line}"
    );
    let relu = lines.iter().find(|l| l.contains("relu")).unwrap();
    assert!(!relu.contains("not adjusted"), "{relu}");
}

/// An activation has one colour in every figure, whichever others a directory holds (a teacher: ReLU was
/// green in E1's learning curves and sky blue in E2's accuracy against depth).
#[test]
fn an_activation_has_the_same_colour_in_every_figure() {
    let colour_of = |e: &Experiment, stem: &str, label: &str| -> Vec<usize> {
        let figs = actscope_lab::report::figures::for_runs(e);
        let fig = &figs.iter().find(|(s, _)| *s == stem).unwrap_or_else(|| panic!("{stem} drawn")).1;
        fig.panels
            .iter()
            .flat_map(|p| match p {
                actscope_plots::Panel::Lines(l) => {
                    l.series.iter().filter(|s| s.label == label).map(|s| s.color).collect()
                }
                _ => Vec::new(),
            })
            .collect()
    };
    // Two evaluations on each set, so every curve has points.
    let evals = |_: Activation, _: Placement| -> String {
        ["train", "val", "test"].iter().map(|set| eval_records(set, &[(0, 0.5), (100, 0.5)])).collect()
    };
    let all = experiment_with(|_, _| 0.85, evals);
    let two = experiment_of(|_, _| 0.85, evals, |c| c.activation != Activation::Sigmoid);
    for e in [&all, &two] {
        for (label, colour) in [("relu", 2), ("tanh", 1)] {
            let got = colour_of(e, "learning_curves", label);
            // Three placements, and the two BN panels again, zoomed on the second half.
            assert_eq!(got, [colour; 5], "{label} in every placement's panel, with or without sigmoid");
            assert!(colour_of(e, "lr_sensitivity", label).iter().all(|&c| c == colour), "{label}");
        }
    }
}

/// Per-layer figures of a sample-dependent metric keep the probe-set checkpoints (first and last) apart from
/// the training-batch ones in between: lines through both showed ReLU units dying on 60-example batches
/// and coming back on the 1,000-example probe set. Layers take shades of the sequential ramp, never an
/// activation's colour.
#[test]
fn probe_set_checkpoints_are_dots_apart_from_the_batch_line() {
    use actscope_metrics::records::{MeasuredOn, Record};
    let records = |_: Activation, _: Placement| {
        let mut t = String::new();
        for (step, on, dead) in
            [(0, MeasuredOn::ProbeSet, 0.1), (50, MeasuredOn::TrainBatch, 0.3), (100, MeasuredOn::ProbeSet, 0.2)]
        {
            let mut cp = checkpoint(step, |_| (0.0, 1.0), Some(dead));
            cp.measured_on = on;
            t += &(serde_json::to_string(&Record::Checkpoint(cp)).unwrap() + "\n");
        }
        t
    };
    let e = experiment_with(|_, _| 0.85, records);
    let figs = actscope_lab::report::figures::for_runs(&e);
    let fig = &figs.iter().find(|(s, _)| *s == "dead_units").expect("drawn").1;
    let actscope_plots::Panel::Lines(l) = &fig.panels[0] else { panic!("a line panel") };
    let line = |label: &str| l.series.iter().find(|s| s.label == label && !s.no_line).expect(label);
    assert_eq!(line("layer 1").points, [(50.0, 0.3)], "the line joins the batch checkpoints only");
    let dots: Vec<&actscope_plots::Series> = l.series.iter().filter(|s| s.no_line && !s.points.is_empty()).collect();
    assert_eq!(dots.len(), 1, "one dot series per layer (the fake runs have one)");
    assert_eq!(dots[0].label, "layer 1, whole probe set", "named in the CSV");
    assert_eq!(dots[0].points, [(0.0, 0.1), (100.0, 0.2)]);
    assert_eq!(dots[0].color, line("layer 1").color, "in its layer's colour");
    assert!(
        l.series.iter().any(|s| s.no_line && s.label.starts_with("whole probe set")),
        "the legend says what dots are"
    );
    assert!(
        l.series.iter().filter(|s| !s.label.starts_with("whole")).all(|s| s.color >= actscope_plots::palette::SEQUENCE),
        "layers are shades, not activation colours"
    );
    // Runs measured on the probe set alone keep one line per layer.
    let only_probe = experiment_with(
        |_, _| 0.85,
        |_, _| {
            serde_json::to_string(&Record::Checkpoint(checkpoint(0, |_| (0.0, 1.0), Some(0.1)))).unwrap()
                + "\n"
                + &serde_json::to_string(&Record::Checkpoint(checkpoint(100, |_| (0.0, 1.0), Some(0.2)))).unwrap()
                + "\n"
        },
    );
    let figs = actscope_lab::report::figures::for_runs(&only_probe);
    let fig = &figs.iter().find(|(s, _)| *s == "dead_units").expect("drawn").1;
    let actscope_plots::Panel::Lines(l) = &fig.panels[0] else { panic!("a line panel") };
    assert!(l.series.iter().all(|s| !s.no_line), "no dots without batches");
}

/// The gradient-norm figure (log axis) shows the geometric mean over seeds with an interval on log10: the
/// arithmetic interval over a few seeds reached below 0, where the log axis dropped it.
#[test]
fn gradient_norms_are_geometric_means_with_log_intervals() {
    use actscope_metrics::records::Record;
    let runs: Vec<Run> = experiment(|_, _| 0.85).runs.clone();
    // Seeds 0..5 with norms spread over two orders of magnitude.
    let e = load_fake(&runs, |r| {
        let g = 10f64.powi(r.config.seed as i32 - 2);
        serde_json::to_string(&Record::Checkpoint(checkpoint(0, |_| (0.0, g), None))).unwrap() + "\n"
    });
    let figs = actscope_lab::report::figures::for_runs(&e);
    let fig = &figs.iter().find(|(s, _)| *s == "gradient_norms").expect("drawn").1;
    let actscope_plots::Panel::Lines(l) = &fig.panels[0] else { panic!("a line panel") };
    let s = &l.series[0];
    // log10 of the seeds' norms: −2 … 2, mean 0: geometric mean 1.
    assert!((s.points[0].1 - 1.0).abs() < 1e-9, "{:?}", s.points);
    assert!(s.band.iter().all(|b| b.1 > 0.0 && b.2 > b.1), "{:?}", s.band);
    assert!(fig.caption.contains("geometric mean over 5 seeds"), "{}", fig.caption);
}

/// Figures say over how many seeds their intervals are, and the heatmap gives each cell's seeds (a reviewer:
/// the cells rest on 5, 15 or 20 seeds, and a comparison's paired table can rank two cells the other way).
#[test]
fn figures_say_how_many_seeds_their_intervals_rest_on() {
    use actscope_metrics::records::Record;
    let evals = |_: Activation, _: Placement| {
        ["train", "val", "test"]
            .iter()
            .flat_map(|set| {
                [0, 100].map(|step| EvalPoint { step, epoch: 0.0, set: set.to_string(), loss: 1.0, accuracy: 0.5 })
            })
            .map(|e| serde_json::to_string(&Record::Eval(e)).unwrap() + "\n")
            .collect::<String>()
    };
    let e = experiment_with(|_, _| 0.85, evals);
    let figs = actscope_lab::report::figures::for_runs(&e);
    let fig = |stem: &str| &figs.iter().find(|(s, _)| *s == stem).unwrap_or_else(|| panic!("{stem}")).1;
    assert!(
        fig("learning_curves").caption.ends_with("; 95% intervals over 5 seeds per curve"),
        "{}",
        fig("learning_curves").caption
    );
    let actscope_plots::Panel::Heatmap(h) = &fig("accuracy_heatmap").panels[0] else { panic!("a heatmap") };
    let cells: Vec<&String> = h.annotations.as_ref().unwrap().iter().flatten().collect();
    assert!(cells.iter().all(|c| c.ends_with(", n 5")), "{cells:?}");
}

/// The verdict table says which way a claim's settings went (a teacher: "partly undecided" alone hides
/// which way the evidence leans).
#[test]
fn the_verdict_table_counts_the_settings_each_way() {
    let e = sigmoid_worse_and_tanh_at_the_margin();
    let c2 = claims::c2(&e, None);
    let n = |o: Outcome| c2.comparisons.iter().filter(|k| k.outcome == o).count();
    let expected =
        format!(" ({} for, {} against, {} open) |", n(Outcome::Supports), n(Outcome::Contradicts), n(Outcome::Unclear));
    let md = markdown_of(&c2);
    let row = md.lines().find(|l| l.starts_with("| C2 ")).expect("the verdict row");
    assert!(row.contains(&expected), "{row} / {expected}");
    assert_eq!(c2.comparisons.len(), n(Outcome::Supports) + n(Outcome::Contradicts) + n(Outcome::Unclear));
}

/// Each published result is set against the matching condition here and says how the setups differ:
/// Mishkin et al.'s "with BN" sigmoid/ReLU numbers are BN-after runs (they had been set against BN before),
/// and the Ioffe & Szegedy row names the re-run and this report's training length.
#[test]
fn published_results_are_set_against_the_matching_condition() {
    let acc = |a, p| match (a, p) {
        (Activation::Sigmoid, Placement::After) => 0.70,
        (Activation::Relu, Placement::After) => 0.80,
        _ => 0.60,
    };
    let e = experiment(acc);
    let lit = narrative::literature(&e, &e, &[], &c2_and_c4(claims::c2(&e, None), &e));
    let (published, here) = lit.iter().find(|(p, _)| p.starts_with("Mishkin")).unwrap();
    assert!(published.contains("with BN (after φ"), "{published}");
    assert!(here.contains("with BN after, sigmoid 0.700 vs ReLU 0.800"), "{here}");
    let (published, here) = lit.iter().find(|(p, _)| p.starts_with("Ioffe & Szegedy 2015, §4.1")).unwrap();
    assert!(published.contains("a public re-run with SGD at lr 0.5"), "{published}");
    assert!(here.contains(" steps of ") && here.contains("at the learning rate chosen on validation"), "{here}");
}

/// C5 gives what φ alone costs (E8 measures it; the report had not shown it): per activation, cheapest
/// first, and the largest share of a step its three hidden layers' φ take.
#[test]
fn c5_says_what_the_activation_alone_costs() {
    use actscope_lab::report::cost::StepTiming;
    let t = |activation, ms: f64, us: f64| StepTiming {
        activation,
        placement: Placement::None,
        ms_per_step: vec![ms, ms + 0.01, ms - 0.01],
        act_us: vec![us; 3],
    };
    let c5 =
        claims::c5(&[t(Activation::Relu, 1.0, 1.2), t(Activation::Sigmoid, 1.1, 4.5), t(Activation::Gelu, 1.5, 23.0)]);
    assert!(
        c5.method.contains("no BN, mean over rounds, cheapest first: relu 1.2 µs, sigmoid 4.5 µs, gelu 23.0 µs"),
        "{}",
        c5.method
    );
    // gelu: 3 × 23 µs of a 1.5 ms step.
    assert!(c5.method.ends_with("at most 4.6% of a training step"), "{}", c5.method);
}

/// A setting left out of a claim for lack of values on a side (C3's where every BN-after run diverged) is
/// named in the short answer. It was listed under the claim's table only, and the short answer read "Yes in
/// 4 of 7 settings" of a claim with 8.
#[test]
fn the_short_answer_names_the_settings_that_could_not_be_compared() {
    use actscope_metrics::records::Record;
    let run = |p: Placement, seed: u64| {
        let mut r = fake_run(Activation::Relu, p, seed, 0.8);
        r.config.steps = Some(100);
        r.summary.steps = 100;
        let dead = match p {
            Placement::None => 0.9 + 0.01 * seed as f64,
            _ => 0.1 + 0.01 * seed as f64,
        };
        if p == Placement::After {
            r.summary.status = actscope_lab::RunStatus::Diverged;
            r.summary.diverged_step = Some(10);
            r.summary.steps = 10;
        }
        r.records = [(0, 0.0), (r.summary.steps, dead)]
            .into_iter()
            .map(|(step, dead)| Record::Checkpoint(checkpoint(step, |_| (0.0, 1.0), Some(dead))))
            .collect();
        r
    };
    let runs: Vec<Run> = [Placement::None, Placement::Before, Placement::After]
        .into_iter()
        .flat_map(|p| (0..5).map(move |s| run(p, s)))
        .collect();
    let e3 = relu_e3(runs);
    let c3 = claims::c3(&e3);
    assert_eq!((c3.comparisons.len(), c3.skipped.len()), (1, 1), "{:?}", c3.skipped);
    let e1 = experiment(|_, _| 0.85);
    let mut set = c2_and_c4(claims::c2(&e1, None), &e1);
    set.c3 = c3;
    let q2 = narrative::answers(&set, &e1).remove(1).1;
    assert!(q2.starts_with("Yes. 1 more setting could not be compared (fewer than two values on a side): "), "{q2}");
    assert!(q2.contains("no BN vs BN after (5 of 10 runs left out: diverged; 0 of 5 seeds paired"), "{q2}");
}

/// C3's short answer gives each layer's dead fraction beside the mean over layers where they differ (by 5
/// points or more): a teacher found "units dead with BN before 32%" hid a layer at 75%. The layers are
/// averaged over the seeds the row pairs, as the mean is; layers that agree (90%, 90%) are not listed.
#[test]
fn c3_short_answer_gives_each_layer_beside_the_mean() {
    use actscope_metrics::records::Record;
    let run = |p: Placement, seed: u64| {
        let mut r = fake_run(Activation::Relu, p, seed, 0.8);
        r.config.steps = Some(100);
        r.summary.steps = 100;
        // Without BN both layers are 90% dead; with BN before, layer 1 is 0% and layer 2 60% (+ a seed's 1%).
        let (first, second) = match p {
            Placement::None => (0.9, 0.9),
            _ => (0.0, 0.6 + 0.01 * seed as f64),
        };
        r.records = [0, 100]
            .into_iter()
            .map(|step| {
                let mut cp = checkpoint(step, |_| (0.0, 1.0), Some(first));
                if let Some(d) = cp.layers[1].dead.as_mut() {
                    d.dead_fraction = second;
                }
                Record::Checkpoint(cp)
            })
            .collect();
        r
    };
    let runs: Vec<Run> =
        [Placement::None, Placement::Before].into_iter().flat_map(|p| (0..4).map(move |s| run(p, s))).collect();
    let e3 = relu_e3(runs);
    let c3 = claims::c3(&e3);
    let k = &c3.comparisons[0];
    let (none, bn) = k.by_layer.clone().expect("C3 rows carry their layers");
    assert_eq!(none, vec![0.9, 0.9]);
    assert_eq!(bn.len(), 2);
    assert_eq!(bn[0], 0.0);
    assert!((bn[1] - 0.615).abs() < 1e-12, "{bn:?}");
    let e1 = experiment(|_, _| 0.85);
    let mut set = c2_and_c4(claims::c2(&e1, None), &e1);
    set.c3 = c3;
    let q2 = narrative::answers(&set, &e1).remove(1).1;
    assert!(
        q2.contains("lr 0.1, initial bias 0: units dead with BN before 31% (by layer 0, 62%) vs 90% without"),
        "{q2}"
    );
}

/// C3's short answer says how the settings came out by placement where that differs: in a report, "yes in
/// 4 of 7 settings" hid that all four were BN before and BN after fixed none.
#[test]
fn c3_short_answer_splits_the_settings_by_placement() {
    use actscope_metrics::records::Record;
    let run = |p: Placement, seed: u64| {
        let mut r = fake_run(Activation::Relu, p, seed, 0.8);
        r.config.steps = Some(100);
        r.summary.steps = 100;
        // Without BN 90% dead; BN before revives them (1% a seed); BN after leaves them 90% ± 1%.
        let dead = match p {
            Placement::None => 0.9,
            Placement::Before => 0.01 * seed as f64,
            Placement::After => 0.9 + 0.01 * (seed as f64 - 1.5),
        };
        r.records =
            [0, 100].into_iter().map(|step| Record::Checkpoint(checkpoint(step, |_| (0.0, 1.0), Some(dead)))).collect();
        r
    };
    let places = [Placement::None, Placement::Before, Placement::After];
    let runs: Vec<Run> = places.into_iter().flat_map(|p| (0..4).map(move |s| run(p, s))).collect();
    let c3 = claims::c3(&relu_e3(runs));
    let outcomes: Vec<Outcome> = c3.comparisons.iter().map(|k| k.outcome).collect();
    assert_eq!(outcomes, vec![Outcome::Supports, Outcome::Unclear], "{:?}", c3.comparisons);
    let e1 = experiment(|_, _| 0.85);
    let mut set = c2_and_c4(claims::c2(&e1, None), &e1);
    set.c3 = c3;
    let q2 = narrative::answers(&set, &e1).remove(1).1;
    assert!(
        q2.contains("By placement: with BN before, yes in 1 of 1; with BN after, yes in 0 of 1 (not settled in 1). "),
        "{q2}"
    );
    // One placement only: the overall count says it all.
    let one: Vec<Run> = places[..2].iter().flat_map(|&p| (0..4).map(move |s| run(p, s))).collect();
    set.c3 = claims::c3(&relu_e3(one));
    assert!(!narrative::answers(&set, &e1).remove(1).1.contains("By placement"));
}

/// The comparison with Glorot & Bengio's Fig. 2 says when E4's sigmoid nets without BN ended at chance
/// level: their networks learned, and the report set "pushed towards 0, as in their figure" from runs that
/// had all ended at 0.100 beside C8, which sets the same runs aside as untrained.
#[test]
fn the_glorot_bengio_line_says_when_its_runs_did_not_learn() {
    use actscope_metrics::records::Record;
    let e4_of = |acc: &dyn Fn(u64) -> f64| {
        let runs: Vec<Run> = (0..5)
            .map(|seed| {
                let mut r = fake_run(Activation::Sigmoid, Placement::None, seed, acc(seed));
                r.records = [0, 100]
                    .into_iter()
                    .map(|step| Record::Checkpoint(checkpoint(step, |_| (0.0, 1.0), None)))
                    .collect();
                r
            })
            .collect();
        Experiment {
            name: "E4".into(),
            description: "fake".into(),
            runs,
            activations: vec![Activation::Sigmoid],
            groups: vec![],
            wall_seconds: 0.0,
        }
    };
    let e1 = experiment(|_, _| 0.85);
    let set = c2_and_c4(claims::c2(&e1, None), &e1);
    let line = |e4: &Experiment| {
        narrative::literature(&e1, e4, &[], &set)
            .into_iter()
            .find(|(theirs, _)| theirs.starts_with("Glorot & Bengio 2010, Fig. 2"))
            .unwrap()
            .1
    };
    let all = line(&e4_of(&|_| 0.1));
    assert!(
        all.contains("is 0% at the end. All 5 runs ended at chance level (test accuracy 0.100), unlike their networks"),
        "{all}"
    );
    let some = line(&e4_of(&|s| if s < 2 { 0.1 } else { 0.8 }));
    assert!(some.contains(" 2 of the 5 runs ended at chance level (C8 sets such runs aside)."), "{some}");
    let none = line(&e4_of(&|_| 0.8));
    assert!(!none.contains("chance level"), "{none}");
}

/// The winner's curse is measured on configurations that ran seeds beyond the selection seeds. With one
/// such configuration the methods said "no configuration ran seeds beyond the selection seeds"; with several,
/// the interval over configurations did not say that they share seeds.
#[test]
fn the_winners_curse_says_what_it_was_measured_on() {
    let lrs = [0.01, 0.1, 1.0];
    let sigmoid = [[0.870, 0.920, 0.900], [0.910, 0.880, 0.870], [0.905, 0.900, 0.915]];
    let mut runs = Vec::new();
    for seed in 0..3 {
        for (i, &lr) in lrs.iter().enumerate() {
            let relu = [0.85, 0.90, 0.895][i] + 0.001 * seed as f64;
            runs.push(fake_run_at(Activation::Sigmoid, Placement::Before, seed, lr, sigmoid[seed as usize][i]));
            runs.push(fake_run_at(Activation::Relu, Placement::Before, seed, lr, relu));
        }
    }
    // Later rounds: seeds 3 and 4 at the selected rate (0.1 for both), below the selection seeds' mean.
    let later =
        |act, accs: [f64; 2]| (3..5).map(move |s| fake_run_at(act, Placement::Before, s, 0.1, accs[s as usize - 3]));
    let one: Vec<Run> = runs.iter().cloned().chain(later(Activation::Sigmoid, [0.89, 0.89])).collect();
    let text = narrative::tuning(&load_fake(&one, |_| String::new()));
    assert!(
        text.contains("The winner's curse could be measured on one configuration only (the one that ran seeds beyond the selection seeds): its selected rate's validation accuracy is +1.00 pp higher"),
        "{text}"
    );
    let two: Vec<Run> = one.into_iter().chain(later(Activation::Relu, [0.88, 0.882])).collect();
    let text = narrative::tuning(&load_fake(&two, |_| String::new()));
    assert!(text.contains("Measured on the 2 configurations that ran seeds beyond the selection seeds"), "{text}");
    assert!(text.contains("they share their seeds, so it is too narrow by an unknown amount"), "{text}");
}

/// A per-seed robustness width is never negative; its interval over a few seeds' discrete widths reached
/// below 0 ("0.21 [-0.15, 0.56]").
#[test]
fn the_per_seed_width_interval_stays_at_or_above_zero() {
    let lrs = [0.01, 0.1, 1.0];
    let acc = [[0.80, 0.90, 0.80], [0.80, 0.90, 0.80], [0.80, 0.90, 0.895]];
    let runs: Vec<Run> = (0..3u64)
        .flat_map(|seed| {
            lrs.iter()
                .enumerate()
                .map(move |(i, &lr)| fake_run_at(Activation::Relu, Placement::Before, seed, lr, acc[seed as usize][i]))
        })
        .collect();
    let text = narrative::tuning(&load_fake(&runs, |_| String::new()));
    assert!(text.contains("0.33 [0.00, 1.77] over 3 seeds"), "{text}");
}

/// A layer whose gradient norm is exactly 0 has no logarithm and was silently left out of the gradient-norm
/// figure's geometric mean, whose caption still gave every seed.
#[test]
fn the_gradient_norm_caption_says_which_zero_norms_it_left_out() {
    let e = experiment_with(
        |_, _| 0.85,
        |a, p| {
            let zero = a == Activation::Relu && p == Placement::None;
            let cp = checkpoint(100, |i| (0.1, if zero && i == 0 { 0.0 } else { 1.0 }), None);
            checkpoint_line(cp)
        },
    );
    let figs = actscope_lab::report::figures::for_runs(&e);
    let caption = &figs.iter().find(|(s, _)| *s == "gradient_norms").unwrap().1.caption;
    assert!(
        caption.contains("layer norms of exactly 0 (no gradient reached the layer) have no logarithm"),
        "{caption}"
    );
    // One checkpoint per run: it is both the first and the end of training.
    assert!(
        caption.ends_with(": 5 for relu, BN none, at initialisation, 5 for relu, BN none, after training"),
        "{caption}"
    );
}

/// C2 is settled by "final accuracy and steps-to-target" (design.md); the method now describes the second:
/// each configuration's median steps to the speed target, a run that never reached it counting as later.
#[test]
fn c2_describes_the_steps_to_the_target() {
    let e = experiment_with(
        |_, _| 0.85,
        |a, _| {
            // relu reaches 0.8 at step 100, sigmoid at 200, tanh never.
            let acc = match a {
                Activation::Relu => [0.5, 0.8, 0.85, 0.86],
                Activation::Sigmoid => [0.5, 0.7, 0.81, 0.85],
                _ => [0.5, 0.6, 0.7, 0.75],
            };
            eval_records("val", &[(0, acc[0]), (100, acc[1]), (200, acc[2]), (300, acc[3])])
        },
    );
    let c2 = claims::c2(&e, None);
    assert!(
        c2.method.ends_with("described and not tested — the verdict rests on final accuracy: BN before: sigmoid 200, tanh not reached (5 of 5 runs never reached it), relu 100; BN after: sigmoid 200, tanh not reached (5 of 5 runs never reached it), relu 100"),
        "{}",
        c2.method
    );
}

/// A median over an even count of seeds that falls between two evaluations is printed as it is (166.5 had
/// printed as 166, and 129.5 as 130).
#[test]
fn c2_prints_a_median_step_between_two_evaluations_as_it_is() {
    let mut runs = Vec::new();
    for act in [Activation::Sigmoid, Activation::Tanh, Activation::Relu] {
        for p in [Placement::None, Placement::Before, Placement::After] {
            runs.extend((0..4).map(|seed| fake_run(act, p, seed, 0.85)));
        }
    }
    // Seeds 0 and 1 reach 0.8 at step 100, seeds 2 and 3 at step 233: the median is 166.5.
    let e = load_fake(&runs, |r| {
        let at_100 = if r.config.seed < 2 { 0.85 } else { 0.6 };
        eval_records("val", &[(0, 0.5), (100, at_100), (233, 0.85)])
    });
    let c2 = claims::c2(&e, None);
    assert!(
        c2.method.contains("BN before: sigmoid 166.5, tanh 166.5, relu 166.5; BN after: sigmoid 166.5"),
        "{}",
        c2.method
    );
}

/// The convergence paragraph gives each configuration's gain over the last quarter with its interval over
/// seeds (it gave the mean alone).
#[test]
fn the_convergence_gain_comes_with_its_interval() {
    let e = experiment_with(|_, _| 0.85, |_, _| eval_records("val", &[(0, 0.5), (75, 0.84), (100, 0.85)]));
    let text = narrative::convergence(&e);
    // Every seed gains 0.01 (the records are the same for all seeds): an interval of zero width.
    assert!(text.contains("relu/before +1.0 pp [+1.0, +1.0]"), "{text}");
    assert!(text.contains("mean over seeds with its 95% interval"), "{text}");
}

/// E3's dead-unit figure keeps the panel of a setting whose runs all diverged, saying so: it was dropped,
/// and the grid's later columns no longer meant none / before / after. Each title gives its runs.
#[test]
fn the_dead_unit_grid_keeps_a_panel_whose_runs_all_diverged() {
    let mut runs = Vec::new();
    for p in [Placement::None, Placement::Before, Placement::After] {
        for seed in 0..3 {
            let mut r = fake_run(Activation::Relu, p, seed, 0.8);
            r.config.bias_init = Some(0.0);
            if p == Placement::After || (p == Placement::Before && seed == 0) {
                r.summary.status = actscope_lab::RunStatus::Diverged;
                r.summary.diverged_step = Some(10);
            }
            runs.push(r);
        }
    }
    // A second setting with one run, without BN only: its other placements keep their (empty) panels.
    let mut one = fake_run_at(Activation::Relu, Placement::None, 0, 1.0, 0.8);
    one.config.bias_init = Some(0.0);
    runs.push(one);
    let e = load_fake(&runs, |_| checkpoint_line(checkpoint(100, |_| (0.0, 1.0), Some(0.5))));
    let figs = actscope_lab::report::figures::for_runs(&e);
    let fig = &figs.iter().find(|(s, _)| *s == "dead_units").expect("drawn").1;
    let titles: Vec<&str> = fig.panels.iter().map(|p| p.title()).collect();
    assert_eq!(
        titles,
        [
            "relu, lr 0.1, bias 0, BN none (3 runs)",
            "relu, lr 0.1, bias 0, BN before (2 of 3 runs, 1 diverged)",
            "relu, lr 0.1, bias 0, BN after (all 3 runs diverged)",
            "relu, lr 1, bias 0, BN none (1 run)",
            "relu, lr 1, bias 0, BN before (no runs)",
            "relu, lr 1, bias 0, BN after (no runs)"
        ]
    );
    let actscope_plots::Panel::Lines(after) = &fig.panels[2] else { panic!("a line panel") };
    assert!(after.series.iter().all(|s| s.points.is_empty()), "drawn as no data");
}

/// One configuration at chance level spent the accuracy heatmap's whole colour scale, and the cells that
/// C2 and C4 compare, a point apart, took one colour. The scale now spans the top 10 points.
#[test]
fn the_accuracy_heatmap_colours_the_compared_cells_apart() {
    let e = experiment(|a, p| match (a, p) {
        (Activation::Sigmoid, Placement::None) => 0.357,
        (Activation::Relu, _) => 0.82,
        _ => 0.80,
    });
    let figs = actscope_lab::report::figures::for_runs(&e);
    let fig = &figs.iter().find(|(s, _)| *s == "accuracy_heatmap").expect("drawn").1;
    let actscope_plots::Panel::Heatmap(h) = &fig.panels[0] else { panic!("a heatmap") };
    let (lo, hi) = h.value_range.expect("a range");
    assert!((lo - 0.72).abs() < 1e-9 && (hi - 0.82).abs() < 1e-9, "{lo} {hi}");
    assert!(
        fig.caption.ends_with("(0.720 to 0.820), so that the compared cells differ in colour; cells below take its lowest colour and are marked ↓: sigmoid, BN none: 0.357"),
        "{}",
        fig.caption
    );
    // Marked in the figure too, which `actscope plot` users read without the caption: that cell only.
    let marked: Vec<&String> = h.annotations.iter().flatten().flatten().filter(|a| a.ends_with(" ↓")).collect();
    assert_eq!(marked.len(), 1, "{:?}", h.annotations);
    assert!(marked[0].starts_with("0.357"), "{}", marked[0]);
    assert_eq!(h.title, "final test accuracy (↓: below the colour scale, 0.720)", "the mark is explained in the image");
    let close = experiment(|_, _| 0.8);
    let figs = actscope_lab::report::figures::for_runs(&close);
    let fig = &figs.iter().find(|(s, _)| *s == "accuracy_heatmap").expect("drawn").1;
    let actscope_plots::Panel::Heatmap(h) = &fig.panels[0] else { panic!("a heatmap") };
    assert_eq!(h.value_range, None, "cells within the span keep the data's own range");
    assert_eq!(h.title, "final test accuracy", "nothing marked, nothing to explain");
}

/// The γ/β figure shares one y-range per column: all γ panels one, all β panels another. Each panel had its
/// own, so sigmoid's β of ±0.0014 looked as large as ReLU's of 0.02.
#[test]
fn bn_parameter_panels_share_a_y_range_per_column() {
    use actscope_metrics::records::BnParams;
    let e = experiment_with(
        |_, _| 0.85,
        |a, p| {
            let (gamma, beta) = match a {
                Activation::Sigmoid => (1.1, 0.0014),
                Activation::Tanh => (1.2, -0.005),
                _ => (1.5, 0.02),
            };
            let mut t = String::new();
            for (step, k) in [(0, 0.0), (100, 1.0)] {
                let mut cp = checkpoint(step, |_| (0.1, 1.0), None);
                for l in &mut cp.layers {
                    l.bn = (p != Placement::None).then_some(BnParams {
                        gamma_mean: 1.0 + k * (gamma - 1.0),
                        gamma_std: 0.0,
                        beta_mean: k * beta,
                        beta_std: 0.0,
                    });
                }
                t += &(checkpoint_line(cp));
            }
            t
        },
    );
    let figs = actscope_lab::report::figures::for_runs(&e);
    let fig = &figs.iter().find(|(s, _)| *s == "bn_params").expect("drawn").1;
    assert_eq!(fig.columns, 2);
    let ranges: Vec<(f64, f64)> = fig
        .panels
        .iter()
        .map(|p| match p {
            actscope_plots::Panel::Lines(l) => l.y_range.expect("a shared range"),
            _ => panic!("line panels"),
        })
        .collect();
    assert_eq!(ranges.len(), 6, "γ and β of three activations");
    let (gamma, beta) = (ranges[0], ranges[1]);
    assert!(ranges.iter().step_by(2).all(|r| *r == gamma), "one γ range: {ranges:?}");
    assert!(ranges.iter().skip(1).step_by(2).all(|r| *r == beta), "one β range: {ranges:?}");
    assert!(gamma.0 <= 1.0 && gamma.1 >= 1.5, "γ from 1 to ReLU's 1.5: {gamma:?}");
    assert!(beta.0 <= -0.005 && beta.1 >= 0.02 && beta.1 < 0.03, "β to ReLU's 0.02: {beta:?}");
    let titles: Vec<&str> = fig.panels.iter().map(|p| p.title()).collect();
    assert_eq!(titles[..2], ["γ (scale), sigmoid", "β (shift), sigmoid"], "row order kept");
}

/// The learning curves repeat the BN panels over the second half of training on a fitted y-axis: on the
/// full axis, from chance on, the BN curves ended within a few points of each other and could not be told
/// apart.
#[test]
fn learning_curves_zoom_the_bn_panels_on_the_second_half() {
    let e = experiment_with(
        |_, _| 0.85,
        |a, _| eval_records("test", &[(0, 0.1), (50, 0.7), (100, if a == Activation::Relu { 0.82 } else { 0.80 })]),
    );
    let figs = actscope_lab::report::figures::for_runs(&e);
    let fig = &figs.iter().find(|(s, _)| *s == "learning_curves").expect("drawn").1;
    let titles: Vec<&str> = fig.panels.iter().map(|p| p.title()).collect();
    assert_eq!(
        titles,
        ["BN none", "BN before", "BN after", "BN before: second half, zoomed", "BN after: second half, zoomed"]
    );
    let actscope_plots::Panel::Lines(z) = &fig.panels[3] else { panic!("a line panel") };
    assert!(z.series.iter().flat_map(|s| &s.points).all(|q| q.0 >= 50.0), "the second half only");
    let (lo, hi) = z.y_range.expect("one fitted range for the zoomed panels");
    assert!(lo > 0.6 && hi < 0.9, "fitted to the second half, not from chance: {lo} {hi}");
    assert!(fig.caption.contains("the lower panels repeat the BN panels over the second half of training"));
    // Runs with BN only (`plot --where placement=before`, say) keep the second half: it shows another part of
    // training (a skip meant for the learning-rate zoom of every panel had dropped it).
    let runs: Vec<Run> = e.runs.iter().filter(|r| r.config.placement != Placement::None).cloned().collect();
    let bn = load_fake(&runs, |r| {
        eval_records(
            "test",
            &[(0, 0.1), (50, 0.7), (100, if r.config.activation == Activation::Relu { 0.82 } else { 0.80 })],
        )
    });
    let figs = actscope_lab::report::figures::for_runs(&bn);
    let fig = &figs.iter().find(|(s, _)| *s == "learning_curves").expect("drawn").1;
    let titles: Vec<&str> = fig.panels.iter().map(|p| p.title()).collect();
    assert_eq!(titles, ["BN before", "BN after", "BN before: second half, zoomed", "BN after: second half, zoomed"]);
}

/// The learning-rate figure repeats the BN panels on a y-axis fitted to them: on the axis shared with the
/// panel without BN (from chance to the best) the BN curves, a few points apart at the top, were one line.
#[test]
fn the_learning_rate_figure_zooms_the_bn_panels() {
    let mut e = experiment(|a, p| if a == Activation::Sigmoid && p == Placement::None { 0.1 } else { 0.8 });
    // Every configuration also tried a rate at which it diverged (scored 0), as the bracketed grid's largest.
    for g in &mut e.groups {
        g.lr_sensitivity.push((10.0, actscope_metrics::stats::describe(&[0.0, 0.0, 0.0])));
    }
    let figs = actscope_lab::report::figures::for_runs(&e);
    let fig = &figs.iter().find(|(s, _)| *s == "lr_sensitivity").expect("drawn").1;
    let titles: Vec<&str> = fig.panels.iter().map(|p| p.title()).collect();
    assert_eq!(titles, ["BN none", "BN before", "BN after", "BN before, zoomed", "BN after, zoomed"]);
    let actscope_plots::Panel::Lines(z) = &fig.panels[3] else { panic!("a line panel") };
    let (lo, hi) = z.y_range.expect("one fitted range for the zoomed panels");
    assert!(lo > 0.6 && hi < 0.85, "near the best, not down to the diverged rate's 0: {lo} {hi}");
    assert!(fig.caption.contains("the lower panels repeat the BN panels on a y-axis fitted to them"));
}

/// C2's short answer says when its "yes" settings compare with a ReLU that lost at that placement: a
/// teacher found "yes in 2 of 4" came from BN after costing ReLU 1.4 points, said nowhere near the answer.
#[test]
fn the_short_answer_says_when_a_yes_comes_from_relu_losing() {
    let e = experiment(|a, p| match (a, p) {
        (Activation::Relu, Placement::Before) => 0.83,
        (_, Placement::None) => 0.75,
        _ => 0.80,
    });
    let q1 = narrative::answers(&c2_and_c4(claims::c2(&e, None), &e), &e).remove(0).1;
    assert!(
        q1.contains("The settings that came out yes with BN after (sigmoid vs relu, tanh vs relu) compare with a ReLU that itself scored 0.800 there, against 0.830 with BN before: sigmoid and tanh came close"),
        "{q1}"
    );
    // Only the settings that came out yes are named (it had said "the settings … sigmoid and tanh" where
    // tanh alone had).
    let one = experiment(|a, p| match (a, p) {
        (Activation::Relu, Placement::Before) => 0.83,
        (Activation::Sigmoid, Placement::After) => 0.70,
        (_, Placement::None) => 0.75,
        _ => 0.80,
    });
    let q1 = narrative::answers(&c2_and_c4(claims::c2(&one, None), &one), &one).remove(0).1;
    assert!(
        q1.contains("The setting that came out yes with BN after (tanh vs relu) compares with a ReLU that itself scored 0.800 there, against 0.830 with BN before: tanh came close"),
        "{q1}"
    );
    // The verdict ends the answer, as the reading guide says (the ease-of-tuning sentence had followed it).
    let tail = q1.split("Verdict on C2: ").nth(1).expect("a verdict");
    assert!(tail.ends_with('.') && !tail.contains(". ") && q1.contains(" decades"), "{q1}");
    let even = experiment(|_, p| if p == Placement::None { 0.75 } else { 0.80 });
    let q1 = narrative::answers(&c2_and_c4(claims::c2(&even, None), &even), &even).remove(0).1;
    assert!(!q1.contains("came out yes with BN"), "{q1}");
}

/// C3's method says a negative β after BN is not the stress the same bias is without BN (a teacher: β = -1
/// on standardised pre-activations kills no unit at step 0, while the bias without BN silenced layers).
#[test]
fn c3_says_beta_after_bn_is_not_the_same_stress() {
    let runs: Vec<Run> = [Placement::None, Placement::Before]
        .into_iter()
        .flat_map(|p| {
            (0..3).map(move |seed| {
                let mut r = fake_run(Activation::Relu, p, seed, 0.8);
                r.config.bias_init = Some(-1.0);
                r
            })
        })
        .collect();
    let e3 = load_fake(&runs, |_| String::new());
    let c3 = claims::c3(&e3);
    assert!(c3.method.contains("the same constant shift at initialisation, but not the same stress"), "{}", c3.method);
    assert!(c3.method.contains("(with β = -1, 16% of them stay positive)"), "{}", c3.method);
}

/// E1's numbers come from the seeds after those that chose the learning rates: the summary leaves the
/// selection seeds out of `selected` once later seeds ran, and so out of every look of C2 and C4 (they had
/// stayed in every look, carrying their selection's optimism into the tests).
#[test]
fn the_seeds_that_chose_the_rates_are_judged_on_by_nothing() {
    use actscope_metrics::sequential::{Design, Spending};
    let mut runs = Vec::new();
    for seed in 0..3 {
        for (lr, after, before) in [(0.01, 0.80, 0.80), (0.1, 0.95, 0.90)] {
            runs.push(fake_run_at(Activation::Sigmoid, Placement::After, seed, lr, after));
            runs.push(fake_run_at(Activation::Sigmoid, Placement::Before, seed, lr, before));
        }
    }
    // Seeds judged on, at the selected rate: BN before is the better one there.
    for seed in 3..7 {
        let noise = 0.0005 * (seed % 2) as f64;
        runs.push(fake_run_at(Activation::Sigmoid, Placement::After, seed, 0.1, 0.900 + noise));
        runs.push(fake_run_at(Activation::Sigmoid, Placement::Before, seed, 0.1, 0.902 + 2.0 * noise));
    }
    let e = load_fake(&runs, |_| String::new());
    let seeds = |e: &Experiment, p: Placement| {
        let runs = e.selected(|c: &RunConfig| c.activation == Activation::Sigmoid && c.placement == p);
        runs.iter().map(|r| r.config.seed).collect::<Vec<u64>>()
    };
    // The summary leaves the choosing seeds out once later seeds ran (so `actscope plot` and `summarize`
    // agree with the report); before any later seed ran, the choosing seeds are all there is (and the
    // report's first round judges nothing on them).
    assert_eq!(seeds(&e, Placement::After), vec![3, 4, 5, 6]);
    let choosing_only: Vec<Run> = runs.iter().filter(|r| r.config.seed < 3).cloned().collect();
    let before_later = load_fake(&choosing_only, |_| String::new());
    assert_eq!(seeds(&before_later, Placement::After), vec![0, 1, 2]);
    assert_eq!(e.seeds_per_configuration(), Some((4, 4)));
    let rounds =
        claims::Rounds { design: Design::new(0.05, Spending::OBrienFleming, 4), first_seed: 3, looks: vec![4] };
    let c4 = claims::c4(&e, Some(&rounds));
    let k = &c4.comparisons[0];
    assert_eq!(k.seeds, vec![3, 4, 5, 6]);
    assert_eq!(k.sequential.as_ref().map(|s| s.looks.clone()), Some(vec![Some(4)]));
    assert!(k.a.iter().zip(&k.b).all(|(a, b)| a < b), "after below before on every seed judged on: {k:?}");
    // C2 reads the same seeds (sigmoid against ReLU, both placements).
    let mut with_relu = runs.clone();
    for seed in 0..7 {
        for p in [Placement::After, Placement::Before] {
            with_relu.push(fake_run_at(Activation::Relu, p, seed, 0.1, 0.9));
        }
    }
    let e = load_fake(&with_relu, |_| String::new());
    let c2 = claims::c2(&e, Some(&rounds));
    let sigmoid: Vec<&Comparison> = c2.comparisons.iter().filter(|k| k.setting.contains("sigmoid")).collect();
    assert_eq!(sigmoid.len(), 2);
    assert!(sigmoid.iter().all(|k| k.seeds == [3, 4, 5, 6] && k.a.iter().all(|&a| a < 0.91)), "{sigmoid:?}");
}
