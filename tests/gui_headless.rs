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
use relaysim::gui::stats::Series;
use relaysim::gui::{Envelope, LogicPlugin, NodeIcon, layout};

fn app(file: &str, speed: usize) -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(50)))
        .add_plugins(LogicPlugin::new(SimState::load(Path::new(file)).expect("scenario loads")));
    {
        // Playing from the start, through the lessons' questions (the tests
        // below of the lesson flow start paused, as the window does).
        let mut p = app.world_mut().resource_mut::<Playback>();
        p.speed = speed;
        p.playing = true;
        p.ignore_pauses = true;
    }
    app
}

/// The app as the window opens it: paused, questions waiting.
fn app_as_opened(file: &str) -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(50)))
        .add_plugins(LogicPlugin::new(SimState::load(Path::new(file)).expect("scenario loads")));
    app
}

/// What `relaysim run FILE --until T` reports per class.
fn run_counts(file: &str, t: u64) -> Vec<relaysim::stats::MailCounts> {
    let s = relaysim::scenario::load(Path::new(file)).unwrap();
    let opts = relaysim::sim::RunOptions::new(s.seed).transcripts(false);
    let report = relaysim::stats::Report::of(&relaysim::run(s, opts, Some(t)));
    relaysim::sim::MailClass::ALL.iter().map(|c| report.mail[c.name()].counts.clone()).collect()
}

