//! The local lab as a whole: its store, its accounts, its clock, and where it listens. Today a
//! lab serves one account (the learner's); a room serves one per attendee.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};

use super::account::{Account, AccountMeta, Seeded};
use super::clock::Clock;
use super::cognito;
use super::context::{AccountContext, AccountUrls, Timing};
use super::ids;
use super::room::{Attendee, Directory, JoinRefusal, KeyPool, RoomKeys, name_key};
use super::store::{Store, StoreError};
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
    /// The addresses of an attendee's account: reached at `host` (`name:port` of the AWS
    /// endpoint), with its edge and invoke URLs under its own path on the shared listeners.
    pub fn account_urls(&self, host: &str, account_id: &str) -> AccountUrls {
        let name = host.rsplit_once(':').map(|(name, _)| name).unwrap_or(host);
        AccountUrls {
            aws_endpoint: format!("http://{host}"),
            edge: format!("http://{name}:{}/{account_id}", self.edge.port()),
            invoke: format!("http://{name}:{}/{account_id}", self.invoke.port()),
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

/// A room's keys, limits and directory (see [`super::room`]).
pub struct Room {
    pub keys: RoomKeys,
    pub max_attendees: usize,
    directory: RwLock<Directory>,
    key_pool: Arc<KeyPool>,
    /// Joins one at a time, so one name never gets two accounts.
    joining: Mutex<()>,
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
}

const ROOM_META: &str = "room";

impl LocalLab {
    /// The lab on `store`, with the accounts the store holds; a room when `room` is given.
    pub fn open(
        store: Arc<Store>,
        clock: Arc<Clock>,
        timing: Timing,
        endpoints: Endpoints,
        room: Option<RoomOptions>,
    ) -> Result<LocalLab, StoreError> {
        let mut accounts = Vec::new();
        for row in store.accounts()? {
            let meta: AccountMeta = serde_json::from_value(row.body.clone())
                .map_err(|e| StoreError::Unreadable(format!("account {}: {e}", row.id)))?;
            let urls = match &meta.attendee {
                Some(attendee) => endpoints.account_urls(&attendee.host, &row.id),
                None => endpoints.urls(),
            };
            let ctx = AccountContext { id: row.id.clone(), region: meta.region, clock: clock.clone(), timing, urls };
            accounts.push(Arc::new(Account::load(&store, ctx, row.created, meta.attendee)?));
        }
        let room = match room {
            None => None,
            Some(options) => {
                let keys = match store.meta(ROOM_META)? {
                    Some(text) => serde_json::from_str(&text)
                        .map_err(|e| StoreError::Unreadable(format!("the room's keys: {e}")))?,
                    None => {
                        let keys = RoomKeys::generate();
                        let text = serde_json::to_string(&keys).map_err(|e| StoreError::Write(e.to_string()))?;
                        store.set_meta(ROOM_META, &text)?;
                        keys
                    }
                };
                let mut directory = Directory::default();
                for account in &accounts {
                    index(&mut directory, account);
                }
                Some(Room {
                    keys,
                    max_attendees: options.max_attendees,
                    directory: RwLock::new(directory),
                    key_pool: KeyPool::start(options.keys_ahead, options.signing_keys),
                    joining: Mutex::new(()),
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
        let account = Arc::new(account);
        self.accounts.write().unwrap_or_else(|e| e.into_inner()).push(account.clone());
        if let Some(room) = &self.room {
            index(&mut room.directory.write().unwrap_or_else(|e| e.into_inner()), &account);
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

    /// Joins the room as `name`, reached at `host`: the attendee's account, created on the
    /// first join and the same one on every later join with that name.
    pub fn join(&self, code: &str, name: &str, host: &str) -> Result<Arc<Account>, JoinRefusal> {
        let Some(room) = &self.room else { return Err(JoinRefusal::WrongCode) };
        let right = aws_lc_rs::constant_time::verify_slices_are_equal(
            code.trim().as_bytes(),
            room.keys.code.expose().as_bytes(),
        );
        if right.is_err() {
            return Err(JoinRefusal::WrongCode);
        }
        let key = name_key(name).ok_or(JoinRefusal::BadName)?;
        let _one_at_a_time = room.joining.lock().unwrap_or_else(|e| e.into_inner());
        let known = room.directory.read().unwrap_or_else(|e| e.into_inner()).names.get(&key).cloned();
        if let Some(account) = known.and_then(|id| self.account_by_id(&id)) {
            return Ok(account);
        }
        let attendees = room.directory.read().unwrap_or_else(|e| e.into_inner()).names.len();
        if attendees >= room.max_attendees {
            return Err(JoinRefusal::Full(room.max_attendees));
        }
        let signing_key = room.key_pool.take()?;
        let id = loop {
            let id = ids::digits(12);
            if self.account_by_id(&id).is_none() {
                break id;
            }
        };
        let attendee = Attendee::new(name.trim(), host, self.clock.now_ms());
        let ctx = AccountContext {
            urls: self.endpoints.account_urls(host, &id),
            ..self.new_context(id, crate::names::REGION)
        };
        let failed = |e: StoreError| JoinRefusal::Failed(e.to_string());
        let seeded = Seeded::section_5(ctx.now_ms(), &ctx.id, &ctx.region, signing_key).map_err(failed)?;
        let account = Account::create(&self.store, ctx, Some(attendee), seeded).map_err(failed)?;
        self.add(account).map_err(failed)
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

/// Adds an account's keys, name, client and pool to the room's directory.
fn index(directory: &mut Directory, account: &Account) {
    let Some(attendee) = &account.attendee else { return };
    let id = account.ctx.id.clone();
    directory.keys.insert(attendee.access_key_id.clone(), (attendee.secret_access_key.clone(), id.clone()));
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
