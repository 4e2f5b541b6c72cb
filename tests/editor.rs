//! The editor core, headless: the operations the window's edit mode
//! performs, driven as the window drives them (issue 18).

use relaysim::editor::form::{self, Input};
use relaysim::editor::palette::Kind;
use relaysim::editor::{EditError, Editor, Item, Op, Section, templates};
use relaysim::scenario::doc::{Doc, DocPath, to_doc};
use relaysim::scenario::{self, NodeKind, Scenario, Source, Strategy};
use relaysim::sim::RunOptions;
use relaysim::stats::Report;
use relaysim::units::{Duration, HOUR};

fn path(s: &str) -> DocPath {
    s.parse().unwrap()
}

fn set(ed: &mut Editor, item: Item, at: &str, value: &str) -> Option<Item> {
    ed.apply(Op::SetField { item, path: path(at), value: value.to_string() })
        .unwrap_or_else(|e| panic!("set {at} = {value}: {e}"))
        .created
}

fn ron(s: &Scenario) -> String {
    scenario::to_ron(s).unwrap()
}

/// Era 1's world without its lesson.
fn era1() -> Scenario {
    let mut s = relaysim::tour::find("era:1").unwrap().load().unwrap();
    s.narration.clear();
    s.timeline.clear();
    s
}

fn report(s: &Scenario) -> serde_json::Value {
    let sim = relaysim::run(s.clone(), RunOptions::new(s.seed).transcripts(false), Some(2 * HOUR));
    serde_json::to_value(Report::of(&sim)).unwrap()
}

fn empty_editor() -> Editor {
    Editor::new(templates::make("empty").unwrap(), None, None)
}

/// Sets every field `doc` has (a struct, or a variant holding one), the
/// id first; returns the item as named at the end.
fn copy_fields(ed: &mut Editor, mut item: Item, doc: &Doc, skip: &[&str]) -> Item {
    let fields = match doc.inner() {
        Doc::Struct { fields, .. } => fields.clone(),
        d => panic!("not a struct: {d:?}"),
    };
    let id_first = fields
        .iter()
        .filter(|(k, _)| *k == "id" || *k == "domain")
        .chain(fields.iter().filter(|(k, _)| *k != "id" && *k != "domain"));
    for (k, v) in id_first {
        if skip.contains(k) {
            continue;
        }
        if *k == "kind" && matches!(v.inner(), Doc::Struct { .. }) {
            // A node's settings one by one, as a form sets them.
            let Doc::Struct { fields, .. } = v.inner() else { unreachable!() };
            for (f, fv) in fields {
                set(ed, item.clone(), &format!("kind.{f}"), &fv.to_ron());
            }
            continue;
        }
        if let Some(now) = set(ed, item.clone(), k, &v.to_ron()) {
            item = now;
        }
    }
    item
}

