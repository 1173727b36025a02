//! STS `GetCallerIdentity`, the first sanity check everyone runs (`aws sts
//! get-caller-identity`): who the caller's access key belongs to.
//!
//! Every AWS SDK and both AWS CLIs speak STS's query protocol today (botocore's and the Rust
//! SDK's models list only `awsQuery`): `POST /` with the form body
//! `Action=GetCallerIdentity&Version=2011-06-15`, or the same pairs in the query string, answered
//! in XML in STS's namespace, or in JSON when the request says `Accept: application/json`.
//! The AWS JSON 1.0 form (`X-Amz-Target: AWSSecurityTokenServiceV20110615.GetCallerIdentity`)
//! is answered too, for SDKs that move STS to JSON as they did other query services.
//!
//! How the local lab's router is expected to call it: send a request here when
//! [`is_addressed_to_sts`] says so (the SigV4 credential scope names `sts`, or the JSON target
//! is STS's), having found the lab account from [`access_key_id`]; then [`handle`] with the
//! body already read (bounded by the router) and a [`CallerIdentity`] for that account.

use axum::response::Response;
use http::{HeaderMap, Method, StatusCode, Uri, header};
use serde::Serialize;

use crate::locallab::machinery::wire::{ApiError, json_response, request_id, set_header, xml_response};
use crate::locallab::machinery::xml;

pub const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
pub const VERSION: &str = "2011-06-15";
/// The `X-Amz-Target` prefix of STS in the AWS JSON protocol (its Smithy service name).
pub const JSON_TARGET_PREFIX: &str = "AWSSecurityTokenServiceV20110615.";
/// The longest request accepted: GetCallerIdentity has no input, so anything larger is not one.
pub const MAX_REQUEST: usize = 8 * 1024;

/// What `GetCallerIdentity` answers (its JSON members as STS spells them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

impl CallerIdentity {
    /// The IAM user `user_name` of `account` whose access key is `access_key_id`. Its unique id
    /// is `AIDA` and 17 characters, as IAM users' are, derived from the key so it stays the same.
    pub fn iam_user(account: &str, access_key_id: &str, user_name: &str) -> Self {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_key_id.as_bytes());
        let suffix: String = digest.as_ref().iter().take(17).map(|b| ALPHABET[usize::from(b % 32)] as char).collect();
        CallerIdentity {
            account: account.to_string(),
            arn: format!("arn:aws:iam::{account}:user/{user_name}"),
            user_id: format!("AIDA{suffix}"),
        }
    }
}

/// True when a request is for STS: its SigV4 credential scope (header or presigned query) names
/// the service `sts`, or its JSON target is STS's.
pub fn is_addressed_to_sts(uri: &Uri, headers: &HeaderMap) -> bool {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok());
    target.is_some_and(|t| t.starts_with(JSON_TARGET_PREFIX))
        || credential(uri, headers).is_some_and(|c| c.service == "sts")
}

/// The access key id a SigV4 request was signed with.
pub fn access_key_id(uri: &Uri, headers: &HeaderMap) -> Option<String> {
    credential(uri, headers).map(|c| c.access_key_id)
}

struct Credential {
    access_key_id: String,
    service: String,
}

/// `Credential=AKID/20260101/us-east-1/sts/aws4_request` from the `Authorization` header, or
/// `X-Amz-Credential` from a presigned URL.
fn credential(uri: &Uri, headers: &HeaderMap) -> Option<Credential> {
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("AWS4-HMAC-SHA256"))
        .and_then(|rest| {
            rest.split(',').map(str::trim).find_map(|part| part.strip_prefix("Credential=")).map(str::to_string)
        });
    let scope = from_header.or_else(|| {
        let query = uri.query()?;
        form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "X-Amz-Credential").map(|(_, v)| v.into_owned())
    })?;
    let mut parts = scope.split('/');
    let access_key_id = parts.next().filter(|k| !k.is_empty())?.to_string();
    let service = parts.nth(2)?.to_string();
    Some(Credential { access_key_id, service })
}

