//! Writing the report: `index.html` (self-contained: inline CSS, no JavaScript, relative links only) and
//! `report.md`, from the same content. Every string that comes from data or configuration is escaped: the
//! HTML by `maud`, which escapes everything it inserts unless told otherwise, the Markdown by [`md`].

use std::fmt::Write as _;

use actscope_metrics::sequential::Decision;
use actscope_metrics::stats::describe;
use actscope_plots::Figure;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::claims::ClaimResult;
use super::theory::TheoryCheck;
use super::verdict::{Comparison, Outcome, TestKind, Verdict};

/// Everything the report shows.
pub struct Content<'a> {
    /// The profile name.
    pub profile: &'a str,
    /// What the runs cover (data, budgets, seeds) and how far the verdicts reach, shown first.
    pub scope: String,
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

/// One sentence per undecided comparison of a claim: what was observed and what the test could resolve.
pub fn undecided(cl: &ClaimResult) -> Vec<String> {
    cl.comparisons
        .iter()
        .filter_map(|k| {
            let p = k.power.as_ref()?;
            let stricter = if k.sequential.is_some() {
                " (a planning figure: the sequential test's levels at its last look differ a little from Holm's smallest)"
            } else {
                ""
            };
            // An interval on one side of 0 reads as "significant" to a student; say why it is not.
            let unadjusted = if p.ci_low > 0.0 || p.ci_high < 0.0 {
                let looks = if k.sequential.is_some() { " and for the looks of the rounds" } else { "" };
                format!(
                    " This interval is not adjusted for the claim's other comparisons (Holm){looks}: it lies on \
                     one side of 0, but the adjusted test did not decide."
                )
            } else {
                String::new()
            };
            Some(format!(
                "Undecided — {}: a − b − threshold = {} [95% CI {}, {}] after {} seeds.{unadjusted} \
                 For a fixed-sample test at Holm's smallest level, with the spread of these seeds: {}{stricter}.",
                k.setting,
                signed(p.observed, 4),
                signed(p.ci_low, 4),
                signed(p.ci_high, 4),
                p.seeds,
                p.resolution()
            ))
        })
        .collect()
}

/// Escapes text for Markdown: what Markdown would read as HTML (a `<` opening a tag, an `&` opening an
/// entity) becomes an entity, a leading `>` (a quote) and a backslash before punctuation are escaped, table
/// cells keep their `|`, and line breaks become spaces. Other `<`, `>` and `&` stay as they are: the raw
/// Markdown reads "a > b", not "a &gt; b".
pub fn md(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        match c {
            // Only where Markdown would read markup: `<` opening a tag, comment or autolink; `&` opening an
            // entity; `>` opening a quote; `\` escaping punctuation. Elsewhere they stay as they are, so that
            // the Markdown reads as text ("a > b", "Lan & DeMets"), not as "a &gt; b".
            '<' if next.is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')) => {
                out.push_str("&lt;")
            }
            '&' if opens_entity(&chars[i + 1..]) => out.push_str("&amp;"),
            '>' if out.trim().is_empty() => out.push_str("\\>"),
            '\\' if next.is_some_and(|n| n.is_ascii_punctuation()) => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Whether the characters after an `&` make it an entity reference (`&amp;`, `&#38;`, `&#x26;`): a name or
/// number, then `;`.
fn opens_entity(rest: &[char]) -> bool {
    let name = rest.iter().take_while(|c| c.is_ascii_alphanumeric() || **c == '#').count();
    name > 0 && rest.get(name) == Some(&';')
}

/// `s` escaped for HTML text or a quoted attribute value, by the template engine's own escaper (for pages
/// built outside a `maud` template, such as `analyze`'s diagnosis page).
pub(crate) fn esc(s: &str) -> String {
    maud::html! { (s) }.into_string()
}

/// A p-value for a table: 4 decimals, "< 0.0001" below that, "n/a" for NaN.
pub(crate) fn fmt_p(p: f64) -> String {
    if p.is_nan() {
        "n/a".into()
    } else if p < 1e-4 {
        "< 0.0001".into()
    } else {
        format!("{p:.4}")
    }
}

/// An effect size for a table: 2 decimals, or 2 significant digits in scientific notation from 1,000 on (a
/// spread near zero makes d huge, and 16 digits of it say nothing more); "∞ (no spread)" where the values
/// (or differences) are all equal and differ from the threshold; "n/a" for NaN.
pub(crate) fn fmt_effect(d: f64) -> String {
    if d.is_nan() {
        "n/a".into()
    } else if d.is_infinite() {
        format!("{}∞ (no spread)", if d < 0.0 { "-" } else { "" })
    } else if d.abs() >= 1000.0 {
        format!("{d:.1e}")
    } else {
        fixed(d, 2)
    }
}

/// `x` to `places` decimals, without the sign of a value that rounds to zero ("-0.0000" read as a
/// negative number, of a fraction that cannot be one).
pub(crate) fn fixed(x: f64, places: usize) -> String {
    let s = format!("{x:.places$}");
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => s,
    }
}

