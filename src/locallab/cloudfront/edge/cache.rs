//! The edge's cache: responses by cache key, capped in entries and in bytes, with the
//! expired and then the oldest making room without a scan, and expired entries swept on time
//! (by every store and lookup, and by the lab's sweeper) rather than only when full. Every
//! account's cache also draws on one budget for the whole process ([`Budget`]), so a room's
//! caches together stay bounded however many attendees flood theirs. It lives
//! in memory; the one entry the lab's trap needs across restarts (the seeded 200) is also kept
//! in the store, by the edge, until an invalidation removes it.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::store::Record;

/// The most entries one edge keeps; beyond it, expired and then oldest entries make room.
const MAX_ENTRIES: usize = 10_000;
/// The most bytes one edge's entries may take (keys, headers, bodies and bookkeeping): 16 MiB,
/// so a flood of unique URLs (each cached error counts) costs an account at most this much.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;
/// What an entry costs beyond its strings: the response, the map slots and index lines.
const ENTRY_OVERHEAD: usize = 256;

/// The bytes the caches of a process hold together, and how far they may grow: each cache
/// may always hold `floor` bytes (the lab's own answers take a few KiB, so honest use is never
/// refused), and beyond that only while all caches together hold less than `max`. A room of
/// N attendees thus holds at most N × `floor` + `max` in its caches, not N × [`MAX_BYTES`].
#[derive(Debug)]
pub struct Budget {
    held: AtomicUsize,
    floor: usize,
    max: usize,
}

/// The budget every cache of this process draws on: 1 MiB each, 256 MiB together beyond that.
pub static PROCESS_BUDGET: Budget = Budget::new(1024 * 1024, 256 * 1024 * 1024);

impl Budget {
    pub const fn new(floor: usize, max: usize) -> Budget {
        Budget { held: AtomicUsize::new(0), floor, max }
    }

    /// The bytes all caches drawing on this budget hold.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// Whether a cache holding `own` bytes may take `cost` more.
    fn allows(&self, own: usize, cost: usize) -> bool {
        own + cost <= self.floor || self.held() + cost <= self.max
    }
}

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

impl CachedResponse {
    /// The bytes this entry holds in the cache: its key twice (the map and the entry), its
    /// path, headers and body, and the bookkeeping around them.
    pub fn cost(&self) -> usize {
        let headers: usize = self.headers.iter().map(|(n, v)| n.len() + v.len() + 48).sum();
        2 * self.key.len() + self.path.len() + headers + self.body.len() + ENTRY_OVERHEAD
    }
}

/// The edge's cache, with its own lock: filling it never waits for the store.
pub struct EdgeCache {
    entries: Mutex<Entries>,
    caps: Caps,
}

/// The most entries and bytes one cache holds.
struct Caps {
    entries: usize,
    bytes: usize,
}

impl Default for EdgeCache {
    fn default() -> Self {
        EdgeCache::with_caps(MAX_ENTRIES, MAX_BYTES)
    }
}

/// The entries by key, and what makes room without scanning: an index by age (for evicting
/// the oldest), one by expiry (for sweeping), and the bytes held (also counted in `budget`).
struct Entries {
    /// Each entry with the number it was stored under.
    map: HashMap<Arc<str>, (Arc<CachedResponse>, u64)>,
    /// Entries by (stored, number), oldest first, and by (expires, number), soonest first.
    /// Removing an entry from `map` leaves its lines here, stale; stale lines are skipped when
    /// met and dropped when they pile up.
    by_age: BTreeMap<(Millis, u64), Arc<str>>,
    by_expiry: BTreeMap<(Millis, u64), Arc<str>>,
    stored: u64,
    bytes: usize,
    budget: &'static Budget,
}

impl Entries {
    fn new(budget: &'static Budget) -> Entries {
        Entries {
            map: HashMap::new(),
            by_age: BTreeMap::new(),
            by_expiry: BTreeMap::new(),
            stored: 0,
            bytes: 0,
            budget,
        }
    }

    fn add_bytes(&mut self, n: usize) {
        self.bytes += n;
        self.budget.held.fetch_add(n, Ordering::Relaxed);
    }

    fn sub_bytes(&mut self, n: usize) {
        self.bytes -= n;
        self.budget.held.fetch_sub(n, Ordering::Relaxed);
    }

