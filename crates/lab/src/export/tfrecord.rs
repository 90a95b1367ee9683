//! TFRecord framing, the container of TensorBoard event files: each record is
//!
//! ```text
//! u64 length (little-endian) · u32 masked CRC32C of those 8 bytes · data · u32 masked CRC32C of data
//! ```
//!
//! with `masked(crc) = ((crc >> 15) | (crc << 17)) + 0xa282ead8` (wrapping), as TensorFlow's
//! `core/lib/hash/crc32c.h` defines it. Readers (TensorBoard's included) check both checksums.

/// The constant TensorFlow adds when masking a CRC.
const MASK_DELTA: u32 = 0xa282_ead8;

/// The masked CRC32C (Castagnoli) of `bytes`, as TFRecord stores it.
pub fn masked_crc32c(bytes: &[u8]) -> u32 {
    let crc = crc32c::crc32c(bytes);
    crc.rotate_right(15).wrapping_add(MASK_DELTA)
}

/// Appends one TFRecord holding `data` to `out`.
pub fn append_record(out: &mut Vec<u8>, data: &[u8]) {
    let len = (data.len() as u64).to_le_bytes();
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc32c(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc32c(data).to_le_bytes());
}

/// Splits TFRecord bytes back into their records, checking lengths and both checksums (used by the
/// tests, and for anyone who wants to verify an exported file without TensorBoard).
///
/// # Errors
/// A message naming the byte offset of the first truncated or corrupt record.
pub fn read_records(mut bytes: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut out = Vec::new();
    let mut offset = 0usize;
    while !bytes.is_empty() {
        let header = bytes.get(..12).ok_or_else(|| format!("truncated record header at byte {offset}"))?;
        let (len_bytes, crc_bytes) = header.split_at(8);
        let stored = u32::from_le_bytes(crc_bytes.try_into().expect("4 bytes"));
        if masked_crc32c(len_bytes) != stored {
            return Err(format!("length checksum mismatch at byte {offset}"));
        }
        let len = u64::from_le_bytes(len_bytes.try_into().expect("8 bytes"));
        let len = usize::try_from(len).map_err(|_| format!("record length {len} at byte {offset} too large"))?;
        let end = 12usize.checked_add(len).and_then(|e| e.checked_add(4));
        let record = end.and_then(|e| bytes.get(..e)).ok_or_else(|| format!("truncated record at byte {offset}"))?;
        let (data, crc) = record[12..].split_at(len);
        if masked_crc32c(data) != u32::from_le_bytes(crc.try_into().expect("4 bytes")) {
            return Err(format!("data checksum mismatch in the record at byte {offset}"));
        }
        out.push(data);
        offset += record.len();
        bytes = &bytes[record.len()..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_matches_the_published_check_values() {
        // RFC 3720 (iSCSI), appendix B.4, and the CRC catalogue's check value for "123456789".
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
        assert_eq!(crc32c::crc32c(&[0u8; 32]), 0x8a91_36aa);
        assert_eq!(crc32c::crc32c(&[0xffu8; 32]), 0x62a8_ab43);
        let ascending: Vec<u8> = (0..32).collect();
        assert_eq!(crc32c::crc32c(&ascending), 0x46dd_794e);
    }

    #[test]
    fn the_framing_matches_tensorboards_own_checksums() {
        // Expected values computed with TensorBoard's Python implementation
        // (`tensorboard.compat.tensorflow_stub.pywrap_tensorflow.masked_crc32c`, TensorBoard 2.21), an
        // implementation independent of this one. The record is the first of every event file:
        // Event { wall_time: 0, file_version: "brain.Event:2" } with wall_time written out.
        assert_eq!(masked_crc32c(b""), 0xa282_ead8);
        let data: &[u8] = b"\x09\x00\x00\x00\x00\x00\x00\x00\x00\x1a\x0dbrain.Event:2";
        assert_eq!(data.len(), 24);
        assert_eq!(masked_crc32c(&24u64.to_le_bytes()), 0x224b_7fa3);
        assert_eq!(masked_crc32c(data), 0xa328_dfee);
        let mut out = Vec::new();
        append_record(&mut out, data);
        let mut expected = 24u64.to_le_bytes().to_vec();
        expected.extend(0x224b_7fa3u32.to_le_bytes());
        expected.extend(data);
        expected.extend(0xa328_dfeeu32.to_le_bytes());
        assert_eq!(out, expected);
        assert_eq!(read_records(&out).unwrap(), vec![data]);
    }

    #[test]
    fn corrupt_and_truncated_records_are_refused_with_their_offset() {
        let mut out = Vec::new();
        append_record(&mut out, b"first");
        append_record(&mut out, b"second");
        assert_eq!(read_records(&out).unwrap(), vec![&b"first"[..], &b"second"[..]]);
        let first_len = 12 + 5 + 4;
        let mut bad = out.clone();
        bad[first_len + 14] ^= 1;
        assert_eq!(
            read_records(&bad).unwrap_err(),
            format!("data checksum mismatch in the record at byte {first_len}")
        );
        let mut bad = out.clone();
        bad[0] ^= 1;
        assert_eq!(read_records(&bad).unwrap_err(), "length checksum mismatch at byte 0");
        assert_eq!(read_records(&out[..out.len() - 1]).unwrap_err(), format!("truncated record at byte {first_len}"));
        assert_eq!(read_records(&out[..5]).unwrap_err(), "truncated record header at byte 0");
    }
}
