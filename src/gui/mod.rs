//! The classroom GUI: a Bevy app that drives the headless core and animates
//! its trace. Nothing here decides what happens to a mail; the core does, and
//! the GUI shows it (envelopes per hop, replies at the node, queues).
//!
//! [`LogicPlugin`] holds what runs without a window (the simulation, the
//! flights, the entities and their places) and is what the headless test
//! drives; [`ViewPlugin`] draws it, with egui panels on top.

#![allow(clippy::too_many_arguments, clippy::type_complexity)] // Bevy systems take their data as arguments.

pub mod bench;
pub mod edit;
pub mod events;
pub mod flights;
pub mod fonts;
pub mod icons;
pub mod imgdiff;
pub mod label_layout;
pub mod layout;
pub mod layout_dump;
pub mod live;
pub mod overlay;
pub mod own_time;
pub mod panels;
pub mod playback;
pub mod scene;
pub mod screenshot;
pub mod stats;
pub mod text;
pub mod watch;

use std::path::PathBuf;

use bevy::prelude::*;

use crate::sim::{MailClass, MsgId};
use crate::units::SimTime;
use flights::Flights;
use playback::{Playback, SimState};

/// How the GUI was asked to start.
#[derive(Debug, Clone, Default)]
pub struct GuiOptions {
    pub file: PathBuf,
    /// Save a screenshot here and exit.
    pub screenshot: Option<PathBuf>,
    /// Advance the simulation this far before the screenshot.
    pub after: Option<SimTime>,
    /// Measure frame time over this many frames with 2,000 messages in flight.
    pub bench_frames: Option<u32>,
    /// Start in presenter mode.
    pub presenter: bool,
    /// Start in Japanese.
    pub japanese: bool,
    /// Open this message in the inspector (for screenshots of a story).
    pub message: Option<u32>,
    /// Open this node (its id) in the inspector.
    pub node: Option<String>,
    /// Show the event list in the bottom panel (instead of the statistics).
    pub events: bool,
    // Window size and the layout dump (gui-layout; see screenshot::primary_window).
    /// Write the layout of the frame at `after` here (JSON) and exit.
    pub layout_json: Option<PathBuf>,
    /// Window size in logical pixels (default: the monitor's size; 1280x720 for screenshots).
    pub size: Option<(u32, u32)>,
    /// Open full screen.
    pub fullscreen: bool,
    /// Live SMTP/POP3 ports into the run (`--smtp`, `--pop3`), as `serve` opens them.
    pub live: crate::live::LiveOptions,
    /// With live ports: the playback speed to start at (`--speed`).
    pub live_speed: Option<f64>,
    /// Open in edit mode (`--edit`).
    pub edit: bool,
    /// Open in edit mode on a new world from this template (`--new`).
    pub new_world: Option<String>,
}

/// The node drawn for `scenario.nodes[index]`.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct NodeIcon {
    pub index: usize,
    pub kind: icons::IconKind,
}

/// One envelope sprite of the pool; `slot` is its index in [`Flights::list`].
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct Envelope {
    pub slot: usize,
    /// The class drawn (`None` while hidden).
    pub class: Option<MailClass>,
    pub msg: Option<MsgId>,
}

/// What the teacher clicked.
#[derive(Resource, Default, Debug, Clone, PartialEq)]
pub struct Selection {
    pub node: Option<usize>,
    pub msg: Option<MsgId>,
}

/// Messages waiting per node: in a server's queue, or in a sender's outbox.
#[derive(Resource, Default, Debug, Clone)]
pub struct Queues {
    pub at: Vec<u32>,
    frame: u32,
}

/// The generation of the run whose nodes are spawned.
#[derive(Resource, Default)]
struct SpawnedGeneration(Option<u64>);

/// Everything that runs without a window: usable under `MinimalPlugins`.
pub struct LogicPlugin {
    pub state: std::sync::Mutex<Option<SimState>>,
}

impl LogicPlugin {
    pub fn new(state: SimState) -> Self {
        LogicPlugin { state: std::sync::Mutex::new(Some(state)) }
    }
}

impl Plugin for LogicPlugin {
    fn build(&self, app: &mut App) {
        if let Some(state) = self.state.lock().ok().and_then(|mut s| s.take()) {
            app.insert_resource(state);
        }
        // The frame's order, visible in one place; each file registers its
        // own systems into these sets (one plugin per file).
        app.configure_sets(
            Update,
            (AppSet::Input, AppSet::Advance, AppSet::Animate, AppSet::Count, AppSet::Draw).chain(),
        );
        app.configure_sets(Update, (AppSet::Advance, AppSet::Animate, AppSet::Count).in_set(LogicSet));
        app.add_plugins((
            watch::plugin,
            playback::plugin,
            flights::plugin,
            stats::plugin,
            events::plugin,
            panels::plugin,
            live::plugin,
            edit::plugin,
        ))
        .add_plugins(plugin);
    }
}

