//! The request documents against the official SDK: what the SDK sends is read, written back,
//! and the SDK reads back exactly what it sent.
// The legacy ForwardedValues and behaviour TTLs are deprecated in the SDK, and still in the model.
#![allow(deprecated)]

use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::types as sdk;

use super::*;
use crate::locallab::machinery::xml::loopback::{Loopback, assert_same_tree};

/// The store keeps the model as JSON: what it reads back is what it wrote.
pub(crate) fn assert_stores_as_json<T>(model: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_string(model).unwrap();
    let back: T = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(&back, model, "{json}");
}

fn names(items: &[&str]) -> Option<Vec<String>> {
    Some(items.iter().map(|s| s.to_string()).collect())
}

fn sdk_forwarded_values() -> sdk::ForwardedValues {
    sdk::ForwardedValues::builder()
        .query_string(true)
        .cookies(
            sdk::CookiePreference::builder()
                .forward(sdk::ItemSelection::Whitelist)
                .whitelisted_names(
                    sdk::CookieNames::builder().quantity(2).set_items(names(&["session", "theme"])).build().unwrap(),
                )
                .build()
                .unwrap(),
        )
        .headers(
            sdk::Headers::builder()
                .quantity(3)
                .set_items(names(&["Authorization", "Accept", "X-Custom"]))
                .build()
                .unwrap(),
        )
        .query_string_cache_keys(
            sdk::QueryStringCacheKeys::builder().quantity(2).set_items(names(&["id", "page"])).build().unwrap(),
        )
        .build()
        .unwrap()
}

fn sdk_allowed_methods() -> sdk::AllowedMethods {
    use sdk::Method::*;
    sdk::AllowedMethods::builder()
        .quantity(7)
        .set_items(Some(vec![Get, Head, Options, Put, Post, Patch, Delete]))
        .cached_methods(
            sdk::CachedMethods::builder().quantity(3).set_items(Some(vec![Get, Head, Options])).build().unwrap(),
        )
        .build()
        .unwrap()
}

fn sdk_lambdas() -> sdk::LambdaFunctionAssociations {
    let lambda = |arn: &str, event, body| {
        sdk::LambdaFunctionAssociation::builder()
            .lambda_function_arn(arn)
            .event_type(event)
            .set_include_body(body)
            .build()
            .unwrap()
    };
    sdk::LambdaFunctionAssociations::builder()
        .quantity(2)
        .items(lambda("arn:aws:lambda:us-east-1:123456789012:function:a:1", sdk::EventType::ViewerRequest, Some(true)))
        .items(lambda("arn:aws:lambda:us-east-1:123456789012:function:b:2", sdk::EventType::OriginResponse, None))
        .build()
        .unwrap()
}

fn sdk_functions() -> sdk::FunctionAssociations {
    let function =
        |arn: &str, event| sdk::FunctionAssociation::builder().function_arn(arn).event_type(event).build().unwrap();
    sdk::FunctionAssociations::builder()
        .quantity(2)
        .items(function("arn:aws:cloudfront::123456789012:function/f1", sdk::EventType::ViewerRequest))
        .items(function("arn:aws:cloudfront::123456789012:function/f2", sdk::EventType::ViewerResponse))
        .build()
        .unwrap()
}

fn sdk_trusted() -> (sdk::TrustedSigners, sdk::TrustedKeyGroups) {
    let signers = sdk::TrustedSigners::builder()
        .enabled(true)
        .quantity(2)
        .set_items(names(&["self", "123456789012"]))
        .build()
        .unwrap();
    let groups =
        sdk::TrustedKeyGroups::builder().enabled(true).quantity(1).set_items(names(&["kg-1"])).build().unwrap();
    (signers, groups)
}

