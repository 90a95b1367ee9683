//! TensorBoard event files of runs: one sub-directory per run (named as the run's directory), holding one
//! file `events.out.tfevents.<start>.<host>`, so `tensorboard --logdir OUT` shows every run side by side.
//!
//! What each file holds, at the steps the run recorded it:
//!
//! | tag | from |
//! |---|---|
//! | `loss/{train,val,test}`, `accuracy/{train,val,test}` | every evaluation |
//! | `network/<metric>` (`probe_loss`, `output_grad_w_norm`, `vanishing_index`, `growth_factor`) | every checkpoint |
//! | `<metric>/layer<i>` (every per-layer metric of [`super::metrics::LAYER_METRICS`], e.g. `dead_fraction/layer0`) | every checkpoint |
//! | `z/layer<i>`, `a/layer<i>` (histograms of φ's input and output on the probe set) | every checkpoint |
//! | `step/loss`, `step/grad_w_norm/layer<i>`, `step/grad_w_norm/output` | every step, for runs with `step_scalars` |
//!
//! A metric that does not apply (saturation of a ReLU layer) is left out; a NaN (a diverged run) is
//! written as NaN. TensorBoard stores scalars as 32-bit floats.
//!
//! **Histograms.** Bucket `i` of a recorded histogram, `[edge_i, edge_i+1)`, becomes a TensorBoard bucket
//! with right limit `edge_i+1`; empty bins before the first and after the last non-empty one are left out.
//! Values below the recorded range (`underflow`) form a first bucket with limit `lo`, values above it
//! (`overflow`) a last bucket with limit `f64::MAX` (TensorFlow's own last limit). `min` and `max` are the
//! edges of the buckets written, except that an underflow or overflow bucket is drawn one bin wide beyond
//! the range (`lo − width`, `hi + width`): the true extremes are not recorded. `num` counts the non-NaN
//! values; `sum` and `sum_squares` are `n·mean` and `n·(std² + mean²)` from the recorded moments.
//!
//! **Wall times.** Runs record their training time (`summary.json`'s `wall_seconds`) but not the time of
//! each step, so an event's wall time is an estimate: the run's start (the modification time of
//! `summary.json`, written when it ended, less its training time) plus the training time spread evenly
//! over the steps. Exporting the same run directory again gives byte-identical files.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use actscope_metrics::distribution::{Histogram as Recorded, Summary};
use actscope_metrics::records::Record;
use rayon::prelude::*;

use super::event::{self, Histogram, Value};
use super::metrics::{CHECKPOINT_METRICS, LAYER_METRICS};
use super::source::{read_records, run_name};
use super::tfrecord::append_record;
use crate::summarize::LoadedRun;
use crate::{Error, Result};

/// The prefix of every event file's name.
pub const FILE_PREFIX: &str = "events.out.tfevents.";

/// One event of a run: wall time, step and the tagged values recorded at that step.
pub type StepValues = (f64, i64, Vec<(String, Value)>);

/// What an export wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Runs exported.
    pub runs: usize,
    /// Events written (file-version events included).
    pub events: usize,
    /// Bytes written.
    pub bytes: u64,
    /// The event files, one per run, in the order of the runs.
    pub files: Vec<PathBuf>,
}

/// The TensorBoard histogram of a recorded one (see the module docs), with its moments from `moments`;
/// `None` when it counted no value but NaNs.
pub fn histogram(h: &Recorded, moments: &Summary) -> Option<Histogram> {
    let edges = h.bins.edges();
    let bins = h.counts.len();
    let width = (h.bins.hi - h.bins.lo) / h.bins.bins as f64;
    let nonzero_first = h.counts.iter().position(|&c| c > 0);
    let nonzero_last = h.counts.iter().rposition(|&c| c > 0);
    let start = if h.underflow > 0 { 0 } else { nonzero_first.unwrap_or(bins) };
    let end = if h.overflow > 0 { bins } else { nonzero_last.map_or(start, |l| l + 1) };
    let (mut bucket_limit, mut bucket) = (Vec::new(), Vec::new());
    if h.underflow > 0 {
        bucket_limit.push(h.bins.lo);
        bucket.push(h.underflow as f64);
    }
    for i in start..end {
        bucket_limit.push(edges[i + 1]);
        bucket.push(h.counts[i] as f64);
    }
    if h.overflow > 0 {
        bucket_limit.push(f64::MAX);
        bucket.push(h.overflow as f64);
    }
    if bucket.is_empty() {
        return None;
    }
    let n = (h.total() - h.nan) as f64;
    Some(Histogram {
        min: if h.underflow > 0 { h.bins.lo - width } else { edges[start] },
        max: if h.overflow > 0 { h.bins.hi + width } else { edges[end] },
        num: n,
        sum: n * moments.mean,
        sum_squares: n * (moments.std * moments.std + moments.mean * moments.mean),
        bucket_limit,
        bucket,
    })
}

