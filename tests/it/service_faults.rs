//! `failed` is the learner's, `error` is the service's: `walab check --target aws` against a
//! stand-in endpoint that answers every call with a fault the service, not the lab, is to blame
//! for. Every check is `error`, its summary names the status or the AWS error code, and no hint
//! sends the learner to change a lab that may be fine.

use crate::common::home::Home;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

#[derive(Clone, Copy, Debug)]
enum Fault {
    /// 500 with an HTML page, no AWS error code.
    Html500,
    /// 503 asking to come back later.
    Unavailable,
    /// Throttling, as each protocol says it.
    Throttled,
    /// AccessDenied naming the IAM action.
    Denied,
}

/// What the stand-in answers: the fault in the protocol of the call (JSON 1.1 for Cognito, the
/// query protocol's XML for CloudFormation, REST for the others).
fn answer(fault: Fault, headers: &HeaderMap, body: &Bytes) -> Response {
    let json = headers.get("x-amz-target").is_some();
    let query = String::from_utf8_lossy(body).contains("Action=");
    let xml_error = |status: StatusCode, code: &str, message: &str| {
        let body = format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>\
             <RequestId>req-1234</RequestId></ErrorResponse>"
        );
        (status, [("content-type", "text/xml"), ("x-amzn-requestid", "req-1234")], body).into_response()
    };
    let json_error = |status: StatusCode, code: &str, message: &str| {
        let body = serde_json::json!({"__type": code, "message": message}).to_string();
        (
            status,
            [
                ("content-type", "application/x-amz-json-1.1"),
                ("x-amzn-errortype", code),
                ("x-amzn-requestid", "req-1234"),
            ],
            body,
        )
            .into_response()
    };
    let coded = |status, code: &str, message: &str| {
        if json || !query { json_error(status, code, message) } else { xml_error(status, code, message) }
    };
    match fault {
        Fault::Html500 => {
            (StatusCode::INTERNAL_SERVER_ERROR, [("content-type", "text/html")], "<html><body>Oops</body></html>")
                .into_response()
        }
        Fault::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, [("retry-after", "7")], "").into_response(),
        Fault::Throttled => coded(StatusCode::BAD_REQUEST, "ThrottlingException", "Rate exceeded"),
        Fault::Denied => coded(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            "User: arn:aws:iam::123456789012:user/learner is not authorized to perform this action",
        ),
    }
}

async fn stand_in(fault: Fault) -> String {
    let app = axum::Router::new()
        .fallback(move |headers: HeaderMap, body: Bytes| async move { answer(fault, &headers, &body) });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_faults_are_errors_with_no_fix_for_the_lab() {
    let cases = [
        (Fault::Html500, "HTTP 500"),
        (Fault::Unavailable, "HTTP 503"),
        (Fault::Throttled, "ThrottlingException"),
        (Fault::Denied, "cloudformation:DescribeStacks"),
    ];
    for (fault, named) in cases {
        let endpoint = stand_in(fault).await;
        let home = Home::new();
        let mut cmd = home.command();
        cmd.args(["--target", "aws", "check", "--json"])
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_MAX_ATTEMPTS", "1")
            .env("AWS_CONFIG_FILE", home.config.path().join("no-aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.config.path().join("no-aws-credentials"));
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
        assert_eq!(out.status.code(), Some(1), "{fault:?}: {}", String::from_utf8_lossy(&out.stderr));
        let report: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        let checks = report["checks"].as_array().unwrap();
        assert_eq!(checks.len(), 12);
        let first = &checks[0];
        assert_eq!(first["id"], "stack-outputs");
        let summary = first["summary"].as_str().unwrap();
        assert!(summary.contains(named), "{fault:?}: {summary}");
        for check in checks {
            assert_eq!(check["status"], "error", "{fault:?}: {check}");
            let summary = check["summary"].as_str().unwrap();
            let hint = check["hint"].as_str().unwrap_or_default();
            assert!(summary != "Unknown" && !summary.contains("Unknown:"), "{fault:?}: {check}");
            for lab_fix in ["walab solve", "walab config set", "Create a Cognito authorizer"] {
                assert!(!hint.contains(lab_fix), "{fault:?}: no fix for the lab: {check}");
            }
        }
        let hint = first["hint"].as_str().unwrap();
        match fault {
            Fault::Denied => assert!(hint.contains("IAM permission cloudformation:DescribeStacks"), "{hint}"),
            Fault::Unavailable => assert!(hint.contains("try again") && hint.contains("7 s"), "{hint}"),
            _ => assert!(hint.contains("try again") || hint.contains("wait"), "{hint}"),
        }
    }
}
