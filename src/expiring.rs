//! A bounded map of short-lived entries keyed by a random string: SRP challenges in flight,
//! the hosted UI's authorization codes and sign-in sessions. Each entry has its own expiry;
//! an expired entry is never handed out, and when the map is full the expired ones go first,
//! then those nearest expiry. An index ordered by expiry makes both cheap (logarithmic),
//! so a flood of sign-ins at capacity costs no scan of every entry.
//!
//! Keys are secrets (a code, a session id, a secret block), so `Debug` shows only the count.

use std::collections::{BTreeMap, HashMap};

pub struct ExpiringMap<V> {
    entries: HashMap<String, Entry<V>>,
    /// (expiry, insertion number) → key: the order in which entries go.
    by_expiry: BTreeMap<(i64, u64), String>,
    capacity: usize,
    inserted: u64,
}

struct Entry<V> {
    value: V,
    expires: i64,
    number: u64,
}

impl<V> ExpiringMap<V> {
    /// A map holding at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        ExpiringMap { entries: HashMap::new(), by_expiry: BTreeMap::new(), capacity: capacity.max(1), inserted: 0 }
    }

    /// Keeps `value` under `key` until `expires` (exclusive), replacing what the key held.
    /// Forgets the entries expired at `now`, then, while full, those nearest expiry.
    pub fn insert(&mut self, key: String, value: V, expires: i64, now: i64) {
        self.remove(&key);
        while let Some(entry) = self.by_expiry.first_entry() {
            if entry.key().0 > now && self.entries.len() < self.capacity {
                break;
            }
            let gone = entry.remove();
            self.entries.remove(&gone);
        }
        self.inserted += 1;
        let number = self.inserted;
        self.by_expiry.insert((expires, number), key.clone());
        self.entries.insert(key, Entry { value, expires, number });
    }

    /// The value under `key`, unless it expired at `now`.
    pub fn get(&self, key: &str, now: i64) -> Option<&V> {
        self.entries.get(key).filter(|e| e.expires > now).map(|e| &e.value)
    }

    /// Removes the value under `key` and returns it, unless it expired at `now` (then it is
    /// only removed).
    pub fn take(&mut self, key: &str, now: i64) -> Option<V> {
        let entry = self.remove_entry(key)?;
        (entry.expires > now).then_some(entry.value)
    }

    /// Forgets `key`, expired or not.
    pub fn remove(&mut self, key: &str) {
        self.remove_entry(key);
    }

    fn remove_entry(&mut self, key: &str) -> Option<Entry<V>> {
        let entry = self.entries.remove(key)?;
        self.by_expiry.remove(&(entry.expires, entry.number));
        Some(entry)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<V> std::fmt::Debug for ExpiringMap<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExpiringMap").field("len", &self.len()).field("capacity", &self.capacity).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_map_lets_the_entry_nearest_expiry_go() {
        let mut map = ExpiringMap::new(3);
        for (key, expires) in [("a", 30), ("b", 10), ("c", 20), ("d", 40)] {
            map.insert(key.to_string(), expires, expires, 0);
        }
        assert_eq!(map.len(), 3, "bounded");
        assert!(map.get("b", 0).is_none(), "b expired first, so it made room");
        assert_eq!([map.get("a", 0), map.get("c", 0), map.get("d", 0)], [Some(&30), Some(&20), Some(&40)]);
        assert_eq!(map.by_expiry.len(), 3, "the index holds no more than the map");
    }

    #[test]
    fn expired_entries_are_never_handed_out_and_go_before_live_ones() {
        let mut map = ExpiringMap::new(2);
        map.insert("old".to_string(), 1, 100, 0);
        map.insert("live".to_string(), 2, 1_000, 0);
        assert!(map.get("old", 100).is_none(), "expiry is exclusive");
        assert_eq!(map.get("old", 99), Some(&1));
        // At 500, "old" has expired: it goes, and the live entry stays although it is older
        // than the new one.
        map.insert("new".to_string(), 3, 600, 500);
        assert_eq!(map.len(), 2);
        assert!(map.get("old", 0).is_none());
        assert_eq!(map.get("live", 500), Some(&2));
        assert_eq!(map.take("new", 700), None, "expired: removed, not handed out");
        assert_eq!(map.len(), 1);
    }

    #[test]
    fn take_is_single_use_and_a_key_inserted_again_is_replaced() {
        let mut map = ExpiringMap::new(10);
        map.insert("k".to_string(), "first", 100, 0);
        map.insert("k".to_string(), "second", 50, 0);
        assert_eq!(map.len(), 1);
        assert_eq!(map.by_expiry.len(), 1, "the replaced entry left the index");
        assert_eq!(map.take("k", 10), Some("second"));
        assert_eq!(map.take("k", 10), None);
        assert!(map.is_empty() && map.by_expiry.is_empty());
        map.insert("s".to_string(), "session", 100, 0);
        map.remove("s");
        assert!(map.is_empty() && map.by_expiry.is_empty());
    }

    #[test]
    fn debug_shows_no_key() {
        let mut map = ExpiringMap::new(4);
        map.insert("secret-code".to_string(), 1, 100, 0);
        assert_eq!(format!("{map:?}"), "ExpiringMap { len: 1, capacity: 4 }");
    }
}
