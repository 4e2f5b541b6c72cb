//! `relaysim gui FILE --screenshot OUT.png --after DURATION`: advance the run,
//! let the last stretch play on a fixed frame clock (so the same file gives the
//! same picture), wait until the renderer has compiled every pipeline, save
//! the window and exit (non-zero on any failure, and never hang: a frame cap).

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
    let Some(path) = opts.screenshot.clone() else { return };
    if let Some(mut ui) = app.world_mut().get_resource_mut::<crate::gui::scene::UiState>() {
        ui.follow_focus = false;
    }
    app.insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs_f64(1.0 / 30.0)))
        .insert_resource(Plan {
            path: Some(path),
            after: opts.after.unwrap_or(0),
            frames: 0,
            idle_streak: 0,
            requested: false,
            result: Arc::new(Mutex::new(None)),
        })
        .add_systems(Startup, prime)
        .add_systems(Update, shoot.after(crate::gui::LogicSet));
}

fn copy_pipeline_state(cache: Res<PipelineCache>, mut main: ResMut<MainWorld>) {
    let idle = cache.waiting_pipelines().next().is_none();
    if let Some(mut flag) = main.get_resource_mut::<PipelinesIdle>() {
        flag.0 = idle;
    }
}

/// Runs the core to shortly before `after` without animation; the rest plays.
fn prime(plan: Res<Plan>, mut state: ResMut<SimState>, mut playback: ResMut<Playback>) {
    *playback = Playback {
        playing: true,
        skip_idle: false,
        stop_at: Some(plan.after),
        ignore_pauses: true,
        ..Playback::default()
    };
    let lead = (LEAD_FRAMES as f64 / 30.0 * playback.ms_per_s()) as SimTime;
    let start = plan.after.saturating_sub(lead);
    state.advance_to(start, usize::MAX);
    state.cursor = state.sim.trace.events.len();
}

fn shoot(
    mut commands: Commands,
    mut plan: ResMut<Plan>,
    idle: Res<PipelinesIdle>,
    state: Res<SimState>,
    mut playback: ResMut<Playback>,
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
    plan.idle_streak = if arrived && idle.0 { plan.idle_streak + 1 } else { 0 };
    if plan.idle_streak >= IDLE_FRAMES && !plan.requested {
        plan.requested = true;
        let path = plan.path.clone().unwrap_or_default();
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
