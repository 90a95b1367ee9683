//! Training throughput of actscope-core, single thread: `cargo bench -p actscope-core`.
//!
//! Prints, for each case, the median of 7 timed runs after one warm-up run: samples/s, ms/step, the
//! achieved GFLOP/s of the step's matrix products, and that rate as a share of the same binary's
//! large-GEMM rate (1024³, f32), which is measured first so numbers compare across machines.
//! Set `ACTSCOPE_BENCH_QUICK=1` for a short run (fewer steps).

use std::hint::black_box;
use std::time::Instant;

use actscope_core::linalg::gemm;
use actscope_core::rng::{seeded, standard_normal};
use actscope_core::{
    Activation, Budget, Dataset, Mlp, MlpConfig, Optimizer, OptimizerConfig, Placement, Probe, TrainConfig, TrainData,
    Workspace, train,
};
use ndarray::Array2;
use ndarray::linalg::general_mat_mul;

const RUNS: usize = 7;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Seconds `f` takes: the median of `RUNS` timed calls after one untimed warm-up call.
fn median_secs(mut f: impl FnMut()) -> f64 {
    f();
    median(
        (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

fn random_data(n: usize, d: usize, classes: usize) -> Dataset {
    let mut rng = seeded(1);
    let x = Array2::from_shape_simple_fn((n, d), || standard_normal(&mut rng) as f32);
    let labels = (0..n).map(|i| (i * 7 + i / 3) % classes).collect();
    Dataset::new("bench", "random", x, labels, classes).unwrap()
}

fn gemm_gflops(n: usize) -> f64 {
    let a = Array2::<f32>::from_elem((n, n), 0.5);
    let b = Array2::<f32>::from_elem((n, n), 0.25);
    let mut c = Array2::<f32>::zeros((n, n));
    let secs = median_secs(|| {
        gemm(1.0, a.view(), b.view(), 0.0, &mut c.view_mut());
        black_box(&c);
    });
    2.0 * (n as f64).powi(3) / secs / 1e9
}

/// The two GEMMs compared: ours (`linalg::gemm`, the `gemm` crate) and ndarray's own (`matrixmultiply`,
/// with its AVX-512 kernels, on by default).
#[derive(Clone, Copy)]
enum Gemm {
    Ours,
    Matrixmultiply,
}

/// GFLOP/s of one product with the layouts the layers use: `a` (m×k) read transposed when `at`
/// (stored k×m), `b` (k×n) read transposed when `bt` (stored n×k); `c` row-major.
fn shape_gflops(which: Gemm, m: usize, k: usize, n: usize, at: bool, bt: bool) -> f64 {
    let a_store = if at { Array2::<f32>::from_elem((k, m), 0.5) } else { Array2::from_elem((m, k), 0.5) };
    let b_store = if bt { Array2::<f32>::from_elem((n, k), 0.25) } else { Array2::from_elem((k, n), 0.25) };
    let a = if at { a_store.t() } else { a_store.view() };
    let b = if bt { b_store.t() } else { b_store.view() };
    let mut c = Array2::<f32>::zeros((m, n));
    let reps = (2e8 / (2.0 * (m * k * n) as f64)).ceil() as usize;
    let secs = median_secs(|| {
        for _ in 0..reps {
            match which {
                Gemm::Ours => gemm(1.0, a, b, 0.0, &mut c.view_mut()),
                Gemm::Matrixmultiply => general_mat_mul(1.0, &a, &b, 0.0, &mut c),
            }
            black_box(&c);
        }
    });
    2.0 * (m * k * n * reps) as f64 / secs / 1e9
}

/// Forward + backward of one activation over a 60×100 layer, µs (the element-wise part of a step).
fn activation_micros(act: Activation) -> f64 {
    let mut rng = seeded(3);
    let z = Array2::<f32>::from_shape_simple_fn((60, 100), || standard_normal(&mut rng) as f32);
    let g = Array2::<f32>::from_elem((60, 100), 0.5);
    let (mut a, mut gz) = (Array2::<f32>::zeros((60, 100)), Array2::<f32>::zeros((60, 100)));
    let reps = 5000;
    let secs = median_secs(|| {
        for _ in 0..reps {
            act.forward_into(z.view(), a.view_mut());
            act.backward_into(z.view(), a.view(), g.view(), gz.view_mut());
            black_box((&a, &gz));
        }
    });
    secs * 1e6 / reps as f64
}

/// Peak FMA throughput of one core, f32, GFLOP/s: 12 independent chains of vector fused multiply-adds (enough
/// to cover the FMA latency on every current x86 core), at the widest width the CPU has (AVX-512, else
/// AVX2 + FMA). `None` when the CPU has neither (or is not x86-64).
fn fma_peak_gflops() -> Option<f64> {
    const ITERS: usize = 20_000_000;
    #[cfg(target_arch = "x86_64")]
    {
        let (lanes, run): (usize, fn(usize) -> f32) = if is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked just above).
            (16, |n| unsafe { fma::chains_avx512(n) })
        } else if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            (8, |n| unsafe { fma::chains_avx2(n) })
        } else {
            return None;
        };
        let secs = median_secs(|| {
            black_box(run(black_box(ITERS)));
        });
        Some((ITERS * fma::CHAINS * lanes * 2) as f64 / secs / 1e9)
    }
    #[cfg(not(target_arch = "x86_64"))]
    None
}

