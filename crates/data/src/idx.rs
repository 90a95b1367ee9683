//! The IDX format of MNIST, Fashion-MNIST, KMNIST and friends (raw or gzip-compressed).
//!
//! ```text
//! offset 0   0x00 0x00           magic
//! offset 2   dtype               0x08 u8 · 0x09 i8 · 0x0B i16 · 0x0C i32 · 0x0D f32 · 0x0E f64
//! offset 3   ndim                number of dimensions (≥ 1)
//! offset 4   ndim × u32 BE       the size of each dimension
//! then       Π dims × size(dtype) bytes of big-endian values, nothing after them
//! ```
//!
//! Parsing is pure (bytes in, array out); errors name the source and say what was expected.

use std::io::Read;
use std::path::Path;

use crate::{Error, Result};

/// Decompressed IDX payloads larger than this are refused (the largest real set, EMNIST, is ~700 MB).
pub const MAX_DECOMPRESSED: u64 = 4 << 30;

/// The element values of an IDX file, in its own type.
#[derive(Clone, Debug, PartialEq)]
pub enum IdxData {
    /// Unsigned bytes (images and labels of the MNIST family).
    U8(Vec<u8>),
    /// Signed bytes.
    I8(Vec<i8>),
    /// 16-bit signed integers.
    I16(Vec<i16>),
    /// 32-bit signed integers.
    I32(Vec<i32>),
    /// 32-bit floats.
    F32(Vec<f32>),
    /// 64-bit floats.
    F64(Vec<f64>),
}

impl IdxData {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            IdxData::U8(v) => v.len(),
            IdxData::I8(v) => v.len(),
            IdxData::I16(v) => v.len(),
            IdxData::I32(v) => v.len(),
            IdxData::F32(v) => v.len(),
            IdxData::F64(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The type's name as written in errors (`u8`, `f32`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            IdxData::U8(_) => "u8",
            IdxData::I8(_) => "i8",
            IdxData::I16(_) => "i16",
            IdxData::I32(_) => "i32",
            IdxData::F32(_) => "f32",
            IdxData::F64(_) => "f64",
        }
    }

    /// Every value as `f64` (exact for every IDX type).
    pub fn to_f64(&self) -> Vec<f64> {
        match self {
            IdxData::U8(v) => v.iter().map(|&x| x as f64).collect(),
            IdxData::I8(v) => v.iter().map(|&x| x as f64).collect(),
            IdxData::I16(v) => v.iter().map(|&x| x as f64).collect(),
            IdxData::I32(v) => v.iter().map(|&x| x as f64).collect(),
            IdxData::F32(v) => v.iter().map(|&x| x as f64).collect(),
            IdxData::F64(v) => v.clone(),
        }
    }
}

/// A parsed IDX file: its dimensions and values (row-major).
#[derive(Clone, Debug, PartialEq)]
pub struct IdxArray {
    /// The size of each dimension, outermost first.
    pub dims: Vec<usize>,
    /// The values.
    pub data: IdxData,
}

/// Whether `bytes` start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
}

/// Decompresses gzip `bytes` (concatenated members allowed), refusing more than [`MAX_DECOMPRESSED`].
pub fn gunzip(source: &Path, bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(MAX_DECOMPRESSED + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::data(source, format!("corrupt gzip stream: {e}")))?;
    if out.len() as u64 > MAX_DECOMPRESSED {
        return Err(Error::data(source, format!("decompresses to more than {MAX_DECOMPRESSED} bytes; refusing")));
    }
    Ok(out)
}

/// Parses IDX bytes, decompressing them first if they are gzip. `source` names them in errors.
pub fn parse_idx(source: &Path, bytes: &[u8]) -> Result<IdxArray> {
    if is_gzip(bytes) {
        let raw = gunzip(source, bytes)?;
        return parse_raw(source, &raw);
    }
    parse_raw(source, bytes)
}

/// Reads and parses the IDX file at `path` (raw or gzip).
pub fn read_idx(path: &Path) -> Result<IdxArray> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    parse_idx(path, &bytes)
}

