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
/// The check is made on the size the header declares, before anything is decompressed.
pub const MAX_DECOMPRESSED: u64 = 4 << 30;

/// How many bytes a gzip stream may decompress to beyond the size its IDX header declares before the
/// decoder stops (so a few stray trailing bytes are still counted in the error; a gzip bomb is not).
pub const GZIP_SLACK: u64 = 4096;

/// Deflate's largest possible expansion, output bytes per input byte (a 258-byte match in one bit, plus
/// block overhead): no gzip stream of `n` bytes decompresses to more than `n ×` this.
const MAX_DEFLATE_RATIO: u64 = 1032;

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

/// Decompresses gzip `bytes` (concatenated members allowed), refusing more than `limit` bytes of output
/// (at most [`MAX_DECOMPRESSED`]). The decoder stops as soon as the output passes the limit, so memory stays
/// bounded by it whatever the stream holds. [`parse_idx`] uses a tighter limit: the size the IDX header
/// declares.
///
/// # Errors
/// A corrupt stream, or more output than `limit`.
pub fn gunzip(source: &Path, bytes: &[u8], limit: u64) -> Result<Vec<u8>> {
    let limit = limit.min(MAX_DECOMPRESSED);
    let mut out = Vec::new();
    Members::new(bytes).take(limit + 1).read_to_end(&mut out).map_err(|e| corrupt_gzip(source, &e))?;
    if out.len() as u64 > limit {
        return Err(Error::data(source, format!("decompresses to more than {limit} bytes; refusing")));
    }
    Ok(out)
}

/// Parses IDX bytes, decompressing them first if they are gzip. `source` names them in errors.
///
/// Gzip input is decompressed against its own header: the header is decoded first and checked, then the
/// decoder stops once the output passes the declared size plus [`GZIP_SLACK`]. Memory is therefore bounded
/// by about twice the smaller of the declared size and the most the compressed bytes could expand to,
/// never by what a gzip bomb would produce.
///
/// # Errors
/// Any malformed header or payload (see the module docs), a declared size over [`MAX_DECOMPRESSED`], a
/// corrupt gzip stream, a zero-sized dimension, or a NaN or infinite value in an `f32`/`f64` file; each names
/// `source` and what was expected.
pub fn parse_idx(source: &Path, bytes: &[u8]) -> Result<IdxArray> {
    if is_gzip(bytes) {
        let raw = gunzip_idx(source, bytes)?;
        if raw.is_empty() {
            return Err(Error::data(source, "its gzip stream decompresses to no bytes; expected an IDX header"));
        }
        return parse_raw(source, &raw);
    }
    parse_raw(source, bytes)
}

/// Decompresses a gzipped IDX file, reading the header first and then no more than it declares (plus
/// [`GZIP_SLACK`]); the bytes returned still need [`parse_raw`]'s checks.
fn gunzip_idx(source: &Path, bytes: &[u8]) -> Result<Vec<u8>> {
    let corrupt = |e: std::io::Error| corrupt_gzip(source, &e);
    let mut decoder = Members::new(bytes);
    let mut out = Vec::new();
    (&mut decoder).take(4).read_to_end(&mut out).map_err(corrupt)?;
    if out.len() == 4 {
        let ndim = out[3] as u64;
        (&mut decoder).take(4 * ndim).read_to_end(&mut out).map_err(corrupt)?;
    }
    // Garbage from a stream damaged near its start reads as an absurd header; the CRC that would say so is
    // at the stream's end, which is not read for a header refused.
    let header = parse_header(source, &out).map_err(|e| match e {
        Error::Data { source_name, message } => Error::Data {
            source_name,
            message: format!(
                "{message} (as decompressed from its gzip stream: if `gzip -t` finds the stream intact, the file holds something other than IDX data, gzipped; a stream damaged near its start also decodes to such bytes)"
            ),
        },
        other => other,
    })?;
    let Some(header) = header else {
        return Ok(out); // too short for a header: parse_raw says which way
    };
    let declared = header.len as u64 + header.payload;
    // The output cannot exceed what the input could expand to, so a lying header reserves nothing more.
    let bound = (declared + GZIP_SLACK).min(MAX_DEFLATE_RATIO.saturating_mul(bytes.len() as u64));
    out.reserve_exact((bound as usize).saturating_sub(out.len()) + 1);
    let already = out.len() as u64;
    (&mut decoder).take(declared + GZIP_SLACK + 1 - already).read_to_end(&mut out).map_err(corrupt)?;
    if out.len() as u64 > declared + GZIP_SLACK {
        return Err(Error::data(
            source,
            format!(
                "decompresses to more than {} bytes, but its header declares {declared} (dimensions {:?}, header included); refusing to decompress further",
                declared + GZIP_SLACK,
                header.dims
            ),
        ));
    }
    Ok(out)
}

