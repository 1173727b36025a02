//! What every service of an account may know besides its own state: the account's id and
//! region, the lab's clock and timing, and the addresses the account is reached at.

use std::sync::Arc;
use std::time::Duration;

use crate::locallab::machinery::clock::{Clock, Millis};

/// How long the lab's slow AWS operations take.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// An invalidation goes `InProgress` → `Completed` after this long.
    pub invalidation: Duration,
    /// A distribution update goes `InProgress` → `Deployed` after this long.
    pub deploy: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing { invalidation: Duration::from_secs(5), deploy: Duration::from_secs(5) }
    }
}

impl Timing {
    pub const INSTANT: Timing = Timing { invalidation: Duration::ZERO, deploy: Duration::ZERO };

    pub fn invalidation_ms(&self) -> Millis {
        millis(self.invalidation)
    }

    pub fn deploy_ms(&self) -> Millis {
        millis(self.deploy)
    }
}

fn millis(d: Duration) -> Millis {
    Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX)
}

/// Where an account is reached: the AWS endpoint, and the bases of its CloudFront edge and API
/// Gateway invoke URLs (in a room, each account's own path on the shared listeners).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountUrls {
    /// `http://127.0.0.1:4566`.
    pub aws_endpoint: String,
    /// `http://127.0.0.1:4567`, without a trailing slash.
    pub edge: String,
    /// `http://127.0.0.1:4568`, without a trailing slash.
    pub invoke: String,
}

impl AccountUrls {
    /// The `CloudFrontEndpoint` stack output.
    pub fn cloudfront_endpoint(&self) -> String {
        format!("{}/?id=1", self.edge)
    }

    /// The `APIGatewayURL` stack output.
    pub fn api_gateway_url(&self) -> String {
        format!("{}/{}/?id=1", self.invoke, crate::names::STAGE)
    }
}

#[derive(Debug, Clone)]
pub struct AccountContext {
    /// The 12-digit account id.
    pub id: String,
    pub region: String,
    pub clock: Arc<Clock>,
    pub timing: Timing,
    pub urls: AccountUrls,
    /// Users one user pool of this account may hold ([`ROOM_USERS_PER_POOL`] in a room).
    pub users_per_pool: usize,
}

/// Cognito allows 40,000,000 users per pool ("Quotas in Amazon Cognito",
/// https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html), which a lab of one
/// keeps (the load bench signs up 100,000). An attendee's account in a room keeps a bound of
/// the lab's own, so that one attendee cannot fill the room's disk: section 5 needs two users.
pub const COGNITO_USERS_PER_POOL: usize = 40_000_000;
pub const ROOM_USERS_PER_POOL: usize = 100;

impl AccountContext {
    pub fn now_ms(&self) -> Millis {
        self.clock.now_ms()
    }
}
