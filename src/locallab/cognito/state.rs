//! One account's Cognito: its tables, the indexes that keep sign-in fast however many users a
//! pool has, the parsed signing keys, and the challenge sessions in flight (memory only: like
//! Cognito's, they last minutes and do not survive a restart).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::errors::{client_not_found, pool_not_found};
use super::keys::{Signer, key_id};
use super::lockout::Lockouts;
use super::model::{
    AppClient, DemoAccount, OutboxMessage, PasswordSet, RefreshGrant, User, UserPool, UserStatus, user_key,
};
use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::ids;
use crate::locallab::machinery::store::{Change, One, Record, Rows, StoreError, Table, Tables};
use crate::locallab::machinery::wire::ApiError;
use crate::names::LAB_AUTH_FLOWS;
use crate::secret::Secret;
use crate::srp::ChallengeBook;

/// How long a `PASSWORD_VERIFIER` challenge may be answered (the app client's three minutes).
const SRP_CHALLENGE_MS: Millis = 3 * 60 * 1000;

/// A sign-in waiting for the answer to a challenge (`NEW_PASSWORD_REQUIRED`).
pub struct ChallengeSession {
    pub pool_id: String,
    pub client_id: String,
    pub username: String,
    pub expires: Millis,
}

/// Who an SRP challenge in flight is for.
pub struct SrpSession {
    pub pool_id: String,
    pub client_id: String,
    /// The user's username, or `None` when there is no such user (the challenge is answered
    /// anyway, as Cognito does when it hides whether users exist, and always fails).
    pub username: Option<String>,
}

/// How many SRP challenges may be in flight at once per account.
const MAX_SRP_CHALLENGES: usize = 1_000;

pub struct CognitoState {
    pub pools: Table<UserPool>,
    pub clients: Table<AppClient>,
    pub users: Table<User>,
    pub outbox: Table<OutboxMessage>,
    pub refresh: Table<RefreshGrant>,
    pub demo: One<DemoAccount>,
    signers: HashMap<String, Arc<Signer>>,
    /// (pool id, lowercase email) → username: the pool signs in with email.
    emails: HashMap<(String, String), String>,
    /// Each user's refresh grants (`<pool>/<username>` → (expires, digest)), oldest first.
    grants: HashMap<String, Vec<(Millis, String)>>,
    pub sessions: HashMap<String, ChallengeSession>,
    /// `PASSWORD_VERIFIER` challenges in flight, by secret block.
    pub srp_challenges: ChallengeBook<SrpSession>,
    /// Wrong passwords per user, for Cognito's lock-out (kept across a rolled-back write).
    pub lockouts: Lockouts,
    /// Outbox lines to log once the write that posted them has committed.
    outbox_log: Vec<String>,
}

impl CognitoState {
    /// No pool, client or user: a room's reporting identity (`walab join --report-only`).
    pub fn empty() -> Result<CognitoState, StoreError> {
        let demo = DemoAccount { username: String::new(), password: crate::secret::Secret::new("") };
        let body = serde_json::to_vec(&demo).map_err(|e| StoreError::Write(e.to_string()))?;
        let mut rows = Rows::default();
        rows.push(DemoAccount::KIND, "demo", body);
        let mut state = CognitoState::load(&mut rows)?;
        // Written with the account, so it loads again after a restart.
        state.demo = One::new(demo);
        Ok(state)
    }
}

