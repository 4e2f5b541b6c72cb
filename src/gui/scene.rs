//! The picture: camera, node discs and envelope sprites (generated images,
//! batched by Bevy so thousands of envelopes stay smooth), links and icon line
//! art as gizmos, and the mouse and keyboard controls.

use bevy::asset::RenderAssetUsages;
use bevy::input::mouse::{MouseScrollUnit, MouseWheel};
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiWantsInput;
use bevy_egui::{EguiPlugin, EguiPrimaryContextPass};

use crate::gui::flights::Flights;
use crate::gui::playback::{Playback, SimState};
use crate::gui::{Envelope, LogicSet, NodeIcon, Selection, icons, layout, overlay, panels};

/// Shown (with the error) when the file given does not load at all.
pub const EMPTY_SCENARIO: &str = r#"Scenario(name: "(no scenario loaded)", duration: "1h", nodes: [])"#;

/// The camera that shows the network.
#[derive(Component)]
pub struct MainCamera;

/// Where the camera looks and how far it is zoomed out.
#[derive(Resource, Debug, Clone)]
pub struct CameraView {
    pub centre: Vec2,
    pub scale: f32,
    /// Fitted to the nodes of this generation, in presenter mode or not.
    fitted: Option<(u64, bool)>,
    /// Smoothly moving to this point (narration focus).
    pub focus: Option<Vec2>,
    drag_from: Option<Vec2>,
}

impl Default for CameraView {
    fn default() -> Self {
        CameraView { centre: Vec2::ZERO, scale: 1.0, fitted: None, focus: None, drag_from: None }
    }
}

/// Generated images shared by all sprites of a kind.
#[derive(Resource)]
pub struct Textures {
    pub disc: Handle<Image>,
    pub envelope: Handle<Image>,
}

/// Language of the panels and the narration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Ja,
}

/// The state of the panels.
#[derive(Resource, Debug, Clone, Default)]
pub struct UiState {
    pub presenter: bool,
    pub lang: Lang,
    pub show_help: bool,
    pub show_stats: bool,
    pub fonts_installed: bool,
    /// The history tour's files, for the era menu.
    pub eras: Vec<std::path::PathBuf>,
    /// The last scrubber position asked for (ms).
    pub scrub: Option<u64>,
    /// Move the camera to what a narration step names (off for screenshots,
    /// which show the whole world).
    pub follow_focus: bool,
    /// The part of the window not covered by panels (window pixels).
    pub free_rect: Option<bevy_egui::egui::Rect>,
}

pub struct ViewPlugin {
    pub presenter: bool,
}

impl Plugin for ViewPlugin {
    fn build(&self, app: &mut App) {
        let eras = panels::history_files();
        app.add_plugins(EguiPlugin::default())
            .insert_resource(UiState {
                presenter: self.presenter,
                show_stats: true,
                eras,
                follow_focus: true,
                ..default()
            })
            .init_resource::<CameraView>()
            .insert_resource(ClearColor(Color::srgb(0.06, 0.07, 0.10)))
            .add_systems(Startup, setup)
            .add_systems(
                Update,
                (
                    (keyboard, mouse).before(LogicSet),
                    (dress_nodes, dress_envelopes, fit_camera, draw_scene).after(LogicSet),
                ),
            )
            .add_systems(EguiPrimaryContextPass, (panels::ui, overlay::draw).chain());
    }
}

fn setup(mut commands: Commands, mut images: ResMut<Assets<Image>>, mut config: ResMut<GizmoConfigStore>) {
    commands.spawn((Camera2d, MainCamera));
    let disc = images.add(disc_image(64));
    let envelope = images.add(envelope_image());
    commands.insert_resource(Textures { disc, envelope });
    let (gizmos, _) = config.config_mut::<DefaultGizmoConfigGroup>();
    gizmos.line.width = 2.0;
}

