//! CloudFront's control plane (REST XML, API version 2020-05-31): the lab's distribution,
//! its configuration with ETags, and invalidations.

use axum::response::Response;
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::Lab;
use super::apigateway::ApiGatewayState;
use super::clock::Millis;
use super::ids;
use super::waf::WafState;
use super::wire::{ApiError, AwsRequest};

pub const API_VERSION: &str = "2020-05-31";
pub const NAMESPACE: &str = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CloudFrontState {
    pub distribution: Distribution,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Distribution {
    pub id: String,
    pub domain: String,
    pub arn: String,
    pub created: Millis,
}

impl CloudFrontState {
    pub fn seed(now: Millis, account: &str, api: &ApiGatewayState, waf: &WafState) -> Self {
        let _ = (api, waf);
        let id = format!("E{}", ids::upper_alnum(13));
        CloudFrontState {
            distribution: Distribution {
                domain: format!("d{}.cloudfront.net", ids::lower_alnum(13)),
                arn: format!("arn:aws:cloudfront::{account}:distribution/{id}"),
                id,
                created: now - 3_600_000,
            },
        }
    }
}

pub fn handle(lab: &Lab, req: &AwsRequest) -> Response {
    let _ = lab;
    ApiError::new(StatusCode::NOT_FOUND, "NoSuchResource", format!("The local lab has nothing at {}", req.path))
        .into_xml(NAMESPACE)
}
