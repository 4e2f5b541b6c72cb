//! The command line as users call it (built with feature `cli`).
#![cfg(feature = "cli")]

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
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8_lossy(&out.stdout);
    // The example's point: bounces reach the forged sender. The row reads
    // `backscatter  SENT  DELIVERED  ...`, and both counts are above zero.
    let row = table.lines().find(|l| l.starts_with("backscatter ")).unwrap_or_else(|| panic!("no row:\n{table}"));
    let counts: Vec<u64> = row.split_whitespace().skip(1).take(2).map(|c| c.parse().unwrap()).collect();
    assert!(counts[0] > 0 && counts[1] > 0, "no backscatter delivered: {row}");
}

/// Exit statuses as `--help` documents them: 1 invalid input, 2 only for a
/// wrong command line, 3 output that cannot be written, 4 no GUI in this build.
#[test]
fn exit_statuses_are_distinct_and_documented() {
    let help = relaysim(&["--help"]);
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for line in ["0  success", "1  invalid input", "2  the command line is wrong", "3  output could not be written"] {
        assert!(text.contains(line), "--help lacks `{line}`:\n{text}");
    }
    // Usage errors are clap's: 2.
    assert_eq!(relaysim(&["run"]).status.code(), Some(2));
    assert_eq!(relaysim(&["no-such-command"]).status.code(), Some(2));
    // Invalid input: 1.
    assert_eq!(relaysim(&["run", "era:99"]).status.code(), Some(1));
    assert_eq!(relaysim(&["show", "example:relay-chain", "--message", "999999"]).status.code(), Some(1));
    // Output that cannot be written: 3 (a file where the folder should be).
    let dir = std::env::temp_dir().join(format!("relaysim-exit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let blocker = dir.join("not-a-folder");
    std::fs::write(&blocker, "x").unwrap();
    let out = relaysim(&["tour", "--export", blocker.join("sub").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let out = relaysim(&[
        "compare",
        "example:relay-chain",
        "--replications",
        "1",
        "--out",
        blocker.join("sub").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    // A build without the GUI says so with its own status.
    if !cfg!(feature = "gui") {
        assert!(text.contains("4  the GUI was asked for"));
        assert_eq!(relaysim(&["gui", "era:1"]).status.code(), Some(4));
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// The embedded lessons work from any folder (here: a fresh empty one).
#[test]
fn built_in_lessons_work_from_any_folder() {
    let dir = std::env::temp_dir().join(format!("relaysim-tour-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_relaysim")).args(args).current_dir(&dir).output().expect("the binary runs")
    };
    let list = run(&["tour"]);
    assert!(list.status.success());
    let text = String::from_utf8_lossy(&list.stdout);
    for name in ["era:1", "era:7", "example:backscatter", "Era 3: POP-before-SMTP"] {
        assert!(text.contains(name), "`tour` lacks {name}:\n{text}");
    }
    let out = run(&["check", "era:1", "era:7", "example:backscatter"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["show", "example:relay-chain", "--message", "0"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("RCPT TO:<bob@company.example>"));
    // The same numbers as the file in the source tree.
    let embedded = run(&["run", "era:2", "--format", "json"]);
    let file = relaysim(&["run", "scenarios/history/02-relay-restriction.ron", "--format", "json"]);
    assert!(embedded.status.success());
    assert_eq!(embedded.stdout, file.stdout);
    // Export, then the exported file runs like the embedded one.
    let out = run(&["tour", "--export", "lessons"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let exported = dir.join("lessons/history/02-relay-restriction.ron");
    assert_eq!(
        std::fs::read_to_string(&exported).unwrap(),
        std::fs::read_to_string(common::path("scenarios/history/02-relay-restriction.ron")).unwrap()
    );
    // Exporting again is fine; a file the student changed is not overwritten.
    assert!(run(&["tour", "--export", "lessons"]).status.success());
    std::fs::write(&exported, "// my notes\n").unwrap();
    let out = run(&["tour", "--export", "lessons"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(std::fs::read_to_string(&exported).unwrap(), "// my notes\n");
    std::fs::remove_dir_all(&dir).ok();
}

/// `--help` describes every argument of every command a user sees: in the
/// short help, each argument or option line carries text after its name.
#[test]
fn every_argument_is_described_in_help() {
    let top = String::from_utf8(relaysim(&["--help"]).stdout).unwrap();
    let commands: Vec<String> = top
        .split("Commands:")
        .nth(1)
        .unwrap()
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 6, "{commands:?}");
    for hidden in ["bench", "generate-bench", "image-diff"] {
        assert!(!commands.iter().any(|c| c == hidden), "developer command `{hidden}` in the user's list");
    }
    for c in &commands {
        let help = String::from_utf8(relaysim(&[c, "-h"]).stdout).unwrap();
        let args = help.split_once("Arguments:").map_or("", |(_, rest)| rest);
        let opts = help.split_once("Options:").map_or("", |(_, rest)| rest);
        for line in args.lines().take_while(|l| !l.trim().is_empty()).chain(opts.lines()) {
            let line = line.trim();
            if line.is_empty() || line.starts_with("Options:") {
                continue;
            }
            // `--flag <VALUE>  Text`: the name, then at least two spaces and the text.
            let described = line.split_once("  ").is_some_and(|(_, text)| !text.trim().is_empty());
            assert!(described, "`relaysim {c}`: no description for `{line}`");
        }
    }
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

#[cfg(feature = "gui")]
#[test]
fn the_window_refuses_a_node_or_message_the_scenario_does_not_have() {
    // Refused before any window opens (no display is needed), as `show` does.
    let out = relaysim(&["gui", "era:1", "--node", "no-such-node"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no node 'no-such-node'") && err.contains("relay-a"), "{err}");
    let out = relaysim(&["gui", "example:backscatter", "--message", "999999"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no message #999999"), "{err}");
}
