//! Sampled checkpoints: the first and the last measure the whole probe set, those in between the probe
//! set's first rows or the training step's own batch; each record says how many and which; training is
//! unchanged; old (schema 1) records still read.

use actscope_core::{
    Activation, Budget, Mlp, MlpConfig, Optimizer, OptimizerConfig, Placement, TrainConfig, TrainData, train,
};
use actscope_data::synthetic;
use actscope_metrics::probe::{Between, probe_sample, sampling_methods};
use actscope_metrics::records::{Checkpoint, MeasuredOn, Record, read_jsonl, write_jsonl};
use actscope_metrics::{MetricsProbe, ProbeConfig, SCHEMA_VERSION};

/// What the checkpoints in between measure, for [`run`].
#[derive(Clone, Copy)]
enum Mode {
    Whole,
    Sample(usize),
    TrainBatch,
}
use Mode::{Sample, TrainBatch, Whole};

/// Trains a small BN net for 2 epochs (60 steps of batch 40, a checkpoint every 3) with a 300-example probe
/// set and the probe configured by `mode`, `full_every` and `step_scalars`; returns the records and the
/// weights.
fn run_with(mode: Mode, full_every: usize, step_scalars: bool) -> (Vec<Record>, Vec<f32>) {
    let tr = synthetic::teacher(1200, 12, 3, 5, 1);
    let va = synthetic::teacher(300, 12, 3, 5, 2);
    let cfg = MlpConfig::new(12, &[16, 16, 16], 3, Activation::Sigmoid, Placement::Before);
    let mut net = Mlp::<f32>::new(&cfg, 0).unwrap();
    let mut opt = Optimizer::new(OptimizerConfig::sgd_momentum(0.05, 0.9)).unwrap();
    let tc = TrainConfig::new(40, Budget::Epochs(2), 0);
    let total = tc.total_steps(tr.len());
    let mut pc = ProbeConfig::every_tenth_epoch(tc.steps_per_epoch(tr.len()), total);
    pc = match mode {
        Whole => pc,
        Sample(n) => pc.with_sample(&va, n),
        TrainBatch => pc.with_train_batch(),
    };
    pc.full_every = full_every;
    pc.step_scalars = step_scalars;
    let mut probe = MetricsProbe::new(pc, &net, va.len());
    let evals = [("val", &va)];
    train(&mut net, &mut opt, &tc, TrainData::new(&tr, &evals, Some(&va)), &mut probe).unwrap();
    let weights = net.layers.iter().flat_map(|l| l.linear.weight.iter().copied()).collect();
    (probe.finish(), weights)
}

fn run(mode: Mode, full_every: usize) -> (Vec<Record>, Vec<f32>) {
    run_with(mode, full_every, false)
}

fn checkpoints(records: &[Record]) -> Vec<&Checkpoint> {
    records.iter().filter_map(|r| if let Record::Checkpoint(c) = r { Some(c) } else { None }).collect()
}

#[test]
fn first_and_last_checkpoints_use_the_whole_probe_set_and_the_others_the_sample() {
    for (mode, between) in [(Sample(50), 50), (TrainBatch, 40)] {
        let (records, _) = run(mode, 0);
        check_samples(&records, between, matches!(mode, TrainBatch));
    }
}

