//! The API Gateway calls learners reach for beyond step 5.3, through the official SDK client:
//! the console's Test buttons, the integration and method response, changing and flushing
//! authorizers; and the rules AWS keeps that the lab used to skip (unique authorizer names,
//! provider ARNs naming pools that exist), which walab's own solve must respect.

use crate::common::TestLab;
use crate::common::apigw::*;
use aws_sdk_apigateway::error::ProvideErrorMetadata;
use aws_sdk_apigateway::types::{AuthorizerType, Op};

fn refusal<E: ProvideErrorMetadata, R>(err: aws_sdk_apigateway::error::SdkError<E, R>) -> (String, String) {
    (err.code().unwrap_or_default().to_string(), err.message().unwrap_or_default().to_string())
}

async fn create(lab: &TestLab, api: &Api, name: &str, arn: &str) -> Result<String, (String, String)> {
    lab.apigateway()
        .create_authorizer()
        .rest_api_id(&api.id)
        .name(name)
        .r#type(AuthorizerType::CognitoUserPools)
        .provider_arns(arn)
        .identity_source("method.request.header.Authorization")
        .send()
        .await
        .map(|a| a.id().unwrap_or_default().to_string())
        .map_err(refusal)
}

#[tokio::test]
async fn authorizer_names_are_unique_and_pools_must_exist() {
    let lab = TestLab::start().await;
    let api = api(&lab).await;
    let arn = pool(&lab).arn;
    create(&lab, &api, "walab-cognito", &arn).await.unwrap();
    let again = create(&lab, &api, "walab-cognito", &arn).await.unwrap_err();
    assert_eq!(
        again,
        (
            "BadRequestException".into(),
            "Authorizer name must be unique. Authorizer walab-cognito already exists in this RestApi.".into()
        )
    );
    let missing_pool = arn.rsplit_once('/').map(|(head, _)| format!("{head}/us-east-1_Nope12345")).unwrap();
    let refused = create(&lab, &api, "other", &missing_pool).await.unwrap_err();
    assert_eq!(
        refused,
        (
            "BadRequestException".into(),
            format!("ProviderARNs need to be valid Cognito Userpools. Invalid ARNs-\n{missing_pool}")
        )
    );
    let malformed =
        create(&lab, &api, "other", "arn:aws:cognito-identity:us-east-1:1:identitypool/x").await.unwrap_err();
    assert!(malformed.1.starts_with("ProviderARNs need to be valid Cognito Userpools. Invalid ARNs-"), "{malformed:?}");
}

#[tokio::test]
async fn update_authorizer_patches_and_refuses_as_api_gateway_does() {
    let lab = TestLab::start().await;
    let api = api(&lab).await;
    let arn = pool(&lab).arn;
    let first = create(&lab, &api, "first", &arn).await.unwrap();
    create(&lab, &api, "second", &arn).await.unwrap();
    let client = lab.apigateway();
    let updated = client
        .update_authorizer()
        .rest_api_id(&api.id)
        .authorizer_id(&first)
        .patch_operations(replace("/name", "renamed"))
        .patch_operations(replace("/authorizerResultTtlInSeconds", "0"))
        .send()
        .await
        .unwrap();
    assert_eq!((updated.name(), updated.authorizer_result_ttl_in_seconds()), (Some("renamed"), Some(0)));
    let clash = client
        .update_authorizer()
        .rest_api_id(&api.id)
        .authorizer_id(&first)
        .patch_operations(replace("/name", "second"))
        .send()
        .await
        .map_err(refusal)
        .unwrap_err();
    assert!(clash.1.starts_with("Authorizer name must be unique"), "{clash:?}");
    let no_pools = client
        .update_authorizer()
        .rest_api_id(&api.id)
        .authorizer_id(&first)
        .patch_operations(patch(Op::Remove, "/providerARNs", &arn))
        .send()
        .await
        .map_err(refusal)
        .unwrap_err();
    assert_eq!(no_pools.0, "BadRequestException");
    let bad_path = client
        .update_authorizer()
        .rest_api_id(&api.id)
        .authorizer_id(&first)
        .patch_operations(replace("/nonsense", "x"))
        .send()
        .await
        .map_err(refusal)
        .unwrap_err();
    assert_eq!(bad_path, ("BadRequestException".into(), "Invalid patch path /nonsense".into()));
    let unknown = client
        .update_authorizer()
        .rest_api_id(&api.id)
        .authorizer_id("nope00")
        .patch_operations(replace("/name", "x"))
        .send()
        .await
        .map_err(refusal)
        .unwrap_err();
    assert_eq!(unknown.0, "NotFoundException");
}