    /// Whether one more entry of `cost` fits the caps and the budget.
    fn fits(&self, cost: usize, caps: &Caps) -> bool {
        self.map.len() < caps.entries && self.bytes + cost <= caps.bytes && self.budget.allows(self.bytes, cost)
    }

    fn insert(&mut self, entry: CachedResponse) {
        self.stored += 1;
        let key: Arc<str> = Arc::from(entry.key.as_str());
        self.by_age.insert((entry.stored, self.stored), key.clone());
        self.by_expiry.insert((entry.expires, self.stored), key.clone());
        self.add_bytes(entry.cost());
        if let Some((old, _)) = self.map.insert(key, (Arc::new(entry), self.stored)) {
            self.sub_bytes(old.cost());
        }
        self.tidy();
    }

    fn remove(&mut self, key: &str) {
        if let Some((old, _)) = self.map.remove(key) {
            self.sub_bytes(old.cost());
        }
    }

    /// Drops the entries expired by `now`, soonest first: each costs a step, whatever the size.
    fn sweep(&mut self, now: Millis) {
        while let Some(entry) = self.by_expiry.first_entry() {
            let &(expires, number) = entry.key();
            if expires > now {
                break;
            }
            let key = entry.remove();
            if self.map.get(&key).is_some_and(|(_, n)| *n == number) {
                self.remove(&key);
            }
        }
        self.tidy();
    }

    /// Removes the oldest entry.
    fn evict_oldest(&mut self) {
        while let Some(((_, number), key)) = self.by_age.pop_first() {
            if self.map.get(&key).is_some_and(|(_, n)| *n == number) {
                self.remove(&key);
                return;
            }
        }
    }

    fn retain(&mut self, mut keep: impl FnMut(&CachedResponse) -> bool) {
        let mut freed = 0;
        self.map.retain(|_, (e, _)| {
            let kept = keep(e);
            if !kept {
                freed += e.cost();
            }
            kept
        });
        self.sub_bytes(freed);
        self.tidy();
    }

    /// Rebuilds the indexes once they are mostly stale lines.
    fn tidy(&mut self) {
        if self.by_age.len() > 2 * self.map.len() + 64 {
            self.by_age = self.map.iter().map(|(key, (e, n))| ((e.stored, *n), key.clone())).collect();
        }
        if self.by_expiry.len() > 2 * self.map.len() + 64 {
            self.by_expiry = self.map.iter().map(|(key, (e, n))| ((e.expires, *n), key.clone())).collect();
        }
    }
}

