//! What the window shows, measured: every text drawn on the map and every
//! panel as rectangles in window pixels (`relaysim gui FILE --after T
//! --layout-json OUT.json`), and the same frame computed without a window
//! ([`headless`]) for the tests: the real panel and overlay systems run on an
//! egui context fed with a screen of the size asked for.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bevy::ecs::system::RunSystemOnce;
use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use bevy_egui::{EguiContext, EguiUserTextures, PrimaryEguiContext, egui};
use serde::Serialize;

use crate::gui::label_layout::Placed;
use crate::gui::playback::{Playback, SimState};
use crate::gui::scene::{CameraView, UiState};
use crate::gui::{LogicPlugin, Selection, overlay, panels, screenshot};
use crate::sim::MsgId;
use crate::units::SimTime;

/// What an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A node's label (or its second line).
    Label,
    /// An ISP's or domain's name.
    Group,
    /// A server's reply.
    Bubble,
    /// A queue's count.
    Badge,
    /// A band of the window covered by panels.
    Panel,
    /// A node's disc.
    Node,
    /// An envelope in flight.
    Envelope,
}

impl Kind {
    /// Kinds that are words (the ones that must never overlap).
    pub fn is_text(self) -> bool {
        matches!(self, Kind::Label | Kind::Group | Kind::Bubble | Kind::Badge)
    }
}

/// One thing drawn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    pub kind: Kind,
    pub text: String,
    /// x, y, width, height in window pixels.
    pub rect: [f32; 4],
    /// The whole text, when the one drawn is shortened (shown on hover).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full: Option<String>,
    /// Font size in window pixels (texts only).
    #[serde(skip_serializing_if = "is_zero")]
    pub font_px: f32,
    /// The node or group it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

fn is_zero(v: &f32) -> bool {
    *v == 0.0
}

impl Item {
    pub fn new(kind: Kind, text: &str, r: egui::Rect, font_px: f32) -> Item {
        Item {
            kind,
            text: text.to_string(),
            rect: [r.min.x, r.min.y, r.width(), r.height()],
            full: None,
            font_px,
            owner: None,
        }
    }
    pub fn placed(kind: Kind, p: &Placed) -> Item {
        Item { full: p.full.clone(), ..Item::new(kind, &p.text, p.rect, p.px) }
    }
    pub fn with_owner(mut self, owner: String) -> Item {
        self.owner = Some(owner);
        self
    }
    pub fn rect(&self) -> egui::Rect {
        egui::Rect::from_min_size(egui::pos2(self.rect[0], self.rect[1]), egui::vec2(self.rect[2], self.rect[3]))
    }
}

/// The last frame's layout.
#[derive(Resource, Debug, Clone, Default, Serialize)]
pub struct LayoutDump {
    pub window: [f32; 2],
    pub presenter: bool,
    /// The visible map: the part of the window no panel covers.
    pub map_rect: [f32; 4],
    pub nodes_visible: usize,
    pub nodes_total: usize,
    /// Node labels that found no room (shown on hover).
    pub labels_hidden: usize,
    /// Labels giving way to a reply while it shows.
    pub labels_covered: usize,
    /// Replies that found no room.
    pub bubbles_hidden: usize,
    pub items: Vec<Item>,
    /// Frames laid out so far.
    #[serde(skip)]
    pub frame: u64,
    /// Record the items every frame (off in the plain window: it costs time).
    #[serde(skip)]
    pub record: bool,
}

impl LayoutDump {
    pub fn map(&self) -> egui::Rect {
        egui::Rect::from_min_size(
            egui::pos2(self.map_rect[0], self.map_rect[1]),
            egui::vec2(self.map_rect[2], self.map_rect[3]),
        )
    }

