//! Where the map and its words go, as pure functions: the camera fit for the
//! area the panels leave free, world-to-window projection, and the placement
//! of group names, node labels, queue badges and reply bubbles so that no two
//! texts overlap and none covers a node.
//!
//! Everything here is in window pixels (Bevy's logical pixels; egui points
//! times egui's zoom). The overlay draws exactly what [`place`] returns, and
//! the layout dump (`--layout-json`, tests/gui_layout.rs) records the same
//! rectangles, so what is tested is what is drawn.

use bevy::math::{Rect as WorldRect, Vec2};
use bevy_egui::egui::{Pos2, Rect, Vec2 as Size, pos2, vec2};

/// Sizes of the words on the map (window pixels).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    /// Node labels and group names.
    pub label_px: f32,
    /// Second lines (population counts).
    pub small_px: f32,
    /// Queue badges.
    pub badge_px: f32,
    /// Reply bubbles.
    pub bubble_px: f32,
    /// Labels wrap at this width.
    pub label_wrap: f32,
    /// Bubbles wrap at this width.
    pub bubble_wrap: f32,
    /// Padding inside a bubble (x, y).
    pub bubble_pad: Size,
    /// Envelopes on screen (width, height).
    pub envelope: Vec2,
    /// Radius of an envelope's click target.
    pub envelope_pick: f32,
}

impl Style {
    /// Presenter mode: nothing under 16 px, so it reads from the back of a room.
    pub fn new(presenter: bool) -> Style {
        if presenter {
            Style {
                label_px: 18.0,
                small_px: 16.0,
                badge_px: 16.0,
                bubble_px: 17.0,
                label_wrap: 170.0,
                bubble_wrap: 300.0,
                bubble_pad: vec2(8.0, 4.0),
                envelope: Vec2::new(48.0, 34.0),
                envelope_pick: 32.0,
            }
        } else {
            Style {
                label_px: 14.0,
                small_px: 13.0,
                badge_px: 13.0,
                bubble_px: 14.0,
                label_wrap: 140.0,
                bubble_wrap: 280.0,
                bubble_pad: vec2(6.0, 3.0),
                envelope: Vec2::new(40.0, 28.0),
                envelope_pick: 28.0,
            }
        }
    }
}

/// Room kept around the nodes' outlines when fitting (window pixels): group
/// names above, two lines of label below, half a label at the sides.
pub const FIT_TOP: f32 = 30.0;
pub const FIT_BOTTOM: f32 = 44.0;
pub const FIT_SIDE: f32 = 80.0;

/// Where the camera looks (world point at the window's centre) and its scale
/// (world units per window pixel).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    pub centre: Vec2,
    pub scale: f32,
}

/// World point to window pixels (y down), as Bevy's orthographic camera does.
pub fn to_px(view: View, window: Size, p: Vec2) -> Pos2 {
    pos2((p.x - view.centre.x) / view.scale + window.x / 2.0, -(p.y - view.centre.y) / view.scale + window.y / 2.0)
}

/// Window pixels to world point.
pub fn to_world(view: View, window: Size, p: Pos2) -> Vec2 {
    Vec2::new((p.x - window.x / 2.0) * view.scale + view.centre.x, -(p.y - window.y / 2.0) * view.scale + view.centre.y)
}

/// The part of the map the world is fitted into (the map less the margins).
fn content(map: Rect) -> Rect {
    let r = Rect::from_min_max(
        pos2(map.left() + FIT_SIDE, map.top() + FIT_TOP),
        pos2(map.right() - FIT_SIDE, map.bottom() - FIT_BOTTOM),
    );
    if r.width() < 50.0 || r.height() < 50.0 { map } else { r }
}

/// The view that shows all of `world` (nodes and outlines) inside `map`.
pub fn fit(world: WorldRect, map: Rect, window: Size) -> View {
    let c = content(map);
    let scale = (world.width() / c.width().max(1.0)).max(world.height() / c.height().max(1.0)).max(0.05);
    let want = c.center();
    let centre = Vec2::new(
        world.center().x - (want.x - window.x / 2.0) * scale,
        world.center().y + (want.y - window.y / 2.0) * scale,
    );
    View { centre, scale }
}

