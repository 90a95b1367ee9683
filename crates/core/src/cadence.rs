//! Evenly spaced steps of a training run: when it evaluates ([`crate::TrainConfig::eval_every`]) and when
//! a probe measures (`actscope_metrics::ProbeConfig::every`).
//!
//! "Four evaluations per epoch" of a 150-step epoch is an evaluation every 37.5 steps. Rounding the interval
//! down to 37 steps drifts: over two epochs it gives evaluations at 0, 37, …, 296 and then the end, 300 —
//! ten points four steps apart at the end, where eight intervals were asked for. A [`Cadence`] places the
//! k-th point at the first step at or after k · 37.5: 0, 38, 75, 113, 150, …, 300 — intervals of 37 and 38
//! steps, every epoch boundary hit exactly, the count asked for.

use serde::{Deserialize, Serialize};

/// `times` points in every `period` steps, evenly spaced: the k-th (k = 0, 1, 2, …) is the first step at or
/// after k · period / times ([`Cadence::hits`]). [`Cadence::every`]`(n)` is every n-th step;
/// [`Cadence::per`]`(times, steps_per_epoch)` is `times` points per epoch. Both numbers must be at least 1
/// ([`Cadence::check`]); with `times > period` every step is a point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cadence {
    /// Points per `period` steps.
    pub times: usize,
    /// Steps the `times` points are spread over.
    pub period: usize,
}

impl Cadence {
    /// Every `n`-th step: 0, n, 2n, ….
    pub fn every(n: usize) -> Self {
        Cadence { times: 1, period: n }
    }

    /// `times` points in every `period` steps (`times` per epoch with `period` the steps per epoch).
    pub fn per(times: usize, period: usize) -> Self {
        Cadence { times, period }
    }

    /// `Err` with what was expected where either number is 0 (no cadence at all).
    pub fn check(&self) -> Result<(), String> {
        if self.is_none() {
            return Err(format!(
                "{self:?} is no cadence; expected times ≥ 1 points in every period ≥ 1 steps (Cadence::every(n) \
                 with n ≥ 1 for every n-th step)"
            ));
        }
        Ok(())
    }

    /// Whether `step` is a point: step 0, and each step `s ≥ 1` with ⌊s · times / period⌋ >
    /// ⌊(s − 1) · times / period⌋, the first step at or after some k · period / times. Exact integer
    /// arithmetic; `false` for every step ≥ 1 of a cadence that fails [`Cadence::check`].
    pub fn hits(&self, step: usize) -> bool {
        if step == 0 {
            return true;
        }
        if self.is_none() {
            return false;
        }
        self.passed(step) > self.passed(step - 1)
    }

    /// How many of the steps `0..=last` are points (only step 0 for a cadence that fails [`Cadence::check`]).
    pub fn count(&self, last: usize) -> usize {
        if self.is_none() {
            return 1;
        }
        if self.times >= self.period {
            return last.saturating_add(1); // every step
        }
        // Fewer points than steps: ⌊s · times / period⌋ grows by at most 1 a step, so by 1 at each point.
        usize::try_from(self.passed(last)).map_or(usize::MAX, |n| n.saturating_add(1))
    }

    /// Whether `step` is a point of a run whose last step is `last`: a point ([`Cadence::hits`]) or the last
    /// step, which a run's evaluations and checkpoints always include.
    pub fn hits_or_last(&self, step: usize, last: usize) -> bool {
        step == last || self.hits(step)
    }

    /// How many of the steps `0..=last` [`Cadence::hits_or_last`] takes: the points and the last step.
    pub fn count_with_last(&self, last: usize) -> usize {
        self.count(last).saturating_add(usize::from(!self.hits(last)))
    }

    /// Whether either number is 0: no cadence at all ([`Cadence::check`]).
    fn is_none(&self) -> bool {
        self.times == 0 || self.period == 0
    }

    /// ⌊step · times / period⌋: the points after step 0 at or before `step` (`period ≥ 1`).
    fn passed(&self, step: usize) -> u128 {
        step as u128 * self.times as u128 / self.period as u128
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(c: Cadence, last: usize) -> Vec<usize> {
        (0..=last).filter(|&s| c.hits(s)).collect()
    }

    #[test]
    fn every_n_is_the_multiples_of_n() {
        assert_eq!(points(Cadence::every(3), 10), [0, 3, 6, 9]);
        assert_eq!(points(Cadence::every(1), 3), [0, 1, 2, 3]);
        assert_eq!(Cadence::every(3).count(10), 4);
    }

    #[test]
    fn a_fractional_interval_rounds_each_point_up_without_drift() {
        // Four per 150-step epoch over two epochs: 37.5 steps apart, epoch boundaries exact.
        let c = Cadence::per(4, 150);
        assert_eq!(points(c, 300), [0, 38, 75, 113, 150, 188, 225, 263, 300]);
        assert_eq!(c.count(300), 9);
        // More points than steps: every step.
        assert_eq!(points(Cadence::per(7, 3), 4), [0, 1, 2, 3, 4]);
    }

    #[test]
    fn the_kth_point_is_the_first_step_at_or_after_k_period_over_times() {
        for times in 1..12usize {
            for period in 1..40usize {
                let c = Cadence::per(times, period);
                let last = 3 * period + 5;
                let mut want: Vec<usize> =
                    (0..).map(|k: usize| (k * period).div_ceil(times)).take_while(|&s| s <= last).collect();
                want.dedup();
                assert_eq!(points(c, last), want, "{c:?}");
                assert_eq!(c.count(last), want.len(), "{c:?}");
            }
        }
    }

    /// The last step joins the points where it is none: a 10-step run at every 3rd step ends at 10.
    #[test]
    fn the_last_step_joins_the_points() {
        let c = Cadence::every(3);
        assert_eq!((0..=10).filter(|&s| c.hits_or_last(s, 10)).collect::<Vec<_>>(), [0, 3, 6, 9, 10]);
        assert_eq!(c.count_with_last(10), 5);
        assert_eq!(c.count_with_last(9), 4, "9 is a point already");
        assert_eq!(Cadence::every(0).count_with_last(5), 2, "no cadence: step 0 and the last");
    }

    #[test]
    fn zero_is_refused_and_hits_nothing_but_step_0() {
        for c in [Cadence::every(0), Cadence::per(0, 5), Cadence::per(3, 0)] {
            assert!(c.check().unwrap_err().contains("is no cadence"), "{c:?}");
            assert_eq!(points(c, 5), [0]);
            assert_eq!(c.count(5), 1);
        }
        assert!(Cadence::per(4, 150).check().is_ok());
    }

    #[test]
    fn huge_steps_do_not_overflow() {
        let c = Cadence::per(usize::MAX, usize::MAX - 1);
        assert!(c.hits(usize::MAX));
        assert_eq!(c.count(usize::MAX), usize::MAX);
    }
}
