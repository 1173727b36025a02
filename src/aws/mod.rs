//! The AWS side of walab: one client per service over one `SdkConfig`, and every call walab
//! makes to them (one module per service, shared by the checks, the solves and `walab token`),
//! each failure explained in one line with what to do about it.

pub mod apigateway;
pub mod cloudformation;
pub mod cloudfront;
pub mod cognito;
pub mod http;

use std::error::Error as StdError;

use aws_config::SdkConfig;
use aws_sdk_cloudformation::config::http::HttpResponse;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::error::display::DisplayErrorContext;

/// The lab's four services, all configured from the same `SdkConfig`.
#[derive(Clone, Debug)]
pub struct Clients {
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
    pub cloudformation: aws_sdk_cloudformation::Client,
    pub apigateway: aws_sdk_apigateway::Client,
    pub cloudfront: aws_sdk_cloudfront::Client,
    pub region: String,
    /// The AWS profile in use, for hints such as `aws sso login --profile P`.
    pub profile: Option<String>,
    /// The Cognito endpoint when not AWS's own (the local lab, `AWS_ENDPOINT_URL*`).
    cognito_endpoint: Option<String>,
    /// The endpoint every client uses when not AWS's own, named when a call gets no answer.
    endpoint: Option<String>,
}

impl Clients {
    pub fn new(sdk: &SdkConfig) -> Clients {
        let cognito_endpoint = std::env::var("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| sdk.endpoint_url().map(String::from));
        // Every answer bounded in size, every timeout told with the time it really took.
        let bounded = http::bounded_client(http::MAX_ANSWER_BYTES);
        macro_rules! client {
            ($sdk_crate:ident) => {
                $sdk_crate::Client::from_conf(
                    $sdk_crate::config::Builder::from(sdk)
                        .http_client(bounded.clone())
                        .interceptor(http::Stopwatch)
                        .build(),
                )
            };
        }
        Clients {
            cognito: client!(aws_sdk_cognitoidentityprovider),
            cloudformation: client!(aws_sdk_cloudformation),
            apigateway: client!(aws_sdk_apigateway),
            cloudfront: client!(aws_sdk_cloudfront),
            region: sdk.region().map(|r| r.to_string()).unwrap_or_else(|| "us-east-1".to_string()),
            profile: None,
            cognito_endpoint,
            endpoint: sdk.endpoint_url().map(String::from),
        }
    }

    pub fn with_profile(mut self, profile: Option<String>) -> Clients {
        self.profile = profile;
        self
    }

    /// Explains a failed call to `action`, with this target's profile in the hint.
    pub fn explain<E>(&self, err: &SdkError<E, HttpResponse>, action: &str) -> AwsProblem
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        let service = action.split_once(':').map_or(action, |(service, _)| service);
        let endpoint = match (service, &self.cognito_endpoint, &self.endpoint) {
            ("cognito-idp", Some(cognito), _) => cognito.clone(),
            (_, _, Some(endpoint)) => endpoint.clone(),
            ("cloudfront", _, _) => "https://cloudfront.amazonaws.com".to_string(),
            (service, _, _) => format!("https://{service}.{}.amazonaws.com", self.region),
        };
        explain(err, action, self.profile.as_deref(), &endpoint)
    }

    /// The endpoint walab talks to when it is not AWS's own (the local lab).
    pub fn endpoint(&self) -> Option<&str> {
        self.cognito_endpoint.as_deref()
    }

    /// The issuer a pool's tokens carry: always AWS's form, whatever the endpoint.
    pub fn issuer(&self, pool_id: &str) -> String {
        format!("https://cognito-idp.{}.amazonaws.com/{pool_id}", pool_region(pool_id).unwrap_or(&self.region))
    }

    /// Where the pool publishes its signing keys.
    pub fn jwks_url(&self, pool_id: &str) -> String {
        match &self.cognito_endpoint {
            Some(endpoint) => format!("{}/{pool_id}/.well-known/jwks.json", endpoint.trim_end_matches('/')),
            None => format!("{}/.well-known/jwks.json", self.issuer(pool_id)),
        }
    }
}

/// The region part of a user pool id (`us-east-1_AbC…` → `us-east-1`).
pub fn pool_region(pool_id: &str) -> Option<&str> {
    pool_id.split_once('_').map(|(region, _)| region)
}

/// How an unreachable AWS endpoint is reported (the runner skips the checks after it).
pub const UNREACHABLE: &str = "cannot reach the AWS endpoint";

