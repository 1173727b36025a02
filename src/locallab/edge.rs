//! The CloudFront edge: the distribution's cache in front of the API.

use axum::response::Response;
use http::StatusCode;

use super::Lab;
use super::wire::{ApiError, AwsRequest};

pub fn handle(lab: &Lab, req: AwsRequest) -> Response {
    let _ = (lab, req);
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "NotBuiltYet", "The CloudFront edge is not built yet")
        .into_rest_json()
}