impl Tables for CognitoState {
    const KINDS: &'static [&'static str] =
        &[UserPool::KIND, AppClient::KIND, User::KIND, OutboxMessage::KIND, RefreshGrant::KIND, DemoAccount::KIND];

    fn load(rows: &mut Rows) -> Result<Self, StoreError> {
        let mut state = CognitoState {
            pools: rows.table()?,
            clients: rows.table()?,
            users: rows.table()?,
            outbox: rows.table()?,
            refresh: rows.table()?,
            demo: One::load(rows.take(DemoAccount::KIND))?,
            signers: HashMap::new(),
            emails: HashMap::new(),
            grants: HashMap::new(),
            sessions: HashMap::new(),
            srp_challenges: ChallengeBook::new(MAX_SRP_CHALLENGES, SRP_CHALLENGE_MS),
            lockouts: Lockouts::default(),
            outbox_log: Vec::new(),
        };
        state.index()?;
        Ok(state)
    }

    fn take_changes(&mut self, out: &mut Vec<Change>) {
        self.pools.take_changes(out);
        self.clients.take_changes(out);
        self.users.take_changes(out);
        self.outbox.take_changes(out);
        self.refresh.take_changes(out);
        self.demo.take_changes(out);
    }

    fn committed(&mut self, committed: bool) {
        for line in self.outbox_log.drain(..) {
            if committed {
                tracing::info!("{line}");
            }
        }
    }

    fn carry_over(&mut self, before: &mut Self) {
        self.lockouts = std::mem::take(&mut before.lockouts);
    }
}

/// A new pool's identity, as the section 3 stack names it.
pub struct PoolSeed<'a> {
    pub region: &'a str,
    pub account: &'a str,
    /// The stack's short random suffix.
    pub guid: &'a str,
    pub signing_key: Secret,
}

impl CognitoState {
    /// The pool, client and confirmed demo user the section 3 stack leaves (LAB.md).
    pub fn seed(now: Millis, seed: PoolSeed) -> Result<CognitoState, StoreError> {
        let PoolSeed { region, account, guid, signing_key } = seed;
        let pool_id = format!("{region}_{}", ids::alnum(9));
        let kid = key_id(&signing_key).unwrap_or_else(|| ids::alnum(44));
        let client = AppClient {
            pool_id: pool_id.clone(),
            id: ids::lower_alnum(26),
            name: format!("WAUserPoolClient-{guid}"),
            // Real app client secrets are 51 characters of lowercase letters and digits.
            secret: Some(Secret::new(ids::lower_alnum(51))),
            explicit_auth_flows: LAB_AUTH_FLOWS.iter().map(|f| f.to_string()).collect(),
            prevent_user_existence_errors: true,
            id_token_minutes: 60,
            access_token_minutes: 60,
            refresh_token_days: 30,
            callback_urls: vec!["https://example.com/callback".to_string()],
            created: now - 3_600_000,
            modified: now - 3_600_000,
        };
        let demo = DemoAccount {
            username: "learner@example.com".to_string(),
            password: Secret::new(format!("Wa{}-9z", ids::alnum(12))),
        };
        let sub = ids::uuid();
        let attributes = BTreeMap::from([
            ("sub".to_string(), sub.clone()),
            ("email".to_string(), demo.username.clone()),
            ("email_verified".to_string(), "true".to_string()),
        ]);
        let user = {
            let password = PasswordSet::new(&pool_id, &sub, demo.password.expose());
            User::new(&pool_id, &sub, attributes, password, UserStatus::Confirmed, now - 1_800_000)
        };
        let pool = UserPool {
            arn: format!("arn:aws:cognito-idp:{region}:{account}:userpool/{pool_id}"),
            id: pool_id,
            name: format!("WAUserPool-{guid}"),
            domain: format!("walab-{guid}"),
            created: now - 3_600_000,
            modified: now - 3_600_000,
            key: super::model::PoolKey { kid, private_pem: signing_key },
        };
        let mut state = CognitoState {
            pools: Table::default(),
            clients: Table::default(),
            users: Table::default(),
            outbox: Table::default(),
            refresh: Table::default(),
            demo: One::new(demo),
            signers: HashMap::new(),
            emails: HashMap::new(),
            grants: HashMap::new(),
            sessions: HashMap::new(),
            srp_challenges: ChallengeBook::new(MAX_SRP_CHALLENGES, SRP_CHALLENGE_MS),
            lockouts: Lockouts::default(),
            outbox_log: Vec::new(),
        };
        state.pools.insert(pool);
        state.clients.insert(client);
        state.users.insert(user);
        state.index()?;
        Ok(state)
    }

