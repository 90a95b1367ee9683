//! The runs directory: which runs are there and whether to reuse them, putting a finished run in place,
//! tidying after interrupted processes, and reading what finished runs wrote.
//!
//! A run is written into `.tmp-<name>-<host>-<pid>` beside its final place ([`crate::run`]) and renamed
//! when complete (`put_in_place`), so a directory named after a run always holds a finished run; an
//! interrupted run leaves only a temporary directory, which the next attempt at the same run removes
//! ([`recover`]).
//!
//! None of this decides a run's numbers, so it lies outside the code fingerprint ([`crate::run::CODE`]):
//! editing it does not mark finished runs stale.

use std::fs;
use std::path::{Path, PathBuf};

use crate::config::RunConfig;
use crate::fsio::{self, read_json, rename};
use crate::run::{CODE, RunStatus, RunSummary, SUMMARY_SCHEMA, TARGETS, sha256_hex};
use crate::{Error, Result};

/// Where a run stands in an output directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunState {
    /// No finished run directory.
    Missing,
    /// Finished by this build's code on this data: reused.
    Finished,
    /// Finished, but not to be reused (why): redone, and replaced once the new result is in place.
    Stale(Stale),
}

/// Why a finished run directory is not reused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stale {
    /// Computed by other code: the fingerprint it recorded (empty for runs from before fingerprints).
    OtherCode(String),
    /// Trained on other data: the checksum it recorded, where the data its settings name now has another
    /// (a data file changed, or `default` now finds the full set where it had found only the embedded one).
    OtherData(String),
    /// Its files cannot be trusted: what is wrong.
    Damaged(String),
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::OtherCode(c) if c.is_empty() => write!(f, "computed by code from before fingerprints"),
            Self::OtherCode(c) => write!(f, "computed by other code ({c})"),
            Self::OtherData(c) => write!(f, "trained on other data (checksum {})", c.get(..12).unwrap_or(c)),
            Self::Damaged(what) => write!(f, "damaged: {what}"),
        }
    }
}

/// The state of run `name` in `out` (see [`RunState`]) for data whose checksum is `data_checksum` (the
/// [`actscope_data::LoadedData::checksum`] of the data the run's settings name, as loaded now): the run in place, as a
/// writer or a sweep after [`recover`] sees it.
pub fn state(out: &Path, name: &str, data_checksum: &str) -> RunState {
    state_given(out, name, data_checksum, &SetAside::default())
}

/// [`state`], where a complete run that an interrupted process set aside and [`recover`] will put back
/// (`aside`, found once for all runs with [`SetAside::find`]) counts as in place: what a dry run, which does
/// not recover, reports.
///
/// A run directory whose `summary.json` cannot be looked at (a permission error) is damaged, saying why: it
/// is not taken for a missing run, and no new run is put in its place ([`not_a_foreign_directory`]).
pub fn state_given(out: &Path, name: &str, data_checksum: &str, aside: &SetAside) -> RunState {
    let dir = match is_finished_run(&out.join(name)) {
        Ok(true) => out.join(name),
        Ok(false) => match aside.get(name) {
            Some(dir) => dir.to_path_buf(),
            None => return RunState::Missing,
        },
        Err(e) => return RunState::Stale(Stale::Damaged(e.to_string())),
    };
    match read_summary(&dir) {
        Ok(s) if s.code != CODE => RunState::Stale(Stale::OtherCode(s.code)),
        Ok(s) if s.data_checksum != data_checksum => RunState::Stale(Stale::OtherData(s.data_checksum)),
        Ok(s) => match fsio::read(&dir.join("records.jsonl")) {
            Ok(bytes) if sha256_hex(&bytes) == s.records_sha256 => match read_config(&dir) {
                Ok(c) if c.dir_name() == name => RunState::Finished,
                Ok(c) => RunState::Stale(Stale::Damaged(format!(
                    "config.json holds the settings of run {}, not of this one",
                    c.dir_name()
                ))),
                Err(e) => RunState::Stale(Stale::Damaged(e.to_string())),
            },
            Ok(_) if s.records_sha256.is_empty() => {
                RunState::Stale(Stale::Damaged("summary.json records no SHA-256 of records.jsonl".into()))
            }
            Ok(_) => RunState::Stale(Stale::Damaged("records.jsonl does not match its checksum".into())),
            Err(e) => RunState::Stale(Stale::Damaged(format!("records.jsonl: {e}"))),
        },
        Err(e) => RunState::Stale(Stale::Damaged(e.to_string())),
    }
}

