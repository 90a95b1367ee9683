//! Evaluation: the network in eval mode (BN running statistics) over a whole set, and the record of one
//! evaluation that the training loop keeps and shows its probes.

use std::borrow::Cow;

use ndarray::{Array2, s};
use serde::{Deserialize, Serialize};

use crate::digest::StateDigest;
use crate::loss::cross_entropy_sum_and_correct;
use crate::sparse::SparseSet;
use crate::start_memo::StartMemo;
use crate::{Dataset, Error, Float, Mlp, Result, Workspace};

/// One evaluation of the network on a named set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalPoint {
    /// Updates done when evaluated.
    pub step: usize,
    /// Epochs done (fractional).
    #[serde(with = "crate::serde_nan::float")]
    pub epoch: f64,
    /// The set's name as given to the loop (e.g. `val`).
    pub set: String,
    /// Mean cross-entropy loss.
    #[serde(with = "crate::serde_nan::float")]
    pub loss: f64,
    /// Share of examples classified correctly.
    #[serde(with = "crate::serde_nan::float")]
    pub accuracy: f64,
}

/// An evaluation set with its rows grouped once for the sparse first-layer product ([`SparseSet::new`]), so
/// that runs evaluating the same set share one grouping instead of each building its own: the runs of a
/// sweep all evaluate the same validation and test sets, and grouping a set takes about 1.5 ms per 1,000 rows
/// (some 5% of a run of E1). Pass it to training in [`crate::TrainData::prepared`], with
/// [`PreparedSet::set`] as the set in [`crate::TrainData::evals`]. The grouping changes no number, only
/// the time an evaluation takes.
///
/// It also shares the evaluations of a run's first state: runs that start from the same network (a
/// sweep's runs that differ only in their learning rate or optimizer start from the same weights) evaluate
/// it once here, at step 0, and each records the same numbers it would have computed itself. A state is
/// recognised by the SHA-256 of the network's type, configuration, parameters and running statistics, so
/// only the same bits share. Each state kept costs about a hundred bytes.
///
/// It borrows or owns its set, so the set cannot change while the grouping exists.
#[derive(Clone)]
pub struct PreparedSet<'a> {
    set: Cow<'a, Dataset>,
    chunk: usize,
    sparse: Option<SparseSet>,
    /// The evaluations (mean loss, accuracy) of the states runs started from, by their digest; shared by
    /// clones, which hold the same set.
    starts: StartMemo<StateDigest, (f64, f64)>,
}

impl<'a> PreparedSet<'a> {
    /// Groups the rows of `set` in chunks of `chunk` rows, the [`crate::TrainConfig::eval_batch`] of the runs
    /// that will evaluate it, where the sparse product pays (else it holds no grouping and the runs evaluate
    /// the set with dense products, as they would without it).
    ///
    /// # Errors
    /// If `chunk` is 0.
    pub fn new(set: Cow<'a, Dataset>, chunk: usize) -> Result<Self> {
        if chunk == 0 {
            return Err(Error::config("eval_batch", "must be ≥ 1"));
        }
        let sparse = SparseSet::new(set.x(), chunk);
        Ok(PreparedSet { set, chunk, sparse, starts: StartMemo::default() })
    }

    /// The set.
    pub fn set(&self) -> &Dataset {
        &self.set
    }

    /// Whether the set's rows are grouped (the sparse product pays for it on this machine).
    pub fn is_sparse(&self) -> bool {
        self.sparse.is_some()
    }

    /// Whether this is `set` (the same value, not an equal copy) in chunks of `chunk`.
    pub(crate) fn is_of(&self, set: &Dataset, chunk: usize) -> bool {
        std::ptr::eq(self.set(), set) && self.chunk == chunk
    }

    /// The grouping, if there is one (the sparse product pays for it on this machine).
    pub(crate) fn grouping(&self) -> Option<&SparseSet> {
        self.sparse.as_ref()
    }