/// This file's part: the selection, the node and envelope entities, the queues.
fn plugin(app: &mut App) {
    app.init_resource::<Selection>()
        .init_resource::<Queues>()
        .init_resource::<SpawnedGeneration>()
        .add_systems(
            Update,
            (spawn_nodes, sync_envelopes).chain().in_set(AppSet::Animate).after(flights::update_flights),
        )
        .add_systems(Update, count_queues.in_set(AppSet::Count));
}

/// The parts of a frame, in order: read the teacher's input (keys, mouse,
/// the file watcher), move the simulation, turn its trace into moving
/// envelopes, count what the panels show, then draw.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppSet {
    Input,
    Advance,
    Animate,
    Count,
    Draw,
}

/// The systems that move the simulation and the flights (the sets
/// `Advance`, `Animate` and `Count`): what the headless tests drive.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogicSet;

/// (Re)spawns the node entities when a run starts or the file is reloaded.
fn spawn_nodes(
    mut commands: Commands,
    state: Res<SimState>,
    flights: Res<Flights>,
    mut spawned: ResMut<SpawnedGeneration>,
    old: Query<Entity, With<NodeIcon>>,
) {
    let _own = crate::gui::own_time::Span::start("mod::spawn_nodes");
    if spawned.0 == Some(state.generation) && old.iter().count() == state.scenario.nodes.len() {
        return;
    }
    for e in &old {
        commands.entity(e).despawn();
    }
    for (i, node) in state.scenario.nodes.iter().enumerate() {
        let p = flights.positions.get(i).copied().unwrap_or_default();
        commands.spawn((
            NodeIcon { index: i, kind: icons::IconKind::of(&node.kind) },
            Transform::from_xyz(p.x, p.y, 1.0),
            Visibility::default(),
        ));
    }
    spawned.0 = Some(state.generation);
}

/// Keeps one envelope entity per flight (a pool: entities are reused, never
/// despawned), placed where its flight is now.
fn sync_envelopes(
    mut commands: Commands,
    flights: Res<Flights>,
    mut pool: Query<(&mut Envelope, &mut Transform, &mut Visibility)>,
) {
    let _own = crate::gui::own_time::Span::start("mod::sync_envelopes");
    let have = pool.iter().len();
    // Written only where something changed (a write makes Bevy recompute
    // that entity's transform): a paused picture costs nothing.
    for (mut env, mut tf, mut vis) in &mut pool {
        match flights.list.get(env.slot) {
            Some(f) => {
                let p = f.position(flights.now);
                let at = Vec3::new(p.x, p.y, 5.0 + env.slot as f32 * 1e-5);
                if tf.translation != at {
                    tf.translation = at;
                }
                if env.class != Some(f.class) || env.msg != Some(f.msg) {
                    env.class = Some(f.class);
                    env.msg = Some(f.msg);
                }
                if *vis != Visibility::Inherited {
                    *vis = Visibility::Inherited;
                }
            }
            None => {
                if *vis != Visibility::Hidden {
                    *vis = Visibility::Hidden;
                    env.class = None;
                    env.msg = None;
                }
            }
        }
    }
    for slot in have..flights.list.len() {
        let f = &flights.list[slot];
        let p = f.position(flights.now);
        commands.spawn((
            Envelope { slot, class: Some(f.class), msg: Some(f.msg) },
            Transform::from_xyz(p.x, p.y, 5.0),
            Visibility::Inherited,
        ));
    }
}

/// Counts queued messages per node (every few frames: it walks all messages).
fn count_queues(state: Res<SimState>, mut queues: ResMut<Queues>) {
    let _own = crate::gui::own_time::Span::start("mod::count_queues");
    queues.frame = queues.frame.wrapping_add(1);
    if queues.frame % 8 != 1 && queues.at.len() == state.sim.nodes.len() {
        return;
    }
    let mut at = vec![0u32; state.sim.nodes.len()];
    for n in state.sim.messages.iter().filter_map(|m| m.waiting_at()) {
        if let Some(c) = at.get_mut(n) {
            *c += 1;
        }
    }
    queues.at = at;
}

/// While the run is paused and nothing moves, the window is redrawn only on
/// input (and once a second, for the file watcher): about 10% of a core
/// while a teacher talks, against 157% while playing. Screenshots and
/// benchmarks keep every frame.
fn redraw_only_when_moving(
    playback: Res<Playback>,
    view: Option<Res<scene::CameraView>>,
    live_ports: Option<Res<live::LivePorts>>,
    mut winit: ResMut<bevy::winit::WinitSettings>,
) {
    use bevy::winit::UpdateMode;
    let moving = playback.playing
        || playback.animate_for > 0.0
        || playback.frozen
        || playback.ignore_pauses
        || view.as_ref().is_some_and(|v| v.focus.is_some());
    let mode = if moving {
        UpdateMode::Continuous
    } else if live_ports.is_some() {
        // Live clients are answered once per frame: keep frames coming.
        UpdateMode::reactive(std::time::Duration::from_millis(20))
    } else {
        UpdateMode::reactive(std::time::Duration::from_secs(1))
    };
    if winit.focused_mode != mode {
        winit.focused_mode = mode;
        winit.unfocused_mode = mode;
    }
}

