//! Data parsing: every dtype round-trips; every bad file is an error naming the file and the problem.
//! The fuzzers live in their own binary (`tests/fuzz`), which counts allocations.

use std::io::Cursor;
use std::path::Path;

use actscope_data::csv::{LabelColumn, parse_csv};
use actscope_data::idx::{IdxArray, IdxData, encode_idx, gzip, parse_idx};
use actscope_data::mnist::{Classes, ROLES, load_idx_dir, parse_idx_set};
use actscope_data::{Standardizer, split_train_val, split_train_val_owned, synthetic};

fn u8_array(dims: Vec<usize>, f: impl Fn(usize) -> u8) -> IdxArray {
    let n = dims.iter().product();
    IdxArray { dims, data: IdxData::U8((0..n).map(f).collect()) }
}

fn err_of(bytes: &[u8]) -> String {
    parse_idx(Path::new("bad.idx"), bytes).unwrap_err().to_string()
}

#[test]
fn every_dtype_round_trips_raw_and_gzip() {
    let arrays = [
        u8_array(vec![2, 3], |i| i as u8 * 40),
        IdxArray { dims: vec![3], data: IdxData::I8(vec![-128, 0, 127]) },
        IdxArray { dims: vec![2], data: IdxData::I16(vec![-30000, 1234]) },
        IdxArray { dims: vec![1, 2], data: IdxData::I32(vec![i32::MIN, 7]) },
        IdxArray { dims: vec![2], data: IdxData::F32(vec![1.5, -0.25]) },
        IdxArray { dims: vec![2, 1, 1], data: IdxData::F64(vec![std::f64::consts::PI, -1e300]) },
    ];
    for a in arrays {
        let raw = encode_idx(&a);
        assert_eq!(parse_idx(Path::new("x"), &raw).unwrap(), a);
        assert_eq!(parse_idx(Path::new("x.gz"), &gzip(&raw)).unwrap(), a);
    }
}

#[test]
fn malformed_idx_files_are_named_errors() {
    let good = encode_idx(&u8_array(vec![2, 2, 2], |i| i as u8));
    assert!(err_of(&[]).contains("bad.idx: empty file"));
    assert!(err_of(&[0, 0, 8]).contains("only 3 bytes"));
    let mut magic = good.clone();
    magic[0] = 0x42;
    assert!(err_of(&magic).contains("bad magic"), "{}", err_of(&magic));
    let mut dtype = good.clone();
    dtype[2] = 0x0A;
    assert!(err_of(&dtype).contains("unsupported dtype 0x0a"));
    let mut ndim = good.clone();
    ndim[3] = 0;
    assert!(err_of(&ndim).contains("0 dimensions"));
    assert!(err_of(&good[..8]).contains("truncated header"));
    assert!(
        err_of(&good[..good.len() - 1])
            .contains("truncated payload: dimensions [2, 2, 2] need 8 bytes of data, the file has 7")
    );
    let mut long = good.clone();
    long.push(0);
    assert!(err_of(&long).contains("1 unexpected bytes after the payload"));
    let mut gz = gzip(&good);
    let mid = gz.len() / 2;
    gz[mid] ^= 0xff;
    gz.truncate(gz.len() - 4);
    assert!(err_of(&gz).contains("corrupt gzip"), "{}", err_of(&gz));
    let huge = [0u8, 0, 0x08, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    assert!(err_of(&huge).contains("declare more than 4294967296 bytes of u8 data; refusing"), "{}", err_of(&huge));
}

/// The full error chain as `{:#}` prints it: each cause after a colon.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out += &format!(": {c}");
        cause = c.source();
    }
    out
}

fn csv_err(text: &str) -> String {
    parse_csv(Path::new("t.csv"), Cursor::new(text), &LabelColumn::Name("label".into())).unwrap_err().to_string()
}

#[test]
fn csv_labels_are_capped_and_dense() {
    // Before: 4e9 was accepted (4,000,000,001 classes; the split then scanned every row per class and hung).
    let e = csv_err("a,label\n1,0\n2,4000000000\n");
    assert!(
        e.contains("t.csv: line 3, column 2 (label): label 4000000000 is too large; expected labels 0..10000"),
        "{e}"
    );
    // Before: 100,001 classes, accepted silently.
    let e = csv_err("a,label\n1,0\n2,1\n3,100000\n");
    assert!(e.contains("line 4, column 2 (label): label 100000 is too large"), "{e}");
    // Under the cap but sparse: most classes would be empty.
    let e = csv_err("a,label\n1,0\n2,5\n3,5\n4,0\n");
    assert!(
        e.contains("t.csv: line 3, column 2 (label): label 5 makes 6 classes (0..6) but only 2 of them occur"),
        "{e}"
    );
    assert!(e.contains("renumber the labels 0..2"), "{e}");
    // 1-based labels leave one class empty of three: fine.
    let d =
        parse_csv(Path::new("t.csv"), Cursor::new("a,label\n1,1\n2,2\n"), &LabelColumn::Name("label".into())).unwrap();
    assert_eq!((d.classes, d.class_counts()), (3, vec![0, 1, 1]));
}