    /// Rebuilds what is derived from the rows: parsed keys, the email index.
    fn index(&mut self) -> Result<(), StoreError> {
        self.signers.clear();
        for pool in self.pools.values() {
            let signer = Signer::new(pool)
                .map_err(|e| StoreError::Unreadable(format!("the signing key of {}: {e}", pool.id)))?;
            self.signers.insert(pool.id.clone(), Arc::new(signer));
        }
        self.emails = self
            .users
            .values()
            .filter_map(|u| Some(((u.pool_id.clone(), u.email()?.to_ascii_lowercase()), u.username.clone())))
            .collect();
        self.grants.clear();
        let mut grants: Vec<&RefreshGrant> = self.refresh.values().collect();
        grants.sort_by_key(|g| g.issued);
        for grant in grants {
            let user = user_key(&grant.pool_id, &grant.username);
            self.grants.entry(user).or_default().push((grant.expires, grant.digest.clone()));
        }
        Ok(())
    }

    pub fn signer(&self, pool_id: &str) -> Option<Arc<Signer>> {
        self.signers.get(pool_id).cloned()
    }

    /// The lab's user pool and app client (the first of each; the lab has one of each).
    pub fn lab_pool_and_client(&self) -> Option<(&UserPool, &AppClient)> {
        let pool = self.pools.values().next()?;
        let client = self.clients.values().find(|c| c.pool_id == pool.id)?;
        Some((pool, client))
    }

    pub fn pool(&self, id: &str) -> Result<&UserPool, ApiError> {
        self.pools.get(id).ok_or_else(|| pool_not_found(id))
    }

    pub fn client(&self, id: &str) -> Result<&AppClient, ApiError> {
        self.clients.get(id).ok_or_else(|| client_not_found(id))
    }

