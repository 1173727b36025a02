//! Each answer document, served to the official SDK client, reads as every field it carries.
#![allow(deprecated)]

use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::error::ProvideErrorMetadata;
use aws_sdk_cloudfront::operation::RequestId;
use aws_sdk_cloudfront::types as sdk;
use aws_smithy_types::DateTime;

use super::*;
use crate::locallab::cloudfront::config::tests::{sdk_distribution_config, sent_by_sdk};
use crate::locallab::cloudfront::config::{self, Path};
use crate::locallab::machinery::xml::loopback::Loopback;

fn time(seconds: i64, millis: u32) -> DateTime {
    DateTime::from_secs_and_nanos(seconds, millis * 1_000_000)
}

async fn client() -> (Loopback, Client) {
    let server = Loopback::start().await;
    let client = Client::new(&server.sdk());
    (server, client)
}

fn key_pairs(ids: &[&str]) -> Option<List<String, KeyPairId>> {
    Some(ids.iter().map(|s| s.to_string()).collect())
}

#[tokio::test]
async fn a_distribution_reads_with_every_field() {
    let (server, client) = client().await;
    let sdk_config = sdk_distribution_config();
    let (config, _) = sent_by_sdk(&server, &client, sdk_config.clone()).await;
    let distribution = Distribution {
        id: "EDFDVBD6EXAMPLE".into(),
        arn: "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE".into(),
        status: DistributionStatus::InProgress,
        last_modified_time: time(1_700_000_000, 123),
        in_progress_invalidation_batches: 2,
        domain_name: "d111111abcdef8.cloudfront.net".into(),
        active_trusted_signers: ActiveTrustedSigners {
            enabled: true,
            items: List::new(vec![
                Signer { aws_account_number: Some("self".into()), key_pair_ids: key_pairs(&["K1", "K2"]) },
                Signer { aws_account_number: Some("123456789012".into()), key_pair_ids: None },
            ]),
        },
        active_trusted_key_groups: ActiveTrustedKeyGroups {
            enabled: true,
            items: List::new(vec![KeyGroupKeyPairIds {
                key_group_id: Some("kg-1".into()),
                key_pair_ids: key_pairs(&["K3"]),
            }]),
        },
        distribution_config: config,
        alias_icp_recordals: Some(AliasIcpRecordals {
            recordals: vec![
                AliasIcpRecordal {
                    cname: Some("a.example.com".into()),
                    icp_recordal_status: Some(IcpRecordalStatus::Approved),
                },
                AliasIcpRecordal { cname: Some("b.example.com".into()), icp_recordal_status: None },
            ],
        }),
    };
    server.answer(200, &[("ETag", "E2")], distribution.to_xml());
    let out = client.get_distribution().id("EDFDVBD6EXAMPLE").send().await.unwrap();
    assert_eq!(out.e_tag(), Some("E2"));
    let d = out.distribution().unwrap();
    assert_eq!(d.id(), "EDFDVBD6EXAMPLE");
    assert_eq!(d.arn(), distribution.arn);
    assert_eq!(d.status(), "InProgress");
    assert_eq!(d.last_modified_time(), &time(1_700_000_000, 123));
    assert_eq!(d.in_progress_invalidation_batches(), 2);
    assert_eq!(d.domain_name(), "d111111abcdef8.cloudfront.net");
    let signers = d.active_trusted_signers().unwrap();
    assert!(signers.enabled());
    assert_eq!(signers.quantity(), 2);
    assert_eq!(signers.items()[0].aws_account_number(), Some("self"));
    assert_eq!(signers.items()[0].key_pair_ids().unwrap().items(), ["K1", "K2"]);
    assert_eq!(signers.items()[1].key_pair_ids(), None);
    let groups = d.active_trusted_key_groups().unwrap();
    assert_eq!(groups.quantity(), 1);
    assert_eq!(groups.items()[0].key_group_id(), Some("kg-1"));
    assert_eq!(groups.items()[0].key_pair_ids().unwrap().items(), ["K3"]);
    assert_eq!(d.distribution_config(), Some(&sdk_config));
    let recordals = d.alias_icp_recordals();
    assert_eq!(recordals.len(), 2);
    assert_eq!(recordals[0].cname(), Some("a.example.com"));
    assert_eq!(recordals[0].icp_recordal_status(), Some(&sdk::IcpRecordalStatus::Approved));
    assert_eq!(recordals[1].icp_recordal_status(), None);
}

