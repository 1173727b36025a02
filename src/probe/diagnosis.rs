//! What an answer from the lab's endpoints means, read from its status, `X-Cache` and body
//! text: the one reading `walab request` advises from and the checks diagnose from.

use super::{CacheStatus, ProbeResponse};

/// The kinds of answer section 5 is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Diagnosis {
    /// 2xx served from CloudFront's cache, without reaching the API.
    Cached,
    /// 2xx from the API itself (or with no CloudFront in front).
    Answered,
    /// 3xx: walab shows redirects without following them.
    Redirect { location: Option<String> },
    /// 400 from API Gateway's validator: `?id=` did not reach the API.
    MissingId,
    /// 401 because the ID token has expired.
    TokenExpired,
    /// 401 from the authorizer: no token, or one it does not accept.
    Unauthorized,
    /// 403 Missing Authentication Token: the stage has no method at this path.
    NoSuchPath,
    /// 403 Forbidden from AWS WAF (the origin-verify rule).
    Forbidden,
    /// 403 for another reason (CloudFront, WAF or API Gateway; the body says which).
    Denied,
    /// Anything else.
    Other,
}

/// Reads `response` the one way walab reads answers.
pub fn diagnose(response: &ProbeResponse) -> Diagnosis {
    let body = String::from_utf8_lossy(&response.body).to_ascii_lowercase();
    let error_type = response.headers.x_amzn_error_type.as_deref().unwrap_or_default().to_ascii_lowercase();
    match response.status {
        200..=299 if matches!(response.cache_status(), Some(CacheStatus::Hit | CacheStatus::RefreshHit)) => {
            Diagnosis::Cached
        }
        200..=299 => Diagnosis::Answered,
        300..=399 => Diagnosis::Redirect { location: response.headers.location.clone() },
        400 if body.contains("missing required request parameters") => Diagnosis::MissingId,
        401 if body.contains("expired") => Diagnosis::TokenExpired,
        401 => Diagnosis::Unauthorized,
        403 if body.contains("missing authentication token") => Diagnosis::NoSuchPath,
        403 if body.contains("forbidden") || error_type.contains("forbidden") => Diagnosis::Forbidden,
        403 => Diagnosis::Denied,
        _ => Diagnosis::Other,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::probe::ResponseHeaders;

    fn response(status: u16, body: &str, x_cache: Option<&str>, error_type: Option<&str>) -> ProbeResponse {
        ProbeResponse {
            url: "http://127.0.0.1:4567/?id=1".into(),
            status,
            reason: String::new(),
            latency: Duration::from_millis(1),
            headers: ResponseHeaders {
                x_cache: x_cache.map(String::from),
                x_amzn_error_type: error_type.map(String::from),
                location: (status == 302).then(|| "https://elsewhere/".to_string()),
                ..Default::default()
            },
            content_length: None,
            body: body.as_bytes().to_vec(),
            body_cut: None,
            token_sent: false,
        }
    }

    #[test]
    fn each_answer_of_section_5_is_read_from_status_cache_and_body() {
        let cases = [
            (response(200, "[]", Some("Hit from cloudfront"), None), Diagnosis::Cached),
            (response(200, "[]", Some("RefreshHit from cloudfront"), None), Diagnosis::Cached),
            (response(200, "[]", Some("Miss from cloudfront"), None), Diagnosis::Answered),
            (response(200, "[]", None, None), Diagnosis::Answered),
            (response(302, "", None, None), Diagnosis::Redirect { location: Some("https://elsewhere/".into()) }),
            (
                response(400, r#"{"message": "Missing required request parameters: [id]"}"#, None, None),
                Diagnosis::MissingId,
            ),
            (response(400, r#"{"message": "Bad"}"#, None, None), Diagnosis::Other),
            (response(401, r#"{"message":"The incoming token has expired"}"#, None, None), Diagnosis::TokenExpired),
            (response(401, r#"{"message":"Unauthorized"}"#, None, None), Diagnosis::Unauthorized),
            (response(403, r#"{"message":"Missing Authentication Token"}"#, None, None), Diagnosis::NoSuchPath),
            (response(403, r#"{"message":"Forbidden"}"#, None, None), Diagnosis::Forbidden),
            (response(403, "<html>no</html>", None, Some("ForbiddenException")), Diagnosis::Forbidden),
            (response(403, "<html>Request blocked</html>", None, None), Diagnosis::Denied),
            (response(503, "", None, None), Diagnosis::Other),
        ];
        for (response, expected) in cases {
            assert_eq!(diagnose(&response), expected, "{} {:?}", response.status, response.body_text());
        }
    }
}
