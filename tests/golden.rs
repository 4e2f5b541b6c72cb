//! Golden files: a relayed delivery's transcript and `Received:` chain, and
//! the JSON summary of era 1. Regenerate on purpose with
//! `UPDATE_GOLDEN=1 cargo test --test golden` (the run then fails, so the
//! switch is never left on by accident), and review the diff.

mod common;

use relaysim::sim::{MsgId, inspect};

fn golden(name: &str, actual: &str) {
    let path = common::path(&format!("tests/golden/{name}"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        panic!("rewrote {}: review the diff, then run again without UPDATE_GOLDEN", path.display());
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {}: run with UPDATE_GOLDEN=1", path.display()));
    if expected != actual {
        let first = expected.lines().zip(actual.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{name} differs from the golden file at line {}:\n  expected: {:?}\n  actual:   {:?}",
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

#[test]
fn relay_chain_transcript() {
    let (sim, _) = common::run_file("scenarios/examples/relay-chain.ron", 0);
    golden("relay-chain-message-0.txt", &inspect::describe(&sim, MsgId(0)).unwrap());
}

#[test]
fn era1_summary_json() {
    let (_, r) = common::run_file("scenarios/history/01-open-relay.ron", 1);
    common::assert_conserved(&r);
    golden("era1-seed1.json", &(serde_json::to_string_pretty(&r).unwrap() + "\n"));
}

#[test]
fn era3_narration_in_english() {
    use relaysim::narrate::{self, Languages};
    use relaysim::sim::RunOptions;
    let s = common::load("scenarios/history/03-pop-before-smtp.ron");
    let opts = RunOptions::new(1).transcripts(false).trace(true);
    let n = narrate::run(s, opts, None, &Languages::One("en".into())).unwrap();
    golden("era3-narration-en.txt", &n.text);
}
