//! The diagnosis page, written once as blocks of plain text and rendered to HTML and Markdown, with every
//! string escaped for its format (`crate::report::write::{esc, md}`), model and layer names included.

use std::fmt::Write;

use actscope_metrics::stats::Describe;

use super::diagnose::{DEAD_SHARE, Diagnosis, EXPLODING_RATIO, SATURATED_RATE, VANISHING_RATIO};
use crate::report::verdict::ALPHA;
use crate::report::write::{CSS, esc, fmt_effect, fmt_p, md};
use crate::words::plural;

/// A block of the page.
#[derive(Clone, Debug)]
pub enum Block {
    /// A heading of level 1–3.
    Heading(u8, String),
    /// A paragraph.
    Para(String),
    /// A bulleted list.
    List(Vec<String>),
    /// A table: header and rows.
    Table(Vec<String>, Vec<Vec<String>>),
    /// A figure: the image's path relative to the page, and its caption.
    Figure(String, String),
}

/// The values a metric can take: an interval over seeds is cut to them (a Student-t interval is symmetric
/// and reached below 0% for a share near 0; the true value lies within the range, so cutting keeps the
/// coverage).
type Range = (f64, f64);

/// Shares (saturation, dead units).
const SHARE: Range = (0.0, 1.0);
/// Losses and gradient-norm ratios.
const NON_NEGATIVE: Range = (0.0, f64::INFINITY);

/// "mean [low, high]" over seeds with each number written by `f` (the mean alone for one seed), the
/// interval cut to `range`.
fn interval(d: &Describe, range: Range, f: impl Fn(f64) -> String) -> String {
    if d.n == 0 || d.mean.is_nan() {
        "n/a".into()
    } else if d.n == 1 || d.ci_low.is_nan() {
        f(d.mean)
    } else {
        let d = d.within(range.0, range.1);
        format!("{} [{}, {}]", f(d.mean), f(d.ci_low), f(d.ci_high))
    }
}

/// [`interval`] of `d` × `scale` with `digits` decimals.
fn fmt_d(d: &Describe, range: Range, scale: f64, digits: usize) -> String {
    interval(d, range, |x| no_negative_zero(format!("{:.digits$}", x * scale)))
}

/// "0.0" for a value that rounds to zero from below ("-0.0" reads as a negative value).
fn no_negative_zero(s: String) -> String {
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => s,
    }
}

/// A number of any size: from 0.001 to 10,000 (and 0) with four decimals, or as many as keep four
/// significant digits below 0.1; else in scientific notation with four significant digits after the first.
/// A diverging run's loss had printed as 27 digits and ".0000", a gradient ratio of 2e-7 as "0.0000", and
/// 0.0012 with two significant digits where 0.00099 had five.
fn number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        no_negative_zero(format!("{x:.4}"))
    } else if (1e-3..1e4).contains(&x.abs()) {
        let decimals = (3 - x.abs().log10().floor() as i64).max(4) as usize;
        no_negative_zero(format!("{x:.decimals$}"))
    } else {
        format!("{x:.4e}")
    }
}

/// [`interval`] in scientific notation (gradient ratios span decades).
fn fmt_ratio(d: &Describe) -> String {
    interval(d, NON_NEGATIVE, |x| format!("{x:.1e}"))
}

