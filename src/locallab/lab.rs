//! The local lab as a whole: its store, its accounts, its clock, and where it listens. Today a
//! lab serves one account (the learner's); a room serves one per attendee.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};

use crate::locallab::account::{Account, AccountMeta, Seeded};
use crate::locallab::cognito;
use crate::locallab::machinery::clock::Clock;
use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::context::{self, AccountContext, AccountUrls, Timing};
use crate::locallab::machinery::ids;
use crate::locallab::machinery::store::{AccountRow, Store, StoreError};
use crate::locallab::room::{
    AccessKey, AttendeeRecord, CodeThrottle, Directory, JoinRefusal, JudgedCache, KeyPool, Reissue, RoomKeys,
    code_matches, display_name, name_key,
};
use crate::secret::Secret;

/// Where the three listeners are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoints {
    pub aws: SocketAddr,
    pub edge: SocketAddr,
    pub invoke: SocketAddr,
}

impl Endpoints {
    pub fn aws_endpoint_url(&self) -> String {
        format!("http://{}", self.aws)
    }
    /// The `CloudFrontEndpoint` stack output of the lab's account.
    pub fn cloudfront_endpoint(&self) -> String {
        self.urls().cloudfront_endpoint()
    }
    /// The `APIGatewayURL` stack output of the lab's account.
    pub fn api_gateway_url(&self) -> String {
        self.urls().api_gateway_url()
    }
    /// The AWS endpoint's URL at `host`, the room's own address (never a request's `Host`).
    pub fn aws_endpoint_url_at(&self, host: &str) -> String {
        format!("http://{}:{}", url_host(host), self.aws.port())
    }

    /// The addresses of an attendee's account: the room's AWS endpoint at `host` (the room's
    /// own address), with its edge and invoke URLs under its own path on the shared listeners.
    pub fn account_urls(&self, host: &str, account_id: &str) -> AccountUrls {
        let host = url_host(host);
        AccountUrls {
            aws_endpoint: format!("http://{host}:{}", self.aws.port()),
            edge: format!("http://{host}:{}/{account_id}", self.edge.port()),
            invoke: format!("http://{host}:{}/{account_id}", self.invoke.port()),
        }
    }

    /// The addresses of an account served on these listeners without a path of its own.
    pub fn urls(&self) -> AccountUrls {
        AccountUrls {
            aws_endpoint: self.aws_endpoint_url(),
            edge: format!("http://{}", self.edge),
            invoke: format!("http://{}", self.invoke),
        }
    }
}

/// A host as it goes in a URL (an IPv6 address in brackets).
fn url_host(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.to_string() }
}

/// The host a room's URLs use: `--advertise`, else the address it listens on, else (listening
/// on every interface) this machine's address on its network, else loopback.
pub fn room_host(endpoints: &Endpoints, advertise: Option<&str>) -> String {
    if let Some(host) = advertise.map(str::trim).filter(|h| !h.is_empty()) {
        return host.to_string();
    }
    let ip = endpoints.aws.ip();
    if !ip.is_unspecified() {
        return ip.to_string();
    }
    crate::locallab::machinery::addresses::primary().unwrap_or(std::net::IpAddr::from([127, 0, 0, 1])).to_string()
}

/// The `walab serve --json` line (DESIGN.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LabInfo {
    pub aws_endpoint_url: String,
    pub cloudfront_endpoint: String,
    pub api_gateway_url: String,
    pub region: String,
    pub user_pool_id: String,
    pub app_client_id: String,
    pub demo_user: DemoUser,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoUser {
    pub username: String,
    /// Serialised in full: the `--json` contract hands it to scripts and tests.
    #[serde(serialize_with = "crate::secret::serialize_exposed")]
    pub password: Secret,
}

pub struct LocalLab {
    pub store: Arc<Store>,
    pub clock: Arc<Clock>,
    pub timing: Timing,
    pub endpoints: Endpoints,
    accounts: RwLock<Vec<Arc<Account>>>,
    /// Present when the lab serves a room.
    pub room: Option<Room>,
}

/// A room's keys, limits and directory (see [`crate::locallab::room`]).
pub struct Room {
    pub keys: RoomKeys,
    pub max_attendees: usize,
    /// The host every URL the room hands out uses (see [`room_host`]).
    pub host: String,
    /// Wrong codes, per address.
    pub throttle: CodeThrottle,
    /// Reissue codes not used yet, as the store keeps them (in its `meta` table, so that a
    /// restart loses none).
    reissues: Mutex<Vec<Reissue>>,
    directory: RwLock<Directory>,
    key_pool: Arc<KeyPool>,
    /// Joins one at a time, so one name never gets two accounts.
    joining: Mutex<()>,
    /// Each attendee's progress as the last snapshot judged it.
    pub judged: JudgedCache,
}