/// `x` to `places` decimals with its sign, `+` for a value that rounds to zero.
pub(crate) fn signed(x: f64, places: usize) -> String {
    let s = fixed(x, places);
    if s.starts_with('-') || x.is_nan() { s } else { format!("+{s}") }
}

/// "mean [low, high]" of a sample (4 decimals).
pub fn ci(x: &[f64]) -> String {
    ci_within(x, None)
}

/// [`ci`] of values that lie within `range` (a share: 0 to 1), the interval cut to it
/// ([`actscope_metrics::stats::Describe::within`]: the true mean lies within the range, so cutting keeps the
/// coverage; a dead fraction's Student-t interval had read [0.0863, 1.7804]).
pub fn ci_within(x: &[f64], range: Option<(f64, f64)>) -> String {
    let d = describe(x);
    let d = range.map_or(d, |(lo, hi)| d.within(lo, hi));
    if d.n == 0 {
        "n/a".into()
    } else if d.n == 1 {
        format!("{} (n = 1)", fixed(d.mean, 4))
    } else {
        format!("{} [{}, {}]", fixed(d.mean, 4), fixed(d.ci_low, 4), fixed(d.ci_high, 4))
    }
}

/// [`ci`] of bounds that may be infinite (an interval open on that side): how many are, and the rest's.
fn bounds_ci(x: &[f64]) -> String {
    let finite: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    let count = |inf: f64| x.iter().filter(|v| **v == inf).count();
    let open: Vec<String> = [(f64::NEG_INFINITY, "−∞"), (f64::INFINITY, "∞")]
        .into_iter()
        .filter(|(inf, _)| count(*inf) > 0)
        .map(|(inf, sign)| format!("{sign} in {} of {} pairs", count(inf), x.len()))
        .collect();
    match (open.is_empty(), finite.is_empty()) {
        (true, _) => ci(x),
        (false, true) => open.join(", "),
        (false, false) => format!("{}; the others {}", open.join(", "), ci(&finite)),
    }
}

/// A comparison's `a` and `b` columns: mean and interval of each, the threshold for a one-sample test,
/// and for bounds how many are infinite.
fn columns(k: &Comparison) -> (String, String) {
    match k.test {
        TestKind::OneSample => (ci_within(&k.a, k.range), format!("threshold {}", k.threshold)),
        TestKind::Bounds => (bounds_ci(&k.a), bounds_ci(&k.b)),
        TestKind::Welch | TestKind::Paired => (ci_within(&k.a, k.range), ci_within(&k.b, k.range)),
    }
}

