//! The GUI's logic driven without a window: `MinimalPlugins`, a fixed frame
//! clock and `app.update()`. Asserts what is spawned and where the envelopes
//! are, and that refusals show the server's reply where it was given.
#![cfg(feature = "gui")]

use std::path::Path;
use std::time::Duration;

use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use relaysim::gui::flights::{BubbleKind, Flights, Leg};
use relaysim::gui::playback::{Playback, SimState};
use relaysim::gui::{Envelope, LogicPlugin, NodeIcon, layout};

fn app(file: &str, speed: usize) -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(50)))
        .add_plugins(LogicPlugin::new(SimState::load(Path::new(file)).expect("scenario loads")));
    app.world_mut().resource_mut::<Playback>().speed = speed;
    app
}

/// Distance from `p` to the polyline `path`.
fn distance_to(path: &[Vec2], p: Vec2) -> f32 {
    path.windows(2)
        .map(|w| {
            let (a, b) = (w[0], w[1]);
            let t = ((p - a).dot(b - a) / (b - a).length_squared().max(1e-6)).clamp(0.0, 1.0);
            p.distance(a + (b - a) * t)
        })
        .fold(f32::MAX, f32::min)
}

#[test]
fn one_icon_per_node_at_its_layout_position() {
    let mut app = app("scenarios/history/01-open-relay.ron", 2);
    app.update();
    app.update();
    let scenario = app.world().resource::<SimState>().scenario.clone();
    let expected = layout::positions(&scenario);
    let mut icons: Vec<(NodeIcon, Vec3)> = app
        .world_mut()
        .query::<(&NodeIcon, &Transform)>()
        .iter(app.world())
        .map(|(i, t)| (*i, t.translation))
        .collect();
    icons.sort_by_key(|(i, _)| i.index);
    assert_eq!(icons.len(), scenario.nodes.len());
    for (icon, at) in icons {
        assert_eq!(at.truncate(), expected[icon.index], "node {}", scenario.nodes[icon.index].id);
    }
}

