//! Messages on the move: the core's trace turned into envelopes travelling
//! along the links of each hop, and the replies shown where they were given.
//! Nothing here decides anything: a refusal is drawn because the trace says a
//! server refused, with the reply it gave.

use bevy::math::Vec2;
use bevy::prelude::*;

use crate::gui::layout;
use crate::gui::playback::SimState;
use crate::gui::scene::Lang;
use crate::scenario::NodeKind;
use crate::sim::trace::TraceEvent;
use crate::sim::{MailClass, MsgId};

/// The envelopes: the trace turned into flights, moved on each frame.
pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Flights>()
        .add_systems(Update, (consume_trace, update_flights).chain().in_set(crate::gui::AppSet::Animate));
}

/// Real seconds an envelope takes for one hop (an SMTP session lasts well
/// under a second of simulated time: too fast to see at any useful speed).
pub const HOP_SECONDS: f64 = 0.9;
/// Real seconds a reply stays on screen.
pub const BUBBLE_SECONDS: f64 = 3.0;
/// Envelopes beyond this many are not drawn (the oldest go first), so the
/// frame rate holds at the highest speeds.
pub const MAX_FLIGHTS: usize = 6_000;

/// How a hop ended, once the trace says so.
#[derive(Debug, Clone, PartialEq)]
pub enum HopEnd {
    Accepted,
    /// The server's reply (e.g. `554 5.7.1 Relay access denied`).
    Refused(String),
    /// A router on the way dropped the connection.
    Dropped {
        router: usize,
    },
}

/// Which way an envelope travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leg {
    /// To the server of the hop.
    Out,
    /// Back to its sender's queue after a refusal or a drop.
    Back,
}

/// One envelope on screen.
#[derive(Debug, Clone)]
pub struct Flight {
    pub msg: MsgId,
    pub class: MailClass,
    pub from: usize,
    pub to: usize,
    /// The points it passes: client, routers on the way, server.
    pub path: Vec<Vec2>,
    /// Node index of each point of `path`.
    pub path_nodes: Vec<usize>,
    /// Animation time it set off (real seconds).
    pub started: f64,
    pub leg: Leg,
    pub end: Option<HopEnd>,
}

impl Flight {
    /// Where along its path it is (0..=1).
    pub fn progress(&self, now: f64) -> f32 {
        ((now - self.started) / HOP_SECONDS).clamp(0.0, 1.0) as f32
    }

    /// Its position on screen at `now`.
    pub fn position(&self, now: f64) -> Vec2 {
        point_along(&self.path, self.progress(now))
    }
}

/// The point at fraction `f` of the length of a polyline.
pub fn point_along(path: &[Vec2], f: f32) -> Vec2 {
    let total: f32 = path.windows(2).map(|w| w[0].distance(w[1])).sum();
    if path.is_empty() {
        return Vec2::ZERO;
    }
    let mut left = total * f;
    for w in path.windows(2) {
        let d = w[0].distance(w[1]);
        if left <= d && d > 0.0 {
            return w[0].lerp(w[1], left / d);
        }
        left -= d;
    }
    *path.last().unwrap_or(&Vec2::ZERO)
}

/// What a reply bubble says and how it looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BubbleKind {
    /// 4xx: try again later (greylisting, a full queue).
    Deferred,
    /// 5xx: refused for good.
    Refused,
    /// Dropped by a router (no reply at all).
    Dropped,
}

/// A reply shown at a node for a few seconds.
#[derive(Debug, Clone)]
pub struct Bubble {
    pub node: usize,
    pub text: String,
    pub kind: BubbleKind,
    pub until: f64,
}

/// Everything animated, rebuilt from the trace.
#[derive(Resource, Default)]
pub struct Flights {
    pub list: Vec<Flight>,
    pub bubbles: Vec<Bubble>,
    /// Animation clock (real seconds, stops when frozen).
    pub now: f64,
    /// Node positions (world units), from [`layout::positions`].
    pub positions: Vec<Vec2>,
    /// The generation of the run these flights belong to.
    pub generation: u64,
}

impl Flights {
    pub fn in_flight(&self) -> usize {
        self.list.len()
    }

    fn find(&mut self, msg: MsgId) -> Option<&mut Flight> {
        self.list.iter_mut().rev().find(|f| f.msg == msg && f.leg == Leg::Out)
    }

    fn bubble(&mut self, node: usize, text: String, kind: BubbleKind) {
        // One bubble per node: the newest reply replaces the older one.
        self.bubbles.retain(|b| b.node != node);
        self.bubbles.push(Bubble { node, text, kind, until: self.now + BUBBLE_SECONDS });
    }
}

/// Turns new trace events into flights and replies.
pub fn consume_trace(mut state: ResMut<SimState>, mut flights: ResMut<Flights>) {
    let _own = crate::gui::own_time::Span::start("flights::consume_trace");
    let state = &mut *state;
    if flights.generation != state.generation || flights.positions.len() != state.scenario.nodes.len() {
        flights.list.clear();
        flights.bubbles.clear();
        flights.positions = layout::positions(&state.scenario);
        flights.generation = state.generation;
    }
    let events = std::mem::take(&mut state.sim.trace.events);
    for (_, ev) in &events[state.cursor.min(events.len())..] {
        apply(state, &mut flights, ev);
    }
    state.cursor = events.len();
    state.sim.trace.events = events;
    if flights.list.len() > MAX_FLIGHTS {
        let extra = flights.list.len() - MAX_FLIGHTS;
        flights.list.drain(..extra);
    }
}

