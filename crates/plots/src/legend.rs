//! The legend's layout: entries packed into rows by the width of their text, each row centred on the
//! figure, so that no entry seems to sit under a particular panel (a fixed grid of five columns had put
//! them there).

use crate::sizes;
use crate::typeset::{advance, em_px};

/// Height in pixels of one legend row.
pub(crate) const ROW: u32 = 30;
/// Space in pixels above the first row and below the last, together.
pub(crate) const PAD: u32 = 16;
/// Width in pixels of an entry's swatch (a line, dashes or a dot) and the gap between it and its text.
pub(crate) const SWATCH: f64 = 42.0;
/// Space in pixels between two entries of a row.
const GAP: f64 = 36.0;
/// Space in pixels kept free at either side of the figure.
const MARGIN: f64 = 20.0;

/// The width in pixels of an entry: its swatch and its text.
fn entry_width(label: &str) -> f64 {
    SWATCH + advance(label, em_px(sizes::LEGEND))
}

/// Where each entry goes in a figure `width` pixels wide: the x of its swatch's left end and its row.
/// Entries keep their order and fill a row while they fit (each row holds at least one); each row is
/// centred.
pub(crate) fn pack(labels: &[&str], width: u32) -> Vec<(i32, usize)> {
    let room = (width as f64 - 2.0 * MARGIN).max(0.0);
    let widths: Vec<f64> = labels.iter().map(|l| entry_width(l)).collect();
    // Rows as ranges of entries.
    let mut rows: Vec<(usize, usize, f64)> = Vec::new();
    for (i, &w) in widths.iter().enumerate() {
        match rows.last_mut() {
            Some((_, end, used)) if *used + GAP + w <= room => {
                *end = i + 1;
                *used += GAP + w;
            }
            _ => rows.push((i, i + 1, w)),
        }
    }
    let mut out = Vec::with_capacity(labels.len());
    for (r, &(start, end, used)) in rows.iter().enumerate() {
        let mut x = (width as f64 - used) / 2.0;
        for w in &widths[start..end] {
            out.push((x.round() as i32, r));
            x += w + GAP;
        }
    }
    out
}

/// Height in pixels of the legend band for `labels` in a figure `width` pixels wide (0 without labels).
pub(crate) fn height(labels: &[&str], width: u32) -> u32 {
    match pack(labels, width).last() {
        None => 0,
        Some(&(_, last_row)) => ROW.saturating_mul(u32::try_from(last_row + 1).unwrap_or(u32::MAX)).saturating_add(PAD),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Short labels share a row, centred on the figure: a grid of five columns had put two entries at the
    /// left edge and a quarter of the way across, under the first and second panels.
    #[test]
    fn entries_pack_by_width_into_centred_rows() {
        let labels = ["sigmoid", "tanh", "relu", "gelu", "silu", "elu"];
        let placed = pack(&labels, 1200);
        assert!(placed.iter().all(|p| p.1 == 0), "six short labels on one row: {placed:?}");
        let right = placed[5].0 as f64 + entry_width("elu");
        let left = placed[0].0 as f64;
        assert!(
            (left - (1200.0 - right)).abs() <= 1.0,
            "centred: {left} from the left, {} from the right",
            1200.0 - right
        );
        // Each entry starts where the one before ends, plus the gap.
        for i in 1..labels.len() {
            let end = placed[i - 1].0 as f64 + entry_width(labels[i - 1]);
            assert!((placed[i].0 as f64 - end - GAP).abs() <= 1.0, "{placed:?}");
        }
    }

    #[test]
    fn long_labels_wrap_and_each_row_is_centred() {
        let long = "a rather long legend label of forty chars";
        let labels = [long, long, long, "x"];
        // Room for two long entries and a little more.
        let width = (2.0 * MARGIN + 2.0 * entry_width(long) + GAP + 20.0) as u32;
        let placed = pack(&labels, width);
        let rows: Vec<usize> = placed.iter().map(|p| p.1).collect();
        assert_eq!(rows, [0, 0, 1, 1], "two long entries fit, then the third and the short one");
        assert_eq!(height(&labels, width), 2 * ROW + PAD);
        let second_row = placed[2].0 as f64 + placed[3].0 as f64 + entry_width("x") - width as f64;
        assert!(second_row.abs() <= 1.5, "the second row is centred too: {placed:?}");
        assert_eq!(height(&[], 1200), 0);
        // A label wider than the figure still gets a row of its own.
        let placed = pack(&[long, long], 300);
        assert_eq!(placed.iter().map(|p| p.1).collect::<Vec<_>>(), [0, 1]);
    }
}
