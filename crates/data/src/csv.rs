//! A user's own tabular data: CSV with a header row, numeric feature columns and an integer label column.
//!
//! Labels must be non-negative integers numbered densely from 0, below [`MAX_CLASSES`]: the class count
//! follows [`crate::classes`] (the largest label plus one, at most half of the classes without rows).
//! Cells may be quoted with `"`; the separator is `,`. Blank lines are skipped. A line may hold at
//! most [`MAX_LINE_BYTES`] bytes, so a stream without newlines (`/dev/zero`) is refused instead of filling
//! memory.
//!
//! Read by hand rather than with the `csv` crate (issue 16), measured on Fashion-MNIST's 60,000 × 785
//! training set as CSV (133 MB): both give identical arrays, in the same wall time within the shared VM's
//! noise (4.78 s against 4.70 s, medians of 5 interleaved rounds; 3.77 s against 4.90 s in another run with
//! the crate trimming cells), and `valgrind --tool=callgrind` on 6,000 rows counts 1.47 G instructions
//! here against 1.33 G for `csv::StringRecord` (−10%) and 1.58 G for `csv::ByteRecord` (+7%): parsing the
//! f32 cells dominates either way. The crate has no bound on a line or a field (a stream without newlines
//! grows one field until memory runs out, which [`MAX_LINE_BYTES`] exists to prevent), so it would need a
//! guarding reader here anyway, and its positions would not give the byte of a line that the UTF-8 error
//! names; for a gain inside the noise, this reader stays.

use std::borrow::Cow;
use std::io::{BufRead, Read};
use std::path::Path;

use ndarray::Array2;

use actscope_core::Dataset;

use crate::classes::count_classes;
use crate::{Error, Result};

/// The longest line accepted, in bytes (4 MiB: about 400,000 numeric cells). Memory per line is bounded
/// by it.
pub const MAX_LINE_BYTES: usize = 4 << 20;

pub use crate::classes::MAX_CLASSES;

/// Which column holds the label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelColumn {
    /// By header name.
    Name(String),
    /// By 0-based position.
    Index(usize),
}

/// The cells of one line, trimmed, unquoted (`""` inside quotes is a `"`). Borrows unless a cell holds
/// quotes, so splitting allocates nothing per cell.
struct Cells<'a> {
    rest: Option<&'a str>,
}

impl<'a> Cells<'a> {
    fn new(line: &'a str) -> Self {
        Cells { rest: Some(line) }
    }
}

impl<'a> Iterator for Cells<'a> {
    type Item = Cow<'a, str>;

    fn next(&mut self) -> Option<Cow<'a, str>> {
        let s = self.rest?;
        let mut quoted = false;
        let mut has_quote = false;
        let mut end = s.len();
        for (i, c) in s.char_indices() {
            match c {
                '"' => {
                    quoted = !quoted;
                    has_quote = true;
                }
                ',' if !quoted => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let cell = &s[..end];
        self.rest = s.get(end + 1..).filter(|_| end < s.len());
        if !has_quote {
            return Some(Cow::Borrowed(cell.trim()));
        }
        let mut out = String::with_capacity(cell.len());
        let mut chars = cell.chars().peekable();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    out.push('"');
                    chars.next();
                }
                '"' => quoted = !quoted,
                _ => out.push(c),
            }
        }
        Some(Cow::Owned(out.trim().to_string()))
    }
}

/// Reads lines of at most [`MAX_LINE_BYTES`] bytes into one reused buffer, counting them from 1.
struct Lines<R> {
    reader: R,
    buf: Vec<u8>,
    number: usize,
}

impl<R: BufRead> Lines<R> {
    /// The next line's number and text without its `\n` or `\r\n`, or `None` at the end.
    fn next_line(&mut self, source: &Path) -> Result<Option<(usize, &str)>> {
        self.buf.clear();
        let n = (&mut self.reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| Error::data(source, format!("line {}: {}", self.number + 1, crate::error::io_message(&e))))?;
        if n == 0 {
            return Ok(None);
        }
        self.number += 1;
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
        } else if self.buf.len() > MAX_LINE_BYTES {
            return Err(Error::data(
                source,
                format!(
                    "line {}: longer than {MAX_LINE_BYTES} bytes without a newline; expected a text CSV with lines of at most {MAX_LINE_BYTES} bytes",
                    self.number
                ),
            ));
        }
        std::str::from_utf8(&self.buf).map(|l| Some((self.number, l))).map_err(|e| {
            Error::data(
                source,
                format!("line {}: invalid UTF-8 at byte {}; expected UTF-8 text", self.number, e.valid_up_to() + 1),
            )
        })
    }
}

