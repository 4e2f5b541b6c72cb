//! The window's edit mode driven without a window, through the same calls
//! its buttons and map clicks make (`gui::edit`): enter, place, link, set a
//! field, undo, save, leave and run. The map must draw the edited world at
//! every step, even while it has checker errors.
#![cfg(feature = "gui")]

use std::path::Path;
use std::time::Duration;

use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use relaysim::editor::palette::Kind;
use relaysim::editor::{Item, Op};
use relaysim::gui::edit::{self, EditMode};
use relaysim::gui::flights::Flights;
use relaysim::gui::playback::{Playback, SimState};
use relaysim::gui::scene::CameraView;
use relaysim::gui::{LogicPlugin, NodeIcon, Selection};
use relaysim::scenario::doc::DocPath;

const ERA1: &str = "scenarios/history/01-open-relay.ron";

fn app(file: &str) -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(50)))
        .init_resource::<CameraView>()
        .add_plugins(LogicPlugin::new(SimState::load(Path::new(file)).expect("scenario loads")));
    app.update();
    app
}

/// Runs `f` on the resources the edit bar and the map handlers use.
fn with_edit<R>(
    app: &mut App,
    f: impl FnOnce(&mut EditMode, &mut SimState, &mut Playback, &mut Selection, &mut CameraView) -> R,
) -> R {
    let world = app.world_mut();
    world.resource_scope(|world, mut edit: Mut<EditMode>| {
        world.resource_scope(|world, mut state: Mut<SimState>| {
            world.resource_scope(|world, mut playback: Mut<Playback>| {
                world.resource_scope(|world, mut sel: Mut<Selection>| {
                    let mut view = world.resource_mut::<CameraView>();
                    f(&mut edit, &mut state, &mut playback, &mut sel, &mut view)
                })
            })
        })
    })
}

fn apply(app: &mut App, op: Op) -> bool {
    let ok = with_edit(app, |edit, state, _, _, view| edit.apply(op, state, view));
    app.update();
    ok
}

fn icons(app: &mut App) -> usize {
    let mut q = app.world_mut().query::<&NodeIcon>();
    q.iter(app.world()).count()
}