fn parse_raw(source: &Path, b: &[u8]) -> Result<IdxArray> {
    let err = |m: String| Error::data(source, m);
    if b.is_empty() {
        return Err(err("empty file; expected an IDX header (magic 0x0000, dtype, ndim)".into()));
    }
    if b.len() < 4 {
        return Err(err(format!("only {} bytes; an IDX header needs at least 4", b.len())));
    }
    if b[0] != 0 || b[1] != 0 {
        return Err(err(format!("bad magic {:#04x}{:02x}; an IDX file starts with 0x0000", b[0], b[1])));
    }
    let (dtype, ndim) = (b[2], b[3] as usize);
    let size = match dtype {
        0x08 | 0x09 => 1,
        0x0B => 2,
        0x0C | 0x0D => 4,
        0x0E => 8,
        other => {
            return Err(err(format!(
                "unsupported dtype {other:#04x}; expected 0x08 (u8), 0x09 (i8), 0x0b (i16), 0x0c (i32), 0x0d (f32) or 0x0e (f64)"
            )));
        }
    };
    if ndim == 0 {
        return Err(err("header declares 0 dimensions; expected at least 1".into()));
    }
    let header = 4 + 4 * ndim;
    if b.len() < header {
        return Err(err(format!("truncated header: {ndim} dimensions need {header} bytes, file has {}", b.len())));
    }
    let dims: Vec<usize> =
        (0..ndim).map(|i| u32::from_be_bytes(b[4 + 4 * i..8 + 4 * i].try_into().expect("4 bytes")) as usize).collect();
    let count = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|c| c.checked_mul(size).is_some())
        .ok_or_else(|| err(format!("dimensions {dims:?} overflow the address space")))?;
    let payload = &b[header..];
    let want = count * size;
    if payload.len() < want {
        return Err(err(format!(
            "truncated payload: dimensions {dims:?} need {want} bytes of data, the file has {}",
            payload.len()
        )));
    }
    if payload.len() > want {
        return Err(err(format!(
            "{} unexpected bytes after the payload: dimensions {dims:?} need exactly {want} bytes",
            payload.len() - want
        )));
    }
    macro_rules! be {
        ($t:ty, $n:expr) => {
            payload.chunks_exact($n).map(|c| <$t>::from_be_bytes(c.try_into().expect("chunk size"))).collect()
        };
    }
    let data = match dtype {
        0x08 => IdxData::U8(payload.to_vec()),
        0x09 => IdxData::I8(payload.iter().map(|&x| x as i8).collect()),
        0x0B => IdxData::I16(be!(i16, 2)),
        0x0C => IdxData::I32(be!(i32, 4)),
        0x0D => IdxData::F32(be!(f32, 4)),
        _ => IdxData::F64(be!(f64, 8)),
    };
    Ok(IdxArray { dims, data })
}

/// Encodes an array as raw IDX bytes (the inverse of [`parse_idx`] for uncompressed input).
pub fn encode_idx(array: &IdxArray) -> Vec<u8> {
    let (dtype, body): (u8, Vec<u8>) = match &array.data {
        IdxData::U8(v) => (0x08, v.clone()),
        IdxData::I8(v) => (0x09, v.iter().map(|&x| x as u8).collect()),
        IdxData::I16(v) => (0x0B, v.iter().flat_map(|x| x.to_be_bytes()).collect()),
        IdxData::I32(v) => (0x0C, v.iter().flat_map(|x| x.to_be_bytes()).collect()),
        IdxData::F32(v) => (0x0D, v.iter().flat_map(|x| x.to_be_bytes()).collect()),
        IdxData::F64(v) => (0x0E, v.iter().flat_map(|x| x.to_be_bytes()).collect()),
    };
    let mut out = vec![0, 0, dtype, array.dims.len() as u8];
    for &d in &array.dims {
        out.extend((d as u32).to_be_bytes());
    }
    out.extend(body);
    out
}

/// Gzip-compresses `bytes` reproducibly (level 9, no file name, modification time 0).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).expect("writing to memory");
    enc.finish().expect("writing to memory")
}