/// A white disc with a soft edge, tinted per node kind.
fn disc_image(size: u32) -> Image {
    let mut data = Vec::with_capacity((size * size * 4) as usize);
    let r = size as f32 / 2.0;
    for y in 0..size {
        for x in 0..size {
            let d = Vec2::new(x as f32 + 0.5 - r, y as f32 + 0.5 - r).length();
            let a = (r - d).clamp(0.0, 1.0);
            // A darker rim makes neighbouring discs stand apart.
            let v = if d > r - 3.0 { 200 } else { 255 };
            data.extend_from_slice(&[v, v, v, (a * 255.0) as u8]);
        }
    }
    rgba(size, size, data)
}

/// A small envelope: white paper, a grey outline and flap, tinted per class.
fn envelope_image() -> Image {
    let (w, h) = (20u32, 14u32);
    let mut data = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            let edge = x == 0 || y == 0 || x == w - 1 || y == h - 1;
            // The flap: a V from the top corners to the middle.
            let fx = x as f32 - (w as f32 - 1.0) / 2.0;
            let flap = (y as f32 - fx.abs() * (h as f32 * 0.55) / (w as f32 / 2.0)).abs() < 0.9 && y < h * 2 / 3;
            let v = if edge || flap { 60 } else { 255 };
            data.extend_from_slice(&[v, v, v, 255]);
        }
    }
    rgba(w, h, data)
}

fn rgba(w: u32, h: u32, data: Vec<u8>) -> Image {
    Image::new(
        Extent3d { width: w, height: h, depth_or_array_layers: 1 },
        TextureDimension::D2,
        data,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    )
}

/// Gives new node entities their disc.
fn dress_nodes(mut commands: Commands, textures: Res<Textures>, new: Query<(Entity, &NodeIcon), Added<NodeIcon>>) {
    for (e, icon) in &new {
        commands.entity(e).insert(Sprite {
            image: textures.disc.clone(),
            color: icon.kind.colour(),
            custom_size: Some(Vec2::splat(icons::RADIUS * 2.0)),
            ..default()
        });
    }
}

/// Gives new envelopes their sprite and recolours reused ones.
fn dress_envelopes(
    mut commands: Commands,
    textures: Res<Textures>,
    new: Query<(Entity, &Envelope), Added<Envelope>>,
    mut changed: Query<(&Envelope, &mut Sprite), Changed<Envelope>>,
) {
    for (e, env) in &new {
        commands.entity(e).insert(Sprite {
            image: textures.envelope.clone(),
            color: env.class.map_or(Color::WHITE, icons::class_colour),
            custom_size: Some(Vec2::new(30.0, 21.0)),
            ..default()
        });
    }
    for (env, mut sprite) in &mut changed {
        if let Some(c) = env.class {
            sprite.color = icons::class_colour(c);
        }
    }
}

/// The rectangle around a set of points, with a margin.
pub fn bounds(points: impl IntoIterator<Item = Vec2>, margin: f32) -> Option<Rect> {
    let mut it = points.into_iter();
    let first = it.next()?;
    let r = it.fold(Rect::from_corners(first, first), |r, p| r.union_point(p));
    Some(r.inflate(margin))
}

/// Fits the camera to the nodes when a run starts, then follows pan, zoom and focus.
fn fit_camera(
    state: Res<SimState>,
    flights: Res<Flights>,
    ui: Res<UiState>,
    mut view: ResMut<CameraView>,
    windows: Query<&Window, With<PrimaryWindow>>,
    mut cam: Query<(&mut Transform, &mut Projection), With<MainCamera>>,
    time: Res<Time>,
) {
    let Ok(window) = windows.single() else { return };
    // Fit once the panels are laid out, so the picture fills what they leave.
    // (Again when presenter mode changes the panels' size.)
    let key = (state.generation, ui.presenter);
    if let (true, Some(free)) = (view.fitted != Some(key), ui.free_rect)
        && flights.positions.len() == state.scenario.nodes.len()
    {
        // The margin leaves room for the group names above their outlines
        // and for two lines of label under the lowest nodes.
        if let Some(b) = bounds(flights.positions.iter().copied(), 100.0) {
            let (w, h) = (free.width().max(100.0), free.height().max(100.0));
            view.scale = (b.width() / w).max(b.height() / h).max(0.3);
            // The free area's centre, in logical pixels from the window's centre (y down).
            let offset = Vec2::new(free.center().x - window.width() / 2.0, free.center().y - window.height() / 2.0);
            view.centre = b.center() - Vec2::new(offset.x, -offset.y) * view.scale;
        }
        view.fitted = Some(key);
    }
    if let Some(f) = view.focus {
        let k = (time.delta_secs() * 4.0).min(1.0);
        view.centre = view.centre.lerp(f, k);
        if view.centre.distance(f) < 1.0 {
            view.focus = None;
        }
    }
    if let Ok((mut tf, mut proj)) = cam.single_mut() {
        tf.translation.x = view.centre.x;
        tf.translation.y = view.centre.y;
        if let Projection::Orthographic(o) = &mut *proj {
            o.scale = view.scale;
        }
    }
}