/// The decompressed bytes of every gzip member in a buffer, one after the other (as `MultiGzDecoder` gives
/// them), telling bytes after the last member apart from a corrupt member: zeros there end the stream (tape
/// padding, which gzip ignores too); anything else is a [`Trailing`] error saying how many bytes.
struct Members<'a> {
    current: Option<flate2::bufread::GzDecoder<&'a [u8]>>,
}

/// The error [`Members`] gives for bytes after the last gzip member that are neither zeros nor gzip.
#[derive(Debug)]
struct Trailing(usize);

impl std::fmt::Display for Trailing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} bytes after the end of the gzip stream", self.0)
    }
}

impl std::error::Error for Trailing {}

impl<'a> Members<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Members { current: Some(flate2::bufread::GzDecoder::new(bytes)) }
    }
}

impl Read for Members<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let Some(decoder) = self.current.as_mut() else { return Ok(0) };
            let n = decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // This member ended (its CRC and length checked); what follows it?
            let rest = self.current.take().map_or(&[][..], |d| d.into_inner());
            if rest.iter().all(|&b| b == 0) {
                return Ok(0);
            }
            if !is_gzip(rest) {
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, Trailing(rest.len())));
            }
            self.current = Some(flate2::bufread::GzDecoder::new(rest));
        }
    }
}

/// The error for a gzip stream that does not decompress, in words: bytes after its end, a CRC that does not
/// match (a damaged file), or the decoder's own message.
fn corrupt_gzip(source: &Path, e: &std::io::Error) -> Error {
    let message = match e.get_ref() {
        Some(inner) if inner.is::<Trailing>() => format!(
            "{inner} are not gzip data; expected the file to end where its gzip stream ends (gzip -t calls them \
             trailing garbage)"
        ),
        _ if e.to_string().contains("checksum") => {
            "corrupt gzip stream: its CRC-32 does not match the decompressed data (the file is damaged)".into()
        }
        _ => format!("corrupt gzip stream: {e}"),
    };
    Error::data(source, message)
}

/// Reads and parses the IDX file at `path` (raw or gzip).
pub fn read_idx(path: &Path) -> Result<IdxArray> {
    let bytes = read_idx_bytes(path)?;
    parse_idx(path, &bytes)
}

/// The bytes of the IDX file at `path`, for [`parse_idx`]. A raw file's header is read first: a malformed
/// one, or a file longer than it declares, is refused with [`parse_idx`]'s own error before the rest is
/// read (a 1 GB file declaring 1,616 bytes had been read whole first: 12 s in a data trial of 2026-12-05, not a benchmark). A path that is no regular
/// file (a directory, a device, a FIFO) is refused by name.
///
/// # Errors
/// IO errors naming the path; a malformed raw header; a raw file longer than its header declares.
pub fn read_idx_bytes(path: &Path) -> Result<Vec<u8>> {
    let io = |e: std::io::Error| Error::io(path, e);
    let mut file = crate::files::open_regular(path, "an IDX file")?;
    let len = file.metadata().map_err(io)?.len();
    let mut bytes = Vec::new();
    (&mut file).take(4).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() == 4 && !is_gzip(&bytes) {
        (&mut file).take(4 * u64::from(bytes[3])).read_to_end(&mut bytes).map_err(io)?;
        if let Some(h) = parse_header(path, &bytes)? {
            let declared = h.len as u64 + h.payload;
            if len > declared {
                return Err(Error::data(path, trailing_message(len - declared, &h.dims, h.payload)));
            }
        }
    }
    file.read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}

/// The error for `extra` bytes after a payload that `dims` declare to be `want` bytes long.
fn trailing_message(extra: u64, dims: &[usize], want: u64) -> String {
    format!("{extra} unexpected bytes after the payload: dimensions {dims:?} need exactly {want} bytes")
}

