//! Vectorised `f32` kernels for the transcendental element-wise loops: exp, expm1, sigmoid, tanh, GELU
//! and GELU′; and an `f64` exp for the evaluation's log-sum-exp.
//!
//! The C library's `expf`, `tanhf` and `erfcf` are scalar calls; in the BN paper's net `expf` alone took a
//! fifth of a training step, and `erfcf` made a GELU step twice as long as a ReLU one. These kernels are
//! branch-free loops the compiler turns into AVX-512 or AVX2 code, chosen at run time by CPU detection
//! (plain SSE2 code otherwise), so one binary runs everywhere.
//!
//! ```text
//! exp(x):  n = round(x·log₂e),  r = x − n·ln2 (two-part ln2, Cody–Waite),
//!          exp(x) = 2ⁿ · (1 + r + r²·P(r)),  P of degree 5 (Cephes' expf coefficients)
//!          x > 88.72… → +∞;  x < −87.33… → 0 (no subnormal results);  NaN → NaN
//! exp f64: the same steps with f64's constants, P the Taylor series to r¹³/13! (fdlibm's two-part ln2);
//!          x > 709.78… → +∞;  x < −708.39… → 0
//! expm1:   |x| < 0.7: x + x²/2! + … + x¹⁰/10!;  else exp(x) − 1
//! sigmoid: e = exp(−|x|);  σ(x) = 1/(1+e) for x ≥ 0,  e/(1+e) for x < 0      (no overflow anywhere)
//! tanh:    |x| < 0.625: x + x³·Q(x²) (Cephes' tanhf);  else sign(x)·(1 − 2/(e^{2|x|} + 1))
//! GELU:    x·Φ(x);  Φ(x) = ½(1 + erf(x/√2)) for |x| < 0.5·√2, else via Φ(−|x|) = ½·e^{−x²/2}·erfcx(|x|/√2),
//!          erf and erfcx by least-squares polynomials (relative error < 5e-9), e^{−x²/2} with x² split
//!          so that it carries no rounding of x²;  GELU′ = Φ(x) + x·ϕ(x)
//!          (by blocks of 16: a block whose values all have |x|/√2 < 2 leaves out erfcx's far-tail
//!          polynomial and its two divisions, which none of them takes; the same bits, 13% less time)
//! ```
//!
//! Accuracy, checked in the tests against the f64 functions over a dense sweep of [−100, 100]: exp within
//! 1 ulp, sigmoid within 2, tanh within 1.5, expm1 within 2, GELU within 5 (measured worst: 0.97, 1.99,
//! 1.09, 1.55, 4.2; for comparison the scalar path, through the C library's f32 erfcf, is off by 5.5e-6
//! relative at x = −10.57 in GELU's negative tail), GELU′ within 4e-7 of the size of its two terms; the
//! f64 exp within 1 ulp of the C library's over [−708, 709].
//! The polynomials use separate multiplies and adds (no fused multiply-add), so every code path —
//! AVX-512, AVX2 or scalar — rounds identically and results do not depend on which CPU feature was
//! detected.

/// 1.5·2²³: adding it rounds an f32 in (−2²², 2²²) to the nearest integer, which lands in the low
/// mantissa bits.
const ROUND: f32 = 12_582_912.0;
const LOG2E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split so that n·LN2_HI is exact for |n| ≤ 2⁸ (Cephes).
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// Above: e^x overflows f32.
const EXP_HI: f32 = 88.722_84;
/// Below: e^x is subnormal; returned as 0.
const EXP_LO: f32 = -87.336_55;
/// (eʳ − 1 − r)/r² on |r| ≤ ln2/2, in powers of r (Cephes' expf).
const EXP_POLY: [f32; 6] = [5e-1, 1.666_666_5e-1, 4.166_579_6e-2, 8.333_452e-3, 1.398_199_9e-3, 1.987_569_2e-4];
/// (eˣ − 1 − x)/x² = Σ x^(k−2)/k!, k = 2..=10 (expm1 near 0).
const EXPM1_SERIES: [f32; 9] = [
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
];
/// (tanh x − x)/x³ as a polynomial in x², for |x| < 0.625 (Cephes' tanhf).
const TANH_SMALL: [f32; 5] = [-3.333_328e-1, 1.333_144_2e-1, -5.373_971_6e-2, 2.063_909e-2, -5.704_988_7e-3];

