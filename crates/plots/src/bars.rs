//! Bar panels: groups of bars per category with 95% whiskers.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::figure::BarPanel;
use crate::palette::category;
use crate::primitives::{DrawResult, axis_ticks, no_data, padded_range, panel_chart, text};
use crate::sizes;

/// Draws a bar panel (or "no data" when no bar is finite).
pub fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &BarPanel) -> DrawResult<DB> {
    let nc = p.categories.len();
    let ys = p.groups.iter().flat_map(|g| g.values.iter().flat_map(|v| [v.0, v.1, v.2]));
    let Some(mut yr) = padded_range(ys.chain(if p.y_log { None } else { Some(0.0) }), p.y_log) else {
        return no_data(area, &p.title);
    };
    if nc == 0 || p.groups.is_empty() {
        return no_data(area, &p.title);
    }
    if !p.y_log {
        yr.0 = yr.0.min(0.0);
    }
    let xf = |v: &f64| {
        let r = v.round();
        if (v - r).abs() < 1e-6 && r >= 0.0 && (r as usize) < nc {
            p.categories[r as usize].clone()
        } else {
            String::new()
        }
    };
    let mut builder = panel_chart(area, &p.title, sizes::Y_LABEL_AREA);
    let y_ticks = axis_ticks(yr.0, yr.1, p.y_log);
    let ng = p.groups.len() as f64;
    let width = 0.8 / ng;
    macro_rules! body {
        ($chart:expr, $base:expr) => {{
            let chart = &mut $chart;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(2 * nc + 1)
                .x_label_formatter(&xf)
                .y_label_formatter(&y_ticks)
                .x_desc(p.x_label.as_str())
                .y_desc(p.y_label.as_str())
                .axis_desc_style(text(sizes::AXIS_DESC, BLACK))
                .label_style(text(sizes::TICK, BLACK))
                .light_line_style(RGBColor(238, 238, 238))
                .draw()?;
            for (g, grp) in p.groups.iter().enumerate() {
                let c = category(grp.color);
                for (i, &(m, lo, hi)) in grp.values.iter().enumerate().take(nc) {
                    if !m.is_finite() || (p.y_log && m <= 0.0) {
                        continue;
                    }
                    let x0 = i as f64 - 0.4 + g as f64 * width;
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(x0, $base), (x0 + width * 0.9, m)],
                        c.filled(),
                    )))?;
                    if lo.is_finite() && hi.is_finite() && (!p.y_log || lo > 0.0) {
                        let xm = x0 + width * 0.45;
                        chart.draw_series(std::iter::once(ErrorBar::new_vertical(
                            xm,
                            lo,
                            m,
                            hi,
                            BLACK.stroke_width(2),
                            8,
                        )))?;
                    }
                }
            }
        }};
    }
    if p.y_log {
        let mut chart = builder.build_cartesian_2d(-0.5..(nc as f64 - 0.5), (yr.0..yr.1).log_scale())?;
        body!(chart, yr.0);
    } else {
        let mut chart = builder.build_cartesian_2d(-0.5..(nc as f64 - 0.5), yr.0..yr.1)?;
        body!(chart, 0.0);
    }
    Ok(())
}
