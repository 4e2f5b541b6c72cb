//! `relaysim gui FILE --bench-frames N`: frame time with 2,000 envelopes in
//! flight. The envelopes are synthetic (hops between random pairs of nodes,
//! looping), the simulation is paused, and nothing is asserted: the numbers
//! are printed for the developer chapter.

use bevy::prelude::*;

use crate::gui::flights::{Flight, Flights, Leg};
use crate::gui::playback::{Playback, SimState};
use crate::sim::{MailClass, MsgId};

/// Envelopes kept in flight.
pub const IN_FLIGHT: usize = 2_000;
/// Frames not measured at the start (pipelines compile, atlases fill).
const WARM_UP: u32 = 90;

#[derive(Resource)]
struct Bench {
    frames: u32,
    seen: u32,
    times: Vec<f64>,
    /// Time in the project's own systems per frame (ms).
    own: Vec<f64>,
    /// Their totals by system over the measured frames (ms).
    by_system: Vec<(&'static str, f64)>,
    rng: u64,
}

pub fn add(app: &mut App, frames: u32) {
    app.insert_resource(Bench {
        frames,
        seen: 0,
        times: Vec::new(),
        own: Vec::new(),
        by_system: Vec::new(),
        rng: 0x9e37_79b9_7f4a_7c15,
    })
    .add_systems(
        Update,
        (keep_in_flight.after(crate::gui::flights::consume_trace).before(crate::gui::flights::update_flights), measure),
    );
}

fn keep_in_flight(
    mut bench: ResMut<Bench>,
    mut state: ResMut<SimState>,
    mut flights: ResMut<Flights>,
    mut playback: ResMut<Playback>,
) {
    // The run stands still; the envelopes keep moving (as after a step).
    playback.playing = false;
    playback.animate_for = 1.0;
    let n = flights.positions.len();
    if n < 2 {
        return;
    }
    let now = flights.now;
    for f in &mut flights.list {
        if f.progress(now) >= 1.0 {
            f.started = now;
        }
    }
    while flights.list.len() < IN_FLIGHT {
        // xorshift: a fixed sequence of node pairs.
        let mut next = || {
            bench.rng ^= bench.rng << 13;
            bench.rng ^= bench.rng >> 7;
            bench.rng ^= bench.rng << 17;
            bench.rng
        };
        let (a, b) = ((next() % n as u64) as usize, (next() % n as u64) as usize);
        let class = MailClass::ALL[(next() % 4) as usize];
        let phase = (next() % 1000) as f64 / 1000.0;
        if a == b {
            continue;
        }
        let mut nodes = vec![a];
        nodes.extend(state.sim.route(a, b).map(|r| r.via).unwrap_or_default());
        nodes.push(b);
        let path = nodes.iter().map(|&i| flights.positions[i]).collect();
        let k = flights.list.len() as u32;
        flights.list.push(Flight {
            msg: MsgId(k),
            class,
            from: a,
            to: b,
            path,
            path_nodes: nodes,
            started: now - phase * crate::gui::flights::HOP_SECONDS,
            leg: Leg::Out,
            end: None,
        });
    }
}

fn measure(time: Res<Time<Real>>, mut bench: ResMut<Bench>, flights: Res<Flights>, mut exit: MessageWriter<AppExit>) {
    bench.seen += 1;
    let (own, per) = crate::gui::own_time::take();
    if bench.seen <= WARM_UP {
        return;
    }
    bench.times.push(time.delta_secs_f64() * 1000.0);
    bench.own.push(own);
    for (name, ms) in per {
        match bench.by_system.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => *v += ms,
            None => bench.by_system.push((name, ms)),
        }
    }
    if bench.times.len() as u32 >= bench.frames {
        let mut t = bench.times.clone();
        t.sort_by(f64::total_cmp);
        let mean = t.iter().sum::<f64>() / t.len() as f64;
        let p = |q: f64| t[((t.len() - 1) as f64 * q) as usize];
        let mut o = bench.own.clone();
        o.sort_by(f64::total_cmp);
        let own_mean = o.iter().sum::<f64>() / o.len().max(1) as f64;
        let q = |x: f64| o.get(((o.len().max(1) - 1) as f64 * x) as usize).copied().unwrap_or(0.0);
        println!(
            "frames: {}  in flight: {}  frame time ms: mean {:.2}  median {:.2}  p95 {:.2}  max {:.2}  ({:.1} fps)",
            t.len(),
            flights.in_flight(),
            mean,
            p(0.5),
            p(0.95),
            p(1.0),
            1000.0 / mean
        );
        println!(
            "own systems ms per frame: mean {:.2}  median {:.2}  p95 {:.2}  ({:.0}% of the frame; the rest is Bevy, egui and the renderer)",
            own_mean,
            q(0.5),
            q(0.95),
            100.0 * own_mean / mean
        );
        let mut per = bench.by_system.clone();
        per.sort_by(|a, b| b.1.total_cmp(&a.1));
        let n = t.len() as f64;
        let list: Vec<String> = per.iter().map(|(name, ms)| format!("{name} {:.2}", ms / n)).collect();
        println!("  by system, ms per frame: {}", list.join(", "));
        exit.write(AppExit::Success);
    }
}