/// Answers an STS request that reached `account`: the caller is an IAM user of the account,
/// named after the room's attendee (`walab-learner` outside a room).
pub fn serve(
    uri: &Uri,
    req: &crate::locallab::machinery::wire::AwsRequest,
    account: &str,
    attendee: Option<&str>,
) -> Response {
    let key = access_key_id(uri, &req.headers).unwrap_or_default();
    let name: String = attendee
        .map(|n| {
            n.trim().chars().map(|c| if c.is_ascii_alphanumeric() || "+=,.@_-".contains(c) { c } else { '-' }).collect()
        })
        .filter(|n: &String| !n.is_empty())
        .unwrap_or_else(|| "walab-learner".to_string());
    let caller = CallerIdentity::iam_user(account, &key, &name.chars().take(64).collect::<String>());
    handle(&req.method, uri, &req.headers, &req.body, &caller)
}

/// How the caller wants its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wire {
    /// Query protocol, XML answer.
    QueryXml,
    /// Query protocol with `Accept: application/json`.
    QueryJson,
    /// AWS JSON 1.0.
    AwsJson,
}

/// Answers an STS request for `caller`. Only `GetCallerIdentity` is served; every other
/// operation is refused with STS's own error code, naming STS.
pub fn handle(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8], caller: &CallerIdentity) -> Response {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok());
    let wire = Wire::of(headers);
    match answer(method, uri, headers, body, target, caller) {
        Ok(identity) => success(wire, identity),
        Err(e) => failure(wire, e),
    }
}

/// A refusal of the request's credentials, in the wire the caller speaks.
pub fn refusal(headers: &HeaderMap, e: ApiError) -> Response {
    failure(Wire::of(headers), e)
}

impl Wire {
    fn of(headers: &HeaderMap) -> Wire {
        let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok());
        if target.is_some() {
            Wire::AwsJson
        } else if headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.split(',').any(|t| t.trim().starts_with("application/json")))
        {
            Wire::QueryJson
        } else {
            Wire::QueryXml
        }
    }
}

fn answer(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    target: Option<&str>,
    caller: &CallerIdentity,
) -> Result<CallerIdentity, ApiError> {
    if body.len() > MAX_REQUEST {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            format!("Request body is larger than {MAX_REQUEST} bytes"),
        ));
    }
    if let Some(target) = target {
        if *method != Method::POST {
            return Err(ApiError::bad_request("UnknownOperationException", "AWS JSON requests are POST requests."));
        }
        return match target.strip_prefix(JSON_TARGET_PREFIX) {
            Some("GetCallerIdentity") => Ok(caller.clone()),
            _ => Err(unknown_operation(target)),
        };
    }
    let mut params: Vec<(String, String)> =
        uri.query().map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if *method == Method::POST && is_form {
        params.extend(form_urlencoded::parse(body).into_owned());
    }
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let action = param("Action").filter(|a| !a.is_empty());
    let version = param("Version").unwrap_or_default();
    match action {
        None => Err(ApiError::bad_request("MissingAction", "The request must contain the parameter Action.")),
        Some("GetCallerIdentity") if version == VERSION => Ok(caller.clone()),
        Some(action) => Err(ApiError::bad_request(
            "InvalidAction",
            format!(
                "Could not find operation {action} for version {version} (the local lab's STS answers GetCallerIdentity, version {VERSION})"
            ),
        )),
    }
}

fn unknown_operation(target: &str) -> ApiError {
    ApiError::bad_request(
        "UnknownOperationException",
        format!("The local lab's STS does not answer {target}; it answers GetCallerIdentity."),
    )
}

/// The query protocol's JSON answer: the response under its name (in XML, the root element).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct QueryJsonAnswer {
    get_caller_identity_response: QueryResponse,
}

/// The query protocol's answer: the result and the request's metadata.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct QueryResponse {
    get_caller_identity_result: CallerIdentity,
    response_metadata: ResponseMetadata,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ResponseMetadata {
    request_id: String,
}

/// The query protocol's JSON error: `{"Error": {"Code", "Message", "Type"}, "RequestId"}`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct QueryJsonError {
    error: QueryJsonErrorDetail,
    request_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct QueryJsonErrorDetail {
    code: String,
    message: String,
    #[serde(rename = "Type")]
    kind: &'static str,
}

/// The AWS JSON 1.0 error: the code qualified by STS's Smithy namespace.
#[derive(Serialize)]
struct AwsJsonError {
    #[serde(rename = "__type")]
    kind: String,
    message: String,
}

fn response(identity: CallerIdentity) -> QueryResponse {
    QueryResponse {
        get_caller_identity_result: identity,
        response_metadata: ResponseMetadata { request_id: request_id() },
    }
}

