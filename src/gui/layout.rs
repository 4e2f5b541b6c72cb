//! Where each node is drawn: the file's `position` when given, otherwise an
//! automatic layout that keeps each ISP's (or domain's) nodes together around
//! the backbone, routers facing the middle and customers on the outside.

use bevy::math::Vec2;

use crate::scenario::{NodeKind, Role, Scenario};

/// Distance of the ISP groups from the middle (world units, about pixels).
const RING_X: f32 = 560.0;
const RING_Y: f32 = 300.0;
/// Distance between the rows of a group (router, servers, clients).
const ROW: f32 = 110.0;
/// Distance between neighbours in a row.
const SPREAD: f32 = 175.0;
/// Room between two groups on the ring.
const GAP: f32 = 90.0;

/// The share of the window the map keeps (the panels get the rest).
pub const MAP_SHARE: f32 = 0.605;

/// Sizes of the side column (inspector, narration) and the bottom panel, in
/// egui points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PanelSizes {
    /// The side column's width (also its largest: wider would eat the map).
    pub right: f32,
    /// The bottom panel's height; 0 when it does not fit (then it is hidden).
    pub bottom: f32,
}

/// Panel sizes for a window of `window` points whose top bar is `top` points
/// high, so that the map keeps [`MAP_SHARE`] of the window at any size and in
/// presenter mode (where egui's zoom makes the window fewer points): the side
/// column gets about a quarter of the width, the bottom panel what is left,
/// and none at all when that is less than a line of statistics.
pub fn panel_sizes(window: bevy_egui::egui::Vec2, top: f32) -> PanelSizes {
    let (w, h) = (window.x.max(1.0), window.y.max(1.0));
    let right = (0.24 * w).clamp(200.0_f32.min(0.3 * w), 520.0);
    let needed = MAP_SHARE * w * h / (w - right).max(1.0);
    let bottom = h - top - needed;
    // Less than a header and two rows of the mail table: no panel at all.
    let bottom = if bottom < 60.0 { 0.0 } else { bottom.min(0.3 * h) };
    PanelSizes { right, bottom }
}

/// The row of a node within its group: 0 nearest the middle (the network),
/// then the servers, the customers outside: [`Role`]'s order, backwards, with
/// mail servers and mailbox servers on one row.
fn row(kind: &NodeKind) -> usize {
    match kind.role() {
        Role::Network => 0,
        Role::MailServer | Role::Mailbox => 1,
        Role::Client => 2,
    }
}

/// The group a node is drawn in: its ISP, or `None` for the backbone.
pub fn group_of(s: &Scenario, i: usize) -> Option<usize> {
    let isp = s.nodes[i].isp.as_deref()?;
    s.isps.iter().position(|x| x.id == isp)
}

/// World positions of every node, in the order of `s.nodes` (y points up).
pub fn positions(s: &Scenario) -> Vec<Vec2> {
    let n = s.nodes.len();
    let mut pos = vec![Vec2::ZERO; n];
    // Groups in the order the ISPs are listed; the backbone in the middle.
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); s.isps.len()];
    let mut middle = Vec::new();
    for i in 0..n {
        match group_of(s, i) {
            Some(g) => groups[g].push(i),
            None => middle.push(i),
        }
    }
    let used: Vec<usize> = (0..groups.len()).filter(|&g| !groups[g].is_empty()).collect();
    // Each group needs room along the ring for its widest row; the ring is
    // made long enough for all of them, and each gets an arc of its width.
    let widths: Vec<f32> = used.iter().map(|&g| widest_row(s, &groups[g]) as f32 * SPREAD + GAP).collect();
    let total: f32 = widths.iter().sum();
    // A wide ellipse, like the space the panels leave (about 2:1 at
    // 1280x720): radii (2 b, b), perimeter about 9.7 b.
    let b = (total / 9.7).max(RING_Y);
    let (rx, ry) = ((2.0 * b).max(RING_X), b);
    let mut along = 0.0;
    for (k, &g) in used.iter().enumerate() {
        let mid = (along + widths[k] / 2.0) / total.max(1.0);
        along += widths[k];
        // Start at the top and go round clockwise.
        let a = std::f32::consts::FRAC_PI_2 - mid * std::f32::consts::TAU;
        let centre = Vec2::new(rx * a.cos(), ry * a.sin());
        let out = if centre.length() > 1.0 { centre.normalize() } else { Vec2::Y };
        place_rows(s, &groups[g], centre - out * ROW, out, &mut pos);
    }
    // The backbone: routers in the middle, the rest below them.
    place_rows(s, &middle, Vec2::new(0.0, 30.0), Vec2::NEG_Y, &mut pos);
    for (i, node) in s.nodes.iter().enumerate() {
        if let Some((x, y)) = node.position {
            pos[i] = Vec2::new(x, y);
        }
    }
    pos
}

/// The number of nodes in the fullest row of a group.
fn widest_row(s: &Scenario, members: &[usize]) -> usize {
    (0..3).map(|r| members.iter().filter(|&&i| row(&s.nodes[i].kind) == r).count()).max().unwrap_or(1).max(1)
}

/// Puts `members` in rows going from `start` in direction `out`.
fn place_rows(s: &Scenario, members: &[usize], start: Vec2, out: Vec2, pos: &mut [Vec2]) {
    let across = Vec2::new(-out.y, out.x);
    // Labels are wide: rows going sideways need more room than rows going up.
    let step = ROW * (1.0 + 0.5 * out.x.abs());
    for r in 0..3 {
        let in_row: Vec<usize> = members.iter().copied().filter(|&i| row(&s.nodes[i].kind) == r).collect();
        let w = in_row.len() as f32 - 1.0;
        for (j, &i) in in_row.iter().enumerate() {
            pos[i] = start + out * (r as f32 * step) + across * ((j as f32 - w / 2.0) * SPREAD);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_node_gets_its_own_place_and_file_positions_win() {
        let s = crate::scenario::load(std::path::Path::new("scenarios/history/01-open-relay.ron")).unwrap();
        let p = positions(&s);
        assert_eq!(p.len(), s.nodes.len());
        for i in 0..p.len() {
            for j in 0..i {
                assert!(p[i].distance(p[j]) > 30.0, "{} and {} overlap", s.nodes[i].id, s.nodes[j].id);
            }
        }
        let mut s2 = s.clone();
        s2.nodes[0].position = Some((12.0, -34.0));
        assert_eq!(positions(&s2)[0], Vec2::new(12.0, -34.0));
    }

    #[test]
    fn panels_leave_the_map_its_share() {
        for (w, h, top) in [(1280.0, 720.0, 80.0), (1920.0, 1080.0, 80.0), (914.0, 514.0, 75.0), (1371.0, 771.0, 60.0)]
        {
            let p = panel_sizes(bevy_egui::egui::vec2(w, h), top);
            let map = (w - p.right) * (h - top - p.bottom);
            assert!(map >= 0.6 * w * h, "{w}x{h}: {p:?} leaves {:.2}", map / (w * h));
            assert!(p.right >= 200.0, "{p:?}");
        }
    }
}
