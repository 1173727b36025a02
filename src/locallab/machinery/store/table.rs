//! A table of one kind of record, held in memory and tracking which rows changed, so that a
//! write commits exactly the rows it touched: its cost is the size of the change, not of the lab.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Change, StoreError};

/// A value kept as one row of the store.
pub trait Record: Serialize + DeserializeOwned {
    /// The kind of row, e.g. `cognito.user`; unique across the lab.
    const KIND: &'static str;
    /// The row's key, unique within its kind in one account.
    fn key(&self) -> String;
}

/// The rows of one kind in one account, by key.
#[derive(Debug)]
pub struct Table<R> {
    rows: BTreeMap<String, R>,
    dirty: BTreeSet<String>,
}

impl<R> Default for Table<R> {
    fn default() -> Self {
        Table { rows: BTreeMap::new(), dirty: BTreeSet::new() }
    }
}

impl<R: Record> Table<R> {
    pub fn get(&self, key: &str) -> Option<&R> {
        self.rows.get(key)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.rows.contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Every row, in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &R> {
        self.rows.values()
    }

    /// Rows whose key starts with `prefix` (e.g. one pool's users: `<poolId>/`), in key order.
    pub fn with_prefix(&self, prefix: &str) -> impl Iterator<Item = &R> + '_ {
        let prefix = prefix.to_string();
        self.rows.range(prefix.clone()..).take_while(move |(k, _)| k.starts_with(&prefix)).map(|(_, v)| v)
    }

    /// Adds or replaces a row.
    pub fn insert(&mut self, row: R) -> Option<R> {
        let key = row.key();
        self.dirty.insert(key.clone());
        self.rows.insert(key, row)
    }

    /// Changes a row in place; its key must not change.
    pub fn update<T>(&mut self, key: &str, f: impl FnOnce(&mut R) -> T) -> Option<T> {
        let row = self.rows.get_mut(key)?;
        self.dirty.insert(key.to_string());
        Some(f(row))
    }

    pub fn remove(&mut self, key: &str) -> Option<R> {
        let removed = self.rows.remove(key);
        if removed.is_some() {
            self.dirty.insert(key.to_string());
        }
        removed
    }

    /// Builds the table from stored rows (as [`super::Rows::take`] hands them over).
    pub fn load(rows: Vec<(String, Vec<u8>)>) -> Result<Table<R>, StoreError> {
        let mut table = Table::default();
        for (key, body) in rows {
            let row: R = serde_json::from_slice(&body)
                .map_err(|e| StoreError::Unreadable(format!("a {} row ({key}): {e}", R::KIND)))?;
            table.rows.insert(key, row);
        }
        Ok(table)
    }

    /// Hands the changed rows over for committing, and forgets that they changed.
    pub fn take_changes(&mut self, out: &mut Vec<Change>) {
        for key in std::mem::take(&mut self.dirty) {
            let change = match self.rows.get(&key) {
                Some(row) => match serde_json::to_vec(row) {
                    Ok(body) => Change::Put { kind: R::KIND, key, body },
                    // A row that cannot be serialised is a bug; commit fails rather than lose it.
                    Err(e) => Change::Unwritable { kind: R::KIND, key, reason: e.to_string() },
                },
                None => Change::Delete { kind: R::KIND, key },
            };
            out.push(change);
        }
    }
}

/// A record the account has exactly one of (the lab's web ACL, its demo user).
#[derive(Debug)]
pub struct One<R> {
    row: R,
    dirty: bool,
}

impl<R: Record> One<R> {
    pub fn new(row: R) -> One<R> {
        One { row, dirty: true }
    }

    pub fn get(&self) -> &R {
        &self.row
    }

    pub fn update<T>(&mut self, f: impl FnOnce(&mut R) -> T) -> T {
        self.dirty = true;
        f(&mut self.row)
    }

    /// The one stored row; an account without it cannot be used.
    pub fn load(rows: Vec<(String, Vec<u8>)>) -> Result<One<R>, StoreError> {
        let mut table = Table::<R>::load(rows)?;
        let n = table.len();
        match table.rows.pop_first() {
            Some((_, row)) if n == 1 => Ok(One { row, dirty: false }),
            _ => Err(StoreError::Unreadable(format!("{n} rows of {}, where there must be one", R::KIND))),
        }
    }

    pub fn take_changes(&mut self, out: &mut Vec<Change>) {
        if std::mem::take(&mut self.dirty) {
            out.push(match serde_json::to_vec(&self.row) {
                Ok(body) => Change::Put { kind: R::KIND, key: self.row.key(), body },
                Err(e) => Change::Unwritable { kind: R::KIND, key: self.row.key(), reason: e.to_string() },
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Note {
        id: String,
        text: String,
    }

    impl Record for Note {
        const KIND: &'static str = "test.note";
        fn key(&self) -> String {
            self.id.clone()
        }
    }

    fn note(id: &str) -> Note {
        Note { id: id.into(), text: "x".into() }
    }

    #[test]
    fn hands_over_exactly_the_changed_rows() {
        let mut table = Table::default();
        table.insert(note("a/1"));
        table.insert(note("a/2"));
        table.insert(note("b/1"));
        let mut changes = Vec::new();
        table.take_changes(&mut changes);
        assert_eq!(changes.len(), 3);

        changes.clear();
        table.update("a/2", |n| n.text = "y".into());
        table.remove("b/1");
        table.remove("nope");
        table.take_changes(&mut changes);
        assert!(matches!(&changes[0], Change::Put { key, .. } if key == "a/2"));
        assert!(matches!(&changes[1], Change::Delete { key, .. } if key == "b/1"));
        assert_eq!(changes.len(), 2);

        let keys: Vec<String> = table.with_prefix("a/").map(|n| n.id.clone()).collect();
        assert_eq!(keys, ["a/1", "a/2"]);
    }
}
