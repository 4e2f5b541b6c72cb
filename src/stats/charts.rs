//! Charts of a comparison, as SVG and PNG: one bar chart with 95% error bars
//! per key metric, and for a parameter sweep one line chart per metric.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use super::compare::Comparison;
use super::metrics::KEY_METRICS;

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("chart {file}: {reason}")]
pub struct ChartError {
    pub file: String,
    pub reason: String,
}

static FONT: Once = Once::new();

/// The bundled DejaVu Sans (assets/licenses/DejaVu.txt), so PNGs need no system fonts.
fn font() {
    FONT.call_once(|| {
        let _ = register_font("sans-serif", FontStyle::Normal, include_bytes!("../../assets/DejaVuSans.ttf"));
    });
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Writes every chart into `dir`; returns the files written.
pub fn write(c: &Comparison, dir: &Path) -> Result<Vec<String>, ChartError> {
    font();
    std::fs::create_dir_all(dir).map_err(|e| ChartError { file: dir.display().to_string(), reason: e.to_string() })?;
    let mut written = Vec::new();
    let swept = c.variants.iter().any(|v| v.swept.is_some());
    for (m, unit, what) in KEY_METRICS {
        let stem = if swept { format!("sweep_{m}") } else { m.to_string() };
        let svg = dir.join(format!("{stem}.svg"));
        let png = dir.join(format!("{stem}.png"));
        let draw = |root: DrawingArea<_, Shift>| {
            if swept { sweep_chart(c, m, unit, what, root) } else { bar_chart(c, m, unit, what, root) }
        };
        let err = |f: &Path, e: String| ChartError { file: f.display().to_string(), reason: e };
        draw(SVGBackend::new(&svg, (900, 540)).into_drawing_area()).map_err(|e| err(&svg, e))?;
        draw_png(
            &png,
            |root| if swept { sweep_chart(c, m, unit, what, root) } else { bar_chart(c, m, unit, what, root) },
        )
        .map_err(|e| err(&png, e))?;
        written.push(svg.display().to_string());
        written.push(png.display().to_string());
    }
    Ok(written)
}

fn draw_png(
    path: &Path,
    f: impl FnOnce(DrawingArea<BitMapBackend, Shift>) -> Result<(), String>,
) -> Result<(), String> {
    let root = BitMapBackend::new(path, (900, 540)).into_drawing_area();
    f(root)
}

fn bar_chart<DB: DrawingBackend>(
    c: &Comparison,
    m: &str,
    unit: &str,
    what: &str,
    root: DrawingArea<DB, Shift>,
) -> Result<(), String> {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    root.fill(&WHITE).map_err(e)?;
    let vals: Vec<(f64, f64)> = c
        .variants
        .iter()
        .map(|v| v.metrics.get(m).map_or((0.0, 0.0), |s| (s.estimate.mean, s.estimate.ci95)))
        .collect();
    let top = vals.iter().map(|(a, b)| a + b).fold(0.0_f64, f64::max);
    let top = if top > 0.0 { top * 1.15 } else { 1.0 };
    let n = c.variants.len();
    let names: Vec<String> = c.variants.iter().map(|v| v.name.clone()).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("{what} — mean ± 95% CI, {} replications", c.replications), ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(60)
        .y_label_area_size(70)
        .build_cartesian_2d((0..n.saturating_sub(1)).into_segmented(), 0.0..top)
        .map_err(e)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_desc(format!("{m} ({unit})"))
        .x_desc("scenario")
        .x_label_formatter(&|x| match x {
            SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(e)?;
    chart
        .draw_series(vals.iter().enumerate().map(|(i, (mean, _))| {
            let color = PALETTE[i % PALETTE.len()];
            let mut bar = Rectangle::new(
                [(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), *mean)],
                color.mix(0.75).filled(),
            );
            bar.set_margin(0, 0, 18, 18);
            bar
        }))
        .map_err(e)?;
    chart
        .draw_series(vals.iter().enumerate().map(|(i, (mean, ci))| {
            ErrorBar::new_vertical(
                SegmentValue::CenterOf(i),
                (mean - ci).max(0.0),
                *mean,
                mean + ci,
                BLACK.stroke_width(2),
                12,
            )
        }))
        .map_err(e)?;
    root.present().map_err(e)
}

/// The numeric value of a swept setting (`60s` -> 60, `0.5` -> 0.5), else its position.
fn sweep_x(setting: Option<&str>, i: usize) -> f64 {
    let v = setting.and_then(|s| s.split_once('=')).map(|(_, v)| v).unwrap_or("");
    v.parse::<f64>()
        .ok()
        .or_else(|| v.parse::<crate::units::Duration>().ok().map(|d| d.0 as f64 / 1000.0))
        .unwrap_or(i as f64)
}

fn sweep_chart<DB: DrawingBackend>(
    c: &Comparison,
    m: &str,
    unit: &str,
    what: &str,
    root: DrawingArea<DB, Shift>,
) -> Result<(), String> {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    root.fill(&WHITE).map_err(e)?;
    // One line per file, one point per swept value.
    let mut files: Vec<&str> = c.variants.iter().map(|v| v.file.as_str()).collect();
    files.dedup();
    let points: Vec<(usize, f64, f64, f64)> = c
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let f = files.iter().position(|x| *x == v.file).unwrap_or(0);
            let s = v.metrics.get(m).map_or((0.0, 0.0), |s| (s.estimate.mean, s.estimate.ci95));
            (f, sweep_x(v.swept.as_deref(), i), s.0, s.1)
        })
        .collect();
    let (x0, x1) = points.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let (x0, x1) = if x1 > x0 { (x0, x1) } else { (x0 - 1.0, x0 + 1.0) };
    let top = points.iter().map(|p| p.2 + p.3).fold(0.0_f64, f64::max);
    let top = if top > 0.0 { top * 1.15 } else { 1.0 };
    let setting = c.variants.iter().find_map(|v| v.swept.clone()).unwrap_or_default();
    let (param, value) = setting.split_once('=').unwrap_or(("", ""));
    let in_seconds = value.parse::<f64>().is_err() && value.parse::<crate::units::Duration>().is_ok();
    let param = if in_seconds { format!("{param} (s)") } else { param.to_string() };
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("{what} vs {param} — mean ± 95% CI",), ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, 0.0..top)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(param.clone())
        .y_desc(format!("{m} ({unit})"))
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(e)?;
    for (f, file) in files.iter().enumerate() {
        let color = PALETTE[f % PALETTE.len()];
        let pts: Vec<(f64, f64, f64)> = points.iter().filter(|p| p.0 == f).map(|p| (p.1, p.2, p.3)).collect();
        let name = Path::new(file).file_stem().map_or(file.to_string(), |s| s.to_string_lossy().to_string());
        chart
            .draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), color.stroke_width(2)))
            .map_err(e)?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        chart
            .draw_series(
                pts.iter()
                    .map(|p| ErrorBar::new_vertical(p.0, (p.1 - p.2).max(0.0), p.1, p.1 + p.2, color.filled(), 8)),
            )
            .map_err(e)?;
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(e)?;
    root.present().map_err(e)
}
