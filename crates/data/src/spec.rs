//! Choosing and loading the data a run uses, from a data spec string; the only place paths are chosen.
//!
//! | spec | meaning |
//! |---|---|
//! | `default` | the full Fashion-MNIST at [`SYSTEM_FASHION_MNIST`] when installed, the embedded subset when none of its files is there (a partial installation is an error: [`system_set_installed`]) |
//! | `embedded` | the Fashion-MNIST subset shipped in the binary (10,000 train, 8,000 test) |
//! | `synthetic:clusters`, `:teacher`, `:spirals`, `:gaussian` | seeded synthetic sets |
//! | a directory | any IDX set with the MNIST file names (MNIST, Fashion-MNIST, KMNIST, …) |
//! | `file.csv` or `file.csv#label` | CSV with a header; label column by name or 0-based index (default `label`) |
//!
//! The validation set is carved from the training set with a fixed seed (0), whatever the run's seed,
//! so every run of a sweep is scored on the same examples.

use std::path::Path;

use actscope_core::Dataset;
use serde::Serialize;

use crate::csv::{LabelColumn, read_csv_hashed};
use crate::embedded::embedded;
use crate::mnist::Classes;
use crate::mnist::{candidates, find_idx_files, hex};
use crate::{Error, Result, Splits, Standardizer, load_idx_dir, split_train_val, split_train_val_owned, synthetic};

/// Where Debian's `dataset-fashion-mnist` installs the official files.
pub const SYSTEM_FASHION_MNIST: &str = "/usr/share/datasets/fashion-mnist";

/// The fraction of a CSV's rows (per class) held out as its test set.
pub const CSV_TEST_FRACTION: f64 = 0.2;

/// The seed of the train/validation split (fixed: the split never depends on a run's seed).
pub const SPLIT_SEED: u64 = 0;

/// Loaded data: train, validation and test sets and a description of where they came from.
#[derive(Clone, Debug)]
pub struct LoadedData {
    /// The spec as given.
    pub spec: String,
    /// Human-readable provenance, e.g. "full Fashion-MNIST from /usr/share/…" or "embedded subset".
    pub description: String,
    /// SHA-256 of the source files (or of the generator's parameters for synthetic sets).
    pub checksum: String,
    /// The training set (after removing validation).
    pub train: Dataset,
    /// The validation set.
    pub val: Dataset,
    /// The test set.
    pub test: Dataset,
}

/// Facts about loaded data, for `data info` and run manifests.
#[derive(Clone, Debug, Serialize)]
pub struct DataInfo {
    /// Dataset name.
    pub name: String,
    /// Where it came from.
    pub source: String,
    /// Checksum of the source.
    pub checksum: String,
    /// Examples per split.
    pub counts: std::collections::BTreeMap<String, usize>,
    /// Shape of one example.
    pub input_shape: Vec<usize>,
    /// Number of classes.
    pub classes: usize,
    /// Training examples per class.
    pub class_histogram: Vec<usize>,
    /// Mean of all training feature values.
    pub feature_mean: f64,
    /// Standard deviation of all training feature values.
    pub feature_std: f64,
}

impl LoadedData {
    /// Summary facts.
    pub fn info(&self) -> DataInfo {
        let x = &self.train.features;
        let n = x.len().max(1) as f64;
        let mean = x.iter().map(|&v| v as f64).sum::<f64>() / n;
        let std = (x.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
        let base = self.train.name.rsplit_once('/').map_or(self.train.name.as_str(), |(b, _)| b);
        DataInfo {
            name: base.to_string(),
            source: self.description.clone(),
            checksum: self.checksum.clone(),
            counts: [("train", self.train.len()), ("val", self.val.len()), ("test", self.test.len())]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            input_shape: self.train.shape.clone(),
            classes: self.train.classes,
            class_histogram: self.train.class_counts(),
            feature_mean: mean,
            feature_std: std,
        }
    }
}

/// A setting refused for what it does to this data (a `val_fraction` that empties the validation set of a
/// small set) names the data too: the message alone read as if the setting were wrong for any data.
fn of_data(spec: &str) -> impl Fn(Error) -> Error + '_ {
    move |e| match e {
        Error::Config { field, message } => Error::Config { field, message: format!("{message} (data {spec:?})") },
        other => other,
    }
}

