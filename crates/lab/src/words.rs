//! Small pieces of English shared by the messages and pages of the lab and the command line.

/// "s" where `n` is not 1: `format!("{n} run{}", plural(n))`.
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
