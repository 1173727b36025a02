//! CloudFront through the official SDK client and the edge through plain HTTP: the
//! distribution as section 5 finds it, ETag-guarded updates, invalidations, cache policies,
//! and the edge's cache with the lab's trap.
//!
//! On this branch the origin behind the edge (API Gateway's invoke side) may still be a stub;
//! assertions about origin answers therefore check what CloudFront itself guarantees: a
//! request that reaches the origin is never a `Hit`, and `X-Cache` agrees with the status.
// The SDK marks the legacy `ForwardedValues` and behaviour TTLs deprecated; the lab's
// distribution uses exactly those, so the tests must too.
#![allow(deprecated)]

use crate::common;

use std::time::Duration;

use crate::common::TestLab;
use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::error::ProvideErrorMetadata;
use aws_sdk_cloudfront::types::{CachePolicyConfig, DistributionConfig, Headers, InvalidationBatch, Paths};
use walab::locallab::{LabOptions, RunningLab, Timing};

const HIT: &str = "Hit from cloudfront";
const MESSI: &str = r#"["My favorite player is Lionel Messi"]"#;

async fn distribution_id(cf: &Client) -> String {
    let list = cf.list_distributions().send().await.unwrap();
    let items = list.distribution_list().unwrap().items();
    assert_eq!(items.len(), 1);
    items[0].id().to_string()
}

async fn config(cf: &Client, id: &str) -> (DistributionConfig, String) {
    let out = cf.get_distribution_config().id(id).send().await.unwrap();
    (out.distribution_config().unwrap().clone(), out.e_tag().unwrap().to_string())
}

/// Step 5.4 through the API: add `Authorization` to the legacy forwarded headers.
async fn forward_authorization(cf: &Client, id: &str) -> String {
    let (mut config, etag) = config(cf, id).await;
    let behavior = config.default_cache_behavior.as_mut().unwrap();
    behavior.forwarded_values.as_mut().unwrap().headers =
        Some(Headers::builder().quantity(1).items("Authorization").build().unwrap());
    let out = cf.update_distribution().id(id).if_match(etag).distribution_config(config).send().await.unwrap();
    out.e_tag().unwrap().to_string()
}

async fn invalidate(cf: &Client, id: &str, path: &str, reference: &str) -> String {
    let batch = InvalidationBatch::builder()
        .paths(Paths::builder().quantity(1).items(path).build().unwrap())
        .caller_reference(reference)
        .build()
        .unwrap();
    let out = cf.create_invalidation().distribution_id(id).invalidation_batch(batch).send().await.unwrap();
    out.invalidation().unwrap().id().to_string()
}

struct EdgeAnswer {
    status: u16,
    x_cache: String,
    age: Option<u64>,
    headers: reqwest::header::HeaderMap,
    body: String,
}

async fn edge(lab: &TestLab, path: &str, token: Option<&str>) -> EdgeAnswer {
    edge_request(lab, reqwest::Method::GET, path, token).await
}

async fn edge_request(lab: &TestLab, method: reqwest::Method, path: &str, token: Option<&str>) -> EdgeAnswer {
    let url = format!("http://{}{path}", lab.running.endpoints().edge);
    let mut request = common::http().request(method, url);
    if let Some(token) = token {
        request = request.header("Authorization", token);
    }
    let response = request.send().await.unwrap();
    let headers = response.headers().clone();
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let x_cache = text("x-cache").expect("every edge answer carries X-Cache");
    let age = text("age").map(|a| a.parse().unwrap());
    let status = response.status().as_u16();
    EdgeAnswer { status, x_cache, age, body: response.text().await.unwrap(), headers }
}

/// An answer that went to the origin: never a hit, and X-Cache agrees with the status.
fn assert_from_origin(answer: &EdgeAnswer) {
    assert_ne!(answer.x_cache, HIT);
    assert!(answer.age.is_none(), "fresh from the origin, no Age");
    let expected = if answer.status >= 400 { "Error from cloudfront" } else { "Miss from cloudfront" };
    assert_eq!(answer.x_cache, expected, "status {}", answer.status);
}

/// The AWS error code of a refused call.
fn code<E: ProvideErrorMetadata, R>(err: aws_sdk_cloudfront::error::SdkError<E, R>) -> String {
    match err {
        aws_sdk_cloudfront::error::SdkError::ServiceError(e) => e.err().code().unwrap_or("<none>").to_string(),
        other => panic!("expected a service error, got {}", std::any::type_name_of_val(&other)),
    }
}

