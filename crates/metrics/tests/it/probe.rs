//! MetricsProbe in a real training run: cadence, records, update ratios, JSON Lines round trip.

use actscope_core::{
    Activation, Budget, Mlp, MlpConfig, Optimizer, OptimizerConfig, Placement, TrainConfig, TrainData, train,
};
use actscope_data::synthetic;
use actscope_metrics::records::{Record, read_jsonl, write_jsonl};
use actscope_metrics::{MetricsProbe, ProbeConfig};

/// Two epochs of a 12-16-16-16-3 tanh net with BN after φ on `n` training examples in batches of 40, a
/// checkpoint every tenth of an epoch ([`ProbeConfig::every_tenth_epoch`]): the probe's records.
fn run_on(n: usize, step_scalars: bool) -> Vec<Record> {
    let tr = synthetic::teacher(n, 12, 3, 5, 1);
    let va = synthetic::teacher(300, 12, 3, 5, 2);
    let cfg = MlpConfig::new(12, &[16, 16, 16], 3, Activation::Tanh, Placement::After);
    let mut net = Mlp::<f32>::new(&cfg, 0).unwrap();
    let mut opt = Optimizer::new(OptimizerConfig::sgd_momentum(0.05, 0.9)).unwrap();
    let tc = TrainConfig::new(40, Budget::Epochs(2), 0);
    let total = tc.total_steps(tr.len());
    let mut pc = ProbeConfig::every_tenth_epoch(tc.steps_per_epoch(tr.len()), total);
    pc.step_scalars = step_scalars;
    let mut probe = MetricsProbe::new(pc, &net, va.len());
    let evals = [("val", &va)];
    let data = TrainData::new(&tr, &evals, Some(&va));
    train(&mut net, &mut opt, &tc, data, &mut probe).unwrap();
    probe.finish()
}

fn run(step_scalars: bool) -> Vec<Record> {
    run_on(1200, step_scalars)
}

#[test]
fn checkpoints_follow_the_cadence_and_carry_every_metric() {
    let records = run(false);
    assert!(matches!(&records[0], Record::Header(h) if h.activation == "tanh" && h.placement == "after"));
    let cps: Vec<_> =
        records.iter().filter_map(|r| if let Record::Checkpoint(c) = r { Some(c) } else { None }).collect();
    // 30 steps per epoch, a checkpoint every 3 steps, 60 steps: steps 0, 3, …, 60.
    assert_eq!(cps.iter().map(|c| c.step).collect::<Vec<_>>(), (0..=60).step_by(3).collect::<Vec<_>>());
    for c in &cps {
        assert_eq!(c.layers.len(), 3);
        for l in &c.layers {
            assert!(l.saturation.is_some() && l.dead.is_none(), "tanh is bounded, not ReLU-family");
            assert!(l.bn.is_some() && l.effective_rank.unwrap() >= 1.0 && l.grad_w_norm > 0.0);
            assert_eq!(l.z_hist.total(), 300 * 16);
            assert_eq!(l.update_ratio.is_some(), c.step < 60, "no update follows the last step");
        }
        assert!(c.layers[2].tracked_unit.is_some() && c.layers[0].tracked_unit.is_none());
        assert!(c.growth_factor.is_some() && c.vanishing_index.is_finite());
    }
    assert_eq!(records.iter().filter(|r| matches!(r, Record::Eval(_))).count(), 2);
    assert!(!records.iter().any(|r| matches!(r, Record::Step(_))));
}

/// A tenth of a 25-step epoch is 2.5 steps: checkpoints at the first step at or after each tenth (0, 3, 5,
/// 8, 10, …, 50), ten per epoch, not every 2 steps (⌊2.5⌋, twelve or thirteen per epoch, as they had been).
#[test]
fn checkpoints_land_on_the_tenths_of_an_epoch() {
    let steps: Vec<usize> = run_on(1000, false)
        .iter()
        .filter_map(|r| if let Record::Checkpoint(c) = r { Some(c.step) } else { None })
        .collect();
    let want: Vec<usize> = (0..=20).map(|k: usize| (5 * k).div_ceil(2)).collect();
    assert_eq!(want[..5], [0, 3, 5, 8, 10]);
    assert_eq!(steps, want);
}

#[test]
fn per_step_scalars_and_jsonl_round_trip() {
    let records = run(true);
    let steps = records.iter().filter(|r| matches!(r, Record::Step(s) if s.grad_w_norms.len() == 4)).count();
    assert_eq!(steps, 60);
    let mut buf = Vec::new();
    write_jsonl(&records, &mut buf).unwrap();
    let back = read_jsonl(buf.as_slice()).unwrap();
    assert!(back == records, "records differ after a JSON Lines round trip");
    let bad = b"{\"kind\":\"header\",\"schema\":999}\n";
    assert!(read_jsonl(&bad[..]).unwrap_err().to_string().contains("line 1"));
}

#[test]
fn undefined_values_survive_json_lines() {
    use actscope_core::EvalPoint;
    let r = vec![Record::Eval(EvalPoint { step: 3, epoch: 0.5, set: "val".into(), loss: f64::NAN, accuracy: 0.1 })];
    let mut buf = Vec::new();
    write_jsonl(&r, &mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf).contains("\"loss\":null"));
    match &read_jsonl(buf.as_slice()).unwrap()[0] {
        Record::Eval(e) => assert!(e.loss.is_nan() && e.accuracy == 0.1),
        other => panic!("{other:?}"),
    }
}

