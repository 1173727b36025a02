//! What the local lab's services share on the wire: the parsed request, and errors rendered
//! in each AWS protocol's own shape (JSON 1.1, REST JSON, REST XML, query XML).

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use serde::Serialize;

use crate::locallab::machinery::xml::{ErrorResponse, WireError};

/// The largest request body any service here accepts. Every call the lab makes is tiny;
/// real AWS limits are of the same order (CloudFront's config document is the largest).
pub const MAX_BODY: usize = 1024 * 1024;

/// A request as the service handlers see it: decoded path segments, query pairs, whole body.
#[derive(Debug)]
pub struct AwsRequest {
    pub method: Method,
    pub path: String,
    /// Percent-decoded path segments, without empty ones.
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
    /// The query string as it arrived (still percent-encoded), for checking signatures.
    pub raw_query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl AwsRequest {
    pub fn new(method: Method, uri: &http::Uri, headers: HeaderMap, body: Bytes) -> Self {
        let path = uri.path().to_string();
        let segments = path.split('/').filter(|s| !s.is_empty()).map(percent_decode).collect();
        let raw_query = uri.query().unwrap_or_default().to_string();
        let query = form_urlencoded::parse(raw_query.as_bytes()).into_owned().collect();
        AwsRequest { method, path, segments, query, raw_query, headers, body }
    }

    /// The request with its first path segment taken off (`/123456789012/Dev/` → `/Dev/`).
    pub fn without_first_segment(mut self) -> AwsRequest {
        let rest = self.path.trim_start_matches('/');
        let rest = rest.find('/').map(|i| &rest[i..]).unwrap_or("/");
        self.path = rest.to_string();
        if !self.segments.is_empty() {
            self.segments.remove(0);
        }
        self
    }

    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The service a SigV4 signature is scoped to (`Credential=AKID/date/region/<service>/…`),
    /// which names the service the caller meant to reach.
    pub fn signing_service(&self) -> Option<&str> {
        let auth = self.header("authorization")?.strip_prefix("AWS4-HMAC-SHA256")?;
        let scope = auth.split(',').map(str::trim).find_map(|p| p.strip_prefix("Credential="))?;
        scope.split('/').nth(3).filter(|s| !s.is_empty())
    }

    /// True when the request carries a SigV4 signature (the lab accepts any credentials, but
    /// like AWS it refuses unsigned calls to operations that need them).
    pub fn is_signed(&self) -> bool {
        self.header("authorization").is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256"))
    }
}

fn percent_decode(s: &str) -> String {
    // Unlike a form body, a path keeps '+' literally.
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// An AWS error: HTTP status, the error code clients match on, and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError { status, code: code.to_string(), message: message.into() }
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            format!("Request body is larger than {MAX_BODY} bytes"),
        )
    }

    /// JSON 1.0/1.1 (Cognito): `{"__type": code, "message": …}`.
    pub fn into_aws_json(self) -> Response {
        let body = serde_json::json!({ "__type": self.code, "message": self.message });
        let mut response = json_response(self.status, &body, "application/x-amz-json-1.1");
        set_header(&mut response, "x-amzn-errortype", &self.code);
        response
    }

    /// REST JSON (API Gateway): the code in `x-amzn-ErrorType`, `{"message": …}` as the body.
    pub fn into_rest_json(self) -> Response {
        let body = serde_json::json!({ "message": self.message });
        let mut response = json_response(self.status, &body, "application/json");
        set_header(&mut response, "x-amzn-errortype", &self.code);
        response
    }

    /// REST XML and query XML (CloudFront, CloudFormation): an `ErrorResponse` document.
    pub fn into_xml(self, namespace: &'static str) -> Response {
        let server_fault = self.status.is_server_error();
        let body = ErrorResponse::new(server_fault, self.code, self.message, request_id()).to_xml(namespace);
        xml_response(self.status, body)
    }
}

impl From<WireError> for ApiError {
    fn from(e: WireError) -> Self {
        ApiError::bad_request(e.code(), e.to_string())
    }
}

/// A typed answer as JSON. Output shapes have string keys only, so this cannot fail; if one
/// ever did not, the answer would be `null` rather than a panic.
pub fn to_json(shape: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(shape).unwrap_or_default()
}

pub fn json_response(status: StatusCode, body: &impl Serialize, content_type: &str) -> Response {
    let mut response = Response::new(Body::from(serde_json::to_string(body).unwrap_or_default()));
    *response.status_mut() = status;
    set_header(&mut response, header::CONTENT_TYPE.as_str(), content_type);
    set_header(&mut response, "x-amzn-requestid", &request_id());
    response
}

