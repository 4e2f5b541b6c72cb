//! The outputs the book shows are what the program prints now: this runs
//! `book/generate.sh --check --quick` with the binary under test, which
//! reruns every single-run output (runs, `show`, `check`, the tutorial's
//! steps, one run of every history era) and compares it with
//! `book/src/generated/`. The 20-replication comparisons are too slow for a
//! test; `book/generate.sh --check` (without `--quick`) covers them too.

use std::process::Command;

use crate::markdown::root;

#[test]
fn generated_outputs_are_fresh() {
    let out = Command::new("bash")
        .arg(root().join("book/generate.sh"))
        .args(["--check", "--quick"])
        .env("RELAYSIM", env!("CARGO_BIN_EXE_relaysim"))
        .output()
        .expect("bash runs book/generate.sh");
    assert!(
        out.status.success(),
        "book/generate.sh --check --quick failed (run book/generate.sh and commit book/src/generated/):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
