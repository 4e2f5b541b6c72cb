//! The outputs the book shows are what the program prints now: this runs
//! `book/generate.sh --check --cheap` with the binary under test, which
//! reruns the outputs of getting started and the tutorial (runs, `show`,
//! `check`, `--narrate`) and compares them with `book/src/generated/`. The
//! history eras take a minute more in a debug build: `.ci/run` checks them
//! with `--check --quick`, and `book/generate.sh --check` covers everything,
//! the 20-replication comparisons included.

use std::process::Command;

use crate::markdown::root;

#[test]
fn generated_outputs_are_fresh() {
    let out = Command::new("bash")
        .arg(root().join("book/generate.sh"))
        .args(["--check", "--cheap"])
        .env("RELAYSIM", env!("CARGO_BIN_EXE_relaysim"))
        .output()
        .expect("bash runs book/generate.sh");
    assert!(
        out.status.success(),
        "book/generate.sh --check --cheap failed (run book/generate.sh and commit book/src/generated/):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
