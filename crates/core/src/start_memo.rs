//! [`StartMemo`]: results computed once per first state and shared by the runs that start from it (how
//! [`crate::PreparedSet`] shares evaluations and [`crate::PreparedProbeSet`] the probe's first checkpoint).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// Values by key, each computed by the first caller that asks for it; a caller that asks for a key another
/// thread is computing waits for it. Clones share the values. The map's lock is not held while a value is
/// computed, so computing one may ask for others.
#[derive(Debug)]
pub(crate) struct StartMemo<K, V> {
    cells: Arc<Mutex<HashMap<K, Arc<OnceLock<V>>>>>,
}

impl<K, V> Clone for StartMemo<K, V> {
    fn clone(&self) -> Self {
        StartMemo { cells: Arc::clone(&self.cells) }
    }
}

impl<K, V> Default for StartMemo<K, V> {
    fn default() -> Self {
        StartMemo { cells: Arc::default() }
    }
}

impl<K: Eq + Hash, V: Clone> StartMemo<K, V> {
    /// The value of `key`: `compute`'s the first time, the same after.
    pub(crate) fn get_or_compute(&self, key: K, compute: impl FnOnce() -> V) -> V {
        let cell = Arc::clone(self.cells.lock().unwrap_or_else(PoisonError::into_inner).entry(key).or_default());
        cell.get_or_init(compute).clone()
    }

    /// How many keys have a value.
    pub(crate) fn computed(&self) -> usize {
        self.cells.lock().unwrap_or_else(PoisonError::into_inner).values().filter(|c| c.get().is_some()).count()
    }
}
