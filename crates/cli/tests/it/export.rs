//! `actscope export table|tensorboard`: files written, messages and exit codes.

use std::path::Path;

use crate::cli::{run, tmp};

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Trains two small runs into `d/r` that differ in activation and placement.
fn two_runs(d: &Path) {
    for extra in [&["--activation", "relu"][..], &["--activation", "tanh", "--placement", "before"]] {
        let mut args = vec![
            "train",
            "--data",
            "synthetic:spirals",
            "--hidden",
            "8",
            "--steps",
            "20",
            "--set",
            "probe_size=40",
            "-q",
        ];
        args.extend_from_slice(extra);
        args.extend(["--out", "r"]);
        let o = run(&args, d);
        assert!(o.status.success(), "{}", stderr(&o));
    }
}

#[test]
fn export_writes_a_table_and_event_files_for_every_run_of_a_directory() {
    let d = tmp("export");
    two_runs(&d);
    let o = run(&["export", "table", "r", "--out", "out/layers.csv"], &d);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("rows (layer level) from 2 runs → out/layers.csv"), "{}", stderr(&o));
    let text = std::fs::read_to_string(d.join("out/layers.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("run,activation,placement,depth,hidden,optimizer,lr,seed,status,step,epoch"),
        "{header}"
    );
    let rows: Vec<&str> = lines.collect();
    assert!(rows.iter().any(|r| r.starts_with("relu-none-d1")) && rows.iter().any(|r| r.starts_with("tanh-before-d1")));
    let o = run(&["export", "table", "r", "--level", "run", "--out", "runs.csv", "-q"], &d);
    assert!(o.status.success() && o.stderr.is_empty(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(d.join("runs.csv")).unwrap().lines().count(), 3);

    let o = run(&["export", "tensorboard", "r", "--out", "tb"], &d);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("for 2 runs → tb") && stderr(&o).contains("tensorboard --logdir tb"), "{}", stderr(&o));
    for run_dir in std::fs::read_dir(d.join("r")).unwrap() {
        let name = run_dir.unwrap().file_name();
        let files: Vec<String> = std::fs::read_dir(d.join("tb").join(&name))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        assert!(files[0].starts_with("events.out.tfevents."), "{files:?}");
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn export_errors_name_the_path_and_exit_2() {
    let d = tmp("export-errors");
    std::fs::create_dir_all(d.join("empty")).unwrap();
    // A runs directory that does not exist is a runtime error (exit 1), as summarize and plot have it.
    for cmd in ["table", "tensorboard"] {
        let o = run(&["export", cmd, "nowhere", "--out", "t.csv"], &d);
        assert_eq!(o.status.code(), Some(1), "{cmd}: {}", stderr(&o));
        assert!(stderr(&o).contains("reading nowhere: not found"), "{cmd}: {}", stderr(&o));
    }
    let cases: [(&[&str], &str); 4] = [
        (&["export", "tensorboard", "empty", "--out", "tb"], "empty: holds no finished run"),
        (
            &["export", "table", "empty", "--out", "t.csv", "--level", "layers"],
            "[possible values: run, eval, checkpoint, layer, step]",
        ),
        (&["export", "table", "empty"], "--out <OUT>"),
        (&["export", "parquet", "empty"], "unrecognized subcommand 'parquet'"),
    ];
    for (args, needle) in cases {
        let o = run(args, &d);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
    assert!(!d.join("t.csv").exists() && !d.join("tb").exists());
    // A file that cannot be created is named as given, not by the temporary name it is written under.
    if cfg!(target_os = "linux") {
        two_runs(&d);
        let o = run(&["export", "table", "r", "--out", "/proc/x.csv"], &d);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(stderr(&o).contains("creating /proc/x.csv: "), "{}", stderr(&o));
        assert!(!stderr(&o).contains(".tmp-"), "{}", stderr(&o));
    }
    std::fs::remove_dir_all(&d).unwrap();
}