#[inline(always)]
fn exp1(x: f32) -> f32 {
    // `clamp` keeps NaN, which then propagates to the result.
    let xc = x.clamp(EXP_LO, EXP_HI);
    let t = xc * LOG2E + ROUND;
    let n = t - ROUND;
    let ni = (t.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    let r = xc - n * LN2_HI - n * LN2_LO;
    let p = horner(&EXP_POLY, r);
    let y = p * (r * r) + r + 1.0;
    // 2ⁿ as two exact factors 2^⌊n/2⌋·2^(n−⌊n/2⌋), each a normal f32 for every n in [−126, 128]
    // (e^88.7 needs n = 128, past the largest single power). Wrapping arithmetic: for NaN input `ni` is
    // meaningless, and `y` is NaN anyway.
    let half = ni >> 1;
    let pow2 = |k: i32| f32::from_bits((k.wrapping_add(127) as u32) << 23);
    let v = y * pow2(half) * pow2(ni.wrapping_sub(half));
    if x > EXP_HI {
        f32::INFINITY
    } else if x < EXP_LO {
        0.0
    } else {
        v
    }
}

/// 1.5·2⁵²: adding it rounds an f64 in (−2⁵¹, 2⁵¹) to the nearest integer, in the low mantissa bits.
const ROUND64: f64 = 6_755_399_441_055_744.0;
/// ln 2 split so that n·LN2_HI64 is exact for |n| < 2²⁰ (fdlibm's: the high part's low 32 bits are 0).
const LN2_HI64: f64 = 6.931_471_803_691_238e-1;
const LN2_LO64: f64 = 1.908_214_929_270_587_7e-10;
/// Above: e^x overflows f64.
const EXP64_HI: f64 = 709.782_712_893_384;
/// Below: e^x is subnormal; returned as 0.
const EXP64_LO: f64 = -708.396_418_532_264_1;
/// (eʳ − 1 − r)/r² = Σ r^(k−2)/k!, k = 2..=13: truncation below 2⁻⁵⁸ relative on |r| ≤ ln2/2.
const EXP64_SERIES: [f64; 12] = [
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];

/// `exp` for f64, by the same steps as [`exp1`] with f64's constants and a longer series.
#[inline(always)]
fn exp64_1(x: f64) -> f64 {
    let xc = x.clamp(EXP64_LO, EXP64_HI);
    let t = xc * std::f64::consts::LOG2_E + ROUND64;
    let n = t - ROUND64;
    let ni = (t.to_bits() as i64).wrapping_sub(ROUND64.to_bits() as i64);
    let r = xc - n * LN2_HI64 - n * LN2_LO64;
    let p = horner(&EXP64_SERIES, r);
    let y = p * (r * r) + r + 1.0;
    // 2ⁿ as two exact factors, each a normal f64 for every n in [−1022, 1024] (as in `exp1`).
    let half = ni >> 1;
    let pow2 = |k: i64| f64::from_bits((k.wrapping_add(1023) as u64) << 52);
    let v = y * pow2(half) * pow2(ni.wrapping_sub(half));
    if x > EXP64_HI {
        f64::INFINITY
    } else if x < EXP64_LO {
        0.0
    } else {
        v
    }
}

#[inline(always)]
fn expm1_1(x: f32) -> f32 {
    // Near 0, eˣ − 1 would cancel: Taylor series to x¹⁰/10! there (truncation below 1e-8 relative for
    // |x| < 0.7); beyond, the subtraction loses at most a factor eˣ/(eˣ − 1) < 2 of exp's accuracy.
    let small = x + x * x * horner(&EXPM1_SERIES, x);
    let large = exp1(x) - 1.0;
    if x.abs() < 0.7 { small } else { large }
}

#[inline(always)]
fn sigmoid1(x: f32) -> f32 {
    let e = exp1(-x.abs());
    let d = 1.0 + e;
    if x >= 0.0 { 1.0 / d } else { e / d }
}

#[inline(always)]
fn tanh1(x: f32) -> f32 {
    let ax = x.abs();
    let z = x * x;
    let small = horner(&TANH_SMALL, z) * z * x + x;
    let large = 1.0 - 2.0 / (exp1(2.0 * ax) + 1.0);
    let large = if x < 0.0 { -large } else { large };
    if ax < 0.625 { small } else { large }
}

/// Horner's rule, `c[0] + c[1]·v + … + c[N−1]·v^(N−1)`, with separate multiplies and adds (for f32 and f64).
#[inline(always)]
fn horner<T: Copy + std::ops::Mul<Output = T> + std::ops::Add<Output = T>, const N: usize>(c: &[T; N], v: T) -> T {
    let mut p = c[N - 1];
    for k in (0..N - 1).rev() {
        p = p * v + c[k];
    }
    p
}

/// erf(t)/t as a polynomial in t², for t ∈ [0, 0.5) (least-squares fit, relative error 1.5e-9).
const ERF_SMALL: [f32; 5] =
    [std::f32::consts::FRAC_2_SQRT_PI, -0.376_126_14, 0.112_829_186, -0.026_762_653, 0.004_728_126];
/// erfcx(t) = e^{t²}·erfc(t) as a polynomial in t − 1.25, for t ∈ [0.5, 2) (relative error 2.4e-9).
const ERFCX_MID: [f32; 11] = [
    0.367_822_92,
    -0.208_821_9,
    0.106_795_55,
    -0.050_217_87,
    0.022_011_554,
    -0.009_085_712,
    0.003_552_79,
    -0.001_309_121_6,
    0.000_472_058_08,
    -0.000_192_113_03,
    0.000_060_762_086,
];
/// Where erfcx's far-tail polynomial ([`ERFCX_TAIL`]) takes over from the middle one ([`ERFCX_MID`]), in t.
const ERFCX_TAIL_FROM: f32 = 2.0;
/// t·erfcx(t) as a polynomial in 1/t² − 0.13, for t ∈ [2, 10.5] (relative error 4.8e-9; beyond, e^{−t²}
/// is 0 in f32).
const ERFCX_TAIL: [f32; 9] = [
    0.533_030_2,
    -0.206_367_97,
    0.204_807_92,
    -0.297_443_4,
    0.541_783_7,
    -1.115_194_1,
    2.499_800_2,
    -9.483_187,
    31.582_348,
];

/// e^{−x²/2} without the error of rounding x²: x = h + l with h keeping 12 significant bits, so h² is exact
/// and e^{−x²/2} = e^{−h²/2}·e^{−l(x+h)/2}. 0 for |x| ≥ 14 (the true value is below f32's normal range).
#[inline(always)]
fn exp_neg_half_square(x: f32) -> f32 {
    let h = f32::from_bits(x.to_bits() & 0xFFFF_F000);
    let l = x - h;
    let e = exp1(-0.5 * (h * h)) * exp1(-0.5 * (l * (x + h)));
    if x.abs() >= 14.0 { 0.0 } else { e }
}

/// The standard normal (Φ(x), ϕ(x)). Φ(x) = ½(1 + erf(x/√2)) for |x|/√2 < 0.5; otherwise the tail
/// Φ(−|x|) = ½·e^{−x²/2}·erfcx(|x|/√2), accurate to a few ulp however far out, and Φ(|x|) = 1 − that.
#[inline(always)]
fn normal_cdf_pdf(x: f32) -> (f32, f32) {
    normal_cdf_pdf_for::<true>(x)
}

/// [`normal_cdf_pdf`], with `TAIL` false only for `x` that pass [`erfcx_mid_only`] (then it skips the
/// far tail's polynomial and divisions, which no such `x` takes, and gives the same bits).
#[inline(always)]
fn normal_cdf_pdf_for<const TAIL: bool>(x: f32) -> (f32, f32) {
    let t = erf_argument(x);
    let e = exp_neg_half_square(x);
    let pdf = e * 0.398_942_3; // 1/√(2π)
    let erf_small = t * horner(&ERF_SMALL, t * t);
    let cdf_small = 0.5 + 0.5 * if x < 0.0 { -erf_small } else { erf_small };
    let erfcx = if !TAIL || t < ERFCX_TAIL_FROM {
        horner(&ERFCX_MID, t - 1.25)
    } else {
        horner(&ERFCX_TAIL, 1.0 / (t * t) - 0.13) / t
    };
    let q = 0.5 * e * erfcx;
    let cdf_tail = if x < 0.0 { q } else { 1.0 - q };
    (if t < 0.5 { cdf_small } else { cdf_tail }, pdf)
}

#[inline(always)]
fn gelu1(x: f32) -> f32 {
    x * normal_cdf_pdf(x).0
}

#[inline(always)]
fn gelu_derivative1(x: f32) -> f32 {
    let (cdf, pdf) = normal_cdf_pdf(x);
    cdf + x * pdf
}

/// t = |x|/√2, the argument of erf and erfcx in [`normal_cdf_pdf`].
#[inline(always)]
fn erf_argument(x: f32) -> f32 {
    x.abs() * std::f32::consts::FRAC_1_SQRT_2
}

/// Whether [`normal_cdf_pdf`] takes erfcx's middle polynomial for `x` (t < 2, the same t and bound as
/// there; false for NaN): most of a layer's pre-activations, |x| < 2.83.
#[inline(always)]
fn erfcx_mid_only(x: f32) -> bool {
    erf_argument(x) < ERFCX_TAIL_FROM
}

/// [`gelu1`] for `x` that pass [`erfcx_mid_only`].
#[inline(always)]
fn gelu_mid1(x: f32) -> f32 {
    x * normal_cdf_pdf_for::<false>(x).0
}

/// [`gelu_derivative1`] for `x` that pass [`erfcx_mid_only`].
#[inline(always)]
fn gelu_derivative_mid1(x: f32) -> f32 {
    let (cdf, pdf) = normal_cdf_pdf_for::<false>(x);
    cdf + x * pdf
}

/// The instruction sets an element-wise loop can be compiled for; [`Path::best`] is the widest this CPU has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    #[cfg(target_arch = "x86_64")]
    Avx512,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    Baseline,
}