/// How long walab waits for a connection to AWS before it says the endpoint cannot be reached.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// How long one attempt of an AWS call may take before walab gives up on it: 10 s, or
/// `WALAB_AWS_TIMEOUT_MS` (tests against a server that never answers make it short).
pub fn attempt_timeout() -> std::time::Duration {
    std::env::var("WALAB_AWS_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .map(std::time::Duration::from_millis)
        .unwrap_or(std::time::Duration::from_secs(10))
}

/// Connect, per-attempt and whole-operation bounds for every SDK call: no call waits forever
/// on an endpoint that accepts and never answers.
pub fn sdk_timeouts() -> aws_config::timeout::TimeoutConfig {
    let attempt = attempt_timeout();
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT.min(attempt))
        .operation_attempt_timeout(attempt)
        .operation_timeout(attempt * 2 + std::time::Duration::from_secs(1).min(attempt))
        .build()
}

/// How every SDK call retries: the SDK's standard mode (up to 3 attempts with jittered
/// exponential backoff, for throttling, 5xx and transient network errors), within the
/// whole-operation bound of [`sdk_timeouts`].
pub fn sdk_retries() -> aws_config::retry::RetryConfig {
    aws_config::retry::RetryConfig::standard().with_max_attempts(3)
}

/// What kind of trouble an AWS call ran into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    NoCredentials,
    SsoExpired,
    CredentialsExpired,
    CredentialsInvalid,
    AccessDenied,
    Unreachable,
    /// AWS is throttling the caller's requests.
    Throttled,
    /// The service failed on its side (HTTP 5xx), or sent an answer walab cannot read: nothing
    /// to do with the learner's lab.
    ServiceFault,
    /// The service refused the request; its error code.
    Service(String),
    Other,
}

/// A failed AWS call, explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsProblem {
    pub kind: ProblemKind,
    /// One line: what went wrong.
    pub message: String,
    /// One line: what to do, when walab knows.
    pub hint: Option<String>,
}

impl AwsProblem {
    /// The service's error code, for matching on specific refusals.
    pub fn code(&self) -> Option<&str> {
        match &self.kind {
            ProblemKind::Service(code) => Some(code),
            _ => None,
        }
    }

    /// True for trouble with the caller's identity rather than the lab (no credentials,
    /// expired session, missing permission).
    pub fn is_access(&self) -> bool {
        matches!(
            self.kind,
            ProblemKind::NoCredentials
                | ProblemKind::SsoExpired
                | ProblemKind::CredentialsExpired
                | ProblemKind::CredentialsInvalid
                | ProblemKind::AccessDenied
        )
    }

    /// True when walab could not find out how the lab stands (the caller's access, the network,
    /// throttling, the service's own failure): a check reports `error`, with no fix for the lab.
    /// Only a service's refusal with an error code of its own says something about the lab.
    pub fn is_error(&self) -> bool {
        !matches!(self.kind, ProblemKind::Service(_))
    }
}