#[tokio::test]
async fn the_distribution_is_as_section_5_finds_it() {
    let lab = TestLab::start().await;
    let cf = lab.cloudfront();
    let list = cf.list_distributions().send().await.unwrap();
    let summary = &list.distribution_list().unwrap().items()[0];
    assert_eq!(summary.status(), "Deployed");
    assert!(summary.domain_name().ends_with(".cloudfront.net"));
    assert!(summary.enabled());
    let id = summary.id().to_string();

    let got = cf.get_distribution().id(&id).send().await.unwrap();
    let distribution = got.distribution().unwrap();
    assert_eq!(distribution.status(), "Deployed");
    assert_eq!(distribution.in_progress_invalidation_batches(), 0);
    let (config, etag) = config(&cf, &id).await;
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    assert_eq!(distribution.distribution_config(), Some(&config));

    let origin = &config.origins().unwrap().items()[0];
    assert!(origin.domain_name().ends_with(".execute-api.us-east-1.amazonaws.com"));
    assert_eq!(origin.origin_path(), Some("/Dev"));
    let custom = origin.custom_origin_config().unwrap();
    assert_eq!(custom.origin_protocol_policy().as_str(), "https-only");
    let header = &origin.custom_headers().unwrap().items()[0];
    assert_eq!(header.header_name(), "X-Origin-Verify");
    let secret = walab::locallab::waf::acls(&lab.account().waf).header_value.expose().to_string();
    assert_eq!(header.header_value(), secret);

    let behavior = config.default_cache_behavior().unwrap();
    let methods: Vec<&str> = behavior.allowed_methods().unwrap().items().iter().map(|m| m.as_str()).collect();
    assert_eq!(methods, ["HEAD", "GET"]);
    let forwarded = behavior.forwarded_values().unwrap();
    assert!(forwarded.query_string());
    assert_eq!(forwarded.headers().unwrap().quantity(), 0);
    assert_eq!(
        (behavior.min_ttl(), behavior.default_ttl(), behavior.max_ttl()),
        (Some(0), Some(86400), Some(31536000))
    );
    assert!(config.enabled());
}

#[tokio::test]
async fn an_update_round_trips_and_etags_guard_it() {
    let lab = TestLab::start().await;
    let cf = lab.cloudfront();
    let id = distribution_id(&cf).await;
    let (config_before, stale) = config(&cf, &id).await;

    let (mut changed, etag) = config(&cf, &id).await;
    changed.default_cache_behavior.as_mut().unwrap().forwarded_values.as_mut().unwrap().headers =
        Some(Headers::builder().quantity(1).items("Authorization").build().unwrap());
    let updated =
        cf.update_distribution().id(&id).if_match(&etag).distribution_config(changed.clone()).send().await.unwrap();
    assert_eq!(updated.distribution().unwrap().status(), "InProgress", "an update starts InProgress");
    let new_etag = updated.e_tag().unwrap().to_string();
    assert_ne!(new_etag, etag);

    let (read_back, read_etag) = config(&cf, &id).await;
    assert_eq!(read_back, changed);
    assert_eq!(read_etag, new_etag);
    let headers = read_back.default_cache_behavior().unwrap().forwarded_values().unwrap().headers().unwrap();
    assert_eq!(headers.items(), ["Authorization"]);
    // The lab's deploy time is zero in tests: it is Deployed by the next look.
    let got = cf.get_distribution().id(&id).send().await.unwrap();
    assert_eq!(got.distribution().unwrap().status(), "Deployed");

    // Refusals: stale ETag, missing If-Match, changed CallerReference, unknown id.
    let stale_update =
        cf.update_distribution().id(&id).if_match(&stale).distribution_config(config_before.clone()).send().await;
    assert_eq!(code(stale_update.unwrap_err()), "PreconditionFailed");
    let no_if_match = cf.update_distribution().id(&id).distribution_config(config_before.clone()).send().await;
    assert_eq!(code(no_if_match.unwrap_err()), "InvalidIfMatchVersion");
    let mut renamed = config_before.clone();
    renamed.caller_reference = "someone-else".to_string();
    let illegal = cf.update_distribution().id(&id).if_match(&new_etag).distribution_config(renamed).send().await;
    assert_eq!(code(illegal.unwrap_err()), "IllegalUpdate");
    let unknown = cf
        .update_distribution()
        .id("E000NOSUCHDIST")
        .if_match(&new_etag)
        .distribution_config(config_before)
        .send()
        .await;
    assert_eq!(code(unknown.unwrap_err()), "NoSuchDistribution");
    assert_eq!(code(cf.get_distribution().id("E000NOSUCHDIST").send().await.unwrap_err()), "NoSuchDistribution");
    assert_eq!(code(cf.get_distribution_config().id("E000NOSUCHDIST").send().await.unwrap_err()), "NoSuchDistribution");

    // Nothing refused changed anything.
    assert_eq!(config(&cf, &id).await, (read_back, new_etag));
}