impl Drop for Entries {
    /// A cache that goes (an account deleted, a lab stopped) gives its bytes back.
    fn drop(&mut self) {
        self.budget.held.fetch_sub(self.bytes, Ordering::Relaxed);
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
    /// A cache of at most `max_entries` entries and `max_bytes` bytes.
    pub fn with_caps(max_entries: usize, max_bytes: usize) -> EdgeCache {
        EdgeCache::with_budget(max_entries, max_bytes, &PROCESS_BUDGET)
    }

    /// A cache with these caps drawing on `budget` rather than the process's.
    pub fn with_budget(max_entries: usize, max_bytes: usize, budget: &'static Budget) -> EdgeCache {
        EdgeCache { entries: Mutex::new(Entries::new(budget)), caps: Caps { entries: max_entries, bytes: max_bytes } }
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes the entries hold, as counted against the cap.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// The fresh entry for `key`, if any; expired entries are swept on the way.
    pub fn lookup(&self, key: &str, now: Millis) -> Option<Arc<CachedResponse>> {
        let mut entries = self.lock();
        entries.sweep(now);
        entries.map.get(key).map(|(e, _)| e).filter(|e| now < e.expires).cloned()
    }

    /// Stores an entry; a full cache (in entries, bytes or its share of the budget) first
    /// drops expired entries, then its oldest until it fits. An entry larger than the whole
    /// byte cap, or than what the budget leaves once this cache is empty, is not kept.
    pub fn store(&self, entry: CachedResponse) {
        let cost = entry.cost();
        let caps = &self.caps;
        if cost > caps.bytes {
            return;
        }
        let mut entries = self.lock();
        entries.remove(&entry.key);
        if !entries.fits(cost, caps) {
            entries.sweep(entry.stored);
        }
        while !entries.map.is_empty() && !entries.fits(cost, caps) {
            entries.evict_oldest();
        }
        if entries.fits(cost, caps) {
            entries.insert(entry);
        }
    }

    /// Drops what has expired by `now` (the lab's sweeper calls this on a timer).
    pub fn sweep(&self, now: Millis) {
        self.lock().sweep(now);
    }

    /// Removes the entries an invalidation covers that were stored by the time it completed.
    pub fn purge(&self, paths: &[String], until: Millis) {
        self.lock().retain(|e| !(e.stored <= until && paths.iter().any(|p| invalidation_covers(p, &e.path))));
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

    fn sized(key: &str, stored: Millis, expires: Millis, body: usize) -> CachedResponse {
        CachedResponse {
            key: key.to_string(),
            path: "/nope".to_string(),
            status: 403,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Bytes::from(vec![b'x'; body]),
            stored,
            expires,
        }
    }

    #[test]
    fn the_byte_cap_holds_whatever_the_entries_sizes() {
        let cache = EdgeCache::with_caps(MAX_ENTRIES, 100_000);
        let one = sized("/000", 0, Millis::MAX, 10_000).cost();
        for i in 0..100 {
            cache.store(sized(&format!("/{i:03}"), i, Millis::MAX, 10_000));
            assert!(cache.bytes() <= 100_000, "{}", cache.bytes());
        }
        assert_eq!(cache.len(), 100_000 / one);
        assert!(cache.lookup("/099", 0).is_some() && cache.lookup("/000", 0).is_none(), "the oldest made room");
        // Just under the cap is kept; just over is not kept at all.
        let under = 100_000 - sized("/big", 0, 0, 0).cost();
        cache.store(sized("/big", 200, Millis::MAX, under));
        assert_eq!((cache.len(), cache.bytes()), (1, 100_000));
        cache.store(sized("/bigger", 201, Millis::MAX, under + 1));
        assert!(cache.lookup("/bigger", 0).is_none() && cache.lookup("/big", 0).is_some());
    }

    #[test]
    fn caches_sharing_a_budget_keep_their_floor_and_together_stay_under_its_cap() {
        static BUDGET: Budget = Budget::new(10_000, 100_000);
        let one = sized("/000", 0, Millis::MAX, 1_000).cost();
        let flooder = EdgeCache::with_budget(MAX_ENTRIES, MAX_BYTES, &BUDGET);
        for i in 0..1_000 {
            flooder.store(sized(&format!("/{i:03}"), i, Millis::MAX, 1_000));
            assert!(BUDGET.held() <= 100_000, "{}", BUDGET.held());
        }
        assert_eq!(flooder.len(), 100_000 / one, "the flood holds the budget, no more");
        assert!(flooder.lookup("/999", 0).is_some(), "its newest kept, its oldest gone");
        // Another account still caches up to its floor, and the budget held grows by that.
        let honest = EdgeCache::with_budget(MAX_ENTRIES, MAX_BYTES, &BUDGET);
        for i in 0..20 {
            honest.store(sized(&format!("/mine{i}"), i, Millis::MAX, 1_000));
        }
        assert_eq!(honest.len(), 10_000 / one);
        assert!(honest.lookup("/mine19", 0).is_some() && honest.lookup("/mine0", 0).is_none());
        assert_eq!(BUDGET.held(), flooder.bytes() + honest.bytes());
        // A cache that goes gives its bytes back; the other can grow again.
        drop(flooder);
        assert_eq!(BUDGET.held(), honest.bytes());
        honest.store(sized("/mine20", 20, Millis::MAX, 1_000));
        assert_eq!(honest.len(), 10_000 / one + 1);
    }

    #[test]
    fn expired_entries_are_swept_on_time_not_only_when_full() {
        let cache = EdgeCache::default();
        for i in 0..50 {
            cache.store(sized(&format!("/{i}"), i, i + 10, 1000));
        }
        cache.store(sized("/late", 50, 1_000, 1000));
        assert_eq!(cache.len(), 51);
        cache.sweep(30);
        assert_eq!(cache.len(), 51 - 21, "those expired by 30");
        assert!(cache.lookup("/nothing", 100).is_none());
        assert_eq!(cache.len(), 1, "a lookup sweeps too");
        assert_eq!(cache.bytes(), sized("/late", 50, 1_000, 1000).cost());
        cache.sweep(1_000);
        assert_eq!((cache.len(), cache.bytes()), (0, 0));
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