#[test]
fn a_router_with_op25b_placed_in_isp_c_is_drawn_then_runs_and_saves() {
    let mut app = app(ERA1);
    let nodes = app.world().resource::<SimState>().scenario.nodes.len();
    with_edit(&mut app, |edit, state, playback, sel, _| edit::enter(edit, state, playback, sel));
    app.update();
    assert!(app.world().resource::<EditMode>().active());
    assert_eq!(icons(&mut app), nodes, "the edited world is drawn");

    // Place the router as a click on the map does, then put it between ISP
    // C's customers and the Internet.
    assert!(apply(&mut app, Op::AddNode { kind: Kind::RouterOp25b, at: (400.0, -200.0), isp: Some("isp-c".into()) }));
    let id = match app.world().resource::<EditMode>().selected.clone() {
        Some(Item::Node(id)) => id,
        other => panic!("the new node is selected, not {other:?}"),
    };
    assert_eq!(icons(&mut app), nodes + 1, "the new node is drawn at once");
    let flights = app.world().resource::<Flights>();
    let at = flights.positions[nodes];
    assert_eq!((at.x, at.y), (400.0, -200.0), "drawn where it was placed");

    assert!(apply(&mut app, Op::Unlink { a: "pop-c".into(), b: "router-c".into() }));
    let latency = relaysim::units::Duration(8);
    assert!(apply(&mut app, Op::Link { a: "pop-c".into(), b: id.clone(), latency }));
    assert!(apply(&mut app, Op::Link { a: id.clone(), b: "router-c".into(), latency }));
    // A wrong value is refused with its reason and changes nothing.
    let bad =
        Op::SetField { item: Item::Node(id.clone()), path: "isp".parse::<DocPath>().unwrap(), value: "42".into() };
    assert!(!apply(&mut app, bad));
    assert!(app.world().resource::<EditMode>().status.as_ref().is_some_and(|(_, refused)| *refused));

    // Undo and redo the last link.
    with_edit(&mut app, |edit, state, _, _, view| edit.undo_redo(true, state, view));
    assert!(!app.world().resource::<SimState>().scenario.links.iter().any(|l| l.a == id && l.b == "router-c"));
    with_edit(&mut app, |edit, state, _, _, view| edit.undo_redo(false, state, view));
    assert!(app.world().resource::<SimState>().scenario.links.iter().any(|l| l.a == id && l.b == "router-c"));

    let editor = app.world().resource::<EditMode>().editor.clone().unwrap();
    assert!(editor.runnable(), "{:?}", editor.problems());
    let dir = std::env::temp_dir().join(format!("relaysim-gui-edit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("era1-op25b.ron");
    let saved = with_edit(&mut app, |edit, _, _, _, _| edit.editor.as_mut().unwrap().save_as(&file, true)).unwrap();
    assert_eq!(saved.problems, 0);

    // Leave: the edited world runs from 0:00, and it is the saved one.
    with_edit(&mut app, |edit, state, playback, _, _| edit::leave(edit, state, playback, false));
    app.update();
    assert!(!app.world().resource::<EditMode>().active());
    let state = app.world().resource::<SimState>();
    assert_eq!(state.clock, 0);
    assert_eq!(state.sim.nodes.len(), nodes + 1);
    let loaded = relaysim::scenario::load(&file).expect("the saved file passes the checker");
    assert_eq!(
        relaysim::scenario::to_ron(&loaded).unwrap(),
        relaysim::scenario::to_ron(&state.scenario).unwrap(),
        "the file holds the world that runs"
    );

    // The run: ISP C's customers' spam no longer leaves on port 25.
    let opts = relaysim::sim::RunOptions::new(loaded.seed).transcripts(false);
    let report = relaysim::stats::Report::of(&relaysim::run(loaded, opts, Some(2 * relaysim::units::HOUR)));
    assert!(report.nodes[&id].dropped > 0, "the new router drops port-25 connections: {:?}", report.nodes[&id]);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_world_with_errors_is_drawn_but_cannot_run_until_discarded() {
    let mut app = app(ERA1);
    with_edit(&mut app, |edit, state, playback, sel, _| edit::enter(edit, state, playback, sel));
    app.update();
    let nodes = app.world().resource::<SimState>().scenario.nodes.len();
    // A PC whose outgoing server does not exist: an error, drawn anyway.
    assert!(apply(&mut app, Op::AddNode { kind: Kind::ClientPc, at: (0.0, 0.0), isp: None }));
    let Some(Item::Node(pc)) = app.world().resource::<EditMode>().selected.clone() else { panic!("selected") };
    let path: DocPath = "kind.mail_client.server".parse().unwrap();
    assert!(apply(&mut app, Op::SetField { item: Item::Node(pc.clone()), path, value: "\"nope\"".into() }));
    assert_eq!(icons(&mut app), nodes + 1);
    let editor = app.world().resource::<EditMode>().editor.clone().unwrap();
    assert!(!editor.runnable());
    assert!(editor.problems().iter().any(|p| p.item == Some(Item::Node(pc.clone()))), "{:?}", editor.problems());

    // Leaving asks; the run is not started with a broken world.
    with_edit(&mut app, |edit, state, playback, _, _| edit::leave(edit, state, playback, false));
    assert!(app.world().resource::<EditMode>().active());
    assert_eq!(app.world().resource::<EditMode>().dialog, Some(edit::Dialog::CannotRun));
    // Discard: the lesson as it was.
    with_edit(&mut app, |edit, state, playback, _, _| edit::leave(edit, state, playback, true));
    app.update();
    assert!(!app.world().resource::<EditMode>().active());
    assert_eq!(app.world().resource::<SimState>().scenario.nodes.len(), nodes);
    assert_eq!(icons(&mut app), nodes);
}
