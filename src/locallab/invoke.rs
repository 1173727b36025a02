//! API Gateway's invoke side: stage `Dev` as last deployed, behind the WAF rule.

use axum::response::Response;
use http::StatusCode;

use super::Lab;
use super::wire::{ApiError, AwsRequest};

pub fn handle(lab: &Lab, req: &AwsRequest) -> Response {
    let _ = (lab, req);
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "NotBuiltYet", "The API Gateway invoke URL is not built yet")
        .into_rest_json()
}
