//! Statistics against values computed independently with SciPy 1.16 (`scipy.stats`), the snippet beside
//! each, and Holm's procedure against its textbook example.

use actscope_metrics::stats::{describe, holm, paired, welch};

const X: [f64; 5] = [0.912, 0.905, 0.921, 0.899, 0.915];
const Y: [f64; 5] = [0.881, 0.902, 0.874, 0.889, 0.893];

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

#[test]
fn describe_matches_scipy() {
    // m = np.mean(x); s = np.std(x, ddof=1); h = stats.t.ppf(0.975, 4)*s/np.sqrt(5)
    let d = describe(&X);
    assert!(close(d.mean, 0.9104000000000001, 1e-12));
    assert!(close(d.sd, 0.00859069263796582, 1e-12));
    assert!(close(d.ci_low, 0.8997332462318038, 1e-10) && close(d.ci_high, 0.9210667537681964, 1e-10));
    assert!(describe(&[1.0]).sd.is_nan());
}

#[test]
fn welch_matches_scipy() {
    // stats.ttest_ind(x, y, equal_var=False) → t 3.6613896648970967, p 0.006958616256218628, df 7.613872930602304
    // alternative='greater' → p 0.003479308128109314
    let w = welch(&X, &Y).unwrap();
    assert!(close(w.t, 3.6613896648970967, 1e-10));
    assert!(close(w.df, 7.613872930602304, 1e-10));
    assert!(close(w.p_two_sided, 0.006958616256218628, 1e-8));
    assert!(close(w.p_greater, 0.003479308128109314, 1e-8));
    // stats.ttest_ind([1,2,3,4,5,6], [2,4,5,8], equal_var=False) → t −0.8533201859828615, p 0.4308774708064909, df 5.221478491977555
    let w2 = welch(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2.0, 4.0, 5.0, 8.0]).unwrap();
    assert!(close(w2.t, -0.8533201859828615, 1e-10) && close(w2.df, 5.221478491977555, 1e-10));
    assert!(close(w2.p_two_sided, 0.4308774708064909, 1e-8));
    // Cohen's d with pooled sd: (x̄ − ȳ)/s_p, computed by hand: s_p = √((s₁² + s₂²)/2) for equal n.
    let sp = ((describe(&X).sd.powi(2) + describe(&Y).sd.powi(2)) / 2.0).sqrt();
    assert!(close(w.effect, (describe(&X).mean - describe(&Y).mean) / sp, 1e-12));
    assert!(welch(&[1.0], &Y).is_none());
    // Without spread: t = −∞, and the permutation test's p = 1/C(4, 2) (SciPy's t-test gives p = 0).
    let flat = welch(&[1.0, 1.0], &[2.0, 2.0]).unwrap();
    assert_eq!((flat.t, flat.p_greater), (f64::NEG_INFINITY, 1.0));
    assert!(close(flat.p_less, 1.0 / 6.0, 1e-15));
}

#[test]
fn paired_matches_scipy() {
    // stats.ttest_rel(x, y) → t 2.906527040583783, p 0.04383031341635361; alternative='less' → 0.9780848432918232
    let p = paired(&X, &Y).unwrap();
    assert!(close(p.t, 2.906527040583783, 1e-10));
    assert_eq!(p.df, 4.0);
    assert!(close(p.p_two_sided, 0.04383031341635361, 1e-8));
    assert!(close(p.p_less, 0.9780848432918232, 1e-8));
    assert!(paired(&X, &Y[..4]).is_none());
}

#[test]
fn holm_matches_the_textbook_example() {
    // m = 4, p = (0.01, 0.04, 0.03, 0.005): sorted 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06,
    // max(0.06, 0.04·1) = 0.06.
    let adj = holm(&[0.01, 0.04, 0.03, 0.005]);
    for (g, w) in adj.iter().zip([0.03, 0.06, 0.06, 0.02]) {
        assert!(close(*g, w, 1e-12), "{adj:?}");
    }
    let with_nan = holm(&[0.2, f64::NAN, 0.7]);
    assert!(with_nan[1].is_nan() && close(with_nan[0], 0.4, 1e-12) && close(with_nan[2], 0.7, 1e-12));
    assert_eq!(holm(&[0.6, 0.9]), vec![1.0, 1.0], "capped at 1");
}

/// A p-value outside [0, 1] is a (documented) panic naming it (holm had adjusted 1.5 to 1.0 and −0.2 to
/// 0.0); NaN is still skipped, and 0 and 1 are p-values.
#[test]
fn holm_refuses_p_values_outside_the_unit_interval() {
    for (p, bad) in [([1.5, 0.2, 0.01], "p-value 1.5 at index 0"), ([0.3, -0.2, 0.01], "p-value -0.2 at index 1")] {
        let e = std::panic::catch_unwind(|| holm(&p)).unwrap_err();
        let m = e.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(m.contains(bad) && m.contains("expected p-values in [0, 1]"), "{m}");
    }
    assert!(std::panic::catch_unwind(|| holm(&[f64::INFINITY])).is_err());
    assert_eq!(holm(&[0.0, 1.0, f64::NAN])[..2], [0.0, 1.0]);
}