#[test]
fn envelopes_travel_along_the_links_of_their_hop() {
    // 5 minutes of simulated time per real second: plenty of mail in flight.
    let mut app = app("scenarios/history/01-open-relay.ron", 3);
    let mut checked = 0;
    for _ in 0..120 {
        app.update();
        let flights = app.world().resource::<Flights>();
        let now = flights.now;
        let by_slot: Vec<_> = flights.list.iter().map(|f| (f.path.clone(), f.position(now), f.msg)).collect();
        let mut q = app.world_mut().query::<(&Envelope, &Transform, &Visibility)>();
        for (env, tf, vis) in q.iter(app.world()) {
            let Some((path, pos, msg)) = by_slot.get(env.slot) else {
                assert_eq!(*vis, Visibility::Hidden, "a spare envelope is hidden");
                continue;
            };
            // Placed where its flight is, which lies on the hop's links.
            assert_eq!(env.msg, Some(*msg));
            assert!(tf.translation.truncate().distance(*pos) < 0.01);
            assert!(distance_to(path, *pos) < 0.5, "envelope off its path");
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} envelopes seen");
    let state = app.world().resource::<SimState>();
    assert!(state.clock > 60_000, "the clock moved: {}", state.clock);
}

#[test]
fn a_refused_relay_attempt_shows_the_reply_at_the_relay_and_goes_back() {
    // Era 2: the ISP relays refuse to relay for outsiders (554 Relay access denied).
    let mut app = app("scenarios/history/02-relay-restriction.ron", 3);
    let mut seen_reply = None;
    let mut seen_back = false;
    for _ in 0..600 {
        app.update();
        let flights = app.world().resource::<Flights>();
        seen_back |= flights.list.iter().any(|f| f.leg == Leg::Back);
        if let Some(b) = flights.bubbles.iter().find(|b| b.kind == BubbleKind::Refused) {
            seen_reply = Some((b.node, b.text.clone()));
        }
        if seen_back && seen_reply.as_ref().is_some_and(|(_, t)| t.contains("Relay access denied")) {
            break;
        }
    }
    let (node, text) = seen_reply.expect("a refusal was shown");
    let state = app.world().resource::<SimState>();
    assert!(text.starts_with('5'), "{text}");
    assert!(seen_back, "a refused envelope went back to its sender");
    assert!(state.scenario.nodes[node].kind.mail_server().is_some(), "shown at a mail server");
}

#[test]
fn going_back_replays_the_same_run() {
    let mut app = app("scenarios/history/01-open-relay.ron", 4);
    for _ in 0..40 {
        app.update();
    }
    let mut state = app.world_mut().resource_mut::<SimState>();
    let t = state.clock / 2;
    let mut fresh = SimState::load(Path::new("scenarios/history/01-open-relay.ron")).unwrap();
    fresh.advance_to(t, usize::MAX);
    state.replay_to(t);
    assert_eq!(state.clock, fresh.clock);
    assert_eq!(state.sim.messages.len(), fresh.sim.messages.len());
    assert_eq!(state.sim.trace.events, fresh.sim.trace.events);
}

#[test]
fn a_broken_file_keeps_the_last_good_scenario_and_shows_the_error_then_reloads() {
    let dir = std::env::temp_dir().join(format!("relaysim-gui-watch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("era.ron");
    let good = std::fs::read_to_string("scenarios/history/01-open-relay.ron").unwrap();
    std::fs::write(&file, &good).unwrap();
    let mut app = app(file.to_str().unwrap(), 2);
    // The watcher looks at the file every half second (of the app's clock:
    // 50 ms a frame here).
    let settle = |app: &mut App| {
        std::thread::sleep(Duration::from_millis(20));
        for _ in 0..24 {
            app.update();
        }
    };
    settle(&mut app);
    let name = app.world().resource::<SimState>().scenario.name.clone();
    std::fs::write(&file, good.replace("rate: \"40/h\"", "rate: \"forty\"")).unwrap();
    settle(&mut app);
    let state = app.world().resource::<SimState>();
    let err = state.error.clone().expect("the checker's message is shown");
    assert!(err.contains("is not a rate") && err.contains("era.ron:"), "{err}");
    assert_eq!(state.scenario.name, name, "the last good scenario stays");
    let generation = state.generation;
    std::fs::write(&file, good.replace("Era 1: open relays", "Era 1, edited")).unwrap();
    settle(&mut app);
    let state = app.world().resource::<SimState>();
    assert!(state.error.is_none());
    assert_eq!(state.scenario.name, "Era 1, edited");
    assert!(state.generation > generation, "the run restarted on the new file");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn narration_steps_fire_in_order_and_going_back_unfires_them() {
    let mut state = SimState::load(Path::new("scenarios/history/03-pop-before-smtp.ron")).unwrap();
    let steps = state.narrator.steps().len();
    assert!(steps >= 2, "era 3 is narrated");
    assert!(state.advance_to_next_step());
    assert!(state.advance_to_next_step());
    let fired: Vec<usize> = state.narrator.fired().iter().map(|f| f.step).collect();
    assert_eq!(&fired[..2], &[0, 1]);
    assert!(state.clock >= state.narrator.fired()[1].at);
    state.replay_to(0);
    assert!(state.narrator.fired().iter().all(|f| f.at == 0), "only steps due at 0 remain");
}

#[test]
fn a_what_if_switch_changes_the_run_and_is_replayed_when_going_back() {
    use relaysim::scenario::Defense;
    let path = Path::new("scenarios/history/01-open-relay.ron");
    let mut plain = SimState::load(path).unwrap();
    let mut switched = SimState::load(path).unwrap();
    let hour = 3_600_000;
    plain.advance_to(hour, usize::MAX);
    switched.advance_to(hour, usize::MAX);
    switched.switch("relay-a", Defense::RelayRestriction, true).unwrap();
    plain.advance_to(3 * hour, usize::MAX);
    switched.advance_to(3 * hour, usize::MAX);
    assert_ne!(plain.sim.trace.events, switched.sim.trace.events, "the switch changed the run");
    let after = switched.sim.trace.events.clone();
    switched.replay_to(3 * hour);
    assert_eq!(switched.sim.trace.events, after, "replayed with the switch at the same time");
    switched.replay_to(hour / 2);
    assert!(switched.what_ifs.is_empty(), "going back before the switch undoes it");
}

#[test]
fn the_highest_speed_runs_to_the_end_and_stops() {
    let mut app = app("scenarios/history/07-greylisting.ron", relaysim::gui::playback::SPEEDS.len() - 1);
    for _ in 0..400 {
        app.update();
        if !app.world().resource::<Playback>().playing {
            break;
        }
    }
    let state = app.world().resource::<SimState>();
    assert_eq!(state.clock, state.end(), "the run reached its end");
    assert!(!app.world().resource::<Playback>().playing, "and paused there");
    let flights = app.world().resource::<Flights>();
    assert!(flights.in_flight() <= relaysim::gui::flights::MAX_FLIGHTS);
}
