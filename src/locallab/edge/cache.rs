//! The edge's cache: responses by cache key, capped, with the oldest and the expired making
//! room without a scan. It lives in memory; the one entry the lab's trap needs across restarts
//! (the seeded 200) is also kept in the store, by the edge, until an invalidation removes it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::locallab::clock::Millis;
use crate::locallab::store::Record;

/// The most entries the edge keeps; beyond it, expired and then oldest entries make room.
const MAX_ENTRIES: usize = 10_000;

/// One cached response, keyed by [`cache_key`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachedResponse {
    pub key: String,
    /// The request path, which invalidations match against.
    pub path: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    #[serde(with = "body_text")]
    pub body: Bytes,
    pub stored: Millis,
    pub expires: Millis,
}

/// The edge's cache, with its own lock: filling it never waits for the store.
#[derive(Default)]
pub struct EdgeCache {
    entries: Mutex<Entries>,
}

/// The entries by key, and what makes room in a full cache without scanning it: an index by
/// age, and a bound below which nothing has expired yet. Under a room's load of cache misses
/// the cache is full most of the time, and each miss stores an entry.
#[derive(Default)]
struct Entries {
    /// Each entry with the number it was stored under.
    map: HashMap<String, (Arc<CachedResponse>, u64)>,
    /// Entries by (stored, number), oldest first. Removing an entry from `map` leaves its line
    /// here, stale; stale lines are skipped when met and dropped when they pile up.
    by_age: BTreeMap<(Millis, u64), String>,
    stored: u64,
    /// No entry expires before this (a lower bound), so until then no sweep is needed.
    earliest_expiry: Millis,
}

impl Entries {
    fn insert(&mut self, entry: CachedResponse) {
        self.stored += 1;
        self.earliest_expiry = self.earliest_expiry.min(entry.expires);
        self.by_age.insert((entry.stored, self.stored), entry.key.clone());
        self.map.insert(entry.key.clone(), (Arc::new(entry), self.stored));
        self.tidy();
    }

    /// Drops the expired entries, when there can be any.
    fn sweep(&mut self, now: Millis) {
        if now < self.earliest_expiry {
            return;
        }
        self.map.retain(|_, (e, _)| now < e.expires);
        self.earliest_expiry = self.map.values().map(|(e, _)| e.expires).min().unwrap_or(Millis::MAX);
        self.tidy();
    }

    /// Removes the oldest entry.
    fn evict_oldest(&mut self) {
        while let Some(((_, number), key)) = self.by_age.pop_first() {
            if self.map.get(&key).is_some_and(|(_, n)| *n == number) {
                self.map.remove(&key);
                return;
            }
        }
    }

    fn retain(&mut self, keep: impl FnMut(&String, &mut (Arc<CachedResponse>, u64)) -> bool) {
        self.map.retain(keep);
        self.tidy();
    }

    /// Rebuilds the age index once it is mostly stale lines.
    fn tidy(&mut self) {
        if self.by_age.len() > 2 * self.map.len() + 64 {
            self.by_age = self.map.iter().map(|(key, (e, n))| ((e.stored, *n), key.clone())).collect();
        }
    }
}

impl Record for CachedResponse {
    const KIND: &'static str = "edge.pinned";
    fn key(&self) -> String {
        self.key.clone()
    }
}

impl std::fmt::Debug for EdgeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EdgeCache({} entries)", self.len())
    }
}

impl EdgeCache {
    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The fresh entry for `key`, if any.
    pub fn lookup(&self, key: &str, now: Millis) -> Option<Arc<CachedResponse>> {
        self.lock().map.get(key).map(|(e, _)| e).filter(|e| now < e.expires).cloned()
    }

    /// Stores an entry; a full cache first drops expired entries, then the oldest.
    pub fn store(&self, entry: CachedResponse) {
        let mut entries = self.lock();
        if entries.map.len() >= MAX_ENTRIES && !entries.map.contains_key(&entry.key) {
            entries.sweep(entry.stored);
            if entries.map.len() >= MAX_ENTRIES {
                entries.evict_oldest();
            }
        }
        entries.insert(entry);
    }

    /// Removes the entries an invalidation covers that were stored by the time it completed.
    pub fn purge(&self, paths: &[String], until: Millis) {
        self.lock().retain(|_, (e, _)| !(e.stored <= until && paths.iter().any(|p| invalidation_covers(p, &e.path))));
    }

