//! What-ifs on a running simulation: switch a defense on a node on or off,
//! and send one specific mail. Narration actions and the GUI's switches both
//! come through here, so a lesson and a click change the world the same way.
//!
//! A defense switched on takes the node's own settings from the scenario file
//! when it has them (the file's `greylist: Greylist(delay: "10m")`), else the
//! real defaults (postgrey's, policyd-spf's). Switching changes only what
//! servers and routers decide from then on; mail already accepted stays so.

use super::defense::op25b;
use super::message::{MailClass, Message, MsgId, NewMessage};
use super::simulation::{Event, Simulation};
use super::trace::TraceEvent;
use super::world::RelayNets;
use crate::scenario::{
    Defense, Filter, NodeKind, RelayPolicy, SendMail, SendSpam, Source, SpfAction, SpfCheck, Strategy,
};
use crate::units::SimTime;

/// Why a what-if could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhatIfError {
    #[error("unknown node `{0}`")]
    UnknownNode(String),
    #[error("{defense} cannot be switched on node `{node}`: it needs {needs}")]
    NotApplicable { node: String, defense: &'static str, needs: &'static str },
    #[error("node `{node}` has no {defense} settings in the scenario to switch on")]
    NoSettings { node: String, defense: &'static str },
    #[error("unknown spam campaign `{0}`")]
    UnknownCampaign(String),
    #[error("`{0}` cannot write mail (expected a ClientPc, Population or mail server)")]
    NotASender(String),
    #[error("cannot send at {at} ms: the clock is already at {now} ms")]
    InPast { at: SimTime, now: SimTime },
}

impl Simulation {
    fn node_index(&self, id: &str) -> Result<usize, WhatIfError> {
        self.nodes.iter().position(|n| n.id == id).ok_or_else(|| WhatIfError::UnknownNode(id.to_string()))
    }

    /// Is `defense` active on node `id` now? `None` when it cannot apply there.
    pub fn defense_on(&self, id: &str, defense: Defense) -> Option<bool> {
        let n = &self.nodes[self.node_index(id).ok()?];
        if defense.on_router() {
            return matches!(n.kind, NodeKind::Router(_)).then(|| !n.filters.is_empty());
        }
        let m = n.kind.mail_server()?;
        Some(match defense {
            Defense::RelayRestriction => n.relay != RelayNets::Open,
            Defense::PopBeforeSmtp => n.pop_before_smtp.is_some(),
            Defense::Spf => m.spf.is_some(),
            Defense::Greylist => m.greylist.is_some(),
            Defense::VerifyRecipients => m.verify_recipients,
            Defense::Familiar => m.familiar.is_some(),
            Defense::BackupMx => n.relay_domains.iter().next().is_some(),
            Defense::Dnsbl => m.dnsbl.is_some(),
            Defense::Tarpit => m.tarpit.is_some(),
            Defense::VerifySender => m.verify_sender.is_some(),
            Defense::ConnectionRateLimit => m.connection_rate_limit.is_some(),
            Defense::Op25b => false,
        })
    }

