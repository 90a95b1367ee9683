//! Fair tuning: a grid whose optimum lies outside it is extended until the optimum is bracketed.

use actscope_core::EvalPoint;
use actscope_lab::summarize::{LoadedRun, summarize};
use actscope_lab::tuning::{Bracket, MAX_EXTENSIONS, extensions, extensions_noted, two_digits, width_decades};
use actscope_lab::{RunConfig, RunStatus, RunSummary};

/// A finished run whose validation accuracy is `val(lr)` (a seed adds a little noise).
fn run(lr: f64, seed: u64, val: &dyn Fn(f64) -> f64) -> LoadedRun {
    let mut config = RunConfig::from_toml("hidden = [10]", "t").unwrap();
    config.lr = lr;
    config.seed = seed;
    let acc = val(lr) + 0.001 * seed as f64;
    let point = |set: &str| EvalPoint { step: 100, epoch: 1.0, set: set.into(), loss: 0.5, accuracy: acc };
    let summary = RunSummary {
        schema: 1,
        id: config.id(),
        name: config.dir_name(),
        status: RunStatus::Ok,
        diverged_step: None,
        steps: 100,
        train: Some(point("train")),
        val: Some(point("val")),
        test: Some(point("test")),
        steps_to_target: vec![None; 4],
        wall_seconds: 1.0,
        data: "synthetic".into(),
        data_checksum: "0".into(),
        classes: 10,
        trained_classes: 10,
        code: actscope_lab::run::CODE.into(),
        records_sha256: String::new(),
    };
    LoadedRun { dir: config.dir_name().into(), config, summary }
}

#[test]
fn an_optimum_below_the_grid_is_found_by_extending_it() {
    // Accuracy peaks at lr = 0.03, below the grid 0.1, 0.3, 1.
    let val = |lr: f64| 0.9 - 0.05 * (lr.log10() - 0.03f64.log10()).powi(2);
    let grid = [0.1, 0.3, 1.0];
    let seeds = [0u64, 1, 2];
    let mut runs: Vec<LoadedRun> = grid.iter().flat_map(|&lr| seeds.iter().map(move |&s| run(lr, s, &val))).collect();
    assert_eq!(summarize(&runs)[0].bracket, Bracket::LowEdge);
    let mut steps = 0;
    loop {
        let more = extensions(&summarize(&runs), &grid, &seeds);
        if more.is_empty() {
            break;
        }
        steps += 1;
        assert!(steps <= MAX_EXTENSIONS, "extensions stop at the limit");
        runs.extend(more.iter().map(|c| run(c.lr, c.seed, &val)));
    }
    let g = &summarize(&runs)[0];
    let tried: Vec<f64> = g.lr_scores.iter().map(|p| p.0).collect();
    assert_eq!(tried, vec![0.01, 0.032, 0.1, 0.3, 1.0], "the grid's ratio (≈3.16), rounded to two digits");
    assert_eq!((g.selected_lr, g.bracket), (0.032, Bracket::Interior));
    // Both neighbours are more than 1 pp below the peak (0.886 and 0.889 vs 0.9): a narrow optimum.
    assert_eq!((g.lr_width_decades, g.lr_width_by_seed.n), (0.0, 3));
}