/// The events of one run from its records, after the file-version event: evaluations, checkpoints and
/// step scalars, in the order the run wrote them. `wall(step)` gives each event's wall time.
pub fn events(records: &[Record], wall: impl Fn(usize) -> f64) -> Vec<StepValues> {
    let mut out: Vec<StepValues> = Vec::new();
    let scalar = |tag: String, v: f64| (tag, Value::Scalar(v as f32));
    // Evaluations of one step (train, val, test) share an event: the step of the last event when it holds
    // evaluations.
    let mut eval_step = None;
    for r in records {
        match r {
            Record::Header(_) => {}
            Record::Eval(p) => {
                let values =
                    [scalar(format!("loss/{}", p.set), p.loss), scalar(format!("accuracy/{}", p.set), p.accuracy)];
                match out.last_mut() {
                    Some((_, _, v)) if eval_step == Some(p.step) => v.extend(values),
                    _ => out.push((wall(p.step), p.step as i64, values.to_vec())),
                }
                eval_step = Some(p.step);
                continue;
            }
            Record::Checkpoint(c) => {
                let mut values: Vec<(String, Value)> = CHECKPOINT_METRICS
                    .iter()
                    .filter_map(|m| (m.get)(c).map(|v| scalar(format!("network/{}", m.name), v)))
                    .collect();
                for l in &c.layers {
                    values.extend(
                        LAYER_METRICS
                            .iter()
                            .filter_map(|m| (m.get)(l).map(|v| scalar(format!("{}/layer{}", m.name, l.layer), v))),
                    );
                    for (name, h, moments) in [("z", &l.z_hist, &l.z), ("a", &l.a_hist, &l.a)] {
                        if let Some(h) = histogram(h, moments) {
                            values.push((format!("{name}/layer{}", l.layer), Value::Histogram(h)));
                        }
                    }
                }
                out.push((wall(c.step), c.step as i64, values));
            }
            Record::Step(s) => {
                let mut values = vec![scalar("step/loss".into(), s.loss)];
                if let Some((output, hidden)) = s.grad_w_norms.split_last() {
                    values.extend(
                        hidden.iter().enumerate().map(|(i, &v)| scalar(format!("step/grad_w_norm/layer{i}"), v)),
                    );
                    values.push(scalar("step/grad_w_norm/output".into(), *output));
                }
                out.push((wall(s.step), s.step as i64, values));
            }
        }
        eval_step = None;
    }
    out
}

/// The estimated wall-clock start of a run, in seconds since the Unix epoch (see the module docs).
fn start_time(run: &LoadedRun) -> Result<f64> {
    let p = run.dir.join("summary.json");
    let modified =
        std::fs::metadata(&p).and_then(|m| m.modified()).map_err(|e| Error::io("reading the time of", &p, e))?;
    let end = modified.duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
    Ok(end - run.summary.wall_seconds.max(0.0))
}

/// The bytes of one run's event file and its number of events.
fn file_bytes(run: &LoadedRun, start: f64) -> Result<(Vec<u8>, usize)> {
    let records = read_records(run)?;
    let (seconds, steps) = (run.summary.wall_seconds.max(0.0), run.summary.steps.max(1) as f64);
    let events = events(&records, |step| start + seconds * (step as f64 / steps).min(1.0));
    let mut bytes = Vec::new();
    append_record(&mut bytes, &event::file_version(start));
    for (wall, step, values) in &events {
        append_record(&mut bytes, &event::summary(*wall, *step, values));
    }
    Ok((bytes, events.len() + 1))
}

/// One run's event file, written into a temporary directory beside its place, to be moved there.
struct Staged {
    /// The temporary directory holding the event file.
    tmp: PathBuf,
    /// The run's sub-directory of the export.
    dest: PathBuf,
    /// Where an earlier export of the run is set aside while the new one is moved in.
    old: PathBuf,
    /// The event file's name.
    file: String,
    events: usize,
    bytes: u64,
}