/// Refuses a `--node` or `--message` the scenario does not have, as `show`
/// does, instead of opening an empty inspector.
pub fn check_options(opts: &GuiOptions, state: &SimState) -> Result<(), String> {
    let file = opts.file.display();
    if let Some(id) = &opts.node
        && !state.scenario.nodes.iter().any(|n| n.id == *id)
    {
        let ids: Vec<&str> = state.scenario.nodes.iter().map(|n| n.id.as_str()).collect();
        return Err(format!("{file}: no node '{id}' (the nodes are: {})", ids.join(", ")));
    }
    if let Some(key) = &opts.new_world
        && crate::editor::templates::make(key).is_none()
    {
        let keys: Vec<String> = crate::editor::templates::templates().into_iter().map(|t| t.key).collect();
        return Err(format!("no template '{key}' (the templates are: {})", keys.join(", ")));
    }
    if let Some(m) = opts.message {
        // Message numbers are given in the order mail is sent: run a copy
        // (without trace) as far as the window will go to see whether it exists.
        let until = opts.after.unwrap_or(state.end()).min(state.end());
        let seed = state.scenario.seed;
        let opts = crate::sim::RunOptions::new(seed).transcripts(false);
        let sent = crate::run(state.scenario.clone(), opts, Some(until)).messages_created() as usize;
        if m as usize >= sent {
            return Err(format!(
                "{file}: no message #{m}: the run sends {sent} message(s) by {} (numbers start at 0; `relaysim show {file} --list` lists them)",
                crate::gui::text::elapsed(until)
            ));
        }
    }
    Ok(())
}

/// Opens the window and runs until it is closed (or the screenshot is saved).
pub fn run(opts: GuiOptions) -> AppExit {
    let state = match SimState::load(&opts.file) {
        Ok(s) => s,
        Err(e) => {
            // Still open the window: the error is shown there, and the file is
            // watched so fixing it brings the scenario up.
            eprintln!("{e}");
            let fallback =
                crate::scenario::parse(scene::EMPTY_SCENARIO, "(empty)").expect("built-in scenario is valid");
            let mut s = SimState::from_scenario(opts.file.clone(), fallback);
            s.error = Some(e);
            s
        }
    };
    if let Err(e) = check_options(&opts, &state) {
        eprintln!("{e}");
        return AppExit::from_code(1);
    }
    // Live ports: bound (or refused) before the window opens.
    let live_ports = if opts.live.is_empty() {
        None
    } else {
        match crate::live::start(&state.sim, &opts.live) {
            Ok(l) => {
                for w in &l.warnings {
                    eprintln!("{w}");
                }
                println!("{}", l.tls_line);
                for r in &l.ready_lines {
                    println!("{r}");
                }
                Some(l)
            }
            Err(e) => {
                eprintln!("{e}");
                return AppExit::from_code(1);
            }
        }
    };
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin { primary_window: Some(screenshot::primary_window(&opts)), ..default() })
            .set(bevy::log::LogPlugin { filter: "warn,wgpu=error,naga=warn".into(), ..default() }),
    );
    app.add_plugins(LogicPlugin::new(state));
    if let Some(l) = live_ports {
        app.insert_resource(live::LivePorts(std::sync::Mutex::new(l)));
        if let Some(speed) = opts.live_speed {
            // The fastest offered speed not above --speed.
            let index = playback::SPEEDS.iter().rposition(|(s, _)| *s <= speed).unwrap_or(0);
            app.world_mut().resource_mut::<Playback>().speed = index;
        }
    }
    app.add_systems(Last, redraw_only_when_moving);
    screenshot::size_to_monitor(&mut app, &opts); // gui-layout: the window at the monitor's size
    app.add_plugins(scene::ViewPlugin { presenter: opts.presenter });
    if opts.events {
        app.world_mut().resource_mut::<scene::UiState>().bottom_tab = scene::BottomTab::Events;
    }
    if opts.japanese {
        app.world_mut().resource_mut::<scene::UiState>().lang = scene::Lang::Ja;
    }
    if let Some(id) = &opts.node {
        let index = app.world().resource::<SimState>().scenario.nodes.iter().position(|n| n.id == *id);
        app.world_mut().resource_mut::<Selection>().node = index;
    }
    if let Some(m) = opts.message {
        app.world_mut().resource_mut::<Selection>().msg = Some(MsgId(m));
    }
    if opts.edit {
        app.insert_resource(edit::StartEditing { template: opts.new_world.clone(), node: opts.node.clone() });
    }
    if opts.screenshot.is_some() || opts.layout_json.is_some() || opts.bench_frames.is_some() {
        screenshot::add(&mut app, &opts);
    }
    if let Some(frames) = opts.bench_frames {
        bench::add(&mut app, frames);
    }
    app.run()
}