/// How a room is served.
#[derive(Debug, Clone)]
pub struct RoomOptions {
    pub max_attendees: usize,
    /// How many pool keys to keep made ahead (an RSA key takes tens of milliseconds to make;
    /// a join should take a few): enough for a row of attendees joining at once.
    pub keys_ahead: usize,
    /// Keys to give the first pools (tests pass some so they need not generate any).
    pub signing_keys: Vec<Secret>,
    /// The host attendees reach the room at, when it is not the address it listens on (NAT).
    pub advertise: Option<String>,
}

const ROOM_META: &str = "room";
/// The reissue codes not used yet (hashed, with their expiry).
const REISSUES_META: &str = "room.reissues";

impl LocalLab {
    /// The lab on `store`, with the accounts the store holds; a room when `room` is given.
    pub fn open(
        store: Arc<Store>,
        clock: Arc<Clock>,
        timing: Timing,
        endpoints: Endpoints,
        room: Option<RoomOptions>,
    ) -> Result<LocalLab, StoreError> {
        let host = room.as_ref().map(|options| room_host(&endpoints, options.advertise.as_deref()));
        let mut accounts = Vec::new();
        let mut keys = Vec::new();
        for row in store.accounts()? {
            let meta: AccountMeta = serde_json::from_value(row.body.clone())
                .map_err(|e| StoreError::Unreadable(format!("account {}: {e}", row.id)))?;
            let urls = match (&meta.attendee, &host) {
                (Some(_), Some(host)) => endpoints.account_urls(host, &row.id),
                _ => endpoints.urls(),
            };
            let users_per_pool = match &meta.attendee {
                Some(_) => context::ROOM_USERS_PER_POOL,
                None => context::COGNITO_USERS_PER_POOL,
            };
            let ctx = AccountContext {
                id: row.id.clone(),
                region: meta.region,
                clock: clock.clone(),
                timing,
                urls,
                users_per_pool,
            };
            let attendee = meta.attendee.as_ref().map(AttendeeRecord::attendee);
            let account = Arc::new(Account::load(&store, ctx, row.created, attendee)?);
            keys.push(meta.attendee.map(|record| record.key()));
            accounts.push(account);
        }
        let room = match room {
            None => None,
            Some(options) => {
                let room_keys = match store.meta(ROOM_META)? {
                    Some(text) => serde_json::from_str(&text)
                        .map_err(|e| StoreError::Unreadable(format!("the room's keys: {e}")))?,
                    None => {
                        let keys = RoomKeys::generate();
                        let text = serde_json::to_string(&keys).map_err(|e| StoreError::Write(e.to_string()))?;
                        store.set_meta(ROOM_META, &text)?;
                        keys
                    }
                };
                let reissues: Vec<Reissue> = match store.meta(REISSUES_META)? {
                    Some(text) => serde_json::from_str(&text)
                        .map_err(|e| StoreError::Unreadable(format!("the room's reissue codes: {e}")))?,
                    None => Vec::new(),
                };
                let mut directory = Directory::default();
                for (account, key) in accounts.iter().zip(keys) {
                    index(&mut directory, account, key);
                }
                Some(Room {
                    keys: room_keys,
                    max_attendees: options.max_attendees,
                    host: host.unwrap_or_default(),
                    throttle: CodeThrottle::default(),
                    reissues: Mutex::new(reissues),
                    directory: RwLock::new(directory),
                    key_pool: KeyPool::start(options.keys_ahead, options.signing_keys),
                    joining: Mutex::new(()),
                    judged: JudgedCache::default(),
                })
            }
        };
        Ok(LocalLab { store, clock, timing, endpoints, accounts: RwLock::new(accounts), room })
    }

    /// A context for a new account served at the listeners' own addresses.
    pub fn new_context(&self, id: String, region: &str) -> AccountContext {
        AccountContext {
            id,
            region: region.to_string(),
            clock: self.clock.clone(),
            timing: self.timing,
            urls: self.endpoints.urls(),
            users_per_pool: context::COGNITO_USERS_PER_POOL,
        }
    }