#[tokio::test]
async fn a_distribution_list_reads_with_every_summary_field() {
    let (server, client) = client().await;
    let sdk_config = sdk_distribution_config();
    let (config, _) = sent_by_sdk(&server, &client, sdk_config.clone()).await;
    let state = |id: &str, status| DistributionState {
        id: id.into(),
        arn: format!("arn:aws:cloudfront::123456789012:distribution/{id}"),
        e_tag: format!("ETAG{id}"),
        status,
        last_modified_time: time(1_700_000_000, 0),
        domain_name: format!("{id}.cloudfront.net"),
    };
    let seed = config::seed("api.example", "x-origin-verify", "v", "arn:acl");
    let list = DistributionList {
        marker: "".into(),
        next_marker: Some("E3".into()),
        max_items: 2,
        is_truncated: true,
        summaries: List::new(vec![
            DistributionSummary::new(state("E1", DistributionStatus::Deployed), &config),
            DistributionSummary::new(state("E2", DistributionStatus::InProgress), &seed),
        ]),
    };
    server.answer(200, &[], list.to_xml());
    let out = client.list_distributions().max_items(2).send().await.unwrap();
    let l = out.distribution_list().unwrap();
    assert_eq!(l.marker(), "");
    assert_eq!(l.next_marker(), Some("E3"));
    assert_eq!(l.max_items(), 2);
    assert!(l.is_truncated());
    assert_eq!(l.quantity(), 2);
    let s = &l.items()[0];
    assert_eq!(
        (s.id(), s.arn(), s.e_tag(), s.status()),
        ("E1", "arn:aws:cloudfront::123456789012:distribution/E1", Some("ETAGE1"), "Deployed")
    );
    assert_eq!(s.last_modified_time(), &time(1_700_000_000, 0));
    assert_eq!(s.domain_name(), "E1.cloudfront.net");
    assert_eq!(s.aliases(), sdk_config.aliases());
    assert_eq!(s.origins(), sdk_config.origins());
    assert_eq!(s.origin_groups(), sdk_config.origin_groups());
    assert_eq!(s.default_cache_behavior(), sdk_config.default_cache_behavior());
    assert_eq!(s.cache_behaviors(), sdk_config.cache_behaviors());
    assert_eq!(s.custom_error_responses(), sdk_config.custom_error_responses());
    assert_eq!(s.comment(), sdk_config.comment());
    assert_eq!(Some(s.price_class()), sdk_config.price_class());
    assert_eq!(s.enabled(), sdk_config.enabled());
    assert_eq!(s.viewer_certificate(), sdk_config.viewer_certificate());
    assert_eq!(s.restrictions(), sdk_config.restrictions());
    assert_eq!(Some(s.web_acl_id()), sdk_config.web_acl_id());
    assert_eq!(Some(s.http_version()), sdk_config.http_version());
    assert_eq!(Some(s.is_ipv6_enabled()), sdk_config.is_ipv6_enabled());
    assert_eq!(Some(s.staging()), sdk_config.staging());
    assert_eq!(s.connection_mode(), sdk_config.connection_mode());
    assert_eq!(s.anycast_ip_list_id(), sdk_config.anycast_ip_list_id());
    assert_eq!(s.viewer_mtls_config(), sdk_config.viewer_mtls_config());
    assert_eq!(s.connection_function_association(), sdk_config.connection_function_association());
    let seeded = &l.items()[1];
    assert_eq!(seeded.status(), "InProgress");
    assert!(seeded.default_cache_behavior().unwrap().forwarded_values().unwrap().query_string());
    assert_eq!(seeded.web_acl_id(), "arn:acl");
    assert_eq!(seeded.price_class(), &sdk::PriceClass::PriceClassAll);
}