fn apply(state: &mut SimState, flights: &mut Flights, ev: &TraceEvent) {
    let now = flights.now;
    match ev {
        TraceEvent::HopStarted { msg, from, to } => {
            let route = state.sim.route(*from, *to);
            let mut path_nodes = vec![*from];
            path_nodes.extend(route.map(|r| r.via).unwrap_or_default());
            path_nodes.push(*to);
            let path = path_nodes.iter().map(|&n| flights.positions.get(n).copied().unwrap_or_default()).collect();
            let class = state.sim.messages.get(msg.0 as usize).map_or(MailClass::Legit, |m| m.class);
            flights.list.retain(|f| f.msg != *msg);
            flights.list.push(Flight {
                msg: *msg,
                class,
                from: *from,
                to: *to,
                path,
                path_nodes,
                started: now,
                leg: Leg::Out,
                end: None,
            });
        }
        TraceEvent::HopEnded { msg, accepted, result, .. } => {
            if let Some(f) = flights.find(*msg)
                && f.end.is_none()
            {
                f.end = Some(if *accepted { HopEnd::Accepted } else { HopEnd::Refused(result.clone()) });
            }
        }
        TraceEvent::Dropped { msg, router } => {
            if let Some(f) = flights.find(*msg) {
                // The envelope only gets as far as the router.
                if let Some(k) = f.path_nodes.iter().position(|n| n == router) {
                    f.path.truncate(k + 1);
                    f.path_nodes.truncate(k + 1);
                }
                f.end = Some(HopEnd::Dropped { router: *router });
            }
        }
        _ => {}
    }
}

/// Why a router dropped a connection, from its configuration and the port.
pub fn drop_text(state: &SimState, router: usize, msg: MsgId, lang: Lang) -> String {
    let port = state.sim.messages.get(msg.0 as usize).and_then(|m| m.hops.last()).map_or(25, |h| h.port);
    let op25b = matches!(&state.scenario.nodes.get(router).map(|n| &n.kind), Some(NodeKind::Router(r)) if !r.filters.is_empty());
    match (op25b && port == 25, lang) {
        (true, Lang::En) => "dropped: outbound port 25 blocked (OP25B)".to_string(),
        (true, Lang::Ja) => "遮断: 25番ポートへの接続をブロック (OP25B)".to_string(),
        (false, Lang::En) => format!("dropped: connection to port {port} filtered"),
        (false, Lang::Ja) => format!("遮断: ポート {port} への接続をフィルタ"),
    }
}

/// Moves envelopes on; at the end of a hop shows the reply and sends refused
/// mail back to its sender's queue.
pub fn update_flights(
    time: Res<Time>,
    state: Res<SimState>,
    mut playback: ResMut<crate::gui::playback::Playback>,
    mut flights: ResMut<Flights>,
    ui: Option<Res<crate::gui::scene::UiState>>,
) {
    let _own = crate::gui::own_time::Span::start("flights::update_flights");
    let lang = ui.map_or(Lang::En, |u| u.lang);
    // The envelopes stand still while paused (a step plays its own hop).
    flights.now += playback.animation_dt(time.delta_secs_f64());
    let now = flights.now;
    let mut done = Vec::new();
    let mut backs = Vec::new();
    let mut bubbles = Vec::new();
    for (i, f) in flights.list.iter().enumerate() {
        if f.progress(now) < 1.0 {
            continue;
        }
        match (&f.leg, &f.end) {
            (Leg::Back, _) => done.push(i),
            (Leg::Out, None) => {} // waits at the server for the reply
            (Leg::Out, Some(HopEnd::Accepted)) => done.push(i),
            (Leg::Out, Some(HopEnd::Refused(reply))) => {
                let kind = if reply.starts_with('4') { BubbleKind::Deferred } else { BubbleKind::Refused };
                bubbles.push((f.to, reply.clone(), kind));
                backs.push(i);
            }
            (Leg::Out, Some(HopEnd::Dropped { router })) => {
                bubbles.push((*router, drop_text(&state, *router, f.msg, lang), BubbleKind::Dropped));
                backs.push(i);
            }
        }
    }
    for (node, text, kind) in bubbles {
        flights.bubble(node, text, kind);
    }
    for &i in &backs {
        let f = &mut flights.list[i];
        f.path.reverse();
        f.path_nodes.reverse();
        f.leg = Leg::Back;
        f.started = now;
    }
    let mut remove = vec![false; flights.list.len()];
    for i in done {
        remove[i] = true;
    }
    let mut k = 0;
    flights.list.retain(|_| {
        k += 1;
        !remove[k - 1]
    });
    flights.bubbles.retain(|b| b.until > now);
}
