//! Reading captures: valid files round-trip exactly; every broken rule is refused with the file and the
//! tensor or metadata field named.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use actscope_capture::{
    ActivationSpec, AnyCapture, BnTensors, Capture, Hidden, LayerMeta, Meta, Output, from_bytes, read_any, read_meta,
    to_bytes,
};
use actscope_core::{Activation, Placement};
use ndarray::{Array1, Array2};
use safetensors::{Dtype, SafeTensors, View};

fn m(r: usize, c: usize, s: f32) -> Array2<f32> {
    Array2::from_shape_fn((r, c), |(i, j)| s * (i as f32 - 1.5 * j as f32 + 0.25))
}

fn v(n: usize, s: f32) -> Array1<f32> {
    Array1::from_shape_fn(n, |i| s * (1.0 + i as f32))
}

/// Three inputs; a sigmoid layer of 4 with BN before; an unknown activation of 4 with φ′ given; 2 outputs.
fn sample() -> Capture<f32> {
    let layers = vec![
        LayerMeta::hidden("net.0", 4, Activation::Sigmoid.into(), Placement::Before),
        LayerMeta::hidden("net.3", 4, ActivationSpec::Unknown { dphi_max: 1.0 }, Placement::None),
        LayerMeta::output("net.5", 2),
    ];
    let mut meta = Meta::new("tiny", 7, 100, layers);
    meta.epoch = Some(0.5);
    meta.loss = Some(0.75);
    meta.extra.insert("x-writer".into(), "test".into());
    let bn = BnTensors { gamma: Some(v(4, 1.0)), beta: Some(v(4, 0.1)), ..BnTensors::new(v(4, 0.2), v(4, 0.3)) };
    Capture {
        meta,
        hidden: vec![
            Hidden {
                grad_z: Some(m(5, 4, 1e-3)),
                bn: Some(bn),
                ..Hidden::new(m(5, 4, 1.0), m(4, 3, 0.1), m(4, 3, 0.01))
            },
            Hidden {
                a: Some(m(5, 4, 0.5)),
                dphi: Some(m(5, 4, 0.2).mapv(f32::abs)),
                grad_bias: Some(v(4, 0.01)),
                ..Hidden::new(m(5, 4, 2.0), m(4, 4, 0.1), m(4, 4, f32::NAN))
            },
        ],
        output: Output::new(m(2, 4, 0.3), m(2, 4, 0.03)),
    }
}

/// An edit of a capture's metadata and tensors.
type Edit = Box<dyn FnOnce(&mut HashMap<String, String>, &mut BTreeMap<String, Raw>)>;
/// An edit of a capture's metadata only.
type MetaEdit = Box<dyn FnOnce(&mut HashMap<String, String>)>;