/// Whether `dir` is a finished run directory: a directory holding a file `summary.json` (written last, when
/// the run ended). Not one when `dir` or its `summary.json` does not exist, or `dir` is not a directory.
///
/// # Errors
/// When `dir` or its `summary.json` cannot be looked at (a permission error, a link through a file), naming
/// the path: such a run is neither missing nor unfinished, and is never silently left out.
pub fn is_finished_run(dir: &Path) -> Result<bool> {
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Error::io("reading", dir, e)),
    }
    let summary = dir.join("summary.json");
    match fs::metadata(&summary) {
        Ok(m) => Ok(m.is_file()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io("reading", &summary, e)),
    }
}

/// Whether `out/name` exists without being a finished run (not written by actscope, or half removed by hand):
/// it is never overwritten (a run's result is not moved there), and a sweep refuses it before any run trains
/// ([`not_a_foreign_directory`]). One that cannot be looked at is an error: never overwritten either.
fn foreign(out: &Path, name: &str) -> Result<bool> {
    let dir = out.join(name);
    Ok(dir.try_exists().map_err(|e| Error::io("reading", &dir, e))? && !is_finished_run(&dir)?)
}

/// This machine's name, as temporary directories carry it (several hosts may share a run directory):
/// see [`staging_name`] and [`aside_name`].
pub fn host() -> String {
    let raw = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "host".into());
    crate::config::sanitize(raw.trim()).replace('-', "_")
}

/// What every temporary directory beside the runs starts with.
const TMP_PREFIX: &str = ".tmp-";
/// What a finished run's directory set aside to be replaced ends with ([`aside_name`]).
const ASIDE_SUFFIX: &str = "-stale";

/// `.tmp-<name>-<host>-<pid>`: where process `pid` of `host` writes `name` before putting it in place. The
/// host has no '-' ([`host`] replaces them), so the scan for leftovers reads the name back from the right.
pub fn staging_name(name: &str, host: &str, pid: u32) -> String {
    format!("{TMP_PREFIX}{name}-{host}-{pid}")
}

/// [`staging_name`] with `-stale` appended: where that process sets aside the finished `name` it replaces.
pub fn aside_name(name: &str, host: &str, pid: u32) -> String {
    format!("{}{ASIDE_SUFFIX}", staging_name(name, host, pid))
}

/// Whether process `pid` is alive on this machine (where `/proc` tells; elsewhere assumed alive, so
/// nothing another process may be writing is ever removed).
fn alive(pid: u32) -> bool {
    pid == std::process::id() || !Path::new("/proc/self").exists() || Path::new("/proc").join(pid.to_string()).exists()
}

/// An error when `out/name` exists without being a finished run (not written by us): it is never
/// overwritten. Checked before training and again before the result is moved into place. One that cannot
/// be looked at is refused with the reason (a permission error), naming the path.
pub fn not_a_foreign_directory(out: &Path, name: &str) -> Result<()> {
    if foreign(out, name)? {
        return Err(Error::Malformed {
            path: out.join(name),
            message: "exists but is not a finished run; move it away and try again".into(),
        });
    }
    Ok(())
}

/// Removes temporary directories left by interrupted attempts at the run `name` on this host, putting back
/// a finished run one of them had set aside (see [`recover`]).
pub(crate) fn clean_partial(out: &Path, name: &str) -> Result<()> {
    tidy(out, Some(name)).map(drop)
}

/// Tidies `out` after processes of this host that died, before its runs' states are read: a finished run
/// one of them had set aside to replace it (`.tmp-<run>-<host>-<pid>-stale`, complete: its `summary.json`
/// is there) goes back into place where nothing took its place; every other leftover of a dead process of
/// this host (a half-written run, an old run half removed) is removed. Directories of live processes, and of
/// other hosts (a shard on a cluster sharing the directory), are left alone: those may still be in use.
/// Returns how many runs were put back. A leftover that cannot be removed, or looked at, stays (it is never
/// read as a run).
///
/// # Errors
/// A run that cannot be put back, naming it.
pub fn recover(out: &Path) -> Result<usize> {
    tidy(out, None)
}

/// The complete runs in `out` that [`recover`] would put back (by run name), found with one listing of `out`.
#[derive(Debug, Default)]
pub struct SetAside(std::collections::HashMap<String, PathBuf>);

impl SetAside {
    /// Lists `out` once.
    pub fn find(out: &Path) -> Self {
        SetAside(
            leftovers(out)
                .into_iter()
                .filter(|l| matches!(l.restorable(out), Ok(true)))
                .map(|l| (l.name, l.path))
                .collect(),
        )
    }

    /// Where the run `name` was set aside, if it was.
    pub fn get(&self, name: &str) -> Option<&Path> {
        self.0.get(name).map(PathBuf::as_path)
    }
}

/// A temporary directory `.tmp-<run>-<host>-<pid>[-stale]` of a dead process of this host (or of this
/// process): one that [`recover`] may put back or remove.
struct Leftover {
    path: PathBuf,
    name: String,
    /// A finished run set aside to be replaced (`-stale`), rather than a run being written.
    stale: bool,
}