#[tokio::test]
async fn configurations_the_edge_cannot_use_are_refused() {
    let lab = TestLab::start().await;
    let cf = lab.cloudfront();
    let id = distribution_id(&cf).await;
    let (config, etag) = config(&cf, &id).await;

    let mut neither = config.clone();
    neither.default_cache_behavior.as_mut().unwrap().forwarded_values = None;
    let err = cf.update_distribution().id(&id).if_match(&etag).distribution_config(neither.clone()).send().await;
    assert_eq!(code(err.unwrap_err()), "InvalidArgument");

    let mut no_policy = neither;
    no_policy.default_cache_behavior.as_mut().unwrap().cache_policy_id =
        Some("00000000-0000-0000-0000-000000000000".into());
    let err = cf.update_distribution().id(&id).if_match(&etag).distribution_config(no_policy).send().await;
    assert_eq!(code(err.unwrap_err()), "NoSuchCachePolicy");

    let mut bad_ttls = config.clone();
    bad_ttls.default_cache_behavior.as_mut().unwrap().min_ttl = Some(100_000);
    let err = cf.update_distribution().id(&id).if_match(&etag).distribution_config(bad_ttls).send().await;
    assert_eq!(code(err.unwrap_err()), "InvalidTTLOrder");

    let mut miscounted = config.clone();
    miscounted.default_cache_behavior.as_mut().unwrap().forwarded_values.as_mut().unwrap().headers =
        Some(Headers::builder().quantity(2).items("Authorization").build().unwrap());
    let err = cf.update_distribution().id(&id).if_match(&etag).distribution_config(miscounted).send().await;
    assert_eq!(code(err.unwrap_err()), "InconsistentQuantities");

    let mut lost = config.clone();
    lost.default_cache_behavior.as_mut().unwrap().target_origin_id = "nowhere".into();
    let err = cf.update_distribution().id(&id).if_match(&etag).distribution_config(lost).send().await;
    assert_eq!(code(err.unwrap_err()), "NoSuchOrigin");

    assert_eq!(self::config(&cf, &id).await, (config, etag));
}