impl Path {
    fn best() -> Path {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Path::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Path::Avx2;
            }
        }
        Path::Baseline
    }

    /// Every path this CPU can run.
    #[cfg(test)]
    fn available() -> Vec<Path> {
        let mut paths = vec![Path::Baseline];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                paths.push(Path::Avx2);
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                paths.push(Path::Avx512);
            }
        }
        paths
    }
}

/// `$y[i] = $f($x[i])`, with `$f` called by name so that it is inlined (and the loop vectorised) where the
/// macro expands.
macro_rules! each {
    ($x:expr, $y:expr, $f:ident) => {
        for (y, &x) in $y.iter_mut().zip($x) {
            *y = $f(x);
        }
    };
}

/// `$y[i] = $general($x[i])`, computed by blocks of 16: a block whose values all pass `$within` by `$fast`,
/// which must give `$general`'s bits for such values. A vectorised `$general` evaluates every branch of its
/// selects for every lane; `$fast` leaves out the branches no lane of the block takes.
macro_rules! split {
    ($x:expr, $y:expr, $within:ident, $fast:ident, $general:ident) => {{
        const BLOCK: usize = 16;
        let whole = $x.len() / BLOCK * BLOCK;
        let ((x, x_rest), (y, y_rest)) = ($x.split_at(whole), $y.split_at_mut(whole));
        for (ys, xs) in y.chunks_exact_mut(BLOCK).zip(x.chunks_exact(BLOCK)) {
            // `&` rather than `all`: one vector comparison, not a loop with early exits.
            if xs.iter().fold(true, |all, &v| all & $within(v)) {
                each!(xs, ys, $fast);
            } else {
                each!(xs, ys, $general);
            }
        }
        each!(x_rest, y_rest, $general);
    }};
}