impl Staged {
    /// Writes `run`'s event file into a temporary directory in `out`, after checking that its place holds
    /// nothing but event files.
    fn write(run: &LoadedRun, out: &Path, host: &str) -> Result<Self> {
        let name = run_name(run);
        let dest = out.join(&name);
        refuse_foreign(&dest)?;
        let start = start_time(run)?;
        let (bytes, events) = file_bytes(run, start)?;
        let pid = std::process::id();
        let staged = Staged {
            tmp: out.join(crate::store::staging_name(&name, host, pid)),
            old: out.join(crate::store::aside_name(&name, host, pid)),
            file: format!("{FILE_PREFIX}{}.{host}", start.floor() as i64),
            dest,
            events,
            bytes: bytes.len() as u64,
        };
        // Leftovers of an earlier process with this pid (containers reuse pids) would block the renames.
        let _ = std::fs::remove_dir_all(&staged.tmp);
        let _ = std::fs::remove_dir_all(&staged.old);
        let written =
            std::fs::create_dir_all(&staged.tmp).map_err(|e| Error::io("creating", &staged.tmp, e)).and_then(|()| {
                std::fs::write(staged.tmp.join(&staged.file), &bytes)
                    .map_err(|e| Error::io("writing", &staged.dest.join(&staged.file), e))
            });
        match written {
            Ok(()) => Ok(staged),
            Err(e) => {
                staged.discard();
                Err(e)
            }
        }
    }

    /// Moves the event file's directory into place, setting an earlier export aside (kept until
    /// [`Staged::commit`] or put back by [`Staged::undo`]); returns whether there was one.
    fn swap_in(&self) -> Result<bool> {
        // Checked again: a file that appeared in the place since the run was written is never moved aside.
        refuse_foreign(&self.dest)?;
        let had = self.dest.try_exists().map_err(|e| Error::io("reading", &self.dest, e))?;
        if had {
            std::fs::rename(&self.dest, &self.old).map_err(|e| Error::io("moving aside", &self.dest, e))?;
        }
        if let Err(e) = std::fs::rename(&self.tmp, &self.dest) {
            if had {
                let _ = std::fs::rename(&self.old, &self.dest);
            }
            return Err(Error::io("moving into place", &self.dest, e));
        }
        Ok(had)
    }

    /// Takes back a [`Staged::swap_in`]: the new directory is removed, the earlier export put back.
    fn undo(&self, had: bool) {
        let _ = std::fs::remove_dir_all(&self.dest);
        if had {
            let _ = std::fs::rename(&self.old, &self.dest);
        }
    }

    /// Removes the earlier export a [`Staged::swap_in`] set aside (a failure leaves a hidden directory).
    fn commit(&self, had: bool) {
        if had {
            let _ = std::fs::remove_dir_all(&self.old);
        }
    }

    /// Removes the temporary directory of a run not moved into place.
    fn discard(&self) {
        let _ = std::fs::remove_dir_all(&self.tmp);
    }
}