/// An extreme grid's ratio carried the next rate past f32's range (or to 0 there): the extension run was
/// refused only when `sweep --bracket` trained it, with an error naming a run the user never asked for. The
/// configuration now stays at its edge with a note saying why.
#[test]
fn a_rate_beyond_f32_is_not_an_extension_but_a_note() {
    let grid = [1e-30, 1e30];
    for (edge, val) in [
        (Bracket::HighEdge, (|lr: f64| 0.5 + 0.001 * lr.log10()) as fn(f64) -> f64),
        (Bracket::LowEdge, |lr| 0.5 - 0.001 * lr.log10()),
    ] {
        let runs: Vec<LoadedRun> = grid.iter().map(|&lr| run(lr, 0, &val)).collect();
        let groups = summarize(&runs);
        assert_eq!(groups[0].bracket, edge);
        let (more, notes) = extensions_noted(&groups, &grid, &[0]);
        assert!(more.is_empty(), "{more:?}");
        assert_eq!(notes.len(), 1, "{notes:?}");
        // The rate the grid's ratio (1e60) gives, rounded to two digits.
        let why = if edge == Bracket::HighEdge {
            "would be 1e90 (invalid lr: 1e90 is beyond the range of f32, in which the network computes"
        } else {
            "would be 1e-90 (invalid lr: 1e-90 rounds to 0 in f32, in which the network computes"
        };
        let note = &notes[0];
        assert!(
            note.contains("stays at the edge of its learning-rate grid: the next rate beyond it would be"),
            "{note}"
        );
        assert!(note.contains("(invalid lr: ") && note.contains(why), "{note}");
        assert!(extensions(&groups, &grid, &[0]).is_empty());
    }
}

#[test]
fn an_optimum_beyond_the_limit_is_left_marked_at_the_edge() {
    let val = |lr: f64| 0.5 + 0.1 * lr.log10(); // ever better with larger rates
    let grid = [0.01, 0.1];
    let mut runs: Vec<LoadedRun> = grid.iter().map(|&lr| run(lr, 0, &val)).collect();
    loop {
        let more = extensions(&summarize(&runs), &grid, &[0]);
        if more.is_empty() {
            break;
        }
        runs.extend(more.iter().map(|c| run(c.lr, c.seed, &val)));
    }
    let g = &summarize(&runs)[0];
    assert_eq!(g.lr_scores.len(), grid.len() + MAX_EXTENSIONS);
    assert_eq!(g.bracket, Bracket::HighEdge);
}

#[test]
fn robustness_is_the_contiguous_range_within_one_point_of_the_best() {
    let scores = [(0.001, 0.80), (0.01, 0.895), (0.1, 0.90), (1.0, 0.889), (10.0, 0.895)];
    assert!((width_decades(&scores) - 1.0).abs() < 1e-12, "0.01 … 0.1; 1.0 is 1.1 pp below, so 10 does not count");
    assert_eq!(two_digits(0.0031622), 0.0032);
    assert_eq!(two_digits(3.1622), 3.2);
    // Where 10^k is not exact in f64 (1e-90 came out 9.999999999999998e-91, 1e90 as 1.0000000000000003e90).
    assert_eq!((two_digits(1.0000001e-90), two_digits(0.99999e90), two_digits(316.2)), (1e-90, 1e90, 320.0));
    // Halves away from zero on either side of 100, as they always were (125 had become 120, ties to even).
    assert_eq!((two_digits(1.25), two_digits(125.0), two_digits(1050.0)), (1.3, 130.0, 1100.0));
}

/// Two rates whose mean validation accuracies agree exactly (counts over one validation set) are a tie,
/// which goes to the smaller rate, whatever the last bit of the summation says (a statistician found
/// relu/before's 0.0032 and 0.01 at 4.224 and 4.223999999999999 over 5 seeds, the rule kept by luck).
#[test]
fn a_tie_in_validation_accuracy_goes_to_the_smaller_rate_whatever_the_rounding() {
    let with = |lr: f64, accs: [f64; 5]| -> Vec<LoadedRun> {
        accs.iter()
            .enumerate()
            .map(|(seed, &acc)| {
                let mut r = run(lr, seed as u64, &|_| 0.0);
                r.summary.val.as_mut().unwrap().accuracy = acc;
                r
            })
            .collect()
    };
    // The same five accuracies in two orders: summed in seed order, the first gives 4.224 and the second
    // 4.223999999999999.
    let larger = [0.845, 0.844, 0.843, 0.848, 0.844];
    let smaller = [0.844, 0.843, 0.848, 0.844, 0.845];
    assert!(larger.iter().sum::<f64>() > smaller.iter().sum::<f64>(), "the rounding this test is about");
    let mut runs = with(0.01, larger);
    runs.extend(with(0.0032, smaller));
    assert_eq!(summarize(&runs)[0].selected_lr, 0.0032);
}