    /// The evaluation (mean loss, accuracy) of a network in the state `digest` on this set in its chunks:
    /// `evaluate`'s result the first time the state is evaluated here, the same numbers after. A run that
    /// asks for a state another thread is evaluating waits for it.
    pub(crate) fn evaluate_start(&self, digest: StateDigest, evaluate: impl FnOnce() -> (f64, f64)) -> (f64, f64) {
        self.starts.get_or_compute(digest, evaluate)
    }

    /// How many first states of runs this set holds evaluations of: one per distinct network the runs that
    /// evaluated it started from (a sweep's runs that differ only in their learning rate count once).
    pub fn starts_evaluated(&self) -> usize {
        self.starts.computed()
    }
}

impl std::fmt::Debug for PreparedSet<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedSet")
            .field("set", &self.set.name)
            .field("rows", &self.set.len())
            .field("chunk", &self.chunk)
            .field("sparse", &self.is_sparse())
            .finish()
    }
}

/// Evaluates `net` in eval mode on `data`, in chunks of the workspace's capacity: (mean loss, accuracy).
///
/// For `f32` the chunks are views of the set's own features; other types get each chunk converted into a
/// buffer first. The values the network sees are the same either way.
///
/// A set without examples has no mean: its loss and accuracy are both NaN (as undefined values are
/// everywhere in actscope's records), not 0.
///
/// # Errors
/// If the set does not fit the network: its width is not the network's `input_dim`
/// ([`Error::Shape`]), or it has more classes than the network has outputs ([`Error::Config`]), as
/// [`crate::train`] refuses such a set.
///
/// # Panics
/// If `ws` was built for another network ([`Workspace::new`]), or a label is `≥ data.classes` (which
/// [`Dataset::new`] refuses; only a set whose public fields were changed afterwards can have one).
pub fn evaluate<F: Float>(net: &Mlp<F>, data: &Dataset, ws: &mut Workspace<F>) -> Result<(f64, f64)> {
    check_set(net, "evaluation", data)?;
    Ok(evaluate_packed(net, data, None, ws))
}

/// Checks that `d` fits `net`: its width is the input's and its classes are at most the outputs. `what`
/// names the set's role in the message (e.g. "training").
pub(crate) fn check_set<F: Float>(net: &Mlp<F>, what: &str, d: &Dataset) -> Result<()> {
    let cfg = net.config();
    if d.dim() != cfg.input_dim {
        return Err(Error::Shape {
            context: format!("{what} set {:?}", d.name),
            expected: format!("{} features (the network's input_dim)", cfg.input_dim),
            got: format!("{} features", d.dim()),
        });
    }
    if d.classes > cfg.output_dim {
        return Err(Error::config(
            "output_dim",
            format!("{what} set {:?} has {} classes but the network has {} outputs", d.name, d.classes, cfg.output_dim),
        ));
    }
    Ok(())
}

/// [`evaluate_packed`] that packs the first Linear itself when given a grouping (the tests' form).
#[cfg(test)]
pub(crate) fn evaluate_with<F: Float>(
    net: &Mlp<F>,
    data: &Dataset,
    sparse: Option<&SparseSet>,
    ws: &mut Workspace<F>,
) -> (f64, f64) {
    let packed = sparse.is_some() && net.pack_first_linear(ws);
    evaluate_packed(net, data, sparse.filter(|_| packed), ws)
}

