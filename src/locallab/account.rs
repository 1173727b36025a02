//! An account of the local lab: its context and one slice of state per service, each behind
//! its own lock and written through the store. The account is where services meet: it seeds
//! them together, gathers the stack outputs from their facts, and hands each service what it
//! needs of the others as narrow answers (a domain, a yes/no), never their state.

mod stacks;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::locallab::apigateway::{self, ApiGatewayState};
use crate::locallab::cloudformation::{Output, StacksState};
use crate::locallab::cloudfront::edge::EdgeState;
use crate::locallab::cloudfront::{self, CloudFrontState};
use crate::locallab::cognito::directory::{CognitoHome, PoolDirectory};
use crate::locallab::cognito::hosted_ui::{self, HostedUi};
use crate::locallab::cognito::{self, CognitoState, PoolSeed};
use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::context::AccountContext;
use crate::locallab::machinery::ids;
use crate::locallab::machinery::store::{AccountRow, Change, Slice, Store, StoreError, Tables};
use crate::locallab::room::progress::ProgressState;
use crate::locallab::room::{Attendee, AttendeeRecord};
use crate::locallab::waf::{self, WafState, WebAcls};
use crate::names::{API_STACK, EDGE_STACK, output};
use crate::secret::Secret;

/// What the store keeps about an account itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountMeta {
    pub region: String,
    /// In a room: who the account belongs to and their credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attendee: Option<AttendeeRecord>,
}

pub struct Account {
    pub ctx: AccountContext,
    pub created: Millis,
    /// In a room: who the account belongs to.
    pub attendee: Option<Attendee>,
    pub cognito: Slice<CognitoState>,
    pub apigateway: Slice<ApiGatewayState>,
    pub cloudfront: Slice<CloudFrontState>,
    pub stacks: Slice<StacksState>,
    pub waf: Slice<WafState>,
    pub edge: Slice<EdgeState>,
    /// What a room sees of the account's progress.
    pub progress: Slice<ProgressState>,
    /// The hosted UI of the account's pool, made on first use.
    hosted_ui: OnceLock<axum::Router>,
}

/// An account's state before it has slices: what seeding and importing build.
pub struct Seeded {
    pub cognito: CognitoState,
    pub apigateway: ApiGatewayState,
    pub cloudfront: CloudFrontState,
    pub stacks: StacksState,
    pub waf: WafState,
    pub edge: EdgeState,
    pub progress: ProgressState,
}

impl Seeded {
    /// The account as section 5 starts (LAB.md): both stacks, the pool with its client and
    /// confirmed demo user, the API deployed to `Dev` unprotected, the distribution forwarding
    /// no headers, the WAF rule, and the edge holding the trap's cached 200.
    pub fn section_5(now: Millis, account_id: &str, region: &str, signing_key: Secret) -> Result<Seeded, StoreError> {
        // The lab's stacks name their resources with one short random suffix.
        let guid = ids::lower_alnum(8);
        let acls = WebAcls::seed(region, account_id, &guid);
        let apigateway = ApiGatewayState::seed(now, region, account_id, &acls.regional_acl_arn);
        let api_domain = apigateway.lab_api().map(|a| a.domain(region)).unwrap_or_default();
        let cloudfront = CloudFrontState::seed(now, account_id, &api_domain, &acls);
        let cognito = CognitoState::seed(now, PoolSeed { region, account: account_id, guid: &guid, signing_key })?;
        Ok(Seeded {
            cognito,
            apigateway,
            cloudfront,
            stacks: StacksState::seed(now, region, account_id),
            waf: WafState::seed(acls),
            edge: EdgeState::seed(now),
            progress: ProgressState::new(),
        })
    }

