//! API Gateway's control plane (REST JSON): the lab's REST API, its authorizers, methods,
//! deployments and stages.

use axum::response::Response;
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::Lab;
use super::clock::Millis;
use super::ids;
use super::wire::{ApiError, AwsRequest};

pub const API_NAME: &str = "wa-lab-rds-api";
pub const STAGE: &str = "Dev";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiGatewayState {
    pub api: RestApi,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RestApi {
    pub id: String,
    pub name: String,
    pub created: Millis,
}

impl ApiGatewayState {
    pub fn seed(now: Millis, region: &str) -> Self {
        let _ = region;
        ApiGatewayState {
            api: RestApi { id: ids::lower_alnum(10), name: API_NAME.to_string(), created: now - 7_200_000 },
        }
    }

    /// The API's regional host name, the CloudFront origin's domain.
    pub fn domain(&self, region: &str) -> String {
        format!("{}.execute-api.{region}.amazonaws.com", self.api.id)
    }
}

pub fn handle(lab: &Lab, req: &AwsRequest) -> Response {
    let _ = lab;
    ApiError::new(StatusCode::NOT_FOUND, "NotFoundException", format!("The local lab has nothing at {}", req.path))
        .into_rest_json()
}