/// A configuration's numbers are over the seeds at the chosen rate that did not choose it, once there are
/// any (the report's rounds run them; a user can too): on the choosing seeds the chosen rate scores too well.
/// Without later seeds the summary says its numbers are the choosing seeds', and with one rate nothing was
/// chosen.
#[test]
fn numbers_leave_out_the_seeds_that_chose_the_rate() {
    use actscope_lab::summarize::JudgedOn;
    let val = |lr: f64| if lr == 0.1 { 0.9 } else { 0.8 };
    let mut runs: Vec<LoadedRun> = [0.01, 0.1].iter().flat_map(|&lr| (0..3).map(move |s| run(lr, s, &val))).collect();
    let g = &summarize(&runs)[0];
    assert_eq!((g.judged_on, g.n, g.seeds.clone()), (JudgedOn::ChoosingSeeds, 3, vec![0, 1, 2]));
    // Later seeds at the chosen rate, a little worse than the choosing seeds' luck.
    runs.extend((3..6).map(|s| run(0.1, s, &|_| 0.85)));
    let g = &summarize(&runs)[0];
    assert_eq!((g.judged_on, g.n, g.seeds.clone()), (JudgedOn::LaterSeeds, 3, vec![3, 4, 5]));
    assert!((g.val.mean - (0.85 + 0.004)).abs() < 1e-12, "{}", g.val.mean);
    assert_eq!((g.selected_lr, g.lr_scores.len()), (0.1, 2), "the choice itself stays on the choosing seeds");
    let one: Vec<LoadedRun> = (0..3).map(|s| run(0.1, s, &val)).collect();
    assert_eq!(summarize(&one)[0].judged_on, JudgedOn::OneRate);
    // A grid with a run missing (unfinished or lost) is incomplete, not extended: every seed at the chosen
    // rate counts (seed 1 missing at 0.01 had made seed 1 the only "later" seed).
    let holey: Vec<LoadedRun> = [0.01, 0.1]
        .iter()
        .flat_map(|&lr| (0..4).map(move |s| run(lr, s, &val)))
        .filter(|r| !(r.config.lr == 0.01 && r.config.seed == 1))
        .collect();
    let g = &summarize(&holey)[0];
    assert_eq!((g.judged_on, g.seeds.clone()), (JudgedOn::ChoosingSeeds, vec![0, 1, 2, 3]));
    // Rates on disjoint seeds are scored on their own seeds (each had scored 0, and the smaller rate was taken
    // whatever the accuracies).
    let apart: Vec<LoadedRun> = vec![run(0.01, 0, &val), run(0.01, 1, &val), run(0.1, 2, &val), run(0.1, 3, &val)];
    let g = &summarize(&apart)[0];
    assert_eq!((g.judged_on, g.selected_lr), (JudgedOn::NoCommonSeeds, 0.1));
    assert_eq!(g.lr_sensitivity.len(), 2, "both rates on their own seeds");
    assert!(g.lr_scores.iter().all(|&(_, score)| score > 0.5), "{:?}", g.lr_scores);
}

/// Chance level is one over the classes the training set holds, not the largest label plus one: a run on
/// labels 0 and 2 at 0.5075 test accuracy is at chance (1/2), which 1/3 + 0.05 had called learned.
#[test]
fn chance_is_one_over_the_classes_trained_on() {
    let mut r = run(0.1, 0, &|_| 0.5075);
    (r.summary.classes, r.summary.trained_classes) = (3, 2);
    assert_eq!(r.summary.chance(), Some(0.5));
    assert!(r.summary.failed_to_learn(), "labels 0 and 2: chance 1/2");
    r.summary.trained_classes = 0;
    assert!(!r.summary.failed_to_learn(), "where unrecorded, 1/classes as before");
    r.summary.classes = 0;
    assert_eq!((r.summary.chance(), r.summary.failed_to_learn()), (None, false));
}