#[tokio::test]
async fn invalidations_read_with_every_field() {
    let (server, client) = client().await;
    let batch = InvalidationBatch {
        paths: ["/*", "/?id=1"].iter().map(|p| p.to_string()).collect::<List<String, Path>>(),
        caller_reference: "walab-1".into(),
    };
    let invalidation = Invalidation {
        id: "I2J0I21PCUYOIK".into(),
        status: InvalidationStatus::InProgress,
        create_time: time(1_700_000_100, 5),
        invalidation_batch: batch.clone(),
    };
    server.answer(
        201,
        &[("Location", "https://cloudfront.amazonaws.com/2020-05-31/distribution/E1/invalidation/I2J0I21PCUYOIK")],
        invalidation.to_xml(),
    );
    let sdk_batch = sdk::InvalidationBatch::builder()
        .paths(sdk::Paths::builder().quantity(2).items("/*").items("/?id=1").build().unwrap())
        .caller_reference("walab-1")
        .build()
        .unwrap();
    let created =
        client.create_invalidation().distribution_id("E1").invalidation_batch(sdk_batch.clone()).send().await.unwrap();
    assert!(created.location().unwrap().ends_with("/invalidation/I2J0I21PCUYOIK"));
    let i = created.invalidation().unwrap();
    assert_eq!((i.id(), i.status()), ("I2J0I21PCUYOIK", "InProgress"));
    assert_eq!(i.create_time(), &time(1_700_000_100, 5));
    assert_eq!(i.invalidation_batch(), Some(&sdk_batch));

    let completed = Invalidation { status: InvalidationStatus::Completed, ..invalidation };
    server.answer(200, &[], completed.to_xml());
    let got = client.get_invalidation().distribution_id("E1").id("I2J0I21PCUYOIK").send().await.unwrap();
    assert_eq!(got.invalidation().unwrap().status(), "Completed");
    assert_eq!(got.invalidation().unwrap().invalidation_batch(), Some(&sdk_batch));

    let summary = |id: &str, status| InvalidationSummary { id: id.into(), create_time: time(1_700_000_200, 0), status };
    let list = InvalidationList {
        marker: "I0".into(),
        next_marker: Some("I9".into()),
        max_items: 2,
        is_truncated: true,
        summaries: List::new(vec![
            summary("I2", InvalidationStatus::InProgress),
            summary("I1", InvalidationStatus::Completed),
        ]),
    };
    server.answer(200, &[], list.to_xml());
    let out = client.list_invalidations().distribution_id("E1").marker("I0").max_items(2).send().await.unwrap();
    let l = out.invalidation_list().unwrap();
    assert_eq!(
        (l.marker(), l.next_marker(), l.max_items(), l.is_truncated(), l.quantity()),
        ("I0", Some("I9"), 2, true, 2)
    );
    let ids: Vec<_> = l.items().iter().map(|s| (s.id(), s.status(), *s.create_time())).collect();
    assert_eq!(ids, [("I2", "InProgress", time(1_700_000_200, 0)), ("I1", "Completed", time(1_700_000_200, 0))]);

    // An empty page: Quantity 0 and no Items.
    let empty = InvalidationList {
        marker: "".into(),
        next_marker: None,
        max_items: 100,
        is_truncated: false,
        summaries: List::empty(),
    };
    server.answer(200, &[], empty.to_xml());
    let out = client.list_invalidations().distribution_id("E1").send().await.unwrap();
    let l = out.invalidation_list().unwrap();
    assert_eq!((l.quantity(), l.items().len(), l.next_marker()), (0, 0, None));
}

