//! Names for the places of a scenario that survive edits: an item of
//! `nodes`, `isps`, `traffic` or `narration` is named by its `id`, a DNS
//! zone by its `domain`, a link by its two ends; other items keep their
//! index. A comment on the node `relay-a` stays on it when a node before it
//! is deleted.

use std::collections::HashMap;

use crate::scenario::doc::{Doc, DocPath, Step};

/// The stable names of one scenario's top-level list items.
#[derive(Debug, Default)]
pub(super) struct KeyMap {
    lists: HashMap<String, Vec<String>>,
}

fn field<'a>(d: &'a Doc, name: &str) -> Option<&'a str> {
    match d.inner() {
        Doc::Struct { fields, .. } => fields.iter().find(|(n, _)| *n == name).and_then(|(_, v)| match v {
            Doc::Str(s) => Some(s.as_str()),
            _ => None,
        }),
        _ => None,
    }
}

impl KeyMap {
    /// Keys of `root`'s lists (`root` is a scenario's tree).
    pub fn of(root: &Doc) -> KeyMap {
        let mut lists = HashMap::new();
        if let Doc::Struct { fields, .. } = root {
            for (name, value) in fields {
                let Doc::Seq(items) = value else { continue };
                let mut seen: HashMap<String, usize> = HashMap::new();
                let keys = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let k = match *name {
                            "nodes" | "isps" | "traffic" | "narration" => field(item, "id").map(|s| format!("#{s}")),
                            "dns" => field(item, "domain").map(|s| format!("#{s}")),
                            "links" => field(item, "a").zip(field(item, "b")).map(|(a, b)| format!("#{a}--{b}")),
                            _ => None,
                        };
                        match k {
                            // A repeated key (a world with errors) gets its rank.
                            Some(k) => {
                                let n = seen.entry(k.clone()).or_insert(0);
                                *n += 1;
                                if *n == 1 { k } else { format!("{k}#{n}") }
                            }
                            None => i.to_string(),
                        }
                    })
                    .collect();
                lists.insert(name.to_string(), keys);
            }
        }
        KeyMap { lists }
    }

    /// The stable name of `path`: `nodes[#relay-a].kind.relay`.
    pub fn key(&self, path: &DocPath) -> String {
        let mut out = String::new();
        for (i, s) in path.0.iter().enumerate() {
            match s {
                Step::Field(n) => {
                    if i > 0 {
                        out.push('.');
                    }
                    out.push_str(n);
                }
                Step::Index(k) => {
                    let named = match (i, path.0.first()) {
                        (1, Some(Step::Field(list))) => self.lists.get(list).and_then(|v| v.get(*k)),
                        _ => None,
                    };
                    match named {
                        Some(n) => out.push_str(&format!("[{n}]")),
                        None => out.push_str(&format!("[{k}]")),
                    }
                }
            }
        }
        out
    }
}
