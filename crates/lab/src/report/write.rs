//! Writing the report: `index.html` (self-contained: inline CSS, no JavaScript, relative links only) and
//! `report.md`, from the same content. Every string that comes from data or configuration is escaped.

use std::fmt::Write as _;

use actscope_metrics::sequential::Decision;
use actscope_metrics::stats::describe;
use actscope_plots::Figure;

use super::claims::ClaimResult;
use super::theory::TheoryCheck;
use super::verdict::{Outcome, TestKind, Verdict};

/// Everything the report shows.
pub struct Content<'a> {
    /// The profile name.
    pub profile: &'a str,
    /// The short answer, as (question, answer) pairs.
    pub answers: Vec<(String, String)>,
    /// The claims.
    pub claims: &'a [&'a ClaimResult],
    /// Figures with their stems (files live in `figures/`).
    pub figures: &'a [(&'static str, Figure)],
    /// Theory checks.
    pub theory: &'a [TheoryCheck],
    /// "What published work found" lines: (finding with citation, our number).
    pub literature: Vec<(String, String)>,
    /// Methods paragraphs.
    pub methods: Vec<String>,
    /// Manifest rows.
    pub manifest: Vec<(String, String)>,
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// Escapes text for a Markdown table cell.
/// One sentence per undecided comparison of a claim: what was observed and what deciding it would take.
pub fn undecided(cl: &ClaimResult) -> Vec<String> {
    cl.comparisons
        .iter()
        .filter_map(|k| {
            let p = k.power.as_ref()?;
            let seeds = k.sequential.as_ref().map_or(k.a.len(), |s| s.result.n);
            Some(match (p.seeds_needed, p.more_seeds, p.cpu_minutes) {
                (Some(n), Some(more), Some(cpu)) => format!(
                    "Undecided — {}: a − b − threshold = {:+.4} [95% CI {:+.4}, {:+.4}] after {seeds} seeds; about {n} seeds per configuration would decide a difference of this size with 80% power ({more} more, about {cpu:.1} CPU-minutes at the measured time per run).",
                    k.setting, p.observed, p.ci_low, p.ci_high
                ),
                _ => format!(
                    "Undecided — {}: a − b − threshold = {:+.4} [95% CI {:+.4}, {:+.4}] after {seeds} seeds; the observed difference is too small to plan a number of seeds for.",
                    k.setting, p.observed, p.ci_low, p.ci_high
                ),
            })
        })
        .collect()
}

/// Escapes text for Markdown: HTML that Markdown would pass through raw (`<`, `>`, `&`) becomes entities,
/// table cells keep their `|`, and line breaks become spaces.
pub fn md(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('|', "\\|").replace('\n', " ")
}

fn fmt_p(p: f64) -> String {
    if p.is_nan() {
        "n/a".into()
    } else if p < 1e-4 {
        "< 0.0001".into()
    } else {
        format!("{p:.4}")
    }
}

/// "mean [low, high]" of a sample (4 decimals).
pub fn ci(x: &[f64]) -> String {
    let d = describe(x);
    if d.n == 0 {
        "n/a".into()
    } else if d.n == 1 {
        format!("{:.4} (n = 1)", d.mean)
    } else {
        format!("{:.4} [{:.4}, {:.4}]", d.mean, d.ci_low, d.ci_high)
    }
}

fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Supports => "supports",
        Outcome::Contradicts => "contradicts",
        Outcome::Unclear => "unclear",
    }
}