/// A probe told another probe-set size than the probe set it is shown is an error before training (the
/// header had said 10 while every checkpoint said 50), and a size of 0 is refused when the probe is built.
#[test]
fn the_probe_set_size_must_be_the_probe_sets() {
    use actscope_core::{Observation, Probe, ProbeSource, Workspace};
    let tr = synthetic::teacher(200, 6, 2, 5, 1);
    let va = synthetic::teacher(50, 6, 2, 5, 2);
    let cfg = MlpConfig::new(6, &[8], 2, Activation::Relu, Placement::None);
    let mut net = Mlp::<f32>::new(&cfg, 0).unwrap();
    let mut opt = Optimizer::new(OptimizerConfig::sgd(0.05)).unwrap();
    let tc = TrainConfig::new(20, Budget::Steps(4), 0);
    let pc = ProbeConfig::every_tenth_epoch(10, 4);
    let mut probe = MetricsProbe::new(pc.clone(), &net, 10);
    let e = train(&mut net, &mut opt, &tc, TrainData::new(&tr, &[], Some(&va)), &mut probe).unwrap_err();
    let e = e.to_string();
    assert!(e.contains("invalid probe_samples: the probe was built for a probe set of 10 examples"), "{e}");
    assert!(e.contains("has 50"), "{e}");
    assert_eq!(probe.finish().len(), 1, "nothing but the header");
    // Outside the training loop, an observation of another size is a (documented) panic.
    let mut probe = MetricsProbe::new(pc.clone(), &net, 10);
    let mut ws = Workspace::new(&net, va.len());
    net.forward_batch_stats(va.x(), &mut ws);
    let (logits, grad) = ws.logits_and_grad();
    actscope_core::loss::softmax_cross_entropy(logits, &va.labels, grad);
    net.backward(va.x(), &mut ws);
    let (layers, output) = net.observe(&ws);
    let obs = Observation {
        step: 0,
        epoch: 0.0,
        source: ProbeSource::ProbeSet,
        loss: 0.0,
        activation: Activation::Relu,
        placement: Placement::None,
        layers,
        output,
    };
    let m = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| probe.observe(&obs))).unwrap_err();
    let m = m.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(m.contains("a probe-set observation of 50 examples, but the probe was built for a probe set of 10"), "{m}");
    let m =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| MetricsProbe::new(pc.clone(), &net, 0))).unwrap_err();
    let m = m.downcast_ref::<String>().cloned().or_else(|| m.downcast_ref::<&str>().map(|s| s.to_string()));
    assert!(m.unwrap_or_default().contains("probe_samples is 0; expected the probe set's size"));
    // The probe set's own size trains, and the header and the checkpoints agree.
    let mut probe = MetricsProbe::new(pc, &net, va.len());
    train(&mut net, &mut opt, &tc, TrainData::new(&tr, &[], Some(&va)), &mut probe).unwrap();
    let records = probe.finish();
    let Record::Header(h) = &records[0] else { panic!("a header first") };
    assert_eq!(h.probe_samples, 50);
    assert!(records.iter().all(|r| !matches!(r, Record::Checkpoint(c) if c.probe_samples != Some(50))));
}

/// Records that serde reads but that no run writes are refused, naming the line and the field: a histogram
/// with more counts than bins (it made the TensorBoard export panic), empty or reversed bins, counts that
/// overflow, layers out of order, an accuracy of 7.5 and a negative loss (all had passed into figures and
/// exports as written).
#[test]
fn records_no_run_writes_are_refused() {
    let records = run(false);
    let mut buf = Vec::new();
    write_jsonl(&records, &mut buf).unwrap();
    let text = String::from_utf8(buf).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.iter().position(|l| l.contains("\"checkpoint\"")).unwrap();
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value = serde_json::from_str(lines[at]).unwrap();
        f(&mut v);
        let mut out = lines.clone();
        let edited = v.to_string();
        out[at] = &edited;
        read_jsonl(out.join("\n").as_bytes()).map(drop).unwrap_err().to_string()
    };
    let line = format!("line {}: ", at + 1);
    type Edit<'a> = &'a dyn Fn(&mut serde_json::Value);
    let cases: [(Edit, &str); 6] = [
        (
            &|v| v["layers"][0]["z_hist"]["counts"].as_array_mut().unwrap().push(1.into()),
            "layers[0].z_hist: 65 counts for 64 bins",
        ),
        (&|v| v["layers"][1]["a_hist"]["bins"]["bins"] = 0.into(), "layers[1].a_hist: 0 bins over"),
        (&|v| v["layers"][0]["z_hist"]["bins"]["lo"] = 9.0.into(), "layers[0].z_hist: 64 bins over [9, 8]"),
        (&|v| v["layers"][0]["z_hist"]["counts"][0] = u64::MAX.into(), "counts that sum beyond 2^64"),
        (&|v| v["layers"][1]["layer"] = 7.into(), "layers[1] is numbered 7"),
        (&|v| v["layers"][0]["layer"] = 1.into(), "layers[0] is numbered 1"),
    ];
    for (f, want) in cases {
        let e = edit(f);
        assert!(e.contains(&line) && e.contains(want), "{e}\nwants {want}");
    }
    use actscope_core::EvalPoint;
    let eval = |accuracy: f64, loss: f64| {
        let r = vec![Record::Eval(EvalPoint { step: 3, epoch: 0.5, set: "val".into(), loss, accuracy })];
        let mut buf = Vec::new();
        write_jsonl(&r, &mut buf).unwrap();
        read_jsonl(buf.as_slice()).map(drop).map_err(|e| e.to_string())
    };
    assert_eq!(eval(7.5, 0.3).unwrap_err(), "line 1: val accuracy 7.5; expected a share within [0, 1]");
    assert_eq!(eval(0.5, -0.3).unwrap_err(), "line 1: val loss -0.3; expected a loss of 0 or more");
    assert!(eval(f64::NAN, f64::INFINITY).is_ok() && eval(1.0, 0.0).is_ok(), "an empty set, a diverged loss");
}
