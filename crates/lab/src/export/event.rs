//! TensorBoard's event messages, encoded by hand: `Event`, `Summary`, `Summary.Value` and
//! `HistogramProto` (field numbers from TensorFlow's `event.proto`, `summary.proto` and
//! `histogram.proto`, which TensorBoard vendors under `tensorboard/compat/proto`).
//!
//! ```text
//! Event          { double wall_time = 1; int64 step = 2; oneof what { string file_version = 3; Summary summary = 5; } }
//! Summary        { repeated Value value = 1; }
//! Summary.Value  { string tag = 1; oneof value { float simple_value = 2; HistogramProto histo = 5; } }
//! HistogramProto { double min = 1; double max = 2; double num = 3; double sum = 4; double sum_squares = 5;
//!                  repeated double bucket_limit = 6 [packed]; repeated double bucket = 7 [packed]; }
//! ```

use super::protobuf::Message;

/// The version string of the first event of every file TensorFlow 2 writes.
pub const FILE_VERSION: &str = "brain.Event:2";

/// A histogram as TensorBoard wants it: bucket `i` holds `bucket[i]` values in
/// `(bucket_limit[i-1], bucket_limit[i]]`, the first from `min`, and `min`/`max` bound every value.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    /// Lower bound of the values.
    pub min: f64,
    /// Upper bound of the values.
    pub max: f64,
    /// Number of values.
    pub num: f64,
    /// Their sum.
    pub sum: f64,
    /// The sum of their squares.
    pub sum_squares: f64,
    /// Right edge of each bucket.
    pub bucket_limit: Vec<f64>,
    /// Count of each bucket.
    pub bucket: Vec<f64>,
}

/// The value of one tag at one step.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A scalar (TensorBoard stores `simple_value` as a 32-bit float).
    Scalar(f32),
    /// A histogram.
    Histogram(Histogram),
}

/// The `Event` that opens a file: its wall time and [`FILE_VERSION`].
pub fn file_version(wall_time: f64) -> Vec<u8> {
    let mut e = Message::new();
    e.double(1, wall_time).bytes_field(3, FILE_VERSION.as_bytes());
    e.bytes()
}

/// An `Event` with a `Summary` holding `values` (tag, value) at `step`.
pub fn summary(wall_time: f64, step: i64, values: &[(String, Value)]) -> Vec<u8> {
    let mut summary = Message::new();
    for (tag, value) in values {
        let mut v = Message::new();
        v.bytes_field(1, tag.as_bytes());
        match value {
            Value::Scalar(x) => {
                v.oneof_float(2, *x);
            }
            Value::Histogram(h) => {
                v.message(5, histogram(h));
            }
        }
        summary.message(1, v);
    }
    let mut e = Message::new();
    e.double(1, wall_time).int64(2, step).message(5, summary);
    e.bytes()
}

fn histogram(h: &Histogram) -> Message {
    let mut m = Message::new();
    m.double(1, h.min)
        .double(2, h.max)
        .double(3, h.num)
        .double(4, h.sum)
        .double(5, h.sum_squares)
        .packed_doubles(6, &h.bucket_limit)
        .packed_doubles(7, &h.bucket);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    // Expected bytes: `SerializeToString()` of the same messages built with Google's Python protobuf
    // library and TensorBoard's `tensorboard.compat.proto.event_pb2` (TensorBoard 2.21).

    #[test]
    fn the_file_version_event_is_byte_identical_to_protobufs() {
        assert_eq!(file_version(0.0), b"\x1a\x0dbrain.Event:2".to_vec());
    }

    #[test]
    fn a_scalar_event_is_byte_identical_to_protobufs() {
        let e = summary(1.5, 300, &[("loss/val".into(), Value::Scalar(0.25))]);
        assert_eq!(e, hex("09000000000000f83f10ac022a110a0f0a086c6f73732f76616c150000803e"));
    }

    #[test]
    fn a_zero_scalar_is_still_a_scalar() {
        // simple_value is a oneof member: written even when 0, as protobuf does.
        let e = summary(0.0, 5, &[("x".into(), Value::Scalar(0.0))]);
        assert_eq!(e, hex("10052a0a0a080a01781500000000"));
    }

    #[test]
    fn a_histogram_event_is_byte_identical_to_protobufs() {
        let h = Histogram {
            min: -1.0,
            max: 2.0,
            num: 3.0,
            sum: 1.5,
            sum_squares: 4.25,
            bucket_limit: vec![0.0, 1.0, 2.0],
            bucket: vec![1.0, 0.0, 2.0],
        };
        let e = summary(1.5, 3, &[("z/layer0".into(), Value::Histogram(h))]);
        assert_eq!(
            e,
            hex(concat!(
                "09000000000000f83f10032a6f0a6d0a087a2f6c61796572302a6109000000000000f0bf110000000000000040190000",
                "00000000084021000000000000f83f29000000000000114032180000000000000000000000000000f03f0000000000",
                "0000403a18000000000000f03f00000000000000000000000000000040"
            ))
        );
    }
}