/// One line of evidence for the verdict table.
pub fn evidence(c: &ClaimResult) -> String {
    c.comparisons
        .iter()
        .map(|k| {
            let vs = if k.test == TestKind::OneSample {
                format!("vs {}", k.threshold)
            } else {
                format!("vs {:.4}", k.mean_b)
            };
            let flag = if k.failed_to_learn > 0 {
                format!(" [{} of its runs failed to learn: chance-level accuracy]", k.failed_to_learn)
            } else {
                String::new()
            };
            let text = match &k.sequential {
                // The outcome is the group-sequential decision; say when it was reached.
                Some(seq) => {
                    let when = match seq.result.decision {
                        Decision::Supports { at_n } | Decision::Contradicts { at_n } => {
                            format!("decided at {at_n} seeds")
                        }
                        Decision::Continue | Decision::Undecided => format!("open after {} seeds", seq.result.n),
                    };
                    format!(
                        "{}: {:.4} {vs} (paired, sequential: {when}; {})",
                        k.setting,
                        k.mean_a,
                        outcome_word(k.outcome)
                    )
                }
                None => format!(
                    "{}: {:.4} {vs} (adj. p {}; {})",
                    k.setting,
                    k.mean_a,
                    fmt_p(k.p_claimed_adj.min(k.p_opposite_adj)),
                    outcome_word(k.outcome)
                ),
            };
            format!("{text}{flag}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Supported => "supported",
        Verdict::Refuted => "refuted",
        Verdict::DependsOnSetting => "depends-on-setting",
        Verdict::PartlyUndecided => "partly-undecided",
        Verdict::Inconclusive => "inconclusive",
    }
}

/// The report's style sheet (also used by `analyze`'s page).
pub(crate) const CSS: &str = "body{font-family:DejaVu Sans,Verdana,sans-serif;max-width:1250px;margin:2em auto;padding:0 1em;color:#111;line-height:1.45}
h1{font-size:1.7em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:.92em}th,td{border:1px solid #bbb;padding:.35em .55em;vertical-align:top;text-align:left}
th{background:#f1f1f1}td.num{text-align:right;font-variant-numeric:tabular-nums}
.supported{background:#d8f0e0}.refuted{background:#f6d5d5}.depends-on-setting{background:#fff0c8}.partly-undecided{background:#f3ecd8}.inconclusive{background:#e6e6e6}
figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #ddd}figcaption{font-size:.9em;color:#333}
.meta{color:#555}.pass{color:#0a6b2f;font-weight:bold}.fail{color:#a11;font-weight:bold}code{background:#f4f4f4;padding:0 .2em}";

fn figure_html(out: &mut String, stem: &str, fig: &Figure) {
    let _ = writeln!(
        out,
        "<figure id=\"fig-{s}\"><img src=\"figures/{s}.png\" alt=\"{alt}\" width=\"{w}\"><figcaption><b>{t}</b> — {alt}. <a href=\"figures/{s}.svg\">SVG</a> · <a href=\"figures/{s}.csv\">CSV</a></figcaption></figure>",
        s = esc(stem),
        alt = esc(&fig.caption),
        t = esc(&fig.title),
        w = fig.width.min(1200)
    );
}

/// The HTML report.
pub fn html(c: &Content<'_>) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>actscope report</title><style>{CSS}</style></head><body>\n"
    );
    o.push_str("<h1>Batch normalization and activations: do sigmoids now work as well as ReLUs?</h1>\n");
    let _ = writeln!(
        o,
        "<p class=\"meta\">Profile <code>{}</code>. Every number below was measured by this run; every verdict follows rules fixed in code before the runs (see Methods).</p>",
        esc(c.profile)
    );
    o.push_str("<h2 id=\"answer\">Short answer</h2>\n<ul>\n");
    for (q, a) in &c.answers {
        let _ = writeln!(o, "<li><b>{}</b> {}</li>", esc(q), esc(a));
    }
    o.push_str("</ul>\n<h2 id=\"verdicts\">Verdicts</h2>\n<table><tr><th>claim</th><th>who</th><th>evidence</th><th>verdict</th><th>figure</th></tr>\n");
    for cl in c.claims {
        let figs: Vec<String> = cl.figures.iter().map(|f| format!("<a href=\"#fig-{0}\">{0}</a>", esc(f))).collect();
        let _ = writeln!(
            o,
            "<tr><td><a href=\"#{id}\">{id}</a> {text}</td><td>{src}</td><td>{ev}</td><td class=\"{cls}\">{v}</td><td>{figs}</td></tr>",
            id = cl.id,
            text = esc(cl.text),
            src = esc(cl.source),
            ev = esc(&evidence(cl)),
            cls = verdict_class(cl.verdict),
            v = cl.verdict.word(),
            figs = figs.join(" ")
        );
    }
    o.push_str("</table>\n<p>Rules: each claim is tested in one or more settings; in each, one-sided t-tests in the claimed and the opposite direction, Holm–Bonferroni-adjusted within the claim. <b>supported</b>: every setting significant (adjusted p &lt; 0.05) in the claimed direction; <b>refuted</b>: every setting significant in the opposite direction; <b>inconclusive</b>: none significant; <b>depends on setting</b>: every setting significant, not all the same way (the claim's section says which went which way); <b>partly undecided</b>: some settings significant, others not. Where a claim ran its seeds in rounds (C2, C4), a setting is significant when its group-sequential test crosses its boundary (see Methods); the adjusted p-values in its table are the fixed-sample ones, for reading only.</p>\n");
    let mut shown = std::collections::BTreeSet::new();
    for cl in c.claims {
        let _ = writeln!(
            o,
            "<h2 id=\"{}\">{} — {}</h2>\n<p>Claimed by {}. Verdict: <b class=\"{}\">{}</b>.</p>\n<p>Method: {}.</p>",
            cl.id,
            cl.id,
            esc(cl.text),
            esc(cl.source),
            verdict_class(cl.verdict),
            cl.verdict.word(),
            esc(&cl.method)
        );
        o.push_str("<table><tr><th>setting</th><th>claimed</th><th>a: mean [95% CI]</th><th>b: mean [95% CI]</th><th>test</th><th>effect size</th><th>adj. p (claimed)</th><th>adj. p (opposite)</th><th>outcome</th></tr>\n");
        for k in &cl.comparisons {
            let b = if k.test == TestKind::OneSample { format!("threshold {}", k.threshold) } else { ci(&k.b) };
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{:?}</td><td class=\"num\">{:.2}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                esc(&k.setting),
                esc(&k.claim),
                esc(&ci(&k.a)),
                esc(&b),
                k.test,
                k.effect,
                fmt_p(k.p_claimed_adj),
                fmt_p(k.p_opposite_adj),
                outcome_word(k.outcome)
            );
        }
        o.push_str("</table>\n");
        for line in undecided(cl) {
            let _ = writeln!(o, "<p>{}</p>", esc(&line));
        }
        if !cl.skipped.is_empty() {
            let _ = writeln!(o, "<p>Not enough data (fewer than two values) for: {}.</p>", esc(&cl.skipped.join("; ")));
        }
        for f in &cl.figures {
            if shown.insert(*f)
                && let Some((s, fig)) = c.figures.iter().find(|(s, _)| s == f)
            {
                figure_html(&mut o, s, fig);
            }
        }
    }
    o.push_str("<h2 id=\"figures\">More figures</h2>\n");
    for (s, fig) in c.figures.iter().filter(|(s, _)| !shown.contains(s)) {
        figure_html(&mut o, s, fig);
    }
    o.push_str("<h2 id=\"theory\">Theory checks (E7)</h2>\n<table><tr><th>check</th><th>prediction from</th><th>measured</th><th>predicted</th><th>tolerance</th><th>result</th><th>how</th></tr>\n");
    for t in c.theory {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{:.4}</td><td class=\"num\">{:.4}</td><td class=\"num\">±{:.4}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
            esc(&t.name),
            esc(&t.source),
            t.measured,
            t.predicted,
            t.tolerance,
            if t.pass { "pass" } else { "fail" },
            if t.pass { "pass" } else { "fail" },
            esc(&t.method)
        );
    }
    o.push_str("</table>\n<h2 id=\"literature\">What published work found, beside our numbers</h2>\n<table><tr><th>published</th><th>here</th></tr>\n");
    for (a, b) in &c.literature {
        let _ = writeln!(o, "<tr><td>{}</td><td>{}</td></tr>", esc(a), esc(b));
    }
    o.push_str("</table>\n<h2 id=\"methods\">Methods</h2>\n");
    for m in &c.methods {
        let _ = writeln!(o, "<p>{}</p>", esc(m));
    }
    o.push_str("<h2 id=\"manifest\">Manifest</h2>\n<table>\n");
    for (k, v) in &c.manifest {
        let _ = writeln!(o, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
    }
    o.push_str("</table>\n</body></html>\n");
    o
}

/// The Markdown report (for GitHub).
pub fn markdown(c: &Content<'_>) -> String {
    let mut o = String::new();
    o.push_str("# Batch normalization and activations: do sigmoids now work as well as ReLUs?\n\n");
    let _ = writeln!(
        o,
        "Profile `{}`. Every number was measured by this run; verdicts follow rules fixed in code before the runs.\n",
        c.profile
    );
    o.push_str("## Short answer\n\n");
    for (q, a) in &c.answers {
        let _ = writeln!(o, "- **{}** {}", md(q), md(a));
    }
    o.push_str("\n## Verdicts\n\n| claim | who | evidence | verdict |\n|---|---|---|---|\n");
    for cl in c.claims {
        let _ = writeln!(
            o,
            "| {} {} | {} | {} | **{}** |",
            cl.id,
            md(cl.text),
            md(cl.source),
            md(&evidence(cl)),
            cl.verdict.word()
        );
    }
    o.push_str("\nRules: one-sided t-tests per setting in the claimed and the opposite direction, Holm-adjusted within each claim; supported = all settings significant for the claim, refuted = all against, inconclusive = none significant, depends on setting = every setting significant but not all the same way, partly undecided = some significant and some not. Where a claim ran its seeds in rounds (C2, C4), significant means its group-sequential test crossed its boundary (see Methods); its adjusted p-values are the fixed-sample ones, for reading only.\n");
    for cl in c.claims {
        let _ = writeln!(
            o,
            "\n## {} — {}\n\nClaimed by {}. Verdict: **{}**. Method: {}.\n",
            cl.id,
            md(cl.text),
            md(cl.source),
            cl.verdict.word(),
            md(&cl.method)
        );
        o.push_str("| setting | claimed | a: mean [95% CI] | b: mean [95% CI] | adj. p (claimed) | adj. p (opposite) | outcome |\n|---|---|---|---|---|---|---|\n");
        for k in &cl.comparisons {
            let b = if k.test == TestKind::OneSample { format!("threshold {}", k.threshold) } else { ci(&k.b) };
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} |",
                md(&k.setting),
                md(&k.claim),
                ci(&k.a),
                b,
                fmt_p(k.p_claimed_adj),
                fmt_p(k.p_opposite_adj),
                outcome_word(k.outcome)
            );
        }
        for line in undecided(cl) {
            let _ = writeln!(o, "\n{}", md(&line));
        }
        if !cl.skipped.is_empty() {
            let _ = writeln!(o, "\nNot enough data (fewer than two values) for: {}.", md(&cl.skipped.join("; ")));
        }
        for f in &cl.figures {
            if let Some((s, fig)) = c.figures.iter().find(|(s, _)| s == f) {
                let _ = writeln!(
                    o,
                    "\n![{}](figures/{s}.png)\n\n*{}* ([SVG](figures/{s}.svg), [CSV](figures/{s}.csv))",
                    md(&fig.caption),
                    md(&fig.title)
                );
            }
        }
    }
    o.push_str(
        "\n## Theory checks (E7)\n\n| check | measured | predicted | tolerance | result |\n|---|---|---|---|---|\n",
    );
    for t in c.theory {
        let _ = writeln!(
            o,
            "| {} | {:.4} | {:.4} | ±{:.4} | {} |",
            md(&t.name),
            t.measured,
            t.predicted,
            t.tolerance,
            if t.pass { "pass" } else { "**fail**" }
        );
    }
    o.push_str("\n## What published work found\n\n| published | here |\n|---|---|\n");
    for (a, b) in &c.literature {
        let _ = writeln!(o, "| {} | {} |", md(a), md(b));
    }
    o.push_str("\n## Methods\n\n");
    for m in &c.methods {
        let _ = writeln!(o, "{}\n", md(m));
    }
    o.push_str("## Manifest\n\n| | |\n|---|---|\n");
    for (k, v) in &c.manifest {
        let _ = writeln!(o, "| {} | {} |", md(k), md(v));
    }
    o
}
