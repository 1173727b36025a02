//! The three listeners and how a request finds its service. Every path answers in the shape
//! of the protocol the caller speaks, including for unknown operations and oversized bodies.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::Response;
use http::{Method, StatusCode};
use tokio_util::sync::CancellationToken;

use crate::locallab::account::Account;
use crate::locallab::apigateway::{self, invoke};
use crate::locallab::cloudfront::{self, edge};
use crate::locallab::cognito::{self, hosted_ui};
use crate::locallab::lab::LocalLab;
use crate::locallab::machinery::listen::{self, ConnectionLimits};
use crate::locallab::machinery::resolve::{self, Addressed, Unsigned};
use crate::locallab::machinery::signing::Signing;
use crate::locallab::machinery::sigv4::{self, Dialect, Expected, Refusal};
use crate::locallab::machinery::wire::{ApiError, AwsRequest, EDGE_HEAD, INVOKE_HEAD, check_head, read_body};
use crate::locallab::room::api as room_api;
use crate::locallab::room::progress::{self, Seen};
use crate::locallab::{cloudformation, sts, waf};

pub(crate) fn serve(
    lab: Arc<LocalLab>,
    [aws, edge, invoke]: [tokio::net::TcpListener; 3],
    limits: ConnectionLimits,
    cancel: CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    let routers = [
        (aws, Router::new().fallback(aws_endpoint)),
        (edge, Router::new().fallback(edge_endpoint)),
        (invoke, Router::new().fallback(invoke_endpoint)),
    ];
    routers
        .into_iter()
        .map(|(listener, router)| {
            let app = router.with_state(lab.clone());
            let cancel = cancel.clone();
            tokio::spawn(listen::serve(listener, app, limits, cancel))
        })
        .collect()
}

/// The protocol a request speaks, known from its headers and path before its body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    AwsJson,
    Query,
    RestJson,
    CloudFrontXml,
}

impl Protocol {
    fn of(method: &Method, uri: &http::Uri, headers: &http::HeaderMap) -> Protocol {
        let path = uri.path();
        if headers.contains_key("x-amz-target") {
            Protocol::AwsJson
        } else if path.starts_with(&format!("/{}", cloudfront::API_VERSION)) {
            Protocol::CloudFrontXml
        } else if method == Method::POST
            && path == "/"
            && headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
        {
            Protocol::Query
        } else {
            Protocol::RestJson
        }
    }

    fn error(self, e: ApiError) -> Response {
        match self {
            Protocol::AwsJson => e.into_aws_json(),
            Protocol::Query => e.into_xml(cloudformation::NAMESPACE),
            Protocol::CloudFrontXml => e.into_xml(cloudfront::NAMESPACE),
            Protocol::RestJson => e.into_rest_json(),
        }
    }
}

async fn read_request(request: Request) -> Result<AwsRequest, (http::request::Parts, ApiError)> {
    let (parts, body) = request.into_parts();
    match read_body(body).await {
        Ok(body) => Ok(AwsRequest::new(parts.method, &parts.uri, parts.headers, body)),
        Err(e) => Err((parts, e)),
    }
}

/// What the AWS listener's request says about who sent it and to which service, with each
/// service's signing rule (Cognito's from its operation table; the other services answer only
/// signed calls) and its words for a call that should have been signed.
fn addressing(protocol: Protocol, req: &AwsRequest, to_sts: bool) -> Addressed {
    let region = crate::names::REGION;
    let target = req.header("x-amz-target").unwrap_or_default();
    let missing_json = || ApiError::bad_request("MissingAuthenticationTokenException", "Missing Authentication Token");
    let signed = |dialect, service, region, missing| Addressed {
        dialect,
        expected: Expected { service, region },
        unsigned: Unsigned::Refused,
        missing,
    };
    if to_sts {
        let dialect = if protocol == Protocol::AwsJson { Dialect::Json } else { Dialect::QueryXml };
        return signed(dialect, "sts", region, Refusal::Missing.into_error(Dialect::QueryXml));
    }
    if target.starts_with(waf::TARGET_PREFIX) {
        return signed(Dialect::Json, "wafv2", region, missing_json());
    }
    match protocol {
        Protocol::AwsJson => {
            let operation = target.strip_prefix(cognito::TARGET_PREFIX).unwrap_or_default();
            let unsigned = match cognito::signing(operation) {
                Signing::Signed => Unsigned::Refused,
                Signing::ByAccessToken => Unsigned::PoolId(cognito::pool_of_access_token(&req.body)),
                Signing::ByClientId => Unsigned::ClientId(cognito::client_id_of(&req.body)),
            };
            Addressed {
                dialect: Dialect::Json,
                expected: Expected { service: "cognito-idp", region },
                unsigned,
                missing: missing_json(),
            }
        }
        Protocol::Query => {
            signed(Dialect::QueryXml, "cloudformation", region, Refusal::Missing.into_error(Dialect::QueryXml))
        }
        Protocol::CloudFrontXml => signed(
            Dialect::QueryXml,
            "cloudfront",
            "us-east-1",
            ApiError::new(StatusCode::FORBIDDEN, "MissingAuthenticationToken", "Missing Authentication Token"),
        ),
        Protocol::RestJson => {
            let segments: Vec<&str> = req.segments.iter().map(String::as_str).collect();
            let query = |name: &str| req.query_param(name).map(String::from);
            let unsigned = match segments.as_slice() {
                ["restapis", ..] => Unsigned::Refused,
                [pool_id, ".well-known", _] => Unsigned::PoolId(Some(pool_id.to_string())),
                ["login"] | ["_walab", "confirm"] => Unsigned::ClientId(query("client_id")),
                _ => Unsigned::Unnamed,
            };
            Addressed {
                dialect: Dialect::Json,
                expected: Expected { service: "apigateway", region },
                unsigned,
                missing: Refusal::Missing.into_error(Dialect::Json),
            }
        }
    }
}