/// A checked IDX header.
struct Header {
    dtype: u8,
    /// Bytes per element.
    size: usize,
    dims: Vec<usize>,
    /// Header length in bytes (4 + 4 · ndim).
    len: usize,
    /// Payload length the dimensions declare, in bytes.
    payload: u64,
}

/// The format whose magic number `b` starts with, for the compressed and container formats an IDX file is
/// sometimes mistaken for (only gzip is read).
fn other_format(b: &[u8]) -> Option<&'static str> {
    const MAGICS: [(&[u8], &str); 8] = [
        (&[0xfd, b'7', b'z', b'X', b'Z', 0], "xz-compressed data"),
        (b"BZh", "bzip2-compressed data"),
        (&[0x28, 0xb5, 0x2f, 0xfd], "zstd-compressed data"),
        (b"PK\x03\x04", "a zip archive"),
        (&[0x78, 0x9c], "zlib-compressed data (not gzip)"),
        (&[0x78, 0xda], "zlib-compressed data (not gzip)"),
        (&[0x78, 0x01], "zlib-compressed data (not gzip)"),
        (&[0x89, b'P', b'N', b'G'], "a PNG image"),
    ];
    MAGICS.iter().find(|(m, _)| b.starts_with(m)).map(|(_, f)| *f)
}

/// Checks the header at the start of `b`. `Ok(None)` when `b` is shorter than 4 bytes (the caller words
/// that error); an error for anything else malformed, including a declared size over [`MAX_DECOMPRESSED`].
fn parse_header(source: &Path, b: &[u8]) -> Result<Option<Header>> {
    let err = |m: String| Error::data(source, m);
    if b.len() < 4 {
        return Ok(None);
    }
    if b[0] != 0 || b[1] != 0 {
        return Err(err(format!(
            "bad magic {:#04x}{:02x}{}; an IDX file starts with 0x0000",
            b[0],
            b[1],
            other_format(b).map_or_else(String::new, |f| format!(" (the start of {f})"))
        )));
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
    let len = 4 + 4 * ndim;
    if b.len() < len {
        return Err(err(format!("truncated header: {ndim} dimensions need {len} bytes, file has {}", b.len())));
    }
    let dims: Vec<usize> =
        (0..ndim).map(|i| u32::from_be_bytes(b[4 + 4 * i..8 + 4 * i].try_into().expect("4 bytes")) as usize).collect();
    if let Some(k) = dims.iter().position(|&d| d == 0) {
        return Err(err(format!(
            "dimensions {dims:?}: dimension {k} is 0; expected every dimension ≥ 1 (a zero-sized set or example holds no data)"
        )));
    }
    // Each dimension is < 2^32 and there are at most 255, so the product is computed in u128 only to
    // compare it with the limit; anything past the limit is refused before it is used as a size.
    let payload = dims.iter().try_fold(size as u128, |acc, &d| acc.checked_mul(d as u128).filter(|&p| p <= 1 << 64));
    let payload = match payload {
        Some(p) if p + len as u128 <= MAX_DECOMPRESSED as u128 => p as u64,
        _ => {
            return Err(err(format!(
                "dimensions {dims:?} declare more than {MAX_DECOMPRESSED} bytes of {} data; refusing",
                dtype_name(dtype)
            )));
        }
    };
    Ok(Some(Header { dtype, size, dims, len, payload }))
}

fn dtype_name(dtype: u8) -> &'static str {
    match dtype {
        0x08 => "u8",
        0x09 => "i8",
        0x0B => "i16",
        0x0C => "i32",
        0x0D => "f32",
        _ => "f64",
    }
}

