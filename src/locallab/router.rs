//! The three listeners and how a request finds its service. Every path answers in the shape
//! of the protocol the caller speaks, including for unknown operations and oversized bodies.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use http::{Method, StatusCode};
use tokio_util::sync::CancellationToken;

use super::wire::{ApiError, AwsRequest, read_body};
use super::{LocalLab, apigateway, cloudformation, cloudfront, cognito, edge, invoke};

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

async fn aws_endpoint(State(lab): State<Arc<LocalLab>>, request: Request) -> Response {
    let protocol = Protocol::of(request.method(), request.uri(), request.headers());
    let req = match read_request(request).await {
        Ok(req) => req,
        Err((_, e)) => return protocol.error(e),
    };
    let segments: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    match (protocol, segments.as_slice()) {
        (Protocol::AwsJson, _) => {
            let target = req.header("x-amz-target").unwrap_or_default().to_string();
            match target.strip_prefix(cognito::TARGET_PREFIX) {
                Some(operation) if req.method == Method::POST => cognito::handle(&lab, operation, &req),
                _ => protocol.error(ApiError::bad_request(
                    "UnknownOperationException",
                    format!("The local lab does not implement {target}"),
                )),
            }
        }
        (Protocol::Query, _) => cloudformation::handle(&lab, &req),
        (Protocol::CloudFrontXml, _) => cloudfront::handle(&lab, &req),
        (_, ["restapis", ..]) => apigateway::handle(&lab, &req),
        (_, [pool_id, ".well-known", document]) if req.method == Method::GET => {
            cognito::well_known(&lab, pool_id, document)
        }
        (_, ["login"]) if req.method == Method::GET => cognito::hosted_ui(&lab),
        (_, ["_walab", "outbox"]) if req.method == Method::GET => cognito::outbox(&lab),
        (_, ["_walab", "confirm"]) if req.method == Method::GET => cognito::confirm_link(&lab, &req),
        _ => protocol.error(ApiError::new(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            format!("The local lab has nothing at {} {}", req.method, req.path),
        )),
    }
}

async fn edge_endpoint(State(lab): State<Arc<LocalLab>>, request: Request) -> Response {
    match read_request(request).await {
        Ok(req) => edge::handle(&lab, req).await,
        Err((_, e)) => edge::unreadable(e),
    }
}

async fn invoke_endpoint(State(lab): State<Arc<LocalLab>>, request: Request) -> Response {
    match read_request(request).await {
        Ok(req) => invoke::handle(&lab, &req),
        Err((_, e)) => e.into_rest_json(),
    }
}