/// The page's blocks: rules, then per model its layers and findings, then the comparisons and figures
/// (`figures`: image paths relative to the page, with captions).
pub fn blocks(d: &Diagnosis, captures: usize, figures: &[(String, String)]) -> Vec<Block> {
    let mut b = vec![
        Block::Heading(1, "actscope analyze: diagnosis of captured networks".into()),
        Block::Para(format!(
            "{captures} capture{} of {} model{}. Every number below was computed from the captures by the code actscope uses for its own runs; every finding follows the rules stated here.",
            plural(captures),
            d.models.len(),
            plural(d.models.len()),
        )),
        Block::Heading(2, "Rules".into()),
        Block::List(vec![
            format!("saturated: saturation rate (share of (example, unit) pairs with φ′(z) < τ·sup φ′, τ = {}) ≥ {SATURATED_RATE}", super::TAU),
            format!("dead units: share of units with φ′(z) < τ·sup φ′ on every example ≥ {DEAD_SHARE}"),
            format!("vanishing gradient: ‖∂L/∂W‖ of the layer < {VANISHING_RATIO:e} × that of the output layer; exploding: > {EXPLODING_RATIO:e} ×"),
            "judged at the last checkpoint, on the mean over seeds; \"since step s\": the rule held at every checkpoint from s on; intervals are 95% Student-t over seeds, cut to the values the metric can take (0–100% for shares, ≥ 0 for losses and ratios, 1 to the number of units for the effective rank)".into(),
        ]),
    ];
    for m in &d.models {
        b.push(Block::Heading(2, format!("Model {}", m.model)));
        b.push(Block::Para(format!(
            "Activation {}, BN {}; seeds {}; {} up to step {}; probe-batch loss at the last checkpoint {}.",
            m.activation,
            m.placement,
            m.seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
            if m.checkpoints == 1 { "1 checkpoint".to_string() } else { format!("{} checkpoints", m.checkpoints) },
            m.last_step,
            interval(&m.loss, NON_NEGATIVE, number)
        )));
        for note in m.notes() {
            b.push(Block::Para(format!("Note: {note}.")));
        }
        let mut findings = Vec::new();
        for l in &m.layers {
            for f in &l.findings {
                findings.push(format!("{}: {}", l.label(), f.words()));
            }
        }
        if findings.is_empty() {
            findings.push("no layer breaks a rule at the last checkpoint".into());
        }
        b.push(Block::List(findings));
        let header = ["layer", "units", "saturation %", "dead units %", "grad ‖∂L/∂W‖ / output's", "effective rank"];
        let rows = m
            .layers
            .iter()
            .map(|l| {
                vec![
                    l.numbered(),
                    l.units.to_string(),
                    l.saturation.as_ref().map_or("—".into(), |s| fmt_d(s, SHARE, 100.0, 1)),
                    l.dead.as_ref().map_or("—".into(), |s| fmt_d(s, SHARE, 100.0, 1)),
                    fmt_ratio(&l.grad_ratio),
                    l.effective_rank.as_ref().map_or("—".into(), |s| fmt_d(s, (1.0, l.units as f64), 1.0, 1)),
                ]
            })
            .collect();
        b.push(Block::Table(header.map(String::from).to_vec(), rows));
    }
    if !d.comparisons.is_empty() || !d.not_compared.is_empty() {
        b.push(Block::Heading(2, "Comparisons between models".into()));
        if !d.not_compared.is_empty() {
            b.push(Block::List(d.not_compared.clone()));
        }
    }
    if !d.comparisons.is_empty() {
        b.push(Block::Para(format!(
            "At the last checkpoint, on the seeds both models have, paired by seed (paired t-test, one-sided in each direction, the report's verdict rules at α = {ALPHA}): \"higher in the first\" when significant in that direction, \"higher in the second\" when significant in the other, \"no significant difference\" otherwise."
        )));
        let rows = d
            .comparisons
            .iter()
            .map(|c| {
                let k = &c.comparison;
                let outcome = match c.verdict {
                    crate::report::verdict::Verdict::Supported => "higher in the first",
                    crate::report::verdict::Verdict::Refuted => "higher in the second",
                    _ => "no significant difference",
                };
                vec![
                    k.setting.clone(),
                    k.seeds.len().to_string(),
                    number(k.mean_a),
                    number(k.mean_b),
                    fmt_effect(k.effect),
                    fmt_p(k.p_claimed_adj),
                    fmt_p(k.p_opposite_adj),
                    outcome.into(),
                ]
            })
            .collect();
        let header = [
            "first vs second: quantity",
            "seeds",
            "first",
            "second",
            "d_z",
            "p (first higher)",
            "p (second higher)",
            "result",
        ];
        b.push(Block::Table(header.map(String::from).to_vec(), rows));
    }
    if !figures.is_empty() {
        b.push(Block::Heading(2, "Figures".into()));
        for (path, caption) in figures {
            b.push(Block::Figure(path.clone(), caption.clone()));
        }
    }
    b
}

/// The blocks as a standalone HTML page.
pub fn html(blocks: &[Block]) -> String {
    let mut o = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>actscope analyze</title><style>{CSS}</style></head><body>\n"
    );
    for b in blocks {
        match b {
            Block::Heading(l, t) => {
                let _ = writeln!(o, "<h{l}>{}</h{l}>", esc(t));
            }
            Block::Para(t) => {
                let _ = writeln!(o, "<p>{}</p>", esc(t));
            }
            Block::List(items) => {
                o.push_str("<ul>\n");
                for i in items {
                    let _ = writeln!(o, "<li>{}</li>", esc(i));
                }
                o.push_str("</ul>\n");
            }
            Block::Table(h, rows) => {
                o.push_str("<table><tr>");
                for c in h {
                    let _ = write!(o, "<th>{}</th>", esc(c));
                }
                o.push_str("</tr>\n");
                for r in rows {
                    o.push_str("<tr>");
                    for c in r {
                        let _ = write!(o, "<td>{}</td>", esc(c));
                    }
                    o.push_str("</tr>\n");
                }
                o.push_str("</table>\n");
            }
            Block::Figure(path, caption) => {
                let _ = writeln!(
                    o,
                    "<figure><img src=\"{p}\" alt=\"{c}\" style=\"max-width:100%\"><figcaption>{c}</figcaption></figure>",
                    p = esc(path),
                    c = esc(caption)
                );
            }
        }
    }
    o.push_str("</body></html>\n");
    o
}