/// Defines `pub fn $name(x, y)`: `y[i] = $scalar(x[i])`, run with the widest vector instructions the CPU has,
/// and `fn $on(path, x, y)`, the same loop compiled for a given [`Path`] (the tests run every path). Each
/// compiled copy calls `$scalar` by name, so it is inlined and vectorised there.
///
/// With `split(within, fast)`, blocks of 16 values that all pass `within` take `fast`, which gives the same
/// bits as `$scalar` there and skips a branch the block does not need ([`split`]).
macro_rules! dispatch {
    ($name:ident, $on:ident, $scalar:ident) => {
        dispatch!($name, $on, $scalar, f32);
    };
    ($name:ident, $on:ident, $scalar:ident, split($within:ident, $fast:ident)) => {
        dispatch!(@def $name, $on, f32, split($within, $fast, $scalar));
    };
    ($name:ident, $on:ident, $scalar:ident, $t:ty) => {
        dispatch!(@def $name, $on, $t, each($scalar));
    };
    (@def $name:ident, $on:ident, $t:ty, $loop:ident($($f:ident),+)) => {
        /// Element-wise over the slices: `y[i] = f(x[i])` (see the module docs).
        ///
        /// # Panics
        /// If the slices differ in length.
        pub fn $name(x: &[$t], y: &mut [$t]) {
            $on(Path::best(), x, y)
        }

        /// [`$name`] compiled for `path`.
        ///
        /// # Panics
        /// If the slices differ in length, or the CPU does not have `path`.
        fn $on(path: Path, x: &[$t], y: &mut [$t]) {
            assert_eq!(x.len(), y.len(), concat!(stringify!($name), ": slices differ in length"));
            #[inline(always)]
            fn body(x: &[$t], y: &mut [$t]) {
                $loop!(x, y, $($f),+)
            }
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                fn avx512(x: &[$t], y: &mut [$t]) {
                    body(x, y)
                }
                #[target_feature(enable = "avx2")]
                fn avx2(x: &[$t], y: &mut [$t]) {
                    body(x, y)
                }
                match path {
                    Path::Avx512 => {
                        assert!(std::arch::is_x86_feature_detected!("avx512f"), "no AVX-512F on this CPU");
                        // SAFETY: the CPU has AVX-512F (checked just above).
                        return unsafe { avx512(x, y) };
                    }
                    Path::Avx2 => {
                        assert!(std::arch::is_x86_feature_detected!("avx2"), "no AVX2 on this CPU");
                        // SAFETY: the CPU has AVX2 (checked just above).
                        return unsafe { avx2(x, y) };
                    }
                    Path::Baseline => {}
                }
            }
            body(x, y)
        }
    };
}