/// Issue 18's "done when", headless: era 1's world rebuilt from the empty
/// template with edits only, run; then an OP25B router at ISP C; then saved.
#[test]
fn rebuild_era1_then_op25b_at_isp_c_then_save() {
    let target = era1();
    let mut ed = empty_editor();

    // Clear the template.
    for id in ed.scenario.nodes.iter().map(|n| n.id.clone()).collect::<Vec<_>>() {
        ed.apply(Op::DeleteNode { id }).unwrap();
    }
    for isp in ed.scenario.isps.iter().map(|i| i.id.clone()).collect::<Vec<_>>() {
        ed.apply(Op::DeleteItem { item: Item::Isp(isp) }).unwrap();
    }
    for z in ed.scenario.dns.iter().map(|z| z.domain.clone()).collect::<Vec<_>>() {
        ed.apply(Op::DeleteItem { item: Item::Zone(z) }).unwrap();
    }
    assert!(ed.scenario.nodes.is_empty() && ed.scenario.links.is_empty());

    let t = to_doc(&target).unwrap();
    for f in ["name", "names", "description", "start", "duration", "seed", "transcripts"] {
        if let Some(v) = t.get(&path(f)) {
            set(&mut ed, Item::Scenario, f, &v.to_ron());
        }
    }
    for isp in &target.isps {
        let item = ed.apply(Op::AddItem { section: Section::Isp }).unwrap().created.unwrap();
        copy_fields(&mut ed, item, &to_doc(isp).unwrap(), &[]);
    }
    for (i, node) in target.nodes.iter().enumerate() {
        let at = ((i % 8) as f32 * 120.0, (i / 8) as f32 * 120.0);
        let item = ed.apply(Op::AddNode { kind: Kind::of(node), at, isp: node.isp.clone() }).unwrap().created.unwrap();
        copy_fields(&mut ed, item, &to_doc(node).unwrap(), &["position"]);
    }
    for l in &target.links {
        ed.apply(Op::Link { a: l.a.clone(), b: l.b.clone(), latency: l.latency }).unwrap();
    }
    for z in &target.dns {
        let item = ed.apply(Op::AddItem { section: Section::Zone }).unwrap().created.unwrap();
        copy_fields(&mut ed, item, &to_doc(z).unwrap(), &[]);
    }
    for src in &target.traffic {
        let section = match src {
            Source::Legit(_) => Section::Legit,
            Source::Spam(_) => Section::Spam,
            Source::Once(_) => Section::Once,
        };
        let item = ed.apply(Op::AddItem { section }).unwrap().created.unwrap();
        copy_fields(&mut ed, item, &to_doc(src).unwrap(), &[]);
    }
    assert!(ed.runnable(), "{:#?}", ed.problems());
    assert!(ed.scenario.nodes.iter().all(|n| n.position.is_some()), "the layout is kept");

    // The same world (but for the layout), and the same run.
    let mut built = ed.scenario.clone();
    built.nodes.iter_mut().for_each(|n| n.position = None);
    assert_eq!(ron(&built), ron(&target));
    let before = report(&ed.scenario);
    assert_eq!(before, report(&target));
    assert!(before["spam_origins"]["pop-c"]["delivered_direct"].as_u64().unwrap() > 0, "ISP C's bots reach MXes");

    // An OP25B router between ISP C's customers and the rest of the world.
    let op25b = match ed
        .apply(Op::AddNode { kind: Kind::RouterOp25b, at: (300.0, 500.0), isp: Some("isp-c".into()) })
        .unwrap()
        .created
    {
        Some(Item::Node(id)) => id,
        other => panic!("{other:?}"),
    };
    ed.apply(Op::Unlink { a: "pop-c".into(), b: "router-c".into() }).unwrap();
    ed.apply(Op::Link { a: "pop-c".into(), b: op25b.clone(), latency: Duration(8) }).unwrap();
    ed.apply(Op::Link { a: op25b.clone(), b: "router-c".into(), latency: Duration(1) }).unwrap();
    assert!(ed.runnable(), "{:#?}", ed.problems());
    let after = report(&ed.scenario);
    assert_eq!(after["spam_origins"]["pop-c"]["delivered_direct"], 0, "OP25B at ISP C");
    assert!(after["nodes"][&op25b]["dropped"].as_u64().unwrap() > 0);
    assert!(after["sources"]["customers-c"]["delivered"].as_u64().unwrap() > 0, "ISP C's relay still works");

    // Saved, it loads back as it is.
    let file = std::env::temp_dir().join(format!("relaysim-editor-{}.ron", std::process::id()));
    let saved = ed.save_as(&file, false).unwrap();
    assert_eq!(saved.problems, 0);
    assert!(!ed.dirty());
    let back = scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_file(&file).ok();
    assert_eq!(ron(&back), ron(&ed.scenario));
}

