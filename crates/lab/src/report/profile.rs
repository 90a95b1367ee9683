//! Profiles: how much a report runs (smoke, default, full), and the budgets each sets for the theory
//! checks (E7) and the timings (E8). The sweeps' own budgets live in the experiment files'
//! `[profile.*]` sections.

use super::cost::CostBudget;
use super::theory::TheoryBudget;
use crate::{Error, Result};

/// How much to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Seconds: a handful of short runs, for CI and for trying the pipeline.
    Smoke,
    /// Minutes on 2 cores: the embedded data, ≥ 5 seeds where seeds matter.
    Default,
    /// Paper scale: full Fashion-MNIST, 50,000 steps, ≥ 10 seeds, Adam too, depth to 50.
    Full,
}

impl Profile {
    /// Every profile, cheapest first.
    pub const ALL: [Profile; 3] = [Profile::Smoke, Profile::Default, Profile::Full];

    /// Parses `smoke`, `default` or `full`.
    ///
    /// # Errors
    /// Any other name (a usage error listing the valid ones).
    pub fn parse(s: &str) -> Result<Profile> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| Error::usage(format!("unknown profile {s:?}; expected one of: smoke, default, full")))
    }

    /// The name, as written in experiment files' `[profile.NAME]` sections.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Smoke => "smoke",
            Profile::Default => "default",
            Profile::Full => "full",
        }
    }

    /// The theory checks' budget (E7).
    pub fn theory(self) -> TheoryBudget {
        match self {
            Profile::Smoke => TheoryBudget { width: 128, depth: 8, nets: 2, trials: 300 },
            Profile::Default => TheoryBudget { width: 512, depth: 16, nets: 4, trials: 4000 },
            Profile::Full => TheoryBudget { width: 1024, depth: 24, nets: 8, trials: 20000 },
        }
    }

    /// How E1's seeds are run: in rounds of `round` seeds. The first round runs the whole learning-rate grid
    /// and only chooses each configuration's rate; the later rounds run the selected rates on seeds of their
    /// own, which every number of E1 is taken from: every configuration in the second round, then those of
    /// C2's and C4's comparisons still open (tested sequentially), up to `cap` seeds judged on.
    pub fn seeds(self) -> SeedPlan {
        match self {
            Profile::Smoke => SeedPlan { round: 3, cap: 3 },
            Profile::Default => SeedPlan { round: 5, cap: 20 },
            Profile::Full => SeedPlan { round: 10, cap: 30 },
        }
    }

    /// The timings' budget (E8).
    pub fn cost(self) -> CostBudget {
        match self {
            Profile::Smoke => CostBudget { steps: 10, repeats: 3 },
            Profile::Default => CostBudget { steps: 100, repeats: 10 },
            Profile::Full => CostBudget { steps: 300, repeats: 10 },
        }
    }
}

/// Rounds of seeds for E1 (see [`Profile::seeds`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedPlan {
    /// Seeds added per round (the first round's seeds, which choose the learning rates, are 0 … round − 1).
    pub round: usize,
    /// The most seeds any configuration is judged on (seeds round, round + 1, …; so at most round + cap
    /// seeds in all).
    pub cap: usize,
}

impl SeedPlan {
    /// Whether there can be more than one round of seeds judged on (C2 and C4 tested sequentially).
    pub fn is_sequential(&self) -> bool {
        self.cap > self.round
    }
}