/// An error for line `i` when it leaves a quote open (an odd number of `"`: `""` inside quotes comes in
/// pairs). Its cells would otherwise run together into one and be refused as "not a finite number".
fn unterminated_quote(source: &Path, i: usize, line: &str) -> Result<()> {
    if line.bytes().filter(|&b| b == b'"').count() % 2 == 1 {
        // The quote left open, read as the cells are: a `"` opens, `""` inside is an escaped quote, a lone
        // `"` closes.
        let (mut open, mut bytes) = (None, line.bytes().enumerate().peekable());
        while let Some((k, b)) = bytes.next() {
            match (b, open) {
                (b'"', None) => open = Some(k),
                (b'"', Some(_)) if bytes.peek().is_some_and(|&(_, n)| n == b'"') => drop(bytes.next()),
                (b'"', Some(_)) => open = None,
                _ => {}
            }
        }
        let at = open.unwrap_or(0);
        return Err(Error::data(
            source,
            format!(
                "line {i}: a quote opened at byte {} is never closed; expected a closing `\"` before the line ends",
                at + 1
            ),
        ));
    }
    Ok(())
}

/// For a header of one column holding semicolons or tabs, what the separator is (such a file read as one
/// column, and its errors said nothing of why); empty otherwise.
fn separator_hint(header: &[String]) -> String {
    let other =
        [(';', "semicolon"), ('\t', "tab")].into_iter().find(|(c, _)| header.len() == 1 && header[0].contains(*c));
    other.map_or_else(String::new, |(_, name)| {
        format!("; the header is one column holding {name}s: the separator is `,` ({name}-separated files are not read; convert the file)")
    })
}

/// The header's names for an error message: all of them, or the first 20 and how many more.
fn list_columns(header: &[String]) -> String {
    const SHOWN: usize = 20;
    if header.len() <= SHOWN {
        return header.join(", ");
    }
    format!("{}, … ({} more)", header[..SHOWN].join(", "), header.len() - SHOWN)
}