#[test]
fn undo_and_redo_restore_exactly() {
    let mut ed = empty_editor();
    assert!(!ed.can_undo() && !ed.dirty());
    let mut states = vec![ron(&ed.scenario)];
    let ops = vec![
        Op::AddNode { kind: Kind::ClientPc, at: (10.0, 20.0), isp: Some("isp-a".into()) },
        Op::Link { a: "pc-1".into(), b: "router-a".into(), latency: Duration(5) },
        Op::MoveNode { id: "pc-1".into(), to: (30.0, 40.0) },
        Op::SetLatency { a: "router-a".into(), b: "pc-1".into(), latency: Duration(7) },
        Op::SetField { item: Item::Node("pc-1".into()), path: path("id"), value: "\"alice\"".into() },
        Op::AddItem { section: Section::Legit },
        Op::AddItem { section: Section::Isp },
        Op::SetField { item: Item::Node("mx-a".into()), path: path("kind.greylist"), value: "()".into() },
        Op::Unlink { a: "alice".into(), b: "router-a".into() },
        Op::DeleteNode { id: "mbox-a".into() },
        Op::PlaceAll { positions: vec![("alice".into(), (1.0, 2.0)), ("dns".into(), (3.0, 4.0))] },
        Op::DeleteItem { item: Item::Zone("isp-a.example".into()) },
    ];
    for op in ops {
        ed.apply(op.clone()).unwrap_or_else(|e| panic!("{op:?}: {e}"));
        states.push(ron(&ed.scenario));
        assert!(ed.dirty());
    }
    for want in states.iter().rev().skip(1) {
        assert!(ed.undo());
        assert_eq!(&ron(&ed.scenario), want);
    }
    assert!(!ed.undo() && !ed.dirty(), "back where it started");
    for want in states.iter().skip(1) {
        assert!(ed.redo());
        assert_eq!(&ron(&ed.scenario), want);
    }
    assert!(!ed.redo());
    // A new edit after an undo forgets what could be redone.
    ed.undo();
    ed.apply(Op::MoveNode { id: "dns".into(), to: (0.0, 0.0) }).unwrap();
    assert!(!ed.can_redo());
}

#[test]
fn every_kind_makes_a_node_the_schema_and_the_checker_accept() {
    for &kind in Kind::all() {
        let mut ed = empty_editor();
        let id = match ed.apply(Op::AddNode { kind, at: (0.0, 0.0), isp: Some("isp-a".into()) }).unwrap().created {
            Some(Item::Node(id)) => id,
            other => panic!("{other:?}"),
        };
        assert!(id.starts_with(kind.id_prefix()), "{id}");
        assert!(!kind.label().0.is_empty() && !kind.label().1.is_empty());
        // The schema: the file Save writes reads back.
        let text = ron(&ed.scenario);
        let back: Scenario = relaysim::scenario::doc::from_doc(&to_doc(&ed.scenario).unwrap())
            .unwrap_or_else(|e| panic!("{kind:?}: {e}\n{text}"));
        assert_eq!(ron(&back), text);
        assert_eq!(Kind::of(ed.scenario.nodes.last().unwrap()), kind);
        // The checker, once it is linked in.
        ed.apply(Op::Link { a: id.clone(), b: "router-a".into(), latency: Duration(1) }).unwrap();
        let problems: Vec<_> = ed.problems().iter().map(|p| p.message.clone()).collect();
        assert!(problems.is_empty(), "{kind:?}: {problems:#?}");
    }
}

#[test]
fn new_nodes_refer_to_the_world() {
    let base = templates::make("base").unwrap();
    let pc = Kind::ClientPc.new_node("pc-1", Some("isp-b"), &base);
    let NodeKind::ClientPc(c) = &pc.kind else { panic!() };
    assert_eq!(c.mail_client.server, "relay-b");
    assert_eq!(c.user, "pc-1@isp-b.example");
    // A second relay at an ISP gets a host name of its own.
    let relay = Kind::IspRelay.new_node("relay-1", Some("isp-c"), &base);
    assert_eq!(relay.kind.mail_server().unwrap().hostname, "relay-1.isp-c.example");
    let relay = Kind::IspRelay.new_node("relay-1", Some("hotel"), &base);
    assert_eq!(relay.kind.mail_server().unwrap().hostname, "mail.hotel.example");
    let r = Kind::RouterOp25b.new_node("op25b-1", Some("isp-c"), &base);
    let NodeKind::Router(r) = &r.kind else { panic!() };
    assert!(matches!(&r.filters[..], [scenario::Filter::Op25b { isp }] if isp == "isp-c"));
}