    /// Switches `defense` on node `id` on or off from now on.
    pub fn set_defense(&mut self, id: &str, defense: Defense, on: bool) -> Result<(), WhatIfError> {
        let i = self.node_index(id)?;
        let file_node = self.scenario.nodes.iter().find(|n| n.id == id).cloned();
        let not_applicable =
            |needs| WhatIfError::NotApplicable { node: id.to_string(), defense: defense.name(), needs };
        if defense.on_router() {
            let NodeKind::Router(r) = file_node.as_ref().map(|n| &n.kind).unwrap_or(&self.nodes[i].kind) else {
                return Err(not_applicable("a Router"));
            };
            self.nodes[i].filters = if !on {
                Vec::new()
            } else if !r.filters.is_empty() {
                op25b::resolve(&r.filters, &self.scenario.isps)
            } else {
                let isp = file_node.as_ref().and_then(|n| n.isp.clone()).ok_or(not_applicable("an `isp`"))?;
                op25b::resolve(&[Filter::Op25b { isp }], &self.scenario.isps)
            };
            return Ok(());
        }
        let file_server = file_node.as_ref().and_then(|n| n.kind.mail_server().cloned());
        if self.nodes[i].kind.mail_server().is_none() {
            return Err(not_applicable("a mail server"));
        }
        match defense {
            Defense::RelayRestriction => {
                self.nodes[i].relay = if !on {
                    RelayNets::Open
                } else {
                    match file_server.as_ref().and_then(|m| m.relay.clone()) {
                        Some(RelayPolicy::MyNetworks(nets)) => RelayNets::Only(nets),
                        Some(RelayPolicy::LocalOnly) => RelayNets::Only(vec![]),
                        // The node's own ISP's ranges (Postfix `mynetworks_style = subnet`).
                        _ => RelayNets::Only(self.nodes[i].home_nets.clone()),
                    }
                };
            }
            Defense::PopBeforeSmtp => {
                self.nodes[i].pop_before_smtp = if on {
                    let cfg = file_server
                        .as_ref()
                        .and_then(|m| m.pop_before_smtp.clone())
                        .ok_or(WhatIfError::NoSettings { node: id.to_string(), defense: "pop_before_smtp" })?;
                    Some((self.node_index(&cfg.server)?, cfg.window.0))
                } else {
                    None
                };
            }
            Defense::Spf => {
                let cfg = file_server.as_ref().and_then(|m| m.spf.clone()).unwrap_or_else(default_spf);
                if let Some(m) = mail_server_mut(&mut self.nodes[i].kind) {
                    m.spf = on.then_some(cfg);
                }
            }
            Defense::Greylist => {
                let cfg = file_server.as_ref().and_then(|m| m.greylist.clone()).unwrap_or_default();
                if let Some(m) = mail_server_mut(&mut self.nodes[i].kind) {
                    m.greylist = on.then_some(cfg);
                }
            }
            Defense::VerifyRecipients => {
                if let Some(m) = mail_server_mut(&mut self.nodes[i].kind) {
                    m.verify_recipients = on;
                }
            }
            Defense::BackupMx => {
                self.nodes[i].relay_domains = if on {
                    let domains = file_server.as_ref().map(|m| m.relay_domains.clone()).unwrap_or_default();
                    if domains.is_empty() {
                        return Err(WhatIfError::NoSettings { node: id.to_string(), defense: "relay_domains" });
                    }
                    domains.into_iter().collect()
                } else {
                    Default::default()
                };
            }
            Defense::ConnectionRateLimit => {
                let limit =
                    if on {
                        Some(file_server.as_ref().and_then(|m| m.connection_rate_limit).ok_or(
                            WhatIfError::NoSettings { node: id.to_string(), defense: "connection_rate_limit" },
                        )?)
                    } else {
                        None
                    };
                if let Some(m) = mail_server_mut(&mut self.nodes[i].kind) {
                    m.connection_rate_limit = limit;
                }
            }
            Defense::VerifySender => {
                let cfg = file_server.as_ref().and_then(|m| m.verify_sender.clone()).unwrap_or_default();
                if let Some(m) = mail_server_mut(&mut self.nodes[i].kind) {
                    m.verify_sender = on.then_some(cfg);
                }
            }
            Defense::Tarpit => {
                let cfg = file_server.as_ref().and_then(|m| m.tarpit.clone()).unwrap_or_default();
                if let Some(m) = mail_server_mut(&mut self.nodes[i].kind) {
                    m.tarpit = on.then_some(cfg);
                }
            }
            Defense::Dnsbl => {
                let cfg = if on {
                    Some(
                        file_server
                            .as_ref()
                            .and_then(|m| m.dnsbl.clone())
                            .ok_or(WhatIfError::NoSettings { node: id.to_string(), defense: "dnsbl" })?,
                    )
                } else {
                    None
                };
                if let Some(m) = mail_server_mut(&mut self.nodes[i].kind) {
                    m.dnsbl = cfg;
                }
            }
            Defense::Familiar => {
                // Its table is kept: switched back on, it remembers its regulars.
                let cfg = file_server.as_ref().and_then(|m| m.familiar.clone()).unwrap_or_default();
                if let Some(m) = mail_server_mut(&mut self.nodes[i].kind) {
                    m.familiar = on.then_some(cfg);
                }
            }
            Defense::Op25b => unreachable!("handled above: OP25B sits on routers"),
        }
        Ok(())
    }