impl Leftover {
    /// Whether it is a complete run set aside, with nothing in its place: put back, not removed. An error
    /// when either cannot be looked at (then it is left as it is).
    fn restorable(&self, out: &Path) -> Result<bool> {
        if !self.stale {
            return Ok(false);
        }
        let place = out.join(&self.name);
        Ok(!place.try_exists().map_err(|e| Error::io("reading", &place, e))? && is_finished_run(&self.path)?)
    }
}

/// The leftovers in `out` of dead processes of this host (and of this one). Directories of live processes,
/// and of other hosts (a shard on a cluster sharing the directory), are not listed: those may be in use.
fn leftovers(out: &Path) -> Vec<Leftover> {
    let Ok(entries) = fs::read_dir(out) else { return Vec::new() };
    let this_host = host();
    let mut found = Vec::new();
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(TMP_PREFIX) else { continue };
        let (rest, stale) = match rest.strip_suffix(ASIDE_SUFFIX) {
            Some(r) => (r, true),
            None => (rest, false),
        };
        // `<run>-<host>-<pid>`: the host has no '-' (host() replaces them), the run name may.
        let mut parts = rest.rsplitn(3, '-');
        let (Some(pid), Some(h), Some(name)) = (parts.next(), parts.next(), parts.next()) else { continue };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        let in_use = pid != std::process::id() && alive(pid);
        if h == this_host && !in_use {
            found.push(Leftover { path: e.path(), name: name.to_string(), stale });
        }
    }
    found
}

/// Removes the [`leftovers`] directories in `out` that hold no finished run, putting none back: for
/// directories whose temporary names follow the runs' but hold an export's event files. One that holds a
/// finished run (a sweep's run set aside, `-stale`, which [`recover`] puts back) or cannot be looked at is
/// left alone: an export pointed at a runs directory had deleted the runs a crashed sweep set aside.
pub(crate) fn remove_leftovers(out: &Path) {
    for l in leftovers(out) {
        if matches!(is_finished_run(&l.path), Ok(false)) {
            let _ = fs::remove_dir_all(&l.path);
        }
    }
}

fn tidy(out: &Path, only: Option<&str>) -> Result<usize> {
    let mut restored = 0;
    for l in leftovers(out) {
        if only.is_some_and(|n| n != l.name) {
            continue;
        }
        match l.restorable(out) {
            Ok(true) => {
                rename(&l.path, &out.join(&l.name))?;
                restored += 1;
            }
            Ok(false) => {
                let _ = fs::remove_dir_all(&l.path);
            }
            // What it holds, or what is in its place, cannot be looked at: neither put back nor removed.
            Err(_) => {}
        }
    }
    Ok(restored)
}

/// Puts the finished temporary directory `tmp` at `out/name`. Several writers may finish the same run at
/// once (sweeps or shards sharing a directory, perhaps on data changed in between), so what is there is
/// looked at again after every failed rename:
/// - nothing: `tmp` is renamed into place (a directory that is not a finished run is never overwritten);
/// - a run this writer may reuse (this code, data of checksum `data_checksum`, intact), unless `replace`:
///   it is kept and `tmp` removed;
/// - any other finished run (stale for this writer, or to be replaced): it is set aside under a temporary
///   name, `tmp` put in its place, and only then the old one removed. Until then the old run is kept, and a
///   crash in between leaves it set aside, put back by the next attempt ([`recover`]);
/// - something that cannot be looked at (a permission error): an error naming it, `tmp` left to the caller.
pub(crate) fn put_in_place(tmp: &Path, out: &Path, name: &str, data_checksum: &str, replace: bool) -> Result<()> {
    let dest = out.join(name);
    let mut tries = 0;
    loop {
        tries += 1;
        let last = tries >= 4;
        // A place that cannot be looked at is neither replaced nor written over (`state` calls it damaged).
        is_finished_run(&dest)?;
        match state(out, name, data_checksum) {
            RunState::Finished if !replace => {
                fs::remove_dir_all(tmp).ok();
                return Ok(());
            }
            RunState::Missing => {
                not_a_foreign_directory(out, name)?;
                match fs::rename(tmp, &dest) {
                    Ok(()) => return Ok(()),
                    // Another writer put its result there meanwhile: look again.
                    Err(_) if !last => continue,
                    Err(e) => return Err(Error::io("moving into place", &dest, e)),
                }
            }
            RunState::Finished | RunState::Stale(_) => {
                let old = out.join(aside_name(name, &host(), std::process::id()));
                match fs::rename(&dest, &old) {
                    Ok(()) => {}
                    // Another writer set it aside first and is putting its own result in place: look again.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound && !last => continue,
                    Err(e) => return Err(Error::io("moving aside", &dest, e)),
                }
                if let Err(e) = fs::rename(tmp, &dest) {
                    // Nothing of ours took its place: the old run goes back.
                    let _ = fs::rename(&old, &dest);
                    if last {
                        return Err(Error::io("moving into place", &dest, e));
                    }
                    continue;
                }
                // The new run is in place: a failure to remove the old one leaves a temporary directory
                // (removed at the next attempt), not a failed run.
                let _ = fs::remove_dir_all(&old);
                return Ok(());
            }
        }
    }
}