/// Every third step is a checkpoint; the first and the last measure the 300-example probe set, those in
/// between `between` examples (of the training batch when `train_batch`).
fn check_samples(records: &[Record], between: usize, train_batch: bool) {
    let cps = checkpoints(records);
    assert_eq!(cps.iter().map(|c| c.step).collect::<Vec<_>>(), (0..=60).step_by(3).collect::<Vec<_>>());
    for c in &cps {
        let full = c.step == 0 || c.step == 60;
        let n = if full { 300 } else { between };
        assert_eq!(c.probe_samples, Some(n), "step {}", c.step);
        let on = if train_batch && !full { MeasuredOn::TrainBatch } else { MeasuredOn::ProbeSet };
        assert_eq!(c.measured_on, on, "step {}", c.step);
        assert!((c.epoch - c.step as f64 / 30.0).abs() == 0.0, "epoch of step {}: {}", c.step, c.epoch);
        assert!(c.loss.is_finite() && c.vanishing_index.is_finite());
        for l in &c.layers {
            assert_eq!(l.z_hist.total(), n as u64 * 16);
            assert_eq!(l.effective_rank.is_some(), full, "effective rank on the whole probe set only");
            assert_eq!(l.update_ratio.is_some(), c.step < 60);
            assert!(l.saturation.is_some() && l.bn.is_some());
        }
        assert!(c.layers[2].tracked_unit.is_some());
    }
}

#[test]
fn a_training_batch_checkpoint_measures_that_steps_batch_before_its_update() {
    // With per-step scalars on, step s's scalars come from the same observation: the checkpoint's loss and
    // gradient norms must be the ones of update s, not of s − 1 or s + 1.
    let (records, _) = run_with(TrainBatch, 0, true);
    let steps: Vec<_> = records.iter().filter_map(|r| if let Record::Step(s) = r { Some(s) } else { None }).collect();
    assert_eq!(steps.len(), 60);
    let inner: Vec<_> = checkpoints(&records).into_iter().filter(|c| c.measured_on == MeasuredOn::TrainBatch).collect();
    assert_eq!(inner.len(), 19);
    for c in inner {
        let s = steps[c.step];
        assert_eq!((s.step, s.loss), (c.step, c.loss), "loss of step {}", c.step);
        let norms: Vec<f64> = c.layers.iter().map(|l| l.grad_w_norm).chain([c.output_grad_w_norm]).collect();
        assert_eq!(norms, s.grad_w_norms, "gradient norms of step {}", c.step);
    }
}

#[test]
fn full_every_adds_whole_probe_set_checkpoints() {
    let (records, _) = run(Sample(50), 30);
    let full: Vec<usize> =
        checkpoints(&records).iter().filter(|c| c.probe_samples == Some(300)).map(|c| c.step).collect();
    assert_eq!(full, [0, 30, 60]);
    let (records, _) = run(TrainBatch, 30);
    let full: Vec<usize> =
        checkpoints(&records).iter().filter(|c| c.measured_on == MeasuredOn::ProbeSet).map(|c| c.step).collect();
    assert_eq!(full, [0, 30, 60]);
}

#[test]
fn measuring_a_sample_leaves_training_unchanged() {
    let (without, w2) = run(Whole, 0);
    // Without a sample every checkpoint measures the whole probe set.
    assert!(checkpoints(&without).iter().all(|c| c.probe_samples == Some(300)));
    let evals = |r: &[Record]| r.iter().filter(|r| matches!(r, Record::Eval(_))).cloned().collect::<Vec<_>>();
    for mode in [Sample(50), TrainBatch] {
        let (with_sample, w1) = run(mode, 0);
        assert!(w1 == w2, "the trained weights differ");
        assert!(evals(&with_sample) == evals(&without));
        // The whole-probe-set checkpoints agree exactly.
        let (a, b) = (checkpoints(&with_sample), checkpoints(&without));
        assert!(a[0] == b[0] && a.last() == b.last());
    }
}

#[test]
fn a_sample_no_smaller_than_the_probe_set_is_no_sample() {
    let va = synthetic::teacher(300, 12, 3, 5, 2);
    assert!(probe_sample(&va, 300).is_none() && probe_sample(&va, 1).is_none());
    assert_eq!(probe_sample(&va, 100).map(|d| d.len()), Some(100));
    let cfg = ProbeConfig::every_tenth_epoch(30, 60);
    assert_eq!(cfg.samples_at(3, 300, 40), Some(300));
    assert_eq!(cfg.clone().with_sample(&va, 300).between, Between::ProbeSet);
    let sampled = cfg.clone().with_sample(&va, 100);
    let at = |c: &ProbeConfig, s| c.samples_at(s, 300, 40);
    assert_eq!((at(&sampled, 0), at(&sampled, 3), at(&sampled, 4)), (Some(300), Some(100), None));
    let batch = cfg.with_train_batch();
    assert_eq!((at(&batch, 0), at(&batch, 3), at(&batch, 60)), (Some(300), Some(40), Some(300)));
    let text = sampling_methods(&[("E1", 60), ("E4", 10)]);
    assert!(text.contains("60 in E1, 10 in E4"), "{text}");
}