    /// Adds an account seeded as section 5 starts, committed before it is used.
    pub fn create_account(&self, signing_key: Secret) -> Result<Arc<Account>, StoreError> {
        let ctx = self.new_context(ids::digits(12), crate::names::REGION);
        let seeded = Seeded::section_5(ctx.now_ms(), &ctx.id, &ctx.region, signing_key)?;
        self.add(Account::create(&self.store, ctx, None, seeded)?)
    }

    /// Adds an account built elsewhere (an import), committed before it is used.
    pub fn add(&self, account: Account) -> Result<Arc<Account>, StoreError> {
        self.add_keyed(account, None)
    }

    fn add_keyed(&self, account: Account, key: Option<AccessKey>) -> Result<Arc<Account>, StoreError> {
        let account = Arc::new(account);
        self.accounts.write().unwrap_or_else(|e| e.into_inner()).push(account.clone());
        if let Some(room) = &self.room {
            index(&mut room.directory.write().unwrap_or_else(|e| e.into_inner()), &account, key);
        }
        Ok(account)
    }

    /// Drops what has expired from every account's edge cache (the sweeper's tick).
    pub fn sweep_expired(&self) {
        let now = self.clock.now_ms();
        for account in self.accounts() {
            account.edge.read(|edge| edge.cache.sweep(now));
        }
    }