/// Reads `summary.json` of a run directory, checked against what a run writes there
/// ([`RunSummary::check`]): an edited summary (a test accuracy of 7.5, a schema this build does not know)
/// would otherwise be averaged and exported as if measured.
///
/// # Errors
/// Missing or malformed file, or a value no run writes, naming the file (and the field).
pub fn read_summary(dir: &Path) -> Result<RunSummary> {
    let path = dir.join("summary.json");
    let summary: RunSummary = read_json(&path)?;
    summary.check().map_err(|message| Error::Malformed { path, message })?;
    Ok(summary)
}

impl RunSummary {
    /// Checks what every run's `summary.json` holds (the runs `execute` writes and those of `analyze`): the
    /// schema this build reads; a diverged step exactly for diverged runs, and none beyond the steps done;
    /// one entry per target in `steps_to_target`, none beyond the steps done; each evaluation on the set its
    /// field names, with an accuracy in [0, 1] (NaN for an empty set) and a loss not below 0 (NaN or
    /// infinite for a diverged run) at a non-negative epoch; a wall time of finite, non-negative seconds;
    /// and a records checksum that is 64 lower-case hex digits, or empty in a run of other code (runs from
    /// before it was kept).
    ///
    /// # Errors
    /// The first field that breaks one of these, with its value and what was expected.
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.schema != SUMMARY_SCHEMA {
            return Err(format!(
                "schema {}: this build reads summary.json schema {SUMMARY_SCHEMA} only (a run written by another \
                 version of actscope?)",
                self.schema
            ));
        }
        match (self.status, self.diverged_step) {
            (RunStatus::Ok, Some(step)) => {
                return Err(format!("diverged_step is {step} in a run whose status is \"ok\"; expected null"));
            }
            (RunStatus::Diverged, None) => {
                return Err("diverged_step is null in a diverged run; expected the step it diverged at".into());
            }
            (_, Some(step)) if step > self.steps => {
                return Err(format!(
                    "diverged_step is {step}, beyond the steps done ({}); expected at most that",
                    self.steps
                ));
            }
            _ => {}
        }
        if self.steps_to_target.len() != TARGETS.len() {
            return Err(format!(
                "steps_to_target has {} entries; expected {}, one per validation target {TARGETS:?}",
                self.steps_to_target.len(),
                TARGETS.len()
            ));
        }
        if let Some((i, step)) =
            self.steps_to_target.iter().enumerate().find_map(|(i, s)| s.filter(|&s| s > self.steps).map(|s| (i, s)))
        {
            return Err(format!(
                "steps_to_target[{i}] is {step}, beyond the steps done ({}); expected at most that, or null",
                self.steps
            ));
        }
        for (set, point) in [("train", &self.train), ("val", &self.val), ("test", &self.test)] {
            let Some(p) = point else { continue };
            if p.set != set {
                return Err(format!("{set}.set is {:?}; expected {set:?}", p.set));
            }
            if !(p.accuracy.is_nan() || (0.0..=1.0).contains(&p.accuracy)) {
                return Err(format!(
                    "{set}.accuracy is {}; expected a share of examples in [0, 1] (null for an empty set)",
                    p.accuracy
                ));
            }
            if p.loss < 0.0 {
                return Err(format!(
                    "{set}.loss is {}; expected a cross-entropy of at least 0 (null or \"inf\" for a diverged run)",
                    p.loss
                ));
            }
            if p.epoch < 0.0 {
                return Err(format!("{set}.epoch is {}; expected epochs done, at least 0", p.epoch));
            }
        }
        if !(self.wall_seconds.is_finite() && self.wall_seconds >= 0.0) {
            return Err(format!("wall_seconds is {}; expected seconds, at least 0", self.wall_seconds));
        }
        if self.records_sha256.is_empty() && self.code == CODE {
            // Only runs from before checksums were kept may have none, and no build since wrote one without:
            // an empty checksum had turned off the check of a truncated or emptied records.jsonl.
            return Err("records_sha256 is empty in a run this build wrote (its code is this build's); expected \
                        the SHA-256 of records.jsonl: summary.json was edited"
                .into());
        }
        if !self.records_sha256.is_empty() && !lower_hex(&self.records_sha256, 64) {
            return Err(format!(
                "records_sha256 is {:?}; expected the SHA-256 of records.jsonl, 64 lower-case hex digits",
                self.records_sha256
            ));
        }
        Ok(())
    }
}

