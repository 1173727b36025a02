//! Every input the lab takes is held to AWS's own limits, through the official SDK clients: a
//! request just under each limit is taken, one just over is refused with the service's error,
//! before anything that grows with the input is done.

use crate::common;

use std::time::{Duration, Instant};

use crate::common::TestLab;
use crate::common::apigw::api;
use aws_sdk_apigateway::types::AuthorizerType;
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::AttributeType;

#[tokio::test]
async fn sign_up_holds_usernames_passwords_and_attributes_to_cognitos_limits() {
    let lab = TestLab::start().await;
    let info = lab.info();
    let secret = lab.client_secret().await;
    let cognito = lab.cognito();
    let sign_up = |username: String, password: String, name: String, value: String| {
        let hash = walab::token::secret_hash(&username, &info.app_client_id, &secret);
        cognito
            .sign_up()
            .client_id(&info.app_client_id)
            .secret_hash(hash)
            .username(username)
            .password(password)
            .user_attributes(AttributeType::builder().name(name).value(value).build().unwrap())
            .send()
    };
    let email = |len: usize, n: usize| format!("{}{n}@example.com", "u".repeat(len - 12 - n.to_string().len()));
    let password = |len: usize| format!("Aa1!{}", "x".repeat(len - 4));
    let a = |n: usize| "a".repeat(n);
    // Just under each limit: taken.
    let taken = sign_up(email(128, 1), password(256), format!("custom:{}", a(25)), a(2048)).await;
    assert!(taken.is_ok(), "{taken:?}");
    // Just over: refused with Cognito's validation error, naming the member.
    for (n, (username, password, name, value), at) in [
        (2, (email(129, 2), password(12), "locale".to_string(), a(1)), "'username'"),
        (3, (email(40, 3), password(257), "locale".to_string(), a(1)), "'password'"),
        (4, (email(40, 4), password(12), format!("custom:{}", a(26)), a(1)), "'userAttributes.1.member.name'"),
        (5, (email(40, 5), password(12), "locale".to_string(), a(2049)), "'userAttributes.1.member.value'"),
    ] {
        let err = sign_up(username, password, name, value).await.unwrap_err();
        assert_eq!(err.code(), Some("InvalidParameterException"), "case {n}");
        let message = err.message().unwrap_or_default();
        assert!(message.contains(at) && message.contains("failed to satisfy constraint"), "case {n}: {message}");
    }
    // A megabyte of attribute is refused as quickly as a byte too many, and stores nothing.
    let started = Instant::now();
    let huge = sign_up(email(40, 6), password(12), "custom:big".to_string(), a((1 << 20) - 4096));
    assert_eq!(huge.await.unwrap_err().code(), Some("InvalidParameterException"));
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(lab.stored("cognito.user").len(), 2, "the demo user and the one taken");
    lab.stop().await;
}

#[tokio::test]
async fn authorizer_and_stage_names_are_at_most_128_characters() {
    let lab = TestLab::start().await;
    let client = lab.apigateway();
    let api = api(&lab).await;
    let arn = format!("arn:aws:cognito-idp:us-east-1:{}:userpool/{}", lab.account().ctx.id, lab.info().user_pool_id);
    let create = |name: String| {
        client
            .create_authorizer()
            .rest_api_id(&api.id)
            .name(name)
            .r#type(AuthorizerType::CognitoUserPools)
            .provider_arns(&arn)
            .identity_source("method.request.header.Authorization")
            .send()
    };
    assert!(create("a".repeat(128)).await.is_ok());
    let err = create("b".repeat(129)).await.unwrap_err();
    assert_eq!(err.code(), Some("BadRequestException"));
    assert!(err.message().unwrap_or_default().contains("at most 128"));
    assert_eq!(create("c".repeat(900 * 1024)).await.unwrap_err().code(), Some("BadRequestException"));

    let deploy = |stage: String| client.create_deployment().rest_api_id(&api.id).stage_name(stage).send();
    assert!(deploy("s".repeat(128)).await.is_ok());
    assert_eq!(deploy("t".repeat(129)).await.unwrap_err().code(), Some("BadRequestException"));
    lab.stop().await;
}

#[tokio::test]
async fn a_distribution_config_with_a_flood_of_attributes_is_refused_at_once() {
    let lab = TestLab::start().await;
    let cf = lab.cloudfront();
    let list = cf.list_distributions().send().await.unwrap();
    let id = list.distribution_list().unwrap().items()[0].id().to_string();
    let current = cf.get_distribution_config().id(&id).send().await.unwrap();
    let etag = current.e_tag().unwrap().to_string();
    let aws = lab.running.endpoints().aws_endpoint_url();
    let signed = "AWS4-HMAC-SHA256 Credential=AKIDLOCALLAB/20250101/us-east-1/cloudfront/aws4_request, \
                  SignedHeaders=host, Signature=00";
    let put = |body: String| {
        common::http()
            .put(format!("{aws}/2020-05-31/distribution/{id}/config"))
            .header("Authorization", signed)
            .header("If-Match", &etag)
            .body(body)
            .send()
    };
    let with = |n: usize| {
        let attributes: String = (0..n).map(|i| format!(" a{i}=\"{i}\"")).collect();
        format!(
            "<DistributionConfig xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\"><Comment{attributes}>x</Comment></DistributionConfig>"
        )
    };
    // The case: about 1 MB, 90,000 attributes on <Comment>.
    let mut n = 90_000;
    while with(n).len() > 1_000_000 {
        n -= 1_000;
    }
    let started = Instant::now();
    let answer = put(with(n)).await.unwrap();
    assert_eq!(answer.status().as_u16(), 400);
    let text = answer.text().await.unwrap();
    assert!(text.contains("<Code>MalformedXML</Code>") && text.contains("more than 8 attributes"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    // The next update is not held up, and the configuration did not change.
    let after = cf.get_distribution_config().id(&id).send().await.unwrap();
    assert_eq!(after.e_tag(), Some(etag.as_str()));
    lab.stop().await;
}
