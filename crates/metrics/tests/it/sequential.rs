//! Group-sequential testing: boundaries against published tables, the Holm passing rule on hand-made
//! cases, and simulations of the whole procedure on data like this project's (per-seed test accuracy,
//! sd 0.005–0.01, rounds of 5 seeds up to a cap of 20–30).
//!
//! Error-rate assertions use `rate ≤ 0.05 + 3·SE`, SE = √(0.05·0.95/N): a procedure whose true rate is
//! exactly 5% fails it with probability ≈ 0.13% (normal approximation to the binomial), while naive
//! repeated testing (13.6% here) fails it with certainty, as `naive_repeated_testing_inflates_the_error`
//! shows. Every simulation is seeded, so the numbers are reproducible; run with `--nocapture` to see them.

use actscope_metrics::sequential::{
    Decision, Design, Effect, Look, LookLevels, SequentialError, Spending, Spread, crossing_probabilities, decide,
    decide_in_rounds, detectable, fixed_n, power_at, spending_boundaries,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ALPHA: f64 = 0.05;
/// Non-inferiority margin used throughout: the claim is "a − b > −0.01".
const M: f64 = -0.01;

/// A design with [`LookLevels::Correlated`] boundaries, which most tests here (and the numbers of
/// docs/statistics.md §5.1) use; `Design::new` gives Bonferroni looks.
fn correlated(alpha: f64, spending: Spending, n_max: usize) -> Design {
    Design { looks: LookLevels::Correlated, ..Design::new(alpha, spending, n_max) }
}

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A standard normal sample (Box–Muller).
fn normal(r: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - r.random::<f64>();
    let u2: f64 = r.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// The C with `∑ crossing_probabilities(t, C·shape(t)) = level`, by bisection.
fn constant(k: usize, level: f64, shape: impl Fn(f64) -> f64) -> f64 {
    let t: Vec<f64> = (1..=k).map(|i| i as f64 / k as f64).collect();
    let total = |c: f64| -> f64 {
        let z: Vec<f64> = t.iter().map(|&t| c * shape(t)).collect();
        crossing_probabilities(&t, &z).unwrap().iter().sum()
    };
    let (mut lo, mut hi) = (1.0, 4.0);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if total(mid) > level { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

#[test]
fn classic_constants_match_jennison_and_turnbull() {
    // Jennison & Turnbull (2000), Table 2.1 (Pocock 1977, C_P) and Table 2.3 (O'Brien & Fleming 1979,
    // C_B), two-sided α = 0.05, K = 2..5 equally spaced looks. The two-sided tables equal one-sided 0.025
    // to within the probability of crossing both boundaries, below 1e-6 here.
    let pocock = [2.178, 2.289, 2.361, 2.413];
    let obf = [1.977, 2.004, 2.024, 2.040];
    for k in 2..=5 {
        let cp = constant(k, 0.025, |_| 1.0);
        let cb = constant(k, 0.025, |t| 1.0 / t.sqrt());
        assert!((cp - pocock[k - 2]).abs() < 6e-4, "Pocock K={k}: {cp}");
        assert!((cb - obf[k - 2]).abs() < 6e-4, "O'Brien–Fleming K={k}: {cb}");
    }
    // The classic O'Brien–Fleming boundaries C_B·√(K/k) for K = 5: 4.562, 3.226, 2.634, 2.281, 2.040.
    let t: Vec<f64> = (1..=5).map(|k| k as f64 / 5.0).collect();
    let classic: Vec<f64> = t.iter().map(|t| 2.040 / t.sqrt()).collect();
    let printed = [4.562, 3.226, 2.634, 2.281, 2.040];
    for (c, p) in classic.iter().zip(printed) {
        assert!((c - p).abs() < 5e-4);
    }
    // Spending exactly what the classic boundaries spend recovers them (the solver inverts the integral).
    let mut cumulative = crossing_probabilities(&t, &classic).unwrap();
    for k in 1..5 {
        cumulative[k] += cumulative[k - 1];
    }
    assert!((cumulative[4] - 0.025).abs() < 2e-5, "{}", cumulative[4]);
    for (c, want) in spending_boundaries(&t, &cumulative).iter().zip(&classic) {
        assert!((c - want).abs() < 1e-6, "{c} vs {want}");
    }
}

#[test]
fn lan_demets_boundaries_match_published_values() {
    // Lan–DeMets O'Brien–Fleming-type spending, one-sided 0.025, 5 equally spaced looks; the same
    // values are printed by gsDesign (`gsDesign(k = 5, test.type = 1, sfu = sfLDOF)$upper$bound`) and
    // were checked here against an independent computation with SciPy's multivariate normal CDF (Genz).
    let design = correlated(ALPHA, Spending::OBrienFleming, 5);
    let b = design.boundaries(0.025, &[1, 2, 3, 4, 5]).unwrap();
    let want = [4.8769, 3.3569, 2.6803, 2.2898, 2.0310];
    for (b, w) in b.iter().zip(want) {
        assert!((b.z - w).abs() < 2e-4, "{} vs {w}", b.z);
    }
    // Each look spends exactly the increment of the spending function.
    let t: Vec<f64> = b.iter().map(|b| b.t).collect();
    let z: Vec<f64> = b.iter().map(|b| b.z).collect();
    let mut total = 0.0;
    for (p, b) in crossing_probabilities(&t, &z).unwrap().iter().zip(&b) {
        total += p;
        assert!((total - b.spent).abs() < 1e-7, "{total} vs {}", b.spent);
    }
    // Pocock type, same looks: the row docs/statistics.md §4.3 quotes (SciPy's multivariate normal CDF gives
    // 2.4380, 2.4268, 2.4102, 2.3965, 2.3861).
    let p = correlated(ALPHA, Spending::Pocock, 5).boundaries(0.025, &[1, 2, 3, 4, 5]).unwrap();
    for (b, w) in p.iter().zip([2.4380, 2.4268, 2.4102, 2.3966, 2.3860]) {
        assert!((b.z - w).abs() < 1e-4, "{} vs {w}", b.z);
    }
    assert!((p[4].spent - 0.025).abs() < 1e-12);
}

#[test]
fn boundaries_fall_as_the_level_rises() {
    // The Holm shortcut equals the closed test only if every look's boundary falls as the level rises: with
    // either kind of look (Bonferroni's, the default, had not been checked), caps of 20 and 30.
    for looks in [LookLevels::Bonferroni, LookLevels::Correlated] {
        for spending in [Spending::OBrienFleming, Spending::Pocock] {
            for ns in [&[5, 10, 15, 20][..], &[5, 10, 15, 20, 25, 30]] {
                let design = Design { looks, ..Design::new(ALPHA, spending, ns[ns.len() - 1]) };
                let mut previous: Option<Vec<f64>> = None;
                for j in (1..=8).rev() {
                    let z: Vec<f64> = design.boundaries(0.025 / j as f64, ns).unwrap().iter().map(|b| b.z).collect();
                    if let Some(p) = &previous {
                        assert!(z.iter().zip(p).all(|(a, b)| a < b), "{looks:?} {spending:?} {ns:?} level 0.025/{j}");
                    }
                    previous = Some(z);
                }
            }
        }
    }
}

#[test]
fn holm_passes_alpha_to_the_remaining_comparisons() {
    let design = correlated(ALPHA, Spending::Pocock, 10);
    let b = |level: f64| design.boundaries(level, &[5]).unwrap()[0].p;
    let (p2, p1) = (b(0.025 / 2.0), b(0.025));
    // A: far past both levels. B: between the boundary at α/4 (two open) and at α/2 (after A's rejection).
    let pb = 0.5 * (p2 + p1);
    let h = [vec![Look::new(5, 1e-9, 1.0)], vec![Look::new(5, pb, 1.0 - pb)]];
    let out = decide(&design, &h).unwrap();
    assert_eq!(out[0].decision, Decision::Supports { at_n: 5 });
    assert_eq!(out[1].decision, Decision::Supports { at_n: 5 });
    assert!((out[1].level_claimed - 0.025).abs() < 1e-15);
    // Without A's rejection B stays open.
    let h = [vec![Look::new(5, 0.5, 0.5)], vec![Look::new(5, pb, 1.0 - pb)]];
    let out = decide(&design, &h).unwrap();
    assert_eq!(out[1].decision, Decision::Continue);
    assert!((out[1].level_claimed - 0.0125).abs() < 1e-15);
    // A contradicting comparison does not pass its claimed-direction α on.
    let h = [vec![Look::new(5, 1.0, 1e-9)], vec![Look::new(5, pb, 1.0 - pb)]];
    let out = decide(&design, &h).unwrap();
    assert_eq!(out[0].decision, Decision::Contradicts { at_n: 5 });
    assert_eq!(out[1].decision, Decision::Continue);
    // At the cap an open comparison is undecided.
    let h = [vec![Look::new(5, 0.5, 0.5), Look::new(10, 0.4, 0.6)]];
    assert_eq!(decide(&design, &h).unwrap()[0].decision, Decision::Undecided);
}

/// A comparison without a look in some round (no new pair in it) keeps its later looks in the rounds they
/// were taken in: B's second look lies between its boundaries at α/4 and α/2, so B is decided only once A's
/// rejection passes α on, which happens in round 3 (A had nothing in round 2). Compressing A's history to
/// [5, 10] would put A's rejection in round 2 and report B decided at 10 seeds, before the round that
/// decided it.
#[test]
fn rounds_without_a_look_stay_aligned() {
    let design = correlated(ALPHA, Spending::Pocock, 20);
    let ns = [5, 10, 15];
    let at = |level: f64| design.boundaries(level, &ns).unwrap()[1].p;
    let pb = 0.5 * (at(0.025 / 2.0) + at(0.025));
    let a = [Some(Look::new(5, 0.5, 0.5)), None, Some(Look::new(10, 1e-9, 1.0))];
    let b = [Some(Look::new(5, 0.5, 0.5)), Some(Look::new(10, pb, 1.0 - pb)), Some(Look::new(15, 0.5, 0.5))];
    let out = decide_in_rounds(&design, &[&a[..], &b[..]]).unwrap();
    assert_eq!(out[0].decision, Decision::Supports { at_n: 10 });
    assert_eq!(out[1].decision, Decision::Supports { at_n: 15 });
    // After round 2 alone B is open: A has not rejected yet.
    let out = decide_in_rounds(&design, &[&a[..2], &b[..2]]).unwrap();
    assert_eq!((out[0].decision, out[1].decision), (Decision::Continue, Decision::Continue));
    // What `decide` makes of the compressed history: B decided at 10.
    let compressed = [vec![a[0].unwrap(), a[2].unwrap()], b.iter().map(|l| l.unwrap()).collect()];
    assert_eq!(decide(&design, &compressed).unwrap()[1].decision, Decision::Supports { at_n: 10 });
    // With every round present the two functions agree (here on the Holm example's two comparisons, whose
    // second is decided only through the first's rejection).
    let pb0 = 0.5 * (design.boundaries(0.025 / 2.0, &[5]).unwrap()[0].p + design.boundaries(0.025, &[5]).unwrap()[0].p);
    let full = [
        vec![Some(Look::new(5, 1e-9, 1.0)), Some(Look::new(10, 0.3, 0.7))],
        vec![Some(Look::new(5, pb0, 1.0 - pb0)), Some(Look::new(10, 0.6, 0.4))],
    ];
    let plain: Vec<Vec<Look>> = full.iter().map(|h| h.iter().map(|l| l.unwrap()).collect()).collect();
    let out = decide_in_rounds(&design, &full).unwrap();
    // Compared as printed: a direction never tested has a NaN bound, which is not equal to itself.
    assert_eq!(format!("{out:?}"), format!("{:?}", decide(&design, &plain).unwrap()));
    assert_eq!(out[1].decision, Decision::Supports { at_n: 5 });
    // No look yet in any round: open, with no seeds. A history that ends early (a trailing `None`, or a
    // shorter one) keeps its last look.
    let none = [vec![None, None]];
    let out = decide_in_rounds(&design, &none).unwrap();
    assert_eq!((out[0].decision, out[0].n), (Decision::Continue, 0));
    let trailing = [vec![Some(Look::new(5, 0.5, 0.5)), None], vec![Some(Look::new(5, 0.5, 0.5))]];
    let out = decide_in_rounds(&design, &trailing).unwrap();
    assert!(out.iter().all(|o| o.decision == Decision::Continue && o.n == 5));
    // An error names the look by its round, `None`s counted.
    let bad = [vec![Some(Look::new(5, 0.5, 0.5)), None, Some(Look::new(5, 0.5, 0.5))]];
    assert!(matches!(decide_in_rounds(&design, &bad), Err(SequentialError::NotIncreasing { look: 2, .. })));
}

#[test]
fn bad_input_is_an_error() {
    let d = correlated(ALPHA, Spending::OBrienFleming, 20);
    assert_eq!(decide(&Design { alpha: 1.5, ..d }, &[[Look::new(5, 0.5, 0.5)]]), Err(SequentialError::Alpha(1.5)));
    assert!(matches!(
        decide(&d, &[vec![Look::new(5, 0.5, 0.5), Look::new(5, 0.5, 0.5)]]),
        Err(SequentialError::NotIncreasing { look: 1, .. })
    ));
    assert!(matches!(decide(&d, &[[Look::new(25, 0.5, 0.5)]]), Err(SequentialError::PastCap { n: 25, .. })));
    assert!(matches!(decide(&d, &[[Look::new(5, 1.5, 0.5)]]), Err(SequentialError::PValue { .. })));
    // No data yet, and untestable data, simply continue.
    let empty: [&[Look]; 1] = [&[]];
    assert_eq!(decide(&d, &empty).unwrap()[0].decision, Decision::Continue);
    assert_eq!(decide(&d, &[[Look::new(5, f64::NAN, f64::NAN)]]).unwrap()[0].decision, Decision::Continue);
    assert!(decide::<Vec<Look>>(&d, &[]).unwrap().is_empty());
}

/// One simulated comparison: true difference `m + delta`, paired or independent runs.
#[derive(Clone, Copy)]
struct Truth {
    delta: f64,
    spread: Spread,
}

/// Per-seed accuracies of both arms, `n_max` seeds each.
fn sample(r: &mut ChaCha8Rng, truth: Truth, n_max: usize) -> (Vec<f64>, Vec<f64>) {
    let diff = M + truth.delta;
    (0..n_max)
        .map(|_| match truth.spread {
            // A shared per-seed effect (sd 0.01) cancels in the differences; d has sd `sd_diff`.
            Spread::Paired { sd_diff } => {
                let b = 0.95 + 0.01 * normal(r);
                (b + diff + sd_diff * normal(r), b)
            }
            Spread::Welch { sd_a, sd_b } => (0.95 + diff + sd_a * normal(r), 0.95 + sd_b * normal(r)),
        })
        .unzip()
}

fn looks(a: &[f64], b: &[f64], spread: Spread, ns: &[usize]) -> Vec<Look> {
    ns.iter()
        .map(|&n| match spread {
            Spread::Paired { .. } => Look::paired(&a[..n], &b[..n], M).unwrap(),
            Spread::Welch { .. } => Look::welch(&a[..n], &b[..n], M).unwrap(),
        })
        .collect()
}

/// Runs `claims` simulated claims whose comparisons have the given truths; returns every comparison's
/// decision, claim by claim. Histories run to the cap; `decide` replays them round by round, so looks
/// after a decision are never used (as if those seeds had not been run).
fn simulate(seed: u64, design: &Design, step: usize, truths: &[Truth], claims: usize) -> Vec<Vec<Decision>> {
    let mut r = rng(seed);
    let ns: Vec<usize> = (step..=design.n_max).step_by(step).collect();
    (0..claims)
        .map(|_| {
            let h: Vec<Vec<Look>> = truths
                .iter()
                .map(|&t| {
                    let (a, b) = sample(&mut r, t, design.n_max);
                    looks(&a, &b, t.spread, &ns)
                })
                .collect();
            decide(design, &h).unwrap().iter().map(|s| s.decision).collect()
        })
        .collect()
}

fn wrong(d: Decision) -> bool {
    matches!(d, Decision::Supports { .. } | Decision::Contradicts { .. })
}

/// Share and its Monte-Carlo standard error.
fn rate(hits: usize, n: usize) -> (f64, f64) {
    let p = hits as f64 / n as f64;
    (p, (p * (1.0 - p) / n as f64).sqrt())
}

/// The bound a correct 5% procedure passes with probability ≈ 99.87%.
fn bound(n: usize) -> f64 {
    ALPHA + 3.0 * (ALPHA * (1.0 - ALPHA) / n as f64).sqrt()
}

const N_NULL: usize = 20_000;

/// Asserts that a seeded simulation of `n` comparisons still gives the rate docs/statistics.md quotes, to
/// within the four decimals it prints or one comparison, whichever is larger: a change to the procedure or
/// the simulation that moves a rate must update the document, which a bound alone (`rate ≤ 0.05 + 3·SE`)
/// would let drift.
fn as_quoted(p: f64, quoted: f64, n: usize, what: &str) {
    let tolerance = 1e-4f64.max(1.0 / n as f64) + 1e-12;
    assert!((p - quoted).abs() <= tolerance, "{what}: {p:.4}, but docs/statistics.md quotes {quoted}");
}

/// The default design (Bonferroni looks) holds α outright: its true rate, 0.0389 in 200,000 comparisons
/// (docs/statistics.md §5.2), is 7 standard errors of this simulation below 0.05. Correlated boundaries run
/// slightly above α with t statistics on 5 seeds (0.0519 there), so they get the simulation's 3-SE slack and
/// are not the default.
#[test]
fn paired_null_error_rate_is_at_most_alpha_with_the_default_looks() {
    let design = Design::new(ALPHA, Spending::OBrienFleming, 20);
    let truth = Truth { delta: 0.0, spread: Spread::Paired { sd_diff: 0.008 } };
    let out = simulate(1, &design, 5, &[truth], N_NULL);
    let (p, se) = rate(out.iter().filter(|c| wrong(c[0])).count(), N_NULL);
    eprintln!("paired null, OBF, Bonferroni looks 5..20: wrong calls {p:.4} ± {se:.4}");
    as_quoted(p, 0.0397, N_NULL, "paired null, Bonferroni looks");
    assert!(p <= ALPHA, "{p} ± {se}");
    // Both directions are wrong sometimes (the test is two-sided in effect).
    assert!(out.iter().any(|c| matches!(c[0], Decision::Supports { .. })));
    assert!(out.iter().any(|c| matches!(c[0], Decision::Contradicts { .. })));
    let design = correlated(ALPHA, Spending::OBrienFleming, 20);
    let out = simulate(1, &design, 5, &[truth], N_NULL);
    let (p, se) = rate(out.iter().filter(|c| wrong(c[0])).count(), N_NULL);
    eprintln!("paired null, OBF, correlated looks 5..20: wrong calls {p:.4} ± {se:.4}");
    as_quoted(p, 0.0533, N_NULL, "paired null, correlated looks");
    assert!(p <= bound(N_NULL), "{p} ± {se}");
}

#[test]
fn welch_null_error_rate_is_at_most_alpha() {
    for (spending, n_max, sd_b) in [(Spending::Pocock, 30, 0.01), (Spending::OBrienFleming, 30, 0.005)] {
        let design = correlated(ALPHA, spending, n_max);
        let truth = Truth { delta: 0.0, spread: Spread::Welch { sd_a: 0.005, sd_b } };
        let out = simulate(2, &design, 5, &[truth], N_NULL);
        let (p, se) = rate(out.iter().filter(|c| wrong(c[0])).count(), N_NULL);
        eprintln!("Welch null, {spending:?}, sds 0.005/{sd_b}, looks 5..{n_max}: wrong calls {p:.4} ± {se:.4}");
        as_quoted(p, if n_max == 30 && sd_b == 0.01 { 0.0517 } else { 0.0505 }, N_NULL, "Welch null");
        assert!(p <= bound(N_NULL), "{spending:?}: {p} ± {se}");
    }
}

#[test]
fn holm_family_wise_error_is_at_most_alpha() {
    const CLAIMS: usize = 10_000;
    let null = Truth { delta: 0.0, spread: Spread::Paired { sd_diff: 0.008 } };
    let design = correlated(ALPHA, Spending::Pocock, 20);
    // Global null: four comparisons, all exactly at the threshold.
    let out = simulate(3, &design, 5, &[null; 4], CLAIMS);
    let (p, se) = rate(out.iter().filter(|c| c.iter().any(|d| wrong(*d))).count(), CLAIMS);
    eprintln!("claim of 4 null comparisons, Pocock, looks 5..20: family-wise {p:.4} ± {se:.4}");
    as_quoted(p, 0.0516, CLAIMS, "claim of 4 nulls");
    assert!(p <= bound(CLAIMS), "{p} ± {se}");
    // Two clear effects are decided early and pass their α on to the two null comparisons.
    let clear = Truth { delta: 0.02, spread: Spread::Paired { sd_diff: 0.008 } };
    let out = simulate(4, &design, 5, &[clear, clear, null, null], CLAIMS);
    let (p, se) = rate(out.iter().filter(|c| c[2..].iter().any(|d| wrong(*d))).count(), CLAIMS);
    let passed = out.iter().filter(|c| c[..2].iter().all(|d| matches!(d, Decision::Supports { .. }))).count();
    eprintln!(
        "claim of 2 clear + 2 null, Pocock: family-wise on the nulls {p:.4} ± {se:.4} ({passed} claims passed α)"
    );
    as_quoted(p, 0.0415, CLAIMS, "2 clear + 2 nulls");
    assert_eq!(passed, CLAIMS, "docs/statistics.md §5.1: α passed in all claims");
    assert!(p <= bound(CLAIMS), "{p} ± {se}");
}

/// The report's own design (docs/statistics.md §6: O'Brien–Fleming-type spending, Bonferroni looks, rounds
/// of 5 seeds up to 20), on claims shaped like its two: C4's 7 independent comparisons, and C2's 4 where each
/// placement's ReLU arm is shared by two comparisons (sigmoid vs ReLU and tanh vs ReLU on the same seeds),
/// every comparison at the threshold. The library's own tests above use other designs.
#[test]
fn the_reports_design_holds_its_level_on_claims_like_c2_and_c4() {
    const CLAIMS: usize = 10_000;
    // Design::new's looks: Bonferroni, the report's.
    let design = Design::new(ALPHA, Spending::OBrienFleming, 20);
    assert_eq!(design.looks, LookLevels::Bonferroni);
    let ns = [5, 10, 15, 20];
    let null = Truth { delta: 0.0, spread: Spread::Paired { sd_diff: 0.008 } };
    let out = simulate(11, &design, 5, &[null; 7], CLAIMS);
    let (p, se) = rate(out.iter().filter(|c| c.iter().any(|d| wrong(*d))).count(), CLAIMS);
    eprintln!("C4-like claim, 7 null comparisons, report's design: family-wise {p:.4} ± {se:.4}");
    as_quoted(p, 0.0456, CLAIMS, "C4-like claim");
    assert!(p <= bound(CLAIMS), "{p} ± {se}");
    // C2-like: per placement one ReLU arm, two arms compared with it; per-arm noise sd 0.008/√2 so that each
    // difference has sd 0.008, and the two comparisons of a placement are correlated through ReLU's noise.
    let mut r = rng(12);
    let arm = 0.008 / 2f64.sqrt();
    let wrong_claims = (0..CLAIMS)
        .filter(|_| {
            let mut h: Vec<Vec<Look>> = Vec::new();
            for _placement in 0..2 {
                let seeds: Vec<(f64, f64, f64)> = (0..20)
                    .map(|_| {
                        let base = 0.8 + 0.01 * normal(&mut r);
                        let relu = base + arm * normal(&mut r);
                        (base + M + arm * normal(&mut r), base + M + arm * normal(&mut r), relu)
                    })
                    .collect();
                let relu: Vec<f64> = seeds.iter().map(|s| s.2).collect();
                for pick in [|s: &(f64, f64, f64)| s.0, |s: &(f64, f64, f64)| s.1] {
                    let a: Vec<f64> = seeds.iter().map(pick).collect();
                    h.push(looks(&a, &relu, null.spread, &ns));
                }
            }
            decide(&design, &h).unwrap().iter().any(|s| wrong(s.decision))
        })
        .count();
    let (p, se) = rate(wrong_claims, CLAIMS);
    eprintln!("C2-like claim, 4 null comparisons sharing ReLU arms, report's design: family-wise {p:.4} ± {se:.4}");
    as_quoted(p, 0.0406, CLAIMS, "C2-like claim");
    assert!(p <= bound(CLAIMS), "{p} ± {se}");
}

/// The report chooses each configuration's learning rate on seeds 0–4 by validation accuracy and compares
/// test accuracies (docs/statistics.md §6). A chosen rate scores too well on the seeds that chose it, and
/// where two arms differ in that optimism, looks that reuse those seeds call the luckier arm better too
/// often. Simulated null: arm A picks the best of 4 rates of equal true accuracy (its winner's curse is all
/// luck), arm B has one rate; per seed and rate, a network's luck (sd 0.006) is shared by its validation and
/// test accuracy (each with its own evaluation noise, sd 0.003), and each seed's own effect by both arms
/// (pairing). Looks on seeds 5, 6, … (the report's) keep each direction at α/2; looks on seeds 0, 1, …
/// (the report before 2026-12-06) call A better more often than α/2 allows.
#[test]
fn looks_on_seeds_the_selection_never_saw_keep_the_level() {
    const N: usize = 20_000;
    const RATES: usize = 4;
    let design = Design::new(ALPHA, Spending::OBrienFleming, 20);
    let ns = [5, 10, 15, 20];
    let mut r = rng(13);
    // [A called better, B called better], for looks on later seeds and for looks that reuse the first five.
    let (mut held_out, mut reused) = ([0usize; 2], [0usize; 2]);
    for _ in 0..N {
        let mut val_a = [[0.0; RATES]; 25];
        let mut test_a = [[0.0; RATES]; 25];
        let mut b = [0.0; 25];
        for s in 0..25 {
            let base = 0.85 + 0.01 * normal(&mut r);
            for j in 0..RATES {
                let luck = 0.006 * normal(&mut r);
                val_a[s][j] = base + luck + 0.003 * normal(&mut r);
                test_a[s][j] = base + luck + 0.003 * normal(&mut r);
            }
            b[s] = base + 0.006 * normal(&mut r) + 0.003 * normal(&mut r);
        }
        let score = |j: usize| (0..5).map(|s| val_a[s][j]).sum::<f64>();
        let chosen = (0..RATES).max_by(|&x, &y| score(x).total_cmp(&score(y))).unwrap();
        let a: Vec<f64> = test_a.iter().map(|t| t[chosen]).collect();
        for (first, count) in [(5, &mut held_out), (0, &mut reused)] {
            let h: Vec<Look> =
                ns.iter().map(|&n| Look::paired(&a[first..first + n], &b[first..first + n], 0.0).unwrap()).collect();
            match decide(&design, &[h]).unwrap()[0].decision {
                Decision::Supports { .. } => count[0] += 1,
                Decision::Contradicts { .. } => count[1] += 1,
                _ => {}
            }
        }
    }
    let half = ALPHA / 2.0;
    let bound = half + 3.0 * (half * (1.0 - half) / N as f64).sqrt();
    let [(ha, hse), (hb, _), (ra, rse), (rb, _)] = [held_out[0], held_out[1], reused[0], reused[1]].map(|k| rate(k, N));
    eprintln!(
        "selection on seeds 0–4, best of {RATES} equal rates against one: looks on seeds 5…24 call A better {ha:.4} ± \
         {hse:.4}, B better {hb:.4}; looks on seeds 0…19: {ra:.4} ± {rse:.4} and {rb:.4}"
    );
    assert!(ha <= bound && hb <= bound, "held out: {ha}, {hb} against {bound}");
    assert!(ra > bound, "reusing the selection seeds should favour the arm that chose: {ra} against {bound}");
    for (p, quoted) in [(ha, 0.0211), (hb, 0.0197), (ra, 0.0356), (rb, 0.0080)] {
        as_quoted(p, quoted, N, "selection on seeds of its own");
    }
}

#[test]
fn naive_repeated_testing_inflates_the_error() {
    // The null simulations above, the same samples (same seeds), but each look tested at the fixed-sample
    // level α/2 per direction: the uncorrected procedure the boundaries exist to prevent. The simulation must
    // see it fail: paired looks 5…20 (13.6%) and Welch 0.005/0.01 looks 5…30 (15.9%, docs/statistics.md §5.3,
    // where it was first measured by removing the spending from the code by hand).
    let cases = [
        (1, Spread::Paired { sd_diff: 0.008 }, 20, 0.1355),
        (2, Spread::Welch { sd_a: 0.005, sd_b: 0.01 }, 30, 0.1594),
    ];
    for (seed, spread, cap, quoted) in cases {
        let truth = Truth { delta: 0.0, spread };
        let ns: Vec<usize> = (5..=cap).step_by(5).collect();
        let mut r = rng(seed);
        let wrong_calls = (0..N_NULL)
            .filter(|_| {
                let (a, b) = sample(&mut r, truth, cap);
                looks(&a, &b, spread, &ns).iter().any(|l| l.p_claimed <= ALPHA / 2.0 || l.p_opposite <= ALPHA / 2.0)
            })
            .count();
        let (p, se) = rate(wrong_calls, N_NULL);
        eprintln!("{spread:?} null, naive α/2 per look and direction, looks 5..{cap}: wrong calls {p:.4} ± {se:.4}");
        as_quoted(p, quoted, N_NULL, "naive looks");
        assert!(p > bound(N_NULL) + 3.0 * se, "{p} ± {se}");
    }
}

#[test]
fn sequential_needs_fewer_seeds_than_a_fixed_design_of_equal_power() {
    const N: usize = 5_000;
    let spread = Spread::Paired { sd_diff: 0.008 };
    let truth = Truth { delta: 0.006, spread };
    for (spending, looks) in [
        (Spending::OBrienFleming, LookLevels::Correlated),
        (Spending::Pocock, LookLevels::Correlated),
        (Spending::OBrienFleming, LookLevels::Bonferroni),
    ] {
        let design = Design { looks, ..correlated(ALPHA, spending, 30) };
        let out = simulate(5, &design, 5, &[truth], N);
        let seeds: usize = out
            .iter()
            .map(|c| match c[0] {
                Decision::Supports { at_n } | Decision::Contradicts { at_n } => at_n,
                _ => design.n_max,
            })
            .sum();
        let mean = seeds as f64 / N as f64;
        let (power, se) = rate(out.iter().filter(|c| matches!(c[0], Decision::Supports { .. })).count(), N);
        let effect = Effect { delta: truth.delta, spread };
        let fixed = fixed_n(&effect, ALPHA / 2.0, power).unwrap();
        eprintln!(
            "paired, δ = 0.006, sd 0.008, {spending:?} {looks:?}, looks 5..30: power {power:.4} ± {se:.4}, mean seeds \
             {mean:.2}, fixed design at equal power {fixed} (cap 30)"
        );
        assert!(mean < fixed as f64, "{spending:?}: {mean} vs {fixed}");
        let (quoted_power, quoted_mean, quoted_fixed) = match (spending, looks) {
            (Spending::OBrienFleming, LookLevels::Correlated) => (0.9786, 20.20, 31),
            (Spending::Pocock, _) => (0.9478, 16.51, 26),
            _ => (0.9580, 20.51, 27),
        };
        as_quoted(power, quoted_power, N, "power under the alternative");
        assert!(
            (mean - quoted_mean).abs() < 0.006 && fixed == quoted_fixed,
            "docs/statistics.md §5.1: {mean}, {fixed}"
        );
    }
}

#[test]
fn fixed_n_has_the_power_it_promises() {
    // Paired, d = 0.5, one-sided 0.025, 80%: z-approximation (1.960 + 0.842)²/0.25 = 31.4; with the t
    // correction 34 (G*Power's noncentral-t answer for this case is also 34).
    let e = Effect { delta: 0.5, spread: Spread::Paired { sd_diff: 1.0 } };
    assert_eq!(fixed_n(&e, 0.025, 0.8), Some(34));
    assert!(power_at(&e, 0.025, 34) >= 0.8 && power_at(&e, 0.025, 33) < 0.8);
    assert_eq!(fixed_n(&Effect { delta: 0.0, ..e }, 0.025, 0.8), None);
    // Simulated power of a fixed Welch test at the n it returns, for an effect like this project's.
    let spread = Spread::Welch { sd_a: 0.006, sd_b: 0.009 };
    let e = Effect { delta: 0.008, spread };
    let n = fixed_n(&e, 0.025, 0.8).unwrap();
    let mut r = rng(6);
    const N: usize = 4_000;
    let hits = (0..N)
        .filter(|_| {
            let (a, b) = sample(&mut r, Truth { delta: 0.008, spread }, n);
            Look::welch(&a, &b, M).unwrap().p_claimed <= 0.025
        })
        .count();
    let (p, se) = rate(hits, N);
    eprintln!("Welch δ = 0.008, sds 0.006/0.009: fixed_n = {n}, simulated power {p:.4} ± {se:.4}");
    as_quoted(p, 0.8125, N, "Welch power at fixed_n");
    assert_eq!(n, 16, "docs/statistics.md §5.1 quotes n = 16");
    assert!((p - 0.8).abs() < 0.04, "{p}");
    // Planning figure from observed samples.
    let design = correlated(ALPHA, Spending::OBrienFleming, 20);
    let e = Effect::paired(&[0.91, 0.92, 0.905, 0.915], &[0.90, 0.905, 0.90, 0.90], 0.0).unwrap();
    assert!(design.seeds_to_decide(&e, 2).unwrap() >= design.seeds_to_decide(&e, 1).unwrap());
}

/// The minimum detectable effect is `power_at` solved for δ: at it the approximation gives exactly the
/// power asked for, `fixed_n` returns n for anything a little larger, and a simulated paired test at the
/// cap of 20 seeds and Holm's smallest level for two comparisons detects it about 80% of the time.
#[test]
fn the_detectable_difference_has_the_power_it_promises() {
    let spread = Spread::Paired { sd_diff: 0.006 };
    let (level, n) = (0.0125, 20);
    let d = detectable(spread, level, 0.8, n).unwrap();
    assert!((power_at(&Effect { delta: d, spread }, level, n) - 0.8).abs() < 1e-9);
    assert!((power_at(&Effect { delta: -d, spread }, level, n) - 0.8).abs() < 1e-9, "either direction");
    assert_eq!(fixed_n(&Effect { delta: d * 1.001, spread }, level, 0.8), Some(n));
    assert_eq!(fixed_n(&Effect { delta: d * 0.999, spread }, level, 0.8), Some(n + 1));
    // (t_{0.9875,19} + t_{0.8,19})·0.006/√20 = (2.4334 + 0.8610)·0.006/4.4721 ≈ 0.004420.
    assert!((d - 0.004420).abs() < 2e-6, "{d}");
    assert_eq!(
        correlated(ALPHA, Spending::OBrienFleming, 20).detectable(spread, 2, n),
        Some(d),
        "the design's level for 2 comparisons"
    );
    let welch = Spread::Welch { sd_a: 0.006, sd_b: 0.009 };
    let dw = detectable(welch, level, 0.8, n).unwrap();
    assert!((power_at(&Effect { delta: dw, spread: welch }, level, n) - 0.8).abs() < 1e-9);
    assert!(detectable(spread, level, 0.8, 80).unwrap() < d / 1.9, "four times the seeds, about half");
    assert_eq!(detectable(Spread::Paired { sd_diff: 0.0 }, level, 0.8, n), None, "no spread: no t-test");
    assert_eq!(detectable(spread, 0.5, 0.4, n), None, "power below the level");
    assert_eq!(detectable(spread, level, 0.8, 1), None);
    assert_eq!(detectable(Spread::Paired { sd_diff: f64::NAN }, level, 0.8, n), None);
    let mut r = rng(7);
    const N: usize = 4_000;
    let hits = (0..N)
        .filter(|_| {
            let (a, b) = sample(&mut r, Truth { delta: d, spread }, n);
            Look::paired(&a, &b, M).unwrap().p_claimed <= level
        })
        .count();
    let (p, se) = rate(hits, N);
    eprintln!("paired sd 0.006, 20 seeds, level 0.0125: detectable {d:.6}, simulated power {p:.4} ± {se:.4}");
    as_quoted(p, 0.7915, N, "power at the detectable difference");
    assert!((p - 0.8).abs() < 0.04, "{p}");
}

/// An observed difference near zero needs hundreds of millions of seeds; the search for that number used
/// to call statrs's t quantile at 10⁸ degrees of freedom, which never returns, and so hung the report. Past
/// 10⁵ degrees of freedom the normal distribution stands in: the answer is the normal formula's.
#[test]
fn fixed_n_for_a_difference_near_zero_is_the_normal_formula() {
    let e = Effect { delta: 2e-4, spread: Spread::Paired { sd_diff: 1.0 } };
    // (z_0.975 + z_0.8)² / δ² = (1.959964 + 0.841621)² / 4e-8 ≈ 1.962e8.
    let want = (1.959_964f64 + 0.841_621).powi(2) / 4e-8;
    let n = fixed_n(&e, 0.025, 0.8).expect("below the 10⁹ cap") as f64;
    assert!((n / want - 1.0).abs() < 1e-4, "{n} vs {want}");
    assert_eq!(fixed_n(&Effect { delta: 1e-9, ..e }, 0.025, 0.8), None, "beyond the cap");
}

#[test]
fn deciding_after_every_round_agrees_with_one_replay() {
    let design = correlated(ALPHA, Spending::Pocock, 20);
    let truths = [
        Truth { delta: 0.01, spread: Spread::Paired { sd_diff: 0.008 } },
        Truth { delta: 0.0, spread: Spread::Welch { sd_a: 0.005, sd_b: 0.008 } },
        Truth { delta: -0.008, spread: Spread::Paired { sd_diff: 0.008 } },
    ];
    let ns = [5, 10, 15, 20];
    let mut r = rng(7);
    for _ in 0..200 {
        let data: Vec<(Vec<f64>, Vec<f64>)> = truths.iter().map(|t| sample(&mut r, *t, 20)).collect();
        let full: Vec<Vec<Look>> = truths.iter().zip(&data).map(|(t, (a, b))| looks(a, b, t.spread, &ns)).collect();
        // Online: only open comparisons get the next round's look.
        let mut h: Vec<Vec<Look>> = vec![Vec::new(); truths.len()];
        let mut last = Vec::new();
        #[allow(clippy::needless_range_loop)] // k is the round, indexing every comparison's looks
        for k in 0..ns.len() {
            for (i, hi) in h.iter_mut().enumerate() {
                if !last.get(i).is_some_and(|d: &Decision| d.is_final()) {
                    hi.push(full[i][k]);
                }
            }
            last = decide(&design, &h).unwrap().iter().map(|s| s.decision).collect();
        }
        let replay: Vec<Decision> = decide(&design, &full).unwrap().iter().map(|s| s.decision).collect();
        assert_eq!(last, replay);
    }
}

/// docs/statistics.md §5.2: the null error rates of both kinds of look, 200,000 comparisons each (SE 0.0005),
/// on the cases the suite samples more thinly above, and one look at 20 seeds as the control (the fixed
/// t-test, exact at α). Correlated boundaries run 0.2–0.4 percentage points above α where the first look
/// has 5 seeds; Bonferroni looks stay below α in every case with more than one look.
#[test]
fn precise_error_rates_of_both_kinds_of_look() {
    const N: usize = 200_000;
    let paired = Spread::Paired { sd_diff: 0.008 };
    let welch = Spread::Welch { sd_a: 0.005, sd_b: 0.01 };
    // (spread, spending, first look and step, cap, quoted rate with correlated looks, with Bonferroni looks)
    let cases = [
        (paired, Spending::OBrienFleming, 5, 20, 0.0519, 0.0389),
        (paired, Spending::Pocock, 5, 20, 0.0527, 0.0380),
        (paired, Spending::OBrienFleming, 10, 20, 0.0507, 0.0486),
        (paired, Spending::OBrienFleming, 20, 20, 0.0508, 0.0508),
        (paired, Spending::OBrienFleming, 5, 30, 0.0524, 0.0322),
        (paired, Spending::Pocock, 5, 30, 0.0541, 0.0349),
        (welch, Spending::OBrienFleming, 5, 20, 0.0519, 0.0390),
        (welch, Spending::Pocock, 5, 20, 0.0534, 0.0389),
    ];
    for (i, (spread, spending, step, cap, correlated_rate, bonferroni_rate)) in cases.into_iter().enumerate() {
        let truth = Truth { delta: 0.0, spread };
        for (looks, quoted) in [(LookLevels::Correlated, correlated_rate), (LookLevels::Bonferroni, bonferroni_rate)] {
            let design = Design { looks, ..Design::new(ALPHA, spending, cap) };
            let out = simulate(100 + i as u64, &design, step, &[truth], N);
            let (p, se) = rate(out.iter().filter(|c| wrong(c[0])).count(), N);
            eprintln!("{spread:?} {spending:?} looks {step}…{cap} by {step}, {looks:?}: {p:.4} ± {se:.4}");
            if step == cap {
                // One look: the fixed t-test, exact at α whatever the kind of look.
                assert!((p - ALPHA).abs() <= 3.0 * se, "a single look is exact: {p} ± {se}");
            } else if looks == LookLevels::Bonferroni {
                assert!(p <= ALPHA, "Bonferroni looks hold α: {p}");
            }
            as_quoted(p, quoted, N, "§5.2");
        }
    }
}

/// A look at which the spending function spends nothing (O'Brien–Fleming's α(t) underflows to 0 at
/// t = 2/10⁶) has an infinite boundary and rejects nothing, even at p = 0; it had rejected p = 0 (`p ≤ 0`).
#[test]
fn a_look_that_spends_nothing_rejects_nothing() {
    let design = Design::new(ALPHA, Spending::OBrienFleming, 1_000_000);
    let bound = design.boundaries(ALPHA / 2.0, &[2]).unwrap()[0].p;
    assert_eq!(bound, 0.0, "the look's level underflows");
    let h = [vec![Some(Look::new(2, 0.0, 1.0))]];
    assert_eq!(decide_in_rounds(&design, &h).unwrap()[0].decision, Decision::Continue);
}