/// Links, group outlines, icon line art and the selection ring.
fn draw_scene(mut g: Gizmos, state: Res<SimState>, flights: Res<Flights>, sel: Res<Selection>, ui: Res<UiState>) {
    let pos = &flights.positions;
    if pos.len() != state.scenario.nodes.len() {
        return;
    }
    let index = |id: &str| state.scenario.nodes.iter().position(|n| n.id == id);
    let link = if ui.presenter { Color::srgb(0.75, 0.75, 0.8) } else { Color::srgb(0.35, 0.38, 0.45) };
    for l in &state.scenario.links {
        if let (Some(a), Some(b)) = (index(&l.a), index(&l.b)) {
            g.line_2d(pos[a], pos[b], link);
        }
    }
    // One outline per ISP / domain around its nodes.
    for g_ix in 0..state.scenario.isps.len() {
        let members = (0..pos.len()).filter(|&i| layout::group_of(&state.scenario, i) == Some(g_ix)).map(|i| pos[i]);
        if let Some(b) = bounds(members, 48.0) {
            g.rounded_rect_2d(b.center(), b.size(), Color::srgba(0.6, 0.7, 0.9, 0.35)).corner_radius(18.0);
        }
    }
    for (i, node) in state.scenario.nodes.iter().enumerate() {
        icons::draw(&mut g, icons::IconKind::of(&node.kind), pos[i], Color::WHITE);
    }
    if let Some(n) = sel.node.filter(|&n| n < pos.len()) {
        g.circle_2d(pos[n], icons::RADIUS + 6.0, Color::srgb(1.0, 0.9, 0.2));
    }
    if let Some(m) = sel.msg
        && let Some(f) = flights.list.iter().rev().find(|f| f.msg == m)
    {
        g.circle_2d(f.position(flights.now), 14.0, Color::srgb(1.0, 0.9, 0.2));
    }
}

/// The keyboard shortcuts (listed in the help overlay).
pub const SHORTCUTS: [(&str, &str); 12] = [
    ("Space", "play / pause"),
    ("→", "step to the next SMTP event"),
    ("←", "step back (replays the run to the previous event)"),
    ("+ / ↑", "faster"),
    ("- / ↓", "slower"),
    ("Home", "restart from the beginning"),
    ("N", "next narration step"),
    ("L", "English / 日本語"),
    ("P", "presenter mode (large, high contrast)"),
    ("S", "statistics plots"),
    ("H / F1", "this help"),
    ("Esc", "clear the selection"),
];

