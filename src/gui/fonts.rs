//! Fonts for egui: its defaults plus a Japanese font (IPAexGothic, subset to
//! the characters Japanese text uses; licence in assets/licenses/).

use std::sync::Arc;

use bevy_egui::egui;

/// IPAexGothic, subset (see assets/README.md for how it was made).
pub const JAPANESE: &[u8] = include_bytes!("../../assets/fonts/relaysim-jp-gothic.ttf");

/// Adds the Japanese font after egui's own, so Latin text keeps its look.
pub fn install(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert("ipaexg".to_owned(), Arc::new(egui::FontData::from_static(JAPANESE)));
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts.families.entry(family).or_default().push("ipaexg".to_owned());
    }
    ctx.set_fonts(fonts);
}
