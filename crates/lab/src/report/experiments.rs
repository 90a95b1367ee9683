//! The experiment registry: E1–E8 as typed definitions. E1–E4 are sweeps whose grids live in the bundled
//! TOML files (`crates/lab/experiments/`, the one place each grid is written); E5 and E6 are named views of
//! E1's runs; E7 (theory at initialisation) and E8 (compute cost) are measured in code.

/// What an experiment is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A sweep file, run through the sweep engine.
    Sweep {
        /// The file's stem (its run directory under `OUT/runs/` has this name).
        stem: &'static str,
        /// The file's text.
        toml: &'static str,
    },
    /// A view of another experiment's runs.
    ViewOf(&'static str),
    /// Measured in code (`theory.rs`, `cost.rs`).
    Measured,
}

/// One experiment of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExperimentDef {
    /// E1 … E8.
    pub id: &'static str,
    /// What it is for.
    pub title: &'static str,
    /// How it is made.
    pub kind: Kind,
}

/// E1: the main grid.
pub const E1: ExperimentDef = ExperimentDef {
    id: "E1",
    title: "main grid: activations × BN placement × learning rates × seeds on the BN paper's net",
    kind: Kind::Sweep { stem: "e1_main", toml: include_str!("../../experiments/e1_main.toml") },
};
/// E2: depth.
pub const E2: ExperimentDef = ExperimentDef {
    id: "E2",
    title: "depth: trainability and gradient flow from 2 to 20 (full: 50) hidden layers",
    kind: Kind::Sweep { stem: "e2_depth", toml: include_str!("../../experiments/e2_depth.toml") },
};
/// E3: dead-ReLU stress.
pub const E3: ExperimentDef = ExperimentDef {
    id: "E3",
    title: "dead-ReLU stress: high learning rates and negative initial bias × BN placement",
    kind: Kind::Sweep { stem: "e3_dead_relu", toml: include_str!("../../experiments/e3_dead_relu.toml") },
};
/// E4: saturation over training.
pub const E4: ExperimentDef = ExperimentDef {
    id: "E4",
    title: "saturation over training in Glorot & Bengio's setting",
    kind: Kind::Sweep { stem: "e4_saturation", toml: include_str!("../../experiments/e4_saturation.toml") },
};
/// E5: the distribution of sigmoid(z) after BN (E1's sigmoid nets with BN before).
pub const E5: ExperimentDef =
    ExperimentDef { id: "E5", title: "sigmoid(z) after BN, at init and after training", kind: Kind::ViewOf("E1") };
/// E6: BN before vs after per activation, paired by seed (E1's runs).
pub const E6: ExperimentDef =
    ExperimentDef { id: "E6", title: "BN placement, before vs after, paired by seed", kind: Kind::ViewOf("E1") };
/// E7: theory at initialisation.
pub const E7: ExperimentDef =
    ExperimentDef { id: "E7", title: "theory at initialisation against closed forms", kind: Kind::Measured };
/// E8: compute cost.
pub const E8: ExperimentDef =
    ExperimentDef { id: "E8", title: "time per training step and per activation", kind: Kind::Measured };

/// Every experiment, in order.
pub const ALL: [ExperimentDef; 8] = [E1, E2, E3, E4, E5, E6, E7, E8];

/// The sweeps (E1–E4), in the order the report runs them.
pub const SWEEPS: [ExperimentDef; 4] = [E1, E2, E3, E4];

impl ExperimentDef {
    /// The sweep file (stem, text), for sweep experiments.
    pub fn sweep(&self) -> Option<(&'static str, &'static str)> {
        match self.kind {
            Kind::Sweep { stem, toml } => Some((stem, toml)),
            Kind::ViewOf(_) | Kind::Measured => None,
        }
    }
}