#[tokio::test]
async fn an_invalidation_goes_in_progress_then_completed() {
    let lab = TestLab::start().await;
    let cf = lab.cloudfront();
    let id = distribution_id(&cf).await;

    let batch = InvalidationBatch::builder()
        .paths(Paths::builder().quantity(1).items("/*").build().unwrap())
        .caller_reference("walab-test-1")
        .build()
        .unwrap();
    let created = cf.create_invalidation().distribution_id(&id).invalidation_batch(batch.clone()).send().await.unwrap();
    let invalidation = created.invalidation().unwrap();
    assert_eq!(invalidation.status(), "InProgress");
    assert_eq!(invalidation.invalidation_batch().unwrap().paths().unwrap().items(), ["/*"]);
    let location = created.location().unwrap();
    assert!(location.ends_with(&format!("/distribution/{id}/invalidation/{}", invalidation.id())), "{location}");

    let got = cf.get_invalidation().distribution_id(&id).id(invalidation.id()).send().await.unwrap();
    assert_eq!(got.invalidation().unwrap().status(), "Completed");
    assert_eq!(got.invalidation().unwrap().create_time(), invalidation.create_time());

    // The same batch again (a retry) is the same invalidation.
    let again = cf.create_invalidation().distribution_id(&id).invalidation_batch(batch).send().await.unwrap();
    assert_eq!(again.invalidation().unwrap().id(), invalidation.id());

    let second = invalidate(&cf, &id, "/?id=1", "walab-test-2").await;
    let list = cf.list_invalidations().distribution_id(&id).send().await.unwrap();
    let list = list.invalidation_list().unwrap();
    let ids: Vec<&str> = list.items().iter().map(|i| i.id()).collect();
    assert_eq!(ids, [second.as_str(), invalidation.id()], "newest first");
    assert!(list.items().iter().all(|i| i.status() == "Completed"));

    let page = cf.list_invalidations().distribution_id(&id).max_items(1).send().await.unwrap();
    let page = page.invalidation_list().unwrap();
    assert!(page.is_truncated());
    assert_eq!(page.items().len(), 1);
    let next = cf
        .list_invalidations()
        .distribution_id(&id)
        .max_items(1)
        .marker(page.next_marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(next.invalidation_list().unwrap().items()[0].id(), invalidation.id());

    let unknown = cf.get_invalidation().distribution_id(&id).id("INOSUCH").send().await;
    assert_eq!(code(unknown.unwrap_err()), "NoSuchInvalidation");
    let unknown = cf.get_invalidation().distribution_id("E000NOSUCHDIST").id(invalidation.id()).send().await;
    assert_eq!(code(unknown.unwrap_err()), "NoSuchDistribution");
    let unknown = cf.list_invalidations().distribution_id("E000NOSUCHDIST").send().await;
    assert_eq!(code(unknown.unwrap_err()), "NoSuchDistribution");

    let bad = InvalidationBatch::builder()
        .paths(Paths::builder().quantity(1).items("no-slash").build().unwrap())
        .caller_reference("walab-test-3")
        .build()
        .unwrap();
    let err = cf.create_invalidation().distribution_id(&id).invalidation_batch(bad).send().await;
    assert_eq!(code(err.unwrap_err()), "InvalidArgument");
}

#[tokio::test]
async fn the_warm_cache_answers_before_anyone_asks_the_api() {
    let lab = TestLab::start().await;
    let answer = edge(&lab, "/?id=1", None).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.x_cache, HIT);
    assert_eq!(answer.body, MESSI);
    assert!(answer.age.unwrap() >= 60 * 30, "stored a while ago: {:?}", answer.age);
    let header = |name: &str| answer.headers.get(name).unwrap().to_str().unwrap().to_string();
    assert!(header("via").starts_with("1.1 ") && header("via").ends_with(".cloudfront.net (CloudFront)"));
    assert!(!header("x-amz-cf-pop").is_empty());
    assert!(!header("x-amz-cf-id").is_empty());
    assert_eq!(header("content-type"), "application/json");

    // HEAD is answered from the same entry, without a body.
    let head = edge_request(&lab, reqwest::Method::HEAD, "/?id=1", None).await;
    assert_eq!((head.status, head.x_cache.as_str(), head.body.as_str()), (200, HIT, ""));

    // A GET/HEAD behaviour refuses other methods at the edge.
    for method in [reqwest::Method::POST, reqwest::Method::PUT, reqwest::Method::DELETE] {
        let refused = edge_request(&lab, method, "/?id=1", None).await;
        assert_eq!(refused.status, 403);
        assert_eq!(refused.x_cache, "Error from cloudfront");
        assert!(refused.body.contains("not configured to allow the HTTP request method"));
    }
}

#[tokio::test]
async fn the_trap_forwarding_authorization_alone_keeps_serving_the_cached_200() {
    let lab = TestLab::start().await;
    let cf = lab.cloudfront();
    let id = distribution_id(&cf).await;
    forward_authorization(&cf, &id).await;

    // No token: the key is what it was before the header was forwarded → the old 200.
    let anonymous = edge(&lab, "/?id=1", None).await;
    assert_eq!((anonymous.status, anonymous.x_cache.as_str(), anonymous.body.as_str()), (200, HIT, MESSI));

    // A token makes a new key: the request goes to the origin.
    let with_token = edge(&lab, "/?id=1", Some("eyJ.a-token.sig")).await;
    assert_from_origin(&with_token);

    // Invalidating /* removes the old entry once completed: now nobody gets it from cache.
    invalidate(&cf, &id, "/*", "after-forwarding").await;
    let anonymous = edge(&lab, "/?id=1", None).await;
    assert_from_origin(&anonymous);
}

