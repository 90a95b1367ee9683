//! The protocol-buffer wire format, encoding only, as far as TensorBoard's event messages need it:
//! varints, 64- and 32-bit fixed fields, length-delimited fields (strings, nested messages, packed
//! doubles). Fields holding their type's default are left out, as proto3 serialisers do (but a `oneof` member
//! is always written: its presence is information), so the bytes are
//! those Google's own library writes for the same message.

/// Wire type of varint fields (int64, bool, enums).
const VARINT: u8 = 0;
/// Wire type of 64-bit fixed fields (double).
const FIXED64: u8 = 1;
/// Wire type of length-delimited fields (string, bytes, messages, packed repeated scalars).
const LEN: u8 = 2;
/// Wire type of 32-bit fixed fields (float).
const FIXED32: u8 = 5;

/// A message being encoded: append fields in field-number order, then take [`Message::bytes`].
#[derive(Default, Debug, Clone, PartialEq, Eq)]
pub struct Message(Vec<u8>);

impl Message {
    /// An empty message.
    pub fn new() -> Self {
        Message::default()
    }

    /// The encoded bytes.
    pub fn bytes(self) -> Vec<u8> {
        self.0
    }

    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn key(&mut self, field: u32, wire: u8) {
        self.varint((u64::from(field) << 3) | u64::from(wire));
    }

    /// A `double` field (left out when 0, as proto3 does; −0 is kept, its bits differ).
    pub fn double(&mut self, field: u32, v: f64) -> &mut Self {
        if v.to_bits() != 0 {
            self.key(field, FIXED64);
            self.0.extend_from_slice(&v.to_le_bytes());
        }
        self
    }

    /// A `float` member of a `oneof`, written whatever its value: in a `oneof` presence matters (a
    /// `Summary.Value` without `simple_value` is not a scalar, even when the scalar is 0).
    pub fn oneof_float(&mut self, field: u32, v: f32) -> &mut Self {
        self.key(field, FIXED32);
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// An `int64` field (left out when 0; negative values take ten bytes, as the format wants).
    pub fn int64(&mut self, field: u32, v: i64) -> &mut Self {
        if v != 0 {
            self.key(field, VARINT);
            self.varint(v as u64);
        }
        self
    }

    /// A `string` or `bytes` field (left out when empty).
    pub fn bytes_field(&mut self, field: u32, v: &[u8]) -> &mut Self {
        if !v.is_empty() {
            self.key(field, LEN);
            self.varint(v.len() as u64);
            self.0.extend_from_slice(v);
        }
        self
    }

    /// A nested message field (written even when empty: presence matters for messages).
    pub fn message(&mut self, field: u32, m: Message) -> &mut Self {
        self.key(field, LEN);
        self.varint(m.0.len() as u64);
        self.0.extend_from_slice(&m.0);
        self
    }

    /// A packed `repeated double` field (left out when empty).
    pub fn packed_doubles(&mut self, field: u32, v: &[f64]) -> &mut Self {
        if !v.is_empty() {
            self.key(field, LEN);
            self.varint(8 * v.len() as u64);
            for x in v {
                self.0.extend_from_slice(&x.to_le_bytes());
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_match_the_protobuf_documentation() {
        // "Base 128 varints" in the protobuf encoding guide: 1 → 01, 150 → 96 01; and -1 as int64.
        let enc = |v: i64| {
            let mut m = Message::new();
            m.int64(1, v);
            m.bytes()
        };
        assert_eq!(enc(1), vec![0x08, 0x01]);
        assert_eq!(enc(150), vec![0x08, 0x96, 0x01]);
        assert_eq!(enc(-1), [vec![0x08], vec![0xff; 9], vec![0x01]].concat());
        assert_eq!(enc(0), Vec::<u8>::new());
    }

    #[test]
    fn strings_and_defaults() {
        // The guide's example: field 2 = "testing" → 12 07 74 65 73 74 69 6e 67.
        let mut m = Message::new();
        m.bytes_field(2, b"testing").double(3, 0.0).int64(4, 0).packed_doubles(5, &[]).bytes_field(6, b"");
        assert_eq!(m.bytes(), b"\x12\x07testing".to_vec());
        // A oneof member is written even at its default: 0.0f32 as field 2.
        let mut m = Message::new();
        m.oneof_float(2, 0.0);
        assert_eq!(m.bytes(), vec![0x15, 0, 0, 0, 0]);
    }
}