    pub fn accounts(&self) -> Vec<Arc<Account>> {
        self.accounts.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The lab's account (a lab that is not a room has exactly one).
    pub fn account(&self) -> Option<Arc<Account>> {
        self.accounts.read().unwrap_or_else(|e| e.into_inner()).first().cloned()
    }

    pub fn account_by_id(&self, id: &str) -> Option<Arc<Account>> {
        self.accounts.read().unwrap_or_else(|e| e.into_inner()).iter().find(|a| a.ctx.id == id).cloned()
    }

    /// In a room: the secret issued with an access key, and whose account it opens.
    pub fn credentials(&self, access_key: &str) -> Option<(Secret, Arc<Account>)> {
        let room = self.room.as_ref()?;
        let (secret, id) = room.directory.read().unwrap_or_else(|e| e.into_inner()).keys.get(access_key).cloned()?;
        Some((secret, self.account_by_id(&id)?))
    }

    /// In a room: the account an app client belongs to.
    pub fn account_by_client(&self, client_id: &str) -> Option<Arc<Account>> {
        let id =
            self.room.as_ref()?.directory.read().unwrap_or_else(|e| e.into_inner()).clients.get(client_id).cloned()?;
        self.account_by_id(&id)
    }

    /// In a room: the account a user pool belongs to.
    pub fn account_by_pool(&self, pool_id: &str) -> Option<Arc<Account>> {
        let id = self.room.as_ref()?.directory.read().unwrap_or_else(|e| e.into_inner()).pools.get(pool_id).cloned()?;
        self.account_by_id(&id)
    }

    /// In a room: the access key its attendee holds now.
    pub fn attendee_key(&self, account_id: &str) -> Option<AccessKey> {
        self.room.as_ref()?.directory.read().unwrap_or_else(|e| e.into_inner()).key_of.get(account_id).cloned()
    }

    /// Joins the room: the attendee's account and the key to use it. A new name gets a new
    /// account; a name already taken only with a reissue code for it, or when the join was
    /// signed with that account's own key (`signed_by`, the account id the signature proved).
    pub fn join(&self, attempt: JoinAttempt) -> Result<(Arc<Account>, AccessKey), JoinRefusal> {
        let Some(room) = &self.room else { return Err(JoinRefusal::WrongCode) };
        let now = self.clock.now_ms();
        if let Some(ip) = attempt.from {
            room.throttle.check(ip, now).map_err(JoinRefusal::Throttled)?;
        }
        // The code is checked first, so a guess learns nothing from how its name is refused.
        let key = name_key(attempt.name);
        let _one_at_a_time = room.joining.lock().unwrap_or_else(|e| e.into_inner());
        let known =
            key.as_ref().and_then(|k| room.directory.read().unwrap_or_else(|e| e.into_inner()).names.get(k).cloned());
        let reissued = match known.as_deref() {
            Some(id) => room.take_reissue(&self.store, attempt.code, id, now).map_err(|e| {
                tracing::warn!("room: a reissue code could not be used: {e}");
                JoinRefusal::Failed("the room could not record the code as used; try again".into())
            })?,
            None => None,
        };
        if reissued.is_none() && !code_matches(attempt.code, &room.keys.code) {
            let from = attempt.from.map(|ip| ip.to_string()).unwrap_or_else(|| "an unknown address".into());
            if let Some(ip) = attempt.from
                && let Some(wait) = room.throttle.wrong(ip, now)
            {
                tracing::warn!("room: too many wrong join codes from {from}; its joins wait {wait} s");
                return Err(JoinRefusal::Throttled(wait));
            }
            tracing::warn!("room: a wrong join code from {from}");
            return Err(JoinRefusal::WrongCode);
        }
        let shown = display_name(attempt.name).ok_or(JoinRefusal::BadName)?;
        if let Some(id) = known {
            let account = self.account_by_id(&id).ok_or_else(|| JoinRefusal::Failed("the account is gone".into()))?;
            if reissued.is_some() {
                let key = self.new_key(room, &account).map_err(|e| JoinRefusal::Failed(e.to_string()))?;
                tracing::info!("room: account {id} moved to a new machine with a reissue code; its old key is revoked");
                return Ok((account, key));
            }
            if attempt.signed_by.as_deref() == Some(id.as_str()) {
                let key = self.attendee_key(&id).ok_or_else(|| JoinRefusal::Failed("the account has no key".into()))?;
                return Ok((account, key));
            }
            return Err(JoinRefusal::NameTaken);
        }
        let attendees = room.directory.read().unwrap_or_else(|e| e.into_inner()).names.len();
        if attendees >= room.max_attendees {
            return Err(JoinRefusal::Full(room.max_attendees));
        }
        let id = loop {
            let id = ids::digits(12);
            if self.account_by_id(&id).is_none() {
                break id;
            }
        };
        let record = AttendeeRecord { report_only: attempt.report_only, ..AttendeeRecord::new(&shown, now) };
        let access_key = record.key();
        let ctx = AccountContext {
            urls: self.endpoints.account_urls(&room.host, &id),
            users_per_pool: context::ROOM_USERS_PER_POOL,
            ..self.new_context(id, crate::names::REGION)
        };
        let failed = |e: StoreError| JoinRefusal::Failed(e.to_string());
        let seeded = if attempt.report_only {
            Seeded::empty(ctx.now_ms(), &ctx.id, &ctx.region).map_err(failed)?
        } else {
            let signing_key = room.key_pool.take()?;
            Seeded::section_5(ctx.now_ms(), &ctx.id, &ctx.region, signing_key).map_err(failed)?
        };
        let account = Account::create(&self.store, ctx, Some(record), seeded).map_err(failed)?;
        let account = self.add_keyed(account, Some(access_key.clone())).map_err(failed)?;
        Ok((account, access_key))
    }

    /// Gives `account`'s attendee a new key and revokes the old one, stored before it is used.
    fn new_key(&self, room: &Room, account: &Account) -> Result<AccessKey, StoreError> {
        let attendee =
            account.attendee.as_ref().ok_or_else(|| StoreError::Write("not an attendee's account".into()))?;
        let key = AccessKey::generate();
        let record = AttendeeRecord {
            name: attendee.name.clone(),
            access_key_id: key.access_key_id.clone(),
            secret_access_key: key.secret_access_key.clone(),
            joined: attendee.joined,
            report_only: attendee.report_only,
        };
        let meta = AccountMeta { region: account.ctx.region.clone(), attendee: Some(record) };
        let body = serde_json::to_value(&meta).map_err(|e| StoreError::Write(e.to_string()))?;
        self.store.update_account(&AccountRow { id: account.ctx.id.clone(), created: account.created, body })?;
        let mut directory = room.directory.write().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = directory.key_of.insert(account.ctx.id.clone(), key.clone()) {
            directory.keys.remove(&old.access_key_id);
        }
        directory.keys.insert(key.access_key_id.clone(), (key.secret_access_key.clone(), account.ctx.id.clone()));
        Ok(key)
    }

    /// `walab room reissue NAME`: a one-time code that joins as `name` with a new key (the old
    /// one stops working then), stored before it is handed out. Returns the name as shown, and
    /// the code; `Ok(None)` when no attendee has that name.
    pub fn reissue(&self, name: &str) -> Result<Option<(String, Secret)>, StoreError> {
        let Some(room) = self.room.as_ref() else { return Ok(None) };
        let Some(key) = name_key(name) else { return Ok(None) };
        let Some(id) = room.directory.read().unwrap_or_else(|e| e.into_inner()).names.get(&key).cloned() else {
            return Ok(None);
        };
        let Some(shown) = self.account_by_id(&id).and_then(|a| a.attendee.as_ref().map(|a| a.name.clone())) else {
            return Ok(None);
        };
        let now = self.clock.now_ms();
        let (code, kept) = Reissue::new(&id, now);
        let mut reissues = room.reissues.lock().unwrap_or_else(|e| e.into_inner());
        let mut next: Vec<Reissue> =
            reissues.iter().filter(|r| r.account_id != id && r.expires > now).cloned().collect();
        next.push(kept);
        keep_reissues(&self.store, &next)?;
        *reissues = next;
        Ok(Some((shown, code)))
    }

    /// The newest "email" the lab's account sent to `to` (the walkthrough shows it after sign-up).
    pub fn last_email_to(&self, to: &str) -> Option<cognito::model::OutboxMessage> {
        let account = self.account()?;
        cognito::last_email_to(&account.cognito, to)
    }

    /// What a user needs to reach this lab (the `walab serve --json` line).
    pub fn info(&self) -> Option<LabInfo> {
        self.account().and_then(|account| account_info(&account))
    }
}

impl Room {
    /// The reissue code `code` for `account_id`, used up (and that stored before it counts);
    /// `Ok(None)` when there is no such code (or it expired).
    fn take_reissue(&self, store: &Store, code: &str, account_id: &str, now: Millis) -> Result<Option<()>, StoreError> {
        let mut reissues = self.reissues.lock().unwrap_or_else(|e| e.into_inner());
        let Some(at) = reissues.iter().position(|r| r.account_id == account_id && r.expires > now && r.matches(code))
        else {
            return Ok(None);
        };
        let mut next = reissues.clone();
        next.remove(at);
        next.retain(|r| r.expires > now);
        keep_reissues(store, &next)?;
        *reissues = next;
        Ok(Some(()))
    }

