//! A user's own tabular data: CSV with a header row, numeric feature columns and an integer label column.
//!
//! Labels must be non-negative integers; the class count is the largest label plus one. Cells may be
//! quoted with `"`; the separator is `,`. Blank lines are skipped.

use std::io::BufRead;
use std::path::Path;

use ndarray::Array2;

use crate::{Dataset, Error, Result};

/// Which column holds the label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelColumn {
    /// By header name.
    Name(String),
    /// By 0-based position.
    Index(usize),
}

fn split_line(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter().map(|s| s.trim().to_string()).collect()
}

/// Parses CSV from `reader`; `source` names it in errors (which give line and column).
///
/// # Errors
/// Empty input, unknown label column, a row with the wrong number of cells, a cell that is not a finite
/// number, a label that is not a non-negative integer, no data rows.
pub fn parse_csv(source: &Path, reader: impl BufRead, label: &LabelColumn) -> Result<Dataset> {
    let err = |m: String| Error::data(source, m);
    let mut lines = reader.lines().enumerate();
    let header = loop {
        match lines.next() {
            None => return Err(err("empty file; expected a header row".into())),
            Some((i, l)) => {
                let l = l.map_err(|e| err(format!("line {}: {e}", i + 1)))?;
                if !l.trim().is_empty() {
                    break split_line(l.trim_start_matches('\u{feff}'));
                }
            }
        }
    };
    let label_idx = match label {
        LabelColumn::Name(n) => header
            .iter()
            .position(|h| h == n)
            .ok_or_else(|| err(format!("no column named {n:?}; the header has: {}", header.join(", "))))?,
        LabelColumn::Index(i) if *i < header.len() => *i,
        LabelColumn::Index(i) => {
            return Err(err(format!("label column index {i} is past the last column ({} columns)", header.len())));
        }
    };
    let width = header.len();
    if width < 2 {
        return Err(err(format!("{width} column(s); expected at least one feature column and the label column")));
    }
    let (mut values, mut labels) = (Vec::new(), Vec::new());
    for (i, line) in lines {
        let line = line.map_err(|e| err(format!("line {}: {e}", i + 1)))?;
        if line.trim().is_empty() {
            continue;
        }
        let cells = split_line(&line);
        if cells.len() != width {
            return Err(err(format!("line {}: {} cells; the header has {width} columns", i + 1, cells.len())));
        }
        for (j, cell) in cells.iter().enumerate() {
            if j == label_idx {
                let l: usize = cell.parse().map_err(|_| {
                    err(format!(
                        "line {}, column {} ({}): label {cell:?} is not a non-negative integer",
                        i + 1,
                        j + 1,
                        header[j]
                    ))
                })?;
                labels.push(l);
            } else {
                let v: f32 = cell.parse().ok().filter(|v: &f32| v.is_finite()).ok_or_else(|| {
                    err(format!("line {}, column {} ({}): {cell:?} is not a finite number", i + 1, j + 1, header[j]))
                })?;
                values.push(v);
            }
        }
    }
    if labels.is_empty() {
        return Err(err("no data rows after the header".into()));
    }
    let n = labels.len();
    let classes = labels.iter().max().map_or(0, |m| m + 1);
    let features = Array2::from_shape_vec((n, width - 1), values).map_err(|e| err(e.to_string()))?;
    let name = source.file_stem().map_or_else(|| "csv".to_string(), |s| s.to_string_lossy().into_owned());
    Dataset::new(name, source.display().to_string(), features, labels, classes)
}

/// Opens and parses the CSV file at `path`.
///
/// # Errors
/// As [`parse_csv`], plus IO errors naming the path.
pub fn read_csv(path: &Path, label: &LabelColumn) -> Result<Dataset> {
    let file = std::fs::File::open(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    parse_csv(path, std::io::BufReader::new(file), label)
}