/// The blocks as Markdown.
pub fn markdown(blocks: &[Block]) -> String {
    let mut o = String::new();
    for b in blocks {
        match b {
            Block::Heading(l, t) => {
                let _ = writeln!(o, "{} {}\n", "#".repeat(usize::from(*l)), md(t));
            }
            Block::Para(t) => {
                let _ = writeln!(o, "{}\n", md(t));
            }
            Block::List(items) => {
                for i in items {
                    let _ = writeln!(o, "- {}", md(i));
                }
                o.push('\n');
            }
            Block::Table(h, rows) => {
                let _ = writeln!(o, "| {} |", h.iter().map(|c| md(c)).collect::<Vec<_>>().join(" | "));
                let _ = writeln!(o, "|{}", "---|".repeat(h.len()));
                for r in rows {
                    let _ = writeln!(o, "| {} |", r.iter().map(|c| md(c)).collect::<Vec<_>>().join(" | "));
                }
                o.push('\n');
            }
            Block::Figure(path, caption) => {
                let _ = writeln!(
                    o,
                    "![{}]({})\n",
                    md(caption),
                    path.replace(' ', "%20").replace('(', "%28").replace(')', "%29")
                );
            }
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value that rounds to zero from below prints as "0.0" (the diagnosis showed "0.0 [-0.0, 0.0]").
    #[test]
    fn a_value_rounding_to_zero_from_below_prints_without_a_sign() {
        let d = actscope_metrics::stats::describe(&[0.0, 0.0, 1e-9, -1e-9]);
        assert_eq!(fmt_d(&d, SHARE, 100.0, 1), "0.0 [0.0, 0.0]");
        assert_eq!(no_negative_zero("-0.05".into()), "-0.05");
        assert_eq!(no_negative_zero("-0.000".into()), "0.000");
    }

    /// Numbers far from 1 keep their digits: a diverging run's loss and a vanishing gradient ratio.
    #[test]
    fn numbers_of_any_size_keep_their_digits() {
        assert_eq!(number(436116115609721995769413632.0), "4.3612e26");
        assert_eq!(number(2.3436e-7), "2.3436e-7");
        assert_eq!(number(0.4361), "0.4361");
        assert_eq!(number(1234.5), "1234.5000");
        assert_eq!(number(0.0), "0.0000");
        assert_eq!(number(-1e-9), "-1.0000e-9");
        // Below 0.1, as many decimals as keep four significant digits, up to where scientific notation
        // takes over.
        assert_eq!(number(0.0012346), "0.001235");
        assert_eq!(number(-0.012), "-0.01200");
        assert_eq!(number(0.099), "0.09900");
        assert_eq!(number(0.1), "0.1000");
        assert_eq!(number(0.00099), "9.9000e-4");
    }

    /// A share near 0 over few seeds: Student-t reached below 0% ("1.0 [-1.5, 3.5]"); a ratio near 0
    /// below 0; an effective rank near 1 below 1.
    #[test]
    fn intervals_stay_within_the_values_the_metric_can_take() {
        let d = actscope_metrics::stats::describe(&[0.0, 0.0, 0.04]);
        assert!(d.ci_low < 0.0 && d.ci_high < 1.0);
        assert_eq!(fmt_d(&d, SHARE, 100.0, 1), format!("1.3 [0.0, {:.1}]", d.ci_high * 100.0));
        assert!(fmt_ratio(&actscope_metrics::stats::describe(&[1e-3, 1e-3, 5e-2])).contains("[0.0e0, "));
        let high = actscope_metrics::stats::describe(&[1.0, 1.0, 0.97]);
        assert!(high.ci_high > 1.0);
        assert!(fmt_d(&high, SHARE, 100.0, 1).ends_with(", 100.0]"));
        let rank = actscope_metrics::stats::describe(&[1.0, 1.0, 1.6]);
        assert!(fmt_d(&rank, (1.0, 16.0), 1.0, 1).starts_with("1.2 [1.0, "));
    }
}
