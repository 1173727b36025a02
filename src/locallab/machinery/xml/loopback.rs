//! For tests of the wire models: a loopback HTTP server that records what an official SDK
//! client sends and answers with the documents a test queues, and a structural comparison
//! of XML documents.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use axum::body::{Body, Bytes};
use axum::response::Response;
use http::{HeaderMap, Method, StatusCode, Uri};

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Captured {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: String,
}

#[derive(Debug, Clone)]
struct Answer {
    status: StatusCode,
    headers: Vec<(String, String)>,
    body: String,
}

#[derive(Default)]
struct Shared {
    answers: VecDeque<Answer>,
    requests: Vec<Captured>,
}

pub struct Loopback {
    url: String,
    shared: Arc<Mutex<Shared>>,
}

impl Loopback {
    /// Serves on an ephemeral loopback port until the test's runtime ends.
    pub async fn start() -> Loopback {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let state = shared.clone();
        let app = axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move {
                let mut shared = state.lock().unwrap();
                let body = String::from_utf8_lossy(&body).into_owned();
                shared.requests.push(Captured { method, uri, headers, body });
                let answer = shared.answers.pop_front().unwrap_or(Answer {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    headers: Vec::new(),
                    body: "no answer queued".into(),
                });
                let mut response = Response::new(Body::from(answer.body));
                *response.status_mut() = answer.status;
                response.headers_mut().insert("content-type", "text/xml".parse().unwrap());
                for (name, value) in answer.headers {
                    response
                        .headers_mut()
                        .insert(http::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
                }
                response
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Loopback { url, shared }
    }

    /// Queues the answer to the next request.
    pub fn answer(&self, status: u16, headers: &[(&str, &str)], body: impl Into<String>) {
        self.shared.lock().unwrap().answers.push_back(Answer {
            status: StatusCode::from_u16(status).unwrap(),
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            body: body.into(),
        });
    }

    /// The requests received so far, oldest first.
    pub fn requests(&self) -> Vec<Captured> {
        self.shared.lock().unwrap().requests.clone()
    }

    pub fn last(&self) -> Captured {
        self.requests().pop().expect("a request arrived")
    }

    /// An SDK configuration for this server: static credentials, no retries.
    pub fn sdk(&self) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "AKIDLOOPBACK",
                "loopback-secret",
                None,
                None,
                "walab-wire-tests",
            )))
            .retry_config(RetryConfig::disabled())
            .build()
    }
}

/// Asserts two documents have the same elements, attributes and texts, in the same order
/// (whitespace between elements aside; `<a/>` and `<a></a>` are the same).
pub fn assert_same_tree(left: &str, right: &str) {
    let l = roxmltree::Document::parse(left).unwrap_or_else(|e| panic!("left is not XML: {e}\n{left}"));
    let r = roxmltree::Document::parse(right).unwrap_or_else(|e| panic!("right is not XML: {e}\n{right}"));
    if let Err(at) = same(l.root_element(), r.root_element(), String::new()) {
        panic!("the documents differ at {at}\nleft:  {left}\nright: {right}");
    }
}

fn same(l: roxmltree::Node, r: roxmltree::Node, path: String) -> Result<(), String> {
    let path = format!("{path}/{}", l.tag_name().name());
    if l.tag_name() != r.tag_name() {
        return Err(format!("{path}: {:?} vs {:?}", l.tag_name(), r.tag_name()));
    }
    let attributes = |n: roxmltree::Node| -> Vec<(String, String)> {
        n.attributes().map(|a| (a.name().to_string(), a.value().to_string())).collect()
    };
    if attributes(l) != attributes(r) {
        return Err(format!("{path}: attributes {:?} vs {:?}", attributes(l), attributes(r)));
    }
    let lc: Vec<_> = l.children().filter(|c| c.is_element()).collect();
    let rc: Vec<_> = r.children().filter(|c| c.is_element()).collect();
    if lc.is_empty() && rc.is_empty() {
        let (lt, rt) = (l.text().unwrap_or_default(), r.text().unwrap_or_default());
        return if lt == rt { Ok(()) } else { Err(format!("{path}: {lt:?} vs {rt:?}")) };
    }
    if lc.len() != rc.len() {
        let names = |c: &[roxmltree::Node]| c.iter().map(|n| n.tag_name().name().to_string()).collect::<Vec<_>>();
        return Err(format!("{path}: children {:?} vs {:?}", names(&lc), names(&rc)));
    }
    for (i, (a, b)) in lc.into_iter().zip(rc).enumerate() {
        same(a, b, format!("{path}[{i}]"))?;
    }
    Ok(())
}