async fn aws_endpoint(State(lab): State<Arc<LocalLab>>, request: Request) -> Response {
    if let Err(e) = check_head(EDGE_HEAD, request.method(), request.uri(), request.headers()) {
        return Protocol::of(request.method(), request.uri(), request.headers()).error(e);
    }
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
    if lab.room.is_some() && request.uri().path() == hosted_ui::OUTBOX_PATH {
        return outbox_in_room(&lab, request).await;
    }
    if hosted_ui::serves(request.uri().path()) {
        let (request, account) = resolve::hosted_ui(&lab, request).await;
        return match account {
            Some(account) => account.hosted_ui(request).await,
            None => ApiError::new(
                StatusCode::NOT_FOUND,
                "ResourceNotFoundException",
                "No user pool client is named in this request.",
            )
            .into_rest_json(),
        };
    }
    let protocol = Protocol::of(request.method(), request.uri(), request.headers());
    let (uri, to_sts) = (request.uri().clone(), sts::is_addressed_to_sts(request.uri(), request.headers()));
    let req = match read_request(request).await {
        Ok(req) => req,
        Err((_, e)) => return protocol.error(e),
    };
    if req.method == Method::GET && req.segments.len() == 2 && req.segments[0] == "_walab" && req.segments[1] == "room"
    {
        // Judging every attendee of a large room takes a while: not on a thread that answers
        // the attendees' requests meanwhile.
        let lab = lab.clone();
        return tokio::task::spawn_blocking(move || room_api::snapshot_page(&lab, &req)).await.unwrap_or_else(|_| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure", "the snapshot failed").into_rest_json()
        });
    }
    let segments: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    match (segments.as_slice(), &req.method) {
        (["_walab", "room", "join"], &Method::POST) if lab.room.is_some() => return room_api::join(&lab, &req, peer),
        (["_walab", "room", "account"], &Method::GET) if lab.room.is_some() => {
            return room_api::account_page(&lab, &req);
        }
        (["_walab", "room", "reissue"], &Method::POST) => return room_api::reissue(&lab, &req),
        (["_walab", "room", "report"], &Method::POST) if lab.room.is_some() => return room_api::report(&lab, &req),
        _ => {}
    }
    let to_cognito = req.header("x-amz-target").is_some_and(|t| t.starts_with(cognito::TARGET_PREFIX));
    if protocol == Protocol::AwsJson
        && to_cognito
        && let Err(e) = cognito::check_content_type(&req)
    {
        return protocol.error(e);
    }
    let account = match resolve::control_plane(&lab, &req, addressing(protocol, &req, to_sts)) {
        Ok(account) => account,
        Err(e) if to_sts => return sts::refusal(&req.headers, e),
        Err(e) => return protocol.error(e),
    };
    let now = lab.clock.now_ms();
    progress::touch(&account.progress, now);
    let ctx = &account.ctx;
    if to_sts {
        return sts::serve(&uri, &req, &ctx.id, account.attendee.as_ref().map(|a| a.name.as_str()));
    }
    let service = req.signing_service().unwrap_or_default().to_string();
    match (protocol, segments.as_slice()) {
        (Protocol::AwsJson, _) => {
            let target = req.header("x-amz-target").unwrap_or_default().to_string();
            match target.strip_prefix(cognito::TARGET_PREFIX) {
                Some(operation) if req.method == Method::POST => {
                    let (response, observed) = cognito::handle(ctx, &account.cognito, operation, &req);
                    seen_by_cognito(&account, &observed, now);
                    response
                }
                _ if target.starts_with(waf::TARGET_PREFIX) => {
                    let stage_acl = |api: &str, stage: &str| apigateway::stage_web_acl(&account.apigateway, api, stage);
                    waf::handle(&account.waf, &stage_acl, &target[waf::TARGET_PREFIX.len()..], &req)
                }
                _ => protocol.error(ApiError::bad_request(
                    "UnknownOperationException",
                    format!("The local lab does not implement {target}"),
                )),
            }
        }
        (Protocol::Query, _) if !matches!(service.as_str(), "" | "cloudformation") => protocol.error(
            ApiError::bad_request("InvalidAction", format!("The local lab does not implement the {service} service.")),
        ),
        (Protocol::Query, _) => {
            let (response, observed) = cloudformation::handle(ctx, &account.stacks, account.as_ref(), &req);
            seen_by_cloudformation(&account, &observed, now);
            response
        }
        (Protocol::CloudFrontXml, _) => cloudfront::handle(ctx, &account.cloudfront, &account.api_domain(), &req),
        (_, ["restapis", ..]) => apigateway::handle(ctx, &account.apigateway, account.as_ref(), &req),
        (_, [pool_id, ".well-known", document]) if req.method == Method::GET => {
            cognito::well_known(ctx, &account.cognito, pool_id, document)
        }
        (_, ["_walab", "confirm"]) if req.method == Method::GET => {
            let query: BTreeMap<String, String> = req.query.iter().cloned().collect();
            let response = cognito::confirm_link_page(ctx, &account.cognito, &query);
            if response.status() == StatusCode::OK {
                progress::observe(&account.progress, Seen::UserConfirmed, now);
            }
            response
        }
        _ if !matches!(service.as_str(), "" | "apigateway" | "cognito-idp") => protocol.error(ApiError::new(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            format!("The local lab does not implement the {service} service ({} {}).", req.method, req.path),
        )),
        _ => protocol.error(ApiError::new(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            format!("The local lab has nothing at {} {}", req.method, req.path),
        )),
    }
}