pub fn xml_response(status: StatusCode, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    set_header(&mut response, header::CONTENT_TYPE.as_str(), "text/xml");
    set_header(&mut response, "x-amzn-requestid", &request_id());
    response
}

pub fn set_header(response: &mut Response, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (http::HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
        response.headers_mut().insert(name, value);
    }
}

pub fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Escapes text for an XML element or attribute.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// How long a request's URL and head (request line and headers) may be on a listener, as the
/// service it stands for limits them; checked before anything else is done with the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadLimits {
    /// Path and query, in bytes: longer is 414.
    pub url: usize,
    /// Request line and headers, in bytes: longer is 431.
    pub head: usize,
}

/// CloudFront's quotas: "Maximum length of a URL: 8,192 bytes"; "Maximum length of a request
/// ... including headers and query strings, but not including the body content: 20,480 bytes".
/// The AWS endpoint (signed SDK calls, the hosted UI) is held to the same.
pub const EDGE_HEAD: HeadLimits = HeadLimits { url: 8192, head: 20_480 };
/// The invoke URL: a URL within CloudFront's (which fronts edge-optimised APIs), and a head
/// of 32 KiB. API Gateway's quota for the request line and headers is 10,240 bytes, but the
/// lab's forged-token contract answers a 20 KB junk token with the authorizer's 401, so the
/// lab keeps a looser bound here: still far below what would cost it memory.
pub const INVOKE_HEAD: HeadLimits = HeadLimits { url: 8192, head: 32 * 1024 };

/// Refuses a request whose URL or head is longer than `limits` allow: 414 or 431.
pub fn check_head(limits: HeadLimits, method: &Method, uri: &http::Uri, headers: &HeaderMap) -> Result<(), ApiError> {
    let url = uri.path_and_query().map_or(0, |p| p.as_str().len());
    if url > limits.url {
        return Err(ApiError::new(
            StatusCode::URI_TOO_LONG,
            "URITooLong",
            format!("The URL is {url} bytes; at most {} are accepted.", limits.url),
        ));
    }
    let line = method.as_str().len() + 1 + url + " HTTP/1.1\r\n".len();
    let head = headers.iter().fold(line, |sum, (name, value)| sum + name.as_str().len() + 2 + value.len() + 2);
    if head > limits.head {
        return Err(ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "RequestHeaderFieldsTooLarge",
            format!("The request line and headers are {head} bytes; at most {} are accepted.", limits.head),
        ));
    }
    Ok(())
}

/// Reads a whole body, refusing more than [`MAX_BODY`] bytes without buffering them.
pub async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| ApiError::too_large())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_path_segments_and_query() {
        let uri: http::Uri = "/restapis/abc%20d/resources/x+y?embed=methods&a=b%3D".parse().unwrap();
        let req = AwsRequest::new(Method::GET, &uri, HeaderMap::new(), Bytes::new());
        assert_eq!(req.segments, ["restapis", "abc d", "resources", "x+y"]);
        assert_eq!(req.query_param("embed"), Some("methods"));
        assert_eq!(req.query_param("a"), Some("b="));
    }

    #[test]
    fn heads_are_measured_against_the_services_limits() {
        let limits = HeadLimits { url: 100, head: 200 };
        let uri = |len: usize| format!("/?q={}", "a".repeat(len - 4)).parse::<http::Uri>().unwrap();
        assert!(check_head(limits, &Method::GET, &uri(100), &HeaderMap::new()).is_ok());
        let long = check_head(limits, &Method::GET, &uri(101), &HeaderMap::new()).unwrap_err();
        assert_eq!(long.status, StatusCode::URI_TOO_LONG);
        // "GET " + 10 + " HTTP/1.1\r\n" = 25, and "x: " + value + "\r\n".
        let mut headers = HeaderMap::new();
        headers.insert("x", HeaderValue::from_str(&"v".repeat(200 - 25 - 5)).unwrap());
        assert!(check_head(limits, &Method::GET, &uri(10), &headers).is_ok());
        headers.insert("x", HeaderValue::from_str(&"v".repeat(200 - 25 - 4)).unwrap());
        let big = check_head(limits, &Method::GET, &uri(10), &headers).unwrap_err();
        assert_eq!(big.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    }

    #[test]
    fn escapes_xml() {
        assert_eq!(xml_escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