#[tokio::test]
async fn entries_expire_with_their_ttl() {
    let lab = TestLab::start().await;
    assert_eq!(edge(&lab, "/?id=1", None).await.x_cache, HIT);
    lab.lab().clock.advance(Duration::from_secs(86_400));
    let expired = edge(&lab, "/?id=1", None).await;
    assert_from_origin(&expired);

    // Whatever the origin said is now cached for its TTL (an error for 10 s, a 200 for a day)
    // unless it was a 401, which CloudFront never caches.
    let again = edge(&lab, "/?id=1", None).await;
    if expired.status == 401 {
        assert_from_origin(&again);
    } else {
        assert_eq!(again.status, expired.status);
        assert!(again.age.is_some(), "served from cache");
        if expired.status >= 400 {
            lab.lab().clock.advance(Duration::from_secs(11));
            assert_from_origin(&edge(&lab, "/?id=1", None).await);
        }
    }
}

#[tokio::test]
async fn the_edge_keeps_the_old_configuration_until_the_update_deploys() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = LabOptions::ephemeral(dir.path());
    options.timing = Timing { invalidation: Duration::from_secs(30), deploy: Duration::from_secs(300) };
    options.signing_key = Some(common::signing_key());
    let running = RunningLab::start(options).await.unwrap();
    let lab = TestLab { running, dir };
    let cf = lab.cloudfront();
    let id = distribution_id(&cf).await;

    forward_authorization(&cf, &id).await;
    let got = cf.get_distribution().id(&id).send().await.unwrap();
    assert_eq!(got.distribution().unwrap().status(), "InProgress");
    // Not deployed yet: a token is not part of the key, the old 200 answers.
    assert_eq!(edge(&lab, "/?id=1", Some("a-token")).await.x_cache, HIT);

    lab.lab().clock.advance(Duration::from_secs(301));
    let got = cf.get_distribution().id(&id).send().await.unwrap();
    assert_eq!(got.distribution().unwrap().status(), "Deployed");
    assert_from_origin(&edge(&lab, "/?id=1", Some("a-token")).await);

    // An invalidation purges nothing while InProgress.
    let invalidation = invalidate(&cf, &id, "/*", "slow").await;
    let got = cf.get_distribution().id(&id).send().await.unwrap();
    assert_eq!(got.distribution().unwrap().in_progress_invalidation_batches(), 1);
    assert_eq!(edge(&lab, "/?id=1", None).await.x_cache, HIT);
    lab.lab().clock.advance(Duration::from_secs(31));
    let got = cf.get_invalidation().distribution_id(&id).id(&invalidation).send().await.unwrap();
    assert_eq!(got.invalidation().unwrap().status(), "Completed");
    assert_from_origin(&edge(&lab, "/?id=1", None).await);
}