/// Writes one event file per run under `out/<run name>/`. Every run is written first, each beside its
/// place; only when all are written are they moved into place, so one run that fails (records changed
/// since they were read, a place holding other files, a full disk) leaves `out` as it was: nothing of the
/// other runs is written. A run's sub-directory is replaced as a whole, and only when it holds nothing but
/// event files: a directory with anything else in it is never overwritten. An `out` inside one of the run
/// directories read is refused ([`super::source::refuse_out_in_runs`]).
///
/// # Errors
/// Malformed run files, a sub-directory holding other files or an `out` inside a run directory (usage), or
/// IO errors, naming the path.
pub fn export(runs: &[LoadedRun], out: &Path) -> Result<Written> {
    super::source::refuse_out_in_runs(runs, out, "export tensorboard")?;
    std::fs::create_dir_all(out).map_err(|e| Error::io("creating", out, e))?;
    let host = crate::store::host();
    // What an export that died left (TensorBoard would read it as runs), named as the runs' temporaries.
    crate::store::remove_leftovers(out);
    let results: Vec<Result<Staged>> = runs.par_iter().map(|run| Staged::write(run, out, &host)).collect();
    let (mut staged, mut failed) = (Vec::with_capacity(runs.len()), None);
    for r in results {
        match r {
            Ok(s) => staged.push(s),
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
    }
    if let Some(e) = failed {
        staged.iter().for_each(Staged::discard);
        return Err(e);
    }
    let mut swapped: Vec<bool> = Vec::with_capacity(staged.len());
    for (i, s) in staged.iter().enumerate() {
        match s.swap_in() {
            Ok(had) => swapped.push(had),
            Err(e) => {
                for (s, &had) in staged.iter().zip(&swapped).rev() {
                    s.undo(had);
                }
                staged[i..].iter().for_each(Staged::discard);
                return Err(e);
            }
        }
    }
    let mut w = Written { runs: staged.len(), ..Written::default() };
    for (s, had) in staged.into_iter().zip(swapped) {
        s.commit(had);
        w.events += s.events;
        w.bytes += s.bytes;
        w.files.push(s.dest.join(s.file));
    }
    Ok(w)
}

/// An error when `dest` exists and holds anything but event files (it was not written by an export), or
/// cannot be looked at.
fn refuse_foreign(dest: &Path) -> Result<()> {
    if !dest.try_exists().map_err(|e| Error::io("reading", dest, e))? {
        return Ok(());
    }
    let entries = std::fs::read_dir(dest).map_err(|e| Error::io("reading", dest, e))?;
    for e in entries {
        let e = e.map_err(|e| Error::io("reading", dest, e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        // Anything that is not plainly an event file (one that cannot be looked at included) is refused.
        if !name.starts_with(FILE_PREFIX) || !std::fs::metadata(e.path()).is_ok_and(|m| m.is_file()) {
            return Err(Error::usage(format!(
                "{}: exists and holds {name}, not only TensorBoard event files; choose another --out or move it away",
                dest.display()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use actscope_metrics::distribution::Bins;

    use super::*;
    use crate::export::{fixture, tfrecord};

    fn recorded(counts: Vec<u64>, underflow: u64, overflow: u64, nan: u64) -> Recorded {
        let bins = Bins { lo: -2.0, hi: 2.0, bins: counts.len() };
        Recorded { bins, counts, underflow, overflow, nan }
    }

    fn moments(mean: f64, std: f64) -> Summary {
        Summary { mean, std, percentiles: vec![] }
    }

    #[test]
    fn empty_bins_at_the_ends_are_trimmed_and_inner_ones_kept() {
        let h = histogram(&recorded(vec![0, 3, 0, 1, 0, 0, 0, 0], 0, 0, 2), &moments(0.5, 2.0)).unwrap();
        assert_eq!(h.bucket_limit, vec![-1.0, -0.5, 0.0]);
        assert_eq!(h.bucket, vec![3.0, 0.0, 1.0]);
        assert_eq!((h.min, h.max, h.num), (-1.5, 0.0, 4.0), "NaNs are not counted");
        assert_eq!((h.sum, h.sum_squares), (2.0, 4.0 * (4.0 + 0.25)));
    }

    #[test]
    fn underflow_and_overflow_get_a_bucket_one_bin_wide_beyond_the_range() {
        let h = histogram(&recorded(vec![0, 0, 5, 0], 2, 1, 0), &moments(0.0, 1.0)).unwrap();
        assert_eq!(h.bucket_limit, vec![-2.0, -1.0, 0.0, 1.0, 2.0, f64::MAX]);
        assert_eq!(h.bucket, vec![2.0, 0.0, 0.0, 5.0, 0.0, 1.0]);
        assert_eq!((h.min, h.max, h.num), (-3.0, 3.0, 8.0));
        let only_under = histogram(&recorded(vec![0; 4], 4, 0, 0), &moments(-9.0, 1.0)).unwrap();
        assert_eq!((only_under.bucket_limit, only_under.bucket), (vec![-2.0], vec![4.0]));
        assert_eq!((only_under.min, only_under.max), (-3.0, -2.0));
        assert_eq!(histogram(&recorded(vec![0; 4], 0, 0, 7), &moments(f64::NAN, f64::NAN)), None);
    }

    #[test]
    fn every_record_becomes_an_event_and_exports_are_byte_identical() {
        let (dir, runs) = fixture::runs("tensorboard");
        let out = dir.join("tb");
        let w = export(&runs, &out).unwrap();
        assert_eq!(w.runs, 2);
        let mut total = 0;
        for (run, file) in runs.iter().zip(&w.files) {
            assert_eq!(file.parent().unwrap(), out.join(run_name(run)));
            assert!(file.file_name().unwrap().to_string_lossy().starts_with(FILE_PREFIX));
            let bytes = std::fs::read(file).unwrap();
            let events = tfrecord::read_records(&bytes).unwrap();
            let records = read_records(run).unwrap();
            let eval_steps: std::collections::BTreeSet<usize> =
                records.iter().filter_map(|r| if let Record::Eval(p) = r { Some(p.step) } else { None }).collect();
            let others = records.iter().filter(|r| matches!(r, Record::Checkpoint(_) | Record::Step(_))).count();
            assert_eq!(events.len(), 1 + eval_steps.len() + others);
            assert_eq!(events[0], event::file_version(start_time(run).unwrap()));
            total += events.len();
        }
        assert_eq!(w.events, total);
        let first: Vec<Vec<u8>> = w.files.iter().map(|f| std::fs::read(f).unwrap()).collect();
        let again = export(&runs, &out).unwrap();
        assert_eq!(again.files, w.files);
        assert_eq!(first, again.files.iter().map(|f| std::fs::read(f).unwrap()).collect::<Vec<_>>());
        // A run directory holding anything but event files is never overwritten.
        std::fs::write(out.join(run_name(&runs[0])).join("notes.txt"), "mine").unwrap();
        let e = export(&runs, &out).unwrap_err();
        assert!(e.is_usage() && e.to_string().contains("holds notes.txt"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
