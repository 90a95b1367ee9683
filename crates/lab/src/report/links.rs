//! Checking a written report: every file `index.html` links to must exist.

use std::path::Path;

use crate::Result;

/// Every file `index.html` links to (relative paths), for checking that none is missing.
pub fn linked_files(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let end = rest.find('"').unwrap_or(rest.len());
            let link = &rest[..end];
            if !link.starts_with('#') && !link.contains("://") {
                out.push(link.to_string());
            }
        }
    }
    out
}

/// The links of `dir/index.html` that do not resolve to a file.
///
/// # Errors
/// If `index.html` cannot be read.
pub fn missing_links(dir: &Path) -> Result<Vec<String>> {
    let html = crate::fsio::read_to_string(&dir.join("index.html"))?;
    Ok(linked_files(&html).into_iter().filter(|l| !dir.join(l).is_file()).collect())
}