/// The bytes of `records.jsonl` of a run directory, checked against the SHA-256 its `summary.json`
/// recorded (not checked where that is empty, in runs written before it was kept).
fn records_bytes(dir: &Path, records_sha256: &str) -> Result<(PathBuf, Vec<u8>)> {
    let path = dir.join("records.jsonl");
    let bytes = fsio::read(&path)?;
    if !records_sha256.is_empty() && sha256_hex(&bytes) != records_sha256 {
        return Err(Error::Malformed {
            path,
            message: format!(
                "does not match the SHA-256 its summary.json recorded ({}…): it was changed after the run ended; \
                 `actscope sweep` on the run's sweep file (or `actscope train` with its settings) redoes the run",
                records_sha256.get(..12).unwrap_or(records_sha256)
            ),
        });
    }
    Ok((path, bytes))
}

/// Checks `records.jsonl` of a run directory against the SHA-256 its `summary.json` recorded, without
/// parsing it, as [`read_records`] does: every reader of finished runs checks every run this way when it
/// loads it ([`crate::summarize::LoadedRun::load`]), whatever it reads from the run afterwards.
///
/// # Errors
/// As [`read_records`]'s for a missing file or one that does not match its checksum.
pub fn check_records(dir: &Path, records_sha256: &str) -> Result<()> {
    records_bytes(dir, records_sha256).map(drop)
}

/// Reads `records.jsonl` of a run directory, checked against the SHA-256 its `summary.json` recorded
/// (`records_sha256`; not checked for runs written before it was kept, where it is empty): an edited or
/// truncated records file would change every number read from it without a word.
///
/// # Errors
/// Missing or malformed file, or one that does not match its checksum, naming it.
pub fn read_records(dir: &Path, records_sha256: &str) -> Result<Vec<actscope_metrics::records::Record>> {
    let (path, bytes) = records_bytes(dir, records_sha256)?;
    actscope_metrics::records::read_jsonl(&bytes[..]).map_err(|e| Error::Malformed { path, message: e.to_string() })
}

/// Whether `name` has the form of a run directory's name ([`RunConfig::dir_name`]): settings, then `-` and the
/// run's id of 12 lower-case hex digits.
fn named_as_run(name: &str) -> bool {
    name.rsplit_once('-').is_some_and(|(head, id)| !head.is_empty() && lower_hex(id, 12))
}

/// Whether `s` is `len` lower-case hex digits (a run's id, a SHA-256).
fn lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Reads `config.json` of a run directory.
///
/// # Errors
/// Missing or malformed file, naming it.
pub fn read_config(dir: &Path) -> Result<RunConfig> {
    read_json(&dir.join("config.json"))
}

/// Every finished run directory directly inside `dir` ([`is_finished_run`]; hidden entries, such as
/// temporary directories, are not runs), sorted by name. An entry that cannot be looked at is skipped when
/// its name is not a run directory's (`lost+found`, another user's private directory beside the runs).
///
/// # Errors
/// If `dir` cannot be read, or an entry named as a run directory is (`…-<12 hex digits>`) cannot be looked
/// at (it might be a run: it is not left out without a word), naming the path.
pub fn list_runs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| Error::io("reading runs directory", dir, e))? {
        let entry = entry.map_err(|e| Error::io("reading runs directory", dir, e))?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        match is_finished_run(&path) {
            Ok(true) => out.push(path),
            Ok(false) => {}
            Err(e) if named_as_run(&entry.file_name().to_string_lossy()) => return Err(e),
            Err(_) => {}
        }
    }
    out.sort();
    Ok(out)
}

