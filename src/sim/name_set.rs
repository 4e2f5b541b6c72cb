//! A set of names (addresses, domains), kept in ASCII lower case.
//!
//! A server's local domains and mailboxes are looked up in every SMTP
//! session, on a server picked at random among thousands: each lookup starts
//! with cache misses. Most servers hold a handful of names, and those are
//! kept inline (short names inside the set itself) and scanned, which
//! touches one or two cache lines instead of a hash table's control bytes,
//! its bucket and the string it points to. Large sets use a hash table.

use rustc_hash::FxHashSet;
use smallvec::SmallVec;
use smol_str::SmolStr;

/// Sets up to this size are scanned.
const FEW: usize = 4;

#[derive(Debug, Clone)]
pub enum NameSet {
    Few(SmallVec<[SmolStr; FEW]>),
    Many(FxHashSet<SmolStr>),
}

impl Default for NameSet {
    fn default() -> Self {
        NameSet::Few(SmallVec::new())
    }
}

impl NameSet {
    /// Adds `name` (lower-cased).
    pub fn insert(&mut self, name: &str) {
        let name = SmolStr::new(name.to_ascii_lowercase());
        match self {
            NameSet::Few(v) if v.contains(&name) => {}
            NameSet::Few(v) if v.len() < FEW => v.push(name),
            NameSet::Few(v) => {
                let mut set: FxHashSet<SmolStr> = v.drain(..).collect();
                set.insert(name);
                *self = NameSet::Many(set);
            }
            NameSet::Many(set) => {
                set.insert(name);
            }
        }
    }

    /// Is `name` in the set? `name` must be in lower case already.
    pub fn contains_lowercase(&self, name: &str) -> bool {
        match self {
            NameSet::Few(v) => v.iter().any(|x| x == name),
            NameSet::Many(set) => set.contains(name),
        }
    }

    pub fn iter(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        match self {
            NameSet::Few(v) => Box::new(v.iter().map(SmolStr::as_str)),
            NameSet::Many(set) => Box::new(set.iter().map(SmolStr::as_str)),
        }
    }
}

impl FromIterator<String> for NameSet {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Self {
        let mut s = NameSet::default();
        for n in iter {
            s.insert(&n);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_large_sets_answer_alike() {
        for n in [1, FEW, FEW + 1, 50] {
            let set: NameSet = (0..n).map(|i| format!("User{i}@Example.ORG")).collect();
            assert_eq!(matches!(set, NameSet::Few(_)), n <= FEW);
            for i in 0..n {
                assert!(set.contains_lowercase(&format!("user{i}@example.org")));
            }
            assert!(!set.contains_lowercase(&format!("user{n}@example.org")));
            assert_eq!(set.iter().count(), n);
        }
    }
}