/// The outbox in a room: an account's mail, only to that account. The request must be signed
/// with the attendee's key (a presigned link, as `walab join` prints, or a signed request);
/// anything else sees no one's mail.
async fn outbox_in_room(lab: &LocalLab, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = read_body(body).await else {
        return outbox_refused(&parts.headers);
    };
    let req = AwsRequest::new(parts.method.clone(), &parts.uri, parts.headers.clone(), body.clone());
    let expected = Expected { service: sigv4::ROOM_SERVICE, region: crate::names::REGION };
    let secret_for = |key: &str| lab.credentials(key).map(|(secret, _)| secret);
    let now = lab.clock.now_ms();
    let key = if sigv4::is_presigned(&req) {
        sigv4::verify_presigned(&req, &expected, now, secret_for).ok()
    } else if sigv4::authorization(&req).is_some() {
        sigv4::verify(&req, &expected, now, secret_for).ok().map(String::from)
    } else {
        None
    };
    match key.and_then(|key| lab.credentials(&key)) {
        Some((_, account)) => account.hosted_ui(Request::from_parts(parts, axum::body::Body::from(body))).await,
        None => outbox_refused(&parts.headers),
    }
}

fn outbox_refused(headers: &http::HeaderMap) -> Response {
    const WHY: &str = "This outbox shows an account's mail only to that account: open the outbox link \
                       `walab join` printed (it carries your account's signature).";
    let accept = headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if accept.contains("text/html") {
        let page = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Outbox</title></head>\
             <body><h1>Outbox</h1><p>{WHY}</p></body></html>"
        );
        let mut response = Response::new(axum::body::Body::from(page));
        *response.status_mut() = StatusCode::FORBIDDEN;
        response
            .headers_mut()
            .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("text/html; charset=utf-8"));
        return response;
    }
    crate::locallab::machinery::wire::json_response(
        StatusCode::FORBIDDEN,
        &serde_json::json!({ "messages": [], "message": WHY }),
        "application/json",
    )
}

/// What a room learns from a Cognito call that succeeded: what the operation observed.
fn seen_by_cognito(account: &Account, observed: &[cognito::Observed], now: i64) {
    for observed in observed {
        let seen = match observed {
            cognito::Observed::SecretHash => Seen::SecretHashVerified,
            cognito::Observed::TokensIssued => Seen::IdTokenIssued,
            cognito::Observed::ClientDescribed => Seen::ClientDescribed,
            cognito::Observed::UserConfirmed => Seen::UserConfirmed,
        };
        progress::observe(&account.progress, seen, now);
    }
}

/// DescribeStacks answered: which of the lab's stacks the attendee now knows.
/// The stacks a DescribeStacks described, as the room counts them.
fn seen_by_cloudformation(account: &Account, observed: &cloudformation::Observed, now: i64) {
    for name in &observed.described {
        match name.as_str() {
            crate::names::EDGE_STACK => progress::observe(&account.progress, Seen::EdgeStackDescribed, now),
            crate::names::API_STACK => progress::observe(&account.progress, Seen::ApiStackDescribed, now),
            _ => {}
        }
    }
}