    /// Every entry, for inspection.
    pub fn entries(&self) -> Vec<Arc<CachedResponse>> {
        self.lock().map.values().map(|(e, _)| e.clone()).collect()
    }
}

/// Bodies are the API's JSON: kept as text in the store.
mod body_text {
    use bytes::Bytes;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(body: &Bytes, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(body))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        Ok(Bytes::from(String::deserialize(d)?))
    }
}

/// An invalidation path covers a cached path when equal, or by prefix when it ends in `*`.
/// Query strings play no part: an invalidation covers every query of its path.
pub fn invalidation_covers(pattern: &str, path: &str) -> bool {
    let pattern = pattern.split('?').next().unwrap_or_default();
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => path == pattern,
    }
}

/// The cache key: path, query, and a digest of each forwarded header's value (so the key never
/// holds a token). A header without a value adds nothing, so a request without it has the key
/// an entry got before the header was forwarded: the lab's trap.
pub fn cache_key<'a>(path: &str, query: &str, headers: impl Iterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut key = String::with_capacity(path.len() + query.len() + 1);
    key.push_str(path);
    if !query.is_empty() {
        key.push('?');
        key.push_str(query);
    }
    for (name, value) in headers {
        if !value.is_empty() {
            let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, value);
            key.push('\n');
            key.push_str(name);
            key.push(':');
            base64::Engine::encode_string(&base64::engine::general_purpose::STANDARD_NO_PAD, digest.as_ref(), &mut key);
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absent_header_adds_nothing_to_the_key() {
        let before = cache_key("/", "id=1", std::iter::empty());
        let without: [(&str, &[u8]); 1] = [("authorization", b"")];
        assert_eq!(cache_key("/", "id=1", without.into_iter()), before);
        let with: [(&str, &[u8]); 1] = [("authorization", b"token")];
        assert_ne!(cache_key("/", "id=1", with.into_iter()), before);
    }

    #[test]
    fn invalidation_paths_match_by_prefix_or_exactly() {
        assert!(invalidation_covers("/*", "/"));
        assert!(invalidation_covers("/*", "/a/b"));
        assert!(invalidation_covers("/?id=1", "/"));
        assert!(invalidation_covers("/a*", "/ab"));
        assert!(!invalidation_covers("/a", "/ab"));
    }

    #[test]
    fn a_full_cache_makes_room() {
        let cache = EdgeCache::default();
        for i in 0..(MAX_ENTRIES + 5) {
            cache.store(CachedResponse {
                key: format!("/{i}"),
                path: format!("/{i}"),
                status: 200,
                headers: Vec::new(),
                body: Bytes::new(),
                stored: i as Millis,
                expires: Millis::MAX,
            });
        }
        assert_eq!(cache.len(), MAX_ENTRIES);
        assert!(cache.lookup("/0", 0).is_none());
        assert!(cache.lookup(&format!("/{}", MAX_ENTRIES + 4), 0).is_some());
    }

    #[test]
    fn a_full_cache_drops_expired_entries_first_then_the_oldest_still_there() {
        let entry = |key: &str, stored: Millis, expires: Millis| CachedResponse {
            key: key.to_string(),
            path: format!("/{key}"),
            status: 200,
            headers: Vec::new(),
            body: Bytes::new(),
            stored,
            expires,
        };
        let cache = EdgeCache::default();
        cache.store(entry("short", 0, 5));
        for i in 1..MAX_ENTRIES as Millis {
            cache.store(entry(&i.to_string(), i, Millis::MAX));
        }
        // Stored again: no longer the oldest. Purged: gone, and never evicted twice.
        cache.store(entry("1", MAX_ENTRIES as Millis, Millis::MAX));
        cache.purge(&["/2".to_string()], Millis::MAX);
        cache.store(entry("a", MAX_ENTRIES as Millis, Millis::MAX));
        assert_eq!(cache.len(), MAX_ENTRIES);
        cache.store(entry("b", MAX_ENTRIES as Millis + 1, Millis::MAX));
        assert!(cache.lookup("short", 0).is_none(), "expired, so the first to go");
        cache.store(entry("c", MAX_ENTRIES as Millis + 2, Millis::MAX));
        assert!(cache.lookup("3", 0).is_none(), "the oldest left");
        assert!(cache.lookup("1", 0).is_some() && cache.lookup("4", 0).is_some());
        assert_eq!(cache.len(), MAX_ENTRIES);
    }
}
