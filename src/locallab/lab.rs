//! The local lab as a whole: its store, its accounts, its clock, and where it listens. Today a
//! lab serves one account (the learner's); a room serves one per attendee.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use super::account::{Account, AccountMeta, Seeded};
use super::clock::Clock;
use super::cognito;
use super::context::{AccountContext, AccountUrls, Timing};
use super::ids;
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
    #[serde(serialize_with = "expose_secret")]
    pub password: Secret,
}

fn expose_secret<S: serde::Serializer>(secret: &Secret, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose())
}

pub struct LocalLab {
    pub store: Arc<Store>,
    pub clock: Arc<Clock>,
    pub timing: Timing,
    pub endpoints: Endpoints,
    accounts: RwLock<Vec<Arc<Account>>>,
}

impl LocalLab {
    /// The lab on `store`, with the accounts the store holds.
    pub fn open(
        store: Arc<Store>,
        clock: Arc<Clock>,
        timing: Timing,
        endpoints: Endpoints,
    ) -> Result<LocalLab, StoreError> {
        let mut accounts = Vec::new();
        for row in store.accounts()? {
            let meta: AccountMeta = serde_json::from_value(row.body.clone())
                .map_err(|e| StoreError::Unreadable(format!("account {}: {e}", row.id)))?;
            let ctx = AccountContext {
                id: row.id.clone(),
                region: meta.region,
                clock: clock.clone(),
                timing,
                urls: endpoints.urls(),
            };
            accounts.push(Arc::new(Account::load(&store, ctx, row.created)?));
        }
        Ok(LocalLab { store, clock, timing, endpoints, accounts: RwLock::new(accounts) })
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
        self.add(Account::create(&self.store, ctx, seeded)?)
    }

    /// Adds an account built elsewhere (an import), committed before it is used.
    pub fn add(&self, account: Account) -> Result<Arc<Account>, StoreError> {
        let account = Arc::new(account);
        self.accounts.write().unwrap_or_else(|e| e.into_inner()).push(account.clone());
        Ok(account)
    }

    pub fn accounts(&self) -> Vec<Arc<Account>> {
        self.accounts.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The lab's account (a lab that is not a room has exactly one).
    pub fn account(&self) -> Option<Arc<Account>> {
        self.accounts.read().unwrap_or_else(|e| e.into_inner()).first().cloned()
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

/// What a user needs to reach an account.
pub fn account_info(account: &Account) -> Option<LabInfo> {
    let identity = cognito::lab_identity(&account.cognito)?;
    let urls = &account.ctx.urls;
    Some(LabInfo {
        aws_endpoint_url: urls.aws_endpoint.clone(),
        cloudfront_endpoint: urls.cloudfront_endpoint(),
        api_gateway_url: urls.api_gateway_url(),
        region: account.ctx.region.clone(),
        user_pool_id: identity.pool_id,
        app_client_id: identity.client_id,
        demo_user: DemoUser { username: identity.demo_username, password: identity.demo_password },
    })
}
