//! Trains the BN paper's MNIST network (784-100-100-100-10, sigmoid, BN before) on a synthetic
//! 784-dimensional task (ten Gaussian clusters) and prints its accuracy as it learns.
//!
//! Run with `cargo run --release -p actscope-core --example train_mlp`.

use actscope_core::{
    Budget, Cadence, Mlp, MlpConfig, Optimizer, OptimizerConfig, Placement, TrainConfig, TrainData, train,
};
use actscope_data::synthetic;

fn main() -> Result<(), actscope_core::Error> {
    let train_set = synthetic::clusters(6000, 784, 10, 0.2, 42, 1);
    let test_set = synthetic::clusters(2000, 784, 10, 0.2, 42, 2);
    let config = MlpConfig::bn_paper(Placement::Before);
    let mut net = Mlp::<f32>::new(&config, 0)?;
    let mut opt = Optimizer::new(OptimizerConfig::sgd_momentum(0.05, 0.9))?;
    let evals = [("train", &train_set), ("test", &test_set)];
    let data = TrainData::new(&train_set, &evals, None);
    let mut tc = TrainConfig::new(60, Budget::Epochs(3), 0);
    tc.eval_every = Some(Cadence::every(100));
    let start = std::time::Instant::now();
    let outcome = train(&mut net, &mut opt, &tc, data, ())?;
    for p in outcome.history.iter().filter(|p| p.set == "test") {
        println!(
            "step {:>4}  epoch {:>4.2}  test loss {:.4}  test accuracy {:.4}",
            p.step, p.epoch, p.loss, p.accuracy
        );
    }
    let acc = outcome.last("test").map_or(f64::NAN, |p| p.accuracy);
    println!(
        "{} parameters, {} steps in {:.2?}: final test accuracy {:.4}",
        net.num_params(),
        outcome.steps,
        start.elapsed(),
        acc
    );
    assert!(acc > 0.95, "the BN paper's net should separate ten clusters, got {acc}");
    Ok(())
}

#[test]
fn example_runs() {
    main().unwrap();
}