fn sdk_default_behavior() -> sdk::DefaultCacheBehavior {
    let (signers, groups) = sdk_trusted();
    sdk::DefaultCacheBehavior::builder()
        .target_origin_id("api")
        .trusted_signers(signers)
        .trusted_key_groups(groups)
        .viewer_protocol_policy(sdk::ViewerProtocolPolicy::RedirectToHttps)
        .allowed_methods(sdk_allowed_methods())
        .smooth_streaming(false)
        .compress(true)
        .lambda_function_associations(sdk_lambdas())
        .function_associations(sdk_functions())
        .field_level_encryption_id("")
        .realtime_log_config_arn("arn:aws:cloudfront::123456789012:realtime-log-config/rt")
        .origin_request_policy_id("216adef6-5c7f-47e4-b989-5492eafa07d3")
        .response_headers_policy_id("67f7725c-6f97-4210-82d7-5512b31e9d03")
        .grpc_config(sdk::GrpcConfig::builder().enabled(false).build().unwrap())
        .forwarded_values(sdk_forwarded_values())
        .min_ttl(0)
        .default_ttl(86_400)
        .max_ttl(31_536_000)
        .build()
        .unwrap()
}

fn sdk_cache_behavior(pattern: &str, origin: &str) -> sdk::CacheBehavior {
    let (signers, groups) = sdk_trusted();
    sdk::CacheBehavior::builder()
        .path_pattern(pattern)
        .target_origin_id(origin)
        .trusted_signers(signers)
        .trusted_key_groups(groups)
        .viewer_protocol_policy(sdk::ViewerProtocolPolicy::HttpsOnly)
        .allowed_methods(sdk_allowed_methods())
        .smooth_streaming(true)
        .compress(false)
        .lambda_function_associations(sdk_lambdas())
        .function_associations(sdk_functions())
        .field_level_encryption_id("fle-1")
        .realtime_log_config_arn("arn:rt")
        .cache_policy_id("658327ea-f89d-4fab-a63d-7e88639e58f6")
        .origin_request_policy_id("b689b0a8-53d0-40ab-baf2-68738e2966ac")
        .response_headers_policy_id("rhp")
        .grpc_config(sdk::GrpcConfig::builder().enabled(true).build().unwrap())
        .build()
        .unwrap()
}

