//! The per-layer and per-checkpoint metrics an export writes, named once: the CSV table's columns and the
//! TensorBoard scalar tags (`<name>/layer<i>`) come from these lists. Meanings: `docs/metrics.md`.

use actscope_metrics::records::{Checkpoint, LayerRecord};

/// A metric of one hidden layer at a checkpoint: its name, and how to read it from a record (`None`
/// where it does not apply, e.g. saturation of a ReLU layer or BN γ without BN).
pub struct LayerMetric {
    /// Column name and tag prefix.
    pub name: &'static str,
    /// The value in a layer's record.
    pub get: fn(&LayerRecord) -> Option<f64>,
    /// Whether the value is a count (a table writes it as an integer).
    pub count: bool,
}

/// A metric of the whole network at a checkpoint.
pub struct CheckpointMetric {
    /// Column name and tag.
    pub name: &'static str,
    /// The value in a checkpoint's record.
    pub get: fn(&Checkpoint) -> Option<f64>,
}

macro_rules! layer {
    ($name:literal, $r:ident => $e:expr) => {
        LayerMetric { name: $name, get: |$r: &LayerRecord| $e, count: false }
    };
}

/// Every per-layer metric, in column order: distribution of z and a (mean, std, the percentiles of
/// `actscope_metrics::distribution::PERCENTILES`), saturation, dead units, near-linear share, gradients,
/// weights, effective rank, BN parameters and the tracked unit's percentiles.
pub const LAYER_METRICS: &[LayerMetric] = &[
    layer!("z_mean", r => Some(r.z.mean)),
    layer!("z_std", r => Some(r.z.std)),
    layer!("z_p2_5", r => r.z.percentiles.first().copied()),
    layer!("z_p15", r => r.z.percentiles.get(1).copied()),
    layer!("z_p50", r => r.z.percentiles.get(2).copied()),
    layer!("z_p85", r => r.z.percentiles.get(3).copied()),
    layer!("z_p97_5", r => r.z.percentiles.get(4).copied()),
    layer!("a_mean", r => Some(r.a.mean)),
    layer!("a_std", r => Some(r.a.std)),
    layer!("a_p2_5", r => r.a.percentiles.first().copied()),
    layer!("a_p15", r => r.a.percentiles.get(1).copied()),
    layer!("a_p50", r => r.a.percentiles.get(2).copied()),
    layer!("a_p85", r => r.a.percentiles.get(3).copied()),
    layer!("a_p97_5", r => r.a.percentiles.get(4).copied()),
    layer!("saturation_rate", r => r.saturation.map(|s| s.rate)),
    layer!("stuck_fraction", r => r.saturation.map(|s| s.stuck)),
    LayerMetric { name: "dead_units", get: |r| r.dead.map(|d| d.dead_units as f64), count: true },
    layer!("dead_fraction", r => r.dead.map(|d| d.dead_fraction)),
    layer!("inactive_rate", r => r.dead.map(|d| d.inactive_rate)),
    layer!("near_linear", r => Some(r.near_linear)),
    layer!("grad_w_norm", r => Some(r.grad_w_norm)),
    layer!("grad_b_norm", r => r.grad_b_norm),
    layer!("grad_z_ms", r => Some(r.grad_z_ms)),
    layer!("weight_norm", r => Some(r.weight_norm)),
    layer!("update_ratio", r => r.update_ratio),
    layer!("effective_rank", r => r.effective_rank),
    layer!("bn_gamma_mean", r => r.bn.map(|b| b.gamma_mean)),
    layer!("bn_gamma_std", r => r.bn.map(|b| b.gamma_std)),
    layer!("bn_beta_mean", r => r.bn.map(|b| b.beta_mean)),
    layer!("bn_beta_std", r => r.bn.map(|b| b.beta_std)),
    layer!("tracked_p15", r => r.tracked_unit.map(|t| t[0])),
    layer!("tracked_p50", r => r.tracked_unit.map(|t| t[1])),
    layer!("tracked_p85", r => r.tracked_unit.map(|t| t[2])),
];

/// Every network-level metric of a checkpoint, in column order.
pub const CHECKPOINT_METRICS: &[CheckpointMetric] = &[
    CheckpointMetric { name: "probe_loss", get: |c| Some(c.loss) },
    CheckpointMetric { name: "output_grad_w_norm", get: |c| Some(c.output_grad_w_norm) },
    CheckpointMetric { name: "vanishing_index", get: |c| Some(c.vanishing_index) },
    CheckpointMetric { name: "growth_factor", get: |c| c.growth_factor },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_percentiles_follow_the_recorded_list() {
        let mut names: Vec<&str> =
            LAYER_METRICS.iter().map(|m| m.name).chain(CHECKPOINT_METRICS.iter().map(|m| m.name)).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
        let written: Vec<String> = actscope_metrics::distribution::PERCENTILES
            .iter()
            .map(|p| format!("z_p{}", p.to_string().replace('.', "_")))
            .collect();
        let columns: Vec<&str> = LAYER_METRICS.iter().map(|m| m.name).filter(|n| n.starts_with("z_p")).collect();
        assert_eq!(columns, written);
    }
}