fn from_splits(spec: &str, description: String, s: Splits, val_fraction: f64) -> Result<LoadedData> {
    let (train, val) = split_train_val_owned(s.train, val_fraction, SPLIT_SEED).map_err(of_data(spec))?;
    Ok(LoadedData { spec: spec.into(), description, checksum: s.checksum, train, val, test: s.test })
}

fn synthetic_set(spec: &str, kind: &str, val_fraction: f64) -> Result<LoadedData> {
    let (all, test) = match kind {
        "clusters" => (synthetic::clusters(12_000, 64, 10, 0.5, 1, 1), synthetic::clusters(2_000, 64, 10, 0.5, 1, 2)),
        "teacher" => (synthetic::teacher(12_000, 64, 10, 1, 1), synthetic::teacher(2_000, 64, 10, 1, 2)),
        "spirals" => (synthetic::two_spirals(4_000, 0.05, 1), synthetic::two_spirals(1_000, 0.05, 2)),
        "gaussian" => (synthetic::gaussian(4_000, 64, 1), synthetic::gaussian(1_000, 64, 2)),
        other => return Err(unknown_synthetic(other)),
    };
    let checksum =
        hex(&<sha2::Sha256 as sha2::Digest>::digest(format!("{} | {}", all.provenance, test.provenance).as_bytes()));
    let (train, val) = split_train_val(&all, val_fraction, SPLIT_SEED).map_err(of_data(spec))?;
    let description = format!("synthetic {kind}: {}", all.provenance);
    Ok(LoadedData { spec: spec.into(), description, checksum, train, val, test })
}

/// The synthetic sets `synthetic:NAME` names.
const SYNTHETIC: [&str; 4] = ["clusters", "teacher", "spirals", "gaussian"];

fn unknown_synthetic(name: &str) -> Error {
    Error::config("data", format!("unknown synthetic set {name:?}; expected one of: {}", SYNTHETIC.join(", ")))
}

/// One spelling of `spec` for each data it names: a path is cleaned lexically (`.` components, repeated and
/// trailing separators dropped: `idx/x`, `idx/x/` and `./idx/x` are one directory), keeping a leading `./`
/// where the cleaned path would read as a named spec (`./embedded` is a directory, `embedded` the built-in
/// set). `..` is kept (through a link it is not the parent), and so are names, absolute or relative: only
/// the spelling is normalised, not where it points. Named specs are returned as they are.
///
/// ```
/// use actscope_data::spec::canonical;
///
/// assert_eq!(canonical("./idx//fashion/"), "idx/fashion");
/// assert_eq!(canonical("runs/../x.csv#y"), "runs/../x.csv#y");
/// assert_eq!(canonical("./embedded/"), "./embedded");
/// assert_eq!(canonical("embedded"), "embedded");
/// assert_eq!(canonical("/data//idx/"), "/data/idx");
/// assert_eq!(canonical("./"), ".");
/// ```
pub fn canonical(spec: &str) -> String {
    if is_named(spec) {
        return spec.to_string();
    }
    use std::path::Component;
    let (path, label) = path_of(spec);
    // Joined with `/` on every platform, so that one spelling makes one run id everywhere.
    let (mut root, mut parts) = (String::new(), Vec::new());
    for c in Path::new(path).components() {
        match c {
            Component::Prefix(p) => root.push_str(&p.as_os_str().to_string_lossy()),
            Component::RootDir => root.push('/'),
            Component::CurDir => {}
            Component::ParentDir => parts.push("..".to_string()),
            Component::Normal(n) => parts.push(n.to_string_lossy().into_owned()),
        }
    }
    let mut out = format!("{root}{}", parts.join("/"));
    if out.is_empty() {
        out = ".".into();
    } else if is_named(&out) {
        out = format!("./{out}");
    }
    match label {
        Some(l) => format!("{out}#{l}"),
        None => out,
    }
}

/// A note for a named spec that a path in the working directory would also answer to (`embedded` beside a
/// directory `./embedded`): the named data is loaded, and the note says how to name the directory instead.
/// `None` where nothing is shadowed (the CLI's tests check both cases).
///
/// ```no_run
/// if let Some(note) = actscope_data::spec::shadowed("embedded") {
///     eprintln!("{note}");
/// }
/// ```
pub fn shadowed(spec: &str) -> Option<String> {
    shadowed_note(spec, &format!("--data ./{spec}"))
}