    pub fn write(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Everything wrong with this layout, as sentences (empty when none):
    /// overlapping texts, texts outside the map, texts over a node, nodes
    /// outside the map, a map under `min_share` of the window, and replies
    /// that lost words.
    pub fn problems(&self, min_share: f32) -> Vec<String> {
        let mut v = Vec::new();
        let map = self.map();
        let share = map.area() / (self.window[0] * self.window[1]).max(1.0);
        if share < min_share {
            v.push(format!("the map is {:.0}% of the window ({:?})", share * 100.0, self.map_rect));
        }
        if self.nodes_visible != self.nodes_total {
            v.push(format!("{} of {} nodes visible", self.nodes_visible, self.nodes_total));
        }
        // No panel covers the map (a panel whose contents overflow can reach
        // past the area egui reports as free).
        for p in self.items.iter().filter(|i| i.kind == Kind::Panel) {
            if crate::gui::label_layout::overlaps(p.rect(), map) {
                v.push(format!("panel {} {:?} covers the map {:?}", p.text, p.rect, self.map_rect));
            }
        }
        let texts: Vec<&Item> = self.items.iter().filter(|i| i.kind.is_text()).collect();
        let nodes: Vec<&Item> = self.items.iter().filter(|i| i.kind == Kind::Node).collect();
        for (k, a) in texts.iter().enumerate() {
            if !map.expand(0.5).contains_rect(a.rect()) {
                v.push(format!("{:?} {:?} {:?} is not inside the map", a.kind, a.text, a.rect));
            }
            for b in &texts[..k] {
                if crate::gui::label_layout::overlaps(a.rect(), b.rect()) {
                    v.push(format!(
                        "{:?} {:?} {:?} overlaps {:?} {:?} {:?}",
                        a.kind, a.text, a.rect, b.kind, b.text, b.rect
                    ));
                }
            }
            for n in &nodes {
                // A badge sits on its own node's rim.
                if a.kind == Kind::Badge && a.owner.as_deref() == Some(n.text.as_str()) {
                    continue;
                }
                if crate::gui::label_layout::overlaps(a.rect(), n.rect()) {
                    v.push(format!("{:?} {:?} covers node {}", a.kind, a.text, n.text));
                }
            }
            if a.kind == Kind::Bubble && a.text.ends_with('…') {
                v.push(format!("reply cut: {:?}", a.text));
            }
        }
        for n in &nodes {
            if !map.contains_rect(n.rect()) {
                v.push(format!("node {} {:?} is outside the map", n.text, n.rect));
            }
        }
        v
    }
}

/// What to lay out without a window.
#[derive(Debug, Clone, Default)]
pub struct Headless {
    pub file: PathBuf,
    pub after: SimTime,
    /// Window size in logical pixels.
    pub size: (f32, f32),
    pub presenter: bool,
    /// Open this node (id) in the inspector.
    pub node: Option<String>,
    /// Open this message in the inspector.
    pub message: Option<u32>,
    /// Draw in Japanese.
    pub japanese: bool,
    /// In edit mode (with `node` selected for its form).
    pub edit: bool,
}

/// Runs the GUI's logic, panels and overlay for the frames a screenshot would
/// play, on an egui context with a screen of `size`, and returns the layout of
/// the last frame.
pub fn headless(h: &Headless) -> Result<LayoutDump, String> {
    let state = SimState::load(&h.file)?;
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs_f64(1.0 / 30.0)))
        .add_plugins(LogicPlugin::new(state))
        .insert_resource(UiState {
            presenter: h.presenter,
            lang: if h.japanese { crate::gui::scene::Lang::Ja } else { crate::gui::scene::Lang::En },
            show_stats: true,
            follow_focus: false,
            ..default()
        })
        .init_resource::<CameraView>()
        .insert_resource(LayoutDump { record: true, ..Default::default() })
        .init_resource::<EguiUserTextures>()
        .insert_resource(ClearColor(Color::BLACK));
    app.world_mut().spawn((EguiContext::default(), PrimaryEguiContext));
    {
        let world = app.world_mut();
        let index =
            h.node.as_ref().and_then(|id| world.resource::<SimState>().scenario.nodes.iter().position(|n| n.id == *id));
        let mut sel = world.resource_mut::<Selection>();
        sel.node = index;
        sel.msg = h.message.map(MsgId);
    }
    let ctx = {
        let world = app.world_mut();
        let mut q = world.query::<&mut EguiContext>();
        q.single_mut(world).map_err(|e| e.to_string())?.get_mut().clone()
    };
    {
        let world = app.world_mut();
        let mut playback = Playback::default();
        {
            let mut state = world.resource_mut::<SimState>();
            screenshot::prime_to(h.after, &mut state, &mut playback);
        }
        world.insert_resource(playback);
        if h.edit {
            world.insert_resource(crate::gui::edit::StartEditing { template: None, node: h.node.clone() });
        }
    }
    let mut frames = 0;
    let mut settled = 0;
    while settled < 4 {
        frames += 1;
        if frames > 2_000 {
            return Err("the run never reached the time asked for".into());
        }
        app.update();
        let zoom = ctx.zoom_factor();
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(h.size.0, h.size.1) / zoom)),
            ..Default::default()
        };
        ctx.begin_pass(input);
        let world = app.world_mut();
        let ran: Result = world.run_system_once(panels::ui).map_err(|e| e.to_string())?;
        ran.map_err(|e| e.to_string())?;
        let ran: Result = world.run_system_once(overlay::draw).map_err(|e| e.to_string())?;
        ran.map_err(|e| e.to_string())?;
        ctx.end_pass().textures_delta.clear();
        if std::env::var_os("RELAYSIM_DEBUG_PANELS").is_some() {
            let st = egui::containers::panel::PanelState::load(&ctx, egui::Id::new("inspector"));
            eprintln!(
                "frame {frames} zoom {} inspector {:?} free {:?}",
                ctx.zoom_factor(),
                st.map(|s| s.outer_rect),
                world.resource::<UiState>().free_rect
            );
        }
        if screenshot::arrived(world, h.after) {
            settled += 1;
        }
    }
    Ok(app.world().resource::<LayoutDump>().clone())
}
