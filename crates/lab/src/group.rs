//! Lockstep groups: which runs of a sweep train together, sharing their batches
//! ([`crate::run::execute_group`], `actscope_core::lockstep`).
//!
//! Runs can share a batch when they load the same data the same way and draw the same batches: the same
//! [`GroupKey`] (data, validation fraction, standardisation, seed, batch size and training length). Any
//! other setting — activation, placement, learning rate, optimizer, widths, probes, evaluations — may
//! differ. Grouping never changes a run's results (the lockstep invariant: each run is bit-identical to
//! training it alone), only how fast the sweep goes.
//!
//! Runs are grouped in the order given, each key's runs split into groups of at most [`GROUP_SIZE`] runs
//! (as even as possible), smaller where that makes the count of groups a multiple of the workers (so that
//! none is left training the last group alone), and at most a worker's share of the memory limit.

use std::collections::HashMap;

use crate::config::RunConfig;

/// The most runs in one lockstep group. On E1's grid (784-100-100-100-10, batch 60; docs/performance.md,
/// "Lockstep sweeps") the concatenated forward product reaches 110–125 GFLOP/s from 4 runs side by side on
/// (81 alone) and does not improve further, while larger groups hold more memory, cycle through more runs'
/// state per step and balance worse over workers.
pub const GROUP_SIZE: usize = 12;

/// What runs must share to train in one lockstep group (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GroupKey {
    data: String,
    val_fraction: u64,
    standardize: bool,
    seed: u64,
    batch_size: usize,
    /// Steps, or epochs when no step count is set.
    length: (Option<usize>, usize),
}

impl GroupKey {
    /// The key of `cfg`.
    pub fn of(cfg: &RunConfig) -> Self {
        GroupKey {
            data: cfg.data.clone(),
            val_fraction: cfg.val_fraction.to_bits(),
            standardize: cfg.standardize,
            seed: cfg.seed,
            batch_size: cfg.batch_size,
            length: match cfg.steps {
                Some(s) => (Some(s), 0),
                None => (None, cfg.epochs),
            },
        }
    }
}

/// Splits `runs` into lockstep groups (indices into `runs`, each group in the order given, groups in order
/// of their first run): runs with one [`GroupKey`], at most `size` per group, as many groups in all as a
/// multiple of `jobs` where there are runs enough (so that the workers finish together: 84 runs in groups
/// of at most 12 over 2 workers make 8 groups of 10–11, not 7 of 12, of which one worker would train 4),
/// and no group needing more than `memory` bytes by `needs` (each run's bytes alone plus its share of the
/// group's buffers; a run needing more trains alone).
pub fn groups(runs: &[&RunConfig], needs: &[u64], size: usize, jobs: usize, memory: u64) -> Vec<Vec<usize>> {
    let (size, jobs) = (size.max(1), jobs.max(1));
    let mut by_key: Vec<Vec<usize>> = Vec::new();
    let mut slot: HashMap<GroupKey, usize> = HashMap::new();
    for (i, r) in runs.iter().enumerate() {
        let k = *slot.entry(GroupKey::of(r)).or_insert_with(|| {
            by_key.push(Vec::new());
            by_key.len() - 1
        });
        by_key[k].push(i);
    }
    // ⌈n/size⌉ groups per key; then, until the count is a multiple of the workers, one more group for the
    // key whose groups are largest.
    let mut parts: Vec<usize> = by_key.iter().map(|m| m.len().div_ceil(size)).collect();
    while !parts.iter().sum::<usize>().is_multiple_of(jobs) {
        let largest = (0..parts.len())
            .filter(|&k| parts[k] < by_key[k].len())
            .max_by_key(|&k| (by_key[k].len().div_ceil(parts[k]), std::cmp::Reverse(k)));
        match largest {
            Some(k) => parts[k] += 1,
            None => break,
        }
    }
    let mut out = Vec::new();
    for (members, parts) in by_key.into_iter().zip(parts) {
        // As even as possible: sizes that differ by at most one.
        let mut start = 0;
        for p in 0..parts {
            let len = members.len() / parts + usize::from(p < members.len() % parts);
            split_by_memory(&members[start..start + len], needs, memory, &mut out);
            start += len;
        }
    }
    out
}

/// Appends `members` to `out` as consecutive groups that each need at most `memory` bytes.
fn split_by_memory(members: &[usize], needs: &[u64], memory: u64, out: &mut Vec<Vec<usize>>) {
    let mut group: Vec<usize> = Vec::new();
    let mut used = 0u64;
    for &i in members {
        if !group.is_empty() && used.saturating_add(needs[i]) > memory {
            out.push(std::mem::take(&mut group));
            used = 0;
        }
        used = used.saturating_add(needs[i]);
        group.push(i);
    }
    if !group.is_empty() {
        out.push(group);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(extra: &str) -> RunConfig {
        RunConfig::from_toml(&format!("hidden = [4]\nsteps = 3\n{extra}"), "test").unwrap()
    }

    #[test]
    fn runs_group_by_what_decides_their_batches() {
        let runs = [
            run("seed = 0\nlr = 0.1"),
            run("seed = 1\nlr = 0.1"),
            run("seed = 0\nlr = 0.3\nactivation = \"tanh\""),
            run("seed = 0\nbatch_size = 32"),
            run("seed = 1\nplacement = \"before\""),
        ];
        let refs: Vec<&RunConfig> = runs.iter().collect();
        let g = groups(&refs, &[1; 5], 12, 1, u64::MAX);
        assert_eq!(g, vec![vec![0, 2], vec![1, 4], vec![3]]);
    }

    #[test]
    fn groups_are_even_capped_split_for_workers_and_memory() {
        let runs: Vec<RunConfig> = (0..10).map(|i| run(&format!("lr = 0.{}", i + 1))).collect();
        let refs: Vec<&RunConfig> = runs.iter().collect();
        let sizes = |g: Vec<Vec<usize>>| g.iter().map(Vec::len).collect::<Vec<_>>();
        assert_eq!(sizes(groups(&refs, &[1; 10], 4, 1, u64::MAX)), vec![4, 3, 3]);
        assert_eq!(sizes(groups(&refs, &[1; 10], 12, 4, u64::MAX)), vec![3, 3, 2, 2]);
        // Three groups of at most 4 over two workers would leave one of them a group behind: four.
        assert_eq!(sizes(groups(&refs, &[1; 10], 4, 2, u64::MAX)), vec![3, 3, 2, 2]);
        assert_eq!(sizes(groups(&refs, &[1; 10], 3, 3, u64::MAX)), vec![2, 2, 2, 2, 1, 1]);
        assert_eq!(sizes(groups(&refs, &[1; 10], 4, 3, u64::MAX)), vec![4, 3, 3]);
        // Several keys: the count made a multiple of the workers by splitting the first of the largest.
        let keyed: Vec<RunConfig> = (0..15).map(|i| run(&format!("seed = {}\nlr = 0.{}", i / 3, i % 3 + 1))).collect();
        let refs_keyed: Vec<&RunConfig> = keyed.iter().collect();
        assert_eq!(sizes(groups(&refs_keyed, &[1; 15], 12, 2, u64::MAX)), vec![2, 1, 3, 3, 3, 3]);
        // More workers than runs: one run per group.
        assert_eq!(sizes(groups(&refs, &[1; 10], 12, 16, u64::MAX)), vec![1; 10]);
        assert_eq!(sizes(groups(&refs, &[5; 10], 12, 1, 12)), vec![2, 2, 2, 2, 2]);
        assert_eq!(sizes(groups(&refs, &[1; 10], 1, 1, u64::MAX)), vec![1; 10]);
    }
}
