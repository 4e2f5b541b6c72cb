use super::*;
use crate::scenario::{self, Scenario};

fn path(s: &str) -> DocPath {
    s.parse().expect("a path")
}

#[test]
fn every_shipped_scenario_goes_through_its_tree_unchanged() {
    for e in crate::tour::all() {
        let s = e.load().expect("ships valid");
        let doc = to_doc(&s).expect("a tree");
        let back: Scenario = from_doc(&doc).unwrap_or_else(|err| panic!("{}: {err}\n{}", e.name, doc.to_ron()));
        assert_eq!(scenario::to_ron(&back).ok(), scenario::to_ron(&s).ok(), "{}", e.name);
    }
}

#[test]
fn get_goes_through_some_and_newtype_variants() {
    let s = crate::tour::find("era:2").and_then(|e| e.load().ok()).expect("era 2");
    let doc = to_doc(&s).expect("a tree");
    let relay = doc.get(&path("nodes[10].kind.relay")).expect("relay-a's relay policy");
    assert_eq!(relay.to_ron(), "IspNetworks");
    assert_eq!(doc.get(&path("nodes[10].id")), Some(&Doc::Str("relay-a".into())));
    assert_eq!(doc.get(&path("dns[0].mx[0][1]")), Some(&Doc::Str("mail.isp-a.example".into())));
    assert_eq!(doc.get(&path("names.ja")).map(Doc::to_ron).as_deref(), Some("\"第2期: 中継制限 (mynetworks)\""));
    assert!(doc.get(&path("nodes[999]")).is_none());
    assert!(doc.get(&path("nodes[0].nope")).is_none());
    assert_eq!(doc.get(&DocPath::default()), Some(&doc));
}

#[test]
fn get_mut_changes_the_value_read_back() {
    let s = crate::tour::find("era:2").and_then(|e| e.load().ok()).expect("era 2");
    let mut doc = to_doc(&s).expect("a tree");
    *doc.get_mut(&path("nodes[10].kind.hostname")).expect("hostname") = Doc::Str("smtp.example".into());
    *doc.get_mut(&path("seed")).expect("seed") = Doc::Int(42);
    let back: Scenario = from_doc(&doc).expect("reads back");
    assert_eq!(back.seed, 42);
    assert_eq!(back.nodes[10].kind.mail_server().map(|m| m.hostname.as_str()), Some("smtp.example"));
}

#[test]
fn paths_print_and_parse() {
    for p in ["kind.filters[0].port", "nodes[3].kind.relay", "dns[0].mx[0][1]", "seed", ""] {
        assert_eq!(path(p).to_string(), p);
    }
    assert_eq!(path("a[2].b").0, vec![Step::Field("a".into()), Step::Index(2), Step::Field("b".into())]);
    assert!("a[x]".parse::<DocPath>().is_err());
}

#[test]
fn scalars_are_written_so_they_read_back() {
    assert_eq!(to_doc(&0.1f64).map(|d| d.to_ron()).ok().as_deref(), Some("0.1"));
    assert_eq!(to_doc(&1.0f64).map(|d| d.to_ron()).ok().as_deref(), Some("1.0"));
    assert_eq!(to_doc(&0.1f32).map(|d| d.to_ron()).ok().as_deref(), Some("0.1"));
    assert_eq!(to_doc(&-3i8).map(|d| d.to_ron()).ok().as_deref(), Some("-3"));
    for f in [0.1, 1.0, 1e300, 1e-300, -2.5, 123456.789, f64::MIN_POSITIVE] {
        let back: f64 = from_doc(&Doc::Float(f)).expect("a float");
        assert_eq!(back.to_bits(), f.to_bits(), "{f}");
    }
    for s in ["plain", "say \"hi\"", "back\\slash", "line\nbreak\ttab\r", "\u{1}ctl", "日本語", "{i}"] {
        let doc = to_doc(s).expect("a string");
        let back: String = from_doc(&doc).expect("reads back");
        assert_eq!(back, s, "{}", doc.to_ron());
    }
    for c in ['a', '\'', '"', '\\', '\n', '日'] {
        let back: char = from_doc(&Doc::Char(c)).expect("a char");
        assert_eq!(back, c);
    }
}

/// Options, a nested option, a tuple and a list of tuples.
type Mixed = (Option<u8>, Option<Option<u8>>, Option<(f32, f32)>, Vec<(u16, String)>);

#[test]
fn options_variants_and_tuples_read_back() {
    let v: Mixed = (Some(3), Some(None), Some((1.5, 2.0)), vec![(10, "mx".into())]);
    let doc = to_doc(&v).expect("a tree");
    assert_eq!(doc.to_ron(), "(3, Some(None), (1.5, 2.0), [(10, \"mx\")])");
    let back: Mixed = from_doc(&doc).expect("reads back");
    assert_eq!(back, v);
    let relay =
        to_doc(&Some(scenario::RelayPolicy::MyNetworks(vec!["10.0.0.0/8".parse().expect("cidr")]))).expect("a tree");
    assert_eq!(relay.to_ron(), "MyNetworks([\"10.0.0.0/8\"])");
}

#[test]
fn structs_are_written_with_or_without_their_names() {
    let c = crate::scenario::Credentials { user: "a".into(), password: "b".into() };
    let doc = to_doc(&Some(c.clone())).expect("a tree");
    assert_eq!(doc.to_ron(), "(user: \"a\", password: \"b\")");
    assert_eq!(doc.to_ron_named(), "Credentials(user: \"a\", password: \"b\")");
    let back: Option<crate::scenario::Credentials> = from_doc(&doc).expect("reads back");
    assert_eq!(back, Some(c));
}