#[test]
fn float_idx_files_refuse_nan_and_inf() {
    let nan = encode_idx(&IdxArray { dims: vec![2, 2], data: IdxData::F32(vec![0.0, 1.0, 2.0, f32::NAN]) });
    assert!(
        err_of(&nan).contains("bad.idx: value NaN at element 3 (index [1, 1]); expected finite numbers"),
        "{}",
        err_of(&nan)
    );
    assert!(err_of(&gzip(&nan)).contains("bad.idx: value NaN at element 3"), "{}", err_of(&gzip(&nan)));
    let inf = encode_idx(&IdxArray { dims: vec![3, 1], data: IdxData::F64(vec![0.0, f64::NEG_INFINITY, 1.0]) });
    assert!(err_of(&inf).contains("bad.idx: value -inf at element 1 (index [1, 0])"), "{}", err_of(&inf));
    // Finite in f64 but not in f32: refused when it becomes an image, naming the images file.
    let big = IdxArray {
        dims: vec![3, 2, 2],
        data: IdxData::F64((0..12).map(|i| if i == 5 { 1e300 } else { 0.5 }).collect()),
    };
    let mut files = idx_set(vec![0, 1, 2], u8_array(vec![2, 2, 2], |i| i as u8));
    files[0] = encode_idx(&big);
    let e = parse_set(&files).unwrap_err().to_string();
    assert!(
        e.contains("train-images-idx3-ubyte: value 1e300 at element 5 (index [1, 0, 1]) is not a finite f32"),
        "{e}"
    );
}

#[test]
fn empty_sets_and_zero_sized_dimensions_are_refused() {
    // A test set of 0 images (before: loaded, and the run reported test accuracy 0).
    let mut files = idx_set(vec![0, 1, 2], u8_array(vec![2, 2, 2], |i| i as u8));
    files[2] = encode_idx(&u8_array(vec![0, 2, 2], |_| 0));
    files[3] = encode_idx(&u8_array(vec![0], |_| 0));
    let e = parse_set(&files).unwrap_err().to_string();
    assert!(
        e.contains("t10k-images-idx3-ubyte: dimensions [0, 2, 2]: dimension 0 is 0; expected every dimension ≥ 1"),
        "{e}"
    );
    // A training set of 0.
    let mut files = idx_set(vec![0, 1, 2], u8_array(vec![2, 2, 2], |i| i as u8));
    files[0] = encode_idx(&u8_array(vec![0, 2, 2], |_| 0));
    files[1] = encode_idx(&u8_array(vec![0], |_| 0));
    let e = parse_set(&files).unwrap_err().to_string();
    assert!(e.contains("train-images-idx3-ubyte: dimensions [0, 2, 2]: dimension 0 is 0"), "{e}");
    // Images of no values (before: "invalid input_dim" from the network, naming no file).
    let mut files = idx_set(vec![0, 1, 2], u8_array(vec![2, 2, 2], |i| i as u8));
    files[0] = encode_idx(&u8_array(vec![200, 0, 4], |_| 0));
    let e = parse_set(&files).unwrap_err().to_string();
    assert!(e.contains("train-images-idx3-ubyte: dimensions [200, 0, 4]: dimension 1 is 0"), "{e}");
    // Arrays built by a caller get the same check from `images_and_labels`.
    let img = u8_array(vec![0, 2], |_| 0);
    let lab = u8_array(vec![0], |_| 0);
    let e =
        actscope_data::mnist::images_and_labels("x", "memory", (Path::new("img"), &img), (Path::new("lab"), &lab), 10)
            .unwrap_err()
            .to_string();
    assert!(e.contains("img: images have dimensions [0, 2]: dimension 0 is 0"), "{e}");
}

