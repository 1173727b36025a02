//! SigV4, checked as AWS checks it: the signature is computed again from the request (with the
//! `aws-sigv4` crate, the SDK's own signer) using the secret issued to the access key, and
//! compared in constant time; the credential scope must name the day of the request, the lab's
//! region and the service addressed; and the request's time must be within 15 minutes of now.
//!
//! A room checks every signed call this way; a lab that is not a room accepts any credentials,
//! as a learner's own machine may.

use std::time::{Duration, UNIX_EPOCH};

use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningInstructions, SigningSettings, sign,
};
use aws_sigv4::sign::v4::SigningParams;
use http::StatusCode;

use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::wire::{ApiError, AwsRequest};
use crate::secret::Secret;

/// How far a request's time may be from the lab's.
const MAX_SKEW_MS: Millis = 15 * 60 * 1000;

/// How a service names refusals of credentials: the JSON protocols (Cognito, API Gateway) one
/// way, the query and XML protocols (CloudFormation, STS, CloudFront) another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Json,
    QueryXml,
}

/// Why a request's credentials were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No signature where one is needed.
    Missing,
    /// The access key is not one the lab issued.
    UnknownKey,
    /// The signature does not match, or the scope is wrong (the message says which).
    Mismatch(String),
    /// The request's time is too far from now.
    Expired(String),
}

const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. \
Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

