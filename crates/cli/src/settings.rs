//! Every run setting as the command line shows it, generated from the one list of settings
//! ([`actscope_lab::config::KEYS`], defaults from `RunConfig::default()`): `actscope config --list`, the
//! help of `train`'s setting flags and the list at the end of `train --help`.

use actscope_lab::config::{Setting, settings};

/// The hidden widths `train` uses when neither `hidden` nor `depth` is given (a sweep file must give one).
pub const TRAIN_HIDDEN: [usize; 3] = [100, 100, 100];

/// A setting's default as `train` has it: [`TRAIN_HIDDEN`] for `hidden`, else the configuration's.
pub fn train_default(s: &Setting) -> String {
    if s.key.name == "hidden" { TRAIN_HIDDEN.map(|w| w.to_string()).join(",") } else { s.default_text() }
}

/// `actscope config --list`: one line per setting (key, type, default, meaning), aligned, with a header.
pub fn list_text(settings: &[Setting]) -> String {
    let rows: Vec<[String; 4]> = settings
        .iter()
        .map(|s| [s.key.name.to_string(), s.key.kind.to_string(), s.default_text(), s.key.meaning.to_string()])
        .collect();
    let header = ["KEY", "TYPE", "DEFAULT", "MEANING"].map(String::from);
    let mut widths = [0usize; 3];
    for r in std::iter::once(&header).chain(&rows) {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in std::iter::once(&header).chain(&rows) {
        out.push_str(&format!(
            "{:<a$}  {:<b$}  {:<c$}  {}\n",
            r[0],
            r[1],
            r[2],
            r[3],
            a = widths[0],
            b = widths[1],
            c = widths[2]
        ));
    }
    out.push_str(&format!(
        "(a sweep file's [base] or --config FILE sets any of them, `train --set KEY=VALUE` too; `train` uses \
         hidden = [{}] when neither hidden nor depth is given)\n",
        TRAIN_HIDDEN.map(|w| w.to_string()).join(", ")
    ));
    out
}

/// The list at the end of `train --help`: every setting with its type, default and meaning.
fn help_text(settings: &[Setting]) -> String {
    let mut out = String::from(
        "Settings (any of them in --config FILE or as --set KEY=VALUE; the flags above set the common ones; \
         `actscope config --list --json` gives this list to programs):\n",
    );
    for s in settings {
        out.push_str(&format!(
            "  {} = {}  ({})\n          {}\n",
            s.key.name,
            train_default(s),
            s.key.kind,
            s.key.meaning
        ));
    }
    out
}

/// A setting's meaning as the `train` flag that sets it has it: `--hidden` is refused together with a depth,
/// as the settings `hidden` and `depth` are together.
fn flag_meaning(s: &Setting) -> String {
    if s.key.name == "hidden" {
        "hidden widths, input side first (not together with depth from --config or --set)".to_string()
    } else {
        s.key.meaning.to_string()
    }
}

/// Sharpens `train`'s help from the settings list: each flag that sets a setting says what it means and
/// its default, and `--help` ends with every setting.
pub fn with_settings_help(train: clap::Command) -> clap::Command {
    let all = settings();
    let mut cmd = train;
    for s in &all {
        if cmd.get_arguments().any(|a| a.get_id() == s.key.name) {
            let mut meaning = flag_meaning(s);
            if let Some(first) = meaning.get(..1) {
                meaning.replace_range(..1, &first.to_uppercase());
            }
            let help = format!("{meaning} [default: {}]", train_default(s));
            cmd = cmd.mut_arg(s.key.name, |a| a.help(help));
        }
    }
    cmd.after_long_help(help_text(&all))
}
