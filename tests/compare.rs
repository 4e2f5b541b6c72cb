//! `relaysim compare`: determinism, sweeps, and the files it writes.

mod common;

use relaysim::stats::compare::{self, Options, Variant};
use relaysim::stats::overrides::{self, Override};
use relaysim::units::HOUR;

fn variants(files: &[&str], hours: u64) -> Vec<Variant> {
    files
        .iter()
        .map(|f| {
            let mut s = common::load(f);
            s.duration.0 = hours * HOUR;
            Variant { name: f.to_string(), file: f.to_string(), overrides: vec![], swept: None, scenario: s }
        })
        .collect()
}

#[test]
fn results_are_identical_whatever_the_number_of_jobs_and_between_runs() {
    let v = variants(&["scenarios/history/01-open-relay.ron", "scenarios/history/02-relay-restriction.ron"], 2);
    let opts = |jobs| Options::new(3, 7, jobs);
    let one = compare::run(&v, opts(1));
    let two = compare::run(&v, opts(2));
    assert_eq!(one, two);
    assert_eq!(one, compare::run(&v, opts(2)));
    // Common random numbers: the same mail is sent in both eras, replication by replication.
    let seeds =
        |variant: usize| -> Vec<u64> { one.runs.iter().filter(|r| r.variant == variant).map(|r| r.seed).collect() };
    assert_eq!(seeds(0), seeds(1), "replication k uses the same seed in every scenario");
    let d = &one.variants[1].metrics["legit_delivery_rate"].diff;
    assert!(d.mean < 0.0, "the roaming user's mail is refused in era 2");
}

#[test]
fn a_sweep_changes_only_the_swept_parameter() {
    let base = common::load("scenarios/examples/mx-outage.ron");
    let sweep = overrides::sweep("nodes[mx-co].kind.down[0].to=10m,80m").unwrap();
    assert_eq!(sweep.len(), 2);
    let before = serde_json::to_value(&base).unwrap();
    for o in &sweep {
        let changed = overrides::apply(&base, std::slice::from_ref(o), "mx-outage.ron").unwrap();
        let after = serde_json::to_value(&changed).unwrap();
        let mut diffs = Vec::new();
        diff_paths(&before, &after, String::new(), &mut diffs);
        assert_eq!(diffs, vec![".nodes[3].kind.Mx.down[0].to".to_string()], "{o}");
    }
}

#[test]
fn overrides_report_mistakes_clearly() {
    let base = common::load("scenarios/examples/mx-outage.ron");
    let err = |o: &str| overrides::apply(&base, &[Override::parse(o).unwrap()], "f.ron").unwrap_err().to_string();
    assert!(err("nodes[nope].kind.down=[]").contains("[nope]"));
    assert!(err("nodes[mx-co].kind.delay=5m").contains("no `delay` here"));
    assert!(err("duration=forever").contains("is not a duration"));
    assert!(err("duration=0s").contains("must be longer than 0s"), "validated as a whole");
}

fn diff_paths(a: &serde_json::Value, b: &serde_json::Value, at: String, out: &mut Vec<String>) {
    use serde_json::Value::*;
    match (a, b) {
        (Object(x), Object(y)) => {
            for (k, v) in x {
                diff_paths(v, y.get(k).unwrap_or(&Null), format!("{at}.{k}"), out);
            }
        }
        (Array(x), Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                diff_paths(v, w, format!("{at}[{i}]"), out);
            }
        }
        _ if a != b => out.push(at),
        _ => {}
    }
}

#[cfg(feature = "cli")]
#[test]
fn the_command_writes_csv_json_and_charts() {
    let dir = std::env::temp_dir().join(format!("relaysim-compare-{}", std::process::id()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_relaysim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "compare",
            "scenarios/examples/backscatter.ron",
            "scenarios/examples/mx-outage.ron",
            "--replications",
            "3",
            "--jobs",
            "2",
        ])
        .arg("--out")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("Δ vs baseline") && table.contains("±"), "{table}");
    let reps = std::fs::read_to_string(dir.join("replications.csv")).unwrap();
    assert_eq!(reps.lines().count(), 1 + 2 * 3);
    assert!(reps.starts_with("scenario,file,setting,replication,seed,"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("compare.json")).unwrap()).unwrap();
    assert_eq!(json["variants"].as_array().unwrap().len(), 2);
    for ext in ["svg", "png"] {
        let f = dir.join("charts").join(format!("spam_inbox_rate.{ext}"));
        assert!(std::fs::metadata(&f).map(|m| m.len() > 1000).unwrap_or(false), "{}", f.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn null_turns_an_optional_defense_off() {
    let traffic = r#"Once(id: "m", from: "alice", to: "bob@company.example", at: "1m"),"#;
    let base = common::parse(&common::small_world("IspNetworks", "", ", greylist: Greylist()", traffic));
    let changed =
        overrides::apply(&base, &[Override::parse("nodes[mx-co].kind.greylist=null").unwrap()], "w.ron").unwrap();
    let node = changed.nodes.iter().find(|n| n.id == "mx-co").unwrap();
    assert!(node.kind.mail_server().unwrap().greylist.is_none(), "`null` empties the field: greylisting off");
}