#[test]
fn templates_load_and_pass_the_checker() {
    let all = templates::templates();
    assert_eq!(all[0].key, "base");
    assert_eq!(all[1].key, "empty");
    assert_eq!(all.len(), 2 + relaysim::tour::examples().len());
    for t in &all {
        assert!(!t.title.is_empty() && !t.title_ja.is_empty(), "{}", t.key);
        let s = templates::make(&t.key).unwrap_or_else(|| panic!("{}", t.key));
        let ed = Editor::new(s, None, None);
        assert!(ed.runnable(), "{}: {:#?}", t.key, ed.problems());
    }
    assert!(templates::make("nope").is_none());
    let base = templates::make("base").unwrap();
    assert!(base.narration.is_empty() && base.timeline.is_empty());
    assert_eq!(
        ron(&Scenario { name: era1().name, names: era1().names, description: era1().description, ..base }),
        ron(&era1())
    );
    // The empty world runs.
    let empty = templates::make("empty").unwrap();
    relaysim::run(empty, RunOptions::new(1), Some(HOUR));
}

#[test]
fn a_bad_value_is_refused_with_serdes_message_and_changes_nothing() {
    let mut ed = empty_editor();
    let before = ron(&ed.scenario);
    for (item, at, value, says) in [
        (Item::Scenario, "duration", "\"ten minutes\"", "is not a duration"),
        (Item::Node("mx-a".into()), "kind.ports", "[\"x\"]", "Expected"),
        (Item::Node("mx-a".into()), "kind.relay", "Sometimes", "Sometimes"),
        (Item::Isp("isp-a".into()), "customers", "[\"10.1.0.1/16\"]", "host bits"),
        (Item::Node("mx-a".into()), "label", "\"a\", ip: \"1.2.3.4\"", "one value"),
    ] {
        match ed.apply(Op::SetField { item: item.clone(), path: path(at), value: value.into() }) {
            Err(EditError::BadValue { path: p, why }) => {
                assert_eq!(p, at);
                assert!(why.contains(says), "{at} = {value}: {why}");
            }
            other => panic!("{at} = {value}: {other:?}"),
        }
        assert_eq!(ron(&ed.scenario), before);
        assert!(!ed.can_undo() && !ed.dirty());
    }
    // Refused edits.
    let refused = [
        Op::Link { a: "dns".into(), b: "dns".into(), latency: Duration(1) },
        Op::Link { a: "dns".into(), b: "nope".into(), latency: Duration(1) },
        Op::Link { a: "internet".into(), b: "dns".into(), latency: Duration(1) },
        Op::Unlink { a: "dns".into(), b: "mx-a".into() },
        Op::AddNode { kind: Kind::Router, at: (0.0, 0.0), isp: Some("nope".into()) },
        Op::SetField { item: Item::Node("mx-a".into()), path: path("id"), value: "\"dns\"".into() },
        Op::SetField { item: Item::Node("mx-a".into()), path: path("kind.nope"), value: "1".into() },
        Op::DeleteItem { item: Item::Scenario },
        Op::MoveNode { id: "dns".into(), to: (f32::NAN, 0.0) },
        Op::DeleteItem { item: Item::Link(99) },
    ];
    for op in refused {
        assert!(ed.apply(op.clone()).is_err(), "{op:?}");
        assert_eq!(ron(&ed.scenario), before, "{op:?}");
    }
    assert!(!ed.can_undo());
}