/// [`evaluate`] with the set's rows grouped for the sparse first-layer product ([`SparseSet`], built once
/// per set from `data`'s features, with the workspace's capacity as its chunk, and reused at every
/// evaluation). The caller has packed the network's first Linear into `ws` for this state of `net`
/// ([`Mlp::pack_first_linear`] returned `true`; it refuses weights that are not finite, and then the caller
/// passes `None`) whenever it passes a grouping: the training loop packs once for all the sets it
/// evaluates at one step (packing for each of E1's three sets took 0.9% of a sweep's samples, once 0.3%). With
/// `None`, or for types other than `f32`, every product is dense. A set without examples gives NaN for both.
///
/// # Panics
/// If `sparse` was built for another number of rows or chunk size, or the set does not fit the network
/// (see [`check_set`]).
pub(crate) fn evaluate_packed<F: Float>(
    net: &Mlp<F>,
    data: &Dataset,
    sparse: Option<&SparseSet>,
    ws: &mut Workspace<F>,
) -> (f64, f64) {
    let chunk = ws.capacity();
    if let Some(sp) = sparse {
        assert_eq!(
            (sp.chunk(), sp.rows()),
            (chunk, data.len()),
            "the sparse grouping must be of this set, in chunks of the workspace's capacity"
        );
    }
    let features = data.features.view();
    let mut converted: Option<Array2<F>> = None;
    let (mut loss, mut correct) = (0.0, 0);
    let mut start = 0;
    while start < data.len() {
        let end = (start + chunk).min(data.len());
        let rows = features.slice(s![start..end, ..]);
        match F::borrow_f32(rows) {
            Some(x) => match sparse {
                Some(sp) => net.forward_eval_sparse(x, sp.part(start / chunk), ws),
                None => net.forward_eval(x, ws),
            },
            None => {
                let buf = converted.get_or_insert_with(|| Array2::zeros((chunk.min(data.len()), data.dim())));
                let mut x = buf.slice_mut(s![..end - start, ..]);
                x.zip_mut_with(&rows, |a, &b| *a = F::of_f32(b));
                net.forward_eval(x.view(), ws);
            }
        }
        let (l, c) = cross_entropy_sum_and_correct(ws.logits(), &data.labels[start..end]);
        loss += l;
        correct += c;
        start = end;
    }
    if data.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = data.len() as f64;
    (loss / n, correct as f64 / n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Activation, MlpConfig, Placement};

    fn set(rows: usize) -> Dataset {
        let x = Array2::from_shape_fn((rows, 5), |(i, j)| ((i * 7 + j * 3) % 11) as f32 / 11.0 - 0.4);
        let labels = (0..rows).map(|i| (i * 5 + 1) % 3).collect();
        Dataset::new("eval-test", "synthetic", x, labels, 3).unwrap()
    }

    /// The whole set in one forward pass of its own, the loss summed in row order.
    fn reference<F: Float>(net: &Mlp<F>, data: &Dataset) -> (f64, f64) {
        let mut ws = Workspace::new(net, data.len());
        net.forward_eval(data.features.mapv(F::of_f32).view(), &mut ws);
        let (loss, correct) = cross_entropy_sum_and_correct(ws.logits(), &data.labels);
        (loss / data.len() as f64, correct as f64 / data.len() as f64)
    }

    fn chunking_is_invisible<F: Float>(tol: f64) {
        let data = set(23);
        let mut cfg = MlpConfig::new(5, &[8, 6], 3, Activation::Tanh, Placement::Before);
        cfg.bias_init = Some(0.1);
        let net = Mlp::<F>::new(&cfg, 7).unwrap();
        let (loss, acc) = reference(&net, &data);
        assert!(loss.is_finite() && loss > 0.0);
        for chunk in [1, 2, 5, 22, 23, 24, 100] {
            let (l, a) = evaluate(&net, &data, &mut Workspace::new(&net, chunk)).unwrap();
            assert!((l - loss).abs() <= tol * loss, "chunk {chunk}: loss {l} vs {loss}");
            assert_eq!(a, acc, "chunk {chunk}: accuracy");
        }
    }

    #[test]
    fn f32_sets_are_evaluated_in_place_in_any_chunking() {
        let data = set(4);
        assert!(f32::borrow_f32(data.features.view()).is_some());
        chunking_is_invisible::<f32>(1e-6);
    }

    #[test]
    fn f64_sets_are_converted_chunk_by_chunk() {
        let data = set(4);
        assert!(f64::borrow_f32(data.features.view()).is_none());
        chunking_is_invisible::<f64>(1e-13);
    }

    /// An image-like set: about half of the entries exactly 0.
    fn sparse_set(rows: usize, cols: usize) -> Dataset {
        let x = Array2::from_shape_fn((rows, cols), |(i, j)| {
            if (i * 7 + j * 5) % 11 < 5 { 0.0 } else { ((i * 3 + j) % 13) as f32 / 13.0 }
        });
        let labels = (0..rows).map(|i| (i * 5 + 1) % 3).collect();
        Dataset::new("eval-sparse", "synthetic", x, labels, 3).unwrap()
    }

    #[test]
    fn sparse_evaluation_agrees_with_dense_in_any_chunking() {
        let data = sparse_set(41, 30);
        for placement in crate::PLACEMENTS {
            let mut cfg = MlpConfig::new(30, &[9, 6], 3, Activation::Tanh, placement);
            cfg.bias_init = Some(0.1);
            let net = Mlp::<f32>::new(&cfg, 3).unwrap();
            let (loss, acc) = evaluate(&net, &data, &mut Workspace::new(&net, 41)).unwrap();
            for chunk in [1, 4, 40, 41, 64] {
                let sparse = SparseSet::group(data.x(), chunk);
                let mut ws = Workspace::new(&net, chunk);
                for pass in 0..2 {
                    let (l, a) = evaluate_with(&net, &data, Some(&sparse), &mut ws);
                    assert!(
                        (l - loss).abs() <= 1e-6 * loss,
                        "{placement:?}, chunk {chunk}, pass {pass}: loss {l} vs {loss}"
                    );
                    assert_eq!(a, acc, "{placement:?}, chunk {chunk}: accuracy");
                }
            }
        }
    }

    #[test]
    fn sparse_evaluation_falls_back_to_dense_for_weights_that_are_not_finite() {
        // Input 4 is 0 in every row, so only the dense product meets the infinite weight (0·∞ = NaN); a sparse
        // product that skipped the zeros would give a finite loss.
        let mut data = sparse_set(12, 30);
        data.features.column_mut(4).fill(0.0);
        let mut net = Mlp::<f32>::new(&MlpConfig::new(30, &[5], 3, Activation::Tanh, Placement::None), 1).unwrap();
        net.layers[0].linear.weight[[2, 4]] = f32::INFINITY;
        let dense = evaluate(&net, &data, &mut Workspace::new(&net, 5)).unwrap();
        let sparse = evaluate_with(&net, &data, Some(&SparseSet::group(data.x(), 5)), &mut Workspace::new(&net, 5));
        assert!(dense.0.is_nan(), "an infinite weight meets zero inputs in the dense product");
        assert!(sparse.0.is_nan() && sparse.1 == dense.1, "the sparse evaluation must not hide it: {sparse:?}");
    }

    /// An empty set has no mean loss or accuracy: NaN, as records write undefined values (it had given 0.0
    /// for both, a perfect loss and a zero accuracy that no example earned).
    #[test]
    fn an_empty_set_gives_nan_loss_and_accuracy() {
        let data = Dataset::new("empty", "none", Array2::zeros((0, 5)), vec![], 3).unwrap();
        let net = Mlp::<f32>::new(&MlpConfig::new(5, &[4], 3, Activation::Relu, Placement::None), 1).unwrap();
        let (loss, accuracy) = evaluate(&net, &data, &mut Workspace::new(&net, 8)).unwrap();
        assert!(loss.is_nan() && accuracy.is_nan(), "{loss}, {accuracy}");
    }

    /// A set that does not fit the network is an error naming the widths (it had panicked with "input width
    /// must equal input_dim"), and so is one with more classes than outputs (it could panic in the loss).
    #[test]
    fn a_set_that_does_not_fit_the_network_is_an_error() {
        let net = Mlp::<f32>::new(&MlpConfig::new(4, &[3], 3, Activation::Relu, Placement::None), 1).unwrap();
        let e = evaluate(&net, &set(6), &mut Workspace::new(&net, 8)).unwrap_err().to_string();
        assert!(e.contains("evaluation set \"eval-test\"") && e.contains("expected 4 features"), "{e}");
        assert!(e.contains("got 5 features"), "{e}");
        let net = Mlp::<f32>::new(&MlpConfig::new(5, &[3], 2, Activation::Relu, Placement::None), 1).unwrap();
        let e = evaluate(&net, &set(6), &mut Workspace::new(&net, 8)).unwrap_err().to_string();
        assert!(e.contains("has 3 classes but the network has 2 outputs"), "{e}");
    }
}