    /// An account with nothing in it: a room's reporting identity for an attendee who does the
    /// lab on their own AWS account (`walab join --report-only`).
    pub fn empty(now: Millis, account_id: &str, region: &str) -> Result<Seeded, StoreError> {
        fn none<S: Tables>() -> Result<S, StoreError> {
            S::load(&mut crate::locallab::machinery::store::Rows::default())
        }
        Ok(Seeded {
            cognito: CognitoState::empty()?,
            apigateway: none()?,
            cloudfront: none()?,
            stacks: none()?,
            // Its web ACLs' definitions only (WAF keeps them in one row); nothing uses them.
            waf: WafState::seed(WebAcls::seed(region, account_id, &ids::lower_alnum(8))),
            edge: EdgeState::seed(now),
            progress: none()?,
        })
    }

    /// Every row, for the account's first commit.
    fn changes(&mut self) -> Vec<Change> {
        let mut changes = Vec::new();
        self.cognito.take_changes(&mut changes);
        self.apigateway.take_changes(&mut changes);
        self.cloudfront.take_changes(&mut changes);
        self.stacks.take_changes(&mut changes);
        self.waf.take_changes(&mut changes);
        self.edge.take_changes(&mut changes);
        self.progress.take_changes(&mut changes);
        changes
    }
}

impl apigateway::UserPools for Account {
    fn has_pool(&self, pool_id: &str) -> bool {
        cognito::has_pool(&self.cognito, pool_id)
    }
    fn verify_id_token(&self, pool_id: &str, token: &str) -> Result<crate::token::Claims, crate::token::TokenError> {
        cognito::verify_for_pool(&self.ctx, &self.cognito, pool_id, token, crate::token::TokenUse::Id)
    }
}

impl CognitoHome for Account {
    fn ctx(&self) -> &AccountContext {
        &self.ctx
    }
    fn cognito(&self) -> &Slice<CognitoState> {
        &self.cognito
    }
}

impl Account {
    /// Answers a request for the hosted UI of the account's pool (paths [`hosted_ui::serves`]).
    pub async fn hosted_ui(self: &Arc<Self>, request: axum::extract::Request) -> axum::response::Response {
        use tower::ServiceExt;
        let router = self.hosted_ui.get_or_init(|| {
            let home: Arc<dyn CognitoHome> = self.clone();
            let directory = PoolDirectory::new(Arc::downgrade(&home));
            HostedUi::new(Arc::new(directory)).router()
        });
        match router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }

    /// Creates the account in the store with everything `seeded` holds, in one transaction.
    pub fn create(
        store: &std::sync::Arc<Store>,
        ctx: AccountContext,
        attendee: Option<AttendeeRecord>,
        mut seeded: Seeded,
    ) -> Result<Account, StoreError> {
        let created = ctx.now_ms();
        let meta = AccountMeta { region: ctx.region.clone(), attendee: attendee.clone() };
        let attendee = attendee.map(|record| record.attendee());
        let row = AccountRow {
            id: ctx.id.clone(),
            created,
            body: serde_json::to_value(&meta).map_err(|e| StoreError::Write(e.to_string()))?,
        };
        store.create_account(&row, &seeded.changes())?;
        Ok(Account::assemble(store, ctx, created, attendee, seeded))
    }

    /// Reads an account back from the store.
    pub fn load(
        store: &std::sync::Arc<Store>,
        ctx: AccountContext,
        created: Millis,
        attendee: Option<Attendee>,
    ) -> Result<Account, StoreError> {
        fn slice<S: Tables>(store: &std::sync::Arc<Store>, id: &str) -> Result<S, StoreError> {
            S::load(&mut store.rows(id, S::KINDS)?)
        }
        let id = ctx.id.clone();
        let seeded = Seeded {
            cognito: slice(store, &id)?,
            apigateway: slice(store, &id)?,
            cloudfront: slice(store, &id)?,
            stacks: slice(store, &id)?,
            waf: slice(store, &id)?,
            edge: slice(store, &id)?,
            progress: slice(store, &id)?,
        };
        Ok(Account::assemble(store, ctx, created, attendee, seeded))
    }