#[test]
fn renaming_a_node_renames_its_references() {
    let mut ed = Editor::open(std::path::Path::new("era:1")).unwrap();
    assert!(ed.path.is_none(), "a built-in lesson is saved with Save as");
    set(&mut ed, Item::Node("relay-a".into()), "id", "\"relay-x\"");
    set(&mut ed, Item::Node("router-hotel".into()), "id", "\"nat-hotel\"");
    set(&mut ed, Item::Node("relay-univ".into()), "id", "\"univ\"");
    set(&mut ed, Item::Isp("isp-c".into()), "id", "\"isp-z\"");
    set(&mut ed, Item::Source("ken-roaming".into()), "id", "\"ken\"");
    assert!(ed.runnable(), "{:#?}", ed.problems());
    let s = &ed.scenario;
    let text = ron(s);
    for old in ["\"relay-a\"", "\"router-hotel\"", "\"relay-univ\"", "\"isp-c\"", "\"ken-roaming\""] {
        assert!(!text.contains(old), "{old} is left in:\n{text}");
    }
    assert!(s.links.iter().any(|l| l.a == "relay-x" && l.b == "router-a"));
    let node = |id: &str| s.nodes.iter().find(|n| n.id == id).unwrap();
    assert_eq!(node("ken").nat.as_deref(), Some("nat-hotel"));
    assert_eq!(node("pop-c").isp.as_deref(), Some("isp-z"));
    let NodeKind::Population(dial) = &node("pop-dial").kind else { panic!() };
    assert_eq!(dial.mail_client.server, "relay-x");
    assert_eq!(dial.mail_client.pop.as_ref().unwrap().server, "relay-x");
    let Some(Source::Spam(via)) = s.traffic.iter().find(|t| t.id() == "spam-via-relays") else { panic!() };
    assert!(
        matches!(&via.strategy, Strategy::OpenRelays(r) if r.contains(&"relay-x".to_string()) && r.contains(&"univ".to_string()))
    );
    let Some(Source::Spam(stolen)) = s.traffic.iter().find(|t| t.id() == "spam-stolen-auth") else { panic!() };
    assert!(matches!(&stolen.strategy, Strategy::StolenCredentials { relay, .. } if relay == "relay-x"));
    // The lesson's references too.
    assert!(s.narration[0].focus.nodes.contains(&"univ".to_string()));
    assert!(text.contains("source: \"ken\""));
    // Labels and addresses that merely look alike are not references.
    assert!(text.contains("mail.isp-a.example"));
}

#[test]
fn problems_are_tied_to_the_node_and_field() {
    let mut ed = Editor::open(std::path::Path::new("era:1")).unwrap();
    assert!(ed.runnable(), "{:#?}", ed.problems());
    set(&mut ed, Item::Node("alice".into()), "kind.mail_client.server", "\"nope\"");
    assert!(!ed.runnable());
    let p = ed.problems().iter().find(|p| p.message.contains("nope")).unwrap_or_else(|| panic!("{:#?}", ed.problems()));
    assert_eq!(p.item, Some(Item::Node("alice".into())), "{p:?}");
    assert_eq!(p.path.to_string(), "kind.mail_client.server");
    let rows = form::rows(&ed, &Item::Node("alice".into()));
    let row = rows.iter().find(|r| r.path.to_string() == "kind.mail_client.server").unwrap();
    assert!(row.problem.as_deref().is_some_and(|m| m.contains("nope")), "{row:?}");
    assert!(ed.undo());
    assert!(ed.runnable());
}