/// Parses CSV from `reader`; `source` names it in errors (which give line and column).
///
/// # Errors
/// Empty input, unknown label column, a line longer than [`MAX_LINE_BYTES`] or not UTF-8, a row with the
/// wrong number of cells, a cell that is not a finite number, a label that is not a non-negative integer
/// below [`MAX_CLASSES`], sparse labels (more than half the classes `0..=max` without rows), no data rows.
pub fn parse_csv(source: &Path, reader: impl BufRead, label: &LabelColumn) -> Result<Dataset> {
    let err = |m: String| Error::data(source, m);
    let mut lines = Lines { reader, buf: Vec::new(), number: 0 };
    let header: Vec<String> = loop {
        match lines.next_line(source)? {
            None => return Err(err("empty file; expected a header row".into())),
            Some((_, l)) if l.trim().is_empty() => {}
            Some((i, l)) => {
                unterminated_quote(source, i, l)?;
                break Cells::new(l.trim_start_matches('\u{feff}')).map(Cow::into_owned).collect();
            }
        }
    };
    let label_idx = match label {
        LabelColumn::Name(n) => {
            let named: Vec<usize> = header.iter().enumerate().filter(|(_, h)| *h == n).map(|(j, _)| j + 1).collect();
            match named[..] {
                [] => {
                    return Err(err(format!(
                        "no column named {n:?}; the header has: {}{}",
                        list_columns(&header),
                        separator_hint(&header)
                    )));
                }
                [j] => j - 1,
                _ => {
                    let at: Vec<String> = named.iter().map(usize::to_string).collect();
                    let by_index: Vec<String> =
                        named.iter().map(|j| format!("{}#{}", source.display(), j - 1)).collect();
                    return Err(err(format!(
                        "columns {} (counted from 1) are all named {n:?}; expected one label column (rename the others, or choose one by its index, counted from 0: {})",
                        at.join(", "),
                        by_index.join(" or ")
                    )));
                }
            }
        }
        LabelColumn::Index(i) if *i < header.len() => *i,
        LabelColumn::Index(i) => {
            return Err(err(format!(
                "label column index {i} is past the last column ({} columns){}",
                header.len(),
                separator_hint(&header)
            )));
        }
    };
    let width = header.len();
    if width < 2 {
        return Err(err(format!(
            "{width} column(s); expected at least one feature column and the label column{}",
            separator_hint(&header)
        )));
    }
    let label_name = &header[label_idx];
    let (mut values, mut labels) = (Vec::new(), Vec::new());
    // The largest label and the line it is on, to name it if the labels turn out sparse.
    let mut max_label: Option<(usize, usize)> = None;
    while let Some((i, line)) = lines.next_line(source)? {
        if line.trim().is_empty() {
            continue;
        }
        unterminated_quote(source, i, line)?;
        let mut cells = Cells::new(line);
        let mut count = 0;
        for (j, cell) in (&mut cells).enumerate() {
            count = j + 1;
            if j >= width {
                let count = j + 1 + cells.count();
                return Err(err(format!("line {i}: {count} cells; the header has {width} columns")));
            }
            if j == label_idx {
                let l: usize = cell.parse().map_err(|_| {
                    err(format!(
                        "line {i}, column {} ({label_name}): label {cell:?} is not a non-negative integer",
                        j + 1
                    ))
                })?;
                if l >= MAX_CLASSES {
                    return Err(err(format!(
                        "line {i}, column {} ({label_name}): label {l} is too large; expected labels 0..{MAX_CLASSES} (at most {MAX_CLASSES} classes, numbered from 0)",
                        j + 1
                    )));
                }
                if max_label.is_none_or(|(m, _)| l > m) {
                    max_label = Some((l, i));
                }
                labels.push(l);
            } else {
                let v: f32 = cell.parse().ok().filter(|v: &f32| v.is_finite()).ok_or_else(|| {
                    // A finite value beyond f32's range (1e39) reads as ±∞: say so, not "not finite".
                    let why = match cell.parse::<f64>() {
                        Ok(x) if x.is_finite() => format!(
                            "{cell:?} is outside the range of 32-bit floats (±{:e}), which features are held in",
                            f32::MAX
                        ),
                        _ => format!("{cell:?} is not a finite number"),
                    };
                    err(format!("line {i}, column {} ({}): {why}", j + 1, header[j]))
                })?;
                values.push(v);
            }
        }
        if count != width {
            return Err(err(format!("line {i}: {count} cells; the header has {width} columns")));
        }
    }
    let Some((max, max_line)) = max_label else {
        return Err(err("no data rows after the header".into()));
    };
    let classes = count_classes(&[&labels]).map_err(|sparse| {
        debug_assert_eq!(sparse.max, max);
        err(format!("line {max_line}, column {} ({label_name}): {}", label_idx + 1, sparse.describe()))
    })?;
    let n = labels.len();
    let features = Array2::from_shape_vec((n, width - 1), values).map_err(|e| err(e.to_string()))?;
    let name = source.file_stem().map_or_else(|| "csv".to_string(), |s| s.to_string_lossy().into_owned());
    Ok(Dataset::new(name, source.display().to_string(), features, labels, classes)?)
}

/// Opens and parses the CSV file at `path`.
///
/// # Errors
/// As [`parse_csv`], plus IO errors naming the path, and a path that is not a regular file.
pub fn read_csv(path: &Path, label: &LabelColumn) -> Result<Dataset> {
    Ok(read_csv_hashed(path, label)?.0)
}

/// [`read_csv`], and the SHA-256 (lower-case hex) of the bytes parsed, computed as they are read: the file
/// is read once and never held whole, so memory stays bounded by one line ([`MAX_LINE_BYTES`]) and the data
/// (a file replaced while it is read has the checksum of what was parsed).
///
/// # Errors
/// As [`read_csv`].
pub fn read_csv_hashed(path: &Path, label: &LabelColumn) -> Result<(Dataset, String)> {
    let file = crate::files::open_regular(path, "a CSV file")?;
    let mut reader = std::io::BufReader::new(Hashing { inner: file, hash: <sha2::Sha256 as sha2::Digest>::new() });
    let data = parse_csv(path, &mut reader, label)?;
    // parse_csv reads to the end; anything it left (nothing) is hashed all the same.
    std::io::copy(&mut reader, &mut std::io::sink()).map_err(|e| Error::io(path, e))?;
    let hash = <sha2::Sha256 as sha2::Digest>::finalize(reader.into_inner().hash);
    Ok((data, crate::mnist::hex(&hash)))
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hash: sha2::Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        sha2::Digest::update(&mut self.hash, &buf[..n]);
        Ok(n)
    }
}