/// Moves a wanted centre (narration focus) as little as needed to keep the
/// world covering the map: when the whole world fits, it does not move at all,
/// so following a step never pans nodes under the panels.
pub fn clamp_centre(wanted: Vec2, world: WorldRect, map: Rect, window: Size, scale: f32) -> Vec2 {
    let c = content(map);
    // Centres for which the world's left edge is at the content's left, and
    // its right edge at the content's right.
    let x1 = world.min.x - (c.left() - window.x / 2.0) * scale;
    let x2 = world.max.x - (c.right() - window.x / 2.0) * scale;
    // y: the world's top (max y) at the content's top, its bottom at the bottom.
    let y1 = world.max.y + (c.top() - window.y / 2.0) * scale;
    let y2 = world.min.y + (c.bottom() - window.y / 2.0) * scale;
    Vec2::new(wanted.x.clamp(x1.min(x2), x1.max(x2)), wanted.y.clamp(y1.min(y2), y1.max(y2)))
}

/// A node as the placement sees it.
#[derive(Debug, Clone)]
pub struct NodeIn {
    pub centre: Pos2,
    pub radius: f32,
    pub label: String,
    /// A second line under the label (a population's count).
    pub extra: Option<String>,
    /// The queue badge's number.
    pub badge: Option<String>,
}

/// An ISP or domain outline and its name.
#[derive(Debug, Clone)]
pub struct GroupIn {
    pub outline: Rect,
    pub name: String,
}

/// A reply to show at a node (prefix included, the whole first line).
#[derive(Debug, Clone)]
pub struct BubbleIn {
    pub node: usize,
    pub text: String,
}

/// One placed text.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub rect: Rect,
    /// The text drawn (possibly shortened).
    pub text: String,
    /// The whole text when `text` is shortened (shown on hover).
    pub full: Option<String>,
    pub px: f32,
    /// Wrap width used to lay it out.
    pub wrap: f32,
}

/// A placed reply: its box (padding included), the text inside, and the
/// point of the node's rim its leader line goes to.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedBubble {
    pub node: usize,
    pub boxed: Rect,
    pub text: Placed,
    pub leader: Option<(Pos2, Pos2)>,
}

/// Everything [`place`] decided.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    pub groups: Vec<Option<Placed>>,
    pub labels: Vec<Option<Placed>>,
    pub extras: Vec<Option<Placed>>,
    pub badges: Vec<Option<Placed>>,
    pub bubbles: Vec<PlacedBubble>,
    /// Labels that found no room (their node still shows the name on hover).
    pub labels_hidden: usize,
    /// Labels that give way to a reply while it shows (crowded maps only).
    pub labels_covered: usize,
    /// Replies that found no room at all.
    pub bubbles_hidden: usize,
}

/// Measures a text: (text, size in px, wrap width in px) -> size in px.
pub type Measure<'a> = dyn FnMut(&str, f32, f32) -> Size + 'a;

