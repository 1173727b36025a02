//! What every service of an account may know besides its own state: the account's id and
//! region, the lab's clock and timing, and the addresses the account is reached at.

use std::sync::Arc;
use std::time::Duration;

use super::clock::{Clock, Millis};

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
}

impl AccountContext {
    pub fn now_ms(&self) -> Millis {
        self.clock.now_ms()
    }
}
