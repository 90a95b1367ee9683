//! No allocation storm in the steady-state step. Our own code allocates nothing per step; the only
//! allocations are the GEMM library's packing buffers (`gemm` 0.19 allocates them on each product and offers
//! no way to pass scratch memory; matrixmultiply does the same). The allocator recycles those, so after
//! warm-up a step takes no page faults — the cost that a per-op allocation storm would show.
//!
//! A counting allocator wraps the system one and counts, per thread, only while a test asks it to, so tests
//! running in parallel on other threads do not disturb the count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use actscope_core::{
    Activation, Budget, Mlp, MlpConfig, Optimizer, OptimizerConfig, PLACEMENTS, TrainConfig, TrainData, train,
};
use actscope_data::synthetic;

struct Counting;

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged; only a thread-local counter is touched.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ON.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Allocations and minor page faults (this thread) of a training run of `steps` steps.
fn cost_of(steps: usize, cfg: &MlpConfig, data: &actscope_core::Dataset) -> (u64, Option<u64>) {
    let mut net = Mlp::<f32>::new(cfg, 0).unwrap();
    let mut opt = Optimizer::new(OptimizerConfig::sgd_momentum(0.01, 0.9)).unwrap();
    let tc = TrainConfig::new(60, Budget::Steps(steps), 0);
    COUNT.with(|c| c.set(0));
    let faults0 = minor_faults();
    ON.with(|o| o.set(true));
    train(&mut net, &mut opt, &tc, TrainData::new(data, &[], None), ()).unwrap();
    ON.with(|o| o.set(false));
    let faults = minor_faults().zip(faults0).map(|(a, b)| a - b);
    (COUNT.with(Cell::get), faults)
}

/// Minor page faults of the calling thread (Linux), from `/proc/thread-self/stat` field 10.
fn minor_faults() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let after = &s[s.rfind(')')? + 2..];
    after.split_whitespace().nth(7)?.parse().ok()
}

#[test]
fn the_training_step_allocates_only_gemm_packing_and_takes_no_page_faults() {
    let data = synthetic::clusters(600, 32, 4, 0.5, 1, 1);
    for placement in PLACEMENTS {
        let cfg = MlpConfig::new(32, &[40, 30], 4, Activation::Gelu, placement);
        // Products per step with L hidden layers: L + 1 forward, L + 1 weight gradients, L input gradients.
        let products = 3 * cfg.hidden.len() as u64 + 2;
        cost_of(5, &cfg, &data);
        let (a_short, f_short) = cost_of(10, &cfg, &data);
        let (a_long, f_long) = cost_of(210, &cfg, &data);
        let extra = a_long - a_short;
        assert!(
            extra <= 200 * 2 * products,
            "BN {placement}: {extra} allocations in 200 steps, more than the GEMM's packing"
        );
        if let (Some(s), Some(l)) = (f_short, f_long) {
            // A per-op allocation storm would fault on every product (≥ 1,600 here) every time; allow under one
            // per step. The count is this thread's, but glibc's arenas are shared with the tests running beside
            // it, whose frees can trim memory this thread then faults in again (330 once in CI, 2026-12-07), so
            // a second measurement is taken when the first is over: a storm fails both.
            let first = l.saturating_sub(s);
            let faults = || match (cost_of(10, &cfg, &data).1, cost_of(210, &cfg, &data).1) {
                (Some(s), Some(l)) => l.saturating_sub(s),
                // Counted the first time, so counted again; were it not, the first count stands.
                _ => first,
            };
            let fewest = if first < 200 { first } else { first.min(faults()) };
            assert!(fewest < 200, "BN {placement}: {fewest} page faults in 200 steady-state steps (first {first})");
        }
    }
}

#[test]
fn the_matrix_product_allocates_only_its_packing_buffers() {
    use ndarray::Array2;
    let a = Array2::<f32>::from_elem((60, 784), 0.5);
    let b = Array2::<f32>::from_elem((100, 784), 0.25);
    let mut c = Array2::<f32>::zeros((60, 100));
    actscope_core::linalg::gemm(1.0, a.view(), b.t(), 0.0, &mut c.view_mut());
    COUNT.with(|c| c.set(0));
    ON.with(|o| o.set(true));
    for _ in 0..10 {
        actscope_core::linalg::gemm(1.0, a.view(), b.t(), 0.0, &mut c.view_mut());
    }
    ON.with(|o| o.set(false));
    assert!(COUNT.with(Cell::get) <= 20, "at most two packing buffers per product");
}
