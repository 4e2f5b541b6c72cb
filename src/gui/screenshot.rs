//! `relaysim gui FILE --screenshot OUT.png --after DURATION`: advance the run,
//! let the last stretch play on a fixed frame clock (so the same file gives the
//! same picture), wait until the renderer has compiled every pipeline, save
//! the window (and with `--layout-json` the frame's layout) and exit (non-zero on any failure, and never hang: a frame cap).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bevy::prelude::*;
use bevy::render::render_resource::PipelineCache;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::render::{ExtractSchedule, MainWorld, RenderApp};
use bevy::time::TimeUpdateStrategy;

use crate::gui::GuiOptions;
use crate::gui::playback::{Playback, SimState};
use crate::units::SimTime;

/// Frames of animation played before the shot (on a fixed 1/30 s clock).
pub const LEAD_FRAMES: u32 = 45;
/// Frames in a row with no pipeline waiting before the shot is taken.
const IDLE_FRAMES: u32 = 8;
/// Give up (exit 3) after this many frames.
const FRAME_CAP: u32 = 1_500;

/// Whether the render world has pipelines still compiling (copied each frame).
#[derive(Resource, Default)]
pub struct PipelinesIdle(pub bool);

#[derive(Resource)]
struct Plan {
    path: Option<PathBuf>,
    /// Also write the frame's layout here (`--layout-json`).
    layout_json: Option<PathBuf>,
    after: SimTime,
    frames: u32,
    idle_streak: u32,
    requested: bool,
    result: Arc<Mutex<Option<Result<(), String>>>>,
}

/// Adds the screenshot machinery (also the pipeline-ready flag for benchmarks).
pub fn add(app: &mut App, opts: &GuiOptions) {
    app.init_resource::<PipelinesIdle>();
    if let Some(render) = app.get_sub_app_mut(RenderApp) {
        render.add_systems(ExtractSchedule, copy_pipeline_state);
    }
    if opts.screenshot.is_none() && opts.layout_json.is_none() {
        return;
    }
    if let Some(mut ui) = app.world_mut().get_resource_mut::<crate::gui::scene::UiState>() {
        ui.follow_focus = false;
    }
    if opts.layout_json.is_some() {
        app.insert_resource(crate::gui::layout_dump::LayoutDump { record: true, ..Default::default() });
    }
    app.insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs_f64(1.0 / 30.0)))
        .insert_resource(Plan {
            path: opts.screenshot.clone(),
            layout_json: opts.layout_json.clone(),
            after: opts.after.unwrap_or(0),
            frames: 0,
            idle_streak: 0,
            requested: false,
            result: Arc::new(Mutex::new(None)),
        })
        .add_systems(Startup, prime)
        .add_systems(Update, shoot.in_set(crate::gui::AppSet::Draw));
}

/// The main window: the size asked for (`--size`), full screen
/// (`--fullscreen`), or else the monitor's size (maximised). Screenshots and
/// layouts are taken at exactly the size asked for (1280x720 by default),
/// whatever the screen's scale factor.
pub fn primary_window(opts: &GuiOptions) -> Window {
    let still = opts.screenshot.is_some() || opts.layout_json.is_some();
    let (w, h) = opts.size.unwrap_or((1280, 720));
    let mut resolution = bevy::window::WindowResolution::new(w, h);
    if still {
        resolution = resolution.with_scale_factor_override(1.0);
    }
    let mut window = Window { title: format!("relaysim — {}", opts.file.display()), resolution, ..default() };
    if opts.fullscreen {
        window.mode = bevy::window::WindowMode::BorderlessFullscreen(bevy::window::MonitorSelection::Current);
    } else if opts.size.is_none() && !still {
        window.set_maximized(true);
    }
    window
}

/// Without `--size`, the window takes its monitor's size once the monitor is
/// known (maximising needs a window manager; this does not), also for
/// `--fullscreen` screenshots.
pub fn size_to_monitor(app: &mut App, opts: &GuiOptions) {
    let still = opts.screenshot.is_some() || opts.layout_json.is_some();
    if opts.size.is_some() || (still && !opts.fullscreen) || opts.bench_frames.is_some() {
        return;
    }
    app.add_systems(Update, take_monitor_size);
}