#[tokio::test]
async fn cache_policies_read_with_every_field() {
    let (server, client) = client().await;
    let policy_config = |name: &str| config::CachePolicyConfig {
        comment: Some("Policy with caching disabled".into()),
        name: name.into(),
        default_ttl: Some(0),
        max_ttl: Some(0),
        min_ttl: 0,
        parameters_in_cache_key_and_forwarded_to_origin: Some(config::ParametersInCacheKeyAndForwardedToOrigin {
            enable_accept_encoding_gzip: false,
            enable_accept_encoding_brotli: Some(false),
            headers_config: config::CachePolicyHeadersConfig {
                header_behavior: config::CachePolicyHeaderBehavior::Whitelist,
                headers: Some(List::new(vec!["Authorization".into()])),
            },
            cookies_config: config::CachePolicyCookiesConfig {
                cookie_behavior: config::CachePolicyCookieBehavior::None,
                cookies: None,
            },
            query_strings_config: config::CachePolicyQueryStringsConfig {
                query_string_behavior: config::CachePolicyQueryStringBehavior::AllExcept,
                query_strings: Some(List::new(vec!["utm".into()])),
            },
        }),
    };
    let policy = |id: &str, name: &str| CachePolicy {
        id: id.into(),
        last_modified_time: time(1_600_000_000, 0),
        cache_policy_config: policy_config(name),
    };
    server.answer(200, &[("ETag", "E23ZP02F085DFQ")], policy("p1", "Managed-CachingDisabled").to_xml());
    let out = client.get_cache_policy().id("p1").send().await.unwrap();
    assert_eq!(out.e_tag(), Some("E23ZP02F085DFQ"));
    let p = out.cache_policy().unwrap();
    assert_eq!((p.id(), p.last_modified_time()), ("p1", &time(1_600_000_000, 0)));
    let c = p.cache_policy_config().unwrap();
    assert_eq!(
        (c.comment(), c.name(), c.default_ttl(), c.max_ttl(), c.min_ttl()),
        (Some("Policy with caching disabled"), "Managed-CachingDisabled", Some(0), Some(0), 0)
    );
    let params = c.parameters_in_cache_key_and_forwarded_to_origin().unwrap();
    assert_eq!((params.enable_accept_encoding_gzip(), params.enable_accept_encoding_brotli()), (false, Some(false)));
    let headers = params.headers_config().unwrap();
    assert_eq!(headers.header_behavior(), &sdk::CachePolicyHeaderBehavior::Whitelist);
    assert_eq!(headers.headers().unwrap().items(), ["Authorization"]);
    assert_eq!(params.cookies_config().unwrap().cookie_behavior(), &sdk::CachePolicyCookieBehavior::None);
    let query = params.query_strings_config().unwrap();
    assert_eq!(query.query_string_behavior(), &sdk::CachePolicyQueryStringBehavior::AllExcept);
    assert_eq!(query.query_strings().unwrap().items(), ["utm"]);

    let list = CachePolicyList {
        next_marker: Some("p3".into()),
        max_items: 2,
        summaries: List::new(vec![
            CachePolicySummary {
                kind: CachePolicyType::Managed,
                cache_policy: policy("p1", "Managed-CachingDisabled"),
            },
            CachePolicySummary { kind: CachePolicyType::Custom, cache_policy: policy("p2", "walab") },
        ]),
    };
    server.answer(200, &[], list.to_xml());
    let out = client.list_cache_policies().max_items(2).send().await.unwrap();
    let l = out.cache_policy_list().unwrap();
    assert_eq!((l.next_marker(), l.max_items(), l.quantity()), (Some("p3"), 2, 2));
    assert_eq!(l.items()[0].r#type(), &sdk::CachePolicyType::Managed);
    assert_eq!(l.items()[1].r#type(), &sdk::CachePolicyType::Custom);
    let second = l.items()[1].cache_policy().unwrap();
    assert_eq!((second.id(), second.cache_policy_config().unwrap().name()), ("p2", "walab"));
    assert_eq!(l.items()[0].cache_policy().unwrap().cache_policy_config(), Some(c));
}

#[tokio::test]
async fn errors_read_as_their_code_and_message() {
    let (server, client) = client().await;
    let not_found = error_xml(
        http::StatusCode::NOT_FOUND,
        "NoSuchDistribution",
        "The specified distribution does not exist: E9",
        "req-1",
    );
    // The SDK takes the request id from the header; the body carries it as AWS's does.
    server.answer(404, &[("x-amzn-requestid", "req-1")], not_found);
    let e = client.get_distribution().id("E9").send().await.unwrap_err().into_service_error();
    assert!(e.is_no_such_distribution(), "{e:?}");
    assert_eq!(e.code(), Some("NoSuchDistribution"));
    assert_eq!(e.message(), Some("The specified distribution does not exist: E9"));
    assert_eq!(e.meta().request_id(), Some("req-1"));

    let message = "The precondition given in one or more of the request-header fields evaluated to false.";
    server.answer(412, &[], error_xml(http::StatusCode::PRECONDITION_FAILED, "PreconditionFailed", message, "req-2"));
    let sdk_config = sdk_distribution_config();
    let e = client
        .update_distribution()
        .id("E1")
        .if_match("stale")
        .distribution_config(sdk_config)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_precondition_failed(), "{e:?}");
    assert_eq!(e.message(), Some(message));

    let malformed = crate::locallab::machinery::xml::WireError::Malformed("x".into());
    server.answer(
        400,
        &[],
        error_xml(http::StatusCode::BAD_REQUEST, malformed.code(), &malformed.to_string(), "req-3"),
    );
    let e = client.list_distributions().send().await.unwrap_err().into_service_error();
    assert_eq!(e.code(), Some("MalformedXML"));
    assert_eq!(e.message(), Some(malformed.to_string().as_str()));

    server.answer(
        500,
        &[],
        error_xml(http::StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure", "the store refused the write", "req-4"),
    );
    let e = client.list_distributions().send().await.unwrap_err().into_service_error();
    assert_eq!((e.code(), e.message()), (Some("InternalFailure"), Some("the store refused the write")));
}