fn sdk_origins() -> sdk::Origins {
    let custom = sdk::Origin::builder()
        .id("api")
        .domain_name("abc123.execute-api.us-east-1.amazonaws.com")
        .origin_path("/Dev")
        .custom_headers(
            sdk::CustomHeaders::builder()
                .quantity(2)
                .items(
                    sdk::OriginCustomHeader::builder()
                        .header_name("X-Origin-Verify")
                        .header_value("s3cr3t & <more>")
                        .build()
                        .unwrap(),
                )
                .items(
                    sdk::OriginCustomHeader::builder().header_name("X-Two").header_value("  spaced  ").build().unwrap(),
                )
                .build()
                .unwrap(),
        )
        .custom_origin_config(
            sdk::CustomOriginConfig::builder()
                .http_port(80)
                .https_port(443)
                .origin_protocol_policy(sdk::OriginProtocolPolicy::HttpsOnly)
                .origin_ssl_protocols(
                    sdk::OriginSslProtocols::builder()
                        .quantity(2)
                        .items(sdk::SslProtocol::TlSv12)
                        .items(sdk::SslProtocol::TlSv11)
                        .build()
                        .unwrap(),
                )
                .origin_read_timeout(30)
                .origin_keepalive_timeout(5)
                .ip_address_type(sdk::IpAddressType::DualStack)
                .origin_mtls_config(
                    sdk::OriginMtlsConfig::builder().client_certificate_arn("arn:acm:cert").build().unwrap(),
                )
                .build()
                .unwrap(),
        )
        .connection_attempts(3)
        .connection_timeout(10)
        .response_completion_timeout(60)
        .origin_shield(sdk::OriginShield::builder().enabled(true).origin_shield_region("us-east-1").build().unwrap())
        .origin_access_control_id("")
        .build()
        .unwrap();
    let s3 = sdk::Origin::builder()
        .id("bucket")
        .domain_name("bucket.s3.amazonaws.com")
        .s3_origin_config(
            sdk::S3OriginConfig::builder()
                .origin_access_identity("origin-access-identity/cloudfront/E1")
                .origin_read_timeout(20)
                .build(),
        )
        .origin_access_control_id("oac-1")
        .build()
        .unwrap();
    let vpc = sdk::Origin::builder()
        .id("vpc")
        .domain_name("internal.example")
        .vpc_origin_config(
            sdk::VpcOriginConfig::builder()
                .vpc_origin_id("vo-1")
                .owner_account_id("123456789012")
                .origin_read_timeout(15)
                .origin_keepalive_timeout(4)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    sdk::Origins::builder().quantity(3).items(custom).items(s3).items(vpc).build().unwrap()
}

fn sdk_origin_groups() -> sdk::OriginGroups {
    let member = |id: &str| sdk::OriginGroupMember::builder().origin_id(id).build().unwrap();
    let group = sdk::OriginGroup::builder()
        .id("failover")
        .failover_criteria(
            sdk::OriginGroupFailoverCriteria::builder()
                .status_codes(sdk::StatusCodes::builder().quantity(3).items(500).items(502).items(503).build().unwrap())
                .build(),
        )
        .members(
            sdk::OriginGroupMembers::builder()
                .quantity(2)
                .items(member("api"))
                .items(member("bucket"))
                .build()
                .unwrap(),
        )
        .selection_criteria(sdk::OriginGroupSelectionCriteria::MediaQualityBased)
        .build()
        .unwrap();
    sdk::OriginGroups::builder().quantity(1).items(group).build().unwrap()
}

/// A configuration with every member the SDK's model has, and lists of several items.
pub(crate) fn sdk_distribution_config() -> sdk::DistributionConfig {
    let error_response = |code, path: Option<&str>, response: Option<&str>, ttl| {
        sdk::CustomErrorResponse::builder()
            .error_code(code)
            .set_response_page_path(path.map(str::to_string))
            .set_response_code(response.map(str::to_string))
            .set_error_caching_min_ttl(ttl)
            .build()
            .unwrap()
    };
    let parameter = |name: &str, required| {
        sdk::ParameterDefinition::builder()
            .name(name)
            .definition(
                sdk::ParameterDefinitionSchema::builder()
                    .string_schema(
                        sdk::StringSchemaConfig::builder()
                            .comment(format!("the {name}"))
                            .default_value("x")
                            .required(required)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .build()
            .unwrap()
    };
    sdk::DistributionConfig::builder()
        .caller_reference("walab-cdn-waf-cognito-distribution")
        .aliases(
            sdk::Aliases::builder().quantity(2).set_items(names(&["a.example.com", "b.example.com"])).build().unwrap(),
        )
        .default_root_object("index.html")
        .origins(sdk_origins())
        .origin_groups(sdk_origin_groups())
        .default_cache_behavior(sdk_default_behavior())
        .cache_behaviors(
            sdk::CacheBehaviors::builder()
                .quantity(2)
                .items(sdk_cache_behavior("/images/*", "bucket"))
                .items(sdk_cache_behavior("/api/*", "api"))
                .build()
                .unwrap(),
        )
        .custom_error_responses(
            sdk::CustomErrorResponses::builder()
                .quantity(2)
                .items(error_response(404, Some("/404.html"), Some("404"), Some(10)))
                .items(error_response(503, None, Some(""), None))
                .build()
                .unwrap(),
        )
        .comment("Everything <the> model & more")
        .logging(
            sdk::LoggingConfig::builder()
                .enabled(true)
                .include_cookies(true)
                .bucket("logs.s3.amazonaws.com")
                .prefix("cf/")
                .build(),
        )
        .price_class(sdk::PriceClass::PriceClass100)
        .enabled(true)
        .viewer_certificate(
            sdk::ViewerCertificate::builder()
                .cloud_front_default_certificate(false)
                .iam_certificate_id("iam-cert")
                .acm_certificate_arn("arn:aws:acm:us-east-1:123456789012:certificate/c")
                .ssl_support_method(sdk::SslSupportMethod::SniOnly)
                .minimum_protocol_version(sdk::MinimumProtocolVersion::TlSv122021)
                .certificate("arn:aws:acm:us-east-1:123456789012:certificate/c")
                .certificate_source(sdk::CertificateSource::Acm)
                .build(),
        )
        .restrictions(
            sdk::Restrictions::builder()
                .geo_restriction(
                    sdk::GeoRestriction::builder()
                        .restriction_type(sdk::GeoRestrictionType::Whitelist)
                        .quantity(3)
                        .set_items(names(&["DE", "FR", "US"]))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .web_acl_id("arn:aws:wafv2:us-east-1:123456789012:global/webacl/walab/abc")
        .http_version(sdk::HttpVersion::Http2and3)
        .is_ipv6_enabled(false)
        .continuous_deployment_policy_id("cdp-1")
        .staging(false)
        .anycast_ip_list_id("aip-1")
        .tenant_config(
            sdk::TenantConfig::builder()
                .parameter_definitions(parameter("domain", true))
                .parameter_definitions(parameter("path", false))
                .build(),
        )
        .connection_mode(sdk::ConnectionMode::Direct)
        .viewer_mtls_config(
            sdk::ViewerMtlsConfig::builder()
                .mode(sdk::ViewerMtlsMode::Optional)
                .trust_store_config(
                    sdk::TrustStoreConfig::builder()
                        .trust_store_id("ts-1")
                        .advertise_trust_store_ca_names(true)
                        .ignore_certificate_expiry(false)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .connection_function_association(sdk::ConnectionFunctionAssociation::builder().id("cf-1").build().unwrap())
        .cache_tag_config(sdk::CacheTagConfig::builder().header_name("Cache-Tag").build().unwrap())
        .build()
        .unwrap()
}

/// `config` as the model reads it from the SDK's UpdateDistribution, and the body itself.
pub(crate) async fn sent_by_sdk(
    server: &Loopback,
    client: &Client,
    config: sdk::DistributionConfig,
) -> (DistributionConfig, String) {
    server.answer(200, &[("ETag", "E1")], "");
    client.update_distribution().id("EDFDVBD6EXAMPLE").if_match("E0").distribution_config(config).send().await.unwrap();
    let sent = server.last();
    assert_eq!(sent.method, http::Method::PUT);
    assert_eq!(sent.uri.path(), "/2020-05-31/distribution/EDFDVBD6EXAMPLE/config");
    assert_eq!(sent.headers.get("if-match").and_then(|v| v.to_str().ok()), Some("E0"));
    (DistributionConfig::from_xml(&sent.body).unwrap(), sent.body)
}

/// Sends `config` with UpdateDistribution, reads the body with the model, and has the SDK
/// read the model's document back as GetDistributionConfig's answer.
async fn round_trip_distribution_config(config: sdk::DistributionConfig) {
    let server = Loopback::start().await;
    let client = Client::new(&server.sdk());
    server.answer(200, &[("ETag", "E1")], "");
    client
        .update_distribution()
        .id("EDFDVBD6EXAMPLE")
        .if_match("E0")
        .distribution_config(config.clone())
        .send()
        .await
        .unwrap();
    let sent = server.last();
    assert_eq!(sent.method, http::Method::PUT);
    assert_eq!(sent.uri.path(), "/2020-05-31/distribution/EDFDVBD6EXAMPLE/config");
    assert_eq!(sent.headers.get("if-match").and_then(|v| v.to_str().ok()), Some("E0"));

    let model = DistributionConfig::from_xml(&sent.body).unwrap();
    let written = model.to_xml();
    assert_same_tree(&sent.body, &written);
    assert_stores_as_json(&model);

    server.answer(200, &[("ETag", "E2")], written);
    let got = client.get_distribution_config().id("EDFDVBD6EXAMPLE").send().await.unwrap();
    assert_eq!(got.e_tag(), Some("E2"));
    assert_eq!(got.distribution_config(), Some(&config));
}

#[tokio::test]
async fn every_member_of_a_distribution_config_survives_the_round_trip() {
    round_trip_distribution_config(sdk_distribution_config()).await;
}

#[tokio::test]
async fn a_minimal_distribution_config_and_empty_lists_survive_the_round_trip() {
    // `Quantity 0` with and without `Items`: the SDK tells them apart, so the model must.
    let behavior = sdk::DefaultCacheBehavior::builder()
        .target_origin_id("api")
        .viewer_protocol_policy(sdk::ViewerProtocolPolicy::AllowAll)
        .cache_policy_id("658327ea-f89d-4fab-a63d-7e88639e58f6")
        .trusted_signers(
            sdk::TrustedSigners::builder().enabled(false).quantity(0).set_items(Some(vec![])).build().unwrap(),
        )
        .trusted_key_groups(sdk::TrustedKeyGroups::builder().enabled(false).quantity(0).build().unwrap())
        .build()
        .unwrap();
    let origin = sdk::Origin::builder().id("api").domain_name("api.example").build().unwrap();
    let config = sdk::DistributionConfig::builder()
        .caller_reference("r")
        .origins(sdk::Origins::builder().quantity(1).items(origin).build().unwrap())
        .default_cache_behavior(behavior)
        .aliases(sdk::Aliases::builder().quantity(0).set_items(Some(vec![])).build().unwrap())
        .cache_behaviors(sdk::CacheBehaviors::builder().quantity(0).build().unwrap())
        .comment("")
        .enabled(false)
        .tenant_config(sdk::TenantConfig::builder().set_parameter_definitions(Some(vec![])).build())
        .build()
        .unwrap();
    round_trip_distribution_config(config).await;
}

#[tokio::test]
async fn a_cache_policy_config_survives_the_round_trip() {
    let server = Loopback::start().await;
    let client = Client::new(&server.sdk());
    let config = sdk::CachePolicyConfig::builder()
        .comment("Authorization in the key")
        .name("walab-authorization")
        .default_ttl(60)
        .max_ttl(600)
        .min_ttl(1)
        .parameters_in_cache_key_and_forwarded_to_origin(
            sdk::ParametersInCacheKeyAndForwardedToOrigin::builder()
                .enable_accept_encoding_gzip(true)
                .enable_accept_encoding_brotli(false)
                .headers_config(
                    sdk::CachePolicyHeadersConfig::builder()
                        .header_behavior(sdk::CachePolicyHeaderBehavior::Whitelist)
                        .headers(
                            sdk::Headers::builder()
                                .quantity(2)
                                .set_items(names(&["Authorization", "Host"]))
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .cookies_config(
                    sdk::CachePolicyCookiesConfig::builder()
                        .cookie_behavior(sdk::CachePolicyCookieBehavior::AllExcept)
                        .cookies(
                            sdk::CookieNames::builder().quantity(1).set_items(names(&["tracking"])).build().unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .query_strings_config(
                    sdk::CachePolicyQueryStringsConfig::builder()
                        .query_string_behavior(sdk::CachePolicyQueryStringBehavior::Whitelist)
                        .query_strings(
                            sdk::QueryStringNames::builder()
                                .quantity(2)
                                .set_items(names(&["id", "page"]))
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    server.answer(201, &[("ETag", "E1")], "");
    client.create_cache_policy().cache_policy_config(config.clone()).send().await.unwrap();
    let sent = server.last();
    let model = CachePolicyConfig::from_xml(&sent.body).unwrap();
    let written = model.to_xml();
    assert_same_tree(&sent.body, &written);
    assert_stores_as_json(&model);

    server.answer(200, &[("ETag", "E1")], written);
    let got = client.get_cache_policy_config().id("p").send().await.unwrap();
    assert_eq!(got.cache_policy_config(), Some(&config));
}

#[tokio::test]
async fn an_invalidation_batch_survives_the_round_trip() {
    let server = Loopback::start().await;
    let client = Client::new(&server.sdk());
    let batch = sdk::InvalidationBatch::builder()
        .paths(sdk::Paths::builder().quantity(3).set_items(names(&["/*", "/?id=1", "/a b/ü&"])).build().unwrap())
        .caller_reference("walab-1")
        .build()
        .unwrap();
    server.answer(201, &[], "");
    client.create_invalidation().distribution_id("E1").invalidation_batch(batch).send().await.unwrap();
    let sent = server.last();
    let model = InvalidationBatch::from_xml(&sent.body).unwrap();
    assert_eq!(&model.paths[..], ["/*", "/?id=1", "/a b/ü&"]);
    assert_same_tree(&sent.body, &model.to_xml());
}

/// The document the lab seeded its distribution with before the seed was typed data.
fn seed_document(domain: &str, header: &str, secret: &str, acl: &str) -> String {
    let origin_id = "wa-lab-rds-api-origin";
    format!(
        concat!(
            "<DistributionConfig xmlns=\"{ns}\">",
            "<CallerReference>walab-cdn-waf-cognito-distribution</CallerReference>",
            "<Aliases><Quantity>0</Quantity></Aliases>",
            "<DefaultRootObject></DefaultRootObject>",
            "<Origins><Quantity>1</Quantity><Items><Origin>",
            "<Id>{origin_id}</Id><DomainName>{domain}</DomainName><OriginPath>/Dev</OriginPath>",
            "<CustomHeaders><Quantity>1</Quantity><Items><OriginCustomHeader>",
            "<HeaderName>{header}</HeaderName><HeaderValue>{secret}</HeaderValue>",
            "</OriginCustomHeader></Items></CustomHeaders>",
            "<CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort>",
            "<OriginProtocolPolicy>https-only</OriginProtocolPolicy>",
            "<OriginSslProtocols><Quantity>1</Quantity><Items><SslProtocol>TLSv1.2</SslProtocol></Items></OriginSslProtocols>",
            "<OriginReadTimeout>30</OriginReadTimeout><OriginKeepaliveTimeout>5</OriginKeepaliveTimeout>",
            "</CustomOriginConfig>",
            "<ConnectionAttempts>3</ConnectionAttempts><ConnectionTimeout>10</ConnectionTimeout>",
            "<OriginShield><Enabled>false</Enabled></OriginShield>",
            "<OriginAccessControlId></OriginAccessControlId>",
            "</Origin></Items></Origins>",
            "<OriginGroups><Quantity>0</Quantity></OriginGroups>",
            "<DefaultCacheBehavior>",
            "<TargetOriginId>{origin_id}</TargetOriginId>",
            "<TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners>",
            "<TrustedKeyGroups><Enabled>false</Enabled><Quantity>0</Quantity></TrustedKeyGroups>",
            "<ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy>",
            "<AllowedMethods><Quantity>2</Quantity><Items><Method>HEAD</Method><Method>GET</Method></Items>",
            "<CachedMethods><Quantity>2</Quantity><Items><Method>HEAD</Method><Method>GET</Method></Items></CachedMethods>",
            "</AllowedMethods>",
            "<SmoothStreaming>false</SmoothStreaming><Compress>false</Compress>",
            "<LambdaFunctionAssociations><Quantity>0</Quantity></LambdaFunctionAssociations>",
            "<FunctionAssociations><Quantity>0</Quantity></FunctionAssociations>",
            "<FieldLevelEncryptionId></FieldLevelEncryptionId>",
            "<ForwardedValues><QueryString>true</QueryString><Cookies><Forward>none</Forward></Cookies>",
            "<Headers><Quantity>0</Quantity></Headers><QueryStringCacheKeys><Quantity>0</Quantity></QueryStringCacheKeys>",
            "</ForwardedValues>",
            "<MinTTL>0</MinTTL><DefaultTTL>86400</DefaultTTL><MaxTTL>31536000</MaxTTL>",
            "</DefaultCacheBehavior>",
            "<CacheBehaviors><Quantity>0</Quantity></CacheBehaviors>",
            "<CustomErrorResponses><Quantity>0</Quantity></CustomErrorResponses>",
            "<Comment>CloudFront in front of wa-lab-rds-api</Comment>",
            "<Logging><Enabled>false</Enabled><IncludeCookies>false</IncludeCookies><Bucket></Bucket><Prefix></Prefix></Logging>",
            "<PriceClass>PriceClass_All</PriceClass>",
            "<Enabled>true</Enabled>",
            "<ViewerCertificate><CloudFrontDefaultCertificate>true</CloudFrontDefaultCertificate>",
            "<SSLSupportMethod>vip</SSLSupportMethod><MinimumProtocolVersion>TLSv1</MinimumProtocolVersion>",
            "<CertificateSource>cloudfront</CertificateSource></ViewerCertificate>",
            "<Restrictions><GeoRestriction><RestrictionType>none</RestrictionType><Quantity>0</Quantity></GeoRestriction></Restrictions>",
            "<WebACLId>{acl}</WebACLId>",
            "<HttpVersion>http2</HttpVersion>",
            "<IsIPV6Enabled>true</IsIPV6Enabled>",
            "<Staging>false</Staging>",
            "</DistributionConfig>"
        ),
        ns = NAMESPACE,
        origin_id = origin_id,
        domain = crate::locallab::machinery::wire::xml_escape(domain),
        header = crate::locallab::machinery::wire::xml_escape(header),
        secret = crate::locallab::machinery::wire::xml_escape(secret),
        acl = crate::locallab::machinery::wire::xml_escape(acl),
    )
}

#[test]
fn the_typed_seed_is_the_seed_document() {
    let waf = crate::locallab::waf::WebAcls::seed(crate::names::REGION, "123456789012", "abc");
    let api_domain = "abc123.execute-api.us-east-1.amazonaws.com";
    let today = seed_document(api_domain, &waf.header_name, waf.header_value.expose(), &waf.global_acl_arn);
    let typed = seed(api_domain, &waf.header_name, waf.header_value.expose(), &waf.global_acl_arn);
    assert_same_tree(&today, &typed.to_xml());
    assert_eq!(DistributionConfig::from_xml(&today).unwrap(), typed);
    assert_stores_as_json(&typed);
}

#[test]
fn refuses_documents_that_do_not_fit_the_model() {
    let waf = crate::locallab::waf::WebAcls::seed(crate::names::REGION, "123456789012", "abc");
    let seed = seed("api.example", &waf.header_name, waf.header_value.expose(), &waf.global_acl_arn).to_xml();
    for (from, to, code, detail) in [
        (
            "<Quantity>1</Quantity><Items><Origin>",
            "<Quantity>2</Quantity><Items><Origin>",
            "InconsistentQuantities",
            "in Origins (2 stated, 1 given)",
        ),
        (
            "<ViewerProtocolPolicy>allow-all<",
            "<ViewerProtocolPolicy>sometimes<",
            "MalformedXML",
            "unknown variant `sometimes`",
        ),
        ("<Staging>false</Staging>", "<Staging>false</Staging><Bogus/>", "MalformedXML", "unknown field `Bogus`"),
        ("<Method>HEAD</Method>", "<Verb>HEAD</Verb>", "MalformedXML", "Items holds Method elements, not Verb"),
        (
            "<Enabled>true</Enabled><ViewerCertificate>",
            "<ViewerCertificate>",
            "MalformedXML",
            "missing field `Enabled`",
        ),
        ("<HTTPPort>80</HTTPPort>", "<HTTPPort>eighty</HTTPPort>", "MalformedXML", "HTTPPort"),
        ("<Quantity>1</Quantity><Items><Origin>", "<Items><Origin>", "MalformedXML", "missing field `Quantity`"),
    ] {
        assert!(seed.contains(from), "{from}");
        let e = DistributionConfig::from_xml(&seed.replacen(from, to, 1)).unwrap_err();
        assert_eq!(e.code(), code, "{to}: {e}");
        assert!(e.to_string().contains(detail), "{to}: {e}");
    }
}