/// What the statistics panel shows per class after the next frame.
fn panel_counts(app: &mut App) -> (u64, Vec<relaysim::stats::MailCounts>) {
    app.update();
    let series = app.world().resource::<Series>();
    let clock = app.world().resource::<SimState>().clock;
    assert_eq!(series.clock, clock, "the statistics are for the clock shown");
    (clock, series.now.0.to_vec())
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

#[test]
fn the_statistics_agree_with_run_after_next_step_seek_and_step_back() {
    let file = "scenarios/history/01-open-relay.ron";
    let mut app = app_as_opened(file);
    let (t0, at_start) = panel_counts(&mut app);
    assert_eq!(at_start, run_counts(file, t0), "at the start");
    // N: the next narration step, far into the run (nothing animated in between).
    for _ in 0..2 {
        let mut state = app.world_mut().resource_mut::<SimState>();
        assert!(state.advance_to_next_step(), "era 1 has a next step");
    }
    let (t, counts) = panel_counts(&mut app);
    assert!(t > 0 && counts[1].sent > 0, "spam was sent by {t}: {counts:?}");
    assert_eq!(counts, run_counts(file, t), "after N at {t}");
    // A seek forward (a click on the timeline), then back.
    let later = t + 2 * 3_600_000;
    app.world_mut().resource_mut::<SimState>().seek(later);
    let (t, counts) = panel_counts(&mut app);
    assert_eq!(t, later);
    assert_eq!(counts, run_counts(file, t), "after a seek forward to {t}");
    app.world_mut().resource_mut::<SimState>().seek(later / 3);
    let (t, counts) = panel_counts(&mut app);
    assert_eq!(t, later / 3);
    assert_eq!(counts, run_counts(file, t), "after a seek back to {t}");
    // Step back (←): replays to the event before the clock.
    {
        let world = app.world_mut();
        let mut state = world.resource_mut::<SimState>();
        let mut playback = Playback::default();
        relaysim::gui::playback::step_back(&mut state, &mut playback);
    }
    let (t, counts) = panel_counts(&mut app);
    assert!(t < later / 3);
    assert_eq!(counts, run_counts(file, t), "after a step back to {t}");
    // And while playing, at whatever time the frame stops.
    {
        let mut p = app.world_mut().resource_mut::<Playback>();
        p.playing = true;
        p.ignore_pauses = true;
        p.speed = 4;
    }
    for _ in 0..30 {
        app.update();
    }
    app.world_mut().resource_mut::<Playback>().playing = false;
    app.update();
    let (t, counts) = panel_counts(&mut app);
    assert_eq!(counts, run_counts(file, t), "after playing to {t}");
}

#[test]
fn the_window_opens_paused_on_the_first_step_and_a_question_waits() {
    // Era 1 asks its question at step 1, at the start.
    let mut app = app_as_opened("scenarios/history/01-open-relay.ron");
    for _ in 0..20 {
        app.update();
    }
    let state = app.world().resource::<SimState>();
    assert_eq!((state.clock, state.narrator.fired().len()), (0, 1), "opens on step 1");
    assert!(state.question_open, "its question waits for the class");
    // Play is refused while the question is open (the button shows the answer first).
    app.world_mut().resource_mut::<Playback>().playing = true;
    app.update();
    assert!(!app.world().resource::<Playback>().playing, "the run waits for the answer");
    assert_eq!(app.world().resource::<SimState>().clock, 0);

    // Era 3 opens on a step without a question and asks at steps 2 and 4.
    let mut app = app_as_opened("scenarios/history/03-pop-before-smtp.ron");
    for _ in 0..20 {
        app.update();
    }
    let state = app.world().resource::<SimState>();
    assert_eq!((state.clock, state.narrator.fired().len()), (0, 1), "opens on step 1, paused");
    assert!(!state.question_open && !app.world().resource::<Playback>().playing);
    let play_to_a_question = |app: &mut App| {
        {
            let mut p = app.world_mut().resource_mut::<Playback>();
            p.playing = true;
            p.speed = 4;
        }
        for _ in 0..3000 {
            app.update();
            if !app.world().resource::<Playback>().playing {
                break;
            }
        }
        let state = app.world().resource::<SimState>();
        assert!(state.question_open, "paused on a question at {}", state.clock);
        assert!(!app.world().resource::<Playback>().playing);
        state.narrator.fired().len()
    };
    assert_eq!(play_to_a_question(&mut app), 2, "step 2 asks");
    let t = app.world().resource::<SimState>().clock;
    for _ in 0..10 {
        app.update();
    }
    assert_eq!(app.world().resource::<SimState>().clock, t, "and the run waits");
    // Skipping plays on; the next question pauses again.
    app.world_mut().resource_scope(|world, mut state: Mut<SimState>| {
        let mut playback = world.resource_mut::<Playback>();
        relaysim::gui::panels::skip_question(&mut state, &mut playback);
    });
    assert_eq!(play_to_a_question(&mut app), 4, "step 4 asks");
    // Restart goes back paused, on step 1.
    app.world_mut().resource_scope(|world, mut state: Mut<SimState>| {
        let mut playback = world.resource_mut::<Playback>();
        playback.playing = true;
        relaysim::gui::playback::restart(&mut state, &mut playback);
    });
    app.update();
    let state = app.world().resource::<SimState>();
    assert_eq!((state.clock, state.narrator.fired().len()), (0, 1));
    assert!(!app.world().resource::<Playback>().playing);
}

#[test]
fn pause_freezes_the_envelopes_and_a_step_plays_one_hop() {
    let mut app = app("scenarios/history/01-open-relay.ron", 3);
    let mut tries = 0;
    while app.world().resource::<Flights>().in_flight() == 0 && tries < 400 {
        app.update();
        tries += 1;
    }
    app.world_mut().resource_mut::<Playback>().playing = false;
    app.update();
    let snapshot = |app: &App| {
        let f = app.world().resource::<Flights>();
        (f.in_flight(), f.list.iter().map(|x| x.position(f.now)).collect::<Vec<_>>(), f.bubbles.len())
    };
    let before = snapshot(&app);
    assert!(before.0 > 0, "mail in flight when paused");
    for _ in 0..60 {
        app.update();
    }
    assert_eq!(snapshot(&app), before, "nothing moves or lands while paused (3 s)");
    // →: the next SMTP event plays its own hop, then the picture holds again.
    {
        let world = app.world_mut();
        world.resource_scope(|world, mut state: Mut<SimState>| {
            let mut playback = world.resource_mut::<Playback>();
            relaysim::gui::playback::step_forward(&mut state, &mut playback);
        });
    }
    for _ in 0..40 {
        app.update();
    }
    let after_step = snapshot(&app);
    assert_ne!(after_step, before, "the step moved something");
    for _ in 0..20 {
        app.update();
    }
    assert_eq!(snapshot(&app), after_step, "and then it holds still");
    // Every flight counted is drawn: one visible envelope per flight.
    let shown = app
        .world_mut()
        .query::<(&Envelope, &Visibility)>()
        .iter(app.world())
        .filter(|(e, v)| e.msg.is_some() && **v != Visibility::Hidden)
        .count();
    assert_eq!(shown, app.world().resource::<Flights>().in_flight());
}

#[test]
fn an_unknown_node_or_message_is_refused_before_the_window_opens() {
    use relaysim::gui::{GuiOptions, check_options};
    let file = "scenarios/examples/backscatter.ron";
    let state = SimState::load(Path::new(file)).unwrap();
    let opts = |node: Option<&str>, message: Option<u32>| GuiOptions {
        file: file.into(),
        node: node.map(str::to_string),
        message,
        ..Default::default()
    };
    let e = check_options(&opts(Some("no-such-node"), None), &state).unwrap_err();
    assert!(e.contains("no node 'no-such-node'"), "{e}");
    let e = check_options(&opts(None, Some(999_999)), &state).unwrap_err();
    assert!(e.contains("no message #999999"), "{e}");
    let first = state.scenario.nodes[0].id.clone();
    assert!(check_options(&opts(Some(&first), Some(0)), &state).is_ok());
}

#[test]
fn the_event_list_follows_the_animation_and_filters() {
    use relaysim::gui::events::EventList;
    use relaysim::gui::scene::Lang;
    let mut app = app("scenarios/history/02-relay-restriction.ron", 3);
    for _ in 0..200 {
        app.update();
    }
    let state = app.world().resource::<SimState>();
    let mut list = EventList::default();
    list.update(state, Lang::En);
    assert!(!list.rows.is_empty());
    assert!(list.rows.iter().all(|&i| i < state.cursor), "only what the animation has shown");
    let all = list.rows.len();
    list.filter = "relay access denied".into();
    list.update(state, Lang::En);
    assert!(!list.rows.is_empty() && list.rows.len() < all, "{} of {all}", list.rows.len());
    for &i in &list.rows {
        let (t, ev) = &state.sim.trace.events[i];
        let r = relaysim::gui::events::row(state, *t, ev, Lang::En).unwrap();
        assert!(r.what.contains("Relay access denied"), "{}", r.what);
        assert_eq!(r.tone, 5);
    }
}

/// `gui FILE --smtp …`: a live client is answered by the frames (the pump
/// runs after the simulation moved), and its mail becomes a message of the
/// run the window shows, in the trace the animation reads.
#[test]
fn live_ports_are_answered_frame_by_frame() {
    use relaysim::gui::live::LivePorts;
    use std::io::{BufRead, BufReader, Write};

    let mut app = app("scenarios/history/01-open-relay.ron", 2);
    let opts = relaysim::live::LiveOptions {
        smtp: vec!["127.0.0.1:0=relay-a".parse().unwrap()],
        client_at: Some("ken".parse().unwrap()),
        ..Default::default()
    };
    let live = relaysim::live::start(&app.world().resource::<SimState>().sim, &opts).expect("ports open");
    let addr = live.listeners.bound[0];
    app.insert_resource(LivePorts(std::sync::Mutex::new(live)));
    let client = std::thread::spawn(move || {
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut r = BufReader::new(c.try_clone().unwrap());
        let mut lines = Vec::new();
        let mut read = |lines: &mut Vec<String>| {
            let mut l = String::new();
            r.read_line(&mut l).unwrap();
            lines.push(l.trim_end().to_string());
        };
        read(&mut lines);
        for cmd in ["HELO ken-laptop", "MAIL FROM:<ken@isp-a.example>", "RCPT TO:<bob@company.example>", "DATA"] {
            c.write_all(format!("{cmd}\r\n").as_bytes()).unwrap();
            read(&mut lines);
        }
        c.write_all(b"Subject: live in the window\r\n\r\nhi\r\n.\r\nQUIT\r\n").unwrap();
        read(&mut lines);
        read(&mut lines);
        lines
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while !client.is_finished() {
        assert!(std::time::Instant::now() < deadline, "the live client was never answered");
        app.update();
        std::thread::sleep(Duration::from_millis(5));
    }
    let lines = client.join().unwrap();
    assert!(lines[0].starts_with("220 mail.isp-a.example"), "{lines:?}");
    assert!(lines[5].starts_with("250 2.0.0 Ok: queued as"), "{lines:?}");
    let state = app.world().resource::<SimState>();
    let m = state.sim.messages.iter().find(|m| m.subject() == "live in the window").expect("a message of the run");
    assert_eq!(&*m.rcpt, "bob@company.example");
    let injected = state
        .sim
        .trace
        .events
        .iter()
        .any(|(_, e)| matches!(e, relaysim::sim::trace::TraceEvent::Injected { msg, .. } if *msg == m.id));
    assert!(injected, "the animation sees the live message");
}
