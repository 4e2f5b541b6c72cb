//! Words on the picture, painted by egui under its windows: node labels,
//! group names, population counts, queue badges and the replies servers gave.
//!
//! This system also fits the camera to the area the panels leave free (it is
//! the first to know that area each frame), places every text with
//! [`label_layout::place`] and records what it drew in [`LayoutDump`] (for
//! `--layout-json` and the layout tests).

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use crate::gui::flights::{BubbleKind, Flights};
use crate::gui::label_layout::{self, BubbleIn, GroupIn, NodeIn, Style};
use crate::gui::layout_dump::{Item, Kind, LayoutDump};
use crate::gui::playback::SimState;
use crate::gui::scene::{CameraView, UiState, bounds};
use crate::gui::{Queues, icons, layout};
use crate::scenario::{NodeKind, Scenario};

/// The words on the map, painted after the panels (they need the free area).
pub(super) fn plugin(app: &mut App) {
    app.add_systems(bevy_egui::EguiPrimaryContextPass, draw.after(crate::gui::panels::ui));
}

/// Margin of a group's outline around its nodes (world units).
pub const OUTLINE_MARGIN: f32 = 48.0;

/// Each group's outline (world units), in the order of `scenario.isps`.
pub fn outlines(s: &Scenario, pos: &[Vec2]) -> Vec<Option<Rect>> {
    (0..s.isps.len())
        .map(|g| {
            let members = (0..pos.len()).filter(|&i| layout::group_of(s, i) == Some(g)).map(|i| pos[i]);
            bounds(members, OUTLINE_MARGIN)
        })
        .collect()
}

/// The world's extent: every node with its disc, every outline.
pub fn world_bounds(s: &Scenario, pos: &[Vec2]) -> Option<Rect> {
    let mut r = bounds(pos.iter().copied(), icons::RADIUS)?;
    for o in outlines(s, pos).into_iter().flatten() {
        r = r.union(o);
    }
    Some(r)
}

/// The text of a reply bubble: the marker and the reply's whole first line.
pub fn bubble_text(kind: BubbleKind, text: &str) -> String {
    let prefix = match kind {
        BubbleKind::Deferred => "↩ ",
        BubbleKind::Refused | BubbleKind::Dropped => "✖ ",
    };
    format!("{prefix}{}", text.lines().next().unwrap_or("").trim_end())
}

fn px_rect(r: egui::Rect, zoom: f32) -> egui::Rect {
    egui::Rect::from_min_max((r.min.to_vec2() / zoom).to_pos2(), (r.max.to_vec2() / zoom).to_pos2())
}