/// The outputs of every finished run in `dir` that must be bit-identical however its runs were scheduled
/// (`--jobs`, shards, resume, lockstep groups, a cluster), keyed by run directory name: `records.jsonl`, and
/// `summary.json` without `wall_seconds`, its one measured field.
///
/// # Errors
/// If `dir` or a run's files cannot be read, or a summary is not JSON, naming the file.
pub fn reproducible_outputs(dir: &Path) -> Result<std::collections::BTreeMap<String, (String, String)>> {
    let read = |p: PathBuf| fsio::read_to_string(&p);
    list_runs(dir)?
        .into_iter()
        .map(|run| {
            let summary = run.join("summary.json");
            let mut s: serde_json::Value = serde_json::from_str(&read(summary.clone())?)
                .map_err(|e| Error::Malformed { path: summary, message: e.to_string() })?;
            if let Some(o) = s.as_object_mut() {
                o.remove("wall_seconds");
            }
            let name = run.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            Ok((name, (read(run.join("records.jsonl"))?, s.to_string())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::*;
    use actscope_data::LoadedData;

    fn tiny() -> (RunConfig, LoadedData) {
        let cfg = RunConfig::from_toml("hidden = [4]\nsteps = 3\nprobe_size = 50", "test").unwrap();
        (cfg, actscope_data::load("synthetic:spirals", 0.1, false).unwrap())
    }

    fn temp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("actscope-run-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn a_live_process_keeps_its_temporary_directory_and_a_dead_one_loses_it() {
        let (cfg, data) = tiny();
        let out = temp("live");
        fs::create_dir_all(&out).unwrap();
        let name = cfg.dir_name();
        // pid 1 is always alive; u32::MAX is never a pid.
        let live = staging_name(&name, &host(), 1);
        let dead = staging_name(&name, &host(), u32::MAX);
        let other_host = staging_name(&name, "elsewhere_node", u32::MAX);
        for d in [&live, &dead, &other_host] {
            fs::create_dir_all(out.join(d)).unwrap();
        }
        execute(&cfg, &data, &out).unwrap();
        let left = entries(&out);
        assert!(left.contains(&live) && left.contains(&other_host) && !left.contains(&dead), "{left:?}");
        fs::remove_dir_all(&out).unwrap();
    }

    /// Two writers finish the same run: the one whose rename comes second (after it found no run there)
    /// keeps the first one's result and removes its own temporary directory instead of failing.
    #[test]
    fn a_run_put_in_place_by_another_writer_meanwhile_is_kept() {
        let (cfg, data) = tiny();
        let out = temp("raced");
        let name = cfg.dir_name();
        execute(&cfg, &data, &out).unwrap();
        let theirs = fs::read(out.join(&name).join("summary.json")).unwrap();
        let mine = out.join(staging_name(&name, &host(), std::process::id()));
        fs::create_dir_all(&mine).unwrap();
        fs::write(mine.join("summary.json"), "mine").unwrap();
        put_in_place(&mine, &out, &name, &data.checksum, false).unwrap();
        assert_eq!(entries(&out), vec![name.clone()], "the temporary directory is removed");
        assert_eq!(fs::read(out.join(&name).join("summary.json")).unwrap(), theirs);
        // Anything else in the way is still an error, and leaves the temporary directory to the caller.
        fs::remove_file(out.join(&name).join("summary.json")).unwrap();
        fs::create_dir_all(&mine).unwrap();
        fs::write(mine.join("summary.json"), "mine").unwrap();
        let e = put_in_place(&mine, &out, &name, &data.checksum, false).unwrap_err();
        assert!(e.to_string().contains("exists but is not a finished run"), "{e:?}");
        assert!(mine.exists(), "the temporary directory is left to the caller");
        fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn a_truncated_records_file_is_redone_and_temporary_directories_are_not_runs() {
        let (cfg, data) = tiny();
        let out = temp("truncated");
        let first = execute(&cfg, &data, &out).unwrap();
        let name = cfg.dir_name();
        assert_eq!(state(&out, &name, &data.checksum), RunState::Finished);
        let records = out.join(&name).join("records.jsonl");
        let text = fs::read_to_string(&records).unwrap();
        fs::write(&records, &text[..text.len() / 2]).unwrap();
        let damaged = Stale::Damaged("records.jsonl does not match its checksum".into());
        assert_eq!(state(&out, &name, &data.checksum), RunState::Stale(damaged));
        let again = execute(&cfg, &data, &out).unwrap();
        assert_eq!(fs::read_to_string(&records).unwrap(), text);
        assert_eq!(again.records_sha256, first.records_sha256);
        // A temporary directory holding a summary is not a run.
        fs::create_dir_all(out.join(".tmp-x-y-1")).unwrap();
        fs::copy(out.join(&name).join("summary.json"), out.join(".tmp-x-y-1/summary.json")).unwrap();
        assert_eq!(list_runs(&out).unwrap(), vec![out.join(&name)]);
        fs::remove_dir_all(&out).unwrap();
    }

    /// A run trained on data whose checksum differs from the data its settings name now (a file edited in
    /// place, `default` finding another set) is redone, not reused (a user: the results of the old data were
    /// summarised beside the new ones).
    #[test]
    fn a_run_on_other_data_is_redone_and_replaced() {
        let (cfg, data) = tiny();
        let out = temp("other-data");
        let name = cfg.dir_name();
        let first = execute(&cfg, &data, &out).unwrap();
        let mut changed = data.clone();
        changed.checksum = "0123456789abcdef0123".into();
        assert_eq!(
            state(&out, &name, &changed.checksum),
            RunState::Stale(Stale::OtherData(first.data_checksum.clone()))
        );
        assert_eq!(
            Stale::OtherData(first.data_checksum.clone()).to_string(),
            format!("trained on other data (checksum {})", &first.data_checksum[..12])
        );
        let again = execute(&cfg, &changed, &out).unwrap();
        assert_eq!(again.data_checksum, changed.checksum);
        assert_eq!(read_summary(&out.join(&name)).unwrap().data_checksum, changed.checksum);
        assert_eq!(entries(&out), vec![name.clone()], "the old run is gone once the new one is in place");
        fs::remove_dir_all(&out).unwrap();
    }

    /// A finished run whose `config.json` is missing, unreadable or holds other settings is damaged: redone
    /// (it had been reused, and every later summary failed on it or showed the edited settings).
    #[test]
    fn a_run_with_a_missing_or_edited_config_is_damaged() {
        let (cfg, data) = tiny();
        let out = temp("config");
        let name = cfg.dir_name();
        execute(&cfg, &data, &out).unwrap();
        let path = out.join(&name).join("config.json");
        let text = fs::read_to_string(&path).unwrap();
        let damaged = |out: &Path| matches!(state(out, &name, &data.checksum), RunState::Stale(Stale::Damaged(_)));
        fs::write(&path, text.replace("\"lr\": 0.1", "\"lr\": 0.5")).unwrap();
        assert_ne!(fs::read_to_string(&path).unwrap(), text, "the edit took");
        assert!(damaged(&out), "{:?}", state(&out, &name, &data.checksum));
        fs::write(&path, "{").unwrap();
        assert!(damaged(&out));
        fs::remove_file(&path).unwrap();
        assert!(damaged(&out));
        execute(&cfg, &data, &out).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), text, "redone");
        assert_eq!(state(&out, &name, &data.checksum), RunState::Finished);
        fs::remove_dir_all(&out).unwrap();
    }

    /// Training a finished run again (`train --force`) keeps the finished directory while it trains, and
    /// replaces it once the new one is complete (it had been removed before training, so an interruption
    /// lost it).
    #[test]
    fn a_replaced_run_is_kept_until_its_replacement_is_complete() {
        /// Reads the finished run's summary at every evaluation of the new one.
        struct Watch(PathBuf, Vec<u8>, usize);
        impl actscope_core::Probe<f32> for Watch {
            fn on_eval(&mut self, _point: &actscope_core::EvalPoint) {
                assert_eq!(fs::read(&self.0).ok().as_deref(), Some(&self.1[..]), "the finished run is there");
                self.2 += 1;
            }
        }
        let (cfg, data) = tiny();
        let out = temp("replace");
        let name = cfg.dir_name();
        execute(&cfg, &data, &out).unwrap();
        let summary = out.join(&name).join("summary.json");
        let mut watch = Watch(summary.clone(), fs::read(&summary).unwrap(), 0);
        let again = execute_replacing(&cfg, &data, &out, &mut watch).unwrap();
        assert!(watch.2 > 0, "watched while training");
        assert_eq!(entries(&out), vec![name.clone()], "replaced, nothing left aside");
        assert_eq!(read_summary(&out.join(&name)).unwrap().wall_seconds, again.wall_seconds, "the new run");
        fs::remove_dir_all(&out).unwrap();
    }

    /// A finished run set aside for replacement by a process that died before its replacement was in place
    /// is put back by the next attempt (it had been removed as a leftover, losing the only copy).
    #[test]
    fn a_run_set_aside_by_a_process_that_died_is_put_back() {
        let (cfg, data) = tiny();
        let out = temp("set-aside");
        let name = cfg.dir_name();
        execute(&cfg, &data, &out).unwrap();
        fs::write(out.join(&name).join("marker"), "the original").unwrap();
        let aside = out.join(aside_name(&name, &host(), u32::MAX));
        fs::rename(out.join(&name), &aside).unwrap();
        execute(&cfg, &data, &out).unwrap();
        assert_eq!(fs::read_to_string(out.join(&name).join("marker")).unwrap(), "the original");
        assert_eq!(entries(&out), vec![name.clone()], "nothing left aside");
        fs::remove_dir_all(&out).unwrap();
    }

    /// A writer whose rename finds a run put there meanwhile that is stale for it (trained on other data by
    /// a process that loaded the data before it changed) replaces it, as it replaces a stale run it found
    /// first (it had failed with "Directory not empty").
    #[test]
    fn a_stale_run_put_in_place_meanwhile_is_replaced() {
        let (cfg, data) = tiny();
        let out = temp("raced-stale");
        let name = cfg.dir_name();
        let mut other = data.clone();
        other.checksum = "0123456789abcdef0123".into();
        execute(&cfg, &other, &out).unwrap();
        let mine = out.join(staging_name(&name, &host(), std::process::id()));
        fs::create_dir_all(&mine).unwrap();
        for f in ["config.json", "records.jsonl", "summary.json"] {
            fs::copy(out.join(&name).join(f), mine.join(f)).unwrap();
        }
        fs::write(mine.join("marker"), "mine").unwrap();
        put_in_place(&mine, &out, &name, &data.checksum, false).unwrap();
        assert_eq!(fs::read_to_string(out.join(&name).join("marker")).unwrap(), "mine");
        assert_eq!(entries(&out), vec![name.clone()]);
        fs::remove_dir_all(&out).unwrap();
    }

    /// A path that cannot be looked at is neither a finished run nor missing, and never overwritten: an
    /// error naming it (`Path::is_file` had taken a permission error for "no summary.json", and a run was
    /// left out without a word). As root no permission error can be provoked; "not a directory" (a path
    /// below a regular file, or a `summary.json` linked through one) takes the same way.
    #[test]
    fn a_run_directory_that_cannot_be_looked_at_is_an_error_not_missing() {
        let (cfg, data) = tiny();
        let out = temp("uninspectable");
        let name = cfg.dir_name();
        execute(&cfg, &data, &out).unwrap();
        let file = out.join("plain-file");
        fs::write(&file, "x").unwrap();
        let below = file.join("run");
        let e = is_finished_run(&below).unwrap_err();
        assert_eq!(e.to_string(), format!("reading {}: Not a directory", below.display()));
        assert!(foreign(&file, "run").is_err(), "never overwritten");
        let e = not_a_foreign_directory(&file, "run").unwrap_err();
        assert!(e.to_string().contains("Not a directory"), "{e}");
        // A finished run whose summary.json cannot be looked at.
        let summary = out.join(&name).join("summary.json");
        fs::rename(&summary, out.join("summary.json.moved")).unwrap();
        std::os::unix::fs::symlink(file.join("summary.json"), &summary).unwrap();
        let e = is_finished_run(&out.join(&name)).unwrap_err();
        assert_eq!(e.to_string(), format!("reading {}: Not a directory", summary.display()));
        assert!(foreign(&out, &name).is_err());
        let e = not_a_foreign_directory(&out, &name).unwrap_err();
        assert!(e.to_string().contains(&summary.display().to_string()), "{e}");
        assert!(list_runs(&out).unwrap_err().to_string().contains(&summary.display().to_string()));
        // Set aside by a process that died: neither put back nor removed.
        let aside = out.join(aside_name(&name, &host(), u32::MAX));
        fs::rename(out.join(&name), &aside).unwrap();
        assert_eq!(recover(&out).unwrap(), 0);
        assert!(aside.exists() && !out.join(&name).exists());
        // A regular file and a missing path are simply not runs.
        assert!(!is_finished_run(&file).unwrap() && !is_finished_run(&out.join("missing")).unwrap());
        // An entry that cannot be looked at but is not named as a run (lost+found, another user's directory)
        // is skipped by the readers; one named as a run is an error.
        std::os::unix::fs::symlink(file.join("x"), out.join("lost+found")).unwrap();
        assert_eq!(list_runs(&out).unwrap(), Vec::<PathBuf>::new());
        std::os::unix::fs::symlink(file.join("x"), out.join(&name)).unwrap();
        assert!(list_runs(&out).unwrap_err().to_string().contains(&name), "named as a run");
        fs::remove_dir_all(&out).unwrap();
    }

    /// `recover`, which a sweep and `train` run before reading their runs' states, puts back a complete run
    /// set aside by a process that died (it had been trained again), and removes one half deleted rather
    /// than putting it in place (an incomplete one had been put back and then blocked the run for good).
    #[test]
    fn recover_puts_back_only_complete_runs_set_aside() {
        let (cfg, data) = tiny();
        let out = temp("recover");
        let name = cfg.dir_name();
        execute(&cfg, &data, &out).unwrap();
        let aside = out.join(aside_name(&name, &host(), u32::MAX));
        fs::rename(out.join(&name), &aside).unwrap();
        // Before it is put back, a dry run reads its state where it was set aside; a writer sees nothing in
        // place.
        let found = SetAside::find(&out);
        assert_eq!(found.get(&name), Some(aside.as_path()));
        assert_eq!(state_given(&out, &name, &data.checksum, &found), RunState::Finished);
        assert!(matches!(state_given(&out, &name, "other", &found), RunState::Stale(Stale::OtherData(_))));
        assert_eq!(state(&out, &name, &data.checksum), RunState::Missing);
        assert_eq!(recover(&out).unwrap(), 1);
        assert_eq!(SetAside::find(&out).get(&name), None);
        assert_eq!(state(&out, &name, &data.checksum), RunState::Finished, "reused, not trained again");
        // Half deleted (its summary.json gone): removed, not put back.
        fs::rename(out.join(&name), &aside).unwrap();
        fs::remove_file(aside.join("summary.json")).unwrap();
        assert_eq!(recover(&out).unwrap(), 0);
        assert_eq!(entries(&out), Vec::<String>::new());
        fs::remove_dir_all(&out).unwrap();
    }
}