#[cfg(target_arch = "x86_64")]
mod fma {
    use std::arch::x86_64::*;

    pub const CHAINS: usize = 12;

    #[target_feature(enable = "avx512f")]
    pub fn chains_avx512(iters: usize) -> f32 {
        let m = _mm512_set1_ps(0.999_999);
        let a = _mm512_set1_ps(1e-7);
        let mut acc = [_mm512_set1_ps(1.0); CHAINS];
        for _ in 0..iters {
            for x in &mut acc {
                *x = _mm512_fmadd_ps(*x, m, a);
            }
        }
        acc.iter().map(|&x| _mm512_reduce_add_ps(x)).sum()
    }

    #[target_feature(enable = "avx2,fma")]
    pub fn chains_avx2(iters: usize) -> f32 {
        let m = _mm256_set1_ps(0.999_999);
        let a = _mm256_set1_ps(1e-7);
        let mut acc = [_mm256_set1_ps(1.0); CHAINS];
        for _ in 0..iters {
            for x in &mut acc {
                *x = _mm256_fmadd_ps(*x, m, a);
            }
        }
        let mut out = [0.0f32; 8];
        let mut total = 0.0;
        for x in acc {
            // SAFETY: `out` holds exactly 8 f32, the width of one __m256.
            unsafe { _mm256_storeu_ps(out.as_mut_ptr(), x) };
            total += out.iter().sum::<f32>();
        }
        total
    }
}

/// The reference rates of this run: the large GEMM's and the FMA limit's, GFLOP/s.
#[derive(Clone, Copy)]
struct Rates {
    gemm: f64,
    fma: Option<f64>,
}

impl Rates {
    fn shares(self, gflops: f64) -> String {
        let fma = self.fma.map_or_else(|| "-".to_owned(), |p| format!("{:.1}%", 100.0 * gflops / p));
        format!("{:>9.1}% {fma:>9}", 100.0 * gflops / self.gemm)
    }
}

/// A probe that exists but never asks for anything: must cost nothing measurable.
struct Idle;
impl Probe<f32> for Idle {}

/// FLOPs of the matrix products of one training step (forward, weight gradients, input gradients except
/// the first layer's).
fn step_flops(cfg: &MlpConfig, batch: usize) -> f64 {
    let mut dims = vec![cfg.input_dim];
    dims.extend(&cfg.hidden);
    dims.push(cfg.output_dim);
    let b = batch as f64;
    dims.windows(2)
        .enumerate()
        .map(|(i, w)| {
            let mk = (w[0] * w[1]) as f64;
            2.0 * b * mk * if i == 0 { 2.0 } else { 3.0 }
        })
        .sum()
}