#[test]
fn a_form_shows_every_field_with_defaults_and_hints() {
    let ed = empty_editor();
    let rows = form::rows(&ed, &Item::Node("mx-a".into()));
    let row =
        |p: &str| rows.iter().find(|r| r.path.to_string() == p).unwrap_or_else(|| panic!("no row {p}: {rows:#?}"));
    assert!(
        matches!(&row("kind").input, Input::Choice { current, variants } if current == "Mx" && variants.len() == 10)
    );
    assert_eq!(row("kind.hostname").input, Input::Text("mx.isp-a.example".into()));
    assert!(!row("kind.hostname").is_default);
    assert_eq!(row("kind.hostname").hint.as_deref(), Some("a host name such as mail.isp-a.example"));
    // Skipped by serde, shown with their defaults.
    assert_eq!(row("kind.greylist").input, Input::Optional { on: false });
    assert!(row("kind.greylist").is_default);
    assert_eq!(row("kind.recipient_restrictions").input, Input::List { len: 0 });
    assert!(matches!(&row("kind.outbound_choice").input, Input::Choice { current, .. } if current == "InOrder"));
    assert_eq!(row("kind.next_mx_after_4xx").input, Input::Bool(false));
    assert_eq!(row("kind.ports").input, Input::List { len: 1 });
    assert!(row("kind.ports").is_default);
    assert!(row("kind.queue.min").is_default);
    assert!(row("kind.queue.min").hint.as_deref().unwrap().starts_with("a duration"));
    assert!(matches!(&row("kind.queue.shape").input, Input::Choice { current, .. } if current == "Doubling"));
    assert!(row("labels").is_default);
    assert_eq!(row("ip").input, Input::Optional { on: false });
    assert_eq!(row("ip").hint.as_deref(), Some("an address such as 192.0.2.10"));
    assert_eq!(row("kind.mailbox").hint.as_deref(), Some("the id of a node"));
    let mut zoned = empty_editor();
    set(&mut zoned, Item::Zone("isp-a.example".into()), "a", "[(\"www\", \"192.0.2.80\")]");
    let zone = form::rows(&zoned, &Item::Zone("isp-a.example".into()));
    let hint = |p: &str| zone.iter().find(|r| r.path.to_string() == p).unwrap().hint.clone();
    assert_eq!(hint("a[0][0]"), None);
    assert_eq!(hint("a[0][1]").as_deref(), Some("an address such as 192.0.2.10"));
    assert_eq!(hint("mx[0][1]"), None);
    let isp = form::rows(&ed, &Item::Isp("isp-a".into()));
    let customers = isp.iter().find(|r| r.path.to_string() == "customers[0]").unwrap();
    assert!(customers.hint.as_deref().unwrap().starts_with("a network"));
    let sc = form::rows(&ed, &Item::Scenario);
    assert!(sc.iter().find(|r| r.name == "start").unwrap().hint.as_deref().unwrap().starts_with("a time"));
    assert!(form::rows(&ed, &Item::Node("nope".into())).is_empty());
    // Every hint has its Japanese.
    for r in rows.iter().chain(&isp).chain(&sc) {
        if let Some(h) = &r.hint {
            assert!(form::hint_ja(h).is_some(), "{h}");
        }
    }
    // Turning an optional setting on.
    assert_eq!(form::on_value(&ed, &Item::Node("mx-a".into()), &path("kind.greylist")).as_deref(), Some("()"));
}

