//! The book cannot drift from the code: its RON examples go through the
//! scenario checker, its links resolve, its scenario reference lists every
//! field of the schema, its list of check messages is generated from the
//! code, its shell commands name real flags and files, and its generated
//! outputs match what the program prints now.

// These two run the `relaysim` program (feature `cli`).
#[cfg(feature = "cli")]
mod commands;
mod figures;
#[cfg(feature = "cli")]
mod generated;
mod links;
mod markdown;
mod messages;
mod reference;
mod ron_blocks;