#[tokio::test]
async fn the_integration_and_method_response_are_readable() {
    let lab = TestLab::start().await;
    let api = api(&lab).await;
    let client = lab.apigateway();
    let integration =
        client.get_integration().rest_api_id(&api.id).resource_id(&api.root).http_method("GET").send().await.unwrap();
    assert_eq!(integration.r#type().map(|t| t.as_str()), Some("AWS"));
    assert!(integration.uri().is_some_and(|u| u.contains(":lambda:path/2015-03-31/functions/")));
    let response = client
        .get_method_response()
        .rest_api_id(&api.id)
        .resource_id(&api.root)
        .http_method("GET")
        .status_code("200")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status_code(), Some("200"));
    let missing = client
        .get_method_response()
        .rest_api_id(&api.id)
        .resource_id(&api.root)
        .http_method("GET")
        .status_code("418")
        .send()
        .await
        .map_err(refusal)
        .unwrap_err();
    assert_eq!(missing, ("NotFoundException".into(), "Invalid Response status code specified".into()));
    let no_method = client
        .get_integration()
        .rest_api_id(&api.id)
        .resource_id(&api.root)
        .http_method("POST")
        .send()
        .await
        .map_err(refusal)
        .unwrap_err();
    assert_eq!(no_method.0, "NotFoundException");
}

#[tokio::test]
async fn test_invoke_method_runs_the_integration_without_the_authorizer() {
    let lab = TestLab::start().await;
    let (api, _) = protect(&lab).await;
    let client = lab.apigateway();
    let tested = client
        .test_invoke_method()
        .rest_api_id(&api.id)
        .resource_id(&api.root)
        .http_method("GET")
        .path_with_query_string("/?id=1")
        .send()
        .await
        .unwrap();
    assert_eq!(tested.status(), 200);
    assert_eq!(tested.body(), Some(r#"["My favorite player is Lionel Messi"]"#));
    assert!(tested.log().is_some());
    let invalid = client
        .test_invoke_method()
        .rest_api_id(&api.id)
        .resource_id(&api.root)
        .http_method("GET")
        .path_with_query_string("/")
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 400);
    assert!(invalid.body().unwrap_or_default().contains("Missing required request parameters: [id]"));
    let unknown = client
        .test_invoke_method()
        .rest_api_id(&api.id)
        .resource_id("nope00")
        .http_method("GET")
        .send()
        .await
        .map_err(refusal)
        .unwrap_err();
    assert_eq!(unknown.0, "NotFoundException");
}

#[tokio::test]
async fn test_invoke_authorizer_decides_as_the_authorizer_would() {
    let lab = TestLab::start().await;
    let (api, authorizer) = protect(&lab).await;
    let client = lab.apigateway();
    let allowed = client
        .test_invoke_authorizer()
        .rest_api_id(&api.id)
        .authorizer_id(&authorizer)
        .headers("Authorization", id_token(&lab))
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.client_status(), 200);
    assert_eq!(allowed.claims().and_then(|c| c.get("token_use")).map(String::as_str), Some("id"));
    let denied = client
        .test_invoke_authorizer()
        .rest_api_id(&api.id)
        .authorizer_id(&authorizer)
        .headers("Authorization", access_token(&lab))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.client_status(), 401);
    let none = client.test_invoke_authorizer().rest_api_id(&api.id).authorizer_id(&authorizer).send().await.unwrap();
    assert_eq!(none.client_status(), 401);
    let unknown = client
        .test_invoke_authorizer()
        .rest_api_id(&api.id)
        .authorizer_id("nope00")
        .send()
        .await
        .map_err(refusal)
        .unwrap_err();
    assert_eq!(unknown.0, "NotFoundException");
}

#[tokio::test]
async fn flushing_the_authorizer_cache_needs_a_stage() {
    let lab = TestLab::start().await;
    let api = api(&lab).await;
    let client = lab.apigateway();
    client.flush_stage_authorizers_cache().rest_api_id(&api.id).stage_name("Dev").send().await.unwrap();
    let refused = client
        .flush_stage_authorizers_cache()
        .rest_api_id(&api.id)
        .stage_name("Prod")
        .send()
        .await
        .map_err(refusal)
        .unwrap_err();
    assert_eq!(refused, ("NotFoundException".into(), "Invalid Stage identifier specified".into()));
}

#[tokio::test]
async fn the_create_authorizer_solve_repairs_rather_than_duplicates() {
    let lab = TestLab::start().await;
    let api = api(&lab).await;
    // A learner's first try: the right name, the wrong token source.
    lab.apigateway()
        .create_authorizer()
        .rest_api_id(&api.id)
        .name("walab-cognito")
        .r#type(AuthorizerType::CognitoUserPools)
        .provider_arns(pool(&lab).arn)
        .identity_source("method.request.header.X-Token")
        .send()
        .await
        .unwrap();
    let config = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let endpoint = lab.info().aws_endpoint_url;
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_walab"))
            .env("WALAB_CONFIG_DIR", config.path())
            .env("WALAB_DATA_DIR", data.path())
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_CONFIG_FILE", config.path().join("none"))
            .env("AWS_SHARED_CREDENTIALS_FILE", config.path().join("none"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .args(["--target", "aws", "--region", "us-east-1", "solve", "create-authorizer", "--yes"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let authorizers = lab.apigateway().get_authorizers().rest_api_id(&api.id).send().await.unwrap();
    assert_eq!(authorizers.items().len(), 1, "no duplicate");
    assert_eq!(authorizers.items()[0].identity_source(), Some("method.request.header.Authorization"));
}