#[test]
fn lists_and_optional_settings_from_the_form_helpers() {
    let mut ed = Editor::open(std::path::Path::new("era:1")).unwrap();
    let mx = Item::Node("mx-co".into());
    // An empty list of enums gets its first variant; of structs, a struct
    // with its required fields.
    let restrictions = path("kind.recipient_restrictions");
    let text = form::list_with_added(&ed, &mx, &restrictions).unwrap();
    assert_eq!(text, "[PermitMynetworks]");
    set(&mut ed, mx.clone(), "kind.recipient_restrictions", &text);
    let text = form::list_with_added(&ed, &mx, &restrictions).unwrap();
    assert_eq!(text, "[PermitMynetworks, PermitMynetworks]");
    let accounts = path("kind.accounts");
    let text = form::list_with_added(&ed, &mx, &accounts).unwrap();
    set(&mut ed, mx.clone(), "kind.accounts", &text);
    let text = form::list_without(&ed, &mx, &accounts, 0).unwrap();
    assert_eq!(text, "[]");
    // First items of lists of pairs and of networks.
    let zone = Item::Zone("company.example".into());
    assert_eq!(form::list_with_added(&ed, &zone, &path("a")).as_deref(), Some("[(\"\", \"192.0.2.1\")]"));
    assert_eq!(form::list_with_added(&ed, &zone, &path("txt")).as_deref(), Some("[\"\"]"));
    let company = Item::Isp("company".into());
    assert_eq!(form::list_with_added(&ed, &company, &path("customers")).as_deref(), Some("[\"10.0.0.0/8\"]"));
    set(&mut ed, zone.clone(), "mx", "[]");
    assert_eq!(form::list_with_added(&ed, &zone, &path("mx")).as_deref(), Some("[(0, \"\")]"));
    // Settings turned on: with defaults, or required fields to fill in.
    assert_eq!(form::on_value(&ed, &mx, &path("kind.spf")).as_deref(), Some("()"));
    let pbs = form::on_value(&ed, &mx, &path("kind.pop_before_smtp")).unwrap();
    assert_eq!(pbs, "(server: \"\")");
    set(&mut ed, mx.clone(), "kind.pop_before_smtp", &pbs);
    assert!(ed.problems().iter().any(|p| p.message.contains("unknown node ``")), "{:#?}", ed.problems());
    // A list held by a variant is set with the variant around it.
    let spam = Item::Source("spam-via-relays".into());
    let text = form::list_with_added(&ed, &spam, &path("strategy")).unwrap();
    assert!(text.starts_with("OpenRelays([\"relay-a\""), "{text}");
    set(&mut ed, spam.clone(), "strategy", &text);
    let rows = form::rows(&ed, &spam);
    let list = rows.iter().find(|r| r.name == "OpenRelays").unwrap();
    assert_eq!(list.input, Input::List { len: 4 });
    assert!(rows.iter().any(|r| r.path.to_string() == "strategy[3]"));
    // The scenario's own form leaves the lists of items out.
    let sc = form::rows(&ed, &Item::Scenario);
    assert!(sc.iter().all(|r| !r.path.to_string().starts_with("nodes")));
    assert!(sc.iter().any(|r| r.name == "narration"));
}

#[test]
fn problems_of_fields_in_each_kind_of_item() {
    let mut ed = Editor::open(std::path::Path::new("era:1")).unwrap();
    set(&mut ed, Item::Isp("isp-b".into()), "customers", "[\"10.1.0.0/16\"]");
    set(&mut ed, Item::Source("alice".into()), "from", "\"nope\"");
    set(&mut ed, Item::Scenario, "duration", "\"0s\"");
    let find = |text: &str| {
        ed.problems()
            .iter()
            .find(|p| p.message.contains(text))
            .unwrap_or_else(|| panic!("{text}: {:#?}", ed.problems()))
    };
    let p = find("overlaps");
    assert!(matches!(&p.item, Some(Item::Isp(id)) if id == "isp-b" || id == "isp-a"), "{p:?}");
    let p = find("longer than 0s");
    assert_eq!((p.item.clone(), p.path.to_string()), (Some(Item::Scenario), "duration".to_string()));
    let p = ed.problems().iter().find(|p| p.item == Some(Item::Source("alice".into()))).unwrap();
    assert_eq!(p.path.to_string(), "from", "{p:?}");
}

