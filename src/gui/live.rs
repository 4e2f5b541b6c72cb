//! Live ports in the classroom window (`relaysim gui FILE --smtp …`): the
//! same engine as `relaysim serve` (`crate::live`), answered once per frame
//! after the frame advanced the simulation, so a student's mail joins the
//! run the class is watching (its hops animate like any other).

use std::sync::Mutex;
use std::time::Duration;

use bevy::prelude::*;

use super::playback::SimState;

/// The open live ports (behind a mutex: the engine's end of the channel
/// may move between threads but not be shared).
#[derive(Resource)]
pub struct LivePorts(pub Mutex<crate::live::Live>);

/// This file's part: the pump, right after the simulation moved.
pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, pump.in_set(super::AppSet::Advance).after(super::playback::advance));
}

/// Answers every live client at the simulation's current time (also while
/// paused: the world then stands still around the student). A run that
/// starts again (a reload, going back) ends the live sessions with `421`:
/// their messages belonged to the run that is gone.
///
/// While the world is edited there is no run to talk to: open sessions are
/// ended and new clients wait until edit mode ends.
fn pump(
    ports: Option<Res<LivePorts>>,
    mut state: ResMut<SimState>,
    mut seen: Local<Option<u64>>,
    edit: Option<Res<super::edit::EditMode>>,
) {
    let Some(ports) = ports else { return };
    let mut live = ports.0.lock().unwrap_or_else(|e| e.into_inner());
    let generation = state.generation;
    if seen.is_some_and(|g| g != generation) {
        live.engine.shutdown(&mut state.sim);
    }
    *seen = Some(generation);
    if edit.is_some_and(|e| e.active()) {
        return;
    }
    live.engine.pump(&mut state.sim, Duration::ZERO);
}
