//! Renaming an id renames every reference to it.
//!
//! References are found in the scenario's [`Doc`] tree, not by walking each
//! schema type by hand: a string equal to the old id is renamed where the
//! field (or enum variant) that holds it is one of the reference fields
//! below, named by the type that owns them. A string of another field that
//! happens to equal the id (a label, an address) is left alone.
//!
//! Node ids are referred to by: `Link.a`/`b`, `Node.nat`, `MailClient.server`,
//! `PopClient.server`, `PopBeforeSmtp.server`, `MailServer.mailbox`,
//! `relayhost` and the node of each `transport` entry, `LegitSource.from`,
//! `OnceMail.from`, `SpamCampaign.senders`, the strategies `OpenRelays`,
//! `OpenRelaysThenDirect`, `OpenProxies` and `StolenCredentials.relay`, the
//! adaptive channel `OpenRelays`, and in lessons `Focus.nodes`,
//! `Match.origin`/`node`, `SendMail.from`, `Switch.node`, and the timeline's
//! `Node(..)` sets and `CloseRelay`.
//! ISP ids by: `Node.isp`, the `Op25b` filter's `isp`, the timeline's
//! `Isp(..)` sets and a blocklist's `dynamic_of`.
//! Traffic source ids by: `Match.source`, `MsgRef.source`, `SendSpam.campaign`
//! and the timeline's `Traffic.source`.

use crate::scenario::Scenario;
use crate::scenario::doc::{Doc, VariantContent, from_doc, to_doc};

/// What an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Of {
    Node,
    Isp,
    Source,
}

/// `(owner, field)` pairs holding ids: the owner is a struct's type name or
/// an enum variant's name; the field is empty for the content of a newtype
/// or tuple variant, `field.N` for element N of a tuple.
const NODE_REFS: &[(&str, &str)] = &[
    ("Link", "a"),
    ("Link", "b"),
    ("Node", "nat"),
    ("MailClient", "server"),
    ("PopClient", "server"),
    ("PopBeforeSmtp", "server"),
    ("MailServer", "mailbox"),
    ("MailServer", "relayhost"),
    ("MailServer", "transport.1"),
    ("LegitSource", "from"),
    ("OnceMail", "from"),
    ("SpamCampaign", "senders"),
    ("OpenRelays", ""),
    ("OpenRelaysThenDirect", ""),
    ("OpenProxies", ""),
    ("StolenCredentials", "relay"),
    ("Focus", "nodes"),
    ("Match", "origin"),
    ("Match", "node"),
    ("SendMail", "from"),
    ("Switch", "node"),
    ("Node", ""),
    ("CloseRelay", ""),
];
const ISP_REFS: &[(&str, &str)] = &[("Node", "isp"), ("Op25b", "isp"), ("Isp", ""), ("Blocklist", "dynamic_of")];
const SOURCE_REFS: &[(&str, &str)] =
    &[("Match", "source"), ("MsgRef", "source"), ("SendSpam", "campaign"), ("Traffic", "source")];

/// Renames the references to `old` (an id of kind `of`) to `new`; returns
/// how many were renamed. The ids themselves are not changed here.
pub(crate) fn rename(s: &mut Scenario, of: Of, old: &str, new: &str) -> Result<usize, String> {
    let table = match of {
        Of::Node => NODE_REFS,
        Of::Isp => ISP_REFS,
        Of::Source => SOURCE_REFS,
    };
    let mut doc = to_doc(&*s).map_err(|e| e.to_string())?;
    let mut n = 0;
    walk(&mut doc, ("", ""), &mut |ctx, v| {
        if v == old && table.iter().any(|&(o, fl)| o == ctx.0 && fl == ctx.1) {
            *v = new.to_string();
            n += 1;
        }
    });
    if n > 0 {
        *s = from_doc(&doc).map_err(|e| e.to_string())?;
    }
    Ok(n)
}

/// Calls `f` on every string with the innermost `(owner, field)` holding it.
fn walk(doc: &mut Doc, ctx: (&'static str, &str), f: &mut dyn FnMut((&str, &str), &mut String)) {
    match doc {
        Doc::Str(v) => f(ctx, v),
        Doc::Option(Some(inner)) => walk(inner, ctx, f),
        Doc::Seq(items) => items.iter_mut().for_each(|d| walk(d, ctx, f)),
        Doc::Tuple(items) => {
            for (i, d) in items.iter_mut().enumerate() {
                let field = format!("{}.{i}", ctx.1);
                walk(d, (ctx.0, &field), f);
            }
        }
        Doc::Map(entries) => entries.iter_mut().for_each(|(_, d)| walk(d, ("", ""), f)),
        Doc::Struct { name, fields } => fields.iter_mut().for_each(|(k, d)| walk(d, (name, k), f)),
        Doc::Variant { variant, content, .. } => match content {
            VariantContent::Unit => {}
            VariantContent::Newtype(inner) => walk(inner, (variant, ""), f),
            VariantContent::Tuple(items) => items.iter_mut().for_each(|d| walk(d, (variant, ""), f)),
            VariantContent::Struct(fields) => fields.iter_mut().for_each(|(k, d)| walk(d, (variant, k), f)),
        },
        Doc::Unit | Doc::Bool(_) | Doc::Int(_) | Doc::Float(_) | Doc::Char(_) | Doc::Option(None) => {}
    }
}
