//! The headless simulation core. No Bevy here: the GUI and the statistics
//! both drive this same code.

pub mod campaign;
pub mod channel;
pub mod defense;
pub mod dns;
pub mod engine;
pub mod hop_facts;
pub mod inspect;
pub mod message;
pub mod name_set;
pub mod narration;
mod outcome;
mod retry;
pub mod rng;
pub mod router;
pub mod series;
pub mod simulation;
pub mod smtp;
pub mod spf;
pub mod timeline;
pub mod topology;
pub mod trace;
pub mod whatif;
pub mod world;

pub use message::{Fate, MailClass, Message, MsgId};
pub use narration::{Fired, NarrationError, Narrator};
pub use simulation::{LiveClient, LiveMessage, LiveSmtp, PopLoginError, RunOptions, Simulation};
pub use whatif::WhatIfError;
