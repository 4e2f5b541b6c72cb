//! Words on the picture, painted by egui under its windows: node labels,
//! group names, population counts, queue badges and the replies servers gave.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use crate::gui::flights::{BubbleKind, Flights};
use crate::gui::playback::SimState;
use crate::gui::scene::{CameraView, MainCamera, UiState, bounds};
use crate::gui::{Queues, icons, layout};
use crate::scenario::NodeKind;

/// World point to egui point (egui's zoom is applied on top of the window's pixels).
fn to_screen(camera: &Camera, gt: &GlobalTransform, p: Vec2, zoom: f32) -> Option<egui::Pos2> {
    let v = camera.world_to_viewport(gt, p.extend(0.0)).ok()?;
    Some(egui::pos2(v.x / zoom, v.y / zoom))
}

#[allow(clippy::too_many_arguments)]
pub fn draw(
    mut contexts: EguiContexts,
    state: Res<SimState>,
    flights: Res<Flights>,
    queues: Res<Queues>,
    ui: Res<UiState>,
    view: Res<CameraView>,
    cam: Query<(&Camera, &GlobalTransform), With<MainCamera>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let Ok((camera, gt)) = cam.single() else { return Ok(()) };
    let zoom = ctx.zoom_factor();
    let mut painter = ctx.layer_painter(egui::LayerId::new(egui::Order::Background, egui::Id::new("scene-words")));
    if let Some(free) = ui.free_rect {
        painter.set_clip_rect(egui::Rect::from_min_max(
            (free.min.to_vec2() / zoom).to_pos2(),
            (free.max.to_vec2() / zoom).to_pos2(),
        ));
    }
    let pos = &flights.positions;
    if pos.len() != state.scenario.nodes.len() {
        return Ok(());
    }
    let big = if ui.presenter { 1.1 } else { 1.0 };
    let text = if ui.presenter { egui::Color32::WHITE } else { egui::Color32::from_gray(225) };
    let font = egui::FontId::proportional(13.0 * big);
    let small = egui::FontId::proportional(11.5 * big);

    // Group names just above their outlines (inside, they ran over the
    // names of the group's own nodes).
    for (g, isp) in state.scenario.isps.iter().enumerate() {
        let members = (0..pos.len()).filter(|&i| layout::group_of(&state.scenario, i) == Some(g)).map(|i| pos[i]);
        if let Some(b) = bounds(members, 48.0)
            && let Some(p) = to_screen(camera, gt, Vec2::new(b.min.x + 10.0, b.max.y), zoom)
        {
            let name = isp.name.as_deref().unwrap_or(&isp.id);
            painter.text(
                p + egui::vec2(2.0, -1.0),
                egui::Align2::LEFT_BOTTOM,
                name,
                font.clone(),
                egui::Color32::from_rgb(150, 175, 230),
            );
        }
    }

    for (i, node) in state.scenario.nodes.iter().enumerate() {
        let Some(c) = to_screen(camera, gt, pos[i], zoom) else { continue };
        let r = icons::RADIUS / view.scale / zoom;
        let label = node.label.as_deref().unwrap_or(&node.id);
        // Long labels wrap, so neighbours' names do not run into each other.
        let galley = painter.layout(label.to_string(), font.clone(), text, 120.0 * big);
        let at = c + egui::vec2(-galley.size().x / 2.0, r + 3.0);
        let label_height = galley.size().y;
        painter.galley(at, galley, text);
        if let NodeKind::Population(p) = &node.kind {
            let infected = (p.count as f64 * p.infected).round() as u64;
            painter.text(
                c + egui::vec2(0.0, r + 5.0 + label_height),
                egui::Align2::CENTER_TOP,
                format!("× {} PCs, {} infected", p.count, infected),
                small.clone(),
                egui::Color32::from_rgb(255, 170, 150),
            );
        }
        // Queue badge: mail waiting here (a server's queue or a sender's outbox).
        if let Some(&q) = queues.at.get(i).filter(|q| **q > 0) {
            let b = c + egui::vec2(r * 0.8, -r * 0.8);
            let s = format!("{q}");
            let w = 9.0 * big + 4.0 * s.len() as f32 * big;
            painter.rect_filled(
                egui::Rect::from_center_size(b, egui::vec2(w.max(18.0 * big), 18.0 * big)),
                9.0 * big,
                egui::Color32::from_rgb(230, 140, 20),
            );
            painter.text(b, egui::Align2::CENTER_CENTER, s, small.clone(), egui::Color32::BLACK);
        }
    }

    // Replies: the server's words where it said them.
    for b in &flights.bubbles {
        let Some(c) = pos.get(b.node).and_then(|p| to_screen(camera, gt, *p, zoom)) else { continue };
        let (fill, prefix) = match b.kind {
            BubbleKind::Deferred => (egui::Color32::from_rgb(240, 180, 40), "↩ "),
            BubbleKind::Refused => (egui::Color32::from_rgb(220, 50, 50), "✖ "),
            BubbleKind::Dropped => (egui::Color32::from_rgb(160, 30, 160), "✖ "),
        };
        let fade = ((b.until - flights.now) / 0.5).clamp(0.0, 1.0) as f32;
        // The reply's first line, shortened: the code and the reason are what matter.
        let first = b.text.lines().next().unwrap_or("");
        let short: String = if first.chars().count() > 64 {
            first.chars().take(63).chain(std::iter::once('…')).collect()
        } else {
            first.to_string()
        };
        let msg = format!("{prefix}{short}");
        let galley = painter.layout(msg, font.clone(), egui::Color32::WHITE.gamma_multiply(fade), 220.0 * big);
        let r = icons::RADIUS / view.scale / zoom;
        let rect = egui::Rect::from_center_size(
            c - egui::vec2(0.0, r + 14.0 + galley.size().y / 2.0),
            galley.size() + egui::vec2(12.0, 6.0),
        );
        painter.rect_filled(rect, 5.0, fill.gamma_multiply(0.9 * fade));
        painter.galley(rect.min + egui::vec2(6.0, 3.0), galley, egui::Color32::WHITE);
    }
    Ok(())
}
