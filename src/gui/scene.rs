//! The picture: camera, node discs and envelope sprites (generated images,
//! batched by Bevy so thousands of envelopes stay smooth), links and icon line
//! art as gizmos, and the mouse and keyboard controls.

use bevy::asset::RenderAssetUsages;
use bevy::input::mouse::{MouseScrollUnit, MouseWheel};
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use bevy::render::renderer::RenderAdapterInfo;
use bevy::window::PrimaryWindow;
use bevy_egui::EguiPlugin;
use bevy_egui::input::EguiWantsInput;

use crate::gui::flights::Flights;
use crate::gui::layout_dump::LayoutDump;
use crate::gui::playback::{Playback, SimState};
use crate::gui::{AppSet, Envelope, NodeIcon, Selection, icons, label_layout, overlay, panels};

/// Shown (with the error) when the file given does not load at all.
pub const EMPTY_SCENARIO: &str = r#"Scenario(name: "(no scenario loaded)", duration: "1h", nodes: [])"#;

/// The camera that shows the network.
#[derive(Component)]
pub struct MainCamera;

/// What a fit was made for: the run's generation, presenter mode, the free
/// area and the window (whole pixels). A change of any refits the view.
pub type FitKey = (u64, bool, [i32; 4], [i32; 2]);

/// Where the camera looks and how far it is zoomed out.
#[derive(Resource, Debug, Clone)]
pub struct CameraView {
    pub centre: Vec2,
    /// World units per window pixel.
    pub scale: f32,
    /// The fit in effect (`None`: fit at the next frame).
    pub fitted: Option<FitKey>,
    /// Smoothly moving to this point (narration focus).
    pub focus: Option<Vec2>,
    drag_from: Option<Vec2>,
    /// The world's extent, the free area and the window, as the overlay last
    /// saw them (window pixels): focus moves stay inside these.
    pub world: Option<Rect>,
    pub map: Option<bevy_egui::egui::Rect>,
    pub window: Option<bevy_egui::egui::Vec2>,
}

impl Default for CameraView {
    fn default() -> Self {
        CameraView {
            centre: Vec2::ZERO,
            scale: 1.0,
            fitted: None,
            focus: None,
            drag_from: None,
            world: None,
            map: None,
            window: None,
        }
    }
}

impl CameraView {
    fn as_view(&self) -> label_layout::View {
        label_layout::View { centre: self.centre, scale: self.scale }
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

impl Lang {
    /// The language code scenario files use (`{"en": …, "ja": …}`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }
}

/// The bottom panel's two views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BottomTab {
    /// `relaysim run`'s table and the plots.
    #[default]
    Statistics,
    /// The SMTP events so far.
    Events,
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
    /// What the bottom panel shows.
    pub bottom_tab: BottomTab,
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
            .init_resource::<LayoutDump>()
            .insert_resource(ClearColor(Color::srgb(0.06, 0.07, 0.10)))
            .add_systems(Startup, setup)
            .add_systems(Update, (keyboard, mouse).in_set(AppSet::Input))
            .add_systems(
                Update,
                (dress_nodes, dress_envelopes, dress_links, fit_camera, draw_scene).in_set(AppSet::Draw),
            )
            .add_plugins((panels::view_plugin, overlay::plugin, crate::gui::edit::view_plugin))
            .add_systems(
                PreUpdate,
                drop_unchanged_modifiers
                    .after(bevy_egui::EguiPreUpdateSet::ProcessInput)
                    .before(bevy_egui::EguiPreUpdateSet::BeginPass),
            );
    }
}

/// bevy_egui 0.42 tells egui "the modifier keys changed" on every frame;
/// egui then asks for another frame, so a paused window never rests (157% CPU
/// measured under Xvfb). Only a real change of the modifiers is passed on.
fn drop_unchanged_modifiers(
    mut inputs: Query<&mut bevy_egui::EguiInput>,
    mut last: Local<Option<bevy_egui::egui::Modifiers>>,
) {
    for mut input in &mut inputs {
        input.0.events.retain(|e| match e {
            bevy_egui::egui::Event::ModifiersChanged(m) => {
                let changed = *last != Some(*m);
                *last = Some(*m);
                changed
            }
            _ => true,
        });
    }
}