fn train_case<P: Probe<f32>>(
    name: &str,
    cfg: &MlpConfig,
    batch: usize,
    steps: usize,
    rates: Rates,
    probe: impl Fn() -> P,
) -> f64 {
    let data = random_data(batch * 50, cfg.input_dim, cfg.output_dim);
    let run = || {
        let mut net = Mlp::<f32>::new(cfg, 0).unwrap();
        let mut opt = Optimizer::new(OptimizerConfig::sgd(0.1)).unwrap();
        let tc = TrainConfig::new(batch, Budget::Steps(steps), 0);
        let td = TrainData::new(&data, &[], None);
        let t = Instant::now();
        let out = train(&mut net, &mut opt, &tc, td, probe()).unwrap();
        black_box(out);
        t.elapsed().as_secs_f64()
    };
    run();
    let secs = median((0..RUNS).map(|_| run()).collect());
    let per_step = secs / steps as f64;
    let sps = batch as f64 / per_step;
    let gf = step_flops(cfg, batch) / per_step / 1e9;
    println!("{name:<44} {sps:>12.0} {:>9.3} {gf:>9.1} {}", per_step * 1e3, rates.shares(gf));
    sps
}

/// Where the products of (b)'s step (784-512×8-10, batch 256) spend their time: each distinct product shape
/// as the layers call it, how many a step has, its rate alone, and its share of the products' time; then the
/// step time those rates predict for the products alone, to set beside (b)'s measured step.
fn wide_by_shape(rates: Rates) {
    // (what, count per step, M, K, N, a transposed, b transposed)
    let shapes: [(&str, usize, usize, usize, usize, bool, bool); 8] = [
        ("forward, layer 1: x·W1ᵀ", 1, 256, 784, 512, false, true),
        ("forward, layers 2–8: h·Wᵀ", 7, 256, 512, 512, false, true),
        ("forward, output: h·Woᵀ", 1, 256, 512, 10, false, true),
        ("weight grad, layer 1: gᵀ·x", 1, 512, 256, 784, true, false),
        ("weight grad, layers 2–8: gᵀ·h", 7, 512, 256, 512, true, false),
        ("weight grad, output: gᵀ·h", 1, 10, 256, 512, true, false),
        ("input grad, layers 2–8: g·W", 7, 256, 512, 512, false, false),
        ("input grad, output: g·Wo", 1, 256, 10, 512, false, false),
    ];
    println!("(b) by shape: the products of one step of 784-512x8-10 at batch 256 (M×K×N), GFLOP/s alone:");
    let rows: Vec<(f64, f64)> = shapes
        .iter()
        .map(|&(_, count, m, k, n, at, bt)| {
            let g = shape_gflops(Gemm::Ours, m, k, n, at, bt);
            (g, count as f64 * 2.0 * (m * k * n) as f64 / g / 1e9)
        })
        .collect();
    let total: f64 = rows.iter().map(|r| r.1).sum();
    for (&(what, count, m, k, n, _, _), &(g, secs)) in shapes.iter().zip(&rows) {
        println!(
            "  {what:<40} ×{count} {m:>4}×{k:>4}×{n:>4} {g:>8.1} {}  {:>5.1}% of the products' time",
            rates.shares(g),
            100.0 * secs / total
        );
    }
    println!("  the products alone, at these rates: {:.2} ms per step\n", total * 1e3);
}

fn eval_case(name: &str, cfg: &MlpConfig, batch: usize, reps: usize) {
    let data = random_data(batch, cfg.input_dim, cfg.output_dim);
    let x = data.features.view();
    let net = Mlp::<f32>::new(cfg, 0).unwrap();
    let mut ws = Workspace::new(&net, batch);
    let secs = median_secs(|| {
        for _ in 0..reps {
            net.forward_eval(x, &mut ws);
            black_box(ws.logits());
        }
    });
    println!("{name:<44} {:>12.0} {:>9.3}", (batch * reps) as f64 / secs, secs / reps as f64 * 1e3);
}