#[allow(clippy::too_many_arguments)]
fn keyboard(
    keys: Res<ButtonInput<KeyCode>>,
    wants: Res<EguiWantsInput>,
    mut state: ResMut<SimState>,
    mut playback: ResMut<Playback>,
    mut ui: ResMut<UiState>,
    mut sel: ResMut<Selection>,
    mut narration: ResMut<panels::NarrationState>,
    mut view: ResMut<CameraView>,
) {
    if wants.wants_keyboard_input() {
        return;
    }
    if keys.just_pressed(KeyCode::Space) {
        panels::play_pause(&mut state, &mut playback, &mut narration);
    }
    if keys.just_pressed(KeyCode::ArrowRight) {
        crate::gui::playback::step_forward(&mut state, &mut playback);
    }
    if keys.just_pressed(KeyCode::ArrowLeft) {
        crate::gui::playback::step_back(&mut state, &mut playback);
    }
    if keys.any_just_pressed([KeyCode::Equal, KeyCode::NumpadAdd, KeyCode::ArrowUp]) {
        playback.faster();
    }
    if keys.any_just_pressed([KeyCode::Minus, KeyCode::NumpadSubtract, KeyCode::ArrowDown]) {
        playback.slower();
    }
    if keys.just_pressed(KeyCode::Home) {
        crate::gui::playback::restart(&mut state, &mut playback);
        *narration = panels::NarrationState::default();
    }
    if keys.just_pressed(KeyCode::KeyN) {
        panels::next_narration_step(&mut state, &mut playback, &mut narration, &mut view);
    }
    if keys.just_pressed(KeyCode::KeyL) {
        ui.lang = if ui.lang == Lang::En { Lang::Ja } else { Lang::En };
    }
    if keys.just_pressed(KeyCode::KeyP) {
        ui.presenter = !ui.presenter;
        view.fitted = None;
    }
    if keys.just_pressed(KeyCode::KeyS) {
        ui.show_stats = !ui.show_stats;
    }
    if keys.any_just_pressed([KeyCode::KeyH, KeyCode::F1, KeyCode::Slash]) {
        ui.show_help = !ui.show_help;
    }
    if keys.just_pressed(KeyCode::Escape) {
        *sel = Selection::default();
        ui.show_help = false;
    }
}

/// Click to select a message or a node; drag to pan; wheel to zoom.
fn mouse(
    buttons: Res<ButtonInput<MouseButton>>,
    mut wheel: MessageReader<MouseWheel>,
    wants: Res<EguiWantsInput>,
    windows: Query<&Window, With<PrimaryWindow>>,
    cam: Query<(&Camera, &GlobalTransform), With<MainCamera>>,
    flights: Res<Flights>,
    mut sel: ResMut<Selection>,
    mut view: ResMut<CameraView>,
) {
    let over_ui = wants.wants_pointer_input() || wants.is_pointer_over_area();
    let scroll: f32 = wheel.read().map(|w| if w.unit == MouseScrollUnit::Line { w.y } else { w.y / 40.0 }).sum();
    let (Ok(window), Ok((camera, gt))) = (windows.single(), cam.single()) else { return };
    let Some(cursor) = window.cursor_position() else { return };
    let Ok(world) = camera.viewport_to_world_2d(gt, cursor) else { return };
    if over_ui {
        view.drag_from = None;
        return;
    }
    if scroll != 0.0 {
        view.scale = (view.scale * (1.0 - 0.1 * scroll)).clamp(0.2, 10.0);
    }
    if buttons.just_pressed(MouseButton::Left) {
        view.drag_from = Some(cursor);
        let now = flights.now;
        let pick_env = flights
            .list
            .iter()
            .rev()
            .map(|f| (f.msg, f.position(now).distance(world)))
            .filter(|(_, d)| *d < 12.0 * view.scale.max(1.0))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let pick_node = flights
            .positions
            .iter()
            .enumerate()
            .map(|(i, p)| (i, p.distance(world)))
            .filter(|(_, d)| *d < icons::RADIUS + 4.0)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((m, _)) = pick_env {
            sel.msg = Some(m);
        } else if let Some((n, _)) = pick_node {
            sel.node = Some(n);
            sel.msg = None;
        }
    }
    if buttons.pressed(MouseButton::Left) {
        if let Some(from) = view.drag_from {
            let d = cursor - from;
            if d.length() > 0.5 {
                let scale = view.scale;
                view.centre += Vec2::new(-d.x, d.y) * scale;
                view.drag_from = Some(cursor);
                view.focus = None;
            }
        }
    } else {
        view.drag_from = None;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_placeholder_scenario_for_a_broken_first_file_is_valid() {
        assert!(crate::scenario::parse(super::EMPTY_SCENARIO, "(empty)").is_ok());
    }
}