    /// Sends one legit mail at time `at` (not before now); returns its id.
    pub fn send_mail(&mut self, mail: &SendMail, at: SimTime) -> Result<MsgId, WhatIfError> {
        self.check_time(at)?;
        let origin = self.node_index(&mail.from)?;
        let node = &self.nodes[origin];
        let (from, on_server) = match &node.kind {
            NodeKind::ClientPc(pc) => (pc.user.clone(), false),
            NodeKind::Population(p) => (format!("user0@{}", p.domain), false),
            k if k.mail_server().is_some() => {
                (mail.sender.clone().unwrap_or_else(|| format!("noreply@{}", node.hostname)), true)
            }
            _ => return Err(WhatIfError::NotASender(mail.from.clone())),
        };
        let id = self.next_message_id();
        let subject = mail.subject.clone().unwrap_or_else(|| format!("Message {} from {from}", id.0));
        let mut m = Message::new(NewMessage {
            id,
            class: MailClass::Legit,
            source: None,
            mail_from: from.clone().into(),
            rcpt: mail.to.clone().into(),
            header_from: from,
            subject,
            forged: false,
            created: at,
            origin,
            origin_host: 0,
        });
        if on_server {
            m.holder = super::message::Holder::Node(origin);
        }
        Ok(self.launch(m, at))
    }

    /// Sends one more spam of a campaign at `at`: its first sender, first
    /// infected host, its strategy (first relay of its list).
    pub fn send_spam(&mut self, spam: &SendSpam, at: SimTime) -> Result<MsgId, WhatIfError> {
        self.check_time(at)?;
        let (src, campaign) = self
            .scenario
            .traffic
            .iter()
            .enumerate()
            .find_map(|(k, s)| match s {
                Source::Spam(c) if c.id == spam.campaign => Some((k, c.clone())),
                _ => None,
            })
            .ok_or_else(|| WhatIfError::UnknownCampaign(spam.campaign.clone()))?;
        let sender = campaign.senders.first().ok_or_else(|| WhatIfError::UnknownCampaign(spam.campaign.clone()))?;
        let origin = self.node_index(sender)?;
        let host = self.nodes[origin].infected.first().copied().unwrap_or(0);
        let forged = spam
            .forged_from
            .clone()
            .or_else(|| campaign.forged_from.first().map(|f| f.replace("{rand}", "000000")))
            .unwrap_or_default();
        let id = self.next_message_id();
        let subject = campaign.subject.clone().unwrap_or_else(|| "Cheap meds, best prices!!!".into());
        // Forged unless the sending party owns the address (a spammer's own domain).
        let owned = self.nodes[origin].owns_address(&forged);
        let mut m = Message::new(NewMessage {
            id,
            class: MailClass::Spam,
            source: Some(src),
            mail_from: forged.clone().into(),
            rcpt: spam.to.clone().into(),
            header_from: forged,
            subject,
            forged: !owned,
            created: at,
            origin,
            origin_host: host,
        });
        m.direct = matches!(campaign.strategy, Strategy::DirectToMx);
        Ok(self.launch(m, at))
    }

    fn check_time(&self, at: SimTime) -> Result<(), WhatIfError> {
        let now = self.now();
        if at < now { Err(WhatIfError::InPast { at, now }) } else { Ok(()) }
    }

    /// Registers a message and schedules its first attempt.
    fn launch(&mut self, m: Message, at: SimTime) -> MsgId {
        let id = m.id;
        self.trace.push(at, TraceEvent::Injected { msg: id, node: m.origin });
        self.store_message(m);
        // `at >= now` was checked, so scheduling cannot fail.
        let _ = self.queue.schedule(at, Event::Attempt(id));
        id
    }
}

/// policyd-spf's defaults: reject `fail`, mark the rest (RFC 7208 §8).
fn default_spf() -> SpfCheck {
    SpfCheck {
        on_fail: SpfAction::Reject,
        on_softfail: SpfAction::Mark,
        on_permerror: SpfAction::Mark,
        on_temperror: SpfAction::Mark,
    }
}

pub(crate) fn mail_server_mut(k: &mut NodeKind) -> Option<&mut crate::scenario::MailServer> {
    match k {
        NodeKind::IspRelay(m) | NodeKind::OpenRelay(m) | NodeKind::SpammerServer(m) | NodeKind::Mx(m) => Some(m),
        _ => None,
    }
}