dispatch!(exp, exp_on, exp1);
dispatch!(expm1, expm1_on, expm1_1);
dispatch!(sigmoid, sigmoid_on, sigmoid1);
dispatch!(tanh, tanh_on, tanh1);
dispatch!(gelu, gelu_on, gelu1, split(erfcx_mid_only, gelu_mid1));
dispatch!(gelu_derivative, gelu_derivative_on, gelu_derivative1, split(erfcx_mid_only, gelu_derivative_mid1));
dispatch!(exp_f64, exp_f64_on, exp64_1, f64);

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(got: f32, want: f64) -> f64 {
        let w = want as f32;
        if got == w {
            return 0.0;
        }
        // Below the smallest normal the kernels return 0 by design: count that as exact.
        if want.abs() < f32::MIN_POSITIVE as f64 && got.abs() < f32::MIN_POSITIVE {
            return 0.0;
        }
        // Distance in units of the f32 spacing at the true value.
        let spacing = (f32::from_bits(w.abs().to_bits() + 1) - w.abs()) as f64;
        (got as f64 - want).abs() / spacing
    }

    fn sweep() -> Vec<f32> {
        let mut xs: Vec<f32> = (-200_000..=200_000).map(|i| i as f32 * 5e-4).collect();
        xs.extend((-2000..=2000).map(|i| i as f32 * 0.05));
        xs.extend([0.0, -0.0, 1e-30, -1e-30, 1e-7, -1e-7, 88.7, -87.3, 1e4, -1e4]);
        xs
    }

    fn worst(f: fn(&[f32], &mut [f32]), reference: fn(f64) -> f64, xs: &[f32]) -> (f64, f32) {
        let mut y = vec![0.0; xs.len()];
        f(xs, &mut y);
        xs.iter()
            .zip(&y)
            .map(|(&x, &g)| (ulps(g, reference(x as f64)), x))
            .fold((0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a })
    }

    #[test]
    fn exp_within_1_ulp() {
        let xs: Vec<f32> = sweep().into_iter().filter(|x| (EXP_LO..=EXP_HI).contains(x)).collect();
        let (u, x) = worst(exp, f64::exp, &xs);
        assert!(u <= 1.0, "exp: {u} ulp at x = {x}");
    }

    #[test]
    fn exp_f64_within_1_ulp_of_the_c_library() {
        let mut xs: Vec<f64> = (-708_000..=709_000).map(|i| i as f64 * 1e-3 + 1.234_567e-5).collect();
        xs.extend((-100_000..=100_000).map(|i| i as f64 * 1e-5));
        xs.extend([0.0, -0.0, 1e-300, -1e-300, 1e-12, -1e-12, 709.78, -708.39]);
        let mut y = vec![0.0; xs.len()];
        exp_f64(&xs, &mut y);
        let (mut worst, mut at) = (0.0f64, 0.0);
        for (&x, &g) in xs.iter().zip(&y) {
            let w = x.exp();
            let spacing = f64::from_bits(w.to_bits() + 1) - w;
            let u = (g - w).abs() / spacing;
            if u > worst {
                (worst, at) = (u, x);
            }
        }
        assert!(worst <= 1.0, "exp f64: {worst} ulp from the C library's at x = {at}");
        let special = [f64::INFINITY, f64::NEG_INFINITY, 710.0, -709.0, -1e300, f64::NAN];
        let mut y = [0.0; 6];
        exp_f64(&special, &mut y);
        assert_eq!(&y[..5], &[f64::INFINITY, 0.0, f64::INFINITY, 0.0, 0.0]);
        assert!(y[5].is_nan());
        for path in Path::available() {
            let mut v = vec![0.0; xs.len()];
            exp_f64_on(path, &xs, &mut v);
            let want = xs.iter().map(|&x| exp64_1(x).to_bits());
            assert!(v.iter().map(|y| y.to_bits()).eq(want), "exp f64: the {path:?} path rounds differently");
        }
    }

    #[test]
    fn expm1_within_2_ulp() {
        let xs: Vec<f32> = sweep().into_iter().filter(|x| (EXP_LO..=EXP_HI).contains(x)).collect();
        let (u, x) = worst(expm1, f64::exp_m1, &xs);
        assert!(u <= 2.0, "expm1: {u} ulp at x = {x}");
    }

    #[test]
    fn sigmoid_within_2_ulp() {
        let (u, x) = worst(sigmoid, |x| 1.0 / (1.0 + (-x).exp()), &sweep());
        assert!(u <= 2.0, "sigmoid: {u} ulp at x = {x}");
    }

    #[test]
    fn tanh_within_1_5_ulp() {
        let (u, x) = worst(tanh, f64::tanh, &sweep());
        assert!(u <= 1.5, "tanh: {u} ulp at x = {x}");
    }

    /// GELU and its derivative against the f64 definitions x·Φ(x) and Φ(x) + x·ϕ(x), Φ through libm's erfc.
    #[test]
    fn gelu_and_derivative_match_the_f64_definitions() {
        let cdf = |x: f64| 0.5 * libm::erfc(-x * std::f64::consts::FRAC_1_SQRT_2);
        let pdf = |x: f64| (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let xs: Vec<f32> = sweep().into_iter().filter(|x| x.abs() < 13.0).collect();
        let (u, x) = worst(gelu, |x| x * 0.5 * libm::erfc(-x * std::f64::consts::FRAC_1_SQRT_2), &xs);
        assert!(u <= 5.0, "gelu: {u} ulp at x = {x}");
        let mut d = vec![0.0; xs.len()];
        gelu_derivative(&xs, &mut d);
        let mut worst_rel = 0.0f64;
        for (&x, &g) in xs.iter().zip(&d) {
            let x = x as f64;
            // Relative to the size of the two terms, since they cancel near x ≈ −0.75.
            let scale = cdf(x).abs() + (x * pdf(x)).abs();
            let rel = (g as f64 - (cdf(x) + x * pdf(x))).abs() / scale.max(f32::MIN_POSITIVE as f64);
            worst_rel = worst_rel.max(rel);
        }
        assert!(worst_rel < 4e-7, "gelu′: relative error {worst_rel}");
    }

    #[test]
    fn limits_and_special_values() {
        let xs = [f32::INFINITY, f32::NEG_INFINITY, 1e4, -1e4, 100.0, -100.0, f32::NAN, 0.0];
        let mut y = [0.0f32; 8];
        exp(&xs, &mut y);
        assert_eq!(&y[..6], &[f32::INFINITY, 0.0, f32::INFINITY, 0.0, f32::INFINITY, 0.0]);
        assert!(y[6].is_nan());
        assert_eq!(y[7], 1.0);
        sigmoid(&xs, &mut y);
        assert_eq!(&y[..6], &[1.0, 0.0, 1.0, 0.0, 1.0, 0.0]);
        assert!(y[6].is_nan());
        assert_eq!(y[7], 0.5);
        tanh(&xs, &mut y);
        assert_eq!(&y[..6], &[1.0, -1.0, 1.0, -1.0, 1.0, -1.0]);
        assert!(y[6].is_nan());
        assert_eq!(y[7], 0.0);
        gelu(&xs, &mut y);
        assert_eq!(y[0], f32::INFINITY);
        assert!(y[1].is_nan(), "−∞·Φ(−∞) = −∞·0, as x·Φ(x) in any library");
        assert_eq!(&y[2..6], &[1e4, 0.0, 100.0, 0.0]);
        assert!(y[6].is_nan());
        assert_eq!(y[7], 0.0);
        gelu_derivative(&xs, &mut y);
        assert_eq!(&y[2..6], &[1.0, 0.0, 1.0, 0.0]);
        assert!(y[6].is_nan());
        assert_eq!(y[7], 0.5);
    }

    /// Every instruction set this CPU has (baseline SSE2, AVX2, AVX-512) gives the same bits as the scalar
    /// function, for every kernel: results do not depend on which path the CPU selects.
    #[test]
    fn every_code_path_rounds_the_same() {
        let xs = sweep();
        type Kernel = (&'static str, fn(Path, &[f32], &mut [f32]), fn(f32) -> f32);
        let kernels: [Kernel; 6] = [
            ("exp", exp_on, exp1),
            ("expm1", expm1_on, expm1_1),
            ("sigmoid", sigmoid_on, sigmoid1),
            ("tanh", tanh_on, tanh1),
            ("gelu", gelu_on, gelu1),
            ("gelu′", gelu_derivative_on, gelu_derivative1),
        ];
        let paths = Path::available();
        assert!(paths.contains(&Path::best()));
        for (name, on, scalar) in kernels {
            let want: Vec<u32> = xs.iter().map(|&x| scalar(x).to_bits()).collect();
            for &path in &paths {
                let mut v = vec![0.0; xs.len()];
                on(path, &xs, &mut v);
                let same = v.iter().zip(&want).all(|(y, &w)| y.to_bits() == w);
                assert!(same, "{name}: the {path:?} path rounds differently from the scalar function");
            }
        }
    }
}