#[test]
fn csv_lines_are_bounded() {
    // 16 MiB without a newline (before: read whole into memory; /dev/zero aborted the process).
    let text = "a,label\n".to_string() + &"0".repeat(16 << 20);
    let e = csv_err(&text);
    assert!(e.contains("t.csv: line 2: longer than 4194304 bytes without a newline"), "{}", &e[..e.len().min(300)]);
    // A device is refused before it is read (what_cannot_be_data_is_named_before_it_is_read).
    let zero = Path::new("/dev/zero");
    if zero.exists() {
        let e = actscope_data::csv::read_csv(zero, &LabelColumn::Name("label".into())).unwrap_err().to_string();
        assert!(e.contains("/dev/zero: not a regular file (a device, FIFO or socket); expected a CSV file"), "{e}");
    }
    let e = parse_csv(Path::new("t.csv"), Cursor::new(b"a,label\n1,\xff\n"), &LabelColumn::Name("label".into()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("t.csv: line 2: invalid UTF-8 at byte 3"), "{e}");
}

#[test]
fn io_errors_say_what_happened_once() {
    let missing = Path::new("/nonexistent-actscope/x.csv");
    let e = actscope_data::csv::read_csv(missing, &LabelColumn::Name("label".into())).unwrap_err();
    assert_eq!(chain(&e), "/nonexistent-actscope/x.csv: not found");
    let e = actscope_data::load("/nonexistent-actscope/x.csv", 0.1, false).unwrap_err();
    assert_eq!(chain(&e), "/nonexistent-actscope/x.csv: not found");
    let e = actscope_data::load("/nonexistent", 0.1, false).unwrap_err();
    assert!(chain(&e).contains("\"/nonexistent\" not found"), "{}", chain(&e));
    assert!(e.is_usage());
    // A directory in a file's place is named as one, once (it read "line 1: Is a directory").
    let dir = std::env::temp_dir().join(format!("actscope-dir-{}.csv", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let e = chain(&actscope_data::csv::read_csv(&dir, &LabelColumn::Name("label".into())).unwrap_err());
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(e.ends_with(".csv: a directory; expected a CSV file"), "{e}");
    assert!(!e.contains("os error"), "{e}");
}

#[test]
fn gzip_stops_at_the_size_its_header_declares() {
    // The header declares 8 bytes; concatenated gzip members then add 64 MiB of zeros.
    let zeros = gzip(&vec![0u8; 1 << 20]);
    let mut bomb = gzip(&encode_idx(&u8_array(vec![8], |i| i as u8)));
    for _ in 0..64 {
        bomb.extend_from_slice(&zeros);
    }
    let e = err_of(&bomb);
    assert!(
        e.contains("bad.idx: decompresses to more than 4112 bytes, but its header declares 16 (dimensions [8], header included)"),
        "{e}"
    );
    // A few stray bytes after the payload are still counted exactly.
    let mut stray = gzip(&encode_idx(&u8_array(vec![8], |i| i as u8)));
    stray.extend_from_slice(&gzip(&[7; 3]));
    assert!(err_of(&stray).contains("3 unexpected bytes after the payload"), "{}", err_of(&stray));
    // A header declaring more than the limit is refused before decompressing anything.
    let e = err_of(&gzip(&[0, 0, 0x0E, 2, 0, 1, 0, 0, 0, 1, 0, 0]));
    assert!(e.contains("dimensions [65536, 65536] declare more than 4294967296 bytes of f64 data"), "{e}");
}

fn idx_set(train_labels: Vec<u8>, test_images: IdxArray) -> Vec<Vec<u8>> {
    let n = train_labels.len();
    // Test labels: the first two training labels (a test class must occur in training).
    let test_labels = vec![train_labels[0], train_labels[1]];
    vec![
        encode_idx(&u8_array(vec![n, 2, 2], |i| (i * 3) as u8)),
        encode_idx(&IdxArray { dims: vec![n], data: IdxData::U8(train_labels) }),
        encode_idx(&test_images),
        encode_idx(&IdxArray { dims: vec![2], data: IdxData::U8(test_labels) }),
    ]
}

fn parse_set(files: &[Vec<u8>]) -> Result<actscope_data::Splits, actscope_data::Error> {
    parse_set_with(files, Classes::Exactly(10))
}

fn parse_set_with(files: &[Vec<u8>], classes: Classes) -> Result<actscope_data::Splits, actscope_data::Error> {
    let named: [(&Path, &[u8]); 4] = [0, 1, 2, 3].map(|i| (Path::new(ROLES[i]), files[i].as_slice()));
    parse_idx_set("tiny", "memory", named, classes)
}

#[test]
fn idx_sets_check_counts_labels_and_shapes() {
    let ok = parse_set(&idx_set(vec![0, 9, 3], u8_array(vec![2, 2, 2], |i| i as u8))).unwrap();
    assert_eq!((ok.train.len(), ok.test.len(), ok.train.shape.clone()), (3, 2, vec![2, 2]));
    assert!((ok.train.features[[0, 1]] - 3.0 / 255.0).abs() < 1e-7, "u8 pixels scale to [0, 1]");

    let mut files = idx_set(vec![0, 1, 2], u8_array(vec![2, 2, 2], |i| i as u8));
    files[1] = encode_idx(&u8_array(vec![4], |_| 1));
    let e = parse_set(&files).unwrap_err().to_string();
    assert!(e.contains("train-labels-idx1-ubyte: 4 labels for 3 images"), "{e}");

    let e = parse_set(&idx_set(vec![0, 12, 3], u8_array(vec![2, 2, 2], |i| i as u8))).unwrap_err().to_string();
    assert!(e.contains("label 12 at index 1 is out of range; expected 0..10"), "{e}");

    let e = parse_set(&idx_set(vec![0, 1, 2], u8_array(vec![2, 3, 3], |i| i as u8))).unwrap_err().to_string();
    assert!(e.contains("test images are [3, 3] but training images are [2, 2]"), "{e}");
}

/// Any IDX set, not only the MNIST family's ten classes: the count comes from the labels (it had been fixed
/// at 10, so EMNIST Balanced's 47 classes were refused as out of range, and three classes trained seven
/// phantom outputs).
#[test]
fn idx_sets_count_their_classes_from_the_labels() {
    let infer = |files: &[Vec<u8>]| {
        let named: [(&Path, &[u8]); 4] = [0, 1, 2, 3].map(|i| (Path::new(ROLES[i]), files[i].as_slice()));
        parse_idx_set("tiny", "memory", named, Classes::FromLabels)
    };
    let images = |n| u8_array(vec![n, 2, 2], |i| i as u8);
    // 47 classes, as EMNIST Balanced.
    let s = infer(&idx_set((0..47).collect(), images(2))).unwrap();
    assert_eq!((s.train.classes, s.test.classes), (47, 47));
    // Numbered from 1, as EMNIST Letters: class 0 is empty.
    let s = infer(&idx_set((1..=26).collect(), images(2))).unwrap();
    assert_eq!(s.train.classes, 27);
    // Three classes are three outputs.
    let s = infer(&idx_set(vec![0, 1, 2, 1], images(2))).unwrap();
    assert_eq!(s.train.classes, 3);
    // The same set with the count given agrees with the count inferred on the MNIST family's labels.
    assert_eq!(infer(&idx_set((0..10).collect(), images(2))).unwrap(), {
        let files = idx_set((0..10).collect(), images(2));
        parse_set(&files).unwrap()
    });
    // Sparse labels are refused, naming the file and index of the largest label.
    let e = infer(&idx_set(vec![0, 1, 200], images(2))).unwrap_err().to_string();
    assert!(
        e.contains(
            "train-labels-idx1-ubyte: at index 2, label 200 makes 201 classes (0..201) but only 3 of them occur"
        ),
        "{e}"
    );
    // Beyond the most classes counted, and negative labels, name the label.
    let big = IdxArray { dims: vec![2], data: IdxData::I32(vec![0, 20_000]) };
    let mut files = idx_set(vec![0, 1], images(2));
    files[1] = encode_idx(&big);
    let e = infer(&files).unwrap_err().to_string();
    assert!(e.contains("label 20000 at index 1 is out of range; expected 0..10000"), "{e}");
    let mut files = idx_set(vec![0, 1], images(2));
    files[1] = encode_idx(&IdxArray { dims: vec![2], data: IdxData::I8(vec![0, -1]) });
    let e = infer(&files).unwrap_err().to_string();
    assert!(e.contains("label -1 at index 1 is out of range"), "{e}");
}

#[test]
fn directories_need_the_four_files() {
    let dir = std::env::temp_dir().join(format!("actscope-idx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files = idx_set(vec![0, 1, 2], u8_array(vec![2, 2, 2], |i| i as u8));
    let names = [
        "train-images-idx3-ubyte.gz",
        "train-labels.idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte.gz",
    ];
    for (i, (name, bytes)) in names.iter().zip(&files).enumerate() {
        let data = if name.ends_with(".gz") { gzip(bytes) } else { bytes.clone() };
        if i < 3 {
            std::fs::write(dir.join(name), data).unwrap();
        }
    }
    let e = load_idx_dir(&dir, Classes::Exactly(10)).unwrap_err().to_string();
    assert!(e.contains("no t10k-labels-idx1-ubyte file; expected one of"), "{e}");
    std::fs::write(dir.join(names[3]), gzip(&files[3])).unwrap();
    // 0 classes is named as such (it had read "label 0 at index 0 is out of range; expected 0..0").
    let e = load_idx_dir(&dir, Classes::Exactly(0)).unwrap_err().to_string();
    assert!(e.contains("invalid classes: must be ≥ 1, got 0"), "{e}");
    let named: [(&Path, &[u8]); 4] = [0, 1, 2, 3].map(|i| (Path::new(ROLES[i]), files[i].as_slice()));
    let e = parse_idx_set("tiny", "memory", named, Classes::Exactly(0)).unwrap_err().to_string();
    assert!(e.contains("invalid classes: must be ≥ 1, got 0"), "{e}");
    let s = load_idx_dir(&dir, Classes::Exactly(10)).unwrap();
    assert_eq!(s.train.len(), 3);
    assert_eq!(s.checksum.len(), 64);
    let e = load_idx_dir(&dir.join("missing"), Classes::Exactly(10)).unwrap_err().to_string();
    assert!(e.contains("not a directory"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn csv_loads_and_reports_line_and_column() {
    let csv = "a,b,label\n1,2.5,0\n\n-3,4e-1,2\n";
    let d = parse_csv(Path::new("t.csv"), Cursor::new(csv), &LabelColumn::Name("label".into())).unwrap();
    assert_eq!((d.len(), d.dim(), d.classes), (2, 2, 3));
    assert_eq!(d.labels, vec![0, 2]);
    assert_eq!(d.features[[1, 1]], 0.4);
    let by_index = parse_csv(Path::new("t.csv"), Cursor::new("y,x\n1,\"7\"\n"), &LabelColumn::Index(0)).unwrap();
    assert_eq!((by_index.labels.clone(), by_index.features[[0, 0]]), (vec![1], 7.0));

    let err =
        |text: &str, col: LabelColumn| parse_csv(Path::new("t.csv"), Cursor::new(text), &col).unwrap_err().to_string();
    let label = || LabelColumn::Name("label".into());
    assert!(err("a,label\n1,0\nx,1\n", label()).contains("t.csv: line 3, column 1 (a): \"x\" is not a finite number"));
    // Finite, but beyond what an f32 holds: said so (it was called "not a finite number").
    let m = err("a,label\n1,0\n1e39,1\n", label());
    assert!(m.contains("line 3, column 1 (a): \"1e39\" is outside the range of 32-bit floats (±3.4028235e38)"), "{m}");
    assert!(err("a,label\n1,0\ninf,1\n", label()).contains("\"inf\" is not a finite number"));
    assert!(err("a,label\n1,0\n2\n", label()).contains("line 3: 1 cells; the header has 2 columns"));
    assert!(err("a,label\n1,-1\n", label()).contains("label \"-1\" is not a non-negative integer"));
    assert!(err("a,label\n1,NaN\n", label()).contains("not a non-negative integer"));
    assert!(err("", label()).contains("empty file"));
    assert!(err("a,b\n1,2\n", label()).contains("no column named \"label\"; the header has: a, b"));
    assert!(err("a,b\n", LabelColumn::Index(5)).contains("past the last column"));
    assert!(err("a,label\n", label()).contains("no data rows"));
}

#[test]
fn split_is_stratified_deterministic_and_disjoint() {
    let data = synthetic::teacher(1000, 5, 4, 1, 2);
    let (tr, va) = split_train_val(&data, 0.2, 7).unwrap();
    assert_eq!(tr.len() + va.len(), 1000);
    for (c, (&all, &v)) in data.class_counts().iter().zip(&va.class_counts()).enumerate() {
        assert_eq!(v, (all as f64 * 0.2).round() as usize, "class {c}");
    }
    let (tr2, va2) = split_train_val(&data, 0.2, 7).unwrap();
    assert_eq!((tr.clone(), va.clone()), (tr2, va2));
    let rows = |d: &actscope_data::Dataset| d.features.rows().into_iter().map(|r| r.to_vec()).collect::<Vec<_>>();
    let train_rows = rows(&tr);
    assert!(rows(&va).iter().all(|r| !train_rows.contains(r)), "no example in both parts");
    assert_ne!(split_train_val(&data, 0.2, 8).unwrap().1, va, "another seed, another split");
    assert!(split_train_val(&data, 1.0, 7).is_err());
    assert_eq!(tr.name, "synthetic:teacher/train");
    // The consuming form reuses the buffer and gives the same parts, also for an owned array that does
    // not start at its buffer (a sliced one) and for a non-standard layout.
    assert_eq!(split_train_val_owned(data.clone(), 0.2, 7).unwrap(), (tr.clone(), va.clone()));
    let mut sliced = data.clone();
    let mut padded = ndarray::Array2::<f32>::zeros((1001, 5));
    padded.slice_mut(ndarray::s![1.., ..]).assign(&data.features);
    sliced.features = padded.slice_move(ndarray::s![1.., ..]);
    assert_eq!(split_train_val_owned(sliced, 0.2, 7).unwrap(), (tr.clone(), va.clone()));
    let mut transposed = data.clone();
    transposed.features = ndarray::Array2::zeros(ndarray::ShapeBuilder::f((1000, 5)));
    transposed.features.assign(&data.features);
    assert!(!transposed.features.is_standard_layout());
    assert_eq!(split_train_val_owned(transposed, 0.2, 7).unwrap(), (tr, va));
}

#[test]
fn standardizer_fits_on_train_only() {
    let mut train = synthetic::gaussian(500, 3, 1);
    train.features.column_mut(0).mapv_inplace(|v| 5.0 + 2.0 * v);
    train.features.column_mut(2).fill(1.0);
    let mut test = train.head("test", 10);
    let s = Standardizer::fit(&train).unwrap();
    s.apply(&mut train).unwrap();
    for j in 0..2 {
        let col = train.features.column(j);
        let (m, v) = (col.mean().unwrap(), col.mapv(|x| x * x).mean().unwrap());
        assert!(m.abs() < 1e-5 && (v - 1.0).abs() < 1e-4, "feature {j}: mean {m}, var {v}");
    }
    assert!(train.features.column(2).iter().all(|&v| v == 0.0), "a constant feature maps to 0");
    s.apply(&mut test).unwrap();
    assert_eq!(test.features.row(0), train.features.row(0), "the test set uses the training statistics");
}

/// A value that is not finite, or no example at all, is an error naming it (the fit had given a NaN mean,
/// or a mean of 0 and a spread of 1 for an empty set, without a word).
#[test]
fn standardizer_refuses_values_it_cannot_fit() {
    for bad in [f32::NAN, f32::INFINITY] {
        let mut train = synthetic::gaussian(20, 3, 1);
        train.features[[4, 2]] = bad;
        let e = Standardizer::fit(&train).unwrap_err().to_string();
        assert!(e.contains(&format!("synthetic:gaussian: feature 2 of example 4 is {bad}; expected finite")), "{e}");
    }
    let empty = synthetic::gaussian(0, 3, 1);
    let e = Standardizer::fit(&empty).unwrap_err().to_string();
    assert!(e.contains("no examples to fit the standardisation on"), "{e}");
}

/// A spread or noise that is not a finite number ≥ 0 is a (documented) panic naming it (clusters had made
/// every feature NaN).
#[test]
fn synthetic_sets_refuse_a_spread_that_is_not_a_number() {
    for spread in [f64::NAN, f64::INFINITY, -0.5] {
        let e = std::panic::catch_unwind(|| synthetic::clusters(10, 5, 2, spread, 1, 1)).unwrap_err();
        let m = e.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(m.contains(&format!("spread {spread}; expected a finite number ≥ 0")), "{m}");
        let e = std::panic::catch_unwind(|| synthetic::two_spirals(10, spread, 1)).unwrap_err();
        let m = e.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(m.contains(&format!("noise {spread}; expected a finite number ≥ 0")), "{m}");
    }
    assert!(synthetic::clusters(10, 5, 2, 0.0, 1, 1).features.iter().all(|v| v.is_finite()));
}

#[test]
fn synthetic_sets_are_seeded() {
    assert_eq!(synthetic::two_spirals(100, 0.1, 3), synthetic::two_spirals(100, 0.1, 3));
    assert_ne!(synthetic::two_spirals(100, 0.1, 3), synthetic::two_spirals(100, 0.1, 4));
    let s = synthetic::two_spirals(100, 0.0, 3);
    assert_eq!(s.class_counts(), vec![50, 50]);
    let g = synthetic::gaussian(20_000, 2, 5);
    let m = g.features.mean().unwrap();
    let v = g.features.mapv(|x| x * x).mean().unwrap();
    assert!(m.abs() < 0.02 && (v - 1.0).abs() < 0.03, "N(0, 1): mean {m}, var {v}");
    let a = synthetic::teacher(50, 4, 3, 9, 1);
    let b = synthetic::teacher(80, 4, 3, 9, 1);
    assert_eq!(a.labels[..], b.labels[..50], "same teacher and sample seed, longer draw");
}

#[test]
fn csv_spec_with_too_few_rows_names_the_file() {
    let path = std::env::temp_dir().join(format!("actscope-few-{}.csv", std::process::id()));
    std::fs::write(&path, "a,label\n1,0\n2,1\n").unwrap();
    let e = actscope_data::load(path.to_str().unwrap(), 0.1, false).unwrap_err().to_string();
    std::fs::remove_file(&path).unwrap();
    assert!(e.contains("actscope-few-") && e.contains("2 rows are too few to hold out 0.2 of them"), "{e}");
}

/// `check` finds what `load` would find, without reading it, and fails with `load`'s own error where
/// `load` cannot find the data (a sweep checks its data this way before any run).
#[test]
fn check_finds_what_load_finds_with_the_same_errors() {
    let dir = std::env::temp_dir().join(format!("actscope-data-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("d.csv");
    std::fs::write(&csv, "a,label\n0.5,1\n").unwrap();
    let other = dir.join("d.txt");
    std::fs::write(&other, "").unwrap();
    for spec in ["embedded", "synthetic:spirals", &csv.display().to_string(), &format!("{}#label", csv.display())] {
        actscope_data::check(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
    }
    let missing_csv = dir.join("missing.csv").display().to_string();
    for spec in ["synthetic:nope", "/nonexistent/idx", &missing_csv, &other.display().to_string()] {
        let c = actscope_data::check(spec).expect_err(spec).to_string();
        let l = actscope_data::load(spec, 0.1, false).expect_err(spec).to_string();
        assert_eq!(c, l, "{spec}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A set whose test images are of another type than its training images is refused: u8 pixels are scaled to
/// [0, 1] and other types taken as they are, so the test set was on a 255 times larger scale (a user's test
/// loss was 90 where it had been 0.8).
#[test]
fn train_and_test_images_of_two_types_are_refused() {
    let f32_test = IdxArray { dims: vec![2, 2, 2], data: IdxData::F32((0..8).map(|i| i as f32).collect()) };
    let e = parse_set(&idx_set(vec![0, 1, 2], f32_test)).unwrap_err().to_string();
    assert!(
        e.contains("t10k-images-idx3-ubyte: test images are f32 but training images (train-images-idx3-ubyte) are u8"),
        "{e}"
    );
}

/// Training labels of one class, and test classes the training set lacks, are refused (they had loaded
/// without a word: a one-class set trained to accuracy 1.0).
#[test]
fn idx_sets_need_two_classes_and_every_test_class_in_training() {
    // With the count given and counted alike: a single class 4 is named as one class, not as labels too sparse
    // to count classes by (0..=4 with one of them present), which the counting had said first.
    for classes in [Classes::Exactly(10), Classes::FromLabels] {
        let one = idx_set(vec![4, 4, 4], u8_array(vec![2, 2, 2], |i| i as u8));
        let e = parse_set_with(&one, classes).unwrap_err().to_string();
        assert!(e.contains("train-labels-idx1-ubyte: every training label is 4; expected at least two classes"), "{e}");
        let mut files = idx_set(vec![0, 1, 2], u8_array(vec![2, 2, 2], |i| i as u8));
        files[3] = encode_idx(&IdxArray { dims: vec![2], data: IdxData::U8(vec![1, 9]) });
        let e = parse_set_with(&files, classes).unwrap_err().to_string();
        assert!(
            e.contains("t10k-labels-idx1-ubyte: class 9 occurs 1 times in the test labels but never in the training"),
            "{e}"
        );
        // A labels file of the wrong length is named as such, whatever its labels.
        let mut files = idx_set(vec![0, 1, 200], u8_array(vec![2, 2, 2], |i| i as u8));
        files[1] = encode_idx(&IdxArray { dims: vec![4], data: IdxData::U8(vec![0, 1, 200, 3]) });
        let e = parse_set_with(&files, classes).unwrap_err().to_string();
        assert!(e.contains("train-labels-idx1-ubyte: 4 labels for 3 images"), "{e}");
    }
}

/// The checksum is of the contents: a raw and a gzipped copy of one set, or two gzip encodings of it, have one
/// checksum (it had been of the stored bytes, so the report could not show two runs used the same data).
#[test]
fn the_checksum_is_of_the_contents_not_of_their_compression() {
    let files = idx_set(vec![0, 1, 2], u8_array(vec![2, 2, 2], |i| i as u8));
    let raw = parse_set(&files).unwrap().checksum;
    let gz = parse_set(&files.iter().map(|f| gzip(f)).collect::<Vec<_>>()).unwrap().checksum;
    // Two members instead of one: the same bytes, another encoding.
    let split: Vec<Vec<u8>> = files.iter().map(|f| [gzip(&f[..3]), gzip(&f[3..])].concat()).collect();
    assert_eq!(raw, gz);
    assert_eq!(raw, parse_set(&split).unwrap().checksum);
    let other = idx_set(vec![0, 1, 1], u8_array(vec![2, 2, 2], |i| i as u8));
    assert_ne!(raw, parse_set(&other).unwrap().checksum, "other contents, other checksum");
}

/// Bytes after a gzip stream: zeros are ignored (tape padding, as gzip does); anything else is an error that
/// says so (it had said "unexpected end of file", or "invalid gzip header" for the zeros). A damaged member
/// says its CRC does not match, once.
#[test]
fn bytes_after_a_gzip_stream_and_bad_crcs_are_named() {
    let raw = encode_idx(&u8_array(vec![8], |i| i as u8));
    let mut padded = gzip(&raw);
    padded.extend_from_slice(&[0; 16]);
    assert_eq!(parse_idx(Path::new("x.gz"), &padded).unwrap(), parse_idx(Path::new("x"), &raw).unwrap());
    let mut junk = gzip(&raw);
    junk.extend_from_slice(b"JUNKJUNK");
    let e = err_of(&junk);
    assert!(e.contains("bad.idx: 8 bytes after the end of the gzip stream are not gzip data"), "{e}");
    let mut bad_crc = gzip(&raw);
    let at = bad_crc.len() - 8;
    bad_crc[at] ^= 0xff;
    let e = err_of(&bad_crc);
    assert!(e.contains("its CRC-32 does not match the decompressed data"), "{e}");
    assert_eq!(e.matches("corrupt gzip stream").count(), 1, "{e}");
}

/// One file under two of its names (raw and gzipped, or `-idx3-ubyte` and `.idx3-ubyte`) is refused: one of
/// them had been picked without a word.
#[test]
fn a_file_under_two_names_is_refused() {
    let dir = std::env::temp_dir().join(format!("actscope-idx-two-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files = idx_set(vec![0, 1, 2], u8_array(vec![2, 2, 2], |i| i as u8));
    for (role, bytes) in ROLES.iter().zip(&files) {
        std::fs::write(dir.join(role), bytes).unwrap();
    }
    assert!(load_idx_dir(&dir, Classes::Exactly(10)).is_ok());
    std::fs::write(dir.join("train-images-idx3-ubyte.gz"), gzip(&files[0])).unwrap();
    let e = load_idx_dir(&dir, Classes::Exactly(10)).unwrap_err().to_string();
    assert!(
        e.contains(
            "2 files could be the train-images-idx3-ubyte file: train-images-idx3-ubyte, train-images-idx3-ubyte.gz"
        ),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A validation split that leaves a part empty says why: it is stratified, so each class rounds its own
/// share (3 examples per class at 0.1 give none), where the message had read "0.1 of 30 examples leaves an
/// empty training or validation set".
#[test]
fn an_empty_split_says_each_class_rounds_its_own_share() {
    let data = actscope_core::Dataset::new(
        "tiny",
        "memory",
        ndarray::Array2::zeros((30, 2)),
        (0..30).map(|i| i % 10).collect(),
        10,
    )
    .unwrap();
    let e = split_train_val(&data, 0.1, 7).unwrap_err().to_string();
    assert!(e.contains("leaves the validation set empty: the split is stratified"), "{e}");
    assert!(e.contains("the classes here have 3 examples each"), "{e}");
}

/// Synthetic sets of 0 classes are refused as `Dataset::new` refuses them (they had been built with labels
/// outside 0..0).
#[test]
fn synthetic_sets_need_a_class() {
    assert!(std::panic::catch_unwind(|| synthetic::clusters(10, 5, 0, 0.5, 1, 1)).is_err());
    assert!(std::panic::catch_unwind(|| synthetic::teacher(10, 5, 0, 1, 1)).is_err());
    assert_eq!(synthetic::clusters(10, 5, 1, 0.5, 1, 1).classes, 1);
}

/// What a data path names but cannot be read as data is refused by name, without reading it: a link to
/// `/dev/zero` as a CSV (it was read until memory ran out), a directory or a link to nothing in an IDX set's
/// place (they were reported as missing). A CSV's checksum is of the bytes parsed, hashed as they stream.
#[test]
fn what_cannot_be_data_is_named_before_it_is_read() {
    let dir = std::env::temp_dir().join(format!("actscope-not-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    #[cfg(unix)]
    {
        let zero = dir.join("zero.csv");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let e = actscope_data::load(zero.to_str().unwrap(), 0.1, false).unwrap_err().to_string();
        assert!(e.ends_with("zero.csv: not a regular file (a device, FIFO or socket); expected a CSV file"), "{e}");
        // A sweep's check before any run says the same.
        let e = actscope_data::check(zero.to_str().unwrap()).unwrap_err().to_string();
        assert!(e.ends_with("zero.csv: not a regular file (a device, FIFO or socket); expected a CSV file"), "{e}");
        let set = dir.join("set");
        std::fs::create_dir_all(set.join("train-images-idx3-ubyte")).unwrap();
        let e = load_idx_dir(&set, Classes::Exactly(10)).unwrap_err().to_string();
        assert!(e.ends_with("train-images-idx3-ubyte: a directory; expected the train-images-idx3-ubyte file"), "{e}");
        std::fs::remove_dir(set.join("train-images-idx3-ubyte")).unwrap();
        std::os::unix::fs::symlink(dir.join("gone"), set.join("train-images-idx3-ubyte.gz")).unwrap();
        let e = load_idx_dir(&set, Classes::Exactly(10)).unwrap_err().to_string();
        assert!(e.contains("a symbolic link to a file that does not exist; expected the train-images"), "{e}");
    }
    // Over 64 KiB: hashed across many reads of the buffered reader.
    let text: String = "a,b,label\n".to_string()
        + &(0..6000).map(|i| format!("{},{},{}\n", i as f32 / 6000.0, i % 7, i % 2)).collect::<String>();
    assert!(text.len() > 64 << 10);
    let csv = dir.join("d.csv");
    std::fs::write(&csv, &text).unwrap();
    let (data, hash) = actscope_data::csv::read_csv_hashed(&csv, &LabelColumn::Name("label".into())).unwrap();
    assert_eq!(data.len(), 6000);
    let want: String =
        <sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hash, want);
    assert_eq!(actscope_data::load(csv.to_str().unwrap(), 0.1, false).unwrap().checksum, want);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Damaged or mistaken compression is named: a gzip stream of nothing (it read "empty file"), another
/// format's bytes (xz: "bad magic 0xfd37" alone), and a stream damaged near its start, which decodes to an
/// absurd header before its CRC could be checked.
#[test]
fn compression_problems_are_named() {
    let e = err_of(&gzip(&[]));
    assert!(e.contains("its gzip stream decompresses to no bytes; expected an IDX header"), "{e}");
    let e = err_of(&[0xfd, b'7', b'z', b'X', b'Z', 0, 1, 2]);
    assert!(e.contains("bad magic 0xfd37 (the start of xz-compressed data)"), "{e}");
    // A header refused as decompressed says where it came from (a damaged stream reads as such garbage).
    let absurd = gzip(&[0, 0, 8, 3, 0xff, 0xff, 0xff, 0xfb, 0xff, 0xff, 0xff, 0xfb, 0xff, 0xff, 0xff, 0xfb]);
    let e = err_of(&absurd);
    assert!(
        e.contains("declare more than") && e.contains("(as decompressed from its gzip stream: if `gzip -t`"),
        "{e}"
    );
}

/// CSV mistakes a user makes are named as what they are: a quote left open (it read "… is not a finite
/// number" of the cells run together), two columns with the label's name (the first was used without a
/// word), and a file separated by semicolons or tabs (it read only "no column named label").
#[test]
fn csv_mistakes_are_named() {
    let e = csv_err("a,b,label\n0.1,\"0.2,0.3,1\n");
    assert!(e.contains("t.csv: line 2: a quote opened at byte 5 is never closed"), "{e}");
    // An escaped quote inside quotes is closed.
    let ok = parse_csv(
        Path::new("t.csv"),
        Cursor::new("a,\"b\"\"\",label\n0.1,0.2,1\n"),
        &LabelColumn::Name("label".into()),
    );
    assert!(ok.is_ok(), "{ok:?}");
    let e = csv_err("a,label,b,label\n0.1,0,0.3,1\n");
    assert!(e.contains("columns 2, 4 (counted from 1) are all named \"label\"; expected one label column"), "{e}");
    assert!(e.contains("choose one by its index, counted from 0: t.csv#1 or t.csv#3)"), "{e}");
    // The quote named is the one left open, not an escaped one after it.
    let e = csv_err("a,b,label\n0.1,\"6\"\" tall,1\n");
    assert!(e.contains("line 2: a quote opened at byte 5 is never closed"), "{e}");
    let by_index = |text: &str, i: usize| {
        parse_csv(Path::new("t.csv"), Cursor::new(text), &LabelColumn::Index(i)).unwrap_err().to_string()
    };
    assert!(by_index("a;b;label\n0.1;0.2;1\n", 2).contains("holding semicolons"));
    assert!(by_index("a;b;label\n0.1;0.2;1\n", 0).contains("holding semicolons"));
    let e = csv_err("a;b;label\n0.1;0.2;1\n");
    assert!(e.contains("the header is one column holding semicolons: the separator is `,`"), "{e}");
    let e = csv_err("a\tb\tlabel\n0.1\t0.2\t1\n");
    assert!(e.contains("holding tabs"), "{e}");
}

/// A `val_fraction` refused for what it does to this data names the data (it read as if the setting were
/// wrong for any data, with no file named).
#[test]
fn a_split_refused_for_the_data_names_the_data() {
    let path = std::env::temp_dir().join(format!("actscope-small-{}.csv", std::process::id()));
    let text: String = "a,label\n".to_string() + &(0..20).map(|i| format!("{i},{}\n", i % 2)).collect::<String>();
    std::fs::write(&path, text).unwrap();
    let spec = path.to_str().unwrap();
    let e = actscope_data::load(spec, 0.01, false).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert!(e.is_usage());
    let e = e.to_string();
    assert!(e.starts_with("invalid val_fraction: ") && e.ends_with(&format!("(data {spec:?})")), "{e}");
}

/// A raw IDX file longer than its header declares is refused from its length, with the error parsing it
/// whole gives, before the rest is read (a 1 GB file declaring 1,616 bytes was read whole first).
#[test]
fn a_raw_file_longer_than_declared_is_refused_before_it_is_read() {
    let dir = std::env::temp_dir().join(format!("actscope-long-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut bytes = encode_idx(&u8_array(vec![100, 4, 4], |i| i as u8));
    bytes.extend([0u8; 5]);
    let small = dir.join("small-idx3-ubyte");
    std::fs::write(&small, &bytes).unwrap();
    let e = actscope_data::idx::read_idx_bytes(&small).unwrap_err().to_string();
    assert_eq!(e, parse_idx(&small, &bytes).unwrap_err().to_string());
    assert!(e.ends_with("5 unexpected bytes after the payload: dimensions [100, 4, 4] need exactly 1600 bytes"), "{e}");
    // 1 GiB, sparse: refused from its length.
    let big = dir.join("big-idx3-ubyte");
    let f = std::fs::File::create(&big).unwrap();
    std::io::Write::write_all(&mut &f, &bytes[..1616]).unwrap();
    f.set_len(1 << 30).unwrap();
    let e = actscope_data::idx::read_idx_bytes(&big).unwrap_err().to_string();
    assert!(
        e.ends_with(&format!(
            "{} unexpected bytes after the payload: dimensions [100, 4, 4] need exactly 1600 bytes",
            (1u64 << 30) - 1616
        )),
        "{e}"
    );
    // Exact files and gzip files are read whole, as before; a directory is refused by name.
    std::fs::write(&small, &bytes[..1616]).unwrap();
    assert_eq!(actscope_data::idx::read_idx_bytes(&small).unwrap(), &bytes[..1616]);
    let gz = dir.join("small-idx3-ubyte.gz");
    std::fs::write(&gz, gzip(&bytes)).unwrap();
    assert_eq!(actscope_data::idx::read_idx_bytes(&gz).unwrap(), gzip(&bytes));
    let e = actscope_data::idx::read_idx_bytes(&dir).unwrap_err().to_string();
    assert!(e.ends_with(": a directory; expected an IDX file"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