fn invoke_backends(account: &Account) -> invoke::Backends<'_> {
    invoke::Backends {
        ctx: &account.ctx,
        apigateway: &account.apigateway,
        waf: &account.waf,
        cognito: &account.cognito,
    }
}

/// Keeps the answer to one of section 5.5's requests for the room's judgement (rooms only; a
/// body is read only when it is short and already whole).
async fn keep_answer(account: &Account, probe: progress::Probe, response: Response, now: i64) -> Response {
    if account.attendee.is_none() {
        return response;
    }
    use axum::body::HttpBody as _;
    let (parts, body) = response.into_parts();
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(String::from);
    let mut answer = progress::Answer {
        status: parts.status.as_u16(),
        x_cache: header("x-cache"),
        error_type: header("x-amzn-errortype"),
        body: String::new(),
        at: now,
    };
    if body.size_hint().exact().is_none_or(|n| n > progress::ANSWER_BODY as u64) {
        progress::answered(&account.progress, probe, answer, |a| {
            crate::locallab::room::judge::passes(account, probe, a)
        });
        return Response::from_parts(parts, body);
    }
    let bytes = axum::body::to_bytes(body, progress::ANSWER_BODY).await.unwrap_or_default();
    answer.body = String::from_utf8_lossy(&bytes).into_owned();
    progress::answered(&account.progress, probe, answer, |a| crate::locallab::room::judge::passes(account, probe, a));
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// True when the request carries something in `Authorization` (a token, for the lab's API).
fn has_token(req: &AwsRequest) -> bool {
    req.header("authorization").is_some_and(|v| !v.trim().is_empty())
}

async fn edge_endpoint(State(lab): State<Arc<LocalLab>>, request: Request) -> Response {
    if let Err(e) = check_head(EDGE_HEAD, request.method(), request.uri(), request.headers()) {
        return edge::unreadable(e);
    }
    let req = match read_request(request).await {
        Ok(req) => req,
        Err((_, e)) => return edge::unreadable(e),
    };
    let Some((account, req)) = resolve::by_path(&lab, req) else {
        return edge::unreadable(ApiError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "No distribution serves this address.",
        ));
    };
    let now = lab.clock.now_ms();
    progress::touch(&account.progress, now);
    let token = has_token(&req);
    let api_domain = account.api_domain();
    let distribution =
        edge::Distribution { ctx: &account.ctx, cloudfront: &account.cloudfront, api_domain: &api_domain };
    let backends = invoke_backends(&account);
    let response = edge::handle(&account.edge, distribution, |origin| invoke::handle(&backends, origin), req).await;
    let probe = if token { progress::Probe::WithToken } else { progress::Probe::Anonymous };
    let response = keep_answer(&account, probe, response, now).await;
    let seen = match (response.status().as_u16(), token) {
        (401, false) => Some(Seen::EdgeRefusedAnonymous),
        (401, true) => Some(Seen::EdgeRefusedToken),
        (200, false) => Some(Seen::EdgeServedAnonymous),
        (200, true) => Some(Seen::EdgeServedToken),
        _ => None,
    };
    if let Some(seen) = seen
        && progress::wants(&account.progress, seen, now)
    {
        // A 200 means something only once the API is protected.
        let protected = || {
            apigateway::lab_view(&account.apigateway, crate::names::STAGE)
                .and_then(|api| api.deployed)
                .is_some_and(|d| d.authorization.as_deref() == Some(crate::names::COGNITO_USER_POOLS))
        };
        if matches!(seen, Seen::EdgeRefusedAnonymous | Seen::EdgeRefusedToken) || protected() {
            progress::observe(&account.progress, seen, now);
        }
    }
    response
}

async fn invoke_endpoint(State(lab): State<Arc<LocalLab>>, request: Request) -> Response {
    if let Err(e) = check_head(INVOKE_HEAD, request.method(), request.uri(), request.headers()) {
        return e.into_rest_json();
    }
    let req = match read_request(request).await {
        Ok(req) => req,
        Err((_, e)) => return e.into_rest_json(),
    };
    let Some((account, req)) = resolve::by_path(&lab, req) else {
        return ApiError::new(StatusCode::FORBIDDEN, "ForbiddenException", "Forbidden").into_rest_json();
    };
    let now = lab.clock.now_ms();
    progress::touch(&account.progress, now);
    let response = invoke::handle(&invoke_backends(&account), &req);
    let response = keep_answer(&account, progress::Probe::Direct, response, now).await;
    if response.status() == StatusCode::FORBIDDEN {
        progress::observe(&account.progress, Seen::DirectRefused, now);
    }
    response
}
