//! What every SDK call walab makes reads, bounded: the HTTP client under the four service
//! clients caps a response body (an endless answer ends in an error, not in gigabytes), and a
//! stopwatch on every operation tells how long a call that timed out really waited (with its
//! retries), so the message states the elapsed time rather than one attempt's bound.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextMut,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, OrchestratorError};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// The most walab reads of one AWS answer. The largest the lab's calls get (a distribution's
/// configuration, a page of 500 REST APIs) is well under a megabyte.
pub const MAX_ANSWER_BYTES: u64 = 16 * 1024 * 1024;

/// The SDK's own HTTPS client (hyper 1, rustls with aws-lc, proxy settings from the
/// environment), with every response body capped at `cap` bytes.
pub fn bounded_client(cap: u64) -> SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::{Builder, ConnectorBuilder, tls};
    let inner = Builder::new().build_with_connector_fn(move |settings, components| {
        let mut builder =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc));
        builder.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            builder.set_sleep_impl(components.sleep_impl());
        }
        builder.set_proxy_config(Some(ProxyConfig::from_env()));
        builder.build()
    });
    SharedHttpClient::new(Bounded { inner, cap })
}

#[derive(Debug)]
struct Bounded {
    inner: SharedHttpClient,
    cap: u64,
}

impl HttpClient for Bounded {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(BoundedConnector {
            inner: self.inner.http_connector(settings, components),
            cap: self.cap,
        })
    }
}

#[derive(Debug)]
struct BoundedConnector {
    inner: SharedHttpConnector,
    cap: u64,
}

impl HttpConnector for BoundedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let answer = self.inner.call(request);
        let cap = self.cap;
        HttpConnectorFuture::new(async move {
            let response = answer.await?;
            Ok(response.map(move |body| {
                if body.content_length().is_some_and(|n| n <= cap) || body.bytes().is_some() {
                    body
                } else {
                    SdkBody::from_body_1_x(Capped { inner: body, read: 0, cap })
                }
            }))
        })
    }
}

/// A body that ends in [`TooLarge`] once more than `cap` bytes arrived.
struct Capped {
    inner: SdkBody,
    read: u64,
    cap: u64,
}

/// An answer larger than walab reads.
#[derive(Debug)]
pub struct TooLarge {
    pub cap: u64,
}

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the answer is larger than {} MiB, more than any AWS answer walab reads", self.cap / (1024 * 1024))
    }
}

impl std::error::Error for TooLarge {}

impl Body for Capped {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.read > self.cap {
            return Poll::Ready(Some(Err(Box::new(TooLarge { cap: self.cap }))));
        }
        let frame = std::task::ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if let Some(Ok(frame)) = &frame
            && let Some(data) = frame.data_ref()
        {
            self.read += data.len() as u64;
            if self.read > self.cap {
                return Poll::Ready(Some(Err(Box::new(TooLarge { cap: self.cap }))));
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// When an operation began (kept in its config bag).
#[derive(Debug, Clone, Copy)]
struct Began(Instant);

impl Storable for Began {
    type Storer = StoreReplace<Self>;
}

/// A call that got no answer in time: how long it really waited, retries included.
#[derive(Debug)]
pub struct TimedOut {
    pub elapsed: Duration,
    /// The SDK's word on which bound was hit.
    pub bound: String,
}

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no answer after {} ({})", seconds(self.elapsed), self.bound)
    }
}

impl std::error::Error for TimedOut {}

/// `1.2 s`, `20 s`: a duration as a person reads it.
pub fn seconds(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs >= 10.0 { format!("{secs:.0} s") } else { format!("{secs:.1} s") }
}

/// Times every operation; a timeout's error is replaced by [`TimedOut`], which names the
/// elapsed time of the whole operation.
#[derive(Debug)]
pub struct Stopwatch;

impl Intercept for Stopwatch {
    fn name(&self) -> &'static str {
        "walab-stopwatch"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Began(Instant::now()));
        Ok(())
    }

    fn modify_before_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Began(began)) = cfg.load::<Began>().copied() else { return Ok(()) };
        if let Some(result) = context.output_or_error_mut()
            && let Err(error) = result
            && error.is_timeout_error()
        {
            let bound = innermost(error);
            *result = Err(OrchestratorError::timeout(Box::new(TimedOut { elapsed: began.elapsed(), bound })));
        }
        Ok(())
    }
}

fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// Reads `response`'s body, at most `cap` bytes: a longer one is an error, read no further
/// (for the few answers walab reads with reqwest: a pool's JWKS, a room's answers).
pub async fn read_capped(mut response: reqwest::Response, cap: usize) -> Result<Vec<u8>, String> {
    if response.content_length().is_some_and(|n| n > cap as u64) {
        return Err(too_large(cap));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| innermost(&e))? {
        if body.len() + chunk.len() > cap {
            return Err(too_large(cap));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn too_large(cap: usize) -> String {
    if cap >= 1024 * 1024 {
        format!("the answer is larger than {} MiB", cap / (1024 * 1024))
    } else {
        format!("the answer is larger than {} KiB", cap / 1024)
    }
}
