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
    /// tells every two different `f64`s apart) and, in order, each block's weight, bias, BatchNorm scale,
    /// shift, running mean, running variance and update count, then the output layer's weight and bias,
    /// each number's bits as an `f64` (which `f32` converts to exactly) and each array's length before it.
    pub(crate) fn digest(&self) -> StateDigest {
        let mut h = Sha256::new();
        let mut text = |s: &str| {
            h.update((s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        };
        text(std::any::type_name::<F>());
        text(&format!("{:?}", self.config()));
        let mut buf: Vec<u8> = Vec::new();
        let mut numbers = |h: &mut Sha256, values: &mut dyn Iterator<Item = &F>| {
            buf.clear();
            buf.extend(values.flat_map(|v| v.f64().to_bits().to_le_bytes()));
            h.update(((buf.len() / 8) as u64).to_le_bytes());
            h.update(&buf);
        };
        for layer in &self.layers {
            numbers(&mut h, &mut layer.linear.weight.iter());
            numbers(&mut h, &mut layer.linear.bias.iter().flatten());
            if let Some(bn) = layer.norm.batch_norm() {
                for a in [&bn.gamma, &bn.beta, &bn.running_mean, &bn.running_var] {
                    numbers(&mut h, &mut a.iter());
                }
                h.update(bn.num_batches_tracked.to_le_bytes());
            }
        }
        numbers(&mut h, &mut self.output.weight.iter());
        numbers(&mut h, &mut self.output.bias.iter().flatten());
        StateDigest(h.finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use crate::{Activation, Mlp, MlpConfig, Placement};

    #[test]
    fn one_changed_bit_anywhere_in_the_state_changes_the_digest() {
        let cfg = MlpConfig::new(6, &[5, 4], 3, Activation::Tanh, Placement::Before);
        let net = Mlp::<f32>::new(&cfg, 3).unwrap();
        let d = net.digest();
        assert_eq!(Mlp::<f32>::new(&cfg, 3).unwrap().digest(), d, "the same state, the same digest");
        assert_ne!(Mlp::<f32>::new(&cfg, 4).unwrap().digest(), d, "another seed");
        assert_ne!(Mlp::<f64>::new(&cfg, 3).unwrap().digest(), d, "another element type");
        let flip = |x: &mut f32| *x = f32::from_bits(x.to_bits() ^ 1);
        let mut changed: Vec<(&str, Mlp<f32>)> = Vec::new();
        let mut n = net.clone();
        flip(&mut n.layers[0].linear.weight[[2, 3]]);
        changed.push(("a weight", n));
        let mut n = net.clone();
        flip(&mut n.layers[1].norm.batch_norm_mut().unwrap().running_var[1]);
        changed.push(("a running variance", n));
        let mut n = net.clone();
        let g = &mut n.layers[1].norm.batch_norm_mut().unwrap().gamma[0];
        *g = -*g;
        changed.push(("a scale's sign", n));
        let mut n = net.clone();
        flip(&mut n.output.bias.as_mut().unwrap()[2]);
        changed.push(("the output bias", n));
        let mut n = net.clone();
        n.layers[0].norm.batch_norm_mut().unwrap().num_batches_tracked += 1;
        changed.push(("the update count", n));
        let mut other = cfg.clone();
        other.activation = Activation::Sigmoid;
        changed.push(("the activation", Mlp::<f32>::new(&other, 3).unwrap()));
        for (what, n) in &changed {
            assert_ne!(n.digest(), d, "{what}");
        }
    }
}
