//! What CloudFront's handlers share on the wire besides the documents: the namespace, the body
//! of a request, the `MaxItems` of a list, and an answer with its ETag.

use axum::response::Response;
use http::StatusCode;

use crate::locallab::machinery::wire::{ApiError, AwsRequest, set_header, xml_response};
use crate::locallab::machinery::xml::WireError;

/// The namespace of CloudFront's documents.
pub const NAMESPACE: &str = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

/// The most items a list answer holds.
const DEFAULT_MAX_ITEMS: usize = 100;

/// A request's document, as text.
pub fn body_text(req: &AwsRequest) -> Result<&str, ApiError> {
    if req.body.is_empty() {
        return Err(ApiError::bad_request(
            "MissingBody",
            "This operation requires a body. Ensure that the body is present.",
        ));
    }
    std::str::from_utf8(&req.body).map_err(|_| WireError::Malformed("the body is not UTF-8".into()).into())
}

/// An answer document (as a documents type's `to_xml` writes it).
pub fn answer(status: StatusCode, document: String) -> Response {
    xml_response(status, document)
}

pub fn with_etag(mut response: Response, etag: &str) -> Response {
    set_header(&mut response, "ETag", etag);
    response
}

pub fn max_items(req: &AwsRequest) -> Result<usize, ApiError> {
    match req.query_param("MaxItems") {
        None | Some("") => Ok(DEFAULT_MAX_ITEMS),
        Some(v) => v
            .parse::<usize>()
            .map(|n| n.min(DEFAULT_MAX_ITEMS))
            .map_err(|_| ApiError::bad_request("InvalidArgument", format!("MaxItems must be a number, not {v}"))),
    }
}