struct Raw {
    dtype: Dtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl View for &Raw {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

/// The sample's bytes, with its metadata and tensors edited by `edit`.
fn edited(edit: impl FnOnce(&mut HashMap<String, String>, &mut BTreeMap<String, Raw>)) -> Vec<u8> {
    let bytes = to_bytes(&sample()).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut meta = SafeTensors::read_metadata(&bytes).unwrap().1.metadata().clone().unwrap();
    let mut tensors: BTreeMap<String, Raw> = st
        .tensors()
        .into_iter()
        .map(|(n, t)| (n, Raw { dtype: t.dtype(), shape: t.shape().to_vec(), data: t.data().to_vec() }))
        .collect();
    edit(&mut meta, &mut tensors);
    safetensors::serialize(tensors.iter().map(|(n, r)| (n.as_str(), r)), Some(meta)).unwrap()
}

const FILE: &str = "runs/tiny-seed7-step00000100.safetensors";

fn error(bytes: &[u8]) -> String {
    let e = from_bytes::<f32>(bytes, Path::new(FILE)).expect_err("refused").to_string();
    assert!(e.starts_with(FILE), "the message names the file: {e}");
    e
}

#[test]
fn a_capture_round_trips_exactly_in_both_element_types() {
    let c = sample();
    assert_eq!(from_bytes::<f32>(&to_bytes(&c).unwrap(), Path::new(FILE)).unwrap().meta, c.meta);
    // NaN in a gradient is allowed (a finding, not a broken file), so compare bit patterns.
    let back = from_bytes::<f32>(&to_bytes(&c).unwrap(), Path::new(FILE)).unwrap();
    assert!(back.hidden[1].grad_weight.iter().all(|x| x.is_nan()));
    assert_eq!(back.hidden[0], c.hidden[0]);
    assert_eq!(back.output, c.output);
    let c64 = Capture {
        meta: c.meta.clone(),
        hidden: c
            .hidden
            .iter()
            .map(|h| Hidden {
                z: h.z.mapv(f64::from),
                a: h.a.as_ref().map(|a| a.mapv(f64::from)),
                dphi: h.dphi.as_ref().map(|a| a.mapv(f64::from)),
                grad_z: None,
                weight: h.weight.mapv(f64::from),
                grad_weight: h.weight.mapv(f64::from),
                grad_bias: None,
                bn: h.bn.as_ref().map(|b| BnTensors::new(b.mean.mapv(f64::from), b.var.mapv(f64::from))),
            })
            .collect(),
        output: Output::new(c.output.weight.mapv(f64::from), c.output.grad_weight.mapv(f64::from)),
    };
    let dir = std::env::temp_dir().join(format!("actscope-capture-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p: PathBuf = dir.join("c64.safetensors");
    actscope_capture::write(&p, &c64).unwrap();
    assert_eq!(read_any(&p).unwrap(), AnyCapture::F64(c64.clone()));
    assert_eq!(read_meta(&p).unwrap(), (c64.meta, actscope_capture::Dtype::F64));
    let e = actscope_capture::read::<f32>(&p).unwrap_err().to_string();
    assert!(e.contains("metadata field `dtype`: f64, but f32 was asked for"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unknown_versions_and_files_that_are_no_captures_are_refused() {
    let e = error(&edited(|m, _| {
        m.insert("version".into(), "2".into());
    }));
    assert!(e.contains("capture format version \"2\" is not supported (this actscope reads version 1"), "{e}");
    let e = error(&edited(|m, _| {
        m.insert("format".into(), "something.else".into());
    }));
    assert!(e.contains("not an actscope capture: metadata field `format` is \"something.else\""), "{e}");
    let e = error(&edited(|m, _| m.clear()));
    assert!(e.contains("not an actscope capture"), "{e}");
}

#[test]
fn truncated_files_are_refused() {
    let bytes = to_bytes(&sample()).unwrap();
    for cut in [0, 5, 100, bytes.len() - 1] {
        let e = error(&bytes[..cut]);
        assert!(e.contains("not a valid safetensors file") && e.contains("truncated"), "cut at {cut}: {e}");
    }
    let dir = std::env::temp_dir().join(format!("actscope-capture-trunc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("t.safetensors");
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    assert!(read_any(&p).unwrap_err().to_string().contains("not a valid safetensors file"));
    std::fs::write(&p, &bytes[..4]).unwrap();
    assert!(read_meta(&p).unwrap_err().to_string().contains("shorter than the 8-byte header length"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tensors_that_break_the_format_are_named() {
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|_, t| {
                let z = t.get_mut("layers.1.z").unwrap();
                z.shape = vec![4, 5];
            }),
            "tensor `layers.1.z`: shape [4, 5]; expected [5, 4]",
        ),
        (
            Box::new(|_, t| {
                t.remove("layers.1.grad_weight");
            }),
            "tensor `layers.1.grad_weight`: missing (every layer needs its weight gradient)",
        ),
        (
            Box::new(|_, t| {
                t.remove("layers.1.dphi");
            }),
            "tensor `layers.1.dphi`: missing (required with activation \"unknown\")",
        ),
        (
            Box::new(|_, t| {
                t.remove("layers.0.bn.var");
            }),
            "tensor `layers.0.bn.var`: missing (required with bn \"before\")",
        ),
        (
            Box::new(|_, t| {
                let z = t.get_mut("layers.0.z").unwrap();
                z.data[4 * 6..4 * 7].copy_from_slice(&f32::NAN.to_le_bytes());
            }),
            "tensor `layers.0.z`: value NaN at [1, 2]; every value must be finite",
        ),
        (
            Box::new(|_, t| {
                t.insert("layers.2.z".into(), Raw { dtype: Dtype::F32, shape: vec![5, 2], data: vec![0; 40] });
            }),
            "tensor `layers.2.z`: not a tensor of the capture format",
        ),
        (
            Box::new(|_, t| {
                let w = t.get_mut("layers.2.weight").unwrap();
                w.dtype = Dtype::I32;
            }),
            "tensor `layers.2.weight`: dtype I32, but the metadata says f32",
        ),
        // Values that contradict the layer (the capture-format trial: each was accepted): an `a` that is
        // not φ(z), a slope above sup φ′, a negative variance.
        (
            Box::new(|_, t| {
                t.insert("layers.0.a".into(), Raw { dtype: Dtype::F32, shape: vec![5, 4], data: vec![0; 80] });
            }),
            "tensor `layers.0.a`: value 0 at [0, 0] is not sigmoid(z) = 0.562",
        ),
        (
            Box::new(|_, t| {
                t.get_mut("layers.1.dphi").unwrap().data[..4].copy_from_slice(&2.0f32.to_le_bytes());
            }),
            "tensor `layers.1.dphi`: value 2 at [0, 0] is above dphi_max = 1, which must be sup φ′",
        ),
        (
            Box::new(|_, t| {
                t.get_mut("layers.0.bn.var").unwrap().data[4..8].copy_from_slice(&(-0.5f32).to_le_bytes());
            }),
            "tensor `layers.0.bn.var`: value -0.5 at [1]; a variance must be ≥ 0",
        ),
        // Layer 0's z and weight give n and the input width: a 1-D one is named itself (a 1-D weight was
        // reported as a bad z).
        (
            Box::new(|_, t| {
                let w = t.get_mut("layers.0.weight").unwrap();
                w.shape = vec![w.shape.iter().product()];
            }),
            "tensor `layers.0.weight`: shape [",
        ),
        (
            Box::new(|_, t| {
                let z = t.get_mut("layers.0.z").unwrap();
                z.shape = vec![1, z.shape[0], z.shape[1]];
            }),
            "tensor `layers.0.z`: shape [1, 5, 4]; expected [n, units]",
        ),
    ];
    for (edit, expected) in cases {
        let e = error(&edited(edit));
        assert!(e.contains(expected), "expected {expected:?} in {e}");
    }
    let flat: Edit = Box::new(|_, t| {
        let w = t.get_mut("layers.0.weight").unwrap();
        w.shape = vec![w.shape.iter().product()];
    });
    let e = error(&edited(flat));
    assert!(e.contains("]; expected [units, inputs]"), "{e}");
}

#[test]
fn metadata_that_breaks_the_format_is_named() {
    let layers = |s: &str| {
        let s = s.to_string();
        Box::new(move |m: &mut HashMap<String, String>| {
            m.insert("layers".into(), s);
        }) as MetaEdit
    };
    let set = |k: &'static str, v: &'static str| {
        Box::new(move |m: &mut HashMap<String, String>| {
            m.insert(k.into(), v.into());
        }) as MetaEdit
    };
    let cases: Vec<(MetaEdit, &str)> = vec![
        (set("seed", "-1"), "metadata field `seed`: \"-1\" is not an unsigned integer"),
        // As capture.md writes them (the capture-format trial: each was read leniently).
        (set("seed", "+7"), "metadata field `seed`: \"+7\" is not an unsigned integer"),
        (
            set("seed", "18446744073709551616"),
            "metadata field `seed`: 18446744073709551616 is larger than 18446744073709551615 (2^64 − 1), the largest allowed",
        ),
        (set("step", " 3 "), "metadata field `step`: \" 3 \" is not an unsigned integer"),
        (set("version", " 1"), "version"),
        (
            layers(
                r#"[{"name":"a","kind":"hidden","units":4,"activation":"ReLU","bn":"none"},{"name":"b","kind":"output","units":2}]"#,
            ),
            "metadata field `layers[0].activation`: \"ReLU\": activation names are lowercase (e.g. \"relu\")",
        ),
        (set("epoch", "later"), "metadata field `epoch`: \"later\" is not a finite number ≥ 0"),
        (set("dtype", "bf16"), "metadata field `dtype`: \"bf16\"; expected \"f32\" or \"f64\""),
        (set("steps", "3"), "metadata field `steps`: unknown field"),
        (
            Box::new(|m| {
                m.remove("model");
            }),
            "metadata field `model`: missing (required)",
        ),
        (layers("{}"), "metadata field `layers`: not a JSON array"),
        (
            layers(
                r#"[{"name":"a","kind":"hidden","units":4,"activation":"swishy","bn":"none"},{"name":"b","kind":"output","units":2}]"#,
            ),
            "metadata field `layers[0].activation`",
        ),
        (
            layers(
                r#"[{"name":"a","kind":"hidden","units":4,"activation":"unknown","bn":"none"},{"name":"b","kind":"output","units":2}]"#,
            ),
            "metadata field `layers[0].dphi_max`: missing; required with activation \"unknown\"",
        ),
        (
            layers(
                r#"[{"name":"a","kind":"hidden","units":4,"activation":"relu","bn":"sideways"},{"name":"b","kind":"output","units":2}]"#,
            ),
            "metadata field `layers[0].bn`: \"sideways\"",
        ),
        (
            layers(
                r#"[{"name":"a","kind":"output","units":2},{"name":"b","kind":"hidden","units":4,"activation":"relu","bn":"none"}]"#,
            ),
            "metadata field `layers`: output layers at positions [0]; expected exactly one, the last",
        ),
        (
            layers(
                r#"[{"name":"a","kind":"hidden","units":0,"activation":"relu","bn":"none"},{"name":"b","kind":"output","units":2}]"#,
            ),
            "metadata field `layers[0].units`: 0 is not an integer ≥ 1",
        ),
        (
            layers(
                r#"[{"name":"a","kind":"hidden","units":4,"activation":"relu","bn":"none","dropout":0.5},{"name":"b","kind":"output","units":2}]"#,
            ),
            "metadata field `layers[0].dropout`: not allowed here",
        ),
    ];
    for (edit, expected) in cases {
        let e = error(&edited(|m, _| edit(m)));
        assert!(e.contains(expected), "expected {expected:?} in {e}");
    }
}

#[test]
fn the_writer_refuses_a_capture_the_reader_would_refuse() {
    let mut c = sample();
    c.hidden[1].weight = m(4, 5, 1.0);
    let e = to_bytes(&c).unwrap_err().to_string();
    assert!(e.contains("tensor `layers.1.weight`: shape [4, 5]; expected [4, 4]"), "{e}");
}