/// How many values a comparison's row holds: pairs (paired, bounds), values (one-sample), or each side's
/// count (Welch); non-finite values are dropped by the tests, so they are not counted. A comparison decided
/// in rounds at an earlier look than its values reach says so: "20 (decided at 10)".
fn sample_size(k: &Comparison) -> String {
    let finite = |v: &[f64]| v.iter().filter(|x| x.is_finite()).count();
    let decided_at = k.sequential.as_ref().and_then(|s| match s.result.decision {
        Decision::Supports { at_n } | Decision::Contradicts { at_n } => Some(at_n),
        Decision::Continue | Decision::Undecided => None,
    });
    let n = match k.test {
        TestKind::Welch => return format!("{} / {}", finite(&k.a), finite(&k.b)),
        TestKind::Paired => k.a.iter().zip(&k.b).filter(|(a, b)| a.is_finite() && b.is_finite()).count(),
        TestKind::OneSample => finite(&k.a),
        TestKind::Bounds => k.a.len(),
    };
    match decided_at {
        Some(at) if at < n => format!("{n} (decided at {at})"),
        _ => n.to_string(),
    }
}

/// A claim's settings judged on several rows together, with their outcomes: "X: supports; Y: contradicts".
fn by_setting(cl: &ClaimResult) -> String {
    cl.by_setting.iter().map(|(s, o)| format!("{s}: {}", outcome_word(*o))).collect::<Vec<_>>().join("; ")
}

/// Which way a claim's settings went, for the verdict table: "2 for, 1 against, 4 open" (empty for a claim
/// of one setting). A teacher: "partly undecided" alone hides which way the evidence leans.
fn tally(cl: &ClaimResult) -> String {
    let outcomes: Vec<Outcome> = if cl.by_setting.is_empty() {
        cl.comparisons.iter().map(|k| k.outcome).collect()
    } else {
        cl.by_setting.iter().map(|s| s.1).collect()
    };
    let n = |o: Outcome| outcomes.iter().filter(|&&x| x == o).count();
    let parts: Vec<String> = (outcomes.len() >= 2)
        .then(|| {
            format!("{} for, {} against, {} open", n(Outcome::Supports), n(Outcome::Contradicts), n(Outcome::Unclear))
        })
        .into_iter()
        .chain(cl.reach.clone())
        .collect();
    if parts.is_empty() { String::new() } else { format!(" ({})", parts.join("; ")) }
}

/// " (cannot be supported at this budget, …)" after a claim's verdict, where the budget limits which
/// verdicts it can reach; nothing otherwise.
fn reach(cl: &ClaimResult) -> String {
    cl.reach.as_ref().map_or_else(String::new, |r| format!(" ({r})"))
}

/// The end of the rules line, the same in HTML and Markdown: two-part settings, the level, the effect size.
const RULES_TAIL: &str = "A setting judged on two parts (C8) supports the claim only where both do, and contradicts it where either does. Each direction is tested at α = 0.05 (Holm-adjusted p < 0.05); claims run in rounds (C2, C4) spend α/2 = 0.025 per direction over their looks. The effect size is Cohen's d (d_z for paired and one-sample tests) of the difference from the claim's threshold, so 0 means at the threshold; for C6 it is that of the bounds its test used (the lower ones for the claim, the upper ones against it); a spread near zero makes it very large.";

fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Supports => "supports",
        Outcome::Contradicts => "contradicts",
        Outcome::Unclear => "unclear",
    }
}

/// A mean to 4 decimals, or ±∞ (a mean of bounds some of which are infinite).
fn fmt_bound(v: f64) -> String {
    match v {
        f64::INFINITY => "∞".into(),
        f64::NEG_INFINITY => "−∞".into(),
        _ => format!("{v:.4}"),
    }
}