/// The top bar, the bottom panel and the side column as egui placed them
/// last (window pixels); a panel not shown keeps its old state, so only those
/// in the window count.
fn panel_rects(ctx: &egui::Context, zoom: f32, window: egui::Vec2) -> Vec<(&'static str, egui::Rect)> {
    let w = egui::Rect::from_min_size(egui::Pos2::ZERO, window);
    ["controls", "stats", "inspector"]
        .into_iter()
        .filter_map(|id| {
            let r = egui::containers::panel::PanelState::load(ctx, egui::Id::new(id))?.outer_rect;
            let r = egui::Rect::from_min_max((r.min.to_vec2() * zoom).to_pos2(), (r.max.to_vec2() * zoom).to_pos2());
            label_layout::overlaps(r, w).then_some((id, r))
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
pub fn draw(
    mut contexts: EguiContexts,
    state: Res<SimState>,
    flights: Res<Flights>,
    queues: Res<Queues>,
    ui: Res<UiState>,
    mut view: ResMut<CameraView>,
    mut dump: ResMut<LayoutDump>,
    mut cache: Local<Option<(u64, label_layout::Placement)>>,
    edit: Option<Res<crate::gui::edit::EditMode>>,
) -> Result {
    let _own = crate::gui::own_time::Span::start("overlay::draw");
    // While editing, a small world is not blown up to fill the map: it
    // keeps room around it to place more.
    let least_scale = if edit.is_some_and(|e| e.active()) { 1.0 } else { 0.0 };
    let ctx = contexts.ctx_mut()?;
    let zoom = ctx.zoom_factor();
    // Window size in Bevy's logical pixels.
    let window = ctx.viewport_rect().size() * zoom;
    let mut map = ui.free_rect.unwrap_or(egui::Rect::from_min_size(egui::Pos2::ZERO, window));
    // A panel whose contents overflow can reach past the area the root Ui
    // reports as free: the map stops at every panel as egui placed it.
    let panels = panel_rects(ctx, zoom, window);
    // (egui draws an overflowing side column at its width from the window's
    // edge, while the rectangle it stores and the free area are shifted.)
    for (id, r) in &panels {
        match *id {
            "controls" => map.min.y = map.min.y.max(r.height().min(map.max.y)),
            "stats" => map.max.y = map.max.y.min(r.min.y.max(map.min.y)),
            "inspector" => map.max.x = map.max.x.min((window.x - r.width()).max(map.min.x)),
            _ => {}
        }
    }
    let pos = &flights.positions;
    if pos.len() != state.scenario.nodes.len() {
        return Ok(());
    }
    let world = world_bounds(&state.scenario, pos);
    // Fit the camera to the free area: when a run starts, when the panels
    // change size (an inspector opens, presenter mode), and on the fit key.
    let key = (
        state.generation,
        ui.presenter,
        [map.min.x.round(), map.min.y.round(), map.max.x.round(), map.max.y.round()].map(|v| v as i32),
        [window.x.round() as i32, window.y.round() as i32],
    );
    if let Some(w) = world {
        // Sub-pixel wobbles of a panel's size do not count (they would undo
        // the teacher's zoom every frame).
        let same = view.fitted.is_some_and(|f| {
            f.0 == key.0
                && f.1 == key.1
                && f.2.iter().zip(key.2).all(|(a, b)| (a - b).abs() <= 2)
                && f.3.iter().zip(key.3).all(|(a, b)| (a - b).abs() <= 2)
        });
        if !same {
            let v = label_layout::fit(w, map, window);
            view.centre = v.centre;
            view.scale = v.scale.max(least_scale);
            view.focus = None;
            view.fitted = Some(key);
        }
        view.world = Some(w);
    }
    view.map = Some(map);
    view.window = Some(window);
    let v = label_layout::View { centre: view.centre, scale: view.scale };
    let style = Style::new(ui.presenter);
    let to_px = |p: Vec2| label_layout::to_px(v, window, p);

    let painter = ctx.layer_painter(egui::LayerId::new(egui::Order::Background, egui::Id::new("scene-words")));
    let painter = painter.with_clip_rect(px_rect(map, zoom));
    let layout_text = |text: &str, px: f32, wrap: f32, colour: egui::Color32| {
        painter.layout(text.to_string(), egui::FontId::proportional(px / zoom), colour, wrap / zoom)
    };
    let mut measure = |text: &str, px: f32, wrap: f32| layout_text(text, px, wrap, egui::Color32::WHITE).size() * zoom;

    // What to place.
    let r_px = icons::RADIUS / view.scale;
    let nodes: Vec<NodeIn> = state
        .scenario
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| NodeIn {
            centre: to_px(pos[i]),
            radius: r_px,
            label: node.label_in(ui.lang.code()).to_string(),
            extra: match &node.kind {
                NodeKind::Population(p) => {
                    let infected = (p.count as f64 * p.infected).round() as u64;
                    Some(match ui.lang {
                        crate::gui::scene::Lang::En => format!("× {} PCs, {} infected", p.count, infected),
                        crate::gui::scene::Lang::Ja => format!("× PC {} 台 (感染 {} 台)", p.count, infected),
                    })
                }
                _ => None,
            },
            badge: queues.at.get(i).filter(|q| **q > 0).map(|q| q.to_string()),
        })
        .collect();
    let outlines = outlines(&state.scenario, pos);
    let mut group_index = Vec::new();
    let groups: Vec<GroupIn> = state
        .scenario
        .isps
        .iter()
        .enumerate()
        .filter_map(|(g, isp)| {
            let o = outlines[g]?;
            let (a, b) = (to_px(Vec2::new(o.min.x, o.max.y)), to_px(Vec2::new(o.max.x, o.min.y)));
            group_index.push(g);
            Some(GroupIn { outline: egui::Rect::from_min_max(a, b), name: isp.name_in(ui.lang.code()).to_string() })
        })
        .collect();
    let bubbles: Vec<(BubbleIn, BubbleKind, f32)> = flights
        .bubbles
        .iter()
        .map(|b| {
            let fade = ((b.until - flights.now) / 0.5).clamp(0.0, 1.0) as f32;
            (BubbleIn { node: b.node, text: bubble_text(b.kind, &b.text) }, b.kind, fade)
        })
        .collect();
    let bubble_in: Vec<BubbleIn> = bubbles.iter().map(|b| b.0.clone()).collect();
    // The placement only changes with its inputs: most frames (envelopes
    // moving, nothing else) reuse the last one instead of measuring and
    // placing every text again.
    let key = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for r in [map.min.x, map.min.y, map.max.x, map.max.y, window.x, window.y, zoom] {
            r.to_bits().hash(&mut h);
        }
        (ui.presenter, ui.lang == crate::gui::scene::Lang::Ja).hash(&mut h);
        for n in &nodes {
            (n.centre.x.to_bits(), n.centre.y.to_bits(), n.radius.to_bits(), &n.label, &n.extra, &n.badge).hash(&mut h);
        }
        for g in &groups {
            (g.outline.min.x.to_bits(), g.outline.min.y.to_bits(), g.outline.max.x.to_bits(), &g.name).hash(&mut h);
        }
        for b in &bubble_in {
            (b.node, &b.text).hash(&mut h);
        }
        h.finish()
    };
    let placed = match &*cache {
        Some((k, p)) if *k == key => p.clone(),
        _ => {
            let p = label_layout::place(map, &nodes, &groups, &bubble_in, &style, &mut measure);
            *cache = Some((key, p.clone()));
            p
        }
    };

    // Paint.
    let text_colour = if ui.presenter { egui::Color32::WHITE } else { egui::Color32::from_gray(230) };
    let draw_text = |p: &label_layout::Placed, colour: egui::Color32| {
        let g = layout_text(&p.text, p.px, p.wrap, colour);
        // Centred in its rectangle (wrapped lines are centred too).
        let at = egui::pos2(p.rect.center().x / zoom - g.size().x / 2.0, p.rect.top() / zoom);
        painter.galley(at, g, colour);
    };
    for p in placed.groups.iter().flatten() {
        draw_text(p, egui::Color32::from_rgb(150, 175, 230));
    }
    for p in placed.labels.iter().flatten() {
        draw_text(p, text_colour);
    }
    for p in placed.extras.iter().flatten() {
        draw_text(p, egui::Color32::from_rgb(255, 170, 150));
    }
    for p in placed.badges.iter().flatten() {
        painter.rect_filled(px_rect(p.rect, zoom), p.rect.height() / 2.0 / zoom, egui::Color32::from_rgb(230, 140, 20));
        let g = layout_text(&p.text, p.px, p.wrap, egui::Color32::BLACK);
        painter.galley(px_rect(p.rect, zoom).center() - g.size() / 2.0, g, egui::Color32::BLACK);
    }
    for pb in &placed.bubbles {
        let Some((_, kind, fade)) = bubbles.iter().find(|b| b.0.node == pb.node) else { continue };
        let fill = match kind {
            BubbleKind::Deferred => egui::Color32::from_rgb(180, 120, 0),
            BubbleKind::Refused => egui::Color32::from_rgb(200, 40, 40),
            BubbleKind::Dropped => egui::Color32::from_rgb(150, 30, 150),
        };
        if let Some((a, b)) = pb.leader {
            painter.line_segment(
                [(a.to_vec2() / zoom).to_pos2(), (b.to_vec2() / zoom).to_pos2()],
                egui::Stroke::new(2.0 / zoom, fill.gamma_multiply(*fade)),
            );
        }
        painter.rect_filled(px_rect(pb.boxed, zoom), 5.0 / zoom, fill.gamma_multiply(0.95 * fade));
        let g = layout_text(&pb.text.text, pb.text.px, pb.text.wrap, egui::Color32::WHITE.gamma_multiply(*fade));
        painter.galley((pb.text.rect.min.to_vec2() / zoom).to_pos2(), g, egui::Color32::WHITE);
    }

    // The whole name of a shortened or hidden label, under the pointer.
    if let Some(hover) = ctx.pointer_hover_pos().map(|p| (p.to_vec2() * zoom).to_pos2())
        && map.contains(hover)
    {
        let mut tip = None;
        for (i, n) in nodes.iter().enumerate() {
            let on_label = placed.labels[i].as_ref().filter(|p| p.rect.contains(hover));
            if let Some(p) = on_label {
                tip = p.full.clone();
            } else if n.centre.distance(hover) <= n.radius && placed.labels[i].as_ref().is_none_or(|p| p.full.is_some())
            {
                tip = Some(n.label.clone());
            }
        }
        for p in placed.groups.iter().flatten() {
            if p.rect.contains(hover) && p.full.is_some() {
                tip = p.full.clone();
            }
        }
        if let Some(t) = tip {
            let top = ctx.layer_painter(egui::LayerId::new(egui::Order::Tooltip, egui::Id::new("scene-tip")));
            let g =
                top.layout(t, egui::FontId::proportional(style.label_px / zoom), egui::Color32::WHITE, 400.0 / zoom);
            let at = (hover.to_vec2() / zoom).to_pos2() + egui::vec2(12.0, 12.0) / zoom;
            top.rect_filled(
                egui::Rect::from_min_size(at, g.size()).expand(4.0 / zoom),
                4.0 / zoom,
                egui::Color32::from_black_alpha(230),
            );
            top.galley(at, g, egui::Color32::WHITE);
        }
    }

    // Record what was drawn (window pixels), when someone reads it
    // (`--layout-json`, the layout tests).
    if !dump.record {
        dump.frame += 1;
        return Ok(());
    }
    let mut items = Vec::new();
    let w = egui::Rect::from_min_size(egui::Pos2::ZERO, window);
    for (name, r) in [
        ("top", egui::Rect::from_min_max(w.min, egui::pos2(w.max.x, map.top()))),
        ("bottom", egui::Rect::from_min_max(egui::pos2(w.min.x, map.bottom()), w.max)),
        ("left", egui::Rect::from_min_max(egui::pos2(w.min.x, map.top()), egui::pos2(map.left(), map.bottom()))),
        ("right", egui::Rect::from_min_max(egui::pos2(map.right(), map.top()), egui::pos2(w.max.x, map.bottom()))),
    ] {
        if r.width() >= 1.0 && r.height() >= 1.0 {
            items.push(Item::new(Kind::Panel, name, r, 0.0));
        }
    }
    // The panels themselves, as drawn (the side column from the window's edge).
    for (id, r) in &panels {
        let drawn = match *id {
            "controls" => egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(window.x, r.height())),
            "stats" => *r,
            _ => egui::Rect::from_min_size(egui::pos2(window.x - r.width(), r.min.y), r.size()),
        };
        items.push(Item::new(Kind::Panel, id, drawn, 0.0));
    }
    for (k, p) in placed.groups.iter().enumerate() {
        if let Some(p) = p {
            items.push(Item::placed(Kind::Group, p).with_owner(state.scenario.isps[group_index[k]].id.clone()));
        }
    }
    for (i, node) in state.scenario.nodes.iter().enumerate() {
        let disc = egui::Rect::from_center_size(nodes[i].centre, egui::Vec2::splat(2.0 * r_px));
        items.push(Item::new(Kind::Node, &node.id, disc, 0.0));
        if let Some(p) = &placed.labels[i] {
            items.push(Item::placed(Kind::Label, p).with_owner(node.id.clone()));
        }
        if let Some(p) = &placed.extras[i] {
            items.push(Item::placed(Kind::Label, p).with_owner(node.id.clone()));
        }
        if let Some(p) = &placed.badges[i] {
            items.push(Item::placed(Kind::Badge, p).with_owner(node.id.clone()));
        }
    }
    for pb in &placed.bubbles {
        let owner = state.scenario.nodes[pb.node].id.clone();
        items.push(Item::new(Kind::Bubble, &pb.text.text, pb.boxed, pb.text.px).with_owner(owner));
    }
    for f in &flights.list {
        let c = to_px(f.position(flights.now));
        let r = egui::Rect::from_center_size(c, egui::vec2(style.envelope.x, style.envelope.y));
        items.push(Item::new(Kind::Envelope, &format!("#{}", f.msg.0), r, 0.0));
    }
    let visible = nodes
        .iter()
        .filter(|n| map.contains_rect(egui::Rect::from_center_size(n.centre, egui::Vec2::splat(2.0 * n.radius))))
        .count();
    *dump = LayoutDump {
        window: [window.x, window.y],
        presenter: ui.presenter,
        map_rect: [map.min.x, map.min.y, map.width(), map.height()],
        nodes_visible: visible,
        nodes_total: nodes.len(),
        labels_hidden: placed.labels_hidden,
        labels_covered: placed.labels_covered,
        bubbles_hidden: placed.bubbles_hidden,
        items,
        frame: dump.frame + 1,
        record: true,
    };
    Ok(())
}