impl std::fmt::Display for AwsProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Explains a failed call to `action` (an IAM action such as `cognito-idp:AdminGetUser`) made
/// to `endpoint`.
pub fn explain<E>(err: &SdkError<E, HttpResponse>, action: &str, profile: Option<&str>, endpoint: &str) -> AwsProblem
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    let chain = DisplayErrorContext(err).to_string();
    let lower = chain.to_ascii_lowercase();
    let profile_flag = profile.map(|p| format!(" --profile {p}")).unwrap_or_default();
    let problem = |kind, message: String, hint: Option<String>| AwsProblem { kind, message, hint };
    if let SdkError::ServiceError(service) = err {
        let status = service.raw().status().as_u16();
        let headers = service.raw().headers();
        let request_id = ["x-amzn-requestid", "x-amz-request-id", "x-amz-cf-id"].iter().find_map(|h| headers.get(*h));
        let retry_after = headers.get("retry-after").map(|v| format!(" (the service asks for {v} s)"));
        let code = service.err().code().map(String::from);
        let message = service.err().message().unwrap_or("").to_string();
        // What was asked, and what came back: the operation, the HTTP status, the AWS error code
        // and the request id, so an error can be reported to whoever runs the endpoint.
        let seen = |code: Option<&str>| {
            let mut seen = format!("HTTP {status}");
            match code {
                Some(code) => seen.push_str(&format!(" {code}")),
                None => seen.push_str(" with no AWS error code"),
            }
            if let Some(id) = request_id {
                seen.push_str(&format!(", request id {id}"));
            }
            seen
        };
        let throttled = |code: &str| {
            matches!(
                code,
                "ThrottlingException" | "Throttling" | "TooManyRequestsException" | "RequestLimitExceeded" | "SlowDown"
            )
        };
        return match code.as_deref() {
            Some("AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation") => problem(
                ProblemKind::AccessDenied,
                format!("not allowed to call {action} ({})", seen(code.as_deref())),
                Some(format!(
                    "your AWS identity needs the IAM permission {action} (README: the policy walab needs); your lab may be fine"
                )),
            ),
            Some("ExpiredToken" | "ExpiredTokenException" | "RequestExpired") => problem(
                ProblemKind::CredentialsExpired,
                "your AWS session credentials have expired".into(),
                Some(format!("refresh them (e.g. `aws sso login{profile_flag}`) and try again")),
            ),
            Some(c @ ("UnrecognizedClientException" | "InvalidClientTokenId" | "SignatureDoesNotMatch")) => problem(
                ProblemKind::CredentialsInvalid,
                format!("AWS does not accept these credentials ({c})"),
                Some("check the access key and secret, or the profile you selected".into()),
            ),
            Some(c) if throttled(c) || status == 429 => problem(
                ProblemKind::Throttled,
                format!("AWS is throttling walab's calls to {action} ({})", seen(code.as_deref())),
                Some(format!(
                    "wait a minute and run the checks again{}; nothing in your lab needs changing",
                    retry_after.unwrap_or_default()
                )),
            ),
            _ if status == 429 || status >= 500 => problem(
                ProblemKind::ServiceFault,
                format!(
                    "{action} failed on the service's side: {} from {endpoint}{}",
                    seen(code.as_deref()),
                    if message.is_empty() { String::new() } else { format!(": {message}") }
                ),
                Some(format!(
                    "the service failed, not your lab: try again in a minute{}",
                    retry_after.unwrap_or_default()
                )),
            ),
            None => problem(
                ProblemKind::ServiceFault,
                format!("{action}: {} from {endpoint}: not an answer walab can read", seen(None)),
                Some("check that the endpoint is AWS's (or AWS_ENDPOINT_URL, if you set it), then try again".into()),
            ),
            Some(c) => {
                let text = if message.is_empty() { c.to_string() } else { format!("{c}: {message}") };
                problem(ProblemKind::Service(c.to_string()), text, None)
            }
        };
    }
    if let SdkError::ResponseError(response) = err {
        return problem(
            ProblemKind::ServiceFault,
            format!(
                "{action}: HTTP {} from {endpoint}: not an answer walab can read ({})",
                response.raw().status().as_u16(),
                last_cause(err)
            ),
            Some("check that the endpoint is AWS's (or AWS_ENDPOINT_URL, if you set it), then try again".into()),
        );
    }
    if lower.contains("sso") && (lower.contains("expired") || lower.contains("token")) {
        return problem(
            ProblemKind::SsoExpired,
            "your AWS SSO session has expired".into(),
            Some(format!("run `aws sso login{profile_flag}`")),
        );
    }
    if lower.contains("credential") {
        return problem(
            ProblemKind::NoCredentials,
            "no AWS credentials found".into(),
            Some(format!(
                "configure them (`aws configure{profile_flag}` or `aws sso login{profile_flag}`), or use the local lab: --target local"
            )),
        );
    }
    if let SdkError::TimeoutError(_) = err {
        // The stopwatch on every client measured the whole call, retries included.
        let waited = match find_cause::<http::TimedOut>(err) {
            Some(timed_out) => format!("after {}", http::seconds(timed_out.elapsed)),
            None => format!("within {}", http::seconds(attempt_timeout())),
        };
        return problem(
            ProblemKind::Unreachable,
            format!("{UNREACHABLE} {endpoint}: no answer to {action} {waited}"),
            Some(
                "check that the endpoint is up and answering, or AWS_ENDPOINT_URL if you point walab at a local lab"
                    .into(),
            ),
        );
    }
    if matches!(err, SdkError::DispatchFailure(_)) {
        return problem(
            ProblemKind::Unreachable,
            format!("{UNREACHABLE} {endpoint}: {}", last_cause(err)),
            Some("check the network, or AWS_ENDPOINT_URL if you point walab at a local lab".into()),
        );
    }
    problem(
        ProblemKind::Other,
        format!("{action}: {chain}"),
        Some("try again; if it persists, check the endpoint".into()),
    )
}

/// The first error of type `T` in `err`'s chain of causes.
fn find_cause<'a, T: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut cause: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(current) = cause {
        if let Some(found) = current.downcast_ref::<T>() {
            return Some(found);
        }
        cause = current.source();
    }
    None
}

fn last_cause(err: &(dyn StdError + 'static)) -> String {
    let mut cause: &(dyn StdError + 'static) = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwks_url_follows_the_endpoint() {
        let local = crate::target::local_sdk_config("http://127.0.0.1:4566", "us-east-1");
        let clients = Clients::new(&local);
        assert_eq!(clients.jwks_url("us-east-1_Abc"), "http://127.0.0.1:4566/us-east-1_Abc/.well-known/jwks.json");
        assert_eq!(clients.issuer("eu-west-1_Abc"), "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc");
    }
}