fn setup(
    mut commands: Commands,
    mut images: ResMut<Assets<Image>>,
    mut config: ResMut<GizmoConfigStore>,
    adapter: Option<Res<RenderAdapterInfo>>,
) {
    commands.spawn((Camera2d, MainCamera, msaa_for(adapter.as_deref())));
    let disc = images.add(disc_image(64));
    let envelope = images.add(envelope_image());
    commands.insert_resource(Textures { disc, envelope });
    let (gizmos, _) = config.config_mut::<DefaultGizmoConfigGroup>();
    gizmos.line.width = 2.0;
}

/// Multisampling smooths the links' edges; it is nearly free on a graphics
/// card but a software renderer (Mesa's lavapipe, on classroom machines
/// without a GPU and under Xvfb) shades every sample on the CPU: turning it
/// off there cut the frame time by about a third with 2,000 envelopes.
fn msaa_for(adapter: Option<&RenderAdapterInfo>) -> Msaa {
    // wgpu's `DeviceType` is not re-exported by Bevy; its name is stable.
    let software = adapter.is_some_and(|a| format!("{:?}", a.device_type) == "Cpu");
    if software { Msaa::Off } else { Msaa::Sample4 }
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
    let _own = crate::gui::own_time::Span::start("scene::dress_nodes");
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
/// Envelopes keep the same size on screen (window pixels) at any zoom.
fn dress_envelopes(
    mut commands: Commands,
    textures: Res<Textures>,
    ui: Res<UiState>,
    view: Res<CameraView>,
    new: Query<(Entity, &Envelope), Without<Sprite>>,
    mut sprites: ParamSet<(Query<(&Envelope, &mut Sprite), Changed<Envelope>>, Query<&mut Sprite, With<Envelope>>)>,
    mut sized: Local<Option<Vec2>>,
) {
    let _own = crate::gui::own_time::Span::start("scene::dress_envelopes");
    let size = label_layout::Style::new(ui.presenter).envelope * view.scale;
    for (e, env) in &new {
        commands.entity(e).insert(Sprite {
            image: textures.envelope.clone(),
            color: env.class.map_or(Color::WHITE, icons::class_colour),
            custom_size: Some(size),
            ..default()
        });
    }
    // Only the envelopes whose class changed are recoloured, and all are
    // resized only when the camera's zoom changed.
    for (env, mut sprite) in &mut sprites.p0() {
        if let Some(c) = env.class {
            sprite.color = icons::class_colour(c);
        }
    }
    if *sized != Some(size) {
        for mut sprite in &mut sprites.p1() {
            sprite.custom_size = Some(size);
        }
        *sized = Some(size);
    }
}

/// The rectangle around a set of points, with a margin.
pub fn bounds(points: impl IntoIterator<Item = Vec2>, margin: f32) -> Option<Rect> {
    let mut it = points.into_iter();
    let first = it.next()?;
    let r = it.fold(Rect::from_corners(first, first), |r, p| r.union_point(p));
    Some(r.inflate(margin))
}

/// Moves the camera where [`CameraView`] says (the overlay fits it to the
/// free area), easing towards a narration focus without panning any node
/// under the panels.
fn fit_camera(
    mut view: ResMut<CameraView>,
    mut cam: Query<(&mut Transform, &mut Projection), With<MainCamera>>,
    time: Res<Time>,
) {
    let _own = crate::gui::own_time::Span::start("scene::fit_camera");
    if let Some(f) = view.focus {
        let target = match (view.world, view.map, view.window) {
            (Some(w), Some(m), Some(win)) => label_layout::clamp_centre(f, w, m, win, view.scale),
            _ => f,
        };
        let k = (time.delta_secs() * 4.0).min(1.0);
        view.centre = view.centre.lerp(target, k);
        if view.centre.distance(target) < 1.0 {
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

/// A link between two nodes, drawn as a thin sprite under the envelopes
/// (gizmos are drawn over every sprite).
#[derive(Component)]
struct LinkSprite {
    a: usize,
    b: usize,
}

/// Keeps one sprite per link, its width a constant number of pixels.
fn dress_links(
    mut commands: Commands,
    state: Res<SimState>,
    flights: Res<Flights>,
    ui: Res<UiState>,
    view: Res<CameraView>,
    mut links: Query<(Entity, &LinkSprite, &mut Transform, &mut Sprite)>,
) {
    let _own = crate::gui::own_time::Span::start("scene::dress_links");
    let pos = &flights.positions;
    if pos.len() != state.scenario.nodes.len() {
        return;
    }
    let index = |id: &str| state.scenario.nodes.iter().position(|n| n.id == id);
    let wanted: Vec<(usize, usize)> =
        state.scenario.links.iter().filter_map(|l| Some((index(&l.a)?, index(&l.b)?))).collect();
    let colour = if ui.presenter { Color::srgb(0.75, 0.75, 0.8) } else { Color::srgb(0.35, 0.38, 0.45) };
    let width = 2.0 * view.scale;
    // Respawn all when the links changed (a new run); otherwise follow the zoom.
    let same = links.iter().count() == wanted.len() && links.iter().all(|(_, l, ..)| wanted.contains(&(l.a, l.b)));
    if !same {
        for (e, ..) in &links {
            commands.entity(e).despawn();
        }
        for (a, b) in wanted {
            commands.spawn((
                LinkSprite { a, b },
                Sprite { color: colour, custom_size: Some(Vec2::new(pos[a].distance(pos[b]), width)), ..default() },
                link_transform(pos[a], pos[b]),
            ));
        }
        return;
    }
    for (_, l, mut tf, mut sprite) in &mut links {
        let (a, b) = (pos[l.a], pos[l.b]);
        let t = link_transform(a, b);
        if *tf != t {
            *tf = t;
        }
        let size = Vec2::new(a.distance(b), width);
        if sprite.custom_size != Some(size) {
            sprite.custom_size = Some(size);
        }
        if sprite.color != colour {
            sprite.color = colour;
        }
    }
}

fn link_transform(a: Vec2, b: Vec2) -> Transform {
    let mid = (a + b) / 2.0;
    let angle = (b - a).to_angle();
    Transform::from_xyz(mid.x, mid.y, 0.5).with_rotation(Quat::from_rotation_z(angle))
}

/// Links, group outlines, icon line art and the selection ring.
fn draw_scene(
    mut g: Gizmos,
    state: Res<SimState>,
    flights: Res<Flights>,
    sel: Res<Selection>,
    view: Res<CameraView>,
    ui: Res<UiState>,
) {
    let _own = crate::gui::own_time::Span::start("scene::draw_scene");
    let pos = &flights.positions;
    if pos.len() != state.scenario.nodes.len() {
        return;
    }
    // One outline per ISP / domain around its nodes.
    for b in overlay::outlines(&state.scenario, pos).into_iter().flatten() {
        g.rounded_rect_2d(b.center(), b.size(), Color::srgba(0.6, 0.7, 0.9, 0.35)).corner_radius(18.0);
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
        let r = label_layout::Style::new(ui.presenter).envelope.x * 0.7 * view.scale;
        g.circle_2d(f.position(flights.now), r, Color::srgb(1.0, 0.9, 0.2));
    }
}

/// The keyboard shortcuts (listed in the help overlay).
pub const SHORTCUTS: [(&str, &str, &str); 15] = [
    ("Space", "play / pause (while a question waits: show the answer)", "再生 / 一時停止 (質問中は答えを表示)"),
    ("→", "step to the next SMTP event", "次の SMTP イベントへ進む"),
    ("←", "step back (replays the run to the previous event)", "一つ戻る (直前のイベントまで再実行)"),
    ("+ / ↑", "faster", "速く"),
    ("- / ↓", "slower", "遅く"),
    ("Home", "restart from the beginning (paused on the first step)", "最初から (最初のステップで一時停止)"),
    ("N", "next narration step", "次の授業ステップ"),
    ("L", "English / 日本語", "English / 日本語"),
    ("P", "presenter mode (large, high contrast)", "発表モード (大きく、高コントラスト)"),
    ("S", "statistics and event list", "統計とイベント一覧"),
    ("F", "fit the whole network into view", "ネットワーク全体を表示"),
    ("H / F1", "this help", "このヘルプ"),
    ("Esc", "clear the selection", "選択を解除"),
    (
        "E",
        "edit the world (again: run the edited world from 0:00)",
        "世界を編集 (もう一度: 編集した世界を 0:00 から実行)",
    ),
    ("Ctrl+Z / Ctrl+Y", "while editing: undo / redo", "編集中: 元に戻す / やり直す"),
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
    edit: Option<Res<crate::gui::edit::EditMode>>,
) {
    let _own = crate::gui::own_time::Span::start("scene::keyboard");
    if wants.wants_keyboard_input() || edit.is_some_and(|e| e.active()) {
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
    if keys.just_pressed(KeyCode::KeyF) {
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

/// Click to select a message or a node; drag to pan; wheel to zoom. Only
/// over the map: the wheel over a panel scrolls the panel, never the map.
fn mouse(
    buttons: Res<ButtonInput<MouseButton>>,
    mut wheel: MessageReader<MouseWheel>,
    wants: Res<EguiWantsInput>,
    windows: Query<&Window, With<PrimaryWindow>>,
    flights: Res<Flights>,
    ui: Res<UiState>,
    mut sel: ResMut<Selection>,
    mut view: ResMut<CameraView>,
    edit: Option<Res<crate::gui::edit::EditMode>>,
) {
    let _own = crate::gui::own_time::Span::start("scene::mouse");
    // Edit mode has its own clicks and drags (gui/edit).
    if edit.is_some_and(|e| e.active()) {
        return;
    }
    let scroll: f32 = wheel.read().map(|w| if w.unit == MouseScrollUnit::Line { w.y } else { w.y / 40.0 }).sum();
    let Ok(window) = windows.single() else { return };
    let Some(cursor) = window.cursor_position() else { return };
    let map = view.map.or(ui.free_rect);
    let over_map = map.is_none_or(|r| r.contains(bevy_egui::egui::pos2(cursor.x, cursor.y)));
    // Windows (help, errors) float over the map: egui has the pointer there.
    let over_ui = !over_map || wants.wants_pointer_input() || wants.is_pointer_over_area();
    if over_ui {
        if !buttons.pressed(MouseButton::Left) {
            view.drag_from = None;
        }
        return;
    }
    let size = bevy_egui::egui::vec2(window.width(), window.height());
    let at = |v: label_layout::View, p: Vec2| label_layout::to_world(v, size, bevy_egui::egui::pos2(p.x, p.y));
    let world = at(view.as_view(), cursor);
    if scroll != 0.0 {
        // Zoom about the pointer: the point under it stays under it.
        view.scale = (view.scale * (1.0 - 0.1 * scroll)).clamp(0.05, 20.0);
        let moved = at(view.as_view(), cursor);
        view.centre += world - moved;
        view.focus = None;
    }
    if buttons.just_pressed(MouseButton::Left) {
        view.drag_from = Some(cursor);
        let now = flights.now;
        // Targets in window pixels: an envelope is hit anywhere near it.
        let pick = label_layout::Style::new(ui.presenter).envelope_pick * view.scale;
        let pick_env = flights
            .list
            .iter()
            .rev()
            .map(|f| (f.msg, f.position(now).distance(world)))
            .filter(|(_, d)| *d < pick)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let node_pick = (icons::RADIUS + 4.0).max(20.0 * view.scale);
        let pick_node = flights
            .positions
            .iter()
            .enumerate()
            .map(|(i, p)| (i, p.distance(world)))
            .filter(|(_, d)| *d < node_pick)
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