#[test]
fn save_keeps_comments_or_asks() {
    let dir = std::env::temp_dir().join(format!("relaysim-editor-save-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("era1.ron");
    std::fs::write(&file, relaysim::tour::find("era:1").unwrap().text).unwrap();
    let mut ed = Editor::open(&file).unwrap();
    assert_eq!(ed.path.as_deref(), Some(file.as_path()));
    // An edit that keeps every commented item: saved with the comments.
    set(&mut ed, Item::Node("relay-c".into()), "kind.relay", "IspNetworks");
    assert!(ed.dirty());
    ed.save(false).unwrap();
    assert!(!ed.dirty());
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("// ISP C never adopts Outbound Port 25 Blocking"), "{text}");
    assert!(scenario::load(&file).is_ok());
    // Deleting a commented node: Save asks first.
    ed.apply(Op::DeleteNode { id: "hotel-bot".into() }).unwrap();
    ed.apply(Op::DeleteItem { item: Item::Source("spam-hotel".into()) }).unwrap();
    match ed.save(false) {
        Err(relaysim::editor::SaveError::WouldLoseComments(lost)) => assert!(!lost.is_empty()),
        other => panic!("{other:?}"),
    }
    assert!(ed.dirty());
    ed.save(true).unwrap();
    assert!(!ed.dirty());
    assert!(scenario::load(&file).is_ok());
    // Undo after saving makes it dirty again.
    ed.undo();
    assert!(ed.dirty());
    // A world with nowhere to save.
    let mut new = empty_editor();
    assert!(matches!(new.save(false), Err(relaysim::editor::SaveError::NoPath)));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_file_with_checker_errors_opens_one_that_does_not_read_does_not() {
    let dir = std::env::temp_dir().join(format!("relaysim-editor-open-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("broken.ron");
    let text = templates::EMPTY.replace("mailbox: \"mbox-a\"", "mailbox: \"nowhere\"");
    std::fs::write(&broken, &text).unwrap();
    let ed = Editor::open(&broken).unwrap();
    assert!(!ed.runnable());
    assert_eq!(ed.problems()[0].item, Some(Item::Node("mx-a".into())));
    assert_eq!(ed.problems()[0].path.to_string(), "kind.mailbox");
    std::fs::write(&broken, "Scenario(name: 3)").unwrap();
    assert!(Editor::open(&broken).is_err());
    assert!(Editor::open(std::path::Path::new("era:99")).is_err());
    std::fs::remove_dir_all(&dir).ok();
}

/// How long the forms take to make (printed, not asserted: `--nocapture`).
#[test]
fn forms_of_the_largest_lesson() {
    let ed = Editor::open(std::path::Path::new("era:8")).unwrap();
    let t = std::time::Instant::now();
    let n = form::rows(&ed, &Item::Scenario).len();
    let first_ms = t.elapsed().as_millis();
    let t = std::time::Instant::now();
    form::rows(&ed, &Item::Scenario);
    let scenario_ms = t.elapsed().as_millis();
    println!("scenario form, first: {first_ms} ms");
    let t = std::time::Instant::now();
    let m = form::rows(&ed, &Item::Node("relay-a".into())).len();
    println!("scenario form: {n} rows in {scenario_ms} ms; relay-a: {m} rows in {} ms", t.elapsed().as_millis());
    assert!(n > 0 && m > 20);
}

#[test]
fn a_template_editor_saves_without_asking_and_keeps_comments() {
    let dir = std::env::temp_dir().join(format!("relaysim-editor-tpl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for t in templates::templates() {
        let mut ed = templates::editor(&t.key).unwrap();
        assert!(ed.path.is_none() && !ed.dirty() && ed.runnable(), "{}", t.key);
        let file = dir.join(format!("{}.ron", t.key.replace(':', "-")));
        ed.save_as(&file, false).unwrap_or_else(|e| panic!("{}: {e}", t.key));
        let back = scenario::load(&file).unwrap_or_else(|e| panic!("{}: {e}", t.key));
        assert_eq!(ron(&back), ron(&ed.scenario), "{}", t.key);
    }
    let base = std::fs::read_to_string(dir.join("base.ron")).unwrap();
    assert!(base.contains("// ISP C never adopts Outbound Port 25 Blocking"));
    std::fs::remove_dir_all(&dir).ok();
}

/// Every shipped lesson and example: opened, saved as the editor saves,
/// loaded back the same.
#[test]
fn every_shipped_file_round_trips_through_the_editor() {
    let dir = std::env::temp_dir().join(format!("relaysim-editor-rt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for e in relaysim::tour::all() {
        let mut ed = Editor::open(std::path::Path::new(e.name)).unwrap();
        assert!(ed.runnable(), "{}: {:#?}", e.name, ed.problems());
        let file = dir.join(format!("{}.ron", e.stem()));
        ed.save_as(&file, false).unwrap_or_else(|err| panic!("{}: {err}", e.name));
        let back = scenario::load(&file).unwrap_or_else(|err| panic!("{}: {err}", e.name));
        assert_eq!(ron(&back), ron(&e.load().unwrap()), "{}", e.name);
    }
    std::fs::remove_dir_all(&dir).ok();
}
