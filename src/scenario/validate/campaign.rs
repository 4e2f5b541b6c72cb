//! Adaptive campaigns and retry mixes: a repertoire every sender can use
//! part of, relays that are mail servers, shares that add up.

use super::times::check_backoff;
use super::{Checker, Nodes, check_ref, is_mail_server};
use crate::scenario::schema::*;

pub(super) fn check_campaigns(c: &mut Checker, s: &Scenario, nodes: &Nodes<'_>) {
    for (i, t) in s.traffic.iter().enumerate() {
        let Source::Spam(sp) = t else { continue };
        let p = format!("traffic[{i}]");
        if let Adapt::Adaptive(a) = &sp.adapt {
            check_adaptive(c, sp, a, &format!("{p}.adapt[0]"), nodes);
        }
        check_mix(c, &sp.retry_mix, &format!("{p}.retry_mix"));
    }
}

fn check_adaptive(c: &mut Checker, sp: &SpamCampaign, a: &Adaptive, p: &str, nodes: &Nodes<'_>) {
    if a.channels.is_empty() {
        c.invalid(&format!("{p}.channels"), "channels", "an adaptive campaign needs at least one channel");
        return;
    }
    for (j, u) in a.channels.iter().enumerate() {
        let cp = format!("{p}.channels[{j}]");
        if a.channels[..j].iter().any(|v| v.name() == u.name()) {
            c.invalid(&cp, u.name(), "is in the list twice");
        }
        if let ChannelUse::OpenRelays(r) = u {
            if r.is_empty() {
                c.invalid(&cp, "OpenRelays", "needs at least one relay");
            }
            for (k, id) in r.iter().enumerate() {
                check_ref(c, nodes, &format!("{cp}[0][{k}]"), id, "a mail server", is_mail_server);
            }
        }
        let used = sp.senders.iter().any(|id| nodes.get(id.as_str()).is_some_and(|(_, n)| u.usable_by(&n.kind)));
        if !used {
            let why = match u {
                ChannelUse::OwnServer => "none of the senders is a SpammerServer",
                ChannelUse::StolenAuth => "none of the senders is a Population whose mail client has `auth`",
                _ => "none of the senders can use it",
            };
            c.invalid(&cp, u.name(), format!("{why}: the channel would never be used"));
        }
    }
    for (j, id) in sp.senders.iter().enumerate() {
        if let Some((_, n)) = nodes.get(id.as_str())
            && !a.channels.iter().any(|u| u.usable_by(&n.kind))
        {
            c.invalid(
                &format!("{p}.channels"),
                format!("sender `{id}` (senders[{j}])"),
                format!("can use none of these channels (a {} can use {})", n.kind.name(), usable_by(&n.kind)),
            );
        }
    }
    if a.window.0 == 0 {
        c.invalid(&format!("{p}.window"), "window", "must be longer than 0s");
    }
    let k = a.channels.len() as f64;
    if !(0.0..=1.0 / k).contains(&a.explore) || a.explore.is_nan() {
        c.invalid(
            &format!("{p}.explore"),
            "explore",
            format!("{} is not between 0.0 and {:.3} (1 / the number of channels)", a.explore, 1.0 / k),
        );
    }
}

fn usable_by(k: &NodeKind) -> &'static str {
    match k {
        NodeKind::SpammerServer(_) => "OwnServer and OpenRelays",
        NodeKind::SpamBot(_) => "OpenRelays and Direct",
        _ => "OpenRelays, Direct and StolenAuth (with `auth` in its mail client)",
    }
}

fn check_mix(c: &mut Checker, mix: &[RetryShare], p: &str) {
    if mix.is_empty() {
        return;
    }
    let mut total = 0.0;
    for (j, r) in mix.iter().enumerate() {
        if !(0.0..=1.0).contains(&r.share) || r.share.is_nan() {
            c.invalid(&format!("{p}[{j}].share"), "share", format!("{} is not between 0.0 and 1.0", r.share));
        }
        total += r.share;
        if let Retry::Rfc(b) = &r.retry {
            check_backoff(c, &format!("{p}[{j}].retry[0]"), b);
        }
    }
    if (total - 1.0).abs() > 1e-6 {
        c.invalid(&format!("{p}[0]"), "retry_mix", format!("the shares add up to {total}, not 1.0"));
    }
}