/// One line of evidence for the verdict table.
pub fn evidence(c: &ClaimResult) -> String {
    // The settings a verdict is not taken over are named beside the evidence it is taken over, so that a
    // verdict ("refuted") is not read as covering them (a teacher: C8's set-aside plain sigmoid nets are the
    // textbook case).
    c.comparisons
        .iter()
        .map(|k| {
            let vs = match k.test {
                TestKind::OneSample => format!("vs {}", k.threshold),
                // C6's bounds are log10 of speed-up ratios: give them as ratios too (a teacher read
                // "0.3908 to 0.7733 vs 1" as accuracies).
                TestKind::Bounds => format!(
                    "to {} vs {} (log10 of the speed-up; as ratios, geometric means ×{} to ×{} vs ×{})",
                    fmt_bound(k.mean_b),
                    k.threshold,
                    fmt_ratio(k.mean_a),
                    fmt_ratio(k.mean_b),
                    fmt_ratio(k.threshold)
                ),
                TestKind::Welch | TestKind::Paired => format!("vs {:.4}", k.mean_b),
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
                    "{}: {} {vs} (adj. p {}; {})",
                    k.setting,
                    fmt_bound(k.mean_a),
                    fmt_p(k.p_claimed_adj.min(k.p_opposite_adj)),
                    outcome_word(k.outcome)
                ),
            };
            format!("{text}{flag}")
        })
        .chain(c.set_aside.iter().map(|s| format!("set aside, not tested: {s}")))
        .chain(c.skipped.iter().map(|s| format!("not compared (fewer than two values on a side): {s}")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `10^log` to one decimal ("2.5", "10"), or "∞".
fn fmt_ratio(log: f64) -> String {
    let r = 10f64.powf(log);
    if r.is_infinite() {
        return "∞".into();
    }
    let s = format!("{r:.1}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
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
.meta{color:#555}.pass{color:#0a6b2f;font-weight:bold}.fail{color:#a11;font-weight:bold}.weak{color:#8a5a00}code{background:#f4f4f4;padding:0 .2em}";

/// One figure: the PNG with its caption and links to the SVG and the CSV.
fn figure_html(stem: &str, fig: &Figure) -> Markup {
    html! {
        figure id={ "fig-" (stem) } {
            img src={ "figures/" (stem) ".png" } alt=(fig.caption) width=(fig.width.min(1200));
            figcaption {
                b { (fig.title) } " — " (fig.caption) ". "
                a href={ "figures/" (stem) ".svg" } { "SVG" } " · " a href={ "figures/" (stem) ".csv" } { "CSV" }
            }
        }
        "\n"
    }
}

/// The HTML report, from a `maud` template: every value inserted is escaped unless it is wrapped in
/// `PreEscaped` (only the constant style sheet is).
pub fn html(c: &Content<'_>) -> String {
    let mut shown = std::collections::BTreeSet::new();
    let claim_sections: Vec<Markup> = c
        .claims
        .iter()
        .map(|cl| {
            // Each figure is drawn once, under the first claim that reads it; later claims link to it.
            let (mut figures, mut earlier) = (Vec::new(), Vec::new());
            for f in &cl.figures {
                let Some((s, fig)) = c.figures.iter().find(|(s, _)| s == f) else { continue };
                if shown.insert(*f) {
                    figures.push(figure_html(s, fig));
                } else {
                    earlier.push((*s, fig.title.as_str()));
                }
            }
            claim_html(cl, &figures, &earlier)
        })
        .collect();
    let page = html! {
        (DOCTYPE) "\n"
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "actscope report" }
                style { (PreEscaped(CSS)) }
            }
            body {
                "\n"
                h1 { "Batch normalization and activations: do sigmoids now work as well as ReLUs?" } "\n"
                p class="meta" {
                    "Profile " code { (c.profile) } ". Every number below was measured by this run; every verdict follows rules fixed in code before the runs (see Methods)."
                } "\n"
                p { b { "Scope. " } (c.scope) } "\n"
                h2 id="answer" { "Short answer" } "\n"
                ul {
                    "\n"
                    @for (q, a) in &c.answers { li { b { (q) } " " (a) } "\n" }
                } "\n"
                h2 id="verdicts" { "Verdicts" } "\n"
                table {
                    tr { th { "claim" } th { "who" } th { "evidence" } th { "verdict" } th { "figure" } } "\n"
                    @for cl in c.claims {
                        tr {
                            td { a href={ "#" (cl.id) } { (cl.id) } " " (cl.text) }
                            td { (cl.source) }
                            td { (evidence(cl)) }
                            td class=(verdict_class(cl.verdict)) { (cl.verdict.word()) (tally(cl)) }
                            td {
                                @for (i, f) in cl.figures.iter().enumerate() {
                                    @if i > 0 { " " }
                                    a href={ "#fig-" (f) } { (f) }
                                }
                            }
                        } "\n"
                    }
                } "\n"
                p {
                    "The counts after a verdict are its settings: significant for the claim, significant against it, and neither. Rules: each claim is tested in one or more settings; in each, one-sided t-tests in the claimed and the opposite direction, Holm–Bonferroni-adjusted within the claim. "
                    b { "supported" } ": every setting significant (adjusted p < 0.05) in the claimed direction; "
                    b { "refuted" } ": every setting significant in the opposite direction; "
                    b { "inconclusive" } ": none significant; "
                    b { "depends on setting" } ": settings significant both ways, for the claim in some and against it in others, whether or not some are undecided (the claim's section says which went which way); "
                    b { "partly undecided" } ": some settings significant, all the same way, the others not. Where a claim ran its seeds in rounds (C2, C4), a setting is significant when its group-sequential test crosses its boundary (see Methods); the adjusted p-values in its table are the fixed-sample ones, for reading only. "
                    (RULES_TAIL)
                } "\n"
                h2 id="reading" { "How to read this report" } "\n"
                ul {
                    "\n"
                    @for line in super::glossary::READING_GUIDE { li { (line) } "\n" }
                } "\n"
                table {
                    tr { th { "term" } th { "meaning" } } "\n"
                    @for (term, meaning) in super::glossary::GLOSSARY { tr { td { b { (term) } } td { (meaning) } } "\n" }
                } "\n"
                @for section in &claim_sections { (section) }
                @if c.figures.iter().any(|(s, _)| !shown.contains(s)) {
                    h2 id="figures" { "More figures" } "\n"
                    @for (s, fig) in c.figures.iter().filter(|(s, _)| !shown.contains(s)) { (figure_html(s, fig)) }
                }
                h2 id="theory" { "Theory checks (E7)" } "\n"
                table {
                    tr {
                        th { "check" } th { "prediction from" } th { "measured" } th { "predicted" } th { "tolerance" }
                        th { "result" } th { "how" }
                    } "\n"
                    @for t in c.theory {
                        @let class = if !t.pass { "fail" } else if t.tells_apart() { "pass" } else { "weak" };
                        tr {
                            td { (t.name) } td { (t.source) }
                            td class="num" { (format!("{:.4}", t.measured)) }
                            td class="num" { (format!("{:.4}", t.predicted)) }
                            td class="num" { (format!("±{:.4}", t.tolerance)) }
                            td class=(class) { (t.result()) }
                            td { (t.method) }
                        } "\n"
                    }
                } "\n"
                h2 id="literature" { "What published work found, beside our numbers" } "\n"
                table {
                    tr { th { "published" } th { "here" } } "\n"
                    @for (a, b) in &c.literature { tr { td { (a) } td { (b) } } "\n" }
                } "\n"
                h2 id="methods" { "Methods" } "\n"
                @for m in &c.methods { p { (m) } "\n" }
                h2 id="manifest" { "Manifest" } "\n"
                table {
                    "\n"
                    @for (k, v) in &c.manifest { tr { th { (k) } td { (v) } } "\n" }
                } "\n"
            }
        }
        "\n"
    };
    page.into_string()
}

/// One claim's section: heading, verdict, method, the table of comparisons, what would decide the
/// undecided ones, the claim's figures not shown before, and links to those shown under an earlier claim
/// (`earlier`: stem and title).
fn claim_html(cl: &ClaimResult, figures: &[Markup], earlier: &[(&str, &str)]) -> Markup {
    html! {
        h2 id=(cl.id) { (cl.id) " — " (cl.text) } "\n"
        p { "Claimed by " (cl.source) ". Verdict: " b class=(verdict_class(cl.verdict)) { (cl.verdict.word()) } (reach(cl)) "." } "\n"
        p { "Method: " (cl.method) "." } "\n"
        table {
            tr {
                th { "setting" } th { "claimed" } th { "n" } th { "a: mean [95% CI]" } th { "b: mean [95% CI]" } th { "test" }
                th { "effect size" } th { "adj. p (claimed)" } th { "adj. p (opposite)" } th { "outcome" }
            } "\n"
            @for k in &cl.comparisons {
                @let (a, b) = columns(k);
                tr {
                    td { (k.setting) } td { (k.claim) } td class="num" { (sample_size(k)) }
                    td class="num" { (a) } td class="num" { (b) }
                    td { (format!("{:?}", k.test)) }
                    td class="num" { (fmt_effect(k.effect)) }
                    td class="num" { (fmt_p(k.p_claimed_adj)) } td class="num" { (fmt_p(k.p_opposite_adj)) }
                    td { (outcome_word(k.outcome)) }
                } "\n"
            }
        } "\n"
        @if !cl.by_setting.is_empty() {
            p { "By setting (both parts together): " (by_setting(cl)) "." } "\n"
        }
        @for line in undecided(cl) { p { (line) } "\n" }
        @if !cl.set_aside.is_empty() {
            p { "Set aside: " (cl.set_aside.join("; ")) "." } "\n"
        }
        @if !cl.skipped.is_empty() {
            p { "Not enough data (fewer than two values) for: " (cl.skipped.join("; ")) "." } "\n"
        }
        @for f in figures { (f) }
        @for (stem, title) in earlier {
            p { "Figure: " a href={ "#fig-" (stem) } { (title) } " (above)." } "\n"
        }
    }
}

/// `figures.md` of a folder `actscope plot` drew: each figure's image (the first of `formats` drawn) under its
/// title, with its caption — which says how many seeds an interval rests on, which run a single-run figure
/// shows, what a square-root or log axis is — and links to its other files. The images alone had lost all of
/// that. `source` says what the figures were drawn from.
pub fn figure_index(source: &str, figures: &[(&str, Figure)], formats: &[actscope_plots::Format]) -> String {
    let mut o = format!("# Figures\n\nDrawn by `actscope plot` from {}.\n", md(source));
    let Some(shown) = formats.first() else { return o };
    for (stem, fig) in figures {
        let files: Vec<String> = formats[1..]
            .iter()
            .map(|f| f.extension())
            .chain(["csv"])
            .map(|x| format!("[{}]({stem}.{x})", x.to_uppercase()))
            .collect();
        let _ = write!(
            o,
            "\n## {}\n\n![{}]({stem}.{})\n\n{}. ({})\n",
            md(&fig.title),
            md(&fig.caption),
            shown.extension(),
            md(&fig.caption),
            files.join(", ")
        );
    }
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
    let _ = writeln!(o, "**Scope.** {}\n", md(&c.scope));
    o.push_str("## Short answer\n\n");
    for (q, a) in &c.answers {
        let _ = writeln!(o, "- **{}** {}", md(q), md(a));
    }
    o.push_str("\n## Verdicts\n\n| claim | who | evidence | verdict | figures |\n|---|---|---|---|---|\n");
    for cl in c.claims {
        // Links to the claim's figures that were drawn (a figure without data has no file).
        let figures: Vec<String> = cl
            .figures
            .iter()
            .filter(|s| c.figures.iter().any(|(f, _)| f == *s))
            .map(|s| format!("[{s}](figures/{s}.png)"))
            .collect();
        let _ = writeln!(
            o,
            "| {} {} | {} | {} | **{}**{} | {} |",
            cl.id,
            md(cl.text),
            md(cl.source),
            md(&evidence(cl)),
            cl.verdict.word(),
            tally(cl),
            figures.join(", ")
        );
    }
    o.push_str("\nThe counts after a verdict are its settings: significant for the claim, significant against it, and neither. Rules: one-sided t-tests per setting in the claimed and the opposite direction, Holm-adjusted within each claim; supported = all settings significant for the claim, refuted = all against, inconclusive = none significant, depends on setting = settings significant both ways (some may be undecided), partly undecided = some significant, all the same way, and the others not. Where a claim ran its seeds in rounds (C2, C4), significant means its group-sequential test crossed its boundary (see Methods); its adjusted p-values are the fixed-sample ones, for reading only. ");
    o.push_str(RULES_TAIL);
    o.push('\n');
    o.push_str("\n## How to read this report\n\n");
    for line in super::glossary::READING_GUIDE {
        let _ = writeln!(o, "- {}", md(line));
    }
    o.push_str("\n| term | meaning |\n|---|---|\n");
    for (term, meaning) in super::glossary::GLOSSARY {
        let _ = writeln!(o, "| **{}** | {} |", md(term), md(meaning));
    }
    for cl in c.claims {
        let _ = writeln!(
            o,
            "\n## {} — {}\n\nClaimed by {}. Verdict: **{}**{}. Method: {}.\n",
            cl.id,
            md(cl.text),
            md(cl.source),
            cl.verdict.word(),
            md(&reach(cl)),
            md(&cl.method)
        );
        o.push_str("| setting | claimed | n | a: mean [95% CI] | b: mean [95% CI] | test | effect size | adj. p (claimed) | adj. p (opposite) | outcome |\n|---|---|---|---|---|---|---|---|---|---|\n");
        for k in &cl.comparisons {
            let (a, b) = columns(k);
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {:?} | {} | {} | {} | {} |",
                md(&k.setting),
                md(&k.claim),
                sample_size(k),
                a,
                b,
                k.test,
                fmt_effect(k.effect),
                fmt_p(k.p_claimed_adj),
                fmt_p(k.p_opposite_adj),
                outcome_word(k.outcome)
            );
        }
        if !cl.by_setting.is_empty() {
            let _ = writeln!(o, "\nBy setting (both parts together): {}.", md(&by_setting(cl)));
        }
        for line in undecided(cl) {
            let _ = writeln!(o, "\n{}", md(&line));
        }
        if !cl.set_aside.is_empty() {
            let _ = writeln!(o, "\nSet aside: {}.", md(&cl.set_aside.join("; ")));
        }
        if !cl.skipped.is_empty() {
            let _ = writeln!(o, "\nNot enough data (fewer than two values) for: {}.", md(&cl.skipped.join("; ")));
        }
        for f in &cl.figures {
            if let Some((s, fig)) = c.figures.iter().find(|(s, _)| s == f) {
                let _ = writeln!(
                    o,
                    "\n![{}](figures/{s}.png)\n\n*{}* — {}. ([SVG](figures/{s}.svg), [CSV](figures/{s}.csv))",
                    md(&fig.caption),
                    md(&fig.title),
                    md(&fig.caption)
                );
            }
        }
    }
    o.push_str(
        "\n## Theory checks (E7)\n\n| check | prediction from | measured | predicted | tolerance | result | how |\n|---|---|---|---|---|---|---|\n",
    );
    for t in c.theory {
        let _ = writeln!(
            o,
            "| {} | {} | {:.4} | {:.4} | ±{:.4} | {} | {} |",
            md(&t.name),
            md(&t.source),
            t.measured,
            t.predicted,
            t.tolerance,
            if t.pass { md(&t.result()) } else { "**fail**".to_string() },
            md(&t.method)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effect_sizes_keep_two_decimals_until_they_are_huge() {
        assert_eq!(fmt_effect(-1.234), "-1.23");
        assert_eq!(fmt_effect(999.994), "999.99");
        assert_eq!(fmt_effect(-5_883_477_916_184_627.0), "-5.9e15");
        assert_eq!(fmt_effect(1634.45), "1.6e3");
        assert_eq!(fmt_effect(f64::NAN), "n/a");
        assert_eq!(fmt_effect(f64::NEG_INFINITY), "-∞ (no spread)");
        assert_eq!(fmt_effect(f64::INFINITY), "∞ (no spread)");
        assert_eq!(fmt_effect(-0.001), "0.00", "no negative zero");
    }

    /// The Markdown reads as text where it can ("index(BN) > index(no BN)", "Lan & DeMets", not "&gt;" and
    /// "&amp;" in every row), and is still escaped where Markdown would read markup.
    #[test]
    fn markdown_escapes_only_what_markdown_would_read_as_markup() {
        assert_eq!(md("index(BN) > index(no BN)"), "index(BN) > index(no BN)");
        assert_eq!(md("Lan & DeMets; p < 0.05"), "Lan & DeMets; p < 0.05");
        assert_eq!(md("<script>x</script>"), "&lt;script>x&lt;/script>");
        assert_eq!(md("a <!-- b --> <http://x> <?php"), "a &lt;!-- b --> &lt;http://x> &lt;?php");
        assert_eq!(md("&amp; &#38; &#x26; & ;"), "&amp;amp; &amp;#38; &amp;#x26; & ;");
        assert_eq!(md("> quoted"), "\\> quoted");
        assert_eq!(md(" > quoted"), " \\> quoted");
        assert_eq!(md("a|b\nc"), "a\\|b c");
        assert_eq!(md(r"C:\data\*x\|"), r"C:\data\\*x\\\|");
    }

    /// A share's interval in a claim table is cut to [0, 1]: C3's dead fraction of two seeds had read
    /// "0.9333 [0.0863, 1.7804]", and a fraction near 0 "0.0007 [-0.0012, 0.0025]".
    #[test]
    fn intervals_of_shares_stay_within_zero_and_one() {
        assert_eq!(ci(&[13.0 / 15.0, 1.0]), "0.9333 [0.0863, 1.7804]");
        assert_eq!(ci_within(&[13.0 / 15.0, 1.0], Some((0.0, 1.0))), "0.9333 [0.0863, 1.0000]");
        assert_eq!(ci_within(&[0.0, 0.0, 0.002], Some((0.0, 1.0))), "0.0007 [0.0000, 0.0035]");
        let k =
            Comparison::new("s", "c", vec![13.0 / 15.0, 1.0], vec![0.0, 0.002], 0.0, TestKind::Paired).within(0.0, 1.0);
        assert_eq!(columns(&k), ("0.9333 [0.0863, 1.0000]".to_string(), "0.0010 [0.0000, 0.0137]".to_string()));
        let one = Comparison::new("s", "c", vec![0.0; 3], vec![], 0.1, TestKind::OneSample).within(0.0, 1.0);
        assert_eq!(columns(&one).0, "0.0000 [0.0000, 0.0000]");
    }

    /// A value that rounds to zero has no minus sign: a report printed "-0.0000 [95% CI -0.0304, +0.0304]"
    /// and "0.0001 [-0.0000, 0.0003]".
    #[test]
    fn values_that_round_to_zero_carry_no_minus_sign() {
        assert_eq!(fixed(-0.00001, 4), "0.0000");
        assert_eq!(fixed(-0.00006, 4), "-0.0001");
        assert_eq!(fixed(-0.0, 2), "0.00");
        assert_eq!(signed(-0.00001, 4), "+0.0000");
        assert_eq!(signed(0.25, 2), "+0.25");
        assert_eq!(signed(-0.25, 2), "-0.25");
        assert_eq!(signed(f64::NEG_INFINITY, 2), "-inf");
        assert_eq!(ci(&[8e-5, 0.0002, 0.00012]), "0.0001 [0.0000, 0.0003]", "E2's saturation rates in a report");
        assert!(!ci(&[-0.00001, 0.00001]).starts_with('-'), "{}", ci(&[-0.00001, 0.00001]));
    }
}
