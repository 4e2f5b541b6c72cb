//! Settings that load but can never take effect: `check` warns about them
//! (they are not errors: the file runs, and a what-if may still switch them
//! on), so that an author is not surprised by a defense that never acts.

use std::fmt;

use super::locate::{Locator, Pos};
use super::schema::*;

/// A setting that can never take effect, with where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub file: String,
    pub pos: Pos,
    pub kind: WarningKind,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: warning: {}", self.file, self.pos.line, self.pos.col, self.kind)
    }
}

/// The kinds of setting `check` warns about.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WarningKind {
    #[error(
        "`{setting}` never takes effect: `recipient_restrictions` has no `{check}` (add it, e.g. `recipient_restrictions: [PermitMynetworks, PermitSaslAuthenticated, RejectUnauthDestination, {check}]`)"
    )]
    NotInRestrictions { setting: &'static str, check: &'static str },
    #[error(
        "`{setting}` never takes effect: this server relays for everyone (`relay: Open`), so `PermitMynetworks` accepts every client before `{check}` is reached; put `{check}` first (e.g. `recipient_restrictions: [{check}, PermitMynetworks]`)"
    )]
    PermittedBefore { setting: &'static str, check: &'static str },
    #[error("`{check}` does nothing: the server has no `{setting}` settings (add e.g. `{setting}: {example}`)")]
    NoSettings { check: &'static str, setting: &'static str, example: &'static str },
    #[error("`{check}` is listed twice: the second one never takes effect")]
    ListedTwice { check: &'static str },
    #[error("`outbound_choice: Random` does nothing without `outbound_ips`")]
    NoPool,
    #[error(
        "`verify_recipients` does nothing without `mailbox`: a server that keeps its own mailboxes always checks them at `RCPT TO`"
    )]
    VerifyWithoutMailbox,
    #[error("`pop_before_smtp` never takes effect: this server relays for everyone (`relay: Open`)")]
    PopBeforeSmtpOnOpenRelay,
}

/// The warnings for a scenario that loaded (`src` is its text, for positions).
pub fn warnings(s: &Scenario, src: &str, file: &str) -> Vec<Warning> {
    let loc = Locator::new(src);
    let mut out = Vec::new();
    let mut warn =
        |path: String, kind: WarningKind| out.push(Warning { file: file.to_string(), pos: loc.find(&path), kind });
    for (i, n) in s.nodes.iter().enumerate() {
        let Some(m) = n.kind.mail_server() else { continue };
        let p = format!("nodes[{i}].kind");
        let order = m.restrictions();
        let pos = |r: Restriction| order.iter().position(|x| *x == r);
        let relay = m.relay.clone().unwrap_or(match n.kind {
            NodeKind::OpenRelay(_) | NodeKind::SpammerServer(_) => RelayPolicy::Open,
            NodeKind::IspRelay(_) => RelayPolicy::IspNetworks,
            _ => RelayPolicy::LocalOnly,
        });
        let open = relay == RelayPolicy::Open;
        let policies = [
            ("spf", Restriction::CheckSpf, m.spf.is_some(), "SpfCheck()", Defense::Spf),
            ("greylist", Restriction::CheckGreylist, m.greylist.is_some(), "Greylist()", Defense::Greylist),
            ("familiar", Restriction::CheckFamiliar, m.familiar.is_some(), "Familiar()", Defense::Familiar),
            (
                "verify_sender",
                Restriction::RejectUnverifiedSender,
                m.verify_sender.is_some(),
                "SenderVerify()",
                Defense::VerifySender,
            ),
            (
                "dnsbl",
                Restriction::RejectRblClient,
                m.dnsbl.as_ref().is_some_and(|d| d.at == DnsblStage::Rcpt),
                "DnsblCheck(zones: [\"dnsbl.example\"])",
                Defense::Dnsbl,
            ),
        ];
        for (setting, check, set, example, defense) in policies {
            match pos(check) {
                None if set => {
                    warn(format!("{p}.{setting}"), WarningKind::NotInRestrictions { setting, check: check.name() })
                }
                Some(at) if set && open && pos(Restriction::PermitMynetworks).is_some_and(|pm| pm < at) => {
                    warn(format!("{p}.{setting}"), WarningKind::PermittedBefore { setting, check: check.name() })
                }
                // A narration may switch the defense on later, with its defaults.
                Some(at) if !set && !m.recipient_restrictions.is_empty() && !switched_on(s, &n.id, defense) => warn(
                    format!("{p}.recipient_restrictions[{at}]"),
                    WarningKind::NoSettings { check: check.name(), setting, example },
                ),
                _ => {}
            }
        }
        for (j, r) in m.recipient_restrictions.iter().enumerate() {
            if m.recipient_restrictions[..j].contains(r) {
                warn(format!("{p}.recipient_restrictions[{j}]"), WarningKind::ListedTwice { check: r.name() });
            }
        }
        if m.outbound_choice == OutboundChoice::Random && m.outbound_ips.is_empty() {
            warn(format!("{p}.outbound_choice"), WarningKind::NoPool);
        }
        if m.verify_recipients && m.mailbox.is_none() {
            warn(format!("{p}.verify_recipients"), WarningKind::VerifyWithoutMailbox);
        }
        if open && m.pop_before_smtp.is_some() {
            warn(format!("{p}.pop_before_smtp"), WarningKind::PopBeforeSmtpOnOpenRelay);
        }
    }
    out.sort_by_key(|w| w.pos);
    out
}

/// Does a step of the narration switch `defense` on at node `id`?
fn switched_on(s: &Scenario, id: &str, defense: Defense) -> bool {
    s.narration
        .iter()
        .any(|st| matches!(&st.action, Some(Action::Switch(sw)) if sw.node == id && sw.defense == defense && sw.on))
}