    fn assemble(
        store: &std::sync::Arc<Store>,
        ctx: AccountContext,
        created: Millis,
        attendee: Option<Attendee>,
        seeded: Seeded,
    ) -> Account {
        let slice = |id: &str| (store.clone(), id.to_string());
        let (s, id) = slice(&ctx.id);
        Account {
            cognito: Slice::new(seeded.cognito, s.clone(), id.clone()),
            apigateway: Slice::new(seeded.apigateway, s.clone(), id.clone()),
            cloudfront: Slice::new(seeded.cloudfront, s.clone(), id.clone()),
            stacks: Slice::new(seeded.stacks, s.clone(), id.clone()),
            waf: Slice::new(seeded.waf, s.clone(), id.clone()),
            edge: Slice::new(seeded.edge, s.clone(), id.clone()),
            progress: Slice::new(seeded.progress, s, id),
            hosted_ui: OnceLock::new(),
            created,
            attendee,
            ctx,
        }
    }

    /// The lab API's host, the CloudFront origin's domain.
    pub fn api_domain(&self) -> String {
        apigateway::api_domain(&self.apigateway, &self.ctx.region).unwrap_or_default()
    }

    /// The outputs of `stack`, exactly the keys the lab's templates declare.
    pub fn outputs(&self, stack: &str) -> Vec<Output> {
        let region = &self.ctx.region;
        let urls = &self.ctx.urls;
        let console = "https://console.aws.amazon.com";
        let out = |key, value: String, description| Output { key, value, description };
        match stack {
            API_STACK => vec![
                out(output::API_GATEWAY_URL, urls.api_gateway_url(), "The API's invoke URL on stage Dev"),
                out(
                    "RDSMysqlSecret",
                    format!("{console}/secretsmanager/home?region={region}#!/secret?name=walab-rds-secret"),
                    "Console link to the database credentials",
                ),
                out("RDS", format!("{console}/rds/home?region={region}#databases:"), "Console link to the database"),
                out(
                    "Cloud9URL",
                    format!("{console}/cloud9/home?region={region}"),
                    "Console link to the Cloud9 environment",
                ),
            ],
            EDGE_STACK => {
                let Some(identity) = cognito::lab_identity(&self.cognito) else { return Vec::new() };
                let acls = waf::acls(&self.waf);
                let distribution = cloudfront::distribution_id(&self.cloudfront).unwrap_or_default();
                let signup = hosted_ui::signup_url(&urls.aws_endpoint, &identity.client_id);
                vec![
                    out(output::USER_POOL_ID, identity.pool_id, "The user pool's id"),
                    out(output::APP_CLIENT_ID, identity.client_id, "The app client's id"),
                    out(output::SIGNUP_URL, signup, "Hosted sign-up page"),
                    out(output::CLOUDFRONT_ENDPOINT, urls.cloudfront_endpoint(), "The API through CloudFront"),
                    out(
                        output::CLOUDFRONT_CONSOLE,
                        format!("{console}/cloudfront/v4/home#/distributions/{distribution}"),
                        "Console link to the distribution",
                    ),
                    out("OriginVerifyHeaderName", acls.header_name.clone(), "The header CloudFront adds for WAF"),
                    out(
                        "OriginVerifyHeader",
                        format!("{console}/secretsmanager/home?region={region}#!/secret?name={}", acls.secret_name),
                        "Console link to the origin header's secret",
                    ),
                    out(
                        "WAFWebACLR",
                        format!("{console}/wafv2/homev2/web-acl/{}?region={region}", acls.regional_acl_name),
                        "Regional web ACL on the API stage",
                    ),
                    out(
                        "WAFWebACLG",
                        format!("{console}/wafv2/homev2/web-acl/{}?region=global", acls.global_acl_name),
                        "Global web ACL on CloudFront",
                    ),
                ]
            }
            _ => Vec::new(),
        }
    }
}