/// [`shadowed`] for a spec written in a sweep file: the note says to write `data = "./embedded"` there.
///
/// ```no_run
/// if let Some(note) = actscope_data::spec::shadowed_in_file("embedded") {
///     eprintln!("{note}");
/// }
/// ```
pub fn shadowed_in_file(spec: &str) -> Option<String> {
    shadowed_note(spec, &format!("data = \"./{spec}\""))
}

fn shadowed_note(spec: &str, instead: &str) -> Option<String> {
    let here = Path::new(spec);
    (NAMED.contains(&spec) && here.exists()).then(|| {
        format!(
            "note: data {spec:?} is the built-in {}; the {} ./{spec} here is not read (write {instead} to use it)",
            if spec == "embedded" {
                "Fashion-MNIST subset"
            } else {
                "default (full Fashion-MNIST if installed, else the embedded subset)"
            },
            if here.is_dir() { "directory" } else { "file" }
        )
    })
}

/// The specs that name data rather than a path, besides `synthetic:NAME`.
const NAMED: [&str; 2] = ["default", "embedded"];

/// Whether `spec` is one of the named specs rather than a path.
fn is_named(spec: &str) -> bool {
    NAMED.contains(&spec) || spec.starts_with("synthetic:")
}

/// A spec that is a path: the path and, for a CSV file, the label column written after `#`.
fn path_of(spec: &str) -> (&str, Option<&str>) {
    match spec.rsplit_once('#') {
        Some((p, l)) if p.ends_with(".csv") => (p, Some(l)),
        _ => (spec, None),
    }
}

/// Checks that `p`, from `spec`, is a directory, with [`load`]'s errors: not found, unreadable, or
/// neither a directory nor a .csv file.
fn check_dir(spec: &str, p: &Path) -> Result<()> {
    match std::fs::metadata(p) {
        Ok(m) if m.is_dir() => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::config(
            "data",
            format!("{spec:?} not found; expected default, embedded, synthetic:NAME, an IDX directory or a .csv file"),
        )),
        // Permission denied and the like: say so rather than "not found".
        Err(e) => Err(Error::io(p, e)),
        Ok(_) => Err(Error::config(
            "data",
            format!(
                "{spec:?} is neither a known name (default, embedded, synthetic:NAME), a directory, nor a .csv file"
            ),
        )),
    }
}

/// Whether the full Fashion-MNIST is installed at [`SYSTEM_FASHION_MNIST`] (all four files), so `default`
/// loads it rather than the embedded subset.
///
/// # Errors
/// A partial installation: some of the four files there but not all (or one of them under two names). That
/// is not "not installed": falling back to the subset would train on other data without a word.
pub fn system_set_installed() -> Result<bool> {
    installed_at(Path::new(SYSTEM_FASHION_MNIST))
}

/// [`system_set_installed`] for the directory `sys`.
fn installed_at(sys: &Path) -> Result<bool> {
    match find_idx_files(sys) {
        Ok(_) => Ok(true),
        Err(e) => {
            let any = crate::mnist::ROLES.iter().any(|role| candidates(role).iter().any(|n| sys.join(n).exists()));
            if !any {
                return Ok(false);
            }
            Err(Error::data(
                sys,
                format!(
                    "the full Fashion-MNIST here cannot be read as one set ({e}); `default` loads it when each of \
                     its four files is here once and the embedded subset when none is: reinstall it, or name \
                     `embedded`"
                ),
            ))
        }
    }
}

/// Whether `spec` names data that [`load`] can find, without reading it: a known name, a known synthetic
/// set, an existing directory or an existing `.csv` file. What the files hold is checked when they are
/// loaded. For checking a sweep's data before any run starts.
///
/// # Errors
/// What [`load`] would give for the same spec where it cannot find the data: an unknown synthetic set, a
/// path not found or unreadable, or a path that is neither a directory nor a `.csv` file.
pub fn check(spec: &str) -> Result<()> {
    match spec {
        "default" => system_set_installed().map(drop),
        "embedded" => Ok(()),
        s if s.starts_with("synthetic:") => {
            let name = &s["synthetic:".len()..];
            if SYNTHETIC.contains(&name) { Ok(()) } else { Err(unknown_synthetic(name)) }
        }
        s => {
            let (path, _) = path_of(s);
            let p = Path::new(path);
            if path.ends_with(".csv") {
                // What `load` refuses before reading (a directory, a device, a link to nothing), refused here,
                // by looking it up only.
                match crate::files::is_regular_file(p, "a CSV file")? {
                    true => Ok(()),
                    false => Err(Error::io(p, std::io::Error::from(std::io::ErrorKind::NotFound))),
                }
            } else {
                check_dir(spec, p)
            }
        }
    }
}

