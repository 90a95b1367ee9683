//! [`PreparedProbeSet`]: a probe set shared by a sweep's runs, which also shares the probe's observation of
//! each first state.

use std::borrow::Cow;

use crate::Dataset;
use crate::digest::StateDigest;
use crate::probe::StartSnapshot;
use crate::start_memo::StartMemo;

/// A probe set that the runs of a sweep share ([`crate::TrainData::with_prepared_probe`]), with what their
/// probes recorded of each first state.
///
/// Runs that start from the same network (a sweep's runs that differ only in their learning rate or
/// optimizer) are shown the same probe-set pass at step 0: a forward and backward pass over the whole probe
/// set and the probe's metrics of it, about 5% of an E1 run. Here the first run to reach a state runs it
/// and keeps its probe's [`crate::Probe::start_snapshot`]; the others take it
/// ([`crate::Probe::restore_start`]) and record what they would have recorded themselves. A state is
/// recognised by its digest (as [`crate::PreparedSet`] recognises it) together with the probe's
/// [`crate::Probe::start_key`], so only the same bits under the same probe settings share. A run that asks for
/// a state another thread is observing waits for it. Each state keeps its snapshot (for actscope's metrics
/// probe, its checkpoint record: about 4 KB for E1's net) as long as the set lives.
///
/// It borrows or owns its set, so the set cannot change while it exists; runs use it only for the set it
/// holds (the same `Dataset` value, [`PreparedProbeSet::set`]).
#[derive(Clone)]
pub struct PreparedProbeSet<'a> {
    set: Cow<'a, Dataset>,
    /// Snapshots by state digest and [`crate::Probe::start_key`], set by the first run to observe the
    /// state (`None`: its probe had none to give); shared by clones, which hold the same set.
    starts: StartMemo<(StateDigest, String), Option<StartSnapshot>>,
}

impl<'a> PreparedProbeSet<'a> {
    /// A probe set to share among runs.
    pub fn new(set: Cow<'a, Dataset>) -> Self {
        PreparedProbeSet { set, starts: StartMemo::default() }
    }

    /// The set.
    pub fn set(&self) -> &Dataset {
        &self.set
    }

    /// Whether this is `set` (the same value, not an equal copy).
    pub(crate) fn is_of(&self, set: &Dataset) -> bool {
        std::ptr::eq(self.set(), set)
    }

    /// The snapshot of the state `digest` under the probe key `key`: `observe`'s the first time, the same
    /// after. A run that asks for a state another thread is observing waits for it.
    pub(crate) fn observe_start(
        &self,
        digest: StateDigest,
        key: String,
        observe: impl FnOnce() -> Option<StartSnapshot>,
    ) -> Option<StartSnapshot> {
        self.starts.get_or_compute((digest, key), observe)
    }

    /// How many first states were observed here, per probe key (a sweep's runs that differ only in their
    /// learning rate count once), including those whose probe had no snapshot to give.
    pub fn starts_observed(&self) -> usize {
        self.starts.computed()
    }
}

impl std::fmt::Debug for PreparedProbeSet<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedProbeSet").field("set", &self.set.name).field("rows", &self.set.len()).finish()
    }
}