#[test]
fn records_round_trip_and_schema_1_records_still_read() {
    let (records, _) = run(Sample(50), 0);
    let mut buf = Vec::new();
    write_jsonl(&records, &mut buf).unwrap();
    assert!(read_jsonl(buf.as_slice()).unwrap() == records, "records differ after a JSON Lines round trip");
    // A schema-1 file: no probe_samples on its checkpoints; they read back with the header's probe size.
    let text = String::from_utf8(buf).unwrap();
    let old: String = text
        .lines()
        .map(|l| {
            let l = l.replace(&format!("\"schema\":{SCHEMA_VERSION}"), "\"schema\":1");
            if l.contains("\"kind\":\"checkpoint\"") {
                let l = l.replace("\"probe_samples\":50,", "").replace("\"probe_samples\":300,", "");
                l.replace("\"measured_on\":\"probe_set\",", "") + "\n"
            } else {
                l + "\n"
            }
        })
        .collect();
    assert!(!old.contains("\"probe_samples\":5") && old.contains("\"schema\":1"));
    assert_eq!(old.matches("probe_samples").count(), 1, "only the header keeps its probe size");
    assert!(!old.contains("measured_on"));
    let back = read_jsonl(old.as_bytes()).unwrap();
    assert!(checkpoints(&back).iter().all(|c| c.probe_samples == Some(300) && c.measured_on == MeasuredOn::ProbeSet));
    let future = format!("{{\"kind\":\"header\",\"schema\":{}}}\n", SCHEMA_VERSION + 1);
    assert!(read_jsonl(future.as_bytes()).is_err());
}

#[test]
fn overflowed_and_undefined_values_read_back_as_written() {
    // JSON has no ∞: serde_json alone writes it as `null`, which read back as NaN ("undefined"), and an
    // optional ∞ (an update ratio) as absent.
    let (mut records, _) = run_with(Sample(50), 0, true);
    let Some(Record::Checkpoint(c)) = records.iter_mut().find(|r| matches!(r, Record::Checkpoint(_))) else {
        panic!("no checkpoint")
    };
    let l = &mut c.layers[0];
    l.grad_w_norm = f64::INFINITY;
    l.z.mean = f64::NEG_INFINITY;
    l.update_ratio = Some(f64::INFINITY);
    l.effective_rank = Some(f64::NAN);
    c.vanishing_index = f64::NAN;
    let Some(Record::Step(s)) = records.iter_mut().find(|r| matches!(r, Record::Step(_))) else { panic!("no step") };
    s.grad_w_norms[0] = f64::INFINITY;
    let mut buf = Vec::new();
    write_jsonl(&records, &mut buf).unwrap();
    let back = read_jsonl(buf.as_slice()).unwrap();
    let c = checkpoints(&back)[0];
    let l = &c.layers[0];
    assert_eq!((l.grad_w_norm, l.z.mean, l.update_ratio), (f64::INFINITY, f64::NEG_INFINITY, Some(f64::INFINITY)));
    assert!(l.effective_rank.is_some_and(f64::is_nan), "an undefined rank is not an absent one");
    assert!(c.vanishing_index.is_nan());
    let s = back.iter().find_map(|r| if let Record::Step(s) = r { Some(s) } else { None }).unwrap();
    assert_eq!(s.grad_w_norms[0], f64::INFINITY);
}