fn parse_raw(source: &Path, b: &[u8]) -> Result<IdxArray> {
    let err = |m: String| Error::data(source, m);
    if b.is_empty() {
        return Err(err("empty file; expected an IDX header (magic 0x0000, dtype, ndim)".into()));
    }
    let Some(Header { dtype, size, dims, len, payload: want }) = parse_header(source, b)? else {
        return Err(err(format!("only {} bytes; an IDX header needs at least 4", b.len())));
    };
    let payload = &b[len..];
    let want = want as usize; // ≤ MAX_DECOMPRESSED, and b is in memory
    if payload.len() < want {
        return Err(err(format!(
            "truncated payload: dimensions {dims:?} need {want} bytes of data, the file has {}",
            payload.len()
        )));
    }
    if payload.len() > want {
        return Err(err(trailing_message((payload.len() - want) as u64, &dims, want as u64)));
    }
    macro_rules! be {
        ($t:ty) => {
            payload.chunks_exact(size).map(|c| <$t>::from_be_bytes(c.try_into().expect("chunk size"))).collect()
        };
    }
    let data = match dtype {
        0x08 => IdxData::U8(payload.to_vec()),
        0x09 => IdxData::I8(payload.iter().map(|&x| x as i8).collect()),
        0x0B => IdxData::I16(be!(i16)),
        0x0C => IdxData::I32(be!(i32)),
        0x0D => IdxData::F32(be!(f32)),
        _ => IdxData::F64(be!(f64)),
    };
    let array = IdxArray { dims, data };
    if let Some((i, v)) = array.first_non_finite() {
        return Err(err(format!(
            "value {v} at element {i} (index {:?}); expected finite numbers (NaN and ±inf are refused)",
            array.index_of(i)
        )));
    }
    Ok(array)
}

impl IdxArray {
    /// The first NaN or infinite value (flat element index and value), for `f32`/`f64` data; `None` for
    /// integer types, which are always finite.
    pub fn first_non_finite(&self) -> Option<(usize, f64)> {
        match &self.data {
            IdxData::F32(v) => v.iter().position(|x| !x.is_finite()).map(|i| (i, v[i] as f64)),
            IdxData::F64(v) => v.iter().position(|x| !x.is_finite()).map(|i| (i, v[i])),
            _ => None,
        }
    }

    /// The multi-dimensional index (outermost first) of flat element `i`.
    pub fn index_of(&self, mut i: usize) -> Vec<usize> {
        let mut index = vec![0; self.dims.len()];
        for (k, &d) in self.dims.iter().enumerate().rev() {
            if d > 0 {
                index[k] = i % d;
                i /= d;
            }
        }
        index
    }
}

/// Encodes an array as raw IDX bytes (the inverse of [`parse_idx`] for uncompressed input).
pub fn encode_idx(array: &IdxArray) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(array, &mut |bytes| out.extend_from_slice(bytes));
    out
}

/// Gives `sink` the raw IDX bytes of `array` ([`encode_idx`]'s), piece by piece: header, then the values in
/// pieces of at most 64 KiB (so a digest of a large set needs no copy of it).
pub fn encode_into(array: &IdxArray, sink: &mut dyn FnMut(&[u8])) {
    let dtype = match &array.data {
        IdxData::U8(_) => 0x08,
        IdxData::I8(_) => 0x09,
        IdxData::I16(_) => 0x0B,
        IdxData::I32(_) => 0x0C,
        IdxData::F32(_) => 0x0D,
        IdxData::F64(_) => 0x0E,
    };
    let mut header = vec![0, 0, dtype, array.dims.len() as u8];
    for &d in &array.dims {
        header.extend((d as u32).to_be_bytes());
    }
    sink(&header);
    fn pieces<T: Copy, const N: usize>(v: &[T], be: impl Fn(T) -> [u8; N], sink: &mut dyn FnMut(&[u8])) {
        let mut buf = Vec::with_capacity(65_536);
        for chunk in v.chunks(65_536 / N) {
            buf.clear();
            buf.extend(chunk.iter().flat_map(|&x| be(x)));
            sink(&buf);
        }
    }
    match &array.data {
        IdxData::U8(v) => v.chunks(65_536).for_each(&mut *sink),
        IdxData::I8(v) => pieces(v, |x: i8| x.to_be_bytes(), sink),
        IdxData::I16(v) => pieces(v, |x: i16| x.to_be_bytes(), sink),
        IdxData::I32(v) => pieces(v, |x: i32| x.to_be_bytes(), sink),
        IdxData::F32(v) => pieces(v, |x: f32| x.to_be_bytes(), sink),
        IdxData::F64(v) => pieces(v, |x: f64| x.to_be_bytes(), sink),
    }
}

/// Gzip-compresses `bytes` reproducibly (level 9, no file name, modification time 0).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).expect("writing to memory");
    enc.finish().expect("writing to memory")
}
