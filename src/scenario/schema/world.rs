//! The world's fabric: ISPs and the address ranges they own, the links
//! between nodes, and the DNS zones (MX, A and TXT records).

use serde::{Deserialize, Serialize};

use super::{Blocklist, Localized, default_latency};
use crate::units::{Cidr, Duration, Ip};

impl Isp {
    /// What the window calls this network in `lang` (a language code).
    pub fn name_in(&self, lang: &str) -> &str {
        self.names.0.get(lang).or(self.name.as_ref()).unwrap_or(&self.id)
    }
}

/// An Internet service provider: who owns which addresses.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Isp {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// The name in other languages, for the window: `{"ja": "A 大学"}`.
    #[serde(default, skip_serializing_if = "Localized::is_empty")]
    pub names: Localized,
    /// The dynamic pool its customers' PCs get addresses from.
    #[serde(default)]
    pub customers: Vec<Cidr>,
    /// Static addresses of its own servers.
    #[serde(default)]
    pub servers: Vec<Cidr>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub a: String,
    pub b: String,
    /// One-way latency.
    #[serde(default = "default_latency")]
    pub latency: Duration,
}

/// DNS records of one domain. A records of every node's hostname are
/// published automatically.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    pub domain: String,
    /// `(preference, host name)`, lowest preference tried first (RFC 5321 §5.1).
    #[serde(default)]
    pub mx: Vec<(u16, String)>,
    /// Extra A records `(name, address)`.
    #[serde(default)]
    pub a: Vec<(String, Ip)>,
    /// TXT records, e.g. SPF policies.
    #[serde(default)]
    pub txt: Vec<String>,
    /// This zone is a DNS blocklist: it answers for the addresses it lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocklist: Option<Blocklist>,
}