fn success(wire: Wire, identity: CallerIdentity) -> Response {
    match wire {
        Wire::QueryXml => {
            let response = response(identity);
            xml_response(StatusCode::OK, xml::to_document("GetCallerIdentityResponse", NAMESPACE, &response))
        }
        Wire::QueryJson => {
            let answer = QueryJsonAnswer { get_caller_identity_response: response(identity) };
            json_response(StatusCode::OK, &answer, "application/json")
        }
        Wire::AwsJson => json_response(StatusCode::OK, &identity, "application/x-amz-json-1.0"),
    }
}

fn failure(wire: Wire, e: ApiError) -> Response {
    let kind = if e.status.is_server_error() { "Receiver" } else { "Sender" };
    match wire {
        Wire::QueryXml => e.into_xml(NAMESPACE),
        Wire::QueryJson => {
            let error = QueryJsonError {
                error: QueryJsonErrorDetail { code: e.code, message: e.message, kind },
                request_id: request_id(),
            };
            json_response(e.status, &error, "application/json")
        }
        Wire::AwsJson => {
            // Query services that moved to JSON keep their query error codes in this header.
            let query_error = format!("{};{kind}", e.code);
            let error = AwsJsonError { kind: format!("com.amazonaws.sts#{}", e.code), message: e.message };
            let mut response = json_response(e.status, &error, "application/x-amz-json-1.0");
            set_header(&mut response, "x-amzn-query-error", &query_error);
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "123456789012";
    const KEY: &str = "AKIDWALABLOCAL";

    fn caller() -> CallerIdentity {
        CallerIdentity::iam_user(ACCOUNT, KEY, "walab-learner")
    }

    /// The headers `aws-sdk-sts` sends for GetCallerIdentity (SigV4, credential scope `sts`).
    fn sdk_headers(extra: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let pairs = [
            ("content-type", "application/x-www-form-urlencoded"),
            ("x-amz-date", "20261103T090507Z"),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDWALABLOCAL/20261103/us-east-1/sts/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            ),
        ];
        for (k, v) in pairs.iter().chain(extra) {
            headers.insert(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        headers
    }

    async fn body_of(response: Response) -> (StatusCode, HeaderMap, String) {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
    }

    fn xml_field(doc: &roxmltree::Document, name: &str) -> Option<String> {
        doc.descendants().find(|n| n.has_tag_name((NAMESPACE, name))).and_then(|n| n.text()).map(str::to_string)
    }

    #[tokio::test]
    async fn answers_the_query_protocol_in_xml() {
        let uri: Uri = "/".parse().unwrap();
        let body = b"Action=GetCallerIdentity&Version=2011-06-15";
        let response = handle(&Method::POST, &uri, &sdk_headers(&[]), body, &caller());
        let (status, headers, text) = body_of(response).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "text/xml");
        let doc = roxmltree::Document::parse(&text).unwrap();
        assert!(doc.root_element().has_tag_name((NAMESPACE, "GetCallerIdentityResponse")));
        assert_eq!(xml_field(&doc, "Account").as_deref(), Some(ACCOUNT));
        assert_eq!(xml_field(&doc, "Arn").as_deref(), Some("arn:aws:iam::123456789012:user/walab-learner"));
        let user_id = xml_field(&doc, "UserId").unwrap();
        assert!(user_id.starts_with("AIDA") && user_id.len() == 21, "{user_id}");
        assert!(xml_field(&doc, "RequestId").is_some());
    }

    #[tokio::test]
    async fn answers_a_get_with_the_query_string_and_json_when_asked() {
        let uri: Uri = "/?Action=GetCallerIdentity&Version=2011-06-15".parse().unwrap();
        let headers = sdk_headers(&[("accept", "application/json")]);
        let (status, _, text) = body_of(handle(&Method::GET, &uri, &headers, b"", &caller())).await;
        assert_eq!(status, StatusCode::OK);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let result = &value["GetCallerIdentityResponse"]["GetCallerIdentityResult"];
        assert_eq!(result["Account"], ACCOUNT);
        assert_eq!(result["Arn"], "arn:aws:iam::123456789012:user/walab-learner");
    }

    #[tokio::test]
    async fn answers_aws_json() {
        let uri: Uri = "/".parse().unwrap();
        let headers = sdk_headers(&[
            ("x-amz-target", "AWSSecurityTokenServiceV20110615.GetCallerIdentity"),
            ("content-type", "application/x-amz-json-1.0"),
        ]);
        let (status, headers, text) = body_of(handle(&Method::POST, &uri, &headers, b"{}", &caller())).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "application/x-amz-json-1.0");
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["Account"], ACCOUNT);
        assert_eq!(value["UserId"], caller().user_id);
    }

    #[tokio::test]
    async fn refuses_what_sts_refuses() {
        let uri: Uri = "/".parse().unwrap();
        let cases: Vec<(HeaderMap, &[u8], StatusCode, &str)> = vec![
            (sdk_headers(&[]), b"Action=AssumeRole&Version=2011-06-15", StatusCode::BAD_REQUEST, "InvalidAction"),
            (
                sdk_headers(&[]),
                b"Action=GetCallerIdentity&Version=2010-01-01",
                StatusCode::BAD_REQUEST,
                "InvalidAction",
            ),
            (sdk_headers(&[]), b"Version=2011-06-15", StatusCode::BAD_REQUEST, "MissingAction"),
            (sdk_headers(&[]), &[b'x'; MAX_REQUEST + 1], StatusCode::PAYLOAD_TOO_LARGE, "RequestEntityTooLarge"),
        ];
        for (headers, body, expected_status, expected_code) in cases {
            let (status, _, text) = body_of(handle(&Method::POST, &uri, &headers, body, &caller())).await;
            assert_eq!(status, expected_status, "{text}");
            let doc = roxmltree::Document::parse(&text).unwrap();
            assert_eq!(xml_field(&doc, "Code").as_deref(), Some(expected_code));
            assert!(text.contains(NAMESPACE));
        }
        let headers = sdk_headers(&[("x-amz-target", "AWSSecurityTokenServiceV20110615.AssumeRole")]);
        let (status, headers, text) = body_of(handle(&Method::POST, &uri, &headers, b"{}", &caller())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(headers["x-amzn-query-error"], "UnknownOperationException;Sender");
        assert!(text.contains("STS"), "{text}");
    }

    #[test]
    fn recognises_requests_for_sts_and_their_key() {
        let uri: Uri = "/".parse().unwrap();
        assert!(is_addressed_to_sts(&uri, &sdk_headers(&[])));
        assert_eq!(access_key_id(&uri, &sdk_headers(&[])).as_deref(), Some(KEY));
        let mut cloudformation = HeaderMap::new();
        cloudformation.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20261103/us-east-1/cloudformation/aws4_request, SignedHeaders=host, Signature=00"
                .parse()
                .unwrap(),
        );
        assert!(!is_addressed_to_sts(&uri, &cloudformation));
        let presigned: Uri =
            "/?Action=GetCallerIdentity&X-Amz-Credential=AKIDP%2F20261103%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Signature=00"
                .parse()
                .unwrap();
        assert!(is_addressed_to_sts(&presigned, &HeaderMap::new()));
        assert_eq!(access_key_id(&presigned, &HeaderMap::new()).as_deref(), Some("AKIDP"));
        assert_eq!(CallerIdentity::iam_user(ACCOUNT, KEY, "a"), CallerIdentity::iam_user(ACCOUNT, KEY, "a"));
    }

    /// The official client, through a loopback server that hands every request to [`handle`].
    #[tokio::test]
    async fn the_aws_sdk_reads_the_answer() {
        use aws_config::{BehaviorVersion, Region, SdkConfig};
        use aws_credential_types::Credentials;
        use aws_credential_types::provider::SharedCredentialsProvider;
        use aws_sdk_sts::error::ProvideErrorMetadata;

        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let address = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(|request: axum::extract::Request| async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, MAX_REQUEST + 1).await.unwrap_or_default();
            assert!(is_addressed_to_sts(&parts.uri, &parts.headers));
            let key = access_key_id(&parts.uri, &parts.headers).unwrap_or_default();
            let caller = CallerIdentity::iam_user(ACCOUNT, &key, "walab-learner");
            handle(&parts.method, &parts.uri, &parts.headers, &body, &caller)
        });
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let config = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(format!("http://{address}"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(KEY, "secret", None, None, "test")))
            .build();
        let output = aws_sdk_sts::Client::new(&config).get_caller_identity().send().await.unwrap();
        assert_eq!(output.account(), Some(ACCOUNT));
        assert_eq!(output.arn(), Some("arn:aws:iam::123456789012:user/walab-learner"));
        assert_eq!(output.user_id(), Some(caller().user_id.as_str()));
        let refused = aws_sdk_sts::Client::new(&config).get_session_token().send().await.unwrap_err();
        assert_eq!(refused.code(), Some("InvalidAction"));
        server.abort();
    }
}