#[tokio::test]
async fn cache_policies_and_origin_request_policies_shape_the_key() {
    let lab = TestLab::start().await;
    let cf = lab.cloudfront();
    let id = distribution_id(&cf).await;

    let managed = cf.list_cache_policies().r#type("managed".into()).send().await.unwrap();
    let names: Vec<String> = managed
        .cache_policy_list()
        .unwrap()
        .items()
        .iter()
        .map(|s| s.cache_policy().unwrap().cache_policy_config().unwrap().name().to_string())
        .collect();
    assert!(names.contains(&"Managed-CachingOptimized".to_string()), "{names:?}");
    let optimized = cf.get_cache_policy().id("658327ea-f89d-4fab-a63d-7e88639e58f6").send().await.unwrap();
    assert_eq!(optimized.cache_policy().unwrap().cache_policy_config().unwrap().min_ttl(), 1);

    // A custom policy whose key includes Authorization (the new console's way to do 5.4).
    use aws_sdk_cloudfront::types::{
        CachePolicyCookieBehavior, CachePolicyCookiesConfig, CachePolicyHeaderBehavior, CachePolicyHeadersConfig,
        CachePolicyQueryStringBehavior, CachePolicyQueryStringsConfig, ParametersInCacheKeyAndForwardedToOrigin,
    };
    let policy_config = CachePolicyConfig::builder()
        .name("walab-authorization")
        .min_ttl(0)
        .default_ttl(86400)
        .max_ttl(31536000)
        .parameters_in_cache_key_and_forwarded_to_origin(
            ParametersInCacheKeyAndForwardedToOrigin::builder()
                .enable_accept_encoding_gzip(false)
                .headers_config(
                    CachePolicyHeadersConfig::builder()
                        .header_behavior(CachePolicyHeaderBehavior::Whitelist)
                        .headers(Headers::builder().quantity(1).items("Authorization").build().unwrap())
                        .build()
                        .unwrap(),
                )
                .cookies_config(
                    CachePolicyCookiesConfig::builder()
                        .cookie_behavior(CachePolicyCookieBehavior::None)
                        .build()
                        .unwrap(),
                )
                .query_strings_config(
                    CachePolicyQueryStringsConfig::builder()
                        .query_string_behavior(CachePolicyQueryStringBehavior::All)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let created = cf.create_cache_policy().cache_policy_config(policy_config.clone()).send().await.unwrap();
    let policy_id = created.cache_policy().unwrap().id().to_string();
    assert!(created.e_tag().is_some() && created.location().is_some());
    let got = cf.get_cache_policy().id(&policy_id).send().await.unwrap();
    assert_eq!(got.cache_policy().unwrap().cache_policy_config(), Some(&policy_config));
    let dup = cf.create_cache_policy().cache_policy_config(policy_config).send().await;
    assert_eq!(code(dup.unwrap_err()), "CachePolicyAlreadyExists");
    let custom = cf.list_cache_policies().r#type("custom".into()).send().await.unwrap();
    assert_eq!(custom.cache_policy_list().unwrap().items().len(), 1);
    let missing = cf.get_cache_policy().id("nope").send().await;
    assert_eq!(code(missing.unwrap_err()), "NoSuchCachePolicy");

    let (mut config, etag) = config(&cf, &id).await;
    let behavior = config.default_cache_behavior.as_mut().unwrap();
    behavior.forwarded_values = None;
    behavior.min_ttl = None;
    behavior.default_ttl = None;
    behavior.max_ttl = None;
    behavior.cache_policy_id = Some(policy_id.clone());
    let updated = cf.update_distribution().id(&id).if_match(&etag).distribution_config(config.clone()).send().await;
    let etag = updated.unwrap().e_tag().unwrap().to_string();
    // The trap is the same with a cache policy: no token, old key, old 200.
    assert_eq!(edge(&lab, "/?id=1", None).await.x_cache, HIT);
    assert_from_origin(&edge(&lab, "/?id=1", Some("a-token")).await);

    // CachingDisabled + AllViewer: nothing is cached, every viewer header reaches the origin.
    let behavior = config.default_cache_behavior.as_mut().unwrap();
    behavior.cache_policy_id = Some("4135ea2d-6df8-44a3-9df3-4b5a84be39ad".into());
    behavior.origin_request_policy_id = Some("216adef6-5c7f-47e4-b989-5492eafa07d3".into());
    cf.update_distribution().id(&id).if_match(&etag).distribution_config(config).send().await.unwrap();
    assert_from_origin(&edge(&lab, "/?id=1", None).await);
    assert_from_origin(&edge(&lab, "/?id=1", None).await);
}

#[tokio::test]
async fn hostile_requests_get_aws_shaped_refusals_and_change_nothing() {
    let lab = TestLab::start().await;
    let cf = lab.cloudfront();
    let id = distribution_id(&cf).await;
    let (config_before, etag_before) = config(&cf, &id).await;
    let aws = lab.running.endpoints().aws_endpoint_url();
    let http = common::http();
    // The lab accepts any credentials but, like AWS, only signed calls.
    let signed = "AWS4-HMAC-SHA256 Credential=AKIDLOCALLAB/20250101/us-east-1/cloudfront/aws4_request, \
                  SignedHeaders=host, Signature=00";
    let send = |method: reqwest::Method, path: String, body: Vec<u8>| {
        let request = http
            .request(method, format!("{aws}{path}"))
            .header("Authorization", signed)
            .header("If-Match", etag_before.clone())
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };
    let config_path = format!("/2020-05-31/distribution/{id}/config");
    let invalidation_path = format!("/2020-05-31/distribution/{id}/invalidation");
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><DistributionConfig>&b;</DistributionConfig>"#;
    let cases: Vec<(reqwest::Method, String, Vec<u8>, u16, &str)> = vec![
        (reqwest::Method::PUT, config_path.clone(), b"<DistributionConfig><unclosed>".to_vec(), 400, "MalformedXML"),
        (reqwest::Method::PUT, config_path.clone(), b"not xml at all".to_vec(), 400, "MalformedXML"),
        (reqwest::Method::PUT, config_path.clone(), bomb.as_bytes().to_vec(), 400, "MalformedXML"),
        (reqwest::Method::PUT, config_path.clone(), b"<Other/>".to_vec(), 400, "MalformedXML"),
        (reqwest::Method::PUT, config_path.clone(), b"<DistributionConfig/>".to_vec(), 400, "MalformedXML"),
        (reqwest::Method::PUT, config_path.clone(), vec![0xff, 0xfe, 0x00], 400, "MalformedXML"),
        (reqwest::Method::PUT, config_path.clone(), Vec::new(), 400, "MissingBody"),
        (reqwest::Method::PUT, config_path.clone(), vec![b'<'; 2 * 1024 * 1024], 413, "RequestEntityTooLarge"),
        (reqwest::Method::POST, invalidation_path.clone(), b"<InvalidationBatch><Paths>".to_vec(), 400, "MalformedXML"),
        (
            reqwest::Method::POST,
            invalidation_path.clone(),
            b"<InvalidationBatch><Paths><Quantity>5</Quantity><Items><Path>/*</Path></Items></Paths><CallerReference>x</CallerReference></InvalidationBatch>".to_vec(),
            400,
            "InconsistentQuantities",
        ),
        (
            reqwest::Method::POST,
            invalidation_path.clone(),
            b"<InvalidationBatch><Paths><Quantity>lots</Quantity></Paths><CallerReference>x</CallerReference></InvalidationBatch>".to_vec(),
            400,
            "MalformedXML",
        ),
        (reqwest::Method::GET, "/2020-05-31/nothing-here".to_string(), Vec::new(), 404, "NoSuchResource"),
        (reqwest::Method::DELETE, config_path.clone(), Vec::new(), 404, "NoSuchResource"),
    ];
    for (method, path, body, status, expected) in cases {
        let (got, text) = send(method.clone(), path.clone(), body).await;
        assert_eq!(got, status, "{method} {path}: {text}");
        assert!(text.contains("<ErrorResponse") && text.contains(&format!("<Code>{expected}</Code>")), "{text}");
    }

    // Unsigned calls are refused before anything else.
    let unsigned = http.get(format!("{aws}/2020-05-31/distribution")).send().await.unwrap();
    assert_eq!(unsigned.status().as_u16(), 403);
    assert!(unsigned.text().await.unwrap().contains("MissingAuthenticationToken"));

    // The edge takes odd requests in its stride.
    let edge_url = format!("http://{}", lab.running.endpoints().edge);
    let odd = http.get(format!("{edge_url}/%ff%00?id=%ff&&=")).header("Authorization", "x".repeat(8000)).send().await;
    assert!(odd.unwrap().status().as_u16() >= 400);
    let huge = http.post(format!("{edge_url}/?id=1")).body(vec![b'a'; 2 * 1024 * 1024]).send().await.unwrap();
    assert_eq!(huge.status().as_u16(), 413);
    assert_eq!(huge.headers()["x-cache"], "Error from cloudfront");

    // Everything still serves, and nothing was lost.
    assert_eq!(config(&cf, &id).await, (config_before, etag_before));
    assert_eq!(edge(&lab, "/?id=1", None).await.x_cache, HIT);
    assert!(
        cf.list_invalidations()
            .distribution_id(&id)
            .send()
            .await
            .unwrap()
            .invalidation_list()
            .unwrap()
            .items()
            .is_empty()
    );
}

#[tokio::test]
async fn the_distribution_and_its_cache_survive_a_restart() {
    let lab = TestLab::start().await;
    let cf = lab.cloudfront();
    let id = distribution_id(&cf).await;
    let etag = forward_authorization(&cf, &id).await;
    let invalidation = invalidate(&cf, &id, "/nothing-cached-here", "restart").await;
    let dir = lab.stop().await;

    let lab = TestLab::start_in(dir).await;
    let cf = lab.cloudfront();
    let (config, etag_after) = config(&cf, &id).await;
    assert_eq!(etag_after, etag);
    let headers = config.default_cache_behavior().unwrap().forwarded_values().unwrap().headers().unwrap();
    assert_eq!(headers.items(), ["Authorization"]);
    let got = cf.get_invalidation().distribution_id(&id).id(&invalidation).send().await.unwrap();
    assert_eq!(got.invalidation().unwrap().status(), "Completed");
    // The trap survives too: the warm entry is still there.
    assert_eq!(edge(&lab, "/?id=1", None).await.x_cache, HIT);
}