/// Shorter forms of a label, longest first: without a parenthesis, then the
/// first word or two and an ellipsis.
pub fn shorter_forms(text: &str) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(i) = text.find(" (") {
        let s = text[..i].trim_end();
        if !s.is_empty() {
            v.push(s.to_string());
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    for n in [2usize, 1] {
        if words.len() > n {
            let s = format!("{}…", words[..n].join(" ").trim_end_matches([',', ':', '(']));
            if !v.contains(&s) {
                v.push(s);
            }
        }
    }
    v
}

/// Whether two rectangles overlap by more than a hair (shared edges are fine).
pub fn overlaps(a: Rect, b: Rect) -> bool {
    let i = a.intersect(b);
    i.width() > 0.5 && i.height() > 0.5
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Owner {
    Fixed,
    Label(usize),
    Group(usize),
}

struct Board {
    map: Rect,
    /// Node discs (their bounding squares).
    discs: Vec<Rect>,
    /// Texts placed so far, with what each is (a reply may push node labels
    /// and group names aside as a last resort).
    texts: Vec<(Rect, Owner)>,
}

impl Board {
    fn inside(&self, r: Rect) -> bool {
        self.map.shrink(2.0).contains_rect(r)
    }
    fn free(&self, r: Rect, skip_disc: Option<usize>) -> bool {
        self.inside(r)
            && !self.discs.iter().enumerate().any(|(i, d)| Some(i) != skip_disc && overlaps(*d, r))
            && !self.texts.iter().any(|(t, _)| overlaps(*t, r))
    }
}

/// Places every text. Deterministic: the same input gives the same output.
pub fn place(
    map: Rect,
    nodes: &[NodeIn],
    groups: &[GroupIn],
    bubbles: &[BubbleIn],
    style: &Style,
    measure: &mut Measure,
) -> Placement {
    let mut out = Placement {
        groups: vec![None; groups.len()],
        labels: vec![None; nodes.len()],
        extras: vec![None; nodes.len()],
        badges: vec![None; nodes.len()],
        ..Default::default()
    };
    let discs: Vec<Rect> =
        nodes.iter().map(|n| Rect::from_center_size(n.centre, Size::splat(2.0 * n.radius + 2.0))).collect();
    let mut board = Board { map, discs, texts: Vec::new() };

    // Queue badges first: they belong at their node's shoulder.
    for (i, n) in nodes.iter().enumerate() {
        let Some(b) = &n.badge else { continue };
        let s = measure(b, style.badge_px, f32::INFINITY);
        let size = vec2((s.x + 10.0).max(s.y + 4.0), s.y + 4.0);
        let d = n.radius * 0.75;
        for (dx, dy) in [(1.0, -1.0), (-1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)] {
            let r = Rect::from_center_size(n.centre + vec2(dx * d, dy * d), size);
            if board.free(r, Some(i)) {
                board.texts.push((r, Owner::Fixed));
                out.badges[i] =
                    Some(Placed { rect: r, text: b.clone(), full: None, px: style.badge_px, wrap: f32::INFINITY });
                break;
            }
        }
    }

    // Group names: above their outline, else along its other edges.
    for (g, grp) in groups.iter().enumerate() {
        let mut forms = vec![grp.name.clone()];
        forms.extend(shorter_forms(&grp.name));
        'forms: for (k, text) in forms.iter().enumerate() {
            let s = measure(text, style.label_px, f32::INFINITY);
            let o = grp.outline;
            let tries = [
                Rect::from_min_size(pos2(o.left() + 10.0, o.top() - s.y - 1.0), s),
                Rect::from_min_size(pos2(o.right() - 10.0 - s.x, o.top() - s.y - 1.0), s),
                Rect::from_min_size(pos2(o.left() + 10.0, o.top() + 2.0), s),
                Rect::from_min_size(pos2(o.right() - 10.0 - s.x, o.top() + 2.0), s),
                Rect::from_min_size(pos2(o.left() + 10.0, o.bottom() + 1.0), s),
                Rect::from_min_size(pos2(o.left() + 10.0, o.bottom() - s.y - 2.0), s),
            ];
            for r in tries {
                if board.free(r, None) {
                    board.texts.push((r, Owner::Group(g)));
                    let full = (k > 0).then(|| grp.name.clone());
                    out.groups[g] =
                        Some(Placed { rect: r, text: text.clone(), full, px: style.label_px, wrap: f32::INFINITY });
                    break 'forms;
                }
            }
        }
    }

    // Node labels: under the node, else above, beside, at the corners; then
    // shorter; else none (the full name is shown on hover).
    for (i, n) in nodes.iter().enumerate() {
        let mut forms = vec![n.label.clone()];
        forms.extend(shorter_forms(&n.label));
        let with_extra = n.extra.as_ref().map(|e| (e.clone(), measure(e, style.small_px, f32::INFINITY)));
        // Each form with its second line, then (crowded) each form alone.
        let mut tries_of: Vec<(usize, &String, Option<(String, Size)>)> =
            forms.iter().enumerate().map(|(k, t)| (k, t, with_extra.clone())).collect();
        if with_extra.is_some() {
            tries_of.extend(forms.iter().enumerate().map(|(k, t)| (k, t, None)));
        }
        let mut done = false;
        for (k, text, extra) in tries_of {
            let s1 = measure(text, style.label_px, style.label_wrap);
            let (w, h) = match &extra {
                Some((_, s2)) => (s1.x.max(s2.x), s1.y + 1.0 + s2.y),
                None => (s1.x, s1.y),
            };
            let size = vec2(w, h);
            let c = n.centre;
            let r = n.radius;
            let mut tries = Vec::new();
            for g in [3.0, 12.0, 24.0] {
                tries.extend([
                    Rect::from_min_size(pos2(c.x - w / 2.0, c.y + r + g), size),
                    Rect::from_min_size(pos2(c.x - w / 2.0, c.y - r - g - h), size),
                    Rect::from_min_size(pos2(c.x + r + g, c.y - h / 2.0), size),
                    Rect::from_min_size(pos2(c.x - r - g - w, c.y - h / 2.0), size),
                    Rect::from_min_size(pos2(c.x - r * 0.5, c.y + r + g), size),
                    Rect::from_min_size(pos2(c.x + r * 0.5 - w, c.y + r + g), size),
                    Rect::from_min_size(pos2(c.x - r * 0.5, c.y - r - g - h), size),
                    Rect::from_min_size(pos2(c.x + r * 0.5 - w, c.y - r - g - h), size),
                    Rect::from_min_size(pos2(c.x + r + g, c.y + r * 0.3), size),
                    Rect::from_min_size(pos2(c.x - r - g - w, c.y + r * 0.3), size),
                    Rect::from_min_size(pos2(c.x + r + g, c.y - r * 0.3 - h), size),
                    Rect::from_min_size(pos2(c.x - r - g - w, c.y - r * 0.3 - h), size),
                ]);
            }
            for r in tries {
                if board.free(r, None) {
                    board.texts.push((r, Owner::Label(i)));
                    let full = (k > 0 || (extra.is_none() && n.extra.is_some())).then(|| {
                        [Some(n.label.clone()), n.extra.clone()].into_iter().flatten().collect::<Vec<_>>().join("\n")
                    });
                    let top = Rect::from_min_size(pos2(r.center().x - s1.x / 2.0, r.top()), s1);
                    out.labels[i] = Some(Placed {
                        rect: top,
                        text: text.clone(),
                        full,
                        px: style.label_px,
                        wrap: style.label_wrap,
                    });
                    if let Some((e, s2)) = &extra {
                        let under = Rect::from_min_size(pos2(r.center().x - s2.x / 2.0, top.bottom() + 1.0), *s2);
                        out.extras[i] = Some(Placed {
                            rect: under,
                            text: e.clone(),
                            full: None,
                            px: style.small_px,
                            wrap: f32::INFINITY,
                        });
                    }
                    done = true;
                    break;
                }
            }
            if done {
                break;
            }
        }
        if !done {
            out.labels_hidden += 1;
        }
    }

    // Replies: near their node with a leader line, where they cover nothing.
    for b in bubbles {
        let Some(n) = nodes.get(b.node) else { continue };
        let s = measure(&b.text, style.bubble_px, style.bubble_wrap);
        let size = s + 2.0 * style.bubble_pad;
        let c = n.centre;
        let r = n.radius + 6.0;
        let mut tries = Vec::new();
        for dist in [0.0, 24.0, 56.0, 96.0, 150.0, 220.0] {
            let d = r + dist;
            let e = d * std::f32::consts::FRAC_1_SQRT_2;
            tries.extend([
                Rect::from_min_size(pos2(c.x - size.x / 2.0, c.y - d - size.y), size),
                Rect::from_min_size(pos2(c.x + e, c.y - e - size.y), size),
                Rect::from_min_size(pos2(c.x - e - size.x, c.y - e - size.y), size),
                Rect::from_min_size(pos2(c.x + d, c.y - size.y / 2.0), size),
                Rect::from_min_size(pos2(c.x - d - size.x, c.y - size.y / 2.0), size),
                Rect::from_min_size(pos2(c.x + e, c.y + e), size),
                Rect::from_min_size(pos2(c.x - e - size.x, c.y + e), size),
                Rect::from_min_size(pos2(c.x - size.x / 2.0, c.y + d), size),
            ]);
        }
        let mut chosen = tries.iter().copied().find(|t| board.free(*t, None));
        if chosen.is_none() {
            // Anywhere free on the map, nearest the node first.
            let step = 16.0;
            let mut best: Option<(f32, Rect)> = None;
            let mut y = map.top() + 2.0;
            while y + size.y <= map.bottom() - 2.0 {
                let mut x = map.left() + 2.0;
                while x + size.x <= map.right() - 2.0 {
                    let t = Rect::from_min_size(pos2(x, y), size);
                    let d = t.distance_sq_to_pos(c);
                    if best.is_none_or(|(bd, _)| d < bd) && board.free(t, None) {
                        best = Some((d, t));
                    }
                    x += step;
                }
                y += step;
            }
            chosen = best.map(|(_, t)| t);
        }
        if chosen.is_none() {
            // Last resort: the spot nearest the node that covers the fewest
            // node labels and group names (never a node, a badge or another
            // reply); those give way while the reply shows.
            let step = 16.0;
            let mut spots = tries.clone();
            let mut y = map.top() + 2.0;
            while y + size.y <= map.bottom() - 2.0 {
                let mut x = map.left() + 2.0;
                while x + size.x <= map.right() - 2.0 {
                    spots.push(Rect::from_min_size(pos2(x, y), size));
                    x += step;
                }
                y += step;
            }
            let mut best: Option<(usize, f32, Rect)> = None;
            for t in spots {
                if !board.inside(t) || board.discs.iter().any(|d| overlaps(*d, t)) {
                    continue;
                }
                if board.texts.iter().any(|(x, who)| *who == Owner::Fixed && overlaps(*x, t)) {
                    continue;
                }
                let hit = board.texts.iter().filter(|(x, _)| overlaps(*x, t)).count();
                let d = t.distance_sq_to_pos(c);
                if best.is_none_or(|(h, bd, _)| hit < h || (hit == h && d < bd)) {
                    best = Some((hit, d, t));
                }
            }
            if let Some((_, _, t)) = best {
                let covered: Vec<Owner> =
                    board.texts.iter().filter(|(x, _)| overlaps(*x, t)).map(|(_, who)| *who).collect();
                for who in covered {
                    match who {
                        Owner::Label(i) => {
                            out.labels[i] = None;
                            out.extras[i] = None;
                        }
                        Owner::Group(g) => out.groups[g] = None,
                        Owner::Fixed => {}
                    }
                    out.labels_covered += 1;
                }
                board.texts.retain(|(x, _)| !overlaps(*x, t));
                chosen = Some(t);
            }
        }
        let Some(boxed) = chosen else {
            out.bubbles_hidden += 1;
            continue;
        };
        board.texts.push((boxed, Owner::Fixed));
        let inner = Rect::from_min_size(boxed.min + style.bubble_pad, s);
        let rim = {
            let target = boxed.clamp(c);
            let v = target - c;
            if v.length() > n.radius + 10.0 { Some((c + v.normalized() * n.radius, target)) } else { None }
        };
        out.bubbles.push(PlacedBubble {
            node: b.node,
            boxed,
            text: Placed {
                rect: inner,
                text: b.text.clone(),
                full: None,
                px: style.bubble_px,
                wrap: style.bubble_wrap,
            },
            leader: rim,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measure(t: &str, px: f32, wrap: f32) -> Size {
        // A fixed-width stand-in for egui's fonts: 0.55 em per character.
        let w = t.chars().count() as f32 * px * 0.55;
        let lines = if wrap.is_finite() { (w / wrap).ceil().max(1.0) } else { 1.0 };
        vec2(w.min(wrap), lines * px * 1.2)
    }

    #[test]
    fn fit_then_project_puts_the_world_inside_the_map() {
        let world = WorldRect::new(-800.0, -400.0, 900.0, 500.0);
        let window = vec2(1280.0, 720.0);
        let map = Rect::from_min_max(pos2(0.0, 80.0), pos2(920.0, 560.0));
        let v = fit(world, map, window);
        for p in [world.min, world.max, Vec2::new(world.min.x, world.max.y)] {
            let q = to_px(v, window, p);
            assert!(map.expand(0.5).contains(q), "{q:?} outside {map:?}");
            assert!(to_world(v, window, q).distance(p) < 0.01);
        }
        // A focus point far away moves the view only as far as keeps every
        // node on the map.
        for wanted in [Vec2::new(5000.0, 5000.0), Vec2::new(-5000.0, 0.0), Vec2::new(0.0, -5000.0)] {
            let c = clamp_centre(wanted, world, map, window, v.scale);
            let moved = View { centre: c, scale: v.scale };
            for p in [world.min, world.max, Vec2::new(world.min.x, world.max.y), Vec2::new(world.max.x, world.min.y)] {
                let q = to_px(moved, window, p);
                assert!(map.expand(0.5).contains(q), "{wanted:?}: {q:?} outside {map:?}");
            }
        }
    }

    #[test]
    fn crowded_labels_never_overlap_and_replies_keep_every_word() {
        let nodes: Vec<NodeIn> = (0..30)
            .map(|i| NodeIn {
                centre: pos2(100.0 + (i % 6) as f32 * 90.0, 100.0 + (i / 6) as f32 * 70.0),
                radius: 14.0,
                label: format!("Node number {i} (with a long explanation)"),
                extra: (i % 5 == 0).then(|| "× 500 PCs, 20 infected".to_string()),
                badge: (i % 3 == 0).then(|| format!("{i}")),
            })
            .collect();
        let reply = "↩ 450 4.7.1 <bob@example.org>: Recipient address rejected: Greylisted, see RFC 6647".to_string();
        let bubbles: Vec<BubbleIn> = (0..6).map(|i| BubbleIn { node: i * 4, text: reply.clone() }).collect();
        let map = Rect::from_min_max(pos2(0.0, 0.0), pos2(900.0, 600.0));
        let groups =
            vec![GroupIn { outline: Rect::from_min_max(pos2(60.0, 60.0), pos2(400.0, 300.0)), name: "ISP A".into() }];
        let p = place(map, &nodes, &groups, &bubbles, &Style::new(false), &mut measure);
        let mut rects: Vec<Rect> = Vec::new();
        rects.extend(p.groups.iter().flatten().map(|x| x.rect));
        rects.extend(p.labels.iter().flatten().map(|x| x.rect));
        rects.extend(p.extras.iter().flatten().map(|x| x.rect));
        rects.extend(p.badges.iter().flatten().map(|x| x.rect));
        rects.extend(p.bubbles.iter().map(|x| x.boxed));
        for (i, a) in rects.iter().enumerate() {
            assert!(map.contains_rect(*a));
            for b in &rects[..i] {
                assert!(!overlaps(*a, *b), "{a:?} overlaps {b:?}");
            }
        }
        for b in &p.bubbles {
            assert_eq!(b.text.text, reply);
            for n in &nodes {
                assert!(!overlaps(b.boxed, Rect::from_center_size(n.centre, Size::splat(28.0))));
            }
        }
        assert_eq!(p.bubbles.len() + p.bubbles_hidden, bubbles.len());
        // The same input gives the same output.
        let q = place(map, &nodes, &groups, &bubbles, &Style::new(false), &mut measure);
        assert_eq!(p.labels, q.labels);
        assert_eq!(p.bubbles, q.bubbles);
    }

    #[test]
    fn shorter_forms_drop_the_parenthesis_first() {
        assert_eq!(
            shorter_forms("Infected laptop (hotel guest)"),
            vec!["Infected laptop".to_string(), "Infected laptop…".to_string(), "Infected…".to_string()]
        );
        assert!(shorter_forms("DNS").is_empty());
    }
}