fn main() {
    // `cargo bench` passes `--bench`; another argument selects the cases whose name contains it
    // (`cargo bench -p actscope-core --bench throughput -- eval`).
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let wanted = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    let quick = std::env::var_os("ACTSCOPE_BENCH_QUICK").is_some();
    let scale = if quick { 0.1 } else { 1.0 };
    let steps = |n: f64| ((n * scale) as usize).max(5);

    let rate = gemm_gflops(1024);
    let peak = fma_peak_gflops();
    println!("large GEMM 1024³ f32, this binary: {rate:.1} GFLOP/s (single thread)");
    match peak {
        Some(p) => {
            println!("FMA limit of one core, measured: {p:.1} GFLOP/s; large GEMM reaches {:.1}%\n", 100.0 * rate / p)
        }
        None => println!("FMA limit: not measured (no AVX2/AVX-512 on this CPU)\n"),
    }
    let rate = Rates { gemm: rate, fma: peak };
    if wanted("gemm shapes") {
        println!("gemm shapes of the BN paper net's step (M×K×N, as the layers call them), GFLOP/s:");
        println!("  {:<30} {:>12} {:>8} {:>15}", "", "", "ours", "matrixmultiply");
        for (what, m, k, n, at, bt) in [
            ("large square", 1024, 1024, 1024, false, false),
            ("forward, layer 1: x·W1ᵀ", 60, 784, 100, false, true),
            ("forward, layer 2: h·W2ᵀ", 60, 100, 100, false, true),
            ("weight grad, layer 1: gᵀ·x", 100, 60, 784, true, false),
            ("weight grad, layer 2: gᵀ·h", 100, 60, 100, true, false),
            ("input grad, layer 2: g·W2", 60, 100, 100, false, false),
        ] {
            let (ours, mm) =
                (shape_gflops(Gemm::Ours, m, k, n, at, bt), shape_gflops(Gemm::Matrixmultiply, m, k, n, at, bt));
            println!("  {what:<30} {m:>4}×{k:>4}×{n:>4} {ours:>8.1} {mm:>15.1}");
        }
        println!();
    }
    println!("{:<44} {:>12} {:>9} {:>9} {:>10} {:>9}", "case", "samples/s", "ms/step", "GFLOP/s", "of GEMM", "of FMA");

    let mut paper = MlpConfig::new(784, &[100, 100, 100], 10, Activation::Sigmoid, Placement::Before);
    paper.init = actscope_core::Init::SmallGaussian(0.1);
    const A: &str = "(a) 784-100x3-10, b60, sigmoid, BN before";
    const IDLE: &str = "(a) same, with a probe that wants nothing";
    const B: &str = "(b) 784-512x8-10, b256, sigmoid, BN before";
    const EVAL: &str = "eval forward, BN paper net, batch 1000";
    let a = wanted(A).then(|| train_case(A, &paper, 60, steps(2000.0), rate, || ()));
    let idle = wanted(IDLE).then(|| train_case(IDLE, &paper, 60, steps(2000.0), rate, || Idle));
    if wanted(B) {
        let wide = MlpConfig::new(784, &[512; 8], 10, Activation::Sigmoid, Placement::Before);
        train_case(B, &wide, 256, steps(60.0), rate, || ());
    }
    if wanted(EVAL) {
        eval_case(EVAL, &paper, 1000, steps(200.0));
    }
    if wanted("(b) by shape") {
        wide_by_shape(rate);
    }
    if wanted("activations") {
        println!("\nactivations, forward + backward of a 60×100 layer (f32):");
        for act in actscope_core::MAIN_ACTIVATIONS {
            println!("  {:<18} {:>7.2} µs", act.to_string(), activation_micros(act));
        }
    }
    if let (Some(a), Some(idle)) = (a, idle) {
        println!("\nidle probe vs no probe: {:+.2}% samples/s", 100.0 * (idle / a - 1.0));
    }
}