    /// The room's AWS endpoint as attendees reach it.
    pub fn aws_endpoint_url(&self, endpoints: &Endpoints) -> String {
        endpoints.aws_endpoint_url_at(&self.host)
    }
}

fn keep_reissues(store: &Store, reissues: &[Reissue]) -> Result<(), StoreError> {
    let text = serde_json::to_string(reissues).map_err(|e| StoreError::Write(e.to_string()))?;
    store.set_meta(REISSUES_META, &text)
}

/// One `walab join` request, as the room reads it.
pub struct JoinAttempt<'a> {
    pub code: &'a str,
    pub name: &'a str,
    /// The address it came from (for throttling wrong codes).
    pub from: Option<std::net::IpAddr>,
    /// The account whose own key signed the request, when it was signed and checked out.
    pub signed_by: Option<String>,
    /// `walab join --report-only`: a reporting identity, no lab account.
    pub report_only: bool,
}

/// Adds an account's key, name, client and pool to the room's directory.
fn index(directory: &mut Directory, account: &Account, key: Option<AccessKey>) {
    let Some(attendee) = &account.attendee else { return };
    let id = account.ctx.id.clone();
    if let Some(key) = key {
        directory.keys.insert(key.access_key_id.clone(), (key.secret_access_key.clone(), id.clone()));
        directory.key_of.insert(id.clone(), key);
    }
    if let Some(key) = name_key(&attendee.name) {
        directory.names.insert(key, id.clone());
    }
    if let Some(identity) = cognito::lab_identity(&account.cognito) {
        directory.clients.insert(identity.client_id, id.clone());
        directory.pools.insert(identity.pool_id, id);
    }
}

/// What a user needs to reach an account.
/// Once the lab's stacks are deleted (Clean up), the pool and client ids are empty: the lab
/// still serves, so that walab can check the clean-up.
pub fn account_info(account: &Account) -> Option<LabInfo> {
    let identity = cognito::lab_identity(&account.cognito);
    let (username, password) = cognito::demo_user(&account.cognito);
    let urls = &account.ctx.urls;
    Some(LabInfo {
        aws_endpoint_url: urls.aws_endpoint.clone(),
        cloudfront_endpoint: urls.cloudfront_endpoint(),
        api_gateway_url: urls.api_gateway_url(),
        region: account.ctx.region.clone(),
        user_pool_id: identity.as_ref().map(|i| i.pool_id.clone()).unwrap_or_default(),
        app_client_id: identity.map(|i| i.client_id).unwrap_or_default(),
        demo_user: DemoUser { username, password },
    })
}
