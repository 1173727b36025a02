//! The three listeners and how a request finds its service. Every path answers in the shape
//! of the protocol the caller speaks, including for unknown operations and oversized bodies.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use http::{Method, StatusCode};
use tokio_util::sync::CancellationToken;

use super::account::Account;
use super::lab::LocalLab;
use super::wire::{ApiError, AwsRequest, read_body};
use super::{apigateway, cloudformation, cloudfront, cognito, edge, invoke};

pub(super) fn serve(
    lab: Arc<LocalLab>,
    [aws, edge, invoke]: [tokio::net::TcpListener; 3],
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
            tokio::spawn(async move {
                let shutdown = async move { cancel.cancelled().await };
                if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
                    tracing::error!("a local lab listener stopped: {e}");
                }
            })
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

/// The account a request is for. A lab that is not a room has one account, which every
/// request reaches whatever its credentials.
fn account_for(lab: &LocalLab) -> Result<Arc<Account>, ApiError> {
    lab.account().ok_or_else(|| {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", "The local lab has no account yet.")
    })
}

async fn aws_endpoint(State(lab): State<Arc<LocalLab>>, request: Request) -> Response {
    let protocol = Protocol::of(request.method(), request.uri(), request.headers());
    let req = match read_request(request).await {
        Ok(req) => req,
        Err((_, e)) => return protocol.error(e),
    };
    let account = match account_for(&lab) {
        Ok(account) => account,
        Err(e) => return protocol.error(e),
    };
    let ctx = &account.ctx;
    let segments: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    match (protocol, segments.as_slice()) {
        (Protocol::AwsJson, _) => {
            let target = req.header("x-amz-target").unwrap_or_default().to_string();
            match target.strip_prefix(cognito::TARGET_PREFIX) {
                Some(operation) if req.method == Method::POST => {
                    cognito::handle(ctx, &account.cognito, operation, &req)
                }
                _ => protocol.error(ApiError::bad_request(
                    "UnknownOperationException",
                    format!("The local lab does not implement {target}"),
                )),
            }
        }
        (Protocol::Query, _) => cloudformation::handle(ctx, &account.stacks, account.as_ref(), &req),
        (Protocol::CloudFrontXml, _) => cloudfront::handle(ctx, &account.cloudfront, &account.api_domain(), &req),
        (_, ["restapis", ..]) => {
            apigateway::handle(ctx, &account.apigateway, &|pool| cognito::has_pool(&account.cognito, pool), &req)
        }
        (_, [pool_id, ".well-known", document]) if req.method == Method::GET => {
            cognito::well_known(ctx, &account.cognito, pool_id, document)
        }
        (_, ["login"]) if req.method == Method::GET => cognito::hosted_ui(ctx),
        (_, ["_walab", "outbox"]) if req.method == Method::GET => cognito::outbox_page(&account.cognito),
        (_, ["_walab", "confirm"]) if req.method == Method::GET => {
            let query: BTreeMap<String, String> = req.query.iter().cloned().collect();
            cognito::confirm_link_page(ctx, &account.cognito, &query)
        }
        _ => protocol.error(ApiError::new(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            format!("The local lab has nothing at {} {}", req.method, req.path),
        )),
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

async fn edge_endpoint(State(lab): State<Arc<LocalLab>>, request: Request) -> Response {
    let req = match read_request(request).await {
        Ok(req) => req,
        Err((_, e)) => return edge::unreadable(e),
    };
    let account = match account_for(&lab) {
        Ok(account) => account,
        Err(e) => return edge::unreadable(e),
    };
    let api_domain = account.api_domain();
    let distribution =
        edge::Distribution { ctx: &account.ctx, cloudfront: &account.cloudfront, api_domain: &api_domain };
    let backends = invoke_backends(&account);
    edge::handle(&account.edge, distribution, |origin| invoke::handle(&backends, origin), req).await
}

async fn invoke_endpoint(State(lab): State<Arc<LocalLab>>, request: Request) -> Response {
    let req = match read_request(request).await {
        Ok(req) => req,
        Err((_, e)) => return e.into_rest_json(),
    };
    match account_for(&lab) {
        Ok(account) => invoke::handle(&invoke_backends(&account), &req),
        Err(e) => e.into_rest_json(),
    }
}
