//! What a reader needs before the claims: how the report is laid out, and the words and symbols it uses
//! (a teacher found φ, d_z, Holm, α-spending and erank used with no definition). Definitions only: no
//! number of a run appears here.

/// How to read the report, one line per part.
pub const READING_GUIDE: [&str; 5] = [
    "Short answer: one paragraph per question of the thread, each ending with the verdict of the claim that answers it.",
    "Verdicts: every claim (C1–C9), who made it, its evidence in brief and its verdict; the three counts after a verdict are its settings decided for the claim, against it, and not decided.",
    "Each claim's section: how it is tested, a table of its comparisons (means over seeds with 95% intervals, the test, the Holm-adjusted p-values, the outcome), for each undecided comparison what its seeds could detect and what more seeds would cost, and the figures that show the evidence.",
    "Every verdict holds for this profile's data and training budgets (the Scope line above). \"Refuted\" says that these runs contradict the claim in every setting tested, not that the claim is false at another scale; \"inconclusive\" says that these runs cannot tell.",
    "Theory checks, published work, Methods and Manifest: the formulas the runs are checked against, what others found beside our numbers, how everything was computed, and which code and data produced it.",
];

/// The report's terms and symbols, each with its meaning.
pub const GLOSSARY: [(&str, &str); 19] = [
    ("φ", "the activation function (sigmoid, tanh, ReLU, …); z is its input and a = φ(z) its output"),
    (
        "BN before / after",
        "BatchNorm between the linear layer and φ (Linear → BN → φ, as in the BN paper) or after φ (Linear → φ → BN)",
    ),
    (
        "E1–E8",
        "the experiments: E1 the main grid of activations × placements, E2 depth, E3 dead-ReLU stress, E4 Glorot & Bengio's setting, E5 and E6 views of E1, E7 theory checks, E8 timing",
    ),
    (
        "seed, paired by seed",
        "a seed fixes a run's initial weights and batch order; runs of one seed are compared with each other (a paired test), which removes the seed-to-seed variation both share",
    ),
    (
        "probe set",
        "a fixed set of validation examples on which layer metrics (saturation, dead units, gradients, rank) are measured during training",
    ),
    ("pp", "percentage points: an accuracy of 0.81 against 0.80 differs by 1 pp"),
    ("decades", "factors of ten of the learning rate: 0.01 to 0.1 is one decade"),
    (
        "one-sided test, p-value",
        "each comparison is tested in the claimed direction and in the opposite one; a small p-value says the observed difference would be unlikely if the claim's direction (or the opposite) were false",
    ),
    (
        "Holm adjustment",
        "a claim tested in several settings would find some difference by chance; Holm's method raises the p-values so that the chance of any false finding in the claim stays at 5%",
    ),
    (
        "non-inferiority margin",
        "\"works as well as\" is tested as \"is not worse by more than a margin fixed before the runs\" (C2's method gives it), since no test can show two things exactly equal",
    ),
    (
        "group-sequential test, α-spending",
        "C2 and C4 add seeds in rounds and stop a comparison once decided; the 5% error budget is spent across the rounds (O'Brien–Fleming), so looking several times does not inflate false findings",
    ),
    (
        "Cohen's d, d_z",
        "the difference in units of the spread: of the values (d) or of the paired differences (d_z); a d_z in the hundreds means seeds barely vary, not that the difference is large",
    ),
    (
        "95% interval",
        "the range that would contain the true mean in 95% of repeated experiments, from the seeds' spread (Student t); printed intervals are not adjusted for Holm, and those of shares (accuracies, fractions, rates) are cut to [0, 1]",
    ),
    (
        "saturation, τ",
        "a sigmoid or tanh unit is saturated on an example when its slope φ′(z) is below τ times its largest slope (τ is given in each figure's caption and in docs/metrics.md): it then passes almost no gradient",
    ),
    (
        "dead unit",
        "a ReLU-family unit whose slope is below τ times its largest on every probe example: it passes no gradient at all",
    ),
    (
        "effective rank (erank)",
        "how many independent directions a layer's outputs use, from 1 (all units say the same) to the number of units",
    ),
    (
        "λ(B)",
        "the factor by which gradients grow per layer, towards the input, in a deep net with BN before φ at batch size B (Yang et al. 2019)",
    ),
    ("ms(·)", "mean square: the mean of the squared entries"),
    (
        "bounds test (C6)",
        "steps to a target are known only between two evaluations; the claim is tested on the lower bounds and its opposite on the upper bounds",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every term is defined once, with words.
    #[test]
    fn every_term_is_defined_once() {
        for (i, (term, meaning)) in GLOSSARY.iter().enumerate() {
            assert!(!meaning.is_empty() && !term.is_empty());
            assert!(GLOSSARY[..i].iter().all(|(t, _)| t != term), "{term} twice");
        }
    }
}
