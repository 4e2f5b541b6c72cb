//! The command line as users call it.

mod common;

use std::process::Command;

fn relaysim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_relaysim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

#[test]
fn run_json_is_one_object_and_byte_identical_between_runs() {
    let args = ["run", "scenarios/history/01-open-relay.ron", "--format", "json"];
    let a = relaysim(&args);
    let b = relaysim(&args);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert_eq!(a.stdout, b.stdout, "same scenario and seed, same bytes");
    let v: serde_json::Value = serde_json::from_slice(&a.stdout).expect("one JSON object");
    for key in ["scenario", "seed", "sim_time_s", "events", "mail", "sources", "nodes"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    for class in ["legit", "spam", "backscatter"] {
        for f in ["sent", "delivered", "rejected", "lost", "queued"] {
            assert!(v["mail"][class][f].is_u64(), "mail.{class}.{f}");
        }
    }
    assert!(v["mail"]["legit"]["delay_s"]["median"].is_f64());
    assert!(v["nodes"]["relay-univ"]["relayed"].as_u64().unwrap() > 0, "spam through the open relay");
    assert!(v["mail"]["spam"]["via_open_relay"].as_u64().unwrap() > 0);
    assert!(v["sources"]["spam-via-relays"]["delivered"].as_u64().unwrap() > 0);
}

#[test]
fn a_different_seed_gives_different_counts() {
    let a = relaysim(&["run", "scenarios/history/01-open-relay.ron", "--format", "json", "--seed", "1"]);
    let b = relaysim(&["run", "scenarios/history/01-open-relay.ron", "--format", "json", "--seed", "2"]);
    let (a, b): (serde_json::Value, serde_json::Value) =
        (serde_json::from_slice(&a.stdout).unwrap(), serde_json::from_slice(&b.stdout).unwrap());
    assert_ne!(a["mail"], b["mail"]);
}

#[test]
fn check_accepts_the_shipped_scenarios() {
    let out = relaysim(&["check", "scenarios/history/01-open-relay.ron", "scenarios/history/02-relay-restriction.ron"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn check_reports_file_line_column_and_exits_1() {
    let dir = std::env::temp_dir().join(format!("relaysim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("dangling.ron");
    let src = common::small_world(
        "IspNetworks",
        "",
        "",
        r#"Once(id: "m", from: "nobody", to: "bob@company.example", at: "1m"),"#,
    );
    std::fs::write(&bad, src).unwrap();
    let out = relaysim(&["check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:30:35:", bad.display())) && err.contains("unknown node `nobody`"), "{err}");
    assert!(!err.contains("panicked"));
    let out = relaysim(&["run", "does-not-exist.ron"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does-not-exist.ron: cannot read"));
}

#[test]
fn show_prints_the_dialogue_and_table_output_works() {
    let out = relaysim(&["show", "scenarios/examples/relay-chain.ron", "--message", "0"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("RCPT TO:<bob@company.example>"));
    let out = relaysim(&["run", "scenarios/examples/backscatter.ron"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("backscatter"));
}

#[test]
fn check_warns_about_settings_that_never_take_effect_but_succeeds() {
    let dir = std::env::temp_dir().join(format!("relaysim-cli-warn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("open-spf.ron");
    let src = common::small_world(
        "Open, spf: SpfCheck()",
        "",
        "",
        r#"Once(id: "m", from: "alice", to: "bob@company.example", at: "1m"),"#,
    );
    std::fs::write(&f, src).unwrap();
    let out = relaysim(&["check", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "a warning is not an error");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:15:", f.display())) && err.contains("warning: `spf` never takes effect"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(": ok"));
}