    pub fn pool_clients<'a>(&'a self, pool_id: &'a str) -> impl Iterator<Item = &'a AppClient> + 'a {
        self.clients.values().filter(move |c| c.pool_id == pool_id)
    }

    /// A user by username or, as the pool signs in with email, by email (case-insensitive).
    pub fn find_user(&self, pool_id: &str, name: &str) -> Option<&User> {
        self.users.get(&user_key(pool_id, name)).or_else(|| {
            let username = self.emails.get(&(pool_id.to_string(), name.to_ascii_lowercase()))?;
            self.users.get(&user_key(pool_id, username))
        })
    }

    /// Refuses a new user in a pool that holds `most` already (see
    /// [`crate::locallab::machinery::context::ROOM_USERS_PER_POOL`]).
    pub fn check_room_for_user(&self, pool_id: &str, most: usize) -> Result<(), ApiError> {
        if most == 0 || self.users.with_prefix(&format!("{pool_id}/")).nth(most - 1).is_some() {
            return Err(ApiError::bad_request(
                "LimitExceededException",
                format!("The user pool holds {most} users, as many as this lab keeps in one pool; delete some first."),
            ));
        }
        Ok(())
    }

    /// Adds a user (or replaces one of the same username), keeping the email index.
    pub fn put_user(&mut self, user: User) {
        if let Some(email) = user.email() {
            self.emails.insert((user.pool_id.clone(), email.to_ascii_lowercase()), user.username.clone());
        }
        self.users.insert(user);
    }

    /// Changes a user in place (by its real username); the email index follows.
    pub fn update_user<T>(&mut self, pool_id: &str, username: &str, f: impl FnOnce(&mut User) -> T) -> Option<T> {
        let key = user_key(pool_id, username);
        let before = self.users.get(&key)?.email().map(str::to_ascii_lowercase);
        let result = self.users.update(&key, f)?;
        let after = self.users.get(&key).and_then(|u| u.email()).map(str::to_ascii_lowercase);
        if before != after {
            if let Some(old) = before {
                self.emails.remove(&(pool_id.to_string(), old));
            }
            if let Some(new) = after {
                self.emails.insert((pool_id.to_string(), new), username.to_string());
            }
        }
        Some(result)
    }

    pub fn remove_user(&mut self, pool_id: &str, username: &str) -> Option<User> {
        let user = self.users.remove(&user_key(pool_id, username))?;
        if let Some(email) = user.email() {
            self.emails.remove(&(pool_id.to_string(), email.to_ascii_lowercase()));
        }
        for (_, digest) in self.grants.remove(&user_key(pool_id, username)).unwrap_or_default() {
            self.refresh.remove(&digest);
        }
        Some(user)
    }

    /// Removes a pool with its clients and users (its stack was deleted).
    pub fn remove_pool(&mut self, pool_id: &str) {
        let users: Vec<String> = self.users.with_prefix(&format!("{pool_id}/")).map(|u| u.username.clone()).collect();
        for username in users {
            self.remove_user(pool_id, &username);
        }
        let clients: Vec<String> = self.pool_clients(pool_id).map(|c| c.id.clone()).collect();
        for client in clients {
            self.clients.remove(&client);
        }
        self.pools.remove(pool_id);
        self.signers.remove(pool_id);
        self.sessions.retain(|_, session| session.pool_id != pool_id);
    }

    /// Records a refresh grant. A user keeps at most [`MAX_GRANTS_PER_USER`]: the oldest and
    /// the expired make room, so the store does not grow with every sign-in.
    pub fn put_grant(&mut self, grant: RefreshGrant, now: Millis) {
        let list = self.grants.entry(user_key(&grant.pool_id, &grant.username)).or_default();
        let mut dropped = Vec::new();
        list.retain(|(expires, digest)| {
            let keep = *expires > now;
            if !keep {
                dropped.push(digest.clone());
            }
            keep
        });
        while list.len() >= MAX_GRANTS_PER_USER {
            dropped.push(list.remove(0).1);
        }
        list.push((grant.expires, grant.digest.clone()));
        for digest in dropped {
            self.refresh.remove(&digest);
        }
        self.refresh.insert(grant);
    }

    /// Ends a user's sign-ins: every one (a global sign-out), or the one a refresh token
    /// belongs to. Their refresh tokens stop working, and `GetUser` refuses their access tokens.
    pub fn end_sign_ins(&mut self, pool_id: &str, username: &str, only_digest: Option<&str>) {
        let key = user_key(pool_id, username);
        let digests: Vec<String> = match only_digest {
            Some(digest) => vec![digest.to_string()],
            None => self.grants.get(&key).map(|l| l.iter().map(|(_, d)| d.clone()).collect()).unwrap_or_default(),
        };
        let mut origins = Vec::new();
        for digest in digests {
            let origin = self.refresh.update(&digest, |g| {
                g.revoked = true;
                g.origin_jti.clone()
            });
            origins.extend(origin);
        }
        self.update_user(pool_id, username, |u| u.revoke_origins(origins));
    }

    /// Keeps the outbox to the recent past. The log says a message was sent only once the
    /// write that sent it has committed (see [`Tables::committed`]).
    pub fn post(&mut self, message: OutboxMessage) {
        self.outbox_log.push(format!("outbox: \"{}\" for {} (see /_walab/outbox)", message.subject, message.to));
        self.outbox.insert(message);
        while self.outbox.len() > MAX_OUTBOX {
            let Some(oldest) = self.outbox.values().next().map(Record::key) else { break };
            self.outbox.remove(&oldest);
        }
    }
}

/// How many refresh tokens one user keeps; a new sign-in beyond it retires the oldest.
pub const MAX_GRANTS_PER_USER: usize = 100;

/// How many "emails" the outbox keeps.
const MAX_OUTBOX: usize = 50;