/// Loads the data named by `spec` (see the module docs).
///
/// # Errors
/// Unknown specs and a `val_fraction` outside (0, 1) (refused before any file is read) are [`Error::Config`]
/// (see [`Error::is_usage`]); unreadable or malformed files are errors naming the file.
pub fn load(spec: &str, val_fraction: f64, standardize: bool) -> Result<LoadedData> {
    // Out of range for any data: refused before a file is read (the full set takes a third of a second).
    crate::transform::check_val_fraction(val_fraction)?;
    let mut data = match spec {
        "default" => {
            let sys = Path::new(SYSTEM_FASHION_MNIST);
            if system_set_installed()? {
                let s = load_idx_dir(sys, Classes::FromLabels)?;
                from_splits(spec, format!("full Fashion-MNIST from {SYSTEM_FASHION_MNIST}"), s, val_fraction)?
            } else {
                from_splits(
                    spec,
                    "embedded Fashion-MNIST subset (full set not found)".into(),
                    embedded()?,
                    val_fraction,
                )?
            }
        }
        "embedded" => from_splits(spec, "embedded Fashion-MNIST subset".into(), embedded()?, val_fraction)?,
        s if s.starts_with("synthetic:") => synthetic_set(spec, &s["synthetic:".len()..], val_fraction)?,
        s => {
            let (path, label) = path_of(s);
            let p = Path::new(path);
            if path.ends_with(".csv") {
                let col = match label {
                    Some(l) => l.parse().map_or_else(|_| LabelColumn::Name(l.into()), LabelColumn::Index),
                    None => LabelColumn::Name("label".into()),
                };
                // One read: the checksum is of the bytes parsed (read twice, a file replaced in between had
                // its new checksum recorded beside results of its old contents), hashed as they stream by
                // (read whole first, `/dev/zero` had filled memory before any check).
                let (all, checksum) = read_csv_hashed(p, &col)?;
                let (rest, test) = split_train_val(&all, CSV_TEST_FRACTION, SPLIT_SEED + 1).map_err(|_| {
                    Error::data(
                        p,
                        format!(
                            "{} rows are too few to hold out {CSV_TEST_FRACTION} of them (per class) as a test set; expected more rows",
                            all.len()
                        ),
                    )
                })?;
                let (train, val) = split_train_val(&rest, val_fraction, SPLIT_SEED).map_err(of_data(spec))?;
                let description = format!("CSV {} (20% held out as test)", p.display());
                LoadedData { spec: spec.into(), description, checksum, train, val, test }
            } else {
                check_dir(spec, p)?;
                let s = load_idx_dir(p, Classes::FromLabels)?;
                from_splits(spec, format!("IDX set from {}", p.display()), s, val_fraction)?
            }
        }
    };
    if standardize {
        let s = Standardizer::fit(&data.train)?;
        for d in [&mut data.train, &mut data.val, &mut data.test] {
            s.apply(d)?;
        }
        data.description.push_str(", standardised with training statistics");
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `default` falls back to the embedded subset only where the full set is not installed at all: with some
    /// of its files there, it is an error naming what is missing (it had fallen back without a word).
    #[test]
    fn a_partly_installed_full_set_is_an_error_not_a_fallback() {
        let dir = std::env::temp_dir().join(format!("actscope-partial-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(!installed_at(&dir).unwrap(), "no directory: not installed");
        std::fs::create_dir_all(&dir).unwrap();
        assert!(!installed_at(&dir).unwrap(), "an empty directory: not installed");
        for role in &crate::mnist::ROLES[..3] {
            std::fs::write(dir.join(format!("{role}.gz")), b"").unwrap();
        }
        let e = installed_at(&dir).unwrap_err().to_string();
        assert!(e.contains("the full Fashion-MNIST here cannot be read as one set"), "{e}");
        assert!(e.contains("no t10k-labels-idx1-ubyte file"), "{e}");
        std::fs::write(dir.join("t10k-labels-idx1-ubyte.gz"), b"").unwrap();
        assert!(installed_at(&dir).unwrap(), "all four: installed (what they hold is checked when loaded)");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
