//! The digest of a network's state: SHA-256 over everything its evaluation reads, so that runs whose
//! networks start in the same state can share the evaluations of that state ([`crate::PreparedSet`]).

use sha2::{Digest, Sha256};

use crate::{Float, Mlp};

/// SHA-256 of a network's element type, configuration and every parameter and running statistic, bit for
/// bit (see [`Mlp::digest`]). Two networks with the same digest evaluate to the same bits on the same set in
/// the same chunks: a collision of SHA-256 is the only way two different states could share one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct StateDigest([u8; 32]);

impl<F: Float> Mlp<F> {
    /// The digest of this network's state: its element type, its configuration (as `Debug` writes it, which
    /// tells every two different `f64`s apart) and, in order, each block's weight shape and placement, weight,
    /// bias, BatchNorm settings, scale, shift, running mean, running variance and update count, then the output
    /// layer's weight shape, weight and bias; each number's bits as an `f64` (which `f32` converts to exactly),
    /// each array's length and each text's length before it.
    pub(crate) fn digest(&self) -> StateDigest {
        let mut h = Sha256::new();
        text(&mut h, std::any::type_name::<F>());
        text(&mut h, &format!("{:?}", self.config()));
        // The layers' own shapes, placements and BatchNorm settings too: they are public fields, which the
        // configuration decides only for a network as `Mlp::new` built it.
        let mut buf = Vec::new();
        for layer in &self.layers {
            text(&mut h, &format!("{:?} {:?}", layer.linear.weight.dim(), layer.norm.placement()));
            numbers(&mut h, &mut buf, layer.linear.weight.iter());
            numbers(&mut h, &mut buf, layer.linear.bias.iter().flatten());
            if let Some(bn) = layer.norm.batch_norm() {
                text(&mut h, &format!("{:?}", bn.config));
                for a in [&bn.gamma, &bn.beta, &bn.running_mean, &bn.running_var] {
                    numbers(&mut h, &mut buf, a.iter());
                }
                h.update(bn.num_batches_tracked.to_le_bytes());
            }
        }
        text(&mut h, &format!("{:?}", self.output.weight.dim()));
        numbers(&mut h, &mut buf, self.output.weight.iter());
        numbers(&mut h, &mut buf, self.output.bias.iter().flatten());
        StateDigest(h.finalize().into())
    }
}

/// Hashes `s` after its length.
fn text(h: &mut Sha256, s: &str) {
    h.update((s.len() as u64).to_le_bytes());
    h.update(s.as_bytes());
}

/// Hashes each value's bits as an `f64` after their count, through `buf` (reused between calls).
fn numbers<'a, F: Float + 'a>(h: &mut Sha256, buf: &mut Vec<u8>, values: impl Iterator<Item = &'a F>) {
    buf.clear();
    buf.extend(values.flat_map(|v| v.f64().to_bits().to_le_bytes()));
    h.update(((buf.len() / 8) as u64).to_le_bytes());
    h.update(&buf);
}

#[cfg(test)]
mod tests {
    use crate::{Activation, Mlp, MlpConfig, Placement};

    /// Shows `f` every array of a network's state, by name.
    fn each_array(n: &mut Mlp<f32>, f: &mut dyn FnMut(String, &mut [f32])) {
        for (i, layer) in n.layers.iter_mut().enumerate() {
            f(format!("block {i} weight"), layer.linear.weight.as_slice_mut().unwrap());
            if let Some(b) = layer.linear.bias.as_mut() {
                f(format!("block {i} bias"), b.as_slice_mut().unwrap());
            }
            if let Some(bn) = layer.norm.batch_norm_mut() {
                f(format!("block {i} gamma"), bn.gamma.as_slice_mut().unwrap());
                f(format!("block {i} beta"), bn.beta.as_slice_mut().unwrap());
                f(format!("block {i} running mean"), bn.running_mean.as_slice_mut().unwrap());
                f(format!("block {i} running variance"), bn.running_var.as_slice_mut().unwrap());
            }
        }
        f("output weight".into(), n.output.weight.as_slice_mut().unwrap());
        f("output bias".into(), n.output.bias.as_mut().unwrap().as_slice_mut().unwrap());
    }

    #[test]
    fn one_changed_bit_anywhere_in_the_state_changes_the_digest() {
        for placement in [Placement::None, Placement::Before, Placement::After] {
            let cfg = MlpConfig::new(6, &[5, 4], 3, Activation::Tanh, placement);
            let net = Mlp::<f32>::new(&cfg, 3).unwrap();
            let d = net.digest();
            assert_eq!(Mlp::<f32>::new(&cfg, 3).unwrap().digest(), d, "the same state, the same digest");
            assert_ne!(Mlp::<f32>::new(&cfg, 4).unwrap().digest(), d, "another seed");
            assert_ne!(Mlp::<f64>::new(&cfg, 3).unwrap().digest(), d, "another element type");
            let mut count = 0;
            each_array(&mut net.clone(), &mut |_, _| count += 1);
            let expected = match placement {
                Placement::None => 6,    // weight and bias of 2 blocks and the output
                Placement::Before => 12, // no bias in the blocks, and BN's 4 arrays
                Placement::After => 14,
            };
            assert_eq!(count, expected, "{placement:?}: every array");
            for k in 0..count {
                // The lowest bit of the first number, and the sign of the last.
                for last in [false, true] {
                    let (mut n, mut seen, mut name) = (net.clone(), 0, String::new());
                    each_array(&mut n, &mut |what, a| {
                        if seen == k {
                            let x = if last { a.last_mut().unwrap() } else { &mut a[0] };
                            *x = if last { -*x } else { f32::from_bits(x.to_bits() ^ 1) };
                            name = what;
                        }
                        seen += 1;
                    });
                    assert_ne!(n.digest(), d, "{placement:?}: {name} changed (last number: {last})");
                }
            }
            if placement != Placement::None {
                let mut n = net.clone();
                n.layers[0].norm.batch_norm_mut().unwrap().num_batches_tracked += 1;
                assert_ne!(n.digest(), d, "{placement:?}: the update count");
                let mut n = net.clone();
                n.layers[1].norm.batch_norm_mut().unwrap().config.eps = 1e-3;
                assert_ne!(n.digest(), d, "{placement:?}: a BatchNorm's own eps");
            }
            let mut other = cfg.clone();
            other.activation = Activation::Sigmoid;
            assert_ne!(Mlp::<f32>::new(&other, 3).unwrap().digest(), d, "{placement:?}: the activation");
        }
    }
}
