//! Comparing a screenshot with a reference image, with a tolerance: software
//! renderers differ slightly between Mesa versions, so an exact match is too
//! strict, and "not black" passes half-drawn frames.

use std::path::Path;

/// How two images of the same size differ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    /// Mean absolute difference per channel, 0 (same) to 1.
    pub mean: f64,
    /// Share of pixels where some channel differs by more than 48/255.
    pub pixels: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error("{0}: {1}")]
    Read(String, String),
    #[error("sizes differ: {0}x{1} and {2}x{3}")]
    Size(u32, u32, u32, u32),
}

fn load(p: &Path) -> Result<image::RgbImage, DiffError> {
    image::open(p).map(|i| i.to_rgb8()).map_err(|e| DiffError::Read(p.display().to_string(), e.to_string()))
}

/// Compares two image files.
pub fn compare_files(a: &Path, b: &Path) -> Result<Difference, DiffError> {
    compare(&load(a)?, &load(b)?)
}

pub fn compare(a: &image::RgbImage, b: &image::RgbImage) -> Result<Difference, DiffError> {
    if a.dimensions() != b.dimensions() {
        return Err(DiffError::Size(a.width(), a.height(), b.width(), b.height()));
    }
    let mut sum = 0u64;
    let mut off = 0u64;
    for (p, q) in a.pixels().zip(b.pixels()) {
        let d = (0..3).map(|i| p[i].abs_diff(q[i]) as u64);
        let worst = d.clone().max().unwrap_or(0);
        sum += d.sum::<u64>();
        if worst > 48 {
            off += 1;
        }
    }
    let n = (a.width() as u64 * a.height() as u64).max(1);
    Ok(Difference { mean: sum as f64 / (n * 3 * 255) as f64, pixels: off as f64 / n as f64 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_image_is_zero_and_a_blank_one_is_far() {
        let mut a = image::RgbImage::new(40, 30);
        for (x, y, p) in a.enumerate_pixels_mut() {
            *p = image::Rgb([(x * 6) as u8, (y * 8) as u8, 128]);
        }
        assert_eq!(compare(&a, &a).unwrap(), Difference { mean: 0.0, pixels: 0.0 });
        let blank = image::RgbImage::new(40, 30);
        let d = compare(&a, &blank).unwrap();
        assert!(d.pixels > 0.5 && d.mean > 0.1, "{d:?}");
        assert!(compare(&a, &image::RgbImage::new(4, 3)).is_err());
    }
}