impl Refusal {
    pub fn into_error(self, dialect: Dialect) -> ApiError {
        let forbidden = |code: &str, message: &str| ApiError::new(StatusCode::FORBIDDEN, code, message);
        match (self, dialect) {
            (Refusal::Missing, Dialect::Json) => {
                forbidden("MissingAuthenticationTokenException", "Missing Authentication Token")
            }
            (Refusal::Missing, Dialect::QueryXml) => {
                forbidden("MissingAuthenticationToken", "Request is missing Authentication Token")
            }
            (Refusal::UnknownKey, Dialect::Json) => {
                forbidden("UnrecognizedClientException", "The security token included in the request is invalid.")
            }
            (Refusal::UnknownKey, Dialect::QueryXml) => {
                forbidden("InvalidClientTokenId", "The security token included in the request is invalid.")
            }
            (Refusal::Mismatch(message), Dialect::Json) => forbidden("InvalidSignatureException", &message),
            (Refusal::Mismatch(message), Dialect::QueryXml) => forbidden("SignatureDoesNotMatch", &message),
            (Refusal::Expired(message), Dialect::Json) => forbidden("InvalidSignatureException", &message),
            (Refusal::Expired(message), Dialect::QueryXml) => forbidden("RequestExpired", &message),
        }
    }
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 …` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization<'a> {
    pub access_key: &'a str,
    /// `YYYYMMDD`.
    pub date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub signed_headers: Vec<&'a str>,
    pub signature: &'a str,
}

/// Reads the `Authorization` header; `None` when there is none or it is not SigV4.
pub fn authorization(req: &AwsRequest) -> Option<Result<Authorization<'_>, Refusal>> {
    let value = req.header("authorization")?;
    let rest = value.strip_prefix("AWS4-HMAC-SHA256")?;
    Some(parse(rest.trim()))
}

fn parse(rest: &str) -> Result<Authorization<'_>, Refusal> {
    let incomplete = |what: &str| {
        Refusal::Mismatch(format!("Authorization header requires '{what}' parameter. Authorization=AWS4-HMAC-SHA256"))
    };
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let (name, value) = part.trim().split_once('=').unwrap_or((part.trim(), ""));
        match name {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed = Some(value),
            "Signature" => signature = Some(value),
            _ => {}
        }
    }
    let credential = credential.ok_or_else(|| incomplete("Credential"))?;
    let signed = signed.ok_or_else(|| incomplete("SignedHeaders"))?;
    let signature = signature.ok_or_else(|| incomplete("Signature"))?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key, date, region, service, terminator] = scope.as_slice() else {
        return Err(Refusal::Mismatch(format!(
            "Credential should be scoped to a valid region, service and date: {credential}"
        )));
    };
    if *terminator != "aws4_request" {
        return Err(Refusal::Mismatch("Credential should be scoped with a valid terminator: 'aws4_request'.".into()));
    }
    Ok(Authorization {
        access_key,
        date,
        region,
        service,
        signed_headers: signed.split(';').filter(|h| !h.is_empty()).collect(),
        signature,
    })
}

/// `20261127T120000Z` → milliseconds since the epoch.
pub fn parse_amz_date(value: &str) -> Option<Millis> {
    let b = value.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| value.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hour, minute, second) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + hour * 3_600 + minute * 60 + second) * 1000)
}

/// `ms` as `20261127T120000Z`.
pub fn format_amz_date(ms: Millis) -> String {
    let dt = aws_smithy_types::DateTime::from_millis(ms);
    let text = dt.fmt(aws_smithy_types::date_time::Format::DateTime).unwrap_or_default();
    // 2026-11-27T12:00:00Z (maybe with a fraction) → 20261127T120000Z
    let digits: String = text.chars().take(19).filter(|c| c.is_ascii_digit() || *c == 'T').collect();
    format!("{digits}Z")
}

/// What the room expects of a signature: the service addressed and the region it answers in.
pub struct Expected<'a> {
    pub service: &'a str,
    pub region: &'a str,
}

/// Checks a signed request. `secret_for` finds the secret issued to an access key. Returns the
/// access key the request was signed with.
pub fn verify<'a>(
    req: &'a AwsRequest,
    expected: &Expected,
    now: Millis,
    secret_for: impl FnOnce(&str) -> Option<Secret>,
) -> Result<&'a str, Refusal> {
    let auth = authorization(req).ok_or(Refusal::Missing)??;
    let secret = secret_for(auth.access_key).ok_or(Refusal::UnknownKey)?;
    let amz_date = req.header("x-amz-date").unwrap_or_default();
    let Some(time) = parse_amz_date(amz_date) else {
        return Err(Refusal::Mismatch(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.".into(),
        ));
    };
    if !amz_date.starts_with(auth.date) || auth.date.len() != 8 {
        return Err(Refusal::Mismatch(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from 'X-Amz-Date'.",
            auth.date,
            amz_date.get(..8).unwrap_or_default()
        )));
    }
    if auth.region != expected.region {
        return Err(Refusal::Mismatch(format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            auth.region
        )));
    }
    if auth.service != expected.service {
        return Err(Refusal::Mismatch(format!(
            "Credential should be scoped to correct service: '{}'. ",
            expected.service
        )));
    }
    if time < now - MAX_SKEW_MS {
        return Err(Refusal::Expired(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
            format_amz_date(now - MAX_SKEW_MS),
            format_amz_date(now)
        )));
    }
    if time > now + MAX_SKEW_MS {
        return Err(Refusal::Expired(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
            format_amz_date(now + MAX_SKEW_MS),
            format_amz_date(now)
        )));
    }
    check_payload_hash(req)?;
    let computed = signature(req, &auth, &secret, time).ok_or_else(|| Refusal::Mismatch(MISMATCH.into()))?;
    match aws_lc_rs::constant_time::verify_slices_are_equal(computed.as_bytes(), auth.signature.as_bytes()) {
        Ok(()) => Ok(auth.access_key),
        Err(_) => Err(Refusal::Mismatch(MISMATCH.into())),
    }
}

/// The hex SHA-256 of `bytes`, as SigV4 writes a payload's hash.
pub fn payload_hash(bytes: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The payload is always the body received: a client's `X-Amz-Content-Sha256` must be its hash.
/// `UNSIGNED-PAYLOAD` (and the streaming forms) only S3 accepts, which the lab does not serve;
/// the SDKs of the services it does serve send no such header.
fn check_payload_hash(req: &AwsRequest) -> Result<(), Refusal> {
    match req.header("x-amz-content-sha256") {
        None => Ok(()),
        Some(claimed) if claimed.eq_ignore_ascii_case(&payload_hash(&req.body)) => Ok(()),
        Some(_) => Err(Refusal::Mismatch(MISMATCH.into())),
    }
}

/// The signature the client should have sent: the request's signed headers, path, query and
/// the body received, signed again with `secret`.
fn signature(req: &AwsRequest, auth: &Authorization, secret: &Secret, time: Millis) -> Option<String> {
    let host = req.header("host")?;
    // The signed headers exactly, whatever the signer's defaults would leave out.
    let mut headers = Vec::new();
    for name in &auth.signed_headers {
        if *name == "x-amz-date" {
            continue; // the signer writes it from the time
        }
        for value in req.headers.get_all(*name) {
            headers.push((*name, value.to_str().ok()?));
        }
    }
    let body = SignableBody::Bytes(&req.body);
    let uri = if req.raw_query.is_empty() {
        format!("http://{host}{}", req.path)
    } else {
        format!("http://{host}{}?{}", req.path, req.raw_query)
    };
    let request = SignableRequest::new(req.method.as_str(), uri, headers.into_iter(), body).ok()?;
    let mut settings = SigningSettings::default();
    settings.excluded_headers = None;
    let (_, signature) =
        sign_as(request, (auth.access_key, secret.expose()), auth.region, auth.service, time, settings)?;
    Some(signature)
}

/// The longest a presigned URL may live, as AWS allows (7 days).
const MAX_EXPIRES_SECS: u64 = 7 * 24 * 60 * 60;

/// The query parameters of a presigned request that are its signature, not its own.
/// Signs `request` as the SDK's signer does, with the key `(access key id, secret)` at `time`
/// for `region` and `service`: what to add to the request, and the signature. The one place
/// the lab signs, whether to check a signature, presign a link or sign a join.
fn sign_as(
    request: SignableRequest<'_>,
    (access_key, secret): (&str, &str),
    region: &str,
    service: &str,
    time: Millis,
    settings: SigningSettings,
) -> Option<(SigningInstructions, String)> {
    let identity = aws_credential_types::Credentials::new(access_key, secret, None, None, "walab").into();
    let time = UNIX_EPOCH + Duration::from_millis(u64::try_from(time).ok()?);
    let params = SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(settings)
        .build()
        .ok()?
        .into();
    Some(sign(request, &params).ok()?.into_parts())
}

fn is_presign_param(name: &str) -> bool {
    matches!(
        name,
        "X-Amz-Algorithm"
            | "X-Amz-Credential"
            | "X-Amz-Date"
            | "X-Amz-Expires"
            | "X-Amz-SignedHeaders"
            | "X-Amz-Signature"
            | "X-Amz-Security-Token"
    )
}

/// Whether the request carries a presigned query (`X-Amz-Signature`).
pub fn is_presigned(req: &AwsRequest) -> bool {
    req.query_param("X-Amz-Signature").is_some()
}

/// Checks a presigned request (the signature in the query, as a link carries it): the scope as
/// [`verify`] does, the link's lifetime, and the signature over the request without the
/// signature's own parameters. Returns the access key it was signed with.
pub fn verify_presigned(
    req: &AwsRequest,
    expected: &Expected,
    now: Millis,
    secret_for: impl FnOnce(&str) -> Option<Secret>,
) -> Result<String, Refusal> {
    let param = |name: &str| req.query_param(name).unwrap_or_default().to_string();
    if param("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
        return Err(Refusal::Missing);
    }
    let credential = param("X-Amz-Credential");
    let signed = param("X-Amz-SignedHeaders");
    let given = param("X-Amz-Signature");
    let header = format!("Credential={credential}, SignedHeaders={signed}, Signature={given}");
    let auth = parse(&header)?;
    let secret = secret_for(auth.access_key).ok_or(Refusal::UnknownKey)?;
    let amz_date = param("X-Amz-Date");
    let time = parse_amz_date(&amz_date).ok_or_else(|| Refusal::Mismatch(MISMATCH.into()))?;
    let expires: u64 = param("X-Amz-Expires").parse().map_err(|_| Refusal::Mismatch(MISMATCH.into()))?;
    if expires > MAX_EXPIRES_SECS || !amz_date.starts_with(auth.date) {
        return Err(Refusal::Mismatch(MISMATCH.into()));
    }
    if auth.region != expected.region || auth.service != expected.service {
        return Err(Refusal::Mismatch(MISMATCH.into()));
    }
    let expires_ms = Millis::try_from(expires * 1000).unwrap_or(Millis::MAX);
    if now > time.saturating_add(expires_ms) || time > now + MAX_SKEW_MS {
        return Err(Refusal::Expired("Request has expired".into()));
    }
    let host = req.header("host").ok_or_else(|| Refusal::Mismatch(MISMATCH.into()))?;
    let own_query: Vec<&str> = req
        .raw_query
        .split('&')
        .filter(|pair| !pair.is_empty() && !is_presign_param(pair.split('=').next().unwrap_or_default()))
        .collect();
    let uri = if own_query.is_empty() {
        format!("http://{host}{}", req.path)
    } else {
        format!("http://{host}{}?{}", req.path, own_query.join("&"))
    };
    let headers: Vec<(&str, &str)> =
        auth.signed_headers.iter().filter_map(|name| Some((*name, req.headers.get(*name)?.to_str().ok()?))).collect();
    let computed = presign_params(
        req.method.as_str(),
        &uri,
        &headers,
        (auth.access_key, &secret),
        Expected { service: auth.service, region: auth.region },
        time,
        expires,
    )
    .and_then(|params| params.into_iter().find(|(k, _)| *k == "X-Amz-Signature").map(|(_, v)| v))
    .ok_or_else(|| Refusal::Mismatch(MISMATCH.into()))?;
    match aws_lc_rs::constant_time::verify_slices_are_equal(computed.as_bytes(), given.as_bytes()) {
        Ok(()) => Ok(auth.access_key.to_string()),
        Err(_) => Err(Refusal::Mismatch(MISMATCH.into())),
    }
}

/// The query parameters that presign `method uri` (`host` signed) for `expires` seconds.
fn presign_params(
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    (access_key, secret): (&str, &Secret),
    scope: Expected,
    time: Millis,
    expires: u64,
) -> Option<Vec<(&'static str, String)>> {
    let request = SignableRequest::new(method, uri, headers.iter().copied(), SignableBody::Bytes(b"")).ok()?;
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(expires));
    settings.excluded_headers = None;
    let (instructions, _) =
        sign_as(request, (access_key, secret.expose()), scope.region, scope.service, time, settings)?;
    let (_, params) = instructions.into_parts();
    Some(params.into_iter().map(|(k, v)| (k, v.into_owned())).collect())
}

/// A link to `url` (a GET) that carries its own signature for `expires` seconds from `time`:
/// what a browser can open as the holder of the key.
pub fn presign_url(url: &str, key: (&str, &Secret), scope: Expected, time: Millis, expires: u64) -> Option<String> {
    let parsed: http::Uri = url.parse().ok()?;
    let host = parsed.authority()?.as_str().to_string();
    let params = presign_params("GET", url, &[("host", host.as_str())], key, scope, time, expires)?;
    let query: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    let joiner = if parsed.query().is_some() { '&' } else { '?' };
    Some(format!("{url}{joiner}{query}"))
}

/// The headers that sign a request to a room with an attendee's key (`walab join` signing a
/// rejoin, a joined walab asking for its URLs): `X-Amz-Date` and `Authorization`.
pub fn sign_headers(
    method: &str,
    url: &str,
    body: &[u8],
    key: (&str, &Secret),
    scope: Expected,
    time: Millis,
) -> Option<Vec<(&'static str, String)>> {
    let parsed: http::Uri = url.parse().ok()?;
    let host = parsed.authority()?.as_str().to_string();
    let request =
        SignableRequest::new(method, url, [("host", host.as_str())].into_iter(), SignableBody::Bytes(body)).ok()?;
    let (instructions, _) =
        sign_as(request, (key.0, key.1.expose()), scope.region, scope.service, time, SigningSettings::default())?;
    let (headers, _) = instructions.into_parts();
    Some(
        headers
            .into_iter()
            .filter_map(|h| match h.name() {
                "authorization" => Some(("authorization", h.value().to_string())),
                "x-amz-date" => Some(("x-amz-date", h.value().to_string())),
                _ => None,
            })
            .collect(),
    )
}

/// The service name a room's own endpoints (join, an account's URLs, the outbox) are signed for.
pub const ROOM_SERVICE: &str = "walab-room";

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::{HeaderMap, HeaderValue, Method};

    use super::*;

    /// A request signed by the SDK's own signer, as a client would send it.
    fn signed(secret: &str, at: Millis, region: &str, body: &'static [u8]) -> AwsRequest {
        let amz_date = format_amz_date(at);
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("127.0.0.1:4566"));
        headers.insert("content-type", HeaderValue::from_static("application/x-amz-json-1.1"));
        headers.insert("x-amz-target", HeaderValue::from_static("AWSCognitoIdentityProviderService.ListUserPools"));
        headers.insert("x-amz-date", HeaderValue::from_str(&amz_date).unwrap());
        let signable = SignableRequest::new(
            "POST",
            "http://127.0.0.1:4566/",
            headers.iter().map(|(k, v)| (k.as_str(), v.to_str().unwrap())),
            SignableBody::Bytes(body),
        )
        .unwrap();
        let (instructions, _) =
            sign_as(signable, ("AKIDTEST", secret), region, "cognito-idp", at, SigningSettings::default()).unwrap();
        let (new_headers, _) = instructions.into_parts();
        for header in new_headers {
            headers.insert(header.name(), HeaderValue::from_str(header.value()).unwrap());
        }
        let uri: http::Uri = "/".parse().unwrap();
        AwsRequest::new(Method::POST, &uri, headers, Bytes::from_static(body))
    }

    const NOW: Millis = 1_795_766_400_000; // 2026-11-27T08:00:00Z
    const EXPECTED: Expected = Expected { service: "cognito-idp", region: "us-east-1" };

    #[test]
    fn a_request_signed_with_the_issued_secret_passes_and_nothing_else_does() {
        let secret = || Some(Secret::new("issued-secret"));
        let req = signed("issued-secret", NOW, "us-east-1", b"{\"MaxResults\":5}");
        assert_eq!(verify(&req, &EXPECTED, NOW, |_| secret()), Ok("AKIDTEST"));

        let wrong = signed("another-secret", NOW, "us-east-1", b"{}");
        assert!(matches!(verify(&wrong, &EXPECTED, NOW, |_| secret()), Err(Refusal::Mismatch(m)) if m == MISMATCH));
        assert_eq!(verify(&req, &EXPECTED, NOW, |_| None), Err(Refusal::UnknownKey));

        let mut tampered = signed("issued-secret", NOW, "us-east-1", b"{\"MaxResults\":5}");
        tampered.body = Bytes::from_static(b"{\"MaxResults\":6}");
        assert!(matches!(verify(&tampered, &EXPECTED, NOW, |_| secret()), Err(Refusal::Mismatch(_))));

        let elsewhere = signed("issued-secret", NOW, "eu-west-1", b"{}");
        assert!(
            matches!(verify(&elsewhere, &EXPECTED, NOW, |_| secret()), Err(Refusal::Mismatch(m)) if m.contains("region"))
        );
        let mut unsigned = req;
        unsigned.headers.remove("authorization");
        assert_eq!(verify(&unsigned, &EXPECTED, NOW, |_| secret()), Err(Refusal::Missing));
    }

    #[test]
    fn a_clock_off_by_more_than_15_minutes_is_refused_with_aws_words() {
        let secret = || Some(Secret::new("s"));
        let req = signed("s", NOW - 16 * 60_000, "us-east-1", b"{}");
        let Err(Refusal::Expired(message)) = verify(&req, &EXPECTED, NOW, |_| secret()) else { panic!() };
        assert_eq!(
            message,
            "Signature expired: 20261127T074400Z is now earlier than 20261127T074500Z (20261127T080000Z - 15 min.)"
        );
        let ok = signed("s", NOW - 14 * 60_000, "us-east-1", b"{}");
        assert!(verify(&ok, &EXPECTED, NOW, |_| secret()).is_ok());
        let future = signed("s", NOW + 16 * 60_000, "us-east-1", b"{}");
        assert!(
            matches!(verify(&future, &EXPECTED, NOW, |_| secret()), Err(Refusal::Expired(m)) if m.contains("not yet current"))
        );
    }

    /// A request signed with `X-Amz-Content-Sha256` among its headers.
    fn signed_with_hash(hash: &str, body: &'static [u8]) -> AwsRequest {
        let amz_date = format_amz_date(NOW);
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("127.0.0.1:4566"));
        headers.insert("x-amz-date", HeaderValue::from_str(&amz_date).unwrap());
        headers.insert("x-amz-content-sha256", HeaderValue::from_str(hash).unwrap());
        let body_for_signer = if hash == "UNSIGNED-PAYLOAD" {
            SignableBody::UnsignedPayload
        } else {
            SignableBody::Precomputed(hash.to_string())
        };
        let signable = SignableRequest::new(
            "POST",
            "http://127.0.0.1:4566/",
            headers.iter().map(|(k, v)| (k.as_str(), v.to_str().unwrap())),
            body_for_signer,
        )
        .unwrap();
        let (instructions, _) =
            sign_as(signable, ("AKIDTEST", "s"), "us-east-1", "cognito-idp", NOW, SigningSettings::default()).unwrap();
        for header in instructions.into_parts().0 {
            headers.insert(header.name(), HeaderValue::from_str(header.value()).unwrap());
        }
        let uri: http::Uri = "/".parse().unwrap();
        AwsRequest::new(Method::POST, &uri, headers, Bytes::from_static(body))
    }

    #[test]
    fn the_body_received_is_what_is_verified_whatever_the_content_hash_header_claims() {
        let secret = || Some(Secret::new("s"));
        let body = b"{\"MaxResults\":5}";
        let honest = signed_with_hash(&payload_hash(body), body);
        assert_eq!(verify(&honest, &EXPECTED, NOW, |_| secret()), Ok("AKIDTEST"));
        // The signature covers the claimed hash; the body was swapped under it.
        let swapped = signed_with_hash(&payload_hash(body), b"{\"MaxResults\":60}");
        assert!(matches!(verify(&swapped, &EXPECTED, NOW, |_| secret()), Err(Refusal::Mismatch(_))));
        // No service the lab serves accepts an unsigned payload.
        let unsigned = signed_with_hash("UNSIGNED-PAYLOAD", body);
        assert!(matches!(verify(&unsigned, &EXPECTED, NOW, |_| secret()), Err(Refusal::Mismatch(_))));
    }

    #[test]
    fn a_presigned_link_opens_for_its_key_until_it_expires() {
        let key = Secret::new("s");
        let scope = || Expected { service: ROOM_SERVICE, region: "us-east-1" };
        let url = presign_url("http://127.0.0.1:4566/_walab/outbox", ("AKIDTEST", &key), scope(), NOW, 3600).unwrap();
        let request = |url: &str| {
            let uri: http::Uri = url.parse().unwrap();
            let mut headers = HeaderMap::new();
            headers.insert("host", HeaderValue::from_static("127.0.0.1:4566"));
            AwsRequest::new(Method::GET, &uri, headers, Bytes::new())
        };
        let ok = request(&url);
        assert!(is_presigned(&ok));
        assert_eq!(verify_presigned(&ok, &scope(), NOW + 60_000, |_| Some(key.clone())), Ok("AKIDTEST".into()));
        assert!(matches!(
            verify_presigned(&ok, &scope(), NOW + 3_601_000, |_| Some(key.clone())),
            Err(Refusal::Expired(_))
        ));
        assert!(matches!(
            verify_presigned(&ok, &scope(), NOW, |_| Some(Secret::new("other"))),
            Err(Refusal::Mismatch(_))
        ));
        let moved = request(&url.replace("/_walab/outbox?", "/_walab/outbox?client_id=x&"));
        assert!(matches!(verify_presigned(&moved, &scope(), NOW, |_| Some(key.clone())), Err(Refusal::Mismatch(_))));
    }

    #[test]
    fn reads_amz_dates() {
        assert_eq!(parse_amz_date("19700101T000001Z"), Some(1000));
        assert_eq!(parse_amz_date("20261127T080000Z"), Some(NOW));
        assert_eq!(format_amz_date(NOW), "20261127T080000Z");
        for bad in ["", "2026-11-27T08:00:00Z", "20261327T080000Z", "20261127T080000"] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }
}