fn take_monitor_size(
    mut windows: Query<&mut Window, With<bevy::window::PrimaryWindow>>,
    monitors: Query<&bevy::window::Monitor, With<bevy::window::PrimaryMonitor>>,
    mut done: Local<bool>,
) {
    if *done {
        return;
    }
    let (Ok(mut window), Some(m)) = (windows.single_mut(), monitors.iter().next()) else { return };
    if m.physical_width > 0 && m.physical_height > 0 {
        window.resolution.set_physical_resolution(m.physical_width, m.physical_height);
        *done = true;
    }
}

fn copy_pipeline_state(cache: Res<PipelineCache>, mut main: ResMut<MainWorld>) {
    let idle = cache.waiting_pipelines().next().is_none();
    if let Some(mut flag) = main.get_resource_mut::<PipelinesIdle>() {
        flag.0 = idle;
    }
}

/// Runs the core to shortly before `after` without animation; the rest plays.
fn prime(plan: Res<Plan>, mut state: ResMut<SimState>, mut playback: ResMut<Playback>) {
    prime_to(plan.after, &mut state, &mut playback);
}

/// Runs the core to [`LEAD_FRAMES`] of animation before `after` and sets the
/// playback to play the rest (also used by the headless layout).
pub fn prime_to(after: SimTime, state: &mut SimState, playback: &mut Playback) {
    *playback =
        Playback { playing: true, skip_idle: false, stop_at: Some(after), ignore_pauses: true, ..Playback::default() };
    let lead = (LEAD_FRAMES as f64 / 30.0 * playback.ms_per_s()) as SimTime;
    let start = after.saturating_sub(lead);
    // Through any lesson pause or question on the way (a seek stops at none).
    state.seek(start);
    state.question_open = false;
}

/// Whether the run has reached `after` (or stopped); then holds the picture
/// still (the animation clock stops) while the renderer catches up.
pub fn arrived(world: &mut World, after: SimTime) -> bool {
    let state = world.resource::<SimState>();
    let reached = state.clock >= after.min(state.end());
    let mut playback = world.resource_mut::<Playback>();
    let arrived = reached || !playback.playing;
    if arrived {
        playback.playing = false;
        playback.frozen = true;
    }
    arrived
}

fn shoot(
    mut commands: Commands,
    mut plan: ResMut<Plan>,
    idle: Res<PipelinesIdle>,
    state: Res<SimState>,
    mut playback: ResMut<Playback>,
    dump: Res<crate::gui::layout_dump::LayoutDump>,
    mut exit: MessageWriter<AppExit>,
) {
    plan.frames += 1;
    let done = plan.result.lock().ok().and_then(|mut r| r.take());
    match done {
        Some(Ok(())) => {
            exit.write(AppExit::Success);
            return;
        }
        Some(Err(e)) => {
            eprintln!("screenshot failed: {e}");
            // Exit status 3: output could not be written (see `--help`).
            exit.write(AppExit::from_code(3));
            return;
        }
        None => {}
    }
    if plan.frames > FRAME_CAP {
        eprintln!("screenshot: gave up after {FRAME_CAP} frames (renderer never settled)");
        exit.write(AppExit::from_code(3));
        return;
    }
    let arrived = state.clock >= plan.after.min(state.end()) || !playback.playing;
    if arrived {
        // Hold the picture still while the renderer catches up.
        playback.playing = false;
        playback.frozen = true;
    }
    // The layout is the same from the first frame held still; written at the
    // shot (or as soon as it is settled when no picture is asked for).
    plan.idle_streak = if arrived && idle.0 { plan.idle_streak + 1 } else { 0 };
    if plan.idle_streak >= IDLE_FRAMES && !plan.requested {
        plan.requested = true;
        if let Some(out) = &plan.layout_json {
            let written = dump.write(out);
            if let Err(e) = written {
                eprintln!("layout: {e}");
                exit.write(AppExit::from_code(1));
                return;
            }
        }
        let Some(path) = plan.path.clone() else {
            exit.write(AppExit::Success);
            return;
        };
        let result = plan.result.clone();
        commands.spawn(Screenshot::primary_window()).observe(move |shot: On<ScreenshotCaptured>| {
            let saved = shot
                .image
                .clone()
                .try_into_dynamic()
                .map_err(|e| e.to_string())
                .and_then(|img| img.to_rgb8().save(&path).map_err(|e| format!("{}: {e}", path.display())));
            if let Ok(mut r) = result.lock() {
                *r = Some(saved);
            }
        });
    }
}
